// KEV and EPSS feed readers (ingest/feeds.h) on small files in the feeds' published shapes.
#include <gtest/gtest.h>

#include "ingest/feeds.h"

using namespace findex;

namespace {
const std::string kData = std::string(FINDEX_SOURCE_DIR) + "/tests/data/feeds/";

Source Text(std::string_view s) { return Source::FromString(s, "mem.csv"); }
}  // namespace

TEST(Feeds, KevCatalogOneEntryPerCveLastWins) {
  auto src = Source::FromFile(kData + "kev_small.json");
  ASSERT_TRUE(src.ok()) << src.error().ToString();
  size_t skipped = 0;
  auto kev = ParseKev(*src, &skipped);
  ASSERT_TRUE(kev.ok()) << kev.error().ToString();
  EXPECT_EQ(kev->version, "2026.12.01");
  EXPECT_EQ(kev->released, "2026-12-01T17:01:45.1234Z");
  EXPECT_EQ(skipped, 1u);  // the entry without an id
  ASSERT_EQ(kev->entries.size(), 2u);
  EXPECT_EQ(kev->entries[0].cve, "CVE-2021-44228");
  EXPECT_EQ(kev->entries[0].name, "Apache Log4j2 Remote Code Execution Vulnerability (updated)");
  EXPECT_TRUE(kev->entries[0].ransomware);
  EXPECT_EQ(kev->entries[0].due_date, "2021-12-24");
  EXPECT_EQ(kev->entries[0].cwes, std::vector<std::string>{"CWE-20"});
  EXPECT_EQ(kev->entries[1].cve, "CVE-2014-0160");  // upper-cased
  EXPECT_FALSE(kev->entries[1].ransomware);
}

TEST(Feeds, KevRejectsWhatIsNotTheCatalog) {
  EXPECT_FALSE(ParseKev(Source::FromString("{\"runs\": []}", "x.json")).ok());
  EXPECT_FALSE(ParseKev(Source::FromString("{\"vulnerabilities\": [", "x.json")).ok());
}

TEST(Feeds, EpssPlainAndGzipReadTheSame) {
  for (const char* name : {"epss_small.csv", "epss_small.csv.gz"}) {
    auto src = Source::FromFile(kData + name);
    ASSERT_TRUE(src.ok()) << src.error().ToString();
    auto f = ParseEpss(*src);
    ASSERT_TRUE(f.ok()) << f.error().ToString();
    EXPECT_EQ(f->model_version, "v2025.03.14");
    EXPECT_EQ(f->score_date, "2026-12-01T12:55:00Z");
    ASSERT_EQ(f->scores.size(), 4u) << name;
    EXPECT_EQ(f->scores[0].cve, "CVE-2021-44228");
    EXPECT_DOUBLE_EQ(f->scores[0].epss, 0.94358);
    EXPECT_DOUBLE_EQ(f->scores[0].percentile, 0.99973);
    EXPECT_DOUBLE_EQ(f->scores[2].epss, 0.0);  // a score of 0 is data, not "no data"
  }
}

TEST(Feeds, EpssWithoutModelLineAndWithCrLf) {
  auto f = ParseEpss(Text("cve,epss,percentile\r\nCVE-2020-0001,0.5,0.9\r\n"));
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  EXPECT_EQ(f->model_version, "");
  ASSERT_EQ(f->scores.size(), 1u);
  EXPECT_DOUBLE_EQ(f->scores[0].percentile, 0.9);
}

TEST(Feeds, EpssBadLinesAreOneErrorNamingTheLine) {
  struct Case {
    const char* text;
    const char* where;
  } cases[] = {
      {"cve,epss,percentile\nCVE-2020-0001,1.5,0.9\n", "mem.csv:2"},    // out of range
      {"cve,epss,percentile\nCVE-2020-0001,abc,0.9\n", "mem.csv:2"},    // not a number
      {"cve,epss,percentile\nCVE-2020-0001,0.1\n", "mem.csv:2"},        // a field short
      {"cve,epss,percentile\nGHSA-xxxx,0.1,0.2\n", "mem.csv:2"},        // not a CVE
      {"#model_version:x\ncve,score\nCVE-2020-0001,0.1\n", "mem.csv:2"},  // another header
  };
  for (const auto& c : cases) {
    auto f = ParseEpss(Text(c.text));
    ASSERT_FALSE(f.ok()) << c.text;
    EXPECT_EQ(f.error().where, c.where) << c.text;
  }
  EXPECT_FALSE(ParseEpss(Text("")).ok());  // no header at all
}
