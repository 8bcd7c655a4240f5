// findex export: ASFF (a JSON array for BatchImportFindings), flat JSON or CSV on stdout;
// with --batch-dir, ASFF batch files that Security Hub's BatchImportFindings accepts as they are.
#include <spdlog/spdlog.h>

#include <set>

#include <filesystem>
#include <regex>

#include "cli/commands.h"
#include "cli/output.h"
#include "normalize/asff_batch.h"
#include "normalize/asff_writer.h"
#include "rules/report.h"
#include "normalize/json_writer.h"
#include "store/store.h"

namespace findex::cli {
namespace {

namespace fs = std::filesystem;

struct ExportFlags {
  FilterFlags filter;
  std::vector<std::string> expression;
  std::string format = "asff";
  size_t sarif_max = 25000;
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
    // Regular files only: a symlink named like a batch file stays, and creating that batch
    // file then fails (O_EXCL | O_NOFOLLOW) instead of writing through it.
    std::error_code sec;
    if (fs::is_regular_file(entry.symlink_status(sec)) && std::regex_match(entry.path().filename().string(), kBatchName)) {
      fs::remove(entry.path(), ec);
      if (ec) return MakeError(ErrorCode::kIo, "cannot remove old batch file: " + ec.message(), entry.path().string());
      ++removed;
    }
  }
  if (ec) return MakeError(ErrorCode::kIo, "cannot list directory: " + ec.message(), dir);
  if (removed) spdlog::debug("removed {} batch files of an earlier export from {}", removed, dir);
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
  // No output may be the store: `-o findex.db` would overwrite it.
  for (Status st : {CheckOutputPath(e.output, g.DbPath()), CheckBatchDir(e.batch_dir, g.DbPath())}) {
    if (!st.ok()) {
      spdlog::error("{}", st.error().ToString());
      return kExitError;
    }
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
          return WriteNewFile((fs::path(e.batch_dir) / name).string(), json);
        },
        [](const std::string& msg) { spdlog::warn("{}", msg); });
  }
  // With --batch-dir the batches are the output; the single array is written too with -o.
  const bool array_out = !batcher || !e.output.empty();
  // A file output is written next to its target and renamed into place when the export
  // succeeds: a failed export leaves the earlier file as it was.
  std::FILE* out = stdout;
  std::unique_ptr<AtomicFile> out_file;
  if (array_out && !e.output.empty() && e.output != "-") {
    auto created = AtomicFile::Create(e.output);
    if (!created.ok()) {
      spdlog::error("{}", created.error().ToString());
      return kExitError;
    }
    out_file = std::move(*created);
    out = out_file->file();
  }
  const AsffContext ctx = g.Context();
  if (e.format == "asff" && ctx.aws_account_id == AsffContext{}.aws_account_id) spdlog::warn("ASFF written with the placeholder account {}: Security Hub rejects it; pass --account-id or set $FINDEX_ACCOUNT_ID", ctx.aws_account_id);
  std::string buf;
  JsonWriter w(&buf, 2);
  auto flush = [&](bool force) {
    if (array_out && (force || buf.size() > (1 << 20))) std::fwrite(buf.data(), 1, buf.size(), out);
    if (force || buf.size() > (1 << 20)) buf.clear();
  };
  Status st, batch_st;
  size_t n = 0;
  if (e.format == "sarif" || e.format == "junit" || e.format == "markdown" || e.format == "codeinsights") {
    // The report writers take every finding at once (rules, counts, ordering). They show what is
    // open: fixed (ARCHIVED) findings are left out unless --state asks for them, or GitHub
    // would reopen alerts for fixed code.
    FindingFilter report_filter = *filter;
    if (e.filter.states.empty()) report_filter.states = {"ACTIVE"};
    GateReport report;
    report.tool_version = "0.1.0";
    report.generated_at = Now();
    report.scope = e.filter.scopes.size() == 1 ? e.filter.scopes.front() : "";
    // "New" as the gate means it without a baseline: first seen in the latest ingest.
    auto latest = (*store)->LatestBatchRuns(report.scope);
    if (!latest.ok()) {
      spdlog::error("{}", latest.error().ToString());
      return kExitError;
    }
    const std::set<int64_t> latest_runs(latest->begin(), latest->end());
    st = (*store)->ForEach(report_filter, [&](FindingRow&& row) {
      ReportItem it;
      it.is_new = latest_runs.count(row.first_seen_run) > 0;
      it.status = row.finding.workflow == WorkflowStatus::kSuppressed ? ItemStatus::kSuppressed : ItemStatus::kOpen;
      if (it.status == ItemStatus::kSuppressed && row.finding.note) it.suppression_reason = row.finding.note->text;
      for (size_t start = 0; start < row.policy.size();) {
        size_t end = row.policy.find(';', start);
        if (end == std::string::npos) end = row.policy.size();
        it.policy.push_back(row.policy.substr(start, end - start));
        start = end + 1;
      }
      it.finding = std::move(row.finding);
      report.items.push_back(std::move(it));
      ++n;
      return true;
    });
    if (st.ok()) {
      std::string doc;
      if (e.format == "junit") doc = WriteJUnitReport(report);
      else if (e.format == "markdown") doc = WriteMarkdownReport(report);
      else if (e.format == "codeinsights") doc = WriteCodeInsightsReport(report);
      else {
        uint64_t truncated = 0;
        doc = WriteSarifReport(report, e.sarif_max, &truncated);
        if (truncated > 0) {
          spdlog::warn("SARIF export truncated: {} of {} results left out (GitHub code scanning accepts {} per run)",
                       truncated, report.items.size(), e.sarif_max);
        }
      }
      std::fwrite(doc.data(), 1, doc.size(), out);
    }
  } else if (e.format == "csv") {
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
  if (st.ok() && out_file) st = out_file->Commit();
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
  CLI::App* cmd = app.add_subcommand("export", "Export findings: asff (JSON array or --batch-dir), json, csv, sarif, junit, markdown, codeinsights");
  e->filter.Add(cmd);
  AddExpressionOption(cmd, &e->expression);
  cmd->add_option("--format", e->format,
                  "asff (default), json, csv, sarif (GitHub code scanning), junit (CodeBuild, Jenkins), markdown or"
                  " codeinsights (Bitbucket)")
      ->check(CLI::IsMember({"asff", "json", "csv", "sarif", "junit", "markdown", "codeinsights"}));
  cmd->add_option("--sarif-max-results", e->sarif_max, "Most results in a SARIF export (default 25000, GitHub's limit)");
  cmd->add_option("-o,--output", e->output, "Write to this file instead of stdout");
  cmd->add_option("--batch-dir", e->batch_dir,
                  "Write ASFF batches for Security Hub BatchImportFindings to this directory: batch-0001.json, ... "
                  "(at most 100 findings and 6 MB each); nothing on stdout unless -o is given");
  cmd->callback([e, &g, exit_code] { *exit_code = RunExport(*e, g); });
}

}  // namespace findex::cli
