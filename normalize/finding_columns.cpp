#include "normalize/finding_columns.h"

#include "normalize/text.h"

namespace findex {
namespace {

constexpr char kUs = '\x1f';

std::string Entry(std::string_view v) {
  std::string s(1, kUs);
  s += v;
  s += kUs;
  return s;
}

bool IEquals(std::string_view a, std::string_view b) { return ToLower(a) == ToLower(b); }

}  // namespace

std::string_view StripDotSlash(std::string_view s) {
  while (s.size() >= 2 && s[0] == '.' && s[1] == '/') s.remove_prefix(2);
  return s;
}

std::string NormalizeCwe(std::string_view s) {
  std::string t = Trim(s);
  if (t.size() > 4 && ToUpper(t.substr(0, 4)) == "CWE-") t = t.substr(4);
  return "CWE-" + t;
}

bool MatcherReadsProductField(std::string_view key) {
  return key == "codeguru/RecommendationId" ||
         (key.size() >= 4 && IEquals(key.substr(key.size() - 4), "tags"));
}

std::vector<std::string> TagTokens(const Finding& f) {
  std::vector<std::string> have;
  for (const auto& t : f.types) {
    size_t slash = t.rfind('/');
    have.push_back(ToLower(slash == std::string::npos ? t : t.substr(slash + 1)));
  }
  for (const auto& [k, v] : f.product_fields) {
    if (k != "codeguru/RecommendationId" && MatcherReadsProductField(k)) {
      std::string tok;
      for (char c : v + ",") {
        if (c == ',' || c == ' ' || c == ';') {
          if (!tok.empty()) have.push_back(ToLower(tok));
          tok.clear();
        } else {
          tok.push_back(c);
        }
      }
    }
  }
  return have;
}

bool IsFixable(const Finding& f) {
  for (const auto& v : f.vulnerabilities) {
    if (v.fix_available == "YES" || v.fix_available == "PARTIAL") return true;
    for (const auto& p : v.vulnerable_packages) {
      if (!p.fixed_in_version.empty()) return true;
    }
  }
  return false;
}

std::vector<std::string> PolicyColumnValues(const Finding& f) {
  auto list = [](const std::vector<std::string>& v) {
    std::string s;
    if (v.empty()) return s;
    s.push_back(kUs);
    for (const auto& x : v) {
      s += x;
      s.push_back(kUs);
    }
    return s;
  };
  std::vector<std::string> cwes, vulns, packages, paths, resources;
  for (const auto& c : f.cwes) cwes.push_back(ToUpper(NormalizeCwe(c)));
  if (!f.location.file_path.empty()) paths.emplace_back(StripDotSlash(f.location.file_path));
  for (const auto& v : f.vulnerabilities) {
    vulns.push_back(ToUpper(v.id));
    for (const auto& r : v.related_vulnerabilities) vulns.push_back(ToUpper(r));
    for (const auto& p : v.vulnerable_packages) {
      packages.push_back(ToLower(p.name));
      packages.push_back(ToLower(p.name) + '\x1e' + p.version);
      if (!p.file_path.empty()) paths.emplace_back(StripDotSlash(p.file_path));
    }
  }
  for (const auto& r : f.resources) resources.push_back(r.id);
  auto rec = f.product_fields.find("codeguru/RecommendationId");
  std::string rec_ids;
  if (rec != f.product_fields.end()) rec_ids = Entry(rec->second);
  return {list(cwes),
          list(vulns),
          list(packages),
          list(paths),
          list(resources),
          list(TagTokens(f)),
          f.location.url,
          rec_ids,
          IsFixable(f) ? "1" : "0"};
}

}  // namespace findex
