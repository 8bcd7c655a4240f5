// ProjectDiscovery Nuclei results (https://docs.projectdiscovery.io/tools/nuclei/running, output
// struct pkg/output/output.go ResultEvent): `-jsonl` / `-json` (one result per line) and
// `-json-export` / `-je` (a JSON array of the same objects); a single pretty-printed result is
// read too. Keys of one result:
//   v3 / v2.6+: "template", "template-url", "template-id", "template-path",
//               "info": {"name", "author", "tags", "description", "reference", "severity",
//                        "metadata", "remediation", "classification": {"cve-id", "cwe-id",
//                        "cvss-metrics", "cvss-score", "epss-score", "epss-percentile", "cpe"}},
//               "matcher-name", "extractor-name", "type", "host", "port", "scheme", "url", "path",
//               "matched-at", "extracted-results", "request", "response", "ip", "timestamp",
//               "curl-command", "matcher-status", "matched-line", "interaction",
//               "fuzzing_parameter"...
//   v2 (2021):  "templateID", "matcher_name", "extractor_name", "matched", "extracted_results".
// info.author / tags / reference and classification cve-id / cwe-id are a string (comma or
// newline separated) or an array. A result with "matcher-status": false (`-ms`, a template that
// did not match) is not a finding and is skipped. request, response, curl-command and the
// extracted values (which can hold tokens a template extracted) are not stored: the extracted
// results are kept as a count (nuclei/ExtractedResults).
//
// One finding is one result: template + matched-at + matcher.
// Severity (info.severity, case-insensitive): critical -> CRITICAL, high -> HIGH, medium ->
// MEDIUM, low -> LOW; info, unknown, absent or any other word -> INFORMATIONAL. Original kept.
// Identity: FingerprintOf({"nuclei", template-id, matcher-name (else extractor-name), matched-at
// (else url, else host)}). Timestamps, ip, request and response are left out. A result repeated in
// one report (same identity) is one finding; the repeat adds its extracted-results count.
// Resource: Type "Other", Id = matched-at; host, ip, port, scheme, protocol type in Details.Other.
// Location.url = matched-at. CVEs (classification cve-id) become Vulnerabilities with the CVSS
// score / vector and EPSS; CWEs from classification cwe-id.
// Target: the result's host (scheme and trailing "/" kept as written): a later scan of the same
// host resolves what it no longer reports.
// Suppression: none in the format.
#include <algorithm>
#include <charconv>
#include <map>
#include <string>
#include <vector>

#include "ingest/formats/jsonl_common.h"
#include "ingest/formats/sast_common.h"
#include "ingest/json_util.h"
#include "ingest/registry.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

using element = simdjson::dom::element;

constexpr std::string_view kExt[] = {".json", ".jsonl", ".ndjson"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || (h[0] != '{' && h[0] != '[')) return SniffConfidence::kNo;
  bool id = HeadHas(h, "\"template-id\"") || HeadHas(h, "\"templateID\"");
  if (!id || !HeadHas(h, "\"info\"")) return SniffConfidence::kNo;
  if (HeadHas(h, "\"matched-at\"") || HeadHas(h, "\"matched\"") || HeadHas(h, "\"host\"")) {
    return SniffConfidence::kCertain;
  }
  return SniffConfidence::kLikely;
}

SeverityLabel LabelFor(std::string_view s) {
  std::string w = ToLower(Trim(s));
  if (w == "critical") return SeverityLabel::kCritical;
  if (w == "high") return SeverityLabel::kHigh;
  if (w == "medium") return SeverityLabel::kMedium;
  if (w == "low") return SeverityLabel::kLow;
  return SeverityLabel::kInformational;
}

// Strings of a value that is an array of strings or one string of comma / newline separated
// items (older templates: "tags": "tech,nginx", "reference": "- url\n- url").
std::vector<std::string> StringList(element v) {
  std::vector<std::string> out;
  auto add = [&](std::string_view s) {
    std::string t = Trim(s);
    if (StartsWith(t, "- ")) t = Trim(std::string_view(t).substr(2));
    if (!t.empty() && std::find(out.begin(), out.end(), t) == out.end()) out.push_back(std::move(t));
  };
  simdjson::dom::array a;
  if (v.get_array().get(a) == simdjson::SUCCESS) {
    for (auto x : a) add(DomString(x));
    return out;
  }
  std::string s = DomString(v);
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t cut = s.find_first_of(",\n", pos);
    add(std::string_view(s).substr(pos, cut == std::string::npos ? std::string::npos : cut - pos));
    if (cut == std::string::npos) break;
    pos = cut + 1;
  }
  return out;
}

// A decimal number; -1 when `s` is empty or not one.
double ParseNumber(std::string_view s) {
  std::string t = Trim(s);
  double d = -1;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
  if (ec != std::errc() || p != t.data() + t.size() || t.empty()) return -1;
  return d;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

struct Info {
  std::string name, description, severity, remediation, cvss_metrics, cvss_score, epss, epss_percentile, cpe;
  std::vector<std::string> authors, tags, references, cves, cwes;
};

void ReadInfo(element v, Info* info) {
  simdjson::dom::object o;
  if (v.get_object().get(o)) return;
  for (auto kv : o) {
    std::string_view k = kv.key;
    if (k == "name") info->name = DomString(kv.value);
    else if (k == "description") info->description = DomString(kv.value);
    else if (k == "severity") info->severity = DomString(kv.value);
    else if (k == "remediation") info->remediation = DomString(kv.value);
    else if (k == "author") info->authors = StringList(kv.value);
    else if (k == "tags") info->tags = StringList(kv.value);
    else if (k == "reference") info->references = StringList(kv.value);
    else if (k == "classification") {
      simdjson::dom::object c;
      if (kv.value.get_object().get(c)) continue;
      for (auto x : c) {
        std::string_view ck = x.key;
        if (ck == "cve-id") {
          for (auto& id : StringList(x.value)) info->cves.push_back(ToUpper(id));
        } else if (ck == "cwe-id") {
          for (auto& id : StringList(x.value)) AppendCwes(id, &info->cwes);
        } else if (ck == "cvss-metrics") info->cvss_metrics = DomString(x.value);
        else if (ck == "cvss-score") info->cvss_score = DomString(x.value);
        else if (ck == "epss-score") info->epss = DomString(x.value);
        else if (ck == "epss-percentile") info->epss_percentile = DomString(x.value);
        else if (ck == "cpe") info->cpe = DomString(x.value);
      }
    }
  }
}

class Reader {
 public:
  explicit Reader(FindingSink& sink) : sink_(sink) {}

  void Record(element e, const RecordPos& pos) {
    simdjson::dom::object o;
    if (e.get_object().get(o)) {
      Reject(pos, "not a Nuclei result (expected a JSON object)");
      return;
    }
    std::string template_id, template_path, template_url, matcher, extractor, type, host, port, scheme, url;
    std::string matched, ip, timestamp, fuzz_param, error;
    Info info;
    bool has_info = false, status_false = false;
    uint64_t extracted = 0;
    for (auto kv : o) {
      std::string_view k = kv.key;
      if (k == "template-id" || k == "templateID") template_id = Trim(DomString(kv.value));
      else if (k == "template-path" || k == "template") {
        if (template_path.empty() || k == "template-path") template_path = DomString(kv.value);
      } else if (k == "template-url") template_url = DomString(kv.value);
      else if (k == "info") {
        has_info = true;
        ReadInfo(kv.value, &info);
      } else if (k == "matcher-name" || k == "matcher_name") matcher = DomString(kv.value);
      else if (k == "extractor-name" || k == "extractor_name") extractor = DomString(kv.value);
      else if (k == "type") type = DomString(kv.value);
      else if (k == "host") host = DomString(kv.value);
      else if (k == "port") port = DomString(kv.value);
      else if (k == "scheme") scheme = DomString(kv.value);
      else if (k == "url") url = DomString(kv.value);
      else if (k == "matched-at" || k == "matched") matched = DomString(kv.value);
      else if (k == "ip") ip = DomString(kv.value);
      else if (k == "timestamp") timestamp = DomString(kv.value);
      else if (k == "fuzzing_parameter") fuzz_param = DomString(kv.value);
      else if (k == "error") error = DomString(kv.value);
      else if (k == "matcher-status") {
        bool b = true;
        status_false = kv.value.get_bool().get(b) == simdjson::SUCCESS && !b;
      } else if (k == "extracted-results" || k == "extracted_results") {
        simdjson::dom::array a;
        if (kv.value.get_array().get(a) == simdjson::SUCCESS) extracted = a.size();
      }
    }
    if (template_id.empty() || !has_info) {
      Reject(pos, "not a Nuclei result: no \"template-id\" / \"templateID\" or no \"info\"");
      return;
    }
    ++results_;
    if (status_false) {
      ++not_matched_;  // -ms: the template ran and did not match
      return;
    }
    std::string where = !matched.empty() ? matched : !url.empty() ? url : host;
    std::string match_name = !matcher.empty() ? matcher : extractor;
    Fingerprint fp = FingerprintOf({"nuclei", template_id, match_name, where});
    std::string key(reinterpret_cast<const char*>(fp.bytes.data()), fp.bytes.size());
    auto it = index_.find(key);
    if (it != index_.end()) {
      Entry& en = entries_[it->second];
      en.extracted += extracted;
      ++en.count;
      return;
    }

    Entry en;
    en.extracted = extracted;
    en.count = 1;
    Finding& f = en.finding;
    f.scanner = "nuclei";
    f.format = "nuclei";
    f.product_name = "Nuclei";
    f.company_name = "ProjectDiscovery";
    f.fingerprint = fp;
    f.generator_id = "nuclei/" + template_id;
    f.target = Trim(host);
    while (!f.target.empty() && f.target.back() == '/') f.target.pop_back();
    SeverityLabel label = LabelFor(info.severity);
    f.severity.label = label;
    f.severity.normalized = DefaultNormalized(label);
    f.severity.original = info.severity;
    std::string name = Trim(info.name).empty() ? template_id : CollapseWhitespace(info.name);
    f.title = name + (match_name.empty() ? "" : " (" + match_name + ")") + (where.empty() ? "" : " at " + where);
    std::string d = Trim(info.description).empty() ? name + "." : Trim(info.description);
    d += "\n\nNuclei template " + template_id;
    if (!match_name.empty()) d += (matcher.empty() ? ", extractor " : ", matcher ") + match_name;
    if (!where.empty()) d += ", matched at " + where;
    d += ".";
    if (extracted > 0) d += " Extracted results: " + std::to_string(extracted) + " (values not stored).";
    f.description = d;
    f.remediation_text = Trim(info.remediation);
    if (!info.references.empty()) f.remediation_url = info.references.front();
    f.source_url = template_url;
    f.location.url = where;
    f.cwes = info.cwes;
    f.types = {info.cves.empty() ? "Software and Configuration Checks/Vulnerabilities"
                                 : "Software and Configuration Checks/Vulnerabilities/CVE"};
    for (const auto& cve : info.cves) {
      Vulnerability v;
      v.id = cve;
      v.reference_urls = info.references;
      double score = -1;
      if (!info.cvss_score.empty() || !info.cvss_metrics.empty()) {
        Cvss c;
        c.base_vector = info.cvss_metrics;
        if (StartsWith(info.cvss_metrics, "CVSS:")) {
          size_t slash = info.cvss_metrics.find('/');
          c.version = info.cvss_metrics.substr(5, slash == std::string::npos ? std::string::npos : slash - 5);
        }
        score = ParseNumber(info.cvss_score);
        c.base_score = score >= 0 && score <= 10 ? score : -1;
        c.source = "nuclei-templates";
        if (c.base_score >= 0 || !c.base_vector.empty()) v.cvss.push_back(std::move(c));
      }
      double epss = ParseNumber(info.epss), pct = ParseNumber(info.epss_percentile);
      if (epss >= 0 && epss <= 1) v.exploit.epss = epss;
      if (pct >= 0 && pct <= 1) v.exploit.epss_percentile = pct;
      f.vulnerabilities.push_back(std::move(v));
    }
    Resource r;
    r.id = where.empty() ? template_id : where;
    if (!host.empty()) r.details_other["Host"] = host;
    if (!ip.empty()) r.details_other["Ip"] = ip;
    if (!port.empty()) r.details_other["Port"] = port;
    if (!scheme.empty()) r.details_other["Scheme"] = scheme;
    if (!type.empty()) r.details_other["Protocol"] = type;
    f.resources.push_back(std::move(r));
    auto& pf = f.product_fields;
    pf["nuclei/TemplateId"] = template_id;
    if (!template_path.empty()) pf["nuclei/TemplatePath"] = template_path;
    if (!matcher.empty()) pf["nuclei/MatcherName"] = matcher;
    if (!extractor.empty()) pf["nuclei/ExtractorName"] = extractor;
    if (!type.empty()) pf["nuclei/Type"] = type;
    if (!timestamp.empty()) pf["nuclei/Timestamp"] = timestamp;
    if (!info.tags.empty()) pf["nuclei/Tags"] = Join(info.tags);
    if (!info.authors.empty()) pf["nuclei/Authors"] = Join(info.authors);
    if (!info.cpe.empty()) pf["nuclei/Cpe"] = info.cpe;
    if (!fuzz_param.empty()) pf["nuclei/FuzzingParameter"] = fuzz_param;
    index_.emplace(std::move(key), entries_.size());
    entries_.push_back(std::move(en));
  }

  Status Flush() {
    for (auto& en : entries_) {
      auto& pf = en.finding.product_fields;
      if (en.extracted > 0) pf["nuclei/ExtractedResults"] = std::to_string(en.extracted);
      if (en.count > 1) pf["nuclei/Occurrences"] = std::to_string(en.count);
      FINDEX_RETURN_IF_ERROR(sink_.Accept(std::move(en.finding)));
    }
    entries_.clear();
    return Status::Ok();
  }

  uint64_t results() const { return results_; }

 private:
  struct Entry {
    Finding finding;
    uint64_t extracted = 0, count = 0;
  };
  void Reject(const RecordPos& pos, std::string reason) { sink_.AddReject(RecordReject(pos, std::move(reason))); }

  FindingSink& sink_;
  std::vector<Entry> entries_;
  std::map<std::string, size_t> index_;
  uint64_t results_ = 0, not_matched_ = 0;
};

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  // Nuclei writes nothing (-jsonl) or `[]` (-je) when nothing matched: a clean scan.
  Reader reader(sink);
  return IngestJsonRecords(src, sink, reader, [&] { return reader.results(); },
                           "not Nuclei JSON output: no record is a Nuclei result (see the rejects)");
}

}  // namespace

const FormatDescriptor& NucleiFormat() {
  static const FormatDescriptor kDesc{"nuclei", "nuclei", "Nuclei -jsonl / -json-export results (DAST)", kExt, Sniff,
                                      Ingest};
  return kDesc;
}

}  // namespace findex
