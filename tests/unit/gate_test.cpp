// Named gates over findings with the policy applied: counting, new-only, fixable-only, suppressed,
// resolved.
#include <gtest/gtest.h>

#include <algorithm>

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

// A finding whose effective workflow is RESOLVED (VEX `fixed`, a policy rule, triage) is counted
// by no gate, as a SUPPRESSED one: listed, skipped in JUnit with its resolution note.
TEST(Gates, ResolvedIsListedNotCounted) {
  GateDef g;
  g.name = "g";
  g.max = {{SeverityLabel::kCritical, 0}};
  ReportItem fixed = Item("fixed", SeverityLabel::kCritical, true, false, WorkflowStatus::kResolved);
  fixed.finding.note = Note{"vex: fixed in 2.4.1", "findex-policy", ""};
  GateReport r;
  EvaluateGates({g},
                {fixed, Item("s1", SeverityLabel::kCritical, true, false, WorkflowStatus::kSuppressed),
                 Item("m1", SeverityLabel::kMedium, true)},
                [](const ReportItem&, const GateDef&) { return true; }, &r);
  EXPECT_TRUE(r.passed);
  ASSERT_EQ(r.gates.size(), 1u);
  EXPECT_TRUE(r.gates[0].passed);
  EXPECT_EQ(r.gates[0].counts.count(SeverityLabel::kCritical), 0u);  // neither resolved nor suppressed counted
  EXPECT_EQ(r.gates[0].counts.at(SeverityLabel::kMedium), 1u);
  EXPECT_EQ(ByTitle(r, "fixed").status, ItemStatus::kResolved);
  EXPECT_EQ(ByTitle(r, "fixed").checked_by, std::vector<std::string>{"g"});
  EXPECT_EQ(ByTitle(r, "s1").status, ItemStatus::kSuppressed);
  // Order: open, suppressed, resolved.
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(r.items.back().finding.title, "fixed");
  // The text names the resolved ones; the reports show it resolved, not suppressed.
  EXPECT_EQ(FormatGateReport(r, 10), "gate passed: 1 gate (1 active finding checked, 1 suppressed, 1 resolved)\n");
  const std::string junit = WriteJUnitReport(r);
  EXPECT_NE(junit.find("<skipped message=\"resolved: vex: fixed in 2.4.1\"/>"), std::string::npos) << junit;
  EXPECT_NE(junit.find("skipped=\"2\""), std::string::npos) << junit;
  const std::string json = WriteVerdictJson(r);
  EXPECT_NE(json.find("\"resolved\": 1"), std::string::npos) << json;
  EXPECT_NE(json.find("\"status\": \"resolved\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"resolution_note\""), std::string::npos) << json;

  // Without the resolution, the same CRITICAL fails the gate.
  ReportItem open = fixed;
  open.finding.workflow = WorkflowStatus::kNotified;
  EvaluateGates({g}, {open}, [](const ReportItem&, const GateDef&) { return true; }, &r);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.items.front().status, ItemStatus::kViolation);

  // A failed gate says what it left out as resolved.
  ReportItem crit = Item("crit", SeverityLabel::kCritical, true);
  EvaluateGates({g}, {crit, fixed}, [](const ReportItem&, const GateDef&) { return true; }, &r);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.gates[0].counts.at(SeverityLabel::kCritical), 1u);
  EXPECT_NE(FormatGateReport(r, 10).find("not counted: 1 resolved"), std::string::npos) << FormatGateReport(r, 10);
}

TEST(Gates, GateItemStatusLeavesOutSuppressedAndResolved) {
  EXPECT_EQ(GateItemStatus(WorkflowStatus::kNew), ItemStatus::kOpen);
  EXPECT_EQ(GateItemStatus(WorkflowStatus::kNotified), ItemStatus::kOpen);
  EXPECT_EQ(GateItemStatus(WorkflowStatus::kSuppressed), ItemStatus::kSuppressed);
  EXPECT_EQ(GateItemStatus(WorkflowStatus::kResolved), ItemStatus::kResolved);
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

TEST(Gates, SlaGateCountsOnlyItsStates) {
  GateDef g;
  g.name = "overdue";
  g.sla = {SlaState::kBreached};
  g.max = {{SeverityLabel::kCritical, 0}};
  auto item = [](const std::string& key, SlaState st, WorkflowStatus wf = WorkflowStatus::kNew) {
    ReportItem it = Item(key, SeverityLabel::kCritical, false, false, wf);
    it.sla = st;
    return it;
  };
  GateReport r;
  EvaluateGates({g}, {item("late", SlaState::kBreached), item("soon", SlaState::kDueSoon), item("fine", SlaState::kOk)},
                [](const ReportItem&, const GateDef&) { return true; }, &r);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.gates[0].counts.at(SeverityLabel::kCritical), 1u);
  EXPECT_EQ(r.gates[0].description, "SLA breached");
  EXPECT_EQ(ByTitle(r, "late").status, ItemStatus::kViolation);
  EXPECT_EQ(ByTitle(r, "soon").status, ItemStatus::kOpen);
  // Nothing overdue: the same criticals pass.
  EvaluateGates({g}, {item("soon", SlaState::kDueSoon), item("fine", SlaState::kOk)},
                [](const ReportItem&, const GateDef&) { return true; }, &r);
  EXPECT_TRUE(r.passed);
  g.sla = {SlaState::kBreached, SlaState::kDueSoon};
  EvaluateGates({g}, {item("soon", SlaState::kDueSoon), item("fine", SlaState::kOk)},
                [](const ReportItem&, const GateDef&) { return true; }, &r);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.gates[0].description, "SLA breached/due_soon");
}

TEST(Gates, SlaSummaryKeepsTheMostOverdueAndShowsInTextAndMarkdown) {
  SlaTally t(2);
  auto clock = [](SlaState st, int64_t due, double left) {
    SlaClock c;
    c.state = st;
    c.due_ms = due;
    c.days_left = left;
    return c;
  };
  const int64_t jan10 = 1768003200000LL;  // 2026-01-10T00:00:00Z
  t.Add(7, SeverityLabel::kHigh, clock(SlaState::kBreached, jan10, -2.5));
  t.Add(3, SeverityLabel::kCritical, clock(SlaState::kBreached, jan10 - 86400000LL, -3.5));
  t.Add(9, SeverityLabel::kLow, clock(SlaState::kBreached, jan10 + 86400000LL, -1.5));
  t.Add(4, SeverityLabel::kLow, clock(SlaState::kDueSoon, jan10 + 9 * 86400000LL, 6.5));
  t.Add(5, SeverityLabel::kLow, clock(SlaState::kOk, jan10 + 90 * 86400000LL, 87.5));
  GateReport r;
  std::vector<int64_t> rows;
  t.Finish(&r.sla, &rows);
  EXPECT_EQ(rows, (std::vector<int64_t>{3, 7}));
  EXPECT_EQ(r.sla.breached, 3u);
  EXPECT_EQ(r.sla.due_soon, 1u);
  r.sla.worst[0].title = "log4shell";
  r.sla.worst[0].id = "findex/abc";
  r.sla.worst[0].scanner = "trivy";
  r.sla.worst[1].title = "xss";
  r.has_verdict = true;
  const std::string text = FormatGateReport(r, 10);
  EXPECT_NE(text.find("SLA: 3 breached, 1 due soon\n  CRITICAL      overdue 3.5d (due 2026-01-09)  log4shell\n      at -  id findex/abc\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("  ... and 1 more breached\n"), std::string::npos) << text;
  const std::string md = WriteMarkdownReport(r);
  EXPECT_NE(md.find("### SLA\n\n3 breached, 1 due soon\n\n| Severity | Overdue | Due | Scanner | Title | Location |\n"
                    "|---|---:|---|---|---|---|\n| CRITICAL | 3.5 days | 2026-01-09 | trivy | log4shell |  |\n"),
            std::string::npos) << md;
  // No sla: in the policy, no SLA section.
  GateReport plain;
  plain.has_verdict = true;
  EXPECT_EQ(WriteMarkdownReport(plain).find("SLA"), std::string::npos);
  EXPECT_EQ(FormatGateReport(plain, 10).find("SLA"), std::string::npos);
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

// GateTally (the gate on columns, counting as rows stream by) against EvaluateGates over the same
// items in the store's order: same gate results, counts, and the same violations listed first.
TEST(GateTally, AgreesWithEvaluateGatesOnRandomItems) {
  uint64_t seed = 42;
  auto next = [&](uint64_t n) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (seed >> 33) % n;
  };
  size_t compared = 0, failing = 0;
  for (int round = 0; round < 200; ++round) {
    std::vector<GateDef> gates(1 + next(3));
    for (size_t g = 0; g < gates.size(); ++g) {
      gates[g].name = "g" + std::to_string(g);
      gates[g].new_only = next(3) == 0;
      gates[g].fixable_only = next(4) == 0;
      if (next(2)) gates[g].match.scanners = {next(2) ? "trivy" : "zap"};
      for (int l = 0; l < 5; ++l)
        if (next(3) == 0) gates[g].max[static_cast<SeverityLabel>(l)] = static_cast<int64_t>(next(4));
    }
    const size_t show = next(6);
    // Items in the store's order (stored severity DESC, id); effective labels differ.
    struct Row {
      int64_t id;
      SeverityLabel stored;
      ReportItem item;
    };
    std::vector<Row> rows;
    const size_t n = next(40);
    for (size_t i = 0; i < n; ++i) {
      Row r;
      r.id = static_cast<int64_t>(i + 1);
      r.stored = static_cast<SeverityLabel>(next(5));
      const uint64_t w = next(8);
      const auto wf = w < 2 ? WorkflowStatus::kSuppressed : w == 2 ? WorkflowStatus::kResolved : WorkflowStatus::kNew;
      r.item = Item("k" + std::to_string(i), static_cast<SeverityLabel>(next(5)), next(2) == 0, next(2) == 0, wf,
                    next(2) ? "trivy" : "zap");
      r.item.finding.id = std::to_string(r.id);
      rows.push_back(std::move(r));
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      if (a.stored != b.stored) return a.stored > b.stored;
      return a.id < b.id;
    });
    std::vector<ReportItem> items;
    GateTally tally(gates, show);
    for (const auto& r : rows) {
      items.push_back(r.item);
      GateTallyItem t;
      t.rowid = r.id;
      t.label = r.item.finding.severity.label;
      t.suppressed = r.item.finding.workflow == WorkflowStatus::kSuppressed;
      t.resolved = r.item.finding.workflow == WorkflowStatus::kResolved;
      t.is_new = r.item.is_new;
      t.stored_severity = r.stored;
      for (size_t g = 0; g < gates.size(); ++g) {
        const GateDef& d = gates[g];
        if (t.suppressed || t.resolved || (!d.match.empty() && !d.match.Matches(r.item.finding)) ||
            (d.fixable_only && !IsFixable(r.item.finding)) || (d.new_only && !r.item.is_new))
          continue;
        t.counted |= uint64_t{1} << g;
      }
      tally.Add(t);
    }
    GateReport want, got;
    EvaluateGates(gates, items, [](const ReportItem& it, const GateDef&) { return it.is_new; }, &want);
    GateTallyCounts counts;
    std::vector<GateTallyItem> listed;
    tally.Finish(&got, &counts, &listed);
    ASSERT_EQ(got.passed, want.passed);
    failing += !want.passed;
    ASSERT_EQ(got.gates.size(), want.gates.size());
    for (size_t g = 0; g < gates.size(); ++g) {
      EXPECT_EQ(got.gates[g].counts, want.gates[g].counts);
      EXPECT_EQ(got.gates[g].violated, want.gates[g].violated);
      EXPECT_EQ(got.gates[g].passed, want.gates[g].passed);
      uint64_t v = 0;
      for (const auto& it : want.items)
        v += std::count(it.gates.begin(), it.gates.end(), gates[g].name) > 0;
      EXPECT_EQ(counts.gate_violations[g], v);
    }
    uint64_t violations = 0, open = 0, suppressed = 0, resolved = 0;
    std::vector<std::string> want_listed;
    for (const auto& it : want.items) {
      if (it.status == ItemStatus::kViolation) {
        ++violations;
        if (want_listed.size() < show) want_listed.push_back(it.finding.id);
      } else if (it.status == ItemStatus::kOpen) {
        ++open;
      } else if (it.status == ItemStatus::kResolved) {
        ++resolved;
      } else {
        ++suppressed;
      }
    }
    EXPECT_EQ(counts.violations, violations);
    EXPECT_EQ(counts.open, open);
    EXPECT_EQ(counts.suppressed, suppressed);
    EXPECT_EQ(counts.resolved, resolved);
    // A pass reads the same from both (the counts, resolved included).
    if (want.passed) {
      EXPECT_EQ(FormatGateReport(got, show, counts), FormatGateReport(want, show));
    }
    std::vector<std::string> got_listed;
    for (const auto& t : listed) got_listed.push_back(std::to_string(t.rowid));
    EXPECT_EQ(got_listed, want_listed) << "round " << round;
    compared += want_listed.size();
  }
  EXPECT_GT(compared, 100u);
  EXPECT_GT(failing, 50u);
}

}  // namespace
}  // namespace findex
