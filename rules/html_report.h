// `findex report`'s page (issue 11): one self-contained HTML file. The data (store/report_data.h)
// is embedded as JSON in <script type="application/json">; the page's own script (rules/assets/)
// draws the charts as inline SVG and the findings table with DOM calls that set text, never
// HTML, so that titles and paths from scanners' reports stay text. A Content-Security-Policy
// meta forbids every fetch: nothing is loaded from the network or the disk.
#pragma once

#include <string>
#include <string_view>

#include "store/report_data.h"

namespace findex {

// Groups (scanners, scopes) the page shows by name; the rest are summed as one "other" entry.
inline constexpr size_t kHtmlReportMaxGroups = 25;

// The embedded data as JSON (plain JSON; see EscapeForScript).
std::string HtmlReportJson(const ReportData& d);
// JSON made safe inside <script>: '<', '>' and '&' as \u003c \u003e \u0026, U+2028/U+2029 as
// \u2028/\u2029 (still the same JSON value), so that no "</script>" or "<!--" can occur.
std::string EscapeForScript(std::string_view json);
// The whole page.
std::string WriteHtmlReport(const ReportData& d);

}  // namespace findex
