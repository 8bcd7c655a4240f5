#include "ingest/respond.h"

#include <algorithm>
#include <map>

#include "normalize/timestamp.h"

namespace findex {

std::map<std::string, unsigned> ActionEventBits(const Policy& policy) {
  std::map<std::string, unsigned> out;
  for (const auto& a : policy.actions) {
    unsigned bits = 0;
    for (ActionEvent e : a.def.on) {
      switch (e) {
        case ActionEvent::kNew:
          bits |= kOnNew;
          break;
        case ActionEvent::kReopened:
          bits |= kOnReopened;
          break;
        case ActionEvent::kResolved:
          bits |= kOnResolved;
          break;
        case ActionEvent::kSuppressed:
          bits |= kOnSuppressed;
          break;
        case ActionEvent::kSlaBreached:
          bits |= kOnSlaBreached;
          break;
      }
    }
    out[a.def.name] = bits;
  }
  return out;
}

namespace {

// The findings the deliveries refer to, as the store returns them (finalized, feeds applied).
Result<std::map<int64_t, Finding>> Findings(Store& store, const std::vector<Delivery>& ds) {
  std::vector<int64_t> ids;
  for (const auto& d : ds) ids.push_back(d.finding_id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::map<int64_t, Finding> out;
  Status s = store.ForEachRowId(ids, [&](FindingRow&& r) {
    out.emplace(r.rowid, std::move(r.finding));
    return true;
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace

Result<RespondResult> Respond(Store& store, const Policy& policy, const RespondOptions& o) {
  RespondResult out;
  if (policy.actions.empty()) return out;
  std::map<std::string, const PolicyAction*> by_name;
  for (const auto& a : policy.actions) {
    if (o.actions.empty() || std::find(o.actions.begin(), o.actions.end(), a.def.name) != o.actions.end())
      by_name[a.def.name] = &a;
  }
  DeliveryQuery q;
  q.scopes = o.scopes;
  for (const auto& [name, a] : by_name) q.actions.push_back(name);
  if (q.actions.empty()) return out;
  if (o.filter) {
    auto where = CompileFilter(*o.filter);
    if (!where.ok()) return where.error();
    q.findings_where = where->clause;
    q.findings_params = where->params;
    if (q.findings_where.empty()) q.findings_where = "WHERE 1=1";
  }
  Rfc3339Time now_t;
  const int64_t now_ms = ParseRfc3339(o.now, &now_t) ? now_t.epoch_seconds * 1000 + now_t.nanos / 1000000 : 0;
  const std::string stale_cutoff = FormatTimestamp(now_ms - o.stale_after_ms);
  // sla_breached: findings whose SLA clock ran out now, for the actions that want it and match
  // them; recorded once per clock (occurrence: the run that started it).
  if (policy.sla && !o.dry_run) {
    std::vector<const PolicyAction*> want;
    for (const auto& [name, a] : by_name)
      if (a->def.Handles(ActionEvent::kSlaBreached)) want.push_back(a);
    if (!want.empty()) {
      FindingFilter f;
      f.scopes = o.scopes;
      f.expression = "sla=breached";
      f.sla = *policy.sla;
      f.now_ms = now_ms;
      f.order_by = "severity";
      std::vector<Delivery> found;
      Status s = store.ForEach(f, [&](FindingRow&& r) {
        for (const PolicyAction* a : want) {
          if (!MatchesAtLabel(a->match, r.finding, r.finding.severity.label)) continue;
          Delivery d;
          d.action = a->def.name;
          d.finding_id = r.rowid;
          d.event = "sla_breached";
          d.occurrence = r.active_since_run;
          d.scope = r.finding.scope;
          found.push_back(std::move(d));
        }
        return true;
      });
      if (!s.ok()) return s.error();
      if (auto n = store.RecordDeliveries(found, o.now); !n.ok()) return n.error();
    }
  }
  std::vector<Delivery> ds;
  if (o.dry_run) {
    q.states = {"pending", "failed"};
    auto got = store.Deliveries(q);
    if (!got.ok()) return got.error();
    ds = std::move(*got);
  } else {
    DeliveryQuery claim = q;
    if (o.retry_stale) claim.stale_before = stale_cutoff;
    auto got = store.ClaimDeliveries(claim, o.now);
    if (!got.ok()) return got.error();
    ds = std::move(*got);
  }
  // Claims older than the cutoff that nobody finished (this call's own claims are newer).
  {
    DeliveryQuery s = q;
    s.states = {"sending"};
    auto sending = store.Deliveries(s);
    if (!sending.ok()) return sending.error();
    for (const auto& d : *sending) {
      Rfc3339Time t;
      if (!ParseRfc3339(d.updated_at, &t) || t.epoch_seconds * 1000 + t.nanos / 1000000 >= now_ms - o.stale_after_ms)
        continue;
      ++out.stale;
      if (out.stale_oldest.empty() || d.updated_at < out.stale_oldest) out.stale_oldest = d.updated_at;
    }
  }
  if (ds.empty()) return out;
  auto findings = Findings(store, ds);
  if (!findings.ok()) return findings.error();
  HttpClient http(o.http);
  if (o.sleeper) http.set_sleeper(o.sleeper);
  // One Deliver per action: a webhook batches its findings into one message.
  std::map<std::string, std::vector<const Delivery*>> per_action;
  for (const auto& d : ds) per_action[d.action].push_back(&d);
  for (const auto& [name, list] : per_action) {
    const PolicyAction* action = by_name.at(name);
    std::vector<DeliveryItem> items;
    std::vector<const Delivery*> sent;
    for (const Delivery* d : list) {
      auto f = findings->find(d->finding_id);
      auto ev = ParseActionEvent(d->event);
      if (f == findings->end() || !ev) {
        if (!o.dry_run) {
          FINDEX_RETURN_IF_ERROR(store.FinishDelivery(*d, false, 0, "the finding or event is gone", "", o.now));
        }
        ++out.failed;
        continue;
      }
      DeliveryItem it;
      it.finding = &f->second;
      it.event = *ev;
      if (action->def.kind == ActionKind::kJira) {
        auto key = store.ActionLink(name, d->finding_id);
        if (!key.ok()) return key.error();
        it.jira_key = *key;
      }
      items.push_back(std::move(it));
      sent.push_back(d);
    }
    if (items.empty()) continue;
    if (o.dry_run) {
      for (const auto& m : PlanDelivery(action->def, items)) {
        std::string text = "action " + name + ": " + m.method + " " + m.target + " (" + std::to_string(m.items.size()) +
                           " finding" + (m.items.size() == 1 ? "" : "s") + ")";
        if (!m.note.empty()) text += " " + m.note;
        if (!m.error.empty()) text += " error: " + m.error;
        for (const auto& [k, v] : m.headers) text += "\n  " + k + ": " + v;
        if (!m.body.empty()) text += "\n  " + m.body;
        if (o.print) o.print(text);
      }
      continue;
    }
    Redactor red;
    auto expanded = ExpandSecrets(action->def, o.env, red);
    std::vector<DeliveryResult> results;
    if (!expanded.ok()) {
      DeliveryResult r;
      r.error = expanded.error().message;  // names the variable, never a value
      results.assign(items.size(), r);
    } else {
      results = Deliver(*expanded, items, DeliverOptions{&http}, red);
    }
    for (size_t i = 0; i < sent.size() && i < results.size(); ++i) {
      const DeliveryResult& r = results[i];
      const bool ok = r.ok || r.skipped;
      FINDEX_RETURN_IF_ERROR(store.FinishDelivery(*sent[i], ok, r.attempts, r.error, r.response_key, o.now));
      if (r.skipped)
        ++out.skipped;
      else if (ok)
        ++out.delivered;
      else {
        ++out.failed;
        out.errors.push_back("action " + name + ": finding " + std::to_string(sent[i]->finding_id) + " (" +
                             sent[i]->event + "): " + r.error);
      }
    }
  }
  return out;
}

}  // namespace findex
