// Named gates over findings with the policy applied: counting, new-only, fixable-only, suppressed.
#include <gtest/gtest.h>

#include "normalize/fingerprint.h"
#include "rules/gate.h"

namespace findex {
namespace {

ReportItem Item(const std::string& key, SeverityLabel label, bool is_new, bool fixable = false,
                WorkflowStatus wf = WorkflowStatus::kNew, const std::string& scanner = "trivy") {
  ReportItem it;
  it.finding.scanner = scanner;
  it.finding.title = key;
  it.finding.fingerprint = FingerprintOf({"gate", key});
  it.finding.severity.label = label;
  it.finding.workflow = wf;
  if (fixable) {
    Vulnerability v;
    v.id = "CVE-" + key;
    VulnerablePackage p;
    p.name = "pkg";
    p.fixed_in_version = "2.0";
    v.vulnerable_packages.push_back(p);
    it.finding.vulnerabilities.push_back(v);
  }
  it.is_new = is_new;
  return it;
}

const ReportItem& ByTitle(const GateReport& r, const std::string& title) {
  for (const auto& it : r.items)
    if (it.finding.title == title) return it;
  static ReportItem none;
  ADD_FAILURE() << "no item " << title;
  return none;
}

TEST(Gates, MaxIsPerLabelAndOnlyBreakingLabelsViolate) {
  GateDef g;
  g.name = "g";
  g.max = {{SeverityLabel::kCritical, 0}, {SeverityLabel::kHigh, 1}};
  GateReport r;
  EvaluateGates({g},
                {Item("h1", SeverityLabel::kHigh, false), Item("h2", SeverityLabel::kHigh, false),
                 Item("m1", SeverityLabel::kMedium, false), Item("s1", SeverityLabel::kCritical, false, false, WorkflowStatus::kSuppressed)},
                [](const ReportItem& it, const GateDef&) { return it.is_new; }, &r);
  EXPECT_FALSE(r.passed);
  ASSERT_EQ(r.gates.size(), 1u);
  EXPECT_EQ(r.gates[0].violated, std::vector<std::string>{"HIGH: 2 > 1"});
  EXPECT_EQ(r.gates[0].counts.at(SeverityLabel::kHigh), 2u);
  EXPECT_EQ(r.gates[0].counts.count(SeverityLabel::kCritical), 0u);  // suppressed: not counted
  EXPECT_EQ(ByTitle(r, "h1").status, ItemStatus::kViolation);
  EXPECT_EQ(ByTitle(r, "m1").status, ItemStatus::kOpen);
  EXPECT_EQ(ByTitle(r, "s1").status, ItemStatus::kSuppressed);
  EXPECT_EQ(ByTitle(r, "s1").checked_by, std::vector<std::string>{"g"});  // listed (JUnit skipped)
  // Order: violations, then open, then suppressed.
  EXPECT_EQ(r.items.front().status, ItemStatus::kViolation);
  EXPECT_EQ(r.items.back().status, ItemStatus::kSuppressed);
}

TEST(Gates, NewOnlyFixableOnlyAndScanner) {
  GateDef fresh;
  fresh.name = "new";
  fresh.max = {{SeverityLabel::kHigh, 0}};
  fresh.new_only = true;
  GateDef fix;
  fix.name = "fix";
  fix.max = {{SeverityLabel::kHigh, 0}};
  fix.fixable_only = true;
  fix.match.scanners = {"grype"};
  GateReport r;
  EvaluateGates({fresh, fix},
                {Item("old", SeverityLabel::kHigh, false, true), Item("new", SeverityLabel::kHigh, true, false),
                 Item("grype-fix", SeverityLabel::kHigh, false, true, WorkflowStatus::kNew, "grype")},
                [](const ReportItem& it, const GateDef&) { return it.is_new; }, &r);
  EXPECT_FALSE(r.passed);
  EXPECT_FALSE(r.gates[0].passed);
  EXPECT_EQ(r.gates[0].counts.at(SeverityLabel::kHigh), 1u);
  EXPECT_FALSE(r.gates[1].passed);
  EXPECT_EQ(r.gates[1].counts.at(SeverityLabel::kHigh), 1u);
  EXPECT_EQ(ByTitle(r, "new").gates, std::vector<std::string>{"new"});
  EXPECT_EQ(ByTitle(r, "grype-fix").gates, std::vector<std::string>{"fix"});
  EXPECT_EQ(ByTitle(r, "old").status, ItemStatus::kOpen);
  EXPECT_TRUE(IsFixable(ByTitle(r, "old").finding));
  EXPECT_FALSE(IsFixable(ByTitle(r, "new").finding));
}

TEST(Gates, PassingRunSaysSoOnOneLine) {
  GateDef g;
  g.name = "g";
  g.max = {{SeverityLabel::kCritical, 0}};
  GateReport r;
  EvaluateGates({g}, {Item("h", SeverityLabel::kHigh, true)}, [](const ReportItem&, const GateDef&) { return true; }, &r);
  EXPECT_TRUE(r.passed);
  EXPECT_EQ(FormatGateReport(r, 20), "gate passed: 1 gate (1 active finding checked, 0 suppressed)\n");
}

}  // namespace
}  // namespace findex

namespace findex {
namespace {

TEST(SarifRules, OneRulePerVulnerabilityAndAtMostTwentyTags) {
  GateReport r;
  for (int i = 0; i < 2; ++i) {
    ReportItem it = Item("v" + std::to_string(i), i == 0 ? SeverityLabel::kLow : SeverityLabel::kCritical, false, true);
    for (int c = 0; c < 25; ++c) it.finding.cwes.push_back("CWE-" + std::to_string(100 + c));
    it.finding.generator_id = "trivy/vulnerability";
    r.items.push_back(std::move(it));
  }
  uint64_t truncated = 0;
  std::string sarif = WriteSarifReport(r, 25000, &truncated);
  // Each CVE is its own rule, so the LOW one is not shown with the CRITICAL one's severity.
  EXPECT_NE(sarif.find("\"id\": \"trivy/CVE-v0\""), std::string::npos);
  EXPECT_NE(sarif.find("\"id\": \"trivy/CVE-v1\""), std::string::npos);
  EXPECT_NE(sarif.find("\"security-severity\": \"2.0\""), std::string::npos);
  EXPECT_EQ(sarif.find("external/cwe/cwe-120"), std::string::npos);  // tag 21 and later left out
  EXPECT_NE(sarif.find("external/cwe/cwe-118"), std::string::npos);  // tag 20
}

}  // namespace
}  // namespace findex
