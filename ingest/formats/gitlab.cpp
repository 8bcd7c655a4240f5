// GitLab security reports (https://docs.gitlab.com/development/integrations/secure/ and the
// report schemas https://gitlab.com/gitlab-org/security-products/security-report-schemas, 2.x to
// 15.x): SAST (gl-sast-report.json), dependency scanning (gl-dependency-scanning-report.json),
// container scanning (gl-container-scanning-report.json), secret detection
// (gl-secret-detection-report.json) and DAST (gl-dast-report.json). Shape:
//   {"version": "15.0.x", "schema"?, "scan": {"type", "status", "messages"?: [{"level","value"}],
//     "scanner": {"id","name","version","vendor"}, "analyzer"?: {...}},
//    "vulnerabilities": [{"id", "category"? (<= 14), "name", "message"? (<= 14), "description",
//      "cve"? (the analyzer's compare key, removed in 15), "severity", "confidence"? (<= 14),
//      "solution", "scanner"? (<= 14), "raw_source_code_extract"?, "discovered_at"?,
//      "identifiers": [{"type","name","value","url"}], "links": [{"name","url"}],
//      "location": SAST/secrets {"file","start_line","end_line","class","method","commit"?}
//                  dependency   {"file", "dependency": {"package": {"name"}, "version", "iid", "direct"}}
//                  container    {"dependency": {...}, "operating_system", "image"}
//                  DAST         {"hostname", "method", "path", "param"},
//      "evidence"? (DAST), "flags"?: [{"type","origin","description"}]}],
//    "remediations": [...], "dependency_files"?: [{"path","package_manager","dependencies"}]}
// "scan" and "dependency_files" follow "vulnerabilities": a first pass reads them (skipping the
// vulnerabilities), a second pass reads the vulnerabilities one at a time. Old (2.x) SAST
// reports have no "scan" and mix secret findings (TruffleHog, Gitleaks) in.
// The category of an entry is its "category" (schema <= 14), else scan.type, else inferred from
// its location (hostname: DAST; operating_system or image: container; a dependency package:
// dependency scanning; else SAST). An entry whose primary identifier is a Gitleaks or TruffleHog
// rule is a secret whatever the report type.
//
// One finding per entry of "vulnerabilities". Severity: Critical, High, Medium, Low as GitLab rates
// them; Info, Unknown, Undefined (or none) -> INFORMATIONAL. Confidence (schema <= 14): Confirmed
// 100, High 90, Medium 60, Low 30, Experimental 10; Unknown / Ignore absent.
//
// Identity (never the per-report "id", which changes between pipelines):
//   - dependency and container scanning: VulnFingerprint(vulnerability id, package), the id being
//     the first identifier of type "cve" (or any identifier value that is a CVE), else the
//     primary (first) identifier's value, as Trivy and Grype name it. The package is
//     location.dependency.package.name + version with the ecosystem: container scanning from
//     location.operating_system ("debian 10.9" -> deb, alpine -> apk, redhat/centos/... -> rpm:
//     Trivy's OS package ids); dependency scanning from dependency_files[].package_manager of
//     the entry's file, else from the Gemnasium advisory URL (".../gemnasium-db/-/blob/master/go/
//     <package>/<advisory>.yml"), else from the lock file's name. Maven names "group/artifact" are
//     written "group:artifact" (purl form). So a GitLab finding and a Trivy/Grype finding of the
//     same CVE and package are one finding. Without a package name (Gemnasium's "missing
//     component"), the Gemnasium URL names it; failing that FingerprintOf(gitlab, category,
//     id, file).
//   - SAST: CodeFingerprint("gitlab", "<type>:<value>" of the primary identifier, file, anchor);
//     the anchor (CodeAnchors, sast_common.h) is the source-line hash of the analyzer's compare key
//     ("<file>:<sha256 of the line>:<rule>", written by pre-15 analyzers), else the normalized
//     raw_source_code_extract, else the name + description with an ordinal. Line numbers are
//     left out, so a finding that only moved keeps its identity; true duplicates are one finding.
//   - secret detection: as SAST, the anchor being SecretHash(raw_source_code_extract) when the
//     report holds the secret, else the compare key's hash. The secret is never stored in clear:
//     no raw_source_code_extract, no compare key; ProductFields gitlab/SecretPreview and
//     gitlab/SecretHash (sast_common.h RedactedPreview / SecretHash).
//   - DAST: FingerprintOf("gitlab-dast", primary identifier, hostname, method, path, param).
// Suppression: GitLab reports carry no dismissals; "flags" (e.g. flagged-as-likely-false-positive)
// are kept in ProductFields gitlab/Flags, the finding stays open.
// A failed scan (scan.status "failure") is a reject naming its messages, so it shows.
// Rejects: an entry that is not an object, or has no identifiers (and no compare key).
#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "ingest/formats/sast_common.h"
#include "ingest/formats/sca_common.h"
#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || h[0] != '{' || !HeadHas(h, "\"vulnerabilities\"")) return SniffConfidence::kNo;
  if (HeadHas(h, "\"bomFormat\"")) return SniffConfidence::kNo;  // CycloneDX
  bool ids = HeadHas(h, "\"identifiers\"") && HeadHas(h, "\"location\"");
  bool gitlab = h.find("security-products") != std::string_view::npos ||
                h.find("\"vendor\": {\"name\": \"GitLab\"") != std::string_view::npos ||
                h.find("gemnasium") != std::string_view::npos;
  if (ids && gitlab) return SniffConfidence::kCertain;
  if (ids) return SniffConfidence::kLikely;
  if (HeadHas(h, "\"remediations\"") && HeadHas(h, "\"version\"")) return SniffConfidence::kLikely;
  if (HeadHas(h, "\"scan\"") && HeadHas(h, "\"scanner\"") && gitlab) return SniffConfidence::kLikely;
  return SniffConfidence::kNo;
}


struct Identifier {
  std::string type, name, value, url;
};

struct Raw {
  std::string id, category, name, message, description, cve, severity, confidence, solution, scanner_name;
  std::string extract, discovered_at;
  std::string file, cls, method, hostname, path, param, os, image, pkg_name, pkg_version, commit, direct;
  int64_t start_line = 0, end_line = 0;
  std::vector<Identifier> ids;
  std::vector<std::string> links, flags;
};

struct Context {
  std::string version, scan_type, scanner_id, scanner_name, scanner_version, scan_status;
  std::vector<std::string> scan_errors;
  std::unordered_map<std::string, std::string> package_managers;  // dependency file -> manager
  CodeAnchors anchors;
};

SeverityLabel SeverityOf(std::string_view s) {
  if (EqualsIgnoreCase(s, "critical")) return SeverityLabel::kCritical;
  if (EqualsIgnoreCase(s, "high")) return SeverityLabel::kHigh;
  if (EqualsIgnoreCase(s, "medium")) return SeverityLabel::kMedium;
  if (EqualsIgnoreCase(s, "low")) return SeverityLabel::kLow;
  return SeverityLabel::kInformational;  // Info, Unknown, Undefined, none
}

int ConfidenceOf(std::string_view s) {
  if (EqualsIgnoreCase(s, "confirmed")) return 100;
  if (EqualsIgnoreCase(s, "high")) return 90;
  if (EqualsIgnoreCase(s, "medium")) return 60;
  if (EqualsIgnoreCase(s, "low")) return 30;
  if (EqualsIgnoreCase(s, "experimental")) return 10;
  return -1;
}

bool IsSecretRule(const Identifier& id) {
  std::string t = ToLower(id.type);
  return t == "gitleaks_rule_id" || t == "trufflehog_rule_id" || t == "secret_detection_rule_id";
}

// "debian 10.9" -> deb, "alpine 3.12.0" -> apk, "centos 8" -> rpm (Trivy's OS families).
std::string OsEcosystem(std::string_view os) {
  std::string w = ToLower(Trim(os));
  if (size_t sp = w.find(' '); sp != std::string::npos) w = w.substr(0, sp);
  std::string eco = CanonicalEcosystem(w);
  if (eco == "deb" || eco == "apk" || eco == "rpm") return eco;
  static const struct { std::string_view prefix, eco; } kMore[] = {
      {"rhel", "rpm"},    {"red", "rpm"},     {"fedora", "rpm"}, {"opensuse", "rpm"}, {"sles", "rpm"},
      {"mariner", "rpm"}, {"azurelinux", "rpm"}, {"almalinux", "rpm"}, {"rockylinux", "rpm"},
      {"amzn", "rpm"},    {"ol", "rpm"},      {"distroless", "deb"}, {"chainguard", "apk"},
  };
  for (const auto& m : kMore) {
    if (StartsWith(w, m.prefix)) return std::string(m.eco);
  }
  return eco;
}

std::string LanguageEcosystem(std::string_view manager) {
  std::string w = ToLower(Trim(manager));
  if (w == "setuptools" || w == "pip-compile") return "pypi";
  if (w == "sbt") return "maven";
  if (w == "packagist") return "composer";
  if (w == "gem") return "gem";
  return CanonicalEcosystem(w);
}

// The ecosystem a lock file or manifest implies (when the report names no package manager).
std::string EcosystemOfFile(std::string_view file) {
  size_t slash = file.find_last_of('/');
  std::string n = ToLower(slash == std::string_view::npos ? file : file.substr(slash + 1));
  if (n == "go.sum" || n == "go.mod") return "golang";
  if (n == "package-lock.json" || n == "yarn.lock" || n == "pnpm-lock.yaml" || n == "npm-shrinkwrap.json" ||
      n == "package.json")
    return "npm";
  if (n == "gemfile.lock" || n == "gems.locked") return "gem";
  if (n == "pom.xml" || n == "build.gradle" || n == "build.gradle.kts" || n == "build.sbt" ||
      n == "gradle.lockfile")
    return "maven";
  if (n == "requirements.txt" || n == "pipfile.lock" || n == "poetry.lock" || n == "setup.py" || n == "pipdeptree.json")
    return "pypi";
  if (n == "composer.lock") return "composer";
  if (n == "packages.lock.json") return "nuget";
  if (n == "conan.lock") return "conan";
  if (n == "cargo.lock") return "cargo";
  return "";
}

// ".../gemnasium-db/-/blob/master/go/gopkg.in/yaml.v2/GMS-2019-2.yml" -> ("go", "gopkg.in/yaml.v2").
bool GemnasiumPackage(std::string_view url, std::string* eco, std::string* name) {
  size_t p = url.find("gemnasium-db/");
  if (p == std::string_view::npos) return false;
  size_t b = url.find("/blob/", p);
  if (b == std::string_view::npos) return false;
  std::string_view rest = url.substr(b + 6);
  size_t s = rest.find('/');  // branch
  if (s == std::string_view::npos) return false;
  rest = rest.substr(s + 1);
  size_t e = rest.find('/');
  size_t last = rest.rfind('/');
  if (e == std::string_view::npos || last == e) return false;
  *eco = std::string(rest.substr(0, e));
  *name = std::string(rest.substr(e + 1, last - e - 1));
  return !name->empty();
}

// The analyzer's compare key "<file>:<64 hex>:<rule>" -> the hex (hash of the flagged line).
std::string CompareKeyHash(std::string_view cve, std::string_view file) {
  if (file.empty() || cve.size() < file.size() + 66 || cve.substr(0, file.size()) != file || cve[file.size()] != ':')
    return "";
  std::string_view h = cve.substr(file.size() + 1, 64);
  if (cve.size() > file.size() + 65 && cve[file.size() + 65] != ':') return "";
  for (char c : h) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return "";
  }
  return std::string(h);
}

Status ReadLocation(JsonReport& rep, od::value v, Raw* r) {
  bool o = false;
  return ForObj(rep, v, &o, [&](std::string_view k, od::value x) -> Status {
    bool oo = false;
    if (k == "file") ReadString(x, &r->file);
    else if (k == "start_line") ReadInt(x, &r->start_line);
    else if (k == "end_line") ReadInt(x, &r->end_line);
    else if (k == "class") ReadString(x, &r->cls);
    else if (k == "method") ReadString(x, &r->method);
    else if (k == "hostname") ReadString(x, &r->hostname);
    else if (k == "path") ReadString(x, &r->path);
    else if (k == "param") ReadString(x, &r->param);
    else if (k == "operating_system") ReadString(x, &r->os);
    else if (k == "image") ReadString(x, &r->image);
    else if (k == "commit") {
      return ForObj(rep, x, &oo, [&](std::string_view ck, od::value cx) -> Status {
        if (ck == "sha") ReadString(cx, &r->commit);
        return Status::Ok();
      });
    } else if (k == "dependency") {
      return ForObj(rep, x, &oo, [&](std::string_view dk, od::value dx) -> Status {
        bool po = false;
        if (dk == "version") ReadString(dx, &r->pkg_version);
        else if (dk == "direct") ReadString(dx, &r->direct);
        else if (dk == "package") {
          return ForObj(rep, dx, &po, [&](std::string_view pk, od::value px) -> Status {
            if (pk == "name") ReadString(px, &r->pkg_name);
            return Status::Ok();
          });
        }
        return Status::Ok();
      });
    }
    return Status::Ok();
  });
}

// Reads one entry; *reason is set when it must be rejected.
Status ReadVuln(JsonReport& rep, od::value v, Raw* r, std::string* reason) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return rep.Malformed("bad value", ec);
  if (t != od::json_type::object) {
    *reason = "vulnerability is not an object";
    return Status::Ok();
  }
  bool o = false;
  FINDEX_RETURN_IF_ERROR(ForObj(rep, v, &o, [&](std::string_view k, od::value x) -> Status {
    bool a = false, oo = false;
    if (k == "id") ReadString(x, &r->id);
    else if (k == "category") ReadString(x, &r->category);
    else if (k == "name") ReadString(x, &r->name);
    else if (k == "message") ReadString(x, &r->message);
    else if (k == "description") ReadString(x, &r->description);
    else if (k == "cve") ReadString(x, &r->cve);
    else if (k == "severity") ReadString(x, &r->severity);
    else if (k == "confidence") ReadString(x, &r->confidence);
    else if (k == "solution") ReadString(x, &r->solution);
    else if (k == "raw_source_code_extract") ReadString(x, &r->extract);
    else if (k == "discovered_at") ReadString(x, &r->discovered_at);
    else if (k == "location") return ReadLocation(rep, x, r);
    else if (k == "scanner") {
      return ForObj(rep, x, &oo, [&](std::string_view sk, od::value sx) -> Status {
        if (sk == "name") ReadString(sx, &r->scanner_name);
        return Status::Ok();
      });
    } else if (k == "identifiers") {
      return ForArr(rep, x, &a, [&](size_t, od::value ev) -> Status {
        Identifier id;
        FINDEX_RETURN_IF_ERROR(ForObj(rep, ev, &oo, [&](std::string_view ik, od::value ix) -> Status {
          if (ik == "type") ReadString(ix, &id.type);
          else if (ik == "name") ReadString(ix, &id.name);
          else if (ik == "value") ReadString(ix, &id.value);
          else if (ik == "url") ReadString(ix, &id.url);
          return Status::Ok();
        }));
        id.type = Trim(id.type);
        id.value = Trim(id.value);
        if (!id.value.empty() || !id.name.empty()) r->ids.push_back(std::move(id));
        return Status::Ok();
      });
    } else if (k == "links") {
      return ReadMemberOfEach(rep, x, "url", &r->links);
    } else if (k == "flags") {
      return ForArr(rep, x, &a, [&](size_t, od::value ev) -> Status {
        std::string type, origin;
        FINDEX_RETURN_IF_ERROR(ForObj(rep, ev, &oo, [&](std::string_view fk, od::value fx) -> Status {
          if (fk == "type") ReadString(fx, &type);
          else if (fk == "origin") ReadString(fx, &origin);
          return Status::Ok();
        }));
        if (!Trim(type).empty()) r->flags.push_back(Trim(type) + (Trim(origin).empty() ? "" : " (" + Trim(origin) + ")"));
        return Status::Ok();
      });
    }
    return Status::Ok();
  }));
  if (r->ids.empty() && Trim(r->cve).empty()) *reason = "vulnerability has no identifiers";
  return Status::Ok();
}

enum class Kind { kSast, kDependency, kContainer, kSecret, kDast };

Kind KindOf(const Context& c, const Raw& r) {
  if (!r.ids.empty() && IsSecretRule(r.ids[0])) return Kind::kSecret;
  std::string cat = ToLower(Trim(!r.category.empty() ? r.category : c.scan_type));
  if (cat == "secret_detection") return Kind::kSecret;
  if (cat == "dependency_scanning") return Kind::kDependency;
  if (cat == "container_scanning" || cat == "cluster_image_scanning") return Kind::kContainer;
  if (cat == "dast" || cat == "api_fuzzing") return Kind::kDast;
  if (cat == "sast" || cat == "coverage_fuzzing") return Kind::kSast;
  if (!r.hostname.empty()) return Kind::kDast;
  if (!r.os.empty() || !r.image.empty()) return Kind::kContainer;
  if (!r.pkg_name.empty()) return Kind::kDependency;
  return Kind::kSast;
}

std::string_view KindName(Kind k) {
  switch (k) {
    case Kind::kSast: return "sast";
    case Kind::kDependency: return "dependency_scanning";
    case Kind::kContainer: return "container_scanning";
    case Kind::kSecret: return "secret_detection";
    case Kind::kDast: return "dast";
  }
  return "sast";
}

Status Emit(Context& c, const Raw& r, FindingSink& sink) {
  const Kind kind = KindOf(c, r);
  Finding f;
  f.scanner = "gitlab";
  f.format = "gitlab";
  std::string tool = !Trim(r.scanner_name).empty() ? Trim(r.scanner_name) : Trim(c.scanner_name);
  f.product_name = tool.empty() ? "GitLab" : "GitLab " + tool;
  f.company_name = "GitLab";
  SeverityLabel label = SeverityOf(Trim(r.severity));
  f.severity.label = label;
  f.severity.normalized = DefaultNormalized(label);
  f.severity.original = r.severity;
  f.confidence = ConfidenceOf(Trim(r.confidence));
  f.generator_id = "gitlab/" + std::string(KindName(kind));

  Identifier primary = !r.ids.empty() ? r.ids[0] : Identifier{"cve", "", Trim(r.cve), ""};
  std::string rule = primary.type.empty() ? primary.value : primary.type + ":" + primary.value;
  for (const auto& id : r.ids) {
    if (EqualsIgnoreCase(id.type, "cwe")) {
      AppendCwes(id.name, &f.cwes);
      std::string val = Trim(id.value);
      if (!val.empty() && std::all_of(val.begin(), val.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
        AppendCwes("CWE-" + val, &f.cwes);
      }
    }
  }
  std::string file = Trim(r.file);
  std::string title = !Trim(r.name).empty()      ? CollapseWhitespace(r.name)
                      : !Trim(r.message).empty() ? CollapseWhitespace(r.message)
                      : !Trim(primary.name).empty() ? CollapseWhitespace(primary.name)
                                                    : primary.value;
  std::string description = !Trim(r.description).empty() ? Trim(r.description)
                            : !Trim(r.message).empty()   ? Trim(r.message)
                                                         : title;
  std::string solution = Trim(r.solution);
  if (EqualsIgnoreCase(solution, "No solution provided")) solution.clear();
  f.remediation_text = solution;
  if (!primary.url.empty()) f.source_url = primary.url;
  else if (!r.links.empty()) f.source_url = r.links[0];

  auto pf = [&f](const char* k, const std::string& val) {
    if (!Trim(val).empty()) f.product_fields[std::string("gitlab/") + k] = Trim(val);
  };
  pf("Category", std::string(KindName(kind)));
  pf("ReportId", r.id);
  pf("ScannerId", c.scanner_id);
  pf("ScannerVersion", c.scanner_version);
  pf("SchemaVersion", c.version);
  pf("Confidence", r.confidence);
  pf("DiscoveredAt", r.discovered_at);
  std::string ids;
  for (const auto& id : r.ids) ids += (ids.empty() ? "" : " ") + (id.type.empty() ? "" : id.type + ":") + id.value;
  pf("Identifiers", ids);
  std::string flags;
  for (const auto& fl : r.flags) flags += (flags.empty() ? "" : ", ") + fl;
  pf("Flags", flags);

  Resource res;
  if (kind == Kind::kDependency || kind == Kind::kContainer) {
    // An identifier of type "cve", else any identifier whose value is a CVE.
    std::string vid = sca::FirstCveId(
        r.ids, [](const Identifier& id) { return EqualsIgnoreCase(id.type, "cve") ? id.value : std::string(); });
    if (vid.empty()) vid = sca::FirstCveId(r.ids, [](const Identifier& id) -> const std::string& { return id.value; });
    if (vid.empty()) vid = !primary.value.empty() ? primary.value : Trim(r.cve);
    PackageId pkg;
    pkg.name = Trim(r.pkg_name);
    pkg.version = Trim(r.pkg_version);
    std::string gem_eco, gem_name;
    for (const auto& id : r.ids) {
      if (GemnasiumPackage(id.url, &gem_eco, &gem_name)) break;
    }
    if (kind == Kind::kContainer) {
      pkg.ecosystem = OsEcosystem(r.os);
    } else {
      auto it = c.package_managers.find(file);
      if (it != c.package_managers.end()) pkg.ecosystem = LanguageEcosystem(it->second);
      if (pkg.ecosystem.empty() && !gem_eco.empty()) pkg.ecosystem = LanguageEcosystem(gem_eco);
      if (pkg.ecosystem.empty()) pkg.ecosystem = EcosystemOfFile(file);
    }
    if (pkg.name.empty() && !gem_name.empty()) {
      pkg.name = gem_name;
      pf("PackageFromAdvisory", "true");
    }
    if (pkg.ecosystem == "maven") std::replace(pkg.name.begin(), pkg.name.end(), '/', ':');
    if (!pkg.name.empty()) {
      f.fingerprint = VulnFingerprint(vid, pkg);
    } else {
      f.fingerprint = FingerprintOf({"gitlab", KindName(kind), vid, file, r.image});
    }
    std::string what = pkg.name.empty() ? (file.empty() ? r.image : file)
                                         : pkg.name + (pkg.version.empty() ? "" : " " + pkg.version);
    f.title = vid + " in " + what + (title.empty() || title == vid ? "" : ": " + title);
    f.description = description;
    Vulnerability vuln;
    vuln.id = vid;
    VulnerablePackage p;
    p.name = pkg.name;
    p.version = pkg.version;
    p.package_manager = kind == Kind::kContainer ? "OS" : pkg.ecosystem;
    p.file_path = file;
    p.remediation = solution;
    if (!p.name.empty()) vuln.vulnerable_packages.push_back(std::move(p));
    for (const auto& id : r.ids) {
      if (!id.value.empty() && !EqualsIgnoreCase(id.value, vid) &&
          std::find(vuln.related_vulnerabilities.begin(), vuln.related_vulnerabilities.end(), id.value) ==
              vuln.related_vulnerabilities.end() &&
          !EqualsIgnoreCase(id.type, "cwe"))
        vuln.related_vulnerabilities.push_back(id.value);
    }
    for (const auto& u : r.links) {
      if (std::find(vuln.reference_urls.begin(), vuln.reference_urls.end(), u) == vuln.reference_urls.end())
        vuln.reference_urls.push_back(u);
    }
    vuln.vendor_name = "GitLab";
    vuln.vendor_severity = r.severity;
    f.vulnerabilities.push_back(std::move(vuln));
    f.location.file_path = file;
    pf("CompareKey", r.cve);
    pf("Direct", r.direct);
    pf("OperatingSystem", r.os);
    if (kind == Kind::kContainer && !Trim(r.image).empty()) {
      res.type = "Container";
      res.id = Trim(r.image);
      res.details_other["ImageName"] = Trim(r.image);
      if (!Trim(r.os).empty()) res.details_other["Os"] = Trim(r.os);
    } else {
      res.id = !file.empty() ? file : !pkg.name.empty() ? pkg.name : "gitlab-dependency";
      if (!pkg.name.empty()) res.details_other["Package"] = pkg.name;
    }
  } else if (kind == Kind::kDast) {
    std::string host = Trim(r.hostname), path = Trim(r.path);
    f.fingerprint = FingerprintOf({"gitlab-dast", rule, host, ToUpper(Trim(r.method)), path, Trim(r.param)});
    f.location.url = host + path;
    f.title = title + (f.location.url.empty() ? "" : " at " + f.location.url);
    f.description = description;
    if (!Trim(r.param).empty()) f.description += "\n\nParameter: " + Trim(r.param);
    res.type = "Other";
    res.id = !f.location.url.empty() ? f.location.url : "gitlab-dast";
    if (!Trim(r.method).empty()) res.details_other["Method"] = ToUpper(Trim(r.method));
    if (!Trim(r.param).empty()) res.details_other["Param"] = Trim(r.param);
    f.types = {"Software and Configuration Checks/Vulnerabilities"};
    pf("CompareKey", r.cve);
  } else {
    const bool secret = kind == Kind::kSecret;
    std::string base;
    if (secret && !r.extract.empty()) base = SecretHash(r.extract);
    if (base.empty()) base = CompareKeyHash(Trim(r.cve), file);
    if (base.empty() && !secret && !Trim(r.extract).empty()) base = NormalizeSnippet(r.extract);
    CodeRegion region{r.start_line, 0, r.end_line, 0};
    std::string anchor = c.anchors.Make(rule, file, base, title + "\n" + description, region);
    f.fingerprint = CodeFingerprint("gitlab", rule, file, anchor);
    f.location.file_path = file;
    f.location.start_line = r.start_line > 0 ? static_cast<int>(r.start_line) : 0;
    f.location.end_line = r.end_line > r.start_line ? static_cast<int>(r.end_line) : 0;
    res.id = !file.empty() ? file : "gitlab-sast";
    if (r.start_line > 0) res.details_other["Line"] = std::to_string(r.start_line);
    if (secret) {
      f.types = {"Sensitive Data Identifications/Passwords"};
      f.title = "Secret: " + title + (file.empty() ? "" : " in " + file);
      f.description = description + "\n\nGitLab secret detection found a secret (rule " + primary.value + ")" +
                      (file.empty() ? "" : " in " + file) +
                      (r.start_line > 0 ? " at line " + std::to_string(r.start_line) : "") +
                      ". The value is not stored.";
      if (f.remediation_text.empty()) {
        f.remediation_text = "Remove the secret" + (file.empty() ? std::string() : " from " + file) +
                             ", rotate it, and load it from a secret store.";
      }
      if (!r.extract.empty()) {
        pf("SecretPreview", RedactedPreview(r.extract));
        pf("SecretHash", SecretHash(r.extract));
      }
      pf("Commit", r.commit);
    } else {
      f.title = title;
      f.description = description;
      if (!r.extract.empty()) f.description += "\n\nCode:\n" + r.extract;
      pf("CompareKey", r.cve);
      pf("Class", r.cls);
      pf("Method", r.method);
    }
    pf("Rule", rule);
  }
  if (f.description.empty()) f.description = f.title;
  f.resources.push_back(std::move(res));
  return sink.Accept(std::move(f));
}

Status ReadScan(JsonReport& rep, od::value v, Context& c) {
  bool o = false;
  return ForObj(rep, v, &o, [&](std::string_view k, od::value x) -> Status {
    bool oo = false, a = false;
    if (k == "type") ReadString(x, &c.scan_type);
    else if (k == "status") ReadString(x, &c.scan_status);
    else if (k == "scanner") {
      return ForObj(rep, x, &oo, [&](std::string_view sk, od::value sx) -> Status {
        if (sk == "id") ReadString(sx, &c.scanner_id);
        else if (sk == "name") ReadString(sx, &c.scanner_name);
        else if (sk == "version") ReadString(sx, &c.scanner_version);
        return Status::Ok();
      });
    } else if (k == "messages") {
      return ForArr(rep, x, &a, [&](size_t, od::value ev) -> Status {
        std::string level, value;
        FINDEX_RETURN_IF_ERROR(ForObj(rep, ev, &oo, [&](std::string_view mk, od::value mx) -> Status {
          if (mk == "level") ReadString(mx, &level);
          else if (mk == "value") ReadString(mx, &value);
          return Status::Ok();
        }));
        if (EqualsIgnoreCase(Trim(level), "fatal") || EqualsIgnoreCase(Trim(level), "error")) {
          c.scan_errors.push_back(TruncateUtf8(CollapseWhitespace(value), 300));
        }
        return Status::Ok();
      });
    }
    return Status::Ok();
  });
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  Context c;
  bool saw_vulns = false, vulns_null = false;
  {
    od::object root;
    if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("expected a GitLab security report object", ec);
    FINDEX_RETURN_IF_ERROR(ForEachField(rep, root, [&](std::string_view key, od::value fv) -> Status {
      bool a = false;
      if (key == "version") ReadString(fv, &c.version);
      else if (key == "scan") return ReadScan(rep, fv, c);
      else if (key == "vulnerabilities") {
        saw_vulns = true;
        vulns_null = IsNull(fv);
      } else if (key == "dependency_files") {
        return ForArr(rep, fv, &a, [&](size_t, od::value ev) -> Status {
          std::string path, manager;
          bool o = false;
          FINDEX_RETURN_IF_ERROR(ForObj(rep, ev, &o, [&](std::string_view dk, od::value dx) -> Status {
            if (dk == "path") ReadString(dx, &path);
            else if (dk == "package_manager") ReadString(dx, &manager);
            return Status::Ok();
          }));
          if (!Trim(path).empty() && !Trim(manager).empty()) c.package_managers.emplace(Trim(path), Trim(manager));
          return Status::Ok();
        });
      }
      return Status::Ok();
    }));
    FINDEX_RETURN_IF_ERROR(rep.Finish());
  }
  if (!saw_vulns) {
    return MakeError(ErrorCode::kSchema, "not a GitLab security report: no \"vulnerabilities\"", src.path());
  }
  if (EqualsIgnoreCase(Trim(c.scan_status), "failure")) {
    std::string why;
    for (const auto& e : c.scan_errors) why += (why.empty() ? "" : "; ") + e;
    sink.AddReject(rep.RejectAt(0, "scan", "the GitLab " + (c.scan_type.empty() ? std::string("security") : c.scan_type) +
                                               " scan failed" + (why.empty() ? "" : ": " + why)));
  }
  if (vulns_null) return Status::Ok();

  rep.doc().rewind();
  od::object root;
  if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("expected a GitLab security report object", ec);
  for (auto field : root) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
    if (key != "vulnerabilities") continue;
    od::value fv;
    if (auto ec = field.value().get(fv)) return rep.Malformed("bad value", ec);
    bool is_arr = false;
    FINDEX_RETURN_IF_ERROR(ForArr(rep, fv, &is_arr, [&](size_t i, od::value ev) -> Status {
      uint64_t offset = rep.OffsetOf(ev);
      Raw r;
      std::string reason;
      FINDEX_RETURN_IF_ERROR(ReadVuln(rep, ev, &r, &reason));
      if (!reason.empty()) {
        sink.AddReject(rep.RejectAt(offset, "vulnerabilities[" + std::to_string(i) + "]", reason));
        return Status::Ok();
      }
      return Emit(c, r, sink);
    }));
    if (!is_arr) return MakeError(ErrorCode::kSchema, "\"vulnerabilities\" is not an array", src.path());
  }
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& GitlabFormat() {
  static const FormatDescriptor kDesc{
      "gitlab", "gitlab",
      "GitLab security reports (SAST, dependency/container scanning, secret detection, DAST; schema 2-15)", kExt, Sniff,
      Ingest};
  return kDesc;
}

}  // namespace findex
