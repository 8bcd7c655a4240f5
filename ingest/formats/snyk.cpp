// Snyk Open Source and Snyk Container `snyk test --json` / `snyk container test --json`
// (https://docs.snyk.io/snyk-cli/commands/test; the CLI's legacy test result types):
//   one project:     {"vulnerabilities": [<issue>], "ok", "dependencyCount", "org", "policy",
//                     "packageManager", "summary", "filesystemPolicy", "filtered": {"ignore":
//                     [<issue>], "patch": [<issue>]}, "uniqueCount", "projectName",
//                     "displayTargetFile"?, "targetFile"?, "path", "remediation"?, "docker"?,
//                     "platform"?, "applications"?: [<project>]}
//   --all-projects:  [<project>, ...]
//   container:       a project ("docker-image|<image>") whose "applications" are the language
//                    projects found in the image, each read as a project of its own.
//   a failed test:   {"ok": false, "error": "<message>", "path"} is one clear file error (in an
//                    --all-projects array: a reject for that element).
//   <issue> = {"id": "SNYK-JS-...", "title", "severity", "severityWithCritical"?, "packageName",
//              "version", "name", "from": [path], "upgradePath": [false | "pkg@ver"],
//              "fixedIn": [...], "isUpgradable", "identifiers": {"CVE", "CWE", "GHSA", ...},
//              "CVSSv3", "cvssScore" (may be null), "cvssDetails": [{"assigner", "cvssV3Vector",
//              "cvssV3BaseScore"}], "exploit": "Not Defined" | "Unproven" | "Proof of Concept" |
//              "Functional" | "High" | "Mature" | "No Known Exploit", "epssDetails"?:
//              {"probability", "percentile", "modelVersion"}, "description", "references",
//              "packageManager", "type"? ("license" for license issues)}
// `snyk code test --json` writes SARIF 2.1.0: it is read by the `sarif` format (this reader
// refuses it with a clear error naming --format sarif).
//
// One finding per distinct (vulnerability, packageName, version) of a project: Snyk lists an
// issue once per dependency path ("from"); the paths are counted (ProductFields snyk/Paths).
// License issues ("type": "license", ids "snyk:lic:...") are a compliance inventory, not security
// findings, and are skipped (as Trivy's Licenses). filtered.patch issues (fixed by a Snyk patch)
// are skipped. filtered.ignore issues (ignored in the .snyk policy) are findings with workflow
// SUPPRESSED, the reason in ProductFields snyk/IgnoreReason; an issue both ignored and active
// (on another path) is active.
//
// Severity: severity critical, high, medium, low (the higher of "severity" and
// "severityWithCritical", which older CLIs wrote for "critical"); anything else MEDIUM.
// Kept where present: the CVSS score and vector (cvssScore + CVSSv3, source Snyk, and every
// cvssDetails entry by its assigner); exploit maturity (ProductFields snyk/ExploitMaturity, and
// ExploitAvailable YES for Proof of Concept, Functional, High, Mature, Attacked; NO for Unproven,
// No Known Exploit; absent for Not Defined); epssDetails probability / percentile as the EPSS
// score and percentile (both 0..1; a loaded EPSS feed wins, normalize/exploit.h), modelVersion in
// ProductFields snyk/EpssModel. Remediation: fixedIn ("Upgrade x to 1.2.3") and the upgradePath
// (the direct dependency to upgrade, "Upgrade express-jwt@0.1.3 to express-jwt@6.0.0").
//
// Identity: VulnFingerprint(id, package) with id PreferredVulnId (sca_common.h) over
// identifiers.CVE and identifiers.GHSA (the CVE when Snyk names one; a Snyk issue naming several
// CVEs takes the smallest, so it meets the Trivy finding of that one), else the Snyk id; the
// package is the issue's packageManager (debian:11 -> deb, pip -> pypi, gomodules -> golang,
// gradle -> maven, ...) + packageName + version. For OS packages Snyk's packageName is the
// source package ("gcc-10"), where Trivy names binary packages ("libgcc-s1"): such findings meet
// Trivy's only when the two names agree. The project is not part of it: the same issue in two
// projects of an --all-projects report is one finding with a resource per project. Target: each
// project (and container application) is one, "projectName:targetFile" (projectName alone when
// no target file is given); a finding's is its first project's.
#include <string>
#include <unordered_map>
#include <vector>

#include "ingest/formats/exploit_common.h"
#include "ingest/formats/sca_common.h"
#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || (h[0] != '{' && h[0] != '[')) return SniffConfidence::kNo;
  if (HeadHas(h, "\"runs\"") && HeadHas(h, "\"$schema\"")) return SniffConfidence::kNo;  // Snyk Code: SARIF
  bool project = HeadHas(h, "\"packageManager\"") &&
                 (HeadHas(h, "\"dependencyCount\"") || HeadHas(h, "\"uniqueCount\"") || HeadHas(h, "\"projectName\""));
  if (project && HeadHas(h, "\"vulnerabilities\"")) {
    return HeadHas(h, "\"SNYK-") || HeadHas(h, "\"filesystemPolicy\"") || HeadHas(h, "\"licensesPolicy\"")
               ? SniffConfidence::kCertain
               : SniffConfidence::kLikely;
  }
  if (h[0] == '{' && HeadHas(h, "\"ok\"") && HeadHas(h, "\"error\"") && HeadHas(h, "\"path\"") &&
      !HeadHas(h, "\"results\"")) {
    return SniffConfidence::kMaybe;  // a failed snyk test
  }
  return SniffConfidence::kNo;
}

struct Issue {
  uint64_t offset = 0;
  std::string where, id, title, severity, severity_wc, package_name, version, name, pm, type;
  std::string cvss_vector, exploit, epss, epss_pct, epss_model, description, ignore_reason;
  double cvss_score = -1;
  std::vector<std::string> cves, ghsas, cwes, fixed_in, upgrade_path, refs;
  std::vector<Cvss> cvss_details;
  bool upgradable = false;
};

struct Project {
  std::string name, target_file, path, pm, error;
  bool ok_field = false, has_vulns = false;
};

// Collected findings of the report (merged across projects), emitted at the end.
struct Collected {
  Finding f;
  size_t paths = 0;
  bool suppressed = false;
};

struct State {
  std::vector<Collected> findings;
  std::unordered_map<std::string, size_t> index;  // fingerprint hex -> findings index
};

// Snyk's packageManager words not known to CanonicalEcosystem.
std::string SnykEcosystem(std::string_view pm) {
  std::string w = ToLower(Trim(pm.substr(0, pm.find(':'))));  // "debian:11" -> "debian"
  static const struct { std::string_view from, to; } kMap[] = {
      {"gomodules", "golang"}, {"golangdep", "golang"}, {"govendor", "golang"}, {"paket", "nuget"},
      {"sbt", "maven"},        {"rhel", "rpm"},         {"amzn", "rpm"},        {"sles", "rpm"},
      {"rubygems", "gem"},     {"cocoapods", "cocoapods"}, {"swift", "swift"}, {"hex", "hex"},
      {"linux", "generic"},
  };
  for (const auto& m : kMap) {
    if (w == m.from) return std::string(m.to);
  }
  return CanonicalEcosystem(w);
}

int SeverityRank(std::string_view w) {
  std::string s = ToLower(Trim(w));
  return s == "critical" ? 4 : s == "high" ? 3 : s == "medium" ? 2 : s == "low" ? 1 : 0;
}

std::string ExploitAvailable(std::string_view maturity) {
  std::string m = ToLower(Trim(maturity));
  if (m == "proof of concept" || m == "functional" || m == "high" || m == "mature" || m == "attacked") return "YES";
  if (m == "unproven" || m == "no known exploit") return "NO";
  return "";
}

Status ReadIssue(JsonReport& rep, od::value v, Issue* is, bool* is_object) {
  return sca::ForEachMember(rep, v, is_object, [&](std::string_view k, od::value x) -> Status {
    bool ok = true;
    if (k == "id") ReadString(x, &is->id);
    else if (k == "title") ReadString(x, &is->title);
    else if (k == "severity") ReadString(x, &is->severity);
    else if (k == "severityWithCritical") ReadString(x, &is->severity_wc);
    else if (k == "packageName") ReadString(x, &is->package_name);
    else if (k == "version") ReadString(x, &is->version);
    else if (k == "name") ReadString(x, &is->name);
    else if (k == "packageManager") ReadString(x, &is->pm);
    else if (k == "type") ReadString(x, &is->type);
    else if (k == "CVSSv3") ReadString(x, &is->cvss_vector);
    else if (k == "cvssScore") {
      double d = -1;
      if (!IsNull(x) && ReadDouble(x, &d) && d >= 0 && d <= 10) is->cvss_score = d;
    } else if (k == "exploit") ReadString(x, &is->exploit);
    else if (k == "description") ReadString(x, &is->description);
    else if (k == "fixedIn") ReadStrings(x, &is->fixed_in);
    else if (k == "upgradePath") {
      return sca::ForEachElement(rep, x, &ok, [&](size_t, od::value e) -> Status {
        od::json_type t;
        if (auto ec = e.type().get(t)) return rep.Malformed("bad upgradePath", ec);
        std::string s;
        if (t == od::json_type::string && ReadString(e, &s)) is->upgrade_path.push_back(s);
        else is->upgrade_path.emplace_back();  // false: that step needs no upgrade
        return Status::Ok();
      });
    } else if (k == "isUpgradable") {
      std::string b;
      ReadString(x, &b);
      is->upgradable = b == "true";
    } else if (k == "identifiers") {
      bool o = false;
      return sca::ForEachMember(rep, x, &o, [&](std::string_view ik, od::value iv) -> Status {
        if (ik == "CVE") ReadStrings(iv, &is->cves);
        else if (ik == "GHSA") ReadStrings(iv, &is->ghsas);
        else if (ik == "CWE") ReadStrings(iv, &is->cwes);
        return Status::Ok();
      });
    } else if (k == "epssDetails") {
      bool o = false;
      return sca::ForEachMember(rep, x, &o, [&](std::string_view ek, od::value ev) -> Status {
        if (ek == "probability") ReadString(ev, &is->epss);
        else if (ek == "percentile") ReadString(ev, &is->epss_pct);
        else if (ek == "modelVersion") ReadString(ev, &is->epss_model);
        return Status::Ok();
      });
    } else if (k == "cvssDetails") {
      return sca::ForEachElement(rep, x, &ok, [&](size_t, od::value e) -> Status {
        Cvss c;
        bool o = false;
        FINDEX_RETURN_IF_ERROR(sca::ForEachMember(rep, e, &o, [&](std::string_view ck, od::value cv) -> Status {
          if (ck == "assigner") ReadString(cv, &c.source);
          else if (ck == "cvssV3Vector") ReadString(cv, &c.base_vector);
          else if (ck == "cvssV3BaseScore" && !IsNull(cv)) ReadDouble(cv, &c.base_score);
          return Status::Ok();
        }));
        if (c.base_vector.empty() && c.base_score < 0) return Status::Ok();
        if (c.base_score > 10) c.base_score = -1;
        c.version = sca::CvssVectorVersion(c.base_vector, "3");
        if (is->cvss_details.size() < 8) is->cvss_details.push_back(std::move(c));
        return Status::Ok();
      });
    } else if (k == "references") {
      return sca::ForEachElement(rep, x, &ok, [&](size_t, od::value e) -> Status {
        bool o = false;
        return sca::ForEachMember(rep, e, &o, [&](std::string_view rk, od::value rv) -> Status {
          std::string url;
          if (rk == "url" && ReadString(rv, &url) && !Trim(url).empty() && is->refs.size() < 64) is->refs.push_back(Trim(url));
          return Status::Ok();
        });
      });
    } else if (k == "filtered") {  // an ignored issue: {"ignored": [{"reason", "expires", "source"}]}
      bool o = false;
      return sca::ForEachMember(rep, x, &o, [&](std::string_view fk, od::value fv) -> Status {
        if (fk != "ignored") return Status::Ok();
        bool a = true;
        return sca::ForEachElement(rep, fv, &a, [&](size_t, od::value e) -> Status {
          bool eo = false;
          return sca::ForEachMember(rep, e, &eo, [&](std::string_view ik, od::value iv) -> Status {
            std::string reason;
            if (ik == "reason" && is->ignore_reason.empty() && ReadString(iv, &reason)) is->ignore_reason = Trim(reason);
            return Status::Ok();
          });
        });
      });
    }
    return Status::Ok();
  });
}

std::string ProjectLabel(const Project& p) {
  std::string label = Trim(p.name);
  if (!Trim(p.target_file).empty()) label += (label.empty() ? "" : ":") + Trim(p.target_file);
  return label.empty() ? Trim(p.path) : label;
}

void Collect(JsonReport& rep, const Project& p, const Issue& is, bool ignored, State& st, FindingSink& sink) {
  if (ToLower(Trim(is.type)) == "license" || StartsWith(is.id, "snyk:lic:")) return;
  std::string pkg_name = !Trim(is.package_name).empty() ? Trim(is.package_name) : Trim(is.name);
  if (Trim(is.id).empty() || pkg_name.empty()) {
    sink.AddReject(rep.RejectAt(is.offset, is.where, "issue has no id or packageName"));
    return;
  }
  std::vector<std::string> ids = is.cves;
  ids.insert(ids.end(), is.ghsas.begin(), is.ghsas.end());
  std::string id = sca::PreferredVulnId(ids);
  if (id.empty()) id = Trim(is.id);
  std::string pm = !Trim(is.pm).empty() ? is.pm : p.pm;
  PackageId pkg = sca::MakePackage(SnykEcosystem(pm), pkg_name, is.version);
  Fingerprint fp = VulnFingerprint(id, pkg);
  std::string key = fp.Hex();
  std::string label = ProjectLabel(p);
  if (auto it = st.index.find(key); it != st.index.end()) {
    Collected& c = st.findings[it->second];
    ++c.paths;
    if (c.suppressed && !ignored) {  // active on another path: not suppressed
      c.suppressed = false;
      c.f.workflow = WorkflowStatus::kNew;
      c.f.product_fields.erase("snyk/IgnoreReason");
    }
    bool have = false;
    for (const auto& r : c.f.resources) have = have || r.id == label;
    if (!have && !label.empty()) {
      if (c.f.resources.size() < 32) {
        Resource r;
        r.id = label;
        r.details_other["Project"] = p.name;
        r.details_other["TargetFile"] = p.target_file;
        c.f.resources.push_back(std::move(r));
      }
      ++c.f.resource_count;
    }
    return;
  }

  Finding f;
  f.scanner = "snyk";
  f.format = "snyk";
  f.product_name = "Snyk";
  f.company_name = "Snyk";
  f.fingerprint = fp;
  f.target = label;
  f.generator_id = "snyk/" + Trim(is.id);
  std::string version = Trim(is.version);
  f.title = id + " in " + pkg_name + (version.empty() ? "" : " " + version);
  if (!Trim(is.title).empty() && Trim(is.title) != id) f.title += ": " + CollapseWhitespace(is.title);
  f.description = !Trim(is.description).empty() ? Trim(is.description) : f.title;

  std::string word = SeverityRank(is.severity_wc) > SeverityRank(is.severity) ? is.severity_wc : is.severity;
  int rank = SeverityRank(word);
  SeverityLabel label_sev = rank == 4   ? SeverityLabel::kCritical
                            : rank == 3 ? SeverityLabel::kHigh
                            : rank == 1 ? SeverityLabel::kLow
                                        : SeverityLabel::kMedium;
  sca::SetLabel(f, label_sev, word);

  sca::UniqueList fixed;
  for (const auto& x : is.fixed_in) fixed.Add(x);
  std::string upgrade;  // the first step of the path that changes: the direct dependency's upgrade
  for (size_t i = 1; i < is.upgrade_path.size(); ++i) {
    if (!is.upgrade_path[i].empty()) {
      upgrade = is.upgrade_path[i];
      break;
    }
  }
  if (!fixed.empty()) f.remediation_text = "Upgrade " + pkg_name + " to " + fixed.Join(" or ") + ".";
  if (is.upgradable && !upgrade.empty()) {
    f.remediation_text += (f.remediation_text.empty() ? "" : " ") + std::string("Upgrade path: upgrade the direct dependency to ") + upgrade + ".";
  } else if (!fixed.empty() && !is.upgradable) {
    f.remediation_text += " No upgrade of the direct dependency fixes it yet.";
  }
  if (f.remediation_text.empty()) f.remediation_text = "No fixed version is available yet.";
  f.source_url = "https://security.snyk.io/vuln/" + Trim(is.id);
  f.remediation_url = f.source_url;
  for (const auto& c : is.cwes) {
    if (sca::IsCwe(Trim(c))) f.cwes.push_back(Trim(c));
  }
  f.location.file_path = Trim(p.target_file);

  Vulnerability vuln;
  vuln.id = id;
  VulnerablePackage vp;
  vp.name = pkg_name;
  vp.version = version;
  vp.package_manager = pm;
  vp.file_path = Trim(p.target_file);
  vp.fixed_in_version = fixed.Join(", ");
  vp.remediation = f.remediation_text;
  vuln.vulnerable_packages.push_back(std::move(vp));
  if (is.cvss_score >= 0 || !Trim(is.cvss_vector).empty()) {
    Cvss c;
    c.base_score = is.cvss_score;
    c.base_vector = Trim(is.cvss_vector);
    c.version = sca::CvssVectorVersion(c.base_vector, "3");
    c.source = "Snyk";
    vuln.cvss.push_back(std::move(c));
  }
  for (const auto& c : is.cvss_details) vuln.cvss.push_back(c);
  vuln.reference_urls = is.refs;
  sca::UniqueList related;
  related.Add(Trim(is.id));
  for (const auto& x : ids) related.Add(x);
  for (const auto& x : related.items()) {
    if (!EqualsIgnoreCase(x, id)) vuln.related_vulnerabilities.push_back(x);
  }
  vuln.fix_available = fixed.empty() ? "NO" : "YES";
  vuln.vendor_name = "Snyk";
  vuln.vendor_url = f.source_url;
  vuln.vendor_severity = word;
  double score = -1;
  if (exploit::ParseUnit(is.epss, &score)) {
    vuln.exploit.epss = score;
    double pct = -1;
    vuln.exploit.epss_percentile = exploit::ParseUnit(is.epss_pct, &pct) ? pct : -1;
  }
  vuln.exploit.exploit_available = ExploitAvailable(is.exploit);
  f.vulnerabilities.push_back(std::move(vuln));

  auto pf = [&f](const char* k, const std::string& val) {
    if (!Trim(val).empty()) f.product_fields[std::string("snyk/") + k] = Trim(val);
  };
  pf("IssueId", is.id);
  pf("ExploitMaturity", is.exploit);
  pf("EpssModel", is.epss_model);
  pf("EpssScore", is.epss);
  pf("EpssPercentile", is.epss_pct);
  pf("PackageManager", pm);
  if (is.name != pkg_name) pf("Name", is.name);
  if (ignored) {
    f.workflow = WorkflowStatus::kSuppressed;
    pf("IgnoreReason", is.ignore_reason.empty() ? "ignored in the Snyk policy" : is.ignore_reason);
  }

  Resource r;
  r.id = !label.empty() ? label : pkg_name;
  r.details_other["Project"] = p.name;
  r.details_other["TargetFile"] = p.target_file;
  r.details_other["Path"] = p.path;
  f.resources.push_back(std::move(r));
  f.resource_count = 1;
  st.index.emplace(key, st.findings.size());
  st.findings.push_back({std::move(f), 1, ignored});
}

// One project object. Its issues are read into `issues` (project fields may follow them), then
// collected. `nested`: an entry of "applications" (never recursed into again).
Status ReadProject(JsonReport& rep, od::value v, const std::string& where, bool nested, State& st, Project* out,
                   bool* is_object, FindingSink& sink) {
  std::vector<Issue> issues, ignored;
  std::vector<Project> apps;
  Project& p = *out;
  FINDEX_RETURN_IF_ERROR(sca::ForEachMember(rep, v, is_object, [&](std::string_view k, od::value x) -> Status {
    bool ok = true;
    if (k == "projectName") ReadString(x, &p.name);
    else if (k == "displayTargetFile") ReadString(x, &p.target_file);
    else if (k == "targetFile" && p.target_file.empty()) ReadString(x, &p.target_file);
    else if (k == "path") ReadString(x, &p.path);
    else if (k == "packageManager") ReadString(x, &p.pm);
    else if (k == "ok") p.ok_field = true;
    else if (k == "error") {
      if (!ReadString(x, &p.error)) ReadRaw(x, &p.error);
    } else if (k == "vulnerabilities") {
      p.has_vulns = true;
      FINDEX_RETURN_IF_ERROR(sca::ForEachElement(rep, x, &ok, [&](size_t i, od::value e) -> Status {
        Issue is;
        is.where = where + "vulnerabilities[" + std::to_string(i) + "]";
        is.offset = rep.OffsetOf(e);
        bool o = false;
        FINDEX_RETURN_IF_ERROR(ReadIssue(rep, e, &is, &o));
        if (!o) sink.AddReject(rep.RejectAt(is.offset, is.where, "issue is not an object"));
        else issues.push_back(std::move(is));
        return Status::Ok();
      }));
      if (!ok) return MakeError(ErrorCode::kSchema, "\"" + where + "vulnerabilities\" is not an array", rep.source().path());
    } else if (k == "filtered") {
      bool o = false;
      return sca::ForEachMember(rep, x, &o, [&](std::string_view fk, od::value fv) -> Status {
        if (fk != "ignore") return Status::Ok();  // "patch": fixed by a Snyk patch
        bool a = true;
        return sca::ForEachElement(rep, fv, &a, [&](size_t i, od::value e) -> Status {
          Issue is;
          is.where = where + "filtered.ignore[" + std::to_string(i) + "]";
          is.offset = rep.OffsetOf(e);
          bool io = false;
          FINDEX_RETURN_IF_ERROR(ReadIssue(rep, e, &is, &io));
          if (io) ignored.push_back(std::move(is));
          return Status::Ok();
        });
      });
    } else if (k == "applications" && !nested) {
      return sca::ForEachElement(rep, x, &ok, [&](size_t i, od::value e) -> Status {
        std::string w = where + "applications[" + std::to_string(i) + "].";
        Project app;
        bool o = false;
        FINDEX_RETURN_IF_ERROR(ReadProject(rep, e, w, true, st, &app, &o, sink));
        if (!o) sink.AddReject(rep.RejectAt(rep.OffsetOf(e), w, "application is not an object"));
        return Status::Ok();
      });
    }
    return Status::Ok();
  }));
  if (!*is_object) return Status::Ok();
  if (p.has_vulns && !ProjectLabel(p).empty()) sink.AddTarget(ProjectLabel(p));  // a failed test scanned nothing
  for (const auto& is : issues) Collect(rep, p, is, false, st, sink);
  for (const auto& is : ignored) Collect(rep, p, is, true, st, sink);
  return Status::Ok();
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  std::string_view head = JsonHead(src.text().substr(0, 64 * 1024));
  if (!head.empty() && head[0] == '{' && HeadHas(head, "\"runs\"") && HeadHas(head, "\"version\"")) {
    return MakeError(ErrorCode::kSchema,
                     "this is SARIF (snyk code test --json): read it with --format sarif", src.path());
  }
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  od::json_type root_type;
  if (auto ec = rep.doc().type().get(root_type)) return rep.Malformed("cannot parse JSON", ec);
  State st;
  od::value root;
  if (auto ec = rep.doc().get_value().get(root)) return rep.Malformed("cannot parse JSON", ec);
  if (root_type == od::json_type::array) {
    bool is_array = true;
    size_t projects = 0, elements = 0;
    std::string first_error;
    FINDEX_RETURN_IF_ERROR(sca::ForEachElement(rep, root, &is_array, [&](size_t i, od::value e) -> Status {
      ++elements;
      std::string where = "[" + std::to_string(i) + "].";
      uint64_t offset = rep.OffsetOf(e);
      Project p;
      bool o = false;
      FINDEX_RETURN_IF_ERROR(ReadProject(rep, e, where, false, st, &p, &o, sink));
      if (!o) {
        sink.AddReject(rep.RejectAt(offset, where, "project is not an object"));
      } else if (!Trim(p.error).empty() && !p.has_vulns) {
        if (first_error.empty()) first_error = TruncateUtf8(CollapseWhitespace(p.error), 300);
        sink.AddReject(rep.RejectAt(offset, where, "Snyk could not test " + (p.path.empty() ? p.name : p.path) + ": " +
                                                        TruncateUtf8(CollapseWhitespace(p.error), 200)));
      } else if (p.has_vulns) {
        ++projects;
      }
      return Status::Ok();
    }));
    FINDEX_RETURN_IF_ERROR(rep.Finish());
    if (elements > 0 && projects == 0 && st.findings.empty()) {
      if (!first_error.empty()) return MakeError(ErrorCode::kSchema, "snyk test failed: " + first_error, src.path());
      return MakeError(ErrorCode::kSchema, "not a Snyk report: no element has \"vulnerabilities\"", src.path());
    }
  } else {
    Project p;
    bool o = false;
    FINDEX_RETURN_IF_ERROR(ReadProject(rep, root, "", false, st, &p, &o, sink));
    if (!o) return rep.Malformed("expected a Snyk JSON object or array");
    FINDEX_RETURN_IF_ERROR(rep.Finish());
    if (!Trim(p.error).empty() && !p.has_vulns) {
      return MakeError(ErrorCode::kSchema, "snyk test failed: " + TruncateUtf8(CollapseWhitespace(p.error), 300),
                       src.path());
    }
    if (!p.has_vulns) return MakeError(ErrorCode::kSchema, "not a Snyk report: no \"vulnerabilities\"", src.path());
  }
  for (auto& c : st.findings) {
    if (c.paths > 1) c.f.product_fields["snyk/Paths"] = std::to_string(c.paths);
    FINDEX_RETURN_IF_ERROR(sink.Accept(std::move(c.f)));
  }
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& SnykFormat() {
  static const FormatDescriptor kDesc{"snyk", "snyk",
                                      "snyk test --json / snyk container test --json (one project, --all-projects)",
                                      kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
