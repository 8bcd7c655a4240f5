// The compact stored form of a finding (store schema 6): what a finding row's typed columns do
// not hold, as a versioned binary record ("details"), with rule- and vulnerability-level text
// (descriptions, remediation, references, CVSS vectors, ...) replaced by references to a
// content-addressed text table, so that text shared by many findings is stored once.
//
// Layout: a version byte (1; 2 when the rest is one zstd frame of what follows version 1's byte),
// then fields in a fixed order; integers are LEB128 varints, strings
// are a varint tag: (len << 1) for len inline bytes, or 1 for a reference followed by the 8-byte
// little-endian XXH3-64 of the text. Maps and lists are a count then their items.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "normalize/finding.h"
#include "normalize/result.h"

namespace findex {

// A text the details refer to by hash: `text` views a string of the encoded Finding (or of the
// caller's buffer), valid as long as that is.
struct DetailText {
  uint64_t hash = 0;
  std::string_view text;
};

struct EncodeOptions {
  // Strings of the interned kinds at least this long are references (shorter ones cost less
  // inline than a reference does); 0: never (everything inline).
  size_t intern_min = 40;
  // zstd-compress the record when that makes it smaller (a different version byte says so).
  bool compress = true;
};

// Encodes what a stored finding needs beyond the row's columns. Columns (not encoded): scanner,
// format, target, fingerprint, generator_id, title, severity label and normalized, id, scope,
// timestamps, workflow, record state, occurrences. Map entries that ASFF would drop (empty key or
// value) are left out, so that a finding and its ASFF round trip encode alike.
// `content_hash`, when given, receives DetailsContentHash of the record before compression.
void EncodeDetails(const Finding& f, const EncodeOptions& opts, std::string* out, std::vector<DetailText>* texts,
                   uint64_t* content_hash = nullptr);

// Fills `f` from details written by EncodeDetails; `text` returns the text of a reference.
// Corrupt input is an error, never a crash.
Status DecodeDetails(std::string_view details, const std::function<Result<std::string>(uint64_t)>& text, Finding* f);

// The content hash of a finding as stored: the (uncompressed) details plus the column fields that are part of
// what the report said (not lifecycle). Equal for equal findings, whatever the texts' storage.
uint64_t DetailsContentHash(const Finding& f, std::string_view details);

// The hash a text is referenced by.
uint64_t TextHash(std::string_view text);

}  // namespace findex
