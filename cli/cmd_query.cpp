// findex query: filters (flags and/or a filter-language expression), group-by counts; table,
// JSON or CSV on stdout.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/policy_util.h"
#include "ingest/registry.h"
#include "normalize/json_writer.h"
#include "normalize/text.h"
#include "store/store.h"

namespace findex::cli {

Result<FindingFilter> FilterWithExpression(const FilterFlags& flags, const std::vector<std::string>& words) {
  auto filter = flags.ToFilter();
  if (!filter.ok()) return filter;
  for (const auto& w : words) filter->expression += (filter->expression.empty() ? "" : " ") + w;
  // Checked before any output, so that a typo is one clean error line and exit 2. The SLA fields
  // are checked for syntax here (with a stand-in policy); AttachSla gives them the real one.
  const SlaPolicy probe;
  auto compiled = CompileExpression(filter->expression, filter->now_ms, &probe);
  if (!compiled.ok()) return compiled.error();
  return filter;
}

void AddExpressionOption(CLI::App* cmd, std::vector<std::string>* words) {
  // Repeatable flags must take one value each, or `--scanner zap 'severity>=HIGH'` would read
  // the expression as a second scanner.
  for (const char* name : {"--scanner", "--scope", "--state", "--policy"}) {
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
         "  Times (first_seen, last_seen, updated): RFC 3339, a date (2026-01-31), now-30d (units h, d, w);\n"
         "  age (since first seen): age>30d.\n"
         "  Exploitation: kev=true, ransomware=true (false; unknown: no data), kev_due<2026-02-01, epss>=0.1,\n"
         "  epss_percentile>=0.9 (no data matches no value). SLA (the policy's sla:): sla=breached (due_soon, ok,\n"
         "  none), sla_due<now+7d, sla_days_left<3.\n"
         "  Example: findex query 'severity>=HIGH and scanner=zap and path~\"src/**\" and state=ACTIVE'";
}

// A scanner or scope value that matches nothing known but is close to something that exists is
// a typo: an error with a suggestion, rather than an empty result. A value close to nothing
// (a scope not ingested yet) simply selects no rows.
Status CheckValues(Store& store, const FilterFlags& flags, const SqlWhere& expr) {
  const bool any = !flags.scanners.empty() || !flags.scopes.empty() ||
                   std::any_of(expr.values.begin(), expr.values.end(),
                               [](const FieldValue& v) { return v.field == "scanner" || v.field == "scope"; });
  if (!any) return Status::Ok();  // nothing to check: no need to read the store's scopes
  std::vector<std::string> scanners, scopes;
  for (const auto& f : Formats()) scanners.emplace_back(f.scanner);
  auto add_groups = [&](const char* field, std::vector<std::string>* out) -> Status {
    auto groups = store.GroupBy(FindingFilter{}, field);
    if (!groups.ok()) return groups.error();
    for (const auto& gc : *groups) out->push_back(gc.key);
    return Status::Ok();
  };
  FINDEX_RETURN_IF_ERROR(add_groups("scanner", &scanners));
  FINDEX_RETURN_IF_ERROR(add_groups("scope", &scopes));
  auto check = [](const std::string& what, const std::string& value, const std::vector<std::string>& known,
                  bool nocase, const std::string& where) -> Status {
    for (const auto& k : known) {
      if (nocase ? EqualsIgnoreCase(k, value) : k == value) return Status::Ok();
    }
    std::string hint = ClosestMatch(value, known);
    if (hint.empty()) return Status::Ok();
    return MakeError(ErrorCode::kInvalidArgument, "unknown " + what + " '" + value + "' (did you mean " + hint + "?)",
                     where);
  };
  for (const auto& v : flags.scanners) FINDEX_RETURN_IF_ERROR(check("scanner", v, scanners, true, "--scanner"));
  for (const auto& v : flags.scopes) FINDEX_RETURN_IF_ERROR(check("scope", v, scopes, false, "--scope"));
  for (const auto& fv : expr.values) {
    if (fv.field == "scanner") FINDEX_RETURN_IF_ERROR(check("scanner", fv.value, scanners, true, fv.where));
    if (fv.field == "scope") FINDEX_RETURN_IF_ERROR(check("scope", fv.value, scopes, false, fv.where));
  }
  return Status::Ok();
}

namespace {

struct QueryFlags {
  FilterFlags filter;
  std::vector<std::string> expression;  // words joined by spaces: quoting the whole is optional
  std::string group_by;
  std::string format = "table";
  bool all_states = false;
  std::string columns;  // comma-separated names of the flat record
  PolicyFlags policy;   // the SLA's policy (sla fields, --sort sla, --group-by sla)
};

// The table's columns without --columns.
const std::vector<std::string> kDefaultColumns = {"severity", "state", "workflow", "scanner", "scope", "title",
                                                  "location", "id"};

std::string ColumnList() {
  std::string all;
  for (const auto& c : FlatHeader()) all += (all.empty() ? "" : ", ") + c;
  return all;
}

// --columns a,b,c -> indexes into FlatHeader()/FlatRow().
Result<std::vector<size_t>> ParseColumns(const std::string& spec, const std::string& format) {
  const std::vector<std::string> header = FlatHeader();
  std::vector<std::string> names;
  if (spec.empty()) {
    if (format == "table") names = kDefaultColumns;
    else names = header;
  } else {
    size_t start = 0;
    while (start <= spec.size()) {
      size_t comma = spec.find(',', start);
      if (comma == std::string::npos) comma = spec.size();
      names.push_back(ToLower(Trim(spec.substr(start, comma - start))));
      start = comma + 1;
    }
  }
  std::vector<size_t> idx;
  for (const auto& n : names) {
    auto it = std::find(header.begin(), header.end(), n);
    if (it == header.end()) {
      std::string hint = ClosestMatch(n, header);
      return MakeError(ErrorCode::kInvalidArgument, "--columns: unknown column '" + n + "'" +
                                                        (hint.empty() ? "" : " (did you mean " + hint + "?)") +
                                                        "; columns: " + ColumnList());
    }
    idx.push_back(static_cast<size_t>(it - header.begin()));
  }
  return idx;
}


int RunQuery(const QueryFlags& q, const Globals& g) {
  SetupLogging(g);
  auto filter = FilterWithExpression(q.filter, q.expression);
  if (!filter.ok()) {
    spdlog::error("{}", filter.error().ToString());
    return kExitError;
  }
  if (Status st = AttachSla(&*filter, q.policy, q.group_by, g.quiet); !st.ok()) {
    spdlog::error("{}", st.error().ToString());
    return kExitError;
  }
  auto expr = CompileExpression(filter->expression, filter->now_ms, filter->sla ? &*filter->sla : nullptr);
  if (!expr.ok()) {
    spdlog::error("{}", expr.error().ToString());
    return kExitError;
  }
  // As Security Hub filters RecordState ACTIVE by default: findings the scans resolved
  // (ARCHIVED) only when asked for, by --state, a `state` comparison or --all-states.
  const bool names_state = std::find(expr->fields.begin(), expr->fields.end(), "state") != expr->fields.end();
  if (!q.all_states && q.filter.states.empty() && !names_state) filter->states = {"ACTIVE"};
  if (!q.columns.empty() && !q.group_by.empty()) {
    spdlog::error("--columns chooses the columns of findings; --group-by prints counts");
    return kExitError;
  }
  auto columns = ParseColumns(q.columns, q.format);
  if (!columns.ok()) {
    spdlog::error("{}", columns.error().ToString());
    return kExitError;
  }
  auto store = Store::Open(g.DbPath(), /*read_only=*/true);
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  if (Status st = CheckValues(**store, q.filter, *expr); !st.ok()) {
    spdlog::error("{}", st.error().ToString());
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
  const std::vector<std::string> header = FlatHeader();
  auto pick = [&](const std::vector<std::string>& all) {
    std::vector<std::string> out;
    for (size_t i : *columns) out.push_back(all[i]);
    return out;
  };
  if (q.format == "json") {
    std::string out;
    JsonWriter w(&out, 2);
    w.BeginArray();
    st = (*store)->ForEach(*filter, [&](FindingRow&& row) {
      if (q.columns.empty()) {
        WriteFlatJson(w, row);
      } else {
        const std::vector<std::string> cells = FlatRow(row);
        w.BeginObject();
        for (size_t i : *columns) {
          if (header[i] == "normalized") w.Key(header[i]).Int(row.finding.severity.normalized);
          else if (header[i] == "occurrences") w.Key(header[i]).UInt(row.finding.occurrences);
          else w.Field(header[i], cells[i]);
        }
        w.EndObject();
      }
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
    PrintCsvRow(stdout, pick(header));
    st = (*store)->ForEach(*filter, [&](FindingRow&& row) {
      PrintCsvRow(stdout, pick(FlatRow(row)));
      return true;
    });
  } else {
    std::vector<std::string> titles;
    for (const auto& h : pick(header)) titles.push_back(ToUpper(h));
    TableWriter t(titles);
    size_t n = 0;
    st = (*store)->ForEach(*filter, [&](FindingRow&& row) {
      t.Row(pick(FlatRow(row)));
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
  q->policy.Add(cmd, "Read no policy (the SLA fields then have none: an error)");
  AddExpressionOption(cmd, &q->expression);
  cmd->add_option("--group-by", q->group_by,
                  "Count by severity, scanner, scope, state, workflow, rule, resource, path, url, location, vuln, "
                  "package, format, title, kev, kev_due, ransomware or sla");
  cmd->add_option("--format", q->format, "table (default), json or csv")->check(CLI::IsMember({"table", "json", "csv"}));
  cmd->add_flag("--all-states", q->all_states,
                "ARCHIVED findings too (by default only ACTIVE ones, unless --state or a state comparison asks)");
  std::string cols;
  for (const auto& c : FlatHeader()) cols += (cols.empty() ? "" : ",") + c;
  cmd->add_option("--columns", q->columns,
                  "Columns to print, comma-separated (table default: severity,state,workflow,scanner,scope,title,location,id). "
                  "One of: " + cols);
  cmd->callback([q, &g, exit_code] { *exit_code = RunQuery(*q, g); });
}

}  // namespace findex::cli
