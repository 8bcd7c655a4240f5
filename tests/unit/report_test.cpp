// Report writers (rules/report.h): JUnit, SARIF, Markdown, Code Insights and the JSON verdict,
// from hand-built gate results and from real samples. The outputs are parsed back (pugixml,
// simdjson) and their content asserted; schema validation is the report_validation ctest.
#include <gtest/gtest.h>

#include <pugixml.hpp>
#include <simdjson.h>

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/driver.h"
#include "ingest/registry.h"
#include "normalize/text.h"
#include "rules/report.h"

using namespace findex;

namespace {

Finding MakeFinding(int n, SeverityLabel label, std::string scanner = "semgrep", std::string rule = "rule-a") {
  Finding f;
  f.scanner = std::move(scanner);
  f.generator_id = std::move(rule);
  f.title = "Finding " + std::to_string(n);
  f.description = "Description of finding " + std::to_string(n);
  f.severity.label = label;
  f.severity.normalized = DefaultNormalized(label);
  f.fingerprint.bytes[0] = static_cast<uint8_t>(n & 0xff);
  f.fingerprint.bytes[1] = static_cast<uint8_t>((n >> 8) & 0xff);
  f.fingerprint.bytes[15] = 0xab;
  f.location.file_path = "src/file" + std::to_string(n) + ".py";
  f.location.start_line = n + 1;
  f.scope = "repo:feature";
  f.id = MakeFindingId(f.scope, f.fingerprint);
  return f;
}

ReportItem Item(Finding f, ItemStatus status, bool is_new = false, std::vector<std::string> gates = {}) {
  ReportItem it;
  it.finding = std::move(f);
  it.status = status;
  it.is_new = is_new;
  it.gates = gates;
  it.checked_by = gates;
  if (status == ItemStatus::kSuppressed) it.finding.workflow = WorkflowStatus::kSuppressed;
  return it;
}

// Gate "ci" (max CRITICAL 0, HIGH 1) broken by two CRITICAL findings; one HIGH within limits, one
// MEDIUM it looked at, one suppressed CRITICAL.
GateReport SampleGate() {
  GateReport r;
  r.tool_version = "0.4.0";
  r.generated_at = "2026-03-01T12:00:00Z";
  r.scope = "repo:feature";
  r.baseline = "repo:main";
  r.has_verdict = true;
  r.passed = false;
  GateResult g;
  g.name = "ci";
  g.passed = false;
  g.max = {{SeverityLabel::kCritical, 0}, {SeverityLabel::kHigh, 1}};
  g.counts = {{SeverityLabel::kCritical, 2}, {SeverityLabel::kHigh, 1}, {SeverityLabel::kMedium, 1}};
  g.violated = {"CRITICAL: 2 > 0"};
  g.new_only = true;
  g.baseline = "repo:main";
  g.description = "new findings, all scanners";
  r.gates.push_back(g);
  r.items.push_back(Item(MakeFinding(1, SeverityLabel::kCritical), ItemStatus::kViolation, true, {"ci"}));
  r.items.push_back(Item(MakeFinding(2, SeverityLabel::kCritical, "zap", "10016"), ItemStatus::kViolation, true, {"ci"}));
  ReportItem high = Item(MakeFinding(3, SeverityLabel::kHigh), ItemStatus::kOpen, true);
  high.checked_by = {"ci"};
  r.items.push_back(high);
  ReportItem med = Item(MakeFinding(4, SeverityLabel::kMedium), ItemStatus::kOpen, false);
  med.checked_by = {"ci"};
  r.items.push_back(med);
  ReportItem sup = Item(MakeFinding(5, SeverityLabel::kCritical), ItemStatus::kSuppressed, false);
  sup.checked_by = {"ci"};
  sup.suppression_reason = "accepted until the rewrite";
  sup.policy = {"suppress:legacy"};
  r.items.push_back(sup);
  r.notices = {"suppression 'old' expired on 2026-02-01 (owner alice)"};
  return r;
}

const pugi::xml_node FindCase(const pugi::xml_node& suite, std::string_view name_part) {
  for (auto c : suite.children("testcase"))
    if (std::string_view(c.attribute("name").value()).find(name_part) != std::string_view::npos) return c;
  return pugi::xml_node();
}

std::vector<Finding> IngestSample(const std::string& relative) {
  auto src = Source::FromFile(std::string(FINDEX_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(src.ok()) << relative;
  if (!src.ok()) return {};
  CollectingSink sink;
  auto res = IngestSource(*src, nullptr, IngestOptions{}, sink);
  EXPECT_TRUE(res.ok()) << relative;
  AsffContext ctx;
  for (auto& f : sink.findings) Finalize(f, ctx, "repo:main", "2026-01-01T00:00:00.000Z");
  return std::move(sink.findings);
}

}  // namespace

// --- JUnit ---------------------------------------------------------------------------------------

TEST(JUnitReport, GateSuiteHasThresholdsFailuresAndSkipped) {
  std::string xml = WriteJUnitReport(SampleGate());
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str())) << xml;
  auto root = doc.child("testsuites");
  ASSERT_TRUE(root);
  auto suite = root.child("testsuite");
  EXPECT_STREQ(suite.attribute("name").value(), "ci");
  // 2 thresholds + 5 findings; CRITICAL threshold and the two CRITICAL violations fail.
  EXPECT_STREQ(suite.attribute("tests").value(), "7");
  EXPECT_STREQ(suite.attribute("failures").value(), "3");
  EXPECT_STREQ(suite.attribute("skipped").value(), "1");
  EXPECT_STREQ(suite.attribute("errors").value(), "0");
  EXPECT_STREQ(suite.attribute("time").value(), "0");
  EXPECT_STREQ(root.attribute("tests").value(), "7");
  EXPECT_STREQ(root.attribute("failures").value(), "3");

  auto crit = FindCase(suite, "max CRITICAL 0");
  ASSERT_TRUE(crit);
  EXPECT_STREQ(crit.child("failure").attribute("message").value(), "CRITICAL: 2 > 0");
  auto high = FindCase(suite, "max HIGH 1");
  ASSERT_TRUE(high);
  EXPECT_FALSE(high.child("failure")) << "1 HIGH is within max 1";

  auto v = FindCase(suite, "Finding 1");
  ASSERT_TRUE(v);
  EXPECT_STREQ(v.attribute("classname").value(), "semgrep");
  EXPECT_STREQ(v.attribute("name").value(), "[CRITICAL] Finding 1 (src/file1.py:2)");
  auto failure = v.child("failure");
  ASSERT_TRUE(failure);
  EXPECT_STREQ(failure.attribute("type").value(), "CRITICAL");
  EXPECT_STREQ(failure.attribute("message").value(), "gate ci: exceeds max CRITICAL 0");
  std::string body = failure.text().get();
  EXPECT_NE(body.find("id: " + SampleGate().items[0].finding.id), std::string::npos) << body;
  EXPECT_NE(body.find("location: src/file1.py:2"), std::string::npos);
  EXPECT_NE(body.find("Description of finding 1"), std::string::npos);

  EXPECT_FALSE(FindCase(suite, "Finding 3").child("failure"));
  EXPECT_FALSE(FindCase(suite, "Finding 3").child("skipped"));
  auto s = FindCase(suite, "Finding 5").child("skipped");
  ASSERT_TRUE(s);
  EXPECT_STREQ(s.attribute("message").value(), "accepted until the rewrite");
}

TEST(JUnitReport, FindingsOutsideTheGateAreNotItsTestCases) {
  GateReport r = SampleGate();
  ReportItem other = Item(MakeFinding(9, SeverityLabel::kHigh, "trivy"), ItemStatus::kOpen);
  r.items.push_back(other);  // no gate selected it
  std::string xml = WriteJUnitReport(r);
  EXPECT_EQ(xml.find("Finding 9"), std::string::npos);
}

TEST(JUnitReport, ExportFailsActiveFindingsAndSkipsSuppressed) {
  GateReport r;
  r.has_verdict = false;
  r.items.push_back(Item(MakeFinding(1, SeverityLabel::kLow), ItemStatus::kOpen));
  r.items.push_back(Item(MakeFinding(2, SeverityLabel::kHigh), ItemStatus::kOpen));
  r.items.push_back(Item(MakeFinding(3, SeverityLabel::kHigh), ItemStatus::kSuppressed));
  ReportItem resolved = Item(MakeFinding(4, SeverityLabel::kCritical), ItemStatus::kOpen);
  resolved.finding.workflow = WorkflowStatus::kResolved;
  r.items.push_back(resolved);
  pugi::xml_document doc;
  std::string xml = WriteJUnitReport(r);
  ASSERT_TRUE(doc.load_string(xml.c_str()));
  auto suite = doc.child("testsuites").child("testsuite");
  EXPECT_STREQ(suite.attribute("name").value(), "findex");
  EXPECT_STREQ(suite.attribute("tests").value(), "4");
  EXPECT_STREQ(suite.attribute("failures").value(), "2");
  EXPECT_STREQ(suite.attribute("skipped").value(), "1");
  EXPECT_STREQ(FindCase(suite, "Finding 2").child("failure").attribute("type").value(), "HIGH");
  EXPECT_STREQ(FindCase(suite, "Finding 1").child("failure").attribute("type").value(), "LOW");
  EXPECT_FALSE(FindCase(suite, "Finding 4").child("failure")) << "resolved findings pass";
  EXPECT_STREQ(FindCase(suite, "Finding 3").child("skipped").attribute("message").value(), "suppressed");
}

// A gate's RESOLVED item (VEX fixed, a policy rule, triage): counted by no gate, and every
// report says "resolved", not "suppressed"; a report with no resolved item reads as before.
TEST(GateReports, ResolvedItemsAreShownResolvedNotSuppressed) {
  GateReport r;
  r.has_verdict = true;
  r.passed = true;
  GateResult g;
  g.name = "ci";
  g.max = {{SeverityLabel::kCritical, 0}};
  r.gates.push_back(g);
  r.items.push_back(Item(MakeFinding(1, SeverityLabel::kHigh), ItemStatus::kOpen, false, {"ci"}));
  r.items.push_back(Item(MakeFinding(2, SeverityLabel::kHigh), ItemStatus::kSuppressed, false, {"ci"}));
  ReportItem fixed = Item(MakeFinding(3, SeverityLabel::kCritical), ItemStatus::kResolved, true, {"ci"});
  fixed.gates.clear();  // counted by no gate: checked_by only
  fixed.finding.workflow = WorkflowStatus::kResolved;
  fixed.suppression_reason = "Resolved by VEX fixed.json: fixed";
  r.items.push_back(fixed);

  pugi::xml_document doc;
  const std::string xml = WriteJUnitReport(r);
  ASSERT_TRUE(doc.load_string(xml.c_str()));
  auto suite = doc.child("testsuites").child("testsuite");
  EXPECT_STREQ(suite.attribute("failures").value(), "0");
  EXPECT_STREQ(suite.attribute("skipped").value(), "2");
  EXPECT_STREQ(FindCase(suite, "Finding 3").child("skipped").attribute("message").value(),
               "resolved: Resolved by VEX fixed.json: fixed");

  const std::string md = WriteMarkdownReport(r);
  EXPECT_NE(md.find("| Severity | New | Existing | Suppressed | Resolved | Total |"), std::string::npos) << md;
  EXPECT_NE(md.find("| CRITICAL | 0 | 0 | 0 | 1 | 1 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| **Total** | 0 | 1 | 1 | 1 | 3 |"), std::string::npos) << md;
  EXPECT_EQ(md.find("Finding 3"), std::string::npos) << "not a top finding: " << md;

  const std::string ci = WriteCodeInsightsReport(r);
  EXPECT_NE(ci.find("3 findings: 0 violating, 0 new, 1 suppressed, 1 resolved."), std::string::npos) << ci;
  EXPECT_NE(ci.find("; resolved: Resolved by VEX fixed.json: fixed"), std::string::npos) << ci;

  uint64_t truncated = 0;
  const std::string sarif = WriteSarifReport(r, 100, &truncated);
  EXPECT_NE(sarif.find("\"justification\": \"resolved: Resolved by VEX fixed.json: fixed\""), std::string::npos) << sarif;
  EXPECT_NE(sarif.find("\"status\": \"resolved\""), std::string::npos) << sarif;

  const std::string json = WriteVerdictJson(r);
  EXPECT_NE(json.find("\"resolved\": 1"), std::string::npos) << json;
  EXPECT_NE(json.find("\"resolution_note\": \"Resolved by VEX fixed.json: fixed\""), std::string::npos) << json;

  // Without the resolved item: no Resolved column, no "resolved" in the texts.
  r.items.pop_back();
  EXPECT_NE(WriteMarkdownReport(r).find("| Severity | New | Existing | Suppressed | Total |"), std::string::npos);
  EXPECT_EQ(WriteCodeInsightsReport(r).find("resolved"), std::string::npos);
}

TEST(JUnitReport, EscapesMarkupAndControlCharacters) {
  GateReport r;
  Finding f = MakeFinding(1, SeverityLabel::kHigh);
  f.title = std::string("a<b>&\"c\"'d' \x01\x1b end \xff");
  f.description = "line1\nline2 <script>&amp;";
  r.items.push_back(Item(f, ItemStatus::kOpen));
  std::string xml = WriteJUnitReport(r);
  EXPECT_NE(xml.find("a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;"), std::string::npos) << xml;
  EXPECT_EQ(xml.find('\x01'), std::string::npos);
  EXPECT_EQ(xml.find('\x1b'), std::string::npos);
  EXPECT_EQ(xml.find('\xff'), std::string::npos);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str())) << xml;
  auto tc = doc.child("testsuites").child("testsuite").child("testcase");
  // Control bytes and the invalid UTF-8 byte are replaced by U+FFFD; the rest round-trips.
  EXPECT_STREQ(tc.attribute("name").value(),
               "[HIGH] a<b>&\"c\"'d' \xEF\xBF\xBD\xEF\xBF\xBD end \xEF\xBF\xBD (src/file1.py:2)");
  std::string body = tc.child("failure").text().get();
  EXPECT_NE(body.find("line1 line2 <script>&amp;"), std::string::npos) << body;
}

// --- SARIF ---------------------------------------------------------------------------------------

TEST(SarifReport, FingerprintsLevelsSuppressionsAndRules) {
  GateReport r = SampleGate();
  uint64_t truncated = 99;
  std::string sarif = WriteSarifReport(r, 25000, &truncated);
  EXPECT_EQ(truncated, 0u);
  EXPECT_EQ(sarif, WriteSarifReport(r, 25000, &truncated)) << "deterministic";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(sarif).get(doc)) << sarif;
  EXPECT_EQ(std::string_view(doc["version"]), "2.1.0");
  auto run = doc["runs"].at(0);
  EXPECT_EQ(std::string_view(run["tool"]["driver"]["name"]), "findex");
  EXPECT_EQ(std::string_view(run["tool"]["driver"]["version"]), "0.4.0");
  simdjson::dom::array rules = run["tool"]["driver"]["rules"];
  ASSERT_EQ(rules.size(), 2u);  // semgrep/rule-a, zap/10016
  EXPECT_EQ(std::string_view(rules.at(0)["id"]), "semgrep/rule-a");
  EXPECT_EQ(std::string_view(rules.at(0)["properties"]["security-severity"]), "9.5");
  EXPECT_EQ(std::string_view(rules.at(1)["id"]), "zap/10016");

  simdjson::dom::array results = run["results"];
  ASSERT_EQ(results.size(), 5u);
  for (size_t i = 0; i < results.size(); ++i) {
    auto res = results.at(i);
    std::string_view fp = res["partialFingerprints"]["findex/v1"];
    std::string_view id = res["properties"]["findex-id"];
    bool found = false;
    for (const auto& it : r.items)
      if (it.finding.id == id) {
        EXPECT_EQ(fp, it.finding.fingerprint.Hex());
        found = true;
      }
    EXPECT_TRUE(found) << id;
    uint64_t idx = res["ruleIndex"];
    EXPECT_EQ(std::string_view(rules.at(idx)["id"]), std::string_view(res["ruleId"]));
  }
  auto first = results.at(0);
  EXPECT_EQ(std::string_view(first["level"]), "error");
  EXPECT_EQ(std::string_view(first["baselineState"]), "new");
  auto loc = first["locations"].at(0)["physicalLocation"];
  EXPECT_EQ(std::string_view(loc["artifactLocation"]["uri"]), "src/file1.py");
  EXPECT_EQ(std::string_view(loc["artifactLocation"]["uriBaseId"]), "%SRCROOT%");
  EXPECT_EQ(int64_t(loc["region"]["startLine"]), 2);
  // The suppressed finding is last, with an external accepted suppression.
  auto last = results.at(4);
  EXPECT_EQ(std::string_view(last["suppressions"].at(0)["kind"]), "external");
  EXPECT_EQ(std::string_view(last["suppressions"].at(0)["status"]), "accepted");
  EXPECT_EQ(std::string_view(last["suppressions"].at(0)["justification"]), "accepted until the rewrite");
  EXPECT_EQ(std::string_view(results.at(3)["level"]), "warning");  // MEDIUM
  EXPECT_TRUE(results.at(2)["suppressions"].error() == simdjson::NO_SUCH_FIELD);
}

TEST(SarifReport, SecuritySeverityPerLabel) {
  const std::pair<SeverityLabel, std::string_view> want[] = {
      {SeverityLabel::kCritical, "9.5"}, {SeverityLabel::kHigh, "8.0"}, {SeverityLabel::kMedium, "5.5"},
      {SeverityLabel::kLow, "2.0"},      {SeverityLabel::kInformational, "0.0"}};
  const std::string_view level[] = {"error", "error", "warning", "note", "note"};
  GateReport r;
  int n = 0;
  for (auto [label, _] : want) {
    r.items.push_back(Item(MakeFinding(n, label, "s", "r" + std::to_string(n)), ItemStatus::kOpen));
    ++n;
  }
  uint64_t truncated = 0;
  std::string sarif = WriteSarifReport(r, 100, &truncated);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(sarif).get(doc));
  simdjson::dom::array rules = doc["runs"].at(0)["tool"]["driver"]["rules"];
  simdjson::dom::array results = doc["runs"].at(0)["results"];
  ASSERT_EQ(rules.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(std::string_view(rules.at(i)["properties"]["security-severity"]), want[i].second) << i;
    EXPECT_EQ(std::string_view(results.at(i)["level"]), level[i]) << i;
    EXPECT_TRUE(results.at(i)["baselineState"].error() == simdjson::NO_SUCH_FIELD) << "export: no baseline";
  }
}

TEST(SarifReport, RuleIdsAndDescriptionsOfSharedGeneratorIds) {
  GateReport r;
  // Dependency-Check's generator id names the data source, shared by unrelated CVEs.
  Finding a = MakeFinding(1, SeverityLabel::kHigh, "dependency-check", "dependency-check/OSSINDEX");
  a.title = "CVE-1 in lib-a";
  Finding b = MakeFinding(2, SeverityLabel::kMedium, "dependency-check", "dependency-check/OSSINDEX");
  b.title = "CVE-2 in lib-b";
  Finding z1 = MakeFinding(3, SeverityLabel::kLow, "zap", "zap/10020");
  z1.title = "Missing header";
  Finding z2 = MakeFinding(4, SeverityLabel::kLow, "zap", "zap/10020");
  z2.title = "Missing header";
  for (const auto& f : {a, b, z1, z2}) r.items.push_back(Item(f, ItemStatus::kOpen));
  std::string sarif = WriteSarifReport(r, 100, nullptr);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(sarif).get(doc));
  simdjson::dom::array rules = doc["runs"].at(0)["tool"]["driver"]["rules"];
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(std::string_view(rules.at(0)["id"]), "dependency-check/OSSINDEX");  // not prefixed twice
  EXPECT_EQ(std::string_view(rules.at(0)["shortDescription"]["text"]), "dependency-check rule dependency-check/OSSINDEX");
  EXPECT_EQ(std::string_view(rules.at(0)["properties"]["security-severity"]), "8.0") << "the rule's worst finding";
  EXPECT_TRUE(rules.at(0)["fullDescription"].error() == simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(std::string_view(rules.at(1)["id"]), "zap/10020");
  EXPECT_EQ(std::string_view(rules.at(1)["shortDescription"]["text"]), "Missing header");
  EXPECT_EQ(std::string_view(doc["runs"].at(0)["results"].at(1)["message"]["text"]), "CVE-2 in lib-b");
}

TEST(SarifReport, TruncationKeepsViolationsAndMostSevere) {
  GateReport r;
  r.has_verdict = true;
  // Out of order on purpose: the writer ranks violations, then severity.
  for (int i = 0; i < 30; ++i) r.items.push_back(Item(MakeFinding(i, SeverityLabel::kLow), ItemStatus::kOpen));
  for (int i = 30; i < 35; ++i)
    r.items.push_back(Item(MakeFinding(i, SeverityLabel::kMedium), ItemStatus::kViolation, true, {"g"}));
  for (int i = 35; i < 40; ++i) r.items.push_back(Item(MakeFinding(i, SeverityLabel::kCritical), ItemStatus::kOpen));
  uint64_t truncated = 0;
  std::string sarif = WriteSarifReport(r, 12, &truncated);
  EXPECT_EQ(truncated, 28u);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(sarif).get(doc));
  simdjson::dom::array results = doc["runs"].at(0)["results"];
  ASSERT_EQ(results.size(), 12u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(std::string_view(results.at(i)["properties"]["status"]), "violation");
  for (size_t i = 5; i < 10; ++i) EXPECT_EQ(std::string_view(results.at(i)["properties"]["severity"]), "CRITICAL");
  for (size_t i = 10; i < 12; ++i) EXPECT_EQ(std::string_view(results.at(i)["properties"]["severity"]), "LOW");
  EXPECT_EQ(uint64_t(doc["runs"].at(0)["properties"]["results_left_out"]), 28u);
  WriteSarifReport(r, 12, nullptr);  // a null counter is allowed
}

TEST(SarifReport, LocationsForUrlsPackagesAndAbsolutePaths) {
  GateReport r;
  Finding dast = MakeFinding(1, SeverityLabel::kMedium, "zap", "10020");
  dast.location = {};
  dast.location.url = "http://shop.example:8080";
  Resource res;
  res.id = "http://shop.example:8080/a/../b?q=1&x=<y>";
  dast.resources.push_back(res);
  r.items.push_back(Item(dast, ItemStatus::kOpen));
  Finding sca = MakeFinding(2, SeverityLabel::kHigh, "dependency-check", "CVE-2021-1");
  sca.location = {};
  Vulnerability v;
  v.id = "CVE-2021-1";
  VulnerablePackage p;
  p.name = "lib";
  p.version = "1.0";
  p.file_path = "lib dir/pom.xml";
  v.vulnerable_packages.push_back(p);
  sca.vulnerabilities.push_back(v);
  sca.cwes = {"CWE-79"};
  r.items.push_back(Item(sca, ItemStatus::kOpen));
  Finding abs = MakeFinding(3, SeverityLabel::kLow);
  abs.location.file_path = "/var/lib/dpkg/status";
  abs.location.start_line = 0;
  r.items.push_back(Item(abs, ItemStatus::kOpen));

  std::string sarif = WriteSarifReport(r, 100, nullptr);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(sarif).get(doc));
  simdjson::dom::array results = doc["runs"].at(0)["results"];
  ASSERT_EQ(results.size(), 3u);
  // Sorted by severity: HIGH (sca), MEDIUM (dast), LOW (abs).
  auto sca_loc = results.at(0)["locations"].at(0);
  EXPECT_EQ(std::string_view(sca_loc["physicalLocation"]["artifactLocation"]["uri"]), "lib%20dir/pom.xml");
  EXPECT_EQ(std::string_view(results.at(0)["message"]["text"]), "Finding 2 (lib@1.0)");
  simdjson::dom::array tags = doc["runs"].at(0)["tool"]["driver"]["rules"].at(0)["properties"]["tags"];
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(std::string_view(tags.at(1)), "external/cwe/cwe-79");

  auto dast_loc = results.at(1)["locations"].at(0);
  EXPECT_EQ(std::string_view(dast_loc["physicalLocation"]["artifactLocation"]["uri"]), "shop.example_8080/a/b_q_1_x_y_");
  EXPECT_EQ(std::string_view(dast_loc["physicalLocation"]["artifactLocation"]["uriBaseId"]), "%SRCROOT%");
  EXPECT_EQ(std::string_view(dast_loc["logicalLocations"].at(0)["fullyQualifiedName"]), res.id);
  EXPECT_EQ(std::string_view(results.at(1)["message"]["text"]), "Finding 1 (http://shop.example:8080)");
  EXPECT_TRUE(dast_loc["physicalLocation"]["region"].error() == simdjson::NO_SUCH_FIELD);

  auto abs_loc = results.at(2)["locations"].at(0)["physicalLocation"];
  EXPECT_EQ(std::string_view(abs_loc["artifactLocation"]["uri"]), "file:///var/lib/dpkg/status");
  EXPECT_TRUE(abs_loc["artifactLocation"]["uriBaseId"].error() == simdjson::NO_SUCH_FIELD);
  EXPECT_TRUE(abs_loc["region"].error() == simdjson::NO_SUCH_FIELD) << "line 0: no region";
}

TEST(SarifReport, FingerprintsStableAcrossRunsOfRealReports) {
  // ZAP bodgeit scans 1 and 2 are two runs against the same app: findings present in both
  // must carry the same partialFingerprints.
  auto run1 = IngestSample("samples/zap-xml/dd_zap_2.10.0_bodgeit_scan1.xml");
  auto run2 = IngestSample("samples/zap-xml/dd_zap_2.10.0_bodgeit_scan2.xml");
  ASSERT_FALSE(run1.empty());
  auto fps = [](const std::vector<Finding>& fs) {
    GateReport r;
    for (const auto& f : fs) r.items.push_back(Item(f, ItemStatus::kOpen));
    std::string sarif = WriteSarifReport(r, 25000, nullptr);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    EXPECT_FALSE(parser.parse(sarif).get(doc));
    std::map<std::string, std::string> out;  // rule + title -> fingerprint
    for (auto res : simdjson::dom::array(doc["runs"].at(0)["results"]))
      out[std::string(std::string_view(res["ruleId"])) + " " + std::string(std::string_view(res["message"]["text"]))] =
          std::string(std::string_view(res["partialFingerprints"]["findex/v1"]));
    return out;
  };
  auto a = fps(run1), b = fps(run2);
  size_t common = 0;
  for (const auto& [k, fp] : a) {
    auto it = b.find(k);
    if (it == b.end()) continue;
    ++common;
    EXPECT_EQ(fp, it->second) << k;
  }
  EXPECT_GT(common, 5u);
  EXPECT_EQ(a, fps(IngestSample("samples/zap-xml/dd_zap_2.10.0_bodgeit_scan1.xml")));
}

// --- Markdown ------------------------------------------------------------------------------------

TEST(MarkdownReport, HeadlineCountsGatesNoticesAndEscaping) {
  GateReport r = SampleGate();
  r.items[0].finding.title = "SQL | injection `x` <script> *bold*";
  std::string md = WriteMarkdownReport(r, 10);
  EXPECT_EQ(md.rfind("## findex gate: FAILED\n", 0), 0u) << md;
  EXPECT_NE(md.find("| CRITICAL | 2 | 0 | 1 | 3 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| HIGH | 1 | 0 | 0 | 1 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| MEDIUM | 0 | 1 | 0 | 1 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| **Total** | 3 | 1 | 1 | 5 |"), std::string::npos) << md;
  EXPECT_NE(md.find("### Gate ci failed"), std::string::npos);
  EXPECT_NE(md.find("| max CRITICAL 0 | 2 |"), std::string::npos) << md;
  EXPECT_EQ(md.find("| max HIGH 1 |"), std::string::npos) << "only violated thresholds";
  EXPECT_NE(md.find("- suppression 'old' expired on 2026-02-01 (owner alice)"), std::string::npos);
  EXPECT_NE(md.find("SQL \\| injection \\`x\\` &lt;script&gt; \\*bold\\*"), std::string::npos) << md;
  EXPECT_EQ(md.find("<script>"), std::string::npos);
  EXPECT_EQ(md.find("Finding 5"), std::string::npos) << "suppressed findings are not listed";
  // Each table row keeps its column count despite the '|' in the title.
  size_t row = md.find("SQL \\|");
  size_t bol = md.rfind('\n', row) + 1;
  std::string line = md.substr(bol, md.find('\n', row) - bol);
  size_t pipes = 0;
  for (size_t i = 0; i < line.size(); ++i)
    if (line[i] == '|' && (i == 0 || line[i - 1] != '\\')) ++pipes;
  EXPECT_EQ(pipes, 7u) << line;  // 6 columns

  r.passed = true;
  r.gates[0].passed = true;
  EXPECT_EQ(WriteMarkdownReport(r, 10).rfind("## findex gate: passed\n", 0), 0u);
}

TEST(MarkdownReport, TopNAndSizeLimit) {
  GateReport r;
  r.has_verdict = true;
  for (int i = 0; i < 25; ++i) r.items.push_back(Item(MakeFinding(i, SeverityLabel::kHigh), ItemStatus::kOpen));
  std::string md = WriteMarkdownReport(r, 10);
  EXPECT_NE(md.find("... and 15 more"), std::string::npos) << md;

  GateReport big;
  big.has_verdict = true;
  for (int i = 0; i < 5000; ++i) {
    Finding f = MakeFinding(i, SeverityLabel::kMedium);
    f.title = std::string(300, 'x') + std::to_string(i);
    big.items.push_back(Item(f, ItemStatus::kOpen));
  }
  md = WriteMarkdownReport(big, 5000);
  EXPECT_LT(md.size(), 65000u);
  size_t pos = md.find("... and ");
  ASSERT_NE(pos, std::string::npos);
  size_t rows = 0;
  for (size_t p = md.find("| MEDIUM | semgrep"); p != std::string::npos; p = md.find("| MEDIUM | semgrep", p + 1)) ++rows;
  EXPECT_EQ(md.substr(pos, md.find('\n', pos) - pos), "... and " + std::to_string(5000 - rows) + " more");
  EXPECT_GT(rows, 100u);
}

// --- Code Insights ------------------------------------------------------------------------------

TEST(CodeInsightsReport, ReportAnnotationsAndLimits) {
  GateReport r = SampleGate();
  r.items[2].finding.title = std::string(1000, 't');
  r.items[3].finding.location.file_path = "/build/src/file4.py";
  Finding info = MakeFinding(7, SeverityLabel::kInformational);
  info.location.start_line = 0;
  ReportItem info_item = Item(info, ItemStatus::kOpen);
  r.items.push_back(info_item);
  std::string json = WriteCodeInsightsReport(r);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(json).get(doc)) << json;
  auto rep = doc["report"];
  EXPECT_EQ(std::string_view(rep["title"]), "findex");
  EXPECT_EQ(std::string_view(rep["report_type"]), "SECURITY");
  EXPECT_EQ(std::string_view(rep["reporter"]), "findex");
  EXPECT_EQ(std::string_view(rep["result"]), "FAILED");
  EXPECT_NE(std::string_view(rep["details"]).find("ci (CRITICAL: 2 > 0)"), std::string_view::npos);
  simdjson::dom::array data = rep["data"];
  EXPECT_LE(data.size(), 10u);
  EXPECT_EQ(std::string_view(data.at(0)["type"]), "BOOLEAN");
  EXPECT_EQ(bool(data.at(0)["value"]), false);
  EXPECT_EQ(uint64_t(data.at(1)["value"]), 2u);  // violations

  simdjson::dom::array anns = doc["annotations"];
  ASSERT_EQ(anns.size(), 6u);
  auto a0 = anns.at(0);
  EXPECT_EQ(std::string_view(a0["external_id"]), "findex-" + r.items[0].finding.fingerprint.Hex());
  EXPECT_EQ(std::string_view(a0["annotation_type"]), "VULNERABILITY");
  EXPECT_EQ(std::string_view(a0["severity"]), "CRITICAL");
  EXPECT_EQ(std::string_view(a0["result"]), "FAILED");
  EXPECT_EQ(std::string_view(a0["path"]), "src/file1.py");
  EXPECT_EQ(int64_t(a0["line"]), 2);
  for (auto a : anns) EXPECT_LE(Utf8Length(std::string_view(a["summary"])), 450u);
  EXPECT_EQ(std::string_view(anns.at(2)["result"]), "PASSED");   // HIGH within limits
  // An absolute path is no repository file: no path/line, the location stays in the summary.
  EXPECT_TRUE(anns.at(3)["path"].error() == simdjson::NO_SUCH_FIELD);
  EXPECT_TRUE(anns.at(3)["line"].error() == simdjson::NO_SUCH_FIELD);
  EXPECT_NE(std::string_view(anns.at(3)["summary"]).find("(/build/src/file4.py:5)"), std::string_view::npos);
  EXPECT_EQ(std::string_view(anns.at(5)["result"]), "IGNORED");  // suppressed, last
  auto info_ann = anns.at(4);
  EXPECT_EQ(std::string_view(info_ann["severity"]), "LOW");  // INFORMATIONAL has no Bitbucket level
  EXPECT_TRUE(info_ann["line"].error() == simdjson::NO_SUCH_FIELD);
}

TEST(CodeInsightsReport, AtMost1000AnnotationsMostSevereFirst) {
  GateReport r;
  for (int i = 0; i < 1400; ++i) r.items.push_back(Item(MakeFinding(i, SeverityLabel::kLow), ItemStatus::kOpen));
  for (int i = 1400; i < 1410; ++i) r.items.push_back(Item(MakeFinding(i, SeverityLabel::kCritical), ItemStatus::kOpen));
  // Same fingerprint twice (two scopes): external ids stay unique.
  r.items.push_back(Item(MakeFinding(0, SeverityLabel::kCritical), ItemStatus::kOpen));
  std::string json = WriteCodeInsightsReport(r);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(json).get(doc));
  simdjson::dom::array anns = doc["annotations"];
  ASSERT_EQ(anns.size(), 1000u);
  std::set<std::string> ids;
  for (size_t i = 0; i < 11; ++i) EXPECT_EQ(std::string_view(anns.at(i)["severity"]), "CRITICAL") << i;
  for (auto a : anns) ids.insert(std::string(std::string_view(a["external_id"])));
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_TRUE(doc["report"]["result"].error() == simdjson::NO_SUCH_FIELD) << "an export has no verdict";
}

// --- Verdict JSON --------------------------------------------------------------------------------

TEST(VerdictJson, GatesCountsFindings) {
  GateReport r = SampleGate();
  std::string json = WriteVerdictJson(r);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(json).get(doc)) << json;
  EXPECT_EQ(bool(doc["passed"]), false);
  EXPECT_EQ(std::string_view(doc["baseline"]), "repo:main");
  auto g = doc["gates"].at(0);
  EXPECT_EQ(std::string_view(g["name"]), "ci");
  EXPECT_EQ(int64_t(g["max"]["CRITICAL"]), 0);
  EXPECT_EQ(uint64_t(g["counts"]["CRITICAL"]), 2u);
  EXPECT_EQ(std::string_view(g["violated"].at(0)), "CRITICAL: 2 > 0");
  EXPECT_EQ(bool(g["new_only"]), true);
  EXPECT_EQ(uint64_t(doc["counts"]["violations"]), 2u);
  EXPECT_EQ(uint64_t(doc["counts"]["open"]), 2u);
  EXPECT_EQ(uint64_t(doc["counts"]["suppressed"]), 1u);
  EXPECT_EQ(uint64_t(doc["counts"]["new"]), 3u);
  EXPECT_EQ(std::string_view(doc["notices"].at(0)), r.notices[0]);
  simdjson::dom::array fs = doc["findings"];
  ASSERT_EQ(fs.size(), 5u);
  EXPECT_EQ(std::string_view(fs.at(0)["status"]), "violation");
  EXPECT_EQ(std::string_view(fs.at(0)["fingerprint"]), r.items[0].finding.fingerprint.Hex());
  EXPECT_EQ(std::string_view(fs.at(0)["location"]), "src/file1.py:2");
  EXPECT_EQ(std::string_view(fs.at(4)["status"]), "suppressed");
  EXPECT_EQ(std::string_view(fs.at(4)["suppression_reason"]), "accepted until the rewrite");
  EXPECT_EQ(std::string_view(fs.at(4)["policy"].at(0)), "suppress:legacy");

  r.has_verdict = false;
  ASSERT_FALSE(parser.parse(WriteVerdictJson(r)).get(doc));
  EXPECT_TRUE(doc["passed"].is_null());
}

// --- Real samples through every writer -----------------------------------------------------------

TEST(Reports, RealSamplesSemgrepAndZap) {
  auto semgrep = IngestSample("samples/semgrep/dd_semgrep_1.30.0.json");
  auto zap = IngestSample("samples/zap-xml/dd_zap_2.10.0_bodgeit_scan1.xml");
  ASSERT_FALSE(semgrep.empty());
  ASSERT_FALSE(zap.empty());
  GateReport r;
  r.has_verdict = true;
  r.passed = false;
  GateResult g;
  g.name = "ci";
  g.passed = false;
  g.max = {{SeverityLabel::kMedium, 0}};
  for (auto& f : semgrep) {
    ReportItem it = Item(f, f.severity.label == SeverityLabel::kMedium ? ItemStatus::kViolation : ItemStatus::kOpen, true);
    it.checked_by = {"ci"};
    if (it.status == ItemStatus::kViolation) it.gates = {"ci"};
    ++g.counts[f.severity.label];
    r.items.push_back(std::move(it));
  }
  for (auto& f : zap) r.items.push_back(Item(f, ItemStatus::kOpen));
  g.violated = {"MEDIUM: " + std::to_string(g.counts[SeverityLabel::kMedium]) + " > 0"};
  r.gates.push_back(g);

  pugi::xml_document xml;
  std::string junit = WriteJUnitReport(r);
  ASSERT_TRUE(xml.load_string(junit.c_str()));
  auto suite = xml.child("testsuites").child("testsuite");
  EXPECT_EQ(suite.attribute("tests").as_uint(), semgrep.size() + 1);  // ZAP findings not gated
  EXPECT_STREQ(FindCase(suite, "formatted-template-string").attribute("classname").value(), "semgrep");
  EXPECT_NE(std::string(FindCase(suite, "formatted-template-string").attribute("name").value()).find("(test.go:"),
            std::string::npos);

  std::string sarif = WriteSarifReport(r, 25000, nullptr);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(sarif).get(doc));
  simdjson::dom::array results = doc["runs"].at(0)["results"];
  ASSERT_EQ(results.size(), semgrep.size() + zap.size());
  size_t zap_results = 0;
  for (auto res : results) {
    std::string_view rule = res["ruleId"];
    if (rule.rfind("zap/", 0) != 0) continue;
    ++zap_results;
    auto loc = res["locations"].at(0);
    std::string_view uri = loc["physicalLocation"]["artifactLocation"]["uri"];
    EXPECT_EQ(uri.rfind("bodgeit.securecodebox-demo.svc_8080", 0), 0u) << uri;
    std::string_view logical = loc["logicalLocations"].at(0)["fullyQualifiedName"];
    EXPECT_EQ(logical.rfind("http://bodgeit.securecodebox-demo.svc:8080", 0), 0u) << logical;
  }
  EXPECT_EQ(zap_results, zap.size());
  std::string md = WriteMarkdownReport(r, 5);
  EXPECT_NE(md.find("test.go:"), std::string::npos);
  EXPECT_NE(md.find("... and " + std::to_string(semgrep.size() + zap.size() - 5) + " more"), std::string::npos) << md;
}

// --- Streaming -------------------------------------------------------------------------------------

namespace {

// A source that makes each item when it is read (nothing kept between calls) and logs, for each
// piece the sink receives, how far the current pass had got.
struct GeneratedItems {
  int n = 0;
  int passes = 0;
  int visited = 0;  // items yielded so far in the current pass
  ReportItem Make(int i) const {
    SeverityLabel l = i % 50 == 0 ? SeverityLabel::kCritical : SeverityLabel::kMedium;  // already in report order
    ReportItem it = Item(MakeFinding(i, l, "semgrep", "rule-" + std::to_string(i % 7)), ItemStatus::kOpen, i % 3 == 0);
    it.finding.description = std::string(2000, 'd');
    return it;
  }
  ReportItems Source() {
    ReportItems items;
    items.for_each = [this](const ReportItemVisitor& visit) {
      ++passes;
      visited = 0;
      // Critical first, then the rest: report order.
      for (int pass = 0; pass < 2; ++pass)
        for (int i = 0; i < n; ++i) {
          if ((i % 50 == 0) != (pass == 0)) continue;
          ++visited;
          if (!visit(Make(i))) return Status::Ok();
        }
      return Status::Ok();
    };
    return items;
  }
  GateReport Whole() const {
    GateReport r;
    r.generated_at = "2026-03-01T12:00:00Z";
    for (int i = 0; i < n; ++i) r.items.push_back(Make(i));
    return r;
  }
};

struct LoggingSink {
  std::string out;
  std::vector<std::pair<int, int>> pieces;  // (pass, items visited in it) at each piece
  ReportSink Sink(const GeneratedItems* src) {
    return [this, src](std::string_view piece) {
      out.append(piece);
      pieces.emplace_back(src->passes, src->visited);
      return Status::Ok();
    };
  }
};

}  // namespace

TEST(StreamingReports, WrittenWhileTheItemsAreReadAndIdenticalToTheWholeDocument) {
  GeneratedItems src;
  src.n = 3000;  // ~6 MB of descriptions: many pieces
  const GateReport whole = src.Whole();
  GateReport head = whole;
  head.items.clear();
  using Writer = std::function<Status(const ReportItems&, const ReportSink&)>;
  const std::vector<std::tuple<std::string, Writer, std::string>> writers = {
      {"junit", [&](const ReportItems& i, const ReportSink& s) { return StreamJUnitReport(head, i, s); },
       WriteJUnitReport(whole)},
      {"sarif",
       [&](const ReportItems& i, const ReportSink& s) { return StreamSarifReport(head, i, 100000, s, nullptr); },
       WriteSarifReport(whole, 100000, nullptr)},
      {"verdict", [&](const ReportItems& i, const ReportSink& s) { return StreamVerdictJson(head, i, s); },
       WriteVerdictJson(whole)},
  };
  for (const auto& [name, write, expected] : writers) {
    LoggingSink sink;
    src.passes = 0;
    ASSERT_TRUE(write(src.Source(), sink.Sink(&src)).ok()) << name;
    EXPECT_TRUE(sink.out == expected) << name;  // (megabytes: not printed)
    // Output reached the sink during the last pass, long before its end, in pieces of bounded size.
    int during = 0;
    for (const auto& [pass, visited] : sink.pieces)
      if (pass == src.passes && visited < src.n) ++during;
    EXPECT_GE(src.passes, 2) << name << ": counts (or rules) before the rows";
    EXPECT_GT(during, 10) << name << ": pieces written while the items were read";
    EXPECT_LT(sink.pieces.front().second, src.n) << name;
  }
}

TEST(StreamingReports, LimitedWritersStopReadingEarly) {
  GeneratedItems src;
  src.n = 3000;
  const GateReport whole = src.Whole();
  GateReport head = whole;
  head.items.clear();
  LoggingSink sink;
  // SARIF with a count from the source: the rules pass stops at the limit, so does the results pass.
  ReportItems items = src.Source();
  items.count = [&]() -> Result<uint64_t> { return static_cast<uint64_t>(src.n); };
  uint64_t truncated = 0;
  ASSERT_TRUE(StreamSarifReport(head, items, 10, sink.Sink(&src), &truncated).ok());
  EXPECT_EQ(truncated, 2990u);
  EXPECT_EQ(src.visited, 10);
  EXPECT_TRUE(sink.out == WriteSarifReport(whole, 10, nullptr));
  // Markdown reads the top rows only on its second pass.
  LoggingSink md;
  ASSERT_TRUE(StreamMarkdownReport(head, src.Source(), md.Sink(&src)).ok());
  EXPECT_EQ(src.visited, 10);
  EXPECT_TRUE(md.out == WriteMarkdownReport(whole));
}
