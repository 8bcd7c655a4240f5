#include "normalize/asff_writer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "normalize/exploit.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr size_t kMaxTitle = 256;
constexpr size_t kMaxDescription = 1024;
constexpr size_t kMaxResources = 32;
constexpr size_t kMaxProductFields = 50;
constexpr size_t kMaxFieldValue = 2048;
constexpr size_t kMaxFieldKey = 128;

// ASFF strings are NonEmptyString (pattern .*\S.*): blank values are omitted.
bool HasText(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c != ' ' && c != '\t' && c != '\n' && c != '\r'; });
}

void Opt(JsonWriter& w, std::string_view key, std::string_view value) {
  if (HasText(value)) w.Field(key, value);
}

void StringList(JsonWriter& w, std::string_view key, const std::vector<std::string>& items) {
  bool any = std::any_of(items.begin(), items.end(), [](const std::string& s) { return HasText(s); });
  if (!any) return;
  w.Key(key).BeginArray();
  for (const auto& s : items) {
    if (HasText(s)) w.String(s);
  }
  w.EndArray();
}

void FieldMap(JsonWriter& w, std::string_view key, const std::map<std::string, std::string>& m, bool limits) {
  size_t n = 0;
  for (const auto& [k, v] : m) n += HasText(k) && HasText(v);
  if (n == 0) return;
  w.Key(key).BeginObject();
  size_t written = 0;
  // When the 50-field limit bites, findex's own fields go first: they carry the identity.
  const bool findex_first = limits && n > kMaxProductFields;
  for (int pass = findex_first ? 0 : 1; pass < 2; ++pass) {
    for (const auto& [k, v] : m) {
      if (!HasText(k) || !HasText(v)) continue;
      if (findex_first && StartsWith(k, "findex/") != (pass == 0)) continue;
      if (limits && written == kMaxProductFields) break;
      if (limits) {
        w.Key(TruncateUtf8(k, kMaxFieldKey)).String(TruncateUtf8(v, kMaxFieldValue));
      } else {
        w.Key(k).String(v);
      }
      ++written;
    }
  }
  w.EndObject();
}

// The shortest text that reads back as the same double ("0.99973", not "0.99972999999999996").
std::string NumberText(double v) {
  char buf[32];
  for (int prec = 6; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

}  // namespace

void WriteAsff(const Finding& f, JsonWriter& w, const AsffWriteOptions& opts) {
  const bool lim = opts.apply_limits;
  w.BeginObject();
  w.Field("SchemaVersion", "2018-10-08");
  w.Field("Id", f.id);
  w.Field("ProductArn", f.product_arn);
  Opt(w, "ProductName", f.product_name);
  Opt(w, "CompanyName", f.company_name);
  Opt(w, "Region", f.region);
  w.Field("GeneratorId", f.generator_id);
  w.Field("AwsAccountId", f.aws_account_id);
  w.Key("Types").BeginArray();
  for (const auto& t : f.types) w.String(t);
  w.EndArray();
  Opt(w, "FirstObservedAt", f.first_observed_at);
  Opt(w, "LastObservedAt", f.last_observed_at);
  w.Field("CreatedAt", f.created_at);
  w.Field("UpdatedAt", f.updated_at);
  w.Key("Severity").BeginObject();
  w.Field("Label", ToString(f.severity.label));
  w.FieldInt("Normalized", f.severity.normalized);
  Opt(w, "Original", f.severity.original);
  w.EndObject();
  if (f.confidence >= 0) w.FieldInt("Confidence", f.confidence);
  if (f.criticality >= 0) w.FieldInt("Criticality", f.criticality);
  w.Field("Title", lim ? TruncateUtf8(f.title, kMaxTitle) : f.title);
  w.Field("Description", lim ? TruncateUtf8(f.description, kMaxDescription) : f.description);
  if (HasText(f.remediation_text) || HasText(f.remediation_url)) {
    w.Key("Remediation").BeginObject().Key("Recommendation").BeginObject();
    Opt(w, "Text", lim ? TruncateUtf8(f.remediation_text, 512) : f.remediation_text);
    Opt(w, "Url", f.remediation_url);
    w.EndObject().EndObject();
  }
  Opt(w, "SourceUrl", f.source_url);

  // findex's own fields travel in ProductFields so that a round trip keeps them.
  std::map<std::string, std::string> pf = f.product_fields;
  pf[std::string(kPfScanner)] = f.scanner;
  pf[std::string(kPfFormat)] = f.format;
  pf[std::string(kPfFingerprint)] = f.fingerprint.Hex();
  if (!f.scope.empty()) pf[std::string(kPfScope)] = f.scope;
  if (!f.cwes.empty()) {
    std::string joined;
    for (const auto& c : f.cwes) joined += (joined.empty() ? "" : ",") + c;
    pf[std::string(kPfCwes)] = joined;
  }
  if (!f.location.file_path.empty()) pf[std::string(kPfFilePath)] = f.location.file_path;
  if (f.location.start_line > 0) pf[std::string(kPfStartLine)] = std::to_string(f.location.start_line);
  if (f.location.end_line > 0) pf[std::string(kPfEndLine)] = std::to_string(f.location.end_line);
  if (!f.location.url.empty()) pf[std::string(kPfUrl)] = f.location.url;
  if (f.resource_count > f.resources.size() || (lim && f.resources.size() > kMaxResources)) {
    pf[std::string(kPfResourceCount)] = std::to_string(std::max<uint64_t>(f.resource_count, f.resources.size()));
  }
  if (f.occurrences > 0) pf[std::string(kPfOccurrences)] = std::to_string(f.occurrences);
  const ExploitSummary ex = SummarizeExploit(f);
  if (ex.kev == 1) {
    pf[std::string(kPfKev)] = "true";
    if (!ex.kev_due.empty()) pf[std::string(kPfKevDue)] = ex.kev_due;
    if (ex.ransomware >= 0) pf[std::string(kPfRansomware)] = ex.ransomware == 1 ? "true" : "false";
  }
  if (ex.epss_percentile >= 0) pf[std::string(kPfEpssPercentile)] = NumberText(ex.epss_percentile);
  FieldMap(w, "ProductFields", pf, lim);
  FieldMap(w, "UserDefinedFields", f.user_defined_fields, lim);

  w.Key("Resources").BeginArray();
  size_t nres = lim ? std::min(kMaxResources, f.resources.size()) : f.resources.size();
  for (size_t i = 0; i < nres; ++i) {
    const Resource& r = f.resources[i];
    w.BeginObject();
    w.Field("Type", HasText(r.type) ? r.type : "Other");
    w.Field("Id", HasText(r.id) ? r.id : "unknown");
    Opt(w, "Partition", r.partition);
    Opt(w, "Region", r.region);
    bool any_detail = false;
    for (const auto& [k, v] : r.details_other) any_detail |= HasText(k) && HasText(v);
    if (any_detail) {
      w.Key("Details").BeginObject();
      FieldMap(w, "Other", r.details_other, lim);
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();

  if (!f.vulnerabilities.empty()) {
    w.Key("Vulnerabilities").BeginArray();
    for (const auto& v : f.vulnerabilities) {
      w.BeginObject();
      w.Field("Id", HasText(v.id) ? v.id : "unknown");
      if (!v.vulnerable_packages.empty()) {
        w.Key("VulnerablePackages").BeginArray();
        for (const auto& p : v.vulnerable_packages) {
          w.BeginObject();
          Opt(w, "Name", p.name);
          Opt(w, "Version", p.version);
          Opt(w, "Epoch", p.epoch);
          Opt(w, "Release", p.release);
          Opt(w, "Architecture", p.architecture);
          Opt(w, "PackageManager", p.package_manager);
          Opt(w, "FilePath", p.file_path);
          Opt(w, "FixedInVersion", p.fixed_in_version);
          Opt(w, "Remediation", p.remediation);
          w.EndObject();
        }
        w.EndArray();
      }
      if (!v.cvss.empty()) {
        w.Key("Cvss").BeginArray();
        for (const auto& c : v.cvss) {
          w.BeginObject();
          Opt(w, "Version", c.version);
          if (c.base_score >= 0) w.Key("BaseScore").Double(c.base_score);
          Opt(w, "BaseVector", c.base_vector);
          Opt(w, "Source", c.source);
          w.EndObject();
        }
        w.EndArray();
      }
      StringList(w, "ReferenceUrls", v.reference_urls);
      StringList(w, "RelatedVulnerabilities", v.related_vulnerabilities);
      Opt(w, "FixAvailable", v.fix_available);
      if (HasText(v.vendor_name)) {
        w.Key("Vendor").BeginObject();
        w.Field("Name", v.vendor_name);
        Opt(w, "Url", v.vendor_url);
        Opt(w, "VendorSeverity", v.vendor_severity);
        w.EndObject();
      }
      // Exploitation data (issue 11): what the report said, or a loaded feed where the store has one.
      const ExploitInfo& e = v.exploit;
      if (e.epss >= 0 && e.epss <= 1) w.Key("EpssScore").Double(e.epss);
      if (e.exploit_available == "YES" || e.exploit_available == "NO") w.Field("ExploitAvailable", e.exploit_available);
      Opt(w, "LastKnownExploitAt", e.last_known_exploit_at);
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("Workflow").BeginObject().Field("Status", ToString(f.workflow)).EndObject();
  w.Field("RecordState", ToString(f.record_state));
  if (f.note && HasText(f.note->text)) {
    w.Key("Note").BeginObject();
    w.Field("Text", f.note->text);
    w.Field("UpdatedBy", HasText(f.note->updated_by) ? f.note->updated_by : "findex");
    w.Field("UpdatedAt", HasText(f.note->updated_at) ? f.note->updated_at : f.updated_at);
    w.EndObject();
  }
  w.EndObject();
}

std::string ToAsffJson(const Finding& f, const AsffWriteOptions& opts) {
  std::string out;
  JsonWriter w(&out, opts.indent);
  WriteAsff(f, w, opts);
  return out;
}

}  // namespace findex
