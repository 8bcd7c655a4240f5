#include "ingest/source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
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

// A private anonymous mapping that grows (mremap) as gzip data inflates, with huge pages where
// the kernel gives them: no zero-fill and copy of a doubling std::string, one fault per 2 MiB.
// The bytes past what was written stay zero (simdjson's padding).
struct GrowMap {
  char* p = nullptr;
  size_t len = 0;  // mapped bytes
  ~GrowMap() {
    if (p) ::munmap(p, len);
  }
  bool Reserve(size_t n) {  // at least n mapped bytes
    if (n <= len) return true;
    void* q = p ? ::mremap(p, len, n, MREMAP_MAYMOVE)
                : ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED) return false;
    p = static_cast<char*>(q);
    len = n;
#ifdef MADV_HUGEPAGE
    ::madvise(p, len, MADV_HUGEPAGE);
#endif
    return true;
  }
};

// Inflates gzip data (one or more members) into `out`, which grows in steps to at most
// limits.max_bytes + padding: the size and the ratio are checked while inflating, so a gzip
// bomb stops at the cap instead of exhausting memory. `*out_len`: the inflated size.
Status Gunzip(std::string_view in, const std::string& path, const SourceLimits& limits, GrowMap* out,
              size_t* out_len) {
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
  size_t room = 0;  // bytes usable for output: the mapping minus the padding
  size_t len = 0, in_pos = 0;
  auto grow = [&]() -> bool {
    const uint64_t limit = cap + 1;  // one byte past the cap shows that the data is larger
    if (room >= limit) return false;
    uint64_t next = std::max<uint64_t>({static_cast<uint64_t>(room) * 2, guess, 1 << 20});
    next = std::min(next, limit);
    if (!out->Reserve(static_cast<size_t>(next) + simdjson::SIMDJSON_PADDING)) throw std::bad_alloc();
    room = static_cast<size_t>(next);
    return true;
  };
  for (;;) {
    if (len == room && !grow()) return TooLarge(path, "the decompressed report", cap);
    if (zs.avail_in == 0 && in_pos < in.size()) {
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + in_pos));
      zs.avail_in = static_cast<uInt>(std::min<size_t>(in.size() - in_pos, UINT32_MAX));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out->p + len);
    zs.avail_out = static_cast<uInt>(std::min<size_t>(room - len, UINT32_MAX));
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
  *out_len = len;
  return Status::Ok();
}

bool IsGzip(std::string_view raw) {
  return raw.size() >= 2 && static_cast<unsigned char>(raw[0]) == 0x1f && static_cast<unsigned char>(raw[1]) == 0x8b;
}

// Files this large are read into a populated anonymous mapping; smaller ones into a string.
constexpr uint64_t kMapFloor = 256 * 1024;

// Reads up to `n` bytes of `fd` into `p`; the count read (less when the file shrank).
Result<size_t> ReadFully(int fd, char* p, size_t n, const std::string& path) {
  size_t got = 0;
  while (got < n) {
    ssize_t k = ::read(fd, p + got, n - got);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return MakeError(ErrorCode::kIo, std::strerror(errno), path);
    if (k == 0) break;
    got += static_cast<size_t>(k);
  }
  return got;
}

}  // namespace

Source::Mapping& Source::Mapping::operator=(Mapping&& o) noexcept {
  if (this != &o) {
    if (p) ::munmap(p, len);
    p = o.p, len = o.len;
    o.p = nullptr, o.len = 0;
  }
  return *this;
}

Source::Mapping::~Mapping() {
  if (p) ::munmap(p, len);
}

Status Source::InflateFrom(std::string_view gz, const SourceLimits& limits) {
  GrowMap out;
  size_t n = 0;
  Status st = Gunzip(gz, path_, limits, &out, &n);
  if (!st.ok()) return st;
  map_.p = out.p;
  map_.len = out.len;
  out.p = nullptr;
  FinishMapped(n);
  return Status::Ok();
}

void Source::FinishMapped(size_t n) {
  std::string().swap(buf_);
  size_ = n;
  hash_ = Hash64(std::string_view(map_.p, n));
  capacity_ = map_.len;  // >= n + SIMDJSON_PADDING, zero past n (anonymous memory)
  bom_ = (size_ >= 3 && std::memcmp(map_.p, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
}

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
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return MakeError(ErrorCode::kIo, std::string("cannot open: ") + std::strerror(errno), path);
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } fd_closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) >= kMapFloor) {
    const uint64_t n = static_cast<uint64_t>(st.st_size);
    if (n > max) return TooLarge(path, "the report", max);
    // One private anonymous mapping of the file's size plus simdjson's padding, populated in
    // one call (with huge pages when transparent huge pages are on), then one read(): no page
    // fault per 4 KiB. Measured on a 200 MB report: 30-40 ms against ~1 s for a fresh string.
    Mapping m;
    m.len = static_cast<size_t>(n) + simdjson::SIMDJSON_PADDING;
    void* p = ::mmap(nullptr, m.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return MakeError(ErrorCode::kTooLarge, "out of memory while reading the report", path);
    m.p = static_cast<char*>(p);
#ifdef MADV_HUGEPAGE
    ::madvise(p, m.len, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
    ::madvise(p, m.len, MADV_POPULATE_WRITE);  // kernels before 5.14 fault the pages in read()
#endif
    auto got = ReadFully(fd, m.p, static_cast<size_t>(n), path);
    if (!got.ok()) return got.error();
    char probe;
    ssize_t more = *got == n ? ::read(fd, &probe, 1) : 0;
    if (more <= 0) {  // the whole file (or less, when it shrank meanwhile)
      if (IsGzip(std::string_view(m.p, *got))) {
        Source s;
        s.path_ = path;
        s.raw_size_ = *got;
        Status gz = s.InflateFrom(std::string_view(m.p, *got), limits);
        if (!gz.ok()) return gz.error();
        return s;
      }
      Source s;
      s.path_ = path;
      s.raw_size_ = *got;
      s.map_ = std::move(m);
      s.FinishMapped(*got);
      return s;
    }
    // The file grew while it was read: fall back to reading it as a stream.
    raw.assign(m.p, *got);
    raw.push_back(probe);
    if (raw.size() > max) return TooLarge(path, "the report", max);
  } else if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    const uint64_t n = static_cast<uint64_t>(st.st_size);
    if (n > max) return TooLarge(path, "the report", max);
    // One buffer of the right size (with simdjson's padding), filled in place.
    raw.reserve(static_cast<size_t>(n) + simdjson::SIMDJSON_PADDING);
    raw.resize(static_cast<size_t>(n));
    auto got = ReadFully(fd, raw.data(), raw.size(), path);
    if (!got.ok()) return got.error();
    raw.resize(*got);  // the file shrank meanwhile
  }
  // What the size did not tell (pipes, a growing file); fails once past `max` bytes.
  char chunk[1 << 16];
  for (;;) {
    ssize_t k = ::read(fd, chunk, sizeof chunk);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return MakeError(ErrorCode::kIo, std::strerror(errno), path);
    if (k == 0) break;
    if (raw.size() + static_cast<size_t>(k) > max) return TooLarge(path, "the report", max);
    raw.append(chunk, static_cast<size_t>(k));
  }
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
    Status st = s.InflateFrom(bytes, limits);
    if (!st.ok()) return st.error();
    return s;
  }
  s.buf_ = std::move(bytes);
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
