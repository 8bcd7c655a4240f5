// findex gate: exit 1 when an active, unsuppressed finding at or above a label exists.
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "rules/gate.h"
#include "store/store.h"

namespace findex::cli {
namespace {

struct GateFlags {
  std::string scope;
  std::string fail_on;
  bool new_only = false;
  size_t show = 20;
};

int RunGate(const GateFlags& fl, const Globals& g) {
  SetupLogging(g);
  auto label = ParseSeverityLabel(fl.fail_on);
  if (!label) {
    spdlog::error("unknown severity '{}' for --fail-on (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)", fl.fail_on);
    return kExitError;
  }
  auto store = Store::Open(g.DbPath(), true);
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  GateQuery q;
  q.scope = fl.scope;
  q.fail_on = *label;
  q.new_only = fl.new_only;
  q.cap = fl.show;
  auto rows = (*store)->Gate(q);
  if (!rows.ok()) {
    spdlog::error("{}", rows.error().ToString());
    return kExitError;
  }
  GateSpec spec{*label, fl.new_only};
  std::vector<GateHit> hits;
  for (const auto& r : rows->worst) {
    const Finding& f = r.finding;
    GateHit h;
    h.id = f.id;
    h.scanner = f.scanner;
    h.title = f.title;
    h.location = ShortLocation(f);
    h.label = f.severity.label;
    h.workflow = std::string(ToString(f.workflow));
    hits.push_back(std::move(h));
  }
  GateVerdict v = MakeVerdict(spec, std::move(hits), rows->total, rows->by_label, fl.show);
  if (!v.passed || !g.quiet) std::fputs(FormatVerdict(spec, v).c_str(), stderr);
  return v.passed ? kExitOk : kExitGateFailed;
}

}  // namespace

void AddGate(CLI::App& app, Globals& g, int* exit_code) {
  auto fl = std::make_shared<GateFlags>();
  CLI::App* cmd = app.add_subcommand("gate", "Fail (exit 1) when active, unsuppressed findings at or above a severity exist");
  cmd->add_option("--scope", fl->scope, "Only this scope (default: all scopes)");
  cmd->add_option("--fail-on", fl->fail_on, "Severity that fails: LOW, MEDIUM, HIGH or CRITICAL")->required();
  cmd->add_flag("--new-only", fl->new_only, "Only findings first seen in the latest ingest of the scope");
  cmd->add_option("--show", fl->show, "How many violating findings to list (default 20)");
  cmd->callback([fl, &g, exit_code] { *exit_code = RunGate(*fl, g); });
}

}  // namespace findex::cli
