// Trivy `--format json` (https://trivy.dev/latest/docs/configuration/reporting/), every shape
// Trivy has written:
//   legacy (before 0.20): [{"Target", "Type", "Vulnerabilities": [...] | null}, ...] or `null`
//   SchemaVersion 2:      {"SchemaVersion": 2, "ArtifactName", "ArtifactType", "Metadata": {...},
//                          "Results": [{"Target", "Class", "Type", "Vulnerabilities",
//                                       "Misconfigurations", "Secrets", "Licenses"}]}
//                         (Results may be [] or absent when nothing was found)
//   `trivy k8s` (0.30-0.4x): {"ClusterName", "Vulnerabilities": [{"Namespace", "Kind", "Name",
//                          "Results": [...]}], "Misconfigurations": [same]}
//   `trivy k8s` (later):  {"ClusterName", "Resources": [{"Namespace", "Kind", "Name", "Metadata",
//                          "Results": [...], "Error"?}]}
// Target (what the report scanned, for resolution by absence): "ArtifactName" (the image, folder,
// repository or SBOM as given to trivy); "ClusterName" for trivy k8s; none for legacy arrays.
// A Result's members may come in any order (jq -S sorts them), so each Result is read whole
// before its findings are built.
//
// Findings: one per vulnerability, one per failed misconfiguration, one per secret.
//   - Misconfiguration Status (pkg/types/misconfiguration.go: PASS, FAIL, EXCEPTION): "FAIL" (or
//     none) is a finding; "EXCEPTION" (the check failed but a Rego exception accepted it) is a
//     finding with workflow SUPPRESSED; "PASS" (only with --include-non-failures) is skipped.
//   - Results' "ExperimentalModifiedFindings" (--show-suppressed) are not read.
//   - Licenses are a compliance inventory, not security findings: skipped.
//   - Vulnerability Status (https://trivy.dev/docs/latest/configuration/filtering/, "By Status":
//     unknown, not_affected, affected, fixed, under_investigation, will_not_fix, fix_deferred,
//     end_of_life) is kept in ProductFields "trivy/Status"; "not_affected" (the vendor says the
//     package is not affected) gives workflow SUPPRESSED.
//   - A k8s resource that Trivy could not scan ("Error") is recorded as a reject so that it shows.
//
// Severity (https://trivy.dev/docs/latest/configuration/filtering/, "By Severity"): Trivy's
// levels are UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL for every scanner; UNKNOWN (no score assigned
// yet) and anything else map to INFORMATIONAL. Severity.Original keeps Trivy's word.
// FixAvailable is YES when FixedVersion is given, else NO.
//
// Identity:
//   - vulnerability: VulnFingerprint(VulnerabilityID, package) with the package from
//     PkgIdentifier.PURL when present, else CanonicalEcosystem(Result.Type) + PkgName +
//     InstalledVersion. The path (PkgPath or Target) is not part of it: the same vulnerable
//     package twice in one artifact is one problem (its path is in VulnerablePackages.FilePath).
//     An "epoch" purl qualifier is folded into the version ("1:2.3-1"), the form Trivy's
//     InstalledVersion and Grype's purls use.
//   - misconfiguration: CodeFingerprint("trivy", check id, Target, anchor). The check id is
//     canonical ("KSV001", "AVD-KSV-0001" and "KSV-0001" are all "KSV-0001": Trivy renamed its
//     ids across versions). The anchor is CauseMetadata.Resource, else the Message (it names the
//     container: "Container 'nginx' of Deployment 'web' should ..."), plus the ordinal of that
//     (check, Target, anchor) in the report; line numbers are left out.
//   - secret: CodeFingerprint("trivy", RuleID, Target, Hash64(Match) + ordinal). Secrets are never
//     stored in clear: the Match and Code lines are not copied anywhere; ProductFields keep only
//     a preview (first 4 characters + "****") and the hash.
//   - k8s reports: the workload (namespace/kind/name) is part of every identity, since the same
//     image in two workloads is two places to fix.
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <unordered_map>
#include <vector>

#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty()) return SniffConfidence::kNo;
  if (h[0] == '[') {
    bool target = HeadHas(h, "\"Target\"");
    if (target && HeadHas(h, "\"VulnerabilityID\"") && HeadHas(h, "\"PkgName\"")) return SniffConfidence::kCertain;
    if (target && HeadHas(h, "\"Vulnerabilities\"") && HeadHas(h, "\"Type\"")) return SniffConfidence::kLikely;
    return SniffConfidence::kNo;
  }
  if (h[0] != '{') return SniffConfidence::kNo;
  bool schema = HeadHas(h, "\"SchemaVersion\"");
  if (schema && HeadHas(h, "\"ArtifactName\"")) return SniffConfidence::kCertain;
  if (schema && HeadHas(h, "\"Results\"") && HeadHas(h, "\"Target\"")) return SniffConfidence::kLikely;
  if (HeadHas(h, "\"ClusterName\"") &&
      (HeadHas(h, "\"Resources\"") || HeadHas(h, "\"Vulnerabilities\"") || HeadHas(h, "\"Misconfigurations\""))) {
    return HeadHas(h, "\"Kind\"") ? SniffConfidence::kCertain : SniffConfidence::kLikely;
  }
  return SniffConfidence::kNo;
}

// ---------------------------------------------------------------------------------------------
// Small readers

struct Member {
  std::string_view key;
  std::string* out;
};

// Reads the scalar members named in `wanted` of an object (numbers as their JSON text); others
// are skipped. *ok is false when `v` is neither an object nor null.
Status ReadMembers(JsonReport& rep, od::value v, std::initializer_list<Member> wanted, bool* ok) {
  *ok = true;
  od::json_type t;
  if (auto ec = v.type().get(t)) return rep.Malformed("bad value", ec);
  if (t == od::json_type::null) return Status::Ok();
  od::object obj;
  if (v.get_object().get(obj)) {
    *ok = false;
    return Status::Ok();
  }
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
    for (const Member& m : wanted) {
      if (key != m.key) continue;
      od::value mv;
      if (auto ec = field.value().get(mv)) return rep.Malformed("bad value", ec);
      if (!ReadString(mv, m.out)) m.out->clear();
      break;
    }
  }
  return Status::Ok();
}

double ParseScore(const std::string& s) {
  if (s.empty()) return -1;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() ? d : -1;
}

int ParseLine(const std::string& s) {
  int n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  return ec == std::errc() && n > 0 ? n : 0;
}

// "CVSS:3.1/AV:N/..." -> "3.1"; `fallback` when the vector has no version prefix.
std::string CvssVersion(std::string_view vector, std::string_view fallback) {
  if (StartsWith(vector, "CVSS:")) {
    size_t slash = vector.find('/');
    if (slash != std::string_view::npos && slash > 5) return std::string(vector.substr(5, slash - 5));
  }
  return std::string(fallback);
}

// Trivy's severity words; see the header comment for the source.
void SetSeverity(Finding& f, const std::string& word) {
  std::string w = ToUpper(Trim(word));
  SeverityLabel label = SeverityLabel::kInformational;  // UNKNOWN and anything unexpected
  if (w == "CRITICAL") label = SeverityLabel::kCritical;
  else if (w == "HIGH") label = SeverityLabel::kHigh;
  else if (w == "MEDIUM") label = SeverityLabel::kMedium;
  else if (w == "LOW") label = SeverityLabel::kLow;
  f.severity.label = label;
  f.severity.normalized = DefaultNormalized(label);
  f.severity.original = word;
}


// "alpine:3.10 (alpine 3.10.2)" -> "alpine:3.10"; "" when `target` is not an OS-packages target.
std::string ImageOfOsTarget(std::string_view target) {
  if (target.size() < 5 || target.back() != ')') return "";
  size_t p = target.rfind(" (");
  if (p == std::string_view::npos || p == 0) return "";
  std::string_view inner = target.substr(p + 2, target.size() - p - 3);
  if (inner.find(' ') == std::string_view::npos) return "";
  return std::string(target.substr(0, p));
}

std::string OsOfOsTarget(std::string_view target) {
  size_t p = target.rfind(" (");
  if (p == std::string_view::npos || target.back() != ')') return "";
  return std::string(target.substr(p + 2, target.size() - p - 3));
}

// First 4 characters of a secret match, the rest masked.
std::string SecretPreview(std::string_view s) {
  size_t i = 0;
  for (int n = 0; n < 4 && i < s.size(); ++n) {
    size_t len = Utf8SequenceLength(s.substr(i));
    i += len ? len : 1;
  }
  return std::string(s.substr(0, i)) + "****";
}

bool IsCwe(std::string_view s) {
  if (!StartsWith(s, "CWE-") || s.size() == 4) return false;
  for (char c : s.substr(4)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Records as read from one Result

struct RawVuln {
  std::string id, pkg_id, pkg_name, pkg_path, purl, installed, fixed, status, severity, severity_source;
  std::string primary_url, title, description, ds_id, ds_name, ds_url, published, modified, layer_diff_id;
  std::vector<std::string> cwes, refs, vendor_ids;
  std::vector<Cvss> cvss;
};

struct RawMisconf {
  std::string type, id, avdid, title, description, message, check_namespace, resolution, severity;
  std::string primary_url, status, cause_resource, provider, service, start_line, end_line;
  std::vector<std::string> refs;
};

struct RawSecret {
  std::string rule_id, category, severity, title, start_line, end_line, match, layer_diff_id;
  bool has_match = false;
};

struct RawResult {
  std::string target, cls, type;
  std::vector<RawVuln> vulns;
  std::vector<RawMisconf> misconfs;
  std::vector<RawSecret> secrets;
};

// Report-wide and workload context for building findings.
struct Context {
  std::string trivy_version, artifact_name, artifact_type, image_id, os, repo_tag, repo_digest;
  std::string first_image;  // image named by the first OS-packages Target seen
  bool k8s = false;
  std::string cluster, ns, kind, name, workload_image;
  std::unordered_map<std::string, int> ordinals;
};

std::string WorkloadId(const Context& c) {
  std::string id = c.ns.empty() ? "" : c.ns + "/";
  return id + c.kind + "/" + c.name;
}

Status ReadCvss(JsonReport& rep, od::value v, std::vector<Cvss>* out, bool* ok) {
  *ok = true;
  od::json_type t;
  if (auto ec = v.type().get(t)) return rep.Malformed("bad value", ec);
  if (t == od::json_type::null) return Status::Ok();
  od::object obj;
  if (v.get_object().get(obj)) {
    *ok = false;
    return Status::Ok();
  }
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
    std::string source(key);
    od::value sv;
    if (auto ec = field.value().get(sv)) return rep.Malformed("bad value", ec);
    std::string v2v, v3v, v4v, v2s, v3s, v4s;
    bool member_ok = true;
    FINDEX_RETURN_IF_ERROR(ReadMembers(rep, sv,
                                       {{"V2Vector", &v2v}, {"V3Vector", &v3v}, {"V40Vector", &v4v},
                                        {"V2Score", &v2s}, {"V3Score", &v3s}, {"V40Score", &v4s}},
                                       &member_ok));
    if (!member_ok) continue;
    auto add = [&](const std::string& vec, const std::string& score, std::string_view fallback) {
      double s = ParseScore(score);
      if (vec.empty() && s < 0) return;
      Cvss c;
      c.version = CvssVersion(vec, fallback);
      c.base_score = s;
      c.base_vector = vec;
      c.source = source;
      out->push_back(std::move(c));
    };
    add(v4v, v4s, "4.0");
    add(v3v, v3s, "3");
    add(v2v, v2s, "2.0");
  }
  return Status::Ok();
}

// Reads one element of "Vulnerabilities"; *reason is set when the record must be rejected.
Status ReadVuln(JsonReport& rep, od::value v, RawVuln* out, std::string* reason) {
  od::object obj;
  if (v.get_object().get(obj)) {
    *reason = "vulnerability is not an object";
    return Status::Ok();
  }
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value fv) -> Status {
    bool ok = true;
    if (key == "VulnerabilityID") ok = ReadString(fv, &out->id);
    else if (key == "PkgID") ok = ReadString(fv, &out->pkg_id);
    else if (key == "PkgName") ok = ReadString(fv, &out->pkg_name);
    else if (key == "PkgPath") ok = ReadString(fv, &out->pkg_path);
    else if (key == "PkgIdentifier") FINDEX_RETURN_IF_ERROR(ReadMembers(rep, fv, {{"PURL", &out->purl}}, &ok));
    else if (key == "InstalledVersion") ok = ReadString(fv, &out->installed);
    else if (key == "FixedVersion") ok = ReadString(fv, &out->fixed);
    else if (key == "Status") ok = ReadString(fv, &out->status);
    else if (key == "Layer") FINDEX_RETURN_IF_ERROR(ReadMembers(rep, fv, {{"DiffID", &out->layer_diff_id}}, &ok));
    else if (key == "SeveritySource") ok = ReadString(fv, &out->severity_source);
    else if (key == "PrimaryURL") ok = ReadString(fv, &out->primary_url);
    else if (key == "DataSource")
      FINDEX_RETURN_IF_ERROR(
          ReadMembers(rep, fv, {{"ID", &out->ds_id}, {"Name", &out->ds_name}, {"URL", &out->ds_url}}, &ok));
    else if (key == "Title") ok = ReadString(fv, &out->title);
    else if (key == "Description") ok = ReadString(fv, &out->description);
    else if (key == "Severity") ok = ReadString(fv, &out->severity);
    else if (key == "CweIDs") ok = ReadStrings(fv, &out->cwes);
    else if (key == "VendorIDs") ok = ReadStrings(fv, &out->vendor_ids);
    else if (key == "CVSS") FINDEX_RETURN_IF_ERROR(ReadCvss(rep, fv, &out->cvss, &ok));
    else if (key == "References") ok = ReadStrings(fv, &out->refs);
    else if (key == "PublishedDate") ok = ReadString(fv, &out->published);
    else if (key == "LastModifiedDate") ok = ReadString(fv, &out->modified);
    if (!ok && reason->empty()) *reason = "\"" + std::string(key) + "\" has an unexpected type";
    return Status::Ok();
  }));
  if (reason->empty() && Trim(out->id).empty()) *reason = "vulnerability has no VulnerabilityID";
  if (reason->empty() && Trim(out->pkg_name).empty() && out->purl.empty()) *reason = "vulnerability has no PkgName";
  return Status::Ok();
}

Status ReadMisconf(JsonReport& rep, od::value v, RawMisconf* out, std::string* reason) {
  od::object obj;
  if (v.get_object().get(obj)) {
    *reason = "misconfiguration is not an object";
    return Status::Ok();
  }
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value fv) -> Status {
    bool ok = true;
    if (key == "Type") ok = ReadString(fv, &out->type);
    else if (key == "ID") ok = ReadString(fv, &out->id);
    else if (key == "AVDID") ok = ReadString(fv, &out->avdid);
    else if (key == "Title") ok = ReadString(fv, &out->title);
    else if (key == "Description") ok = ReadString(fv, &out->description);
    else if (key == "Message") ok = ReadString(fv, &out->message);
    else if (key == "Namespace") ok = ReadString(fv, &out->check_namespace);
    else if (key == "Resolution") ok = ReadString(fv, &out->resolution);
    else if (key == "Severity") ok = ReadString(fv, &out->severity);
    else if (key == "PrimaryURL") ok = ReadString(fv, &out->primary_url);
    else if (key == "References") ok = ReadStrings(fv, &out->refs);
    else if (key == "Status") ok = ReadString(fv, &out->status);
    else if (key == "CauseMetadata")
      FINDEX_RETURN_IF_ERROR(ReadMembers(rep, fv,
                                         {{"Resource", &out->cause_resource}, {"Provider", &out->provider},
                                          {"Service", &out->service}, {"StartLine", &out->start_line},
                                          {"EndLine", &out->end_line}},
                                         &ok));
    if (!ok && reason->empty()) *reason = "\"" + std::string(key) + "\" has an unexpected type";
    return Status::Ok();
  }));
  if (reason->empty() && Trim(out->id).empty() && Trim(out->avdid).empty()) *reason = "misconfiguration has no ID";
  return Status::Ok();
}

// "Code" (the source lines around the secret) is never read.
Status ReadSecret(JsonReport& rep, od::value v, RawSecret* out, std::string* reason) {
  od::object obj;
  if (v.get_object().get(obj)) {
    *reason = "secret is not an object";
    return Status::Ok();
  }
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value fv) -> Status {
    bool ok = true;
    if (key == "RuleID") ok = ReadString(fv, &out->rule_id);
    else if (key == "Category") ok = ReadString(fv, &out->category);
    else if (key == "Severity") ok = ReadString(fv, &out->severity);
    else if (key == "Title") ok = ReadString(fv, &out->title);
    else if (key == "StartLine") ok = ReadString(fv, &out->start_line);
    else if (key == "EndLine") ok = ReadString(fv, &out->end_line);
    else if (key == "Match") ok = out->has_match = ReadString(fv, &out->match);
    else if (key == "Layer") FINDEX_RETURN_IF_ERROR(ReadMembers(rep, fv, {{"DiffID", &out->layer_diff_id}}, &ok));
    if (!ok && reason->empty()) *reason = "\"" + std::string(key) + "\" has an unexpected type";
    return Status::Ok();
  }));
  if (reason->empty() && Trim(out->rule_id).empty()) *reason = "secret has no RuleID";
  return Status::Ok();
}

// Reads the elements of one findings array of a Result, rejecting bad ones.
template <typename Raw, typename ReadFn>
Status ReadList(JsonReport& rep, od::value v, const std::string& where, std::vector<Raw>* out, ReadFn read,
                FindingSink& sink) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return rep.Malformed("bad value", ec);
  if (t == od::json_type::null) return Status::Ok();
  uint64_t offset = rep.OffsetOf(v);
  od::array arr;
  if (v.get_array().get(arr)) {
    sink.AddReject(rep.RejectAt(offset, where, "not an array"));
    return Status::Ok();
  }
  size_t i = 0;
  for (auto e : arr) {
    od::value ev;
    if (auto ec = e.get(ev)) return rep.Malformed("bad array element", ec);
    uint64_t eoff = rep.OffsetOf(ev);
    Raw raw;
    std::string reason;
    FINDEX_RETURN_IF_ERROR(read(rep, ev, &raw, &reason));
    if (reason.empty()) {
      out->push_back(std::move(raw));
    } else {
      sink.AddReject(rep.RejectAt(eoff, where + "[" + std::to_string(i) + "]", reason));
    }
    ++i;
  }
  return Status::Ok();
}

// Reads one Result whole. *is_result is false when `v` is not an object (rejected here).
Status ReadResult(JsonReport& rep, od::value v, const std::string& where, RawResult* out, bool* is_result,
                  bool* has_target, FindingSink& sink) {
  *is_result = false;
  *has_target = false;
  uint64_t offset = rep.OffsetOf(v);
  od::object obj;
  if (v.get_object().get(obj)) {
    sink.AddReject(rep.RejectAt(offset, where, "result is not an object"));
    return Status::Ok();
  }
  *is_result = true;
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value fv) -> Status {
    if (key == "Target") {
      *has_target = true;
      if (!ReadString(fv, &out->target)) sink.AddReject(rep.RejectAt(offset, where, "\"Target\" is not a string"));
    } else if (key == "Class") {
      ReadString(fv, &out->cls);
    } else if (key == "Type") {
      ReadString(fv, &out->type);
    } else if (key == "Vulnerabilities") {
      FINDEX_RETURN_IF_ERROR(ReadList(rep, fv, where + ".Vulnerabilities", &out->vulns, ReadVuln, sink));
    } else if (key == "Misconfigurations") {
      FINDEX_RETURN_IF_ERROR(ReadList(rep, fv, where + ".Misconfigurations", &out->misconfs, ReadMisconf, sink));
    } else if (key == "Secrets") {
      FINDEX_RETURN_IF_ERROR(ReadList(rep, fv, where + ".Secrets", &out->secrets, ReadSecret, sink));
    }
    // Packages, MisconfSummary, Licenses, CustomResources: not findings.
    return Status::Ok();
  }));
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Findings

Finding Base(const Context& c, const RawResult& r) {
  Finding f;
  f.scanner = "trivy";
  f.format = "trivy";
  f.product_name = "Trivy";
  f.company_name = "Aqua Security";
  auto pf = [&f](const char* k, const std::string& v) {
    if (!Trim(v).empty()) f.product_fields[std::string("trivy/") + k] = v;
  };
  pf("TrivyVersion", c.trivy_version);
  pf("ArtifactName", c.artifact_name);
  pf("ArtifactType", c.artifact_type);
  pf("Target", r.target);
  pf("Class", r.cls);
  pf("Type", r.type);
  if (c.k8s) {
    pf("ClusterName", c.cluster);
    pf("Namespace", c.ns);
    pf("Kind", c.kind);
    pf("Name", c.name);
  }
  return f;
}

bool IsOsResult(const RawResult& r) {
  return (r.cls == "os-pkgs" || r.cls.empty()) && !ImageOfOsTarget(r.target).empty();
}

// The image a Result belongs to, or "" when the report is not about an image.
std::string ImageOf(const Context& c, const RawResult& r) {
  if (c.k8s) return c.workload_image;
  bool image_report = c.artifact_type == "container_image" || (c.artifact_type.empty() && !c.image_id.empty());
  std::string from_target = IsOsResult(r) ? ImageOfOsTarget(r.target) : "";
  if (image_report) {
    if (!c.artifact_name.empty()) return c.artifact_name;
    if (!c.repo_tag.empty()) return c.repo_tag;
    if (!from_target.empty()) return from_target;
    if (!c.first_image.empty()) return c.first_image;
    return c.image_id.empty() ? r.target : c.image_id;
  }
  if (c.artifact_type.empty()) {  // legacy array: only OS targets name their image
    if (!from_target.empty()) return from_target;
  }
  return "";
}

void AddResources(const Context& c, const RawResult& r, const std::string& path, Finding& f) {
  std::string image = ImageOf(c, r);
  if (c.k8s) {
    Resource w;
    w.id = WorkloadId(c);
    w.details_other["ClusterName"] = c.cluster;
    w.details_other["Namespace"] = c.ns;
    w.details_other["Kind"] = c.kind;
    w.details_other["Name"] = c.name;
    w.details_other["Target"] = r.target;
    f.resources.push_back(std::move(w));
    if (!image.empty() && r.cls != "config") {  // a workload's config checks are not about its image
      Resource ci;
      ci.type = "Container";
      ci.id = image;
      ci.details_other["ImageName"] = image;
      if (!path.empty()) ci.details_other["Path"] = path;
      f.resources.push_back(std::move(ci));
    }
    return;
  }
  Resource res;
  if (!image.empty()) {
    res.type = "Container";
    res.id = image;
    res.details_other["ImageName"] = image;
    res.details_other["ImageId"] = c.image_id;
    res.details_other["Os"] = !c.os.empty() ? c.os : IsOsResult(r) ? OsOfOsTarget(r.target) : "";
    res.details_other["RepoDigest"] = c.repo_digest;
    if (!path.empty()) res.details_other["Path"] = path;
  } else {
    res.id = !path.empty() ? path : !r.target.empty() ? r.target : c.artifact_name;
    if (res.id.empty()) res.id = "trivy-target";
    res.details_other["ArtifactName"] = c.artifact_name;
    res.details_other["ArtifactType"] = c.artifact_type;
    if (r.target != res.id) res.details_other["Target"] = r.target;
  }
  f.resources.push_back(std::move(res));
}

Status EmitVuln(Context& c, const RawResult& r, const RawVuln& v, FindingSink& sink) {
  Finding f = Base(c, r);
  PackageId pkg;
  if (!v.purl.empty()) pkg = ParsePurl(v.purl);
  if (pkg.empty()) pkg = PackageId{CanonicalEcosystem(r.type), v.pkg_name, v.installed};
  if (pkg.version.empty()) pkg.version = v.installed;
  f.fingerprint = VulnFingerprint(v.id, pkg);
  if (c.k8s) f.fingerprint = FingerprintOf({"trivy-k8s", f.fingerprint.Hex(), c.ns, c.kind, c.name});

  std::string name = v.pkg_name.empty() ? pkg.name : v.pkg_name;
  std::string path = !v.pkg_path.empty() ? v.pkg_path : IsOsResult(r) ? "" : r.target;
  f.generator_id = "trivy/vulnerability";
  f.title = v.id + " in " + name + (v.installed.empty() ? "" : " " + v.installed);
  if (!Trim(v.title).empty()) f.title += ": " + CollapseWhitespace(v.title);
  f.description = !Trim(v.description).empty() ? v.description
                  : !Trim(v.title).empty()     ? v.title
                                               : v.id + " affects " + name + " " + v.installed;
  SetSeverity(f, v.severity);
  if (!v.fixed.empty()) f.remediation_text = "Upgrade " + name + " to " + v.fixed + ".";
  f.source_url = v.primary_url;
  for (const auto& cwe : v.cwes) {
    if (IsCwe(cwe)) f.cwes.push_back(cwe);
  }
  f.location.file_path = path;

  Vulnerability vuln;
  vuln.id = v.id;
  VulnerablePackage p;
  p.name = name;
  p.version = v.installed;
  p.package_manager = r.type;
  p.file_path = path;
  p.fixed_in_version = v.fixed;
  p.purl = v.purl;
  vuln.vulnerable_packages.push_back(std::move(p));
  vuln.cvss = v.cvss;
  for (const auto& u : v.refs) {
    if (std::find(vuln.reference_urls.begin(), vuln.reference_urls.end(), u) == vuln.reference_urls.end()) {
      vuln.reference_urls.push_back(u);
    }
  }
  vuln.related_vulnerabilities = v.vendor_ids;
  vuln.fix_available = v.fixed.empty() ? "NO" : "YES";
  vuln.vendor_name = v.ds_name;
  vuln.vendor_url = v.ds_url;
  if (!vuln.vendor_name.empty()) vuln.vendor_severity = v.severity;
  f.vulnerabilities.push_back(std::move(vuln));

  auto pf = [&f](const char* k, const std::string& val) {
    if (!Trim(val).empty()) f.product_fields[std::string("trivy/") + k] = val;
  };
  pf("Status", v.status);
  pf("PkgID", v.pkg_id);
  pf("Purl", v.purl);
  pf("SeveritySource", v.severity_source);
  pf("DataSource", v.ds_id);
  pf("PublishedDate", v.published);
  pf("LastModifiedDate", v.modified);
  pf("LayerDiffID", v.layer_diff_id);
  if (v.status == "not_affected") f.workflow = WorkflowStatus::kSuppressed;
  AddResources(c, r, path, f);
  return sink.Accept(std::move(f));
}

Status EmitMisconf(Context& c, const RawResult& r, const RawMisconf& m, FindingSink& sink) {
  std::string status = ToUpper(Trim(m.status));
  if (status == "PASS") return Status::Ok();
  Finding f = Base(c, r);
  std::string rule = CanonicalCheckId(m.avdid.empty() ? m.id : m.avdid);
  std::string file = c.k8s ? WorkloadId(c) + ":" + r.target : r.target;
  std::string anchor = !Trim(m.cause_resource).empty() ? Trim(m.cause_resource) : CollapseWhitespace(m.message);
  int ordinal = c.ordinals["m\x1f" + rule + '\x1f' + file + '\x1f' + anchor]++;
  f.fingerprint = CodeFingerprint("trivy", rule, file, anchor + "#" + std::to_string(ordinal));
  f.generator_id = "trivy/" + rule;
  f.types = {"Software and Configuration Checks"};
  std::string title = !Trim(m.title).empty() ? m.title : !Trim(m.message).empty() ? m.message : rule;
  f.title = rule + ": " + CollapseWhitespace(title);
  f.description = Trim(m.description);
  if (!Trim(m.message).empty() && m.message != m.description) {
    f.description += (f.description.empty() ? "" : "\n\n") + Trim(m.message);
  }
  SetSeverity(f, m.severity);
  f.remediation_text = Trim(m.resolution);
  f.remediation_url = m.primary_url;
  f.source_url = m.primary_url;
  f.location.file_path = r.target;
  f.location.start_line = ParseLine(m.start_line);
  f.location.end_line = ParseLine(m.end_line);
  if (status == "EXCEPTION") f.workflow = WorkflowStatus::kSuppressed;
  auto pf = [&f](const char* k, const std::string& val) {
    if (!Trim(val).empty()) f.product_fields[std::string("trivy/") + k] = val;
  };
  pf("CheckID", m.id);
  pf("AVDID", m.avdid);
  pf("CheckType", m.type);
  pf("CheckNamespace", m.check_namespace);
  pf("Status", m.status);
  pf("CauseResource", m.cause_resource);
  pf("Provider", m.provider);
  pf("Service", m.service);
  std::string refs;
  for (const auto& u : m.refs) refs += (refs.empty() ? "" : " ") + u;
  pf("References", refs);
  AddResources(c, r, r.target, f);
  return sink.Accept(std::move(f));
}

Status EmitSecret(Context& c, const RawResult& r, const RawSecret& s, FindingSink& sink) {
  Finding f = Base(c, r);
  std::string file = c.k8s ? WorkloadId(c) + ":" + r.target : r.target;
  std::string hash = s.match.empty() ? "" : Hex64(Hash64(s.match));
  int ordinal = c.ordinals["s\x1f" + s.rule_id + '\x1f' + file + '\x1f' + hash]++;
  f.fingerprint = CodeFingerprint("trivy", s.rule_id, file, hash + "#" + std::to_string(ordinal));
  f.generator_id = "trivy/secret/" + s.rule_id;
  f.types = {"Sensitive Data Identifications/Passwords"};
  std::string what = !Trim(s.title).empty() ? CollapseWhitespace(s.title) : s.rule_id;
  f.title = "Secret: " + what + " in " + r.target;
  int line = ParseLine(s.start_line);
  f.description = "Trivy found a secret (" + what + ", rule " + s.rule_id +
                  (s.category.empty() ? "" : ", category " + s.category) + ") in " + r.target +
                  (line ? " at line " + std::to_string(line) : "") + ". The value is not stored.";
  SetSeverity(f, s.severity);
  f.remediation_text = "Remove the secret from " + r.target + ", rotate it, and load it from a secret store.";
  f.location.file_path = r.target;
  f.location.start_line = line;
  f.location.end_line = ParseLine(s.end_line);
  auto pf = [&f](const char* k, const std::string& val) {
    if (!Trim(val).empty()) f.product_fields[std::string("trivy/") + k] = val;
  };
  pf("RuleID", s.rule_id);
  pf("Category", s.category);
  pf("LayerDiffID", s.layer_diff_id);
  if (!s.match.empty()) {
    pf("SecretPreview", SecretPreview(s.match));
    pf("SecretHash", hash);
  }
  AddResources(c, r, r.target, f);
  return sink.Accept(std::move(f));
}

Status EmitResult(Context& c, const RawResult& r, FindingSink& sink) {
  if (c.first_image.empty() && IsOsResult(r)) c.first_image = ImageOfOsTarget(r.target);
  for (const auto& v : r.vulns) FINDEX_RETURN_IF_ERROR(EmitVuln(c, r, v, sink));
  for (const auto& m : r.misconfs) FINDEX_RETURN_IF_ERROR(EmitMisconf(c, r, m, sink));
  for (const auto& s : r.secrets) FINDEX_RETURN_IF_ERROR(EmitSecret(c, r, s, sink));
  return Status::Ok();
}

// "Results": [...] of a report or of a k8s workload. Emits each Result as soon as it is read
// unless `buffer` is given (k8s: the workload's identity may follow its Results).
Status ReadResults(JsonReport& rep, od::value v, const std::string& where, Context& c, std::vector<RawResult>* buffer,
                   FindingSink& sink) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return rep.Malformed("bad value", ec);
  if (t == od::json_type::null) return Status::Ok();
  od::array arr;
  if (auto ec = v.get_array().get(arr)) return rep.Malformed("\"" + where + "\" is not an array", ec);
  size_t i = 0;
  for (auto e : arr) {
    od::value ev;
    if (auto ec = e.get(ev)) return rep.Malformed("bad result", ec);
    RawResult r;
    bool is_result = false, has_target = false;
    FINDEX_RETURN_IF_ERROR(ReadResult(rep, ev, where + "[" + std::to_string(i++) + "]", &r, &is_result, &has_target, sink));
    if (!is_result) continue;
    if (buffer) {
      buffer->push_back(std::move(r));
    } else {
      FINDEX_RETURN_IF_ERROR(EmitResult(c, r, sink));
    }
  }
  return Status::Ok();
}

// One entry of a k8s report's "Resources" / "Vulnerabilities" / "Misconfigurations".
Status ReadWorkload(JsonReport& rep, od::value v, const std::string& where, Context& c, FindingSink& sink) {
  uint64_t offset = rep.OffsetOf(v);
  od::object obj;
  if (v.get_object().get(obj)) {
    sink.AddReject(rep.RejectAt(offset, where, "resource is not an object"));
    return Status::Ok();
  }
  c.ns.clear();
  c.kind.clear();
  c.name.clear();
  c.workload_image.clear();
  std::string error;
  std::vector<RawResult> results;
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value fv) -> Status {
    if (key == "Namespace") ReadString(fv, &c.ns);
    else if (key == "Kind") ReadString(fv, &c.kind);
    else if (key == "Name") ReadString(fv, &c.name);
    else if (key == "Error") ReadString(fv, &error);
    else if (key == "Results") FINDEX_RETURN_IF_ERROR(ReadResults(rep, fv, where + ".Results", c, &results, sink));
    return Status::Ok();
  }));
  if (!Trim(error).empty()) {
    std::string first_line = Trim(error.substr(0, error.find('\n')));
    sink.AddReject(rep.RejectAt(offset, where,
                            "Trivy could not scan " + WorkloadId(c) + ": " + TruncateUtf8(first_line, 200)));
  }
  if (results.empty()) return Status::Ok();
  if (c.kind.empty() && c.name.empty()) {
    sink.AddReject(rep.RejectAt(offset, where, "resource has no Kind or Name"));
    return Status::Ok();
  }
  for (const auto& r : results) {
    if (IsOsResult(r)) {
      c.workload_image = ImageOfOsTarget(r.target);
      break;
    }
  }
  for (const auto& r : results) FINDEX_RETURN_IF_ERROR(EmitResult(c, r, sink));
  return Status::Ok();
}

Status ReadMetadata(JsonReport& rep, od::value v, Context& c) {
  od::object obj;
  if (v.get_object().get(obj)) return Status::Ok();  // null or odd: nothing to learn
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value fv) -> Status {
    if (key == "ImageID") {
      ReadString(fv, &c.image_id);
    } else if (key == "OS") {
      std::string family, name;
      bool ok = true;
      FINDEX_RETURN_IF_ERROR(ReadMembers(rep, fv, {{"Family", &family}, {"Name", &name}}, &ok));
      c.os = Trim(family + " " + name);
    } else if (key == "RepoTags" || key == "RepoDigests") {
      std::vector<std::string> items;
      ReadStrings(fv, &items);
      if (!items.empty()) (key == "RepoTags" ? c.repo_tag : c.repo_digest) = items[0];
    }
    return Status::Ok();
  }));
  return Status::Ok();
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  // Trivy before 0.20 wrote a bare `null` when nothing was found; JsonReport wants '{' or '['.
  if (IsBareNull(src.text())) return Status::Ok();
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  od::json_type root_type;
  if (auto ec = rep.doc().type().get(root_type)) return rep.Malformed("cannot parse JSON", ec);
  Context c;

  if (root_type == od::json_type::array) {  // legacy: an array of Results
    od::array arr;
    if (auto ec = rep.doc().get_array().get(arr)) return rep.Malformed("expected an array", ec);
    size_t i = 0, with_target = 0;
    for (auto e : arr) {
      od::value ev;
      if (auto ec = e.get(ev)) return rep.Malformed("bad result", ec);
      RawResult r;
      bool is_result = false, has_target = false;
      FINDEX_RETURN_IF_ERROR(ReadResult(rep, ev, "[" + std::to_string(i++) + "]", &r, &is_result, &has_target, sink));
      with_target += has_target;
      if (is_result) FINDEX_RETURN_IF_ERROR(EmitResult(c, r, sink));
    }
    FINDEX_RETURN_IF_ERROR(rep.Finish());
    if (i > 0 && with_target == 0) {
      return MakeError(ErrorCode::kSchema, "not a Trivy report: array elements have no \"Target\"", src.path());
    }
    return Status::Ok();
  }

  od::object root;
  if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("expected a Trivy JSON report", ec);
  bool known = false;
  for (auto field : root) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
    od::value fv;
    if (auto ec = field.value().get(fv)) return rep.Malformed("bad value", ec);
    if (key == "SchemaVersion" || key == "CreatedAt" || key == "ReportID") {
      known |= key == "SchemaVersion";
    } else if (key == "Trivy") {
      bool ok = true;
      FINDEX_RETURN_IF_ERROR(ReadMembers(rep, fv, {{"Version", &c.trivy_version}}, &ok));
    } else if (key == "ArtifactName") {
      known = true;
      ReadString(fv, &c.artifact_name);
      if (!c.artifact_name.empty()) sink.AddTarget(c.artifact_name);
    } else if (key == "ArtifactType") {
      known = true;
      ReadString(fv, &c.artifact_type);
    } else if (key == "Metadata") {
      FINDEX_RETURN_IF_ERROR(ReadMetadata(rep, fv, c));
    } else if (key == "Results") {
      known = true;
      FINDEX_RETURN_IF_ERROR(ReadResults(rep, fv, "Results", c, nullptr, sink));
    } else if (key == "ClusterName") {
      known = true;
      c.k8s = true;
      ReadString(fv, &c.cluster);
      if (!c.cluster.empty()) sink.AddTarget(c.cluster);
    } else if (key == "Resources" || key == "Vulnerabilities" || key == "Misconfigurations") {
      known = true;
      c.k8s = true;
      std::string list(key);
      od::json_type t;
      if (auto ec = fv.type().get(t)) return rep.Malformed("bad value", ec);
      if (t == od::json_type::null) continue;
      od::array arr;
      if (auto ec = fv.get_array().get(arr)) return rep.Malformed("\"" + list + "\" is not an array", ec);
      size_t i = 0;
      for (auto e : arr) {
        od::value ev;
        if (auto ec = e.get(ev)) return rep.Malformed("bad resource", ec);
        FINDEX_RETURN_IF_ERROR(ReadWorkload(rep, ev, list + "[" + std::to_string(i++) + "]", c, sink));
      }
    }
  }
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  if (!known) {
    return MakeError(ErrorCode::kSchema,
                     "not a Trivy report: no \"SchemaVersion\", \"ArtifactName\", \"Results\" or \"ClusterName\"",
                     src.path());
  }
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& TrivyFormat() {
  static const FormatDescriptor kDesc{"trivy", "trivy",
                                      "Trivy --format json (legacy arrays, SchemaVersion 2, trivy k8s reports)", kExt,
                                      Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
