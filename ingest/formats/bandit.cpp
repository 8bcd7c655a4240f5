// Bandit `-f json` (https://bandit.readthedocs.io/en/latest/formatters/json.html):
//   {"errors": [{"filename", "reason"}], "generated_at": "...",
//    "metrics": {"_totals": {...}, "<file>": {...}},
//    "results": [{"code", "col_offset"?, "end_col_offset"?, "filename", "issue_confidence",
//                 "issue_cwe"?: {"id", "link"}, "issue_severity", "issue_text", "line_number",
//                 "line_range", "more_info", "test_id", "test_name"}]}
// Bandit sorts keys, so "results" comes after "metrics", which holds one entry per scanned file
// and often pushes "results" past the first 64 KiB: the sniffer keys on "generated_at" +
// "metrics" + the metric names instead.
//
// errors[] lists the files Bandit skipped ({"filename", "reason"}: "syntax error while parsing
// AST from file", "exception while scanning file", an OS error such as "Permission denied"). Each
// is an INFORMATIONAL finding "Bandit could not scan <file>: <reason>", generator
// "bandit/scan-error", so a file that was never scanned stays visible. They are handed on only
// once the report has proved to be Bandit's ("errors" sorts first, and Semgrep writes "errors"
// too); an entry without a filename is a reject.
//
// Severity: issue_severity HIGH / MEDIUM / LOW as Bandit rates it; UNDEFINED (Bandit's
// constants.RANKING starts with UNDEFINED) is INFORMATIONAL.
// Confidence: issue_confidence HIGH / MEDIUM / LOW -> 90 / 60 / 30 (Bandit's three-level
// confidence mapped onto the ASFF 0-100 scale; UNDEFINED leaves Confidence absent).
//
// Identity: CodeFingerprint("bandit", test_id, filename, anchor) where the anchor is the flagged
// source: the lines of "code" that fall inside line_range, with Bandit's leading line numbers
// stripped, through NormalizeSnippet (all of "code" when no line is in the range). Line numbers
// and the surrounding context lines are left out, so a finding that only moved keeps its
// identity. With no code, the anchor is the ordinal of (test_id, filename, issue_text). When the
// same test flags the same source twice in a file (Bandit reports one result per AST node),
// later ones get "#<n>" appended; only a true duplicate (the same record again: same position,
// text and code) takes the anchor of its first copy and is one finding. generated_at and
// metrics are not part of identity.
// Secrets: B105, B106 and B107 (hard-coded password string, function argument, default) quote
// the suspected password in issue_text and code. The title and description keep the text with
// the password replaced by a redacted preview (RedactedPreview, sast_common.h), the code is
// withheld, and ProductFields bandit/SecretPreview and bandit/SecretHash (xxh3-128) let two
// findings be compared; Types "Sensitive Data Identifications/Passwords". The identity is
// unchanged (the anchor is hashed into the fingerprint, never stored).
// A scan error: CodeFingerprint("bandit", "scan-error", filename, "") -- the file is the gap; the
// reason is content (a new reason updates the finding). A repeated filename is dropped.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include "ingest/formats/sast_common.h"
#include "ingest/json_util.h"
#include "ingest/scan_gap.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || h[0] != '{') return SniffConfidence::kNo;
  if (HeadHas(h, "\"issue_severity\"") && HeadHas(h, "\"test_id\"") && HeadHas(h, "\"issue_confidence\"")) {
    return SniffConfidence::kCertain;
  }
  if (HeadHas(h, "\"generated_at\"") && HeadHas(h, "\"metrics\"") &&
      (HeadHas(h, "\"_totals\"") || HeadHas(h, "\"SEVERITY.HIGH\"") || HeadHas(h, "\"CONFIDENCE.HIGH\""))) {
    return SniffConfidence::kCertain;
  }
  return SniffConfidence::kNo;
}

struct Result {
  std::string code, filename, confidence, severity, text, more_info, test_id, test_name;
  std::string cwe_id, cwe_link;
  int64_t line = 0, col = -1, end_col = -1;
  std::vector<int64_t> range;
};

// "12 import os" -> (12, "import os"); lines without a number give (-1, line).
std::pair<int64_t, std::string_view> SplitNumberedLine(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] >= '0' && line[i] <= '9') ++i;
  if (i == 0 || i > 12) return {-1, line};
  int64_t n = 0;
  for (size_t k = 0; k < i; ++k) n = n * 10 + (line[k] - '0');
  std::string_view rest = line.substr(i);
  if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  return {n, rest};
}

// The flagged source lines of "code" (those inside [lo, hi]), numbers stripped.
std::string FlaggedSource(std::string_view code, int64_t lo, int64_t hi) {
  std::string in_range, all;
  size_t pos = 0;
  while (pos <= code.size()) {
    size_t nl = code.find('\n', pos);
    std::string_view line = code.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    auto [n, text] = SplitNumberedLine(line);
    all.append(text).push_back('\n');
    if (n >= lo && n <= hi) in_range.append(text).push_back('\n');
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  std::string anchor = NormalizeSnippet(in_range);
  return anchor.empty() ? NormalizeSnippet(all) : anchor;
}

// Bandit's documented levels; UNDEFINED and anything unknown are INFORMATIONAL.
SeverityLabel SeverityOf(std::string_view s) {
  if (EqualsIgnoreCase(s, "HIGH")) return SeverityLabel::kHigh;
  if (EqualsIgnoreCase(s, "MEDIUM")) return SeverityLabel::kMedium;
  if (EqualsIgnoreCase(s, "LOW")) return SeverityLabel::kLow;
  return SeverityLabel::kInformational;
}

int ConfidenceOf(std::string_view s) {
  if (EqualsIgnoreCase(s, "HIGH")) return 90;
  if (EqualsIgnoreCase(s, "MEDIUM")) return 60;
  if (EqualsIgnoreCase(s, "LOW")) return 30;
  return -1;
}

bool ReadIntArray(od::value v, std::vector<int64_t>* out) {
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

// errors[] entries, read before the report is known to be Bandit's; emitted at the end.
struct ScanErrors {
  std::vector<Finding> findings;
  std::vector<Reject> rejects;
  std::set<std::string> files;
};

Finding ScanErrorFinding(const std::string& filename, const std::string& reason) {
  Finding f = ScanGapFinding("bandit", "scan-error", "Bandit", "PyCQA", filename, "");
  std::string why = CollapseWhitespace(reason);
  f.title = "Bandit could not scan " + filename + (why.empty() ? "" : ": " + why);
  f.description = "Bandit could not scan " + filename + (why.empty() ? "" : " (" + why + ")") +
                  ", so the file was not scanned: no test ran on it, and any issue in it is missing from this "
                  "report.";
  f.remediation_text = "Make the file readable and valid Python for the interpreter Bandit runs under, then scan it again.";
  f.product_fields["bandit/ScanError"] = "true";
  if (!why.empty()) f.product_fields["bandit/Reason"] = why;
  return f;
}

Status ReadErrors(JsonReport& rep, od::value lv, ScanErrors* out) {
  od::json_type t;
  if (auto ec = lv.type().get(t)) return rep.Malformed("bad errors", ec);
  if (t == od::json_type::null) return Status::Ok();
  od::array errors;
  if (auto ec = lv.get_array().get(errors)) return rep.Malformed("\"errors\" is not an array", ec);
  size_t i = 0;
  for (auto e : errors) {
    od::value ev;
    if (auto ec = e.get(ev)) return rep.Malformed("bad error entry", ec);
    std::string where = "errors[" + std::to_string(i++) + "]";
    od::object obj;
    if (ev.get_object().get(obj)) {
      out->rejects.push_back(rep.MakeReject(ev, where, "error entry is not an object"));
      continue;
    }
    std::string filename, reason, bad;
    FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value v) -> Status {
      bool ok = true;
      if (key == "filename") ok = ReadString(v, &filename);
      else if (key == "reason") ok = ReadString(v, &reason);
      if (!ok && bad.empty()) bad = "\"" + std::string(key) + "\" has the wrong type";
      return Status::Ok();
    }));
    if (bad.empty() && Trim(filename).empty()) bad = "error entry has no filename";
    if (!bad.empty()) {
      out->rejects.push_back(rep.MakeReject(ev, where, bad));
      continue;
    }
    if (!out->files.insert(filename).second) continue;
    out->findings.push_back(ScanErrorFinding(filename, reason));
  }
  return Status::Ok();
}

// Ordinals of repeated anchors, and the anchor given to each distinct record.
struct Ordinals {
  std::map<std::string, int> counts;
  std::unordered_map<uint64_t, std::string> anchors;  // hash of a record -> its anchor
};

Status ReadResult(JsonReport& rep, od::value rv, size_t index, Ordinals& ordinals,
                  size_t* accepted, FindingSink& sink) {
  std::string where = "results[" + std::to_string(index) + "]";
  od::object obj;
  if (rv.get_object().get(obj)) {
    sink.AddReject(rep.MakeReject(rv, where, "result is not an object"));
    return Status::Ok();
  }
  Result r;
  std::string bad;
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
    od::value v;
    if (auto ec = field.value().get(v)) return rep.Malformed("bad value", ec);
    bool ok = true;
    if (key == "code") ok = ReadString(v, &r.code);
    else if (key == "filename") ok = ReadString(v, &r.filename);
    else if (key == "issue_confidence") ok = ReadString(v, &r.confidence);
    else if (key == "issue_severity") ok = ReadString(v, &r.severity);
    else if (key == "issue_text") ok = ReadString(v, &r.text);
    else if (key == "more_info") ok = ReadString(v, &r.more_info);
    else if (key == "test_id") ok = ReadString(v, &r.test_id);
    else if (key == "test_name") ok = ReadString(v, &r.test_name);
    else if (key == "line_number") ok = ReadInt(v, &r.line);
    else if (key == "col_offset") ReadInt(v, &r.col);  // only tells true duplicates apart
    else if (key == "end_col_offset") ReadInt(v, &r.end_col);
    else if (key == "line_range") ok = ReadIntArray(v, &r.range);
    else if (key == "issue_cwe") {
      od::object cwe;
      if (v.get_object().get(cwe) == simdjson::SUCCESS) {
        for (auto cf : cwe) {
          std::string_view ck;
          od::value cv;
          if (cf.unescaped_key().get(ck) || cf.value().get(cv)) return rep.Malformed("bad issue_cwe", simdjson::TAPE_ERROR);
          if (ck == "id") ReadString(cv, &r.cwe_id);
          else if (ck == "link") ReadString(cv, &r.cwe_link);
        }
      }
    }
    if (!ok && bad.empty()) bad = "\"" + std::string(key) + "\" has the wrong type";
  }
  if (!bad.empty()) {
    sink.AddReject(rep.MakeReject(rv, where, bad));
    return Status::Ok();
  }
  if (Trim(r.test_id).empty() || Trim(r.filename).empty()) {
    sink.AddReject(rep.MakeReject(rv, where, "result has no test_id or filename"));
    return Status::Ok();
  }

  Finding f;
  f.scanner = "bandit";
  f.format = "bandit";
  f.product_name = "Bandit";
  f.company_name = "PyCQA";
  SeverityLabel label = SeverityOf(r.severity);
  f.severity.label = label;
  f.severity.normalized = DefaultNormalized(label);
  f.severity.original = r.severity;
  f.confidence = ConfidenceOf(r.confidence);

  int64_t lo = r.line, hi = r.line;
  if (!r.range.empty()) {
    lo = *std::min_element(r.range.begin(), r.range.end());
    hi = *std::max_element(r.range.begin(), r.range.end());
  }
  // A true duplicate (the same record again: same test, file, position, text and code) is the
  // same finding: it takes the anchor of its first copy instead of the next ordinal.
  std::string record = r.test_id + '\x1f' + r.filename + '\x1f' + std::to_string(r.line) + ':' + std::to_string(r.col) +
                       '-' + std::to_string(hi) + ':' + std::to_string(r.end_col) + '\x1f' + r.text + '\x1f' + r.code;
  const uint64_t record_hash = Hash64(record);
  auto dup = ordinals.anchors.find(record_hash);
  std::string anchor = dup != ordinals.anchors.end() ? dup->second
                       : Trim(r.code).empty()         ? std::string()
                                                      : FlaggedSource(r.code, lo, hi);
  if (dup != ordinals.anchors.end()) {
    // already numbered
  } else if (anchor.empty()) {
    std::string key = "text\x1f" + r.test_id + '\x1f' + r.filename + '\x1f' + r.text;
    anchor = "ordinal:" + std::to_string(ordinals.counts[key]++);
  } else {
    int n = ordinals.counts["code\x1f" + r.test_id + '\x1f' + r.filename + '\x1f' + anchor]++;
    if (n > 0) anchor += "#" + std::to_string(n);
  }
  if (dup == ordinals.anchors.end()) ordinals.anchors.emplace(record_hash, anchor);
  f.fingerprint = CodeFingerprint("bandit", r.test_id, r.filename, anchor);
  f.generator_id = "bandit/" + r.test_id;
  // B105-B107 quote the suspected password in their text and code: neither is stored in clear.
  const bool secret = IsBanditPasswordTest(r.test_id);
  std::string password;
  std::string issue_text = secret ? RedactBanditPasswordText(r.text, &password) : r.text;
  std::string text = CollapseWhitespace(issue_text);
  f.title = text.empty() ? r.test_id + " " + r.test_name : text;
  f.description = issue_text.empty() ? f.title : issue_text;
  f.description += "\n\nTest: " + r.test_id + (r.test_name.empty() ? "" : " " + r.test_name);
  f.description += "\nLocation: " + r.filename + (r.line > 0 ? ":" + std::to_string(r.line) : "");
  if (!Trim(r.code).empty()) {
    f.description += secret ? std::string("\n\nCode: withheld (it holds the suspected password).")
                            : "\n\nCode:\n" + r.code;
  }
  if (secret) {
    f.types = {"Sensitive Data Identifications/Passwords"};
    if (!password.empty()) {
      f.product_fields["bandit/SecretPreview"] = RedactedPreview(password);
      f.product_fields["bandit/SecretHash"] = SecretHash(password);
    }
  }
  f.remediation_url = r.more_info;
  if (!r.more_info.empty()) f.remediation_text = "See the Bandit documentation for " + r.test_id + ".";
  if (!r.cwe_id.empty() && r.cwe_id != "0") f.cwes.push_back("CWE-" + r.cwe_id);
  f.location.file_path = r.filename;
  f.location.start_line = static_cast<int>(lo > 0 ? lo : 0);
  f.location.end_line = static_cast<int>(hi > lo ? hi : 0);
  Resource res;
  res.id = r.filename;
  if (r.line > 0) res.details_other["Line"] = std::to_string(r.line);
  f.resources.push_back(std::move(res));
  f.product_fields["bandit/TestId"] = r.test_id;
  if (!r.test_name.empty()) f.product_fields["bandit/TestName"] = r.test_name;
  if (!r.confidence.empty()) f.product_fields["bandit/Confidence"] = r.confidence;
  if (!r.cwe_link.empty()) f.product_fields["bandit/CweLink"] = r.cwe_link;
  ++*accepted;
  return sink.Accept(std::move(f));
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  od::object root;
  if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("expected a Bandit JSON object", ec);
  bool saw_meta = false, saw_results = false;
  size_t results_seen = 0, accepted = 0;
  Ordinals ordinals;
  ScanErrors scan_errors;
  for (auto field : root) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
    if (key == "errors") {
      od::value lv;
      if (auto ec = field.value().get(lv)) return rep.Malformed("bad errors", ec);
      FINDEX_RETURN_IF_ERROR(ReadErrors(rep, lv, &scan_errors));
      continue;
    }
    if (key == "generated_at" || key == "metrics") {
      saw_meta = true;  // statistics carry no findings
      continue;
    }
    if (key != "results") continue;
    saw_results = true;
    od::array results;
    if (auto ec = field.value().get_array().get(results)) return rep.Malformed("\"results\" is not an array", ec);
    for (auto e : results) {
      od::value rv;
      if (auto ec = e.get(rv)) return rep.Malformed("bad result", ec);
      FINDEX_RETURN_IF_ERROR(ReadResult(rep, rv, results_seen++, ordinals, &accepted, sink));
    }
  }
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  // Semgrep and others also write {"errors", "results"}: without Bandit's own keys, at least one
  // result must read as a Bandit result.
  if (!saw_meta && !(saw_results && (results_seen == 0 || accepted > 0))) {
    return MakeError(ErrorCode::kSchema,
                     "not a Bandit report: no \"generated_at\" / \"metrics\" and no result with test_id and filename",
                     src.path());
  }
  for (auto& r : scan_errors.rejects) sink.AddReject(std::move(r));
  for (auto& f : scan_errors.findings) FINDEX_RETURN_IF_ERROR(sink.Accept(std::move(f)));
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& BanditFormat() {
  static const FormatDescriptor kDesc{"bandit", "bandit", "Bandit -f json (Python SAST)", kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
