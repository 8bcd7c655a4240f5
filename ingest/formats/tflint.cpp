// TFLint `--format json` (https://github.com/terraform-linters/tflint, formatter/json.go: JSONIssue,
// JSONError, JSONRange; integrationtest/*/result.json are real outputs):
//   {"issues": [{"rule": {"name", "severity": "error"|"warning"|"notice"|"info", "link"},
//                "message", "range": {"filename", "start": {"line", "column"}, "end": {...}},
//                "callers": [range, ...], "fixable"?, "fixed"?}],
//    "errors": [{"summary"?, "message", "severity", "range"?: range}]}
//   nothing found: {"issues": [], "errors": []}.
// callers (module inspection) are the module calls through which an issue in a module was
// reached; they are kept in ProductFields.
//
// One finding per issue (rule + file + range). Severity: error -> HIGH, warning -> MEDIUM,
// notice (and info) -> LOW; anything else INFORMATIONAL.
// Identity: CodeFingerprint("tflint", rule.name, range.filename, anchor). TFLint's JSON names no
// resource, and its messages name the flagged value ("instance type is t1.micro", "`instance_type`
// variable has no type"), so the anchor is the message (whitespace collapsed) plus the ordinal of
// (rule, file, message) in report order, and the files of the callers when there are some (an
// issue in a module reached from two calls is two findings): line numbers are left out, so an
// issue that only moved keeps its identity. An issue repeated verbatim (same range, message and
// callers: TFLint repeats one per expanded dynamic block) is stored once.
// errors[]: each entry (a file TFLint could not load or evaluate, so no rule ran on it) is an
// INFORMATIONAL scan-gap finding "TFLint could not check <file>: <summary>", generator
// "tflint/scan-error", as for Bandit: CodeFingerprint("tflint", "scan-error", file, "") (the file
// is the gap; summary and message are content); an error without a range names the whole
// configuration: file "", anchor the summary. A repeated (file, anchor) is dropped.
// Types: "Software and Configuration Checks/<AWS Security Best Practices for aws_* rules, else
// Industry and Regulatory Standards>/TFLint".
#include <set>
#include <vector>

#include "ingest/formats/iac_common.h"
#include "ingest/json_util.h"
#include "ingest/scan_gap.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || h[0] != '{' || !HeadHas(h, "\"issues\"")) return SniffConfidence::kNo;
  if (HeadHas(h, "\"rule\"") && HeadHas(h, "\"range\"") && HeadHas(h, "\"filename\"") && HeadHas(h, "\"start\"")) {
    return SniffConfidence::kCertain;
  }
  if (HeadHas(h, "\"errors\"") && HeadHas(h, "\"summary\"") && HeadHas(h, "\"range\"")) return SniffConfidence::kCertain;
  // {"issues": [], "errors": [...]}: a clean run, or errors alone (an error without a range, such
  // as "Failed to load configurations", is just {"message", "severity"}).
  std::string compact;
  for (char c : h.substr(0, 64)) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact.push_back(c);
  }
  if (StartsWith(compact, "{\"issues\":[],\"errors\":[")) return SniffConfidence::kLikely;
  return SniffConfidence::kNo;
}

struct Range {
  std::string filename;
  int64_t start_line = 0, start_col = 0, end_line = 0, end_col = 0;
};

struct Issue {
  std::string rule, severity, link, message, fixable;
  Range range;
  std::vector<Range> callers;
};

SeverityLabel SeverityOf(std::string_view s) {
  if (EqualsIgnoreCase(s, "error")) return SeverityLabel::kHigh;
  if (EqualsIgnoreCase(s, "warning")) return SeverityLabel::kMedium;
  if (EqualsIgnoreCase(s, "notice") || EqualsIgnoreCase(s, "info")) return SeverityLabel::kLow;
  return SeverityLabel::kInformational;
}

Status ReadPos(JsonReport& rep, od::value v, int64_t* line, int64_t* col, bool* ok) {
  od::object obj;
  if (v.get_object().get(obj)) {
    *ok &= IsNull(v);
    return Status::Ok();
  }
  return ForEachField(rep, obj, [&](std::string_view key, od::value fv) -> Status {
    if (key == "line") *ok &= ReadOptionalInt(fv, line) != IntField::kBad;
    else if (key == "column") *ok &= ReadOptionalInt(fv, col) != IntField::kBad;
    return Status::Ok();
  });
}

Status ReadRange(JsonReport& rep, od::value v, Range* r, bool* ok) {
  od::object obj;
  if (v.get_object().get(obj)) {
    *ok &= IsNull(v);
    return Status::Ok();
  }
  return ForEachField(rep, obj, [&](std::string_view key, od::value fv) -> Status {
    if (key == "filename") *ok &= ReadString(fv, &r->filename);
    else if (key == "start") return ReadPos(rep, fv, &r->start_line, &r->start_col, ok);
    else if (key == "end") return ReadPos(rep, fv, &r->end_line, &r->end_col, ok);
    return Status::Ok();
  });
}

std::string RangeText(const Range& r) {
  std::string s = r.filename;
  if (r.start_line > 0) s += ":" + std::to_string(r.start_line) + ":" + std::to_string(r.start_col);
  if (r.end_line > 0) s += "-" + std::to_string(r.end_line) + ":" + std::to_string(r.end_col);
  return s;
}

Status ReadIssue(JsonReport& rep, od::value iv, size_t index, IacAnchors& anchors, FindingSink& sink) {
  std::string where = "issues[" + std::to_string(index) + "]";
  od::object obj;
  if (iv.get_object().get(obj)) {
    sink.AddReject(rep.MakeReject(iv, where, "issue is not an object"));
    return Status::Ok();
  }
  Issue is;
  bool ok = true;
  std::string bad;
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value v) -> Status {
    bool was_ok = ok;
    if (key == "message") ok &= ReadString(v, &is.message);
    else if (key == "fixable") ReadString(v, &is.fixable);
    else if (key == "range") FINDEX_RETURN_IF_ERROR(ReadRange(rep, v, &is.range, &ok));
    else if (key == "rule") {
      od::object rule;
      if (v.get_object().get(rule)) {
        ok = false;
      } else {
        FINDEX_RETURN_IF_ERROR(ForEachField(rep, rule, [&](std::string_view rk, od::value rv) -> Status {
          if (rk == "name") ok &= ReadString(rv, &is.rule);
          else if (rk == "severity") ok &= ReadString(rv, &is.severity);
          else if (rk == "link") ok &= ReadString(rv, &is.link);
          return Status::Ok();
        }));
      }
    } else if (key == "callers") {
      od::array callers;
      bool is_null = false;
      if (!NullOrArray(v, &callers, &is_null)) {
        ok = false;
      } else if (!is_null) {
        for (auto c : callers) {
          od::value cv;
          if (auto ec = c.get(cv)) return rep.Malformed("bad caller", ec);
          Range r;
          FINDEX_RETURN_IF_ERROR(ReadRange(rep, cv, &r, &ok));
          is.callers.push_back(std::move(r));
        }
      }
    }
    if (was_ok && !ok && bad.empty()) bad = "\"" + std::string(key) + "\" has the wrong type";
    return Status::Ok();
  }));
  if (bad.empty() && (Trim(is.rule).empty() || Trim(is.range.filename).empty())) {
    bad = "issue has no rule.name or range.filename";
  }
  if (!bad.empty()) {
    sink.AddReject(rep.MakeReject(iv, where, bad));
    return Status::Ok();
  }
  Finding f = IacFinding("tflint", "TFLint", "terraform-linters", SeverityOf(is.severity), is.severity);
  std::string msg = CollapseWhitespace(is.message);
  std::string caller_files, caller_ranges;
  for (const auto& c : is.callers) {
    caller_files += (caller_files.empty() ? "" : ",") + c.filename;
    caller_ranges += (caller_ranges.empty() ? "" : ", ") + RangeText(c);
  }
  std::string base = "message:" + msg + (caller_files.empty() ? "" : "\x1f" "callers:" + caller_files);
  std::string record = is.rule + '\x1f' + RangeText(is.range) + '\x1f' + is.message + '\x1f' + caller_ranges;
  std::string anchor = anchors.Assign(record, is.rule + '\x1f' + is.range.filename + '\x1f' + base, base);
  f.fingerprint = CodeFingerprint("tflint", is.rule, is.range.filename, anchor);
  f.generator_id = "tflint/" + is.rule;
  f.types = IacTypes(StartsWith(is.rule, "aws_"), "TFLint");
  f.title = msg.empty() ? is.rule : msg + " (" + is.rule + ")";
  std::string d = msg.empty() ? f.title : Trim(is.message);
  d += "\n\nRule: " + is.rule + "\nLocation: " + RangeText(is.range);
  if (!caller_ranges.empty()) d += "\nReached through the module call(s): " + caller_ranges;
  f.description = d;
  f.remediation_url = is.link;
  if (!is.link.empty()) f.remediation_text = "See the TFLint rule documentation for " + is.rule + ".";
  f.location.file_path = is.range.filename;
  if (is.range.start_line > 0) f.location.start_line = static_cast<int>(is.range.start_line);
  if (is.range.end_line > is.range.start_line) f.location.end_line = static_cast<int>(is.range.end_line);
  Resource res;
  res.id = is.range.filename;
  res.details_other["File"] = is.range.filename;
  res.details_other["ResourceType"] = "Terraform configuration";
  f.resources.push_back(std::move(res));
  auto& pf = f.product_fields;
  pf["tflint/Rule"] = is.rule;
  if (!is.severity.empty()) pf["tflint/Severity"] = is.severity;
  if (!caller_ranges.empty()) pf["tflint/Callers"] = caller_ranges;
  if (is.fixable == "true") pf["tflint/Fixable"] = "true";
  return sink.Accept(std::move(f));
}

Status ReadError(JsonReport& rep, od::value ev, size_t index, std::set<std::string>& seen, FindingSink& sink) {
  std::string where = "errors[" + std::to_string(index) + "]";
  od::object obj;
  if (ev.get_object().get(obj)) {
    sink.AddReject(rep.MakeReject(ev, where, "error is not an object"));
    return Status::Ok();
  }
  std::string summary, message, severity;
  Range range;
  bool ok = true;
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value v) -> Status {
    if (key == "summary") ok &= ReadString(v, &summary);
    else if (key == "message") ok &= ReadString(v, &message);
    else if (key == "severity") ok &= ReadString(v, &severity);
    else if (key == "range") return ReadRange(rep, v, &range, &ok);
    return Status::Ok();
  }));
  std::string sum = CollapseWhitespace(summary), why = CollapseWhitespace(message);
  if (!ok || (sum.empty() && why.empty())) {
    sink.AddReject(rep.MakeReject(ev, where, ok ? "error has no summary or message" : "error has a field of the wrong type"));
    return Status::Ok();
  }
  const std::string& file = range.filename;
  std::string anchor = file.empty() ? (sum.empty() ? why : sum) : std::string();
  if (!seen.insert(file + '\x1f' + anchor).second) return Status::Ok();
  Finding f = ScanGapFinding("tflint", "scan-error", "TFLint", "terraform-linters", file, anchor);
  std::string what = file.empty() ? std::string("the configuration") : file;
  std::string reason = sum.empty() ? why : sum;
  f.title = "TFLint could not check " + what + ": " + reason;
  f.description = "TFLint could not check " + what + (file.empty() ? "" : " (" + RangeText(range) + ")") +
                  ", so no rule ran on it and any issue in it is missing from this report.\n\n" +
                  (sum.empty() ? "" : sum + "\n") + (why.empty() ? "" : Trim(message));
  f.remediation_text = "Fix the configuration error (or the TFLint setup) and run TFLint again.";
  if (file.empty()) f.resources.front().id = "tflint-configuration";
  f.resources.front().details_other["ResourceType"] = "Terraform configuration";
  if (!file.empty()) f.resources.front().details_other["File"] = file;
  if (range.start_line > 0) f.location.start_line = static_cast<int>(range.start_line);
  f.severity.original = severity;
  f.product_fields["tflint/ScanError"] = "true";
  if (!sum.empty()) f.product_fields["tflint/Summary"] = sum;
  if (!severity.empty()) f.product_fields["tflint/Severity"] = severity;
  return sink.Accept(std::move(f));
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  od::object root;
  if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("expected a TFLint JSON object", ec);
  bool saw_issues = false, saw_errors = false;
  IacAnchors anchors;
  std::set<std::string> seen_errors;
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, root, [&](std::string_view key, od::value v) -> Status {
    const bool errors = key == "errors";
    if (key != "issues" && !errors) return Status::Ok();
    (errors ? saw_errors : saw_issues) = true;
    std::string list(key);
    return ForEachOfNullOrArray(rep, v, "\"" + list + "\" is not an array", "bad " + list + " entry",
                                [&](size_t i, od::value ev) -> Status {
                                  return errors ? ReadError(rep, ev, i, seen_errors, sink)
                                                : ReadIssue(rep, ev, i, anchors, sink);
                                });
  }));
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  if (!saw_issues || !saw_errors) {
    return MakeError(ErrorCode::kSchema, "not a TFLint report: it needs both \"issues\" and \"errors\"", src.path());
  }
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& TflintFormat() {
  static const FormatDescriptor kDesc{"tflint", "tflint", "TFLint --format json (Terraform lint)", kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
