// Writes a Finding as ASFF JSON.
#pragma once

#include <string>

#include "normalize/finding.h"
#include "normalize/json_writer.h"

namespace findex {

struct AsffWriteOptions {
  // Export: apply Security Hub limits (Title 256, Description 1024, Resources 32,
  // ProductFields 50 / 2048 chars). Store: keep everything (full text round-trips).
  bool apply_limits = true;
  int indent = -1;  // < 0 compact
};

void WriteAsff(const Finding& f, JsonWriter& w, const AsffWriteOptions& opts);
std::string ToAsffJson(const Finding& f, const AsffWriteOptions& opts = {});

// ProductFields keys findex adds (prefix "findex/"): round-tripped by the ASFF reader.
inline constexpr std::string_view kPfScanner = "findex/Scanner";
inline constexpr std::string_view kPfFormat = "findex/Format";
inline constexpr std::string_view kPfFingerprint = "findex/Fingerprint";
inline constexpr std::string_view kPfScope = "findex/Scope";
inline constexpr std::string_view kPfCwes = "findex/CWEs";
inline constexpr std::string_view kPfFilePath = "findex/FilePath";
inline constexpr std::string_view kPfStartLine = "findex/StartLine";
inline constexpr std::string_view kPfEndLine = "findex/EndLine";
inline constexpr std::string_view kPfUrl = "findex/Url";
inline constexpr std::string_view kPfResourceCount = "findex/ResourceCount";
inline constexpr std::string_view kPfOccurrences = "findex/Occurrences";
inline constexpr std::string_view kPfSources = "findex/Sources";
// Exploitation data that ASFF has no member for (issue 11), rendered from SummarizeExploit of
// the finding as written, never stored in product_fields: "true" / the earliest CISA due date /
// "true"|"false", only when some vulnerability is listed in CISA KEV; the highest EPSS
// percentile when known. The reader puts them back on a vulnerability (asff_reader.cpp).
inline constexpr std::string_view kPfKev = "findex/kev";
inline constexpr std::string_view kPfKevDue = "findex/kev_due";
inline constexpr std::string_view kPfRansomware = "findex/ransomware";
inline constexpr std::string_view kPfEpssPercentile = "findex/epss_percentile";

}  // namespace findex
