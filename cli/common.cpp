#include "cli/common.h"

#include "store/db.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "cli/policy_util.h"
#include "normalize/text.h"

namespace findex::cli {

namespace {
std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}
}  // namespace

std::string Globals::DbPath() const {
  if (!db.empty()) return db;
  std::string env = Env("FINDEX_DB");
  return env.empty() ? "findex.db" : env;
}

std::string Globals::DbShown() const {
  const std::string p = DbPath();
  return IsPostgresUri(p) ? RedactUri(p) : p;
}

AsffContext Globals::Context() const {
  AsffContext c;
  std::string a = !account.empty() ? account : Env("FINDEX_ACCOUNT_ID");
  if (!a.empty()) c.aws_account_id = a;
  std::string r = !region.empty() ? region : Env("FINDEX_REGION");
  if (r.empty()) r = Env("AWS_REGION");
  if (!r.empty()) c.region = r;
  std::string p = !partition.empty() ? partition : Env("FINDEX_PARTITION");
  if (!p.empty()) c.partition = p;
  return c;
}

Status Globals::Validate() const {
  // Security Hub rejects any other AwsAccountId; a typo would only show at import time.
  const bool from_flag = !account.empty();
  const std::string a = from_flag ? account : Env("FINDEX_ACCOUNT_ID");
  if (!a.empty() && (a.size() != 12 || !std::all_of(a.begin(), a.end(), [](char c) { return c >= '0' && c <= '9'; }))) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(from_flag ? "--account-id" : "$FINDEX_ACCOUNT_ID") +
                                                      " '" + a + "' is not an AWS account id (12 digits, e.g. 123456789012)");
  }
  return Status::Ok();
}

std::string Now() {
  std::string env = Env("FINDEX_NOW");
  if (!env.empty()) return env;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return FormatTimestamp(ms);
}

void FilterFlags::Add(CLI::App* cmd) {
  cmd->add_option("--severity", severity, "At least this severity (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)");
  cmd->add_option("--scanner", scanners, "Scanner family, e.g. zap, dependency-check (repeatable)");
  cmd->add_option("--scope", scopes, "Scope (repeatable)");
  cmd->add_option("--state", states, "ACTIVE, ARCHIVED, NEW, NOTIFIED, RESOLVED or SUPPRESSED (repeatable)");
  cmd->add_option("--title", title, "Text in the title (case-insensitive)");
  cmd->add_option("--resource", resource, "Text in the resource id, file path or URL");
  cmd->add_option("--vuln", vuln, "Vulnerability id (CVE-..., GHSA-...)");
  cmd->add_option("--package", package, "Package name");
  cmd->add_option("--id", id, "Finding id as triage and history take it: ASFF Id, fingerprint prefix (8+ hex) or row id");
  cmd->add_flag("--new", new_only, "Only findings first seen in the latest ingest of their scope");
  cmd->add_option("--sort", sort,
                  "severity, updated, title, scanner, first-seen, kev, kev_due, epss, epss_percentile, sla or sla_due")
      ->check(CLI::IsMember(SortKeys()));
  cmd->add_option("--limit", limit, "At most this many rows");
}

Result<FindingFilter> FilterFlags::ToFilter() const {
  FindingFilter f;
  if (!severity.empty()) {
    auto l = ParseSeverityLabel(severity);
    if (!l) return MakeError(ErrorCode::kInvalidArgument, "unknown severity '" + severity + "'");
    f.min_severity = *l;
  }
  f.scanners = scanners;
  f.scopes = scopes;
  f.states = states;
  f.title_contains = title;
  f.resource_contains = resource;
  f.vuln_id = vuln;
  f.package = package;
  f.id = id;
  f.new_in_latest_run = new_only;
  f.order_by = sort;
  f.limit = limit;
  f.now_ms = ToUnixMs(Now());  // relative times (now-30d, age>30d) use findex's clock ($FINDEX_NOW)
  return f;
}

void SetupLogging(const Globals& g) {
  if (spdlog::get("findex")) return;
  auto logger = spdlog::stderr_color_mt("findex");
  logger->set_pattern("findex: %^%l%$: %v");
  logger->set_level(g.verbose ? spdlog::level::debug : (g.quiet ? spdlog::level::err : spdlog::level::info));
  spdlog::set_default_logger(logger);
}

}  // namespace findex::cli
