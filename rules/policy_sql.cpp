#include "rules/policy_sql.h"
#include "rules/vex.h"

#include <fmt/format.h>

#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

#include "normalize/text.h"
#include "rules/gate.h"

namespace findex {

namespace {

constexpr char kUs = '\x1f';

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80 && c != '\0'; });
}

// One list entry as it appears in a contract list column: US value US.
std::string Entry(std::string_view v) {
  std::string s(1, kUs);
  s += v;
  s += kUs;
  return s;
}

std::string AnyOf(const std::vector<std::string>& parts) {
  if (parts.size() == 1) return parts.front();
  std::string s = "(";
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? " OR " : "") + parts[i];
  return s + ")";
}

// The longest run of a glob pattern without wildcards, when it is ASCII and at least 3 bytes:
// every text the pattern matches contains it. (SQLite's instr tries only character boundaries;
// an ASCII byte is always one, so the test is exact for ASCII needles.)
// For path globs, "**/" also matches nothing ("**/a.py" matches "a.py"): it is a wildcard too.
std::string Needle(std::string_view pattern, bool path) {
  std::string p(pattern);
  if (path) {
    for (size_t at; (at = p.find("**/")) != std::string::npos;) p.replace(at, 3, "*");
  }
  std::string best, cur;
  for (char c : p) {
    if (c == '*' || c == '?') {
      if (cur.size() > best.size()) best = cur;
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (cur.size() > best.size()) best = cur;
  return best.size() >= 3 && IsAscii(best) ? best : std::string();
}

// `call` (a findex_ function over `column`, 0 for a text without the needle) guarded by the
// needle's cheap instr test, so that the function runs only on candidate rows.
std::string Guarded(std::string_view pattern, const char* column, const std::string& call, bool path = false) {
  const std::string needle = Needle(pattern, path);
  if (needle.empty()) return call;
  return "(CASE WHEN instr(" + std::string(column) + ", " + SqlQuote(needle) + ") > 0 THEN " + call + " ELSE 0 END)";
}

// A wildcard glob over a column: GLOB where it is byte-for-byte the same, else findex_wild.
std::string WildSql(const std::string& pattern, const char* column) {
  if (auto g = WildcardToGlob(pattern)) return std::string(column) + " GLOB " + SqlQuote(*g);
  return Guarded(pattern, column, "findex_wild(" + SqlQuote(pattern) + ", " + column + ")");
}

// A list column holds this exact entry.
std::string HasEntry(const char* column, std::string_view v) {
  return "(instr(" + std::string(column) + ", " + SqlQuote(Entry(v)) + ") > 0)";
}

// Schema 5: "1 when `cond`, else unknown".
std::string OnlyIf(const std::string& cond) { return "(CASE WHEN " + cond + " THEN 1 END)"; }

// Whether any entry of a list column ("\x1fa\x1f\x1f" holds "a" and "") satisfies `pred`; a
// value that does not start with US is one entry (schema 5's single-valued columns); "" holds
// none. Called per row: no allocation.
template <typename Pred>
bool AnyEntry(std::string_view list, Pred&& pred) {
  if (list.empty()) return false;
  if (list[0] != kUs) return pred(list);
  size_t start = 1;
  while (start < list.size()) {
    size_t end = list.find(kUs, start);
    if (end == std::string_view::npos) end = list.size();
    if (pred(list.substr(start, end - start))) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

std::string SqlQuote(std::string_view s) {
  if (s.find('\0') != std::string_view::npos) {
    // A NUL cannot appear in an SQL literal: spell the bytes.
    static const char* kHex = "0123456789ABCDEF";
    std::string out = "CAST(X'";
    for (unsigned char c : s) {
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
    return out + "' AS TEXT)";
  }
  std::string out = "'";
  for (char c : s) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  return out + "'";
}

std::optional<std::string> WildcardToGlob(std::string_view pattern) {
  // GLOB's '*' and WildcardMatch's agree on ASCII literals (a UTF-8 sequence never contains an
  // ASCII byte); '?' does not (a character against a byte), and '[' opens a class in GLOB.
  if (!IsAscii(pattern) || pattern.find('?') != std::string_view::npos) return std::nullopt;
  std::string g;
  for (char c : pattern) {
    if (c == '[') g += "[[]";
    else g.push_back(c);
  }
  return g;
}

ColumnSet ColumnSet::FromNames(const std::set<std::string>& names) {
  ColumnSet c;
  c.full = std::all_of(std::begin(kOptionalColumns), std::end(kOptionalColumns),
                       [&](const char* n) { return names.count(n) > 0; });
  c.exploit = names.count("kev") > 0 && names.count("epss") > 0 && names.count("epss_percentile") > 0;
  return c;
}

std::string MatcherSql(const Matcher& m, const ColumnSet& cols) {
  std::vector<std::string> conds;
  if (!m.scanners.empty()) {
    std::vector<std::string> p;
    for (const auto& s : m.scanners) p.push_back("scanner = " + SqlQuote(s) + " COLLATE NOCASE");
    conds.push_back(AnyOf(p));
  }
  if (!m.scopes.empty()) {
    std::vector<std::string> p;
    for (const auto& s : m.scopes) p.push_back(WildSql(s, "scope"));
    conds.push_back(AnyOf(p));
  }
  if (!m.rules.empty()) {
    std::vector<std::string> p;
    for (const auto& s : m.rules) p.push_back(WildSql(s, "generator_id"));
    conds.push_back(AnyOf(p));
  }
  if (!m.ids.empty()) {
    std::vector<std::string> p;
    for (const auto& s : m.ids) {
      p.push_back("asff_id = " + SqlQuote(s));
      if (s.size() >= 8 && s.size() <= 32) {
        p.push_back("substr(lower(hex(fingerprint)), 1, " + std::to_string(s.size()) + ") = " + SqlQuote(ToLower(s)));
      }
      // CodeGuru's recommendation id (a product field; schema 5 has no column for it).
      p.push_back(cols.full ? HasEntry("rec_ids", s) : "NULL");
    }
    conds.push_back(AnyOf(p));
  }
  if (!m.vulns.empty()) {
    std::vector<std::string> p;
    if (cols.full) {
      for (const auto& s : m.vulns) p.push_back(HasEntry("vuln_ids", ToUpper(s)));
      conds.push_back(AnyOf(p));
    } else {
      // The first vulnerability's id only: another one, or a related id, may match.
      for (const auto& s : m.vulns) p.push_back("vuln_id = " + SqlQuote(ToUpper(s)));
      conds.push_back(OnlyIf(AnyOf(p)));
    }
  }
  if (!m.cwes.empty()) {
    std::vector<std::string> p;
    for (const auto& s : m.cwes) p.push_back(HasEntry("cwes", ToUpper(NormalizeCwe(s))));
    conds.push_back(cols.full ? AnyOf(p) : "NULL");
  }
  if (!m.packages.empty()) {
    std::vector<std::string> p, first;
    for (const auto& s : m.packages) {
      const size_t at = s.rfind('@');
      if (at == std::string::npos || at == 0) {
        p.push_back(HasEntry("packages", ToLower(s)));
        first.push_back("package = " + SqlQuote(s) + " COLLATE NOCASE");
      } else {
        p.push_back(HasEntry("packages", ToLower(s.substr(0, at)) + '\x1e' + s.substr(at + 1)));
      }
    }
    if (cols.full) conds.push_back(AnyOf(p));
    else conds.push_back(first.empty() ? std::string("NULL") : OnlyIf(AnyOf(first)));
  }
  if (!m.tags.empty()) {
    std::vector<std::string> p;
    for (const auto& s : m.tags) p.push_back(HasEntry("tags", ToLower(s)));
    conds.push_back(cols.full ? AnyOf(p) : "NULL");
  }
  if (!m.paths.empty()) {
    std::vector<std::string> p;
    for (const auto& s : m.paths) {
      const std::string_view pat = StripDotSlash(s);
      p.push_back(Guarded(pat, "file_paths", "findex_path_any(" + SqlQuote(pat) + ", file_paths)", true));
    }
    conds.push_back(cols.full ? AnyOf(p) : "NULL");
  }
  if (!m.url_prefixes.empty()) {
    std::vector<std::string> p, first;
    for (const auto& s : m.url_prefixes) {
      p.push_back("findex_prefix_any(" + SqlQuote(s) + ", url)");
      p.push_back("findex_prefix_any(" + SqlQuote(s) + ", resource_ids)");
      first.push_back("findex_prefix_any(" + SqlQuote(s) + ", resource_id) = 1");
    }
    conds.push_back(cols.full ? AnyOf(p) : OnlyIf(AnyOf(first)));
  }
  if (!m.resources.empty()) {
    std::vector<std::string> p, first;
    for (const auto& s : m.resources) {
      p.push_back(Guarded(s, "resource_ids", "findex_wild_any(" + SqlQuote(s) + ", resource_ids)"));
      first.push_back(Guarded(s, "resource_id", "findex_wild_any(" + SqlQuote(s) + ", resource_id)") + " = 1");
    }
    conds.push_back(cols.full ? AnyOf(p) : OnlyIf(AnyOf(first)));
  }
  // Exploitation data (schema 7 columns, SummarizeExploit's values): NULL there is "no data",
  // which matches none of these (a definite 0, not unknown).
  if (m.kev) conds.push_back(cols.exploit ? std::string("(kev IS NOT NULL AND kev = ") + (*m.kev ? "1" : "0") + ")" : "NULL");
  if (m.epss_at_least) {
    conds.push_back(cols.exploit ? fmt::format("(epss IS NOT NULL AND epss >= {:.17g})", *m.epss_at_least) : "NULL");
  }
  if (m.epss_percentile_at_least) {
    conds.push_back(cols.exploit ? fmt::format("(epss_percentile IS NOT NULL AND epss_percentile >= {:.17g})",
                                               *m.epss_percentile_at_least)
                                 : "NULL");
  }
  if (m.title_regex) conds.push_back("findex_re(" + SqlQuote(m.title_regex_text) + ", title)");
  // Kleene AND, lazily: the conditions cheapest first (columns, then instr, then functions); a
  // later one is evaluated only when the earlier ones are not 0. L(c, rest) = CASE WHEN c = 0
  // THEN 0 ELSE (c AND rest) END: 0 when c is 0; c AND rest otherwise (NULL when c is NULL and
  // rest is not 0).
  if (conds.empty()) return "1";
  std::string s = conds.back();
  for (size_t i = conds.size() - 1; i-- > 0;) {
    s = "(CASE WHEN " + conds[i] + " = 0 THEN 0 ELSE (" + conds[i] + " AND " + s + ") END)";
  }
  return s;
}

PolicyProgram CompilePolicy(const Policy* policy, const std::vector<GateDef>& gates, const ColumnSet& cols) {
  PolicyProgram p;
  auto add = [&](const Matcher& m) {
    p.exprs.push_back(MatcherSql(m, cols));
    return static_cast<int>(p.exprs.size() - 1);
  };
  if (policy) {
    for (const auto& o : policy->overrides) p.override_slot.push_back(add(o.match));
    for (const auto& s : policy->suppressions) p.suppression_slot.push_back(add(s.match));
    for (const auto& r : policy->rules) p.rule_slot.push_back(add(r.match));
    if (policy->vex && !policy->vex->empty()) {
      // Only a pre-filter: purls and versions are not columns.
      std::string expr = "NULL";
      const std::vector<std::string> ids = policy->vex->VulnIds();
      if (cols.full && ids.size() <= 256) {
        std::vector<std::string> any;
        for (const auto& id : ids) any.push_back(HasEntry("vuln_ids", id));
        expr = "(CASE WHEN " + AnyOf(any) + " THEN NULL ELSE 0 END)";
      } else if (!cols.full) {
        expr = "(CASE WHEN vuln_id IS NULL THEN 0 END)";
      }
      p.exprs.push_back(expr);
      p.vex_slot = static_cast<int>(p.exprs.size() - 1);
    }
  }
  for (const auto& g : gates) {
    p.gate_slot.push_back(g.match.empty() ? -1 : add(g.match));
    if (g.fixable_only) {
      p.exprs.push_back(cols.full ? "fixable" : "NULL");
      p.fixable_slot.push_back(static_cast<int>(p.exprs.size() - 1));
    } else {
      p.fixable_slot.push_back(-1);
    }
  }
  return p;
}

std::vector<SqlFunctionDef> PolicySqlFunctions() {
  std::vector<SqlFunctionDef> out;
  auto text = [](const std::vector<std::optional<std::string_view>>& a, size_t i) -> std::optional<std::string_view> {
    return i < a.size() ? a[i] : std::nullopt;
  };
  // Compiled patterns, by pattern text (a policy has a few).
  struct ReCache {
    std::mutex mu;
    std::map<std::string, std::shared_ptr<RE2>, std::less<>> re;
  };
  auto cache = std::make_shared<ReCache>();
  out.push_back({"findex_re", 2, [cache, text](const auto& a) {
                   auto p = text(a, 0), t = text(a, 1);
                   if (!p || !t) return 0;
                   std::shared_ptr<RE2> re;
                   {
                     std::lock_guard<std::mutex> lock(cache->mu);
                     auto it = cache->re.find(*p);
                     if (it == cache->re.end()) {
                       RE2::Options opts;
                       opts.set_log_errors(false);
                       it = cache->re.emplace(std::string(*p), std::make_shared<RE2>(std::string(*p), opts)).first;
                     }
                     re = it->second;
                   }
                   if (!re->ok()) return 0;
                   return RE2::PartialMatch(re2::StringPiece(t->data(), t->size()), *re) ? 1 : 0;
                 }});
  out.push_back({"findex_wild", 2, [text](const auto& a) {
                   auto p = text(a, 0), t = text(a, 1);
                   return p && t && WildcardMatch(*p, *t) ? 1 : 0;
                 }});
  out.push_back({"findex_path_any", 2, [text](const auto& a) {
                   auto p = text(a, 0), l = text(a, 1);
                   if (!p || !l) return 0;
                   return AnyEntry(*l, [&](std::string_view e) { return GlobMatch(*p, e); }) ? 1 : 0;
                 }});
  out.push_back({"findex_wild_any", 2, [text](const auto& a) {
                   auto p = text(a, 0), l = text(a, 1);
                   if (!p || !l) return 0;
                   return AnyEntry(*l, [&](std::string_view e) { return WildcardMatch(*p, e); }) ? 1 : 0;
                 }});
  out.push_back({"findex_prefix_any", 2, [text](const auto& a) {
                   auto p = text(a, 0), l = text(a, 1);
                   if (!p || !l) return 0;
                   return AnyEntry(*l, [&](std::string_view e) { return StartsWith(e, *p); }) ? 1 : 0;
                 }});
  return out;
}


}  // namespace findex
