// VEX statements as policy input (README "### VEX"): which statement decides for a finding, and
// what it decides. Documents are read by rules/vex_document.h; they come from `findex ingest --vex FILE`
// (and `findex gate --vex FILE`) and from the policy's `vex: [files]` (paths relative to the
// policy file), and are part of the Policy (Policy::vex), applied by Evaluate after the
// policy's suppressions and before its automation rules.
//
// A statement applies to a finding when
//   - one of the finding's vulnerabilities has the statement's vulnerability or one of its
//     aliases as its id or as a related id (case-insensitive): a statement naming a GHSA id
//     applies to a CVE finding that lists that GHSA id, and the other way round;
//   - and that vulnerability's package is one of the statement's products (purls: products,
//     their subcomponents, identifiers.purl; CycloneDX affects[].ref resolved to the
//     component's purl): same ecosystem (purl type, CanonicalEcosystem; not compared when the
//     finding's package names none), same name (case-insensitive), and, when the purl has a
//     version, the same version: pkg:npm/foo@1.2.3 is foo 1.2.3 only, pkg:npm/foo every foo.
//     The finding's package is its purl (the reader's, or the `<scanner>/Purl` product field),
//     else its package manager, name and version.
// Of the statements that apply, the newest decides (statement timestamp, else its document's;
// undated ones are older than any dated one; a tie goes to the one read later: later --vex,
// later in the file). What it decides:
//   not_affected, false_positive   SUPPRESSED (no expiry), the note says why (justification,
//                                  impact statement), `policy` names "vex:FILE"
//   fixed                          RESOLVED, with a note
//   affected, under_investigation  a note only (unless the finding is suppressed)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "rules/vex_document.h"
#include "normalize/finding.h"
#include "normalize/fingerprint.h"
#include "normalize/result.h"

namespace findex {

struct Diagnostic;
struct Policy;

// One statement as the policy holds it.
struct VexRule {
  VexStatement st;
  std::string file;                 // the document's path as given
  std::vector<PackageId> products;  // parsed st.products
};

class VexSet {
 public:
  // Appends a document's statements (after those already held: later ones win ties).
  void Add(const VexDocument& doc);
  bool empty() const { return rules_.empty(); }
  size_t size() const { return rules_.size(); }
  const VexRule& at(size_t i) const { return rules_[i]; }
  const std::vector<std::string>& files() const { return files_; }
  // Index of the statement that decides for `f` (see above); -1: none applies.
  int64_t Decide(const Finding& f) const;
  // Every vulnerability id and alias, upper-cased (SQL pre-filter of the gate).
  std::vector<std::string> VulnIds() const;
  // Everything a decision reads, for Policy::Hash.
  std::string Identity() const;

 private:
  std::vector<VexRule> rules_;
  std::vector<std::string> files_;
  std::unordered_map<std::string, std::vector<uint32_t>> by_vuln_;  // upper-cased id or alias
};

// Whether `r` applies to `f` (vulnerability and product; no timestamps).
bool VexApplies(const VexRule& r, const Finding& f);
// Whether the purl `want` names the package `have` (ecosystem, name, version when `want` has one).
bool VexPackageMatches(const PackageId& want, const PackageId& have);

// What a deciding statement does.
struct VexEffect {
  std::optional<WorkflowStatus> workflow;  // SUPPRESSED, RESOLVED, or none (a note only)
  std::string note;
  std::string applied;  // "vex:FILE"
};
VexEffect EffectOf(const VexRule& r);

// Reads a VEX document into policy->vex. Problems become diagnostics (file:line:col, or the
// file and the JSON path in the message). An error when the document has any error (it is then
// not used).
Status LoadVexIntoPolicy(const std::string& path, Policy* policy, std::vector<Diagnostic>* diags);

}  // namespace findex
