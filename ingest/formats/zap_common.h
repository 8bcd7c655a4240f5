// Shared mapping for the OWASP ZAP "traditional" reports (zap_json.cpp, zap_xml.cpp): both
// readers fill the same view structs and one function turns an alert into a Finding, so the
// JSON and the XML report of one scan give identical findings (format name aside).
//
// The structs hold string_views into the parsed document (simdjson's string buffer or the
// source buffer; pugixml's in-place buffer): no copy per field or instance, valid while the
// reader's document lives.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "normalize/finding.h"

namespace findex::zap {

// Instances kept as Resources (ASFF allows 32 per finding); the rest is only counted.
inline constexpr size_t kMaxInstances = 32;

struct Instance {
  std::string_view uri, method, param, attack, evidence, otherinfo;
};

struct Alert {
  std::string_view pluginid, alert_ref, name, alert, riskcode, confidence, riskdesc;
  std::string_view desc, solution, otherinfo, reference, cweid, wascid, count, systemic;
  // Old reports (before <instances>) put one instance's fields on the alert itself.
  Instance legacy;
  bool has_legacy = false;
  std::vector<Instance> instances;  // the first kMaxInstances, in report order
  uint64_t instance_total = 0;      // every instance element seen
  std::string tags;                 // tag names, comma-separated
  std::string bad;                  // set when a field has an impossible type: the alert is rejected
  // Reject location, filled by the reader (the line is computed only for a reject).
  uint64_t offset = 0;
  size_t site_index = 0, alert_index = 0;

  void Clear();  // keeps capacity, for reuse across alerts
  void AddInstance(const Instance& in) {
    if (instances.size() < kMaxInstances) instances.push_back(in);
    ++instance_total;
  }
};

struct Site {
  std::string_view name, host, port, ssl;
};

struct ReportInfo {
  std::string_view format;   // "zap-json" / "zap-xml"
  std::string_view version;  // report @version, e.g. "2.14.0", "D-2021-03-29", "Dev Build"
};

std::string_view TrimView(std::string_view s);
// "site[1].alerts[4]" for rejects (same in both readers).
std::string AlertWhere(size_t site_index, size_t alert_index);
// Site @name for identity: scheme and host lower-cased, default port and trailing '/' dropped.
std::string NormalizeSite(std::string_view name);

// Maps one alert of one site. Returns "" and fills *out, or the reason to reject the alert.
std::string MakeFinding(const Alert& a, const Site& site, const ReportInfo& report, Finding* out);

}  // namespace findex::zap
