// Result<T> / Status: expected failures are values, never exceptions across modules.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace findex {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,  // usage error
  kIo,               // cannot read/write a file
  kUnknownFormat,    // sniffing found nothing
  kParse,            // malformed file
  kSchema,           // well-formed but not the expected shape
  kTooLarge,         // a size cap was hit
  kStore,            // SQLite failure
  kNotFound,
  kInternal,
};

const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string where;  // path:line:col, byte offset or JSON path; may be empty

  std::string ToString() const {
    return where.empty() ? message : where + ": " + message;
  }
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e) : error_(std::move(e)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  static Status Ok() { return {}; }
  bool ok() const { return ok_; }
  const Error& error() const { return error_; }
  std::string ToString() const { return ok_ ? "ok" : error_.ToString(); }

 private:
  Error error_{ErrorCode::kOk, {}, {}};
  bool ok_ = true;
};

inline Error MakeError(ErrorCode code, std::string message, std::string where = {}) {
  return Error{code, std::move(message), std::move(where)};
}

// Shaped like std::expected (absent from g++ 12).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(status.error()) {}  // NOLINT: only from a failed Status

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }
  Status status() const { return ok() ? Status::Ok() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

#define FINDEX_RETURN_IF_ERROR(expr)            \
  do {                                          \
    ::findex::Status _st = (expr);              \
    if (!_st.ok()) return _st.error();          \
  } while (0)

}  // namespace findex
