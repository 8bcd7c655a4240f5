// Severity mapping, text helpers, fingerprints and ASFF writer/reader round trip.
#include <gtest/gtest.h>

#include "normalize/asff_reader.h"
#include "normalize/asff_writer.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

using namespace findex;

TEST(Severity, BandsMatchAsff) {
  EXPECT_EQ(LabelForNormalized(0), SeverityLabel::kInformational);
  EXPECT_EQ(LabelForNormalized(1), SeverityLabel::kLow);
  EXPECT_EQ(LabelForNormalized(39), SeverityLabel::kLow);
  EXPECT_EQ(LabelForNormalized(40), SeverityLabel::kMedium);
  EXPECT_EQ(LabelForNormalized(69), SeverityLabel::kMedium);
  EXPECT_EQ(LabelForNormalized(70), SeverityLabel::kHigh);
  EXPECT_EQ(LabelForNormalized(89), SeverityLabel::kHigh);
  EXPECT_EQ(LabelForNormalized(90), SeverityLabel::kCritical);
  EXPECT_EQ(LabelForNormalized(100), SeverityLabel::kCritical);
  for (auto l : {SeverityLabel::kInformational, SeverityLabel::kLow, SeverityLabel::kMedium, SeverityLabel::kHigh,
                 SeverityLabel::kCritical}) {
    EXPECT_EQ(LabelForNormalized(DefaultNormalized(l)), l);
  }
}

TEST(Severity, CvssBands) {
  EXPECT_EQ(LabelForCvss3(9.0), SeverityLabel::kCritical);
  EXPECT_EQ(LabelForCvss3(8.9), SeverityLabel::kHigh);
  EXPECT_EQ(LabelForCvss3(7.0), SeverityLabel::kHigh);
  EXPECT_EQ(LabelForCvss3(6.9), SeverityLabel::kMedium);
  EXPECT_EQ(LabelForCvss3(4.0), SeverityLabel::kMedium);
  EXPECT_EQ(LabelForCvss3(0.1), SeverityLabel::kLow);
  EXPECT_EQ(LabelForCvss3(0.0), SeverityLabel::kInformational);
  EXPECT_EQ(LabelForCvss2(10.0), SeverityLabel::kHigh);
  EXPECT_EQ(LabelForCvss2(4.0), SeverityLabel::kMedium);
  EXPECT_EQ(NormalizedForScore(9.8, SeverityLabel::kCritical), 98);
  EXPECT_EQ(NormalizedForScore(7.0, SeverityLabel::kHigh), 70);
  EXPECT_EQ(NormalizedForScore(0.1, SeverityLabel::kLow), 1);
}

TEST(Severity, ParsesAliasesCaseInsensitively) {
  EXPECT_EQ(ParseSeverityLabel("Moderate"), SeverityLabel::kMedium);
  EXPECT_EQ(ParseSeverityLabel(" info "), SeverityLabel::kInformational);
  EXPECT_EQ(ParseSeverityLabel("CRITICAL"), SeverityLabel::kCritical);
  EXPECT_FALSE(ParseSeverityLabel("severe").has_value());
}

TEST(Text, TruncatesOnCharacterBoundaryWithMarker) {
  std::string s;
  for (int i = 0; i < 300; ++i) s += "é";  // 2 bytes each
  std::string t = TruncateUtf8(s, 256);
  EXPECT_EQ(Utf8Length(t), 256u);
  EXPECT_NE(t.find(std::string(kTruncationMarker)), std::string::npos);
  EXPECT_EQ(TruncateUtf8("short", 256), "short");
}

TEST(Text, HtmlToText) {
  EXPECT_EQ(HtmlToText("<p>One &amp; two</p><p>Three&#x27;s &lt;b&gt;</p>"), "One & two\nThree's <b>");
  EXPECT_EQ(HtmlToText("a < b"), "a < b");
}

TEST(Fingerprint, StableAndSeparated) {
  EXPECT_EQ(FingerprintOf({"a", "b"}), FingerprintOf({"a", "b"}));
  EXPECT_NE(FingerprintOf({"ab", ""}), FingerprintOf({"a", "b"}));  // parts are separated
  EXPECT_EQ(FingerprintOf({"a"}).Hex().size(), 32u);
}

TEST(Fingerprint, PurlAndEcosystemsAgree) {
  PackageId p = ParsePurl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar");
  EXPECT_EQ(p.ecosystem, "maven");
  EXPECT_EQ(p.name, "org.apache.logging.log4j:log4j-core");
  EXPECT_EQ(p.version, "2.14.1");
  PackageId n = ParsePurl("pkg:npm/%40babel/Core@7.0.0");
  EXPECT_EQ(n.name, "@babel/core");
  EXPECT_EQ(VulnFingerprint("cve-2021-44228", p),
            VulnFingerprint("CVE-2021-44228", PackageId{"java-archive", "org.apache.logging.log4j:log4j-core", "2.14.1"}));
  EXPECT_EQ(VulnFingerprint("CVE-1", PackageId{"node-pkg", "Lodash", "4.17.4"}),
            VulnFingerprint("CVE-1", ParsePurl("pkg:npm/lodash@4.17.4")));
  EXPECT_NE(VulnFingerprint("CVE-1", PackageId{"npm", "lodash", "4.17.4"}),
            VulnFingerprint("CVE-1", PackageId{"npm", "lodash", "4.17.5"}));
  EXPECT_TRUE(ParsePurl("not a purl").empty());
}

TEST(Asff, WriterLimitsAndReaderRoundTrip) {
  Finding f;
  f.scanner = "zap";
  f.format = "zap-json";
  f.fingerprint = FingerprintOf({"x"});
  f.generator_id = "zap/10038";
  f.title = std::string(300, 'T');
  f.description = std::string(2000, 'D');
  f.severity = {SeverityLabel::kHigh, 80, "High (Medium)"};
  f.confidence = 66;
  f.remediation_text = "fix it";
  f.cwes = {"CWE-79", "CWE-80"};
  f.location.url = "https://example.test/";
  for (int i = 0; i < 40; ++i) {
    Resource r;
    r.id = "https://example.test/" + std::to_string(i);
    r.details_other["Method"] = "GET";
    f.resources.push_back(r);
  }
  Vulnerability v;
  v.id = "CVE-2021-1";
  v.vulnerable_packages.push_back(VulnerablePackage{"lodash", "4.17.4", "", "", "", "npm", "package.json", "4.17.21", "", ""});
  v.cvss.push_back(Cvss{"3.1", 7.5, "CVSS:3.1/AV:N", "NVD"});
  v.fix_available = "YES";
  f.vulnerabilities.push_back(v);
  Finalize(f, AsffContext{}, "scope", "2026-01-01T00:00:00.000Z");

  std::string limited = ToAsffJson(f, AsffWriteOptions{true, -1});
  auto back = ParseAsffJson(limited);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(Utf8Length(back->title), 256u);
  EXPECT_EQ(Utf8Length(back->description), 1024u);
  EXPECT_EQ(back->resources.size(), 32u);
  EXPECT_EQ(back->resource_count, 40u);

  std::string full = ToAsffJson(f, AsffWriteOptions{false, -1});
  auto round = ParseAsffJson(full);
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(round->title, f.title);
  EXPECT_EQ(round->fingerprint, f.fingerprint);
  EXPECT_EQ(round->cwes, f.cwes);
  EXPECT_EQ(round->scope, "scope");
  EXPECT_EQ(ToAsffJson(*round, AsffWriteOptions{false, -1}), full);
}
