// Small helpers shared by the delivery code (rules/deliver*.cpp).
#pragma once

#include <string>
#include <string_view>

namespace findex {

// Percent-encoding (RFC 3986 section 2.1) of every byte but the unreserved characters of section
// 2.3 (ALPHA / DIGIT / "-" / "." / "_" / "~", ASCII only): the reserved gen-delims and sub-delims,
// space, '%', controls and every byte of a UTF-8 sequence become "%XX" with upper-case hex. One
// set serves all three uses: a Jira issue key as a path segment (deliver.cpp), a placeholder in
// a link template's query or path (deliver_payload.cpp) and the encoded form of a secret that the
// Redactor hides (deliver_secrets.cpp), which must be the form the other two write.
inline std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace findex
