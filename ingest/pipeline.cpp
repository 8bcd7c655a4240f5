#include "ingest/pipeline.h"

#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "ingest/formats/falco.h"
#include "normalize/fingerprint.h"

namespace findex {

std::optional<RejectLimit> ParseRejectLimit(const std::string& s) {
  RejectLimit l;
  if (s.empty()) return std::nullopt;
  const bool pct = s.back() == '%';
  const std::string num = pct ? s.substr(0, s.size() - 1) : s;
  if (num.empty() || num.find_first_not_of("0123456789.") != std::string::npos) return std::nullopt;
  if (!pct && num.find('.') != std::string::npos) return std::nullopt;
  try {
    if (pct) {
      l.percent = std::stod(num);
      if (l.percent > 100) return std::nullopt;
    } else {
      l.count = std::stoull(num);
    }
  } catch (...) {
    return std::nullopt;
  }
  return l;
}

namespace {

std::string RejectsHint(int64_t run_id) {
  return "see findex sql \"SELECT * FROM rejects WHERE run_id=" + std::to_string(run_id) + "\"";
}

// A run's content identity: the report's bytes and, when there is one, what the policy does now.
uint64_t RunIdentity(uint64_t content_hash, const PipelineOptions& o) {
  if (!o.has_policy) return content_hash;
  return Hash64(Hex64(content_hash) + Hex64(o.policy_identity));
}

struct Chunk {
  std::vector<Finding> raw;                // parsed, not yet finalized (stage thread mode)
  std::vector<PreparedFinding> findings;   // ready for Store::Put
  std::vector<Reject> rejects;
  std::vector<std::string> targets;  // what the report said it scanned (FindingSink::AddTarget)
};

// One input file travelling from a parser thread (through the stage thread) to the writer.
struct Job {
  std::string path, scope;
  std::optional<std::string> preloaded;  // stdin bytes already read while sniffing
  std::mutex mu;
  std::condition_variable cv;
  bool header_ready = false;
  bool done = false;    // the parser is finished with it (status set)
  bool staged = false;  // the stage thread is finished with it (after done)
  const FormatDescriptor* format = nullptr;
  uint64_t hash = 0, bytes = 0, raw_bytes = 0;
  std::deque<Chunk> raw;     // parser -> stage thread
  std::deque<Chunk> chunks;  // -> writer
  // Chunks the writer has stored, handed back so that the thread that allocated them frees
  // them: freeing across threads serialized both on glibc's arena lock.
  std::vector<Chunk> spent;
  Status status;
  std::atomic<bool> cancel{false};
};

constexpr size_t kChunkFindings = 256;
constexpr size_t kMaxChunksQueued = 4;

class Pipeline {
 public:
  Pipeline(Store& store, const PipelineOptions& o) : store_(store), o_(o) {}
  PipelineResult Run(std::vector<PipelineInput> inputs);

 private:
  class ChunkSink;
  bool Stopped() const { return o_.stop && o_.stop(); }
  void Log(LogLevel l, const std::string& m) const {
    if (o_.log) o_.log(l, m);
  }
  void Parse(Job& job);
  void Stage();
  bool WriterDone(const Job& job) const { return stage_ ? job.staged : job.done; }

  Store& store_;
  const PipelineOptions& o_;
  std::vector<std::unique_ptr<Job>> jobs_;
  bool stage_ = false;
  std::atomic<bool> abort_{false};  // stopped: the stage thread leaves jobs it waits for
};

class Pipeline::ChunkSink : public FindingSink {
 public:
  ChunkSink(Job& job, const PipelineOptions& o, bool staged) : job_(job), o_(o), staged_(staged) {}
  Status Accept(Finding&& f) override {
    if (!o_.target.empty()) f.target = o_.target;  // --target
    if (staged_) {
      cur_.raw.push_back(std::move(f));
      if (cur_.raw.size() >= kChunkFindings) return Flush();
      return Status::Ok();
    }
    Finalize(f, o_.ctx, job_.scope, o_.now);
    cur_.findings.push_back(PrepareFinding(std::move(f)));
    if (cur_.findings.size() >= kChunkFindings) return Flush();
    return Status::Ok();
  }
  void AddReject(Reject&& r) override { cur_.rejects.push_back(std::move(r)); }
  void AddTarget(std::string_view t) override {
    if (o_.target.empty()) cur_.targets.emplace_back(t);
  }
  Status Flush() {
    if (cur_.raw.empty() && cur_.findings.empty() && cur_.rejects.empty() && cur_.targets.empty()) return Status::Ok();
    std::vector<Chunk> spent;
    {
      std::deque<Chunk>& q = staged_ ? job_.raw : job_.chunks;
      std::unique_lock lock(job_.mu);
      job_.cv.wait(lock, [&] { return q.size() < kMaxChunksQueued || job_.cancel.load(); });
      if (job_.cancel.load()) return MakeError(ErrorCode::kInternal, "cancelled");
      q.push_back(std::move(cur_));
      if (!staged_) spent.swap(job_.spent);
      job_.cv.notify_all();
    }
    cur_ = Chunk{};
    return Status::Ok();  // `spent` is freed here, on this thread, outside the lock
  }

 private:
  Job& job_;
  const PipelineOptions& o_;
  bool staged_;
  Chunk cur_;
};

void Pipeline::Parse(Job& job) {
  auto finish = [&](Status st) {
    std::lock_guard lock(job.mu);
    job.status = std::move(st);
    job.done = true;
    job.header_ready = true;
    job.cv.notify_all();
  };
  const FormatDescriptor* forced = o_.format_for ? o_.format_for(job.path) : nullptr;
  auto loaded = job.preloaded ? Source::FromBytes(std::move(*job.preloaded), "<stdin>", o_.ingest.limits)
                              : Source::FromFile(job.path, o_.ingest.limits);
  if (!loaded.ok()) return finish(loaded.error());
  Source src = std::move(loaded.value());
  const FormatDescriptor* fmt = forced;
  const bool content_free = IsContentFree(src.text());  // a clean scan once its format is known
  if (!fmt && content_free) fmt = FormatFromFileName(job.path);
  if (!fmt) {
    auto detected = DetectFormat(src.head());
    if (!detected.ok()) {
      Error e = detected.error();
      e.where = src.path();
      return finish(e);
    }
    fmt = *detected;
  }
  {
    std::lock_guard lock(job.mu);
    job.format = fmt;
    job.hash = src.content_hash();
    job.bytes = src.size();
    job.raw_bytes = src.raw_size();
    job.header_ready = true;
    job.cv.notify_all();
  }
  if (content_free) return finish(Status::Ok());  // zero findings; no reader needed
  ChunkSink sink(job, o_, stage_);
  auto res = IngestSource(src, fmt, o_.ingest, sink);
  if (!res.ok()) return finish(res.error());
  Status st = sink.Flush();
  finish(st);
}

// Finalizes and prepares the parsers' chunks for the store, job after job in the writer's order:
// with one parser thread this takes Finalize + PrepareFinding off the parser (the critical path
// on a large report), so that parsing, preparing and writing overlap.
void Pipeline::Stage() {
  for (auto& jp : jobs_) {
    Job& job = *jp;
    for (;;) {
      Chunk c;
      bool have = false, fin = false;
      std::vector<Chunk> spent;
      {
        std::unique_lock lock(job.mu);
        job.cv.wait(lock, [&] { return !job.raw.empty() || job.done || abort_.load(); });
        if (abort_.load()) return;
        if (!job.raw.empty()) {
          c = std::move(job.raw.front());
          job.raw.pop_front();
          have = true;
          job.cv.notify_all();  // room for the parser
        } else {
          fin = job.done;
        }
        spent.swap(job.spent);
      }
      spent.clear();  // freed on the thread that allocated them
      if (fin) {
        std::lock_guard lock(job.mu);
        job.staged = true;
        job.cv.notify_all();
        break;
      }
      if (!have || job.cancel.load()) continue;  // a cancelled job's chunks are dropped
      c.findings.reserve(c.raw.size());
      for (auto& f : c.raw) {
        Finalize(f, o_.ctx, job.scope, o_.now);
        c.findings.push_back(PrepareFinding(std::move(f)));
      }
      c.raw.clear();
      std::unique_lock lock(job.mu);
      job.cv.wait(lock, [&] { return job.chunks.size() < kMaxChunksQueued || job.cancel.load() || abort_.load(); });
      if (abort_.load()) return;
      if (job.cancel.load()) continue;
      job.chunks.push_back(std::move(c));
      job.cv.notify_all();
    }
  }
}

PipelineResult Pipeline::Run(std::vector<PipelineInput> inputs) {
  PipelineResult out;
  out.files.resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto job = std::make_unique<Job>();
    job->path = inputs[i].path;
    job->scope = inputs[i].scope;
    job->preloaded = std::move(inputs[i].preloaded);
    out.files[i].file = inputs[i].path == "-" ? "<stdin>" : inputs[i].path;
    if (!inputs[i].error.ok()) {
      job->status = inputs[i].error;
      job->done = job->header_ready = true;
    }
    jobs_.push_back(std::move(job));
  }
  std::vector<FileResult>& results = out.files;
  // All the files of this call are one batch: absence is judged once, at the end, over the union
  // of each scanner's reports about each target.
  store_.BeginBatch();
  BatchFailures batch_failures;

  // Parsers run ahead of the writer by at most `window` files, which bounds memory.
  unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  int nworkers = o_.jobs > 0 ? o_.jobs : static_cast<int>(std::max(1u, hw - 1));
  nworkers = std::min<int>(nworkers, static_cast<int>(jobs_.size()));
  stage_ = o_.stage_thread && nworkers == 1;
  const size_t window = static_cast<size_t>(nworkers) + 2;
  std::atomic<size_t> next{0};
  std::mutex win_mu;
  std::condition_variable win_cv;
  size_t finished = 0;  // jobs the writer is done with
  std::vector<std::thread> workers;
  for (int w = 0; w < nworkers; ++w) {
    workers.emplace_back([&] {
      ::pthread_setname_np(::pthread_self(), "findex-parse");  // names for perf and top -H
      for (;;) {
        size_t i = next.fetch_add(1);
        if (i >= jobs_.size() || Stopped()) return;
        {
          std::unique_lock lock(win_mu);
          win_cv.wait(lock, [&] { return i < finished + window; });
        }
        Job& job = *jobs_[i];
        bool pre_done;
        {
          std::lock_guard lock(job.mu);
          pre_done = job.done;
        }
        if (!pre_done && !Stopped()) Parse(job);
      }
    });
  }
  std::thread stage;
  if (stage_) {
    stage = std::thread([this] {
      ::pthread_setname_np(::pthread_self(), "findex-stage");
      Stage();
    });
  }

  auto progress = [&](size_t files_done, bool final) {
    if (o_.progress) o_.progress(files_done, out.bytes, out.findings, final);
  };
  for (size_t i = 0; i < jobs_.size(); ++i) {
    Job& job = *jobs_[i];
    FileResult& res = results[i];
    {
      std::unique_lock lock(job.mu);
      while (!job.cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return job.header_ready; })) {
        if (Stopped()) break;
      }
    }
    if (Stopped()) break;  // SIGINT/SIGTERM before this file's transaction began
    bool started = false;
    Status failure;
    if (job.format) res.format = std::string(job.format->name);
    uint64_t file_records = 0, file_rejects = 0;
    if (job.format && !(job.done && !job.status.ok())) {
      uint64_t identity = RunIdentity(job.hash, o_);
      if (!o_.target.empty()) identity = Hash64(Hex64(identity) + "\x1ftarget\x1f" + o_.target);
      auto same = store_.RepeatOf(job.scope, std::string(job.format->scanner), identity);
      if (!same.ok()) {
        failure = same.error();
      } else if (*same != 0) {
        // Not read again; recorded as a repeat, so that it is this scope's latest ingest.
        res.status = "unchanged";
        job.cancel = true;
        job.cv.notify_all();
        RunInfo info{res.file, res.format, std::string(job.format->scanner), job.scope, identity, job.bytes, o_.now,
                     IsEventFormat(*job.format), nullptr, *same};
        failure = store_.BeginRun(info);
        if (failure.ok()) {
          auto repeat = store_.CommitRepeat();
          if (repeat.ok()) res.counts = *repeat;
          else failure = repeat.error();
        }
      } else {
        RunInfo info{res.file, res.format, std::string(job.format->scanner), job.scope, identity, job.bytes, o_.now,
                     IsEventFormat(*job.format), o_.policy};
        failure = store_.BeginRun(info);
        started = failure.ok();
        if (started && !o_.target.empty()) store_.AddRunTarget(o_.target);
      }
    }
    // Drain the job: store its chunks while the run is open, drop them otherwise.
    for (;;) {
      Chunk chunk;
      bool have = false, done = false;
      {
        std::unique_lock lock(job.mu);
        // Wakes up now and then to see a stop signal while a large file is parsed.
        job.cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return !job.chunks.empty() || WriterDone(job); });
        if (!job.chunks.empty()) {
          chunk = std::move(job.chunks.front());
          job.chunks.pop_front();
          have = true;
          job.cv.notify_all();
        } else {
          done = WriterDone(job);
        }
      }
      if (Stopped() && failure.ok()) {  // SIGINT/SIGTERM: this file's transaction rolls back
        failure = MakeError(ErrorCode::kInternal,
                            (o_.stop_reason ? o_.stop_reason() : std::string("stopped")) + "; rolled back");
        job.cancel = true;
        job.cv.notify_all();
      }
      if (done) break;
      if (!have || !started || !failure.ok()) continue;
      for (const auto& t : chunk.targets) store_.AddRunTarget(t);
      file_records += chunk.findings.size();
      file_rejects += chunk.rejects.size();
      for (auto& f : chunk.findings) {
        failure = store_.Put(std::move(f));
        if (!failure.ok()) break;
      }
      for (auto& r : chunk.rejects) {
        if (!failure.ok()) break;
        if (o_.log) {
          Log(LogLevel::kDebug, res.file + ": reject at byte " + std::to_string(r.offset) + " line " +
                                    std::to_string(r.line) + " (" + r.where + "): " + r.reason);
        }
        failure = store_.PutReject(StoredReject{r.offset, r.line, r.where, r.reason});
      }
      out.findings += chunk.findings.size();
      if (!failure.ok()) {
        job.cancel = true;
        job.cv.notify_all();
      }
      {
        std::lock_guard lock(job.mu);
        if (!WriterDone(job)) job.spent.push_back(std::move(chunk));
      }
      progress(i, false);
    }
    if (failure.ok() && res.status != "unchanged" && !job.status.ok()) failure = job.status;
    if (!failure.ok()) {
      if (started) store_.AbortRun();
      res.status = "error";
      res.error = failure.error().ToString();
      res.counts = RunCounts{};
      out.any_failed = true;
      Log(LogLevel::kError, res.error.find(res.file) == std::string::npos ? res.file + ": " + res.error : res.error);
      // Its target is unknown: absence is not judged for its scanner in its scope (anywhere when
      // even its format is unknown).
      if (job.format) batch_failures.scope_scanner.emplace(job.scope, std::string(job.format->scanner));
      else batch_failures.unknown = true;
    } else if (started) {
      // A report whose every record was rejected is not a clean scan; one with rejects over
      // --max-rejects is stored but judges no absence.
      const bool all_rejected = file_records == 0 && file_rejects > 0;
      const bool complete = !all_rejected && o_.reject_limit.Allows(file_records, file_rejects);
      auto counts = store_.CommitRun(complete);
      if (!counts.ok()) {
        res.status = "error";
        res.error = counts.error().ToString();
        out.any_failed = true;
        Log(LogLevel::kError, res.file + ": " + res.error);
        batch_failures.scope_scanner.emplace(job.scope, std::string(job.format->scanner));
      } else {
        res.counts = *counts;
        if (all_rejected) {
          res.status = "error";
          res.error = "every record was rejected (" + std::to_string(file_rejects) +
                      " rejects): not a clean scan, nothing is resolved; " + RejectsHint(counts->run_id);
          out.any_failed = true;
          Log(LogLevel::kError, res.file + ": " + res.error);
        } else if (file_rejects > 0) {
          Log(LogLevel::kWarn,
              res.file + ": " + std::to_string(file_rejects) + " record" + (file_rejects == 1 ? "" : "s") +
                  " rejected, " + RejectsHint(counts->run_id) +
                  (complete ? std::string()
                            : "; over --max-rejects " + o_.max_rejects_text +
                                  ": absence resolves nothing for its target in this ingest"));
        }
      }
    }
    out.bytes += job.raw_bytes;
    {
      std::lock_guard lock(win_mu);
      finished = i + 1;
    }
    win_cv.notify_all();
    // Free the job's memory as soon as it is stored.
    {
      std::lock_guard lock(job.mu);
      job.chunks.clear();
    }
    progress(i + 1, i + 1 == jobs_.size());
    if (Stopped()) break;
  }
  out.processed = jobs_.size();
  if (Stopped()) {
    out.stopped = true;
    // Release the parser and stage threads: no more files are read.
    {
      std::lock_guard lock(win_mu);
      out.processed = finished;
      finished = jobs_.size();
    }
    win_cv.notify_all();
    abort_ = true;
    for (auto& job : jobs_) {
      job->cancel = true;
      std::lock_guard lock(job->mu);
      job->cv.notify_all();
    }
  }
  for (auto& t : workers) t.join();
  if (stage.joinable()) stage.join();
  if (out.stopped) return out;
  // The batch's closing step (one transaction): absence, per scanner and target.
  auto closed = store_.CloseBatch(batch_failures, o_.now);
  if (!closed.ok()) {
    out.close_status = closed.error();
    out.any_failed = true;
  } else {
    for (const auto& v : closed->targets) {
      for (auto& r : results) {
        if (r.counts.run_id == v.run_id) {
          r.counts.resolved += v.resolved;
          r.verdicts.push_back(v);
          break;
        }
      }
    }
    out.verdicts = closed->targets;
  }
  return out;
}

}  // namespace

PipelineResult RunPipeline(Store& store, std::vector<PipelineInput> inputs, const PipelineOptions& options) {
  Pipeline p(store, options);
  return p.Run(std::move(inputs));
}

StreamResult StreamEvents(Store& store, std::string pending, const StreamOptions& o) {
  StreamResult out;
  auto log = [&](const std::string& m) {
    if (o.log) o.log(LogLevel::kError, "<stdin>: " + m);
  };
  auto stopped = [&] { return o.stop && o.stop(); };
  const FormatDescriptor& fmt = *o.format;
  FalcoCollapser collapser;
  CollectingSink rejects;
  uint64_t offset = 0, batch_bytes = 0;
  uint32_t& line_no = out.lines;
  bool& failed = out.failed;
  RunCounts& total = out.total;
  auto store_batch = [&]() -> bool {
    CollectingSink batch;
    if (Status st = collapser.Flush(batch); !st.ok()) {
      log(st.error().ToString());
      return false;
    }
    if (batch.findings.empty() && rejects.rejects.empty()) return true;
    const std::string now = o.now ? o.now() : std::string();
    RunInfo info{"<stdin>", std::string(fmt.name), std::string(fmt.scanner), o.scope, Hash64(now + std::to_string(offset)),
                 batch_bytes, now, true, o.policy_at ? o.policy_at(now) : nullptr};
    Status st = store.BeginRun(info);
    if (st.ok() && !o.target.empty()) store.AddRunTarget(o.target);
    for (auto& f : batch.findings) {
      if (!st.ok()) break;
      if (!o.target.empty()) f.target = o.target;
      Finalize(f, o.ctx, o.scope, now);
      st = store.Put(std::move(f));
    }
    for (auto& r : rejects.rejects) {
      if (!st.ok()) break;
      st = store.PutReject(StoredReject{r.offset, r.line, r.where, r.reason});
    }
    rejects.rejects.clear();
    batch_bytes = 0;
    if (!st.ok()) {
      store.AbortRun();
      log(st.error().ToString());
      return false;
    }
    auto counts = store.CommitRun();
    if (!counts.ok()) {
      log(counts.error().ToString());
      return false;
    }
    total.records += counts->records;
    total.new_ += counts->new_;
    total.updated += counts->updated + counts->unchanged;
    total.rejects += counts->rejects;
    if (o.on_batch) o.on_batch(*counts);
    return true;
  };
  auto feed = [&](bool eof) {
    size_t start = 0;
    for (;;) {
      size_t nl = pending.find('\n', start);
      if (nl == std::string::npos) break;
      ++line_no;
      Status st = collapser.AddLine(std::string_view(pending).substr(start, nl - start), offset + start, line_no, rejects);
      if (!st.ok()) failed = true;
      start = nl + 1;
    }
    if (eof && start < pending.size()) {  // a last line without a line break (maybe truncated)
      ++line_no;
      if (!collapser.AddLine(std::string_view(pending).substr(start), offset + start, line_no, rejects).ok()) failed = true;
      start = pending.size();
    }
    offset += start;
    pending.erase(0, start);
  };
  auto last_flush = std::chrono::steady_clock::now();
  const auto interval = std::chrono::milliseconds(static_cast<int64_t>(std::max(0.05, o.flush_seconds) * 1000));
  feed(false);
  for (;;) {
    pollfd pfd[2] = {{o.fd, POLLIN, 0}, {o.wake_fd, POLLIN, 0}};
    auto left = interval - (std::chrono::steady_clock::now() - last_flush);
    int timeout = static_cast<int>(std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(left).count()));
    int pr = stopped() ? 0 : ::poll(pfd, o.wake_fd >= 0 ? 2 : 1, timeout);
    bool eof = false;
    if (stopped()) {
      // Stopped: store the complete lines read so far, then return.
      out.stopped = true;
      if (!store_batch()) failed = true;
      break;
    }
    if (pr > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buf[1 << 16];
      ssize_t n = ::read(o.fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof = true;
      } else {
        pending.append(buf, static_cast<size_t>(n));
        batch_bytes += static_cast<uint64_t>(n);
      }
      feed(eof);
    } else if (pr < 0 && errno != EINTR) {
      eof = true;
    }
    if (eof || std::chrono::steady_clock::now() - last_flush >= interval) {
      if (!store_batch()) failed = true;
      last_flush = std::chrono::steady_clock::now();
    }
    if (eof) break;
  }
  return out;
}

}  // namespace findex
