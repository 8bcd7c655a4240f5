#include "rules/gate.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "normalize/text.h"
#include "normalize/timestamp.h"

namespace findex {

GateVerdict MakeVerdict(const GateSpec& /*spec*/, std::vector<GateHit> hits, uint64_t total_violations,
                        const std::vector<std::pair<SeverityLabel, uint64_t>>& by_label, size_t display_cap) {
  GateVerdict v;
  v.violations = total_violations;
  v.passed = total_violations == 0;
  for (const auto& [label, n] : by_label) v.by_label[label] += n;
  std::stable_sort(hits.begin(), hits.end(), [](const GateHit& a, const GateHit& b) {
    if (a.label != b.label) return a.label > b.label;
    return a.is_new > b.is_new;
  });
  if (hits.size() > display_cap) hits.resize(display_cap);
  v.worst = std::move(hits);
  return v;
}

std::string FormatVerdict(const GateSpec& spec, const GateVerdict& v) {
  if (v.passed) {
    return fmt::format("gate passed: no {}active finding at or above {}\n", spec.new_only ? "new " : "",
                       ToString(spec.fail_on));
  }
  std::string out = fmt::format("gate FAILED: {} {}finding{} at or above {}", v.violations,
                                spec.new_only ? "new " : "", v.violations == 1 ? "" : "s", ToString(spec.fail_on));
  std::string counts;
  for (auto it = v.by_label.rbegin(); it != v.by_label.rend(); ++it) {
    counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", it->second, ToString(it->first));
  }
  if (!counts.empty()) out += " (" + counts + ")";
  out += "\n";
  for (const auto& h : v.worst) {
    // Report text never reaches the terminal raw (escape sequences, line breaks).
    out += fmt::format("  {:<13} {:<16} {}{}\n      at {}  id {}\n", ToString(h.label), SanitizeForTerminal(h.scanner),
                       h.is_new ? "[new] " : "", SanitizeForTerminal(h.title.substr(0, 120)),
                       h.location.empty() ? "-" : SanitizeForTerminal(h.location), SanitizeForTerminal(h.id));
  }
  if (v.worst.size() < v.violations) out += fmt::format("  ... and {} more\n", v.violations - v.worst.size());
  return out;
}

}  // namespace findex

namespace findex {


namespace {

std::string Describe(const GateDef& g) {
  std::vector<std::string> parts;
  if (g.new_only) parts.push_back(g.baseline.empty() ? "new since the last passing gate" : "not in baseline " + g.baseline);
  if (g.fixable_only) parts.push_back("fixable");
  if (!g.match.scanners.empty()) {
    std::string s = "scanner ";
    for (size_t i = 0; i < g.match.scanners.size(); ++i) s += (i ? "/" : "") + g.match.scanners[i];
    parts.push_back(s);
  }
  if (!g.match.paths.empty()) parts.push_back("path " + g.match.paths.front() + (g.match.paths.size() > 1 ? ", ..." : ""));
  if (!g.match.scopes.empty()) parts.push_back("scope " + g.match.scopes.front());
  if (g.match.kev) parts.push_back(*g.match.kev ? "in CISA KEV" : "not in CISA KEV");
  if (g.match.epss_at_least) parts.push_back(fmt::format("EPSS >= {}", *g.match.epss_at_least));
  if (g.match.epss_percentile_at_least) parts.push_back(fmt::format("EPSS percentile >= {}", *g.match.epss_percentile_at_least));
  if (!g.sla.empty()) {
    std::string s = "SLA ";
    for (size_t i = 0; i < g.sla.size(); ++i) s += (i ? "/" : "") + std::string(ToString(g.sla[i]));
    parts.push_back(s);
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out.empty() ? "all active findings" : out;
}

GateResult ResultOf(const GateDef& g) {
  GateResult res;
  res.name = g.name;
  res.max = g.max;
  res.new_only = g.new_only;
  res.baseline = g.baseline;
  res.fixable_only = g.fixable_only;
  res.description = Describe(g);
  return res;
}

// The labels whose count (res->counts) exceeds the gate's max; fills violated and passed.
std::set<SeverityLabel> Judge(const GateDef& g, GateResult* res) {
  std::set<SeverityLabel> over;
  for (auto l = static_cast<int>(SeverityLabel::kCritical); l >= 0; --l) {
    auto label = static_cast<SeverityLabel>(l);
    auto m = g.max.find(label);
    uint64_t n = res->counts.count(label) ? res->counts.at(label) : 0;
    if (m != g.max.end() && n > static_cast<uint64_t>(m->second)) {
      over.insert(label);
      res->violated.push_back(fmt::format("{}: {} > {}", ToString(label), n, m->second));
    }
  }
  res->passed = over.empty();
  return over;
}

}  // namespace

ItemStatus GateItemStatus(WorkflowStatus effective) {
  if (effective == WorkflowStatus::kSuppressed) return ItemStatus::kSuppressed;
  if (effective == WorkflowStatus::kResolved) return ItemStatus::kResolved;
  return ItemStatus::kOpen;
}

void EvaluateGates(const std::vector<GateDef>& gates, std::vector<ReportItem> items,
                   const std::function<bool(const ReportItem&, const GateDef&)>& is_new, GateReport* report) {
  report->has_verdict = true;
  report->passed = true;
  report->gates.clear();
  for (auto& it : items) {
    it.status = GateItemStatus(it.finding.workflow);
    it.gates.clear();
    it.checked_by.clear();
  }
  for (const auto& g : gates) {
    GateResult res = ResultOf(g);
    std::vector<size_t> looked;
    for (size_t i = 0; i < items.size(); ++i) {
      const ReportItem& it = items[i];
      if (!g.match.empty() && !g.match.Matches(it.finding)) continue;
      if (g.fixable_only && !IsFixable(it.finding)) continue;
      if (g.new_only && !is_new(it, g)) continue;
      if (!g.sla.empty() && std::find(g.sla.begin(), g.sla.end(), it.sla) == g.sla.end()) continue;
      if (it.status == ItemStatus::kSuppressed || it.status == ItemStatus::kResolved) {
        items[i].checked_by.push_back(g.name);  // listed (JUnit: skipped), never counted
        continue;
      }
      ++res.counts[it.finding.severity.label];
      looked.push_back(i);
      items[i].checked_by.push_back(g.name);
    }
    const std::set<SeverityLabel> over = Judge(g, &res);
    if (!res.passed) {
      report->passed = false;
      for (size_t i : looked) {
        if (!over.count(items[i].finding.severity.label)) continue;
        items[i].status = ItemStatus::kViolation;
        items[i].gates.push_back(g.name);
      }
    }
    report->gates.push_back(std::move(res));
  }
  std::stable_sort(items.begin(), items.end(), [](const ReportItem& a, const ReportItem& b) {
    if (StatusRank(a.status) != StatusRank(b.status)) return StatusRank(a.status) < StatusRank(b.status);
    if (a.finding.severity.label != b.finding.severity.label) return a.finding.severity.label > b.finding.severity.label;
    return a.is_new > b.is_new;
  });
  report->items = std::move(items);
}

GateTally::GateTally(const std::vector<GateDef>& gates, size_t show)
    : gates_(gates), show_(show), counts_(gates.size()), top_(gates.size()) {
  for (auto& c : counts_) c.fill(0);
}

bool GateTally::Before(const GateTallyItem& a, const GateTallyItem& b) {
  if (a.is_new != b.is_new) return a.is_new;
  if (a.stored_severity != b.stored_severity) return a.stored_severity > b.stored_severity;
  return a.rowid < b.rowid;
}

void GateTally::Add(const GateTallyItem& it) {
  if (it.suppressed) {
    ++suppressed_;
    return;
  }
  if (it.resolved) {
    ++resolved_;
    return;
  }
  ++open_;
  if (it.counted == 0) return;
  const int l = static_cast<int>(it.label);
  ++by_mask_[{it.counted, l}];
  for (size_t g = 0; g < gates_.size(); ++g) {
    if (!(it.counted >> g & 1)) continue;
    ++counts_[g][l];
    // Keep the first `show` of (gate, label) in listing order: the listing's violations are
    // the first `show` of the violating (gate, label) pairs, merged.
    auto& top = top_[g][l];
    if (show_ == 0) continue;
    if (top.size() == show_ && !Before(it, top.back())) continue;
    top.insert(std::upper_bound(top.begin(), top.end(), it, &GateTally::Before), it);
    if (top.size() > show_) top.pop_back();
  }
}

void GateTally::Finish(GateReport* report, GateTallyCounts* counts, std::vector<GateTallyItem>* listed) const {
  report->has_verdict = true;
  report->passed = true;
  report->gates.clear();
  counts->gate_violations.assign(gates_.size(), 0);
  std::vector<std::set<SeverityLabel>> over(gates_.size());
  for (size_t g = 0; g < gates_.size(); ++g) {
    GateResult res = ResultOf(gates_[g]);
    for (int l = 0; l < 5; ++l) {
      if (counts_[g][l] > 0) res.counts[static_cast<SeverityLabel>(l)] = counts_[g][l];
    }
    over[g] = Judge(gates_[g], &res);
    if (!res.passed) report->passed = false;
    for (auto label : over[g]) counts->gate_violations[g] += counts_[g][static_cast<int>(label)];
    report->gates.push_back(std::move(res));
  }
  auto violates = [&](uint64_t mask, SeverityLabel label) {
    for (size_t g = 0; g < gates_.size(); ++g) {
      if ((mask >> g & 1) && over[g].count(label)) return true;
    }
    return false;
  };
  counts->violations = 0;
  for (const auto& [key, n] : by_mask_) {
    if (violates(key.first, static_cast<SeverityLabel>(key.second))) counts->violations += n;
  }
  counts->open = open_ - counts->violations;
  counts->suppressed = suppressed_;
  counts->resolved = resolved_;
  listed->clear();
  std::set<int64_t> seen;
  for (size_t g = 0; g < gates_.size(); ++g) {
    for (auto label : over[g]) {
      for (const auto& it : top_[g][static_cast<int>(label)]) {
        if (seen.insert(it.rowid).second) listed->push_back(it);
      }
    }
  }
  std::sort(listed->begin(), listed->end(), [](const GateTallyItem& a, const GateTallyItem& b) {
    if (a.label != b.label) return a.label > b.label;
    return Before(a, b);
  });
  if (listed->size() > show_) listed->resize(show_);
}

std::string FormatGateSummary(const GateRunSummary& s) {
  std::string out = "gate summary: " + s.verdict;
  out += " | scope " + (s.all_scopes ? std::string("* (all scopes)") : s.scope);
  std::string policy;
  for (const auto& f : s.policy_files) policy += (policy.empty() ? "" : ", ") + f;
  out += " | policy " + (s.no_policy ? std::string("none (--no-policy)") : policy.empty() ? std::string("none") : policy);
  out += " | baseline " + (s.baseline.empty() ? std::string("none") : s.baseline);
  std::string gates;
  for (const auto& g : s.gates) {
    gates += (gates.empty() ? "" : ", ") + g.name;
    if (g.new_only && !g.since.empty()) gates += " (new since " + g.since + ")";
  }
  out += " | gates " + (gates.empty() ? std::string("none") : gates);
  out += " | clock " + s.clock + (s.clock_from_env ? " (FINDEX_NOW)" : "");
  return out + "\n";
}

std::string FormatGateReport(const GateReport& r, size_t show) {
  GateTallyCounts c;
  for (const auto& it : r.items) {
    if (it.status == ItemStatus::kViolation) ++c.violations;
    else if (it.status == ItemStatus::kOpen) ++c.open;
    else if (it.status == ItemStatus::kResolved) ++c.resolved;
    else ++c.suppressed;
  }
  return FormatGateReport(r, show, c);
}

std::string FormatGateReport(const GateReport& r, size_t show, const GateTallyCounts& counts) {
  std::string out;
  const uint64_t violations = counts.violations, open = counts.open, suppressed = counts.suppressed;
  // Resolved findings (VEX `fixed`, a policy rule, triage) are named only when there are some:
  // the text reads as before otherwise.
  const std::string resolved =
      counts.resolved > 0 ? fmt::format(", {} resolved", counts.resolved) : std::string();
  if (r.passed) {
    out = fmt::format("gate passed: {} gate{} ({} active finding{} checked, {} suppressed{})\n", r.gates.size(),
                      r.gates.size() == 1 ? "" : "s", violations + open, violations + open == 1 ? "" : "s", suppressed,
                      resolved);
  } else {
    for (const auto& g : r.gates) {
      if (g.passed) continue;
      std::string v;
      for (const auto& x : g.violated) v += (v.empty() ? "" : ", ") + x;
      out += fmt::format("gate '{}' FAILED: {} ({})\n", g.name, v, g.description);
    }
    size_t shown = 0;
    for (const auto& it : r.items) {
      if (it.status != ItemStatus::kViolation || shown == show) continue;
      ++shown;
      const Finding& f = it.finding;
      std::string loc = f.location.file_path.empty()
                            ? (f.resources.empty() ? f.location.url : f.resources.front().id)
                            : f.location.file_path + (f.location.start_line > 0 ? ":" + std::to_string(f.location.start_line) : "");
      out += fmt::format("  {:<13} {:<16} {}{}\n      at {}  id {}\n", ToString(f.severity.label),
                         SanitizeForTerminal(f.scanner), it.is_new ? "[new] " : "", SanitizeForTerminal(f.title.substr(0, 120)),
                         loc.empty() ? "-" : SanitizeForTerminal(loc), SanitizeForTerminal(f.id));
    }
    if (shown < violations) out += fmt::format("  ... and {} more\n", violations - shown);
    if (counts.resolved > 0) {
      out += fmt::format("  not counted: {} resolved (VEX fixed, a policy rule or triage), {} suppressed\n",
                         counts.resolved, suppressed);
    }
  }
  for (const auto& n : r.notices) out += "note: " + SanitizeForTerminal(n) + "\n";
  out += FormatSlaSummary(r.sla);
  return out;
}

void SlaTally::Add(int64_t rowid, SeverityLabel label, const SlaClock& c) {
  if (c.state == SlaState::kDueSoon) ++due_soon_;
  if (c.state != SlaState::kBreached) return;
  ++breached_;
  SlaBreach b;
  b.label = label;
  b.due_ms = c.due_ms;
  b.days_left = c.days_left;
  const auto key = std::make_pair(c.due_ms, rowid);
  if (worst_.size() == keep_ && !(key < worst_.back().first)) return;
  auto at = std::lower_bound(worst_.begin(), worst_.end(), key, [](const auto& e, const auto& k) { return e.first < k; });
  worst_.insert(at, {key, std::move(b)});
  if (worst_.size() > keep_) worst_.pop_back();
}

void SlaTally::Finish(SlaSummary* summary, std::vector<int64_t>* rowids) const {
  summary->enabled = true;
  summary->breached = breached_;
  summary->due_soon = due_soon_;
  summary->worst.clear();
  rowids->clear();
  for (const auto& [key, b] : worst_) {
    summary->worst.push_back(b);
    rowids->push_back(key.second);
  }
}

std::string FormatSlaSummary(const SlaSummary& s) {
  if (!s.enabled) return "";
  std::string out = fmt::format("SLA: {} breached, {} due soon\n", s.breached, s.due_soon);
  for (const auto& b : s.worst) {
    out += fmt::format("  {:<13} overdue {:.1f}d (due {})  {}\n      at {}  id {}\n", ToString(b.label), std::max(0.0, -b.days_left),
                       FormatTimestamp(b.due_ms).substr(0, 10), SanitizeForTerminal(b.title.substr(0, 120)),
                       b.location.empty() ? "-" : SanitizeForTerminal(b.location), SanitizeForTerminal(b.id));
  }
  if (s.breached > s.worst.size()) out += fmt::format("  ... and {} more breached\n", s.breached - s.worst.size());
  return out;
}

}  // namespace findex
