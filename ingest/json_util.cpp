#include "ingest/json_util.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "normalize/text.h"

namespace findex {

size_t JsonStart(std::string_view text) {
  size_t i = 0;
  const size_t limit = std::min<size_t>(text.size(), 64 * 1024);
  while (i < limit) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
      continue;
    }
    if (c == '{' || c == '[') return i;
    // Not JSON: skip this line (a preamble line) and try the next one.
    size_t nl = text.find('\n', i);
    if (nl == std::string_view::npos) return std::string_view::npos;
    i = nl + 1;
  }
  return std::string_view::npos;
}

std::string_view JsonHead(std::string_view head) {
  size_t s = JsonStart(head);
  return s == std::string_view::npos ? std::string_view{} : head.substr(s);
}

bool HeadHas(std::string_view head, std::string_view needle) {
  return head.find(needle) != std::string_view::npos;
}

bool IsBareNull(std::string_view text) {
  constexpr std::string_view kWs = " \t\r\n";
  size_t b = text.find_first_not_of(kWs);
  if (b == std::string_view::npos) return false;
  size_t e = text.find_last_not_of(kWs);
  return text.substr(b, e - b + 1) == "null";
}

Status JsonReport::Open(Source& src) {
  src_ = &src;
  std::string_view text = src.text();
  start_ = JsonStart(text);
  if (start_ == std::string_view::npos) {
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return MakeError(ErrorCode::kParse, "empty file", src.path());
    return MakeError(ErrorCode::kParse, "not JSON: no '{' or '[' at the start of a line", src.path());
  }
  simdjson::padded_string_view pv = src.padded();
  simdjson::padded_string_view sub(pv.data() + start_, pv.size() - start_, pv.capacity() - start_);
  auto ec = parser_.iterate(sub).get(doc_);
  if (ec) return Malformed("cannot parse JSON", ec);
  doc_ready_ = true;
  return Status::Ok();
}

uint64_t JsonReport::OffsetOf(const char* p) const {
  const char* base = src_->text().data();
  if (!p || p < base || p > base + src_->text().size()) return 0;
  return static_cast<uint64_t>(p - base) + src_->text_offset();
}

uint64_t JsonReport::OffsetOf(od::value& v) {
  std::string_view tok = v.raw_json_token();
  return OffsetOf(tok.data());
}

Error JsonReport::Malformed(std::string_view what, simdjson::error_code ec) {
  std::string msg(what);
  if (ec != simdjson::SUCCESS) {
    msg += ": ";
    msg += simdjson::error_message(ec);
  }
  std::string where = src_ ? src_->path() : std::string();
  const char* loc = nullptr;
  // The document can only report a position once iteration started.
  if (src_ && doc_ready_ && doc_.current_location().get(loc) == simdjson::SUCCESS) {
    uint64_t off = OffsetOf(loc);
    where += ":" + std::to_string(src_->LineAt(off - src_->text_offset())) + " (byte " + std::to_string(off) + ")";
  }
  return MakeError(ErrorCode::kParse, std::move(msg), std::move(where));
}

Status JsonReport::Finish() {
  const char* loc = nullptr;
  // current_location() fails with OUT_OF_BOUNDS once the whole document has been consumed.
  if (doc_ready_ && doc_.current_location().get(loc) == simdjson::SUCCESS) {
    return Malformed("unexpected content after the end of the JSON report");
  }
  return Status::Ok();
}

Reject JsonReport::MakeReject(od::value& v, std::string where, std::string reason) {
  return RejectAt(OffsetOf(v), std::move(where), std::move(reason));
}

Reject JsonReport::RejectAt(uint64_t offset, std::string where, std::string reason) const {
  Reject r;
  r.offset = offset;
  if (offset) r.line = src_->LineAt(offset - src_->text_offset());
  r.where = std::move(where);
  r.reason = std::move(reason);
  return r;
}

bool ReadString(od::value v, std::string* out) {
  od::json_type t;
  if (v.type().get(t)) return false;
  switch (t) {
    case od::json_type::string: {
      std::string_view s;
      if (v.get_string().get(s)) return false;
      out->assign(s);
      return true;
    }
    case od::json_type::number:
    case od::json_type::boolean: {
      out->assign(Trim(v.raw_json_token()));
      return true;
    }
    case od::json_type::null:
      out->clear();
      return true;
    default:
      return false;
  }
}

namespace {

// A number written as a string ("12", " 3.5 "); false when it is not one. The view is parsed
// where it is: the value is never decoded a second time.
bool ParseDouble(std::string_view s, double* out) {
  if (s.size() > 256) return false;  // no number is written that long
  std::string tmp = Trim(s);
  if (tmp.empty()) return false;
  char* end = nullptr;
  double d = std::strtod(tmp.c_str(), &end);
  if (end != tmp.c_str() + tmp.size() || !std::isfinite(d)) return false;
  *out = d;
  return true;
}

// A double as an int64 when it is one (in range, not NaN): the cast is undefined otherwise.
bool DoubleToInt(double d, int64_t* out) {
  if (!std::isfinite(d) || d < -9.2e18 || d > 9.2e18) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

}  // namespace

bool ReadDouble(od::value v, double* out) {
  od::json_type t;
  if (v.type().get(t)) return false;
  if (t == od::json_type::number) return v.get_double().get(*out) == simdjson::SUCCESS;
  if (t == od::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s)) return false;
    return ParseDouble(s, out);
  }
  return false;
}

bool ReadInt(od::value v, int64_t* out) {
  double d;
  od::json_type t;
  if (v.type().get(t)) return false;
  if (t == od::json_type::number) {
    if (v.get_int64().get(*out) == simdjson::SUCCESS) return true;
    if (v.get_double().get(d)) return false;
    return DoubleToInt(d, out);
  }
  if (!ReadDouble(v, &d)) return false;
  return DoubleToInt(d, out);
}

IntField ReadOptionalInt(od::value v, int64_t* out) {
  od::json_type t;
  if (v.type().get(t)) return IntField::kBad;
  switch (t) {
    case od::json_type::null:
      return IntField::kAbsent;
    case od::json_type::number: {
      if (v.get_int64().get(*out) == simdjson::SUCCESS) return IntField::kOk;
      double d;
      if (v.get_double().get(d)) return IntField::kBad;
      return DoubleToInt(d, out) ? IntField::kOk : IntField::kBad;
    }
    case od::json_type::string: {
      std::string_view s;  // decoded once, then only looked at
      if (v.get_string().get(s)) return IntField::kBad;
      if (s.find_first_not_of(" \t\r\n") == std::string_view::npos) return IntField::kAbsent;
      double d;
      return ParseDouble(s, &d) && DoubleToInt(d, out) ? IntField::kOk : IntField::kBad;
    }
    default:
      return IntField::kBad;
  }
}

bool ReadRaw(od::value v, std::string* out) {
  od::json_type t;
  if (v.type().get(t)) return false;
  std::string_view raw;
  if (t == od::json_type::object) {
    od::object o;
    if (v.get_object().get(o) || o.raw_json().get(raw)) return false;
  } else if (t == od::json_type::array) {
    od::array a;
    if (v.get_array().get(a) || a.raw_json().get(raw)) return false;
  } else if (t == od::json_type::string) {
    raw = v.raw_json_token();
  } else {
    raw = v.raw_json_token();
  }
  out->assign(Trim(raw));
  return true;
}

bool IsNull(od::value v) {
  od::json_type t;
  return v.type().get(t) == simdjson::SUCCESS && t == od::json_type::null;
}

bool ReadStrings(od::value v, std::vector<std::string>* out) {
  od::json_type t;
  if (v.type().get(t)) return false;
  if (t == od::json_type::null) return true;
  od::array arr;
  if (v.get_array().get(arr)) return false;
  for (auto e : arr) {
    od::value ev;
    if (e.get(ev)) return false;
    std::string s;
    if (ReadString(ev, &s) && !Trim(s).empty()) out->push_back(std::move(s));
  }
  return true;
}

}  // namespace findex
