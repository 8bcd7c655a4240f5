#include "ingest/source.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "normalize/fingerprint.h"

namespace findex {
namespace {

Status ReadAll(std::FILE* f, const std::string& path, uint64_t max, std::string* out) {
  char chunk[1 << 16];
  for (;;) {
    size_t n = std::fread(chunk, 1, sizeof chunk, f);
    if (n > 0) {
      if (out->size() + n > max) return MakeError(ErrorCode::kTooLarge, "larger than the input cap", path);
      out->append(chunk, n);
    }
    if (n < sizeof chunk) {
      if (std::ferror(f)) return MakeError(ErrorCode::kIo, std::strerror(errno), path);
      return Status::Ok();
    }
  }
}

Status Gunzip(const std::string& in, const std::string& path, uint64_t max, std::string* out) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return MakeError(ErrorCode::kInternal, "zlib init failed", path);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), UINT32_MAX));
  size_t consumed_total = 0;
  char chunk[1 << 16];
  int rc = Z_OK;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof chunk;
    size_t before_in = zs.avail_in;
    rc = inflate(&zs, Z_NO_FLUSH);
    consumed_total += before_in - zs.avail_in;
    size_t produced = sizeof chunk - zs.avail_out;
    if (out->size() + produced > max) {
      inflateEnd(&zs);
      return MakeError(ErrorCode::kTooLarge, "decompressed size is larger than the input cap", path);
    }
    out->append(chunk, produced);
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members: continue with the next one.
      if (consumed_total < in.size()) {
        inflateReset(&zs);
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + consumed_total));
        zs.avail_in = static_cast<uInt>(std::min<size_t>(in.size() - consumed_total, UINT32_MAX));
        continue;
      }
      break;
    }
    if (rc != Z_OK) {
      inflateEnd(&zs);
      return MakeError(ErrorCode::kParse, std::string("corrupt gzip data: ") + (zs.msg ? zs.msg : "truncated"), path);
    }
    if (zs.avail_in == 0 && produced == 0) {
      inflateEnd(&zs);
      return MakeError(ErrorCode::kParse, "truncated gzip data", path);
    }
  }
  inflateEnd(&zs);
  return Status::Ok();
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

Result<Source> Source::FromFile(const std::string& path, uint64_t max_bytes) {
  Source s;
  s.path_ = path;
  std::string raw;
  if (path == "-") {
    Status st = ReadAll(stdin, "<stdin>", max_bytes, &raw);
    if (!st.ok()) return st.error();
    s.path_ = "<stdin>";
  } else {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return MakeError(ErrorCode::kIo, std::string("cannot open: ") + std::strerror(errno), path);
    if (std::fseek(f, 0, SEEK_END) == 0) {
      long n = std::ftell(f);
      if (n > 0) {
        if (static_cast<uint64_t>(n) > max_bytes) {
          std::fclose(f);
          return MakeError(ErrorCode::kTooLarge, "larger than the input cap", path);
        }
        raw.reserve(static_cast<size_t>(n) + simdjson::SIMDJSON_PADDING);
      }
      std::fseek(f, 0, SEEK_SET);
    }
    Status st = ReadAll(f, path, max_bytes, &raw);
    std::fclose(f);
    if (!st.ok()) return st.error();
  }
  s.raw_size_ = raw.size();
  if (raw.size() >= 2 && static_cast<unsigned char>(raw[0]) == 0x1f && static_cast<unsigned char>(raw[1]) == 0x8b) {
    std::string out;
    Status st = Gunzip(raw, s.path_, max_bytes, &out);
    if (!st.ok()) return st.error();
    s.buf_ = std::move(out);
  } else {
    s.buf_ = std::move(raw);
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

uint32_t LineOf(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<uint32_t>(std::count(text.begin(), text.begin() + static_cast<long>(offset), '\n'));
}

}  // namespace findex
