// OWASP Dependency-Check mapping shared by the JSON and XML readers.
//
// Findings: one per vulnerability the report lists on a <dependency> (and one per suppressed
// vulnerability). Dependency-Check bundles files it considers the same library -- the same jar
// at two paths, npm packages of one name, a jar and its sibling artifacts -- as
// relatedDependencies and lists every vulnerability once, on the bundle's first file: the
// finding is that dependency's, and each related file is a further Resource of it (id its path,
// Details.Other RelatedDependency "true" and its own purl when it has one). A finding per
// related file, as DefectDojo once did (and reverted), multiplies one problem to fix into
// several. Files of the bundle that resolve to the dependency's own package
// identity are listed in VulnerablePackages with their paths. `suppressedVulnerabilities` (XML
// <suppressedVulnerability>, inside <vulnerabilities> or a <suppressedVulnerabilities> wrapper)
// are findings with workflow SUPPRESSED. A dependency without vulnerabilities gives no finding;
// analysisExceptions (scan errors) are not findings and are ignored.
//
// Package identity: the first software identifier that is a purl (JSON packages[].id /
// relatedDependencies[].packageIds[].id, XML identifiers/package/id) through ParsePurl; else
// the schema 1.3 <identifier type="maven"> group:artifact:version. Evidence (vendor/product/
// version guesses with confidences) is not an identity and is not read.
//
// Identity (fingerprint): VulnFingerprint(vulnerability name, package) when the package is
// known, so the same CVE in the same package version is one finding across Dependency-Check,
// Trivy, Grype, ... and the same package at two paths of one scan is one problem to fix (two
// dependencies of one report that resolve to one package give two records with one
// fingerprint, deduplicated downstream like any repeated finding). Without a package identity:
// FingerprintOf({"dependency-check", NAME, file path}) with '\' turned into '/' and repeated
// separators collapsed (the scan machine's absolute path: stable for one CI workspace). Within
// one dependency a repeated (vulnerability, identity) pair is emitted once.
//
// Severity: CVSS v4 base score, else v3 base score, with the FIRST qualitative scale
// (CVSS v3.1 specification section 5, v4.0 specification section 2.2: >= 9.0 CRITICAL, >= 7.0
// HIGH, >= 4.0 MEDIUM, > 0 LOW, 0 INFORMATIONAL); else the CVSS v2 score with NVD's v2 bands
// (https://nvd.nist.gov/vuln-metrics/cvss: >= 7.0 HIGH, >= 4.0 MEDIUM, else LOW); else the
// severity word Dependency-Check copies from NPM audit / OSS Index / RetireJS for unscored
// vulnerabilities (kSeverityWords below); anything else ("Unknown") is MEDIUM.
// Severity.Original is the report's <severity> (or the score used when there is none).
//
// Fix: FixedInVersion (and FixAvailable YES) is the versionEndExcluding of the vulnerableSoftware
// entry marked vulnerabilityIdMatched, only when that CPE's product names the package: the
// range counts in the product's versions (apache:karaf 4.2.0 is no version of cxf-karaf-
// commands, apache:commons_net 3.9.0 none of commons-codec). Otherwise FixAvailable is left out
// (unknown) and the raw bound stays in ProductFields.
//
// Exploitation (issue 11): a vulnerability with a knownExploitedVulnerability block (JSON
// {"VendorProject", "Product", "Name", "DateAdded", "Description", "RequiredAction", "DueDate",
// "Notes"}, XML <knownExploitedVulnerability> with the same members in lower camel case; schema
// dependency-check.4.1.xsd, all strings) is listed in CISA KEV: kev 1, DateAdded and DueDate when
// they are YYYY-MM-DD dates, ExploitAvailable YES. Dependency-Check copies no
// knownRansomwareCampaignUse (ransomware stays "no data") and no EPSS; a vulnerability without the
// block is "no data" too (older engines and some runs do not check the catalog). The texts
// stay in ProductFields (KnownExploited, KevDateAdded, KevDueDate, KevRequiredAction).
//
// Confidence: Dependency-Check's identifier confidence (HIGHEST/HIGH/MEDIUM/LOW) of what the
// match rests on: for NVD vulnerabilities the vulnerabilityIds CPE whose vendor:product is
// the matched vulnerableSoftware's, for package-based sources (OSS Index, NPM, RetireJS) the
// package identifier's.
#include "ingest/formats/dependency_check_common.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <set>
#include <unordered_map>
#include <utility>

#include "ingest/formats/exploit_common.h"
#include "normalize/fingerprint.h"
#include "normalize/severity.h"
#include "normalize/text.h"

namespace findex::dc {

std::string_view TrimView(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

void Vuln::AddSoftware(std::string_view cpe, bool matched, std::string_view end_excluding) {
  if (!matched || has_matched) return;
  has_matched = true;
  matched_cpe = TrimView(cpe);
  fixed_version = TrimView(end_excluding);
}

std::string_view* CvssSlot(CvssBlock& b, std::string_view key) {
  if (key == "score" || key == "baseScore") return &b.score;
  if (key == "version") return &b.version;
  if (key == "vectorString") return &b.vector;
  if (key == "severity" || StartsWith(key, "baseSeverity")) return &b.severity;  // old JSON: "baseSeverity>"
  if (key == "source") return &b.source;
  if (key == "accessVector" || key == "attackVector") return &b.av;
  if (key == "accessComplexity" || key == "attackComplexity") return &b.ac;
  if (StartsWith(key, "authentication")) return &b.au;  // "authenticationr", old JSON "authenticationr>"
  if (key == "privilegesRequired") return &b.pr;
  if (key == "userInteraction") return &b.ui;
  if (key == "scope") return &b.scope;
  if (key == "confidentialImpact" || key == "confidentialityImpact") return &b.c;
  if (key == "integrityImpact") return &b.i;
  if (key == "availabilityImpact") return &b.a;
  return nullptr;
}

void Dependency::Clear() {
  main = Entry{};
  related.clear();
  description = license = {};
  project_refs.clear();
  cpes.clear();
  vulns.clear();
  suppressed.clear();
  bad.clear();
}

namespace {

constexpr std::string_view kScanner = "dependency-check";

// Unscored severities: NPM audit (info, low, moderate, high, critical), OSS Index and RetireJS
// (low, medium, high, critical), as Dependency-Check copies them into <severity unscored>.
constexpr struct {
  std::string_view word;
  SeverityLabel label;
} kSeverityWords[] = {
    {"critical", SeverityLabel::kCritical}, {"high", SeverityLabel::kHigh},
    {"medium", SeverityLabel::kMedium},     {"moderate", SeverityLabel::kMedium},
    {"low", SeverityLabel::kLow},           {"info", SeverityLabel::kInformational},
    {"informational", SeverityLabel::kInformational}, {"none", SeverityLabel::kInformational},
};

// Dependency-Check's Confidence enum, as 0..100.
int ConfidenceValue(std::string_view c) {
  c = TrimView(c);
  if (EqualsIgnoreCase(c, "HIGHEST")) return 100;
  if (EqualsIgnoreCase(c, "HIGH")) return 75;
  if (EqualsIgnoreCase(c, "MEDIUM")) return 50;
  if (EqualsIgnoreCase(c, "LOW")) return 25;
  return -1;
}

bool ParseScore(std::string_view text, double* out) {
  std::string t(TrimView(text));
  if (t.empty()) return false;
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !std::isfinite(d) || d < 0 || d > 10) return false;
  *out = d;
  return true;
}

std::string FormatScore(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", d);
  return buf;
}

// Letter of a CVSS metric value given as a word ("ADJACENT_NETWORK") or already as a letter.
struct Metric {
  std::string_view word;
  char letter;
};
char MetricLetter(std::string_view value, std::initializer_list<Metric> table) {
  value = TrimView(value);
  for (const auto& m : table) {
    if (EqualsIgnoreCase(value, m.word) || (value.size() == 1 && std::toupper(static_cast<unsigned char>(value[0])) == m.letter))
      return m.letter;
  }
  return 0;
}

// Dependency-Check reports v2/v3 metrics one by one; the vector is rebuilt so that other tools'
// findings of the same CVE carry a comparable BaseVector. Empty when a metric is unknown.
std::string Cvss2Vector(const CvssBlock& b) {
  char av = MetricLetter(b.av, {{"NETWORK", 'N'}, {"ADJACENT_NETWORK", 'A'}, {"LOCAL", 'L'}});
  char ac = MetricLetter(b.ac, {{"LOW", 'L'}, {"MEDIUM", 'M'}, {"HIGH", 'H'}});
  char au = MetricLetter(b.au, {{"NONE", 'N'}, {"SINGLE", 'S'}, {"SINGLE_INSTANCE", 'S'}, {"MULTIPLE", 'M'},
                                {"MULTIPLE_INSTANCES", 'M'}});
  std::initializer_list<Metric> impact = {{"NONE", 'N'}, {"PARTIAL", 'P'}, {"COMPLETE", 'C'}};
  char c = MetricLetter(b.c, impact), i = MetricLetter(b.i, impact), a = MetricLetter(b.a, impact);
  if (!av || !ac || !au || !c || !i || !a) return "";
  return std::string("AV:") + av + "/AC:" + ac + "/Au:" + au + "/C:" + c + "/I:" + i + "/A:" + a;
}

std::string Cvss3Vector(const CvssBlock& b, std::string_view version) {
  if (version != "3.0" && version != "3.1") return "";
  char av = MetricLetter(b.av, {{"NETWORK", 'N'}, {"ADJACENT_NETWORK", 'A'}, {"ADJACENT", 'A'}, {"LOCAL", 'L'},
                                {"PHYSICAL", 'P'}});
  char ac = MetricLetter(b.ac, {{"LOW", 'L'}, {"HIGH", 'H'}});
  std::initializer_list<Metric> nlh = {{"NONE", 'N'}, {"LOW", 'L'}, {"HIGH", 'H'}};
  char pr = MetricLetter(b.pr, nlh);
  char ui = MetricLetter(b.ui, {{"NONE", 'N'}, {"REQUIRED", 'R'}});
  char s = MetricLetter(b.scope, {{"UNCHANGED", 'U'}, {"CHANGED", 'C'}});
  char c = MetricLetter(b.c, nlh), i = MetricLetter(b.i, nlh), a = MetricLetter(b.a, nlh);
  if (!av || !ac || !pr || !ui || !s || !c || !i || !a) return "";
  return "CVSS:" + std::string(version) + "/AV:" + av + "/AC:" + ac + "/PR:" + pr + "/UI:" + ui + "/S:" + s +
         "/C:" + c + "/I:" + i + "/A:" + a;
}

// "CWE-79" from "CWE-79", "CWE-00079 Some name"; "" for NVD-CWE-noinfo / NVD-CWE-Other and
// non-positive numbers (they name no weakness).
std::string NormalizeCwe(std::string_view raw) {
  raw = TrimView(raw);
  if (raw.size() < 5 || !EqualsIgnoreCase(raw.substr(0, 4), "CWE-")) return "";
  uint64_t n = 0;
  size_t i = 4;
  for (; i < raw.size() && std::isdigit(static_cast<unsigned char>(raw[i])) && n < 100000000; ++i) n = n * 10 + (raw[i] - '0');
  if (i == 4 || n == 0) return "";
  return "CWE-" + std::to_string(n);
}

// "a:vendor:product" of a CPE 2.3 ("cpe:2.3:a:v:p:...") or 2.2 URI ("cpe:/a:v:p:..."), lower-cased.
std::string CpeVendorProduct(std::string_view cpe) {
  cpe = TrimView(cpe);
  std::string_view rest;
  if (StartsWith(cpe, "cpe:2.3:")) rest = cpe.substr(8);
  else if (StartsWith(cpe, "cpe:/")) rest = cpe.substr(5);
  else return "";
  size_t p1 = rest.find(':');
  if (p1 == std::string_view::npos) return "";
  size_t p2 = rest.find(':', p1 + 1);
  if (p2 == std::string_view::npos) return "";
  size_t p3 = rest.find(':', p2 + 1);
  return ToLower(rest.substr(0, p3));
}

// Lower-case, '_' and '.' as '-', CPE escapes dropped: "commons_net" ~ "commons-net".
std::string NameKey(std::string_view s) {
  std::string out;
  for (char c : TrimView(s)) {
    if (c == '\\') continue;
    out.push_back(c == '_' || c == '.' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

// True when the CPE's product is the package (log4j-core for apache:log4j counts: a product's
// artifacts carry its name and version; cxf-karaf-commands for apache:karaf does not).
bool CpeNamesPackage(std::string_view cpe, const PackageId& pkg) {
  std::string vp = CpeVendorProduct(cpe);
  size_t colon = vp.rfind(':');
  if (colon == std::string::npos) return false;
  std::string product = NameKey(std::string_view(vp).substr(colon + 1));
  size_t sep = pkg.name.find_last_of(":/");
  std::string artifact = NameKey(sep == std::string::npos ? std::string_view(pkg.name) : std::string_view(pkg.name).substr(sep + 1));
  if (product.empty() || product == "*" || artifact.empty()) return false;
  return artifact == product || StartsWith(artifact, product + "-") || StartsWith(product, artifact + "-");
}

std::string NormalizePath(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (char ch : TrimView(path)) {
    if (ch == '\\') ch = '/';
    if (ch == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(ch);
  }
  return out;
}

// Display name of a file: Dependency-Check writes "outer.ear: inner.jar"; the last part names it.
std::string_view ShortFileName(const Entry& e) {
  std::string_view n = TrimView(e.file_name);
  if (n.empty()) {
    std::string_view p = TrimView(e.file_path);
    size_t s = p.find_last_of("/\\");
    n = s == std::string_view::npos ? p : p.substr(s + 1);
  }
  size_t colon = n.rfind(": ");
  return colon == std::string_view::npos ? n : n.substr(colon + 2);
}

// The package a file resolves to.
struct Identity {
  bool known = false;
  PackageId pkg;
  std::string purl;            // as reported (or built from a 1.3 maven GAV)
  std::string_view confidence; // of the purl identifier
  std::string key;             // groups files of one dependency
};

Identity ResolveOwn(const Entry& e) {
  Identity id;
  for (const auto& p : e.packages) {
    std::string_view purl = TrimView(p.id);
    PackageId pkg = ParsePurl(purl);
    if (pkg.empty()) continue;
    id.known = true;
    id.pkg = std::move(pkg);
    id.purl = std::string(purl);
    id.confidence = p.confidence;
    break;
  }
  if (!id.known && !e.maven_gav.empty()) {
    std::string_view gav = TrimView(e.maven_gav);
    size_t c1 = gav.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : gav.find(':', c1 + 1);
    if (c2 != std::string_view::npos && c1 > 0 && c2 > c1 + 1 && c2 + 1 < gav.size()) {
      id.known = true;
      id.pkg = PackageId{"maven", std::string(gav.substr(0, c2)), std::string(gav.substr(c2 + 1))};
      id.purl = "pkg:maven/" + std::string(gav.substr(0, c1)) + "/" + std::string(gav.substr(c1 + 1, c2 - c1 - 1)) +
                "@" + std::string(gav.substr(c2 + 1));
    }
  }
  if (id.known) {
    id.pkg.ecosystem = CanonicalEcosystem(id.pkg.ecosystem);
    id.key = "pkg\x1f" + id.pkg.ecosystem + '\x1f' + id.pkg.name + '\x1f' + id.pkg.version;
  } else {
    std::string_view path = TrimView(e.file_path).empty() ? TrimView(e.file_name) : TrimView(e.file_path);
    id.key = "path\x1f" + NormalizePath(path);
  }
  return id;
}

struct Group {
  Identity id;
  std::vector<const Entry*> entries;
  bool has_main = false;
};

std::vector<Group> GroupEntries(const Dependency& dep, const Identity& main_id) {
  std::vector<Group> groups;
  std::unordered_map<std::string, size_t> index;
  auto add = [&](Identity id, const Entry* e, bool is_main) {
    auto [it, inserted] = index.emplace(id.key, groups.size());
    if (inserted) groups.push_back(Group{std::move(id), {}, false});
    Group& g = groups[it->second];
    g.entries.push_back(e);
    g.has_main |= is_main;
  };
  add(main_id, &dep.main, true);
  for (const auto& r : dep.related) {
    Identity id = ResolveOwn(r);
    if (!id.known && main_id.known) id = main_id;  // the parent's package at another path
    add(std::move(id), &r, false);
  }
  return groups;
}

std::string PackageDisplay(const Group& g) {
  if (!g.id.known) return std::string(ShortFileName(*g.entries.front()));
  std::string name = g.id.pkg.name;
  if (g.id.pkg.ecosystem == "maven") {
    size_t colon = name.rfind(':');
    if (colon != std::string::npos) name = name.substr(colon + 1);
  }
  return g.id.pkg.version.empty() ? name : name + " " + g.id.pkg.version;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

void ApplySeverity(const Vuln& v, Finding& f) {
  std::string_view word = TrimView(v.severity);
  const CvssBlock* by = nullptr;
  SeverityLabel label = SeverityLabel::kMedium;
  if (v.v4.value >= 0) {
    by = &v.v4;
    label = LabelForCvss3(v.v4.value);
  } else if (v.v3.value >= 0) {
    by = &v.v3;
    label = LabelForCvss3(v.v3.value);
  } else if (v.v2.value >= 0) {
    by = &v.v2;
    label = LabelForCvss2(v.v2.value);
  } else {
    for (const auto& w : kSeverityWords) {
      if (EqualsIgnoreCase(word, w.word)) label = w.label;
    }
  }
  f.severity.label = label;
  f.severity.normalized = by ? NormalizedForScore(by->value, label) : DefaultNormalized(label);
  f.severity.original = !word.empty() ? std::string(word) : by ? FormatScore(by->value) : std::string();
}

void AddCvss(const CvssBlock& b, int major, std::string_view vuln_source, Vulnerability& out) {
  if (b.value < 0) return;
  Cvss c;
  c.base_score = b.value;
  std::string_view version = TrimView(b.version);
  if (major == 2) {
    c.version = version.empty() ? "2.0" : std::string(version);
    c.base_vector = Cvss2Vector(b);
  } else if (major == 3) {
    c.version = std::string(version);
    c.base_vector = Cvss3Vector(b, version);
  } else {
    c.version = version.empty() ? "4.0" : std::string(version);
    c.base_vector = std::string(TrimView(b.vector));
  }
  std::string_view src = TrimView(b.source);
  c.source = std::string(src.empty() ? vuln_source : src);
  out.cvss.push_back(std::move(c));
}

int VulnConfidence(const Vuln& v, const Dependency& dep, const Identity& main_id) {
  std::string_view source = TrimView(v.source);
  if (source.empty() || EqualsIgnoreCase(source, "NVD")) {
    if (!v.has_matched) return -1;
    std::string want = CpeVendorProduct(v.matched_cpe);
    if (want.empty()) return -1;
    for (const auto& c : dep.cpes) {
      if (CpeVendorProduct(c.id) == want) return ConfidenceValue(c.confidence);
    }
    return -1;
  }
  return main_id.known ? ConfidenceValue(main_id.confidence) : -1;
}

// The Resource of one scanned file of a dependency: its package (purl) when known, else its path.
Resource EntryResource(const Dependency& dep, const Group& g, const Entry& e, bool is_main) {
  Resource r;
  r.type = "Other";
  std::string_view path = TrimView(e.file_path);
  std::string_view file = path.empty() ? TrimView(e.file_name) : path;
  // The dependency is named by its package; a related file by its own path (it may share the
  // dependency's package: the same jar elsewhere).
  r.id = is_main ? (g.id.known ? g.id.purl : std::string(file)) : (!file.empty() ? std::string(file) : g.id.purl);
  auto detail = [&r](const char* key, std::string_view value) {
    value = TrimView(value);
    if (!value.empty()) r.details_other[key] = std::string(value);
  };
  detail("FileName", e.file_name);
  detail("FilePath", e.file_path);
  detail("Md5", e.md5);
  detail("Sha1", e.sha1);
  detail("Sha256", e.sha256);
  // A related file without a package id of its own shares the dependency's: no Purl of its own.
  if (g.id.known && (is_main || !e.packages.empty() || !TrimView(e.maven_gav).empty())) detail("Purl", g.id.purl);
  if (e.is_virtual) detail("IsVirtual", "true");
  if (is_main) {
    detail("Description", dep.description);
    detail("License", dep.license);
    std::string refs;
    for (auto ref : dep.project_refs) {
      ref = TrimView(ref);
      if (!ref.empty()) refs += (refs.empty() ? "" : "; ") + std::string(ref);
    }
    detail("ProjectReferences", refs);
  } else {
    detail("RelatedDependency", "true");
  }
  return r;
}

Finding MakeFinding(const ReportInfo& info, const Dependency& dep, const Vuln& v, const Group& g, int confidence) {
  Finding f;
  f.scanner = std::string(kScanner);
  f.format = info.format;
  f.product_name = "OWASP Dependency-Check";
  f.company_name = "OWASP";
  std::string name(TrimView(v.name));
  std::string source = ToUpper(TrimView(v.source));
  f.generator_id = source.empty() ? std::string(kScanner) : std::string(kScanner) + "/" + source;
  bool is_cve = StartsWith(ToUpper(name), "CVE-");
  f.types = {is_cve ? "Software and Configuration Checks/Vulnerabilities/CVE"
                    : "Software and Configuration Checks/Vulnerabilities"};
  const Entry& first = *g.entries.front();
  if (g.id.known) {
    f.fingerprint = VulnFingerprint(name, g.id.pkg);
  } else {
    std::string_view path = TrimView(first.file_path).empty() ? TrimView(first.file_name) : TrimView(first.file_path);
    f.fingerprint = FingerprintOf({kScanner, ToUpper(name), NormalizePath(path)});
  }
  std::string shown = source == "NPM" && AllDigits(name) ? "NPM advisory " + name : name;
  f.title = CollapseWhitespace(shown + " in " + PackageDisplay(g));
  std::string desc = Trim(v.description);
  f.description = desc.empty() ? f.title : desc;
  ApplySeverity(v, f);
  f.confidence = confidence;
  if (v.suppressed) f.workflow = WorkflowStatus::kSuppressed;

  std::set<std::string> seen_cwe;
  for (auto raw : v.cwes) {
    std::string cwe = NormalizeCwe(raw);
    if (!cwe.empty() && seen_cwe.insert(cwe).second) f.cwes.push_back(std::move(cwe));
  }

  Vulnerability vu;
  vu.id = name;
  std::string upper = ToUpper(name);
  if (is_cve) f.source_url = "https://nvd.nist.gov/vuln/detail/" + upper;
  else if (StartsWith(upper, "GHSA-")) f.source_url = "https://github.com/advisories/" + name;
  std::set<std::string_view> seen_url;
  if (!f.source_url.empty()) {
    vu.reference_urls.push_back(f.source_url);
    seen_url.insert(f.source_url);
  }
  for (auto u : v.reference_urls) {
    u = TrimView(u);
    if (u.empty() || !seen_url.insert(u).second) continue;
    vu.reference_urls.emplace_back(u);
  }
  if (f.source_url.empty() && !vu.reference_urls.empty()) f.source_url = vu.reference_urls.front();

  // versionEndExcluding counts in the matched CPE product's versions: it is this package's fixed
  // version only when that product names the package (and the package is not itself at it).
  std::string fixed;
  if (g.id.known && CpeNamesPackage(v.matched_cpe, g.id.pkg) && TrimView(v.fixed_version) != g.id.pkg.version) {
    fixed = std::string(TrimView(v.fixed_version));
  }
  for (const Entry* e : g.entries) {
    VulnerablePackage p;
    if (g.id.known) {
      p.name = g.id.pkg.name;
      p.version = g.id.pkg.version;
      p.package_manager = g.id.pkg.ecosystem;
      p.purl = g.id.purl;
    } else {
      p.name = std::string(ShortFileName(*e));
    }
    p.file_path = std::string(TrimView(e->file_path));
    p.fixed_in_version = fixed;
    vu.vulnerable_packages.push_back(std::move(p));
  }
  if (!fixed.empty()) {
    vu.fix_available = "YES";
    std::string pkg_name = g.id.known ? g.id.pkg.name : std::string(ShortFileName(first));
    f.remediation_text = "Upgrade " + pkg_name + " to version " + fixed + " or later.";
  }
  AddCvss(v.v4, 4, source, vu);
  AddCvss(v.v3, 3, source, vu);
  AddCvss(v.v2, 2, source, vu);
  if (!source.empty()) {
    vu.vendor_name = source;
    vu.vendor_severity = std::string(TrimView(v.severity));
  }
  if (v.kev) exploit::AddKevListing(vu.exploit, v.kev_date_added, v.kev_due_date, -1);
  f.vulnerabilities.push_back(std::move(vu));

  f.resources.push_back(EntryResource(dep, g, first, g.has_main));

  auto pf = [&f](const char* key, std::string_view value) {
    value = TrimView(value);
    if (!value.empty()) f.product_fields[std::string("dependency-check/") + key] = std::string(value);
  };
  pf("EngineVersion", info.engine_version);
  pf("ProjectName", info.project_name);
  pf("ProjectGroupId", info.group_id);
  pf("ProjectArtifactId", info.artifact_id);
  pf("ProjectVersion", info.project_version);
  pf("Source", source);
  if (g.id.known) pf("Purl", g.id.purl);
  pf("FileName", first.file_name);
  pf("MatchedCpe", v.matched_cpe);
  pf("MatchedCpeVersionEndExcluding", v.fixed_version);
  if (!g.has_main) pf("RelatedDependency", "true");
  if (v.unscored) pf("Unscored", "true");
  if (v.kev) {
    pf("KnownExploited", "true");
    pf("KevDateAdded", v.kev_date_added);
    pf("KevDueDate", v.kev_due_date);
    pf("KevRequiredAction", v.kev_required_action);
  }
  pf("Notes", v.notes);
  return f;
}

}  // namespace

std::string CheckVuln(Vuln& v) {
  if (!v.bad.empty()) return v.bad;
  if (TrimView(v.name).empty()) return "vulnerability has no name";
  struct {
    CvssBlock* block;
    const char* what;
  } blocks[] = {{&v.v2, "CVSS v2 score"}, {&v.v3, "CVSS v3 base score"}, {&v.v4, "CVSS v4 base score"}};
  for (auto& b : blocks) {
    b.block->value = -1;
    if (TrimView(b.block->score).empty()) continue;
    if (!ParseScore(b.block->score, &b.block->value)) {
      return std::string(b.what) + " is not a number from 0 to 10: \"" + std::string(TrimView(b.block->score)) + "\"";
    }
  }
  return "";
}

Status EmitDependency(const ReportInfo& info, const Dependency& dep, FindingSink& sink) {
  if (dep.vulns.empty() && dep.suppressed.empty()) return Status::Ok();
  Identity main_id = ResolveOwn(dep.main);
  std::vector<Group> groups = GroupEntries(dep, main_id);  // groups[0] holds the dependency itself
  std::set<std::array<uint8_t, 16>> emitted;
  for (const auto* list : {&dep.vulns, &dep.suppressed}) {
    for (const Vuln& v : *list) {
      int confidence = VulnConfidence(v, dep, main_id);
      Finding f = MakeFinding(info, dep, v, groups.front(), confidence);
      // The related files of the bundle: further Resources of the same finding.
      for (const Group& g : groups) {
        for (const Entry* e : g.entries) {
          if (e == &dep.main) continue;
          Resource r = EntryResource(dep, g, *e, false);
          bool dup = false;
          for (const auto& have : f.resources) dup = dup || have.id == r.id;
          if (!dup) f.resources.push_back(std::move(r));
        }
      }
      f.resource_count = f.resources.size();
      if (!emitted.insert(f.fingerprint.bytes).second) continue;
      FINDEX_RETURN_IF_ERROR(sink.Accept(std::move(f)));
    }
  }
  return Status::Ok();
}

}  // namespace findex::dc
