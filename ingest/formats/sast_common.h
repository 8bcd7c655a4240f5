// Helpers shared by the Semgrep JSON and SARIF ingesters (semgrep.cpp, sarif.cpp), so that one
// Semgrep scan written in either format gives the same findings and identities.
//
// CodeAnchors: line-insensitive anchors for code findings (both files must agree byte for byte).
// An anchor is a text that names the flagged code without its line number:
//   - `base` when the report has one (a normalized snippet, a partial fingerprint), or
//   - "message:" + the normalized message when it has none (the ordinal fallback).
// Several results of one rule in one file can share the same anchor (the same line of code
// twice, two matches on one line, two matches that start at the same place and end at
// different places, one message for every match of a rule). They are told apart by an
// occurrence ordinal: the n-th result with that anchor in report order gets "#n" appended
// (n > 0; the ordinal fallback always carries "#n"), so distinct results are never merged.
// Only a true duplicate -- a record repeated with the same anchor, the same region (start and
// end line and column) and the same message -- is the same problem reported twice: it gets the
// anchor of its first copy, hence the same fingerprint, and is stored once. A finding alone
// with its anchor in its file (the common case) has no ordinal and keeps its identity when it
// moves; when lines move, the order of identical anchors is kept, so are their ordinals.
#pragma once

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {

struct CodeRegion {
  int64_t start_line = 0, start_column = 0, end_line = 0, end_column = 0;
};

class CodeAnchors {
 public:
  std::string Make(std::string_view rule, std::string_view file, std::string_view base, std::string_view message,
                   const CodeRegion& region) {
    const bool ordinal = base.empty();
    std::string normalized_message = NormalizeSnippet(message);
    std::string anchor = ordinal ? "message:" + normalized_message : std::string(base);
    std::string key;
    key.reserve(rule.size() + file.size() + anchor.size() + 2);
    key.append(rule).push_back('\x1f');
    key.append(file).push_back('\x1f');
    key.append(anchor);
    // Where this record is: its region, and its message when the anchor does not hold it.
    std::string where = std::to_string(region.start_line) + ':' + std::to_string(region.start_column) + '-' +
                        std::to_string(region.end_line) + ':' + std::to_string(region.end_column);
    if (!ordinal) where += '\x1f' + normalized_message;
    auto& seen = seen_[std::move(key)];  // hash of where -> ordinal, in order of first sight
    size_t n = seen.emplace(Hash64(where), seen.size()).first->second;
    if (ordinal || n > 0) anchor += "#" + std::to_string(n);
    return anchor;
  }

 private:
  std::unordered_map<std::string, std::unordered_map<uint64_t, size_t>> seen_;
};

// Semgrep prints this instead of the matched lines (and of its own fingerprint) when the user
// is not logged in to the Semgrep registry: it names nothing and must not become an anchor.
inline constexpr std::string_view kSemgrepRequiresLogin = "requires login";

// The Semgrep anchor base: none, so that CodeAnchors anchors on the message. The matched
// lines would be a better anchor, but Semgrep's JSON withholds them ("requires login") when
// the user is not logged in and its SARIF of the same scan does not; the message is in both.
inline std::string_view SemgrepAnchorBase() { return {}; }

// "CWE-79" for every CWE reference in `text`: "CWE-79", "CWE-079: Improper ...", "cwe_79",
// "external/cwe/cwe-079" (CodeQL tags). A separator is required after "cwe" so that words like
// "cwe2022-top25" (a Semgrep metadata key) are not read as CWE-2022.
inline void AppendCwes(std::string_view text, std::vector<std::string>* out) {
  for (size_t i = 0; i + 4 < text.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != 'c' ||
        std::tolower(static_cast<unsigned char>(text[i + 1])) != 'w' ||
        std::tolower(static_cast<unsigned char>(text[i + 2])) != 'e') {
      continue;
    }
    if (i > 0 && std::isalnum(static_cast<unsigned char>(text[i - 1]))) continue;
    char sep = text[i + 3];
    if (sep != '-' && sep != '_' && sep != ':' && sep != ' ' && sep != '/') continue;
    size_t j = i + 4;
    while (j < text.size() && text[j] == '0') ++j;
    size_t k = j;
    while (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) ++k;
    if (k == i + 4 || k - j > 6) continue;  // no digits, or not a CWE number
    std::string cwe = "CWE-" + (k == j ? std::string("0") : std::string(text.substr(j, k - j)));
    bool dup = false;
    for (const auto& c : *out) dup = dup || c == cwe;
    if (!dup) out->push_back(std::move(cwe));
    i = k - 1;
  }
}

// Secrets must not be stored in clear: a short preview (the first 4 characters of a value of 12
// or more, none of a shorter one; the rest masked) and a hash to compare occurrences.
inline std::string RedactedPreview(std::string_view secret) {
  std::string s = NormalizeSnippet(secret);
  size_t keep = s.size() >= 12 ? 4 : 0;
  while (keep > 0 && (static_cast<unsigned char>(s[keep]) & 0xC0) == 0x80) --keep;  // whole UTF-8 sequences
  size_t masked = std::min<size_t>(s.size() - keep, 16);
  return s.substr(0, keep) + std::string(masked, '*') + " (" + std::to_string(s.size()) + " characters, redacted)";
}
inline std::string SecretHash(std::string_view secret) { return "xxh3-128:" + FingerprintOfBytes(secret).Hex(); }

// Bandit's hard-coded password tests (B105 hardcoded_password_string, B106 _funcarg, B107
// _default) put the suspected password in their text: "Possible hardcoded password: 'hunter2'".
inline bool IsBanditPasswordTest(std::string_view test_id) {
  std::string t = ToUpper(Trim(test_id));
  return t == "B105" || t == "B106" || t == "B107";
}

// The text of such a result with the quoted password replaced by its redacted preview, and the
// password itself in *secret (empty when the text quotes none: then the whole text after
// "password" is withheld, to be safe).
inline std::string RedactBanditPasswordText(std::string_view text, std::string* secret) {
  secret->clear();
  std::string t(text);
  size_t p = ToLower(t).find("password");
  if (p == std::string::npos) return t;
  size_t open = t.find('\'', p);
  size_t close = t.rfind('\'');
  if (open != std::string::npos && close != std::string::npos && close > open) {
    *secret = t.substr(open + 1, close - open - 1);
    return t.substr(0, open) + "[" + RedactedPreview(*secret) + "]" + t.substr(close + 1);
  }
  size_t end = p + 8;
  return end < t.size() ? t.substr(0, end) + " [withheld]" : t;
}

// Walks every value of a document so that malformed JSON anywhere (a trailing comma in a part
// the ingester never reads, a bad escape) is an error: On-Demand only checks what it visits.
// Strings are unescaped into the parser's buffer: rewind the document afterwards.
// Recursion is bounded: nesting deeper than kMaxJsonDepth is DEPTH_ERROR (a file error), never
// a stack overflow. No simdjson_result is converted implicitly (that throws on an error).
inline simdjson::error_code ValidateJson(od::value v, int depth = 0) {
  if (depth >= kMaxJsonDepth) return simdjson::DEPTH_ERROR;
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  switch (t) {
    case od::json_type::object: {
      od::object o;
      if (auto ec = v.get_object().get(o)) return ec;
      for (auto field : o) {
        std::string_view key;
        if (auto ec = field.unescaped_key().get(key)) return ec;
        od::value x;
        if (auto ec = field.value().get(x)) return ec;
        if (auto ec = ValidateJson(x, depth + 1)) return ec;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array a;
      if (auto ec = v.get_array().get(a)) return ec;
      for (auto el : a) {
        od::value x;
        if (auto ec = el.get(x)) return ec;
        if (auto ec = ValidateJson(x, depth + 1)) return ec;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case od::json_type::number: {
      double d;
      if (v.get_double().get(d) == simdjson::SUCCESS) return simdjson::SUCCESS;
      int64_t i;
      if (v.get_int64().get(i) == simdjson::SUCCESS) return simdjson::SUCCESS;
      uint64_t u;
      return v.get_uint64().get(u);
    }
    case od::json_type::boolean: {
      bool b;
      return v.get_bool().get(b);
    }
    case od::json_type::null: {
      // is_null() is a simdjson_result<bool>: read it with get(), a bare `n` is an error here.
      bool is_null = false;
      if (auto ec = v.is_null().get(is_null)) return ec;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

// Confidence 0..100 for the words scanners use: CodeQL "precision" (very-high, high, medium,
// low; SARIF rule property), Semgrep metadata "confidence" (HIGH, MEDIUM, LOW; also written as
// the "<X> CONFIDENCE" SARIF tag). -1 when the word is not one of these.
inline int ConfidenceForWord(std::string_view w) {
  std::string s = ToLower(Trim(w));
  if (s == "very-high" || s == "very high") return 95;
  if (s == "high") return 80;
  if (s == "medium") return 50;
  if (s == "low") return 20;
  return -1;
}

// Rules about hard-coded credentials: their snippets are secrets too.
inline bool IsCredentialCwe(std::string_view cwe) {
  return cwe == "CWE-798" || cwe == "CWE-259" || cwe == "CWE-321" || cwe == "CWE-522";
}

}  // namespace findex
