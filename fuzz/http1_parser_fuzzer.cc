// libFuzzer entry for the HTTP/1 parsers; the body lives in http1_fuzz_target.h so the unit
// tests can replay the corpus without clang. Build: -DPORTICO_FUZZ=ON with clang.
#include <cstddef>
#include <cstdint>

#include "http1_fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return portico::fuzz::portico_fuzz_http1(data, size);
}
