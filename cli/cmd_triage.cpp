// findex triage / note / history: decisions by people, kept with who and when, surviving re-scans.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "cli/commands.h"
#include "ingest/respond.h"
#include "cli/policy_util.h"
#include "cli/output.h"
#include "normalize/json_writer.h"
#include "normalize/text.h"
#include "store/store.h"

namespace findex::cli {
namespace {

// Who is acting: --by, else $FINDEX_USER, else $USER.
std::string Actor(const std::string& by) {
  if (!by.empty()) return by;
  for (const char* var : {"FINDEX_USER", "USER", "LOGNAME"}) {
    const char* v = std::getenv(var);
    if (v && *v) return v;
  }
  return "";
}

struct TriageFlags {
  std::vector<std::string> ids;
  std::string status, note, by;
  PolicyFlags policy;     // response actions on the decision (the policy's actions:)
  bool no_actions = false;
};

int RunTriage(const TriageFlags& fl, const Globals& g, bool note_only) {
  SetupLogging(g);
  TriageChange change;
  if (!note_only) {
    change.status = ParseWorkflowStatus(fl.status);
    if (!change.status) {
      spdlog::error("unknown --status '{}' (NEW, NOTIFIED, RESOLVED, SUPPRESSED)", fl.status);
      return kExitError;
    }
    if (*change.status == WorkflowStatus::kSuppressed && fl.note.empty()) {
      spdlog::error("suppressing needs a --note saying why (it is kept in the finding's history)");
      return kExitError;
    }
  }
  change.note = fl.note;
  if (note_only && Trim(fl.note).empty()) {
    spdlog::error("the note is empty");
    return kExitError;
  }
  change.by = Actor(fl.by);
  if (change.by.empty()) {
    spdlog::error("who is this? give --by NAME (or set $FINDEX_USER)");
    return kExitError;
  }
  change.now = Now();
  auto store = Store::Open(g.DbPath());
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  // Resolve every id first: a typo in the third id must not leave the first two changed.
  std::vector<int64_t> rows;
  for (const auto& id : fl.ids) {
    auto r = (*store)->Resolve(id);
    if (!r.ok()) {
      spdlog::error("{}", r.error().ToString());
      return kExitError;
    }
    rows.push_back(*r);
  }
  // The same finding named twice (by Id and by fingerprint) changes once.
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  // Response actions: a person's SUPPRESSED or RESOLVED is an event for the actions that matched
  // the finding at its latest ingest (findings.actions) and are on it.
  std::shared_ptr<const Policy> policy;
  if (!note_only) {
    auto p = LoadPolicy(fl.policy, true);
    if (!p.ok()) {
      spdlog::error("{}", p.error().ToString());
      return kExitError;
    }
    policy = *p;
    if (policy && !policy->actions.empty()) (*store)->SetActionEvents(ActionEventBits(*policy));
  }
  if (Status s = (*store)->Triage(rows, change); !s.ok()) {
    spdlog::error("{}", s.error().ToString());
    return kExitError;
  }
  if (policy && !policy->actions.empty() && !fl.no_actions) {
    std::vector<std::string> scopes;
    Status s = (*store)->ForEachRowId(rows, [&](FindingRow&& r) {
      scopes.push_back(r.finding.scope);
      return true;
    });
    std::sort(scopes.begin(), scopes.end());
    scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
    RespondOptions ro;
    ro.scopes = scopes;
    ro.now = change.now;
    auto r = s.ok() ? Respond(**store, *policy, ro) : Result<RespondResult>(s.error());
    if (!r.ok()) spdlog::warn("response actions not delivered: {} (pending: findex act)", r.error().ToString());
    else
      for (const auto& e : r->errors) spdlog::warn("{} (pending: findex act retries it)", e);
  }
  if (!g.quiet) {
    std::fprintf(stderr, "%s %zu finding%s\n", note_only ? "noted" : ("set " + fl.status + " on").c_str(), rows.size(),
                 rows.size() == 1 ? "" : "s");
  }
  return kExitOk;
}

struct HistoryFlags {
  std::string id;
  std::string format = "table";
};

int RunHistory(const HistoryFlags& fl, const Globals& g) {
  SetupLogging(g);
  auto store = Store::Open(g.DbPath(), true);
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  auto row = (*store)->Resolve(fl.id);
  if (!row.ok()) {
    spdlog::error("{}", row.error().ToString());
    return kExitError;
  }
  auto h = (*store)->History(*row);
  if (!h.ok()) {
    spdlog::error("{}", h.error().ToString());
    return kExitError;
  }
  if (fl.format == "json") {
    std::string out;
    JsonWriter w(&out, 2);
    w.BeginArray();
    for (const auto& e : *h) {
      w.BeginObject().Field("at", e.at).Field("actor", e.actor).Field("action", e.action);
      if (!e.field.empty()) w.Field("field", e.field);
      if (!e.old_value.empty()) w.Field("old", e.old_value);
      if (!e.new_value.empty()) w.Field("new", e.new_value);
      if (!e.note.empty()) w.Field("note", e.note);
      w.EndObject();
    }
    w.EndArray();
    std::fprintf(stdout, "%s\n", out.c_str());
    return kExitOk;
  }
  TableWriter t({"AT", "ACTOR", "ACTION", "CHANGE", "NOTE"});
  for (const auto& e : *h) {
    std::string change;
    if (!e.field.empty()) change = e.field + ": " + (e.old_value.empty() ? "-" : e.old_value) + " -> " + e.new_value;
    t.Row({e.at, e.actor, e.action, change, e.note});
  }
  t.Print(stdout, 100);
  return kExitOk;
}

}  // namespace

void AddTriage(CLI::App& app, Globals& g, int* exit_code) {
  auto fl = std::make_shared<TriageFlags>();
  CLI::App* cmd = app.add_subcommand(
      "triage", "Set the workflow status of findings (kept across re-scans; recorded in their history)");
  cmd->add_option("ids", fl->ids, "Finding Ids (ASFF Id, fingerprint prefix of 8+ hex digits, or row id)")->required();
  cmd->add_option("--status", fl->status, "NEW, NOTIFIED, RESOLVED or SUPPRESSED")->required();
  cmd->add_option("--note", fl->note, "Why (required for SUPPRESSED)");
  cmd->add_option("--by", fl->by, "Who decides (default: $FINDEX_USER, else $USER)");
  AddWaitOption(cmd);
  fl->policy.Add(cmd, "Read no policy file: no response action on this decision");
  cmd->add_flag("--no-actions", fl->no_actions, "Record the response actions' deliveries, send none (findex act sends them)");
  cmd->callback([fl, &g, exit_code] { *exit_code = RunTriage(*fl, g, false); });

  auto nf = std::make_shared<TriageFlags>();
  auto note_id = std::make_shared<std::string>();
  CLI::App* note = app.add_subcommand("note", "Set the note of a finding (recorded in its history)");
  note->add_option("id", *note_id, "Finding Id (ASFF Id, fingerprint prefix or row id)")->required();
  note->add_option("text", nf->note, "The note")->required();
  note->add_option("--by", nf->by, "Who writes it (default: $FINDEX_USER, else $USER)");
  AddWaitOption(note);
  note->callback([nf, note_id, &g, exit_code] {
    nf->ids = {*note_id};
    *exit_code = RunTriage(*nf, g, true);
  });

  auto hf = std::make_shared<HistoryFlags>();
  CLI::App* hist = app.add_subcommand("history", "Show what happened to a finding: first sight, scans, policy, people");
  hist->add_option("id", hf->id, "Finding Id (ASFF Id, fingerprint prefix or row id)")->required();
  hist->add_option("--format", hf->format, "table (default) or json")->check(CLI::IsMember({"table", "json"}));
  hist->callback([hf, &g, exit_code] { *exit_code = RunHistory(*hf, g); });
}

}  // namespace findex::cli
