#include "normalize/finding.h"

#include <ctime>

#include "normalize/fingerprint.h"
#include "normalize/result.h"
#include "normalize/text.h"

namespace findex {

std::string_view ToString(WorkflowStatus s) {
  switch (s) {
    case WorkflowStatus::kNew: return "NEW";
    case WorkflowStatus::kNotified: return "NOTIFIED";
    case WorkflowStatus::kResolved: return "RESOLVED";
    case WorkflowStatus::kSuppressed: return "SUPPRESSED";
  }
  return "NEW";
}

std::string_view ToString(RecordState s) { return s == RecordState::kActive ? "ACTIVE" : "ARCHIVED"; }

std::optional<WorkflowStatus> ParseWorkflowStatus(std::string_view s) {
  for (auto w : {WorkflowStatus::kNew, WorkflowStatus::kNotified, WorkflowStatus::kResolved,
                 WorkflowStatus::kSuppressed}) {
    if (EqualsIgnoreCase(s, ToString(w))) return w;
  }
  return std::nullopt;
}

std::optional<RecordState> ParseRecordState(std::string_view s) {
  if (EqualsIgnoreCase(s, "ACTIVE")) return RecordState::kActive;
  if (EqualsIgnoreCase(s, "ARCHIVED")) return RecordState::kArchived;
  return std::nullopt;
}

std::string Fingerprint::Hex() const {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  s.reserve(32);
  for (uint8_t b : bytes) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 15]);
  }
  return s;
}

bool Fingerprint::empty() const {
  for (uint8_t b : bytes) {
    if (b) return false;
  }
  return true;
}

std::string AsffContext::ProductArn() const {
  return "arn:" + partition + ":securityhub:" + region + ":" + aws_account_id + ":product/" +
         aws_account_id + "/default";
}

std::string MakeFindingId(std::string_view scope, const Fingerprint& fp) {
  // Scope is part of the Id so that the same problem in two repos is two Security Hub findings.
  Fingerprint scoped = FingerprintOf({scope, std::string_view(reinterpret_cast<const char*>(fp.bytes.data()), 16)});
  return "findex/" + scoped.Hex();
}

void Finalize(Finding& f, const AsffContext& ctx, std::string_view scope, std::string_view now) {
  f.scope = std::string(scope);
  if (f.id.empty()) f.id = MakeFindingId(scope, f.fingerprint);
  if (f.product_arn.empty()) f.product_arn = ctx.ProductArn();
  if (f.aws_account_id.empty()) f.aws_account_id = ctx.aws_account_id;
  if (f.region.empty()) f.region = ctx.region;
  if (f.product_name.empty()) f.product_name = ctx.product_name;
  if (f.company_name.empty()) f.company_name = ctx.company_name;
  if (f.types.empty()) {
    f.types.push_back(f.vulnerabilities.empty() ? "Software and Configuration Checks/Vulnerabilities"
                                                : "Software and Configuration Checks/Vulnerabilities/CVE");
  }
  if (f.generator_id.empty()) f.generator_id = f.scanner.empty() ? "findex" : f.scanner;
  if (f.title.empty()) f.title = f.generator_id;
  if (f.description.empty()) f.description = f.title;
  // Label is authoritative; Normalized is brought into its band.
  static const int kLo[] = {0, 1, 40, 70, 90};
  static const int kHi[] = {0, 39, 69, 89, 100};
  int idx = static_cast<int>(f.severity.label);
  if (f.severity.normalized < kLo[idx] || f.severity.normalized > kHi[idx]) {
    f.severity.normalized = DefaultNormalized(f.severity.label);
  }
  if (f.resources.empty()) {
    Resource r;
    r.id = !f.location.file_path.empty() ? f.location.file_path
           : !f.location.url.empty()     ? f.location.url
                                         : (f.scanner.empty() ? std::string("unknown") : f.scanner);
    f.resources.push_back(std::move(r));
  }
  for (auto& r : f.resources) {
    if (r.partition.empty()) r.partition = ctx.partition;
    if (r.region.empty()) r.region = ctx.region;
    if (r.type.empty()) r.type = "Other";
  }
  if (f.resource_count < f.resources.size()) f.resource_count = f.resources.size();
  std::string n(now);
  if (f.created_at.empty()) f.created_at = n;
  if (f.updated_at.empty()) f.updated_at = n;
  if (f.first_observed_at.empty()) f.first_observed_at = n;
  if (f.last_observed_at.empty()) f.last_observed_at = n;
}

std::string FormatTimestamp(int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000));
  return buf;
}

}  // namespace findex

namespace findex {
const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInvalidArgument: return "invalid-argument";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kUnknownFormat: return "unknown-format";
    case ErrorCode::kParse: return "parse";
    case ErrorCode::kSchema: return "schema";
    case ErrorCode::kTooLarge: return "too-large";
    case ErrorCode::kStore: return "store";
    case ErrorCode::kNotFound: return "not-found";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}
}  // namespace findex
