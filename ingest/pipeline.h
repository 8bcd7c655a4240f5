// The ingest pipeline: the layer between the readers (ingest/) and the store (store/).
//
// Reports in (files, or standard input already read), one Store out: parser threads read and
// parse the reports (Source + the format's reader), a stage thread finalizes and prepares the
// findings for the store (PrepareFinding) when there is one parser, and one writer (the calling
// thread) owns the Store: each report is one run in its own transaction, all the reports of a
// call are one batch (absence is judged once, by CloseBatch, at the end). Bounded queues of
// chunks between the stages keep memory at about the reports in flight plus a fixed working set.
// Per-report results, progress and log lines come out through a result struct and callbacks;
// the caller (cli/cmd_ingest.cpp, bench/micro_bench.cpp, tests) prints what it wants.
// Falco event streams on standard input (`tail -f | findex ingest -`) go through StreamEvents.
//
// Library target findex_pipeline (links findex_ingest, findex_rules, findex_store); no
// exceptions, no spdlog: messages go to PipelineOptions::log.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ingest/driver.h"
#include "ingest/registry.h"
#include "normalize/finding.h"
#include "normalize/result.h"
#include "store/store.h"

namespace findex {

// --max-rejects: how many rejected records a report may have and still judge absence.
struct RejectLimit {
  uint64_t count = 0;
  double percent = -1;  // >= 0: a percentage of the report's records (good + rejected)
  bool Allows(uint64_t records, uint64_t rejects) const {
    if (rejects == 0) return true;
    if (percent >= 0) return static_cast<double>(rejects) * 100.0 <= percent * static_cast<double>(records + rejects);
    return rejects <= count;
  }
};
// "N" or "P%"; nullopt for anything else.
std::optional<RejectLimit> ParseRejectLimit(const std::string& s);

// One report to ingest.
struct PipelineInput {
  std::string path;                      // a file; "-" with `preloaded` for standard input
  std::string scope = "default";
  std::optional<std::string> preloaded;  // standard input's bytes, already read
  Status error;                          // set: fails without being read (e.g. --scope-from-path)
};

enum class LogLevel { kDebug, kWarn, kError };

struct PipelineOptions {
  IngestOptions ingest;   // reader settings and size caps
  AsffContext ctx;
  std::string now;        // RFC 3339, the ingest's clock
  std::string target;     // --target: overrides what every report says it scanned
  // The policy as the store calls it (RunInfo::policy) and its identity, mixed into each run's
  // content identity (so that a changed policy re-evaluates an unchanged report); 0/empty: none.
  std::function<PolicyDecision(const Finding&)> policy;
  uint64_t policy_identity = 0;
  bool has_policy = false;
  RejectLimit reject_limit;
  std::string max_rejects_text = "0";  // as given, for the warning
  int jobs = 0;                        // parser threads; 0: cores - 1, at least 1
  // Forced format of a path (--format NAME / NAME=GLOB); nullptr: detect.
  std::function<const FormatDescriptor*(const std::string& path)> format_for;
  // Polled between records, chunks and files: true stops the ingest (the report being stored
  // rolls back; nothing more is read). stop_reason() names why, e.g. "interrupted by SIGINT".
  std::function<bool()> stop;
  std::function<std::string()> stop_reason;
  std::function<void(LogLevel, const std::string&)> log;
  // Progress: files done, bytes read, findings stored; `final` on the last call.
  std::function<void(size_t files_done, uint64_t bytes, uint64_t findings, bool final)> progress;
  // A stage thread between the parser and the writer when there is one parser thread (the
  // default on two cores, and for one report): false keeps finalizing on the parser thread.
  bool stage_thread = true;
};

struct FileResult {
  std::string file, format, status = "ok", error;  // status: ok, unchanged, error
  RunCounts counts;
  std::vector<TargetVerdict> verdicts;  // targets whose batch verdict this file's run carries
};

struct PipelineResult {
  std::vector<FileResult> files;  // one per input, in order
  bool any_failed = false;
  bool stopped = false;           // options.stop() said so; CloseBatch was not run
  size_t processed = 0;           // inputs the writer finished (all unless stopped)
  uint64_t bytes = 0;             // bytes read (compressed size for .gz)
  uint64_t findings = 0;          // findings stored
  // CloseBatch: absence per (scope, scanner, target); an error leaves the runs stored.
  Status close_status;
  std::vector<TargetVerdict> verdicts;
};

// Ingests `inputs` into `store` as one batch. Never throws; per-report errors are in the result.
PipelineResult RunPipeline(Store& store, std::vector<PipelineInput> inputs, const PipelineOptions& options);

// An event stream (Falco; IsEventFormat) read from a file descriptor as it arrives
// (`tail -f events.log | findex ingest -`): lines are collapsed as they come and stored every
// `flush_seconds` and at end of input, one run (transaction) per batch.
struct StreamOptions {
  const FormatDescriptor* format = nullptr;
  std::string scope = "default";
  std::string target;  // --target
  AsffContext ctx;
  std::function<std::string()> now;  // the clock, read once per batch
  // The policy at a batch's clock (RunInfo::policy); empty: none.
  std::function<std::function<PolicyDecision(const Finding&)>(const std::string& now)> policy_at;
  double flush_seconds = 5.0;
  int fd = 0;          // read until end of input
  int wake_fd = -1;    // readable when stop() may have turned true (a signal handler's pipe)
  std::function<bool()> stop;  // true: store the complete lines read so far, then return
  std::function<void(LogLevel, const std::string&)> log;
  std::function<void(const RunCounts&)> on_batch;  // after each stored batch
};

struct StreamResult {
  RunCounts total;  // records, new_, updated (+ unchanged), rejects summed over the batches
  uint32_t lines = 0;
  bool failed = false;   // a batch or a line could not be stored (logged)
  bool stopped = false;  // stop() said so
};

// `pending`: bytes already read from the stream (e.g. while detecting its format).
StreamResult StreamEvents(Store& store, std::string pending, const StreamOptions& options);

}  // namespace findex
