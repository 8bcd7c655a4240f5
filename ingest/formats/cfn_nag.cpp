// cfn_nag `cfn_nag_scan --output-format json` (https://github.com/stelligent/cfn_nag,
// lib/cfn-nag/result_view/json_results.rb):
//   [{"filename": "./t.yaml",
//     "file_results": {"failure_count": N,
//                      "violations": [{"id": "F3", "name": "IamRole...Rule", "type": "FAIL" | "WARN",
//                                      "message", "logical_resource_ids": [..],
//                                      "line_numbers": [..], "element_types": [..]}]}}]
// line_numbers / element_types run parallel to logical_resource_ids (older releases omit them).
// A template that does not parse gives one violation {"id": "FATAL", "type": "FAIL",
// "logical_resource_ids": null}. A bare file_results object ({"failure_count", "violations"}) is
// read as one file with no name.
//
// Default mode: one finding per violation per logical resource. Severity: cfn_nag's two
// violation types, FAIL -> HIGH (it fails the scan) and WARN -> MEDIUM. Identity:
// CodeFingerprint("cfn-nag", id, filename, logical_resource_id) (the logical id names the
// resource whatever line it is on; a violation with no resource uses "" and a FATAL one its
// message). A repeat in one report gets "#<n>" appended.
//
// Aggregate mode (params {"cfn-nag.mode": "aggregate"}, optional "cfn-nag.repository",
// "cfn-nag.branch", "cfn-nag.weight-fail", "cfn-nag.weight-warn") reproduces the AWS sample
// aws-samples/cfn-security-scan-integration (src/functions/aggregated_severity.py and
// securityhub.py): one finding for the repository/branch whose score is
//   weight-fail x failures + weight-warn x warnings   (defaults 20 and 1, the sample's
//                                                       WeightCoefficientsFail / Warn defaults)
// where each counts logical resources of FAIL / WARN violations, FATAL excluded. The sample
// imports Severity.Product = score and Normalized = min(score, 100) without a Label, so Security
// Hub derives the label from Normalized: 0 INFORMATIONAL, 1-39 LOW, 40-69 MEDIUM, 70-89 HIGH,
// 90-100 CRITICAL. Here too: Original = the score, Normalized = min(score, 100), Label from it.
// The sample imports a finding on every run, a clean one included (score 0, INFORMATIONAL).
// Identity: FingerprintOf({"cfn-nag", "aggregate", repository, branch}); missing repository or
// branch count as "unknown".
// Target (for resolution by absence): none; a report lists only the templates it read, not
// what was asked for (use `findex ingest --target`).
#include <algorithm>
#include <charconv>
#include <map>
#include <vector>

#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};
constexpr std::string_view kBestPracticesUrl =
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/best-practices.html";

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || (h[0] != '[' && h[0] != '{')) return SniffConfidence::kNo;
  bool failure_count = HeadHas(h, "\"failure_count\"");
  if (failure_count && HeadHas(h, "\"file_results\"")) return SniffConfidence::kCertain;
  if (failure_count && HeadHas(h, "\"violations\"")) return SniffConfidence::kLikely;
  return SniffConfidence::kNo;
}

struct Violation {
  std::string id, name, type, message;
  std::vector<std::string> logical_ids, element_types;
  std::vector<int64_t> lines;
};

struct Aggregate {
  bool enabled = false;
  std::string repository = "unknown", branch = "unknown";
  int64_t weight_fail = 20, weight_warn = 1;
  int64_t failures = 0, warnings = 0, templates = 0;
};

// Keeps every element (positions run parallel to line_numbers / element_types).
bool ReadParallelStrings(od::value v, std::vector<std::string>* out) {
  od::json_type t;
  if (v.type().get(t)) return false;
  if (t == od::json_type::null) return true;
  od::array arr;
  if (v.get_array().get(arr)) return false;
  for (auto e : arr) {
    od::value ev;
    std::string s;
    if (e.get(ev) || !ReadString(ev, &s)) return false;
    out->push_back(std::move(s));
  }
  return true;
}

bool ReadInts(od::value v, std::vector<int64_t>* out) {
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

// cfn_nag's Violation types: FAILING_VIOLATION "FAIL" and WARNING "WARN".
SeverityLabel SeverityOf(std::string_view type) {
  if (EqualsIgnoreCase(type, "FAIL")) return SeverityLabel::kHigh;
  return SeverityLabel::kMedium;
}

Status EmitViolation(const Violation& v, const std::string& filename, std::map<std::string, int>& ordinals,
                     FindingSink& sink) {
  // A violation without resources (FATAL, template-level rules) is one finding on the template.
  size_t count = std::max<size_t>(1, v.logical_ids.size());
  for (size_t i = 0; i < count; ++i) {
    std::string logical_id = i < v.logical_ids.size() ? v.logical_ids[i] : std::string();
    int64_t line = i < v.lines.size() ? v.lines[i] : 0;
    std::string element = i < v.element_types.size() ? v.element_types[i] : std::string();
    bool fatal = v.id == "FATAL";
    Finding f;
    f.scanner = "cfn-nag";
    f.format = "cfn-nag";
    f.product_name = "cfn_nag";
    f.company_name = "Stelligent";
    f.types = {"Software and Configuration Checks/AWS Security Best Practices"};
    SeverityLabel label = SeverityOf(v.type);
    f.severity.label = label;
    f.severity.normalized = DefaultNormalized(label);
    f.severity.original = v.type;
    std::string anchor = fatal ? NormalizeSnippet(v.message) : logical_id;
    int n = ordinals[v.id + '\x1f' + filename + '\x1f' + anchor]++;
    if (n > 0) anchor += "#" + std::to_string(n);
    f.fingerprint = CodeFingerprint("cfn-nag", v.id, filename, anchor);
    f.generator_id = "cfn-nag/" + v.id;
    std::string msg = CollapseWhitespace(v.message);
    if (fatal) {
      f.title = "cfn_nag could not parse the template" + (filename.empty() ? std::string() : " " + filename);
    } else {
      f.title = msg.empty() ? v.id : msg;
      if (!logical_id.empty()) f.title += " (" + logical_id + ")";
    }
    std::string d = v.message.empty() ? f.title : v.message;
    d += "\n\nRule: " + v.id + (v.name.empty() ? "" : " " + v.name) + " (" + v.type + ")";
    if (!logical_id.empty()) d += "\nResource: " + logical_id;
    if (!filename.empty()) d += "\nTemplate: " + filename + (line > 0 ? " line " + std::to_string(line) : "");
    f.description = d;
    f.location.file_path = filename;
    f.location.start_line = static_cast<int>(line > 0 ? line : 0);
    Resource r;
    r.id = !logical_id.empty() ? logical_id : !filename.empty() ? filename : std::string("template");
    if (!filename.empty()) r.details_other["Template"] = filename;
    if (line > 0) r.details_other["Line"] = std::to_string(line);
    if (!element.empty()) r.details_other["ElementType"] = element;
    f.resources.push_back(std::move(r));
    f.product_fields["cfn-nag/RuleId"] = v.id;
    if (!v.name.empty()) f.product_fields["cfn-nag/RuleName"] = v.name;
    if (!v.type.empty()) f.product_fields["cfn-nag/ViolationType"] = v.type;
    if (!logical_id.empty()) f.product_fields["cfn-nag/LogicalResourceId"] = logical_id;
    FINDEX_RETURN_IF_ERROR(sink.Accept(std::move(f)));
  }
  return Status::Ok();
}

Status ReadViolation(JsonReport& rep, od::value vv, const std::string& where, const std::string& filename,
                     Aggregate& agg, std::map<std::string, int>& ordinals, FindingSink& sink) {
  od::object obj;
  if (vv.get_object().get(obj)) {
    sink.AddReject(rep.MakeReject(vv, where, "violation is not an object"));
    return Status::Ok();
  }
  Violation v;
  std::string bad;
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value fv) -> Status {
    bool ok = true;
    if (key == "id") ok = ReadString(fv, &v.id);
    else if (key == "name") ok = ReadString(fv, &v.name);
    else if (key == "type") ok = ReadString(fv, &v.type);
    else if (key == "message") ok = ReadString(fv, &v.message);
    else if (key == "logical_resource_ids") ok = ReadParallelStrings(fv, &v.logical_ids);
    else if (key == "line_numbers") ok = ReadInts(fv, &v.lines);
    else if (key == "element_types") ok = ReadParallelStrings(fv, &v.element_types);
    if (!ok && bad.empty()) bad = "\"" + std::string(key) + "\" has the wrong type";
    return Status::Ok();
  }));
  if (bad.empty() && (Trim(v.id).empty() || Trim(v.type).empty())) bad = "violation has no id or type";
  if (!bad.empty()) {
    sink.AddReject(rep.MakeReject(vv, where, bad));
    return Status::Ok();
  }
  if (agg.enabled) {
    // aggregated_severity.py: FATAL skipped, each FAIL / WARN counts its logical resources.
    if (v.id != "FATAL") {
      if (v.type == "FAIL") agg.failures += static_cast<int64_t>(v.logical_ids.size());
      else if (v.type == "WARN") agg.warnings += static_cast<int64_t>(v.logical_ids.size());
    }
    return Status::Ok();
  }
  return EmitViolation(v, filename, ordinals, sink);
}

Status ReadFileResults(JsonReport& rep, od::object obj, const std::string& prefix, const std::string& filename,
                       Aggregate& agg, std::map<std::string, int>& ordinals, bool* known, FindingSink& sink) {
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
    if (key == "failure_count") {
      *known = true;
      continue;
    }
    if (key != "violations") continue;
    *known = true;
    od::array violations;
    if (auto ec = field.value().get_array().get(violations)) return rep.Malformed("\"violations\" is not an array", ec);
    size_t i = 0;
    for (auto e : violations) {
      od::value vv;
      if (auto ec = e.get(vv)) return rep.Malformed("bad violation", ec);
      FINDEX_RETURN_IF_ERROR(
          ReadViolation(rep, vv, prefix + "violations[" + std::to_string(i++) + "]", filename, agg, ordinals, sink));
    }
  }
  return Status::Ok();
}

// {"filename", "file_results"} (cfn_nag_scan) or a bare file_results object.
Status ReadEntry(JsonReport& rep, od::value ev, const std::string& prefix, Aggregate& agg,
                 std::map<std::string, int>& ordinals, bool* known, FindingSink& sink) {
  od::object obj;
  if (ev.get_object().get(obj)) {
    sink.AddReject(rep.MakeReject(ev, prefix.empty() ? "$" : prefix, "file entry is not an object"));
    return Status::Ok();
  }
  std::string filename;
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
    if (key == "filename") {
      *known = true;
      od::value v;
      if (auto ec = field.value().get(v)) return rep.Malformed("bad filename", ec);
      ReadString(v, &filename);
    } else if (key == "file_results") {
      *known = true;
      ++agg.templates;
      od::object fr;
      if (auto ec = field.value().get_object().get(fr)) return rep.Malformed("\"file_results\" is not an object", ec);
      FINDEX_RETURN_IF_ERROR(ReadFileResults(rep, fr, prefix + "file_results.", filename, agg, ordinals, known, sink));
    } else if (key == "failure_count") {
      *known = true;
    } else if (key == "violations") {
      *known = true;
      ++agg.templates;
      od::array violations;
      if (auto ec = field.value().get_array().get(violations)) return rep.Malformed("\"violations\" is not an array", ec);
      size_t i = 0;
      for (auto e : violations) {
        od::value vv;
        if (auto ec = e.get(vv)) return rep.Malformed("bad violation", ec);
        FINDEX_RETURN_IF_ERROR(
            ReadViolation(rep, vv, prefix + "violations[" + std::to_string(i++) + "]", filename, agg, ordinals, sink));
      }
    }
  }
  return Status::Ok();
}

bool ParseWeight(const std::string& s, int64_t* out) {
  std::string t = Trim(s);
  int64_t n = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (ec != std::errc() || p != t.data() + t.size() || n < 0 || n > 100) return false;
  *out = n;
  return true;
}

Status ConfigureAggregate(const IngestOptions& opts, Aggregate* agg) {
  auto get = [&](const char* key) -> const std::string* {
    auto it = opts.params.find(key);
    return it == opts.params.end() ? nullptr : &it->second;
  };
  if (const std::string* mode = get("cfn-nag.mode")) {
    if (EqualsIgnoreCase(Trim(*mode), "aggregate")) {
      agg->enabled = true;
    } else if (!EqualsIgnoreCase(Trim(*mode), "violation") && !Trim(*mode).empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "cfn-nag.mode must be \"aggregate\" or \"violation\", not \"" + *mode + "\"");
    }
  }
  if (const std::string* repo = get("cfn-nag.repository"); repo && !Trim(*repo).empty()) agg->repository = Trim(*repo);
  if (const std::string* branch = get("cfn-nag.branch"); branch && !Trim(*branch).empty()) agg->branch = Trim(*branch);
  if (const std::string* w = get("cfn-nag.weight-fail"); w && !ParseWeight(*w, &agg->weight_fail)) {
    return MakeError(ErrorCode::kInvalidArgument, "cfn-nag.weight-fail must be an integer from 0 to 100");
  }
  if (const std::string* w = get("cfn-nag.weight-warn"); w && !ParseWeight(*w, &agg->weight_warn)) {
    return MakeError(ErrorCode::kInvalidArgument, "cfn-nag.weight-warn must be an integer from 0 to 100");
  }
  return Status::Ok();
}

Status EmitAggregate(const Aggregate& agg, FindingSink& sink) {
  int64_t score = agg.weight_fail * agg.failures + agg.weight_warn * agg.warnings;
  int normalized = static_cast<int>(std::min<int64_t>(score, 100));
  std::string repo_branch = agg.repository + "/" + agg.branch;
  Finding f;
  f.scanner = "cfn-nag";
  f.format = "cfn-nag";
  f.product_name = "cfn_nag";
  f.company_name = "Stelligent";
  f.types = {"Software and Configuration Checks/AWS Security Best Practices/CFN-NAG code scan"};
  f.severity.label = LabelForNormalized(normalized);
  f.severity.normalized = normalized;
  f.severity.original = std::to_string(score);
  f.fingerprint = FingerprintOf({"cfn-nag", "aggregate", agg.repository, agg.branch});
  f.generator_id = "cfn-nag-" + agg.repository + "-" + agg.branch;
  f.title = "CFN scan repo:" + repo_branch;
  f.description = "Summarized report of code scan with CFN-NAG repo:" + repo_branch + "\n\n" +
                  std::to_string(agg.failures) + " failing and " + std::to_string(agg.warnings) +
                  " warning violations (counted per logical resource) in " + std::to_string(agg.templates) +
                  " templates; score = " + std::to_string(agg.weight_fail) + " x " + std::to_string(agg.failures) +
                  " + " + std::to_string(agg.weight_warn) + " x " + std::to_string(agg.warnings) + " = " +
                  std::to_string(score) + ".";
  f.remediation_text =
      "Run cfn_nag_scan on the templates of this branch and fix the violations; see the AWS CloudFormation best "
      "practices.";
  f.remediation_url = std::string(kBestPracticesUrl);
  Resource r;
  r.id = repo_branch;
  r.details_other["Repository"] = agg.repository;
  r.details_other["Branch"] = agg.branch;
  f.resources.push_back(std::move(r));
  auto& pf = f.product_fields;
  pf["cfn-nag/Mode"] = "aggregate";
  pf["cfn-nag/Repository"] = agg.repository;
  pf["cfn-nag/Branch"] = agg.branch;
  pf["cfn-nag/Failures"] = std::to_string(agg.failures);
  pf["cfn-nag/Warnings"] = std::to_string(agg.warnings);
  pf["cfn-nag/Templates"] = std::to_string(agg.templates);
  pf["cfn-nag/Score"] = std::to_string(score);
  return sink.Accept(std::move(f));
}

Status Ingest(Source& src, const IngestOptions& opts, FindingSink& sink) {
  Aggregate agg;
  FINDEX_RETURN_IF_ERROR(ConfigureAggregate(opts, &agg));
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  od::json_type type;
  if (auto ec = rep.doc().type().get(type)) return rep.Malformed("cannot read the report", ec);
  std::map<std::string, int> ordinals;
  bool known = false;
  if (type == od::json_type::array) {
    od::array entries;
    if (auto ec = rep.doc().get_array().get(entries)) return rep.Malformed("bad array", ec);
    size_t i = 0;
    for (auto e : entries) {
      od::value ev;
      if (auto ec = e.get(ev)) return rep.Malformed("bad entry", ec);
      FINDEX_RETURN_IF_ERROR(ReadEntry(rep, ev, "[" + std::to_string(i++) + "].", agg, ordinals, &known, sink));
    }
    if (i == 0) known = true;  // `[]`: cfn_nag_scan found no template
  } else if (type == od::json_type::object) {
    od::value root;
    if (auto ec = rep.doc().get_value().get(root)) return rep.Malformed("bad object", ec);
    FINDEX_RETURN_IF_ERROR(ReadEntry(rep, root, "", agg, ordinals, &known, sink));
  } else {
    return rep.Malformed("expected a cfn_nag JSON array");
  }
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  if (!known) {
    return MakeError(ErrorCode::kSchema, "not a cfn_nag report: no \"file_results\" or \"violations\"", src.path());
  }
  if (agg.enabled) FINDEX_RETURN_IF_ERROR(EmitAggregate(agg, sink));
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& CfnNagFormat() {
  static const FormatDescriptor kDesc{"cfn-nag", "cfn-nag", "cfn_nag_scan --output-format json (CloudFormation)", kExt,
                                      Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
