// Replays every seed of fuzz/corpus/http2_client through the client codec fuzzer body (under
// g++), so the invariants checked by the fuzzer hold for the corpus in every unit-test run.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../../../../fuzz/http2_client_fuzz_target.h"
#include "../../fuzz_corpus.h"

namespace portico::http2 {
namespace {

std::vector<std::string> seeds() {
  std::vector<std::string> out;
  for (auto& seed : testing::corpusSeeds("http2_client")) out.push_back(std::move(seed.bytes));
  return out;
}

int run(const std::string& bytes) {
  return fuzz::portico_fuzz_http2_client(reinterpret_cast<const uint8_t*>(bytes.data()),
                                         bytes.size());
}

TEST(Http2ClientFuzzCorpus, ReplaysEverySeed) {
  const std::vector<std::string> all = seeds();
  for (const std::string& s : all) EXPECT_EQ(run(s), 0);
  EXPECT_GE(all.size(), 10u);
}

// Each seed under every caller behaviour (flags byte) and a few ways of splitting the input.
TEST(Http2ClientFuzzCorpus, SeedsUnderEveryFlagAndSplit) {
  for (std::string s : seeds()) {
    if (s.size() < 2) continue;  // too short to carry the control bytes
    for (int flags = 0; flags < 256; ++flags) {
      for (int piece : {0, 1, 13}) {
        s[0] = static_cast<char>(flags);
        s[1] = static_cast<char>(piece);
        EXPECT_EQ(run(s), 0);
      }
    }
  }
}

TEST(Http2ClientFuzzCorpus, EmptyAndTinyInputs) {
  EXPECT_EQ(fuzz::portico_fuzz_http2_client(nullptr, 0), 0);
  for (int c = 0; c < 256; ++c) {
    const uint8_t b[3] = {static_cast<uint8_t>(c), 1, static_cast<uint8_t>(c)};
    EXPECT_EQ(fuzz::portico_fuzz_http2_client(b, 2), 0);
    EXPECT_EQ(fuzz::portico_fuzz_http2_client(b, 3), 0);
  }
}

}  // namespace
}  // namespace portico::http2
