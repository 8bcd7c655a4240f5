// findex: security findings -> ASFF -> deduplicated SQLite store -> gate, query, export.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/output.h"
#include "normalize/timestamp.h"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  using namespace findex::cli;
  // Named "findex" (not argv[0]): help, usage lines and the man page read the same everywhere.
  CLI::App app{"findex: aggregate and normalize security findings (ASFF), gate CI builds, query and export", "findex"};
  app.require_subcommand(1);
  // Set before the subcommands are added, which inherit it (nested ones too, e.g. policy check):
  // an option a subcommand does not know goes to its parent, so the global options below are
  // accepted after the subcommand as well (`findex ingest --db x.db r.json`).
  app.fallthrough();
  app.set_version_flag("--version", "findex 0.1.0");
  app.footer("Global options go before or after the command. `findex help COMMAND` shows a command's help, "
             "`findex help --man` the man page.");
  Globals g;
  app.add_option("--db", g.db, "Store path (default: $FINDEX_DB, else ./findex.db)");
  app.add_option("--account-id", g.account, "AWS account id for ASFF, 12 digits (default: $FINDEX_ACCOUNT_ID, else 000000000000)");
  app.add_option("--region", g.region, "AWS region for ASFF (default: $FINDEX_REGION, $AWS_REGION, else us-east-1)");
  app.add_option("--partition", g.partition, "AWS partition for ASFF (default: $FINDEX_PARTITION, else aws)");
  app.add_flag("-v,--verbose", g.verbose, "Debug logging on stderr");
  app.add_flag("-q,--quiet", g.quiet, "Only errors on stderr; no text summary");
  app.add_option_function<double>("--wait", [](double s) { findex::Store::SetLockWait(s); },
                                  "Writers wait at most SECONDS for another findex holding the store (default: as long as needed)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag_callback("--no-color", [] { DisableColor(); }, "No colour on terminals (also: $NO_COLOR)");
  int exit_code = kExitOk;
  // A clock that cannot be read would silently disable every expiry.
  if (const char* now = std::getenv("FINDEX_NOW"); now && *now) {
    findex::Rfc3339Time t;
    if (!findex::ParseRfc3339(now, &t)) {
      std::fprintf(stderr, "findex: error: FINDEX_NOW='%s' is not an RFC 3339 time (e.g. 2026-11-22T10:00:00Z)\n", now);
      return kExitError;
    }
  }
  AddIngest(app, g, &exit_code);
  AddQuery(app, g, &exit_code);
  AddExport(app, g, &exit_code);
  AddGate(app, g, &exit_code);
  AddFormats(app, g, &exit_code);
  AddTriage(app, g, &exit_code);
  AddPolicy(app, g, &exit_code);
  AddSql(app, g, &exit_code);
  AddMigrateStore(app, g, &exit_code);
  AddEnrich(app, g, &exit_code);
  AddAct(app, g, &exit_code);
  AddReport(app, g, &exit_code);
  AddHelp(app, g, &exit_code);
  // After parsing, before any command runs: settings every command relies on.
  app.parse_complete_callback([&g] {
    if (findex::Status st = g.Validate(); !st.ok()) {
      std::fprintf(stderr, "findex: error: %s\n", st.error().message.c_str());
      throw CLI::RuntimeError(kExitError);
    }
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // --help and --version are successes; every usage error is exit 2.
    return rc == 0 ? kExitOk : kExitError;
  }
  return exit_code;
}
