// findex policy check FILE...: validate policy files without a store.
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/policy_util.h"
#include "rules/vex.h"

namespace findex::cli {
namespace {

struct PolicyCheckFlags {
  std::vector<std::string> files;
  std::vector<std::string> vex;  // --vex, and *.json files among `files`
};

bool IsVexName(const std::string& f) {
  return f.size() > 5 && f.compare(f.size() - 5, 5, ".json") == 0;
}

int RunPolicyCheck(const PolicyCheckFlags& fl, const Globals& g) {
  SetupLogging(g);
  std::vector<std::string> files, vex = fl.vex;
  for (const auto& f : fl.files) (IsVexName(f) ? vex : files).push_back(f);
  if (files.empty() && fl.files.empty()) files = DiscoverPolicyFiles(".");
  if (files.empty() && vex.empty()) {
    spdlog::error("no policy file given and none found here (findex.yml, .codeguru-ignore.yml, .trivyignore, .trivyignore.yaml)");
    return kExitError;
  }
  Policy policy;
  std::vector<Diagnostic> diags;
  bool failed = false;
  for (const auto& f : files) failed = !LoadPolicyFile(f, &policy, &diags).ok() || failed;
  // VEX documents (rules/vex.h): named by the policy's vex:, by --vex, or given as *.json.
  for (const auto& f : vex) failed = !LoadVexIntoPolicy(f, &policy, &diags).ok() || failed;
  // Expired suppressions are no error (they just stop applying) but deserve a warning here.
  const int64_t now_ms = ToUnixMs(Now());
  for (const auto& s : policy.suppressions) {
    if (s.expires_ms >= 0 && now_ms >= s.expires_ms) {
      diags.push_back(Diagnostic{Diagnostic::Level::kWarning, s.pos, "P012",
                                 "suppression '" + s.name + "' expired on " + s.expires + " and no longer applies"});
    }
  }
  CheckGateSla(policy, &diags);
  size_t errors = 0, warnings = 0;
  for (const auto& d : diags) {
    (d.level == Diagnostic::Level::kError ? errors : warnings)++;
    std::fprintf(stderr, "%s\n", d.ToString().c_str());
  }
  if (failed || errors > 0) {
    std::fprintf(stderr, "policy check failed: %zu error%s, %zu warning%s\n", errors, errors == 1 ? "" : "s", warnings,
                 warnings == 1 ? "" : "s");
    return kExitError;
  }
  if (!g.quiet) {
    std::fprintf(stderr, "policy ok: %zu file%s, %zu severity override%s, %zu suppression%s, %zu automation rule%s, %zu gate%s, %zu warning%s\n",
                 policy.files.size(), policy.files.size() == 1 ? "" : "s", policy.overrides.size(),
                 policy.overrides.size() == 1 ? "" : "s", policy.suppressions.size(),
                 policy.suppressions.size() == 1 ? "" : "s", policy.rules.size(), policy.rules.size() == 1 ? "" : "s",
                 policy.gates.size(), policy.gates.size() == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
    if (policy.vex) {
      size_t by_status[5] = {0, 0, 0, 0, 0};
      for (size_t i = 0; i < policy.vex->size(); ++i) ++by_status[static_cast<size_t>(policy.vex->at(i).st.status)];
      std::fprintf(stderr, "vex: %zu document%s, %zu statement%s (%zu not_affected, %zu false_positive, %zu fixed, %zu affected, %zu under_investigation)\n",
                   policy.vex->files().size(), policy.vex->files().size() == 1 ? "" : "s", policy.vex->size(),
                   policy.vex->size() == 1 ? "" : "s", by_status[static_cast<size_t>(VexStatus::kNotAffected)],
                   by_status[static_cast<size_t>(VexStatus::kFalsePositive)], by_status[static_cast<size_t>(VexStatus::kFixed)],
                   by_status[static_cast<size_t>(VexStatus::kAffected)],
                   by_status[static_cast<size_t>(VexStatus::kUnderInvestigation)]);
    }
    if (policy.sla) {
      const SlaPolicy& s = *policy.sla;
      std::string days;
      for (int l = 4; l >= 0; --l) {
        const int d = s.days[static_cast<size_t>(l)];
        if (d >= 0) days += (days.empty() ? "" : ", ") + std::string(ToString(static_cast<SeverityLabel>(l))) + " " + std::to_string(d) + "d";
      }
      std::fprintf(stderr, "sla: %s; due soon within %dd%s\n", days.empty() ? "no severity has a clock" : days.c_str(),
                   s.due_soon_days, s.kev_due_cap ? "; KEV findings due by CISA's due date at the latest" : "");
    }
  }
  return kExitOk;
}

}  // namespace

void AddPolicy(CLI::App& app, Globals& g, int* exit_code) {
  CLI::App* cmd = app.add_subcommand("policy", "Work with policy files (findex.yml)");
  cmd->require_subcommand(1);
  auto fl = std::make_shared<PolicyCheckFlags>();
  CLI::App* check = cmd->add_subcommand(
      "check", "Validate policy files without a store: errors and warnings as file:line:col (exit 2 on errors)");
  check->add_option("files", fl->files,
                    "Policy files (default: those found in the working directory); *.json files are VEX documents");
  check->add_option("--vex", fl->vex, "VEX document to validate (repeatable; OpenVEX or CycloneDX VEX JSON)");
  check->callback([fl, &g, exit_code] { *exit_code = RunPolicyCheck(*fl, g); });
}

}  // namespace findex::cli
