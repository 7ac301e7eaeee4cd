#pragma once
// The seeds of a fuzzer's corpus (fuzz/corpus/<name>/), for the unit tests that replay them
// through the fuzz target bodies under g++ (the fuzzers themselves need clang).
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace portico::testing {

struct Seed {
  std::string path;
  std::string bytes;
};

// Every regular file of fuzz/corpus/<name>, read whole. Empty when the directory is missing
// (callers assert a minimum count, so that fails their test).
inline std::vector<Seed> corpusSeeds(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::path(PORTICO_SOURCE_DIR) / "fuzz" / "corpus" / name;
  std::vector<Seed> out;
  if (!std::filesystem::is_directory(dir)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream f(entry.path(), std::ios::binary);
    out.push_back({entry.path().string(), std::string((std::istreambuf_iterator<char>(f)),
                                                      std::istreambuf_iterator<char>())});
  }
  return out;
}

}  // namespace portico::testing
