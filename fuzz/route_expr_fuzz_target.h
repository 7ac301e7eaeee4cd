#pragma once
// Shared body of the route expression parser fuzzer: used by fuzz/route_expr_fuzzer.cc
// (libFuzzer, clang) and replayable from unit tests. Besides "does not crash" it checks:
//  * an error has a column within the input (1 .. size + 1) and a message;
//  * a parsed expression's describe() parses again to the same describe() (round trip).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "router/expr_parser.h"

namespace portico::fuzz {

inline void checkExpr(bool ok) {
  if (!ok) __builtin_trap();
}

inline int portico_fuzz_route_expr(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  router::ExprError error;
  router::ConditionPtr c = router::parseExpression(text, router::ExprOptions{}, &error);
  if (!c) {
    checkExpr(error.column >= 1 && error.column <= size + 1 && !error.message.empty());
    return 0;
  }
  const std::string again = c->describe();
  // describe() may add parentheses the input did not have, so allow deeper nesting.
  router::ExprOptions deeper;
  deeper.max_depth = 4096;
  router::ExprError error2;
  router::ConditionPtr c2 = router::parseExpression(again, deeper, &error2);
  checkExpr(c2 != nullptr && c2->describe() == again);
  return 0;
}

}  // namespace portico::fuzz
