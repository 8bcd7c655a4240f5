// AWS Security Finding Format (ASFF, SchemaVersion 2018-10-08) as other tools write it:
//   - {"Findings": [...]} (Security Hub get-findings, Trivy's ASFF template, findex export),
//     {"findings": [...]} (some exporters lower-case the key),
//   - a bare array (BatchImportFindings input, Prowler -M json-asff),
//   - one finding per line (NDJSON, Prowler 2.x),
//   - an EventBridge "Security Hub Findings - *" event ({"detail": {"findings": [...]}}),
//   - a single finding object.
// Each finding is read with normalize/asff_reader over a simdjson DOM element (the outer
// structure is walked On-Demand, so a record's offset and line are known for its reject).
//
// Identity: FingerprintOf({"asff", ProductArn, Id}) -- a producer's Id is unique and stable for
// its ProductArn by ASFF's contract. A finding that carries ProductFields "findex/Fingerprint"
// is a findex export: its fingerprint (and findex/Scanner, findex/Format) are kept so that a
// round trip keeps identity. findex writes its own Id and ProductArn on export (Finalize), so
// the producer's are kept in ProductFields "asff/OriginalId" and "asff/OriginalProductArn"
// (not for findex exports, whose Id and ProductArn were findex's own).
// Scanner family: ProductFields "findex/Scanner" when present, else "trivy" for Aqua's product
// ARN (Trivy's ASFF template), else ProductName lower-cased without spaces ("guardduty",
// "inspector", "securityhub", "config"), else the product part of ProductArn ("prowler"),
// else "asff". ProductName / CompanyName are kept; when absent they come from ProductArn
// (Aqua's ARN: "Trivy" / "Aqua Security"; "aws" -> "Amazon"; a custom "<account>/default"
// product leaves them to Finalize).
//
// Required to read a finding (else a reject with the reason): Id, ProductArn, Title, Severity
// with a known Label or a Normalized value, and Resources with at least one {Type, Id}. What
// findex can supply itself is not required: AwsAccountId, GeneratorId, Types, CreatedAt,
// UpdatedAt, Description (Finalize fills them).
// Severity: Label, else the label of Normalized (LabelForNormalized); Original is kept, or set
// to the Label (else Normalized) as written when the producer gave none. A Label inconsistent
// with Normalized (GuardDuty: LOW with 40) is read as is; Finalize brings Normalized into the
// Label's band. Workflow.Status and RecordState are kept.
// What findex reads but never writes invalid: Types outside ASFF's namespaces (Prowler's
// "IAM", "ens-op.acc.5.aws.iam.1") move to "asff/OriginalTypes" (Types, when none is left or
// none was given, is "Software and Configuration Checks"); an AwsAccountId that is not 12 digits moves to
// "asff/OriginalAwsAccountId"; an unknown Partition, a timestamp that is not RFC 3339, a
// Confidence/Criticality outside 0..100 and a FixAvailable outside YES/NO/PARTIAL are dropped.
// Long Titles/Descriptions (Trivy) are kept whole and truncated only on export.
// Exploitation (issue 11): Vulnerabilities[].EpssScore (a number in 0..1), ExploitAvailable
// (YES/NO) and LastKnownExploitAt (RFC 3339) fill the vulnerability's ExploitInfo; a value
// outside those is dropped. findex's own exports add ProductFields findex/kev, findex/kev_due,
// findex/ransomware and findex/epss_percentile (asff_writer.h), read back onto a vulnerability
// (a due date that is not YYYY-MM-DD is dropped). A finding-level "EpssScore" (one DefectDojo
// sample has it) is not an ASFF member and is not read.
// Compliance.Status (Security Hub controls: PASSED/FAILED/...) is kept in "asff/ComplianceStatus".
// Target (for resolution by absence): none (ASFF findings of many products and resources).
#include <algorithm>

#include "ingest/formats/exploit_common.h"
#include "ingest/json_util.h"
#include "normalize/asff_reader.h"
#include "normalize/asff_writer.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"
#include "normalize/timestamp.h"

namespace findex {
namespace {

using simdjson::dom::element;

constexpr std::string_view kExt[] = {".json", ".asff", ".ndjson", ".jsonl"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty()) return SniffConfidence::kNo;
  // SchemaVersion is the string "2018-10-08" (Trivy's own JSON has "SchemaVersion": 2).
  bool schema = HeadHas(h, "\"SchemaVersion\"") && HeadHas(h, "\"2018-10-08\"");
  bool arn = HeadHas(h, "\"ProductArn\"");
  bool gen = HeadHas(h, "\"GeneratorId\"");
  if (schema && (arn || gen)) return SniffConfidence::kCertain;
  // Keys in alphabetical order push SchemaVersion to the end of a long finding.
  if (arn && gen && HeadHas(h, "\"AwsAccountId\"")) return SniffConfidence::kLikely;
  // No findings, as GetFindings answers and findex's own export of nothing: {"Findings": []}.
  if (h.size() < 64) {
    std::string compact;
    for (char c : h) {
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact.push_back(c);
    }
    if (compact == "{\"Findings\":[]}") return SniffConfidence::kLikely;
  }
  return SniffConfidence::kNo;
}

// ---------- validity helpers ----------

// True when `t` is an RFC 3339 date-time (what ASFF requires of its timestamps).
bool IsRfc3339(std::string_view t) {
  Rfc3339Time r;
  return ParseRfc3339(t, &r) && r.offset_hours < 24 && r.offset_minutes < 60 &&
         DaysFromCivil(r.year, static_cast<unsigned>(r.month), static_cast<unsigned>(r.day)) >= -719468;
}

bool ValidPartition(std::string_view p) {
  return p == "aws" || p == "aws-cn" || p == "aws-us-gov" || p == "aws-us-iso" || p == "aws-us-iso-b" ||
         p == "AzureCloud";
}

bool ValidType(std::string_view t) {
  static constexpr std::string_view kNamespaces[] = {"Software and Configuration Checks", "TTPs", "Effects",
                                                      "Unusual Behaviors", "Sensitive Data Identifications"};
  if (Trim(t).empty()) return false;
  size_t slash = t.find('/');
  std::string_view ns = t.substr(0, slash);
  if (std::find(std::begin(kNamespaces), std::end(kNamespaces), ns) == std::end(kNamespaces)) return false;
  return std::count(t.begin(), t.end(), '/') <= 2;
}

// A string member: "" when absent; false when present with another type.
bool StrMember(element e, std::string_view key, std::string* out) {
  out->clear();
  element v;
  if (e[key].get(v) != simdjson::SUCCESS || v.is_null()) return true;
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return false;
  out->assign(s);
  return true;
}

std::string Slug(std::string_view s) {
  std::string out;
  for (char c : ToLower(s)) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') out.push_back(c);
  }
  return out;
}

// "arn:aws:securityhub:us-east-1::product/aws/guardduty" -> {"aws", "guardduty"}.
std::pair<std::string, std::string> ProductOfArn(std::string_view arn) {
  size_t p = arn.find(":product/");
  if (p == std::string_view::npos) return {};
  std::string_view rest = arn.substr(p + 9);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return {std::string(), std::string(rest)};
  return {std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// ---------- one finding ----------

// Fills `out` from one ASFF finding; returns "" or the reason the finding is rejected.
std::string Convert(element e, Finding* out) {
  if (!e.is_object()) return "finding is not a JSON object";
  std::string id, arn, title, s;
  if (!StrMember(e, "Id", &id)) return "\"Id\" is not a string";
  if (Trim(id).empty()) return "missing required field \"Id\"";
  if (!StrMember(e, "ProductArn", &arn)) return "\"ProductArn\" is not a string";
  if (Trim(arn).empty()) return "missing required field \"ProductArn\"";
  if (!StrMember(e, "Title", &title)) return "\"Title\" is not a string";
  if (Trim(title).empty()) return "missing required field \"Title\"";
  element sev;
  if (e["Severity"].get(sev) != simdjson::SUCCESS || sev.is_null()) return "missing required field \"Severity\"";
  if (!sev.is_object()) return "\"Severity\" is not an object";
  std::string label_text;
  if (!StrMember(sev, "Label", &label_text)) return "\"Severity.Label\" is not a string";
  int64_t normalized = -1;
  bool has_normalized = false;
  element nv;
  if (sev["Normalized"].get(nv) == simdjson::SUCCESS && !nv.is_null()) {
    double d;
    if (nv.get_int64().get(normalized) == simdjson::SUCCESS) {
      has_normalized = true;
    } else if (nv.get_double().get(d) == simdjson::SUCCESS) {
      normalized = static_cast<int64_t>(d);
      has_normalized = true;
    } else {
      return "\"Severity.Normalized\" is not a number";
    }
    if (normalized < 0 || normalized > 100) return "\"Severity.Normalized\" is outside 0..100";
  }
  bool known_label = ParseSeverityLabel(label_text).has_value();
  if (!known_label && !has_normalized) {
    return label_text.empty() ? "\"Severity\" has neither Label nor Normalized"
                              : "unknown \"Severity.Label\" \"" + label_text + "\" and no Normalized";
  }
  simdjson::dom::array resources;
  element rv;
  if (e["Resources"].get(rv) != simdjson::SUCCESS || rv.is_null()) return "missing required field \"Resources\"";
  if (rv.get_array().get(resources) != simdjson::SUCCESS) return "\"Resources\" is not an array";
  size_t ri = 0;
  for (element r : resources) {
    std::string rtype, rid;
    std::string where = "Resources[" + std::to_string(ri++) + "]";
    if (!r.is_object()) return where + " is not an object";
    if (!StrMember(r, "Type", &rtype) || Trim(rtype).empty()) return where + " has no \"Type\"";
    if (!StrMember(r, "Id", &rid) || Trim(rid).empty()) return where + " has no \"Id\"";
  }
  if (ri == 0) return "\"Resources\" is empty";

  Finding& f = *out;
  Status st = ReadAsff(e, &f);
  if (!st.ok()) return st.error().message;
  const bool findex_export = !f.fingerprint.empty();
  if (!findex_export) {
    f.fingerprint = FingerprintOf({"asff", arn, id});
    f.product_fields["asff/OriginalId"] = id;
    f.product_fields["asff/OriginalProductArn"] = arn;
    f.format = "asff";
    if (f.severity.original.empty()) {
      f.severity.original = !label_text.empty() ? label_text : std::to_string(normalized);
    }
    std::string compliance;
    element comp;
    if (e["Compliance"].get(comp) == simdjson::SUCCESS && StrMember(comp, "Status", &compliance) &&
        !Trim(compliance).empty()) {
      f.product_fields["asff/ComplianceStatus"] = compliance;
    }
  }
  f.id.clear();
  f.product_arn.clear();
  f.scope.clear();

  auto [company, product] = ProductOfArn(arn);
  if (f.scanner.empty()) {
    if (company == "aquasecurity") f.scanner = "trivy";  // Trivy's ASFF template uses Aqua's product ARN
    else if (!Slug(f.product_name).empty()) f.scanner = Slug(f.product_name);
    else if (!product.empty() && product != "default" && !Slug(product).empty()) f.scanner = Slug(product);
    else f.scanner = "asff";
  }
  if (company == "aquasecurity") {
    if (f.product_name.empty()) f.product_name = "Trivy";
    if (f.company_name.empty()) f.company_name = "Aqua Security";
  }
  if (f.product_name.empty() && company == "aws") {
    // AWS's own integrations, named as Security Hub names them.
    static const struct { std::string_view arn, name; } kAws[] = {
        {"guardduty", "GuardDuty"}, {"inspector", "Inspector"}, {"securityhub", "Security Hub"},
        {"macie", "Macie"},         {"config", "Config"},       {"access-analyzer", "IAM Access Analyzer"},
        {"firewall-manager", "Firewall Manager"}, {"health", "Health"}, {"ssm-patch-manager", "Systems Manager Patch Manager"}};
    for (const auto& a : kAws) {
      if (product == a.arn) f.product_name = std::string(a.name);
    }
  }
  if (f.product_name.empty() && !product.empty() && product != "default") f.product_name = product;
  if (f.company_name.empty() && !company.empty() && !AllDigits(company)) {
    f.company_name = company == "aws" ? std::string("Amazon") : company;
  }

  // Never write what ASFF forbids (see the header comment).
  std::vector<std::string> types, odd;
  for (auto& t : f.types) (ValidType(t) ? types : odd).push_back(t);
  if (types.size() > 50) types.resize(50);
  if (!odd.empty()) {
    std::string joined;
    for (const auto& t : odd) joined += (joined.empty() ? "" : ", ") + t;
    f.product_fields["asff/OriginalTypes"] = joined;
  }
  // ASFF requires Types; a producer that gave none valid gets the namespace alone (Finalize's
  // default would call it a vulnerability, which a configuration check is not).
  if (types.empty() && !findex_export) types.push_back("Software and Configuration Checks");
  f.types = std::move(types);
  if (!f.aws_account_id.empty() && !(f.aws_account_id.size() == 12 && AllDigits(f.aws_account_id))) {
    f.product_fields["asff/OriginalAwsAccountId"] = f.aws_account_id;
    f.aws_account_id.clear();
  }
  for (std::string* ts : {&f.created_at, &f.updated_at, &f.first_observed_at, &f.last_observed_at}) {
    if (!ts->empty() && !IsRfc3339(*ts)) ts->clear();
  }
  for (auto& r : f.resources) {
    if (!r.partition.empty() && !ValidPartition(r.partition)) r.partition.clear();
  }
  if (f.confidence > 100) f.confidence = -1;
  if (f.criticality > 100) f.criticality = -1;
  for (auto& v : f.vulnerabilities) {
    if (v.fix_available != "YES" && v.fix_available != "NO" && v.fix_available != "PARTIAL") v.fix_available.clear();
    ExploitInfo& x = v.exploit;
    if (!exploit::ValidUnit(x.epss)) x.epss = -1;
    if (!exploit::ValidUnit(x.epss_percentile)) x.epss_percentile = -1;
    if (x.exploit_available != "YES" && x.exploit_available != "NO") x.exploit_available.clear();
    if (!x.last_known_exploit_at.empty() && !IsRfc3339(x.last_known_exploit_at)) x.last_known_exploit_at.clear();
    if (!x.kev_due.empty() && !exploit::IsDate(x.kev_due)) x.kev_due.clear();
  }
  if (f.generator_id.size() > 512) f.generator_id = TruncateUtf8(f.generator_id, 512);
  return {};
}

// ---------- the file ----------

class AsffReader {
 public:
  AsffReader(const Source& src, FindingSink& sink) : src_(src), sink_(sink) {}

  // One finding from `size` bytes at `data` (inside the padded source buffer).
  Status FromText(const char* data, size_t size, uint64_t offset, const std::string& where) {
    element e;
    auto ec = parser_.parse(data, size, false).get(e);
    if (ec) {
      RejectAt(offset, where, std::string("malformed finding: ") + simdjson::error_message(ec));
      return Status::Ok();
    }
    return FromElement(e, offset, where);
  }

  Status FromElement(element e, uint64_t offset, const std::string& where) {
    Finding f;
    std::string reason = Convert(e, &f);
    if (!reason.empty()) {
      RejectAt(offset, where, std::move(reason));
      return Status::Ok();
    }
    ++accepted_;
    return sink_.Accept(std::move(f));
  }

  void RejectAt(uint64_t offset, const std::string& where, std::string reason) {
    ++rejected_;
    Reject r;
    r.offset = offset;
    if (offset) r.line = src_.LineAt(offset - src_.text_offset());
    r.where = where;
    r.reason = std::move(reason);
    sink_.AddReject(std::move(r));
  }

  simdjson::dom::parser& parser() { return parser_; }
  uint64_t accepted() const { return accepted_; }
  uint64_t rejected() const { return rejected_; }

 private:
  const Source& src_;
  FindingSink& sink_;
  simdjson::dom::parser parser_;
  uint64_t accepted_ = 0, rejected_ = 0;
};

// Each element of an On-Demand array: its raw text is parsed as a DOM finding.
Status ReadArray(JsonReport& rep, od::value v, const std::string& prefix, AsffReader& reader) {
  od::array arr;
  if (auto ec = v.get_array().get(arr)) return rep.Malformed("\"" + prefix + "\" is not an array", ec);
  size_t i = 0;
  for (auto el : arr) {
    od::value ev;
    if (auto ec = el.get(ev)) return rep.Malformed("bad finding", ec);
    std::string where = prefix + "[" + std::to_string(i++) + "]";
    uint64_t offset = rep.OffsetOf(ev);
    od::json_type t;
    if (auto ec = ev.type().get(t)) return rep.Malformed("bad finding", ec);
    if (t != od::json_type::object) {
      reader.RejectAt(offset, where, "finding is not a JSON object");
      continue;
    }
    od::object obj;
    std::string_view raw;
    if (auto ec = ev.get_object().get(obj)) return rep.Malformed("bad finding", ec);
    if (auto ec = obj.raw_json().get(raw)) return rep.Malformed("malformed finding " + where, ec);
    FINDEX_RETURN_IF_ERROR(reader.FromText(raw.data(), raw.size(), offset, where));
  }
  return Status::Ok();
}

bool IsFindingKey(std::string_view k) {
  return k == "SchemaVersion" || k == "ProductArn" || k == "GeneratorId" || k == "AwsAccountId";
}

// NDJSON: the first line is a whole JSON object and more content follows it.
bool LooksLikeNdjson(std::string_view text, size_t start, simdjson::dom::parser& parser) {
  size_t nl = text.find('\n', start);
  if (nl == std::string_view::npos) return false;
  if (text.find_first_not_of(" \t\r\n", nl) == std::string_view::npos) return false;
  std::string line(text.substr(start, nl - start));
  element e;
  return parser.parse(line).get(e) == simdjson::SUCCESS && e.is_object();
}

Status IngestLines(Source& src, size_t start, AsffReader& reader) {
  std::string_view text = src.text();
  const size_t readable_total = src.padded().capacity();
  size_t pos = start;
  uint32_t line_no = src.LineAt(start);
  for (; pos < text.size(); ++line_no) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) {
      uint64_t offset = pos + src.text_offset();
      std::string where = "line " + std::to_string(line_no);
      element e;
      simdjson::error_code ec = simdjson::SUCCESS;
      if (readable_total - pos >= line.size() + simdjson::SIMDJSON_PADDING) {
        ec = reader.parser().parse(line.data(), line.size(), false).get(e);
      } else {
        ec = reader.parser().parse(std::string(line)).get(e);
      }
      if (ec) {
        reader.RejectAt(offset, where, std::string("malformed or truncated JSON: ") + simdjson::error_message(ec));
      } else {
        simdjson::dom::array page;
        if (e.is_object() && (e["Findings"].get_array().get(page) == simdjson::SUCCESS ||
                              e["findings"].get_array().get(page) == simdjson::SUCCESS)) {
          size_t i = 0;
          for (element x : page) {
            FINDEX_RETURN_IF_ERROR(reader.FromElement(x, offset, where + " Findings[" + std::to_string(i++) + "]"));
          }
        } else {
          FINDEX_RETURN_IF_ERROR(reader.FromElement(e, offset, where));
        }
      }
    }
    pos = end + 1;
  }
  if (reader.accepted() == 0 && reader.rejected() > 0) {
    return MakeError(ErrorCode::kSchema, "no line is a valid ASFF finding (see the rejects)", src.path());
  }
  return Status::Ok();
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  AsffReader reader(src, sink);
  std::string_view text = src.text();
  size_t start = JsonStart(text);
  if (start != std::string_view::npos && text[start] == '{' && LooksLikeNdjson(text, start, reader.parser())) {
    return IngestLines(src, start, reader);
  }
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  od::json_type t;
  if (auto ec = rep.doc().type().get(t)) return rep.Malformed("cannot read the JSON root", ec);
  bool single = false;
  if (t == od::json_type::array) {
    od::array arr;
    if (auto ec = rep.doc().get_array().get(arr)) return rep.Malformed("expected an array of findings", ec);
    size_t i = 0;
    for (auto el : arr) {
      od::value ev;
      if (auto ec = el.get(ev)) return rep.Malformed("bad finding", ec);
      std::string where = "[" + std::to_string(i++) + "]";
      uint64_t offset = rep.OffsetOf(ev);
      od::json_type et;
      if (auto ec = ev.type().get(et)) return rep.Malformed("bad finding", ec);
      if (et != od::json_type::object) {
        reader.RejectAt(offset, where, "finding is not a JSON object");
        continue;
      }
      od::object obj;
      std::string_view raw;
      if (auto ec = ev.get_object().get(obj)) return rep.Malformed("bad finding", ec);
      if (auto ec = obj.raw_json().get(raw)) return rep.Malformed("malformed finding " + where, ec);
      FINDEX_RETURN_IF_ERROR(reader.FromText(raw.data(), raw.size(), offset, where));
    }
  } else if (t == od::json_type::object) {
    od::object root;
    if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("expected an ASFF object", ec);
    bool any_key = false, known = false;
    for (auto field : root) {
      std::string_view key;
      if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
      any_key = true;
      od::value v;
      if (auto ec = field.value().get(v)) return rep.Malformed("bad value", ec);
      if (key == "Findings" || key == "findings") {
        known = true;
        FINDEX_RETURN_IF_ERROR(ReadArray(rep, v, std::string(key), reader));
      } else if (key == "detail") {
        // EventBridge "Security Hub Findings - Imported/Custom Action" event.
        od::object detail;
        if (auto ec = v.get_object().get(detail)) return rep.Malformed("\"detail\" is not an object", ec);
        for (auto df : detail) {
          std::string_view dk;
          if (auto ec = df.unescaped_key().get(dk)) return rep.Malformed("bad key", ec);
          if (dk != "findings") continue;
          known = true;
          od::value dv;
          if (auto ec = df.value().get(dv)) return rep.Malformed("bad value", ec);
          FINDEX_RETURN_IF_ERROR(ReadArray(rep, dv, "detail.findings", reader));
        }
      } else if (IsFindingKey(key)) {
        single = true;
      }
    }
    if (any_key && !known && !single) {
      FINDEX_RETURN_IF_ERROR(rep.Finish());
      return MakeError(ErrorCode::kSchema, "not ASFF: no \"Findings\" array and not a finding", src.path());
    }
    if (known) single = false;
  } else if (t == od::json_type::null) {
    bool is_null = false;
    if (auto ec = rep.doc().is_null().get(is_null)) return rep.Malformed("cannot read the JSON root", ec);
  } else {
    return MakeError(ErrorCode::kSchema, "not ASFF: the root is neither an object nor an array", src.path());
  }
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  if (single) {
    // The whole document is one finding (checked to be well-formed above). When it is not a
    // valid finding the file is not ASFF at all (Trivy's own JSON has a SchemaVersion too).
    element e;
    if (auto ec = reader.parser().parse(text.data() + start, text.size() - start, false).get(e)) {
      return MakeError(ErrorCode::kParse, std::string("cannot parse JSON: ") + simdjson::error_message(ec), src.path());
    }
    Finding f;
    std::string reason = Convert(e, &f);
    if (!reason.empty()) return MakeError(ErrorCode::kSchema, "not an ASFF finding: " + reason, src.path());
    return sink.Accept(std::move(f));
  }
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& AsffFormat() {
  static const FormatDescriptor kDesc{"asff", "asff",
                                      "AWS Security Finding Format (Findings wrapper, array, one per line)", kExt,
                                      Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
