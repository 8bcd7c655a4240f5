// pip-audit `-f json` (https://github.com/pypa/pip-audit, pip_audit/_format/json.py), both shapes:
//   before 2.0: a bare array of dependencies
//     [{"name", "version", "vulns": [{"id", "fix_versions", "aliases"?, "description"?}]},
//      {"name", "skip_reason"}]
//   2.0+:       {"dependencies": [<the same>], "fixes": [{"name", "old_version", "new_version"}
//                | {"name", "version", "skip_reason"}]}   ("fixes" is [] without --fix)
// "aliases" (CVE / GHSA ids of a PYSEC or GHSA record) and "description" are written by later
// versions (--desc adds the description); the oldest reports give "id" and "fix_versions" only.
// Names are pip-audit's canonical names (PEP 503).
//
// One finding per (dependency, vulnerability). A dependency with "skip_reason" (not on PyPI, an
// unpinned or editable requirement: pip-audit could not audit it) is an INFORMATIONAL scan-gap
// finding (ScanGapFinding, generator "pip-audit/skipped-dependency") so that a dependency never
// audited stays visible rather than looking clean. A dependency without vulns is no finding.
//
// Severity: pip-audit rates nothing, so every vulnerability is MEDIUM (Original ""): the KEV and
// EPSS feeds (findex enrich) and policy rules refine it.
// Remediation: the vulnerability's fix_versions ("Upgrade x to one of 1.2.3, 1.3.1"); with --fix,
// "fixes" names the version pip-audit upgraded to (ProductFields pip-audit/FixedTo).
//
// Identity: VulnFingerprint(id, {pypi, name, version}) where id is PreferredVulnId (sca_common.h)
// over "id" and "aliases": the CVE when the report gives aliases, so a pip-audit finding and a
// Trivy finding of the same CVE and package version are ONE finding (names compared by PEP 503
// in VulnFingerprint); a report without aliases names only the PYSEC / GHSA id, which meets
// Trivy only where Trivy names that id. The dependency's identity for a scan gap is
// CodeFingerprint("pip-audit", "skipped-dependency", PEP 503 name, version); the reason is
// content. The same (dependency, vulnerability) twice is one finding.
// Suppression: pip-audit drops --ignore-vuln ids from its output: nothing to read.
#include <cctype>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ingest/formats/sca_common.h"
#include "ingest/json_util.h"
#include "ingest/scan_gap.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty()) return SniffConfidence::kNo;
  bool deps = HeadHas(h, "\"name\"") && (HeadHas(h, "\"vulns\"") || HeadHas(h, "\"skip_reason\""));
  if (h[0] == '{') {
    if (HeadHas(h, "\"dependencies\"") && deps) return SniffConfidence::kCertain;
    if (HeadHas(h, "\"dependencies\"") && HeadHas(h, "\"fixes\"")) return SniffConfidence::kLikely;
    return SniffConfidence::kNo;
  }
  if (h[0] == '[' && deps && HeadHas(h, "\"version\"")) {
    return HeadHas(h, "\"fix_versions\"") || HeadHas(h, "\"skip_reason\"") ? SniffConfidence::kCertain
                                                                          : SniffConfidence::kLikely;
  }
  return SniffConfidence::kNo;
}

struct RawVuln {
  std::string id, description;
  std::vector<std::string> fix_versions, aliases;
};

struct RawDep {
  uint64_t offset = 0;
  std::string where, name, version, skip_reason;
  std::vector<RawVuln> vulns;
  bool vulns_ok = true;
  bool recognized = false;  // has "vulns" or "skip_reason": pip-audit's dependency shape
};

std::string Canonical(std::string_view name) {
  // PEP 503, for the scan-gap identity (VulnFingerprint does the same for vulnerabilities).
  std::string out;
  for (char c : Trim(name)) {
    if (c == '-' || c == '_' || c == '.') {
      if (out.empty() || out.back() != '-') out.push_back('-');
    } else {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  return out;
}

Status ReadDep(JsonReport& rep, od::value v, RawDep* d, bool* is_object) {
  return sca::ForEachMember(rep, v, is_object, [&](std::string_view k, od::value x) -> Status {
    if (k == "name") ReadString(x, &d->name);
    else if (k == "version") ReadString(x, &d->version);
    else if (k == "skip_reason") d->recognized = ReadString(x, &d->skip_reason);
    else if (k == "vulns") {
      d->recognized = true;
      return sca::ForEachElement(rep, x, &d->vulns_ok, [&](size_t, od::value vv) -> Status {
        RawVuln rv;
        bool o = false;
        FINDEX_RETURN_IF_ERROR(sca::ForEachMember(rep, vv, &o, [&](std::string_view vk, od::value y) -> Status {
          if (vk == "id") ReadString(y, &rv.id);
          else if (vk == "description") ReadString(y, &rv.description);
          else if (vk == "fix_versions") ReadStrings(y, &rv.fix_versions);
          else if (vk == "aliases") ReadStrings(y, &rv.aliases);
          return Status::Ok();
        }));
        if (!o) d->vulns_ok = false;
        else d->vulns.push_back(std::move(rv));
        return Status::Ok();
      });
    }
    return Status::Ok();
  });
}

struct Fixes {
  std::unordered_map<std::string, std::string> to;  // canonical name -> new_version
};

Status EmitDep(JsonReport& rep, const RawDep& d, const Fixes& fixes, std::unordered_set<std::string>& seen,
               FindingSink& sink) {
  std::string name = Trim(d.name);
  if (name.empty()) {
    sink.AddReject(rep.RejectAt(d.offset, d.where, "dependency has no name"));
    return Status::Ok();
  }
  if (!d.vulns_ok) sink.AddReject(rep.RejectAt(d.offset, d.where + ".vulns", "\"vulns\" has an unexpected type"));
  std::string version = Trim(d.version);
  if (!Trim(d.skip_reason).empty()) {
    std::string canonical = Canonical(name);
    Finding f = ScanGapFinding("pip-audit", "skipped-dependency", "pip-audit", "PyPA", canonical, version);
    if (!seen.insert(f.fingerprint.Hex()).second) return Status::Ok();
    std::string reason = CollapseWhitespace(d.skip_reason);
    f.title = "pip-audit could not audit " + name + (version.empty() ? "" : " " + version) + ": " + TruncateUtf8(reason, 200);
    f.description = "pip-audit skipped the dependency " + name + (version.empty() ? "" : " " + version) +
                    " and did not check it for known vulnerabilities: " + reason;
    f.remediation_text = "Make the dependency auditable (pin it to a version published on PyPI) or audit it by other means.";
    f.location.file_path.clear();  // a dependency, not a file
    f.resources[0].id = "pypi/" + canonical;
    f.resources[0].details_other["Package"] = name;
    if (!version.empty()) f.resources[0].details_other["Version"] = version;
    f.product_fields["pip-audit/SkipReason"] = reason;
    return sink.Accept(std::move(f));
  }
  PackageId pkg = sca::MakePackage("pypi", name, version);
  auto fix_it = fixes.to.find(Canonical(name));
  for (const RawVuln& v : d.vulns) {
    std::vector<std::string> ids = v.aliases;
    ids.insert(ids.begin(), v.id);
    std::string id = sca::PreferredVulnId(ids);
    if (id.empty()) {
      sink.AddReject(rep.RejectAt(d.offset, d.where + ".vulns", "vulnerability has no id"));
      continue;
    }
    Fingerprint fp = VulnFingerprint(id, pkg);
    if (!seen.insert(fp.Hex()).second) continue;
    Finding f;
    f.scanner = "pip-audit";
    f.format = "pip-audit";
    f.product_name = "pip-audit";
    f.company_name = "PyPA";
    f.fingerprint = fp;
    f.generator_id = "pip-audit/vulnerability";
    f.title = id + " in " + name + (version.empty() ? "" : " " + version);
    std::string desc = Trim(v.description);
    f.description = !desc.empty() ? desc : id + " affects " + name + " " + version + ".";
    sca::SetLabel(f, SeverityLabel::kMedium, "");
    sca::UniqueList fixed;
    for (const auto& x : v.fix_versions) fixed.Add(x);
    if (!fixed.empty()) {
      f.remediation_text = "Upgrade " + name + " to " + (fixed.items().size() > 1 ? "one of " : "") + fixed.Join(", ") + ".";
    }
    std::string pysec = Trim(v.id);
    f.source_url = "https://osv.dev/vulnerability/" + pysec;

    Vulnerability vuln;
    vuln.id = id;
    VulnerablePackage vp;
    vp.name = name;
    vp.version = version;
    vp.package_manager = "pypi";
    vp.fixed_in_version = fixed.Join(", ");
    vp.remediation = f.remediation_text;
    vp.purl = "pkg:pypi/" + Canonical(name) + (version.empty() ? "" : "@" + version);
    vuln.vulnerable_packages.push_back(std::move(vp));
    sca::UniqueList related;
    for (const auto& x : ids) {
      if (!EqualsIgnoreCase(Trim(x), id)) related.Add(x);
    }
    vuln.related_vulnerabilities = related.items();
    vuln.reference_urls.push_back(f.source_url);
    vuln.fix_available = fixed.empty() ? "NO" : "YES";
    vuln.vendor_name = "PyPI Advisory Database";
    vuln.vendor_url = f.source_url;
    f.vulnerabilities.push_back(std::move(vuln));
    f.product_fields["pip-audit/Id"] = pysec;
    if (fix_it != fixes.to.end()) f.product_fields["pip-audit/FixedTo"] = fix_it->second;

    Resource r;
    r.id = "pypi/" + Canonical(name) + (version.empty() ? "" : "@" + version);
    r.details_other["Package"] = name;
    r.details_other["Version"] = version;
    f.resources.push_back(std::move(r));
    FINDEX_RETURN_IF_ERROR(sink.Accept(std::move(f)));
  }
  return Status::Ok();
}

// Reads an array of dependencies into `deps` (the fixes may follow them).
Status ReadDeps(JsonReport& rep, od::value v, const std::string& where, std::vector<RawDep>* deps, bool* is_array,
                FindingSink& sink) {
  return sca::ForEachElement(rep, v, is_array, [&](size_t i, od::value dv) -> Status {
    RawDep d;
    d.where = where + "[" + std::to_string(i) + "]";
    d.offset = rep.OffsetOf(dv);
    bool o = false;
    FINDEX_RETURN_IF_ERROR(ReadDep(rep, dv, &d, &o));
    if (!o) {
      sink.AddReject(rep.RejectAt(d.offset, d.where, "dependency is not an object"));
      return Status::Ok();
    }
    deps->push_back(std::move(d));
    return Status::Ok();
  });
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  od::json_type root_type;
  if (auto ec = rep.doc().type().get(root_type)) return rep.Malformed("cannot parse JSON", ec);
  std::vector<RawDep> deps;
  Fixes fixes;
  if (root_type == od::json_type::array) {
    od::value root;
    if (auto ec = rep.doc().get_value().get(root)) return rep.Malformed("expected an array", ec);
    bool is_array = true;
    FINDEX_RETURN_IF_ERROR(ReadDeps(rep, root, "", &deps, &is_array, sink));
    bool any = false;
    for (const auto& d : deps) any = any || d.recognized;
    if (!deps.empty() && !any) {
      return MakeError(ErrorCode::kSchema, "not a pip-audit report: no element has \"vulns\" or \"skip_reason\"",
                       src.path());
    }
  } else {
    od::object root;
    if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("expected a pip-audit JSON report", ec);
    bool known = false;
    FINDEX_RETURN_IF_ERROR(ForEachField(rep, root, [&](std::string_view key, od::value fv) -> Status {
      bool ok = true;
      if (key == "dependencies") {
        known = true;
        FINDEX_RETURN_IF_ERROR(ReadDeps(rep, fv, "dependencies", &deps, &ok, sink));
        if (!ok) return MakeError(ErrorCode::kSchema, "\"dependencies\" is not an array", src.path());
      } else if (key == "fixes") {
        return sca::ForEachElement(rep, fv, &ok, [&](size_t, od::value xv) -> Status {
          std::string name, to;
          bool o = false;
          FINDEX_RETURN_IF_ERROR(sca::ForEachMember(rep, xv, &o, [&](std::string_view k, od::value y) -> Status {
            if (k == "name") ReadString(y, &name);
            else if (k == "new_version") ReadString(y, &to);
            return Status::Ok();
          }));
          if (!Trim(name).empty() && !Trim(to).empty()) fixes.to[Canonical(name)] = Trim(to);
          return Status::Ok();
        });
      }
      return Status::Ok();
    }));
    if (!known) return MakeError(ErrorCode::kSchema, "not a pip-audit report: no \"dependencies\"", src.path());
  }
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  std::unordered_set<std::string> seen;
  for (const auto& d : deps) FINDEX_RETURN_IF_ERROR(EmitDep(rep, d, fixes, seen, sink));
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& PipAuditFormat() {
  static const FormatDescriptor kDesc{"pip-audit", "pip-audit", "pip-audit -f json (bare array and {dependencies, fixes})",
                                      kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
