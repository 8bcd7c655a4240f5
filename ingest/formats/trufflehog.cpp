// TruffleHog JSON output, one result per line (JSON Lines):
//   v3 `trufflehog <source> --json` (https://github.com/trufflesecurity/trufflehog, pkg/output/json.go):
//     {"SourceMetadata": {"Data": {"<Kind>": {...}}}, "SourceID", "SourceType", "SourceName",
//      "DetectorType", "DetectorName", "DetectorDescription"?, "DecoderName"?, "Verified",
//      "VerificationError"?, "VerificationFromCache"?, "Raw", "RawV2"?, "Redacted",
//      "ExtraData": {..} | null, "StructuredData": {..} | null}
//     <Kind> is the source (Git, Github, Gitlab, Bitbucket, Filesystem, S3, GCS, Docker, Jenkins,
//     Postman, Slack, ...; pkg/pb/source_metadatapb), each with its own keys. They are read
//     generically: file = "file" / "filename" / "path"; line = "line"; commit = "commit";
//     scope (what was scanned) = "repository" / "repo" / "bucket" / "image" / "project_name" /
//     "project" / "workspace" / "channel"; link = "link"; email, timestamp, layer, visibility.
//     Early v3 releases wrote Raw / RawV2 as base64 ([]byte in Go); later ones write the text.
//     A base64 Raw whose decoding is printable text is decoded, so both give one identity.
//   v2 `trufflehog --json <repo>` (truffleHog 2.x, Python):
//     {"branch", "commit" (the message), "commitHash", "date", "diff", "path", "printDiff",
//      "reason", "stringsFound": [..]}
// Lines that are TruffleHog's own JSON log records ("level" + "msg", when stderr was merged into
// the report) are skipped; any other line that is not a result is a counted reject with its line.
//
// One finding is one result: detector (v3 DetectorName, else "DetectorType <n>"; v2 reason) +
// source location (scope + file) + the secret.
// Secrets are never stored in clear: Raw, RawV2, Redacted (which for several detectors is the
// secret or its first half), v2 stringsFound, diff and printDiff go into no title, description,
// resource or product field. Kept: a preview (RedactedPreview, sast_common.h) in
// trufflehog/SecretPreview and the xxh3-128 SecretHash in trufflehog/SecretHash. The secret is
// RawV2 when present (it joins the id and the secret: two keys sharing an id stay distinct),
// else Raw; for v2 the stringsFound joined by newlines. ExtraData is kept as
// trufflehog/Extra.<key> (scalar values) except keys that name a credential (secret, token,
// password, passwd, private).
//
// Severity: TruffleHog verifies secrets against their service: Verified true -> CRITICAL (a live
// credential); otherwise (unverified, verification failed, v2) -> HIGH.
// Identity: CodeFingerprint("trufflehog", detector, file, scope + "\x1f" + SecretHash(secret)),
// scope being the normalized repository / bucket / image (a trailing "/" or ".git" dropped, so
// a Git and a GitHub scan of one repository agree). Line and commit are left out: the same secret
// in the same file is one finding whatever the commit or line, so a history scan that finds it
// in ten commits gives one finding (commits listed in trufflehog/Commits, count in
// trufflehog/Occurrences; the first result gives line, commit and link). Without a file the
// link, else the source name, stands for it. Records of one identity are merged here; a verified
// copy makes the finding CRITICAL.
// Target: the scope when the source names one (a repository, bucket or image).
// Suppression: none in the format.
#include <map>
#include <string>
#include <vector>

#include "ingest/formats/jsonl_common.h"
#include "ingest/formats/sast_common.h"
#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

using element = simdjson::dom::element;

constexpr std::string_view kExt[] = {".json", ".jsonl", ".ndjson"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || h[0] != '{') return SniffConfidence::kNo;
  if (HeadHas(h, "\"SourceMetadata\"") && (HeadHas(h, "\"DetectorName\"") || HeadHas(h, "\"DetectorType\""))) {
    return SniffConfidence::kCertain;
  }
  if (HeadHas(h, "\"stringsFound\"") && HeadHas(h, "\"reason\"") && HeadHas(h, "\"commitHash\"")) {
    return SniffConfidence::kCertain;
  }
  // v2 keys are sorted and "diff" can push "reason" / "stringsFound" past the head.
  if (StartsWith(h, "{\"branch\"") && HeadHas(h, "\"commitHash\"") && HeadHas(h, "\"diff\"")) {
    return SniffConfidence::kLikely;
  }
  return SniffConfidence::kNo;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// The decoded text when `s` is padded standard base64 of printable text; else `s` unchanged.
std::string MaybeBase64(const std::string& s) {
  if (s.size() < 8 || s.size() % 4 != 0) return s;
  std::string out;
  out.reserve(s.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '=') {
      if (i + 2 < s.size()) return s;
      ++pad;
      continue;
    }
    if (pad > 0) return s;
    int v = Base64Value(c);
    if (v < 0) return s;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  for (unsigned char c : out) {
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') return s;
    if (c == 0x7f) return s;
  }
  // Text that is only letters and digits could be a secret that happens to be valid base64
  // (decoded, it is rarely printable): require the decoded text to be valid UTF-8 too.
  for (size_t p = 0; p < out.size();) {
    size_t n = Utf8SequenceLength(std::string_view(out).substr(p));
    if (n == 0) return s;
    p += n;
  }
  return out;
}

std::string NormalizeScope(std::string s) {
  s = Trim(s);
  while (!s.empty() && s.back() == '/') s.pop_back();
  if (s.size() > 4 && s.compare(s.size() - 4, 4, ".git") == 0) s.resize(s.size() - 4);
  return s;
}

bool CredentialKey(std::string_view key) {
  std::string k = ToLower(key);
  for (std::string_view w : {"secret", "token", "password", "passwd", "private"}) {
    if (k.find(w) != std::string::npos) return true;
  }
  return false;
}

struct Hit {
  std::string detector, detector_type, description, decoder, source_kind, source_name;
  std::string file, scope, commit, link, email, timestamp, layer, visibility, branch;
  int64_t line = 0;
  bool verified = false, v2 = false;
  std::string verification_error;
  std::string secret;  // used for preview and hash only
  std::map<std::string, std::string> extra;
};

struct Merged {
  Finding finding;
  std::vector<std::string> commits;
  int occurrences = 0;
};

class Reader {
 public:
  explicit Reader(FindingSink& sink) : sink_(sink) {}

  void Line(element e, uint64_t offset, uint32_t line_no) {
    simdjson::dom::object o;
    if (e.get_object().get(o)) {
      Reject(offset, line_no, "not a TruffleHog result (a line must be one JSON object)");
      return;
    }
    Hit r;
    simdjson::dom::element v;
    if (o.at_key("SourceMetadata").get(v) == simdjson::SUCCESS || o.at_key("DetectorName").get(v) == simdjson::SUCCESS ||
        o.at_key("DetectorType").get(v) == simdjson::SUCCESS) {
      ReadV3(o, &r);
      if (r.detector.empty()) {
        Reject(offset, line_no, "TruffleHog v3 result without DetectorName / DetectorType");
        return;
      }
    } else if (o.at_key("stringsFound").get(v) == simdjson::SUCCESS || o.at_key("reason").get(v) == simdjson::SUCCESS) {
      if (!ReadV2(o, &r)) {
        Reject(offset, line_no, "TruffleHog v2 result: \"stringsFound\" is not an array of strings");
        return;
      }
      if (r.detector.empty()) {
        Reject(offset, line_no, "TruffleHog v2 result without \"reason\"");
        return;
      }
    } else if (o.at_key("level").get(v) == simdjson::SUCCESS && o.at_key("msg").get(v) == simdjson::SUCCESS) {
      ++log_lines_;  // TruffleHog's own log record (stderr merged into the report)
      return;
    } else {
      Reject(offset, line_no, "not a TruffleHog result: no SourceMetadata / DetectorName (v3) nor reason / stringsFound (v2)");
      return;
    }
    ++results_;
    Add(std::move(r));
  }

  Status Flush() {
    for (auto& m : merged_) {
      auto& pf = m.finding.product_fields;
      if (m.occurrences > 1) pf["trufflehog/Occurrences"] = std::to_string(m.occurrences);
      if (m.commits.size() > 1) {
        std::string joined;
        for (const auto& c : m.commits) joined += (joined.empty() ? "" : ", ") + c;
        pf["trufflehog/Commits"] = joined;
      }
      FINDEX_RETURN_IF_ERROR(sink_.Accept(std::move(m.finding)));
    }
    merged_.clear();
    return Status::Ok();
  }

  uint64_t results() const { return results_; }
  uint64_t rejected() const { return rejected_; }
  uint64_t log_lines() const { return log_lines_; }

 private:
  void Reject(uint64_t offset, uint32_t line_no, std::string reason) {
    ++rejected_;
    sink_.AddReject(LineReject(offset, line_no, std::move(reason)));
  }

  static void ReadSourceData(simdjson::dom::object data, Hit* r) {
    for (auto kv : data) {
      r->source_kind = std::string(kv.key);
      simdjson::dom::object src;
      if (kv.value.get_object().get(src)) continue;
      for (auto f : src) {
        std::string_view k = f.key;
        std::string val = DomString(f.value);
        if (k == "file" || k == "filename" || k == "path" || k == "file_path") {
          if (r->file.empty()) r->file = val;
        } else if (k == "line") {
          r->line = DomInt(f.value);
        } else if (k == "commit") {
          r->commit = val;
        } else if (k == "repository" || k == "repo" || k == "bucket" || k == "image" || k == "project_name" ||
                   k == "project" || k == "workspace" || k == "channel") {
          if (r->scope.empty()) r->scope = val;
        } else if (k == "link") {
          r->link = val;
        } else if (k == "email") {
          r->email = val;
        } else if (k == "timestamp") {
          r->timestamp = val;
        } else if (k == "layer") {
          r->layer = val;
        } else if (k == "visibility") {
          r->visibility = val;
        }
      }
      break;  // one source kind per result
    }
  }

  static void ReadV3(simdjson::dom::object o, Hit* r) {
    std::string raw, raw_v2;
    for (auto kv : o) {
      std::string_view k = kv.key;
      if (k == "SourceMetadata") {
        simdjson::dom::object md, data;
        if (kv.value.get_object().get(md) == simdjson::SUCCESS &&
            md.at_key("Data").get_object().get(data) == simdjson::SUCCESS) {
          ReadSourceData(data, r);
        }
      } else if (k == "SourceName") {
        r->source_name = DomString(kv.value);
      } else if (k == "DetectorName") {
        r->detector = Trim(DomString(kv.value));
      } else if (k == "DetectorType") {
        r->detector_type = DomString(kv.value);
      } else if (k == "DetectorDescription") {
        r->description = DomString(kv.value);
      } else if (k == "DecoderName") {
        r->decoder = DomString(kv.value);
      } else if (k == "Verified") {
        r->verified = DomBool(kv.value);
      } else if (k == "VerificationError") {
        r->verification_error = DomString(kv.value);
      } else if (k == "Raw") {
        raw = DomString(kv.value);
      } else if (k == "RawV2") {
        raw_v2 = DomString(kv.value);
      } else if (k == "ExtraData") {
        simdjson::dom::object extra;
        if (kv.value.get_object().get(extra) == simdjson::SUCCESS) {
          for (auto x : extra) {
            if (CredentialKey(x.key)) continue;
            std::string val = DomString(x.value);
            if (!val.empty()) r->extra[std::string(x.key)] = TruncateUtf8(val, 256);
          }
        }
      }
    }
    if (r->detector.empty() && !r->detector_type.empty()) r->detector = "DetectorType " + r->detector_type;
    r->secret = MaybeBase64(!raw_v2.empty() ? raw_v2 : raw);
  }

  static bool ReadV2(simdjson::dom::object o, Hit* r) {
    r->v2 = true;
    r->source_kind = "Git";
    for (auto kv : o) {
      std::string_view k = kv.key;
      if (k == "reason") {
        r->detector = Trim(DomString(kv.value));
      } else if (k == "path") {
        r->file = DomString(kv.value);
      } else if (k == "commitHash") {
        r->commit = DomString(kv.value);
      } else if (k == "branch") {
        r->branch = DomString(kv.value);
      } else if (k == "date") {
        r->timestamp = DomString(kv.value);
      } else if (k == "stringsFound") {
        if (kv.value.is_null()) continue;
        simdjson::dom::array a;
        if (kv.value.get_array().get(a)) return false;
        for (auto s : a) {
          std::string_view sv;
          if (s.get_string().get(sv)) return false;
          if (!r->secret.empty()) r->secret.push_back('\n');
          r->secret.append(sv);
        }
      }
    }
    return true;
  }

  void Add(Hit r) {
    std::string scope = NormalizeScope(r.scope);
    std::string place = !r.file.empty() ? r.file : !r.link.empty() ? r.link : r.source_name;
    std::string hash = r.secret.empty() ? std::string() : SecretHash(r.secret);
    Fingerprint fp = CodeFingerprint("trufflehog", r.detector, place, scope + "\x1f" + hash);
    std::string key = fp.Hex();
    auto it = index_.find(key);
    if (it != index_.end()) {
      Merged& m = merged_[it->second];
      ++m.occurrences;
      if (!r.commit.empty() && std::find(m.commits.begin(), m.commits.end(), r.commit) == m.commits.end()) {
        m.commits.push_back(r.commit);
      }
      if (r.verified && m.finding.severity.label != SeverityLabel::kCritical) {
        m.finding.severity.label = SeverityLabel::kCritical;
        m.finding.severity.normalized = DefaultNormalized(SeverityLabel::kCritical);
        m.finding.severity.original = "verified";
        m.finding.product_fields["trufflehog/Verified"] = "true";
      }
      return;
    }
    Merged m;
    m.occurrences = 1;
    if (!r.commit.empty()) m.commits.push_back(r.commit);
    Finding& f = m.finding;
    f.scanner = "trufflehog";
    f.format = "trufflehog";
    f.product_name = "TruffleHog";
    f.company_name = "Truffle Security";
    f.types = {"Sensitive Data Identifications/Passwords"};
    SeverityLabel label = r.verified ? SeverityLabel::kCritical : SeverityLabel::kHigh;
    f.severity.label = label;
    f.severity.normalized = DefaultNormalized(label);
    f.severity.original = r.v2 ? "" : r.verified ? "verified" : "unverified";
    f.fingerprint = fp;
    f.generator_id = "trufflehog/" + r.detector;
    f.target = scope;
    std::string preview = r.secret.empty() ? std::string() : RedactedPreview(r.secret);
    std::string what = r.v2 ? r.detector : r.detector + " secret";
    f.title = (r.verified ? "Verified " : "") + what + (place.empty() ? "" : " in " + place);
    std::string d = "TruffleHog " + std::string(r.v2 ? "v2 rule " : "detector ") + r.detector;
    if (!r.description.empty()) d += " (" + CollapseWhitespace(r.description) + ")";
    d += r.verified ? " found a secret that it verified as live" : " found a secret (not verified)";
    if (!r.file.empty()) d += " in " + r.file;
    if (r.line > 0) d += " at line " + std::to_string(r.line);
    if (!scope.empty()) d += " of " + r.scope;
    d += ".";
    if (!r.commit.empty()) {
      d += " Commit " + r.commit;
      if (!r.email.empty()) d += " by " + r.email;
      if (!r.timestamp.empty()) d += " on " + r.timestamp;
      d += ".";
    }
    if (!r.verification_error.empty()) d += " Verification error: " + r.verification_error + ".";
    if (!preview.empty()) d += " Secret preview: " + preview + ".";
    d += " The secret value itself is not stored.";
    f.description = d;
    f.remediation_text =
        "Revoke and rotate the exposed credential, then remove it from the source and its history.";
    f.source_url = r.link;
    f.location.file_path = r.file;
    f.location.start_line = static_cast<int>(r.line > 0 && r.line < INT32_MAX ? r.line : 0);
    Resource res;
    res.id = !scope.empty() ? (r.file.empty() ? r.scope : r.scope + "/" + r.file)
                            : (!place.empty() ? place : std::string("trufflehog"));
    if (r.line > 0) res.details_other["Line"] = std::to_string(r.line);
    if (!r.commit.empty()) res.details_other["Commit"] = r.commit;
    if (!r.scope.empty()) res.details_other["Scope"] = r.scope;
    if (!r.link.empty()) res.details_other["Link"] = r.link;
    f.resources.push_back(std::move(res));
    auto& pf = f.product_fields;
    pf["trufflehog/Detector"] = r.detector;
    if (!r.detector_type.empty()) pf["trufflehog/DetectorType"] = r.detector_type;
    if (!r.decoder.empty()) pf["trufflehog/Decoder"] = r.decoder;
    pf["trufflehog/Verified"] = r.verified ? "true" : "false";
    if (!r.verification_error.empty()) pf["trufflehog/VerificationError"] = r.verification_error;
    if (!preview.empty()) pf["trufflehog/SecretPreview"] = preview;
    if (!hash.empty()) pf["trufflehog/SecretHash"] = hash;
    if (!r.source_kind.empty()) pf["trufflehog/SourceKind"] = r.source_kind;
    if (!r.source_name.empty()) pf["trufflehog/SourceName"] = r.source_name;
    if (!r.commit.empty()) pf["trufflehog/Commit"] = r.commit;
    if (!r.branch.empty()) pf["trufflehog/Branch"] = r.branch;
    if (!r.email.empty()) pf["trufflehog/Email"] = r.email;
    if (!r.timestamp.empty()) pf["trufflehog/Timestamp"] = r.timestamp;
    if (!r.layer.empty()) pf["trufflehog/Layer"] = r.layer;
    if (!r.visibility.empty()) pf["trufflehog/Visibility"] = r.visibility;
    for (const auto& [k, v] : r.extra) pf["trufflehog/Extra." + k] = v;
    index_.emplace(std::move(key), merged_.size());
    merged_.push_back(std::move(m));
  }

  FindingSink& sink_;
  std::vector<Merged> merged_;
  std::map<std::string, size_t> index_;
  uint64_t results_ = 0, rejected_ = 0, log_lines_ = 0;
};

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  std::string_view text = src.text();
  // TruffleHog writes nothing when it finds nothing: an empty report is a clean scan.
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return Status::Ok();
  simdjson::dom::parser parser;
  Reader reader(sink);
  JsonLinesStats stats;
  FINDEX_RETURN_IF_ERROR(ForEachJsonLine(src, 0, parser, sink, &stats, [&](element e, uint64_t off, uint32_t ln) {
    reader.Line(e, off, ln);
    return Status::Ok();
  }));
  if (reader.results() == 0 && reader.log_lines() == 0) {
    return MakeError(ErrorCode::kSchema, "not TruffleHog JSON output: no line is a TruffleHog result (see the rejects)",
                     src.path());
  }
  return reader.Flush();
}

}  // namespace

const FormatDescriptor& TrufflehogFormat() {
  static const FormatDescriptor kDesc{"trufflehog", "trufflehog",
                                      "TruffleHog --json (v3 and v2 JSON lines; secrets)", kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
