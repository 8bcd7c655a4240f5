// AWS CloudFormation Guard (https://github.com/aws-cloudformation/cloudformation-guard) JSON
// output, three shapes:
//  - 3.x `validate --structured -o json` (guard/src/rules/eval_context.rs FileReport): an array
//    (or one object) of {"name": <data file>, "metadata", "status", "not_compliant": [ClauseReport],
//    "not_applicable": [..], "compliant": [..]} where ClauseReport is one of
//      {"Rule": {"name", "metadata", "messages": {"custom_message", "error_message"}, "checks": [..]}}
//      {"Disjunctions": {"checks": [..]}}
//      {"Block": {"context", "messages", "unresolved": {"traversed_to": {"path", "value"}, ..}?}}
//      {"Clause": {"Unary" | "Binary": {"context", "messages", "check": {"Resolved" | "UnResolved" |
//                  "InResolved" | "UnResolvedContext": ...}}}}
//    and every compared value is {"path": "/Resources/<LogicalId>/...", "value": ...}.
//  - `validate -o json` summary (guard/src/commands/validate/generic_summary.rs): one object per
//    data file / rules file pair, one per line: {"data_from", "rules_from", "not_compliant" (older:
//    "failed"): {"<rule>": [{"rule", "path", "provided" | "from", "expected" | "to", "comparison",
//    "message", "error"?}]}, "not_applicable", "compliant"}.
//  - 2.x `--verbose -o json` evaluation tree: [{"eval_type": "Rule", "context": <rule>, "msg",
//    "from": {"path", "value"}?, "to", "status": "FAIL", "comparator", "children": [...]}].
// `cfn-guard test` reports ({"rule_file", "test_cases"}) are rule unit tests, not findings: error.
//
// One finding per failed rule per resource. The resource is the logical id in the first compared
// path under /Resources/ of each failed check (else in a "/Resources/<id>" named by its message);
// a check that names none belongs to the template. In the 2.x tree a failed clause often reports
// the document root while its siblings name the resource, so there unplaced checks join the rule's
// resources when it has any.
// Severity: cfn-guard rules carry none; params {"cfn-guard.severity": "HIGH"} sets it for the file,
// default MEDIUM.
// Identity: CodeFingerprint("cfn-guard", rule name, data file, logical id) ("" for the template;
// the 2.x tree does not name the data file). A repeat in one report gets "#<n>" appended.
#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <vector>

#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};
constexpr int kMaxDepth = 64;
constexpr size_t kMaxChecksListed = 20;
constexpr size_t kMaxCheckText = 400;

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || (h[0] != '[' && h[0] != '{')) return SniffConfidence::kNo;
  // compliant / not_applicable close each file report, possibly past the head: name, metadata and
  // status open it.
  if (HeadHas(h, "\"not_compliant\"") &&
      (HeadHas(h, "\"compliant\"") || HeadHas(h, "\"not_applicable\"") ||
       (HeadHas(h, "\"status\"") && HeadHas(h, "\"metadata\"")))) {
    return SniffConfidence::kCertain;
  }
  if (HeadHas(h, "\"data_from\"") && HeadHas(h, "\"rules_from\"")) return SniffConfidence::kCertain;
  if (HeadHas(h, "\"eval_type\"") && HeadHas(h, "\"comparator\"") && HeadHas(h, "\"children\"")) {
    return SniffConfidence::kLikely;
  }
  if (HeadHas(h, "\"rule_file\"") && HeadHas(h, "\"test_cases\"") &&
      (HeadHas(h, "\"passed_rules\"") || HeadHas(h, "\"failed_rules\""))) {
    return SniffConfidence::kLikely;
  }
  return SniffConfidence::kNo;
}

// One failed check of a rule.
struct Hit {
  std::string logical_id;  // "" when the check names no resource
  int line = 0;
  std::string context, custom, error;
};

struct RuleGroup {
  std::string rule, rules_from, custom;
  std::map<std::string, std::string> metadata;
  std::vector<Hit> hits;
};

// Per file: reject and error helpers that work for one document or a stream of them.
struct Ctx {
  Source* src = nullptr;
  JsonReport* offsets = nullptr;  // opened on the file in both modes: reject offsets
  JsonReport* rep = nullptr;      // single-document mode: precise error locations
  size_t doc_index = 0;
  SeverityLabel severity = SeverityLabel::kMedium;
  std::string severity_original;
  std::map<std::string, int> ordinals;
  FindingSink* sink = nullptr;
  bool known = false;

  Error Malformed(std::string what, simdjson::error_code ec = simdjson::SUCCESS) {
    if (rep) return rep->Malformed(what, ec);
    if (ec != simdjson::SUCCESS) what += std::string(": ") + simdjson::error_message(ec);
    return MakeError(ErrorCode::kParse, what + " (document " + std::to_string(doc_index + 1) + ")", src->path());
  }
  void Reject(od::value& v, std::string where, std::string reason) {
    sink->AddReject(offsets->MakeReject(v, std::move(where), std::move(reason)));
  }
};

// "/Resources/MyBucket/Properties" -> "MyBucket".
std::string LogicalIdFromPath(std::string_view path) {
  constexpr std::string_view kPrefix = "/Resources/";
  if (!StartsWith(path, kPrefix)) return {};
  path.remove_prefix(kPrefix.size());
  size_t end = path.find_first_of("/[");
  return std::string(path.substr(0, end));
}

// The first "/Resources/<id>" named in a message ("... at path = /Resources/MyBucket/...").
std::string LogicalIdFromText(std::string_view text) {
  size_t p = text.find("/Resources/");
  if (p == std::string_view::npos) return {};
  std::string_view rest = text.substr(p + 11);
  size_t end = 0;
  while (end < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[end])) || rest[end] == '_' ||
                               rest[end] == '-' || rest[end] == '.' || rest[end] == ':')) {
    ++end;
  }
  return std::string(rest.substr(0, end));
}

// Line of "/Resources/<id>...[L:13,C:6]" in a message; 0 when absent.
int LineFromText(std::string_view text, std::string_view id) {
  if (id.empty()) return 0;
  std::string needle = "/Resources/" + std::string(id);
  size_t p = text.find(needle);
  if (p == std::string_view::npos) return 0;
  size_t stop = text.find_first_of(" \t\n\"", p);
  size_t l = text.find("[L:", p);
  if (l == std::string_view::npos || (stop != std::string_view::npos && l > stop)) return 0;
  // Saturates instead of overflowing a signed int (a huge line number is no line: 0).
  int64_t n = 0;
  for (size_t i = l + 3; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    n = n * 10 + (text[i] - '0');
    if (n > std::numeric_limits<int>::max()) return 0;
  }
  return static_cast<int>(n);
}

// Walks a compared value: records the first path under /Resources/ and any "reason" text, never
// descending into the template data held in a {"path", "value"} pair.
simdjson::error_code ScanPaths(od::value v, int depth, std::string* resource_path, std::string* texts) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (depth > kMaxDepth) return simdjson::SUCCESS;
  if (t == od::json_type::object) {
    od::object obj;
    if (auto ec = v.get_object().get(obj)) return ec;
    bool saw_path = false;
    for (auto field : obj) {
      std::string_view key;
      if (auto ec = field.unescaped_key().get(key)) return ec;
      od::value fv;
      if (auto ec = field.value().get(fv)) return ec;
      if (key == "path") {
        saw_path = true;
        std::string p;
        if (ReadString(fv, &p) && resource_path->empty() && StartsWith(p, "/Resources/")) *resource_path = p;
      } else if (key == "value" && saw_path) {
        continue;  // template data
      } else if (key == "reason" || key == "message" || key == "msg") {
        std::string s;
        if (ReadString(fv, &s) && !s.empty()) texts->append(s).push_back('\n');
      } else {
        if (auto ec = ScanPaths(fv, depth + 1, resource_path, texts)) return ec;
      }
    }
  } else if (t == od::json_type::array) {
    od::array arr;
    if (auto ec = v.get_array().get(arr)) return ec;
    for (auto e : arr) {
      od::value ev;
      if (auto ec = e.get(ev)) return ec;
      if (auto ec = ScanPaths(ev, depth + 1, resource_path, texts)) return ec;
    }
  }
  return simdjson::SUCCESS;
}

bool ReadMessages(od::value v, std::string* custom, std::string* error) {
  od::json_type t;
  if (v.type().get(t)) return false;
  if (t != od::json_type::object) return t == od::json_type::null;
  od::object obj;
  if (v.get_object().get(obj)) return false;
  for (auto field : obj) {
    std::string_view key;
    od::value fv;
    if (field.unescaped_key().get(key) || field.value().get(fv)) return false;
    if (key == "custom_message") ReadString(fv, custom);
    else if (key == "error_message") ReadString(fv, error);
  }
  return true;
}

Hit MakeHit(std::string context, std::string custom, std::string error, const std::string& resource_path,
            const std::string& texts) {
  Hit h;
  h.context = Trim(context);
  h.custom = std::move(custom);
  h.error = std::move(error);
  h.logical_id = LogicalIdFromPath(resource_path);
  std::string all = h.error + "\n" + texts;
  if (h.logical_id.empty()) h.logical_id = LogicalIdFromText(all);
  h.line = LineFromText(all, h.logical_id);
  return h;
}

// A Unary / Binary clause report or a Block report: one failed check.
Status ReadCheck(Ctx& ctx, od::object obj, RuleGroup& g) {
  std::string context, custom, error, resource_path, texts;
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return ctx.Malformed("bad key", ec);
    od::value v;
    if (auto ec = field.value().get(v)) return ctx.Malformed("bad value", ec);
    if (key == "context") ReadString(v, &context);
    else if (key == "messages") ReadMessages(v, &custom, &error);
    else if (key == "check" || key == "unresolved") {
      if (auto ec = ScanPaths(v, 0, &resource_path, &texts)) return ctx.Malformed("bad check", ec);
    }
  }
  g.hits.push_back(MakeHit(context, custom, error, resource_path, texts));
  return Status::Ok();
}

Status ReadClauseReports(Ctx& ctx, od::value v, int depth, RuleGroup& g);

// The body of {"Rule" | "Disjunctions" | "Block" | "Clause": body}.
Status ReadClauseBody(Ctx& ctx, std::string_view kind, od::value body, int depth, RuleGroup& g) {
  if (depth > kMaxDepth) return Status::Ok();
  od::object bo;
  if (body.get_object().get(bo)) return Status::Ok();
  if (kind == "Rule" || kind == "Disjunctions") {
    for (auto bf : bo) {
      std::string_view key;
      if (auto ec = bf.unescaped_key().get(key)) return ctx.Malformed("bad key", ec);
      if (key != "checks") continue;
      od::value checks;
      if (auto ec = bf.value().get(checks)) return ctx.Malformed("bad checks", ec);
      FINDEX_RETURN_IF_ERROR(ReadClauseReports(ctx, checks, depth + 1, g));
    }
  } else if (kind == "Block") {
    FINDEX_RETURN_IF_ERROR(ReadCheck(ctx, bo, g));
  } else if (kind == "Clause") {
    for (auto cf : bo) {
      std::string_view key;
      if (auto ec = cf.unescaped_key().get(key)) return ctx.Malformed("bad key", ec);
      od::object clause;
      if (auto ec = cf.value().get_object().get(clause)) return ctx.Malformed("clause is not an object", ec);
      FINDEX_RETURN_IF_ERROR(ReadCheck(ctx, clause, g));
    }
  }
  return Status::Ok();
}

// {"Rule" | "Disjunctions" | "Block" | "Clause": {...}}
Status ReadClauseReport(Ctx& ctx, od::value v, int depth, RuleGroup& g) {
  od::object obj;
  if (v.get_object().get(obj)) {
    ctx.Reject(v, g.rule, "check is not an object");
    return Status::Ok();
  }
  for (auto field : obj) {
    std::string_view kind;
    if (auto ec = field.unescaped_key().get(kind)) return ctx.Malformed("bad key", ec);
    std::string kind_copy(kind);
    od::value body;
    if (auto ec = field.value().get(body)) return ctx.Malformed("bad value", ec);
    FINDEX_RETURN_IF_ERROR(ReadClauseBody(ctx, kind_copy, body, depth, g));
  }
  return Status::Ok();
}

Status ReadClauseReports(Ctx& ctx, od::value v, int depth, RuleGroup& g) {
  od::array arr;
  if (v.get_array().get(arr)) return Status::Ok();  // null: no checks recorded
  for (auto e : arr) {
    od::value ev;
    if (auto ec = e.get(ev)) return ctx.Malformed("bad check", ec);
    FINDEX_RETURN_IF_ERROR(ReadClauseReport(ctx, ev, depth, g));
  }
  return Status::Ok();
}

// cfn-guard's error messages end with the whole value traversed to ("... Value traversed to
// [Path=/Resources/B/Properties[L:13,C:6] Value={<template data>}]."): keep the path, drop the data.
std::string Shorten(std::string_view s, size_t max) {
  std::string c = CollapseWhitespace(s);
  size_t data = c.find(" Value={");
  if (data != std::string::npos && c.find("Value traversed to [") < data) c = c.substr(0, data) + "]";
  if (c.size() <= max) return c;
  size_t cut = c.rfind(' ', max);
  if (cut == std::string::npos || cut < max / 2) cut = max;
  while (cut > 0 && (static_cast<unsigned char>(c[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  return c.substr(0, cut) + "...";
}

// Custom messages are indented rule-file text: trim each line, drop blank ones.
std::string TidyLines(std::string_view s) {
  std::string out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t nl = s.find('\n', pos);
    std::string line = Trim(s.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    if (!line.empty()) out += (out.empty() ? "" : "\n") + line;
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

// "Violation: ... Fix: ..." (the Guard Rules Registry convention): the text after "Fix:".
std::string FixText(std::string_view custom) {
  size_t p = custom.find("Fix:");
  if (p == std::string_view::npos) return {};
  return CollapseWhitespace(custom.substr(p + 4));
}

Status EmitGroup(Ctx& ctx, const RuleGroup& g, const std::string& data_file, bool place_unplaced) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const Hit*>> by_id;
  for (const auto& h : g.hits) {
    if (by_id.find(h.logical_id) == by_id.end()) order.push_back(h.logical_id);
    by_id[h.logical_id].push_back(&h);
  }
  if (place_unplaced && by_id.count("") && by_id.size() > 1) {
    // The 2.x tree reports the document root for some checks of a rule whose other checks name
    // the resource: those checks belong to each resource the rule failed on.
    std::vector<const Hit*> unplaced = by_id[""];
    order.erase(std::remove(order.begin(), order.end(), std::string()), order.end());
    by_id.erase("");
    for (auto& [id, hits] : by_id) hits.insert(hits.begin(), unplaced.begin(), unplaced.end());
  }
  if (order.empty()) order.push_back("");  // a rule that failed with no check recorded

  for (const auto& id : order) {
    const std::vector<const Hit*>& hits = by_id[id];
    Finding f;
    f.scanner = "cfn-guard";
    f.format = "cfn-guard";
    f.product_name = "cfn-guard";
    f.company_name = "AWS";
    f.types = {"Software and Configuration Checks/AWS Security Best Practices"};
    f.severity.label = ctx.severity;
    f.severity.normalized = DefaultNormalized(ctx.severity);
    f.severity.original = ctx.severity_original;
    std::string anchor = id;
    int n = ctx.ordinals[g.rule + '\x1f' + data_file + '\x1f' + id]++;
    if (n > 0) anchor += "#" + std::to_string(n);
    f.fingerprint = CodeFingerprint("cfn-guard", g.rule, data_file, anchor);
    f.generator_id = "cfn-guard/" + g.rule;
    f.title = g.rule + (id.empty() ? (data_file.empty() ? "" : " in " + data_file) : " on " + id);

    // Messages: the rule's own, then each check's custom message, then what failed.
    std::vector<std::string> customs;
    auto add_custom = [&](const std::string& s) {
      std::string t = TidyLines(s);
      if (!t.empty() && std::find(customs.begin(), customs.end(), t) == customs.end()) customs.push_back(t);
    };
    add_custom(g.custom);
    for (const Hit* h : hits) add_custom(h->custom);
    std::string d = "cfn-guard rule " + g.rule + " is not compliant";
    d += id.empty() ? std::string(" for the template") : " for resource " + id;
    if (!data_file.empty()) d += " in " + data_file;
    if (!g.rules_from.empty()) d += " (rules: " + g.rules_from + ")";
    d += ".";
    for (const auto& c : customs) d += "\n\n" + c;
    std::vector<std::string> checks;
    for (const Hit* h : hits) {
      std::string line = h->context.empty() ? std::string() : CollapseWhitespace(h->context);
      std::string why = Shorten(h->error, kMaxCheckText);
      std::string item = line.empty() ? why : why.empty() ? line : line + ": " + why;
      if (!item.empty() && std::find(checks.begin(), checks.end(), item) == checks.end()) checks.push_back(item);
    }
    if (!checks.empty()) {
      d += "\n\nFailed checks:";
      for (size_t i = 0; i < checks.size() && i < kMaxChecksListed; ++i) d += "\n- " + checks[i];
      if (checks.size() > kMaxChecksListed) d += "\n- ... " + std::to_string(checks.size() - kMaxChecksListed) + " more";
    }
    f.description = d;
    for (const auto& c : customs) {
      std::string fix = FixText(c);
      if (!fix.empty()) {
        f.remediation_text = fix;
        break;
      }
    }
    int line = 0;
    for (const Hit* h : hits) {
      if (h->line > 0) {
        line = h->line;
        break;
      }
    }
    f.location.file_path = data_file;
    f.location.start_line = line;
    Resource r;
    r.id = !id.empty() ? id : !data_file.empty() ? data_file : std::string("template");
    if (!data_file.empty()) r.details_other["DataFile"] = data_file;
    if (!id.empty()) r.details_other["LogicalResourceId"] = id;
    if (line > 0) r.details_other["Line"] = std::to_string(line);
    f.resources.push_back(std::move(r));
    auto& pf = f.product_fields;
    pf["cfn-guard/Rule"] = g.rule;
    if (!g.rules_from.empty()) pf["cfn-guard/RulesFile"] = g.rules_from;
    pf["cfn-guard/FailedChecks"] = std::to_string(hits.size());
    for (const auto& [k, v] : g.metadata) {
      if (!Trim(k).empty() && !Trim(v).empty()) pf["cfn-guard/Metadata." + k] = v;
    }
    FINDEX_RETURN_IF_ERROR(ctx.sink->Accept(std::move(f)));
  }
  return Status::Ok();
}

bool ReadStringMap(od::value v, std::map<std::string, std::string>* out) {
  od::object obj;
  if (v.get_object().get(obj)) return false;
  for (auto field : obj) {
    std::string_view key;
    od::value fv;
    std::string s;
    if (field.unescaped_key().get(key) || field.value().get(fv)) return false;
    if (ReadString(fv, &s)) (*out)[std::string(key)] = s;
  }
  return true;
}

// 3.x structured: one top-level entry of not_compliant.
Status ReadTopRule(Ctx& ctx, od::value v, const std::string& data_file, const std::string& where) {
  od::object obj;
  if (v.get_object().get(obj)) {
    ctx.Reject(v, where, "not_compliant entry is not an object");
    return Status::Ok();
  }
  RuleGroup g;
  bool have_group = false;
  for (auto field : obj) {
    std::string_view kind;
    if (auto ec = field.unescaped_key().get(kind)) return ctx.Malformed("bad key", ec);
    od::value body;
    if (auto ec = field.value().get(body)) return ctx.Malformed("bad value", ec);
    have_group = true;
    if (kind != "Rule") {
      // A clause outside any named rule: report it under the data file's default rule.
      std::string kind_copy(kind);
      g.rule = "default";
      FINDEX_RETURN_IF_ERROR(ReadClauseBody(ctx, kind_copy, body, 1, g));
      continue;
    }
    od::object rule;
    if (body.get_object().get(rule)) {
      ctx.Reject(v, where, "Rule is not an object");
      return Status::Ok();
    }
    for (auto rf : rule) {
      std::string_view key;
      if (auto ec = rf.unescaped_key().get(key)) return ctx.Malformed("bad key", ec);
      od::value rv;
      if (auto ec = rf.value().get(rv)) return ctx.Malformed("bad value", ec);
      if (key == "name") ReadString(rv, &g.rule);
      else if (key == "metadata") ReadStringMap(rv, &g.metadata);
      else if (key == "messages") {
        std::string ignored;
        ReadMessages(rv, &g.custom, &ignored);
      } else if (key == "checks") {
        FINDEX_RETURN_IF_ERROR(ReadClauseReports(ctx, rv, 1, g));
      }
    }
  }
  if (!have_group) return Status::Ok();
  if (Trim(g.rule).empty()) {
    ctx.Reject(v, where, "rule has no name");
    return Status::Ok();
  }
  return EmitGroup(ctx, g, data_file, false);
}

// Summary shape: "not_compliant": {"<rule>": [NameInfo]}.
Status ReadSummaryRules(Ctx& ctx, od::value v, const std::string& data_file, const std::string& rules_from,
                        const std::string& where) {
  od::object rules;
  if (v.get_object().get(rules)) {
    ctx.Reject(v, where, "not_compliant is not an object");
    return Status::Ok();
  }
  std::string rules_base = rules_from.substr(rules_from.find_last_of("/\\") == std::string::npos ? 0 : rules_from.find_last_of("/\\") + 1);
  for (auto rf : rules) {
    std::string_view rule_key;
    if (auto ec = rf.unescaped_key().get(rule_key)) return ctx.Malformed("bad key", ec);
    RuleGroup g;
    g.rule = std::string(rule_key);
    // Unnamed rules are all "default": qualify them by their file, as the structured report does.
    if (g.rule == "default" && !rules_base.empty()) g.rule = rules_base + "/default";
    g.rules_from = rules_from;
    od::value lv;
    if (auto ec = rf.value().get(lv)) return ctx.Malformed("bad value", ec);
    od::array infos;
    if (lv.get_array().get(infos)) {
      ctx.Reject(lv, where + "." + std::string(rule_key), "rule entry is not an array");
      continue;
    }
    size_t i = 0;
    for (auto e : infos) {
      od::value iv;
      if (auto ec = e.get(iv)) return ctx.Malformed("bad entry", ec);
      od::object info;
      if (iv.get_object().get(info)) {
        ctx.Reject(iv, where + "." + g.rule + "[" + std::to_string(i++) + "]", "entry is not an object");
        continue;
      }
      ++i;
      std::string path, message, error, texts, resource_path;
      for (auto f : info) {
        std::string_view key;
        if (auto ec = f.unescaped_key().get(key)) return ctx.Malformed("bad key", ec);
        od::value fv;
        if (auto ec = f.value().get(fv)) return ctx.Malformed("bad value", ec);
        if (key == "path") ReadString(fv, &path);
        else if (key == "message") ReadString(fv, &message);
        else if (key == "error") ReadString(fv, &error);
      }
      if (StartsWith(path, "/Resources/")) resource_path = path;
      g.hits.push_back(MakeHit("", message, error, resource_path, path + "\n" + message));
    }
    FINDEX_RETURN_IF_ERROR(EmitGroup(ctx, g, data_file, false));
  }
  return Status::Ok();
}

// 2.x evaluation tree node, read field by field (serde order: eval_type, context, msg, from, to,
// status, comparator, children). `rule` is the failing top-level rule being collected, if any.
struct TreeNode {
  std::string eval_type, context, msg, status, resource_path, texts;
  RuleGroup* rule = nullptr;  // enclosing failing rule
  RuleGroup own;              // this node's, when it is a failing top-level rule
  bool opened = false;
  size_t children = 0;
  RuleGroup* target() { return opened ? &own : rule; }
};

Status ReadTreeNode(Ctx& ctx, od::value v, int depth, RuleGroup* rule, std::vector<RuleGroup>& done);

void MaybeOpenRule(TreeNode& n) {
  if (!n.opened && !n.rule && n.eval_type == "Rule" && n.status == "FAIL") {
    n.own.rule = Trim(n.context);
    n.opened = true;
  }
}

Status TreeField(Ctx& ctx, TreeNode& n, std::string_view key, od::value fv, int depth, std::vector<RuleGroup>& done) {
  if (key == "eval_type") ReadString(fv, &n.eval_type);
  else if (key == "context") ReadString(fv, &n.context);
  else if (key == "msg") ReadString(fv, &n.msg);
  else if (key == "status") ReadString(fv, &n.status);
  else if (key == "from" || key == "to") {
    if (auto ec = ScanPaths(fv, 0, &n.resource_path, &n.texts)) return ctx.Malformed("bad value", ec);
  } else if (key == "children") {
    MaybeOpenRule(n);
    od::array arr;
    if (fv.get_array().get(arr)) return Status::Ok();
    for (auto e : arr) {
      od::value ev;
      if (auto ec = e.get(ev)) return ctx.Malformed("bad node", ec);
      ++n.children;
      FINDEX_RETURN_IF_ERROR(ReadTreeNode(ctx, ev, depth + 1, n.target(), done));
    }
  }
  return Status::Ok();
}

void TreeFinish(Ctx& ctx, TreeNode& n, std::vector<RuleGroup>& done) {
  if (!n.eval_type.empty()) ctx.known = true;
  MaybeOpenRule(n);
  RuleGroup* target = n.target();
  // A failed leaf is one failed check of the enclosing rule.
  if (target && n.status == "FAIL" && n.children == 0 && !(n.opened && n.eval_type == "Rule")) {
    std::string m = n.msg;
    if (StartsWith(m, "DEFAULT MESSAGE") || StartsWith(m, "(DEFAULT")) m.clear();
    target->hits.push_back(MakeHit(n.context, "", m, n.resource_path, n.texts + n.msg));
  }
  if (n.opened && !n.own.rule.empty()) done.push_back(std::move(n.own));
}

Status ReadTreeNode(Ctx& ctx, od::value v, int depth, RuleGroup* rule, std::vector<RuleGroup>& done) {
  if (depth > kMaxDepth) return Status::Ok();
  od::object obj;
  if (v.get_object().get(obj)) {
    ctx.Reject(v, "eval tree", "node is not an object");
    return Status::Ok();
  }
  TreeNode n;
  n.rule = rule;
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return ctx.Malformed("bad key", ec);
    std::string key_copy(key);
    od::value fv;
    if (auto ec = field.value().get(fv)) return ctx.Malformed("bad value", ec);
    FINDEX_RETURN_IF_ERROR(TreeField(ctx, n, key_copy, fv, depth, done));
  }
  TreeFinish(ctx, n, done);
  return Status::Ok();
}

// One top-level object: a FileReport, a summary, a tree node or a test report.
Status ReadRootObject(Ctx& ctx, od::value v, const std::string& where) {
  od::object obj;
  if (v.get_object().get(obj)) {
    ctx.Reject(v, where, "report entry is not an object");
    return Status::Ok();
  }
  std::string data_file, rules_from;
  bool tree = false;
  TreeNode node;
  std::vector<RuleGroup> groups;
  for (auto field : obj) {
    std::string_view key_view;
    if (auto ec = field.unescaped_key().get(key_view)) return ctx.Malformed("bad key", ec);
    std::string key(key_view);
    od::value fv;
    if (auto ec = field.value().get(fv)) return ctx.Malformed("bad value", ec);
    if (key == "eval_type") tree = true;
    if (tree) {
      FINDEX_RETURN_IF_ERROR(TreeField(ctx, node, key, fv, 0, groups));
      continue;
    }
    if (key == "rule_file" || key == "test_cases") {
      return MakeError(ErrorCode::kSchema,
                       "a `cfn-guard test` report (rule unit-test results), not a validation report: it holds no findings",
                       ctx.src->path());
    }
    if (key == "name" || key == "data_from") {
      ctx.known = true;
      ReadString(fv, &data_file);
    } else if (key == "rules_from") {
      ctx.known = true;
      ReadString(fv, &rules_from);
    } else if (key == "status" || key == "compliant" || key == "not_applicable" || key == "metadata") {
      ctx.known = true;
    } else if (key == "not_compliant" || key == "failed") {
      ctx.known = true;
      od::json_type t;
      if (auto ec = fv.type().get(t)) return ctx.Malformed("bad not_compliant", ec);
      if (t == od::json_type::array) {
        od::array arr;
        if (auto ec = fv.get_array().get(arr)) return ctx.Malformed("bad not_compliant", ec);
        size_t i = 0;
        for (auto e : arr) {
          od::value ev;
          if (auto ec = e.get(ev)) return ctx.Malformed("bad rule", ec);
          FINDEX_RETURN_IF_ERROR(ReadTopRule(ctx, ev, data_file, where + "not_compliant[" + std::to_string(i++) + "]"));
        }
      } else if (t == od::json_type::object) {
        FINDEX_RETURN_IF_ERROR(ReadSummaryRules(ctx, fv, data_file, rules_from, where + key));
      }
    }
  }
  if (tree) {
    TreeFinish(ctx, node, groups);
    for (const auto& g : groups) FINDEX_RETURN_IF_ERROR(EmitGroup(ctx, g, "", true));
  }
  return Status::Ok();
}

Status ReadRoot(Ctx& ctx, od::value root) {
  od::json_type t;
  if (auto ec = root.type().get(t)) return ctx.Malformed("cannot read the report", ec);
  if (t == od::json_type::array) {
    od::array arr;
    if (auto ec = root.get_array().get(arr)) return ctx.Malformed("bad array", ec);
    size_t i = 0;
    for (auto e : arr) {
      od::value ev;
      if (auto ec = e.get(ev)) return ctx.Malformed("bad entry", ec);
      FINDEX_RETURN_IF_ERROR(ReadRootObject(ctx, ev, "[" + std::to_string(i++) + "]."));
    }
    if (i == 0) ctx.known = true;  // `[]`: no data file was validated
    return Status::Ok();
  }
  if (t != od::json_type::object) return ctx.Malformed("expected a cfn-guard JSON object or array");
  return ReadRootObject(ctx, root, "");
}

Status Configure(const IngestOptions& opts, Ctx& ctx) {
  auto it = opts.params.find("cfn-guard.severity");
  if (it == opts.params.end() || Trim(it->second).empty()) return Status::Ok();
  auto label = ParseSeverityLabel(Trim(it->second));
  if (!label) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cfn-guard.severity must be INFORMATIONAL, LOW, MEDIUM, HIGH or CRITICAL, not \"" + it->second + "\"");
  }
  ctx.severity = *label;
  ctx.severity_original = Trim(it->second);
  return Status::Ok();
}

Status Ingest(Source& src, const IngestOptions& opts, FindingSink& sink) {
  Ctx ctx;
  ctx.src = &src;
  ctx.sink = &sink;
  FINDEX_RETURN_IF_ERROR(Configure(opts, ctx));
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  ctx.offsets = &rep;
  std::string_view h = JsonHead(src.head());
  if (!h.empty() && h[0] == '{' && HeadHas(h, "\"data_from\"")) {
    // The summary writes one JSON object per data file / rules file pair: a document stream.
    size_t start = JsonStart(src.text());
    std::string_view text = src.text().substr(start);
    od::parser parser;
    od::document_stream stream;
    size_t batch = std::max<size_t>(text.size() + 64, 1 << 20);
    if (auto ec = parser.iterate_many(text.data(), text.size(), batch).get(stream)) {
      return ctx.Malformed("cannot parse JSON", ec);
    }
    for (auto doc_result : stream) {
      auto doc = doc_result;
      od::document_reference ref;
      if (auto ec = std::move(doc).get(ref)) return ctx.Malformed("cannot parse JSON", ec);
      od::json_type t;
      if (auto ec = ref.type().get(t)) return ctx.Malformed("cannot parse JSON", ec);
      if (t != od::json_type::object && t != od::json_type::array) {
        return ctx.Malformed("unexpected content after the end of a cfn-guard report (not a JSON object)");
      }
      od::value root;
      if (auto ec = ref.get_value().get(root)) return ctx.Malformed("cannot parse JSON", ec);
      FINDEX_RETURN_IF_ERROR(ReadRoot(ctx, root));
      ++ctx.doc_index;
    }
    if (stream.truncated_bytes() > 0) return ctx.Malformed("truncated JSON at the end of the report");
  } else {
    ctx.rep = &rep;
    od::value root;
    if (auto ec = rep.doc().get_value().get(root)) return rep.Malformed("cannot read the report", ec);
    FINDEX_RETURN_IF_ERROR(ReadRoot(ctx, root));
    FINDEX_RETURN_IF_ERROR(rep.Finish());
  }
  if (!ctx.known) {
    return MakeError(ErrorCode::kSchema, "not a cfn-guard report: no \"not_compliant\", \"data_from\" or \"eval_type\"",
                     src.path());
  }
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& CfnGuardFormat() {
  static const FormatDescriptor kDesc{"cfn-guard", "cfn-guard",
                                      "cfn-guard validate JSON (3.x --structured, summary, 2.x eval tree)", kExt, Sniff,
                                      Ingest};
  return kDesc;
}

}  // namespace findex
