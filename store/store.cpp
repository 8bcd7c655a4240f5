#include "store/store.h"

#include <simdjson.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <unordered_map>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <tuple>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <xxhash.h>

#include "normalize/asff_reader.h"
#include "normalize/asff_writer.h"
#include "normalize/finding_columns.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"
#include "store/members.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_schema.h"
#include "store/schema.h"
#include "normalize/exploit.h"
#include "store/sqlite/sqlite_db.h"

namespace findex {
namespace {

// Sources: records "scanner US label US original" joined by RS (ASCII unit/record separators,
// which no scanner name or severity word contains).
struct Source1 {
  std::string scanner;
  int label = 0;
  std::string original;
};

std::vector<Source1> ParseSources(std::string_view s) {
  std::vector<Source1> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find('\x1e', start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view rec = s.substr(start, end - start);
    size_t a = rec.find('\x1f'), b = a == std::string_view::npos ? a : rec.find('\x1f', a + 1);
    if (b != std::string_view::npos) {
      Source1 src;
      src.scanner = std::string(rec.substr(0, a));
      auto l = ParseSeverityLabel(rec.substr(a + 1, b - a - 1));
      src.label = l ? static_cast<int>(*l) : 0;
      src.original = std::string(rec.substr(b + 1));
      out.push_back(std::move(src));
    }
    start = end + 1;
  }
  return out;
}

std::string FormatSources(const std::vector<Source1>& v) {
  std::string s;
  for (const auto& x : v) {
    if (!s.empty()) s.push_back('\x1e');
    s += x.scanner;
    s.push_back('\x1f');
    s += ToString(static_cast<SeverityLabel>(x.label));
    s.push_back('\x1f');
    s += x.original;
  }
  return s;
}

using store_detail::RowVals;
using store_detail::Val;

void BindVals(DbStatement* s, const RowVals& v) {
  s->Reset();
  for (int i = 1; i < static_cast<int>(v.size()); ++i) {
    const Val& x = v[static_cast<size_t>(i)];
    switch (x.k) {
      case 'i': s->BindInt(i, x.i); break;
      case 't': s->BindText(i, x.s); break;
      case 'b': s->BindBlob(i, x.s); break;
      case 'd': s->BindDouble(i, x.d); break;
      default: s->BindNull(i); break;
    }
  }
}

// Text for COPY's text format; U+0000 as U+FFFD, as PgDb's BindText stores it.
void CopyText(std::string* out, std::string_view v) {
  size_t start = 0;
  for (size_t p = v.find('\0'); p != std::string_view::npos; p = v.find('\0', start)) {
    CopyEscape(out, v.substr(start, p - start));
    *out += "\xEF\xBF\xBD";
    start = p + 1;
  }
  CopyEscape(out, v.substr(start));
}

void CopyBytea(std::string* out, std::string_view v) {
  static const char* kHex = "0123456789abcdef";
  *out += "\\\\x";
  for (unsigned char c : v) {
    out->push_back(kHex[c >> 4]);
    out->push_back(kHex[c & 15]);
  }
}

void CopyVal(std::string* out, const Val& x) {
  switch (x.k) {
    case 'i': *out += std::to_string(x.i); break;
    case 't': CopyText(out, x.s); break;
    case 'b': CopyBytea(out, x.s); break;
    case 'd': {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", x.d);
      *out += buf;
      break;
    }
    default: *out += "\\N"; break;
  }
}

// COPY column lists and the parameter number each column takes its value from (0: the row id,
// -1: the literal 'ACTIVE').
constexpr const char* kCopyInsertColumns =
    "id, scope, fingerprint, asff_id, scanner, format, generator_id, title, severity, normalized, workflow,"
    " record_state, resource_id, location, vuln_id, package, first_seen_run, last_seen_run, first_observed_at,"
    " last_observed_at, created_at, updated_at, content_hash, occurrences, sources, lifecycle, policy_workflow,"
    " base_severity, policy, note, note_by, note_at, udf, target, policy_expires, cwes, vuln_ids, packages,"
    " file_paths, resource_ids, tags, url, rec_ids, fixable, kev, kev_due, ransomware, epss, epss_percentile, actions";
constexpr int kCopyInsertParams[] = {32, 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, -1, 11, 12, 13, 14, 15,
                                     15, 16, 17, 18, 18, 19, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 33,
                                     34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49};
constexpr const char* kCopyUpdateColumns =
    "id, asff_id, scanner, format, generator_id, title, severity, normalized, workflow, resource_id, location,"
    " vuln_id, package, last_seen_run, first_observed_at, last_observed_at, updated_at, content_hash, occurrences,"
    " sources, lifecycle, policy_workflow, base_severity, policy, note, note_by, note_at, udf, triage, target,"
    " policy_expires, cwes, vuln_ids, packages, file_paths, resource_ids, tags, url, rec_ids, fixable, kev, kev_due,"
    " ransomware, epss, epss_percentile, actions";
constexpr int kCopyUpdateParams[] = {32, 3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17,
                                     18, 19, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 33, 34, 35,
                                     36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49};

void CopyRow(std::string* out, const RowVals& v, const int* params, size_t n) {
  for (size_t c = 0; c < n; ++c) {
    if (c) out->push_back('\t');
    if (params[c] < 0) *out += "ACTIVE";
    else CopyVal(out, v[static_cast<size_t>(params[c])]);
  }
  out->push_back('\n');
}


std::string LocationOf(const Finding& f) {
  if (!f.location.file_path.empty()) {
    return f.location.start_line > 0 ? f.location.file_path + ":" + std::to_string(f.location.start_line)
                                     : f.location.file_path;
  }
  return f.location.url;
}

}  // namespace

Store::~Store() {
  if (in_run_) AbortRun();
  st_lookup_.reset();
  st_insert_.reset();
  st_touch_.reset();
  st_update_.reset();
  st_reject_.reset();
  st_history_.reset();
  st_details_.reset();
  st_asff_.reset();
  texts_.reset();  // its statements first: a connection with live statements does not close
  db_.reset();
}

Error Store::SqlError(const char* what) const {
  if (lite_ && (sqlite3_extended_errcode(lite_) & 0xff) == SQLITE_BUSY) {
    return MakeError(ErrorCode::kStore, std::string(what) + ": " + BusyMessage());
  }
  return MakeError(ErrorCode::kStore, std::string(what) + ": " + (db_ ? db_->LastError() : "no database"));
}

Error Store::SqlError(const char* what, const Error& e) const {
  if (lite_ && (sqlite3_extended_errcode(lite_) & 0xff) == SQLITE_BUSY) {
    return MakeError(ErrorCode::kStore, std::string(what) + ": " + BusyMessage());
  }
  return MakeError(ErrorCode::kStore, std::string(what) + ": " + e.message);
}

Status Store::Exec(std::string_view sql) {
  if (Status s = db_->Exec(sql); !s.ok()) {
    if (lite_ && (sqlite3_extended_errcode(lite_) & 0xff) == SQLITE_BUSY) return MakeError(ErrorCode::kStore, BusyMessage());
    return s;
  }
  return Status::Ok();
}

Result<std::unique_ptr<DbStatement>> Store::Prep(std::string_view sql) {
  auto st = d_.pg() ? db_->Prepare(PostgresSql(sql)) : db_->Prepare(sql);
  if (!st.ok()) return SqlError("prepare failed", st.error());
  return st;
}

Status Store::BeginWrite() { return Exec(d_.pg() ? "BEGIN" : "BEGIN IMMEDIATE"); }

void Store::Rollback() { (void)db_->Exec("ROLLBACK"); }

// --- waiting for another writer ----------------------------------------------------------------

namespace {

struct LockWaitSettings {
  std::mutex mu;
  double max_seconds = -1;  // < 0: as long as needed
  std::function<void(const std::string&)> notice;
  std::function<bool()> interrupted;
};

LockWaitSettings& WaitSettings() {
  static LockWaitSettings s;
  return s;
}

constexpr double kNoticeAfterSeconds = 3;

// The holder of the WAL write lock (byte 120 of PATH-shm, SQLite's WAL_WRITE_LOCK), from
// /proc/locks; 0 when unknown. Read-only: opening the -shm file here and closing it would
// drop this process's own POSIX locks on it.
long LockHolderPid(const std::string& path) {
  struct stat st{};
  if (::stat((path + "-shm").c_str(), &st) != 0) return 0;
  std::ifstream locks("/proc/locks");
  std::string line;
  const std::string ino = ":" + std::to_string(static_cast<unsigned long long>(st.st_ino));
  while (std::getline(locks, line)) {
    std::istringstream in(line);
    std::vector<std::string> tok;
    for (std::string t; in >> t;) tok.push_back(t);
    if (tok.size() < 8 || tok[1] == "->" || tok[1] != "POSIX" || tok[3] != "WRITE") continue;
    const std::string& dev = tok[5];
    if (dev.size() < ino.size() || dev.compare(dev.size() - ino.size(), ino.size(), ino) != 0) continue;
    long long start = std::atoll(tok[6].c_str());
    long long end = tok[7] == "EOF" ? -1 : std::atoll(tok[7].c_str());
    if (start <= 120 && (end < 0 || end >= 120)) {
      long pid = std::atol(tok[4].c_str());
      if (pid > 0 && pid != static_cast<long>(::getpid())) return pid;
    }
  }
  return 0;
}

std::string CommandOf(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  while (!raw.empty() && raw.back() == '\0') raw.pop_back();
  for (char& c : raw) {
    if (c == '\0') c = ' ';
  }
  return TruncateUtf8(SanitizeForTerminal(raw), 100);
}

}  // namespace

void Store::SetLockWait(double seconds) {
  std::lock_guard lock(WaitSettings().mu);
  WaitSettings().max_seconds = seconds;
}

void Store::SetLockWaitHooks(std::function<void(const std::string&)> notice, std::function<bool()> interrupted) {
  std::lock_guard lock(WaitSettings().mu);
  WaitSettings().notice = std::move(notice);
  WaitSettings().interrupted = std::move(interrupted);
}

std::string Store::LockHolder(const std::string& path) {
  long pid = LockHolderPid(path);
  if (pid == 0) return "another findex is writing to it";
  std::string cmd = CommandOf(pid);
  std::string first = cmd.substr(0, cmd.find(' '));
  bool findex = first.find("findex") != std::string::npos;
  return std::string(findex || cmd.empty() ? "another findex" : "another program") + " is writing to it (pid " +
         std::to_string(pid) + (cmd.empty() ? "" : ": " + cmd) + ")";
}

std::string Store::BusyMessage() const {
  char waited[32];
  std::snprintf(waited, sizeof waited, "%.1f", busy_waited_);
  std::function<bool()> interrupted;
  {
    std::lock_guard lock(WaitSettings().mu);
    interrupted = WaitSettings().interrupted;
  }
  const bool stopped = interrupted && interrupted();
  return "the store " + path_ + " is locked: " + LockHolder(path_) + "; " +
         (stopped ? std::string("interrupted while waiting for it")
                  : "gave up after " + std::string(waited) + " s (--wait SECONDS sets how long a writer waits)");
}

int Store::BusyHandler(void* self, int count) {
  auto* s = static_cast<Store*>(self);
  const auto now = std::chrono::steady_clock::now();
  if (count == 0) {
    s->busy_since_ = now;
    s->busy_noticed_ = false;
  }
  s->busy_waited_ = std::chrono::duration<double>(now - s->busy_since_).count();
  double max_seconds;
  std::function<void(const std::string&)> notice;
  std::function<bool()> interrupted;
  {
    std::lock_guard lock(WaitSettings().mu);
    max_seconds = WaitSettings().max_seconds;
    notice = WaitSettings().notice;
    interrupted = WaitSettings().interrupted;
  }
  if (interrupted && interrupted()) return 0;
  if (max_seconds >= 0 && s->busy_waited_ >= max_seconds) return 0;
  if (!s->busy_noticed_ && s->busy_waited_ >= kNoticeAfterSeconds && (max_seconds < 0 || max_seconds > kNoticeAfterSeconds)) {
    s->busy_noticed_ = true;
    std::string msg = "waiting for the store " + s->path_ + ": " + LockHolder(s->path_) +
                      (max_seconds < 0 ? std::string("; waiting as long as it takes (--wait SECONDS bounds it)")
                                       : "; waiting at most " + std::to_string(static_cast<long long>(max_seconds)) + " s");
    if (notice) notice(msg);
    else std::fprintf(stderr, "findex: warning: %s\n", msg.c_str());
  }
  // Short sleeps first (a writer that commits at once), then 50 ms steps.
  double step = std::min(0.05, 0.001 * (count + 1));
  if (max_seconds >= 0) step = std::min(step, std::max(0.001, max_seconds - s->busy_waited_));
  std::this_thread::sleep_for(std::chrono::duration<double>(step));
  return 1;
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, bool read_only) {
  if (IsPostgresUri(path)) return OpenPostgres(path, read_only);
  std::unique_ptr<Store> s(new Store());
  s->read_only_ = read_only;
  s->path_ = path;
  if (read_only && !std::filesystem::exists(path)) {
    return MakeError(ErrorCode::kStore, "no store at " + path + " (run `findex ingest` first, or pass --db)");
  }
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* lite = nullptr;
  const int orc = sqlite3_open_v2(path.c_str(), &lite, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  auto owned = std::make_unique<SqliteDb>(lite);
  s->lite_ = lite;
  s->db_ = std::move(owned);
  if (orc != SQLITE_OK) {
    return MakeError(ErrorCode::kStore, std::string("cannot open store: ") + (lite ? sqlite3_errmsg(lite) : path), path);
  }
  s->texts_ = std::make_unique<TextTable>(s->db_.get());
  // v_findings.asff: the finding rendered as ASFF from its row (schema 6 stores no document).
  sqlite3_create_function_v2(lite, "findex_asff", 1, SQLITE_UTF8, s.get(), &Store::AsffFunction, nullptr, nullptr,
                             nullptr);
  // The findings a run observed, as a JSON array: json_each(findex_run_members(run_id)).
  sqlite3_create_function_v2(lite, "findex_run_members", 1, SQLITE_UTF8, s.get(), &Store::RunMembersFunction, nullptr,
                             nullptr, nullptr);
  // A writer waits for another writer as long as needed (or --wait), saying so (BusyHandler).
  sqlite3_busy_handler(lite, &Store::BusyHandler, s.get());
  // 16 KiB pages and a large page cache were measured to matter most for insert speed
  // (../shared/PERFORMANCE.md); page_size only takes effect on a new database.
  const char* pragmas = read_only ? "PRAGMA cache_size=-65536;"
                                  : "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                    " PRAGMA cache_size=-131072; PRAGMA temp_store=MEMORY;";
  // Switching a new file to WAL while another findex creates it too can be refused at once
  // (SQLite does not call the busy handler there): wait as for any other writer.
  for (int count = 0;; ++count) {
    Status st = s->db_->Exec(pragmas);
    if (st.ok()) break;
    if ((sqlite3_extended_errcode(lite) & 0xff) != SQLITE_BUSY || !BusyHandler(s.get(), count)) {
      return MakeError(ErrorCode::kStore, "cannot configure store: " + s->SqlError("", st.error()).message.substr(2), path);
    }
  }
  if (read_only) {
    sqlite3_stmt* st = nullptr;
    int version = 0;
    if (sqlite3_prepare_v2(lite, "PRAGMA user_version", -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version == 0) return MakeError(ErrorCode::kStore, "not a findex store (no schema)", path);
    if (version < kSchemaVersion) {
      // An older store: migrate it once (queries need the new columns), then read as asked.
      s->texts_.reset();
      s->lite_ = nullptr;
      s->db_.reset();
      auto rw = Open(path, false);
      if (!rw.ok()) {
        return MakeError(ErrorCode::kStore,
                         "the store has schema version " + std::to_string(version) + " and this findex needs " +
                             std::to_string(kSchemaVersion) + "; it could not be upgraded (" + rw.error().message +
                             (rw.error().message.find("locked") != std::string::npos
                                  ? "): another findex holds it; try again"
                                  : "): run findex once with write access to it (e.g. findex ingest)"),
                         path);
      }
      rw->reset();
      return Open(path, true);
    }
    if (version > kSchemaVersion) return MakeError(ErrorCode::kStore, "store schema is newer than this findex", path);
  } else {
    Status st = MigrateSchema(lite);
    if (!st.ok()) {
      const bool busy = (sqlite3_extended_errcode(lite) & 0xff) == SQLITE_BUSY;
      return MakeError(ErrorCode::kStore, busy ? s->BusyMessage() : st.error().message, path);
    }
  }
  // On findex's own connections (`findex sql`), v_findings also has the column asff, rendered
  // by findex_asff: a TEMP view, which shadows the stored one, so that other SQLite clients still
  // read the stored view (which cannot name a function they lack).
  if (Status st = s->Exec("CREATE TEMP VIEW IF NOT EXISTS v_findings AS"
                          " SELECT v.*, findex_asff(v.rowid) AS asff FROM main.v_findings v");
      !st.ok()) {
    return MakeError(ErrorCode::kStore, "cannot configure store: " + st.error().message, path);
  }
  if (read_only) {
    if (Status st = s->Exec("PRAGMA query_only=1"); !st.ok()) {
      return MakeError(ErrorCode::kStore, "cannot configure store: " + st.error().message, path);
    }
  }
  return s;
}

Result<std::unique_ptr<Store>> Store::OpenPostgres(const std::string& uri, bool read_only) {
  auto target = ParsePgUri(uri);
  if (!target.ok()) return target.error();
  std::unique_ptr<Store> s(new Store());
  s->read_only_ = read_only;
  s->path_ = uri;
  s->shown_ = target->shown;
  s->pg_schema_ = target->schema;
  s->d_.backend = Backend::kPostgres;
  auto db = PgDb::Connect(*target, !read_only);
  if (!db.ok()) return db.error();
  s->pg_ = db->get();
  s->db_ = std::move(*db);
  if (Status m = MigratePostgres(s->db_.get(), target->schema, !read_only); !m.ok()) {
    if (m.error().message.rfind("no findex store", 0) == 0) {
      return MakeError(ErrorCode::kStore, "no store at " + target->shown + " (no findex tables there: run `findex ingest` first, or pass --db)");
    }
    return MakeError(ErrorCode::kStore, m.error().message, target->shown);
  }
  if (read_only) {
    // Queries, exports and gates never write (the gate's verdict opens a store of its own).
    FINDEX_RETURN_IF_ERROR(s->Exec("SET default_transaction_read_only = on"));
    s->texts_ = std::make_unique<TextTable>(s->db_.get());
  } else {
    // Texts are written by a connection of their own, each committed at once: a text is the same
    // whoever stores it, and no runner waits on another's uncommitted text.
    auto texts = PgDb::Connect(*target, false);
    if (!texts.ok()) return texts.error();
    s->pg_texts_ = std::move(*texts);
    s->texts_ = std::make_unique<TextTable>(s->db_.get(), s->pg_texts_.get());
  }
  return s;
}

Status Store::PrepareIngestStatements() {
  if (st_lookup_) return Status::Ok();
  auto prep = [&](std::unique_ptr<DbStatement>* out, const std::string& sql) -> Status {
    auto st = Prep(sql);
    if (!st.ok()) return st.error();
    *out = std::move(*st);
    return Status::Ok();
  };
  FINDEX_RETURN_IF_ERROR(prep(&st_lookup_,
      "SELECT id, record_state, workflow, content_hash, last_seen_run, severity, scanner, sources, occurrences,"
      " normalized, lifecycle, triage, policy, note, note_by, note_at, udf, policy_workflow, policy_expires, actions,"
      " fingerprint, asff_id FROM findings WHERE scope=?1 AND fingerprint=?2"));
  FINDEX_RETURN_IF_ERROR(prep(&st_insert_,
      "INSERT INTO findings(scope, fingerprint, asff_id, scanner, format, generator_id, title, severity,"
      " normalized, workflow, record_state, resource_id, location, vuln_id, package, first_seen_run,"
      " last_seen_run, first_observed_at, last_observed_at, created_at, updated_at, content_hash,"
      " occurrences, sources, lifecycle, policy_workflow, base_severity, policy, note, note_by, note_at, udf, target,"
      " policy_expires, cwes, vuln_ids, packages, file_paths, resource_ids, tags, url, rec_ids, fixable,"
      " kev, kev_due, ransomware, epss, epss_percentile, actions)"
      " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,'ACTIVE',?11,?12,?13,?14,?15,?15,?16,?17,?18,?18,?19,?21,?22,"
      "?23,?24,?25,?26,?27,?28,?29,?30,?33,?34,?35,?36,?37,?38,?39,?40,?41,?42,?43,?44,?45,?46,?47,?48,?49)"));
  FINDEX_RETURN_IF_ERROR(prep(&st_touch_,
      std::string("UPDATE findings SET last_seen_run=?1, last_observed_at=") + d_.max2() + "(last_observed_at, ?2), updated_at=?3,"
      " first_observed_at=" + d_.min2() + "(first_observed_at, ?5), occurrences=?6, scanner=?7, target=?8 WHERE id=?4"));
  FINDEX_RETURN_IF_ERROR(prep(&st_update_,
      // Same parameter numbers as the INSERT (one binding serves both); ?31 triage, ?32 row id.
      // active_since_run: SET reads the old row, so an ARCHIVED finding seen again records this run.
      std::string("UPDATE findings SET asff_id=?3, scanner=?4, format=?5, generator_id=?6, title=?7, severity=?8,"
      " normalized=?9, workflow=?10, record_state='ACTIVE', resource_id=?11, location=?12, vuln_id=?13,"
      " package=?14, last_seen_run=?15, first_observed_at=") + d_.min2() + "(first_observed_at, ?16),"
      " last_observed_at=" + d_.max2() + "(last_observed_at, ?17), updated_at=?18, content_hash=?19,"
      " occurrences=?21, sources=?22, lifecycle=?23, policy_workflow=?24, base_severity=?25, policy=?26, note=?27,"
      " note_by=?28, note_at=?29, udf=?30, triage=?31, target=?33, policy_expires=?34,"
      " cwes=?35, vuln_ids=?36,"
      " packages=?37, file_paths=?38, resource_ids=?39, tags=?40, url=?41, rec_ids=?42, fixable=?43,"
      " kev=?44, kev_due=?45, ransomware=?46, epss=?47, epss_percentile=?48, actions=?49,"
      " active_since_run=CASE WHEN record_state='ARCHIVED' THEN ?15 ELSE active_since_run END WHERE id=?32"));
  FINDEX_RETURN_IF_ERROR(prep(&st_reject_,
      "INSERT INTO rejects(run_id, file, \"offset\", line, location, reason) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
  return Status::Ok();
}

namespace {

std::vector<std::string> SplitTargets(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t nl = s.find('\n', start);
    out.emplace_back(s.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

std::string JoinTargets(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "\n" : "") + v[i];
  return s;
}

bool Intersects(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a) {
    if (std::find(b.begin(), b.end(), x) != b.end()) return true;
  }
  return false;
}

}  // namespace

Result<int64_t> Store::RepeatOf(const std::string& scope, const std::string& scanner, uint64_t content_hash) {
  // Incomplete runs (rejects) are never repeated: the file is read, and fails, again.
  auto st = Prep(
      "SELECT id, target, batch FROM runs WHERE scope=?1 AND scanner=?2 AND content_hash=?3 AND same_as IS NULL"
      " AND complete=1 ORDER BY id DESC LIMIT 1");
  if (!st.ok()) return st.error();
  (*st)->BindText(1, scope);
  (*st)->BindText(2, scanner);
  (*st)->BindText(3, Hex64(content_hash));
  auto row = (*st)->Step();
  if (!row.ok()) return SqlError("run lookup failed", row.error());
  int64_t id = 0;
  std::string target;
  if (*row) {
    id = (*st)->Int(0);
    target = (*st)->Str(1);
  }
  if (id == 0) return int64_t{0};
  // Stale when the scanner read a later report about one of its targets (even in the same batch:
  // then it is read again, which is slower but never wrong).
  auto later = Prep("SELECT DISTINCT target FROM runs WHERE scope=?1 AND scanner=?2 AND same_as IS NULL AND id > ?3");
  if (!later.ok()) return later.error();
  DbStatement* lt = later->get();
  lt->BindText(1, scope);
  lt->BindText(2, scanner);
  lt->BindInt(3, id);
  const std::vector<std::string> mine = SplitTargets(target);
  bool stale = false;
  Result<bool> r = false;
  while ((r = lt->Step()).ok() && *r) {
    if (Intersects(mine, SplitTargets(lt->Str(0)))) stale = true;
  }
  if (!r.ok()) return SqlError("run lookup failed", r.error());
  return stale ? int64_t{0} : id;
}

void Store::BeginBatch() {
  batch_mode_ = true;
  batch_id_ = 0;
  batch_runs_.clear();
}

void Store::AddRunTarget(std::string_view target) {
  if (in_run_) run_targets_.emplace(target);
}

Status Store::BeginRun(const RunInfo& info) {
  if (read_only_) return MakeError(ErrorCode::kStore, "store opened read-only");
  if (in_run_) return MakeError(ErrorCode::kInternal, "a run is already open");
  FINDEX_RETURN_IF_ERROR(PrepareIngestStatements());
  if (auto fd = Feeds(); !fd.ok()) return fd.error();
  FINDEX_RETURN_IF_ERROR(BeginWrite());
  in_run_ = true;
  run_ = info;
  counts_ = RunCounts{};
  run_seen_.clear();
  pending_.clear();
  pending_fps_.clear();
  pg_keys_.clear();
  alt_matched_.clear();
  expired_seen_.clear();
  run_targets_.clear();
  untargeted_ = 0;
  prev_run_ = 0;
  // Two ingests of one scope take turns (the second sees the first's result); other scopes go on.
  Status status = LockScopes({info.scope});
  // A gate taking its snapshot waits for this ingest (BeginSnapshot).
  if (status.ok()) status = IngestBarrier(/*exclusive=*/false, /*session=*/false);
  auto fail = [&](Status s) {
    AbortRun();
    return s;
  };
  if (!status.ok()) return fail(status);
  {
    auto st = Prep("SELECT max(run) FROM identity_keys_from");
    if (!st.ok()) return fail(st.error());
    auto r = (*st)->Step();
    if (!r.ok()) return fail(SqlError("cannot read identity_keys_from", r.error()));
    keys_from_run_ = *r && !(*st)->Null(0) ? (*st)->Int(0) : 0;
  }
  {
    auto st = Prep("SELECT max(id) FROM runs WHERE scope=?1 AND scanner=?2 AND same_as IS NULL");
    if (!st.ok()) return fail(st.error());
    (*st)->BindText(1, info.scope);
    (*st)->BindText(2, info.scanner);
    auto r = (*st)->Step();
    if (!r.ok()) return fail(SqlError("run lookup failed", r.error()));
    if (*r) prev_run_ = (*st)->Int(0);
  }
  {
    auto st = Prep(
        "INSERT INTO runs(file, content_hash, format, scanner, scope, started_at, bytes, batch)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8) RETURNING id");
    if (!st.ok()) return fail(st.error());
    DbStatement* s = st->get();
    s->BindText(1, info.file);
    s->BindText(2, Hex64(info.content_hash));
    s->BindText(3, info.format);
    s->BindText(4, info.scanner);
    s->BindText(5, info.scope);
    s->BindText(6, info.now);
    s->BindInt(7, static_cast<int64_t>(info.bytes));
    s->BindInt(8, batch_id_);
    auto r = s->Step();
    if (!r.ok() || !*r) return fail(r.ok() ? SqlError("cannot record run") : SqlError("cannot record run", r.error()));
    counts_.run_id = s->Int(0);
    if (Status done = s->Run(); !done.ok()) return fail(SqlError("cannot record run", done.error()));
  }
  if (batch_id_ == 0) batch_id_ = counts_.run_id;
  {
    // The first run of this invocation names the batch (gate --new-only compares batches);
    // absence is judged over the batch (BeginBatch) or over the run alone.
    std::string sql = "UPDATE runs SET batch=" + std::to_string(batch_id_) + ", absence_batch=" +
                      std::to_string(batch_mode_ ? batch_id_ : counts_.run_id) +
                      " WHERE id=" + std::to_string(counts_.run_id);
    if (Status s = Exec(sql); !s.ok()) return fail(s);
  }
  return Status::Ok();
}

Status Store::LockScopes(std::vector<std::string> scopes) {
  if (!d_.pg()) return Status::Ok();  // SQLite: BEGIN IMMEDIATE holds the one write lock
  std::sort(scopes.begin(), scopes.end());  // one order for every runner: no deadlock
  scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
  for (const auto& scope : scopes) {
    // Keyed by the schema too: stores in other schemas of the database do not wait.
    const std::string key = "findex\x1f" + pg_schema_ + "\x1f" + scope;
    auto st = Prep("SELECT pg_advisory_xact_lock(?1)");
    if (!st.ok()) return st.error();
    (*st)->BindInt(1, static_cast<int64_t>(XXH3_64bits(key.data(), key.size())));
    if (Status s = (*st)->Run(); !s.ok()) return SqlError("cannot lock the scope", s.error());
  }
  return Status::Ok();
}

PreparedFinding PrepareFinding(Finding&& f) {
  PreparedFinding p;
  p.first_observed_at = std::move(f.first_observed_at);
  p.last_observed_at = std::move(f.last_observed_at);
  p.reported_workflow = f.workflow;
  p.occurrences = f.occurrences;
  f.occurrences = 0;  // a column: counts that grow must not make the content look changed
  // The document holds what the report said; lifecycle and policy fields live in columns.
  f.created_at.clear();
  f.updated_at.clear();
  f.first_observed_at.clear();
  f.last_observed_at.clear();
  f.record_state = RecordState::kActive;
  p.finding = std::move(f);
  // `texts` views strings of p.finding: encode after the move (interned texts are long, never in
  // a string's inline buffer, so later moves of p keep them valid).
  EncodeDetails(p.finding, EncodeOptions{}, &p.details, &p.texts, &p.content_hash);
  p.columns = PolicyColumnValues(p.finding);
  if (!p.finding.vulnerabilities.empty()) p.alt = VulnAltIdentities(p.finding);
  return p;
}

Status Store::Put(PreparedFinding&& prepared) {
  if (!in_run_) return MakeError(ErrorCode::kInternal, "Put outside a run");
  // Records read: a finding that collapses N events (Falco) stands for N records.
  counts_.records += prepared.occurrences > 0 ? prepared.occurrences : 1;
  Finding& f = prepared.finding;
  // The finding's target; without one, the report's when it named exactly one so far (else
  // filled in at commit when the report turns out to name exactly one).
  if (!f.target.empty()) {
    run_targets_.insert(f.target);
  } else if (run_targets_.size() == 1) {
    f.target = *run_targets_.begin();
  } else {
    ++untargeted_;
  }
  const std::string_view fp(reinterpret_cast<const char*>(f.fingerprint.bytes.data()), 16);
  // A finding that joined another's stored finding earlier in this run joins it again (a view
  // of the bytes: fp follows).
  if (!alt_matched_.empty()) {
    if (auto it = alt_matched_.find(std::string(fp)); it != alt_matched_.end())
      JoinStored(prepared, it->second.fingerprint, it->second.asff_id);
  }
  if (pg_) {
    // PostgreSQL: findings are looked up, decided and written a batch at a time (FlushPending),
    // a few round trips per batch instead of two per finding. A fingerprint seen again in the
    // batch flushes it first, so that the second sight finds the first one stored.
    if (!pending_fps_.emplace(fp).second) {
      FINDEX_RETURN_IF_ERROR(FlushPending());
      pending_fps_.emplace(fp);
    }
    pending_.push_back(std::move(prepared));
    if (pending_.size() >= kPendingRows) return FlushPending();
    return Status::Ok();
  }
  DbStatement* lk = st_lookup_.get();
  lk->Reset();
  lk->BindText(1, run_.scope);
  lk->BindBlob(2, fp);
  auto found = lk->Step();
  if (!found.ok()) return SqlError("finding lookup failed", found.error());
  if (!*found) {
    lk->Reset();
    if (!prepared.alt.versionless && prepared.alt.keys.empty()) return Apply(prepared, nullptr);
    OldRow other;
    bool hit = false;
    FINDEX_RETURN_IF_ERROR(FindAlt(prepared, &other, &hit));
    if (!hit) return Apply(prepared, nullptr);
    alt_matched_.emplace(std::string(fp), AltMatch{other.fingerprint, other.asff_id});
    JoinStored(prepared, other.fingerprint, other.asff_id);
    return Apply(prepared, &other);
  }
  OldRow old = ReadOldRow(lk);
  lk->Reset();
  return Apply(prepared, &old);
}

Store::OldRow Store::ReadOldRow(DbStatement* lk) {
  OldRow o;
  o.rowid = lk->Int(0);
  o.state = lk->Str(1);
  o.workflow = lk->Str(2);
  o.hash = static_cast<uint64_t>(lk->Int(3));
  o.last_seen = lk->Int(4);
  o.severity = static_cast<int>(lk->Int(5));
  o.sources = lk->Str(7);
  o.occurrences = static_cast<uint64_t>(lk->Int(8));
  o.normalized = static_cast<int>(lk->Int(9));
  o.lifecycle = lk->Str(10);
  if (!lk->Null(11)) o.triage = lk->Str(11);
  o.policy = lk->Str(12);
  o.note = lk->Str(13);
  o.note_by = lk->Str(14);
  o.note_at = lk->Str(15);
  o.udf = lk->Str(16);
  o.policy_workflow = lk->Str(17);
  if (!lk->Null(18)) o.policy_expires = lk->Int(18);
  o.actions = lk->Str(19);
  o.fingerprint = std::string(lk->Blob(20));
  o.asff_id = lk->Str(21);
  return o;
}

// The columns of st_lookup_ for a finding found through identity_keys (alias f), then the key.
constexpr const char* kKeyLookupColumns =
    "SELECT f.id, f.record_state, f.workflow, f.content_hash, f.last_seen_run, f.severity, f.scanner, f.sources,"
    " f.occurrences, f.normalized, f.lifecycle, f.triage, f.policy, f.note, f.note_by, f.note_at, f.udf,"
    " f.policy_workflow, f.policy_expires, f.actions, f.fingerprint, f.asff_id, k.key"
    " FROM identity_keys k JOIN findings f ON f.id = k.finding_id AND f.scope = k.scope WHERE k.scope=?1 AND ";

Status Store::FindAlt(const PreparedFinding& p, OldRow* out, bool* hit) {
  *hit = false;
  // The stored finding `lk` finds under `key`, when no other finding of this run is it already.
  auto probe = [&](DbStatement* lk, const Fingerprint& key) -> Status {
    lk->Reset();
    lk->BindText(1, run_.scope);
    lk->BindBlob(2, std::string_view(reinterpret_cast<const char*>(key.bytes.data()), 16));
    auto r = lk->Step();
    if (!r.ok()) return SqlError("finding lookup failed", r.error());
    if (*r) {
      OldRow o = ReadOldRow(lk);
      if (o.last_seen != counts_.run_id) {
        *out = std::move(o);
        *hit = true;
      }
    }
    lk->Reset();
    return Status::Ok();
  };
  if (p.alt.versionless) {
    // Its own fingerprint, as another finding's key.
    if (!st_key_lookup_) {
      auto st = Prep(std::string(kKeyLookupColumns) + "k.key=?2");
      if (!st.ok()) return st.error();
      st_key_lookup_ = std::move(*st);
    }
    return probe(st_key_lookup_.get(), p.finding.fingerprint);
  }
  // Its keys, as another finding's own fingerprint.
  for (const Fingerprint& k : p.alt.keys) {
    FINDEX_RETURN_IF_ERROR(probe(st_lookup_.get(), k));
    if (*hit) break;
  }
  return Status::Ok();
}

void Store::JoinStored(PreparedFinding& p, const std::string& fingerprint, const std::string& asff_id) {
  Finding& f = p.finding;
  if (fingerprint.size() == f.fingerprint.bytes.size())
    std::memcpy(f.fingerprint.bytes.data(), fingerprint.data(), fingerprint.size());
  f.id = asff_id;
  // content_hash stays the report's: a change detector, and what is written (the stored
  // identity) does not change while the finding stays joined.
}

Status Store::PutKeys(const PreparedFinding& p, int64_t rowid) {
  if (p.alt.keys.empty()) return Status::Ok();
  if (pg_) {
    static const char* kHex = "0123456789abcdef";
    for (const Fingerprint& k : p.alt.keys) {
      for (uint8_t c : k.bytes) {
        pg_keys_.push_back(kHex[c >> 4]);
        pg_keys_.push_back(kHex[c & 15]);
      }
      pg_keys_ += ':' + std::to_string(rowid) + ',';
    }
    return Status::Ok();
  }
  if (!st_key_put_) {
    auto st = Prep("INSERT INTO identity_keys(scope, key, finding_id) VALUES(?1, ?2, ?3) ON CONFLICT DO NOTHING");
    if (!st.ok()) return st.error();
    st_key_put_ = std::move(*st);
  }
  for (const Fingerprint& k : p.alt.keys) {
    DbStatement* s = st_key_put_.get();
    s->Reset();
    s->BindText(1, run_.scope);
    s->BindBlob(2, std::string_view(reinterpret_cast<const char*>(k.bytes.data()), 16));
    s->BindInt(3, rowid);
    if (Status r = s->Run(); !r.ok()) return SqlError("cannot record a finding's identity keys", r.error());
  }
  return Status::Ok();
}

Status Store::Apply(PreparedFinding& prepared, const OldRow* old) {
  Finding& f = prepared.finding;
  // Exploitation data from the loaded feeds, before the policy sees the finding (its details
  // were encoded before: they keep what the report said).
  if (feeds_ && feeds_->loaded() && !f.vulnerabilities.empty()) {
    ApplyFeeds(f, *feeds_);
    FINDEX_RETURN_IF_ERROR(feeds_->TakeError());
  }
  const ExploitSummary exploit = SummarizeExploit(f);
  // Observation times an ingester took from the report (Falco, Inspector) win over the run time.
  const std::string& first_obs = prepared.first_observed_at.empty() ? run_.now : prepared.first_observed_at;
  const std::string& last_obs = prepared.last_observed_at.empty() ? run_.now : prepared.last_observed_at;
  const WorkflowStatus reported_workflow = prepared.reported_workflow;
  const uint64_t occurrences = prepared.occurrences;
  const uint64_t content_hash = prepared.content_hash;
  const std::string location = LocationOf(f);
  const std::string& resource = f.resources.empty() ? std::string() : f.resources.front().id;
  std::string vuln_id, package;
  if (!f.vulnerabilities.empty()) {
    vuln_id = ToUpper(f.vulnerabilities.front().id);
    if (!f.vulnerabilities.front().vulnerable_packages.empty()) package = f.vulnerabilities.front().vulnerable_packages.front().name;
  }
  const bool is_new = old == nullptr;

  // What the row holds now (defaults for a new finding).
  int64_t rowid = 0, last_seen = 0;
  std::string state = "ACTIVE", old_workflow, old_lifecycle, old_policy, old_note, old_note_by, old_note_at, old_udf,
              old_policy_workflow;
  std::optional<std::string> triage;
  uint64_t old_hash = 0, old_occurrences = 0;
  std::optional<int64_t> old_policy_expires;
  std::string old_actions;
  int old_severity = -1, old_normalized = 0;
  std::vector<Source1> sources;
  if (!is_new) {
    rowid = old->rowid;
    state = old->state;
    old_workflow = old->workflow;
    old_hash = old->hash;
    last_seen = old->last_seen;
    old_severity = old->severity;
    sources = ParseSources(old->sources);
    old_occurrences = old->occurrences;
    old_normalized = old->normalized;
    old_lifecycle = old->lifecycle;
    triage = old->triage;
    old_policy = old->policy;
    old_note = old->note;
    old_note_by = old->note_by;
    old_note_at = old->note_at;
    old_udf = old->udf;
    old_policy_workflow = old->policy_workflow;
    old_policy_expires = old->policy_expires;
    old_actions = old->actions;
    if (last_seen == counts_.run_id && !run_.events) {
      ++counts_.duplicates;  // the same finding twice in one report: stored once
      return Status::Ok();
    }
    // Its versionless keys, when what they are made of may have changed, or the row is older
    // than the keys (a store upgraded to schema 9).
    if (!prepared.alt.keys.empty() && (old->hash != prepared.content_hash || last_seen <= keys_from_run_))
      FINDEX_RETURN_IF_ERROR(PutKeys(prepared, rowid));
  }
  const uint64_t new_occurrences = run_.events ? old_occurrences + occurrences : occurrences;

  // Every scanner keeps its own verdict; the finding carries the highest.
  Source1 mine{f.scanner, static_cast<int>(f.severity.label), f.severity.original};
  auto it = std::find_if(sources.begin(), sources.end(), [&](const Source1& x) { return x.scanner == f.scanner; });
  const bool sources_changed = it == sources.end() || it->label != mine.label || it->original != mine.original;
  if (it == sources.end()) sources.push_back(mine);
  else *it = mine;
  std::sort(sources.begin(), sources.end(), [](const Source1& a, const Source1& b) { return a.scanner < b.scanner; });
  int base = 0;
  for (const auto& x : sources) base = std::max(base, x.label);

  // Lifecycle: a report can suppress; a finding seen again after RESOLVED is NEW (reopened).
  const bool reopen = !is_new && state == "ARCHIVED";
  std::string lifecycle = is_new ? "NEW" : old_lifecycle;
  if (reported_workflow == WorkflowStatus::kSuppressed) lifecycle = "SUPPRESSED";
  else if (lifecycle == "RESOLVED" || lifecycle.empty()) lifecycle = "NEW";
  // A person's RESOLVED does not survive a scan that still reports the finding; SUPPRESSED and
  // NOTIFIED do.
  bool triage_reopened = false;
  if (triage && *triage == "RESOLVED") {
    triage.reset();
    triage_reopened = true;
  }

  // Policy, on the finding as scanners and lifecycle left it.
  PolicyDecision decision;
  if (run_.policy) {
    const SeverityLabel reported = f.severity.label;
    f.severity.label = static_cast<SeverityLabel>(base);
    f.workflow = ParseWorkflowStatus(lifecycle).value_or(WorkflowStatus::kNew);
    decision = run_.policy(f);
    f.severity.label = reported;
    for (const auto& e : decision.expired) {
      if (expired_seen_.insert(e).second) counts_.expired.push_back(e);
    }
  }
  const int severity = decision.severity ? static_cast<int>(*decision.severity) : base;
  const int normalized = decision.severity                               ? DefaultNormalized(*decision.severity)
                         : severity == static_cast<int>(f.severity.label) ? f.severity.normalized
                         : severity == old_severity                       ? old_normalized
                                                      : DefaultNormalized(static_cast<SeverityLabel>(severity));
  const std::string policy_workflow = decision.workflow ? std::string(ToString(*decision.workflow)) : std::string();
  const std::string workflow = triage ? *triage : !policy_workflow.empty() ? policy_workflow : lifecycle;
  // The expiry is stored with the decision: gates count the finding once it has passed.
  std::optional<int64_t> policy_expires;
  if (policy_workflow == "SUPPRESSED" && decision.suppress_expires_ms >= 0) policy_expires = decision.suppress_expires_ms;
  std::string policy;
  for (const auto& a : decision.applied) policy += (policy.empty() ? "" : ";") + a;
  std::string udf;
  for (const auto& [k, v] : decision.user_defined_fields) {
    if (!udf.empty()) udf.push_back('\x1e');
    udf += k + '\x1f' + v;
  }
  // A person's note wins over the policy's; the policy's note follows the policy.
  std::string note = old_note, note_by = old_note_by, note_at = old_note_at;
  const bool person_note = !old_note_by.empty() && old_note_by != kPolicyActor;
  if (!person_note) {
    std::string want = decision.note ? decision.note->text : std::string();
    if (want != old_note) {
      note = want;
      note_by = want.empty() ? std::string() : std::string(kPolicyActor);
      note_at = want.empty() ? std::string() : run_.now;
    }
  }
  // The response actions whose match holds: kept with the finding (absence reads them) as
  // US name US name US.
  std::string actions;
  if (!decision.actions.empty()) {
    std::vector<std::string> names = decision.actions;
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    actions = "\x1f";
    for (const auto& n : names) actions += n + '\x1f';
  }
  if (policy_workflow == "SUPPRESSED" && (is_new || old_policy_workflow != "SUPPRESSED")) ++counts_.suppressed;
  if (!is_new && old_policy_workflow == "SUPPRESSED" && policy_workflow != "SUPPRESSED") ++counts_.unsuppressed;

  // Every column of the row, numbered as in st_insert_ / st_update_ (a statement ignores the
  // numbers it does not use).
  const std::string sources_text = FormatSources(sources);
  RowVals v;
  v[1] = Val::Text(run_.scope);
  v[2] = Val::Blob(std::string_view(reinterpret_cast<const char*>(f.fingerprint.bytes.data()), 16));
  v[3] = Val::Text(f.id);
  v[4] = Val::Text(f.scanner);
  v[5] = Val::Text(f.format);
  v[6] = Val::Text(f.generator_id);
  v[7] = Val::Text(f.title);
  v[8] = Val::Int(severity);
  v[9] = Val::Int(normalized);
  v[10] = Val::Text(workflow);
  v[11] = Val::OptText(resource);
  v[12] = Val::OptText(location);
  v[13] = Val::OptText(vuln_id);
  v[14] = Val::OptText(package);
  v[15] = Val::Int(counts_.run_id);
  v[16] = Val::Text(first_obs);
  v[17] = Val::Text(last_obs);
  v[18] = Val::Text(run_.now);
  v[19] = Val::Int(static_cast<int64_t>(content_hash));
  v[21] = Val::Int(static_cast<int64_t>(new_occurrences));
  v[22] = Val::Text(sources_text);
  v[23] = Val::Text(lifecycle);
  v[24] = Val::OptText(policy_workflow);
  v[25] = Val::Int(base);
  v[26] = Val::OptText(policy);
  v[27] = Val::OptText(note);
  v[28] = Val::OptText(note_by);
  v[29] = Val::OptText(note_at);
  v[30] = Val::OptText(udf);
  v[31] = triage ? Val::OptText(*triage) : Val{};
  v[32] = Val::Int(rowid);
  v[33] = Val::Text(f.target);
  if (policy_expires) v[34] = Val::Int(*policy_expires);
  for (int c = 0; c < 8; ++c) v[static_cast<size_t>(35 + c)] = Val::Text(prepared.columns[static_cast<size_t>(c)]);
  v[43] = Val::Int(prepared.columns[8] == "1" ? 1 : 0);
  if (exploit.kev >= 0) v[44] = Val::Int(exploit.kev);
  v[45] = Val::OptText(exploit.kev_due);
  if (exploit.ransomware >= 0) v[46] = Val::Int(exploit.ransomware);
  v[47] = Val::OptDouble(exploit.epss);
  v[48] = Val::OptDouble(exploit.epss_percentile);
  v[49] = Val::Text(actions);
  // The shared texts the details refer to (stored only when the details are).
  if (is_new || old_hash != content_hash) FINDEX_RETURN_IF_ERROR(texts_->Put(f, prepared.texts, &prepared.details));
  if (is_new && pg_) {
    if (pg_next_id_ >= pg_ids_.size()) return MakeError(ErrorCode::kInternal, "no finding id reserved");
    rowid = pg_ids_[pg_next_id_++];
    v[32] = Val::Int(rowid);
    AppendInsertRow(v);
    AppendDetailsRow(rowid, prepared.details);
    FINDEX_RETURN_IF_ERROR(PutKeys(prepared, rowid));
    ++counts_.new_;
  } else if (is_new) {
    // SQLite only (PostgreSQL reserves ids per batch): last_insert_rowid, as RETURNING costs
    // SQLite a temporary table per row.
    DbStatement* s = st_insert_.get();
    BindVals(s, v);
    if (Status done = s->Run(); !done.ok()) return SqlError("cannot insert finding", done.error());
    rowid = sqlite3_last_insert_rowid(lite_);
    FINDEX_RETURN_IF_ERROR(PutDetails(rowid, prepared.details));
    FINDEX_RETURN_IF_ERROR(PutKeys(prepared, rowid));
    ++counts_.new_;
  } else if (!reopen && !triage_reopened && old_hash == content_hash && !sources_changed && severity == old_severity &&
             workflow == old_workflow && policy == old_policy && note == old_note && udf == old_udf &&
             policy_workflow == old_policy_workflow && lifecycle == old_lifecycle && policy_expires == old_policy_expires &&
             actions == old_actions) {
    if (pg_) {
      AppendTouchRow(rowid, v);
      ++counts_.unchanged;
      if (last_seen == counts_.run_id) return Status::Ok();
      run_seen_.push_back(rowid);
      return Status::Ok();
    }
    DbStatement* s = st_touch_.get();
    s->Reset();
    s->BindInt(1, counts_.run_id);
    s->BindText(2, last_obs);
    s->BindText(3, run_.now);
    s->BindInt(4, rowid);
    s->BindText(5, first_obs);
    s->BindInt(6, static_cast<int64_t>(new_occurrences));
    s->BindText(7, f.scanner);
    s->BindText(8, f.target);
    if (Status r = s->Run(); !r.ok()) return SqlError("cannot update finding", r.error());
    ++counts_.unchanged;
  } else {
    if (pg_) {
      AppendUpdateRow(v);
      if (old_hash != content_hash) AppendDetailsRow(rowid, prepared.details);
    } else {
      DbStatement* s = st_update_.get();
      BindVals(s, v);
      if (Status r = s->Run(); !r.ok()) return SqlError("cannot update finding", r.error());
      if (old_hash != content_hash) FINDEX_RETURN_IF_ERROR(PutDetails(rowid, prepared.details));
    }
    if (reopen || triage_reopened) ++counts_.reopened;
    else ++counts_.updated;
    // History: what changed the effective status or severity, and why.
    const std::string run_actor = "ingest run " + std::to_string(counts_.run_id);
    if (workflow != old_workflow) {
      std::string why;
      const char* action = "ingest";
      const std::string* actor = &run_actor;
      static const std::string policy_actor = "policy";
      if (reopen || triage_reopened) {
        action = "reopened";
        why = "reported again by " + run_.file;
      } else if (policy_workflow != old_policy_workflow) {
        action = "policy";
        actor = &policy_actor;
        why = policy.empty() ? std::string("no policy rule applies any more") : policy;
        for (const auto& e : decision.expired) why += (why.empty() ? "" : "; ") + std::string("expired: ") + e;
      }
      FINDEX_RETURN_IF_ERROR(AddHistory(rowid, *actor, action, "workflow", old_workflow, workflow, why));
    }
    if (severity != old_severity) {
      const bool by_policy = decision.severity.has_value() || old_policy.find("override:") != std::string::npos ||
                             old_policy.find("rule:") != std::string::npos;
      FINDEX_RETURN_IF_ERROR(AddHistory(rowid, by_policy ? "policy" : run_actor, by_policy ? "policy" : "ingest",
                                        "severity", ToString(static_cast<SeverityLabel>(std::clamp(old_severity, 0, 4))),
                                        ToString(static_cast<SeverityLabel>(severity)), by_policy ? policy : run_.file));
    }
  }
  // Response actions: the events of this sight, for the actions that matched and want them.
  if (!decision.actions.empty() && !action_events_.empty()) {
    const bool suppressed_now = workflow == "SUPPRESSED";
    const bool ev_new = is_new && !suppressed_now;
    const bool ev_reopened = !is_new && (reopen || triage_reopened) && !suppressed_now;
    const bool ev_suppressed = suppressed_now && (is_new || old_workflow != "SUPPRESSED");
    for (const auto& name : decision.actions) {
      auto it = action_events_.find(name);
      if (it == action_events_.end()) continue;
      if (ev_new && (it->second & kOnNew)) FINDEX_RETURN_IF_ERROR(AddDelivery(name, rowid, "new"));
      if (ev_reopened && (it->second & kOnReopened)) FINDEX_RETURN_IF_ERROR(AddDelivery(name, rowid, "reopened"));
      if (ev_suppressed && (it->second & kOnSuppressed))
        FINDEX_RETURN_IF_ERROR(AddDelivery(name, rowid, "suppressed"));
    }
  }
  if (last_seen == counts_.run_id) return Status::Ok();  // an event finding seen again in this run
  run_seen_.push_back(rowid);
  return Status::Ok();
}

Status Store::AddDelivery(const std::string& action, int64_t rowid, const char* event) {
  if (pg_) {
    // Written with the batch (FlushPending), after the findings they refer to.
    std::string& o = pg_deliveries_;
    CopyText(&o, action);
    o += '\t' + std::to_string(rowid) + '\t' + event + '\t' + std::to_string(counts_.run_id) + '\t';
    CopyText(&o, run_.scope);
    o += '\t';
    CopyText(&o, run_.now);
    o += '\n';
    return Status::Ok();
  }
  if (!st_delivery_) {
    auto st = Prep(
        "INSERT INTO deliveries(action, finding_id, event, occurrence, scope, state, created_at, updated_at)"
        " VALUES(?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6) ON CONFLICT DO NOTHING");
    if (!st.ok()) return st.error();
    st_delivery_ = std::move(*st);
  }
  DbStatement* s = st_delivery_.get();
  s->Reset();
  s->BindText(1, action);
  s->BindInt(2, rowid);
  s->BindText(3, event);
  s->BindInt(4, counts_.run_id);
  s->BindText(5, run_.scope);
  s->BindText(6, run_.now);
  if (Status r = s->Run(); !r.ok()) return SqlError("cannot record a delivery", r.error());
  return Status::Ok();
}

void Store::AppendInsertRow(const store_detail::RowVals& v) {
  CopyRow(&pg_insert_, v, kCopyInsertParams, std::size(kCopyInsertParams));
}

void Store::AppendUpdateRow(const RowVals& v) {
  CopyRow(&pg_update_, v, kCopyUpdateParams, std::size(kCopyUpdateParams));
}

void Store::AppendTouchRow(int64_t rowid, const RowVals& v) {
  // As st_touch_: last_seen_run, observed times, occurrences, scanner, target.
  static constexpr int kParams[] = {32, 15, 17, 18, 16, 21, 4, 33};
  RowVals w = v;
  w[32] = Val::Int(rowid);
  CopyRow(&pg_touch_, w, kParams, std::size(kParams));
}

void Store::AppendDetailsRow(int64_t rowid, std::string_view details) {
  pg_details_ += std::to_string(rowid);
  pg_details_ += '\t';
  CopyBytea(&pg_details_, details);
  pg_details_ += '\n';
}

Status Store::FlushPending() {
  if (pending_.empty()) return Status::Ok();
  std::vector<PreparedFinding> batch;
  batch.swap(pending_);
  pending_fps_.clear();
  // A finding whose first sight in this run joined another's stored finding (an earlier batch).
  if (!alt_matched_.empty()) {
    for (auto& p : batch) {
      const std::string own(reinterpret_cast<const char*>(p.finding.fingerprint.bytes.data()), 16);
      if (auto it = alt_matched_.find(own); it != alt_matched_.end())
        JoinStored(p, it->second.fingerprint, it->second.asff_id);
    }
  }
  // 1. What the store holds for these fingerprints, in one query.
  if (!st_pg_lookup_) {
    auto st = Prep(
        "SELECT id, record_state, workflow, content_hash, last_seen_run, severity, scanner, sources, occurrences,"
        " normalized, lifecycle, triage, policy, note, note_by, note_at, udf, policy_workflow, policy_expires, actions,"
        " fingerprint, asff_id FROM findings WHERE scope=?1 AND fingerprint IN"
        " (SELECT decode(x, 'hex') FROM unnest(string_to_array(?2, ',')) AS x)");
    if (!st.ok()) return st.error();
    st_pg_lookup_ = std::move(*st);
  }
  std::string keys;
  keys.reserve(batch.size() * 33);
  static const char* kHex = "0123456789abcdef";
  auto add_key = [](std::string* to, const Fingerprint& k) {
    if (!to->empty()) to->push_back(',');
    for (uint8_t c : k.bytes) {
      to->push_back(kHex[c >> 4]);
      to->push_back(kHex[c & 15]);
    }
  };
  for (const auto& p : batch) add_key(&keys, p.finding.fingerprint);
  std::unordered_map<std::string, OldRow> found;
  {
    DbStatement* lk = st_pg_lookup_.get();
    lk->Reset();
    lk->BindText(1, run_.scope);
    lk->BindText(2, keys);
    Result<bool> rc = false;
    while ((rc = lk->Step()).ok() && *rc) found.emplace(std::string(lk->Blob(20)), ReadOldRow(lk));
    lk->Reset();
    if (!rc.ok()) return SqlError("finding lookup failed", rc.error());
  }
  auto fp_of = [](const PreparedFinding& p) {
    return std::string(reinterpret_cast<const char*>(p.finding.fingerprint.bytes.data()), 16);
  };
  std::vector<const OldRow*> olds(batch.size(), nullptr);
  for (size_t i = 0; i < batch.size(); ++i) {
    auto it = found.find(fp_of(batch[i]));
    if (it != found.end()) olds[i] = &it->second;
  }
  // 1b. The findings not found, by their other identities (two queries), as SQLite's FindAlt:
  // in order, each joins the first stored finding one of its keys names that no other finding
  // of this run or batch is.
  std::unordered_map<std::string, OldRow> by_key;  // key -> stored finding
  {
    std::string versioned, versionless;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (olds[i]) continue;
      const PreparedFinding& p = batch[i];
      if (p.alt.versionless) add_key(&versionless, p.finding.fingerprint);
      for (const Fingerprint& k : p.alt.keys) add_key(&versioned, k);
    }
    if (!versioned.empty()) {
      DbStatement* lk = st_pg_lookup_.get();
      lk->Reset();
      lk->BindText(1, run_.scope);
      lk->BindText(2, versioned);
      Result<bool> rc = false;
      while ((rc = lk->Step()).ok() && *rc) by_key.emplace(std::string(lk->Blob(20)), ReadOldRow(lk));
      lk->Reset();
      if (!rc.ok()) return SqlError("finding lookup failed", rc.error());
    }
    if (!versionless.empty()) {
      auto st = Prep(std::string(kKeyLookupColumns) +
                     "k.key IN (SELECT decode(x, 'hex') FROM unnest(string_to_array(?2, ',')) AS x)");
      if (!st.ok()) return st.error();
      (*st)->BindText(1, run_.scope);
      (*st)->BindText(2, versionless);
      Result<bool> rc = false;
      while ((rc = (*st)->Step()).ok() && *rc) by_key.emplace(std::string((*st)->Blob(22)), ReadOldRow(st->get()));
      if (!rc.ok()) return SqlError("finding lookup failed", rc.error());
    }
  }
  if (!by_key.empty()) {
    std::set<int64_t> taken;
    for (const auto& [k, row] : found) taken.insert(row.rowid);
    for (size_t i = 0; i < batch.size(); ++i) {
      if (olds[i]) continue;
      PreparedFinding& p = batch[i];
      std::vector<std::string> cands;
      if (p.alt.versionless) cands.push_back(fp_of(p));
      for (const Fingerprint& k : p.alt.keys)
        cands.emplace_back(reinterpret_cast<const char*>(k.bytes.data()), 16);
      for (const auto& c : cands) {
        auto it = by_key.find(c);
        if (it == by_key.end() || it->second.last_seen == counts_.run_id || taken.count(it->second.rowid)) continue;
        taken.insert(it->second.rowid);
        alt_matched_.emplace(fp_of(p), AltMatch{it->second.fingerprint, it->second.asff_id});
        JoinStored(p, it->second.fingerprint, it->second.asff_id);
        olds[i] = &it->second;
        break;
      }
    }
  }
  // 2. Ids for the new ones, in the order they come (as SQLite would number them).
  size_t n_new = 0;
  for (const OldRow* o : olds) n_new += o == nullptr ? 1 : 0;
  pg_ids_.clear();
  pg_next_id_ = 0;
  if (n_new > 0) {
    auto st = Prep("SELECT nextval(pg_get_serial_sequence('findings', 'id')) AS id FROM generate_series(1, ?1) ORDER BY id");
    if (!st.ok()) return st.error();
    (*st)->BindInt(1, static_cast<int64_t>(n_new));
    Result<bool> rc = false;
    while ((rc = (*st)->Step()).ok() && *rc) pg_ids_.push_back((*st)->Int(0));
    if (!rc.ok()) return SqlError("cannot number new findings", rc.error());
  }
  // 3. The texts of what will be stored, in two statements rather than one per text.
  {
    std::vector<DetailText> texts;
    for (size_t i = 0; i < batch.size(); ++i) {
      const PreparedFinding& p = batch[i];
      if (olds[i] && olds[i]->hash == p.content_hash) continue;  // details unchanged
      texts.insert(texts.end(), p.texts.begin(), p.texts.end());
    }
    FINDEX_RETURN_IF_ERROR(texts_->InternMany(texts));
  }
  // The batch's vulnerability ids in the feeds, in one query per feed.
  if (feeds_ && feeds_->loaded()) {
    std::vector<std::string> ids;
    for (const auto& p : batch)
      for (const auto& v : p.finding.vulnerabilities)
        for (auto& id : VulnerabilityIds(v)) ids.push_back(std::move(id));
    if (Status pf = feeds_->Prefetch(ids); !pf.ok()) return SqlError("cannot read the feeds", pf.error());
  }
  // 4. Decide each finding as SQLite's path does, into COPY buffers.
  pg_insert_.clear();
  pg_update_.clear();
  pg_touch_.clear();
  pg_details_.clear();
  pg_history_.clear();
  pg_deliveries_.clear();
  flushing_ = true;
  Status status = Status::Ok();
  for (size_t i = 0; i < batch.size(); ++i) {
    status = Apply(batch[i], olds[i]);
    if (!status.ok()) break;
  }
  flushing_ = false;
  if (!status.ok()) return status;
  // 5. Write: a COPY per table, one set-based statement per kind of change.
  auto copy = [&](const std::string& sql, const std::string& data) -> Status {
    if (data.empty()) return Status::Ok();
    if (Status c = pg_->CopyIn(sql, data); !c.ok()) return SqlError("cannot store findings", c.error());
    return Status::Ok();
  };
  FINDEX_RETURN_IF_ERROR(copy(std::string("COPY findings(") + kCopyInsertColumns + ") FROM STDIN", pg_insert_));
  if (!pg_staged_) {
    FINDEX_RETURN_IF_ERROR(Exec(
        "CREATE TEMP TABLE IF NOT EXISTS fx_update AS SELECT * FROM findings WITH NO DATA;"
        " CREATE TEMP TABLE IF NOT EXISTS fx_touch AS SELECT * FROM findings WITH NO DATA;"
        " CREATE TEMP TABLE IF NOT EXISTS fx_details AS SELECT * FROM finding_details WITH NO DATA"));
    pg_staged_ = true;
  }
  if (!pg_details_.empty()) {
    FINDEX_RETURN_IF_ERROR(copy("COPY pg_temp.fx_details(id, details) FROM STDIN", pg_details_));
    FINDEX_RETURN_IF_ERROR(Exec(
        "INSERT INTO finding_details(id, details) SELECT id, details FROM pg_temp.fx_details"
        " ON CONFLICT(id) DO UPDATE SET details = excluded.details; DELETE FROM pg_temp.fx_details"));
  }
  if (!pg_update_.empty()) {
    FINDEX_RETURN_IF_ERROR(copy(std::string("COPY pg_temp.fx_update(") + kCopyUpdateColumns + ") FROM STDIN", pg_update_));
    // As st_update_; SET reads the old row, so an ARCHIVED finding seen again records this run.
    FINDEX_RETURN_IF_ERROR(Exec(
        "UPDATE findings f SET asff_id=u.asff_id, scanner=u.scanner, format=u.format, generator_id=u.generator_id,"
        " title=u.title, severity=u.severity, normalized=u.normalized, workflow=u.workflow, record_state='ACTIVE',"
        " resource_id=u.resource_id, location=u.location, vuln_id=u.vuln_id, package=u.package,"
        " last_seen_run=u.last_seen_run, first_observed_at=LEAST(f.first_observed_at, u.first_observed_at),"
        " last_observed_at=GREATEST(f.last_observed_at, u.last_observed_at), updated_at=u.updated_at,"
        " content_hash=u.content_hash, occurrences=u.occurrences, sources=u.sources, lifecycle=u.lifecycle,"
        " policy_workflow=u.policy_workflow, base_severity=u.base_severity, policy=u.policy, note=u.note,"
        " note_by=u.note_by, note_at=u.note_at, udf=u.udf, triage=u.triage, target=u.target,"
        " policy_expires=u.policy_expires, cwes=u.cwes, vuln_ids=u.vuln_ids, packages=u.packages,"
        " file_paths=u.file_paths, resource_ids=u.resource_ids, tags=u.tags, url=u.url, rec_ids=u.rec_ids,"
        " fixable=u.fixable, kev=u.kev, kev_due=u.kev_due, ransomware=u.ransomware, epss=u.epss,"
        " epss_percentile=u.epss_percentile, actions=u.actions,"
        " active_since_run=CASE WHEN f.record_state='ARCHIVED' THEN u.last_seen_run ELSE f.active_since_run END"
        " FROM pg_temp.fx_update u WHERE f.id = u.id; DELETE FROM pg_temp.fx_update"));
  }
  if (!pg_touch_.empty()) {
    FINDEX_RETURN_IF_ERROR(copy(
        "COPY pg_temp.fx_touch(id, last_seen_run, last_observed_at, updated_at, first_observed_at, occurrences,"
        " scanner, target) FROM STDIN",
        pg_touch_));
    FINDEX_RETURN_IF_ERROR(Exec(
        "UPDATE findings f SET last_seen_run=t.last_seen_run,"
        " last_observed_at=GREATEST(f.last_observed_at, t.last_observed_at), updated_at=t.updated_at,"
        " first_observed_at=LEAST(f.first_observed_at, t.first_observed_at), occurrences=t.occurrences,"
        " scanner=t.scanner, target=t.target FROM pg_temp.fx_touch t WHERE f.id = t.id; DELETE FROM pg_temp.fx_touch"));
  }
  FINDEX_RETURN_IF_ERROR(copy("COPY history(finding_id, at, actor, action, field, old, new, note) FROM STDIN", pg_history_));
  if (!pg_deliveries_.empty()) {
    // ON CONFLICT: an event already recorded (another runner, a retry) is not recorded twice.
    FINDEX_RETURN_IF_ERROR(Exec(
        "CREATE TEMP TABLE IF NOT EXISTS fx_deliveries(action text, finding_id bigint, event text, occurrence bigint,"
        " scope text, at text)"));
    FINDEX_RETURN_IF_ERROR(copy("COPY pg_temp.fx_deliveries(action, finding_id, event, occurrence, scope, at) FROM STDIN",
                                pg_deliveries_));
    FINDEX_RETURN_IF_ERROR(Exec(
        "INSERT INTO deliveries(action, finding_id, event, occurrence, scope, state, created_at, updated_at)"
        " SELECT action, finding_id, event, occurrence, scope, 'pending', at, at FROM pg_temp.fx_deliveries"
        " ON CONFLICT DO NOTHING; DELETE FROM pg_temp.fx_deliveries"));
  }
  if (!pg_keys_.empty()) {
    pg_keys_.pop_back();  // the last ','
    // In the batch's order: the first finding to claim a key keeps it, as in SQLite.
    auto st = Prep(
        "INSERT INTO identity_keys(scope, key, finding_id) SELECT ?1, decode(split_part(x, ':', 1), 'hex'),"
        " split_part(x, ':', 2)::bigint FROM unnest(string_to_array(?2, ',')) WITH ORDINALITY AS t(x, n)"
        " ORDER BY n ON CONFLICT DO NOTHING");
    if (!st.ok()) return st.error();
    (*st)->BindText(1, run_.scope);
    (*st)->BindText(2, pg_keys_);
    pg_keys_.clear();
    if (Status r = (*st)->Run(); !r.ok()) return SqlError("cannot record the findings' identity keys", r.error());
  }
  return Status::Ok();
}

Status Store::PutDetails(int64_t rowid, std::string_view details) {
  if (!st_details_) {
    auto st = Prep("INSERT INTO finding_details(id, details) VALUES(?1, ?2)"
                   " ON CONFLICT(id) DO UPDATE SET details = excluded.details");
    if (!st.ok()) return st.error();
    st_details_ = std::move(*st);
  }
  DbStatement* s = st_details_.get();
  s->Reset();
  s->BindInt(1, rowid);
  s->BindBlob(2, details);
  if (Status r = s->Run(); !r.ok()) return SqlError("cannot store finding details", r.error());
  return Status::Ok();
}

Status Store::AddHistory(int64_t rowid, const std::string& actor, const char* action, const char* field,
                         std::string_view old_value, std::string_view new_value, std::string_view note) {
  if (pg_ && flushing_) {
    // Written with the batch (FlushPending).
    std::string& o = pg_history_;
    o += std::to_string(rowid);
    for (std::string_view x : {std::string_view(in_run_ ? run_.now : history_now_), std::string_view(actor),
                               std::string_view(action)}) {
      o += '\t';
      CopyText(&o, x);
    }
    for (std::string_view x : {std::string_view(field ? field : ""), old_value, new_value, note}) {
      o += '\t';
      if (x.empty()) o += "\\N";
      else CopyText(&o, x);
    }
    o += '\n';
    return Status::Ok();
  }
  if (!st_history_) {
    auto st = Prep(
        "INSERT INTO history(finding_id, at, actor, action, field, old, new, note) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)");
    if (!st.ok()) return st.error();
    st_history_ = std::move(*st);
  }
  DbStatement* s = st_history_.get();
  s->Reset();
  s->BindInt(1, rowid);
  s->BindText(2, in_run_ ? run_.now : history_now_);
  s->BindText(3, actor);
  s->BindText(4, action);
  s->BindOptText(5, field ? field : "");
  s->BindOptText(6, old_value);
  s->BindOptText(7, new_value);
  s->BindOptText(8, note);
  if (Status r = s->Run(); !r.ok()) return SqlError("cannot record history", r.error());
  return Status::Ok();
}

Status Store::PutReject(const StoredReject& r) {
  if (!in_run_) return MakeError(ErrorCode::kInternal, "PutReject outside a run");
  ++counts_.rejects;
  DbStatement* s = st_reject_.get();
  s->Reset();
  s->BindInt(1, counts_.run_id);
  s->BindText(2, run_.file);
  s->BindInt(3, static_cast<int64_t>(r.offset));
  s->BindInt(4, r.line);
  s->BindText(5, r.where);
  s->BindText(6, r.reason);
  if (Status st = s->Run(); !st.ok()) return SqlError("cannot store reject", st.error());
  return Status::Ok();
}

Status Store::StoreRunTargets() {
  // Findings stored before the report named its only target take it now.
  if (run_targets_.size() == 1 && untargeted_ > 0 && !run_targets_.begin()->empty() && pg_) {
    std::string ids = "{";
    for (int64_t id : run_seen_) ids += (ids.size() > 1 ? "," : "") + std::to_string(id);
    ids += "}";
    auto st = Prep("UPDATE findings SET target=?1 WHERE target='' AND id = ANY(CAST(?2 AS BIGINT[]))");
    if (!st.ok()) return st.error();
    (*st)->BindText(1, *run_targets_.begin());
    (*st)->BindText(2, ids);
    if (Status r = (*st)->Run(); !r.ok()) return SqlError("cannot record the findings' target", r.error());
  } else if (run_targets_.size() == 1 && untargeted_ > 0 && !run_targets_.begin()->empty()) {
    auto st = Prep("UPDATE findings SET target=?1 WHERE id=?2 AND target=''");
    if (!st.ok()) return st.error();
    DbStatement* s = st->get();
    s->BindText(1, *run_targets_.begin());
    for (int64_t id : run_seen_) {  // what this run saw
      s->Reset();
      s->BindInt(2, id);
      if (Status r = s->Run(); !r.ok()) return SqlError("cannot record the findings' target", r.error());
    }
  }
  counts_.targets.assign(run_targets_.begin(), run_targets_.end());
  if (untargeted_ > 0 && run_targets_.size() > 1) counts_.targets.insert(counts_.targets.begin(), std::string());
  if (counts_.targets.empty()) counts_.targets.emplace_back();
  return Status::Ok();
}

Result<std::vector<TargetVerdict>> Store::JudgeAbsence(const std::vector<BatchRun>& runs, const BatchFailures& failures,
                                                       const std::string& now) {
  struct Stream {
    bool blocked = false;
    std::string why;
    int64_t last_run = 0;
    std::vector<std::string> files;
  };
  // (scope, scanner) -> target -> stream
  std::map<std::pair<std::string, std::string>, std::map<std::string, Stream>> streams;
  std::map<std::pair<std::string, std::string>, std::string> blocked_all;
  std::string seen_ids;  // runs of the batch: what they saw is not absent
  for (const auto& r : runs) {
    seen_ids += (seen_ids.empty() ? "" : ",") + std::to_string(r.id);
    if (r.events) continue;  // absence from a later event log is not a fix
    const auto key = std::make_pair(r.scope, r.scanner);
    for (const auto& t : r.targets) {
      Stream& s = streams[key][t];
      s.last_run = std::max(s.last_run, r.id);
      if (std::find(s.files.begin(), s.files.end(), r.file) == s.files.end()) s.files.push_back(r.file);
      if (!r.complete) {
        s.blocked = true;
        s.why = r.file + " had rejected records";
      }
    }
    if (!r.complete && (r.targets.empty() || (r.targets.size() == 1 && r.targets[0].empty()))) {
      blocked_all[key] = r.file + " had rejected records and names no target";
    }
  }
  for (const auto& ss : failures.scope_scanner) blocked_all[ss] = "a report of this scanner failed";
  std::vector<TargetVerdict> out;
  // The latest batch of every (scanner, target) of a scope, with the runs whose observations
  // count for it (a repeat counts as the run it repeats): what they see stays active. Read once
  // per scope, in one query (per stream and group, it made a batch of N reports about N
  // targets of one scope cost N^2 queries).
  struct Group {
    std::string scanner, target;
    std::vector<std::string> targets;  // target split
    std::vector<int64_t> runs;         // whose membership counts
  };
  std::set<std::string> filled;  // scopes whose groups' members are in temp.keep_members
  std::map<std::string, std::vector<Group>> groups_by_scope;
  for (auto& [key, targets] : streams) {
    const auto& [scope, scanner] = key;
    if (!groups_by_scope.count(scope)) {
      auto& groups = groups_by_scope[scope];
      auto prepared = Prep(
          "SELECT r.scanner, r.target, coalesce(r.same_as, r.id) FROM runs r JOIN"
          " (SELECT scanner, target, max(absence_batch) AS b FROM runs WHERE scope=?1 GROUP BY scanner, target) g"
          " ON r.scanner = g.scanner AND r.target = g.target AND r.absence_batch = g.b"
          " WHERE r.scope=?1 ORDER BY r.scanner, r.target, r.id");
      if (!prepared.ok()) return prepared.error();
      DbStatement* st = prepared->get();
      st->BindText(1, scope);
      Result<bool> rc = false;
      while ((rc = st->Step()).ok() && *rc) {
        std::string g_scanner = st->Str(0), g_target = st->Str(1);
        if (groups.empty() || groups.back().scanner != g_scanner || groups.back().target != g_target) {
          Group g;
          g.targets = SplitTargets(g_target);
          g.scanner = std::move(g_scanner);
          g.target = std::move(g_target);
          groups.push_back(std::move(g));
        }
        groups.back().runs.push_back(st->Int(2));
      }
      if (!rc.ok()) return SqlError("run query failed", rc.error());
    }
    for (auto& [target, stream] : targets) {
      TargetVerdict v{scope, scanner, target, false, "", 0, stream.last_run};
      if (failures.unknown) v.why_not = "a report of an unknown format failed";
      else if (auto b = blocked_all.find(key); b != blocked_all.end()) v.why_not = b->second;
      else if (stream.blocked) v.why_not = stream.why;
      if (!v.why_not.empty()) {
        out.push_back(std::move(v));
        continue;
      }
      v.judged = true;
      const auto& groups = groups_by_scope[scope];
      std::string superseded;  // groups of this batch's stream: what they saw does not keep
      bool any_keep = false;
      for (size_t i = 0; i < groups.size(); ++i) {
        const Group& g = groups[i];
        if (g.scanner == scanner && std::find(g.targets.begin(), g.targets.end(), target) != g.targets.end()) {
          superseded += (superseded.empty() ? "" : ",") + std::to_string(i);
        } else {
          any_keep = true;
        }
      }
      // Resolve what this scanner's reports about this target saw last and the batch did not,
      // unless the latest batch of another (scanner, target) of the scope still reports it.
      // Suppressions (report, policy or person) stay. A person's RESOLVED is realized; their NEW
      // or NOTIFIED is kept for when the finding returns (it may have overridden a policy
      // suppression), the workflow shows RESOLVED meanwhile.
      // The finding's target is its last report's; findings.scanner may be a SARIF producer's
      // family, so "of this scanner" is read from the run that last saw it.
      std::string gone = " WHERE scope=?4 AND target=?7 AND record_state='ACTIVE'"
                         " AND last_seen_run NOT IN (" + seen_ids + ")"
                         " AND last_seen_run IN (SELECT id FROM runs WHERE scope=?4 AND scanner=?5)";
      if (any_keep) {
        // Only when something is gone at all: reading the other groups' members costs a pass
        // over the scope's findings.
        auto prepared = Prep("SELECT 1 FROM findings" + gone + " LIMIT 1");
        if (!prepared.ok()) return prepared.error();
        DbStatement* st = prepared->get();
        st->BindText(4, scope);
        st->BindText(5, scanner);
        st->BindText(7, target);
        const auto step = st->Step();
        if (!step.ok()) return SqlError("cannot find absent findings", step.error());
        const bool some_gone = *step;
        if (some_gone && !filled.count(scope)) {
          std::vector<std::pair<int64_t, int>> runs;
          for (size_t i = 0; i < groups.size(); ++i) {
            for (int64_t r : groups[i].runs) runs.emplace_back(r, static_cast<int>(i));
          }
          FINDEX_RETURN_IF_ERROR(FillMembers("keep_members", runs));
          filled = {scope};
        }
        if (some_gone) {  // else nothing is gone: the statements below change nothing
          gone += " AND NOT EXISTS (SELECT 1 FROM " + TempName("keep_members") + " k WHERE k.id = findings.id" +
                  (superseded.empty() ? std::string() : " AND k.grp NOT IN (" + superseded + ")") + ")";
        }
      }
      const std::string resolved =
          "CASE WHEN triage='SUPPRESSED' OR (triage IS NULL AND (policy_workflow='SUPPRESSED' OR lifecycle='SUPPRESSED'))"
          " THEN 'SUPPRESSED' ELSE 'RESOLVED' END";
      std::string files;
      for (const auto& f : stream.files) files += (files.empty() ? "" : ", ") + f;
      // A suppressed finding keeps its status; its history still says that it went away.
      const std::string sqls[] = {
          "INSERT INTO history(finding_id, at, actor, action, field, old, new, note)"
          " SELECT id, ?1, 'ingest run ' || CAST(?3 AS TEXT), CASE WHEN workflow != " + resolved +
              " THEN 'resolved' ELSE 'archived' END, CASE WHEN workflow != " + resolved +
              " THEN 'workflow' ELSE 'state' END, CASE WHEN workflow != " + resolved +
              " THEN workflow ELSE 'ACTIVE' END, CASE WHEN workflow != " + resolved + " THEN " + resolved +
              " ELSE 'ARCHIVED' END, 'absent from ' || ?6 FROM findings" + gone,
          "UPDATE findings SET workflow = " + resolved +
              ", lifecycle = CASE WHEN lifecycle='SUPPRESSED' THEN lifecycle ELSE 'RESOLVED' END,"
              " triage = CASE WHEN triage='RESOLVED' THEN NULL ELSE triage END,"
              " record_state='ARCHIVED', updated_at=?1" + gone,
          "UPDATE runs SET resolved = resolved + ?2 WHERE id=?3",
      };
      // Response actions that want `resolved`: the findings resolved here (not those that stay
      // SUPPRESSED) whose policy actions name them, before the UPDATE changes what `gone` selects.
      for (const auto& [name, events] : action_events_) {
        if (!(events & kOnResolved)) continue;
        auto prepared = Prep(
            "INSERT INTO deliveries(action, finding_id, event, occurrence, scope, state, created_at, updated_at)"
            " SELECT ?8, id, 'resolved', ?3, scope, 'pending', ?1, ?1 FROM findings" + gone +
            " AND instr(actions, ?9) > 0 AND " + resolved + " = 'RESOLVED' ON CONFLICT DO NOTHING");
        if (!prepared.ok()) return prepared.error();
        DbStatement* st = prepared->get();
        st->BindText(1, now);
        st->BindInt(3, stream.last_run);
        st->BindText(4, scope);
        st->BindText(5, scanner);
        st->BindText(7, target);
        st->BindText(8, name);
        st->BindText(9, "\x1f" + name + "\x1f");
        if (Status r = st->Run(); !r.ok()) return SqlError("cannot record a delivery", r.error());
      }
      for (const auto& sql : sqls) {
        auto prepared = Prep(sql);
        if (!prepared.ok()) return prepared.error();
        DbStatement* st = prepared->get();
        st->BindText(1, now);
        st->BindInt(2, static_cast<int64_t>(v.resolved));
        st->BindInt(3, stream.last_run);
        st->BindText(4, scope);
        st->BindText(5, scanner);
        st->BindText(6, files);
        st->BindText(7, target);
        if (Status r = st->Run(); !r.ok()) return SqlError("cannot resolve absent findings", r.error());
        if (sql.rfind("UPDATE findings", 0) == 0) v.resolved = static_cast<uint64_t>(st->Changes());
      }
      out.push_back(std::move(v));
    }
  }
  return out;
}

Status Store::StoreRunMembers() {
  std::sort(run_seen_.begin(), run_seen_.end());
  run_seen_.erase(std::unique(run_seen_.begin(), run_seen_.end()), run_seen_.end());
  const std::string rec = EncodeMembers(run_seen_);
  auto st = Prep("INSERT INTO run_members(run_id, n, ids) VALUES(?1, ?2, ?3)"
                 " ON CONFLICT(run_id) DO UPDATE SET n = excluded.n, ids = excluded.ids");
  if (!st.ok()) return st.error();
  (*st)->BindInt(1, counts_.run_id);
  (*st)->BindInt(2, static_cast<int64_t>(run_seen_.size()));
  (*st)->BindBlob(3, rec);
  if (Status r = (*st)->Run(); !r.ok()) return SqlError("cannot record what the run observed", r.error());
  return Status::Ok();
}

std::string Store::TempName(const char* table) const { return std::string(d_.pg() ? "pg_temp." : "temp.") + table; }

Status Store::FillMembers(const char* table, const std::vector<std::pair<int64_t, int>>& runs) {
  const std::string t = TempName(table);
  FINDEX_RETURN_IF_ERROR(Exec("CREATE TEMP TABLE IF NOT EXISTS " + std::string(table) +
                              "(id BIGINT NOT NULL, grp INTEGER NOT NULL, PRIMARY KEY(id, grp))" +
                              (d_.pg() ? "" : " WITHOUT ROWID")));
  FINDEX_RETURN_IF_ERROR(Exec("DELETE FROM " + t));
  auto rd = Prep("SELECT ids FROM run_members WHERE run_id=?1");
  if (!rd.ok()) return rd.error();
  std::vector<std::pair<int64_t, int>> rows;
  std::vector<int64_t> ids;
  for (const auto& [run, grp] : runs) {
    (*rd)->Reset();
    (*rd)->BindInt(1, run);
    auto r = (*rd)->Step();
    if (!r.ok()) return SqlError("cannot read what a run observed", r.error());
    if (!*r) continue;  // a run that observed nothing
    ids.clear();
    FINDEX_RETURN_IF_ERROR(DecodeMembers((*rd)->Blob(0), &ids));
    for (int64_t id : ids) rows.emplace_back(id, grp);
  }
  (*rd)->Reset();
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  if (pg_) {
    std::string data;
    for (const auto& [id, grp] : rows) data += std::to_string(id) + "\t" + std::to_string(grp) + "\n";
    if (Status c = pg_->CopyIn("COPY " + t + "(id, grp) FROM STDIN", data); !c.ok()) {
      return SqlError("cannot read what a run observed", c.error());
    }
    return Exec("ANALYZE " + t);
  }
  auto wr = Prep("INSERT INTO " + t + "(id, grp) VALUES(?1, ?2)");
  if (!wr.ok()) return wr.error();
  for (const auto& [id, grp] : rows) {
    (*wr)->Reset();
    (*wr)->BindInt(1, id);
    (*wr)->BindInt(2, grp);
    if (Status r = (*wr)->Run(); !r.ok()) return SqlError("cannot read what a run observed", r.error());
  }
  return Status::Ok();
}

void Store::RunMembersFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  auto* self = static_cast<Store*>(sqlite3_user_data(ctx));
  if (argc != 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(self->lite_, "SELECT ids FROM run_members WHERE run_id=?1", -1, &st, nullptr) != SQLITE_OK) {
    sqlite3_result_error(ctx, sqlite3_errmsg(self->lite_), -1);
    return;
  }
  sqlite3_bind_int64(st, 1, sqlite3_value_int64(argv[0]));
  std::vector<int64_t> ids;
  Status s = Status::Ok();
  if (sqlite3_step(st) == SQLITE_ROW) {
    s = DecodeMembers(std::string_view(static_cast<const char*>(sqlite3_column_blob(st, 0)),
                                       static_cast<size_t>(sqlite3_column_bytes(st, 0))),
                      &ids);
  }
  sqlite3_finalize(st);
  if (!s.ok()) {
    sqlite3_result_error(ctx, s.error().message.c_str(), -1);
    return;
  }
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  out += "]";
  sqlite3_result_text(ctx, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

Result<RunCounts> Store::CommitRun(bool complete) {
  if (!in_run_) return MakeError(ErrorCode::kInternal, "no run to commit");
  Status status = FlushPending();
  if (status.ok()) status = StoreRunTargets();
  counts_.complete = complete;
  if (status.ok()) status = StoreRunMembers();
  BatchRun me{counts_.run_id, run_.scope, run_.scanner, run_.file, counts_.targets, complete, run_.events};
  if (status.ok() && !batch_mode_) {
    // A batch of one: judge absence now, in this run's transaction.
    auto verdicts = JudgeAbsence({me}, BatchFailures{}, run_.now);
    if (!verdicts.ok()) status = verdicts.error();
    else for (const auto& v : *verdicts) counts_.resolved += v.resolved;
  }
  if (status.ok()) {
    auto st = Prep(
        "UPDATE runs SET records=?1, new=?2, updated=?3, unchanged=?4, reopened=?5, resolved=?6, rejects=?7,"
        " target=?9, complete=?10 WHERE id=?8");
    if (!st.ok()) {
      status = st.error();
    } else {
      DbStatement* s = st->get();
      s->BindInt(1, static_cast<int64_t>(counts_.records));
      s->BindInt(2, static_cast<int64_t>(counts_.new_));
      s->BindInt(3, static_cast<int64_t>(counts_.updated));
      s->BindInt(4, static_cast<int64_t>(counts_.unchanged));
      s->BindInt(5, static_cast<int64_t>(counts_.reopened));
      s->BindInt(6, static_cast<int64_t>(counts_.resolved));
      s->BindInt(7, static_cast<int64_t>(counts_.rejects));
      s->BindInt(8, counts_.run_id);
      s->BindText(9, JoinTargets(counts_.targets));
      s->BindInt(10, complete ? 1 : 0);
      if (Status r = s->Run(); !r.ok()) status = SqlError("cannot update run", r.error());
    }
  }
  if (status.ok()) status = Exec("COMMIT");
  if (!status.ok()) {
    AbortRun();
    return status.error();
  }
  texts_->Commit();
  in_run_ = false;
  if (batch_mode_) batch_runs_.push_back(std::move(me));
  return counts_;
}

Result<RunCounts> Store::CommitRepeat() {
  if (!in_run_) return MakeError(ErrorCode::kInternal, "no run to commit");
  if (run_.repeat_of <= 0) {
    AbortRun();
    return MakeError(ErrorCode::kInternal, "a repeat needs the run it repeats");
  }
  // The findings the repeated run observed are reported again: they were observed now
  // (LastObservedAt moves; last_seen_run is this run, so that the batch does not find them
  // absent), and a person's RESOLVED among them is reopened, as a full ingest would.
  if (Status m = FillMembers("repeat_members", {{run_.repeat_of, 0}}); !m.ok()) {
    AbortRun();
    return m.error();
  }
  const std::string members = TempName("repeat_members");
  const std::string observed = " FROM findings WHERE triage='RESOLVED' AND id IN (SELECT id FROM " + members + ")";
  const std::string sqls[] = {
      "INSERT INTO history(finding_id, at, actor, action, field, old, new, note)"
      " SELECT id, ?1, 'ingest run ' || CAST(?3 AS TEXT), 'reopened', 'workflow', workflow, coalesce(policy_workflow, lifecycle),"
      " 'reported again by ' || ?4" + observed,
      "UPDATE findings SET triage=NULL, workflow=coalesce(policy_workflow, lifecycle), updated_at=?1"
      " WHERE triage='RESOLVED' AND id IN (SELECT id FROM " + members + ")",
      std::string("UPDATE findings SET last_seen_run=?3, last_observed_at=") + d_.max2() + "(last_observed_at, ?1), updated_at=?1"
      " WHERE record_state='ACTIVE' AND id IN (SELECT id FROM " + members + ")",
      "UPDATE runs SET same_as=?2, reopened=?5, target=(SELECT target FROM runs WHERE id=?2),"
      " records=(SELECT records FROM runs WHERE id=?2) WHERE id=?3",
  };
  Status status = Status::Ok();
  for (const auto& sql : sqls) {
    auto prepared = Prep(sql);
    if (!prepared.ok()) {
      status = prepared.error();
      break;
    }
    DbStatement* st = prepared->get();
    st->BindText(1, run_.now);
    st->BindInt(2, run_.repeat_of);
    st->BindInt(3, counts_.run_id);
    st->BindText(4, run_.file);
    st->BindInt(5, static_cast<int64_t>(counts_.reopened));
    if (Status r = st->Run(); !r.ok()) {
      status = SqlError("cannot record a repeated run", r.error());
      break;
    }
    if (sql.rfind("UPDATE findings SET triage", 0) == 0) counts_.reopened = static_cast<uint64_t>(st->Changes());
  }
  if (status.ok()) {
    auto st = Prep("SELECT target FROM runs WHERE id=?1");
    if (!st.ok()) {
      status = st.error();
    } else {
      (*st)->BindInt(1, counts_.run_id);
      auto r = (*st)->Step();
      if (!r.ok()) status = SqlError("cannot record a repeated run", r.error());
      else if (*r) counts_.targets = SplitTargets((*st)->Text(0));
    }
  }
  if (status.ok()) status = Exec("COMMIT");
  if (!status.ok()) {
    AbortRun();
    return status.error();
  }
  in_run_ = false;
  if (batch_mode_) {
    batch_runs_.push_back(BatchRun{counts_.run_id, run_.scope, run_.scanner, run_.file, counts_.targets, true, run_.events});
  }
  return counts_;
}

Result<BatchCounts> Store::CloseBatch(const BatchFailures& failures, const std::string& now) {
  if (in_run_) return MakeError(ErrorCode::kInternal, "a run is still open");
  BatchCounts out;
  out.batch = batch_id_;
  std::vector<BatchRun> runs;
  runs.swap(batch_runs_);
  batch_mode_ = false;
  if (runs.empty()) return out;
  if (read_only_) return MakeError(ErrorCode::kStore, "store opened read-only");
  FINDEX_RETURN_IF_ERROR(BeginWrite());
  std::vector<std::string> scopes;
  for (const auto& r : runs) scopes.push_back(r.scope);
  Status locked = LockScopes(scopes);
  if (locked.ok()) locked = IngestBarrier(/*exclusive=*/false, /*session=*/false);
  auto verdicts = locked.ok() ? JudgeAbsence(runs, failures, now) : Result<std::vector<TargetVerdict>>(locked.error());
  Status status = verdicts.ok() ? Exec("COMMIT") : Status(verdicts.error());
  if (!status.ok()) {
    Rollback();
    return status.error();
  }
  out.targets = std::move(*verdicts);
  for (const auto& v : out.targets) out.resolved += v.resolved;
  return out;
}

void Store::AbortRun() {
  if (!in_run_) return;
  Rollback();
  texts_->Rollback();
  pending_.clear();
  pending_fps_.clear();
  in_run_ = false;
}

Result<int64_t> Store::LatestRunId(const std::string& scope) {
  auto st = Prep(scope.empty() ? "SELECT max(id) FROM runs" : "SELECT max(id) FROM runs WHERE scope=?1");
  if (!st.ok()) return st.error();
  if (!scope.empty()) (*st)->BindText(1, scope);
  auto r = (*st)->Step();
  if (!r.ok()) return SqlError("run query failed", r.error());
  return *r && !(*st)->Null(0) ? (*st)->Int(0) : int64_t{0};
}

namespace {

// The sort keys are store/filter.cpp's (SortKeys, OrderByClause).

}  // namespace

namespace {

// The columns ForEachSql reads, in its order.
constexpr const char* kRowColumns =
    "SELECT id, first_seen_run, last_seen_run, asff_id, workflow, record_state, first_observed_at,"
    " last_observed_at, created_at, updated_at, severity, normalized,"
    " (SELECT details FROM finding_details d WHERE d.id = findings.id), scope, occurrences, sources,"
    " base_severity, lifecycle, triage, policy, note, note_by, note_at, udf, policy_workflow, policy_expires,"
    " coalesce(active_since_run, first_seen_run), generator_id, title, scanner, format, fingerprint, target"
    " FROM findings ";

}  // namespace

Status Store::ForEach(const FindingFilter& filter, const std::function<bool(FindingRow&&)>& fn) {
  auto where = CompileFilter(filter);
  if (!where.ok()) return where.error();
  std::string sql = kRowColumns;
  if (filter.limit >= 0) {
    // Pick the rows from the indexed columns first, so that documents are read only for the
    // rows returned (the gate lists 20 of maybe thousands).
    sql += "WHERE id IN (SELECT id FROM findings " + where->clause + OrderByClause(filter) + " LIMIT " +
           std::to_string(filter.limit) + ")" + OrderByClause(filter);
  } else {
    sql += where->clause + OrderByClause(filter);
  }
  return ForEachSql(sql, where->params, fn);
}

const char* Store::RowColumns() { return kRowColumns; }

Status Store::DecodeRow(DbStatement* st, FindingRow* row) {
  row->rowid = st->Int(0);
  row->first_seen_run = st->Int(1);
  row->last_seen_run = st->Int(2);
  Finding& f = row->finding;
  const std::string_view blob = st->Blob(12);
  Status rs = DecodeDetails(blob, [this](uint64_t h) { return texts_->Get(h); }, &f);
  if (!rs.ok()) {
    return MakeError(ErrorCode::kStore, "stored finding " + std::to_string(row->rowid) + ": " + rs.error().message);
  }
  if (!f.vulnerabilities.empty()) {
    // Rows read back carry the feeds' data as ingest gave it to the policy.
    auto fd = Feeds();
    if (!fd.ok()) return fd.error();
    if ((*fd)->loaded()) {
      ApplyFeeds(f, **fd);
      FINDEX_RETURN_IF_ERROR((*fd)->TakeError());
    }
  }
  f.generator_id = st->Str(27);
  f.title = st->Str(28);
  f.scanner = st->Str(29);
  f.format = st->Str(30);
  if (std::string_view fp = st->Blob(31); fp.size() == 16) std::memcpy(f.fingerprint.bytes.data(), fp.data(), 16);
  f.target = st->Str(32);
  f.id = st->Str(3);
  if (auto w = ParseWorkflowStatus(st->Str(4))) f.workflow = *w;
  if (auto r = ParseRecordState(st->Str(5))) f.record_state = *r;
  f.first_observed_at = st->Str(6);
  f.last_observed_at = st->Str(7);
  f.created_at = st->Str(8);
  f.updated_at = st->Str(9);
  f.severity.label = static_cast<SeverityLabel>(std::clamp(static_cast<int>(st->Int(10)), 0, 4));
  f.severity.normalized = static_cast<int>(st->Int(11));
  f.scope = st->Str(13);
  f.occurrences = static_cast<uint64_t>(st->Int(14));
  for (const auto& src : ParseSources(st->Text(15))) {
    if (!row->sources.empty()) row->sources += ";";
    row->sources += src.scanner + ":" + std::string(ToString(static_cast<SeverityLabel>(src.label)));
    if (!src.original.empty()) row->sources += "(" + src.original + ")";
  }
  row->base_severity = st->Null(16)
                          ? f.severity.label
                          : static_cast<SeverityLabel>(std::clamp(static_cast<int>(st->Int(16)), 0, 4));
  row->lifecycle = ParseWorkflowStatus(st->Str(17)).value_or(f.workflow);
  if (!st->Null(18)) row->triage = ParseWorkflowStatus(st->Str(18));
  row->policy = st->Str(19);
  if (!row->policy.empty()) f.product_fields["findex/Policy"] = row->policy;
  if (!st->Null(20)) f.note = Note{st->Str(20), st->Str(21), st->Str(22)};
  std::string udf = st->Str(23);
  for (size_t start = 0; start < udf.size();) {
    size_t end = udf.find('\x1e', start);
    if (end == std::string::npos) end = udf.size();
    std::string_view rec = std::string_view(udf).substr(start, end - start);
    size_t us = rec.find('\x1f');
    if (us != std::string_view::npos) f.user_defined_fields[std::string(rec.substr(0, us))] = std::string(rec.substr(us + 1));
    start = end + 1;
  }
  row->policy_workflow = st->Str(24);
  if (!st->Null(25)) row->policy_expires = st->Int(25);
  row->active_since_run = st->Int(26);
  return Status::Ok();
}

void Store::AsffFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  auto* self = static_cast<Store*>(sqlite3_user_data(ctx));
  if (argc != 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  const int64_t id = sqlite3_value_int64(argv[0]);
  // Prepared once per connection: `SELECT asff FROM v_findings` calls this once per row.
  if (!self->st_asff_) {
    auto st = self->db_->Prepare(std::string(kRowColumns) + "WHERE id=?1");
    if (!st.ok()) {
      sqlite3_result_error(ctx, st.error().message.c_str(), -1);
      return;
    }
    self->st_asff_ = std::move(*st);
  }
  DbStatement* st = self->st_asff_.get();
  st->Reset();
  st->BindInt(1, id);
  const auto r = st->Step();
  if (!r.ok() || !*r) {
    st->Reset();
    if (r.ok()) sqlite3_result_null(ctx);
    else sqlite3_result_error(ctx, "cannot read the finding", -1);
    return;
  }
  FindingRow row;
  Status s = self->DecodeRow(st, &row);
  st->Reset();
  if (!s.ok()) {
    sqlite3_result_error(ctx, s.error().message.c_str(), -1);
    return;
  }
  std::string out;
  {
    JsonWriter w(&out);
    WriteAsff(row.finding, w, AsffWriteOptions{false, -1});
  }
  sqlite3_result_text(ctx, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

Status Store::ForEachSql(const std::string& sql, const std::vector<std::string>& params,
                         const std::function<bool(FindingRow&&)>& fn) {
  auto prepared = Prep(sql);
  if (!prepared.ok()) return prepared.error();
  DbStatement* st = prepared->get();
  for (size_t i = 0; i < params.size(); ++i) st->BindText(static_cast<int>(i + 1), params[i]);
  Result<bool> rc = false;
  while ((rc = st->Step()).ok() && *rc) {
    FindingRow row;
    FINDEX_RETURN_IF_ERROR(DecodeRow(st, &row));
    if (!fn(std::move(row))) break;
  }
  if (!rc.ok()) return SqlError("query failed", rc.error());
  return Status::Ok();
}

Result<std::vector<GroupCount>> Store::GroupBy(const FindingFilter& filter, const std::string& field) {
  auto col = GroupByColumn(field, &filter);
  if (!col.ok()) return col.error();
  auto where = CompileFilter(filter);
  if (!where.ok()) return where.error();
  std::string sql;
  if (ToLower(field) == "severity") {
    // Grouped by the rank, which the covering index findings_gate has in order (no sort of
    // every row), then labelled: 3x faster than grouping by the label's CASE expression.
    sql = "SELECT CASE k WHEN 0 THEN 'INFORMATIONAL' WHEN 1 THEN 'LOW' WHEN 2 THEN 'MEDIUM' WHEN 3 THEN 'HIGH'"
          " ELSE 'CRITICAL' END AS k, n FROM (SELECT severity AS k, count(*) AS n FROM findings " +
          where->clause + " GROUP BY severity) AS g ORDER BY n DESC, k";
  } else {
    sql = "SELECT " + *col + " AS k, count(*) AS n FROM findings " + where->clause + " GROUP BY k ORDER BY n DESC, k";
  }
  if (filter.limit >= 0) sql += " LIMIT " + std::to_string(filter.limit);
  auto prepared = Prep(sql);
  if (!prepared.ok()) return prepared.error();
  DbStatement* st = prepared->get();
  for (size_t i = 0; i < where->params.size(); ++i) st->BindText(static_cast<int>(i + 1), where->params[i]);
  std::vector<GroupCount> out;
  Result<bool> rc = false;
  while ((rc = st->Step()).ok() && *rc) {
    GroupCount g;
    g.key = st->Null(0) ? std::string("(none)") : st->Str(0);
    g.count = static_cast<uint64_t>(st->Int(1));
    out.push_back(std::move(g));
  }
  if (!rc.ok()) return SqlError("group-by query failed", rc.error());
  return out;
}

WorkflowStatus GateWorkflow(const FindingRow& row, bool apply_policy, int64_t now_ms) {
  if (row.triage) return *row.triage;  // a person's decision always applies
  if (apply_policy && !row.policy_workflow.empty()) {
    auto w = ParseWorkflowStatus(row.policy_workflow);
    const bool expired = w == WorkflowStatus::kSuppressed && row.policy_expires && *row.policy_expires <= now_ms;
    if (w && !expired) return *w;
  }
  return row.lifecycle;
}

SeverityLabel GateSeverity(const FindingRow& row, bool apply_policy) {
  return apply_policy ? row.finding.severity.label : row.base_severity;
}

Result<GateRows> Store::Gate(const GateQuery& q) {
  // Counts come from the covering index findings_gate (record_state, severity, workflow, scope,
  // first_seen_run); rows are read only for what the index cannot tell: a SUPPRESSED row whose
  // policy suppression may have expired, a reopened finding (new_only), and --no-policy.
  // No gate counts a finding whose effective workflow (GateWorkflow) is SUPPRESSED or RESOLVED
  // (VEX `fixed`, a policy rule, triage), as the report, SLA clocks and exports read "active".
  const std::string now = std::to_string(q.now_ms);
  std::string cond = "record_state='ACTIVE'";
  if (q.apply_policy) {
    // The stored decision, except a policy suppression that has expired: then the finding is
    // what triage (none) and the lifecycle say. Only a SUPPRESSED row is read for it (a RESOLVED
    // one is left out from the index: the stored workflow is a RESOLVED triage or decision).
    cond += " AND severity >= " + std::to_string(static_cast<int>(q.fail_on)) +
            " AND (workflow NOT IN ('SUPPRESSED', 'RESOLVED') OR (workflow = 'SUPPRESSED' AND triage IS NULL AND"
            " policy_workflow = 'SUPPRESSED' AND policy_expires <= " +
            now + " AND coalesce(lifecycle, 'NEW') NOT IN ('SUPPRESSED', 'RESOLVED')))";
  } else {
    // --no-policy: no policy decision applies, neither its suppression, its resolution nor its
    // severity; a person's triage does.
    cond += " AND coalesce(base_severity, severity) >= " + std::to_string(static_cast<int>(q.fail_on)) +
            " AND coalesce(triage, lifecycle, workflow) NOT IN ('SUPPRESSED', 'RESOLVED')";
  }
  if (!q.scope.empty()) cond += " AND scope = ?1";
  if (q.new_only) {
    // Not active at the last passing gate: first seen, or reopened, after its mark.
    const std::string mark = std::to_string(q.new_since_run);
    cond += " AND (first_seen_run > " + mark + " OR active_since_run > " + mark + ")";
  }
  const std::string sev = q.apply_policy ? "severity" : "coalesce(base_severity, severity)";
  GateRows out;
  std::string sql = "SELECT " + sev + " AS s, count(*) FROM findings WHERE " + cond + " GROUP BY s ORDER BY s DESC";
  {
    auto prepared = Prep(sql);
    if (!prepared.ok()) return prepared.error();
    DbStatement* st = prepared->get();
    if (!q.scope.empty()) st->BindText(1, q.scope);
    Result<bool> rc = false;
    while ((rc = st->Step()).ok() && *rc) {
      auto label = static_cast<SeverityLabel>(std::clamp<int64_t>(st->Int(0), 0, 4));
      uint64_t n = static_cast<uint64_t>(st->Int(1));
      out.by_label.emplace_back(label, n);
      out.total += n;
    }
    if (!rc.ok()) return SqlError("gate query failed", rc.error());
  }
  if (out.total == 0 || q.cap == 0) return out;
  // The most severe first; documents are read for the listed rows only.
  const std::string order = " ORDER BY " + sev + " DESC, id";
  sql = std::string(kRowColumns) + "WHERE id IN (SELECT id FROM findings WHERE " + cond + order + " LIMIT " +
        std::to_string(q.cap) + ")" + order;
  std::vector<std::string> params;
  if (!q.scope.empty()) params.push_back(q.scope);
  Status s = ForEachSql(sql, params, [&](FindingRow&& row) {
    out.worst.push_back(std::move(row));
    return true;
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<int64_t>> Store::LatestBatchRuns(const std::string& scope) {
  auto prepared = Prep(
      // Each scope's latest ingest, as query --new and the gate's listing read "new".
      scope.empty() ? "SELECT id FROM runs r WHERE batch = (SELECT max(batch) FROM runs r2 WHERE r2.scope = r.scope)"
                    : "SELECT id FROM runs WHERE scope=?1 AND batch = (SELECT max(batch) FROM runs WHERE scope=?1)");
  if (!prepared.ok()) return prepared.error();
  DbStatement* st = prepared->get();
  if (!scope.empty()) st->BindText(1, scope);
  std::vector<int64_t> out;
  Result<bool> rc = false;
  while ((rc = st->Step()).ok() && *rc) out.push_back(st->Int(0));
  if (!rc.ok()) return SqlError("run query failed", rc.error());
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> Store::ActiveFingerprints(const std::string& scope) {
  auto prepared = Prep("SELECT " + d_.hex("fingerprint") + " FROM findings WHERE scope=?1 AND record_state='ACTIVE'");
  if (!prepared.ok()) return prepared.error();
  DbStatement* st = prepared->get();
  st->BindText(1, scope);
  std::vector<std::string> out;
  Result<bool> rc = false;
  while ((rc = st->Step()).ok() && *rc) out.push_back(st->Str(0));
  if (!rc.ok()) return SqlError("baseline query failed", rc.error());
  return out;
}

Result<std::vector<std::string>> Store::Scopes() {
  // Every finding was stored by a run of its scope: the runs name every scope.
  auto prepared = Prep("SELECT DISTINCT scope FROM runs ORDER BY scope");
  if (!prepared.ok()) return prepared.error();
  DbStatement* st = prepared->get();
  std::vector<std::string> out;
  Result<bool> rc = false;
  while ((rc = st->Step()).ok() && *rc) out.push_back(st->Str(0));
  if (!rc.ok()) return SqlError("scope query failed", rc.error());
  return out;
}

Status Store::IngestBarrier(bool exclusive, bool session) {
  if (!d_.pg()) return Status::Ok();
  const std::string key = "findex-ingests\x1f" + pg_schema_;
  const char* fn = session ? (exclusive ? "pg_advisory_lock" : "pg_advisory_lock_shared")
                           : (exclusive ? "pg_advisory_xact_lock" : "pg_advisory_xact_lock_shared");
  auto st = Prep(std::string("SELECT ") + fn + "(?1)");
  if (!st.ok()) return st.error();
  (*st)->BindInt(1, static_cast<int64_t>(XXH3_64bits(key.data(), key.size())));
  if (Status s = (*st)->Run(); !s.ok()) return SqlError("cannot lock the store", s.error());
  return Status::Ok();
}

Status Store::BeginSnapshot(bool after_ingests) {
  // PostgreSQL: one snapshot for every statement of the transaction (ingests that commit
  // meanwhile are not seen half).
  if (d_.pg() && after_ingests) {
    // Run ids come from a sequence: an ingest still open may hold a smaller id than one that
    // committed. A gate's mark (the highest run id it saw) must not pass over it, or that
    // ingest's findings would never count as new: wait for the ingests under way (they hold
    // the barrier shared), take the snapshot, and let new ones (higher ids) start.
    FINDEX_RETURN_IF_ERROR(IngestBarrier(/*exclusive=*/true, /*session=*/true));
    Status s = Exec("BEGIN ISOLATION LEVEL REPEATABLE READ");
    if (s.ok()) s = Exec("SELECT count(*) FROM gate_verdicts WHERE id < 0");
    const std::string key = "findex-ingests\x1f" + pg_schema_;
    auto un = Prep("SELECT pg_advisory_unlock(?1)");
    if (un.ok()) {
      (*un)->BindInt(1, static_cast<int64_t>(XXH3_64bits(key.data(), key.size())));
      (void)(*un)->Run();
    }
    return s;
  }
  if (d_.pg()) return Exec("BEGIN ISOLATION LEVEL REPEATABLE READ");
  FINDEX_RETURN_IF_ERROR(Exec("BEGIN"));
  // A deferred transaction takes its snapshot at the first read.
  return Exec("SELECT count(*) FROM gate_verdicts WHERE id < 0");
}

Status Store::EndSnapshot() { return Exec("COMMIT"); }

Result<std::optional<GateVerdictRecord>> Store::LastPass(const std::string& scope, const std::string& gate) {
  auto prepared = Prep(
      "SELECT id, at, mark_run, violations, accepted_by, reason, policy FROM gate_verdicts"
      " WHERE scope=?1 AND gate=?2 AND passed=1 ORDER BY id DESC LIMIT 1");
  if (!prepared.ok()) return prepared.error();
  DbStatement* st = prepared->get();
  st->BindText(1, scope);
  st->BindText(2, gate);
  std::optional<GateVerdictRecord> out;
  auto rc = st->Step();
  if (!rc.ok()) return SqlError("gate verdict query failed", rc.error());
  if (*rc) {
    GateVerdictRecord v;
    v.id = st->Int(0);
    v.scope = scope;
    v.gate = gate;
    v.at = st->Str(1);
    v.passed = true;
    v.mark_run = st->Int(2);
    v.violations = static_cast<uint64_t>(st->Int(3));
    v.accepted_by = st->Str(4);
    v.reason = st->Str(5);
    v.policy = st->Str(6);
    out = std::move(v);
  }
  return out;
}

Status Store::RecordGateVerdicts(const std::vector<GateVerdictRecord>& verdicts) {
  if (read_only_) return MakeError(ErrorCode::kStore, "store opened read-only");
  FINDEX_RETURN_IF_ERROR(BeginWrite());
  auto prepared = Prep(
      "INSERT INTO gate_verdicts(scope, gate, at, passed, mark_run, violations, accepted_by, reason, policy)"
      " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)");
  Status status = prepared.ok() ? Status::Ok() : Status(prepared.error());
  for (size_t i = 0; status.ok() && i < verdicts.size(); ++i) {
    const GateVerdictRecord& v = verdicts[i];
    DbStatement* st = prepared->get();
    st->Reset();
    st->BindText(1, v.scope);
    st->BindText(2, v.gate);
    st->BindText(3, v.at);
    st->BindInt(4, v.passed ? 1 : 0);
    st->BindInt(5, v.mark_run);
    st->BindInt(6, static_cast<int64_t>(v.violations));
    st->BindOptText(7, v.accepted_by);
    st->BindOptText(8, v.reason);
    st->BindText(9, v.policy);
    if (Status r = st->Run(); !r.ok()) status = SqlError("cannot record the gate verdict", r.error());
  }
  if (status.ok()) status = Exec("COMMIT");
  if (!status.ok()) Rollback();
  return status;
}

Result<int64_t> Store::Resolve(const std::string& id) {
  std::string key = Trim(id);
  if (key.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty finding id");
  const bool digits = std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits && key.size() < 8 && !StartsWith(key, "findex/")) {
    // Triage names one finding: a prefix shorter than 8 hex digits is too easily another's.
    return MakeError(ErrorCode::kNotFound, "no finding with id '" + key + "' (give 8 or more hex digits of the Id)");
  }
  // The ASFF Id (or a prefix of it), a fingerprint prefix, or a row id: the same rules as
  // `query --id` (IdCondition, store/filter.h).
  std::vector<std::string> params;
  const std::string sql = "SELECT id FROM findings WHERE " + IdCondition(key, &params) + " LIMIT 2";
  auto prepared = Prep(sql);
  if (!prepared.ok()) return prepared.error();
  DbStatement* st = prepared->get();
  for (size_t i = 0; i < params.size(); ++i) st->BindText(static_cast<int>(i + 1), params[i]);
  std::vector<int64_t> ids;
  Result<bool> rc = false;
  while ((rc = st->Step()).ok() && *rc) ids.push_back(st->Int(0));
  if (!rc.ok()) return SqlError("finding lookup failed", rc.error());
  if (ids.empty()) return MakeError(ErrorCode::kNotFound, "no finding with id '" + key + "'");
  if (ids.size() > 1) {
    return MakeError(ErrorCode::kInvalidArgument, "'" + key + "' names several findings; give more of the fingerprint or the full Id");
  }
  return ids[0];
}

Status Store::Triage(const std::vector<int64_t>& rowids, const TriageChange& change) {
  if (read_only_) return MakeError(ErrorCode::kStore, "store opened read-only");
  if (change.by.empty()) return MakeError(ErrorCode::kInvalidArgument, "who made the change is required (--by)");
  if (!change.status && change.note.empty()) return MakeError(ErrorCode::kInvalidArgument, "nothing to change: empty note");
  // All the findings change, or none.
  FINDEX_RETURN_IF_ERROR(BeginWrite());
  history_now_ = change.now;
  for (int64_t rowid : rowids) {
    if (Status s = TriageOne(rowid, change); !s.ok()) {
      Rollback();
      return s;
    }
  }
  if (Status s = Exec("COMMIT"); !s.ok()) {
    Rollback();
    return s;
  }
  return Status::Ok();
}

Status Store::TriageOne(int64_t rowid, const TriageChange& change) {
  std::string old_workflow, old_note, actions, scope;
  {
    auto st = Prep("SELECT workflow, note, actions, scope FROM findings WHERE id=?1");
    if (!st.ok()) return st.error();
    (*st)->BindInt(1, rowid);
    auto r = (*st)->Step();
    if (!r.ok()) return SqlError("finding lookup failed", r.error());
    if (!*r) return MakeError(ErrorCode::kNotFound, "no finding " + std::to_string(rowid));
    old_workflow = (*st)->Str(0);
    old_note = (*st)->Str(1);
    actions = (*st)->Str(2);
    scope = (*st)->Str(3);
  }
  if (change.status) {
    const std::string w(ToString(*change.status));
    auto st = Prep("UPDATE findings SET triage=?1, workflow=?1, updated_at=?2 WHERE id=?3");
    if (!st.ok()) return st.error();
    (*st)->BindText(1, w);
    (*st)->BindText(2, change.now);
    (*st)->BindInt(3, rowid);
    if (Status r = (*st)->Run(); !r.ok()) return SqlError("cannot triage finding", r.error());
    FINDEX_RETURN_IF_ERROR(AddHistory(rowid, change.by, "triage", "workflow", old_workflow, w, change.note));
    // Response actions on a person's decision: suppressed or resolved, once per decision (the
    // occurrence is the history entry's id, negative: runs number the ingest's events).
    const unsigned bit = w == "SUPPRESSED" ? kOnSuppressed : w == "RESOLVED" ? kOnResolved : 0u;
    if (bit && w != old_workflow && !actions.empty() && !action_events_.empty()) {
      auto h = Prep("SELECT max(id) FROM history WHERE finding_id=?1");
      if (!h.ok()) return h.error();
      (*h)->BindInt(1, rowid);
      auto hr = (*h)->Step();
      if (!hr.ok()) return SqlError("cannot read history", hr.error());
      const int64_t occurrence = -(*h)->Int(0);
      for (const auto& [name, events] : action_events_) {
        if (!(events & bit) || actions.find('\x1f' + name + '\x1f') == std::string::npos) continue;
        auto ins = Prep(
            "INSERT INTO deliveries(action, finding_id, event, occurrence, scope, state, created_at, updated_at)"
            " VALUES(?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6) ON CONFLICT DO NOTHING");
        if (!ins.ok()) return ins.error();
        (*ins)->BindText(1, name);
        (*ins)->BindInt(2, rowid);
        (*ins)->BindText(3, bit == kOnSuppressed ? "suppressed" : "resolved");
        (*ins)->BindInt(4, occurrence);
        (*ins)->BindText(5, scope);
        (*ins)->BindText(6, change.now);
        if (Status r = (*ins)->Run(); !r.ok()) return SqlError("cannot record a delivery", r.error());
      }
    }
  }
  if (!change.note.empty()) {
    auto st = Prep("UPDATE findings SET note=?1, note_by=?2, note_at=?3, updated_at=?3 WHERE id=?4");
    if (!st.ok()) return st.error();
    (*st)->BindText(1, change.note);
    (*st)->BindText(2, change.by);
    (*st)->BindText(3, change.now);
    (*st)->BindInt(4, rowid);
    if (Status r = (*st)->Run(); !r.ok()) return SqlError("cannot record note", r.error());
    if (!change.status) FINDEX_RETURN_IF_ERROR(AddHistory(rowid, change.by, "note", "note", old_note, change.note, ""));
  }
  return Status::Ok();
}

Result<std::vector<HistoryEntry>> Store::History(int64_t rowid) {
  // First sight comes from the runs table, so that ingest does not write a history row per finding.
  auto prepared = Prep(
      "SELECT f.created_at, 'ingest run ' || CAST(f.first_seen_run AS TEXT), 'created', 'workflow', NULL, 'NEW',"
      "       'first seen in ' || coalesce(r.file, '?'), 0 AS k"
      " FROM findings f LEFT JOIN runs r ON r.id = f.first_seen_run WHERE f.id=?1"
      " UNION ALL SELECT at, actor, action, field, old, new, note, id FROM history WHERE finding_id=?1"
      " ORDER BY k");
  if (!prepared.ok()) return prepared.error();
  DbStatement* st = prepared->get();
  st->BindInt(1, rowid);
  std::vector<HistoryEntry> out;
  Result<bool> rc = false;
  while ((rc = st->Step()).ok() && *rc) {
    out.push_back(HistoryEntry{st->Str(0), st->Str(1), st->Str(2), st->Str(3), st->Str(4), st->Str(5), st->Str(6)});
  }
  if (!rc.ok()) return SqlError("history query failed", rc.error());
  return out;
}

Status Store::SqlPostgres(const std::string& sql, double timeout_s, const std::function<void(const DbStatement&)>& columns,
                          const std::function<void(const DbStatement&)>& fn) {
  if (!d_.pg()) return MakeError(ErrorCode::kInternal, "not a PostgreSQL store");
  // A read-only transaction: the server refuses any write, whatever the statement is.
  FINDEX_RETURN_IF_ERROR(Exec("BEGIN TRANSACTION READ ONLY"));
  Status status = Status::Ok();
  if (timeout_s > 0) {
    status = Exec("SET LOCAL statement_timeout = " + std::to_string(static_cast<int64_t>(std::min(timeout_s, 1e6) * 1000)));
  }
  auto prepared = status.ok() ? db_->Prepare(sql) : Result<std::unique_ptr<DbStatement>>(status.error());
  if (prepared.ok()) {
    DbStatement* st = prepared->get();
    Result<bool> rc = false;
    bool first = true;
    while ((rc = st->Step()).ok()) {
      if (first) columns(*st);  // also when there is no row
      first = false;
      if (!*rc) break;
      fn(*st);
    }
    if (!rc.ok()) status = rc.error();
  } else {
    status = prepared.error();
  }
  Rollback();
  return status;
}

Status Store::Sql(const std::string& sql,
                  const std::function<void(const std::vector<std::string>&,
                                           const std::vector<std::optional<std::string>>&)>& fn) {
  if (d_.pg()) {
    std::vector<std::string> cols;
    std::vector<std::optional<std::string>> vals;
    auto on_columns = [&](const DbStatement& st) {
      for (int i = 0; i < st.Columns(); ++i) cols.push_back(st.Name(i));
      vals.resize(cols.size());
    };
    Status status = SqlPostgres(sql, 0, on_columns, [&](const DbStatement& st) {
      for (size_t i = 0; i < cols.size(); ++i) {
        if (st.Null(static_cast<int>(i))) vals[i].reset();
        else vals[i] = st.Str(static_cast<int>(i));
      }
      fn(cols, vals);
    });
    if (!status.ok()) return MakeError(ErrorCode::kInvalidArgument, "SQL error: " + status.error().message);
    return Status::Ok();
  }
  sqlite3_stmt* st = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(lite_, sql.c_str(), -1, &st, &tail) != SQLITE_OK) return SqlError("SQL error");
  if (!st) return MakeError(ErrorCode::kInvalidArgument, "empty SQL statement");
  if (!sqlite3_stmt_readonly(st)) {
    sqlite3_finalize(st);
    return MakeError(ErrorCode::kInvalidArgument, "only read-only statements are allowed (SELECT, WITH, EXPLAIN)");
  }
  if (tail && !Trim(tail).empty() && Trim(tail) != ";") {
    sqlite3_finalize(st);
    return MakeError(ErrorCode::kInvalidArgument, "one statement at a time");
  }
  int n = sqlite3_column_count(st);
  std::vector<std::string> cols;
  for (int i = 0; i < n; ++i) cols.emplace_back(sqlite3_column_name(st, i));
  int rc;
  std::vector<std::optional<std::string>> vals(static_cast<size_t>(n));
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    for (int i = 0; i < n; ++i) {
      if (sqlite3_column_type(st, i) == SQLITE_NULL) vals[static_cast<size_t>(i)].reset();
      else vals[static_cast<size_t>(i)] = std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, i)), static_cast<size_t>(sqlite3_column_bytes(st, i)));
    }
    fn(cols, vals);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return SqlError("SQL error");
  return Status::Ok();
}

}  // namespace findex
