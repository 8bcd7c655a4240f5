#include "normalize/ocsf_writer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "normalize/exploit.h"
#include "normalize/text.h"
#include "normalize/timestamp.h"

namespace findex {
namespace {

constexpr std::string_view kOcsfVersion = "1.6.0";
constexpr std::string_view kPlaceholderAccount = "000000000000";

bool HasText(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c != ' ' && c != '\t' && c != '\n' && c != '\r'; });
}

void Opt(JsonWriter& w, std::string_view key, std::string_view value) {
  if (HasText(value)) w.Field(key, value);
}

void OptTime(JsonWriter& w, std::string_view key, std::string_view rfc3339) {
  const int64_t ms = OcsfTimeMs(rfc3339);
  if (ms >= 0) w.Key(key).Int(ms);
}

void StringArray(JsonWriter& w, std::string_view key, const std::vector<std::string>& items) {
  if (std::none_of(items.begin(), items.end(), [](const std::string& s) { return HasText(s); })) return;
  w.Key(key).BeginArray();
  for (const auto& s : items) {
    if (HasText(s)) w.String(s);
  }
  w.EndArray();
}

void StringMap(JsonWriter& w, std::string_view key, const std::map<std::string, std::string>& m) {
  if (m.empty()) return;
  w.Key(key).BeginObject();
  for (const auto& [k, v] : m) w.Key(k).String(v);
  w.EndObject();
}

std::string_view SeverityCaption(int id) {
  switch (id) {
    case 1: return "Informational";
    case 2: return "Low";
    case 3: return "Medium";
    case 4: return "High";
    case 5: return "Critical";
    default: return "Unknown";
  }
}

std::string_view ClassName(OcsfClass c) {
  switch (c) {
    case OcsfClass::kComplianceFinding: return "Compliance Finding";
    case OcsfClass::kDetectionFinding: return "Detection Finding";
    default: return "Vulnerability Finding";
  }
}

std::string_view ActivityName(int id) {
  switch (id) {
    case 1: return "Create";
    case 2: return "Update";
    case 3: return "Close";
    default: return "Unknown";
  }
}

std::string_view StatusName(int id) {
  switch (id) {
    case 1: return "New";
    case 2: return "In Progress";
    case 3: return "Suppressed";
    case 4: return "Resolved";
    case 5: return "Archived";
    default: return "Unknown";
  }
}

std::string_view ComplianceStatusName(int id) {
  switch (id) {
    case 1: return "Pass";
    case 2: return "Warning";
    case 3: return "Fail";
    case 99: return "Other";
    default: return "Unknown";
  }
}

bool AnyTypeStartsWith(const Finding& f, std::string_view prefix) {
  return std::any_of(f.types.begin(), f.types.end(), [&](const std::string& t) { return StartsWith(t, prefix); });
}
bool AnyTypeContains(const Finding& f, std::string_view part) {
  return std::any_of(f.types.begin(), f.types.end(),
                     [&](const std::string& t) { return t.find(part) != std::string::npos; });
}

bool IsCveId(std::string_view id) { return id.size() > 4 && EqualsIgnoreCase(id.substr(0, 4), "CVE-"); }

// The CVE of a vulnerability: its id when that is one, else the first CVE among its aliases.
std::string CveOf(const Vulnerability& v) {
  for (const auto& id : VulnerabilityIds(v)) {
    if (IsCveId(id)) return id;
  }
  return {};
}

// Security Hub's compliance status of an ASFF input ("PASSED", "FAILED", ...), when it had one.
int AsffComplianceStatusId(const Finding& f) {
  auto it = f.product_fields.find("asff/ComplianceStatus");
  if (it == f.product_fields.end()) return -1;
  const std::string s = ToLower(Trim(it->second));
  if (s == "passed") return 1;
  if (s == "warning") return 2;
  if (s == "failed") return 3;
  return 0;  // NOT_AVAILABLE and anything else
}

std::string FileName(std::string_view path) {
  const size_t slash = path.find_last_of("/\\");
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return std::string(HasText(name) ? name : path);
}

// OCSF file object for a source file of a code finding.
void WriteFile(JsonWriter& w, std::string_view key, const std::string& path) {
  w.Key(key).BeginObject();
  const std::string name = FileName(path);
  w.Field("name", name);
  w.Field("path", path);
  const size_t dot = name.find_last_of('.');
  if (dot != std::string::npos && dot > 0 && dot + 1 < name.size()) w.Field("ext", name.substr(dot + 1));
  w.FieldInt("type_id", 1).Field("type", "Regular File");
  w.EndObject();
}

// remediation object: desc is required; the URL alone is its own description.
void WriteRemediation(JsonWriter& w, const Finding& f) {
  if (!HasText(f.remediation_text) && !HasText(f.remediation_url)) return;
  w.Key("remediation").BeginObject();
  w.Field("desc", HasText(f.remediation_text) ? f.remediation_text : f.remediation_url);
  if (HasText(f.remediation_url)) w.Key("references").BeginArray().String(f.remediation_url).EndArray();
  w.EndObject();
}

void WriteCvss(JsonWriter& w, const std::vector<Cvss>& list) {
  bool any = std::any_of(list.begin(), list.end(), [](const Cvss& c) { return c.base_score >= 0; });
  if (!any) return;
  w.Key("cvss").BeginArray();
  for (const auto& c : list) {
    if (c.base_score < 0) continue;  // base_score is required
    w.BeginObject();
    w.Key("base_score").Double(c.base_score);
    w.Field("version", HasText(c.version) ? c.version : "unknown");
    w.Field("depth", "Base");
    Opt(w, "vector_string", c.base_vector);
    Opt(w, "vendor_name", c.source);
    w.EndObject();
  }
  w.EndArray();
}

std::string EpssText(double v) {
  char buf[32];
  for (int prec = 6; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// The purl of a finding about one package: readers keep it in ProductFields "<scanner>/Purl"
// (ASFF has no purl member) or in a resource's Details.Other "Purl".
std::string FindingPurl(const Finding& f) {
  size_t packages = 0;
  for (const auto& v : f.vulnerabilities) packages += v.vulnerable_packages.size();
  if (packages != 1) return {};
  for (const auto& [k, v] : f.product_fields) {
    if (k.size() > 5 && k.compare(k.size() - 5, 5, "/Purl") == 0 && StartsWith(v, "pkg:")) return v;
  }
  for (const auto& r : f.resources) {
    auto it = r.details_other.find("Purl");
    if (it != r.details_other.end() && StartsWith(it->second, "pkg:")) return it->second;
  }
  return {};
}

void WriteAffectedPackages(JsonWriter& w, const Finding& f, const Vulnerability& v) {
  bool any = std::any_of(v.vulnerable_packages.begin(), v.vulnerable_packages.end(),
                         [](const VulnerablePackage& p) { return HasText(p.name) || HasText(p.purl); });
  if (!any) return;
  w.Key("affected_packages").BeginArray();
  for (const auto& p : v.vulnerable_packages) {
    if (!HasText(p.name) && !HasText(p.purl)) continue;
    w.BeginObject();
    w.Field("name", HasText(p.name) ? p.name : p.purl);  // required
    w.Field("version", HasText(p.version) ? p.version : "unknown");  // required
    Opt(w, "purl", HasText(p.purl) ? p.purl : FindingPurl(f));
    Opt(w, "fixed_in_version", p.fixed_in_version);
    Opt(w, "package_manager", p.package_manager);
    Opt(w, "path", p.file_path);
    Opt(w, "architecture", p.architecture);
    Opt(w, "release", p.release);
    // epoch is an integer in OCSF; a non-numeric one stays out.
    if (HasText(p.epoch)) {
      char* end = nullptr;
      const long long e = std::strtoll(p.epoch.c_str(), &end, 10);
      if (end && *end == '\0' && e >= 0 && e < (1LL << 31)) w.FieldInt("epoch", e);
    }
    if (HasText(p.remediation)) w.Key("remediation").BeginObject().Field("desc", p.remediation).EndObject();
    if (EqualsIgnoreCase(p.package_manager, "OS")) w.FieldInt("type_id", 2).Field("type", "Operating System");
    w.EndObject();
  }
  w.EndArray();
}

// The members every vulnerability object of a finding shares: title, severity, remediation.
void WriteVulnCommon(JsonWriter& w, const Finding& f) {
  if (HasText(f.title)) w.Field("title", f.title);
  if (HasText(f.description)) w.Field("desc", f.description);
  w.Field("severity", SeverityCaption(OcsfSeverityId(f.severity.label)));
  WriteRemediation(w, f);
}

void WriteAffectedCode(JsonWriter& w, const Finding& f) {
  if (!HasText(f.location.file_path)) return;
  w.Key("affected_code").BeginArray().BeginObject();
  WriteFile(w, "file", f.location.file_path);
  if (f.location.start_line > 0) w.FieldInt("start_line", f.location.start_line);
  if (f.location.end_line > 0) w.FieldInt("end_line", f.location.end_line);
  if (HasText(f.generator_id)) {
    w.Key("rule").BeginObject().Field("uid", f.generator_id);
    if (HasText(f.title)) w.Field("name", f.title);
    w.EndObject();
  }
  w.EndObject().EndArray();
}

void WriteCweList(JsonWriter& w, std::string_view key, const std::vector<std::string>& cwes) {
  if (cwes.empty()) return;
  w.Key(key).BeginArray();
  for (const auto& c : cwes) w.BeginObject().Field("uid", c).EndObject();
  w.EndArray();
}

// One vulnerability object per vulnerability the finding lists (cve, else advisory: OCSF wants
// exactly one of cve / cwe / advisory), with its packages and exploitation data.
void WriteListedVulnerability(JsonWriter& w, const Finding& f, const Vulnerability& v) {
  w.BeginObject();
  const std::string cve = CveOf(v);
  const ExploitInfo& e = v.exploit;
  if (!cve.empty()) {
    w.Key("cve").BeginObject();
    w.Field("uid", cve);
    if (HasText(f.title)) w.Field("title", f.title);
    WriteCvss(w, v.cvss);
    if (e.epss >= 0 && e.epss <= 1) {
      w.Key("epss").BeginObject();
      w.Field("score", EpssText(e.epss));
      if (e.epss_percentile >= 0 && e.epss_percentile <= 1) w.Key("percentile").Double(e.epss_percentile);
      // The feed's score date: a date, or the date-time of its first line.
      if (HasText(e.epss_date)) {
        OptTime(w, "created_time", e.epss_date.size() == 10 ? e.epss_date + "T00:00:00Z" : e.epss_date);
      }
      w.EndObject();
    }
    WriteCweList(w, "related_cwes", f.cwes);
    w.EndObject();
  } else {
    w.Key("advisory").BeginObject();
    w.Field("uid", HasText(v.id) ? v.id : "unknown");
    if (HasText(f.title)) w.Field("title", f.title);
    StringArray(w, "references", v.reference_urls);
    WriteCweList(w, "related_cwes", f.cwes);
    w.EndObject();
  }
  WriteVulnCommon(w, f);
  WriteAffectedPackages(w, f, v);
  WriteAffectedCode(w, f);
  StringArray(w, "references", v.reference_urls);
  std::vector<std::string> related = v.related_vulnerabilities;
  if (!cve.empty() && !EqualsIgnoreCase(v.id, cve) && HasText(v.id)) related.insert(related.begin(), v.id);
  related.erase(std::remove_if(related.begin(), related.end(), [&](const std::string& r) { return EqualsIgnoreCase(r, cve); }),
                related.end());
  StringArray(w, "related_vulnerabilities", related);
  if (v.fix_available == "YES" || v.fix_available == "PARTIAL") w.Key("is_fix_available").Bool(true);
  else if (v.fix_available == "NO") w.Key("is_fix_available").Bool(false);
  if (v.fix_available == "YES") w.FieldInt("fix_coverage_id", 1).Field("fix_coverage", "Complete");
  else if (v.fix_available == "PARTIAL") w.FieldInt("fix_coverage_id", 2).Field("fix_coverage", "Partial");
  else if (v.fix_available == "NO") w.FieldInt("fix_coverage_id", 3).Field("fix_coverage", "None");
  // Listed in CISA KEV: exploited in the wild, so an exploit is available.
  if (e.kev == 1 || e.exploit_available == "YES") w.Key("is_exploit_available").Bool(true);
  else if (e.exploit_available == "NO") w.Key("is_exploit_available").Bool(false);
  OptTime(w, "exploit_last_seen_time", e.last_known_exploit_at);
  Opt(w, "vendor_name", v.vendor_name);
  w.EndObject();
}

// Code findings (SAST, secrets, IaC through a vulnerability class): one object per CWE, else one
// advisory named by the rule.
void WriteCodeVulnerabilities(JsonWriter& w, const Finding& f) {
  if (!f.cwes.empty()) {
    for (const auto& c : f.cwes) {
      w.BeginObject();
      w.Key("cwe").BeginObject().Field("uid", c).EndObject();
      WriteVulnCommon(w, f);
      WriteAffectedCode(w, f);
      w.EndObject();
    }
    return;
  }
  w.BeginObject();
  w.Key("advisory").BeginObject();
  w.Field("uid", HasText(f.generator_id) ? f.generator_id : f.scanner);
  if (HasText(f.title)) w.Field("title", f.title);
  if (HasText(f.source_url)) w.Key("references").BeginArray().String(f.source_url).EndArray();
  w.EndObject();
  WriteVulnCommon(w, f);
  WriteAffectedCode(w, f);
  w.EndObject();
}

void WriteVulnerabilities(JsonWriter& w, const Finding& f) {
  w.Key("vulnerabilities").BeginArray();
  if (!f.vulnerabilities.empty()) {
    for (const auto& v : f.vulnerabilities) WriteListedVulnerability(w, f, v);
  } else {
    WriteCodeVulnerabilities(w, f);
  }
  w.EndArray();
}

void WriteResources(JsonWriter& w, const Finding& f, bool cloud) {
  bool any = std::any_of(f.resources.begin(), f.resources.end(), [](const Resource& r) { return HasText(r.id); });
  if (!any) return;
  w.Key("resources").BeginArray();
  for (const auto& r : f.resources) {
    if (!HasText(r.id)) continue;
    w.BeginObject();
    w.Field("uid", r.id);
    Opt(w, "type", r.type);
    w.FieldInt("role_id", 3).Field("role", "Affected");
    if (cloud) {
      Opt(w, "region", r.region);
      Opt(w, "cloud_partition", r.partition);
    }
    if (!r.details_other.empty()) {
      w.Key("data").BeginObject();
      StringMap(w, "details", r.details_other);
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
}

// The compliance object of a 2003 event: the check failed while the finding is active; it passes
// once a rescan no longer reports it (or a person resolved it); an ASFF input's own status wins.
void WriteCompliance(JsonWriter& w, const Finding& f) {
  int status = f.record_state == RecordState::kActive && f.workflow != WorkflowStatus::kResolved ? 3 : 1;
  const int asff = AsffComplianceStatusId(f);
  if (asff >= 0) status = asff;
  w.Key("compliance").BeginObject();
  if (HasText(f.generator_id)) w.Field("control", f.generator_id);
  w.FieldInt("status_id", status).Field("status", ComplianceStatusName(status));
  if (status == 3 && f.workflow == WorkflowStatus::kSuppressed) {
    w.Key("status_details").BeginArray().String("failed; suppressed").EndArray();
  }
  if (HasText(f.description)) w.Field("desc", f.description);
  w.Key("checks").BeginArray().BeginObject();
  w.Field("uid", HasText(f.generator_id) ? f.generator_id : f.scanner);
  if (HasText(f.title)) w.Field("name", f.title);
  const int sev = OcsfSeverityId(f.severity.label);
  w.FieldInt("severity_id", sev).Field("severity", SeverityCaption(sev));
  w.FieldInt("status_id", status).Field("status", ComplianceStatusName(status));
  w.EndObject().EndArray();
  w.EndObject();
}

// evidences of 2003/2004: the file of an IaC check, the URL of a DAST finding.
void WriteEvidences(JsonWriter& w, const Finding& f) {
  const bool file = HasText(f.location.file_path);
  const bool url = HasText(f.location.url);
  if (!file && !url) return;
  w.Key("evidences").BeginArray().BeginObject();
  if (file) WriteFile(w, "file", f.location.file_path);
  if (url) w.Key("url").BeginObject().Field("url_string", f.location.url).EndObject();
  if (file && f.location.start_line > 0) {
    w.Key("data").BeginObject().FieldInt("start_line", f.location.start_line);
    if (f.location.end_line > 0) w.FieldInt("end_line", f.location.end_line);
    w.EndObject();
  }
  w.EndObject().EndArray();
}

// The scanners named in the store's sources column ("grype:HIGH(High);trivy:CRITICAL(CRITICAL)").
std::vector<std::string> SourceScanners(const std::string& sources) {
  std::vector<std::string> out;
  for (size_t start = 0; start < sources.size();) {
    size_t end = sources.find(';', start);
    if (end == std::string::npos) end = sources.size();
    std::string part = sources.substr(start, end - start);
    part = part.substr(0, part.find(':'));
    if (HasText(part) && std::find(out.begin(), out.end(), part) == out.end()) out.push_back(part);
    start = end + 1;
  }
  return out;
}

// What OCSF has no attribute for: findex's identity and bookkeeping, the scanner's product
// fields, KEV dates.
void WriteUnmapped(JsonWriter& w, const Finding& f, const OcsfHistory& h) {
  w.Key("unmapped").BeginObject().Key("findex").BeginObject();
  w.Field("scanner", f.scanner);
  w.Field("format", f.format);
  w.Field("fingerprint", f.fingerprint.Hex());
  Opt(w, "scope", f.scope);
  Opt(w, "target", f.target);
  Opt(w, "sources", h.sources);
  w.Field("workflow_status", ToString(f.workflow));
  w.Field("record_state", ToString(f.record_state));
  w.FieldInt("severity_normalized", f.severity.normalized);
  Opt(w, "severity_original", f.severity.original);
  if (f.criticality >= 0) w.FieldInt("criticality", f.criticality);
  if (f.location.start_line > 0) w.FieldInt("start_line", f.location.start_line);
  if (f.location.end_line > 0) w.FieldInt("end_line", f.location.end_line);
  if (f.resource_count > f.resources.size()) w.Key("resource_count").UInt(f.resource_count);
  if (f.occurrences > 0) w.Key("occurrences").UInt(f.occurrences);
  const ExploitSummary ex = SummarizeExploit(f);
  if (ex.kev >= 0) {
    w.Key("kev").Bool(ex.kev == 1);
    Opt(w, "kev_due", ex.kev_due);
    if (ex.ransomware >= 0) w.Key("ransomware").Bool(ex.ransomware == 1);
  }
  if (ex.epss_percentile >= 0) w.Key("epss_percentile").Double(ex.epss_percentile);
  StringMap(w, "product_fields", f.product_fields);
  StringMap(w, "user_defined_fields", f.user_defined_fields);
  w.EndObject().EndObject();
}

bool RealAccount(std::string_view a) { return HasText(a) && a != kPlaceholderAccount; }

}  // namespace

const std::vector<std::pair<std::string_view, OcsfClass>>& OcsfScannerClasses() {
  using C = OcsfClass;
  static const std::vector<std::pair<std::string_view, OcsfClass>> kTable = {
      // Dependency, image and host vulnerability scanners.
      {"grype", C::kVulnerabilityFinding},
      {"dependency-check", C::kVulnerabilityFinding},
      {"osv-scanner", C::kVulnerabilityFinding},
      {"npm-audit", C::kVulnerabilityFinding},
      {"pip-audit", C::kVulnerabilityFinding},
      {"cyclonedx", C::kVulnerabilityFinding},
      // Code (SAST) and secrets: vulnerabilities[] with cwe + affected_code.
      {"semgrep", C::kVulnerabilityFinding},
      {"bandit", C::kVulnerabilityFinding},
      {"codeql", C::kVulnerabilityFinding},
      {"codeguru", C::kVulnerabilityFinding},
      {"sonarqube", C::kVulnerabilityFinding},
      {"phpstan", C::kVulnerabilityFinding},
      {"spotbugs", C::kVulnerabilityFinding},
      {"eslint", C::kVulnerabilityFinding},
      {"njsscan", C::kVulnerabilityFinding},
      {"mobsfscan", C::kVulnerabilityFinding},
      {"flawfinder", C::kVulnerabilityFinding},
      {"binskim", C::kVulnerabilityFinding},
      {"gitleaks", C::kVulnerabilityFinding},
      {"trufflehog", C::kVulnerabilityFinding},
      // IaC and configuration checks.
      {"checkov", C::kComplianceFinding},
      {"cfn-nag", C::kComplianceFinding},
      {"cfn-guard", C::kComplianceFinding},
      {"tfsec", C::kComplianceFinding},
      {"terrascan", C::kComplianceFinding},
      {"kics", C::kComplianceFinding},
      {"prowler", C::kComplianceFinding},
      {"tflint", C::kComplianceFinding},
      {"hadolint", C::kComplianceFinding},
      {"dockle", C::kComplianceFinding},
      {"config", C::kComplianceFinding},
      {"security-hub", C::kComplianceFinding},
      {"securityhub", C::kComplianceFinding},
      {"inspec", C::kComplianceFinding},
      // Runtime detections and dynamic (DAST) scans.
      {"falco", C::kDetectionFinding},
      {"zap", C::kDetectionFinding},
      {"nuclei", C::kDetectionFinding},
      {"guardduty", C::kDetectionFinding},
      {"macie", C::kDetectionFinding},
      // Mixed reports, decided per finding: vulnerabilities, misconfigurations, secrets (Trivy),
      // package and network findings (Inspector), SCA, SAST and IaC (Snyk, GitLab), ASFF input.
      {"trivy", C::kAuto},
      {"inspector", C::kAuto},
      {"snyk", C::kAuto},
      {"gitlab", C::kAuto},
      {"asff", C::kAuto},
  };
  return kTable;
}

OcsfClass OcsfClassFor(const Finding& f) {
  for (const auto& [name, cls] : OcsfScannerClasses()) {
    if (name == f.scanner && cls != OcsfClass::kAuto) return cls;
  }
  if (!f.vulnerabilities.empty()) return OcsfClass::kVulnerabilityFinding;
  if (AnyTypeStartsWith(f, "TTPs") || AnyTypeStartsWith(f, "Effects") || AnyTypeStartsWith(f, "Unusual Behaviors")) {
    return OcsfClass::kDetectionFinding;
  }
  if (AsffComplianceStatusId(f) >= 0 || AnyTypeContains(f, "Industry and Regulatory Standards") ||
      AnyTypeContains(f, "AWS Security Best Practices")) {
    return OcsfClass::kComplianceFinding;
  }
  if (AnyTypeStartsWith(f, "Sensitive Data Identifications") || AnyTypeContains(f, "/Vulnerabilities") ||
      !f.cwes.empty()) {
    return OcsfClass::kVulnerabilityFinding;
  }
  if (AnyTypeStartsWith(f, "Software and Configuration Checks")) return OcsfClass::kComplianceFinding;
  if (HasText(f.location.file_path)) return OcsfClass::kVulnerabilityFinding;
  return OcsfClass::kDetectionFinding;
}

OcsfStatus OcsfStatusFor(const Finding& f, const OcsfHistory& h) {
  OcsfStatus s;
  const bool archived = f.record_state == RecordState::kArchived;
  const bool reopened = h.active_since_run > 0 && h.first_seen_run > 0 && h.active_since_run > h.first_seen_run;
  const bool seen_again = h.last_seen_run > h.first_seen_run ||
                          (h.first_seen_run == 0 && HasText(f.updated_at) && f.updated_at != f.created_at);
  switch (f.workflow) {
    case WorkflowStatus::kResolved:
      s = {3, 4, archived ? "resolved: no longer reported" : "resolved by a person"};
      break;
    case WorkflowStatus::kSuppressed:
      s = {archived ? 3 : 2, 3, archived ? "suppressed; no longer reported" : "suppressed"};
      break;
    case WorkflowStatus::kNotified:
      s = archived ? OcsfStatus{3, 5, "archived"} : OcsfStatus{2, 2, "notified"};
      break;
    case WorkflowStatus::kNew:
      if (archived) s = {3, 5, "archived"};
      else if (reopened) s = {2, 1, "reopened"};
      else if (seen_again) s = {2, 1, "seen again"};
      else s = {1, 1, ""};
      break;
  }
  return s;
}

int OcsfSeverityId(SeverityLabel l) {
  switch (l) {
    case SeverityLabel::kInformational: return 1;
    case SeverityLabel::kLow: return 2;
    case SeverityLabel::kMedium: return 3;
    case SeverityLabel::kHigh: return 4;
    case SeverityLabel::kCritical: return 5;
  }
  return 0;
}

int64_t OcsfTimeMs(std::string_view rfc3339) {
  Rfc3339Time t;
  if (!ParseRfc3339(rfc3339, &t)) return -1;
  const int64_t ms = t.epoch_seconds * 1000 + t.nanos / 1000000;
  return ms < 0 ? -1 : ms;
}

void WriteOcsf(const Finding& f, const OcsfHistory& h, const OcsfWriteOptions& opts, JsonWriter& w) {
  const OcsfClass cls = OcsfClassFor(f);
  const int class_uid = static_cast<int>(cls);
  const OcsfStatus st = OcsfStatusFor(f, h);
  const int sev = OcsfSeverityId(f.severity.label);
  const std::string& account = f.aws_account_id;
  const bool cloud = RealAccount(account);
  const std::string& region = f.region;
  const std::string partition = HasText(opts.partition) ? opts.partition : std::string("aws");

  w.BeginObject();
  w.FieldInt("class_uid", class_uid).Field("class_name", ClassName(cls));
  w.FieldInt("category_uid", 2).Field("category_name", "Findings");
  w.FieldInt("activity_id", st.activity_id).Field("activity_name", ActivityName(st.activity_id));
  w.FieldInt("type_uid", int64_t{class_uid} * 100 + st.activity_id);
  w.Field("type_name", std::string(ClassName(cls)) + ": " + std::string(ActivityName(st.activity_id)));
  w.FieldInt("severity_id", sev).Field("severity", SeverityCaption(sev));
  w.FieldInt("status_id", st.status_id).Field("status", StatusName(st.status_id));
  Opt(w, "status_detail", st.detail);
  // time: when the finding was last observed (else last updated), per the store.
  int64_t time = OcsfTimeMs(f.last_observed_at);
  if (time < 0) time = OcsfTimeMs(f.updated_at);
  if (time < 0) time = OcsfTimeMs(f.created_at);
  w.FieldInt("time", time < 0 ? 0 : time);
  OptTime(w, "start_time", f.first_observed_at);
  OptTime(w, "end_time", f.last_observed_at);
  if (HasText(f.title)) w.Field("message", f.title);
  if (f.confidence >= 0) {
    const int cid = f.confidence < 34 ? 1 : f.confidence < 67 ? 2 : 3;
    w.FieldInt("confidence_id", cid).Field("confidence", cid == 1 ? "Low" : cid == 2 ? "Medium" : "High");
    w.FieldInt("confidence_score", f.confidence);
  }
  if (f.note && HasText(f.note->text)) w.Field("comment", f.note->text);
  if (cls == OcsfClass::kDetectionFinding) {
    w.Key("is_alert").Bool(f.record_state == RecordState::kActive && f.workflow != WorkflowStatus::kSuppressed &&
                           f.workflow != WorkflowStatus::kResolved);
    if (f.occurrences > 0 && f.occurrences < (1ULL << 31)) w.FieldInt("count", static_cast<int64_t>(f.occurrences));
  }

  w.Key("metadata").BeginObject();
  w.Field("version", kOcsfVersion);
  w.Key("product").BeginObject();
  w.Field("name", HasText(f.product_name) ? f.product_name : f.scanner);
  if (HasText(f.company_name)) w.Field("vendor_name", f.company_name);
  if (cloud) Opt(w, "uid", f.product_arn);
  w.EndObject();
  if (cloud) w.Key("profiles").BeginArray().String("cloud").EndArray();
  OptTime(w, "modified_time", f.updated_at);
  w.Field("log_provider", "findex");
  w.EndObject();

  if (cloud) {
    w.Key("cloud").BeginObject();
    w.Field("provider", "AWS");
    Opt(w, "region", region);
    Opt(w, "cloud_partition", partition);
    w.Key("account").BeginObject().Field("uid", account).FieldInt("type_id", 10).Field("type", "AWS Account").EndObject();
    w.EndObject();
  }

  w.Key("finding_info").BeginObject();
  w.Field("uid", f.id);
  w.Field("title", HasText(f.title) ? f.title : f.generator_id);
  if (HasText(f.description)) w.Field("desc", f.description);
  StringArray(w, "types", f.types);
  OptTime(w, "created_time", f.created_at);
  OptTime(w, "modified_time", f.updated_at);
  OptTime(w, "first_seen_time", f.first_observed_at);
  OptTime(w, "last_seen_time", f.last_observed_at);
  Opt(w, "src_url", f.source_url);
  if (HasText(f.generator_id)) {
    w.Key("analytic").BeginObject();
    w.Field("uid", f.generator_id);
    if (HasText(f.title)) w.Field("name", f.title);
    w.FieldInt("type_id", 1).Field("type", "Rule");
    w.EndObject();
  }
  std::vector<std::string> sources = SourceScanners(h.sources);
  if (sources.empty() && HasText(f.scanner)) sources.push_back(f.scanner);
  StringArray(w, "data_sources", sources);
  w.EndObject();

  WriteResources(w, f, cloud);
  switch (cls) {
    case OcsfClass::kComplianceFinding:
      WriteCompliance(w, f);
      WriteRemediation(w, f);
      WriteEvidences(w, f);
      break;
    case OcsfClass::kDetectionFinding:
      if (!f.vulnerabilities.empty()) WriteVulnerabilities(w, f);
      WriteRemediation(w, f);
      WriteEvidences(w, f);
      break;
    default:
      WriteVulnerabilities(w, f);
      break;
  }
  WriteUnmapped(w, f, h);
  w.EndObject();
}

std::string ToOcsfJson(const Finding& f, const OcsfHistory& h, const OcsfWriteOptions& opts) {
  std::string out;
  JsonWriter w(&out);
  WriteOcsf(f, h, opts, w);
  return out;
}

}  // namespace findex
