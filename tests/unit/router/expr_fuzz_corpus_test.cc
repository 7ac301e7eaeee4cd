// Replays fuzz/corpus/route_expr through the route expression fuzz target under g++, so the
// fuzzer's invariants are checked on every unit test run (the fuzzer itself needs clang).
#include <gtest/gtest.h>

#include "../../../fuzz/route_expr_fuzz_target.h"
#include "../fuzz_corpus.h"

namespace portico::router {
namespace {

TEST(RouteExprFuzzCorpus, Replays) {
  const auto seeds = testing::corpusSeeds("route_expr");
  for (const auto& seed : seeds) {
    SCOPED_TRACE(seed.path);
    fuzz::portico_fuzz_route_expr(reinterpret_cast<const uint8_t*>(seed.bytes.data()),
                                  seed.bytes.size());
  }
  EXPECT_GE(seeds.size(), 5u);
}

}  // namespace
}  // namespace portico::router
