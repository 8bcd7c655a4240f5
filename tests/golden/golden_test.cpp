// One test per report in samples/<format>/: ingests it with that folder's format and compares
// the result with <report>.expected.json. FINDEX_UPDATE_GOLDEN=1 rewrites the expected files
// (then read the diff against the report by hand before committing).
//
// Also checks auto-detection: the detected format must be the folder's, unless the case's
// name contains "MISLABELED" (a file that is not what its name says) where detection must
// not claim the folder's format.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ingest/driver.h"
#include "ingest/registry.h"
#include "normalize/asff_writer.h"
#include "normalize/json_writer.h"

namespace fs = std::filesystem;
using namespace findex;

namespace {

// Paths in golden files are relative to the source tree, whatever the runner's directory.
const bool kInSourceDir = (fs::current_path(FINDEX_SOURCE_DIR), true);

struct Case {
  std::string format;  // folder name
  std::string path;    // relative to the source dir
};

std::vector<Case> DiscoverCases() {
  std::vector<Case> out;
  fs::path samples = fs::path(FINDEX_SOURCE_DIR) / "samples";
  if (!fs::exists(samples)) return out;
  for (const auto& dir : fs::directory_iterator(samples)) {
    if (!dir.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(dir.path())) {
      std::string name = f.path().filename().string();
      if (!f.is_regular_file() || name.find(".expected.") != std::string::npos || name == "PROVENANCE.tsv" ||
          name == "README.md" || name[0] == '.')
        continue;
      out.push_back({dir.path().filename().string(), "samples/" + dir.path().filename().string() + "/" + name});
    }
  }
  std::sort(out.begin(), out.end(), [](const Case& a, const Case& b) { return a.path < b.path; });
  return out;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Render(const Case& c) {
  std::string out;
  JsonWriter w(&out, 2);
  w.BeginObject();
  auto loaded = Source::FromFile(c.path);
  if (!loaded.ok()) {
    w.Field("error", loaded.error().ToString()).EndObject();
    return out + "\n";
  }
  Source src = std::move(loaded.value());
  auto detected = DetectFormat(src.head());
  w.Field("detected", detected.ok() ? std::string((*detected)->name) : std::string("(none)"));
  const FormatDescriptor* fmt = FindFormat(c.format);
  CollectingSink sink;
  auto res = IngestSource(src, fmt, IngestOptions{}, sink);
  if (!res.ok()) {
    w.Field("error", res.error().ToString());
  } else {
    w.Key("records").UInt(res->records);
  }
  w.Key("rejects").BeginArray();
  for (const auto& r : sink.rejects) {
    w.BeginObject().Key("offset").UInt(r.offset).Key("line").UInt(r.line).Field("where", r.where).Field("reason", r.reason).EndObject();
  }
  w.EndArray();
  if (res.ok()) {
    AsffContext ctx;
    w.Key("Findings").BeginArray();
    for (auto& f : sink.findings) {
      Finalize(f, ctx, "golden", "2026-01-01T00:00:00.000Z");
      AsffWriteOptions opts;
      WriteAsff(f, w, opts);
    }
    w.EndArray();
  }
  w.EndObject();
  return out + "\n";
}

class GoldenTest : public ::testing::TestWithParam<Case> {};

TEST_P(GoldenTest, MatchesExpected) {
  const Case& c = GetParam();
  ASSERT_NE(FindFormat(c.format), nullptr) << "samples/" << c.format << " has no registered format";
  std::string actual = Render(c);
  fs::path expected_path = fs::path(FINDEX_SOURCE_DIR) / (c.path + ".expected.json");
  const char* update = std::getenv("FINDEX_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(expected_path, std::ios::binary) << actual;
    GTEST_SKIP() << "golden file rewritten: " << expected_path;
  }
  ASSERT_TRUE(fs::exists(expected_path)) << "missing golden file " << expected_path
                                         << " (run with FINDEX_UPDATE_GOLDEN=1, then check it by hand)";
  std::string expected = ReadFile(expected_path);
  EXPECT_EQ(expected, actual) << "golden mismatch for " << c.path;
}

TEST_P(GoldenTest, DetectsItsFormat) {
  const Case& c = GetParam();
  auto src = Source::FromFile(c.path);
  ASSERT_TRUE(src.ok());
  auto detected = DetectFormat(src->head());
  bool mislabeled = c.path.find("MISLABELED") != std::string::npos;
  if (mislabeled) {
    if (detected.ok()) {
      EXPECT_NE((*detected)->name, c.format);
    }
    return;
  }
  // Content-free reports (blank, null, [], {}) carry nothing to detect a format by: they need
  // --format, and their golden file records what that gives.
  std::string text(src->text());
  std::string trimmed;
  for (char ch : text) {
    if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') trimmed.push_back(ch);
  }
  if (trimmed.empty() || trimmed == "null" || trimmed == "[]" || trimmed == "{}") return;
  ASSERT_TRUE(detected.ok()) << c.path << ": " << detected.error().ToString();
  EXPECT_EQ((*detected)->name, c.format) << c.path;
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string n = info.param.path.substr(8);  // drop "samples/"
  for (char& ch : n) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(Samples, GoldenTest, ::testing::ValuesIn(DiscoverCases()), CaseName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenTest);

TEST(Registry, EveryFormatHasSamples) {
  for (const auto& f : Formats()) {
    fs::path dir = fs::path(FINDEX_SOURCE_DIR) / "samples" / std::string(f.name);
    EXPECT_TRUE(fs::exists(dir)) << "format " << f.name << " has no samples/ folder";
  }
}

}  // namespace
