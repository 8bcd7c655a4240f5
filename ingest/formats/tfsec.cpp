// tfsec `--format json` (https://aquasecurity.github.io/tfsec/latest/guides/configuration/output/):
//   current (v0.58+, v1.x):
//     {"results": [{"rule_id", "long_id"?, "legacy_rule_id"?, "rule_description", "rule_provider",
//                   "rule_service"?, "impact", "resolution", "links": [..], "description",
//                   "severity": "CRITICAL"|"HIGH"|"MEDIUM"|"LOW", "warning"?: bool,
//                   "status": 0|1|2 or "failed"|"passed"|"ignored", "resource"?,
//                   "location": {"filename", "start_line", "end_line"}}]}
//   legacy (before v0.40):
//     {"results": [{"rule_id", "rule_description", "rule_provider", "link": "See <url> for more
//                   information.", "location": {...}, "description", "impact", "resolution",
//                   "severity": "ERROR"|"WARNING"|"INFO", "passed"?: bool}]}
//   oldest (v0.1x): {"results": [{"rule_id", "link", "location", "description", "severity"}]},
//   sometimes after a line of other text (JsonStart skips it).
//   nothing found: {"results": null} or {"results": []}.
//
// One finding per result whose "passed" is not true and whose status is not passed (1 /
// "passed": --include-passed lists them). An ignored result (status 2 / "ignored": a
// `tfsec:ignore` comment, listed with --include-ignored) is kept with Workflow SUPPRESSED.
// Severity: CRITICAL / HIGH / MEDIUM / LOW as given; legacy ERROR -> HIGH, WARNING -> MEDIUM,
// INFO -> LOW; anything else INFORMATIONAL (the original is kept in Severity.Original).
// Resource: "resource" when given, else the address quoted in the description ("Resource
// 'module.eks:aws_eks_cluster.this' has ...", "Block '...'", "Provider '...'"); Resources[] gets
// the address as Id and the Terraform resource type in Details.Other.
// Identity: CodeFingerprint("tfsec", rule_id, filename, anchor) with the anchor the resource
// address (line-insensitive: a resource that moved keeps its identity); without one, the
// description with whitespace collapsed. A second result with the same (rule, file, anchor) at
// another position (two attributes of one resource) gets "#<n>"; the same result repeated
// verbatim (same position and text) takes its first copy's anchor, so it is stored once.
// Types: rule_provider "aws" (or an AVD-AWS-* / aws-* rule) -> "Software and Configuration Checks/AWS Security Best
// Practices/tfsec", others "Software and Configuration Checks/Industry and Regulatory
// Standards/tfsec".
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
  if (h.empty() || h[0] != '{') return SniffConfidence::kNo;
  if (HeadHas(h, "\"results\"") && HeadHas(h, "\"rule_id\"") && HeadHas(h, "\"location\"") &&
      HeadHas(h, "\"start_line\"") &&
      (HeadHas(h, "\"rule_provider\"") || HeadHas(h, "\"rule_description\"") || HeadHas(h, "\"link\"") ||
       HeadHas(h, "\"links\""))) {
    return SniffConfidence::kCertain;
  }
  // {"results": null}: tfsec's own "nothing found" (no other format writes it).
  std::string compact;
  for (char c : h.substr(0, 64)) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact.push_back(c);
  }
  if (compact == "{\"results\":null}") return SniffConfidence::kLikely;
  return SniffConfidence::kNo;
}

struct Result {
  std::string rule_id, long_id, legacy_rule_id, rule_description, rule_provider, rule_service;
  std::string impact, resolution, link, description, severity, status, resource, filename;
  std::vector<std::string> links;
  bool passed = false, warning = false;
  int64_t start = 0, end = 0;
};

SeverityLabel SeverityOf(std::string_view s) {
  if (EqualsIgnoreCase(s, "CRITICAL")) return SeverityLabel::kCritical;
  if (EqualsIgnoreCase(s, "HIGH") || EqualsIgnoreCase(s, "ERROR")) return SeverityLabel::kHigh;
  if (EqualsIgnoreCase(s, "MEDIUM") || EqualsIgnoreCase(s, "WARNING")) return SeverityLabel::kMedium;
  if (EqualsIgnoreCase(s, "LOW") || EqualsIgnoreCase(s, "INFO")) return SeverityLabel::kLow;
  return SeverityLabel::kInformational;
}

// The first '...' span of a description ("Resource 'x' ...").
std::string QuotedAddress(std::string_view d) {
  size_t a = d.find('\'');
  if (a == std::string_view::npos) return "";
  size_t b = d.find('\'', a + 1);
  if (b == std::string_view::npos || b == a + 1 || b - a > 512) return "";
  return std::string(d.substr(a + 1, b - a - 1));
}

// "See https://... for more information." -> the URL.
std::string UrlIn(std::string_view s) {
  size_t a = s.find("http");
  if (a == std::string_view::npos) return "";
  size_t b = a;
  while (b < s.size() && s[b] != ' ' && s[b] != '\t' && s[b] != '\n') ++b;
  return std::string(s.substr(a, b - a));
}

Status ReadLocation(JsonReport& rep, od::value v, Result* r, bool* ok) {
  od::object obj;
  if (v.get_object().get(obj)) {
    *ok = IsNull(v);
    return Status::Ok();
  }
  return ForEachField(rep, obj, [&](std::string_view key, od::value fv) -> Status {
    if (key == "filename") *ok &= ReadString(fv, &r->filename);
    else if (key == "start_line") *ok &= ReadOptionalInt(fv, &r->start) != IntField::kBad;
    else if (key == "end_line") *ok &= ReadOptionalInt(fv, &r->end) != IntField::kBad;
    return Status::Ok();
  });
}

Status ReadResult(JsonReport& rep, od::value rv, size_t index, IacAnchors& anchors, FindingSink& sink) {
  std::string where = "results[" + std::to_string(index) + "]";
  od::object obj;
  if (rv.get_object().get(obj)) {
    sink.AddReject(rep.MakeReject(rv, where, "result is not an object"));
    return Status::Ok();
  }
  Result r;
  std::string bad;
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value v) -> Status {
    bool ok = true;
    if (key == "rule_id") ok = ReadString(v, &r.rule_id);
    else if (key == "long_id") ok = ReadString(v, &r.long_id);
    else if (key == "legacy_rule_id") ok = ReadString(v, &r.legacy_rule_id);
    else if (key == "rule_description") ok = ReadString(v, &r.rule_description);
    else if (key == "rule_provider") ok = ReadString(v, &r.rule_provider);
    else if (key == "rule_service") ok = ReadString(v, &r.rule_service);
    else if (key == "impact") ok = ReadString(v, &r.impact);
    else if (key == "resolution") ok = ReadString(v, &r.resolution);
    else if (key == "link") ok = ReadString(v, &r.link);
    else if (key == "links") ok = ReadStrings(v, &r.links);
    else if (key == "description") ok = ReadString(v, &r.description);
    else if (key == "severity") ok = ReadString(v, &r.severity);
    else if (key == "status") ok = ReadString(v, &r.status);
    else if (key == "resource") ok = ReadString(v, &r.resource);
    else if (key == "passed") {
      std::string s;
      ok = ReadString(v, &s);
      r.passed = s == "true";
    } else if (key == "warning") {
      std::string s;
      ReadString(v, &s);
      r.warning = s == "true";
    } else if (key == "location") {
      FINDEX_RETURN_IF_ERROR(ReadLocation(rep, v, &r, &ok));
    }
    if (!ok && bad.empty()) bad = "\"" + std::string(key) + "\" has the wrong type";
    return Status::Ok();
  }));
  if (!bad.empty()) {
    sink.AddReject(rep.MakeReject(rv, where, bad));
    return Status::Ok();
  }
  if (Trim(r.rule_id).empty() && !Trim(r.long_id).empty()) r.rule_id = r.long_id;
  if (Trim(r.rule_id).empty() || Trim(r.filename).empty()) {
    sink.AddReject(rep.MakeReject(rv, where, "result has no rule_id or location.filename"));
    return Status::Ok();
  }
  // tfsec's scan.Status: 0 failed, 1 passed, 2 ignored.
  if (r.passed || r.status == "1" || EqualsIgnoreCase(r.status, "passed")) return Status::Ok();
  const bool ignored = r.status == "2" || EqualsIgnoreCase(r.status, "ignored");

  Finding f = IacFinding("tfsec", "tfsec", "Aqua Security", SeverityOf(r.severity), r.severity);
  std::string address = !Trim(r.resource).empty() ? Trim(r.resource) : QuotedAddress(r.description);
  std::string base = !address.empty() ? address : CollapseWhitespace(r.description);
  std::string record = r.rule_id + '\x1f' + r.filename + '\x1f' + std::to_string(r.start) + '-' +
                       std::to_string(r.end) + '\x1f' + r.description + '\x1f' + r.resource;
  std::string anchor = anchors.Assign(record, r.rule_id + '\x1f' + r.filename + '\x1f' + base, base);
  f.fingerprint = CodeFingerprint("tfsec", r.rule_id, r.filename, anchor);
  f.generator_id = "tfsec/" + r.rule_id;
  const bool aws = EqualsIgnoreCase(r.rule_provider, "aws") || StartsWith(r.rule_id, "AVD-AWS-") ||
                   StartsWith(r.long_id, "aws-");
  f.types = IacTypes(aws, "tfsec");
  std::string summary = CollapseWhitespace(r.rule_description);
  f.title = summary.empty() ? r.rule_id : summary;
  if (!address.empty()) f.title += " (" + address + ")";
  std::string d = Trim(r.description).empty() ? f.title : Trim(r.description);
  d += "\n\nRule: " + r.rule_id;
  if (!r.long_id.empty() && r.long_id != r.rule_id) d += " (" + r.long_id + ")";
  d += "\nLocation: " + r.filename;
  if (r.start > 0) {
    d += ":" + std::to_string(r.start);
    if (r.end > r.start) d += "-" + std::to_string(r.end);
  }
  if (!Trim(r.impact).empty()) d += "\n\nImpact: " + Trim(r.impact);
  if (ignored) d += "\n\nIgnored in the scan (a tfsec:ignore comment or exclusion).";
  f.description = d;
  f.remediation_text = Trim(r.resolution);
  f.remediation_url = !r.links.empty() ? r.links.front() : UrlIn(r.link);
  if (f.remediation_text.empty() && !f.remediation_url.empty()) {
    f.remediation_text = "See the tfsec documentation for " + r.rule_id + ".";
  }
  f.location.file_path = r.filename;
  if (r.start > 0) f.location.start_line = static_cast<int>(r.start);
  if (r.end > r.start) f.location.end_line = static_cast<int>(r.end);
  Resource res;
  res.id = !address.empty() ? address : r.filename;
  res.details_other["File"] = r.filename;
  if (!address.empty()) {
    res.details_other["Name"] = address;
    std::string type = TerraformResourceType(address);
    if (!type.empty()) res.details_other["ResourceType"] = type;
  }
  f.resources.push_back(std::move(res));
  auto& pf = f.product_fields;
  pf["tfsec/RuleId"] = r.rule_id;
  if (!r.long_id.empty()) pf["tfsec/LongId"] = r.long_id;
  if (!r.legacy_rule_id.empty()) pf["tfsec/LegacyRuleId"] = r.legacy_rule_id;
  if (!r.rule_provider.empty()) pf["tfsec/Provider"] = r.rule_provider;
  if (!r.rule_service.empty()) pf["tfsec/Service"] = r.rule_service;
  if (r.warning) pf["tfsec/Warning"] = "true";
  if (ignored) {
    f.workflow = WorkflowStatus::kSuppressed;
    pf["tfsec/Status"] = "ignored";
  }
  return sink.Accept(std::move(f));
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  IacAnchors anchors;
  return IngestListUnderKey(src, "tfsec", "results", "result", [&](JsonReport& rep, size_t index, od::value rv) {
    return ReadResult(rep, rv, index, anchors, sink);
  });
}

}  // namespace

const FormatDescriptor& TfsecFormat() {
  static const FormatDescriptor kDesc{"tfsec", "tfsec", "tfsec --format json (Terraform IaC)", kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
