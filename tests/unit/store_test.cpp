// Store lifecycle rules, checked directly against the Store API with synthetic findings.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "normalize/fingerprint.h"
#include "store/schema.h"
#include "store/store.h"

namespace fs = std::filesystem;
using namespace findex;

namespace {

class StoreTest : public ::testing::Test {
 protected:
  // FINDEX_TEST_BACKEND=postgres: every test in a schema of its own on $FINDEX_TEST_PG (the
  // server scripts/test.sh starts), dropped afterwards; else a SQLite file.
  static const char* PgBase() {
    const char* backend = std::getenv("FINDEX_TEST_BACKEND");
    const char* base = std::getenv("FINDEX_TEST_PG");
    return backend && std::string(backend) == "postgres" && base && *base ? base : nullptr;
  }
  void SetUp() override {
    static int counter = 0;
    if (const char* base = PgBase()) {
      schema_ = "ut_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
      path_ = std::string(base) + (std::string(base).find('?') == std::string::npos ? "?" : "&") + "schema=" + schema_;
    } else {
      path_ = (fs::temp_directory_path() / ("findex_store_test_" + std::to_string(::getpid()) + ".db")).string();
    }
    Clean();
    auto s = Store::Open(path_);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(s.value());
  }
  void TearDown() override {
    if (!schema_.empty() && store_) (void)store_->database()->Exec("DROP SCHEMA \"" + schema_ + "\" CASCADE");
    store_.reset();
    Clean();
  }
  void Clean() {
    if (!schema_.empty()) return;
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_ + suffix);
  }
  std::string schema_;

  static Finding Make(const std::string& key, const std::string& scanner = "zap",
                      SeverityLabel label = SeverityLabel::kHigh) {
    Finding f;
    f.scanner = scanner;
    f.format = scanner;
    f.fingerprint = FingerprintOf({"test", key});
    f.generator_id = "rule-" + key;
    f.title = "Finding " + key;
    f.severity.label = label;
    f.severity.normalized = DefaultNormalized(label);
    Finalize(f, AsffContext{}, "s", "2026-01-01T00:00:00.000Z");
    // A report without observation times: the store takes the run's time.
    f.first_observed_at.clear();
    f.last_observed_at.clear();
    return f;
  }

  RunCounts Run(const std::vector<Finding>& findings, const std::string& scanner = "zap", uint64_t hash = 0,
                const std::string& now = "2026-01-02T00:00:00.000Z") {
    RunInfo info{"file", scanner, scanner, "s", hash ? hash : ++hash_, 1, now, false, policy_};
    EXPECT_TRUE(store_->BeginRun(info).ok());
    for (Finding f : findings) EXPECT_TRUE(store_->Put(std::move(f)).ok());
    auto c = store_->CommitRun();
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? *c : RunCounts{};
  }

  std::vector<FindingRow> All() {
    std::vector<FindingRow> rows;
    FindingFilter f;
    f.order_by = "title";
    EXPECT_TRUE(store_->ForEach(f, [&](FindingRow&& r) { rows.push_back(std::move(r)); return true; }).ok());
    return rows;
  }

  std::string path_;
  std::unique_ptr<Store> store_;
  uint64_t hash_ = 100;
  std::function<PolicyDecision(const Finding&)> policy_;
};

TEST_F(StoreTest, FirstSightThenUnchangedThenResolvedThenReopened) {
  RunCounts c1 = Run({Make("a"), Make("b")});
  EXPECT_EQ(c1.new_, 2u);
  RunCounts c2 = Run({Make("a"), Make("b")});
  EXPECT_EQ(c2.unchanged, 2u);
  EXPECT_EQ(c2.new_, 0u);
  RunCounts c3 = Run({Make("a")});
  EXPECT_EQ(c3.resolved, 1u);
  auto rows = All();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].finding.title, "Finding b");
  EXPECT_EQ(rows[1].finding.workflow, WorkflowStatus::kResolved);
  EXPECT_EQ(rows[1].finding.record_state, RecordState::kArchived);
  RunCounts c4 = Run({Make("a"), Make("b")}, "zap", 0, "2026-01-05T00:00:00.000Z");
  EXPECT_EQ(c4.reopened, 1u);
  rows = All();
  EXPECT_EQ(rows[1].finding.workflow, WorkflowStatus::kNew);
  EXPECT_EQ(rows[1].finding.record_state, RecordState::kActive);
  EXPECT_EQ(rows[1].finding.first_observed_at, "2026-01-02T00:00:00.000Z");
  EXPECT_EQ(rows[1].finding.last_observed_at, "2026-01-05T00:00:00.000Z");
}

TEST_F(StoreTest, SameFindingTwiceInOneReportIsStoredOnce) {
  RunCounts c = Run({Make("a"), Make("a"), Make("b")});
  EXPECT_EQ(c.records, 3u);
  EXPECT_EQ(c.new_, 2u);
  EXPECT_EQ(c.duplicates, 1u);
  EXPECT_EQ(All().size(), 2u);
}

TEST_F(StoreTest, ChangedContentCountsAsUpdated) {
  Run({Make("a")});
  Finding f = Make("a");
  f.description = "now with more detail";
  RunCounts c = Run({f});
  EXPECT_EQ(c.updated, 1u);
  EXPECT_EQ(All()[0].finding.description, "now with more detail");
}

TEST_F(StoreTest, AbortedRunLeavesStoreUnchanged) {
  Run({Make("a")});
  RunInfo info{"file", "zap", "zap", "s", 999, 1, "2026-01-03T00:00:00.000Z", false, nullptr};
  ASSERT_TRUE(store_->BeginRun(info).ok());
  ASSERT_TRUE(store_->Put(Make("b")).ok());
  ASSERT_TRUE(store_->PutReject(StoredReject{10, 2, "x", "bad"}).ok());
  store_->AbortRun();
  auto rows = All();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].finding.title, "Finding a");
  auto latest = store_->IsLatestContent("s", "zap", 999);
  ASSERT_TRUE(latest.ok());
  EXPECT_FALSE(*latest);
}

TEST_F(StoreTest, OtherScannerKeepsSharedFindingActive) {
  Run({Make("shared", "trivy")}, "trivy");
  Run({Make("shared", "grype")}, "grype");
  RunCounts c = Run({}, "trivy");
  EXPECT_EQ(c.resolved, 0u);  // grype's latest run still reports it
  EXPECT_EQ(All()[0].finding.record_state, RecordState::kActive);
  c = Run({}, "grype");
  EXPECT_EQ(c.resolved, 1u);
}

TEST_F(StoreTest, HighestSeverityWinsAcrossScanners) {
  Run({Make("shared", "trivy", SeverityLabel::kCritical)}, "trivy");
  Run({Make("shared", "grype", SeverityLabel::kMedium)}, "grype");
  EXPECT_EQ(All()[0].finding.severity.label, SeverityLabel::kCritical);
}

TEST_F(StoreTest, SuppressedStaysSuppressedWhenResolved) {
  Finding f = Make("a");
  f.workflow = WorkflowStatus::kSuppressed;
  Run({f});
  Run({});
  auto rows = All();
  EXPECT_EQ(rows[0].finding.workflow, WorkflowStatus::kSuppressed);
  EXPECT_EQ(rows[0].finding.record_state, RecordState::kArchived);
}

TEST_F(StoreTest, GateCountsActiveUnsuppressedAtOrAbove) {
  Finding sup = Make("sup", "zap", SeverityLabel::kCritical);
  sup.workflow = WorkflowStatus::kSuppressed;
  Run({Make("c", "zap", SeverityLabel::kCritical), Make("h", "zap", SeverityLabel::kHigh),
       Make("m", "zap", SeverityLabel::kMedium), sup});
  GateQuery q;
  q.scope = "s";
  q.fail_on = SeverityLabel::kHigh;
  auto g = store_->Gate(q);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->total, 2u);
  ASSERT_EQ(g->worst.size(), 2u);
  EXPECT_EQ(g->worst[0].finding.severity.label, SeverityLabel::kCritical);
  q.fail_on = SeverityLabel::kCritical;
  q.scope = "other";
  EXPECT_EQ(store_->Gate(q)->total, 0u);
}

// Issue 8: the policy's suppression is stored with its expiry; the gate counts the finding once
// it has passed (index-only query), and --no-policy ignores the stored decision but not triage.
TEST_F(StoreTest, GateCountsExpiredPolicySuppressionsAndNoPolicy) {
  policy_ = [](const Finding& f) {
    PolicyDecision d;
    if (f.title == "Finding x" || f.title == "Finding forever") {
      d.workflow = WorkflowStatus::kSuppressed;
      d.suppress_expires_ms = f.title == "Finding x" ? 1000 : -1;
      d.applied.push_back("suppress:s");
    }
    if (f.title == "Finding low") {
      d.severity = SeverityLabel::kCritical;
      d.applied.push_back("override:o");
    }
    return d;
  };
  Run({Make("x"), Make("forever"), Make("low", "zap", SeverityLabel::kLow), Make("h")});
  std::vector<FindingRow> rows = All();
  ASSERT_EQ(rows.size(), 4u);
  for (const auto& r : rows) {
    if (r.finding.title == "Finding x") EXPECT_EQ(r.policy_expires, std::optional<int64_t>(1000));
    else EXPECT_FALSE(r.policy_expires.has_value()) << r.finding.title;
  }
  GateQuery q;
  q.scope = "s";
  q.fail_on = SeverityLabel::kHigh;
  q.now_ms = 999;
  EXPECT_EQ(store_->Gate(q)->total, 2u);  // h, low (overridden to CRITICAL)
  q.now_ms = 1000;
  EXPECT_EQ(store_->Gate(q)->total, 3u);  // and x, whose suppression has expired
  q.apply_policy = false;                 // --no-policy: x, forever, h; low is LOW again
  q.now_ms = 0;
  auto g = store_->Gate(q);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->total, 3u);
  for (const auto& r : g->worst) EXPECT_EQ(GateSeverity(r, false), SeverityLabel::kHigh);
  // A person's decision still applies without the policy.
  auto id = store_->Resolve(rows[0].finding.id);
  ASSERT_TRUE(id.ok());
  TriageChange c;
  c.status = WorkflowStatus::kSuppressed;
  c.by = "alice";
  c.now = "2026-01-03T00:00:00.000Z";
  ASSERT_TRUE(store_->Triage({*id}, c).ok());
  EXPECT_EQ(store_->Gate(q)->total, 2u);
}

// New since the last passing gate: a watermark (mark_run) against the run that made a finding
// active; a reopened finding counts as new, a repeat of a report changes nothing.
TEST_F(StoreTest, GateNewSinceMarkCountsFirstSeenAndReopened) {
  Run({Make("a"), Make("b")});                 // run 1
  ASSERT_TRUE(store_->RecordGateVerdicts({GateVerdictRecord{0, "s", "g", "2026-01-02T00:00:00Z", true, 1, 0, "", "", ""}}).ok());
  auto last = store_->LastPass("s", "g");
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->mark_run, 1);
  EXPECT_FALSE(store_->LastPass("s", "other")->has_value());
  EXPECT_FALSE(store_->LastPass("t", "g")->has_value());
  GateQuery q;
  q.scope = "s";
  q.fail_on = SeverityLabel::kHigh;
  q.new_only = true;
  q.new_since_run = 1;
  EXPECT_EQ(store_->Gate(q)->total, 0u);
  Run({Make("a")});                            // run 2: b resolved
  Run({Make("a"), Make("b"), Make("c")});      // run 3: b reopened, c new
  EXPECT_EQ(store_->Gate(q)->total, 2u);
  q.new_since_run = 3;
  EXPECT_EQ(store_->Gate(q)->total, 0u);
  q.new_since_run = 0;                         // no passing gate: everything is new
  EXPECT_EQ(store_->Gate(q)->total, 3u);
  auto scopes = store_->Scopes();
  ASSERT_TRUE(scopes.ok());
  EXPECT_EQ(*scopes, std::vector<std::string>{"s"});
}

TEST_F(StoreTest, ReadOnlySqlRejectsWrites) {
  Run({Make("a")});
  int rows = 0;
  EXPECT_TRUE(store_->Sql("SELECT id, severity FROM v_findings", [&](const auto&, const auto&) { ++rows; }).ok());
  EXPECT_EQ(rows, 1);
  EXPECT_FALSE(store_->Sql("DELETE FROM findings", [&](const auto&, const auto&) {}).ok());
  EXPECT_FALSE(store_->Sql("SELECT 1; DELETE FROM findings", [&](const auto&, const auto&) {}).ok());
}

}  // namespace

// --- policy decisions and triage (schema 2) ---

TEST_F(StoreTest, PolicySeverityAndSuppressionAreStoredWithTheScannersValueKept) {
  policy_ = [](const Finding& f) {
    PolicyDecision d;
    // The hook sees the scanners' label and the lifecycle's workflow.
    EXPECT_EQ(f.severity.label, SeverityLabel::kHigh);
    EXPECT_EQ(f.workflow, WorkflowStatus::kNew);
    if (f.title == "Finding a") {
      d.severity = SeverityLabel::kLow;
      d.applied = {"override:low"};
    } else {
      d.workflow = WorkflowStatus::kSuppressed;
      d.note = Note{"Suppressed by policy 's'", kPolicyActor, ""};
      d.applied = {"suppress:s"};
    }
    return d;
  };
  RunCounts c = Run({Make("a"), Make("b")}, "zap", 0, "2026-01-02T00:00:00.000Z");
  EXPECT_EQ(c.suppressed, 1u);
  auto rows = All();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].finding.severity.label, SeverityLabel::kLow);
  EXPECT_EQ(rows[0].base_severity, SeverityLabel::kHigh);
  EXPECT_EQ(rows[0].policy, "override:low");
  EXPECT_EQ(rows[1].finding.workflow, WorkflowStatus::kSuppressed);
  EXPECT_EQ(rows[1].lifecycle, WorkflowStatus::kNew);
  ASSERT_TRUE(rows[1].finding.note);
  EXPECT_EQ(rows[1].finding.note->updated_at, "2026-01-02T00:00:00.000Z");
  // The policy goes away: the suppression ends, counted and in the history.
  policy_ = nullptr;
  c = Run({Make("a"), Make("b")}, "zap", 0, "2026-01-03T00:00:00.000Z");
  EXPECT_EQ(c.unsuppressed, 1u);
  EXPECT_EQ(c.updated, 2u);
  rows = All();
  EXPECT_EQ(rows[0].finding.severity.label, SeverityLabel::kHigh);
  EXPECT_EQ(rows[1].finding.workflow, WorkflowStatus::kNew);
  EXPECT_FALSE(rows[1].finding.note);
  auto h = store_->History(rows[1].rowid);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[1].action, "policy");
  EXPECT_EQ((*h)[1].old_value, "SUPPRESSED");
  EXPECT_EQ((*h)[1].new_value, "NEW");
  // Nothing changes any more: unchanged, no new history.
  c = Run({Make("a"), Make("b")}, "zap", 0, "2026-01-04T00:00:00.000Z");
  EXPECT_EQ(c.unchanged, 2u);
  EXPECT_EQ(store_->History(rows[1].rowid)->size(), 2u);
}

TEST_F(StoreTest, TriageWinsOverPolicyAndSurvivesRescans) {
  Run({Make("a"), Make("b")});
  auto rows = All();
  ASSERT_TRUE(store_->Triage({rows[0].rowid}, TriageChange{WorkflowStatus::kSuppressed, "accepted", "alice", "2026-01-02T01:00:00.000Z"}).ok());
  ASSERT_TRUE(store_->Triage({rows[1].rowid}, TriageChange{WorkflowStatus::kResolved, "fixed", "bob", "2026-01-02T02:00:00.000Z"}).ok());
  // A policy that would mark everything NOTIFIED does not override a person.
  policy_ = [](const Finding&) {
    PolicyDecision d;
    d.workflow = WorkflowStatus::kNotified;
    d.applied = {"rule:notify"};
    return d;
  };
  RunCounts c = Run({Make("a"), Make("b")}, "zap", 0, "2026-01-03T00:00:00.000Z");
  // b was RESOLVED by a person but is still reported: reopened, then the policy applies.
  EXPECT_EQ(c.reopened, 1u);
  rows = All();
  EXPECT_EQ(rows[0].finding.workflow, WorkflowStatus::kSuppressed);
  EXPECT_EQ(rows[0].triage, WorkflowStatus::kSuppressed);
  ASSERT_TRUE(rows[0].finding.note);
  EXPECT_EQ(rows[0].finding.note->text, "accepted");  // a person's note is not replaced by the policy's
  EXPECT_EQ(rows[1].finding.workflow, WorkflowStatus::kNotified);
  EXPECT_FALSE(rows[1].triage);
  auto h = store_->History(rows[1].rowid);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[1].actor, "bob");
  EXPECT_EQ((*h)[2].action, "reopened");
  // Gone from the next scan: the suppressed one stays SUPPRESSED (archived), the other resolves.
  policy_ = nullptr;
  c = Run({}, "zap", 0, "2026-01-04T00:00:00.000Z");
  EXPECT_EQ(c.resolved, 2u);
  rows = All();
  EXPECT_EQ(rows[0].finding.workflow, WorkflowStatus::kSuppressed);
  EXPECT_EQ(rows[0].finding.record_state, RecordState::kArchived);
  EXPECT_EQ(rows[1].finding.workflow, WorkflowStatus::kResolved);
  EXPECT_EQ(store_->History(rows[0].rowid)->back().action, "archived");
  EXPECT_EQ(store_->History(rows[1].rowid)->back().action, "resolved");
}

TEST_F(StoreTest, TriageNeedsAnActorAndAnExistingFinding) {
  Run({Make("a")});
  auto rows = All();
  EXPECT_FALSE(store_->Triage({rows[0].rowid}, TriageChange{WorkflowStatus::kNotified, "", "", "2026-01-02T00:00:00Z"}).ok());
  EXPECT_FALSE(store_->Triage({rows[0].rowid, 999}, TriageChange{WorkflowStatus::kNotified, "", "x", "2026-01-02T00:00:00Z"}).ok());
  EXPECT_EQ(All()[0].finding.workflow, WorkflowStatus::kNew);
  EXPECT_FALSE(store_->Resolve("nope").ok());
  auto by_id = store_->Resolve(rows[0].finding.id);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(*by_id, rows[0].rowid);
}

// Response actions (issue 12): the outbox records each (action, finding, event) once per run
// that caused it, whatever is ingested again; claims are exclusive; outcomes are kept.
TEST_F(StoreTest, DeliveriesAreRecordedOncePerEventAndClaimedOnce) {
  store_->SetActionEvents({{"page", kOnNew | kOnReopened | kOnResolved}, {"ticket", kOnNew | kOnSuppressed}});
  policy_ = [](const Finding& f) {
    PolicyDecision d;
    d.actions = {"page"};
    if (f.title == "Finding b") {
      d.actions.push_back("ticket");
      d.actions.push_back("unknown");  // not an action of this run: nothing recorded
    }
    return d;
  };
  Run({Make("a"), Make("b")}, "zap", 0, "2026-01-02T00:00:00.000Z");
  auto all = [&] {
    auto d = store_->Deliveries(DeliveryQuery{});
    EXPECT_TRUE(d.ok());
    return d.ok() ? *d : std::vector<Delivery>{};
  };
  auto d1 = all();
  ASSERT_EQ(d1.size(), 3u);  // page a, page b, ticket b: new
  for (const auto& d : d1) {
    EXPECT_EQ(d.event, "new");
    EXPECT_EQ(d.state, "pending");
    EXPECT_EQ(d.scope, "s");
  }
  // The same report again: no event, nothing new in the outbox.
  Run({Make("a"), Make("b")}, "zap", 0, "2026-01-03T00:00:00.000Z");
  EXPECT_EQ(all().size(), 3u);
  // b goes away: `page` wants resolved, `ticket` does not.
  Run({Make("a")}, "zap", 0, "2026-01-04T00:00:00.000Z");
  auto d3 = all();
  ASSERT_EQ(d3.size(), 4u);
  EXPECT_EQ(d3.back().action, "page");
  EXPECT_EQ(d3.back().event, "resolved");
  // b comes back: reopened for `page`, a new occurrence.
  Run({Make("a"), Make("b")}, "zap", 0, "2026-01-05T00:00:00.000Z");
  auto d4 = all();
  ASSERT_EQ(d4.size(), 5u);
  EXPECT_EQ(d4.back().event, "reopened");

  // Claims: the first takes all pending rows, a second (another runner) none.
  DeliveryQuery q;
  q.actions = {"page"};
  auto c1 = store_->ClaimDeliveries(q, "2026-01-06T00:00:00Z");
  ASSERT_TRUE(c1.ok()) << c1.error().ToString();
  ASSERT_EQ(c1->size(), 4u);
  for (const auto& d : *c1) EXPECT_EQ(d.state, "sending");
  auto c2 = store_->ClaimDeliveries(q, "2026-01-06T00:00:01Z");
  ASSERT_TRUE(c2.ok());
  EXPECT_TRUE(c2->empty());
  // One delivered (with a remote key), one failed: the failed one can be claimed again.
  ASSERT_TRUE(store_->FinishDelivery((*c1)[0], true, 1, "", "SEC-1", "2026-01-06T00:00:02Z").ok());
  ASSERT_TRUE(store_->FinishDelivery((*c1)[1], false, 3, "HTTP 500: boom", "", "2026-01-06T00:00:03Z").ok());
  EXPECT_EQ(*store_->ActionLink("page", (*c1)[0].finding_id), "SEC-1");
  EXPECT_EQ(*store_->ActionLink("ticket", (*c1)[0].finding_id), "");
  auto history = store_->History((*c1)[0].finding_id);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->back().action, "delivered");
  EXPECT_EQ(history->back().actor, "action page");
  DeliveryQuery failed;
  failed.states = {"failed"};
  auto f = store_->Deliveries(failed);
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->size(), 1u);
  EXPECT_EQ((*f)[0].attempts, 3);
  EXPECT_EQ((*f)[0].last_error, "HTTP 500: boom");
  auto c3 = store_->ClaimDeliveries(q, "2026-01-07T00:00:00Z");
  ASSERT_TRUE(c3.ok());
  ASSERT_EQ(c3->size(), 1u);
  EXPECT_EQ((*c3)[0].id, (*c1)[1].id);
}

TEST_F(StoreTest, ASuppressedNewFindingIsASuppressedEventNotANewOne) {
  store_->SetActionEvents({{"all", kOnNew | kOnSuppressed}});
  policy_ = [](const Finding&) {
    PolicyDecision d;
    d.workflow = WorkflowStatus::kSuppressed;
    d.applied = {"suppress:x"};
    d.actions = {"all"};
    return d;
  };
  Run({Make("a")});
  auto d = store_->Deliveries(DeliveryQuery{});
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ((*d)[0].event, "suppressed");
}

TEST(StoreMigration, SchemaOneStoreUpgradesWithItsFindingsAndDocuments) {
  const std::string path = (fs::temp_directory_path() / ("findex_migrate_" + std::to_string(::getpid()) + ".db")).string();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
  {
    // A store as findex 0.1.0 (schema 1) left it: one run, one finding with its document.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    std::string sql = std::string(MigrationSql(0)) +
                      "PRAGMA user_version=1;"
                      "INSERT INTO runs(id, file, content_hash, format, scanner, scope, started_at, batch)"
                      " VALUES(1, 'r.json', '00', 'zap-json', 'zap', 's', '2026-01-01T00:00:00Z', 1);"
                      "INSERT INTO findings(id, scope, fingerprint, asff_id, scanner, format, generator_id, title, severity,"
                      " normalized, workflow, record_state, first_seen_run, last_seen_run, first_observed_at,"
                      " last_observed_at, created_at, updated_at, sources, content_hash, doc)"
                      " VALUES(1, 's', x'00112233445566778899aabbccddeeff', 'findex/1', 'zap', 'zap-json', 'zap/1', 'Old',"
                      " 3, 80, 'SUPPRESSED', 'ACTIVE', 1, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',"
                      " '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'zap' || char(31) || 'HIGH' || char(31) || 'High', 7,"
                      " '{\"SchemaVersion\":\"2018-10-08\",\"Title\":\"Old\",\"Description\":\"kept\",\"GeneratorId\":\"zap/1\"}');"
                      "INSERT INTO observations VALUES(1, 1);";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }
  {
    auto ro = Store::Open(path, /*read_only=*/true);  // a read-only command upgrades it first
    ASSERT_TRUE(ro.ok()) << ro.error().ToString();
    std::vector<FindingRow> rows;
    ASSERT_TRUE((*ro)->ForEach(FindingFilter{}, [&](FindingRow&& r) { rows.push_back(std::move(r)); return true; }).ok());
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].finding.title, "Old");
    EXPECT_EQ(rows[0].finding.description, "kept");  // the document moved to finding_docs
    EXPECT_EQ(rows[0].finding.workflow, WorkflowStatus::kSuppressed);
    EXPECT_EQ(rows[0].lifecycle, WorkflowStatus::kSuppressed);  // schema 2: lifecycle from the old workflow
    EXPECT_EQ(rows[0].base_severity, SeverityLabel::kHigh);
  }
  auto rw = Store::Open(path);
  ASSERT_TRUE(rw.ok());
  int version = 0, same_as = 0;
  EXPECT_TRUE((*rw)->Sql("PRAGMA user_version", [&](const auto&, const auto& v) { version = std::stoi(*v[0]); }).ok());
  EXPECT_TRUE((*rw)->Sql("SELECT count(*) FROM pragma_table_info('runs') WHERE name='same_as'",
                         [&](const auto&, const auto& v) { same_as = std::stoi(*v[0]); }).ok());
  EXPECT_EQ(version, kSchemaVersion);
  EXPECT_EQ(same_as, 1);
  rw->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
}

// --- targets and batches (issue 8) ---

class StoreTargetTest : public StoreTest {
 protected:
  static Finding At(const std::string& key, const std::string& target, const std::string& scanner = "trivy") {
    Finding f = Make(key, scanner);
    f.target = target;
    return f;
  }
  // One report of `scanner` about `target` (declared as the report does, findings without their own).
  RunCounts RunT(const std::string& target, const std::vector<std::string>& keys, bool complete = true,
                 const std::string& scanner = "trivy", const std::string& now = "2026-01-02T00:00:00.000Z") {
    RunInfo info{"file-" + target, scanner, scanner, "s", ++hash_, 1, now, false, nullptr};
    EXPECT_TRUE(store_->BeginRun(info).ok());
    for (const auto& k : keys) EXPECT_TRUE(store_->Put(Make(k, scanner)).ok());
    store_->AddRunTarget(target);  // after the findings, as Grype's "source" comes after "matches"
    auto c = store_->CommitRun(complete);
    EXPECT_TRUE(c.ok());
    return c.ok() ? *c : RunCounts{};
  }
  std::map<std::string, std::string> States() {
    std::map<std::string, std::string> out;
    EXPECT_TRUE(store_->Sql("SELECT title, target, state FROM v_findings", [&](const auto&, const auto& v) {
      out[*v[0]] = *v[1] + ":" + *v[2];
    }).ok());
    return out;
  }
};

TEST_F(StoreTargetTest, ReportsAboutOtherTargetsOfTheSameScannerResolveNothing) {
  RunT("alpine:3.10", {"a", "b"});
  RunCounts c = RunT("src/", {"c"});  // a filesystem scan after the image scan
  EXPECT_EQ(c.resolved, 0u);
  EXPECT_EQ(c.targets, std::vector<std::string>{"src/"});
  EXPECT_EQ(States(), (std::map<std::string, std::string>{{"Finding a", "alpine:3.10:ACTIVE"},
                                                         {"Finding b", "alpine:3.10:ACTIVE"},
                                                         {"Finding c", "src/:ACTIVE"}}));
  c = RunT("alpine:3.10", {"a"});  // a later report about the image resolves what it no longer has
  EXPECT_EQ(c.resolved, 1u);
  EXPECT_EQ(States()["Finding b"], "alpine:3.10:ARCHIVED");
  EXPECT_EQ(States()["Finding c"], "src/:ACTIVE");
}

// Absence from one scanner's report does not resolve a finding that the latest report of another
// scanner about the target still has (cross-tool identity): read from the runs' membership
// records (run_members), one per run.
TEST_F(StoreTargetTest, AFindingAnotherScannersLatestReportStillHasStaysActive) {
  RunT("alpine:3.10", {"a", "b"}, true, "trivy");
  RunT("alpine:3.10", {"a", "b"}, true, "grype");  // the same findings, now last seen by grype
  RunCounts c = RunT("alpine:3.10", {"b"}, true, "grype");  // grype no longer reports a
  EXPECT_EQ(c.resolved, 0u);  // trivy's latest report about the image still has it
  EXPECT_EQ(States()["Finding a"], "alpine:3.10:ACTIVE");
  RunT("alpine:3.10", {"b"}, true, "trivy");  // trivy no longer reports a either
  c = RunT("alpine:3.10", {"b"}, true, "grype");
  EXPECT_EQ(c.resolved, 1u);
  EXPECT_EQ(States()["Finding a"], "alpine:3.10:ARCHIVED");
  EXPECT_EQ(States()["Finding b"], "alpine:3.10:ACTIVE");
  // Membership: one record per run, listing what it observed.
  int64_t n = -1;
  EXPECT_TRUE(store_->Sql("SELECT n FROM run_members WHERE run_id=(SELECT min(id) FROM runs)",
                          [&](const auto&, const auto& v) { n = std::stoll(*v[0]); })
                  .ok());
  EXPECT_EQ(n, 2);
}

TEST_F(StoreTargetTest, FindingTakesTheTargetOfTheReportThatLastSawIt) {
  RunT("img", {"shared"});
  RunT("fs", {"shared"});
  EXPECT_EQ(States()["Finding shared"], "fs:ACTIVE");
  // The image no longer has it, but the filesystem's latest report does: it stays.
  EXPECT_EQ(RunT("img", {}).resolved, 0u);
  EXPECT_EQ(RunT("fs", {}).resolved, 1u);
}

TEST_F(StoreTargetTest, BatchJudgesAbsenceOverTheUnionOfItsReports) {
  RunT("img", {"a", "b"});
  store_->BeginBatch();
  EXPECT_EQ(RunT("img", {"a"}).resolved, 0u);  // judged at the close, not per file
  EXPECT_EQ(RunT("img", {"b"}).resolved, 0u);
  auto closed = store_->CloseBatch(BatchFailures{}, "2026-01-03T00:00:00.000Z");
  ASSERT_TRUE(closed.ok()) << closed.error().ToString();
  EXPECT_EQ(closed->resolved, 0u);
  ASSERT_EQ(closed->targets.size(), 1u);
  EXPECT_TRUE(closed->targets[0].judged);
  EXPECT_EQ(States()["Finding a"], "img:ACTIVE");
  EXPECT_EQ(States()["Finding b"], "img:ACTIVE");
  store_->BeginBatch();
  RunT("img", {"a"});
  RunT("other", {});
  closed = store_->CloseBatch(BatchFailures{}, "2026-01-04T00:00:00.000Z");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->resolved, 1u);
  EXPECT_EQ(States()["Finding b"], "img:ARCHIVED");
}

TEST_F(StoreTargetTest, IncompleteOrFailedReportsJudgeNoAbsence) {
  RunT("img", {"a", "b"});
  EXPECT_EQ(RunT("img", {"a"}, /*complete=*/false).resolved, 0u);
  EXPECT_EQ(States()["Finding b"], "img:ACTIVE");
  store_->BeginBatch();
  RunT("img", {"a"});
  RunT("img", {}, /*complete=*/false);  // an incomplete report in the batch spoils the union
  auto closed = store_->CloseBatch(BatchFailures{}, "2026-01-03T00:00:00.000Z");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->resolved, 0u);
  ASSERT_EQ(closed->targets.size(), 1u);
  EXPECT_FALSE(closed->targets[0].judged);
  store_->BeginBatch();
  RunT("img", {"a"});
  BatchFailures failed;
  failed.scope_scanner.emplace("s", "trivy");  // another trivy report of the batch failed
  closed = store_->CloseBatch(failed, "2026-01-04T00:00:00.000Z");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->resolved, 0u);
  EXPECT_EQ(States()["Finding b"], "img:ACTIVE");
}

TEST_F(StoreTargetTest, RepeatedReportMovesLastObservedAt) {
  RunInfo info{"r.json", "trivy", "trivy", "s", 4242, 1, "2026-01-02T00:00:00.000Z", false, nullptr};
  ASSERT_TRUE(store_->BeginRun(info).ok());
  ASSERT_TRUE(store_->Put(At("a", "img")).ok());
  ASSERT_TRUE(store_->CommitRun().ok());
  auto repeat = store_->RepeatOf("s", "trivy", 4242);
  ASSERT_TRUE(repeat.ok());
  ASSERT_NE(*repeat, 0);
  info.now = "2026-01-09T00:00:00.000Z";
  info.repeat_of = *repeat;
  ASSERT_TRUE(store_->BeginRun(info).ok());
  auto c = store_->CommitRepeat();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->targets, std::vector<std::string>{"img"});
  auto rows = All();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].finding.first_observed_at, "2026-01-02T00:00:00.000Z");
  EXPECT_EQ(rows[0].finding.last_observed_at, "2026-01-09T00:00:00.000Z");
  // A later report about the same target makes the old content stale: read again, not repeated.
  RunT("img", {"a"});
  auto stale = store_->RepeatOf("s", "trivy", 4242);
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(*stale, 0);
}

TEST(StoreMigration, SchemaThreeStoreUpgradesToTargets) {
  const std::string path = (fs::temp_directory_path() / ("findex_migrate3_" + std::to_string(::getpid()) + ".db")).string();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    std::string sql = std::string(MigrationSql(0)) + MigrationSql(1) + MigrationSql(2) +
                      "PRAGMA user_version=3;"
                      "INSERT INTO runs(id, file, content_hash, format, scanner, scope, started_at, batch)"
                      " VALUES(1, 'r.json', '00', 'trivy', 'trivy', 's', '2026-01-01T00:00:00Z', 1);"
                      "INSERT INTO findings(id, scope, fingerprint, asff_id, scanner, format, generator_id, title, severity,"
                      " normalized, workflow, record_state, first_seen_run, last_seen_run, first_observed_at,"
                      " last_observed_at, created_at, updated_at, sources, content_hash, lifecycle, base_severity)"
                      " VALUES(1, 's', x'00112233445566778899aabbccddeeff', 'findex/1', 'trivy', 'trivy', 'CVE-1', 'Old',"
                      " 4, 90, 'NEW', 'ACTIVE', 1, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',"
                      " '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'trivy' || char(31) || 'CRITICAL' || char(31) || 'CRITICAL', 7,"
                      " 'NEW', 4);"
                      "INSERT INTO finding_docs VALUES(1, '{\"SchemaVersion\":\"2018-10-08\",\"Title\":\"Old\"}');"
                      "INSERT INTO observations VALUES(1, 1);";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }
  auto rw = Store::Open(path);
  ASSERT_TRUE(rw.ok()) << rw.error().ToString();
  int version = 0;
  std::string row;
  EXPECT_TRUE((*rw)->Sql("PRAGMA user_version", [&](const auto&, const auto& v) { version = std::stoi(*v[0]); }).ok());
  EXPECT_GE(version, 4);
  EXPECT_TRUE((*rw)->Sql("SELECT title || '|' || target || '|' || state FROM v_findings",
                         [&](const auto&, const auto& v) { row = *v[0]; }).ok());
  EXPECT_EQ(row, "Old||ACTIVE");  // stored before targets: the empty target
  EXPECT_TRUE((*rw)->Sql("SELECT target || '|' || complete FROM runs", [&](const auto&, const auto& v) { row = *v[0]; }).ok());
  EXPECT_EQ(row, "|1");
  // A report about a named target does not resolve what the old, untargeted report saw.
  RunInfo info{"new.json", "trivy", "trivy", "s", 5, 1, "2026-01-02T00:00:00.000Z", false, nullptr};
  ASSERT_TRUE((*rw)->BeginRun(info).ok());
  (*rw)->AddRunTarget("alpine:3.10");
  auto c = (*rw)->CommitRun();
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->resolved, 0u);
  rw->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
}
