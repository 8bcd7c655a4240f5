// Settings shared by the subcommands.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "normalize/finding.h"
#include "store/filter.h"

namespace findex::cli {

// Exit codes (documented in README): 0 ok / gate passed, 1 gate failed, 2 usage, input or store error.
inline constexpr int kExitOk = 0;
inline constexpr int kExitGateFailed = 1;
inline constexpr int kExitError = 2;

struct Globals {
  std::string db;         // --db, else $FINDEX_DB, else ./findex.db
  std::string account;    // --account-id, else $FINDEX_ACCOUNT_ID, else 000000000000
  std::string region;     // --region, else $FINDEX_REGION, $AWS_REGION, else us-east-1
  std::string partition;  // --partition, else $FINDEX_PARTITION, else aws
  bool verbose = false;
  bool quiet = false;

  std::string DbPath() const;
  // DbPath for messages: a server URI without its password.
  std::string DbShown() const;
  AsffContext Context() const;
  // Checks the settings (flags, else environment): the account id is 12 digits.
  Status Validate() const;
};

// Current time as RFC 3339 UTC; $FINDEX_NOW overrides it (deterministic tests).
std::string Now();

// Filter flags shared by query and export.
struct FilterFlags {
  std::string severity;  // at least
  std::vector<std::string> scanners, scopes, states;
  std::string title, resource, vuln, package, id;
  bool new_only = false;
  std::string sort = "severity";
  int64_t limit = -1;
  void Add(CLI::App* cmd);
  Result<FindingFilter> ToFilter() const;
};

void SetupLogging(const Globals& g);

}  // namespace findex::cli
