// OCSF export mapping (normalize/ocsf_writer.h): class per scanner and per finding, lifecycle ->
// activity_id / status_id, severity ids, and the members a CVE finding, a code finding and a
// compliance finding carry. The schema itself is checked by tests/cli/ocsf_export_test.py.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "normalize/ocsf_writer.h"

namespace findex {
namespace {

Finding Base(std::string scanner) {
  Finding f;
  f.scanner = std::move(scanner);
  f.format = f.scanner;
  f.id = "findex/0123456789abcdef";
  f.generator_id = "rule-1";
  f.title = "A title";
  f.description = "A description";
  f.created_at = "2026-02-03T04:05:06.000Z";
  f.updated_at = "2026-02-04T04:05:06.000Z";
  f.first_observed_at = f.created_at;
  f.last_observed_at = f.updated_at;
  f.severity.label = SeverityLabel::kHigh;
  f.aws_account_id = "000000000000";
  return f;
}

simdjson::dom::element Parse(simdjson::dom::parser& p, const std::string& json) {
  auto doc = p.parse(json);
  EXPECT_EQ(doc.error(), simdjson::SUCCESS) << json;
  return doc.value();
}

TEST(OcsfWriter, ClassTable) {
  EXPECT_EQ(OcsfClassFor(Base("grype")), OcsfClass::kVulnerabilityFinding);
  EXPECT_EQ(OcsfClassFor(Base("bandit")), OcsfClass::kVulnerabilityFinding);
  EXPECT_EQ(OcsfClassFor(Base("trufflehog")), OcsfClass::kVulnerabilityFinding);
  for (const char* s : {"checkov", "cfn-nag", "cfn-guard", "tfsec", "terrascan", "kics", "prowler", "tflint", "hadolint"}) {
    EXPECT_EQ(OcsfClassFor(Base(s)), OcsfClass::kComplianceFinding) << s;
  }
  for (const char* s : {"falco", "zap", "nuclei"}) EXPECT_EQ(OcsfClassFor(Base(s)), OcsfClass::kDetectionFinding) << s;
  // Every table entry is a known scanner once.
  const auto& table = OcsfScannerClasses();
  for (size_t i = 0; i < table.size(); ++i) {
    for (size_t j = i + 1; j < table.size(); ++j) EXPECT_NE(table[i].first, table[j].first);
  }
}

TEST(OcsfWriter, MixedScannersDecidePerFinding) {
  Finding vuln = Base("trivy");
  vuln.vulnerabilities.push_back({});
  vuln.vulnerabilities.back().id = "CVE-2021-44228";
  EXPECT_EQ(OcsfClassFor(vuln), OcsfClass::kVulnerabilityFinding);
  Finding misconfig = Base("trivy");
  misconfig.types = {"Software and Configuration Checks"};
  misconfig.location.file_path = "main.tf";
  EXPECT_EQ(OcsfClassFor(misconfig), OcsfClass::kComplianceFinding);
  Finding secret = Base("trivy");
  secret.types = {"Sensitive Data Identifications/Passwords"};
  secret.location.file_path = "config.yml";
  EXPECT_EQ(OcsfClassFor(secret), OcsfClass::kVulnerabilityFinding);
  Finding guardduty = Base("some-product");
  guardduty.types = {"TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort"};
  EXPECT_EQ(OcsfClassFor(guardduty), OcsfClass::kDetectionFinding);
  Finding control = Base("asff");
  control.types = {"Software and Configuration Checks/Industry and Regulatory Standards/CIS"};
  EXPECT_EQ(OcsfClassFor(control), OcsfClass::kComplianceFinding);
  Finding sast = Base("some-sarif-tool");
  sast.cwes = {"CWE-89"};
  EXPECT_EQ(OcsfClassFor(sast), OcsfClass::kVulnerabilityFinding);
}

TEST(OcsfWriter, Lifecycle) {
  Finding f = Base("grype");
  auto st = [&](int64_t first, int64_t last, int64_t active_since) {
    OcsfStatus s = OcsfStatusFor(f, OcsfHistory{first, last, active_since, ""});
    return std::make_pair(s.activity_id, s.status_id);
  };
  EXPECT_EQ(st(1, 1, 1), std::make_pair(1, 1));  // Create / New
  EXPECT_EQ(st(1, 2, 1), std::make_pair(2, 1));  // seen again: Update / New
  EXPECT_EQ(OcsfStatusFor(f, OcsfHistory{1, 3, 3, ""}).detail, "reopened");
  f.workflow = WorkflowStatus::kNotified;
  EXPECT_EQ(st(1, 1, 1), std::make_pair(2, 2));
  f.workflow = WorkflowStatus::kSuppressed;
  EXPECT_EQ(st(1, 1, 1), std::make_pair(2, 3));
  f.record_state = RecordState::kArchived;
  EXPECT_EQ(st(1, 1, 1), std::make_pair(3, 3));
  f.workflow = WorkflowStatus::kResolved;
  EXPECT_EQ(st(1, 1, 1), std::make_pair(3, 4));
  f.workflow = WorkflowStatus::kNew;
  EXPECT_EQ(st(1, 1, 1), std::make_pair(3, 5));
}

TEST(OcsfWriter, Severity) {
  EXPECT_EQ(OcsfSeverityId(SeverityLabel::kInformational), 1);
  EXPECT_EQ(OcsfSeverityId(SeverityLabel::kLow), 2);
  EXPECT_EQ(OcsfSeverityId(SeverityLabel::kMedium), 3);
  EXPECT_EQ(OcsfSeverityId(SeverityLabel::kHigh), 4);
  EXPECT_EQ(OcsfSeverityId(SeverityLabel::kCritical), 5);
  EXPECT_EQ(OcsfTimeMs("2026-02-03T04:05:06.789Z"), 1770091506789);
  EXPECT_EQ(OcsfTimeMs("yesterday"), -1);
}

TEST(OcsfWriter, CveFinding) {
  Finding f = Base("grype");
  Vulnerability v;
  v.id = "GHSA-jfh8-c2jp-5v3q";
  v.related_vulnerabilities = {"CVE-2021-44228"};
  v.cvss.push_back(Cvss{"3.1", 10.0, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "NVD"});
  VulnerablePackage p;
  p.name = "log4j-core";
  p.version = "2.14.1";
  p.purl = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1";
  p.fixed_in_version = "2.15.0";
  v.vulnerable_packages.push_back(p);
  v.fix_available = "YES";
  v.exploit.epss = 0.94358;
  v.exploit.epss_percentile = 0.99973;
  v.exploit.epss_date = "2026-12-01";
  v.exploit.kev = 1;
  f.vulnerabilities.push_back(v);
  f.remediation_text = "Upgrade";
  f.aws_account_id = "123456789012";
  f.region = "eu-west-1";
  f.product_arn = "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default";
  const std::string json = ToOcsfJson(f, OcsfHistory{1, 1, 1, "grype:HIGH(High)"});
  simdjson::dom::parser parser;
  auto e = Parse(parser, json);
  EXPECT_EQ(int64_t(e["class_uid"]), 2002);
  EXPECT_EQ(int64_t(e["type_uid"]), 200201);
  EXPECT_EQ(int64_t(e["severity_id"]), 4);
  EXPECT_EQ(std::string_view(e["finding_info"]["uid"]), "findex/0123456789abcdef");
  EXPECT_EQ(int64_t(e["time"]), 1770177906000);
  EXPECT_EQ(std::string_view(e["cloud"]["account"]["uid"]), "123456789012");
  EXPECT_EQ(std::string_view(e["metadata"]["profiles"].at(0)), "cloud");
  auto vuln = e["vulnerabilities"].at(0);
  EXPECT_EQ(std::string_view(vuln["cve"]["uid"]), "CVE-2021-44228");
  EXPECT_EQ(std::string_view(vuln["cve"]["epss"]["score"]), "0.94358");
  EXPECT_DOUBLE_EQ(double(vuln["cve"]["cvss"].at(0)["base_score"]), 10.0);
  EXPECT_EQ(std::string_view(vuln["related_vulnerabilities"].at(0)), "GHSA-jfh8-c2jp-5v3q");
  EXPECT_TRUE(bool(vuln["is_exploit_available"]));
  EXPECT_TRUE(bool(vuln["is_fix_available"]));
  auto pkg = vuln["affected_packages"].at(0);
  EXPECT_EQ(std::string_view(pkg["purl"]), p.purl);
  EXPECT_EQ(std::string_view(pkg["fixed_in_version"]), "2.15.0");
  EXPECT_EQ(std::string_view(vuln["remediation"]["desc"]), "Upgrade");
  EXPECT_TRUE(bool(e["unmapped"]["findex"]["kev"]));
  EXPECT_EQ(e["advisory"].error(), simdjson::NO_SUCH_FIELD);
}

TEST(OcsfWriter, CodeFindingOneVulnerabilityPerCwe) {
  Finding f = Base("semgrep");
  f.cwes = {"CWE-89", "CWE-564"};
  f.location.file_path = "src/app/db.py";
  f.location.start_line = 12;
  simdjson::dom::parser parser;
  auto e = Parse(parser, ToOcsfJson(f));
  EXPECT_EQ(e["cloud"].error(), simdjson::NO_SUCH_FIELD);  // placeholder account
  auto vulns = e["vulnerabilities"].get_array().value();
  ASSERT_EQ(vulns.size(), 2u);
  EXPECT_EQ(std::string_view(vulns.at(1)["cwe"]["uid"]), "CWE-564");
  auto code = vulns.at(0)["affected_code"].at(0);
  EXPECT_EQ(std::string_view(code["file"]["name"]), "db.py");
  EXPECT_EQ(std::string_view(code["file"]["path"]), "src/app/db.py");
  EXPECT_EQ(int64_t(code["start_line"]), 12);
  // No CWE: one advisory named by the rule.
  f.cwes.clear();
  auto e2 = Parse(parser, ToOcsfJson(f));
  EXPECT_EQ(std::string_view(e2["vulnerabilities"].at(0)["advisory"]["uid"]), "rule-1");
}

TEST(OcsfWriter, ComplianceStatus) {
  Finding f = Base("checkov");
  simdjson::dom::parser parser;
  auto e = Parse(parser, ToOcsfJson(f));
  EXPECT_EQ(int64_t(e["class_uid"]), 2003);
  EXPECT_EQ(int64_t(e["compliance"]["status_id"]), 3);
  EXPECT_EQ(std::string_view(e["compliance"]["control"]), "rule-1");
  f.workflow = WorkflowStatus::kResolved;
  f.record_state = RecordState::kArchived;
  auto closed = Parse(parser, ToOcsfJson(f));
  EXPECT_EQ(int64_t(closed["compliance"]["status_id"]), 1);
  EXPECT_EQ(int64_t(closed["activity_id"]), 3);
  EXPECT_EQ(int64_t(closed["status_id"]), 4);
  EXPECT_EQ(int64_t(closed["type_uid"]), 200303);
}

}  // namespace
}  // namespace findex
