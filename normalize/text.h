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

// Text from reports made safe for a terminal: C0 controls (ESC, BEL, NUL, ...), DEL, C1
// controls (U+0080-U+009F), bidirectional overrides (U+202A-U+202E, U+2066-U+2069) and invalid
// UTF-8 bytes are shown as visible escapes (`\x1b`, `\u009b`, `\u202e`), so that no OSC, CSI or
// BEL sequence reaches the terminal. Tab, CR and LF become a space, unless `multiline`, which
// keeps LF and tab. Printable text, including valid non-ASCII UTF-8, is unchanged.
std::string SanitizeForTerminal(std::string_view s, bool multiline = false);

// A CSV cell that a spreadsheet would run as a formula (it starts with '=', '+', '-', '@', tab
// or CR) gets a leading single quote, as OWASP's "CSV injection" guidance recommends. Other
// cells, and plain numbers such as -12 or +3.5, are unchanged (this is the cell's text; CSV quoting is the writer's job).
std::string NeutralizeCsvCell(std::string_view s);

// Trivy/AVD check ids: "KSV001", "AVD-KSV-0001", "KSV-0001" -> "KSV-0001"; other ids unchanged.
// Shared by the Trivy ingester and the .trivyignore reader, which must agree.
std::string CanonicalCheckId(std::string_view raw);

}  // namespace findex
