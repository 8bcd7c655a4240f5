#include "store/texts.h"

namespace findex {
namespace {

constexpr size_t kMaxKnown = 4u << 20;      // hashes remembered as stored
constexpr size_t kMaxCacheBytes = 64u << 20;  // texts kept for reading

Error SqlErr(sqlite3* db, const char* what) {
  return MakeError(ErrorCode::kStore, std::string(what) + ": " + sqlite3_errmsg(db));
}

}  // namespace

TextTable::~TextTable() {
  sqlite3_finalize(st_get_);
  sqlite3_finalize(st_put_);
}

Status TextTable::Intern(const std::vector<DetailText>& texts, bool* collision) {
  *collision = false;
  for (const auto& t : texts) {
    if (known_.count(t.hash)) continue;
    if (!st_get_ && sqlite3_prepare_v3(db_, "SELECT body FROM texts WHERE hash=?1", -1, SQLITE_PREPARE_PERSISTENT,
                                       &st_get_, nullptr) != SQLITE_OK) {
      return SqlErr(db_, "cannot read texts");
    }
    sqlite3_reset(st_get_);
    sqlite3_bind_int64(st_get_, 1, static_cast<int64_t>(t.hash));
    int rc = sqlite3_step(st_get_);
    if (rc == SQLITE_ROW) {
      std::string_view body(reinterpret_cast<const char*>(sqlite3_column_text(st_get_, 0)),
                            static_cast<size_t>(sqlite3_column_bytes(st_get_, 0)));
      const bool same = body == t.text;
      sqlite3_reset(st_get_);
      if (!same) {
        *collision = true;
        continue;
      }
    } else if (rc == SQLITE_DONE) {
      sqlite3_reset(st_get_);
      if (!st_put_ && sqlite3_prepare_v3(db_, "INSERT INTO texts(hash, body) VALUES(?1, ?2)", -1,
                                         SQLITE_PREPARE_PERSISTENT, &st_put_, nullptr) != SQLITE_OK) {
        return SqlErr(db_, "cannot store texts");
      }
      sqlite3_reset(st_put_);
      sqlite3_bind_int64(st_put_, 1, static_cast<int64_t>(t.hash));
      sqlite3_bind_text(st_put_, 2, t.text.data(), static_cast<int>(t.text.size()), SQLITE_STATIC);
      rc = sqlite3_step(st_put_);
      sqlite3_reset(st_put_);
      if (rc != SQLITE_DONE) return SqlErr(db_, "cannot store a text");
      added_.push_back(t.hash);
    } else {
      sqlite3_reset(st_get_);
      return SqlErr(db_, "cannot read texts");
    }
    if (known_.size() >= kMaxKnown) known_.clear();
    known_.insert(t.hash);
  }
  return Status::Ok();
}

Status TextTable::Put(const Finding& f, const std::vector<DetailText>& texts, std::string* details) {
  bool collision = false;
  FINDEX_RETURN_IF_ERROR(Intern(texts, &collision));
  if (collision) EncodeDetails(f, EncodeOptions{0}, details, nullptr);  // never seen in practice
  return Status::Ok();
}

void TextTable::Rollback() {
  for (uint64_t h : added_) {
    known_.erase(h);
    if (auto it = cache_.find(h); it != cache_.end()) {
      cache_bytes_ -= it->second.size();
      cache_.erase(it);
    }
  }
  added_.clear();
}

Result<std::string> TextTable::Get(uint64_t hash) {
  if (auto it = cache_.find(hash); it != cache_.end()) return it->second;
  if (!st_get_ && sqlite3_prepare_v3(db_, "SELECT body FROM texts WHERE hash=?1", -1, SQLITE_PREPARE_PERSISTENT,
                                     &st_get_, nullptr) != SQLITE_OK) {
    return SqlErr(db_, "cannot read texts");
  }
  sqlite3_reset(st_get_);
  sqlite3_bind_int64(st_get_, 1, static_cast<int64_t>(hash));
  int rc = sqlite3_step(st_get_);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st_get_);
    if (rc == SQLITE_DONE) return MakeError(ErrorCode::kStore, "a stored finding refers to a missing text");
    return SqlErr(db_, "cannot read texts");
  }
  std::string body(reinterpret_cast<const char*>(sqlite3_column_text(st_get_, 0)),
                   static_cast<size_t>(sqlite3_column_bytes(st_get_, 0)));
  sqlite3_reset(st_get_);
  if (cache_bytes_ + body.size() > kMaxCacheBytes) {
    cache_.clear();
    cache_bytes_ = 0;
  }
  cache_bytes_ += body.size();
  cache_.emplace(hash, body);
  return body;
}

}  // namespace findex
