// Stable identity of a finding. An ingester hashes the parts that identify the problem
// (never line numbers that move, timestamps or counters) with a scanner-family prefix:
//   FingerprintOf({"zap", plugin_id, site})
// Parts are joined with a 0x1f separator and hashed with XXH3-128 in one call.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

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

// Identity of a code finding (SAST/IaC/secrets): tool family + rule + file + anchor, where the
// anchor is line-insensitive when the report allows it (SARIF partialFingerprints, a snippet
// through NormalizeSnippet, or the ordinal of (rule, file, message) in the report).
Fingerprint CodeFingerprint(std::string_view tool, std::string_view rule_id, std::string_view file_path,
                            std::string_view anchor);

}  // namespace findex
