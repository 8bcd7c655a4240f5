#include "store/texts.h"

#include <algorithm>

namespace findex {
namespace {

constexpr size_t kMaxKnown = 4u << 20;        // hashes remembered as stored
constexpr size_t kMaxCacheBytes = 64u << 20;  // texts kept for reading

Error SqlErr(const char* what, const Error& e) {
  return MakeError(ErrorCode::kStore, std::string(what) + ": " + e.message);
}

}  // namespace

TextTable::~TextTable() = default;

Status TextTable::Prepare() {
  if (st_get_) return Status::Ok();
  auto get = db_->Prepare("SELECT body FROM texts WHERE hash=?1");
  if (!get.ok()) return SqlErr("cannot read texts", get.error());
  st_get_ = std::move(*get);
  return Status::Ok();
}

Status TextTable::PrepareWrite() {
  FINDEX_RETURN_IF_ERROR(Prepare());
  if (st_put_) return Status::Ok();
  // A separate writer commits each text at once (PostgreSQL: no lock on a text is held while
  // a file's transaction runs, so concurrent runners never wait on each other's texts).
  auto put = writer_->Prepare("INSERT INTO texts(hash, body) VALUES(?1, ?2) ON CONFLICT(hash) DO NOTHING");
  if (!put.ok()) return SqlErr("cannot store texts", put.error());
  st_put_ = std::move(*put);
  if (writer_ != db_) {
    auto wget = writer_->Prepare("SELECT body FROM texts WHERE hash=?1");
    if (!wget.ok()) return SqlErr("cannot read texts", wget.error());
    st_wget_ = std::move(*wget);
  }
  return Status::Ok();
}

Status TextTable::Intern(const std::vector<DetailText>& texts, bool* collision) {
  *collision = false;
  for (const auto& t : texts) {
    if (known_.count(t.hash)) continue;
    FINDEX_RETURN_IF_ERROR(PrepareWrite());
    // Insert, then read back whatever is stored under the hash: the same text, or another
    // (a collision).
    st_put_->Reset();
    st_put_->BindInt(1, static_cast<int64_t>(t.hash));
    st_put_->BindText(2, t.text);
    if (Status s = st_put_->Run(); !s.ok()) return SqlErr("cannot store a text", s.error());
    const bool inserted = st_put_->Changes() > 0;
    st_put_->Reset();
    if (inserted) {
      if (writer_ == db_) added_.push_back(t.hash);
    } else {
      DbStatement* get = st_wget_ ? st_wget_.get() : st_get_.get();
      get->Reset();
      get->BindInt(1, static_cast<int64_t>(t.hash));
      auto r = get->Step();
      if (!r.ok()) return SqlErr("cannot read texts", r.error());
      const bool same = *r && get->Text(0) == t.text;
      get->Reset();
      if (!same) {
        *collision = true;
        continue;
      }
    }
    if (known_.size() >= kMaxKnown) known_.clear();
    known_.insert(t.hash);
  }
  return Status::Ok();
}

namespace {
// An element of a PostgreSQL array literal: quoted, with " and \ escaped.
void ArrayElement(std::string* out, std::string_view v) {
  out->push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}
}  // namespace

Status TextTable::InternMany(const std::vector<DetailText>& texts) {
  std::vector<const DetailText*> todo;
  std::unordered_set<uint64_t> seen;
  for (const auto& t : texts) {
    if (!known_.count(t.hash) && seen.insert(t.hash).second) todo.push_back(&t);
  }
  if (todo.empty()) return Status::Ok();
  std::sort(todo.begin(), todo.end(), [](const DetailText* a, const DetailText* b) {
    return static_cast<int64_t>(a->hash) < static_cast<int64_t>(b->hash);
  });
  std::string hashes = "{", bodies = "{";
  for (const DetailText* t : todo) {
    if (hashes.size() > 1) {
      hashes += ',';
      bodies += ',';
    }
    hashes += std::to_string(static_cast<int64_t>(t->hash));
    ArrayElement(&bodies, t->text);
  }
  hashes += '}';
  bodies += '}';
  auto ins = writer_->Prepare(
      "INSERT INTO texts(hash, body) SELECT h, b FROM unnest(CAST(?1 AS BIGINT[]), CAST(?2 AS TEXT[])) AS t(h, b)"
      " ORDER BY h ON CONFLICT (hash) DO NOTHING");
  if (!ins.ok()) return SqlErr("cannot store texts", ins.error());
  (*ins)->BindText(1, hashes);
  (*ins)->BindText(2, bodies);
  if (Status s = (*ins)->Run(); !s.ok()) return SqlErr("cannot store texts", s.error());
  // What is stored under each hash now: the same text, or (rarely) another.
  auto get = writer_->Prepare("SELECT hash, body FROM texts WHERE hash = ANY(CAST(?1 AS BIGINT[]))");
  if (!get.ok()) return SqlErr("cannot read texts", get.error());
  (*get)->BindText(1, hashes);
  std::unordered_map<uint64_t, const DetailText*> by_hash;
  for (const DetailText* t : todo) by_hash.emplace(t->hash, t);
  Result<bool> r = false;
  while ((r = (*get)->Step()).ok() && *r) {
    const uint64_t h = static_cast<uint64_t>((*get)->Int(0));
    auto it = by_hash.find(h);
    if (it == by_hash.end() || (*get)->Text(1) != it->second->text) continue;
    if (known_.size() >= kMaxKnown) known_.clear();
    known_.insert(h);
  }
  if (!r.ok()) return SqlErr("cannot read texts", r.error());
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
  FINDEX_RETURN_IF_ERROR(Prepare());
  st_get_->Reset();
  st_get_->BindInt(1, static_cast<int64_t>(hash));
  auto r = st_get_->Step();
  if (!r.ok()) return SqlErr("cannot read texts", r.error());
  if (!*r) {
    st_get_->Reset();
    return MakeError(ErrorCode::kStore, "a stored finding refers to a missing text");
  }
  std::string body = st_get_->Str(0);
  st_get_->Reset();
  if (cache_bytes_ + body.size() > kMaxCacheBytes) {
    cache_.clear();
    cache_bytes_ = 0;
  }
  cache_bytes_ += body.size();
  cache_.emplace(hash, body);
  return body;
}

}  // namespace findex
