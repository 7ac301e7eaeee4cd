// libFuzzer entry for the route expression parser (router/expr_parser.h); the body lives in
// route_expr_fuzz_target.h. Build: -DPORTICO_FUZZ=ON with clang (scripts/fuzz.sh).
#include <cstddef>
#include <cstdint>

#include "route_expr_fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return portico::fuzz::portico_fuzz_route_expr(data, size);
}
