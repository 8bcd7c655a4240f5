// An input report held in one padded buffer (simdjson needs SIMDJSON_PADDING bytes after it).
// Gzip input (.gz or gzip magic) is inflated transparently. Ownership: the Source owns the
// bytes; every view handed out (data(), text(), head()) lives as long as the Source.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "normalize/result.h"

namespace findex {

class Source {
 public:
  static constexpr uint64_t kDefaultMaxBytes = 4ull << 30;  // cap: 4 GiB decompressed

  // path "-" reads standard input.
  static Result<Source> FromFile(const std::string& path, uint64_t max_bytes = kDefaultMaxBytes);
  static Source FromString(std::string_view bytes, std::string name = "<memory>");

  const std::string& path() const { return path_; }
  // Whole content, without a UTF-8 byte-order mark.
  std::string_view text() const { return std::string_view(buf_.data() + bom_, size_ - bom_); }
  // Offset of text() inside the original bytes (3 after a BOM), for reject offsets.
  size_t text_offset() const { return bom_; }
  // Padded view for simdjson over text(); valid while the Source lives.
  simdjson::padded_string_view padded() const {
    return simdjson::padded_string_view(buf_.data() + bom_, size_ - bom_, capacity_ - bom_);
  }
  // Mutable copy helpers for parsers that parse in place (pugixml): data of size text().size().
  std::string_view head(size_t n = 64 * 1024) const { return text().substr(0, n); }
  uint64_t size() const { return size_; }
  uint64_t raw_size() const { return raw_size_; }  // bytes read (compressed size for .gz)
  uint64_t content_hash() const { return hash_; }  // XXH3-64 of the decompressed bytes

  Source(Source&&) = default;
  Source& operator=(Source&&) = default;

 private:
  Source() = default;
  void Finish();
  std::string path_;
  std::string buf_;  // size_ bytes + padding
  size_t size_ = 0;
  size_t capacity_ = 0;
  size_t bom_ = 0;
  uint64_t raw_size_ = 0;
  uint64_t hash_ = 0;
};

// Line number (1-based) of byte `offset` in `text`; used for reject locations.
uint32_t LineOf(std::string_view text, size_t offset);

}  // namespace findex
