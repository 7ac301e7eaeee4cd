#pragma once
// IPv4/IPv6 address prefixes (CIDR blocks) and sets of them, e.g. for trusted_proxies.
// Every prefix is held as IPv6: an IPv4 block a.b.c.d/n is stored as ::ffff:a.b.c.d/(96+n), so
// IPv4 peers and IPv4-mapped IPv6 peers (::ffff:10.1.2.3 on a dual-stack socket) match the same
// IPv4 rules. Matching does no allocation and no system calls.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portico::net {

class Cidr {
 public:
  // A placeholder prefix, ::/128: it matches only the unspecified address, never a real peer.
  Cidr() = default;

  // Parses "10.0.0.0/8", "2001:db8::/32", or a bare address ("10.1.2.3" = /32, "::1" = /128).
  // Host bits beyond the prefix are ignored ("10.1.2.3/8" is 10.0.0.0/8). Returns nullopt with a
  // reason in *error (if non-null) on malformed text or an out-of-range prefix length.
  static std::optional<Cidr> parse(std::string_view text, std::string* error = nullptr);

  // True if the IPv6 address (network byte order) lies inside this prefix.
  bool contains(const in6_addr& addr) const noexcept;
  // True if the IPv4 address (network byte order) lies inside this prefix.
  bool contains(const in_addr& addr) const noexcept;
  // True if `sa` is an AF_INET/AF_INET6 address inside this prefix; false for null or any other
  // family.
  bool contains(const sockaddr* sa) const noexcept;

  // Returns the canonical text form: "10.0.0.0/8" for IPv4 blocks, "2001:db8::/32" for IPv6.
  std::string toString() const;

  // True if this is an IPv4 block (written in dotted form).
  bool isV4() const noexcept { return v4_; }
  // Returns the prefix length in the written family (0-32 for IPv4, 0-128 for IPv6).
  unsigned prefixLength() const noexcept { return v4_ ? bits_ - 96 : bits_; }

 private:
  friend class CidrSet;

  // True if the 128-bit address (host byte order halves) lies inside this prefix.
  bool matches(uint64_t hi, uint64_t lo) const noexcept {
    return (hi & mask_hi_) == net_hi_ && (lo & mask_lo_) == net_lo_;
  }

  uint64_t net_hi_ = 0, net_lo_ = 0;  // network, host byte order, as a 128-bit number
  uint64_t mask_hi_ = ~uint64_t{0}, mask_lo_ = ~uint64_t{0};  // prefix mask
  unsigned bits_ = 128;                                       // prefix length in the 128-bit space
  bool v4_ = false;
};

// An ordered list of prefixes; membership is a linear scan (these lists are short).
class CidrSet {
 public:
  // An empty set: contains() is false for every address.
  CidrSet() = default;

  // Parses every entry with Cidr::parse. Throws std::invalid_argument naming the bad entry if
  // one does not parse (the config loader validates them first, so this does not happen with a
  // loaded Config).
  explicit CidrSet(const std::vector<std::string>& texts);

  // Parses and appends one prefix. Returns false (set unchanged, reason in *error) if malformed.
  bool add(std::string_view text, std::string* error = nullptr);
  // Appends an already parsed prefix.
  void add(const Cidr& cidr) { cidrs_.push_back(cidr); }

  // True if any prefix contains `sa` (AF_INET or AF_INET6); false for an empty set, null, or
  // other families. No allocation.
  bool contains(const sockaddr* sa) const noexcept;
  // True if any prefix contains the IPv4 address (network byte order).
  bool contains(const in_addr& addr) const noexcept;
  // True if any prefix contains the IPv6 address (network byte order).
  bool contains(const in6_addr& addr) const noexcept;

  // True if the set holds no prefixes.
  bool empty() const noexcept { return cidrs_.empty(); }
  // Returns the number of prefixes.
  size_t size() const noexcept { return cidrs_.size(); }
  // Returns the prefixes in insertion order.
  const std::vector<Cidr>& entries() const noexcept { return cidrs_; }

 private:
  std::vector<Cidr> cidrs_;
};

}  // namespace portico::net
