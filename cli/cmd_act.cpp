// findex act: sends the response actions' deliveries that are pending or failed (the store's
// outbox, recorded at ingest: ingest/respond.h), or with --dry-run prints what it would send
// (secrets as ${VAR}) and sends nothing. Exit 2 when deliveries still fail.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/policy_util.h"
#include "ingest/respond.h"
#include "store/store.h"

namespace findex::cli {
namespace {

struct ActFlags {
  PolicyFlags policy;
  std::vector<std::string> actions, scopes;
  bool dry_run = false;
};

int RunAct(const ActFlags& fl, const Globals& g) {
  SetupLogging(g);
  auto policy = LoadPolicy(fl.policy, g.quiet);
  if (!policy.ok()) {
    spdlog::error("{}", policy.error().ToString());
    return kExitError;
  }
  if (!*policy || (*policy)->actions.empty()) {
    spdlog::error("no response actions: the policy (findex.yml or --policy) has no `actions:`");
    return kExitError;
  }
  for (const auto& name : fl.actions) {
    bool known = false;
    std::vector<std::string> names;
    for (const auto& a : (*policy)->actions) {
      known = known || a.def.name == name;
      names.push_back(a.def.name);
    }
    if (!known) {
      const std::string hint = ClosestName(name, names);
      spdlog::error("--action '{}' is not an action of the policy{}", name, hint.empty() ? "" : " (did you mean " + hint + "?)");
      return kExitError;
    }
  }
  auto store = Store::Open(g.DbPath(), /*read_only=*/fl.dry_run);
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  RespondOptions o;
  o.scopes = fl.scopes;
  o.actions = fl.actions;
  o.dry_run = fl.dry_run;
  o.now = Now();
  o.print = [](const std::string& text) { std::printf("%s\n", text.c_str()); };
  auto r = Respond(**store, **policy, o);
  if (!r.ok()) {
    spdlog::error("{}", r.error().ToString());
    return kExitError;
  }
  for (const auto& e : r->errors) spdlog::error("{}", e);
  if (!fl.dry_run && !g.quiet) {
    std::fprintf(stderr, "%lld delivered, %lld failed, %lld skipped\n", static_cast<long long>(r->delivered),
                 static_cast<long long>(r->failed), static_cast<long long>(r->skipped));
  }
  return r->failed > 0 ? kExitError : kExitOk;
}

}  // namespace

void AddAct(CLI::App& app, Globals& g, int* exit_code) {
  auto fl = std::make_shared<ActFlags>();
  CLI::App* cmd = app.add_subcommand("act", "Send the policy's response actions that are pending or failed");
  fl->policy.Add(cmd);
  cmd->add_option("--action", fl->actions, "Only this action (repeatable)");
  cmd->add_option("--scope", fl->scopes, "Only findings of this scope (repeatable)");
  cmd->add_flag("--dry-run", fl->dry_run, "Print what would be sent (secrets as ${VAR}); send and record nothing");
  cmd->footer("Each (action, finding, event) is sent at most once: ingest records it, act claims it before sending. "
              "Exit 2 when a delivery still fails (it stays recorded as failed; act retries it).");
  cmd->callback([fl, &g, exit_code] { *exit_code = RunAct(*fl, g); });
}

}  // namespace findex::cli
