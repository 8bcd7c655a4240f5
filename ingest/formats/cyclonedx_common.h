// CycloneDX pieces shared by the CycloneDX reader (ingest/formats/cyclonedx.cpp) and any other
// consumer of CycloneDX VEX data (e.g. `--vex` input): the VEX `analysis` -> suppression decision
// and the rating -> severity mapping. Header-only, no I/O.
//
// VEX analysis (CycloneDX 1.4-1.6 "vulnerabilities[].analysis",
// https://cyclonedx.org/docs/1.6/json/#vulnerabilities_items_analysis):
//   state: resolved, resolved_with_pedigree, exploitable, in_triage, false_positive, not_affected
//   justification: code_not_present, code_not_reachable, requires_configuration,
//     requires_dependency, requires_environment, protected_by_compiler, protected_at_runtime,
//     protected_at_perimeter, protected_by_mitigating_control
//   response[]: can_not_fix, will_not_fix, update, rollback, workaround_available
//   detail (free text), firstIssued / lastUpdated (1.5+)
// Suppressed: not_affected, false_positive, resolved, resolved_with_pedigree (the producer says
// the component is not, or no longer, exposed). exploitable, in_triage, a missing or unknown
// state: an open finding. The note names the state, the justification and the detail.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "normalize/severity.h"
#include "normalize/text.h"

namespace findex::cdx {

struct VexAnalysis {
  std::string state, justification, detail, last_updated;
  std::vector<std::string> responses;
  bool empty() const { return state.empty() && justification.empty() && detail.empty() && responses.empty(); }
};

struct VexDecision {
  bool suppressed = false;
  std::string note;  // "" when there is no analysis to report
};

inline bool IsSuppressingState(std::string_view state) {
  std::string s = ToLower(Trim(state));
  return s == "not_affected" || s == "false_positive" || s == "resolved" || s == "resolved_with_pedigree";
}

// The suppression decision for one CycloneDX VEX analysis. The note is e.g.
// "CycloneDX VEX analysis: not_affected; justification: code_not_reachable; response: will_not_fix,
// update; detail: <text>".
inline VexDecision DecideVex(const VexAnalysis& a) {
  VexDecision d;
  if (a.empty()) return d;
  d.suppressed = IsSuppressingState(a.state);
  std::string note = "CycloneDX VEX analysis: " + (Trim(a.state).empty() ? std::string("(no state)") : Trim(a.state));
  if (!Trim(a.justification).empty()) note += "; justification: " + Trim(a.justification);
  if (!a.responses.empty()) {
    note += "; response: ";
    for (size_t i = 0; i < a.responses.size(); ++i) note += (i ? ", " : "") + Trim(a.responses[i]);
  }
  if (!Trim(a.detail).empty()) note += "; detail: " + Trim(a.detail);
  d.note = std::move(note);
  return d;
}

// A rating's severity word (critical, high, medium, low, info, none, unknown; the 1.0 vulnerability
// extension capitalises them). Returns false when the word is empty or not one of them; "unknown"
// is reported through *unknown (INFORMATIONAL, but weaker than a score: see cyclonedx.cpp).
inline bool RatingSeverity(std::string_view word, SeverityLabel* out, bool* unknown) {
  std::string w = ToLower(Trim(word));
  *unknown = false;
  if (w == "critical") *out = SeverityLabel::kCritical;
  else if (w == "high") *out = SeverityLabel::kHigh;
  else if (w == "medium") *out = SeverityLabel::kMedium;
  else if (w == "low") *out = SeverityLabel::kLow;
  else if (w == "info" || w == "none") *out = SeverityLabel::kInformational;
  else if (w == "unknown") {
    *out = SeverityLabel::kInformational;
    *unknown = true;
  } else {
    return false;
  }
  return true;
}

}  // namespace findex::cdx
