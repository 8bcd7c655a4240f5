// libFuzzer entry point, built once per reader with FINDEX_FUZZ_FORMAT set to its name
// ("auto": format detection first, as `findex ingest` does without --format).
#include <cstdlib>
#include <string_view>

#include "ingest/registry.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const findex::FormatDescriptor* fmt = [] {
    std::string_view name = FINDEX_FUZZ_FORMAT;
    if (name == "auto") return static_cast<const findex::FormatDescriptor*>(nullptr);
    const findex::FormatDescriptor* f = findex::FindFormat(name);
    if (!f) std::abort();  // a target for a format that does not exist
    return f;
  }();
  findex::fuzz::RunOne(fmt, data, size);
  return 0;
}
