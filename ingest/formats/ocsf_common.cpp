// See ocsf_common.h.
#include "ingest/formats/ocsf_common.h"

#include <algorithm>

#include "ingest/formats/jsonl_common.h"
#include "normalize/text.h"

namespace findex {
namespace {

using element = simdjson::dom::element;
using object = simdjson::dom::object;
using array = simdjson::dom::array;

std::vector<std::string> Strings(element v) {
  std::vector<std::string> out;
  array a;
  if (v.get_array().get(a) == simdjson::SUCCESS) {
    for (auto x : a) {
      std::string s = Trim(DomString(x));
      if (!s.empty()) out.push_back(std::move(s));
    }
    return out;
  }
  std::string s = Trim(DomString(v));
  if (!s.empty()) out.push_back(std::move(s));
  return out;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

void ReadFindingInfo(object o, OcsfDetectionFinding* f) {
  for (auto kv : o) {
    std::string_view k = kv.key;
    if (k == "uid") f->finding_uid = DomString(kv.value);
    else if (k == "title") f->title = DomString(kv.value);
    else if (k == "desc") f->desc = DomString(kv.value);
    else if (k == "types") f->types = Strings(kv.value);
    else if (k == "created_time_dt") f->created_time_dt = DomString(kv.value);
    else if (k == "first_seen_time_dt") f->first_seen_time_dt = DomString(kv.value);
    else if (k == "last_seen_time_dt") f->last_seen_time_dt = DomString(kv.value);
    else if (k == "modified_time_dt") f->modified_time_dt = DomString(kv.value);
  }
}

void ReadMetadata(object o, OcsfDetectionFinding* f) {
  for (auto kv : o) {
    std::string_view k = kv.key;
    if (k == "event_code") f->event_code = DomString(kv.value);
    else if (k == "version") f->ocsf_version = DomString(kv.value);
    else if (k == "tenant_uid") f->tenant_uid = DomString(kv.value);
    else if (k == "product") {
      object p;
      if (kv.value.get_object().get(p)) continue;
      f->product_name = DomField(p, "name");
      f->product_uid = DomField(p, "uid");
      f->vendor_name = DomField(p, "vendor_name");
      f->product_version = DomField(p, "version");
    }
  }
}

void ReadCloud(object o, OcsfDetectionFinding* f) {
  for (auto kv : o) {
    std::string_view k = kv.key;
    if (k == "provider") f->provider = DomString(kv.value);
    else if (k == "region") f->cloud_region = DomString(kv.value);
    else if (k == "account") {
      object a;
      if (kv.value.get_object().get(a)) continue;
      f->account_uid = DomField(a, "uid");
      f->account_name = DomField(a, "name");
      f->account_type = DomField(a, "type");
    } else if (k == "org") {
      object a;
      if (kv.value.get_object().get(a)) continue;
      f->org_uid = DomField(a, "uid");
      f->org_name = DomField(a, "name");
    }
  }
}

void ReadResource(object o, OcsfResource* r) {
  for (auto kv : o) {
    std::string_view k = kv.key;
    if (k == "uid") r->uid = DomString(kv.value);
    else if (k == "name") r->name = DomString(kv.value);
    else if (k == "type") r->type = DomString(kv.value);
    else if (k == "region") r->region = DomString(kv.value);
    else if (k == "cloud_partition") r->partition = DomString(kv.value);
    else if (k == "namespace") r->namespace_name = DomString(kv.value);
    else if (k == "labels") r->labels = Strings(kv.value);
    else if (k == "group") {
      object g;
      if (kv.value.get_object().get(g) == simdjson::SUCCESS) r->group = DomField(g, "name");
    }
  }
}

// Prowler: unmapped.compliance = {"CIS-1.4": ["1.20"], ...}.
void ReadComplianceMap(object o, OcsfDetectionFinding* f) {
  for (auto kv : o) {
    std::vector<std::string> reqs = Strings(kv.value);
    f->compliance.push_back(std::string(kv.key) + (reqs.empty() ? "" : ": " + Join(reqs, ", ")));
  }
}

// OCSF compliance object: {standards[], requirements[], control, status, ...}.
void ReadComplianceObject(object o, OcsfDetectionFinding* f) {
  std::vector<std::string> standards, requirements;
  std::string control;
  for (auto kv : o) {
    std::string_view k = kv.key;
    if (k == "standards") standards = Strings(kv.value);
    else if (k == "requirements") requirements = Strings(kv.value);
    else if (k == "control") control = DomString(kv.value);
  }
  if (!control.empty()) requirements.insert(requirements.begin(), control);
  if (standards.empty() && requirements.empty()) return;
  f->compliance.push_back((standards.empty() ? std::string("compliance") : Join(standards, ", ")) +
                          (requirements.empty() ? "" : ": " + Join(requirements, ", ")));
}

void ReadVulnerabilities(array a, OcsfDetectionFinding* f) {
  for (auto x : a) {
    object v;
    if (x.get_object().get(v)) continue;
    object cve, cwe;
    if (v.at_key("cve").get_object().get(cve) == simdjson::SUCCESS) {
      std::string id = ToUpper(Trim(DomField(cve, "uid")));
      if (!id.empty() && std::find(f->cves.begin(), f->cves.end(), id) == f->cves.end()) f->cves.push_back(id);
    }
    if (v.at_key("cwe").get_object().get(cwe) == simdjson::SUCCESS) {
      std::string id = Trim(DomField(cwe, "uid"));
      if (!id.empty()) {
        if (!StartsWith(ToUpper(id), "CWE-")) id = "CWE-" + id;
        id = ToUpper(id);
        if (std::find(f->cwes.begin(), f->cwes.end(), id) == f->cwes.end()) f->cwes.push_back(id);
      }
    }
  }
}

bool IsAwsPartition(std::string_view p) { return p == "aws" || p == "aws-cn" || p == "aws-us-gov"; }

// us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-5: letters, dashes, a final number.
bool LooksLikeAwsRegion(std::string_view r) {
  if (r.size() < 9 || r.size() > 20) return false;
  size_t dashes = static_cast<size_t>(std::count(r.begin(), r.end(), '-'));
  if (dashes < 2) return false;
  if (r.back() < '0' || r.back() > '9') return false;
  for (char c : r) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

}  // namespace

bool ParseOcsfDetectionFinding(element v, OcsfDetectionFinding* out, std::string* error) {
  object o;
  if (v.get_object().get(o)) {
    *error = "not an OCSF event (expected a JSON object)";
    return false;
  }
  OcsfDetectionFinding& f = *out;
  for (auto kv : o) {
    std::string_view k = kv.key;
    if (k == "class_uid") f.class_uid = DomInt(kv.value);
    else if (k == "class_name") f.class_name = DomString(kv.value);
    else if (k == "type_name") f.type_name = DomString(kv.value);
    else if (k == "message") f.message = DomString(kv.value);
    else if (k == "status") f.status = DomString(kv.value);
    else if (k == "status_code") f.status_code = Trim(DomString(kv.value));
    else if (k == "status_detail") f.status_detail = DomString(kv.value);
    else if (k == "status_id") f.status_id = kv.value.is_null() ? -1 : DomInt(kv.value);
    else if (k == "severity") f.severity = DomString(kv.value);
    else if (k == "severity_id") f.severity_id = kv.value.is_null() ? -1 : DomInt(kv.value);
    else if (k == "time_dt") f.time_dt = DomString(kv.value);
    else if (k == "risk_details") f.risk_details = DomString(kv.value);
    else if (k == "finding_info") {
      object fi;
      if (kv.value.get_object().get(fi) == simdjson::SUCCESS) {
        f.has_finding_info = true;
        ReadFindingInfo(fi, &f);
      }
    } else if (k == "metadata") {
      object m;
      if (kv.value.get_object().get(m) == simdjson::SUCCESS) ReadMetadata(m, &f);
    } else if (k == "cloud") {
      object c;
      if (kv.value.get_object().get(c) == simdjson::SUCCESS) ReadCloud(c, &f);
    } else if (k == "remediation") {
      object r;
      if (kv.value.get_object().get(r) == simdjson::SUCCESS) {
        f.remediation_desc = DomField(r, "desc");
        element refs;
        if (r.at_key("references").get(refs) == simdjson::SUCCESS) f.remediation_refs = Strings(refs);
      }
    } else if (k == "resources") {
      array a;
      if (kv.value.get_array().get(a) == simdjson::SUCCESS) {
        for (auto x : a) {
          object ro;
          if (x.get_object().get(ro)) continue;
          OcsfResource r;
          ReadResource(ro, &r);
          f.resources.push_back(std::move(r));
        }
      }
    } else if (k == "resource") {  // some producers write one resource object
      object ro;
      if (kv.value.get_object().get(ro) == simdjson::SUCCESS) {
        OcsfResource r;
        ReadResource(ro, &r);
        f.resources.push_back(std::move(r));
      }
    } else if (k == "compliance") {
      object c;
      if (kv.value.get_object().get(c) == simdjson::SUCCESS) ReadComplianceObject(c, &f);
    } else if (k == "vulnerabilities") {
      array a;
      if (kv.value.get_array().get(a) == simdjson::SUCCESS) ReadVulnerabilities(a, &f);
    } else if (k == "unmapped") {
      object u;
      if (kv.value.get_object().get(u)) continue;
      for (auto x : u) {
        std::string_view uk = x.key;
        if (uk == "compliance") {
          object c;
          if (x.value.get_object().get(c) == simdjson::SUCCESS) ReadComplianceMap(c, &f);
        } else if (uk == "related_url") {
          f.related_url = DomString(x.value);
        } else if (uk == "categories") {
          f.categories = Strings(x.value);
        }
      }
    }
  }
  return true;
}

SeverityLabel OcsfSeverityLabel(const OcsfDetectionFinding& f) {
  switch (f.severity_id) {
    case 1: return SeverityLabel::kInformational;
    case 2: return SeverityLabel::kLow;
    case 3: return SeverityLabel::kMedium;
    case 4: return SeverityLabel::kHigh;
    case 5:
    case 6: return SeverityLabel::kCritical;
    default: break;
  }
  std::string s = ToLower(Trim(f.severity));
  if (s == "critical" || s == "fatal") return SeverityLabel::kCritical;
  if (s == "high") return SeverityLabel::kHigh;
  if (s == "medium") return SeverityLabel::kMedium;
  if (s == "low") return SeverityLabel::kLow;
  return SeverityLabel::kInformational;
}

bool OcsfIsSuppressed(const OcsfDetectionFinding& f) {
  return f.status_id == 3 || EqualsIgnoreCase(Trim(f.status), "suppressed");
}

Resource OcsfAsffResource(const OcsfResource& r, const OcsfDetectionFinding& f) {
  Resource out;
  out.id = !Trim(r.uid).empty() ? r.uid : !Trim(r.name).empty() ? r.name : std::string("unknown-resource");
  out.type = Trim(r.type).empty() ? std::string("Other") : r.type;
  if (IsAwsPartition(r.partition)) out.partition = r.partition;
  if (LooksLikeAwsRegion(r.region)) out.region = r.region;
  auto& d = out.details_other;
  if (!r.name.empty() && r.name != out.id) d["Name"] = r.name;
  if (!r.region.empty()) d["Region"] = r.region;
  if (!r.group.empty()) d["Service"] = r.group;
  if (!r.namespace_name.empty()) d["Namespace"] = r.namespace_name;
  if (!r.labels.empty()) d["Labels"] = TruncateUtf8(Join(r.labels, ", "), 1024);
  if (!f.account_uid.empty()) d["CloudAccountUid"] = f.account_uid;
  if (!f.account_name.empty()) d["CloudAccountName"] = f.account_name;
  if (!f.provider.empty()) d["CloudProvider"] = f.provider;
  return out;
}

}  // namespace findex
