// Report writers for CI systems; see report.h. Every writer is a pure function of the
// GateReport: no clock, no environment, stable ordering, so reports diff cleanly between runs.
#include "rules/report.h"

#include "normalize/timestamp.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <set>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

#include "normalize/exploit.h"
#include "normalize/json_writer.h"
#include "normalize/text.h"

namespace findex {

namespace {

constexpr std::array<SeverityLabel, 5> kLabelsDesc = {SeverityLabel::kCritical, SeverityLabel::kHigh,
                                                      SeverityLabel::kMedium, SeverityLabel::kLow,
                                                      SeverityLabel::kInformational};

std::string_view StatusName(ItemStatus s) {
  switch (s) {
    case ItemStatus::kViolation: return "violation";
    case ItemStatus::kOpen: return "open";
    case ItemStatus::kSuppressed: return "suppressed";
    case ItemStatus::kResolved: return "resolved";
  }
  return "open";
}

// Violations first, then open, suppressed, resolved; most severe first inside each group; the
// caller's order otherwise (stable), so truncation keeps what matters most.
std::vector<size_t> ItemOrder(const GateReport& r) {
  std::vector<size_t> idx(r.items.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    const ReportItem& x = r.items[a];
    const ReportItem& y = r.items[b];
    if (StatusRank(x.status) != StatusRank(y.status)) return StatusRank(x.status) < StatusRank(y.status);
    return static_cast<int>(x.finding.severity.label) > static_cast<int>(y.finding.severity.label);
  });
  return idx;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Active, neither suppressed nor resolved: what an export counts as a problem.
bool IsActiveUnsuppressed(const ReportItem& it) {
  return it.status != ItemStatus::kSuppressed && it.status != ItemStatus::kResolved &&
         it.finding.workflow != WorkflowStatus::kSuppressed &&
         it.finding.workflow != WorkflowStatus::kResolved && it.finding.record_state == RecordState::kActive;
}

bool IsSuppressed(const ReportItem& it) {
  return it.status == ItemStatus::kSuppressed || it.finding.workflow == WorkflowStatus::kSuppressed;
}

// Left out of the gates as resolved (VEX `fixed`, a policy rule, triage): a gate's status only,
// so that a plain export (no gate ran) reads as it did.
bool IsResolved(const ReportItem& it) { return it.status == ItemStatus::kResolved && !IsSuppressed(it); }

// The first vulnerable package that names its manifest or jar, if any.
const VulnerablePackage* PackageWithPath(const Finding& f) {
  for (const auto& v : f.vulnerabilities)
    for (const auto& p : v.vulnerable_packages)
      if (!p.file_path.empty()) return &p;
  return nullptr;
}

const VulnerablePackage* FirstPackage(const Finding& f) {
  for (const auto& v : f.vulnerabilities)
    if (!v.vulnerable_packages.empty()) return &v.vulnerable_packages.front();
  return nullptr;
}

// Where a person should look: file:line, the URL, the manifest, the package, the resource.
std::string LocationText(const Finding& f) {
  const Location& l = f.location;
  if (!l.file_path.empty()) {
    if (l.start_line > 0) return fmt::format("{}:{}", l.file_path, l.start_line);
    return l.file_path;
  }
  if (!l.url.empty()) {
    // DAST: location.url is the site; the first affected URL under it says more.
    if (!f.resources.empty() && f.resources.front().id.size() > l.url.size() &&
        f.resources.front().id.compare(0, l.url.size(), l.url) == 0)
      return f.resources.front().id;
    return l.url;
  }
  if (const VulnerablePackage* p = PackageWithPath(f)) return p->file_path;
  if (const VulnerablePackage* p = FirstPackage(f)) {
    return p->version.empty() ? p->name : p->name + "@" + p->version;
  }
  if (!f.resources.empty()) return f.resources.front().id;
  return "";
}

std::string Excerpt(std::string_view text, size_t max_chars) {
  return TruncateUtf8(CollapseWhitespace(text), max_chars);
}

std::string OneLine(std::string_view text, size_t max_chars) { return Excerpt(text, max_chars); }

std::string TitleOf(const Finding& f) {
  if (!Trim(f.title).empty()) return OneLine(f.title, 200);
  return f.generator_id.empty() ? std::string("(untitled finding)") : f.generator_id;
}

std::string RuleId(const Finding& f) {
  // Ingesters usually qualify generator ids already ("zap/40012", "trivy/AWS-0143").
  std::string scanner = f.scanner.empty() ? "unknown" : f.scanner;
  if (f.generator_id.empty()) return scanner + "/unknown";
  if (StartsWith(f.generator_id, scanner + "/")) return f.generator_id;
  return scanner + "/" + f.generator_id;
}

// SARIF rules: one per vulnerability id for SCA findings (a scanner's single "vulnerability"
// rule would carry every CVE's CWE tags, past GitHub's 20 per rule, and GitHub takes a
// result's severity from its rule), else the scanner's rule.
std::string SarifRuleId(const Finding& f) {
  if (!f.vulnerabilities.empty() && !f.vulnerabilities.front().id.empty()) {
    return (f.scanner.empty() ? std::string("unknown") : f.scanner) + "/" + f.vulnerabilities.front().id;
  }
  return RuleId(f);
}

// GitHub code scanning rejects a rule with more than 20 tags.
constexpr size_t kMaxSarifTags = 20;

// "[HIGH] SQL Injection (src/app.py:12)"
std::string CaseName(const Finding& f) {
  std::string loc = LocationText(f);
  std::string s = fmt::format("[{}] {}", ToString(f.severity.label), TitleOf(f));
  if (!loc.empty()) s += " (" + loc + ")";
  return s;
}

// Threshold of `g` that applies to a finding of label `l`, as "max HIGH 5"; "" when none.
std::string ThresholdFor(const GateResult& g, SeverityLabel l) {
  auto it = g.max.find(l);
  if (it == g.max.end()) return "";
  return fmt::format("max {} {}", ToString(l), it->second);
}

uint64_t CountOf(const GateResult& g, SeverityLabel l) {
  auto it = g.counts.find(l);
  return it == g.counts.end() ? 0 : it->second;
}

bool ThresholdBroken(const GateResult& g, SeverityLabel l, int64_t max) {
  return max >= 0 ? CountOf(g, l) > static_cast<uint64_t>(max) : false;
}

// The gate's own wording of a broken threshold ("CRITICAL: 3 > 0") when it has one.
std::string ViolationText(const GateResult& g, SeverityLabel l, int64_t max) {
  std::string prefix = std::string(ToString(l)) + ":";
  for (const auto& v : g.violated)
    if (StartsWith(v, prefix)) return v;
  return fmt::format("{}: {} > {}", ToString(l), CountOf(g, l), max);
}

// --- XML ------------------------------------------------------------------------------------

// Code point of the valid UTF-8 sequence of length `len` at s.
uint32_t DecodeUtf8(std::string_view s, size_t len) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[i])); };
  if (len == 1) return b(0);
  uint32_t cp = len == 2 ? (b(0) & 0x1F) : len == 3 ? (b(0) & 0x0F) : (b(0) & 0x07);
  for (size_t i = 1; i < len; ++i) cp = (cp << 6) | (b(i) & 0x3F);
  return cp;
}

// XML 1.0 allows only Tab, LF, CR and U+0020..U+D7FF, U+E000..U+FFFD, U+10000..U+10FFFF; anything
// else (NUL, ESC, invalid UTF-8, U+FFFE) becomes U+FFFD so a parser never rejects the report.
// In attributes, whitespace controls are written as character references: a parser would
// otherwise normalise them to spaces.
void AppendXmlEscaped(std::string* out, std::string_view s, bool attribute) {
  size_t i = 0;
  while (i < s.size()) {
    size_t len = Utf8SequenceLength(s.substr(i));
    if (len == 0) {
      out->append("\xEF\xBF\xBD");
      ++i;
      continue;
    }
    uint32_t cp = DecodeUtf8(s.substr(i), len);
    if (len == 1) {
      char c = s[i];
      switch (c) {
        case '&': out->append("&amp;"); break;
        case '<': out->append("&lt;"); break;
        case '>': out->append("&gt;"); break;
        case '"': out->append(attribute ? "&quot;" : "\""); break;
        case '\'': out->append(attribute ? "&apos;" : "'"); break;
        case '\t': out->append(attribute ? "&#9;" : "\t"); break;
        case '\n': out->append(attribute ? "&#10;" : "\n"); break;
        case '\r': out->append("&#13;"); break;
        default:
          if (cp < 0x20 || cp == 0x7F) out->append("\xEF\xBF\xBD");
          else out->push_back(c);
      }
    } else if (cp == 0xFFFE || cp == 0xFFFF || (cp >= 0x80 && cp <= 0x9F)) {
      // C1 controls are allowed by XML 1.0 but discouraged; no scanner text needs them.
      out->append("\xEF\xBF\xBD");
    } else {
      out->append(s.substr(i, len));
    }
    i += len;
  }
}

std::string XmlAttr(std::string_view s) {
  std::string out;
  AppendXmlEscaped(&out, s, true);
  return out;
}

std::string XmlText(std::string_view s) {
  std::string out;
  AppendXmlEscaped(&out, s, false);
  return out;
}

struct JUnitCase {
  std::string classname, name;
  enum Kind { kPass, kFailure, kSkipped } kind = kPass;
  std::string message, type, body;
};

void AppendCase(std::string* out, const JUnitCase& c) {
  *out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\"", XmlAttr(c.classname), XmlAttr(c.name));
  if (c.kind == JUnitCase::kPass) {
    *out += "/>\n";
    return;
  }
  *out += ">\n";
  if (c.kind == JUnitCase::kFailure) {
    *out += fmt::format("      <failure message=\"{}\" type=\"{}\">{}</failure>\n", XmlAttr(c.message),
                        XmlAttr(c.type), XmlText(c.body));
  } else {
    *out += fmt::format("      <skipped message=\"{}\"/>\n", XmlAttr(c.message));
  }
  *out += "    </testcase>\n";
}

// Body of a <failure>: what a person needs to find and judge the finding.
std::string FailureBody(const ReportItem& it) {
  const Finding& f = it.finding;
  std::string b;
  b += "id: " + f.id + "\n";
  b += "fingerprint: " + f.fingerprint.Hex() + "\n";
  b += fmt::format("scanner: {} (rule {})\n", f.scanner, f.generator_id);
  b += fmt::format("severity: {}", ToString(f.severity.label));
  if (!f.severity.original.empty()) b += " (scanner: " + f.severity.original + ")";
  b += "\n";
  std::string loc = LocationText(f);
  if (!loc.empty()) b += "location: " + loc + "\n";
  if (!f.scope.empty()) b += "scope: " + f.scope + "\n";
  b += std::string("new: ") + (it.is_new ? "yes" : "no") + "\n";
  if (it.sla != SlaState::kNone)
    b += fmt::format("sla: {} (due {})\n", ToString(it.sla), FormatTimestamp(it.sla_due_ms).substr(0, 10));
  if (!it.gates.empty()) b += "gates: " + fmt::format("{}", fmt::join(it.gates, ", ")) + "\n";
  if (!it.policy.empty()) b += "policy: " + fmt::format("{}", fmt::join(it.policy, ", ")) + "\n";
  std::string desc = Excerpt(f.description, 1000);
  if (!desc.empty()) b += "\n" + desc + "\n";
  return b;
}

std::string SuppressedMessage(const ReportItem& it) {
  if (!it.suppression_reason.empty()) return OneLine(it.suppression_reason, 500);
  if (it.finding.note && !it.finding.note->text.empty()) return OneLine(it.finding.note->text, 500);
  return "suppressed";
}

// Why a resolved finding was not counted: "resolved: <the resolution note>", or "resolved".
std::string ResolvedMessage(const ReportItem& it) {
  if (!it.suppression_reason.empty()) return "resolved: " + OneLine(it.suppression_reason, 500);
  if (it.finding.note && !it.finding.note->text.empty()) return "resolved: " + OneLine(it.finding.note->text, 500);
  return "resolved";
}

// What a skipped test case (or a SARIF suppression) says: the suppression or resolution reason.
std::string SkipMessage(const ReportItem& it) { return IsResolved(it) ? ResolvedMessage(it) : SuppressedMessage(it); }

JUnitCase FindingCase(const ReportItem& it) {
  JUnitCase c;
  c.classname = it.finding.scanner.empty() ? "unknown" : it.finding.scanner;
  c.name = CaseName(it.finding);
  return c;
}

// --- SARIF / shared JSON helpers ---------------------------------------------------------------

// GitHub maps security-severity > 9.0 to critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low;
// one representative number per label keeps a rule's GitHub severity equal to findex's label.
std::string_view SecuritySeverity(SeverityLabel l) {
  switch (l) {
    case SeverityLabel::kCritical: return "9.5";
    case SeverityLabel::kHigh: return "8.0";
    case SeverityLabel::kMedium: return "5.5";
    case SeverityLabel::kLow: return "2.0";
    case SeverityLabel::kInformational: return "0.0";
  }
  return "0.0";
}

std::string_view SarifLevel(SeverityLabel l) {
  switch (l) {
    case SeverityLabel::kCritical:
    case SeverityLabel::kHigh: return "error";
    case SeverityLabel::kMedium: return "warning";
    default: return "note";
  }
}

bool IsUriUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// A path as a URI reference: '/' separators, everything outside the unreserved set and a few
// harmless sub-delimiters percent-encoded (spaces, '%', '#', '?', non-ASCII bytes).
std::string EncodePath(std::string_view path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char c : path) {
    if (c == '\\') c = '/';
    if (IsUriUnreserved(c) || c == '/' || c == '@' || c == ':' || c == '+' || c == ',' || c == '=' || c == '!' ||
        c == '$' || c == '(' || c == ')') {
      out.push_back(c);
    } else {
      auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
  }
  return out;
}

struct ArtifactUri {
  std::string uri;
  bool relative = false;  // relative to the checkout: written with uriBaseId %SRCROOT%
};

// A scanner's file path as a SARIF artifact URI. Relative paths stay relative to the source root
// (GitHub resolves them against the repository); absolute ones become file: URIs.
ArtifactUri FileUri(std::string_view path) {
  std::string p(path);
  std::replace(p.begin(), p.end(), '\\', '/');
  while (StartsWith(p, "./")) p.erase(0, 2);
  if (p.find("://") != std::string::npos) return {p, false};  // already a URI (file://, https://)
  bool drive = p.size() >= 2 && std::isalpha(static_cast<unsigned char>(p[0])) && p[1] == ':';
  if (drive) return {"file:///" + EncodePath(p), false};
  if (StartsWith(p, "/")) return {"file://" + EncodePath(p), false};
  return {EncodePath(p), true};
}

// For findings with no file (DAST URLs, cloud resources): a relative pseudo-path made from the
// URL or resource id ("http://host:8080/a?b" -> "host_8080/a_b"), so GitHub, which needs one
// physical location per result, has a stable artifact; the real URL or id goes in a logical
// location and the message.
std::string SanitizedResourcePath(std::string_view id) {
  std::string_view s = id;
  size_t scheme = s.find("://");
  if (scheme != std::string_view::npos) s.remove_prefix(scheme + 3);
  std::string out;
  for (char c : s) {
    bool keep = IsUriUnreserved(c) || c == '/';
    char o = keep ? c : '_';
    if (o == '_' && !out.empty() && out.back() == '_') continue;
    out.push_back(o);
  }
  while (!out.empty() && (out.front() == '/' || out.front() == '.')) out.erase(0, 1);
  while (!out.empty() && out.back() == '/') out.pop_back();
  // ".." segments would climb out of the source root.
  std::string cleaned;
  size_t start = 0;
  while (start <= out.size()) {
    size_t slash = out.find('/', start);
    std::string seg = out.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!seg.empty() && seg != "." && seg != "..") {
      if (!cleaned.empty()) cleaned.push_back('/');
      cleaned += seg;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return cleaned.empty() ? std::string("unknown-resource") : cleaned;
}

void WriteStringArray(JsonWriter& w, const std::vector<std::string>& v) {
  w.BeginArray();
  for (const auto& s : v) w.String(s);
  w.EndArray();
}

std::string CweTag(std::string_view cwe) {
  // "CWE-79" -> "external/cwe/cwe-79" (the form GitHub's CodeQL queries use).
  std::string lower = ToLower(Trim(cwe));
  if (!StartsWith(lower, "cwe-")) lower = "cwe-" + lower;
  return "external/cwe/" + lower;
}

// --- Markdown --------------------------------------------------------------------------------

// Text for a Markdown table cell or list item: one line, '|' escaped for the table, and
// everything that would turn into markup (code spans, emphasis, links, HTML) neutralised.
std::string MdEscape(std::string_view s) {
  std::string in = CollapseWhitespace(s);
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    size_t len = Utf8SequenceLength(std::string_view(in).substr(i));
    if (len == 0) {
      out.append("\xEF\xBF\xBD");
      ++i;
      continue;
    }
    if (len > 1) {
      out.append(in, i, len);
      i += len;
      continue;
    }
    char c = in[i++];
    switch (c) {
      case '|': out += "\\|"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '@':
        // "@org/team" in a PR comment pings the team: a zero-width space breaks the mention.
        out.push_back(c);
        if (i < in.size() && (std::isalnum(static_cast<unsigned char>(in[i])) || in[i] == '-' || in[i] == '_')) {
          out += "\xE2\x80\x8B";  // U+200B
        }
        break;
      case '#':
        // "#123" (and "org/repo#123") would link an issue: escaped, and broken by a zero-width space.
        out += "\\#";
        if (i < in.size() && std::isdigit(static_cast<unsigned char>(in[i]))) out += "\xE2\x80\x8B";  // U+200B
        break;
      case '\\': case '`': case '*': case '_': case '[': case ']': case '~': case '!':
        out.push_back('\\');
        out.push_back(c);
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) out.push_back(' ');
        else out.push_back(c);
    }
  }
  return out;
}

constexpr size_t kMarkdownLimit = 65000;  // GitHub rejects comments over 65,536 characters

}  // namespace

// --- streaming helpers ---------------------------------------------------------------------------

namespace {

// Output buffered in pieces of about 64 KiB for the sink.
class SinkBuffer {
 public:
  explicit SinkBuffer(const ReportSink& sink) : sink_(sink) {}
  std::string buf;
  // Hands the buffer over once it is large enough; call between items.
  Status Drain() { return buf.size() >= kPiece ? Flush() : Status::Ok(); }
  Status Flush() {
    if (buf.empty()) return Status::Ok();
    Status st = sink_(buf);
    buf.clear();
    return st;
  }

 private:
  static constexpr size_t kPiece = 64 * 1024;
  const ReportSink& sink_;
};

// One pass over the items; `visit` returns false to stop, or sets *failed (a sink error) and
// returns false.
Status Pass(const ReportItems& items, const std::function<bool(const ReportItem&, Status*)>& visit) {
  Status failed;
  Status st = items.for_each([&](const ReportItem& it) { return visit(it, &failed); });
  if (!st.ok()) return st;
  return failed;
}

}  // namespace

ReportItems ItemsOf(const GateReport& r) {
  ReportItems items;
  auto order = std::make_shared<std::vector<size_t>>(ItemOrder(r));
  items.for_each = [&r, order](const ReportItemVisitor& visit) {
    for (size_t i : *order)
      if (!visit(r.items[i])) break;
    return Status::Ok();
  };
  items.count = [&r]() -> Result<uint64_t> { return static_cast<uint64_t>(r.items.size()); };
  return items;
}

namespace {

Status StringSinkAppend(std::string* out, std::string_view piece) {
  out->append(piece);
  return Status::Ok();
}

ReportSink StringSink(std::string* out) {
  return [out](std::string_view piece) { return StringSinkAppend(out, piece); };
}

// --- JUnit ---

// The kind of a finding's test case in a plain export: active, unsuppressed findings fail,
// suppressed ones are skipped.
JUnitCase::Kind ExportCaseKind(const ReportItem& it) {
  if (IsSuppressed(it) || IsResolved(it)) return JUnitCase::kSkipped;
  if (IsActiveUnsuppressed(it)) return JUnitCase::kFailure;
  return JUnitCase::kPass;
}

JUnitCase ExportCase(const ReportItem& it) {
  JUnitCase c = FindingCase(it);
  c.kind = ExportCaseKind(it);
  if (c.kind == JUnitCase::kSkipped) {
    c.message = SkipMessage(it);
  } else if (c.kind == JUnitCase::kFailure) {
    c.type = std::string(ToString(it.finding.severity.label));
    c.message = fmt::format("{} finding from {}", c.type, c.classname);
    c.body = FailureBody(it);
  }
  return c;
}

// Is the finding a test case of gate `g`, and of which kind.
bool InGate(const GateResult& g, const ReportItem& it) {
  return Contains(it.gates, g.name) || Contains(it.checked_by, g.name);
}

JUnitCase::Kind GateCaseKind(const GateResult& g, const ReportItem& it) {
  if (Contains(it.gates, g.name) && it.status == ItemStatus::kViolation) return JUnitCase::kFailure;
  if (IsSuppressed(it) || IsResolved(it)) return JUnitCase::kSkipped;
  return JUnitCase::kPass;
}

JUnitCase GateCase(const GateResult& g, const ReportItem& it) {
  JUnitCase c = FindingCase(it);
  c.kind = GateCaseKind(g, it);
  if (c.kind == JUnitCase::kFailure) {
    c.type = std::string(ToString(it.finding.severity.label));
    std::string th = ThresholdFor(g, it.finding.severity.label);
    c.message = th.empty() ? fmt::format("violates gate {}", g.name) : fmt::format("gate {}: exceeds {}", g.name, th);
    c.body = FailureBody(it);
  } else if (c.kind == JUnitCase::kSkipped) {
    c.message = SkipMessage(it);
  }
  return c;
}

// One test case per threshold the gate checked.
std::vector<JUnitCase> ThresholdCases(const GateResult& g) {
  std::vector<JUnitCase> cases;
  for (SeverityLabel l : kLabelsDesc) {
    auto m = g.max.find(l);
    if (m == g.max.end()) continue;
    JUnitCase c;
    c.classname = "findex.gate." + g.name;
    c.name = fmt::format("max {} {}", ToString(l), m->second);
    if (ThresholdBroken(g, l, m->second)) {
      c.kind = JUnitCase::kFailure;
      c.type = "threshold";
      c.message = ViolationText(g, l, m->second);
      c.body = fmt::format("gate {}: {} {} finding(s), at most {} allowed\n", g.name, CountOf(g, l), ToString(l),
                           m->second);
      if (!g.description.empty()) c.body += "looks at: " + g.description + "\n";
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

struct SuiteCounts {
  uint64_t tests = 0, failures = 0, skipped = 0;
  void Add(JUnitCase::Kind k) {
    ++tests;
    if (k == JUnitCase::kFailure) ++failures;
    if (k == JUnitCase::kSkipped) ++skipped;
  }
};

void AppendSuiteHead(std::string* out, std::string_view name, std::string_view timestamp, const SuiteCounts& c) {
  *out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"0\"",
                      XmlAttr(name), c.tests, c.failures, c.skipped);
  if (!timestamp.empty()) *out += fmt::format(" timestamp=\"{}\"", XmlAttr(timestamp));
  *out += c.tests == 0 ? "/>\n" : ">\n";
}

void AppendSuiteTail(std::string* out, const SuiteCounts& c) {
  if (c.tests > 0) *out += "  </testsuite>\n";
}

}  // namespace

Status StreamJUnitReport(const GateReport& r, const ReportItems& items, const ReportSink& sink) {
  // Counts first: the suites' attributes come before their test cases.
  std::vector<SuiteCounts> suites(r.has_verdict ? r.gates.size() : 1);
  std::vector<std::vector<JUnitCase>> thresholds;
  if (r.has_verdict) {
    for (size_t g = 0; g < r.gates.size(); ++g) {
      thresholds.push_back(ThresholdCases(r.gates[g]));
      for (const JUnitCase& c : thresholds.back()) suites[g].Add(c.kind);
    }
  }
  FINDEX_RETURN_IF_ERROR(Pass(items, [&](const ReportItem& it, Status*) {
    if (!r.has_verdict) {
      suites[0].Add(ExportCaseKind(it));
    } else {
      for (size_t g = 0; g < r.gates.size(); ++g)
        if (InGate(r.gates[g], it)) suites[g].Add(GateCaseKind(r.gates[g], it));
    }
    return true;
  }));
  SuiteCounts all;
  for (const SuiteCounts& c : suites) {
    all.tests += c.tests;
    all.failures += c.failures;
  }

  SinkBuffer out(sink);
  out.buf = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out.buf += fmt::format("<testsuites name=\"findex\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"0\"", all.tests,
                         all.failures);
  if (suites.empty()) {
    out.buf += "/>\n";
    return out.Flush();
  }
  out.buf += ">\n";
  // A pass over the items per suite: its test cases are written as they are read.
  auto write_cases = [&](const std::function<bool(const ReportItem&)>& in_suite,
                         const std::function<JUnitCase(const ReportItem&)>& make) {
    return Pass(items, [&](const ReportItem& it, Status* failed) {
      if (!in_suite(it)) return true;
      AppendCase(&out.buf, make(it));
      *failed = out.Drain();
      return failed->ok();
    });
  };
  if (!r.has_verdict) {
    AppendSuiteHead(&out.buf, "findex", r.generated_at, suites[0]);
    if (suites[0].tests > 0) {
      FINDEX_RETURN_IF_ERROR(write_cases([](const ReportItem&) { return true; }, ExportCase));
    }
    AppendSuiteTail(&out.buf, suites[0]);
  } else {
    for (size_t g = 0; g < r.gates.size(); ++g) {
      const GateResult& gate = r.gates[g];
      AppendSuiteHead(&out.buf, gate.name, r.generated_at, suites[g]);
      for (const JUnitCase& c : thresholds[g]) AppendCase(&out.buf, c);
      if (suites[g].tests > thresholds[g].size()) {
        FINDEX_RETURN_IF_ERROR(write_cases([&](const ReportItem& it) { return InGate(gate, it); },
                                           [&](const ReportItem& it) { return GateCase(gate, it); }));
      }
      AppendSuiteTail(&out.buf, suites[g]);
    }
  }
  out.buf += "</testsuites>\n";
  return out.Flush();
}

std::string WriteJUnitReport(const GateReport& r) {
  std::string out;
  (void)StreamJUnitReport(r, ItemsOf(r), StringSink(&out));  // in memory: cannot fail
  return out;
}

// Where a finding stands in this report: shared by the SARIF result properties and the verdict JSON.
static void WriteItemState(JsonWriter& w, const ReportItem& it) {
  const Finding& f = it.finding;
  w.Field("scope", f.scope);
  w.Field("workflow", ToString(f.workflow));
  w.Field("status", StatusName(it.status));
  w.Key("is_new").Bool(it.is_new);
  w.Key("gates");
  WriteStringArray(w, it.gates);
  w.Key("policy");
  WriteStringArray(w, it.policy);
  if (it.sla != SlaState::kNone) {  // the policy has sla: and the finding has a clock
    w.Field("sla", ToString(it.sla));
    w.Field("sla_due", FormatTimestamp(it.sla_due_ms));
  }
}

namespace {

// A SARIF rule as the kept results define it: what its first result said (only what the rule
// entry shows; long texts as their excerpt and a hash to compare later results with).
struct SarifRuleAgg {
  std::string id;
  std::string scanner, generator_id, first_vuln, short_title, title;
  bool has_vulns = false;
  std::string description;  // Excerpt(description, 1000)
  std::string remediation;  // Excerpt(remediation_text, 2000)
  std::string remediation_url;
  uint64_t description_hash = 0, remediation_hash = 0;
  size_t description_size = 0, remediation_size = 0;
  SeverityLabel worst = SeverityLabel::kInformational;
  std::set<std::string> cwes;
  // A generator id can cover many issues (Dependency-Check's "OSSINDEX"): the first finding's
  // texts describe the rule only when all its findings share them.
  bool same_title = true, same_description = true, same_remediation = true;
};

// 64-bit FNV-1a: equal texts of one rule are recognized by hash and size, not kept whole.
uint64_t TextHash(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

void WriteSarifRule(JsonWriter& w, const SarifRuleAgg& rule) {
  w.BeginObject();
  w.Field("id", rule.id);
  std::string short_desc = rule.same_title ? rule.short_title
                           : rule.has_vulns ? fmt::format("{} {}", rule.scanner, rule.first_vuln)
                                            : fmt::format("{} rule {}", rule.scanner, rule.generator_id);
  w.Key("shortDescription").BeginObject().Field("text", short_desc).EndObject();
  if (rule.same_description && !rule.description.empty())
    w.Key("fullDescription").BeginObject().Field("text", rule.description).EndObject();
  if (rule.same_remediation) {
    std::string help = rule.remediation;
    if (!rule.remediation_url.empty()) help += (help.empty() ? "" : "\n") + rule.remediation_url;
    if (!help.empty()) w.Key("help").BeginObject().Field("text", help).EndObject();
    if (StartsWith(rule.remediation_url, "https://") || StartsWith(rule.remediation_url, "http://"))
      w.Field("helpUri", rule.remediation_url);
  }
  w.Key("defaultConfiguration").BeginObject().Field("level", SarifLevel(rule.worst)).EndObject();
  w.Key("properties").BeginObject();
  w.Field("security-severity", SecuritySeverity(rule.worst));
  w.Key("tags").BeginArray().String("security");
  size_t tags = 1;
  for (const auto& t : rule.cwes) {
    if (tags++ == kMaxSarifTags) break;
    w.String(t);
  }
  w.EndArray();
  w.Field("scanner", rule.scanner);
  w.EndObject();
  w.EndObject();
}

void WriteSarifResult(JsonWriter& w, const GateReport& r, const ReportItem& it, const SarifRuleAgg& rule,
                      size_t rule_index) {
  const Finding& f = it.finding;
  w.BeginObject();
  w.Field("ruleId", rule.id);
  w.Key("ruleIndex").UInt(rule_index);
  w.Field("level", SarifLevel(f.severity.label));

  std::string message = TitleOf(f);
  std::string where;
  if (f.location.file_path.empty()) {
    if (!f.location.url.empty()) where = f.location.url;
    else if (const VulnerablePackage* p = FirstPackage(f))
      where = p->version.empty() ? p->name : p->name + "@" + p->version;
    else if (!f.resources.empty()) where = f.resources.front().id;
  }
  if (!where.empty()) message += " (" + where + ")";
  w.Key("message").BeginObject().Field("text", message).EndObject();

  // Exactly one location: the file, else the package's manifest, else a pseudo-path from the
  // URL or resource id with the real one as a logical location.
  w.Key("locations").BeginArray().BeginObject();
  std::string logical;
  ArtifactUri art;
  int start = 0, end = 0;
  if (!f.location.file_path.empty()) {
    art = FileUri(f.location.file_path);
    start = f.location.start_line;
    end = f.location.end_line;
  } else if (const VulnerablePackage* p = PackageWithPath(f)) {
    art = FileUri(p->file_path);
  } else {
    // The first resource is the most specific (ZAP: the instance URL; location.url is the site).
    logical = !f.resources.empty()      ? f.resources.front().id
              : !f.location.url.empty() ? f.location.url
                                        : RuleId(f);
    art = {SanitizedResourcePath(logical), true};
  }
  w.Key("physicalLocation").BeginObject();
  w.Key("artifactLocation").BeginObject().Field("uri", art.uri);
  if (art.relative) w.Field("uriBaseId", "%SRCROOT%");
  w.EndObject();
  if (start > 0) {
    w.Key("region").BeginObject().FieldInt("startLine", start);
    if (end >= start) w.FieldInt("endLine", end);
    w.EndObject();
  }
  w.EndObject();  // physicalLocation
  if (!logical.empty()) {
    w.Key("logicalLocations").BeginArray().BeginObject();
    w.Field("fullyQualifiedName", logical).Field("kind", "resource");
    w.EndObject().EndArray();
  }
  w.EndObject().EndArray();  // location, locations

  w.Key("partialFingerprints").BeginObject().Field("findex/v1", f.fingerprint.Hex()).EndObject();
  if (r.has_verdict) w.Field("baselineState", it.is_new ? "new" : "unchanged");
  if (IsSuppressed(it) || IsResolved(it)) {
    // A resolved finding (VEX `fixed`, ...) is not an open alert either: the justification
    // says "resolved: <note>".
    w.Key("suppressions").BeginArray().BeginObject();
    w.Field("kind", "external").Field("status", "accepted");
    std::string reason = SkipMessage(it);
    w.Field("justification", reason);
    w.EndObject().EndArray();
  }
  w.Key("properties").BeginObject();
  w.Field("findex-id", f.id);
  w.Field("severity", ToString(f.severity.label));
  if (!f.severity.original.empty()) w.Field("scanner-severity", f.severity.original);
  WriteItemState(w, it);
  // Exploitation data (issue 11), each only when known: the finding's EPSS (highest of its
  // vulnerabilities), CISA KEV listing (true / false), CISA's due date and ransomware use.
  const ExploitSummary ex = SummarizeExploit(f);
  if (ex.epss >= 0) w.Key("epss").Double(ex.epss);
  if (ex.epss_percentile >= 0) w.Key("epss_percentile").Double(ex.epss_percentile);
  if (ex.kev >= 0) w.Key("kev").Bool(ex.kev == 1);
  if (!ex.kev_due.empty()) w.Field("kev_due", ex.kev_due);
  if (ex.ransomware >= 0) w.Key("ransomware").Bool(ex.ransomware == 1);
  w.EndObject();
  w.EndObject();
}

}  // namespace

Status StreamSarifReport(const GateReport& r, const ReportItems& items, size_t max_results, const ReportSink& sink,
                         uint64_t* truncated, uint64_t* total_out) {
  // First pass: the rules, in order of first use by a kept result (the first max_results in
  // report order), and how many items there are.
  std::vector<SarifRuleAgg> rules;
  std::map<std::string, size_t> rule_index;
  uint64_t seen = 0, kept = 0;
  FINDEX_RETURN_IF_ERROR(Pass(items, [&](const ReportItem& it, Status*) {
    ++seen;
    if (kept >= max_results) return !items.count;  // only counting now, unless the source knows
    ++kept;
    const Finding& f = it.finding;
    std::string id = SarifRuleId(f);
    auto [pos, inserted] = rule_index.emplace(id, rules.size());
    const uint64_t dh = TextHash(f.description), rh = TextHash(f.remediation_text);
    if (inserted) {
      SarifRuleAgg rule;
      rule.id = std::move(id);
      rule.scanner = f.scanner;
      rule.generator_id = f.generator_id;
      rule.has_vulns = !f.vulnerabilities.empty();
      if (rule.has_vulns) rule.first_vuln = f.vulnerabilities.front().id;
      rule.short_title = TitleOf(f);
      rule.title = f.title;
      rule.description = Excerpt(f.description, 1000);
      rule.description_hash = dh;
      rule.description_size = f.description.size();
      rule.remediation = Excerpt(f.remediation_text, 2000);
      rule.remediation_hash = rh;
      rule.remediation_size = f.remediation_text.size();
      rule.remediation_url = f.remediation_url;
      rule.worst = f.severity.label;
      rules.push_back(std::move(rule));
    }
    SarifRuleAgg& rule = rules[pos->second];
    if (static_cast<int>(f.severity.label) > static_cast<int>(rule.worst)) rule.worst = f.severity.label;
    rule.same_title = rule.same_title && f.title == rule.title;
    rule.same_description =
        rule.same_description && f.description.size() == rule.description_size && dh == rule.description_hash;
    rule.same_remediation = rule.same_remediation && f.remediation_text.size() == rule.remediation_size &&
                            rh == rule.remediation_hash && f.remediation_url == rule.remediation_url;
    for (const auto& c : f.cwes) rule.cwes.insert(CweTag(c));
    return true;
  }));
  uint64_t total = seen;
  if (items.count && kept >= max_results) {
    auto n = items.count();
    if (!n.ok()) return n.error();
    total = std::max<uint64_t>(*n, kept);
  }
  if (truncated) *truncated = total - kept;
  if (total_out) *total_out = total;

  SinkBuffer out(sink);
  JsonWriter w(&out.buf, 2);
  w.BeginObject();
  w.Field("$schema", "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json");
  w.Field("version", "2.1.0");
  w.Key("runs").BeginArray().BeginObject();
  w.Key("tool").BeginObject().Key("driver").BeginObject();
  w.Field("name", "findex");
  if (!r.tool_version.empty()) w.Field("version", r.tool_version);
  w.Field("informationUri", "https://github.com/findex/findex");
  w.Key("rules").BeginArray();
  for (const SarifRuleAgg& rule : rules) {
    WriteSarifRule(w, rule);
    FINDEX_RETURN_IF_ERROR(out.Drain());
  }
  w.EndArray();
  w.EndObject().EndObject();  // driver, tool

  // Second pass: the kept results, written as they are read.
  w.Key("results").BeginArray();
  uint64_t written = 0;
  if (kept > 0) {
    FINDEX_RETURN_IF_ERROR(Pass(items, [&](const ReportItem& it, Status* failed) {
      auto pos = rule_index.find(SarifRuleId(it.finding));
      if (pos == rule_index.end()) {
        *failed = MakeError(ErrorCode::kInternal, "report items changed between passes (rule of a result unknown)");
        return false;
      }
      WriteSarifResult(w, r, it, rules[pos->second], pos->second);
      *failed = out.Drain();
      return failed->ok() && ++written < kept;
    }));
  }
  if (written != kept) {
    return MakeError(ErrorCode::kInternal, fmt::format("report items changed between passes ({} results, then {})",
                                                       kept, written));
  }
  w.EndArray();

  w.Key("properties").BeginObject();
  if (r.has_verdict) w.Key("passed").Bool(r.passed);
  w.Field("scope", r.scope).Field("baseline", r.baseline).Field("generated_at", r.generated_at);
  w.Key("results_left_out").UInt(total - kept);
  w.EndObject();
  w.EndObject().EndArray();  // run, runs
  w.EndObject();
  out.buf.push_back('\n');
  return out.Flush();
}

std::string WriteSarifReport(const GateReport& r, size_t max_results, uint64_t* truncated) {
  std::string out;
  (void)StreamSarifReport(r, ItemsOf(r), max_results, StringSink(&out), truncated);  // in memory: cannot fail
  return out;
}

Status StreamMarkdownReport(const GateReport& r, const ReportItems& items, const ReportSink& sink, size_t top) {
  // Counts by severity: new vs existing among findings neither suppressed nor resolved, then
  // suppressed, then resolved (a column only when a gate left some out as resolved).
  std::map<SeverityLabel, std::array<uint64_t, 4>> counts;  // new, existing, suppressed, resolved
  std::array<uint64_t, 4> total{};
  uint64_t shown = 0;  // neither suppressed nor resolved: candidates for the top findings
  FINDEX_RETURN_IF_ERROR(Pass(items, [&](const ReportItem& it, Status*) {
    size_t col = IsSuppressed(it) ? 2 : IsResolved(it) ? 3 : it.is_new ? 0 : 1;
    ++counts[it.finding.severity.label][col];
    ++total[col];
    if (col < 2) ++shown;
    return true;
  }));
  const bool resolved_col = total[3] > 0;

  std::string head;
  if (r.has_verdict) head += r.passed ? "## findex gate: passed\n\n" : "## findex gate: FAILED\n\n";
  else head += "## findex findings\n\n";
  std::vector<std::string> facts;
  if (!r.scope.empty()) facts.push_back("scope " + MdEscape(r.scope));
  if (!r.baseline.empty()) facts.push_back("baseline " + MdEscape(r.baseline));
  if (!r.generated_at.empty()) facts.push_back("generated " + MdEscape(r.generated_at));
  if (!r.tool_version.empty()) facts.push_back("findex " + MdEscape(r.tool_version));
  if (!facts.empty()) head += fmt::format("{}\n\n", fmt::join(facts, " · "));

  if (resolved_col) {
    head += "| Severity | New | Existing | Suppressed | Resolved | Total |\n|---|---:|---:|---:|---:|---:|\n";
    for (SeverityLabel l : kLabelsDesc) {
      const auto& c = counts[l];
      head += fmt::format("| {} | {} | {} | {} | {} | {} |\n", ToString(l), c[0], c[1], c[2], c[3], c[0] + c[1] + c[2] + c[3]);
    }
    head += fmt::format("| **Total** | {} | {} | {} | {} | {} |\n\n", total[0], total[1], total[2], total[3],
                        total[0] + total[1] + total[2] + total[3]);
  } else {
    head += "| Severity | New | Existing | Suppressed | Total |\n|---|---:|---:|---:|---:|\n";
    for (SeverityLabel l : kLabelsDesc) {
      const auto& c = counts[l];
      head += fmt::format("| {} | {} | {} | {} | {} |\n", ToString(l), c[0], c[1], c[2], c[0] + c[1] + c[2]);
    }
    head += fmt::format("| **Total** | {} | {} | {} | {} |\n\n", total[0], total[1], total[2],
                        total[0] + total[1] + total[2]);
  }

  for (const GateResult& g : r.gates) {
    if (g.passed) continue;
    head += fmt::format("### Gate {} failed\n\n", MdEscape(g.name));
    if (!g.description.empty()) head += "Looks at: " + MdEscape(g.description) + "\n\n";
    std::string rows;
    for (SeverityLabel l : kLabelsDesc) {
      auto m = g.max.find(l);
      if (m == g.max.end() || !ThresholdBroken(g, l, m->second)) continue;
      rows += fmt::format("| max {} {} | {} |\n", ToString(l), m->second, CountOf(g, l));
    }
    if (!rows.empty()) head += "| Threshold | Found |\n|---|---:|\n" + rows + "\n";
    else
      for (const auto& v : g.violated) head += "- " + MdEscape(v) + "\n";
    if (rows.empty() && !g.violated.empty()) head += "\n";
  }

  // SLA breaches (the policy's sla:): the counts and the most overdue few.
  if (r.sla.enabled) {
    head += fmt::format("### SLA\n\n{} breached, {} due soon\n\n", r.sla.breached, r.sla.due_soon);
    if (!r.sla.worst.empty()) {
      head += "| Severity | Overdue | Due | Scanner | Title | Location |\n|---|---:|---|---|---|---|\n";
      for (const auto& b : r.sla.worst) {
        head += fmt::format("| {} | {:.1f} days | {} | {} | {} | {} |\n", ToString(b.label), std::max(0.0, -b.days_left),
                            FormatTimestamp(b.due_ms).substr(0, 10), MdEscape(b.scanner), MdEscape(OneLine(b.title, 120)),
                            MdEscape(OneLine(b.location, 160)));
      }
      if (r.sla.breached > r.sla.worst.size()) head += fmt::format("\n... and {} more breached\n", r.sla.breached - r.sla.worst.size());
      head += "\n";
    }
  }

  std::string notices;
  if (!r.notices.empty()) {
    notices += "### Notices\n\n";
    for (const auto& n : r.notices) notices += "- " + MdEscape(n) + "\n";
    notices += "\n";
  }

  // Top findings, unsuppressed, most severe (violations) first.
  std::string table;
  uint64_t written = 0;
  if (shown > 0) {
    table += "### Top findings\n\n| Severity | Scanner | Title | Location | New |";
    if (r.has_verdict) table += " Gate |";
    table += r.has_verdict ? "\n|---|---|---|---|---|---|\n" : "\n|---|---|---|---|---|\n";
  }
  // Leave room for the "... and N more" line whatever the notices and gates took.
  const size_t budget = kMarkdownLimit > 200 ? kMarkdownLimit - 200 : 0;
  std::string out = head;
  // Notices are few and matter (expired accepted risks): cut them only if they alone overflow.
  if (out.size() + notices.size() > budget / 2) {
    std::string cut = "### Notices\n\n";
    size_t n = 0;
    for (; n < r.notices.size(); ++n) {
      std::string line = "- " + MdEscape(r.notices[n]) + "\n";
      if (out.size() + cut.size() + line.size() > budget / 2) break;
      cut += line;
    }
    if (n < r.notices.size()) cut += fmt::format("- ... and {} more notices\n", r.notices.size() - n);
    notices = cut + "\n";
  }
  out += notices;
  if (shown > 0) {
    out += table;
    // The document is at most kMarkdownLimit bytes: built whole, then handed over.
    if (top > 0) {
      FINDEX_RETURN_IF_ERROR(Pass(items, [&](const ReportItem& it, Status*) {
        if (IsSuppressed(it) || IsResolved(it)) return true;
        const Finding& f = it.finding;
        std::string row = fmt::format("| {} | {} | {} | {} | {} |", ToString(f.severity.label), MdEscape(f.scanner),
                                      MdEscape(OneLine(TitleOf(f), 120)), MdEscape(OneLine(LocationText(f), 160)),
                                      it.is_new ? "yes" : "no");
        if (r.has_verdict)
          row += fmt::format(" {} |", it.gates.empty() ? std::string("") : MdEscape(fmt::format("{}", fmt::join(it.gates, ", "))));
        row += "\n";
        if (out.size() + row.size() > budget) return false;
        out += row;
        return ++written < top;
      }));
    }
    if (written < shown) out += fmt::format("\n... and {} more\n", shown - written);
  }
  return sink(out);
}

std::string WriteMarkdownReport(const GateReport& r, size_t top) {
  std::string out;
  (void)StreamMarkdownReport(r, ItemsOf(r), StringSink(&out), top);  // in memory: cannot fail
  return out;
}

Status StreamCodeInsightsReport(const GateReport& r, const ReportItems& items, const ReportSink& sink) {
  // Bitbucket Cloud REST API 2.0, "Reports" group: PUT .../commit/{commit}/reports/{reportId}
  // ("Create or update a report": title, details, report_type SECURITY|COVERAGE|TEST|BUG,
  // reporter, result PASSED|FAILED|PENDING, data [{title, type BOOLEAN|DATE|DURATION|LINK|NUMBER|
  // PERCENTAGE|TEXT, value}]) and POST .../reports/{reportId}/annotations ("Bulk create or update
  // annotations": external_id, annotation_type VULNERABILITY|CODE_SMELL|BUG, summary, details,
  // path, line, severity CRITICAL|HIGH|MEDIUM|LOW, result PASSED|FAILED|IGNORED|SKIPPED; a report
  // holds at most 1000 annotations, at most 100 per POST, so the uploader splits the array).
  // https://developer.atlassian.com/cloud/bitbucket/rest/api-group-reports/
  // Bitbucket Data Center documents details as at most 2000 characters.
  constexpr size_t kMaxAnnotations = 1000;
  constexpr size_t kMaxDetails = 2000;
  constexpr size_t kMaxSummary = 450;
  constexpr size_t kMaxData = 10;

  uint64_t n_items = 0, violations = 0, suppressed = 0, resolved = 0, fresh = 0;
  std::map<SeverityLabel, uint64_t> active;
  FINDEX_RETURN_IF_ERROR(Pass(items, [&](const ReportItem& it, Status*) {
    ++n_items;
    if (it.status == ItemStatus::kViolation) ++violations;
    if (IsSuppressed(it)) {
      ++suppressed;
      return true;
    }
    if (IsResolved(it)) {
      ++resolved;
      return true;
    }
    if (it.is_new) ++fresh;
    ++active[it.finding.severity.label];
    return true;
  }));
  uint64_t unsuppressed = n_items - suppressed - resolved;
  // ", N resolved" only when a gate left some out as resolved: the text reads as before otherwise.
  const std::string resolved_text = resolved > 0 ? fmt::format(", {} resolved", resolved) : std::string();

  std::string details;
  if (r.has_verdict) {
    std::vector<std::string> failed;
    for (const auto& g : r.gates)
      if (!g.passed)
        failed.push_back(g.violated.empty() ? g.name
                                            : fmt::format("{} ({})", g.name, fmt::join(g.violated, ", ")));
    details = r.passed ? "findex gate passed." : fmt::format("findex gate FAILED: {}.", fmt::join(failed, "; "));
    details += fmt::format(" {} findings: {} violating, {} new, {} suppressed{}.", n_items, violations, fresh,
                           suppressed, resolved_text);
  } else {
    details = fmt::format("findex: {} findings, {} suppressed{}.", n_items, suppressed, resolved_text);
  }
  for (const auto& n : r.notices) details += " Notice: " + OneLine(n, 300) + ".";

  SinkBuffer out(sink);
  JsonWriter w(&out.buf, 2);
  w.BeginObject();
  w.Key("report").BeginObject();
  w.Field("title", "findex");
  w.Field("details", TruncateUtf8(details, kMaxDetails));
  w.Field("report_type", "SECURITY");
  w.Field("reporter", "findex");
  // A plain export has no verdict: result is optional in the API and left out.
  if (r.has_verdict) w.Field("result", r.passed ? "PASSED" : "FAILED");
  w.Key("data").BeginArray();
  size_t data = 0;
  auto datum = [&](std::string_view title, std::string_view type, auto&& value) {
    if (data >= kMaxData) return;
    w.BeginObject().Field("title", title).Field("type", type).Key("value");
    value();
    w.EndObject();
    ++data;
  };
  if (r.has_verdict) {
    datum("Safe to merge?", "BOOLEAN", [&] { w.Bool(r.passed); });
    datum("Violations", "NUMBER", [&] { w.UInt(violations); });
    datum("New (not suppressed)", "NUMBER", [&] { w.UInt(fresh); });
  } else {
    datum("Findings", "NUMBER", [&] { w.UInt(unsuppressed); });
  }
  // Informational findings are left out of the counts: the data list holds at most 10 items.
  datum("Critical", "NUMBER", [&] { w.UInt(active[SeverityLabel::kCritical]); });
  datum("High", "NUMBER", [&] { w.UInt(active[SeverityLabel::kHigh]); });
  datum("Medium", "NUMBER", [&] { w.UInt(active[SeverityLabel::kMedium]); });
  datum("Low", "NUMBER", [&] { w.UInt(active[SeverityLabel::kLow]); });
  datum("Suppressed", "NUMBER", [&] { w.UInt(suppressed); });
  if (!r.scope.empty()) datum("Scope", "TEXT", [&] { w.String(r.scope); });
  if (!r.baseline.empty()) datum("Baseline", "TEXT", [&] { w.String(r.baseline); });
  w.EndArray();
  w.EndObject();  // report

  w.Key("annotations").BeginArray();
  std::set<std::string> ids;  // at most kMaxAnnotations
  size_t n = 0;
  if (n_items > 0) {
    FINDEX_RETURN_IF_ERROR(Pass(items, [&](const ReportItem& it, Status* failed) {
      const Finding& f = it.finding;
      // Stable across runs so re-uploads update rather than duplicate; unique in the report.
      std::string base = "findex-" + f.fingerprint.Hex();
      std::string id = base;
      for (int k = 2; ids.count(id); ++k) id = fmt::format("{}-{}", base, k);
      ids.insert(id);

      std::string loc = LocationText(f);
      std::string summary = fmt::format("[{}] {}", ToString(f.severity.label), TitleOf(f));
      if (!loc.empty()) summary += " (" + loc + ")";
      std::string det = fmt::format("{} rule {}; id {}", f.scanner, f.generator_id, f.id);
      if (!it.gates.empty()) det += fmt::format("; violates {}", fmt::join(it.gates, ", "));
      if (IsSuppressed(it)) det += "; suppressed: " + SuppressedMessage(it);
      else if (IsResolved(it)) det += "; " + ResolvedMessage(it);
      std::string desc = Excerpt(f.description, 1000);
      if (!desc.empty()) det += "\n" + desc;

      std::string path;
      int line = 0;
      if (!f.location.file_path.empty()) {
        path = f.location.file_path;
        line = f.location.start_line;
      } else if (const VulnerablePackage* p = PackageWithPath(f)) {
        path = p->file_path;
      }
      // Bitbucket places annotations by repository-relative path; an absolute path or URI (a jar
      // in ~/.m2, /var/lib/dpkg/status) names no file of the repository, so it stays in the summary.
      ArtifactUri uri = FileUri(path);
      if (!uri.relative) path.clear();
      std::replace(path.begin(), path.end(), '\\', '/');
      while (StartsWith(path, "./")) path.erase(0, 2);

      std::string_view severity =
          f.severity.label == SeverityLabel::kInformational ? "LOW" : ToString(f.severity.label);
      std::string_view result;
      if (IsSuppressed(it)) result = "IGNORED";
      else if (r.has_verdict) result = it.status == ItemStatus::kViolation ? "FAILED" : "PASSED";
      else result = IsActiveUnsuppressed(it) ? "FAILED" : "PASSED";

      w.BeginObject();
      w.Field("external_id", id);
      w.Field("annotation_type", "VULNERABILITY");
      w.Field("summary", TruncateUtf8(summary, kMaxSummary));
      w.Field("details", TruncateUtf8(det, kMaxDetails));
      if (!path.empty()) {
        w.Field("path", path);
        if (line > 0) w.FieldInt("line", line);
      }
      w.Field("severity", severity);
      w.Field("result", result);
      w.EndObject();
      *failed = out.Drain();
      return failed->ok() && ++n < kMaxAnnotations;
    }));
  }
  w.EndArray();
  w.EndObject();
  out.buf.push_back('\n');
  return out.Flush();
}

std::string WriteCodeInsightsReport(const GateReport& r) {
  std::string out;
  (void)StreamCodeInsightsReport(r, ItemsOf(r), StringSink(&out));  // in memory: cannot fail
  return out;
}

Status StreamVerdictJson(const GateReport& r, const ReportItems& items, const ReportSink& sink) {
  uint64_t n_items = 0, violations = 0, open = 0, suppressed = 0, resolved = 0, fresh = 0;
  FINDEX_RETURN_IF_ERROR(Pass(items, [&](const ReportItem& it, Status*) {
    ++n_items;
    switch (it.status) {
      case ItemStatus::kViolation: ++violations; break;
      case ItemStatus::kOpen: ++open; break;
      case ItemStatus::kSuppressed: ++suppressed; break;
      case ItemStatus::kResolved: ++resolved; break;
    }
    if (it.is_new) ++fresh;
    return true;
  }));

  SinkBuffer out(sink);
  JsonWriter w(&out.buf, 2);
  w.BeginObject();
  // No gate ran for an export: there is no verdict to report.
  w.Key("passed");
  if (r.has_verdict) w.Bool(r.passed);
  else w.Null();
  w.Field("scope", r.scope).Field("baseline", r.baseline).Field("generated_at", r.generated_at);
  w.Field("tool_version", r.tool_version);

  auto label_map = [&](const auto& m) {
    w.BeginObject();
    for (SeverityLabel l : kLabelsDesc) {
      auto it = m.find(l);
      if (it == m.end()) continue;
      w.Key(ToString(l));
      if constexpr (std::is_signed_v<typename std::decay_t<decltype(m)>::mapped_type>) w.Int(it->second);
      else w.UInt(it->second);
    }
    w.EndObject();
  };
  w.Key("gates").BeginArray();
  for (const GateResult& g : r.gates) {
    w.BeginObject();
    w.Field("name", g.name);
    w.Key("passed").Bool(g.passed);
    w.Field("description", g.description);
    w.Key("max");
    label_map(g.max);
    w.Key("counts");
    label_map(g.counts);
    w.Key("violated");
    WriteStringArray(w, g.violated);
    w.Key("new_only").Bool(g.new_only);
    w.Field("baseline", g.baseline);
    w.Key("fixable_only").Bool(g.fixable_only);
    w.EndObject();
  }
  w.EndArray();

  w.Key("counts").BeginObject();
  w.Key("total").UInt(n_items);
  w.Key("violations").UInt(violations);
  w.Key("open").UInt(open);
  w.Key("suppressed").UInt(suppressed);
  w.Key("resolved").UInt(resolved);  // left out of every gate as RESOLVED (VEX fixed, policy, triage)
  w.Key("new").UInt(fresh);
  w.EndObject();
  w.Key("notices");
  WriteStringArray(w, r.notices);
  if (r.sla.enabled) {
    // As the text summary: over the gated scope's active findings, the most overdue first.
    w.Key("sla").BeginObject();
    w.Key("breached").UInt(r.sla.breached);
    w.Key("due_soon").UInt(r.sla.due_soon);
    w.Key("worst").BeginArray();
    for (const SlaBreach& b : r.sla.worst) {
      w.BeginObject();
      w.Field("id", b.id);
      w.Field("title", b.title);
      w.Field("scanner", b.scanner);
      w.Field("location", b.location);
      w.Field("severity", ToString(b.label));
      w.Field("due", FormatTimestamp(b.due_ms));
      w.Key("days_overdue").Double(std::max(0.0, -b.days_left));
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }

  w.Key("findings").BeginArray();
  if (n_items > 0) {
    FINDEX_RETURN_IF_ERROR(Pass(items, [&](const ReportItem& it, Status* failed) {
      const Finding& f = it.finding;
      w.BeginObject();
      w.Field("id", f.id);
      w.Field("fingerprint", f.fingerprint.Hex());
      w.Field("severity", ToString(f.severity.label));
      w.Field("scanner", f.scanner);
      w.Field("rule", f.generator_id);
      w.Field("title", f.title);
      w.Field("location", LocationText(f));
      WriteItemState(w, it);
      if (it.status == ItemStatus::kSuppressed) w.Field("suppression_reason", it.suppression_reason);
      if (it.status == ItemStatus::kResolved) w.Field("resolution_note", it.suppression_reason);
      w.EndObject();
      *failed = out.Drain();
      return failed->ok();
    }));
  }
  w.EndArray();
  w.EndObject();
  out.buf.push_back('\n');
  return out.Flush();
}

std::string WriteVerdictJson(const GateReport& r) {
  std::string out;
  (void)StreamVerdictJson(r, ItemsOf(r), StringSink(&out));  // in memory: cannot fail
  return out;
}

}  // namespace findex
