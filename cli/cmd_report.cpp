// findex report: one self-contained HTML page (charts, SLA ageing, KEV/EPSS tops, a findings
// table) from the store. Flags only: store/report_data.h gathers, rules/html_report.h writes.
#include <spdlog/spdlog.h>

#include <charconv>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/policy_util.h"
#include "normalize/text.h"
#include "rules/html_report.h"
#include "store/report_data.h"
#include "store/store.h"

namespace findex::cli {
namespace {

struct ReportFlags {
  FilterFlags filter;
  std::vector<std::string> expression;
  PolicyFlags policy;
  std::string output;
  size_t max_findings = 2000;
  size_t max_history = 20;
  size_t top = 10;
  std::string sla;
};

// --sla CRITICAL=7,HIGH=30,MEDIUM=90,LOW=180[,INFORMATIONAL=N][,due_soon=7][,kev=due_date]
Result<SlaPolicy> ParseSlaFlag(const std::string& text, SlaPolicy sla) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = Trim(text.substr(start, end - start));
    start = end + 1;
    if (item.empty()) {
      if (end == text.size()) break;
      continue;
    }
    const size_t eq = item.find('=');
    const std::string key = eq == std::string::npos ? item : Trim(item.substr(0, eq));
    const std::string value = eq == std::string::npos ? "" : Trim(item.substr(eq + 1));
    auto bad = [&](const std::string& why) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--sla '" + item + "': " + why + " (e.g. --sla CRITICAL=7,HIGH=30,MEDIUM=90,LOW=180,kev=due_date)");
    };
    if (ToLower(key) == "kev") {
      if (ToLower(value) != "due_date") return bad("kev takes due_date");
      sla.kev_due_cap = true;
      continue;
    }
    int n = -1;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || p != value.data() + value.size() || n < 0) return bad("days must be a whole number >= 0");
    if (ToLower(key) == "due_soon") {
      sla.due_soon_days = n;
      continue;
    }
    auto label = ParseSeverityLabel(key);
    if (!label) return bad("unknown severity '" + key + "'");
    sla.days[static_cast<size_t>(*label)] = n;
  }
  return sla;
}

// The filter as given, for the page.
std::string FilterText(const ReportFlags& r) {
  std::string s;
  auto add = [&](const std::string& flag, const std::string& v) {
    if (!v.empty()) s += (s.empty() ? "" : " ") + flag + " " + v;
  };
  add("--severity", r.filter.severity);
  for (const auto& x : r.filter.scanners) add("--scanner", x);
  for (const auto& x : r.filter.scopes) add("--scope", x);
  for (const auto& x : r.filter.states) add("--state", x);
  add("--title", r.filter.title);
  add("--resource", r.filter.resource);
  add("--vuln", r.filter.vuln);
  add("--package", r.filter.package);
  add("--id", r.filter.id);
  if (r.filter.new_only) s += (s.empty() ? "" : " ") + std::string("--new");
  std::string expr;
  for (const auto& w : r.expression) expr += (expr.empty() ? "" : " ") + w;
  if (!expr.empty()) s += (s.empty() ? "" : " ") + expr;
  return s;
}

int RunReport(const ReportFlags& r, const Globals& g) {
  SetupLogging(g);
  auto filter = FilterWithExpression(r.filter, r.expression);
  if (!filter.ok()) {
    spdlog::error("{}", filter.error().ToString());
    return kExitError;
  }
  if (r.filter.limit >= 0) {
    spdlog::error("--limit does not apply to a report; --max-findings caps its table");
    return kExitError;
  }
  // The page must not be written over the store (`-o findex.db`).
  if (Status st = CheckOutputPath(r.output, g.DbPath()); !st.ok()) {
    spdlog::error("{}", st.error().ToString());
    return kExitError;
  }
  auto policy = LoadPolicy(r.policy, g.quiet);
  if (!policy.ok()) {
    spdlog::error("{}", policy.error().ToString());
    return kExitError;
  }
  ReportOptions o;
  o.filter = *filter;
  o.filter_text = FilterText(r);
  o.now = Now();
  o.now_ms = ToUnixMs(o.now);
  o.max_findings = r.max_findings;
  o.max_history = r.max_history;
  o.top_n = r.top;
  if (*policy) o.sla = (*policy)->sla.value_or(SlaPolicy{});
  if (!r.sla.empty()) {
    auto sla = ParseSlaFlag(r.sla, o.sla);
    if (!sla.ok()) {
      spdlog::error("{}", sla.error().ToString());
      return kExitError;
    }
    o.sla = *sla;
  }
  auto store = Store::Open(g.DbPath(), true);
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  auto data = GatherReportData(**store, o);
  if (!data.ok()) {
    spdlog::error("{}", data.error().ToString());
    return kExitError;
  }
  data->version = "0.1.0";
  data->store = g.DbShown();  // the path or server URI as given, its password hidden
  const std::string page = WriteHtmlReport(*data);
  // Browsers and CI artifact viewers slow down on pages of tens of MB: the table's rows are
  // what grows (the summaries stay small).
  if (page.size() > 20u * 1024 * 1024) {
    spdlog::warn("the report is {} MB: {} table rows; --max-findings lower keeps it light", page.size() >> 20,
                 data->rows.size());
  }
  Status st = r.output == "-" ? Status::Ok() : WriteFileAtomic(r.output, page);
  if (r.output == "-" && std::fwrite(page.data(), 1, page.size(), stdout) != page.size()) {
    st = MakeError(ErrorCode::kIo, "cannot write the report", "stdout");
  }
  if (!st.ok()) {
    spdlog::error("{}", st.error().ToString());
    return kExitError;
  }
  if (!g.quiet && r.output != "-") {
    uint64_t active = 0;
    for (uint64_t n : data->active) active += n;
    std::fprintf(stderr, "wrote %s: %llu active of %llu findings selected, %zu table rows%s (%zu KB)\n", r.output.c_str(),
                 static_cast<unsigned long long>(active), static_cast<unsigned long long>(data->selected),
                 data->rows.size(), data->rows.size() < data->rows_total ? " (capped by --max-findings)" : "",
                 page.size() / 1024);
  }
  return kExitOk;
}

}  // namespace

void AddReport(CLI::App& app, Globals& g, int* exit_code) {
  auto r = std::make_shared<ReportFlags>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Write a self-contained HTML report: counts, trend, time to fix, SLA ageing, KEV/EPSS tops, findings");
  r->filter.Add(cmd);
  AddExpressionOption(cmd, &r->expression);
  r->policy.Add(cmd, "Read no policy file (no SLA unless --sla), even if findex.yml exists here");
  cmd->add_option("-o,--output", r->output, "The HTML file to write ('-': stdout)")->required();
  cmd->add_option("--max-findings", r->max_findings,
                  "Rows of the findings table: the most severe / riskiest first (default 2000); counts and charts "
                  "always cover every selected finding");
  cmd->add_option("--max-history", r->max_history, "History entries shown per finding: the latest (default 20)");
  cmd->add_option("--top", r->top, "Entries of each top list (default 10)");
  cmd->add_option("--sla", r->sla,
                  "SLA days per severity, e.g. CRITICAL=7,HIGH=30,MEDIUM=90,LOW=180[,due_soon=7][,kev=due_date]; "
                  "overrides the policy's `sla:` key");
  cmd->callback([r, &g, exit_code] { *exit_code = RunReport(*r, g); });
}

}  // namespace findex::cli
