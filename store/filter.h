// Finding filters shared by query, export and gate, compiled to a parameterized WHERE clause.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "normalize/finding.h"
#include "normalize/result.h"

namespace findex {

struct FindingFilter {
  std::optional<SeverityLabel> min_severity;
  std::optional<SeverityLabel> max_severity;
  std::vector<std::string> scanners;      // any of
  std::vector<std::string> scopes;        // any of
  std::vector<std::string> states;        // ACTIVE/ARCHIVED or NEW/NOTIFIED/RESOLVED/SUPPRESSED; any of
  std::string title_contains;             // case-insensitive substring
  std::string resource_contains;          // substring of the first resource id or file path / URL
  std::string vuln_id;                    // CVE/GHSA, exact (case-insensitive)
  std::string package;                    // package name, exact (case-insensitive)
  std::string id;                         // ASFF Id or fingerprint prefix
  bool new_in_latest_run = false;         // first seen in the latest run of its scope
  std::string order_by = "severity";      // severity | updated | title | scanner
  int64_t limit = -1;
};

struct GroupCount {
  std::string key;
  uint64_t count = 0;
};

struct SqlWhere {
  std::string clause;                 // "WHERE ..." or ""
  std::vector<std::string> params;    // bound as text, in order (?1..)
  std::vector<int64_t> int_params;    // bound after text params
};

Result<SqlWhere> CompileFilter(const FindingFilter& f);
// Column for --group-by; error for unknown fields.
Result<std::string> GroupByColumn(const std::string& field);
std::vector<std::string> GroupByFields();

}  // namespace findex
