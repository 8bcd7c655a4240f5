// findex sql: one read-only SQL statement over the store (the documented view is v_findings);
// rows as a table, CSV or a JSON array of objects on stdout. `--schema` lists the view's columns.
#include <spdlog/spdlog.h>

#include <cmath>
#include <map>

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
      {"asff", "the finding as untruncated ASFF JSON (use json_extract)"},
  };
  return docs;
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

int RunSchema(const SqlFlags& f) {
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

int RunSql(const SqlFlags& f, const Globals& g) {
  SetupLogging(g);
  if (f.schema) return RunSchema(f);
  if (Trim(f.sql).empty()) {
    spdlog::error("sql: give one SELECT statement (see `findex sql --schema` for the columns of v_findings)");
    return kExitError;
  }
  auto store = Store::Open(g.DbPath(), /*read_only=*/true);
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  // Stepped here rather than through Store::Sql to keep SQLite's types for JSON output.
  sqlite3* db = (*store)->db();
  sqlite3_stmt* st = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db, f.sql.c_str(), -1, &st, &tail) != SQLITE_OK) {
    spdlog::error("sql: {}", sqlite3_errmsg(db));
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
    spdlog::error("sql: {}", sqlite3_errmsg(db));
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
  cmd->callback([f, &g, exit_code] { *exit_code = RunSql(*f, g); });
}

}  // namespace findex::cli
