// Finding filters shared by query, export and gate, compiled to a parameterized WHERE clause.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "normalize/finding.h"
#include "normalize/result.h"
#include "rules/sla.h"  // SlaPolicy: a plain struct (filter.cpp calls nothing of rules/)

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
  std::string id;                         // finding id as Store::Resolve takes it (IdCondition)
  bool new_in_latest_run = false;         // first seen in the latest run of its scope
  std::string order_by = "severity";      // one of SortKeys()
  int64_t limit = -1;
  // Filter-language expression (CompileExpression), ANDed with the fields above; empty: none.
  std::string expression;
  // Clock of relative times in the expression (now-30d, age>30d), Unix ms; 0: the system clock.
  int64_t now_ms = 0;
  // The policy's `sla:` (README "SLA"), for the fields sla, sla_due, sla_days_left, --sort sla and
  // --group-by sla; those are an error without it (fail closed), never "none".
  std::optional<SlaPolicy> sla;
};

struct GroupCount {
  std::string key;
  uint64_t count = 0;
};

// A value an expression compares a field with (= or in), for callers' checks ("did you mean").
struct FieldValue {
  std::string field;  // canonical field name (aliases resolved)
  std::string value;
  std::string where;  // "query: LINE:COL" of the value
};

struct SqlWhere {
  std::string clause;                 // "WHERE ..." or ""
  std::vector<std::string> params;    // bound as text, in order (?1..)
  std::vector<int64_t> int_params;    // bound after text params
  // CompileExpression only: the fields the expression names (canonical, in order, repeated as
  // written) and the values compared with = or in.
  std::vector<std::string> fields;
  std::vector<FieldValue> values;
};

Result<SqlWhere> CompileFilter(const FindingFilter& f);
// Column for --group-by; error for unknown fields. `filter` gives `sla` its policy and clock
// (without it, or without filter->sla, grouping by sla is an error).
Result<std::string> GroupByColumn(const std::string& field, const FindingFilter* filter = nullptr);
std::vector<std::string> GroupByFields();
// --sort keys, and the " ORDER BY ..." of f.order_by (unknown keys: severity's order). Keys of
// values that may be absent (epss, kev_due, sla...) put the absent ones last.
std::vector<std::string> SortKeys();
std::string OrderByClause(const FindingFilter& f);
// Whether the filter needs an SLA policy: an sla field in its expression, --sort sla(_due) or
// (with group_by) --group-by sla.
bool FilterUsesSla(const FindingFilter& f, const std::string& group_by = "");

// The filter language of `findex query EXPR`:
//   expr   := or ;  or := and (("or" | "||") and)* ;  and := unary (("and" | "&&") unary)*
//   unary  := ("not" | "!") unary | "(" expr ")" | FIELD OP VALUE | FIELD ["not"] "in" "(" VALUE ("," VALUE)* ")"
//   OP     := = | == | != | < | <= | > | >= | ~ (glob) | !~ (not glob)
//   VALUE  := bare word | "double-quoted" (\" and \\ escapes)
// Keywords are case-insensitive. Compiles to a parameterized condition over the findings table
// (clause without "WHERE"; empty for a blank expression). Errors carry where = "query: LINE:COL".
// Time fields (first_seen, last_seen, updated) take an RFC 3339 time, a date (midnight UTC; with
// =, != and in: the whole day), `now`, or now-N / now+N with a unit h, d or w; `age` (time since
// first seen) takes a duration N{h,d,w} with <, <=, >, >=. `now_ms` is the clock (0: the system's).
// Exploitation data (schema 7 columns): kev and ransomware (true / false; "" or unknown: no data),
// kev_due (a date), epss and epss_percentile (numbers 0..1); no data never equals a value nor
// passes a comparison (so `kev!=true` includes no data, `kev=false` does not).
// SLA (needs `sla`, else an error): sla (breached, due_soon, ok, none), sla_due (a time, with <,
// <=, >, >=), sla_days_left (a number of days, negative when breached, with <, <=, >, >=); exactly
// rules/sla.h's ComputeSla of the stored severity and workflow, the clock starting at the
// started_at of run coalesce(active_since_run, first_seen_run), at `now_ms`.
Result<SqlWhere> CompileExpression(std::string_view expr, int64_t now_ms = 0, const SlaPolicy* sla = nullptr);
// Field names of the language, for help text and "did you mean".
std::vector<std::string> ExpressionFields();

// A time of the language (see CompileExpression) as Unix ms; *date_only is set for YYYY-MM-DD.
std::optional<int64_t> ParseFilterTime(std::string_view value, int64_t now_ms, bool* date_only = nullptr);
// A duration N{h,d,w} (N a whole number) in ms.
std::optional<int64_t> ParseFilterDuration(std::string_view value);

// The candidate closest to `value` (ASCII case ignored) when it is close enough to be a typo
// (edit distance <= 2 and less than the value's length); empty otherwise.
std::string ClosestMatch(std::string_view value, const std::vector<std::string>& candidates);

// The condition (no WHERE) selecting a finding by id, as Store::Resolve (triage, history) reads
// one: the ASFF Id, a prefix of it of 15+ characters, a fingerprint prefix or a prefix of the
// hash in the ASFF Id (hex; 8+ digits, or shorter with a letter), or a row id (digits, fewer than 8).
// Binds its values into *params.
std::string IdCondition(const std::string& id, std::vector<std::string>* params);

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
