// An input report held in one padded buffer (simdjson needs SIMDJSON_PADDING bytes after it).
// Gzip input (.gz or gzip magic) is inflated transparently. A regular file is read with one
// read() into a private anonymous mapping that is populated up front (huge pages where the
// kernel gives them): page faults on a fresh std::string were most of the read's cost. The
// mapping is a copy (a report truncated while it is read cannot SIGBUS findex), writable
// (pugixml parses in place) and zero past the end (simdjson's padding). Ownership: the Source owns the
// bytes; every view handed out (data(), text(), head()) lives as long as the Source.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "normalize/result.h"

namespace findex {

// Caps on what one report may make findex hold in memory (`findex ingest --max-report-size`).
struct SourceLimits {
  static constexpr uint64_t kDefaultMaxBytes = 2ull << 30;  // 2 GiB
  // Largest report, in bytes: the file or standard input as read, and a gzip report once
  // inflated (checked while inflating, so a gzip bomb stops at the cap).
  uint64_t max_bytes = kDefaultMaxBytes;
  // A gzip member that inflates more than this many times its compressed size, past 64 MiB
  // of output, is refused as a decompression bomb (deflate's own limit is about 1032:1; real
  // reports stay far below it). 0 disables the check.
  uint64_t max_inflate_ratio = 1000;
};

class Source {
 public:
  static constexpr uint64_t kDefaultMaxBytes = SourceLimits::kDefaultMaxBytes;

  // path "-" reads standard input.
  static Result<Source> FromFile(const std::string& path, const SourceLimits& limits = {});
  static Result<Source> FromFile(const std::string& path, uint64_t max_bytes) {
    SourceLimits l;
    l.max_bytes = max_bytes;
    return FromFile(path, l);
  }
  // Bytes already in memory (standard input read by the caller): inflated when gzip, capped.
  static Result<Source> FromBytes(std::string bytes, std::string name, const SourceLimits& limits = {});
  static Source FromString(std::string_view bytes, std::string name = "<memory>");

  const std::string& path() const { return path_; }
  // Whole content, without a UTF-8 byte-order mark.
  std::string_view text() const { return std::string_view(base() + bom_, size_ - bom_); }
  // Offset of text() inside the original bytes (3 after a BOM), for reject offsets.
  size_t text_offset() const { return bom_; }
  // Padded view for simdjson over text(); valid while the Source lives.
  simdjson::padded_string_view padded() const {
    return simdjson::padded_string_view(base() + bom_, size_ - bom_, capacity_ - bom_);
  }
  // Mutable copy helpers for parsers that parse in place (pugixml): data of size text().size().
  std::string_view head(size_t n = 64 * 1024) const { return text().substr(0, n); }
  uint64_t size() const { return size_; }
  uint64_t raw_size() const { return raw_size_; }  // bytes read (compressed size for .gz)
  uint64_t content_hash() const { return hash_; }  // XXH3-64 of the decompressed bytes
  // 1-based line of byte `offset` of text() (clamped to its end), for reject locations. The
  // first call builds an index of line counts per 4 KiB block (one pass over the file, 1/1024
  // of its size); each call then counts newlines in at most one block: a file with many
  // rejects costs O(size + rejects), never O(size x rejects).
  uint32_t LineAt(uint64_t offset) const;

  Source(Source&&) = default;
  Source& operator=(Source&&) = default;

 private:
  Source() = default;
  static Result<Source> FromFileUnguarded(const std::string& path, const SourceLimits& limits);
  static Result<Source> FromBytesUnguarded(std::string bytes, std::string name, const SourceLimits& limits);
  void Finish();
  // A private anonymous mapping of `len` bytes (munmap'd on destruction).
  struct Mapping {
    char* p = nullptr;
    size_t len = 0;
    Mapping() = default;
    Mapping(Mapping&& o) noexcept : p(o.p), len(o.len) { o.p = nullptr, o.len = 0; }
    Mapping& operator=(Mapping&& o) noexcept;
    ~Mapping();
  };
  const char* base() const { return map_.p ? map_.p : buf_.data(); }
  void FinishMapped(size_t n);
  // Inflates gzip data into map_ (path_ set); then FinishMapped.
  Status InflateFrom(std::string_view gz, const SourceLimits& limits);
  std::string path_;
  std::string buf_;  // size_ bytes + padding (unless map_ holds the bytes)
  Mapping map_;      // the bytes of a regular file, read in one go, + zero padding
  size_t size_ = 0;
  size_t capacity_ = 0;
  size_t bom_ = 0;
  uint64_t raw_size_ = 0;
  uint64_t hash_ = 0;
  mutable std::vector<uint32_t> line_index_;  // lines before each 4 KiB block of text()
  mutable bool line_index_ready_ = false;
};

// "2G", "500M", "64k", "2GiB", "1048576" (binary units; K, M, G, T, with an optional "iB" or
// "B") as bytes; an error for anything else, zero, or a size that does not fit.
Result<uint64_t> ParseByteSize(std::string_view text);

// Line number (1-based) of byte `offset` in `text`: counts from the start of `text` (O(offset)).
// Call it once per file at most; for rejects use Source::LineAt.
uint32_t LineOf(std::string_view text, size_t offset);

}  // namespace findex
