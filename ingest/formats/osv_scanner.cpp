// OSV-Scanner `--format json` (https://google.github.io/osv-scanner/output/#json; the structs
// are pkg/models/results.go: VulnerabilityResults, PackageSource, PackageVulns, GroupInfo):
//   {"results": [{"source": {"path", "type"},
//                 "packages": [{"package": {"name", "version", "ecosystem", "commit"?},
//                               "vulnerabilities": [<OSV record>],
//                               "groups": [{"ids", "aliases"?, "max_severity"?,
//                                           "experimental_analysis"?: {id: {"called"}}}]}]}],
//    "experimental_config": {...}}
// An OSV record (https://ossf.github.io/osv-schema/): "id", "aliases", "summary", "details",
// "severity": [{"type": "CVSS_V3" | "CVSS_V4" | ..., "score": vector}], "affected":
// [{"package", "ranges": [{"events": [{"introduced"} | {"fixed"}]}], "database_specific":
// {"cwes": [{"cweId"}]}}], "references": [{"type", "url"}], "database_specific":
// {"severity": "CRITICAL" | "HIGH" | "MODERATE" | "LOW", "cwe_ids"}. Older OSV-Scanner versions
// wrote no "groups" (and groups without "max_severity"). Members may come in any order (jq -S), so each
// result is read whole before its findings are built.
//
// One finding per alias group (groups[].ids: OSV-Scanner's own grouping of the records of one
// problem, e.g. GHSA-c3h9-896r-86jm + GO-2021-0053) of each package of each source. A package
// without groups: one finding per vulnerability; a vulnerability that no group names is its own
// group, so nothing is dropped.
//
// Severity: the group's max_severity (a CVSS base score as text) by the FIRST bands (>= 9
// CRITICAL, >= 7 HIGH, >= 4 MEDIUM, > 0 LOW, 0 INFORMATIONAL); else the highest
// database_specific.severity word of its records (CRITICAL, HIGH, MODERATE -> MEDIUM, LOW); else
// MEDIUM (OSV-Scanner rated nothing: a known vulnerability is not informational). Original keeps
// the score or word used ("" for the MEDIUM default).
// Remediation: the "fixed" range events of the records' affected entries ("Upgrade x to 1.2.3").
// Reachability: experimental_analysis "called": false on every id of the group is kept in
// ProductFields osv-scanner/Called = "false" (not a suppression: the call analysis is partial).
//
// Identity: VulnFingerprint(id, package) where id is PreferredVulnId (sca_common.h: a CVE,
// else a GHSA, else the record id) over the group's ids, its aliases and every alias of its
// records, so it meets a Trivy or Grype finding of the same CVE (or, without one, GHSA) and
// package. The package is OsvEcosystem(ecosystem) + name + version (Go versions written as Trivy
// does, "v1.3.1"; PyPI names by PEP 503; npm names lower-cased). The source path is not part of
// it: the same package in two lockfiles of one report is one finding (stored once; its first
// path is its location). Target: each source.path is one (a finding's is its first).
// Suppression: OSV-Scanner drops ignored vulnerabilities (osv-scanner.toml IgnoredVulns) from its
// output, so there is nothing to read.
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
  if (h.empty() || h[0] != '{' || !HeadHas(h, "\"results\"")) return SniffConfidence::kNo;
  bool packages = HeadHas(h, "\"packages\"") && HeadHas(h, "\"source\"");
  if (packages && HeadHas(h, "\"package\"") && (HeadHas(h, "\"vulnerabilities\"") || HeadHas(h, "\"groups\""))) {
    return SniffConfidence::kCertain;
  }
  if (packages || HeadHas(h, "\"experimental_config\"")) return SniffConfidence::kLikely;
  return SniffConfidence::kNo;
}

struct RawVuln {
  std::string id, summary, details, db_severity;
  std::vector<std::string> aliases, cwes, refs, fixed;
  std::vector<Cvss> cvss;
};

struct RawGroup {
  std::vector<std::string> ids, aliases;
  std::string max_severity;
  std::unordered_set<std::string> uncalled;  // ids with experimental_analysis called: false
};

struct RawPackage {
  uint64_t offset = 0;
  std::string where, name, version, ecosystem, commit;
  std::vector<RawVuln> vulns;
  std::vector<RawGroup> groups;
  bool has_groups = false;
};

struct RawSource {
  std::string path, type;
  std::vector<RawPackage> packages;
};

Status ReadVuln(JsonReport& rep, od::value v, RawVuln* out) {
  bool obj = false;
  return sca::ForEachMember(rep, v, &obj, [&](std::string_view key, od::value fv) -> Status {
    bool ok = true;
    if (key == "id") ReadString(fv, &out->id);
    else if (key == "aliases") ReadStrings(fv, &out->aliases);
    else if (key == "summary") ReadString(fv, &out->summary);
    else if (key == "details") ReadString(fv, &out->details);
    else if (key == "severity") {
      return sca::ForEachElement(rep, fv, &ok, [&](size_t, od::value ev) -> Status {
        std::string type, score;
        bool o = false;
        FINDEX_RETURN_IF_ERROR(sca::ForEachMember(rep, ev, &o, [&](std::string_view k, od::value x) -> Status {
          if (k == "type") ReadString(x, &type);
          else if (k == "score") ReadString(x, &score);
          return Status::Ok();
        }));
        if (!StartsWith(type, "CVSS_") || Trim(score).empty()) return Status::Ok();
        Cvss c;
        c.base_vector = Trim(score);
        c.version = sca::CvssVectorVersion(c.base_vector, type == "CVSS_V2" ? "2.0" : type == "CVSS_V4" ? "4.0" : "3");
        c.source = "OSV";
        out->cvss.push_back(std::move(c));
        return Status::Ok();
      });
    } else if (key == "affected") {
      return sca::ForEachElement(rep, fv, &ok, [&](size_t, od::value ev) -> Status {
        bool o = false;
        return sca::ForEachMember(rep, ev, &o, [&](std::string_view k, od::value x) -> Status {
          bool a = true;
          if (k == "ranges") {
            return sca::ForEachElement(rep, x, &a, [&](size_t, od::value rv) -> Status {
              bool ro = false;
              return sca::ForEachMember(rep, rv, &ro, [&](std::string_view rk, od::value ex) -> Status {
                if (rk != "events") return Status::Ok();
                bool ea = true;
                return sca::ForEachElement(rep, ex, &ea, [&](size_t, od::value e) -> Status {
                  bool eo = false;
                  return sca::ForEachMember(rep, e, &eo, [&](std::string_view ek, od::value ev2) -> Status {
                    std::string fixed;
                    if (ek == "fixed" && ReadString(ev2, &fixed) && !Trim(fixed).empty()) out->fixed.push_back(Trim(fixed));
                    return Status::Ok();
                  });
                });
              });
            });
          }
          if (k == "database_specific") {
            bool d = false;
            return sca::ForEachMember(rep, x, &d, [&](std::string_view dk, od::value dv) -> Status {
              if (dk != "cwes") return Status::Ok();
              bool ca = true;
              return sca::ForEachElement(rep, dv, &ca, [&](size_t, od::value cv) -> Status {
                bool co = false;
                return sca::ForEachMember(rep, cv, &co, [&](std::string_view ck, od::value cx) -> Status {
                  std::string cwe;
                  if (ck == "cweId" && ReadString(cx, &cwe)) out->cwes.push_back(Trim(cwe));
                  return Status::Ok();
                });
              });
            });
          }
          return Status::Ok();
        });
      });
    } else if (key == "references") {
      return sca::ForEachElement(rep, fv, &ok, [&](size_t, od::value ev) -> Status {
        bool o = false;
        return sca::ForEachMember(rep, ev, &o, [&](std::string_view k, od::value x) -> Status {
          std::string url;
          if (k == "url" && ReadString(x, &url) && !Trim(url).empty()) out->refs.push_back(Trim(url));
          return Status::Ok();
        });
      });
    } else if (key == "database_specific") {
      bool o = false;
      return sca::ForEachMember(rep, fv, &o, [&](std::string_view k, od::value x) -> Status {
        if (k == "severity") ReadString(x, &out->db_severity);
        else if (k == "cwe_ids") ReadStrings(x, &out->cwes);
        return Status::Ok();
      });
    }
    return Status::Ok();
  });
}

Status ReadGroup(JsonReport& rep, od::value v, RawGroup* g) {
  bool obj = false;
  return sca::ForEachMember(rep, v, &obj, [&](std::string_view key, od::value fv) -> Status {
    if (key == "ids") ReadStrings(fv, &g->ids);
    else if (key == "aliases") ReadStrings(fv, &g->aliases);
    else if (key == "max_severity") ReadString(fv, &g->max_severity);
    else if (key == "experimental_analysis") {
      bool o = false;
      return sca::ForEachMember(rep, fv, &o, [&](std::string_view id, od::value av) -> Status {
        std::string vuln_id(id);
        bool ao = false;
        return sca::ForEachMember(rep, av, &ao, [&](std::string_view k, od::value x) -> Status {
          std::string called;
          if (k == "called" && ReadString(x, &called) && called == "false") g->uncalled.insert(vuln_id);
          return Status::Ok();
        });
      });
    }
    return Status::Ok();
  });
}

Status ReadPackage(JsonReport& rep, od::value v, RawPackage* p, bool* is_object) {
  bool ok = true;
  return sca::ForEachMember(rep, v, is_object, [&](std::string_view key, od::value fv) -> Status {
    if (key == "package") {
      bool o = false;
      return sca::ForEachMember(rep, fv, &o, [&](std::string_view k, od::value x) -> Status {
        if (k == "name") ReadString(x, &p->name);
        else if (k == "version") ReadString(x, &p->version);
        else if (k == "ecosystem") ReadString(x, &p->ecosystem);
        else if (k == "commit") ReadString(x, &p->commit);
        return Status::Ok();
      });
    }
    if (key == "vulnerabilities") {
      return sca::ForEachElement(rep, fv, &ok, [&](size_t, od::value ev) -> Status {
        RawVuln rv;
        FINDEX_RETURN_IF_ERROR(ReadVuln(rep, ev, &rv));
        p->vulns.push_back(std::move(rv));
        return Status::Ok();
      });
    }
    if (key == "groups") {
      return sca::ForEachElement(rep, fv, &ok, [&](size_t, od::value ev) -> Status {
        RawGroup g;
        FINDEX_RETURN_IF_ERROR(ReadGroup(rep, ev, &g));
        if (!g.ids.empty()) {
          p->has_groups = true;
          p->groups.push_back(std::move(g));
        }
        return Status::Ok();
      });
    }
    return Status::Ok();
  });
}

SeverityLabel WordLabel(std::string_view word, int* rank) {
  std::string w = ToUpper(Trim(word));
  if (w == "CRITICAL") return *rank = 4, SeverityLabel::kCritical;
  if (w == "HIGH") return *rank = 3, SeverityLabel::kHigh;
  if (w == "MODERATE" || w == "MEDIUM") return *rank = 2, SeverityLabel::kMedium;
  if (w == "LOW") return *rank = 1, SeverityLabel::kLow;
  *rank = 0;
  return SeverityLabel::kMedium;
}

Status EmitGroup(const RawSource& s, const RawPackage& p, const RawGroup& g,
                 const std::vector<const RawVuln*>& members, std::unordered_set<std::string>& seen,
                 FindingSink& sink) {
  std::vector<std::string> all_ids = g.ids;
  for (const auto& a : g.aliases) all_ids.push_back(a);
  for (const RawVuln* v : members) {
    for (const auto& a : v->aliases) all_ids.push_back(a);
  }
  std::string vuln_id = sca::PreferredVulnId(all_ids);
  PackageId pkg = sca::MakePackage(sca::OsvEcosystem(p.ecosystem), p.name, p.version);
  Fingerprint fp = VulnFingerprint(vuln_id, pkg);
  if (!seen.insert(fp.Hex()).second) return Status::Ok();  // the same problem again: stored once

  Finding f;
  f.scanner = "osv-scanner";
  f.format = "osv-scanner";
  f.product_name = "OSV-Scanner";
  f.company_name = "Google";
  f.target = s.path;
  f.fingerprint = fp;
  f.generator_id = "osv-scanner/vulnerability";

  const RawVuln* lead = nullptr;  // the record that describes the problem best: one with a summary
  for (const RawVuln* v : members) {
    if (!lead || (Trim(lead->summary).empty() && !Trim(v->summary).empty())) lead = v;
  }
  std::string name = p.name.empty() ? p.commit : p.name;
  f.title = vuln_id + " in " + name + (p.version.empty() ? "" : " " + p.version);
  if (lead && !Trim(lead->summary).empty()) f.title += ": " + CollapseWhitespace(lead->summary);
  f.description = lead && !Trim(lead->details).empty() ? Trim(lead->details)
                  : lead && !Trim(lead->summary).empty() ? Trim(lead->summary)
                                                          : vuln_id + " affects " + name + " " + p.version;

  double score = -1;
  if (sca::ParseCvssScore(g.max_severity, &score)) {
    sca::SetCvssSeverity(f, score, Trim(g.max_severity));
  } else {
    int best = 0;
    std::string word;
    SeverityLabel label = SeverityLabel::kMedium;
    for (const RawVuln* v : members) {
      int rank = 0;
      SeverityLabel l = WordLabel(v->db_severity, &rank);
      if (rank > best) best = rank, label = l, word = Trim(v->db_severity);
    }
    sca::SetLabel(f, label, word);
  }

  sca::UniqueList fixed, refs, cwes, related;
  for (const RawVuln* v : members) {
    for (const auto& x : v->fixed) fixed.Add(x);
    for (const auto& x : v->refs) refs.Add(x);
    for (const auto& x : v->cwes) {
      if (sca::IsCwe(Trim(x))) cwes.Add(x);
    }
  }
  for (const auto& id : all_ids) {
    if (!EqualsIgnoreCase(Trim(id), vuln_id)) related.Add(id);
  }
  if (!fixed.empty()) f.remediation_text = "Upgrade " + name + " to " + fixed.Join(", ") + ".";
  f.cwes = cwes.items();
  f.location.file_path = s.path;
  f.source_url = refs.empty() ? "https://osv.dev/vulnerability/" + g.ids[0] : refs.items()[0];

  Vulnerability vuln;
  vuln.id = vuln_id;
  VulnerablePackage vp;
  vp.name = name;
  vp.version = p.version;
  vp.package_manager = p.ecosystem;
  vp.file_path = s.path;
  vp.fixed_in_version = fixed.Join(", ");
  vuln.vulnerable_packages.push_back(std::move(vp));
  for (const RawVuln* v : members) {
    for (const auto& c : v->cvss) {
      bool dup = false;
      for (const auto& x : vuln.cvss) dup = dup || x.base_vector == c.base_vector;
      if (!dup && vuln.cvss.size() < 8) vuln.cvss.push_back(c);
    }
  }
  vuln.reference_urls = refs.items();
  vuln.related_vulnerabilities = related.items();
  vuln.fix_available = fixed.empty() ? "NO" : "YES";
  vuln.vendor_name = "OSV";
  vuln.vendor_url = "https://osv.dev/vulnerability/" + g.ids[0];
  f.vulnerabilities.push_back(std::move(vuln));

  auto pf = [&f](const char* k, const std::string& val) {
    if (!Trim(val).empty()) f.product_fields[std::string("osv-scanner/") + k] = val;
  };
  std::string ids;
  for (const auto& id : g.ids) ids += (ids.empty() ? "" : ",") + id;
  pf("Ids", ids);
  pf("Ecosystem", p.ecosystem);
  pf("MaxSeverity", g.max_severity);
  pf("SourceType", s.type);
  pf("Commit", p.commit);
  bool uncalled = !g.uncalled.empty();
  for (const auto& id : g.ids) uncalled = uncalled && g.uncalled.count(id) > 0;
  if (uncalled) pf("Called", "false");

  Resource r;
  r.id = !s.path.empty() ? s.path : name;
  r.details_other["SourceType"] = s.type;
  r.details_other["Package"] = name;
  f.resources.push_back(std::move(r));
  return sink.Accept(std::move(f));
}

Status EmitPackage(JsonReport& rep, const RawSource& s, const RawPackage& p, std::unordered_set<std::string>& seen,
                   FindingSink& sink) {
  if (Trim(p.name).empty() && Trim(p.commit).empty()) {
    sink.AddReject(rep.RejectAt(p.offset, p.where, "package has no name"));
    return Status::Ok();
  }
  std::vector<bool> grouped(p.vulns.size(), false);
  for (const auto& g : p.groups) {
    std::unordered_set<std::string> ids(g.ids.begin(), g.ids.end());
    std::vector<const RawVuln*> members;
    for (size_t i = 0; i < p.vulns.size(); ++i) {
      if (ids.count(p.vulns[i].id)) {
        members.push_back(&p.vulns[i]);
        grouped[i] = true;
      }
    }
    FINDEX_RETURN_IF_ERROR(EmitGroup(s, p, g, members, seen, sink));
  }
  for (size_t i = 0; i < p.vulns.size(); ++i) {
    if (grouped[i]) continue;
    const RawVuln& v = p.vulns[i];
    if (Trim(v.id).empty()) {
      sink.AddReject(rep.RejectAt(p.offset, p.where, "vulnerability has no id"));
      continue;
    }
    RawGroup g;
    g.ids = {v.id};
    FINDEX_RETURN_IF_ERROR(EmitGroup(s, p, g, {&v}, seen, sink));
  }
  return Status::Ok();
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  od::object root;
  if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("expected an OSV-Scanner JSON object", ec);
  bool known = false;
  std::unordered_set<std::string> seen;
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, root, [&](std::string_view key, od::value fv) -> Status {
    if (key != "results") return Status::Ok();
    known = true;
    bool is_array = true;
    FINDEX_RETURN_IF_ERROR(sca::ForEachElement(rep, fv, &is_array, [&](size_t i, od::value rv) -> Status {
      std::string where = "results[" + std::to_string(i) + "]";
      uint64_t offset = rep.OffsetOf(rv);
      RawSource s;
      bool obj = false;
      FINDEX_RETURN_IF_ERROR(sca::ForEachMember(rep, rv, &obj, [&](std::string_view k, od::value x) -> Status {
        if (k == "source") {
          bool o = false;
          return sca::ForEachMember(rep, x, &o, [&](std::string_view sk, od::value sv) -> Status {
            if (sk == "path") ReadString(sv, &s.path);
            else if (sk == "type") ReadString(sv, &s.type);
            return Status::Ok();
          });
        }
        if (k != "packages") return Status::Ok();
        bool pa = true;
        FINDEX_RETURN_IF_ERROR(sca::ForEachElement(rep, x, &pa, [&](size_t j, od::value pv) -> Status {
          RawPackage p;
          p.where = where + ".packages[" + std::to_string(j) + "]";
          p.offset = rep.OffsetOf(pv);
          bool po = false;
          FINDEX_RETURN_IF_ERROR(ReadPackage(rep, pv, &p, &po));
          if (!po) {
            sink.AddReject(rep.RejectAt(p.offset, p.where, "package is not an object"));
            return Status::Ok();
          }
          s.packages.push_back(std::move(p));
          return Status::Ok();
        }));
        if (!pa) sink.AddReject(rep.RejectAt(offset, where + ".packages", "\"packages\" is not an array"));
        return Status::Ok();
      }));
      if (!obj) {
        sink.AddReject(rep.RejectAt(offset, where, "result is not an object"));
        return Status::Ok();
      }
      if (!Trim(s.path).empty()) sink.AddTarget(s.path);
      for (const auto& p : s.packages) FINDEX_RETURN_IF_ERROR(EmitPackage(rep, s, p, seen, sink));
      return Status::Ok();
    }));
    if (!is_array) return MakeError(ErrorCode::kSchema, "\"results\" is not an array", src.path());
    return Status::Ok();
  }));
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  if (!known) return MakeError(ErrorCode::kSchema, "not an OSV-Scanner report: no \"results\"", src.path());
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& OsvScannerFormat() {
  static const FormatDescriptor kDesc{"osv-scanner", "osv-scanner", "OSV-Scanner --format json (SCA)", kExt, Sniff,
                                      Ingest};
  return kDesc;
}

}  // namespace findex
