#include "rules/policy.h"

#include <charconv>

#include "rules/deliver.h"
#include "rules/vex.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "normalize/exploit.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"
#include "normalize/timestamp.h"

namespace findex {

std::string Diagnostic::ToString() const {
  std::string where = pos.file;
  if (pos.line > 0) where += fmt::format(":{}:{}", pos.line, std::max(pos.column, 1));
  return fmt::format("{}: {} {}: {}", where, level == Level::kError ? "error" : "warning", code, message);
}



bool SeverityInRange(const Matcher& m, SeverityLabel label) {
  if (m.severity_at_least && label < *m.severity_at_least) return false;
  if (m.severity_at_most && label > *m.severity_at_most) return false;
  return true;
}


namespace {

// Builds a diagnostic member by member. GCC 12 at -O2/-O3 reported the aggregate temporaries
// `Diagnostic{level, {file, 0, 0}, ...}` as maybe-uninitialized (a false positive inside
// std::string's move, which fails -Werror builds): no nested brace-initialized temporaries.
Diagnostic MakeDiagnostic(Diagnostic::Level level, const std::string& file, int line, int column, const char* code,
                          std::string message) {
  Diagnostic d;
  d.level = level;
  d.pos.file = file;
  d.pos.line = line;
  d.pos.column = column;
  d.code = code;
  d.message = std::move(message);
  return d;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y)); });
}

// Wildcard match; when `segments`, '*' and '?' do not cross '/', and "**" does ("**/" also
// matches no directory). Patterns are short, so plain recursion is fine.
bool Wild(std::string_view p, std::string_view t, bool segments) {
  while (!p.empty()) {
    if (p.size() >= 2 && p[0] == '*' && p[1] == '*') {
      std::string_view rest = p.substr(2);
      if (!rest.empty() && rest[0] == '/' && Wild(rest.substr(1), t, segments)) return true;
      for (size_t i = 0; i <= t.size(); ++i)
        if (Wild(rest, t.substr(i), segments)) return true;
      return false;
    }
    if (p[0] == '*') {
      std::string_view rest = p.substr(1);
      for (size_t i = 0; i <= t.size(); ++i) {
        if (Wild(rest, t.substr(i), segments)) return true;
        if (i < t.size() && segments && t[i] == '/') break;
      }
      return false;
    }
    if (t.empty()) return false;
    if (p[0] == '?' ? (segments && t[0] == '/') : p[0] != t[0]) return false;
    p.remove_prefix(1);
    t.remove_prefix(1);
  }
  return t.empty();
}

bool AnyOf(const std::vector<std::string>& wanted, const std::function<bool(const std::string&)>& pred) {
  return std::any_of(wanted.begin(), wanted.end(), pred);
}

bool MatchesAt(const Matcher& m, const Finding& f, SeverityLabel label) {
  if (!SeverityInRange(m, label)) return false;
  if (m.kev || m.epss_at_least || m.epss_percentile_at_least) {
    // No data (-1) matches neither kev: true nor kev: false, nor any threshold.
    const ExploitSummary x = SummarizeExploit(f);
    if (m.kev && x.kev != (*m.kev ? 1 : 0)) return false;
    if (m.epss_at_least && !(x.epss >= 0 && x.epss >= *m.epss_at_least)) return false;
    if (m.epss_percentile_at_least && !(x.epss_percentile >= 0 && x.epss_percentile >= *m.epss_percentile_at_least)) return false;
  }
  if (!m.scanners.empty() && !AnyOf(m.scanners, [&](const std::string& s) { return IEquals(s, f.scanner); })) return false;
  if (!m.scopes.empty() && !AnyOf(m.scopes, [&](const std::string& s) { return Wild(s, f.scope, false); })) return false;
  if (!m.rules.empty() && !AnyOf(m.rules, [&](const std::string& s) { return Wild(s, f.generator_id, false); })) return false;
  if (!m.ids.empty()) {
    const std::string fp = f.fingerprint.Hex();
    if (!AnyOf(m.ids, [&](const std::string& s) {
          // CodeGuru's ExcludeById names recommendation ids, which the ingester keeps as a product field.
          auto rec = f.product_fields.find("codeguru/RecommendationId");
          return s == f.id || (rec != f.product_fields.end() && s == rec->second) ||
                 (s.size() >= 8 && s.size() <= fp.size() && IEquals(fp.substr(0, s.size()), s));
        }))
      return false;
  }
  if (!m.vulns.empty()) {
    bool hit = false;
    for (const auto& v : f.vulnerabilities) {
      hit = hit || AnyOf(m.vulns, [&](const std::string& s) {
              return IEquals(s, v.id) || std::any_of(v.related_vulnerabilities.begin(), v.related_vulnerabilities.end(),
                                                     [&](const std::string& r) { return IEquals(s, r); });
            });
    }
    if (!hit) return false;
  }
  if (!m.cwes.empty()) {
    if (!AnyOf(m.cwes, [&](const std::string& s) {
          std::string want = NormalizeCwe(s);
          return std::any_of(f.cwes.begin(), f.cwes.end(), [&](const std::string& c) { return IEquals(NormalizeCwe(c), want); });
        }))
      return false;
  }
  if (!m.packages.empty()) {
    bool hit = false;
    for (const auto& v : f.vulnerabilities) {
      for (const auto& p : v.vulnerable_packages) {
        hit = hit || AnyOf(m.packages, [&](const std::string& s) {
                size_t at = s.rfind('@');
                if (at == std::string::npos || at == 0) return IEquals(s, p.name);
                return IEquals(s.substr(0, at), p.name) && s.substr(at + 1) == p.version;
              });
      }
    }
    if (!hit) return false;
  }
  if (!m.paths.empty()) {
    std::vector<std::string_view> paths;
    if (!f.location.file_path.empty()) paths.push_back(StripDotSlash(f.location.file_path));
    for (const auto& v : f.vulnerabilities)
      for (const auto& p : v.vulnerable_packages)
        if (!p.file_path.empty()) paths.push_back(StripDotSlash(p.file_path));
    if (!AnyOf(m.paths, [&](const std::string& s) {
          std::string_view pat = StripDotSlash(s);
          return std::any_of(paths.begin(), paths.end(), [&](std::string_view p) { return Wild(pat, p, true); });
        }))
      return false;
  }
  if (!m.url_prefixes.empty()) {
    // DAST findings carry the site in location.url and each affected URL as a resource.
    if (!AnyOf(m.url_prefixes, [&](const std::string& s) {
          return (!f.location.url.empty() && StartsWith(f.location.url, s)) ||
                 std::any_of(f.resources.begin(), f.resources.end(), [&](const Resource& r) { return StartsWith(r.id, s); });
        }))
      return false;
  }
  if (!m.resources.empty()) {
    if (!AnyOf(m.resources, [&](const std::string& s) {
          return std::any_of(f.resources.begin(), f.resources.end(), [&](const Resource& r) { return Wild(s, r.id, false); });
        }))
      return false;
  }
  if (!m.tags.empty()) {
    const std::vector<std::string> have = TagTokens(f);
    if (!AnyOf(m.tags, [&](const std::string& s) { return std::find(have.begin(), have.end(), ToLower(s)) != have.end(); }))
      return false;
  }
  if (m.title_regex && !RE2::PartialMatch(f.title, *m.title_regex)) return false;
  return true;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) { return Wild(pattern, text, true); }
bool WildcardMatch(std::string_view pattern, std::string_view text) { return Wild(pattern, text, false); }
bool MatchesAtLabel(const Matcher& m, const Finding& f, SeverityLabel label) { return MatchesAt(m, f, label); }

size_t EditDistance(std::string_view a, std::string_view b) {
  // Two rows of the Levenshtein table; names are short.
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string ClosestName(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = 0;
  const std::string w = ToLower(std::string(word));
  for (const auto& c : candidates) {
    const size_t d = EditDistance(w, ToLower(c));
    // Close enough to be a typo: at most a third of the longer name, and at least one edit away.
    const size_t limit = std::max<size_t>(1, std::max(w.size(), c.size()) / 3);
    if (d > limit) continue;
    if (best.empty() || d < best_d) {
      best = c;
      best_d = d;
    }
  }
  return best;
}


bool Matcher::Matches(const Finding& f) const { return MatchesAt(*this, f, f.severity.label); }

bool Matcher::empty() const {
  return ids.empty() && scanners.empty() && rules.empty() && vulns.empty() && cwes.empty() && packages.empty() &&
         paths.empty() && url_prefixes.empty() && resources.empty() && scopes.empty() && tags.empty() && !title_regex &&
         !severity_at_least && !severity_at_most && !kev && !epss_at_least && !epss_percentile_at_least;
}

namespace {

int DaysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<int64_t> ParseExpiry(std::string_view s) {
  std::string t = Trim(s);
  if (t.size() == 10 && t[4] == '-' && t[7] == '-') {
    std::string_view v(t);
    if (!AllDigits(v.substr(0, 4)) || !AllDigits(v.substr(5, 2)) || !AllDigits(v.substr(8, 2))) return std::nullopt;
    const int y = std::stoi(t.substr(0, 4)), m = std::stoi(t.substr(5, 2)), d = std::stoi(t.substr(8, 2));
    if (m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, m)) return std::nullopt;
    // findex.yml: valid through the whole named day (UTC). (Trivy's dates end at the start of the
    // day; its reader passes "DATE T00:00:00Z".)
    return (DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)) + 1) * 86400000LL;
  }
  Rfc3339Time rt;
  if (!ParseRfc3339(t, &rt) || rt.day > DaysInMonth(rt.year, rt.month)) return std::nullopt;
  return rt.epoch_seconds * 1000 + rt.nanos / 1000000;
}

std::optional<PolicyDecision> EvaluateWith(const Policy& policy, SeverityLabel base, WorkflowStatus lifecycle,
                                           int64_t now_ms, const MatchOracle& match) {
  PolicyDecision d;
  SeverityLabel label = base;
  for (size_t i = 0; i < policy.overrides.size(); ++i) {
    const auto& o = policy.overrides[i];
    const int m = match(MatcherKind::kOverride, i, label);
    if (m < 0) return std::nullopt;
    if (m == 0) continue;
    // First matching override wins: later ones would silently undo an earlier, more specific one.
    if (o.label != label) d.severity = o.label;
    label = o.label;
    d.applied.push_back("override:" + o.name);
    break;
  }
  for (size_t i = 0; i < policy.suppressions.size(); ++i) {
    const auto& s = policy.suppressions[i];
    const int m = match(MatcherKind::kSuppression, i, label);
    if (m < 0) return std::nullopt;
    if (m == 0) continue;
    if (s.expires_ms >= 0 && now_ms >= s.expires_ms) {
      d.expired.push_back(s.name + " (expired " + s.expires + ")");
      continue;
    }
    d.workflow = WorkflowStatus::kSuppressed;
    d.suppress_expires_ms = s.expires_ms;
    std::string text = "Suppressed by policy '" + s.name + "': " + s.reason;
    if (!s.owner.empty()) text += " (owner " + s.owner + (s.expires.empty() ? ")" : ", until " + s.expires + ")");
    else if (!s.expires.empty()) text += " (until " + s.expires + ")";
    d.note = Note{text, "findex-policy", ""};
    d.applied.push_back("suppress:" + s.name);
    break;
  }
  // VEX (rules/vex.h): the newest statement that names the finding's vulnerability and package.
  // A policy suppression that already applies wins (as the first of several suppressions does).
  if (policy.vex && !policy.vex->empty() && d.workflow != WorkflowStatus::kSuppressed) {
    const int m = match(MatcherKind::kVex, 0, label);
    if (m < 0) return std::nullopt;
    if (m > 0 && static_cast<size_t>(m) <= policy.vex->size()) {
      const VexEffect e = EffectOf(policy.vex->at(static_cast<size_t>(m - 1)));
      const bool suppressed = lifecycle == WorkflowStatus::kSuppressed;
      if (e.workflow) {
        // The report's own suppression stays (a fixed statement does not lift it).
        if (!(suppressed && *e.workflow != WorkflowStatus::kSuppressed)) d.workflow = *e.workflow;
        d.suppress_expires_ms = -1;
        d.note = Note{e.note, "findex-policy", ""};
      } else if (!suppressed) {
        d.note = Note{e.note, "findex-policy", ""};
      }
      d.applied.push_back(e.applied);
    }
  }
  for (size_t i = 0; i < policy.rules.size(); ++i) {
    const auto& r = policy.rules[i];
    const int m = match(MatcherKind::kRule, i, label);
    if (m < 0) return std::nullopt;
    if (m == 0) continue;
    if (r.severity) {
      d.severity = *r.severity;
      label = *r.severity;
    }
    // A rule may suppress, but never lifts a suppression (the policy's or the report's), and
    // never replaces the reason an accepted risk was recorded with.
    const bool suppressed = lifecycle == WorkflowStatus::kSuppressed || d.workflow == WorkflowStatus::kSuppressed;
    if (r.workflow && (!suppressed || *r.workflow == WorkflowStatus::kSuppressed)) {
      d.workflow = *r.workflow;
      if (*r.workflow == WorkflowStatus::kSuppressed) d.suppress_expires_ms = -1;  // a rule does not expire
    }
    if (r.note && !suppressed) d.note = Note{*r.note, "findex-policy", ""};
    for (const auto& [k, v] : r.user_defined_fields) d.user_defined_fields[k] = v;
    d.applied.push_back("rule:" + r.name);
    if (r.terminal) break;
  }
  if (d.severity && *d.severity == base) d.severity.reset();
  return d;
}

PolicyDecision Evaluate(const Policy& policy, const Finding& f, int64_t now_ms) {
  auto d = EvaluateWith(policy, f.severity.label, f.workflow, now_ms, [&](MatcherKind kind, size_t i, SeverityLabel label) {
    if (kind == MatcherKind::kVex) return static_cast<int>(policy.vex->Decide(f) + 1);
    const Matcher& m = kind == MatcherKind::kOverride      ? policy.overrides[i].match
                       : kind == MatcherKind::kSuppression ? policy.suppressions[i].match
                                                           : policy.rules[i].match;
    return MatchesAt(m, f, label) ? 1 : 0;
  });
  if (!d) return PolicyDecision{};
  // Response actions: at the severity the decision leaves (a KEV finding raised to CRITICAL
  // pages as a CRITICAL).
  const SeverityLabel effective = d->severity.value_or(f.severity.label);
  for (const auto& a : policy.actions) {
    if (MatchesAt(a.match, f, effective)) d->actions.push_back(a.def.name);
  }
  return std::move(*d);
}

bool Policy::empty() const {
  return overrides.empty() && suppressions.empty() && rules.empty() && gates.empty() && !sla && actions.empty() &&
         (!vex || vex->empty());
}

uint64_t Policy::Hash() const {
  // Everything Evaluate reads, in order; gates do not change what ingest stores.
  std::string s;
  auto add_matcher = [&](const Matcher& m) {
    for (const auto* v : {&m.ids, &m.scanners, &m.rules, &m.vulns, &m.cwes, &m.packages, &m.paths, &m.url_prefixes,
                          &m.resources, &m.scopes, &m.tags}) {
      for (const auto& x : *v) s += x + '\x1f';
      s += '\x1e';
    }
    s += m.title_regex_text + '\x1e';
    s += std::to_string(m.severity_at_least ? static_cast<int>(*m.severity_at_least) : -1) +
         std::to_string(m.severity_at_most ? static_cast<int>(*m.severity_at_most) : -1) + '\x1d';
    // Exploitation matchers (issue 11): appended only when set, so that older policies keep their hash.
    if (m.kev || m.epss_at_least || m.epss_percentile_at_least) {
      s += fmt::format("K{}E{:.17g}P{:.17g}", m.kev ? (*m.kev ? 1 : 0) : -1, m.epss_at_least.value_or(-1),
                       m.epss_percentile_at_least.value_or(-1)) + '\x1d';
    }
  };
  for (const auto& o : overrides) {
    s += "O" + o.name + '\x1f' + std::string(ToString(o.label));
    add_matcher(o.match);
  }
  for (const auto& x : suppressions) {
    s += "S" + x.name + '\x1f' + x.reason + '\x1f' + x.owner + '\x1f' + x.expires;
    add_matcher(x.match);
  }
  for (const auto& r : rules) {
    s += "R" + r.name + (r.terminal ? "T" : "F") + (r.severity ? std::string(ToString(*r.severity)) : "") + '\x1f' +
         (r.workflow ? std::string(ToString(*r.workflow)) : "") + '\x1f' + r.note.value_or("");
    for (const auto& [k, v] : r.user_defined_fields) s += k + '=' + v + '\x1f';
    add_matcher(r.match);
  }
  // Which actions match is stored with each finding; where they send is not (a changed URL
  // changes no finding).
  for (const auto& a : actions) {
    s += "A" + a.def.name + '\x1f';
    add_matcher(a.match);
  }
  // VEX statements (appended only when present, so that policies without keep their hash).
  if (vex && !vex->empty()) s += "V" + vex->Identity();
  return Hash64(s);
}

// ---------------------------------------------------------------------------------------------
// findex.yml

namespace {

class Loader {
 public:
  Loader(const std::string& file, Policy* p, std::vector<Diagnostic>* diags) : file_(file), p_(p), diags_(diags) {}

  void Error(const YAML::Node& n, const char* code, std::string msg) { Add(Diagnostic::Level::kError, n, code, std::move(msg)); }
  void Warn(const YAML::Node& n, const char* code, std::string msg) { Add(Diagnostic::Level::kWarning, n, code, std::move(msg)); }
  bool failed() const { return errors_ > 0; }

  void Load(const std::string& text) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      diags_->push_back(MakeDiagnostic(Diagnostic::Level::kError, file_, e.mark.line + 1, e.mark.column + 1, "P001",
                                       "YAML syntax: " + e.msg));
      ++errors_;
      return;
    }
    try {
      Root(root);
    } catch (const YAML::Exception& e) {
      diags_->push_back(MakeDiagnostic(Diagnostic::Level::kError, file_, e.mark.line + 1, e.mark.column + 1, "P001",
                                       "YAML: " + e.msg));
      ++errors_;
    } catch (const std::exception& e) {
      // Nothing below should throw; if it does, it is a bad policy, never a crash.
      diags_->push_back(MakeDiagnostic(Diagnostic::Level::kError, file_, 0, 0, "P001", std::string("cannot read: ") + e.what()));
      ++errors_;
    }
  }

 private:
  void Add(Diagnostic::Level level, const YAML::Node& n, const char* code, std::string msg) {
    YAML::Mark m = n.Mark();
    SourcePos pos{file_, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0};
    diags_->push_back(MakeDiagnostic(level, pos.file, pos.line, pos.column, code, std::move(msg)));
    if (level == Diagnostic::Level::kError) ++errors_;
  }
  SourcePos Pos(const YAML::Node& n) const {
    YAML::Mark m = n.Mark();
    return SourcePos{file_, m.line + 1, m.column + 1};
  }

  // Keys of a map; an unknown one is an error (P002): a typo must not widen or disable what the
  // entry says (`pakage:` would make a suppression match every package, `expire:` never expire).
  // False when `n` is not a map.
  bool CheckMap(const YAML::Node& n, const char* what, std::initializer_list<const char*> known) {
    if (!n.IsMap()) {
      Error(n, "P003", fmt::format("{} must be a mapping", what));
      return false;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.Scalar();
      if (std::none_of(known.begin(), known.end(), [&](const char* x) { return k == x; })) {
        std::string list;
        std::vector<std::string> names;
        for (const char* x : known) {
          list += std::string(list.empty() ? "" : ", ") + x;
          names.emplace_back(x);
        }
        const std::string hint = ClosestName(k, names);
        Error(it->first, "P002",
              fmt::format("unknown key '{}' in {} ({}known: {})", k, what, hint.empty() ? "" : "did you mean " + hint + "? ",
                          list));
      }
    }
    return true;
  }

  std::optional<std::string> Scalar(const YAML::Node& n, const std::string& what) {
    if (!n.IsScalar()) {
      Error(n, "P003", what + " must be a single value");
      return std::nullopt;
    }
    return n.Scalar();
  }

  std::vector<std::string> Strings(const YAML::Node& n, const std::string& what) {
    std::vector<std::string> out;
    if (n.IsScalar()) {
      out.push_back(n.Scalar());
    } else if (n.IsSequence()) {
      for (const auto& x : n) {
        if (x.IsScalar()) out.push_back(x.Scalar());
        else Error(x, "P003", what + ": each entry must be a single value");
      }
    } else {
      Error(n, "P003", what + " must be a value or a list of values");
    }
    return out;
  }

  std::optional<bool> Bool(const YAML::Node& n, const std::string& what) {
    auto s = Scalar(n, what);
    if (!s) return std::nullopt;
    std::string v = ToLower(*s);
    if (v == "true" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "no" || v == "off") return false;
    Error(n, "P003", what + " must be true or false, not '" + *s + "'");
    return std::nullopt;
  }

  std::optional<SeverityLabel> Label(const YAML::Node& n, const std::string& what) {
    auto s = Scalar(n, what);
    if (!s) return std::nullopt;
    auto l = ParseSeverityLabel(*s);
    if (!l) Error(n, "P005", fmt::format("{}: unknown severity '{}' (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)", what, *s));
    return l;
  }

  std::string Name(const YAML::Node& entry, const char* kind, size_t index, std::set<std::string>* seen) {
    std::string name = fmt::format("{}#{}", kind, index + 1);
    if (entry["name"]) {
      if (auto s = Scalar(entry["name"], "name")) name = *s;
    }
    if (!seen->insert(name).second) Error(entry["name"] ? entry["name"] : entry, "P009", fmt::format("duplicate name '{}'", name));
    return name;
  }

  // `sla: {CRITICAL: 7, HIGH: 30, ..., kev: due_date, due_soon: 7}`; a later file wins per key.
  void Sla(const YAML::Node& n) {
    if (!n.IsMap()) {
      Error(n, "P015", "sla must be a mapping, e.g. {CRITICAL: 7, HIGH: 30, MEDIUM: 90, LOW: 180}");
      return;
    }
    SlaPolicy sla = p_->sla.value_or(SlaPolicy{});
    const bool first = !p_->sla;
    auto count = [&](const YAML::Node& v, const std::string& what) -> std::optional<int> {
      auto s = Scalar(v, what);
      if (!s) return std::nullopt;
      char* end = nullptr;
      const long long d = std::strtoll(s->c_str(), &end, 10);
      if (s->empty() || *end != '\0' || d < 0 || d > 100000) {
        Error(v, "P015", fmt::format("sla {}: '{}' is not a number of days (0 or more)", what, *s));
        return std::nullopt;
      }
      return static_cast<int>(d);
    };
    auto changed = [&](const YAML::Node& key, const std::string& what, bool differs) {
      if (!first && differs) Warn(key, "P016", fmt::format("sla {} redefined: this file's value wins", what));
    };
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string k = it->first.Scalar();
      const YAML::Node& v = it->second;
      if (k == "kev") {
        auto s = Scalar(v, "sla kev");
        if (!s) continue;
        if (ToLower(*s) == "due_date") {
          changed(it->first, "kev", !sla.kev_due_cap);
          sla.kev_due_cap = true;
        } else if (ToLower(*s) == "none" || ToLower(*s) == "false") {
          changed(it->first, "kev", sla.kev_due_cap);
          sla.kev_due_cap = false;
        } else {
          Error(v, "P015", fmt::format("sla kev: '{}' is not due_date (cap a KEV finding's SLA at CISA's due date)", *s));
        }
      } else if (k == "due_soon") {
        if (auto d = count(v, "due_soon")) {
          changed(it->first, "due_soon", sla.due_soon_days != *d);
          sla.due_soon_days = *d;
        }
      } else if (auto l = ParseSeverityLabel(k)) {
        if (auto d = count(v, k)) {
          const size_t i = static_cast<size_t>(*l);
          changed(it->first, std::string(ToString(*l)), sla.days[i] >= 0 && sla.days[i] != *d);
          sla.days[i] = *d;
        }
      } else {
        const std::vector<std::string> names = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "kev", "due_soon"};
        const std::string hint = ClosestName(k, names);
        Error(it->first, "P015",
              fmt::format("unknown key '{}' in sla ({}known: CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, kev, due_soon)", k,
                          hint.empty() ? "" : "did you mean " + hint + "? "));
      }
    }
    p_->sla = sla;
    p_->sla_pos = Pos(n);
  }

  // `vex: [files]`: VEX documents (rules/vex.h), paths relative to this policy file.
  void Vex(const YAML::Node& n) {
    std::vector<YAML::Node> entries;
    if (n.IsScalar()) {
      entries.push_back(n);
    } else if (n.IsSequence()) {
      for (const auto& x : n) entries.push_back(x);
    } else if (!n.IsNull()) {
      Error(n, "P019", "vex must be a file or a list of files (OpenVEX or CycloneDX VEX JSON)");
      return;
    }
    for (const auto& e : entries) {
      if (!e.IsScalar() || Trim(e.Scalar()).empty()) {
        Error(e, "P019", "vex: each entry must be a file name");
        continue;
      }
      const std::string name = Trim(e.Scalar());
      std::filesystem::path p(name);
      if (p.is_relative()) p = std::filesystem::path(file_).parent_path() / p;
      const std::string path = p.lexically_normal().string();
      std::error_code ec;
      if (!std::filesystem::is_regular_file(path, ec)) {
        Error(e, "P019", fmt::format("vex: cannot read '{}' ({}; paths are relative to the policy file)", name, path));
        continue;
      }
      if (!LoadVexIntoPolicy(path, p_, diags_).ok()) {
        Error(e, "P019", fmt::format("vex: '{}' is not a valid VEX document (see the errors above); no statement of it is used", name));
      }
    }
  }

  Matcher Match(const YAML::Node& n) {
    Matcher m;
    if (!CheckMap(n, "match", {"id", "scanner", "rule", "vuln", "cve", "cwe", "package", "path", "url_prefix", "resource",
                              "scope", "tag", "title_regex", "severity_at_least", "severity_at_most", "kev",
                              "epss_at_least", "epss_percentile_at_least"}))
      return m;
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.Scalar();
      const YAML::Node& v = it->second;
      if (k == "id") m.ids = Strings(v, k);
      else if (k == "scanner") m.scanners = Strings(v, k);
      else if (k == "rule") m.rules = Strings(v, k);
      else if (k == "vuln" || k == "cve") {
        auto x = Strings(v, k);
        m.vulns.insert(m.vulns.end(), x.begin(), x.end());
      } else if (k == "cwe") m.cwes = Strings(v, k);
      else if (k == "package") m.packages = Strings(v, k);
      else if (k == "path") m.paths = Strings(v, k);
      else if (k == "url_prefix") m.url_prefixes = Strings(v, k);
      else if (k == "resource") m.resources = Strings(v, k);
      else if (k == "scope") m.scopes = Strings(v, k);
      else if (k == "tag") m.tags = Strings(v, k);
      else if (k == "title_regex") {
        if (auto s = Scalar(v, k)) {
          RE2::Options opts;
          opts.set_log_errors(false);
          auto re = std::make_shared<RE2>(*s, opts);
          if (!re->ok()) {
            Error(v, "P007", fmt::format("title_regex: {} (RE2 syntax)", re->error()));
          } else {
            m.title_regex = re;
            m.title_regex_text = *s;
          }
        }
      } else if (k == "kev") {
        if (auto s = Scalar(v, k)) {
          const std::string b = ToLower(*s);
          if (b == "true" || b == "yes" || b == "on") m.kev = true;
          else if (b == "false" || b == "no" || b == "off") m.kev = false;
          else Error(v, "P014", fmt::format("kev: '{}' is not true or false", *s));
        }
      } else if (k == "epss_at_least" || k == "epss_percentile_at_least") {
        if (auto s = Scalar(v, k)) {
          char* end = nullptr;
          const double d = std::strtod(s->c_str(), &end);
          if (s->empty() || *end != '\0' || !(d >= 0 && d <= 1)) {
            Error(v, "P014", fmt::format("{}: '{}' is not a number from 0 to 1 (0.1, not 10%)", k, *s));
          } else if (k == "epss_at_least") {
            m.epss_at_least = d;
          } else {
            m.epss_percentile_at_least = d;
          }
        }
      } else if (k == "severity_at_least") m.severity_at_least = Label(v, k);
      else if (k == "severity_at_most") m.severity_at_most = Label(v, k);
    }
    if (m.severity_at_least && m.severity_at_most && *m.severity_at_least > *m.severity_at_most) {
      Warn(n, "P013", "severity_at_least is above severity_at_most: this matches nothing");
    }
    return m;
  }

  // The `match` of an entry; a missing one matches every finding, which is rarely meant.
  Matcher EntryMatch(const YAML::Node& entry, const char* what, bool must) {
    if (!entry["match"]) {
      if (must) Error(entry, "P004", fmt::format("{} needs a 'match' (an empty match would apply to every finding)", what));
      return Matcher{};
    }
    const int errors_before = errors_;
    Matcher m = Match(entry["match"]);
    if (must && m.empty() && entry["match"].IsMap() && errors_ == errors_before) {
      Warn(entry["match"], "P013", fmt::format("empty match: this {} applies to every finding", what));
    }
    return m;
  }

  template <typename F>
  void Seq(const YAML::Node& n, const char* what, F&& each) {
    if (!n || n.IsNull()) return;
    if (!n.IsSequence()) {
      Error(n, "P003", fmt::format("{} must be a list", what));
      return;
    }
    size_t i = 0;
    for (const auto& e : n) each(e, i++);
  }

  void Root(const YAML::Node& root) {
    if (root.IsNull()) return;  // an empty file is an empty policy
    if (!CheckMap(root, "the policy",
                  {"version", "include", "severity_overrides", "suppressions", "automation_rules", "gates", "sla",
                   "actions", "vex"}))
      return;
    if (root["vex"]) Vex(root["vex"]);
    if (root["sla"]) Sla(root["sla"]);
    if (root["version"]) {
      auto v = Scalar(root["version"], "version");
      if (v && *v != "1") Error(root["version"], "P010", fmt::format("unsupported policy version '{}' (this findex reads 1)", *v));
    }
    std::set<std::string> names;
    Seq(root["severity_overrides"], "severity_overrides", [&](const YAML::Node& e, size_t i) {
      if (!CheckMap(e, "a severity override", {"name", "match", "severity"})) return;
      SeverityOverride o;
      o.name = Name(e, "override", i, &names);
      o.pos = Pos(e);
      o.match = EntryMatch(e, "severity override", true);
      if (!e["severity"]) Error(e, "P004", "severity override needs 'severity'");
      else if (auto l = Label(e["severity"], "severity")) o.label = *l;
      p_->overrides.push_back(std::move(o));
    });
    Seq(root["suppressions"], "suppressions", [&](const YAML::Node& e, size_t i) {
      if (!CheckMap(e, "a suppression", {"name", "match", "reason", "owner", "expires"})) return;
      Suppression s;
      s.name = Name(e, "suppression", i, &names);
      s.pos = Pos(e);
      s.match = EntryMatch(e, "suppression", true);
      if (!e["reason"]) Error(e, "P004", "suppression needs a 'reason' (why this risk is accepted)");
      else if (auto r = Scalar(e["reason"], "reason")) {
        s.reason = Trim(*r);
        if (s.reason.empty()) Error(e["reason"], "P004", "suppression reason is empty");
      }
      if (e["owner"]) s.owner = Scalar(e["owner"], "owner").value_or("");
      if (e["expires"]) {
        if (auto x = Scalar(e["expires"], "expires")) {
          auto ms = ParseExpiry(*x);
          if (!ms) Error(e["expires"], "P006", fmt::format("expires: '{}' is not a date (YYYY-MM-DD) or RFC 3339 time", *x));
          else {
            s.expires = Trim(*x);
            s.expires_ms = *ms;
          }
        }
      }
      p_->suppressions.push_back(std::move(s));
    });
    Seq(root["automation_rules"], "automation_rules", [&](const YAML::Node& e, size_t i) {
      if (!CheckMap(e, "an automation rule", {"name", "match", "terminal", "actions"})) return;
      AutomationRule r;
      r.name = Name(e, "rule", i, &names);
      r.pos = Pos(e);
      r.match = EntryMatch(e, "automation rule", true);
      if (e["terminal"]) r.terminal = Bool(e["terminal"], "terminal").value_or(false);
      if (!e["actions"]) {
        Error(e, "P004", "automation rule needs 'actions'");
      } else if (const int errors_before = errors_;
                 CheckMap(e["actions"], "actions", {"severity", "workflow", "note", "user_defined_fields"})) {
        const YAML::Node& a = e["actions"];
        if (a["severity"]) r.severity = Label(a["severity"], "severity");
        if (a["workflow"]) {
          if (auto w = Scalar(a["workflow"], "workflow")) {
            r.workflow = ParseWorkflowStatus(*w);
            if (!r.workflow) Error(a["workflow"], "P008", fmt::format("unknown workflow status '{}' (NEW, NOTIFIED, RESOLVED, SUPPRESSED)", *w));
          }
        }
        if (a["note"]) r.note = Scalar(a["note"], "note");
        if (a["user_defined_fields"]) {
          const YAML::Node& u = a["user_defined_fields"];
          if (!u.IsMap()) Error(u, "P003", "user_defined_fields must be a mapping of names to values");
          else
            for (auto it = u.begin(); it != u.end(); ++it) {
              if (auto v = Scalar(it->second, "user_defined_fields value")) r.user_defined_fields[it->first.Scalar()] = *v;
            }
        }
        if (!r.severity && !r.workflow && !r.note && r.user_defined_fields.empty() && errors_ == errors_before) {
          Warn(a, "P013", "automation rule has no action (severity, workflow, note, user_defined_fields)");
        }
      }
      p_->rules.push_back(std::move(r));
    });
    std::set<std::string> gate_names;
    Seq(root["gates"], "gates", [&](const YAML::Node& e, size_t i) {
      if (!CheckMap(e, "a gate", {"name", "max", "new_only", "baseline", "fixable_only", "scanner", "match", "sla"})) return;
      GateDef g;
      g.name = Name(e, "gate", i, &gate_names);
      g.pos = Pos(e);
      if (!e["max"]) {
        Error(e, "P004", "gate needs 'max' (e.g. max: {CRITICAL: 0, HIGH: 5})");
      } else if (!e["max"].IsMap()) {
        Error(e["max"], "P003", "max must be a mapping of severity to count, e.g. {CRITICAL: 0}");
      } else {
        for (auto it = e["max"].begin(); it != e["max"].end(); ++it) {
          auto l = Label(it->first, "max");
          auto n = Scalar(it->second, "max count");
          if (!l || !n) continue;
          char* end = nullptr;
          long long v = std::strtoll(n->c_str(), &end, 10);
          if (n->empty() || *end != '\0' || v < 0) {
            Error(it->second, "P003", fmt::format("max {}: '{}' is not a count (0 or more)", ToString(*l), *n));
            continue;
          }
          g.max[*l] = v;
        }
      }
      if (e["new_only"]) g.new_only = Bool(e["new_only"], "new_only").value_or(false);
      if (e["fixable_only"]) g.fixable_only = Bool(e["fixable_only"], "fixable_only").value_or(false);
      if (e["baseline"]) {
        g.baseline = Scalar(e["baseline"], "baseline").value_or("");
        if (!g.new_only) Warn(e["baseline"], "P013", "baseline only matters with new_only: true");
      }
      if (e["match"]) g.match = Match(e["match"]);
      if (e["sla"]) {
        for (const auto& x : Strings(e["sla"], "sla")) {
          auto st = ParseSlaState(x);
          if (!st || *st == SlaState::kNone) {
            Error(e["sla"], "P015", fmt::format("gate sla: '{}' is not an SLA state (breached, due_soon, ok)", x));
          } else if (std::find(g.sla.begin(), g.sla.end(), *st) == g.sla.end()) {
            g.sla.push_back(*st);
          }
        }
      }
      if (e["scanner"]) {
        auto s = Strings(e["scanner"], "scanner");
        g.match.scanners.insert(g.match.scanners.end(), s.begin(), s.end());
      }
      p_->gates.push_back(std::move(g));
    });
    std::set<std::string> action_names;
    Seq(root["actions"], "actions", [&](const YAML::Node& e, size_t i) {
      if (!CheckMap(e, "an action", {"name", "match", "on", "webhook", "jira", "command", "retry", "timeout",
                                     "connect_timeout"}))
        return;
      PolicyAction a;
      a.def.name = Name(e, "action", i, &action_names);
      a.pos = Pos(e);
      a.match = EntryMatch(e, "action", true);
      if (e["on"]) {
        a.def.on.clear();
        for (const auto& x : Strings(e["on"], "on")) {
          if (auto ev = ParseActionEvent(x)) a.def.on.push_back(*ev);
          else Error(e["on"], "P018", fmt::format("on: '{}' is not an event (new, reopened, resolved, suppressed, sla_breached)", x));
        }
      }
      int kinds = 0;
      auto str = [&](const YAML::Node& m, const char* key, std::string* out) {
        if (m[key]) {
          if (auto v = Scalar(m[key], key)) *out = *v;
        }
      };
      auto num = [&](const YAML::Node& n, const char* what, int64_t lo, int64_t hi) -> std::optional<int64_t> {
        auto v = Scalar(n, what);
        if (!v) return std::nullopt;
        int64_t x = 0;
        auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), x);
        if (ec != std::errc() || p != v->data() + v->size() || x < lo || x > hi) {
          Error(n, "P018", fmt::format("{} must be a whole number from {} to {}, not '{}'", what, lo, hi, *v));
          return std::nullopt;
        }
        return x;
      };
      if (const YAML::Node& w = e["webhook"]) {
        ++kinds;
        a.def.kind = ActionKind::kWebhook;
        if (CheckMap(w, "webhook", {"url", "format", "headers", "template", "top_n", "link_template"})) {
          str(w, "url", &a.def.webhook.url);
          str(w, "template", &a.def.webhook.template_text);
          str(w, "link_template", &a.def.webhook.link_template);
          if (w["format"]) {
            if (auto v = Scalar(w["format"], "format")) {
              if (auto f = ParseWebhookFormat(*v)) a.def.webhook.format = *f;
              else Error(w["format"], "P018", fmt::format("webhook format '{}' is not slack, teams, generic or template", *v));
            }
          }
          if (w["top_n"]) {
            if (auto n = num(w["top_n"], "top_n", 1, 40)) a.def.webhook.top_n = static_cast<int>(*n);
          }
          if (const YAML::Node& h = w["headers"]) {
            if (!h.IsMap()) Error(h, "P003", "headers must be a mapping of names to values");
            else
              for (auto it = h.begin(); it != h.end(); ++it) {
                if (auto v = Scalar(it->second, "header value")) a.def.webhook.headers[it->first.Scalar()] = *v;
              }
          }
        }
      }
      if (const YAML::Node& j = e["jira"]) {
        ++kinds;
        a.def.kind = ActionKind::kJira;
        if (CheckMap(j, "jira", {"url", "project", "issue_type", "auth", "user", "token", "priority", "labels",
                                 "transition_on_resolve", "link_template"})) {
          str(j, "url", &a.def.jira.url);
          str(j, "project", &a.def.jira.project);
          str(j, "issue_type", &a.def.jira.issue_type);
          str(j, "user", &a.def.jira.user);
          str(j, "token", &a.def.jira.token);
          str(j, "priority", &a.def.jira.priority);
          str(j, "transition_on_resolve", &a.def.jira.transition_on_resolve);
          str(j, "link_template", &a.def.jira.link_template);
          if (j["labels"]) a.def.jira.labels = Strings(j["labels"], "labels");
          if (j["auth"]) {
            if (auto v = Scalar(j["auth"], "auth")) {
              if (auto x = ParseJiraAuth(*v)) a.def.jira.auth = *x;
              else Error(j["auth"], "P018", fmt::format("jira auth '{}' is not basic or bearer", *v));
            }
          }
        }
      }
      if (const YAML::Node& c = e["command"]) {
        ++kinds;
        a.def.kind = ActionKind::kCommand;
        if (c.IsSequence() || c.IsScalar()) {
          a.def.command.argv = Strings(c, "command");
        } else if (CheckMap(c, "command", {"argv", "shell", "timeout"})) {
          if (c["argv"]) a.def.command.argv = Strings(c["argv"], "argv");
          if (c["shell"]) a.def.command.shell = Bool(c["shell"], "shell").value_or(false);
          if (c["timeout"]) {
            if (auto n = num(c["timeout"], "timeout", 1, 3600)) a.def.command.timeout_s = static_cast<int>(*n);
          }
        }
      }
      if (e["timeout"]) {
        if (auto n = num(e["timeout"], "timeout", 1, 600)) a.def.timeout_s = static_cast<int>(*n);
      }
      if (e["connect_timeout"]) {
        if (auto n = num(e["connect_timeout"], "connect_timeout", 1, 120)) a.def.connect_timeout_s = static_cast<int>(*n);
      }
      if (const YAML::Node& r = e["retry"]) {
        if (CheckMap(r, "retry", {"attempts", "backoff_ms", "max_backoff_ms"})) {
          if (r["attempts"]) {
            if (auto n = num(r["attempts"], "attempts", 1, 10)) a.def.retry.max_attempts = static_cast<int>(*n);
          }
          if (r["backoff_ms"]) {
            if (auto n = num(r["backoff_ms"], "backoff_ms", 0, 600000)) a.def.retry.initial_backoff_ms = *n;
          }
          if (r["max_backoff_ms"]) {
            if (auto n = num(r["max_backoff_ms"], "max_backoff_ms", 0, 3600000)) a.def.retry.max_backoff_ms = *n;
          }
        }
      }
      if (kinds != 1) {
        Error(e, "P018", kinds == 0 ? "action needs one of webhook, jira, command"
                                    : "action has more than one of webhook, jira, command (one per action)");
      } else {
        for (const auto& problem : ValidateAction(a.def)) {
          Error(e, "P018", fmt::format("action '{}': {}: {}", a.def.name, problem.field, problem.message));
        }
      }
      p_->actions.push_back(std::move(a));
    });
    if (root["include"]) {
      for (const auto& inc : Strings(root["include"], "include")) includes_.push_back(inc);
    }
  }

 public:
  std::vector<std::string> includes_;

 private:
  std::string file_;
  Policy* p_;
  std::vector<Diagnostic>* diags_;
  int errors_ = 0;
};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Status LoadPolicyFileDepth(const std::string& path, Policy* policy, std::vector<Diagnostic>* diags, int depth) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    diags->push_back(MakeDiagnostic(Diagnostic::Level::kError, path, 0, 0, "P011", "is a directory, not a policy file"));
    return MakeError(ErrorCode::kInvalidArgument, "policy " + path + " is a directory");
  }
  // A file included twice (a diamond, or itself) is read once.
  const std::string canon = std::filesystem::weakly_canonical(path, ec).string();
  for (const auto& done : policy->files) {
    std::error_code ec2;
    if (std::filesystem::weakly_canonical(done, ec2).string() == canon) return Status::Ok();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags->push_back(MakeDiagnostic(Diagnostic::Level::kError, path, 0, 0, "P011", "cannot read policy file"));
    return MakeError(ErrorCode::kInvalidArgument, "cannot read policy file " + path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  policy->files.push_back(path);
  // The reader follows the file name, with or without the leading dot (copies are often renamed).
  const std::string name = std::filesystem::path(path).filename().string();
  auto guarded = [&](Status (*reader)(const std::string&, const std::string&, Policy*, std::vector<Diagnostic>*)) {
    try {
      return reader(text, path, policy, diags);
    } catch (const std::exception& e) {
      diags->push_back(MakeDiagnostic(Diagnostic::Level::kError, path, 0, 0, "I104", std::string("cannot read: ") + e.what()));
      return Status(MakeError(ErrorCode::kInvalidArgument, "invalid policy " + path));
    }
  };
  if (name.find("trivyignore") != std::string::npos) {
    return guarded(EndsWith(name, ".yaml") || EndsWith(name, ".yml") ? &LoadTrivyIgnoreYaml : &LoadTrivyIgnore);
  }
  if (name.find("codeguru-ignore") != std::string::npos) return guarded(&LoadCodeGuruIgnore);
  Loader loader(path, policy, diags);
  loader.Load(text);
  bool failed = loader.failed();
  for (const auto& inc : loader.includes_) {
    std::filesystem::path p = std::filesystem::path(path).parent_path() / inc;
    if (depth > 4) {
      diags->push_back(MakeDiagnostic(Diagnostic::Level::kError, path, 0, 0, "P011", "includes nested too deeply at " + inc));
      failed = true;
      continue;
    }
    if (!LoadPolicyFileDepth(p.lexically_normal().string(), policy, diags, depth + 1).ok()) failed = true;
  }
  if (failed) return MakeError(ErrorCode::kInvalidArgument, "invalid policy " + path);
  return Status::Ok();
}

}  // namespace

Status LoadPolicyText(const std::string& text, const std::string& file, Policy* policy, std::vector<Diagnostic>* diags) {
  Loader loader(file, policy, diags);
  loader.Load(text);
  if (!loader.includes_.empty()) {
    diags->push_back(MakeDiagnostic(Diagnostic::Level::kWarning, file, 0, 0, "P011", "include is only read from policy files"));
  }
  if (loader.failed()) return MakeError(ErrorCode::kInvalidArgument, "invalid policy " + file);
  return Status::Ok();
}

Status LoadPolicyFile(const std::string& path, Policy* policy, std::vector<Diagnostic>* diags) {
  return LoadPolicyFileDepth(path, policy, diags, 0);
}

std::vector<std::string> DiscoverPolicyFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const char* name : {"findex.yml", "findex.yaml", ".codeguru-ignore.yml", ".codeguru-ignore.yaml", ".trivyignore",
                           ".trivyignore.yaml", ".trivyignore.yml"}) {
    std::filesystem::path p = std::filesystem::path(dir) / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(p, ec)) out.push_back(p.string());
  }
  return out;
}

}  // namespace findex
