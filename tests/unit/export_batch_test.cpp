// ASFF batches for BatchImportFindings: count and byte limits per batch, the per-finding limit
// with its reduction ladder, and skipping what cannot fit. Limits are parameters, so small ones
// exercise the same code paths as Security Hub's 100 / 6 MB / 240 KB.
#include <gtest/gtest.h>
#include <simdjson.h>

#include "normalize/asff_batch.h"
#include "normalize/asff_writer.h"
#include "normalize/fingerprint.h"

using namespace findex;

namespace {

Finding Make(int i) {
  Finding f;
  f.scanner = "semgrep";
  f.format = "semgrep";
  f.fingerprint = FingerprintOf({"batch", std::to_string(i)});
  f.generator_id = "rule-" + std::to_string(i);
  f.title = "Finding " + std::to_string(i);
  f.description = "Description " + std::to_string(i);
  f.severity.label = SeverityLabel::kMedium;
  f.severity.normalized = DefaultNormalized(SeverityLabel::kMedium);
  Finalize(f, AsffContext{}, "s", "2026-01-01T00:00:00.000Z");
  return f;
}

struct Batches {
  std::vector<std::string> files;
  std::vector<std::string> warnings;
};

// Runs the batcher and returns the files it produced, checking each is a JSON array of objects.
AsffBatchStats RunBatcher(const std::vector<Finding>& findings, AsffBatchLimits limits, Batches* out) {
  AsffBatcher b(
      limits,
      [&](size_t number, const std::string& json) {
        EXPECT_EQ(number, out->files.size() + 1);
        out->files.push_back(json);
        return Status::Ok();
      },
      [&](const std::string& msg) { out->warnings.push_back(msg); });
  for (const auto& f : findings) EXPECT_TRUE(b.Add(f).ok());
  EXPECT_TRUE(b.Finish().ok());
  return b.stats();
}

std::vector<std::string> Ids(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::array arr;
  EXPECT_EQ(parser.parse(json).get_array().get(arr), simdjson::SUCCESS) << json.substr(0, 200);
  std::vector<std::string> ids;
  for (auto el : arr) {
    std::string_view id;
    EXPECT_EQ(el["Id"].get_string().get(id), simdjson::SUCCESS);
    ids.emplace_back(id);
  }
  return ids;
}

TEST(AsffBatch, SplitsByCountInOrder) {
  std::vector<Finding> fs;
  for (int i = 0; i < 250; ++i) fs.push_back(Make(i));
  Batches b;
  AsffBatchStats s = RunBatcher(fs, AsffBatchLimits{}, &b);
  EXPECT_EQ(s.findings, 250u);
  EXPECT_EQ(s.batches, 3u);
  ASSERT_EQ(b.files.size(), 3u);
  std::vector<std::string> all;
  std::vector<size_t> sizes;
  for (const auto& f : b.files) {
    auto ids = Ids(f);
    sizes.push_back(ids.size());
    all.insert(all.end(), ids.begin(), ids.end());
    EXPECT_EQ(f.substr(0, 2), "[\n");
    EXPECT_EQ(f.substr(f.size() - 3), "\n]\n");
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{100, 100, 50}));
  ASSERT_EQ(all.size(), 250u);
  for (int i = 0; i < 250; ++i) EXPECT_EQ(all[static_cast<size_t>(i)], fs[static_cast<size_t>(i)].id);
  EXPECT_TRUE(b.warnings.empty());
}

TEST(AsffBatch, SplitsByBytesGreedily) {
  std::vector<Finding> fs;
  for (int i = 0; i < 40; ++i) fs.push_back(Make(i));
  const size_t one = ToAsffJson(fs[0], AsffWriteOptions{true, -1}).size();
  AsffBatchLimits lim;
  lim.max_batch_bytes = one * 3 + 40;  // about three findings per batch
  Batches b;
  AsffBatchStats s = RunBatcher(fs, lim, &b);
  EXPECT_EQ(s.findings, 40u);
  EXPECT_GT(b.files.size(), 10u);
  size_t total = 0;
  for (size_t i = 0; i < b.files.size(); ++i) {
    EXPECT_LE(b.files[i].size(), lim.max_batch_bytes) << i;
    size_t n = Ids(b.files[i]).size();
    total += n;
    if (i + 1 < b.files.size()) {
      // Greedy: the next finding would not have fitted.
      size_t next = ToAsffJson(fs[total], AsffWriteOptions{true, -1}).size();
      EXPECT_GT(b.files[i].size() + 2 + next, lim.max_batch_bytes) << i;
    }
  }
  EXPECT_EQ(total, 40u);
}

TEST(AsffBatch, EmptyInputWritesNothing) {
  Batches b;
  AsffBatchStats s = RunBatcher({}, AsffBatchLimits{}, &b);
  EXPECT_EQ(s.batches, 0u);
  EXPECT_TRUE(b.files.empty());
}

TEST(AsffBatch, OversizedFindingIsReducedUnder240KB) {
  Finding big = Make(1);
  for (int v = 0; v < 4; ++v) {
    Vulnerability vuln;
    vuln.id = "CVE-2024-" + std::to_string(1000 + v);
    for (int p = 0; p < 3000; ++p) {
      VulnerablePackage pkg;
      pkg.name = "package-with-a-long-name-" + std::to_string(p);
      pkg.version = "1.2." + std::to_string(p);
      pkg.file_path = "node_modules/some/deep/path/package-" + std::to_string(p) + "/package.json";
      vuln.vulnerable_packages.push_back(pkg);
    }
    big.vulnerabilities.push_back(vuln);
  }
  big.product_fields["grype/Extra"] = "kept if it fits";
  ASSERT_GT(ToAsffJson(big, AsffWriteOptions{true, -1}).size(), 240000u);
  std::string steps;
  auto json = AsffForBatch(big, 240000, &steps);
  ASSERT_TRUE(json.ok()) << json.error().ToString();
  EXPECT_LT(json->size(), 240000u);
  EXPECT_NE(steps.find("vulnerable packages"), std::string::npos) << steps;
  simdjson::dom::parser parser;
  simdjson::dom::element el;
  ASSERT_EQ(parser.parse(*json).get(el), simdjson::SUCCESS);
  simdjson::dom::array vulns;
  ASSERT_EQ(el["Vulnerabilities"].get_array().get(vulns), simdjson::SUCCESS);
  EXPECT_EQ(vulns.size(), 1u);
  std::string_view id;
  ASSERT_EQ(vulns.at(0)["Id"].get_string().get(id), simdjson::SUCCESS);
  EXPECT_EQ(id, "CVE-2024-1000");
  std::string_view scanner;
  EXPECT_EQ(el["ProductFields"]["findex/Scanner"].get_string().get(scanner), simdjson::SUCCESS);
  EXPECT_EQ(scanner, "semgrep");

  Batches b;
  AsffBatchStats s = RunBatcher({Make(0), big, Make(2)}, AsffBatchLimits{}, &b);
  EXPECT_EQ(s.findings, 3u);
  EXPECT_EQ(s.reduced, 1u);
  EXPECT_EQ(s.skipped, 0u);
  ASSERT_EQ(b.warnings.size(), 1u);
  EXPECT_NE(b.warnings[0].find(big.id), std::string::npos);
}

TEST(AsffBatch, ReductionStopsAtTheFirstStepThatFits) {
  Finding f = Make(1);
  for (int i = 0; i < 40; ++i) f.product_fields["scanner/field" + std::to_string(i)] = std::string(1500, 'x');
  Resource extra;
  extra.id = "second-resource";
  f.resources.push_back(extra);
  const size_t full = ToAsffJson(f, AsffWriteOptions{true, -1}).size();
  ASSERT_GT(full, 60000u);
  std::string steps;
  auto json = AsffForBatch(f, 20000, &steps);
  ASSERT_TRUE(json.ok()) << json.error().ToString();
  EXPECT_EQ(steps, "ProductFields other than findex/*");
  EXPECT_EQ(json->find("scanner/field"), std::string::npos);
  EXPECT_NE(json->find("findex/Fingerprint"), std::string::npos);
  EXPECT_NE(json->find("second-resource"), std::string::npos);  // later steps not taken
  // Under the limit: returned as is, nothing dropped.
  steps = "unchanged";
  auto same = AsffForBatch(f, full + 1, &steps);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->size(), full);
  EXPECT_EQ(steps, "unchanged");
}

TEST(AsffBatch, ImpossibleFindingIsSkippedNeverWritten) {
  Finding huge = Make(1);
  huge.resources.front().id = std::string(300000, 'r');  // required content, cannot be dropped
  auto json = AsffForBatch(huge, 240000);
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.error().code, ErrorCode::kTooLarge);
  Batches b;
  AsffBatchStats s = RunBatcher({Make(0), huge, Make(2)}, AsffBatchLimits{}, &b);
  EXPECT_EQ(s.findings, 2u);
  EXPECT_EQ(s.skipped, 1u);
  ASSERT_EQ(b.files.size(), 1u);
  EXPECT_EQ(Ids(b.files[0]), (std::vector<std::string>{Make(0).id, Make(2).id}));
  ASSERT_EQ(b.warnings.size(), 1u);
  EXPECT_NE(b.warnings[0].find("skipped finding " + huge.id), std::string::npos);
  for (const auto& f : b.files) EXPECT_LT(f.size(), 6000000u);
}

TEST(AsffBatch, AFindingAlwaysFitsAnEmptyBatch) {
  // With a batch limit below the finding limit, the batch limit decides what is too large.
  Finding f = Make(1);
  const size_t one = ToAsffJson(f, AsffWriteOptions{true, -1}).size();
  AsffBatchLimits lim;
  lim.max_batch_bytes = one + 5;  // "[\n" + finding + "\n]\n"
  Batches b;
  AsffBatchStats s = RunBatcher({f, f}, lim, &b);
  EXPECT_EQ(s.findings, 2u);
  EXPECT_EQ(s.batches, 2u);
  for (const auto& file : b.files) EXPECT_EQ(file.size(), one + 5);
  lim.max_batch_bytes = one + 4;
  Batches c;
  s = RunBatcher({f}, lim, &c);
  EXPECT_EQ(s.skipped, 1u);
  EXPECT_TRUE(c.files.empty());
}

TEST(AsffBatch, SinkErrorsPropagate) {
  AsffBatchLimits lim;
  lim.max_findings = 1;
  AsffBatcher b(lim, [](size_t, const std::string&) { return Status(MakeError(ErrorCode::kIo, "disk full")); });
  EXPECT_TRUE(b.Add(Make(0)).ok());  // buffered
  Status st = b.Add(Make(1));        // flushes the first batch
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "disk full");
}

}  // namespace
