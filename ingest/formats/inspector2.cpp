// Amazon Inspector (v2) findings (https://docs.aws.amazon.com/inspector/v2/APIReference/API_Finding.html):
//   - a ListFindings page: {"findings": [...], "nextToken"?: "..."} (AWS CLI output has ISO
//     timestamps "2024-02-02T16:30:33.045000+01:00"; the raw API has epoch seconds 1.679344920187E9);
//   - an EventBridge event: {"detail-type": "Inspector2 Finding", "detail": {one finding}, ...};
//   - a bare array of findings.
// Finding types: PACKAGE_VULNERABILITY (packageVulnerabilityDetails), CODE_VULNERABILITY
// (codeVulnerabilityDetails, Lambda code scanning), NETWORK_REACHABILITY.
//
// Target (what the report scanned, for resolution by absence): each finding's first resource id
// (resources[0].id, an instance, image or function): a later report names a resource only
// through its findings, so a resource whose findings all went away is not judged (its findings
// stay active until a report about it, e.g. with status CLOSED, says otherwise).
//
// Identity:
//   - PACKAGE_VULNERABILITY: VulnFingerprint(vulnerabilityId, package), the identity every SCA
//     format shares, so that Trivy/Grype/Inspector reports of one CVE in one package within a
//     scope are one finding (the scope names the workload). The package is
//     {ecosystem, name, version}: ecosystem from packageManager (NODEPKG npm, PYTHONPKG pypi,
//     DOTNET_CORE nuget, JAR/POM maven, ... through CanonicalEcosystem) and, for OS packages,
//     from the resource platform (DEBIAN_*/UBUNTU_* deb, ALPINE_* apk, AMAZON_LINUX*/RHEL/CENTOS/
//     ORACLE/SUSE/ROCKY/ALMA/FEDORA rpm); an OS package's version is [epoch:]version-release,
//     the distribution's own version string that Trivy and Grype report.
//     An Inspector finding that lists several distinct packages (vim-common, vim-minimal, ...)
//     gives one finding per package; entries of one package at several file paths stay together.
//   - CODE_VULNERABILITY, NETWORK_REACHABILITY and anything else: FingerprintOf({"inspector",
//     findingArn}); Inspector keeps a finding's ARN for its whole life.
//   Findings of one file with the same identity (the same CVE and package in two images, or on
//   two paths reported as two Inspector findings) are merged: resources and package entries are
//   united, the observation window widened, the highest severity kept, and
//   "inspector/MergedFindings" counts them. Findings are emitted in first-seen order.
//   The findingArn (of the first merged finding) is kept in "inspector/FindingArn".
//
// Severity (https://docs.aws.amazon.com/inspector/latest/user/findings-understanding-severity.html):
// Inspector's severity is already an ASFF label (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL);
// UNTRIAGED (no score yet) -> INFORMATIONAL. Original = the severity as written. When
// inspectorScore is present, Normalized = the score x 10 within the label's band.
// Status (ACTIVE, SUPPRESSED, CLOSED): SUPPRESSED -> Workflow SUPPRESSED; CLOSED (Inspector no
// longer sees it) -> RecordState ARCHIVED and Workflow RESOLVED, as Security Hub does with
// closed Inspector findings.
// Exploitation (issue 11; Finding members epss: EpssDetails {score: Double 0.0..1.0},
// exploitAvailable: YES | NO, exploitabilityDetails: {lastKnownExploitAt: Timestamp}): a
// package vulnerability's ExploitInfo gets epss (no percentile or date: Inspector gives none),
// ExploitAvailable and LastKnownExploitAt (epoch seconds in the raw API, ISO text from the CLI;
// RFC 3339 as written, or UTC from epoch seconds). A score outside 0..1, another
// ExploitAvailable word or a timestamp that is neither is left out; the finding is kept.
// Inspector says nothing about CISA KEV. The raw texts stay in ProductFields too
// ("inspector/EpssScore", "inspector/ExploitAvailable").
// Resources keep their ASFF type (AWS_EC2_INSTANCE -> AwsEc2Instance, AWS_ECR_CONTAINER_IMAGE ->
// AwsEcrContainerImage, AWS_ECR_REPOSITORY -> AwsEcrRepository, AWS_LAMBDA_FUNCTION ->
// AwsLambdaFunction, other -> Other), Id = the resource ARN (an EC2 instance id becomes
// arn:<partition>:ec2:<region>:<account>:instance/<id>, the Id Security Hub uses), Partition and
// Region as given; details and tags are flattened into Details.Other.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <unordered_map>

#include "ingest/formats/exploit_common.h"
#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"
#include "normalize/timestamp.h"

namespace findex {
namespace {

using ec_t = simdjson::error_code;
constexpr ec_t kOk = simdjson::SUCCESS;
constexpr ec_t kShape = simdjson::INCORRECT_TYPE;  // a field of the wrong type: rejects the record

constexpr std::string_view kExt[] = {".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty()) return SniffConfidence::kNo;
  // ASFF (Security Hub's form of the same findings) is the asff format's.
  if (HeadHas(h, "\"SchemaVersion\"") && HeadHas(h, "2018-10-08")) return SniffConfidence::kNo;
  if (HeadHas(h, "\"detail-type\"") && HeadHas(h, "Inspector2 Finding")) return SniffConfidence::kCertain;
  bool arn = HeadHas(h, "\"findingArn\"");
  if (arn && (HeadHas(h, "\"awsAccountId\"") || HeadHas(h, "\"packageVulnerabilityDetails\"") ||
              HeadHas(h, "arn:aws:inspector2:")))
    return SniffConfidence::kCertain;
  if (arn) return SniffConfidence::kLikely;
  // An empty ListFindings page: {"findings": []} (with a nextToken at most).
  std::string compact;
  for (char c : h.substr(0, 256)) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact.push_back(c);
  }
  if (StartsWith(compact, "{\"findings\":[]")) return SniffConfidence::kMaybe;
  return SniffConfidence::kNo;
}

// ---------- timestamps ----------

// RFC 3339 date-time -> nanoseconds since the epoch (UTC); false when invalid.
bool ParseRfc3339(std::string_view t, int64_t* out_ns) {
  Rfc3339Time r;
  if (!findex::ParseRfc3339(t, &r)) return false;
  // Years far outside int64 nanoseconds (a year 1012 or 9999 parses) are no timestamp here.
  int64_t ns = 0;
  if (__builtin_mul_overflow(r.epoch_seconds, int64_t{1000000000}, &ns) || __builtin_add_overflow(ns, r.nanos, &ns)) {
    return false;
  }
  *out_ns = ns;
  return true;
}

// A timestamp value: epoch seconds (number) -> FormatTimestamp; a string is kept as written
// when it is RFC 3339 once a space separator is read as 'T' (boto3's "2026-02-18 12:01:00+01:00").
ec_t ReadTime(od::value v, std::string* out) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  out->clear();
  if (t == od::json_type::null) return kOk;
  if (t == od::json_type::number) {
    double d;
    if (auto ec = v.get_double().get(d)) return ec;
    if (d > 0 && d < 1e11) *out = FormatTimestamp(std::llround(d * 1000.0));
    return kOk;
  }
  if (t != od::json_type::string) return kShape;
  std::string_view s;
  if (auto ec = v.get_string().get(s)) return ec;
  std::string ts = Trim(s);
  if (ts.size() > 10 && ts[10] == ' ') ts[10] = 'T';
  int64_t ns;
  if (ParseRfc3339(ts, &ns)) *out = std::move(ts);
  return kOk;
}

// ---------- On-Demand walking: structural errors abort the file, kShape rejects the record ----------

template <typename Fn>
ec_t ForEachField(od::value v, std::string* problem, Fn&& fn) {
  od::object o;
  if (auto ec = v.get_object().get(o)) return ec;
  for (auto field : o) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return ec;
    od::value fv;
    if (auto ec = field.value().get(fv)) return ec;
    std::string k(key);
    if (auto ec = fn(k, fv)) {
      if (ec == kShape && problem->empty()) *problem = "\"" + k + "\" has the wrong type";
      return ec;
    }
  }
  return kOk;
}

template <typename Fn>
ec_t ForEachElement(od::value v, Fn&& fn) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t == od::json_type::null) return kOk;
  od::array a;
  if (auto ec = v.get_array().get(a)) return ec;
  for (auto e : a) {
    od::value ev;
    if (auto ec = e.get(ev)) return ec;
    if (auto ec = fn(ev)) return ec;
  }
  return kOk;
}

ec_t Str(od::value v, std::string* out) { return ReadString(v, out) ? kOk : kShape; }

ec_t StrList(od::value v, std::vector<std::string>* out) {
  return ForEachElement(v, [&](od::value e) {
    std::string s;
    if (auto ec = Str(e, &s)) return ec;
    if (!Trim(s).empty()) out->push_back(std::move(s));
    return kOk;
  });
}

// ---------- the raw record ----------

struct RawPackage {
  std::string name, version, epoch, release, arch, manager, file_path, fixed_in, remediation;
};

struct RawResource {
  std::string type, id, partition, region, platform;
  std::map<std::string, std::string> details;
};

struct RawFinding {
  std::string arn, account, type, title, description, severity, status, fix_available, exploit_available;
  std::string remediation_text, remediation_url, first, last, epss;
  std::string last_known_exploit;  // exploitabilityDetails.lastKnownExploitAt, RFC 3339
  double score = -1;
  // PACKAGE_VULNERABILITY
  std::string vuln_id, vuln_source, vuln_source_url, vendor_severity;
  std::vector<RawPackage> packages;
  std::vector<Cvss> cvss;
  std::vector<std::string> refs, related;
  // CODE_VULNERABILITY
  std::string code_file, detector_id, detector_name, rule_id;
  int64_t start_line = 0, end_line = 0;
  std::vector<std::string> cwes;
  // NETWORK_REACHABILITY
  std::string protocol, ports, network_path;
  std::vector<RawResource> resources;
  std::string problem;  // why the record is rejected
};

std::string Capitalized(std::string_view k) {
  std::string s(k);
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

// Scalars and lists of scalars of a resource's details object, for Details.Other.
ec_t ReadDetailObject(od::value v, RawResource* r, std::string* problem) {
  return ForEachField(v, problem, [&](const std::string& k, od::value fv) -> ec_t {
    od::json_type t;
    if (auto ec = fv.type().get(t)) return ec;
    std::string key = Capitalized(k);
    if (t == od::json_type::object) return kOk;  // nested (vpcConfig): skipped by the iterator
    if (t == od::json_type::array) {
      std::string joined;
      auto ec = ForEachElement(fv, [&](od::value e) -> ec_t {
        std::string s;
        if (ReadString(e, &s) && !Trim(s).empty()) joined += (joined.empty() ? "" : ", ") + s;
        return kOk;
      });
      if (ec) return ec;
      if (!joined.empty()) r->details[key] = joined;
      return kOk;
    }
    std::string s;
    if (key.size() > 2 && key.compare(key.size() - 2, 2, "At") == 0) {
      if (auto ec = ReadTime(fv, &s); ec && ec != kShape) return ec;
    } else if (!ReadString(fv, &s)) {
      return kOk;
    }
    if (k == "platform") r->platform = s;
    if (!Trim(s).empty()) r->details[key] = s;
    return kOk;
  });
}

ec_t ReadResource(od::value v, RawResource* r, std::string* problem) {
  return ForEachField(v, problem, [&](const std::string& k, od::value fv) -> ec_t {
    if (k == "type") return Str(fv, &r->type);
    if (k == "id") return Str(fv, &r->id);
    if (k == "partition") return Str(fv, &r->partition);
    if (k == "region") return Str(fv, &r->region);
    if (k == "tags") {
      return ForEachField(fv, problem, [&](const std::string& tk, od::value tv) -> ec_t {
        std::string s;
        if (ReadString(tv, &s) && !Trim(s).empty()) r->details["Tag/" + tk] = s;
        return kOk;
      });
    }
    if (k == "details") {
      return ForEachField(fv, problem, [&](const std::string&, od::value dv) -> ec_t {
        od::json_type t;
        if (auto ec = dv.type().get(t)) return ec;
        if (t != od::json_type::object) return kOk;
        return ReadDetailObject(dv, r, problem);
      });
    }
    return kOk;
  });
}

ec_t ReadPackageDetails(od::value v, RawFinding* f) {
  return ForEachField(v, &f->problem, [&](const std::string& k, od::value fv) -> ec_t {
    if (k == "vulnerabilityId") return Str(fv, &f->vuln_id);
    if (k == "source") return Str(fv, &f->vuln_source);
    if (k == "sourceUrl") return Str(fv, &f->vuln_source_url);
    if (k == "vendorSeverity") return Str(fv, &f->vendor_severity);
    if (k == "referenceUrls") return StrList(fv, &f->refs);
    if (k == "relatedVulnerabilities") return StrList(fv, &f->related);
    if (k == "cvss") {
      return ForEachElement(fv, [&](od::value e) -> ec_t {
        Cvss c;
        auto ec = ForEachField(e, &f->problem, [&](const std::string& ck, od::value cv) -> ec_t {
          if (ck == "baseScore") {
            double d;
            if (!ReadDouble(cv, &d)) return kShape;
            c.base_score = d;
            return kOk;
          }
          if (ck == "scoringVector") return Str(cv, &c.base_vector);
          if (ck == "source") return Str(cv, &c.source);
          if (ck == "version") return Str(cv, &c.version);
          return kOk;
        });
        if (ec) return ec;
        f->cvss.push_back(std::move(c));
        return kOk;
      });
    }
    if (k == "vulnerablePackages") {
      return ForEachElement(fv, [&](od::value e) -> ec_t {
        RawPackage p;
        auto ec = ForEachField(e, &f->problem, [&](const std::string& pk, od::value pv) -> ec_t {
          if (pk == "name") return Str(pv, &p.name);
          if (pk == "version") return Str(pv, &p.version);
          if (pk == "epoch") return Str(pv, &p.epoch);
          if (pk == "release") return Str(pv, &p.release);
          if (pk == "arch") return Str(pv, &p.arch);
          if (pk == "packageManager") return Str(pv, &p.manager);
          if (pk == "filePath") return Str(pv, &p.file_path);
          if (pk == "fixedInVersion") return Str(pv, &p.fixed_in);
          if (pk == "remediation") return Str(pv, &p.remediation);
          return kOk;
        });
        if (ec) return ec;
        f->packages.push_back(std::move(p));
        return kOk;
      });
    }
    return kOk;
  });
}

ec_t ReadCodeDetails(od::value v, RawFinding* f) {
  return ForEachField(v, &f->problem, [&](const std::string& k, od::value fv) -> ec_t {
    if (k == "detectorId") return Str(fv, &f->detector_id);
    if (k == "detectorName") return Str(fv, &f->detector_name);
    if (k == "ruleId") return Str(fv, &f->rule_id);
    if (k == "referenceUrls") return StrList(fv, &f->refs);
    if (k == "cwes") {
      std::vector<std::string> cwes;
      if (auto ec = StrList(fv, &cwes)) return ec;
      for (auto& c : cwes) {
        if (std::find(f->cwes.begin(), f->cwes.end(), c) == f->cwes.end()) f->cwes.push_back(c);
      }
      return kOk;
    }
    if (k == "filePath") {
      return ForEachField(fv, &f->problem, [&](const std::string& pk, od::value pv) -> ec_t {
        if (pk == "filePath") return Str(pv, &f->code_file);
        if (pk == "startLine") return ReadInt(pv, &f->start_line) ? kOk : kShape;
        if (pk == "endLine") return ReadInt(pv, &f->end_line) ? kOk : kShape;
        return kOk;
      });
    }
    return kOk;
  });
}

ec_t ReadNetworkDetails(od::value v, RawFinding* f) {
  return ForEachField(v, &f->problem, [&](const std::string& k, od::value fv) -> ec_t {
    if (k == "protocol") return Str(fv, &f->protocol);
    if (k == "openPortRange") {
      std::string begin, end;
      auto ec = ForEachField(fv, &f->problem, [&](const std::string& pk, od::value pv) -> ec_t {
        if (pk == "begin") return Str(pv, &begin);
        if (pk == "end") return Str(pv, &end);
        return kOk;
      });
      if (ec) return ec;
      f->ports = begin == end ? begin : begin + "-" + end;
      return kOk;
    }
    if (k == "networkPath") {
      return ForEachField(fv, &f->problem, [&](const std::string& nk, od::value nv) -> ec_t {
        if (nk != "steps") return kOk;
        return ForEachElement(nv, [&](od::value step) -> ec_t {
          return ForEachField(step, &f->problem, [&](const std::string& sk, od::value sv) -> ec_t {
            if (sk != "componentId") return kOk;
            std::string id;
            if (auto ec = Str(sv, &id)) return ec;
            f->network_path += (f->network_path.empty() ? "" : " > ") + id;
            return kOk;
          });
        });
      });
    }
    return kOk;
  });
}

ec_t ReadFinding(od::value v, RawFinding* f) {
  return ForEachField(v, &f->problem, [&](const std::string& k, od::value fv) -> ec_t {
    if (k == "findingArn") return Str(fv, &f->arn);
    if (k == "awsAccountId") return Str(fv, &f->account);
    if (k == "type") return Str(fv, &f->type);
    if (k == "title") return Str(fv, &f->title);
    if (k == "description") return Str(fv, &f->description);
    if (k == "severity") return Str(fv, &f->severity);
    if (k == "status") return Str(fv, &f->status);
    if (k == "fixAvailable") return Str(fv, &f->fix_available);
    if (k == "exploitAvailable") return Str(fv, &f->exploit_available);
    if (k == "firstObservedAt") return ReadTime(fv, &f->first);
    if (k == "lastObservedAt") return ReadTime(fv, &f->last);
    if (k == "inspectorScore") {
      od::json_type t;
      if (auto ec = fv.type().get(t)) return ec;
      if (t == od::json_type::null) return kOk;
      return ReadDouble(fv, &f->score) ? kOk : kShape;
    }
    if (k == "epss") {
      return ForEachField(fv, &f->problem, [&](const std::string& ek, od::value ev) -> ec_t {
        return ek == "score" ? Str(ev, &f->epss) : kOk;
      });
    }
    if (k == "exploitabilityDetails") {
      // {"lastKnownExploitAt": Timestamp}; a value of another shape is ignored, not a reject.
      od::json_type t;
      if (auto ec = fv.type().get(t)) return ec;
      if (t != od::json_type::object) return kOk;
      return ForEachField(fv, &f->problem, [&](const std::string& ek, od::value ev) -> ec_t {
        if (ek != "lastKnownExploitAt") return kOk;
        ec_t ec = ReadTime(ev, &f->last_known_exploit);
        return ec == kShape ? kOk : ec;
      });
    }
    if (k == "remediation") {
      return ForEachField(fv, &f->problem, [&](const std::string& rk, od::value rv) -> ec_t {
        if (rk != "recommendation") return kOk;
        return ForEachField(rv, &f->problem, [&](const std::string& tk, od::value tv) -> ec_t {
          if (tk == "text") return Str(tv, &f->remediation_text);
          if (tk == "Url" || tk == "url") return Str(tv, &f->remediation_url);
          return kOk;
        });
      });
    }
    if (k == "packageVulnerabilityDetails") return ReadPackageDetails(fv, f);
    if (k == "codeVulnerabilityDetails") return ReadCodeDetails(fv, f);
    if (k == "networkReachabilityDetails") return ReadNetworkDetails(fv, f);
    if (k == "cwes") {
      std::vector<std::string> cwes;
      if (auto ec = StrList(fv, &cwes)) return ec;
      for (auto& c : cwes) {
        if (std::find(f->cwes.begin(), f->cwes.end(), c) == f->cwes.end()) f->cwes.push_back(c);
      }
      return kOk;
    }
    if (k == "resources") {
      return ForEachElement(fv, [&](od::value e) -> ec_t {
        RawResource r;
        if (auto ec = ReadResource(e, &r, &f->problem)) return ec;
        f->resources.push_back(std::move(r));
        return kOk;
      });
    }
    return kOk;
  });
}

// ---------- mapping ----------

std::string_view AsffResourceType(std::string_view t) {
  if (t == "AWS_EC2_INSTANCE") return "AwsEc2Instance";
  if (t == "AWS_ECR_CONTAINER_IMAGE") return "AwsEcrContainerImage";
  if (t == "AWS_ECR_REPOSITORY") return "AwsEcrRepository";
  if (t == "AWS_LAMBDA_FUNCTION") return "AwsLambdaFunction";
  return "Other";
}

bool ValidPartition(std::string_view p) {
  return p == "aws" || p == "aws-cn" || p == "aws-us-gov" || p == "aws-us-iso" || p == "aws-us-iso-b";
}

// OS package ecosystem from Inspector's platform names (DEBIAN_10, UBUNTU_14_04, AMAZON_LINUX_2, ...).
std::string OsEcosystem(std::string_view platform) {
  std::string p = ToUpper(platform);
  for (std::string_view deb : {"DEBIAN", "UBUNTU"}) {
    if (StartsWith(p, deb)) return "deb";
  }
  if (StartsWith(p, "ALPINE")) return "apk";
  for (std::string_view rpm : {"AMAZON_LINUX", "AL2", "RHEL", "REDHAT", "CENTOS", "ORACLE", "OL_", "SUSE", "SLES",
                               "OPENSUSE", "ROCKY", "ALMA", "FEDORA", "MARINER", "CBL"}) {
    if (StartsWith(p, rpm)) return "rpm";
  }
  return "os";
}

PackageId PackageIdentity(const RawPackage& p, std::string_view platform) {
  std::string m = ToUpper(p.manager);
  PackageId id;
  id.name = p.name;
  id.version = p.version;
  if (m == "OS") {
    id.ecosystem = OsEcosystem(platform);
    if (!p.release.empty()) id.version += "-" + p.release;
    if (!p.epoch.empty() && p.epoch != "0") id.version = p.epoch + ":" + id.version;
  } else if (m == "NODEPKG") {
    id.ecosystem = "npm";
  } else if (m == "PYTHONPKG") {
    id.ecosystem = "pypi";
  } else if (m == "DOTNET_CORE") {
    id.ecosystem = "nuget";
  } else {
    id.ecosystem = CanonicalEcosystem(m);
  }
  return id;
}

std::optional<SeverityLabel> InspectorLabel(std::string_view s) {
  if (EqualsIgnoreCase(s, "UNTRIAGED")) return SeverityLabel::kInformational;
  for (auto l : {SeverityLabel::kInformational, SeverityLabel::kLow, SeverityLabel::kMedium, SeverityLabel::kHigh,
                 SeverityLabel::kCritical}) {
    if (EqualsIgnoreCase(s, ToString(l))) return l;
  }
  return std::nullopt;
}

std::string ScoreText(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

// Builds the findings of one record; "" on success, else the reject reason.
std::string Build(const RawFinding& raw, std::vector<Finding>* out) {
  if (!raw.problem.empty()) return raw.problem;
  std::optional<SeverityLabel> label = InspectorLabel(raw.severity);
  if (!label && raw.score >= 0) label = LabelForCvss3(raw.score);
  if (!label) return raw.severity.empty() ? "finding has no severity" : "unknown severity \"" + raw.severity + "\"";
  std::vector<Resource> resources;
  std::string platform;
  for (const auto& rr : raw.resources) {
    if (Trim(rr.id).empty()) continue;
    Resource r;
    r.type = std::string(AsffResourceType(rr.type));
    r.id = rr.id;
    r.partition = ValidPartition(rr.partition) ? rr.partition : "";
    r.region = rr.region;
    r.details_other = rr.details;
    if (r.type == "Other" && !rr.type.empty()) r.details_other["InspectorResourceType"] = rr.type;
    if (rr.type == "AWS_EC2_INSTANCE" && StartsWith(rr.id, "i-") && !raw.account.empty() && !rr.region.empty()) {
      r.details_other["InstanceId"] = rr.id;
      r.id = "arn:" + (r.partition.empty() ? std::string("aws") : r.partition) + ":ec2:" + rr.region + ":" +
             raw.account + ":instance/" + rr.id;
    }
    if (platform.empty()) platform = rr.platform;
    resources.push_back(std::move(r));
  }
  if (resources.empty()) return "finding has no resource with an id";

  Finding base;
  base.scanner = "inspector";
  base.format = "inspector2";
  base.product_name = "Inspector";
  base.company_name = "Amazon";
  base.severity.label = *label;
  base.severity.normalized = raw.score >= 0 ? NormalizedForScore(raw.score, *label) : DefaultNormalized(*label);
  base.severity.original = raw.severity;
  base.title = CollapseWhitespace(raw.title);
  base.description = Trim(raw.description);
  if (!EqualsIgnoreCase(Trim(raw.remediation_text), "None Provided")) base.remediation_text = Trim(raw.remediation_text);
  base.remediation_url = raw.remediation_url;
  base.resources = std::move(resources);
  base.first_observed_at = raw.first;
  base.last_observed_at = raw.last;
  base.cwes = raw.cwes;
  if (EqualsIgnoreCase(raw.status, "SUPPRESSED")) {
    base.workflow = WorkflowStatus::kSuppressed;
  } else if (EqualsIgnoreCase(raw.status, "CLOSED")) {
    base.workflow = WorkflowStatus::kResolved;
    base.record_state = RecordState::kArchived;
  }
  auto& pf = base.product_fields;
  if (!raw.arn.empty()) pf["inspector/FindingArn"] = raw.arn;
  if (!raw.type.empty()) pf["inspector/Type"] = raw.type;
  if (!raw.status.empty()) pf["inspector/Status"] = raw.status;
  if (!raw.account.empty()) pf["inspector/AwsAccountId"] = raw.account;
  if (raw.score >= 0) pf["inspector/InspectorScore"] = ScoreText(raw.score);
  if (!raw.epss.empty()) pf["inspector/EpssScore"] = raw.epss;
  if (!raw.exploit_available.empty()) pf["inspector/ExploitAvailable"] = raw.exploit_available;
  if (!raw.fix_available.empty()) pf["inspector/FixAvailable"] = raw.fix_available;

  const bool package = !raw.vuln_id.empty() && !raw.packages.empty();
  if (package) {
    // One finding per distinct package; entries of the same package (several paths) stay together.
    std::vector<std::pair<Fingerprint, std::vector<const RawPackage*>>> groups;
    for (const auto& p : raw.packages) {
      if (Trim(p.name).empty()) continue;
      Fingerprint fp = VulnFingerprint(raw.vuln_id, PackageIdentity(p, platform));
      auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == fp; });
      if (it == groups.end()) groups.push_back({fp, {&p}});
      else it->second.push_back(&p);
    }
    if (groups.empty()) return "vulnerable package without a name";
    for (const auto& [fp, pkgs] : groups) {
      Finding f = base;
      f.fingerprint = fp;
      f.generator_id = raw.vuln_id;
      if (groups.size() > 1 || f.title.empty()) f.title = raw.vuln_id + " - " + pkgs[0]->name;
      f.types = {"Software and Configuration Checks/Vulnerabilities/CVE"};
      f.source_url = raw.vuln_source_url;
      if (f.remediation_text.empty()) f.remediation_text = pkgs[0]->remediation;
      Vulnerability v;
      v.id = raw.vuln_id;
      for (const RawPackage* p : pkgs) {
        VulnerablePackage vp;
        vp.name = p->name;
        vp.version = p->version;
        vp.epoch = p->epoch;
        vp.release = p->release;
        vp.architecture = p->arch;
        vp.package_manager = p->manager;
        vp.file_path = p->file_path;
        vp.fixed_in_version = p->fixed_in;
        vp.remediation = p->remediation;
        v.vulnerable_packages.push_back(std::move(vp));
      }
      v.cvss = raw.cvss;
      v.reference_urls = raw.refs;
      v.related_vulnerabilities = raw.related;
      std::string fix = ToUpper(raw.fix_available);
      if (fix == "YES" || fix == "NO" || fix == "PARTIAL") v.fix_available = fix;
      double epss = -1;
      if (exploit::ParseUnit(raw.epss, &epss)) v.exploit.epss = epss;
      v.exploit.exploit_available = exploit::YesNo(raw.exploit_available);
      v.exploit.last_known_exploit_at = raw.last_known_exploit;
      v.vendor_name = raw.vuln_source;
      v.vendor_url = raw.vuln_source_url;
      v.vendor_severity = raw.vendor_severity;
      f.vulnerabilities.push_back(std::move(v));
      out->push_back(std::move(f));
    }
    return {};
  }

  if (raw.arn.empty()) return "finding has no findingArn";
  Finding f = std::move(base);
  f.fingerprint = FingerprintOf({"inspector", raw.arn});
  std::string type = ToUpper(raw.type);
  if (type == "CODE_VULNERABILITY") {
    f.generator_id = !raw.detector_id.empty() ? raw.detector_id : "inspector2/CODE_VULNERABILITY";
    f.types = {"Software and Configuration Checks/Vulnerabilities"};
    f.location.file_path = raw.code_file;
    f.location.start_line = static_cast<int>(std::max<int64_t>(0, raw.start_line));
    f.location.end_line = static_cast<int>(std::max<int64_t>(0, raw.end_line));
    if (!raw.detector_name.empty()) f.product_fields["inspector/DetectorName"] = raw.detector_name;
    if (!raw.rule_id.empty()) f.product_fields["inspector/RuleId"] = raw.rule_id;
    if (!raw.refs.empty() && f.remediation_url.empty()) f.remediation_url = raw.refs[0];
  } else if (type == "NETWORK_REACHABILITY") {
    f.generator_id = "inspector2/NETWORK_REACHABILITY";
    f.types = {"Software and Configuration Checks/AWS Security Best Practices/Network Reachability"};
    if (!raw.protocol.empty()) f.product_fields["inspector/Protocol"] = raw.protocol;
    if (!raw.ports.empty()) f.product_fields["inspector/OpenPortRange"] = raw.ports;
    if (!raw.network_path.empty()) f.product_fields["inspector/NetworkPath"] = raw.network_path;
  } else {
    f.generator_id = "inspector2/" + (type.empty() ? std::string("FINDING") : type);
    if (!raw.vuln_id.empty()) f.generator_id = raw.vuln_id;
  }
  if (f.title.empty()) f.title = f.generator_id;
  out->push_back(std::move(f));
  return {};
}

// ---------- merging within the file ----------

class Collector {
 public:
  void Add(Finding&& f) {
    std::string key(reinterpret_cast<const char*>(f.fingerprint.bytes.data()), f.fingerprint.bytes.size());
    auto it = index_.find(key);
    if (it == index_.end()) {
      index_.emplace(std::move(key), findings_.size());
      findings_.push_back(std::move(f));
      merged_.push_back(1);
      return;
    }
    size_t i = it->second;
    Merge(findings_[i], std::move(f));
    ++merged_[i];
  }
  Status Emit(FindingSink& sink) {
    for (size_t i = 0; i < findings_.size(); ++i) {
      if (merged_[i] > 1) findings_[i].product_fields["inspector/MergedFindings"] = std::to_string(merged_[i]);
      // Target: the finding's (first) resource; every resource the report names is one.
      if (!findings_[i].resources.empty()) {
        findings_[i].target = findings_[i].resources.front().id;
        sink.AddTarget(findings_[i].target);
      }
      FINDEX_RETURN_IF_ERROR(sink.Accept(std::move(findings_[i])));
    }
    return Status::Ok();
  }

 private:
  static void Merge(Finding& into, Finding&& f) {
    for (auto& r : f.resources) {
      bool seen = std::any_of(into.resources.begin(), into.resources.end(), [&](const Resource& x) { return x.id == r.id; });
      if (!seen) into.resources.push_back(std::move(r));
    }
    if (!into.vulnerabilities.empty() && !f.vulnerabilities.empty()) {
      auto& mine = into.vulnerabilities[0].vulnerable_packages;
      for (auto& p : f.vulnerabilities[0].vulnerable_packages) {
        bool seen = std::any_of(mine.begin(), mine.end(), [&](const VulnerablePackage& x) {
          return x.name == p.name && x.version == p.version && x.file_path == p.file_path;
        });
        if (!seen) mine.push_back(std::move(p));
      }
    }
    int64_t a, b;
    if (!f.first_observed_at.empty() &&
        (into.first_observed_at.empty() || (ParseRfc3339(f.first_observed_at, &a) &&
                                             ParseRfc3339(into.first_observed_at, &b) && a < b)))
      into.first_observed_at = f.first_observed_at;
    if (!f.last_observed_at.empty() &&
        (into.last_observed_at.empty() || (ParseRfc3339(f.last_observed_at, &a) &&
                                           ParseRfc3339(into.last_observed_at, &b) && a > b)))
      into.last_observed_at = f.last_observed_at;
    if (f.severity.label > into.severity.label ||
        (f.severity.label == into.severity.label && f.severity.normalized > into.severity.normalized)) {
      into.severity = f.severity;
    }
    // Still open somewhere: the merged finding is active.
    if (f.record_state == RecordState::kActive && into.record_state == RecordState::kArchived) {
      into.record_state = RecordState::kActive;
      into.workflow = f.workflow;
      auto st = f.product_fields.find("inspector/Status");
      if (st != f.product_fields.end()) into.product_fields["inspector/Status"] = st->second;
    }
  }

  std::vector<Finding> findings_;
  std::vector<uint64_t> merged_;
  std::unordered_map<std::string, size_t> index_;
};

Status ReadRecord(JsonReport& rep, od::value v, const std::string& where, Collector& out, FindingSink& sink) {
  uint64_t offset = rep.OffsetOf(v);
  RawFinding raw;
  ec_t ec = ReadFinding(v, &raw);
  if (ec && ec != kShape) return rep.Malformed("malformed finding " + where, ec);
  if (ec == kShape && raw.problem.empty()) raw.problem = "finding is not an object";
  std::vector<Finding> built;
  std::string reason = Build(raw, &built);
  if (!reason.empty()) {
    sink.AddReject(rep.RejectAt(offset, where, std::move(reason)));
    return Status::Ok();
  }
  for (auto& f : built) out.Add(std::move(f));
  return Status::Ok();
}

Status ReadArray(JsonReport& rep, od::value arr, const std::string& prefix, Collector& out, FindingSink& sink) {
  od::array a;
  if (auto ec = arr.get_array().get(a)) return rep.Malformed("\"" + prefix + "\" is not an array", ec);
  size_t i = 0;
  for (auto e : a) {
    od::value v;
    if (auto ec = e.get(v)) return rep.Malformed("bad finding", ec);
    FINDEX_RETURN_IF_ERROR(ReadRecord(rep, v, prefix + "[" + std::to_string(i++) + "]", out, sink));
  }
  return Status::Ok();
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  od::json_type t;
  if (auto ec = rep.doc().type().get(t)) return rep.Malformed("cannot read the JSON root", ec);
  Collector out;
  if (t == od::json_type::array) {
    od::array a;
    if (auto ec = rep.doc().get_array().get(a)) return rep.Malformed("expected an array of findings", ec);
    size_t i = 0;
    for (auto e : a) {
      od::value v;
      if (auto ec = e.get(v)) return rep.Malformed("bad finding", ec);
      FINDEX_RETURN_IF_ERROR(ReadRecord(rep, v, "[" + std::to_string(i++) + "]", out, sink));
    }
  } else if (t == od::json_type::object) {
    od::object root;
    if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("expected an Inspector object", ec);
    bool any_key = false, known = false;
    for (auto field : root) {
      std::string_view key;
      if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
      any_key = true;
      od::value v;
      if (auto ec = field.value().get(v)) return rep.Malformed("bad value", ec);
      if (key == "findings") {
        known = true;
        FINDEX_RETURN_IF_ERROR(ReadArray(rep, v, "findings", out, sink));
      } else if (key == "detail") {
        known = true;  // EventBridge "Inspector2 Finding" event: the finding is the detail
        FINDEX_RETURN_IF_ERROR(ReadRecord(rep, v, "detail", out, sink));
      }
    }
    if (any_key && !known) {
      FINDEX_RETURN_IF_ERROR(rep.Finish());
      return MakeError(ErrorCode::kSchema, "not an Amazon Inspector v2 report: no \"findings\" array or \"detail\" finding",
                       src.path());
    }
  } else if (t == od::json_type::null) {
    bool is_null = false;
    if (auto ec = rep.doc().is_null().get(is_null)) return rep.Malformed("cannot read the JSON root", ec);
  } else {
    return MakeError(ErrorCode::kSchema, "not an Amazon Inspector v2 report: the root is neither an object nor an array",
                     src.path());
  }
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  return out.Emit(sink);
}

}  // namespace

const FormatDescriptor& Inspector2Format() {
  static const FormatDescriptor kDesc{"inspector2", "inspector",
                                      "Amazon Inspector v2 findings (ListFindings JSON, EventBridge event, array)",
                                      kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
