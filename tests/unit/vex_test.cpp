// VEX as policy input (rules/vex_document.h reader, rules/vex.h matching, Evaluate): purl version
// awareness, aliases, newest statement wins, CycloneDX bom-ref resolution, invalid documents
// with positions, and the real OpenVEX / CycloneDX documents of tests/data/vex/.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "rules/vex_document.h"
#include "rules/policy.h"
#include "rules/vex.h"

namespace findex {
namespace {

constexpr int64_t kNow = 1795305600000LL;  // 2026-11-22T00:00:00Z

std::string DataDir() { return std::string(FINDEX_SOURCE_DIR) + "/tests/data/vex/"; }

Finding Sca(const std::string& cve, const std::string& name, const std::string& version, const std::string& purl,
            std::vector<std::string> related = {}, const std::string& manager = "npm") {
  Finding f;
  f.scanner = "trivy";
  f.generator_id = cve;
  f.title = cve + " in " + name;
  f.severity.label = SeverityLabel::kHigh;
  Vulnerability v;
  v.id = cve;
  v.related_vulnerabilities = std::move(related);
  VulnerablePackage p;
  p.name = name;
  p.version = version;
  p.package_manager = manager;
  p.purl = purl;
  v.vulnerable_packages.push_back(p);
  f.vulnerabilities.push_back(v);
  return f;
}

// A policy holding the given OpenVEX texts, in order; parse errors fail the test.
Policy WithVex(const std::vector<std::string>& docs) {
  Policy p;
  p.vex = std::make_shared<VexSet>();
  int n = 0;
  for (const auto& text : docs) {
    VexDocument d;
    std::vector<VexProblem> problems;
    Status s = ParseVex(text, "doc" + std::to_string(++n) + ".json", &d, &problems);
    EXPECT_TRUE(s.ok()) << (problems.empty() ? std::string() : FormatVexProblem(d.file, problems.front()));
    p.vex->Add(d);
  }
  return p;
}

std::string OpenVex(const std::string& statements, const std::string& ts = "2026-01-01T00:00:00Z") {
  return R"({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1", "author": "t",
             "timestamp": ")" + ts + R"(", "version": 1, "statements": [)" + statements + "]}";
}

std::string Stmt(const std::string& vuln, const std::string& product, const std::string& status,
                 const std::string& extra = R"("justification": "vulnerable_code_not_present")", const std::string& ts = "") {
  std::string s = R"({"vulnerability": {"name": ")" + vuln + R"("}, "products": [{"@id": ")" + product +
                  R"("}], "status": ")" + status + "\"";
  if (!extra.empty()) s += ", " + extra;
  if (!ts.empty()) s += R"(, "timestamp": ")" + ts + "\"";
  return s + "}";
}

TEST(VexMatch, PurlVersionAware) {
  Policy p = WithVex({OpenVex(Stmt("CVE-2024-0001", "pkg:npm/foo@1.0.0", "not_affected"))});
  const Finding a1 = Sca("CVE-2024-0001", "foo", "1.0.0", "pkg:npm/foo@1.0.0");
  const Finding a2 = Sca("CVE-2024-0001", "foo", "2.0.0", "pkg:npm/foo@2.0.0");
  const Finding y = Sca("CVE-2024-0002", "foo", "1.0.0", "pkg:npm/foo@1.0.0");
  const Finding other_eco = Sca("CVE-2024-0001", "foo", "1.0.0", "pkg:pypi/foo@1.0.0");
  PolicyDecision d = Evaluate(p, a1, kNow);
  ASSERT_TRUE(d.workflow);
  EXPECT_EQ(*d.workflow, WorkflowStatus::kSuppressed);
  EXPECT_EQ(d.applied, std::vector<std::string>{"vex:doc1.json"});
  ASSERT_TRUE(d.note);
  EXPECT_NE(d.note->text.find("vulnerable_code_not_present"), std::string::npos) << d.note->text;
  EXPECT_FALSE(Evaluate(p, a2, kNow).workflow);
  EXPECT_FALSE(Evaluate(p, y, kNow).workflow);
  EXPECT_FALSE(Evaluate(p, other_eco, kNow).workflow);
  // Without a purl: manager + name + version (Trivy's "node-pkg" is npm).
  EXPECT_TRUE(Evaluate(p, Sca("CVE-2024-0001", "foo", "1.0.0", "", {}, "node-pkg"), kNow).workflow);
  EXPECT_FALSE(Evaluate(p, Sca("CVE-2024-0001", "foo", "1.0.1", "", {}, "node-pkg"), kNow).workflow);
  // The purl kept as a product field (a stored finding).
  Finding stored = Sca("CVE-2024-0001", "foo", "2.0.0", "");
  stored.vulnerabilities[0].vulnerable_packages[0].package_manager.clear();
  stored.product_fields["trivy/Purl"] = "pkg:npm/foo@1.0.0";
  EXPECT_TRUE(Evaluate(p, stored, kNow).workflow);
}

TEST(VexMatch, PurlWithoutVersionAppliesToEveryVersion) {
  Policy p = WithVex({OpenVex(Stmt("CVE-2024-0001", "pkg:npm/foo", "not_affected"))});
  EXPECT_TRUE(Evaluate(p, Sca("CVE-2024-0001", "foo", "1.0.0", "pkg:npm/foo@1.0.0"), kNow).workflow);
  EXPECT_TRUE(Evaluate(p, Sca("CVE-2024-0001", "foo", "2.0.0", "pkg:npm/foo@2.0.0"), kNow).workflow);
  EXPECT_FALSE(Evaluate(p, Sca("CVE-2024-0001", "foobar", "2.0.0", "pkg:npm/foobar@2.0.0"), kNow).workflow);
}

TEST(VexMatch, Aliases) {
  // The statement names the GHSA id; the finding is the CVE and lists the GHSA id.
  Policy p = WithVex({OpenVex(Stmt("GHSA-aaaa-bbbb-cccc", "pkg:npm/foo", "not_affected"))});
  EXPECT_TRUE(Evaluate(p, Sca("CVE-2024-0001", "foo", "1.0.0", "pkg:npm/foo@1.0.0", {"GHSA-aaaa-bbbb-cccc"}), kNow).workflow);
  EXPECT_FALSE(Evaluate(p, Sca("CVE-2024-0001", "foo", "1.0.0", "pkg:npm/foo@1.0.0"), kNow).workflow);
  // The statement's aliases name the finding's id.
  Policy q = WithVex({OpenVex(
      R"({"vulnerability": {"name": "GHSA-aaaa-bbbb-cccc", "aliases": ["cve-2024-0001"]}, "products": ["pkg:npm/foo@1.0.0"],
          "status": "not_affected", "impact_statement": "not reachable"})")});
  PolicyDecision d = Evaluate(q, Sca("CVE-2024-0001", "foo", "1.0.0", "pkg:npm/foo@1.0.0"), kNow);
  ASSERT_TRUE(d.workflow);
  EXPECT_NE(d.note->text.find("not reachable"), std::string::npos);
}

TEST(VexMatch, StatusEffects) {
  const Finding f = Sca("CVE-2024-0001", "foo", "1.0.0", "pkg:npm/foo@1.0.0");
  PolicyDecision fixed = Evaluate(WithVex({OpenVex(Stmt("CVE-2024-0001", "pkg:npm/foo@1.0.0", "fixed", ""))}), f, kNow);
  ASSERT_TRUE(fixed.workflow);
  EXPECT_EQ(*fixed.workflow, WorkflowStatus::kResolved);
  PolicyDecision affected = Evaluate(
      WithVex({OpenVex(Stmt("CVE-2024-0001", "pkg:npm/foo@1.0.0", "affected", R"("action_statement": "upgrade to 1.0.1")"))}),
      f, kNow);
  EXPECT_FALSE(affected.workflow);
  ASSERT_TRUE(affected.note);
  EXPECT_NE(affected.note->text.find("upgrade to 1.0.1"), std::string::npos);
  EXPECT_EQ(affected.applied, std::vector<std::string>{"vex:doc1.json"});
  PolicyDecision inv = Evaluate(WithVex({OpenVex(Stmt("CVE-2024-0001", "pkg:npm/foo@1.0.0", "under_investigation", ""))}), f, kNow);
  EXPECT_FALSE(inv.workflow);
  EXPECT_TRUE(inv.note);
}

TEST(VexMatch, NewestStatementWins) {
  const Finding f = Sca("CVE-2024-0001", "foo", "1.0.0", "pkg:npm/foo@1.0.0");
  const std::string older = OpenVex(Stmt("CVE-2024-0001", "pkg:npm/foo", "not_affected", R"("justification": "component_not_present")",
                                         "2026-01-01T00:00:00Z"));
  const std::string newer = OpenVex(Stmt("CVE-2024-0001", "pkg:npm/foo@1.0.0", "affected", "", "2026-02-01T00:00:00Z"));
  // Newest by timestamp, whatever the order the documents were read in.
  EXPECT_FALSE(Evaluate(WithVex({older, newer}), f, kNow).workflow);
  EXPECT_FALSE(Evaluate(WithVex({newer, older}), f, kNow).workflow);
  // No statement timestamp: the document's.
  const std::string doc_newer = OpenVex(Stmt("CVE-2024-0001", "pkg:npm/foo", "not_affected"), "2026-03-01T00:00:00Z");
  EXPECT_TRUE(Evaluate(WithVex({newer, doc_newer}), f, kNow).workflow);
  EXPECT_TRUE(Evaluate(WithVex({doc_newer, newer}), f, kNow).workflow);
  // Equal times: the one read later.
  const std::string same = OpenVex(Stmt("CVE-2024-0001", "pkg:npm/foo", "fixed", "", "2026-02-01T00:00:00Z"));
  EXPECT_EQ(*Evaluate(WithVex({newer, same}), f, kNow).workflow, WorkflowStatus::kResolved);
  EXPECT_FALSE(Evaluate(WithVex({same, newer}), f, kNow).workflow);
}

TEST(VexMatch, PolicySuppressionWinsAndHashChanges) {
  std::vector<Diagnostic> diags;
  Policy p;
  ASSERT_TRUE(LoadPolicyText("suppressions:\n  - name: accepted\n    match: {vuln: CVE-2024-0001}\n    reason: ok\n",
                             "findex.yml", &p, &diags).ok());
  const uint64_t before = p.Hash();
  Policy with = WithVex({OpenVex(Stmt("CVE-2024-0001", "pkg:npm/foo", "fixed", ""))});
  p.vex = with.vex;
  EXPECT_NE(p.Hash(), before);
  PolicyDecision d = Evaluate(p, Sca("CVE-2024-0001", "foo", "1.0.0", "pkg:npm/foo@1.0.0"), kNow);
  EXPECT_EQ(*d.workflow, WorkflowStatus::kSuppressed);
  EXPECT_EQ(d.applied, std::vector<std::string>{"suppress:accepted"});
}

TEST(VexMatch, SubcomponentsAndIdentifiers) {
  Policy p = WithVex({OpenVex(R"({"vulnerability": {"name": "CVE-2024-0001"},
      "products": [{"@id": "pkg:oci/app@sha256%3Aabc", "subcomponents": [{"@id": "pkg:npm/foo@1.0.0"}]},
                   {"@id": "https://example.com/product/bar", "identifiers": {"purl": "pkg:npm/bar@3.0.0"}}],
      "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"})")});
  EXPECT_TRUE(Evaluate(p, Sca("CVE-2024-0001", "foo", "1.0.0", "pkg:npm/foo@1.0.0"), kNow).workflow);
  EXPECT_TRUE(Evaluate(p, Sca("CVE-2024-0001", "bar", "3.0.0", "pkg:npm/bar@3.0.0"), kNow).workflow);
  EXPECT_FALSE(Evaluate(p, Sca("CVE-2024-0001", "bar", "3.0.1", "pkg:npm/bar@3.0.1"), kNow).workflow);
}

struct Bad {
  std::string text, want;  // `want` in the formatted first error
};

TEST(VexParse, InvalidDocumentsHavePositions) {
  const std::vector<Bad> cases = {
      {"{\n  \"statements\": [\n    {\"status\": \"fixed\",}\n  ]\n}", "x.json:3:24: error V001"},
      {"{\"statements\": [", "x.json:1:17: error V001"},
      {"", "x.json: error V001: empty file"},
      {"[\"not\", \"a\", \"document\"]", "V002"},
      {R"({"vulnerabilities": 3})", "V003: vulnerabilities: must be a list"},
      {OpenVex(Stmt("CVE-1", "pkg:npm/foo", "maybe", "")), "V004: statements[0].status: unknown status 'maybe'"},
      {OpenVex(Stmt("CVE-1", "pkg:npm/foo", "not_affected", "")), "V007: statements[0]: not_affected needs"},
      {OpenVex(Stmt("CVE-1", "pkg:npm/foo", "not_affected", R"("justification": "because")")),
       "V005: statements[0].justification: unknown justification 'because'"},
      {OpenVex(Stmt("CVE-1", "pkg:npm/foo", "fixed", "", "yesterday")), "V006: statements[0].timestamp"},
      {OpenVex(R"({"products": ["pkg:npm/foo"], "status": "fixed"})"), "V003: statements[0]: statement has no vulnerability"},
  };
  for (const auto& c : cases) {
    VexDocument d;
    std::vector<VexProblem> problems;
    EXPECT_FALSE(ParseVex(c.text, "x.json", &d, &problems).ok()) << c.text;
    ASSERT_FALSE(problems.empty()) << c.text;
    const std::string got = FormatVexProblem("x.json", problems.front());
    EXPECT_NE(got.find(c.want), std::string::npos) << got << "\n  wanted: " << c.want;
  }
}

TEST(VexParse, CorpusOpenVex) {
  VexDocument d;
  std::vector<VexProblem> problems;
  ASSERT_TRUE(ReadVexFile(DataDir() + "dd_many_vuln.json", &d, &problems).ok());
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(d.format, "openvex");
  ASSERT_EQ(d.statements.size(), 6u);
  EXPECT_EQ(d.statements[0].status, VexStatus::kNotAffected);
  EXPECT_EQ(d.statements[1].status, VexStatus::kAffected);
  EXPECT_EQ(d.statements[1].action, "No action statement provided");
  EXPECT_EQ(d.statements[2].status, VexStatus::kFixed);
  EXPECT_EQ(d.statements[3].status, VexStatus::kUnderInvestigation);
  EXPECT_EQ(d.statements[4].aliases, std::vector<std::string>{"GHSA-jfh8-c2jp-5v3q"});
  // v0.0.x shapes: vulnerability as a string, products as purl strings.
  EXPECT_EQ(d.statements[5].vuln, "CVE-2024-10006");
  EXPECT_EQ(d.statements[5].products, std::vector<std::string>{"pkg:apk/alpine/openssl@1.1.1k-r0"});
  Policy p;
  p.vex = std::make_shared<VexSet>();
  p.vex->Add(d);
  // apk: the distro qualifier is not part of the package; the version is.
  EXPECT_TRUE(Evaluate(p, Sca("CVE-2024-10001", "apk-tools", "2.10.6-r0", "", {}, "alpine"), kNow).workflow);
  EXPECT_FALSE(Evaluate(p, Sca("CVE-2024-10001", "apk-tools", "2.10.6-r1", "", {}, "alpine"), kNow).workflow);
  EXPECT_TRUE(Evaluate(p, Sca("GHSA-jfh8-c2jp-5v3q", "zlib", "1.2.11-r1", "", {}, "alpine"), kNow).workflow);

  VexDocument empty;
  problems.clear();
  ASSERT_TRUE(ReadVexFile(DataDir() + "dd_no_vuln.json", &empty, &problems).ok());
  EXPECT_TRUE(empty.statements.empty());
  problems.clear();
  EXPECT_FALSE(ReadVexFile(DataDir() + "dd_not_a_document.json", &empty, &problems).ok());
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].code, "V002");
}

TEST(VexParse, CycloneDxBomRefs) {
  VexDocument d;
  std::vector<VexProblem> problems;
  ASSERT_TRUE(ReadVexFile(DataDir() + "cyclonedx_dd_valid_vulnerability_1.4.json", &d, &problems).ok());
  EXPECT_EQ(d.format, "cyclonedx");
  ASSERT_EQ(d.statements.size(), 1u);
  const VexStatement& s = d.statements[0];
  EXPECT_EQ(s.vuln, "SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111");
  EXPECT_EQ(s.aliases, std::vector<std::string>{"CVE-2018-7489"});
  EXPECT_EQ(s.status, VexStatus::kNotAffected);
  EXPECT_EQ(s.justification, "code_not_reachable");
  EXPECT_EQ(s.products, std::vector<std::string>{"pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4"});
  // A bom-ref that is not a purl resolves through the component.
  const std::string bom = R"({"bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {"timestamp": "2026-01-01T00:00:00Z"},
    "components": [{"bom-ref": "comp-1", "name": "foo", "purl": "pkg:npm/foo@1.0.0",
                    "components": [{"bom-ref": "comp-2", "purl": "pkg:npm/bar@2.0.0"}]}],
    "vulnerabilities": [
      {"id": "CVE-2024-0001", "affects": [{"ref": "comp-1"}, {"ref": "comp-2"}, {"ref": "unknown"}],
       "analysis": {"state": "resolved", "lastUpdated": "2026-02-01T00:00:00Z"}},
      {"id": "CVE-2024-0002", "affects": [{"ref": "comp-1"}]},
      {"id": "CVE-2024-0003", "affects": [{"ref": "comp-1"}], "analysis": {"state": "maybe"}}]})";
  problems.clear();
  EXPECT_FALSE(ParseVex(bom, "b.json", &d, &problems).ok());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_TRUE(problems[0].warning);  // "unknown" matches nothing
  EXPECT_EQ(problems[0].path, "vulnerabilities[0].affects[2].ref");
  EXPECT_EQ(problems[1].path, "vulnerabilities[2].analysis.state");
  const std::string good = bom.substr(0, bom.find(",\n      {\"id\": \"CVE-2024-0003\"")) + "]}";
  problems.clear();
  ASSERT_TRUE(ParseVex(good, "b.json", &d, &problems).ok()) << good;
  ASSERT_EQ(d.statements.size(), 1u);  // no analysis: no statement
  EXPECT_EQ(d.statements[0].status, VexStatus::kFixed);
  EXPECT_EQ(d.statements[0].products, (std::vector<std::string>{"pkg:npm/foo@1.0.0", "pkg:npm/bar@2.0.0"}));
  EXPECT_EQ(d.statements[0].timestamp, "2026-02-01T00:00:00Z");
}

TEST(VexPolicy, PolicyKeyRelativePathsAndErrors) {
  const auto dir = std::filesystem::temp_directory_path() / ("findex-vex-unit-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "sub");
  std::ofstream(dir / "sub" / "good.json") << OpenVex(Stmt("CVE-2024-0001", "pkg:npm/foo", "not_affected"));
  std::ofstream(dir / "sub" / "bad.json") << OpenVex(Stmt("CVE-2024-0001", "pkg:npm/foo", "nope", ""));
  std::ofstream(dir / "sub" / "findex.yml") << "vex: [good.json]\n";
  std::ofstream(dir / "sub" / "bad.yml") << "vex:\n  - good.json\n  - bad.json\n  - missing.json\n";
  Policy p;
  std::vector<Diagnostic> diags;
  ASSERT_TRUE(LoadPolicyFile((dir / "sub" / "findex.yml").string(), &p, &diags).ok());
  ASSERT_TRUE(p.vex);
  EXPECT_EQ(p.vex->size(), 1u);
  EXPECT_TRUE(Evaluate(p, Sca("CVE-2024-0001", "foo", "1.0.0", "pkg:npm/foo@1.0.0"), kNow).workflow);
  Policy q;
  diags.clear();
  EXPECT_FALSE(LoadPolicyFile((dir / "sub" / "bad.yml").string(), &q, &diags).ok());
  std::string all;
  for (const auto& d : diags) all += d.ToString() + "\n";
  EXPECT_NE(all.find("bad.json: error V004: statements[0].status: unknown status 'nope'"), std::string::npos) << all;
  EXPECT_NE(all.find("bad.yml:3:5: error P019"), std::string::npos) << all;
  EXPECT_NE(all.find("bad.yml:4:5: error P019: vex: cannot read 'missing.json'"), std::string::npos) << all;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace findex
