#include "http/header_id.h"

#include <array>
#include <bit>
#include <cstring>

namespace portico::http {
namespace {

static_assert(std::endian::native == std::endian::little ||
              std::endian::native == std::endian::big);

consteval std::array<uint8_t, 256> makeLower() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<size_t>(c)] = static_cast<uint8_t>((c >= 'A' && c <= 'Z') ? c + 32 : c);
  }
  return t;
}
constexpr std::array<uint8_t, 256> kLower = makeLower();

// A lower-case name packed into 64-bit words as memcpy would load them, plus a mask with 0x20
// on letter bytes: (loaded | mask) == word is an exact ASCII case-insensitive compare of 8
// bytes (only letters have their 0x20 bit folded).
struct Pattern {
  uint64_t word[3] = {0, 0, 0};
  uint64_t mask[3] = {0, 0, 0};
};

consteval Pattern makePattern(std::string_view s) {
  Pattern p;
  const size_t len = s.size();
  const size_t words = (len + 7) / 8;
  for (size_t k = 0; k < words; ++k) {
    const size_t off = len >= 8 ? (k * 8 < len - 8 ? k * 8 : len - 8) : 0;
    const size_t cnt = len >= 8 ? 8 : len;
    for (size_t j = 0; j < cnt; ++j) {
      const auto c = static_cast<uint8_t>(s[off + j]);
      const unsigned shift = std::endian::native == std::endian::little ? j * 8 : (7 - j) * 8;
      p.word[k] |= static_cast<uint64_t>(c) << shift;
      if (c >= 'a' && c <= 'z') p.mask[k] |= uint64_t{0x20} << shift;
    }
  }
  return p;
}

inline uint64_t load8(const char* s) {
  uint64_t v;
  std::memcpy(&v, s, 8);
  return v;
}

// Compares `s` (exactly Len bytes) with the pattern; Len is a constant so loads are unrolled.
template <size_t Len>
inline bool matches(const char* s, const Pattern& p) {
  if constexpr (Len < 8) {
    uint64_t v = 0;
    std::memcpy(&v, s, Len);
    return (v | p.mask[0]) == p.word[0];
  } else {
    constexpr size_t kWords = (Len + 7) / 8;
    bool ok = (load8(s) | p.mask[0]) == p.word[0];
    if constexpr (kWords > 1) ok &= (load8(s + (Len > 16 ? 8 : Len - 8)) | p.mask[1]) == p.word[1];
    if constexpr (kWords > 2) ok &= (load8(s + Len - 8) | p.mask[2]) == p.word[2];
    return ok;
  }
}

constexpr Pattern kHost = makePattern("host");
constexpr Pattern kDate = makePattern("date");
constexpr Pattern kTe = makePattern("te");
constexpr Pattern kVia = makePattern("via");
constexpr Pattern kServer = makePattern("server");
constexpr Pattern kExpect = makePattern("expect");
constexpr Pattern kTrailer = makePattern("trailer");
constexpr Pattern kUpgrade = makePattern("upgrade");
constexpr Pattern kForwarded = makePattern("forwarded");
constexpr Pattern kConnection = makePattern("connection");
constexpr Pattern kKeepAlive = makePattern("keep-alive");
constexpr Pattern kContentLength = makePattern("content-length");
constexpr Pattern kHttp2Settings = makePattern("http2-settings");
constexpr Pattern kXForwardedFor = makePattern("x-forwarded-for");
constexpr Pattern kProxyConnection = makePattern("proxy-connection");
constexpr Pattern kXForwardedHost = makePattern("x-forwarded-host");
constexpr Pattern kTransferEncoding = makePattern("transfer-encoding");
constexpr Pattern kXForwardedProto = makePattern("x-forwarded-proto");
constexpr Pattern kProxyAuthenticate = makePattern("proxy-authenticate");
constexpr Pattern kProxyAuthorization = makePattern("proxy-authorization");

constexpr std::string_view kNames[] = {
    "",
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "expect",
    "proxy-authenticate",
    "proxy-authorization",
    "via",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "forwarded",
    "server",
    "date",
    "http2-settings",
};
static_assert(std::size(kNames) == static_cast<size_t>(HeaderId::Count));

}  // namespace

HeaderId lookupHeaderId(std::string_view name) {
  const char* s = name.data();
  switch (name.size()) {
    case 2:
      return matches<2>(s, kTe) ? HeaderId::Te : HeaderId::Other;
    case 3:
      return matches<3>(s, kVia) ? HeaderId::Via : HeaderId::Other;
    case 4:
      if (matches<4>(s, kHost)) return HeaderId::Host;
      if (matches<4>(s, kDate)) return HeaderId::Date;
      return HeaderId::Other;
    case 6:
      if (matches<6>(s, kServer)) return HeaderId::Server;
      if (matches<6>(s, kExpect)) return HeaderId::Expect;
      return HeaderId::Other;
    case 7:
      if (matches<7>(s, kUpgrade)) return HeaderId::Upgrade;
      if (matches<7>(s, kTrailer)) return HeaderId::Trailer;
      return HeaderId::Other;
    case 9:
      return matches<9>(s, kForwarded) ? HeaderId::Forwarded : HeaderId::Other;
    case 10:
      if (matches<10>(s, kConnection)) return HeaderId::Connection;
      if (matches<10>(s, kKeepAlive)) return HeaderId::KeepAlive;
      return HeaderId::Other;
    case 14:
      if (matches<14>(s, kContentLength)) return HeaderId::ContentLength;
      if (matches<14>(s, kHttp2Settings)) return HeaderId::Http2Settings;
      return HeaderId::Other;
    case 15:
      return matches<15>(s, kXForwardedFor) ? HeaderId::XForwardedFor : HeaderId::Other;
    case 16:
      if (matches<16>(s, kProxyConnection)) return HeaderId::ProxyConnection;
      if (matches<16>(s, kXForwardedHost)) return HeaderId::XForwardedHost;
      return HeaderId::Other;
    case 17:
      if (matches<17>(s, kTransferEncoding)) return HeaderId::TransferEncoding;
      if (matches<17>(s, kXForwardedProto)) return HeaderId::XForwardedProto;
      return HeaderId::Other;
    case 18:
      return matches<18>(s, kProxyAuthenticate) ? HeaderId::ProxyAuthenticate : HeaderId::Other;
    case 19:
      return matches<19>(s, kProxyAuthorization) ? HeaderId::ProxyAuthorization : HeaderId::Other;
    default:
      return HeaderId::Other;
  }
}

std::string_view headerName(HeaderId id) {
  const auto i = static_cast<size_t>(id);
  return i < std::size(kNames) ? kNames[i] : std::string_view();
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (kLower[static_cast<uint8_t>(a[i])] != kLower[static_cast<uint8_t>(b[i])]) return false;
  }
  return true;
}

}  // namespace portico::http
