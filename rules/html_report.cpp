#include "rules/html_report.h"

#include <cmath>

#include "normalize/json_writer.h"
#include "normalize/severity.h"

namespace findex {
namespace {

// The page's stylesheet and script, inlined (rules/assets/*.inc hold them as raw strings).
constexpr const char* kCss =
#include "rules/assets/report.css.inc"
    ;
constexpr const char* kJs =
#include "rules/assets/report.js.inc"
    ;

void Counts(JsonWriter& w, const SeverityCounts& c) {
  w.BeginArray();
  for (uint64_t n : c) w.UInt(n);
  w.EndArray();
}

void Number(JsonWriter& w, double v) {
  if (v < 0 || !std::isfinite(v)) {
    w.Null();
  } else {
    w.Double(std::round(v * 1e6) / 1e6);
  }
}

void Groups(JsonWriter& w, const std::vector<ReportGroup>& groups) {
  w.BeginArray();
  SeverityCounts other{};
  size_t others = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    if (i < kHtmlReportMaxGroups) {
      w.BeginObject().Field("key", groups[i].key).Key("active");
      Counts(w, groups[i].active);
      w.EndObject();
    } else {
      ++others;
      for (size_t s = 0; s < 5; ++s) other[s] += groups[i].active[s];
    }
  }
  if (others) {
    w.BeginObject().Field("key", std::to_string(others) + " more").Key("other").Bool(true).Key("active");
    Counts(w, other);
    w.EndObject();
  }
  w.EndArray();
}

void Tops(JsonWriter& w, const std::vector<ReportTop>& tops) {
  w.BeginArray();
  for (const auto& t : tops) {
    w.BeginObject()
        .Field("key", t.key)
        .Key("count")
        .UInt(t.count)
        .Field("max_severity", ToString(static_cast<SeverityLabel>(t.max_severity)))
        .Key("kev")
        .UInt(t.kev)
        .Key("epss");
    Number(w, t.max_epss);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

std::string HtmlReportJson(const ReportData& d) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("meta").BeginObject();
  w.Field("generated_at", d.generated_at).Field("store", d.store).Field("filter", d.filter_text);
  w.Field("version", d.version).Key("exploit_columns").Bool(d.exploit_columns);
  w.Key("selected").UInt(d.selected).Key("rows_total").UInt(d.rows_total).Key("rows_shown").UInt(d.rows.size());
  w.EndObject();
  w.Key("severities").BeginArray();
  for (int s = 0; s < 5; ++s) w.String(ToString(static_cast<SeverityLabel>(s)));
  w.EndArray();

  w.Key("headline").BeginObject().Key("active");
  Counts(w, d.active);
  w.Key("suppressed").UInt(d.suppressed).Key("resolved").UInt(d.resolved);
  w.Key("kev").UInt(d.kev).Key("kev_known").UInt(d.kev_known).Key("ransomware").UInt(d.ransomware);
  uint64_t breached = 0, due_soon = 0;
  for (const auto& a : d.ageing) {
    breached += a.breached;
    due_soon += a.due_soon;
  }
  w.Key("breached").UInt(breached).Key("due_soon").UInt(due_soon);
  w.Key("latest").BeginObject();
  w.Key("batch").Int(d.latest_batch).Field("at", d.latest_at).Key("runs").UInt(d.latest_runs);
  w.Key("new").UInt(d.latest_new).Key("fixed").UInt(d.latest_fixed).Key("reopened").UInt(d.latest_reopened);
  w.EndObject().EndObject();

  w.Key("by_scanner");
  Groups(w, d.by_scanner);
  w.Key("by_scope");
  Groups(w, d.by_scope);

  w.Key("trend").BeginArray();
  for (const auto& p : d.trend) {
    w.BeginObject().Key("batch").Int(p.batch).Field("at", p.at).Key("runs").UInt(p.runs).Key("active");
    Counts(w, p.active);
    w.EndObject();
  }
  w.EndArray();

  w.Key("mttr").BeginObject().Key("fixed").BeginArray();
  for (uint64_t n : d.fixed) w.UInt(n);
  w.EndArray().Key("days").BeginArray();
  for (int s = 0; s < 5; ++s) {
    if (d.fixed[static_cast<size_t>(s)])
      Number(w, d.mttr_days[static_cast<size_t>(s)]);
    else
      w.Null();
  }
  w.EndArray().EndObject();

  w.Key("sla").BeginObject().Key("days").BeginArray();
  for (int days : d.sla.days) {
    if (days < 0)
      w.Null();
    else
      w.Int(days);
  }
  w.EndArray().Key("kev_due_cap").Bool(d.sla.kev_due_cap).Key("due_soon_days").Int(d.sla.due_soon_days).EndObject();

  w.Key("ageing").BeginArray();
  for (const auto& a : d.ageing) {
    w.BeginObject().Key("open").UInt(a.open).Key("buckets").BeginArray();
    for (uint64_t n : a.buckets) w.UInt(n);
    w.EndArray();
    w.Key("ok").UInt(a.ok).Key("due_soon").UInt(a.due_soon).Key("breached").UInt(a.breached);
    w.Key("mean_days");
    Number(w, a.mean_days);
    w.Key("max_days");
    Number(w, a.max_days);
    w.EndObject();
  }
  w.EndArray();

  w.Key("top").BeginObject();
  const std::pair<const char*, std::pair<const std::vector<ReportTop>*, const std::vector<ReportTop>*>> tops[] = {
      {"rules", {&d.top_rules, &d.risk_rules}},
      {"vulns", {&d.top_vulns, &d.risk_vulns}},
      {"packages", {&d.top_packages, &d.risk_packages}},
  };
  for (const auto& [name, lists] : tops) {
    w.Key(name).BeginObject().Key("count");
    Tops(w, *lists.first);
    w.Key("risk");
    Tops(w, *lists.second);
    w.EndObject();
  }
  w.EndObject();

  w.Key("rows").BeginArray();
  for (const auto& r : d.rows) {
    w.BeginObject();
    w.Key("rowid").Int(r.rowid).Field("id", r.id).Field("title", r.title).Field("severity", r.severity);
    w.Field("scanner", r.scanner).Field("scope", r.scope).Field("rule", r.rule).Field("vuln", r.vuln);
    w.Field("package", r.package).Field("location", r.location).Field("workflow", r.workflow).Field("state", r.state);
    w.Field("first_seen", r.first_seen).Field("last_seen", r.last_seen).Field("sources", r.sources);
    w.Key("kev");
    if (r.kev < 0)
      w.Null();
    else
      w.Bool(r.kev == 1);
    w.Field("kev_due", r.kev_due).Key("epss");
    Number(w, r.epss);
    w.Key("epss_percentile");
    Number(w, r.epss_percentile);
    w.Field("sla", r.sla).Field("sla_due", r.sla_due).Key("open_days");
    Number(w, r.open_days);
    w.Key("history_total").UInt(r.history_total).Key("history").BeginArray();
    for (const auto& h : r.history) {
      w.BeginObject().Field("at", h.at).Field("actor", h.actor).Field("action", h.action).Field("field", h.field);
      w.Field("old", h.old_value).Field("new", h.new_value).Field("note", h.note).EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out;
}

std::string EscapeForScript(std::string_view json) {
  std::string out;
  out.reserve(json.size() + json.size() / 16);
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
               (json[i + 2] == '\xA8' || json[i + 2] == '\xA9')) {
      out += json[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

namespace {

// Text for the HTML around the data (the page's title): & < > " escaped.
std::string HtmlText(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

// What the page shows where its script cannot run (a viewer whose own Content-Security-Policy
// forbids inline scripts, as Jenkins' default does): the headline as plain HTML. The script
// replaces it.
std::string Fallback(const ReportData& d) {
  std::string out = "<div id=\"fallback\"><h1>findex report</h1>\n<p>Generated " + HtmlText(d.generated_at) +
                    " from " + HtmlText(d.store) + (d.filter_text.empty() ? "" : ", filter " + HtmlText(d.filter_text)) +
                    ", findex " + HtmlText(d.version) + ".</p>\n<table>\n<tr><th>Active findings</th><td>";
  uint64_t total = 0;
  for (uint64_t n : d.active) total += n;
  out += std::to_string(total) + "</td></tr>\n";
  for (int s = 4; s >= 0; --s) {
    out += "<tr><th>" + std::string(ToString(static_cast<SeverityLabel>(s))) + "</th><td>" +
           std::to_string(d.active[static_cast<size_t>(s)]) + "</td></tr>\n";
  }
  out += "<tr><th>In CISA KEV</th><td>" + (d.kev_known ? std::to_string(d.kev) : std::string("n/a")) + "</td></tr>\n";
  out += "<tr><th>Latest ingest " + HtmlText(d.latest_at) + "</th><td>" + std::to_string(d.latest_new) + " new, " +
         std::to_string(d.latest_fixed) + " fixed, " + std::to_string(d.latest_reopened) + " reopened</td></tr>\n";
  uint64_t breached = 0;
  for (const auto& a : d.ageing) breached += a.breached;
  if (!d.sla.empty()) out += "<tr><th>SLA breached</th><td>" + std::to_string(breached) + "</td></tr>\n";
  out += "</table>\n<p>The charts and the findings table are drawn by this page's script, which this viewer did not "
         "run. Open the file in a browser (Jenkins: its Content-Security-Policy blocks inline scripts).</p></div>";
  return out;
}

}  // namespace

std::string WriteHtmlReport(const ReportData& d) {
  std::string page;
  page.reserve(64 * 1024 + d.rows.size() * 1024);
  page +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      // Nothing may be fetched: no network, no file; inline script and style only.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; "
      "style-src 'unsafe-inline'; img-src data:\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"findex " +
      HtmlText(d.version) + "\">\n<title>findex report " + HtmlText(d.generated_at) + "</title>\n<style>\n";
  page += kCss;
  page +=
      "</style>\n</head>\n<body>\n"
      "<noscript><p class=\"noscript\">This report draws its charts and table with JavaScript; "
      "enable it to see them.</p></noscript>\n"
      "<div id=\"app\">";
  page += Fallback(d);
  page += "</div>\n"
      "<script type=\"application/json\" id=\"findex-data\">";
  page += EscapeForScript(HtmlReportJson(d));
  page += "</script>\n<script>\n";
  page += kJs;
  page += "</script>\n</body>\n</html>\n";
  return page;
}

}  // namespace findex
