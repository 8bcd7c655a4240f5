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
  FilterFlags filter;
  std::vector<std::string> expression;
  std::vector<std::string> actions;
  bool dry_run = false;
  bool retry_stale = false;
  int64_t stale_after_s = 600;
};

bool UsesFilter(const ActFlags& fl) {
  const FilterFlags& f = fl.filter;
  return !f.severity.empty() || !f.scanners.empty() || !f.states.empty() || !f.title.empty() || !f.resource.empty() ||
         !f.vuln.empty() || !f.package.empty() || !f.id.empty() || f.new_only || !fl.expression.empty();
}

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
      spdlog::error("--action '{}' is not an action of the policy{}", name,
                    hint.empty() ? "" : " (did you mean " + hint + "?)");
      return kExitError;
    }
  }
  if (fl.stale_after_s <= 0) {
    spdlog::error("--stale-after must be a positive number of seconds");
    return kExitError;
  }
  auto filter = FilterWithExpression(fl.filter, fl.expression);
  if (!filter.ok()) {
    spdlog::error("{}", filter.error().ToString());
    return kExitError;
  }
  if (FilterUsesSla(*filter)) {
    if (!(*policy)->sla) {
      spdlog::error("the SLA fields need the policy's sla:, and the policy has none");
      return kExitError;
    }
    filter->sla = *(*policy)->sla;
  }
  auto expr = CompileExpression(filter->expression, filter->now_ms, filter->sla ? &*filter->sla : nullptr);
  if (!expr.ok()) {
    spdlog::error("{}", expr.error().ToString());
    return kExitError;
  }
  auto store = Store::Open(g.DbPath(), /*read_only=*/fl.dry_run);
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  if (Status st = CheckValues(**store, fl.filter, *expr); !st.ok()) {
    spdlog::error("{}", st.error().ToString());
    return kExitError;
  }
  RespondOptions o;
  o.scopes = fl.filter.scopes;
  // Any finding state: a resolved event's finding is ARCHIVED.
  if (UsesFilter(fl)) o.filter = *filter;
  o.retry_stale = fl.retry_stale;
  o.stale_after_ms = fl.stale_after_s * 1000;
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
  if (r->stale > 0) {
    // Claimed and never finished: findex stopped while sending. Whether they went out is unknown,
    // so they are not sent again unless asked (a duplicate message is the lesser harm only then).
    spdlog::error(
        "{} deliver{} claimed for sending (the oldest at {}) never finished: a findex stopped while sending, "
        "so {} may or may not have gone out; `findex act --retry-stale` sends {} again",
        r->stale, r->stale == 1 ? "y was" : "ies were", r->stale_oldest, r->stale == 1 ? "it" : "they",
        r->stale == 1 ? "it" : "them");
  }
  if (!fl.dry_run && !g.quiet) {
    std::fprintf(stderr, "%lld delivered, %lld failed, %lld skipped%s\n", static_cast<long long>(r->delivered),
                 static_cast<long long>(r->failed), static_cast<long long>(r->skipped),
                 r->stale > 0 ? (", " + std::to_string(r->stale) + " stale").c_str() : "");
  }
  return r->failed > 0 || r->stale > 0 ? kExitError : kExitOk;
}

}  // namespace

void AddAct(CLI::App& app, Globals& g, int* exit_code) {
  auto fl = std::make_shared<ActFlags>();
  CLI::App* cmd = app.add_subcommand("act", "Send the policy's response actions that are pending or failed");
  fl->policy.Add(cmd);
  fl->filter.Add(cmd);
  AddExpressionOption(cmd, &fl->expression);
  cmd->add_option("--action", fl->actions, "Only this action (repeatable)");
  cmd->add_flag("--dry-run", fl->dry_run, "Print what would be sent (secrets as ${VAR}); send and record nothing");
  cmd->add_flag("--retry-stale", fl->retry_stale,
                "Also send deliveries claimed more than --stale-after ago and never finished (a findex stopped while "
                "sending: they may have gone out already)");
  cmd->add_option("--stale-after", fl->stale_after_s, "Seconds after which an unfinished claim is stale (default 600)");
  cmd->footer(
      "Each (action, finding, event) is sent at most once: ingest records it, act claims it before sending. "
      "The filters (as for query, any finding state) choose which findings' deliveries are sent. "
      "Exit 2 when a delivery still fails (it stays recorded as failed; act retries it) or a stale claim "
      "is left.\n" +
      ExpressionHelp());
  cmd->callback([fl, &g, exit_code] { *exit_code = RunAct(*fl, g); });
}

}  // namespace findex::cli
