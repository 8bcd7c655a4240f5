// PHPStan `--error-format=json` (https://phpstan.org/user-guide/output-format):
//   {"totals": {"errors": N, "file_errors": M},
//    "files": {"<path>": {"errors": K, "messages": [{"message", "line", "ignorable",
//                                                    "identifier"?, "tip"?}]}},
//    "errors": ["<message without a file>", ...]}
// Key order varies (0.12 sorted keys alphabetically); a "Note: Using configuration file"
// line may precede the JSON when PHPStan writes both to stdout.
//
// Severity: PHPStan has no levels per message (rule levels select which rules run), so every
// finding is MEDIUM; policy can override it.
// Identity: phpstan + file + identifier + message + the ordinal of that (file, message) pair
// in the report. Line numbers are left out so a message that only moved keeps its identity.
// Target (for resolution by absence): none; the report does not name the analysed project.
#include <map>

#include "ingest/json_util.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {
namespace {

constexpr std::string_view kExt[] = {".json"};

SniffConfidence Sniff(std::string_view head) {
  std::string_view h = JsonHead(head);
  if (h.empty() || h[0] != '{') return SniffConfidence::kNo;
  bool totals = HeadHas(h, "\"totals\"");
  bool files = HeadHas(h, "\"files\"");
  bool file_errors = HeadHas(h, "\"file_errors\"");
  if (totals && file_errors) return SniffConfidence::kCertain;
  if (totals && files) return SniffConfidence::kLikely;
  return SniffConfidence::kNo;
}

Finding Base() {
  Finding f;
  f.scanner = "phpstan";
  f.format = "phpstan";
  f.product_name = "PHPStan";
  f.company_name = "PHPStan";
  f.severity.label = SeverityLabel::kMedium;
  f.severity.normalized = DefaultNormalized(SeverityLabel::kMedium);
  f.types = {"Software and Configuration Checks/Vulnerabilities"};
  return f;
}

Status ReadMessage(JsonReport& rep, od::value msg_value, const std::string& file, size_t index,
                   std::map<std::string, int>& ordinals, FindingSink& sink) {
  std::string where = "files[\"" + file + "\"].messages[" + std::to_string(index) + "]";
  od::object msg;
  if (msg_value.get_object().get(msg)) {
    sink.AddReject(rep.MakeReject(msg_value, where, "message is not an object"));
    return Status::Ok();
  }
  std::string text, identifier, tip;
  int64_t line = 0;
  for (auto field : msg) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return rep.Malformed("bad key", simdjson::TAPE_ERROR);
    od::value v;
    if (field.value().get(v)) return rep.Malformed("bad value", simdjson::TAPE_ERROR);
    if (key == "message") ReadString(v, &text);
    else if (key == "line") ReadInt(v, &line);
    else if (key == "identifier") ReadString(v, &identifier);
    else if (key == "tip") ReadString(v, &tip);
  }
  if (Trim(text).empty()) {
    sink.AddReject(rep.MakeReject(msg_value, where, "message has no text"));
    return Status::Ok();
  }
  Finding f = Base();
  int ordinal = ordinals[file + '\x1f' + text]++;
  f.fingerprint = FingerprintOf({"phpstan", file, identifier, text, std::to_string(ordinal)});
  f.generator_id = identifier.empty() ? "phpstan" : "phpstan/" + identifier;
  f.title = CollapseWhitespace(text);
  f.description = text;
  if (!tip.empty()) {
    f.description += "\n\nTip: " + tip;
    f.remediation_text = tip;
  }
  f.location.file_path = file;
  f.location.start_line = static_cast<int>(line > 0 ? line : 0);
  Resource r;
  r.id = file;
  if (line > 0) r.details_other["Line"] = std::to_string(line);
  f.resources.push_back(std::move(r));
  if (!identifier.empty()) f.product_fields["phpstan/Identifier"] = identifier;
  return sink.Accept(std::move(f));
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  od::object root;
  if (auto ec = rep.doc().get_object().get(root)) return rep.Malformed("expected a PHPStan JSON object", ec);
  bool saw_known_key = false;
  std::map<std::string, int> ordinals;
  for (auto field : root) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
    if (key == "totals") {
      saw_known_key = true;
      continue;  // skipped by the iterator
    }
    if (key == "files") {
      saw_known_key = true;
      // PHP's json_encode writes an empty map as []: a clean run's "files" is an empty array.
      od::array none;
      if (!field.value().get_array().get(none)) {
        bool empty = false;
        if (auto ec = none.is_empty().get(empty)) return rep.Malformed("\"files\" is not an object", ec);
        if (!empty) return rep.Malformed("\"files\" is an array, not an object", simdjson::INCORRECT_TYPE);
        continue;
      }
      od::object files;
      if (auto ec = field.value().get_object().get(files)) return rep.Malformed("\"files\" is not an object", ec);
      for (auto file_field : files) {
        std::string_view path_view;
        if (auto ec = file_field.unescaped_key().get(path_view)) return rep.Malformed("bad file key", ec);
        std::string path(path_view);
        od::object entry;
        if (auto ec = file_field.value().get_object().get(entry)) return rep.Malformed("file entry is not an object", ec);
        for (auto ef : entry) {
          std::string_view ekey;
          if (auto ec = ef.unescaped_key().get(ekey)) return rep.Malformed("bad key", ec);
          if (ekey != "messages") continue;
          od::array msgs;
          if (auto ec = ef.value().get_array().get(msgs)) return rep.Malformed("\"messages\" is not an array", ec);
          size_t i = 0;
          for (auto m : msgs) {
            od::value mv;
            if (auto ec = m.get(mv)) return rep.Malformed("bad message", ec);
            FINDEX_RETURN_IF_ERROR(ReadMessage(rep, mv, path, i++, ordinals, sink));
          }
        }
      }
      continue;
    }
    if (key == "errors") {
      saw_known_key = true;
      od::array errs;
      if (auto ec = field.value().get_array().get(errs)) return rep.Malformed("\"errors\" is not an array", ec);
      size_t i = 0;
      for (auto e : errs) {
        od::value ev;
        if (auto ec = e.get(ev)) return rep.Malformed("bad error entry", ec);
        std::string text;
        if (!ReadString(ev, &text) || Trim(text).empty()) {
          sink.AddReject(rep.MakeReject(ev, "errors[" + std::to_string(i) + "]", "error entry is not a non-empty string"));
          ++i;
          continue;
        }
        Finding f = Base();
        int ordinal = ordinals[std::string("\x1f") + text]++;
        f.fingerprint = FingerprintOf({"phpstan", "", "", text, std::to_string(ordinal)});
        f.generator_id = "phpstan";
        f.title = CollapseWhitespace(text);
        f.description = text;
        Resource r;
        r.id = "phpstan-project";
        f.resources.push_back(std::move(r));
        FINDEX_RETURN_IF_ERROR(sink.Accept(std::move(f)));
        ++i;
      }
      continue;
    }
  }
  // Reaching the end verifies the whole document: a truncated file fails here.
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  if (!saw_known_key) return MakeError(ErrorCode::kSchema, "not a PHPStan report: no \"files\", \"errors\" or \"totals\"", src.path());
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& PhpstanFormat() {
  static const FormatDescriptor kDesc{"phpstan", "phpstan", "PHPStan --error-format=json", kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
