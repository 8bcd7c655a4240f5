// Writes every report format for a gate result built from real samples (Semgrep: file:line,
// ZAP: URLs, Dependency-Check: packages with jar paths), so tests/tools/validate_reports.py can
// check them against the JUnit XSD and the SARIF 2.1.0 schema.
//   report_fixture OUT_DIR [SOURCE_DIR]
// Writes OUT_DIR/report.{sarif,junit.xml,md,codeinsights.json,json} and, as an export (no
// verdict), OUT_DIR/export.{sarif,junit.xml}.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "ingest/driver.h"
#include "ingest/registry.h"
#include "ingest/source.h"
#include "rules/report.h"

using namespace findex;

namespace {

bool IngestSample(const std::string& root, const std::string& relative, std::vector<Finding>* out) {
  auto src = Source::FromFile(root + "/" + relative);
  if (!src.ok()) {
    std::cerr << relative << ": " << src.error().ToString() << "\n";
    return false;
  }
  CollectingSink sink;
  auto res = IngestSource(*src, nullptr, IngestOptions{}, sink);
  if (!res.ok()) {
    std::cerr << relative << ": " << res.error().ToString() << "\n";
    return false;
  }
  AsffContext ctx;
  for (auto& f : sink.findings) {
    Finalize(f, ctx, "repo:feature", "2026-03-01T12:00:00.000Z");
    out->push_back(std::move(f));
  }
  return true;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream os(path, std::ios::binary);
  os << text;
  if (!os) {
    std::cerr << "cannot write " << path << "\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: report_fixture OUT_DIR [SOURCE_DIR]\n";
    return 2;
  }
  std::string dir = argv[1];
  std::string root = argc > 2 ? argv[2] : FINDEX_SOURCE_DIR;

  std::vector<Finding> findings;
  for (const char* s : {"samples/semgrep/dd_semgrep_1.30.0.json", "samples/zap-xml/dd_zap_2.10.0_bodgeit_scan1.xml",
                        "samples/dependency-check-json/derived_pr6439_engine7.3.0_from_xml.json"}) {
    if (!IngestSample(root, s, &findings)) return 2;
  }

  // Gate "ci": at most 0 CRITICAL and 2 HIGH, new findings only; Semgrep and ZAP findings are
  // new, Dependency-Check ones existed before. Every fourth finding is suppressed by policy.
  GateResult ci;
  ci.name = "ci";
  ci.max = {{SeverityLabel::kCritical, 0}, {SeverityLabel::kHigh, 2}};
  ci.new_only = true;
  ci.baseline = "repo:main";
  ci.description = "new findings, all scanners";
  GateResult sca;
  sca.name = "sca-fixable";
  sca.max = {{SeverityLabel::kCritical, 5}};
  sca.fixable_only = true;
  sca.description = "fixable, scanner dependency-check";

  GateReport r;
  r.tool_version = "0.4.0-test";
  r.generated_at = "2026-03-01T12:00:00Z";
  r.scope = "repo:feature";
  r.baseline = "repo:main";
  r.has_verdict = true;
  std::vector<ReportItem> items;
  for (size_t i = 0; i < findings.size(); ++i) {
    ReportItem it;
    it.finding = findings[i];
    it.is_new = it.finding.scanner != "dependency-check";
    // Dependency-Check reports carry their own suppressions: those stay suppressed.
    if (it.finding.workflow == WorkflowStatus::kSuppressed) {
      it.status = ItemStatus::kSuppressed;
      it.suppression_reason = "suppressed in the Dependency-Check report";
    } else if (i % 4 == 3) {
      it.status = ItemStatus::kSuppressed;
      it.finding.workflow = WorkflowStatus::kSuppressed;
      it.suppression_reason = "accepted risk <legacy> & \"tracked\" in SEC-12";
      it.policy.push_back("suppress:legacy");
    }
    if (it.is_new) it.checked_by.push_back("ci");
    if (it.finding.scanner == "dependency-check") it.checked_by.push_back("sca-fixable");
    if (it.status != ItemStatus::kSuppressed) {
      for (const auto& g : it.checked_by) {
        GateResult& gr = g == "ci" ? ci : sca;
        ++gr.counts[it.finding.severity.label];
      }
    }
    items.push_back(std::move(it));
  }
  // A label over its threshold makes every counted finding of that label a violation.
  for (GateResult* g : {&ci, &sca}) {
    for (const auto& [label, max] : g->max) {
      uint64_t n = g->counts.count(label) ? g->counts[label] : 0;
      if (n > static_cast<uint64_t>(max)) {
        g->passed = false;
        g->violated.push_back(std::string(ToString(label)) + ": " + std::to_string(n) + " > " + std::to_string(max));
        for (auto& it : items) {
          if (it.status == ItemStatus::kSuppressed || it.finding.severity.label != label) continue;
          bool counted = false;
          for (const auto& c : it.checked_by) counted = counted || c == g->name;
          if (!counted) continue;
          it.status = ItemStatus::kViolation;
          it.gates.push_back(g->name);
        }
      }
    }
  }
  r.passed = ci.passed && sca.passed;
  r.gates = {ci, sca};
  r.items = std::move(items);
  r.notices.push_back("suppression 'old-zap' expired on 2026-02-01 (owner alice)");

  uint64_t truncated = 0;
  bool ok = WriteFile(dir + "/report.sarif", WriteSarifReport(r, 25000, &truncated)) &&
            WriteFile(dir + "/report.junit.xml", WriteJUnitReport(r)) &&
            WriteFile(dir + "/report.md", WriteMarkdownReport(r, 10)) &&
            WriteFile(dir + "/report.codeinsights.json", WriteCodeInsightsReport(r)) &&
            WriteFile(dir + "/report.json", WriteVerdictJson(r));
  GateReport exp = r;
  exp.has_verdict = false;
  exp.gates.clear();
  ok = ok && WriteFile(dir + "/export.sarif", WriteSarifReport(exp, 25000, &truncated)) &&
       WriteFile(dir + "/export.junit.xml", WriteJUnitReport(exp)) &&
       WriteFile(dir + "/export.codeinsights.json", WriteCodeInsightsReport(exp)) &&
       WriteFile(dir + "/export.json", WriteVerdictJson(exp));
  if (!ok) return 2;
  std::cout << r.items.size() << " findings, gate " << (r.passed ? "passed" : "failed") << "\n";
  return 0;
}
