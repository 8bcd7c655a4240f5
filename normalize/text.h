// Text helpers shared by ingesters and writers.
#pragma once

#include <string>
#include <string_view>

namespace findex {

// Length of the valid UTF-8 sequence starting at s[0]; 0 when invalid or empty.
size_t Utf8SequenceLength(std::string_view s);
// Number of Unicode code points (invalid bytes count one each).
size_t Utf8Length(std::string_view s);
// At most `max_chars` code points; when cut, ends with kTruncationMarker (counted in the limit).
std::string TruncateUtf8(std::string_view s, size_t max_chars);
inline constexpr std::string_view kTruncationMarker = "…[truncated]";

// HTML to plain text for scanner descriptions (ZAP, Dependency-Check, CodeGuru): drops tags,
// decodes the common entities, turns <p>/<br>/<li> into line breaks, trims.
std::string HtmlToText(std::string_view html);
// Collapses runs of whitespace to one space and trims.
std::string CollapseWhitespace(std::string_view s);
std::string Trim(std::string_view s);
std::string ToLower(std::string_view s);
std::string ToUpper(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool StartsWith(std::string_view s, std::string_view prefix);

// Trivy/AVD check ids: "KSV001", "AVD-KSV-0001", "KSV-0001" -> "KSV-0001"; other ids unchanged.
// Shared by the Trivy ingester and the .trivyignore reader, which must agree.
std::string CanonicalCheckId(std::string_view raw);

}  // namespace findex
