// Grype `-o json` (https://github.com/anchore/grype, presenter/models), versions 0.7 to 0.96:
//   {"matches": [{"vulnerability": {"id", "dataSource", "namespace", "severity", "urls",
//                                   "description", "cvss": [...], "fix": {"versions", "state"},
//                                   "epss"?, "risk"?, "knownExploited"?},
//                 "relatedVulnerabilities": [{"id", "description", ...}],
//                 "matchDetails": [{"matcher", "type", ...}],
//                 "artifact": {"name", "version", "type", "locations": [{"path", "layerID"}],
//                              "language", "purl", "cpes", "metadata"}}],
//    "source": {"type": "image" | "directory" | "file" | "sbom", "target": {...} | "<path>"},
//    "distro": {"name", "version"}, "descriptor": {"name": "grype", "version"}}
// Grype 0.7 wrote "links" for "urls", "cvssV2"/"cvssV3" objects for "cvss", "fixedInVersion"
// for "fix" and one "matchDetails" object. Grype 0.96 writes every object's keys in alphabetical
// order. "source" and "distro" follow "matches" in every version, so they are read in a first
// pass that skips the matches, and the matches are read in a second pass.
//
// Target (what the report scanned, for resolution by absence): "source.target", the string (a
// directory or file) or the object's "userInput" (the image as given to grype).
//
// One finding per match. Severity (Grype's grype/vulnerability/severity.go: ParseSeverity knows
// negligible, low, medium, high, critical, and any other value, a missing one included, is
// "unknown"; the docs' "Filter scan results" guide orders negligible < low < medium < high <
// critical for --fail-on):
//   Critical -> CRITICAL, High -> HIGH, Medium -> MEDIUM, Low -> LOW,
//   Negligible, Unknown, missing -> INFORMATIONAL (Grype's own --fail-on never matches Unknown).
// Fix: state "fixed" (or fix versions given) -> FixAvailable YES, "not-fixed"/"wont-fix" -> NO,
// "unknown" or none -> FixAvailable left out.
//
// Exploitation (issue 11; grype/presenter/models/vulnerability_metadata.go, Grype 0.88+ with its
// v6 database): "epss": [{"cve", "epss", "percentile", "date"}] (FIRST's probability and
// percentile, both 0..1; date YYYY-MM-DD, Go's zero "0001-01-01" when unknown) and
// "knownExploited": [{"cve", "dateAdded"?, "dueDate"?, "knownRansomwareCampaignUse", ...}] (CISA
// KEV), on the vulnerability and on each relatedVulnerabilities entry (its aliases). The
// vulnerability's ExploitInfo takes the highest EPSS score among them (with that entry's
// percentile and date) and, when any knownExploited entry is there, KEV listed (kev 1) with the
// earliest due date, its date added, ransomware from knownRansomwareCampaignUse (Known 1,
// Unknown 0) and ExploitAvailable YES. Grype omits knownExploited when a CVE is not listed, and
// older versions never write it, so its absence is "no data" (kev -1), not "not listed". "risk"
// (Grype's 0..100 blend of EPSS, severity and KEV) has no ASFF or ExploitInfo field: it stays in
// ProductFields "grype/Risk", as the raw EPSS texts stay in "grype/EpssScore"/"EpssPercentile".
//
// Identity: VulnFingerprint(vulnerability.id, package) with the package from artifact.purl
// (an "epoch" qualifier folded into the version, as Trivy and Grype's deb purls write it), else
// CanonicalEcosystem(artifact.type) + name + version. The same package version found at two
// locations (dd_grype_0.36.0_same_cve_diff_paths.json: libc6 via two .so paths) is one problem
// and keeps one fingerprint; its location is in VulnerablePackages.FilePath. Only when the
// artifact has no purl is the first location path added to the identity, because name + type
// alone do not identify a package then (e.g. two unrelated "binary" artifacts of the same name).
#include <algorithm>
#include <array>
#include <cstdlib>
#include <vector>

#include "ingest/formats/exploit_common.h"
#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || h[0] != '{' || !HeadHas(h, "\"matches\"")) return SniffConfidence::kNo;
  if (HeadHas(h, "\"artifact\"") && HeadHas(h, "\"vulnerability\"")) return SniffConfidence::kCertain;
  if (HeadHas(h, "\"descriptor\"") && HeadHas(h, "\"grype\"")) return SniffConfidence::kCertain;
  if (HeadHas(h, "\"descriptor\"") || HeadHas(h, "\"source\"")) return SniffConfidence::kMaybe;
  return SniffConfidence::kNo;
}

// Object iteration with the error checks every reader repeats. `fn(key, value)` returns Status.
template <typename Fn>
Status ForEachMember(JsonReport& rep, od::value v, bool* is_object, Fn fn) {
  *is_object = false;
  if (IsNull(v)) return Status::Ok();
  od::object obj;
  if (v.get_object().get(obj)) return Status::Ok();
  *is_object = true;
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value fv) -> Status {
    FINDEX_RETURN_IF_ERROR(fn(key, fv));
    return Status::Ok();
  }));
  return Status::Ok();
}

// Array iteration; *is_array is false for a non-array (null counts as an empty array).
template <typename Fn>
Status ForEachElement(JsonReport& rep, od::value v, bool* is_array, Fn fn) {
  *is_array = true;
  if (IsNull(v)) return Status::Ok();
  od::array arr;
  if (v.get_array().get(arr)) {
    *is_array = false;
    return Status::Ok();
  }
  size_t i = 0;
  for (auto e : arr) {
    od::value ev;
    if (auto ec = e.get(ev)) return rep.Malformed("bad array element", ec);
    FINDEX_RETURN_IF_ERROR(fn(i++, ev));
  }
  return Status::Ok();
}

std::string CvssVersion(std::string_view vector, std::string_view fallback) {
  if (StartsWith(vector, "CVSS:")) {
    size_t slash = vector.find('/');
    if (slash != std::string_view::npos && slash > 5) return std::string(vector.substr(5, slash - 5));
  }
  return std::string(fallback);
}

// ---------------------------------------------------------------------------------------------

struct RawMatch {
  uint64_t offset = 0;
  std::string where;
  // vulnerability
  std::string id, data_source, vuln_namespace, severity, description, fix_state, risk;
  std::string known_exploited;
  std::vector<std::array<std::string, 3>> epss;  // cve, score, percentile (vulnerability.epss, as written)
  // Exploitation data of the vulnerability and of its relatedVulnerabilities (its aliases):
  // epss[] {cve, epss, percentile, date} and knownExploited[] {cve, dateAdded, dueDate,
  // knownRansomwareCampaignUse}, texts as written, checked in Emit.
  struct EpssEntry {
    std::string score, percentile, date;
  };
  struct KevEntry {
    std::string date_added, due_date, ransomware;
  };
  std::vector<EpssEntry> epss_entries;
  std::vector<KevEntry> kev_entries;
  std::vector<std::string> urls, fix_versions;
  std::vector<Cvss> cvss;
  // relatedVulnerabilities
  std::vector<std::string> related_ids;
  std::string related_description;
  // matchDetails
  std::string matcher, match_type;
  // artifact
  std::string name, version, type, language, purl, epoch, arch;
  std::vector<std::string> paths, layers;
  std::string reason;  // set when the match is rejected
};

struct SourceInfo {
  std::string type, target, image_id, manifest_digest;
};

struct Context {
  SourceInfo source;
  std::string distro, grype_version;
};

void NoteType(RawMatch* m, bool ok, std::string_view key) {
  if (!ok && m->reason.empty()) m->reason = "\"" + std::string(key) + "\" has an unexpected type";
}

// One element of a "cvss" list: {"source", "type", "version", "vector", "metrics": {"baseScore"}}.
Status ReadCvssEntry(JsonReport& rep, od::value v, std::vector<Cvss>* out) {
  Cvss c;
  std::string score;
  bool is_object = false;
  FINDEX_RETURN_IF_ERROR(ForEachMember(rep, v, &is_object, [&](std::string_view key, od::value fv) -> Status {
    if (key == "source") ReadString(fv, &c.source);
    else if (key == "version") ReadString(fv, &c.version);
    else if (key == "vector") ReadString(fv, &c.base_vector);
    else if (key == "metrics") {
      bool obj = false;
      return ForEachMember(rep, fv, &obj, [&](std::string_view mk, od::value mv) -> Status {
        if (mk == "baseScore") ReadDouble(mv, &c.base_score);
        return Status::Ok();
      });
    }
    return Status::Ok();
  }));
  if (!is_object || (c.base_vector.empty() && c.base_score < 0)) return Status::Ok();
  if (c.version.empty()) c.version = CvssVersion(c.base_vector, "");
  out->push_back(std::move(c));
  return Status::Ok();
}

// Grype 0.7 "cvssV2" / "cvssV3": {"baseScore", "vector", ...}.
Status ReadLegacyCvss(JsonReport& rep, od::value v, std::string_view fallback, std::vector<Cvss>* out) {
  Cvss c;
  bool is_object = false;
  FINDEX_RETURN_IF_ERROR(ForEachMember(rep, v, &is_object, [&](std::string_view key, od::value fv) -> Status {
    if (key == "baseScore") ReadDouble(fv, &c.base_score);
    else if (key == "vector") ReadString(fv, &c.base_vector);
    return Status::Ok();
  }));
  if (!is_object || (c.base_vector.empty() && c.base_score < 0)) return Status::Ok();
  c.version = CvssVersion(c.base_vector, fallback);
  out->push_back(std::move(c));
  return Status::Ok();
}

// vulnerability.epss (0.88+): [{"cve", "epss", "percentile", "date"}]. `own`: the match's own
// vulnerability (its entries also go to ProductFields as written); else a related one.
Status ReadEpss(JsonReport& rep, od::value v, RawMatch* m, bool* is_array, bool own) {
  return ForEachElement(rep, v, is_array, [&](size_t, od::value ev) -> Status {
    std::string cve, score, pct, date;
    bool obj = false;
    FINDEX_RETURN_IF_ERROR(ForEachMember(rep, ev, &obj, [&](std::string_view ek, od::value x) -> Status {
      if (ek == "cve") ReadString(x, &cve);
      else if (ek == "epss") ReadString(x, &score);
      else if (ek == "percentile") ReadString(x, &pct);
      else if (ek == "date") ReadString(x, &date);
      return Status::Ok();
    }));
    if (score.empty()) return Status::Ok();
    if (own) m->epss.push_back({cve, score, pct});
    m->epss_entries.push_back({score, pct, date});
    return Status::Ok();
  });
}

// vulnerability.knownExploited (0.88+): [{"cve", "vendorProject"?, "product"?, "dateAdded"?,
// "requiredAction"?, "dueDate"?, "knownRansomwareCampaignUse", "notes"?, "urls"?, "cwes"?}],
// one entry per CISA KEV listing of the vulnerability or its aliases; absent when none.
Status ReadKnownExploited(JsonReport& rep, od::value v, RawMatch* m, bool* is_array, bool own) {
  return ForEachElement(rep, v, is_array, [&](size_t, od::value ev) -> Status {
    std::string cve;
    RawMatch::KevEntry k;
    bool obj = false;
    FINDEX_RETURN_IF_ERROR(ForEachMember(rep, ev, &obj, [&](std::string_view ek, od::value x) -> Status {
      if (ek == "cve") ReadString(x, &cve);
      else if (ek == "dateAdded") ReadString(x, &k.date_added);
      else if (ek == "dueDate") ReadString(x, &k.due_date);
      else if (ek == "knownRansomwareCampaignUse") ReadString(x, &k.ransomware);
      return Status::Ok();
    }));
    if (Trim(cve).empty()) return Status::Ok();  // a listing names its CVE
    if (own) m->known_exploited += (m->known_exploited.empty() ? "" : ",") + cve;
    m->kev_entries.push_back(std::move(k));
    return Status::Ok();
  });
}

Status ReadVulnerability(JsonReport& rep, od::value v, RawMatch* m) {
  bool is_object = false;
  FINDEX_RETURN_IF_ERROR(ForEachMember(rep, v, &is_object, [&](std::string_view key, od::value fv) -> Status {
    bool ok = true;
    if (key == "id") ok = ReadString(fv, &m->id);
    else if (key == "dataSource") ok = ReadString(fv, &m->data_source);
    else if (key == "namespace") ok = ReadString(fv, &m->vuln_namespace);
    else if (key == "severity") ok = ReadString(fv, &m->severity);
    else if (key == "description") ok = ReadString(fv, &m->description);
    else if (key == "urls" || key == "links") ok = ReadStrings(fv, &m->urls);
    else if (key == "fixedInVersion") {
      std::string fixed;
      ok = ReadString(fv, &fixed);
      if (!Trim(fixed).empty()) m->fix_versions.push_back(fixed);
    } else if (key == "risk") ok = ReadString(fv, &m->risk);
    else if (key == "cvss") {
      return ForEachElement(rep, fv, &ok, [&](size_t, od::value ev) { return ReadCvssEntry(rep, ev, &m->cvss); });
    } else if (key == "cvssV3") {
      return ReadLegacyCvss(rep, fv, "3", &m->cvss);
    } else if (key == "cvssV2") {
      return ReadLegacyCvss(rep, fv, "2.0", &m->cvss);
    } else if (key == "fix") {
      bool obj = false;
      FINDEX_RETURN_IF_ERROR(ForEachMember(rep, fv, &obj, [&](std::string_view fk, od::value fx) -> Status {
        if (fk == "state") ReadString(fx, &m->fix_state);
        else if (fk == "versions") ReadStrings(fx, &m->fix_versions);
        return Status::Ok();
      }));
    } else if (key == "epss") {
      // The entry for this id is chosen in Emit (the id may follow "epss" when keys are sorted).
      // A malformed list is ignored, as any exploitation value that fails its check.
      bool is_array = true;
      return ReadEpss(rep, fv, m, &is_array, /*own=*/true);
    } else if (key == "knownExploited") {
      bool is_array = true;
      return ReadKnownExploited(rep, fv, m, &is_array, /*own=*/true);
    }
    NoteType(m, ok, key);
    return Status::Ok();
  }));
  if (!is_object && m->reason.empty()) m->reason = "\"vulnerability\" is not an object";
  return Status::Ok();
}

Status ReadRelated(JsonReport& rep, od::value v, RawMatch* m) {
  bool is_array = true;
  FINDEX_RETURN_IF_ERROR(ForEachElement(rep, v, &is_array, [&](size_t, od::value ev) -> Status {
    std::string id, description;
    bool obj = false;
    FINDEX_RETURN_IF_ERROR(ForEachMember(rep, ev, &obj, [&](std::string_view key, od::value fv) -> Status {
      bool list = true;
      if (key == "id") ReadString(fv, &id);
      else if (key == "description") ReadString(fv, &description);
      else if (key == "epss") return ReadEpss(rep, fv, m, &list, /*own=*/false);
      else if (key == "knownExploited") return ReadKnownExploited(rep, fv, m, &list, /*own=*/false);
      return Status::Ok();
    }));
    if (!Trim(id).empty()) m->related_ids.push_back(id);
    if (m->related_description.empty()) m->related_description = Trim(description);
    return Status::Ok();
  }));
  NoteType(m, is_array, "relatedVulnerabilities");
  return Status::Ok();
}

// "matchDetails": a list (0.9+) or one object (0.7); the first matcher names the finding's source.
Status ReadMatchDetails(JsonReport& rep, od::value v, RawMatch* m) {
  auto read_one = [&](od::value d) -> Status {
    std::string matcher, type;
    bool obj = false;
    FINDEX_RETURN_IF_ERROR(ForEachMember(rep, d, &obj, [&](std::string_view key, od::value fv) -> Status {
      if (key == "matcher") ReadString(fv, &matcher);
      else if (key == "type") ReadString(fv, &type);
      return Status::Ok();
    }));
    if (m->matcher.empty()) m->matcher = matcher;
    if (m->match_type.empty()) m->match_type = type;
    return Status::Ok();
  };
  od::json_type t;
  if (auto ec = v.type().get(t)) return rep.Malformed("bad value", ec);
  if (t == od::json_type::object) return read_one(v);
  bool is_array = true;
  return ForEachElement(rep, v, &is_array, [&](size_t, od::value ev) { return read_one(ev); });
}

Status ReadArtifact(JsonReport& rep, od::value v, RawMatch* m) {
  bool is_object = false;
  FINDEX_RETURN_IF_ERROR(ForEachMember(rep, v, &is_object, [&](std::string_view key, od::value fv) -> Status {
    bool ok = true;
    if (key == "name") ok = ReadString(fv, &m->name);
    else if (key == "version") ok = ReadString(fv, &m->version);
    else if (key == "type") ok = ReadString(fv, &m->type);
    else if (key == "language") ok = ReadString(fv, &m->language);
    else if (key == "purl") ok = ReadString(fv, &m->purl);
    else if (key == "locations") {
      FINDEX_RETURN_IF_ERROR(ForEachElement(rep, fv, &ok, [&](size_t, od::value ev) -> Status {
        std::string path, layer;
        bool obj = false;
        FINDEX_RETURN_IF_ERROR(ForEachMember(rep, ev, &obj, [&](std::string_view lk, od::value x) -> Status {
          if (lk == "path") ReadString(x, &path);
          else if (lk == "layerID") ReadString(x, &layer);
          return Status::Ok();
        }));
        if (!Trim(path).empty()) {
          m->paths.push_back(path);
          m->layers.push_back(layer);
        }
        return Status::Ok();
      }));
    } else if (key == "metadata") {
      bool obj = false;
      return ForEachMember(rep, fv, &obj, [&](std::string_view mk, od::value x) -> Status {
        if (mk == "epoch") ReadString(x, &m->epoch);
        else if (mk == "architecture" || mk == "arch") ReadString(x, &m->arch);
        return Status::Ok();
      });
    }
    NoteType(m, ok, key);
    return Status::Ok();
  }));
  if (!is_object && m->reason.empty()) m->reason = "\"artifact\" is not an object";
  return Status::Ok();
}

Status ReadMatch(JsonReport& rep, od::value v, RawMatch* m) {
  bool is_object = false, saw_vuln = false, saw_artifact = false;
  FINDEX_RETURN_IF_ERROR(ForEachMember(rep, v, &is_object, [&](std::string_view key, od::value fv) -> Status {
    if (key == "vulnerability") {
      saw_vuln = true;
      return ReadVulnerability(rep, fv, m);
    }
    if (key == "relatedVulnerabilities") return ReadRelated(rep, fv, m);
    if (key == "matchDetails") return ReadMatchDetails(rep, fv, m);
    if (key == "artifact") {
      saw_artifact = true;
      return ReadArtifact(rep, fv, m);
    }
    return Status::Ok();
  }));
  if (!m->reason.empty()) return Status::Ok();
  if (!is_object) m->reason = "match is not an object";
  else if (!saw_vuln) m->reason = "match has no \"vulnerability\"";
  else if (!saw_artifact) m->reason = "match has no \"artifact\"";
  else if (Trim(m->id).empty()) m->reason = "vulnerability has no id";
  else if (Trim(m->name).empty()) m->reason = "artifact has no name";
  return Status::Ok();
}

Status ReadSource(JsonReport& rep, od::value v, SourceInfo* s) {
  bool is_object = false;
  return ForEachMember(rep, v, &is_object, [&](std::string_view key, od::value fv) -> Status {
    if (key == "type") {
      ReadString(fv, &s->type);
    } else if (key == "target") {
      od::json_type t;
      if (auto ec = fv.type().get(t)) return rep.Malformed("bad value", ec);
      if (t != od::json_type::object) {
        ReadString(fv, &s->target);
        // 0.24 quoted the directory: "\".\"".
        if (s->target.size() >= 2 && s->target.front() == '"' && s->target.back() == '"') {
          s->target = s->target.substr(1, s->target.size() - 2);
        }
        return Status::Ok();
      }
      bool obj = false;
      return ForEachMember(rep, fv, &obj, [&](std::string_view tk, od::value x) -> Status {
        if (tk == "userInput") ReadString(x, &s->target);
        else if (tk == "imageID") ReadString(x, &s->image_id);
        else if (tk == "manifestDigest") ReadString(x, &s->manifest_digest);
        return Status::Ok();
      });
    }
    return Status::Ok();
  });
}

// ---------------------------------------------------------------------------------------------

void SetSeverity(Finding& f, const std::string& word) {
  std::string w = ToLower(Trim(word));
  SeverityLabel label = SeverityLabel::kInformational;  // negligible, unknown, missing
  if (w == "critical") label = SeverityLabel::kCritical;
  else if (w == "high") label = SeverityLabel::kHigh;
  else if (w == "medium") label = SeverityLabel::kMedium;
  else if (w == "low") label = SeverityLabel::kLow;
  f.severity.label = label;
  f.severity.normalized = DefaultNormalized(label);
  f.severity.original = word;
}

Status Emit(const Context& c, const RawMatch& m, FindingSink& sink) {
  Finding f;
  f.scanner = "grype";
  f.format = "grype";
  f.product_name = "Grype";
  f.company_name = "Anchore";

  PackageId pkg;
  if (!m.purl.empty()) pkg = ParsePurl(m.purl);
  bool from_purl = !pkg.empty();
  if (!from_purl) {
    // Without a purl the rpm epoch is only in the metadata; write it the way purls and Trivy do.
    std::string version = m.version;
    if (!m.epoch.empty() && m.epoch != "0" && version.find(':') == std::string::npos) version = m.epoch + ":" + version;
    pkg = PackageId{CanonicalEcosystem(m.type), m.name, version};
  }
  if (pkg.version.empty()) pkg.version = m.version;
  std::string path = m.paths.empty() ? "" : m.paths[0];
  f.fingerprint = VulnFingerprint(m.id, pkg);
  if (!from_purl) f.fingerprint = FingerprintOf({"grype-location", f.fingerprint.Hex(), path});

  f.generator_id = m.matcher.empty() ? "grype" : "grype/" + m.matcher;
  f.title = m.id + " in " + m.name + (m.version.empty() ? "" : " " + m.version);
  f.description = !Trim(m.description).empty()    ? Trim(m.description)
                  : !m.related_description.empty() ? m.related_description
                                                   : m.id + " affects " + m.name + " " + m.version + " (" + m.type + ")";
  SetSeverity(f, m.severity);

  std::string fixed;
  for (const auto& fv : m.fix_versions) fixed += (fixed.empty() ? "" : ", ") + fv;
  std::string state = ToLower(Trim(m.fix_state));
  if (!fixed.empty()) f.remediation_text = "Upgrade " + m.name + " to " + fixed + ".";
  f.source_url = !m.data_source.empty() ? m.data_source : m.urls.empty() ? "" : m.urls[0];
  f.location.file_path = path;

  Vulnerability vuln;
  vuln.id = m.id;
  VulnerablePackage p;
  p.name = m.name;
  p.version = m.version;
  p.epoch = m.epoch;
  p.architecture = m.arch;
  p.package_manager = m.type;
  p.file_path = path;
  p.fixed_in_version = fixed;
  p.purl = m.purl;
  vuln.vulnerable_packages.push_back(std::move(p));
  vuln.cvss = m.cvss;
  for (const auto& u : m.urls) {  // Grype repeats URLs it got from several sources
    if (std::find(vuln.reference_urls.begin(), vuln.reference_urls.end(), u) == vuln.reference_urls.end()) {
      vuln.reference_urls.push_back(u);
    }
  }
  for (const auto& id : m.related_ids) {  // the NVD record of the id itself is listed too
    if (!EqualsIgnoreCase(Trim(id), Trim(m.id))) vuln.related_vulnerabilities.push_back(id);
  }
  if (state == "fixed" || (!fixed.empty() && state != "not-fixed" && state != "wont-fix")) vuln.fix_available = "YES";
  else if (state == "not-fixed" || state == "wont-fix") vuln.fix_available = "NO";
  if (!m.vuln_namespace.empty()) {
    vuln.vendor_name = m.vuln_namespace;
    vuln.vendor_url = m.data_source;
    vuln.vendor_severity = m.severity;
  }
  // Exploitation data (the vulnerability's entries and its aliases'): the highest EPSS score
  // with its percentile and date; listed in KEV when any entry is.
  ExploitInfo& ex = vuln.exploit;
  for (const auto& e : m.epss_entries) {
    double score = -1, pct = -1;
    if (!exploit::ParseUnit(e.score, &score) || score <= ex.epss) continue;
    ex.epss = score;
    ex.epss_percentile = exploit::ParseUnit(e.percentile, &pct) ? pct : -1;
    ex.epss_date = exploit::DateOrEmpty(e.date);
  }
  for (const auto& k : m.kev_entries) {
    exploit::AddKevListing(ex, k.date_added, k.due_date, exploit::RansomwareFlag(k.ransomware));
  }
  f.vulnerabilities.push_back(std::move(vuln));

  auto pf = [&f](const char* k, const std::string& val) {
    if (!Trim(val).empty()) f.product_fields[std::string("grype/") + k] = val;
  };
  pf("GrypeVersion", c.grype_version);
  pf("Distro", c.distro);
  pf("Namespace", m.vuln_namespace);
  pf("FixState", m.fix_state);
  if (!m.epss.empty()) {  // the entry for this id, else the first
    const auto* e = &m.epss[0];
    for (const auto& x : m.epss) {
      if (EqualsIgnoreCase(x[0], m.id)) {
        e = &x;
        break;
      }
    }
    pf("EpssScore", (*e)[1]);
    pf("EpssPercentile", (*e)[2]);
  }
  pf("Risk", m.risk);
  pf("KnownExploited", m.known_exploited);
  pf("Matcher", m.matcher);
  pf("MatchType", m.match_type);
  pf("Purl", m.purl);
  pf("ArtifactType", m.type);
  pf("Language", m.language);
  if (m.paths.size() > 1) {
    std::string all;
    for (const auto& lp : m.paths) all += (all.empty() ? "" : ", ") + lp;
    pf("Locations", all);
  }

  Resource r;
  if (c.source.type == "image") {
    r.type = "Container";
    r.id = !c.source.target.empty() ? c.source.target : !c.source.image_id.empty() ? c.source.image_id : "image";
    r.details_other["ImageName"] = c.source.target;
    r.details_other["ImageId"] = c.source.image_id;
    r.details_other["ManifestDigest"] = c.source.manifest_digest;
    r.details_other["Os"] = c.distro;
    r.details_other["Path"] = path;
    r.details_other["LayerId"] = m.layers.empty() ? "" : m.layers[0];
  } else {
    r.id = !path.empty() ? path : !c.source.target.empty() ? c.source.target : m.name;
    r.details_other["SourceType"] = c.source.type;
    r.details_other["SourceTarget"] = c.source.target;
  }
  f.resources.push_back(std::move(r));
  return sink.Accept(std::move(f));
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  // Pass 1: the report-wide members, which follow "matches" in every Grype version; the
  // matches are skipped over the structural index without being read.
  Context c;
  bool saw_matches = false;
  {
    od::object root;
    if (auto ec = rep.doc().get_object().get(root)) {
      return rep.Malformed(ec == simdjson::INCORRECT_TYPE ? "expected a Grype JSON object" : "cannot parse JSON", ec);
    }
    for (auto field : root) {
      std::string_view key;
      if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
      od::value fv;
      if (auto ec = field.value().get(fv)) return rep.Malformed("bad value", ec);
      if (key == "matches") {
        saw_matches = true;
      } else if (key == "source") {
        FINDEX_RETURN_IF_ERROR(ReadSource(rep, fv, &c.source));
      } else if (key == "distro") {
        std::string name, version;
        bool obj = false;
        FINDEX_RETURN_IF_ERROR(ForEachMember(rep, fv, &obj, [&](std::string_view dk, od::value x) -> Status {
          if (dk == "name") ReadString(x, &name);
          else if (dk == "version") ReadString(x, &version);
          return Status::Ok();
        }));
        c.distro = Trim(name + " " + version);
      } else if (key == "descriptor") {
        bool obj = false;
        FINDEX_RETURN_IF_ERROR(ForEachMember(rep, fv, &obj, [&](std::string_view dk, od::value x) -> Status {
          if (dk == "version") ReadString(x, &c.grype_version);
          return Status::Ok();
        }));
      }
    }
    // Reaching the end verifies the whole document: a truncated file fails here.
    FINDEX_RETURN_IF_ERROR(rep.Finish());
  }
  if (!saw_matches) return MakeError(ErrorCode::kSchema, "not a Grype report: no \"matches\"", src.path());
  if (!c.source.target.empty()) sink.AddTarget(c.source.target);

  // Pass 2: the matches, one finding each.
  rep.doc().rewind();
  od::object root;
  if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("expected a Grype JSON object", ec);
  for (auto field : root) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
    if (key != "matches") continue;
    od::value fv;
    if (auto ec = field.value().get(fv)) return rep.Malformed("bad value", ec);
    bool is_array = true;
    FINDEX_RETURN_IF_ERROR(ForEachElement(rep, fv, &is_array, [&](size_t i, od::value ev) -> Status {
      RawMatch m;
      m.offset = rep.OffsetOf(ev);
      m.where = "matches[" + std::to_string(i) + "]";
      FINDEX_RETURN_IF_ERROR(ReadMatch(rep, ev, &m));
      if (!m.reason.empty()) {
        sink.AddReject(rep.RejectAt(m.offset, m.where, m.reason));
        return Status::Ok();
      }
      return Emit(c, m, sink);
    }));
    if (!is_array) return MakeError(ErrorCode::kSchema, "\"matches\" is not an array", src.path());
  }
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& GrypeFormat() {
  static const FormatDescriptor kDesc{"grype", "grype", "Grype -o json (0.7 to 0.96)", kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
