// The outbox of response actions (issue 12; schema 8): reading, claiming and finishing
// deliveries. Recording them is Store::Apply's and absence's (store.cpp).
#include <algorithm>

#include "store/store.h"

namespace findex {

namespace {

constexpr const char* kDeliveryColumns =
    "id, finding_id, occurrence, attempts, action, event, scope, state, created_at, updated_at, last_error, remote_key";

Delivery ReadDelivery(const DbStatement& st) {
  Delivery d;
  d.id = st.Int(0);
  d.finding_id = st.Int(1);
  d.occurrence = st.Int(2);
  d.attempts = st.Int(3);
  d.action = st.Str(4);
  d.event = st.Str(5);
  d.scope = st.Str(6);
  d.state = st.Str(7);
  d.created_at = st.Str(8);
  d.updated_at = st.Str(9);
  d.last_error = st.Str(10);
  d.remote_key = st.Str(11);
  return d;
}

// " AND col IN (?k, ...)" for a list, parameters appended.
void InList(const char* col, const std::vector<std::string>& values, std::string* where,
            std::vector<std::string>* params) {
  if (values.empty()) return;
  *where += std::string(" AND ") + col + " IN (";
  for (size_t i = 0; i < values.size(); ++i) {
    params->push_back(values[i]);
    *where += (i ? ", ?" : "?") + std::to_string(params->size());
  }
  *where += ")";
}

// CompileFilter's clause may use anonymous `?` placeholders, which SQLite numbers after the
// largest number seen before them in the text: embedded after a numbered one (the claim's
// `updated_at=?N`) they would shift. Numbered here (?1..), skipping quoted literals.
std::string NumberPlaceholders(const std::string& clause) {
  std::string out;
  int n = 0;
  bool quoted = false;
  for (size_t i = 0; i < clause.size(); ++i) {
    const char c = clause[i];
    if (c == '\'') quoted = !quoted;
    if (!quoted && c == '?') {
      const bool numbered = i + 1 < clause.size() && clause[i + 1] >= '0' && clause[i + 1] <= '9';
      if (numbered) {
        size_t j = i + 1;
        int v = 0;
        while (j < clause.size() && clause[j] >= '0' && clause[j] <= '9') v = v * 10 + (clause[j++] - '0');
        n = std::max(n, v);
        out.append(clause, i, j - i);
        i = j - 1;
        continue;
      }
      out += "?" + std::to_string(++n);
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// The filter's parameters come first (its clause numbers them ?1..?N), then the query's own.
std::string Where(const DeliveryQuery& q, std::vector<std::string>* params) {
  *params = q.findings_params;
  std::string where = " WHERE 1=1";
  if (!q.findings_where.empty()) {
    where += " AND finding_id IN (SELECT id FROM findings " + NumberPlaceholders(q.findings_where) + ")";
  }
  if (q.stale_before.empty()) {
    InList("state", q.states, &where, params);
  } else {
    // Claimable states, or a claim older than stale_before that nobody finished.
    std::string states;
    InList("state", q.states, &states, params);
    params->push_back(q.stale_before);
    where += " AND (1=1" + states + " OR (state='sending' AND updated_at < ?" + std::to_string(params->size()) + "))";
  }
  InList("action", q.actions, &where, params);
  InList("scope", q.scopes, &where, params);
  return where;
}

}  // namespace

Result<std::vector<Delivery>> Store::Deliveries(const DeliveryQuery& q) {
  std::vector<std::string> params;
  std::string sql = std::string("SELECT ") + kDeliveryColumns + " FROM deliveries" + Where(q, &params) + " ORDER BY id";
  if (q.limit >= 0) sql += " LIMIT " + std::to_string(q.limit);
  auto st = Prep(sql);
  if (!st.ok()) return st.error();
  for (size_t i = 0; i < params.size(); ++i) (*st)->BindText(static_cast<int>(i + 1), params[i]);
  std::vector<Delivery> out;
  for (;;) {
    auto r = (*st)->Step();
    if (!r.ok()) return SqlError("cannot read deliveries", r.error());
    if (!*r) break;
    out.push_back(ReadDelivery(**st));
  }
  return out;
}

Result<int64_t> Store::RecordDeliveries(const std::vector<Delivery>& ds, const std::string& now) {
  if (read_only_) return MakeError(ErrorCode::kStore, "store opened read-only");
  if (ds.empty()) return int64_t{0};
  FINDEX_RETURN_IF_ERROR(BeginWrite());
  int64_t added = 0;
  Status status = [&]() -> Status {
    auto st = Prep(
        "INSERT INTO deliveries(action, finding_id, event, occurrence, scope, state, created_at, updated_at)"
        " VALUES(?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6) ON CONFLICT DO NOTHING");
    if (!st.ok()) return st.error();
    for (const auto& d : ds) {
      DbStatement* s = st->get();
      s->Reset();
      s->BindText(1, d.action);
      s->BindInt(2, d.finding_id);
      s->BindText(3, d.event);
      s->BindInt(4, d.occurrence);
      s->BindText(5, d.scope);
      s->BindText(6, now);
      FINDEX_RETURN_IF_ERROR(s->Run());
      added += s->Changes();
    }
    return Exec("COMMIT");
  }();
  if (!status.ok()) {
    Rollback();
    return SqlError("cannot record deliveries", status.error());
  }
  return added;
}

Result<std::vector<Delivery>> Store::ClaimDeliveries(const DeliveryQuery& q, const std::string& now) {
  if (read_only_) return MakeError(ErrorCode::kStore, "store opened read-only");
  DeliveryQuery claimable = q;
  claimable.states.clear();
  for (const char* s : {"pending", "failed"}) {
    if (q.states.empty() || std::find(q.states.begin(), q.states.end(), s) != q.states.end())
      claimable.states.push_back(s);
  }
  if (claimable.states.empty()) return std::vector<Delivery>{};
  std::vector<std::string> params;
  std::string pick = "SELECT id FROM deliveries" + Where(claimable, &params) + " ORDER BY id";
  if (q.limit >= 0) pick += " LIMIT " + std::to_string(q.limit);
  // Another findex claiming at once takes other rows (PostgreSQL) or waits (SQLite's one writer).
  if (d_.pg()) pick += " FOR UPDATE SKIP LOCKED";
  params.push_back(now);
  const std::string now_param = "?" + std::to_string(params.size());
  const std::string sql = "UPDATE deliveries SET state='sending', updated_at=" + now_param + " WHERE id IN (" + pick +
                          ") RETURNING " + kDeliveryColumns;
  FINDEX_RETURN_IF_ERROR(BeginWrite());
  std::vector<Delivery> out;
  Status status = [&]() -> Status {
    auto st = Prep(sql);
    if (!st.ok()) return st.error();
    for (size_t i = 0; i < params.size(); ++i) (*st)->BindText(static_cast<int>(i + 1), params[i]);
    for (;;) {
      auto r = (*st)->Step();
      if (!r.ok()) return r.error();
      if (!*r) break;
      out.push_back(ReadDelivery(**st));
    }
    return Exec("COMMIT");
  }();
  if (!status.ok()) {
    Rollback();
    return SqlError("cannot claim deliveries", status.error());
  }
  std::sort(out.begin(), out.end(), [](const Delivery& a, const Delivery& b) { return a.id < b.id; });
  return out;
}

Status Store::FinishDelivery(const Delivery& d, bool delivered, int64_t attempts, const std::string& error,
                             const std::string& remote_key, const std::string& now) {
  if (read_only_) return MakeError(ErrorCode::kStore, "store opened read-only");
  FINDEX_RETURN_IF_ERROR(BeginWrite());
  Status status = [&]() -> Status {
    auto st = Prep(
        "UPDATE deliveries SET state=?2, attempts=attempts + ?3, last_error=?4, remote_key=coalesce(?5, remote_key),"
        " updated_at=?6 WHERE id=?1");
    if (!st.ok()) return st.error();
    (*st)->BindInt(1, d.id);
    (*st)->BindText(2, delivered ? "delivered" : "failed");
    (*st)->BindInt(3, attempts);
    (*st)->BindOptText(4, delivered ? std::string() : error);
    (*st)->BindOptText(5, remote_key);
    (*st)->BindText(6, now);
    FINDEX_RETURN_IF_ERROR((*st)->Run());
    if (!delivered) return Exec("COMMIT");
    if (!remote_key.empty()) {
      auto link = Prep(
          "INSERT INTO action_links(action, finding_id, remote_key) VALUES(?1, ?2, ?3)"
          " ON CONFLICT(action, finding_id) DO UPDATE SET remote_key=excluded.remote_key");
      if (!link.ok()) return link.error();
      (*link)->BindText(1, d.action);
      (*link)->BindInt(2, d.finding_id);
      (*link)->BindText(3, remote_key);
      FINDEX_RETURN_IF_ERROR((*link)->Run());
    }
    // The finding's history says what was sent where (never a secret: the action's name only).
    history_now_ = now;
    FINDEX_RETURN_IF_ERROR(
        AddHistory(d.finding_id, "action " + d.action, "delivered", "event", "", d.event, remote_key));
    return Exec("COMMIT");
  }();
  if (!status.ok()) {
    Rollback();
    return SqlError("cannot record a delivery", status.error());
  }
  return Status::Ok();
}

Result<std::string> Store::ActionLink(const std::string& action, int64_t finding_id) {
  auto st = Prep("SELECT remote_key FROM action_links WHERE action=?1 AND finding_id=?2");
  if (!st.ok()) return st.error();
  (*st)->BindText(1, action);
  (*st)->BindInt(2, finding_id);
  auto r = (*st)->Step();
  if (!r.ok()) return SqlError("cannot read action links", r.error());
  return *r ? (*st)->Str(0) : std::string();
}

}  // namespace findex
