// The JSON and the XML report of one Dependency-Check scan must give the same findings (the
// `format` field aside): same fingerprints, titles, severities, packages, workflow.
//
// The corpus holds no real JSON/XML pair of one scan, so the JSON side of each pair is derived
// from the XML report by following Dependency-Check's jsonReport.vsl (see samples/PROVENANCE.tsv).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ingest/driver.h"
#include "ingest/registry.h"
#include "normalize/asff_writer.h"

namespace findex {
namespace {

std::vector<Finding> IngestFile(const std::string& rel, std::string_view format) {
  auto src = Source::FromFile(std::string(FINDEX_SOURCE_DIR) + "/" + rel);
  EXPECT_TRUE(src.ok()) << rel;
  if (!src.ok()) return {};
  const FormatDescriptor* fmt = FindFormat(format);
  EXPECT_NE(fmt, nullptr) << format;
  if (!fmt) return {};
  CollectingSink sink;
  auto res = IngestSource(*src, fmt, IngestOptions{}, sink);
  EXPECT_TRUE(res.ok()) << rel << ": " << (res.ok() ? "" : res.error().ToString());
  EXPECT_TRUE(sink.rejects.empty()) << rel;
  return std::move(sink.findings);
}

std::vector<std::string> Fingerprints(const std::vector<Finding>& fs) {
  std::vector<std::string> out;
  for (const auto& f : fs) out.push_back(f.fingerprint.Hex());
  std::sort(out.begin(), out.end());
  return out;
}

// ASFF of a finding with the format-specific field blanked.
std::string Canonical(Finding f) {
  f.format.clear();
  AsffWriteOptions opts;
  return ToAsffJson(f, opts);
}

void ExpectSameScan(const std::string& xml_path, const std::string& json_path, size_t expected_count) {
  std::vector<Finding> xml = IngestFile(xml_path, "dependency-check-xml");
  std::vector<Finding> json = IngestFile(json_path, "dependency-check-json");
  ASSERT_EQ(xml.size(), expected_count);
  ASSERT_EQ(json.size(), xml.size());
  EXPECT_EQ(Fingerprints(xml), Fingerprints(json));
  for (size_t i = 0; i < xml.size(); ++i) {
    EXPECT_EQ(xml[i].format, "dependency-check-xml");
    EXPECT_EQ(json[i].format, "dependency-check-json");
    EXPECT_EQ(Canonical(xml[i]), Canonical(json[i])) << "finding " << i << ": " << xml[i].title;
  }
}

TEST(DependencyCheckPair, Engine730XmlAndDerivedJsonGiveIdenticalFindings) {
  ExpectSameScan("samples/dependency-check-xml/dd_pr6439_engine7.3.0_large.xml",
                 "samples/dependency-check-json/derived_pr6439_engine7.3.0_from_xml.json", 34);
}

TEST(DependencyCheckPair, Schema41XmlAndDerivedJsonGiveIdenticalFindings) {
  // CVSS v4, KEV, an unscored severity, a suppressed vulnerability, related dependencies.
  ExpectSameScan("samples/dependency-check-xml/derived_schema4.1_cvss4_kev_related.xml",
                 "samples/dependency-check-json/derived_schema4.1_cvss4_kev_related.json", 3);
}

TEST(DependencyCheckPair, SuppressedFindingsAndRelatedResourcesArePresent) {
  for (auto [path, format] : {std::pair{"samples/dependency-check-xml/derived_schema4.1_cvss4_kev_related.xml",
                                        "dependency-check-xml"},
                              std::pair{"samples/dependency-check-json/derived_schema4.1_cvss4_kev_related.json",
                                        "dependency-check-json"}}) {
    SCOPED_TRACE(path);
    std::vector<Finding> fs = IngestFile(path, format);
    size_t suppressed = 0, related_findings = 0, related_resources = 0;
    for (const auto& f : fs) {
      suppressed += f.workflow == WorkflowStatus::kSuppressed;
      related_findings += f.product_fields.count("dependency-check/RelatedDependency");
      for (const auto& r : f.resources) related_resources += r.details_other.count("RelatedDependency");
    }
    // log4j-api-2.12.4.jar lists 3 vulnerabilities (1 suppressed) and bundles 2 related files:
    // 3 findings (not 3 per file), each with the related files as further Resources.
    EXPECT_EQ(fs.size(), 3u);
    EXPECT_EQ(suppressed, 1u);
    EXPECT_EQ(related_findings, 0u);
    EXPECT_EQ(related_resources, 3u * 2u);
  }
}

// Defect 7: a vulnerability of a bundled dependency was one finding per related file
// (org.eclipse.osgi-3.18.0.jar: 2 vulnerabilities, 1 related file -> 4 findings). One finding
// per vulnerability the report lists; the related file is a further Resource of each.
TEST(DependencyCheckPair, BundledDependencyIsOneFindingPerVulnerability) {
  std::vector<Finding> fs =
      IngestFile("samples/dependency-check-xml/dd_pr6439_engine7.3.0_large.xml", "dependency-check-xml");
  std::vector<const Finding*> osgi;
  for (const auto& f : fs) {
    for (const auto& r : f.resources) {
      auto it = r.details_other.find("FileName");
      if (it != r.details_other.end() && it->second == "org.eclipse.osgi-3.18.0.jar" &&
          !r.details_other.count("RelatedDependency")) {
        osgi.push_back(&f);
      }
    }
  }
  ASSERT_EQ(osgi.size(), 2u);
  EXPECT_NE(osgi[0]->fingerprint, osgi[1]->fingerprint);
  for (const Finding* f : osgi) {
    ASSERT_EQ(f->resources.size(), 2u) << f->title;
    EXPECT_EQ(f->resources[1].details_other.count("RelatedDependency"), 1u);
    EXPECT_EQ(f->resource_count, 2u);
  }
  for (const auto& f : fs) EXPECT_EQ(f.product_fields.count("dependency-check/RelatedDependency"), 0u) << f.title;
}

}  // namespace
}  // namespace findex
