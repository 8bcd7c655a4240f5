// Falco runtime alerts with json_output: true (https://falco.org/docs/concepts/outputs/formatting/):
// one JSON object per line,
//   {"output": "...", "priority": "Warning", "rule": "...", "time": "2021-...T...123456789Z",
//    "output_fields": {"container.id": ..., "proc.name": ..., ...},
//    "source"?: "syscall", "tags"?: [...], "hostname"?: "..."}
// Older Falco (2020) writes the same keys without source/tags/hostname.
//
// Lines are split here rather than with simdjson's iterate_many, which gives up on the whole
// stream at the first truncated document: a malformed or truncated line (typically the last
// line of a log being written) is one reject with its offset and line, never the file.
//
// Records: the ingest summary's `records` (and runs.records) count the events read, not the
// findings they collapse into: a finding stands for its Finding::occurrences events
// (ingest/driver.cpp CountingSink, Store::Put).
// Identity: runtime events repeat, so events of the same rule on the same workload are one
// finding with an occurrence count (Finding::occurrences, ProductFields "findex/Occurrences"), FirstObservedAt / LastObservedAt the
// earliest / latest event `time` (kept as written when it is valid RFC 3339). The fingerprint is
//   FingerprintOf({"falco", rule, hostname, container, container.image.repository,
//                  k8s.ns.name, k8s.pod.name, proc.name})
// where hostname is the top-level "hostname" (else output_fields "evt.hostname"), container is
// output_fields "container.name" (else "container.id"), and a field that is absent, null or
// "<NA>" counts as empty. Left out on purpose: pids, fds, file names, command lines, user
// names, event times and the output text, which change from one event to the next.
//
// Severity (https://falco.org/docs/reference/rules/rule-fields: priority is case-insensitive,
// one of emergency, alert, critical, error, warning, notice, informational, debug):
//   Emergency, Alert, Critical -> CRITICAL; Error -> HIGH; Warning -> MEDIUM; Notice -> LOW;
//   Informational (also "info"), Debug -> INFORMATIONAL. Original = the event's priority.
// When events of one identity carry different priorities the highest wins.
//
// Resource: Type "Container" when output_fields has a container.id other than "host" (Falco's
// id for host processes), Id = container name (else id), image and Kubernetes names in
// Details.Other; otherwise Type "Other", Id = the hostname ("unknown-host" when the output has
// none).
// Types: the rule's MITRE tags (mitre_execution -> "TTPs/Execution", ...); without one,
// "Unusual Behaviors/Container" for container events and "Unusual Behaviors/Process" otherwise.
#include "ingest/formats/falco.h"

#include <algorithm>
#include <optional>

#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"
#include "normalize/timestamp.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json", ".jsonl", ".ndjson", ".log"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || h[0] != '{') return SniffConfidence::kNo;
  // Look at the first event only: one line.
  size_t nl = h.find('\n');
  std::string_view first = nl == std::string_view::npos ? h : h.substr(0, nl);
  auto has = [&](std::string_view k) { return first.find(k) != std::string_view::npos; };
  if (!has("\"output\"") || !has("\"priority\"") || !has("\"rule\"")) return SniffConfidence::kNo;
  if (has("\"output_fields\"")) return SniffConfidence::kCertain;
  if (has("\"time\"")) return SniffConfidence::kLikely;
  return SniffConfidence::kMaybe;
}

// Falco priorities, cited in the header comment.
std::optional<SeverityLabel> PriorityLabel(std::string_view p) {
  std::string s = ToLower(Trim(p));
  if (s == "emergency" || s == "alert" || s == "critical") return SeverityLabel::kCritical;
  if (s == "error") return SeverityLabel::kHigh;
  if (s == "warning") return SeverityLabel::kMedium;
  if (s == "notice") return SeverityLabel::kLow;
  if (s == "informational" || s == "info" || s == "debug") return SeverityLabel::kInformational;
  return std::nullopt;
}

// MITRE ATT&CK tactic tags of the Falco rules -> ASFF Types (namespace/category).
std::string_view TypeForTag(std::string_view tag) {
  static const struct { std::string_view tag, type; } kMap[] = {
      {"mitre_initial_access", "TTPs/Initial Access"},
      {"mitre_execution", "TTPs/Execution"},
      {"mitre_persistence", "TTPs/Persistence"},
      {"mitre_privilege_escalation", "TTPs/Privilege Escalation"},
      {"mitre_defense_evasion", "TTPs/Defense Evasion"},
      {"mitre_credential_access", "TTPs/Credential Access"},
      {"mitre_discovery", "TTPs/Discovery"},
      {"mitre_lateral_movement", "TTPs/Lateral Movement"},
      {"mitre_collection", "TTPs/Collection"},
      {"mitre_command_and_control", "TTPs/Command and Control"},
      {"mitre_exfiltration", "Effects/Data Exfiltration"},
      {"mitre_impact", "Effects/Data Destruction"},
  };
  for (const auto& m : kMap) {
    if (tag == m.tag) return m.type;
  }
  return {};
}

bool Before(int64_t s1, int32_t ns1, int64_t s2, int32_t ns2) { return s1 < s2 || (s1 == s2 && ns1 < ns2); }

// An output field as text: strings as they are, numbers/booleans as JSON; null, "<NA>" and
// containers give "".
std::string FieldText(simdjson::dom::element v) {
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) {
    if (s == "<NA>") return {};
    return std::string(s);
  }
  if (v.is_null() || v.is_array() || v.is_object()) return {};
  return simdjson::minify(v);
}

}  // namespace

void FalcoCollapser::Reject(FindingSink& sink, uint64_t offset, uint32_t line_no, std::string reason) {
  ++rejected_;
  findex::Reject r;
  r.offset = offset;
  r.line = line_no;
  r.where = "line " + std::to_string(line_no);
  r.reason = std::move(reason);
  sink.AddReject(std::move(r));
}

Status FalcoCollapser::AddLine(std::string_view line, uint64_t offset, uint32_t line_no, FindingSink& sink,
                               size_t readable) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t first = line.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return Status::Ok();  // blank line
  if (line[first] != '{') {
    Reject(sink, offset + first, line_no, "not a Falco JSON event (a line must be one JSON object)");
    return Status::Ok();
  }

  simdjson::dom::element doc;
  simdjson::error_code ec;
  if (readable >= line.size() + simdjson::SIMDJSON_PADDING) {
    ec = parser_.parse(line.data(), line.size(), false).get(doc);
  } else {
    scratch_.reserve(line.size() + simdjson::SIMDJSON_PADDING);
    scratch_.assign(line.data(), line.size());
    ec = parser_.parse(scratch_.data(), scratch_.size(), false).get(doc);
  }
  if (ec) {
    Reject(sink, offset, line_no, std::string("malformed or truncated JSON: ") + simdjson::error_message(ec));
    return Status::Ok();
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) {
    Reject(sink, offset, line_no, "not a Falco JSON event (not an object)");
    return Status::Ok();
  }

  std::string_view rule, priority, output, time, source, hostname;
  simdjson::dom::object fields;
  simdjson::dom::array tags;
  bool has_fields = false, has_tags = false;
  for (auto kv : obj) {
    std::string_view k = kv.key;
    auto str = [&](std::string_view* out) {
      if (kv.value.is_null()) return true;
      return kv.value.get_string().get(*out) == simdjson::SUCCESS;
    };
    bool ok = true;
    if (k == "rule") ok = str(&rule);
    else if (k == "priority") ok = str(&priority);
    else if (k == "output") ok = str(&output);
    else if (k == "time") ok = str(&time);
    else if (k == "source") ok = str(&source);
    else if (k == "hostname") ok = str(&hostname);
    else if (k == "output_fields") {
      has_fields = kv.value.get_object().get(fields) == simdjson::SUCCESS;
      ok = has_fields || kv.value.is_null();
    } else if (k == "tags") {
      has_tags = kv.value.get_array().get(tags) == simdjson::SUCCESS;
      ok = has_tags || kv.value.is_null();
    }
    if (!ok) {
      Reject(sink, offset, line_no, "\"" + std::string(k) + "\" has the wrong type");
      return Status::Ok();
    }
  }
  if (Trim(rule).empty()) {
    Reject(sink, offset, line_no, "not a Falco event: no \"rule\"");
    return Status::Ok();
  }
  if (priority.empty()) {
    Reject(sink, offset, line_no, "not a Falco event: no \"priority\"");
    return Status::Ok();
  }
  std::optional<SeverityLabel> label = PriorityLabel(priority);
  if (!label) {
    Reject(sink, offset, line_no, "unknown Falco priority \"" + std::string(priority) + "\"");
    return Status::Ok();
  }

  // Stable output fields (see the identity in the header comment).
  std::string container_id, container_name, image_repo, image_tag, k8s_ns, k8s_pod, proc_name, evt_host;
  if (has_fields) {
    for (auto kv : fields) {
      std::string_view k = kv.key;
      if (k == "container.id") container_id = FieldText(kv.value);
      else if (k == "container.name") container_name = FieldText(kv.value);
      else if (k == "container.image.repository") image_repo = FieldText(kv.value);
      else if (k == "container.image.tag") image_tag = FieldText(kv.value);
      else if (k == "k8s.ns.name") k8s_ns = FieldText(kv.value);
      else if (k == "k8s.pod.name") k8s_pod = FieldText(kv.value);
      else if (k == "proc.name") proc_name = FieldText(kv.value);
      else if (k == "evt.hostname") evt_host = FieldText(kv.value);
    }
  }
  std::string host = hostname.empty() ? evt_host : std::string(hostname);
  if (container_name == "host" && container_id == "host") container_name.clear();
  std::string container = !container_name.empty() ? container_name : container_id;
  Fingerprint fp = FingerprintOf({"falco", rule, host, container, image_repo, k8s_ns, k8s_pod, proc_name});
  std::string key(reinterpret_cast<const char*>(fp.bytes.data()), fp.bytes.size());

  Rfc3339Time at;
  const bool timed = !time.empty() && ParseRfc3339(time, &at);
  const Rfc3339Time* when = timed ? &at : nullptr;
  ++events_;
  auto it = index_.find(key);
  if (it != index_.end()) {
    Entry& e = entries_[it->second];
    ++e.count;
    if (*label > e.finding.severity.label) {
      e.finding.severity.label = *label;
      e.finding.severity.normalized = DefaultNormalized(*label);
      e.finding.severity.original = std::string(priority);
    }
    if (when) {
      if (e.first_text.empty() || Before(when->epoch_seconds, when->nanos, e.first_s, e.first_ns)) {
        e.first_s = when->epoch_seconds, e.first_ns = when->nanos, e.first_text = std::string(time);
      }
      if (e.last_text.empty() || Before(e.last_s, e.last_ns, when->epoch_seconds, when->nanos)) {
        e.last_s = when->epoch_seconds, e.last_ns = when->nanos, e.last_text = std::string(time);
      }
    }
    return Status::Ok();
  }

  Entry e;
  e.count = 1;
  if (when) {
    e.first_s = e.last_s = when->epoch_seconds;
    e.first_ns = e.last_ns = when->nanos;
    e.first_text = e.last_text = std::string(time);
  }
  Finding& f = e.finding;
  f.scanner = "falco";
  f.format = "falco";
  f.product_name = "Falco";
  f.company_name = "Falco";
  f.fingerprint = fp;
  f.generator_id = std::string(rule);
  f.title = CollapseWhitespace(rule);
  f.description = output.empty() ? std::string(rule) : std::string(output);
  f.severity.label = *label;
  f.severity.normalized = DefaultNormalized(*label);
  f.severity.original = std::string(priority);

  const bool in_container = !container_id.empty() && container_id != "host";
  std::string tag_list;
  if (has_tags) {
    for (auto t : tags) {
      std::string_view s;
      if (t.get_string().get(s)) continue;
      tag_list += (tag_list.empty() ? "" : ",") + std::string(s);
      std::string_view type = TypeForTag(s);
      if (!type.empty() && std::find(f.types.begin(), f.types.end(), type) == f.types.end()) {
        f.types.emplace_back(type);
      }
    }
  }
  if (f.types.empty()) f.types.push_back(in_container ? "Unusual Behaviors/Container" : "Unusual Behaviors/Process");

  Resource r;
  std::string image = image_repo.empty() ? std::string() : image_repo + (image_tag.empty() ? "" : ":" + image_tag);
  if (in_container) {
    r.type = "Container";
    r.id = container;
    r.details_other["ContainerId"] = container_id;
    if (!container_name.empty()) r.details_other["ContainerName"] = container_name;
    if (!image.empty()) r.details_other["Image"] = image;
  } else {
    r.type = "Other";
    r.id = host.empty() ? "unknown-host" : host;
  }
  if (!host.empty()) r.details_other["Hostname"] = host;
  if (!k8s_ns.empty()) r.details_other["K8sNamespace"] = k8s_ns;
  if (!k8s_pod.empty()) r.details_other["K8sPod"] = k8s_pod;
  f.resources.push_back(std::move(r));

  if (!source.empty()) f.product_fields["falco/Source"] = std::string(source);
  if (!tag_list.empty()) f.product_fields["falco/Tags"] = tag_list;
  if (!host.empty()) f.product_fields["falco/Hostname"] = host;
  if (!proc_name.empty()) f.product_fields["falco/ProcName"] = proc_name;
  if (!image.empty()) f.product_fields["falco/Image"] = image;

  index_.emplace(std::move(key), entries_.size());
  entries_.push_back(std::move(e));
  return Status::Ok();
}

Status FalcoCollapser::Flush(FindingSink& sink) {
  std::vector<Entry> entries;
  entries.swap(entries_);
  index_.clear();
  for (auto& e : entries) {
    Finding& f = e.finding;
    f.occurrences = e.count;  // written as ProductFields findex/Occurrences; the store adds them up
    f.first_observed_at = e.first_text;
    f.last_observed_at = e.last_text;
    FINDEX_RETURN_IF_ERROR(sink.Accept(std::move(f)));
  }
  return Status::Ok();
}

namespace {

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  std::string_view text = src.text();
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return MakeError(ErrorCode::kParse, "empty file", src.path());
  }
  const size_t readable_total = src.padded().capacity();
  FalcoCollapser collapser;
  size_t pos = 0;
  uint32_t line_no = 0;
  std::string first_problem;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    ++line_no;
    uint64_t before = collapser.rejected();
    FINDEX_RETURN_IF_ERROR(collapser.AddLine(text.substr(pos, end - pos), pos + src.text_offset(), line_no, sink,
                                             readable_total - pos));
    if (first_problem.empty() && collapser.rejected() > before) first_problem = "line " + std::to_string(line_no);
    pos = end + 1;
  }
  if (collapser.events() == 0) {
    // Nothing on any line was a Falco event: this is not Falco output at all.
    return MakeError(ErrorCode::kSchema,
                     "not Falco JSON output: no line is a Falco event (first bad line: " + first_problem + ")",
                     src.path());
  }
  return collapser.Flush(sink);
}

}  // namespace

const FormatDescriptor& FalcoFormat() {
  static const FormatDescriptor kDesc{"falco", "falco", "Falco alerts, json_output: true (one JSON event per line)",
                                      kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
