// Store::Enrich (issue 11): loading the exploitation feeds and recomputing the columns.
#include <cstdio>

#include "normalize/exploit.h"
#include "normalize/finding_codec.h"
#include "store/postgres/pg_db.h"
#include "store/store.h"

namespace findex {

namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string JoinCwes(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& c : v) s += (s.empty() ? "" : ",") + c;
  return s;
}

}  // namespace

Result<StoreFeeds*> Store::Feeds() {
  if (!feeds_) feeds_ = std::make_unique<StoreFeeds>(db_.get());
  if (Status s = feeds_->Load(); !s.ok()) return SqlError("cannot read the loaded feeds", s.error());
  return feeds_.get();
}

Result<Store::EnrichSummary> Store::Enrich(const KevCatalog* kev, const std::string& kev_file, const EpssFeed* epss,
                                           const std::string& epss_file, const std::string& now) {
  if (read_only_) return MakeError(ErrorCode::kStore, "store opened read-only");
  if (in_run_) return MakeError(ErrorCode::kInternal, "enrich inside a run");
  FINDEX_RETURN_IF_ERROR(BeginWrite());
  EnrichSummary out;
  auto body = [&]() -> Status {
    // Ingests under way finish first, and wait for this (their findings' columns come from the
    // feeds as they were when they began).
    FINDEX_RETURN_IF_ERROR(IngestBarrier(/*exclusive=*/true, /*session=*/false));
    auto record = [&](const char* name, const std::string& version, const std::string& released, size_t n,
                      const std::string& file) -> Status {
      auto st = Prep(
          "INSERT INTO feeds(name, version, released, loaded_at, entries, file) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
          " ON CONFLICT(name) DO UPDATE SET version=excluded.version, released=excluded.released,"
          " loaded_at=excluded.loaded_at, entries=excluded.entries, file=excluded.file");
      if (!st.ok()) return st.error();
      (*st)->BindText(1, name);
      (*st)->BindText(2, version);
      (*st)->BindText(3, released);
      (*st)->BindText(4, now);
      (*st)->BindInt(5, static_cast<int64_t>(n));
      (*st)->BindText(6, file);
      return (*st)->Run();
    };
    if (kev) {
      FINDEX_RETURN_IF_ERROR(Exec("DELETE FROM kev"));
      if (pg_) {
        std::string buf;
        auto field = [&](std::string_view v) {
          CopyEscape(&buf, v);
          buf.push_back('\t');
        };
        for (const auto& e : kev->entries) {
          field(e.cve);
          field(e.vendor);
          field(e.product);
          field(e.name);
          field(e.date_added);
          field(e.description);
          field(e.required_action);
          field(e.due_date);
          buf += e.ransomware ? "1\t" : "0\t";
          field(e.notes);
          CopyEscape(&buf, JoinCwes(e.cwes));
          buf.push_back('\n');
        }
        if (!buf.empty()) {
          FINDEX_RETURN_IF_ERROR(pg_->CopyIn("COPY kev(cve, vendor, product, name, date_added, description,"
                                             " required_action, due_date, ransomware, notes, cwes) FROM STDIN",
                                             buf));
        }
      } else {
        auto st = Prep(
            "INSERT INTO kev(cve, vendor, product, name, date_added, description, required_action, due_date,"
            " ransomware, notes, cwes) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
        if (!st.ok()) return st.error();
        DbStatement* s = st->get();
        for (const auto& e : kev->entries) {
          s->Reset();
          s->BindText(1, e.cve);
          s->BindText(2, e.vendor);
          s->BindText(3, e.product);
          s->BindText(4, e.name);
          s->BindText(5, e.date_added);
          s->BindText(6, e.description);
          s->BindText(7, e.required_action);
          s->BindText(8, e.due_date);
          s->BindInt(9, e.ransomware ? 1 : 0);
          s->BindText(10, e.notes);
          s->BindText(11, JoinCwes(e.cwes));
          FINDEX_RETURN_IF_ERROR(s->Run());
        }
      }
      FINDEX_RETURN_IF_ERROR(record("kev", kev->version, kev->released, kev->entries.size(), kev_file));
    }
    if (epss) {
      FINDEX_RETURN_IF_ERROR(Exec("DELETE FROM epss"));
      if (pg_) {
        std::string buf;
        for (const auto& e : epss->scores) {
          CopyEscape(&buf, e.cve);
          buf += '\t' + Num(e.epss) + '\t' + Num(e.percentile) + '\n';
          if (buf.size() >= (4u << 20)) {
            FINDEX_RETURN_IF_ERROR(pg_->CopyIn("COPY epss(cve, score, percentile) FROM STDIN", buf));
            buf.clear();
          }
        }
        if (!buf.empty()) FINDEX_RETURN_IF_ERROR(pg_->CopyIn("COPY epss(cve, score, percentile) FROM STDIN", buf));
      } else {
        auto st = Prep("INSERT INTO epss(cve, score, percentile) VALUES(?1, ?2, ?3)");
        if (!st.ok()) return st.error();
        DbStatement* s = st->get();
        for (const auto& e : epss->scores) {
          s->Reset();
          s->BindText(1, e.cve);
          s->BindDouble(2, e.epss);
          s->BindDouble(3, e.percentile);
          FINDEX_RETURN_IF_ERROR(s->Run());
        }
      }
      FINDEX_RETURN_IF_ERROR(record("epss", epss->model_version, epss->score_date, epss->scores.size(), epss_file));
    }
    if (feeds_) feeds_->Reset();
    return RecomputeExploit(&out);
  };
  if (Status s = body(); !s.ok()) {
    Rollback();
    if (feeds_) feeds_->Reset();
    return SqlError("cannot load the feeds", s.error());
  }
  if (Status s = Exec("COMMIT"); !s.ok()) {
    Rollback();
    if (feeds_) feeds_->Reset();
    return s.error();
  }
  auto fd = Feeds();
  if (!fd.ok()) return fd.error();
  out.feeds = (*fd)->info();
  return out;
}

// Every finding with vulnerability ids, a batch of ids at a time (bounded memory on both
// backends): its vulnerabilities as the report gave them (details), the feeds applied, the
// summary compared with the row's columns and written where it differs.
Status Store::RecomputeExploit(EnrichSummary* out) {
  auto fd = Feeds();
  if (!fd.ok()) return fd.error();
  StoreFeeds* feeds = *fd;
  constexpr int kBatch = 2000;
  auto rd = Prep(
      "SELECT f.id, d.details, f.kev, f.kev_due, f.ransomware, f.epss, f.epss_percentile FROM findings f"
      " JOIN finding_details d ON d.id = f.id WHERE f.id > ?1 AND f.vuln_ids <> '' ORDER BY f.id LIMIT " +
      std::to_string(kBatch));
  if (!rd.ok()) return rd.error();
  auto wr = Prep("UPDATE findings SET kev=?2, kev_due=?3, ransomware=?4, epss=?5, epss_percentile=?6 WHERE id=?1");
  if (!wr.ok()) return wr.error();
  // Ids and exploitation data are stored inline in the details; long shared texts are not needed.
  auto no_text = [](uint64_t) -> Result<std::string> { return std::string(); };
  struct Change {
    int64_t id;
    ExploitSummary s;
  };
  int64_t after = 0;
  for (;;) {
    std::vector<Change> changes;
    std::vector<std::pair<int64_t, Finding>> rows;
    DbStatement* r = rd->get();
    r->Reset();
    r->BindInt(1, after);
    int n = 0;
    for (;;) {
      auto step = r->Step();
      if (!step.ok()) return step.error();
      if (!*step) break;
      ++n;
      const int64_t id = r->Int(0);
      after = id;
      Finding f;
      if (Status s = DecodeDetails(r->Blob(1), no_text, &f); !s.ok()) {
        return MakeError(ErrorCode::kStore, "stored finding " + std::to_string(id) + ": " + s.error().message);
      }
      ExploitSummary old;
      if (!r->Null(2)) old.kev = static_cast<int>(r->Int(2));
      old.kev_due = r->Str(3);
      if (!r->Null(4)) old.ransomware = static_cast<int>(r->Int(4));
      if (!r->Null(5)) old.epss = r->Double(5);
      if (!r->Null(6)) old.epss_percentile = r->Double(6);
      rows.emplace_back(id, std::move(f));
      changes.push_back({id, old});
    }
    r->Reset();
    if (n == 0) break;
    if (pg_) {
      std::vector<std::string> ids;
      for (const auto& [id, f] : rows)
        for (const auto& v : f.vulnerabilities)
          for (auto& x : VulnerabilityIds(v)) ids.push_back(std::move(x));
      FINDEX_RETURN_IF_ERROR(feeds->Prefetch(ids));
    }
    for (size_t i = 0; i < rows.size(); ++i) {
      Finding& f = rows[i].second;
      ApplyFeeds(f, *feeds);
      FINDEX_RETURN_IF_ERROR(feeds->TakeError());
      const ExploitSummary now = SummarizeExploit(f);
      ++out->findings;
      if (now.kev == 1) ++out->kev;
      if (now.epss >= 0) ++out->epss;
      if (now.ransomware == 1) ++out->ransomware;
      if (now == changes[i].s) continue;
      ++out->changed;
      DbStatement* w = wr->get();
      w->Reset();
      w->BindInt(1, rows[i].first);
      if (now.kev >= 0) w->BindInt(2, now.kev);
      else w->BindNull(2);
      w->BindOptText(3, now.kev_due);
      if (now.ransomware >= 0) w->BindInt(4, now.ransomware);
      else w->BindNull(4);
      if (now.epss >= 0) w->BindDouble(5, now.epss);
      else w->BindNull(5);
      if (now.epss_percentile >= 0) w->BindDouble(6, now.epss_percentile);
      else w->BindNull(6);
      FINDEX_RETURN_IF_ERROR(w->Run());
    }
    if (n < kBatch) break;
  }
  return Status::Ok();
}

}  // namespace findex
