#include "net/cidr.h"

#include <arpa/inet.h>

#include <cstring>
#include <stdexcept>

#include "net/address.h"

namespace portico::net {
namespace {

void setError(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
}

uint64_t loadBe64(const uint8_t* p) noexcept {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

void split6(const in6_addr& a, uint64_t* hi, uint64_t* lo) noexcept {
  *hi = loadBe64(a.s6_addr);
  *lo = loadBe64(a.s6_addr + 8);
}

// ::ffff:a.b.c.d as two 64-bit halves.
void split4(const in_addr& a, uint64_t* hi, uint64_t* lo) noexcept {
  *hi = 0;
  *lo = (uint64_t{0xffff} << 32) | ntohl(a.s_addr);
}

// Mask with the top `bits` (0-64) bits set.
uint64_t topBits(unsigned bits) noexcept {
  return bits == 0 ? 0 : ~uint64_t{0} << (64 - bits);
}

}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view text, std::string* error) {
  const std::string quoted = "'" + std::string(text) + "'";
  std::string_view addr = text;
  std::optional<unsigned> prefix;
  if (const size_t slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    std::string_view digits = text.substr(slash + 1);
    unsigned v = 0;
    bool ok = !digits.empty() && digits.size() <= 3;
    for (char c : digits) {
      if (c < '0' || c > '9') ok = false;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (!ok) {
      setError(error, "invalid CIDR " + quoted + ": prefix length must be a number");
      return std::nullopt;
    }
    prefix = v;
  }
  Cidr c;
  uint64_t hi = 0, lo = 0;
  in_addr a4;
  in6_addr a6;
  if (parseIp(AF_INET, addr, &a4)) {
    if (prefix.value_or(32) > 32) {
      setError(error, "invalid CIDR " + quoted + ": IPv4 prefix length must be 0-32");
      return std::nullopt;
    }
    c.v4_ = true;
    c.bits_ = 96 + prefix.value_or(32);
    split4(a4, &hi, &lo);
  } else if (parseIp(AF_INET6, addr, &a6)) {
    if (prefix.value_or(128) > 128) {
      setError(error, "invalid CIDR " + quoted + ": IPv6 prefix length must be 0-128");
      return std::nullopt;
    }
    c.bits_ = prefix.value_or(128);
    split6(a6, &hi, &lo);
  } else {
    setError(error, "invalid CIDR " + quoted +
                        ": expected an IPv4 or IPv6 address with optional /prefix, e.g. "
                        "10.0.0.0/8 or ::1/128");
    return std::nullopt;
  }
  c.mask_hi_ = topBits(c.bits_ >= 64 ? 64 : c.bits_);
  c.mask_lo_ = topBits(c.bits_ <= 64 ? 0 : c.bits_ - 64);
  c.net_hi_ = hi & c.mask_hi_;
  c.net_lo_ = lo & c.mask_lo_;
  return c;
}

bool Cidr::contains(const in6_addr& addr) const noexcept {
  uint64_t hi, lo;
  split6(addr, &hi, &lo);
  return matches(hi, lo);
}

bool Cidr::contains(const in_addr& addr) const noexcept {
  uint64_t hi, lo;
  split4(addr, &hi, &lo);
  return matches(hi, lo);
}

bool Cidr::contains(const sockaddr* sa) const noexcept {
  if (sa == nullptr) return false;
  if (sa->sa_family == AF_INET) return contains(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
  if (sa->sa_family == AF_INET6) {
    return contains(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
  }
  return false;
}

std::string Cidr::toString() const {
  char buf[INET6_ADDRSTRLEN];
  if (v4_) {
    in_addr a4;
    a4.s_addr = htonl(static_cast<uint32_t>(net_lo_));
    inet_ntop(AF_INET, &a4, buf, sizeof(buf));
  } else {
    in6_addr a6;
    for (int i = 0; i < 8; ++i) {
      a6.s6_addr[i] = static_cast<uint8_t>(net_hi_ >> (56 - 8 * i));
      a6.s6_addr[8 + i] = static_cast<uint8_t>(net_lo_ >> (56 - 8 * i));
    }
    inet_ntop(AF_INET6, &a6, buf, sizeof(buf));
  }
  return std::string(buf) + "/" + std::to_string(prefixLength());
}

CidrSet::CidrSet(const std::vector<std::string>& texts) {
  cidrs_.reserve(texts.size());
  for (const std::string& t : texts) {
    std::string error;
    if (!add(t, &error)) throw std::invalid_argument(error);
  }
}

bool CidrSet::add(std::string_view text, std::string* error) {
  std::optional<Cidr> c = Cidr::parse(text, error);
  if (!c) return false;
  cidrs_.push_back(*c);
  return true;
}

bool CidrSet::contains(const sockaddr* sa) const noexcept {
  if (sa == nullptr) return false;
  if (sa->sa_family == AF_INET) return contains(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
  if (sa->sa_family == AF_INET6) {
    return contains(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
  }
  return false;
}

bool CidrSet::contains(const in_addr& addr) const noexcept {
  uint64_t hi, lo;
  split4(addr, &hi, &lo);
  for (const Cidr& c : cidrs_) {
    if (c.matches(hi, lo)) return true;
  }
  return false;
}

bool CidrSet::contains(const in6_addr& addr) const noexcept {
  uint64_t hi, lo;
  split6(addr, &hi, &lo);
  for (const Cidr& c : cidrs_) {
    if (c.matches(hi, lo)) return true;
  }
  return false;
}

}  // namespace portico::net
