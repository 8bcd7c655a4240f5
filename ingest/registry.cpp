#include "ingest/registry.h"

#include <fnmatch.h>

#include <cctype>
#include <vector>

namespace findex {

// Each format file defines one `const FormatDescriptor& XxxFormat()`.
const FormatDescriptor& PhpstanFormat();
const FormatDescriptor& SonarqubeFormat();
const FormatDescriptor& CodeguruFormat();
const FormatDescriptor& ZapJsonFormat();
const FormatDescriptor& ZapXmlFormat();
const FormatDescriptor& FalcoFormat();
const FormatDescriptor& TrivyFormat();
const FormatDescriptor& GrypeFormat();
const FormatDescriptor& DependencyCheckJsonFormat();
const FormatDescriptor& DependencyCheckXmlFormat();
const FormatDescriptor& BanditFormat();
const FormatDescriptor& GitleaksFormat();
const FormatDescriptor& CheckovFormat();
const FormatDescriptor& CfnNagFormat();
const FormatDescriptor& CfnGuardFormat();
const FormatDescriptor& SarifFormat();
const FormatDescriptor& SemgrepFormat();
const FormatDescriptor& Inspector2Format();
const FormatDescriptor& AsffFormat();
const FormatDescriptor& CycloneDxFormat();
const FormatDescriptor& GitlabFormat();
const FormatDescriptor& OsvScannerFormat();
const FormatDescriptor& NpmAuditFormat();
const FormatDescriptor& PipAuditFormat();
const FormatDescriptor& SnykFormat();
const FormatDescriptor& TfsecFormat();
const FormatDescriptor& KicsFormat();
const FormatDescriptor& TerrascanFormat();
const FormatDescriptor& HadolintFormat();
const FormatDescriptor& TflintFormat();
const FormatDescriptor& TrufflehogFormat();
const FormatDescriptor& NucleiFormat();
const FormatDescriptor& ProwlerFormat();
// -- format declarations (keep in the same order as the list below) --

std::span<const FormatDescriptor> Formats() {
  static const std::vector<FormatDescriptor> kFormats = {
      PhpstanFormat(),
      SonarqubeFormat(),
      CodeguruFormat(),
      ZapJsonFormat(),
      ZapXmlFormat(),
      FalcoFormat(),
      TrivyFormat(),
      GrypeFormat(),
      DependencyCheckJsonFormat(),
      DependencyCheckXmlFormat(),
      BanditFormat(),
      GitleaksFormat(),
      CheckovFormat(),
      CfnNagFormat(),
      CfnGuardFormat(),
      SarifFormat(),
      SemgrepFormat(),
      Inspector2Format(),
      AsffFormat(),
      CycloneDxFormat(),
      GitlabFormat(),
      OsvScannerFormat(),
      NpmAuditFormat(),
      PipAuditFormat(),
      SnykFormat(),
      TfsecFormat(),
      KicsFormat(),
      TerrascanFormat(),
      HadolintFormat(),
      TflintFormat(),
      TrufflehogFormat(),
      NucleiFormat(),
      ProwlerFormat(),
      // -- format list --
  };
  return kFormats;
}

const FormatDescriptor* FindFormat(std::string_view name) {
  for (const auto& f : Formats()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool IsEventFormat(const FormatDescriptor& f) { return f.scanner == "falco"; }

namespace {

// The first `n` characters without white space and byte-order marks.
std::string Compact(std::string_view head, size_t n = 64) {
  std::string compact;
  for (char c : head.substr(0, n)) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\xEF' && c != '\xBB' && c != '\xBF') compact.push_back(c);
  }
  return compact;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool IsContentFree(std::string_view text) {
  if (text.size() > 4096) return false;  // that much white space is not a report either way
  std::string c = Compact(text, text.size());
  return c.empty() || c == "null" || c == "[]" || c == "{}";
}

std::span<const FileNamePattern> FileNamePatterns() {
  // One line per documented pattern (README "Formats"); the first match wins. A distinctive
  // scanner name may stand anywhere in the name (report-gitleaks.json); short or common ones
  // (zap, sonar, asff) only at the start.
  static const FileNamePattern kPatterns[] = {
      {"*.sarif", "sarif"},  // first: trivy.sarif.json is SARIF
      {"*.sarif.json", "sarif"},
      {"*gitleaks*.json", "gitleaks"},
      {"*trivy*.json", "trivy"},
      {"*grype*.json", "grype"},
      {"*semgrep*.json", "semgrep"},
      {"*bandit*.json", "bandit"},
      {"*checkov*.json", "checkov"},
      {"results_json.json", "checkov"},  // checkov -o json --output-file-path DIR
      {"*cfn-nag*.json", "cfn-nag"},
      {"*cfn_nag*.json", "cfn-nag"},
      {"*cfn-guard*.json", "cfn-guard"},
      {"*phpstan*.json", "phpstan"},
      {"sonar*.json", "sonarqube"},
      {"*codeguru*.json", "codeguru"},
      {"*inspector*.json", "inspector2"},
      {"*falco*.json", "falco"},
      {"zap*.json", "zap-json"},
      {"zap*.xml", "zap-xml"},
      {"*dependency-check*.json", "dependency-check-json"},
      {"*dependency-check*.xml", "dependency-check-xml"},
      {"asff*.json", "asff"},
      {"securityhub*.json", "asff"},
      {"*.cdx.json", "cyclonedx"},  // CycloneDX's recommended file names (bom.cdx.json)
      {"*.cdx.xml", "cyclonedx"},
      {"gl-*-report.json", "gitlab"},  // gl-sast-report.json, gl-dependency-scanning-report.json, ...
      {"*tfsec*.json", "tfsec"},
      {"*kics*.json", "kics"},
      {"*terrascan*.json", "terrascan"},
      {"*hadolint*.json", "hadolint"},
      {"*tflint*.json", "tflint"},
      {"*trufflehog*.json", "trufflehog"},
      {"*trufflehog*.jsonl", "trufflehog"},
      {"*nuclei*.json", "nuclei"},
      {"*nuclei*.jsonl", "nuclei"},
      {"*.ocsf.json", "prowler"},
  };
  return kPatterns;
}

const FormatDescriptor* FormatFromFileName(std::string_view path) {
  std::string_view name = path.substr(path.find_last_of('/') == std::string_view::npos ? 0 : path.find_last_of('/') + 1);
  std::string n = Lower(name);
  if (n.size() > 3 && n.compare(n.size() - 3, 3, ".gz") == 0) n.resize(n.size() - 3);
  for (const auto& p : FileNamePatterns()) {
    if (fnmatch(std::string(p.glob).c_str(), n.c_str(), 0) == 0) return FindFormat(p.format);
  }
  return nullptr;
}

Result<std::vector<FormatRule>> ParseFormatRules(const std::vector<std::string>& values) {
  std::vector<FormatRule> rules;
  bool plain = false;
  for (const auto& v : values) {
    size_t eq = v.find('=');
    std::string name = v.substr(0, eq);
    FormatRule r;
    r.format = FindFormat(name);
    if (!r.format) {
      return MakeError(ErrorCode::kInvalidArgument, "unknown format '" + name + "' (see `findex formats`)", "--format");
    }
    if (eq != std::string::npos) {
      r.glob = v.substr(eq + 1);
      if (r.glob.empty()) {
        return MakeError(ErrorCode::kInvalidArgument, "'" + v + "': NAME=GLOB needs a glob, e.g. gitleaks='*leaks*.json'",
                         "--format");
      }
    } else {
      if (plain) return MakeError(ErrorCode::kInvalidArgument, "one --format NAME for every file; per file: NAME=GLOB", "--format");
      plain = true;
    }
    rules.push_back(std::move(r));
  }
  return rules;
}

const FormatDescriptor* FormatForFile(const std::vector<FormatRule>& rules, std::string_view path) {
  const std::string p(path);
  const std::string name = p.substr(p.find_last_of('/') == std::string::npos ? 0 : p.find_last_of('/') + 1);
  for (const auto& r : rules) {
    if (!r.glob.empty() && (fnmatch(r.glob.c_str(), name.c_str(), 0) == 0 || fnmatch(r.glob.c_str(), p.c_str(), 0) == 0)) {
      return r.format;
    }
  }
  for (const auto& r : rules) {
    if (r.glob.empty()) return r.format;
  }
  return nullptr;
}

Result<const FormatDescriptor*> DetectFormat(std::string_view head) {
  const FormatDescriptor* best = nullptr;
  SniffConfidence best_conf = SniffConfidence::kNo;
  for (const auto& f : Formats()) {
    SniffConfidence c = f.sniff(head);
    if (c > best_conf) {
      best = &f;
      best_conf = c;
    }
  }
  if (!best) {
    if (IsContentFree(head)) {
      std::string compact = Compact(head);
      return MakeError(ErrorCode::kUnknownFormat,
                       "empty report (" + (compact.empty() ? std::string("no content") : compact) +
                           "): nothing in it names its scanner, nor does its file name (patterns: `findex "
                           "formats`); pass --format NAME, or --format NAME=GLOB for some files, to record it "
                           "as that scanner's clean scan (which resolves its open findings in the scope)");
    }
    return MakeError(ErrorCode::kUnknownFormat,
                     "not a report format findex knows (see `findex formats`; use --format to force one)");
  }
  return best;
}

}  // namespace findex
