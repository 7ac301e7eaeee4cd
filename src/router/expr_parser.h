#pragma once
// The compact route expression form (`when:` in config), a hand-written recursive-descent
// parser. Grammar (whitespace between tokens is ignored):
//   expr    := and ( "||" and )*
//   and     := unary ( "&&" unary )*
//   unary   := "!" unary | "(" expr ")" | "true" | "false" | call
//   call    := NAME "(" [ arg ( "," arg )* ] ")"
//   arg     := STRING | "[" [ STRING ( "," STRING )* ] "]"
//   STRING  := '"' ... '"' or "'" ... "'", with \" \' \\ escapes
// Functions: host, host_regex, path, path_prefix, path_regex, method, header, header_prefix,
// header_regex, cookie, cookie_prefix, cookie_regex, query, query_prefix, query_regex,
// client_ip, country, continent, device, language, sni, sni_regex, client_cert
// (docs/routing.md describes each). Thread: config load only.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "router/condition.h"

namespace portico::router {

// Where and why an expression is invalid; `column` is 1-based within the expression text.
struct ExprError {
  size_t column = 0;
  std::string message;
};

struct ExprOptions {
  std::shared_ptr<const GeoDatabase> geo;  // needed by country() / continent(); may be null
  size_t max_depth = 64;                   // deeper nesting is an error (bounded recursion)
};

// Parses `text`. Returns the condition, or null with *error filled in. Never throws on any
// input (except std::bad_alloc).
ConditionPtr parseExpression(std::string_view text, const ExprOptions& options, ExprError* error);

}  // namespace portico::router
