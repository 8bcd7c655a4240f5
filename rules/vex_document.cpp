#include "rules/vex_document.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "normalize/text.h"
#include "normalize/timestamp.h"

namespace findex {

std::string_view ToString(VexStatus s) {
  switch (s) {
    case VexStatus::kNotAffected: return "not_affected";
    case VexStatus::kAffected: return "affected";
    case VexStatus::kFixed: return "fixed";
    case VexStatus::kUnderInvestigation: return "under_investigation";
    case VexStatus::kFalsePositive: return "false_positive";
  }
  return "under_investigation";
}

std::string FormatVexProblem(const std::string& file, const VexProblem& p) {
  const char* level = p.warning ? "warning" : "error";
  if (p.line > 0) return fmt::format("{}:{}:{}: {} {}: {}", file, p.line, std::max(p.column, 1), level, p.code, p.message);
  if (!p.path.empty()) return fmt::format("{}: {} {}: {}: {}", file, level, p.code, p.path, p.message);
  return fmt::format("{}: {} {}: {}", file, level, p.code, p.message);
}

namespace {

namespace dom = simdjson::dom;

// Where the first JSON syntax error is (simdjson tells what, not where): a small validating
// scan, run only on a document simdjson rejected. Linear, iterative (explicit stack).
size_t SyntaxErrorOffset(std::string_view s, std::string* what) {
  size_t i = 0;
  auto ws = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  };
  auto str = [&]() -> bool {  // at '"'
    ++i;
    while (i < s.size()) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == '"') {
        ++i;
        return true;
      }
      if (c < 0x20) {
        *what = "control character in a string";
        return false;
      }
      if (c == '\\') {
        if (i + 1 >= s.size()) break;
        const char e = s[i + 1];
        if (e == 'u') {
          for (size_t k = 2; k < 6; ++k) {
            if (i + k >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + k]))) {
              i += 1;
              *what = "bad \\u escape";
              return false;
            }
          }
          i += 6;
          continue;
        }
        if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          ++i;
          *what = "bad escape in a string";
          return false;
        }
        i += 2;
        continue;
      }
      ++i;
    }
    *what = "unterminated string";
    return false;
  };
  auto scalar = [&]() -> bool {
    for (std::string_view lit : {"true", "false", "null"}) {
      if (s.substr(i, lit.size()) == lit) {
        i += lit.size();
        return true;
      }
    }
    const size_t start = i;
    if (i < s.size() && s[i] == '-') ++i;
    if (i < s.size() && s[i] == '0') ++i;
    else if (i < s.size() && s[i] >= '1' && s[i] <= '9')
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    else {
      i = start;
      *what = "expected a value";
      return false;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) {
        *what = "bad number";
        return false;
      }
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      ++i;
      if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
      if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) {
        *what = "bad number";
        return false;
      }
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    }
    return true;
  };
  // A member name and its ':' (from i); false, with *what set, when they are not there.
  auto member_name = [&]() -> bool {
    if (i >= s.size() || s[i] != '"') {
      *what = "expected a member name in quotes";
      return false;
    }
    if (!str()) return false;
    ws();
    if (i >= s.size() || s[i] != ':') {
      *what = "expected ':' after a member name";
      return false;
    }
    ++i;
    return true;
  };
  std::vector<char> stack;  // '{' or '['
  ws();
  // A value, then (inside containers) ',' or the closing bracket.
  for (;;) {
    ws();
    if (i >= s.size()) {
      *what = "unexpected end of the document";
      return i;
    }
    if (s[i] == '{') {
      ++i;
      ws();
      if (i < s.size() && s[i] == '}') {
        ++i;
      } else {
        stack.push_back('{');
        if (stack.size() > 1024) {
          *what = "nested too deeply";
          return i;
        }
        if (!member_name()) return i;
        continue;  // the member's value
      }
    } else if (s[i] == '[') {
      ++i;
      ws();
      if (i < s.size() && s[i] == ']') {
        ++i;
      } else {
        stack.push_back('[');
        if (stack.size() > 1024) {
          *what = "nested too deeply";
          return i;
        }
        continue;
      }
    } else if (s[i] == '"') {
      if (!str()) return i;
    } else if (!scalar()) {
      return i;
    }
    // After a value: close containers or go on to the next element.
    for (;;) {
      ws();
      if (stack.empty()) {
        if (i < s.size()) {
          *what = "content after the document";
          return i;
        }
        *what = "invalid JSON";
        return std::string_view::npos;
      }
      if (i >= s.size()) {
        *what = "unexpected end of the document";
        return i;
      }
      const char close = stack.back() == '{' ? '}' : ']';
      if (s[i] == close) {
        ++i;
        stack.pop_back();
        continue;
      }
      if (s[i] != ',') {
        *what = fmt::format("expected ',' or '{}'", close);
        return i;
      }
      ++i;
      if (stack.back() == '{') {
        ws();
        if (!member_name()) return i;
      }
      break;
    }
  }
}

class Reader {
 public:
  Reader(VexDocument* out, std::vector<VexProblem>* problems) : out_(out), problems_(problems) {}

  void Error(const std::string& path, const char* code, std::string msg) { Add(false, path, code, std::move(msg)); }
  void Warn(const std::string& path, const char* code, std::string msg) { Add(true, path, code, std::move(msg)); }
  bool failed() const { return errors_ > 0; }

  void Root(dom::element root) {
    dom::object obj;
    if (root.get_object().get(obj)) {
      Error("$", "V002", "not a VEX document: expected an object (OpenVEX with @context and statements, or a CycloneDX BOM with vulnerabilities)");
      return;
    }
    std::string_view context, bom_format;
    const bool has_context = !obj["@context"].get_string().get(context);
    const bool has_bom = !obj["bomFormat"].get_string().get(bom_format);
    dom::element statements, vulns;
    const bool has_statements = !obj["statements"].get(statements);
    const bool has_vulns = !obj["vulnerabilities"].get(vulns);
    if ((has_context && context.find("openvex") != std::string_view::npos) || (has_statements && !has_bom)) {
      out_->format = "openvex";
      OpenVex(obj);
    } else if ((has_bom && bom_format == "CycloneDX") || (has_vulns && !has_statements)) {
      out_->format = "cyclonedx";
      CycloneDx(obj);
    } else {
      Error("$", "V002",
            "not a VEX document (OpenVEX: @context https://openvex.dev/ns/... and statements; CycloneDX VEX: bomFormat "
            "CycloneDX and vulnerabilities with analysis)");
    }
  }

 private:
  void Add(bool warning, const std::string& path, const char* code, std::string msg) {
    VexProblem p;
    p.warning = warning;
    p.path = path;
    p.code = code;
    p.message = std::move(msg);
    problems_->push_back(std::move(p));
    if (!warning) ++errors_;
  }

  // A string member (absent: nullopt; present but not a string: error).
  std::optional<std::string> Str(dom::object o, std::string_view key, const std::string& path) {
    dom::element e;
    if (o[key].get(e)) return std::nullopt;
    if (e.is_null()) return std::nullopt;
    std::string_view s;
    if (e.get_string().get(s)) {
      Error(path + "." + std::string(key), "V003", "must be a string");
      return std::nullopt;
    }
    return std::string(s);
  }

  // RFC 3339 time member -> (text, ms); an invalid one is an error.
  bool Time(dom::object o, std::string_view key, const std::string& path, std::string* text, int64_t* ms) {
    auto s = Str(o, key, path);
    if (!s || Trim(*s).empty()) return false;
    Rfc3339Time t;
    if (!ParseRfc3339(Trim(*s), &t)) {
      Error(path + "." + std::string(key), "V006", fmt::format("'{}' is not an RFC 3339 time (2024-01-31T12:00:00Z)", *s));
      return false;
    }
    *text = Trim(*s);
    *ms = t.epoch_seconds * 1000 + t.nanos / 1000000;
    return true;
  }

  // Time member `first`, else `second` (both validated when both are present) -> (text, ms).
  void TimeOf(dom::object o, std::string_view first, std::string_view second, const std::string& path,
              std::string* text, int64_t* ms) {
    if (!Time(o, first, path, text, ms)) {
      Time(o, second, path, text, ms);
    } else {
      std::string t;
      int64_t m = -1;
      Time(o, second, path, &t, &m);  // validated too
    }
  }

  // A statement's time (`first`, else `second`), else the document's.
  void StatementTime(dom::object o, std::string_view first, std::string_view second, const std::string& path,
                     const std::string& doc_ts, int64_t doc_ms, VexStatement* s) {
    TimeOf(o, first, second, path, &s->timestamp, &s->timestamp_ms);
    if (s->timestamp.empty()) {
      s->timestamp = doc_ts;
      s->timestamp_ms = doc_ms;
    }
  }

  // The justification member of o, checked against the format's words (V005 names them all).
  template <size_t N>
  void Justification(dom::object o, const std::string& path, const char* const (&allowed)[N], std::string* out) {
    auto j = Str(o, "justification", path);
    if (!j) return;
    if (std::none_of(std::begin(allowed), std::end(allowed), [&](const char* x) { return *j == x; })) {
      std::string words;
      for (const char* x : allowed) words += (words.empty() ? "" : ", ") + std::string(x);
      Error(path + ".justification", "V005", fmt::format("unknown justification '{}' ({})", *j, words));
    }
    *out = *j;
  }

  // The list member `key` of o (its path `list_path`): fn(element path "<list_path>[i]", element)
  // for each element. Absent or null: the error `missing` at `path` when one is given, else
  // nothing. Not an array: the error `not_list` at list_path.
  template <typename Fn>
  void List(dom::object o, std::string_view key, const std::string& path, const std::string& list_path,
            const char* missing, const char* not_list, Fn&& fn) {
    dom::element e;
    if (o[key].get(e) || e.is_null()) {
      if (missing != nullptr) Error(path, "V003", missing);
      return;
    }
    dom::array a;
    if (e.get_array().get(a)) {
      Error(list_path, "V003", not_list);
      return;
    }
    size_t i = 0;
    for (dom::element x : a) fn(fmt::format("{}[{}]", list_path, i++), x);
  }

  // List of objects: an element that is not an object is the error `not_object` at its path;
  // fn(element path, object) for the others.
  template <typename Fn>
  void ObjectList(dom::object o, std::string_view key, const std::string& path, const std::string& list_path,
                  const char* missing, const char* not_object, Fn&& fn) {
    List(o, key, path, list_path, missing, "must be a list", [&](const std::string& ep, dom::element x) {
      dom::object xo;
      if (x.get_object().get(xo)) {
        Error(ep, "V003", not_object);
        return;
      }
      fn(ep, xo);
    });
  }

  // A product, or a subcomponent: "PURL", {"@id": PURL, "identifiers": {"purl": PURL}}.
  void ProductPurls(dom::element e, const std::string& path, std::vector<std::string>* out, bool subcomponents) {
    std::string_view s;
    if (!e.get_string().get(s)) {
      if (StartsWith(s, "pkg:")) out->emplace_back(s);
      return;
    }
    dom::object o;
    if (e.get_object().get(o)) {
      Error(path, "V003", "a product must be a purl string or an object with @id or identifiers");
      return;
    }
    if (auto id = Str(o, "@id", path); id && StartsWith(*id, "pkg:")) out->push_back(*id);
    dom::element ids;
    if (!o["identifiers"].get(ids) && !ids.is_null()) {
      dom::object io;
      if (ids.get_object().get(io)) {
        Error(path + ".identifiers", "V003", "must be an object ({\"purl\": ...})");
      } else if (auto p = Str(io, "purl", path + ".identifiers"); p) {
        if (!StartsWith(*p, "pkg:")) Error(path + ".identifiers.purl", "V003", fmt::format("'{}' is not a purl (pkg:type/name@version)", *p));
        else if (std::find(out->begin(), out->end(), *p) == out->end()) out->push_back(*p);
      }
    }
    if (subcomponents) Subcomponents(o, path, out);
  }

  void Subcomponents(dom::object o, const std::string& path, std::vector<std::string>* out) {
    List(o, "subcomponents", path, path + ".subcomponents", nullptr, "must be a list",
         [&](const std::string& sp, dom::element s) { ProductPurls(s, sp, out, false); });
  }

  void OpenVex(dom::object root) {
    out_->id = Str(root, "@id", "$").value_or("");
    std::string doc_ts;
    int64_t doc_ms = -1;
    TimeOf(root, "last_updated", "timestamp", "$", &doc_ts, &doc_ms);
    out_->timestamp = doc_ts;
    dom::element st;
    if (!root["statements"].get(st) && st.is_null()) {
      Error("statements", "V003", "must be a list");  // present but null: not a missing list
      return;
    }
    ObjectList(root, "statements", "$", "statements", "OpenVEX document has no statements",
               "a statement must be an object", [&](const std::string& path, dom::object o) {
      VexStatement s;
      s.where = path;
      // vulnerability: {"name", "@id", "aliases"} (v0.2) or "CVE-..." (v0.0.x).
      dom::element v;
      if (o["vulnerability"].get(v) || v.is_null()) {
        Error(path, "V003", "statement has no vulnerability");
      } else if (std::string_view name; !v.get_string().get(name)) {
        s.vuln = Trim(name);
      } else if (dom::object vo; !v.get_object().get(vo)) {
        if (auto n = Str(vo, "name", path + ".vulnerability")) s.vuln = Trim(*n);
        else if (auto id = Str(vo, "@id", path + ".vulnerability")) s.vuln = Trim(*id);
        List(vo, "aliases", path, path + ".vulnerability.aliases", nullptr, "must be a list of strings",
             [&](const std::string& ap, dom::element x) {
               std::string_view a;
               if (x.get_string().get(a)) Error(ap, "V003", "must be a string");
               else if (!Trim(a).empty()) s.aliases.push_back(Trim(a));
             });
        if (s.vuln.empty()) Error(path + ".vulnerability", "V003", "vulnerability has no name");
      } else {
        Error(path + ".vulnerability", "V003", "must be an object with a name, or a string");
      }
      // products (and v0.0.x statement-level subcomponents).
      List(o, "products", path, path + ".products", "statement has no products", "must be a list",
           [&](const std::string& pp, dom::element p) { ProductPurls(p, pp, &s.products, true); });
      Subcomponents(o, path, &s.products);
      // status and what goes with it.
      auto status = Str(o, "status", path);
      if (!status) {
        Error(path, "V004", "statement has no status (not_affected, affected, fixed, under_investigation)");
      } else if (*status == "not_affected") s.status = VexStatus::kNotAffected;
      else if (*status == "affected") s.status = VexStatus::kAffected;
      else if (*status == "fixed") s.status = VexStatus::kFixed;
      else if (*status == "under_investigation") s.status = VexStatus::kUnderInvestigation;
      else
        Error(path + ".status", "V004",
              fmt::format("unknown status '{}' (not_affected, affected, fixed, under_investigation)", *status));
      static const char* const kJust[] = {"component_not_present", "vulnerable_code_not_present",
                                          "vulnerable_code_not_in_execute_path",
                                          "vulnerable_code_cannot_be_controlled_by_adversary",
                                          "inline_mitigations_already_exist"};
      Justification(o, path, kJust, &s.justification);
      s.impact = Trim(Str(o, "impact_statement", path).value_or(""));
      s.action = Trim(Str(o, "action_statement", path).value_or(""));
      if (s.impact.empty()) s.impact = Trim(Str(o, "status_notes", path).value_or(""));
      if (status && *status == "not_affected" && s.justification.empty() && s.impact.empty()) {
        Error(path, "V007", "not_affected needs a justification or an impact_statement (OpenVEX spec)");
      }
      StatementTime(o, "last_updated", "timestamp", path, doc_ts, doc_ms, &s);
      if (s.products.empty() && !s.vuln.empty()) {
        Warn(path + ".products", "V008", "no product is a purl (pkg:...): this statement matches no package finding");
      }
      out_->statements.push_back(std::move(s));
    });
  }

  // Components (nested) -> bom-ref to purl.
  void Components(dom::element e, const std::string& path, std::map<std::string, std::string>* refs, int depth) {
    dom::array a;
    if (depth > 64 || e.get_array().get(a)) return;
    size_t i = 0;
    for (dom::element c : a) {
      const std::string p = fmt::format("{}[{}]", path, i++);
      dom::object o;
      if (c.get_object().get(o)) continue;
      Component(o, p, refs, depth);
    }
  }
  void Component(dom::object o, const std::string& path, std::map<std::string, std::string>* refs, int depth) {
    std::string_view ref, purl;
    if (!o["bom-ref"].get_string().get(ref) && !o["purl"].get_string().get(purl)) (*refs)[std::string(ref)] = std::string(purl);
    dom::element sub;
    if (!o["components"].get(sub)) Components(sub, path + ".components", refs, depth + 1);
  }

  void CycloneDx(dom::object root) {
    out_->id = Str(root, "serialNumber", "$").value_or("");
    std::string doc_ts;
    int64_t doc_ms = -1;
    std::map<std::string, std::string> refs;
    dom::element md;
    if (!root["metadata"].get(md)) {
      dom::object mo;
      if (!md.get_object().get(mo)) {
        Time(mo, "timestamp", "metadata", &doc_ts, &doc_ms);
        dom::object comp;
        if (!mo["component"].get_object().get(comp)) Component(comp, "metadata.component", &refs, 0);
      }
    }
    out_->timestamp = doc_ts;
    dom::element comps;
    if (!root["components"].get(comps)) Components(comps, "components", &refs, 0);
    // An SBOM without vulnerabilities (absent or null): no statement.
    ObjectList(root, "vulnerabilities", "$", "vulnerabilities", nullptr, "a vulnerability must be an object",
               [&](const std::string& path, dom::object o) {
      dom::element an;
      if (o["analysis"].get(an) || an.is_null()) return;  // no exploitability statement
      dom::object ao;
      if (an.get_object().get(ao)) {
        Error(path + ".analysis", "V003", "must be an object");
        return;
      }
      const std::string apath = path + ".analysis";
      auto state = Str(ao, "state", apath);
      if (!state) return;  // an analysis without a state (only a response or detail) states nothing
      VexStatement s;
      s.where = path;
      if (*state == "not_affected") s.status = VexStatus::kNotAffected;
      else if (*state == "false_positive") s.status = VexStatus::kFalsePositive;
      else if (*state == "resolved" || *state == "resolved_with_pedigree") s.status = VexStatus::kFixed;
      else if (*state == "exploitable") s.status = VexStatus::kAffected;
      else if (*state == "in_triage") s.status = VexStatus::kUnderInvestigation;
      else {
        Error(apath + ".state", "V004",
              fmt::format("unknown state '{}' (resolved, resolved_with_pedigree, exploitable, in_triage, false_positive, "
                          "not_affected)",
                          *state));
        return;
      }
      if (auto id = Str(o, "id", path)) s.vuln = Trim(*id);
      if (s.vuln.empty()) Error(path, "V003", "vulnerability has no id");
      ObjectList(o, "references", path, path + ".references", nullptr, "must be an object with an id",
                 [&](const std::string& rp, dom::object ro) {
                   if (auto id = Str(ro, "id", rp); id && !Trim(*id).empty()) s.aliases.push_back(Trim(*id));
                 });
      static const char* const kJust[] = {"code_not_present",      "code_not_reachable",     "requires_configuration",
                                          "requires_dependency",   "requires_environment",   "protected_by_compiler",
                                          "protected_at_runtime",  "protected_at_perimeter", "protected_by_mitigating_control"};
      Justification(ao, apath, kJust, &s.justification);
      s.impact = Trim(Str(ao, "detail", apath).value_or(""));
      List(ao, "response", apath, apath + ".response", nullptr, "must be a list",
           [&](const std::string&, dom::element r) {
             std::string_view x;
             if (!r.get_string().get(x)) s.action += (s.action.empty() ? "" : ", ") + std::string(x);
           });
      StatementTime(ao, "lastUpdated", "firstIssued", apath, doc_ts, doc_ms, &s);
      ObjectList(o, "affects", path, path + ".affects",
                 "vulnerability with an analysis has no affects (which components it is about)",
                 "must be an object with a ref", [&](const std::string& ap, dom::object ao2) {
        auto ref = Str(ao2, "ref", ap);
        if (!ref) {
          Error(ap, "V003", "affects entry has no ref");
          return;
        }
        auto it = refs.find(*ref);
        std::string purl = it != refs.end() ? it->second : StartsWith(*ref, "pkg:") ? *ref : std::string();
        if (purl.empty()) {
          Warn(ap + ".ref", "V009",
               fmt::format("'{}' is neither a component's bom-ref with a purl nor a purl: matches no package", *ref));
        } else if (std::find(s.products.begin(), s.products.end(), purl) == s.products.end()) {
          s.products.push_back(std::move(purl));
        }
      });
      out_->statements.push_back(std::move(s));
    });
  }

  VexDocument* out_;
  std::vector<VexProblem>* problems_;
  int errors_ = 0;
};

}  // namespace

Status ParseVex(std::string_view text, const std::string& file, VexDocument* out, std::vector<VexProblem>* problems) {
  *out = VexDocument{};
  out->file = file;
  dom::parser parser;
  dom::element root;
  if (Trim(text).empty()) {
    VexProblem p;
    p.code = "V001";
    p.message = "empty file";
    problems->push_back(std::move(p));
    return MakeError(ErrorCode::kSchema, "invalid VEX document " + file);
  }
  simdjson::padded_string padded(text);
  if (auto ec = parser.parse(padded).get(root); ec) {
    std::string what;
    const size_t off = SyntaxErrorOffset(text, &what);
    VexProblem p;
    p.code = "V001";
    if (off != std::string_view::npos && off <= text.size()) {
      int line = 1, col = 1;
      for (size_t k = 0; k < off; ++k) {
        if (text[k] == '\n') {
          ++line;
          col = 1;
        } else {
          ++col;
        }
      }
      p.line = line;
      p.column = col;
      p.message = "JSON syntax: " + what;
    } else {
      p.message = std::string("JSON: ") + simdjson::error_message(ec);
    }
    problems->push_back(std::move(p));
    return MakeError(ErrorCode::kSchema, "invalid VEX document " + file);
  }
  Reader r(out, problems);
  r.Root(root);
  if (r.failed()) return MakeError(ErrorCode::kSchema, "invalid VEX document " + file);
  return Status::Ok();
}

Status ReadVexFile(const std::string& path, VexDocument* out, std::vector<VexProblem>* problems) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    VexProblem p;
    p.code = "V000";
    p.message = "cannot read VEX file";
    problems->push_back(std::move(p));
    return MakeError(ErrorCode::kIo, "cannot read VEX file " + path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseVex(ss.str(), path, out, problems);
}

}  // namespace findex
