// The interface between the store's logic (store.cpp, columns.cpp, texts.cpp,
// schema.cpp) and a database: a connection that runs SQL and prepares
// statements with numbered parameters (?1, ?2,
// ... or ?), rows read column by column. Two backends implement it side by
// side: store/sqlite/ (the embedded default) and store/postgres/ (a shared
// server, libpq).
//
// The store writes one SQL text for both where the dialects agree (they agree
// on most of what findex needs: upserts with ON CONFLICT, RETURNING, CASE,
// coalesce, ||, substr, lower, replace, rtrim, TEMP tables); Dialect names the
// few places where they do not.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "normalize/result.h"

namespace findex {

enum class Backend { kSqlite, kPostgres };

class DbStatement {
 public:
  virtual ~DbStatement() = default;
  // Parameters are numbered from 1 as in the SQL text (?N); a statement ignores
  // numbers its text does not use. Values are copied.
  virtual void BindNull(int i) = 0;
  virtual void BindInt(int i, int64_t v) = 0;
  virtual void BindText(int i, std::string_view v) = 0;
  virtual void BindBlob(int i, std::string_view v) = 0;
  virtual void BindDouble(int i, double v) = 0;
  // Nullable text: empty strings become NULL so that filters and group-by see
  // "absent".
  void BindOptText(int i, std::string_view v) {
    if (v.empty())
      BindNull(i);
    else
      BindText(i, v);
  }
  // Runs the statement (first call after Reset) and moves to the next row: true
  // with a row, false when done.
  virtual Result<bool> Step() = 0;
  // Back to before the first Step; bindings are kept.
  virtual void Reset() = 0;
  // Rows changed by the statement (after Step returned false).
  virtual int64_t Changes() const = 0;

  virtual int Columns() const = 0;
  virtual std::string Name(int c) const = 0;
  virtual bool Null(int c) const = 0;
  virtual int64_t Int(int c) const = 0;            // booleans read as 1 / 0
  virtual double Double(int c) const = 0;
  virtual std::string_view Text(int c) const = 0;  // valid until the next Step or Reset
  virtual std::string_view Blob(int c) const = 0;
  // The value's kind: 'n' NULL, 'i' integer, 'f' float, 't' text, 'b' blob.
  virtual char Kind(int c) const = 0;
  std::string Str(int c) const { return std::string(Text(c)); }
  // Steps to the end (a write, or rows nobody reads).
  Status Run() {
    for (;;) {
      auto r = Step();
      if (!r.ok()) return r.error();
      if (!*r) return Status::Ok();
    }
  }
};

class Db {
 public:
  virtual ~Db() = default;
  virtual Backend backend() const = 0;
  // One or more statements without parameters.
  virtual Status Exec(std::string_view sql) = 0;
  virtual Result<std::unique_ptr<DbStatement>> Prepare(std::string_view sql) = 0;
  // The message of the connection's latest error.
  virtual std::string LastError() const = 0;
};

// Shorthands for the SQL that differs between the dialects.
struct Dialect {
  Backend backend = Backend::kSqlite;
  bool pg() const { return backend == Backend::kPostgres; }
  // Scalar max/min of two values.
  const char *max2() const { return pg() ? "GREATEST" : "max"; }
  const char *min2() const { return pg() ? "LEAST" : "min"; }
  // Lower-case hex of a blob.
  std::string hex(const std::string &x) const { return pg() ? "encode(" + x + ", 'hex')" : "lower(hex(" + x + "))"; }
};

// Whether `db` (a --db value) names a PostgreSQL server (a libpq URI) rather
// than a file.
bool IsPostgresUri(std::string_view db);
// The URI with its password (user:PASSWORD@ or password=) replaced by ***: for
// messages.
std::string RedactUri(std::string_view uri);

}  // namespace findex
