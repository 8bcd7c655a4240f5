#include "tests/fuzz/fuzz_target.h"

#include <string>

#include "ingest/driver.h"

namespace findex::fuzz {
namespace {

// Keeps nothing, but reads every field of what it is given (a use-after-free or an
// uninitialized value in a finding shows up here under the sanitizers).
class TouchingSink : public FindingSink {
 public:
  Status Accept(Finding&& f) override {
    sum_ += f.title.size() + f.description.size() + f.location.file_path.size();
    for (const auto& r : f.resources) sum_ += r.id.size();
    for (const auto& [k, v] : f.product_fields) sum_ += k.size() + v.size();
    return Status::Ok();
  }
  void AddReject(Reject&& r) override { sum_ += r.where.size() + r.reason.size() + r.line; }
  size_t sum_ = 0;
};

}  // namespace

void RunOne(const FormatDescriptor* fmt, const uint8_t* data, size_t size) {
  SourceLimits limits;
  limits.max_bytes = 64u << 20;  // a fuzz input that inflates further is refused, as a report would be
  auto src = Source::FromBytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz-input", limits);
  if (!src.ok()) return;
  TouchingSink sink;
  (void)IngestSource(*src, fmt, IngestOptions{}, sink);
}

}  // namespace findex::fuzz
