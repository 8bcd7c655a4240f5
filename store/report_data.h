// What `findex report` shows (issue 11), gathered from a store: summaries computed here (counts,
// trend, ageing, tops) and a capped list of findings, so that the page stays small whatever the
// store holds (rules/html_report.h writes it). Free functions over Store::database() with
// Store::dialect() where the SQL differs; SQLite and PostgreSQL alike.
//
// "Active" throughout: record_state ACTIVE and workflow neither SUPPRESSED nor RESOLVED (what a
// team still has to fix), of the findings the filter selects.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "normalize/result.h"
#include "normalize/sla.h"
#include "store/filter.h"

namespace findex {

class Store;

// Counts per SeverityLabel (index 0 INFORMATIONAL .. 4 CRITICAL).
using SeverityCounts = std::array<uint64_t, 5>;

struct ReportOptions {
  FindingFilter filter;        // selects the findings of every section
  std::string filter_text;     // how the filter was given, for the page
  SlaPolicy sla;               // empty: no SLA (ageing without breaches)
  std::string now;             // RFC 3339 (FINDEX_NOW)
  int64_t now_ms = 0;
  size_t max_findings = 2000;  // rows of the findings table (most severe / riskiest first)
  size_t max_history = 20;     // history entries per row (the latest)
  size_t top_n = 10;           // entries of each top list
};

struct ReportGroup {
  std::string key;
  SeverityCounts active{};
};

// One point of the trend: the state after an ingest batch.
struct ReportTrendPoint {
  int64_t batch = 0;        // runs.batch (the first run id of the `findex ingest` call)
  std::string at;           // the batch's latest runs.started_at
  uint64_t runs = 0;
  SeverityCounts active{};
};

struct ReportAgeing {
  int sla_days = -1;                   // < 0: no SLA for the severity
  uint64_t open = 0;                   // active findings
  std::array<uint64_t, 5> buckets{};   // open days 0-7, 8-30, 31-90, 91-180, >180
  uint64_t ok = 0, due_soon = 0, breached = 0;
  double mean_days = 0, max_days = 0;  // open days
};

struct ReportTop {
  std::string key;
  uint64_t count = 0;     // active findings
  int max_severity = 0;   // 0..4
  uint64_t kev = 0;       // of which in CISA KEV
  double max_epss = -1;   // < 0: no EPSS data
};

struct ReportHistory {
  std::string at, actor, action, field, old_value, new_value, note;
};

struct ReportRow {
  int64_t rowid = 0;
  std::string id, title, severity, scanner, scope, rule, vuln, package, location, workflow, state;
  std::string first_seen, last_seen;  // first/last observed (RFC 3339)
  std::string sources;                // "grype:HIGH(High);trivy:CRITICAL(CRITICAL)"
  int kev = -1;                       // 1, 0, -1 no data
  std::string kev_due;
  double epss = -1, epss_percentile = -1;  // < 0: no data
  std::string sla;                    // none / ok / due_soon / breached
  std::string sla_due;                // RFC 3339 or ""
  double open_days = 0;               // since the clock started (active findings)
  std::vector<ReportHistory> history; // the latest max_history entries, oldest first
  uint64_t history_total = 0;
};

struct ReportData {
  std::string generated_at, store, filter_text, version;
  bool exploit_columns = false;   // the store has kev/epss columns (schema 7)
  SlaPolicy sla;
  uint64_t selected = 0;          // findings the filter selects (any state)
  SeverityCounts active{};        // headline
  uint64_t suppressed = 0, resolved = 0;
  uint64_t kev = 0;               // active findings listed in CISA KEV
  uint64_t ransomware = 0;        // ... of which used by ransomware campaigns
  uint64_t kev_known = 0;         // active findings with KEV data (listed or not): 0 = no data
  // The latest ingest batch (of the selected scopes): what it did to the selected findings.
  int64_t latest_batch = 0;
  std::string latest_at;
  uint64_t latest_runs = 0, latest_new = 0, latest_fixed = 0, latest_reopened = 0;
  std::vector<ReportGroup> by_scanner, by_scope;  // most active first
  std::vector<ReportTrendPoint> trend;            // oldest first
  std::array<uint64_t, 5> fixed{};                // resolutions per severity (history)
  std::array<double, 5> mttr_days{};              // mean time to fix per severity
  std::array<ReportAgeing, 5> ageing{};
  std::vector<ReportTop> top_rules, top_vulns, top_packages;       // by count
  std::vector<ReportTop> risk_rules, risk_vulns, risk_packages;    // by risk: KEV, EPSS, severity
  std::vector<ReportRow> rows;
  uint64_t rows_total = 0;  // rows the table would have without the cap
};

// Reads everything the report shows. The trend is reconstructed backwards from each finding's
// current state through its history (see report_data.cpp).
Result<ReportData> GatherReportData(Store& store, const ReportOptions& options);

}  // namespace findex
