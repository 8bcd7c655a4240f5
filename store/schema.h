#pragma once

#include <sqlite3.h>

#include "normalize/result.h"

namespace findex {

inline constexpr int kSchemaVersion = 3;

// Brings the database to kSchemaVersion (PRAGMA user_version), one transaction per step.
// A database newer than this binary is an error, never silently used.
Status MigrateSchema(sqlite3* db);

}  // namespace findex
