// Helpers for reading reports with simdjson On-Demand.
//
// Pattern (read fields in document order; On-Demand lookups out of order rescan):
//   JsonReport rep;
//   FINDEX_RETURN_IF_ERROR(rep.Open(src));
//   simdjson::ondemand::object root;
//   if (rep.doc().get_object().get(root)) return rep.Malformed("expected an object");
//   for (auto field : root) {
//     std::string_view key;
//     if (field.unescaped_key().get(key)) return rep.Malformed(...);
//     if (key == "issues") ...
//   }
// Views returned by the helpers point into the parser's string buffer or the source and are
// valid only until the next parse; copy them into the Finding.
// Never decode one value twice (get_string, unescaped_key, or a helper that calls them, on the
// same od::value): each decode appends to the parser's string buffer, which is sized for one
// decode of each string. Read the type once, decode once, and work on the view.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "ingest/ingester.h"
#include "ingest/source.h"
#include "normalize/text.h"

namespace findex {

namespace od = simdjson::ondemand;

// Deepest nesting of arrays and objects a reader walks (simdjson's DOM parser has the same
// default limit). Recursive walks stop there with DEPTH_ERROR, a file error: a report nested
// deeper is not a real report, and unbounded recursion would overflow the stack.
inline constexpr int kMaxJsonDepth = 1024;

// Offset of the JSON value in `text`: skips whitespace and leading lines that do not start
// with '{' or '[' (PHPStan's "Note: Using configuration file ..." line, a stderr line).
// Returns npos when nothing JSON-like starts a line in the first 64 KiB.
size_t JsonStart(std::string_view text);
// head after JsonStart (empty when none): for sniffers.
std::string_view JsonHead(std::string_view head);
// True when `needle` (e.g. "\"reportSchema\"") occurs in head. Keys are matched with quotes.
bool HeadHas(std::string_view head, std::string_view needle);

// True when the text is only `null` (with whitespace around it): an old scanner's "nothing found".
// Looks at the text in place (no copy of a large file).
bool IsBareNull(std::string_view text);

class JsonReport {
 public:
  // Parses iteratively over src's padded buffer (no copy). Empty input (only whitespace) is
  // an error: kParse "empty file".
  Status Open(Source& src);
  od::document& doc() { return doc_; }
  const Source& source() const { return *src_; }
  // Byte offset in the file of a value (for rejects); 0 when unknown.
  uint64_t OffsetOf(od::value& v);
  uint64_t OffsetOf(const char* p) const;
  // The file-level error for malformed JSON / unexpected shape, with the offset reached.
  Error Malformed(std::string_view what, simdjson::error_code ec = simdjson::SUCCESS);
  Reject MakeReject(od::value& v, std::string where, std::string reason);
  // A reject at a byte offset in the file (as from OffsetOf); line is left 0 when offset is 0.
  Reject RejectAt(uint64_t offset, std::string where, std::string reason) const;
  // Call after the root value was walked completely: fails when anything but whitespace
  // follows it (two documents, garbage after the report).
  Status Finish();

 private:
  Source* src_ = nullptr;
  size_t start_ = 0;
  od::parser parser_;
  od::document doc_;
  bool doc_ready_ = false;
};

// Calls fn(key, value) -> Status for each field of `obj`, in document order (On-Demand reads
// fields once, as they come). A key or value simdjson cannot read makes the file malformed.
template <typename Fn>
Status ForEachField(JsonReport& rep, od::object obj, Fn&& fn) {
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return rep.Malformed("bad key", ec);
    od::value value;
    if (auto ec = field.value().get(value)) return rep.Malformed("bad value", ec);
    if (Status s = fn(key, value); !s.ok()) return s;
  }
  return Status::Ok();
}

// fn(index, element) -> Status for each element of arr, index counting from 0; an element
// simdjson cannot read is the file error `bad_element`.
template <typename Fn>
Status ForElements(JsonReport& rep, od::array arr, std::string_view bad_element, Fn&& fn) {
  size_t i = 0;
  for (auto e : arr) {
    od::value ev;
    if (auto ec = e.get(ev)) return rep.Malformed(bad_element, ec);
    FINDEX_RETURN_IF_ERROR(fn(i++, ev));
  }
  return Status::Ok();
}

// A value that may or may not be an object / array: *is_obj / *is_arr says which; when it is,
// fn(key, value) runs for each field / fn(index, element) for each element. Another type is
// no error (the caller decides); a value simdjson cannot read makes the file malformed.
template <typename Fn>
Status ForObj(JsonReport& rep, od::value v, bool* is_obj, Fn&& fn) {
  *is_obj = false;
  od::json_type t;
  if (auto ec = v.type().get(t)) return rep.Malformed("bad value", ec);
  if (t != od::json_type::object) return Status::Ok();
  od::object obj;
  if (auto ec = v.get_object().get(obj)) return rep.Malformed("bad object", ec);
  *is_obj = true;
  return ForEachField(rep, obj, fn);
}

template <typename Fn>
Status ForArr(JsonReport& rep, od::value v, bool* is_arr, Fn&& fn) {
  *is_arr = false;
  od::json_type t;
  if (auto ec = v.type().get(t)) return rep.Malformed("bad value", ec);
  if (t != od::json_type::array) return Status::Ok();
  od::array arr;
  if (auto ec = v.get_array().get(arr)) return rep.Malformed("bad array", ec);
  *is_arr = true;
  return ForElements(rep, arr, "bad array element", fn);
}

// Null or an array; false (a file error for the caller) for anything else.
inline bool NullOrArray(od::value v, od::array* out, bool* is_null) {
  od::json_type t;
  if (v.type().get(t)) return false;
  *is_null = t == od::json_type::null;
  if (*is_null) return true;
  return v.get_array().get(*out) == simdjson::SUCCESS;
}

// A list that may be null (nothing) or an array: fn(index, element) -> Status for each element,
// index counting from 0. Anything else is the file error `not_array`; an element simdjson cannot
// read, the file error `bad_element`.
template <typename Fn>
Status ForEachOfNullOrArray(JsonReport& rep, od::value v, std::string_view not_array, std::string_view bad_element,
                            Fn&& fn) {
  od::array arr;
  bool is_null = false;
  if (!NullOrArray(v, &arr, &is_null)) return rep.Malformed(not_array);
  if (is_null) return Status::Ok();
  return ForElements(rep, arr, bad_element, fn);
}

// The Ingest of a report that is an object with its records in one list (null or an array) under
// `key`, other keys ignored: fn(rep, index, element) -> Status for each record, index counting
// across the list (and a repeat of the key) from 0. File errors, `product` naming the tool:
// "expected a <product> JSON object", "\"<key>\" is not an array", "bad <element>", and
// (kSchema) "not a <product> report: no \"<key>\"" when the key is absent.
template <typename Fn>
Status IngestListUnderKey(Source& src, std::string_view product, std::string_view key, std::string_view element,
                          Fn&& fn) {
  JsonReport rep;
  FINDEX_RETURN_IF_ERROR(rep.Open(src));
  od::object root;
  if (auto ec = rep.doc().get_object().get(root)) {
    return rep.Malformed("expected a " + std::string(product) + " JSON object", ec);
  }
  bool saw_key = false;
  size_t index = 0;
  const std::string quoted = "\"" + std::string(key) + "\"";
  const std::string not_array = quoted + " is not an array";
  const std::string bad_element = "bad " + std::string(element);
  FINDEX_RETURN_IF_ERROR(ForEachField(rep, root, [&](std::string_view k, od::value v) -> Status {
    if (k != key) return Status::Ok();
    saw_key = true;
    return ForEachOfNullOrArray(rep, v, not_array, bad_element,
                                [&](size_t, od::value ev) -> Status { return fn(rep, index++, ev); });
  }));
  FINDEX_RETURN_IF_ERROR(rep.Finish());
  if (!saw_key) {
    return MakeError(ErrorCode::kSchema, "not a " + std::string(product) + " report: no " + quoted, src.path());
  }
  return Status::Ok();
}

// Coercions that accept the loose typing real reports use (declared here, used by the helpers below).
bool ReadString(od::value v, std::string* out);

// An array of objects ([{"url": ...}, ...]) -> the string member `key` of each, trimmed, appended
// to *out when not blank. A value that is not an array, an element that is not an object or a
// member that is not a string adds nothing; a value simdjson cannot read makes the file malformed.
inline Status ReadMemberOfEach(JsonReport& rep, od::value v, std::string_view key, std::vector<std::string>* out) {
  bool is_arr = false, is_obj = false;
  return ForArr(rep, v, &is_arr, [&](size_t, od::value ev) -> Status {
    std::string s;
    FINDEX_RETURN_IF_ERROR(ForObj(rep, ev, &is_obj, [&](std::string_view k, od::value x) -> Status {
      if (k == key) ReadString(x, &s);
      return Status::Ok();
    }));
    if (!Trim(s).empty()) out->push_back(Trim(s));
    return Status::Ok();
  });
}

// Coercions that accept the loose typing real reports use ("2" vs 2, null).
// Strings are unescaped; numbers and booleans give their JSON text; null gives "".
// Return false only on a type they cannot turn into the target (object, array) or an error.
bool ReadString(od::value v, std::string* out);
bool ReadInt(od::value v, int64_t* out);      // number or numeric string (in int64 range)
// An optional integer field: a number or a numeric string (kOk), null or a blank string
// (kAbsent, *out untouched), anything else (kBad). The value is decoded once: On-Demand writes a
// string into the parser's buffer each time it is decoded, and a second decode of the same
// value can write past it.
enum class IntField { kOk, kAbsent, kBad };
IntField ReadOptionalInt(od::value v, int64_t* out);
bool ReadDouble(od::value v, double* out);    // number or numeric string
// Raw JSON text of any value (for ProductFields or nested data kept verbatim).
bool ReadRaw(od::value v, std::string* out);
// True when `v` is JSON null (false on an error); does not consume the value.
bool IsNull(od::value v);
// Non-empty (after trimming) strings of an array, kept as written; non-string scalars give their
// JSON text, other elements are skipped; null gives none. False when `v` is neither an array nor
// null, or on an error.
bool ReadStrings(od::value v, std::vector<std::string>* out);

}  // namespace findex
