// Semgrep identity: a finding that only moved keeps its fingerprint, and the same scan written
// as Semgrep JSON or as SARIF gives the same findings with the same fingerprints (also checked
// for CodeGuru, whose SARIF sarif.cpp reads).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/driver.h"
#include "ingest/registry.h"

using namespace findex;

namespace {

std::vector<Finding> Ingest(Source& src, std::string_view format) {
  const FormatDescriptor* fmt = FindFormat(format);
  EXPECT_NE(fmt, nullptr) << format;
  if (!fmt) return {};
  CollectingSink sink;
  auto res = IngestSource(src, fmt, IngestOptions{}, sink);
  EXPECT_TRUE(res.ok()) << src.path() << ": " << (res.ok() ? "" : res.error().ToString());
  EXPECT_TRUE(sink.rejects.empty()) << src.path();
  return std::move(sink.findings);
}

std::vector<Finding> IngestSample(const std::string& relative, std::string_view format) {
  auto src = Source::FromFile(std::string(FINDEX_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(src.ok()) << relative;
  if (!src.ok()) return {};
  return Ingest(*src, format);
}

std::vector<Finding> IngestText(std::string_view text, std::string_view format) {
  Source src = Source::FromString(text, std::string(format) + "-inline");
  return Ingest(src, format);
}

std::vector<std::string> SortedFingerprints(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) out.push_back(f.fingerprint.Hex());
  std::sort(out.begin(), out.end());
  return out;
}

// The findings of one scan read from its JSON and from its SARIF, side by side.
void ExpectSameScan(const std::vector<Finding>& json, const std::vector<Finding>& sarif) {
  ASSERT_EQ(json.size(), sarif.size());
  EXPECT_EQ(SortedFingerprints(json), SortedFingerprints(sarif));
  // Semgrep writes both in the same order.
  for (size_t i = 0; i < json.size(); ++i) {
    SCOPED_TRACE("finding " + std::to_string(i));
    EXPECT_EQ(json[i].fingerprint, sarif[i].fingerprint);
    EXPECT_EQ(json[i].scanner, "semgrep");
    EXPECT_EQ(sarif[i].scanner, "semgrep");
    EXPECT_EQ(json[i].generator_id, sarif[i].generator_id);
    EXPECT_EQ(json[i].location.file_path, sarif[i].location.file_path);
    EXPECT_EQ(json[i].location.start_line, sarif[i].location.start_line);
    EXPECT_EQ(json[i].severity.label, sarif[i].severity.label);
    EXPECT_EQ(json[i].workflow, sarif[i].workflow);
    EXPECT_EQ(json[i].cwes, sarif[i].cwes);
  }
}

TEST(SemgrepIdentity, MovedFindingKeepsItsFingerprint) {
  auto run1 = IngestSample("samples/semgrep/dd_semgrep_1.97.0_run1.json", "semgrep");
  auto run2 = IngestSample("samples/semgrep/dd_semgrep_1.97.0_run2.json", "semgrep");
  ASSERT_EQ(run1.size(), 1u);
  ASSERT_EQ(run2.size(), 1u);
  EXPECT_EQ(run1[0].location.start_line, 31);
  EXPECT_EQ(run2[0].location.start_line, 24);
  EXPECT_EQ(run1[0].fingerprint, run2[0].fingerprint);
}

TEST(SemgrepIdentity, JsonAndSarifOfTheSameScanAgree) {
  // The *_as_sarif samples are the JSON reports converted the way Semgrep's SARIF writer
  // (Sarif_output.ml) writes them; the corpus has no SARIF/JSON pair of one real scan.
  for (std::string name : {"dd_semgrep_1.97.0_run1", "dd_semgrep_1.97.0_run2", "dd_semgrep_many_vulns_noversion",
                           "dd_semgrep_1.100.0_fingerprint"}) {
    SCOPED_TRACE(name);
    auto json = IngestSample("samples/semgrep/" + name + ".json", "semgrep");
    auto sarif = IngestSample("samples/sarif/" + name + "_as_sarif.sarif", "sarif");
    EXPECT_FALSE(json.empty());
    ExpectSameScan(json, sarif);
  }
}

TEST(SemgrepIdentity, MovedFindingMatchesAcrossFormats) {
  auto json_run1 = IngestSample("samples/semgrep/dd_semgrep_1.97.0_run1.json", "semgrep");
  auto sarif_run2 = IngestSample("samples/sarif/dd_semgrep_1.97.0_run2_as_sarif.sarif", "sarif");
  ASSERT_EQ(json_run1.size(), 1u);
  ASSERT_EQ(sarif_run2.size(), 1u);
  EXPECT_EQ(json_run1[0].fingerprint, sarif_run2[0].fingerprint);
}

// A minimal pair written by hand: two matches on one line (told apart by their order), an
// exact duplicate record (same finding), a withheld snippet ("requires login": ordinal of the
// message), and a `nosemgrep`-ignored match.
constexpr std::string_view kJson = R"json({"version": "1.90.0", "results": [
  {"check_id": "r.eval", "path": "a.py", "start": {"line": 3, "col": 5}, "end": {"line": 3, "col": 12},
   "extra": {"message": "eval", "severity": "ERROR", "lines": "x = eval(a) + eval(b)", "metadata": {}}},
  {"check_id": "r.eval", "path": "a.py", "start": {"line": 3, "col": 15}, "end": {"line": 3, "col": 22},
   "extra": {"message": "eval", "severity": "ERROR", "lines": "x = eval(a) + eval(b)", "metadata": {}}},
  {"check_id": "r.eval", "path": "a.py", "start": {"line": 3, "col": 15}, "end": {"line": 3, "col": 22},
   "extra": {"message": "eval", "severity": "ERROR", "lines": "x = eval(a) + eval(b)", "metadata": {}}},
  {"check_id": "r.sql", "path": "b.py", "start": {"line": 9, "col": 1}, "end": {"line": 9, "col": 30},
   "extra": {"message": "SQL built from strings", "severity": "WARNING", "lines": "requires login",
             "metadata": {"cwe": ["CWE-89: SQL Injection"]}}},
  {"check_id": "r.sql", "path": "b.py", "start": {"line": 12, "col": 1}, "end": {"line": 12, "col": 30},
   "extra": {"message": "SQL built from strings", "severity": "WARNING", "lines": "requires login",
             "metadata": {"cwe": ["CWE-89: SQL Injection"]}, "is_ignored": true}}
], "errors": []})json";

constexpr std::string_view kSarif = R"json({"version": "2.1.0",
 "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json",
 "runs": [{"results": [
  {"ruleId": "r.eval", "message": {"text": "eval"}, "locations": [{"physicalLocation": {
     "artifactLocation": {"uri": "a.py", "uriBaseId": "%SRCROOT%"},
     "region": {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 12, "snippet": {"text": "x = eval(a) + eval(b)"}}}}],
   "fingerprints": {"matchBasedId/v1": "requires login"}, "properties": {}},
  {"ruleId": "r.eval", "message": {"text": "eval"}, "locations": [{"physicalLocation": {
     "artifactLocation": {"uri": "a.py", "uriBaseId": "%SRCROOT%"},
     "region": {"startLine": 3, "startColumn": 15, "endLine": 3, "endColumn": 22, "snippet": {"text": "x = eval(a) + eval(b)"}}}}],
   "fingerprints": {"matchBasedId/v1": "requires login"}, "properties": {}},
  {"ruleId": "r.eval", "message": {"text": "eval"}, "locations": [{"physicalLocation": {
     "artifactLocation": {"uri": "a.py", "uriBaseId": "%SRCROOT%"},
     "region": {"startLine": 3, "startColumn": 15, "endLine": 3, "endColumn": 22, "snippet": {"text": "x = eval(a) + eval(b)"}}}}],
   "fingerprints": {"matchBasedId/v1": "requires login"}, "properties": {}},
  {"ruleId": "r.sql", "message": {"text": "SQL built from strings"}, "locations": [{"physicalLocation": {
     "artifactLocation": {"uri": "b.py", "uriBaseId": "%SRCROOT%"},
     "region": {"startLine": 9, "startColumn": 1, "endLine": 9, "endColumn": 30, "snippet": {"text": "requires login"}}}}],
   "fingerprints": {"matchBasedId/v1": "requires login"}, "properties": {}},
  {"ruleId": "r.sql", "message": {"text": "SQL built from strings"}, "locations": [{"physicalLocation": {
     "artifactLocation": {"uri": "b.py", "uriBaseId": "%SRCROOT%"},
     "region": {"startLine": 12, "startColumn": 1, "endLine": 12, "endColumn": 30, "snippet": {"text": "requires login"}}}}],
   "fingerprints": {"matchBasedId/v1": "requires login"}, "properties": {}, "suppressions": [{"kind": "inSource"}]}],
  "tool": {"driver": {"name": "Semgrep OSS", "semanticVersion": "1.90.0", "rules": [
   {"id": "r.eval", "name": "r.eval", "shortDescription": {"text": "Semgrep Finding: r.eval"},
    "defaultConfiguration": {"level": "error"}, "properties": {"precision": "very-high", "tags": []}},
   {"id": "r.sql", "name": "r.sql", "shortDescription": {"text": "Semgrep Finding: r.sql"},
    "defaultConfiguration": {"level": "warning"},
    "properties": {"precision": "very-high", "tags": ["CWE-89: SQL Injection", "security"]}}]}}}]})json";

TEST(SemgrepIdentity, HandBuiltPairAgrees) {
  auto json = IngestText(kJson, "semgrep");
  auto sarif = IngestText(kSarif, "sarif");
  ASSERT_EQ(json.size(), 5u);
  ExpectSameScan(json, sarif);
  // Two matches on one line are two findings; the repeated record is the same finding.
  EXPECT_NE(json[0].fingerprint, json[1].fingerprint);
  EXPECT_EQ(json[1].fingerprint, json[2].fingerprint);
  // Withheld snippets fall back to the ordinal of (rule, file, message).
  EXPECT_NE(json[3].fingerprint, json[4].fingerprint);
  EXPECT_EQ(json[4].workflow, WorkflowStatus::kSuppressed);
  EXPECT_EQ(json[3].cwes, std::vector<std::string>{"CWE-89"});
}

// Semgrep withholds the matched lines from its JSON when the user is not logged in ("requires
// login") but writes them into the SARIF of the same scan: both must give the same findings.
// (A real pair of one scan -- Semgrep 1.32.0 on WebGoat, --json and --sarif, 17 results -- was
// checked by hand with this build: same 17 fingerprints; it is not in samples/ because its
// repository has no licence. The corpus has no Semgrep JSON/SARIF pair of one real scan.)
TEST(SemgrepIdentity, LoggedOutJsonAgreesWithSarifThatHasTheSnippet) {
  std::string logged_out(kJson);
  const std::string lines = R"x("lines": "x = eval(a) + eval(b)")x";
  for (size_t p = logged_out.find(lines); p != std::string::npos; p = logged_out.find(lines, p)) {
    logged_out.replace(p, lines.size(), R"x("lines": "requires login")x");
  }
  ASSERT_EQ(logged_out.find("eval(a)"), std::string::npos);
  auto json = IngestText(logged_out, "semgrep");
  auto sarif = IngestText(kSarif, "sarif");
  ASSERT_EQ(json.size(), 5u);
  ExpectSameScan(json, sarif);
  // Also against the JSON of a logged-in user.
  ExpectSameScan(IngestText(kJson, "semgrep"), json);
}

// The same for a real report: each sample's JSON with every "lines" withheld, against the SARIF
// (with snippets) of the same scan.
TEST(SemgrepIdentity, LoggedOutSamplesAgreeWithTheirSarif) {
  for (std::string name : {"dd_semgrep_1.97.0_run1", "dd_semgrep_many_vulns_noversion", "dd_semgrep_1.100.0_fingerprint"}) {
    SCOPED_TRACE(name);
    auto src = Source::FromFile(std::string(FINDEX_SOURCE_DIR) + "/samples/semgrep/" + name + ".json");
    ASSERT_TRUE(src.ok());
    std::string text(src->text());
    // Replace the value of every "lines" key (a JSON string) by "requires login".
    std::string out;
    size_t pos = 0, hits = 0;
    for (size_t k = text.find("\"lines\""); k != std::string::npos; k = text.find("\"lines\"", pos)) {
      size_t q = text.find('"', text.find(':', k + 7) + 1);
      size_t e = q + 1;
      while (e < text.size() && text[e] != '"') e += text[e] == '\\' ? 2 : 1;
      out.append(text, pos, q - pos).append("\"requires login\"");
      pos = e + 1;
      ++hits;
    }
    out.append(text, pos, std::string::npos);
    ASSERT_GT(hits, 0u);
    auto json = IngestText(out, "semgrep");
    auto sarif = IngestSample("samples/sarif/" + name + "_as_sarif.sarif", "sarif");
    EXPECT_FALSE(json.empty());
    ExpectSameScan(json, sarif);
  }
}

// Distinct results that share an anchor in one file stay distinct findings: a Semgrep juice-shop
// SARIF of 38 results where two matches of one rule start at the same place of the same line
// (same snippet) and end at different columns gave 37 findings.
TEST(SarifIdentity, ThirtyEightResultsAreThirtyEightFindings) {
  auto findings = IngestSample("samples/sarif/dd_semgrep_oss_1.69.0_juiceshop_38_results_derived.sarif", "sarif");
  ASSERT_EQ(findings.size(), 38u);
  EXPECT_EQ(SortedFingerprints(findings).size(), 38u);
  std::vector<std::string> fps = SortedFingerprints(findings);
  EXPECT_EQ(std::unique(fps.begin(), fps.end()), fps.end()) << "two results share a fingerprint";
}

// Only a true duplicate (same anchor, same region, same message) is one finding; the same
// snippet at the same start with another end, or with another message, is another finding.
TEST(SarifIdentity, OnlyATrueDuplicateIsMerged) {
  auto result = [](int end_col, std::string_view message) {
    return R"({"ruleId": "r1", "message": {"text": ")" + std::string(message) +
           R"("}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/a.c"},
             "region": {"startLine": 7, "startColumn": 3, "endLine": 7, "endColumn": )" +
           std::to_string(end_col) + R"(, "snippet": {"text": "strcpy(buf, argv[1]); strcpy(b, c);"}}}}]})";
  };
  std::string log = R"({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Flawfinder"}}, "results": [)" +
                    result(20, "copy") + "," + result(20, "copy") + "," + result(35, "copy") + "," +
                    result(20, "another copy") + "]}]}";
  auto findings = IngestText(log, "sarif");
  ASSERT_EQ(findings.size(), 4u);
  EXPECT_EQ(findings[0].fingerprint, findings[1].fingerprint);  // true duplicate: stored once
  EXPECT_NE(findings[0].fingerprint, findings[2].fingerprint);  // another end
  EXPECT_NE(findings[0].fingerprint, findings[3].fingerprint);  // another message
  EXPECT_NE(findings[2].fingerprint, findings[3].fingerprint);
  // The first of its anchor keeps the anchor without ordinal: the same result alone in a file
  // (the common case) has the fingerprint it had, wherever it moves.
  std::string alone = R"({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Flawfinder"}}, "results": [)" +
                      result(20, "copy") + "]}]}";
  std::string moved = alone;
  moved.replace(moved.find("\"startLine\": 7"), 14, "\"startLine\": 9");
  moved.replace(moved.find("\"endLine\": 7"), 12, "\"endLine\": 9");
  auto a = IngestText(alone, "sarif");
  auto b = IngestText(moved, "sarif");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].location.start_line, 7);
  EXPECT_EQ(b[0].location.start_line, 9);
  EXPECT_EQ(a[0].fingerprint, b[0].fingerprint);
  EXPECT_EQ(a[0].fingerprint, findings[0].fingerprint);
}

// Semgrep 1.x wrote its keys sorted: "errors", "paths" {"scanned": [...]} and only then
// "results". The real WebGoat report of that pair has 200 KB of scanned paths first: it must
// still be detected as Semgrep.
TEST(SemgrepIdentity, SortedKeysWithLongPathsAreDetected) {
  std::string text = R"({"errors": [], "paths": {"scanned": [)";
  for (int i = 0; i < 5000; ++i) text += (i ? ", " : "") + std::string("\"src/main/java/org/owasp/webgoat/F") + std::to_string(i) + ".java\"";
  text += R"(]}, "results": [{"check_id": "r", "path": "a.java", "start": {"line": 1, "col": 1}, "end": {"line": 1, "col": 2},
    "extra": {"message": "m", "severity": "WARNING", "lines": "x", "metadata": {}}}], "version": "1.32.0"})";
  ASSERT_GT(text.size(), 70000u);
  Source src = Source::FromString(text, "semgrep_results.json");
  auto detected = DetectFormat(src.head());
  ASSERT_TRUE(detected.ok());
  EXPECT_EQ((*detected)->name, "semgrep");
}

TEST(SemgrepIdentity, SnippetMovingWithinFileKeepsFingerprints) {
  // The same two identical lines, both moved down: their order is kept, so are their anchors.
  auto make = [](int first, int second) {
    return R"json({"results": [
      {"check_id": "r", "path": "p.py", "start": {"line": )json" +
           std::to_string(first) + R"json(, "col": 1}, "end": {"line": 1, "col": 2},
       "extra": {"message": "m", "severity": "INFO", "lines": "  call()  "}},
      {"check_id": "r", "path": "p.py", "start": {"line": )json" +
           std::to_string(second) + R"json(, "col": 1}, "end": {"line": 1, "col": 2},
       "extra": {"message": "m", "severity": "INFO", "lines": "call()"}}], "errors": []})json";
  };
  auto before = IngestText(make(10, 20), "semgrep");
  auto after = IngestText(make(14, 31), "semgrep");
  ASSERT_EQ(before.size(), 2u);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_NE(before[0].fingerprint, before[1].fingerprint);
  EXPECT_EQ(before[0].fingerprint, after[0].fingerprint);
  EXPECT_EQ(before[1].fingerprint, after[1].fingerprint);
}

// CodeGuru: sarif.cpp uses codeguru.cpp's anchor. The corpus has no SARIF of a real review; the
// sample is the JSON converted the way aws-codeguru-cli's SarifConverter writes SARIF.
TEST(CodeGuruIdentity, JsonAndSarifOfTheSameReviewAgree) {
  auto json = IngestSample("samples/codeguru/awscli_codeguru_reviewer_recommendations.json", "codeguru");
  auto sarif = IngestSample("samples/sarif/awscli_codeguru_reviewer_recommendations_as_sarif.sarif", "sarif");
  ASSERT_EQ(sarif.size(), 3u);
  ASSERT_GE(json.size(), sarif.size());
  for (size_t i = 0; i < sarif.size(); ++i) {
    SCOPED_TRACE("finding " + std::to_string(i));
    EXPECT_EQ(sarif[i].scanner, "codeguru");
    EXPECT_EQ(json[i].generator_id, sarif[i].generator_id);
    EXPECT_EQ(json[i].fingerprint, sarif[i].fingerprint);
  }
}

}  // namespace
