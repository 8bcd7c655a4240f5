// Shared mapping for OWASP Dependency-Check reports (dependency_check_json.cpp,
// dependency_check_xml.cpp). Both readers fill the same view structs and EmitDependency turns
// them into findings, so the JSON and the XML report of one scan give identical findings and
// fingerprints (the `format` field aside).
//
// Field names follow Dependency-Check's report templates (core/src/main/resources/templates/
// jsonReport.vsl, reportSchema 1.1, and xmlReport.vsl, XML schemas 1.3 to 4.x).
//
// The structs hold string_views into the parsed document (simdjson's string buffer or the
// source text; pugixml's in-place buffer): valid while the reader's document lives.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/ingester.h"
#include "normalize/finding.h"

namespace findex::dc {

std::string_view TrimView(std::string_view s);

// One CVSS block as the report gives it: raw texts, parsed by CheckVuln.
struct CvssBlock {
  bool present = false;
  std::string_view score, version, vector, severity, source;
  // Metric words ("NETWORK") or letters ("N"): v2 av/ac/au/c/i/a, v3 av/ac/pr/ui/scope/c/i/a.
  std::string_view av, ac, au, pr, ui, scope, c, i, a;
  double value = -1;  // base score, < 0 when absent
};

// Where a CVSS block's member (JSON key or XML element name, same names in both) goes;
// nullptr for members findex does not use.
std::string_view* CvssSlot(CvssBlock& b, std::string_view key);

struct Vuln {
  std::string_view source;  // NVD, OSSINDEX, NPM, RETIREJS; absent before schema 2
  std::string_view name;    // CVE-..., GHSA-..., an NPM advisory number, an OSS Index id
  std::string_view severity, description, notes;
  bool unscored = false;
  bool suppressed = false;
  bool kev = false;  // CISA Known Exploited Vulnerability
  std::string_view kev_date_added, kev_due_date, kev_required_action;
  CvssBlock v2, v3, v4;
  std::vector<std::string_view> cwes;
  std::vector<std::string_view> reference_urls;
  // From the first vulnerableSoftware entry marked vulnerabilityIdMatched (matched= for
  // suppressed vulnerabilities): the CPE that matched and its versionEndExcluding.
  std::string_view matched_cpe, fixed_version;
  bool has_matched = false;
  std::string bad;  // set by a reader when a field has an impossible type: rejected
  uint64_t offset = 0;  // byte offset of the record (JSON reader), for rejects

  void AddSoftware(std::string_view cpe, bool matched, std::string_view end_excluding);
};

struct Ident {
  std::string_view id, confidence;  // purl or CPE; HIGHEST / HIGH / MEDIUM / LOW
};

// A scanned file: the dependency itself or one of its relatedDependencies.
struct Entry {
  std::string_view file_name, file_path, md5, sha1, sha256;
  bool is_virtual = false;
  std::vector<Ident> packages;  // software identifiers (purls)
  std::string_view maven_gav;   // schema 1.3 <identifier type="maven">group:artifact:version
};

struct Dependency {
  Entry main;
  std::vector<Entry> related;
  std::string_view description, license;
  std::vector<std::string_view> project_refs;
  std::vector<Ident> cpes;  // vulnerabilityIds (schema 1.3: <identifier type="cpe">)
  std::vector<Vuln> vulns;
  std::vector<Vuln> suppressed;
  std::string bad;  // set by a reader: the whole dependency is rejected

  void Clear();
};

// Report metadata copied into every finding. projectInfo/reportDate is deliberately not read:
// it changes on every scan, so copying it would change every finding's content on every re-scan
// (the store would rewrite every row as "updated"); the run table records when a report was
// ingested.
struct ReportInfo {
  std::string format;  // "dependency-check-json" / "dependency-check-xml"
  std::string engine_version, project_name, group_id, artifact_id, project_version;
};

// Parses the scores of `v` (and checks its name); returns the reason to reject it, or "".
std::string CheckVuln(Vuln& v);

// One finding per (vulnerability, package identity) of the dependency; see the .cpp header
// for the rules. Vulnerabilities must have passed CheckVuln.
Status EmitDependency(const ReportInfo& info, const Dependency& dep, FindingSink& sink);

}  // namespace findex::dc
