#pragma once

#include <sqlite3.h>

#include "normalize/result.h"

namespace findex {

inline constexpr int kSchemaVersion = 9;

// Brings the database to kSchemaVersion (PRAGMA user_version), one transaction per step.
// A database newer than this binary is an error, never silently used.
Status MigrateSchema(sqlite3* db);

// The SQL of the step from version `from` to from + 1 (tests build old stores with it).
const char* MigrationSql(int from);

}  // namespace findex
