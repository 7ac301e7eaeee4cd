// libFuzzer entry for the request field value parsers (Accept-Language, Accept-Encoding,
// User-Agent, Cookie, target and query, Host, X-Forwarded-For, Content-Type); the body lives
// in header_values_fuzz_target.h. Build: -DPORTICO_FUZZ=ON with clang (scripts/fuzz.sh).
#include <cstddef>
#include <cstdint>

#include "header_values_fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return portico::fuzz::portico_fuzz_header_values(data, size);
}
