#include "store/schema.h"

#include <simdjson.h>

#include <string>

#include "normalize/asff_reader.h"
#include "normalize/finding_codec.h"
#include "normalize/finding_columns.h"
#include "store/members.h"
#include "store/sqlite/sqlite_db.h"
#include "store/texts.h"

namespace findex {
namespace {

// Each entry migrates from version i to i+1. Never edit a released step; append a new one.
const char* const kMigrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  file TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  format TEXT NOT NULL,
  scanner TEXT NOT NULL,
  scope TEXT NOT NULL,
  started_at TEXT NOT NULL,
  batch INTEGER NOT NULL DEFAULT 0,  -- first run id of the `findex ingest` invocation
  bytes INTEGER NOT NULL DEFAULT 0,
  records INTEGER NOT NULL DEFAULT 0,
  new INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0,
  reopened INTEGER NOT NULL DEFAULT 0,
  resolved INTEGER NOT NULL DEFAULT 0,
  rejects INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_scope_scanner ON runs(scope, scanner, id);
CREATE INDEX runs_scope_batch ON runs(scope, batch);

CREATE TABLE findings(
  id INTEGER PRIMARY KEY,
  scope TEXT NOT NULL,
  fingerprint BLOB NOT NULL,
  asff_id TEXT NOT NULL,
  scanner TEXT NOT NULL,
  format TEXT NOT NULL,
  generator_id TEXT NOT NULL,
  title TEXT NOT NULL,
  severity INTEGER NOT NULL,      -- 0 INFORMATIONAL .. 4 CRITICAL
  normalized INTEGER NOT NULL,
  workflow TEXT NOT NULL,
  record_state TEXT NOT NULL,
  resource_id TEXT,
  location TEXT,                  -- file:line or URL
  vuln_id TEXT,
  package TEXT,
  first_seen_run INTEGER NOT NULL,
  last_seen_run INTEGER NOT NULL,
  first_observed_at TEXT NOT NULL,
  last_observed_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  occurrences INTEGER NOT NULL DEFAULT 0,  -- events collapsed into this finding (Falco)
  sources TEXT NOT NULL,          -- every scanner that reported it: scanner US label US original RS ...
  content_hash INTEGER NOT NULL,  -- of doc; tells "unchanged" from "updated"
  doc TEXT NOT NULL,              -- the finding as untruncated ASFF JSON
  UNIQUE(scope, fingerprint)
);
-- Covering index for the gate: active, unsuppressed, severity >= X, optionally new.
CREATE INDEX findings_gate ON findings(record_state, severity, workflow, scope, first_seen_run);
CREATE INDEX findings_scanner ON findings(scanner, scope);
CREATE INDEX findings_resource ON findings(resource_id);

-- Which run observed which finding.
CREATE TABLE observations(
  run_id INTEGER NOT NULL,
  finding_id INTEGER NOT NULL,
  PRIMARY KEY(run_id, finding_id)
) WITHOUT ROWID;

CREATE TABLE rejects(
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  file TEXT NOT NULL,
  offset INTEGER NOT NULL,
  line INTEGER NOT NULL,
  location TEXT NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX rejects_run ON rejects(run_id);

-- The documented view for `findex sql` and ad hoc queries.
CREATE VIEW v_findings AS
SELECT f.id AS rowid, f.asff_id AS id, f.scope, f.scanner, f.format, f.generator_id AS rule,
       f.title,
       CASE f.severity WHEN 0 THEN 'INFORMATIONAL' WHEN 1 THEN 'LOW' WHEN 2 THEN 'MEDIUM'
                       WHEN 3 THEN 'HIGH' ELSE 'CRITICAL' END AS severity,
       f.severity AS severity_rank, f.normalized, f.workflow, f.record_state AS state,
       f.resource_id AS resource, f.location, f.vuln_id, f.package,
       f.first_observed_at, f.last_observed_at, f.created_at, f.updated_at,
       f.first_seen_run, f.last_seen_run, f.occurrences,
       replace(replace(f.sources, char(31), ':'), char(30), ';') AS sources,
       lower(hex(f.fingerprint)) AS fingerprint, f.doc AS asff
FROM findings f;
)sql",
    // 1 -> 2: policy decisions, triage and history (issue 4)
    R"sql(
-- workflow stays the effective status: triage, else the policy's, else the lifecycle's.
ALTER TABLE findings ADD COLUMN lifecycle TEXT;        -- NEW / RESOLVED from scans; SUPPRESSED when a report said so
UPDATE findings SET lifecycle = workflow;
ALTER TABLE findings ADD COLUMN triage TEXT;           -- status set by a person (findex triage); wins
ALTER TABLE findings ADD COLUMN policy_workflow TEXT;  -- status set by the policy at the latest ingest
ALTER TABLE findings ADD COLUMN base_severity INTEGER; -- highest scanner label, before policy overrides
UPDATE findings SET base_severity = severity;
ALTER TABLE findings ADD COLUMN policy TEXT;           -- rules that touched it: "override:x;suppress:y;rule:z"
ALTER TABLE findings ADD COLUMN note TEXT;
ALTER TABLE findings ADD COLUMN note_by TEXT;
ALTER TABLE findings ADD COLUMN note_at TEXT;
ALTER TABLE findings ADD COLUMN udf TEXT;              -- user-defined fields set by policy, as a JSON object

-- Like Security Hub finding history: who changed what, when.
CREATE TABLE history(
  id INTEGER PRIMARY KEY,
  finding_id INTEGER NOT NULL,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,     -- a person (--by), "policy", or "ingest run N"
  action TEXT NOT NULL,    -- triage, note, policy, reopened, resolved
  field TEXT,              -- workflow, severity, note
  old TEXT,
  new TEXT,
  note TEXT
);
CREATE INDEX history_finding ON history(finding_id, id);

-- A report byte-identical to the latest run of its (scope, scanner), under the same policy, is
-- not read again; its run row names the run it repeats, so that it counts as the latest ingest
-- (gates' "new") without being the run that later resolutions compare against.
ALTER TABLE runs ADD COLUMN same_as INTEGER;

DROP VIEW v_findings;
CREATE VIEW v_findings AS
SELECT f.id AS rowid, f.asff_id AS id, f.scope, f.scanner, f.format, f.generator_id AS rule,
       f.title,
       CASE f.severity WHEN 0 THEN 'INFORMATIONAL' WHEN 1 THEN 'LOW' WHEN 2 THEN 'MEDIUM'
                       WHEN 3 THEN 'HIGH' ELSE 'CRITICAL' END AS severity,
       f.severity AS severity_rank, f.normalized, f.workflow, f.record_state AS state,
       f.resource_id AS resource, f.location, f.vuln_id, f.package,
       f.first_observed_at, f.last_observed_at, f.created_at, f.updated_at,
       f.first_seen_run, f.last_seen_run, f.occurrences,
       replace(replace(f.sources, char(31), ':'), char(30), ';') AS sources,
       lower(hex(f.fingerprint)) AS fingerprint,
       CASE f.base_severity WHEN 0 THEN 'INFORMATIONAL' WHEN 1 THEN 'LOW' WHEN 2 THEN 'MEDIUM'
                            WHEN 3 THEN 'HIGH' ELSE 'CRITICAL' END AS scanner_severity,
       f.lifecycle, f.triage, f.policy_workflow, f.policy, f.note, f.note_by, f.note_at,
       f.doc AS asff
FROM findings f;
)sql",
    // 2 -> 3: documents apart from the findings rows (measured: a sighting rewrote the whole
    // 2-4 KB row, document included, to move a timestamp)
    R"sql(
CREATE TABLE finding_docs(
  id INTEGER PRIMARY KEY,  -- findings.id
  doc TEXT NOT NULL        -- the finding as untruncated ASFF JSON
);
INSERT INTO finding_docs(id, doc) SELECT id, doc FROM findings;
DROP VIEW v_findings;
-- A new, compact table rather than DROP COLUMN, which would leave every page of the old rows
-- mostly empty (and needs SQLite 3.35).
CREATE TABLE findings_v3(
  id INTEGER PRIMARY KEY,
  scope TEXT NOT NULL,
  fingerprint BLOB NOT NULL,
  asff_id TEXT NOT NULL,
  scanner TEXT NOT NULL,
  format TEXT NOT NULL,
  generator_id TEXT NOT NULL,
  title TEXT NOT NULL,
  severity INTEGER NOT NULL,      -- 0 INFORMATIONAL .. 4 CRITICAL (effective)
  normalized INTEGER NOT NULL,
  workflow TEXT NOT NULL,         -- effective: triage, else policy_workflow, else lifecycle
  record_state TEXT NOT NULL,
  resource_id TEXT,
  location TEXT,                  -- file:line or URL
  vuln_id TEXT,
  package TEXT,
  first_seen_run INTEGER NOT NULL,
  last_seen_run INTEGER NOT NULL,
  first_observed_at TEXT NOT NULL,
  last_observed_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  occurrences INTEGER NOT NULL DEFAULT 0,  -- events collapsed into this finding (Falco)
  sources TEXT NOT NULL,          -- every scanner that reported it: scanner US label US original RS ...
  content_hash INTEGER NOT NULL,  -- of the document; tells "unchanged" from "updated"
  lifecycle TEXT,                 -- NEW / RESOLVED from scans; SUPPRESSED when a report said so
  triage TEXT,                    -- status set by a person (findex triage); wins
  policy_workflow TEXT,           -- status set by the policy at the latest ingest
  base_severity INTEGER,          -- highest scanner label, before policy overrides
  policy TEXT,                    -- rules that touched it: "override:x;suppress:y;rule:z"
  note TEXT,
  note_by TEXT,
  note_at TEXT,
  udf TEXT,                       -- user-defined fields set by policy (US/RS separated)
  UNIQUE(scope, fingerprint)
);
INSERT INTO findings_v3(id, scope, fingerprint, asff_id, scanner, format, generator_id, title, severity,
    normalized, workflow, record_state, resource_id, location, vuln_id, package, first_seen_run, last_seen_run,
    first_observed_at, last_observed_at, created_at, updated_at, occurrences, sources, content_hash, lifecycle,
    triage, policy_workflow, base_severity, policy, note, note_by, note_at, udf)
  SELECT id, scope, fingerprint, asff_id, scanner, format, generator_id, title, severity,
    normalized, workflow, record_state, resource_id, location, vuln_id, package, first_seen_run, last_seen_run,
    first_observed_at, last_observed_at, created_at, updated_at, occurrences, sources, content_hash, lifecycle,
    triage, policy_workflow, base_severity, policy, note, note_by, note_at, udf
  FROM findings;
DROP TABLE findings;
ALTER TABLE findings_v3 RENAME TO findings;
CREATE INDEX findings_gate ON findings(record_state, severity, workflow, scope, first_seen_run);
CREATE INDEX findings_scanner ON findings(scanner, scope);
CREATE INDEX findings_resource ON findings(resource_id);
CREATE VIEW v_findings AS
SELECT f.id AS rowid, f.asff_id AS id, f.scope, f.scanner, f.format, f.generator_id AS rule,
       f.title,
       CASE f.severity WHEN 0 THEN 'INFORMATIONAL' WHEN 1 THEN 'LOW' WHEN 2 THEN 'MEDIUM'
                       WHEN 3 THEN 'HIGH' ELSE 'CRITICAL' END AS severity,
       f.severity AS severity_rank, f.normalized, f.workflow, f.record_state AS state,
       f.resource_id AS resource, f.location, f.vuln_id, f.package,
       f.first_observed_at, f.last_observed_at, f.created_at, f.updated_at,
       f.first_seen_run, f.last_seen_run, f.occurrences,
       replace(replace(f.sources, char(31), ':'), char(30), ';') AS sources,
       lower(hex(f.fingerprint)) AS fingerprint,
       CASE f.base_severity WHEN 0 THEN 'INFORMATIONAL' WHEN 1 THEN 'LOW' WHEN 2 THEN 'MEDIUM'
                            WHEN 3 THEN 'HIGH' ELSE 'CRITICAL' END AS scanner_severity,
       f.lifecycle, f.triage, f.policy_workflow, f.policy, f.note, f.note_by, f.note_at,
       d.doc AS asff
FROM findings f JOIN finding_docs d ON d.id = f.id;
)sql",
    // 3 -> 4: targets, batches and incomplete reports (issue 8). A finding is resolved by absence
    // only by a later report of the same scanner about the same target; findings and runs stored
    // before have the empty target.
    R"sql(
ALTER TABLE findings ADD COLUMN target TEXT NOT NULL DEFAULT '';  -- target of the report that last saw it
ALTER TABLE runs ADD COLUMN target TEXT NOT NULL DEFAULT '';      -- targets the report named, sorted, LF-separated
ALTER TABLE runs ADD COLUMN complete INTEGER NOT NULL DEFAULT 1;  -- 0: rejects over --max-rejects; judges no absence
-- The runs whose union absence was judged over: the ingest batch (one `findex ingest` call), or
-- the run alone (before schema 4, and for callers without batches).
ALTER TABLE runs ADD COLUMN absence_batch INTEGER;
UPDATE runs SET absence_batch = id;
CREATE INDEX findings_target ON findings(scope, target, record_state);
CREATE INDEX runs_content ON runs(scope, scanner, content_hash);
DROP VIEW v_findings;
CREATE VIEW v_findings AS
SELECT f.id AS rowid, f.asff_id AS id, f.scope, f.scanner, f.format, f.generator_id AS rule,
       f.title,
       CASE f.severity WHEN 0 THEN 'INFORMATIONAL' WHEN 1 THEN 'LOW' WHEN 2 THEN 'MEDIUM'
                       WHEN 3 THEN 'HIGH' ELSE 'CRITICAL' END AS severity,
       f.severity AS severity_rank, f.normalized, f.workflow, f.record_state AS state,
       f.resource_id AS resource, f.location, f.vuln_id, f.package,
       f.first_observed_at, f.last_observed_at, f.created_at, f.updated_at,
       f.first_seen_run, f.last_seen_run, f.occurrences,
       replace(replace(f.sources, char(31), ':'), char(30), ';') AS sources,
       lower(hex(f.fingerprint)) AS fingerprint,
       CASE f.base_severity WHEN 0 THEN 'INFORMATIONAL' WHEN 1 THEN 'LOW' WHEN 2 THEN 'MEDIUM'
                            WHEN 3 THEN 'HIGH' ELSE 'CRITICAL' END AS scanner_severity,
       f.lifecycle, f.triage, f.policy_workflow, f.policy, f.note, f.note_by, f.note_at,
       f.target,
       d.doc AS asff
FROM findings f JOIN finding_docs d ON d.id = f.id;
)sql",
    // 4 -> 5 (gate part of issue 8; self-contained, may follow any other step): what a gate needs
    // to fail closed.
    R"sql(
-- When the policy's suppression of a finding stops applying (Unix ms; NULL: it never expires,
-- or the policy does not suppress the finding): a gate counts the finding once it has expired,
-- with or without the policy file.
ALTER TABLE findings ADD COLUMN policy_expires INTEGER;
-- The run that last made the finding ACTIVE again after it was ARCHIVED (NULL: first_seen_run).
-- With a gate verdict's mark_run: "not active at the last passing gate" (see gate_verdicts).
ALTER TABLE findings ADD COLUMN active_since_run INTEGER;
-- Every gate run's verdict per (scope, gate). new_only gates count the findings of the scope that
-- became active after the mark_run of the scope's last passing verdict of that gate
-- (coalesce(active_since_run, first_seen_run) > mark_run); none: everything is new.
CREATE TABLE gate_verdicts(
  id INTEGER PRIMARY KEY,
  scope TEXT NOT NULL,          -- the gate's scope; '*' for --all-scopes
  gate TEXT NOT NULL,           -- the policy gate's name, or fail-on-LABEL
  at TEXT NOT NULL,             -- the gate's clock (RFC 3339)
  passed INTEGER NOT NULL,      -- 1 passed (or accepted), 0 failed
  mark_run INTEGER NOT NULL,    -- max(runs.id) in the snapshot the gate evaluated
  violations INTEGER NOT NULL DEFAULT 0,
  accepted_by TEXT,             -- gate --accept-current: who recorded a pass without evaluating
  reason TEXT,                  -- ... and why
  policy TEXT                   -- policy files used ('' none, '-' --no-policy)
);
CREATE INDEX gate_verdicts_scope_gate ON gate_verdicts(scope, gate, passed, id);
)sql",
    // 5 -> 6 (issue 9): a normalized store. A finding is a narrow row of typed columns plus its
    // own details (normalize/finding_codec.h: a compact binary record); the rule and
    // vulnerability text that many findings share (descriptions, remediation, references, CVSS
    // vectors) is stored once in `texts`, keyed by its content hash, and referenced. No ASFF
    // document is stored: exports render it from these at read time. This SQL creates the new
    // tables; ConvertDocuments (C++) fills findings_v6 from findings + finding_docs; kFinish6
    // drops the old tables.
    R"sql(
CREATE TABLE texts(
  hash INTEGER PRIMARY KEY,  -- XXH3-64 of body (as a signed integer); referenced by details
  body TEXT NOT NULL
);
-- Which findings a run observed: one record per run (store/members.h: sorted finding ids,
-- delta-encoded varints) instead of a row per finding per run (the table observations).
-- `findex sql`: json_each(findex_run_members(run_id)) lists them.
CREATE TABLE run_members(
  run_id INTEGER PRIMARY KEY,
  n INTEGER NOT NULL,        -- how many findings
  ids BLOB NOT NULL
);
CREATE TABLE findings_v6(
  id INTEGER PRIMARY KEY,
  scope TEXT NOT NULL,
  fingerprint BLOB NOT NULL,
  asff_id TEXT NOT NULL,
  scanner TEXT NOT NULL,
  format TEXT NOT NULL,
  generator_id TEXT NOT NULL,
  title TEXT NOT NULL,
  severity INTEGER NOT NULL,      -- 0 INFORMATIONAL .. 4 CRITICAL (effective)
  normalized INTEGER NOT NULL,
  workflow TEXT NOT NULL,         -- effective: triage, else policy_workflow, else lifecycle
  record_state TEXT NOT NULL,
  resource_id TEXT,
  location TEXT,                  -- file:line or URL
  vuln_id TEXT,                   -- first vulnerability id, upper case
  package TEXT,
  first_seen_run INTEGER NOT NULL,
  last_seen_run INTEGER NOT NULL,
  first_observed_at TEXT NOT NULL,
  last_observed_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  occurrences INTEGER NOT NULL DEFAULT 0,
  sources TEXT NOT NULL,
  content_hash INTEGER NOT NULL,  -- of what the report said (DetailsContentHash)
  lifecycle TEXT,
  triage TEXT,
  policy_workflow TEXT,
  base_severity INTEGER,
  policy TEXT,
  note TEXT,
  note_by TEXT,
  note_at TEXT,
  udf TEXT,
  target TEXT NOT NULL DEFAULT '',
  policy_expires INTEGER,
  active_since_run INTEGER,
  -- What policy matchers read (normalize/finding_columns.h; rules/policy_sql.h): lists as
  -- US-separated entries with a leading US ('' none).
  cwes TEXT NOT NULL DEFAULT '',          -- CWE-79 ...
  vuln_ids TEXT NOT NULL DEFAULT '',      -- every vulnerability and related id, upper case
  packages TEXT NOT NULL DEFAULT '',      -- lower(name), lower(name) RS version
  file_paths TEXT NOT NULL DEFAULT '',    -- the location's and packages' file paths
  resource_ids TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '',
  url TEXT NOT NULL DEFAULT '',
  rec_ids TEXT NOT NULL DEFAULT '',       -- CodeGuru RecommendationId
  fixable INTEGER NOT NULL DEFAULT 0
);
-- A finding's own details (normalize/finding_codec.h), apart from its row: seeing a finding
-- again rewrites the row (SQLite rewrites a whole record), not its details.
CREATE TABLE finding_details(
  id INTEGER PRIMARY KEY,  -- findings.id
  details BLOB NOT NULL
);
)sql",
    // 6 -> 7 (issue 11): exploitation data. The feeds `findex enrich` loads (CISA KEV, FIRST
    // EPSS), once per CVE, with each feed's version and date; and per finding the summary of its
    // vulnerabilities' data (normalize/exploit.h: the feed where it has the CVE, else what the
    // report said; NULL: no data, distinct from 0 = not in KEV and from an EPSS score of 0).
    R"sql(
CREATE TABLE feeds(
  name TEXT PRIMARY KEY,       -- 'kev' | 'epss'
  version TEXT NOT NULL,       -- KEV catalogVersion; EPSS model_version
  released TEXT NOT NULL,      -- KEV dateReleased; EPSS score_date
  loaded_at TEXT NOT NULL,
  entries INTEGER NOT NULL,
  file TEXT NOT NULL
);
CREATE TABLE kev(
  cve TEXT PRIMARY KEY,
  vendor TEXT, product TEXT, name TEXT, date_added TEXT, description TEXT, required_action TEXT,
  due_date TEXT,
  ransomware INTEGER NOT NULL DEFAULT 0,  -- knownRansomwareCampaignUse "Known"
  notes TEXT, cwes TEXT
) WITHOUT ROWID;
CREATE TABLE epss(
  cve TEXT PRIMARY KEY,
  score REAL NOT NULL,
  percentile REAL NOT NULL
) WITHOUT ROWID;
ALTER TABLE findings ADD COLUMN kev INTEGER;          -- 1 listed, 0 not listed, NULL no data
ALTER TABLE findings ADD COLUMN kev_due TEXT;         -- YYYY-MM-DD (CISA's due date)
ALTER TABLE findings ADD COLUMN ransomware INTEGER;   -- 1 known ransomware use, 0, NULL no data
ALTER TABLE findings ADD COLUMN epss REAL;            -- highest EPSS of its vulnerabilities
ALTER TABLE findings ADD COLUMN epss_percentile REAL;
DROP VIEW v_findings;
CREATE VIEW v_findings AS
SELECT f.id AS rowid, f.asff_id AS id, f.scope, f.scanner, f.format, f.generator_id AS rule,
       f.title,
       CASE f.severity WHEN 0 THEN 'INFORMATIONAL' WHEN 1 THEN 'LOW' WHEN 2 THEN 'MEDIUM'
                       WHEN 3 THEN 'HIGH' ELSE 'CRITICAL' END AS severity,
       f.severity AS severity_rank, f.normalized, f.workflow, f.record_state AS state,
       f.resource_id AS resource, f.location, f.vuln_id, f.package,
       f.first_observed_at, f.last_observed_at, f.created_at, f.updated_at,
       f.first_seen_run, f.last_seen_run, f.occurrences,
       replace(replace(f.sources, char(31), ':'), char(30), ';') AS sources,
       lower(hex(f.fingerprint)) AS fingerprint,
       CASE f.base_severity WHEN 0 THEN 'INFORMATIONAL' WHEN 1 THEN 'LOW' WHEN 2 THEN 'MEDIUM'
                            WHEN 3 THEN 'HIGH' ELSE 'CRITICAL' END AS scanner_severity,
       f.lifecycle, f.triage, f.policy_workflow, f.policy, f.note, f.note_by, f.note_at,
       f.target, nullif(trim(replace(f.cwes, char(31), ','), ','), '') AS cwes,
       f.kev, f.kev_due, f.ransomware, f.epss, f.epss_percentile
FROM findings f;
)sql",
    // 7 -> 8 (issue 12): response actions. Which of the policy's actions match a finding (kept
    // with the finding, as `policy` is, so that set-based steps such as absence know them), and
    // an outbox of deliveries written in the ingest's own transaction: an event is recorded once
    // (UNIQUE per action, finding, event and the run that caused it) whoever ingests, retries or
    // runs next to it, and delivered after the commit.
    R"sql(
ALTER TABLE findings ADD COLUMN actions TEXT NOT NULL DEFAULT '';  -- US name US name US ('' none)
CREATE TABLE deliveries(
  id INTEGER PRIMARY KEY,
  action TEXT NOT NULL,        -- the policy action's name
  finding_id INTEGER NOT NULL,
  event TEXT NOT NULL,         -- new | reopened | resolved | suppressed | sla_breached
  occurrence INTEGER NOT NULL, -- the run that caused the event (sla_breached: the run that started the clock)
  scope TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',  -- pending | sending | delivered | failed
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_error TEXT,             -- redacted: never a secret
  remote_key TEXT,             -- e.g. the Jira issue key
  UNIQUE(action, finding_id, event, occurrence)
);
CREATE INDEX deliveries_state ON deliveries(state, scope, action);
-- What an action created for a finding (a Jira issue): later events of the finding go there.
CREATE TABLE action_links(
  action TEXT NOT NULL,
  finding_id INTEGER NOT NULL,
  remote_key TEXT NOT NULL,
  PRIMARY KEY(action, finding_id)
);
)sql",
    // 8 -> 9 (issue 13): other identities of vulnerability findings (normalize/fingerprint.h
    // VulnAltIdentities). A versioned finding's versionless keys, so that a report naming less
    // (npm 7+ audit: the GHSA, no installed version) finds the finding another tool stored. The
    // first finding to claim a key keeps it. `identity_keys_from`: the last run before this
    // step; a finding not seen since records its keys when next seen (rows written from here on
    // record them when they are written).
    R"sql(
CREATE TABLE identity_keys(
  scope TEXT NOT NULL,
  key BLOB NOT NULL,
  finding_id INTEGER NOT NULL,
  PRIMARY KEY(scope, key)
) WITHOUT ROWID;
CREATE TABLE identity_keys_from(run INTEGER NOT NULL);
INSERT INTO identity_keys_from(run) SELECT max(id) FROM runs HAVING max(id) IS NOT NULL;
)sql",
};

// Step 5 -> 6: the observations rows of each run become its membership record.
Status ConvertObservations(sqlite3* db) {
  sqlite3_stmt* rd = nullptr;
  sqlite3_stmt* wr = nullptr;
  auto fail = [&](const std::string& what) {
    std::string msg = what + ": " + sqlite3_errmsg(db);
    sqlite3_finalize(rd);
    sqlite3_finalize(wr);
    return MakeError(ErrorCode::kStore, msg);
  };
  if (sqlite3_prepare_v2(db, "SELECT run_id, finding_id FROM observations ORDER BY run_id, finding_id", -1, &rd,
                         nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db, "INSERT INTO run_members(run_id, n, ids) VALUES(?1, ?2, ?3)", -1, &wr, nullptr) !=
          SQLITE_OK) {
    return fail("cannot convert observations");
  }
  std::vector<int64_t> ids;
  int64_t run = -1;
  auto flush = [&]() -> bool {
    if (run < 0) return true;
    const std::string rec = EncodeMembers(ids);
    sqlite3_reset(wr);
    sqlite3_bind_int64(wr, 1, run);
    sqlite3_bind_int64(wr, 2, static_cast<int64_t>(ids.size()));
    sqlite3_bind_blob(wr, 3, rec.data(), static_cast<int>(rec.size()), SQLITE_TRANSIENT);
    ids.clear();
    return sqlite3_step(wr) == SQLITE_DONE;
  };
  int rc;
  while ((rc = sqlite3_step(rd)) == SQLITE_ROW) {
    const int64_t r = sqlite3_column_int64(rd, 0);
    if (r != run) {
      if (!flush()) return fail("cannot convert observations");
      run = r;
    }
    const int64_t id = sqlite3_column_int64(rd, 1);
    if (ids.empty() || ids.back() != id) ids.push_back(id);
  }
  if (rc != SQLITE_DONE || !flush()) return fail("cannot convert observations");
  sqlite3_finalize(rd);
  sqlite3_finalize(wr);
  return Status::Ok();
}

// The end of step 5 -> 6, after ConvertDocuments.
const char* const kFinish6 = R"sql(
DROP VIEW v_findings;
DROP TABLE finding_docs;
DROP TABLE observations;
DROP TABLE findings;
ALTER TABLE findings_v6 RENAME TO findings;
CREATE UNIQUE INDEX findings_identity ON findings(scope, fingerprint);
-- The gate's covering index; scanner at its end makes `query --group-by scanner` (active
-- findings) read the index alone (measured: 0.40 s -> see bench/README.md on 174k findings).
CREATE INDEX findings_gate ON findings(record_state, severity, workflow, scope, first_seen_run, scanner);
CREATE INDEX findings_scanner ON findings(scanner, scope);
CREATE INDEX findings_resource ON findings(resource_id);
CREATE INDEX findings_target ON findings(scope, target, record_state);
-- No asff column: findex renders it (the function findex_asff), so `findex sql` adds it with a
-- TEMP view of the same name (store.cpp); other SQLite clients read this view as it is.
CREATE VIEW v_findings AS
SELECT f.id AS rowid, f.asff_id AS id, f.scope, f.scanner, f.format, f.generator_id AS rule,
       f.title,
       CASE f.severity WHEN 0 THEN 'INFORMATIONAL' WHEN 1 THEN 'LOW' WHEN 2 THEN 'MEDIUM'
                       WHEN 3 THEN 'HIGH' ELSE 'CRITICAL' END AS severity,
       f.severity AS severity_rank, f.normalized, f.workflow, f.record_state AS state,
       f.resource_id AS resource, f.location, f.vuln_id, f.package,
       f.first_observed_at, f.last_observed_at, f.created_at, f.updated_at,
       f.first_seen_run, f.last_seen_run, f.occurrences,
       replace(replace(f.sources, char(31), ':'), char(30), ';') AS sources,
       lower(hex(f.fingerprint)) AS fingerprint,
       CASE f.base_severity WHEN 0 THEN 'INFORMATIONAL' WHEN 1 THEN 'LOW' WHEN 2 THEN 'MEDIUM'
                            WHEN 3 THEN 'HIGH' ELSE 'CRITICAL' END AS scanner_severity,
       f.lifecycle, f.triage, f.policy_workflow, f.policy, f.note, f.note_by, f.note_at,
       f.target, nullif(trim(replace(f.cwes, char(31), ','), ','), '') AS cwes
FROM findings f;
)sql";

// Step 5 -> 6: every stored ASFF document becomes details + texts (inside the step's
// transaction). The content hash is recomputed the way ingest computes it, so that the first
// re-ingest after the upgrade sees unchanged findings as unchanged.
Status ConvertDocuments(sqlite3* db) {
  sqlite3_stmt* rd = nullptr;
  sqlite3_stmt* wr = nullptr;
  sqlite3_stmt* wd = nullptr;
  auto fail = [&](const std::string& what) {
    std::string msg = what + ": " + sqlite3_errmsg(db);
    sqlite3_finalize(rd);
    sqlite3_finalize(wr);
    sqlite3_finalize(wd);
    return MakeError(ErrorCode::kStore, msg);
  };
  if (sqlite3_prepare_v2(db, "SELECT f.id, d.doc FROM findings f LEFT JOIN finding_docs d ON d.id = f.id ORDER BY f.id",
                         -1, &rd, nullptr) != SQLITE_OK) {
    return fail("cannot read stored findings");
  }
  if (sqlite3_prepare_v2(
          db,
          "INSERT INTO findings_v6(id, scope, fingerprint, asff_id, scanner, format, generator_id, title, severity,"
          " normalized, workflow, record_state, resource_id, location, vuln_id, package, first_seen_run, last_seen_run,"
          " first_observed_at, last_observed_at, created_at, updated_at, occurrences, sources, content_hash, lifecycle,"
          " triage, policy_workflow, base_severity, policy, note, note_by, note_at, udf, target, policy_expires,"
          " active_since_run, cwes, vuln_ids, packages, file_paths, resource_ids, tags, url, rec_ids, fixable)"
          " SELECT id, scope, fingerprint, asff_id, scanner, format, generator_id, title, severity,"
          " normalized, workflow, record_state, resource_id, location, vuln_id, package, first_seen_run, last_seen_run,"
          " first_observed_at, last_observed_at, created_at, updated_at, occurrences, sources, ?2, lifecycle,"
          " triage, policy_workflow, base_severity, policy, note, note_by, note_at, udf, target, policy_expires,"
          " active_since_run, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 FROM findings WHERE id=?1",
          -1, &wr, nullptr) != SQLITE_OK) {
    return fail("cannot convert stored findings");
  }
  if (sqlite3_prepare_v2(db, "INSERT INTO finding_details(id, details) VALUES(?1, ?2)", -1, &wd, nullptr) != SQLITE_OK) {
    return fail("cannot convert stored findings");
  }
  SqliteDb wrapped(db, /*owns=*/false);
  TextTable texts(&wrapped);
  simdjson::dom::parser parser;
  std::string details;
  std::vector<DetailText> refs;
  int rc;
  while ((rc = sqlite3_step(rd)) == SQLITE_ROW) {
    const int64_t id = sqlite3_column_int64(rd, 0);
    const char* doc = reinterpret_cast<const char*>(sqlite3_column_text(rd, 1));
    const size_t len = static_cast<size_t>(sqlite3_column_bytes(rd, 1));
    Finding f;
    simdjson::dom::element el;
    if (!doc || parser.parse(doc, len).get(el) != simdjson::SUCCESS || !ReadAsff(el, &f).ok()) {
      sqlite3_finalize(rd);
      sqlite3_finalize(wr);
      sqlite3_finalize(wd);
      return MakeError(ErrorCode::kStore, "stored finding " + std::to_string(id) +
                                              " has no readable document; the store cannot be upgraded");
    }
    uint64_t hash = 0;
    EncodeDetails(f, EncodeOptions{}, &details, &refs, &hash);
    Status st = texts.Put(f, refs, &details);
    if (!st.ok()) {
      sqlite3_finalize(rd);
      sqlite3_finalize(wr);
      sqlite3_finalize(wd);
      return st;
    }
    const std::vector<std::string> cols = PolicyColumnValues(f);
    sqlite3_reset(wr);
    sqlite3_bind_int64(wr, 1, id);
    sqlite3_bind_int64(wr, 2, static_cast<int64_t>(hash));
    for (int c = 0; c < 8; ++c) {
      sqlite3_bind_text(wr, 3 + c, cols[static_cast<size_t>(c)].data(), static_cast<int>(cols[static_cast<size_t>(c)].size()),
                        SQLITE_TRANSIENT);
    }
    sqlite3_bind_int(wr, 11, cols[8] == "1" ? 1 : 0);
    if (sqlite3_step(wr) != SQLITE_DONE) return fail("cannot convert stored finding " + std::to_string(id));
    sqlite3_reset(wd);
    sqlite3_bind_int64(wd, 1, id);
    sqlite3_bind_blob(wd, 2, details.data(), static_cast<int>(details.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(wd) != SQLITE_DONE) return fail("cannot convert stored finding " + std::to_string(id));
  }
  if (rc != SQLITE_DONE) return fail("cannot read stored findings");
  sqlite3_finalize(rd);
  sqlite3_finalize(wr);
  sqlite3_finalize(wd);
  return Status::Ok();
}

}  // namespace

namespace {

Result<int> UserVersion(sqlite3* db) {
  sqlite3_stmt* st = nullptr;
  int version = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr) != SQLITE_OK) {
    return MakeError(ErrorCode::kStore, std::string("cannot read schema version: ") + sqlite3_errmsg(db));
  }
  if (sqlite3_step(st) == SQLITE_ROW) version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return version;
}

// Columns that stores written by development builds of a migration may lack (runs.same_as was
// added to step 2 after some stores had taken it). Added when missing; a no-op otherwise.
Status RepairColumns(sqlite3* db) {
  sqlite3_stmt* st = nullptr;
  bool has = false;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('runs') WHERE name='same_as'", -1, &st, nullptr) != SQLITE_OK) {
    return MakeError(ErrorCode::kStore, std::string("cannot read the schema: ") + sqlite3_errmsg(db));
  }
  has = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_finalize(st);
  if (has) return Status::Ok();
  char* err = nullptr;
  if (sqlite3_exec(db, "ALTER TABLE runs ADD COLUMN same_as INTEGER", nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return MakeError(ErrorCode::kStore, "cannot repair the runs table: " + msg);
  }
  return Status::Ok();
}

Status MigrateSteps(sqlite3* db);

}  // namespace

const char* MigrationSql(int from) {
  const int n = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);
  return from >= 0 && from < n ? kMigrations[from] : nullptr;
}

Status MigrateSchema(sqlite3* db) {
  auto v = UserVersion(db);
  if (v.ok() && *v == static_cast<int>(sizeof kMigrations / sizeof kMigrations[0])) return RepairColumns(db);
  // A migration rewrites whole tables: spill temporary data to disk (the store's connection
  // keeps it in memory, which took 4.6 GB on a million findings), and wait for another findex
  // that is migrating the same store instead of failing after the usual 10 s.
  sqlite3_exec(db, "PRAGMA temp_store=FILE", nullptr, nullptr, nullptr);
  sqlite3_busy_timeout(db, 30 * 60 * 1000);
  Status s = MigrateSteps(db);
  if (s.ok()) s = RepairColumns(db);
  sqlite3_busy_timeout(db, 10000);
  sqlite3_exec(db, "PRAGMA temp_store=MEMORY", nullptr, nullptr, nullptr);
  return s;
}

namespace {

Status MigrateSteps(sqlite3* db) {
  bool converted = false;
  // The documents' pages are free after step 6: give them back to the file system.
  struct Compact {
    sqlite3* db;
    bool* converted;
    ~Compact() {
      if (*converted) sqlite3_exec(db, "VACUUM", nullptr, nullptr, nullptr);
    }
  } compact{db, &converted};
  const int target = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);
  for (;;) {
    auto before = UserVersion(db);
    if (!before.ok()) return before.error();
    if (*before > target) {
      return MakeError(ErrorCode::kStore, "the store has schema version " + std::to_string(*before) +
                                              ", newer than this findex (" + std::to_string(target) + ")");
    }
    if (*before == target) return Status::Ok();
    // Read the version again inside the write lock: another findex may have migrated meanwhile.
    char* err = nullptr;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db);
      sqlite3_free(err);
      return MakeError(ErrorCode::kStore, "cannot migrate the store schema: " + msg);
    }
    auto v = UserVersion(db);
    if (!v.ok() || *v >= target) {
      sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
      if (!v.ok()) return v.error();
      continue;
    }
    auto run = [&](const std::string& sql) -> Status {
      if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        err = nullptr;
        return MakeError(ErrorCode::kStore, msg);
      }
      return Status::Ok();
    };
    Status st = run(kMigrations[*v]);
    if (st.ok() && *v == 5) {
      st = ConvertDocuments(db);
      if (st.ok()) st = ConvertObservations(db);
      if (st.ok()) st = run(kFinish6);
    }
    if (st.ok()) st = run("PRAGMA user_version=" + std::to_string(*v + 1) + ";\nCOMMIT;");
    if (st.ok() && *v == 5) converted = true;
    if (!st.ok()) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return MakeError(ErrorCode::kStore,
                       "schema migration to version " + std::to_string(*v + 1) + " failed: " + st.error().message);
    }
  }
}

}  // namespace

}  // namespace findex
