// The PostgreSQL store's schema: the tables, indexes and view of SQLite schema
// 6 (store/schema.cpp), in PostgreSQL's types, created on first use and
// versioned like SQLite's.
#pragma once

#include <string>

#include "normalize/result.h"
#include "store/db.h"

namespace findex {

// Creates or upgrades the schema to kSchemaVersion. Several runners may start
// at once: the first takes an advisory lock (keyed by `lock_key`, e.g. the
// schema name) and creates; the others wait and find it done. `create` false
// (read-only use): a missing schema is an error.
Status MigratePostgres(Db *db, const std::string &lock_key, bool create);

// SQL text written for SQLite, for PostgreSQL: the few spellings the store's
// query builders (store/filter.cpp) share with SQLite only.
std::string PostgresSql(std::string_view sql);

}  // namespace findex
