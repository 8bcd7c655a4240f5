// findex formats: the supported report formats, in detection order, with the file names that
// name them when a report's content does not (content-free reports).
#include "cli/commands.h"
#include "cli/output.h"
#include "ingest/registry.h"

namespace findex::cli {

void AddFormats(CLI::App& app, Globals& /*g*/, int* exit_code) {
  CLI::App* cmd = app.add_subcommand("formats", "List the supported report formats");
  cmd->callback([exit_code] {
    TableWriter t({"FORMAT", "SCANNER", "FILE NAMES", "DESCRIPTION"});
    for (const auto& f : Formats()) {
      // File names that name the format when the content does not (an empty report).
      std::string names;
      for (const auto& p : FileNamePatterns()) {
        if (p.format == f.name) names += (names.empty() ? "" : " ") + std::string(p.glob);
      }
      t.Row({std::string(f.name), std::string(f.scanner), names, std::string(f.description)});
    }
    t.Print(stdout, 100);
    *exit_code = kExitOk;
  });
}

}  // namespace findex::cli
