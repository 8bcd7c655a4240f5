// Policy loading shared by ingest, gate and `policy check`.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "normalize/result.h"
#include "rules/policy.h"
#include "store/filter.h"

namespace findex::cli {

struct PolicyFlags {
  std::vector<std::string> files;  // --policy (repeatable); none: discover in the working directory
  bool none = false;               // --no-policy
  std::vector<std::string> vex;    // --vex (repeatable): VEX documents added to the policy (rules/vex.h)
  void Add(CLI::App* cmd, const char* no_policy_help = nullptr);
  void AddVex(CLI::App* cmd);
};

// Reads --policy files, or findex.yml / .codeguru-ignore.yml / .trivyignore(.yaml) found in the
// working directory, then the --vex documents (after the policy's own `vex:` ones: on equal
// timestamps a --vex statement wins). Diagnostics go to stderr (warnings unless quiet).
// nullptr: no policy. --vex with --no-policy is an error.
Result<std::shared_ptr<const Policy>> LoadPolicy(const PolicyFlags& flags, bool quiet);

// A gate with `sla:` needs the policy's `sla:` (fail closed): an error diagnostic (P017) for each
// gate that has one when the policy has none.
void CheckGateSla(const Policy& policy, std::vector<Diagnostic>* diags);

// When the filter needs the SLA (FilterUsesSla: an sla field, --sort sla(_due), --group-by sla),
// sets filter->sla from the policy (--policy files, or those found in the working directory);
// an error when there is no policy with an `sla:` key. Reads no policy file otherwise.
Status AttachSla(FindingFilter* filter, const PolicyFlags& flags, const std::string& group_by, bool quiet);

// Unix ms of an RFC 3339 time (Now()); 0 when unparsable.
int64_t ToUnixMs(const std::string& rfc3339);

// Identity of what the policy does at `now_ms`: its hash and which suppressions have expired.
// Mixed into a run's content hash, so that re-ingesting the same bytes under a changed policy
// (or after an expiry) re-applies it instead of being skipped as identical.
uint64_t PolicyIdentity(const Policy& policy, int64_t now_ms);

}  // namespace findex::cli
