#include "rules/gate.h"

#include <algorithm>

#include <fmt/format.h>

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
    out += fmt::format("  {:<13} {:<16} {}{}\n      at {}  id {}\n", ToString(h.label), h.scanner,
                       h.is_new ? "[new] " : "", h.title.substr(0, 120), h.location.empty() ? "-" : h.location, h.id);
  }
  if (v.worst.size() < v.violations) out += fmt::format("  ... and {} more\n", v.violations - v.worst.size());
  return out;
}

}  // namespace findex
