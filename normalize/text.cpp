#include "normalize/text.h"

#include <cctype>
#include <cstdint>

namespace findex {

size_t Utf8SequenceLength(std::string_view s) {
  if (s.empty()) return 0;
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
  else return 0;
  if (s.size() < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((b(i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i) & 0x3F);
  }
  // Reject overlong forms, surrogates and values past U+10FFFF.
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return 0;
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0, i = 0;
  while (i < s.size()) {
    size_t len = Utf8SequenceLength(s.substr(i));
    i += len ? len : 1;
    ++n;
  }
  return n;
}

std::string TruncateUtf8(std::string_view s, size_t max_chars) {
  if (Utf8Length(s) <= max_chars) return std::string(s);
  size_t marker = Utf8Length(kTruncationMarker);
  size_t keep = max_chars > marker ? max_chars - marker : 0;
  size_t i = 0, n = 0;
  while (i < s.size() && n < keep) {
    size_t len = Utf8SequenceLength(s.substr(i));
    i += len ? len : 1;
    ++n;
  }
  std::string out(s.substr(0, i));
  out.append(kTruncationMarker);
  return out;
}

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Decodes &name; and &#N; / &#xN; at s[i] ('&'); returns consumed length or 0.
size_t DecodeEntity(std::string_view s, size_t i, std::string* out) {
  size_t semi = s.find(';', i);
  if (semi == std::string_view::npos || semi - i > 10) return 0;
  std::string_view name = s.substr(i + 1, semi - i - 1);
  static const struct { std::string_view n, v; } kNamed[] = {
      {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}, {"nbsp", " "}};
  for (const auto& e : kNamed) {
    if (name == e.n) {
      out->append(e.v);
      return semi - i + 1;
    }
  }
  if (name.size() >= 2 && name[0] == '#') {
    uint32_t cp = 0;
    bool hex = name[1] == 'x' || name[1] == 'X';
    std::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty()) return 0;
    for (char c : digits) {
      int d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else return 0;
      cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
      if (cp > 0x10FFFF) return 0;
    }
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    if (cp < 0x80) out->push_back(static_cast<char>(cp));
    else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    return semi - i + 1;
  }
  return 0;
}

}  // namespace

std::string HtmlToText(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  size_t i = 0;
  while (i < html.size()) {
    char c = html[i];
    if (c == '<') {
      size_t end = html.find('>', i);
      if (end == std::string_view::npos) {  // not a tag: keep the text
        out.push_back(c);
        ++i;
        continue;
      }
      std::string tag = ToLower(html.substr(i + 1, std::min<size_t>(end - i - 1, 4)));
      if (tag.rfind("p", 0) == 0 || tag.rfind("/p", 0) == 0 || tag.rfind("br", 0) == 0 ||
          tag.rfind("li", 0) == 0 || tag.rfind("/li", 0) == 0 || tag.rfind("div", 0) == 0) {
        if (!out.empty() && out.back() != '\n') out.push_back('\n');
      }
      i = end + 1;
      continue;
    }
    if (c == '&') {
      size_t used = DecodeEntity(html, i, &out);
      if (used) {
        i += used;
        continue;
      }
    }
    out.push_back(c);
    ++i;
  }
  // Collapse spaces within lines, drop blank lines.
  std::string result;
  size_t start = 0;
  while (start <= out.size()) {
    size_t nl = out.find('\n', start);
    if (nl == std::string::npos) nl = out.size();
    std::string line = CollapseWhitespace(std::string_view(out).substr(start, nl - start));
    if (!line.empty()) {
      if (!result.empty()) result.push_back('\n');
      result += line;
    }
    start = nl + 1;
  }
  return result;
}

std::string CollapseWhitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char c : s) {
    if (IsSpace(c)) {
      space = !out.empty();
    } else {
      if (space) out.push_back(' ');
      space = false;
      out.push_back(c);
    }
  }
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && IsSpace(s[b])) ++b;
  while (e > b && IsSpace(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string ToUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// "KSV001", "AVD-KSV-0001", "KSV-0001" -> "KSV-0001"; other ids unchanged.
std::string CanonicalCheckId(std::string_view raw) {
  std::string trimmed = Trim(raw);
  std::string s = ToUpper(trimmed);
  if (StartsWith(s, "AVD-")) s = s.substr(4);
  size_t i = 0;
  while (i < s.size() && s[i] >= 'A' && s[i] <= 'Z') ++i;
  size_t j = i < s.size() && s[i] == '-' ? i + 1 : i;
  if (i == 0 || j == s.size()) return trimmed;
  for (size_t k = j; k < s.size(); ++k) {
    if (s[k] < '0' || s[k] > '9') return trimmed;
  }
  std::string digits = s.substr(j);
  size_t nz = digits.find_first_not_of('0');
  digits = nz == std::string::npos ? "0" : digits.substr(nz);
  if (digits.size() < 4) digits.insert(0, 4 - digits.size(), '0');
  return s.substr(0, i) + "-" + digits;
}

std::string SanitizeForTerminal(std::string_view s, bool multiline) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (c == '\n' || c == '\t') {
      out.push_back(multiline ? static_cast<char>(c) : ' ');
      ++i;
      continue;
    }
    if (c == '\r') {
      out.push_back(' ');
      ++i;
      continue;
    }
    if (c < 0x80) {  // other C0 controls and DEL
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
      ++i;
      continue;
    }
    size_t len = Utf8SequenceLength(s.substr(i));
    if (len == 0) {  // an invalid byte: 0x9b alone is CSI to an 8-bit terminal
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
      ++i;
      continue;
    }
    uint32_t cp = 0;
    if (len == 2) cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
    else if (len == 3)
      cp = ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
           (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
    if ((cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(cp >> shift) & 15]);
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  return out;
}

namespace {
// "-12", "+3.5", "-1e6": a number, not a formula (a spreadsheet reads it as that number).
bool IsPlainNumber(std::string_view s) {
  size_t i = 0, digits = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp;
    if (exp == 0) return false;
  }
  return i == s.size();
}
}  // namespace

std::string NeutralizeCsvCell(std::string_view s) {
  if (IsPlainNumber(s)) return std::string(s);
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r')) {
    return "'" + std::string(s);
  }
  return std::string(s);
}

}  // namespace findex
