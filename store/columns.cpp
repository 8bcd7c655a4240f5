// Column scans: what a policy gate reads instead of every finding's document (store.h,
// rules/policy_sql.h).
#include <algorithm>

#include "store/store.h"

namespace findex {

namespace {

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
  auto prepared = Prep(d_.pg() ? "SELECT column_name FROM information_schema.columns"
                                 " WHERE table_name = 'findings' AND table_schema = current_schema()"
                               : "SELECT name FROM pragma_table_info('findings')");
  if (!prepared.ok()) return prepared.error();
  DbStatement* st = prepared->get();
  std::set<std::string> out;
  Result<bool> rc = false;
  while ((rc = st->Step()).ok() && *rc) out.insert(st->Str(0));
  if (!rc.ok()) return SqlError("cannot read the findings table's columns", rc.error());
  return out;
}

Status Store::RegisterFunction(const std::string& name, int nargs, SqlScalarFunction fn) {
  if (!lite_) return MakeError(ErrorCode::kStore, "SQL functions of findex run on SQLite stores only (" + name + ")");
  auto* p = new SqlScalarFunction(std::move(fn));
  // On failure SQLite calls DestroyScalar itself.
  if (sqlite3_create_function_v2(lite_, name.c_str(), nargs, SQLITE_UTF8 | SQLITE_DETERMINISTIC, p, &CallScalar, nullptr,
                                 nullptr, &DestroyScalar) != SQLITE_OK) {
    return SqlError(("cannot register SQL function " + name).c_str());
  }
  return Status::Ok();
}

Status Store::ScanActive(const ColumnScan& q, const std::function<bool(const ColumnRow&)>& fn) {
  std::string sql =
      "SELECT id, severity, base_severity, workflow, lifecycle, triage, policy_workflow, policy_expires,"
      " coalesce(active_since_run, first_seen_run), ";
  sql += q.fingerprints ? d_.hex("fingerprint") : "NULL";
  for (const auto& e : q.exprs) sql += ", " + e;
  sql += " FROM findings WHERE record_state = 'ACTIVE'";
  if (!q.scope.empty()) sql += " AND scope = ?1";
  auto prepared = Prep(sql);
  if (!prepared.ok()) return prepared.error();
  DbStatement* st = prepared->get();
  if (!q.scope.empty()) st->BindText(1, q.scope);
  constexpr int kFirst = 10;  // first expression column
  ColumnRow row;
  row.values.resize(q.exprs.size());
  auto label = [&](int i) { return static_cast<SeverityLabel>(std::clamp<int64_t>(st->Int(i), 0, 4)); };
  Result<bool> rc = false;
  while ((rc = st->Step()).ok() && *rc) {
    row.rowid = st->Int(0);
    row.severity = label(1);
    row.base_severity = st->Null(2) ? row.severity : label(2);
    row.workflow = ParseWorkflowStatus(st->Text(3)).value_or(WorkflowStatus::kNew);
    row.lifecycle = ParseWorkflowStatus(st->Text(4)).value_or(row.workflow);
    row.triage.reset();
    if (!st->Null(5)) row.triage = ParseWorkflowStatus(st->Text(5));
    row.policy_workflow.assign(st->Text(6));
    row.policy_expires.reset();
    if (!st->Null(7)) row.policy_expires = st->Int(7);
    row.active_since_run = st->Int(8);
    if (q.fingerprints) row.fingerprint_hex = st->Str(9);
    for (size_t i = 0; i < q.exprs.size(); ++i) {
      const int c = kFirst + static_cast<int>(i);
      row.values[i] = st->Null(c) ? -1 : st->Int(c) != 0 ? 1 : 0;
    }
    if (!fn(row)) break;
  }
  if (!rc.ok()) return SqlError("column scan failed", rc.error());
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
