#include "store/filter.h"

#include "normalize/text.h"

namespace findex {
namespace {

void In(std::string* clause, std::vector<std::string>* params, const char* column,
        const std::vector<std::string>& values) {
  *clause += std::string(" AND ") + column + " IN (";
  for (size_t i = 0; i < values.size(); ++i) {
    *clause += i ? ",?" : "?";
    params->push_back(values[i]);
  }
  *clause += ")";
}

}  // namespace

Result<SqlWhere> CompileFilter(const FindingFilter& f) {
  SqlWhere w;
  std::string c = "1=1";
  if (f.min_severity) c += " AND severity >= " + std::to_string(static_cast<int>(*f.min_severity));
  if (f.max_severity) c += " AND severity <= " + std::to_string(static_cast<int>(*f.max_severity));
  if (!f.scanners.empty()) In(&c, &w.params, "scanner", f.scanners);
  if (!f.scopes.empty()) In(&c, &w.params, "scope", f.scopes);
  std::vector<std::string> record_states, workflows;
  for (const auto& s : f.states) {
    if (ParseRecordState(s)) {
      record_states.push_back(ToUpper(s));
    } else if (ParseWorkflowStatus(s)) {
      workflows.push_back(ToUpper(s));
    } else {
      return MakeError(ErrorCode::kInvalidArgument,
                       "unknown state '" + s + "' (ACTIVE, ARCHIVED, NEW, NOTIFIED, RESOLVED, SUPPRESSED)");
    }
  }
  if (!record_states.empty()) In(&c, &w.params, "record_state", record_states);
  if (!workflows.empty()) In(&c, &w.params, "workflow", workflows);
  if (!f.title_contains.empty()) {
    c += " AND instr(lower(title), lower(?)) > 0";
    w.params.push_back(f.title_contains);
  }
  if (!f.resource_contains.empty()) {
    c += " AND (instr(resource_id, ?) > 0 OR instr(location, ?) > 0)";
    w.params.push_back(f.resource_contains);
    w.params.push_back(f.resource_contains);
  }
  if (!f.vuln_id.empty()) {
    // The first vulnerability id is a column; related ids (GHSA <-> CVE) are in the document.
    c += " AND (vuln_id = ? OR instr(doc, ?) > 0)";
    w.params.push_back(ToUpper(f.vuln_id));
    w.params.push_back("\"" + ToUpper(f.vuln_id) + "\"");
  }
  if (!f.package.empty()) {
    c += " AND lower(package) = lower(?)";
    w.params.push_back(f.package);
  }
  if (!f.id.empty()) {
    c += " AND (asff_id = ? OR lower(hex(fingerprint)) LIKE lower(?) || '%')";
    w.params.push_back(f.id);
    w.params.push_back(f.id);
  }
  if (f.new_in_latest_run) {
    c += " AND first_seen_run IN (SELECT r.id FROM runs r WHERE r.scope = findings.scope AND r.batch ="
         " (SELECT max(r2.batch) FROM runs r2 WHERE r2.scope = findings.scope))";
  }
  w.clause = "WHERE " + c;
  return w;
}

std::vector<std::string> GroupByFields() {
  return {"severity", "scanner", "scope", "state", "workflow", "rule", "resource", "vuln", "package", "format", "title"};
}

Result<std::string> GroupByColumn(const std::string& field) {
  std::string f = ToLower(field);
  if (f == "severity") {
    return std::string(
        "CASE severity WHEN 0 THEN 'INFORMATIONAL' WHEN 1 THEN 'LOW' WHEN 2 THEN 'MEDIUM' WHEN 3 THEN 'HIGH' "
        "ELSE 'CRITICAL' END");
  }
  if (f == "scanner") return std::string("scanner");
  if (f == "scope") return std::string("scope");
  if (f == "state") return std::string("record_state");
  if (f == "workflow") return std::string("workflow");
  if (f == "rule" || f == "generator") return std::string("generator_id");
  if (f == "resource") return std::string("resource_id");
  if (f == "vuln" || f == "cve") return std::string("vuln_id");
  if (f == "package") return std::string("package");
  if (f == "format") return std::string("format");
  if (f == "title") return std::string("title");
  std::string all;
  for (const auto& g : GroupByFields()) all += (all.empty() ? "" : ", ") + g;
  return MakeError(ErrorCode::kInvalidArgument, "cannot group by '" + field + "' (one of: " + all + ")");
}

}  // namespace findex
