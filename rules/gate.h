// Gate thresholds: which active, unsuppressed findings fail a CI build.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "normalize/severity.h"

namespace findex {

struct GateSpec {
  SeverityLabel fail_on = SeverityLabel::kCritical;  // at or above this label fails
  bool new_only = false;  // only findings first seen in the latest run of the scope
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

// Builds the verdict from what the store found (active, not suppressed, label >= fail_on,
// new-only when asked): the total, counts per label, and the most severe findings to list.
GateVerdict MakeVerdict(const GateSpec& spec, std::vector<GateHit> hits, uint64_t total_violations,
                        const std::vector<std::pair<SeverityLabel, uint64_t>>& by_label, size_t display_cap = 20);
std::string FormatVerdict(const GateSpec& spec, const GateVerdict& v);

}  // namespace findex
