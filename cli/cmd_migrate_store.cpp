// findex migrate-store: moves a SQLite store (history, triage, runs, gate verdicts) into an
// empty PostgreSQL store (store/migrate_store.h). The per-table counts go to stderr; stdout
// stays empty, or holds one JSON object with --summary json.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "cli/commands.h"
#include "normalize/json_writer.h"
#include "store/migrate_store.h"

namespace findex::cli {
namespace {

struct MigrateFlags {
  std::string from, to;
  std::string summary = "text";
  size_t chunk_kb = 4096;
};

int RunMigrateStore(const MigrateFlags& fl, const Globals& g) {
  SetupLogging(g);
  MigrateOptions o;
  o.from = fl.from;
  o.to = fl.to;
  o.chunk_bytes = fl.chunk_kb << 10;
  auto r = MigrateStore(o);
  if (!r.ok()) {
    spdlog::error("{}", r.error().ToString());
    return kExitError;
  }
  if (fl.summary == "text" && !g.quiet) {
    std::string text = "migrated " + r->from + " into " + r->to + ":\n";
    for (const auto& [table, rows] : r->tables) {
      char line[96];
      std::snprintf(line, sizeof line, "  %-16s %12lld rows\n", table.c_str(), static_cast<long long>(rows));
      text += line;
    }
    if (r->replaced_nul) {
      text += "  " + std::to_string(r->replaced_nul) +
              " text values held U+0000, stored as U+FFFD (PostgreSQL text cannot hold it)\n";
    }
    std::fputs(text.c_str(), stderr);
  }
  if (fl.summary == "json") {
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Field("from", r->from).Field("to", r->to).Key("tables").BeginObject();
    for (const auto& [table, rows] : r->tables) w.FieldInt(table, rows);
    w.EndObject().FieldInt("replaced_nul", r->replaced_nul).EndObject();
    out.push_back('\n');
    std::fputs(out.c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace

void AddMigrateStore(CLI::App& app, Globals& g, int* exit_code) {
  auto fl = std::make_shared<MigrateFlags>();
  CLI::App* cmd = app.add_subcommand("migrate-store", "Copy a SQLite store (runs, findings, history, triage, gate "
                                                       "verdicts) into an empty PostgreSQL store");
  cmd->add_option("--from", fl->from, "The SQLite store file (read only; an older schema is upgraded first)")
      ->required();
  cmd->add_option("--to", fl->to,
                  "The PostgreSQL store: postgresql://USER@HOST:PORT/DB[?schema=NAME]; it must hold no findex data "
                  "(one transaction: all or nothing)")
      ->required();
  cmd->add_option("--summary", fl->summary, "text (default: rows per table on stderr), json (on stdout) or none")
      ->check(CLI::IsMember({"text", "json", "none"}));
  cmd->add_option("--chunk-kb", fl->chunk_kb,
                  "Rows go to the server in COPY statements of about this many KiB each (default 4096): "
                  "memory stays bounded whatever the store's size")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  cmd->footer("Ids are kept and the id sequences continue after them, so that later ingests, gates (new-only) "
              "and triage carry on where the SQLite store left off. Exit 2 when the target already holds "
              "findex data.");
  cmd->callback([fl, &g, exit_code] { *exit_code = RunMigrateStore(*fl, g); });
}

}  // namespace findex::cli
