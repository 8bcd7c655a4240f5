// The explicit, ordered list of formats. Adding one: a file in formats/, one line in
// registry.cpp, a folder in samples/.
#pragma once

#include <span>
#include <string_view>

#include "ingest/ingester.h"

namespace findex {

std::span<const FormatDescriptor> Formats();
const FormatDescriptor* FindFormat(std::string_view name);
// Highest-confidence format for `head`; ties go to the earlier entry. Error when nothing fits.
Result<const FormatDescriptor*> DetectFormat(std::string_view head);
// Event sources (Falco runtime alerts): absence from a later log does not mean fixed, and a
// finding's occurrences add up across ingests.
bool IsEventFormat(const FormatDescriptor& f);

}  // namespace findex
