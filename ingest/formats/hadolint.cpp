// Hadolint `-f json` (https://github.com/hadolint/hadolint#formatters; Hadolint.Formatter.Json):
//   [{"line", "code", "message", "column", "file", "level"}, ...]
//   code: a Hadolint rule ("DL3008") or a ShellCheck code ("SC2086") for the RUN scripts;
//   level: "error" | "warning" | "info" | "style". Nothing found: [] (content-free: it needs
//   --format hadolint or a file name matching *hadolint*.json).
//
// One finding per entry. Severity: error -> HIGH, warning -> MEDIUM, info -> LOW, style ->
// INFORMATIONAL (anything else INFORMATIONAL; Severity.Original keeps Hadolint's word).
// Identity: CodeFingerprint("hadolint", code, file, anchor). Hadolint's JSON gives neither the
// flagged source line nor an instruction name, only a line number, which moves when a line is
// added above; so the anchor is the message (collapsed) plus the ordinal of (code, file, message)
// in report order: "Pin versions in apt get install..." at lines 9 and 25 are #0 and #1, and
// stay so when both move. (Were a "source"/"line content" given, it would be the anchor; the
// upstream formatter writes none.) An entry repeated verbatim (same line and column) takes its
// first copy's anchor and is stored once.
// Resource: the Dockerfile (Id = file, Details.Other ResourceType "Dockerfile").
// Types: "Software and Configuration Checks/Industry and Regulatory Standards/Dockerfile".
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
  if (h.empty() || h[0] != '[') return SniffConfidence::kNo;
  if (HeadHas(h, "\"code\"") && HeadHas(h, "\"level\"") && HeadHas(h, "\"file\"") && HeadHas(h, "\"line\"") &&
      HeadHas(h, "\"message\"") && (HeadHas(h, "\"DL") || HeadHas(h, "\"SC"))) {
    return SniffConfidence::kCertain;
  }
  return SniffConfidence::kNo;
}

struct Entry {
  std::string code, message, file, level;
  int64_t line = 0, column = 0;
};

SeverityLabel SeverityOf(std::string_view s) {
  if (EqualsIgnoreCase(s, "error")) return SeverityLabel::kHigh;
  if (EqualsIgnoreCase(s, "warning")) return SeverityLabel::kMedium;
  if (EqualsIgnoreCase(s, "info")) return SeverityLabel::kLow;
  return SeverityLabel::kInformational;  // style, ignore, unknown
}

std::string RuleUrl(const std::string& code) {
  if (StartsWith(code, "DL")) return "https://github.com/hadolint/hadolint/wiki/" + code;
  if (StartsWith(code, "SC")) return "https://www.shellcheck.net/wiki/" + code;
  return "";
}

Status ReadEntry(JsonReport& rep, od::value ev, size_t index, IacAnchors& anchors, size_t* accepted,
                 FindingSink& sink) {
  std::string where = "[" + std::to_string(index) + "]";
  od::object obj;
  if (ev.get_object().get(obj)) {
    sink.AddReject(rep.MakeReject(ev, where, "entry is not an object"));
    return Status::Ok();
  }
  Entry e;
  std::string bad;
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value v) -> Status {
    bool ok = true;
    if (key == "code") ok = ReadString(v, &e.code);
    else if (key == "message") ok = ReadString(v, &e.message);
    else if (key == "file") ok = ReadString(v, &e.file);
    else if (key == "level") ok = ReadString(v, &e.level);
    else if (key == "line") ok = ReadOptionalInt(v, &e.line) != IntField::kBad;
    else if (key == "column") ok = ReadOptionalInt(v, &e.column) != IntField::kBad;
    if (!ok && bad.empty()) bad = "\"" + std::string(key) + "\" has the wrong type";
    return Status::Ok();
  }));
  if (bad.empty() && (Trim(e.code).empty() || Trim(e.file).empty())) bad = "entry has no code or file";
  if (!bad.empty()) {
    sink.AddReject(rep.MakeReject(ev, where, bad));
    return Status::Ok();
  }
  ++*accepted;
  Finding f = IacFinding("hadolint", "Hadolint", "Hadolint", SeverityOf(e.level), e.level);
  std::string msg = CollapseWhitespace(e.message);
  std::string record = e.code + '\x1f' + e.file + '\x1f' + std::to_string(e.line) + ':' + std::to_string(e.column) +
                       '\x1f' + e.message + '\x1f' + e.level;
  std::string anchor = anchors.Assign(record, e.code + '\x1f' + e.file + '\x1f' + msg, "message:" + msg);
  f.fingerprint = CodeFingerprint("hadolint", e.code, e.file, anchor);
  f.generator_id = "hadolint/" + e.code;
  f.types = IacTypes(false, "Dockerfile");
  f.title = e.code + " " + (msg.empty() ? std::string("Hadolint rule") : msg);
  std::string d = msg.empty() ? f.title : Trim(e.message);
  d += "\n\nRule: " + e.code + (StartsWith(e.code, "SC") ? " (ShellCheck, in a RUN instruction)" : "");
  d += "\nLocation: " + e.file + (e.line > 0 ? ":" + std::to_string(e.line) : "");
  f.description = d;
  f.remediation_url = RuleUrl(e.code);
  if (!f.remediation_url.empty()) f.remediation_text = "See the rule's documentation for " + e.code + ".";
  f.location.file_path = e.file;
  if (e.line > 0) f.location.start_line = static_cast<int>(e.line);
  Resource res;
  res.id = e.file;
  res.details_other["File"] = e.file;
  res.details_other["ResourceType"] = "Dockerfile";
  if (e.line > 0) res.details_other["Line"] = std::to_string(e.line);
  f.resources.push_back(std::move(res));
  f.product_fields["hadolint/Code"] = e.code;
  if (!e.level.empty()) f.product_fields["hadolint/Level"] = e.level;
  return sink.Accept(std::move(f));
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  od::array entries;
  if (auto ec = rep.doc().get_array().get(entries)) return rep.Malformed("expected a Hadolint JSON array", ec);
  size_t index = 0, accepted = 0;
  IacAnchors anchors;
  for (auto e : entries) {
    od::value ev;
    if (auto ec = e.get(ev)) return rep.Malformed("bad entry", ec);
    FINDEX_RETURN_IF_ERROR(ReadEntry(rep, ev, index++, anchors, &accepted, sink));
  }
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  // Another tool's array (forced with --format): not one entry reads as Hadolint's.
  if (index > 0 && accepted == 0) {
    return MakeError(ErrorCode::kSchema, "not a Hadolint report: no entry has a code and a file", src.path());
  }
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& HadolintFormat() {
  static const FormatDescriptor kDesc{"hadolint", "hadolint", "Hadolint -f json (Dockerfile lint)", kExt, Sniff,
                                      Ingest};
  return kDesc;
}

}  // namespace findex
