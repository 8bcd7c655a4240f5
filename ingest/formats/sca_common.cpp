#include "ingest/formats/sca_common.h"

#include <cstdlib>

#include "normalize/text.h"

namespace findex::sca {

bool IsCveId(std::string_view id) { return id.size() > 4 && EqualsIgnoreCase(id.substr(0, 4), "CVE-"); }
bool IsGhsaId(std::string_view id) { return id.size() > 5 && EqualsIgnoreCase(id.substr(0, 5), "GHSA-"); }

bool IsCwe(std::string_view s) {
  if (!StartsWith(s, "CWE-") || s.size() == 4) return false;
  for (char c : s.substr(4)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string PreferredVulnId(const std::vector<std::string>& ids) {
  auto rank = [](std::string_view id) { return IsCveId(id) ? 0 : IsGhsaId(id) ? 1 : 2; };
  std::string best;
  int best_rank = 3;
  for (const auto& raw : ids) {
    std::string id = Trim(raw);
    if (id.empty()) continue;
    int r = rank(id);
    if (r < best_rank || (r == best_rank && r < 2 && ToUpper(id) < ToUpper(best))) {
      best = id;
      best_rank = r;
    }
  }
  return best;
}

std::string OsvEcosystem(std::string_view osv) {
  std::string_view base = osv.substr(0, osv.find(':'));  // "Debian:11" -> "Debian"
  std::string w = ToLower(Trim(base));
  static const struct { std::string_view from, to; } kMap[] = {
      {"packagist", "composer"}, {"rocky linux", "rpm"}, {"almalinux", "rpm"}, {"red hat", "rpm"},
      {"suse", "rpm"}, {"opensuse", "rpm"}, {"suse linux enterprise server", "rpm"}, {"mageia", "rpm"},
      {"openeuler", "rpm"}, {"azure linux", "rpm"}, {"linux", "generic"},
  };
  for (const auto& m : kMap) {
    if (w == m.from) return std::string(m.to);
  }
  return CanonicalEcosystem(w);
}

PackageId MakePackage(std::string_view ecosystem, std::string_view name, std::string_view version) {
  PackageId p{CanonicalEcosystem(ecosystem), Trim(name), Trim(version)};
  if (p.ecosystem == "golang" && !p.version.empty() && p.version[0] >= '0' && p.version[0] <= '9') {
    p.version = "v" + p.version;
  }
  return p;
}

void SetLabel(Finding& f, SeverityLabel label, std::string_view original) {
  f.severity.label = label;
  f.severity.normalized = DefaultNormalized(label);
  f.severity.original = std::string(original);
}

void SetCvssSeverity(Finding& f, double score, std::string_view original) {
  SeverityLabel label = LabelForCvss3(score);
  f.severity.label = label;
  f.severity.normalized = NormalizedForScore(score, label);
  f.severity.original = std::string(original);
}

bool ParseCvssScore(std::string_view s, double* out) {
  std::string t = Trim(s);
  if (t.empty()) return false;
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !(d >= 0 && d <= 10)) return false;
  *out = d;
  return true;
}

std::string CvssVectorVersion(std::string_view vector, std::string_view fallback) {
  if (StartsWith(vector, "CVSS:")) {
    size_t slash = vector.find('/');
    if (slash != std::string_view::npos && slash > 5) return std::string(vector.substr(5, slash - 5));
  }
  return std::string(fallback);
}

void UniqueList::Add(std::string_view s) {
  std::string t = Trim(s);
  if (t.empty() || !seen_.insert(t).second) return;
  items_.push_back(std::move(t));
}

std::string UniqueList::Join(std::string_view sep) const {
  std::string out;
  for (const auto& x : items_) {
    if (!out.empty()) out += sep;
    out += x;
  }
  return out;
}

}  // namespace findex::sca
