// One finding per real problem across SCA tools: the same vulnerability in the same package
// version must get the same fingerprint whether Trivy or Grype reported it.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "ingest/driver.h"
#include "ingest/registry.h"

using namespace findex;

namespace {

// Ingests `json` as `format` and returns the fingerprint of its only finding.
std::string FingerprintOfOnly(std::string_view format, std::string_view json) {
  const FormatDescriptor* fmt = FindFormat(format);
  EXPECT_NE(fmt, nullptr) << format;
  if (!fmt) return "";
  Source src = Source::FromString(json, std::string(format) + ".json");
  CollectingSink sink;
  auto res = IngestSource(src, fmt, IngestOptions{}, sink);
  EXPECT_TRUE(res.ok()) << (res.ok() ? "" : res.error().ToString());
  EXPECT_TRUE(sink.rejects.empty());
  EXPECT_EQ(sink.findings.size(), 1u);
  return sink.findings.empty() ? "" : sink.findings[0].fingerprint.Hex();
}

// Trivy without a purl: the package comes from Result.Type + PkgName + InstalledVersion.
std::string TrivyNpm(std::string_view version) {
  return R"({"SchemaVersion": 2, "ArtifactName": "app", "ArtifactType": "filesystem",
    "Results": [{"Target": "package-lock.json", "Class": "lang-pkgs", "Type": "npm",
      "Vulnerabilities": [{"VulnerabilityID": "CVE-2021-23337", "PkgName": "lodash",
        "InstalledVersion": ")" +
         std::string(version) + R"(", "FixedVersion": "4.17.21", "Severity": "HIGH"}]}]})";
}

// Grype with a purl, as Grype writes it.
std::string GrypeNpm(std::string_view version) {
  std::string v(version);
  return R"({"matches": [{"vulnerability": {"id": "CVE-2021-23337", "severity": "High",
      "fix": {"versions": ["4.17.21"], "state": "fixed"}},
    "relatedVulnerabilities": [], "matchDetails": [],
    "artifact": {"name": "lodash", "version": ")" +
         v + R"(", "type": "npm", "locations": [{"path": "/app/package-lock.json"}],
      "purl": "pkg:npm/lodash@)" +
         v + R"("}}],
  "source": {"type": "directory", "target": "/app"},
  "descriptor": {"name": "grype", "version": "0.80.0"}})";
}

// Debian package with an epoch: Trivy's purl carries it as a qualifier, Grype's in the version.
constexpr std::string_view kTrivyDebEpoch = R"json({"SchemaVersion": 2, "ArtifactName": "debian:10",
  "ArtifactType": "container_image",
  "Results": [{"Target": "debian:10 (debian 10.13)", "Class": "os-pkgs", "Type": "debian",
    "Vulnerabilities": [{"VulnerabilityID": "CVE-2022-24765", "PkgName": "git-man",
      "PkgIdentifier": {"PURL": "pkg:deb/debian/git-man@2.20.1-2+deb10u3?arch=all&epoch=1&distro=debian-10.13"},
      "InstalledVersion": "1:2.20.1-2+deb10u3", "Severity": "HIGH"}]}]})json";

constexpr std::string_view kGrypeDebEpoch = R"({"matches": [{"vulnerability": {"id": "CVE-2022-24765",
    "severity": "High"},
  "artifact": {"name": "git-man", "version": "1:2.20.1-2+deb10u3", "type": "deb",
    "locations": [{"path": "/var/lib/dpkg/status"}],
    "purl": "pkg:deb/debian/git-man@1:2.20.1-2+deb10u3?arch=all"}}],
  "source": {"type": "image", "target": {"userInput": "debian:10"}},
  "descriptor": {"name": "grype", "version": "0.7.0"}})";

TEST(ScaIdentity, TrivyAndGrypeAgreeOnTheSamePackageVersion) {
  std::string trivy = FingerprintOfOnly("trivy", TrivyNpm("4.17.20"));
  std::string grype = FingerprintOfOnly("grype", GrypeNpm("4.17.20"));
  ASSERT_FALSE(trivy.empty());
  EXPECT_EQ(trivy, grype);

  std::string trivy_deb = FingerprintOfOnly("trivy", kTrivyDebEpoch);
  std::string grype_deb = FingerprintOfOnly("grype", kGrypeDebEpoch);
  ASSERT_FALSE(trivy_deb.empty());
  EXPECT_EQ(trivy_deb, grype_deb);
}

TEST(ScaIdentity, ADifferentVersionIsADifferentProblem) {
  std::string trivy = FingerprintOfOnly("trivy", TrivyNpm("4.17.20"));
  std::string grype = FingerprintOfOnly("grype", GrypeNpm("4.17.19"));
  ASSERT_FALSE(trivy.empty());
  ASSERT_FALSE(grype.empty());
  EXPECT_NE(trivy, grype);
  EXPECT_NE(FingerprintOfOnly("grype", GrypeNpm("4.17.20")), grype);
}

}  // namespace
