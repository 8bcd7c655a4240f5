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
                 "samples/dependency-check-json/derived_pr6439_engine7.3.0_from_xml.json", 36);
}

TEST(DependencyCheckPair, Schema41XmlAndDerivedJsonGiveIdenticalFindings) {
  // CVSS v4, KEV, an unscored severity, a suppressed vulnerability, related dependencies.
  ExpectSameScan("samples/dependency-check-xml/derived_schema4.1_cvss4_kev_related.xml",
                 "samples/dependency-check-json/derived_schema4.1_cvss4_kev_related.json", 6);
}

TEST(DependencyCheckPair, SuppressedAndRelatedFindingsArePresent) {
  std::vector<Finding> fs = IngestFile("samples/dependency-check-xml/derived_schema4.1_cvss4_kev_related.xml",
                                       "dependency-check-xml");
  size_t suppressed = 0, related = 0;
  for (const auto& f : fs) {
    suppressed += f.workflow == WorkflowStatus::kSuppressed;
    related += f.product_fields.count("dependency-check/RelatedDependency");
  }
  EXPECT_EQ(suppressed, 2u);
  EXPECT_EQ(related, 3u);
}

}  // namespace
}  // namespace findex
