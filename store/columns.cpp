// Column scans: what a policy gate reads instead of every finding's document (store.h,
// rules/policy_sql.h).
#include <algorithm>

#include "store/store.h"

namespace findex {

namespace {

std::string Text(sqlite3_stmt* st, int i) {
  const unsigned char* t = sqlite3_column_text(st, i);
  return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(st, i))) : std::string();
}

std::string_view View(sqlite3_stmt* st, int i) {
  const unsigned char* t = sqlite3_column_text(st, i);
  return t ? std::string_view(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(st, i)))
           : std::string_view();
}

void CallScalar(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  auto* fn = static_cast<SqlScalarFunction*>(sqlite3_user_data(ctx));
  thread_local std::vector<std::optional<std::string_view>> args;  // called per row: no allocation
  args.clear();
  for (int i = 0; i < argc; ++i) {
    if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
      args.emplace_back(std::nullopt);
      continue;
    }
    const unsigned char* t = sqlite3_value_text(argv[i]);
    const int n = sqlite3_value_bytes(argv[i]);
    args.emplace_back(std::string_view(t ? reinterpret_cast<const char*>(t) : "", static_cast<size_t>(n)));
  }
  const int r = (*fn)(args);
  if (r < 0) sqlite3_result_null(ctx);
  else sqlite3_result_int(ctx, r);
}

void DestroyScalar(void* p) { delete static_cast<SqlScalarFunction*>(p); }

}  // namespace

Result<std::set<std::string>> Store::FindingColumns() {
  sqlite3_stmt* st = nullptr;
  FINDEX_RETURN_IF_ERROR(Prepare("SELECT name FROM pragma_table_info('findings')", &st));
  std::set<std::string> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.insert(Text(st, 0));
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return SqlError("cannot read the findings table's columns");
  return out;
}

Status Store::RegisterFunction(const std::string& name, int nargs, SqlScalarFunction fn) {
  auto* p = new SqlScalarFunction(std::move(fn));
  // On failure SQLite calls DestroyScalar itself.
  if (sqlite3_create_function_v2(db_, name.c_str(), nargs, SQLITE_UTF8 | SQLITE_DETERMINISTIC, p, &CallScalar, nullptr,
                                 nullptr, &DestroyScalar) != SQLITE_OK) {
    return SqlError(("cannot register SQL function " + name).c_str());
  }
  return Status::Ok();
}

Status Store::ScanActive(const ColumnScan& q, const std::function<bool(const ColumnRow&)>& fn) {
  std::string sql =
      "SELECT id, severity, base_severity, workflow, lifecycle, triage, policy_workflow, policy_expires,"
      " coalesce(active_since_run, first_seen_run), ";
  sql += q.fingerprints ? "lower(hex(fingerprint))" : "NULL";
  for (const auto& e : q.exprs) sql += ", " + e;
  sql += " FROM findings WHERE record_state = 'ACTIVE'";
  if (!q.scope.empty()) sql += " AND scope = ?1";
  sqlite3_stmt* st = nullptr;
  FINDEX_RETURN_IF_ERROR(Prepare(sql.c_str(), &st));
  if (!q.scope.empty()) sqlite3_bind_text(st, 1, q.scope.data(), static_cast<int>(q.scope.size()), SQLITE_TRANSIENT);
  constexpr int kFirst = 10;  // first expression column
  ColumnRow row;
  row.values.resize(q.exprs.size());
  auto label = [&](int i) { return static_cast<SeverityLabel>(std::clamp(sqlite3_column_int(st, i), 0, 4)); };
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    row.rowid = sqlite3_column_int64(st, 0);
    row.severity = label(1);
    row.base_severity = sqlite3_column_type(st, 2) == SQLITE_NULL ? row.severity : label(2);
    row.workflow = ParseWorkflowStatus(View(st, 3)).value_or(WorkflowStatus::kNew);
    row.lifecycle = ParseWorkflowStatus(View(st, 4)).value_or(row.workflow);
    row.triage.reset();
    if (sqlite3_column_type(st, 5) != SQLITE_NULL) row.triage = ParseWorkflowStatus(View(st, 5));
    row.policy_workflow.assign(View(st, 6));
    row.policy_expires.reset();
    if (sqlite3_column_type(st, 7) != SQLITE_NULL) row.policy_expires = sqlite3_column_int64(st, 7);
    row.active_since_run = sqlite3_column_int64(st, 8);
    if (q.fingerprints) row.fingerprint_hex = Text(st, 9);
    for (size_t i = 0; i < q.exprs.size(); ++i) {
      const int c = kFirst + static_cast<int>(i);
      row.values[i] = sqlite3_column_type(st, c) == SQLITE_NULL ? -1 : sqlite3_column_int(st, c) != 0 ? 1 : 0;
    }
    if (!fn(row)) break;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SqlError("column scan failed");
  return Status::Ok();
}

Status Store::ForEachRowId(const std::vector<int64_t>& ids, const std::function<bool(FindingRow&&)>& fn) {
  if (ids.empty()) return Status::Ok();
  std::vector<int64_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  std::string list;
  for (int64_t id : sorted) list += (list.empty() ? "" : ",") + std::to_string(id);
  return ForEachSql(std::string(RowColumns()) + "WHERE id IN (" + list + ") ORDER BY id", {}, fn);
}

}  // namespace findex
