// Prowler OCSF JSON output (`prowler <provider> -M json-ocsf`, file *.ocsf.json; Prowler 4 and 5,
// https://docs.prowler.com/projects/prowler-open-source/en/latest/tutorials/reporting/#json-ocsf,
// writer prowler/lib/outputs/ocsf/ocsf.py): a JSON array of OCSF Detection Finding events
// (class_uid 2004; metadata.version 1.2 to 1.6, read through ocsf_common.h). The same events
// one per line (JSON Lines, as forwarded to a data lake) are read too; a record that is not one
// is a counted reject, a line that is not JSON a reject with its line.
//   {"message", "metadata": {"event_code": <check id>, "product": {"name": "Prowler", ...},
//    "version"}, "severity_id", "severity", "status", "status_id", "status_code": PASS|FAIL|MANUAL,
//    "status_detail", "finding_info": {"uid", "title", "desc", "types", "created_time_dt"},
//    "resources": [{"uid", "name", "type", "region", "cloud_partition", "group": {"name"},
//    "labels", "namespace"?, "data"}], "cloud": {"account": {"uid", "name", "type"}, "org",
//    "provider", "region"} (absent for Kubernetes), "remediation": {"desc", "references"},
//    "risk_details", "unmapped": {"related_url", "categories", "compliance": {fw: [req]}, ...}}
//
// One finding is one event with status_code FAIL. PASS and MANUAL events are checks that passed
// or need a person: not findings, skipped (not rejects). An event without status_code (an OCSF
// Detection Finding from another producer) is a finding; any other status_code, or class_uid
// other than 2004, is a reject.
// Suppression: a muted finding (Prowler's mutelist) has status_id 3 / status "Suppressed":
// workflow SUPPRESSED.
// Severity: OCSF severity_id (else the severity name): Critical (and Fatal) -> CRITICAL, High,
// Medium, Low, Informational; Unknown / Other -> INFORMATIONAL. Original = the severity name.
// Identity: FingerprintOf({"prowler", check id (metadata.event_code), cloud account uid, region,
// resource uids}) -- what Prowler's own finding uid (prowler-<provider>-<check>-<account>-
// <region>-<resource>) is built from, read from the parts because exports (and the corpus)
// often carry a placeholder finding_info.uid. Region is the first resource's region, else
// cloud.region; resource uids are sorted and joined. Without an event_code, finding_info.uid
// stands for the check. finding_info.uid is kept in prowler/FindingUid. The same event twice in
// one report is one finding.
// Resources: resources[] -> ASFF Resources (OcsfAsffResource: uid, type, region, cloud account
// in Details.Other). Compliance (framework: requirements) -> prowler/Compliance; remediation
// desc / first reference -> Remediation; risk_details in the description.
// Target: "<provider>:<cloud account uid>" when the event names an account (one Prowler run
// scans one account / subscription / project): a later scan of the account resolves what it
// no longer reports.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "ingest/formats/jsonl_common.h"
#include "ingest/formats/ocsf_common.h"
#include "ingest/json_util.h"
#include "ingest/registry.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

using element = simdjson::dom::element;

constexpr std::string_view kExt[] = {".json", ".jsonl", ".ndjson"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || (h[0] != '{' && h[0] != '[')) return SniffConfidence::kNo;
  if (!HeadHas(h, "\"finding_info\"") || !HeadHas(h, "\"class_uid\"")) return SniffConfidence::kNo;
  if (HeadHas(h, "\"status_code\"") && HeadHas(h, "\"Prowler\"")) return SniffConfidence::kCertain;
  return SniffConfidence::kLikely;  // another producer's OCSF findings: read as a general OCSF reader
}

bool ValidAsffType(std::string_view t) {
  static constexpr std::string_view kNamespaces[] = {"Software and Configuration Checks", "TTPs", "Effects",
                                                     "Unusual Behaviors", "Sensitive Data Identifications"};
  if (std::count(t.begin(), t.end(), '/') > 2) return false;
  for (auto ns : kNamespaces) {
    if (t == ns || (StartsWith(t, ns) && t.size() > ns.size() && t[ns.size()] == '/')) return true;
  }
  return false;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

class Reader {
 public:
  explicit Reader(FindingSink& sink) : sink_(sink) {}

  void Record(element e, const RecordPos& pos) {
    OcsfDetectionFinding ev;
    std::string error;
    if (!ParseOcsfDetectionFinding(e, &ev, &error)) {
      Reject(pos, error);
      return;
    }
    if (ev.class_uid >= 0 && ev.class_uid != 2004) {
      Reject(pos, "not an OCSF Detection Finding: class_uid " + std::to_string(ev.class_uid));
      return;
    }
    if (ev.class_uid < 0 && !ev.has_finding_info) {
      Reject(pos, "not an OCSF Detection Finding: no class_uid and no finding_info");
      return;
    }
    std::string check = !Trim(ev.event_code).empty() ? Trim(ev.event_code) : Trim(ev.finding_uid);
    if (check.empty()) {
      Reject(pos, "OCSF finding without metadata.event_code nor finding_info.uid");
      return;
    }
    ++events_;
    std::string code = ToUpper(ev.status_code);
    if (code == "PASS" || code == "MANUAL") {
      ++not_findings_;
      return;
    }
    if (!code.empty() && code != "FAIL") {
      Reject(pos, "unknown status_code \"" + ev.status_code + "\" (expected PASS, FAIL or MANUAL)");
      return;
    }

    std::string region = !ev.resources.empty() && !ev.resources.front().region.empty() ? ev.resources.front().region
                                                                                       : ev.cloud_region;
    std::vector<std::string> uids;
    for (const auto& r : ev.resources) uids.push_back(!r.uid.empty() ? r.uid : r.name);
    std::sort(uids.begin(), uids.end());
    std::string resource_key = Join(uids, "\x1e");
    Fingerprint fp = FingerprintOf({"prowler", check, ev.account_uid, region, resource_key});
    std::string key(reinterpret_cast<const char*>(fp.bytes.data()), fp.bytes.size());
    if (!seen_.emplace(key, true).second) return;  // the same event again: one finding

    Finding f;
    f.scanner = "prowler";
    f.format = "prowler";
    f.product_name = "Prowler";
    f.company_name = "Prowler";
    f.fingerprint = fp;
    f.generator_id = "prowler-" + check;
    if (!ev.account_uid.empty()) f.target = (ev.provider.empty() ? "" : ev.provider + ":") + ev.account_uid;
    SeverityLabel label = OcsfSeverityLabel(ev);
    f.severity.label = label;
    f.severity.normalized = DefaultNormalized(label);
    f.severity.original = ev.severity;
    if (OcsfIsSuppressed(ev)) f.workflow = WorkflowStatus::kSuppressed;
    std::string title = !Trim(ev.title).empty() ? CollapseWhitespace(ev.title) : check;
    f.title = title;
    std::string detail = !Trim(ev.status_detail).empty() ? Trim(ev.status_detail) : Trim(ev.message);
    std::string d = detail.empty() ? title + "." : detail;
    if (!Trim(ev.desc).empty() && ev.desc != detail) d += "\n\n" + Trim(ev.desc);
    if (!Trim(ev.risk_details).empty()) d += "\n\nRisk: " + Trim(ev.risk_details);
    f.description = d;
    f.remediation_text = Trim(ev.remediation_desc);
    for (const auto& ref : ev.remediation_refs) {
      if (StartsWith(ref, "https://") || StartsWith(ref, "http://")) {
        f.remediation_url = ref;
        break;
      }
    }
    f.source_url = ev.related_url;
    for (const auto& t : ev.types) {
      if (ValidAsffType(t) && std::find(f.types.begin(), f.types.end(), t) == f.types.end()) f.types.push_back(t);
    }
    if (f.types.empty()) f.types.push_back("Software and Configuration Checks");
    f.cwes = ev.cwes;
    for (const auto& cve : ev.cves) {
      Vulnerability v;
      v.id = cve;
      f.vulnerabilities.push_back(std::move(v));
    }
    for (const auto& r : ev.resources) {
      f.resources.push_back(OcsfAsffResource(r, ev));
    }
    if (f.resources.empty()) {
      Resource r;
      r.id = !ev.account_uid.empty() ? ev.account_uid : std::string("prowler");
      if (!ev.account_uid.empty()) r.details_other["CloudAccountUid"] = ev.account_uid;
      if (!ev.provider.empty()) r.details_other["CloudProvider"] = ev.provider;
      f.resources.push_back(std::move(r));
    }
    auto& pf = f.product_fields;
    pf["prowler/CheckId"] = check;
    pf["prowler/StatusCode"] = ev.status_code.empty() ? std::string("(none)") : ev.status_code;
    if (!ev.status.empty()) pf["prowler/Status"] = ev.status;
    if (!ev.finding_uid.empty()) pf["prowler/FindingUid"] = ev.finding_uid;
    if (!ev.provider.empty()) pf["prowler/Provider"] = ev.provider;
    if (!ev.account_uid.empty()) pf["prowler/AccountUid"] = ev.account_uid;
    if (!ev.account_name.empty()) pf["prowler/AccountName"] = ev.account_name;
    if (!ev.org_uid.empty()) pf["prowler/OrgUid"] = ev.org_uid;
    if (!region.empty()) pf["prowler/Region"] = region;
    if (!ev.compliance.empty()) pf["prowler/Compliance"] = TruncateUtf8(Join(ev.compliance, "; "), 2000);
    if (!ev.categories.empty()) pf["prowler/Categories"] = Join(ev.categories, ", ");
    if (!ev.types.empty()) pf["prowler/CheckTypes"] = Join(ev.types, ", ");
    if (!ev.product_name.empty() && ev.product_name != "Prowler") pf["ocsf/Product"] = ev.product_name;
    if (!ev.product_version.empty()) pf["prowler/Version"] = ev.product_version;
    if (!ev.ocsf_version.empty()) pf["ocsf/Version"] = ev.ocsf_version;
    if (f.resources.size() > 1) pf["prowler/ResourceCount"] = std::to_string(ev.resources.size());
    if (f.resources.size() > 32) {
      f.resource_count = f.resources.size();
    }
    findings_.push_back(std::move(f));
  }

  Status Flush() {
    for (auto& f : findings_) FINDEX_RETURN_IF_ERROR(sink_.Accept(std::move(f)));
    findings_.clear();
    return Status::Ok();
  }

  uint64_t events() const { return events_; }

 private:
  void Reject(const RecordPos& pos, std::string reason) { sink_.AddReject(RecordReject(pos, std::move(reason))); }

  FindingSink& sink_;
  std::vector<Finding> findings_;
  std::map<std::string, bool> seen_;
  uint64_t events_ = 0, not_findings_ = 0;
};

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  // Prowler writes `[]` (or nothing) when a scan has no result: a clean scan.
  Reader reader(sink);
  return IngestJsonRecords(src, sink, reader, [&] { return reader.events(); },
                           "not Prowler OCSF output: no record is an OCSF Detection Finding (see the rejects)");
}

}  // namespace

const FormatDescriptor& ProwlerFormat() {
  static const FormatDescriptor kDesc{"prowler", "prowler",
                                      "Prowler OCSF JSON (-M json-ocsf; OCSF 1.2-1.6 Detection Finding)", kExt, Sniff,
                                      Ingest};
  return kDesc;
}

}  // namespace findex
