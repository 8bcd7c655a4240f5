// npm audit --json (https://docs.npmjs.com/cli/commands/npm-audit), both shapes npm has written:
//   npm 7+ (auditReportVersion 2; npm's arborist audit-report.js):
//     {"auditReportVersion": 2,
//      "vulnerabilities": {"<package>": {"name", "severity", "isDirect", "via": [<advisory> |
//                          "<package>"], "effects", "range", "nodes": ["node_modules/..."],
//                          "fixAvailable": true | false | {"name", "version", "isSemVerMajor"}}},
//      "metadata": {"vulnerabilities": {...}, "dependencies": {...}}}
//     <advisory> = {"source": <npm advisory number>, "name", "dependency", "title", "url"
//                   ("https://github.com/advisories/GHSA-..."), "severity", "cwe": [...],
//                   "cvss": {"score", "vectorString"}, "range"}
//   npm 6 (https://github.com/npm/npm-audit-report v1 JSON):
//     {"actions": [...], "advisories": {"<id>": {"id", "module_name", "cves": [...],
//      "github_advisory_id"?, "title", "overview", "recommendation", "references", "severity",
//      "cwe", "url", "vulnerable_versions", "patched_versions",
//      "findings": [{"version", "paths": [...]}]}}, "muted": [...], "metadata": {...}}
//   An audit that failed: {"error": {"code": "ENOAUDIT" | "ENOLOCK" | ..., "summary", "detail"}}
//   is one clear file error (kSchema "npm audit failed: <code>: <summary>"), not an empty report.
//
// One finding is:
//   npm 7+: each advisory object in a package's "via". A string entry in "via" names the
//     dependency through which the package is vulnerable (a path, not a finding of its own: that
//     dependency has its own entry with the advisory).
//   npm 6: each (advisory, installed version in findings[]).
// Severity: critical, high, moderate -> MEDIUM, low, info -> INFORMATIONAL (npm's levels); the
// advisory's own severity, not the package's (which is the highest over its via chain).
//
// Identity: VulnFingerprint(id, {npm, name, version}); names lower-cased as npm purls are.
//   npm 7+: id is the GHSA id from the advisory's "url" (npm 7+ advisories name no CVE);
//     "npm-<source>" when the url is not a GHSA advisory. npm 7+ gives no installed version
//     (the package's "range" is the vulnerable range, and "nodes" the install paths), so the
//     version in the identity is "": the finding is (advisory, package) and stays the same
//     finding while any vulnerable version is installed; the range and nodes are kept in
//     ProductFields npm-audit/Range and the resource. Such a versionless identity is one of the
//     keys the store records for a versioned finding of another tool (normalize/fingerprint.h
//     VulnAltIdentities): Trivy's (CVE, debug 2.6.8) with the GHSA in VendorIDs and npm's
//     (GHSA, debug) are one finding in the store, whichever came first.
//   npm 6: id is PreferredVulnId (sca_common.h) over "cves" and "github_advisory_id": the CVE
//     when the advisory names one, so an npm 6 finding and a Trivy finding of the same CVE,
//     package and installed version are ONE finding; else the GHSA; else "npm-<id>".
// The same finding twice in one report (npm 6 repeats a version across findings[]) is one.
// Suppression: npm audit's JSON records none that findex reads (npm 6's "muted" list is not read);
// use a findex policy suppression.
#include <unordered_set>
#include <vector>

#include "ingest/formats/sca_common.h"
#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || h[0] != '{') return SniffConfidence::kNo;
  if (HeadHas(h, "\"auditReportVersion\"")) return SniffConfidence::kCertain;
  if (HeadHas(h, "\"advisories\"") &&
      (HeadHas(h, "\"module_name\"") || HeadHas(h, "\"muted\"") || HeadHas(h, "\"actions\""))) {
    return SniffConfidence::kCertain;
  }
  if (HeadHas(h, "\"error\"") && HeadHas(h, "\"code\"") && HeadHas(h, "\"summary\"") && HeadHas(h, "\"detail\"")) {
    return SniffConfidence::kLikely;  // npm's error object
  }
  return SniffConfidence::kNo;
}

void SetSeverity(Finding& f, const std::string& word) {
  std::string w = ToLower(Trim(word));
  SeverityLabel label = SeverityLabel::kMedium;  // an advisory without a level: still a vulnerability
  if (w == "critical") label = SeverityLabel::kCritical;
  else if (w == "high") label = SeverityLabel::kHigh;
  else if (w == "moderate" || w == "medium") label = SeverityLabel::kMedium;
  else if (w == "low") label = SeverityLabel::kLow;
  else if (w == "info" || w == "none") label = SeverityLabel::kInformational;
  sca::SetLabel(f, label, word);
}

// "https://github.com/advisories/GHSA-gxpj-cx7g-858c" -> "GHSA-gxpj-cx7g-858c"; "" otherwise.
std::string GhsaOfUrl(std::string_view url) {
  size_t p = url.rfind('/');
  std::string_view last = p == std::string_view::npos ? url : url.substr(p + 1);
  return sca::IsGhsaId(last) ? std::string(last) : "";
}

Finding Base() {
  Finding f;
  f.scanner = "npm-audit";
  f.format = "npm-audit";
  f.product_name = "npm audit";
  f.company_name = "npm";
  return f;
}

void AddPf(Finding& f, const char* k, const std::string& v) {
  if (!Trim(v).empty()) f.product_fields[std::string("npm-audit/") + k] = v;
}

// ---------------------------------------------------------------------------------------------
// npm 7+

struct Advisory {
  std::string source, name, dependency, title, url, severity, range, cvss_vector;
  double cvss_score = -1;
  std::vector<std::string> cwes;
};

struct VulnEntry {
  uint64_t offset = 0;
  std::string where, key, name, severity, range, fix;
  bool is_direct = false;
  std::vector<Advisory> advisories;
  std::vector<std::string> nodes;
  size_t bad_via = 0;
};

Status ReadAdvisory(JsonReport& rep, od::value v, Advisory* a) {
  bool obj = false;
  return sca::ForEachMember(rep, v, &obj, [&](std::string_view k, od::value x) -> Status {
    if (k == "source") ReadString(x, &a->source);
    else if (k == "name") ReadString(x, &a->name);
    else if (k == "dependency") ReadString(x, &a->dependency);
    else if (k == "title") ReadString(x, &a->title);
    else if (k == "url") ReadString(x, &a->url);
    else if (k == "severity") ReadString(x, &a->severity);
    else if (k == "range") ReadString(x, &a->range);
    else if (k == "cwe") {
      if (!ReadStrings(x, &a->cwes)) {
        std::string one;
        if (ReadString(x, &one) && !Trim(one).empty()) a->cwes.push_back(one);
      }
    } else if (k == "cvss") {
      bool o = false;
      return sca::ForEachMember(rep, x, &o, [&](std::string_view ck, od::value cv) -> Status {
        if (ck == "score") ReadDouble(cv, &a->cvss_score);
        else if (ck == "vectorString") ReadString(cv, &a->cvss_vector);
        return Status::Ok();
      });
    }
    return Status::Ok();
  });
}

Status ReadVulnEntry(JsonReport& rep, od::value v, VulnEntry* e, bool* is_object) {
  return sca::ForEachMember(rep, v, is_object, [&](std::string_view k, od::value x) -> Status {
    bool ok = true;
    if (k == "name") ReadString(x, &e->name);
    else if (k == "severity") ReadString(x, &e->severity);
    else if (k == "range") ReadString(x, &e->range);
    else if (k == "isDirect") {
      std::string d;
      ReadString(x, &d);
      e->is_direct = d == "true";
    } else if (k == "nodes") ReadStrings(x, &e->nodes);
    else if (k == "fixAvailable") {
      od::json_type t;
      if (auto ec = x.type().get(t)) return rep.Malformed("bad fixAvailable", ec);
      if (t == od::json_type::object) {
        std::string name, version, major;
        bool o = false;
        FINDEX_RETURN_IF_ERROR(sca::ForEachMember(rep, x, &o, [&](std::string_view fk, od::value fv) -> Status {
          if (fk == "name") ReadString(fv, &name);
          else if (fk == "version") ReadString(fv, &version);
          else if (fk == "isSemVerMajor") ReadString(fv, &major);
          return Status::Ok();
        }));
        e->fix = "Upgrade " + name + " to " + version + (major == "true" ? " (a semver-major upgrade)" : "") + ".";
      } else {
        std::string b;
        ReadString(x, &b);
        e->fix = b == "true" ? "true" : b == "false" ? "false" : "";
      }
    } else if (k == "via") {
      return sca::ForEachElement(rep, x, &ok, [&](size_t, od::value av) -> Status {
        od::json_type t;
        if (auto ec = av.type().get(t)) return rep.Malformed("bad via entry", ec);
        if (t == od::json_type::string) return Status::Ok();  // a path through another package
        if (t != od::json_type::object) {
          ++e->bad_via;
          return Status::Ok();
        }
        Advisory a;
        FINDEX_RETURN_IF_ERROR(ReadAdvisory(rep, av, &a));
        e->advisories.push_back(std::move(a));
        return Status::Ok();
      });
    }
    return Status::Ok();
  });
}

Status EmitV7(JsonReport& rep, const VulnEntry& e, std::unordered_set<std::string>& seen, FindingSink& sink) {
  if (e.bad_via) sink.AddReject(rep.RejectAt(e.offset, e.where + ".via", "via entry is neither an advisory nor a name"));
  for (const Advisory& a : e.advisories) {
    std::string name = !Trim(a.name).empty() ? Trim(a.name) : !Trim(e.name).empty() ? Trim(e.name) : e.key;
    std::string ghsa = GhsaOfUrl(Trim(a.url));
    std::string id = !ghsa.empty() ? ghsa : !Trim(a.source).empty() ? "npm-" + Trim(a.source) : "";
    if (id.empty() || name.empty()) {
      sink.AddReject(rep.RejectAt(e.offset, e.where + ".via", "advisory has no url or source, or no package name"));
      continue;
    }
    PackageId pkg = sca::MakePackage("npm", name, "");
    Fingerprint fp = VulnFingerprint(id, pkg);
    if (!seen.insert(fp.Hex()).second) continue;

    Finding f = Base();
    f.fingerprint = fp;
    f.generator_id = "npm-audit/advisory";
    f.title = id + " in " + name + (Trim(a.title).empty() ? "" : ": " + CollapseWhitespace(a.title));
    f.description = (Trim(a.title).empty() ? id : Trim(a.title)) + ". Vulnerable versions of " + name + ": " +
                    (Trim(a.range).empty() ? "(not given)" : Trim(a.range)) + ".";
    SetSeverity(f, a.severity);
    if (e.fix == "false") f.remediation_text = "No fix is available for " + name + " yet.";
    else if (e.fix == "true") f.remediation_text = "Run npm audit fix.";
    else f.remediation_text = e.fix;
    f.remediation_url = a.url;
    f.source_url = a.url;
    for (const auto& c : a.cwes) {
      if (sca::IsCwe(Trim(c))) f.cwes.push_back(Trim(c));
    }
    std::string path = e.nodes.empty() ? "" : e.nodes[0];
    f.location.file_path = path;

    Vulnerability vuln;
    vuln.id = id;
    VulnerablePackage vp;
    vp.name = name;
    vp.package_manager = "npm";
    vp.file_path = path;
    vp.remediation = f.remediation_text;
    vuln.vulnerable_packages.push_back(std::move(vp));
    if (a.cvss_score > 0 || !Trim(a.cvss_vector).empty()) {
      Cvss c;
      c.base_vector = Trim(a.cvss_vector);
      c.base_score = a.cvss_score > 0 && a.cvss_score <= 10 ? a.cvss_score : -1;
      c.version = sca::CvssVectorVersion(c.base_vector, "3");
      c.source = "GitHub";
      if (!c.base_vector.empty() || c.base_score >= 0) vuln.cvss.push_back(std::move(c));
    }
    if (!Trim(a.url).empty()) vuln.reference_urls.push_back(Trim(a.url));
    if (!Trim(a.source).empty() && id != "npm-" + Trim(a.source)) vuln.related_vulnerabilities.push_back("npm-" + Trim(a.source));
    vuln.fix_available = e.fix == "false" ? "NO" : e.fix.empty() ? "" : "YES";
    vuln.vendor_name = "GitHub Advisory Database";
    vuln.vendor_url = a.url;
    vuln.vendor_severity = a.severity;
    f.vulnerabilities.push_back(std::move(vuln));

    AddPf(f, "AdvisorySource", a.source);
    AddPf(f, "Range", a.range);
    AddPf(f, "PackageSeverity", e.severity);
    AddPf(f, "IsDirect", e.is_direct ? "true" : "false");
    std::string nodes;
    for (const auto& n : e.nodes) nodes += (nodes.empty() ? "" : ", ") + n;
    AddPf(f, "Nodes", nodes);

    Resource r;
    r.id = !path.empty() ? path : "node_modules/" + name;
    r.details_other["Package"] = name;
    f.resources.push_back(std::move(r));
    FINDEX_RETURN_IF_ERROR(sink.Accept(std::move(f)));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// npm 6

struct V6Advisory {
  uint64_t offset = 0;
  std::string where, id, module, title, overview, recommendation, references, severity, cwe, url;
  std::string ghsa, vulnerable, patched;
  std::vector<std::string> cves;
  std::vector<std::pair<std::string, std::vector<std::string>>> findings;  // version, paths
};

Status ReadV6Advisory(JsonReport& rep, od::value v, V6Advisory* a, bool* is_object) {
  return sca::ForEachMember(rep, v, is_object, [&](std::string_view k, od::value x) -> Status {
    bool ok = true;
    if (k == "id") ReadString(x, &a->id);
    else if (k == "module_name") ReadString(x, &a->module);
    else if (k == "title") ReadString(x, &a->title);
    else if (k == "overview") ReadString(x, &a->overview);
    else if (k == "recommendation") ReadString(x, &a->recommendation);
    else if (k == "references") ReadString(x, &a->references);
    else if (k == "severity") ReadString(x, &a->severity);
    else if (k == "cwe") {
      if (!ReadString(x, &a->cwe)) {
        std::vector<std::string> list;
        ReadStrings(x, &list);
        for (const auto& c : list) a->cwe += (a->cwe.empty() ? "" : ",") + c;
      }
    } else if (k == "url") ReadString(x, &a->url);
    else if (k == "github_advisory_id") ReadString(x, &a->ghsa);
    else if (k == "vulnerable_versions") ReadString(x, &a->vulnerable);
    else if (k == "patched_versions") ReadString(x, &a->patched);
    else if (k == "cves") ReadStrings(x, &a->cves);
    else if (k == "findings") {
      return sca::ForEachElement(rep, x, &ok, [&](size_t, od::value fv) -> Status {
        std::string version;
        std::vector<std::string> paths;
        bool o = false;
        FINDEX_RETURN_IF_ERROR(sca::ForEachMember(rep, fv, &o, [&](std::string_view fk, od::value y) -> Status {
          if (fk == "version") ReadString(y, &version);
          else if (fk == "paths") ReadStrings(y, &paths);
          return Status::Ok();
        }));
        a->findings.emplace_back(Trim(version), std::move(paths));
        return Status::Ok();
      });
    }
    return Status::Ok();
  });
}

Status EmitV6(JsonReport& rep, const V6Advisory& a, std::unordered_set<std::string>& seen, FindingSink& sink) {
  std::string name = Trim(a.module);
  std::vector<std::string> ids = a.cves;
  if (!Trim(a.ghsa).empty()) ids.push_back(a.ghsa);
  std::string id = sca::PreferredVulnId(ids);
  if (id.empty() && !Trim(a.id).empty()) id = "npm-" + Trim(a.id);
  if (name.empty() || id.empty()) {
    sink.AddReject(rep.RejectAt(a.offset, a.where, "advisory has no module_name or id"));
    return Status::Ok();
  }
  if (a.findings.empty()) {
    sink.AddReject(rep.RejectAt(a.offset, a.where, "advisory has no findings (no installed version)"));
    return Status::Ok();
  }
  for (const auto& [version, paths] : a.findings) {
    PackageId pkg = sca::MakePackage("npm", name, version);
    Fingerprint fp = VulnFingerprint(id, pkg);
    if (!seen.insert(fp.Hex()).second) continue;
    Finding f = Base();
    f.fingerprint = fp;
    f.generator_id = "npm-audit/advisory";
    f.title = id + " in " + name + (version.empty() ? "" : " " + version) +
              (Trim(a.title).empty() ? "" : ": " + CollapseWhitespace(a.title));
    f.description = !Trim(a.overview).empty() ? Trim(a.overview) : !Trim(a.title).empty() ? Trim(a.title) : id;
    SetSeverity(f, a.severity);
    f.remediation_text = Trim(a.recommendation);
    if (f.remediation_text.empty() && !Trim(a.patched).empty()) f.remediation_text = "Upgrade " + name + " to " + Trim(a.patched) + ".";
    f.remediation_url = a.url;
    f.source_url = a.url;
    for (size_t s = 0; s < a.cwe.size();) {  // "CWE-94" or "CWE-79,CWE-80"
      size_t comma = a.cwe.find(',', s);
      if (comma == std::string::npos) comma = a.cwe.size();
      std::string c = Trim(std::string_view(a.cwe).substr(s, comma - s));
      if (sca::IsCwe(c)) f.cwes.push_back(c);
      s = comma + 1;
    }
    std::string path = paths.empty() ? "" : paths[0];
    f.location.file_path = path;

    Vulnerability vuln;
    vuln.id = id;
    VulnerablePackage vp;
    vp.name = name;
    vp.version = version;
    vp.package_manager = "npm";
    vp.file_path = path;
    std::string patched = Trim(a.patched);
    if (patched != "<0.0.0") vp.fixed_in_version = patched;  // npm's "no patch" marker
    vp.remediation = f.remediation_text;
    vuln.vulnerable_packages.push_back(std::move(vp));
    if (!Trim(a.url).empty()) vuln.reference_urls.push_back(Trim(a.url));
    for (const auto& x : ids) {
      if (!EqualsIgnoreCase(Trim(x), id) && !Trim(x).empty()) vuln.related_vulnerabilities.push_back(Trim(x));
    }
    if (!Trim(a.id).empty()) vuln.related_vulnerabilities.push_back("npm-" + Trim(a.id));
    vuln.fix_available = patched.empty() || patched == "<0.0.0" ? "NO" : "YES";
    vuln.vendor_name = "npm";
    vuln.vendor_url = a.url;
    vuln.vendor_severity = a.severity;
    f.vulnerabilities.push_back(std::move(vuln));

    AddPf(f, "AdvisoryId", a.id);
    AddPf(f, "VulnerableVersions", a.vulnerable);
    AddPf(f, "PatchedVersions", a.patched);
    std::string all;
    for (size_t i = 0; i < paths.size() && i < 20; ++i) all += (all.empty() ? "" : ", ") + paths[i];
    AddPf(f, "Paths", all);
    AddPf(f, "References", a.references);

    Resource r;
    r.id = !path.empty() ? path : name;
    r.details_other["Package"] = name;
    r.details_other["Version"] = version;
    f.resources.push_back(std::move(r));
    FINDEX_RETURN_IF_ERROR(sink.Accept(std::move(f)));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  od::object root;
  if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("expected an npm audit JSON object", ec);
  bool known = false;
  std::string error;
  std::unordered_set<std::string> seen;
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, root, [&](std::string_view key, od::value fv) -> Status {
    if (key == "auditReportVersion") {
      known = true;
    } else if (key == "error") {
      std::string code, summary, detail;
      bool o = false;
      FINDEX_RETURN_IF_ERROR(sca::ForEachMember(rep, fv, &o, [&](std::string_view k, od::value x) -> Status {
        if (k == "code") ReadString(x, &code);
        else if (k == "summary") ReadString(x, &summary);
        else if (k == "detail") ReadString(x, &detail);
        return Status::Ok();
      }));
      if (!o) ReadString(fv, &summary);
      std::string text = Trim(code);
      std::string what = !Trim(summary).empty() ? Trim(summary) : Trim(detail);
      if (!what.empty()) text += (text.empty() ? "" : ": ") + TruncateUtf8(CollapseWhitespace(what), 300);
      error = text.empty() ? "(no detail)" : text;
    } else if (key == "vulnerabilities") {
      od::json_type t;
      if (auto ec = fv.type().get(t)) return rep.Malformed("bad vulnerabilities", ec);
      if (t != od::json_type::object) return Status::Ok();  // npm 6 metadata never has it at the root
      known = true;
      bool o = false;
      return sca::ForEachMember(rep, fv, &o, [&](std::string_view pkg, od::value ev) -> Status {
        VulnEntry e;
        e.key = std::string(pkg);
        e.where = "vulnerabilities." + e.key;
        e.offset = rep.OffsetOf(ev);
        bool eo = false;
        FINDEX_RETURN_IF_ERROR(ReadVulnEntry(rep, ev, &e, &eo));
        if (!eo) {
          sink.AddReject(rep.RejectAt(e.offset, e.where, "vulnerability entry is not an object"));
          return Status::Ok();
        }
        return EmitV7(rep, e, seen, sink);
      });
    } else if (key == "advisories") {
      known = true;
      bool o = false;
      FINDEX_RETURN_IF_ERROR(sca::ForEachMember(rep, fv, &o, [&](std::string_view id, od::value av) -> Status {
        V6Advisory a;
        a.where = "advisories." + std::string(id);
        a.offset = rep.OffsetOf(av);
        bool ao = false;
        FINDEX_RETURN_IF_ERROR(ReadV6Advisory(rep, av, &a, &ao));
        if (!ao) {
          sink.AddReject(rep.RejectAt(a.offset, a.where, "advisory is not an object"));
          return Status::Ok();
        }
        if (Trim(a.id).empty()) a.id = std::string(id);
        return EmitV6(rep, a, seen, sink);
      }));
      if (!o && !IsNull(fv)) return MakeError(ErrorCode::kSchema, "\"advisories\" is not an object", src.path());
    } else if (key == "actions" || key == "muted" || key == "runId") {
      known = true;
    }
    return Status::Ok();
  }));
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  if (!error.empty()) return MakeError(ErrorCode::kSchema, "npm audit failed: " + error, src.path());
  if (!known) {
    return MakeError(ErrorCode::kSchema, "not an npm audit report: no \"auditReportVersion\" or \"advisories\"",
                     src.path());
  }
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& NpmAuditFormat() {
  static const FormatDescriptor kDesc{"npm-audit", "npm-audit", "npm audit --json (npm 6 advisories, npm 7+ report v2)",
                                      kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
