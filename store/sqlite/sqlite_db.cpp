#include "store/sqlite/sqlite_db.h"

namespace findex {
namespace {

class SqliteStatement final : public DbStatement {
 public:
  SqliteStatement(sqlite3 *db, sqlite3_stmt *st) : db_(db), st_(st) {}
  ~SqliteStatement() override { sqlite3_finalize(st_); }
  void BindNull(int i) override { sqlite3_bind_null(st_, i); }
  void BindInt(int i, int64_t v) override { sqlite3_bind_int64(st_, i, v); }
  void BindText(int i, std::string_view v) override {
    sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindBlob(int i, std::string_view v) override {
    sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindDouble(int i, double v) override { sqlite3_bind_double(st_, i, v); }
  Result<bool> Step() override {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) {
      changes_ = sqlite3_changes64(db_);
      return false;
    }
    return MakeError(ErrorCode::kStore, sqlite3_errmsg(db_));
  }
  void Reset() override { sqlite3_reset(st_); }
  int64_t Changes() const override { return changes_; }
  int Columns() const override { return sqlite3_column_count(st_); }
  std::string Name(int c) const override {
    const char *n = sqlite3_column_name(st_, c);
    return n ? n : "";
  }
  bool Null(int c) const override { return sqlite3_column_type(st_, c) == SQLITE_NULL; }
  int64_t Int(int c) const override { return sqlite3_column_int64(st_, c); }
  double Double(int c) const override { return sqlite3_column_double(st_, c); }
  std::string_view Text(int c) const override {
    const unsigned char *p = sqlite3_column_text(st_, c);
    return p ? std::string_view(reinterpret_cast<const char *>(p), static_cast<size_t>(sqlite3_column_bytes(st_, c)))
             : std::string_view();
  }
  char Kind(int c) const override {
    switch (sqlite3_column_type(st_, c)) {
      case SQLITE_NULL:
        return 'n';
      case SQLITE_INTEGER:
        return 'i';
      case SQLITE_FLOAT:
        return 'f';
      case SQLITE_BLOB:
        return 'b';
      default:
        return 't';
    }
  }
  std::string_view Blob(int c) const override {
    const void *p = sqlite3_column_blob(st_, c);
    return p ? std::string_view(static_cast<const char *>(p), static_cast<size_t>(sqlite3_column_bytes(st_, c)))
             : std::string_view();
  }

 private:
  sqlite3 *db_;
  sqlite3_stmt *st_;
  int64_t changes_ = 0;
};

}  // namespace

SqliteDb::~SqliteDb() { Close(); }

void SqliteDb::Close() {
  if (db_ && owns_) sqlite3_close(db_);
  db_ = nullptr;
}

Status SqliteDb::Exec(std::string_view sql) {
  char *err = nullptr;
  const std::string s(sql);
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return MakeError(ErrorCode::kStore, msg);
  }
  return Status::Ok();
}

Result<std::unique_ptr<DbStatement>> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt *st = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &st, nullptr) !=
      SQLITE_OK) {
    return MakeError(ErrorCode::kStore, sqlite3_errmsg(db_));
  }
  return std::unique_ptr<DbStatement>(new SqliteStatement(db_, st));
}

std::string SqliteDb::LastError() const { return db_ ? sqlite3_errmsg(db_) : "no database"; }

}  // namespace findex
