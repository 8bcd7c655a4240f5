// KICS `--report-formats json` results.json (https://docs.kics.io/latest/results/):
//   {"kics_version"?, "files_scanned", "lines_scanned"?, "files_parsed", "files_failed_to_scan",
//    "queries_total", "queries_failed_to_execute", "queries_failed_to_compute_similarity_id",
//    "scan_id", "severity_counters": {...}, "total_counter", "start"?, "end"?, "paths"?,
//    "queries": [{"query_name", "query_id", "query_url", "severity", "platform",
//                 "cloud_provider"?, "category", "experimental"?, "description",
//                 "description_id"?, "cis_*"?,
//                 "files": [{"file_name", "similarity_id", "line", "resource_type"?,
//                            "resource_name"?, "issue_type", "search_key", "search_line"?,
//                            "search_value", "expected_value", "actual_value", "value"?,
//                            "remediation"?, "remediation_type"?}]}],
//    "bill_of_materials"?: [...]}
// (bill_of_materials lists resources, not issues: it is skipped. files_failed_to_scan is only a
// count in the report, with no file names, so it is kept as nothing more than that.)
//
// One finding per entry of queries[].files[]. Severity: CRITICAL / HIGH / MEDIUM / LOW as given;
// INFO and TRACE -> INFORMATIONAL (Severity.Original keeps KICS's word).
// Identity: CodeFingerprint("kics", query_id, file_name, similarity_id). KICS computes
// similarity_id from the file, the query and the search key/value, not the line, so it survives a
// re-scan where lines moved; two entries with the same similarity_id (KICS repeats an entry
// for each match of one key) are one finding. Without a similarity_id (older KICS, or
// queries_failed_to_compute_similarity_id) the anchor is search_key + search_value, with
// "#<n>" for a repeat at another line; a verbatim repeat takes its first copy's anchor.
// Resource: resource_name / resource_type when KICS gives them, else the search_key (the path
// to the flagged key) as the resource Id.
// Types: "Software and Configuration Checks/<AWS Security Best Practices when cloud_provider
// is AWS or the resource / search key is an aws_* resource, else Industry and Regulatory Standards>/<category>"; category "Secret Management"
// adds "Sensitive Data Identifications/Passwords", and those entries' values (search_value,
// actual_value, value: they may quote the secret) are never stored: a redacted preview and
// an xxh3-128 hash (kics/SecretPreview, kics/SecretHash) stand in for the value.
#include <vector>

#include "ingest/formats/iac_common.h"
#include "ingest/formats/sast_common.h"
#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || h[0] != '{') return SniffConfidence::kNo;
  if (!HeadHas(h, "\"queries\"")) return SniffConfidence::kNo;
  if (HeadHas(h, "\"queries_total\"") || HeadHas(h, "\"kics_version\"") ||
      (HeadHas(h, "\"query_id\"") && HeadHas(h, "\"similarity_id\""))) {
    return SniffConfidence::kCertain;
  }
  return SniffConfidence::kNo;
}

struct Query {
  std::string name, id, url, severity, platform, cloud_provider, category, description;
};

struct Entry {
  std::string file_name, similarity_id, resource_type, resource_name, issue_type, search_key;
  std::string search_value, expected_value, actual_value, value, remediation;
  int64_t line = 0;
  std::string where;
  uint64_t offset = 0;
  std::string bad;
};

SeverityLabel SeverityOf(std::string_view s) {
  if (EqualsIgnoreCase(s, "CRITICAL")) return SeverityLabel::kCritical;
  if (EqualsIgnoreCase(s, "HIGH")) return SeverityLabel::kHigh;
  if (EqualsIgnoreCase(s, "MEDIUM")) return SeverityLabel::kMedium;
  if (EqualsIgnoreCase(s, "LOW")) return SeverityLabel::kLow;
  return SeverityLabel::kInformational;  // INFO, TRACE
}

Status ReadEntry(JsonReport& rep, od::value ev, Entry* e) {
  e->offset = rep.OffsetOf(ev);
  od::object obj;
  if (ev.get_object().get(obj)) {
    e->bad = "file entry is not an object";
    return Status::Ok();
  }
  return ForEachField(rep, obj, [&](std::string_view key, od::value v) -> Status {
    bool ok = true;
    if (key == "file_name") ok = ReadString(v, &e->file_name);
    else if (key == "similarity_id") ok = ReadString(v, &e->similarity_id);
    else if (key == "line") ok = ReadOptionalInt(v, &e->line) != IntField::kBad;
    else if (key == "resource_type") ok = ReadString(v, &e->resource_type);
    else if (key == "resource_name") ok = ReadString(v, &e->resource_name);
    else if (key == "issue_type") ok = ReadString(v, &e->issue_type);
    else if (key == "search_key") ok = ReadString(v, &e->search_key);
    else if (key == "search_value") ok = ReadString(v, &e->search_value);
    else if (key == "expected_value") ok = ReadString(v, &e->expected_value);
    else if (key == "actual_value") ok = ReadString(v, &e->actual_value);
    else if (key == "value") ReadString(v, &e->value);  // free-form; an object is left out
    else if (key == "remediation") ReadString(v, &e->remediation);
    if (!ok && e->bad.empty()) e->bad = "\"" + std::string(key) + "\" has the wrong type";
    return Status::Ok();
  });
}

Status Emit(const Query& q, const Entry& e, IacAnchors& anchors, FindingSink& sink) {
  Finding f = IacFinding("kics", "KICS", "Checkmarx", SeverityOf(q.severity), q.severity);
  std::string anchor;
  if (!Trim(e.similarity_id).empty()) {
    anchor = "sim:" + Trim(e.similarity_id);
  } else {
    std::string base = e.search_key + '\x1f' + e.search_value;
    std::string record = base + '\x1f' + std::to_string(e.line) + '\x1f' + e.issue_type + '\x1f' + e.actual_value;
    anchor = anchors.Assign(q.id + '\x1f' + e.file_name + '\x1f' + record, q.id + '\x1f' + e.file_name + '\x1f' + base,
                            base);
  }
  f.fingerprint = CodeFingerprint("kics", q.id, e.file_name, anchor);
  f.generator_id = "kics/" + q.id;
  const bool secret = EqualsIgnoreCase(Trim(q.category), "Secret Management");
  const bool aws = EqualsIgnoreCase(q.cloud_provider, "aws") || StartsWith(e.resource_type, "aws_") ||
                   StartsWith(e.search_key, "aws_") || e.search_key.find("resource.aws_") != std::string::npos;
  f.types = IacTypes(aws, Trim(q.category));
  if (secret) f.types.push_back("Sensitive Data Identifications/Passwords");
  std::string name = CollapseWhitespace(q.name);
  std::string resource = !Trim(e.resource_name).empty() ? Trim(e.resource_name) : Trim(e.search_key);
  f.title = name.empty() ? q.id : name;
  if (!resource.empty()) f.title += " (" + resource + ")";
  std::string d = Trim(q.description).empty() ? f.title : Trim(q.description);
  d += "\n\nQuery: " + (name.empty() ? q.id : name + " (" + q.id + ")");
  if (!q.platform.empty()) d += "\nPlatform: " + q.platform;
  d += "\nLocation: " + e.file_name + (e.line > 0 ? ":" + std::to_string(e.line) : "");
  if (!e.search_key.empty()) d += "\nKey: " + e.search_key;
  if (!e.issue_type.empty()) d += "\nIssue type: " + e.issue_type;
  if (!Trim(e.expected_value).empty()) d += "\nExpected: " + Trim(e.expected_value);
  if (secret) {
    d += "\n\nValues withheld (they may hold the secret).";
  } else if (!Trim(e.actual_value).empty()) {
    d += "\nActual: " + Trim(e.actual_value);
  }
  f.description = d;
  f.remediation_url = q.url;
  f.remediation_text = !Trim(e.expected_value).empty() ? Trim(e.expected_value)
                       : !q.url.empty()                ? "See the KICS documentation for this query."
                                                       : "";
  f.location.file_path = e.file_name;
  if (e.line > 0) f.location.start_line = static_cast<int>(e.line);
  Resource res;
  res.id = !resource.empty() ? resource : e.file_name;
  res.details_other["File"] = e.file_name;
  if (!e.resource_type.empty()) res.details_other["ResourceType"] = e.resource_type;
  if (!e.resource_name.empty()) res.details_other["Name"] = e.resource_name;
  if (!e.search_key.empty()) res.details_other["SearchKey"] = e.search_key;
  if (!q.platform.empty()) res.details_other["Platform"] = q.platform;
  f.resources.push_back(std::move(res));
  auto& pf = f.product_fields;
  pf["kics/QueryId"] = q.id;
  if (!e.similarity_id.empty()) pf["kics/SimilarityId"] = e.similarity_id;
  if (!q.platform.empty()) pf["kics/Platform"] = q.platform;
  if (!q.category.empty()) pf["kics/Category"] = q.category;
  if (!q.cloud_provider.empty()) pf["kics/CloudProvider"] = q.cloud_provider;
  if (!e.issue_type.empty()) pf["kics/IssueType"] = e.issue_type;
  if (secret) {
    std::string v = !Trim(e.value).empty()          ? e.value
                    : !Trim(e.actual_value).empty() ? e.actual_value
                                                    : e.search_value;
    if (!Trim(v).empty()) {
      pf["kics/SecretPreview"] = RedactedPreview(v);
      pf["kics/SecretHash"] = SecretHash(v);
    }
  }
  return sink.Accept(std::move(f));
}

Status ReadQuery(JsonReport& rep, od::value qv, size_t index, IacAnchors& anchors, FindingSink& sink) {
  std::string where = "queries[" + std::to_string(index) + "]";
  od::object obj;
  if (qv.get_object().get(obj)) {
    sink.AddReject(rep.MakeReject(qv, where, "query is not an object"));
    return Status::Ok();
  }
  Query q;
  std::vector<Entry> entries;  // the query's fields may follow its files
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, obj, [&](std::string_view key, od::value v) -> Status {
    if (key == "query_name") ReadString(v, &q.name);
    else if (key == "query_id") ReadString(v, &q.id);
    else if (key == "query_url") ReadString(v, &q.url);
    else if (key == "severity") ReadString(v, &q.severity);
    else if (key == "platform") ReadString(v, &q.platform);
    else if (key == "cloud_provider") ReadString(v, &q.cloud_provider);
    else if (key == "category") ReadString(v, &q.category);
    else if (key == "description") ReadString(v, &q.description);
    else if (key == "files") {
      return ForEachOfNullOrArray(rep, v, "\"" + where + ".files\" is not an array", "bad file entry",
                                  [&](size_t i, od::value ev) -> Status {
                                    Entry e;
                                    e.where = where + ".files[" + std::to_string(i) + "]";
                                    FINDEX_RETURN_IF_ERROR(ReadEntry(rep, ev, &e));
                                    entries.push_back(std::move(e));
                                    return Status::Ok();
                                  });
    }
    return Status::Ok();
  }));
  for (auto& e : entries) {
    // KICS writes "n/a" where a query has no resource.
    if (EqualsIgnoreCase(Trim(e.resource_name), "n/a")) e.resource_name.clear();
    if (EqualsIgnoreCase(Trim(e.resource_type), "n/a")) e.resource_type.clear();
    if (e.bad.empty() && (Trim(q.id).empty() || Trim(e.file_name).empty())) {
      e.bad = Trim(q.id).empty() ? "query has no query_id" : "file entry has no file_name";
    }
    if (!e.bad.empty()) {
      sink.AddReject(rep.RejectAt(e.offset, e.where, e.bad));
      continue;
    }
    FINDEX_RETURN_IF_ERROR(Emit(q, e, anchors, sink));
  }
  return Status::Ok();
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  IacAnchors anchors;
  return IngestListUnderKey(src, "KICS", "queries", "query", [&](JsonReport& rep, size_t index, od::value qv) {
    return ReadQuery(rep, qv, index, anchors, sink);
  });
}

}  // namespace

const FormatDescriptor& KicsFormat() {
  static const FormatDescriptor kDesc{"kics", "kics", "KICS --report-formats json (IaC: Terraform, k8s, Docker, ...)",
                                      kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
