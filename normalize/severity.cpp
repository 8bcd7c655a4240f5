#include "normalize/severity.h"

#include <algorithm>

#include "normalize/text.h"

namespace findex {

std::string_view ToString(SeverityLabel l) {
  switch (l) {
    case SeverityLabel::kInformational: return "INFORMATIONAL";
    case SeverityLabel::kLow: return "LOW";
    case SeverityLabel::kMedium: return "MEDIUM";
    case SeverityLabel::kHigh: return "HIGH";
    case SeverityLabel::kCritical: return "CRITICAL";
  }
  return "INFORMATIONAL";
}

std::optional<SeverityLabel> ParseSeverityLabel(std::string_view s) {
  // Aliases seen across scanners; per-tool meanings that differ (SonarQube's CRITICAL is HIGH)
  // live in that tool's ingester, not here.
  static const struct { std::string_view name; SeverityLabel label; } kNames[] = {
      {"informational", SeverityLabel::kInformational}, {"info", SeverityLabel::kInformational},
      {"information", SeverityLabel::kInformational},   {"none", SeverityLabel::kInformational},
      {"low", SeverityLabel::kLow},                     {"minor", SeverityLabel::kLow},
      {"medium", SeverityLabel::kMedium},               {"moderate", SeverityLabel::kMedium},
      {"major", SeverityLabel::kMedium},                {"high", SeverityLabel::kHigh},
      {"critical", SeverityLabel::kCritical},           {"blocker", SeverityLabel::kCritical},
  };
  std::string t = Trim(s);
  for (const auto& n : kNames) {
    if (EqualsIgnoreCase(t, n.name)) return n.label;
  }
  return std::nullopt;
}

int DefaultNormalized(SeverityLabel l) {
  switch (l) {
    case SeverityLabel::kInformational: return 0;
    case SeverityLabel::kLow: return 30;
    case SeverityLabel::kMedium: return 50;
    case SeverityLabel::kHigh: return 80;
    case SeverityLabel::kCritical: return 95;
  }
  return 0;
}

SeverityLabel LabelForNormalized(int n) {
  if (n <= 0) return SeverityLabel::kInformational;
  if (n <= 39) return SeverityLabel::kLow;
  if (n <= 69) return SeverityLabel::kMedium;
  if (n <= 89) return SeverityLabel::kHigh;
  return SeverityLabel::kCritical;
}

SeverityLabel LabelForCvss3(double score) {
  if (score >= 9.0) return SeverityLabel::kCritical;
  if (score >= 7.0) return SeverityLabel::kHigh;
  if (score >= 4.0) return SeverityLabel::kMedium;
  if (score > 0.0) return SeverityLabel::kLow;
  return SeverityLabel::kInformational;
}

SeverityLabel LabelForCvss2(double score) {
  if (score >= 7.0) return SeverityLabel::kHigh;
  if (score >= 4.0) return SeverityLabel::kMedium;
  if (score > 0.0) return SeverityLabel::kLow;
  return SeverityLabel::kInformational;
}

int NormalizedForScore(double score, SeverityLabel label) {
  static const int kLo[] = {0, 1, 40, 70, 90};
  static const int kHi[] = {0, 39, 69, 89, 100};
  int idx = static_cast<int>(label);
  int n = static_cast<int>(score * 10.0 + 0.5);
  return std::clamp(n, kLo[idx], kHi[idx]);
}

}  // namespace findex
