// findex export: ASFF (a JSON array for BatchImportFindings), flat JSON or CSV on stdout.
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "normalize/asff_writer.h"
#include "normalize/json_writer.h"
#include "store/store.h"

namespace findex::cli {
namespace {

struct ExportFlags {
  FilterFlags filter;
  std::string format = "asff";
  std::string output;
};

int RunExport(const ExportFlags& e, const Globals& g) {
  SetupLogging(g);
  auto filter = e.filter.ToFilter();
  if (!filter.ok()) {
    spdlog::error("{}", filter.error().ToString());
    return kExitError;
  }
  auto store = Store::Open(g.DbPath(), true);
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  std::FILE* out = stdout;
  if (!e.output.empty() && e.output != "-") {
    out = std::fopen(e.output.c_str(), "wb");
    if (!out) {
      spdlog::error("cannot write {}", e.output);
      return kExitError;
    }
  }
  const AsffContext ctx = g.Context();
  std::string buf;
  JsonWriter w(&buf, 2);
  auto flush = [&](bool force) {
    if (force || buf.size() > (1 << 20)) {
      std::fwrite(buf.data(), 1, buf.size(), out);
      buf.clear();
    }
  };
  Status st;
  size_t n = 0;
  if (e.format == "csv") {
    PrintCsvRow(out, FlatHeader());
    st = (*store)->ForEach(*filter, [&](FindingRow&& row) {
      PrintCsvRow(out, FlatRow(row));
      ++n;
      return true;
    });
  } else {
    w.BeginArray();
    st = (*store)->ForEach(*filter, [&](FindingRow&& row) {
      if (e.format == "asff") {
        Finding& f = row.finding;
        // Account, region and partition are deployment settings: the export's flags win.
        f.aws_account_id = ctx.aws_account_id;
        f.region = ctx.region;
        f.product_arn = ctx.ProductArn();
        for (auto& r : f.resources) {
          r.partition = ctx.partition;
          if (r.region.empty()) r.region = ctx.region;
        }
        WriteAsff(f, w, AsffWriteOptions{true, 2});
      } else {
        WriteFlatJson(w, row);
      }
      ++n;
      flush(false);
      return true;
    });
    w.EndArray();
    buf += "\n";
    flush(true);
  }
  if (out != stdout) std::fclose(out);
  if (!st.ok()) {
    spdlog::error("{}", st.error().ToString());
    return kExitError;
  }
  spdlog::debug("exported {} findings", n);
  return kExitOk;
}

}  // namespace

void AddExport(CLI::App& app, Globals& g, int* exit_code) {
  auto e = std::make_shared<ExportFlags>();
  CLI::App* cmd = app.add_subcommand("export", "Export findings: asff (JSON array), json or csv");
  e->filter.Add(cmd);
  cmd->add_option("--format", e->format, "asff (default), json or csv")->check(CLI::IsMember({"asff", "json", "csv"}));
  cmd->add_option("-o,--output", e->output, "Write to this file instead of stdout");
  cmd->callback([e, &g, exit_code] { *exit_code = RunExport(*e, g); });
}

}  // namespace findex::cli
