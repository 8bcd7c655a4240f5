// Identity on real pairs: the same scan written in two formats by the scanner itself must give
// the same set of fingerprints (hence the same ASFF Ids in a scope), and distinct results that
// share an anchor in one file stay distinct findings.
//
// Real pairs in the corpus (../shared/corpus, copied to samples/ with their PROVENANCE lines),
// each written by the scanner's own presenters from one scan of one target:
//   - Trivy:    trivy/upstream_golden_alpine310.json  <-> sarif/trivy_upstream_golden_alpine310.sarif
//               (aquasecurity/trivy integration goldens of the alpine-310 fixture image)
//   - Grype:    grype/upstream_golden_json_image.json <-> sarif/grype_upstream_golden_image.sarif
//               (anchore/grype presenter goldens of the same image fixture)
//   - Gitleaks: gitleaks/upstream_gitleaks8_json_simple.json <-> sarif/gitleaks8_upstream_golden.sarif
//               (gitleaks/gitleaks report goldens of the same leak), and
//               gitleaks/dd_gitleaks7.5.0.json <-> sarif/dd_gitleaks_7.x.sarif (one history scan)
//   - cfn-guard: cfn-guard/cfnguard3_validate_structured.json <-> sarif/cfnguard_3.2.0_structured.sarif
//               (cloudformation-guard validate goldens of the same templates and rules)
// A real pair from outside the corpus (MIT, see samples/PROVENANCE.tsv):
//   - Dependency-Check 12.1.0: vjwa_dc_12.1.0_all_formats.{json,xml,sarif}, one scan written in
//     three formats (-f ALL, one reportDate).
// Pairs the corpus does not hold as one real scan (documented in README.md): Semgrep JSON and
// SARIF (the corpus SARIF is another scan; the *_as_sarif samples are derived; real pairs of
// Semgrep 1.15-1.32 scans were checked by hand, see semgrep_identity_test.cpp), CodeGuru (JSON
// only), Bandit and Checkov SARIF (none). cfn-guard's JSON and SARIF of one validation cannot
// agree: the SARIF has one result per failed clause and names neither the resource nor the rule
// file the JSON's findings are made of (3 findings in the JSON, 8 results in the SARIF).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/driver.h"
#include "ingest/registry.h"
#include "normalize/asff_writer.h"

using namespace findex;

namespace {

struct Ingested {
  std::vector<Finding> findings;
  uint64_t records = 0;
};

Ingested IngestFile(const std::string& relative, std::string_view format) {
  Ingested out;
  auto src = Source::FromFile(std::string(FINDEX_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(src.ok()) << relative;
  if (!src.ok()) return out;
  const FormatDescriptor* fmt = FindFormat(format);
  EXPECT_NE(fmt, nullptr) << format;
  if (!fmt) return out;
  CollectingSink sink;
  auto res = IngestSource(*src, fmt, IngestOptions{}, sink);
  EXPECT_TRUE(res.ok()) << relative << ": " << (res.ok() ? "" : res.error().ToString());
  EXPECT_TRUE(sink.rejects.empty()) << relative;
  if (res.ok()) out.records = res->records;
  out.findings = std::move(sink.findings);
  return out;
}

// The distinct fingerprints of a report: what the store keeps (one row per fingerprint).
std::set<std::string> Ids(const std::vector<Finding>& findings) {
  std::set<std::string> out;
  for (const auto& f : findings) out.insert(f.fingerprint.Hex());
  return out;
}

std::string Describe(const std::vector<Finding>& findings, const std::set<std::string>& only) {
  std::string s;
  for (const auto& f : findings) {
    if (only.count(f.fingerprint.Hex())) s += "  " + f.scanner + " " + f.generator_id + " " + f.title + "\n";
  }
  return s;
}

void ExpectSameIds(const std::string& a_path, std::string_view a_format, const std::string& b_path,
                   std::string_view b_format, size_t expected) {
  Ingested a = IngestFile(a_path, a_format);
  Ingested b = IngestFile(b_path, b_format);
  std::set<std::string> ia = Ids(a.findings), ib = Ids(b.findings);
  EXPECT_EQ(ia.size(), expected) << a_path;
  std::set<std::string> only_a, only_b;
  std::set_difference(ia.begin(), ia.end(), ib.begin(), ib.end(), std::inserter(only_a, only_a.end()));
  std::set_difference(ib.begin(), ib.end(), ia.begin(), ia.end(), std::inserter(only_b, only_b.end()));
  EXPECT_EQ(ia, ib) << "only in " << a_path << ":\n"
                    << Describe(a.findings, only_a) << "only in " << b_path << ":\n"
                    << Describe(b.findings, only_b);
  for (const auto& f : a.findings) EXPECT_EQ(f.scanner, b.findings.empty() ? "" : b.findings[0].scanner);
}

TEST(RealPairIdentity, TrivyJsonAndSarifOfOneScan) {
  ExpectSameIds("samples/trivy/upstream_golden_alpine310.json", "trivy",
                "samples/sarif/trivy_upstream_golden_alpine310.sarif", "sarif", 4);
}

// Grype: the match with a purl agrees. The other one cannot: its package is an rpm without a
// purl whose epoch (2) the JSON gives in artifact.metadata and the SARIF leaves out of the
// rule's "Version: 1.1.1"; the version is part of the identity (2:1.1.1 is not 1.1.1).
TEST(RealPairIdentity, GrypeJsonAndSarifOfOneScan) {
  Ingested json = IngestFile("samples/grype/upstream_golden_json_image.json", "grype");
  Ingested sarif = IngestFile("samples/sarif/grype_upstream_golden_image.sarif", "sarif");
  ASSERT_EQ(json.findings.size(), 2u);
  ASSERT_EQ(sarif.findings.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(json.findings[i].title);
    ASSERT_FALSE(json.findings[i].vulnerabilities.empty());
    ASSERT_FALSE(sarif.findings[i].vulnerabilities.empty());
    EXPECT_EQ(json.findings[i].vulnerabilities[0].id, sarif.findings[i].vulnerabilities[0].id);
    bool has_purl = !json.findings[i].vulnerabilities[0].vulnerable_packages.empty() &&
                    !json.findings[i].vulnerabilities[0].vulnerable_packages[0].purl.empty();
    if (has_purl) {
      EXPECT_EQ(json.findings[i].fingerprint, sarif.findings[i].fingerprint);
    } else {
      EXPECT_EQ(json.findings[i].vulnerabilities[0].vulnerable_packages[0].epoch, "2");
      EXPECT_NE(json.findings[i].fingerprint, sarif.findings[i].fingerprint);
    }
  }
}

TEST(RealPairIdentity, GitleaksJsonAndSarifOfOneScan) {
  ExpectSameIds("samples/gitleaks/upstream_gitleaks8_json_simple.json", "gitleaks",
                "samples/sarif/gitleaks8_upstream_golden.sarif", "sarif", 1);
}

// Gitleaks 7: DefectDojo's history scan of its own repository, as JSON (7.5.0) and SARIF: the
// same 8 leaks (4 secrets in 4 places, each in 2 commits). The JSON merges the commits of one
// secret in one file into a finding; the SARIF's results of one secret share its fingerprint.
TEST(RealPairIdentity, Gitleaks7JsonAndSarifOfOneScan) {
  ExpectSameIds("samples/gitleaks/dd_gitleaks7.5.0.json", "gitleaks", "samples/sarif/dd_gitleaks_7.x.sarif", "sarif", 4);
}

TEST(RealPairIdentity, DependencyCheckJsonXmlAndSarifOfOneScan) {
  ExpectSameIds("samples/dependency-check-json/vjwa_dc_12.1.0_all_formats.json", "dependency-check-json",
                "samples/dependency-check-xml/vjwa_dc_12.1.0_all_formats.xml", "dependency-check-xml", 11);
  ExpectSameIds("samples/dependency-check-json/vjwa_dc_12.1.0_all_formats.json", "dependency-check-json",
                "samples/sarif/vjwa_dc_12.1.0_all_formats.sarif", "sarif", 11);
}

}  // namespace
