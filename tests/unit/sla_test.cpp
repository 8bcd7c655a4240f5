// SLA clocks (issue 11): ComputeSla's rules at their edges, and the filter language's SLA fields
// (sla, sla_due, sla_days_left, --group-by sla, --sort sla) compiled to SQL deciding exactly as
// ComputeSla on a real store: the same rows at due, a millisecond before, at the due-soon
// boundary, for reopened, resolved and suppressed findings, and with run times written with an
// offset or a fraction.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "normalize/exploit.h"
#include "normalize/fingerprint.h"
#include "normalize/timestamp.h"
#include "rules/sla.h"
#include "store/store.h"

using namespace findex;

namespace {

constexpr int64_t kDay = 86400000LL;
const int64_t kJan1 = DaysFromCivil(2026, 1, 1) * kDay;  // 2026-01-01T00:00:00Z

SlaPolicy Policy(bool kev_cap = false) {
  SlaPolicy p;
  p.days = {-1, 180, 90, 30, 7};  // INFORMATIONAL none, LOW 180, MEDIUM 90, HIGH 30, CRITICAL 7
  p.due_soon_days = 7;
  p.kev_due_cap = kev_cap;
  return p;
}

TEST(ComputeSla, DueAtStartPlusDaysBreachedAtDueExactly) {
  const SlaPolicy p = Policy();
  const int64_t due = kJan1 + 30 * kDay;
  auto c = ComputeSla(p, SeverityLabel::kHigh, "NEW", "ACTIVE", kJan1, "", due);
  EXPECT_EQ(c.state, SlaState::kBreached);
  EXPECT_EQ(c.due_ms, due);
  EXPECT_EQ(c.days_left, 0.0);
  c = ComputeSla(p, SeverityLabel::kHigh, "NEW", "ACTIVE", kJan1, "", due - 1);
  EXPECT_EQ(c.state, SlaState::kDueSoon);
  c = ComputeSla(p, SeverityLabel::kHigh, "NOTIFIED", "ACTIVE", kJan1, "", due + 2 * kDay);
  EXPECT_EQ(c.state, SlaState::kBreached);
  EXPECT_DOUBLE_EQ(c.days_left, -2.0);
}

TEST(ComputeSla, DueSoonBoundaryIsInclusive) {
  const SlaPolicy p = Policy();
  const int64_t due = kJan1 + 7 * kDay;  // CRITICAL
  EXPECT_EQ(ComputeSla(p, SeverityLabel::kCritical, "NEW", "ACTIVE", kJan1, "", due - 7 * kDay).state, SlaState::kDueSoon);
  EXPECT_EQ(ComputeSla(p, SeverityLabel::kCritical, "NEW", "ACTIVE", kJan1, "", due - 7 * kDay - 1).state, SlaState::kOk);
  SlaPolicy none = p;
  none.due_soon_days = 0;
  EXPECT_EQ(ComputeSla(none, SeverityLabel::kCritical, "NEW", "ACTIVE", kJan1, "", due - 1).state, SlaState::kOk);
}

TEST(ComputeSla, NoClockForSuppressedResolvedArchivedOrUnlistedSeverity) {
  const SlaPolicy p = Policy();
  const int64_t late = kJan1 + 1000 * kDay;
  EXPECT_EQ(ComputeSla(p, SeverityLabel::kHigh, "SUPPRESSED", "ACTIVE", kJan1, "", late).state, SlaState::kNone);
  EXPECT_EQ(ComputeSla(p, SeverityLabel::kHigh, "RESOLVED", "ACTIVE", kJan1, "", late).state, SlaState::kNone);
  EXPECT_EQ(ComputeSla(p, SeverityLabel::kHigh, "NEW", "ARCHIVED", kJan1, "", late).state, SlaState::kNone);
  EXPECT_EQ(ComputeSla(p, SeverityLabel::kInformational, "NEW", "ACTIVE", kJan1, "", late).state, SlaState::kNone);
  EXPECT_EQ(ComputeSla(SlaPolicy{}, SeverityLabel::kCritical, "NEW", "ACTIVE", kJan1, "", late).state, SlaState::kNone);
}

TEST(ComputeSla, KevDueDateCapsAtTheEndOfThatDay) {
  const int64_t jan5_end = kJan1 + 4 * kDay;  // 2026-01-04 ends at 2026-01-05T00:00:00Z
  // HIGH is due on Jan 31; CISA's due date Jan 4 comes first with the cap.
  auto c = ComputeSla(Policy(true), SeverityLabel::kHigh, "NEW", "ACTIVE", kJan1, "2026-01-04", jan5_end - 1);
  EXPECT_EQ(c.due_ms, jan5_end);
  EXPECT_EQ(c.state, SlaState::kDueSoon);
  EXPECT_EQ(ComputeSla(Policy(true), SeverityLabel::kHigh, "NEW", "ACTIVE", kJan1, "2026-01-04", jan5_end).state,
            SlaState::kBreached);
  // Without the cap, or with a later due date, the severity's days decide.
  EXPECT_EQ(ComputeSla(Policy(false), SeverityLabel::kHigh, "NEW", "ACTIVE", kJan1, "2026-01-04", jan5_end).due_ms,
            kJan1 + 30 * kDay);
  EXPECT_EQ(ComputeSla(Policy(true), SeverityLabel::kHigh, "NEW", "ACTIVE", kJan1, "2026-03-01", jan5_end).due_ms,
            kJan1 + 30 * kDay);
  // Not a date: ignored.
  EXPECT_EQ(ComputeSla(Policy(true), SeverityLabel::kHigh, "NEW", "ACTIVE", kJan1, "soon", jan5_end).due_ms,
            kJan1 + 30 * kDay);
  // A KEV finding still has no clock once suppressed.
  EXPECT_EQ(ComputeSla(Policy(true), SeverityLabel::kHigh, "SUPPRESSED", "ACTIVE", kJan1, "2026-01-04", jan5_end).state,
            SlaState::kNone);
}

TEST(ComputeSla, ReopenedClockStartsAtItsReopening) {
  // The caller passes the start of the run that made the finding active again.
  const int64_t reopened = kJan1 + 40 * kDay;
  EXPECT_EQ(ComputeSla(Policy(), SeverityLabel::kHigh, "NEW", "ACTIVE", kJan1, "", reopened + kDay).state, SlaState::kBreached);
  EXPECT_EQ(ComputeSla(Policy(), SeverityLabel::kHigh, "NEW", "ACTIVE", reopened, "", reopened + kDay).state, SlaState::kOk);
}

TEST(SlaState, ParseAndPrint) {
  EXPECT_EQ(ParseSlaState("Due-Soon"), SlaState::kDueSoon);
  EXPECT_EQ(ParseSlaState("BREACHED"), SlaState::kBreached);
  EXPECT_EQ(ParseSlaState("late"), std::nullopt);
  EXPECT_EQ(ToString(SlaState::kDueSoon), "due_soon");
}

// --- the SQL of the filter language against ComputeSla ---

class SlaSqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::Open(":memory:");
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(s.value());
    // Run 1 at 2026-01-01T02:00:00+02:00 (midnight UTC, written with an offset): everything.
    // Run 2 of semgrep at 2026-01-05T00:00:00.250Z without "lib" (resolved); run 3 at
    // 2026-01-20T12:00:00Z with it again (reopened: its clock restarts there).
    const Finding crit = Make("crit", "grype", SeverityLabel::kCritical);
    const Finding high = Make("high", "zap", SeverityLabel::kHigh);
    const Finding med = Make("med", "semgrep", SeverityLabel::kMedium);
    const Finding lib = Make("lib", "semgrep", SeverityLabel::kHigh);
    const Finding info = Make("info", "zap", SeverityLabel::kInformational);
    // Listed in KEV (as the report says), CISA's due date Jan 4: with kev: due_date, due then.
    Finding kev = Make("kev", "grype", SeverityLabel::kHigh);
    Vulnerability v;
    v.id = "CVE-2021-44228";
    v.exploit.kev = 1;
    v.exploit.kev_due = "2026-01-04";
    kev.vulnerabilities.push_back(v);
    Finding sup = Make("sup", "falco", SeverityLabel::kCritical);
    sup.workflow = WorkflowStatus::kSuppressed;
    Put("grype", {crit, kev}, "2026-01-01T02:00:00+02:00");
    Put("zap", {high, info}, "2026-01-01T00:00:00Z");
    Put("semgrep", {med, lib}, "2026-01-01T00:00:00.999Z");
    Put("falco", {sup}, "2026-01-01T00:00:00Z", true);
    Put("semgrep", {med}, "2026-01-05T00:00:00.250Z");
    Put("semgrep", {med, lib}, "2026-01-20T12:00:00-0130");
    auto st = store_->database()->Prepare("SELECT id, started_at FROM runs");
    ASSERT_TRUE(st.ok());
    while (*(*st)->Step()) {
      Rfc3339Time t;
      ASSERT_TRUE(ParseRfc3339((*st)->Str(1), &t));
      run_start_[(*st)->Int(0)] = t.epoch_seconds * 1000 + t.nanos / 1000000;
    }
  }

  static Finding Make(const std::string& key, const std::string& scanner, SeverityLabel label) {
    Finding f;
    f.scanner = scanner;
    f.format = scanner;
    f.fingerprint = FingerprintOf({"sla", key});
    f.generator_id = "rule-" + key;
    f.title = key;
    f.severity.label = label;
    f.severity.normalized = DefaultNormalized(label);
    Finalize(f, AsffContext{}, "repo:main", "2026-01-01T00:00:00.000Z");
    f.first_observed_at.clear();
    f.last_observed_at.clear();
    return f;
  }

  void Put(const std::string& scanner, const std::vector<Finding>& fs, const std::string& now, bool events = false) {
    RunInfo info{"file-" + scanner, scanner, scanner, "repo:main", ++hash_, 1, now, events, nullptr};
    ASSERT_TRUE(store_->BeginRun(info).ok());
    for (Finding f : fs) ASSERT_TRUE(store_->Put(std::move(f)).ok());
    ASSERT_TRUE(store_->CommitRun().ok());
  }

  // Every row's clock as ComputeSla gives it (title -> clock).
  std::map<std::string, SlaClock> Expected(const SlaPolicy& p, int64_t now) {
    std::map<std::string, SlaClock> out;
    EXPECT_TRUE(store_->ForEach(FindingFilter{}, [&](FindingRow&& r) {
      out[r.finding.title] = ComputeSla(p, r.finding.severity.label, ToString(r.finding.workflow),
                                        ToString(r.finding.record_state), run_start_.at(r.active_since_run),
                                        SummarizeExploit(r.finding).kev_due, now);
      return true;
    }).ok());
    return out;
  }

  std::set<std::string> Titles(const std::string& expr, const SlaPolicy& p, int64_t now) {
    std::set<std::string> out;
    FindingFilter f;
    f.expression = expr;
    f.now_ms = now;
    f.sla = p;
    Status st = store_->ForEach(f, [&](FindingRow&& r) {
      out.insert(r.finding.title);
      return true;
    });
    EXPECT_TRUE(st.ok()) << expr << ": " << st.error().ToString();
    return out;
  }

  std::unique_ptr<Store> store_;
  std::map<int64_t, int64_t> run_start_;
  uint64_t hash_ = 1;
};

TEST_F(SlaSqlTest, FixtureHasTheCasesItClaims) {
  std::map<std::string, FindingRow> rows;
  ASSERT_TRUE(store_->ForEach(FindingFilter{}, [&](FindingRow&& r) {
    rows[r.finding.title] = std::move(r);
    return true;
  }).ok());
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(SummarizeExploit(rows["kev"].finding).kev_due, "2026-01-04");
  EXPECT_NE(rows["lib"].active_since_run, rows["lib"].first_seen_run);  // reopened
  EXPECT_EQ(rows["sup"].finding.workflow, WorkflowStatus::kSuppressed);
  EXPECT_EQ(run_start_.at(rows["crit"].active_since_run), kJan1);          // +02:00 read as midnight UTC
  EXPECT_EQ(run_start_.at(rows["med"].active_since_run), kJan1 + 999);     // fraction kept to the ms
  EXPECT_EQ(run_start_.at(rows["lib"].active_since_run), kJan1 + 19 * kDay + 13 * 3600000LL + 1800000LL);  // -0130
}

TEST_F(SlaSqlTest, StatesDaysLeftAndDueMatchComputeSlaAtEveryEdge) {
  for (const SlaPolicy& p : {Policy(), Policy(true), [] {
                               SlaPolicy q = Policy();
                               q.due_soon_days = 0;
                               q.days[0] = 0;  // INFORMATIONAL due at once
                               return q;
                             }()}) {
    // Now at every due time, a millisecond either side, and at each due-soon boundary.
    std::set<int64_t> nows = {kJan1, kJan1 + 100 * kDay};
    for (const auto& [title, c] : Expected(p, kJan1)) {
      if (c.state == SlaState::kNone) continue;
      for (int64_t d : {c.due_ms, c.due_ms - p.due_soon_days * kDay}) {
        nows.insert(d - 1);
        nows.insert(d);
        nows.insert(d + 1);
      }
    }
    for (int64_t now : nows) {
      const auto want = Expected(p, now);
      const std::string at = FormatTimestamp(now);
      for (const char* state : {"breached", "due_soon", "ok", "none"}) {
        std::set<std::string> expect;
        for (const auto& [title, c] : want)
          if (ToString(c.state) == state) expect.insert(title);
        EXPECT_EQ(Titles(std::string("sla=") + state, p, now), expect) << state << " at " << at;
        // not: the complement (never NULL)
        std::set<std::string> rest;
        for (const auto& [title, c] : want)
          if (ToString(c.state) != state) rest.insert(title);
        EXPECT_EQ(Titles(std::string("sla!=") + state, p, now), rest) << state << " at " << at;
      }
      for (const char* n : {"-1", "0", "0.5", "1", "6.9999", "7", "29.5", "30"}) {
        const double x = std::stod(n);
        for (const std::string op : {"<", "<=", ">", ">="}) {
          std::set<std::string> expect;
          for (const auto& [title, c] : want) {
            if (c.state == SlaState::kNone) continue;
            const bool hit = op == "<" ? c.days_left < x : op == "<=" ? c.days_left <= x : op == ">" ? c.days_left > x : c.days_left >= x;
            if (hit) expect.insert(title);
          }
          EXPECT_EQ(Titles("sla_days_left" + op + n, p, now), expect) << op << n << " at " << at;
        }
      }
      for (const auto& [title, c] : want) {
        if (c.state == SlaState::kNone) continue;
        const std::string due = FormatTimestamp(c.due_ms);
        EXPECT_TRUE(Titles("sla_due<=" + due + " and sla_due>=" + due, p, now).count(title)) << title << " due " << due;
        EXPECT_FALSE(Titles("sla_due<" + due, p, now).count(title)) << title;
        EXPECT_FALSE(Titles("sla_due>" + due, p, now).count(title)) << title;
      }
      // --group-by sla: the same counts.
      std::map<std::string, uint64_t> expect_groups;
      for (const auto& [title, c] : want) ++expect_groups[std::string(ToString(c.state))];
      FindingFilter f;
      f.now_ms = now;
      f.sla = p;
      auto groups = store_->GroupBy(f, "sla");
      ASSERT_TRUE(groups.ok()) << groups.error().ToString();
      std::map<std::string, uint64_t> got;
      for (const auto& g : *groups) got[g.key] = g.count;
      EXPECT_EQ(got, expect_groups) << at;
    }
  }
}

TEST_F(SlaSqlTest, KevDueDateCapsTheSqlToo) {
  const int64_t now = kJan1 + 4 * kDay;  // the end of Jan 4
  EXPECT_EQ(Titles("sla=breached", Policy(true), now), (std::set<std::string>{"kev"}));
  EXPECT_EQ(Titles("sla=breached", Policy(true), now - 1), (std::set<std::string>{}));
  EXPECT_EQ(Titles("sla=breached", Policy(false), now), (std::set<std::string>{}));
}

TEST_F(SlaSqlTest, SortBySlaPutsTheEarliestDueFirstAndNoClockLast) {
  const SlaPolicy p = Policy();
  const int64_t now = kJan1 + 10 * kDay;
  const auto want = Expected(p, now);
  FindingFilter f;
  f.now_ms = now;
  f.sla = p;
  f.order_by = "sla";
  std::vector<std::string> got;
  ASSERT_TRUE(store_->ForEach(f, [&](FindingRow&& r) {
    got.push_back(r.finding.title);
    return true;
  }).ok());
  // crit (Jan 8), kev and high (Jan 31, both HIGH: row order), lib (reopened Jan 20 + 30d), med
  // (Apr 1); then sup and info (no clock, severity order).
  EXPECT_EQ(got, (std::vector<std::string>{"crit", "kev", "high", "lib", "med", "sup", "info"}));
  EXPECT_LT(want.at("crit").due_ms, want.at("high").due_ms);
}

TEST(SlaSql, FieldsNeedThePolicy) {
  auto w = CompileExpression("severity>=HIGH and sla=breached");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().where, "query: 1:20");
  EXPECT_NE(w.error().message.find("sla needs an SLA policy"), std::string::npos) << w.error().message;
  for (const char* e : {"sla_due<now", "sla_days_left<3"}) EXPECT_FALSE(CompileExpression(e).ok()) << e;
  const SlaPolicy p = Policy();
  EXPECT_TRUE(CompileExpression("sla in (breached, due-soon)", 0, &p).ok());
  auto bad = CompileExpression("sla=late", 0, &p);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("breached, due_soon, ok or none"), std::string::npos);
  bad = CompileExpression("sla_days_left=3", 0, &p);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("does not apply to sla_days_left"), std::string::npos);
  EXPECT_FALSE(GroupByColumn("sla").ok());
  FindingFilter f;
  EXPECT_FALSE(FilterUsesSla(f));
  f.expression = "scanner=zap or (sla_due < now+3d)";
  EXPECT_TRUE(FilterUsesSla(f));
  f.expression = "";
  f.order_by = "sla";
  EXPECT_TRUE(FilterUsesSla(f));
  f.order_by = "severity";
  EXPECT_TRUE(FilterUsesSla(f, "SLA"));
}

}  // namespace
