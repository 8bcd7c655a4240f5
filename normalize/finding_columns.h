// What a finding row holds for policy matchers beyond its core columns (store schema 6): pure
// functions of a Finding, shared by ingest and the upgrade (store) and by the policy's SQL
// (rules/policy_sql.h documents the column contract).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "normalize/finding.h"

namespace findex {

// Path matcher normalization: leading "./" removed (pattern and path alike).
std::string_view StripDotSlash(std::string_view s);
// "79", "cwe-79", " CWE-79 " -> "CWE-79" (the number part as written); compared case-insensitively.
std::string NormalizeCwe(std::string_view s);
// Product fields a matcher reads (codeguru/RecommendationId, *tags).
bool MatcherReadsProductField(std::string_view key);
// The lower-cased tag tokens the `tag` matcher compares with (ASFF Types' last segment, and the
// comma/space/semicolon-separated tokens of *tags product fields).
std::vector<std::string> TagTokens(const Finding& f);
// True when a fix exists: FixAvailable YES/PARTIAL or a FixedInVersion on a vulnerable package.
bool IsFixable(const Finding& f);

// The policy columns of a finding, in the order kPolicyColumns names them (rules/policy_sql.h:
// lists as US-separated entries, url, rec_ids, fixable as "0"/"1").
inline constexpr const char* kPolicyColumns[] = {"cwes", "vuln_ids", "packages", "file_paths", "resource_ids",
                                                 "tags", "url", "rec_ids", "fixable"};
std::vector<std::string> PolicyColumnValues(const Finding& f);

}  // namespace findex
