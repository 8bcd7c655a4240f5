// Writes a Finding as an OCSF 1.6.0 event (the schema Security Hub reads), one event per finding,
// for `findex export --format ocsf` (JSON lines) and `--format ocsf-json` (a JSON array).
//
// Class (OcsfClassFor): a table keyed by scanner name (OcsfScannerClasses) says which class a
// scanner's findings are: Vulnerability Finding 2002 (dependency and image scanners, SAST,
// secrets), Compliance Finding 2003 (IaC and configuration checks), Detection Finding 2004
// (runtime and DAST). Scanners whose reports mix kinds (Trivy: vulnerabilities, misconfigurations
// and secrets; Inspector; ASFF from other products) and scanners the table does not know are
// decided per finding: a vulnerability id -> 2002; ASFF Types under TTPs / Effects / Unusual
// Behaviors -> 2004; a Security Hub compliance status, Types under Industry and Regulatory
// Standards or AWS Security Best Practices, or plain "Software and Configuration Checks"
// without a CWE -> 2003; a CWE or a source file (code and secrets) -> 2002; else 2004.
//
// Lifecycle (OcsfStatusFor), from the finding's Workflow, RecordState and the store's runs:
//   NEW, ACTIVE, seen in one run only              -> activity Create (1), status New (1)
//   NEW, ACTIVE, seen again / reopened             -> activity Update (2), status New (1)
//   NOTIFIED, ACTIVE                               -> activity Update (2), status In Progress (2)
//   SUPPRESSED, ACTIVE                             -> activity Update (2), status Suppressed (3)
//   RESOLVED (by absence or by a person)           -> activity Close (3),  status Resolved (4)
//   SUPPRESSED, ARCHIVED                           -> activity Close (3),  status Suppressed (3)
//   NEW / NOTIFIED, ARCHIVED (ASFF input)          -> activity Close (3),  status Archived (5)
// type_uid = class_uid * 100 + activity_id. The README ("### OCSF") has the full field mapping.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "normalize/finding.h"
#include "normalize/json_writer.h"

namespace findex {

enum class OcsfClass : int {
  kAuto = 0,  // decided per finding (see above)
  kVulnerabilityFinding = 2002,
  kComplianceFinding = 2003,
  kDetectionFinding = 2004,
};

// The scanner -> class table (scanner names as Finding::scanner spells them), in table order.
const std::vector<std::pair<std::string_view, OcsfClass>>& OcsfScannerClasses();

// The class of one finding: the table's entry for its scanner, else decided by its content.
OcsfClass OcsfClassFor(const Finding& f);

// What the store knows about a finding's history (store FindingRow); all 0 when unknown.
struct OcsfHistory {
  int64_t first_seen_run = 0, last_seen_run = 0, active_since_run = 0;
  std::string sources;  // "grype:HIGH(High);trivy:CRITICAL(CRITICAL)"
};

struct OcsfStatus {
  int activity_id = 1;  // 1 Create, 2 Update, 3 Close
  int status_id = 1;    // 1 New, 2 In Progress, 3 Suppressed, 4 Resolved, 5 Archived
  std::string detail;   // status_detail: "reopened", "seen again", "resolved by a rescan", ...
};
OcsfStatus OcsfStatusFor(const Finding& f, const OcsfHistory& h);

// OCSF severity_id for a findex severity: Informational 1, Low 2, Medium 3, High 4, Critical 5.
int OcsfSeverityId(SeverityLabel l);

// cloud {provider "AWS", account.uid, region, cloud_partition} (with the "cloud" profile, which
// also allows resources[].region / cloud_partition) and metadata.product.uid (the ProductArn) are
// written when the finding's AwsAccountId is a real one: not empty, not the 000000000000
// placeholder. `findex export` sets it from --account-id / $FINDEX_ACCOUNT_ID when given.
struct OcsfWriteOptions {
  std::string partition = "aws";
};

void WriteOcsf(const Finding& f, const OcsfHistory& h, const OcsfWriteOptions& opts, JsonWriter& w);
std::string ToOcsfJson(const Finding& f, const OcsfHistory& h = {}, const OcsfWriteOptions& opts = {});

// Milliseconds since the epoch of an RFC 3339 timestamp; -1 when it is not one.
int64_t OcsfTimeMs(std::string_view rfc3339);

}  // namespace findex
