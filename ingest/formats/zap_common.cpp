// Alert -> Finding mapping shared by the ZAP JSON and XML readers. See zap_common.h.
//
// Severity (https://www.zaproxy.org/docs/constants/ , "Alert Risk"): riskcode 0 Informational,
// 1 Low, 2 Medium, 3 High -> INFORMATIONAL, LOW, MEDIUM, HIGH. ZAP has no Critical. When
// riskcode is missing, the first word of riskdesc ("Medium (High)") decides. Severity.Original
// is riskdesc verbatim, or the riskcode when riskdesc is missing or an unresolved i18n
// placeholder ("!reports.report.risk.3! (...)", seen in ZAP dev builds).
//
// Confidence (same page, "Alert Confidence"): 0 False Positive, 1 Low, 2 Medium, 3 High,
// 4 Confirmed (by a user) -> ASFF Confidence 0, 33, 66, 90, 100. High stays below 100 because
// only a user confirmation makes it certain. A False Positive alert (confidence 0) is also
// Workflow SUPPRESSED: a person or an alert filter marked it so.
//
// Target (what the report scanned, for resolution by absence): each site's @name as
// NormalizeSite writes it (https://www.zaproxy.org/docs/desktop/addons/report-generation/,
// "site" elements); a report about several sites names each, and each finding carries its own.
//
// Identity: FingerprintOf({"zap", pluginid, lower-cased alert name, NormalizeSite(site @name)}).
// Why neither pluginid alone nor alertRef:
//  - one plugin raises distinct alerts in one site that share pluginid AND alertRef: 10049
//    "Non-Storable Content" / "Storable and Cacheable Content" (2.14.0), 100000 "A Server
//    Error ..." / "A Client Error ..." (2.11.1), 90028 "Insecure HTTP Method - PUT" / "- PATCH"
//    (2.7.0, no alertRef at all): only the name tells them apart;
//  - alertRef changes for the same alert between versions (10038 in 2.11 -> 10038-1 in 2.14,
//    10094 -> 10094-3 "Base64 Disclosure"), and is absent before 2.10. Its variants (90005-1..4)
//    always carry distinct names, so the name already separates them.
// Lower-casing absorbs ZAP's capitalisation fixes ("Cookie without SameSite Attribute" vs
// "Cookie Without SameSite Attribute"); a real rename (10020 "X-Frame-Options Header Not Set"
// -> "Missing Anti-clickjacking Header") is a new identity, as its alertRef also changed.
// Instance URIs, counts, evidence, riskcode and confidence are not part of the identity: they
// change between scans of the same problem. The same alert listed twice in one site (ZAP splits
// an alert by confidence; hand-made duplicates) gives the same fingerprint and is stored once.
#include "ingest/formats/zap_common.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "normalize/fingerprint.h"
#include "normalize/severity.h"
#include "normalize/text.h"

namespace findex::zap {
namespace {

bool IsSpaceChar(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

bool HasText(std::string_view s) {
  for (char c : s) {
    if (!IsSpaceChar(c)) return true;
  }
  return false;
}

// Whole-string integer; false for "", "2.0", "abc".
bool ParseInt(std::string_view s, int64_t* out) {
  s = TrimView(s);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

constexpr SeverityLabel kRiskLabels[] = {SeverityLabel::kInformational, SeverityLabel::kLow,
                                         SeverityLabel::kMedium, SeverityLabel::kHigh};
constexpr int kConfidence[] = {0, 33, 66, 90, 100};

// URLs in ZAP's reference text: one per <p> / <br> / line, sometimes followed by a remark
// ("http://www.w3.org/... (obsoleted by rfc7234)").
std::vector<std::string> ReferenceUrls(std::string_view reference) {
  std::vector<std::string> urls;
  if (!HasText(reference)) return urls;
  std::string text = HtmlToText(reference);
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSpaceChar(text[i])) ++i;
    size_t e = i;
    while (e < text.size() && !IsSpaceChar(text[e])) ++e;
    std::string_view tok(text.data() + i, e - i);
    if (StartsWith(tok, "http://") || StartsWith(tok, "https://")) {
      // Trailing punctuation of the sentence; a ')' only when unbalanced ("..._(OWASP-SM-002)" keeps it).
      while (!tok.empty()) {
        char c = tok.back();
        if (c == ',' || c == ';' || c == '.') {
          tok.remove_suffix(1);
        } else if (c == ')' && std::count(tok.begin(), tok.end(), ')') > std::count(tok.begin(), tok.end(), '(')) {
          tok.remove_suffix(1);
        } else {
          break;
        }
      }
      bool seen = false;
      for (const auto& u : urls) seen |= (u == tok);
      if (!seen) urls.emplace_back(tok);
    }
    i = e;
  }
  return urls;
}

void PutField(Finding* f, const char* key, std::string_view value) {
  value = TrimView(value);
  if (!value.empty()) f->product_fields[key] = std::string(value);
}

}  // namespace

void Alert::Clear() {
  pluginid = alert_ref = name = alert = riskcode = confidence = riskdesc = {};
  desc = solution = otherinfo = reference = cweid = wascid = count = systemic = {};
  legacy = Instance{};
  has_legacy = false;
  instances.clear();
  instance_total = 0;
  tags.clear();
  bad.clear();
  offset = 0;
}

std::string_view TrimView(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && IsSpaceChar(s[b])) ++b;
  while (e > b && IsSpaceChar(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string AlertWhere(size_t site_index, size_t alert_index) {
  return "site[" + std::to_string(site_index) + "].alerts[" + std::to_string(alert_index) + "]";
}

std::string NormalizeSite(std::string_view name) {
  std::string s(TrimView(name));
  size_t scheme_end = s.find("://");
  size_t auth_begin = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  if (StartsWith(s, "//")) auth_begin = 2;
  size_t auth_end = s.find('/', auth_begin);
  if (auth_end == std::string::npos) auth_end = s.size();
  for (size_t i = 0; i < auth_end; ++i) s[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
  std::string_view scheme = scheme_end == std::string::npos ? std::string_view{} : std::string_view(s).substr(0, scheme_end);
  std::string_view default_port = scheme == "http" ? ":80" : scheme == "https" ? ":443" : "";
  if (!default_port.empty() && auth_end >= default_port.size() &&
      std::string_view(s).substr(auth_end - default_port.size(), default_port.size()) == default_port) {
    s.erase(auth_end - default_port.size(), default_port.size());
  }
  while (s.size() > auth_begin && s.back() == '/') s.pop_back();
  return s;
}

std::string MakeFinding(const Alert& a, const Site& site, const ReportInfo& report, Finding* out) {
  std::string_view pluginid = TrimView(a.pluginid);
  std::string_view alert_ref = TrimView(a.alert_ref);
  if (pluginid.empty() && !alert_ref.empty()) pluginid = alert_ref.substr(0, alert_ref.find('-'));
  std::string name = CollapseWhitespace(HasText(a.name) ? a.name : a.alert);
  if (pluginid.empty() && name.empty()) return "alert has neither pluginid nor name";
  if (!a.bad.empty()) return a.bad;

  // Severity: riskcode, else the first word of riskdesc.
  std::string_view riskcode = TrimView(a.riskcode);
  std::string_view riskdesc = TrimView(a.riskdesc);
  SeverityLabel label;
  if (!riskcode.empty()) {
    int64_t rc = -1;
    if (!ParseInt(riskcode, &rc) || rc < 0 || rc > 3) return "riskcode \"" + std::string(riskcode) + "\" is not 0..3";
    label = kRiskLabels[rc];
  } else {
    size_t end = riskdesc.find_first_of(" (");
    auto parsed = ParseSeverityLabel(riskdesc.substr(0, end));
    if (!parsed || *parsed == SeverityLabel::kCritical) return "alert has no riskcode";
    label = *parsed;
  }

  Finding& f = *out;
  f.target = NormalizeSite(site.name);  // the finding's target: its site
  f = Finding{};
  f.scanner = "zap";
  f.format = std::string(report.format);
  f.product_name = "OWASP ZAP";
  f.company_name = "OWASP";
  f.types = {"Software and Configuration Checks/Vulnerabilities"};
  f.severity.label = label;
  f.severity.normalized = DefaultNormalized(label);
  bool placeholder = riskdesc.find("!reports.") != std::string_view::npos;
  f.severity.original = std::string(!riskdesc.empty() && !placeholder ? riskdesc : riskcode);

  int64_t conf = -1;
  if (ParseInt(a.confidence, &conf) && conf >= 0 && conf <= 4) {
    f.confidence = kConfidence[conf];
    if (conf == 0) f.workflow = WorkflowStatus::kSuppressed;
  }

  std::string name_key = ToLower(name);
  std::string site_key = NormalizeSite(site.name);
  f.fingerprint = FingerprintOf({"zap", pluginid, name_key, site_key});

  f.generator_id = pluginid.empty() ? "zap" : "zap/" + std::string(pluginid);
  f.title = name.empty() ? "ZAP alert " + std::string(pluginid) : name;
  f.description = HtmlToText(a.desc);
  // The alert-level otherinfo is the first instance's (ZAP groups instances under one alert).
  // Since 2.11 every instance carries its own and it goes to the Resources; before, the alert
  // level is the only place it appears, so it is kept in the description.
  bool instances_have_other = false;
  for (const Instance& in : a.instances) instances_have_other |= HasText(in.otherinfo);
  if (!instances_have_other && HasText(a.otherinfo)) {
    std::string other = HtmlToText(a.otherinfo);
    if (!other.empty()) {
      if (!f.description.empty()) f.description += "\n\n";
      f.description += "Other information:\n" + other;
    }
  }
  f.remediation_text = HtmlToText(a.solution);

  std::vector<std::string> urls = ReferenceUrls(a.reference);
  if (!urls.empty()) {
    f.source_url = urls.front();
    std::string joined;
    for (const auto& u : urls) joined += (joined.empty() ? "" : " ") + u;
    f.product_fields["zap/References"] = std::move(joined);
  }

  int64_t cwe = 0;
  if (ParseInt(a.cweid, &cwe) && cwe > 0) f.cwes.push_back("CWE-" + std::to_string(cwe));
  int64_t wasc = 0;
  if (ParseInt(a.wascid, &wasc) && wasc > 0) f.product_fields["zap/WascId"] = std::to_string(wasc);

  std::string_view site_name = TrimView(site.name);
  f.location.url = std::string(site_name);
  PutField(&f, "zap/Site", site_name);
  PutField(&f, "zap/Host", site.host);
  PutField(&f, "zap/Port", site.port);
  PutField(&f, "zap/Version", report.version);
  PutField(&f, "zap/PluginId", pluginid);
  PutField(&f, "zap/AlertRef", alert_ref);
  PutField(&f, "zap/Tags", a.tags);
  if (TrimView(a.systemic) == "true") f.product_fields["zap/Systemic"] = "true";

  // Instances -> Resources (request/response headers and bodies of "plus" reports are not
  // kept: they are large and belong to the HTTP history, not to the finding).
  const Instance* first = a.instances.data();
  size_t n = a.instances.size();
  uint64_t total = a.instance_total;
  if (n == 0 && a.has_legacy) {
    first = &a.legacy;
    n = 1;
    total = 1;
  }
  f.resources.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const Instance& in = first[i];
    Resource r;
    std::string_view uri = TrimView(in.uri);
    r.id = std::string(!uri.empty() ? uri : !site_name.empty() ? site_name : std::string_view("zap"));
    auto detail = [&r](const char* key, std::string_view v) {
      if (HasText(v)) r.details_other[key] = std::string(v);
    };
    detail("Method", TrimView(in.method));
    detail("Param", in.param);
    detail("Attack", in.attack);
    detail("Evidence", in.evidence);
    detail("OtherInfo", in.otherinfo);
    f.resources.push_back(std::move(r));
  }
  int64_t count = 0;
  if (ParseInt(a.count, &count) && count > 0 && static_cast<uint64_t>(count) > total) total = static_cast<uint64_t>(count);
  f.resource_count = total;
  return {};
}

}  // namespace findex::zap
