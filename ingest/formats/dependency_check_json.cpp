// OWASP Dependency-Check JSON report (`--format JSON`, reportSchema 1.1; template
// core/src/main/resources/templates/jsonReport.vsl):
//   {"reportSchema": "1.1",
//    "scanInfo": {"engineVersion", "dataSource": [...], "analysisExceptions"?: [...]},
//    "projectInfo": {"name", "groupID"?, "artifactID"?, "version"?, "reportDate", "credits"},
//    "dependencies": [{"isVirtual", "fileName", "filePath", "md5", "sha1", "sha256",
//        "description", "license", "projectReferences", "relatedDependencies": [{"fileName",
//        "filePath", ..., "packageIds": [{"id"}]}], "evidenceCollected", "packages": [{"id",
//        "confidence"}], "vulnerabilityIds": [{"id", "confidence"}],
//        "vulnerabilities": [V], "suppressedVulnerabilities": [V]}]}
//   V = {"source", "name", "unscored"?, "severity", "knownExploitedVulnerability"?, "cvssv2"?,
//        "cvssv3"?, "cvssv4"?, "cwes", "description", "notes", "references": [{"source",
//        "url", "name"}], "vulnerableSoftware": [{"software": {"id", "vulnerabilityIdMatched",
//        "versionEndExcluding", ...}}]}
//
// The mapping (findings, severity, identity) is shared with the XML report and documented in
// dependency_check_common.cpp. Here: a dependency or vulnerability whose fields have an
// impossible type (an object where a string belongs, a vulnerability that is not an object)
// is a reject and the rest of the file is read. Dependency-Check writes scanInfo and
// projectInfo before dependencies; a file with another key order is read in two passes so that
// every finding carries the project fields. analysisExceptions are scan errors, not findings,
// and are skipped.
// Target (what the report scanned, for resolution by absence): projectInfo "name" (the
// --project given to dependency-check, XML <projectInfo><name> alike); none when absent.
#include <utility>

#include "ingest/formats/dependency_check_common.h"
#include "ingest/json_util.h"
#include "normalize/text.h"

namespace findex {
namespace {

using dc::TrimView;
using simdjson::error_code;
using simdjson::SUCCESS;

constexpr std::string_view kExt[] = {".json"};
constexpr std::string_view kFormat = "dependency-check-json";

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || h[0] != '{') return SniffConfidence::kNo;
  bool schema = HeadHas(h, "\"reportSchema\"");
  bool scan = HeadHas(h, "\"scanInfo\"");
  bool engine = HeadHas(h, "\"engineVersion\"");
  bool deps = HeadHas(h, "\"dependencies\"");
  bool project = HeadHas(h, "\"projectInfo\"");
  if (schema && (scan || engine || deps)) return SniffConfidence::kCertain;
  if (scan && engine && (deps || project)) return SniffConfidence::kLikely;
  return SniffConfidence::kNo;
}

// Errors that concern one value (it has another type than expected): the record is rejected.
// Every other error means the document itself is broken.
bool IsRecordError(error_code ec) {
  return ec == simdjson::INCORRECT_TYPE || ec == simdjson::NUMBER_ERROR || ec == simdjson::NUMBER_OUT_OF_RANGE;
}

void SetBad(std::string* bad, std::string reason) {
  if (bad->empty()) *bad = std::move(reason);
}

// A scalar as text: strings unescaped, numbers and booleans as written, null as "". False for
// objects and arrays.
bool ReadView(od::value v, std::string_view* out) {
  od::json_type t;
  if (v.type().get(t)) return false;
  switch (t) {
    case od::json_type::string:
      return v.get_string().get(*out) == SUCCESS;
    case od::json_type::number:
    case od::json_type::boolean:
      *out = TrimView(v.raw_json_token());
      return true;
    case od::json_type::null:
      *out = {};
      return true;
    default:
      return false;
  }
}

void Scalar(od::value v, std::string_view* out, std::string_view what, std::string* bad) {
  if (!ReadView(v, out)) SetBad(bad, std::string(what) + " is not a string");
}

template <typename Fn>
error_code ForEachField(od::object obj, Fn&& fn) {
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return ec;
    od::value v;
    if (auto ec = field.value().get(v)) return ec;
    if (auto ec = fn(key, v)) return ec;
  }
  return SUCCESS;
}

template <typename Fn>
error_code ForEachElement(od::array arr, Fn&& fn) {
  size_t i = 0;
  for (auto el : arr) {
    od::value v;
    if (auto ec = el.get(v)) return ec;
    if (auto ec = fn(i++, v)) return ec;
  }
  return SUCCESS;
}

// Object or array of a field: *ok false when null (absent) or of another type (then `bad`).
error_code GetObject(od::value v, od::object* out, bool* ok, std::string_view what, std::string* bad) {
  *ok = false;
  if (IsNull(v)) return SUCCESS;
  error_code ec = v.get_object().get(*out);
  if (ec == SUCCESS) {
    *ok = true;
    return SUCCESS;
  }
  if (!IsRecordError(ec)) return ec;
  SetBad(bad, std::string(what) + " is not an object");
  return SUCCESS;
}

error_code GetArray(od::value v, od::array* out, bool* ok, std::string_view what, std::string* bad) {
  *ok = false;
  if (IsNull(v)) return SUCCESS;
  error_code ec = v.get_array().get(*out);
  if (ec == SUCCESS) {
    *ok = true;
    return SUCCESS;
  }
  if (!IsRecordError(ec)) return ec;
  SetBad(bad, std::string(what) + " is not an array");
  return SUCCESS;
}

error_code ReadStrings(od::value v, std::vector<std::string_view>* out, std::string_view what, std::string* bad) {
  od::array arr;
  bool ok;
  if (auto ec = GetArray(v, &arr, &ok, what, bad); ec || !ok) return ec;
  return ForEachElement(arr, [&](size_t, od::value el) -> error_code {
    std::string_view s;
    if (!ReadView(el, &s)) SetBad(bad, std::string(what) + " holds a non-string");
    else out->push_back(s);
    return SUCCESS;
  });
}

// [{"id", "confidence"?, "url"?, ...}]: packages, vulnerabilityIds, packageIds.
error_code ReadIdents(od::value v, std::vector<dc::Ident>* out, std::string_view what, std::string* bad) {
  od::array arr;
  bool ok;
  if (auto ec = GetArray(v, &arr, &ok, what, bad); ec || !ok) return ec;
  return ForEachElement(arr, [&](size_t, od::value el) -> error_code {
    od::object o;
    bool is_obj;
    if (auto ec = GetObject(el, &o, &is_obj, std::string(what) + " entry", bad); ec || !is_obj) return ec;
    dc::Ident id;
    if (auto ec = ForEachField(o, [&](std::string_view key, od::value f) -> error_code {
          if (key == "id") Scalar(f, &id.id, std::string(what) + ".id", bad);
          else if (key == "confidence") Scalar(f, &id.confidence, std::string(what) + ".confidence", bad);
          return SUCCESS;
        }))
      return ec;
    if (!TrimView(id.id).empty()) out->push_back(id);
    return SUCCESS;
  });
}

error_code ReadCvss(od::value v, dc::CvssBlock* b, std::string_view what, std::string* bad) {
  od::object o;
  bool ok;
  if (auto ec = GetObject(v, &o, &ok, what, bad); ec || !ok) return ec;
  b->present = true;
  return ForEachField(o, [&](std::string_view key, od::value f) -> error_code {
    std::string_view* dst = dc::CvssSlot(*b, key);
    if (dst && !ReadView(f, dst)) SetBad(bad, std::string(what) + "." + std::string(key) + " is not a scalar");
    return SUCCESS;
  });
}

error_code ReadReferences(od::value v, dc::Vuln* vu) {
  od::array arr;
  bool ok;
  if (auto ec = GetArray(v, &arr, &ok, "references", &vu->bad); ec || !ok) return ec;
  return ForEachElement(arr, [&](size_t, od::value el) -> error_code {
    od::object o;
    bool is_obj;
    if (auto ec = GetObject(el, &o, &is_obj, "references entry", &vu->bad); ec || !is_obj) return ec;
    return ForEachField(o, [&](std::string_view key, od::value f) -> error_code {
      if (key != "url") return SUCCESS;
      std::string_view url;
      Scalar(f, &url, "references.url", &vu->bad);
      if (!TrimView(url).empty()) vu->reference_urls.push_back(url);
      return SUCCESS;
    });
  });
}

// [{"software": {"id", "vulnerabilityIdMatched"?, "versionEndExcluding"?, ...}}]
error_code ReadSoftware(od::value v, dc::Vuln* vu) {
  od::array arr;
  bool ok;
  if (auto ec = GetArray(v, &arr, &ok, "vulnerableSoftware", &vu->bad); ec || !ok) return ec;
  return ForEachElement(arr, [&](size_t, od::value el) -> error_code {
    od::object o;
    bool is_obj;
    if (auto ec = GetObject(el, &o, &is_obj, "vulnerableSoftware entry", &vu->bad); ec || !is_obj) return ec;
    std::string_view id, matched, end_excl;
    auto read_sw = [&](std::string_view key, od::value f) -> error_code {
      if (key == "id") Scalar(f, &id, "vulnerableSoftware.id", &vu->bad);
      else if (key == "vulnerabilityIdMatched" || key == "matched") Scalar(f, &matched, "vulnerableSoftware.matched", &vu->bad);
      else if (key == "versionEndExcluding") Scalar(f, &end_excl, "vulnerableSoftware.versionEndExcluding", &vu->bad);
      return SUCCESS;
    };
    if (auto ec = ForEachField(o, [&](std::string_view key, od::value f) -> error_code {
          if (key != "software") return read_sw(key, f);
          od::json_type t;
          if (f.type().get(t) == SUCCESS && t == od::json_type::string) {
            Scalar(f, &id, "vulnerableSoftware.software", &vu->bad);
            return SUCCESS;
          }
          od::object sw;
          bool sw_ok;
          if (auto ec = GetObject(f, &sw, &sw_ok, "vulnerableSoftware.software", &vu->bad); ec || !sw_ok) return ec;
          return ForEachField(sw, read_sw);
        }))
      return ec;
    vu->AddSoftware(id, EqualsIgnoreCase(TrimView(matched), "true"), end_excl);
    return SUCCESS;
  });
}

error_code ReadKev(od::value v, dc::Vuln* vu) {
  od::object o;
  bool ok;
  if (auto ec = GetObject(v, &o, &ok, "knownExploitedVulnerability", &vu->bad); ec || !ok) return ec;
  vu->kev = true;
  return ForEachField(o, [&](std::string_view key, od::value f) -> error_code {
    std::string_view* dst = nullptr;
    if (EqualsIgnoreCase(key, "DateAdded")) dst = &vu->kev_date_added;
    else if (EqualsIgnoreCase(key, "DueDate")) dst = &vu->kev_due_date;
    else if (EqualsIgnoreCase(key, "RequiredAction")) dst = &vu->kev_required_action;
    if (dst) Scalar(f, dst, "knownExploitedVulnerability." + std::string(key), &vu->bad);
    return SUCCESS;
  });
}

error_code ReadVuln(JsonReport& rep, od::value vv, dc::Vuln* v) {
  v->offset = rep.OffsetOf(vv);
  od::object o;
  bool ok;
  if (auto ec = GetObject(vv, &o, &ok, "vulnerability", &v->bad)) return ec;
  if (!ok) {
    SetBad(&v->bad, "vulnerability is null");
    return SUCCESS;
  }
  return ForEachField(o, [&](std::string_view key, od::value f) -> error_code {
    if (key == "source") Scalar(f, &v->source, "source", &v->bad);
    else if (key == "name") Scalar(f, &v->name, "name", &v->bad);
    else if (key == "severity") Scalar(f, &v->severity, "severity", &v->bad);
    else if (key == "unscored") {
      std::string_view s;
      Scalar(f, &s, "unscored", &v->bad);
      v->unscored = EqualsIgnoreCase(TrimView(s), "true");
    } else if (key == "description") Scalar(f, &v->description, "description", &v->bad);
    else if (key == "notes") Scalar(f, &v->notes, "notes", &v->bad);
    else if (key == "cvssv2") return ReadCvss(f, &v->v2, "cvssv2", &v->bad);
    else if (key == "cvssv3") return ReadCvss(f, &v->v3, "cvssv3", &v->bad);
    else if (key == "cvssv4") return ReadCvss(f, &v->v4, "cvssv4", &v->bad);
    else if (key == "cwes") return ReadStrings(f, &v->cwes, "cwes", &v->bad);
    else if (key == "references") return ReadReferences(f, v);
    else if (key == "vulnerableSoftware") return ReadSoftware(f, v);
    else if (key == "knownExploitedVulnerability") return ReadKev(f, v);
    return SUCCESS;
  });
}

error_code ReadVulns(JsonReport& rep, od::value v, bool suppressed, std::vector<dc::Vuln>* out, std::string* bad) {
  od::array arr;
  bool ok;
  std::string_view what = suppressed ? "suppressedVulnerabilities" : "vulnerabilities";
  if (auto ec = GetArray(v, &arr, &ok, what, bad); ec || !ok) return ec;
  return ForEachElement(arr, [&](size_t, od::value el) -> error_code {
    dc::Vuln& vu = out->emplace_back();
    vu.suppressed = suppressed;
    return ReadVuln(rep, el, &vu);
  });
}

error_code ReadRelated(od::value v, std::vector<dc::Entry>* out, std::string* bad) {
  od::array arr;
  bool ok;
  if (auto ec = GetArray(v, &arr, &ok, "relatedDependencies", bad); ec || !ok) return ec;
  return ForEachElement(arr, [&](size_t, od::value el) -> error_code {
    od::object o;
    bool is_obj;
    if (auto ec = GetObject(el, &o, &is_obj, "relatedDependencies entry", bad); ec || !is_obj) return ec;
    dc::Entry& e = out->emplace_back();
    return ForEachField(o, [&](std::string_view key, od::value f) -> error_code {
      if (key == "isVirtual") {
        std::string_view s;
        Scalar(f, &s, "relatedDependencies.isVirtual", bad);
        e.is_virtual = s == "true";
      } else if (key == "fileName") Scalar(f, &e.file_name, "relatedDependencies.fileName", bad);
      else if (key == "filePath") Scalar(f, &e.file_path, "relatedDependencies.filePath", bad);
      else if (key == "md5") Scalar(f, &e.md5, "relatedDependencies.md5", bad);
      else if (key == "sha1") Scalar(f, &e.sha1, "relatedDependencies.sha1", bad);
      else if (key == "sha256") Scalar(f, &e.sha256, "relatedDependencies.sha256", bad);
      else if (key == "packageIds" || key == "packages") return ReadIdents(f, &e.packages, "relatedDependencies.packageIds", bad);
      return SUCCESS;
    });
  });
}

error_code ReadDependency(JsonReport& rep, od::value dv, dc::Dependency* d) {
  od::object o;
  bool ok;
  if (auto ec = GetObject(dv, &o, &ok, "dependency", &d->bad)) return ec;
  if (!ok) {
    SetBad(&d->bad, "dependency is null");
    return SUCCESS;
  }
  dc::Entry& m = d->main;
  return ForEachField(o, [&](std::string_view key, od::value f) -> error_code {
    if (key == "isVirtual") {
      std::string_view s;
      Scalar(f, &s, "isVirtual", &d->bad);
      m.is_virtual = s == "true";
    } else if (key == "fileName") Scalar(f, &m.file_name, "fileName", &d->bad);
    else if (key == "filePath") Scalar(f, &m.file_path, "filePath", &d->bad);
    else if (key == "md5") Scalar(f, &m.md5, "md5", &d->bad);
    else if (key == "sha1") Scalar(f, &m.sha1, "sha1", &d->bad);
    else if (key == "sha256") Scalar(f, &m.sha256, "sha256", &d->bad);
    else if (key == "description") Scalar(f, &d->description, "description", &d->bad);
    else if (key == "license") Scalar(f, &d->license, "license", &d->bad);
    else if (key == "projectReferences") return ReadStrings(f, &d->project_refs, "projectReferences", &d->bad);
    else if (key == "relatedDependencies") return ReadRelated(f, &d->related, &d->bad);
    else if (key == "packages") return ReadIdents(f, &m.packages, "packages", &d->bad);
    else if (key == "vulnerabilityIds") return ReadIdents(f, &d->cpes, "vulnerabilityIds", &d->bad);
    else if (key == "vulnerabilities") return ReadVulns(rep, f, false, &d->vulns, &d->bad);
    else if (key == "suppressedVulnerabilities") return ReadVulns(rep, f, true, &d->suppressed, &d->bad);
    return SUCCESS;
  });
}

// Rejects the vulnerabilities that fail CheckVuln and removes them from `list`.
void FilterVulns(const JsonReport& rep, size_t dep_index, std::string_view what, std::vector<dc::Vuln>* list,
                 FindingSink& sink) {
  size_t keep = 0;
  for (size_t j = 0; j < list->size(); ++j) {
    dc::Vuln& v = (*list)[j];
    std::string reason = dc::CheckVuln(v);
    if (!reason.empty()) {
      std::string where = "dependencies[" + std::to_string(dep_index) + "]." + std::string(what) + "[" + std::to_string(j) + "]";
      sink.AddReject(rep.RejectAt(v.offset, std::move(where), std::move(reason)));
      continue;
    }
    if (keep != j) (*list)[keep] = std::move(v);
    ++keep;
  }
  list->resize(keep);
}

Status ReadDependencies(JsonReport& rep, od::value v, const dc::ReportInfo& info, FindingSink& sink) {
  od::array arr;
  if (auto ec = v.get_array().get(arr)) {
    if (IsRecordError(ec)) {
      if (IsNull(v)) return Status::Ok();
      return MakeError(ErrorCode::kSchema, "not a Dependency-Check report: \"dependencies\" is not an array",
                       rep.source().path());
    }
    return rep.Malformed("bad \"dependencies\"", ec);
  }
  dc::Dependency dep;
  size_t i = 0;
  for (auto el : arr) {
    od::value dv;
    if (auto ec = el.get(dv)) return rep.Malformed("bad dependency", ec);
    dep.Clear();
    uint64_t offset = rep.OffsetOf(dv);
    if (auto ec = ReadDependency(rep, dv, &dep)) return rep.Malformed("bad dependency", ec);
    if (!dep.bad.empty()) {
      sink.AddReject(rep.RejectAt(offset, "dependencies[" + std::to_string(i) + "]", dep.bad));
      ++i;
      continue;
    }
    FilterVulns(rep, i, "vulnerabilities", &dep.vulns, sink);
    FilterVulns(rep, i, "suppressedVulnerabilities", &dep.suppressed, sink);
    FINDEX_RETURN_IF_ERROR(dc::EmitDependency(info, dep, sink));
    ++i;
  }
  return Status::Ok();
}

// scanInfo / projectInfo: metadata copied into every finding; a wrong type only loses it.
error_code ReadInfo(od::value v, bool project, dc::ReportInfo* info) {
  od::object o;
  if (v.get_object().get(o)) return SUCCESS;
  return ForEachField(o, [&](std::string_view key, od::value f) -> error_code {
    std::string* dst = nullptr;
    if (!project && key == "engineVersion") dst = &info->engine_version;
    else if (project && key == "name") dst = &info->project_name;
    else if (project && key == "groupID") dst = &info->group_id;
    else if (project && key == "artifactID") dst = &info->artifact_id;
    else if (project && key == "version") dst = &info->project_version;
    std::string_view s;
    if (dst && ReadView(f, &s)) dst->assign(TrimView(s));
    return SUCCESS;
  });
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  od::object root;
  if (auto ec = rep.doc().get_object().get(root)) {
    if (ec == simdjson::INCORRECT_TYPE) {
      return MakeError(ErrorCode::kSchema, "not a Dependency-Check report: the JSON is not an object", src.path());
    }
    return rep.Malformed("malformed JSON", ec);
  }
  dc::ReportInfo info;
  info.format = std::string(kFormat);
  bool known = false, scan_seen = false, project_seen = false, deferred = false;
  for (auto field : root) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
    od::value v;
    if (auto ec = field.value().get(v)) return rep.Malformed("bad value", ec);
    if (key == "reportSchema") {
      known = true;
    } else if (key == "scanInfo" || key == "projectInfo") {
      known = true;
      bool project = key == "projectInfo";
      (project ? project_seen : scan_seen) = true;
      if (auto ec = ReadInfo(v, project, &info)) return rep.Malformed("bad " + std::string(key), ec);
      if (project && !info.project_name.empty()) sink.AddTarget(info.project_name);  // target: the project
    } else if (key == "dependencies") {
      known = true;
      if (scan_seen && project_seen) {
        FINDEX_RETURN_IF_ERROR(ReadDependencies(rep, v, info, sink));
      } else {
        deferred = true;  // skipped now, read after the metadata that follows it
      }
    }
  }
  if (deferred) {
    rep.doc().rewind();
    if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("cannot re-read the report", ec);
    for (auto field : root) {
      std::string_view key;
      if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
      if (key != "dependencies") continue;
      od::value v;
      if (auto ec = field.value().get(v)) return rep.Malformed("bad value", ec);
      FINDEX_RETURN_IF_ERROR(ReadDependencies(rep, v, info, sink));
    }
  }
  // Reaching the end verifies the whole document: a truncated file fails here.
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  if (!known) {
    return MakeError(ErrorCode::kSchema,
                     "not a Dependency-Check report: no \"reportSchema\", \"scanInfo\", \"projectInfo\" or \"dependencies\"",
                     src.path());
  }
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& DependencyCheckJsonFormat() {
  static const FormatDescriptor kDesc{kFormat, "dependency-check", "OWASP Dependency-Check JSON report (reportSchema 1.1)",
                                      kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
