// Terrascan `scan -o json` (https://runterrascan.io/docs/usage/command_line_mode/; the Violation
// struct in pkg/results/types.go):
//   {"results": {"scan_errors"?: [{"iac_type", "directory", "errMsg"}],
//                "violations": [V] | null, "skipped_violations": [V] | null,
//                "scan_summary": {"file/folder", "iac_type", "scanned_at", "policies_validated",
//                                 "violated_policies", "low", "medium", "high", ...}}}
//   V: {"rule_name", "description", "rule_id", "severity", "category", "skip_comment"?,
//       "resource_name", "resource_type", "module_name"?, "file", "plan_root"? / "root_path"?,
//       "line"}
//
// One finding per violation; each skipped violation (a `#ts:skip=<rule> <comment>` in the
// resource, or a rule skipped in the config) is kept with Workflow SUPPRESSED and its
// skip_comment as the note. scan_errors are not findings: Terrascan writes one for every IaC
// type it looked for and did not find ("no helm charts found in directory ..."), which is no gap.
// Severity: HIGH / MEDIUM / LOW as Terrascan rates the policy (CRITICAL is read too); anything
// else INFORMATIONAL.
// Target: scan_summary "file/folder" (the scanned directory or file).
// Identity: CodeFingerprint("terrascan", rule_id, file, "<resource_type>.<resource_name>"): the
// resource names the flagged block whatever line it sits on. A second violation of one rule on
// the same resource and file at another line gets "#<n>"; the same violation repeated verbatim
// (same line) takes its first copy's anchor and is stored once. A violation and the skipped copy
// of it share the identity (suppressing a finding does not make it a new one).
// Types: "Software and Configuration Checks/<AWS Security Best Practices for aws_* resources
// and AC_AWS_* rules, else Industry and Regulatory Standards>/<category>".
#include <vector>

#include "ingest/formats/iac_common.h"
#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || h[0] != '{' || !HeadHas(h, "\"results\"")) return SniffConfidence::kNo;
  if (HeadHas(h, "\"skipped_violations\"") || HeadHas(h, "\"scan_summary\"") ||
      (HeadHas(h, "\"violations\"") && HeadHas(h, "\"rule_name\"") && HeadHas(h, "\"resource_type\""))) {
    return SniffConfidence::kCertain;
  }
  return SniffConfidence::kNo;
}

struct Violation {
  std::string rule_name, description, rule_id, severity, category, skip_comment, resource_name;
  std::string resource_type, module_name, file, plan_root;
  int64_t line = 0;
};

SeverityLabel SeverityOf(std::string_view s) {
  if (EqualsIgnoreCase(s, "CRITICAL")) return SeverityLabel::kCritical;
  if (EqualsIgnoreCase(s, "HIGH")) return SeverityLabel::kHigh;
  if (EqualsIgnoreCase(s, "MEDIUM")) return SeverityLabel::kMedium;
  if (EqualsIgnoreCase(s, "LOW")) return SeverityLabel::kLow;
  return SeverityLabel::kInformational;
}

Status ReadViolation(JsonReport& rep, od::value vv, const std::string& where, bool skipped, IacAnchors& anchors,
                     FindingSink& sink) {
  od::object obj;
  if (vv.get_object().get(obj)) {
    sink.AddReject(rep.MakeReject(vv, where, "violation is not an object"));
    return Status::Ok();
  }
  Violation v;
  std::string bad;
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value fv) -> Status {
    bool ok = true;
    if (key == "rule_name") ok = ReadString(fv, &v.rule_name);
    else if (key == "description") ok = ReadString(fv, &v.description);
    else if (key == "rule_id") ok = ReadString(fv, &v.rule_id);
    else if (key == "severity") ok = ReadString(fv, &v.severity);
    else if (key == "category") ok = ReadString(fv, &v.category);
    else if (key == "skip_comment") ok = ReadString(fv, &v.skip_comment);
    else if (key == "resource_name") ok = ReadString(fv, &v.resource_name);
    else if (key == "resource_type") ok = ReadString(fv, &v.resource_type);
    else if (key == "module_name") ok = ReadString(fv, &v.module_name);
    else if (key == "file") ok = ReadString(fv, &v.file);
    else if (key == "plan_root" || key == "root_path") ok = ReadString(fv, &v.plan_root);
    else if (key == "line") ok = ReadOptionalInt(fv, &v.line) != IntField::kBad;
    if (!ok && bad.empty()) bad = "\"" + std::string(key) + "\" has the wrong type";
    return Status::Ok();
  }));
  if (bad.empty() && (Trim(v.rule_id).empty() || Trim(v.file).empty())) bad = "violation has no rule_id or file";
  if (!bad.empty()) {
    sink.AddReject(rep.MakeReject(vv, where, bad));
    return Status::Ok();
  }
  Finding f = IacFinding("terrascan", "Terrascan", "Tenable", SeverityOf(v.severity), v.severity);
  std::string address = v.resource_type.empty()   ? v.resource_name
                        : v.resource_name.empty() ? v.resource_type
                                                  : v.resource_type + "." + v.resource_name;
  std::string record = v.rule_id + '\x1f' + v.file + '\x1f' + address + '\x1f' + v.module_name + '\x1f' +
                       std::to_string(v.line);
  std::string anchor = anchors.Assign(record, v.rule_id + '\x1f' + v.file + '\x1f' + address, address);
  f.fingerprint = CodeFingerprint("terrascan", v.rule_id, v.file, anchor);
  f.generator_id = "terrascan/" + v.rule_id;
  const bool aws = StartsWith(v.resource_type, "aws_") || StartsWith(v.rule_id, "AC_AWS_") ||
                   StartsWith(v.rule_id, "accurics.aws.");
  f.types = IacTypes(aws, Trim(v.category));
  std::string desc = CollapseWhitespace(v.description);
  f.title = !desc.empty() ? desc : !v.rule_name.empty() ? v.rule_name : v.rule_id;
  if (!address.empty()) f.title += " (" + address + ")";
  std::string d = desc.empty() ? f.title : desc;
  d += "\n\nRule: " + v.rule_id + (v.rule_name.empty() ? "" : " (" + v.rule_name + ")");
  if (!address.empty()) d += "\nResource: " + address;
  if (!v.module_name.empty()) d += "\nModule: " + v.module_name;
  d += "\nLocation: " + v.file + (v.line > 0 ? ":" + std::to_string(v.line) : "");
  if (skipped) d += "\n\nSkipped in the scan" + (Trim(v.skip_comment).empty() ? std::string(".") : ": " + Trim(v.skip_comment));
  f.description = d;
  f.remediation_text = "Change " + (address.empty() ? v.file : address) + " so that policy " + v.rule_id +
                       " holds" + (desc.empty() ? std::string(".") : ": " + desc + ".");
  f.location.file_path = v.file;
  if (v.line > 0) f.location.start_line = static_cast<int>(v.line);
  Resource res;
  res.id = !address.empty() ? address : v.file;
  res.details_other["File"] = v.file;
  if (!v.resource_type.empty()) res.details_other["ResourceType"] = v.resource_type;
  if (!v.resource_name.empty()) res.details_other["Name"] = v.resource_name;
  if (!v.module_name.empty()) res.details_other["Module"] = v.module_name;
  f.resources.push_back(std::move(res));
  auto& pf = f.product_fields;
  pf["terrascan/RuleId"] = v.rule_id;
  if (!v.rule_name.empty()) pf["terrascan/RuleName"] = v.rule_name;
  if (!v.category.empty()) pf["terrascan/Category"] = v.category;
  if (!v.plan_root.empty()) pf["terrascan/PlanRoot"] = v.plan_root;
  if (skipped) {
    f.workflow = WorkflowStatus::kSuppressed;
    pf["terrascan/Skipped"] = "true";
    if (!Trim(v.skip_comment).empty()) {
      pf["terrascan/SkipComment"] = Trim(v.skip_comment);
      f.note = Note{Trim(v.skip_comment), "terrascan", ""};
    }
  }
  return sink.Accept(std::move(f));
}

Status ReadResults(JsonReport& rep, od::object results, IacAnchors& anchors, FindingSink& sink) {
  return ForEachField(rep, results, [&](std::string_view key, od::value v) -> Status {
    if (key == "scan_summary") {
      od::object summary;
      if (v.get_object().get(summary)) return Status::Ok();
      return ForEachField(rep, summary, [&](std::string_view sk, od::value sv) -> Status {
        std::string target;
        if (sk == "file/folder" && ReadString(sv, &target) && !Trim(target).empty()) sink.AddTarget(Trim(target));
        return Status::Ok();
      });
    }
    const bool skipped = key == "skipped_violations";
    if (key != "violations" && !skipped) return Status::Ok();
    std::string list(key);
    return ForEachOfNullOrArray(rep, v, "\"" + list + "\" is not an array", "bad violation",
                                [&](size_t i, od::value vv) -> Status {
                                  return ReadViolation(rep, vv, "results." + list + "[" + std::to_string(i) + "]",
                                                       skipped, anchors, sink);
                                });
  });
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  od::object root;
  if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("expected a Terrascan JSON object", ec);
  bool saw_results = false;
  IacAnchors anchors;
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, root, [&](std::string_view key, od::value v) -> Status {
    if (key != "results") return Status::Ok();
    saw_results = true;
    od::object results;
    if (auto ec = v.get_object().get(results)) return rep.Malformed("\"results\" is not an object", ec);
    return ReadResults(rep, results, anchors, sink);
  }));
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  if (!saw_results) return MakeError(ErrorCode::kSchema, "not a Terrascan report: no \"results\"", src.path());
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& TerrascanFormat() {
  static const FormatDescriptor kDesc{"terrascan", "terrascan", "Terrascan scan -o json (IaC policy violations)",
                                      kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
