// Falco line collapser: lines fed one at a time as the CLI does with standard input.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ingest/driver.h"
#include "ingest/formats/falco.h"
#include "ingest/registry.h"

using namespace findex;

namespace {

std::string Event(std::string_view rule, std::string_view priority, std::string_view time, std::string_view container_id,
                  std::string_view pod, int pid) {
  std::string fields = "{\"proc.name\":\"bash\",\"proc.pid\":" + std::to_string(pid);
  if (!container_id.empty()) {
    fields += ",\"container.id\":\"" + std::string(container_id) + "\",\"container.name\":\"c-" +
              std::string(container_id) + "\",\"container.image.repository\":\"nginx\"";
  }
  if (!pod.empty()) fields += ",\"k8s.ns.name\":\"shop\",\"k8s.pod.name\":\"" + std::string(pod) + "\"";
  fields += "}";
  return "{\"output\":\"" + std::string(time) + ": " + std::string(priority) + " shell (pid=" + std::to_string(pid) +
         ")\",\"priority\":\"" + std::string(priority) + "\",\"rule\":\"" + std::string(rule) + "\",\"time\":\"" +
         std::string(time) + "\",\"output_fields\":" + fields + ",\"hostname\":\"node-1\"}";
}

const Finding* ByContainer(const std::vector<Finding>& fs, std::string_view id) {
  for (const auto& f : fs) {
    if (!f.resources.empty() && f.resources[0].details_other.count("ContainerId") &&
        f.resources[0].details_other.at("ContainerId") == id)
      return &f;
  }
  return nullptr;
}

TEST(FalcoCollapser, CollapsesEventsFedIncrementally) {
  FalcoCollapser c;
  CollectingSink sink;
  std::vector<std::string> lines = {
      Event("Terminal shell in container", "Notice", "2024-05-01T10:00:02.000000002Z", "aaa", "web-1", 10),
      Event("Terminal shell in container", "Notice", "2024-05-01T10:00:01.000000001Z", "bbb", "web-2", 11),
      Event("Terminal shell in container", "NOTICE", "2024-05-01T09:59:59.123456789Z", "aaa", "web-1", 12),
      Event("Terminal shell in container", "notice", "2024-05-01T10:00:05.5Z", "aaa", "web-1", 13),
  };
  uint64_t offset = 0;
  uint32_t line_no = 0;
  for (const auto& l : lines) {
    ASSERT_TRUE(c.AddLine(l, offset, ++line_no, sink).ok());
    offset += l.size() + 1;
  }
  // The truncated last line of a log that is still being written: one reject, nothing else.
  std::string truncated = lines[0].substr(0, lines[0].size() / 2);
  ASSERT_TRUE(c.AddLine(truncated, offset, ++line_no, sink).ok());
  EXPECT_EQ(c.events(), 4u);
  EXPECT_EQ(c.rejected(), 1u);
  ASSERT_EQ(sink.rejects.size(), 1u);
  EXPECT_EQ(sink.rejects[0].line, 5u);
  EXPECT_EQ(sink.rejects[0].offset, offset);
  EXPECT_NE(sink.rejects[0].reason.find("truncated"), std::string::npos);
  EXPECT_EQ(c.pending(), 2u);
  EXPECT_TRUE(sink.findings.empty());  // nothing is emitted before Flush

  ASSERT_TRUE(c.Flush(sink).ok());
  EXPECT_EQ(c.pending(), 0u);
  ASSERT_EQ(sink.findings.size(), 2u);
  // First-seen order: container aaa first.
  EXPECT_EQ(sink.findings[0].resources[0].details_other.at("ContainerId"), "aaa");
  const Finding* a = ByContainer(sink.findings, "aaa");
  const Finding* b = ByContainer(sink.findings, "bbb");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->occurrences, 3u);
  EXPECT_EQ(a->first_observed_at, "2024-05-01T09:59:59.123456789Z");
  EXPECT_EQ(a->last_observed_at, "2024-05-01T10:00:05.5Z");
  EXPECT_EQ(b->occurrences, 1u);
  EXPECT_EQ(b->first_observed_at, "2024-05-01T10:00:01.000000001Z");
  EXPECT_EQ(b->last_observed_at, b->first_observed_at);
  EXPECT_NE(a->fingerprint, b->fingerprint);
  EXPECT_EQ(a->resources[0].type, "Container");
  EXPECT_EQ(a->severity.label, SeverityLabel::kLow);
  EXPECT_EQ(a->severity.original, "Notice");
  EXPECT_EQ(a->title, "Terminal shell in container");
}

TEST(FalcoCollapser, FlushStartsANewCountWithTheSameIdentity) {
  FalcoCollapser c;
  CollectingSink sink;
  ASSERT_TRUE(c.AddLine(Event("r", "Warning", "2024-05-01T10:00:00Z", "", "", 1), 0, 1, sink).ok());
  ASSERT_TRUE(c.Flush(sink).ok());
  ASSERT_TRUE(c.AddLine(Event("r", "Warning", "2024-05-01T11:00:00Z", "", "", 2), 100, 2, sink).ok());
  ASSERT_TRUE(c.AddLine(Event("r", "Warning", "2024-05-01T12:00:00Z", "", "", 3), 200, 3, sink).ok());
  ASSERT_TRUE(c.Flush(sink).ok());
  ASSERT_EQ(sink.findings.size(), 2u);
  EXPECT_EQ(sink.findings[0].fingerprint, sink.findings[1].fingerprint);  // pids do not matter
  EXPECT_EQ(sink.findings[0].occurrences, 1u);
  EXPECT_EQ(sink.findings[1].occurrences, 2u);
  EXPECT_EQ(sink.findings[1].first_observed_at, "2024-05-01T11:00:00Z");
  EXPECT_EQ(sink.findings[1].last_observed_at, "2024-05-01T12:00:00Z");
  EXPECT_EQ(sink.findings[0].resources[0].type, "Other");
  EXPECT_EQ(sink.findings[0].resources[0].id, "node-1");
}

TEST(FalcoCollapser, PrioritiesAndBadLines) {
  FalcoCollapser c;
  CollectingSink sink;
  const char* ok[][2] = {{"Emergency", "CRITICAL"}, {"ALERT", "CRITICAL"}, {"critical", "CRITICAL"},
                         {"Error", "HIGH"},         {"Warning", "MEDIUM"},  {"Notice", "LOW"},
                         {"Informational", "INFORMATIONAL"}, {"Debug", "INFORMATIONAL"}};
  uint32_t n = 0;
  for (auto& p : ok) {
    ASSERT_TRUE(c.AddLine(Event(std::string("rule-") + p[0], p[0], "2024-05-01T10:00:00Z", "", "", 1), 0, ++n, sink).ok());
  }
  ASSERT_TRUE(c.AddLine("", 0, ++n, sink).ok());      // blank: skipped
  ASSERT_TRUE(c.AddLine("  \r", 0, ++n, sink).ok());  // blank with CR: skipped
  ASSERT_TRUE(c.AddLine(Event("x", "Severe", "2024-05-01T10:00:00Z", "", "", 1), 0, ++n, sink).ok());
  ASSERT_TRUE(c.AddLine("{\"rule\":\"x\",\"output\":\"y\"}", 0, ++n, sink).ok());
  ASSERT_TRUE(c.AddLine("{\"rule\":7,\"priority\":\"Warning\"}", 0, ++n, sink).ok());
  ASSERT_TRUE(c.AddLine("garbage", 0, ++n, sink).ok());
  EXPECT_EQ(c.rejected(), 4u);
  ASSERT_TRUE(c.Flush(sink).ok());
  ASSERT_EQ(sink.findings.size(), 8u);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(ToString(sink.findings[i].severity.label), ok[i][1]) << ok[i][0];
    EXPECT_EQ(sink.findings[i].severity.original, ok[i][0]);
  }
}

TEST(FalcoFormat, FileWithOnlyGarbageIsAnError) {
  const FormatDescriptor* fmt = FindFormat("falco");
  ASSERT_NE(fmt, nullptr);
  Source src = Source::FromString("not falco\nstill not falco\n", "x.jsonl");
  CollectingSink sink;
  auto res = IngestSource(src, fmt, IngestOptions{}, sink);
  EXPECT_FALSE(res.ok());
}

TEST(FalcoFormat, TruncatedLastLineOfAFileIsOneReject) {
  const FormatDescriptor* fmt = FindFormat("falco");
  ASSERT_NE(fmt, nullptr);
  std::string a = Event("r", "Error", "2024-05-01T10:00:00Z", "c1", "", 1);
  std::string text = a + "\n" + a + "\n" + a.substr(0, 40);
  Source src = Source::FromString(text, "x.jsonl");
  CollectingSink sink;
  auto res = IngestSource(src, fmt, IngestOptions{}, sink);
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  EXPECT_EQ(res->records, 2u);  // events read, not findings
  ASSERT_EQ(sink.rejects.size(), 1u);
  EXPECT_EQ(sink.rejects[0].line, 3u);
  EXPECT_EQ(sink.rejects[0].offset, 2 * (a.size() + 1));
  EXPECT_EQ(sink.findings[0].occurrences, 2u);
  EXPECT_EQ(sink.findings[0].severity.label, SeverityLabel::kHigh);
}

// Defect 8: `records` is the number of events read (8), not of the findings they collapse
// into (1); the occurrence count is unchanged.
TEST(FalcoFormat, RecordsAreEventsRead) {
  const FormatDescriptor* fmt = FindFormat("falco");
  ASSERT_NE(fmt, nullptr);
  auto src = Source::FromFile(std::string(FINDEX_SOURCE_DIR) + "/samples/falco/falco_repo_cat_write_2021_source_tags.jsonl");
  ASSERT_TRUE(src.ok());
  CollectingSink sink;
  auto res = IngestSource(*src, fmt, IngestOptions{}, sink);
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  ASSERT_EQ(sink.findings.size(), 1u);
  EXPECT_EQ(sink.findings[0].occurrences, 8u);
  EXPECT_EQ(res->records, 8u);
}

}  // namespace
