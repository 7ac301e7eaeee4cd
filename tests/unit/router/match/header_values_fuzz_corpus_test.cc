// Replays every seed of fuzz/corpus/header_values through the header value fuzzer body (under
// g++): Accept-Language, Accept-Encoding, User-Agent, Cookie, request target, Host,
// X-Forwarded-For and Content-Type parsing, with the fuzzer's invariants, on every unit-test run.
#include <gtest/gtest.h>

#include "../../../../fuzz/header_values_fuzz_target.h"
#include "../../fuzz_corpus.h"

namespace portico::router {
namespace {

TEST(HeaderValuesFuzzCorpus, ReplaysEverySeed) {
  const auto seeds = testing::corpusSeeds("header_values");
  for (const auto& seed : seeds) {
    SCOPED_TRACE(seed.path);
    EXPECT_EQ(fuzz::portico_fuzz_header_values(reinterpret_cast<const uint8_t*>(seed.bytes.data()),
                                               seed.bytes.size()),
              0);
  }
  EXPECT_GE(seeds.size(), 6u);
}

TEST(HeaderValuesFuzzCorpus, EmptyAndTinyInputs) {
  EXPECT_EQ(fuzz::portico_fuzz_header_values(nullptr, 0), 0);
  for (int c = 0; c < 256; ++c) {
    const uint8_t b[2] = {static_cast<uint8_t>(c), static_cast<uint8_t>(c)};
    EXPECT_EQ(fuzz::portico_fuzz_header_values(b, 1), 0);
    EXPECT_EQ(fuzz::portico_fuzz_header_values(b, 2), 0);
  }
}

}  // namespace
}  // namespace portico::router
