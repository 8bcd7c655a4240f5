// Readers on bad and large input (issue 8, defects 9, 12, 13): reject line numbers without
// quadratic cost, values decoded once, no exception and no unbounded recursion out of a reader,
// line numbers that do not overflow, size caps on reports and on gzip.
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "ingest/driver.h"
#include "ingest/registry.h"
#include "ingest/source.h"

using namespace findex;

namespace {

Result<IngestOutcome> Ingest(std::string_view bytes, std::string_view format, CollectingSink* sink) {
  Source src = Source::FromString(bytes, "test.json");
  const FormatDescriptor* fmt = format.empty() ? nullptr : FindFormat(format);
  if (!format.empty()) {
    EXPECT_NE(fmt, nullptr) << format;
  }
  return IngestSource(src, fmt, IngestOptions{}, *sink);
}

std::string Gzip(const std::string& data, int strategy = Z_DEFAULT_STRATEGY) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, strategy), Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// A CodeGuru recommendation written over several lines.
std::string CodeguruRecord(int i, bool good) {
  std::string path_key = good ? "FilePath" : "File";  // a renamed key: the record is rejected
  return "  {\n    \"" + path_key + "\": \"src/app" + std::to_string(i) +
         ".py\",\n    \"RecommendationId\": \"r" + std::to_string(i) +
         "\",\n    \"StartLine\": 3,\n    \"EndLine\": 4,\n    \"Description\": \"Problem " + std::to_string(i) +
         "\",\n    \"RecommendationCategory\": \"SecurityIssues\"\n  }";
}

// ---------- defect 9: line numbers of rejects ----------

TEST(SourceLineAt, MatchesACountFromTheStartAcrossBlocks) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += std::string(static_cast<size_t>(i % 37), 'x') + "\n";
  Source src = Source::FromString(text);
  for (size_t off = 0; off <= text.size() + 10; off += 97) {
    ASSERT_EQ(src.LineAt(off), LineOf(text, off)) << off;
  }
  ASSERT_EQ(src.LineAt(text.size()), LineOf(text, text.size()));
  EXPECT_EQ(Source::FromString("").LineAt(0), 1u);
  EXPECT_EQ(Source::FromString(std::string(4096, 'a')).LineAt(4096), 1u);
}

TEST(RejectLines, CodeguruRejectsCarryTheirLineInAMultiLineFile) {
  std::string doc = "[\n";
  for (int i = 0; i < 30; ++i) doc += CodeguruRecord(i, i % 10 != 3) + (i + 1 < 30 ? ",\n" : "\n");
  doc += "]\n";
  CollectingSink sink;
  auto res = Ingest(doc, "codeguru", &sink);
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  ASSERT_EQ(sink.rejects.size(), 3u);
  for (const Reject& r : sink.rejects) {
    ASSERT_GT(r.offset, 0u);
    EXPECT_EQ(doc[r.offset], '{');
    EXPECT_EQ(r.line, LineOf(doc, r.offset)) << r.where;
  }
  // Record i starts on line 2 + 9 * i (each record is 8 lines plus the separator line).
  EXPECT_EQ(sink.rejects[0].line, 2u + 8u * 3u);
  EXPECT_EQ(sink.rejects[0].where, "[3]");
}

TEST(RejectLines, SonarqubeRejectsCarryTheirLineInAMultiLineFile) {
  std::string doc = "[\n";
  for (int i = 0; i < 20; ++i) {
    std::string rule_key = i == 7 || i == 15 ? "rul" : "rule";
    doc += "  {\n    \"key\": \"k" + std::to_string(i) + "\",\n    \"" + rule_key +
           "\": \"java:S2076\",\n    \"component\": \"p:src/A.java\",\n    \"line\": " + std::to_string(i + 1) +
           ",\n    \"message\": \"m\"\n  }" + (i + 1 < 20 ? ",\n" : "\n");
  }
  doc += "]\n";
  CollectingSink sink;
  auto res = Ingest(doc, "sonarqube", &sink);
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  ASSERT_EQ(sink.rejects.size(), 2u);
  EXPECT_EQ(sink.rejects[0].line, 2u + 7u * 7u);
  EXPECT_EQ(sink.rejects[1].line, 2u + 7u * 15u);
  EXPECT_EQ(sink.findings.size(), 18u);
}

// Every record rejected in a 24 MB report: counting each reject's line from the start of the
// file was 30,000 x 12 MB on average (minutes); with the line index it is one pass.
TEST(RejectLines, ManyRejectsInALargeFileCostOnePass) {
  std::string pad(800, ' ');
  std::string doc = "[\n";
  const int n = 30000;
  for (int i = 0; i < n; ++i) doc += CodeguruRecord(i, false) + pad + (i + 1 < n ? ",\n" : "\n");
  doc += "]\n";
  CollectingSink sink;
  auto t0 = std::chrono::steady_clock::now();
  auto res = Ingest(doc, "codeguru", &sink);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  ASSERT_EQ(sink.rejects.size(), static_cast<size_t>(n));
  EXPECT_EQ(sink.rejects.back().line, LineOf(doc, sink.rejects.back().offset));
  EXPECT_LT(secs, 10.0);  // about 0.1 s here; the quadratic count took minutes
}

// ---------- defect 12: crashes ----------

// A long non-numeric StartLine/EndLine/line was decoded twice from the same simdjson value: the
// second copy was written past the parser's string buffer (heap overflow; ASan shows it, the
// fuzz replay test runs these files too).
TEST(DecodeOnce, CodeguruLongNonNumericLineIsAReject) {
  for (std::string key : {"StartLine", "EndLine"}) {
    std::string doc = "[{\"FilePath\":\"a.py\",\"RecommendationId\":\"r\",\"" + key + "\":\"" +
                      std::string(20000, 'z') + "\",\"Description\":\"d\"}]";
    CollectingSink sink;
    auto res = Ingest(doc, "codeguru", &sink);
    ASSERT_TRUE(res.ok()) << res.error().ToString();
    ASSERT_EQ(sink.rejects.size(), 1u);
    EXPECT_EQ(sink.rejects[0].reason, "\"" + key + "\" is not a number");
  }
  // Blank and numeric strings are still accepted.
  CollectingSink sink;
  auto res = Ingest("[{\"FilePath\":\"a.py\",\"StartLine\":\" \",\"EndLine\":\"12\",\"Description\":\"d\"}]", "codeguru", &sink);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(sink.findings.size(), 1u);
  EXPECT_TRUE(sink.rejects.empty());
}

TEST(DecodeOnce, SonarqubeLongNonNumericLineIsAReject) {
  std::string doc = "{\"issues\":[{\"rule\":\"java:S1\",\"component\":\"p:A.java\",\"line\":\"" +
                    std::string(20000, 'q') + "\"}]}";
  CollectingSink sink;
  auto res = Ingest(doc, "sonarqube", &sink);
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  ASSERT_EQ(sink.rejects.size(), 1u);
  EXPECT_EQ(sink.rejects[0].reason, "\"line\" is not a number");
}

TEST(DecodeOnce, OutOfRangeNumbersAreNotLines) {
  // 1e300 and "nan" as a line: no undefined double-to-int conversion, the record is rejected.
  for (std::string v : {"1e300", "\"nan\"", "\"-1e30\""}) {
    std::string doc = "[{\"FilePath\":\"a.py\",\"StartLine\":" + v + ",\"Description\":\"d\"}]";
    CollectingSink sink;
    auto res = Ingest(doc, "codeguru", &sink);
    ASSERT_TRUE(res.ok());
    EXPECT_EQ(sink.rejects.size(), 1u) << v;
  }
}

// `{"results":[n],"errors":[]}` threw simdjson_error out of the Semgrep reader (abort, exit 134).
TEST(NoException, BareAtomIsAFileError) {
  CollectingSink sink;
  auto res = Ingest("{\"results\":[n],\"errors\":[]}", "", &sink);
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.error().message.find("semgrep"), std::string::npos) << res.error().ToString();
  for (std::string atom : {"n", "nul", "t", "f", "nulll"}) {
    CollectingSink s1, s2;
    auto a = Ingest("{\"results\":[" + atom + "],\"errors\":[]}", "semgrep", &s1);
    EXPECT_FALSE(a.ok()) << atom;
    auto b = Ingest("{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"x\"}},\"results\":[" + atom + "]}]}",
                 "sarif", &s2);
    EXPECT_FALSE(b.ok()) << atom;
  }
}

// 200,000 nested arrays under an unknown Semgrep key, 1,000,000 in SARIF properties: the
// recursive validator overflowed the stack (SIGSEGV, exit 139). Now a file error.
TEST(DepthCap, DeepNestingIsAFileErrorNotAStackOverflow) {
  {
    std::string doc = "{\"results\":[],\"errors\":[],\"x\":" + std::string(200000, '[') + std::string(200000, ']') + "}";
    CollectingSink sink;
    auto res = Ingest(doc, "semgrep", &sink);
    ASSERT_FALSE(res.ok());
    EXPECT_NE(res.error().message.find("deep"), std::string::npos) << res.error().ToString();
  }
  {
    std::string doc = "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"x\"}},\"results\":[],"
                      "\"properties\":{\"p\":" +
                      std::string(1000000, '[') + std::string(1000000, ']') + "}}]}";
    CollectingSink sink;
    auto res = Ingest(doc, "sarif", &sink);
    ASSERT_FALSE(res.ok());
    EXPECT_NE(res.error().message.find("deep"), std::string::npos) << res.error().ToString();
  }
  // Real nesting (well under the cap) is fine.
  std::string ok = "{\"results\":[],\"errors\":[],\"x\":" + std::string(200, '[') + std::string(200, ']') + "}";
  CollectingSink sink;
  EXPECT_TRUE(Ingest(ok, "semgrep", &sink).ok());
}

// Every reader, on deeply nested input in every position a reader might walk: an error or
// rejects, never a crash.
TEST(DepthCap, EveryReaderSurvivesDeepNesting) {
  const std::string deep = std::string(300000, '[') + std::string(300000, ']');
  const std::string deep_obj = [] {
    std::string s;
    for (int i = 0; i < 100000; ++i) s += "{\"a\":";
    s += "1";
    s += std::string(100000, '}');
    return s;
  }();
  std::string deep_xml;
  for (int i = 0; i < 100000; ++i) deep_xml += "<a>";
  for (int i = 0; i < 100000; ++i) deep_xml += "</a>";
  for (const FormatDescriptor& fmt : Formats()) {
    for (std::string root : {"analysis", "OWASPZAPReport", "site"}) {
      CollectingSink sink;
      (void)Ingest("<?xml version=\"1.0\"?><" + root + ">" + deep_xml + "</" + root + ">", fmt.name, &sink);
    }
    for (const std::string& d : {deep, deep_obj}) {
      for (const std::string& doc : {d, "{\"x\":" + d + "}", "[" + d + "]", "[{\"x\":" + d + "}]",
                                     "{\"results\":[{\"extra\":" + d + "}],\"runs\":[{\"properties\":" + d + "}]}"}) {
        CollectingSink sink;
        (void)Ingest(doc, fmt.name, &sink);  // must return
      }
    }
  }
  SUCCEED();
}

// cfn-guard "[L:<digits>,C:..]": a long number overflowed a signed int (UBSan).
TEST(CfnGuardLines, HugeLineNumberIsNoLine) {
  auto doc = [](std::string line) {
    return "{\"data_from\":\"t.yaml\",\"rules_from\":\"r.guard\",\"not_compliant\":{\"R\":[{\"rule\":\"R\",\"path\":"
           "\"/Resources/B/Properties\",\"provided\":null,\"expected\":null,\"message\":\"\",\"error\":\"Check was not "
           "compliant. Value traversed to [Path=/Resources/B/Properties[L:" +
           line + ",C:6] Value={}].\"}]},\"not_applicable\":[],\"compliant\":[]}\n";
  };
  CollectingSink ok_sink;
  ASSERT_TRUE(Ingest(doc("13"), "cfn-guard", &ok_sink).ok());
  ASSERT_EQ(ok_sink.findings.size(), 1u);
  EXPECT_EQ(ok_sink.findings[0].location.start_line, 13);
  CollectingSink sink;
  auto res = Ingest(doc("99999999999999999999"), "cfn-guard", &sink);
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  ASSERT_EQ(sink.findings.size(), 1u);
  EXPECT_EQ(sink.findings[0].location.start_line, 0);
}

// ---------- defect 13: size caps ----------

class TempFile {
 public:
  explicit TempFile(const std::string& bytes) {
    path_ = (std::filesystem::temp_directory_path() /
             ("findex_readers_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++)))
                .string();
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

TEST(SizeCaps, ReportLargerThanTheCapIsRefused) {
  TempFile f(std::string(10000, ' ') + "[]");
  SourceLimits l;
  l.max_bytes = 4096;
  auto s = Source::FromFile(f.path(), l);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kTooLarge);
  EXPECT_NE(s.error().message.find("--max-report-size"), std::string::npos) << s.error().ToString();
  l.max_bytes = 10002;
  auto t = Source::FromFile(f.path(), l);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->size(), 10002u);
  EXPECT_FALSE(Source::FromBytes(std::string(5000, 'x'), "<stdin>", SourceLimits{4096, 1000}).ok());
}

TEST(SizeCaps, GzipInflatedPastTheCapFailsWhileInflating) {
  std::string big(8 << 20, 'a');
  TempFile f(Gzip(big));
  SourceLimits l;
  l.max_bytes = 1 << 20;
  auto s = Source::FromFile(f.path(), l);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kTooLarge);
  EXPECT_NE(s.error().message.find("decompressed"), std::string::npos) << s.error().ToString();
  // Under the cap: inflated as before.
  l.max_bytes = 8 << 20;
  auto t = Source::FromFile(f.path(), l);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  EXPECT_EQ(t->size(), big.size());
  EXPECT_EQ(t->text(), big);
}

// A small gzip bomb (about 80 KB inflating to 80 MiB) under the default cap: refused by its
// ratio once past 64 MiB, before it can grow further (a bigger bomb stops at the same point).
TEST(SizeCaps, GzipBombIsRefusedByItsRatio) {
  std::string zeros(80u << 20, '\0');
  std::string bomb = Gzip(zeros, Z_RLE);  // run-length matches: fast, about 1030:1
  std::string().swap(zeros);
  ASSERT_LT(bomb.size(), 200u * 1024);
  TempFile f(bomb);
  auto s = Source::FromFile(f.path());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kTooLarge);
  EXPECT_NE(s.error().message.find("bomb"), std::string::npos) << s.error().ToString();
}

TEST(SizeCaps, ConcatenatedAndCorruptGzip) {
  std::string a = "[{\"FilePath\":\"a.py\",", b = "\"Description\":\"d\"}]";
  TempFile cat(Gzip(a) + Gzip(b));
  auto s = Source::FromFile(cat.path());
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->text(), a + b);
  std::string z = Gzip(std::string(100000, 'x'));
  TempFile truncated(z.substr(0, z.size() / 2));
  auto t = Source::FromFile(truncated.path());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::kParse);
}

TEST(SizeCaps, ParseByteSize) {
  EXPECT_EQ(ParseByteSize("1048576").value(), 1048576u);
  EXPECT_EQ(ParseByteSize("2G").value(), 2ull << 30);
  EXPECT_EQ(ParseByteSize("2GiB").value(), 2ull << 30);
  EXPECT_EQ(ParseByteSize("500m").value(), 500ull << 20);
  EXPECT_EQ(ParseByteSize("64KB").value(), 64ull << 10);
  EXPECT_EQ(ParseByteSize("1T").value(), 1ull << 40);
  for (std::string bad : {"", "G", "0", "-1", "2X", "2 G", "1.5G", "99999999999999999999", "20000000000T"}) {
    EXPECT_FALSE(ParseByteSize(bad).ok()) << bad;
  }
}

}  // namespace
