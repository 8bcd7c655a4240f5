#include "cli/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>

#include "normalize/text.h"

namespace findex::cli {

namespace fs = std::filesystem;

void TableWriter::Print(std::FILE* out, size_t max_width) const {
  std::vector<size_t> width(header_.size(), 0);
  auto cell = [&](const std::string& s) {
    std::string one = SanitizeForTerminal(CollapseWhitespace(s));
    return Utf8Length(one) > max_width ? TruncateUtf8(one, max_width) : one;
  };
  const bool color = ColorEnabled(out);
  std::vector<bool> severity_col(header_.size(), false);
  for (size_t i = 0; i < header_.size(); ++i) severity_col[i] = color && EqualsIgnoreCase(header_[i], "severity");
  bool header_row = true;
  for (size_t i = 0; i < header_.size(); ++i) width[i] = Utf8Length(header_[i]);
  for (const auto& r : rows_) {
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], Utf8Length(cell(r[i])));
  }
  auto print = [&](const std::vector<std::string>& r) {
    std::string line;
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) {
      std::string c = cell(r[i]);
      line += severity_col[i] && !header_row ? ColorSeverity(c) : c;
      if (i + 1 < r.size()) line.append(width[i] - Utf8Length(c) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::fprintf(out, "%s\n", line.c_str());
    header_row = false;
  };
  print(header_);
  for (const auto& r : rows_) print(r);
}

std::string CsvField(std::string_view raw) {
  const std::string cell = NeutralizeCsvCell(raw);
  const std::string_view s = cell;
  bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) return cell;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += "\"\"";
    else out.push_back(c);
  }
  out += "\"";
  return out;
}

void PrintCsvRow(std::FILE* out, const std::vector<std::string>& cells) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i) line.push_back(',');
    line += CsvField(cells[i]);
  }
  line += "\r\n";
  std::fwrite(line.data(), 1, line.size(), out);
}

std::string ShortLocation(const Finding& f) {
  if (!f.location.file_path.empty()) {
    return f.location.start_line > 0 ? f.location.file_path + ":" + std::to_string(f.location.start_line)
                                     : f.location.file_path;
  }
  if (!f.location.url.empty()) return f.location.url;
  return f.resources.empty() ? std::string() : f.resources.front().id;
}

std::vector<std::string> FlatHeader() {
  return {"id", "scope", "scanner", "severity", "normalized", "original_severity", "state", "workflow", "title",
          "rule", "location", "resource", "vuln_id", "package", "version", "fixed_in", "cwes",
          "first_observed_at", "last_observed_at", "occurrences", "sources", "fingerprint"};
}

namespace {
struct Flat {
  std::string vuln, pkg, version, fixed, cwes;
};
Flat Flatten(const Finding& f) {
  Flat x;
  if (!f.vulnerabilities.empty()) {
    const auto& v = f.vulnerabilities.front();
    x.vuln = v.id;
    if (!v.vulnerable_packages.empty()) {
      x.pkg = v.vulnerable_packages.front().name;
      x.version = v.vulnerable_packages.front().version;
      x.fixed = v.vulnerable_packages.front().fixed_in_version;
    }
  }
  for (const auto& c : f.cwes) x.cwes += (x.cwes.empty() ? "" : ";") + c;
  return x;
}
}  // namespace

std::vector<std::string> FlatRow(const FindingRow& row) {
  const Finding& f = row.finding;
  Flat x = Flatten(f);
  return {f.id,
          f.scope,
          f.scanner,
          std::string(ToString(f.severity.label)),
          std::to_string(f.severity.normalized),
          f.severity.original,
          std::string(ToString(f.record_state)),
          std::string(ToString(f.workflow)),
          f.title,
          f.generator_id,
          ShortLocation(f),
          f.resources.empty() ? std::string() : f.resources.front().id,
          x.vuln,
          x.pkg,
          x.version,
          x.fixed,
          x.cwes,
          f.first_observed_at,
          f.last_observed_at,
          std::to_string(f.occurrences),
          row.sources,
          f.fingerprint.Hex()};
}

void WriteFlatJson(JsonWriter& w, const FindingRow& row) {
  std::vector<std::string> h = FlatHeader();
  std::vector<std::string> v = FlatRow(row);
  w.BeginObject();
  for (size_t i = 0; i < h.size(); ++i) {
    if (h[i] == "normalized") w.Key(h[i]).Int(row.finding.severity.normalized);
    else if (h[i] == "occurrences") w.Key(h[i]).UInt(row.finding.occurrences);
    else w.Field(h[i], v[i]);
  }
  w.EndObject();
}

// --- output files ---------------------------------------------------------------------------

namespace {

// Follows symlinks one by one (also dangling ones, whose target a writer would create), then
// resolves what exists of the result: the file a write to `p` would reach.
fs::path ResolveWriteTarget(const fs::path& p) {
  std::error_code ec;
  fs::path cur = fs::absolute(p, ec);
  if (ec) return p;
  for (int hops = 0; hops < 40; ++hops) {
    if (!fs::is_symlink(fs::symlink_status(cur, ec))) break;
    fs::path target = fs::read_symlink(cur, ec);
    if (ec) break;
    cur = target.is_absolute() ? target : cur.parent_path() / target;
  }
  fs::path canon = fs::weakly_canonical(cur, ec);
  return ec ? cur.lexically_normal() : canon;
}

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa{}, sb{};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

const char* const kStoreCompanions[] = {"", "-wal", "-shm", "-journal"};

}  // namespace

Status CheckOutputPath(const std::string& output, const std::string& db_path, const std::string& what) {
  if (output.empty() || output == "-" || db_path.empty() || db_path == ":memory:") return Status::Ok();
  const fs::path out_target = ResolveWriteTarget(output);
  for (const char* suffix : kStoreCompanions) {
    const std::string store_file = db_path + suffix;
    if (SameFile(output, store_file) || out_target == ResolveWriteTarget(store_file)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       what + " " + output + " is the store" + (*suffix ? std::string("'s ") + (suffix + 1) + " file" : "") +
                           " (" + db_path + "): refusing to overwrite it; write the output elsewhere");
    }
  }
  return Status::Ok();
}

Status CheckBatchDir(const std::string& dir, const std::string& db_path) {
  if (dir.empty() || db_path.empty() || db_path == ":memory:") return Status::Ok();
  static const std::regex kBatchName(R"(batch-[0-9]{4,}\.json)");
  const fs::path d = ResolveWriteTarget(dir);
  for (const char* suffix : kStoreCompanions) {
    fs::path store_file = ResolveWriteTarget(db_path + suffix);
    if (store_file.parent_path() == d && std::regex_match(store_file.filename().string(), kBatchName)) {
      return MakeError(ErrorCode::kInvalidArgument, "--batch-dir " + dir + " holds the store " + db_path +
                                                        " under a batch file name: refusing to replace it");
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<AtomicFile>> AtomicFile::Create(const std::string& path) {
  std::unique_ptr<AtomicFile> a(new AtomicFile());
  a->path_ = path;
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (fs::exists(st) && !fs::is_regular_file(st)) {
    if (fs::is_directory(st)) return MakeError(ErrorCode::kIo, "is a directory", path);
    // A device or FIFO: nothing to replace, write in place.
    a->file_ = std::fopen(path.c_str(), "wb");
    if (!a->file_) return MakeError(ErrorCode::kIo, std::string("cannot write: ") + std::strerror(errno), path);
    return a;
  }
  a->target_ = ResolveWriteTarget(path).string();
  const fs::path target(a->target_);
  static std::atomic<unsigned> counter{0};
  for (int attempt = 0; attempt < 100 && !a->file_; ++attempt) {
    a->temp_ = (target.parent_path() / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(counter++)))
                   .string();
    int fd = ::open(a->temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      Error e = MakeError(ErrorCode::kIo, std::string("cannot create a file next to it: ") + std::strerror(errno), path);
      a->temp_.clear();
      return e;
    }
    // Keep the permissions of the file being replaced.
    struct stat old{};
    if (::stat(a->target_.c_str(), &old) == 0) (void)::fchmod(fd, old.st_mode & 07777);
    a->file_ = ::fdopen(fd, "wb");
    if (!a->file_) {
      ::close(fd);
      ::unlink(a->temp_.c_str());
      a->temp_.clear();
      return MakeError(ErrorCode::kIo, "cannot write", path);
    }
  }
  if (!a->file_) return MakeError(ErrorCode::kIo, "cannot create a temporary file next to it", path);
  return a;
}

AtomicFile::~AtomicFile() {
  if (file_) std::fclose(file_);
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

Status AtomicFile::Commit() {
  if (!file_) return MakeError(ErrorCode::kInternal, "file already closed", path_);
  bool ok = std::fflush(file_) == 0 && !std::ferror(file_);
  if (ok && !temp_.empty()) ok = ::fsync(::fileno(file_)) == 0;
  ok = std::fclose(file_) == 0 && ok;
  file_ = nullptr;
  if (!ok) return MakeError(ErrorCode::kIo, std::string("write failed: ") + std::strerror(errno), path_);
  if (temp_.empty()) {
    committed_ = true;
    return Status::Ok();
  }
  if (std::rename(temp_.c_str(), target_.c_str()) != 0) {
    return MakeError(ErrorCode::kIo, std::string("cannot replace the file: ") + std::strerror(errno), path_);
  }
  committed_ = true;
  return Status::Ok();
}

Status WriteFileAtomic(const std::string& path, std::string_view data) {
  auto f = AtomicFile::Create(path);
  if (!f.ok()) return f.error();
  if (std::fwrite(data.data(), 1, data.size(), (*f)->file()) != data.size()) {
    return MakeError(ErrorCode::kIo, std::string("write failed: ") + std::strerror(errno), path);
  }
  return (*f)->Commit();
}

Status WriteNewFile(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) {
    const int err = errno;
    std::error_code ec;
    if (err == EEXIST && fs::is_symlink(fs::symlink_status(path, ec))) {
      return MakeError(ErrorCode::kIo, "a symlink has the name of a batch file; refusing to write through it", path);
    }
    return MakeError(ErrorCode::kIo, std::string("cannot create file: ") + std::strerror(err), path);
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      return MakeError(ErrorCode::kIo, std::string("write failed: ") + std::strerror(err), path);
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return MakeError(ErrorCode::kIo, std::string("write failed: ") + std::strerror(errno), path);
  return Status::Ok();
}

void AddWaitOption(CLI::App* cmd) {
  cmd->add_option_function<double>(
         "--wait", [](const double& s) { Store::SetLockWait(s); },
         "Wait at most SECONDS for another findex holding the store (default: as long as needed)")
      ->check(CLI::NonNegativeNumber);
}

// --- colour ----------------------------------------------------------------------------------

namespace {
std::atomic<bool> g_no_color{false};
}

void DisableColor() { g_no_color = true; }

bool ColorEnabled(std::FILE* out) {
  if (g_no_color) return false;
  if (const char* v = std::getenv("NO_COLOR"); v && *v) return false;
  if (const char* t = std::getenv("TERM"); t && std::strcmp(t, "dumb") == 0) return false;
  return out && ::isatty(::fileno(out)) == 1;
}

std::string ColorSeverity(std::string_view label) {
  const char* code = nullptr;
  if (label == "CRITICAL") code = "\033[1;31m";
  else if (label == "HIGH") code = "\033[31m";
  else if (label == "MEDIUM") code = "\033[33m";
  else if (label == "LOW") code = "\033[36m";
  else if (label == "INFORMATIONAL") code = "\033[2m";
  if (!code) return std::string(label);
  return std::string(code) + std::string(label) + "\033[0m";
}

std::string ColorSeverityListing(std::string text, std::FILE* out) {
  if (!ColorEnabled(out)) return text;
  std::string result;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line(text.data() + start, nl - start);
    // Finding lines: two spaces, the severity word, a space (rules/gate.cpp).
    bool done = false;
    if (line.size() > 3 && line.substr(0, 2) == "  " && line[2] != ' ') {
      size_t end = line.find(' ', 2);
      if (end != std::string_view::npos) {
        std::string_view word = line.substr(2, end - 2);
        std::string colored = ColorSeverity(word);
        if (colored != word) {
          result.append("  ").append(colored).append(line.substr(end));
          done = true;
        }
      }
    }
    if (!done) result.append(line);
    if (nl < text.size()) result.push_back('\n');
    start = nl + 1;
  }
  return result;
}

}  // namespace findex::cli
