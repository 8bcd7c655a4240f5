// findex gate: exit 1 when a gate fails. Gates come from --fail-on (one ad hoc gate) or from the
// policy's `gates:`; the policy is applied again at gate time, so that expired suppressions stop
// applying even when nothing was ingested since.
#include <spdlog/spdlog.h>

#include <fstream>
#include <set>
#include <unordered_set>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/policy_util.h"
#include "normalize/text.h"
#include "rules/gate.h"
#include "rules/report.h"
#include "store/store.h"

namespace findex::cli {
namespace {

struct GateFlags {
  std::string scope;
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
    it = MatcherReadsProductField(it->first) ? std::next(it) : f.product_fields.erase(it);
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

// --fail-on without a policy, report or baseline: counted from the covering index alone.
int FastGate(const GateFlags& fl, const Globals& g, Store& store, SeverityLabel label) {
  GateQuery q;
  q.scope = fl.scope;
  q.fail_on = label;
  q.new_only = fl.new_only;
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
    h.label = f.severity.label;
    h.workflow = std::string(ToString(f.workflow));
    hits.push_back(std::move(h));
  }
  GateVerdict v = MakeVerdict(spec, std::move(hits), rows->total, rows->by_label, fl.show);
  if (!v.passed || !g.quiet) std::fputs(ColorSeverityListing(FormatVerdict(spec, v), stderr).c_str(), stderr);
  return v.passed ? kExitOk : kExitGateFailed;
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

int RunGate(const GateFlags& fl, const Globals& g) {
  SetupLogging(g);
  static const std::set<std::string> kReports = {"junit", "sarif", "markdown", "codeinsights", "json"};
  if (!fl.report.empty() && !kReports.count(fl.report)) {
    spdlog::error("unknown --report '{}' (junit, sarif, markdown, codeinsights, json)", fl.report);
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

  auto store = Store::Open(g.DbPath(), true);
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  if (!fl.scope.empty()) {
    // A mistyped scope would pass every gate: say so (still exit 0: an empty scope is clean).
    auto runs = (*store)->LatestBatchRuns(fl.scope);
    if (runs.ok() && runs->empty()) spdlog::warn("scope '{}' has never been ingested into {}", fl.scope, g.DbPath());
  }
  if (fail_on && !policy && fl.report.empty() && fl.baseline.empty()) return FastGate(fl, g, **store, *fail_on);

  const std::string now = Now();
  const int64_t now_ms = ToUnixMs(now);
  GateReport report;
  report.tool_version = "0.1.0";
  report.generated_at = now;
  report.scope = fl.scope;
  report.baseline = fl.baseline;

  // "New": first seen in the latest ingest batch of the scope, or absent from a baseline scope.
  auto latest = (*store)->LatestBatchRuns(fl.scope);
  if (!latest.ok()) {
    spdlog::error("{}", latest.error().ToString());
    return kExitError;
  }
  const std::unordered_set<int64_t> latest_runs(latest->begin(), latest->end());
  std::map<std::string, std::unordered_set<std::string>> baselines;
  for (const auto& d : gates) {
    if (d.baseline.empty() || baselines.count(d.baseline)) continue;
    auto fps = (*store)->ActiveFingerprints(d.baseline);
    if (!fps.ok()) {
      spdlog::error("{}", fps.error().ToString());
      return kExitError;
    }
    if (fps->empty()) spdlog::warn("baseline scope '{}' has no active findings: every finding counts as new", d.baseline);
    baselines[d.baseline] = std::unordered_set<std::string>(fps->begin(), fps->end());
  }
  if (!fl.baseline.empty() && !baselines.count(fl.baseline)) {
    auto fps = (*store)->ActiveFingerprints(fl.baseline);
    if (fps.ok()) baselines[fl.baseline] = std::unordered_set<std::string>(fps->begin(), fps->end());
  }

  std::vector<ReportItem> items;
  std::map<int64_t, bool> first_seen_new;  // row id -> first seen in the latest batch
  std::map<std::string, uint64_t> expired;  // suppression -> findings it no longer covers
  FindingFilter filter;
  if (!fl.scope.empty()) filter.scopes = {fl.scope};
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
    } else if (!row.policy.empty()) {
      size_t start = 0;
      while (start <= row.policy.size()) {
        size_t end = row.policy.find(';', start);
        if (end == std::string::npos) end = row.policy.size();
        if (end > start) it.policy.push_back(row.policy.substr(start, end - start));
        start = end + 1;
      }
    }
    if (f.workflow == WorkflowStatus::kSuppressed && f.note) it.suppression_reason = f.note->text;
    if (fl.report.empty()) SlimForGate(f);
    it.is_new = !fl.baseline.empty() ? !baselines[fl.baseline].count(f.fingerprint.Hex())
                                     : latest_runs.count(row.first_seen_run) > 0;
    first_seen_new[row.rowid] = latest_runs.count(row.first_seen_run) > 0;
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
                  return id != it.finding.product_fields.end() && first_seen_new[std::stoll(id->second)];
                },
                &report);
  for (auto& it : report.items) it.finding.product_fields.erase("findex/RowId");
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
  if (!report.passed || !g.quiet) std::fputs(ColorSeverityListing(FormatGateReport(report, fl.show), stderr).c_str(), stderr);
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
  cmd->add_option("--scope", fl->scope, "Only this scope (default: all scopes)");
  cmd->add_option("--fail-on", fl->fail_on,
                  "Ad hoc gate: fail on any active, unsuppressed finding at or above LOW, MEDIUM, HIGH or CRITICAL");
  cmd->add_flag("--new-only", fl->new_only, "Only findings first seen in the latest ingest of the scope");
  cmd->add_option("--baseline", fl->baseline,
                  "Only findings not active in this scope (e.g. repo:main); implies --new-only");
  cmd->add_option("--gate", fl->gates, "Run only this policy gate (repeatable)");
  cmd->add_option("--show", fl->show, "How many violating findings to list (default 10)");
  cmd->add_option("--report", fl->report, "Also write a report: junit, sarif, markdown, codeinsights or json");
  cmd->add_option("-o,--output", fl->output, "Where the report goes (default: stdout)");
  cmd->add_option("--sarif-max-results", fl->sarif_max, "Most results in a SARIF report (default 25000, GitHub's limit)");
  fl->policy.Add(cmd);
  AddWaitOption(cmd);  // writers wait for each other (cli/output.h)
  cmd->callback([fl, &g, exit_code] { *exit_code = RunGate(*fl, g); });
}

}  // namespace findex::cli
