// Readers for the ignore files teams already keep next to their code, turned into findex
// suppressions:
//   .codeguru-ignore.yml  (CodeGuru Reviewer CLI, version 1.0; keys are case-insensitive as in
//                          the CLI's Jackson mapper: ExcludeFiles, ExcludeBelowSeverity,
//                          ExcludeTags, ExcludeById, ExcludeRecommendations{detectorId, Locations})
//   .trivyignore          (one id per line, "# comment" lines, "exp:YYYY-MM-DD" anywhere after the id)
//   .trivyignore.yaml     (vulnerabilities / misconfigurations / secrets / licenses lists of
//                          {id, paths, purls, expired_at, statement}; id optional when paths or
//                          purls narrow the entry, as in current Trivy)
// Every entry becomes its own Suppression, named "<file name>:<line> <what>", so that a finding
// shows which line of which file suppressed it.
//
// Diagnostic codes (I1xx: ignore files):
//   I101 warning  unknown key, or text in a .trivyignore line that Trivy ignores
//   I102 error    wrong type (e.g. a string where a list is expected)
//   I103 error    bad date (exp: / expired_at)
//   I104 error    YAML syntax error
//   I105 error    bad or missing value (unknown severity, invalid purl, entry without id/paths/purls)
//   I106 warning  entry that cannot have an effect in findex (licenses, ExcludeBelowSeverity Info, ...)
//   I107 warning  glob syntax findex does not support ([...] or {...}); matched literally
//   I108 warning  .codeguru-ignore.yml without version 1.0
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "normalize/fingerprint.h"
#include "normalize/text.h"
#include "rules/policy.h"

namespace findex {
namespace {


std::string BaseName(std::string_view path) {
  size_t slash = path.find_last_of("/\\");
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// Collects diagnostics for one file and counts its errors.
class Reader {
 public:
  Reader(const std::string& file, Policy* policy, std::vector<Diagnostic>* diags)
      : file_(file), base_(BaseName(file)), policy_(policy), diags_(diags) {}

  void Add(Diagnostic::Level level, int line, int col, const char* code, std::string message) {
    Diagnostic d;
    d.level = level;
    d.pos = SourcePos{file_, line, col};
    d.code = code;
    d.message = std::move(message);
    if (level == Diagnostic::Level::kError) ++errors_;
    if (diags_) diags_->push_back(std::move(d));
  }
  void Error(const YAML::Mark& m, const char* code, std::string message) {
    Add(Diagnostic::Level::kError, Line(m), Col(m), code, std::move(message));
  }
  void Warn(const YAML::Mark& m, const char* code, std::string message) {
    Add(Diagnostic::Level::kWarning, Line(m), Col(m), code, std::move(message));
  }

  // Appends a suppression named "<file name>:<line> <what>".
  void Suppress(Matcher match, int line, int col, const std::string& what, std::string reason,
                std::string expires = {}, int64_t expires_ms = -1) {
    Suppression s;
    s.name = base_ + ":" + std::to_string(line) + " " + what;
    s.match = std::move(match);
    s.reason = std::move(reason);
    s.expires = std::move(expires);
    s.expires_ms = expires_ms;
    s.pos = SourcePos{file_, line, col};
    policy_->suppressions.push_back(std::move(s));
  }

  Status Finish() const {
    if (errors_ == 0) return Status::Ok();
    return MakeError(ErrorCode::kInvalidArgument,
                     std::to_string(errors_) + (errors_ == 1 ? " error" : " errors") + " in " + file_, file_);
  }

  static int Line(const YAML::Mark& m) { return m.is_null() || m.line < 0 ? 0 : m.line + 1; }
  static int Col(const YAML::Mark& m) { return m.is_null() || m.column < 0 ? 0 : m.column + 1; }

 private:
  std::string file_, base_;
  Policy* policy_;
  std::vector<Diagnostic>* diags_;
  int errors_ = 0;
};

// Parses `text`; a syntax error becomes an I104 diagnostic and nullopt.
std::optional<YAML::Node> ParseYaml(const std::string& text, Reader& r) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    r.Error(e.mark, "I104", "YAML syntax error: " + e.msg);
    return std::nullopt;
  }
}

const char* KindOf(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a scalar";
    default: return "null";
  }
}

// A scalar value; an I102 error (and nullopt) for anything else.
std::optional<std::string> ReadScalar(const YAML::Node& n, std::string_view key, Reader& r) {
  if (n.IsScalar()) return n.Scalar();
  r.Error(n.Mark(), "I102", "'" + std::string(key) + "' must be a string, not " + KindOf(n));
  return std::nullopt;
}

struct Item {
  std::string value;
  YAML::Mark mark;
};

// A list of scalars (null: empty); I102 for a non-list or a non-scalar element, which is
// skipped and clears *ok (when given) so that the caller can drop a half-read entry.
std::vector<Item> ReadList(const YAML::Node& n, std::string_view key, Reader& r, bool* ok = nullptr) {
  std::vector<Item> out;
  if (n.IsNull()) return out;
  if (!n.IsSequence()) {
    r.Error(n.Mark(), "I102", "'" + std::string(key) + "' must be a list of strings, not " + KindOf(n));
    if (ok) *ok = false;
    return out;
  }
  for (const auto& el : n) {
    if (!el.IsScalar()) {
      r.Error(el.Mark(), "I102", "'" + std::string(key) + "' entries must be strings, not " + KindOf(el));
      if (ok) *ok = false;
      continue;
    }
    std::string v = Trim(el.Scalar());
    if (v.empty()) {
      r.Warn(el.Mark(), "I106", "empty entry in '" + std::string(key) + "' ignored");
      continue;
    }
    out.push_back({std::move(v), el.Mark()});
  }
  return out;
}

// findex globs know * ? and **; CodeGuru (Java glob) and Trivy (doublestar) also take [...] and {...}.
void CheckGlob(const Item& g, Reader& r) {
  if (g.value.find_first_of("[]{}") != std::string::npos) {
    r.Warn(g.mark, "I107",
           "'" + g.value + "': findex globs support only * ? and **; brackets and braces are matched literally");
  }
}

// ---------------------------------------------------------------------------------------------
// .codeguru-ignore.yml

// CodeGuru Reviewer severities, most severe first; the CLI drops a recommendation whose
// severity is strictly below ExcludeBelowSeverity (Info and unknown count as lowest).
std::optional<SeverityLabel> CodeGuruSeverity(std::string_view s) {
  if (EqualsIgnoreCase(s, "Critical")) return SeverityLabel::kCritical;
  if (EqualsIgnoreCase(s, "High")) return SeverityLabel::kHigh;
  if (EqualsIgnoreCase(s, "Medium")) return SeverityLabel::kMedium;
  if (EqualsIgnoreCase(s, "Low")) return SeverityLabel::kLow;
  if (EqualsIgnoreCase(s, "Info")) return SeverityLabel::kInformational;
  return std::nullopt;
}

Matcher CodeGuruMatch() {
  Matcher m;
  m.scanners = {"codeguru"};
  return m;
}

std::string CodeGuruReason(std::string_view key) { return "from .codeguru-ignore.yml (" + std::string(key) + ")"; }

void CodeGuruRecommendations(const YAML::Node& n, Reader& r) {
  if (n.IsNull()) return;
  if (!n.IsSequence()) {
    r.Error(n.Mark(), "I102", "'ExcludeRecommendations' must be a list, not " + std::string(KindOf(n)));
    return;
  }
  for (const auto& entry : n) {
    if (!entry.IsMap()) {
      r.Error(entry.Mark(), "I102",
              "'ExcludeRecommendations' entries must be mappings with detectorId and Locations, not " +
                  std::string(KindOf(entry)));
      continue;
    }
    std::optional<std::string> detector;
    std::vector<Item> locations;
    bool bad = false;
    for (const auto& kv : entry) {
      std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
      std::string lk = ToLower(key);
      if (lk == "detectorid") {
        detector = ReadScalar(kv.second, key, r);
        bad = bad || !detector;
      } else if (lk == "locations") {
        bool ok = true;
        locations = ReadList(kv.second, key, r, &ok);
        bad = bad || !ok;  // a detector suppressed everywhere is worse than not at all
      } else {
        // The CLI rejects unknown properties; applying the rest ("Location" for "Locations")
        // would suppress the detector everywhere.
        r.Warn(kv.first.Mark(), "I101",
               "unknown key '" + key + "' in ExcludeRecommendations (expected detectorId, Locations); entry ignored");
        bad = true;
      }
    }
    if (bad) continue;
    if (!detector || Trim(*detector).empty()) {
      r.Error(entry.Mark(), "I105", "ExcludeRecommendations entry without a detectorId");
      continue;
    }
    Matcher m = CodeGuruMatch();
    m.rules = {Trim(*detector)};
    for (const auto& l : locations) {
      CheckGlob(l, r);
      m.paths.push_back(l.value);
    }
    r.Suppress(std::move(m), Reader::Line(entry.Mark()), Reader::Col(entry.Mark()),
               "ExcludeRecommendations " + Trim(*detector), CodeGuruReason("ExcludeRecommendations"));
  }
}

}  // namespace

Status LoadCodeGuruIgnore(const std::string& text, const std::string& file, Policy* policy,
                          std::vector<Diagnostic>* diags) {
  Reader r(file, policy, diags);
  std::optional<YAML::Node> root = ParseYaml(text, r);
  if (!root) return r.Finish();
  try {
    if (root->IsNull()) {
      r.Add(Diagnostic::Level::kWarning, 1, 1, "I108", "no 'version: 1.0' (CodeGuru Reviewer requires it)");
      return r.Finish();
    }
    if (!root->IsMap()) {
      r.Error(root->Mark(), "I102", std::string("a .codeguru-ignore.yml must be a mapping, not ") + KindOf(*root));
      return r.Finish();
    }
    bool has_version = false;
    for (const auto& kv : *root) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
      const std::string lk = ToLower(key);
      const YAML::Node& v = kv.second;
      if (lk == "version") {
        has_version = true;
        if (auto s = ReadScalar(v, key, r); s && *s != "1.0" && *s != "1") {
          r.Warn(v.Mark(), "I108", "version '" + *s + "': findex reads version 1.0 of this file");
        }
      } else if (lk == "excludefiles") {
        for (const auto& g : ReadList(v, key, r)) {
          CheckGlob(g, r);
          Matcher m = CodeGuruMatch();
          m.paths = {g.value};
          r.Suppress(std::move(m), Reader::Line(g.mark), Reader::Col(g.mark), "ExcludeFiles " + g.value,
                     CodeGuruReason("ExcludeFiles"));
        }
      } else if (lk == "excludebelowseverity") {
        auto s = ReadScalar(v, key, r);
        if (!s) continue;
        auto label = CodeGuruSeverity(Trim(*s));
        if (!label) {
          r.Error(v.Mark(), "I105", "ExcludeBelowSeverity '" + *s + "' is not one of Info, Low, Medium, High, Critical");
        } else if (*label == SeverityLabel::kInformational) {
          r.Warn(v.Mark(), "I106", "ExcludeBelowSeverity Info excludes nothing");
        } else {
          Matcher m = CodeGuruMatch();
          m.severity_at_most = static_cast<SeverityLabel>(static_cast<int>(*label) - 1);
          r.Suppress(std::move(m), Reader::Line(v.Mark()), Reader::Col(v.Mark()),
                     "ExcludeBelowSeverity " + std::string(ToString(*label)), CodeGuruReason("ExcludeBelowSeverity"));
        }
      } else if (lk == "excludetags") {
        for (const auto& t : ReadList(v, key, r)) {
          Matcher m = CodeGuruMatch();
          m.tags = {t.value};
          r.Suppress(std::move(m), Reader::Line(t.mark), Reader::Col(t.mark), "ExcludeTags " + t.value,
                     CodeGuruReason("ExcludeTags"));
        }
      } else if (lk == "excludebyid") {
        for (const auto& id : ReadList(v, key, r)) {
          Matcher m = CodeGuruMatch();
          m.ids = {id.value};
          r.Suppress(std::move(m), Reader::Line(id.mark), Reader::Col(id.mark), "ExcludeById " + id.value,
                     CodeGuruReason("ExcludeById"));
        }
      } else if (lk == "excluderecommendations") {
        CodeGuruRecommendations(v, r);
      } else {
        r.Warn(kv.first.Mark(), "I101",
               "unknown key '" + key +
                   "' (expected version, ExcludeFiles, ExcludeBelowSeverity, ExcludeTags, ExcludeById, "
                   "ExcludeRecommendations)");
      }
    }
    if (!has_version) {
      r.Warn(root->Mark(), "I108", "no 'version: 1.0' (CodeGuru Reviewer requires it)");
    }
  } catch (const YAML::Exception& e) {
    r.Error(e.mark, "I104", "YAML error: " + e.msg);
  }
  return r.Finish();
}

// ---------------------------------------------------------------------------------------------
// Trivy

namespace {

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Trivy reads a date as midnight UTC and drops the ignore once that instant has passed: the date
// is the first day on which the finding shows again. RFC 3339 timestamps (accepted by the YAML
// reader) are instants as written. nullopt: not a date Trivy would accept.
std::optional<int64_t> TrivyExpiry(std::string_view s, bool allow_timestamp) {
  if (s.size() == 10 && s[4] == '-' && s[7] == '-' && IsDigits(s.substr(0, 4)) && IsDigits(s.substr(5, 2)) &&
      IsDigits(s.substr(8, 2))) {
    return ParseExpiry(std::string(s) + "T00:00:00Z");
  }
  if (allow_timestamp && s.size() > 10 && (s[10] == 'T' || s[10] == 't')) return ParseExpiry(s);
  return std::nullopt;
}

Matcher TrivyMatch() {
  Matcher m;
  m.scanners = {"trivy"};
  return m;
}

// Ids of this shape only ever name vulnerabilities.
bool IsVulnId(std::string_view id) {
  std::string u = ToUpper(id);
  return StartsWith(u, "CVE-") || StartsWith(u, "GHSA-");
}

struct TrivyLine {
  std::string_view token;
  int col;  // 1-based
};

}  // namespace

Status LoadTrivyIgnore(const std::string& text, const std::string& file, Policy* policy,
                       std::vector<Diagnostic>* diags) {
  Reader r(file, policy, diags);
  std::string_view rest = text;
  if (StartsWith(rest, "\xEF\xBB\xBF")) rest.remove_prefix(3);
  std::vector<std::string> comment_block;  // "# ..." lines right above an id: its reason
  int line_no = 0;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++line_no;
    std::vector<TrivyLine> toks;
    for (size_t i = 0; i < line.size();) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\v' ||
                                 line[i] == '\f')) {
        ++i;
      }
      size_t start = i;
      while (i < line.size() && !(line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\v' ||
                                  line[i] == '\f')) {
        ++i;
      }
      if (i > start) toks.push_back({line.substr(start, i - start), static_cast<int>(start) + 1});
    }
    if (toks.empty()) {
      comment_block.clear();
      continue;
    }
    if (toks[0].token[0] == '#') {
      std::string c = Trim(line.substr(static_cast<size_t>(toks[0].col)));
      if (!c.empty()) comment_block.push_back(std::move(c));
      continue;
    }
    // Trivy: the first field is the id; the first field starting with "exp:" is the expiry
    // (wherever it is); every other field is ignored. A "#" field starts a trailing comment.
    const TrivyLine& id = toks[0];
    std::optional<TrivyLine> exp;
    std::string trailing;
    bool in_comment = false;
    for (size_t k = 1; k < toks.size(); ++k) {
      const TrivyLine& t = toks[k];
      if (!exp && StartsWith(t.token, "exp:")) {
        exp = t;
      } else if (!in_comment && t.token[0] == '#') {
        in_comment = true;
        trailing = Trim(line.substr(static_cast<size_t>(t.col)));
      } else if (!in_comment) {
        r.Add(Diagnostic::Level::kWarning, line_no, t.col, "I101",
              "'" + std::string(t.token) + "' ignored (a .trivyignore line is an id, an optional exp:YYYY-MM-DD and an optional # comment)");
      }
    }
    std::string expires;
    int64_t expires_ms = -1;
    if (exp) {
      expires = std::string(exp->token.substr(4));
      auto ms = TrivyExpiry(expires, false);
      if (!ms) {
        r.Add(Diagnostic::Level::kError, line_no, exp->col, "I103",
              "bad expiry '" + std::string(exp->token) + "' (expected exp:YYYY-MM-DD); Trivy skips this line");
        comment_block.clear();
        continue;
      }
      expires_ms = *ms;
    }
    std::string reason = "from .trivyignore";
    std::string why = !trailing.empty() ? trailing : [&] {
      std::string joined;
      for (const auto& c : comment_block) joined += (joined.empty() ? "" : " ") + c;
      return joined;
    }();
    if (!why.empty()) reason += ": " + why;
    comment_block.clear();

    // Trivy applies a .trivyignore id to every kind of finding: vulnerability ids, then
    // misconfiguration and secret rule ids (findex GeneratorIds "trivy/<check>", "trivy/secret/<rule>").
    std::string sid(id.token);
    Matcher vm = TrivyMatch();
    vm.vulns = {sid};
    r.Suppress(std::move(vm), line_no, id.col, sid, reason, expires, expires_ms);
    if (!IsVulnId(sid)) {
      Matcher rm = TrivyMatch();
      rm.rules = {"trivy/" + CanonicalCheckId(sid), "trivy/secret/" + sid};
      r.Suppress(std::move(rm), line_no, id.col, sid, reason, expires, expires_ms);
    }
  }
  return r.Finish();
}

namespace {

enum class TrivyKind { kVulnerability, kMisconfiguration, kSecret, kLicense };

void TrivyYamlEntry(const YAML::Node& entry, TrivyKind kind, const std::string& list, Reader& r) {
  if (!entry.IsMap()) {
    r.Error(entry.Mark(), "I102", "'" + list + "' entries must be mappings (id, paths, purls, expired_at, statement), not " +
                                      KindOf(entry));
    return;
  }
  std::optional<std::string> id, statement, expired_at;
  YAML::Mark expired_mark;
  std::vector<Item> paths, purls;
  bool ok = true;
  for (const auto& kv : entry) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    const YAML::Node& v = kv.second;
    if (key == "id") {
      if (v.IsNull()) continue;
      id = ReadScalar(v, key, r);
      ok = ok && id.has_value();
    } else if (key == "paths") {
      paths = ReadList(v, key, r, &ok);
    } else if (key == "purls") {
      purls = ReadList(v, key, r, &ok);
      if (kind != TrivyKind::kVulnerability && !purls.empty()) {
        r.Warn(kv.first.Mark(), "I106", "purls only apply to vulnerabilities (Trivy ignores them here)");
        purls.clear();
      }
    } else if (key == "expired_at") {
      if (v.IsNull()) continue;
      expired_at = ReadScalar(v, key, r);
      expired_mark = v.Mark();
      ok = ok && expired_at.has_value();
    } else if (key == "statement") {
      if (v.IsNull()) continue;
      statement = ReadScalar(v, key, r);
      ok = ok && statement.has_value();
    } else {
      // An error (issue 8), unlike Trivy, which ignores it: applied without it, a misspelt
      // `path:` or `purl:` would suppress the id everywhere.
      r.Error(kv.first.Mark(), "I101",
              "unknown key '" + key + "' in " + list + " (expected id, paths, purls, expired_at, statement)");
      ok = false;
    }
  }
  std::string sid = id ? Trim(*id) : std::string();
  if (ok && sid.empty() && paths.empty() && purls.empty()) {
    r.Error(entry.Mark(), "I105", "a " + list + " entry must specify at least one of id, paths or purls");
    return;
  }
  int64_t expires_ms = -1;
  std::string expires;
  if (expired_at) {
    expires = Trim(*expired_at);
    auto ms = TrivyExpiry(expires, true);
    if (!ms) {
      r.Error(expired_mark, "I103", "bad expired_at '" + *expired_at + "' (expected YYYY-MM-DD)");
      ok = false;
    } else {
      expires_ms = *ms;
    }
  }
  Matcher m = TrivyMatch();
  for (const auto& p : purls) {
    PackageId pkg = ParsePurl(p.value);
    if (pkg.empty()) {
      r.Error(p.mark, "I105", "'" + p.value + "' is not a package URL (pkg:type/namespace/name@version)");
      ok = false;
      continue;
    }
    // Matcher has no purl: type and namespace are dropped, name@version (or just name, any
    // version, as Trivy does for a purl without a version) is kept.
    m.packages.push_back(pkg.version.empty() ? pkg.name : pkg.name + "@" + pkg.version);
  }
  for (const auto& p : paths) {
    CheckGlob(p, r);
    m.paths.push_back(p.value);
  }
  if (!ok) return;
  if (kind == TrivyKind::kLicense) {
    r.Warn(entry.Mark(), "I106", "findex does not ingest Trivy license findings; this entry has no effect");
    return;
  }
  switch (kind) {
    case TrivyKind::kVulnerability:
      if (!sid.empty()) m.vulns = {sid};
      else m.rules = {"trivy/vulnerability"};
      break;
    case TrivyKind::kMisconfiguration:
      // Without an id: any misconfiguration. Rule globs cannot exclude "trivy/vulnerability" and
      // "trivy/secret/..."; the finding type can: the Trivy ingester types misconfigurations
      // exactly "Software and Configuration Checks" (vulnerabilities .../Vulnerabilities/CVE).
      if (sid.empty()) m.tags = {"Software and Configuration Checks"};
      else m.rules = {"trivy/" + CanonicalCheckId(sid)};
      break;
    case TrivyKind::kSecret:
      m.rules = {"trivy/secret/" + (sid.empty() ? std::string("*") : sid)};
      break;
    case TrivyKind::kLicense:
      break;
  }
  std::string reason = statement && !Trim(*statement).empty() ? Trim(*statement) : "from .trivyignore.yaml";
  r.Suppress(std::move(m), Reader::Line(entry.Mark()), Reader::Col(entry.Mark()), sid.empty() ? list : sid,
             std::move(reason), std::move(expires), expires_ms);
}

}  // namespace

Status LoadTrivyIgnoreYaml(const std::string& text, const std::string& file, Policy* policy,
                           std::vector<Diagnostic>* diags) {
  Reader r(file, policy, diags);
  std::optional<YAML::Node> root = ParseYaml(text, r);
  if (!root) return r.Finish();
  try {
    if (root->IsNull()) return r.Finish();
    if (!root->IsMap()) {
      r.Error(root->Mark(), "I102", std::string("a .trivyignore.yaml must be a mapping, not ") + KindOf(*root));
      return r.Finish();
    }
    for (const auto& kv : *root) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
      TrivyKind kind;
      if (key == "vulnerabilities") kind = TrivyKind::kVulnerability;
      else if (key == "misconfigurations") kind = TrivyKind::kMisconfiguration;
      else if (key == "secrets") kind = TrivyKind::kSecret;
      else if (key == "licenses") kind = TrivyKind::kLicense;
      else {
        r.Warn(kv.first.Mark(), "I101",
               "unknown key '" + key + "' (expected vulnerabilities, misconfigurations, secrets, licenses)");
        continue;
      }
      const YAML::Node& v = kv.second;
      if (v.IsNull()) continue;
      if (!v.IsSequence()) {
        r.Error(v.Mark(), "I102", "'" + key + "' must be a list, not " + KindOf(v));
        continue;
      }
      for (const auto& entry : v) TrivyYamlEntry(entry, kind, key, r);
    }
  } catch (const YAML::Exception& e) {
    r.Error(e.mark, "I104", "YAML error: " + e.msg);
  }
  return r.Finish();
}

}  // namespace findex
