#include "cli/policy_util.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "normalize/fingerprint.h"
#include "normalize/timestamp.h"
#include "rules/vex.h"

namespace findex::cli {

void PolicyFlags::Add(CLI::App* cmd, const char* no_policy_help) {
  cmd->add_option("--policy", files,
                  "Policy file (repeatable): findex.yml syntax, .codeguru-ignore.yml, .trivyignore or .trivyignore.yaml"
                  " (default: those found in the working directory)");
  cmd->add_flag("--no-policy", none, no_policy_help ? no_policy_help : "Apply no policy, even if findex.yml exists here");
}

void PolicyFlags::AddVex(CLI::App* cmd) {
  cmd->add_option("--vex", vex,
                  "VEX document (repeatable): OpenVEX or CycloneDX VEX JSON; its statements suppress (not_affected, "
                  "false_positive), resolve (fixed) or annotate the findings they name, with the policy (README: VEX)");
}

Result<std::shared_ptr<const Policy>> LoadPolicy(const PolicyFlags& flags, bool quiet) {
  if (flags.none) {
    if (!flags.vex.empty()) return MakeError(ErrorCode::kInvalidArgument, "--vex is policy input: it cannot go with --no-policy");
    return std::shared_ptr<const Policy>();
  }
  std::vector<std::string> files = flags.files;
  const bool discovered = files.empty();
  if (discovered) files = DiscoverPolicyFiles(".");
  if (files.empty() && flags.vex.empty()) return std::shared_ptr<const Policy>();
  auto policy = std::make_shared<Policy>();
  std::vector<Diagnostic> diags;
  bool failed = false;
  for (const auto& f : files) {
    // A file another one already included is read once.
    std::string norm = std::filesystem::path(f).lexically_normal().string();
    bool seen = false;
    for (const auto& done : policy->files) seen = seen || std::filesystem::path(done).lexically_normal().string() == norm;
    if (seen) continue;
    if (!LoadPolicyFile(f, policy.get(), &diags).ok()) failed = true;
  }
  // --vex documents: fail closed as the policy does (an invalid one stops the command before
  // anything is stored).
  for (const auto& v : flags.vex) {
    if (!LoadVexIntoPolicy(v, policy.get(), &diags).ok()) failed = true;
  }
  CheckGateSla(*policy, &diags);
  for (const auto& d : diags) {
    if (d.level == Diagnostic::Level::kError) failed = true;
    if (d.level == Diagnostic::Level::kError || !quiet) std::fprintf(stderr, "%s\n", d.ToString().c_str());
  }
  if (failed) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "policy has errors (" + std::string(discovered ? "found in the working directory" : "--policy") +
                         (flags.vex.empty() ? "" : " or --vex") + ")");
  }
  spdlog::debug("policy: {} file(s), {} overrides, {} suppressions, {} rules, {} gates", policy->files.size(),
                policy->overrides.size(), policy->suppressions.size(), policy->rules.size(), policy->gates.size());
  return std::shared_ptr<const Policy>(std::move(policy));
}

void CheckGateSla(const Policy& policy, std::vector<Diagnostic>* diags) {
  if (policy.sla) return;
  for (const auto& g : policy.gates) {
    if (g.sla.empty()) continue;
    Diagnostic d;
    d.level = Diagnostic::Level::kError;
    d.pos = g.pos;
    d.code = "P017";
    d.message = "gate '" + g.name + "' has sla: but the policy has no sla: key (days per severity, e.g. sla: {CRITICAL: 7, HIGH: 30})";
    diags->push_back(std::move(d));
  }
  for (const auto& a : policy.actions) {
    if (!a.def.Handles(ActionEvent::kSlaBreached)) continue;
    Diagnostic d;
    d.level = Diagnostic::Level::kError;
    d.pos = a.pos;
    d.code = "P017";
    d.message = "action '" + a.def.name + "' is on sla_breached but the policy has no sla: key (days per severity)";
    diags->push_back(std::move(d));
  }
}

Status AttachSla(FindingFilter* filter, const PolicyFlags& flags, const std::string& group_by, bool quiet) {
  if (!FilterUsesSla(*filter, group_by)) return Status::Ok();
  const std::string what = "the SLA (sla, sla_due, sla_days_left, --sort sla, --group-by sla)";
  if (flags.none) return MakeError(ErrorCode::kInvalidArgument, what + " needs the policy's sla:, and --no-policy reads none");
  auto policy = LoadPolicy(flags, quiet);
  if (!policy.ok()) return policy.error();
  if (!*policy) {
    return MakeError(ErrorCode::kInvalidArgument,
                     what + " needs a policy with an sla: key: no policy file given (--policy FILE) or found in the working directory (findex.yml)");
  }
  if (!(*policy)->sla) {
    std::string files;
    for (const auto& f : (*policy)->files) files += (files.empty() ? "" : ", ") + f;
    return MakeError(ErrorCode::kInvalidArgument, what + " needs a policy with an sla: key; " + files +
                                                      " has none (e.g. sla: {CRITICAL: 7, HIGH: 30, MEDIUM: 90, LOW: 180})");
  }
  filter->sla = *(*policy)->sla;
  return Status::Ok();
}

int64_t ToUnixMs(const std::string& rfc3339) {
  Rfc3339Time t;
  if (!ParseRfc3339(rfc3339, &t)) return 0;
  return t.epoch_seconds * 1000 + t.nanos / 1000000;
}

uint64_t PolicyIdentity(const Policy& policy, int64_t now_ms) {
  std::string s = Hex64(policy.Hash());
  for (const auto& x : policy.suppressions) s.push_back(x.expires_ms >= 0 && now_ms >= x.expires_ms ? '1' : '0');
  return Hash64(s);
}

}  // namespace findex::cli
