#include "ingest/feeds.h"

#include <simdjson.h>

#include <charconv>
#include <map>

#include "normalize/text.h"

namespace findex {
namespace {

std::string Str(simdjson::dom::element obj, const char* key) {
  std::string_view v;
  if (obj[key].get_string().get(v) == simdjson::SUCCESS) return std::string(v);
  return {};
}

bool ValidCve(std::string_view id) {
  if (id.size() < 9 || id.substr(0, 4) != "CVE-") return false;
  for (size_t i = 4; i < id.size(); ++i) {
    const char c = id[i];
    if (!(c >= '0' && c <= '9') && !(c == '-' && i == 8)) return false;
  }
  return id[8] == '-';
}

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool ParseUnit(std::string_view s, double* out) {
  s = TrimView(s);
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && *out >= 0 && *out <= 1;
}

}  // namespace

Result<KevCatalog> ParseKev(const Source& src, size_t* skipped) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(src.padded()).get(doc); err) {
    return MakeError(ErrorCode::kParse, std::string("KEV catalog: cannot parse JSON: ") + simdjson::error_message(err),
                     src.path());
  }
  simdjson::dom::array vulns;
  if (doc["vulnerabilities"].get_array().get(vulns) != simdjson::SUCCESS) {
    return MakeError(ErrorCode::kSchema, "KEV catalog: no \"vulnerabilities\" array (is this CISA's KEV JSON?)",
                     src.path());
  }
  KevCatalog out;
  out.version = Str(doc, "catalogVersion");
  out.released = Str(doc, "dateReleased");
  std::map<std::string, size_t> index;
  size_t skip = 0;
  for (simdjson::dom::element v : vulns) {
    if (!v.is_object()) {
      ++skip;
      continue;
    }
    KevEntry e;
    e.cve = ToUpper(std::string(TrimView(Str(v, "cveID"))));
    if (!ValidCve(e.cve)) {
      ++skip;
      continue;
    }
    e.vendor = Str(v, "vendorProject");
    e.product = Str(v, "product");
    e.name = Str(v, "vulnerabilityName");
    e.date_added = Str(v, "dateAdded");
    e.description = Str(v, "shortDescription");
    e.required_action = Str(v, "requiredAction");
    e.due_date = Str(v, "dueDate");
    e.notes = Str(v, "notes");
    e.ransomware = ToLower(Str(v, "knownRansomwareCampaignUse")) == "known";
    simdjson::dom::array cwes;
    if (v["cwes"].get_array().get(cwes) == simdjson::SUCCESS) {
      for (simdjson::dom::element c : cwes) {
        std::string_view s;
        if (c.get_string().get(s) == simdjson::SUCCESS && !s.empty()) e.cwes.emplace_back(s);
      }
    }
    auto [it, fresh] = index.emplace(e.cve, out.entries.size());
    if (fresh) out.entries.push_back(std::move(e));
    else out.entries[it->second] = std::move(e);
  }
  if (skipped) *skipped = skip;
  return out;
}

Result<EpssFeed> ParseEpss(const Source& src) {
  EpssFeed out;
  std::string_view text = src.text();
  size_t line_no = 0;
  bool header = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    line = TrimView(line);
    if (line.empty()) continue;
    auto where = [&] { return src.path() + ":" + std::to_string(line_no); };
    if (line.front() == '#') {
      // #model_version:v2023.03.01,score_date:2023-03-16T00:00:00+0000
      std::string_view rest = line.substr(1);
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view kv = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        size_t colon = kv.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view k = TrimView(kv.substr(0, colon)), v = TrimView(kv.substr(colon + 1));
        if (k == "model_version") out.model_version = std::string(v);
        if (k == "score_date") out.score_date = std::string(v);
      }
      continue;
    }
    if (!header) {
      if (ToLower(std::string(line)) != "cve,epss,percentile") {
        return MakeError(ErrorCode::kSchema,
                         "EPSS: expected the header 'cve,epss,percentile' (is this FIRST's EPSS CSV?)", where());
      }
      header = true;
      continue;
    }
    const size_t c1 = line.find(','), c2 = c1 == std::string_view::npos ? c1 : line.find(',', c1 + 1);
    if (c2 == std::string_view::npos || line.find(',', c2 + 1) != std::string_view::npos) {
      return MakeError(ErrorCode::kParse, "EPSS: expected 'cve,epss,percentile'", where());
    }
    EpssScore s;
    s.cve = ToUpper(std::string(TrimView(line.substr(0, c1))));
    if (!ValidCve(s.cve)) return MakeError(ErrorCode::kParse, "EPSS: not a CVE id: " + s.cve, where());
    if (!ParseUnit(line.substr(c1 + 1, c2 - c1 - 1), &s.epss) || !ParseUnit(line.substr(c2 + 1), &s.percentile)) {
      return MakeError(ErrorCode::kParse, "EPSS: scores must be numbers from 0 to 1", where());
    }
    out.scores.push_back(std::move(s));
  }
  if (!header) return MakeError(ErrorCode::kSchema, "EPSS: no 'cve,epss,percentile' header", src.path());
  return out;
}

}  // namespace findex
