// findex export: ASFF (a JSON array for BatchImportFindings), flat JSON or CSV on stdout;
// with --batch-dir, ASFF batch files that Security Hub's BatchImportFindings accepts as they are.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <regex>

#include "cli/commands.h"
#include "cli/output.h"
#include "normalize/asff_batch.h"
#include "normalize/asff_writer.h"
#include "normalize/json_writer.h"
#include "store/store.h"

namespace findex::cli {
namespace {

namespace fs = std::filesystem;

struct ExportFlags {
  FilterFlags filter;
  std::vector<std::string> expression;
  std::string format = "asff";
  std::string output;
  std::string batch_dir;
};

// Account, region and partition are deployment settings: the export's flags win.
void ApplyContext(Finding& f, const AsffContext& ctx) {
  f.aws_account_id = ctx.aws_account_id;
  f.region = ctx.region;
  f.product_arn = ctx.ProductArn();
  for (auto& r : f.resources) {
    r.partition = ctx.partition;
    if (r.region.empty()) r.region = ctx.region;
  }
}

// Creates DIR and removes batch files of an earlier export, so that DIR holds exactly this one.
Status PrepareBatchDir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    return MakeError(ErrorCode::kIo, "cannot create directory: " + (ec ? ec.message() : "not a directory"), dir);
  }
  static const std::regex kBatchName(R"(batch-[0-9]{4,}\.json)");
  size_t removed = 0;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && std::regex_match(entry.path().filename().string(), kBatchName)) {
      fs::remove(entry.path(), ec);
      if (ec) return MakeError(ErrorCode::kIo, "cannot remove old batch file: " + ec.message(), entry.path().string());
      ++removed;
    }
  }
  if (ec) return MakeError(ErrorCode::kIo, "cannot list directory: " + ec.message(), dir);
  if (removed) spdlog::debug("removed {} batch files of an earlier export from {}", removed, dir);
  return Status::Ok();
}

Status WriteFile(const std::string& path, const std::string& data) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return MakeError(ErrorCode::kIo, "cannot write file", path);
  bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) return MakeError(ErrorCode::kIo, "write failed", path);
  return Status::Ok();
}

int RunExport(const ExportFlags& e, const Globals& g) {
  SetupLogging(g);
  auto filter = FilterWithExpression(e.filter, e.expression);
  if (!filter.ok()) {
    spdlog::error("{}", filter.error().ToString());
    return kExitError;
  }
  if (!e.batch_dir.empty() && e.format != "asff") {
    spdlog::error("--batch-dir writes ASFF batches; it needs --format asff");
    return kExitError;
  }
  auto store = Store::Open(g.DbPath(), true);
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  std::unique_ptr<AsffBatcher> batcher;
  if (!e.batch_dir.empty()) {
    if (Status st = PrepareBatchDir(e.batch_dir); !st.ok()) {
      spdlog::error("{}", st.error().ToString());
      return kExitError;
    }
    batcher = std::make_unique<AsffBatcher>(
        AsffBatchLimits{},
        [&](size_t number, const std::string& json) {
          char name[32];
          std::snprintf(name, sizeof name, "batch-%04zu.json", number);
          return WriteFile((fs::path(e.batch_dir) / name).string(), json);
        },
        [](const std::string& msg) { spdlog::warn("{}", msg); });
  }
  // With --batch-dir the batches are the output; the single array is written too with -o.
  const bool array_out = !batcher || !e.output.empty();
  std::FILE* out = stdout;
  if (array_out && !e.output.empty() && e.output != "-") {
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
    if (array_out && (force || buf.size() > (1 << 20))) std::fwrite(buf.data(), 1, buf.size(), out);
    if (force || buf.size() > (1 << 20)) buf.clear();
  };
  Status st, batch_st;
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
        ApplyContext(row.finding, ctx);
        if (array_out) WriteAsff(row.finding, w, AsffWriteOptions{true, 2});
        if (batcher) {
          batch_st = batcher->Add(row.finding);
          if (!batch_st.ok()) return false;
        }
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
  if (st.ok()) st = batch_st;
  if (st.ok() && batcher) st = batcher->Finish();
  if (out != stdout) std::fclose(out);
  if (!st.ok()) {
    spdlog::error("{}", st.error().ToString());
    return kExitError;
  }
  if (batcher && !g.quiet) {
    const AsffBatchStats& s = batcher->stats();
    std::string line = "wrote " + std::to_string(s.findings) + " findings in " + std::to_string(s.batches) +
                       " files to " + e.batch_dir;
    if (s.reduced) line += "; " + std::to_string(s.reduced) + " reduced to fit the 240 KB limit";
    if (s.skipped) line += "; " + std::to_string(s.skipped) + " skipped: too large even when reduced";
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  spdlog::debug("exported {} findings", n);
  return kExitOk;
}

}  // namespace

void AddExport(CLI::App& app, Globals& g, int* exit_code) {
  auto e = std::make_shared<ExportFlags>();
  CLI::App* cmd = app.add_subcommand("export", "Export findings: asff (JSON array), json or csv");
  e->filter.Add(cmd);
  AddExpressionOption(cmd, &e->expression);
  cmd->add_option("--format", e->format, "asff (default), json or csv")->check(CLI::IsMember({"asff", "json", "csv"}));
  cmd->add_option("-o,--output", e->output, "Write to this file instead of stdout");
  cmd->add_option("--batch-dir", e->batch_dir,
                  "Write ASFF batches for Security Hub BatchImportFindings to this directory: batch-0001.json, ... "
                  "(at most 100 findings and 6 MB each); nothing on stdout unless -o is given");
  cmd->callback([e, &g, exit_code] { *exit_code = RunExport(*e, g); });
}

}  // namespace findex::cli
