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

namespace {
Finding VulnFindingOf(const std::string& id, const std::vector<std::string>& related, const VulnerablePackage& p,
                      const PackageId& identity) {
  Finding f;
  f.scanner = "t";
  Vulnerability v;
  v.id = id;
  v.related_vulnerabilities = related;
  v.vulnerable_packages.push_back(p);
  f.vulnerabilities.push_back(v);
  f.fingerprint = VulnFingerprint(id, identity);
  return f;
}
}  // namespace

TEST(Fingerprint, AltIdentitiesOfAVersionedFindingAreItsVersionlessKeys) {
  // Trivy's CVE-2017-16137 in debug 2.6.8 (purl), with the GHSA among its VendorIDs.
  VulnerablePackage p;
  p.name = "debug";
  p.version = "2.6.8";
  p.package_manager = "npm";
  p.purl = "pkg:npm/debug@2.6.8";
  Finding f = VulnFindingOf("CVE-2017-16137", {"GHSA-gxpj-cx7g-858c", "cve-2017-16137"}, p,
                            ParsePurl(p.purl));
  AltIdentities a = VulnAltIdentities(f);
  EXPECT_FALSE(a.versionless);
  // Its own id and the GHSA without the version; the repeated CVE (other case) once.
  ASSERT_EQ(a.keys.size(), 2u);
  EXPECT_EQ(a.keys[0], VulnFingerprint("CVE-2017-16137", PackageId{"npm", "debug", ""}));
  EXPECT_EQ(a.keys[1], VulnFingerprint("GHSA-gxpj-cx7g-858c", PackageId{"npm", "debug", ""}));

  // npm 7 audit's finding of the GHSA names no version: it is itself the key.
  VulnerablePackage q;
  q.name = "debug";
  q.package_manager = "npm";
  Finding g = VulnFindingOf("GHSA-gxpj-cx7g-858c", {}, q, PackageId{"npm", "debug", ""});
  AltIdentities b = VulnAltIdentities(g);
  EXPECT_TRUE(b.versionless);
  EXPECT_TRUE(b.keys.empty());
  EXPECT_EQ(g.fingerprint, a.keys[1]);

  // Without a purl: the package manager word, as readers canonicalize it (Trivy's "node-pkg").
  VulnerablePackage r = p;
  r.purl.clear();
  r.package_manager = "node-pkg";
  Finding h = VulnFindingOf("CVE-2017-16137", {"GHSA-gxpj-cx7g-858c"}, r, PackageId{"node-pkg", "debug", "2.6.8"});
  EXPECT_EQ(VulnAltIdentities(h).keys, a.keys);
}

TEST(Fingerprint, NoAltIdentitiesUnlessTheFingerprintIsTheReadersVulnFingerprint) {
  VulnerablePackage p;
  p.name = "debug";
  p.version = "2.6.8";
  p.package_manager = "npm";
  // Wrapped (Trivy k8s, Grype without purl): the package is not known as the reader used it.
  Finding f = VulnFindingOf("CVE-2017-16137", {"GHSA-gxpj-cx7g-858c"}, p, PackageId{"npm", "debug", "2.6.8"});
  f.fingerprint = FingerprintOf({"trivy-k8s", f.fingerprint.Hex(), "ns", "Pod", "web"});
  AltIdentities a = VulnAltIdentities(f);
  EXPECT_FALSE(a.versionless);
  EXPECT_TRUE(a.keys.empty());
  // A code finding, and a vulnerability without a package.
  Finding c;
  c.fingerprint = CodeFingerprint("semgrep", "rule", "a.js", "x");
  EXPECT_TRUE(VulnAltIdentities(c).keys.empty());
  Finding d;
  d.vulnerabilities.emplace_back();
  d.vulnerabilities.back().id = "CVE-1";
  EXPECT_FALSE(VulnAltIdentities(d).versionless);
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
