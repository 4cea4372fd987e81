// Errors as values: Status and Result<T>, with context added at each layer on the way up.
#pragma once

#include <cstdio>
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

// printf-style message building for errors; errors are rare so the cost does not matter.
template <typename... Args>
std::string format(const char* fmt, Args... args) {
  if constexpr (sizeof...(Args) == 0) {
    return fmt;
  } else {
    int n = std::snprintf(nullptr, 0, fmt, args...);
    std::string s(static_cast<size_t>(n), '\0');
    std::snprintf(s.data(), s.size() + 1, fmt, args...);
    return s;
  }
}

}  // namespace tandem

#define TANDEM_CONCAT_INNER(a, b) a##b
#define TANDEM_CONCAT(a, b) TANDEM_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` failed.
#define TANDEM_RETURN_IF_ERROR(expr)                         \
  do {                                                       \
    ::tandem::Status _tandem_st = (expr);                    \
    if (!_tandem_st.is_ok()) return _tandem_st;              \
  } while (0)

// Same, prefixing context to the message.
#define TANDEM_RETURN_IF_ERROR_CTX(expr, ctx)                \
  do {                                                       \
    ::tandem::Status _tandem_st = (expr);                    \
    if (!_tandem_st.is_ok()) return _tandem_st.with_context(ctx); \
  } while (0)

// Returns an error Status of `code` with a formatted message unless `cond` holds.
#define TANDEM_CHECK_OR_RETURN(cond, code, ...)                                    \
  do {                                                                            \
    if (!(cond)) return ::tandem::Status(::tandem::Code::code, ::tandem::format(__VA_ARGS__)); \
  } while (0)

// `TANDEM_ASSIGN_OR_RETURN(auto x, f());` unwraps a Result or returns its Status.
#define TANDEM_ASSIGN_OR_RETURN(lhs, expr) TANDEM_ASSIGN_OR_RETURN_IMPL(TANDEM_CONCAT(_tandem_r, __LINE__), lhs, expr)
#define TANDEM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.is_ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
