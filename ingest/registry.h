// The explicit, ordered list of formats. Adding one: a file in formats/, one line in
// registry.cpp, a folder in samples/.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/ingester.h"

namespace findex {

std::span<const FormatDescriptor> Formats();
const FormatDescriptor* FindFormat(std::string_view name);
// Highest-confidence format for `head`; ties go to the earlier entry. Error when nothing fits.
Result<const FormatDescriptor*> DetectFormat(std::string_view head);
// Event sources (Falco runtime alerts): absence from a later log does not mean fixed, and a
// finding's occurrences add up across ingests.
bool IsEventFormat(const FormatDescriptor& f);

// A report without content: nothing but white space, `null`, `[]` or `{}` (a clean Gitleaks run
// writes `[]`). It names no scanner; once its format is known (--format, a NAME=GLOB rule, or
// its file name) it is that scanner's clean scan: zero findings.
bool IsContentFree(std::string_view text);

// File names that name a format (README "Formats"), for content-free reports only: content
// always wins. Matched case-insensitively on the file name, a trailing .gz ignored.
struct FileNamePattern {
  std::string_view glob;    // fnmatch pattern, e.g. "gitleaks*.json"
  std::string_view format;  // FormatDescriptor::name
};
std::span<const FileNamePattern> FileNamePatterns();
// The format of the first pattern `path`'s file name matches; nullptr when none does.
const FormatDescriptor* FormatFromFileName(std::string_view path);

// `--format` values: NAME (every file) or NAME=GLOB (files whose name or path matches GLOB; the
// first matching rule wins over NAME). At most one NAME; every NAME must be a known format.
struct FormatRule {
  const FormatDescriptor* format = nullptr;
  std::string glob;  // empty: every file
};
Result<std::vector<FormatRule>> ParseFormatRules(const std::vector<std::string>& values);
// The forced format of one input file; nullptr: detect it from the content.
const FormatDescriptor* FormatForFile(const std::vector<FormatRule>& rules, std::string_view path);

}  // namespace findex
