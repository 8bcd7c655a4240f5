// Response actions after an ingest, and `findex act` (issue 12): the deliveries the store
// recorded (its outbox, store/deliveries.cpp) sent with the policy's actions (rules/deliver.h),
// each outcome recorded. A delivery is claimed before it is sent, so two findex never send the
// same one; a failure is recorded (pending for the next `findex act`), never an ingest failure.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "normalize/result.h"
#include "rules/deliver.h"
#include "rules/policy.h"
#include "store/filter.h"
#include "store/store.h"

namespace findex {

struct RespondOptions {
  std::vector<std::string> scopes;   // empty: every scope
  std::vector<std::string> actions;  // empty: every action of the policy
  bool dry_run = false;              // print what would be sent (secrets as ${VAR}); send nothing
  // Only the deliveries of the findings this filter selects (`findex act` filters); none: all.
  std::optional<FindingFilter> filter;
  // A delivery claimed (`sending`) longer ago than this was never finished: the findex that
  // claimed it stopped while sending, and it may or may not have gone out. It is counted as
  // stale, and sent again only with retry_stale (`findex act --retry-stale`).
  int64_t stale_after_ms = 10 * 60 * 1000;
  bool retry_stale = false;
  std::string now;  // RFC 3339
  EnvLookup env = ProcessEnv();
  HttpOptions http;                                        // CA file (tests), proxy
  std::function<void(std::chrono::milliseconds)> sleeper;  // tests: no real waits
  // Dry run: each planned message, as text.
  std::function<void(const std::string&)> print;
};

struct RespondResult {
  int64_t delivered = 0, failed = 0, skipped = 0;
  int64_t orphaned = 0;             // recorded for an action the policy no longer has (left as they are)
  int64_t stale = 0;                // claimed before the stale cutoff and never finished (not retried)
  std::string stale_oldest;         // the oldest such claim's time
  std::vector<std::string> errors;  // redacted, one per failed delivery: "action page: finding ...: HTTP 500 ..."
};

// Maps the policy's actions to the store's event bits (Store::SetActionEvents).
std::map<std::string, unsigned> ActionEventBits(const Policy& policy);

Result<RespondResult> Respond(Store& store, const Policy& policy, const RespondOptions& options);

}  // namespace findex
