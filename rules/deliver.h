// Delivery of response actions (issue 12): payload builders (pure), an HTTP client over libcurl,
// a Jira REST API v2 client, a command runner, and Deliver(), which sends one run's due
// (finding, event) pairs of one action. No store, no policy parser: the caller decides what is
// due (deliveries table), passes the findings, and records the results it gets back.
//
// Nothing here throws; nothing here logs. Every text in a DeliveryResult has been through the
// Redactor given to Deliver (secrets appear as ***).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "normalize/finding.h"
#include "normalize/result.h"
#include "rules/action.h"

namespace findex {

// One (finding, event) due for an action. `finding` must be finalized (Id, scope, ...), as the
// store returns it.
struct DeliveryItem {
  const Finding* finding = nullptr;
  ActionEvent event = ActionEvent::kNew;
  // Jira: the issue key an earlier delivery of this action created for this finding (the
  // caller keeps it; DeliveryResult::response_key), empty when none.
  std::string jira_key;
};

struct DeliveryResult {
  bool ok = false;
  bool skipped = false;    // nothing to send (e.g. Jira `resolved` with no issue); ok is true
  int attempts = 0;        // HTTP requests made for the last call (with retries); 1 per command run
  int http_status = 0;     // the last HTTP status; 0: none (network error, command)
  int exit_code = -1;      // command: exit status; -1: none (not run, killed by a signal, timeout)
  std::string error;       // redacted; empty when ok
  std::string response_key;  // Jira: the issue key created or commented on
  std::string output;      // command: stdout then stderr, bounded, redacted
};

// ---- payloads (pure) ----------------------------------------------------------------------

// Replaces {id} {fingerprint} {scope} {scanner} {rule} {severity} {region} {account} {event}
// {action} with the finding's URL-encoded (RFC 3986 unreserved kept) values. Any other {name}
// is an error (also what ValidateLinkTemplate reports, for `findex policy check`).
Result<std::string> ExpandLinkTemplate(std::string_view tmpl, const Finding& f, ActionEvent event,
                                       std::string_view action);
Status ValidateLinkTemplate(std::string_view tmpl);

// {{field}} substitution for format `template` (whitespace inside the braces allowed). Values are
// JSON-escaped without quotes (write "{{title}}" in the template), except {{asff}} which is the
// finding's ASFF JSON object. Fields: id, fingerprint, scope, scanner, rule, title, description,
// severity, event, action, file, line, url, resource (first resource id), vulnerability (first
// id), link (the expanded link_template), account, region, asff. Unknown fields are errors.
Result<std::string> RenderTemplate(std::string_view tmpl, const Finding& f, ActionEvent event,
                                   std::string_view action, std::string_view link);
Status ValidateTemplate(std::string_view tmpl);

// Where a finding points, as one short text: "path:12", the URL, or the first resource id.
std::string FindingLocation(const Finding& f);

// Batch order: most severe first, then new/reopened before other events, then title, then Id.
std::vector<DeliveryItem> SortForBatch(std::span<const DeliveryItem> items);
// "2 CRITICAL, 1 HIGH" and "2 new, 1 reopened" (counts of the items, most severe / first event first).
std::string SeverityCounts(std::span<const DeliveryItem> items);
std::string EventCounts(std::span<const DeliveryItem> items);

// Slack incoming webhook: {"text": fallback, "blocks": [header, summary section, one section per
// finding (top_n, most severe first), context "and K more"]}. One message for the whole batch.
// Report text is escaped for mrkdwn (& < >), so it can neither ping (<!channel>) nor link.
Result<std::string> BuildSlackPayload(const ActionDef& def, std::span<const DeliveryItem> items);
// Microsoft Teams incoming webhook (and Workflows webhook): {"type":"message","attachments":
// [{"contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,"content":
// AdaptiveCard 1.2}]}, the shape Microsoft documents for incoming webhooks.
Result<std::string> BuildTeamsPayload(const ActionDef& def, std::span<const DeliveryItem> items);
// Generic: one item -> the finding's ASFF JSON object; more -> {"event","action","count",
// "findings":[ASFF...]} (all items must share one event: Deliver sends one message per event).
Result<std::string> BuildGenericPayload(const ActionDef& def, std::span<const DeliveryItem> items);

// Jira REST API v2 bodies.
std::string JiraSummary(const Finding& f);  // "[findex] CRITICAL: title", <= 255 characters
Result<std::string> BuildJiraIssue(const ActionDef& def, const DeliveryItem& item);  // {"fields":{...}}
Result<std::string> BuildJiraComment(const ActionDef& def, const DeliveryItem& item);  // {"body": ...}

// ---- HTTP ---------------------------------------------------------------------------------

struct HttpRequest {
  std::string method = "POST";  // POST or GET
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type: application/json is added for a body
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::string body;       // at most HttpOptions::max_response_bytes
  int retry_after_s = -1;  // Retry-After header in seconds; -1: none
};

struct HttpOptions {
  int64_t connect_timeout_ms = 10000;
  int64_t timeout_ms = 30000;
  std::string ca_file;       // extra trust anchor file (PEM), e.g. a test's self-signed cert; empty: system store
  std::string no_proxy;      // CURLOPT_NOPROXY; empty: curl's default ($no_proxy); tests pass "*"
  size_t max_response_bytes = 64 * 1024;
  RetryPolicy retry;
};

// Outcome of a request with retries.
struct HttpOutcome {
  bool ok = false;      // a 2xx response
  int attempts = 0;
  HttpResponse response;  // the last response (status 0 when the last attempt had none)
  std::string error;    // not redacted here: callers redact (Deliver does)
};

// libcurl easy interface. TLS peer and host verification are always on (no option turns them
// off); redirects are not followed (a 3xx is a failure); only http and https are allowed.
class HttpClient {
 public:
  using Sleeper = std::function<void(std::chrono::milliseconds)>;
  explicit HttpClient(HttpOptions options = {});
  // Replaces the sleep between attempts (tests record the waits instead of waiting).
  void set_sleeper(Sleeper s) { sleeper_ = std::move(s); }
  const HttpOptions& options() const { return options_; }
  HttpOptions& mutable_options() { return options_; }

  // A copy with `def`'s timeouts and retry policy (connect_timeout_s, timeout_s, retry); the CA
  // file, proxy setting, response cap and sleeper stay. Deliver uses it for every action.
  HttpClient ForAction(const ActionDef& def) const;

  // One attempt; an Error for a transport failure (kIo: retryable; kInvalidArgument: not).
  Result<HttpResponse> SendOnce(const HttpRequest& req) const;
  // Attempts per options().retry.
  HttpOutcome Send(const HttpRequest& req) const;

  // The wait before attempt `attempt` (2, 3, ...): initial x multiplier^(attempt-2), capped;
  // a Retry-After (seconds) takes over up to the cap.
  static int64_t BackoffMs(const RetryPolicy& p, int attempt, int retry_after_s);

 private:
  HttpOptions options_;
  Sleeper sleeper_;
};

// First line of a response body (trimmed, at most 200 bytes), for error messages.
std::string FirstLine(std::string_view body);

// ---- Jira ---------------------------------------------------------------------------------

// Jira REST API v2 on `spec` (expanded secrets). Each call uses client.Send (retries).
class JiraClient {
 public:
  JiraClient(const JiraSpec& spec, const HttpClient& client, Redactor& redactor);
  // POST /rest/api/2/issue: the created key.
  Result<std::string> CreateIssue(const std::string& body_json, int* attempts = nullptr, int* status = nullptr);
  // POST /rest/api/2/issue/{key}/comment.
  Status AddComment(const std::string& key, const std::string& body_json, int* attempts = nullptr,
                    int* status = nullptr);
  // GET /rest/api/2/issue/{key}/transitions, then POST .../transitions {"transition":{"id"}} for
  // the transition whose name (case-insensitive) or id is `name_or_id`.
  Status Transition(const std::string& key, const std::string& name_or_id, int* attempts = nullptr,
                    int* status = nullptr);

 private:
  HttpRequest Request(std::string method, std::string path, std::string body) const;
  std::string base_;
  std::string auth_header_;
  const HttpClient& client_;
};

// ---- commands -----------------------------------------------------------------------------

// The environment a command gets, on top of findex's own: FINDEX_ACTION (action name),
// FINDEX_EVENT (new, reopened, ...), FINDEX_FINDING_ID (ASFF Id), FINDEX_FINGERPRINT (32 hex),
// FINDEX_SEVERITY (label), FINDEX_SCOPE, FINDEX_SCANNER, FINDEX_RULE (GeneratorId).
std::vector<std::pair<std::string, std::string>> CommandEnvironment(const ActionDef& def, const DeliveryItem& item);

// Runs spec.argv (expanded) without a shell (or /bin/sh -c when spec.shell) in a new process
// group, stdin = `input`, the extra environment added; kills the group after spec.timeout_s.
// ok = exit status 0. output = stdout then stderr (each its first max_output_bytes), redacted.
DeliveryResult RunCommand(const CommandSpec& spec, std::string_view input,
                          const std::vector<std::pair<std::string, std::string>>& extra_env,
                          const Redactor& redactor);

// ---- validation (findex policy check) ------------------------------------------------------

// What is wrong with an action as written (secrets not expanded); `field` is the policy key path
// ("webhook.url", "jira.token", "command", "retry.max_attempts", ...) for the parser to place.
struct ActionProblem {
  std::string field;
  std::string message;
};
// Checks: a name; `on` not empty; webhook url present and http(s) (or starting with ${VAR}),
// template format has a valid template, link_template placeholders, top_n 1..40; jira url,
// project, issue_type, token present, user for basic auth; command argv not empty; timeouts >= 1;
// retry.max_attempts 1..10, backoffs >= 0, multiplier >= 1; ${VAR} syntax in every secret field.
std::vector<ActionProblem> ValidateAction(const ActionDef& def);

// ---- one action, one run ------------------------------------------------------------------

// One message (HTTP request or command run) that Deliver would send. PlanDelivery on the
// definition as written (secrets NOT expanded) is what `findex act --dry-run` prints: the URL,
// headers and argv show ${VAR}, never a value. Deliver sends exactly these messages (built from
// the expanded definition).
struct PlannedMessage {
  std::vector<size_t> items;  // indices into `items` this message delivers
  std::string method;         // "POST" (webhook, Jira) or "RUN" (command)
  std::string target;         // webhook URL; Jira URL of the call; command argv joined with spaces
  std::vector<std::pair<std::string, std::string>> headers;  // webhook headers (as in the definition)
  std::string body;           // JSON body; a command's stdin (the finding's ASFF JSON)
  std::string note;           // e.g. "then transition 'Done'"; "skipped: ..." when nothing is sent
  bool skipped = false;
  std::string error;          // the body could not be built (bad template); nothing is sent
};
std::vector<PlannedMessage> PlanDelivery(const ActionDef& def, std::span<const DeliveryItem> items);

struct DeliverOptions {
  // Required for webhook and jira actions: the CA file, proxy setting and sleeper to use; the
  // timeouts and retries are the action's (HttpClient::ForAction).
  const HttpClient* http = nullptr;
};

// Delivers `items` (all due for `def`; the caller filtered by match and `on`) with `def`'s
// secrets already expanded (ExpandSecrets, same redactor). Returns one result per item, in the
// order of `items`:
//  - webhook slack/teams: ONE message for all items (every item shares its result);
//    generic: one message per event (items of one event share it); template: one per item.
//  - jira: per item. new (or reopened without a key): create an issue (response_key = its key);
//    with jira_key: comment on it (reopened, resolved, suppressed, sla_breached), and on resolved
//    apply transition_on_resolve when set. No key and not new/reopened: skipped.
//  - command: per item, the finding's ASFF JSON on stdin.
std::vector<DeliveryResult> Deliver(const ActionDef& def, std::span<const DeliveryItem> items,
                                    const DeliverOptions& opts, Redactor& redactor);

}  // namespace findex
