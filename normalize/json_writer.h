// Minimal streaming JSON writer. Strings are escaped per RFC 8259 and invalid UTF-8 is
// replaced with U+FFFD, so output is always valid JSON whatever the report contained.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace findex {

class JsonWriter {
 public:
  // indent < 0: compact; otherwise pretty-printed with `indent` spaces per level.
  explicit JsonWriter(std::string* out, int indent = -1) : out_(out), indent_(indent) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view k);
  JsonWriter& String(std::string_view s);
  JsonWriter& Int(int64_t v);
  JsonWriter& UInt(uint64_t v);
  JsonWriter& Double(double v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  JsonWriter& Raw(std::string_view json);  // an already-serialized value

  // Convenience: Key(k).String(v) etc.
  JsonWriter& Field(std::string_view k, std::string_view v) { return Key(k).String(v); }
  JsonWriter& FieldInt(std::string_view k, int64_t v) { return Key(k).Int(v); }

 private:
  void BeforeValue();
  JsonWriter& Close(char c);
  void Newline();
  std::string* out_;
  int indent_;
  // per open container: has it a member yet?
  std::vector<bool> has_member_;
  bool after_key_ = false;
};

void AppendJsonEscaped(std::string* out, std::string_view s);

}  // namespace findex
