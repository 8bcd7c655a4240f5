// findex gate: exit 1 when a gate fails. Gates come from --fail-on (one ad hoc gate) or from the
// policy's `gates:`; the policy is applied again at gate time, so that expired suppressions stop
// applying even when nothing was ingested since (without the policy file, the expiry stored with
// the decision at ingest does the same).
//
// Fail closed: an unknown or empty scope, an unknown baseline, a policy with errors or an
// unwritable verdict is an error (exit 2), never a pass. Every run records its verdict per
// (scope, gate) in gate_verdicts; new_only counts what was not active at the last passing
// verdict (a watermark: the store's latest run id at that pass, compared with the run that made
// each finding active, first sight or reopening), so that retrying a failed pipeline fails
// again. A finding resolved and reopened after the pass counts as new, although it was active
// at the pass: a regression is worth a look, and this costs no snapshot of the active set.
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <unordered_set>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/policy_util.h"
#include "normalize/exploit.h"
#include "normalize/text.h"
#include "rules/gate.h"
#include "rules/policy_sql.h"
#include "rules/report.h"
#include "rules/vex.h"
#include "store/store.h"

namespace findex::cli {
namespace {

struct GateFlags {
  std::string scope;
  bool scope_given = false;
  bool all_scopes = false;
  bool baseline_given = false;
  bool output_given = false;
  bool accept_current = false;
  std::string by, reason;
  std::string fail_on;
  bool new_only = false;
  std::string baseline;
  std::vector<std::string> gates;
  size_t show = 10;  // two lines each: with the headlines, a screenful
  std::string report;
  std::string output = "-";
  size_t sarif_max = 25000;
  PolicyFlags policy;
};

// Without a report, a gate keeps of each finding only what gate matchers and the stderr listing
// read: on a large store the descriptions, CVSS lists and resource details would be most of the
// memory (measured 7.6 KB a finding on 1M findings).
void SlimForGate(Finding& f) {
  f.description.clear();
  f.description.shrink_to_fit();
  f.remediation_text.clear();
  f.remediation_url.clear();
  f.source_url.clear();
  f.user_defined_fields.clear();
  for (auto it = f.product_fields.begin(); it != f.product_fields.end();) {
    // "<scanner>/Purl": the package VEX statements name (rules/vex.h).
    const bool purl = it->first.size() > 5 && it->first.compare(it->first.size() - 5, 5, "/Purl") == 0;
    it = MatcherReadsProductField(it->first) || purl ? std::next(it) : f.product_fields.erase(it);
  }
  for (auto& r : f.resources) r.details_other.clear();
  for (auto& v : f.vulnerabilities) {
    v.cvss.clear();
    v.reference_urls.clear();
    v.vendor_name.clear();
    v.vendor_url.clear();
    for (auto& p : v.vulnerable_packages) p.remediation.clear();
  }
}

// What "new" is for one gate: findings not active in the scope at its last passing verdict.
struct NewSince {
  int64_t mark = 0;  // mark_run of that verdict; 0: no passing gate, everything is new
  std::string text;  // for the summary line
};

// --fail-on without a policy file, report or baseline: counted from the covering index alone
// (the stored decisions, except policy suppressions that have expired; none with --no-policy).
// SUPPRESSED and RESOLVED findings are counted by no gate (Store::Gate, GateItemStatus).
int FastGate(const GateFlags& fl, const Globals& g, Store& store, SeverityLabel label, const std::string& scope,
             const NewSince& since, int64_t now_ms, uint64_t* violations) {
  GateQuery q;
  q.scope = scope;
  q.fail_on = label;
  q.new_only = fl.new_only;
  q.new_since_run = since.mark;
  q.apply_policy = !fl.policy.none;
  q.now_ms = now_ms;
  q.cap = fl.show;
  auto rows = store.Gate(q);
  if (!rows.ok()) {
    spdlog::error("{}", rows.error().ToString());
    return kExitError;
  }
  GateSpec spec{label, fl.new_only};
  std::vector<GateHit> hits;
  for (const auto& r : rows->worst) {
    const Finding& f = r.finding;
    GateHit h;
    h.id = f.id;
    h.scanner = f.scanner;
    h.title = f.title;
    h.location = ShortLocation(f);
    h.label = GateSeverity(r, q.apply_policy);
    h.workflow = std::string(ToString(GateWorkflow(r, q.apply_policy, now_ms)));
    hits.push_back(std::move(h));
  }
  *violations = rows->total;
  GateVerdict v = MakeVerdict(spec, std::move(hits), rows->total, rows->by_label, fl.show);
  if (!v.passed || !g.quiet) std::fputs(ColorSeverityListing(FormatVerdict(spec, v), stderr).c_str(), stderr);
  return v.passed ? kExitOk : kExitGateFailed;
}

// The SLA at gate time (the policy's sla:, normalize/sla.h): when each run started (a finding's clock
// starts at the run that made it active) and, for the column path, the KEV due dates by row.
struct SlaContext {
  const SlaPolicy* policy = nullptr;
  int64_t now_ms = 0;
  std::unordered_map<int64_t, int64_t> run_start;     // run id -> Unix ms of started_at
  std::unordered_map<int64_t, std::string> kev_due;   // row id -> findings.kev_due
  SlaClock Clock(SeverityLabel label, WorkflowStatus w, int64_t start_run, std::string_view due) const {
    auto it = run_start.find(start_run);
    return ComputeSla(*policy, label, ToString(w), "ACTIVE", it == run_start.end() ? 0 : it->second, due, now_ms);
  }
  std::string_view KevDue(int64_t rowid) const {
    auto it = kev_due.find(rowid);
    return it == kev_due.end() ? std::string_view() : std::string_view(it->second);
  }
};

Status LoadSlaContext(Store& store, bool kev_rows, SlaContext* ctx) {
  auto st = store.database()->Prepare("SELECT id, started_at FROM runs");
  if (!st.ok()) return st.error();
  for (;;) {
    auto r = (*st)->Step();
    if (!r.ok()) return r.error();
    if (!*r) break;
    ctx->run_start[(*st)->Int(0)] = ToUnixMs((*st)->Str(1));
  }
  if (!kev_rows || !ctx->policy->kev_due_cap) return Status::Ok();
  auto cols = store.FindingColumns();
  if (!cols.ok()) return cols.error();
  if (!cols->count("kev_due")) return Status::Ok();
  auto k = store.database()->Prepare("SELECT id, kev_due FROM findings WHERE kev_due IS NOT NULL AND record_state = 'ACTIVE'");
  if (!k.ok()) return k.error();
  for (;;) {
    auto r = (*k)->Step();
    if (!r.ok()) return r.error();
    if (!*r) break;
    ctx->kev_due[(*k)->Int(0)] = (*k)->Str(1);
  }
  return Status::Ok();
}

// A gate without a report, evaluated in memory that does not grow with the store: the policy's
// matchers compiled to SQL over the findings' columns (rules/policy_sql.h) and the gates tallied
// as rows stream by (GateTally); a finding is read in full (its document decoded) only when the
// columns cannot decide a matcher its verdict depends on. Same decisions, counts, listing and
// notices as the path over every document (ColumnGateTest, policy_sql_test).
struct ColumnGateInput {
  const Policy* policy = nullptr;  // nullptr: the decisions stored at ingest (none with --no-policy)
  bool apply_stored = true;
  const std::vector<GateDef>* gates = nullptr;
  std::string scope;  // "" all scopes
  std::vector<int64_t> marks;  // per gate: the watermark of "new" (since[...].mark)
  int64_t display_mark = 0;
  const std::map<std::string, std::unordered_set<std::string>>* baselines = nullptr;
  std::string baseline;  // --baseline (display "new")
  int64_t now_ms = 0;
  size_t show = 10;
  const SlaContext* sla = nullptr;  // the policy has sla:
  SlaTally* sla_tally = nullptr;
};
struct ColumnGateOutput {
  GateTallyCounts counts;
  std::map<std::string, uint64_t> expired;  // suppression -> findings it no longer covers
  uint64_t stored_expired = 0;
  uint64_t decoded = 0;  // rows read in full
};

// What one row's gate outcome needs, from columns or from the decoded finding.
struct RowFacts {
  int64_t rowid = 0;
  SeverityLabel stored_severity = SeverityLabel::kInformational, base = SeverityLabel::kInformational;
  WorkflowStatus stored_workflow = WorkflowStatus::kNew, lifecycle = WorkflowStatus::kNew;
  std::optional<WorkflowStatus> triage;
  std::string policy_workflow;
  std::optional<int64_t> policy_expires;
  int64_t active_since_run = 0;
  std::string fingerprint;  // hex; only when a baseline is used
};

Status ColumnGate(const ColumnGateInput& in, Store& store, GateReport* report, ColumnGateOutput* out) {
  const std::vector<GateDef>& gates = *in.gates;
  auto cols = store.FindingColumns();
  if (!cols.ok()) return cols.error();
  const ColumnSet colset = ColumnSet::FromNames(*cols);
  const PolicyProgram prog = CompilePolicy(in.policy, gates, colset);
  for (auto& f : PolicySqlFunctions()) FINDEX_RETURN_IF_ERROR(store.RegisterFunction(f.name, f.nargs, std::move(f.fn)));
  spdlog::debug("gate: {} matcher expressions over columns ({} schema)", prog.exprs.size(),
                colset.full ? "full policy-column" : "schema 5");
  const bool need_fp = !in.baselines->empty();
  GateTally tally(gates, in.show);

  // One row's outcome. `match(slot, matcher, label)` and `fixable(slot)`: 1, 0 or -1 (unknown).
  // Returns false when an unknown outcome matters (the row must be read in full); counts
  // nothing then.
  auto evaluate = [&](const RowFacts& r, const std::function<int(int, const Matcher&, SeverityLabel)>& match,
                      const std::function<int(int)>& fixable, const std::function<int()>& vex) -> bool {
    SeverityLabel label;
    WorkflowStatus workflow;
    const std::vector<std::string>* expired = nullptr;
    PolicyDecision d;
    bool stored_over = false;
    if (in.policy) {
      const Policy& p = *in.policy;
      auto dec = EvaluateWith(p, r.base, r.lifecycle, in.now_ms, [&](MatcherKind kind, size_t i, SeverityLabel l) {
        if (kind == MatcherKind::kOverride) return match(prog.override_slot[i], p.overrides[i].match, l);
        if (kind == MatcherKind::kSuppression) return match(prog.suppression_slot[i], p.suppressions[i].match, l);
        if (kind == MatcherKind::kVex) return vex();
        return match(prog.rule_slot[i], p.rules[i].match, l);
      });
      if (!dec) return false;
      d = std::move(*dec);
      label = d.severity.value_or(r.base);
      workflow = r.triage ? *r.triage : d.workflow ? *d.workflow : r.lifecycle;
      expired = &d.expired;
    } else {
      FindingRow row;
      row.finding.severity.label = r.stored_severity;
      row.base_severity = r.base;
      row.lifecycle = r.lifecycle;
      row.triage = r.triage;
      row.policy_workflow = r.policy_workflow;
      row.policy_expires = r.policy_expires;
      workflow = GateWorkflow(row, in.apply_stored, in.now_ms);
      const bool policy_over = !in.apply_stored || (row.policy_workflow == "SUPPRESSED" &&
                                                    workflow != WorkflowStatus::kSuppressed && !row.triage);
      stored_over = in.apply_stored && policy_over && r.stored_workflow == WorkflowStatus::kSuppressed;
      label = GateSeverity(row, in.apply_stored);
    }
    const SlaClock clock = in.sla ? in.sla->Clock(label, workflow, r.active_since_run, in.sla->KevDue(r.rowid)) : SlaClock{};
    GateTallyItem it;
    it.rowid = r.rowid;
    it.label = label;
    it.stored_severity = r.stored_severity;
    const ItemStatus status = GateItemStatus(workflow);
    it.suppressed = status == ItemStatus::kSuppressed;
    it.resolved = status == ItemStatus::kResolved;
    auto is_new_for = [&](const std::string& baseline, int64_t mark) {
      if (!baseline.empty()) return !in.baselines->at(baseline).count(r.fingerprint);
      return r.active_since_run > mark;
    };
    it.is_new = is_new_for(in.baseline, in.display_mark);
    // A suppressed or resolved finding is counted by no gate: its matchers do not matter.
    if (status == ItemStatus::kOpen) {
      for (size_t g = 0; g < gates.size(); ++g) {
        const GateDef& def = gates[g];
        if (def.new_only && !is_new_for(def.baseline, in.marks[g])) continue;
        if (!def.sla.empty() && std::find(def.sla.begin(), def.sla.end(), clock.state) == def.sla.end()) continue;
        if (prog.gate_slot[g] >= 0) {
          const int m = match(prog.gate_slot[g], def.match, label);
          if (m < 0) return false;
          if (m == 0) continue;
        }
        if (def.fixable_only) {
          const int fx = fixable(prog.fixable_slot[g]);
          if (fx < 0) return false;
          if (fx == 0) continue;
        }
        it.counted |= uint64_t{1} << g;
      }
    }
    if (!it.suppressed && expired) {
      for (const auto& e : *expired) ++out->expired[e];
    }
    if (stored_over) ++out->stored_expired;
    if (in.sla_tally) in.sla_tally->Add(r.rowid, label, clock);
    tally.Add(it);
    return true;
  };

  // Rows the columns cannot decide, read in full a batch at a time.
  std::vector<int64_t> pending;
  auto flush = [&]() -> Status {
    Status s = store.ForEachRowId(pending, [&](FindingRow&& row) {
      ++out->decoded;
      RowFacts r;
      r.rowid = row.rowid;
      r.stored_severity = row.finding.severity.label;
      r.base = row.base_severity;
      r.stored_workflow = row.finding.workflow;
      r.lifecycle = row.lifecycle;
      r.triage = row.triage;
      r.policy_workflow = row.policy_workflow;
      r.policy_expires = row.policy_expires;
      r.active_since_run = row.active_since_run;
      if (need_fp) r.fingerprint = row.finding.fingerprint.Hex();
      // The finding as scanners and lifecycle left it, as Evaluate sees it.
      Finding& base = row.finding;
      base.severity.label = row.base_severity;
      base.workflow = row.lifecycle;
      evaluate(
          r, [&](int, const Matcher& m, SeverityLabel l) { return MatchesAtLabel(m, base, l) ? 1 : 0; },
          [&](int) { return IsFixable(base) ? 1 : 0; },
          [&]() { return in.policy && in.policy->vex ? static_cast<int>(in.policy->vex->Decide(base) + 1) : 0; });
      return true;
    });
    pending.clear();
    return s;
  };
  Status inner = Status::Ok();
  ColumnScan q;
  q.scope = in.scope;
  q.exprs = prog.exprs;
  q.fingerprints = need_fp;
  Status s = store.ScanActive(q, [&](const ColumnRow& c) {
    RowFacts r;
    r.rowid = c.rowid;
    r.stored_severity = c.severity;
    r.base = c.base_severity;
    r.stored_workflow = c.workflow;
    r.lifecycle = c.lifecycle;
    r.triage = c.triage;
    r.policy_workflow = c.policy_workflow;
    r.policy_expires = c.policy_expires;
    r.active_since_run = c.active_since_run;
    r.fingerprint = c.fingerprint_hex;
    const bool decided = evaluate(
        r,
        [&](int slot, const Matcher& m, SeverityLabel l) {
          if (!SeverityInRange(m, l)) return 0;
          return static_cast<int>(c.values[static_cast<size_t>(slot)]);
        },
        [&](int slot) { return static_cast<int>(c.values[static_cast<size_t>(slot)]); },
        [&]() { return prog.vex_slot < 0 ? 0 : c.values[static_cast<size_t>(prog.vex_slot)] < 0 ? -1 : 0; });
    if (!decided) {
      pending.push_back(c.rowid);
      if (pending.size() >= 512) {
        inner = flush();
        if (!inner.ok()) return false;
      }
    }
    return true;
  });
  if (!s.ok()) return s;
  if (!inner.ok()) return inner;
  FINDEX_RETURN_IF_ERROR(flush());
  spdlog::debug("gate: {} findings read in full (the columns could not decide them)", out->decoded);

  // The listed violations: only these are read in full for display.
  std::vector<GateTallyItem> listed;
  tally.Finish(report, &out->counts, &listed);
  std::vector<int64_t> ids;
  for (const auto& it : listed) ids.push_back(it.rowid);
  std::map<int64_t, Finding> shown;
  FINDEX_RETURN_IF_ERROR(store.ForEachRowId(ids, [&](FindingRow&& row) {
    shown[row.rowid] = std::move(row.finding);
    return true;
  }));
  report->items.clear();
  for (const auto& it : listed) {
    auto f = shown.find(it.rowid);
    if (f == shown.end()) continue;
    ReportItem item;
    item.finding = std::move(f->second);
    item.finding.severity.label = it.label;
    item.status = ItemStatus::kViolation;
    item.is_new = it.is_new;
    report->items.push_back(std::move(item));
  }
  return Status::Ok();
}

// "did you mean" for a scope: the closest known one, or the list.
std::string ScopeHint(const std::string& scope, const std::vector<std::string>& known) {
  if (known.empty()) return "nothing has been ingested into this store yet";
  std::string list;
  for (size_t i = 0; i < known.size() && i < 20; ++i) list += (i ? ", " : "") + known[i];
  if (known.size() > 20) list += fmt::format(", ... ({} scopes)", known.size());
  std::string hint = ClosestName(scope, known);
  return (hint.empty() ? std::string() : "did you mean '" + hint + "'? ") + "known scopes: " + list;
}

// Who accepts: --by, else $FINDEX_USER. Not $USER: in CI that names the runner, not a person.
std::string UserName(const std::string& by) {
  if (!Trim(by).empty()) return Trim(by);
  const char* v = std::getenv("FINDEX_USER");
  return v ? Trim(v) : std::string();
}

Status WriteReport(const std::string& format, const std::string& path, const GateReport& r, size_t sarif_max) {
  std::string doc;
  if (format == "junit") doc = WriteJUnitReport(r);
  else if (format == "markdown") doc = WriteMarkdownReport(r);
  else if (format == "codeinsights") doc = WriteCodeInsightsReport(r);
  else if (format == "json") doc = WriteVerdictJson(r);
  else if (format == "sarif") {
    uint64_t truncated = 0;
    doc = WriteSarifReport(r, sarif_max, &truncated);
    if (truncated > 0) {
      spdlog::warn("SARIF report truncated: {} of {} results left out (GitHub code scanning accepts {} per run)",
                   truncated, r.items.size(), sarif_max);
    }
  }
  if (path == "-") {
    std::fwrite(doc.data(), 1, doc.size(), stdout);
    std::fflush(stdout);
    return Status::Ok();
  }
  return WriteFileAtomic(path, doc);  // a temporary file renamed into place
}

int RunGate(GateFlags fl, const Globals& g) {
  SetupLogging(g);
  static const std::set<std::string> kReports = {"junit", "sarif", "markdown", "codeinsights", "json"};
  fl.report = ToLower(fl.report);
  if (!fl.report.empty() && !kReports.count(fl.report)) {
    spdlog::error("unknown --report '{}' (junit, sarif, markdown, codeinsights, json)", fl.report);
    return kExitError;
  }
  if (fl.output_given && fl.report.empty()) {
    spdlog::error("-o/--output needs --report (or --format) FORMAT: junit, sarif, markdown, codeinsights or json");
    return kExitError;
  }
  // Which scope: --scope S, every scope with --all-scopes, else "default" (as ingest). Never an
  // empty value: an empty $CI_BRANCH must not widen the gate to every scope.
  if (fl.all_scopes && fl.scope_given) {
    spdlog::error("give --scope or --all-scopes, not both");
    return kExitError;
  }
  if (fl.scope_given && Trim(fl.scope).empty()) {
    spdlog::error("--scope is empty (an unset variable?); name a scope, or give --all-scopes to gate every scope");
    return kExitError;
  }
  if (fl.baseline_given && Trim(fl.baseline).empty()) {
    spdlog::error("--baseline is empty (an unset variable?); name the scope whose findings count as existing");
    return kExitError;
  }
  const std::string scope = fl.all_scopes ? std::string() : fl.scope_given ? fl.scope : std::string("default");
  const std::string scope_key = fl.all_scopes ? std::string("*") : scope;  // gate_verdicts.scope
  if (fl.accept_current) {
    if (!fl.report.empty()) {
      spdlog::error("--accept-current records a pass without evaluating: it writes no report");
      return kExitError;
    }
    fl.by = UserName(fl.by);
    if (fl.by.empty() || Trim(fl.reason).empty()) {
      spdlog::error("--accept-current needs --by NAME (or $FINDEX_USER) and --reason TEXT: who adopts the scope's findings, and why");
      return kExitError;
    }
  } else if (!fl.by.empty() || !fl.reason.empty()) {
    spdlog::error("--by and --reason go with --accept-current");
    return kExitError;
  }
  if (Status st = CheckOutputPath(fl.output, g.DbPath()); !st.ok()) {  // never the store
    spdlog::error("{}", st.error().ToString());
    return kExitError;
  }
  std::optional<SeverityLabel> fail_on;
  if (!fl.fail_on.empty()) {
    fail_on = ParseSeverityLabel(fl.fail_on);
    if (!fail_on) {
      spdlog::error("unknown severity '{}' for --fail-on (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)", fl.fail_on);
      return kExitError;
    }
  }
  // A gate never runs with a policy that has errors.
  auto loaded = LoadPolicy(fl.policy, g.quiet);
  if (!loaded.ok()) {
    spdlog::error("{}", loaded.error().ToString());
    return kExitError;
  }
  const std::shared_ptr<const Policy> policy = *loaded;

  // Which gates run: --fail-on is one ad hoc gate; otherwise the policy's (or those --gate names).
  std::vector<GateDef> gates;
  if (fail_on) {
    GateDef d;
    d.name = "fail-on-" + ToLower(std::string(ToString(*fail_on)));
    for (int l = static_cast<int>(*fail_on); l <= static_cast<int>(SeverityLabel::kCritical); ++l) {
      d.max[static_cast<SeverityLabel>(l)] = 0;
    }
    d.new_only = fl.new_only || !fl.baseline.empty();
    d.baseline = fl.baseline;
    gates.push_back(std::move(d));
  }
  if (policy && (!fail_on || !fl.gates.empty())) {
    for (const auto& d : policy->gates) {
      if (!fl.gates.empty() && std::find(fl.gates.begin(), fl.gates.end(), d.name) == fl.gates.end()) continue;
      GateDef x = d;
      if (fl.new_only) x.new_only = true;
      if (!fl.baseline.empty()) {
        x.new_only = true;
        x.baseline = fl.baseline;
      }
      gates.push_back(std::move(x));
    }
  }
  for (const auto& name : fl.gates) {
    if (!policy || std::none_of(policy->gates.begin(), policy->gates.end(), [&](const GateDef& d) { return d.name == name; })) {
      spdlog::error("no gate named '{}' in the policy{}", name, policy ? "" : " (no policy file found; see --policy)");
      return kExitError;
    }
  }
  if (gates.empty()) {
    spdlog::error("no gate to check: give --fail-on SEVERITY or define gates in findex.yml (see --policy)");
    return kExitError;
  }

  // A gate writes its verdict: the store is opened read-write, and must exist.
  std::error_code ec;
  if (!IsPostgresUri(g.DbPath()) && !std::filesystem::exists(g.DbPath(), ec)) {
    spdlog::error("no store at {} (run `findex ingest` first, or pass --db)", g.DbShown());
    return kExitError;
  }
  if (IsPostgresUri(g.DbPath())) {
    // The server store must exist too: a gate never creates one.
    auto probe = Store::Open(g.DbPath(), /*read_only=*/true);
    if (!probe.ok()) {
      spdlog::error("{}", probe.error().ToString());
      return kExitError;
    }
  }
  auto store = Store::Open(g.DbPath(), false);
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  // An unknown scope is an error, never a clean pass (a typo, an unset variable).
  auto known = (*store)->Scopes();
  if (!known.ok()) {
    spdlog::error("{}", known.error().ToString());
    return kExitError;
  }
  const auto is_known = [&](const std::string& s) { return std::find(known->begin(), known->end(), s) != known->end(); };
  if (fl.all_scopes && known->empty()) {  // nothing to check is not a pass
    spdlog::error("--all-scopes on {}: {}", g.DbShown(), ScopeHint(scope, *known));
    return kExitError;
  }
  if (!fl.all_scopes && !is_known(scope)) {
    spdlog::error("unknown scope '{}' in {}{}: {}", scope, g.DbShown(), fl.scope_given ? "" : " (no --scope given: the default scope)",
                  ScopeHint(scope, *known));
    return kExitError;
  }
  std::set<std::string> baseline_scopes;
  for (const auto& d : gates) {
    if (!d.baseline.empty()) baseline_scopes.insert(d.baseline);
  }
  for (const auto& b : baseline_scopes) {
    if (!is_known(b)) {
      spdlog::error("unknown baseline scope '{}' in {}: {}", b, g.DbShown(), ScopeHint(b, *known));
      return kExitError;
    }
  }

  const std::string now = Now();
  const int64_t now_ms = ToUnixMs(now);
  const char* env_now = std::getenv("FINDEX_NOW");
  GateRunSummary summary;
  summary.scope = scope;
  summary.all_scopes = fl.all_scopes;
  summary.no_policy = fl.policy.none;
  if (policy) {
    summary.policy_files = policy->files;
    // The VEX documents (the policy's vex: and --vex) are policy input too.
    if (policy->vex) {
      for (const auto& f : policy->vex->files()) summary.policy_files.push_back("vex:" + f);
    }
  }
  summary.baseline = fl.baseline;
  summary.clock = now;
  summary.clock_from_env = env_now && *env_now;
  std::string policy_used = fl.policy.none ? "-" : "";
  for (const auto& f : summary.policy_files) policy_used += (policy_used.empty() ? "" : ",") + f;

  // The snapshot: the mark, the last passes and every count agree.
  if (Status s = (*store)->BeginSnapshot(/*after_ingests=*/true); !s.ok()) {
    spdlog::error("{}", s.error().ToString());
    return kExitError;
  }
  struct SnapshotGuard {
    Store* s;
    bool open = true;
    ~SnapshotGuard() {
      if (open) (void)s->EndSnapshot();
    }
  } guard{store->get()};
  auto mark = (*store)->LatestRunId("");
  if (!mark.ok()) {
    spdlog::error("{}", mark.error().ToString());
    return kExitError;
  }
  std::map<std::string, NewSince> since;  // gate name -> what "new" is relative to
  for (const auto& d : gates) {
    auto last = (*store)->LastPass(scope_key, d.name);
    if (!last.ok()) {
      spdlog::error("{}", last.error().ToString());
      return kExitError;
    }
    NewSince n;
    if (*last) {
      n.mark = (*last)->mark_run;
      n.text = "the pass at " + (*last)->at + " (run " + std::to_string(n.mark) + ")";
      if (!(*last)->accepted_by.empty()) n.text += ", accepted by " + (*last)->accepted_by + ": " + (*last)->reason;
    } else {
      n.text = "no passing gate yet: every finding is new";
    }
    since[d.name] = n;
    summary.gates.push_back({d.name, d.new_only, d.baseline.empty() ? n.text : std::string()});
  }
  auto record = [&](const std::vector<GateVerdictRecord>& v) -> bool {
    guard.open = false;
    if (Status s = (*store)->EndSnapshot(); !s.ok()) {
      spdlog::error("{}", s.error().ToString());
      return false;
    }
    if (Status s = (*store)->RecordGateVerdicts(v); !s.ok()) {
      spdlog::error("{}", s.error().ToString());
      return false;
    }
    return true;
  };
  auto verdict_of = [&](const std::string& name, bool passed, uint64_t violations) {
    GateVerdictRecord v;
    v.scope = scope_key;
    v.gate = name;
    v.at = now;
    v.passed = passed;
    v.mark_run = *mark;
    v.violations = violations;
    v.policy = policy_used;
    return v;
  };

  if (fl.accept_current) {
    // Adopt what is active now: later new_only gates count only what becomes active after it.
    std::vector<GateVerdictRecord> v;
    for (const auto& d : gates) {
      v.push_back(verdict_of(d.name, true, 0));
      v.back().accepted_by = fl.by;
      v.back().reason = Trim(fl.reason);
    }
    if (!record(v)) return kExitError;
    if (!g.quiet) {
      std::string names;
      for (const auto& d : gates) names += (names.empty() ? "" : ", ") + d.name;
      std::fprintf(stderr, "gate: accepted the current findings of %s for %s (run %lld), by %s: %s\n",
                   fl.all_scopes ? "every scope" : ("scope '" + scope + "'").c_str(), names.c_str(),
                   static_cast<long long>(*mark), fl.by.c_str(), Trim(fl.reason).c_str());
    }
    summary.verdict = "ACCEPTED";
    for (auto& x : summary.gates) x.since.clear();
    std::fputs(FormatGateSummary(summary).c_str(), stderr);
    return kExitOk;
  }

  if (fail_on && !policy && fl.report.empty() && fl.baseline.empty()) {
    uint64_t violations = 0;
    const int rc = FastGate(fl, g, **store, *fail_on, scope, since[gates.front().name], now_ms, &violations);
    if (rc == kExitError) return rc;
    if (!record({verdict_of(gates.front().name, rc == kExitOk, violations)})) return kExitError;
    summary.verdict = rc == kExitOk ? "PASSED" : "FAILED";
    std::fputs(FormatGateSummary(summary).c_str(), stderr);
    return rc;
  }

  GateReport report;
  report.tool_version = "0.1.0";
  report.generated_at = now;
  report.scope = scope;
  report.baseline = fl.baseline;

  std::map<std::string, std::unordered_set<std::string>> baselines;
  for (const auto& b : baseline_scopes) {
    auto fps = (*store)->ActiveFingerprints(b);
    if (!fps.ok()) {
      spdlog::error("{}", fps.error().ToString());
      return kExitError;
    }
    if (fps->empty()) spdlog::warn("baseline scope '{}' has no active findings: every finding counts as new", b);
    baselines[b] = std::unordered_set<std::string>(fps->begin(), fps->end());
  }

  // "New" for one gate: not active at its last passing verdict (first seen or reopened after
  // that verdict's mark). Items show "new" as the first gate sees it.
  const int64_t display_mark = since[gates.front().name].mark;
  const bool apply_stored = !fl.policy.none;
  std::map<std::string, uint64_t> expired;  // suppression -> findings it no longer covers
  uint64_t stored_expired = 0;              // stored policy suppressions over (no policy file)
  // Without a report (which lists every finding), the gate runs on columns; $FINDEX_GATE_DOCS=1
  // forces the path over every document (tests compare the two).
  const char* force_docs = std::getenv("FINDEX_GATE_DOCS");
  // PostgreSQL runs no findex code on the server (the matchers call findex functions): documents.
  const bool on_columns = fl.report.empty() && gates.size() <= GateTally::kMaxGates && !(force_docs && *force_docs == '1') &&
                          (**store).SupportsFunctions();
  // The SLA (the policy's sla:): gates with `sla:` count by it; the summary shows breaches.
  SlaContext sla_ctx;
  SlaTally sla_tally;
  const bool with_sla = policy && policy->sla;
  if (with_sla) {
    sla_ctx.policy = &*policy->sla;
    sla_ctx.now_ms = now_ms;
    if (Status ls = LoadSlaContext(**store, on_columns, &sla_ctx); !ls.ok()) {
      spdlog::error("{}", ls.error().ToString());
      return kExitError;
    }
  }
  std::optional<GateTallyCounts> tally_counts;
  if (on_columns) {
    ColumnGateInput in;
    in.policy = policy.get();
    in.apply_stored = apply_stored;
    in.gates = &gates;
    in.scope = scope;
    for (const auto& d : gates) in.marks.push_back(since[d.name].mark);
    in.display_mark = display_mark;
    in.baselines = &baselines;
    in.baseline = fl.baseline;
    in.now_ms = now_ms;
    in.show = fl.show;
    if (with_sla) {
      in.sla = &sla_ctx;
      in.sla_tally = &sla_tally;
    }
    ColumnGateOutput out;
    if (Status cs = ColumnGate(in, **store, &report, &out); !cs.ok()) {
      spdlog::error("{}", cs.error().ToString());
      return kExitError;
    }
    expired = std::move(out.expired);
    stored_expired = out.stored_expired;
    tally_counts = std::move(out.counts);
  } else {
  std::vector<ReportItem> items;
  std::map<int64_t, int64_t> active_since;  // row id -> run that made it active
  FindingFilter filter;
  if (!scope.empty()) filter.scopes = {scope};
  filter.states = {"ACTIVE"};
  Status s = (*store)->ForEach(filter, [&](FindingRow&& row) {
    ReportItem it;
    Finding& f = row.finding;
    if (policy) {
      // The finding as scanners and lifecycle left it, then the policy as of now.
      Finding base = f;
      base.severity.label = row.base_severity;
      base.workflow = row.lifecycle;
      PolicyDecision d = Evaluate(*policy, base, now_ms);
      f.severity.label = d.severity.value_or(row.base_severity);
      if (d.severity) f.severity.normalized = DefaultNormalized(*d.severity);
      f.workflow = row.triage ? *row.triage : d.workflow ? *d.workflow : row.lifecycle;
      it.policy = d.applied;
      f.product_fields.erase("findex/Policy");
      if (!it.policy.empty()) {
        std::string joined;
        for (const auto& a : it.policy) joined += (joined.empty() ? "" : ";") + a;
        f.product_fields["findex/Policy"] = joined;
      }
      if (d.note && !(f.note && f.note->updated_by != kPolicyActor)) f.note = Note{d.note->text, kPolicyActor, now};
      if (f.workflow != WorkflowStatus::kSuppressed) {
        for (const auto& e : d.expired) ++expired[e];
      }
    } else {
      // No policy file: the decisions stored at ingest, except a policy suppression that has
      // expired since; --no-policy: no policy decision at all (a person's triage still applies).
      const WorkflowStatus w = GateWorkflow(row, apply_stored, now_ms);
      const bool policy_over = !apply_stored || (row.policy_workflow == "SUPPRESSED" && w != WorkflowStatus::kSuppressed &&
                                                 !row.triage);
      if (apply_stored && policy_over && f.workflow == WorkflowStatus::kSuppressed) ++stored_expired;
      f.severity.label = GateSeverity(row, apply_stored);
      if (!apply_stored && f.severity.label != row.finding.severity.label) f.severity.normalized = DefaultNormalized(f.severity.label);
      f.workflow = w;
      if (!apply_stored || policy_over) {
        if (f.note && f.note->updated_by == kPolicyActor) f.note.reset();
      }
      if (apply_stored && !row.policy.empty()) {
        size_t start = 0;
        while (start <= row.policy.size()) {
          size_t end = row.policy.find(';', start);
          if (end == std::string::npos) end = row.policy.size();
          std::string a = row.policy.substr(start, end - start);
          if (!a.empty() && !(policy_over && a.rfind("suppress:", 0) == 0)) it.policy.push_back(a);
          start = end + 1;
        }
      }
      f.product_fields.erase("findex/Policy");
      if (!it.policy.empty()) {
        std::string joined;
        for (const auto& a : it.policy) joined += (joined.empty() ? "" : ";") + a;
        f.product_fields["findex/Policy"] = joined;
      }
    }
    if (with_sla) {
      const SlaClock clock = sla_ctx.Clock(f.severity.label, f.workflow, row.active_since_run, SummarizeExploit(f).kev_due);
      it.sla = clock.state;
      it.sla_due_ms = clock.due_ms;
      sla_tally.Add(row.rowid, f.severity.label, clock);
    }
    // Why it is not counted (JUnit skipped, SARIF justification): the suppression or resolution note.
    if (GateItemStatus(f.workflow) != ItemStatus::kOpen && f.note) it.suppression_reason = f.note->text;
    if (fl.report.empty()) SlimForGate(f);
    it.is_new = !fl.baseline.empty() ? !baselines[fl.baseline].count(f.fingerprint.Hex())
                                     : row.active_since_run > display_mark;
    active_since[row.rowid] = row.active_since_run;
    it.finding = std::move(f);
    it.finding.product_fields["findex/RowId"] = std::to_string(row.rowid);
    items.push_back(std::move(it));
    return true;
  });
  if (!s.ok()) {
    spdlog::error("{}", s.error().ToString());
    return kExitError;
  }
  EvaluateGates(gates, std::move(items),
                [&](const ReportItem& it, const GateDef& d) {
                  if (!d.baseline.empty()) return !baselines[d.baseline].count(it.finding.fingerprint.Hex());
                  auto id = it.finding.product_fields.find("findex/RowId");
                  if (id == it.finding.product_fields.end()) return true;  // unknown: counts (fail closed)
                  return active_since[std::stoll(id->second)] > since[d.name].mark;
                },
                &report);
  for (auto& it : report.items) it.finding.product_fields.erase("findex/RowId");
  }
  if (with_sla) {
    std::vector<int64_t> rowids;
    sla_tally.Finish(&report.sla, &rowids);
    std::map<int64_t, Finding> shown;
    Status fs = (*store)->ForEachRowId(rowids, [&](FindingRow&& row) {
      shown[row.rowid] = std::move(row.finding);
      return true;
    });
    if (!fs.ok()) {
      spdlog::error("{}", fs.error().ToString());
      return kExitError;
    }
    for (size_t i = 0; i < rowids.size(); ++i) {
      auto f = shown.find(rowids[i]);
      if (f == shown.end()) continue;
      SlaBreach& b = report.sla.worst[i];
      b.id = f->second.id;
      b.title = f->second.title;
      b.scanner = f->second.scanner;
      b.location = ShortLocation(f->second);
    }
  }
  if (policy) {
    for (const auto& x : policy->suppressions) {
      for (const auto& [e, n] : expired) {
        if (e.rfind(x.name + " (", 0) != 0) continue;
        report.notices.push_back(fmt::format("suppression '{}'{} expired on {}: {} finding{} no longer suppressed ({}:{})",
                                             x.name, x.owner.empty() ? "" : " (owner " + x.owner + ")", x.expires, n,
                                             n == 1 ? " is" : "s are", x.pos.file, x.pos.line));
      }
      // Warn a week ahead, so that owners renew or fix before a build breaks.
      if (x.expires_ms > now_ms && x.expires_ms - now_ms <= 7LL * 86400000LL) {
        report.notices.push_back(fmt::format("suppression '{}'{} expires on {} ({}:{})", x.name,
                                             x.owner.empty() ? "" : " (owner " + x.owner + ")", x.expires, x.pos.file, x.pos.line));
      }
    }
  }
  if (stored_expired > 0) {
    report.notices.push_back(fmt::format("{} finding{} suppressed by the policy at ingest {} no longer suppressed: the suppression "
                                         "expired (stored expiry; no policy file read)",
                                         stored_expired, stored_expired == 1 ? "" : "s", stored_expired == 1 ? "is" : "are"));
  }
  std::vector<GateVerdictRecord> verdicts;
  for (size_t i = 0; i < report.gates.size(); ++i) {
    const auto& r = report.gates[i];
    uint64_t violating = 0;
    if (tally_counts) {
      violating = tally_counts->gate_violations[i];
    } else {
      for (const auto& it : report.items) {
        if (std::find(it.gates.begin(), it.gates.end(), r.name) != it.gates.end()) ++violating;
      }
    }
    verdicts.push_back(verdict_of(r.name, r.passed, violating));
  }
  if (!record(verdicts)) return kExitError;
  summary.verdict = report.passed ? "PASSED" : "FAILED";
  if (!report.passed || !g.quiet) {
    const std::string text = tally_counts ? FormatGateReport(report, fl.show, *tally_counts) : FormatGateReport(report, fl.show);
    std::fputs(ColorSeverityListing(text, stderr).c_str(), stderr);
  }
  std::fputs(FormatGateSummary(summary).c_str(), stderr);
  if (!fl.report.empty()) {
    if (Status w = WriteReport(fl.report, fl.output, report, fl.sarif_max); !w.ok()) {
      spdlog::error("{}", w.error().ToString());
      return kExitError;
    }
  }
  return report.passed ? kExitOk : kExitGateFailed;
}

}  // namespace

void AddGate(CLI::App& app, Globals& g, int* exit_code) {
  auto fl = std::make_shared<GateFlags>();
  CLI::App* cmd = app.add_subcommand(
      "gate", "Exit 1 when a gate fails: --fail-on SEVERITY, or the gates of the policy (findex.yml)");
  CLI::Option* scope = cmd->add_option("--scope", fl->scope, "The scope to gate (default: the scope 'default', as ingest)");
  cmd->add_flag("--all-scopes", fl->all_scopes, "Gate every scope at once");
  cmd->add_option("--fail-on", fl->fail_on,
                  "Ad hoc gate: fail on any active finding, neither suppressed nor resolved, at or above LOW, MEDIUM, "
                  "HIGH or CRITICAL");
  cmd->add_flag("--new-only", fl->new_only, "Only findings not active in the scope at its last passing gate");
  CLI::Option* baseline = cmd->add_option(
      "--baseline", fl->baseline, "Only findings not active in this scope (e.g. repo:main); implies --new-only");
  cmd->add_option("--gate", fl->gates, "Run only this policy gate (repeatable)");
  cmd->add_option("--show", fl->show, "How many violating findings to list (default 10)");
  cmd->add_option("--report,--format", fl->report,
                  "Also write a report: junit, sarif, markdown, codeinsights or json (case-insensitive)");
  CLI::Option* output = cmd->add_option("-o,--output", fl->output, "Where the report goes (default: stdout); needs --report");
  cmd->add_option("--sarif-max-results", fl->sarif_max, "Most results in a SARIF report (default 25000, GitHub's limit)");
  cmd->add_flag("--accept-current", fl->accept_current,
                "Record a pass without evaluating: the scope's current findings are no longer new (needs --by and --reason)");
  cmd->add_option("--by", fl->by, "With --accept-current: who accepts (default: $FINDEX_USER)");
  cmd->add_option("--reason", fl->reason, "With --accept-current: why");
  fl->policy.Add(cmd,
                 "No policy decision applies: neither findex.yml's nor those stored at ingest (suppressions, severity "
                 "overrides); a person's triage still does");
  fl->policy.AddVex(cmd);
  AddWaitOption(cmd);  // writers wait for each other (cli/output.h)
  cmd->callback([fl, &g, exit_code, scope, baseline, output] {
    GateFlags f = *fl;
    f.scope_given = scope->count() > 0;
    f.baseline_given = baseline->count() > 0;
    f.output_given = output->count() > 0;
    *exit_code = RunGate(std::move(f), g);
  });
}

}  // namespace findex::cli
