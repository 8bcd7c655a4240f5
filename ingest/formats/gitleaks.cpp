// Gitleaks `--report-format json` (https://github.com/gitleaks/gitleaks#reporting), every key
// generation it has written:
//   v8:    [{"RuleID", "Description", "StartLine", "EndLine", "StartColumn", "EndColumn", "Line"?,
//            "Match", "Secret", "File", "SymlinkFile", "Commit", "Link"?, "Entropy", "Author",
//            "Email", "Date", "Message", "Tags": [..], "Fingerprint"}]
//   v7:    [{"line", "lineNumber", "offender", "offenderEntropy", "commit", "repo", "repoURL",
//            "leakURL", "rule", "commitMessage", "author", "email", "file", "date", "tags": "a, b"}]
//   v4-6:  the v7 keys without lineNumber / repoURL / leakURL; v1-3 wrote "reason" for the rule
//          and "commitMsg" / "time".
// No leaks: `null` (older releases) or `[]` (newer), both 0 findings.
//
// Secrets are never stored: Secret / Match / offender / line / Line go into no title,
// description, resource or product field. What is kept is a preview (the first 4 characters, or
// half of a short secret, then "****") in gitleaks/SecretPreview and Hex64(Hash64(secret)) in
// gitleaks/SecretHash. A secret that gitleaks itself redacted (`--redact`: "REDACTED") has no
// preview or hash.
//
// Severity: gitleaks rates nothing; every leaked credential is HIGH (a secret in a repository is
// exploitable as found), policy can lower it per rule.
// Identity: CodeFingerprint("gitleaks", rule id, file, secret hash): the same secret in the same
// file is one finding whatever the commit or line, so a history scan that finds it in ten commits
// gives one finding. Records that share it are merged here (commits listed in gitleaks/Commits,
// count in gitleaks/Occurrences, tags united); the first record gives line, commit and author.
// For a redacted secret the anchor is the hash of the redacted line / match instead, so that
// distinct redacted secrets of one file stay distinct.
// Target (for resolution by absence): none; the report does not name the scanned repository
// (use `findex ingest --target` when one scope holds several).
#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || h[0] != '[') return SniffConfidence::kNo;
  if (HeadHas(h, "\"RuleID\"") && (HeadHas(h, "\"Secret\"") || HeadHas(h, "\"Match\"")) &&
      (HeadHas(h, "\"StartLine\"") || HeadHas(h, "\"File\""))) {
    return SniffConfidence::kCertain;
  }
  if (HeadHas(h, "\"offender\"") && (HeadHas(h, "\"rule\"") || HeadHas(h, "\"reason\"")) &&
      HeadHas(h, "\"commit\"")) {
    return SniffConfidence::kCertain;
  }
  return SniffConfidence::kNo;
}

struct Leak {
  std::string rule_id, description, file, symlink_file, commit, author, email, date, entropy;
  std::string repo, repo_url, leak_url, link, gitleaks_fingerprint;
  std::vector<std::string> tags;
  int64_t start_line = 0, end_line = 0;
  // Secret-bearing values: used for the preview and the hash only.
  std::string secret, match, offender, line;
};

std::vector<std::string> SplitTags(std::string_view s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    std::string t = Trim(s.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    if (!t.empty()) out.push_back(std::move(t));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

bool ReadTags(od::value v, std::vector<std::string>* out) {
  od::json_type t;
  if (v.type().get(t)) return false;
  if (t == od::json_type::array) {
    std::vector<std::string> tags;
    if (!ReadStrings(v, &tags)) return false;
    for (const auto& tag : tags) out->push_back(Trim(tag));
    return true;
  }
  std::string s;
  if (!ReadString(v, &s)) return false;
  *out = SplitTags(s);
  return true;
}

// First 4 characters (at most half of a short secret) then "****"; never the whole secret.
std::string Preview(std::string_view secret) {
  size_t chars = Utf8Length(secret);
  size_t keep = std::min<size_t>(4, chars / 2);
  std::string out;
  size_t pos = 0;
  for (size_t i = 0; i < keep && pos < secret.size(); ++i) {
    size_t n = Utf8SequenceLength(secret.substr(pos));
    if (n == 0) n = 1;
    out.append(secret.substr(pos, n));
    pos += n;
  }
  return out + "****";
}

bool IsRedacted(std::string_view secret) { return secret == "REDACTED"; }

struct Merged {
  Finding finding;
  std::vector<std::string> commits;
  std::set<std::string> tags;
  std::vector<std::string> tag_order;
  int occurrences = 0;
};

void AddTags(Merged& m, const std::vector<std::string>& tags) {
  for (const auto& t : tags) {
    if (m.tags.insert(t).second) m.tag_order.push_back(t);
  }
}

Status ReadLeak(JsonReport& rep, od::value lv, size_t index, std::vector<Merged>& out,
                std::map<std::string, size_t>& by_fingerprint, FindingSink& sink) {
  std::string where = "[" + std::to_string(index) + "]";
  od::object obj;
  if (lv.get_object().get(obj)) {
    sink.AddReject(rep.MakeReject(lv, where, "leak is not an object"));
    return Status::Ok();
  }
  Leak l;
  std::string bad;
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value v) -> Status {
    bool ok = true;
    if (key == "RuleID") ok = ReadString(v, &l.rule_id);
    else if (key == "rule" || key == "reason") {
      if (l.rule_id.empty()) ok = ReadString(v, &l.rule_id);
    } else if (key == "Description") ok = ReadString(v, &l.description);
    else if (key == "File" || key == "file") ok = ReadString(v, &l.file);
    else if (key == "SymlinkFile") ok = ReadString(v, &l.symlink_file);
    else if (key == "Commit" || key == "commit") ok = ReadString(v, &l.commit);
    else if (key == "Author" || key == "author") ok = ReadString(v, &l.author);
    else if (key == "Email" || key == "email") ok = ReadString(v, &l.email);
    else if (key == "Date" || key == "date" || key == "time") ok = ReadString(v, &l.date);
    else if (key == "Entropy" || key == "offenderEntropy") ok = ReadString(v, &l.entropy);
    else if (key == "repo") ok = ReadString(v, &l.repo);
    else if (key == "repoURL") ok = ReadString(v, &l.repo_url);
    else if (key == "leakURL") ok = ReadString(v, &l.leak_url);
    else if (key == "Link") ok = ReadString(v, &l.link);
    else if (key == "Fingerprint") ok = ReadString(v, &l.gitleaks_fingerprint);
    else if (key == "StartLine" || key == "lineNumber") ok = ReadInt(v, &l.start_line);
    else if (key == "EndLine") ok = ReadInt(v, &l.end_line);
    else if (key == "Tags" || key == "tags") ok = ReadTags(v, &l.tags);
    else if (key == "Secret") ok = ReadString(v, &l.secret);
    else if (key == "Match") ok = ReadString(v, &l.match);
    else if (key == "offender") ok = ReadString(v, &l.offender);
    else if (key == "line" || key == "Line") ok = ReadString(v, &l.line);
    if (!ok && bad.empty()) bad = "\"" + std::string(key) + "\" has the wrong type";
    return Status::Ok();
  }));
  if (!bad.empty()) {
    sink.AddReject(rep.MakeReject(lv, where, bad));
    return Status::Ok();
  }
  if (StartsWith(l.date, "0001-01-01")) l.date.clear();  // Go's zero time: no commit date
  if (Trim(l.rule_id).empty()) {
    sink.AddReject(rep.MakeReject(lv, where, "leak has no rule (RuleID / rule)"));
    return Status::Ok();
  }
  // The secret proper: v8 Secret, v4-7 offender, else the whole v8 Match.
  const std::string& secret = !l.secret.empty() ? l.secret : !l.offender.empty() ? l.offender : l.match;
  bool redacted = IsRedacted(secret);
  std::string secret_hash = secret.empty() || redacted ? std::string() : Hex64(Hash64(secret));
  std::string anchor;
  if (!secret_hash.empty()) {
    anchor = "secret:" + secret_hash;
  } else {
    const std::string& context = !l.line.empty() ? l.line : l.match;
    anchor = "context:" + Hex64(Hash64(NormalizeSnippet(context)));
  }
  Fingerprint fp = CodeFingerprint("gitleaks", l.rule_id, l.file, anchor);
  std::string key = fp.Hex();

  auto it = by_fingerprint.find(key);
  if (it != by_fingerprint.end()) {
    Merged& m = out[it->second];
    ++m.occurrences;
    if (!l.commit.empty() && std::find(m.commits.begin(), m.commits.end(), l.commit) == m.commits.end()) {
      m.commits.push_back(l.commit);
    }
    AddTags(m, l.tags);
    return Status::Ok();
  }

  Merged m;
  m.occurrences = 1;
  if (!l.commit.empty()) m.commits.push_back(l.commit);
  AddTags(m, l.tags);
  Finding& f = m.finding;
  f.scanner = "gitleaks";
  f.format = "gitleaks";
  f.product_name = "Gitleaks";
  f.company_name = "Gitleaks";
  f.types = {"Sensitive Data Identifications/Passwords"};
  f.severity.label = SeverityLabel::kHigh;
  f.severity.normalized = DefaultNormalized(SeverityLabel::kHigh);
  f.fingerprint = fp;
  f.generator_id = "gitleaks/" + l.rule_id;
  std::string what = Trim(l.description).empty() ? l.rule_id : CollapseWhitespace(l.description);
  f.title = what + (l.file.empty() ? "" : " in " + l.file);
  std::string preview = redacted ? std::string("REDACTED") : secret.empty() ? std::string() : Preview(secret);
  std::string d = "Gitleaks rule " + l.rule_id + (what != l.rule_id ? " (" + what + ")" : "") + " matched a secret";
  if (!l.file.empty()) d += " in " + l.file;
  if (l.start_line > 0) d += " at line " + std::to_string(l.start_line);
  d += ".";
  if (!l.commit.empty()) {
    d += " Commit " + l.commit;
    if (!l.author.empty()) d += " by " + l.author;
    if (!l.date.empty()) d += " on " + l.date;
    d += ".";
  }
  if (!preview.empty()) d += " Secret preview: " + preview + ".";
  d += " The secret value itself is not stored.";
  f.description = d;
  f.remediation_text =
      "Revoke and rotate the exposed credential, then remove it from the repository and its history.";
  f.source_url = !l.leak_url.empty() ? l.leak_url : l.link;
  f.location.file_path = l.file;
  f.location.start_line = static_cast<int>(l.start_line > 0 ? l.start_line : 0);
  f.location.end_line = static_cast<int>(l.end_line > l.start_line ? l.end_line : 0);
  Resource r;
  r.id = l.file.empty() ? (l.repo.empty() ? std::string("gitleaks") : l.repo) : l.file;
  if (l.start_line > 0) r.details_other["Line"] = std::to_string(l.start_line);
  if (!l.commit.empty()) r.details_other["Commit"] = l.commit;
  if (!l.repo_url.empty()) r.details_other["RepositoryUrl"] = l.repo_url;
  f.resources.push_back(std::move(r));
  auto& pf = f.product_fields;
  pf["gitleaks/RuleID"] = l.rule_id;
  if (!preview.empty()) pf["gitleaks/SecretPreview"] = preview;
  if (!secret_hash.empty()) pf["gitleaks/SecretHash"] = secret_hash;
  if (redacted) pf["gitleaks/Redacted"] = "true";
  if (!l.commit.empty()) pf["gitleaks/Commit"] = l.commit;
  if (!l.author.empty()) pf["gitleaks/Author"] = l.author;
  if (!l.email.empty()) pf["gitleaks/Email"] = l.email;
  if (!l.date.empty()) pf["gitleaks/Date"] = l.date;
  if (!l.entropy.empty() && l.entropy != "0") pf["gitleaks/Entropy"] = l.entropy;
  if (!l.symlink_file.empty()) pf["gitleaks/SymlinkFile"] = l.symlink_file;
  if (!l.repo.empty()) pf["gitleaks/Repo"] = l.repo;
  if (!l.gitleaks_fingerprint.empty()) pf["gitleaks/Fingerprint"] = l.gitleaks_fingerprint;
  by_fingerprint.emplace(key, out.size());
  out.push_back(std::move(m));
  return Status::Ok();
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  // Older gitleaks writes `null` when it finds nothing (JsonReport only opens objects / arrays).
  if (IsBareNull(src.text())) return Status::Ok();
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  std::vector<Merged> merged;
  od::array leaks;
  if (auto ec = rep.doc().get_array().get(leaks)) {
    return rep.Malformed("not a gitleaks report: expected an array of leaks", ec);
  }
  std::map<std::string, size_t> by_fingerprint;
  size_t i = 0;
  for (auto e : leaks) {
    od::value lv;
    if (auto ec = e.get(lv)) return rep.Malformed("bad leak", ec);
    FINDEX_RETURN_IF_ERROR(ReadLeak(rep, lv, i++, merged, by_fingerprint, sink));
  }
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  for (auto& m : merged) {
    auto& pf = m.finding.product_fields;
    if (m.occurrences > 1) pf["gitleaks/Occurrences"] = std::to_string(m.occurrences);
    if (m.commits.size() > 1) {
      std::string joined;
      for (const auto& c : m.commits) joined += (joined.empty() ? "" : ", ") + c;
      pf["gitleaks/Commits"] = joined;
    }
    if (!m.tag_order.empty()) {
      std::string joined;
      for (const auto& t : m.tag_order) joined += (joined.empty() ? "" : ", ") + t;
      pf["gitleaks/Tags"] = joined;
    }
    FINDEX_RETURN_IF_ERROR(sink.Accept(std::move(m.finding)));
  }
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& GitleaksFormat() {
  static const FormatDescriptor kDesc{"gitleaks", "gitleaks", "Gitleaks --report-format json (v4 to v8; secrets)",
                                      kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
