// Micro benchmarks of findex's hot paths, on inputs generated in-process from real reports
// (the corpus, else the repository's samples/): each report is replicated a few times with
// varied identifiers, to a few MB, so that the whole binary runs in seconds.
//
// Every benchmark checks its result once before timing (finding counts, non-empty output,
// store counts) and fails with SkipWithError otherwise; each reports bytes/s and items/s
// (findings/s). See bench/README.md for the figures and the end-to-end benchmark.
#include <benchmark/benchmark.h>
#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "ingest/driver.h"
#include "ingest/pipeline.h"
#include "ingest/registry.h"
#include "ingest/source.h"
#include "normalize/asff_writer.h"
#include "normalize/finding.h"
#include "normalize/fingerprint.h"
#include "store/store.h"

namespace fs = std::filesystem;

#define FINDEX_STR2(x) #x
#define FINDEX_STR(x) FINDEX_STR2(x)

namespace findex {
namespace {

// ------------------------------------------------------------------------------ inputs

std::string ReadFileOrEmpty(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A real report: $FINDEX_CORPUS, the shared corpus next to the repository, or samples/.
std::string LoadReport(const std::string& rel) {
  std::vector<fs::path> roots;
  if (const char* env = std::getenv("FINDEX_CORPUS")) roots.emplace_back(env);
  roots.emplace_back(fs::path(FINDEX_SOURCE_DIR) / ".." / "shared" / "corpus");
  roots.emplace_back(fs::path(FINDEX_SOURCE_DIR) / "samples");
  for (const auto& r : roots) {
    std::string s = ReadFileOrEmpty(r / rel);
    if (!s.empty()) return s;
  }
  std::fprintf(stderr, "micro_bench: cannot find %s (set FINDEX_CORPUS)\n", rel.c_str());
  return {};
}

void ReplaceAll(std::string* s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  size_t pos = 0;
  while ((pos = s->find(from, pos)) != std::string::npos) {
    s->replace(pos, from.size(), to);
    pos += to.size();
  }
}

// Position of the bracket that closes the one at `open` (JSON: strings skipped).
size_t MatchingBracket(std::string_view t, size_t open) {
  int depth = 0;
  bool in_str = false;
  for (size_t i = open; i < t.size(); ++i) {
    char c = t[i];
    if (in_str) {
      if (c == '\\') ++i;
      else if (c == '"') in_str = false;
      continue;
    }
    if (c == '"') in_str = true;
    else if (c == '[' || c == '{') ++depth;
    else if (c == ']' || c == '}') {
      if (--depth == 0) return i;
    }
  }
  return std::string_view::npos;
}

// The JSON array after `key` in `text`, its elements replicated `copies` times; `vary` rewrites
// the array's content (all elements, without the brackets) for copy i.
std::string ReplicateJsonArray(const std::string& text, std::string_view key, int copies,
                               const std::function<std::string(int, std::string)>& vary) {
  size_t k = text.find(key);
  if (k == std::string::npos) return {};
  size_t open = text.find('[', k);
  size_t close = open == std::string::npos ? open : MatchingBracket(text, open);
  if (close == std::string::npos) return {};
  std::string inner = text.substr(open + 1, close - open - 1);
  std::string out = text.substr(0, open + 1);
  for (int i = 0; i < copies; ++i) {
    if (i) out += ",";
    out += vary(i, inner);
  }
  out += text.substr(close);
  return out;
}

struct Input {
  std::string name;    // registry format name
  std::string text;
  uint64_t findings = 0;  // expected, measured once through the ingester
};

// ZAP: every copy is the report's sites under other host names (site, @host, instance URIs).
std::string MakeZap(int copies) {
  std::string src = LoadReport("zap-json/bcgov_zap_2.14.0_itsecgames_2024-03-31.json");
  return ReplicateJsonArray(src, "\"site\"", copies, [](int i, std::string s) {
    ReplaceAll(&s, "www.itsecgames.com", "svc-" + std::to_string(i) + ".example.com");
    return s;
  });
}

// Dependency-Check: the <dependencies> replicated, each copy with its own package namespace
// (purl) and file paths.
std::string MakeDc(int copies) {
  std::string src = LoadReport("dependency-check-xml/dd_pr6439_engine7.3.0_large.xml");
  size_t a = src.find("<dependencies>");
  size_t b = src.find("</dependencies>");
  if (a == std::string::npos || b == std::string::npos) return {};
  a += std::string_view("<dependencies>").size();
  std::string inner = src.substr(a, b - a);
  std::string out = src.substr(0, a);
  for (int i = 0; i < copies; ++i) {
    std::string c = inner;
    std::string tag = std::to_string(i);
    ReplaceAll(&c, "pkg:maven/", "pkg:maven/copy" + tag + ".");
    ReplaceAll(&c, "<filePath>", "<filePath>/builds/job-" + tag);
    out += c;
  }
  out += src.substr(b);
  return out;
}

// SARIF: the run replicated, each copy's artifact URIs under their own folder.
std::string MakeSarif(int copies) {
  std::string src = LoadReport("sarif/dd_semgrep_oss_1.69.0_juiceshop.sarif");
  return ReplicateJsonArray(src, "\"runs\"", copies, [](int i, std::string s) {
    ReplaceAll(&s, "\"uri\": \"", "\"uri\": \"svc-" + std::to_string(i) + "/");
    return s;
  });
}

// Trivy: the Results replicated with their own targets and package namespaces.
std::string MakeTrivy(int copies) {
  std::string src = LoadReport("trivy/scb_trivy_image_juiceshop_v10.2.0.json");
  return ReplicateJsonArray(src, "\"Results\"", copies, [](int i, std::string s) {
    std::string tag = std::to_string(i);
    ReplaceAll(&s, "\"Target\": \"", "\"Target\": \"copy" + tag + "/");
    ReplaceAll(&s, "pkg:npm/", "pkg:npm/copy" + tag + "/");
    ReplaceAll(&s, "pkg:apk/alpine/", "pkg:apk/alpine/copy" + tag + "-");
    ReplaceAll(&s, "\"PkgName\": \"", "\"PkgName\": \"copy" + tag + "-");
    return s;
  });
}

class CountSink : public FindingSink {
 public:
  Status Accept(Finding&& f) override {
    ++findings;
    benchmark::DoNotOptimize(f.fingerprint.bytes.data());
    return Status::Ok();
  }
  void AddReject(Reject&&) override { ++rejects; }
  uint64_t findings = 0, rejects = 0;
};

Result<IngestOutcome> IngestOnce(const Input& in, FindingSink& sink) {
  Source src = Source::FromString(in.text, in.name);
  return IngestSource(src, FindFormat(in.name), IngestOptions{}, sink);
}

const Input& GetInput(const std::string& format) {
  static std::vector<std::unique_ptr<Input>> cache;
  for (const auto& c : cache) {
    if (c->name == format) return *c;
  }
  auto in = std::make_unique<Input>();
  in->name = format;
  // Sizes: a few MB each.
  if (format == "zap-json") in->text = MakeZap(120);
  else if (format == "dependency-check-xml") in->text = MakeDc(3);
  else if (format == "sarif") in->text = MakeSarif(16);
  else if (format == "trivy") in->text = MakeTrivy(5);
  if (!in->text.empty() && FindFormat(format)) {
    CountSink sink;
    auto r = IngestOnce(*in, sink);
    if (r.ok()) in->findings = sink.findings;
    else std::fprintf(stderr, "micro_bench: %s: %s\n", format.c_str(), r.error().ToString().c_str());
  }
  cache.push_back(std::move(in));
  return *cache.back();
}

// All findings of an input, finalized as the CLI does before the store.
std::vector<Finding> Collect(const Input& in, const std::string& scope) {
  CollectingSink sink;
  Source src = Source::FromString(in.text, in.name);
  auto r = IngestSource(src, FindFormat(in.name), IngestOptions{}, sink);
  if (!r.ok()) return {};
  AsffContext ctx;
  for (auto& f : sink.findings) Finalize(f, ctx, scope, "2024-05-01T10:00:00.000Z");
  return std::move(sink.findings);
}

// ------------------------------------------------------------------------------ ingest

// Parse + extract + fingerprint, no store: a counting sink. The Source copy is not timed
// (XML parses in place, so every iteration needs a fresh buffer).
void BM_Ingest(benchmark::State& state, const char* format) {
  const Input& in = GetInput(format);
  if (in.findings == 0) {
    state.SkipWithError("input could not be generated or ingested (see stderr)");
    return;
  }
  for (auto _ : state) {
    state.PauseTiming();
    Source src = Source::FromString(in.text, in.name);
    CountSink sink;
    state.ResumeTiming();
    auto r = IngestSource(src, FindFormat(in.name), IngestOptions{}, sink);
    if (!r.ok() || sink.findings != in.findings) {
      state.SkipWithError("finding count changed between runs");
      return;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.text.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * in.findings));
  state.counters["MB"] = static_cast<double>(in.text.size()) / 1e6;
  state.counters["findings"] = static_cast<double>(in.findings);
}
BENCHMARK_CAPTURE(BM_Ingest, zap_json, "zap-json")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Ingest, dependency_check_xml, "dependency-check-xml")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Ingest, sarif, "sarif")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Ingest, trivy, "trivy")->Unit(benchmark::kMillisecond);

// simdjson alone over the same ZAP bytes (a full On-Demand walk that touches every value):
// the floor under BM_Ingest/zap_json.
void BM_SimdjsonWalk(benchmark::State& state) {
  const Input& in = GetInput("zap-json");
  simdjson::padded_string buf(in.text);
  simdjson::ondemand::parser parser;
  auto count = [&](uint64_t* out) -> bool {
    simdjson::ondemand::document doc;
    if (parser.iterate(buf).get(doc)) return false;
    simdjson::ondemand::object root;
    if (doc.get_object().get(root)) return false;
    uint64_t n = 0;
    for (auto field : root) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return false;
      if (key != "site") continue;
      simdjson::ondemand::array sites;
      if (field.value().get_array().get(sites)) return false;
      for (auto site : sites) {
        simdjson::ondemand::object so;
        if (site.get_object().get(so)) return false;
        for (auto sf : so) {
          std::string_view sk;
          if (sf.unescaped_key().get(sk)) return false;
          if (sk != "alerts") continue;
          simdjson::ondemand::array alerts;
          if (sf.value().get_array().get(alerts)) return false;
          for (auto alert : alerts) {
            simdjson::ondemand::object ao;
            if (alert.get_object().get(ao)) return false;
            for (auto af : ao) {
              std::string_view ak;
              if (af.unescaped_key().get(ak)) return false;
              std::string_view raw = af.value().raw_json_token();
              benchmark::DoNotOptimize(raw.data());
            }
            ++n;
          }
        }
      }
    }
    *out = n;
    return true;
  };
  uint64_t n = 0;
  if (!count(&n) || n != in.findings) {
    state.SkipWithError("simdjson walk disagrees with the ZAP ingester");
    return;
  }
  for (auto _ : state) {
    if (!count(&n)) state.SkipWithError("parse failed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.text.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * in.findings));
  state.SetLabel(std::string("simdjson ") + simdjson::get_active_implementation()->name());
}
BENCHMARK(BM_SimdjsonWalk)->Unit(benchmark::kMillisecond);

// ------------------------------------------------------------------------------ normalize

void BM_FingerprintOf(benchmark::State& state) {
  std::vector<std::string> sites, names;
  for (int i = 0; i < 1024; ++i) {
    sites.push_back("https://svc-" + std::to_string(i) + ".example.com");
    names.push_back("content security policy (csp) header not set " + std::to_string(i % 7));
  }
  std::unordered_set<std::string> distinct;
  for (size_t i = 0; i < sites.size(); ++i) distinct.insert(FingerprintOf({"zap", "10038", names[i], sites[i]}).Hex());
  if (distinct.size() != sites.size()) {
    state.SkipWithError("fingerprints collide");
    return;
  }
  size_t i = 0;
  uint64_t bytes = 0;
  for (auto _ : state) {
    const std::string& s = sites[i & 1023];
    const std::string& n = names[i & 1023];
    Fingerprint fp = FingerprintOf({"zap", "10038", n, s});
    benchmark::DoNotOptimize(fp.bytes.data());
    bytes += 3 + 5 + n.size() + s.size() + 4;
    ++i;
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_FingerprintOf);

void BM_ToAsffJson(benchmark::State& state, const char* format) {
  std::vector<Finding> findings = Collect(GetInput(format), "bench");
  if (findings.empty()) {
    state.SkipWithError("no findings");
    return;
  }
  std::string first = ToAsffJson(findings.front());
  if (first.empty() || first.front() != '{' || first.find("\"SchemaVersion\"") == std::string::npos) {
    state.SkipWithError("ASFF output is not a finding object");
    return;
  }
  uint64_t bytes = 0, items = 0;
  size_t i = 0;
  for (auto _ : state) {
    std::string s = ToAsffJson(findings[i]);
    bytes += s.size();
    ++items;
    benchmark::DoNotOptimize(s.data());
    if (++i == findings.size()) i = 0;
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(items));
}
BENCHMARK_CAPTURE(BM_ToAsffJson, zap_json, "zap-json");
BENCHMARK_CAPTURE(BM_ToAsffJson, trivy, "trivy");

// ------------------------------------------------------------------------------ store

std::string TempDbPath() {
  static int n = 0;
  return (fs::temp_directory_path() / ("findex_micro_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".db"))
      .string();
}

void RemoveDb(const std::string& p) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(p + suffix, ec);
}

// One run of `findings` into `store`; the copies are made before the clock runs.
Result<RunCounts> PutAll(Store& store, std::vector<Finding> findings, const std::string& scope, int run) {
  RunInfo info;
  info.file = "bench-" + std::to_string(run);
  info.format = findings.front().format;
  info.scanner = findings.front().scanner;
  info.scope = scope;
  info.content_hash = static_cast<uint64_t>(run) + 1;
  info.now = "2024-05-0" + std::to_string(1 + run % 9) + "T10:00:00.000Z";
  FINDEX_RETURN_IF_ERROR(store.BeginRun(info));
  for (auto& f : findings) FINDEX_RETURN_IF_ERROR(store.Put(std::move(f)));
  return store.CommitRun();
}

// Store::Put into a fresh store: every finding is an INSERT (+ observation row); the run's
// commit included. bytes/s counts the report bytes the findings came from.
void BM_StorePutFresh(benchmark::State& state, const char* format) {
  const Input& in = GetInput(format);
  std::vector<Finding> findings = Collect(in, "bench");
  if (findings.empty()) {
    state.SkipWithError("no findings");
    return;
  }
  uint64_t expect_new = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string path = TempDbPath();
    auto store = Store::Open(path);
    if (!store.ok()) {
      state.SkipWithError(store.error().ToString().c_str());
      return;
    }
    std::vector<Finding> copy = findings;
    state.ResumeTiming();
    auto counts = PutAll(**store, std::move(copy), "bench", 0);
    state.PauseTiming();
    if (!counts.ok()) {
      state.SkipWithError(counts.error().ToString().c_str());
      RemoveDb(path);
      return;
    }
    // Distinct identities after deduplication; the same every iteration.
    if (expect_new == 0) expect_new = counts->new_;
    if (counts->new_ == 0 || counts->new_ != expect_new || counts->records != findings.size()) {
      state.SkipWithError("store counts changed between runs");
    }
    store->reset();
    RemoveDb(path);
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.text.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * findings.size()));
  state.counters["findings"] = static_cast<double>(findings.size());
  state.counters["distinct"] = static_cast<double>(expect_new);
}
BENCHMARK_CAPTURE(BM_StorePutFresh, zap_json, "zap-json")->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK_CAPTURE(BM_StorePutFresh, trivy, "trivy")->Unit(benchmark::kMillisecond)->Iterations(5);

// Store::Put of the same findings into a store that holds them: the "seen again, unchanged"
// path (lookup + touch + observation), then resolution in CommitRun.
void BM_StorePutUnchanged(benchmark::State& state, const char* format) {
  const Input& in = GetInput(format);
  std::vector<Finding> findings = Collect(in, "bench");
  if (findings.empty()) {
    state.SkipWithError("no findings");
    return;
  }
  std::string path = TempDbPath();
  auto store = Store::Open(path);
  if (!store.ok()) {
    state.SkipWithError(store.error().ToString().c_str());
    return;
  }
  auto first = PutAll(**store, findings, "bench", 0);
  if (!first.ok() || first->new_ == 0) {
    state.SkipWithError("first run failed");
    RemoveDb(path);
    return;
  }
  int run = 1;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Finding> copy = findings;
    state.ResumeTiming();
    auto counts = PutAll(**store, std::move(copy), "bench", run++);
    if (!counts.ok() || counts->unchanged != first->new_ || counts->new_ != 0) {
      state.SkipWithError("re-ingest was not all unchanged");
      break;
    }
  }
  store->reset();
  RemoveDb(path);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.text.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * findings.size()));
}
BENCHMARK_CAPTURE(BM_StorePutUnchanged, zap_json, "zap-json")->Unit(benchmark::kMillisecond)->Iterations(5);

// ------------------------------------------------------------------------------ pipeline

// The whole ingest as `findex ingest` runs it (ingest/pipeline.h): the generated report written
// to a temp file, read by Source::FromFile, parsed on a parser thread, finalized and prepared
// on the stage thread (stage=1) or on the parser thread (stage=0), stored by the writer into a
// fresh temp store; the store's open and removal are not timed.
void BM_Pipeline(benchmark::State& state, const char* format) {
  const Input& in = GetInput(format);
  if (in.findings == 0) {
    state.SkipWithError("input could not be generated or ingested (see stderr)");
    return;
  }
  const std::string report = TempDbPath() + (std::string(format) == "dependency-check-xml" ? ".xml" : ".json");
  std::ofstream(report, std::ios::binary) << in.text;
  PipelineOptions opts;
  opts.now = "2024-05-01T10:00:00.000Z";
  opts.stage_thread = state.range(0) != 0;
  const FormatDescriptor* fmt = FindFormat(in.name);
  opts.format_for = [fmt](const std::string&) { return fmt; };
  uint64_t expect = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string path = TempDbPath();
    auto store = Store::Open(path);
    if (!store.ok()) {
      state.SkipWithError(store.error().ToString().c_str());
      break;
    }
    std::vector<PipelineInput> inputs(1);
    inputs[0].path = report;
    inputs[0].scope = "bench";
    state.ResumeTiming();
    PipelineResult r = RunPipeline(**store, std::move(inputs), opts);
    state.PauseTiming();
    store->reset();
    RemoveDb(path);
    if (r.any_failed || r.files[0].status != "ok") {
      state.SkipWithError(("pipeline failed: " + r.files[0].error).c_str());
      break;
    }
    if (expect == 0) expect = r.findings;
    if (r.findings != in.findings || r.findings != expect) {
      state.SkipWithError("finding count changed between runs");
      break;
    }
    state.ResumeTiming();
  }
  std::remove(report.c_str());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.text.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * in.findings));
  state.counters["findings"] = static_cast<double>(in.findings);
}
// The same on a report file of your own: FINDEX_PIPELINE_REPORT=path (e.g. one of
// bench/gen_reports.py), format detected; skipped without it. One iteration per run.
void BM_PipelineFile(benchmark::State& state) {
  const char* report = std::getenv("FINDEX_PIPELINE_REPORT");
  if (!report || !*report) {
    state.SkipWithError("set FINDEX_PIPELINE_REPORT to a report file");
    return;
  }
  PipelineOptions opts;
  opts.now = "2024-05-01T10:00:00.000Z";
  opts.stage_thread = state.range(0) != 0;
  uint64_t findings = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string path = TempDbPath();
    auto store = Store::Open(path);
    if (!store.ok()) {
      state.SkipWithError(store.error().ToString().c_str());
      break;
    }
    std::vector<PipelineInput> inputs(1);
    inputs[0].path = report;
    inputs[0].scope = "bench";
    state.ResumeTiming();
    PipelineResult r = RunPipeline(**store, std::move(inputs), opts);
    state.PauseTiming();
    store->reset();
    RemoveDb(path);
    if (r.any_failed) {
      state.SkipWithError(("pipeline failed: " + r.files[0].error).c_str());
      break;
    }
    findings = r.findings;
    state.ResumeTiming();
  }
  std::error_code ec;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * fs::file_size(report, ec)));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * findings));
}
BENCHMARK(BM_PipelineFile)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

BENCHMARK_CAPTURE(BM_Pipeline, zap_json, "zap-json")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK_CAPTURE(BM_Pipeline, sarif, "sarif")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

}  // namespace
}  // namespace findex

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("simdjson.active", simdjson::get_active_implementation()->name());
  // On-Demand's inline code is compiled for the kernel the compiler flags allow (header macro);
  // builtin_implementation() reports the shared library's own build instead. Stage 1 and
  // string unescaping run through the active (run-time) implementation either way.
  benchmark::AddCustomContext("simdjson.ondemand_compiled_for", FINDEX_STR(SIMDJSON_BUILTIN_IMPLEMENTATION));
  benchmark::AddCustomContext("simdjson.library_builtin", simdjson::builtin_implementation()->name());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
