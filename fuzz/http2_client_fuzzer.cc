// libFuzzer entry for Http2ClientCodec (the upstream HTTP/2 side, fed what a backend sends);
// the body lives in http2_client_fuzz_target.h so the unit tests can replay the corpus without
// clang. Build: -DPORTICO_FUZZ=ON with clang (scripts/fuzz.sh).
#include <cstddef>
#include <cstdint>

#include "http2_client_fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return portico::fuzz::portico_fuzz_http2_client(data, size);
}
