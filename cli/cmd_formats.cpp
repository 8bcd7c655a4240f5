// findex formats: the supported report formats, in detection order.
#include "cli/commands.h"
#include "cli/output.h"
#include "ingest/registry.h"

namespace findex::cli {

void AddFormats(CLI::App& app, Globals& /*g*/, int* exit_code) {
  CLI::App* cmd = app.add_subcommand("formats", "List the supported report formats");
  cmd->callback([exit_code] {
    TableWriter t({"FORMAT", "SCANNER", "DESCRIPTION"});
    for (const auto& f : Formats()) t.Row({std::string(f.name), std::string(f.scanner), std::string(f.description)});
    t.Print(stdout, 100);
    *exit_code = kExitOk;
  });
}

}  // namespace findex::cli
