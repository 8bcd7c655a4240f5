// ASFF round trip: a finding written by normalize/asff_writer (store form, no limits) and read
// back by the asff ingester writes the same JSON again, identity included.
#include <gtest/gtest.h>

#include <string>

#include "ingest/driver.h"
#include "ingest/registry.h"
#include "normalize/asff_writer.h"
#include "normalize/exploit.h"
#include "normalize/fingerprint.h"

using namespace findex;

namespace {

Finding FullFinding() {
  Finding f;
  f.scanner = "trivy";
  f.format = "trivy";
  f.fingerprint = VulnFingerprint("CVE-2021-36159", PackageId{"apk", "apk-tools", "2.10.4-r3"});
  f.generator_id = "Trivy/CVE-2021-36159";
  f.types = {"Software and Configuration Checks/Vulnerabilities/CVE", "Effects/Data Exposure"};
  f.title = "CVE-2021-36159 in apk-tools";
  f.description = std::string(1500, 'x') + " long description with \"quotes\", a tab\t and ünïcödé";
  f.severity.label = SeverityLabel::kCritical;
  f.severity.normalized = 91;
  f.severity.original = "CRITICAL";
  f.confidence = 80;
  f.criticality = 60;
  f.remediation_text = "Upgrade apk-tools to 2.10.7-r0";
  f.remediation_url = "https://example.test/fix";
  f.source_url = "https://avd.aquasec.com/nvd/cve-2021-36159";
  f.product_fields = {{"trivy/Target", "golang:1.12-alpine (alpine 3.11.3)"}, {"trivy/Class", "os-pkgs"}};
  f.user_defined_fields = {{"team", "platform"}};
  f.product_name = "Trivy";
  f.company_name = "Aqua Security";
  Resource r1;
  r1.type = "Container";
  r1.id = "golang:1.12-alpine";
  r1.partition = "aws";
  r1.region = "eu-west-1";
  r1.details_other = {{"ImageId", "sha256:abc"}, {"Os", "alpine 3.11.3"}};
  Resource r2;
  r2.type = "Other";
  r2.id = "lib/apk/db/installed";
  f.resources = {r1, r2};
  f.resource_count = 40;  // the report had more than the two kept
  Vulnerability v;
  v.id = "CVE-2021-36159";
  VulnerablePackage p;
  p.name = "apk-tools";
  p.version = "2.10.4-r3";
  p.epoch = "0";
  p.release = "r3";
  p.architecture = "x86_64";
  p.package_manager = "apk";
  p.file_path = "lib/apk/db/installed";
  p.fixed_in_version = "2.10.7-r0";
  p.remediation = "apk upgrade apk-tools";
  v.vulnerable_packages = {p};
  v.cvss = {Cvss{"3.1", 9.1, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H", "NVD"}, Cvss{"2.0", 6.4, "AV:N/AC:L/Au:N/C:P/I:N/A:P", "NVD"}};
  v.reference_urls = {"https://nvd.nist.gov/vuln/detail/CVE-2021-36159"};
  v.related_vulnerabilities = {"GHSA-xxxx-yyyy-zzzz"};
  v.fix_available = "YES";
  v.vendor_name = "NVD";
  v.vendor_url = "https://nvd.nist.gov";
  v.vendor_severity = "CRITICAL";
  f.vulnerabilities = {v};
  f.cwes = {"CWE-125", "CWE-20"};
  f.location.file_path = "lib/apk/db/installed";
  f.location.start_line = 12;
  f.location.end_line = 14;
  f.location.url = "https://example.test/app";
  f.workflow = WorkflowStatus::kSuppressed;
  f.record_state = RecordState::kArchived;
  f.note = Note{"accepted risk until Q3", "alice", "2026-02-01T00:00:00.000Z"};
  f.first_observed_at = "2026-01-01T10:00:00.123456789Z";
  f.last_observed_at = "2026-01-02T10:00:00+02:00";
  f.created_at = "2026-01-01T10:00:01.000Z";
  f.updated_at = "2026-01-03T10:00:01.000Z";
  return f;
}

std::vector<Finding> Ingest(const std::string& json) {
  const FormatDescriptor* fmt = FindFormat("asff");
  EXPECT_NE(fmt, nullptr);
  Source src = Source::FromString(json, "rt.json");
  auto detected = DetectFormat(src.head());
  EXPECT_TRUE(detected.ok());
  if (detected.ok()) {
    EXPECT_EQ((*detected)->name, "asff");
  }
  CollectingSink sink;
  auto res = IngestSource(src, fmt, IngestOptions{}, sink);
  EXPECT_TRUE(res.ok()) << (res.ok() ? "" : res.error().ToString());
  EXPECT_TRUE(sink.rejects.empty());
  return std::move(sink.findings);
}

TEST(AsffRoundTrip, WriteIngestWriteIsIdentical) {
  AsffContext ctx;
  ctx.aws_account_id = "123456789012";
  ctx.region = "eu-west-1";
  Finding f = FullFinding();
  Finalize(f, ctx, "repo-a", "2026-01-05T00:00:00.000Z");
  AsffWriteOptions opts;
  opts.apply_limits = false;
  opts.indent = 2;
  std::string first = ToAsffJson(f, opts);

  std::vector<Finding> back = Ingest(first);
  ASSERT_EQ(back.size(), 1u);
  Finding& g = back[0];
  EXPECT_EQ(g.fingerprint, f.fingerprint);  // findex/Fingerprint is kept, not recomputed
  EXPECT_EQ(g.scanner, "trivy");
  EXPECT_EQ(g.format, "trivy");
  EXPECT_EQ(g.product_fields.count("asff/OriginalId"), 0u);
  // A later "now" must not leak in: every timestamp comes from the input.
  Finalize(g, ctx, "repo-a", "2030-12-31T00:00:00.000Z");
  EXPECT_EQ(ToAsffJson(g, opts), first);
}

TEST(AsffRoundTrip, ArrayAndLinesKeepIdentityToo) {
  AsffContext ctx;
  Finding a = FullFinding();
  Finding b = FullFinding();
  b.fingerprint = FingerprintOf({"other"});
  b.title = "second";
  b.workflow = WorkflowStatus::kNew;
  b.record_state = RecordState::kActive;
  b.note.reset();
  Finalize(a, ctx, "s", "2026-01-05T00:00:00.000Z");
  Finalize(b, ctx, "s", "2026-01-05T00:00:00.000Z");
  AsffWriteOptions compact;
  compact.apply_limits = false;
  std::string ja = ToAsffJson(a, compact), jb = ToAsffJson(b, compact);
  for (const std::string& doc : {"[" + ja + "," + jb + "]", ja + "\n" + jb + "\n", "{\"Findings\":[" + ja + "," + jb + "]}"}) {
    std::vector<Finding> back = Ingest(doc);
    ASSERT_EQ(back.size(), 2u) << doc.substr(0, 40);
    Finalize(back[0], ctx, "s", "2031-01-01T00:00:00.000Z");
    Finalize(back[1], ctx, "s", "2031-01-01T00:00:00.000Z");
    EXPECT_EQ(ToAsffJson(back[0], compact), ja);
    EXPECT_EQ(ToAsffJson(back[1], compact), jb);
  }
}

// Exploitation data (issue 11): EpssScore, ExploitAvailable and LastKnownExploitAt per
// vulnerability, and the export-time ProductFields findex/kev, kev_due, ransomware and
// epss_percentile, come back on the vulnerabilities they were written from, so that the finding's
// summary (the store's kev/kev_due/ransomware/epss/epss_percentile columns) survives an export and
// re-ingest; a second write is byte-identical. Not in ASFF, and not carried: the EPSS score date,
// CISA's date added, and "known not listed" (kev 0).
TEST(AsffRoundTrip, ExploitationDataSurvives) {
  AsffContext ctx;
  Finding f = FullFinding();
  Vulnerability& listed = f.vulnerabilities[0];
  listed.exploit.epss = 0.94358;
  listed.exploit.epss_percentile = 0.99973;
  listed.exploit.epss_date = "2026-12-01";
  listed.exploit.kev = 1;
  listed.exploit.kev_date_added = "2021-12-10";
  listed.exploit.kev_due = "2021-12-24";
  listed.exploit.ransomware = 1;
  listed.exploit.exploit_available = "YES";
  listed.exploit.last_known_exploit_at = "2023-01-16T06:14:29.000Z";
  Vulnerability other = listed;
  other.id = "CVE-2024-0002";
  other.exploit = ExploitInfo{};
  other.exploit.epss = 0;  // a score of 0 is data
  other.exploit.exploit_available = "NO";
  // The KEV listing is on the second vulnerability here, so the reader must find it by
  // ExploitAvailable YES, not take the first.
  f.vulnerabilities = {other, listed};
  Finalize(f, ctx, "repo-a", "2026-01-05T00:00:00.000Z");
  AsffWriteOptions opts;
  opts.apply_limits = false;
  const std::string first = ToAsffJson(f, opts);
  EXPECT_NE(first.find("\"findex/kev\":\"true\""), std::string::npos) << first;

  std::vector<Finding> back = Ingest(first);
  ASSERT_EQ(back.size(), 1u);
  Finding& g = back[0];
  ASSERT_EQ(g.vulnerabilities.size(), 2u);
  for (const char* key : {"findex/kev", "findex/kev_due", "findex/ransomware", "findex/epss_percentile"}) {
    EXPECT_EQ(g.product_fields.count(key), 0u) << key << " must go back into ExploitInfo";
  }
  const ExploitInfo& a = g.vulnerabilities[0].exploit;
  EXPECT_EQ(a.epss, 0.0);
  EXPECT_EQ(a.exploit_available, "NO");
  EXPECT_EQ(a.kev, -1);
  EXPECT_LT(a.epss_percentile, 0);
  const ExploitInfo& b = g.vulnerabilities[1].exploit;
  EXPECT_DOUBLE_EQ(b.epss, 0.94358);
  EXPECT_DOUBLE_EQ(b.epss_percentile, 0.99973);
  EXPECT_EQ(b.kev, 1);
  EXPECT_EQ(b.kev_due, "2021-12-24");
  EXPECT_EQ(b.ransomware, 1);
  EXPECT_EQ(b.exploit_available, "YES");
  EXPECT_EQ(b.last_known_exploit_at, "2023-01-16T06:14:29.000Z");
  EXPECT_EQ(SummarizeExploit(g), SummarizeExploit(f));
  Finalize(g, ctx, "repo-a", "2030-12-31T00:00:00.000Z");
  EXPECT_EQ(ToAsffJson(g, opts), first);

  // A listing whose vulnerability has no ExploitAvailable goes back on the first vulnerability;
  // the summary is the same.
  Finding h = f;
  h.vulnerabilities[1].exploit.exploit_available.clear();
  h.vulnerabilities[1].exploit.ransomware = 0;
  back = Ingest(ToAsffJson(h, opts));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].vulnerabilities[0].exploit.kev, 1);
  EXPECT_EQ(back[0].vulnerabilities[0].exploit.ransomware, 0);
  EXPECT_EQ(SummarizeExploit(back[0]), SummarizeExploit(h));
}

TEST(AsffIngest, ForeignFindingGetsProducerIdentityAndKeepsOriginals) {
  std::string one = R"({"SchemaVersion":"2018-10-08","Id":"prowler-check11-123","ProductArn":"arn:aws:securityhub:us-east-1::product/prowler/prowler",
    "GeneratorId":"prowler-check11","AwsAccountId":"123456789012","Types":["IAM"],"CreatedAt":"2021-01-01T00:00:00Z",
    "UpdatedAt":"2021-01-01T00:00:00Z","Severity":{"Label":"LOW","Normalized":40},"Title":"t","Description":"d",
    "Resources":[{"Type":"AwsAccount","Id":"AWS::::Account:123456789012","Partition":"aws"}],"Compliance":{"Status":"FAILED"}})";
  std::vector<Finding> back = Ingest(one);
  ASSERT_EQ(back.size(), 1u);
  const Finding& f = back[0];
  EXPECT_EQ(f.fingerprint, FingerprintOf({"asff", "arn:aws:securityhub:us-east-1::product/prowler/prowler", "prowler-check11-123"}));
  EXPECT_EQ(f.scanner, "prowler");
  EXPECT_EQ(f.product_fields.at("asff/OriginalId"), "prowler-check11-123");
  EXPECT_EQ(f.product_fields.at("asff/OriginalProductArn"), "arn:aws:securityhub:us-east-1::product/prowler/prowler");
  EXPECT_EQ(f.product_fields.at("asff/OriginalTypes"), "IAM");
  EXPECT_EQ(f.product_fields.at("asff/ComplianceStatus"), "FAILED");
  EXPECT_EQ(f.types, std::vector<std::string>{"Software and Configuration Checks"});
  EXPECT_TRUE(f.id.empty());
  EXPECT_TRUE(f.product_arn.empty());
  EXPECT_EQ(f.severity.label, SeverityLabel::kLow);  // Label wins over an inconsistent Normalized
  EXPECT_EQ(f.severity.original, "LOW");
}

TEST(AsffIngest, MissingRequiredFieldsAreRejects) {
  const FormatDescriptor* fmt = FindFormat("asff");
  ASSERT_NE(fmt, nullptr);
  std::string ok = R"({"SchemaVersion":"2018-10-08","Id":"a","ProductArn":"arn:aws:securityhub:us-east-1::product/x/y","Title":"t","Severity":{"Label":"HIGH"},"Resources":[{"Type":"Other","Id":"r"}]})";
  std::string no_title = R"({"SchemaVersion":"2018-10-08","Id":"b","ProductArn":"p","Severity":{"Label":"HIGH"},"Resources":[{"Type":"Other","Id":"r"}]})";
  std::string no_res = R"({"SchemaVersion":"2018-10-08","Id":"c","ProductArn":"p","Title":"t","Severity":{"Label":"HIGH"},"Resources":[]})";
  Source src = Source::FromString("[" + ok + "," + no_title + "," + no_res + "]", "x.json");
  CollectingSink sink;
  auto res = IngestSource(src, fmt, IngestOptions{}, sink);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(sink.findings.size(), 1u);
  ASSERT_EQ(sink.rejects.size(), 2u);
  EXPECT_EQ(sink.rejects[0].where, "[1]");
  EXPECT_NE(sink.rejects[0].reason.find("Title"), std::string::npos);
  EXPECT_NE(sink.rejects[1].reason.find("Resources"), std::string::npos);
}

}  // namespace
