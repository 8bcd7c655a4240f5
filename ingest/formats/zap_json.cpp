// OWASP ZAP "Traditional JSON" report (zap-json), ZAP 2.7 to 2.16, weekly and dev builds, and
// "Traditional JSON Plus" (instances with request/response headers and bodies, not kept):
//   {"@programName": "ZAP" (2.12+), "@version": "2.14.0" | "D-2021-03-29" | "Dev Build",
//    "@generated": "<localized date>", "created"?,
//    "site": [{"@name", "@host", "@port", "@ssl",
//              "alerts": [{"pluginid", "alertRef"?, "alert", "name", "riskcode", "confidence",
//                          "riskdesc", "desc", "instances": [{"uri", "method", "param", "attack",
//                          "evidence", "otherinfo"?, ...}], "count", "solution", "otherinfo",
//                          "reference", "cweid", "wascid", "sourceid", "tags"?, "systemic"?}]}]}
// Values are strings in every version; numbers are accepted too. ZAP 2.7.0 wrote "site" as a
// bare object when there was one site (zaproxy issue 5162) and its XML-to-JSON conversion can
// wrap children ("alerts": {"alertitem": ...}, "instances": {"instance": ...}): all accepted.
//
// One finding per (site, alert). Severity, confidence and identity: see zap_common.cpp (shared
// with zap-xml so that both reports of one scan give the same findings and fingerprints).
// Rejects: an alert that is not an object, has neither pluginid nor name, has an invalid
// riskcode, or a field of an impossible type (object where a string is expected).
//
// Fields are read in document order in one pass; instances past the 32nd are counted, not read.
#include <vector>

#include "ingest/formats/zap_common.h"
#include "ingest/json_util.h"

namespace findex {
namespace {

using zap::Alert;
using zap::Instance;
using zap::ReportInfo;
using zap::Site;

constexpr std::string_view kExt[] = {".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || h[0] != '{') return SniffConfidence::kNo;
  bool site = HeadHas(h, "\"site\"");
  bool generated = HeadHas(h, "\"@generated\"");
  bool program = HeadHas(h, "\"@programName\"");
  bool version = HeadHas(h, "\"@version\"");
  if (site && (generated || program)) return SniffConfidence::kCertain;
  if (site && version) return SniffConfidence::kLikely;
  return SniffConfidence::kNo;
}

// A scalar as a view: strings unescaped (view into the parser's buffer, valid for the
// document), numbers and booleans as their JSON text, null as "". INCORRECT_TYPE for objects
// and arrays; any other error is a malformed document.
simdjson::error_code View(od::value v, std::string_view* out) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  switch (t) {
    case od::json_type::string:
      return v.get_string().get(*out);
    case od::json_type::number:
    case od::json_type::boolean:
      *out = zap::TrimView(v.raw_json_token());
      return simdjson::SUCCESS;
    case od::json_type::null:
      *out = {};
      return simdjson::SUCCESS;
    default:
      return simdjson::INCORRECT_TYPE;
  }
}

class Reader {
 public:
  Reader(JsonReport& rep, FindingSink& sink, std::string_view format) : rep_(rep), sink_(sink) {
    info_.format = format;
  }

  Status Run();

 private:
  Status ReadSite(od::value sv, size_t site_index);
  Status ReadAlerts(od::value v, const Site& site, bool site_known, size_t site_index, size_t* alert_index);
  Status ReadAlert(od::value av, const Site& site, bool site_known, size_t site_index, size_t alert_index);
  Status ReadAlertFields(od::object obj);
  Status ReadInstances(od::value v);
  Status ReadInstance(od::value v);
  Status ReadTags(od::value v);
  // Stores a field into *slot; a wrong type marks the alert bad (rejected), not the file.
  Status Scalar(od::value v, std::string_view key, std::string_view* slot);
  Status Emit(const Alert& a, const Site& site);

  JsonReport& rep_;
  FindingSink& sink_;
  ReportInfo info_;
  Alert alert_;                 // reused across alerts (keeps its instance capacity)
  std::vector<Alert> pending_;  // alerts read before their site's @name (unusual key order)
};

Status Reader::Scalar(od::value v, std::string_view key, std::string_view* slot) {
  auto ec = View(v, slot);
  if (ec == simdjson::INCORRECT_TYPE) {
    if (alert_.bad.empty()) alert_.bad = "\"" + std::string(key) + "\" is not a string";
    return Status::Ok();
  }
  if (ec) return rep_.Malformed("bad value", ec);
  return Status::Ok();
}

Status Reader::Emit(const Alert& a, const Site& site) {
  Finding f;
  std::string reason = zap::MakeFinding(a, site, info_, &f);
  if (!reason.empty()) {
    sink_.AddReject(rep_.RejectAt(a.offset, zap::AlertWhere(a.site_index, a.alert_index), std::move(reason)));
    return Status::Ok();
  }
  return sink_.Accept(std::move(f));
}

Status Reader::ReadInstance(od::value v) {
  if (alert_.instance_total >= zap::kMaxInstances) {
    ++alert_.instance_total;  // counted only; the iterator skips its content
    return Status::Ok();
  }
  od::object obj;
  if (auto ec = v.get_object().get(obj)) {
    if (ec != simdjson::INCORRECT_TYPE) return rep_.Malformed("bad instance", ec);
    if (alert_.bad.empty()) alert_.bad = "instances[" + std::to_string(alert_.instance_total) + "] is not an object";
    ++alert_.instance_total;
    return Status::Ok();
  }
  Instance in;
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep_.Malformed("bad key", ec);
    od::value fv;
    if (auto ec = field.value().get(fv)) return rep_.Malformed("bad value", ec);
    std::string_view* slot = key == "uri"         ? &in.uri
                             : key == "method"    ? &in.method
                             : key == "param"     ? &in.param
                             : key == "attack"    ? &in.attack
                             : key == "evidence"  ? &in.evidence
                             : key == "otherinfo" ? &in.otherinfo
                                                  : nullptr;
    if (slot) FINDEX_RETURN_IF_ERROR(Scalar(fv, key, slot));
    // request-header / request-body / response-* ("plus" reports), id, nodeName: skipped.
  }
  alert_.AddInstance(in);
  return Status::Ok();
}

Status Reader::ReadInstances(od::value v) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return rep_.Malformed("bad \"instances\"", ec);
  if (t == od::json_type::array) {
    od::array arr;
    if (auto ec = v.get_array().get(arr)) return rep_.Malformed("bad \"instances\"", ec);
    for (auto el : arr) {
      od::value iv;
      if (auto ec = el.get(iv)) return rep_.Malformed("bad instance", ec);
      FINDEX_RETURN_IF_ERROR(ReadInstance(iv));
    }
    return Status::Ok();
  }
  if (t == od::json_type::object) {
    // {"instance": [...] | {...}} from ZAP's old XML-to-JSON conversion.
    od::object obj;
    if (auto ec = v.get_object().get(obj)) return rep_.Malformed("bad \"instances\"", ec);
    for (auto field : obj) {
      std::string_view key;
      if (auto ec = field.unescaped_key().get(key)) return rep_.Malformed("bad key", ec);
      if (key != "instance") continue;
      od::value iv;
      if (auto ec = field.value().get(iv)) return rep_.Malformed("bad value", ec);
      od::json_type it;
      if (auto ec = iv.type().get(it)) return rep_.Malformed("bad \"instance\"", ec);
      FINDEX_RETURN_IF_ERROR(it == od::json_type::array ? ReadInstances(iv) : ReadInstance(iv));
    }
    return Status::Ok();
  }
  if (t == od::json_type::null) return Status::Ok();
  if (t == od::json_type::string) {
    std::string_view s;
    if (auto ec = v.get_string().get(s)) return rep_.Malformed("bad \"instances\"", ec);
    if (zap::TrimView(s).empty()) return Status::Ok();  // empty element converted to ""
  }
  if (alert_.bad.empty()) alert_.bad = "\"instances\" is not an array";
  return Status::Ok();
}

Status Reader::ReadTags(od::value v) {
  od::array arr;
  if (auto ec = v.get_array().get(arr)) {
    if (ec == simdjson::INCORRECT_TYPE) return Status::Ok();  // informative only
    return rep_.Malformed("bad \"tags\"", ec);
  }
  for (auto el : arr) {
    od::value tv;
    if (auto ec = el.get(tv)) return rep_.Malformed("bad tag", ec);
    od::object obj;
    if (auto ec = tv.get_object().get(obj)) {
      if (ec == simdjson::INCORRECT_TYPE) continue;
      return rep_.Malformed("bad tag", ec);
    }
    for (auto field : obj) {
      std::string_view key;
      if (auto ec = field.unescaped_key().get(key)) return rep_.Malformed("bad key", ec);
      if (key != "tag") continue;
      od::value fv;
      if (auto ec = field.value().get(fv)) return rep_.Malformed("bad value", ec);
      std::string_view name;
      auto ec = View(fv, &name);
      if (ec && ec != simdjson::INCORRECT_TYPE) return rep_.Malformed("bad tag", ec);
      name = zap::TrimView(name);
      if (ec || name.empty()) continue;
      if (!alert_.tags.empty()) alert_.tags += ',';
      alert_.tags += name;
    }
  }
  return Status::Ok();
}

Status Reader::ReadAlertFields(od::object obj) {
  Alert& a = alert_;
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep_.Malformed("bad key", ec);
    od::value v;
    if (auto ec = field.value().get(v)) return rep_.Malformed("bad value", ec);
    std::string_view* slot = nullptr;
    switch (key.empty() ? '\0' : key[0]) {
      case 'a':
        slot = key == "alert" ? &a.alert : key == "alertRef" ? &a.alert_ref : key == "attack" ? &a.legacy.attack : nullptr;
        break;
      case 'c':
        slot = key == "confidence" ? &a.confidence : key == "count" ? &a.count : key == "cweid" ? &a.cweid : nullptr;
        break;
      case 'd':
        slot = key == "desc" ? &a.desc : nullptr;
        break;
      case 'e':
        slot = key == "evidence" ? &a.legacy.evidence : nullptr;
        break;
      case 'i':
        if (key == "instances") FINDEX_RETURN_IF_ERROR(ReadInstances(v));
        break;
      case 'm':
        slot = key == "method" ? &a.legacy.method : nullptr;
        break;
      case 'n':
        slot = key == "name" ? &a.name : nullptr;
        break;
      case 'o':
        slot = key == "otherinfo" ? &a.otherinfo : nullptr;
        break;
      case 'p':
        slot = key == "pluginid" ? &a.pluginid : key == "param" ? &a.legacy.param : nullptr;
        break;
      case 'r':
        slot = key == "riskcode" ? &a.riskcode : key == "riskdesc" ? &a.riskdesc : key == "reference" ? &a.reference : nullptr;
        break;
      case 's':
        slot = key == "solution" ? &a.solution : key == "systemic" ? &a.systemic : nullptr;
        break;
      case 't':
        if (key == "tags") FINDEX_RETURN_IF_ERROR(ReadTags(v));
        break;
      case 'u':
        if (key == "uri") {
          slot = &a.legacy.uri;
          a.has_legacy = true;
        }
        break;
      case 'w':
        slot = key == "wascid" ? &a.wascid : nullptr;
        break;
      default:
        break;  // sourceid, confidencedesc, ...: not used
    }
    if (slot) FINDEX_RETURN_IF_ERROR(Scalar(v, key, slot));
  }
  return Status::Ok();
}

Status Reader::ReadAlert(od::value av, const Site& site, bool site_known, size_t site_index, size_t alert_index) {
  alert_.Clear();
  alert_.offset = rep_.OffsetOf(av);
  alert_.site_index = site_index;
  alert_.alert_index = alert_index;
  od::object obj;
  if (auto ec = av.get_object().get(obj)) {
    if (ec != simdjson::INCORRECT_TYPE) return rep_.Malformed("bad alert", ec);
    sink_.AddReject(rep_.MakeReject(av, zap::AlertWhere(site_index, alert_index), "alert is not an object"));
    return Status::Ok();
  }
  FINDEX_RETURN_IF_ERROR(ReadAlertFields(obj));
  if (!site_known) {
    pending_.push_back(alert_);
    return Status::Ok();
  }
  return Emit(alert_, site);
}

Status Reader::ReadAlerts(od::value v, const Site& site, bool site_known, size_t site_index, size_t* alert_index) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return rep_.Malformed("bad \"alerts\"", ec);
  if (t == od::json_type::array) {
    od::array arr;
    if (auto ec = v.get_array().get(arr)) return rep_.Malformed("bad \"alerts\"", ec);
    for (auto el : arr) {
      od::value av;
      if (auto ec = el.get(av)) return rep_.Malformed("bad alert", ec);
      FINDEX_RETURN_IF_ERROR(ReadAlert(av, site, site_known, site_index, (*alert_index)++));
    }
    return Status::Ok();
  }
  if (t == od::json_type::object) {
    // {"alertitem": [...] | {...}} from ZAP's old XML-to-JSON conversion.
    od::object obj;
    if (auto ec = v.get_object().get(obj)) return rep_.Malformed("bad \"alerts\"", ec);
    for (auto field : obj) {
      std::string_view key;
      if (auto ec = field.unescaped_key().get(key)) return rep_.Malformed("bad key", ec);
      if (key != "alertitem") continue;
      od::value iv;
      if (auto ec = field.value().get(iv)) return rep_.Malformed("bad value", ec);
      od::json_type it;
      if (auto ec = iv.type().get(it)) return rep_.Malformed("bad \"alertitem\"", ec);
      if (it == od::json_type::array) {
        FINDEX_RETURN_IF_ERROR(ReadAlerts(iv, site, site_known, site_index, alert_index));
      } else {
        FINDEX_RETURN_IF_ERROR(ReadAlert(iv, site, site_known, site_index, (*alert_index)++));
      }
    }
    return Status::Ok();
  }
  if (t == od::json_type::null) return Status::Ok();
  if (t == od::json_type::string) {
    std::string_view s;
    if (auto ec = v.get_string().get(s)) return rep_.Malformed("bad \"alerts\"", ec);
    if (zap::TrimView(s).empty()) return Status::Ok();
  }
  sink_.AddReject(rep_.MakeReject(v, "site[" + std::to_string(site_index) + "].alerts", "\"alerts\" is not an array"));
  return Status::Ok();
}

Status Reader::ReadSite(od::value sv, size_t site_index) {
  od::object obj;
  if (auto ec = sv.get_object().get(obj)) {
    if (ec != simdjson::INCORRECT_TYPE) return rep_.Malformed("bad site", ec);
    sink_.AddReject(rep_.MakeReject(sv, "site[" + std::to_string(site_index) + "]", "site is not an object"));
    return Status::Ok();
  }
  Site site;
  bool named = false;
  size_t alert_index = 0;
  pending_.clear();
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep_.Malformed("bad key", ec);
    od::value v;
    if (auto ec = field.value().get(v)) return rep_.Malformed("bad value", ec);
    std::string_view* slot = key == "@name"   ? &site.name
                             : key == "@host" ? &site.host
                             : key == "@port" ? &site.port
                             : key == "@ssl"  ? &site.ssl
                                              : nullptr;
    if (slot) {
      if (auto ec = View(v, slot); ec && ec != simdjson::INCORRECT_TYPE) return rep_.Malformed("bad value", ec);
      named |= (slot == &site.name);
    } else if (key == "alerts") {
      FINDEX_RETURN_IF_ERROR(ReadAlerts(v, site, named, site_index, &alert_index));
    }
  }
  for (const Alert& a : pending_) FINDEX_RETURN_IF_ERROR(Emit(a, site));
  pending_.clear();
  if (named && !zap::NormalizeSite(site.name).empty()) sink_.AddTarget(zap::NormalizeSite(site.name));
  return Status::Ok();
}

Status Reader::Run() {
  od::object root;
  if (auto ec = rep_.doc().get_object().get(root)) {
    if (ec == simdjson::INCORRECT_TYPE) {
      return MakeError(ErrorCode::kSchema, "not a ZAP JSON report: the top-level value is not an object",
                       rep_.source().path());
    }
    return rep_.Malformed("malformed or truncated JSON", ec);
  }
  bool saw_zap_key = false;
  for (auto field : root) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep_.Malformed("bad key", ec);
    if (key == "@version") {
      saw_zap_key = true;
      od::value v;
      if (auto ec = field.value().get(v)) return rep_.Malformed("bad value", ec);
      if (auto ec = View(v, &info_.version); ec && ec != simdjson::INCORRECT_TYPE) return rep_.Malformed("bad \"@version\"", ec);
    } else if (key == "@generated" || key == "@programName") {
      saw_zap_key = true;
    } else if (key == "site") {
      saw_zap_key = true;
      od::value v;
      if (auto ec = field.value().get(v)) return rep_.Malformed("bad value", ec);
      od::json_type t;
      if (auto ec = v.type().get(t)) return rep_.Malformed("bad \"site\"", ec);
      if (t == od::json_type::array) {
        od::array sites;
        if (auto ec = v.get_array().get(sites)) return rep_.Malformed("bad \"site\"", ec);
        size_t i = 0;
        for (auto el : sites) {
          od::value sv;
          if (auto ec = el.get(sv)) return rep_.Malformed("bad site", ec);
          FINDEX_RETURN_IF_ERROR(ReadSite(sv, i++));
        }
      } else if (t == od::json_type::object) {
        FINDEX_RETURN_IF_ERROR(ReadSite(v, 0));  // ZAP 2.7.0 with a single site
      } else if (t != od::json_type::null) {
        return MakeError(ErrorCode::kSchema, "not a ZAP JSON report: \"site\" is neither an array nor an object",
                         rep_.source().path());
      }
    }
  }
  // Reaching the end verifies the whole document: a truncated file fails here.
  FINDEX_RETURN_IF_ERROR(rep_.Finish());
  if (!saw_zap_key) {
    return MakeError(ErrorCode::kSchema, "not a ZAP JSON report: no \"site\", \"@version\" or \"@generated\"",
                     rep_.source().path());
  }
  return Status::Ok();
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  Reader reader(rep, sink, "zap-json");
  return reader.Run();
}

}  // namespace

const FormatDescriptor& ZapJsonFormat() {
  static const FormatDescriptor kDesc{"zap-json", "zap", "OWASP ZAP traditional JSON report (2.7 to 2.16, plus variant)",
                                      kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
