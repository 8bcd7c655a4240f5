// The SQLite backend of store/db.h: one connection to a store file.
#pragma once

#include <sqlite3.h>

#include "store/db.h"

namespace findex {

class SqliteDb final : public Db {
 public:
  // `owns`: closes the connection when destroyed.
  explicit SqliteDb(sqlite3 *db, bool owns = true) : db_(db), owns_(owns) {}
  ~SqliteDb() override;
  Backend backend() const override { return Backend::kSqlite; }
  Status Exec(std::string_view sql) override;
  Result<std::unique_ptr<DbStatement>> Prepare(std::string_view sql) override;
  std::string LastError() const override;
  sqlite3 *handle() { return db_; }
  // Closes the connection now (statements must be gone).
  void Close();

 private:
  sqlite3 *db_;
  bool owns_;
};

}  // namespace findex
