// Stable identity of a finding. An ingester hashes the parts that identify the problem
// (never line numbers that move, timestamps or counters) with a scanner-family prefix:
//   FingerprintOf({"zap", plugin_id, site})
// Parts are joined with a 0x1f separator and hashed with XXH3-128 in one call.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "normalize/finding.h"

namespace findex {

Fingerprint FingerprintOf(std::initializer_list<std::string_view> parts);
Fingerprint FingerprintOfBytes(std::string_view bytes);
// 64-bit content hash (XXH3-64) for change detection and file identity.
uint64_t Hash64(std::string_view bytes);
std::string Hex64(uint64_t v);

// Line-insensitive anchor for SAST findings: the trimmed source line or snippet with
// whitespace collapsed, so a finding that only moved lines keeps its identity.
std::string NormalizeSnippet(std::string_view snippet);

}  // namespace findex
