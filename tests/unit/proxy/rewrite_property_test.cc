// Property tests for the URL changes a route makes: the Location of `redirect:` (redirectLocation),
// the upstream target of `rewrite: { prefix }` (writeUpstreamRequestHead with strip_prefix /
// new_prefix) and of `rewrite: { regex, substitution }` (rewriteTargetPath). Each test draws
// thousands of random cases from a fixed seed and compares the result with a reference written
// here from the documented rules, independently of the code under test. A failure names the
// case's seed: PORTICO_PROP_SEED=<seed> ./build/unit_tests --gtest_filter=<test> reruns that case
// alone.
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>

#include "proxy/forwarding.h"
#include "proxy/redirect.h"

namespace portico::proxy {
namespace {

constexpr uint64_t kSeed = 0x706f727469636f07;  // "portico" 7
constexpr int kCases = 5000;

std::string hex(uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

// Runs `body` for `cases` cases, each with its own generator seeded from `seed`, and stops at
// the first failing case. PORTICO_PROP_SEED=<case seed> runs just that case. True when every
// case ran and passed (then the caller checks that its generator reached every branch).
bool forEachCase(uint64_t seed, int cases, const std::function<void(std::mt19937_64&)>& body) {
  std::mt19937_64 master(seed);
  const char* only = std::getenv("PORTICO_PROP_SEED");
  if (only) cases = 1;
  for (int i = 0; i < cases; ++i) {
    const uint64_t case_seed = only ? std::strtoull(only, nullptr, 0) : master();
    std::mt19937_64 rng(case_seed);
    SCOPED_TRACE("case " + std::to_string(i) + " of master seed " + hex(seed) +
                 "; rerun alone with PORTICO_PROP_SEED=" + hex(case_seed));
    body(rng);
    if (::testing::Test::HasFailure()) return false;
  }
  return !only;
}

// Small random choices over a generator (r() % n: the same draws on every platform).
struct Gen {
  std::mt19937_64& r;
  size_t below(size_t n) { return static_cast<size_t>(r() % n); }
  bool chance(unsigned percent) { return below(100) < percent; }
  char pick(std::string_view chars) { return chars[below(chars.size())]; }
  std::string word(std::string_view chars, size_t min, size_t max) {
    std::string s;
    for (size_t n = min + below(max - min + 1); n > 0; --n) s += pick(chars);
    return s;
  }
};

constexpr std::string_view kAlnum =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::string_view kHexDigits = "0123456789abcdefABCDEF";
// RFC 3986 pchar without '%' (escapes are drawn separately).
constexpr std::string_view kPathChars =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@";

std::string genPercent(Gen& g) {
  std::string s = "%";
  s += g.pick(kHexDigits);
  s += g.pick(kHexDigits);
  return s;
}

// A path segment: pchars and percent-escapes; sometimes empty (a "//" in the path).
std::string genSegment(Gen& g) {
  if (g.chance(4)) return "";
  std::string s;
  for (size_t n = 1 + g.below(8); n > 0; --n)
    s += g.chance(10) ? genPercent(g) : std::string(1, g.pick(kPathChars));
  return s;
}

// "/" or "/seg(/seg)*" with or without a trailing '/'.
std::string genPath(Gen& g) {
  if (g.chance(8)) return "/";
  std::string p;
  for (size_t n = 1 + g.below(4); n > 0; --n) p += "/" + genSegment(g);
  if (g.chance(30)) p += "/";
  return p;
}

// Absent (""), empty ("?") or "?k=v&..." with pchars, '/', '?' and escapes.
std::string genQuery(Gen& g) {
  size_t kind = g.below(10);
  if (kind < 4) return "";
  if (kind < 5) return "?";
  std::string q = "?";
  for (size_t n = 1 + g.below(3); n > 0; --n) {
    if (q.size() > 1) q += "&";
    for (size_t k = 1 + g.below(10); k > 0; --k) {
      if (g.chance(8))
        q += genPercent(g);
      else
        q += g.pick("abcdefghijklmnopqrstuvwxyz0123456789-._~!$'()*+,;=:@/?");
    }
  }
  return q;
}

// A host as its parts: `name` (reg-name, IPv4 or bracketed IPv6) and `port` ("" = none).
struct HostParts {
  std::string name;
  std::string port;
  std::string text() const { return port.empty() ? name : name + ":" + port; }
};

std::string genIpv6(Gen& g) {
  auto group = [&] { return g.word(kHexDigits, 1, 4); };
  std::string s;
  switch (g.below(4)) {
    case 0:  // all eight groups
      for (int i = 0; i < 8; ++i) s += (i ? ":" : "") + group();
      return s;
    case 1:  // "::" then a few groups
      s = "::";
      for (size_t n = g.below(4), i = 0; i < n; ++i) s += (i ? ":" : "") + group();
      return s;
    case 2:  // a few groups, "::", a few groups
      for (size_t n = 1 + g.below(3), i = 0; i < n; ++i) s += (i ? ":" : "") + group();
      s += "::" + group();
      return s;
    default:  // IPv4-mapped
      return "::ffff:" + std::to_string(g.below(256)) + "." + std::to_string(g.below(256)) + "." +
             std::to_string(g.below(256)) + "." + std::to_string(g.below(256));
  }
}

HostParts genHost(Gen& g) {
  HostParts h;
  switch (g.below(3)) {
    case 0:
      for (size_t n = 1 + g.below(3), i = 0; i < n; ++i)
        h.name +=
            (i ? "." : "") +
            g.word("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_~", 1, 10);
      break;
    case 1:
      h.name = std::to_string(g.below(256)) + "." + std::to_string(g.below(256)) + "." +
               std::to_string(g.below(256)) + "." + std::to_string(g.below(256));
      break;
    default:
      h.name = "[" + genIpv6(g) + "]";
  }
  if (g.chance(40)) {
    size_t k = g.below(10);
    h.port = k < 2 ? "80" : k < 4 ? "443" : std::to_string(1 + g.below(65535));
  }
  return h;
}

uint16_t genPort(Gen& g) {
  size_t k = g.below(10);
  return static_cast<uint16_t>(k < 3 ? 80 : k < 6 ? 443 : 1 + g.below(65535));
}

bool hasCrLf(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

bool allVisible(std::string_view s) {
  for (char c : s)
    if (c <= ' ' || c >= 0x7f) return false;
  return true;
}

// A URL split back into its parts; `query` keeps its '?' ("" = none).
struct Url {
  std::string scheme, authority, path, query;
};

std::optional<Url> parseUrl(std::string_view s) {
  Url u;
  size_t sep = s.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  u.scheme = s.substr(0, sep);
  s.remove_prefix(sep + 3);
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  u.authority = s.substr(0, slash);
  s.remove_prefix(slash);
  size_t q = s.find('?');
  u.path = s.substr(0, q);
  if (q != std::string_view::npos) u.query = s.substr(q);
  return u;
}

// Reference for a prefix replaced in a path: `np + rest`, with one of the two slashes dropped
// when `np` ends with '/' and `rest` starts with one.
std::string joinPrefix(std::string_view np, std::string_view rest) {
  std::string out(np);
  if (!np.empty() && np.back() == '/' && !rest.empty() && rest.front() == '/')
    out.append(rest.substr(1));
  else
    out.append(rest);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Redirects

struct RedirectCase {
  config::RouteRedirect d;
  HostParts host;      // the request's
  HostParts d_host;    // d.host's parts when set
  std::string target;  // the request target
  std::string path;    // its path as redirectLocation sees it ("/" for the asterisk form)
  std::string query;   // its query, '?' included ("" = none)
  std::string prefix;  // the route's matched prefix
  std::string exact;   // the route's exact path ("" = a prefix route)
  bool tls = false;

  std::string describe() const {
    std::ostringstream s;
    s << "target='" << target << "' host='" << host.text() << "' tls=" << tls << " prefix='"
      << prefix << "' exact='" << exact << "' | redirect scheme='" << d.scheme << "' host='"
      << d.host << "' port=" << d.port << " path='" << d.path << "' prefix_rewrite='"
      << d.prefix_rewrite << "' strip_query=" << d.strip_query;
    return s.str();
  }
};

RedirectCase genRedirectCase(Gen& g) {
  RedirectCase c;
  c.tls = g.chance(50);
  c.host = genHost(g);
  if (g.chance(5)) c.host = {};  // HTTP/1.0 without Host
  c.path = genPath(g);
  c.query = genQuery(g);
  c.target = c.path + c.query;
  if (g.chance(3)) {
    // Absolute form: its path and query are the redirect's, as for origin form (RFC 9112 §3.2.2).
    c.target = (g.chance(50) ? "http://" : "HTTPS://") + genHost(g).text() + c.target;
  } else if (g.chance(2)) {
    // Asterisk form: redirected as "/".
    c.target = "*";
    c.path = "/";
    c.query = "";
  }
  if (g.chance(25)) {
    c.exact = c.path;
    c.prefix = "/";
  } else {
    size_t k = g.below(10);
    if (k < 6)  // a prefix of the path, cut anywhere
      c.prefix = c.path.substr(0, 1 + g.below(c.path.size()));
    else if (k < 8)  // usually not a prefix of the path
      c.prefix = genPath(g);
    else
      c.prefix = k < 9 ? "/" : "";
  }
  config::RouteRedirect& d = c.d;
  d.enabled = true;
  static constexpr std::string_view kSchemes[] = {"", "http", "https"};
  d.scheme = kSchemes[g.below(3)];
  if (g.chance(30)) {
    c.d_host = genHost(g);
    d.host = c.d_host.text();
  }
  if (g.chance(40)) d.port = genPort(g);
  size_t k = g.below(10);
  if (k < 2) {
    d.path = genPath(g);
  } else if (k < 6) {
    size_t f = g.below(4);
    d.prefix_rewrite = f == 0 ? std::string("/") : f == 1 ? c.prefix : genPath(g);
    if (d.prefix_rewrite.empty()) d.prefix_rewrite = "/";
  }
  d.strip_query = g.chance(30);
  return c;
}

// The path the redirect should name, from the documented rules.
std::string expectedRedirectPath(const RedirectCase& c) {
  const config::RouteRedirect& d = c.d;
  if (!d.path.empty()) return d.path;
  if (d.prefix_rewrite.empty()) return c.path;
  if (!c.exact.empty()) return d.prefix_rewrite;
  if (!c.path.starts_with(c.prefix)) return c.path;
  return joinPrefix(d.prefix_rewrite, std::string_view(c.path).substr(c.prefix.size()));
}

TEST(RewriteProperty, RedirectLocation) {
  int refused = 0, rewritten = 0, ported = 0, ipv6 = 0;
  bool all = forEachCase(kSeed, kCases, [&](std::mt19937_64& rng) {
    Gen g{rng};
    const RedirectCase c = genRedirectCase(g);
    SCOPED_TRACE(c.describe());
    const config::RouteRedirect& d = c.d;
    std::string loc;
    bool ok = redirectLocation(d, c.prefix, c.exact, c.target, c.host.text(), c.tls, loc);

    // No host to name: refused (the caller answers 400).
    const HostParts& src = d.host.empty() ? c.host : c.d_host;
    ASSERT_EQ(ok, !src.name.empty());
    if (!ok) {
      ++refused;
      return;
    }
    EXPECT_FALSE(hasCrLf(loc)) << loc;
    EXPECT_TRUE(allVisible(loc)) << loc;
    std::optional<Url> u = parseUrl(loc);
    ASSERT_TRUE(u) << loc;

    // Scheme: configured, else from the listener.
    const std::string scheme = !d.scheme.empty() ? d.scheme : c.tls ? "https" : "http";
    EXPECT_EQ(u->scheme, scheme) << loc;

    // Authority: the host replaced or kept; with d.port its port replaced, a default omitted.
    std::string authority = src.text();
    if (d.port) {
      ++ported;
      const bool is_default =
          (scheme == "https" && d.port == 443) || (scheme == "http" && d.port == 80);
      authority = src.name + (is_default ? "" : ":" + std::to_string(d.port));
      if (is_default) {
        EXPECT_EQ(u->authority, src.name) << loc;
      }
    }
    EXPECT_EQ(u->authority, authority) << loc;
    if (src.name.front() == '[') {
      ++ipv6;
      EXPECT_EQ(u->authority.front(), '[') << loc;
      EXPECT_EQ(u->authority.find(']'), src.name.size() - 1) << loc;
    }

    // Path: replaced, prefix-rewritten or unchanged.
    const std::string path = expectedRedirectPath(c);
    EXPECT_EQ(u->path, path) << loc;
    if (path != c.path) ++rewritten;
    if (!d.prefix_rewrite.empty() && d.path.empty() && c.exact.empty() &&
        c.path.starts_with(c.prefix) && d.prefix_rewrite.back() == '/' &&
        !std::string_view(c.path).substr(c.prefix.size()).starts_with("//")) {
      // No "//" made where the new prefix meets the rest.
      EXPECT_NE(u->path.substr(d.prefix_rewrite.size() - 1, 2), "//") << loc;
    }

    // Query: kept byte for byte (an empty "?" too) unless stripped.
    EXPECT_EQ(u->query, d.strip_query ? "" : c.query) << loc;

    // A redirect of a request for the Location itself, under the same rule, lands on the same
    // Location — except where the rule changes the path each time: a prefix rewritten to a
    // different prefix, or a "//" after the prefix (one slash is dropped per redirect).
    bool moves = false;
    if (d.path.empty() && !d.prefix_rewrite.empty() && c.exact.empty() &&
        c.path.starts_with(c.prefix)) {
      std::string_view rest = std::string_view(c.path).substr(c.prefix.size());
      moves = d.prefix_rewrite != c.prefix ||
              (c.prefix.ends_with('/') && rest.starts_with("/") && rest.substr(1).starts_with("/"));
      if (d.prefix_rewrite == c.prefix && !(c.prefix.ends_with('/') && rest.starts_with("/"))) {
        EXPECT_EQ(u->path, c.path) << "a prefix rewritten to itself is the identity";
      }
    }
    if (!moves) {
      std::string again;
      ASSERT_TRUE(
          redirectLocation(d, c.prefix, c.exact, u->path + u->query, u->authority, c.tls, again));
      EXPECT_EQ(again, loc) << "redirected twice";
    }
  });
  if (!all) return;
  // The generator reaches every branch.
  EXPECT_GT(refused, kCases / 100);
  EXPECT_GT(rewritten, kCases / 5);
  EXPECT_GT(ported, kCases / 5);
  EXPECT_GT(ipv6, kCases / 10);
}

TEST(RewriteProperty, RedirectWithoutHostIsRefused) {
  forEachCase(kSeed + 1, 500, [&](std::mt19937_64& rng) {
    Gen g{rng};
    RedirectCase c = genRedirectCase(g);
    c.d.host.clear();
    std::string host = g.chance(50) ? "" : ":" + std::to_string(1 + g.below(65535));
    SCOPED_TRACE(c.describe() + " request host='" + host + "'");
    std::string loc;
    EXPECT_FALSE(redirectLocation(c.d, c.prefix, c.exact, c.target, host, c.tls, loc));
  });
}

// ---------------------------------------------------------------------------------------------
// Prefix rewrites (writeUpstreamRequestHead with strip_prefix -> new_prefix)

// A parsed request that owns its input (the head's views point into it).
struct ParsedReq {
  std::unique_ptr<std::string> input;
  std::unique_ptr<http1::RequestHead> head = std::make_unique<http1::RequestHead>();
};

ParsedReq parseReq(std::string_view target) {
  ParsedReq p;
  p.input = std::make_unique<std::string>("GET " + std::string(target) +
                                          " HTTP/1.1\r\nHost: a.test\r\n\r\n");
  http1::ParseResult r = http1::parseRequestHead(*p.input, {}, *p.head);
  EXPECT_EQ(r.state, http1::ParseState::Done) << target << (r.error ? r.error : "");
  return p;
}

// The target of the request line writeUpstreamRequestHead produces.
std::string upstreamTarget(std::string_view target, const RequestForwardInfo& info) {
  ParsedReq p = parseReq(target);
  char buf[8192];
  HeadWriter w{buf, buf + sizeof buf};
  writeUpstreamRequestHead(*p.head, info, w);
  EXPECT_FALSE(w.overflow);
  std::string_view out(buf, w.written(buf));
  std::string_view line = out.substr(0, out.find("\r\n"));
  EXPECT_TRUE(line.starts_with("GET ") && line.ends_with(" HTTP/1.1")) << out;
  EXPECT_NE(out.find("\r\nHost: a.test\r\n"), std::string_view::npos) << out;
  if (line.size() < 13) return "";
  return std::string(line.substr(4, line.size() - 13));
}

TEST(RewriteProperty, PrefixRewrite) {
  int matched = 0, unmatched = 0;
  bool all = forEachCase(kSeed + 2, kCases, [&](std::mt19937_64& rng) {
    Gen g{rng};
    std::string prefix = genPath(g);
    std::string new_prefix;
    switch (g.below(5)) {
      case 0:
        new_prefix = "/";
        break;
      case 1:
        new_prefix = "";
        break;
      case 2:
        new_prefix = prefix;
        break;
      default:
        new_prefix = genPath(g);
    }
    std::string path;
    if (g.chance(70)) {
      // The prefix, then something or nothing.
      path = prefix;
      size_t k = g.below(4);
      if (k == 1) path += genPath(g);
      if (k == 2) path += genSegment(g);
      if (k == 3) path += genPath(g).substr(1);
    } else {
      path = genPath(g);
    }
    std::string query = genQuery(g);
    std::string target = path + query;
    SCOPED_TRACE("strip_prefix='" + prefix + "' new_prefix='" + new_prefix + "' target='" + target +
                 "'");
    RequestForwardInfo info;
    info.client_ip = "1.2.3.4";
    info.strip_prefix = prefix;
    info.new_prefix = new_prefix;
    std::string out = upstreamTarget(target, info);
    EXPECT_FALSE(hasCrLf(out));

    // Reference: new prefix + the rest (one '/' dropped where two would meet; "/" for an empty
    // result), the query after it unchanged; a path without the prefix is left alone.
    std::string want_path;
    if (path.starts_with(prefix)) {
      ++matched;
      std::string_view rest = std::string_view(path).substr(prefix.size());
      want_path = joinPrefix(new_prefix, rest);
      if (!want_path.starts_with('/')) want_path.insert(0, "/");
      EXPECT_TRUE(out.starts_with(
          new_prefix.ends_with('/') ? new_prefix.substr(0, new_prefix.size() - 1) : new_prefix))
          << out;
    } else {
      ++unmatched;
      want_path = path;
      EXPECT_EQ(out, target) << "a path without the prefix is unchanged";
    }
    EXPECT_EQ(out, want_path + query);
    size_t q = out.find('?');
    EXPECT_EQ(q == std::string::npos ? std::string() : out.substr(q), query) << "query changed";
  });
  if (!all) return;
  EXPECT_GT(matched, kCases / 2);
  EXPECT_GT(unmatched, kCases / 10);
}

// ---------------------------------------------------------------------------------------------
// Regex rewrites (rewriteTargetPath, as startAttempt uses it)

// A literal path segment, some of its bytes regex metacharacters (quoted in the pattern).
std::string genLiteral(Gen& g) {
  return g.word("abcdefghijklmnopqrstuvwxyz0123456789-._~+$()", 1, 8);
}

size_t digitRun(std::string_view s, size_t from) {
  size_t i = from;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  return i - from;
}

size_t lowerRun(std::string_view s, size_t from) {
  size_t i = from;
  while (i < s.size() && s[i] >= 'a' && s[i] <= 'z') ++i;
  return i - from;
}

// One rewrite rule: a pattern, its substitution, and the result computed by hand (nullopt = no
// match); `makePath` draws a path that often matches.
struct RegexRule {
  std::string pattern, substitution;
  std::function<std::optional<std::string>(const std::string&)> reference;
  std::function<std::string(Gen&)> makePath;
};

RegexRule genRule(Gen& g) {
  const std::string a = genLiteral(g), b = genLiteral(g);
  const std::string qa = re2::RE2::QuoteMeta(a);
  const std::string la = "/" + a + "/";
  RegexRule r;
  // A path that mostly looks like what the rule wants, sometimes slightly off.
  auto noise = [](Gen& g, std::string s) {
    if (g.chance(15) && !s.empty()) s.erase(g.below(s.size()), 1);
    if (g.chance(10)) s.insert(g.below(s.size() + 1), 1, g.pick("a0/.x"));
    if (s.empty() || s[0] != '/') s.insert(0, "/");
    return s;
  };
  switch (g.below(5)) {
    case 0:  // ^/a/([0-9]+)(/.*)?$ -> /b/\1\2
      r.pattern = "^/" + qa + "/([0-9]+)(/.*)?$";
      r.substitution = "/" + b + "/\\1\\2";
      r.reference = [=](const std::string& p) -> std::optional<std::string> {
        if (!p.starts_with(la)) return std::nullopt;
        size_t n = digitRun(p, la.size());
        std::string_view tail = std::string_view(p).substr(la.size() + n);
        if (n == 0 || !(tail.empty() || tail.front() == '/')) return std::nullopt;
        return "/" + b + "/" + p.substr(la.size(), n) + std::string(tail);
      };
      r.makePath = [=](Gen& g) {
        std::string s = la + g.word("0123456789", 1, 6);
        if (g.chance(60)) s += genPath(g);
        return noise(g, s);
      };
      break;
    case 1:  // ^/a/([a-z]+)/([0-9]+)$ -> /b/\2/\1
      r.pattern = "^/" + qa + "/([a-z]+)/([0-9]+)$";
      r.substitution = "/" + b + "/\\2/\\1";
      r.reference = [=](const std::string& p) -> std::optional<std::string> {
        if (!p.starts_with(la)) return std::nullopt;
        size_t n = lowerRun(p, la.size());
        size_t at = la.size() + n;
        if (n == 0 || at >= p.size() || p[at] != '/') return std::nullopt;
        size_t m = digitRun(p, at + 1);
        if (m == 0 || at + 1 + m != p.size()) return std::nullopt;
        return "/" + b + "/" + p.substr(at + 1) + "/" + p.substr(la.size(), n);
      };
      r.makePath = [=](Gen& g) {
        return noise(
            g, la + g.word("abcdefghijklmnopqrstuvwxyz", 1, 6) + "/" + g.word("0123456789", 1, 6));
      };
      break;
    case 2:  // /a/ anywhere (first one) -> /b/
      r.pattern = "/" + qa + "/";
      r.substitution = "/" + b + "/";
      r.reference = [=](const std::string& p) -> std::optional<std::string> {
        size_t at = p.find(la);
        if (at == std::string::npos) return std::nullopt;
        std::string out = p;
        out.replace(at, la.size(), "/" + b + "/");
        return out;
      };
      r.makePath = [=](Gen& g) {
        std::string s = genPath(g);
        if (g.chance(70)) s.insert(s.rfind('/', g.below(s.size())), "/" + a);
        if (g.chance(30)) s += "/" + a + "/x";
        return noise(g, s);
      };
      break;
    case 3:  // ^/a/(.*)\.(html|htm)$ -> /b/\2/\1
      r.pattern = "^/" + qa + "/(.*)\\.(html|htm)$";
      r.substitution = "/" + b + "/\\2/\\1";
      r.reference = [=](const std::string& p) -> std::optional<std::string> {
        if (!p.starts_with(la)) return std::nullopt;
        std::string_view rest = std::string_view(p).substr(la.size());
        for (std::string_view ext : {".html", ".htm"}) {
          if (rest.ends_with(ext)) {
            return "/" + b + "/" + std::string(ext.substr(1)) + "/" +
                   std::string(rest.substr(0, rest.size() - ext.size()));
          }
        }
        return std::nullopt;
      };
      r.makePath = [=](Gen& g) {
        std::string s = la + genPath(g).substr(1);
        static constexpr std::string_view kEnds[] = {".html", ".htm", ".txt", ".html/x", ""};
        s += kEnds[g.below(5)];
        return noise(g, s);
      };
      break;
    default:  // ^/a/.*$ -> /b\0 (the whole path after a new first segment)
      r.pattern = "^/" + qa + "/.*$";
      r.substitution = "/" + b + "\\0";
      r.reference = [=](const std::string& p) -> std::optional<std::string> {
        if (!p.starts_with(la)) return std::nullopt;
        return "/" + b + p;
      };
      r.makePath = [=](Gen& g) { return noise(g, la + genPath(g).substr(1)); };
  }
  return r;
}

TEST(RewriteProperty, RegexRewrite) {
  int matched = 0, unmatched = 0;
  bool all = forEachCase(kSeed + 3, kCases, [&](std::mt19937_64& rng) {
    Gen g{rng};
    RegexRule rule = genRule(g);
    re2::RE2 re(rule.pattern);
    ASSERT_TRUE(re.ok()) << rule.pattern;
    std::string path = g.chance(85) ? rule.makePath(g) : genPath(g);
    std::string query = genQuery(g);
    // The query is never searched: sometimes it holds what the pattern looks for.
    if (g.chance(20)) query = "?" + rule.makePath(g) + (query.empty() ? "" : "&" + query.substr(1));
    std::string target = path + query;
    SCOPED_TRACE("pattern='" + rule.pattern + "' substitution='" + rule.substitution +
                 "' target='" + target + "'");

    std::string out;
    bool ok = rewriteTargetPath(re, rule.substitution, target, out);
    std::optional<std::string> want = rule.reference(path);
    ASSERT_EQ(ok, want.has_value()) << out;
    if (!ok) {
      ++unmatched;
      // startAttempt then forwards the target as received.
      RequestForwardInfo info;
      info.client_ip = "1.2.3.4";
      EXPECT_EQ(upstreamTarget(target, info), target);
      return;
    }
    ++matched;
    EXPECT_EQ(out, *want + query);
    size_t q = out.find('?');
    EXPECT_EQ(q == std::string::npos ? std::string() : out.substr(q), query) << "query changed";
    EXPECT_FALSE(hasCrLf(out));
    // Forwarded as the request line's target.
    RequestForwardInfo info;
    info.client_ip = "1.2.3.4";
    info.target_override = out;
    EXPECT_EQ(upstreamTarget(target, info), out);
  });
  if (!all) return;
  EXPECT_GT(matched, kCases / 4);
  EXPECT_GT(unmatched, kCases / 4);
}

}  // namespace
}  // namespace portico::proxy
