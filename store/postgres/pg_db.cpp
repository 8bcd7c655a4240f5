#include "store/postgres/pg_db.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <deque>
#include <vector>

namespace findex {
namespace {

constexpr Oid kByteaOid = 17;
constexpr Oid kBoolOid = 16;

std::string QuoteIdent(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out += "\"\"";
    else
      out.push_back(c);
  }
  return out + "\"";
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && Hex(s[i + 1]) >= 0 && Hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

class PgStatement final : public DbStatement {
 public:
  PgStatement(PGconn *conn, std::string sql, std::vector<int> map)
      : conn_(conn), sql_(std::move(sql)), map_(std::move(map)) {
    int n = 0;
    for (int k : map_) n = std::max(n, k);
    values_.resize(static_cast<size_t>(n));
    null_.assign(static_cast<size_t>(n), true);
    binary_.assign(static_cast<size_t>(n), 0);
  }
  ~PgStatement() override { Clear(); }

  void BindNull(int i) override {
    if (int k = Slot(i)) null_[static_cast<size_t>(k - 1)] = true;
  }
  void BindInt(int i, int64_t v) override { Set(i, std::to_string(v), false); }
  // PostgreSQL text cannot hold U+0000 (a report may: a Grype title with a NUL inside); it is
  // stored as U+FFFD, the one place where a PostgreSQL store differs from a SQLite one.
  void BindText(int i, std::string_view v) override {
    std::string t(v);
    for (size_t p = t.find('\0'); p != std::string::npos; p = t.find('\0', p + 3)) t.replace(p, 1, "\xEF\xBF\xBD");
    Set(i, std::move(t), false);
  }
  void BindBlob(int i, std::string_view v) override { Set(i, std::string(v), true); }
  void BindDouble(int i, double v) override {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    Set(i, buf, false);
  }

  Result<bool> Step() override {
    if (!res_) {
      const size_t n = values_.size();
      std::vector<const char *> vals(n);
      std::vector<int> lens(n), fmts(n);
      for (size_t k = 0; k < n; ++k) {
        vals[k] = null_[k] ? nullptr : values_[k].c_str();
        lens[k] = static_cast<int>(values_[k].size());
        fmts[k] = binary_[k];
      }
      res_ = PQexecParams(conn_, sql_.c_str(), static_cast<int>(n), nullptr, vals.data(), lens.data(), fmts.data(), 0);
      const ExecStatusType st = PQresultStatus(res_);
      if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        std::string msg = Trim(PQresultErrorMessage(res_));
        if (msg.empty()) msg = Trim(PQerrorMessage(conn_));
        Clear();
        return MakeError(ErrorCode::kStore, msg);
      }
      rows_ = PQntuples(res_);
      row_ = -1;
      const char *ct = PQcmdTuples(res_);
      changes_ = ct && *ct ? std::strtoll(ct, nullptr, 10) : 0;
    }
    ++row_;
    blobs_.clear();
    return row_ < rows_;
  }
  void Reset() override { Clear(); }
  int64_t Changes() const override { return changes_; }
  int Columns() const override { return res_ ? PQnfields(res_) : 0; }
  std::string Name(int c) const override { return res_ ? PQfname(res_, c) : ""; }
  bool Null(int c) const override { return PQgetisnull(res_, row_, c) != 0; }
  int64_t Int(int c) const override {
    const char *p = PQgetvalue(res_, row_, c);
    if (PQftype(res_, c) == 700 || PQftype(res_, c) == 701 || PQftype(res_, c) == 1700) {
      return static_cast<int64_t>(std::strtod(p, nullptr));
    }
    if (PQftype(res_, c) == kBoolOid) return *p == 't' ? 1 : 0;
    int64_t v = 0;
    std::from_chars(p, p + std::strlen(p), v);
    return v;
  }
  double Double(int c) const override {
    if (PQgetisnull(res_, row_, c)) return 0;
    if (PQftype(res_, c) == kBoolOid) return *PQgetvalue(res_, row_, c) == 't' ? 1 : 0;
    return std::strtod(PQgetvalue(res_, row_, c), nullptr);
  }
  std::string_view Text(int c) const override {
    if (PQgetisnull(res_, row_, c)) return {};
    if (PQftype(res_, c) == kByteaOid) return Blob(c);
    return std::string_view(PQgetvalue(res_, row_, c), static_cast<size_t>(PQgetlength(res_, row_, c)));
  }
  char Kind(int c) const override {
    if (PQgetisnull(res_, row_, c)) return 'n';
    switch (PQftype(res_, c)) {
      case 20:
      case 21:
      case 23:
      case 26:
      case kBoolOid:
        return 'i';  // int8, int2, int4, oid, bool
      case 700:
      case 701:
      case 1700:
        return 'f';  // float4, float8, numeric
      case kByteaOid:
        return 'b';
      default:
        return 't';
    }
  }
  std::string_view Blob(int c) const override {
    if (PQgetisnull(res_, row_, c)) return {};
    const char *p = PQgetvalue(res_, row_, c);
    const size_t n = static_cast<size_t>(PQgetlength(res_, row_, c));
    if (PQftype(res_, c) != kByteaOid) return std::string_view(p, n);
    auto it = std::find_if(blobs_.begin(), blobs_.end(), [&](const auto &b) { return b.first == c; });
    if (it != blobs_.end()) return it->second;
    std::string out;
    if (n >= 2 && p[0] == '\\' && p[1] == 'x') {
      out.reserve((n - 2) / 2);
      for (size_t i = 2; i + 1 < n; i += 2) out.push_back(static_cast<char>(Hex(p[i]) * 16 + Hex(p[i + 1])));
    }
    blobs_.emplace_back(c, std::move(out));
    return blobs_.back().second;
  }

 private:
  int Slot(int i) const { return i >= 1 && static_cast<size_t>(i) < map_.size() ? map_[static_cast<size_t>(i)] : 0; }
  void Set(int i, std::string v, bool binary) {
    const int k = Slot(i);
    if (!k) return;
    values_[static_cast<size_t>(k - 1)] = std::move(v);
    null_[static_cast<size_t>(k - 1)] = false;
    binary_[static_cast<size_t>(k - 1)] = binary ? 1 : 0;
  }
  void Clear() {
    if (res_) PQclear(res_);
    res_ = nullptr;
    rows_ = 0;
    row_ = -1;
    blobs_.clear();
  }
  PGconn *conn_;
  std::string sql_;
  std::vector<int> map_;
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<int> binary_;
  PGresult *res_ = nullptr;
  int rows_ = 0, row_ = -1;
  int64_t changes_ = 0;
  mutable std::deque<std::pair<int, std::string>> blobs_;  // decoded bytea of this row (a deque: views stay valid)
};

void IgnoreNotice(void *, const char *) {}

}  // namespace

std::string PgParams(std::string_view sql, std::vector<int> *map) {
  // First pass: which numbers are used.
  std::vector<int> used;
  auto scan = [&](bool write, std::string *out) {
    char quote = 0;
    int anon = 0;
    for (size_t i = 0; i < sql.size(); ++i) {
      const char c = sql[i];
      if (quote) {
        if (c == quote) quote = 0;
        if (write) out->push_back(c);
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
        if (write) out->push_back(c);
        continue;
      }
      if (c == '?') {
        size_t j = i + 1;
        int n = 0;
        while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') n = n * 10 + (sql[j++] - '0');
        if (j == i + 1) n = ++anon;
        if (!write) {
          used.push_back(n);
        } else {
          *out += "$" + std::to_string((*map)[static_cast<size_t>(n)]);
        }
        i = j - 1;
        continue;
      }
      if (write) out->push_back(c);
    }
  };
  scan(false, nullptr);
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  map->assign(used.empty() ? 1 : static_cast<size_t>(used.back()) + 1, 0);
  for (size_t k = 0; k < used.size(); ++k) (*map)[static_cast<size_t>(used[k])] = static_cast<int>(k + 1);
  std::string out;
  out.reserve(sql.size() + 16);
  scan(true, &out);
  return out;
}

void CopyEscape(std::string *out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        *out += "\\\\";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      default:
        out->push_back(c);
    }
  }
}

bool IsPostgresUri(std::string_view db) { return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0; }

std::string RedactUri(std::string_view uri) {
  std::string s(uri);
  // user:password@host
  if (size_t scheme = s.find("://"); scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t end = s.find_first_of("/?", start);
    const size_t at = s.rfind('@', end == std::string::npos ? s.size() : end);
    if (at != std::string::npos && at > start) {
      const size_t colon = s.find(':', start);
      if (colon != std::string::npos && colon < at) s.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=... in the query
  for (size_t p = s.find("password="); p != std::string::npos; p = s.find("password=", p + 1)) {
    const size_t v = p + 9;
    const size_t end = s.find('&', v);
    s.replace(v, (end == std::string::npos ? s.size() : end) - v, "***");
  }
  return s;
}

Result<PgTarget> ParsePgUri(std::string_view uri) {
  PgTarget t;
  t.shown = RedactUri(uri);
  std::string base(uri), query;
  if (size_t q = base.find('?'); q != std::string::npos) {
    query = base.substr(q + 1);
    base.resize(q);
  }
  std::string kept;
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string_view kv(query.data() + start, end - start);
    if (kv.rfind("schema=", 0) == 0) {
      t.schema = PercentDecode(kv.substr(7));
      if (t.schema.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty schema= in " + t.shown);
    } else if (!kv.empty()) {
      kept += (kept.empty() ? "" : "&") + std::string(kv);
    }
    start = end + 1;
  }
  t.conninfo = kept.empty() ? base : base + "?" + kept;
  return t;
}

PgDb::~PgDb() {
  if (conn_) PQfinish(conn_);
}

Result<std::unique_ptr<PgDb>> PgDb::Connect(const PgTarget &target, bool create) {
  std::unique_ptr<PgDb> db(new PgDb());
  db->target_ = target;
  db->conn_ = PQconnectdb(target.conninfo.c_str());
  if (!db->conn_ || PQstatus(db->conn_) != CONNECTION_OK) {
    std::string msg = db->conn_ ? Trim(PQerrorMessage(db->conn_)) : "out of memory";
    return MakeError(ErrorCode::kStore, "cannot connect to " + target.shown + ": " + msg);
  }
  PQsetNoticeProcessor(db->conn_, &IgnoreNotice, nullptr);
  // Text compares byte-wise (COLLATE "C" on the columns), dates and numbers as
  // findex writes them.
  FINDEX_RETURN_IF_ERROR(db->Exec("SET client_min_messages = warning; SET client_encoding = 'UTF8'"));
  if (!target.schema.empty()) {
    auto st = db->Prepare("SELECT 1 FROM pg_namespace WHERE nspname = ?1");
    if (!st.ok()) return st.error();
    (*st)->BindText(1, target.schema);
    auto row = (*st)->Step();
    if (!row.ok()) return row.error();
    if (!*row) {
      if (!create)
        return MakeError(ErrorCode::kStore, "no store at " + target.shown + " (schema " + target.schema +
                                                " does not exist: run `findex ingest` first, or pass --db)");
      // Two runners may create it at once: the loser's IF NOT EXISTS can still fail on the
      // catalog's unique index; the schema is there then, which is all that is asked.
      Status s = db->Exec("CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(target.schema));
      if (!s.ok() && s.error().message.find("pg_namespace_nspname_index") != std::string::npos) s = Status::Ok();
      if (!s.ok()) {
        return MakeError(ErrorCode::kStore,
                         "cannot create schema " + target.schema + " in " + target.shown + ": " + s.error().message);
      }
    }
    FINDEX_RETURN_IF_ERROR(db->Exec("SET search_path TO " + QuoteIdent(target.schema)));
  }
  return db;
}

Status PgDb::Exec(std::string_view sql) {
  PGresult *r = PQexec(conn_, std::string(sql).c_str());
  const ExecStatusType st = PQresultStatus(r);
  Status out = Status::Ok();
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    std::string msg = Trim(PQresultErrorMessage(r));
    out = MakeError(ErrorCode::kStore, msg.empty() ? Trim(PQerrorMessage(conn_)) : msg);
  }
  PQclear(r);
  return out;
}

Result<std::unique_ptr<DbStatement>> PgDb::Prepare(std::string_view sql) {
  std::vector<int> map;
  std::string text = PgParams(sql, &map);
  return std::unique_ptr<DbStatement>(new PgStatement(conn_, std::move(text), std::move(map)));
}

std::string PgDb::LastError() const { return conn_ ? Trim(PQerrorMessage(conn_)) : "no connection"; }

Status PgDb::CopyIn(const std::string &copy_sql, std::string_view data) {
  PGresult *r = PQexec(conn_, copy_sql.c_str());
  if (PQresultStatus(r) != PGRES_COPY_IN) {
    std::string msg = Trim(PQresultErrorMessage(r));
    PQclear(r);
    return MakeError(ErrorCode::kStore, "COPY failed: " + msg);
  }
  PQclear(r);
  constexpr size_t kChunk = 1 << 20;
  for (size_t off = 0; off < data.size(); off += kChunk) {
    const size_t n = std::min(kChunk, data.size() - off);
    if (PQputCopyData(conn_, data.data() + off, static_cast<int>(n)) != 1) {
      return MakeError(ErrorCode::kStore, "COPY failed: " + Trim(PQerrorMessage(conn_)));
    }
  }
  if (PQputCopyEnd(conn_, nullptr) != 1)
    return MakeError(ErrorCode::kStore, "COPY failed: " + Trim(PQerrorMessage(conn_)));
  Status out = Status::Ok();
  while ((r = PQgetResult(conn_)) != nullptr) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
      out = MakeError(ErrorCode::kStore, "COPY failed: " + Trim(PQresultErrorMessage(r)));
    PQclear(r);
  }
  return out;
}

}  // namespace findex
