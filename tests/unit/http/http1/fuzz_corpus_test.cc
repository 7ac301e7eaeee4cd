// Replays every seed of fuzz/corpus/http1_parser through the fuzzer body (under g++), so the
// invariants checked by the fuzzer hold for the corpus in every unit-test run.
#include "../../fuzz_corpus.h"

#include <gtest/gtest.h>

#include "../../../../fuzz/http1_fuzz_target.h"

namespace portico::http1 {
namespace {

TEST(Http1FuzzCorpus, ReplaysEverySeed) {
  const auto seeds = testing::corpusSeeds("http1_parser");
  for (const auto& seed : seeds) {
    SCOPED_TRACE(seed.path);
    EXPECT_EQ(fuzz::portico_fuzz_http1(reinterpret_cast<const uint8_t*>(seed.bytes.data()),
                                       seed.bytes.size()),
              0);
  }
  EXPECT_GE(seeds.size(), 20u);
}

TEST(Http1FuzzCorpus, EmptyAndTinyInputs) {
  EXPECT_EQ(fuzz::portico_fuzz_http1(nullptr, 0), 0);
  for (int c = 0; c < 256; ++c) {
    const auto b = static_cast<uint8_t>(c);
    EXPECT_EQ(fuzz::portico_fuzz_http1(&b, 1), 0);
  }
}

}  // namespace
}  // namespace portico::http1
