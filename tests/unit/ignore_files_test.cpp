// Readers for .codeguru-ignore.yml, .trivyignore and .trivyignore.yaml (rules/ignore_files.cpp):
// suppressions produced from the fixtures under tests/data/policy/, diagnostics with positions,
// and Trivy's expiry instant.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ingest/driver.h"
#include "ingest/registry.h"
#include "rules/policy.h"

using namespace findex;

namespace {

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(FINDEX_SOURCE_DIR) + "/tests/data/policy/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const Diagnostic* FindDiag(const std::vector<Diagnostic>& ds, std::string_view code, int line) {
  for (const auto& d : ds) {
    if (d.code == code && d.pos.line == line) return &d;
  }
  return nullptr;
}

std::string DumpDiags(const std::vector<Diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) {
    out += d.pos.file + ":" + std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + " " + d.code + " " +
           (d.level == Diagnostic::Level::kError ? "error" : "warning") + ": " + d.message + "\n";
  }
  return out;
}

int CountLevel(const std::vector<Diagnostic>& ds, Diagnostic::Level l) {
  int n = 0;
  for (const auto& d : ds) n += d.level == l;
  return n;
}

using Strings = std::vector<std::string>;

// Findings of a real report from samples/, the format detected as `findex ingest` does.
std::vector<Finding> Ingest(const std::string& rel) {
  auto src = Source::FromFile(std::string(FINDEX_SOURCE_DIR) + "/samples/" + rel);
  EXPECT_TRUE(src.ok()) << rel;
  if (!src.ok()) return {};
  CollectingSink sink;
  auto res = IngestSource(*src, nullptr, IngestOptions{}, sink);
  EXPECT_TRUE(res.ok()) << rel << ": " << (res.ok() ? "" : res.error().ToString());
  return std::move(sink.findings);
}

// The name of the suppression that applies to `f` at `now_ms`, "" when none does.
std::string SuppressedBy(const Policy& p, const Finding& f, int64_t now_ms) {
  PolicyDecision d = Evaluate(p, f, now_ms);
  if (d.workflow != WorkflowStatus::kSuppressed) return "";
  for (const auto& a : d.applied) {
    if (a.rfind("suppress:", 0) == 0) return a.substr(9);
  }
  return "?";
}

const Finding* Find(const std::vector<Finding>& fs, std::string_view generator, std::string_view vuln = {},
                    std::string_view pkg = {}, std::string_view path = {}) {
  for (const auto& f : fs) {
    if (f.generator_id != generator) continue;
    if (!vuln.empty() && (f.vulnerabilities.empty() || f.vulnerabilities[0].id != vuln)) continue;
    if (!pkg.empty() && (f.vulnerabilities.empty() || f.vulnerabilities[0].vulnerable_packages.empty() ||
                         f.vulnerabilities[0].vulnerable_packages[0].name != pkg))
      continue;
    if (!path.empty() && f.location.file_path != path) continue;
    return &f;
  }
  return nullptr;
}

// 2023-01-01T00:00:00Z and 2024-01-31T00:00:00Z in Unix ms.
constexpr int64_t k20230101 = 1672531200000;
constexpr int64_t k20240131 = 1706659200000;

}  // namespace

// ------------------------------------------------------------------------------------------------
// .codeguru-ignore.yml

TEST(CodeGuruIgnore, EveryExcludeKindBecomesANamedSuppressionForCodeGuruOnly) {
  Policy p;
  std::vector<Diagnostic> diags;
  Status st = LoadCodeGuruIgnore(ReadFixture("codeguru-ignore.yml"), "repo/.codeguru-ignore.yml", &p, &diags);
  ASSERT_TRUE(st.ok()) << st.ToString() << DumpDiags(diags);
  EXPECT_TRUE(diags.empty()) << DumpDiags(diags);
  ASSERT_EQ(p.suppressions.size(), 6u);
  for (const auto& s : p.suppressions) {
    EXPECT_EQ(s.match.scanners, Strings{"codeguru"}) << s.name;
    EXPECT_TRUE(s.owner.empty());
    EXPECT_TRUE(s.expires.empty());
    EXPECT_LT(s.expires_ms, 0);
    EXPECT_EQ(s.pos.file, "repo/.codeguru-ignore.yml");
  }
  const Suppression& by_id = p.suppressions[0];
  EXPECT_EQ(by_id.name, ".codeguru-ignore.yml:5 ExcludeById 5ea0fef84e3623ae3c98ee10e25ab39899f1bfbe1a99e7ec374c31ae58d21cfe");
  EXPECT_EQ(by_id.match.ids, Strings{"5ea0fef84e3623ae3c98ee10e25ab39899f1bfbe1a99e7ec374c31ae58d21cfe"});
  EXPECT_EQ(by_id.reason, "from .codeguru-ignore.yml (ExcludeById)");
  EXPECT_EQ(by_id.pos.line, 5);
  EXPECT_EQ(by_id.pos.column, 5);

  // "Below LOW" leaves only Info: severity at most INFORMATIONAL.
  const Suppression& below = p.suppressions[1];
  EXPECT_EQ(below.name, ".codeguru-ignore.yml:8 ExcludeBelowSeverity LOW");
  ASSERT_TRUE(below.match.severity_at_most.has_value());
  EXPECT_EQ(*below.match.severity_at_most, SeverityLabel::kInformational);
  EXPECT_FALSE(below.match.severity_at_least.has_value());
  EXPECT_EQ(below.reason, "from .codeguru-ignore.yml (ExcludeBelowSeverity)");
  EXPECT_EQ(below.pos.line, 8);
  EXPECT_EQ(below.pos.column, 23);

  EXPECT_EQ(p.suppressions[2].match.tags, Strings{"cwe-755"});
  EXPECT_EQ(p.suppressions[2].pos.line, 11);

  const Suppression& rec = p.suppressions[3];
  EXPECT_EQ(rec.name, ".codeguru-ignore.yml:15 ExcludeRecommendations java/aws-region-enumeration@v1.0");
  EXPECT_EQ(rec.match.rules, Strings{"java/aws-region-enumeration@v1.0"});
  EXPECT_EQ(rec.match.paths, Strings{"src/main/java/com/amazonaws/gurureviewercli/adapter/*.java"});
  EXPECT_EQ(rec.reason, "from .codeguru-ignore.yml (ExcludeRecommendations)");

  // Keys are case-insensitive, as in the CodeGuru Reviewer CLI ("excludeFiles").
  EXPECT_EQ(p.suppressions[4].match.paths, Strings{"tst/**"});
  EXPECT_EQ(p.suppressions[4].name, ".codeguru-ignore.yml:20 ExcludeFiles tst/**");
  EXPECT_EQ(p.suppressions[5].match.paths, Strings{"test-data/**"});
  EXPECT_EQ(p.suppressions[5].pos.line, 21);
}

TEST(CodeGuruIgnore, ExcludeBelowSeverityMapsToTheLabelBelow) {
  struct Case {
    const char* value;
    SeverityLabel at_most;
  } cases[] = {{"Critical", SeverityLabel::kHigh},
               {"high", SeverityLabel::kMedium},
               {"MEDIUM", SeverityLabel::kLow},
               {"Low", SeverityLabel::kInformational}};
  for (const auto& c : cases) {
    Policy p;
    std::vector<Diagnostic> diags;
    ASSERT_TRUE(LoadCodeGuruIgnore(std::string("version: 1.0\nExcludeBelowSeverity: ") + c.value + "\n", "x.yml", &p,
                                   &diags)
                    .ok());
    ASSERT_EQ(p.suppressions.size(), 1u) << c.value;
    EXPECT_EQ(p.suppressions[0].match.severity_at_most, c.at_most) << c.value;
  }
  // Info excludes nothing (the CLI drops only what is strictly below it): a warning, no entry.
  Policy p;
  std::vector<Diagnostic> diags;
  ASSERT_TRUE(LoadCodeGuruIgnore("version: 1.0\nExcludeBelowSeverity: Info\n", "x.yml", &p, &diags).ok());
  EXPECT_TRUE(p.suppressions.empty());
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].code, "I106");
  EXPECT_EQ(diags[0].level, Diagnostic::Level::kWarning);
  EXPECT_EQ(diags[0].pos.line, 2);
  EXPECT_EQ(diags[0].pos.column, 23);
}

TEST(CodeGuruIgnore, WrongTypesUnknownKeysAndBadValuesArePositioned) {
  Policy p;
  std::vector<Diagnostic> diags;
  Status st = LoadCodeGuruIgnore(ReadFixture("codeguru-ignore-bad.yml"), "bad.yml", &p, &diags);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  SCOPED_TRACE(DumpDiags(diags));

  const Diagnostic* d = FindDiag(diags, "I108", 1);  // version 2.0
  ASSERT_TRUE(d);
  EXPECT_EQ(d->level, Diagnostic::Level::kWarning);
  EXPECT_EQ(d->pos.column, 10);
  EXPECT_EQ(d->pos.file, "bad.yml");

  d = FindDiag(diags, "I102", 2);  // ExcludeFiles: "tst/**" is not a list
  ASSERT_TRUE(d);
  EXPECT_EQ(d->level, Diagnostic::Level::kError);
  EXPECT_EQ(d->pos.column, 15);

  d = FindDiag(diags, "I101", 3);  // ExcludeFolders
  ASSERT_TRUE(d);
  EXPECT_EQ(d->level, Diagnostic::Level::kWarning);
  EXPECT_EQ(d->pos.column, 1);
  EXPECT_NE(d->message.find("ExcludeFolders"), std::string::npos);

  d = FindDiag(diags, "I105", 5);  // ExcludeBelowSeverity: Severe
  ASSERT_TRUE(d);
  EXPECT_EQ(d->level, Diagnostic::Level::kError);
  EXPECT_EQ(d->pos.column, 23);

  d = FindDiag(diags, "I105", 7);  // entry without detectorId
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pos.column, 5);

  d = FindDiag(diags, "I101", 10);  // "Location" (typo): the entry is dropped, not widened
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pos.column, 5);

  d = FindDiag(diags, "I102", 11);  // a bare string where a mapping is expected
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pos.column, 5);

  d = FindDiag(diags, "I102", 14);  // a list inside ExcludeTags
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pos.column, 5);

  EXPECT_EQ(CountLevel(diags, Diagnostic::Level::kError), 5);
  EXPECT_EQ(CountLevel(diags, Diagnostic::Level::kWarning), 3);
  // Only the valid tag survives; the typo'd ExcludeRecommendations entry is not applied everywhere.
  ASSERT_EQ(p.suppressions.size(), 1u);
  EXPECT_EQ(p.suppressions[0].match.tags, Strings{"maintainability"});
}

TEST(CodeGuruIgnore, SyntaxErrorIsOneDiagnosticWithItsPosition) {
  Policy p;
  std::vector<Diagnostic> diags;
  Status st = LoadCodeGuruIgnore("version: 1.0\nExcludeFiles:\n  - ['tst/**', 'x'\n", "cg.yml", &p, &diags);
  ASSERT_FALSE(st.ok());
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].code, "I104");
  EXPECT_EQ(diags[0].level, Diagnostic::Level::kError);
  EXPECT_EQ(diags[0].pos.line, 4);  // the unclosed list is noticed where the input ends
  EXPECT_GT(diags[0].pos.column, 0);
  EXPECT_NE(diags[0].message.find("YAML syntax error"), std::string::npos);
  EXPECT_TRUE(p.suppressions.empty());
}

TEST(CodeGuruIgnore, EmptyFileOnlyWarnsAboutTheMissingVersion) {
  Policy p;
  std::vector<Diagnostic> diags;
  ASSERT_TRUE(LoadCodeGuruIgnore("# nothing yet\n", "cg.yml", &p, &diags).ok());
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].code, "I108");
  EXPECT_TRUE(p.suppressions.empty());

  diags.clear();
  ASSERT_FALSE(LoadCodeGuruIgnore("- ExcludeFiles\n", "cg.yml", &p, &diags).ok());
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].code, "I102");
  EXPECT_EQ(diags[0].pos.line, 1);
}

// ------------------------------------------------------------------------------------------------
// .trivyignore

TEST(TrivyIgnore, IdsCommentsAndExpiry) {
  Policy p;
  std::vector<Diagnostic> diags;
  Status st = LoadTrivyIgnore(ReadFixture("trivyignore"), "ci/.trivyignore", &p, &diags);
  ASSERT_TRUE(st.ok()) << st.ToString() << DumpDiags(diags);
  EXPECT_TRUE(diags.empty()) << DumpDiags(diags);
  ASSERT_EQ(p.suppressions.size(), 6u);
  for (const auto& s : p.suppressions) EXPECT_EQ(s.match.scanners, Strings{"trivy"}) << s.name;

  // A CVE id only names vulnerabilities: one entry. The comment block right above is the reason.
  const Suppression& cve = p.suppressions[0];
  EXPECT_EQ(cve.name, ".trivyignore:2 CVE-2021-33503");
  EXPECT_EQ(cve.match.vulns, Strings{"CVE-2021-33503"});
  EXPECT_TRUE(cve.match.rules.empty());
  EXPECT_EQ(cve.reason, "from .trivyignore: Accept the risk: urllib3 is only used by the test harness");
  EXPECT_EQ(cve.pos.file, "ci/.trivyignore");
  EXPECT_EQ(cve.pos.line, 2);
  EXPECT_EQ(cve.pos.column, 1);
  EXPECT_LT(cve.expires_ms, 0);

  // exp: is the day Trivy shows the finding again: it stops applying at midnight UTC that day.
  const Suppression& exp = p.suppressions[1];
  EXPECT_EQ(exp.name, ".trivyignore:5 CVE-2021-28363");
  EXPECT_EQ(exp.expires, "2023-01-01");
  EXPECT_EQ(exp.expires_ms, k20230101);
  EXPECT_EQ(exp.reason, "from .trivyignore: Accept the risk until 2023-01-01");

  // Any other id applies to vulnerabilities, misconfigurations and secrets, as in Trivy.
  const Suppression& v = p.suppressions[2];
  const Suppression& r = p.suppressions[3];
  EXPECT_EQ(v.name, ".trivyignore:7 AVD-DS-0002");
  EXPECT_EQ(r.name, v.name);
  EXPECT_EQ(v.match.vulns, Strings{"AVD-DS-0002"});
  EXPECT_EQ(r.match.rules, (Strings{"trivy/DS-0002", "trivy/secret/AVD-DS-0002"}));
  EXPECT_TRUE(r.match.vulns.empty());
  EXPECT_EQ(r.reason, "from .trivyignore: root is needed to bind port 80 in this image");  // trailing comment
  EXPECT_EQ(r.expires, "2099-12-31");
  EXPECT_GT(r.expires_ms, k20240131);

  EXPECT_EQ(p.suppressions[4].match.vulns, Strings{"generic-unwanted-rule"});
  EXPECT_EQ(p.suppressions[5].match.rules,
            (Strings{"trivy/generic-unwanted-rule", "trivy/secret/generic-unwanted-rule"}));
  EXPECT_EQ(p.suppressions[5].reason, "from .trivyignore: Ignore secrets");
  EXPECT_EQ(p.suppressions[5].pos.line, 10);
}

TEST(TrivyIgnore, BadDatesAreErrorsAndTheLineIsSkipped) {
  Policy p;
  std::vector<Diagnostic> diags;
  Status st = LoadTrivyIgnore(ReadFixture("trivyignore-bad"), ".trivyignore", &p, &diags);
  ASSERT_FALSE(st.ok());
  SCOPED_TRACE(DumpDiags(diags));
  const Diagnostic* d = FindDiag(diags, "I103", 2);  // month 13
  ASSERT_TRUE(d);
  EXPECT_EQ(d->level, Diagnostic::Level::kError);
  EXPECT_EQ(d->pos.column, 15);
  d = FindDiag(diags, "I103", 3);  // 01/02/2023
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pos.column, 15);
  d = FindDiag(diags, "I101", 4);  // until:... is not exp:
  ASSERT_TRUE(d);
  EXPECT_EQ(d->level, Diagnostic::Level::kWarning);
  EXPECT_EQ(d->pos.column, 16);
  EXPECT_EQ(diags.size(), 3u);

  ASSERT_EQ(p.suppressions.size(), 2u);
  EXPECT_EQ(p.suppressions[0].match.vulns, Strings{"CVE-2019-0003"});
  EXPECT_EQ(p.suppressions[0].pos.column, 2);  // after the tab
  EXPECT_LT(p.suppressions[0].expires_ms, 0);
  EXPECT_EQ(p.suppressions[1].match.vulns, Strings{"CVE-2019-0004"});
}

TEST(TrivyIgnore, CrlfBomAndEmptyFiles) {
  Policy p;
  std::vector<Diagnostic> diags;
  ASSERT_TRUE(LoadTrivyIgnore("\xEF\xBB\xBF# c\r\nCVE-2020-1111 exp:2023-01-01\r\n\r\n", "t", &p, &diags).ok());
  EXPECT_TRUE(diags.empty()) << DumpDiags(diags);
  ASSERT_EQ(p.suppressions.size(), 1u);
  EXPECT_EQ(p.suppressions[0].match.vulns, Strings{"CVE-2020-1111"});
  EXPECT_EQ(p.suppressions[0].expires_ms, k20230101);
  EXPECT_EQ(p.suppressions[0].reason, "from .trivyignore: c");

  Policy empty;
  ASSERT_TRUE(LoadTrivyIgnore("", "t", &empty, &diags).ok());
  ASSERT_TRUE(LoadTrivyIgnore("# only comments\n\n", "t", &empty, &diags).ok());
  EXPECT_TRUE(empty.suppressions.empty());
  EXPECT_TRUE(diags.empty());
}

// ------------------------------------------------------------------------------------------------
// .trivyignore.yaml

TEST(TrivyIgnoreYaml, ListsBecomeSuppressionsPerKind) {
  Policy p;
  std::vector<Diagnostic> diags;
  Status st = LoadTrivyIgnoreYaml(ReadFixture("trivyignore.yaml"), ".trivyignore.yaml", &p, &diags);
  ASSERT_TRUE(st.ok()) << st.ToString() << DumpDiags(diags);
  ASSERT_EQ(p.suppressions.size(), 5u);
  for (const auto& s : p.suppressions) EXPECT_EQ(s.match.scanners, Strings{"trivy"}) << s.name;

  const Suppression& purl = p.suppressions[0];
  EXPECT_EQ(purl.name, ".trivyignore.yaml:2 CVE-2019-1549");
  EXPECT_EQ(purl.match.vulns, Strings{"CVE-2019-1549"});
  EXPECT_EQ(purl.match.packages, Strings{"libssl1.1@1.1.1c-r0"});  // purl -> name@version
  EXPECT_EQ(purl.reason, "libssl is not reachable from the entrypoint");
  EXPECT_EQ(purl.pos.line, 2);
  EXPECT_EQ(purl.pos.column, 5);

  const Suppression& exp = p.suppressions[1];
  EXPECT_EQ(exp.match.vulns, Strings{"CVE-2019-1551"});
  EXPECT_EQ(exp.expires, "2024-01-31");
  EXPECT_EQ(exp.expires_ms, k20240131);
  EXPECT_EQ(exp.reason, "from .trivyignore.yaml");

  EXPECT_EQ(p.suppressions[2].match.paths, Strings{"requirements.txt"});

  const Suppression& mis = p.suppressions[3];
  EXPECT_EQ(mis.name, ".trivyignore.yaml:13 AVD-DS-0002");
  EXPECT_EQ(mis.match.rules, Strings{"trivy/DS-0002"});
  EXPECT_TRUE(mis.match.vulns.empty());
  EXPECT_EQ(mis.match.paths, Strings{"Dockerfile"});
  EXPECT_EQ(mis.reason, "The image needs root privileges");

  const Suppression& sec = p.suppressions[4];
  EXPECT_EQ(sec.match.rules, Strings{"trivy/secret/github-pat"});
  EXPECT_EQ(sec.match.paths, Strings{"secret.txt"});

  // Licenses are not ingested by findex: a warning, no suppression.
  ASSERT_EQ(diags.size(), 1u) << DumpDiags(diags);
  EXPECT_EQ(diags[0].code, "I106");
  EXPECT_EQ(diags[0].level, Diagnostic::Level::kWarning);
  EXPECT_EQ(diags[0].pos.line, 24);
}

TEST(TrivyIgnoreYaml, EntriesWithoutIdAreScopedToTheirKind) {
  // Current Trivy: id is optional when paths or purls narrow the entry.
  const char* text =
      "vulnerabilities:\n"
      "  - purls:\n"
      "      - \"pkg:deb/ubuntu/linux-libc-dev\"\n"
      "    statement: Kernel headers, not exercised at runtime\n"
      "misconfigurations:\n"
      "  - paths:\n"
      "      - \"test/fixtures/**\"\n"
      "secrets:\n"
      "  - paths: [\"tests/**\"]\n"
      "    expired_at: 2025-06-30T12:00:00Z\n";
  Policy p;
  std::vector<Diagnostic> diags;
  ASSERT_TRUE(LoadTrivyIgnoreYaml(text, "t.yaml", &p, &diags).ok()) << DumpDiags(diags);
  EXPECT_TRUE(diags.empty()) << DumpDiags(diags);
  ASSERT_EQ(p.suppressions.size(), 3u);
  EXPECT_EQ(p.suppressions[0].name, "t.yaml:2 vulnerabilities");
  EXPECT_EQ(p.suppressions[0].match.rules, Strings{"trivy/vulnerability"});
  EXPECT_EQ(p.suppressions[0].match.packages, Strings{"linux-libc-dev"});  // no version: any version
  EXPECT_TRUE(p.suppressions[0].match.vulns.empty());
  EXPECT_TRUE(p.suppressions[1].match.rules.empty());
  EXPECT_EQ(p.suppressions[1].match.tags, Strings{"Software and Configuration Checks"});
  EXPECT_EQ(p.suppressions[1].match.paths, Strings{"test/fixtures/**"});
  EXPECT_EQ(p.suppressions[2].match.rules, Strings{"trivy/secret/*"});
  // A timestamp is an instant as written.
  EXPECT_EQ(p.suppressions[2].expires, "2025-06-30T12:00:00Z");
  EXPECT_EQ(p.suppressions[2].expires_ms, 1751284800000);
}

TEST(TrivyIgnoreYaml, WrongTypesBadDatesUnknownKeys) {
  Policy p;
  std::vector<Diagnostic> diags;
  Status st = LoadTrivyIgnoreYaml(ReadFixture("trivyignore-bad.yaml"), "bad.yaml", &p, &diags);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  SCOPED_TRACE(DumpDiags(diags));

  const Diagnostic* d = FindDiag(diags, "I102", 3);  // paths: a string
  ASSERT_TRUE(d);
  EXPECT_EQ(d->level, Diagnostic::Level::kError);
  EXPECT_EQ(d->pos.column, 12);
  d = FindDiag(diags, "I103", 5);  // expired_at: next-week
  ASSERT_TRUE(d);
  EXPECT_EQ(d->level, Diagnostic::Level::kError);
  EXPECT_EQ(d->pos.column, 17);
  d = FindDiag(diags, "I105", 8);  // not a purl
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pos.column, 9);
  d = FindDiag(diags, "I105", 9);  // no id, paths or purls
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pos.column, 5);
  d = FindDiag(diags, "I101", 11);  // reason: (Trivy calls it statement); an error since issue 8
  ASSERT_TRUE(d);
  EXPECT_EQ(d->level, Diagnostic::Level::kError);
  EXPECT_EQ(d->pos.column, 5);
  d = FindDiag(diags, "I101", 12);  // vulnerability: (singular)
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pos.column, 1);
  d = FindDiag(diags, "I102", 14);  // secrets: a string
  ASSERT_TRUE(d);
  EXPECT_EQ(d->pos.column, 10);
  EXPECT_EQ(CountLevel(diags, Diagnostic::Level::kError), 6);
  EXPECT_EQ(CountLevel(diags, Diagnostic::Level::kWarning), 1);

  // Broken entries are dropped, including the one with an unknown key (Trivy would apply it:
  // a misspelt `path:` would then suppress the id everywhere).
  EXPECT_TRUE(p.suppressions.empty());
}

TEST(TrivyIgnoreYaml, SyntaxErrorAndEmptyFile) {
  Policy p;
  std::vector<Diagnostic> diags;
  ASSERT_FALSE(LoadTrivyIgnoreYaml("vulnerabilities:\n  - id: [CVE-2023-1\n", "t.yaml", &p, &diags).ok());
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].code, "I104");
  EXPECT_GE(diags[0].pos.line, 2);
  EXPECT_GT(diags[0].pos.column, 0);

  diags.clear();
  ASSERT_TRUE(LoadTrivyIgnoreYaml("", "t.yaml", &p, &diags).ok());
  ASSERT_TRUE(LoadTrivyIgnoreYaml("vulnerabilities:\nsecrets:\n", "t.yaml", &p, &diags).ok());
  EXPECT_TRUE(diags.empty());
  EXPECT_TRUE(p.suppressions.empty());
}

// ------------------------------------------------------------------------------------------------
// Evaluate on findings ingested from real reports

namespace {
constexpr int64_t k20240601 = 1717200000000;  // 2024-06-01T00:00:00Z
}

TEST(IgnoreFilesEvaluate, CodeGuruIgnoreOnListRecommendationsResponse) {
  std::vector<Finding> fs = Ingest("codeguru/hm_list_recommendations_response.json");
  ASSERT_EQ(fs.size(), 5u);
  Policy p;
  std::vector<Diagnostic> diags;
  ASSERT_TRUE(LoadCodeGuruIgnore(ReadFixture("codeguru-ignore.yml"), ".codeguru-ignore.yml", &p, &diags).ok());

  // Medium, tagged cwe-755.
  const Finding* trace = Find(fs, "java/throw-exception-with-trace@v1.0");
  ASSERT_TRUE(trace);
  EXPECT_EQ(SuppressedBy(p, *trace, k20240601), ".codeguru-ignore.yml:11 ExcludeTags cwe-755");
  // Info, below LOW.
  const Finding* info = Find(fs, "JavaBestPractices");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->severity.label, SeverityLabel::kInformational);
  EXPECT_EQ(SuppressedBy(p, *info, k20240601), ".codeguru-ignore.yml:8 ExcludeBelowSeverity LOW");
  PolicyDecision d = Evaluate(p, *info, k20240601);
  ASSERT_TRUE(d.note.has_value());
  EXPECT_NE(d.note->text.find("from .codeguru-ignore.yml (ExcludeBelowSeverity)"), std::string::npos);
  // The region-enumeration detector is excluded only under adapter/: the HIGH one in Main.java stays.
  for (const auto& f : fs) {
    if (f.generator_id == "java/aws-region-enumeration@v1.0" && f.severity.label == SeverityLabel::kHigh) {
      EXPECT_EQ(SuppressedBy(p, f, k20240601), "") << f.title;
    }
  }
  const Finding* maint = Find(fs, "CodeMaintenanceIssues");
  ASSERT_TRUE(maint);
  EXPECT_EQ(SuppressedBy(p, *maint, k20240601), "");
  // ExcludeById names the LOW region-enumeration recommendation.
  bool by_id = false;
  for (const auto& f : fs) {
    if (f.generator_id == "java/aws-region-enumeration@v1.0" && f.severity.label == SeverityLabel::kLow) {
      EXPECT_EQ(SuppressedBy(p, f, k20240601),
                ".codeguru-ignore.yml:5 ExcludeById 5ea0fef84e3623ae3c98ee10e25ab39899f1bfbe1a99e7ec374c31ae58d21cfe");
      by_id = true;
    }
  }
  EXPECT_TRUE(by_id);
}

TEST(IgnoreFilesEvaluate, CodeGuruRulesApplyToCodeGuruFindingsOnly) {
  Policy p;
  std::vector<Diagnostic> diags;
  ASSERT_TRUE(LoadCodeGuruIgnore("version: 1.0\nExcludeFiles:\n  - '**'\nExcludeRecommendations:\n"
                                 "  - detectorId: java/aws-region-enumeration@v1.0\n"
                                 "    Locations: ['src/main/java/**/Main.java']\n",
                                 "cg.yml", &p, &diags)
                  .ok());
  for (const auto& f : Ingest("codeguru/awscli_codeguru_reviewer_recommendations.json")) {
    EXPECT_EQ(SuppressedBy(p, f, k20240601), "cg.yml:3 ExcludeFiles **") << f.title;
  }
  for (const auto& f : Ingest("trivy/dd_trivy_misconfig_secrets.json")) {
    EXPECT_EQ(SuppressedBy(p, f, k20240601), "") << f.title;
  }
  // Without ExcludeFiles, the detector entry catches both region findings in Main.java only.
  Policy q;
  q.suppressions.push_back(p.suppressions[1]);
  int hits = 0;
  for (const auto& f : Ingest("codeguru/awscli_codeguru_reviewer_recommendations.json")) {
    bool region = f.generator_id == "java/aws-region-enumeration@v1.0";
    EXPECT_EQ(SuppressedBy(q, f, k20240601), region ? "cg.yml:5 ExcludeRecommendations java/aws-region-enumeration@v1.0" : "")
        << f.title;
    hits += region;
  }
  EXPECT_EQ(hits, 2);
}

TEST(IgnoreFilesEvaluate, TrivyIgnoreOnMisconfigSecretsReport) {
  std::vector<Finding> fs = Ingest("trivy/dd_trivy_misconfig_secrets.json");
  ASSERT_EQ(fs.size(), 5u);
  Policy p;
  std::vector<Diagnostic> diags;
  ASSERT_TRUE(LoadTrivyIgnore(ReadFixture("trivyignore"), ".trivyignore", &p, &diags).ok());

  const Finding* accepted = Find(fs, "trivy/vulnerability", "CVE-2021-33503");
  const Finding* dated = Find(fs, "trivy/vulnerability", "CVE-2021-28363");
  const Finding* root = Find(fs, "trivy/DS-0002");  // reported as ID "DS002"
  ASSERT_TRUE(accepted && dated && root);
  EXPECT_EQ(SuppressedBy(p, *accepted, k20240601), ".trivyignore:2 CVE-2021-33503");
  EXPECT_EQ(SuppressedBy(p, *root, k20240601), ".trivyignore:7 AVD-DS-0002");
  for (const auto& f : fs) {
    if (f.generator_id == "trivy/secret/github-pat") {
      EXPECT_EQ(SuppressedBy(p, f, k20240601), "");
    }
  }

  // exp:2023-01-01: applies through 2022-12-31, gone from midnight UTC on the 1st (as in Trivy),
  // and the decision says which suppression expired.
  EXPECT_EQ(SuppressedBy(p, *dated, k20230101 - 1), ".trivyignore:5 CVE-2021-28363");
  PolicyDecision d = Evaluate(p, *dated, k20230101);
  EXPECT_FALSE(d.workflow.has_value());
  EXPECT_EQ(d.expired, Strings{".trivyignore:5 CVE-2021-28363 (expired 2023-01-01)"});
}

TEST(IgnoreFilesEvaluate, TrivyIgnoreYamlPathsPurlsAndExpiry) {
  Policy p;
  std::vector<Diagnostic> diags;
  ASSERT_TRUE(LoadTrivyIgnoreYaml(ReadFixture("trivyignore.yaml"), ".trivyignore.yaml", &p, &diags).ok());

  std::vector<Finding> fs = Ingest("trivy/dd_trivy_misconfig_secrets.json");
  ASSERT_EQ(fs.size(), 5u);
  EXPECT_EQ(SuppressedBy(p, *Find(fs, "trivy/vulnerability", "CVE-2021-33503"), k20240601),
            ".trivyignore.yaml:8 CVE-2021-33503");
  EXPECT_EQ(SuppressedBy(p, *Find(fs, "trivy/vulnerability", "CVE-2021-28363"), k20240601), "");
  EXPECT_EQ(SuppressedBy(p, *Find(fs, "trivy/DS-0002"), k20240601), ".trivyignore.yaml:13 AVD-DS-0002");
  // The secret entry is narrowed to secret.txt: the same rule in the Dockerfile stays.
  const Finding* in_file = Find(fs, "trivy/secret/github-pat", {}, {}, "secret.txt");
  const Finding* in_docker = Find(fs, "trivy/secret/github-pat", {}, {}, "Dockerfile");
  ASSERT_TRUE(in_file && in_docker);
  EXPECT_EQ(SuppressedBy(p, *in_file, k20240601), ".trivyignore.yaml:19 github-pat");
  EXPECT_EQ(SuppressedBy(p, *in_docker, k20240601), "");

  std::vector<Finding> alpine = Ingest("trivy/upstream_golden_alpine310.json");
  ASSERT_EQ(alpine.size(), 4u);
  // purl pkg:apk/alpine/libssl1.1@1.1.1c-r0: libssl1.1 only, not libcrypto1.1 with the same CVE.
  const Finding* ssl = Find(alpine, "trivy/vulnerability", "CVE-2019-1549", "libssl1.1");
  const Finding* crypto = Find(alpine, "trivy/vulnerability", "CVE-2019-1549", "libcrypto1.1");
  ASSERT_TRUE(ssl && crypto);
  EXPECT_EQ(SuppressedBy(p, *ssl, k20240601), ".trivyignore.yaml:2 CVE-2019-1549");
  PolicyDecision d = Evaluate(p, *ssl, k20240601);
  ASSERT_TRUE(d.note.has_value());
  EXPECT_NE(d.note->text.find("libssl is not reachable from the entrypoint"), std::string::npos);
  EXPECT_EQ(SuppressedBy(p, *crypto, k20240601), "");
  // expired_at: 2024-01-31 on both packages of CVE-2019-1551.
  int n = 0;
  for (const auto& f : alpine) {
    if (f.vulnerabilities[0].id != "CVE-2019-1551") continue;
    ++n;
    EXPECT_EQ(SuppressedBy(p, f, k20240131 - 1), ".trivyignore.yaml:6 CVE-2019-1551");
    EXPECT_EQ(SuppressedBy(p, f, k20240131), "");
    EXPECT_EQ(Evaluate(p, f, k20240131).expired, Strings{".trivyignore.yaml:6 CVE-2019-1551 (expired 2024-01-31)"});
  }
  EXPECT_EQ(n, 2);
}

TEST(IgnoreFilesEvaluate, TrivyYamlEntriesWithoutIdStayWithinTheirKind) {
  std::vector<Finding> fs = Ingest("trivy/dd_trivy_misconfig_secrets.json");
  ASSERT_EQ(fs.size(), 5u);
  struct Case {
    const char* list;
    std::string only;  // generator id prefix of the findings it must suppress
  } cases[] = {{"vulnerabilities", "trivy/vulnerability"}, {"misconfigurations", "trivy/DS-"},
               {"secrets", "trivy/secret/"}};
  for (const auto& c : cases) {
    Policy p;
    std::vector<Diagnostic> diags;
    ASSERT_TRUE(LoadTrivyIgnoreYaml(std::string(c.list) + ":\n  - paths: ['**']\n", "t.yaml", &p, &diags).ok());
    for (const auto& f : fs) {
      bool want = f.generator_id.rfind(c.only, 0) == 0;
      EXPECT_EQ(SuppressedBy(p, f, k20240601), want ? "t.yaml:2 " + std::string(c.list) : "")
          << c.list << " / " << f.generator_id;
    }
  }
}
