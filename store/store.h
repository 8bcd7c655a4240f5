// The findings store: SQLite (WAL), schema-versioned, one transaction per input file.
//
// Lifecycle per (scope, scanner, target); a finding's target is the target of the report that
// last saw it (Finding::target):
//   first sight          -> Workflow NEW, RecordState ACTIVE, FirstObservedAt set
//   seen again           -> LastObservedAt/UpdatedAt move; content updated if it changed
//   absent from every report of a batch (all reports of one `findex ingest`, BeginBatch /
//   CloseBatch; without BeginBatch each run is a batch of its own) of the same scanner about the
//   same target in the same scope, and not seen by the latest batch of any other (scanner,
//   target) in that scope -> Workflow RESOLVED, RecordState ARCHIVED
//                           (a SUPPRESSED finding stays SUPPRESSED, only ARCHIVED)
//     ... unless a report of that scanner about that target in the batch is incomplete (rejects
//     over the caller's limit: CommitRun(false)) or failed: then absence resolves nothing.
//   seen again after that -> ACTIVE again, RESOLVED -> NEW, counted as reopened
//   a byte-identical report of the latest batch of (scope, scanner, target) -> not read again;
//                           its findings' LastObservedAt moves (CommitRepeat)
#pragma once

#include <sqlite3.h>

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "normalize/finding.h"
#include "normalize/finding_codec.h"
#include "normalize/fingerprint.h"
#include "normalize/result.h"
#include "normalize/json_writer.h"
#include "store/db.h"
#include "store/exploit_feeds.h"
#include "store/filter.h"
#include "store/texts.h"

namespace findex {

class PgDb;

// Who the policy's notes and history entries are from.
inline constexpr const char* kPolicyActor = "findex-policy";

struct RunInfo {
  std::string file, format, scanner, scope;
  uint64_t content_hash = 0;
  uint64_t bytes = 0;
  std::string now;  // RFC 3339; injected for deterministic tests
  // False for event sources (Falco): absence from a later log is not a fix, and occurrences
  // of a finding add up across runs instead of being replaced.
  bool events = false;
  // The policy (rules/policy.h) as a function of the finding as scanners and lifecycle left it;
  // empty: no policy. The caller mixes the policy's hash into content_hash.
  std::function<PolicyDecision(const Finding&)> policy;
  // CommitRepeat: the run this byte-identical report repeats (from RepeatOf).
  int64_t repeat_of = 0;
};

// Response actions (issue 12): the events an action is delivered on, as a bit set.
enum DeliveryEventBit : unsigned {
  kOnNew = 1,
  kOnReopened = 2,
  kOnResolved = 4,
  kOnSuppressed = 8,
  kOnSlaBreached = 16,
};

// One recorded delivery of an action for a finding's event (the table deliveries).
struct Delivery {
  int64_t id = 0, finding_id = 0, occurrence = 0, attempts = 0;
  std::string action, event, scope, state, created_at, updated_at, last_error, remote_key;
};

struct DeliveryQuery {
  std::vector<std::string> states;   // empty: any
  std::vector<std::string> actions;  // empty: any
  std::vector<std::string> scopes;   // empty: any
  // Only deliveries of the findings a filter selects: CompileFilter's clause ("WHERE ..." over
  // findings, its parameters ?1..?N) and its parameters; empty: every finding.
  std::string findings_where;
  std::vector<std::string> findings_params;
  // ClaimDeliveries also takes `sending` rows last updated before this time (RFC 3339): claims a
  // findex never finished (it stopped while sending); empty: never.
  std::string stale_before;
  int64_t limit = -1;
};

struct RunCounts {
  int64_t run_id = 0;
  uint64_t records = 0, new_ = 0, updated = 0, unchanged = 0, reopened = 0, resolved = 0, rejects = 0,
           duplicates = 0;
  uint64_t suppressed = 0;  // findings the policy suppressed in this run
  uint64_t unsuppressed = 0;  // findings whose policy suppression ended (expired or removed)
  std::vector<std::string> expired;  // suppressions that matched but had expired, once each
  std::vector<std::string> targets;  // what the report said it scanned, sorted; {""}: none named
  bool complete = true;              // false: judged no absence (CommitRun(false))
};

// What closing a batch judged, per (scope, scanner, target) of its reports.
struct TargetVerdict {
  std::string scope, scanner, target;
  bool judged = false;    // absence was judged (false: an incomplete or failed report)
  std::string why_not;    // when not judged
  uint64_t resolved = 0;
  int64_t run_id = 0;     // the batch's last run of the scanner about the target (carries `resolved`)
};
struct BatchCounts {
  int64_t batch = 0;
  uint64_t resolved = 0;
  std::vector<TargetVerdict> targets;
};

// Reports of a batch that failed as a whole (rolled back): absence is not judged for their
// scanner in their scope (their target is unknown), or anywhere when their format is unknown.
struct BatchFailures {
  std::set<std::pair<std::string, std::string>> scope_scanner;
  bool unknown = false;
};

// One entry of a finding's history (`findex history`).
struct HistoryEntry {
  std::string at, actor, action, field, old_value, new_value, note;
};

// What `findex triage` / `findex note` change.
struct TriageChange {
  std::optional<WorkflowStatus> status;
  std::string note;  // empty: none
  std::string by;    // who; required
  std::string now;   // RFC 3339
};

struct StoredReject {
  uint64_t offset = 0;
  uint32_t line = 0;
  std::string where, reason;
};

// One row of the findings table with the finding rebuilt from its stored ASFF.
struct FindingRow {
  int64_t rowid = 0;
  int64_t first_seen_run = 0, last_seen_run = 0;
  Finding finding;  // mutable fields (Id, Workflow, RecordState, timestamps) from the row
  // Every scanner that reported the finding, e.g. "grype:HIGH(High);trivy:CRITICAL(CRITICAL)".
  std::string sources;
  // What the policy and people decided; `finding` carries the effective severity and workflow.
  SeverityLabel base_severity = SeverityLabel::kInformational;  // highest scanner label
  WorkflowStatus lifecycle = WorkflowStatus::kNew;              // from scans alone
  std::optional<WorkflowStatus> triage;                         // set by a person
  std::string policy;                                           // "override:x;suppress:y"
  std::string policy_workflow;              // the policy's status at the latest ingest; empty: none
  std::optional<int64_t> policy_expires;    // when the policy's suppression stops (Unix ms)
  int64_t active_since_run = 0;             // run that last made it ACTIVE (first sight or reopened)
};

// What a gate counts when it does not apply the policy file itself: the decisions stored at
// ingest, except a policy suppression that has expired at `now_ms`; with `apply_policy` false
// (--no-policy) no policy decision at all (a person's triage still applies).
WorkflowStatus GateWorkflow(const FindingRow& row, bool apply_policy, int64_t now_ms);
SeverityLabel GateSeverity(const FindingRow& row, bool apply_policy);

struct GateQuery {
  std::string scope;          // empty: all scopes
  SeverityLabel fail_on = SeverityLabel::kCritical;
  bool new_only = false;      // only findings active since a run after new_since_run
  int64_t new_since_run = 0;  // mark_run of the last passing verdict; 0: none, everything is new
  bool apply_policy = true;   // false (--no-policy): stored policy decisions are ignored
  int64_t now_ms = 0;         // a stored policy suppression with policy_expires <= now_ms is over
  size_t cap = 20;            // how many findings to list
};

// One gate run's verdict for (scope, gate): table gate_verdicts.
struct GateVerdictRecord {
  int64_t id = 0;
  std::string scope;  // '*': every scope (--all-scopes)
  std::string gate;
  std::string at;     // RFC 3339
  bool passed = false;
  int64_t mark_run = 0;  // max run id of the snapshot evaluated
  uint64_t violations = 0;
  std::string accepted_by, reason;  // --accept-current
  std::string policy;               // policy files used
};

struct GateRows {
  uint64_t total = 0;
  std::vector<std::pair<SeverityLabel, uint64_t>> by_label;
  std::vector<FindingRow> worst;
};

// The part of storing a finding that needs no database: the document of what the report said
// and its hash. Built on parser threads so that the single writer thread only talks to SQLite.
// Moved, never copied: `texts` views the heap buffers of `finding`'s long strings, which a move
// keeps and a copy would not.
struct PreparedFinding {
  PreparedFinding() = default;
  PreparedFinding(PreparedFinding&&) = default;
  PreparedFinding& operator=(PreparedFinding&&) = default;
  PreparedFinding(const PreparedFinding&) = delete;
  PreparedFinding& operator=(const PreparedFinding&) = delete;
  Finding finding;      // lifecycle fields cleared (they live in columns)
  std::string details;  // what the columns do not hold (normalize/finding_codec.h)
  std::vector<DetailText> texts;  // the shared texts `details` refers to (views into `finding`)
  std::vector<std::string> columns;  // the policy columns (normalize/finding_columns.h)
  uint64_t content_hash = 0;
  std::string first_observed_at, last_observed_at;  // from the report; empty: the run's time
  WorkflowStatus reported_workflow = WorkflowStatus::kNew;
  uint64_t occurrences = 0;
  AltIdentities alt;  // normalize/fingerprint.h: the store's other lookups of this finding
};
PreparedFinding PrepareFinding(Finding&& f);  // f: Finalize()d

// A column scan (Store::ScanActive, store/columns.cpp): an active finding's lifecycle, policy
// and triage columns, and the values of the caller's SQL expressions, without its document.
struct ColumnScan {
  std::string scope;               // empty: every scope
  std::vector<std::string> exprs;  // SQL over the findings table's columns; each 1, 0 or NULL
  bool fingerprints = false;       // fill ColumnRow::fingerprint_hex
};
struct ColumnRow {
  int64_t rowid = 0;
  SeverityLabel severity = SeverityLabel::kInformational;       // effective, as stored
  SeverityLabel base_severity = SeverityLabel::kInformational;  // highest scanner label
  WorkflowStatus workflow = WorkflowStatus::kNew;               // effective, as stored
  WorkflowStatus lifecycle = WorkflowStatus::kNew;
  std::optional<WorkflowStatus> triage;
  std::string policy_workflow;
  std::optional<int64_t> policy_expires;
  int64_t active_since_run = 0;
  std::string fingerprint_hex;  // with ColumnScan::fingerprints
  std::vector<int8_t> values;   // per expression: 1, 0, or -1 for NULL
};
// A scalar SQL function: text arguments (nullopt: NULL); returns 1, 0 or -1 (NULL).
using SqlScalarFunction = std::function<int(const std::vector<std::optional<std::string_view>>& args)>;

namespace store_detail {
// One value of a finding row, by the ingest statements' parameter number (Store::Apply).
struct Val {
  char k = 'n';  // 'n' NULL, 'i' integer, 't' text, 'b' blob, 'd' double
  int64_t i = 0;
  std::string_view s;
  static Val Int(int64_t v) { return Val{'i', v, {}}; }
  static Val Text(std::string_view v) { return Val{'t', 0, v}; }
  static Val Blob(std::string_view v) { return Val{'b', 0, v}; }
  // Nullable text: empty strings become NULL so that filters and group-by see "absent".
  static Val OptText(std::string_view v) { return v.empty() ? Val{} : Text(v); }
  // A number that may be absent (< 0: NULL): EPSS scores.
  static Val OptDouble(double v) { return v < 0 ? Val{} : Val{'d', 0, {}, v}; }
  double d = 0;
};
using RowVals = std::array<Val, 50>;
}  // namespace store_detail

class Store {
 public:
  ~Store();
  // Creates the file and schema when missing; migrates older schemas. `path` may be a
  // PostgreSQL URI (postgresql://... or postgres://..., store/postgres/pg_db.h).
  static Result<std::unique_ptr<Store>> Open(const std::string& path, bool read_only = false);

  // --- waiting for another writer (process-wide) ---
  // A writer that finds the store locked by another waits: as long as needed by default
  // (seconds < 0), else at most `seconds`; then it fails with an error naming the store and
  // the holder. After a few seconds of waiting, `notice` hears once who holds it (default:
  // a line on stderr); `interrupted` returning true (a signal) stops the wait.
  static void SetLockWait(double seconds);
  static void SetLockWaitHooks(std::function<void(const std::string&)> notice, std::function<bool()> interrupted);
  // "another findex is writing to it (pid 123: findex ingest a.json)" or without the holder
  // when it cannot be found (from /proc/locks: the WAL write lock on PATH-shm).
  static std::string LockHolder(const std::string& path);

  // --- ingest (one run at a time; a run is one input file and one transaction) ---
  // The run that a report with this content would repeat: the latest complete run of (scope,
  // scanner) with this content when no later run of that scanner named one of its targets;
  // 0 when none.
  Result<int64_t> RepeatOf(const std::string& scope, const std::string& scanner, uint64_t content_hash);
  Result<bool> IsLatestContent(const std::string& scope, const std::string& scanner, uint64_t content_hash) {
    auto r = RepeatOf(scope, scanner, content_hash);
    if (!r.ok()) return r.error();
    return *r != 0;
  }
  // Starts a batch: absence is judged once, by CloseBatch, over all the batch's runs. Without
  // it, each CommitRun judges absence for its own run.
  void BeginBatch();
  // One transaction: resolves, per (scope, scanner, target) of the batch's complete runs, what no
  // run of the batch saw. Ends the batch.
  Result<BatchCounts> CloseBatch(const BatchFailures& failures, const std::string& now);
  Status BeginRun(const RunInfo& info);
  // The report names what it scanned (FindingSink::AddTarget); findings without a target take it
  // when the report names exactly one.
  void AddRunTarget(std::string_view target);
  Status Put(Finding&& f) { return Put(PrepareFinding(std::move(f))); }  // Finalize()d; deduplicated by (scope, fingerprint)
  Status Put(PreparedFinding&& p);
  Status PutReject(const StoredReject& r);
  // Run row + COMMIT; outside a batch, resolution too. `complete` false: the report had rejects
  // over the caller's limit, so its absences resolve nothing.
  Result<RunCounts> CommitRun(bool complete = true);
  // Instead of Put/CommitRun, for a report byte-identical to the latest run of its (scope,
  // scanner) under the same policy: records the run as a repeat of that one (it is the latest
  // ingest for gates' "new", findings stay as they are) and reopens a person's RESOLVED.
  Result<RunCounts> CommitRepeat();
  void AbortRun();                // ROLLBACK: the store is as before BeginRun
  bool in_run() const { return in_run_; }

  // --- queries ---
  Status ForEach(const FindingFilter& filter, const std::function<bool(FindingRow&&)>& fn);
  Result<std::vector<GroupCount>> GroupBy(const FindingFilter& filter, const std::string& field);
  Result<GateRows> Gate(const GateQuery& q);
  // Read-only SQL for users (`findex sql`): each row as column name/value pairs.
  Status Sql(const std::string& sql, const std::function<void(const std::vector<std::string>& cols,
                                                             const std::vector<std::optional<std::string>>& vals)>& fn);
  // PostgreSQL (`findex sql`): one read-only statement, in a READ ONLY transaction, stopped
  // after `timeout_s` (0: none); `fn` gets each row as a statement to read.
  // `columns` hears the result's columns once (before the rows, also when there are none).
  Status SqlPostgres(const std::string& sql, double timeout_s, const std::function<void(const DbStatement&)>& columns,
                     const std::function<void(const DbStatement&)>& fn);
  Result<int64_t> LatestRunId(const std::string& scope);
  // Run ids of the latest ingest batch of the scope (all scopes when empty): "new" findings.
  Result<std::vector<int64_t>> LatestBatchRuns(const std::string& scope);
  // Fingerprints (hex) of the active findings of a scope: a gate's baseline.
  Result<std::vector<std::string>> ActiveFingerprints(const std::string& scope);
  // Every scope that has been ingested (sorted).
  Result<std::vector<std::string>> Scopes();

  // --- gate verdicts ---
  // A read snapshot (BEGIN ... COMMIT) so that a gate's counts, listing and mark agree.
  // `after_ingests` (a gate): on PostgreSQL, first waits for the ingests under way, so that no
  // run with a smaller id than the snapshot's highest can commit later.
  Status BeginSnapshot(bool after_ingests = false);
  Status EndSnapshot();
  // The latest passing (or accepted) verdict of (scope, gate); nullopt: none.
  Result<std::optional<GateVerdictRecord>> LastPass(const std::string& scope, const std::string& gate);
  // Appends verdicts in one write transaction.
  Status RecordGateVerdicts(const std::vector<GateVerdictRecord>& verdicts);

  // --- exploitation feeds (issue 11; store/exploit_feeds.h) ---
  // Replaces the loaded KEV catalog and/or EPSS scores (nullptr: keep what is loaded) in one
  // transaction and recomputes every finding's exploitation columns (kev, kev_due, ransomware,
  // epss, epss_percentile) from its vulnerabilities (normalize/exploit.h).
  struct EnrichSummary {
    std::vector<FeedInfo> feeds;  // what is loaded afterwards
    int64_t findings = 0;         // findings with vulnerability ids, looked at
    int64_t changed = 0;          // whose columns changed
    int64_t kev = 0, epss = 0, ransomware = 0;  // findings listed in KEV / with an EPSS score / ransomware
  };
  Result<EnrichSummary> Enrich(const KevCatalog* kev, const std::string& kev_file, const EpssFeed* epss,
                               const std::string& epss_file, const std::string& now);
  // The loaded feeds (read on first use): the lookups, what is loaded, its identity.
  Result<StoreFeeds*> Feeds();

  // --- response actions (issue 12) ---
  // The policy's actions and the events each is delivered on (ActionEvent bits), for the runs
  // and batches that follow: Apply records a delivery when an action that matched a finding
  // (PolicyDecision::actions) wants the finding's event, absence when it resolves one.
  void SetActionEvents(std::map<std::string, unsigned> events) { action_events_ = std::move(events); }
  Result<std::vector<Delivery>> Deliveries(const DeliveryQuery& q);
  // Records deliveries found outside an ingest (sla_breached: `findex act` and after ingest), each
  // at most once (the same UNIQUE key as at ingest), in one transaction. Returns how many are new.
  Result<int64_t> RecordDeliveries(const std::vector<Delivery>& ds, const std::string& now);
  // Takes pending and failed deliveries (as q selects) for sending: they become `sending`, so that
  // another findex never takes them too (one transaction; PostgreSQL: SKIP LOCKED).
  Result<std::vector<Delivery>> ClaimDeliveries(const DeliveryQuery& q, const std::string& now);
  // The outcome of a claimed delivery: `delivered` (a history entry for the finding, the remote
  // key remembered for the action and finding) or `failed` (the error as given: redacted by the
  // caller), attempts added.
  Status FinishDelivery(const Delivery& d, bool delivered, int64_t attempts, const std::string& error,
                        const std::string& remote_key, const std::string& now);
  // What the action created for the finding before (a Jira issue key); "" none.
  Result<std::string> ActionLink(const std::string& action, int64_t finding_id);

  // --- triage ---
  // Finds findings by ASFF Id, fingerprint prefix (8+ hex) or row id; error when none or ambiguous.
  Result<int64_t> Resolve(const std::string& id);
  // One transaction for all the findings: a failure changes none.
  Status Triage(const std::vector<int64_t>& rowids, const TriageChange& change);
  Result<std::vector<HistoryEntry>> History(int64_t rowid);

  // --- column scans (store/columns.cpp): a policy evaluated on columns (rules/policy_sql.h) ---
  // The findings table's column names.
  Result<std::set<std::string>> FindingColumns();
  // Registers a deterministic scalar SQL function on this connection, for ScanActive's
  // expressions.
  Status RegisterFunction(const std::string& name, int nargs, SqlScalarFunction fn);
  // The active findings (of q.scope), in no particular order: columns only, constant memory.
  Status ScanActive(const ColumnScan& q, const std::function<bool(const ColumnRow&)>& fn);
  // The rows with these ids as ForEach reads them (the finding rebuilt), in id order.
  Status ForEachRowId(const std::vector<int64_t>& ids, const std::function<bool(FindingRow&&)>& fn);

  // Which database this store lives in, and its SQL's differences.
  Backend backend() const { return d_.backend; }
  const Dialect& dialect() const { return d_; }
  // The connection (store/db.h); on PostgreSQL also as a PgDb (COPY). For tools that copy
  // whole tables (migrate-store); the store's own logic stays behind the methods above.
  Db* database() { return db_.get(); }
  PgDb* postgres() { return pg_; }
  // The SQLite connection (nullptr on PostgreSQL): `findex sql` and tests.
  sqlite3* sqlite_handle() { return lite_; }
  // Whether RegisterFunction works (SQLite: yes; PostgreSQL runs no findex code on the server).
  bool SupportsFunctions() const { return lite_ != nullptr; }
  // For messages: the file, or the server URI with its password hidden.
  const std::string& shown_path() const { return shown_; }

 private:
  Store() = default;
  static Result<std::unique_ptr<Store>> OpenPostgres(const std::string& uri, bool read_only);
  Status Exec(std::string_view sql);
  Result<std::unique_ptr<DbStatement>> Prep(std::string_view sql);
  Status BeginWrite();  // a write transaction (SQLite: BEGIN IMMEDIATE)
  void Rollback();
  // PostgreSQL: waits for every other writer of these scopes (transaction advisory locks).
  Status LockScopes(std::vector<std::string> scopes);
  // PostgreSQL: the lock ingests hold shared and a gate's snapshot takes exclusive, briefly.
  Status IngestBarrier(bool exclusive, bool session);
  std::string TempName(const char* table) const;
  Error SqlError(const char* what) const;
  Error SqlError(const char* what, const Error& e) const;
  Status PrepareIngestStatements();
  Status ForEachSql(const std::string& sql, const std::vector<std::string>& params,
                    const std::function<bool(FindingRow&&)>& fn);

  std::unique_ptr<Db> db_;
  Dialect d_;
  sqlite3* lite_ = nullptr;               // SQLite: the connection db_ wraps
  PgDb* pg_ = nullptr;                    // PostgreSQL: db_ as a PgDb (COPY)
  std::unique_ptr<Db> pg_texts_;          // PostgreSQL: the texts' own connection (autocommit)
  std::string pg_schema_;
  std::string path_, shown_;
  // The current busy wait (BusyHandler).
  std::chrono::steady_clock::time_point busy_since_;
  double busy_waited_ = 0;
  bool busy_noticed_ = false;
  static int BusyHandler(void* self, int count);
  std::string BusyMessage() const;
  bool read_only_ = false;
  bool in_run_ = false;
  RunInfo run_;
  RunCounts counts_;
  int64_t prev_run_ = 0;  // latest earlier run of (scope, scanner)
  int64_t batch_id_ = 0;  // first run id of this process's ingest batch
  bool batch_mode_ = false;  // BeginBatch: absence judged by CloseBatch
  struct BatchRun {
    int64_t id = 0;
    std::string scope, scanner, file;
    std::vector<std::string> targets;
    bool complete = true, events = false;
  };
  std::vector<BatchRun> batch_runs_;
  std::set<std::string> run_targets_;  // declared by the report or carried by its findings
  uint64_t untargeted_ = 0;            // findings stored with no target (filled at commit)
  Status StoreRunTargets();
  Result<std::vector<TargetVerdict>> JudgeAbsence(const std::vector<BatchRun>& runs, const BatchFailures& failures,
                                                  const std::string& now);
  std::unique_ptr<DbStatement> st_lookup_, st_insert_, st_touch_, st_update_, st_reject_, st_history_, st_details_;
  std::unique_ptr<DbStatement> st_asff_;  // AsffFunction's row read
  Status PutDetails(int64_t rowid, std::string_view details);
  // What Apply needs of a stored finding (st_lookup_'s columns).
  struct OldRow {
    int64_t rowid = 0, last_seen = 0;
    std::string state, workflow, sources, lifecycle, policy, note, note_by, note_at, udf, policy_workflow, actions;
    std::optional<std::string> triage;
    uint64_t hash = 0, occurrences = 0;
    std::optional<int64_t> policy_expires;
    int severity = 0, normalized = 0;
    std::string fingerprint, asff_id;  // the stored identity (raw 16 bytes; the ASFF Id)
  };
  static OldRow ReadOldRow(DbStatement* lk);
  // Decides and writes one finding against what the store holds (nullptr: nothing).
  Status Apply(PreparedFinding& prepared, const OldRow* old);
  // PostgreSQL: findings wait in pending_ and are written a batch at a time.
  static constexpr size_t kPendingRows = 4096;
  std::vector<PreparedFinding> pending_;
  std::set<std::string> pending_fps_;
  std::vector<int64_t> pg_ids_;  // reserved ids for the batch's new findings
  size_t pg_next_id_ = 0;
  bool flushing_ = false;        // AddHistory appends to pg_history_
  bool pg_staged_ = false;       // the staging tables exist
  std::string pg_insert_, pg_update_, pg_touch_, pg_details_, pg_history_;  // COPY text
  std::unique_ptr<DbStatement> st_pg_lookup_;
  Status FlushPending();
  void AppendInsertRow(const store_detail::RowVals& v);
  void AppendUpdateRow(const store_detail::RowVals& v);
  void AppendTouchRow(int64_t rowid, const store_detail::RowVals& v);
  void AppendDetailsRow(int64_t rowid, std::string_view details);
  std::set<std::string> expired_seen_;
  // Other identities (normalize/fingerprint.h VulnAltIdentities; schema 9 identity_keys): a
  // finding not stored under its own fingerprint joins the finding stored under one of its
  // keys, unless another finding of this run is that finding already.
  struct AltMatch {
    std::string fingerprint, asff_id;
  };
  std::unordered_map<std::string, AltMatch> alt_matched_;  // this run: own fingerprint -> joined
  int64_t keys_from_run_ = 0;  // identity_keys_from: a row last seen at or before it records its keys when seen
  std::unique_ptr<DbStatement> st_key_lookup_, st_key_put_;
  std::string pg_keys_;  // PostgreSQL: "hexkey:id," of the batch (one INSERT at FlushPending)
  Status FindAlt(const PreparedFinding& p, OldRow* out, bool* hit);  // SQLite
  // The finding becomes the stored one (raw fingerprint, ASFF Id); its content hash stays its own.
  void JoinStored(PreparedFinding& p, const std::string& fingerprint, const std::string& asff_id);
  Status PutKeys(const PreparedFinding& p, int64_t rowid);
  std::string history_now_;  // time of a triage change (outside runs)
  Status TriageOne(int64_t rowid, const TriageChange& change);
  std::unique_ptr<TextTable> texts_;
  std::unique_ptr<StoreFeeds> feeds_;
  std::map<std::string, unsigned> action_events_;
  std::unique_ptr<DbStatement> st_delivery_;
  std::string pg_deliveries_;  // PostgreSQL: deliveries of the batch (COPY at FlushPending)
  Status AddDelivery(const std::string& action, int64_t rowid, const char* event);
  Status RecomputeExploit(EnrichSummary* out);
  std::vector<int64_t> run_seen_;  // findings this run observed (run_members at commit)
  Status StoreRunMembers();
  // Fills TEMP table `table`(id, grp) with the findings the runs observed (run_members), grp
  // being the index of the run's group; created when missing, emptied first.
  Status FillMembers(const char* table, const std::vector<std::pair<int64_t, int>>& runs);
  static void RunMembersFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv);
  // Rebuilds row.finding from the columns read by kRowColumns (store.cpp) and the details.
  Status DecodeRow(DbStatement* st, FindingRow* row);
  static void AsffFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv);
  // "SELECT <the columns DecodeRow reads> FROM findings ".
  static const char* RowColumns();
  Status AddHistory(int64_t rowid, const std::string& actor, const char* action, const char* field,
                    std::string_view old_value, std::string_view new_value, std::string_view note);
};

}  // namespace findex
