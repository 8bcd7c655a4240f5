// A Dependency-Check re-scan that differs from the last one only in projectInfo/reportDate (it
// changes on every scan) must give identical findings, and the store must count every one of
// them as unchanged: the report date is not copied into findings.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ingest/driver.h"
#include "ingest/registry.h"
#include "normalize/asff_writer.h"
#include "store/store.h"

namespace findex {
namespace {

namespace fs = std::filesystem;

std::string ReadSample(const std::string& rel) {
  std::ifstream in(std::string(FINDEX_SOURCE_DIR) + "/" + rel, std::ios::binary);
  EXPECT_TRUE(in.good()) << rel;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The report with its reportDate value replaced; fails the test when there is none to replace.
std::string WithReportDate(std::string text, std::string_view open, std::string_view close, std::string_view date) {
  size_t at = text.find(open);
  EXPECT_NE(at, std::string::npos) << "no " << open;
  if (at == std::string::npos) return text;
  size_t start = at + open.size();
  size_t end = text.find(close, start);
  EXPECT_NE(end, std::string::npos);
  if (end == std::string::npos) return text;
  text.replace(start, end - start, date);
  return text;
}

std::vector<Finding> IngestText(const std::string& text, std::string_view format) {
  Source src = Source::FromString(text, "report");
  const FormatDescriptor* fmt = FindFormat(format);
  EXPECT_NE(fmt, nullptr) << format;
  if (!fmt) return {};
  CollectingSink sink;
  auto res = IngestSource(src, fmt, IngestOptions{}, sink);
  EXPECT_TRUE(res.ok()) << (res.ok() ? "" : res.error().ToString());
  EXPECT_TRUE(sink.rejects.empty());
  return std::move(sink.findings);
}

class DependencyCheckReportDate : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::temp_directory_path() / ("findex_dc_report_date_" + std::to_string(::getpid()) + ".db")).string();
    Clean();
    auto s = Store::Open(path_);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(s.value());
  }
  void TearDown() override {
    store_.reset();
    Clean();
  }
  void Clean() {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_ + suffix);
  }

  RunCounts StoreRun(std::vector<Finding> findings, std::string_view format, uint64_t file_hash, const std::string& now) {
    RunInfo info{"report", std::string(format), "dependency-check", "s", file_hash, 1, now, false, {}};
    EXPECT_TRUE(store_->BeginRun(info).ok());
    for (Finding& f : findings) {
      Finalize(f, AsffContext{}, "s", now);
      EXPECT_TRUE(store_->Put(std::move(f)).ok());
    }
    auto c = store_->CommitRun();
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().ToString());
    return c.ok() ? *c : RunCounts{};
  }

  // Ingests the report and its copy with another reportDate, compares them, stores both.
  void ExpectUnchangedOnRescan(const std::string& rel, std::string_view format, std::string_view open,
                               std::string_view close, size_t expected_count) {
    const std::string first = ReadSample(rel);
    const std::string second = WithReportDate(first, open, close, "2031-07-04T09:30:00.000000Z");
    ASSERT_NE(first, second) << "the copy must differ in its report date";

    std::vector<Finding> a = IngestText(first, format);
    std::vector<Finding> b = IngestText(second, format);
    ASSERT_EQ(a.size(), expected_count);
    ASSERT_EQ(b.size(), a.size());
    std::set<std::string> distinct;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].fingerprint.Hex(), b[i].fingerprint.Hex()) << "finding " << i;
      EXPECT_EQ(ToAsffJson(a[i], AsffWriteOptions{}), ToAsffJson(b[i], AsffWriteOptions{})) << "finding " << i;
      EXPECT_EQ(a[i].product_fields.count("dependency-check/ReportDate"), 0u);
      distinct.insert(a[i].fingerprint.Hex());
    }

    RunCounts c1 = StoreRun(std::move(a), format, 1, "2026-03-01T00:00:00.000Z");
    EXPECT_EQ(c1.new_, static_cast<uint64_t>(distinct.size()));
    // Another file (another hash, so not a byte-identical repeat) a day later.
    RunCounts c2 = StoreRun(std::move(b), format, 2, "2026-03-02T00:00:00.000Z");
    EXPECT_EQ(c2.new_, 0u);
    EXPECT_EQ(c2.updated, 0u);
    EXPECT_EQ(c2.resolved, 0u);
    EXPECT_EQ(c2.unchanged, static_cast<uint64_t>(distinct.size()));
  }

  std::string path_;
  std::unique_ptr<findex::Store> store_;
};

TEST_F(DependencyCheckReportDate, XmlRescanWithNewReportDateLeavesFindingsUnchanged) {
  ExpectUnchangedOnRescan("samples/dependency-check-xml/dd_pr6439_engine7.3.0_large.xml", "dependency-check-xml",
                          "<reportDate>", "</reportDate>", 34);  // one finding per listed vulnerability (related files are Resources)
}

TEST_F(DependencyCheckReportDate, JsonRescanWithNewReportDateLeavesFindingsUnchanged) {
  ExpectUnchangedOnRescan("samples/dependency-check-json/derived_schema4.1_cvss4_kev_related.json",
                          "dependency-check-json", "\"reportDate\": \"", "\"", 3);
}

}  // namespace
}  // namespace findex
