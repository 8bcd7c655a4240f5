// Reports for CI systems and people, written from a gate result or a plain export:
// JUnit XML (CodeBuild report groups, Jenkins), SARIF 2.1.0 (GitHub code scanning), Markdown
// (pull-request comment), Bitbucket Code Insights (report + annotations) and a JSON verdict.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "normalize/finding.h"
#include "normalize/result.h"
#include "normalize/sla.h"

namespace findex {

// One named gate's outcome.
struct GateResult {
  std::string name;
  bool passed = true;
  std::map<SeverityLabel, int64_t> max;        // thresholds (absent label: unlimited)
  std::map<SeverityLabel, uint64_t> counts;    // findings the gate looked at, per label
  std::vector<std::string> violated;           // e.g. "CRITICAL: 3 > 0"
  bool new_only = false;
  std::string baseline;                        // scope, or "" (new = first seen in the latest ingest)
  bool fixable_only = false;
  std::string description;                     // what it looks at, one line, e.g. "new, scanner trivy"
};

enum class ItemStatus {
  kViolation,   // counted by a gate whose threshold it breaks
  kOpen,        // active, neither suppressed nor resolved, within every threshold
  kSuppressed,  // Workflow SUPPRESSED (policy, report or triage): listed, counted by no gate
  kResolved,    // Workflow RESOLVED on an active finding (VEX `fixed`, a policy rule with
                // workflow: RESOLVED, or triage until a scan reports it again): listed, counted
                // by no gate
};
// Listing order: violations, open, suppressed, resolved.
inline int StatusRank(ItemStatus s) {
  switch (s) {
    case ItemStatus::kViolation: return 0;
    case ItemStatus::kOpen: return 1;
    case ItemStatus::kSuppressed: return 2;
    case ItemStatus::kResolved: return 3;
  }
  return 4;
}

struct ReportItem {
  Finding finding;                    // effective severity and workflow (policy applied)
  ItemStatus status = ItemStatus::kOpen;
  bool is_new = false;                // new for the gate run (latest ingest or baseline)
  std::vector<std::string> gates;     // names of the gates it violates
  std::vector<std::string> checked_by;  // names of the gates whose filter selected it, violated or not
                                        // (its test cases in the JUnit report); `gates` counts too
  std::vector<std::string> policy;    // rules that touched it ("suppress:legacy-xss", ...)
  std::string suppression_reason;     // for kSuppressed: the reason/note, when known; for
                                      // kResolved: the resolution note, when known
  // The SLA clock at gate time (normalize/sla.h; kNone without the policy's sla:).
  SlaState sla = SlaState::kNone;
  int64_t sla_due_ms = 0;
};

// SLA breaches at gate time, when the policy has `sla:` (the gate's text summary and the
// Markdown comment show them): over the gated scope's active findings.
struct SlaBreach {
  std::string id, title, scanner, location;
  SeverityLabel label = SeverityLabel::kInformational;
  int64_t due_ms = 0;
  double days_left = 0;  // negative: days overdue
};
struct SlaSummary {
  bool enabled = false;  // the policy has sla:
  uint64_t breached = 0, due_soon = 0;
  std::vector<SlaBreach> worst;  // the most overdue first, a few
};

struct GateReport {
  std::string tool_version;           // findex version
  std::string generated_at;           // RFC 3339, injected clock in tests
  std::string scope;                  // "" = all scopes
  std::string baseline;
  bool has_verdict = false;           // false for `findex export` (no gate ran)
  bool passed = true;
  std::vector<GateResult> gates;
  std::vector<ReportItem> items;      // most severe first; violations, open, suppressed, resolved
  std::vector<std::string> notices;   // e.g. "suppression 'legacy-xss' expired on 2026-10-01 (owner alice)"
  SlaSummary sla;
};

// --- streaming ---
// The writers below read a report's items through ReportItems and hand the document to a
// ReportSink piece by piece, so that an export of any size is written in constant memory: they
// keep counts, SARIF one entry per rule of the kept results and Code Insights one id per
// annotation, never the items. A writer passes over the items more than once (counts before
// the items they head, SARIF rules before results); every pass must see the same items in the
// same order.

// Calls `visit` on each item in report order (violations, open, suppressed, resolved; most
// severe first inside each group; the source's order otherwise) until it returns false.
using ReportItemVisitor = std::function<bool(const ReportItem&)>;
struct ReportItems {
  std::function<Status(const ReportItemVisitor& visit)> for_each;
  // How many items for_each yields, when the source knows without a pass (a count over the
  // store); empty: a writer that needs only the number counts in a pass.
  std::function<Result<uint64_t>()> count;
};
using ReportSink = std::function<Status(std::string_view piece)>;

// The document for `head` (its gates, notices, scope...; head.items is ignored) and `items`.
// Byte for byte what the Write* functions below return for a GateReport holding those items.
Status StreamJUnitReport(const GateReport& head, const ReportItems& items, const ReportSink& sink);
Status StreamSarifReport(const GateReport& head, const ReportItems& items, size_t max_results,
                         const ReportSink& sink, uint64_t* truncated, uint64_t* total = nullptr);
Status StreamMarkdownReport(const GateReport& head, const ReportItems& items, const ReportSink& sink,
                            size_t top = 10);
Status StreamCodeInsightsReport(const GateReport& head, const ReportItems& items, const ReportSink& sink);
Status StreamVerdictJson(const GateReport& head, const ReportItems& items, const ReportSink& sink);

// The items of an in-memory report, in report order.
ReportItems ItemsOf(const GateReport& r);

// Each returns the whole document. Deterministic for a given input (no clock reads).
std::string WriteJUnitReport(const GateReport& r);
// At most `max_results` results per run (GitHub accepts 25,000); `*truncated` tells how many
// were left out so the caller can warn.
std::string WriteSarifReport(const GateReport& r, size_t max_results, uint64_t* truncated);
std::string WriteMarkdownReport(const GateReport& r, size_t top = 10);
std::string WriteCodeInsightsReport(const GateReport& r);
std::string WriteVerdictJson(const GateReport& r);

}  // namespace findex
