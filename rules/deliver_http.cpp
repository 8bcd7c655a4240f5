// HttpClient over libcurl (Debian libcurl4-openssl-dev): one POST/GET with timeouts, TLS
// verification always on, no redirects, retries with exponential backoff.
#include <curl/curl.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

#include "normalize/text.h"
#include "rules/deliver.h"

namespace findex {

namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Sink {
  std::string* body;
  size_t max;
  int retry_after_s = -1;
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  Sink* s = static_cast<Sink*>(user);
  size_t len = size * n;
  if (s->body->size() < s->max) s->body->append(data, std::min(len, s->max - s->body->size()));
  return len;  // the rest is read and dropped
}

size_t ReadHeader(char* data, size_t size, size_t n, void* user) {
  Sink* s = static_cast<Sink*>(user);
  std::string_view line(data, size * n);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size() && EqualsIgnoreCase(line.substr(0, kName.size()), kName)) {
    std::string v = Trim(line.substr(kName.size()));
    if (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }) && v.size() < 7) {
      s->retry_after_s = std::atoi(v.c_str());
    }
  }
  return size * n;
}

bool Retryable(int status, const std::string& body) {
  if (status == 429 || (status >= 500 && status <= 599)) return true;
  // Teams connectors answer 200 with this text when they throttle (Microsoft's documentation).
  return status == 200 && body.find("HTTP error 429") != std::string::npos;
}

}  // namespace

std::string FirstLine(std::string_view body) {
  size_t end = body.find_first_of("\r\n");
  std::string_view line = body.substr(0, end);
  std::string t = Trim(line);
  if (t.size() > 200) {
    t = TruncateUtf8(t, 200);
  }
  return t;
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  sleeper_ = [](std::chrono::milliseconds ms) { std::this_thread::sleep_for(ms); };
}

HttpClient HttpClient::ForAction(const ActionDef& def) const {
  HttpClient c = *this;
  c.options_.connect_timeout_ms = static_cast<int64_t>(std::max(1, def.connect_timeout_s)) * 1000;
  c.options_.timeout_ms = static_cast<int64_t>(std::max(1, def.timeout_s)) * 1000;
  c.options_.retry = def.retry;
  return c;
}

int64_t HttpClient::BackoffMs(const RetryPolicy& p, int attempt, int retry_after_s) {
  if (retry_after_s >= 0) return std::min<int64_t>(static_cast<int64_t>(retry_after_s) * 1000, p.max_backoff_ms);
  double ms = static_cast<double>(p.initial_backoff_ms) * std::pow(p.multiplier, std::max(0, attempt - 2));
  if (ms > static_cast<double>(p.max_backoff_ms)) return p.max_backoff_ms;
  return static_cast<int64_t>(ms);
}

Result<HttpResponse> HttpClient::SendOnce(const HttpRequest& req) const {
  GlobalInit();
  if (!StartsWith(ToLower(req.url), "http://") && !StartsWith(ToLower(req.url), "https://")) {
    return MakeError(ErrorCode::kInvalidArgument, "the URL is not http:// or https://");
  }
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return MakeError(ErrorCode::kInternal, "curl_easy_init failed");
  CURL* h = curl.get();
  HttpResponse resp;
  Sink sink{&resp.body, options_.max_response_bytes};
  char errbuf[CURL_ERROR_SIZE] = {0};

  struct curl_slist* headers = nullptr;
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers_guard(nullptr, curl_slist_free_all);
  bool has_ct = false;
  for (const auto& [k, v] : req.headers) {
    if (EqualsIgnoreCase(k, "content-type")) has_ct = true;
    std::string line = k + ": " + v;
    headers = curl_slist_append(headers, line.c_str());
  }
  if (!req.body.empty() && !has_ct) headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json, text/plain, */*");
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  headers_guard.reset(headers);

  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.no_proxy.empty()) curl_easy_setopt(h, CURLOPT_NOPROXY, options_.no_proxy.c_str());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "findex");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, ReadHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  if (req.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }

  // With CURLOPT_NOSIGNAL (threads), libcurl leaves SIGPIPE to the application: block it in this
  // thread while curl writes, and swallow one that a peer's early close raised.
  sigset_t pipe_set, old_mask, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  CURLcode rc = curl_easy_perform(h);
  if (!was_pending) {
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) == 1) {
      timespec zero{};
      sigtimedwait(&pipe_set, nullptr, &zero);
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (rc != CURLE_OK) {
    std::string msg = errbuf[0] != 0 ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
    // TLS verification failures and refused protocols will not heal by retrying.
    bool final = rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
                 rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT || rc == CURLE_SSL_CERTPROBLEM;
    return MakeError(final ? ErrorCode::kInvalidArgument : ErrorCode::kIo, msg);
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  resp.status = static_cast<int>(status);
  resp.retry_after_s = sink.retry_after_s;
  return resp;
}

HttpOutcome HttpClient::Send(const HttpRequest& req) const {
  HttpOutcome out;
  const int max_attempts = std::max(1, options_.retry.max_attempts);
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    if (attempt > 1) {
      sleeper_(std::chrono::milliseconds(BackoffMs(options_.retry, attempt, out.response.retry_after_s)));
    }
    out.attempts = attempt;
    Result<HttpResponse> r = SendOnce(req);
    if (!r) {
      out.response = HttpResponse{};
      out.error = r.error().message;
      if (r.error().code != ErrorCode::kIo) return out;
      continue;
    }
    out.response = std::move(r.value());
    const int status = out.response.status;
    if (status >= 200 && status <= 299 && !Retryable(status, out.response.body)) {
      out.ok = true;
      out.error.clear();
      return out;
    }
    std::string line = FirstLine(out.response.body);
    out.error = "HTTP " + std::to_string(status) + (line.empty() ? std::string() : ": " + line);
    if (!Retryable(status, out.response.body)) return out;
  }
  if (out.attempts > 1) out.error += " (after " + std::to_string(out.attempts) + " attempts)";
  return out;
}

}  // namespace findex
