// findex ingest: files, folders (recursive) or '-' -> store. Parsing runs on worker threads,
// one writer thread (this one) owns the SQLite connection; each file is one transaction.
#include <fcntl.h>
#include <fnmatch.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/policy_util.h"
#include "ingest/driver.h"
#include "ingest/pipeline.h"
#include "ingest/registry.h"
#include "ingest/respond.h"
#include "normalize/fingerprint.h"
#include "normalize/json_writer.h"
#include "store/store.h"

namespace fs = std::filesystem;

namespace findex::cli {
namespace {

// --- SIGINT / SIGTERM ----------------------------------------------------------------------------
// The handler only records the signal and wakes the stream reader through a pipe; the ingest
// then stops between records: a stream stores what it read, a file's open transaction rolls
// back. Installed without SA_RESTART, so a blocking read of stdin returns. A second signal
// while stopping ends the process at once (default action).
std::atomic<int> g_stop_signal{0};
int g_stop_pipe[2] = {-1, -1};

extern "C" void OnStopSignal(int sig) {
  if (g_stop_signal.exchange(sig) != 0) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  if (g_stop_pipe[1] >= 0) {
    char c = 1;
    [[maybe_unused]] ssize_t n = ::write(g_stop_pipe[1], &c, 1);
  }
}

void InstallStopHandlers() {
  if (g_stop_pipe[0] < 0 && ::pipe2(g_stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) g_stop_pipe[0] = g_stop_pipe[1] = -1;
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: read() and poll() return EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A wait for another writer stops too.
  Store::SetLockWaitHooks([](const std::string& msg) { spdlog::warn("{}", msg); },
                          [] { return g_stop_signal.load() != 0; });
}

bool StopRequested() { return g_stop_signal.load() != 0; }
int StopExitCode() { return 128 + g_stop_signal.load(); }
const char* StopSignalName() { return g_stop_signal.load() == SIGINT ? "SIGINT" : "SIGTERM"; }

struct IngestFlags {
  std::vector<std::string> paths;
  std::string scope = "default";
  std::string scope_from_path;
  std::vector<std::string> format;  // NAME, NAME=GLOB (ParseFormatRules)
  std::string summary = "text";
  std::string progress = "auto";
  std::vector<std::string> excludes;
  std::vector<std::string> params;
  int jobs = 0;
  double flush_seconds = 5.0;
  std::string max_report_size;  // --max-report-size (default: Source's 2 GiB)
  PolicyFlags policy;
  std::string target;             // --target: overrides what every report says it scanned
  std::string max_rejects = "0";  // --max-rejects N|P%
  bool no_actions = false;        // --no-actions: record the policy's deliveries, send none
};

// The policy as the store calls it, at the ingest's clock.
std::function<PolicyDecision(const Finding&)> PolicyHook(const std::shared_ptr<const Policy>& p,
                                                         const std::string& now) {
  if (!p) return nullptr;
  const int64_t now_ms = ToUnixMs(now);
  return [p, now_ms](const Finding& f) { return Evaluate(*p, f, now_ms); };
}

bool Excluded(const std::string& path, const std::vector<std::string>& excludes) {
  std::string name = fs::path(path).filename().string();
  for (const auto& pat : excludes) {
    if (fnmatch(pat.c_str(), name.c_str(), 0) == 0 || fnmatch(pat.c_str(), path.c_str(), 0) == 0) return true;
  }
  return false;
}

Status CollectFiles(const IngestFlags& fl, std::vector<std::string>* out) {
  int stdin_count = 0;
  for (const auto& p : fl.paths) {
    if (p == "-") {
      if (++stdin_count > 1) return MakeError(ErrorCode::kInvalidArgument, "'-' (stdin) may be given once");
      out->push_back(p);
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> files;
      fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
      if (ec) return MakeError(ErrorCode::kIo, "cannot read folder: " + ec.message(), p);
      for (; it != end; it.increment(ec)) {
        if (ec) return MakeError(ErrorCode::kIo, "cannot read folder: " + ec.message(), p);
        std::string name = it->path().filename().string();
        if (!name.empty() && name[0] == '.') {  // hidden files and folders (.git, ...)
          if (it->is_directory()) it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file() && !Excluded(it->path().string(), fl.excludes)) files.push_back(it->path().string());
      }
      std::sort(files.begin(), files.end());
      out->insert(out->end(), files.begin(), files.end());
    } else if (fs::exists(p, ec)) {
      if (!Excluded(p, fl.excludes)) out->push_back(p);
    } else {
      return MakeError(ErrorCode::kIo, "no such file or folder", p);
    }
  }
  return Status::Ok();
}

class Progress {
 public:
  Progress(bool enabled, size_t total_files) : enabled_(enabled), total_(total_files), start_(Clock::now()) {}
  void Update(size_t files_done, uint64_t bytes, uint64_t findings, bool force = false) {
    if (!enabled_) return;
    auto now = Clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    double secs = std::max(1e-3, std::chrono::duration<double>(now - start_).count());
    std::fprintf(stderr, "\r\033[K[%zu/%zu files] %.1f MB, %llu findings, %.0f findings/s", files_done, total_,
                 static_cast<double>(bytes) / 1e6, static_cast<unsigned long long>(findings),
                 static_cast<double>(findings) / secs);
    std::fflush(stderr);
    shown_ = true;
  }
  void Done() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  size_t total_;
  Clock::time_point start_, last_{};
  bool shown_ = false;
};

void PrintJsonSummary(const FileResult& r) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("file", r.file).Field("format", r.format);
  w.Key("targets").BeginArray();
  for (const auto& t : r.counts.targets) w.String(t);
  w.EndArray();
  w.Key("complete")
      .Bool(r.counts.complete)
      .Key("records")
      .UInt(r.counts.records)
      .Key("new")
      .UInt(r.counts.new_)
      .Key("updated")
      .UInt(r.counts.updated)
      .Key("unchanged")
      .UInt(r.counts.unchanged)
      .Key("reopened")
      .UInt(r.counts.reopened)
      .Key("resolved")
      .UInt(r.counts.resolved)
      .Key("rejects")
      .UInt(r.counts.rejects)
      .Key("suppressed")
      .UInt(r.counts.suppressed)
      .Key("unsuppressed")
      .UInt(r.counts.unsuppressed)
      .Field("status", r.status);
  if (!r.counts.expired.empty()) {
    w.Key("expired_suppressions").BeginArray();
    for (const auto& e : r.counts.expired) w.String(e);
    w.EndArray();
  }
  if (!r.verdicts.empty()) {
    // The batch's verdict on absence per (scope, scanner, target), carried by its last report
    // about the target; `resolved` above is their sum.
    w.Key("absence").BeginArray();
    for (const auto& v : r.verdicts) {
      w.BeginObject().Field("scope", v.scope).Field("scanner", v.scanner).Field("target", v.target);
      w.Key("judged").Bool(v.judged).Key("resolved").UInt(v.resolved);
      if (!v.why_not.empty()) w.Field("why_not", v.why_not);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!r.error.empty()) w.Field("error", r.error);
  w.EndObject();
  std::fprintf(stdout, "%s\n", out.c_str());
  std::fflush(stdout);
}

void PrintTextSummary(const std::vector<FileResult>& results, double secs, uint64_t bytes) {
  RunCounts t;
  size_t failed = 0, skipped = 0;
  std::map<std::string, std::pair<size_t, RunCounts>> by_format;
  for (const auto& r : results) {
    if (r.status == "error") {
      ++failed;
      continue;
    }
    if (r.status == "unchanged") ++skipped;
    auto& [n, c] = by_format[r.format];
    ++n;
    for (RunCounts* x : {&t, &c}) {
      x->records += r.counts.records;
      x->new_ += r.counts.new_;
      x->updated += r.counts.updated;
      x->unchanged += r.counts.unchanged;
      x->reopened += r.counts.reopened;
      x->resolved += r.counts.resolved;
      x->rejects += r.counts.rejects;
      x->suppressed += r.counts.suppressed;
      x->unsuppressed += r.counts.unsuppressed;
    }
    for (const auto& e : r.counts.expired) {
      if (std::find(t.expired.begin(), t.expired.end(), e) == t.expired.end()) t.expired.push_back(e);
    }
  }
  auto row = [](const std::string& name, const std::string& files, const RunCounts& c) {
    return std::vector<std::string>{name,
                                    files,
                                    std::to_string(c.records),
                                    std::to_string(c.new_),
                                    std::to_string(c.updated),
                                    std::to_string(c.unchanged),
                                    std::to_string(c.reopened),
                                    std::to_string(c.resolved),
                                    std::to_string(c.rejects)};
  };
  const bool per_file = results.size() <= 30;
  TableWriter table({per_file ? "FILE" : "FORMAT", per_file ? "FORMAT" : "FILES", "RECORDS", "NEW", "UPDATED",
                     "UNCHANGED", "REOPENED", "RESOLVED", "REJECTS"});
  if (per_file) {
    for (const auto& r : results) {
      if (r.status == "error") continue;
      auto cells = row(r.file, r.format + (r.status == "unchanged" ? " (identical, skipped)" : ""), r.counts);
      table.Row(cells);
    }
  } else {
    for (const auto& [fmt, v] : by_format) table.Row(row(fmt, std::to_string(v.first), v.second));
  }
  table.Row(row("total", std::to_string(results.size() - failed) + " ok", t));
  table.Print(stdout, 70);
  std::fprintf(stdout, "%zu file%s, %zu failed, %zu identical to the last ingest; %.1f MB in %.2f s\n", results.size(),
               results.size() == 1 ? "" : "s", failed, skipped, static_cast<double>(bytes) / 1e6, secs);
  if (t.suppressed || t.unsuppressed) {
    std::fprintf(stdout, "policy: %llu newly suppressed, %llu no longer suppressed\n",
                 static_cast<unsigned long long>(t.suppressed), static_cast<unsigned long long>(t.unsuppressed));
  }
  for (const auto& e : t.expired) std::fprintf(stdout, "policy: suppression %s no longer applies\n", e.c_str());
  if (t.rejects > 0) {
    std::string ids;
    for (const auto& r : results) {
      if (r.counts.rejects > 0) ids += (ids.empty() ? "" : ",") + std::to_string(r.counts.run_id);
    }
    std::fprintf(stdout, "%llu records rejected, see findex sql \"SELECT * FROM rejects WHERE run_id IN (%s)\"\n",
                 static_cast<unsigned long long>(t.rejects), ids.c_str());
  }
  for (const auto& r : results) {
    for (const auto& v : r.verdicts) {
      const std::string target = v.target.empty() ? std::string("(no target)") : v.target;
      if (v.judged) {
        if (v.resolved > 0) {
          std::fprintf(stdout, "resolved %llu finding%s of %s about %s (scope %s): absent from this ingest\n",
                       static_cast<unsigned long long>(v.resolved), v.resolved == 1 ? "" : "s", v.scanner.c_str(),
                       target.c_str(), v.scope.c_str());
        }
      } else {
        std::fprintf(stdout, "not resolving for %s about %s (scope %s): %s\n", v.scanner.c_str(), target.c_str(),
                     v.scope.c_str(), v.why_not.c_str());
      }
    }
  }
}

// Reads standard input until `limit` bytes or the first line break.
std::string ReadStdinHead(size_t limit) {
  std::string head;
  char c;
  for (;;) {
    if (head.size() >= limit || StopRequested()) break;
    ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;  // the loop checks for a stop signal
    if (n != 1) break;
    head.push_back(c);
    if (c == '\n') break;
  }
  return head;
}

// Stops once past `max` bytes: Source::FromBytes then refuses the report as too large.
std::string ReadAllStdin(std::string head, uint64_t max) {
  char buf[1 << 16];
  ssize_t n;
  while (head.size() <= max && !StopRequested()) {
    n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    head.append(buf, static_cast<size_t>(n));
  }
  return head;
}

// Falco events on stdin (`tail -f events.log | findex ingest -`): lines are collapsed as they
// arrive and stored every `flush_seconds` (and at end of input), one transaction per batch
// (StreamEvents in ingest/pipeline.h).
int RunStream(const IngestFlags& fl, const Globals& g, const FormatDescriptor& fmt, std::string pending,
              const std::shared_ptr<const Policy>& policy) {
  auto store = Store::Open(g.DbPath());
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  StreamOptions so;
  so.format = &fmt;
  so.scope = fl.scope;
  so.target = fl.target;
  so.ctx = g.Context();
  so.now = [] { return Now(); };
  if (policy) so.policy_at = [policy](const std::string& now) { return PolicyHook(policy, now); };
  so.flush_seconds = fl.flush_seconds;
  so.fd = STDIN_FILENO;
  so.wake_fd = g_stop_pipe[0];
  so.stop = StopRequested;
  so.log = [](LogLevel, const std::string& msg) { spdlog::error("{}", msg); };
  if (fl.summary == "json") {
    so.on_batch = [&fmt](const RunCounts& counts) {
      FileResult r;
      r.file = "<stdin>";
      r.format = std::string(fmt.name);
      r.counts = counts;
      PrintJsonSummary(r);
    };
  }
  StreamResult sr = StreamEvents(**store, std::move(pending), so);
  if (sr.stopped) {
    std::fprintf(stderr, "findex: %s: stopped; stored %llu findings (%llu new) from %llu lines of <stdin>%s\n",
                 StopSignalName(), static_cast<unsigned long long>(sr.total.records),
                 static_cast<unsigned long long>(sr.total.new_), static_cast<unsigned long long>(sr.lines),
                 sr.failed ? "; some could not be stored (see above)" : "");
    return StopExitCode();
  }
  if (fl.summary == "text" && !g.quiet) {
    std::printf("<stdin> (%.*s stream): %llu lines, %llu findings stored, %llu new, %llu rejects\n",
                static_cast<int>(fmt.name.size()), fmt.name.data(), static_cast<unsigned long long>(sr.lines),
                static_cast<unsigned long long>(sr.total.records), static_cast<unsigned long long>(sr.total.new_),
                static_cast<unsigned long long>(sr.total.rejects));
  }
  return sr.failed ? kExitError : kExitOk;
}

// Reports of this many bytes or more (regular files named on the command line; a gzip file
// counts as its inflated size) make the
// ingest run again with glibc's malloc backing its heaps with transparent huge pages
// (GLIBC_TUNABLES=glibc.malloc.hugetlb=1; the tunable is read only at process start, hence
// the exec): the first touch of a large report's working set (simdjson's index, the findings
// in flight, SQLite's cache) was a page fault per 4 KiB. Measured on a 50 MB ZAP report:
// 39k page faults -> 10-11k, CPU 1.45-1.6 s -> 1.05-1.2 s. Costs one exec (~10 ms of CPU);
// small reports never pay it. FINDEX_NO_REEXEC=1 or any glibc.malloc.hugetlb setting of the
// user's own turns it off; when the exec fails the ingest carries on as it is.
constexpr uint64_t kHugePagesFloor = 16ull << 20;

void MaybeReexecWithHugePages(const IngestFlags& fl) {
  if (std::getenv("FINDEX_NO_REEXEC")) return;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::strstr(tunables, "glibc.malloc.hugetlb")) return;
  uint64_t total = 0;
  for (const auto& p : fl.paths) {
    struct stat st {};
    if (p == "-" || ::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    uint64_t size = static_cast<uint64_t>(st.st_size);
    // A gzip report counts as what it inflates to (its trailer's size, mod 4 GiB).
    const int fd = size >= 18 ? ::open(p.c_str(), O_RDONLY | O_CLOEXEC) : -1;
    if (fd >= 0) {
      unsigned char magic[2], isize[4];
      if (::pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b &&
          ::pread(fd, isize, 4, static_cast<off_t>(size - 4)) == 4) {
        size = std::max<uint64_t>(
            size, isize[0] | (isize[1] << 8) | (isize[2] << 16) | (static_cast<uint64_t>(isize[3]) << 24));
      }
      ::close(fd);
    }
    total += size;
  }
  if (total < kHugePagesFloor) return;
  std::string cmdline;
  {
    const int fd = ::open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) cmdline.append(buf, static_cast<size_t>(n));
    ::close(fd);
  }
  std::vector<char*> argv;
  for (size_t i = 0; i < cmdline.size(); i += std::strlen(cmdline.data() + i) + 1) argv.push_back(cmdline.data() + i);
  if (argv.empty()) return;
  argv.push_back(nullptr);
  const std::string saved = tunables ? tunables : "";
  const std::string value = (tunables && *tunables ? saved + ":" : std::string()) + "glibc.malloc.hugetlb=1";
  if (::setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  std::fflush(nullptr);
  // The binary's own path, so that the process keeps its name (ps, top, pkill).
  char exe[4096];
  const ssize_t len = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len > 0 && static_cast<size_t>(len) < sizeof exe - 1) {
    exe[len] = '\0';
    ::execv(exe, argv.data());
  }
  ::execv("/proc/self/exe", argv.data());
  // Still here: the exec failed; carry on without.
  if (tunables)
    ::setenv("GLIBC_TUNABLES", saved.c_str(), 1);
  else
    ::unsetenv("GLIBC_TUNABLES");
}

int RunIngest(const IngestFlags& fl, const Globals& g) {
  MaybeReexecWithHugePages(fl);
  SetupLogging(g);
  InstallStopHandlers();
  auto format_rules = ParseFormatRules(fl.format);
  if (!format_rules.ok()) {
    spdlog::error("{}", format_rules.error().ToString());
    return kExitError;
  }
  const FormatDescriptor* forced = FormatForFile(*format_rules, "-");
  auto loaded = LoadPolicy(fl.policy, g.quiet);
  if (!loaded.ok()) {
    spdlog::error("{}", loaded.error().ToString());
    return kExitError;
  }
  const std::shared_ptr<const Policy> policy = *loaded;
  const auto reject_limit = ParseRejectLimit(fl.max_rejects);
  if (!reject_limit) {
    spdlog::error("--max-rejects takes a count (e.g. 10) or a percentage of the report's records (e.g. 5%), got '{}'",
                  fl.max_rejects);
    return kExitError;
  }
  IngestOptions opts;
  for (const auto& p : fl.params) {
    size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      spdlog::error("--param takes KEY=VALUE, got '{}'", p);
      return kExitError;
    }
    opts.params[p.substr(0, eq)] = p.substr(eq + 1);
  }
  if (!fl.max_report_size.empty()) {
    auto max = ParseByteSize(fl.max_report_size);
    if (!max.ok()) {
      spdlog::error("--max-report-size: {}", max.error().message);
      return kExitError;
    }
    opts.limits.max_bytes = *max;
  }
  std::vector<std::string> files;
  if (Status st = CollectFiles(fl, &files); !st.ok()) {
    spdlog::error("{}", st.error().ToString());
    return kExitError;
  }
  if (files.empty()) {
    spdlog::error("no input files");
    return kExitError;
  }
  std::optional<std::string> stdin_bytes;
  if (files.size() == 1 && files[0] == "-") {
    // Event formats on stdin are streamed: `tail -f` never ends, so batches are stored as they come.
    std::string head = ReadStdinHead(64 * 1024);
    const FormatDescriptor* fmt = forced;
    if (!fmt) {
      auto detected = DetectFormat(head);
      if (detected.ok()) fmt = *detected;
    }
    if (fmt && IsEventFormat(*fmt) && !StopRequested()) return RunStream(fl, g, *fmt, std::move(head), policy);
    stdin_bytes = ReadAllStdin(std::move(head), opts.limits.max_bytes);
    if (StopRequested()) {
      std::fprintf(stderr, "findex: %s: stopped while reading <stdin>; nothing stored\n", StopSignalName());
      return StopExitCode();
    }
  }
  std::vector<PipelineInput> inputs(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    PipelineInput& in = inputs[i];
    in.path = files[i];
    in.scope = fl.scope;
    if (files[i] == "-" && stdin_bytes) in.preloaded = std::move(*stdin_bytes);
    if (!fl.scope_from_path.empty() && files[i] != "-" && !ScopeFromPath(fl.scope_from_path, files[i], &in.scope)) {
      in.error = MakeError(ErrorCode::kInvalidArgument, "path does not match --scope-from-path " + fl.scope_from_path,
                           files[i]);
    }
  }
  auto store = Store::Open(g.DbPath());
  if (!store.ok()) {
    spdlog::error("{}", store.error().ToString());
    return kExitError;
  }
  PipelineOptions po;
  po.ingest = std::move(opts);
  po.ctx = g.Context();
  po.now = Now();
  po.target = fl.target;
  if (policy) {
    po.policy = PolicyHook(policy, po.now);
    po.policy_identity = PolicyIdentity(*policy, ToUnixMs(po.now));
    // A policy may match on KEV/EPSS: a report ingested again after new feeds were loaded is
    // evaluated again, not taken for a repeat of its last ingest.
    auto feeds = (*store)->Feeds();
    if (!feeds.ok()) {
      spdlog::error("{}", feeds.error().ToString());
      return kExitError;
    }
    if (const uint64_t f = (*feeds)->Identity()) po.policy_identity ^= f * 0x9E3779B97F4A7C15ull;
    po.has_policy = true;
  }
  po.reject_limit = *reject_limit;
  po.max_rejects_text = fl.max_rejects;
  po.jobs = fl.jobs;
  const std::vector<FormatRule>& rules = *format_rules;
  po.format_for = [&rules](const std::string& path) { return FormatForFile(rules, path); };
  po.stop = StopRequested;
  po.stop_reason = [] { return std::string("interrupted by ") + StopSignalName(); };
  po.log = [](LogLevel level, const std::string& msg) {
    switch (level) {
      case LogLevel::kDebug:
        spdlog::debug("{}", msg);
        break;
      case LogLevel::kWarn:
        spdlog::warn("{}", msg);
        break;
      case LogLevel::kError:
        spdlog::error("{}", msg);
        break;
    }
  };
  const bool tty = isatty(STDERR_FILENO) != 0;
  Progress progress(!g.quiet && (fl.progress == "always" || (fl.progress == "auto" && tty)), files.size());
  po.progress = [&progress](size_t files_done, uint64_t bytes, uint64_t findings, bool final) {
    progress.Update(files_done, bytes, findings, final);
  };
  // Response actions: the store records each event an action wants in the ingest's own
  // transactions (its outbox); they are sent after the batch (below).
  if (policy && !policy->actions.empty()) (*store)->SetActionEvents(ActionEventBits(*policy));
  std::vector<std::string> batch_scopes;
  for (const auto& in : inputs) batch_scopes.push_back(in.scope);
  std::sort(batch_scopes.begin(), batch_scopes.end());
  batch_scopes.erase(std::unique(batch_scopes.begin(), batch_scopes.end()), batch_scopes.end());
  auto t0 = std::chrono::steady_clock::now();
  PipelineResult run = RunPipeline(**store, std::move(inputs), po);
  progress.Done();
  const std::vector<FileResult>& results = run.files;
  if (run.stopped) {
    size_t stored = 0;
    for (size_t k = 0; k < run.processed; ++k) stored += results[k].status == "ok" || results[k].status == "unchanged";
    std::fprintf(stderr, "findex: %s: stopped; %zu of %zu files stored, the file being stored was rolled back\n",
                 StopSignalName(), stored, results.size());
    return StopExitCode();
  }
  if (!run.close_status.ok()) {
    spdlog::error("{}: cannot resolve absent findings: {}", g.DbShown(), run.close_status.error().ToString());
  } else {
    for (const auto& v : run.verdicts) {
      if (!v.judged && !g.quiet) {
        spdlog::warn("absence not judged for {} about {} in scope {}: {}; nothing it reported before is resolved",
                     v.scanner, v.target.empty() ? std::string("(no target)") : "'" + v.target + "'", v.scope,
                     v.why_not);
      }
    }
  }
  const bool any_failed = run.any_failed;
  const uint64_t total_bytes = run.bytes;
  // Deliveries after the commits; a failed one stays recorded for `findex act` and never fails
  // the ingest.
  std::string actions_line;  // the text summary's line on response actions
  if (policy && !policy->actions.empty() && fl.no_actions) {
    actions_line = "response actions: not sent (--no-actions); `findex act` sends what was recorded";
  }
  if (policy && !policy->actions.empty() && !fl.no_actions && run.close_status.ok()) {
    RespondOptions ro;
    ro.scopes = batch_scopes;
    ro.now = po.now;
    auto r = Respond(**store, *policy, ro);
    if (!r.ok()) {
      spdlog::warn("response actions not delivered: {} (they stay pending: findex act)", r.error().ToString());
      actions_line = "response actions: not delivered (" + r.error().message + "); `findex act` retries them";
    } else {
      if (r->delivered || r->failed || r->skipped) {
        actions_line = "response actions: " + std::to_string(r->delivered) + " delivered, " +
                       std::to_string(r->failed) + " failed" +
                       (r->failed ? " (pending: `findex act` retries them)" : "") + ", " + std::to_string(r->skipped) +
                       " skipped";
      }
      for (const auto& e : r->errors) spdlog::warn("{} (pending: findex act retries it)", e);
      if ((r->delivered || r->failed) && !g.quiet) {
        spdlog::info("response actions: {} delivered, {} failed, {} skipped", r->delivered, r->failed, r->skipped);
      }
    }
  }
  if (fl.summary == "json") {
    for (const auto& res : results) PrintJsonSummary(res);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (fl.summary == "text" && !g.quiet) {
    PrintTextSummary(results, secs, total_bytes);
    if (!actions_line.empty()) std::fprintf(stdout, "%s\n", actions_line.c_str());
  }
  return any_failed ? kExitError : kExitOk;
}

}  // namespace

bool ScopeFromPath(const std::string& pattern, const std::string& path, std::string* scope) {
  auto split = [](const std::string& s) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= s.size()) {
      size_t slash = s.find('/', start);
      if (slash == std::string::npos) slash = s.size();
      if (slash > start && s.substr(start, slash - start) != ".") parts.push_back(s.substr(start, slash - start));
      start = slash + 1;
    }
    return parts;
  };
  std::vector<std::string> pat = split(pattern), segs = split(path);
  std::vector<std::string> captures;
  std::function<bool(size_t, size_t)> match = [&](size_t pi, size_t si) -> bool {
    if (pi == pat.size()) return si == segs.size();
    const std::string& p = pat[pi];
    if (p == "**") {
      for (size_t k = si; k <= segs.size(); ++k) {
        if (match(pi + 1, k)) return true;
      }
      return false;
    }
    if (si == segs.size()) return false;
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      captures.push_back(segs[si]);
      if (match(pi + 1, si + 1)) return true;
      captures.pop_back();
      return false;
    }
    if (fnmatch(p.c_str(), segs[si].c_str(), 0) != 0) return false;
    return match(pi + 1, si + 1);
  };
  if (!match(0, 0) || captures.empty()) return false;
  std::string s;
  for (const auto& c : captures) s += (s.empty() ? "" : ":") + c;
  *scope = s;
  return true;
}

void AddIngest(CLI::App& app, Globals& g, int* exit_code) {
  auto fl = std::make_shared<IngestFlags>();
  CLI::App* cmd =
      app.add_subcommand("ingest", "Ingest scanner reports (files, folders, or - for stdin) into the store");
  cmd->add_option("paths", fl->paths, "Report files, folders (recursive) or - for stdin")->required();
  cmd->add_option("--scope", fl->scope, "Scope the findings belong to, e.g. repo:branch (default: default)");
  cmd->add_option("--scope-from-path", fl->scope_from_path,
                  "Derive each file's scope from its path, e.g. 'reports/{repo}/{branch}/*' -> repo:branch");
  cmd->add_option("--format", fl->format,
                  "Force a format instead of detecting it (see `findex formats`): NAME for every file, or NAME=GLOB "
                  "for files whose name or path matches (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--summary", fl->summary, "text (default), json (one object per file on stdout) or none")
      ->check(CLI::IsMember({"text", "json", "none"}));
  cmd->add_option("--progress", fl->progress, "auto (when stderr is a terminal), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  cmd->add_option("--exclude", fl->excludes, "Skip files whose name or path matches this glob (repeatable)");
  cmd->add_option("--param", fl->params, "Format setting KEY=VALUE, e.g. cfn-nag.mode=aggregate (repeatable)");
  fl->policy.Add(cmd);
  fl->policy.AddVex(cmd);
  cmd->add_option("--target", fl->target,
                  "What every report of this call scanned (an image, a folder, a site), instead of what each report "
                  "says; findings are resolved by absence only by later reports of the same scanner about the same "
                  "target");
  cmd->add_option("--max-rejects", fl->max_rejects,
                  "Rejected records a report may have (N, or P% of its records) and still resolve, by absence, what "
                  "its scanner reported before about its target (default 0; its good records are stored either way)");
  cmd->add_option("--max-report-size", fl->max_report_size,
                  "Largest report read, as read and once a .gz is inflated, e.g. 500M, 4G (default 2G)");
  cmd->add_flag("--no-actions", fl->no_actions,
                "Send no response action (the policy's actions:); what they would send is recorded for `findex act`");
  cmd->add_option("-j,--jobs", fl->jobs, "Parser threads (default: cores - 1, at least 1)");
  cmd->add_option("--flush-seconds", fl->flush_seconds,
                  "Event streams on stdin (Falco): store a batch this often (default 5)");
  AddWaitOption(cmd);
  cmd->callback([fl, &g, exit_code] { *exit_code = RunIngest(*fl, g); });
}

}  // namespace findex::cli
