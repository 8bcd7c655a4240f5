// Stable identity of a finding. An ingester hashes the parts that identify the problem
// (never line numbers that move, timestamps or counters) with a scanner-family prefix:
//   FingerprintOf({"zap", plugin_id, site})
// Parts are joined with a 0x1f separator and hashed with XXH3-128 in one call.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "normalize/finding.h"

namespace findex {

Fingerprint FingerprintOf(std::initializer_list<std::string_view> parts);
Fingerprint FingerprintOfBytes(std::string_view bytes);
// 64-bit content hash (XXH3-64) for change detection and file identity.
uint64_t Hash64(std::string_view bytes);
std::string Hex64(uint64_t v);

// Line-insensitive anchor for SAST findings: the trimmed source line or snippet with
// whitespace collapsed, so a finding that only moved lines keeps its identity.
std::string NormalizeSnippet(std::string_view snippet);

}  // namespace findex

namespace findex {

// Package identity shared by every SCA format, so that Dependency-Check, Trivy, Grype,
// Inspector and SARIF name the same package the same way.
struct PackageId {
  std::string ecosystem;  // purl type: npm, maven, pypi, gem, golang, cargo, nuget, composer, deb, rpm, apk, ...
  std::string name;       // maven: "group:artifact"; npm scoped: "@scope/name"; lower-cased where the ecosystem is case-insensitive
  std::string version;
  bool empty() const { return name.empty(); }
};

// Parses "pkg:type/namespace/name@version?qualifiers#subpath" (percent-decoded).
// Returns an empty PackageId when `purl` is not a purl.
PackageId ParsePurl(std::string_view purl);
// Canonical ecosystem name for a scanner's word ("npm", "node-pkg", "python-pkg", "java-archive",
// "jar", "gobinary", "debian", "alpine", "redhat", ...). Lower-case purl types pass through.
std::string CanonicalEcosystem(std::string_view word);

// Identity of a vulnerability finding: vulnerability id (upper-cased) + package identity.
// Every SCA ingester uses this, which is what makes one finding per real problem across tools.
Fingerprint VulnFingerprint(std::string_view vuln_id, const PackageId& pkg);

// The other identities of a vulnerability finding, for tools whose reports name less than
// others: npm 7+ `npm audit` names the GHSA advisory but neither the CVE nor the installed
// version, so its finding is VulnFingerprint(GHSA, {npm, name, ""}) while Trivy's of the same
// problem is VulnFingerprint(CVE, {npm, name, "1.2.3"}) with the GHSA among its related ids.
// The store (store/store.cpp) lets the two meet through these keys:
// - versioned: the finding's fingerprint names an installed version; `keys` are
//   VulnFingerprint(x, {ecosystem, name, ""}) for x its vulnerability id and each related id,
//   recorded with the stored finding, and looked up as the fingerprint of a versionless finding.
// - versionless: the fingerprint names no version; it is itself such a key.
// Both are known only when the fingerprint is VulnFingerprint of the finding's first
// vulnerability and package as a reader builds it (from the package's purl, else its package
// manager and name): a fingerprint built otherwise (k8s- or location-wrapped, a code finding)
// has neither, and meets other findings only by being equal.
struct AltIdentities {
  bool versionless = false;
  std::vector<Fingerprint> keys;  // versioned only; no duplicates, never the fingerprint itself
};
AltIdentities VulnAltIdentities(const Finding& f);

// Identity of a code finding (SAST/IaC/secrets): tool family + rule + file + anchor, where the
// anchor is line-insensitive when the report allows it (SARIF partialFingerprints, a snippet
// through NormalizeSnippet, or the ordinal of (rule, file, message) in the report).
Fingerprint CodeFingerprint(std::string_view tool, std::string_view rule_id, std::string_view file_path,
                            std::string_view anchor);

}  // namespace findex
