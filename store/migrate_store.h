// findex migrate-store: a SQLite store's whole content (runs, findings with their details and
// shared texts, run members, rejects, history, gate verdicts) copied into an empty PostgreSQL
// store, ids kept, in one PostgreSQL transaction: the target holds all of it or nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "normalize/result.h"

namespace findex {

struct MigrateOptions {
  std::string from;  // a SQLite store file (opened read-only; an older schema is upgraded first)
  std::string to;    // a postgresql:// or postgres:// URI (schema created when missing)
  // Rows are sent in COPY statements of about this many bytes each: memory stays bounded
  // whatever the size of the store.
  size_t chunk_bytes = 4u << 20;
};

struct MigrateSummary {
  std::string from, to;  // `to` without its password
  // Rows copied per table, in copy order.
  std::vector<std::pair<std::string, int64_t>> tables;
  // Text values that held U+0000, stored as U+FFFD (PostgreSQL text cannot hold U+0000).
  int64_t replaced_nul = 0;
};

// Copies `from` into `to`. Refuses (ErrorCode::kStore, nothing written) a target that already
// holds findex data: migrate-store fills a new store, it never merges into a live one.
Result<MigrateSummary> MigrateStore(const MigrateOptions& options);

// The tables copied, in order (schema 6: store/schema.cpp, store/postgres/pg_schema.cpp).
const std::vector<std::string>& MigratedTables();

}  // namespace findex
