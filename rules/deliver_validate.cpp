// ValidateAction: an action definition's problems, for `findex policy check` (rules/deliver.h).
#include "normalize/text.h"
#include "rules/deliver.h"

namespace findex {

namespace {

// ${VAR} syntax only: every variable "set" to a placeholder value.
Status CheckVars(const std::string& text) {
  EnvLookup any = [](std::string_view) -> std::optional<std::string> { return std::string("x"); };
  return ExpandEnv(text, any).status();
}

bool HttpUrl(const std::string& url) {
  std::string l = ToLower(url);
  return StartsWith(l, "http://") || StartsWith(l, "https://") || StartsWith(url, "${");
}

}  // namespace

std::vector<ActionProblem> ValidateAction(const ActionDef& def) {
  std::vector<ActionProblem> out;
  auto problem = [&](std::string field, std::string message) { out.push_back({std::move(field), std::move(message)}); };
  auto vars = [&](const std::string& field, const std::string& text) {
    Status st = CheckVars(text);
    if (!st.ok()) problem(field, st.error().message);
  };
  if (def.name.empty()) problem("name", "an action needs a name");
  if (def.on.empty()) problem("on", "no events: leave `on` out for [new, reopened]");
  if (def.timeout_s < 1) problem("timeout", "must be at least 1 second");
  if (def.connect_timeout_s < 1) problem("connect_timeout", "must be at least 1 second");
  if (def.retry.max_attempts < 1 || def.retry.max_attempts > 10) problem("retry.max_attempts", "must be 1..10");
  if (def.retry.initial_backoff_ms < 0 || def.retry.max_backoff_ms < 0) problem("retry", "backoffs must not be negative");
  if (def.retry.multiplier < 1) problem("retry.multiplier", "must be at least 1");
  switch (def.kind) {
    case ActionKind::kWebhook: {
      const WebhookSpec& w = def.webhook;
      if (w.url.empty()) problem("webhook.url", "missing");
      else if (!HttpUrl(w.url)) problem("webhook.url", "must be an http:// or https:// URL (or ${VAR})");
      vars("webhook.url", w.url);
      for (const auto& [k, v] : w.headers) vars("webhook.headers." + k, v);
      vars("webhook.link_template", w.link_template);
      Status link = ValidateLinkTemplate(w.link_template);
      if (!link.ok()) problem("webhook.link_template", link.error().message);
      if (w.top_n < 1 || w.top_n > 40) problem("webhook.top_n", "must be 1..40");
      if (w.format == WebhookFormat::kTemplate) {
        if (w.template_text.empty()) problem("webhook.template", "format template needs a template");
        Status t = ValidateTemplate(w.template_text);
        if (!t.ok()) problem("webhook.template", t.error().message);
      } else if (!w.template_text.empty()) {
        problem("webhook.template", "only used with format: template");
      }
      break;
    }
    case ActionKind::kJira: {
      const JiraSpec& j = def.jira;
      if (j.url.empty()) problem("jira.url", "missing");
      else if (!HttpUrl(j.url)) problem("jira.url", "must be an http:// or https:// URL (or ${VAR})");
      if (j.project.empty()) problem("jira.project", "missing (the project key, e.g. SEC)");
      if (j.issue_type.empty()) problem("jira.issue_type", "missing (e.g. Bug)");
      if (j.token.empty()) problem("jira.token", "missing (use ${VAR})");
      if (j.auth == JiraAuth::kBasic && j.user.empty()) problem("jira.user", "basic auth needs a user (or auth: bearer)");
      vars("jira.url", j.url);
      vars("jira.user", j.user);
      vars("jira.token", j.token);
      vars("jira.link_template", j.link_template);
      Status link = ValidateLinkTemplate(j.link_template);
      if (!link.ok()) problem("jira.link_template", link.error().message);
      break;
    }
    case ActionKind::kCommand: {
      const CommandSpec& c = def.command;
      if (c.argv.empty() || c.argv[0].empty()) problem("command", "needs a program");
      for (const std::string& a : c.argv) vars("command", a);
      if (c.timeout_s < 1) problem("command.timeout", "must be at least 1 second");
      break;
    }
  }
  return out;
}

}  // namespace findex
