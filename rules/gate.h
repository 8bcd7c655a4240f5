// Gate thresholds: which active findings, neither suppressed nor resolved, fail a CI build.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "normalize/severity.h"
#include "rules/policy.h"
#include "rules/report.h"

namespace findex {

struct GateSpec {
  SeverityLabel fail_on = SeverityLabel::kCritical;  // at or above this label fails
  bool new_only = false;  // only findings not active at the scope's last passing gate
};

// One violating finding, as the gate reports it.
struct GateHit {
  std::string id, scanner, title, location, workflow;
  SeverityLabel label = SeverityLabel::kInformational;
  bool is_new = false;
};

struct GateVerdict {
  bool passed = true;
  uint64_t violations = 0;
  std::map<SeverityLabel, uint64_t> by_label;  // counts of violating findings
  std::vector<GateHit> worst;                  // most severe first, at most the display cap
};

// Builds the verdict from what the store found (active, neither suppressed nor resolved, label >= fail_on,
// new-only when asked): the total, counts per label, and the most severe findings to list.
GateVerdict MakeVerdict(const GateSpec& spec, std::vector<GateHit> hits, uint64_t total_violations,
                        const std::vector<std::pair<SeverityLabel, uint64_t>>& by_label, size_t display_cap = 20);
std::string FormatVerdict(const GateSpec& spec, const GateVerdict& v);

// --- named gates (findex.yml `gates:` or --fail-on) over findings with the policy applied ---

// A finding's status for every gate before thresholds, from its effective workflow (a person's
// triage, else the policy's decision, else the scan lifecycle: store/store.h GateWorkflow):
// SUPPRESSED and RESOLVED (VEX `fixed`, a policy rule, triage) are listed and counted by no
// gate, as the report, SLA clocks and exports read "active"; anything else is kOpen.
ItemStatus GateItemStatus(WorkflowStatus effective);

// Counts, per gate, the active items neither suppressed nor resolved it looks at (its match, new_only via
// `is_new`, fixable_only) and fails a gate when a label's count exceeds its max. Marks violating
// items, sorts items (violations, open, suppressed, resolved; most severe first) and fills report.gates,
// report.items and report.passed.
void EvaluateGates(const std::vector<GateDef>& gates, std::vector<ReportItem> items,
                   const std::function<bool(const ReportItem&, const GateDef&)>& is_new, GateReport* report);

// --- the same gates, evaluated as findings stream by, in memory that does not grow with the
// store (a gate without a report: rules/policy_sql.h evaluates the policy on columns) ---
struct GateTallyItem {
  int64_t rowid = 0;
  SeverityLabel label = SeverityLabel::kInformational;  // effective (policy applied)
  bool suppressed = false;                              // effective workflow SUPPRESSED
  bool resolved = false;                                // effective workflow RESOLVED (counted by no gate)
  uint64_t counted = 0;  // bit g: gates[g] counts it (its match, fixable_only, new_only; neither
                         // suppressed nor resolved)
  bool is_new = false;   // as the listing shows it
  // The store's order (stored severity DESC, id): EvaluateGates' tie-break over ForEach's rows.
  SeverityLabel stored_severity = SeverityLabel::kInformational;
};
struct GateTallyCounts {
  uint64_t violations = 0, open = 0, suppressed = 0, resolved = 0;  // items, as EvaluateGates' statuses
  std::vector<uint64_t> gate_violations;              // per gate: items that violate it
};
class GateTally {
 public:
  static constexpr size_t kMaxGates = 64;
  // At most kMaxGates gates.
  GateTally(const std::vector<GateDef>& gates, size_t show);
  void Add(const GateTallyItem& it);
  // What EvaluateGates gives: report->gates, passed and has_verdict (items left as they are), the
  // counts, and the violating items to list (at most `show`, in the listing's order).
  void Finish(GateReport* report, GateTallyCounts* counts, std::vector<GateTallyItem>* listed) const;

 private:
  static bool Before(const GateTallyItem& a, const GateTallyItem& b);  // listing order within a label
  const std::vector<GateDef>& gates_;
  size_t show_;
  uint64_t open_ = 0, suppressed_ = 0, resolved_ = 0;
  std::vector<std::array<uint64_t, 5>> counts_;                 // per gate, per label
  std::map<std::pair<uint64_t, int>, uint64_t> by_mask_;        // (counted, label) -> items
  std::vector<std::array<std::vector<GateTallyItem>, 5>> top_;  // per gate, per label: the first `show`
};

// Counts SLA states as findings stream by and keeps the most overdue few (by due time, then row
// id): the gate's SlaSummary without its display fields (the caller fills id, title, ...).
class SlaTally {
 public:
  explicit SlaTally(size_t keep = 5) : keep_(keep) {}
  void Add(int64_t rowid, SeverityLabel label, const SlaClock& c);
  // summary->enabled, counts, and worst (label, due_ms, days_left; id empty) with their row ids.
  void Finish(SlaSummary* summary, std::vector<int64_t>* rowids) const;

 private:
  size_t keep_;
  uint64_t breached_ = 0, due_soon_ = 0;
  std::vector<std::pair<std::pair<int64_t, int64_t>, SlaBreach>> worst_;  // ((due, rowid), breach)
};

// "SLA: N breached, M due soon" and the worst breaches, two lines each; "" when not enabled.
std::string FormatSlaSummary(const SlaSummary& s);

// FormatGateReport with the item counts given (r.items: the listed violations only).
std::string FormatGateReport(const GateReport& r, size_t show, const GateTallyCounts& counts);

// What a gate run used, for the one line every gate run prints on stderr (also when it passes):
// "gate summary: PASSED | scope S | policy FILES | baseline B | gates G (new since ...) | clock T".
struct GateRunSummary {
  std::string verdict;                    // PASSED, FAILED, ACCEPTED
  std::string scope;                      // "" with all_scopes
  bool all_scopes = false;
  std::vector<std::string> policy_files;  // none: "none"
  bool no_policy = false;                 // --no-policy
  std::string baseline;                   // "" none
  struct Gate {
    std::string name;
    bool new_only = false;
    std::string since;  // new_only: what "new" is relative to, e.g. "the pass at T (run 12)"
  };
  std::vector<Gate> gates;
  std::string clock;
  bool clock_from_env = false;  // $FINDEX_NOW
};
std::string FormatGateSummary(const GateRunSummary& s);

// The stderr text of a gate run: failed gates with their thresholds, the worst violating findings
// (at most `show`), notices; one line when everything passed.
std::string FormatGateReport(const GateReport& r, size_t show);

}  // namespace findex
