// Semgrep CLI JSON (`semgrep scan --json`, https://semgrep.dev/docs/cli-reference; schema
// semgrep_output_v1.atd "cli_output"):
//   {"version"?: "1.97.0",
//    "results": [{"check_id", "path", "start": {line, col, offset}, "end": {...},
//                 "extra": {"message", "severity", "metadata": {cwe (string or list), owasp,
//                           references, confidence, likelihood, impact, category, source, ...},
//                           "lines", "fingerprint", "is_ignored", "fix", "engine_kind", ...}}],
//    "errors": [...], "paths": {"scanned": [...]}, "skipped_rules"?: [...]}
// Key order varies between versions ("version" first since 1.x, absent before). "errors" are
// Semgrep's own problems (parse failures, timeouts), not findings. {"results": [], "errors": []}
// is an empty scan.
// Not supported: the Semgrep AppSec Platform API page of supply-chain findings
// ({"vulns": [...], "hasMore", "cursor"}, /deployments/{slug}/ssc-vulns). It is one page of a
// paginated list spanning many repositories, not a scan: ingesting it as a scan would mark
// everything on the other pages fixed. It is refused with an error saying so.
//
// Severity (https://semgrep.dev/docs/writing-rules/rule-syntax, "severity";
// https://semgrep.dev/docs/kb/rules/understand-severities): rules are LOW, MEDIUM, HIGH or
// CRITICAL; the older INFO, WARNING and ERROR "match LOW, MEDIUM and HIGH". Each maps to the
// ASFF label of the same meaning; EXPERIMENT and INVENTORY (informational rule modes) give
// INFORMATIONAL; anything else MEDIUM, kept verbatim in Severity.Original.
// Confidence: metadata.confidence HIGH 80, MEDIUM 50, LOW 20 (ConfidenceForWord).
// is_ignored (a `nosemgrep` comment) -> workflow SUPPRESSED.
//
// Identity: CodeFingerprint("semgrep", check_id, path, anchor), anchor = CodeAnchors
// (sast_common.h) over the message: "message:" + the normalized extra.message + "#n", n the
// occurrence ordinal of (check_id, path, message) in report order (a record repeated with the
// same start, end and message is the same finding). No line number, so a finding that only
// moved keeps its identity. Not the matched lines (extra.lines): Semgrep replaces them with
// "requires login" in its JSON when the user is not logged in, while its SARIF of the same scan
// carries them in region.snippet.text; the message is what both formats always carry (SARIF
// message.text), so sarif.cpp computes the same anchor and one scan gives the same fingerprints
// in both formats, logged in or not. (Earlier versions anchored on the matched lines when the
// JSON had them: see the upgrade note in README.md.)
// Secrets (metadata category "secrets", or a CWE-798/259/321/522 rule): the matched lines are
// not stored; ProductFields keep a redacted preview and a hash.
#include <vector>

#include "ingest/formats/sast_common.h"
#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || h[0] != '{') return SniffConfidence::kNo;
  bool results = HeadHas(h, "\"results\"");
  if (results && HeadHas(h, "\"check_id\"")) return SniffConfidence::kCertain;
  // The Semgrep App API page: claimed so that its clear error is what the user sees.
  if (HeadHas(h, "\"vulns\"") && HeadHas(h, "\"advisory\"") &&
      (HeadHas(h, "\"exposureType\"") || HeadHas(h, "\"groupKey\"") || HeadHas(h, "\"repositoryName\""))) {
    return SniffConfidence::kLikely;
  }
  if (results && (HeadHas(h, "\"skipped_rules\"") || HeadHas(h, "\"interfile_languages_used\""))) {
    return SniffConfidence::kLikely;
  }
  // Semgrep 1.x before "version" came first writes its keys sorted: "errors", then "paths"
  // {"scanned": [every file]}, which can push "results" past the head (a real 1.32 report of
  // WebGoat: 200 KB of paths first).
  if (HeadHas(h, "\"errors\"") && HeadHas(h, "\"paths\"") && HeadHas(h, "\"scanned\"") && !HeadHas(h, "\"runs\"")) {
    return SniffConfidence::kLikely;
  }
  // An empty scan: {"results": [], "errors": []} (Bandit has the same two keys plus
  // "generated_at" and "metrics").
  if (results && HeadHas(h, "\"errors\"") && !HeadHas(h, "\"generated_at\"") && !HeadHas(h, "\"metrics\"") &&
      !HeadHas(h, "\"runs\"")) {
    return SniffConfidence::kMaybe;
  }
  return SniffConfidence::kNo;
}

struct SemgrepSeverity {
  SeverityLabel label;
  bool known;
};

SemgrepSeverity LabelFor(std::string_view severity) {
  std::string s = ToUpper(Trim(severity));
  if (s == "CRITICAL") return {SeverityLabel::kCritical, true};
  if (s == "ERROR" || s == "HIGH") return {SeverityLabel::kHigh, true};
  if (s == "WARNING" || s == "MEDIUM") return {SeverityLabel::kMedium, true};
  if (s == "INFO" || s == "LOW") return {SeverityLabel::kLow, true};
  if (s == "EXPERIMENT" || s == "INVENTORY") return {SeverityLabel::kInformational, true};
  return {SeverityLabel::kMedium, false};
}

struct Match {
  std::string check_id, path, message, severity, lines, fix, engine_kind, validation_state;
  int64_t start_line = 0, start_col = 0, end_line = 0, end_col = 0;
  bool ignored = false;
  // metadata
  std::vector<std::string> cwes, owasp, references, technology, subcategory, vuln_class;
  std::string confidence, likelihood, impact, category, source, source_rule_url, short_desc;
};

class SemgrepReader {
 public:
  SemgrepReader(Source& src, FindingSink& sink) : src_(src), sink_(sink) {}
  Status Read();

 private:
  template <typename Fn>
  bool Obj(od::value v, Fn&& fn) {
    od::object o;
    if (auto ec = v.get_object().get(o)) return Note(ec);
    for (auto field : o) {
      std::string_view key;
      if (auto ec = field.unescaped_key().get(key)) return Note(ec);
      od::value val;
      if (auto ec = field.value().get(val)) return Note(ec);
      fn(key, val);
      if (fatal_) return false;
    }
    return true;
  }
  bool Note(simdjson::error_code ec) {
    if (ec != simdjson::INCORRECT_TYPE && ec != simdjson::SUCCESS && !fatal_) fatal_ = ec;
    return false;
  }
  std::string Str(od::value v) {
    std::string s;
    if (!ReadString(v, &s)) return {};
    return s;
  }
  // A string or a list of strings (metadata.cwe, owasp, references, ...).
  std::vector<std::string> Strings(od::value v) {
    std::vector<std::string> out;
    od::json_type t;
    if (v.type().get(t)) return out;
    if (t == od::json_type::array) {
      od::array a;
      if (auto ec = v.get_array().get(a)) {
        Note(ec);
        return out;
      }
      for (auto el : a) {
        od::value ev;
        if (auto ec = el.get(ev)) {
          Note(ec);
          return out;
        }
        std::string s = Trim(Str(ev));
        if (!s.empty()) out.push_back(std::move(s));
      }
    } else {
      std::string s = Trim(Str(v));
      if (!s.empty()) out.push_back(std::move(s));
    }
    return out;
  }
  void ReadPosition(od::value v, int64_t* line, int64_t* col) {
    Obj(v, [&](std::string_view k, od::value x) {
      if (k == "line" && line) ReadInt(x, line);
      else if (k == "col" && col) ReadInt(x, col);
    });
  }
  void ReadMetadata(od::value v, Match& m);
  Status ReadMatch(od::value v, size_t index);
  Status Emit(Match& m);

  Source& src_;
  FindingSink& sink_;
  JsonReport rep_;
  simdjson::error_code fatal_ = simdjson::SUCCESS;
  std::string version_;
  CodeAnchors anchors_;
};

void SemgrepReader::ReadMetadata(od::value v, Match& m) {
  Obj(v, [&](std::string_view k, od::value x) {
    if (k == "cwe") {
      for (const auto& c : Strings(x)) AppendCwes(c, &m.cwes);
    } else if (k == "owasp") {
      m.owasp = Strings(x);
    } else if (k == "references") {
      m.references = Strings(x);
    } else if (k == "technology") {
      m.technology = Strings(x);
    } else if (k == "subcategory") {
      m.subcategory = Strings(x);
    } else if (k == "vulnerability_class") {
      m.vuln_class = Strings(x);
    } else if (k == "confidence") {
      m.confidence = Trim(Str(x));
    } else if (k == "likelihood") {
      m.likelihood = Trim(Str(x));
    } else if (k == "impact") {
      m.impact = Trim(Str(x));
    } else if (k == "category") {
      m.category = Trim(Str(x));
    } else if (k == "source") {
      m.source = Trim(Str(x));
    } else if (k == "source-rule-url") {
      m.source_rule_url = Trim(Str(x));
    } else if (k == "shortDescription") {
      m.short_desc = Trim(Str(x));
    }
  });
}

Status SemgrepReader::ReadMatch(od::value v, size_t index) {
  std::string where = "results[" + std::to_string(index) + "]";
  od::json_type t;
  if (auto ec = v.type().get(t)) return rep_.Malformed("malformed result", ec);
  if (t != od::json_type::object) {
    sink_.AddReject(rep_.MakeReject(v, where, "result is not an object"));
    return Status::Ok();
  }
  uint64_t offset = rep_.OffsetOf(v);
  Match m;
  bool bad_type = false;
  Obj(v, [&](std::string_view k, od::value x) {
    if (k == "check_id") {
      bad_type |= !ReadString(x, &m.check_id);
    } else if (k == "path") {
      bad_type |= !ReadString(x, &m.path);
    } else if (k == "start") {
      ReadPosition(x, &m.start_line, &m.start_col);
    } else if (k == "end") {
      ReadPosition(x, &m.end_line, &m.end_col);
    } else if (k == "extra") {
      Obj(x, [&](std::string_view ek, od::value e) {
        if (ek == "message") m.message = Str(e);
        else if (ek == "severity") m.severity = Trim(Str(e));
        else if (ek == "metadata") ReadMetadata(e, m);
        else if (ek == "lines") m.lines = Str(e);
        else if (ek == "fix") m.fix = Str(e);
        else if (ek == "is_ignored") {
          bool b = false;
          if (e.get_bool().get(b) == simdjson::SUCCESS) m.ignored = b;
        } else if (ek == "engine_kind") m.engine_kind = Trim(Str(e));
        else if (ek == "validation_state") m.validation_state = Trim(Str(e));
      });
    }
  });
  if (fatal_) return rep_.Malformed("malformed result", fatal_);
  m.check_id = Trim(m.check_id);
  if (bad_type || m.check_id.empty() || Trim(m.path).empty()) {
    sink_.AddReject(rep_.RejectAt(offset, where,
                                  bad_type ? "check_id or path is not a string" : "result has no check_id or no path"));
    return Status::Ok();
  }
  return Emit(m);
}

Status SemgrepReader::Emit(Match& m) {
  Finding f;
  f.scanner = "semgrep";
  f.format = "semgrep";
  f.product_name = "Semgrep";
  f.company_name = "Semgrep";
  f.generator_id = m.check_id;
  SemgrepSeverity sev = LabelFor(m.severity);
  f.severity.label = sev.label;
  f.severity.normalized = DefaultNormalized(sev.label);
  f.severity.original = m.severity;
  f.confidence = ConfidenceForWord(m.confidence);
  f.cwes = m.cwes;

  size_t dot = m.check_id.rfind('.');
  f.title = !m.short_desc.empty() ? m.short_desc : m.check_id.substr(dot == std::string::npos ? 0 : dot + 1);
  f.description = Trim(m.message);
  if (f.description.empty()) f.description = m.check_id;
  if (!Trim(m.fix).empty()) f.remediation_text = "Suggested fix: " + Trim(m.fix);
  // The same page Semgrep's SARIF writer puts in the rule's helpUri.
  f.remediation_url = !m.source.empty() ? m.source : m.source_rule_url;
  if (m.ignored) f.workflow = WorkflowStatus::kSuppressed;

  f.location.file_path = m.path;
  if (m.start_line > 0) {
    f.location.start_line = static_cast<int>(m.start_line);
    f.location.end_line = static_cast<int>(m.end_line >= m.start_line ? m.end_line : m.start_line);
  }
  Resource res;
  res.id = m.path;
  if (m.start_line > 0) res.details_other["StartLine"] = std::to_string(m.start_line);
  if (m.end_line > m.start_line) res.details_other["EndLine"] = std::to_string(m.end_line);
  f.resources.push_back(std::move(res));

  bool secret = EqualsIgnoreCase(m.category, "secrets");
  for (const auto& c : m.cwes) secret = secret || IsCredentialCwe(c);
  if (secret) {
    f.types = {"Sensitive Data Identifications/Passwords"};
  } else if (!m.category.empty() && !EqualsIgnoreCase(m.category, "security")) {
    f.types = {"Software and Configuration Checks"};  // correctness, best-practice, performance, ...
  }

  // The message, not the matched lines: Semgrep withholds the lines from its JSON ("requires
  // login") when the user is not logged in, while its SARIF carries them (SemgrepAnchorBase).
  std::string anchor = anchors_.Make(m.check_id, m.path, SemgrepAnchorBase(), m.message,
                                     CodeRegion{m.start_line, m.start_col, m.end_line, m.end_col});
  f.fingerprint = CodeFingerprint("semgrep", m.check_id, m.path, anchor);

  auto pf = [&](std::string_view name, std::string value) {
    value = Trim(value);
    if (!value.empty()) f.product_fields["semgrep/" + std::string(name)] = std::move(value);
  };
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
  };
  pf("Version", version_);
  pf("Category", m.category);
  pf("Subcategory", join(m.subcategory));
  pf("Confidence", m.confidence);
  pf("Likelihood", m.likelihood);
  pf("Impact", m.impact);
  pf("OWASP", join(m.owasp));
  pf("VulnerabilityClass", join(m.vuln_class));
  pf("Technology", join(m.technology));
  pf("References", join(m.references));
  pf("EngineKind", m.engine_kind);
  pf("ValidationState", m.validation_state);
  std::string lines = Trim(m.lines);
  if (!lines.empty() && lines != kSemgrepRequiresLogin) {
    if (secret) {
      pf("SecretPreview", RedactedPreview(lines));
      pf("SecretHash", SecretHash(lines));
    } else {
      pf("Snippet", lines);
    }
  }
  return sink_.Accept(std::move(f));
}

Status SemgrepReader::Read() {
  FINDEX_RETURN_IF_ERROR(rep_.Open(src_));
  {
    // The whole document must be well-formed, including what is never read (metavars, traces).
    od::value doc;
    if (auto ec = rep_.doc().get_value().get(doc)) return rep_.Malformed("cannot parse JSON", ec);
    if (auto ec = ValidateJson(doc)) return rep_.Malformed("malformed JSON", ec);
    FINDEX_RETURN_IF_ERROR(rep_.Finish());
    rep_.doc().rewind();
  }
  od::object root;
  if (auto ec = rep_.doc().get_object().get(root)) return rep_.Malformed("expected a Semgrep JSON object", ec);
  bool saw_results = false;
  for (auto field : root) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep_.Malformed("bad key", ec);
    if (key == "vulns") {
      return MakeError(ErrorCode::kSchema,
                       "this is a Semgrep AppSec Platform API page of supply-chain findings (vulns/hasMore/cursor), "
                       "not a scan report: it spans many repositories and omits the other pages; ingest the output "
                       "of `semgrep scan --json` instead",
                       src_.path());
    }
    if (key == "version") {
      od::value v;
      if (auto ec = field.value().get(v)) return rep_.Malformed("bad value", ec);
      version_ = Trim(Str(v));
      continue;
    }
    if (key != "results") continue;
    saw_results = true;
    od::value v;
    if (auto ec = field.value().get(v)) return rep_.Malformed("bad value", ec);
    od::array results;
    if (auto ec = v.get_array().get(results)) {
      if (ec != simdjson::INCORRECT_TYPE) return rep_.Malformed("malformed \"results\"", ec);
      return MakeError(ErrorCode::kSchema, "not a Semgrep report: \"results\" is not an array", src_.path());
    }
    size_t i = 0;
    for (auto el : results) {
      od::value rv;
      if (auto ec = el.get(rv)) return rep_.Malformed("malformed result", ec);
      FINDEX_RETURN_IF_ERROR(ReadMatch(rv, i++));
    }
  }
  FINDEX_RETURN_IF_ERROR(rep_.Finish());
  if (!saw_results) return MakeError(ErrorCode::kSchema, "not a Semgrep JSON report: no \"results\"", src_.path());
  return Status::Ok();
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  SemgrepReader reader(src, sink);
  return reader.Read();
}

}  // namespace

const FormatDescriptor& SemgrepFormat() {
  static const FormatDescriptor kDesc{"semgrep", "semgrep", "Semgrep `semgrep scan --json`", kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
