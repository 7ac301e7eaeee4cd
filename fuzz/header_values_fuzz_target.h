#pragma once
// Shared body of the header_values fuzzer: the small parsers that read request (and response)
// field values from clients and backends. Used by fuzz/header_values_fuzzer.cc (libFuzzer,
// clang) and by tests/unit/router/match/header_values_fuzz_corpus_test.cc (corpus replay under
// g++). The input is split at '\n' into fields (a field value cannot hold a line feed):
//   0 Accept-Language   1 Accept-Encoding   2 User-Agent   3 Cookie   4 request target
//   5 X-Forwarded-For   6 Host   7 Content-Type   8 a cookie / query parameter / search name
//   9 the available languages (comma-separated; lower-cased as the config loader requires)
// Missing fields are empty. Besides "does not crash" (ASan) it traps when an invariant breaks:
//  * every view a lookup returns lies inside the field it was found in, and has the shape the
//    lookup promises (no ';' in a cookie value, no '&' in a query value, no '?'/'#' in a path);
//  * results are deterministic, and ASCII case in the header does not change a
//    case-insensitive result (Accept-Language, Accept-Encoding, User-Agent, Content-Type);
//  * negotiation considers each candidate on its own: the language / coding picked from a list
//    is acceptable alone, and a list with an acceptable member never yields "none";
//  * q-values parse to [0, 1000] or -1, the same in Accept-Language and Accept-Encoding;
//  * an IP literal that parses prints and parses back to the same address; the resolved client
//    address is the peer or a parsed X-Forwarded-For hop, and the same on both header models.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "filters/compress/negotiate.h"
#include "http/http1/parser.h"
#include "net/address.h"
#include "net/cidr.h"
#include "router/match/accept_language.h"
#include "router/match/client_address.h"
#include "router/match/request_fields.h"
#include "router/match/user_agent.h"
#include "router/request_view.h"

namespace portico::fuzz {

namespace hv {

inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

// True when `part` is empty or lies within `whole`.
inline bool inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

inline std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return out;
}

inline bool sameAddress(const sockaddr* a, const sockaddr* b) {
  if (a->sa_family != b->sa_family) return false;
  if (a->sa_family == AF_INET)
    return std::memcmp(&reinterpret_cast<const sockaddr_in*>(a)->sin_addr,
                       &reinterpret_cast<const sockaddr_in*>(b)->sin_addr, sizeof(in_addr)) == 0;
  return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr,
                     &reinterpret_cast<const sockaddr_in6*>(b)->sin6_addr, sizeof(in6_addr)) == 0;
}

// Accept-Language against the available tags, plus q-value parsing.
inline void acceptLanguage(std::string_view header, std::string_view langs) {
  std::vector<std::string> available;
  if (langs.empty()) {
    available = {"en", "en-gb", "fr", "pt-br", "de-ch-1901", "zh-hant"};
  } else {
    const std::string l = lower(langs);
    size_t start = 0;
    while (start <= l.size() && available.size() < 16) {
      size_t comma = l.find(',', start);
      if (comma == std::string::npos) comma = l.size();
      available.push_back(l.substr(start, comma - start));
      start = comma + 1;
    }
  }
  const int best = router::bestLanguage(header, available);
  check(best >= -1 && best < static_cast<int>(available.size()));
  check(router::bestLanguage(header, available) == best);
  check(router::bestLanguage(upper(header), available) == best);
  if (header.empty()) check(best == -1);
  bool any = false;
  for (size_t i = 0; i < available.size(); ++i) {
    const int alone = router::bestLanguage(header, {available[i]});
    check(alone == -1 || alone == 0);
    any = any || alone == 0;
    if (static_cast<int>(i) == best) check(alone == 0);
  }
  check(any == (best != -1));
  check(router::bestLanguage(header, {}) == -1);
  const int q = router::parseQuality(header);
  check(q >= -1 && q <= 1000);
}

// Accept-Encoding negotiation over a few enabled lists.
inline void acceptEncoding(std::string_view header) {
  using filters::compress::Coding;
  using filters::compress::negotiate;
  const std::vector<std::vector<Coding>> lists = {{Coding::Zstd, Coding::Brotli, Coding::Gzip},
                                                  {Coding::Gzip, Coding::Zstd},
                                                  {Coding::Brotli},
                                                  {},
                                                  {Coding::Identity, Coding::Gzip}};
  const std::string up = upper(header);
  for (const std::vector<Coding>& enabled : lists) {
    const Coding c = negotiate(header, enabled);
    check(negotiate(header, enabled) == c);
    check(negotiate(up, enabled) == c);
    bool offered = c == Coding::Identity;
    bool any = false;
    for (Coding e : enabled) {
      offered = offered || e == c;
      const Coding alone = negotiate(header, std::span<const Coding>(&e, 1));
      check(alone == e || alone == Coding::Identity);
      any = any || (alone == e && e != Coding::Identity);
    }
    check(offered);
    check(any == (c != Coding::Identity));
    if (c != Coding::Identity) check(negotiate(header, std::span<const Coding>(&c, 1)) == c);
    if (header.empty()) check(c == Coding::Identity);
  }
  Coding parsed;
  if (filters::compress::parseCoding(header, parsed)) {
    Coding again;
    check(filters::compress::parseCoding(filters::compress::codingName(parsed), again) &&
          again == parsed);
  }
}

// The same q-value read by both negotiators: Accept-Language and Accept-Encoding agree.
inline void qValue(std::string_view q) {
  if (q.find_first_of(",;") != std::string_view::npos) return;  // would split the member
  std::string_view t = q;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  const int v = router::parseQuality(t);
  check(v >= -1 && v <= 1000);
  const bool lang = router::bestLanguage("en;q=" + std::string(q), {"en"}) == 0;
  const filters::compress::Coding gz = filters::compress::Coding::Gzip;
  const bool enc =
      filters::compress::negotiate("gzip;q=" + std::string(q),
                                   std::span<const filters::compress::Coding>(&gz, 1)) == gz;
  check(lang == (v > 0));
  check(enc == (v > 0));
}

inline void userAgent(std::string_view ua, std::string_view needle) {
  const router::DeviceClass d = router::classifyUserAgent(ua);
  check(static_cast<int>(d) <= static_cast<int>(router::DeviceClass::Bot));
  check(router::classifyUserAgent(ua) == d);
  check(router::classifyUserAgent(lower(ua)) == d);
  check(router::classifyUserAgent(upper(ua)) == d);
  if (ua.empty()) check(d == router::DeviceClass::Bot);
  const auto back = router::parseDeviceClass(router::deviceClassName(d));
  check(back.has_value() && *back == d);
  const std::string n = lower(needle);
  check(router::containsIgnoreCase(ua, n) == (lower(ua).find(n) != std::string::npos));
}

// Cookie lookup through both header models (HTTP/1 views, protocol-neutral list).
inline void cookies(std::string_view cookie, std::string_view name) {
  http1::Header h1[2];
  h1[0] = {"User-Agent", "x", http::lookupHeaderId("user-agent")};
  h1[1] = {"Cookie", cookie, http::lookupHeaderId("cookie")};
  router::RequestView v1;
  v1.headers = h1;
  v1.header_count = 2;
  http::HeaderList list;
  list.add("user-agent", "x");
  list.add("cookie", cookie);
  router::RequestView v2;
  v2.header_list = &list;
  std::string_view a, b;
  const bool found = router::findCookie(v1, name, &a);
  check(router::findCookie(v2, name, &b) == found);
  if (!found) return;
  check(a == b);
  check(inside(a, cookie));
  check(a.find(';') == std::string_view::npos);
  check(a.empty() || (a.back() != ' ' && a.back() != '\t'));
  check(cookie.find(std::string(name) + "=") != std::string_view::npos);
  std::string_view value;
  check(router::findHeader(v1, "cookie", &value) && value.data() == cookie.data());
}

// Request target: path, query, query parameter, and the Host normalisation.
inline void target(std::string_view t, std::string_view name, std::string_view host) {
  const std::string_view path = router::targetPath(t);
  check(path == "/" || inside(path, t));
  check(path.find_first_of("?#") == std::string_view::npos);
  if (!t.empty() && t[0] == '/') check(path.data() == t.data());
  const std::string_view query = router::targetQuery(t);
  check(inside(query, t));
  check(query.find('#') == std::string_view::npos);
  std::string_view value;
  if (router::findQueryParam(query, name, &value)) {
    check(inside(value, query));
    check(value.find('&') == std::string_view::npos);
    if (!value.empty()) check(query.find(std::string(name) + "=") != std::string_view::npos);
  }
  char buf[router::kMaxHostLength + 1];
  const std::string_view h = router::normalizeHost(host, buf);
  check(h.size() <= host.size());
  if (inside(h, std::string_view(buf, sizeof buf)) && !h.empty()) {
    check(h.size() <= router::kMaxHostLength && lower(h) == h);
  } else {
    check(inside(h, host));
  }
}

// X-Forwarded-For: every hop as an IP literal, and the client address walk.
inline void forwardedFor(std::string_view xff) {
  std::string_view rest = xff;
  for (;;) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    net::SockAddr a;
    if (router::parseIpLiteral(item, a)) {
      check(a.sa.sa_family == AF_INET || a.sa.sa_family == AF_INET6);
      char text[INET6_ADDRSTRLEN];
      const void* raw = a.sa.sa_family == AF_INET ? static_cast<const void*>(&a.v4.sin_addr)
                                                  : static_cast<const void*>(&a.v6.sin6_addr);
      check(inet_ntop(a.sa.sa_family, raw, text, sizeof text) != nullptr);
      net::SockAddr b;
      check(router::parseIpLiteral(text, b) && sameAddress(&a.sa, &b.sa));
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }

  net::CidrSet trusted;
  trusted.add("10.0.0.0/8");
  trusted.add("2001:db8::/32");
  trusted.add("::1");
  net::SockAddr peer{};
  peer.v4.sin_family = AF_INET;
  peer.v4.sin_addr.s_addr = htonl(0x0a000001);  // 10.0.0.1: a trusted proxy
  net::SockAddr outsider{};
  outsider.v4.sin_family = AF_INET;
  outsider.v4.sin_addr.s_addr = htonl(0xc0000201);  // 192.0.2.1

  http1::Header h1[3];
  h1[0] = {"X-Forwarded-For", "192.0.2.77", http::lookupHeaderId("x-forwarded-for")};
  h1[1] = {"Accept", "*/*", http::lookupHeaderId("accept")};
  h1[2] = {"x-forwarded-for", xff, http::lookupHeaderId("x-forwarded-for")};
  http::HeaderList list;
  list.add("x-forwarded-for", "192.0.2.77");
  list.add("accept", "*/*");
  list.add("x-forwarded-for", xff);
  router::RequestView v1;
  v1.headers = h1;
  v1.header_count = 3;
  v1.peer = &peer.sa;
  v1.trusted_proxies = &trusted;
  router::RequestView v2 = v1;
  v2.header_list = &list;

  net::SockAddr s1, s2, s3;
  const sockaddr* c1 = router::resolveClientAddress(v1, s1);
  const sockaddr* c2 = router::resolveClientAddress(v2, s2);
  const sockaddr* c3 = router::resolveClientAddress(v1, s3);
  check(c1 != nullptr && c2 != nullptr && c3 != nullptr);
  check(c1 == &peer.sa || c1 == &s1.sa);
  check(c1->sa_family == AF_INET || c1->sa_family == AF_INET6);
  check(sameAddress(c1, c2) && sameAddress(c1, c3));

  v1.peer = &outsider.sa;  // an untrusted peer: headers are not believed
  check(router::resolveClientAddress(v1, s1) == &outsider.sa);
  v1.peer = nullptr;
  check(router::resolveClientAddress(v1, s1) == nullptr);
}

inline void contentType(std::string_view ct) {
  const std::vector<std::string> types = {"text/html", "text/*", "application/json"};
  const bool m = filters::compress::typeMatches(ct, types);
  check(filters::compress::typeMatches(ct, types) == m);
  check(filters::compress::typeMatches(upper(ct), types) == m);
  check(!filters::compress::typeMatches(ct, {}));
}

}  // namespace hv

inline int portico_fuzz_header_values(const uint8_t* data, size_t size) {
  if (size > 8192) return 0;  // header fields are bounded long before this
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view f[10];
  std::string_view rest = in;
  for (size_t i = 0; i < 10 && !rest.empty(); ++i) {
    const size_t nl = rest.find('\n');
    f[i] = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  hv::acceptLanguage(f[0], f[9]);
  hv::acceptEncoding(f[1]);
  hv::qValue(f[8]);
  hv::userAgent(f[2], f[8]);
  hv::cookies(f[3], f[8]);
  hv::target(f[4], f[8], f[6]);
  hv::forwardedFor(f[5]);
  hv::contentType(f[7]);
  return 0;
}

}  // namespace portico::fuzz
