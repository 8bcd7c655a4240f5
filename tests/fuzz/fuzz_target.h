// One fuzz input through one reader (or through detection when fmt is null), as findex reads a
// report: Source::FromBytes (gzip and size caps included), then IngestSource. Shared by the
// libFuzzer targets (fuzz_main.cpp) and the replay test (replay.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "ingest/ingester.h"

namespace findex::fuzz {

// Never throws; a crash or a sanitizer report is the bug.
void RunOne(const FormatDescriptor* fmt, const uint8_t* data, size_t size);

}  // namespace findex::fuzz
