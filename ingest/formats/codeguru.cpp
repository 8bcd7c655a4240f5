// Amazon CodeGuru Reviewer recommendations
// (https://docs.aws.amazon.com/codeguru/latest/reviewer-api/API_RecommendationSummary.html):
//   - aws-codeguru-cli `recommendations.json`: a bare array of RecommendationSummary,
//     [{"FilePath","RecommendationId","StartLine","EndLine","Description" (markdown),
//       "RecommendationCategory","RuleMetadata": {"RuleId","RuleName","ShortDescription",
//       "LongDescription","RuleTags"}, "Severity"}]; hand-written files use camelCase keys, so
//     keys are matched case-insensitively.
//   - the ListRecommendations API response: {"RecommendationSummaries": [...], "NextToken"?}.
//
// Severity: the API's Severity enum is Info | Low | Medium | High | Critical (API reference,
// RecommendationSummary.Severity); each maps to the ASFF label of the same name. A missing
// Severity (older CLI output, informational notices) gives MEDIUM: CodeGuru did not rank it and
// MEDIUM keeps it visible without overstating it. Unknown values also give MEDIUM, kept
// verbatim in Severity.Original.
// Identity: CodeFingerprint("codeguru", rule, FilePath, anchor). RecommendationIds are new on
// every code review, so they are not used. rule = RuleMetadata.RuleId, else the
// RecommendationCategory. anchor = the Description with whitespace collapsed and the trailing
// "Similar issue at line number(s) ..." sentence removed (it names lines), plus "#<n>" for the
// n-th repeat of the same (rule, file, anchor) in the report, so identical recommendations on
// two lines of one file stay two findings without using line numbers.
// Types: category SecurityIssues or a "security" rule tag -> "Software and Configuration
// Checks/Vulnerabilities"; other categories (best practices, leaks, concurrency, ...) ->
// "Software and Configuration Checks".
#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <optional>
#include <vector>

#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty()) return SniffConfidence::kNo;
  if (h[0] == '{' && (HeadHas(h, "\"RecommendationSummaries\"") || HeadHas(h, "\"recommendationSummaries\""))) {
    return SniffConfidence::kCertain;
  }
  bool id = HeadHas(h, "\"RecommendationId\"") || HeadHas(h, "\"recommendationId\"");
  bool path = HeadHas(h, "\"FilePath\"") || HeadHas(h, "\"filePath\"");
  if (h[0] == '[' && id && path) return SniffConfidence::kCertain;
  if (h[0] == '[' && id) return SniffConfidence::kLikely;
  return SniffConfidence::kNo;
}

struct Rec {
  std::string file, id, description, category, severity, rule_id, rule_name, short_desc, long_desc, confidence;
  int64_t start = 0, end = 0;
  std::vector<std::string> tags;
};

bool Is(std::string_view key, std::string_view name) { return EqualsIgnoreCase(key, name); }

// "cwe-755" rule tags as "CWE-755".
std::optional<std::string> CweTag(std::string_view tag) {
  std::string t = Trim(tag);
  if (t.size() < 5 || !EqualsIgnoreCase(std::string_view(t).substr(0, 4), "cwe-")) return std::nullopt;
  size_t j = 4;
  while (j + 1 < t.size() && t[j] == '0') ++j;
  for (size_t k = j; k < t.size(); ++k) {
    if (!std::isdigit(static_cast<unsigned char>(t[k]))) return std::nullopt;
  }
  return "CWE-" + t.substr(j);
}

// The line-insensitive text of a description: whitespace collapsed, "Similar issue at line
// number(s) 166, 170." dropped.
std::string Anchor(std::string_view description) {
  std::string s = CollapseWhitespace(description);
  size_t p = s.find("Similar issue at line number");
  if (p != std::string::npos) {
    size_t end = p;
    while (end < s.size() && s[end] != '.') ++end;
    // The sentence ends at the first '.' that is not between digits.
    while (end < s.size() && end + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[end + 1]))) {
      ++end;
      while (end < s.size() && s[end] != '.') ++end;
    }
    s.erase(p, end < s.size() ? end - p + 1 : std::string::npos);
    s = CollapseWhitespace(s);
  }
  return s;
}

// Title from markdown: the first non-empty line without emphasis markers or a "Problem:"
// label, cut to its first sentence when long.
std::string TitleFromDescription(std::string_view d) {
  std::string line;
  size_t pos = 0;
  while (pos <= d.size()) {
    size_t nl = d.find('\n', pos);
    std::string_view l = d.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (!Trim(l).empty()) {
      line = Trim(l);
      break;
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  std::string out;
  for (char c : line) {
    if (c != '*' && c != '`') out += c;
  }
  out = Trim(out);
  if (StartsWith(out, "Problem:")) out = Trim(std::string_view(out).substr(8));
  if (out.size() > 120) {
    size_t dot = out.find(". ");
    if (dot != std::string::npos && dot > 10) out = out.substr(0, dot + 1);
  }
  return CollapseWhitespace(out);
}

// "**Fix**: ..." paragraph of a description.
std::string FixParagraph(std::string_view d) {
  size_t p = d.find("**Fix**:");
  if (p == std::string_view::npos) return {};
  std::string_view rest = d.substr(p + 8);
  size_t end = rest.find("\n\n");
  return Trim(rest.substr(0, end));
}

// URL of the first markdown link labelled "Learn more".
std::string LearnMoreUrl(std::string_view d) {
  size_t p = d.find("[Learn more](");
  if (p == std::string_view::npos) return {};
  size_t s = p + 13;
  size_t e = d.find(')', s);
  if (e == std::string_view::npos) return {};
  std::string url = Trim(d.substr(s, e - s));
  return StartsWith(url, "http") ? url : std::string();
}

Status ReadRuleMetadata(JsonReport& rep, od::value v, Rec* r, std::string* bad) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return rep.Malformed("bad value", ec);
  if (t == od::json_type::null) return Status::Ok();
  od::object obj;
  if (v.get_object().get(obj)) {
    if (bad->empty()) *bad = "\"RuleMetadata\" is not an object";
    return Status::Ok();
  }
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
    od::value fv;
    if (auto ec = field.value().get(fv)) return rep.Malformed("bad value", ec);
    std::string* dst = Is(key, "RuleId")             ? &r->rule_id
                       : Is(key, "RuleName")         ? &r->rule_name
                       : Is(key, "ShortDescription") ? &r->short_desc
                       : Is(key, "LongDescription")  ? &r->long_desc
                                                     : nullptr;
    if (dst) {
      if (!ReadString(fv, dst) && bad->empty()) *bad = "\"RuleMetadata." + std::string(key) + "\" is not a string";
    } else if (Is(key, "RuleTags")) {
      od::json_type tt;
      if (auto ec = fv.type().get(tt)) return rep.Malformed("bad value", ec);
      if (tt == od::json_type::null) continue;
      od::array arr;
      if (fv.get_array().get(arr)) {
        if (bad->empty()) *bad = "\"RuleMetadata.RuleTags\" is not an array";
        continue;
      }
      for (auto el : arr) {
        od::value ev;
        if (auto ec = el.get(ev)) return rep.Malformed("bad tag", ec);
        std::string tag;
        if (ReadString(ev, &tag) && !Trim(tag).empty()) r->tags.push_back(Trim(tag));
      }
    }
  }
  return Status::Ok();
}

Status ReadRecommendation(JsonReport& rep, od::value v, const std::string& where, std::map<std::string, int>& repeats,
                          FindingSink& sink) {
  // Only the offset now: the reject (and its line) is built for a rejected record only.
  const uint64_t offset = rep.OffsetOf(v);
  od::object obj;
  if (v.get_object().get(obj)) {
    sink.AddReject(rep.RejectAt(offset, where, "recommendation is not an object"));
    return Status::Ok();
  }
  Rec r;
  std::string bad;
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value fv) -> Status {
    std::string* dst = Is(key, "FilePath")                 ? &r.file
                       : Is(key, "RecommendationId")       ? &r.id
                       : Is(key, "Description")            ? &r.description
                       : Is(key, "RecommendationCategory") ? &r.category
                       : Is(key, "Severity")               ? &r.severity
                                                           : nullptr;
    if (dst) {
      if (!ReadString(fv, dst) && bad.empty()) bad = "\"" + std::string(key) + "\" is not a string";
    } else if (Is(key, "StartLine") || Is(key, "EndLine")) {
      int64_t* line = Is(key, "StartLine") ? &r.start : &r.end;
      // Decoded once (a second decode of a long string wrote past simdjson's buffer).
      if (ReadOptionalInt(fv, line) == IntField::kBad && bad.empty()) {
        bad = "\"" + std::string(key) + "\" is not a number";
      }
    } else if (Is(key, "RuleMetadata")) {
      FINDEX_RETURN_IF_ERROR(ReadRuleMetadata(rep, fv, &r, &bad));
    } else if (Is(key, "ConfidenceScore")) {
      ReadString(fv, &r.confidence);
    }
    return Status::Ok();
  }));
  r.file = Trim(r.file);
  if (bad.empty() && r.file.empty()) bad = "no \"FilePath\"";
  if (!bad.empty()) {
    sink.AddReject(rep.RejectAt(offset, where, std::move(bad)));
    return Status::Ok();
  }

  Finding f;
  f.scanner = "codeguru";
  f.format = "codeguru";
  f.product_name = "CodeGuru Reviewer";
  f.company_name = "Amazon";
  std::string rule = Trim(r.rule_id);
  if (rule.empty()) rule = Trim(r.category);
  if (rule.empty()) rule = "codeguru";
  f.generator_id = rule;

  std::string sev = Trim(r.severity);
  SeverityLabel label = SeverityLabel::kMedium;
  if (EqualsIgnoreCase(sev, "Critical")) label = SeverityLabel::kCritical;
  else if (EqualsIgnoreCase(sev, "High")) label = SeverityLabel::kHigh;
  else if (EqualsIgnoreCase(sev, "Medium")) label = SeverityLabel::kMedium;
  else if (EqualsIgnoreCase(sev, "Low")) label = SeverityLabel::kLow;
  else if (EqualsIgnoreCase(sev, "Info")) label = SeverityLabel::kInformational;
  f.severity.label = label;
  f.severity.normalized = DefaultNormalized(label);
  f.severity.original = sev;

  std::string description = Trim(r.description);
  std::string title = CollapseWhitespace(r.rule_name);
  if (title.empty()) title = CollapseWhitespace(r.short_desc);
  if (title.empty()) title = TitleFromDescription(description);
  if (title.empty()) title = rule;
  f.title = title;
  f.description = !description.empty() ? description
                  : !Trim(r.long_desc).empty() ? Trim(r.long_desc)
                  : !Trim(r.short_desc).empty() ? Trim(r.short_desc)
                                                : title;
  f.remediation_text = Trim(r.long_desc);
  if (f.remediation_text.empty()) f.remediation_text = FixParagraph(description);
  f.remediation_url = LearnMoreUrl(description);

  bool security = EqualsIgnoreCase(Trim(r.category), "SecurityIssues");
  for (const auto& t : r.tags) {
    if (auto cwe = CweTag(t); cwe && std::find(f.cwes.begin(), f.cwes.end(), *cwe) == f.cwes.end()) {
      f.cwes.push_back(*cwe);
    }
    security = security || EqualsIgnoreCase(t, "security");
  }
  f.types = {security ? "Software and Configuration Checks/Vulnerabilities" : "Software and Configuration Checks"};

  f.location.file_path = r.file;
  if (r.start > 0) {
    constexpr int64_t kMaxLine = std::numeric_limits<int>::max();
    f.location.start_line = static_cast<int>(std::min(r.start, kMaxLine));
    f.location.end_line = static_cast<int>(std::min(r.end >= r.start ? r.end : r.start, kMaxLine));
  }
  Resource res;
  res.id = r.file;
  if (r.start > 0) res.details_other["Line"] = std::to_string(r.start);
  f.resources.push_back(std::move(res));

  std::string anchor = Anchor(description);
  int seen = repeats[rule + '\x1f' + r.file + '\x1f' + anchor]++;
  if (seen > 0) anchor += "#" + std::to_string(seen);
  f.fingerprint = CodeFingerprint("codeguru", rule, r.file, anchor);

  auto pf = [&](std::string_view name, std::string value) {
    value = Trim(value);
    if (!value.empty()) f.product_fields["codeguru/" + std::string(name)] = std::move(value);
  };
  pf("RecommendationId", r.id);
  pf("RecommendationCategory", r.category);
  std::string tags;
  for (const auto& t : r.tags) tags += (tags.empty() ? "" : ",") + t;
  pf("RuleTags", tags);
  pf("ConfidenceScore", r.confidence);
  return sink.Accept(std::move(f));
}

Status ReadArray(JsonReport& rep, od::array arr, const std::string& prefix, FindingSink& sink) {
  std::map<std::string, int> repeats;
  size_t i = 0;
  for (auto el : arr) {
    od::value ev;
    if (auto ec = el.get(ev)) return rep.Malformed("bad recommendation", ec);
    FINDEX_RETURN_IF_ERROR(ReadRecommendation(rep, ev, prefix + "[" + std::to_string(i++) + "]", repeats, sink));
  }
  return Status::Ok();
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  od::json_type t;
  if (auto ec = rep.doc().type().get(t)) return rep.Malformed("cannot read the JSON document", ec);
  if (t == od::json_type::array) {
    od::array arr;
    if (auto ec = rep.doc().get_array().get(arr)) return rep.Malformed("expected a JSON array", ec);
    FINDEX_RETURN_IF_ERROR(ReadArray(rep, arr, "", sink));
    return rep.Finish();
  }
  if (t != od::json_type::object) {
    return MakeError(ErrorCode::kSchema, "not a CodeGuru Reviewer report: expected a JSON array or object", src.path());
  }
  od::object root;
  if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("expected a JSON object", ec);
  size_t fields = 0;
  bool saw_summaries = false;
  for (auto field : root) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
    ++fields;
    if (!Is(key, "RecommendationSummaries")) continue;
    saw_summaries = true;
    od::value v;
    if (auto ec = field.value().get(v)) return rep.Malformed("bad value", ec);
    od::json_type vt;
    if (auto ec = v.type().get(vt)) return rep.Malformed("bad value", ec);
    if (vt == od::json_type::null) continue;
    od::array arr;
    if (auto ec = v.get_array().get(arr)) return rep.Malformed("\"RecommendationSummaries\" is not an array", ec);
    FINDEX_RETURN_IF_ERROR(ReadArray(rep, arr, "RecommendationSummaries", sink));
  }
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  if (fields > 0 && !saw_summaries) {
    return MakeError(ErrorCode::kSchema, "not a CodeGuru Reviewer report: no \"RecommendationSummaries\"", src.path());
  }
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& CodeguruFormat() {
  static const FormatDescriptor kDesc{"codeguru", "codeguru",
                                      "Amazon CodeGuru Reviewer recommendations (CLI JSON, ListRecommendations)", kExt,
                                      Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
