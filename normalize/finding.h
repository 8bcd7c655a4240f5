// The finding model: mirrors AWS Security Finding Format (ASFF) 2018-10-08.
// Field names follow ../shared/asff/asff-shapes.json; see asff_writer.cpp for the mapping.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "normalize/severity.h"

namespace findex {

enum class WorkflowStatus { kNew, kNotified, kResolved, kSuppressed };
enum class RecordState { kActive, kArchived };

std::string_view ToString(WorkflowStatus s);
std::string_view ToString(RecordState s);
std::optional<WorkflowStatus> ParseWorkflowStatus(std::string_view s);  // case-insensitive
std::optional<RecordState> ParseRecordState(std::string_view s);

// 128-bit identity of a finding inside a scope; see fingerprint.h.
struct Fingerprint {
  std::array<uint8_t, 16> bytes{};
  std::string Hex() const;
  bool operator==(const Fingerprint&) const = default;
  bool empty() const;
};

struct Cvss {
  std::string version;      // "2.0", "3.1", "4.0"
  double base_score = -1;   // < 0: absent
  std::string base_vector;
  std::string source;       // e.g. "NVD"
};

struct VulnerablePackage {
  std::string name, version, epoch, release, architecture;
  std::string package_manager;   // e.g. "npm", "maven", "OS"
  std::string file_path;         // manifest or jar path
  std::string fixed_in_version;
  std::string remediation;
  std::string purl;              // kept in ProductFields; ASFF has no purl member
};

// Exploitation data of one vulnerability (issue 11): what the report says (Grype, Dependency-Check,
// Snyk, Inspector, ASFF input) or, in the store, what a loaded feed says (CISA KEV, FIRST EPSS;
// store/feeds): the feed wins where it has the CVE. "No data" stays distinct from a score of 0
// and from "not in KEV".
struct ExploitInfo {
  double epss = -1;             // FIRST EPSS probability 0..1; < 0: no data
  double epss_percentile = -1;  // 0..1; < 0: no data
  std::string epss_date;        // YYYY-MM-DD of the score, when known
  int kev = -1;                 // 1 listed in CISA KEV, 0 known not listed, -1 no data
  std::string kev_date_added;   // YYYY-MM-DD
  std::string kev_due;          // YYYY-MM-DD: CISA's due date
  int ransomware = -1;          // 1 known ransomware campaign use, 0 not known, -1 no data
  std::string exploit_available;      // ASFF ExploitAvailable: "YES", "NO"; "": absent
  std::string last_known_exploit_at;  // ASFF LastKnownExploitAt (RFC 3339); "": absent
  bool empty() const {
    return epss < 0 && epss_percentile < 0 && epss_date.empty() && kev < 0 && kev_date_added.empty() &&
           kev_due.empty() && ransomware < 0 && exploit_available.empty() && last_known_exploit_at.empty();
  }
};

struct Vulnerability {
  std::string id;  // CVE-..., GHSA-..., or the scanner's id
  std::vector<VulnerablePackage> vulnerable_packages;
  std::vector<Cvss> cvss;
  std::vector<std::string> reference_urls;
  std::vector<std::string> related_vulnerabilities;
  std::string fix_available;  // "", "YES", "NO", "PARTIAL"
  std::string vendor_name, vendor_url, vendor_severity;
  ExploitInfo exploit;
};

struct Resource {
  std::string type = "Other";  // ASFF resource type, e.g. Other, Container, AwsEc2Instance
  std::string id;              // unique for the resource; required
  std::string partition;       // filled by Finalize() when empty
  std::string region;          // filled by Finalize() when empty
  std::map<std::string, std::string> details_other;  // Details.Other (string map)
};

struct Severity {
  SeverityLabel label = SeverityLabel::kInformational;
  int normalized = 0;     // 0..100, consistent with label
  std::string original;   // the scanner's own value, verbatim
};

struct Note {
  std::string text, updated_by, updated_at;
};

// Where a SAST/DAST finding points; used by gates, queries and SARIF/JUnit output.
struct Location {
  std::string file_path;
  int start_line = 0;  // 0: none
  int end_line = 0;
  std::string url;     // DAST
};

struct Finding {
  // --- set by the ingester ---
  std::string scanner;          // product family, e.g. "zap", "dependency-check"
  std::string format;           // registry name, e.g. "zap-json"
  // What the report says it scanned (an image, a folder, a site, a project): findings are
  // resolved by absence only by a later report of the same scanner about the same target.
  // Empty: the format names none (or the ingester declared one report-wide target with
  // FindingSink::AddTarget, which the store fills in). Not part of the ASFF document.
  std::string target;
  Fingerprint fingerprint;      // required; see fingerprint.h
  std::string generator_id;     // rule / plugin id, required
  std::vector<std::string> types;  // ASFF taxonomy; default filled by Finalize()
  std::string title;            // full text, truncated only on export
  std::string description;      // full text, truncated only on export
  Severity severity;
  int confidence = -1;          // 0..100, < 0: absent
  int criticality = -1;         // 0..100, < 0: absent
  std::string remediation_text, remediation_url;
  std::string source_url;
  std::map<std::string, std::string> product_fields;
  std::map<std::string, std::string> user_defined_fields;
  std::string product_name, company_name;  // e.g. "OWASP ZAP", "OWASP"
  std::vector<Resource> resources;         // first 32 kept on export
  uint64_t resource_count = 0;             // full count when the report had more
  uint64_t occurrences = 0;                // events collapsed into this finding (Falco); 0: not an event
  std::vector<Vulnerability> vulnerabilities;
  std::vector<std::string> cwes;           // "CWE-79"
  Location location;
  WorkflowStatus workflow = WorkflowStatus::kNew;  // ingesters set kSuppressed where the report says so
  RecordState record_state = RecordState::kActive;
  std::optional<Note> note;

  // --- set by Finalize() / the store ---
  std::string id;             // ASFF Id
  std::string product_arn;
  std::string aws_account_id;
  std::string region;
  std::string scope;
  std::string created_at, updated_at, first_observed_at, last_observed_at;
};

// What a policy (rules/policy.h) decided for one finding; the store records it and the gate
// re-evaluates it. Empty optionals leave the finding as the scanner and lifecycle made it.
struct PolicyDecision {
  std::optional<SeverityLabel> severity;
  std::optional<WorkflowStatus> workflow;
  std::optional<Note> note;
  std::map<std::string, std::string> user_defined_fields;
  std::vector<std::string> applied;  // every rule that touched it: "override:NAME", "suppress:NAME", "rule:NAME"
  std::vector<std::string> actions;  // the policy's response actions whose `match` holds (issue 12), by name
  std::vector<std::string> expired;  // suppressions that matched but had expired: "NAME (expired 2026-10-01)"
  // When workflow is SUPPRESSED by a suppression that expires: its first instant no longer
  // suppressed (Unix ms), stored with the decision so that gates count the finding once expired.
  // < 0: never (no expiry, or an automation rule suppresses).
  int64_t suppress_expires_ms = -1;
  bool empty() const { return applied.empty() && expired.empty(); }
};

// Deployment settings that ASFF needs but reports do not carry.
struct AsffContext {
  std::string aws_account_id = "000000000000";
  std::string region = "us-east-1";
  std::string partition = "aws";
  std::string product_name = "findex";
  std::string company_name = "findex";
  std::string ProductArn() const;  // custom-integration form: arn:<p>:securityhub:<r>:<acct>:product/<acct>/default
};

// Fills the fields an ingester leaves empty (Id, ProductArn, account, region, partitions,
// default Types, timestamps when empty) and clamps severity to a consistent Label/Normalized.
void Finalize(Finding& f, const AsffContext& ctx, std::string_view scope, std::string_view now);

// ASFF Id: stable for (scope, fingerprint).
std::string MakeFindingId(std::string_view scope, const Fingerprint& fp);

// RFC 3339 UTC timestamp with milliseconds for `unix_ms`.
std::string FormatTimestamp(int64_t unix_ms);

}  // namespace findex
