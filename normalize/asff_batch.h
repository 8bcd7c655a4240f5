// Security Hub BatchImportFindings batches: findings split into JSON arrays that respect the
// API's limits (100 findings and 6 MB per request, each finding under 240 KB).
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "normalize/finding.h"
#include "normalize/result.h"

namespace findex {

// Decimal units, the stricter reading of "6 MB" and "240 KB" in the Security Hub guide.
struct AsffBatchLimits {
  size_t max_findings = 100;          // per batch
  size_t max_batch_bytes = 6000000;   // a whole batch file: the JSON array, brackets included
  size_t max_finding_bytes = 240000;  // one finding as compact JSON: strictly less than this
};

struct AsffBatchStats {
  size_t findings = 0;  // written
  size_t batches = 0;
  size_t reduced = 0;   // written after dropping optional content to fit max_finding_bytes
  size_t skipped = 0;   // too large even when reduced: not written
};

// Compact ASFF (Security Hub limits applied) under `max_bytes`: when the writer's truncation is
// not enough, drops in this order until it fits: ProductFields other than findex/*,
// UserDefinedFields and Note, resources after the first and their Details, vulnerabilities
// after the first, then that vulnerability's lists beyond their first entries. `steps` (if not
// null) receives what was dropped. Error kTooLarge when nothing makes it fit.
Result<std::string> AsffForBatch(const Finding& f, size_t max_bytes, std::string* steps = nullptr);

// Feeds findings in order; hands each full batch to `sink` as a JSON array (one finding per
// line) with its 1-based number. `warn` hears about reduced and skipped findings.
class AsffBatcher {
 public:
  using Sink = std::function<Status(size_t number, const std::string& json_array)>;
  using Warn = std::function<void(const std::string& message)>;
  AsffBatcher(AsffBatchLimits limits, Sink sink, Warn warn = {});

  Status Add(const Finding& f);
  Status Finish();  // flushes the last, partial batch
  const AsffBatchStats& stats() const { return stats_; }

 private:
  Status Flush();

  AsffBatchLimits limits_;
  Sink sink_;
  Warn warn_;
  std::string buf_;  // the open batch: "[\n" + findings joined by ",\n"
  size_t in_buf_ = 0;
  AsffBatchStats stats_;
};

}  // namespace findex
