// Policy file loading (diagnostics with positions), matchers, precedence and expiry.
#include <gtest/gtest.h>

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
      "findex.yml:12:5: error P002: unknown key 'colour' in a gate (known: name, max, new_only, baseline, fixable_only, scanner, match)",
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
                             "severity_at_least, severity_at_most)");
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
