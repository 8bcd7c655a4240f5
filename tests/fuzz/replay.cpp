// Replays fuzz inputs without libFuzzer (the normal build, GCC included): every file under the
// folders given (tests/fuzz/regressions/, samples/) through every reader and through detection,
// plus inputs generated here that are too large to commit (deep nesting). A crash, an
// exception or a sanitizer report (in a FINDEX_SANITIZE build) fails the test.
//   fuzz_replay [--quick] DIR_OR_FILE...
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ingest/registry.h"
#include "tests/fuzz/fuzz_target.h"

namespace fs = std::filesystem;

namespace {

void RunEverywhere(const std::string& bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  findex::fuzz::RunOne(nullptr, p, bytes.size());
  for (const auto& fmt : findex::Formats()) findex::fuzz::RunOne(&fmt, p, bytes.size());
}

// The inputs of issue 8 that are generated rather than committed.
std::vector<std::string> Generated() {
  std::vector<std::string> out;
  auto nest = [](size_t n) { return std::string(n, '[') + std::string(n, ']'); };
  // Semgrep: 200,000 nested arrays under an unknown key (stack overflow in the validator).
  out.push_back("{\"results\":[],\"errors\":[],\"unknown\":" + nest(200000) + "}");
  // SARIF: 1,000,000 nested arrays in properties.
  out.push_back("{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"x\"}},\"results\":[],"
                "\"properties\":{\"p\":" + nest(1000000) + "}}]}");
  // Deep objects and deep XML.
  std::string obj;
  for (int i = 0; i < 200000; ++i) obj += "{\"a\":";
  obj += "0" + std::string(200000, '}');
  out.push_back(obj);
  std::string xml = "<?xml version=\"1.0\"?><analysis>";
  for (int i = 0; i < 200000; ++i) xml += "<a>";
  for (int i = 0; i < 200000; ++i) xml += "</a>";
  out.push_back(xml + "</analysis>");
  // CodeGuru / SonarQube: a 20 KB non-numeric line value (decoded twice: heap overflow).
  out.push_back("[{\"FilePath\":\"a.py\",\"RecommendationId\":\"r\",\"StartLine\":\"" + std::string(20000, 'z') +
                "\",\"EndLine\":\"" + std::string(20000, 'y') + "\",\"Description\":\"d\"}]");
  out.push_back("{\"issues\":[{\"rule\":\"java:S1\",\"component\":\"p:A.java\",\"line\":\"" + std::string(20000, 'q') +
                "\"}]}");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    fs::path p = argv[i];
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (auto it = fs::recursive_directory_iterator(p, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) break;
        if (!it->is_regular_file()) continue;
        std::string name = it->path().filename().string();
        if (name.ends_with(".expected.json") || name == "PROVENANCE.tsv" || name[0] == '.' || name == "README.md") continue;
        files.push_back(it->path());
      }
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "fuzz_replay: no such file or folder: %s\n", argv[i]);
      return 2;
    }
  }
  size_t n = 0;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    RunEverywhere(bytes);
    ++n;
  }
  for (const auto& g : Generated()) {
    RunEverywhere(g);
    ++n;
  }
  std::printf("fuzz_replay: %zu inputs through %zu readers and detection, no crash\n", n, findex::Formats().size());
  return 0;
}
