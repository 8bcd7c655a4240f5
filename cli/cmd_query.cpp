// findex query: filters (flags and/or a filter-language expression), group-by counts; table,
// JSON or CSV on stdout.
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "normalize/json_writer.h"
#include "store/store.h"

namespace findex::cli {

Result<FindingFilter> FilterWithExpression(const FilterFlags& flags, const std::vector<std::string>& words) {
  auto filter = flags.ToFilter();
  if (!filter.ok()) return filter;
  for (const auto& w : words) filter->expression += (filter->expression.empty() ? "" : " ") + w;
  // Checked before any output, so that a typo is one clean error line and exit 2.
  auto compiled = CompileExpression(filter->expression);
  if (!compiled.ok()) return compiled.error();
  return filter;
}

void AddExpressionOption(CLI::App* cmd, std::vector<std::string>* words) {
  // Repeatable flags must take one value each, or `--scanner zap 'severity>=HIGH'` would read
  // the expression as a second scanner.
  for (const char* name : {"--scanner", "--scope", "--state"}) {
    if (CLI::Option* opt = cmd->get_option_no_throw(name)) opt->allow_extra_args(false);
  }
  cmd->add_option("expression", *words,
                  "Filter expression, e.g. 'severity>=HIGH and scanner=zap and path~\"src/**\"' (ANDed with the flags)");
  cmd->footer(ExpressionHelp());
}

std::string ExpressionHelp() {
  std::string fields;
  for (const auto& f : ExpressionFields()) fields += (fields.empty() ? "" : ", ") + f;
  return "Expression: comparisons FIELD OP VALUE joined by and/or/not (also && || !) and parentheses.\n"
         "  OP: = != < <= > >= ~ (glob) !~ (not glob), or FIELD [not] in (V1, V2).\n"
         "  Glob: * any run, ? one character, ** any run; in path, location, url and resource, * and ?\n"
         "  stop at '/' and **/ spans whole directories. Values: bare words or \"double quoted\" (\\\" escapes).\n"
         "  Fields: " + fields + ".\n"
         "  Example: findex query 'severity>=HIGH and scanner=zap and path~\"src/**\" and state=ACTIVE'";
}

namespace {

struct QueryFlags {
  FilterFlags filter;
  std::vector<std::string> expression;  // words joined by spaces: quoting the whole is optional
  std::string group_by;
  std::string format = "table";
};

int RunQuery(const QueryFlags& q, const Globals& g) {
  SetupLogging(g);
  auto filter = FilterWithExpression(q.filter, q.expression);
  if (!filter.ok()) {
    spdlog::error("{}", filter.error().ToString());
    return kExitError;
  }
  auto store = Store::Open(g.DbPath(), /*read_only=*/true);
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  if (!q.group_by.empty()) {
    auto groups = (*store)->GroupBy(*filter, q.group_by);
    if (!groups.ok()) {
      spdlog::error("{}", groups.error().ToString());
      return kExitError;
    }
    if (q.format == "json") {
      std::string out;
      JsonWriter w(&out, 2);
      w.BeginArray();
      for (const auto& gc : *groups) w.BeginObject().Field(q.group_by, gc.key).Key("count").UInt(gc.count).EndObject();
      w.EndArray();
      std::printf("%s\n", out.c_str());
    } else if (q.format == "csv") {
      PrintCsvRow(stdout, {q.group_by, "count"});
      for (const auto& gc : *groups) PrintCsvRow(stdout, {gc.key, std::to_string(gc.count)});
    } else {
      TableWriter t({q.group_by, "COUNT"});
      uint64_t total = 0;
      for (const auto& gc : *groups) {
        t.Row({gc.key, std::to_string(gc.count)});
        total += gc.count;
      }
      t.Row({"total", std::to_string(total)});
      t.Print(stdout);
    }
    return kExitOk;
  }
  Status st;
  if (q.format == "json") {
    std::string out;
    JsonWriter w(&out, 2);
    w.BeginArray();
    st = (*store)->ForEach(*filter, [&](FindingRow&& row) {
      WriteFlatJson(w, row);
      if (out.size() > (1 << 20)) {
        std::fwrite(out.data(), 1, out.size(), stdout);
        out.clear();
      }
      return true;
    });
    w.EndArray();
    out += "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
  } else if (q.format == "csv") {
    PrintCsvRow(stdout, FlatHeader());
    st = (*store)->ForEach(*filter, [&](FindingRow&& row) {
      PrintCsvRow(stdout, FlatRow(row));
      return true;
    });
  } else {
    TableWriter t({"SEVERITY", "STATE", "WORKFLOW", "SCANNER", "TITLE", "LOCATION", "ID"});
    size_t n = 0;
    st = (*store)->ForEach(*filter, [&](FindingRow&& row) {
      const Finding& f = row.finding;
      t.Row({std::string(ToString(f.severity.label)), std::string(ToString(f.record_state)),
             std::string(ToString(f.workflow)), f.scanner, f.title, ShortLocation(f), f.id});
      ++n;
      return true;
    });
    t.Print(stdout, 60);
    std::printf("%zu finding%s\n", n, n == 1 ? "" : "s");
  }
  if (!st.ok()) {
    spdlog::error("{}", st.error().ToString());
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

void AddQuery(CLI::App& app, Globals& g, int* exit_code) {
  auto q = std::make_shared<QueryFlags>();
  CLI::App* cmd = app.add_subcommand("query", "List or count findings with filters");
  q->filter.Add(cmd);
  AddExpressionOption(cmd, &q->expression);
  cmd->add_option("--group-by", q->group_by,
                  "Count by severity, scanner, scope, state, workflow, rule, resource, path, url, location, vuln, "
                  "package, format or title");
  cmd->add_option("--format", q->format, "table (default), json or csv")->check(CLI::IsMember({"table", "json", "csv"}));
  cmd->callback([q, &g, exit_code] { *exit_code = RunQuery(*q, g); });
}

}  // namespace findex::cli
