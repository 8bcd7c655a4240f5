#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "cli/common.h"
#include "store/filter.h"

namespace findex {
class Store;
}

namespace findex::cli {

// Each Add* registers a subcommand whose callback stores its exit code in *exit_code.
void AddIngest(CLI::App& app, Globals& g, int* exit_code);
void AddQuery(CLI::App& app, Globals& g, int* exit_code);
void AddExport(CLI::App& app, Globals& g, int* exit_code);
void AddGate(CLI::App& app, Globals& g, int* exit_code);
void AddFormats(CLI::App& app, Globals& g, int* exit_code);
void AddTriage(CLI::App& app, Globals& g, int* exit_code);  // triage, note, history
void AddPolicy(CLI::App& app, Globals& g, int* exit_code);  // policy check
void AddSql(CLI::App& app, Globals& g, int* exit_code);
void AddMigrateStore(CLI::App& app, Globals& g, int* exit_code);
void AddEnrich(CLI::App& app, Globals& g, int* exit_code);
void AddAct(CLI::App& app, Globals& g, int* exit_code);  // response actions (issue 12)
void AddReport(CLI::App& app, Globals& g, int* exit_code);  // report (HTML)
void AddHelp(CLI::App& app, Globals& g, int* exit_code);  // help [COMMAND], help --man (add last)

// Flag filters plus a filter-language expression (words joined by spaces), checked up front.
Result<FindingFilter> FilterWithExpression(const FilterFlags& flags, const std::vector<std::string>& words);
// A scanner or scope (flag or expression value) that matches nothing known but is close to
// something that exists: an error with a suggestion (cmd_query.cpp).
Status CheckValues(Store& store, const FilterFlags& flags, const SqlWhere& expr);
// Help text for the expression language (query and export footers).
std::string ExpressionHelp();
// The positional expression (words) and its help footer; call after FilterFlags::Add.
void AddExpressionOption(CLI::App* cmd, std::vector<std::string>* words);

// Maps "reports/{repo}/{branch}/*" over a path: captures joined by ':' ("repo:branch").
// `*` matches one path segment, `**` any number; returns false when the path does not match.
bool ScopeFromPath(const std::string& pattern, const std::string& path, std::string* scope);

}  // namespace findex::cli
