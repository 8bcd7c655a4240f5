// The ingest pipeline library (ingest/pipeline.h) driven directly, without the CLI: the stage
// thread changes nothing in what is stored, a repeat is recognized, a failing report fails
// alone, the stop predicate rolls back the report being stored, progress reaches the end.
#include "ingest/pipeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

namespace findex {
namespace {

namespace fs = std::filesystem;

// Findings in the store, through the query API (whatever the schema).
int64_t CountFindings(Store& store) {
  int64_t n = 0;
  Status st = store.ForEach(FindingFilter{}, [&](FindingRow&&) {
    ++n;
    return true;
  });
  EXPECT_TRUE(st.ok());
  return n;
}

std::string Sample(const std::string& rel) { return std::string(FINDEX_SOURCE_DIR) + "/samples/" + rel; }

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    db_ = (fs::temp_directory_path() / ("findex_pipeline_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".db"))
              .string();
  }
  void TearDown() override {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(db_ + suffix, ec);
  }
  std::unique_ptr<Store> Open() {
    auto s = Store::Open(db_);
    EXPECT_TRUE(s.ok()) << s.error().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  static PipelineOptions Options(bool stage) {
    PipelineOptions o;
    o.now = "2024-05-01T10:00:00.000Z";
    o.stage_thread = stage;
    o.jobs = 1;
    return o;
  }
  static std::vector<PipelineInput> Inputs(const std::vector<std::string>& paths) {
    std::vector<PipelineInput> in(paths.size());
    for (size_t i = 0; i < paths.size(); ++i) in[i].path = paths[i];
    return in;
  }
  std::string db_;
};

const std::vector<std::string> kReports = {Sample("zap-json/bcgov_zap_2.11.0_itsecgames.json"),
                                           Sample("dependency-check-xml/dd_pr6439_engine7.3.0_large.xml")};

TEST_F(PipelineTest, StageThreadStoresWhatTheParserThreadStores) {
  std::vector<std::vector<uint64_t>> counts;
  for (bool stage : {false, true}) {
    TearDown();
    auto store = Open();
    ASSERT_TRUE(store);
    PipelineResult r = RunPipeline(*store, Inputs(kReports), Options(stage));
    ASSERT_FALSE(r.any_failed);
    ASSERT_EQ(r.files.size(), 2u);
    std::vector<uint64_t> c;
    for (const auto& f : r.files) {
      EXPECT_EQ(f.status, "ok") << f.error;
      EXPECT_GT(f.counts.new_, 0u) << f.file;
      c.push_back(f.counts.records);
      c.push_back(f.counts.new_);
    }
    c.push_back(r.findings);
    c.push_back(static_cast<uint64_t>(CountFindings(*store)));
    counts.push_back(c);
  }
  EXPECT_EQ(counts[0], counts[1]);
}

TEST_F(PipelineTest, SecondIngestOfTheSameBytesIsARepeat) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_FALSE(RunPipeline(*store, Inputs({kReports[0]}), Options(true)).any_failed);
  PipelineResult again = RunPipeline(*store, Inputs({kReports[0]}), Options(true));
  ASSERT_EQ(again.files.size(), 1u);
  EXPECT_EQ(again.files[0].status, "unchanged");
  EXPECT_EQ(again.findings, 0u);
}

TEST_F(PipelineTest, ABadReportFailsAloneAndIsLogged) {
  auto store = Open();
  ASSERT_TRUE(store);
  std::vector<std::string> logged;
  PipelineOptions o = Options(true);
  o.log = [&](LogLevel l, const std::string& m) {
    if (l == LogLevel::kError) logged.push_back(m);
  };
  auto in = Inputs({"/nonexistent/report.json", kReports[0]});
  PipelineResult r = RunPipeline(*store, std::move(in), o);
  EXPECT_TRUE(r.any_failed);
  EXPECT_EQ(r.files[0].status, "error");
  EXPECT_EQ(r.files[1].status, "ok");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0].find("/nonexistent/report.json"), std::string::npos);
}

TEST_F(PipelineTest, StopRollsBackTheReportBeingStored) {
  auto store = Open();
  ASSERT_TRUE(store);
  for (bool stage : {false, true}) {
    PipelineOptions o = Options(stage);
    std::atomic<bool> stop{false};
    o.stop = [&] { return stop.load(); };
    o.stop_reason = [] { return std::string("interrupted by test"); };
    // Stop as soon as the writer has stored a first chunk of the first report.
    o.progress = [&](size_t, uint64_t, uint64_t findings, bool) {
      if (findings > 0) stop = true;
    };
    PipelineResult r = RunPipeline(*store, Inputs(kReports), o);
    EXPECT_TRUE(r.stopped);
    EXPECT_EQ(r.processed, 1u);  // the first report, rolled back; the second is never read
    EXPECT_EQ(r.files[0].status, "error");
    EXPECT_NE(r.files[0].error.find("interrupted by test; rolled back"), std::string::npos) << r.files[0].error;
    EXPECT_EQ(CountFindings(*store), 0) << "stage=" << stage;
  }
}

TEST_F(PipelineTest, ProgressEndsWithEveryFileAndByte) {
  auto store = Open();
  ASSERT_TRUE(store);
  PipelineOptions o = Options(true);
  size_t last_files = 0;
  bool final_seen = false;
  uint64_t last_bytes = 0;
  o.progress = [&](size_t files, uint64_t bytes, uint64_t, bool final) {
    last_files = files;
    last_bytes = bytes;
    final_seen = final_seen || final;
  };
  PipelineResult r = RunPipeline(*store, Inputs(kReports), o);
  EXPECT_TRUE(final_seen);
  EXPECT_EQ(last_files, 2u);
  EXPECT_EQ(last_bytes, fs::file_size(kReports[0]) + fs::file_size(kReports[1]));
  EXPECT_EQ(r.bytes, last_bytes);
}

}  // namespace
}  // namespace findex
