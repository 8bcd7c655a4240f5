// JSON Lines reading shared by the line-oriented readers (trufflehog.cpp, nuclei.cpp): one JSON
// value per line, each parsed on its own with a simdjson DOM parser (memory bounded by the
// longest line). Lines are split here rather than with simdjson's iterate_many, which gives up
// on the whole stream at the first truncated document: a malformed or truncated line (typically
// the last line of a report being written) is one reject with its byte offset and line, never
// the file (as in falco.cpp and asff.cpp).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/ingester.h"
#include "ingest/json_util.h"
#include "ingest/registry.h"
#include "ingest/source.h"

namespace findex {

// Where a record is, for rejects: byte offset, 1-based line and "line N" / "[i]".
struct RecordPos {
  uint64_t offset = 0;
  uint32_t line = 0;
  std::string where;
};
inline Reject RecordReject(const RecordPos& pos, std::string reason) {
  Reject r;
  r.offset = pos.offset;
  r.line = pos.line;
  r.where = pos.where;
  r.reason = std::move(reason);
  return r;
}

struct JsonLinesStats {
  uint64_t values = 0;    // lines that parsed as JSON
  uint64_t rejected = 0;  // lines rejected here (malformed JSON)
};

inline Reject LineReject(uint64_t offset, uint32_t line_no, std::string reason) {
  Reject r;
  r.offset = offset;
  r.line = line_no;
  r.where = "line " + std::to_string(line_no);
  r.reason = std::move(reason);
  return r;
}

// Calls fn(simdjson::dom::element value, uint64_t offset, uint32_t line_no) -> Status for each
// non-blank line of src.text() from byte `start` on that parses as JSON; a line that does not is
// a reject in `sink`. A trailing '\r' is ignored. A non-OK status from fn stops the walk.
template <typename Fn>
Status ForEachJsonLine(const Source& src, size_t start, simdjson::dom::parser& parser, FindingSink& sink,
                       JsonLinesStats* stats, Fn&& fn) {
  std::string_view text = src.text();
  const size_t readable_total = src.padded().capacity();
  std::string scratch;
  size_t pos = start;
  uint32_t line_no = start == 0 ? 1 : src.LineAt(start);
  for (; pos < text.size(); ++line_no) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) {
      uint64_t offset = pos + src.text_offset();
      simdjson::dom::element e;
      simdjson::error_code ec;
      if (readable_total - pos >= line.size() + simdjson::SIMDJSON_PADDING) {
        ec = parser.parse(line.data(), line.size(), false).get(e);
      } else {
        scratch.reserve(line.size() + simdjson::SIMDJSON_PADDING);
        scratch.assign(line.data(), line.size());
        ec = parser.parse(scratch.data(), scratch.size(), false).get(e);
      }
      if (ec) {
        ++stats->rejected;
        sink.AddReject(
            LineReject(offset, line_no, std::string("malformed or truncated JSON: ") + simdjson::error_message(ec)));
      } else {
        ++stats->values;
        if (Status s = fn(e, offset, line_no); !s.ok()) return s;
      }
    }
    if (nl == std::string_view::npos) break;
    pos = end + 1;
  }
  return Status::Ok();
}

// Reports written either as a JSON array of records (pretty-printed or not), as JSON Lines (one
// record per line), or as one record object. Calls fn(element, const RecordPos&) -> Status per
// record. Array: walked with On-Demand, each element copied and parsed on its own (memory
// bounded by the largest record); a broken array is one file error. Lines: ForEachJsonLine.
// A single (pretty-printed) object: one record. Empty input is a kParse error.
template <typename Fn>
Status ForEachJsonRecord(Source& src, simdjson::dom::parser& parser, FindingSink& sink, JsonLinesStats* stats,
                         Fn&& fn) {
  std::string_view text = src.text();
  size_t start = JsonStart(text);
  if (start == std::string_view::npos) {
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      return MakeError(ErrorCode::kParse, "empty file", src.path());
    }
    start = 0;  // no line starts with '{' or '[': every line is a reject
  }
  if (text[start] == '[') {
    JsonReport rep;
    FINDEX_RETURN_IF_ERROR(rep.Open(src));
    od::array arr;
    if (auto ec = rep.doc().get_array().get(arr)) return rep.Malformed("expected a JSON array of records", ec);
    size_t i = 0;
    std::string raw;
    for (auto el : arr) {
      od::value v;
      if (auto ec = el.get(v)) return rep.Malformed("bad record", ec);
      RecordPos pos;
      pos.offset = rep.OffsetOf(v);
      pos.line = pos.offset > 0 ? src.LineAt(pos.offset - src.text_offset()) : 0;
      pos.where = "[" + std::to_string(i++) + "]";
      if (!ReadRaw(v, &raw)) return rep.Malformed("bad record");
      simdjson::dom::element e;
      if (auto ec = parser.parse(raw).get(e)) {
        ++stats->rejected;
        sink.AddReject(RecordReject(pos, std::string("malformed record: ") + simdjson::error_message(ec)));
        continue;
      }
      ++stats->values;
      FINDEX_RETURN_IF_ERROR(fn(e, pos));
    }
    return rep.Finish();
  }
  if (text[start] == '{') {
    // One record per line when the first line holds a whole object, or more than a lone "{" (a
    // truncated first record of a JSON Lines report: a reject, not the file); else one pretty-
    // printed object (its first line is "{" alone).
    size_t nl = text.find('\n', start);
    std::string_view first = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    simdjson::dom::element probe;
    bool lines = parser.parse(std::string(first)).get(probe) == simdjson::SUCCESS;
    if (!lines) {
      size_t last = first.find_last_not_of(" \t\r");
      lines = last != std::string_view::npos && last > 0 && nl != std::string_view::npos;
    }
    if (!lines) {
      JsonReport rep;
      FINDEX_RETURN_IF_ERROR(rep.Open(src));  // checks the whole text is one JSON value
      od::object o;
      std::string raw;
      if (auto ec = rep.doc().get_object().get(o)) return rep.Malformed("expected a JSON object", ec);
      if (auto ec = o.raw_json().get(first)) return rep.Malformed("malformed JSON", ec);
      raw.assign(first);
      FINDEX_RETURN_IF_ERROR(rep.Finish());
      simdjson::dom::element e;
      if (auto ec = parser.parse(raw).get(e)) return MakeError(ErrorCode::kParse, std::string("malformed JSON: ") + simdjson::error_message(ec), src.path());
      ++stats->values;
      RecordPos pos;
      pos.offset = start + src.text_offset();
      pos.line = src.LineAt(start);
      pos.where = "line " + std::to_string(pos.line);
      return fn(e, pos);
    }
  }
  return ForEachJsonLine(src, 0, parser, sink, stats, [&](simdjson::dom::element e, uint64_t offset, uint32_t line_no) {
    RecordPos pos;
    pos.offset = offset;
    pos.line = line_no;
    pos.where = "line " + std::to_string(line_no);
    return fn(e, pos);
  });
}

// The Ingest of a reader of one format's records (ForEachJsonRecord): text with no content (empty,
// `[]`, `null`, `{}`) is a clean scan; reader.Record(element, const RecordPos&) takes each record
// and reader.Flush() hands its findings to the sink. When recognised() (how many records were the
// format's) is 0 although there were records or rejected lines, the file is not of the format:
// the kSchema error `not_this`, and nothing is flushed.
template <typename Reader, typename Recognised>
Status IngestJsonRecords(Source& src, FindingSink& sink, Reader& reader, Recognised&& recognised,
                         std::string_view not_this) {
  if (IsContentFree(src.text())) return Status::Ok();
  simdjson::dom::parser parser;
  JsonLinesStats stats;
  FINDEX_RETURN_IF_ERROR(
      ForEachJsonRecord(src, parser, sink, &stats, [&](simdjson::dom::element e, const RecordPos& pos) {
        reader.Record(e, pos);
        return Status::Ok();
      }));
  if (recognised() == 0 && (stats.values > 0 || stats.rejected > 0)) {
    return MakeError(ErrorCode::kSchema, std::string(not_this), src.path());
  }
  return reader.Flush();
}

// DOM accessors that accept the loose typing of real reports. Absent / null give "" (or 0).
inline std::string DomString(simdjson::dom::element v) {
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  if (v.is_null() || v.is_array() || v.is_object()) return {};
  return simdjson::minify(v);  // number, boolean: its JSON text
}
inline std::string DomField(simdjson::dom::object o, std::string_view key) {
  simdjson::dom::element v;
  if (o.at_key(key).get(v) != simdjson::SUCCESS) return {};
  return DomString(v);
}
inline bool DomBool(simdjson::dom::element v) {
  bool b = false;
  if (v.get_bool().get(b) == simdjson::SUCCESS) return b;
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) return s == "true" || s == "True" || s == "TRUE";
  return false;
}
inline int64_t DomInt(simdjson::dom::element v) {
  int64_t i = 0;
  if (v.get_int64().get(i) == simdjson::SUCCESS) return i;
  uint64_t u = 0;
  if (v.get_uint64().get(u) == simdjson::SUCCESS) return static_cast<int64_t>(u > INT64_MAX ? INT64_MAX : u);
  double d = 0;
  if (v.get_double().get(d) == simdjson::SUCCESS) return d > 0 && d < 9e18 ? static_cast<int64_t>(d) : 0;
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) {
    int64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '9' || n > INT64_MAX / 10 - 10) return 0;
      n = n * 10 + (c - '0');
    }
    return n;
  }
  return 0;
}

}  // namespace findex
