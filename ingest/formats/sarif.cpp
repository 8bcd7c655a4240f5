// SARIF logs (OASIS Static Analysis Results Interchange Format):
//   2.1.0  https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
//     {"version": "2.1.0", "runs": [{"tool": {"driver": {name, version, rules: [...]},
//       "extensions": [{name, rules}]}, "artifacts": [...], "originalUriBaseIds": {...},
//       "logicalLocations": [...], "results": [{ruleId, ruleIndex, rule{id,index,toolComponent},
//       kind, level, message{text|markdown|id+arguments}, locations[{physicalLocation{
//       artifactLocation{uri,uriBaseId,index}, region{startLine,endLine,startColumn,snippet}},
//       logicalLocations[]}], partialFingerprints, fingerprints, suppressions[], baselineState,
//       rank, fixes[], properties}]}]}
//   2.0.0 and its pre-releases (BinSkim 1.5, PREfast, SDK test data): "tool": {"name", ...}
//     without "driver", "physicalLocation.fileLocation", "run.resources.rules" as an object keyed
//     by rule id, "message.messageId"; read with the same code.
//   1.0.0 (BinSkim 1.3): "tool": {"name"}, "run.rules" keyed by id with string descriptions
//     and "messageFormats", results with a string "message" or "formattedRuleMessage",
//     locations [{"analysisTarget"|"resultFile": {uri, region}}], "suppressionStates".
//   Any other "version" is refused with an error that names it. "runs": [] or null is a log
//   with no results (0 findings). A UTF-8 BOM is allowed (Source strips it).
// Target (what a run scanned, for resolution by absence; each finding carries its run's):
// runs[].automationDetails.id (§3.17, runAutomationDetails) up to its last '/' (the category, as
// GitHub code scanning reads it), else the tool's name followed by the first
// originalUriBaseIds uri (§3.14.14) when there is one.
// Rules and extensions may come after the results in a run (Semgrep writes "results" before
// "tool"), so the file is read in passes over the same parsed buffer: pass 0 checks that the
// whole document is well-formed JSON (BinSkim 1.5 wrote a trailing comma inside "invocations",
// a part nothing reads), pass 1 collects the rules, artifacts and base URIs of each run, the
// document is rewound, pass 2 turns each result into a finding.
//
// Which results are findings (SARIF 2.1.0 §3.27.9 kind, §3.27.10 level): kind "fail" (the
// default when absent), "review" and "open" give a finding; "pass", "notApplicable" and
// "informational" are not problems and are skipped, as are the 1.0/2.0 levels "pass" and
// "notApplicable" (1.0 "open" is kind "open").
// Suppressions (§3.27.23, §3.35.3): a result whose suppressions[] holds an entry with status
// "accepted", or no status (the spec's default), is kSuppressed; "underReview" and "rejected"
// are not suppressions. The draft key "state" (spec Appendix K) counts as "status"; the 1.0/2.0
// "suppressionStates" count when non-empty. baselineState "absent" (§3.27.24: gone since the
// baseline) gives kResolved.
//
// Severity, first that applies:
//   1. "security-severity" (result properties, else rule properties): a CVSS-like score 0.0-10.0
//      that GitHub code scanning reads for security alerts (docs.github.com, "SARIF support for
//      code scanning", reportingDescriptor: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium,
//      3.9 or less low): LabelForCvss3 / NormalizedForScore. A word in that place (GitLab's
//      Semgrep rules write "MEDIUM") is not a score and is ignored.
//   2. "cvssv3_baseScore" in the same property bags (Dependency-Check and Trivy write it; the
//      Dependency-Check SARIF writer gives every result level "error"), same bands; for
//      Dependency-Check results without a score, the "severity" word of the result properties
//      (RetireJS advisories: "low", "medium", ...).
//   3. level (§3.27.10): result.level, else (kind "fail") the rule's
//      defaultConfiguration.level (1.0: defaultLevel), else "warning"; a "review" or "open"
//      result without a level is "none" (§3.27.10 defaults). error HIGH, warning MEDIUM,
//      note LOW, none INFORMATIONAL.
//   Semgrep results use the level only: Semgrep derives it from the rule severity its JSON
//   carries (ERROR/HIGH/CRITICAL error, WARNING/MEDIUM warning, INFO/LOW note; Sarif_output.ml)
//   and "security-severity" is free rule metadata, so both formats agree (except CRITICAL,
//   which SARIF cannot tell from HIGH). Severity.Original is the value used, verbatim.
//
// Scanner family: the driver name lower-cased and canonical ("Semgrep OSS" -> semgrep, LGTM.com
// and CodeQL -> codeql, "CodeGuru Reviewer Scanner" -> codeguru, ...; see CanonicalFamily),
// else the lower-cased name with non-alphanumerics as '-'. ProductName is the driver name.
//
// Identity, per run:
//   - a result naming a CVE, GHSA or Black Duck BDSA id (in ruleId, in a "cve"/"cveId"/
//     "vulnerabilityId" property, or in the message when a package is known; CVE preferred) whose
//     package name and version are known: VulnFingerprint(id, package). Dependency-Check results without such an id use the
//     ruleId, the vulnerability name its JSON report also uses. The package comes from a purl
//     ("purl"/"purls" result or rule property - Grype writes rule "purls" -, the artifact's
//     property purls - Dependency-Check's "id1" - or a "pkg:" artifact uri), Black Duck's
//     component/componentVersion/componentOrigin properties, Trivy's message
//     ("Package: x\nInstalled Version: y\n...Fixed Version: z"; the ecosystem from the
//     manifest name for language packages - package-lock.json npm, requirements.txt pypi, ... -
//     and, for OS packages, whose distribution Trivy SARIF does not name, the family the version
//     is written for: "-r<n>" apk, ".el8"/".amzn2"/... rpm, "+deb"/"ubuntu" deb, else empty, so
//     that Trivy's JSON and SARIF of one scan agree; OsEcosystemForVersion) or Grype's rule
//     help ("Package:", "Version:", "Fix Version:", "Type:" -> CanonicalEcosystem).
//   - other results: CodeFingerprint(family, ruleId, file, anchor), file = the first location's
//     uri (percent-decoded, "file://" dropped; relative uris are kept as written so the
//     identity does not depend on the checkout directory) or its logical location, anchor
//     (CodeAnchors, sast_common.h) from the first of: partialFingerprints as sorted "k=v"
//     (without keys that hash the whole file or a column: "scanFileHash",
//     "primaryLocationStartColumnFingerprint"), fingerprints as sorted "k=v" (object values
//     such as Black Duck's {"value": ...} read through "value"), the normalized snippet, the
//     ordinal of (rule, file, message). Semgrep results always use the ordinal of the message
//     (Semgrep's fingerprints may read "requires login", and its JSON withholds the snippet when
//     the user is not logged in), exactly as semgrep.cpp, so that one scan gives the same
//     fingerprints in both formats. CodeGuru results use the anchor of codeguru.cpp: the
//     description with "Similar issue at line number(s) ..." dropped, "#n" for the n-th repeat
//     of (rule, file, anchor). Gitleaks results use gitleaks.cpp's anchor, the hash of the
//     secret (8: the snippet, 7: the "offender" property), without ordinal.
//   Distinct results with the same anchor in one file are distinct findings: the n-th of them in
//   report order gets "#n" (CodeAnchors); only a true duplicate (same anchor, same region start
//   and end, same message) gets the anchor of its first copy (one finding).
//   Gitleaks 7 results have no ruleId: the rule is the message without " secret detected".
//   Black Duck SARIF names the scanned project, not the tool, in driver.name, so its family is
//   that name.
// Secrets (Gitleaks, rules or results tagged "secret", CWE-798/259/321/522 rules, Bandit
// B105-B107): the snippet is not stored; ProductFields keep a redacted preview and a hash
// (sast_common.h). Bandit's password tests also quote the password in the message: it is
// replaced by its redacted preview (RedactBanditPasswordText, as bandit.cpp does). Properties
// are never copied wholesale (Gitleaks 7 puts the secret in "offender").
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <optional>
#include <vector>

#include "ingest/formats/sast_common.h"
#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".sarif", ".sarif.json", ".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || h[0] != '{' || !HeadHas(h, "\"runs\"")) return SniffConfidence::kNo;
  // The $schema URL of every SARIF version contains "sarif".
  if (HeadHas(h, "sarif-") || HeadHas(h, "/sarif") || HeadHas(h, "sarif.json")) return SniffConfidence::kCertain;
  if (HeadHas(h, "\"driver\"") || (HeadHas(h, "\"tool\"") && HeadHas(h, "\"results\"")))
    return SniffConfidence::kLikely;
  if (HeadHas(h, "\"version\"")) return SniffConfidence::kMaybe;
  return SniffConfidence::kNo;
}

// ---------------------------------------------------------------------------------------------
// Model of what pass 1 keeps.

struct Props {
  std::vector<std::string> tags;
  std::vector<std::string> cwes;
  std::vector<std::string> purls;
  std::map<std::string, std::string, std::less<>> values;  // whitelisted scalars only
  std::string Get(std::string_view k) const {
    auto it = values.find(k);
    return it == values.end() ? std::string() : it->second;
  }
};

struct Rule {
  std::string id, name, short_desc, full_desc, help, help_uri, level;
  std::string full_desc_collapsed;  // computed once: compared with every result's message
  Props props;
  std::map<std::string, std::string, std::less<>> messages;  // messageStrings / messageFormats
};

struct Component {
  std::string name, full_name, version, organization;
  std::vector<Rule> rules;
  std::map<std::string, std::string, std::less<>> messages;  // globalMessageStrings
};

struct Artifact {
  std::string uri, base_id;
  std::vector<std::string> purls;
};

struct Run {
  Component driver;
  std::vector<Component> extensions;
  std::vector<Artifact> artifacts;
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> base_ids;  // name -> (uri, parent)
  std::vector<std::string> logical;  // run.logicalLocations[i] fully qualified name
  // Built after pass 1: rule id -> (component, index); component -1 is the driver.
  std::map<std::string, std::pair<int, size_t>, std::less<>> rule_by_id;
  std::string family, company;
  CodeAnchors anchors;
  std::map<std::string, int> codeguru_repeats;
  std::string target;  // what the run scanned (see Target in the header comment)
};

// One result as read in pass 2 (copies: string views die with the next string).
struct Loc {
  std::string uri, base_id, snippet, logical, logical_kind;
  int64_t artifact_index = -1;
  int64_t start_line = 0, end_line = 0, start_col = 0, end_col = 0;
  bool has_physical() const { return !uri.empty(); }
};

struct ResultData {
  std::string rule_id, rule_ref_id, kind, level;
  int64_t rule_index = -1, rule_ref_index = -1, component_index = -1;
  std::string text, markdown, message_id, v1_message;
  std::vector<std::string> arguments;
  std::vector<Loc> locs;
  Loc target;  // result.analysisTarget
  std::vector<std::pair<std::string, std::string>> partial_fps, fps;
  bool suppressed = false;
  std::string suppression_status;
  std::string baseline, rank, fix, v1_snippet, hosted_uri;
  Props props;
};

// ---------------------------------------------------------------------------------------------
// Small text helpers.

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::strtol(std::string(s.substr(i + 1, 2)).c_str(), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// "file:///C:/code/a.c" -> "C:/code/a.c", "file:////src/x" -> "/src/x", "a%20b.py" -> "a b.py".
std::string NormalizeUri(std::string_view uri) {
  std::string s = PercentDecode(Trim(uri));
  if (s.size() >= 7 && EqualsIgnoreCase(std::string_view(s).substr(0, 7), "file://")) {
    s.erase(0, 7);
    if (!s.empty() && s[0] == '/') {
      size_t n = 0;
      while (n < s.size() && s[n] == '/') ++n;
      s.erase(0, n - 1);
      // "/C:/..." is a Windows drive path.
      if (s.size() >= 3 && std::isalpha(static_cast<unsigned char>(s[1])) && s[2] == ':') s.erase(0, 1);
    }
  }
  return s;
}

std::string FirstLine(std::string_view text) {
  std::string t = Trim(text);
  size_t nl = t.find('\n');
  std::string line =
      CollapseWhitespace(nl == std::string::npos ? std::string_view(t) : std::string_view(t).substr(0, nl));
  return TruncateUtf8(line, 200);
}

// The value after "Label:" at the start of a line ("Package: libssl1.1"); nullopt when absent.
std::optional<std::string> LineValue(std::string_view text, std::string_view label) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    std::string t = Trim(line);
    if (t.size() > label.size() && StartsWith(t, label) && t[label.size()] == ':') {
      return Trim(std::string_view(t).substr(label.size() + 1));
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return std::nullopt;
}

bool IsIdChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Every CVE-YYYY-NNNN, GHSA-xxxx-xxxx-xxxx and BDSA-YYYY-NNNN id in `text`, CVEs first.
std::vector<std::string> VulnIds(std::string_view text) {
  std::vector<std::string> ids;
  auto add = [&](std::string id) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
  };
  for (size_t i = 0; i + 4 < text.size(); ++i) {
    if (i > 0 && IsIdChar(text[i - 1])) continue;
    std::string_view rest = text.substr(i);
    if (rest.size() >= 13 && EqualsIgnoreCase(rest.substr(0, 4), "CVE-")) {
      size_t j = 4;
      while (j < rest.size() && j < 8 && std::isdigit(static_cast<unsigned char>(rest[j]))) ++j;
      if (j != 8 || j >= rest.size() || rest[j] != '-') continue;
      size_t k = j + 1;
      while (k < rest.size() && std::isdigit(static_cast<unsigned char>(rest[k]))) ++k;
      if (k - j - 1 < 4) continue;
      add(ToUpper(rest.substr(0, k)));
      i += k - 1;
    } else if (rest.size() >= 19 && EqualsIgnoreCase(rest.substr(0, 5), "GHSA-")) {
      bool ok = true;
      for (size_t g = 0; g < 3 && ok; ++g) {
        for (size_t c = 0; c < 4 && ok; ++c) ok = std::isalnum(static_cast<unsigned char>(rest[5 + g * 5 + c])) != 0;
        if (ok && g < 2) ok = rest[5 + g * 5 + 4] == '-';
      }
      if (!ok || (rest.size() > 19 && IsIdChar(rest[19]))) continue;
      add("GHSA-" + ToLower(rest.substr(5, 14)));
      i += 18;
    } else if (rest.size() >= 11 && EqualsIgnoreCase(rest.substr(0, 5), "BDSA-")) {  // Black Duck advisory
      size_t j = 5;
      while (j < rest.size() && j < 9 && std::isdigit(static_cast<unsigned char>(rest[j]))) ++j;
      if (j != 9 || j >= rest.size() || rest[j] != '-') continue;
      size_t k = j + 1;
      while (k < rest.size() && std::isdigit(static_cast<unsigned char>(rest[k]))) ++k;
      if (k == j + 1) continue;
      add(ToUpper(rest.substr(0, k)));
      i += k - 1;
    }
  }
  // CVE first, then GHSA, then vendor ids: the id other tools name the problem by.
  auto rank = [](const std::string& id) { return StartsWith(id, "CVE-") ? 0 : StartsWith(id, "GHSA-") ? 1 : 2; };
  std::stable_sort(ids.begin(), ids.end(),
                   [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  return ids;
}

// Canonical scanner family of a SARIF producer, so that SARIF findings join the findings of the
// same tool's native format (semgrep, trivy, grype, gitleaks, codeguru, checkov, ...).
std::string CanonicalFamily(std::string_view driver_name) {
  std::string lower = ToLower(Trim(driver_name));
  std::string compact;
  for (char c : lower) {
    if (std::isalnum(static_cast<unsigned char>(c))) compact.push_back(c);
  }
  static const struct {
    std::string_view needle, family;
  } kKnown[] = {
      {"semgrep", "semgrep"},
      {"codeql", "codeql"},
      {"lgtm", "codeql"},
      {"trivy", "trivy"},
      {"grype", "grype"},
      {"gitleaks", "gitleaks"},
      {"codeguru", "codeguru"},
      {"checkov", "checkov"},
      {"dependencycheck", "dependency-check"},
      {"cfnguard", "cfn-guard"},
      {"cloudformationguard", "cfn-guard"},
      {"cfnnag", "cfn-nag"},
      {"bandit", "bandit"},
      {"snyk", "snyk"},
      {"tfsec", "tfsec"},
      {"kics", "kics"},
      {"spotbugs", "spotbugs"},
      {"eslint", "eslint"},
      {"osvscanner", "osv-scanner"},
      {"nodejsscan", "njsscan"},
      {"njsscan", "njsscan"},
      {"mobsfscan", "mobsfscan"},
      {"flawfinder", "flawfinder"},
      {"dockle", "dockle"},
      {"binskim", "binskim"},
      {"hadolint", "hadolint"},
  };
  for (const auto& k : kKnown) {
    if (compact.find(k.needle) != std::string::npos) return std::string(k.family);
  }
  std::string out;
  for (char c : lower) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_') {
      out.push_back(c);
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? std::string("sarif") : out;
}

std::string CompanyFor(std::string_view family, std::string_view organization, std::string_view product) {
  if (!Trim(organization).empty()) return Trim(organization);
  static const struct {
    std::string_view family, company;
  } kCompanies[] = {
      {"semgrep", "Semgrep"},
      {"codeql", "GitHub"},
      {"trivy", "Aqua Security"},
      {"grype", "Anchore"},
      {"gitleaks", "Gitleaks"},
      {"codeguru", "Amazon Web Services"},
      {"checkov", "Prisma Cloud"},
      {"dependency-check", "OWASP"},
      {"cfn-guard", "Amazon Web Services"},
      {"bandit", "PyCQA"},
      {"snyk", "Snyk"},
      {"binskim", "Microsoft"},
  };
  for (const auto& c : kCompanies) {
    if (c.family == family) return std::string(c.company);
  }
  return Trim(product).empty() ? std::string(family) : Trim(product);
}

// SARIF 2.1.0 §3.27.10 level -> ASFF label (error HIGH, warning MEDIUM, note LOW, none INFO).
std::optional<SeverityLabel> LabelForLevel(std::string_view level) {
  if (level == "error") return SeverityLabel::kHigh;
  if (level == "warning") return SeverityLabel::kMedium;
  if (level == "note") return SeverityLabel::kLow;
  if (level == "none") return SeverityLabel::kInformational;
  return std::nullopt;
}

// A CVSS-like score "0.0".."10.0"; nullopt for words and out-of-range values.
std::optional<double> Score(std::string_view s) {
  std::string t = Trim(s);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || d < 0.0 || d > 10.0) return std::nullopt;
  return d;
}

// Ecosystem of a language-package manifest (Trivy SARIF names the manifest, not the ecosystem).
std::string EcosystemForManifest(std::string_view path) {
  std::string p = ToLower(path);
  size_t slash = p.find_last_of("/\\");
  std::string base = slash == std::string::npos ? p : p.substr(slash + 1);
  auto ends = [&](std::string_view suf) {
    return base.size() >= suf.size() && base.compare(base.size() - suf.size(), suf.size(), suf) == 0;
  };
  if (base == "package-lock.json" || base == "yarn.lock" || base == "pnpm-lock.yaml" || base == "package.json" ||
      base == "npm-shrinkwrap.json")
    return "npm";
  if ((StartsWith(base, "requirements") && ends(".txt")) || base == "pipfile.lock" || base == "poetry.lock" ||
      base == "uv.lock" || base == "setup.py" || base == "pyproject.toml")
    return "pypi";
  if (base == "gemfile.lock" || ends(".gemspec")) return "gem";
  if (base == "go.mod" || base == "go.sum") return "golang";
  if (base == "cargo.lock") return "cargo";
  if (base == "composer.lock" || base == "composer.json") return "composer";
  if (base == "pom.xml" || base == "gradle.lockfile" || ends(".jar") || ends(".war") || ends(".ear")) return "maven";
  if (base == "packages.lock.json" || base == "packages.config" || ends(".deps.json")) return "nuget";
  if (base == "mix.lock") return "hex";
  if (base == "pubspec.lock") return "pub";
  if (base == "podfile.lock") return "cocoapods";
  return "";
}

// The distribution family of an OS package from the way its version is written, for Trivy
// SARIF, which names the package and its version but not the distribution (Trivy's JSON gives
// it as Result.Type). Only forms that belong to one family: Alpine's "-r<pkgrel>" (apk),
// a release with an RPM distribution tag (".el8", ".amzn2", ".fc38", ...), a Debian revision
// naming Debian or Ubuntu ("+deb10u3", "ubuntu0.1"). "" when the version does not tell.
std::string OsEcosystemForVersion(std::string_view v) {
  std::string s = ToLower(Trim(v));
  size_t r = s.rfind("-r");
  if (r != std::string::npos && r + 2 < s.size() &&
      std::all_of(s.begin() + static_cast<std::ptrdiff_t>(r + 2), s.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    return "apk";
  }
  if (s.find("ubuntu") != std::string::npos || s.find("+deb") != std::string::npos ||
      s.find("debian") != std::string::npos) {
    return "deb";
  }
  static constexpr std::string_view kRpmTags[] = {".el",  ".amzn", ".fc", ".sles", ".suse",
                                                  ".cm",  ".azl",  ".ph", ".mga",  ".ol"};
  for (auto tag : kRpmTags) {
    size_t p = s.find(tag);
    size_t after = p + tag.size();
    if (p != std::string::npos && after < s.size() && std::isdigit(static_cast<unsigned char>(s[after]))) return "rpm";
  }
  return "";
}

// codeguru.cpp's anchor: the description with whitespace collapsed and the "Similar issue at
// line number(s) 166, 170." sentence dropped (it names lines).
std::string CodeGuruAnchor(std::string_view description) {
  std::string s = CollapseWhitespace(description);
  size_t p = s.find("Similar issue at line number");
  if (p != std::string::npos) {
    size_t end = p;
    while (end < s.size() && s[end] != '.') ++end;
    while (end < s.size() && end + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[end + 1]))) {
      ++end;
      while (end < s.size() && s[end] != '.') ++end;
    }
    s.erase(p, end < s.size() ? end - p + 1 : std::string::npos);
    s = CollapseWhitespace(s);
  }
  return s;
}

// "{0} was used" with arguments (SARIF §3.11.5 message string placeholders).
std::string Substitute(std::string_view tmpl, const std::vector<std::string>& args) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '{') {
      size_t j = i + 1;
      while (j < tmpl.size() && std::isdigit(static_cast<unsigned char>(tmpl[j]))) ++j;
      if (j > i + 1 && j < tmpl.size() && tmpl[j] == '}') {
        size_t n = static_cast<size_t>(std::strtoul(std::string(tmpl.substr(i + 1, j - i - 1)).c_str(), nullptr, 10));
        if (n < args.size()) out += args[n];
        i = j;
        continue;
      }
    }
    out.push_back(tmpl[i]);
  }
  return out;
}

// Partial fingerprints that hash the whole file or a column change with unrelated edits.
bool StablePartialKey(std::string_view key) {
  std::string k = ToLower(key);
  return k.find("filehash") == std::string::npos && k.find("column") == std::string::npos;
}

std::string JoinSorted(std::vector<std::pair<std::string, std::string>> kv) {
  std::sort(kv.begin(), kv.end());
  std::string out;
  for (const auto& [k, v] : kv) {
    if (!out.empty()) out.push_back('\x1e');
    out += k + "=" + v;
  }
  return out;
}

// The secret of a Gitleaks result, for gitleaks.cpp's anchor: Gitleaks 7 puts it in the
// "offender" property (its snippet is the whole line), Gitleaks 8 in the snippet. Empty when
// unknown or redacted (`--redact`): such results are anchored like any other.
std::string GitleaksSecret(const ResultData& r, const std::string& snippet) {
  std::string s = r.props.Get("offender");
  if (s.empty()) s = snippet;
  return s == "REDACTED" ? std::string() : s;
}

// ---------------------------------------------------------------------------------------------

class SarifReader {
 public:
  SarifReader(Source& src, FindingSink& sink) : src_(src), sink_(sink) {}
  Status Read();

 private:
  // Iteration helpers: a value of the wrong type is ignored (false); a structural error of
  // the document is remembered in fatal_ and stops everything.
  template <typename Fn>
  bool Obj(od::value v, Fn&& fn) {
    od::object o;
    if (auto ec = v.get_object().get(o)) return Note(ec);
    for (auto field : o) {
      std::string_view key;
      if (auto ec = field.unescaped_key().get(key)) return Note(ec);
      od::value val;
      if (auto ec = field.value().get(val)) return Note(ec);
      fn(key, val);
      if (fatal_) return false;
    }
    return true;
  }
  template <typename Fn>
  bool Arr(od::value v, Fn&& fn) {
    od::array a;
    if (auto ec = v.get_array().get(a)) return Note(ec);
    size_t i = 0;
    for (auto el : a) {
      od::value ev;
      if (auto ec = el.get(ev)) return Note(ec);
      fn(i++, ev);
      if (fatal_) return false;
    }
    return true;
  }
  bool Note(simdjson::error_code ec) {
    if (ec != simdjson::INCORRECT_TYPE && ec != simdjson::SUCCESS && !fatal_) fatal_ = ec;
    return false;
  }
  std::string Str(od::value v) {
    std::string s;
    if (!ReadString(v, &s)) return {};
    return s;
  }
  int64_t Int(od::value v) {
    int64_t n = 0;
    return ReadInt(v, &n) ? n : 0;
  }
  // A string, or a message / multiformatMessageString object ({"text", "markdown"}).
  std::string Text(od::value v) {
    od::json_type t;
    if (v.type().get(t)) return {};
    if (t != od::json_type::object) return Str(v);
    std::string text, markdown;
    Obj(v, [&](std::string_view k, od::value x) {
      if (k == "text") text = Str(x);
      else if (k == "markdown") markdown = Str(x);
    });
    return !text.empty() ? text : markdown;
  }
  std::vector<std::string> Strings(od::value v) {
    std::vector<std::string> out;
    od::json_type t;
    if (v.type().get(t)) return out;
    if (t == od::json_type::array) {
      Arr(v, [&](size_t, od::value x) {
        std::string s = Str(x);
        if (!s.empty()) out.push_back(std::move(s));
      });
    } else {
      std::string s = Str(v);
      if (!s.empty()) out.push_back(std::move(s));
    }
    return out;
  }

  // Pass 1.
  Status ReadRunContext(od::value v, Run& run);
  void ReadComponent(od::value v, Component& c);
  void ReadRule(od::value v, Rule& r);
  void ReadRulesMap(od::value v, std::vector<Rule>& rules);
  void ReadProps(od::value v, Props& p);
  void ReadArtifact(od::value v, Artifact& a);

  // Pass 2.
  Status ReadResults(od::value v, Run& run, size_t run_index);
  void ReadResult(od::value v, ResultData& r);
  void ReadLocation(od::value v, Loc& loc);
  void ReadPhysical(od::value v, Loc& loc);
  void ReadArtifactLocation(od::value v, Loc& loc);
  void ReadRegion(od::value v, Loc& loc);
  void ReadFingerprints(od::value v, std::vector<std::pair<std::string, std::string>>& out);
  Status Emit(Run& run, ResultData& r, size_t run_index, size_t result_index, uint64_t offset);

  const Rule* Resolve(const Run& run, const ResultData& r, std::string* rule_id) const;
  std::string ResolveBase(const Run& run, const std::string& id, int depth) const;

  Source& src_;
  FindingSink& sink_;
  JsonReport rep_;
  simdjson::error_code fatal_ = simdjson::SUCCESS;
  std::string version_;
  std::vector<Run> runs_;
};

void SarifReader::ReadProps(od::value v, Props& p) {
  Obj(v, [&](std::string_view k, od::value x) {
    if (k == "tags") {
      for (auto& t : Strings(x)) {
        AppendCwes(t, &p.cwes);
        p.tags.push_back(std::move(t));
      }
    } else if (EqualsIgnoreCase(k, "cwe") || EqualsIgnoreCase(k, "cwes") || k == "cweIds") {
      for (const auto& t : Strings(x)) AppendCwes(t, &p.cwes);
    } else if (k == "purl" || k == "purls" || EqualsIgnoreCase(k, "packageUrl") || k == "package_url") {
      for (auto& s : Strings(x)) {
        if (StartsWith(s, "pkg:")) p.purls.push_back(std::move(s));
      }
    } else {
      static constexpr std::string_view kKeep[] = {"security-severity",
                                                   "cvssv3_baseScore",
                                                   "cvssv3_vector",
                                                   "cvssv3_version",
                                                   "cvssv2_score",
                                                   "cvssv2_vector",
                                                   "precision",
                                                   "problem.severity",
                                                   "confidence",
                                                   "issue_confidence",
                                                   "component",
                                                   "componentVersion",
                                                   "componentOrigin",
                                                   "fixedVersion",
                                                   "fixVersion",
                                                   "cve",
                                                   "cveId",
                                                   "vulnerabilityId",
                                                   "source",
                                                   "securityRisk",
                                                   "exposure",
                                                   "severity",
                                                   "offender"};  // Gitleaks 7: the secret, for its hash only
      for (auto keep : kKeep) {
        if (k == keep) {
          std::string s = Trim(Str(x));
          if (!s.empty()) p.values[std::string(k)] = std::move(s);
          break;
        }
      }
    }
  });
}

void SarifReader::ReadRule(od::value v, Rule& r) {
  Obj(v, [&](std::string_view k, od::value x) {
    if (k == "id") r.id = Trim(Str(x));
    else if (k == "name") r.name = Trim(Text(x));
    else if (k == "shortDescription") r.short_desc = Trim(Text(x));
    else if (k == "fullDescription") {
      r.full_desc = Trim(Text(x));
      r.full_desc_collapsed = CollapseWhitespace(r.full_desc);
    }
    else if (k == "help") r.help = Trim(Text(x));
    else if (k == "helpUri") r.help_uri = Trim(Str(x));
    else if (k == "defaultLevel") r.level = Str(x);  // SARIF 1.0
    else if (k == "defaultConfiguration") {
      Obj(x, [&](std::string_view ck, od::value cv) {
        if (ck == "level") r.level = Str(cv);
      });
    } else if (k == "messageStrings" || k == "messageFormats") {
      Obj(x, [&](std::string_view mk, od::value mv) { r.messages[std::string(mk)] = Text(mv); });
    } else if (k == "properties") {
      ReadProps(x, r.props);
    } else if (k == "relationships") {
      // Flawfinder: {"target": {"id": "CWE-327", "toolComponent": {"name": "CWE"}}}.
      Arr(x, [&](size_t, od::value rel) {
        Obj(rel, [&](std::string_view rk, od::value rv) {
          if (rk != "target") return;
          std::string id, component;
          Obj(rv, [&](std::string_view tk, od::value tv) {
            if (tk == "id") id = Str(tv);
            else if (tk == "toolComponent") {
              Obj(tv, [&](std::string_view ck, od::value cv) {
                if (ck == "name") component = Str(cv);
              });
            }
          });
          if (EqualsIgnoreCase(component, "CWE")) AppendCwes(id, &r.props.cwes);
        });
      });
    }
  });
}

// SARIF 1.0 run.rules / 2.0 run.resources.rules: {"<id>": {rule}}.
void SarifReader::ReadRulesMap(od::value v, std::vector<Rule>& rules) {
  od::json_type t;
  if (v.type().get(t)) return;
  if (t == od::json_type::array) {
    Arr(v, [&](size_t, od::value x) {
      rules.emplace_back();
      ReadRule(x, rules.back());
    });
    return;
  }
  Obj(v, [&](std::string_view k, od::value x) {
    Rule r;
    std::string key(k);
    ReadRule(x, r);
    if (r.id.empty()) r.id = key;
    rules.push_back(std::move(r));
  });
}

void SarifReader::ReadComponent(od::value v, Component& c) {
  Obj(v, [&](std::string_view k, od::value x) {
    if (k == "name") c.name = Trim(Str(x));
    else if (k == "fullName") c.full_name = Trim(Str(x));
    else if (k == "version") c.version = Trim(Str(x));
    else if (k == "semanticVersion") {
      if (c.version.empty()) c.version = Trim(Str(x));
    } else if (k == "organization") c.organization = Trim(Str(x));
    else if (k == "rules") {
      Arr(x, [&](size_t, od::value rv) {
        c.rules.emplace_back();
        ReadRule(rv, c.rules.back());
      });
    } else if (k == "globalMessageStrings") {
      Obj(x, [&](std::string_view mk, od::value mv) { c.messages[std::string(mk)] = Text(mv); });
    }
  });
}

void SarifReader::ReadArtifact(od::value v, Artifact& a) {
  Obj(v, [&](std::string_view k, od::value x) {
    if (k == "location") {
      Obj(x, [&](std::string_view lk, od::value lv) {
        if (lk == "uri") a.uri = Str(lv);
        else if (lk == "uriBaseId") a.base_id = Str(lv);
      });
    } else if (k == "properties") {
      // Dependency-Check: {"id1": "pkg:javascript/handlebars@1.0.0", ...}.
      Obj(x, [&](std::string_view, od::value pv) {
        std::string s = Str(pv);
        if (StartsWith(s, "pkg:")) a.purls.push_back(std::move(s));
      });
    }
  });
}

Status SarifReader::ReadRunContext(od::value v, Run& run) {
  bool ok = Obj(v, [&](std::string_view k, od::value x) {
    if (k == "tool") {
      Obj(x, [&](std::string_view tk, od::value tv) {
        if (tk == "driver") {
          ReadComponent(tv, run.driver);
        } else if (tk == "extensions") {
          Arr(tv, [&](size_t, od::value ev) {
            run.extensions.emplace_back();
            ReadComponent(ev, run.extensions.back());
          });
        } else if (tk == "name") {  // SARIF 1.0 / 2.0: the tool is its own driver
          run.driver.name = Trim(Str(tv));
        } else if (tk == "fullName") {
          run.driver.full_name = Trim(Str(tv));
        } else if (tk == "version" || tk == "semanticVersion") {
          if (run.driver.version.empty()) run.driver.version = Trim(Str(tv));
        }
      });
    } else if (k == "rules") {  // SARIF 1.0
      ReadRulesMap(x, run.driver.rules);
    } else if (k == "resources") {  // SARIF 2.0
      Obj(x, [&](std::string_view rk, od::value rv) {
        if (rk == "rules") ReadRulesMap(rv, run.driver.rules);
      });
    } else if (k == "artifacts") {
      Arr(x, [&](size_t, od::value av) {
        run.artifacts.emplace_back();
        ReadArtifact(av, run.artifacts.back());
      });
    } else if (k == "automationDetails") {  // 2.1.0 runAutomationDetails
      Obj(x, [&](std::string_view ak, od::value av) {
        if (ak == "id") run.target = Trim(Str(av));
      });
    } else if (k == "originalUriBaseIds") {
      Obj(x, [&](std::string_view name, od::value bv) {
        std::string key(name), uri, parent;
        Obj(bv, [&](std::string_view bk, od::value b) {
          if (bk == "uri") uri = Str(b);
          else if (bk == "uriBaseId") parent = Str(b);
        });
        run.base_ids[key] = {uri, parent};
      });
    } else if (k == "logicalLocations") {
      Arr(x, [&](size_t, od::value lv) {
        std::string fqn, name;
        Obj(lv, [&](std::string_view lk, od::value l) {
          if (lk == "fullyQualifiedName") fqn = Str(l);
          else if (lk == "name") name = Str(l);
        });
        run.logical.push_back(!fqn.empty() ? fqn : name);
      });
    }
  });
  if (!ok && fatal_) return rep_.Malformed("malformed SARIF run", fatal_);
  if (!ok) return MakeError(ErrorCode::kSchema, "a SARIF run is not an object", src_.path());
  // Rule lookup by id: driver first, then extensions (§3.52.4 toolComponent rules).
  for (size_t i = 0; i < run.driver.rules.size(); ++i)
    run.rule_by_id.emplace(run.driver.rules[i].id, std::make_pair(-1, i));
  for (size_t e = 0; e < run.extensions.size(); ++e) {
    for (size_t i = 0; i < run.extensions[e].rules.size(); ++i) {
      run.rule_by_id.emplace(run.extensions[e].rules[i].id, std::make_pair(static_cast<int>(e), i));
    }
  }
  std::string product = !run.driver.name.empty() ? run.driver.name : run.driver.full_name;
  run.family = CanonicalFamily(product);
  run.company = CompanyFor(run.family, run.driver.organization, product);
  // Target: the automation id's category (up to its last '/', SARIF 2.1.0 §3.17.4), else the
  // tool and the root its paths are relative to.
  if (size_t slash = run.target.rfind('/'); slash != std::string::npos && slash > 0) run.target.resize(slash);
  if (run.target.empty()) {
    run.target = product;
    for (const auto& [name, base] : run.base_ids) {
      if (!base.first.empty()) {
        run.target += (run.target.empty() ? "" : " ") + base.first;
        break;
      }
    }
    run.target = CollapseWhitespace(run.target);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Pass 2.

void SarifReader::ReadRegion(od::value v, Loc& loc) {
  Obj(v, [&](std::string_view k, od::value x) {
    if (k == "startLine") loc.start_line = Int(x);
    else if (k == "endLine") loc.end_line = Int(x);
    else if (k == "startColumn") loc.start_col = Int(x);
    else if (k == "endColumn") loc.end_col = Int(x);
    else if (k == "snippet") loc.snippet = Text(x);
  });
}

void SarifReader::ReadArtifactLocation(od::value v, Loc& loc) {
  Obj(v, [&](std::string_view k, od::value x) {
    if (k == "uri") loc.uri = Str(x);
    else if (k == "uriBaseId") loc.base_id = Str(x);
    else if (k == "index") loc.artifact_index = Int(x);
    else if (k == "region") ReadRegion(x, loc);  // SARIF 1.0 analysisTarget / resultFile
  });
}

void SarifReader::ReadPhysical(od::value v, Loc& loc) {
  Obj(v, [&](std::string_view k, od::value x) {
    if (k == "artifactLocation" || k == "fileLocation") ReadArtifactLocation(x, loc);
    else if (k == "region") ReadRegion(x, loc);
  });
}

void SarifReader::ReadLocation(od::value v, Loc& loc) {
  Loc target;  // SARIF 1.0: resultFile is the flagged file, analysisTarget the scanned one
  Obj(v, [&](std::string_view k, od::value x) {
    if (k == "physicalLocation") {
      ReadPhysical(x, loc);
    } else if (k == "resultFile") {
      ReadArtifactLocation(x, loc);
    } else if (k == "analysisTarget") {
      ReadArtifactLocation(x, target);
    } else if (k == "logicalLocations" || k == "logicalLocation") {
      auto one = [&](od::value lv) {
        std::string fqn, name, kind;
        int64_t index = -1;
        Obj(lv, [&](std::string_view lk, od::value l) {
          if (lk == "fullyQualifiedName") fqn = Str(l);
          else if (lk == "name") name = Str(l);
          else if (lk == "kind") kind = Str(l);
          else if (lk == "index") index = Int(l);
        });
        if (loc.logical.empty()) {
          loc.logical = !fqn.empty() ? fqn : name;
          if (loc.logical.empty() && index >= 0) loc.logical = "#" + std::to_string(index);  // resolved in Emit
          loc.logical_kind = kind;
        }
      };
      od::json_type t;
      if (x.type().get(t) == simdjson::SUCCESS && t == od::json_type::array) {
        Arr(x, [&](size_t, od::value lv) { one(lv); });
      } else {
        one(x);
      }
    } else if (k == "fullyQualifiedLogicalName") {  // SARIF 1.0 / 2.0
      if (loc.logical.empty()) loc.logical = Str(x);
    }
  });
  if (loc.uri.empty() && !target.uri.empty()) {
    std::string logical = loc.logical, kind = loc.logical_kind;
    loc = target;
    loc.logical = logical;
    loc.logical_kind = kind;
  }
}

void SarifReader::ReadFingerprints(od::value v, std::vector<std::pair<std::string, std::string>>& out) {
  Obj(v, [&](std::string_view k, od::value x) {
    std::string key(k), value;
    od::json_type t;
    if (x.type().get(t)) return;
    if (t == od::json_type::object) {
      // Black Duck writes {"csvRowSha256": {"value": "..."}}; SARIF says a string.
      Obj(x, [&](std::string_view vk, od::value vv) {
        if (vk == "value") value = Str(vv);
      });
    } else {
      value = Str(x);
    }
    value = Trim(value);
    if (!value.empty()) out.emplace_back(std::move(key), std::move(value));
  });
}

void SarifReader::ReadResult(od::value v, ResultData& r) {
  Obj(v, [&](std::string_view k, od::value x) {
    if (k == "ruleId") r.rule_id = Trim(Str(x));
    else if (k == "ruleIndex") r.rule_index = Int(x);
    else if (k == "rule") {
      Obj(x, [&](std::string_view rk, od::value rv) {
        if (rk == "id") r.rule_ref_id = Trim(Str(rv));
        else if (rk == "index") r.rule_ref_index = Int(rv);
        else if (rk == "toolComponent") {
          Obj(rv, [&](std::string_view ck, od::value cv) {
            if (ck == "index") r.component_index = Int(cv);
          });
        }
      });
    } else if (k == "kind") r.kind = Trim(Str(x));
    else if (k == "level") r.level = Trim(Str(x));
    else if (k == "message") {
      od::json_type t;
      if (x.type().get(t) == simdjson::SUCCESS && t == od::json_type::object) {
        Obj(x, [&](std::string_view mk, od::value mv) {
          if (mk == "text") r.text = Str(mv);
          else if (mk == "markdown") r.markdown = Str(mv);
          else if (mk == "id" || mk == "messageId") r.message_id = Str(mv);
          else if (mk == "arguments") {
            Arr(mv, [&](size_t, od::value a) { r.arguments.push_back(Str(a)); });
          }
        });
      } else {
        r.v1_message = Str(x);  // SARIF 1.0: a plain string
      }
    } else if (k == "formattedRuleMessage") {  // SARIF 1.0
      Obj(x, [&](std::string_view mk, od::value mv) {
        if (mk == "formatId") r.message_id = Str(mv);
        else if (mk == "arguments") {
          Arr(mv, [&](size_t, od::value a) { r.arguments.push_back(Str(a)); });
        }
      });
    } else if (k == "locations") {
      Arr(x, [&](size_t, od::value lv) {
        Loc loc;
        ReadLocation(lv, loc);
        r.locs.push_back(std::move(loc));
      });
    } else if (k == "analysisTarget") {
      ReadArtifactLocation(x, r.target);
    } else if (k == "partialFingerprints") {
      ReadFingerprints(x, r.partial_fps);
    } else if (k == "fingerprints") {
      ReadFingerprints(x, r.fps);
    } else if (k == "suppressions") {
      Arr(x, [&](size_t, od::value sv) {
        std::string status;
        bool is_object = Obj(sv, [&](std::string_view sk, od::value s) {
          if (sk == "status" || sk == "state") status = Trim(Str(s));
        });
        if (!is_object) return;
        if (status.empty() || status == "accepted") {
          r.suppressed = true;
          r.suppression_status = "accepted";
        } else if (!r.suppressed) {
          r.suppression_status = status;
        }
      });
    } else if (k == "suppressionStates") {  // SARIF 1.0 / 2.0
      for (const auto& s : Strings(x)) {
        r.suppressed = true;
        r.suppression_status = s;
      }
    } else if (k == "baselineState") {
      r.baseline = Trim(Str(x));
    } else if (k == "rank") {
      r.rank = Trim(Str(x));
    } else if (k == "properties") {
      ReadProps(x, r.props);
    } else if (k == "fixes") {
      Arr(x, [&](size_t, od::value fv) {
        Obj(fv, [&](std::string_view fk, od::value f) {
          if (fk == "description" && r.fix.empty()) r.fix = Trim(Text(f));
        });
      });
    } else if (k == "snippet") {  // SARIF 1.0
      r.v1_snippet = Str(x);
    } else if (k == "hostedViewerUri") {
      r.hosted_uri = Trim(Str(x));
    }
  });
}

const Rule* SarifReader::Resolve(const Run& run, const ResultData& r, std::string* rule_id) const {
  // §3.27.6-7: ruleIndex / rule.index index the rules of the component named by
  // rule.toolComponent (the driver when absent); ruleId may be hierarchical ("C2001/1").
  const std::vector<Rule>* rules = &run.driver.rules;
  if (r.component_index >= 0 && static_cast<size_t>(r.component_index) < run.extensions.size()) {
    rules = &run.extensions[static_cast<size_t>(r.component_index)].rules;
  }
  int64_t index = r.rule_index >= 0 ? r.rule_index : r.rule_ref_index;
  std::string id = !r.rule_id.empty() ? r.rule_id : r.rule_ref_id;
  const Rule* rule = nullptr;
  if (index >= 0 && static_cast<size_t>(index) < rules->size()) {
    rule = &(*rules)[static_cast<size_t>(index)];
    if (!id.empty() && !rule->id.empty() && id != rule->id && !StartsWith(id, rule->id + "/")) rule = nullptr;
  }
  auto lookup = [&](std::string_view key) -> const Rule* {
    auto it = run.rule_by_id.find(key);
    if (it == run.rule_by_id.end()) return nullptr;
    const auto& [comp, idx] = it->second;
    return comp < 0 ? &run.driver.rules[idx] : &run.extensions[static_cast<size_t>(comp)].rules[idx];
  };
  if (!rule && !id.empty()) {
    rule = lookup(id);
    if (!rule && id.find('/') != std::string::npos) rule = lookup(std::string_view(id).substr(0, id.find('/')));
  }
  if (id.empty() && rule) id = rule->id;
  *rule_id = id;
  return rule;
}

std::string SarifReader::ResolveBase(const Run& run, const std::string& id, int depth) const {
  auto it = run.base_ids.find(id);
  if (it == run.base_ids.end() || depth > 8) return {};
  std::string uri = Trim(it->second.first);
  if (!it->second.second.empty()) {
    std::string parent = ResolveBase(run, it->second.second, depth + 1);
    if (parent.empty()) return {};
    uri = parent + uri;
  }
  return uri;
}

Status SarifReader::Emit(Run& run, ResultData& r, size_t run_index, size_t result_index, uint64_t offset) {
  std::string where = "runs[" + std::to_string(run_index) + "].results[" + std::to_string(result_index) + "]";
  auto reject = [&](std::string reason) {
    sink_.AddReject(rep_.RejectAt(offset, where, std::move(reason)));
    return Status::Ok();
  };

  // Which results are problems (§3.27.9); SARIF 1.0/2.0 put pass/notApplicable/open in level.
  std::string kind = r.kind.empty() ? "fail" : r.kind;
  std::string level = r.level;
  if (level == "pass" || level == "notApplicable") return Status::Ok();
  if (level == "open") {
    kind = "open";
    level = "none";
  }
  if (kind == "pass" || kind == "notApplicable" || kind == "informational") return Status::Ok();

  std::string rule_id;
  const Rule* rule = Resolve(run, r, &rule_id);
  const std::string& family = run.family;

  // Message (§3.11): text, else the rule's (or the tool's global) message string with the
  // arguments, else markdown, else the 1.0 string.
  std::string message = r.text;
  if (message.empty() && !r.message_id.empty()) {
    const std::string* tmpl = nullptr;
    if (rule) {
      auto it = rule->messages.find(r.message_id);
      if (it != rule->messages.end()) tmpl = &it->second;
    }
    if (!tmpl) {
      auto it = run.driver.messages.find(r.message_id);
      if (it != run.driver.messages.end()) tmpl = &it->second;
    }
    if (tmpl) message = Substitute(*tmpl, r.arguments);
  }
  if (message.empty()) message = r.markdown;
  if (message.empty()) message = r.v1_message;
  message = Trim(message);

  // Gitleaks 7 writes no ruleId: "AWS Access Key secret detected" names rule "AWS Access Key".
  if (rule_id.empty() && family == "gitleaks") {
    constexpr std::string_view kSuffix = " secret detected";
    if (message.size() > kSuffix.size() &&
        message.compare(message.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0) {
      ResultData probe;
      probe.rule_id = message.substr(0, message.size() - kSuffix.size());
      rule = Resolve(run, probe, &rule_id);
    }
  }
  if (message.empty() && rule) message = !rule->short_desc.empty() ? rule->short_desc : rule->full_desc;
  if (message.empty() && rule_id.empty()) return reject("result has neither a message nor a rule");

  static const Props kNoProps;
  const Props& rprops = rule ? rule->props : kNoProps;

  // Primary location: the first with a file, else the first with a logical location.
  const Loc* primary = nullptr;
  for (const auto& l : r.locs) {
    if (l.has_physical()) {
      primary = &l;
      break;
    }
  }
  if (!primary) {
    for (const auto& l : r.locs) {
      if (!l.logical.empty()) {
        primary = &l;
        break;
      }
    }
  }
  if (!primary && !r.target.uri.empty()) primary = &r.target;
  auto logical_name = [&](const Loc& l) {
    if (StartsWith(l.logical, "#")) {
      size_t idx = static_cast<size_t>(std::strtoul(l.logical.c_str() + 1, nullptr, 10));
      return idx < run.logical.size() ? run.logical[idx] : std::string();
    }
    return l.logical;
  };
  std::string file = primary && primary->has_physical() ? NormalizeUri(primary->uri)
                     : primary                          ? logical_name(*primary)
                                                        : std::string();
  std::string snippet = primary ? primary->snippet : std::string();
  if (snippet.empty()) snippet = r.v1_snippet;
  int64_t line = primary ? primary->start_line : 0;
  int64_t end_line = primary ? primary->end_line : 0;
  CodeRegion region;
  if (primary) region = CodeRegion{primary->start_line, primary->start_col, primary->end_line, primary->end_col};

  // Secrets.
  bool secret = family == "gitleaks";
  for (const std::vector<std::string>* tags :
       {&rprops.tags, static_cast<const std::vector<std::string>*>(&r.props.tags)}) {
    for (const auto& t : *tags) secret = secret || ToLower(t).find("secret") != std::string::npos;
  }
  std::vector<std::string> cwes = rprops.cwes;
  for (const auto& c : r.props.cwes) {
    if (std::find(cwes.begin(), cwes.end(), c) == cwes.end()) cwes.push_back(c);
  }
  for (const auto& c : cwes) secret = secret || IsCredentialCwe(c);
  // Bandit's hard-coded password tests quote the password in the message (bandit.cpp).
  std::string password;
  if (family == "bandit" && IsBanditPasswordTest(rule_id)) {
    secret = true;
    message = RedactBanditPasswordText(message, &password);
  }

  Finding f;
  f.scanner = family;
  f.target = run.target;
  f.format = "sarif";
  f.product_name = !run.driver.name.empty() ? run.driver.name : run.driver.full_name;
  f.company_name = run.company;
  f.generator_id = !rule_id.empty() ? rule_id : family;
  f.cwes = cwes;

  // Severity.
  std::string used_level = level;
  if (used_level.empty() && kind == "fail" && rule) used_level = rule->level;
  if (used_level.empty()) used_level = kind == "fail" ? "warning" : "none";
  SeverityLabel label = LabelForLevel(used_level).value_or(SeverityLabel::kMedium);
  f.severity.label = label;
  f.severity.normalized = DefaultNormalized(label);
  f.severity.original = used_level;
  std::string security_severity = r.props.Get("security-severity");
  if (security_severity.empty()) security_severity = rprops.Get("security-severity");
  if (family == "dependency-check" && Score(security_severity) == std::nullopt &&
      Score(r.props.Get("cvssv3_baseScore")) == std::nullopt) {
    // Dependency-Check gives every result level "error"; unscored (RetireJS) results carry the
    // advisory's own word in "severity".
    if (auto word = ParseSeverityLabel(r.props.Get("severity"))) {
      f.severity.label = *word;
      f.severity.normalized = DefaultNormalized(*word);
      f.severity.original = r.props.Get("severity");
    }
  }
  if (family != "semgrep") {
    std::string cvss3 = r.props.Get("cvssv3_baseScore");
    if (cvss3.empty()) cvss3 = rprops.Get("cvssv3_baseScore");
    for (const std::string* s : {&security_severity, &cvss3}) {
      if (auto score = Score(*s)) {
        f.severity.label = LabelForCvss3(*score);
        f.severity.normalized = NormalizedForScore(*score, f.severity.label);
        f.severity.original = *s;
        break;
      }
    }
  }

  // Confidence: CodeQL-style "precision", Semgrep's "<X> CONFIDENCE" tag, a confidence property.
  for (const auto& t : rprops.tags) {
    constexpr std::string_view kConf = " CONFIDENCE";
    if (t.size() > kConf.size() && t.compare(t.size() - kConf.size(), kConf.size(), kConf) == 0) {
      f.confidence = ConfidenceForWord(std::string_view(t).substr(0, t.size() - kConf.size()));
    }
  }
  if (f.confidence < 0) {
    for (std::string s : {r.props.Get("confidence"), r.props.Get("issue_confidence"), rprops.Get("confidence")}) {
      if (f.confidence < 0) f.confidence = ConfidenceForWord(s);
    }
  }
  // Only CodeQL grades "precision" per rule; Semgrep and Trivy write "very-high" for all.
  if (f.confidence < 0 && family == "codeql") f.confidence = ConfidenceForWord(rprops.Get("precision"));

  // Title and description.
  std::string short_desc = rule ? rule->short_desc : std::string();
  if (StartsWith(short_desc, "Semgrep Finding: ")) short_desc.clear();  // Semgrep's placeholder
  if (!short_desc.empty()) {
    f.title = FirstLine(short_desc);
  } else if (family == "semgrep" && !rule_id.empty()) {
    f.title = rule_id.substr(rule_id.rfind('.') == std::string::npos ? 0 : rule_id.rfind('.') + 1);
  } else if (!message.empty()) {
    f.title = FirstLine(message);
  } else if (rule && !rule->name.empty()) {
    f.title = FirstLine(rule->name);
  } else {
    f.title = rule_id;
  }
  f.description = message;
  if (rule && !rule->full_desc.empty() && message.find(rule->full_desc) == std::string::npos &&
      rule->full_desc_collapsed != CollapseWhitespace(message)) {
    f.description += (f.description.empty() ? "" : "\n\n") + rule->full_desc;
  }
  if (!r.fix.empty()) {
    f.remediation_text = r.fix;
  } else if (rule && !rule->help.empty() && rule->help != rule->full_desc && rule->help != message) {
    f.remediation_text = rule->help;
  }
  if (rule) f.remediation_url = rule->help_uri;
  f.source_url = r.hosted_uri;

  // Workflow.
  if (r.suppressed) f.workflow = WorkflowStatus::kSuppressed;
  else if (r.baseline == "absent") f.workflow = WorkflowStatus::kResolved;

  // Location and resources: one per distinct file (or logical location).
  if (primary && primary->has_physical()) {
    f.location.file_path = file;
    if (line > 0) {
      f.location.start_line = static_cast<int>(line);
      f.location.end_line = static_cast<int>(end_line >= line ? end_line : line);
    }
  }
  std::vector<const Loc*> locs;
  for (const auto& l : r.locs) locs.push_back(&l);
  if (locs.empty() && !r.target.uri.empty()) locs.push_back(&r.target);
  for (const Loc* l : locs) {
    std::string id = l->has_physical() ? NormalizeUri(l->uri) : logical_name(*l);
    if (id.empty()) continue;
    bool dup = false;
    for (const auto& res : f.resources) dup = dup || res.id == id;
    if (dup) continue;
    Resource res;
    res.id = id;
    if (l->start_line > 0) res.details_other["StartLine"] = std::to_string(l->start_line);
    if (l->end_line > l->start_line) res.details_other["EndLine"] = std::to_string(l->end_line);
    std::string logical = logical_name(*l);
    if (l->has_physical() && !logical.empty()) res.details_other["LogicalLocation"] = logical;
    if (!l->logical_kind.empty()) res.details_other["LogicalLocationKind"] = l->logical_kind;
    if (!l->base_id.empty()) {
      res.details_other["UriBaseId"] = l->base_id;
      std::string base = ResolveBase(run, l->base_id, 0);
      if (!base.empty()) res.details_other["AbsoluteUri"] = base + l->uri;
    }
    f.resources.push_back(std::move(res));
  }

  // Vulnerability?
  std::vector<std::string> ids = VulnIds(rule_id);
  for (std::string key : {"cve", "cveId", "vulnerabilityId"}) {
    for (auto& id : VulnIds(r.props.Get(key))) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
  }
  PackageId pkg;
  std::string fixed, purl, manifest = file;
  bool fix_stated = false;
  auto from_purl = [&](const std::string& p) {
    PackageId id = ParsePurl(p);
    if (!id.empty() && pkg.empty()) {
      pkg = id;
      purl = p;
    }
  };
  if (!r.props.purls.empty()) from_purl(r.props.purls.front());
  if (pkg.empty() && primary && primary->artifact_index >= 0 &&
      static_cast<size_t>(primary->artifact_index) < run.artifacts.size()) {
    const auto& art = run.artifacts[static_cast<size_t>(primary->artifact_index)];
    if (!art.purls.empty()) from_purl(art.purls.front());
  }
  if (pkg.empty() && StartsWith(file, "pkg:")) from_purl(file);
  if (pkg.empty() && !rprops.purls.empty()) from_purl(rprops.purls.front());
  if (pkg.empty() && !r.props.Get("component").empty() && !r.props.Get("componentVersion").empty()) {
    pkg.name = r.props.Get("component");  // Black Duck
    pkg.version = r.props.Get("componentVersion");
    pkg.ecosystem = CanonicalEcosystem(r.props.Get("componentOrigin"));
  }
  if (auto name = LineValue(message, "Package"); name && pkg.empty()) {  // Trivy
    if (auto ver = LineValue(message, "Installed Version")) {
      pkg.name = *name;
      pkg.version = *ver;
      pkg.ecosystem = EcosystemForManifest(manifest);
      if (pkg.ecosystem.empty() && rule && rule->name == "OsPackageVulnerability") {
        pkg.ecosystem = OsEcosystemForVersion(pkg.version);
      }
    }
  }
  if (auto fv = LineValue(message, "Fixed Version")) {
    fixed = *fv;
    fix_stated = true;
  }
  if (rule) {  // Grype's rule help names the package of that (vulnerability, package) rule
    auto name = LineValue(rule->help, "Package");
    auto ver = LineValue(rule->help, "Version");
    if (name && ver && pkg.empty()) {
      pkg.name = *name;
      pkg.version = *ver;
      if (auto type = LineValue(rule->help, "Type")) pkg.ecosystem = CanonicalEcosystem(*type);
    }
    if (auto fv = LineValue(rule->help, "Fix Version"); fv && !fix_stated) {
      fixed = *fv;
      fix_stated = true;
    }
  }
  for (std::string key : {"fixedVersion", "fixVersion"}) {
    if (!fix_stated && !r.props.Get(key).empty()) {
      fixed = r.props.Get(key);
      fix_stated = true;
    }
  }
  if (!pkg.empty()) {
    for (auto& id : VulnIds(message)) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
  }
  std::string vuln_id = !ids.empty() ? ids.front() : std::string();
  if (vuln_id.empty() && family == "dependency-check" && !pkg.empty()) vuln_id = rule_id;
  bool vulnerable_package = !vuln_id.empty() && !pkg.name.empty() && !pkg.version.empty();

  if (!vuln_id.empty()) {
    Vulnerability v;
    v.id = vuln_id;
    for (size_t i = 1; i < ids.size(); ++i) v.related_vulnerabilities.push_back(ids[i]);
    if (!pkg.empty()) {
      VulnerablePackage vp;
      vp.name = pkg.name;
      vp.version = pkg.version;
      vp.package_manager = CanonicalEcosystem(pkg.ecosystem);
      if (primary && primary->has_physical() && !StartsWith(file, "pkg:")) vp.file_path = file;
      vp.fixed_in_version = fixed;
      vp.purl = purl;
      v.vulnerable_packages.push_back(std::move(vp));
      if (fix_stated) v.fix_available = fixed.empty() ? "NO" : "YES";
    }
    auto cvss = [&](const Props& p) {
      if (auto s = Score(p.Get("cvssv3_baseScore"))) {
        Cvss c;
        std::string vec = p.Get("cvssv3_vector");
        c.version = StartsWith(vec, "CVSS:") ? vec.substr(5, vec.find('/') - 5) : p.Get("cvssv3_version");
        if (c.version.empty()) c.version = "3.x";
        c.base_score = *s;
        c.base_vector = vec;
        c.source = p.Get("source");
        v.cvss.push_back(std::move(c));
      }
      if (auto s = Score(p.Get("cvssv2_score"))) {
        Cvss c;
        c.version = "2.0";
        c.base_score = *s;
        c.base_vector = p.Get("cvssv2_vector");
        c.source = p.Get("source");
        v.cvss.push_back(std::move(c));
      }
    };
    cvss(r.props);
    if (v.cvss.empty()) cvss(rprops);
    if (rule && StartsWith(rule->help_uri, "http") &&
        rule->help_uri.find("://github.com/anchore/grype") == std::string::npos) {
      v.reference_urls.push_back(rule->help_uri);
    }
    f.vulnerabilities.push_back(std::move(v));
    if (!pkg.empty() && f.remediation_text.empty() && !fixed.empty()) {
      f.remediation_text = "Upgrade " + pkg.name + " to " + fixed + ".";
    }
    if (!pkg.empty() && !f.resources.empty()) {
      f.resources.front().details_other["Package"] = pkg.name;
      if (!pkg.version.empty()) f.resources.front().details_other["PackageVersion"] = pkg.version;
      if (!purl.empty()) f.resources.front().details_other["Purl"] = purl;
    }
  }

  // Identity.
  if (vulnerable_package) {
    f.fingerprint = VulnFingerprint(vuln_id, pkg);
  } else if (family == "codeguru") {
    std::string anchor = CodeGuruAnchor(!r.markdown.empty() ? r.markdown : message);
    int seen = run.codeguru_repeats[rule_id + '\x1f' + file + '\x1f' + anchor]++;
    if (seen > 0) anchor += "#" + std::to_string(seen);
    f.fingerprint = CodeFingerprint("codeguru", rule_id, file, anchor);
  } else if (family == "gitleaks" && !GitleaksSecret(r, snippet).empty()) {
    // gitleaks.cpp's anchor: the hash of the secret (v8 SARIF writes the secret as the
    // snippet, v7 in the "offender" property), no ordinal: the same secret in the same file is
    // one finding whatever the commit or line, as in the JSON report.
    f.fingerprint =
        CodeFingerprint("gitleaks", rule_id, file, "secret:" + Hex64(Hash64(GitleaksSecret(r, snippet))));
  } else {
    std::string base;
    if (family == "semgrep") {
      base = SemgrepAnchorBase();
    } else {
      std::vector<std::pair<std::string, std::string>> stable;
      for (const auto& kv : r.partial_fps) {
        if (StablePartialKey(kv.first)) stable.push_back(kv);
      }
      if (!stable.empty()) base = "partialFingerprints:" + JoinSorted(stable);
      else if (!r.fps.empty()) base = "fingerprints:" + JoinSorted(r.fps);
      else base = NormalizeSnippet(snippet);
    }
    std::string anchor = run.anchors.Make(rule_id, file, base, message, region);
    f.fingerprint = CodeFingerprint(family, rule_id, file, anchor);
  }

  // Types.
  if (secret) {
    f.types = {"Sensitive Data Identifications/Passwords"};
  } else if (f.vulnerabilities.empty() && !rprops.tags.empty() && cwes.empty() && security_severity.empty()) {
    // Quality rules (CodeQL, SpotBugs, ... category tags) are not vulnerabilities; any other
    // tag (or none) keeps the default.
    static constexpr std::string_view kQuality[] = {
        "maintainability",   "reliability",    "readability",  "correctness",   "style",      "performance",   "i18n",
        "bad_practice",      "convention",     "useless-code", "efficiency",    "complexity", "documentation", "naming",
        "language-features", "mt_correctness", "experimental", "best-practice", "portability"};
    bool quality = true;
    for (const auto& t : rprops.tags) {
      bool known = false;
      for (auto q : kQuality) known = known || EqualsIgnoreCase(t, q);
      quality = quality && known;
    }
    if (quality) f.types = {"Software and Configuration Checks"};
  }

  // ProductFields.
  auto pf = [&](std::string_view name, std::string value) {
    value = Trim(value);
    if (!value.empty()) f.product_fields[family + "/" + std::string(name)] = std::move(value);
  };
  pf("ToolVersion", run.driver.version);
  pf("Level", used_level);
  if (kind != "fail") pf("Kind", kind);
  if (rule && !rule->name.empty() && rule->name != rule_id) pf("RuleName", rule->name);
  pf("SecuritySeverity", security_severity);
  pf("BaselineState", r.baseline);
  pf("Rank", r.rank);
  if (!r.suppression_status.empty()) pf("SuppressionStatus", r.suppression_status);
  std::string tags;
  for (const auto& t : rprops.tags) tags += (tags.empty() ? "" : ", ") + t;
  pf("Tags", tags);
  if (r.locs.size() > 1) pf("Locations", std::to_string(r.locs.size()));
  if (!password.empty()) {
    pf("SecretPreview", RedactedPreview(password));
    pf("SecretHash", SecretHash(password));
  } else if (!Trim(snippet).empty()) {
    if (secret) {
      pf("SecretPreview", RedactedPreview(snippet));
      pf("SecretHash", SecretHash(Trim(snippet)));
    } else {
      pf("Snippet", Trim(snippet));
    }
  }
  f.resource_count = f.resources.size();
  return sink_.Accept(std::move(f));
}

Status SarifReader::ReadResults(od::value v, Run& run, size_t run_index) {
  if (IsNull(v)) return Status::Ok();
  od::array results;
  if (auto ec = v.get_array().get(results)) {
    if (ec != simdjson::INCORRECT_TYPE) return rep_.Malformed("malformed \"results\"", ec);
    sink_.AddReject(
        rep_.MakeReject(v, "runs[" + std::to_string(run_index) + "].results", "\"results\" is not an array"));
    return Status::Ok();
  }
  size_t i = 0;
  for (auto el : results) {
    od::value rv;
    if (auto ec = el.get(rv)) return rep_.Malformed("malformed result", ec);
    uint64_t offset = rep_.OffsetOf(rv);
    ResultData r;
    od::json_type t;
    if (auto ec = rv.type().get(t)) return rep_.Malformed("malformed result", ec);
    if (t != od::json_type::object) {
      sink_.AddReject(rep_.MakeReject(rv, "runs[" + std::to_string(run_index) + "].results[" + std::to_string(i) + "]",
                                      "result is not an object"));
      ++i;
      continue;
    }
    ReadResult(rv, r);
    if (fatal_) return rep_.Malformed("malformed result", fatal_);
    FINDEX_RETURN_IF_ERROR(Emit(run, r, run_index, i, offset));
    ++i;
  }
  return Status::Ok();
}

Status SarifReader::Read() {
  FINDEX_RETURN_IF_ERROR(rep_.Open(src_));
  {
    // Pass 0: the whole document is well-formed (the passes below skip what they do not read).
    od::value doc;
    if (auto ec = rep_.doc().get_value().get(doc)) return rep_.Malformed("cannot parse JSON", ec);
    if (auto ec = ValidateJson(doc)) return rep_.Malformed("malformed JSON", ec);
    FINDEX_RETURN_IF_ERROR(rep_.Finish());
    rep_.doc().rewind();
  }
  // Pass 1: version and the context of every run.
  od::object root;
  if (auto ec = rep_.doc().get_object().get(root)) return rep_.Malformed("expected a SARIF log object", ec);
  bool has_runs = false, runs_array = false;
  for (auto field : root) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep_.Malformed("bad key", ec);
    od::value v;
    if (auto ec = field.value().get(v)) return rep_.Malformed("bad value", ec);
    if (key == "version") {
      version_ = Trim(Str(v));
    } else if (key == "runs") {
      has_runs = true;
      if (IsNull(v)) continue;  // §3.13.4: null when the tool could not run
      od::array runs;
      if (auto ec = v.get_array().get(runs)) {
        if (ec != simdjson::INCORRECT_TYPE) return rep_.Malformed("malformed \"runs\"", ec);
        return MakeError(ErrorCode::kSchema, "not a SARIF log: \"runs\" is not an array", src_.path());
      }
      runs_array = true;
      for (auto el : runs) {
        od::value rv;
        if (auto ec = el.get(rv)) return rep_.Malformed("malformed run", ec);
        runs_.emplace_back();
        FINDEX_RETURN_IF_ERROR(ReadRunContext(rv, runs_.back()));
        if (!runs_.back().target.empty()) sink_.AddTarget(runs_.back().target);
      }
    }
    if (fatal_) return rep_.Malformed("malformed SARIF log", fatal_);
  }
  FINDEX_RETURN_IF_ERROR(rep_.Finish());
  if (!has_runs) return MakeError(ErrorCode::kSchema, "not a SARIF log: no \"runs\"", src_.path());
  if (!version_.empty() && version_ != "2.1.0" && !StartsWith(version_, "2.0.0") && version_ != "1.0.0") {
    return MakeError(
        ErrorCode::kSchema,
        "unsupported SARIF version \"" + version_ + "\" (findex reads 2.1.0, 2.0.0 and its pre-releases, 1.0.0)",
        src_.path());
  }
  if (!runs_array || runs_.empty()) return Status::Ok();

  // Pass 2: the results of each run, with the context of pass 1.
  rep_.doc().rewind();
  if (auto ec = rep_.doc().get_object().get(root)) return rep_.Malformed("expected a SARIF log object", ec);
  for (auto field : root) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep_.Malformed("bad key", ec);
    if (key != "runs") continue;
    od::array runs;
    if (auto ec = field.value().get_array().get(runs)) return rep_.Malformed("malformed \"runs\"", ec);
    size_t run_index = 0;
    for (auto el : runs) {
      od::object run;
      if (auto ec = el.get_object().get(run)) return rep_.Malformed("malformed run", ec);
      if (run_index >= runs_.size()) return rep_.Malformed("runs changed between passes");
      for (auto rf : run) {
        std::string_view rkey;
        if (auto ec = rf.unescaped_key().get(rkey)) return rep_.Malformed("bad key", ec);
        if (rkey != "results") continue;
        od::value rv;
        if (auto ec = rf.value().get(rv)) return rep_.Malformed("malformed \"results\"", ec);
        FINDEX_RETURN_IF_ERROR(ReadResults(rv, runs_[run_index], run_index));
      }
      ++run_index;
    }
  }
  return rep_.Finish();
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  SarifReader reader(src, sink);
  return reader.Read();
}

}  // namespace

const FormatDescriptor& SarifFormat() {
  static const FormatDescriptor kDesc{"sarif", "sarif", "SARIF 2.1.0 (also 2.0.0 and 1.0.0) from any producer",
                                      kExt,    Sniff,   Ingest};
  return kDesc;
}

}  // namespace findex
