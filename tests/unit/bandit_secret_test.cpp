// Defect 17: Bandit's hard-coded password tests (B105 string, B106 function argument, B107
// default) quote the suspected password in issue_text and code; no stored field may hold it.
#include <gtest/gtest.h>

#include <string>

#include "ingest/driver.h"
#include "ingest/registry.h"
#include "normalize/asff_writer.h"

using namespace findex;

namespace {

TEST(BanditSecrets, PasswordTestsKeepOnlyAPreviewAndAHash) {
  const FormatDescriptor* fmt = FindFormat("bandit");
  ASSERT_NE(fmt, nullptr);
  // A real report: B105 on `elif pass_fail == 'Fail':` and friends.
  auto src = Source::FromFile(std::string(FINDEX_SOURCE_DIR) + "/samples/bandit/dd_bandit_defectdojo_2021b.json");
  ASSERT_TRUE(src.ok());
  CollectingSink sink;
  auto res = IngestSource(*src, fmt, IngestOptions{}, sink);
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  size_t password_findings = 0;
  for (auto& f : sink.findings) {
    const std::string test = f.product_fields["bandit/TestId"];
    if (test != "B105" && test != "B106" && test != "B107") continue;
    ++password_findings;
    Finalize(f, AsffContext{}, "default", "2026-01-01T00:00:00.000Z");
    std::string asff = ToAsffJson(f, AsffWriteOptions{});
    SCOPED_TRACE(asff);
    // The sample's passwords: 'Pass', 'Fail', 'POST', ... never quoted in any field, and the
    // flagged code is withheld.
    for (std::string pw : {"'Pass'", "'Fail'", "'POST'", "pass_fail == "}) EXPECT_EQ(asff.find(pw), std::string::npos) << pw;
    EXPECT_NE(f.title.find("redacted"), std::string::npos) << f.title;
    EXPECT_EQ(f.description.find("\n\nCode:\n"), std::string::npos);
    EXPECT_EQ(f.product_fields.count("bandit/SecretHash"), 1u);
    EXPECT_EQ(f.product_fields.count("bandit/SecretPreview"), 1u);
  }
  EXPECT_GT(password_findings, 0u);
}

// Only a true duplicate (the same record twice) is one finding; the same code flagged at another
// column of the same line (Bandit reports one result per AST node) is another.
TEST(BanditIdentity, OnlyATrueDuplicateIsMerged) {
  const FormatDescriptor* fmt = FindFormat("bandit");
  ASSERT_NE(fmt, nullptr);
  auto result = [](int col) {
    return R"({"code": "4 x = eval(a) + eval(b)\n", "col_offset": )" + std::to_string(col) +
           R"(, "filename": "a.py", "issue_confidence": "HIGH", "issue_severity": "MEDIUM",
           "issue_text": "Use of possibly insecure function - consider using safer ast.literal_eval.",
           "line_number": 4, "line_range": [4], "more_info": "https://bandit.readthedocs.io/", "test_id": "B307",
           "test_name": "blacklist"})";
  };
  std::string report = R"({"errors": [], "generated_at": "2026-01-01T00:00:00Z", "metrics": {"_totals": {}}, "results": [)" +
                       result(4) + "," + result(4) + "," + result(14) + "]}";
  Source src = Source::FromString(report, "bandit.json");
  CollectingSink sink;
  auto res = IngestSource(src, fmt, IngestOptions{}, sink);
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  ASSERT_EQ(sink.findings.size(), 3u);
  EXPECT_EQ(sink.findings[0].fingerprint, sink.findings[1].fingerprint);
  EXPECT_NE(sink.findings[0].fingerprint, sink.findings[2].fingerprint);
}

}  // namespace
