// Response-action delivery (issue 12, rules/deliver.h): ${VAR} secrets and redaction, payload
// builders (golden JSON), batching, and delivery against a local HTTP server on 127.0.0.1 that
// the test runs in a thread (webhooks, Jira REST v2, retries, 4xx, timeouts), the command
// runner, and TLS verification against a local HTTPS server (tests/tools/https_echo_server.py,
// a self-signed certificate made with the openssl CLI; skipped when python3 or openssl is absent).
// Nothing leaves the machine.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "normalize/asff_writer.h"
#include "normalize/finding.h"
#include "normalize/text.h"
#include "rules/action.h"
#include "rules/deliver.h"
#include "rules/deliver_util.h"

namespace findex {
namespace {

// ---- fixtures -----------------------------------------------------------------------------

Finding MakeFinding(std::string title, SeverityLabel label, std::string scanner = "trivy", std::string rule = "CVE-2024-0001",
                    std::string file = "go.sum", int line = 0, uint8_t fp = 1) {
  Finding f;
  f.scanner = scanner;
  f.format = scanner;
  f.generator_id = rule;
  f.title = std::move(title);
  f.description = "Description of " + f.title;
  f.severity.label = label;
  f.severity.normalized = DefaultNormalized(label);
  f.location.file_path = std::move(file);
  f.location.start_line = line;
  f.fingerprint.bytes.fill(0);
  f.fingerprint.bytes[15] = fp;
  Resource r;
  r.id = "repo/" + f.location.file_path;
  f.resources.push_back(r);
  Finalize(f, AsffContext{}, "repo:main", "2026-12-01T00:00:00.000Z");
  return f;
}

EnvLookup MapEnv(std::map<std::string, std::string> m) {
  return [m](std::string_view name) -> std::optional<std::string> {
    auto it = m.find(std::string(name));
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

simdjson::dom::element ParseJson(simdjson::dom::parser& p, const std::string& s) {
  simdjson::dom::element e;
  EXPECT_EQ(p.parse(s).get(e), simdjson::SUCCESS) << s;
  return e;
}

std::string Str(simdjson::dom::element e) {
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) return "<not a string>";
  return std::string(s);
}

// ---- a local HTTP/1.1 server on 127.0.0.1 (one request per connection) -------------------

struct Received {
  std::string method, path, body;
  std::map<std::string, std::string> headers;  // lower-case names
};

struct Reply {
  Reply(int s = 200, std::string b = "ok", std::vector<std::pair<std::string, std::string>> h = {}, int delay = 0)
      : status(s), body(std::move(b)), headers(std::move(h)), delay_ms(delay) {}
  int status;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int delay_ms;  // before answering (a slow receiver)
};

class LocalServer {
 public:
  using Handler = std::function<Reply(const Received&)>;
  explicit LocalServer(Handler h) : handler_(std::move(h)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~LocalServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string Url(std::string_view path) const { return "http://127.0.0.1:" + std::to_string(port_) + std::string(path); }
  std::vector<Received> requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      Serve(c);
      ::close(c);
    }
  }
  static bool ReadSome(int c, std::string& buf) {
    pollfd p{c, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return false;
    char tmp[4096];
    ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
    return true;
  }
  void Serve(int c) {
    std::string buf;
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadSome(c, buf)) return;
    }
    Received r;
    std::istringstream head(buf.substr(0, end));
    std::string line;
    std::getline(head, line);
    std::istringstream first(line);
    first >> r.method >> r.path;
    size_t content_length = 0;
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = ToLower(line.substr(0, colon));
      std::string value = Trim(line.substr(colon + 1));
      r.headers[name] = value;
      if (name == "content-length") content_length = std::stoul(value);
    }
    r.body = buf.substr(end + 4);
    while (r.body.size() < content_length) {
      std::string more;
      if (!ReadSome(c, more)) return;
      r.body += more;
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      requests_.push_back(r);
    }
    Reply reply = handler_(r);
    if (reply.delay_ms > 0) {
      // Wait, but give up as soon as the client hangs up (its timeout).
      auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(reply.delay_ms);
      while (std::chrono::steady_clock::now() < until && !stop_) {
        pollfd p{c, POLLIN, 0};
        if (::poll(&p, 1, 20) > 0) {
          char tmp[16];
          if (::recv(c, tmp, sizeof tmp, MSG_DONTWAIT) == 0) return;
        }
      }
    }
    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\nContent-Length: " +
                      std::to_string(reply.body.size()) + "\r\nConnection: close\r\n";
    for (const auto& [k, v] : reply.headers) out += k + ": " + v + "\r\n";
    out += "\r\n" + reply.body;
    ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<Received> requests_;
};

// A scripted sequence of replies; the last one repeats.
LocalServer::Handler Sequence(std::vector<Reply> replies) {
  auto state = std::make_shared<std::pair<std::mutex, std::deque<Reply>>>();
  for (Reply& r : replies) state->second.push_back(std::move(r));
  return [state](const Received&) {
    std::lock_guard<std::mutex> l(state->first);
    Reply r = state->second.front();
    if (state->second.size() > 1) state->second.pop_front();
    return r;
  };
}

// The client tests pass to Deliver: no proxy, waits recorded instead of slept. Timeouts and
// retries come from the action (TestDef).
HttpClient TestClient(std::vector<int64_t>* sleeps) {
  HttpOptions o;
  o.no_proxy = "*";
  HttpClient c(o);
  c.set_sleeper([sleeps](std::chrono::milliseconds ms) {
    if (sleeps != nullptr) sleeps->push_back(ms.count());
  });
  return c;
}

// Retries for tests: 3 attempts, waits of 100 and 200 ms (recorded by TestClient's sleeper,
// never slept).
ActionDef TestDef() {
  ActionDef d;
  d.retry.max_attempts = 3;
  d.retry.initial_backoff_ms = 100;
  d.retry.multiplier = 2;
  d.retry.max_backoff_ms = 1000;
  d.connect_timeout_s = 2;
  d.timeout_s = 5;
  return d;
}

ActionDef WebhookAction(WebhookFormat format, std::string url) {
  ActionDef d = TestDef();
  d.name = "page-appsec";
  d.kind = ActionKind::kWebhook;
  d.webhook.url = std::move(url);
  d.webhook.format = format;
  return d;
}

// ---- secrets ------------------------------------------------------------------------------

TEST(DeliverSecretsTest, ExpandEnvReplacesVariablesAndRegistersValues) {
  Redactor red;
  auto env = MapEnv({{"HOOK", "https://hooks.example/T0/B0/s3cr3t"}, {"EMPTY", ""}});
  Result<std::string> r = ExpandEnv("url=${HOOK} e=[${EMPTY}] lit=$${HOOK} $5", env, &red);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*r, "url=https://hooks.example/T0/B0/s3cr3t e=[] lit=${HOOK} $5");
  EXPECT_EQ(red.Redact("POST https://hooks.example/T0/B0/s3cr3t failed"), "POST *** failed");
}

TEST(DeliverSecretsTest, UnsetVariableIsAnErrorNamingItNotAnyValue) {
  auto env = MapEnv({{"TOKEN", "tok-123456"}});
  Result<std::string> r = ExpandEnv("Bearer ${TOKEN} ${MISSING_VAR}", env);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("MISSING_VAR"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("tok-123456"), std::string::npos);
  EXPECT_FALSE(ExpandEnv("${UNTERMINATED", env).ok());
  EXPECT_FALSE(ExpandEnv("${1BAD}", env).ok());
  EXPECT_FALSE(ExpandEnv("${}", env).ok());
}

TEST(DeliverSecretsTest, RedactorHidesEveryFormLongestFirst) {
  Redactor red;
  red.Add("abc");
  red.Add("abcdef");
  red.Add("a b/c");
  red.Add("");  // ignored
  EXPECT_EQ(red.Redact("x abcdef y abc z"), "x *** y *** z");
  EXPECT_EQ(red.Redact("path=a%20b%2Fc raw=a b/c"), "path=*** raw=***");
  Redactor quotes;
  quotes.Add("p\"w");
  EXPECT_EQ(quotes.Redact(R"({"token":"p\"w"})"), R"({"token":"***"})");
  EXPECT_EQ(red.Redact("nothing here"), "nothing here");
}

TEST(DeliverSecretsTest, ExpandSecretsNamesActionAndField) {
  ActionDef d = WebhookAction(WebhookFormat::kSlack, "${HOOK}");
  d.webhook.headers["Authorization"] = "Bearer ${TOKEN}";
  Redactor red;
  Result<ActionDef> bad = ExpandSecrets(d, MapEnv({{"HOOK", "http://h/x"}}), red);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("page-appsec"), std::string::npos);
  EXPECT_NE(bad.error().message.find("header Authorization"), std::string::npos);
  EXPECT_NE(bad.error().message.find("TOKEN"), std::string::npos);
  Redactor red2;
  Result<ActionDef> ok = ExpandSecrets(d, MapEnv({{"HOOK", "http://h/x"}, {"TOKEN", "t0k3n"}}), red2);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->webhook.url, "http://h/x");
  EXPECT_EQ(ok->webhook.headers.at("Authorization"), "Bearer t0k3n");
  EXPECT_EQ(d.webhook.url, "${HOOK}");  // the definition itself is untouched
  EXPECT_EQ(red2.Redact("t0k3n"), "***");
}

TEST(DeliverSecretsTest, EventNamesRoundTrip) {
  for (ActionEvent e : {ActionEvent::kNew, ActionEvent::kReopened, ActionEvent::kResolved, ActionEvent::kSuppressed,
                        ActionEvent::kSlaBreached}) {
    EXPECT_EQ(ParseActionEvent(ToString(e)), e);
  }
  EXPECT_EQ(ParseActionEvent("SLA_Breached"), ActionEvent::kSlaBreached);
  EXPECT_FALSE(ParseActionEvent("closed").has_value());
  ActionDef d;
  EXPECT_TRUE(d.Handles(ActionEvent::kNew));
  EXPECT_TRUE(d.Handles(ActionEvent::kReopened));
  EXPECT_FALSE(d.Handles(ActionEvent::kResolved));
}

// ---- links and templates ------------------------------------------------------------------

// One encoder serves the Jira path segment, link placeholders and the Redactor's encoded form.
TEST(DeliverUtilTest, PercentEncodeKeepsOnlyRfc3986Unreserved) {
  // Unreserved (RFC 3986 2.3): kept as is.
  const std::string unreserved = "ABCXYZabcxyz0189-._~";
  EXPECT_EQ(PercentEncode(unreserved), unreserved);
  // gen-delims and sub-delims (2.2) are encoded, as are space and '%' itself.
  EXPECT_EQ(PercentEncode(":/?#[]@"), "%3A%2F%3F%23%5B%5D%40");
  EXPECT_EQ(PercentEncode("!$&'()*+,;="), "%21%24%26%27%28%29%2A%2B%2C%3B%3D");
  EXPECT_EQ(PercentEncode("a b%c"), "a%20b%25c");
  // Controls, DEL and every byte of a UTF-8 sequence, with upper-case hex.
  EXPECT_EQ(PercentEncode(std::string("\x00\n\x7f", 3)), "%00%0A%7F");
  EXPECT_EQ(PercentEncode("caf\xc3\xa9"), "caf%C3%A9");
  EXPECT_EQ(PercentEncode("\xff"), "%FF");
  EXPECT_EQ(PercentEncode(""), "");
  // A Jira key as one path segment: nothing in it can end the segment.
  EXPECT_EQ(PercentEncode("SEC-12/../x"), "SEC-12%2F..%2Fx");
}

TEST(DeliverPayloadTest, LinkTemplateUrlEncodesPlaceholders) {
  Finding f = MakeFinding("t", SeverityLabel::kHigh);
  Result<std::string> link =
      ExpandLinkTemplate("https://r.example/report.html#{fingerprint}?s={scope}&sev={severity}&e={event}&a={action}", f,
                         ActionEvent::kReopened, "page appsec");
  ASSERT_TRUE(link.ok()) << link.error().ToString();
  EXPECT_EQ(*link, "https://r.example/report.html#" + f.fingerprint.Hex() +
                       "?s=repo%3Amain&sev=HIGH&e=reopened&a=page%20appsec");
  Result<std::string> id = ExpandLinkTemplate("x/{id}", f, ActionEvent::kNew, "a");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->find(':'), std::string::npos);  // the ARN-like Id is encoded
  EXPECT_FALSE(ValidateLinkTemplate("x/{nope}").ok());
  EXPECT_FALSE(ValidateLinkTemplate("x/{id").ok());
  EXPECT_TRUE(ValidateLinkTemplate("https://x/{id}/{rule}").ok());
}

TEST(DeliverPayloadTest, TemplateValuesAreJsonEscaped) {
  Finding f = MakeFinding("say \"hi\"\n\\ </script> \x01", SeverityLabel::kCritical);
  const std::string tmpl = R"({"text": "{{ title }}", "sev": "{{severity}}", "ev": "{{event}}", "finding": {{asff}}})";
  ASSERT_TRUE(ValidateTemplate(tmpl).ok());
  Result<std::string> body = RenderTemplate(tmpl, f, ActionEvent::kNew, "a", "");
  ASSERT_TRUE(body.ok()) << body.error().ToString();
  simdjson::dom::parser p;
  simdjson::dom::element doc = ParseJson(p, *body);
  EXPECT_EQ(Str(doc["text"]), f.title);
  EXPECT_EQ(Str(doc["sev"]), "CRITICAL");
  EXPECT_EQ(Str(doc["ev"]), "new");
  EXPECT_EQ(Str(doc["finding"]["Id"]), f.id);
  Status unknown = ValidateTemplate("{{title}} {{secret_field}}");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("secret_field"), std::string::npos);
  EXPECT_FALSE(ValidateTemplate("{{title").ok());
}

// ---- Slack, Teams, generic: golden JSON and batching --------------------------------------

TEST(DeliverPayloadTest, SlackGoldenTwoFindings) {
  Finding crit = MakeFinding("RCE in libfoo <!channel> & co", SeverityLabel::kCritical, "trivy", "CVE-2024-0001", "go.sum", 0, 1);
  Finding high = MakeFinding("SQL injection", SeverityLabel::kHigh, "semgrep", "python.sqli", "app/db.py", 42, 2);
  ActionDef d = WebhookAction(WebhookFormat::kSlack, "http://unused");
  d.webhook.link_template = "https://findex.example/f/{fingerprint}";
  // Given in reverse order: the message lists the most severe first.
  std::vector<DeliveryItem> items = {{&high, ActionEvent::kReopened, ""}, {&crit, ActionEvent::kNew, ""}};
  Result<std::string> body = BuildSlackPayload(d, items);
  ASSERT_TRUE(body.ok()) << body.error().ToString();
  const std::string expected =
      R"({"text":"findex page-appsec: 2 findings (1 CRITICAL, 1 HIGH; 1 new, 1 reopened) in repo:main","blocks":[)"
      R"({"type":"header","text":{"type":"plain_text","text":"findex: page-appsec"}},)"
      R"({"type":"section","text":{"type":"mrkdwn","text":"*2 findings* in `repo:main`: 1 CRITICAL, 1 HIGH · 1 new, 1 reopened"}},)"
      R"({"type":"section","text":{"type":"mrkdwn","text":":red_circle: *CRITICAL* (new) <https://findex.example/f/00000000000000000000000000000001|RCE in libfoo &lt;!channel&gt; &amp; co>\n`trivy` · `CVE-2024-0001` · go.sum"}},)"
      R"({"type":"section","text":{"type":"mrkdwn","text":":large_orange_circle: *HIGH* (reopened) <https://findex.example/f/00000000000000000000000000000002|SQL injection>\n`semgrep` · `python.sqli` · app/db.py:42"}}]})";
  EXPECT_EQ(*body, expected);
}

TEST(DeliverPayloadTest, BatchIsOneMessageWithTopNAndMore) {
  std::vector<Finding> findings;
  for (int i = 0; i < 15; ++i) {
    SeverityLabel l = i == 7 ? SeverityLabel::kCritical : (i % 2 == 0 ? SeverityLabel::kLow : SeverityLabel::kMedium);
    findings.push_back(MakeFinding("finding " + std::to_string(i), l, "grype", "CVE-" + std::to_string(i), "f", 0,
                                   static_cast<uint8_t>(i + 1)));
  }
  std::vector<DeliveryItem> items;
  for (size_t i = 0; i < findings.size(); ++i) {
    items.push_back({&findings[i], i < 12 ? ActionEvent::kNew : ActionEvent::kResolved, ""});
  }
  ActionDef d = WebhookAction(WebhookFormat::kSlack, "http://unused");
  d.webhook.top_n = 4;
  Result<std::string> body = BuildSlackPayload(d, items);
  ASSERT_TRUE(body.ok());
  simdjson::dom::parser p;
  simdjson::dom::element doc = ParseJson(p, *body);
  simdjson::dom::array blocks;
  ASSERT_EQ(doc["blocks"].get_array().get(blocks), simdjson::SUCCESS);
  ASSERT_EQ(blocks.size(), 1u + 1u + 4u + 1u);  // header, summary, top 4, "and 11 more"
  EXPECT_EQ(Str(blocks.at(1)["text"]["text"]),
            "*15 findings* in `repo:main`: 1 CRITICAL, 6 MEDIUM, 8 LOW · 12 new, 3 resolved");
  EXPECT_NE(Str(blocks.at(2)["text"]["text"]).find("*CRITICAL* (new)"), std::string::npos);
  EXPECT_NE(Str(blocks.at(2)["text"]["text"]).find("finding 7"), std::string::npos);
  EXPECT_NE(Str(blocks.at(3)["text"]["text"]).find("*MEDIUM*"), std::string::npos);
  EXPECT_EQ(Str(blocks.at(6)["elements"].at(0)["text"]), "and 11 more");
  EXPECT_EQ(Str(blocks.at(6)["type"]), "context");

  Result<std::string> teams = BuildTeamsPayload(d, items);
  ASSERT_TRUE(teams.ok());
  simdjson::dom::element card = ParseJson(p, *teams);
  simdjson::dom::array body_items;
  ASSERT_EQ(card["attachments"].at(0)["content"]["body"].get_array().get(body_items), simdjson::SUCCESS);
  ASSERT_EQ(body_items.size(), 2u + 4u + 1u);
  EXPECT_EQ(Str(body_items.at(6)["text"]), "and 11 more");
}

TEST(DeliverPayloadTest, TeamsIsAnAdaptiveCardInAMessage) {
  Finding f = MakeFinding("Open redirect", SeverityLabel::kMedium, "zap", "10028", "", 0, 3);
  f.location.file_path.clear();
  f.location.url = "https://app.example/login?next=";
  ActionDef d = WebhookAction(WebhookFormat::kTeams, "http://unused");
  d.webhook.link_template = "https://console.example/{id}";
  std::vector<DeliveryItem> items = {{&f, ActionEvent::kNew, ""}};
  Result<std::string> body = BuildTeamsPayload(d, items);
  ASSERT_TRUE(body.ok());
  const std::string link = "https://console.example/" + *ExpandLinkTemplate("{id}", f, ActionEvent::kNew, "");
  const std::string expected =
      R"({"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,)"
      R"("content":{"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.2","body":[)"
      R"({"type":"TextBlock","text":"findex: page-appsec","weight":"Bolder","size":"Medium","wrap":true},)"
      R"({"type":"TextBlock","text":"1 finding in repo:main: 1 MEDIUM · 1 new","wrap":true},)"
      R"({"type":"Container","separator":true,"items":[)"
      R"({"type":"TextBlock","text":"MEDIUM · new","color":"Warning","weight":"Bolder","wrap":true},)"
      R"({"type":"TextBlock","text":"Open redirect","wrap":true},)"
      R"({"type":"FactSet","facts":[{"title":"Scanner","value":"zap"},{"title":"Rule","value":"10028"},)"
      R"({"title":"Location","value":"https://app.example/login?next="},{"title":"Scope","value":"repo:main"}]}],)"
      R"("selectAction":{"type":"Action.OpenUrl","url":")" + link + R"("}}],)"
      R"("actions":[{"type":"Action.OpenUrl","title":"Open finding","url":")" + link + R"("}]}}]})";
  EXPECT_EQ(*body, expected);
}

TEST(DeliverPayloadTest, GenericIsAsffOrABatchEnvelope) {
  Finding a = MakeFinding("A", SeverityLabel::kLow, "bandit", "B101", "a.py", 1, 1);
  Finding b = MakeFinding("B", SeverityLabel::kHigh, "bandit", "B102", "b.py", 2, 2);
  ActionDef d = WebhookAction(WebhookFormat::kGeneric, "http://unused");
  std::vector<DeliveryItem> one = {{&a, ActionEvent::kNew, ""}};
  Result<std::string> single = BuildGenericPayload(d, one);
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(*single, ToAsffJson(a));
  std::vector<DeliveryItem> two = {{&a, ActionEvent::kResolved, ""}, {&b, ActionEvent::kResolved, ""}};
  Result<std::string> batch = BuildGenericPayload(d, two);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(*batch, R"({"event":"resolved","action":"page-appsec","count":2,"findings":[)" + ToAsffJson(b) + "," +
                        ToAsffJson(a) + "]}");
  std::vector<DeliveryItem> mixed = {{&a, ActionEvent::kNew, ""}, {&b, ActionEvent::kResolved, ""}};
  EXPECT_FALSE(BuildGenericPayload(d, mixed).ok());
}

TEST(DeliverPayloadTest, JiraIssueGolden) {
  Finding f = MakeFinding("Log4Shell in {log4j} *core*", SeverityLabel::kCritical, "grype", "CVE-2021-44228",
                          "lib/log4j-core.jar", 0, 9);
  f.description = "JNDI lookup.\n{noformat}trick";
  Vulnerability v;
  v.id = "CVE-2021-44228";
  f.vulnerabilities.push_back(v);
  ActionDef d;
  d.name = "ticket";
  d.kind = ActionKind::kJira;
  d.jira.project = "SEC";
  d.jira.issue_type = "Bug";
  d.jira.priority = "Highest";
  d.jira.labels = {"findex", "kev finding"};
  DeliveryItem item{&f, ActionEvent::kNew, ""};
  Result<std::string> body = BuildJiraIssue(d, item);
  ASSERT_TRUE(body.ok());
  const std::string expected =
      R"({"fields":{"project":{"key":"SEC"},"issuetype":{"name":"Bug"},)"
      R"("summary":"[findex] CRITICAL: Log4Shell in {log4j} *core*",)"
      R"("description":"*Severity:* CRITICAL\n*Scanner:* grype\n*Rule:* CVE-2021-44228\n*Location:* lib/log4j-core.jar\n)"
      R"(*Vulnerabilities:* CVE-2021-44228\n*Scope:* repo:main\n*Finding:* )" + f.id +
      R"(\n_findex action ticket, event new_\n\n{noformat}\nJNDI lookup.\n{ noformat}trick\n{noformat}\n",)"
      R"("labels":["findex","kev_finding"],"priority":{"name":"Highest"}}})";
  EXPECT_EQ(*body, expected);
  Result<std::string> comment = BuildJiraComment(d, DeliveryItem{&f, ActionEvent::kResolved, "SEC-1"});
  ASSERT_TRUE(comment.ok());
  EXPECT_NE(comment->find(R"({"body":"findex: the finding is resolved (no longer reported).\n*Log4Shell in \\{log4j\\} \\*core\\**\n*Severity:* CRITICAL\n)"),
            std::string::npos)
      << *comment;
}

TEST(DeliverPayloadTest, BackoffIsExponentialCappedAndHonoursRetryAfter) {
  RetryPolicy p;
  p.initial_backoff_ms = 100;
  p.multiplier = 2;
  p.max_backoff_ms = 350;
  EXPECT_EQ(HttpClient::BackoffMs(p, 2, -1), 100);
  EXPECT_EQ(HttpClient::BackoffMs(p, 3, -1), 200);
  EXPECT_EQ(HttpClient::BackoffMs(p, 4, -1), 350);
  EXPECT_EQ(HttpClient::BackoffMs(p, 2, 0), 0);
  EXPECT_EQ(HttpClient::BackoffMs(p, 2, 60), 350);
}

// ---- delivery against the local server ----------------------------------------------------

TEST(DeliverHttpTest, SlackBatchArrivesAsOneRequest) {
  LocalServer server(Sequence({Reply{200, "ok"}}));
  Finding a = MakeFinding("A", SeverityLabel::kCritical, "trivy", "CVE-1", "a", 0, 1);
  Finding b = MakeFinding("B", SeverityLabel::kHigh, "trivy", "CVE-2", "b", 0, 2);
  Finding c = MakeFinding("C", SeverityLabel::kHigh, "trivy", "CVE-3", "c", 0, 3);
  ActionDef d = WebhookAction(WebhookFormat::kSlack, server.Url("/services/T0/B0/XYZ"));
  std::vector<DeliveryItem> items = {{&a, ActionEvent::kNew, ""}, {&b, ActionEvent::kNew, ""}, {&c, ActionEvent::kReopened, ""}};
  std::vector<int64_t> sleeps;
  HttpClient http = TestClient(&sleeps);
  Redactor red;
  std::vector<DeliveryResult> res = Deliver(d, items, DeliverOptions{&http}, red);
  ASSERT_EQ(res.size(), 3u);
  for (const DeliveryResult& r : res) {
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.http_status, 200);
    EXPECT_EQ(r.attempts, 1);
  }
  std::vector<Received> got = server.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].path, "/services/T0/B0/XYZ");
  EXPECT_EQ(got[0].headers["content-type"], "application/json");
  EXPECT_EQ(got[0].body, *BuildSlackPayload(d, items));
  EXPECT_TRUE(sleeps.empty());
}

TEST(DeliverHttpTest, TeamsAndGenericShapesReceived) {
  LocalServer server(Sequence({Reply{200, "1"}}));
  Finding a = MakeFinding("A", SeverityLabel::kCritical, "trivy", "CVE-1", "a", 0, 1);
  Finding b = MakeFinding("B", SeverityLabel::kLow, "trivy", "CVE-2", "b", 0, 2);
  std::vector<DeliveryItem> items = {{&a, ActionEvent::kNew, ""}, {&b, ActionEvent::kResolved, ""}};
  HttpClient http = TestClient(nullptr);
  Redactor red;
  ActionDef teams = WebhookAction(WebhookFormat::kTeams, server.Url("/webhookb2/abc"));
  for (const DeliveryResult& r : Deliver(teams, items, DeliverOptions{&http}, red)) EXPECT_TRUE(r.ok) << r.error;
  ActionDef generic = WebhookAction(WebhookFormat::kGeneric, server.Url("/hook"));
  generic.webhook.headers["X-Api-Key"] = "k";
  for (const DeliveryResult& r : Deliver(generic, items, DeliverOptions{&http}, red)) EXPECT_TRUE(r.ok) << r.error;
  std::vector<Received> got = server.requests();
  ASSERT_EQ(got.size(), 3u);  // Teams: one message; generic: one per event
  simdjson::dom::parser p;
  simdjson::dom::element card = ParseJson(p, got[0].body);
  EXPECT_EQ(Str(card["type"]), "message");
  EXPECT_EQ(Str(card["attachments"].at(0)["contentType"]), "application/vnd.microsoft.card.adaptive");
  EXPECT_EQ(Str(card["attachments"].at(0)["content"]["type"]), "AdaptiveCard");
  EXPECT_EQ(got[1].headers["x-findex-event"], "new");
  EXPECT_EQ(got[1].headers["x-findex-action"], "page-appsec");
  EXPECT_EQ(got[1].headers["x-api-key"], "k");
  EXPECT_EQ(got[1].body, ToAsffJson(a));
  EXPECT_EQ(got[2].headers["x-findex-event"], "resolved");
  EXPECT_EQ(got[2].body, ToAsffJson(b));
}

TEST(DeliverHttpTest, ServerErrorsAreRetriedWithBackoffThenSucceed) {
  LocalServer server(Sequence({Reply{503, "busy"}, Reply{500, "oops"}, Reply{200, "ok"}}));
  Finding a = MakeFinding("A", SeverityLabel::kCritical);
  std::vector<DeliveryItem> items = {{&a, ActionEvent::kNew, ""}};
  std::vector<int64_t> sleeps;
  HttpClient http = TestClient(&sleeps);
  Redactor red;
  std::vector<DeliveryResult> res = Deliver(WebhookAction(WebhookFormat::kGeneric, server.Url("/h")), items,
                                            DeliverOptions{&http}, red);
  ASSERT_EQ(res.size(), 1u);
  EXPECT_TRUE(res[0].ok) << res[0].error;
  EXPECT_EQ(res[0].attempts, 3);
  EXPECT_EQ(res[0].http_status, 200);
  EXPECT_EQ(sleeps, (std::vector<int64_t>{100, 200}));
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(DeliverHttpTest, TooManyRequestsHonoursRetryAfterAndGivesUpAfterMaxAttempts) {
  LocalServer server(Sequence({Reply{429, "slow down", {{"Retry-After", "0"}}}, Reply{502, "bad gateway\nline two"}}));
  Finding a = MakeFinding("A", SeverityLabel::kCritical);
  std::vector<DeliveryItem> items = {{&a, ActionEvent::kNew, ""}};
  std::vector<int64_t> sleeps;
  HttpClient http = TestClient(&sleeps);
  Redactor red;
  std::vector<DeliveryResult> res = Deliver(WebhookAction(WebhookFormat::kSlack, server.Url("/h")), items,
                                            DeliverOptions{&http}, red);
  EXPECT_FALSE(res[0].ok);
  EXPECT_EQ(res[0].attempts, 3);
  EXPECT_EQ(res[0].http_status, 502);
  EXPECT_EQ(res[0].error, "webhook slack: HTTP 502: bad gateway (after 3 attempts)");
  EXPECT_EQ(sleeps, (std::vector<int64_t>{0, 200}));
}

TEST(DeliverHttpTest, ClientErrorIsFinalWithTheFirstLineAndNoSecrets) {
  // The receiver echoes what it got, secrets included: the recorded error must not show them.
  LocalServer server([](const Received& r) {
    return Reply{403, "invalid_token for " + r.path + " auth=" + r.headers.at("authorization") + "\nsecond line"};
  });
  Finding a = MakeFinding("A", SeverityLabel::kCritical);
  std::vector<DeliveryItem> items = {{&a, ActionEvent::kNew, ""}};
  ActionDef d = WebhookAction(WebhookFormat::kSlack, server.Url("/services/${HOOK_PATH}"));
  d.webhook.headers["Authorization"] = "Bearer ${TOKEN}";
  Redactor red;
  Result<ActionDef> expanded =
      ExpandSecrets(d, MapEnv({{"HOOK_PATH", "T00/B00/hooksecret42"}, {"TOKEN", "bearer-secret-99"}}), red);
  ASSERT_TRUE(expanded.ok());
  std::vector<int64_t> sleeps;
  HttpClient http = TestClient(&sleeps);
  std::vector<DeliveryResult> res = Deliver(*expanded, items, DeliverOptions{&http}, red);
  EXPECT_FALSE(res[0].ok);
  EXPECT_EQ(res[0].attempts, 1);
  EXPECT_TRUE(sleeps.empty());
  EXPECT_EQ(res[0].http_status, 403);
  EXPECT_EQ(res[0].error, "webhook slack: HTTP 403: invalid_token for /services/*** auth=Bearer ***");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].headers["authorization"], "Bearer bearer-secret-99");  // it was sent
}

TEST(DeliverHttpTest, TimeoutAndRefusedConnectionAreNetworkErrors) {
  LocalServer server(Sequence({Reply{200, "late", {}, 3000}}));
  Finding a = MakeFinding("A", SeverityLabel::kCritical);
  std::vector<DeliveryItem> items = {{&a, ActionEvent::kNew, ""}};
  std::vector<int64_t> sleeps;
  HttpClient http = TestClient(&sleeps);
  Redactor red;
  ActionDef slow = WebhookAction(WebhookFormat::kGeneric, server.Url("/slow"));
  slow.timeout_s = 1;  // the server answers after 3 s
  slow.retry.max_attempts = 2;
  std::vector<DeliveryResult> res = Deliver(slow, items, DeliverOptions{&http}, red);
  EXPECT_FALSE(res[0].ok);
  EXPECT_EQ(res[0].attempts, 2);  // a timeout is retried
  EXPECT_EQ(res[0].http_status, 0);
  EXPECT_NE(ToLower(res[0].error).find("timed out"), std::string::npos) << res[0].error;

  // A port nobody listens on: bind one, note it, close it.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  sleeps.clear();
  HttpClient http2 = TestClient(&sleeps);
  res = Deliver(WebhookAction(WebhookFormat::kGeneric, "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/x"),
                items, DeliverOptions{&http2}, red);
  EXPECT_FALSE(res[0].ok);
  EXPECT_EQ(res[0].attempts, 3);
  EXPECT_EQ(sleeps, (std::vector<int64_t>{100, 200}));

  // Not http(s): final at once.
  res = Deliver(WebhookAction(WebhookFormat::kGeneric, "file:///etc/passwd"), items, DeliverOptions{&http2}, red);
  EXPECT_FALSE(res[0].ok);
  EXPECT_EQ(res[0].attempts, 1);
}

Reply JiraHandler(const Received& r, std::vector<std::string>* log) {
  log->push_back(r.method + " " + r.path);
  if (r.method == "POST" && r.path == "/jira/rest/api/2/issue") {
    return Reply{201, R"({"id":"10000","key":"SEC-7","self":"http://127.0.0.1/jira/rest/api/2/issue/10000"})"};
  }
  if (r.method == "POST" && r.path == "/jira/rest/api/2/issue/SEC-7/comment") return Reply{201, R"({"id":"1"})"};
  if (r.method == "GET" && r.path == "/jira/rest/api/2/issue/SEC-7/transitions") {
    return Reply{200, R"({"expand":"transitions","transitions":[{"id":"11","name":"In Progress"},{"id":"31","name":"Done"}]})"};
  }
  if (r.method == "POST" && r.path == "/jira/rest/api/2/issue/SEC-7/transitions") return Reply{204, ""};
  return Reply{404, "not found: " + r.path};
}

ActionDef JiraAction(const std::string& base) {
  ActionDef d = TestDef();
  d.name = "ticket";
  d.kind = ActionKind::kJira;
  d.on = {ActionEvent::kNew, ActionEvent::kResolved};
  d.jira.url = base;
  d.jira.project = "SEC";
  d.jira.user = "${JIRA_USER}";
  d.jira.token = "${JIRA_TOKEN}";
  d.jira.transition_on_resolve = "done";
  return d;
}

TEST(DeliverJiraTest, CreateThenCommentAndTransitionTheSameIssue) {
  std::vector<std::string> log;
  LocalServer server([&log](const Received& r) { return JiraHandler(r, &log); });
  Finding f = MakeFinding("Log4Shell", SeverityLabel::kCritical, "grype", "CVE-2021-44228", "app.jar", 0, 5);
  Redactor red;
  Result<ActionDef> d = ExpandSecrets(JiraAction(server.Url("/jira/")),
                                      MapEnv({{"JIRA_USER", "bot@example.com"}, {"JIRA_TOKEN", "jira-tok-777"}}), red);
  ASSERT_TRUE(d.ok());
  HttpClient http = TestClient(nullptr);
  std::vector<DeliveryItem> created = {{&f, ActionEvent::kNew, ""}};
  std::vector<DeliveryResult> res = Deliver(*d, created, DeliverOptions{&http}, red);
  ASSERT_TRUE(res[0].ok) << res[0].error;
  EXPECT_EQ(res[0].response_key, "SEC-7");
  EXPECT_EQ(res[0].http_status, 201);

  std::vector<DeliveryItem> resolved = {{&f, ActionEvent::kResolved, res[0].response_key}};
  res = Deliver(*d, resolved, DeliverOptions{&http}, red);
  ASSERT_TRUE(res[0].ok) << res[0].error;
  EXPECT_EQ(res[0].response_key, "SEC-7");
  EXPECT_EQ(log, (std::vector<std::string>{"POST /jira/rest/api/2/issue", "POST /jira/rest/api/2/issue/SEC-7/comment",
                                           "GET /jira/rest/api/2/issue/SEC-7/transitions",
                                           "POST /jira/rest/api/2/issue/SEC-7/transitions"}));
  std::vector<Received> got = server.requests();
  ASSERT_EQ(got.size(), 4u);
  // Basic auth: base64("bot@example.com:jira-tok-777").
  EXPECT_EQ(got[0].headers["authorization"], "Basic Ym90QGV4YW1wbGUuY29tOmppcmEtdG9rLTc3Nw==");
  EXPECT_EQ(got[0].body, *BuildJiraIssue(*d, created[0]));
  EXPECT_EQ(got[1].body, *BuildJiraComment(*d, resolved[0]));
  EXPECT_EQ(got[3].body, R"({"transition":{"id":"31"}})");

  // A finding with no issue: resolved has nothing to update.
  std::vector<DeliveryItem> orphan = {{&f, ActionEvent::kResolved, ""}};
  res = Deliver(*d, orphan, DeliverOptions{&http}, red);
  EXPECT_TRUE(res[0].ok);
  EXPECT_TRUE(res[0].skipped);
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST(DeliverJiraTest, BearerAuthAndFailuresWithoutSecrets) {
  LocalServer server([](const Received& r) {
    if (r.path.ends_with("/transitions")) return Reply{200, R"({"transitions":[{"id":"11","name":"In Progress"}]})"};
    return Reply{401, "unauthorized: " + r.headers.at("authorization")};
  });
  Finding f = MakeFinding("X", SeverityLabel::kHigh);
  ActionDef def = JiraAction(server.Url(""));
  def.jira.auth = JiraAuth::kBearer;
  def.jira.user = "";
  Redactor red;
  Result<ActionDef> d = ExpandSecrets(def, MapEnv({{"JIRA_TOKEN", "pat-secret-123"}}), red);
  ASSERT_TRUE(d.ok());
  HttpClient http = TestClient(nullptr);
  std::vector<DeliveryItem> items = {{&f, ActionEvent::kNew, ""}};
  std::vector<DeliveryResult> res = Deliver(*d, items, DeliverOptions{&http}, red);
  EXPECT_FALSE(res[0].ok);
  EXPECT_EQ(res[0].http_status, 401);
  EXPECT_EQ(res[0].error, "jira create issue: HTTP 401: unauthorized: Bearer ***");
  EXPECT_EQ(server.requests()[0].headers["authorization"], "Bearer pat-secret-123");

  // A transition that the workflow does not offer: named in the error, with what is available.
  std::vector<DeliveryItem> resolved = {{&f, ActionEvent::kResolved, "SEC-9"}};
  LocalServer ok_server([](const Received& r) {
    if (r.path.ends_with("/transitions")) return Reply{200, R"({"transitions":[{"id":"11","name":"In Progress"}]})"};
    return Reply{201, "{}"};
  });
  Result<ActionDef> d2 = ExpandSecrets(JiraAction(ok_server.Url("")), MapEnv({{"JIRA_USER", "u"}, {"JIRA_TOKEN", "t-t-t"}}), red);
  ASSERT_TRUE(d2.ok());
  res = Deliver(*d2, resolved, DeliverOptions{&http}, red);
  EXPECT_FALSE(res[0].ok);
  EXPECT_EQ(res[0].error, "jira: transition 'done' is not available on SEC-9 (available: In Progress (11))");
}

// ---- commands -----------------------------------------------------------------------------

ActionDef CommandAction(std::vector<std::string> argv, bool shell = false, int timeout_s = 10) {
  ActionDef d;
  d.name = "script";
  d.kind = ActionKind::kCommand;
  d.command.argv = std::move(argv);
  d.command.shell = shell;
  d.command.timeout_s = timeout_s;
  return d;
}

TEST(DeliverCommandTest, ShellGetsAsffOnStdinAndFindexEnvironment) {
  Finding f = MakeFinding("A", SeverityLabel::kCritical);
  std::vector<DeliveryItem> items = {{&f, ActionEvent::kReopened, ""}};
  Redactor red;
  ActionDef d = CommandAction(
      {"cat; echo; echo \"$FINDEX_ACTION|$FINDEX_EVENT|$FINDEX_SEVERITY|$FINDEX_SCOPE|$FINDEX_FINDING_ID|$1\"", "arg1"}, true);
  std::vector<DeliveryResult> res = Deliver(d, items, DeliverOptions{}, red);
  ASSERT_TRUE(res[0].ok) << res[0].error;
  EXPECT_EQ(res[0].exit_code, 0);
  EXPECT_EQ(res[0].output, ToAsffJson(f) + "\nscript|reopened|CRITICAL|repo:main|" + f.id + "|arg1\n");
}

TEST(DeliverCommandTest, NoShellUnlessAsked) {
  Finding f = MakeFinding("A", SeverityLabel::kLow);
  std::vector<DeliveryItem> items = {{&f, ActionEvent::kNew, ""}};
  Redactor red;
  std::vector<DeliveryResult> res =
      Deliver(CommandAction({"printf", "%s", "a b; echo injected $HOME"}), items, DeliverOptions{}, red);
  ASSERT_TRUE(res[0].ok) << res[0].error;
  EXPECT_EQ(res[0].output, "a b; echo injected $HOME");

  res = Deliver(CommandAction({"no-such-program-findex-test"}), items, DeliverOptions{}, red);
  EXPECT_FALSE(res[0].ok);
  EXPECT_NE(res[0].error.find("not found"), std::string::npos) << res[0].error;
}

TEST(DeliverCommandTest, ExitStatusBoundedRedactedOutput) {
  Finding f = MakeFinding("A", SeverityLabel::kLow);
  std::vector<DeliveryItem> items = {{&f, ActionEvent::kNew, ""}};
  Redactor red;
  ActionDef def = CommandAction({"echo \"token=$1\" >&2; head -c 100000 /dev/zero | tr '\\0' a; exit 3", "${SECRET}"}, true);
  def.command.max_output_bytes = 1000;
  Result<ActionDef> d = ExpandSecrets(def, MapEnv({{"SECRET", "cmd-secret-55"}}), red);
  ASSERT_TRUE(d.ok());
  std::vector<DeliveryResult> res = Deliver(*d, items, DeliverOptions{}, red);
  EXPECT_FALSE(res[0].ok);
  EXPECT_EQ(res[0].exit_code, 3);
  EXPECT_EQ(res[0].error, "command: exit status 3: token=***");
  EXPECT_EQ(res[0].output, std::string(1000, 'a') + "\ntoken=***\n");
}

TEST(DeliverCommandTest, TimeoutKillsTheProcessGroup) {
  char dir_tmpl[] = "/tmp/findex-deliver-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_tmpl), nullptr);
  const std::string pid_file = std::string(dir_tmpl) + "/bg.pid";
  Finding f = MakeFinding("A", SeverityLabel::kLow);
  std::vector<DeliveryItem> items = {{&f, ActionEvent::kNew, ""}};
  Redactor red;
  // A background grandchild and a foreground sleep; both must die with the group.
  std::vector<DeliveryResult> res =
      Deliver(CommandAction({"sleep 30 & echo $! > \"$1\"; sleep 30", pid_file}, true, 1), items, DeliverOptions{}, red);
  EXPECT_FALSE(res[0].ok);
  EXPECT_EQ(res[0].exit_code, -1);
  EXPECT_NE(res[0].error.find("timed out after 1 s"), std::string::npos) << res[0].error;
  std::ifstream in(pid_file);
  pid_t bg = 0;
  in >> bg;
  ASSERT_GT(bg, 0);
  // Gone, or a zombie waiting for its reaper: not running.
  bool running = false;
  for (int i = 0; i < 100; ++i) {
    std::ifstream stat("/proc/" + std::to_string(bg) + "/stat");
    std::string content;
    std::getline(stat, content);
    size_t paren = content.rfind(')');
    running = !content.empty() && paren != std::string::npos && content.size() > paren + 2 && content[paren + 2] != 'Z';
    if (!running) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(running) << "background process " << bg << " survived the timeout";
  std::filesystem::remove_all(dir_tmpl);
}

// ---- TLS ----------------------------------------------------------------------------------

bool HaveTool(const char* name) {
  std::string cmd = std::string("command -v ") + name + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

TEST(DeliverTlsTest, VerificationIsOnByDefault) {
  if (!HaveTool("openssl") || !HaveTool("python3")) GTEST_SKIP() << "openssl or python3 missing";
  char dir_tmpl[] = "/tmp/findex-tls-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_tmpl), nullptr);
  const std::string dir = dir_tmpl;
  const std::string cert = dir + "/cert.pem", key = dir + "/key.pem", port_file = dir + "/port";
  const std::string gen = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
                          "-addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(gen.c_str()), 0);
  int stdin_pipe[2];
  ASSERT_EQ(::pipe(stdin_pipe), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(stdin_pipe[0], 0);
    ::close(stdin_pipe[1]);
    const std::string script = std::string(FINDEX_SOURCE_DIR) + "/tests/tools/https_echo_server.py";
    ::execlp("python3", "python3", script.c_str(), cert.c_str(), key.c_str(), port_file.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(stdin_pipe[0]);
  std::string port;
  for (int i = 0; i < 500 && port.empty(); ++i) {
    std::ifstream in(port_file);
    std::getline(in, port);
    if (port.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(port.empty()) << "the HTTPS test server did not start";
  const std::string url = "https://127.0.0.1:" + port + "/hook";
  Finding f = MakeFinding("A", SeverityLabel::kLow);
  std::vector<DeliveryItem> items = {{&f, ActionEvent::kNew, ""}};
  Redactor red;
  std::vector<int64_t> sleeps;
  HttpClient http = TestClient(&sleeps);
  std::vector<DeliveryResult> res = Deliver(WebhookAction(WebhookFormat::kGeneric, url), items, DeliverOptions{&http}, red);
  EXPECT_FALSE(res[0].ok);
  EXPECT_EQ(res[0].attempts, 1) << "a verification failure is not retried";
  EXPECT_NE(ToLower(res[0].error).find("certificate"), std::string::npos) << res[0].error;

  http.mutable_options().ca_file = cert;  // trust the test's own certificate: verification passes
  res = Deliver(WebhookAction(WebhookFormat::kGeneric, url), items, DeliverOptions{&http}, red);
  EXPECT_TRUE(res[0].ok) << res[0].error;

  ::close(stdin_pipe[1]);  // the server exits when its stdin closes
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace findex

namespace findex {
namespace {

TEST(DeliverPlanTest, DryRunPlanShowsVariablesNotValues) {
  Finding a = MakeFinding("A", SeverityLabel::kCritical, "trivy", "CVE-1", "a", 0, 1);
  Finding b = MakeFinding("B", SeverityLabel::kHigh, "trivy", "CVE-2", "b", 0, 2);
  std::vector<DeliveryItem> items = {{&a, ActionEvent::kNew, ""}, {&b, ActionEvent::kResolved, ""}};
  ActionDef d = WebhookAction(WebhookFormat::kGeneric, "${HOOK}");
  d.webhook.headers["Authorization"] = "Bearer ${TOKEN}";
  d.webhook.link_template = "https://${HOST}/f/{fingerprint}";
  ASSERT_TRUE(ValidateLinkTemplate(d.webhook.link_template).ok());
  std::vector<PlannedMessage> plan = PlanDelivery(d, items);
  ASSERT_EQ(plan.size(), 2u);  // generic: one message per event
  EXPECT_EQ(plan[0].target, "${HOOK}");
  EXPECT_EQ(plan[0].items, (std::vector<size_t>{0}));
  EXPECT_EQ(plan[1].items, (std::vector<size_t>{1}));
  EXPECT_EQ(plan[0].headers.front(), (std::pair<std::string, std::string>{"Authorization", "Bearer ${TOKEN}"}));
  EXPECT_EQ(plan[0].body, ToAsffJson(a));

  ActionDef slack = WebhookAction(WebhookFormat::kSlack, "${HOOK}");
  slack.webhook.link_template = d.webhook.link_template;
  plan = PlanDelivery(slack, items);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_TRUE(plan[0].error.empty()) << plan[0].error;
  EXPECT_NE(plan[0].body.find("https://${HOST}/f/" + a.fingerprint.Hex()), std::string::npos);

  ActionDef jira = JiraAction("https://jira.example/");
  std::vector<DeliveryItem> jira_items = {{&a, ActionEvent::kNew, ""}, {&b, ActionEvent::kResolved, "SEC-3"},
                                          {&b, ActionEvent::kSuppressed, ""}};
  plan = PlanDelivery(jira, jira_items);
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].target, "https://jira.example/rest/api/2/issue");
  EXPECT_EQ(plan[0].body, *BuildJiraIssue(jira, jira_items[0]));
  EXPECT_EQ(plan[1].target, "https://jira.example/rest/api/2/issue/SEC-3/comment");
  EXPECT_EQ(plan[1].note, "then transition 'done'");
  EXPECT_TRUE(plan[2].skipped);

  ActionDef cmd = CommandAction({"./remediate.sh", "${ARG}"});
  plan = PlanDelivery(cmd, items);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[1].method, "RUN");
  EXPECT_EQ(plan[1].target, "./remediate.sh ${ARG}");
  EXPECT_EQ(plan[1].body, ToAsffJson(b));
}

}  // namespace
}  // namespace findex

namespace findex {
namespace {

TEST(DeliverValidateTest, ProblemsNameTheirField) {
  ActionDef ok = WebhookAction(WebhookFormat::kSlack, "${SLACK_WEBHOOK}");
  ok.webhook.link_template = "https://x/{id}";
  EXPECT_TRUE(ValidateAction(ok).empty());
  EXPECT_TRUE(ValidateAction(JiraAction("https://jira.example")).empty());
  EXPECT_TRUE(ValidateAction(CommandAction({"./remediate.sh"})).empty());

  auto fields = [](const ActionDef& d) {
    std::vector<std::string> f;
    for (const ActionProblem& p : ValidateAction(d)) f.push_back(p.field);
    return f;
  };
  ActionDef bad = WebhookAction(WebhookFormat::kTemplate, "ftp://x");
  bad.webhook.template_text = "{{nope}}";
  bad.webhook.link_template = "https://x/{nope}";
  bad.webhook.headers["Authorization"] = "Bearer ${TOKEN";
  bad.webhook.top_n = 0;
  EXPECT_EQ(fields(bad), (std::vector<std::string>{"webhook.url", "webhook.headers.Authorization", "webhook.link_template",
                                                   "webhook.top_n", "webhook.template"}));
  ActionDef jira = JiraAction("https://jira.example");
  jira.jira.user.clear();
  jira.jira.project.clear();
  EXPECT_EQ(fields(jira), (std::vector<std::string>{"jira.project", "jira.user"}));
  jira.jira.auth = JiraAuth::kBearer;
  EXPECT_EQ(fields(jira), (std::vector<std::string>{"jira.project"}));
  ActionDef cmd = CommandAction({});
  cmd.retry.max_attempts = 0;
  EXPECT_EQ(fields(cmd), (std::vector<std::string>{"retry.max_attempts", "command"}));
}

}  // namespace
}  // namespace findex
