// Errors cross the public API as values: Status for operations without a
// result, StatusOr<T> for those with one. No exceptions, no aborts on bad
// input.
#ifndef QINS_STATUS_H_
#define QINS_STATUS_H_

#include <string>
#include <utility>
#include <variant>

#include "qins/export.h"

namespace qins {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad shape, null pointer, NaN weight, unknown name
  kUnsupported,      // valid request this CPU or build cannot serve
  kOutOfRange,       // value or index outside what a format can represent
  kDataLoss,         // malformed or truncated file
  kResourceExhausted,
  kInternal,
};

QINS_API const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "InvalidArgument: <message>" or "OK".
  QINS_API std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status Unsupported(std::string m) {
  return Status(StatusCode::kUnsupported, std::move(m));
}
inline Status OutOfRange(std::string m) {
  return Status(StatusCode::kOutOfRange, std::move(m));
}
inline Status DataLoss(std::string m) {
  return Status(StatusCode::kDataLoss, std::move(m));
}

// Holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  StatusOr(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).ok()) {
      v_ = Status(StatusCode::kInternal, "StatusOr built from an OK Status");
    }
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }
  // Precondition: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace qins

#endif  // QINS_STATUS_H_
