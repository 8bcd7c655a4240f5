// Finding filters shared by query, export and gate, compiled to a parameterized WHERE clause.
#pragma once

#include <optional>
#include <string>
#include <string_view>
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
  std::string order_by = "severity";      // severity | updated | title | scanner | first-seen
  int64_t limit = -1;
  // Filter-language expression (CompileExpression), ANDed with the fields above; empty: none.
  std::string expression;
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

// The filter language of `findex query EXPR`:
//   expr   := or ;  or := and (("or" | "||") and)* ;  and := unary (("and" | "&&") unary)*
//   unary  := ("not" | "!") unary | "(" expr ")" | FIELD OP VALUE | FIELD ["not"] "in" "(" VALUE ("," VALUE)* ")"
//   OP     := = | == | != | < | <= | > | >= | ~ (glob) | !~ (not glob)
//   VALUE  := bare word | "double-quoted" (\" and \\ escapes)
// Keywords are case-insensitive. Compiles to a parameterized condition over the findings table
// (clause without "WHERE"; empty for a blank expression). Errors carry where = "query: LINE:COL".
Result<SqlWhere> CompileExpression(std::string_view expr);
// Field names of the language, for help text and "did you mean".
std::vector<std::string> ExpressionFields();

// Glob of the language (`field ~ "pattern"`): `*` any run of characters except '/', `**` any run
// including '/', `**/` zero or more whole directories, `?` one character except '/', `\x` the
// character x. The whole text must match. With `segments` false (fields that are not paths:
// title, rule, ...) '/' is an ordinary character: `*` and `**` match any run, `?` any character.
bool GlobMatch(std::string_view pattern, std::string_view text, bool segments = true);

}  // namespace findex

struct sqlite3;

namespace findex {

// Registers findex_glob(pattern, text[, segments]) (GlobMatch; NULL text -> 0) on a connection. filter.cpp
// also installs it as an SQLite auto-extension at start-up, so every connection the process
// opens has it (Store::Open needs no change) and `findex sql` users can call it too.
int RegisterFilterFunctions(sqlite3* db);

}  // namespace findex
