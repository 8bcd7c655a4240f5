#include "store/report_data.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <unordered_map>

#include "normalize/timestamp.h"
#include "store/store.h"

namespace findex {
namespace {

constexpr double kDayMs = 86400000.0;
constexpr const char* kActiveSql = "record_state='ACTIVE' AND workflow NOT IN ('SUPPRESSED','RESOLVED')";

int64_t UnixMs(std::string_view rfc3339) {
  Rfc3339Time t;
  if (!ParseRfc3339(rfc3339, &t)) return 0;
  return t.epoch_seconds * 1000 + t.nanos / 1000000;
}

int Sev(int64_t v) { return static_cast<int>(std::clamp<int64_t>(v, 0, 4)); }

bool IsActive(std::string_view workflow, bool archived) {
  return !archived && workflow != "SUPPRESSED" && workflow != "RESOLVED";
}

// The filter's WHERE clause with `extra` ANDed ("WHERE (...) AND extra").
std::string Where(const SqlWhere& w, const std::string& extra = "") {
  std::string c = w.clause.rfind("WHERE ", 0) == 0 ? w.clause.substr(6) : w.clause;
  if (c.empty()) c = "1=1";
  std::string out = "WHERE (" + c + ")";
  if (!extra.empty()) out += " AND " + extra;
  return out;
}

class Query {
 public:
  Query(Store& store, const SqlWhere& w) : store_(store), w_(w) {}
  // Prepares `sql` and binds the filter's parameters (?1.. in the order the clause has them).
  Result<std::unique_ptr<DbStatement>> Prepare(const std::string& sql) {
    auto st = store_.database()->Prepare(sql);
    if (!st.ok()) return MakeError(ErrorCode::kStore, "report query failed: " + st.error().message);
    for (size_t i = 0; i < w_.params.size(); ++i) (*st)->BindText(static_cast<int>(i + 1), w_.params[i]);
    return st;
  }

 private:
  Store& store_;
  const SqlWhere& w_;
};

Status StepError(const Result<bool>& rc) {
  return MakeError(ErrorCode::kStore, "report query failed: " + rc.error().message);
}

struct RunRef {
  int64_t batch_index = -1;
  int64_t started_ms = 0;
};

// What the history pass needs of a selected finding.
struct Compact {
  int64_t id = 0;
  int sev = 0;
  std::string workflow;
  bool archived = false;
  int64_t first_index = 0;  // batch index of its first sight
  int64_t first_ms = 0;     // when its first run started
};

std::string ShortLocation(const Finding& f) {
  if (!f.location.file_path.empty()) {
    return f.location.start_line > 0 ? f.location.file_path + ":" + std::to_string(f.location.start_line)
                                     : f.location.file_path;
  }
  if (!f.location.url.empty()) return f.location.url;
  return f.resources.empty() ? std::string() : f.resources.front().id;
}

void SortTops(std::vector<ReportTop>& all, size_t n, std::vector<ReportTop>* by_count, std::vector<ReportTop>* by_risk) {
  *by_count = all;
  std::stable_sort(by_count->begin(), by_count->end(), [](const ReportTop& a, const ReportTop& b) {
    if (a.count != b.count) return a.count > b.count;
    if (a.max_severity != b.max_severity) return a.max_severity > b.max_severity;
    return a.key < b.key;
  });
  if (by_count->size() > n) by_count->resize(n);
  // Risk: listed in KEV first (how many), then the highest EPSS, then severity, then count.
  *by_risk = all;
  std::stable_sort(by_risk->begin(), by_risk->end(), [](const ReportTop& a, const ReportTop& b) {
    if (a.kev != b.kev) return a.kev > b.kev;
    if (a.max_epss != b.max_epss) return a.max_epss > b.max_epss;
    if (a.max_severity != b.max_severity) return a.max_severity > b.max_severity;
    if (a.count != b.count) return a.count > b.count;
    return a.key < b.key;
  });
  if (by_risk->size() > n) by_risk->resize(n);
}

std::vector<ReportGroup> SortedGroups(std::map<std::string, SeverityCounts>& m) {
  std::vector<ReportGroup> out;
  for (auto& [k, v] : m) out.push_back(ReportGroup{k, v});
  auto total = [](const SeverityCounts& c) {
    uint64_t t = 0;
    for (auto x : c) t += x;
    return t;
  };
  std::stable_sort(out.begin(), out.end(), [&](const ReportGroup& a, const ReportGroup& b) {
    return total(a.active) > total(b.active);
  });
  return out;
}

Status Gather(Store& store, const ReportOptions& o, ReportData* d) {
  auto where = CompileFilter(o.filter);
  if (!where.ok()) return where.error();
  Query q(store, *where);

  auto cols = store.FindingColumns();
  if (!cols.ok()) return cols.error();
  d->exploit_columns = cols->count("kev") && cols->count("epss") && cols->count("kev_due");

  // --- runs: batches (the trend's points) and when each run started ---
  std::unordered_map<int64_t, RunRef> runs;
  std::vector<int64_t> batch_ids;     // sorted
  std::vector<int64_t> batch_ms;      // each batch's latest start
  {
    auto st = store.database()->Prepare("SELECT id, batch, scope, started_at FROM runs ORDER BY id");
    if (!st.ok()) return st.error();
    std::map<int64_t, std::pair<int64_t, std::string>> batches;  // batch -> (latest ms, its text)
    std::map<int64_t, uint64_t> batch_runs;
    std::vector<std::pair<int64_t, int64_t>> run_batch;
    const auto& scopes = o.filter.scopes;
    Result<bool> rc = false;
    while ((rc = (*st)->Step()).ok() && *rc) {
      const int64_t id = (*st)->Int(0), batch = (*st)->Int(1);
      const std::string started = (*st)->Str(3);
      const int64_t ms = UnixMs(started);
      runs[id].started_ms = ms;
      if (!scopes.empty() && std::find(scopes.begin(), scopes.end(), (*st)->Str(2)) == scopes.end()) continue;
      auto it = batches.find(batch);
      if (it == batches.end() || ms >= it->second.first) batches[batch] = {ms, started};
      ++batch_runs[batch];
      run_batch.emplace_back(id, batch);
    }
    if (!rc.ok()) return StepError(rc);
    for (const auto& [b, t] : batches) {
      batch_ids.push_back(b);
      batch_ms.push_back(t.first);
      d->trend.push_back(ReportTrendPoint{b, t.second, batch_runs[b], {}});
    }
    for (const auto& [id, batch] : run_batch) {
      runs[id].batch_index = std::lower_bound(batch_ids.begin(), batch_ids.end(), batch) - batch_ids.begin();
    }
    if (!batch_ids.empty()) {
      d->latest_batch = batch_ids.back();
      d->latest_at = d->trend.back().at;
      d->latest_runs = d->trend.back().runs;
    }
  }
  const int64_t npoints = static_cast<int64_t>(batch_ids.size());
  const int64_t latest_index = npoints - 1;
  auto run_ms = [&](int64_t run) -> int64_t {
    auto it = runs.find(run);
    return it == runs.end() ? 0 : it->second.started_ms;
  };
  auto run_index = [&](int64_t run) -> int64_t {
    auto it = runs.find(run);
    return it == runs.end() ? -1 : it->second.batch_index;
  };

  // --- one pass over the selected findings: headline, groups, KEV, ageing, new ---
  const std::string xcols = d->exploit_columns ? ", kev, kev_due, ransomware, epss" : ", NULL, NULL, NULL, NULL";
  std::vector<Compact> compact;
  {
    auto st = q.Prepare("SELECT id, severity, workflow, record_state, scanner, scope, first_seen_run,"
                        " coalesce(active_since_run, first_seen_run)" + xcols + " FROM findings " + Where(*where) +
                        " ORDER BY id");
    if (!st.ok()) return st.error();
    DbStatement* s = st->get();
    std::map<std::string, SeverityCounts> scanners, scopes;
    std::array<double, 5> age_sum{};
    Result<bool> rc = false;
    while ((rc = s->Step()).ok() && *rc) {
      Compact c;
      c.id = s->Int(0);
      c.sev = Sev(s->Int(1));
      c.workflow = s->Str(2);
      const std::string state = s->Str(3);
      c.archived = state != "ACTIVE";
      const int64_t first_run = s->Int(6);
      c.first_index = std::max<int64_t>(0, run_index(first_run));
      c.first_ms = run_ms(first_run);
      ++d->selected;
      if (c.workflow == "SUPPRESSED") ++d->suppressed;
      if (c.workflow == "RESOLVED") ++d->resolved;
      if (npoints > 0 && run_index(first_run) == latest_index) ++d->latest_new;
      if (IsActive(c.workflow, c.archived)) {
        ++d->active[c.sev];
        ++scanners[s->Str(4)][c.sev];
        ++scopes[s->Str(5)][c.sev];
        if (!s->Null(8)) ++d->kev_known;
        if (!s->Null(8) && s->Int(8) == 1) ++d->kev;
        if (!s->Null(10) && s->Int(10) == 1) ++d->ransomware;
        const int64_t start = run_ms(s->Int(7));
        const double days = std::max(0.0, static_cast<double>(o.now_ms - start) / kDayMs);
        ReportAgeing& a = d->ageing[c.sev];
        ++a.open;
        age_sum[c.sev] += days;
        a.max_days = std::max(a.max_days, days);
        const int bucket = days <= 7 ? 0 : days <= 30 ? 1 : days <= 90 ? 2 : days <= 180 ? 3 : 4;
        ++a.buckets[bucket];
        const SlaClock clock = ComputeSla(o.sla, static_cast<SeverityLabel>(c.sev), c.workflow, state, start,
                                          s->Null(9) ? std::string_view() : s->Text(9), o.now_ms);
        if (clock.state == SlaState::kOk) ++a.ok;
        if (clock.state == SlaState::kDueSoon) ++a.due_soon;
        if (clock.state == SlaState::kBreached) ++a.breached;
      }
      compact.push_back(std::move(c));
    }
    if (!rc.ok()) return StepError(rc);
    for (int i = 0; i < 5; ++i) {
      d->ageing[i].sla_days = o.sla.days[i];
      if (d->ageing[i].open) d->ageing[i].mean_days = age_sum[i] / static_cast<double>(d->ageing[i].open);
    }
    d->by_scanner = SortedGroups(scanners);
    d->by_scope = SortedGroups(scopes);
  }

  // --- tops: rules, vulnerabilities, packages of the active findings ---
  {
    const std::string kev_sum = d->exploit_columns ? "sum(CASE WHEN kev=1 THEN 1 ELSE 0 END)" : "0";
    const std::string epss_max = d->exploit_columns ? "max(epss)" : "NULL";
    const std::pair<const char*, std::pair<std::vector<ReportTop>*, std::vector<ReportTop>*>> dims[] = {
        {"generator_id", {&d->top_rules, &d->risk_rules}},
        {"vuln_id", {&d->top_vulns, &d->risk_vulns}},
        {"package", {&d->top_packages, &d->risk_packages}},
    };
    for (const auto& [col, out] : dims) {
      const std::string c = col;
      auto st = q.Prepare("SELECT " + c + ", count(*), max(severity), " + kev_sum + ", " + epss_max + " FROM findings " +
                          Where(*where, std::string(kActiveSql) + " AND " + c + " IS NOT NULL AND " + c + " != ''") +
                          " GROUP BY " + c);
      if (!st.ok()) return st.error();
      DbStatement* s = st->get();
      std::vector<ReportTop> all;
      Result<bool> rc = false;
      while ((rc = s->Step()).ok() && *rc) {
        ReportTop t;
        t.key = s->Str(0);
        t.count = static_cast<uint64_t>(s->Int(1));
        t.max_severity = Sev(s->Int(2));
        t.kev = s->Null(3) ? 0 : static_cast<uint64_t>(s->Int(3));
        t.max_epss = s->Null(4) ? -1 : s->Double(4);
        all.push_back(std::move(t));
      }
      if (!rc.ok()) return StepError(rc);
      SortTops(all, o.top_n, out.first, out.second);
    }
  }

  // --- the table's rows: active first, most severe, in KEV, highest EPSS ---
  std::vector<int64_t> row_ids;
  {
    const std::string risk = d->exploit_columns ? " coalesce(kev, 0) DESC, coalesce(epss, -1) DESC," : "";
    auto st = q.Prepare("SELECT id FROM findings " + Where(*where) + " ORDER BY CASE WHEN " + kActiveSql +
                        " THEN 0 ELSE 1 END, severity DESC," + risk + " id LIMIT " + std::to_string(o.max_findings));
    if (!st.ok()) return st.error();
    Result<bool> rc = false;
    while ((rc = (*st)->Step()).ok() && *rc) row_ids.push_back((*st)->Int(0));
    if (!rc.ok()) return StepError(rc);
  }
  d->rows_total = d->selected;
  std::unordered_map<int64_t, size_t> row_index;
  d->rows.resize(row_ids.size());
  for (size_t i = 0; i < row_ids.size(); ++i) row_index[row_ids[i]] = i;
  {
    std::unordered_map<int64_t, int64_t> starts;  // the SLA clock's start run per row
    Status s = store.ForEachRowId(row_ids, [&](FindingRow&& fr) {
      auto it = row_index.find(fr.rowid);
      if (it == row_index.end()) return true;
      ReportRow& r = d->rows[it->second];
      const Finding& f = fr.finding;
      r.rowid = fr.rowid;
      r.id = f.id;
      r.title = f.title;
      r.severity = std::string(ToString(f.severity.label));
      r.scanner = f.scanner;
      r.scope = f.scope;
      r.rule = f.generator_id;
      if (!f.vulnerabilities.empty()) {
        r.vuln = f.vulnerabilities.front().id;
        if (!f.vulnerabilities.front().vulnerable_packages.empty()) {
          const auto& p = f.vulnerabilities.front().vulnerable_packages.front();
          r.package = p.version.empty() ? p.name : p.name + "@" + p.version;
        }
      }
      r.location = ShortLocation(f);
      r.workflow = std::string(ToString(f.workflow));
      r.state = std::string(ToString(f.record_state));
      r.first_seen = f.first_observed_at;
      r.last_seen = f.last_observed_at;
      r.sources = fr.sources;
      const int64_t start = run_ms(fr.active_since_run ? fr.active_since_run : fr.first_seen_run);
      if (IsActive(r.workflow, f.record_state != RecordState::kActive)) {
        r.open_days = std::max(0.0, static_cast<double>(o.now_ms - start) / kDayMs);
      }
      starts[fr.rowid] = start;
      return true;
    });
    if (!s.ok()) return s;
    // Exploitation data as the store's columns hold it (SummarizeExploit of the finding at
    // ingest or `findex enrich`), then the SLA clock, which a KEV due date may cap.
    if (d->exploit_columns && !row_ids.empty()) {
      std::string list;
      for (int64_t id : row_ids) list += (list.empty() ? "" : ",") + std::to_string(id);
      auto st = store.database()->Prepare("SELECT id, kev, kev_due, epss, epss_percentile FROM findings WHERE id IN (" +
                                          list + ")");
      if (!st.ok()) return st.error();
      DbStatement* x = st->get();
      Result<bool> rc = false;
      while ((rc = x->Step()).ok() && *rc) {
        auto it = row_index.find(x->Int(0));
        if (it == row_index.end()) continue;
        ReportRow& r = d->rows[it->second];
        r.kev = x->Null(1) ? -1 : static_cast<int>(x->Int(1));
        r.kev_due = x->Null(2) ? std::string() : x->Str(2);
        r.epss = x->Null(3) ? -1 : x->Double(3);
        r.epss_percentile = x->Null(4) ? -1 : x->Double(4);
      }
      if (!rc.ok()) return StepError(rc);
    }
    for (ReportRow& r : d->rows) {
      auto label = ParseSeverityLabel(r.severity).value_or(SeverityLabel::kInformational);
      const SlaClock clock = ComputeSla(o.sla, label, r.workflow, r.state, starts[r.rowid], r.kev_due, o.now_ms);
      r.sla = std::string(ToString(clock.state));
      if (clock.state != SlaState::kNone) r.sla_due = FormatTimestamp(clock.due_ms);
    }
  }

  // --- history: the trend (backwards from the current state), time to fix, the latest batch ---
  // Each point of the trend is the state of the selected findings after an ingest batch. A
  // finding counts from the batch of its first sight; its current severity and workflow hold
  // back to its latest history entry, whose old values held before it, and so on back to its
  // first sight. An entry by "ingest run N" belongs to run N's batch; any other (a person's
  // triage, the policy) to the first batch that started at or after it, and one after the
  // latest batch to the latest point, so that the latest point is the current state (the
  // headline). Difference arrays per severity make it one pass over findings and history:
  // linear in findings + history entries + batches.
  std::array<std::vector<int64_t>, 5> diff;
  for (auto& v : diff) v.assign(static_cast<size_t>(npoints) + 1, 0);
  std::array<double, 5> fix_days{};
  {
    auto st = q.Prepare("SELECT finding_id, at, actor, action, field, old, new, note FROM history WHERE finding_id IN"
                        " (SELECT id FROM findings " + Where(*where) + ") ORDER BY finding_id, id");
    if (!st.ok()) return st.error();
    DbStatement* s = st->get();
    Result<bool> rc = s->Step();
    if (!rc.ok()) return StepError(rc);
    bool have = *rc;
    std::vector<ReportHistory> events;
    std::vector<int64_t> points;  // batch index per event
    auto index_of = [&](const ReportHistory& e) -> int64_t {
      if (e.actor.rfind("ingest run ", 0) == 0) {
        const int64_t run = std::strtoll(e.actor.c_str() + 11, nullptr, 10);
        const int64_t i = run_index(run);
        if (i >= 0) return i;
      }
      const int64_t ms = UnixMs(e.at);
      const int64_t i = std::lower_bound(batch_ms.begin(), batch_ms.end(), ms) - batch_ms.begin();
      return std::min(i, latest_index);
    };
    for (const Compact& c : compact) {
      events.clear();
      while (have && s->Int(0) < c.id) {  // not selected any more (cannot happen in a snapshot)
        rc = s->Step();
        if (!rc.ok()) return StepError(rc);
        have = *rc;
      }
      while (have && s->Int(0) == c.id) {
        events.push_back(ReportHistory{s->Str(1), s->Str(2), s->Str(3), s->Str(4), s->Str(5), s->Str(6), s->Str(7)});
        rc = s->Step();
        if (!rc.ok()) return StepError(rc);
        have = *rc;
      }
      if (auto it = row_index.find(c.id); it != row_index.end()) {
        ReportRow& r = d->rows[it->second];
        r.history_total = events.size();
        const size_t from = events.size() > o.max_history ? events.size() - o.max_history : 0;
        r.history.assign(events.begin() + static_cast<std::ptrdiff_t>(from), events.end());
      }
      if (npoints == 0) continue;
      points.resize(events.size());
      for (size_t i = 0; i < events.size(); ++i) points[i] = std::max(index_of(events[i]), c.first_index);
      // Backwards from now.
      int sev = c.sev;
      std::string workflow = c.workflow;
      bool archived = c.archived;
      int64_t end = npoints;
      for (size_t i = events.size(); i-- > 0;) {
        const int64_t p = std::min(points[i], end);
        if (p < end && IsActive(workflow, archived)) {
          ++diff[sev][p];
          --diff[sev][end];
        }
        end = p;
        const ReportHistory& e = events[i];
        if (e.field == "workflow") {
          workflow = e.old_value;
          if (e.action == "resolved") archived = false;
          if (e.action == "reopened") archived = true;
        } else if (e.field == "state") {
          archived = e.old_value != "ACTIVE";
        } else if (e.field == "severity") {
          if (auto l = ParseSeverityLabel(e.old_value)) sev = static_cast<int>(*l);
        }
      }
      if (c.first_index < end && IsActive(workflow, archived)) {
        ++diff[sev][c.first_index];
        --diff[sev][end];
      }
      // Forwards: time to fix (from first sight, or the reopening, to RESOLVED), by current
      // severity; the latest batch's fixes and reopenings.
      bool open = true;
      int64_t open_ms = c.first_ms;
      for (size_t i = 0; i < events.size(); ++i) {
        const ReportHistory& e = events[i];
        if (e.field != "workflow") continue;
        const bool by_latest = e.actor.rfind("ingest run ", 0) == 0 &&
                               run_index(std::strtoll(e.actor.c_str() + 11, nullptr, 10)) == latest_index;
        if (e.new_value == "RESOLVED" && open) {
          open = false;
          ++d->fixed[c.sev];
          fix_days[c.sev] += std::max(0.0, static_cast<double>(UnixMs(e.at) - open_ms) / kDayMs);
          if (by_latest && e.action == "resolved") ++d->latest_fixed;
        } else if (e.action == "reopened") {
          if (!open) open_ms = UnixMs(e.at);
          open = true;
          if (by_latest) ++d->latest_reopened;
        }
      }
    }
  }
  for (int sev = 0; sev < 5; ++sev) {
    int64_t run = 0;
    for (int64_t i = 0; i < npoints; ++i) {
      run += diff[sev][static_cast<size_t>(i)];
      d->trend[static_cast<size_t>(i)].active[sev] = static_cast<uint64_t>(std::max<int64_t>(run, 0));
    }
    if (d->fixed[sev]) d->mttr_days[sev] = fix_days[sev] / static_cast<double>(d->fixed[sev]);
  }
  return Status::Ok();
}

}  // namespace

Result<ReportData> GatherReportData(Store& store, const ReportOptions& options) {
  ReportData d;
  d.generated_at = options.now;
  d.store = store.shown_path();
  d.filter_text = options.filter_text;
  d.sla = options.sla;
  FINDEX_RETURN_IF_ERROR(store.BeginSnapshot());
  Status s = Gather(store, options, &d);
  Status e = store.EndSnapshot();
  if (!s.ok()) return s.error();
  if (!e.ok()) return e.error();
  return d;
}

}  // namespace findex
