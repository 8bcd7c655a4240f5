// Checkov `-o json` (https://www.checkov.io/2.Basics/Reviewing%20Scan%20Results.html):
//   one framework:  {"check_type": "terraform",
//                    "results": {"passed_checks": [...], "failed_checks": [...],
//                                "skipped_checks": [...], "parsing_errors": ["<file>"]},
//                    "summary": {"passed", "failed", "skipped", "parsing_errors", "resource_count",
//                                "checkov_version"}, "url"?}
//   several:        an array of such objects (one per framework: terraform, dockerfile, ...)
//   nothing found:  the summary alone, {"passed": 0, "failed": 0, ..., "checkov_version"}
// A check: {"check_id", "bc_check_id"?, "check_name", "check_result": {"result",
// "evaluated_keys", "suppress_comment"?}, "code_block", "file_path", "file_abs_path",
// "repo_file_path", "file_line_range": [a, b], "resource", "resource_address"?, "severity"?,
// "guideline"?, "description"?, "details"?, "check_class", "bc_category"?, ...}.
//
// One finding per failed check; skipped checks (a `checkov:skip=` comment or --skip-check) are
// kept with Workflow SUPPRESSED and the suppress_comment as the note. Passed checks produce
// nothing. Each file in results.parsing_errors (a list of paths Checkov could not parse, so none
// of its checks ran) is an INFORMATIONAL finding "Checkov could not parse <file>", generator
// "checkov/parsing-error", so a scan gap stays visible instead of vanishing.
// (summary.parsing_errors and the summary-only object's "parsing_errors" are counts.)
// Severity: the check's own "severity" (CRITICAL / HIGH / MEDIUM / LOW / INFO, filled in when
// Checkov runs with a Prisma Cloud API key); without one, MEDIUM.
// Target (what the report scanned, for resolution by absence): each framework's "check_type"
// (terraform, dockerfile, ...); Checkov's JSON names no scanned folder, so two folders scanned
// with the same framework in one scope need `findex ingest --target`.
// Identity: CodeFingerprint("checkov", check_id, file_path, resource): the resource address
// names the IaC resource whatever line it sits on. A repeat of the same triple in one report gets
// "#<n>" appended to the anchor. A parsing error: CodeFingerprint("checkov", "parsing-error",
// file, check_type), one per (framework, file); a repeat within one framework is dropped.
#include <map>
#include <set>
#include <vector>

#include "ingest/json_util.h"
#include "ingest/scan_gap.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || (h[0] != '{' && h[0] != '[')) return SniffConfidence::kNo;
  if (HeadHas(h, "\"check_type\"") &&
      (HeadHas(h, "\"failed_checks\"") || HeadHas(h, "\"passed_checks\"") || HeadHas(h, "\"skipped_checks\""))) {
    return SniffConfidence::kCertain;
  }
  if (h[0] == '{' && HeadHas(h, "\"checkov_version\"")) return SniffConfidence::kCertain;
  return SniffConfidence::kNo;
}

struct Check {
  std::string check_id, bc_check_id, check_name, result, suppress_comment, file_path, repo_file_path;
  std::string resource, resource_address, severity, guideline, description, short_description;
  std::string check_class, bc_category, caller_file_path;
  std::vector<std::string> evaluated_keys, details;
  std::vector<int64_t> line_range;
};

bool ReadIntArray(od::value v, std::vector<int64_t>* out) {
  od::json_type t;
  if (v.type().get(t)) return false;
  if (t == od::json_type::null) return true;
  od::array arr;
  if (v.get_array().get(arr)) return false;
  for (auto e : arr) {
    od::value ev;
    int64_t n = 0;
    if (e.get(ev) || !ReadInt(ev, &n)) return false;
    out->push_back(n);
  }
  return true;
}

bool ReadCheckResult(od::value v, Check* c) {
  od::object obj;
  if (v.get_object().get(obj)) return false;
  for (auto field : obj) {
    std::string_view key;
    od::value fv;
    if (field.unescaped_key().get(key) || field.value().get(fv)) return false;
    if (key == "result") ReadString(fv, &c->result);
    else if (key == "suppress_comment") ReadString(fv, &c->suppress_comment);
    else if (key == "evaluated_keys") ReadStrings(fv, &c->evaluated_keys);
  }
  return true;
}

// Checkov's severity names; INFO is informational. Anything else keeps the MEDIUM default.
SeverityLabel SeverityOf(std::string_view s) {
  if (auto l = ParseSeverityLabel(Trim(s))) return *l;
  return SeverityLabel::kMedium;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

Status ReadCheck(JsonReport& rep, od::value cv, const std::string& where, const std::string& check_type,
                 bool skipped, std::map<std::string, int>& ordinals, FindingSink& sink) {
  od::object obj;
  if (cv.get_object().get(obj)) {
    sink.AddReject(rep.MakeReject(cv, where, "check is not an object"));
    return Status::Ok();
  }
  Check c;
  std::string bad;
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value v) -> Status {
    bool ok = true;
    if (key == "check_id") ok = ReadString(v, &c.check_id);
    else if (key == "bc_check_id") ok = ReadString(v, &c.bc_check_id);
    else if (key == "check_name") ok = ReadString(v, &c.check_name);
    else if (key == "check_result") ok = ReadCheckResult(v, &c);
    else if (key == "file_path") ok = ReadString(v, &c.file_path);
    else if (key == "repo_file_path") ok = ReadString(v, &c.repo_file_path);
    else if (key == "file_line_range") ok = ReadIntArray(v, &c.line_range);
    else if (key == "resource") ok = ReadString(v, &c.resource);
    else if (key == "resource_address") ok = ReadString(v, &c.resource_address);
    else if (key == "severity") ok = ReadString(v, &c.severity);
    else if (key == "guideline") ok = ReadString(v, &c.guideline);
    else if (key == "description") ok = ReadString(v, &c.description);
    else if (key == "short_description") ok = ReadString(v, &c.short_description);
    else if (key == "details") ok = ReadStrings(v, &c.details);
    else if (key == "check_class") ok = ReadString(v, &c.check_class);
    else if (key == "bc_category") ok = ReadString(v, &c.bc_category);
    else if (key == "caller_file_path") ok = ReadString(v, &c.caller_file_path);
    if (!ok && bad.empty()) bad = "\"" + std::string(key) + "\" has the wrong type";
    return Status::Ok();
  }));
  if (!bad.empty()) {
    sink.AddReject(rep.MakeReject(cv, where, bad));
    return Status::Ok();
  }
  if (Trim(c.check_id).empty()) {
    sink.AddReject(rep.MakeReject(cv, where, "check has no check_id"));
    return Status::Ok();
  }

  Finding f;
  f.scanner = "checkov";
  f.format = "checkov";
  f.product_name = "Checkov";
  f.company_name = "Prisma Cloud";
  SeverityLabel label = c.severity.empty() ? SeverityLabel::kMedium : SeverityOf(c.severity);
  f.severity.label = label;
  f.severity.normalized = DefaultNormalized(label);
  f.severity.original = c.severity;
  std::string anchor = c.resource;
  int n = ordinals[c.check_id + '\x1f' + c.file_path + '\x1f' + c.resource]++;
  if (n > 0) anchor += "#" + std::to_string(n);
  f.fingerprint = CodeFingerprint("checkov", c.check_id, c.file_path, anchor);
  f.generator_id = "checkov/" + c.check_id;
  std::string name = CollapseWhitespace(c.check_name);
  f.title = name.empty() ? c.check_id : name;
  std::string d = f.title + " (" + c.check_id + ")";
  if (!c.resource.empty()) d += "\n\nResource: " + c.resource;
  if (!c.file_path.empty()) {
    d += "\nFile: " + c.file_path;
    if (c.line_range.size() == 2 && c.line_range[0] > 0) {
      d += " lines " + std::to_string(c.line_range[0]) + "-" + std::to_string(c.line_range[1]);
    }
  }
  if (!Trim(c.description).empty()) d += "\n\n" + Trim(c.description);
  else if (!Trim(c.short_description).empty()) d += "\n\n" + Trim(c.short_description);
  if (!c.details.empty()) d += "\n\nDetails:\n" + Join(c.details, "\n");
  if (!c.evaluated_keys.empty()) d += "\n\nEvaluated keys: " + Join(c.evaluated_keys, ", ");
  if (skipped) {
    d += "\n\nSkipped in the scan";
    d += c.suppress_comment.empty() ? "." : ": " + c.suppress_comment;
  }
  f.description = d;
  f.remediation_url = c.guideline;
  if (!c.guideline.empty()) f.remediation_text = "Follow the Checkov guideline for " + c.check_id + ".";
  f.location.file_path = c.file_path;
  if (!c.line_range.empty() && c.line_range[0] > 0) {
    f.location.start_line = static_cast<int>(c.line_range[0]);
    if (c.line_range.size() > 1 && c.line_range[1] > c.line_range[0]) f.location.end_line = static_cast<int>(c.line_range[1]);
  }
  Resource r;
  r.id = !c.resource.empty() ? c.resource : !c.file_path.empty() ? c.file_path : c.check_id;
  if (!c.file_path.empty()) r.details_other["File"] = c.file_path;
  if (!c.resource_address.empty() && c.resource_address != c.resource) r.details_other["Address"] = c.resource_address;
  if (!check_type.empty()) r.details_other["CheckType"] = check_type;
  f.resources.push_back(std::move(r));
  auto& pf = f.product_fields;
  pf["checkov/CheckId"] = c.check_id;
  if (!check_type.empty()) pf["checkov/CheckType"] = check_type;
  f.target = check_type;  // target: the framework
  if (!c.bc_check_id.empty()) pf["checkov/BcCheckId"] = c.bc_check_id;
  if (!c.check_class.empty()) pf["checkov/CheckClass"] = c.check_class;
  if (!c.bc_category.empty()) pf["checkov/Category"] = c.bc_category;
  if (!c.result.empty()) pf["checkov/Result"] = c.result;
  if (!c.repo_file_path.empty() && c.repo_file_path != c.file_path) pf["checkov/RepoFilePath"] = c.repo_file_path;
  if (!c.caller_file_path.empty()) pf["checkov/CallerFilePath"] = c.caller_file_path;
  if (skipped) {
    f.workflow = WorkflowStatus::kSuppressed;
    if (!c.suppress_comment.empty()) {
      pf["checkov/SuppressComment"] = c.suppress_comment;
      f.note = Note{c.suppress_comment, "checkov", ""};
    }
  }
  return sink.Accept(std::move(f));
}

// A file Checkov could not parse: nothing in it was checked, which a security team must see.
Status EmitParsingError(const std::string& file, const std::string& check_type, FindingSink& sink) {
  Finding f = ScanGapFinding("checkov", "parsing-error", "Checkov", "Prisma Cloud", file, check_type);
  f.title = "Checkov could not parse " + file;
  f.description = "Checkov could not parse " + file +
                  (check_type.empty() ? std::string() : " as " + check_type) +
                  ", so the file was not scanned: no check ran on it, and any misconfiguration in it is missing "
                  "from this report.";
  f.remediation_text = "Fix the file's syntax (or the Checkov framework selection) and scan it again.";
  f.resources.front().details_other["File"] = file;
  if (!check_type.empty()) f.resources.front().details_other["CheckType"] = check_type;
  f.product_fields["checkov/ParsingError"] = "true";
  if (!check_type.empty()) f.product_fields["checkov/CheckType"] = check_type;
  f.target = check_type;
  return sink.Accept(std::move(f));
}

// results.parsing_errors: an array of file paths. A non-string element is a reject.
Status ReadParsingErrors(JsonReport& rep, od::value lv, const std::string& prefix, const std::string& check_type,
                         FindingSink& sink) {
  od::json_type t;
  if (auto ec = lv.type().get(t)) return rep.Malformed("bad parsing_errors", ec);
  if (t == od::json_type::null) return Status::Ok();
  od::array files;
  if (auto ec = lv.get_array().get(files)) return rep.Malformed("\"parsing_errors\" is not an array", ec);
  std::set<std::string> seen;
  size_t i = 0;
  for (auto e : files) {
    od::value v;
    if (auto ec = e.get(v)) return rep.Malformed("bad parsing error", ec);
    std::string where = prefix + "results.parsing_errors[" + std::to_string(i++) + "]";
    od::json_type et;
    std::string file;
    if (v.type().get(et) || et != od::json_type::string || !ReadString(v, &file) || Trim(file).empty()) {
      sink.AddReject(rep.MakeReject(v, where, "parsing error is not a file path"));
      continue;
    }
    if (!seen.insert(file).second) continue;
    FINDEX_RETURN_IF_ERROR(EmitParsingError(file, check_type, sink));
  }
  return Status::Ok();
}

// One framework's report, or the summary-only object. Sets *known when a Checkov key was seen.
Status ReadReport(JsonReport& rep, od::object obj, const std::string& prefix, std::map<std::string, int>& ordinals,
                  bool* known, FindingSink& sink) {
  std::string check_type;
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
    if (key == "check_type") {
      *known = true;
      od::value v;
      if (auto ec = field.value().get(v)) return rep.Malformed("bad check_type", ec);
      ReadString(v, &check_type);
      if (!check_type.empty()) sink.AddTarget(check_type);
      continue;
    }
    if (key == "summary" || key == "checkov_version" || key == "resource_count" || key == "resourcecount" ||
        key == "parsing_errors" || key == "parsingerrors") {
      *known = true;
      continue;
    }
    if (key != "results") continue;
    *known = true;
    od::object results;
    if (auto ec = field.value().get_object().get(results)) return rep.Malformed("\"results\" is not an object", ec);
    for (auto rf : results) {
      std::string_view rkey;
      if (auto ec = rf.unescaped_key().get(rkey)) return rep.Malformed("bad key", ec);
      if (rkey == "parsing_errors") {
        od::value lv;
        if (auto ec = rf.value().get(lv)) return rep.Malformed("bad parsing_errors", ec);
        FINDEX_RETURN_IF_ERROR(ReadParsingErrors(rep, lv, prefix, check_type, sink));
        continue;
      }
      bool skipped = rkey == "skipped_checks";
      if (rkey != "failed_checks" && !skipped) continue;
      std::string list_name(rkey);
      od::value lv;
      if (auto ec = rf.value().get(lv)) return rep.Malformed("bad " + list_name, ec);
      od::json_type t;
      if (auto ec = lv.type().get(t)) return rep.Malformed("bad " + list_name, ec);
      if (t == od::json_type::null) continue;
      od::array checks;
      if (auto ec = lv.get_array().get(checks)) return rep.Malformed("\"" + list_name + "\" is not an array", ec);
      size_t i = 0;
      for (auto e : checks) {
        od::value cv;
        if (auto ec = e.get(cv)) return rep.Malformed("bad check", ec);
        std::string where = prefix + "results." + list_name + "[" + std::to_string(i++) + "]";
        FINDEX_RETURN_IF_ERROR(ReadCheck(rep, cv, where, check_type, skipped, ordinals, sink));
      }
    }
  }
  return Status::Ok();
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  od::json_type type;
  if (auto ec = rep.doc().type().get(type)) return rep.Malformed("cannot read the report", ec);
  std::map<std::string, int> ordinals;
  bool known = false;
  if (type == od::json_type::array) {
    od::array reports;
    if (auto ec = rep.doc().get_array().get(reports)) return rep.Malformed("bad array", ec);
    size_t i = 0;
    bool empty = true;
    for (auto e : reports) {
      empty = false;
      od::object obj;
      if (auto ec = e.get_object().get(obj)) return rep.Malformed("element " + std::to_string(i) + " is not an object", ec);
      FINDEX_RETURN_IF_ERROR(ReadReport(rep, obj, "[" + std::to_string(i) + "].", ordinals, &known, sink));
      ++i;
    }
    if (empty) known = true;  // `[]`: no framework ran
  } else {
    od::object obj;
    if (auto ec = rep.doc().get_object().get(obj)) return rep.Malformed("cannot read a Checkov JSON object or array", ec);
    FINDEX_RETURN_IF_ERROR(ReadReport(rep, obj, "", ordinals, &known, sink));
  }
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  if (!known) {
    return MakeError(ErrorCode::kSchema, "not a Checkov report: no \"check_type\", \"results\" or \"summary\"", src.path());
  }
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& CheckovFormat() {
  static const FormatDescriptor kDesc{"checkov", "checkov", "Checkov -o json (IaC: Terraform, CloudFormation, k8s, ...)",
                                      kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
