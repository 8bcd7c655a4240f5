#include "normalize/asff_reader.h"

#include <cstdlib>

#include "normalize/asff_writer.h"
#include "normalize/text.h"

namespace findex {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

std::string Str(element e, std::string_view key) {
  std::string_view v;
  if (e[key].get_string().get(v) == simdjson::SUCCESS) return std::string(v);
  return {};
}

int64_t IntOr(element e, std::string_view key, int64_t dflt) {
  element v;
  if (e[key].get(v) != simdjson::SUCCESS) return dflt;
  int64_t i;
  if (v.get_int64().get(i) == simdjson::SUCCESS) return i;
  double d;
  if (v.get_double().get(d) == simdjson::SUCCESS) return static_cast<int64_t>(d);
  return dflt;
}

std::vector<std::string> StrList(element e, std::string_view key) {
  std::vector<std::string> out;
  simdjson::dom::array arr;
  if (e[key].get_array().get(arr) != simdjson::SUCCESS) return out;
  for (element x : arr) {
    std::string_view s;
    if (x.get_string().get(s) == simdjson::SUCCESS) out.emplace_back(s);
  }
  return out;
}

std::map<std::string, std::string> StrMap(element e, std::string_view key) {
  std::map<std::string, std::string> out;
  object o;
  if (e[key].get_object().get(o) != simdjson::SUCCESS) return out;
  for (auto field : o) {
    std::string_view s;
    if (field.value.get_string().get(s) == simdjson::SUCCESS) out.emplace(std::string(field.key), std::string(s));
  }
  return out;
}

std::string Take(std::map<std::string, std::string>& m, std::string_view key) {
  auto it = m.find(std::string(key));
  if (it == m.end()) return {};
  std::string v = std::move(it->second);
  m.erase(it);
  return v;
}

bool ParseHex(std::string_view hex, Fingerprint* fp) {
  if (hex.size() != 32) return false;
  for (size_t i = 0; i < 16; ++i) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    fp->bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

}  // namespace

Status ReadAsff(element obj, Finding* out) {
  if (!obj.is_object()) return MakeError(ErrorCode::kSchema, "a finding must be a JSON object");
  Finding& f = *out;
  f.id = Str(obj, "Id");
  f.product_arn = Str(obj, "ProductArn");
  f.product_name = Str(obj, "ProductName");
  f.company_name = Str(obj, "CompanyName");
  f.region = Str(obj, "Region");
  f.generator_id = Str(obj, "GeneratorId");
  f.aws_account_id = Str(obj, "AwsAccountId");
  f.types = StrList(obj, "Types");
  f.first_observed_at = Str(obj, "FirstObservedAt");
  f.last_observed_at = Str(obj, "LastObservedAt");
  f.created_at = Str(obj, "CreatedAt");
  f.updated_at = Str(obj, "UpdatedAt");
  element sev;
  if (obj["Severity"].get(sev) == simdjson::SUCCESS) {
    std::string label = Str(sev, "Label");
    int64_t norm = IntOr(sev, "Normalized", -1);
    auto parsed = ParseSeverityLabel(label);
    if (parsed) {
      f.severity.label = *parsed;
      f.severity.normalized = norm >= 0 ? static_cast<int>(norm) : DefaultNormalized(*parsed);
    } else if (norm >= 0) {
      f.severity.label = LabelForNormalized(static_cast<int>(norm));
      f.severity.normalized = static_cast<int>(norm);
    }
    f.severity.original = Str(sev, "Original");
  }
  f.confidence = static_cast<int>(IntOr(obj, "Confidence", -1));
  f.criticality = static_cast<int>(IntOr(obj, "Criticality", -1));
  f.title = Str(obj, "Title");
  f.description = Str(obj, "Description");
  element rec;
  if (obj.at_pointer("/Remediation/Recommendation").get(rec) == simdjson::SUCCESS) {
    f.remediation_text = Str(rec, "Text");
    f.remediation_url = Str(rec, "Url");
  }
  f.source_url = Str(obj, "SourceUrl");
  f.product_fields = StrMap(obj, "ProductFields");
  f.user_defined_fields = StrMap(obj, "UserDefinedFields");
  auto& pf = f.product_fields;
  f.scanner = Take(pf, kPfScanner);
  f.format = Take(pf, kPfFormat);
  ParseHex(Take(pf, kPfFingerprint), &f.fingerprint);
  f.scope = Take(pf, kPfScope);
  std::string cwes = Take(pf, kPfCwes);
  size_t start = 0;
  while (start < cwes.size()) {
    size_t comma = cwes.find(',', start);
    if (comma == std::string::npos) comma = cwes.size();
    f.cwes.push_back(cwes.substr(start, comma - start));
    start = comma + 1;
  }
  f.location.file_path = Take(pf, kPfFilePath);
  f.location.start_line = std::atoi(Take(pf, kPfStartLine).c_str());
  f.location.end_line = std::atoi(Take(pf, kPfEndLine).c_str());
  f.location.url = Take(pf, kPfUrl);
  std::string count = Take(pf, kPfResourceCount);
  f.occurrences = std::strtoull(Take(pf, kPfOccurrences).c_str(), nullptr, 10);
  const std::string kev = Take(pf, kPfKev), kev_due = Take(pf, kPfKevDue), ransomware = Take(pf, kPfRansomware),
                    epss_percentile = Take(pf, kPfEpssPercentile);

  simdjson::dom::array arr;
  if (obj["Resources"].get_array().get(arr) == simdjson::SUCCESS) {
    for (element r : arr) {
      Resource res;
      res.type = Str(r, "Type");
      res.id = Str(r, "Id");
      res.partition = Str(r, "Partition");
      res.region = Str(r, "Region");
      element details;
      if (r["Details"].get(details) == simdjson::SUCCESS) res.details_other = StrMap(details, "Other");
      f.resources.push_back(std::move(res));
    }
  }
  f.resource_count = count.empty() ? f.resources.size() : std::strtoull(count.c_str(), nullptr, 10);

  if (obj["Vulnerabilities"].get_array().get(arr) == simdjson::SUCCESS) {
    for (element v : arr) {
      Vulnerability vuln;
      vuln.id = Str(v, "Id");
      simdjson::dom::array pkgs;
      if (v["VulnerablePackages"].get_array().get(pkgs) == simdjson::SUCCESS) {
        for (element p : pkgs) {
          VulnerablePackage pkg;
          pkg.name = Str(p, "Name");
          pkg.version = Str(p, "Version");
          pkg.epoch = Str(p, "Epoch");
          pkg.release = Str(p, "Release");
          pkg.architecture = Str(p, "Architecture");
          pkg.package_manager = Str(p, "PackageManager");
          pkg.file_path = Str(p, "FilePath");
          pkg.fixed_in_version = Str(p, "FixedInVersion");
          pkg.remediation = Str(p, "Remediation");
          vuln.vulnerable_packages.push_back(std::move(pkg));
        }
      }
      simdjson::dom::array cvss;
      if (v["Cvss"].get_array().get(cvss) == simdjson::SUCCESS) {
        for (element c : cvss) {
          Cvss cv;
          cv.version = Str(c, "Version");
          double score;
          if (c["BaseScore"].get_double().get(score) == simdjson::SUCCESS) cv.base_score = score;
          else {
            int64_t iscore;
            if (c["BaseScore"].get_int64().get(iscore) == simdjson::SUCCESS) cv.base_score = static_cast<double>(iscore);
          }
          cv.base_vector = Str(c, "BaseVector");
          cv.source = Str(c, "Source");
          vuln.cvss.push_back(std::move(cv));
        }
      }
      vuln.reference_urls = StrList(v, "ReferenceUrls");
      vuln.related_vulnerabilities = StrList(v, "RelatedVulnerabilities");
      vuln.fix_available = Str(v, "FixAvailable");
      element vendor;
      if (v["Vendor"].get(vendor) == simdjson::SUCCESS) {
        vuln.vendor_name = Str(vendor, "Name");
        vuln.vendor_url = Str(vendor, "Url");
        vuln.vendor_severity = Str(vendor, "VendorSeverity");
      }
      // EpssScore is a Double in the model: a number (a string is not read, as for BaseScore).
      double epss;
      int64_t iepss;
      if (v["EpssScore"].get_double().get(epss) == simdjson::SUCCESS) vuln.exploit.epss = epss;
      else if (v["EpssScore"].get_int64().get(iepss) == simdjson::SUCCESS) vuln.exploit.epss = static_cast<double>(iepss);
      vuln.exploit.exploit_available = Str(v, "ExploitAvailable");
      vuln.exploit.last_known_exploit_at = Str(v, "LastKnownExploitAt");
      f.vulnerabilities.push_back(std::move(vuln));
    }
  }
  // findex's export-time product fields (asff_writer.h) go back on one vulnerability: KEV on the
  // first whose ExploitAvailable is YES (a KEV listing implies it), else the first; the EPSS
  // percentile on the one with the highest EpssScore. The finding's SummarizeExploit is then what
  // it was when written.
  if (!f.vulnerabilities.empty()) {
    if (kev == "true") {
      Vulnerability* on = &f.vulnerabilities.front();
      for (auto& v : f.vulnerabilities) {
        if (v.exploit.exploit_available == "YES") {
          on = &v;
          break;
        }
      }
      on->exploit.kev = 1;
      on->exploit.kev_due = kev_due;
      on->exploit.ransomware = ransomware == "true" ? 1 : ransomware == "false" ? 0 : -1;
    }
    char* end = nullptr;
    double pct = std::strtod(epss_percentile.c_str(), &end);
    if (!epss_percentile.empty() && end == epss_percentile.c_str() + epss_percentile.size()) {
      Vulnerability* on = &f.vulnerabilities.front();
      for (auto& v : f.vulnerabilities) {
        if (v.exploit.epss > on->exploit.epss) on = &v;
      }
      on->exploit.epss_percentile = pct;
    }
  }
  element wf;
  if (obj["Workflow"].get(wf) == simdjson::SUCCESS) {
    if (auto s = ParseWorkflowStatus(Str(wf, "Status"))) f.workflow = *s;
  }
  if (auto rs = ParseRecordState(Str(obj, "RecordState"))) f.record_state = *rs;
  element note;
  if (obj["Note"].get(note) == simdjson::SUCCESS) {
    f.note = Note{Str(note, "Text"), Str(note, "UpdatedBy"), Str(note, "UpdatedAt")};
  }
  return Status::Ok();
}

Result<Finding> ParseAsffJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element doc;
  auto err = parser.parse(padded).get(doc);
  if (err) return MakeError(ErrorCode::kParse, simdjson::error_message(err));
  Finding f;
  Status st = ReadAsff(doc, &f);
  if (!st.ok()) return st.error();
  return f;
}

}  // namespace findex
