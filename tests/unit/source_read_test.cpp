// Source::FromFile on files large enough to be read into a populated anonymous mapping
// (ingest/source.cpp, kMapFloor = 256 KiB) and on small ones read into a string: the same
// bytes, a zeroed simdjson padding, BOM handling, gzip and the size cap on both paths.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "ingest/driver.h"
#include "ingest/source.h"
#include "normalize/fingerprint.h"

namespace findex {
namespace {

class TempReport {
 public:
  explicit TempReport(const std::string& bytes) {
    path_ = (std::filesystem::temp_directory_path() /
             ("findex_source_read_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++)))
                .string();
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~TempReport() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

std::string GzipOf(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// A JSON array of `n` objects, larger than 256 KiB for n >= 5000.
std::string JsonArray(size_t n) {
  std::string s = "[";
  for (size_t i = 0; i < n; ++i) s += (i ? "," : "") + std::string("{\"id\":") + std::to_string(i) + ",\"pad\":\"" + std::string(40, 'x') + "\"}";
  return s + "]";
}

void ExpectPaddedZero(const Source& s) {
  auto pv = s.padded();
  ASSERT_GE(pv.capacity(), pv.length() + simdjson::SIMDJSON_PADDING);
  for (size_t i = pv.length(); i < pv.length() + simdjson::SIMDJSON_PADDING; ++i) EXPECT_EQ(pv.data()[i], '\0') << i;
}

TEST(SourceRead, LargeAndSmallFilesReadTheSameBytes) {
  for (size_t n : {10u, 5000u, 20000u}) {
    const std::string bytes = JsonArray(n);
    TempReport f(bytes);
    auto s = Source::FromFile(f.path());
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    EXPECT_EQ(s->text(), bytes);
    EXPECT_EQ(s->size(), bytes.size());
    EXPECT_EQ(s->raw_size(), bytes.size());
    EXPECT_EQ(s->content_hash(), Hash64(bytes));
    ExpectPaddedZero(*s);
    // simdjson parses it in place (the padding is readable).
    simdjson::ondemand::parser parser;
    auto doc = parser.iterate(s->padded());
    size_t count = 0;
    for (auto v : doc.get_array()) {
      (void)v;
      ++count;
    }
    EXPECT_EQ(count, n);
    // A moved Source keeps its bytes.
    Source moved = std::move(*s);
    EXPECT_EQ(moved.text(), bytes);
  }
}

TEST(SourceRead, LargeFileWithByteOrderMark) {
  const std::string bytes = "\xEF\xBB\xBF" + JsonArray(6000);
  TempReport f(bytes);
  auto s = Source::FromFile(f.path());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->text_offset(), 3u);
  EXPECT_EQ(s->text(), bytes.substr(3));
  ExpectPaddedZero(*s);
}

TEST(SourceRead, LargeFileOverTheCapIsRefused) {
  const std::string bytes = JsonArray(20000);
  TempReport f(bytes);
  SourceLimits l;
  l.max_bytes = bytes.size() - 1;
  auto s = Source::FromFile(f.path(), l);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kTooLarge);
  l.max_bytes = bytes.size();
  EXPECT_TRUE(Source::FromFile(f.path(), l).ok());
}

TEST(SourceRead, LargeGzipFileIsInflated) {
  std::string bytes;
  for (int i = 0; bytes.size() < (1u << 20); ++i) bytes += std::to_string(i * 2654435761u) + "\n";  // poorly compressible
  const std::string gz = GzipOf(bytes);
  ASSERT_GE(gz.size(), 256u * 1024);
  TempReport f(gz);
  auto s = Source::FromFile(f.path());
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->text(), bytes);
  EXPECT_EQ(s->raw_size(), gz.size());
  ExpectPaddedZero(*s);
  SourceLimits l;
  l.max_bytes = bytes.size() - 1;
  auto t = Source::FromFile(f.path(), l);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::kTooLarge);
}

TEST(SourceRead, LargeXmlParsesInPlaceLikeAString) {
  // pugixml parses in place, writing into the buffer: the mapping must be writable, and the
  // findings are those of the same bytes read from a string.
  const std::string path = std::string(FINDEX_SOURCE_DIR) + "/samples/dependency-check-xml/dd_pr6439_engine7.3.0_large.xml";
  auto mapped = Source::FromFile(path);
  ASSERT_TRUE(mapped.ok()) << mapped.error().ToString();
  ASSERT_GE(mapped->size(), 256u * 1024);
  Source copy = Source::FromString(mapped->text(), path);
  CollectingSink a, b;
  ASSERT_TRUE(IngestSource(*mapped, nullptr, IngestOptions{}, a).ok());
  ASSERT_TRUE(IngestSource(copy, nullptr, IngestOptions{}, b).ok());
  ASSERT_GT(a.findings.size(), 0u);
  ASSERT_EQ(a.findings.size(), b.findings.size());
  for (size_t i = 0; i < a.findings.size(); ++i) EXPECT_EQ(a.findings[i].title, b.findings[i].title);
}

}  // namespace
}  // namespace findex
