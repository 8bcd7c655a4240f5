// Helpers shared by the SCA readers that name a vulnerability by several ids and a package by
// an ecosystem word (osv_scanner.cpp, npm_audit.cpp, pip_audit.cpp, snyk.cpp), so that their
// findings meet Trivy's and Grype's through VulnFingerprint (normalize/fingerprint.h).
#pragma once

#include <string>
#include <unordered_set>
#include <string_view>
#include <vector>

#include "ingest/json_util.h"
#include "normalize/finding.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex::sca {

// The id other tools name a vulnerability by, from all its ids and aliases: a CVE first, else a
// GHSA, else the first other id as given. Among several of the same kind the smallest (after
// upper-casing) is taken, so the choice does not depend on the order a report lists them in.
// Trivy's VulnerabilityID is the CVE when the advisory has one, else the GHSA id; this is the
// same preference. "" when `ids` has no non-blank entry.
std::string PreferredVulnId(const std::vector<std::string>& ids);
bool IsCveId(std::string_view id);
// "CWE-79": "CWE-" and digits (reports write "CWE-" alone, "NVD-CWE-Other", "CWE-noinfo").
bool IsCwe(std::string_view s);
bool IsGhsaId(std::string_view id);

// The first of `items` whose id (id_of(item), trimmed) is a CVE id, upper-cased; "" when none is.
// For readers whose report names a vulnerability by the first CVE it lists (CycloneDX
// references, GitLab identifiers): PreferredVulnId's smallest-of-kind choice would give their
// findings another identity.
template <typename Range, typename IdOf>
std::string FirstCveId(const Range& items, IdOf&& id_of) {
  for (const auto& item : items) {
    std::string id = Trim(id_of(item));
    if (IsCveId(id)) return ToUpper(id);
  }
  return "";
}
inline std::string FirstCveId(const std::vector<std::string>& ids) {
  return FirstCveId(ids, [](const std::string& id) -> const std::string& { return id; });
}

// OSV ecosystem name (https://ossf.github.io/osv-schema/#affectedpackage-field: "npm", "PyPI",
// "Go", "crates.io", "Maven", "NuGet", "Packagist", "RubyGems", "Pub", "Hex", "Debian:11",
// "Alpine:v3.18", "Ubuntu:22.04:LTS", "Rocky Linux:8", "AlmaLinux", "Red Hat", "SUSE", ...) as
// the purl type Trivy's purls use (CanonicalEcosystem for the rest).
std::string OsvEcosystem(std::string_view osv);

// A package identity as Trivy's purls write it: the ecosystem through CanonicalEcosystem, and
// for Go modules a version without a leading "v" gets one (OSV-Scanner and Snyk write "1.3.1"
// where Trivy's and Grype's purls write "v1.3.1"). Names are compared by VulnFingerprint (case
// folded where the ecosystem is case-insensitive, PyPI names by PEP 503).
PackageId MakePackage(std::string_view ecosystem, std::string_view name, std::string_view version);

// Severity from a CVSS v3/v4 base score (FIRST bands); Original keeps `original`.
void SetCvssSeverity(Finding& f, double score, std::string_view original);
// Severity from a label, Original keeping `original`.
void SetLabel(Finding& f, SeverityLabel label, std::string_view original);

// Parses a decimal score ("7.5", " 9 "); false when `s` is not a number in 0..10.
bool ParseCvssScore(std::string_view s, double* out);

// "CVSS:3.1/AV:N/..." -> "3.1"; `fallback` when the vector has no version prefix.
std::string CvssVectorVersion(std::string_view vector, std::string_view fallback);

// Object iteration: fn(key, value) -> Status for each member; *is_object false (and nothing
// read) when `v` is null or not an object.
template <typename Fn>
Status ForEachMember(JsonReport& rep, od::value v, bool* is_object, Fn&& fn) {
  *is_object = false;
  if (IsNull(v)) return Status::Ok();
  od::object obj;
  if (v.get_object().get(obj)) return Status::Ok();
  *is_object = true;
  return ForEachField(rep, obj, fn);
}

// Array iteration: fn(index, value) -> Status; *is_array false for a non-array (null is an
// empty array).
template <typename Fn>
Status ForEachElement(JsonReport& rep, od::value v, bool* is_array, Fn&& fn) {
  *is_array = true;
  if (IsNull(v)) return Status::Ok();
  od::array arr;
  if (v.get_array().get(arr)) {
    *is_array = false;
    return Status::Ok();
  }
  return ForElements(rep, arr, "bad array element", fn);
}

// A list of distinct non-blank strings in first-seen order (hash set: linear in the input).
class UniqueList {
 public:
  void Add(std::string_view s);
  const std::vector<std::string>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  std::string Join(std::string_view sep) const;

 private:
  std::vector<std::string> items_;
  std::unordered_set<std::string> seen_;
};

}  // namespace findex::sca
