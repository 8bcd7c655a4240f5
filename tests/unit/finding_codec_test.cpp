// The stored form of a finding (normalize/finding_codec.h): what it keeps, what it drops as ASFF
// does, and that corrupt stored bytes are an error, never a crash.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "normalize/asff_writer.h"
#include "normalize/finding_codec.h"
#include "normalize/json_writer.h"

namespace findex {
namespace {

Finding Full() {
  Finding f;
  f.product_arn = "arn:aws:securityhub:us-east-1:000000000000:product/000000000000/default";
  f.aws_account_id = "000000000000";
  f.region = "us-east-1";
  f.product_name = "Trivy";
  f.company_name = "Aqua Security";
  f.types = {"Software and Configuration Checks/Vulnerabilities/CVE"};
  f.description = std::string(300, 'd') + " a description long enough to be shared and compressed";
  f.severity.original = "CRITICAL";
  f.confidence = 80;
  f.criticality = -1;
  f.remediation_text = "Upgrade openssl to 3.0.7 or later, which fixes the buffer overflow";
  f.remediation_url = "https://example.com/advisories/CVE-2022-3602";
  f.source_url = "https://avd.aquasec.com/nvd/cve-2022-3602";
  f.product_fields = {{"trivy/Target", "alpine:3.16"}, {"blank", "  "}, {"trivy/Class", "os-pkgs"}};
  f.user_defined_fields = {{"team", "payments"}};
  Resource r;
  r.type = "Container";
  r.id = "alpine:3.16";
  r.partition = "aws";
  r.region = "us-east-1";
  r.details_other = {{"ImageId", "sha256:abc"}};
  f.resources = {r, Resource{}};
  f.resource_count = 40;
  Vulnerability v;
  v.id = "CVE-2022-3602";
  VulnerablePackage p;
  p.name = "openssl";
  p.version = "3.0.5";
  p.package_manager = "OS";
  p.fixed_in_version = "3.0.7";
  p.purl = "pkg:apk/alpine/openssl@3.0.5";  // not ASFF: not stored
  v.vulnerable_packages = {p};
  v.cvss = {Cvss{"3.1", 7.5, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "NVD"}};
  v.reference_urls = {"https://nvd.nist.gov/vuln/detail/CVE-2022-3602", " "};
  v.related_vulnerabilities = {"GHSA-8rwr-x37p-mx23"};
  v.fix_available = "YES";
  v.vendor_url = "https://vendor.example";  // without a vendor name: ASFF drops it
  f.vulnerabilities = {v};
  f.cwes = {"CWE-120"};
  f.location.file_path = "lib/apk/db/installed";
  f.location.start_line = 3;
  f.location.end_line = 4;
  f.note = Note{"reported note text that is long enough to be referenced", "scanner", ""};
  return f;
}

std::string Asff(const Finding& f) {
  std::string out;
  JsonWriter w(&out);
  WriteAsff(f, w, AsffWriteOptions{false, -1});
  return out;
}

struct Texts {
  std::map<uint64_t, std::string> by_hash;
  std::function<Result<std::string>(uint64_t)> fn() {
    return [this](uint64_t h) -> Result<std::string> {
      auto it = by_hash.find(h);
      if (it == by_hash.end()) return MakeError(ErrorCode::kStore, "missing text");
      return it->second;
    };
  }
};

TEST(FindingCodec, RoundTripGivesTheSameAsff) {
  const Finding f = Full();
  std::string details;
  std::vector<DetailText> refs;
  uint64_t hash = 0;
  EncodeDetails(f, EncodeOptions{}, &details, &refs, &hash);
  EXPECT_FALSE(refs.empty());                     // the long texts are references
  EXPECT_EQ(static_cast<uint8_t>(details[0]), 2);  // and the record is compressed
  Texts texts;
  for (const auto& t : refs) texts.by_hash[t.hash] = std::string(t.text);
  Finding g;
  ASSERT_TRUE(DecodeDetails(details, texts.fn(), &g).ok());
  // Columns are the caller's: copy them to compare what the details hold.
  auto with_columns = [&](Finding x) {
    x.id = f.id;
    x.scanner = f.scanner;
    x.format = f.format;
    x.generator_id = f.generator_id;
    x.title = f.title;
    x.fingerprint = f.fingerprint;
    x.severity.label = f.severity.label;
    x.severity.normalized = f.severity.normalized;
    return x;
  };
  EXPECT_EQ(Asff(with_columns(g)), Asff(f));
  EXPECT_TRUE(g.vulnerabilities[0].vulnerable_packages[0].purl.empty());
  EXPECT_TRUE(g.vulnerabilities[0].vendor_url.empty());
  EXPECT_EQ(g.product_fields.count("blank"), 0u);
  EXPECT_EQ(g.resources[1].type, "Other");
  EXPECT_EQ(g.resources[1].id, "unknown");
  // The same finding inline (no references, no compression) has the same content hash.
  std::string inline_details;
  uint64_t inline_hash = 0;
  EncodeDetails(f, EncodeOptions{0, false}, &inline_details, nullptr, &inline_hash);
  EXPECT_NE(inline_details, details);
  Finding h;
  ASSERT_TRUE(DecodeDetails(inline_details, Texts{}.fn(), &h).ok());
  EXPECT_EQ(Asff(with_columns(h)), Asff(f));
  // Content hashes: equal findings, equal hashes; a changed description, another.
  Finding changed = f;
  changed.description += ".";
  uint64_t changed_hash = 0;
  EncodeDetails(changed, EncodeOptions{}, &details, nullptr, &changed_hash);
  EXPECT_NE(changed_hash, hash);
}

TEST(FindingCodec, CorruptDetailsAreAnErrorNeverACrash) {
  const Finding f = Full();
  for (bool compress : {false, true}) {
    std::string details;
    std::vector<DetailText> refs;
    EncodeDetails(f, EncodeOptions{40, compress}, &details, &refs);
    Texts texts;
    for (const auto& t : refs) texts.by_hash[t.hash] = std::string(t.text);
    size_t errors = 0;
    for (size_t n = 0; n < details.size(); ++n) {  // every truncation
      Finding g;
      if (!DecodeDetails(std::string_view(details).substr(0, n), texts.fn(), &g).ok()) ++errors;
    }
    EXPECT_EQ(errors, details.size());  // a truncated record is never taken for a whole one
    for (size_t i = 1; i < details.size(); ++i) {  // every byte flipped: an error or a finding, no crash
      std::string bad = details;
      bad[i] = static_cast<char>(bad[i] ^ 0xff);
      Finding g;
      (void)DecodeDetails(bad, texts.fn(), &g);
    }
    Finding g;
    EXPECT_FALSE(DecodeDetails(details, Texts{}.fn(), &g).ok());  // a missing text
    EXPECT_FALSE(DecodeDetails(std::string("\x07", 1), texts.fn(), &g).ok());  // unknown version
  }
}

}  // namespace
}  // namespace findex
