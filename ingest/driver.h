// Runs one report through detection and its ingester. No store dependency: the CLI passes
// the store's sink, tests pass a collector.
#pragma once

#include <string>

#include "ingest/ingester.h"
#include "ingest/registry.h"

namespace findex {

struct IngestOutcome {
  const FormatDescriptor* format = nullptr;
  uint64_t records = 0;  // records read (findings before deduplication; Falco: events)
  uint64_t rejects = 0;
};

// Detects the format from the content unless `forced` is set, then ingests. On error nothing
// must be kept from this file (the sink's owner rolls back).
Result<IngestOutcome> IngestSource(Source& src, const FormatDescriptor* forced, const IngestOptions& opts,
                                   FindingSink& sink);

// Collects everything in memory (tests, export of a single file).
class CollectingSink : public FindingSink {
 public:
  Status Accept(Finding&& f) override {
    findings.push_back(std::move(f));
    return Status::Ok();
  }
  void AddReject(Reject&& r) override { rejects.push_back(std::move(r)); }
  void AddTarget(std::string_view t) override { targets.emplace_back(t); }
  std::vector<Finding> findings;
  std::vector<std::string> targets;  // as the report declared them (see FindingSink::AddTarget)
  std::vector<Reject> rejects;
};

}  // namespace findex
