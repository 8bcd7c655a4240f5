// The content-addressed text table of schema 6 (store/schema.cpp: `texts`): rule and
// vulnerability text stored once, referenced by its hash from findings' details.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "normalize/finding_codec.h"
#include "normalize/result.h"
#include "store/db.h"

namespace findex {

class TextTable {
 public:
  // `writer`: where texts are written (default: `db`, inside the caller's transaction).
  explicit TextTable(Db* db, Db* writer = nullptr) : db_(db), writer_(writer ? writer : db) {}
  ~TextTable();
  TextTable(const TextTable&) = delete;
  TextTable& operator=(const TextTable&) = delete;

  // Stores the texts that are not stored yet (inside the caller's transaction). `collision`
  // becomes true when a hash is taken by another text: the caller stores that finding's
  // details with every text inline instead.
  Status Intern(const std::vector<DetailText>& texts, bool* collision);
  // PostgreSQL: stores many texts in two statements (sorted by hash, so that concurrent runners
  // never wait on each other in a cycle); a text whose hash holds another text stays unknown,
  // and Intern later finds the collision.
  Status InternMany(const std::vector<DetailText>& texts);
  // Stores the texts `details` (EncodeDetails of f) refers to; on a collision, re-encodes
  // `details` with every text inline.
  Status Put(const Finding& f, const std::vector<DetailText>& texts, std::string* details);
  // Forgets what this process stored since the last Commit() (the transaction rolled back).
  void Rollback();
  void Commit() { added_.clear(); }

  // The text of a reference (cached; the cache is bounded).
  Result<std::string> Get(uint64_t hash);

 private:
  Status Prepare();       // reads
  Status PrepareWrite();  // and writes
  Db* db_;
  Db* writer_;
  std::unique_ptr<DbStatement> st_get_, st_put_, st_wget_;
  std::unordered_set<uint64_t> known_;  // stored (committed or in this transaction) and checked
  std::vector<uint64_t> added_;         // stored in the open transaction
  std::unordered_map<uint64_t, std::string> cache_;
  size_t cache_bytes_ = 0;
};

}  // namespace findex
