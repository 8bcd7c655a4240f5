// findex report: the page's escaping and JSON (rules/html_report.h), and what
// GatherReportData (store/report_data.h) computes from a store with a known history.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <functional>

#include "normalize/fingerprint.h"
#include "rules/html_report.h"
#include "store/report_data.h"
#include "store/store.h"

namespace fs = std::filesystem;
using namespace findex;

namespace {

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// The text of <script type="application/json" id="findex-data">.
std::string DataBlock(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"findex-data\">";
  const size_t a = page.find(open);
  EXPECT_NE(a, std::string::npos);
  if (a == std::string::npos) return "";
  const size_t b = page.find("</script>", a);
  return page.substr(a + open.size(), b - a - open.size());
}

const char* kHostile = "</script><img src=x onerror=alert(1)><!-- \xE2\x80\xA8 & <script>alert(2)</script>";

ReportData HostileData() {
  ReportData d;
  d.generated_at = "2026-12-01T00:00:00Z";
  d.store = "<b>store</b>.db";
  d.filter_text = "title~\"</script>\"";
  d.version = "0.1.0";
  ReportRow r;
  r.rowid = 7;
  r.title = kHostile;
  r.severity = "HIGH";
  r.location = "javascript:alert(3)";
  r.sources = "zap:HIGH(</style>)";
  r.history.push_back(ReportHistory{"2026-11-01T00:00:00Z", "<svg onload=alert(4)>", "triage", "workflow", "NEW",
                                    "NOTIFIED", "</script>"});
  r.history_total = 1;
  d.rows.push_back(r);
  d.rows_total = 1;
  d.selected = 1;
  d.by_scanner.push_back(ReportGroup{"<i>zap</i>", {0, 0, 0, 1, 0}});
  d.top_rules.push_back(ReportTop{"</script>", 1, 3, 0, -1});
  return d;
}

TEST(HtmlReport, HostileTextStaysInertJson) {
  const ReportData d = HostileData();
  const std::string page = WriteHtmlReport(d);
  // Exactly the page's own two script elements close; nothing from the data opens a tag.
  EXPECT_EQ(Count(page, "</script>"), 2u);
  EXPECT_EQ(Count(page, "<script"), 2u);
  EXPECT_EQ(Count(page, "<img"), 0u);
  EXPECT_EQ(Count(page, "<svg"), 0u);
  EXPECT_EQ(Count(page, "<!--"), 0u);
  EXPECT_EQ(Count(page, "<b>"), 0u);
  EXPECT_EQ(Count(page, "<i>"), 0u);
  const std::string block = DataBlock(page);
  EXPECT_EQ(block.find('<'), std::string::npos);
  EXPECT_EQ(block.find('>'), std::string::npos);
  EXPECT_EQ(block.find('&'), std::string::npos);
  EXPECT_EQ(block.find("\xE2\x80\xA8"), std::string::npos);  // U+2028 escaped too
  EXPECT_NE(block.find("\\u003c/script\\u003e\\u003cimg src=x onerror=alert(1)\\u003e"), std::string::npos);
  // ... and it is still the same JSON value.
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(block).get(root), simdjson::SUCCESS);
  std::string_view title;
  ASSERT_EQ(root["rows"].at(0)["title"].get(title), simdjson::SUCCESS);
  EXPECT_EQ(title, kHostile);
  std::string_view note;
  ASSERT_EQ(root["rows"].at(0)["history"].at(0)["note"].get(note), simdjson::SUCCESS);
  EXPECT_EQ(note, "</script>");
  std::string_view filter;
  ASSERT_EQ(root["meta"]["filter"].get(filter), simdjson::SUCCESS);
  EXPECT_EQ(filter, "title~\"</script>\"");
  // The page's <title> is HTML-escaped text.
  EXPECT_NE(page.find("<title>findex report 2026-12-01T00:00:00Z</title>"), std::string::npos);
}

TEST(HtmlReport, PageFetchesNothing) {
  std::string page = WriteHtmlReport(HostileData());
  EXPECT_NE(page.find("default-src 'none'"), std::string::npos);
  // The markup and the script around the data (the data is JSON text, checked above).
  const std::string block = DataBlock(page);
  page.erase(page.find(block), block.size());
  EXPECT_EQ(Count(page, "<link"), 0u);
  EXPECT_EQ(Count(page, " src="), 0u);
  EXPECT_EQ(Count(page, "href="), 0u);
  EXPECT_EQ(Count(page, "url("), 0u);
  EXPECT_EQ(Count(page, "@import"), 0u);
  // The script never turns data into HTML.
  EXPECT_EQ(Count(page, "innerHTML"), 0u);
  EXPECT_EQ(Count(page, "outerHTML"), 0u);
  EXPECT_EQ(Count(page, "insertAdjacentHTML"), 0u);
  EXPECT_EQ(Count(page, "document.write"), 0u);
}

TEST(HtmlReport, HeadlineWithoutScripts) {
  ReportData d = HostileData();
  d.active = {1, 2, 3, 4, 5};
  const std::string page = WriteHtmlReport(d);
  const size_t a = page.find("<div id=\"fallback\">");
  ASSERT_NE(a, std::string::npos);
  const std::string fallback = page.substr(a, page.find("</div>", a) - a);
  EXPECT_NE(fallback.find("<tr><th>Active findings</th><td>15</td></tr>"), std::string::npos) << fallback;
  EXPECT_NE(fallback.find("<tr><th>CRITICAL</th><td>5</td></tr>"), std::string::npos) << fallback;
  EXPECT_NE(fallback.find("<tr><th>In CISA KEV</th><td>n/a</td></tr>"), std::string::npos) << fallback;
  EXPECT_NE(fallback.find("&lt;b&gt;store&lt;/b&gt;.db"), std::string::npos) << fallback;
  EXPECT_NE(fallback.find("title~&quot;&lt;/script&gt;&quot;"), std::string::npos) << fallback;
}

TEST(HtmlReport, JsonShape) {
  ReportData d = HostileData();
  d.active = {1, 2, 3, 4, 5};
  d.trend.push_back(ReportTrendPoint{1, "2026-01-01T00:00:00Z", 2, {0, 1, 0, 0, 0}});
  d.sla.days = {-1, 180, 90, 30, 7};
  d.fixed = {0, 0, 0, 2, 0};
  d.mttr_days = {0, 0, 0, 12.5, 0};
  d.ageing[4].open = 5;
  d.ageing[4].breached = 2;
  d.ageing[4].due_soon = 1;
  std::vector<ReportGroup> many;
  for (int i = 0; i < 30; ++i) many.push_back(ReportGroup{"scope" + std::to_string(i), {0, 0, 0, 0, 1}});
  d.by_scope = many;
  const std::string json = HtmlReportJson(d);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << json;
  simdjson::dom::array active;
  ASSERT_EQ(root["headline"]["active"].get(active), simdjson::SUCCESS);
  EXPECT_EQ(active.size(), 5u);
  EXPECT_EQ(int64_t(root["headline"]["active"].at(4)), 5);
  EXPECT_EQ(int64_t(root["headline"]["breached"]), 2);
  EXPECT_EQ(int64_t(root["headline"]["due_soon"]), 1);
  EXPECT_EQ(int64_t(root["headline"]["kev_known"]), 0);  // no KEV data: the page shows n/a, not 0
  EXPECT_EQ(std::string_view(root["severities"].at(4)), "CRITICAL");
  EXPECT_TRUE(root["sla"]["days"].at(0).is_null());  // no SLA for INFORMATIONAL
  EXPECT_EQ(int64_t(root["sla"]["days"].at(4)), 7);
  EXPECT_TRUE(root["mttr"]["days"].at(4).is_null());  // nothing fixed: no mean
  EXPECT_DOUBLE_EQ(double(root["mttr"]["days"].at(3)), 12.5);
  EXPECT_EQ(int64_t(root["trend"].at(0)["active"].at(1)), 1);
  // 30 scopes: the first 25 by name, the other 5 summed.
  simdjson::dom::array scopes;
  ASSERT_EQ(root["by_scope"].get(scopes), simdjson::SUCCESS);
  EXPECT_EQ(scopes.size(), kHtmlReportMaxGroups + 1);
  EXPECT_EQ(std::string_view(root["by_scope"].at(25)["key"]), "5 more");
  EXPECT_EQ(int64_t(root["by_scope"].at(25)["active"].at(4)), 5);
  for (const char* k : {"rules", "vulns", "packages"}) {
    EXPECT_TRUE(root["top"][k]["count"].is_array()) << k;
    EXPECT_TRUE(root["top"][k]["risk"].is_array()) << k;
  }
  EXPECT_TRUE(root["rows"].at(0)["kev"].is_null());  // -1: no data, not "false"
  EXPECT_TRUE(root["rows"].at(0)["epss"].is_null());
}

// A store with a known history: a (CRITICAL), b (HIGH), c (LOW) first seen on Jan 2; c gone on
// Jan 12 and back on Jan 22; b gone on Feb 1. One ingest batch each.
class ReportDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::temp_directory_path() / ("findex_report_test_" + std::to_string(::getpid()) + ".db")).string();
    Clean();
    auto s = Store::Open(path_);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
    Batch({"a", "b", "c"}, "2026-01-02T00:00:00Z");
    Batch({"a", "b"}, "2026-01-12T00:00:00Z");
    Batch({"a", "b", "c"}, "2026-01-22T00:00:00Z");
    Batch({"a", "c"}, "2026-02-01T00:00:00Z");
  }
  void TearDown() override {
    store_.reset();
    Clean();
  }
  void Clean() {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_ + suffix);
  }
  static Finding Make(const std::string& key) {
    Finding f;
    f.scanner = "zap";
    f.format = "zap";
    f.fingerprint = FingerprintOf({"report-test", key});
    f.generator_id = "rule-" + key;
    f.title = "Finding " + key;
    f.severity.label = key == "a" ? SeverityLabel::kCritical : key == "b" ? SeverityLabel::kHigh : SeverityLabel::kLow;
    f.severity.normalized = DefaultNormalized(f.severity.label);
    Finalize(f, AsffContext{}, "s", "2026-01-01T00:00:00.000Z");
    f.first_observed_at.clear();
    f.last_observed_at.clear();
    return f;
  }
  void Batch(const std::vector<std::string>& keys, const std::string& now,
             std::function<PolicyDecision(const Finding&)> policy = {}) {
    store_->BeginBatch();
    RunInfo info{"scan.json", "zap", "zap", "s", ++hash_, 1, now, false, policy};
    ASSERT_TRUE(store_->BeginRun(info).ok());
    for (const auto& k : keys) ASSERT_TRUE(store_->Put(Make(k)).ok());
    ASSERT_TRUE(store_->CommitRun().ok());
    ASSERT_TRUE(store_->CloseBatch(BatchFailures{}, now).ok());
  }
  ReportOptions Options() {
    ReportOptions o;
    o.now = "2026-02-02T00:00:00Z";
    o.now_ms = 1769990400000;  // 2026-02-02T00:00:00Z
    o.sla.days = {-1, 180, 90, 30, 7};
    return o;
  }
  std::string path_;
  std::unique_ptr<Store> store_;
  uint64_t hash_ = 100;
};

TEST_F(ReportDataTest, CountsTrendTimeToFixAgeingAndTheCap) {
  ReportOptions o = Options();
  o.max_findings = 2;
  auto d = GatherReportData(*store_, o);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->selected, 3u);
  EXPECT_EQ(d->active, (SeverityCounts{0, 1, 0, 0, 1}));  // c (LOW) and a (CRITICAL); b resolved
  EXPECT_EQ(d->resolved, 1u);
  // The latest batch (Feb 1) resolved b; nothing new or reopened in it.
  EXPECT_EQ(d->latest_at, "2026-02-01T00:00:00Z");
  EXPECT_EQ(d->latest_new, 0u);
  EXPECT_EQ(d->latest_fixed, 1u);
  EXPECT_EQ(d->latest_reopened, 0u);
  // One point per batch: the state after it.
  ASSERT_EQ(d->trend.size(), 4u);
  EXPECT_EQ(d->trend[0].active, (SeverityCounts{0, 1, 0, 1, 1}));
  EXPECT_EQ(d->trend[1].active, (SeverityCounts{0, 0, 0, 1, 1}));
  EXPECT_EQ(d->trend[2].active, (SeverityCounts{0, 1, 0, 1, 1}));
  EXPECT_EQ(d->trend[3].active, (SeverityCounts{0, 1, 0, 0, 1}));
  EXPECT_EQ(d->trend[3].active, d->active);
  // Fixes: c after 10 days (LOW), b after 30 days (HIGH).
  EXPECT_EQ(d->fixed, (std::array<uint64_t, 5>{0, 1, 0, 1, 0}));
  EXPECT_DOUBLE_EQ(d->mttr_days[1], 10.0);
  EXPECT_DOUBLE_EQ(d->mttr_days[3], 30.0);
  // Ageing: a open 31 days against 7 (breached); c's clock restarted when it came back (11 days).
  EXPECT_EQ(d->ageing[4].open, 1u);
  EXPECT_EQ(d->ageing[4].breached, 1u);
  EXPECT_EQ(d->ageing[4].buckets[2], 1u);  // 31-90 days
  EXPECT_DOUBLE_EQ(d->ageing[4].max_days, 31.0);
  EXPECT_EQ(d->ageing[1].ok, 1u);
  EXPECT_EQ(d->ageing[1].buckets[1], 1u);  // 8-30 days
  EXPECT_DOUBLE_EQ(d->ageing[1].max_days, 11.0);
  // The cap: active first, most severe first; b (resolved) left out.
  ASSERT_EQ(d->rows.size(), 2u);
  EXPECT_EQ(d->rows_total, 3u);
  EXPECT_EQ(d->rows[0].title, "Finding a");
  EXPECT_EQ(d->rows[0].sla, "breached");
  EXPECT_EQ(d->rows[1].title, "Finding c");
  EXPECT_EQ(d->rows[1].sla, "ok");
  EXPECT_DOUBLE_EQ(d->rows[1].open_days, 11.0);
  ASSERT_EQ(d->rows[1].history.size(), 2u);
  EXPECT_EQ(d->rows[1].history[0].action, "resolved");
  EXPECT_EQ(d->rows[1].history[1].action, "reopened");
  // Top rules by count (ties: most severe first).
  ASSERT_EQ(d->top_rules.size(), 2u);
  EXPECT_EQ(d->top_rules[0].key, "rule-a");
  // The page says that rows were left out.
  const std::string page = WriteHtmlReport(*d);
  EXPECT_NE(page.find("\"rows_total\":3"), std::string::npos);
  EXPECT_NE(page.find("\"rows_shown\":2"), std::string::npos);
}

TEST_F(ReportDataTest, TheTrendUndoesSeverityChangesAndPolicySuppressions) {
  // Feb 1, later: a policy lowers a to MEDIUM and suppresses c (entries by "policy", placed by time).
  Batch({"a", "c"}, "2026-02-01T12:00:00Z", [](const Finding& f) {
    PolicyDecision d;
    if (f.title == "Finding a") {
      d.severity = SeverityLabel::kMedium;
      d.applied.push_back("override:lower-a");
    }
    if (f.title == "Finding c") {
      d.workflow = WorkflowStatus::kSuppressed;
      d.applied.push_back("suppress:accept-c");
    }
    return d;
  });
  auto d = GatherReportData(*store_, Options());
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->active, (SeverityCounts{0, 0, 1, 0, 0}));
  EXPECT_EQ(d->suppressed, 1u);
  ASSERT_EQ(d->trend.size(), 5u);
  EXPECT_EQ(d->trend[0].active, (SeverityCounts{0, 1, 0, 1, 1}));  // a was CRITICAL then
  EXPECT_EQ(d->trend[3].active, (SeverityCounts{0, 1, 0, 0, 1}));
  EXPECT_EQ(d->trend[4].active, (SeverityCounts{0, 0, 1, 0, 0}));
  EXPECT_EQ(d->trend[4].active, d->active);
}

TEST_F(ReportDataTest, HistoryIsCappedPerFinding) {
  ReportOptions o = Options();
  o.max_history = 1;
  auto d = GatherReportData(*store_, o);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  ASSERT_EQ(d->rows.size(), 3u);
  EXPECT_EQ(d->rows[1].title, "Finding c");
  EXPECT_EQ(d->rows[1].history_total, 2u);
  ASSERT_EQ(d->rows[1].history.size(), 1u);
  EXPECT_EQ(d->rows[1].history[0].action, "reopened");  // the latest
}

TEST_F(ReportDataTest, TheFilterSelectsEverySection) {
  ReportOptions o = Options();
  o.filter.min_severity = SeverityLabel::kHigh;
  auto d = GatherReportData(*store_, o);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->selected, 2u);  // a and b
  EXPECT_EQ(d->active, (SeverityCounts{0, 0, 0, 0, 1}));
  ASSERT_EQ(d->trend.size(), 4u);
  EXPECT_EQ(d->trend[1].active, (SeverityCounts{0, 0, 0, 1, 1}));
  EXPECT_EQ(d->fixed, (std::array<uint64_t, 5>{0, 0, 0, 1, 0}));
  ASSERT_EQ(d->rows.size(), 2u);
  EXPECT_EQ(d->rows[1].title, "Finding b");
  ASSERT_EQ(d->by_scanner.size(), 1u);
  EXPECT_EQ(d->by_scanner[0].active, (SeverityCounts{0, 0, 0, 0, 1}));
}

}  // namespace
