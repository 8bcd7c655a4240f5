// findex sql: one read-only SQL statement over the store (the documented view is v_findings);
// rows as a table, CSV or a JSON array of objects on stdout. `--schema` lists the view's columns.
#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "cli/commands.h"
#include "cli/output.h"
#include "normalize/json_writer.h"
#include "normalize/text.h"
#include "store/store.h"

namespace findex::cli {
namespace {

struct SqlFlags {
  std::string sql;
  std::string format = "table";
  bool schema = false;
  double timeout = 30;  // seconds; 0: none
};

// One line per column of v_findings (store/schema.cpp). A column without an entry is listed
// as "(undocumented)", and tests/cli/query_test.py fails on it.
const std::map<std::string, std::string>& ColumnDocs() {
  static const std::map<std::string, std::string> docs = {
      {"rowid", "internal row number of the finding (stable within one store)"},
      {"id", "ASFF Id: stable for (scope, fingerprint)"},
      {"scope", "scope the finding belongs to, e.g. repo:main"},
      {"scanner", "scanner family, e.g. zap, semgrep, dependency-check"},
      {"format", "input format it was read from, e.g. zap-xml"},
      {"rule", "ASFF GeneratorId: the scanner's rule, plugin or check id"},
      {"title", "title, untruncated"},
      {"severity", "severity label: INFORMATIONAL, LOW, MEDIUM, HIGH or CRITICAL"},
      {"severity_rank", "severity as a number for ordering: 0 INFORMATIONAL .. 4 CRITICAL"},
      {"normalized", "ASFF Severity.Normalized, 0..100"},
      {"workflow", "workflow status: NEW, NOTIFIED, RESOLVED or SUPPRESSED"},
      {"state", "record state: ACTIVE, or ARCHIVED once a later scan no longer reports it"},
      {"resource", "first resource id (package URL, image, URL, file...)"},
      {"location", "file:line for code findings, the URL for web findings"},
      {"vuln_id", "first vulnerability id (CVE-..., GHSA-...), upper case"},
      {"package", "first vulnerable package name"},
      {"first_observed_at", "RFC 3339 time the finding was first observed"},
      {"last_observed_at", "RFC 3339 time the finding was last observed"},
      {"created_at", "RFC 3339 time findex first stored the finding"},
      {"updated_at", "RFC 3339 time the finding last changed in the store"},
      {"first_seen_run", "id of the run (table runs) that first reported it"},
      {"last_seen_run", "id of the run that last reported it"},
      {"occurrences", "events collapsed into this finding (Falco); 0 for other scanners"},
      {"sources", "every scanner that reported it with its verdict: scanner:LABEL:original;..."},
      {"fingerprint", "128-bit identity within the scope, lower-case hex"},
      {"scanner_severity", "highest severity the scanners gave, before policy overrides"},
      {"lifecycle", "status from scans alone: NEW, RESOLVED, or SUPPRESSED when the report said so"},
      {"triage", "status set by a person (findex triage); wins over policy and lifecycle; NULL if none"},
      {"policy_workflow", "status set by the policy at the latest ingest; NULL if none"},
      {"policy", "policy rules that touched it: override:NAME;suppress:NAME;rule:NAME"},
      {"note", "ASFF Note text: a person's (findex note/triage) or the policy's"},
      {"note_by", "who wrote the note (findex-policy for the policy)"},
      {"note_at", "RFC 3339 time the note was written"},
      {"target", "what the report that last saw it scanned (image, folder, site, project); empty: none named"},
      {"cwes", "the finding's CWEs, comma-separated (CWE-79,CWE-80); NULL: none"},
      {"kev", "1: a vulnerability of the finding is in CISA's KEV catalog; 0: not listed; NULL: no data (findex enrich)"},
      {"kev_due", "CISA's due date (YYYY-MM-DD) of a KEV finding (the earliest of its listed CVEs); NULL otherwise"},
      {"ransomware", "1: KEV says known ransomware campaign use; 0: not known; NULL: no data"},
      {"epss", "FIRST EPSS probability (0..1), the highest of its vulnerabilities; NULL: no data (not 0)"},
      {"epss_percentile", "percentile (0..1) of that EPSS score; NULL: no data"},
      {"asff", "the finding as untruncated ASFF JSON (use json_extract); rendered by findex, so only in `findex sql`"},
  };
  return docs;
}

// What `findex sql` may do, checked by SQLite's authorizer while the statement is compiled:
// read the store's own tables and views (v_findings is the documented one), the JSON and
// side-effect-free pragma table functions, and call functions other than those that reach
// outside the database or disclose memory. Never write, ATTACH, start transactions or change a
// setting with a PRAGMA.
struct SqlGuard {
  std::set<std::string> tables;  // the store's tables and views, from sqlite_schema
  std::string denied;            // why the last statement was refused
  std::chrono::steady_clock::time_point deadline;
  bool has_deadline = false, timed_out = false;
};

bool IsReadOnlyPragma(const std::string& name, const char* arg) {
  // Pragmas whose argument names a table or index: they only describe it.
  static const std::set<std::string> kDescribe = {"table_info", "table_xinfo", "index_list", "index_info",
                                                  "index_xinfo", "foreign_key_list"};
  // Queries of a setting or of the schema (no argument): nothing changes.
  static const std::set<std::string> kQuery = {
      "user_version", "schema_version", "application_id", "data_version", "page_size", "page_count",
      "freelist_count", "encoding", "journal_mode", "table_list", "database_list", "function_list", "module_list",
      "pragma_list", "collation_list", "compile_options", "foreign_keys", "integrity_check", "quick_check",
      "foreign_key_check", "query_only", "cache_size"};
  if (kDescribe.count(name)) return true;
  return arg == nullptr && kQuery.count(name) > 0;
}

int SqlAuthorizer(void* ctx, int action, const char* a3, const char* a4, const char* /*db*/, const char* /*view*/) {
  auto* g = static_cast<SqlGuard*>(ctx);
  const std::string x3 = a3 ? ToLower(a3) : std::string(), x4 = a4 ? ToLower(a4) : std::string();
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_READ: {
      // The store's tables and views, common table expressions, json_each/json_tree and the
      // pragma_* functions; not SQLite's internal virtual tables (raw pages, statements).
      static const std::set<std::string> kInternal = {"sqlite_dbpage", "sqlite_stmt", "dbstat", "sqlite_dbdata",
                                                      "sqlite_dbptr", "fsdir", "zipfile"};
      if (!kInternal.count(x3) && (g->tables.count(x3) || !StartsWith(x3, "sqlite_") || x3 == "sqlite_master" ||
                                   x3 == "sqlite_schema" || x3 == "sqlite_sequence")) {
        return SQLITE_OK;
      }
      g->denied = "reading '" + std::string(a3 ? a3 : "") + "' is not allowed (the store's tables and views only)";
      return SQLITE_DENY;
    }
    case SQLITE_FUNCTION: {
      // fts3_tokenizer() hands out a library address (and with 2 arguments installs one);
      // the others read or write files or load code when SQLite has them.
      static const std::set<std::string> kDenied = {"fts3_tokenizer", "load_extension", "readfile", "writefile",
                                                    "edit", "fts5", "zipfile", "sqlar_compress", "sqlar_uncompress"};
      if (!kDenied.count(x4)) return SQLITE_OK;
      g->denied = "the function " + x4 + "() is not allowed";
      return SQLITE_DENY;
    }
    case SQLITE_PRAGMA:
      if (IsReadOnlyPragma(x3, a4)) return SQLITE_OK;
      g->denied = "PRAGMA " + x3 + (a4 ? "=" + std::string(a4) : std::string()) +
                  " is not allowed (only pragmas that read the schema or a setting)";
      return SQLITE_DENY;
    case SQLITE_UPDATE:
      // SQLite asks this when a pragma_* table function is used; a real UPDATE of the schema
      // table is refused anyway (read-only connection, sqlite3_stmt_readonly, writable_schema).
      if (x3 == "sqlite_master") return SQLITE_OK;
      spdlog::debug("sql: authorizer refused an update of {}.{}", x3, x4);
      g->denied = "only reading queries are allowed (no writes, schema changes or settings)";
      return SQLITE_DENY;
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      g->denied = "ATTACH and DETACH are not allowed";
      return SQLITE_DENY;
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      g->denied = "transactions are not allowed";
      return SQLITE_DENY;
    default:
      spdlog::debug("sql: authorizer refused action {} ({}, {})", action, x3, x4);
      g->denied = "only reading queries are allowed (no writes, schema changes or settings)";
      return SQLITE_DENY;
  }
}

int SqlProgress(void* ctx) {
  auto* g = static_cast<SqlGuard*>(ctx);
  if (g->has_deadline && std::chrono::steady_clock::now() >= g->deadline) {
    g->timed_out = true;
    return 1;  // SQLITE_INTERRUPT
  }
  return 0;
}

// Statements a user may run: queries only, never transactions, ATTACH or writes.
bool AllowedStatement(sqlite3_stmt* st, const std::string& sql) {
  if (!sqlite3_stmt_readonly(st)) return false;
  std::string s = Trim(sql);
  size_t i = 0;
  while (i < s.size() && (std::isalpha(static_cast<unsigned char>(s[i])))) ++i;
  std::string kw = ToUpper(s.substr(0, i));
  return kw == "SELECT" || kw == "WITH" || kw == "VALUES" || kw == "EXPLAIN" || kw == "PRAGMA";
}

struct Output {
  explicit Output(std::string fmt) : format(std::move(fmt)) {}
  std::string format;
  std::vector<std::string> cols;
  std::unique_ptr<TableWriter> table;
  std::string json;
  std::unique_ptr<JsonWriter> w;
  size_t rows = 0;

  void Begin(std::vector<std::string> names) {
    cols = std::move(names);
    if (format == "table") {
      table = std::make_unique<TableWriter>(cols);
    } else if (format == "csv") {
      PrintCsvRow(stdout, cols);
    } else {
      w = std::make_unique<JsonWriter>(&json, 2);
      w->BeginArray();
    }
  }
  // `text` for table/CSV (NULL: empty); `typed` writes the JSON value.
  void Row(const std::vector<std::string>& text, const std::function<void(JsonWriter&, size_t)>& typed) {
    ++rows;
    if (table) {
      table->Row(text);
    } else if (w) {
      w->BeginObject();
      for (size_t i = 0; i < cols.size(); ++i) {
        w->Key(cols[i]);
        typed(*w, i);
      }
      w->EndObject();
      if (json.size() > (1 << 20)) {
        std::fwrite(json.data(), 1, json.size(), stdout);
        json.clear();
      }
    } else {
      PrintCsvRow(stdout, text);
    }
  }
  void End() {
    if (table) {
      table->Print(stdout, 80);
      std::printf("%zu row%s\n", rows, rows == 1 ? "" : "s");
    } else if (w) {
      w->EndArray();
      json += "\n";
      std::fwrite(json.data(), 1, json.size(), stdout);
    }
  }
};

int RunSchema(const SqlFlags& f, bool postgres) {
  // The schema of this findex, whatever store --db points at: a fresh in-memory store.
  auto store = Store::Open(":memory:");
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  Output out(f.format);
  out.Begin({"column", "description"});
  Status st = (*store)->Sql("SELECT name FROM pragma_table_info('v_findings') ORDER BY cid", [&](const auto&, const auto& vals) {
    std::string name = vals[0].value_or("");
    if (postgres && name == "asff") return;  // rendered by findex on SQLite only
    auto it = ColumnDocs().find(name);
    std::vector<std::string> row{name, it == ColumnDocs().end() ? "(undocumented)" : it->second};
    out.Row(row, [&](JsonWriter& w, size_t i) { w.String(row[i]); });
  });
  if (!st.ok()) {
    spdlog::error("{}", st.error().ToString());
    return kExitError;
  }
  out.End();
  return kExitOk;
}

// PostgreSQL: the server enforces read-only (a READ ONLY transaction; a role without write rights
// where the user gives one) and the time limit (statement_timeout).
int RunSqlPostgres(const SqlFlags& f, Store& store) {
  // Queries only; the READ ONLY transaction refuses writes in any case, but a statement that is
  // not a query (BEGIN, VACUUM, SET ...) is refused here, as on SQLite.
  std::string first;
  for (char c : Trim(f.sql)) {
    if (!std::isalpha(static_cast<unsigned char>(c))) break;
    first.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  static const std::set<std::string> kNotQueries = {"BEGIN",   "START",  "COMMIT",  "END",     "ROLLBACK", "ABORT",
                                                     "SAVEPOINT", "RELEASE", "SET",   "RESET",   "PREPARE",  "EXECUTE",
                                                     "DEALLOCATE", "LISTEN", "NOTIFY", "DO",     "CALL",     "COPY",
                                                     "LOCK",    "DISCARD", "LOAD",   "VACUUM", "ANALYZE",  "CHECKPOINT"};
  if (kNotQueries.count(first)) {
    spdlog::error("sql: only read-only queries are allowed (SELECT, WITH, VALUES, EXPLAIN, SHOW)");
    return kExitError;
  }
  Output out(f.format);
  bool begun = false;
  std::vector<std::string> cols, text;
  auto on_columns = [&](const DbStatement& st) {
    if (st.Columns() == 0) return;
    for (int i = 0; i < st.Columns(); ++i) cols.push_back(st.Name(i));
    text.resize(cols.size());
    out.Begin(cols);
    begun = true;
  };
  Status st = store.SqlPostgres(f.sql, f.timeout, on_columns, [&](const DbStatement& row) {
    if (!begun) return;
    for (size_t i = 0; i < cols.size(); ++i) {
      const int c = static_cast<int>(i);
      if (row.Kind(c) == 'b') {
        static const char* kHex = "0123456789abcdef";
        std::string hex;
        for (unsigned char b : row.Blob(c)) {
          hex.push_back(kHex[b >> 4]);
          hex.push_back(kHex[b & 15]);
        }
        text[i] = hex;
      } else if (row.Kind(c) == 'i') {
        text[i] = std::to_string(row.Int(c));
      } else {
        text[i] = row.Str(c);
      }
    }
    out.Row(text, [&](JsonWriter& w, size_t i) {
      const int c = static_cast<int>(i);
      switch (row.Kind(c)) {
        case 'n': w.Null(); break;
        case 'i': w.Int(row.Int(c)); break;
        case 'f': {
          double d = std::strtod(text[i].c_str(), nullptr);
          if (std::isfinite(d)) w.Double(d);
          else w.Null();
          break;
        }
        default: w.String(text[i]); break;
      }
    });
  });
  if (begun) out.End();  // rows already printed stay printed; the exit code says whether it is whole
  if (!st.ok()) {
    const std::string& m = st.error().message;
    if (m.find("read-only transaction") != std::string::npos || m.find("permission denied") != std::string::npos) {
      spdlog::error("sql: {}; findex sql only reads the store (see `findex sql --schema`)", m);
    } else if (m.find("multiple commands") != std::string::npos) {
      spdlog::error("sql: one statement at a time");
    } else if (m.find("statement timeout") != std::string::npos) {
      spdlog::error("sql: the query ran longer than {} s and was stopped (--timeout SECONDS; 0 for no limit)", f.timeout);
    } else {
      spdlog::error("sql: {}", m);
    }
    return kExitError;
  }
  if (!begun) {
    spdlog::error("sql: the statement returned no result");
    return kExitError;
  }
  return kExitOk;
}

int RunSql(const SqlFlags& f, const Globals& g) {
  SetupLogging(g);
  if (f.schema) return RunSchema(f, IsPostgresUri(g.DbPath()));
  if (Trim(f.sql).empty()) {
    spdlog::error("sql: give one SELECT statement (see `findex sql --schema` for the columns of v_findings)");
    return kExitError;
  }
  auto store = Store::Open(g.DbPath(), /*read_only=*/true);
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  if ((*store)->backend() == Backend::kPostgres) return RunSqlPostgres(f, **store);
  // Stepped here rather than through Store::Sql to keep SQLite's types for JSON output.
  sqlite3* db = (*store)->sqlite_handle();
  SqlGuard guard_ctx;
  {
    Status listed = (*store)->Sql("SELECT lower(name) FROM sqlite_master WHERE type IN ('table', 'view')",
                                  [&](const auto&, const auto& vals) { guard_ctx.tables.insert(vals[0].value_or("")); });
    if (!listed.ok()) {
      spdlog::error("{}", listed.error().ToString());
      return kExitError;
    }
  }
  sqlite3_set_authorizer(db, &SqlAuthorizer, &guard_ctx);
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 100 * 1000 * 1000);  // randomblob(1e9) and the like
  sqlite3_stmt* st = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db, f.sql.c_str(), -1, &st, &tail) != SQLITE_OK) {
    if (!guard_ctx.denied.empty()) {
      spdlog::error("sql: {}; findex sql only reads the store (see `findex sql --schema`)", guard_ctx.denied);
    } else {
      spdlog::error("sql: {}", sqlite3_errmsg(db));
    }
    return kExitError;
  }
  if (!st) {
    spdlog::error("sql: empty statement");
    return kExitError;
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(st, &sqlite3_finalize);
  if (!AllowedStatement(st, f.sql)) {
    spdlog::error("sql: only read-only queries are allowed (SELECT, WITH, VALUES, EXPLAIN, PRAGMA)");
    return kExitError;
  }
  std::string rest = tail ? Trim(tail) : std::string();
  while (!rest.empty() && rest.front() == ';') rest = Trim(rest.substr(1));
  if (!rest.empty()) {
    spdlog::error("sql: one statement at a time");
    return kExitError;
  }
  // A time limit: an endless recursive CTE stops with an error instead of running forever.
  if (f.timeout > 0) {
    guard_ctx.has_deadline = true;
    guard_ctx.deadline = std::chrono::steady_clock::now() +
                         std::chrono::milliseconds(static_cast<int64_t>(std::min(f.timeout, 1e9) * 1000));
    sqlite3_progress_handler(db, 10000, &SqlProgress, &guard_ctx);
  }
  const int n = sqlite3_column_count(st);
  std::vector<std::string> cols;
  for (int i = 0; i < n; ++i) cols.emplace_back(sqlite3_column_name(st, i));
  Output out(f.format);
  out.Begin(cols);
  std::vector<std::string> text(static_cast<size_t>(n));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    for (int i = 0; i < n; ++i) {
      if (sqlite3_column_type(st, i) == SQLITE_BLOB) {
        const auto* b = static_cast<const unsigned char*>(sqlite3_column_blob(st, i));
        std::string hex;
        static const char* kHex = "0123456789abcdef";
        for (int k = 0; k < sqlite3_column_bytes(st, i); ++k) {
          hex.push_back(kHex[b[k] >> 4]);
          hex.push_back(kHex[b[k] & 15]);
        }
        text[static_cast<size_t>(i)] = hex;
      } else {
        const unsigned char* p = sqlite3_column_text(st, i);
        text[static_cast<size_t>(i)] =
            p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(st, i))) : "";
      }
    }
    out.Row(text, [&](JsonWriter& w, size_t i) {
      int c = static_cast<int>(i);
      switch (sqlite3_column_type(st, c)) {
        case SQLITE_NULL: w.Null(); break;
        case SQLITE_INTEGER: w.Int(sqlite3_column_int64(st, c)); break;
        case SQLITE_FLOAT: {
          double d = sqlite3_column_double(st, c);
          if (std::isfinite(d)) w.Double(d);
          else w.Null();  // JSON has no Inf/NaN
          break;
        }
        default: w.String(text[i]); break;  // TEXT; BLOB as lower-case hex
      }
    });
  }
  if (rc != SQLITE_DONE) {
    // Rows already printed stay printed; the exit code says the result is incomplete.
    out.End();
    if (guard_ctx.timed_out) {
      spdlog::error("sql: the query ran longer than {} s and was stopped (--timeout SECONDS; 0 for no limit)", f.timeout);
    } else {
      spdlog::error("sql: {}", sqlite3_errmsg(db));
    }
    return kExitError;
  }
  out.End();
  return kExitOk;
}

}  // namespace

void AddSql(CLI::App& app, Globals& g, int* exit_code) {
  auto f = std::make_shared<SqlFlags>();
  CLI::App* cmd = app.add_subcommand("sql", "Run one read-only SQL query on the store (view v_findings)");
  cmd->add_option("statement", f->sql, "SELECT ... (see --schema for the columns of v_findings)");
  cmd->add_flag("--schema", f->schema, "List the columns of v_findings with a description each");
  cmd->add_option("--format", f->format, "table (default), csv or json (an array of objects)")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  cmd->add_option("--timeout", f->timeout, "Stop the query after this many seconds (default 30; 0: no limit)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([f, &g, exit_code] { *exit_code = RunSql(*f, g); });
}

}  // namespace findex::cli
