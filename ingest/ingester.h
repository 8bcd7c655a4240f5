// The contract between a scanner format and the rest of findex.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>

#include "ingest/source.h"
#include "normalize/finding.h"
#include "normalize/result.h"

namespace findex {

// A bad record inside a readable file: counted and stored, never fatal to the file.
struct Reject {
  uint64_t offset = 0;  // byte offset in the file (0 when unknown)
  uint32_t line = 0;    // 1-based line (0 when unknown)
  std::string where;    // JSON path or XML element path, e.g. "site[0].alerts[3]"
  std::string reason;
};

class FindingSink {
 public:
  virtual ~FindingSink() = default;
  // A non-OK status aborts the file (the store rolls it back).
  virtual Status Accept(Finding&& f) = 0;
  virtual void AddReject(Reject&& r) = 0;
  // The report names what it scanned (see Finding::target); may be called several times for a
  // report about several targets (ZAP sites, SARIF runs). Findings without a target of their own
  // take the report's when it names exactly one.
  virtual void AddTarget(std::string_view target) { (void)target; }
};

struct IngestOptions {
  // Format-specific settings, e.g. {"cfn-nag.mode", "aggregate"}; unknown keys are ignored.
  std::map<std::string, std::string> params;
  // Size caps applied when the report is read (Source::FromFile / FromBytes).
  SourceLimits limits;
};

enum class SniffConfidence { kNo = 0, kMaybe = 1, kLikely = 2, kCertain = 3 };

// Reads the whole report and hands each finding to `sink`. Returns an error (and the file is
// not stored) when the file as a whole is unreadable: not this format, malformed, truncated.
// `src` may be modified in place (XML parsing); views into it are valid only during the call.
using IngestFn = Status (*)(Source& src, const IngestOptions& opts, FindingSink& sink);
// Pure: looks only at `head` (the first 64 KiB, BOM removed).
using SniffFn = SniffConfidence (*)(std::string_view head);

struct FormatDescriptor {
  std::string_view name;         // == samples/<name>/ == --format value
  std::string_view scanner;      // product family stored with each finding, e.g. "zap"
  std::string_view description;  // one line for `findex formats`
  std::span<const std::string_view> extensions;
  SniffFn sniff;
  IngestFn ingest;
};

}  // namespace findex
