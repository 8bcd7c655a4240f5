// Action names and ${VAR} secrets: ExpandEnv, Redactor, ExpandSecrets (rules/action.h).
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "normalize/json_writer.h"
#include "rules/action.h"
#include "rules/deliver_util.h"

namespace findex {

namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool ValidVarName(std::string_view n) {
  if (n.empty()) return false;
  if (!(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_')) return false;
  return std::all_of(n.begin(), n.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

}  // namespace

std::string_view ToString(ActionEvent e) {
  switch (e) {
    case ActionEvent::kNew: return "new";
    case ActionEvent::kReopened: return "reopened";
    case ActionEvent::kResolved: return "resolved";
    case ActionEvent::kSuppressed: return "suppressed";
    case ActionEvent::kSlaBreached: return "sla_breached";
  }
  return "new";
}

std::optional<ActionEvent> ParseActionEvent(std::string_view s) {
  for (ActionEvent e : {ActionEvent::kNew, ActionEvent::kReopened, ActionEvent::kResolved, ActionEvent::kSuppressed,
                        ActionEvent::kSlaBreached}) {
    if (IEquals(s, ToString(e))) return e;
  }
  return std::nullopt;
}

std::string_view ToString(ActionKind k) {
  switch (k) {
    case ActionKind::kWebhook: return "webhook";
    case ActionKind::kJira: return "jira";
    case ActionKind::kCommand: return "command";
  }
  return "webhook";
}

std::string_view ToString(WebhookFormat f) {
  switch (f) {
    case WebhookFormat::kSlack: return "slack";
    case WebhookFormat::kTeams: return "teams";
    case WebhookFormat::kGeneric: return "generic";
    case WebhookFormat::kTemplate: return "template";
  }
  return "generic";
}

std::optional<WebhookFormat> ParseWebhookFormat(std::string_view s) {
  for (WebhookFormat f : {WebhookFormat::kSlack, WebhookFormat::kTeams, WebhookFormat::kGeneric, WebhookFormat::kTemplate}) {
    if (IEquals(s, ToString(f))) return f;
  }
  return std::nullopt;
}

std::optional<JiraAuth> ParseJiraAuth(std::string_view s) {
  if (IEquals(s, "basic")) return JiraAuth::kBasic;
  if (IEquals(s, "bearer")) return JiraAuth::kBearer;
  return std::nullopt;
}

bool ActionDef::Handles(ActionEvent e) const { return std::find(on.begin(), on.end(), e) != on.end(); }

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

void Redactor::Add(std::string_view secret) {
  if (secret.empty()) return;
  auto add = [this](std::string s) {
    if (s.empty() || std::find(secrets_.begin(), secrets_.end(), s) != secrets_.end()) return;
    secrets_.push_back(std::move(s));
  };
  add(std::string(secret));
  add(PercentEncode(secret));
  std::string json;
  AppendJsonEscaped(&json, secret);  // with its quotes
  add(json.substr(1, json.size() - 2));
  std::stable_sort(secrets_.begin(), secrets_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::Redact(std::string_view text) const {
  std::string out(text);
  for (const std::string& s : secrets_) {
    size_t pos = 0;
    while ((pos = out.find(s, pos)) != std::string::npos) {
      out.replace(pos, s.size(), "***");
      pos += 3;
    }
  }
  return out;
}

Result<std::string> ExpandEnv(std::string_view text, const EnvLookup& env, Redactor* redactor) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "unterminated ${ (write $${ for a literal ${)");
    }
    std::string_view name = text.substr(i + 2, close - i - 2);
    if (!ValidVarName(name)) {
      // The text between the braces is not a value: it is what the policy says. Still, keep the
      // message short.
      return MakeError(ErrorCode::kInvalidArgument,
                       "invalid variable name in ${...} (letters, digits and _, not starting with a digit)");
    }
    std::optional<std::string> v = env ? env(name) : std::nullopt;
    if (!v) {
      return MakeError(ErrorCode::kInvalidArgument, "environment variable " + std::string(name) + " is not set");
    }
    if (redactor != nullptr) redactor->Add(*v);
    out += *v;
    i = close + 1;
  }
  return out;
}

Result<ActionDef> ExpandSecrets(const ActionDef& def, const EnvLookup& env, Redactor& redactor) {
  ActionDef out = def;
  auto expand = [&](std::string& field, std::string_view what) -> Status {
    Result<std::string> r = ExpandEnv(field, env, &redactor);
    if (!r) return MakeError(r.error().code, "action " + def.name + ": " + std::string(what) + ": " + r.error().message);
    field = std::move(r.value());
    return Status::Ok();
  };
  switch (def.kind) {
    case ActionKind::kWebhook:
      FINDEX_RETURN_IF_ERROR(expand(out.webhook.url, "webhook url"));
      FINDEX_RETURN_IF_ERROR(expand(out.webhook.link_template, "link_template"));
      for (auto& [k, v] : out.webhook.headers) FINDEX_RETURN_IF_ERROR(expand(v, "header " + k));
      break;
    case ActionKind::kJira:
      FINDEX_RETURN_IF_ERROR(expand(out.jira.url, "jira url"));
      FINDEX_RETURN_IF_ERROR(expand(out.jira.user, "jira user"));
      FINDEX_RETURN_IF_ERROR(expand(out.jira.token, "jira token"));
      FINDEX_RETURN_IF_ERROR(expand(out.jira.link_template, "link_template"));
      break;
    case ActionKind::kCommand:
      for (size_t i = 0; i < out.command.argv.size(); ++i) {
        FINDEX_RETURN_IF_ERROR(expand(out.command.argv[i], "command argument " + std::to_string(i + 1)));
      }
      break;
  }
  return out;
}

}  // namespace findex
