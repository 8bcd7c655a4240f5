// Policy as code: severity overrides, suppressions that expire, automation rules and named
// gates, read from findex.yml (and from .codeguru-ignore.yml / .trivyignore files teams
// already have). Applied in this order: overrides, suppressions, automation rules.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "normalize/finding.h"
#include "normalize/finding_columns.h"
#include "normalize/result.h"
#include "rules/action.h"
#include "normalize/sla.h"

namespace re2 {
class RE2;
}

namespace findex {

class VexSet;  // rules/vex.h

struct SourcePos {
  std::string file;
  int line = 0;    // 1-based; 0: unknown
  int column = 0;  // 1-based
};

// A policy error or warning, printed as "file:line:col: error P003: message".
struct Diagnostic {
  enum class Level { kError, kWarning };
  Level level = Level::kError;
  SourcePos pos;
  std::string code;  // stable, e.g. "P001"; documented in README
  std::string message;
  std::string ToString() const;
};

// All conditions that are set must hold; a list means "any of". Empty matcher: matches all.
struct Matcher {
  std::vector<std::string> ids;       // ASFF Id, or fingerprint hex prefix (8+ chars)
  std::vector<std::string> scanners;  // "zap", "trivy", ... (case-insensitive)
  std::vector<std::string> rules;     // GeneratorId / rule id; glob (* ?)
  std::vector<std::string> vulns;     // CVE-/GHSA-/scanner ids of Vulnerabilities (case-insensitive)
  std::vector<std::string> cwes;      // "CWE-79" or "79"
  std::vector<std::string> packages;  // "name" or "name@version" (name case-insensitive)
  std::vector<std::string> paths;     // glob over the file path (and package file paths): * ? **
  std::vector<std::string> url_prefixes;
  std::vector<std::string> resources;  // glob over any resource id
  std::vector<std::string> scopes;     // glob over the scope
  std::vector<std::string> tags;       // CodeGuru tags / ASFF Types substrings (case-insensitive)
  std::shared_ptr<const re2::RE2> title_regex;
  std::string title_regex_text;
  std::optional<SeverityLabel> severity_at_least, severity_at_most;
  // Exploitation data (SummarizeExploit, normalize/exploit.h): `kev: true` listed in CISA KEV,
  // `kev: false` known not listed; EPSS score / percentile at least this (0..1). No data matches
  // none of them (neither kev: true nor kev: false, nor any threshold).
  std::optional<bool> kev;
  std::optional<double> epss_at_least, epss_percentile_at_least;

  bool Matches(const Finding& f) const;
  bool empty() const;
};

struct SeverityOverride {
  std::string name;
  Matcher match;
  SeverityLabel label = SeverityLabel::kInformational;
  SourcePos pos;
};

struct Suppression {
  std::string name;
  Matcher match;
  std::string reason;  // required in findex.yml
  std::string owner;
  std::string expires;     // as written (YYYY-MM-DD or RFC 3339); empty: never
  int64_t expires_ms = -1; // first instant at which it no longer applies; < 0: never
  SourcePos pos;
};

struct AutomationRule {
  std::string name;
  Matcher match;
  bool terminal = false;  // no later rule applies to a finding this one matched
  std::optional<SeverityLabel> severity;
  std::optional<WorkflowStatus> workflow;
  std::optional<std::string> note;
  std::map<std::string, std::string> user_defined_fields;
  SourcePos pos;
};

struct GateDef {
  std::string name;
  std::map<SeverityLabel, int64_t> max;  // at most this many findings of exactly this label
  bool new_only = false;    // not active at the scope's last passing gate, or absent from `baseline`
  std::string baseline;     // scope whose active findings count as existing, e.g. "repo:main"
  bool fixable_only = false;  // only findings with a fixed version / fix available
  Matcher match;            // which findings the gate looks at (scanner, path, ...)
  // `sla: breached` (or a list: breached, due_soon, ok): only findings in one of these SLA states
  // count (normalize/sla.h, the policy's `sla:`; a gate with it needs one). Empty: any.
  std::vector<SlaState> sla;
  SourcePos pos;
};

// A response action (issue 12): what to send where (rules/action.h, delivered by
// rules/deliver.h) for the findings `match` selects, on the events `def.on` names.
struct PolicyAction {
  ActionDef def;
  Matcher match;  // at the finding's effective severity (after overrides and rules)
  SourcePos pos;
};

struct Policy {
  std::vector<std::string> files;  // every file read, in order
  std::vector<SeverityOverride> overrides;
  std::vector<Suppression> suppressions;
  std::vector<AutomationRule> rules;
  std::vector<GateDef> gates;
  std::vector<PolicyAction> actions;
  // `sla:` (README "SLA"): days per severity, `kev: due_date`, `due_soon: N`. Several files: a
  // later file's value wins per key. Not in Hash: it changes no stored decision.
  std::optional<SlaPolicy> sla;
  SourcePos sla_pos;
  // VEX statements (rules/vex.h): from the policy's `vex: [files]` and `findex ingest --vex`
  // (LoadVexIntoPolicy); null: none. Applied after the suppressions, before the automation rules.
  std::shared_ptr<VexSet> vex;
  // Stable hash of everything that changes what ingest stores (gates excluded): a
  // byte-identical report re-ingested under another policy is not a no-op.
  uint64_t Hash() const;
  bool empty() const;
};

// Reads one policy file into `policy`, choosing the reader by name: "trivyignore" in the name
// (.yaml/.yml: the YAML form), "codeguru-ignore" in the name, anything else is findex.yml syntax.
// Appends every diagnostic; returns an error (kInvalidArgument) when any error was found.
Status LoadPolicyFile(const std::string& path, Policy* policy, std::vector<Diagnostic>* diags);
// findex.yml syntax from memory (`file` names it in diagnostics).
Status LoadPolicyText(const std::string& text, const std::string& file, Policy* policy,
                      std::vector<Diagnostic>* diags);
// The files of the working directory read when no --policy is given: findex.yml,
// .codeguru-ignore.yml, .trivyignore, .trivyignore.yaml (those that exist).
std::vector<std::string> DiscoverPolicyFiles(const std::string& dir);

// Readers for the files teams already have (rules/ignore_files.cpp).
Status LoadCodeGuruIgnore(const std::string& text, const std::string& file, Policy* policy,
                          std::vector<Diagnostic>* diags);
Status LoadTrivyIgnore(const std::string& text, const std::string& file, Policy* policy,
                       std::vector<Diagnostic>* diags);
Status LoadTrivyIgnoreYaml(const std::string& text, const std::string& file, Policy* policy,
                           std::vector<Diagnostic>* diags);

// Applies overrides, suppressions and automation rules to `f` as the scanner and lifecycle left
// it (f.severity.label: scanner label; f.workflow: lifecycle status), at time `now_ms`.
// Deterministic: same policy, finding and time give the same decision.
PolicyDecision Evaluate(const Policy& policy, const Finding& f, int64_t now_ms);

// The same decision over matcher outcomes instead of a Finding (rules/policy_sql.h evaluates
// matchers on store columns): `match(kind, index, label)` tells whether entry `index` of the
// policy's overrides / suppressions / rules matches the finding at severity `label`: 1 yes, 0 no,
// -1 unknown. kVex (index 0; asked only when the policy has VEX statements): 1 + the index in
// policy.vex of the statement that decides (VexSet::Decide), 0 none, -1 unknown. nullopt when an outcome the decision depends on is unknown. Evaluate is this with
// Matcher::Matches; one implementation, so that both give the same decisions.
enum class MatcherKind { kOverride, kSuppression, kRule, kVex };
using MatchOracle = std::function<int(MatcherKind kind, size_t index, SeverityLabel label)>;
std::optional<PolicyDecision> EvaluateWith(const Policy& policy, SeverityLabel base, WorkflowStatus lifecycle,
                                           int64_t now_ms, const MatchOracle& match);

// The matcher's severity range (severity_at_least / severity_at_most) holds at `label`.
bool SeverityInRange(const Matcher& m, SeverityLabel label);
// The matcher at `label`, over a finding (Matcher::Matches uses f.severity.label).
bool MatchesAtLabel(const Matcher& m, const Finding& f, SeverityLabel label);

// The ProductFields keys matchers read (tag lists, CodeGuru recommendation ids): whoever trims
// findings before matching must keep them.

// Levenshtein distance, and the candidate closest to `word` (case-insensitive) when it is close
// enough to be a typo ("" otherwise): the "did you mean" of policy keys and gate scopes.
size_t EditDistance(std::string_view a, std::string_view b);
std::string ClosestName(std::string_view word, const std::vector<std::string>& candidates);

// Glob over '/'-separated paths: '*' and '?' stay inside a segment, "**" spans segments.
bool GlobMatch(std::string_view pattern, std::string_view text);
// The glob of rule, scope and resource matchers: '*' any bytes, '?' one byte, case-sensitive.
bool WildcardMatch(std::string_view pattern, std::string_view text);

// "2026-12-31" (end of that day, UTC: valid through it) or RFC 3339 -> the first instant at
// which an expiry no longer holds, in Unix ms.
std::optional<int64_t> ParseExpiry(std::string_view s);

}  // namespace findex
