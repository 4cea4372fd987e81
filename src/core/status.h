// Errors inside Tandem: the public Status and Result<T> (tandem/status.h), message formatting and the macros that
// pass an error up with context.
#pragma once

#include <cstdio>
#include <string>
#include <utility>

#include "tandem/status.h"

namespace tandem {

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
