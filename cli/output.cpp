#include "cli/output.h"

#include <algorithm>

#include "normalize/text.h"

namespace findex::cli {

void TableWriter::Print(std::FILE* out, size_t max_width) const {
  std::vector<size_t> width(header_.size(), 0);
  auto cell = [&](const std::string& s) {
    std::string one = CollapseWhitespace(s);
    return Utf8Length(one) > max_width ? TruncateUtf8(one, max_width) : one;
  };
  for (size_t i = 0; i < header_.size(); ++i) width[i] = Utf8Length(header_[i]);
  for (const auto& r : rows_) {
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], Utf8Length(cell(r[i])));
  }
  auto print = [&](const std::vector<std::string>& r) {
    std::string line;
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) {
      std::string c = cell(r[i]);
      line += c;
      if (i + 1 < r.size()) line.append(width[i] - Utf8Length(c) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::fprintf(out, "%s\n", line.c_str());
  };
  print(header_);
  for (const auto& r : rows_) print(r);
}

std::string CsvField(std::string_view s) {
  bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) return std::string(s);
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

}  // namespace findex::cli
