// Writers for stdout data: aligned tables, CSV (RFC 4180), flat JSON records; output files
// written safely (never the store, replaced atomically); colour for terminals.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace findex::cli {

// Aligned text for people. Cells are made terminal-safe (normalize/text.h SanitizeForTerminal);
// a column headed SEVERITY is coloured when `out` is a terminal and colour is on.
class TableWriter {
 public:
  explicit TableWriter(std::vector<std::string> header) : header_(std::move(header)) {}
  void Row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  // Column widths from the content; the last column is not padded. `max_width` caps a cell.
  void Print(std::FILE* out, size_t max_width = 80) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// One CSV field: formula-like cells neutralized (NeutralizeCsvCell), then quoted when needed.
std::string CsvField(std::string_view s);
void PrintCsvRow(std::FILE* out, const std::vector<std::string>& cells);

// Flat record for `query --format json|csv` and `export --format json|csv`.
std::vector<std::string> FlatHeader();
std::vector<std::string> FlatRow(const FindingRow& row);
void WriteFlatJson(JsonWriter& w, const FindingRow& row);
std::string ShortLocation(const Finding& f);

// --- output files ---

// Refuses an output path that is the store or one of its companion files (-wal, -shm,
// -journal): the same file by device and inode, or, for a file that does not exist yet, the
// same path once symlinks and relative parts are resolved. "-" (stdout) is always accepted.
// `what` names the flag in the error, e.g. "-o".
Status CheckOutputPath(const std::string& output, const std::string& db_path, const std::string& what = "-o");
// For --batch-dir: refuses a folder whose batch file names would be the store's.
Status CheckBatchDir(const std::string& dir, const std::string& db_path);

// An output file replaced atomically: written to a temporary file in the same folder and
// renamed over `path` by Commit(). Without Commit (an error, a signal), the temporary file is
// removed and `path` keeps its earlier content. A path that exists and is not a regular file
// (/dev/null, a FIFO) is written in place. A symlink is followed: its target is replaced.
class AtomicFile {
 public:
  static Result<std::unique_ptr<AtomicFile>> Create(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  std::FILE* file() { return file_; }
  Status Commit();

 private:
  AtomicFile() = default;
  std::string path_, target_, temp_;
  std::FILE* file_ = nullptr;
  bool committed_ = false;
};
// Whole-document convenience: AtomicFile::Create + write + Commit.
Status WriteFileAtomic(const std::string& path, std::string_view data);
// Creates a new file (O_CREAT | O_EXCL | O_NOFOLLOW): never follows a symlink, never
// overwrites; for batch files in a folder cleaned beforehand.
Status WriteNewFile(const std::string& path, std::string_view data);

// --- waiting for another writer ---

// `--wait SECONDS` on a subcommand that writes (ingest, gate, triage, note); the same as the
// global option: how long a writer waits for another findex holding the store.
void AddWaitOption(CLI::App* cmd);

// --- colour ---

// --no-color (the global flag) turns colour off; so does a non-empty $NO_COLOR or TERM=dumb.
void DisableColor();
// True when `out` is a terminal and colour is not turned off: never for files or pipes.
bool ColorEnabled(std::FILE* out);
// The label (CRITICAL, HIGH, ...) wrapped in its colour; other text unchanged.
std::string ColorSeverity(std::string_view label);
// The gate's stderr listing with the severity word of each finding line coloured, when
// ColorEnabled(out); otherwise `text` unchanged.
std::string ColorSeverityListing(std::string text, std::FILE* out);

}  // namespace findex::cli
