#include "ingest/driver.h"

#include <exception>
#include <new>

namespace findex {
namespace {

// Counts what passes through, so every format reports records/rejects the same way.
class CountingSink : public FindingSink {
 public:
  explicit CountingSink(FindingSink& inner, const FormatDescriptor& fmt) : inner_(inner), fmt_(fmt) {}
  Status Accept(Finding&& f) override {
    records += f.occurrences > 0 ? f.occurrences : 1;  // a Falco finding stands for its events
    if (f.format.empty()) f.format = std::string(fmt_.name);
    if (f.scanner.empty()) f.scanner = std::string(fmt_.scanner);
    return inner_.Accept(std::move(f));
  }
  void AddReject(Reject&& r) override {
    ++rejects;
    inner_.AddReject(std::move(r));
  }
  void AddTarget(std::string_view t) override { inner_.AddTarget(t); }
  uint64_t records = 0, rejects = 0;

 private:
  FindingSink& inner_;
  const FormatDescriptor& fmt_;
};

}  // namespace

Result<IngestOutcome> IngestSource(Source& src, const FormatDescriptor* forced, const IngestOptions& opts,
                                   FindingSink& sink) {
  const FormatDescriptor* fmt = forced;
  if (!fmt) {
    auto detected = DetectFormat(src.head());
    if (!detected.ok()) {
      Error e = detected.error();
      e.where = src.path();
      return e;
    }
    fmt = *detected;
  }
  CountingSink counting(sink, *fmt);
  // Readers return errors, never throw; anything thrown anyway (a library's exception, out of
  // memory) is this file's error, so the files after it are still read.
  Status st = Status::Ok();
  try {
    st = fmt->ingest(src, opts, counting);
  } catch (const std::bad_alloc&) {
    st = MakeError(ErrorCode::kTooLarge, "out of memory while reading the report", src.path());
  } catch (const std::exception& ex) {
    st = MakeError(ErrorCode::kInternal, std::string("unexpected error while reading the report: ") + ex.what(),
                   src.path());
  } catch (...) {
    st = MakeError(ErrorCode::kInternal, "unexpected error while reading the report", src.path());
  }
  if (!st.ok()) {
    Error e = st.error();
    if (e.where.empty()) e.where = src.path();
    e.message = std::string(fmt->name) + ": " + e.message;
    return e;
  }
  IngestOutcome out;
  out.format = fmt;
  out.records = counting.records;
  out.rejects = counting.rejects;
  return out;
}

}  // namespace findex
