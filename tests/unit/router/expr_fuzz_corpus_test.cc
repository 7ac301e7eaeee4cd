// Replays fuzz/corpus/route_expr through the route expression fuzz target under g++, so the
// fuzzer's invariants are checked on every unit test run (the fuzzer itself needs clang).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "../../../fuzz/route_expr_fuzz_target.h"

namespace portico::router {
namespace {

TEST(RouteExprFuzzCorpus, Replays) {
  const std::filesystem::path dir =
      std::filesystem::path(PORTICO_SOURCE_DIR) / "fuzz/corpus/route_expr";
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fuzz::portico_fuzz_route_expr(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    ++n;
  }
  EXPECT_GE(n, 5u);
}

}  // namespace
}  // namespace portico::router
