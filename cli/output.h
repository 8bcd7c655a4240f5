// Writers for stdout data: aligned tables, CSV (RFC 4180), flat JSON records.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "store/store.h"

namespace findex::cli {

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

std::string CsvField(std::string_view s);
void PrintCsvRow(std::FILE* out, const std::vector<std::string>& cells);

// Flat record for `query --format json|csv` and `export --format json|csv`.
std::vector<std::string> FlatHeader();
std::vector<std::string> FlatRow(const FindingRow& row);
void WriteFlatJson(JsonWriter& w, const FindingRow& row);
std::string ShortLocation(const Finding& f);

}  // namespace findex::cli
