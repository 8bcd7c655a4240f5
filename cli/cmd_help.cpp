// findex help [COMMAND [SUBCOMMAND]] and `findex help --man`: the text of `--help`, from the same
// CLI11 definitions (one source: the options as the parser knows them), as text or as a man page.
// The build writes build/findex.1 with `findex help --man`.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace findex::cli {
namespace {

struct HelpFlags {
  std::vector<std::string> path;  // command, then subcommand
  bool man = false;
};

// The --help text of `app`, as `findex CMD --help` prints it (its name path as the usage prefix).
std::string HelpText(const CLI::App* app, const std::string& prefix) {
  return app->get_formatter()->make_help(app, prefix, CLI::AppFormatMode::Normal);
}

// Commands users run (the help command itself included), in registration order, with their name path.
void Collect(const CLI::App* app, const std::string& prefix, std::vector<std::pair<std::string, const CLI::App*>>* out) {
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name().empty()) continue;  // option groups
    std::string name = prefix + " " + sub->get_name();
    out->emplace_back(name, sub);
    Collect(sub, name, out);
  }
}

// roff: a backslash is \e; a line starting with '.' or '\'' would be a request.
std::string Roff(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

std::string ManPage(const CLI::App& root) {
  std::vector<std::pair<std::string, const CLI::App*>> cmds;
  Collect(&root, root.get_name(), &cmds);
  std::string m;
  m += ".TH FINDEX 1 \"\" \"findex 0.1.0\" \"User Commands\"\n";
  m += ".SH NAME\nfindex \\- " + Roff(root.get_description().substr(root.get_description().find(':') + 2)) + "\n";
  m += ".SH SYNOPSIS\n.B findex\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR]\n";
  m += ".SH DESCRIPTION\n"
       "findex reads security scanner reports, normalizes every finding to the AWS Security Finding Format "
       "(ASFF), deduplicates them into an SQLite store, and answers CI gates, queries and exports from it. "
       "Global options are accepted before or after the command. "
       "This page holds the text of \\fBfindex help\\fR \\fICOMMAND\\fR (the same as \\fBfindex\\fR \\fICOMMAND\\fR "
       "\\fB\\-\\-help\\fR).\n";
  m += ".SH OPTIONS\n.nf\n" + Roff(HelpText(&root, root.get_name())) + ".fi\n";
  m += ".SH COMMANDS\n";
  for (const auto& [name, app] : cmds) {
    m += ".SS " + Roff(name) + "\n.nf\n" + Roff(HelpText(app, name)) + ".fi\n";
  }
  m += ".SH EXIT STATUS\n"
       ".TP\n0\nsuccess; gate passed\n"
       ".TP\n1\ngate failed\n"
       ".TP\n2\nusage error, unreadable or malformed input, store error\n";
  m += ".SH ENVIRONMENT\n"
       ".TP\nFINDEX_DB\nstore path (default ./findex.db)\n"
       ".TP\nFINDEX_ACCOUNT_ID, FINDEX_REGION, AWS_REGION, FINDEX_PARTITION\nASFF account (12 digits), region and partition\n"
       ".TP\nFINDEX_NOW\nan RFC 3339 time that replaces the clock (reproducible runs)\n";
  m += ".SH SEE ALSO\nREADME.md of the findex sources.\n";
  return m;
}

int RunHelp(const HelpFlags& h, const CLI::App& root) {
  if (h.man) {
    if (!h.path.empty()) {
      std::fprintf(stderr, "findex: error: help --man takes no command (the page covers them all)\n");
      return kExitError;
    }
    std::string page = ManPage(root);
    std::fwrite(page.data(), 1, page.size(), stdout);
    return kExitOk;
  }
  const CLI::App* app = &root;
  std::string prefix = root.get_name();
  for (const auto& word : h.path) {
    const CLI::App* sub = nullptr;
    for (const CLI::App* s : app->get_subcommands([](const CLI::App*) { return true; })) {
      if (!s->get_name().empty() && s->check_name(word)) sub = s;
    }
    if (!sub) {
      std::string names;
      for (const CLI::App* s : app->get_subcommands([](const CLI::App*) { return true; })) {
        if (!s->get_name().empty()) names += (names.empty() ? "" : ", ") + s->get_name();
      }
      std::fprintf(stderr, "findex: error: no command '%s' in '%s' (commands: %s)\n", word.c_str(), prefix.c_str(),
                   names.c_str());
      return kExitError;
    }
    app = sub;
    prefix += " " + sub->get_name();
  }
  std::string text = HelpText(app, prefix);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitOk;
}

}  // namespace

void AddHelp(CLI::App& app, Globals& /*g*/, int* exit_code) {
  auto h = std::make_shared<HelpFlags>();
  CLI::App* cmd = app.add_subcommand("help", "Show the help of findex or of a command (as --help does), or the man page");
  cmd->add_option("command", h->path, "A command and its subcommand, e.g. ingest, or policy check");
  cmd->add_flag("--man", h->man, "Write the man page (roff, all commands) on stdout, e.g. > findex.1");
  const CLI::App* root = &app;
  cmd->callback([h, root, exit_code] { *exit_code = RunHelp(*h, *root); });
}

}  // namespace findex::cli
