#include "ingest/source.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

#include "normalize/fingerprint.h"

namespace findex {
namespace {

constexpr uint64_t kRatioFloor = 64ull << 20;  // the inflate ratio is judged past 64 MiB of output

std::string SizeText(uint64_t n) {
  if (n >= (1ull << 30) && n % (1ull << 30) == 0) return std::to_string(n >> 30) + " GiB";
  if (n >= (1ull << 20) && n % (1ull << 20) == 0) return std::to_string(n >> 20) + " MiB";
  if (n >= (1ull << 10) && n % (1ull << 10) == 0) return std::to_string(n >> 10) + " KiB";
  return std::to_string(n) + " bytes";
}

Error TooLarge(const std::string& path, std::string_view what, uint64_t max) {
  return MakeError(ErrorCode::kTooLarge,
                   std::string(what) + " is larger than the maximum report size (" + SizeText(max) +
                       "; see --max-report-size)",
                   path);
}

// Appends everything `f` still holds to `out`; fails once `out` would pass `max` bytes (so at
// most max + 64 KiB is ever held).
Status ReadAll(std::FILE* f, const std::string& path, uint64_t max, std::string* out) {
  char chunk[1 << 16];
  for (;;) {
    size_t n = std::fread(chunk, 1, sizeof chunk, f);
    if (n > 0) {
      if (out->size() + n > max) return TooLarge(path, "the report", max);
      out->append(chunk, n);
    }
    if (n < sizeof chunk) {
      if (std::ferror(f)) return MakeError(ErrorCode::kIo, std::strerror(errno), path);
      return Status::Ok();
    }
  }
}

// Inflates gzip data (one or more members) into `out`, which grows in steps to at most
// limits.max_bytes + padding: the size and the ratio are checked while inflating, so a gzip
// bomb stops at the cap instead of exhausting memory.
Status Gunzip(std::string_view in, const std::string& path, const SourceLimits& limits, std::string* out) {
  const uint64_t cap = limits.max_bytes;
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return MakeError(ErrorCode::kInternal, "zlib init failed", path);
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&zs};
  // The trailer of a single-member gzip holds the inflated size mod 2^32: a first guess.
  uint64_t guess = in.size() * 4;
  if (in.size() >= 18) {
    const auto* t = reinterpret_cast<const unsigned char*>(in.data() + in.size() - 4);
    uint64_t isize = t[0] | (t[1] << 8) | (t[2] << 16) | (static_cast<uint64_t>(t[3]) << 24);
    if (isize >= in.size() / 2) guess = isize + 1;
  }
  out->clear();
  size_t len = 0, in_pos = 0;
  auto grow = [&]() -> bool {
    const uint64_t limit = cap + 1;  // one byte past the cap shows that the data is larger
    if (out->size() >= limit) return false;
    uint64_t next = std::max<uint64_t>({out->size() * 2, guess, 1 << 20});
    next = std::min(next, limit);
    out->reserve(next + simdjson::SIMDJSON_PADDING);
    out->resize(next);
    return true;
  };
  for (;;) {
    if (len == out->size() && !grow()) return TooLarge(path, "the decompressed report", cap);
    if (zs.avail_in == 0 && in_pos < in.size()) {
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + in_pos));
      zs.avail_in = static_cast<uInt>(std::min<size_t>(in.size() - in_pos, UINT32_MAX));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + len);
    zs.avail_out = static_cast<uInt>(std::min<size_t>(out->size() - len, UINT32_MAX));
    const size_t before_in = zs.avail_in, before_out = zs.avail_out;
    int rc = inflate(&zs, Z_NO_FLUSH);
    const size_t consumed = before_in - zs.avail_in, produced = before_out - zs.avail_out;
    in_pos += consumed;
    len += produced;
    if (len > cap) return TooLarge(path, "the decompressed report", cap);
    if (limits.max_inflate_ratio > 0 && len > kRatioFloor && len / std::max<size_t>(in_pos, 1) > limits.max_inflate_ratio) {
      return MakeError(ErrorCode::kTooLarge,
                       "gzip data inflates more than " + std::to_string(limits.max_inflate_ratio) +
                           " times its size (a decompression bomb?)",
                       path);
    }
    if (rc == Z_STREAM_END) {
      if (in_pos < in.size()) {  // concatenated gzip members: continue with the next one
        inflateReset(&zs);
        zs.avail_in = 0;
        continue;
      }
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return MakeError(ErrorCode::kParse, std::string("corrupt gzip data: ") + (zs.msg ? zs.msg : "bad stream"), path);
    }
    if (consumed == 0 && produced == 0 && zs.avail_out > 0 && in_pos >= in.size()) {
      return MakeError(ErrorCode::kParse, "truncated gzip data", path);
    }
  }
  out->resize(len);
  return Status::Ok();
}

bool IsGzip(std::string_view raw) {
  return raw.size() >= 2 && static_cast<unsigned char>(raw[0]) == 0x1f && static_cast<unsigned char>(raw[1]) == 0x8b;
}

}  // namespace

void Source::Finish() {
  size_ = buf_.size();
  hash_ = Hash64(buf_);
  // The buffer keeps SIMDJSON_PADDING zero bytes past size_ for simdjson.
  buf_.resize(size_ + simdjson::SIMDJSON_PADDING, '\0');
  capacity_ = buf_.size();
  bom_ = (size_ >= 3 && std::memcmp(buf_.data(), "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
}

Result<Source> Source::FromFile(const std::string& path, const SourceLimits& limits) {
  try {
    return FromFileUnguarded(path, limits);
  } catch (const std::bad_alloc&) {
    return MakeError(ErrorCode::kTooLarge, "out of memory while reading the report", path);
  }
}

Result<Source> Source::FromFileUnguarded(const std::string& path, const SourceLimits& limits) {
  const uint64_t max = limits.max_bytes;
  std::string raw;
  if (path == "-") {
    Status st = ReadAll(stdin, "<stdin>", max, &raw);
    if (!st.ok()) return st.error();
    return FromBytes(std::move(raw), "<stdin>", limits);
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return MakeError(ErrorCode::kIo, std::string("cannot open: ") + std::strerror(errno), path);
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{f};
  if (std::fseek(f, 0, SEEK_END) == 0) {
    long n = std::ftell(f);
    std::fseek(f, 0, SEEK_SET);
    if (n > 0) {
      if (static_cast<uint64_t>(n) > max) return TooLarge(path, "the report", max);
      // One buffer of the right size (with simdjson's padding), filled in place.
      raw.reserve(static_cast<size_t>(n) + simdjson::SIMDJSON_PADDING);
      raw.resize(static_cast<size_t>(n));
      size_t got = 0;
      while (got < raw.size()) {
        size_t k = std::fread(raw.data() + got, 1, raw.size() - got, f);
        if (k == 0) break;
        got += k;
      }
      if (std::ferror(f)) return MakeError(ErrorCode::kIo, std::strerror(errno), path);
      raw.resize(got);  // the file shrank meanwhile
    }
  }
  Status st = ReadAll(f, path, max, &raw);  // what the size did not tell (pipes, a growing file)
  if (!st.ok()) return st.error();
  return FromBytes(std::move(raw), path, limits);
}

Result<Source> Source::FromBytes(std::string bytes, std::string name, const SourceLimits& limits) {
  try {
    return FromBytesUnguarded(std::move(bytes), name, limits);
  } catch (const std::bad_alloc&) {
    return MakeError(ErrorCode::kTooLarge, "out of memory while reading the report", name);
  }
}

Result<Source> Source::FromBytesUnguarded(std::string bytes, std::string name, const SourceLimits& limits) {
  Source s;
  s.path_ = std::move(name);
  if (bytes.size() > limits.max_bytes) return TooLarge(s.path_, "the report", limits.max_bytes);
  s.raw_size_ = bytes.size();
  if (IsGzip(bytes)) {
    std::string out;
    Status st = Gunzip(bytes, s.path_, limits, &out);
    if (!st.ok()) return st.error();
    std::string().swap(bytes);
    s.buf_ = std::move(out);
  } else {
    s.buf_ = std::move(bytes);
  }
  s.Finish();
  return s;
}

Source Source::FromString(std::string_view bytes, std::string name) {
  Source s;
  s.path_ = std::move(name);
  s.buf_.assign(bytes);
  s.raw_size_ = bytes.size();
  s.Finish();
  return s;
}

namespace {
constexpr size_t kLineBlock = 4096;
uint32_t SaturatedLines(uint64_t n) { return n >= UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(n); }
}  // namespace

uint32_t Source::LineAt(uint64_t offset) const {
  std::string_view t = text();
  if (!line_index_ready_) {
    line_index_.clear();
    line_index_.reserve(t.size() / kLineBlock + 1);
    uint64_t lines = 0;
    for (size_t b = 0; b < t.size(); b += kLineBlock) {
      line_index_.push_back(SaturatedLines(lines));
      const char* p = t.data() + b;
      lines += static_cast<uint64_t>(std::count(p, p + std::min(kLineBlock, t.size() - b), '\n'));
    }
    line_index_ready_ = true;
  }
  const size_t off = static_cast<size_t>(std::min<uint64_t>(offset, t.size()));
  if (line_index_.empty()) return 1;  // empty text
  const size_t block = std::min(off / kLineBlock, line_index_.size() - 1);
  const char* p = t.data() + block * kLineBlock;
  uint64_t n = line_index_[block] + static_cast<uint64_t>(std::count(p, t.data() + off, '\n'));
  return SaturatedLines(n + 1);
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  auto bad = [&] {
    return MakeError(ErrorCode::kInvalidArgument,
                     "\"" + std::string(text) + "\" is not a size (a number of bytes, or with K, M, G or T: 500M, 2G)");
  };
  size_t i = 0;
  uint64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (n > (UINT64_MAX - 9) / 10) return bad();
    n = n * 10 + static_cast<uint64_t>(text[i++] - '0');
  }
  if (i == 0) return bad();
  std::string unit;
  for (; i < text.size(); ++i) unit += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
  int shift = 0;
  if (!unit.empty() && unit != "B") {
    switch (unit[0]) {
      case 'K': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      case 'T': shift = 40; break;
      default: return bad();
    }
    std::string rest = unit.substr(1);
    if (!rest.empty() && rest != "B" && rest != "IB") return bad();
  }
  if (n == 0 || (shift > 0 && n > (UINT64_MAX >> shift))) return bad();
  return n << shift;
}

uint32_t LineOf(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<uint32_t>(std::count(text.begin(), text.begin() + static_cast<long>(offset), '\n'));
}

}  // namespace findex
