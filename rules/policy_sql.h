// Policy matchers compiled to SQL over the findings table's columns, so that a gate (or any
// policy query) evaluates a policy where the data is instead of decoding every finding.
//
// Each matcher compiles to one SQL expression over the column contract below, without its
// severity range (the label a matcher sees depends on the severity overrides before it; the
// range is checked in C++ by EvaluateWith). The expression is three-valued:
//   1     the matcher's other conditions hold,
//   0     they do not,
//   NULL  the columns cannot tell (a condition needs data that is not a column): the caller
//         reads that one finding in full and evaluates it in C++ (Matcher::Matches).
// SQL's AND / OR are Kleene logic, so one unknown condition only matters when the others do
// not decide: `scanner: zap, cwe: 79` is 0 for every non-ZAP finding without knowing its CWEs.
//
// Column contract (findings table). Always present (store schema 5):
//   scope TEXT, scanner TEXT, generator_id TEXT, title TEXT (untruncated), asff_id TEXT,
//   fingerprint BLOB (16 bytes), location TEXT NULL (file_path[:start_line], else the URL),
//   resource_id TEXT NULL (the first resource's id), vuln_id TEXT NULL (the first
//   vulnerability's id, upper-cased), package TEXT NULL (its first package's name).
// Optional (used when the table has them, e.g. a later schema; values as PolicyColumnValues):
//   cwes, vuln_ids, packages, file_paths, resource_ids, tags, rec_ids: lists, each entry
//     followed by US (0x1f) and the list preceded by one: "\x1fCWE-79\x1fCWE-89\x1f"; "" for
//     none. cwes: NormalizeCwe, upper-cased; vuln_ids: every vulnerability id and related id,
//     upper-cased; packages: per package lower(name) and lower(name) RS (0x1e) version;
//     file_paths: Location.file_path and every package's file path, without leading "./";
//     resource_ids: every resource id; tags: TagTokens; rec_ids: the CodeGuru RecommendationId
//     product field when present;
//   url TEXT (Location.url, "" none); fixable INTEGER (IsFixable: 0/1).
// An optional column is used only when every one of them is present (ColumnSet::full).
//
// SQL functions the expressions call (PolicySqlFunctions; the caller registers them):
//   findex_re(pattern, text)             RE2 partial match (title_regex)
//   findex_wild(pattern, text)           WildcardMatch (rule, scope and resource globs whose
//                                        pattern GLOB cannot express byte for byte)
//   findex_path_loc(pattern, location, vuln_id)  path glob over schema 5's location column
//   findex_path_any(pattern, list)       path glob over any entry of file_paths
//   findex_wild_any(pattern, list)       WildcardMatch over any entry of resource_ids
//   findex_prefix_any(prefix, list)      any entry starts with prefix
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "normalize/finding_columns.h"
#include "rules/policy.h"

namespace findex {

// Which contract columns the store has.
struct ColumnSet {
  bool full = false;  // the optional columns are present
  // Schema 7's kev, epss, epss_percentile (NULL: no data), for the kev / epss_at_least /
  // epss_percentile_at_least matchers; without them those matchers are unknown (NULL).
  bool exploit = false;
  static ColumnSet FromNames(const std::set<std::string>& names);
};

// A matcher without its severity range, as SQL (see above); "1" for a matcher with no other
// condition.
std::string MatcherSql(const Matcher& m, const ColumnSet& cols);

// Every matcher a gate run evaluates, compiled: the policy's overrides, suppressions and
// automation rules, each gate's match, and each fixable_only gate's fix availability.
struct PolicyProgram {
  std::vector<std::string> exprs;  // SELECT expressions, one per slot
  std::vector<int> override_slot, suppression_slot, rule_slot;  // index into exprs
  std::vector<int> gate_slot;      // -1: the gate has no match (everything)
  std::vector<int> fixable_slot;   // -1: not fixable_only
  // The policy's VEX statements (rules/vex.h): 0 when no statement names any of the finding's
  // vulnerability ids, else NULL (the finding is read in full and VexSet::Decide decides);
  // -1: the policy has none.
  int vex_slot = -1;
};
PolicyProgram CompilePolicy(const Policy* policy, const std::vector<GateDef>& gates, const ColumnSet& cols);

// A registered SQL function: arguments as text (nullopt: SQL NULL); returns 1, 0 or -1 (NULL).
using SqlFunctionImpl = std::function<int(const std::vector<std::optional<std::string_view>>& args)>;
struct SqlFunctionDef {
  std::string name;
  int nargs = 0;
  SqlFunctionImpl fn;
};
std::vector<SqlFunctionDef> PolicySqlFunctions();

// The optional contract columns: kPolicyColumns / PolicyColumnValues (normalize/finding_columns.h),
// which ingest stores in them.
inline constexpr const auto& kOptionalColumns = kPolicyColumns;

// SQL string literal: 'it''s'.
std::string SqlQuote(std::string_view s);
// A WildcardMatch pattern as an equivalent SQLite GLOB pattern, when there is one ('?' matches a
// byte in WildcardMatch but a UTF-8 character in GLOB: patterns with '?' or non-ASCII bytes have
// none); nullopt otherwise.
std::optional<std::string> WildcardToGlob(std::string_view pattern);

}  // namespace findex
