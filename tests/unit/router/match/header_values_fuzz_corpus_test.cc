// Replays every seed of fuzz/corpus/header_values through the header value fuzzer body (under
// g++): Accept-Language, Accept-Encoding, User-Agent, Cookie, request target, Host,
// X-Forwarded-For and Content-Type parsing, with the fuzzer's invariants, on every unit-test run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "../../../../fuzz/header_values_fuzz_target.h"

namespace portico::router {
namespace {

TEST(HeaderValuesFuzzCorpus, ReplaysEverySeed) {
  const std::filesystem::path dir =
      std::filesystem::path(PORTICO_SOURCE_DIR) / "fuzz" / "corpus" / "header_values";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream f(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().string());
    EXPECT_EQ(fuzz::portico_fuzz_header_values(reinterpret_cast<const uint8_t*>(bytes.data()),
                                               bytes.size()),
              0);
    ++files;
  }
  EXPECT_GE(files, 6u);
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
