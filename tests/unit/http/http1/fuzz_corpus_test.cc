// Replays every seed of fuzz/corpus/http1_parser through the fuzzer body (under g++), so the
// invariants checked by the fuzzer hold for the corpus in every unit-test run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "../../../../fuzz/http1_fuzz_target.h"

namespace portico::http1 {
namespace {

TEST(Http1FuzzCorpus, ReplaysEverySeed) {
  const std::filesystem::path dir =
      std::filesystem::path(PORTICO_SOURCE_DIR) / "fuzz" / "corpus" / "http1_parser";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream f(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().string());
    EXPECT_EQ(
        fuzz::portico_fuzz_http1(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0);
    ++files;
  }
  EXPECT_GE(files, 20u);
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
