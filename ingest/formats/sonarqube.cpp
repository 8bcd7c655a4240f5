// SonarQube issues and security hotspots, in every JSON shape they are exported in:
//   - Web API /api/issues/search: {"total","p","ps","paging","issues":[...],"components":[...],
//     "rules"?: [...], "facets"}; issue = {"key","rule","severity","component","project","line"?,
//     "hash"?, "textRange"?, "status","resolution"?, "issueStatus"? (10.4+), "message","tags",
//     "type","impacts"? (10.2+), "cleanCodeAttribute"?, ...}
//   - Web API /api/hotspots/search: {"paging","hotspots":[...],"components":[...]}; hotspot =
//     {"key","component","project","securityCategory","vulnerabilityProbability","status",
//      "resolution"?, "line","message","ruleKey"?, ...}
//   - bare arrays of issues or hotspots (the "issues"/"hotspots" member saved on its own)
//   - soprasteria sonar-report JSON: {"date","projectName","applicationName"?,"branch"?,
//     "sonarBaseURL","sonarComponent","rules": {key: {name,htmlDesc,severity}} (older versions:
//     an array of {key,...}), "issues": [{rule,severity,status,component,line,description,
//     message,key}], "hotspotKeys": [...]}: hotspots are mixed into "issues", their severity is
//     the rule's or the vulnerabilityProbability, and hotspotKeys tells which are hotspots.
//   - a mock-server map {"/api/...?query": <response>}: every object value is read as one of
//     the responses above; /api/rules/show values ({"rule": {...}}) enrich titles/descriptions.
// An /api/rules/show response alone is rule metadata, not findings: a kSchema error says so.
//
// Records are buffered for the whole file and turned into findings at the end, because what
// completes them follows them in document order (components after issues in the Web API,
// hotspotKeys after issues in sonar-report, rules/show after issues in a mock map). A Web API
// page holds at most 500 records and sonar-report at most 10000, so this stays small.
//
// Severity (docs.sonarsource.com, "Software qualities" / MQR mode, and "Standard Experience"):
//   - issues with impacts[] (MQR mode, 10.2+): the highest impacts[].severity; BLOCKER ->
//     CRITICAL, HIGH -> HIGH, MEDIUM -> MEDIUM, LOW -> LOW, INFO -> INFORMATIONAL.
//     Original = "impacts: <QUALITY>/<SEVERITY>".
//   - otherwise the rule-type severity (Standard Experience): BLOCKER -> CRITICAL,
//     CRITICAL -> HIGH, MAJOR -> MEDIUM, MINOR -> LOW, INFO -> INFORMATIONAL.
//   - hotspots: vulnerabilityProbability ("review priority") HIGH/MEDIUM/LOW, same label;
//     sonar-report stores that value (or the rule's severity) in "severity".
//   Both tables share BLOCKER and INFO and are otherwise disjoint, so one table reads both.
//   A missing or unknown value gives MEDIUM (kept verbatim in Original when present).
// Workflow (docs.sonarsource.com "Editing issues", "Reviewing security hotspots"):
//   - issue resolution FALSE-POSITIVE / WONTFIX (shown as "Accepted" since 10.2), or
//     issueStatus FALSE_POSITIVE / ACCEPTED -> SUPPRESSED.
//   - issue resolution FIXED / REMOVED (status RESOLVED or CLOSED), issueStatus FIXED -> kept
//     as a finding with workflow RESOLVED: the report explicitly says the problem is gone,
//     which is what lifecycle tracking needs; skipping would lose that evidence.
//   - hotspot status REVIEWED + resolution SAFE / ACKNOWLEDGED -> SUPPRESSED; REVIEWED + FIXED
//     -> RESOLVED; TO_REVIEW / IN_REVIEW -> NEW.
// Identity: CodeFingerprint("sonarqube", rule, file, anchor). The anchor is the issue's "hash"
// (SonarQube's checksum of the issue line's content, line-number-insensitive and the same on
// every SonarQube instance), else the issue/hotspot "key" (stable across analyses inside one
// instance and project), else "ordinal:<n>" of (rule, file, message) in the report. The file
// is the path without the "<projectKey>:" prefix, so the same code in two projects matches.
// When the same (rule, file, anchor) repeats inside one report (identical lines, anonymized
// keys), the repeats get "#<n>" appended so each record stays its own finding.
// Types: VULNERABILITY and hotspots (and any issue with a SECURITY impact) ->
// "Software and Configuration Checks/Vulnerabilities" (".../Vulnerabilities/CVE" when the
// OWASP Dependency-Check plugin names CVEs); BUG / CODE_SMELL -> "Software and Configuration
// Checks".
#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};

// ---------------------------------------------------------------- sniffing

bool ArrayOfIssues(std::string_view h) {
  // Bare arrays: the keys of the first element are within the head.
  bool rule = HeadHas(h, "\"rule\"");
  bool component = HeadHas(h, "\"component\"");
  bool sev_or_project = HeadHas(h, "\"severity\"") || HeadHas(h, "\"project\"");
  return rule && component && sev_or_project;
}

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty()) return SniffConfidence::kNo;
  if (HeadHas(h, "\"vulnerabilityProbability\"") && HeadHas(h, "\"securityCategory\"")) {
    return SniffConfidence::kCertain;
  }
  if (h[0] == '[') {
    if (!ArrayOfIssues(h)) return SniffConfidence::kNo;
    bool sonar_only = HeadHas(h, "\"textRange\"") || HeadHas(h, "\"flows\"") || HeadHas(h, "\"debt\"") ||
                      HeadHas(h, "\"effort\"") || HeadHas(h, "\"hash\"");
    return sonar_only ? SniffConfidence::kCertain : SniffConfidence::kLikely;
  }
  if (h[0] != '{') return SniffConfidence::kNo;
  if (HeadHas(h, "\"/api/issues/search") || HeadHas(h, "\"/api/hotspots/search")) return SniffConfidence::kCertain;
  if (HeadHas(h, "\"sonarBaseURL\"") || (HeadHas(h, "\"projectName\"") && HeadHas(h, "\"hotspotKeys\""))) {
    return SniffConfidence::kCertain;
  }
  bool issues = HeadHas(h, "\"issues\"");
  if (issues && HeadHas(h, "\"rule\"") && HeadHas(h, "\"component\"")) return SniffConfidence::kCertain;
  // /api/issues/search with no issues: the paging block and the issues/components/facets trio.
  if (issues && HeadHas(h, "\"paging\"") && HeadHas(h, "\"components\"") && HeadHas(h, "\"effortTotal\"")) {
    return SniffConfidence::kCertain;
  }
  if (HeadHas(h, "\"hotspots\"") && HeadHas(h, "\"paging\"")) return SniffConfidence::kLikely;
  // /api/rules/show: claimed so that the ingester can say it is rule metadata, not findings.
  if (HeadHas(h, "\"htmlDesc\"") && (HeadHas(h, "\"isTemplate\"") || HeadHas(h, "\"remFnType\"") ||
                                     HeadHas(h, "\"debtRemFnType\""))) {
    return SniffConfidence::kLikely;
  }
  return SniffConfidence::kNo;
}

// ---------------------------------------------------------------- parsed records

struct RuleInfo {
  std::string name, html, severity, type;
  std::vector<std::string> tags;
};

struct Record {
  bool from_hotspots = false;  // came from a "hotspots" member
  std::string key, rule, rule_name, severity, component, component_path, project, hash, status, resolution,
      issue_status, message, type, description, security_category, probability, clean_code_attribute,
      clean_code_category, effort, branch, pull_request;
  int64_t line = 0, start_line = 0, end_line = 0;
  std::vector<std::string> tags;
  std::vector<std::pair<std::string, std::string>> impacts;  // (softwareQuality, severity)
};

struct Context {
  std::vector<Record> records;
  std::map<std::string, std::string> component_paths;
  std::map<std::string, RuleInfo> rules;
  std::set<std::string> hotspot_keys;
  bool saw_container = false;       // an "issues" or "hotspots" member
  bool saw_rule_metadata = false;   // /api/rules/show shape
  bool sonar_report = false;
  bool all_bugs = false;
  std::string base_url, sonar_component, project_name, application_name, report_branch;
};

Status BadKey(JsonReport& rep, simdjson::error_code ec) { return rep.Malformed("bad key", ec); }

// Reads a string member into *out; false when the value is an object or array.
bool Str(od::value v, std::string* out) { return ReadString(v, out); }

Status ReadStringArray(JsonReport& rep, od::value v, std::vector<std::string>* out, bool* ok) {
  *ok = true;
  od::json_type t;
  if (auto ec = v.type().get(t)) return rep.Malformed("bad value", ec);
  if (t == od::json_type::null) return Status::Ok();
  od::array arr;
  if (v.get_array().get(arr)) {
    *ok = false;
    return Status::Ok();
  }
  for (auto el : arr) {
    od::value ev;
    if (auto ec = el.get(ev)) return rep.Malformed("bad array element", ec);
    std::string s;
    if (!ReadString(ev, &s)) {
      *ok = false;
      continue;
    }
    if (!Trim(s).empty()) out->push_back(Trim(s));
  }
  return Status::Ok();
}

Status ReadTextRange(JsonReport& rep, od::value v, Record* r) {
  od::object obj;
  if (v.get_object().get(obj)) return Status::Ok();  // null or odd: ignored, "line" still applies
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return BadKey(rep, ec);
    od::value fv;
    if (auto ec = field.value().get(fv)) return rep.Malformed("bad value", ec);
    if (key == "startLine") ReadInt(fv, &r->start_line);
    else if (key == "endLine") ReadInt(fv, &r->end_line);
  }
  return Status::Ok();
}

Status ReadImpacts(JsonReport& rep, od::value v, Record* r) {
  od::array arr;
  if (v.get_array().get(arr)) return Status::Ok();
  for (auto el : arr) {
    od::value ev;
    if (auto ec = el.get(ev)) return rep.Malformed("bad impact", ec);
    od::object obj;
    if (ev.get_object().get(obj)) continue;
    std::string quality, severity;
    for (auto field : obj) {
      std::string_view key;
      if (auto ec = field.unescaped_key().get(key)) return BadKey(rep, ec);
      od::value fv;
      if (auto ec = field.value().get(fv)) return rep.Malformed("bad value", ec);
      if (key == "softwareQuality") ReadString(fv, &quality);
      else if (key == "severity") ReadString(fv, &severity);
    }
    if (!severity.empty()) r->impacts.emplace_back(quality, severity);
  }
  return Status::Ok();
}

// One issue or hotspot object. Bad records are rejected; only broken JSON is an error.
Status ReadRecord(JsonReport& rep, od::value v, const std::string& where, bool from_hotspots,
                  const std::string& url_branch, const std::string& url_pr, Context& ctx, FindingSink& sink) {
  // Only the offset now: the reject (and its line) is built for a rejected record only.
  const uint64_t offset = rep.OffsetOf(v);
  od::object obj;
  if (v.get_object().get(obj)) {
    sink.AddReject(rep.RejectAt(offset, where, from_hotspots ? "hotspot is not an object" : "issue is not an object"));
    return Status::Ok();
  }
  Record r;
  r.from_hotspots = from_hotspots;
  std::string bad;  // first type problem; the object is still walked to its end
  auto need_string = [&](od::value fv, std::string_view name, std::string* out) {
    if (!Str(fv, out) && bad.empty()) bad = "\"" + std::string(name) + "\" is not a string";
  };
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return BadKey(rep, ec);
    od::value fv;
    if (auto ec = field.value().get(fv)) return rep.Malformed("bad value", ec);
    if (key == "key") need_string(fv, key, &r.key);
    else if (key == "rule" || key == "ruleKey") {
      od::json_type t;
      if (auto ec = fv.type().get(t)) return rep.Malformed("bad value", ec);
      if (t == od::json_type::object) {
        // hotspots/show embeds the rule: {"key","name",...}
        od::object ro;
        if (auto ec = fv.get_object().get(ro)) return rep.Malformed("bad rule", ec);
        for (auto rf : ro) {
          std::string_view rk;
          if (auto ec = rf.unescaped_key().get(rk)) return BadKey(rep, ec);
          od::value rv;
          if (auto ec = rf.value().get(rv)) return rep.Malformed("bad value", ec);
          if (rk == "key") ReadString(rv, &r.rule);
          else if (rk == "name") ReadString(rv, &r.rule_name);
          else if (rk == "vulnerabilityProbability" && r.probability.empty()) ReadString(rv, &r.probability);
          else if (rk == "securityCategory" && r.security_category.empty()) ReadString(rv, &r.security_category);
        }
      } else {
        need_string(fv, key, &r.rule);
      }
    } else if (key == "component") {
      od::json_type t;
      if (auto ec = fv.type().get(t)) return rep.Malformed("bad value", ec);
      if (t == od::json_type::object) {
        od::object co;
        if (auto ec = fv.get_object().get(co)) return rep.Malformed("bad component", ec);
        for (auto cf : co) {
          std::string_view ck;
          if (auto ec = cf.unescaped_key().get(ck)) return BadKey(rep, ec);
          od::value cv;
          if (auto ec = cf.value().get(cv)) return rep.Malformed("bad value", ec);
          if (ck == "key") ReadString(cv, &r.component);
          else if (ck == "path") ReadString(cv, &r.component_path);
        }
      } else {
        need_string(fv, key, &r.component);
      }
    } else if (key == "project") need_string(fv, key, &r.project);
    else if (key == "severity") need_string(fv, key, &r.severity);
    else if (key == "line") {
      // Decoded once (a second decode of a long string wrote past simdjson's buffer).
      if (ReadOptionalInt(fv, &r.line) == IntField::kBad && bad.empty()) bad = "\"line\" is not a number";
    } else if (key == "hash") need_string(fv, key, &r.hash);
    else if (key == "textRange") FINDEX_RETURN_IF_ERROR(ReadTextRange(rep, fv, &r));
    else if (key == "status") need_string(fv, key, &r.status);
    else if (key == "resolution") need_string(fv, key, &r.resolution);
    else if (key == "issueStatus") need_string(fv, key, &r.issue_status);
    else if (key == "message") need_string(fv, key, &r.message);
    else if (key == "type") need_string(fv, key, &r.type);
    else if (key == "description") need_string(fv, key, &r.description);
    else if (key == "securityCategory") need_string(fv, key, &r.security_category);
    else if (key == "vulnerabilityProbability") need_string(fv, key, &r.probability);
    else if (key == "cleanCodeAttribute") ReadString(fv, &r.clean_code_attribute);
    else if (key == "cleanCodeAttributeCategory") ReadString(fv, &r.clean_code_category);
    else if (key == "effort") ReadString(fv, &r.effort);
    else if (key == "branch") ReadString(fv, &r.branch);
    else if (key == "pullRequest") ReadString(fv, &r.pull_request);
    else if (key == "impacts") FINDEX_RETURN_IF_ERROR(ReadImpacts(rep, fv, &r));
    else if (key == "tags") {
      bool ok = true;
      FINDEX_RETURN_IF_ERROR(ReadStringArray(rep, fv, &r.tags, &ok));
      if (!ok && bad.empty()) bad = "\"tags\" is not an array of strings";
    }
  }
  r.rule = Trim(r.rule);
  r.component = Trim(r.component);
  if (bad.empty() && r.rule.empty() && r.security_category.empty()) {
    bad = "no \"rule\", \"ruleKey\" or \"securityCategory\"";
  }
  if (bad.empty() && r.component.empty()) bad = "no \"component\"";
  if (!bad.empty()) {
    sink.AddReject(rep.RejectAt(offset, where, std::move(bad)));
    return Status::Ok();
  }
  if (r.branch.empty()) r.branch = url_branch;
  if (r.pull_request.empty()) r.pull_request = url_pr;
  ctx.records.push_back(std::move(r));
  return Status::Ok();
}

Status ReadRecordArray(JsonReport& rep, od::value v, const std::string& where, bool from_hotspots,
                       const std::string& url_branch, const std::string& url_pr, Context& ctx, FindingSink& sink) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return rep.Malformed("bad value", ec);
  if (t == od::json_type::null) return Status::Ok();
  od::array arr;
  if (auto ec = v.get_array().get(arr)) return rep.Malformed("\"" + where + "\" is not an array", ec);
  size_t i = 0;
  for (auto el : arr) {
    od::value ev;
    if (auto ec = el.get(ev)) return rep.Malformed("bad record", ec);
    FINDEX_RETURN_IF_ERROR(
        ReadRecord(rep, ev, where + "[" + std::to_string(i++) + "]", from_hotspots, url_branch, url_pr, ctx, sink));
  }
  return Status::Ok();
}

Status ReadComponents(JsonReport& rep, od::value v, Context& ctx) {
  od::array arr;
  if (v.get_array().get(arr)) return Status::Ok();  // only an aid; odd shapes are ignored
  for (auto el : arr) {
    od::value ev;
    if (auto ec = el.get(ev)) return rep.Malformed("bad component", ec);
    od::object obj;
    if (ev.get_object().get(obj)) continue;
    std::string key, path, long_name, qualifier;
    for (auto field : obj) {
      std::string_view k;
      if (auto ec = field.unescaped_key().get(k)) return BadKey(rep, ec);
      od::value fv;
      if (auto ec = field.value().get(fv)) return rep.Malformed("bad value", ec);
      if (k == "key") ReadString(fv, &key);
      else if (k == "path") ReadString(fv, &path);
      else if (k == "longName") ReadString(fv, &long_name);
      else if (k == "qualifier") ReadString(fv, &qualifier);
    }
    // Files (FIL, UTS) have a path; projects (TRK) and modules do not.
    if (path.empty() && (qualifier == "FIL" || qualifier == "UTS")) path = long_name;
    if (!key.empty() && !path.empty()) ctx.component_paths[key] = path;
  }
  return Status::Ok();
}

// A rule object: /api/rules/show "rule", a sonar-report rules entry, an /api/issues/search
// "rules" entry. Returns its key in *key when it has one.
Status ReadRuleObject(JsonReport& rep, od::object obj, std::string* key, RuleInfo* info) {
  std::string sections;
  for (auto field : obj) {
    std::string_view k;
    if (auto ec = field.unescaped_key().get(k)) return BadKey(rep, ec);
    od::value fv;
    if (auto ec = field.value().get(fv)) return rep.Malformed("bad value", ec);
    if (k == "key") ReadString(fv, key);
    else if (k == "name") ReadString(fv, &info->name);
    else if (k == "htmlDesc") ReadString(fv, &info->html);
    else if (k == "severity") ReadString(fv, &info->severity);
    else if (k == "type") ReadString(fv, &info->type);
    else if (k == "sysTags" || k == "tags") {
      bool ok = true;
      FINDEX_RETURN_IF_ERROR(ReadStringArray(rep, fv, &info->tags, &ok));
    } else if (k == "descriptionSections") {
      // 9.6+: htmlDesc is deprecated in favour of sections [{key, content}].
      od::array arr;
      if (fv.get_array().get(arr)) continue;
      for (auto el : arr) {
        od::value ev;
        if (auto ec = el.get(ev)) return rep.Malformed("bad description section", ec);
        od::object so;
        if (ev.get_object().get(so)) continue;
        for (auto sf : so) {
          std::string_view sk;
          if (auto ec = sf.unescaped_key().get(sk)) return BadKey(rep, ec);
          if (sk != "content") continue;
          od::value sv;
          if (auto ec = sf.value().get(sv)) return rep.Malformed("bad value", ec);
          std::string content;
          if (ReadString(sv, &content) && !content.empty()) sections += (sections.empty() ? "" : "\n") + content;
        }
      }
    }
  }
  if (info->html.empty()) info->html = std::move(sections);
  return Status::Ok();
}

void MergeRule(Context& ctx, const std::string& key, RuleInfo&& info) {
  if (key.empty()) return;
  RuleInfo& dst = ctx.rules[key];
  if (dst.name.empty()) dst.name = std::move(info.name);
  if (dst.html.empty()) dst.html = std::move(info.html);
  if (dst.severity.empty()) dst.severity = std::move(info.severity);
  if (dst.type.empty()) dst.type = std::move(info.type);
  if (dst.tags.empty()) dst.tags = std::move(info.tags);
}

// sonar-report: {"<rule key>": {name, htmlDesc, severity}}; older sonar-report and
// /api/issues/search additionalFields=rules: [{key, name, ...}].
Status ReadRules(JsonReport& rep, od::value v, Context& ctx) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return rep.Malformed("bad value", ec);
  if (t == od::json_type::object) {
    od::object obj;
    if (auto ec = v.get_object().get(obj)) return rep.Malformed("bad rules", ec);
    for (auto field : obj) {
      std::string_view k;
      if (auto ec = field.unescaped_key().get(k)) return BadKey(rep, ec);
      std::string key(k);
      od::object ro;
      if (field.value().get_object().get(ro)) continue;
      RuleInfo info;
      std::string inner_key;
      FINDEX_RETURN_IF_ERROR(ReadRuleObject(rep, ro, &inner_key, &info));
      MergeRule(ctx, key, std::move(info));
    }
  } else if (t == od::json_type::array) {
    od::array arr;
    if (auto ec = v.get_array().get(arr)) return rep.Malformed("bad rules", ec);
    for (auto el : arr) {
      od::value ev;
      if (auto ec = el.get(ev)) return rep.Malformed("bad rule", ec);
      od::object ro;
      if (ev.get_object().get(ro)) continue;
      RuleInfo info;
      std::string key;
      FINDEX_RETURN_IF_ERROR(ReadRuleObject(rep, ro, &key, &info));
      MergeRule(ctx, key, std::move(info));
    }
  }
  return Status::Ok();
}

// Value of `name` in the query string of a mock-server URL key ("...&branch=release").
std::string QueryParam(std::string_view url, std::string_view name) {
  size_t q = url.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = url.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view part = rest.substr(0, amp);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {};
}

Status ReadResponse(JsonReport& rep, od::object obj, int depth, const std::string& url, Context& ctx,
                    FindingSink& sink, size_t* field_count) {
  std::string prefix = url.empty() ? "" : "[\"" + url + "\"].";
  std::string url_branch = QueryParam(url, "branch");
  std::string url_pr = QueryParam(url, "pullRequest");
  for (auto field : obj) {
    std::string_view k;
    if (auto ec = field.unescaped_key().get(k)) return BadKey(rep, ec);
    if (field_count) ++*field_count;
    std::string key(k);
    od::value fv;
    if (auto ec = field.value().get(fv)) return rep.Malformed("bad value", ec);
    if (key == "issues" || key == "hotspots") {
      ctx.saw_container = true;
      FINDEX_RETURN_IF_ERROR(
          ReadRecordArray(rep, fv, prefix + key, key == "hotspots", url_branch, url_pr, ctx, sink));
    } else if (key == "components") {
      FINDEX_RETURN_IF_ERROR(ReadComponents(rep, fv, ctx));
    } else if (key == "rules") {
      FINDEX_RETURN_IF_ERROR(ReadRules(rep, fv, ctx));
    } else if (key == "rule") {
      od::object ro;
      if (fv.get_object().get(ro)) continue;
      ctx.saw_rule_metadata = true;
      RuleInfo info;
      std::string rule_key;
      FINDEX_RETURN_IF_ERROR(ReadRuleObject(rep, ro, &rule_key, &info));
      MergeRule(ctx, rule_key, std::move(info));
    } else if (key == "hotspotKeys") {
      ctx.sonar_report = true;
      std::vector<std::string> keys;
      bool ok = true;
      FINDEX_RETURN_IF_ERROR(ReadStringArray(rep, fv, &keys, &ok));
      ctx.hotspot_keys.insert(keys.begin(), keys.end());
    } else if (depth == 0 && key.rfind("/api/", 0) == 0) {
      od::object inner;
      if (fv.get_object().get(inner)) continue;  // /api/server/version, /api/sources/raw: text
      FINDEX_RETURN_IF_ERROR(ReadResponse(rep, inner, depth + 1, key, ctx, sink, nullptr));
    } else if (depth == 0) {
      if (key == "sonarBaseURL") {
        ctx.sonar_report = true;
        ReadString(fv, &ctx.base_url);
        while (!ctx.base_url.empty() && ctx.base_url.back() == '/') ctx.base_url.pop_back();
      } else if (key == "sonarComponent") {
        ctx.sonar_report = true;
        ReadString(fv, &ctx.sonar_component);
      } else if (key == "projectName") {
        ReadString(fv, &ctx.project_name);
      } else if (key == "applicationName") {
        ReadString(fv, &ctx.application_name);
      } else if (key == "branch") {
        ReadString(fv, &ctx.report_branch);
      } else if (key == "allBugs") {
        bool b = false;
        if (fv.get_bool().get(b) == simdjson::SUCCESS) ctx.all_bugs = b;
        ctx.sonar_report = true;
      } else if (key == "htmlDesc" || key == "mdDesc" || key == "isTemplate" || key == "descriptionSections") {
        ctx.saw_rule_metadata = true;  // a bare /api/rules/show rule object
      }
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- findings

// Severity names of both SonarQube tables (see the header comment).
std::optional<SeverityLabel> SonarSeverity(std::string_view s) {
  std::string u = ToUpper(Trim(s));
  if (u == "BLOCKER") return SeverityLabel::kCritical;
  if (u == "CRITICAL" || u == "HIGH") return SeverityLabel::kHigh;
  if (u == "MAJOR" || u == "MEDIUM") return SeverityLabel::kMedium;
  if (u == "MINOR" || u == "LOW") return SeverityLabel::kLow;
  if (u == "INFO") return SeverityLabel::kInformational;
  return std::nullopt;
}

int ImpactRank(std::string_view s) {
  std::string u = ToUpper(Trim(s));
  if (u == "BLOCKER") return 5;
  if (u == "HIGH") return 4;
  if (u == "MEDIUM") return 3;
  if (u == "LOW") return 2;
  if (u == "INFO") return 1;
  return 0;
}

void SetSeverity(Finding& f, SeverityLabel l, std::string original) {
  f.severity.label = l;
  f.severity.normalized = DefaultNormalized(l);
  f.severity.original = std::move(original);
}

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// "CWE-79" (any case) anywhere in `text`, as "CWE-79"; leading zeros dropped.
void AddCwes(std::string_view text, std::vector<std::string>* out) {
  for (size_t i = 0; i + 4 < text.size(); ++i) {
    if ((text[i] != 'c' && text[i] != 'C') || (i > 0 && IsAlnum(text[i - 1]))) continue;
    if (!EqualsIgnoreCase(text.substr(i, 4), "cwe-")) continue;
    size_t j = i + 4;
    while (j < text.size() && text[j] == '0') ++j;
    size_t d = j;
    while (d < text.size() && std::isdigit(static_cast<unsigned char>(text[d]))) ++d;
    if (d == j || d - j > 6 || (d < text.size() && IsAlnum(text[d]))) continue;
    std::string cwe = "CWE-" + std::string(text.substr(j, d - j));
    if (std::find(out->begin(), out->end(), cwe) == out->end()) out->push_back(cwe);
    i = d - 1;
  }
}

// CVE / GHSA ids named in an OWASP Dependency-Check plugin message.
std::vector<std::string> VulnIds(std::string_view text) {
  std::vector<std::string> ids;
  auto add = [&](std::string id) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (i > 0 && (IsAlnum(text[i - 1]) || text[i - 1] == '-')) continue;
    if (text.substr(i, 4) == "CVE-") {
      size_t j = i + 4, y = j;
      while (y < text.size() && std::isdigit(static_cast<unsigned char>(text[y]))) ++y;
      if (y - j != 4 || y >= text.size() || text[y] != '-') continue;
      size_t n = y + 1, e = n;
      while (e < text.size() && std::isdigit(static_cast<unsigned char>(text[e]))) ++e;
      if (e - n < 4) continue;
      add(std::string(text.substr(i, e - i)));
      i = e - 1;
    } else if (text.substr(i, 5) == "GHSA-") {
      size_t e = i + 5;
      while (e < text.size() && (IsAlnum(text[e]) || text[e] == '-')) ++e;
      if (e - i != 19) continue;  // GHSA-xxxx-xxxx-xxxx
      add(std::string(text.substr(i, e - i)));
      i = e - 1;
    }
  }
  return ids;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

Status Emit(Context& ctx, FindingSink& sink) {
  std::map<std::string, int> repeats;   // (rule, file, anchor) -> times seen
  std::map<std::string, int> ordinals;  // (rule, file, message) -> times seen, for the fallback anchor
  for (Record& r : ctx.records) {
    const bool in_hotspot_keys = !r.key.empty() && ctx.hotspot_keys.count(r.key) > 0;
    const std::string status_u = ToUpper(r.status);
    const bool hotspot = r.from_hotspots || !r.probability.empty() || !r.security_category.empty() ||
                         ToUpper(r.type) == "SECURITY_HOTSPOT" || in_hotspot_keys ||
                         (ctx.sonar_report && (status_u == "TO_REVIEW" || status_u == "IN_REVIEW" ||
                                               status_u == "REVIEWED"));
    std::string type = ToUpper(Trim(r.type));
    if (type.empty() && hotspot) type = "SECURITY_HOTSPOT";
    // sonar-report without --allbugs asks SonarQube for vulnerabilities only.
    if (type.empty() && ctx.sonar_report && !ctx.all_bugs) type = "VULNERABILITY";

    std::string rule_id = !r.rule.empty() ? r.rule : "hotspot/" + r.security_category;
    const RuleInfo* rule = nullptr;
    if (auto it = ctx.rules.find(r.rule); !r.rule.empty() && it != ctx.rules.end()) rule = &it->second;
    if (type.empty() && rule && !rule->type.empty()) type = ToUpper(rule->type);

    std::string project = !r.project.empty() ? r.project : ctx.sonar_component;
    // File path: the components list, else the component key without "<project>:".
    std::string path;
    if (!r.component_path.empty()) {
      path = r.component_path;
    } else if (auto it = ctx.component_paths.find(r.component); it != ctx.component_paths.end()) {
      path = it->second;
    } else if (!project.empty() && r.component.size() > project.size() + 1 &&
               r.component.compare(0, project.size(), project) == 0 && r.component[project.size()] == ':') {
      path = r.component.substr(project.size() + 1);
    } else if (r.component != project) {
      path = r.component;  // sonar-report already strips the project key
    }
    const std::string& file_key = path.empty() ? r.component : path;

    Finding f;
    f.scanner = "sonarqube";
    f.format = "sonarqube";
    f.product_name = "SonarQube";
    f.company_name = "SonarSource";
    f.generator_id = rule_id;

    // Severity.
    if (!hotspot && !r.impacts.empty()) {
      size_t best = 0;
      for (size_t i = 1; i < r.impacts.size(); ++i) {
        if (ImpactRank(r.impacts[i].second) > ImpactRank(r.impacts[best].second)) best = i;
      }
      std::string original = "impacts: " + r.impacts[best].first + "/" + r.impacts[best].second;
      auto l = SonarSeverity(r.impacts[best].second);
      SetSeverity(f, l.value_or(SeverityLabel::kMedium), std::move(original));
    } else {
      std::string value = hotspot && !r.probability.empty() ? r.probability : r.severity;
      if (value.empty() && rule) value = rule->severity;
      auto l = SonarSeverity(value);
      SetSeverity(f, l.value_or(SeverityLabel::kMedium), Trim(value));
    }

    // Workflow.
    const std::string res_u = ToUpper(Trim(r.resolution));
    const std::string istat_u = ToUpper(Trim(r.issue_status));
    if (hotspot) {
      if (res_u == "SAFE" || res_u == "ACKNOWLEDGED") f.workflow = WorkflowStatus::kSuppressed;
      else if (res_u == "FIXED") f.workflow = WorkflowStatus::kResolved;
    } else {
      if (res_u == "FALSE-POSITIVE" || res_u == "WONTFIX" || istat_u == "FALSE_POSITIVE" || istat_u == "ACCEPTED") {
        f.workflow = WorkflowStatus::kSuppressed;
      } else if (res_u == "FIXED" || res_u == "REMOVED" || istat_u == "FIXED") {
        f.workflow = WorkflowStatus::kResolved;
      }
    }

    // Text.
    std::string rule_name = !r.rule_name.empty() ? r.rule_name : rule && !rule->name.empty() ? rule->name : r.description;
    std::string message = Trim(r.message);
    f.title = CollapseWhitespace(!message.empty() ? message : !rule_name.empty() ? rule_name : rule_id);
    f.description = !message.empty() ? message : f.title;
    if (!rule_name.empty() && rule_name != message) f.description += "\n\nRule: " + rule_name + " (" + rule_id + ")";
    if (rule && !rule->html.empty()) {
      std::string text = HtmlToText(rule->html);
      if (!text.empty()) f.description += "\n\n" + text;
    }

    // CWEs: "cwe-nnn" tags, the message (Dependency-Check plugin: "Category: CWE-120"), the rule.
    for (const auto& t : r.tags) AddCwes(t, &f.cwes);
    AddCwes(message, &f.cwes);
    if (rule) {
      for (const auto& t : rule->tags) AddCwes(t, &f.cwes);
      AddCwes(rule->html, &f.cwes);
    }

    // The OWASP Dependency-Check plugin (rule repository "OWASP") reports known-vulnerable
    // components; its message names the CVE / GHSA ids.
    if (rule_id.rfind("OWASP:", 0) == 0) {
      for (auto& id : VulnIds(message)) {
        Vulnerability v;
        v.id = std::move(id);
        f.vulnerabilities.push_back(std::move(v));
      }
    }

    bool security = hotspot || type == "VULNERABILITY";
    for (const auto& [quality, sev] : r.impacts) security = security || ToUpper(quality) == "SECURITY";
    bool has_cve = false;
    for (const auto& v : f.vulnerabilities) has_cve = has_cve || v.id.rfind("CVE-", 0) == 0;
    if (has_cve) f.types = {"Software and Configuration Checks/Vulnerabilities/CVE"};
    else if (security) f.types = {"Software and Configuration Checks/Vulnerabilities"};
    else f.types = {"Software and Configuration Checks"};

    // Location and resource.
    int64_t start = r.start_line > 0 ? r.start_line : r.line;
    int64_t end = r.end_line > 0 ? r.end_line : start;
    f.location.file_path = path;
    if (start > 0) {
      constexpr int64_t kMaxLine = std::numeric_limits<int>::max();
      f.location.start_line = static_cast<int>(std::min(start, kMaxLine));
      if (end >= start) f.location.end_line = static_cast<int>(std::min(end, kMaxLine));
    }
    Resource res;
    res.id = file_key;
    if (start > 0) res.details_other["Line"] = std::to_string(start);
    if (!project.empty()) res.details_other["Project"] = project;
    f.resources.push_back(std::move(res));

    // Link back to SonarQube when the report says where it lives (sonar-report).
    if (!ctx.base_url.empty() && !r.key.empty() && !project.empty()) {
      f.source_url = hotspot ? ctx.base_url + "/security_hotspots?id=" + project + "&hotspots=" + r.key
                             : ctx.base_url + "/project/issues?id=" + project + "&open=" + r.key;
    }

    // Identity.
    std::string anchor;
    if (!r.hash.empty()) anchor = "hash:" + r.hash;
    else if (!r.key.empty()) anchor = "key:" + r.key;
    else anchor = "ordinal:" + std::to_string(ordinals[rule_id + '\x1f' + file_key + '\x1f' + message]++);
    int seen = repeats[rule_id + '\x1f' + file_key + '\x1f' + anchor]++;
    if (seen > 0) anchor += "#" + std::to_string(seen);
    f.fingerprint = CodeFingerprint("sonarqube", rule_id, file_key, anchor);

    // Product fields.
    auto pf = [&](std::string_view name, const std::string& value) {
      std::string v = Trim(value);
      if (!v.empty()) f.product_fields["sonarqube/" + std::string(name)] = std::move(v);
    };
    pf("IssueKey", r.key);
    pf("Type", type);
    pf("Project", project);
    if (r.component != path) pf("Component", r.component);
    pf("Status", r.status);
    pf("Resolution", r.resolution);
    pf("IssueStatus", r.issue_status);
    pf("Tags", Join(r.tags, ","));
    pf("SecurityCategory", r.security_category);
    pf("VulnerabilityProbability", r.probability);
    if (f.severity.original != Trim(r.severity)) pf("Severity", r.severity);
    std::vector<std::string> impacts;
    for (const auto& [q, s] : r.impacts) impacts.push_back(q + "/" + s);
    pf("Impacts", Join(impacts, ","));
    pf("CleanCodeAttribute", r.clean_code_attribute);
    pf("CleanCodeAttributeCategory", r.clean_code_category);
    pf("RuleName", rule_name);
    pf("Effort", r.effort);
    pf("LineHash", r.hash);
    pf("Branch", !r.branch.empty() ? r.branch : ctx.report_branch);
    pf("PullRequest", r.pull_request);
    pf("Application", ctx.application_name);

    FINDEX_RETURN_IF_ERROR(sink.Accept(std::move(f)));
  }
  return Status::Ok();
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  Context ctx;
  od::json_type t;
  if (auto ec = rep.doc().type().get(t)) return rep.Malformed("cannot read the JSON document", ec);
  size_t root_fields = 0;
  bool root_array = false;
  if (t == od::json_type::array) {
    root_array = true;
    od::array arr;
    if (auto ec = rep.doc().get_array().get(arr)) return rep.Malformed("expected a JSON array", ec);
    size_t i = 0;
    for (auto el : arr) {
      od::value ev;
      if (auto ec = el.get(ev)) return rep.Malformed("bad record", ec);
      // A bare array holds issues or hotspots; ReadRecord tells them apart by their keys.
      FINDEX_RETURN_IF_ERROR(ReadRecord(rep, ev, "[" + std::to_string(i++) + "]", false, "", "", ctx, sink));
    }
  } else if (t == od::json_type::object) {
    od::object root;
    if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("expected a JSON object", ec);
    FINDEX_RETURN_IF_ERROR(ReadResponse(rep, root, 0, "", ctx, sink, &root_fields));
  } else {
    return MakeError(ErrorCode::kSchema, "not a SonarQube report: expected a JSON object or array", src.path());
  }
  // Reaching the end verifies the whole document: a truncated file fails here.
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  if (!root_array && !ctx.saw_container && root_fields > 0) {
    if (ctx.saw_rule_metadata) {
      return MakeError(ErrorCode::kSchema, "SonarQube /api/rules/show is rule metadata, not findings", src.path());
    }
    return MakeError(ErrorCode::kSchema, "not a SonarQube report: no \"issues\" or \"hotspots\"", src.path());
  }
  return Emit(ctx, sink);
}

}  // namespace

const FormatDescriptor& SonarqubeFormat() {
  static const FormatDescriptor kDesc{"sonarqube", "sonarqube",
                                      "SonarQube issues/hotspots (Web API JSON, bare arrays, sonar-report JSON)", kExt,
                                      Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
