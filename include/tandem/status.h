// Errors as values: every call of Tandem's library that can fail returns a Status or a Result<T> (a value or the
// Status saying why there is none). The message is the one line the CLI prints after "tandem: error: ".
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace tandem {

enum class Code {
  kOk = 0,
  kInvalidArgument,  // the caller gave us something malformed (bad shape, bad flag)
  kNotFound,         // a file, tensor or node that should exist does not
  kUnsupported,      // valid input we do not handle (op, attribute value, dtype)
  kInvalidModel,     // the model itself is broken (cycle, missing initializer, bad protobuf)
  kIoError,          // the OS refused (read/write failed)
  kResourceExhausted,  // past a limit (the memory limit, a file size limit) or the system is out of memory
  kInternal,         // a bug in Tandem
};

const char* code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  bool is_ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes context ("node 'conv1' (Conv)") so the final one-line error reads outermost-first.
  Status with_context(const std::string& context) const& {
    if (is_ok()) return *this;
    return {code_, context + ": " + message_};
  }
  std::string to_string() const { return is_ok() ? "ok" : std::string(code_name(code_)) + ": " + message_; }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor): natural `return value;`
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace tandem
