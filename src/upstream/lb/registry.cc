// Policy registry (name -> factory, filled by static initializers in each policy's folder) and
// the key hash used by the hash policy.
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "upstream/lb/policy.h"

namespace portico::upstream::lb {
namespace {

// Function-local static: safe to use from other translation units' static initializers.
std::map<std::string, Factory, std::less<>>& registry() {
  static std::map<std::string, Factory, std::less<>> policies;
  return policies;
}

constexpr uint64_t kP0 = 0xa0761d6478bd642fULL;
constexpr uint64_t kP1 = 0xe7037ed1a0b428dbULL;
constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ULL;
constexpr uint64_t kP3 = 0x589965cc75374cc3ULL;

// 64x64 -> 128 multiply folded to 64 bits (the wyhash mixing step).
inline uint64_t mum(uint64_t a, uint64_t b) {
  const __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t read8(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline uint64_t read4(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

bool registerPolicy(const std::string& name, Factory factory) {
  return registry().emplace(name, std::move(factory)).second;
}

std::unique_ptr<Policy> createPolicy(const config::LoadBalancing& cfg, size_t hosts) {
  auto& policies = registry();
  auto it = policies.find(cfg.policy);
  if (it == policies.end()) return nullptr;
  return it->second(cfg, hosts);
}

std::vector<std::string> policyNames() {
  std::vector<std::string> names;
  names.reserve(registry().size());
  for (const auto& [name, factory] : registry()) names.push_back(name);
  return names;
}

// wyhash-style: 16 bytes per round through a 128-bit multiply, overlapping reads for the tail.
uint64_t hashKey(std::string_view key) {
  const auto* p = reinterpret_cast<const unsigned char*>(key.data());
  const size_t len = key.size();
  uint64_t seed = kP0 ^ mum(len ^ kP1, kP2);
  uint64_t a = 0, b = 0;
  if (len <= 16) {
    if (len >= 4) {
      a = (read4(p) << 32) | read4(p + ((len >> 3) << 2));
      b = (read4(p + len - 4) << 32) | read4(p + len - 4 - ((len >> 3) << 2));
    } else if (len > 0) {
      a = (static_cast<uint64_t>(p[0]) << 16) | (static_cast<uint64_t>(p[len >> 1]) << 8) |
          p[len - 1];
    }
  } else {
    size_t i = len;
    uint64_t see1 = seed;
    while (i > 32) {
      seed = mum(read8(p) ^ kP1, read8(p + 8) ^ seed);
      see1 = mum(read8(p + 16) ^ kP2, read8(p + 24) ^ see1);
      p += 32;
      i -= 32;
    }
    seed ^= see1;
    while (i > 16) {
      seed = mum(read8(p) ^ kP1, read8(p + 8) ^ seed);
      p += 16;
      i -= 16;
    }
    a = read8(p + i - 16);
    b = read8(p + i - 8);
  }
  return mum(kP1 ^ len, mum(a ^ kP1, b ^ seed) ^ kP3);
}

}  // namespace portico::upstream::lb
