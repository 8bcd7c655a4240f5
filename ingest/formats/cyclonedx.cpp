// CycloneDX BOMs with vulnerabilities (VEX / VDR), JSON and XML, spec 1.2 to 1.6
// (https://cyclonedx.org/docs/1.6/json/, https://cyclonedx.org/docs/1.6/xml/, and the 1.2/1.3
// vulnerability extension https://cyclonedx.org/ext/vulnerability/ that Grype 0.7 wrote).
// One format name, "cyclonedx", reads both encodings (sniffed on `"bomFormat": "CycloneDX"` and on
// `<bom xmlns="http://cyclonedx.org/schema/bom/1.x">`). Shapes read:
//   JSON 1.4-1.6: {"bomFormat": "CycloneDX", "specVersion", "serialNumber",
//     "metadata": {"tools": [{"vendor","name","version"}] | {"components": [...]}, "component": {...}},
//     "components": [{"bom-ref", "type", "group", "name", "version", "purl", "components": [...]}],
//     "services": [{"bom-ref", "name", "version", "services": [...]}],
//     "vulnerabilities": [{"bom-ref", "id", "source": {"name","url"}, "references": [{"id","source"}],
//        "ratings": [{"source", "score", "severity", "method", "vector"}], "cwes": [int],
//        "description", "detail", "recommendation", "advisories": [{"title","url"}], "published",
//        "updated", "analysis": {"state","justification","response":[...],"detail","lastUpdated"},
//        "affects": [{"ref", "versions": [...]}], "properties": [{"name","value"}]}]}
//   XML 1.4-1.6: the same under <bom xmlns=".../bom/1.x">, <vulnerabilities><vulnerability>,
//     lists wrapped (<ratings><rating>, <cwes><cwe>, <affects><target><ref>,
//     <analysis><responses><response>), bom-ref as an attribute.
//   XML 1.2/1.3 + vulnerability extension 1.0: <component>...<v:vulnerabilities><v:vulnerability
//     ref=""><v:id/><v:source name=""><v:url/></v:source><v:ratings><v:rating><v:score><v:base/>
//     </v:score><v:severity/><v:method/><v:vector/></v:rating></v:ratings><v:cwes><v:cwe/></v:cwes>
//     <v:description/><v:recommendations><v:recommendation/></v:recommendations><v:advisories>
//     <v:advisory>url</v:advisory></v:advisories></v:vulnerability></v:vulnerabilities></component>
//     The affected component is the enclosing one (the ref attribute is the vulnerability's own id).
// Elements are matched by local name (namespace prefixes vary). JSON members may come in any order:
// a first pass reads metadata and components (bom-ref -> component map, components nested at any
// depth, metadata.component included), a second pass reads the vulnerabilities, one at a time.
// A BOM without vulnerabilities is a clean scan: zero findings.
//
// One finding per (vulnerability, affects[].ref) pair. The ref is resolved to its component's purl;
// a ref that names no component is used as a purl when it is one, else kept as the package name
// (ProductFields cyclonedx/UnresolvedRef). A vulnerability without affects is about the BOM's
// subject (metadata.component).
//
// Severity: the highest ratings[].severity (critical CRITICAL, high HIGH, medium MEDIUM, low LOW,
// info/none INFORMATIONAL); with no severity word, the highest rating score by CVSS bands (CVSSv2
// ratings by the NVD v2 bands, others by the v3 bands); else "unknown" -> INFORMATIONAL when a
// rating says so; else MEDIUM (a vulnerability the producer listed without rating it).
//
// Identity: VulnFingerprint(id, package) as Trivy and Grype build it: the id is the vulnerability's
// id when it is a CVE, else the first CVE among references[].id (Snyk/GHSA ids with a CVE alias
// match Trivy's CVE-named finding), else the id. The package comes from the purl via ParsePurl
// (qualifiers dropped, epoch folded), else the component's group:name (maven-style) + version with the
// ecosystem the vulnerability's source names (Grype: "vulnerabilities:debian:10" -> deb,
// "github:language:python" -> pypi), else none. The same (id, package) twice in one BOM is one
// finding (the store keeps one).
//
// Suppression (VEX): analysis.state not_affected, false_positive, resolved, resolved_with_pedigree
// -> workflow SUPPRESSED with the note "CycloneDX VEX analysis: <state>; justification: ...;
// detail: ..." (cyclonedx_common.h DecideVex, shared with --vex input). Other states stay open and
// keep the note. ProductFields cyclonedx/AnalysisState, AnalysisJustification, AnalysisResponse.
//
// Rejects: a vulnerability that is not an object or has no id; an affects entry without a ref.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

#include "ingest/formats/cyclonedx_common.h"
#include "ingest/formats/sca_common.h"
#include "ingest/json_util.h"
#include "ingest/xml_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json", ".xml", ".cdx"};

std::string_view Local(std::string_view name) {
  size_t c = name.find(':');
  return c == std::string_view::npos ? name : name.substr(c + 1);
}
std::string_view Local(pugi::xml_node n) { return Local(std::string_view(n.name())); }
std::string Text(pugi::xml_node n) { return Trim(n.text().get()); }

template <typename Fn>
void ForEachChild(pugi::xml_node n, Fn&& fn) {
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) fn(Local(c), c);
  }
}

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (!h.empty() && h[0] == '{') {
    if (HeadHas(h, "\"bomFormat\"") && HeadHas(h, "\"CycloneDX\"")) return SniffConfidence::kCertain;
    return SniffConfidence::kNo;
  }
  if (Local(XmlRootName(head)) != "bom") return SniffConfidence::kNo;
  if (head.find("cyclonedx.org/schema/bom") != std::string_view::npos) return SniffConfidence::kCertain;
  return SniffConfidence::kNo;
}

// ---------------------------------------------------------------------------------------------
// Model shared by both encodings

struct Component {
  std::string bom_ref, purl, group, name, version, type;
};

struct Rating {
  std::string severity, method, vector, source;
  double score = -1;
};

struct Vuln {
  std::string id, bom_ref, source_name, source_url, description, detail, recommendation, published, updated;
  std::string fixed;
  std::vector<std::string> ref_ids, advisories, cwes, affects;
  std::vector<Rating> ratings;
  cdx::VexAnalysis analysis;
};

struct Bom {
  std::string spec_version, serial, tool;
  bool has_subject = false;
  Component subject;
  std::unordered_map<std::string, Component> refs;  // bom-ref -> component (or service)
};

std::string ComponentName(const Component& c) {
  if (c.name.empty()) return "";
  return c.group.empty() ? c.name : c.group + ":" + c.name;
}

std::string CvssVersionOf(const Rating& r) {
  std::string_view vec = r.vector;
  if (StartsWith(vec, "CVSS:")) {
    size_t slash = vec.find('/');
    if (slash != std::string_view::npos && slash > 5) return std::string(vec.substr(5, slash - 5));
  }
  std::string m = ToLower(r.method);
  if (m == "cvssv2") return "2.0";
  if (m == "cvssv3") return "3.0";
  if (m == "cvssv31") return "3.1";
  if (m == "cvssv4") return "4.0";
  return "";
}

void SetSeverity(const Vuln& v, Finding& f) {
  bool have_word = false, saw_unknown = false;
  SeverityLabel best = SeverityLabel::kInformational;
  std::string word;
  for (const Rating& r : v.ratings) {
    SeverityLabel l;
    bool unknown = false;
    if (!cdx::RatingSeverity(r.severity, &l, &unknown)) continue;
    if (unknown) {
      saw_unknown = true;
      continue;
    }
    if (!have_word || l > best) {
      best = l;
      word = Trim(r.severity);
    }
    have_word = true;
  }
  if (have_word) {
    f.severity.label = best;
    f.severity.normalized = DefaultNormalized(best);
    f.severity.original = word;
    return;
  }
  double best_score = -1;
  bool have_score = false;
  for (const Rating& r : v.ratings) {
    if (r.score < 0) continue;
    SeverityLabel l = CvssVersionOf(r) == "2.0" ? LabelForCvss2(r.score) : LabelForCvss3(r.score);
    if (!have_score || l > best || (l == best && r.score > best_score)) {
      best = l;
      best_score = r.score;
    }
    have_score = true;
  }
  if (have_score) {
    f.severity.label = best;
    f.severity.normalized = NormalizedForScore(best_score, best);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", best_score);
    f.severity.original = buf;
    return;
  }
  SeverityLabel l = saw_unknown ? SeverityLabel::kInformational : SeverityLabel::kMedium;
  f.severity.label = l;
  f.severity.normalized = DefaultNormalized(l);
  f.severity.original = saw_unknown ? "unknown" : "";
}

// Without a purl, the ecosystem named by the vulnerability's source, as Grype writes it
// ("vulnerabilities:debian:10", "github:language:python"): deb, apk, rpm or a language's purl type.
std::string EcosystemOfSource(std::string_view source) {
  size_t start = 0;
  while (start < source.size()) {
    size_t colon = source.find(':', start);
    if (colon == std::string_view::npos) colon = source.size();
    std::string eco = CanonicalEcosystem(source.substr(start, colon - start));
    static const std::string_view kKnown[] = {"deb", "apk", "rpm", "pypi", "npm", "maven", "gem",
                                              "golang", "cargo", "nuget", "composer"};
    for (std::string_view k : kKnown) {
      if (eco == k) return eco;
    }
    start = colon + 1;
  }
  return "";
}

// One finding for (v, ref); `ref` empty: the BOM's subject.
Status EmitOne(const Bom& bom, const Vuln& v, const std::string& ref, FindingSink& sink) {
  Finding f;
  f.scanner = "cyclonedx";
  f.format = "cyclonedx";
  f.product_name = "CycloneDX";
  f.company_name = "OWASP";
  f.generator_id = "cyclonedx/vulnerability";

  const Component* comp = nullptr;
  bool unresolved = false;
  if (ref.empty()) {
    if (bom.has_subject) comp = &bom.subject;
  } else if (auto it = bom.refs.find(ref); it != bom.refs.end()) {
    comp = &it->second;
  } else {
    unresolved = true;
  }
  PackageId pkg;
  std::string purl = comp ? comp->purl : unresolved ? ref : "";
  if (!purl.empty()) pkg = ParsePurl(purl);
  if (pkg.empty()) {
    if (!StartsWith(purl, "pkg:")) purl.clear();
    if (comp) pkg = PackageId{EcosystemOfSource(v.source_name), ComponentName(*comp), comp->version};
    else if (unresolved) pkg = PackageId{"", ref, ""};
  }
  if (pkg.version.empty() && comp) pkg.version = comp->version;

  std::string vid = Trim(v.id);
  if (!sca::IsCveId(vid)) {
    if (std::string cve = sca::FirstCveId(v.ref_ids); !cve.empty()) vid = cve;
  }
  f.fingerprint = VulnFingerprint(vid, pkg);

  std::string name = comp && !comp->name.empty() ? comp->name : pkg.name;
  std::string version = comp && !comp->version.empty() ? comp->version : pkg.version;
  std::string what = name.empty() ? std::string("the BOM's subject") : name + (version.empty() ? "" : " " + version);
  f.title = vid + " in " + what;
  if (vid != Trim(v.id)) f.title += " (" + Trim(v.id) + ")";
  f.description = !Trim(v.description).empty() ? Trim(v.description)
                  : !Trim(v.detail).empty()    ? Trim(v.detail)
                                               : vid + " affects " + what + ".";
  if (!Trim(v.detail).empty() && Trim(v.detail) != f.description) f.description += "\n\n" + Trim(v.detail);
  SetSeverity(v, f);
  if (!Trim(v.recommendation).empty()) f.remediation_text = Trim(v.recommendation);
  else if (!v.fixed.empty() && !name.empty()) f.remediation_text = "Upgrade " + name + " to " + v.fixed + ".";
  f.source_url = v.source_url;
  for (const auto& c : v.cwes) {
    std::string t = Trim(c);
    if (StartsWith(ToUpper(t), "CWE-")) t = t.substr(4);
    if (!t.empty() && std::all_of(t.begin(), t.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      std::string cwe = "CWE-" + t;
      if (std::find(f.cwes.begin(), f.cwes.end(), cwe) == f.cwes.end()) f.cwes.push_back(cwe);
    }
  }

  Vulnerability vuln;
  vuln.id = vid;
  VulnerablePackage p;
  p.name = pkg.name.empty() ? name : pkg.name;
  p.version = version;
  p.package_manager = pkg.ecosystem;
  p.purl = purl;
  p.fixed_in_version = v.fixed;
  vuln.vulnerable_packages.push_back(std::move(p));
  for (const Rating& r : v.ratings) {
    std::string ver = CvssVersionOf(r);
    if (ver.empty() || (r.score < 0 && r.vector.empty())) continue;
    Cvss c;
    c.version = ver;
    c.base_score = r.score;
    c.base_vector = r.vector;
    c.source = r.source;
    vuln.cvss.push_back(std::move(c));
  }
  for (const auto& u : v.advisories) {
    if (!Trim(u).empty() && std::find(vuln.reference_urls.begin(), vuln.reference_urls.end(), Trim(u)) == vuln.reference_urls.end())
      vuln.reference_urls.push_back(Trim(u));
  }
  if (!EqualsIgnoreCase(vid, Trim(v.id)) && !Trim(v.id).empty()) vuln.related_vulnerabilities.push_back(Trim(v.id));
  for (const auto& r : v.ref_ids) {
    std::string t = Trim(r);
    if (t.empty() || EqualsIgnoreCase(t, vid)) continue;
    if (std::find(vuln.related_vulnerabilities.begin(), vuln.related_vulnerabilities.end(), t) ==
        vuln.related_vulnerabilities.end())
      vuln.related_vulnerabilities.push_back(t);
  }
  if (!v.fixed.empty()) vuln.fix_available = "YES";
  vuln.vendor_name = v.source_name;
  vuln.vendor_url = v.source_url;
  if (!vuln.vendor_name.empty()) vuln.vendor_severity = f.severity.original;
  f.vulnerabilities.push_back(std::move(vuln));

  cdx::VexDecision d = cdx::DecideVex(v.analysis);
  if (d.suppressed) f.workflow = WorkflowStatus::kSuppressed;
  if (!d.note.empty()) f.note = Note{d.note, "cyclonedx", Trim(v.analysis.last_updated)};

  auto pf = [&f](const char* k, const std::string& val) {
    if (!Trim(val).empty()) f.product_fields[std::string("cyclonedx/") + k] = Trim(val);
  };
  pf("VulnerabilityId", v.id);
  pf("VulnerabilityBomRef", v.bom_ref);
  pf("Source", v.source_name);
  if (!StartsWith(ref, "\x01")) pf("ComponentRef", ref);
  pf("Purl", purl);
  if (unresolved) pf("UnresolvedRef", ref);
  pf("AnalysisState", v.analysis.state);
  pf("AnalysisJustification", v.analysis.justification);
  std::string responses;
  for (const auto& r : v.analysis.responses) responses += (responses.empty() ? "" : ",") + Trim(r);
  pf("AnalysisResponse", responses);
  pf("AnalysisDetail", v.analysis.detail);
  pf("Published", v.published);
  pf("Updated", v.updated);
  pf("Tool", bom.tool);
  pf("SpecVersion", bom.spec_version);
  pf("SerialNumber", bom.serial);

  Resource res;
  std::string full = comp ? ComponentName(*comp) : "";
  if (!purl.empty()) res.id = purl;
  else if (!full.empty()) res.id = full + (version.empty() ? "" : "@" + version);
  else if (!ref.empty()) res.id = ref;
  else res.id = "cyclonedx-bom";
  res.details_other["ComponentName"] = name;
  res.details_other["ComponentVersion"] = version;
  if (comp) res.details_other["ComponentType"] = comp->type;
  if (bom.has_subject) res.details_other["BomSubject"] = ComponentName(bom.subject);
  for (auto it = res.details_other.begin(); it != res.details_other.end();) {
    it = Trim(it->second).empty() ? res.details_other.erase(it) : std::next(it);
  }
  f.resources.push_back(std::move(res));
  return sink.Accept(std::move(f));
}

Status Emit(const Bom& bom, const Vuln& v, FindingSink& sink) {
  if (v.affects.empty()) return EmitOne(bom, v, "", sink);
  for (const auto& ref : v.affects) FINDEX_RETURN_IF_ERROR(EmitOne(bom, v, ref, sink));
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// JSON


Status ReadJsonComponent(JsonReport& rep, od::value v, Bom& bom, Component* out, int depth) {
  if (depth > kMaxJsonDepth) return rep.Malformed("components nested too deeply", simdjson::DEPTH_ERROR);
  Component c;
  bool is_obj = false;
  FINDEX_RETURN_IF_ERROR(ForObj(rep, v, &is_obj, [&](std::string_view key, od::value fv) -> Status {
    if (key == "bom-ref") ReadString(fv, &c.bom_ref);
    else if (key == "purl") ReadString(fv, &c.purl);
    else if (key == "group") ReadString(fv, &c.group);
    else if (key == "name") ReadString(fv, &c.name);
    else if (key == "version") ReadString(fv, &c.version);
    else if (key == "type") ReadString(fv, &c.type);
    else if (key == "components" || key == "services") {
      bool is_arr = false;
      return ForArr(rep, fv, &is_arr, [&](size_t, od::value ev) -> Status {
        return ReadJsonComponent(rep, ev, bom, nullptr, depth + 1);
      });
    }
    return Status::Ok();
  }));
  if (!is_obj) return Status::Ok();
  c.purl = Trim(c.purl);
  if (!Trim(c.bom_ref).empty()) bom.refs.emplace(Trim(c.bom_ref), c);
  if (out) *out = std::move(c);
  return Status::Ok();
}

Status ReadJsonMetadata(JsonReport& rep, od::value v, Bom& bom) {
  bool is_obj = false;
  return ForObj(rep, v, &is_obj, [&](std::string_view key, od::value fv) -> Status {
    if (key == "component") {
      FINDEX_RETURN_IF_ERROR(ReadJsonComponent(rep, fv, bom, &bom.subject, 0));
      bom.has_subject = !bom.subject.name.empty() || !bom.subject.purl.empty();
    } else if (key == "tools") {
      auto tool = [&](size_t, od::value tv) -> Status {
        bool o = false;
        std::string name;
        FINDEX_RETURN_IF_ERROR(ForObj(rep, tv, &o, [&](std::string_view k, od::value x) -> Status {
          if (k == "name") ReadString(x, &name);
          return Status::Ok();
        }));
        if (bom.tool.empty()) bom.tool = Trim(name);
        return Status::Ok();
      };
      bool is_arr = false;
      FINDEX_RETURN_IF_ERROR(ForArr(rep, fv, &is_arr, tool));  // 1.4: [{vendor, name, version}]
      if (!is_arr) {                                            // 1.5+: {components, services}
        bool o = false;
        FINDEX_RETURN_IF_ERROR(ForObj(rep, fv, &o, [&](std::string_view k, od::value x) -> Status {
          bool a = false;
          if (k == "components" || k == "services") return ForArr(rep, x, &a, tool);
          return Status::Ok();
        }));
      }
    }
    return Status::Ok();
  });
}

Status ReadJsonSource(JsonReport& rep, od::value v, std::string* name, std::string* url) {
  bool o = false;
  return ForObj(rep, v, &o, [&](std::string_view k, od::value x) -> Status {
    if (k == "name") ReadString(x, name);
    else if (k == "url" && url) ReadString(x, url);
    return Status::Ok();
  });
}

// Reads one vulnerability; *reason is set when it must be rejected.
Status ReadJsonVuln(JsonReport& rep, od::value v, Vuln* out, std::string* reason,
                    std::vector<std::string>* affect_rejects) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return rep.Malformed("bad value", ec);
  if (t != od::json_type::object) {
    *reason = "vulnerability is not an object";
    return Status::Ok();
  }
  bool is_obj = false, bad_id = false;
  FINDEX_RETURN_IF_ERROR(ForObj(rep, v, &is_obj, [&](std::string_view key, od::value fv) -> Status {
    bool a = false, o = false;
    if (key == "id") bad_id = !ReadString(fv, &out->id);
    else if (key == "bom-ref") ReadString(fv, &out->bom_ref);
    else if (key == "source") return ReadJsonSource(rep, fv, &out->source_name, &out->source_url);
    else if (key == "description") ReadString(fv, &out->description);
    else if (key == "detail") ReadString(fv, &out->detail);
    else if (key == "recommendation") ReadString(fv, &out->recommendation);
    else if (key == "published") ReadString(fv, &out->published);
    else if (key == "updated") ReadString(fv, &out->updated);
    else if (key == "cwes") ReadStrings(fv, &out->cwes);
    else if (key == "references") {
      return ReadMemberOfEach(rep, fv, "id", &out->ref_ids);
    } else if (key == "ratings") {
      return ForArr(rep, fv, &a, [&](size_t, od::value ev) -> Status {
        Rating r;
        FINDEX_RETURN_IF_ERROR(ForObj(rep, ev, &o, [&](std::string_view k, od::value x) -> Status {
          if (k == "severity") ReadString(x, &r.severity);
          else if (k == "method") ReadString(x, &r.method);
          else if (k == "vector") ReadString(x, &r.vector);
          else if (k == "score" && !ReadDouble(x, &r.score)) r.score = -1;
          else if (k == "source") return ReadJsonSource(rep, x, &r.source, nullptr);
          return Status::Ok();
        }));
        if (o) out->ratings.push_back(std::move(r));
        return Status::Ok();
      });
    } else if (key == "advisories") {
      return ReadMemberOfEach(rep, fv, "url", &out->advisories);
    } else if (key == "analysis") {
      return ForObj(rep, fv, &o, [&](std::string_view k, od::value x) -> Status {
        if (k == "state") ReadString(x, &out->analysis.state);
        else if (k == "justification") ReadString(x, &out->analysis.justification);
        else if (k == "detail") ReadString(x, &out->analysis.detail);
        else if (k == "lastUpdated") ReadString(x, &out->analysis.last_updated);
        else if (k == "response") ReadStrings(x, &out->analysis.responses);
        return Status::Ok();
      });
    } else if (key == "affects") {
      return ForArr(rep, fv, &a, [&](size_t i, od::value ev) -> Status {
        std::string ref;
        FINDEX_RETURN_IF_ERROR(ForObj(rep, ev, &o, [&](std::string_view k, od::value x) -> Status {
          if (k == "ref") ReadString(x, &ref);
          return Status::Ok();
        }));
        if (Trim(ref).empty()) {
          affect_rejects->push_back("affects[" + std::to_string(i) + "] has no ref");
        } else if (std::find(out->affects.begin(), out->affects.end(), Trim(ref)) == out->affects.end()) {
          out->affects.push_back(Trim(ref));
        }
        return Status::Ok();
      });
    } else if (key == "properties") {
      return ForArr(rep, fv, &a, [&](size_t, od::value ev) -> Status {
        std::string name, value;
        FINDEX_RETURN_IF_ERROR(ForObj(rep, ev, &o, [&](std::string_view k, od::value x) -> Status {
          if (k == "name") ReadString(x, &name);
          else if (k == "value") ReadString(x, &value);
          return Status::Ok();
        }));
        if (Trim(name) == "grype:fixed_versions" && out->fixed.empty()) out->fixed = Trim(value);
        return Status::Ok();
      });
    }
    return Status::Ok();
  }));
  if (bad_id) *reason = "\"id\" is not a string";
  else if (Trim(out->id).empty()) *reason = "vulnerability has no id";
  return Status::Ok();
}

Status IngestJson(Source& src, FindingSink& sink) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  Bom bom;
  std::string bom_format;
  bool saw_vulns = false, saw_spec = false;
  {
    od::object root;
    if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("expected a CycloneDX JSON object", ec);
    FINDEX_RETURN_IF_ERROR(ForEachField(rep, root, [&](std::string_view key, od::value fv) -> Status {
      bool a = false;
      if (key == "bomFormat") ReadString(fv, &bom_format);
      else if (key == "specVersion") saw_spec = ReadString(fv, &bom.spec_version);
      else if (key == "serialNumber") ReadString(fv, &bom.serial);
      else if (key == "metadata") return ReadJsonMetadata(rep, fv, bom);
      else if (key == "components" || key == "services") {
        FINDEX_RETURN_IF_ERROR(ForArr(rep, fv, &a, [&](size_t, od::value ev) -> Status {
          return ReadJsonComponent(rep, ev, bom, nullptr, 1);
        }));
      } else if (key == "vulnerabilities") {
        saw_vulns = true;
      }
      return Status::Ok();
    }));
    FINDEX_RETURN_IF_ERROR(rep.Finish());
  }
  if (bom_format != "CycloneDX") {
    return MakeError(ErrorCode::kSchema, "not a CycloneDX BOM: \"bomFormat\" is not \"CycloneDX\"", src.path());
  }
  (void)saw_spec;
  if (bom.has_subject) {
    std::string subject = ComponentName(bom.subject);
    if (subject.empty()) subject = bom.subject.purl;
    if (!subject.empty()) sink.AddTarget(subject);
  }
  if (!saw_vulns) return Status::Ok();  // an SBOM without vulnerabilities: a clean scan

  rep.doc().rewind();
  od::object root;
  if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("expected a CycloneDX JSON object", ec);
  for (auto field : root) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
    if (key != "vulnerabilities") continue;
    od::value fv;
    if (auto ec = field.value().get(fv)) return rep.Malformed("bad value", ec);
    if (IsNull(fv)) continue;
    bool is_arr = false;
    FINDEX_RETURN_IF_ERROR(ForArr(rep, fv, &is_arr, [&](size_t i, od::value ev) -> Status {
      uint64_t offset = rep.OffsetOf(ev);
      std::string where = "vulnerabilities[" + std::to_string(i) + "]";
      Vuln v;
      std::string reason;
      std::vector<std::string> affect_rejects;
      FINDEX_RETURN_IF_ERROR(ReadJsonVuln(rep, ev, &v, &reason, &affect_rejects));
      if (!reason.empty()) {
        sink.AddReject(rep.RejectAt(offset, where, reason));
        return Status::Ok();
      }
      for (auto& r : affect_rejects) sink.AddReject(rep.RejectAt(offset, where, r));
      if (v.affects.empty() && !affect_rejects.empty()) return Status::Ok();
      return Emit(bom, v, sink);
    }));
    if (!is_arr) return MakeError(ErrorCode::kSchema, "\"vulnerabilities\" is not an array", src.path());
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// XML

Component ReadXmlComponentFields(pugi::xml_node n) {
  Component c;
  c.bom_ref = Trim(n.attribute("bom-ref").value());
  c.type = Trim(n.attribute("type").value());
  ForEachChild(n, [&](std::string_view name, pugi::xml_node ch) {
    if (name == "purl") c.purl = Text(ch);
    else if (name == "group") c.group = Text(ch);
    else if (name == "name") c.name = Text(ch);
    else if (name == "version") c.version = Text(ch);
  });
  return c;
}

void ReadXmlVuln(pugi::xml_node n, Vuln* v) {
  v->bom_ref = Trim(n.attribute("bom-ref").value());
  if (v->bom_ref.empty()) v->bom_ref = Trim(n.attribute("ref").value());
  ForEachChild(n, [&](std::string_view name, pugi::xml_node c) {
    if (name == "id") v->id = Text(c);
    else if (name == "source") {
      v->source_name = Trim(c.attribute("name").value());
      ForEachChild(c, [&](std::string_view k, pugi::xml_node x) {
        if (k == "name") v->source_name = Text(x);
        else if (k == "url") v->source_url = Text(x);
      });
    } else if (name == "description") v->description = Text(c);
    else if (name == "detail") v->detail = Text(c);
    else if (name == "recommendation") v->recommendation = Text(c);
    else if (name == "recommendations") {
      ForEachChild(c, [&](std::string_view k, pugi::xml_node x) {
        if (k == "recommendation" && v->recommendation.empty()) v->recommendation = Text(x);
      });
    } else if (name == "published") v->published = Text(c);
    else if (name == "updated") v->updated = Text(c);
    else if (name == "references") {
      ForEachChild(c, [&](std::string_view, pugi::xml_node r) {
        ForEachChild(r, [&](std::string_view k, pugi::xml_node x) {
          if (k == "id" && !Text(x).empty()) v->ref_ids.push_back(Text(x));
        });
      });
    } else if (name == "ratings") {
      ForEachChild(c, [&](std::string_view, pugi::xml_node r) {
        Rating rt;
        ForEachChild(r, [&](std::string_view k, pugi::xml_node x) {
          if (k == "severity") rt.severity = Text(x);
          else if (k == "method") rt.method = Text(x);
          else if (k == "vector") rt.vector = Text(x);
          else if (k == "source") {
            rt.source = Trim(x.attribute("name").value());
            ForEachChild(x, [&](std::string_view sk, pugi::xml_node s) {
              if (sk == "name") rt.source = Text(s);
            });
          } else if (k == "score") {
            std::string t = Text(x);
            ForEachChild(x, [&](std::string_view sk, pugi::xml_node s) {
              if (sk == "base") t = Text(s);  // extension 1.0: <score><base/>...</score>
            });
            char* end = nullptr;
            double d = t.empty() ? -1 : std::strtod(t.c_str(), &end);
            rt.score = !t.empty() && end == t.c_str() + t.size() ? d : -1;
          }
        });
        v->ratings.push_back(std::move(rt));
      });
    } else if (name == "cwes") {
      ForEachChild(c, [&](std::string_view k, pugi::xml_node x) {
        if (k == "cwe") v->cwes.push_back(Text(x));
      });
    } else if (name == "advisories") {
      ForEachChild(c, [&](std::string_view, pugi::xml_node a) {
        std::string url;
        ForEachChild(a, [&](std::string_view k, pugi::xml_node x) {
          if (k == "url") url = Text(x);
        });
        if (url.empty()) url = Text(a);  // extension 1.0: <v:advisory>url</v:advisory>
        if (!url.empty()) v->advisories.push_back(url);
      });
    } else if (name == "analysis") {
      ForEachChild(c, [&](std::string_view k, pugi::xml_node x) {
        if (k == "state") v->analysis.state = Text(x);
        else if (k == "justification") v->analysis.justification = Text(x);
        else if (k == "detail") v->analysis.detail = Text(x);
        else if (k == "lastUpdated") v->analysis.last_updated = Text(x);
        else if (k == "responses") {
          ForEachChild(x, [&](std::string_view rk, pugi::xml_node r) {
            if (rk == "response" && !Text(r).empty()) v->analysis.responses.push_back(Text(r));
          });
        }
      });
    } else if (name == "properties") {
      ForEachChild(c, [&](std::string_view, pugi::xml_node p) {
        if (Trim(p.attribute("name").value()) == "grype:fixed_versions" && v->fixed.empty()) v->fixed = Text(p);
      });
    }
  });
}

// Walks a <components> or <services> list (and nested ones), filling the ref map; extension 1.0
// <v:vulnerabilities> inside a component are collected with the component as their target.
struct ExtVuln {
  pugi::xml_node node;
  std::string ref;
};

void WalkXmlComponents(pugi::xml_node list, Bom& bom, std::vector<ExtVuln>* ext, size_t* anon) {
  // Iterative (depth-first) so that deep nesting cannot overflow the stack.
  std::vector<pugi::xml_node> stack{list};
  while (!stack.empty()) {
    pugi::xml_node l = stack.back();
    stack.pop_back();
    ForEachChild(l, [&](std::string_view name, pugi::xml_node c) {
      if (name != "component" && name != "service") return;
      Component comp = ReadXmlComponentFields(c);
      std::string key = comp.bom_ref;
      ForEachChild(c, [&](std::string_view k, pugi::xml_node x) {
        if (k == "components" || k == "services") stack.push_back(x);
        else if (k == "vulnerabilities") {
          if (key.empty()) key = std::string(1, '\x01') + "component#" + std::to_string((*anon)++);
          ForEachChild(x, [&](std::string_view vk, pugi::xml_node vn) {
            if (vk == "vulnerability") ext->push_back({vn, key});
          });
        }
      });
      if (!key.empty()) bom.refs.emplace(key, std::move(comp));
    });
  }
}

Status IngestXml(Source& src, FindingSink& sink) {
  pugi::xml_document doc;
  FINDEX_RETURN_IF_ERROR(LoadXml(src, &doc));
  pugi::xml_node root = doc.document_element();
  std::string ns;
  for (pugi::xml_attribute a = root.first_attribute(); a; a = a.next_attribute()) {
    std::string_view an = a.name();
    if (an == "xmlns" || StartsWith(an, "xmlns:")) {
      std::string_view val = a.value();
      if (val.find("cyclonedx.org/schema/bom") != std::string_view::npos && ns.empty()) ns = std::string(val);
    }
  }
  if (Local(root) != "bom" || ns.empty()) {
    return MakeError(ErrorCode::kSchema, "not a CycloneDX BOM: the root is not <bom xmlns=\"http://cyclonedx.org/schema/bom/1.x\">",
                     src.path());
  }
  Bom bom;
  if (size_t slash = ns.rfind('/'); slash != std::string::npos) bom.spec_version = ns.substr(slash + 1);
  bom.serial = Trim(root.attribute("serialNumber").value());
  std::vector<ExtVuln> ext;
  std::vector<pugi::xml_node> lists;
  size_t anon = 0;
  ForEachChild(root, [&](std::string_view name, pugi::xml_node c) {
    if (name == "metadata") {
      ForEachChild(c, [&](std::string_view k, pugi::xml_node x) {
        if (k == "component") {
          bom.subject = ReadXmlComponentFields(x);
          bom.has_subject = !bom.subject.name.empty() || !bom.subject.purl.empty();
          if (!bom.subject.bom_ref.empty()) bom.refs.emplace(bom.subject.bom_ref, bom.subject);
          ForEachChild(x, [&](std::string_view ck, pugi::xml_node cx) {
            if (ck == "components") WalkXmlComponents(cx, bom, &ext, &anon);
          });
        } else if (k == "tools") {
          // 1.4: <tool><name/>; 1.5+: <components><component><name/>
          for (pugi::xml_node t = x.first_child(); t && bom.tool.empty(); t = t.next_sibling()) {
            if (Local(t) == "tool") bom.tool = ChildText(t, "name");
            else if (Local(t) == "components" || Local(t) == "services") {
              for (pugi::xml_node tc = t.first_child(); tc && bom.tool.empty(); tc = tc.next_sibling()) {
                ForEachChild(tc, [&](std::string_view tk, pugi::xml_node tx) {
                  if (tk == "name" && bom.tool.empty()) bom.tool = Text(tx);
                });
              }
            }
          }
          if (bom.tool.empty()) {  // prefixed names: ChildText matches the full name only
            ForEachChild(x, [&](std::string_view, pugi::xml_node t) {
              ForEachChild(t, [&](std::string_view tk, pugi::xml_node tx) {
                if (tk == "name" && bom.tool.empty()) bom.tool = Text(tx);
              });
            });
          }
        }
      });
    } else if (name == "components" || name == "services") {
      WalkXmlComponents(c, bom, &ext, &anon);
    } else if (name == "vulnerabilities") {
      lists.push_back(c);
    }
  });
  if (bom.has_subject) {
    std::string subject = ComponentName(bom.subject);
    if (subject.empty()) subject = bom.subject.purl;
    if (!subject.empty()) sink.AddTarget(subject);
  }
  auto emit_node = [&](pugi::xml_node vn, const std::string& target) -> Status {
    Vuln v;
    ReadXmlVuln(vn, &v);
    if (v.id.empty()) {
      sink.AddReject(XmlReject(src, vn, "vulnerability has no id"));
      return Status::Ok();
    }
    if (!target.empty()) {
      v.affects = {target};
    } else {
      bool bad_target = false;
      ForEachChild(vn, [&](std::string_view name, pugi::xml_node c) {
        if (name != "affects") return;
        ForEachChild(c, [&](std::string_view, pugi::xml_node t) {
          std::string ref;
          ForEachChild(t, [&](std::string_view k, pugi::xml_node x) {
            if (k == "ref") ref = Text(x);
          });
          if (ref.empty()) {
            sink.AddReject(XmlReject(src, t, "affects target has no ref"));
            bad_target = true;
          } else if (std::find(v.affects.begin(), v.affects.end(), ref) == v.affects.end()) {
            v.affects.push_back(ref);
          }
        });
      });
      if (v.affects.empty() && bad_target) return Status::Ok();
    }
    return Emit(bom, v, sink);
  };
  for (pugi::xml_node l : lists) {
    for (pugi::xml_node vn = l.first_child(); vn; vn = vn.next_sibling()) {
      if (vn.type() != pugi::node_element) continue;
      if (Local(vn) != "vulnerability") {
        sink.AddReject(XmlReject(src, vn, "unexpected element <" + std::string(vn.name()) + "> in <vulnerabilities>"));
        continue;
      }
      FINDEX_RETURN_IF_ERROR(emit_node(vn, ""));
    }
  }
  for (const ExtVuln& e : ext) FINDEX_RETURN_IF_ERROR(emit_node(e.node, e.ref));
  return Status::Ok();
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  std::string_view text = src.text();
  size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) ++i;
  if (i < text.size() && text[i] == '<') return IngestXml(src, sink);
  return IngestJson(src, sink);
}

}  // namespace

const FormatDescriptor& CycloneDxFormat() {
  static const FormatDescriptor kDesc{"cyclonedx", "cyclonedx",
                                      "CycloneDX BOM vulnerabilities and VEX analysis (JSON and XML, 1.2-1.6)", kExt,
                                      Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
