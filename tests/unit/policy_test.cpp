// Policy file loading (diagnostics with positions), matchers, precedence and expiry.
#include <gtest/gtest.h>

#include <array>
#include <set>

#include "normalize/fingerprint.h"
#include "rules/policy.h"

namespace findex {
namespace {

// 2026-11-22T00:00:00Z
constexpr int64_t kNow = 1795305600000LL;

Finding SastFinding() {
  Finding f;
  f.scanner = "semgrep";
  f.generator_id = "python.flask.security.xss.direct-use-of-jinja2";
  f.title = "Direct use of jinja2 can lead to XSS";
  f.severity.label = SeverityLabel::kHigh;
  f.location.file_path = "src/app/views.py";
  f.location.start_line = 12;
  f.cwes = {"CWE-79"};
  f.scope = "shop:feature-x";
  f.id = "shop:feature-x/semgrep/abc";
  f.fingerprint.bytes[0] = 0xab;
  f.fingerprint.bytes[1] = 0xcd;
  f.resources.push_back(Resource{"Other", "src/app/views.py", "", "", {}});
  return f;
}

Finding ScaFinding() {
  Finding f;
  f.scanner = "trivy";
  f.generator_id = "CVE-2022-23491";
  f.title = "python-certifi: untrusted root certificates";
  f.severity.label = SeverityLabel::kCritical;
  Vulnerability v;
  v.id = "CVE-2022-23491";
  v.related_vulnerabilities = {"GHSA-43fp-rhv2-5gv8"};
  VulnerablePackage p;
  p.name = "certifi";
  p.version = "2022.9.24";
  p.file_path = "requirements.txt";
  v.vulnerable_packages.push_back(p);
  f.vulnerabilities.push_back(v);
  f.scope = "shop:main";
  return f;
}

Policy Load(const std::string& yaml, std::vector<Diagnostic>* diags, bool expect_ok = true) {
  Policy p;
  Status s = LoadPolicyText(yaml, "findex.yml", &p, diags);
  EXPECT_EQ(s.ok(), expect_ok) << (diags->empty() ? std::string() : diags->back().ToString());
  return p;
}

TEST(Glob, SegmentsAndDoubleStar) {
  EXPECT_TRUE(GlobMatch("src/**", "src/a/b/c.py"));
  EXPECT_TRUE(GlobMatch("src/*.py", "src/views.py"));
  EXPECT_FALSE(GlobMatch("src/*.py", "src/app/views.py"));
  EXPECT_TRUE(GlobMatch("**/test/*.py", "a/b/test/x.py"));
  EXPECT_TRUE(GlobMatch("**/test/*.py", "test/x.py"));
  EXPECT_TRUE(GlobMatch("src/**/views.py", "src/views.py"));
  EXPECT_FALSE(GlobMatch("src/?iews.py", "src/app/iews.py"));
  EXPECT_TRUE(GlobMatch("src/?iews.py", "src/views.py"));
  EXPECT_FALSE(GlobMatch("src", "src/x"));
}

TEST(Expiry, DateIsValidThroughTheDay) {
  auto end = ParseExpiry("2026-11-21");
  ASSERT_TRUE(end);
  EXPECT_EQ(*end, kNow);  // 2026-11-21 is over at 2026-11-22T00:00Z
  EXPECT_EQ(*ParseExpiry("2026-11-22T00:00:00Z"), kNow);
  EXPECT_FALSE(ParseExpiry("2026-13-01"));
  EXPECT_FALSE(ParseExpiry("2026-02-29"));  // not a leap year
  EXPECT_TRUE(ParseExpiry("2028-02-29"));
  EXPECT_FALSE(ParseExpiry("--26-01-01"));  // once a crash (std::stoi)
  EXPECT_FALSE(ParseExpiry("2026-1--01"));
  EXPECT_FALSE(ParseExpiry("2026-04-31T00:00:00Z"));
  EXPECT_FALSE(ParseExpiry("next week"));
}

TEST(Matcher, EachCondition) {
  std::vector<Diagnostic> d;
  Finding sast = SastFinding(), sca = ScaFinding();
  auto matches = [&](const std::string& match, const Finding& f) {
    Policy p = Load("suppressions:\n  - name: s\n    reason: r\n    match: " + match + "\n", &d);
    return !p.suppressions.empty() && p.suppressions[0].match.Matches(f);
  };
  EXPECT_TRUE(matches("{scanner: Semgrep}", sast));
  EXPECT_FALSE(matches("{scanner: zap}", sast));
  EXPECT_TRUE(matches("{rule: 'python.flask.*'}", sast));
  EXPECT_TRUE(matches("{cwe: 79}", sast));
  EXPECT_TRUE(matches("{cwe: [CWE-89, CWE-79]}", sast));
  EXPECT_TRUE(matches("{path: 'src/**'}", sast));
  EXPECT_FALSE(matches("{path: 'src/*.py'}", sast));
  EXPECT_TRUE(matches("{title_regex: '(?i)jinja2'}", sast));
  EXPECT_TRUE(matches("{severity_at_least: HIGH}", sast));
  EXPECT_FALSE(matches("{severity_at_most: MEDIUM}", sast));
  EXPECT_TRUE(matches("{scope: 'shop:*'}", sast));
  EXPECT_TRUE(matches("{id: abcd0000}", sast));
  EXPECT_FALSE(matches("{id: abcd0001}", sast));
  EXPECT_TRUE(matches("{resource: 'src/app/*'}", sast));
  EXPECT_TRUE(matches("{vuln: GHSA-43FP-RHV2-5GV8}", sca));
  EXPECT_TRUE(matches("{cve: CVE-2022-23491}", sca));
  EXPECT_TRUE(matches("{package: certifi}", sca));
  EXPECT_TRUE(matches("{package: certifi@2022.9.24}", sca));
  EXPECT_FALSE(matches("{package: certifi@2022.12.7}", sca));
  EXPECT_TRUE(matches("{path: requirements.txt}", sca));  // the manifest of a vulnerable package
  EXPECT_FALSE(matches("{url_prefix: 'http://'}", sca));
  // Every condition must hold.
  EXPECT_FALSE(matches("{scanner: semgrep, cwe: 89}", sast));
}

// --- exploitation matchers and the SLA key (issue 11) ---

// ScaFinding with exploitation data on its vulnerability (as the store fills it from feeds).
Finding Exploited(int kev, double epss, double percentile) {
  Finding f = ScaFinding();
  f.vulnerabilities[0].exploit.kev = kev;
  if (kev == 1) f.vulnerabilities[0].exploit.kev_due = "2026-02-01";
  f.vulnerabilities[0].exploit.epss = epss;
  f.vulnerabilities[0].exploit.epss_percentile = percentile;
  return f;
}

TEST(Matcher, KevAndEpssNoDataMatchesNothing) {
  std::vector<Diagnostic> d;
  auto matches = [&](const std::string& match, const Finding& f) {
    Policy p = Load("suppressions:\n  - name: s\n    reason: r\n    match: " + match + "\n", &d);
    return !p.suppressions.empty() && p.suppressions[0].match.Matches(f);
  };
  const Finding listed = Exploited(1, 0.42, 0.97), unlisted = Exploited(0, 0.0, 0.1), none = Exploited(-1, -1, -1);
  EXPECT_TRUE(matches("{kev: true}", listed));
  EXPECT_FALSE(matches("{kev: true}", unlisted));
  EXPECT_FALSE(matches("{kev: true}", none));
  EXPECT_TRUE(matches("{kev: false}", unlisted));
  EXPECT_FALSE(matches("{kev: false}", listed));
  EXPECT_FALSE(matches("{kev: false}", none));  // no data is not "not listed"
  EXPECT_TRUE(matches("{epss_at_least: 0.42}", listed));  // at least: inclusive
  EXPECT_FALSE(matches("{epss_at_least: 0.43}", listed));
  EXPECT_TRUE(matches("{epss_at_least: 0}", unlisted));   // a score of 0 is data
  EXPECT_FALSE(matches("{epss_at_least: 0}", none));
  EXPECT_TRUE(matches("{epss_percentile_at_least: 0.9}", listed));
  EXPECT_FALSE(matches("{epss_percentile_at_least: 0.9}", unlisted));
  EXPECT_FALSE(matches("{epss_percentile_at_least: 0}", none));
  // With the other conditions: all must hold.
  EXPECT_TRUE(matches("{kev: true, scanner: trivy, epss_at_least: 0.1}", listed));
  EXPECT_FALSE(matches("{kev: true, scanner: grype}", listed));
  // The highest score among the vulnerabilities counts; one listed one makes the finding listed.
  Finding two = unlisted;
  Vulnerability v;
  v.id = "CVE-2021-44228";
  v.exploit.kev = 1;
  v.exploit.epss = 0.97;
  two.vulnerabilities.push_back(v);
  EXPECT_TRUE(matches("{kev: true, epss_at_least: 0.9}", two));
  EXPECT_TRUE(d.empty());
}

TEST(Evaluate, OverrideRaisesKevFindingsToCritical) {
  std::vector<Diagnostic> d;
  Policy p = Load("severity_overrides:\n  - name: kev-critical\n    match: {kev: true}\n    severity: CRITICAL\n", &d);
  Finding listed = Exploited(1, 0.5, 0.9), none = Exploited(-1, -1, -1);
  listed.severity.label = none.severity.label = SeverityLabel::kMedium;
  EXPECT_EQ(Evaluate(p, listed, kNow).severity, SeverityLabel::kCritical);
  EXPECT_EQ(Evaluate(p, none, kNow).severity, std::nullopt);
}

TEST(Load, ExploitMatcherErrorsHavePositions) {
  std::vector<Diagnostic> d;
  Load(R"(suppressions:
  - name: a
    reason: r
    match: {kev: maybe}
  - name: b
    reason: r
    match: {epss_at_least: 10%}
  - name: c
    reason: r
    match: {epss_percentile_at_least: 1.5}
)",
       &d, false);
  std::vector<std::string> got;
  for (const auto& x : d) got.push_back(x.ToString());
  EXPECT_EQ(got, (std::vector<std::string>{
                     "findex.yml:4:18: error P014: kev: 'maybe' is not true or false",
                     "findex.yml:7:28: error P014: epss_at_least: '10%' is not a number from 0 to 1 (0.1, not 10%)",
                     "findex.yml:10:39: error P014: epss_percentile_at_least: '1.5' is not a number from 0 to 1 (0.1, not 10%)",
                 }));
}

TEST(Load, SlaKeyAndGateSla) {
  std::vector<Diagnostic> d;
  Policy p = Load(R"(sla: {CRITICAL: 7, high: 30, MEDIUM: 90, LOW: 180, kev: due_date, due_soon: 3}
gates:
  - name: overdue
    sla: breached
    max: {CRITICAL: 0}
  - name: soon
    sla: [breached, due-soon]
    max: {HIGH: 0}
)",
                  &d);
  ASSERT_TRUE(p.sla.has_value());
  EXPECT_EQ(p.sla->days, (std::array<int, 5>{-1, 180, 90, 30, 7}));
  EXPECT_TRUE(p.sla->kev_due_cap);
  EXPECT_EQ(p.sla->due_soon_days, 3);
  ASSERT_EQ(p.gates.size(), 2u);
  EXPECT_EQ(p.gates[0].sla, std::vector<SlaState>{SlaState::kBreached});
  EXPECT_EQ(p.gates[1].sla, (std::vector<SlaState>{SlaState::kBreached, SlaState::kDueSoon}));
  EXPECT_TRUE(d.empty());
  // A second file: later values win per key, with a warning where one changes.
  Status s = LoadPolicyText("sla: {HIGH: 14, LOW: 180}\n", "team.yml", &p, &d);
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(p.sla->days, (std::array<int, 5>{-1, 180, 90, 14, 7}));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].ToString(), "team.yml:1:7: warning P016: sla HIGH redefined: this file's value wins");
  d.clear();
  Load(R"(sla:
  CRITICAL: -1
  HIGH: soon
  kev: cisa
  urgent: 1
gates:
  - name: g
    sla: late
    max: {HIGH: 0}
)",
       &d, false);
  std::vector<std::string> got;
  for (const auto& x : d) got.push_back(x.ToString());
  EXPECT_EQ(got, (std::vector<std::string>{
                     "findex.yml:2:13: error P015: sla CRITICAL: '-1' is not a number of days (0 or more)",
                     "findex.yml:3:9: error P015: sla HIGH: 'soon' is not a number of days (0 or more)",
                     "findex.yml:4:8: error P015: sla kev: 'cisa' is not due_date (cap a KEV finding's SLA at CISA's due date)",
                     "findex.yml:5:3: error P015: unknown key 'urgent' in sla (known: CRITICAL, HIGH, MEDIUM, LOW, "
                     "INFORMATIONAL, kev, due_soon)",
                     "findex.yml:8:10: error P015: gate sla: 'late' is not an SLA state (breached, due_soon, ok)",
                 }));
}

TEST(Policy, HashCoversExploitMatchersNotSla) {
  std::vector<Diagnostic> d;
  const std::string base = "suppressions:\n  - name: s\n    reason: r\n    match: ";
  const uint64_t plain = Load(base + "{scanner: trivy}\n", &d).Hash();
  const uint64_t kev = Load(base + "{scanner: trivy, kev: true}\n", &d).Hash();
  const uint64_t unkev = Load(base + "{scanner: trivy, kev: false}\n", &d).Hash();
  const uint64_t epss = Load(base + "{scanner: trivy, epss_at_least: 0.1}\n", &d).Hash();
  const uint64_t epss2 = Load(base + "{scanner: trivy, epss_at_least: 0.2}\n", &d).Hash();
  const uint64_t pct = Load(base + "{scanner: trivy, epss_percentile_at_least: 0.1}\n", &d).Hash();
  EXPECT_EQ((std::set<uint64_t>{plain, kev, unkev, epss, epss2, pct}).size(), 6u);
  EXPECT_EQ(Load("sla: {HIGH: 30}\n" + base + "{scanner: trivy}\n", &d).Hash(), plain);
}

TEST(Evaluate, OrderOverrideThenSuppressionThenRules) {
  std::vector<Diagnostic> d;
  Policy p = Load(R"(
severity_overrides:
  - name: tests-are-low
    match: {path: "src/app/**"}
    severity: LOW
  - name: never-reached
    match: {scanner: semgrep}
    severity: CRITICAL
suppressions:
  - name: low-semgrep
    match: {scanner: semgrep, severity_at_most: LOW}
    reason: accepted in review
    owner: alice
automation_rules:
  - name: tag-team
    match: {scanner: semgrep}
    actions: {user_defined_fields: {team: web}, workflow: NOTIFIED}
    terminal: true
  - name: after-terminal
    match: {scanner: semgrep}
    actions: {note: nope}
)",
                  &d);
  ASSERT_EQ(p.overrides.size(), 2u);
  PolicyDecision dec = Evaluate(p, SastFinding(), kNow);
  ASSERT_TRUE(dec.severity);
  EXPECT_EQ(*dec.severity, SeverityLabel::kLow);  // first matching override wins
  // The suppression saw the overridden label; the automation rule ran after it but cannot lift
  // the suppression (its fields still apply).
  EXPECT_EQ(dec.workflow, WorkflowStatus::kSuppressed);
  EXPECT_EQ(dec.user_defined_fields.at("team"), "web");
  ASSERT_TRUE(dec.note);
  EXPECT_NE(dec.note->text.find("accepted in review"), std::string::npos);
  EXPECT_EQ(dec.note->text, "Suppressed by policy 'low-semgrep': accepted in review (owner alice)");
  EXPECT_EQ(dec.note->updated_by, "findex-policy");
  EXPECT_EQ(dec.applied, (std::vector<std::string>{"override:tests-are-low", "suppress:low-semgrep", "rule:tag-team"}));
}

TEST(Evaluate, RulesSuppressButNeverLiftASuppression) {
  std::vector<Diagnostic> d;
  Policy p = Load(R"(
automation_rules:
  - name: notify-all
    match: {scanner: semgrep}
    actions: {workflow: NOTIFIED, note: routed}
  - name: suppress-tests
    match: {path: "src/**"}
    actions: {workflow: SUPPRESSED, note: test code}
)",
                  &d);
  PolicyDecision a = Evaluate(p, SastFinding(), kNow);
  EXPECT_EQ(a.workflow, WorkflowStatus::kSuppressed);  // a later rule may suppress
  ASSERT_TRUE(a.note);
  EXPECT_EQ(a.note->text, "test code");
  // A finding the report itself suppressed stays suppressed, and keeps no rule's note.
  Finding f = SastFinding();
  f.workflow = WorkflowStatus::kSuppressed;
  f.location.file_path = "lib/x.py";
  PolicyDecision b = Evaluate(p, f, kNow);
  EXPECT_FALSE(b.workflow);
  EXPECT_FALSE(b.note);
  EXPECT_EQ(b.applied, std::vector<std::string>{"rule:notify-all"});
}

TEST(Evaluate, ExpiredSuppressionStopsApplyingAndIsReported) {
  std::vector<Diagnostic> d;
  Policy p = Load(R"(
suppressions:
  - name: old-risk
    match: {cve: CVE-2022-23491}
    reason: waiting for upstream
    expires: 2026-11-21
  - name: fallback
    match: {package: certifi}
    reason: vendored copy
    expires: 2026-11-22
)",
                  &d);
  Finding f = ScaFinding();
  PolicyDecision before = Evaluate(p, f, kNow - 1);
  EXPECT_EQ(before.workflow, WorkflowStatus::kSuppressed);
  EXPECT_EQ(before.applied, std::vector<std::string>{"suppress:old-risk"});
  EXPECT_TRUE(before.expired.empty());
  PolicyDecision now = Evaluate(p, f, kNow);
  EXPECT_EQ(now.applied, std::vector<std::string>{"suppress:fallback"});
  EXPECT_EQ(now.expired, std::vector<std::string>{"old-risk (expired 2026-11-21)"});
  PolicyDecision later = Evaluate(p, f, kNow + 86400000LL);
  EXPECT_FALSE(later.workflow);
  EXPECT_EQ(later.expired.size(), 2u);
}

TEST(Evaluate, DeterministicAndOverrideToSameLabelIsNoChange) {
  std::vector<Diagnostic> d;
  Policy p = Load("severity_overrides:\n  - match: {scanner: trivy}\n    severity: critical\n", &d);
  PolicyDecision a = Evaluate(p, ScaFinding(), kNow), b = Evaluate(p, ScaFinding(), kNow);
  EXPECT_FALSE(a.severity);  // already CRITICAL
  EXPECT_EQ(a.applied, b.applied);
  EXPECT_EQ(a.applied, std::vector<std::string>{"override:override#1"});
}

TEST(Load, Gates) {
  std::vector<Diagnostic> d;
  Policy p = Load(R"(
gates:
  - name: no-new-criticals
    max: {CRITICAL: 0, high: 5}
    new_only: true
    baseline: shop:main
    fixable_only: yes
    scanner: [trivy, grype]
)",
                  &d);
  ASSERT_EQ(p.gates.size(), 1u);
  const GateDef& g = p.gates[0];
  EXPECT_EQ(g.name, "no-new-criticals");
  EXPECT_EQ(g.max.at(SeverityLabel::kCritical), 0);
  EXPECT_EQ(g.max.at(SeverityLabel::kHigh), 5);
  EXPECT_TRUE(g.new_only);
  EXPECT_TRUE(g.fixable_only);
  EXPECT_EQ(g.baseline, "shop:main");
  EXPECT_EQ(g.match.scanners, (std::vector<std::string>{"trivy", "grype"}));
  EXPECT_EQ(g.pos.line, 3);
  EXPECT_TRUE(d.empty());
}

TEST(Load, ErrorsCarryPositionsAndCodes) {
  std::vector<Diagnostic> d;
  Load(R"(severity_overrides:
  - match: {scanner: zap}
    severity: SEVERE
suppressions:
  - match: {cwe: 79}
    expires: someday
  - match: {title_regex: "(unclosed"}
    reason: r
gates:
  - name: g
    max: {CRITICAL: many}
    colour: red
)",
       &d, false);
  std::vector<std::string> got;
  for (const auto& x : d) got.push_back(x.ToString());
  std::vector<std::string> want = {
      "findex.yml:3:15: error P005: severity: unknown severity 'SEVERE' (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)",
      "findex.yml:5:5: error P004: suppression needs a 'reason' (why this risk is accepted)",
      "findex.yml:6:14: error P006: expires: 'someday' is not a date (YYYY-MM-DD) or RFC 3339 time",
      "findex.yml:7:26: error P007: title_regex: missing ): (unclosed (RE2 syntax)",
      "findex.yml:12:5: error P002: unknown key 'colour' in a gate (known: name, max, new_only, baseline, fixable_only, scanner, match, sla)",
      "findex.yml:11:21: error P003: max CRITICAL: 'many' is not a count (0 or more)",
  };
  EXPECT_EQ(got, want);
}

TEST(Load, SyntaxErrorHasPosition) {
  std::vector<Diagnostic> d;
  Load("suppressions:\n  - name: a\n    reason: [unclosed\n", &d, false);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].code, "P001");
  EXPECT_EQ(d[0].pos.line, 4);
}

TEST(Load, UnknownKeysAreErrorsWithDidYouMean) {
  // Issue 8: a typo must not widen or disable an entry (it was a warning, P002).
  std::vector<Diagnostic> d;
  Policy p = Load("version: 1\nsupressions: []\n", &d, false);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].level, Diagnostic::Level::kError);
  EXPECT_EQ(d[0].pos.line, 2);
  EXPECT_NE(d[0].message.find("did you mean suppressions?"), std::string::npos) << d[0].message;
  d.clear();
  Load("suppressions:\n  - name: s\n    match: {pakage: lodash}\n    reason: r\n    expire: 2026-01-01\n", &d, false);
  ASSERT_EQ(d.size(), 2u);
  // The entry's keys are checked before its match.
  EXPECT_EQ(d[0].level, Diagnostic::Level::kError);
  EXPECT_NE(d[0].message.find("unknown key 'expire' in a suppression (did you mean expires?"), std::string::npos);
  EXPECT_EQ(d[1].ToString(), "findex.yml:3:13: error P002: unknown key 'pakage' in match (did you mean package? known: id, "
                             "scanner, rule, vuln, cve, cwe, package, path, url_prefix, resource, scope, tag, title_regex, "
                             "severity_at_least, severity_at_most, kev, epss_at_least, epss_percentile_at_least)");
}

TEST(Policy, ClosestName) {
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(ClosestName("shop:mian", {"shop:main", "shop:pr-42"}), "shop:main");
  EXPECT_EQ(ClosestName("zzz", {"shop:main"}), "");
  EXPECT_EQ(ClosestName("Package", {"package"}), "package");
}

TEST(Policy, SuppressionExpiryGoesWithTheDecision) {
  std::vector<Diagnostic> d;
  Policy p = Load("suppressions:\n  - {name: s, reason: r, match: {cwe: 79}, expires: 2026-03-01}\n"
                  "  - {name: t, reason: r, match: {cwe: 89}}\n"
                  "automation_rules:\n  - {name: r, match: {cwe: 22}, actions: {workflow: SUPPRESSED}}\n",
                  &d);
  Finding f;
  f.cwes = {"CWE-79"};
  PolicyDecision x = Evaluate(p, f, 0);
  EXPECT_EQ(x.workflow, WorkflowStatus::kSuppressed);
  EXPECT_EQ(x.suppress_expires_ms, 1772409600000);  // the end of 2026-03-01 UTC
  f.cwes = {"CWE-89"};
  EXPECT_EQ(Evaluate(p, f, 0).suppress_expires_ms, -1);  // never
  f.cwes = {"CWE-22"};
  x = Evaluate(p, f, 0);
  EXPECT_EQ(x.workflow, WorkflowStatus::kSuppressed);
  EXPECT_EQ(x.suppress_expires_ms, -1);  // a rule does not expire
}

TEST(Policy, HashChangesWithContentNotGates) {
  std::vector<Diagnostic> d;
  Policy a = Load("suppressions:\n  - {name: s, reason: r, match: {cwe: 79}}\n", &d);
  Policy b = Load("suppressions:\n  - {name: s, reason: r, match: {cwe: 89}}\n", &d);
  Policy c = Load("suppressions:\n  - {name: s, reason: r, match: {cwe: 79}}\ngates:\n  - {max: {HIGH: 0}}\n", &d);
  EXPECT_NE(a.Hash(), b.Hash());
  EXPECT_EQ(a.Hash(), c.Hash());
}

}  // namespace
}  // namespace findex

// ---------------------------------------------------------------------------------------------
// Differential: matchers compiled to SQL over store columns (rules/policy_sql.h) against
// Matcher::Matches / Evaluate on the same findings, read back from a store of every sample.

#include <re2/re2.h>

#include <filesystem>
#include <map>

#include "ingest/driver.h"
#include "normalize/exploit.h"
#include "ingest/source.h"
#include "normalize/text.h"
#include "rules/gate.h"
#include "rules/policy_sql.h"
#include "store/store.h"

namespace findex {
namespace {

namespace fs = std::filesystem;

class PolicySqlDifferential : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    path_ = (fs::temp_directory_path() / ("findex-policy-sql-" + std::to_string(::getpid()) + ".db")).string();
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(path_ + s);
    auto st = Store::Open(path_);
    ASSERT_TRUE(st.ok()) << st.error().ToString();
    store_ = std::move(st.value()).release();
    fs::path samples = fs::path(FINDEX_SOURCE_DIR) / "samples";
    std::vector<fs::path> files;
    for (const auto& dir : fs::directory_iterator(samples)) {
      if (!dir.is_directory()) continue;
      for (const auto& f : fs::directory_iterator(dir.path())) {
        const std::string name = f.path().filename().string();
        if (f.is_regular_file() && name.find(".expected.") == std::string::npos && name != "PROVENANCE.tsv" &&
            name != "README.md" && name[0] != '.')
          files.push_back(f.path());
      }
    }
    std::sort(files.begin(), files.end());
    // Scopes the policies' scope globs care about, one per file (no absence between files).
    const char* kPrefixes[] = {"legacy-", "sandbox-", "team/[x]%_", "repo:main/"};
    size_t i = 0;
    for (const auto& p : files) {
      const FormatDescriptor* fmt = FindFormat(p.parent_path().filename().string());
      auto src = Source::FromFile(p.string());
      if (!fmt || !src.ok()) continue;
      CollectingSink sink;
      if (!IngestSource(*src, fmt, IngestOptions{}, sink).ok() || sink.findings.empty()) continue;
      const std::string scope = std::string(kPrefixes[i++ % 4]) + p.parent_path().filename().string() + "/" +
                                p.filename().string();
      RunInfo info{p.string(), std::string(fmt->name), sink.findings.front().scanner, scope, i, 1,
                   "2026-11-01T00:00:00.000Z", false, {}, 0};
      ASSERT_TRUE(store_->BeginRun(info).ok());
      for (auto& f : sink.findings) {
        Finalize(f, AsffContext{}, scope, info.now);
        ASSERT_TRUE(store_->Put(std::move(f)).ok());
      }
      ASSERT_TRUE(store_->CommitRun().ok());
    }
    // Exploitation data (issue 11): a KEV catalog listing every third CVE of the store (every
    // ninth with known ransomware use) and EPSS scores for every second one, 0 included.
    std::set<std::string> cves;
    ASSERT_TRUE(store_->ForEach(FindingFilter{}, [&](FindingRow&& r) {
                        for (const auto& v : r.finding.vulnerabilities)
                          for (const auto& id : VulnerabilityIds(v))
                            if (id.rfind("CVE-", 0) == 0) cves.insert(id);
                        return true;
                      }).ok());
    KevCatalog kev;
    kev.version = "test";
    EpssFeed epss;
    epss.score_date = "2026-11-01";
    size_t k = 0;
    for (const auto& c : cves) {
      if (k % 3 == 0) {
        KevEntry e;
        e.cve = c;
        e.due_date = "2026-11-" + std::to_string(10 + k % 19);
        e.ransomware = k % 9 == 0;
        kev.entries.push_back(e);
      }
      if (k % 2 == 0) epss.scores.push_back(EpssScore{c, static_cast<double>(k % 11) / 10.0 * 0.97, static_cast<double>(k % 7) / 6.0});
      ++k;
    }
    ASSERT_GT(kev.entries.size(), 10u);
    auto enriched = store_->Enrich(&kev, "kev.json", &epss, "epss.csv", "2026-11-01T00:00:00.000Z");
    ASSERT_TRUE(enriched.ok()) << enriched.error().ToString();
    for (auto& f : PolicySqlFunctions()) ASSERT_TRUE(store_->RegisterFunction(f.name, f.nargs, std::move(f.fn)).ok());
  }
  static void TearDownTestSuite() {
    delete store_;
    store_ = nullptr;
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(path_ + s);
  }

  struct Row {
    Finding base;  // as scanners and lifecycle left it (Evaluate's input)
  };
  static std::map<int64_t, Finding> Findings() {
    std::map<int64_t, Finding> out;
    FindingFilter filter;
    filter.states = {"ACTIVE"};
    EXPECT_TRUE(store_->ForEach(filter, [&](FindingRow&& r) {
                        Finding f = std::move(r.finding);
                        f.severity.label = r.base_severity;
                        f.workflow = r.lifecycle;
                        out.emplace(r.rowid, std::move(f));
                        return true;
                      }).ok());
    return out;
  }

  // Ingest filled the policy columns as PolicyColumnValues says, for every finding.
  static void CheckPolicyColumnsFilled() {
    std::string sql = "SELECT ";
    int n = 0;
    for (const char* c : kOptionalColumns) sql += (n++ > 0 ? ", " : "") + std::string(c);
    sql += " FROM findings WHERE id = ?1";
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(store_->sqlite_handle(), sql.c_str(), -1, &st, nullptr), SQLITE_OK);
    size_t checked = 0;
    for (const auto& [id, f] : Findings()) {
      const auto want = PolicyColumnValues(f);
      sqlite3_bind_int64(st, 1, id);
      ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
      for (int i = 0; i < n; ++i) {
        const char* got = reinterpret_cast<const char*>(sqlite3_column_text(st, i));  // may hold a NUL
        EXPECT_EQ(std::string(got ? got : "", static_cast<size_t>(sqlite3_column_bytes(st, i))), want[static_cast<size_t>(i)])
            << kOptionalColumns[i] << " of finding " << id;
      }
      sqlite3_reset(st);
      ++checked;
    }
    sqlite3_finalize(st);
    EXPECT_GT(checked, 100u);
  }

  struct Tally {
    size_t decided = 0, unknown = 0, positive = 0, decisions = 0, evaluated_on_columns = 0;
  };

  // Every slot of the program over every row: a decided value equals the C++ matcher; the decision
  // (C++ for unknown outcomes) equals Evaluate's.
  static Tally Check(const Policy& policy, const std::vector<GateDef>& gates, bool full, const std::string& what) {
    Tally t;
    auto names = store_->FindingColumns();
    EXPECT_TRUE(names.ok());
    // The store (schema 6) has the policy columns; without them (schema 5's contract) is what a
    // program compiled for an empty ColumnSet reads.
    EXPECT_TRUE(ColumnSet::FromNames(*names).full);
    const ColumnSet cols = full ? ColumnSet::FromNames(*names) : ColumnSet{};
    const PolicyProgram prog = CompilePolicy(&policy, gates, cols);
    // Matchers by slot, without their severity range (checked in C++).
    std::vector<Matcher> by_slot(prog.exprs.size());
    std::vector<bool> fix_slot(prog.exprs.size(), false);
    auto put = [&](int slot, const Matcher& m) {
      Matcher x = m;
      x.severity_at_least.reset();
      x.severity_at_most.reset();
      by_slot[static_cast<size_t>(slot)] = x;
    };
    for (size_t i = 0; i < policy.overrides.size(); ++i) put(prog.override_slot[i], policy.overrides[i].match);
    for (size_t i = 0; i < policy.suppressions.size(); ++i) put(prog.suppression_slot[i], policy.suppressions[i].match);
    for (size_t i = 0; i < policy.rules.size(); ++i) put(prog.rule_slot[i], policy.rules[i].match);
    for (size_t g = 0; g < gates.size(); ++g) {
      if (prog.gate_slot[g] >= 0) put(prog.gate_slot[g], gates[g].match);
      if (prog.fixable_slot[g] >= 0) fix_slot[static_cast<size_t>(prog.fixable_slot[g])] = true;
    }
    const auto findings = Findings();
    ColumnScan q;
    q.exprs = prog.exprs;
    Status s = store_->ScanActive(q, [&](const ColumnRow& c) {
      auto it = findings.find(c.rowid);
      EXPECT_NE(it, findings.end());
      if (it == findings.end()) return false;
      const Finding& f = it->second;
      EXPECT_EQ(c.base_severity, f.severity.label);
      for (size_t k = 0; k < prog.exprs.size(); ++k) {
        const bool truth = fix_slot[k] ? IsFixable(f) : by_slot[k].Matches(f);
        const int v = c.values[k];
        if (v < 0) {
          ++t.unknown;
          EXPECT_FALSE(full) << what << ": undecided with every policy column: " << prog.exprs[k];
          continue;
        }
        ++t.decided;
        t.positive += v == 1;
        EXPECT_EQ(v == 1, truth) << what << ": slot " << k << " row " << c.rowid << " (" << f.scanner << " "
                                 << f.generator_id << ")\n  SQL: " << prog.exprs[k];
      }
      bool needed_cpp = false;
      auto d = EvaluateWith(policy, f.severity.label, f.workflow, kNow, [&](MatcherKind kind, size_t i, SeverityLabel l) {
        const int slot = kind == MatcherKind::kOverride      ? prog.override_slot[i]
                         : kind == MatcherKind::kSuppression ? prog.suppression_slot[i]
                                                             : prog.rule_slot[i];
        const Matcher& m = kind == MatcherKind::kOverride      ? policy.overrides[i].match
                           : kind == MatcherKind::kSuppression ? policy.suppressions[i].match
                                                               : policy.rules[i].match;
        if (!SeverityInRange(m, l)) return 0;
        int v = c.values[static_cast<size_t>(slot)];
        if (v < 0) {
          needed_cpp = true;
          v = MatchesAtLabel(m, f, l) ? 1 : 0;
        }
        return v;
      });
      EXPECT_TRUE(d.has_value());
      if (!needed_cpp) ++t.evaluated_on_columns;
      const PolicyDecision want = Evaluate(policy, f, kNow);
      ++t.decisions;
      if (d) {
        EXPECT_EQ(d->applied, want.applied) << what << ": row " << c.rowid;
        EXPECT_EQ(d->expired, want.expired) << what << ": row " << c.rowid;
        EXPECT_EQ(d->severity, want.severity) << what << ": row " << c.rowid;
        EXPECT_EQ(d->workflow, want.workflow) << what << ": row " << c.rowid;
        EXPECT_EQ(d->suppress_expires_ms, want.suppress_expires_ms) << what << ": row " << c.rowid;
        EXPECT_EQ(d->user_defined_fields, want.user_defined_fields) << what << ": row " << c.rowid;
      }
      return true;
    });
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().ToString());
    return t;
  }

  // Matchers made from the stored findings themselves, so that most of them match something:
  // globs with wildcards in place of characters, other-case ids, later vulnerabilities, packages,
  // paths and resources than the first.
  static Policy Derived() {
    Policy p;
    size_t n = 0;
    auto add = [&](Matcher m) {
      Suppression s;
      s.name = "derived#" + std::to_string(++n);
      s.reason = "test";
      s.match = std::move(m);
      p.suppressions.push_back(std::move(s));
    };
    size_t i = 0;
    const auto all = Findings();
    const size_t stride = std::max<size_t>(7, all.size() / 40);  // some 40 findings, ~200 matchers
    for (const auto& [id, f] : all) {
      if (i++ % stride != 0) continue;
      Matcher m;
      std::string rule = f.generator_id;
      if (rule.size() > 4) rule[rule.size() / 2] = '?';
      m.rules = {rule, f.generator_id.substr(0, f.generator_id.size() / 2) + "*"};
      add(m);
      m = Matcher{};
      m.scanners = {ToUpper(f.scanner)};
      m.ids = {ToUpper(f.fingerprint.Hex().substr(0, 8 + i % 9))};
      add(m);
      if (!f.vulnerabilities.empty()) {
        const auto& v = f.vulnerabilities.back();
        m = Matcher{};
        m.vulns = {ToLower(v.id)};
        if (!v.related_vulnerabilities.empty()) m.vulns.push_back(v.related_vulnerabilities.back());
        add(m);
        if (!v.vulnerable_packages.empty()) {
          const auto& pkg = v.vulnerable_packages.back();
          m = Matcher{};
          m.packages = {ToUpper(pkg.name), pkg.name + "@" + pkg.version, pkg.name + "@x" + pkg.version};
          add(m);
          if (!pkg.file_path.empty()) {
            m = Matcher{};
            m.paths = {"./" + pkg.file_path, "**/" + fs::path(pkg.file_path).filename().string()};
            add(m);
          }
        }
      }
      if (!f.location.file_path.empty()) {
        m = Matcher{};
        const std::string fp = f.location.file_path;
        const size_t slash = fp.rfind('/');
        m.paths = {slash == std::string::npos ? "*" : fp.substr(0, slash) + "/*", "**/" + fp.substr(slash + 1)};
        add(m);
      }
      if (!f.resources.empty()) {
        m = Matcher{};
        const std::string r = f.resources.back().id;
        m.resources = {r.substr(0, r.size() / 2) + "*", r};
        m.url_prefixes = {r.substr(0, r.size() / 2)};
        add(m);
      }
      if (!f.location.url.empty()) {
        m = Matcher{};
        m.url_prefixes = {f.location.url.substr(0, f.location.url.size() / 2 + 1)};
        add(m);
      }
      if (!f.cwes.empty()) {
        m = Matcher{};
        m.cwes = {ToLower(f.cwes.back())};
        std::string num = f.cwes.front();
        if (num.size() > 4 && ToUpper(num.substr(0, 4)) == "CWE-") num = num.substr(4);
        m.cwes.push_back(" " + num);
        add(m);
      }
      const auto tags = TagTokens(f);
      if (!tags.empty()) {
        m = Matcher{};
        m.tags = {ToUpper(tags.back())};
        add(m);
      }
      if (f.title.size() > 3) {
        m = Matcher{};
        m.title_regex_text = "(?i)^" + RE2::QuoteMeta(f.title.substr(0, 3));
        m.title_regex = std::make_shared<RE2>(m.title_regex_text);
        m.severity_at_least = SeverityLabel::kLow;
        add(m);
      }
    }
    return p;
  }

  static std::string path_;
  static Store* store_;
};
std::string PolicySqlDifferential::path_;
Store* PolicySqlDifferential::store_ = nullptr;

// Glob edge cases: SQL's own wildcards (% _) and GLOB's class bracket as literals, '?' and '*'
// (one byte / any bytes, within a path segment for path globs), case rules (rules and scopes are
// case-sensitive; scanners, vulns, packages, tags and CWEs are not).
constexpr const char* kEdgePolicy = R"yaml(
version: 1
severity_overrides:
  - name: percent
    match: {rule: ["*%*", "*_*", "*[*", "*]*"]}
    severity: LOW
  - name: question
    match: {rule: ["zap/1002?", "semgrep/?*", "?", "*?*?*"]}
    severity: HIGH
  - name: case
    match: {scanner: [ZAP, Semgrep], rule: ["ZAP/*"]}
    severity: CRITICAL
suppressions:
  - name: scope-brackets
    match: {scope: ["team/[x]%_*", "team/?x?%_*", "TEAM/*"]}
    reason: edge
  - name: scope-class
    match: {scope: ["[lr]*", "*[!x]*"]}
    reason: no classes in findex globs
  - name: paths
    match: {path: ["**/*.js", "*/*", "src/?*.py", "**/[a]*", "./**/*%*", "**/*_*"]}
    reason: edge
  - name: resources
    match: {resource: ["*%*", "http*://*", "*_*", "*?*"]}
    reason: edge
  - name: urls
    match: {url_prefix: ["http://", "https://public-firing-range.appspot.com/", "%"]}
    reason: edge
  - name: mixed
    match: {package: ["LODASH", "Lodash@4.17.4", "@babel/core"], vuln: [cve-2021-44228, GHSA-JFH8-C2JP-5V3Q]}
    reason: edge
  - name: tags-and-cwe
    match: {tag: ["SECURITY", "owasp-a1"], cwe: ["cwe-79", "89", "CWE-022"]}
    reason: edge
  - name: ids
    match: {id: ["0000000000000000", "ABCDEF12", "x"]}
    reason: edge
automation_rules:
  - name: regex
    match: {title_regex: "(?i)(sql|script|[%_])", severity_at_most: HIGH}
    actions: {note: regex}
)yaml";

std::vector<std::pair<std::string, Policy>> Policies() {
  std::vector<std::pair<std::string, Policy>> out;
  std::vector<std::string> files = {"bench/policy_bench.yml"};
  for (const auto& e : fs::directory_iterator(fs::path(FINDEX_SOURCE_DIR) / "tests/data/policy")) {
    files.push_back(fs::relative(e.path(), FINDEX_SOURCE_DIR).string());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    Policy p;
    std::vector<Diagnostic> diags;
    if (LoadPolicyFile((fs::path(FINDEX_SOURCE_DIR) / f).string(), &p, &diags).ok()) out.emplace_back(f, std::move(p));
  }
  Policy edge;
  std::vector<Diagnostic> diags;
  EXPECT_TRUE(LoadPolicyText(kEdgePolicy, "edge.yml", &edge, &diags).ok());
  out.emplace_back("edge", std::move(edge));
  return out;
}

std::vector<GateDef> TestGates() {
  std::vector<GateDef> gates(3);
  gates[0].name = "all";
  gates[1].name = "sca-fixable";
  gates[1].fixable_only = true;
  gates[1].match.scanners = {"trivy", "grype", "dependency-check"};
  gates[2].name = "paths";
  gates[2].match.paths = {"**/*.py", "**/*.js"};
  gates[2].match.severity_at_least = SeverityLabel::kMedium;
  return gates;
}

TEST_F(PolicySqlDifferential, CompiledSqlDecidesAsTheCppMatchersOnSchema5AndWithPolicyColumns) {
  ASSERT_GT(Findings().size(), 500u) << "the samples should make a store of several hundred findings";
  auto policies = Policies();
  ASSERT_GE(policies.size(), 5u);
  policies.emplace_back("derived", Derived());
  ASSERT_GT(policies.back().second.suppressions.size(), 100u);
  const auto gates = TestGates();
  // Schema 5: what the columns decide is exact; the rest is left to C++.
  Tally five;
  for (const auto& [name, p] : policies) {
    const Tally t = Check(p, gates, false, "schema 5, " + name);
    five.decided += t.decided;
    five.unknown += t.unknown;
    five.positive += t.positive;
    five.evaluated_on_columns += t.evaluated_on_columns;
  }
  EXPECT_GT(five.decided, 0u);
  EXPECT_GT(five.positive, 0u);
  EXPECT_GT(five.unknown, 0u) << "schema 5 has no CWE, tag or path column";
  // With every policy column: every matcher decided on columns, the same as C++.
  CheckPolicyColumnsFilled();
  Tally full;
  for (const auto& [name, p] : policies) {
    const Tally t = Check(p, gates, true, "policy columns, " + name);
    full.decided += t.decided;
    full.positive += t.positive;
    full.decisions += t.decisions;
    full.evaluated_on_columns += t.evaluated_on_columns;
  }
  EXPECT_EQ(full.evaluated_on_columns, full.decisions);
  EXPECT_GT(full.positive, 1000u) << "the derived matchers should match many findings";
}

TEST_F(PolicySqlDifferential, ExploitMatchersDecideOnColumnsAsOnDocuments) {
  // The data the matchers see: some findings listed, some known not listed, some without data.
  size_t listed = 0, unlisted = 0, no_kev = 0, scored = 0, zero = 0;
  std::vector<ExploitSummary> seen;
  for (const auto& [id, f] : Findings()) {
    const ExploitSummary x = SummarizeExploit(f);
    listed += x.kev == 1;
    unlisted += x.kev == 0;
    no_kev += x.kev < 0;
    scored += x.epss >= 0;
    zero += x.epss == 0;
    if (x.epss > 0 && seen.size() < 20) seen.push_back(x);
  }
  ASSERT_GT(listed, 5u);
  ASSERT_GT(unlisted, 5u);
  ASSERT_GT(no_kev, 5u);
  ASSERT_GT(scored, 5u);
  ASSERT_GT(zero, 0u);
  Policy p;
  auto add = [&](Matcher m) {
    Suppression x;
    x.name = "exploit#" + std::to_string(p.suppressions.size() + 1);
    x.reason = "test";
    x.match = std::move(m);
    p.suppressions.push_back(std::move(x));
  };
  for (bool b : {true, false}) {
    Matcher m;
    m.kev = b;
    add(m);
    m.scanners = {"grype", "trivy"};
    add(m);
  }
  for (double t : {0.0, 0.5, 0.97}) {
    Matcher m;
    m.epss_at_least = t;
    add(m);
    m = Matcher{};
    m.epss_percentile_at_least = t;
    add(m);
  }
  for (const auto& x : seen) {  // exactly at a finding's score: inclusive on both paths
    Matcher m;
    m.epss_at_least = x.epss;
    m.epss_percentile_at_least = x.epss_percentile;
    add(m);
  }
  SeverityOverride o;
  o.name = "kev-critical";
  o.match.kev = true;
  o.label = SeverityLabel::kCritical;
  p.overrides.push_back(o);
  std::vector<GateDef> gates(1);
  gates[0].name = "exploited";
  gates[0].match.kev = true;
  gates[0].match.epss_at_least = 0.1;
  const Tally t = Check(p, gates, true, "exploit matchers");
  EXPECT_EQ(t.evaluated_on_columns, t.decisions) << "every exploitation matcher is decided on columns";
  EXPECT_EQ(t.unknown, 0u);
  EXPECT_GT(t.positive, listed + unlisted);
  // Without the columns (an older store): unknown, read in full, same decisions.
  const Tally old = Check(p, gates, false, "exploit matchers, no columns");
  EXPECT_GT(old.unknown, 0u);
}

TEST(PolicySql, GlobTranslation) {
  EXPECT_EQ(WildcardToGlob("zap/*"), "zap/*");
  EXPECT_EQ(WildcardToGlob("a[b]*"), "a[[]b]*");
  EXPECT_EQ(WildcardToGlob("100%_x"), "100%_x");
  EXPECT_EQ(WildcardToGlob("a?b"), std::nullopt);           // '?' is a byte here, a character in GLOB
  EXPECT_EQ(WildcardToGlob("caf\xc3\xa9*"), std::nullopt);  // non-ASCII
  EXPECT_EQ(SqlQuote("it's"), "'it''s'");
  EXPECT_EQ(SqlQuote(std::string_view("a\0b", 3)), "CAST(X'610062' AS TEXT)");
  Matcher m;
  m.rules = {"a?b"};
  EXPECT_NE(MatcherSql(m, ColumnSet{}).find("findex_wild("), std::string::npos);
  m.rules = {"a[b"};
  EXPECT_NE(MatcherSql(m, ColumnSet{}).find("GLOB 'a[[]b'"), std::string::npos);
  EXPECT_EQ(MatcherSql(Matcher{}, ColumnSet{}), "1");
}

}  // namespace
}  // namespace findex
