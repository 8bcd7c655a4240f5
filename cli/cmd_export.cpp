// findex export: ASFF (a JSON array for BatchImportFindings), OCSF 1.6.0 events (JSON lines, or
// a JSON array with ocsf-json), flat JSON or CSV on stdout; with --batch-dir, ASFF batch files
// that Security Hub's BatchImportFindings accepts as they are.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <set>

#include <filesystem>
#include <regex>

#include "cli/commands.h"
#include "cli/policy_util.h"
#include "cli/output.h"
#include "normalize/asff_batch.h"
#include "normalize/asff_writer.h"
#include "normalize/ocsf_writer.h"
#include "rules/report.h"
#include "normalize/json_writer.h"
#include "store/store.h"

namespace findex::cli {
namespace {

namespace fs = std::filesystem;

struct ExportFlags {
  FilterFlags filter;
  PolicyFlags policy;  // the SLA's policy (sla fields, --sort sla)
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

// A finding of the store as a report item of a plain export (no gate ran).
ReportItem ExportItem(FindingRow&& row, const std::set<int64_t>& latest_runs) {
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
  return it;
}

// The findings `filter` selects as report items in report order, read from the store one row at
// a time on every pass: open findings, then suppressed ones (the writers' order: most severe
// first inside each, as Store::ForEach returns them). Two queries rather than a sort in memory;
// the caller holds a read snapshot so that every pass sees the same rows. `*rows` counts the
// rows of the last full pass.
ReportItems StoreReportItems(Store& store, const FindingFilter& filter, const std::set<int64_t>& latest_runs,
                             size_t* rows) {
  ReportItems items;
  items.for_each = [&store, filter, &latest_runs, rows](const ReportItemVisitor& visit) -> Status {
    size_t n = 0;
    for (const bool suppressed : {false, true}) {
      FindingFilter part = filter;
      const char* cond = suppressed ? "workflow = SUPPRESSED" : "workflow != SUPPRESSED";
      const bool blank = std::all_of(part.expression.begin(), part.expression.end(),
                                     [](unsigned char c) { return std::isspace(c) != 0; });
      part.expression = blank ? cond : "(" + part.expression + ") and " + cond;
      bool stopped = false;
      Status mismatch;
      Status st = store.ForEach(part, [&](FindingRow&& row) {
        ReportItem it = ExportItem(std::move(row), latest_runs);
        if ((it.status == ItemStatus::kSuppressed) != suppressed) {
          mismatch = MakeError(ErrorCode::kInternal, "finding " + it.finding.id + ": workflow column and row disagree");
          return false;
        }
        ++n;
        if (!visit(it)) stopped = true;
        return !stopped;
      });
      if (!st.ok()) return st;
      if (!mismatch.ok()) return mismatch;
      if (stopped) break;
    }
    *rows = n;
    return Status::Ok();
  };
  // Only the number (SARIF past --sarif-max-results): counted from the index, no document read.
  items.count = [&store, filter]() -> Result<uint64_t> {
    auto groups = store.GroupBy(filter, "severity");
    if (!groups.ok()) return groups.error();
    uint64_t n = 0;
    for (const auto& gc : *groups) n += gc.count;
    return n;
  };
  return items;
}

int RunExport(const ExportFlags& e, const Globals& g) {
  SetupLogging(g);
  auto filter = FilterWithExpression(e.filter, e.expression);
  if (!filter.ok()) {
    spdlog::error("{}", filter.error().ToString());
    return kExitError;
  }
  if (Status st = AttachSla(&*filter, e.policy, "", g.quiet); !st.ok()) {
    spdlog::error("{}", st.error().ToString());
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
    // The report writers show what is open: fixed (ARCHIVED) findings are left out unless
    // --state asks for them, or GitHub would reopen alerts for fixed code.
    FindingFilter report_filter = *filter;
    if (e.filter.states.empty()) report_filter.states = {"ACTIVE"};
    GateReport head;  // no items: the writers read them from the store, a pass at a time
    head.tool_version = "0.1.0";
    head.generated_at = Now();
    head.scope = e.filter.scopes.size() == 1 ? e.filter.scopes.front() : "";
    // One read snapshot: every pass of a writer (counts, rules, then the rows) sees the same rows.
    st = (*store)->BeginSnapshot();
    std::set<int64_t> latest_runs;
    if (st.ok()) {
      // "New" as the gate means it without a baseline: first seen in the latest ingest.
      auto latest = (*store)->LatestBatchRuns(head.scope);
      if (latest.ok()) latest_runs.insert(latest->begin(), latest->end());
      else st = latest.error();
    }
    if (st.ok()) {
      ReportItems items = StoreReportItems(**store, report_filter, latest_runs, &n);
      // A failed write (disk full) stops the export instead of reading the rest of the store.
      ReportSink sink = [&](std::string_view piece) -> Status {
        if (std::fwrite(piece.data(), 1, piece.size(), out) == piece.size()) return Status::Ok();
        return MakeError(ErrorCode::kIo, std::string("cannot write the export: ") + std::strerror(errno),
                         e.output.empty() ? "stdout" : e.output);
      };
      if (e.format == "junit") st = StreamJUnitReport(head, items, sink);
      else if (e.format == "markdown") st = StreamMarkdownReport(head, items, sink);
      else if (e.format == "codeinsights") st = StreamCodeInsightsReport(head, items, sink);
      else {
        uint64_t truncated = 0, total = 0;
        st = StreamSarifReport(head, items, e.sarif_max, sink, &truncated, &total);
        if (st.ok() && truncated > 0) {
          spdlog::warn("SARIF export truncated: {} of {} results left out (GitHub code scanning accepts {} per run)",
                       truncated, total, e.sarif_max);
        }
      }
      Status end = (*store)->EndSnapshot();
      if (st.ok()) st = end;
    }
  } else if (e.format == "ocsf" || e.format == "ocsf-json") {
    // One event per finding, streamed: JSON lines (ocsf) or a JSON array, one event a line.
    // The account, region and partition of the export's flags win, as for ASFF; without an
    // account (the placeholder) the events carry no cloud object.
    const bool lines = e.format == "ocsf";
    const bool real_account = ctx.aws_account_id != AsffContext{}.aws_account_id;
    OcsfWriteOptions opts;
    opts.partition = ctx.partition;
    if (!lines) buf += "[";
    std::string event;
    st = (*store)->ForEach(*filter, [&](FindingRow&& row) {
      if (real_account) ApplyContext(row.finding, ctx);
      OcsfHistory h{row.first_seen_run, row.last_seen_run, row.active_since_run, std::move(row.sources)};
      event.clear();
      JsonWriter ew(&event);
      WriteOcsf(row.finding, h, opts, ew);
      if (!lines) buf += n == 0 ? "\n" : ",\n";
      buf += event;
      if (lines) buf += "\n";
      ++n;
      flush(false);
      return true;
    });
    if (!lines) buf += n == 0 ? "]\n" : "\n]\n";
    flush(true);
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
  CLI::App* cmd = app.add_subcommand("export", "Export findings: asff (JSON array or --batch-dir), ocsf (JSON lines), ocsf-json, json, csv, sarif, junit, markdown, codeinsights");
  e->filter.Add(cmd);
  e->policy.Add(cmd, "Read no policy (the SLA fields then have none: an error)");
  AddExpressionOption(cmd, &e->expression);
  cmd->add_option("--format", e->format,
                  "asff (default), ocsf (OCSF 1.6.0 events, JSON lines), ocsf-json (the same as a JSON array), json, csv,"
                  " sarif (GitHub code scanning), junit (CodeBuild, Jenkins), markdown or codeinsights (Bitbucket)")
      ->check(CLI::IsMember({"asff", "ocsf", "ocsf-json", "json", "csv", "sarif", "junit", "markdown", "codeinsights"}));
  cmd->add_option("--sarif-max-results", e->sarif_max, "Most results in a SARIF export (default 25000, GitHub's limit)");
  cmd->add_option("-o,--output", e->output, "Write to this file instead of stdout");
  cmd->add_option("--batch-dir", e->batch_dir,
                  "Write ASFF batches for Security Hub BatchImportFindings to this directory: batch-0001.json, ... "
                  "(at most 100 findings and 6 MB each); nothing on stdout unless -o is given");
  cmd->callback([e, &g, exit_code] { *exit_code = RunExport(*e, g); });
}

}  // namespace findex::cli
