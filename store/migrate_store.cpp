#include "store/migrate_store.h"

#include <cstdio>

#include <set>
#include <string_view>

#include "store/db.h"
#include "store/postgres/pg_db.h"
#include "store/store.h"

namespace findex {
namespace {

// Tables whose id column is an identity in PostgreSQL: their sequences continue past the copied
// ids, so that later ingests, triage and gates number on from there.
const char* const kIdentityTables[] = {"runs", "findings", "rejects", "history", "gate_verdicts", "deliveries"};

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += "\"\"";
    else out.push_back(c);
  }
  return out + "\"";
}

struct Column {
  std::string name, type;  // PostgreSQL's: bigint, text, bytea, ...
};

Error StoreError(const std::string& what, const Error& e) {
  return MakeError(ErrorCode::kStore, what + ": " + e.message, e.where);
}

// The PostgreSQL table's columns in its order (the table found through search_path).
Result<std::vector<Column>> PgColumns(Db* pg, const std::string& table) {
  auto st = pg->Prepare(
      "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
      "WHERE attrelid = to_regclass(?1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum");
  if (!st.ok()) return st.error();
  (*st)->BindText(1, table);
  std::vector<Column> cols;
  for (;;) {
    auto r = (*st)->Step();
    if (!r.ok()) return r.error();
    if (!*r) break;
    cols.push_back({(*st)->Str(0), (*st)->Str(1)});
  }
  if (cols.empty()) return MakeError(ErrorCode::kStore, "the target has no table " + table);
  return cols;
}

Result<std::set<std::string>> SqliteColumns(Db* lite, const std::string& table) {
  auto st = lite->Prepare("SELECT name FROM pragma_table_info(?1)");
  if (!st.ok()) return st.error();
  (*st)->BindText(1, table);
  std::set<std::string> cols;
  for (;;) {
    auto r = (*st)->Step();
    if (!r.ok()) return r.error();
    if (!*r) break;
    cols.insert((*st)->Str(0));
  }
  if (cols.empty()) return MakeError(ErrorCode::kStore, "the source has no table " + table);
  return cols;
}

void AppendHex(std::string* out, std::string_view v) {
  static const char kHex[] = "0123456789abcdef";
  // bytea in COPY's text format: \x followed by hex digits, its backslash escaped for COPY.
  *out += "\\\\x";
  for (unsigned char c : v) {
    out->push_back(kHex[c >> 4]);
    out->push_back(kHex[c & 15]);
  }
}

// Text as PgDb::BindText stores it: U+0000 becomes U+FFFD.
void AppendText(std::string* out, std::string_view v, int64_t* replaced) {
  if (v.find('\0') == std::string_view::npos) {
    CopyEscape(out, v);
    return;
  }
  std::string t(v);
  for (size_t p = t.find('\0'); p != std::string::npos; p = t.find('\0', p + 3)) t.replace(p, 1, "\xEF\xBF\xBD");
  ++*replaced;
  CopyEscape(out, t);
}

// Streams one table from SQLite into PostgreSQL: COPY statements of about chunk_bytes each.
Result<int64_t> CopyTable(Db* lite, PgDb* pg, const std::string& table, const std::string& into,
                          size_t chunk_bytes, int64_t* replaced) {
  auto pg_cols = PgColumns(pg, table);
  if (!pg_cols.ok()) return pg_cols.error();
  auto lite_cols = SqliteColumns(lite, table);
  if (!lite_cols.ok()) return lite_cols.error();
  // Every column on both sides: a column only the source has would be lost, one only the target
  // has would be left to its default although the source's schema says otherwise.
  std::string select = "SELECT ", list;
  std::set<std::string> pg_names;
  for (const auto& c : *pg_cols) {
    if (!lite_cols->count(c.name)) {
      return MakeError(ErrorCode::kStore, "the source's table " + table + " has no column " + c.name);
    }
    pg_names.insert(c.name);
    if (!list.empty()) list += ", ";
    list += Quote(c.name);
  }
  for (const auto& n : *lite_cols) {
    if (!pg_names.count(n)) {
      return MakeError(ErrorCode::kStore, "the target's table " + table + " has no column " + n +
                                              " (a findex of another version made it?)");
    }
  }
  select += list + " FROM " + Quote(table);
  const std::string copy = "COPY " + Quote(into) + "(" + list + ") FROM STDIN";
  auto st = lite->Prepare(select);
  if (!st.ok()) return st.error();
  std::string buf;
  buf.reserve(chunk_bytes + (64u << 10));
  int64_t rows = 0;
  const size_t n = pg_cols->size();
  for (;;) {
    auto r = (*st)->Step();
    if (!r.ok()) return r.error();
    if (*r) {
      for (size_t i = 0; i < n; ++i) {
        const int c = static_cast<int>(i);
        if (i) buf.push_back('\t');
        const char kind = (*st)->Kind(c);
        const std::string& type = (*pg_cols)[i].type;
        if (kind == 'n') {
          buf += "\\N";
        } else if (type == "bytea") {
          AppendHex(&buf, (*st)->Blob(c));
        } else if (kind == 'i') {
          buf += std::to_string((*st)->Int(c));
        } else if (kind == 'f') {
          char num[32];
          std::snprintf(num, sizeof num, "%.17g", (*st)->Double(c));
          buf += num;
        } else if (kind == 'b') {
          AppendText(&buf, (*st)->Blob(c), replaced);
        } else {
          AppendText(&buf, (*st)->Text(c), replaced);
        }
      }
      buf.push_back('\n');
      ++rows;
    }
    if ((!*r && !buf.empty()) || buf.size() >= chunk_bytes) {
      if (Status s = pg->CopyIn(copy, buf); !s.ok()) return s.error();
      buf.clear();
    }
    if (!*r) break;
  }
  return rows;
}

Result<int64_t> Count(Db* db, const std::string& sql) {
  auto st = db->Prepare(sql);
  if (!st.ok()) return st.error();
  auto r = (*st)->Step();
  if (!r.ok()) return r.error();
  return *r ? (*st)->Int(0) : 0;
}

// texts last: a PostgreSQL ingest writes texts on a connection of its own while its main
// transaction holds the other tables; locked in this order, the migration never waits for that
// transaction while it holds texts (a wait across two connections no deadlock detector sees).
std::string TableList() {
  std::string list;
  for (const auto& t : MigratedTables())
    if (t != "texts") list += (list.empty() ? "" : ", ") + Quote(t);
  return list + ", " + Quote("texts");
}

Status Fill(Db* lite, PgDb* pg, const MigrateOptions& o, MigrateSummary* out) {
  // Nobody writes to the target while it is filled; the check below sees what is committed.
  if (Status s = pg->Exec("LOCK TABLE " + TableList() + " IN EXCLUSIVE MODE"); !s.ok())
    return StoreError("cannot lock the target's tables", s.error());
  // texts is left out: a text is the same whoever stores it (keyed by its content hash), and
  // an ingest that failed may have left some behind.
  std::string held;
  for (const auto& t : MigratedTables()) {
    if (t == "texts") continue;
    auto n = Count(pg, "SELECT count(*) FROM " + Quote(t));
    if (!n.ok()) return StoreError("cannot read the target", n.error());
    if (*n) held += (held.empty() ? "" : ", ") + std::to_string(*n) + " rows in " + t;
  }
  if (!held.empty()) {
    return MakeError(ErrorCode::kStore,
                     "the target already holds findex data (" + held +
                         "): migrate-store fills an empty store and never merges into a live one; "
                         "give a new database or schema (?schema=NAME)",
                     out->to);
  }
  for (const auto& t : MigratedTables()) {
    std::string into = t;
    if (t == "texts") {
      into = "findex_migrate_texts";
      if (Status s = pg->Exec("CREATE TEMP TABLE findex_migrate_texts (LIKE texts) ON COMMIT DROP"); !s.ok())
        return StoreError("cannot copy texts", s.error());
    }
    auto rows = CopyTable(lite, pg, t, into, o.chunk_bytes, &out->replaced_nul);
    if (!rows.ok()) return StoreError("cannot copy table " + t, rows.error());
    if (t == "texts") {
      if (Status s = pg->Exec("INSERT INTO texts SELECT * FROM findex_migrate_texts ON CONFLICT (hash) DO NOTHING");
          !s.ok())
        return StoreError("cannot copy texts", s.error());
    }
    out->tables.emplace_back(t, *rows);
  }
  for (const char* t : kIdentityTables) {
    const std::string q = Quote(t);
    auto st = pg->Prepare("SELECT setval(pg_get_serial_sequence('" + std::string(t) +
                          "', 'id'), coalesce(max(id), 0) + 1, false) FROM " + q);
    Status s = st.ok() ? (*st)->Run() : Status(st.error());
    if (!s.ok()) return StoreError(std::string("cannot continue the ids of ") + t, s.error());
  }
  return Status::Ok();
}

}  // namespace

const std::vector<std::string>& MigratedTables() {
  static const std::vector<std::string> kTables = {"runs",    "findings", "finding_details", "texts",
                                                   "run_members", "rejects", "history",      "gate_verdicts",
                                                   "feeds",   "kev",      "epss",            "deliveries",
                                                   "action_links", "identity_keys", "identity_keys_from"};
  return kTables;
}

Result<MigrateSummary> MigrateStore(const MigrateOptions& o) {
  MigrateSummary out;
  out.from = o.from;
  if (IsPostgresUri(o.from))
    return MakeError(ErrorCode::kInvalidArgument, "--from is a SQLite store file, not a server URI");
  if (!IsPostgresUri(o.to))
    return MakeError(ErrorCode::kInvalidArgument,
                     "--to is a PostgreSQL URI (postgresql://... or postgres://...), not '" + RedactUri(o.to) + "'");
  out.to = RedactUri(o.to);
  auto src = Store::Open(o.from, /*read_only=*/true);
  if (!src.ok()) return src.error();
  auto dst = Store::Open(o.to);
  if (!dst.ok()) return dst.error();
  Db* lite = (*src)->database();
  PgDb* pg = (*dst)->postgres();
  if (!lite || lite->backend() != Backend::kSqlite || !pg)
    return MakeError(ErrorCode::kInternal, "migrate-store: unexpected store backends");
  // One snapshot of the source (a writer may go on meanwhile), one transaction on the target.
  if (Status s = lite->Exec("BEGIN"); !s.ok()) return StoreError("cannot read " + o.from, s.error());
  if (Status s = pg->Exec("BEGIN"); !s.ok()) {
    (void)lite->Exec("ROLLBACK");
    return StoreError("cannot start a transaction on " + out.to, s.error());
  }
  Status s = Fill(lite, pg, o, &out);
  if (s.ok()) s = pg->Exec("COMMIT");
  (void)lite->Exec("ROLLBACK");
  if (!s.ok()) {
    (void)pg->Exec("ROLLBACK");
    return s.error();
  }
  // Fresh statistics for the planner: the tables went from empty to full at once.
  (void)pg->Exec("ANALYZE " + TableList());
  return out;
}

}  // namespace findex
