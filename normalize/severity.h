// One severity name table for findex; parsed case-insensitively.
// ASFF bands: 0 INFORMATIONAL, 1-39 LOW, 40-69 MEDIUM, 70-89 HIGH, 90-100 CRITICAL.
#pragma once

#include <optional>
#include <string_view>

namespace findex {

enum class SeverityLabel { kInformational = 0, kLow = 1, kMedium = 2, kHigh = 3, kCritical = 4 };

std::string_view ToString(SeverityLabel l);  // "INFORMATIONAL", ...
// Accepts the ASFF labels and common aliases: info, informational, note, none, low, minor,
// medium, moderate, major, warning, high, critical, blocker (case-insensitive).
std::optional<SeverityLabel> ParseSeverityLabel(std::string_view s);

// The Normalized value findex writes for a label: midpoint-ish representative per band.
int DefaultNormalized(SeverityLabel l);   // 0, 30, 50, 80, 95
SeverityLabel LabelForNormalized(int normalized);  // clamps to 0..100

// CVSS v3/v4 base score bands (FIRST): >= 9.0 CRITICAL, >= 7.0 HIGH, >= 4.0 MEDIUM, > 0 LOW.
SeverityLabel LabelForCvss3(double score);
// CVSS v2 (NVD): >= 7.0 HIGH, >= 4.0 MEDIUM, > 0 LOW, 0 INFORMATIONAL.
SeverityLabel LabelForCvss2(double score);
// Normalized value for a CVSS score: score x 10, clamped into the label's band.
int NormalizedForScore(double score, SeverityLabel label);

}  // namespace findex
