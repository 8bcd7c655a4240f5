#include "normalize/fingerprint.h"

#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "normalize/text.h"

namespace findex {

Fingerprint FingerprintOfBytes(std::string_view bytes) {
  XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, h);
  Fingerprint fp;
  std::memcpy(fp.bytes.data(), c.digest, 16);
  return fp;
}

Fingerprint FingerprintOf(std::initializer_list<std::string_view> parts) {
  // One hash call over the joined parts (measured ~6x cheaper than the streaming API).
  std::string buf;
  size_t total = 0;
  for (auto p : parts) total += p.size() + 1;
  buf.reserve(total);
  for (auto p : parts) {
    buf.append(p);
    buf.push_back('\x1f');
  }
  return FingerprintOfBytes(buf);
}

uint64_t Hash64(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

std::string Hex64(uint64_t v) {
  static const char* kHex = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i) {
    s[static_cast<size_t>(i)] = kHex[v & 15];
    v >>= 4;
  }
  return s;
}

std::string NormalizeSnippet(std::string_view snippet) { return CollapseWhitespace(snippet); }

}  // namespace findex

namespace findex {
namespace {

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Ecosystems whose package names are case-insensitive (purl spec: name is lower-cased).
bool CaseInsensitive(std::string_view eco) {
  return eco == "npm" || eco == "pypi" || eco == "nuget" || eco == "composer" || eco == "golang" ||
         eco == "deb" || eco == "apk" || eco == "github";
}

}  // namespace

std::string CanonicalEcosystem(std::string_view word) {
  std::string w = ToLower(Trim(word));
  static const struct { std::string_view from, to; } kMap[] = {
      {"node-pkg", "npm"},        {"node", "npm"},          {"javascript", "npm"},   {"yarn", "npm"},
      {"pnpm", "npm"},            {"python-pkg", "pypi"},   {"python", "pypi"},      {"pip", "pypi"},
      {"pipenv", "pypi"},         {"poetry", "pypi"},       {"wheel", "pypi"},       {"egg", "pypi"},
      {"java-archive", "maven"},  {"jar", "maven"},         {"java", "maven"},       {"pom", "maven"},
      {"gradle", "maven"},        {"gobinary", "golang"},   {"gomod", "golang"},     {"go-module", "golang"},
      {"go", "golang"},           {"rust-crate", "cargo"},  {"rust", "cargo"},       {"crates.io", "cargo"},
      {"gemspec", "gem"},         {"bundler", "gem"},       {"ruby", "gem"},         {"rubygems", "gem"},
      {"dotnet", "nuget"},        {"dotnet-core", "nuget"}, {"php-composer", "composer"}, {"php", "composer"},
      {"debian", "deb"},          {"ubuntu", "deb"},        {"dpkg", "deb"},         {"alpine", "apk"},
      {"redhat", "rpm"},          {"centos", "rpm"},        {"amazon", "rpm"},       {"rocky", "rpm"},
      {"alma", "rpm"},            {"oracle", "rpm"},        {"suse", "rpm"},         {"photon", "rpm"},
      {"cbl-mariner", "rpm"},     {"wolfi", "apk"},         {"chainguard", "apk"},
  };
  for (const auto& m : kMap) {
    if (w == m.from) return std::string(m.to);
  }
  return w;
}

PackageId ParsePurl(std::string_view purl) {
  PackageId id;
  if (!StartsWith(purl, "pkg:")) return id;
  std::string_view rest = purl.substr(4);
  while (!rest.empty() && rest[0] == '/') rest.remove_prefix(1);
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  std::string epoch;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    // deb/rpm purls carry the epoch as a qualifier; scanners that print versions write it
    // as "epoch:version", which is the form identities use.
    std::string_view quals = rest.substr(q + 1);
    size_t start = 0;
    while (start <= quals.size()) {
      size_t amp = quals.find('&', start);
      if (amp == std::string_view::npos) amp = quals.size();
      std::string_view kv = quals.substr(start, amp - start);
      if (StartsWith(kv, "epoch=")) epoch = PercentDecode(kv.substr(6));
      start = amp + 1;
    }
    rest = rest.substr(0, q);
  }
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return id;
  id.ecosystem = ToLower(rest.substr(0, slash));
  rest = rest.substr(slash + 1);
  if (size_t at = rest.rfind('@'); at != std::string_view::npos && at > 0) {
    id.version = PercentDecode(rest.substr(at + 1));
    rest = rest.substr(0, at);
  }
  std::string path = PercentDecode(rest);
  size_t last = path.rfind('/');
  std::string ns = last == std::string::npos ? "" : path.substr(0, last);
  std::string name = last == std::string::npos ? path : path.substr(last + 1);
  if (id.ecosystem == "maven") {
    id.name = ns.empty() ? name : ns + ":" + name;
  } else if (id.ecosystem == "npm") {
    id.name = ns.empty() ? name : ns + "/" + name;  // "@scope/name"
  } else if (id.ecosystem == "deb" || id.ecosystem == "rpm" || id.ecosystem == "apk") {
    id.name = name;  // namespace is the distro vendor; the package is the same problem
  } else {
    id.name = ns.empty() ? name : ns + "/" + name;
  }
  if (CaseInsensitive(id.ecosystem)) id.name = ToLower(id.name);
  if (!epoch.empty() && epoch != "0" && id.version.find(':') == std::string::npos) id.version = epoch + ":" + id.version;
  return id;
}

// PEP 503 normalised name (https://peps.python.org/pep-0503/#normalized-names): lower-cased,
// each run of '-', '_' and '.' one '-'. PyPI treats "Zope.Interface", "zope_interface" and
// "zope-interface" as one project; Trivy's purls replace only '_', pip-audit writes the
// canonical name, so identities compare the PEP 503 form.
static std::string Pep503(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      if (out.empty() || out.back() != '-') out.push_back('-');
    } else {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  return out;
}

Fingerprint VulnFingerprint(std::string_view vuln_id, const PackageId& pkg) {
  std::string eco = CanonicalEcosystem(pkg.ecosystem);
  std::string name = eco == "pypi" ? Pep503(Trim(pkg.name)) : CaseInsensitive(eco) ? ToLower(pkg.name) : std::string(pkg.name);
  return FingerprintOf({"vuln", ToUpper(Trim(vuln_id)), eco, name, Trim(pkg.version)});
}

AltIdentities VulnAltIdentities(const Finding& f) {
  AltIdentities out;
  if (f.vulnerabilities.empty() || f.vulnerabilities.front().vulnerable_packages.empty()) return out;
  const Vulnerability& v = f.vulnerabilities.front();
  const VulnerablePackage& p = v.vulnerable_packages.front();
  // The package as the reader identified it: the one whose VulnFingerprint is the finding's.
  PackageId pkg;
  bool found = false;
  auto try_pkg = [&](PackageId c) {
    if (found || c.empty()) return;
    if (c.version.empty()) c.version = p.version;
    if (VulnFingerprint(v.id, c) == f.fingerprint) {
      pkg = std::move(c);
      found = true;
    }
  };
  if (!p.purl.empty()) try_pkg(ParsePurl(p.purl));
  if (!p.package_manager.empty()) try_pkg(PackageId{CanonicalEcosystem(p.package_manager), p.name, p.version});
  if (!found) return out;
  if (Trim(pkg.version).empty()) {
    out.versionless = true;
    return out;
  }
  pkg.version.clear();
  auto add = [&](std::string_view id) {
    if (Trim(id).empty()) return;
    const Fingerprint k = VulnFingerprint(id, pkg);
    if (k == f.fingerprint || std::find(out.keys.begin(), out.keys.end(), k) != out.keys.end()) return;
    out.keys.push_back(k);
  };
  add(v.id);
  for (const auto& r : v.related_vulnerabilities) add(r);
  return out;
}

Fingerprint CodeFingerprint(std::string_view tool, std::string_view rule_id, std::string_view file_path,
                            std::string_view anchor) {
  return FingerprintOf({"code", ToLower(tool), rule_id, file_path, anchor});
}

}  // namespace findex
