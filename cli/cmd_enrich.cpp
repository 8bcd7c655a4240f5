// findex enrich: loads CISA's KEV catalog and/or FIRST's EPSS scores (files a CI job or cron
// downloaded: findex never downloads anything) into the store, and recomputes every finding's
// exploitation data (store/enrich.cpp). A summary goes to stderr; --summary json puts one JSON
// object on stdout.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "cli/commands.h"
#include "ingest/feeds.h"
#include "normalize/json_writer.h"
#include "store/store.h"

namespace findex::cli {
namespace {

struct EnrichFlags {
  std::string kev, epss;
  std::string summary = "text";
};

int RunEnrich(const EnrichFlags& fl, const Globals& g) {
  SetupLogging(g);
  if (fl.kev.empty() && fl.epss.empty()) {
    spdlog::error("nothing to load: give --kev FILE and/or --epss FILE");
    return kExitError;
  }
  // Both feeds are read whole before the store is touched: a bad file changes nothing.
  std::optional<KevCatalog> kev;
  std::optional<EpssFeed> epss;
  if (!fl.kev.empty()) {
    auto src = Source::FromFile(fl.kev);
    if (!src.ok()) {
      spdlog::error("{}", src.error().ToString());
      return kExitError;
    }
    size_t skipped = 0;
    auto k = ParseKev(*src, &skipped);
    if (!k.ok()) {
      spdlog::error("{}", k.error().ToString());
      return kExitError;
    }
    if (skipped) spdlog::warn("{}: {} entries without a CVE id skipped", fl.kev, skipped);
    kev = std::move(*k);
  }
  if (!fl.epss.empty()) {
    auto src = Source::FromFile(fl.epss);
    if (!src.ok()) {
      spdlog::error("{}", src.error().ToString());
      return kExitError;
    }
    auto e = ParseEpss(*src);
    if (!e.ok()) {
      spdlog::error("{}", e.error().ToString());
      return kExitError;
    }
    epss = std::move(*e);
  }
  auto store = Store::Open(g.DbPath());
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  auto r = (*store)->Enrich(kev ? &*kev : nullptr, fl.kev, epss ? &*epss : nullptr, fl.epss, Now());
  if (!r.ok()) {
    spdlog::error("{}", r.error().ToString());
    return kExitError;
  }
  if (fl.summary == "text" && !g.quiet) {
    std::string text;
    for (const auto& f : r->feeds) {
      text += f.name == "kev" ? "KEV catalog " : "EPSS scores ";
      text += (f.name == "kev" ? "version " : "model ") + (f.version.empty() ? std::string("?") : f.version) + ", " +
              (f.name == "kev" ? "released " : "scored ") + (f.released.empty() ? std::string("?") : f.released) +
              ": " + std::to_string(f.entries) + " CVEs (loaded " + f.loaded_at + " from " + f.file + ")\n";
    }
    text += std::to_string(r->findings) + " findings with vulnerability ids: " + std::to_string(r->kev) +
            " in KEV (" + std::to_string(r->ransomware) + " with known ransomware use), " + std::to_string(r->epss) +
            " with an EPSS score; " + std::to_string(r->changed) + " changed\n";
    std::fputs(text.c_str(), stderr);
  }
  if (fl.summary == "json") {
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("feeds").BeginArray();
    for (const auto& f : r->feeds) {
      w.BeginObject()
          .Field("name", f.name)
          .Field("version", f.version)
          .Field("released", f.released)
          .Field("loaded_at", f.loaded_at)
          .Field("file", f.file)
          .FieldInt("entries", f.entries)
          .EndObject();
    }
    w.EndArray()
        .FieldInt("findings", r->findings)
        .FieldInt("changed", r->changed)
        .FieldInt("kev", r->kev)
        .FieldInt("ransomware", r->ransomware)
        .FieldInt("epss", r->epss)
        .EndObject();
    out.push_back('\n');
    std::fputs(out.c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace

void AddEnrich(CLI::App& app, Globals& g, int* exit_code) {
  auto fl = std::make_shared<EnrichFlags>();
  CLI::App* cmd = app.add_subcommand(
      "enrich", "Load CISA KEV and FIRST EPSS feeds (files you downloaded) and recompute every finding's KEV/EPSS data");
  cmd->add_option("--kev", fl->kev,
                  "CISA's known_exploited_vulnerabilities.json (replaces the loaded catalog)");
  cmd->add_option("--epss", fl->epss, "FIRST's epss_scores-YYYY-MM-DD.csv or .csv.gz (replaces the loaded scores)");
  cmd->add_option("--summary", fl->summary, "text (default, on stderr), json (on stdout) or none")
      ->check(CLI::IsMember({"text", "json", "none"}));
  cmd->footer(
      "findex never downloads anything: fetch the files first (README \"Prioritisation: KEV and EPSS\"). "
      "Each feed is kept once per CVE with its version and date; a finding's CVEs and their aliases (GHSA <-> CVE, "
      "as the report gives them) resolve to it. A feed's value wins where it has the CVE; elsewhere the value the "
      "report carried (Grype, Dependency-Check, Inspector) stays; no data stays distinct from a score of 0 or "
      "\"not in KEV\". Later ingests apply the loaded feeds as they store findings. Exit 2 on a malformed file (the "
      "store is then unchanged).");
  cmd->callback([fl, &g, exit_code] { *exit_code = RunEnrich(*fl, g); });
}

}  // namespace findex::cli
