// Findings for files a scanner could not read (Bandit errors[], Checkov parsing_errors): a scan
// gap must be visible, never look like a clean file.
#pragma once

#include <string>
#include <string_view>

#include "normalize/finding.h"

namespace findex {

// An INFORMATIONAL finding about `file`, identified by (scanner, rule, file, anchor), with the
// file as its location and resource; the caller adds title, description, remediation and
// product fields.
Finding ScanGapFinding(std::string_view scanner, std::string_view rule, std::string_view product,
                       std::string_view company, const std::string& file, std::string_view anchor);

}  // namespace findex
