// Jira REST API v2 client and Deliver(): one action's due (finding, event) pairs of one run.
#include "rules/deliver.h"

#include <simdjson.h>

#include <algorithm>

#include "normalize/asff_writer.h"
#include "normalize/json_writer.h"
#include "normalize/text.h"
#include "rules/deliver_util.h"

namespace findex {

namespace {

std::string Base64(std::string_view in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  while (i + 2 < in.size()) {
    uint32_t v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
    i += 3;
  }
  if (i + 1 == in.size()) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

void Count(int* attempts, int* status, const HttpOutcome& o) {
  if (attempts != nullptr) *attempts = o.attempts;
  if (status != nullptr) *status = o.response.status;
}

std::string JsonString(simdjson::dom::element e, std::string_view key) {
  simdjson::dom::element v;
  if (e[key].get(v) != simdjson::SUCCESS) return {};
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  int64_t n = 0;
  if (v.get_int64().get(n) == simdjson::SUCCESS) return std::to_string(n);
  return {};
}

}  // namespace

JiraClient::JiraClient(const JiraSpec& spec, const HttpClient& client, Redactor& redactor) : client_(client) {
  base_ = spec.url;
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  if (spec.auth == JiraAuth::kBearer) {
    auth_header_ = "Bearer " + spec.token;
  } else {
    std::string b64 = Base64(spec.user + ":" + spec.token);
    redactor.Add(b64);
    auth_header_ = "Basic " + b64;
  }
}

HttpRequest JiraClient::Request(std::string method, std::string path, std::string body) const {
  HttpRequest r;
  r.method = std::move(method);
  r.url = base_ + path;
  r.headers.emplace_back("Authorization", auth_header_);
  r.body = std::move(body);
  return r;
}

Result<std::string> JiraClient::CreateIssue(const std::string& body_json, int* attempts, int* status) {
  HttpOutcome o = client_.Send(Request("POST", "/rest/api/2/issue", body_json));
  Count(attempts, status, o);
  if (!o.ok) return MakeError(ErrorCode::kIo, "jira create issue: " + o.error);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::padded_string padded(o.response.body);
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS) {
    return MakeError(ErrorCode::kParse, "jira create issue: the response is not JSON: " + FirstLine(o.response.body));
  }
  std::string key = JsonString(doc, "key");
  if (key.empty()) {
    return MakeError(ErrorCode::kSchema, "jira create issue: no \"key\" in the response: " + FirstLine(o.response.body));
  }
  return key;
}

Status JiraClient::AddComment(const std::string& key, const std::string& body_json, int* attempts, int* status) {
  HttpOutcome o = client_.Send(Request("POST", "/rest/api/2/issue/" + PercentEncode(key) + "/comment", body_json));
  Count(attempts, status, o);
  if (!o.ok) return MakeError(ErrorCode::kIo, "jira comment on " + key + ": " + o.error);
  return Status::Ok();
}

Status JiraClient::Transition(const std::string& key, const std::string& name_or_id, int* attempts, int* status) {
  const std::string path = "/rest/api/2/issue/" + PercentEncode(key) + "/transitions";
  HttpOutcome o = client_.Send(Request("GET", path, ""));
  Count(attempts, status, o);
  if (!o.ok) return MakeError(ErrorCode::kIo, "jira transitions of " + key + ": " + o.error);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::padded_string padded(o.response.body);
  simdjson::dom::array list;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS || doc["transitions"].get_array().get(list) != simdjson::SUCCESS) {
    return MakeError(ErrorCode::kSchema, "jira transitions of " + key + ": no \"transitions\" array in the response");
  }
  std::string id;
  std::string available;
  for (simdjson::dom::element t : list) {
    std::string tid = JsonString(t, "id");
    std::string tname = JsonString(t, "name");
    if (!available.empty()) available += ", ";
    available += tname + " (" + tid + ")";
    if (id.empty() && (EqualsIgnoreCase(tname, name_or_id) || tid == name_or_id)) id = tid;
  }
  if (id.empty()) {
    return MakeError(ErrorCode::kNotFound, "jira: transition '" + name_or_id + "' is not available on " + key +
                                               " (available: " + (available.empty() ? "none" : available) + ")");
  }
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("transition").BeginObject().Field("id", id).EndObject().EndObject();
  HttpOutcome p = client_.Send(Request("POST", path, body));
  Count(attempts, status, p);
  if (!p.ok) return MakeError(ErrorCode::kIo, "jira transition of " + key + ": " + p.error);
  return Status::Ok();
}

std::vector<std::pair<std::string, std::string>> CommandEnvironment(const ActionDef& def, const DeliveryItem& item) {
  const Finding& f = *item.finding;
  return {
      {"FINDEX_ACTION", def.name},
      {"FINDEX_EVENT", std::string(ToString(item.event))},
      {"FINDEX_FINDING_ID", f.id},
      {"FINDEX_FINGERPRINT", f.fingerprint.Hex()},
      {"FINDEX_SEVERITY", std::string(ToString(f.severity.label))},
      {"FINDEX_SCOPE", f.scope},
      {"FINDEX_SCANNER", f.scanner},
      {"FINDEX_RULE", f.generator_id},
  };
}

namespace {

DeliveryResult FromOutcome(const HttpOutcome& o, const std::string& what) {
  DeliveryResult r;
  r.ok = o.ok;
  r.attempts = o.attempts;
  r.http_status = o.response.status;
  if (!o.ok) r.error = what + ": " + o.error;
  return r;
}

DeliveryResult Failed(std::string error) {
  DeliveryResult r;
  r.error = std::move(error);
  return r;
}

}  // namespace

std::vector<PlannedMessage> PlanDelivery(const ActionDef& def, std::span<const DeliveryItem> items) {
  std::vector<PlannedMessage> plan;
  auto message = [&](std::vector<size_t> idx, const Result<std::string>& body, std::string_view event) {
    PlannedMessage m;
    m.items = std::move(idx);
    m.method = "POST";
    m.target = def.webhook.url;
    for (const auto& [k, v] : def.webhook.headers) m.headers.emplace_back(k, v);
    if (def.webhook.format == WebhookFormat::kGeneric || def.webhook.format == WebhookFormat::kTemplate) {
      m.headers.emplace_back("X-Findex-Action", def.name);
      if (!event.empty()) m.headers.emplace_back("X-Findex-Event", std::string(event));
    }
    if (body) {
      m.body = *body;
    } else {
      m.error = "webhook " + std::string(ToString(def.webhook.format)) + ": " + body.error().message;
    }
    plan.push_back(std::move(m));
  };
  if (items.empty()) return plan;
  switch (def.kind) {
    case ActionKind::kWebhook:
      switch (def.webhook.format) {
        case WebhookFormat::kSlack:
        case WebhookFormat::kTeams: {
          std::vector<size_t> all(items.size());
          for (size_t i = 0; i < items.size(); ++i) all[i] = i;
          message(std::move(all),
                  def.webhook.format == WebhookFormat::kSlack ? BuildSlackPayload(def, items) : BuildTeamsPayload(def, items),
                  "");
          break;
        }
        case WebhookFormat::kGeneric: {
          std::vector<ActionEvent> events;
          for (const DeliveryItem& it : items) {
            if (std::find(events.begin(), events.end(), it.event) == events.end()) events.push_back(it.event);
          }
          for (ActionEvent e : events) {
            std::vector<size_t> idx;
            std::vector<DeliveryItem> group;
            for (size_t i = 0; i < items.size(); ++i) {
              if (items[i].event == e) {
                idx.push_back(i);
                group.push_back(items[i]);
              }
            }
            message(std::move(idx), BuildGenericPayload(def, group), ToString(e));
          }
          break;
        }
        case WebhookFormat::kTemplate:
          for (size_t i = 0; i < items.size(); ++i) {
            const DeliveryItem& it = items[i];
            Result<std::string> link = def.webhook.link_template.empty()
                                           ? Result<std::string>(std::string())
                                           : ExpandLinkTemplate(def.webhook.link_template, *it.finding, it.event, def.name);
            if (!link) {
              message({i}, link, ToString(it.event));
              continue;
            }
            message({i}, RenderTemplate(def.webhook.template_text, *it.finding, it.event, def.name, *link),
                    ToString(it.event));
          }
          break;
      }
      break;
    case ActionKind::kJira: {
      std::string base = def.jira.url;
      while (!base.empty() && base.back() == '/') base.pop_back();
      for (size_t i = 0; i < items.size(); ++i) {
        const DeliveryItem& it = items[i];
        PlannedMessage m;
        m.items = {i};
        m.method = "POST";
        const bool opens = it.event == ActionEvent::kNew || it.event == ActionEvent::kReopened;
        Result<std::string> body = std::string();
        if (it.jira_key.empty() && !opens) {
          m.skipped = true;
          m.note = "skipped: no Jira issue was created for this finding";
        } else if (it.jira_key.empty()) {
          m.target = base + "/rest/api/2/issue";
          body = BuildJiraIssue(def, it);
        } else {
          m.target = base + "/rest/api/2/issue/" + it.jira_key + "/comment";
          body = BuildJiraComment(def, it);
          if (it.event == ActionEvent::kResolved && !def.jira.transition_on_resolve.empty()) {
            m.note = "then transition '" + def.jira.transition_on_resolve + "'";
          }
        }
        if (body) m.body = *body;
        else m.error = "jira: " + body.error().message;
        plan.push_back(std::move(m));
      }
      break;
    }
    case ActionKind::kCommand:
      for (size_t i = 0; i < items.size(); ++i) {
        PlannedMessage m;
        m.items = {i};
        m.method = "RUN";
        if (def.command.shell) m.target = "/bin/sh -c";
        for (const std::string& a : def.command.argv) m.target += (m.target.empty() ? "" : " ") + a;
        for (const auto& [k, v] : CommandEnvironment(def, items[i])) m.headers.emplace_back(k, v);
        m.body = ToAsffJson(*items[i].finding);
        plan.push_back(std::move(m));
      }
      break;
  }
  return plan;
}

namespace {

void DeliverWebhook(const ActionDef& def, std::span<const DeliveryItem> items, const HttpClient& http,
                    std::vector<DeliveryResult>& results) {
  const std::string what = "webhook " + std::string(ToString(def.webhook.format));
  for (const PlannedMessage& m : PlanDelivery(def, items)) {
    DeliveryResult r;
    if (!m.error.empty()) {
      r = Failed(m.error);
    } else {
      HttpRequest req;
      req.url = m.target;
      req.headers = m.headers;
      req.body = m.body;
      r = FromOutcome(http.Send(req), what);
    }
    for (size_t i : m.items) results[i] = r;
  }
}

DeliveryResult DeliverJiraItem(const ActionDef& def, const DeliveryItem& item, JiraClient& jira) {
  DeliveryResult r;
  const bool opens = item.event == ActionEvent::kNew || item.event == ActionEvent::kReopened;
  if (item.jira_key.empty()) {
    if (!opens) {
      r.ok = true;
      r.skipped = true;
      r.error = "no Jira issue was created for this finding; nothing to update";
      return r;
    }
    Result<std::string> body = BuildJiraIssue(def, item);
    if (!body) return Failed("jira: " + body.error().message);
    Result<std::string> key = jira.CreateIssue(*body, &r.attempts, &r.http_status);
    if (!key) {
      r.error = key.error().message;
      return r;
    }
    r.ok = true;
    r.response_key = *key;
    return r;
  }
  r.response_key = item.jira_key;
  Result<std::string> body = BuildJiraComment(def, item);
  if (!body) return Failed("jira: " + body.error().message);
  Status st = jira.AddComment(item.jira_key, *body, &r.attempts, &r.http_status);
  if (!st.ok()) {
    r.error = st.error().message;
    return r;
  }
  if (item.event == ActionEvent::kResolved && !def.jira.transition_on_resolve.empty()) {
    st = jira.Transition(item.jira_key, def.jira.transition_on_resolve, &r.attempts, &r.http_status);
    if (!st.ok()) {
      r.error = st.error().message;
      return r;
    }
  }
  r.ok = true;
  return r;
}

}  // namespace

std::vector<DeliveryResult> Deliver(const ActionDef& def, std::span<const DeliveryItem> items,
                                    const DeliverOptions& opts, Redactor& redactor) {
  std::vector<DeliveryResult> results(items.size());
  if (items.empty()) return results;
  if (def.kind != ActionKind::kCommand && opts.http == nullptr) {
    for (DeliveryResult& r : results) r = Failed("internal: no HTTP client");
    return results;
  }
  const HttpClient http = opts.http != nullptr ? opts.http->ForAction(def) : HttpClient();
  switch (def.kind) {
    case ActionKind::kWebhook:
      DeliverWebhook(def, items, http, results);
      break;
    case ActionKind::kJira: {
      JiraClient jira(def.jira, http, redactor);
      for (size_t i = 0; i < items.size(); ++i) results[i] = DeliverJiraItem(def, items[i], jira);
      break;
    }
    case ActionKind::kCommand:
      for (size_t i = 0; i < items.size(); ++i) {
        results[i] = RunCommand(def.command, ToAsffJson(*items[i].finding), CommandEnvironment(def, items[i]), redactor);
      }
      break;
  }
  for (DeliveryResult& r : results) {
    r.error = redactor.Redact(r.error);
    r.output = redactor.Redact(r.output);
  }
  return results;
}

}  // namespace findex
