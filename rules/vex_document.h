// VEX documents (Vulnerability Exploitability eXchange) as policy input: the reader. What a
// statement does to findings is rules/vex.h; where VEX files come from is `findex ingest --vex`
// and the policy's `vex:` key (rules/policy.h).
//
// Shapes read (JSON):
//   OpenVEX (https://github.com/openvex/spec/blob/main/OPENVEX-SPEC.md, v0.2.0 and the older
//   v0.0.x): {"@context": "https://openvex.dev/ns...", "@id", "timestamp", "last_updated",
//   "statements": [{"vulnerability": {"@id", "name", "aliases": [..]} | "CVE-..." (v0.0.x),
//   "products": [{"@id": PURL|IRI, "identifiers": {"purl", "cpe22", "cpe23"},
//   "subcomponents": [{"@id", "identifiers": {"purl"}}]} | "PURL" (v0.0.x)],
//   "subcomponents": [..] (v0.0.x, statement level), "status", "justification",
//   "impact_statement", "action_statement", "status_notes", "timestamp", "last_updated"}]}.
//   CycloneDX VEX (https://cyclonedx.org/docs/1.5/json/#vulnerabilities, 1.4+): a BOM
//   {"bomFormat": "CycloneDX", "metadata": {"timestamp"}, "components": [..] (nested, each
//   "bom-ref" and "purl"), "vulnerabilities": [{"id", "source": {"name"}, "references":
//   [{"id"}], "affects": [{"ref"}], "analysis": {"state", "justification", "response": [..],
//   "detail", "firstIssued", "lastUpdated"}}]}. Only vulnerabilities with an `analysis.state`
//   are statements (a plain SBOM's vulnerabilities say nothing about exploitability).
//   `affects[].ref` is a bom-ref resolved to that component's purl, or a purl itself.
//   CycloneDX states map to OpenVEX's: not_affected, false_positive (kept as such), resolved
//   and resolved_with_pedigree -> fixed, exploitable -> affected, in_triage ->
//   under_investigation. `affects[].versions` ranges are not read: the component's purl
//   names the version.
// One statement: one vulnerability (its name/id and aliases) x the purls of its products.
// Products that are not purls (CPEs, image digests, IRIs) match no package: a statement with
// none is kept (it decides nothing) with a warning.
//
// Invalid documents are errors with a position: JSON syntax as file:line:col, everything else
// as the JSON path of the offending value (statements[2].status). Fail closed: a document with
// any error is not used at all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "normalize/result.h"

namespace findex {

enum class VexStatus { kNotAffected, kAffected, kFixed, kUnderInvestigation, kFalsePositive };
std::string_view ToString(VexStatus s);

struct VexStatement {
  std::string vuln;                  // name / id as written
  std::vector<std::string> aliases;  // aliases (OpenVEX) or references[].id (CycloneDX)
  std::vector<std::string> products; // purls: products, their subcomponents, identifiers.purl
  VexStatus status = VexStatus::kUnderInvestigation;
  std::string justification;         // OpenVEX justification or CycloneDX analysis.justification
  std::string impact;                // impact_statement / analysis.detail
  std::string action;                // action_statement / analysis.response, joined
  std::string timestamp;             // the statement's, else the document's; "" none
  int64_t timestamp_ms = -1;         // < 0: none (older than any dated statement)
  std::string where;                 // JSON path, e.g. "statements[3]"
};

struct VexDocument {
  std::string file;    // as given
  std::string format;  // "openvex" or "cyclonedx"
  std::string id;      // OpenVEX @id, CycloneDX serialNumber
  std::string timestamp;
  std::vector<VexStatement> statements;
};

struct VexProblem {
  bool warning = false;
  int line = 0, column = 0;  // 1-based; 0: use `path`
  std::string path;          // JSON path ("statements[2].status"); "" for syntax errors
  std::string code;          // V001...
  std::string message;
};

// Reads one VEX document from text. Appends every problem; returns an error (kSchema) when any
// is an error (then `out` must not be used).
Status ParseVex(std::string_view text, const std::string& file, VexDocument* out, std::vector<VexProblem>* problems);
// The same from a file (kIo when it cannot be read).
Status ReadVexFile(const std::string& path, VexDocument* out, std::vector<VexProblem>* problems);

// "file:line:col: error V003: message" or "file: error V003: statements[2].status: message".
std::string FormatVexProblem(const std::string& file, const VexProblem& p);

}  // namespace findex
