// The PostgreSQL backend of store/db.h (libpq): one connection to a shared
// server.
//
// Why libpq and not libpqxx: the store needs a handful of calls (connect,
// parameterized statements, COPY), and libpq is C with no exceptions, which
// keeps errors as Status values across the module boundary; libpqxx reports
// errors by throwing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/db.h"

typedef struct pg_conn PGconn;

namespace findex {

struct PgTarget {
  std::string conninfo;  // the URI for libpq (findex's own parameters removed)
  std::string schema;    // ?schema=NAME; empty: the role's search_path
  std::string shown;     // the URI for messages (password hidden)
};
// Splits findex's parameters off a postgresql:// URI.
Result<PgTarget> ParsePgUri(std::string_view uri);

class PgDb final : public Db {
 public:
  // Connects, and with a schema sets search_path (creating the schema when
  // `create` and it is missing).
  static Result<std::unique_ptr<PgDb>> Connect(const PgTarget &target, bool create);
  ~PgDb() override;
  Backend backend() const override { return Backend::kPostgres; }
  Status Exec(std::string_view sql) override;
  Result<std::unique_ptr<DbStatement>> Prepare(std::string_view sql) override;
  std::string LastError() const override;
  // COPY table(columns) FROM STDIN with rows in text format (CopyEscape each
  // field, tab separated, newline terminated).
  Status CopyIn(const std::string &copy_sql, std::string_view data);
  const PgTarget &target() const { return target_; }

 private:
  PgDb() = default;
  PGconn *conn_ = nullptr;
  PgTarget target_;
};

// Appends `v` escaped for COPY's text format; `null` writes \N.
void CopyEscape(std::string *out, std::string_view v);
// SQL text with ?N / ? parameters rewritten as $k (numbers compacted:
// PostgreSQL needs every number up to the highest used); `map[N]` gets k (0:
// unused). Quoted text is left alone.
std::string PgParams(std::string_view sql, std::vector<int> *map);

}  // namespace findex
