// Response actions (issue 12): what a policy's `actions:` entry says to deliver, and how secrets
// in it are expanded and kept out of every log, result and export.
//
// The policy parser fills ActionDef (the lead adds the `match` matcher next to it); the delivery
// layer (rules/deliver.h) sends it. This header depends on nothing but normalize/result.h: no
// store, no policy parser.
//
// Secrets. Text fields marked "${VAR}" below may name environment variables as ${VAR} (VAR =
// [A-Za-z_][A-Za-z0-9_]*); `$${` is a literal `${`. Expansion happens at delivery time only
// (ExpandSecrets), so the policy as stored and printed keeps the ${VAR} form. Every expanded value
// is registered with a Redactor, and every text the delivery layer returns (errors, response
// lines, command output) has passed through it: a secret value appears as `***`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "normalize/result.h"

namespace findex {

// The lifecycle events an action reacts to (policy key `on:`).
enum class ActionEvent { kNew, kReopened, kResolved, kSuppressed, kSlaBreached };
std::string_view ToString(ActionEvent e);  // "new", "reopened", "resolved", "suppressed", "sla_breached"
std::optional<ActionEvent> ParseActionEvent(std::string_view s);  // case-insensitive

enum class ActionKind { kWebhook, kJira, kCommand };
std::string_view ToString(ActionKind k);  // "webhook", "jira", "command"

enum class WebhookFormat { kSlack, kTeams, kGeneric, kTemplate };
std::string_view ToString(WebhookFormat f);  // "slack", "teams", "generic", "template"
std::optional<WebhookFormat> ParseWebhookFormat(std::string_view s);  // case-insensitive

enum class JiraAuth { kBasic, kBearer };
std::optional<JiraAuth> ParseJiraAuth(std::string_view s);  // "basic" | "bearer"

// Retries of one HTTP request (webhook, each Jira call): attempt 1, then waits of
// initial_backoff_ms, x multiplier each time, capped at max_backoff_ms (a 429's Retry-After in
// seconds is honoured up to the cap). Retried: network errors, timeouts, 5xx, 429 (and a Teams
// connector's 200 whose body reports "HTTP error 429"). Final at once: 3xx, other 4xx, TLS
// verification failures, a URL that is not http(s).
struct RetryPolicy {
  int max_attempts = 4;              // >= 1, counting the first
  int64_t initial_backoff_ms = 1000;
  double multiplier = 2.0;
  int64_t max_backoff_ms = 30000;
};

// Placeholders of link_template (URL-encoded when substituted; see ExpandLinkTemplate in
// rules/deliver.h): {id} ASFF Id, {fingerprint} 32 hex digits, {scope}, {scanner}, {rule}
// (GeneratorId), {severity} (label), {region}, {account}, {event}, {action}.
// Placeholders of a template body ({{field}}, JSON-escaped; see RenderTemplate): see deliver.h.
struct WebhookSpec {
  std::string url;                             // ${VAR}; http:// or https://
  WebhookFormat format = WebhookFormat::kGeneric;
  std::string template_text;                   // format template: the body, with {{field}} placeholders
  std::map<std::string, std::string> headers;  // values ${VAR}
  int top_n = 10;                              // batch: findings listed in full (slack, teams); 1..40
  std::string link_template;                   // ${VAR}; empty: no link
};

struct JiraSpec {
  std::string url;                  // ${VAR}; base URL, e.g. https://jira.example.com (no /rest/...)
  std::string project;              // project key, e.g. SEC
  std::string issue_type = "Bug";   // issuetype.name
  JiraAuth auth = JiraAuth::kBasic;
  std::string user;                 // ${VAR}; basic auth only
  std::string token;                // ${VAR}; basic: API token or password; bearer: personal access token
  std::string priority;             // priority.name; empty: Jira's default
  std::vector<std::string> labels = {"findex"};
  std::string transition_on_resolve;  // transition name or id applied on `resolved`; empty: comment only
  std::string link_template;        // ${VAR}; added to the description and comments
};

struct CommandSpec {
  std::vector<std::string> argv;    // ${VAR} in each element; argv[0] searched in PATH unless it has a '/'
  bool shell = false;               // true: /bin/sh -c argv[0] findex-action argv[1]...
  int timeout_s = 60;               // then the process group is killed (SIGKILL)
  size_t max_output_bytes = 16 * 1024;  // stdout and stderr each: the first N bytes are kept
};

struct ActionDef {
  std::string name;
  // The lead adds `Matcher match;` here (policy.h); the delivery layer never reads it.
  std::vector<ActionEvent> on = {ActionEvent::kNew, ActionEvent::kReopened};
  ActionKind kind = ActionKind::kWebhook;
  WebhookSpec webhook;  // kind == kWebhook
  JiraSpec jira;        // kind == kJira
  CommandSpec command;  // kind == kCommand
  RetryPolicy retry;
  int connect_timeout_s = 10;  // HTTP: TCP + TLS handshake
  int timeout_s = 30;          // HTTP: one whole attempt

  bool Handles(ActionEvent e) const;
};

// ---- secrets ------------------------------------------------------------------------------

// Looks a variable up; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup ProcessEnv();  // getenv

// Replaces every secret value registered with `***`. Longer secrets are replaced first (a secret
// containing another is hidden whole). Each value is also hidden in its percent-encoded, JSON-
// escaped and (for basic auth, registered by the Jira client) base64 forms. Empty values are
// ignored.
class Redactor {
 public:
  void Add(std::string_view secret);
  std::string Redact(std::string_view text) const;
  bool empty() const { return secrets_.empty(); }

 private:
  std::vector<std::string> secrets_;  // longest first
};

// Expands ${VAR} in `text`. An unset variable, an unterminated `${` or an invalid name is an
// error that names the variable (never a value). Each expanded value is added to `redactor` when
// given. A variable set to the empty string expands to "".
Result<std::string> ExpandEnv(std::string_view text, const EnvLookup& env, Redactor* redactor = nullptr);

// A copy of `def` with every ${VAR} field expanded (webhook url, header values, link templates;
// jira url, user, token; command argv), values registered with `redactor`. The copy is for
// delivery only: never store, print or log it. Errors name the action and the field.
Result<ActionDef> ExpandSecrets(const ActionDef& def, const EnvLookup& env, Redactor& redactor);

}  // namespace findex
