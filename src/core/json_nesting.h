// A guard for JSON text from outside (plans, engine headers): the deepest nesting of arrays and objects,
// found by one linear scan before any parser sees the text. nlohmann::json parses deep text iteratively, but
// serialising, comparing or converting a value recurses once per level, so 100000 nested '[' would overflow
// the stack there; documents Tandem reads are a few levels deep.
#pragma once

#include <string_view>

namespace tandem {

inline constexpr int kMaxJsonNesting = 64;

// The deepest nesting of '[' and '{' outside string literals (escapes honoured); malformed text is for the
// parser to reject, this only has to be right about nesting.
int json_nesting_depth(std::string_view text);

}  // namespace tandem
