// Reading OCSF events (https://schema.ocsf.io), the start of a general OCSF reader: today the
// Detection Finding class (class_uid 2004, category Findings), as Prowler writes it
// (prowler.cpp), in the shapes of OCSF 1.2 to 1.6 (the attributes read here did not change
// between them; 1.0 / 1.1 Security Finding 2001 is not read).
//
// ParseOcsfDetectionFinding turns one event object into OcsfDetectionFinding (plain strings,
// no simdjson types), so that a reader decides what one finding is, its identity and its
// severity, and shares the mapping of the OCSF objects:
//   severity_id / severity -> OcsfSeverityLabel: 1 Informational, 2 Low, 3 Medium, 4 High,
//     5 Critical, 6 Fatal (-> CRITICAL); 0 Unknown / 99 Other -> INFORMATIONAL.
//   status_id / status: 3 "Suppressed" -> OcsfIsSuppressed (workflow SUPPRESSED).
//   resources[] -> OcsfAsffResource: ASFF Resource Id = uid (else name), Type = the OCSF type,
//     Region / Partition when they are AWS's, the rest (name, group, namespace, labels, cloud
//     account) in Details.Other.
//   remediation {desc, references[]}, finding_info {uid, title, desc, types[], times},
//   cloud {account {uid, name, type}, org, provider, region}, metadata {event_code, product,
//   version}, compliance (the OCSF object: standards[], requirements[], control, status) and
//   unmapped.compliance (Prowler's {framework: [requirement, ...]} map) -> compliance lines.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "normalize/finding.h"

namespace findex {

struct OcsfResource {
  std::string uid, name, type, region, partition, group, namespace_name;
  std::vector<std::string> labels;
};

struct OcsfDetectionFinding {
  int64_t class_uid = -1;
  std::string class_name, type_name;
  std::string message, status, status_code, status_detail;
  int64_t status_id = -1;
  std::string severity;
  int64_t severity_id = -1;
  std::string time_dt;  // event time as RFC 3339 text when written (time_dt), else ""
  // finding_info
  bool has_finding_info = false;
  std::string finding_uid, title, desc, created_time_dt, first_seen_time_dt, last_seen_time_dt, modified_time_dt;
  std::vector<std::string> types;
  // metadata
  std::string event_code, product_name, product_uid, vendor_name, product_version, ocsf_version, tenant_uid;
  // cloud
  std::string account_uid, account_name, account_type, org_uid, org_name, provider, cloud_region;
  // remediation
  std::string remediation_desc;
  std::vector<std::string> remediation_refs;
  std::string risk_details;
  std::vector<OcsfResource> resources;
  // "<framework>: <req>, <req>" per framework, in document order.
  std::vector<std::string> compliance;
  std::string related_url;          // unmapped.related_url (Prowler)
  std::vector<std::string> categories;  // unmapped.categories (Prowler)
  std::vector<std::string> cves, cwes;  // vulnerabilities[].cve.uid, .cwe.uid
};

// Reads one OCSF event. False (with *error) when `v` is not an object.
bool ParseOcsfDetectionFinding(simdjson::dom::element v, OcsfDetectionFinding* out, std::string* error);

// OCSF severity (severity_id first, else the severity name) as an ASFF label.
SeverityLabel OcsfSeverityLabel(const OcsfDetectionFinding& f);
// status_id 3 or status "Suppressed" (Prowler: a muted finding).
bool OcsfIsSuppressed(const OcsfDetectionFinding& f);
// One OCSF resource as an ASFF Resource (see the header comment); the cloud account and
// provider of the event go into Details.Other.
Resource OcsfAsffResource(const OcsfResource& r, const OcsfDetectionFinding& f);

}  // namespace findex
