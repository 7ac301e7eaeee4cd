// Strict HTTP/1.1 head parser. Design choices (all in the direction of rejecting anything two
// implementations could read differently):
//  * Line endings: only CRLF is accepted in the head. RFC 9112 §2.2 allows a recipient to
//    accept a bare LF, but a front end and a back end that disagree on it can be made to see
//    different header sections (request smuggling), so a bare LF (and a bare CR) is a 400.
//  * obs-fold, whitespace before the colon, control bytes, empty names: 400 (RFC 9112 §5).
//  * Body framing ambiguities (TE + CL, differing CLs, chunked not final) are errors.
//  * request-target bytes must be visible ASCII (no raw UTF-8, RFC 3986); Host accepts only
//    ALPHA DIGIT - . _ ~ (plus an IPv6 literal and a port), a subset of RFC 3986 reg-name.
//  * Expect: 100-continue and Upgrade: websocket only count in HTTP/1.1 (RFC 9110 §10.1.1,
//    §7.8); TE in an HTTP/1.0 request is a 400 (RFC 9112 §6.1).
//  * The parser is stateless: each call re-scans from the start of `data`. Limits are checked
//    against the bytes already received, so an incomplete head cannot grow past them.
#include "http/http1/parser.h"

#include <algorithm>

#include "http/http1/parse_util.h"

namespace portico::http1 {
namespace {

using detail::byteClass;
using detail::isWs;
using detail::kDigit;
using detail::kHostChar;
using detail::kTarget;
using detail::kTchar;
using detail::Scan;
using detail::trimOws;
using http::equalsIgnoreCase;
using http::HeaderId;

constexpr ParseResult kNeedMore{ParseState::NeedMore, 0, nullptr};
constexpr ParseResult kDone{ParseState::Done, 0, nullptr};

constexpr ParseResult fail(uint16_t status, const char* why) {
  return {ParseState::Error, status, why};
}

// Calls fn(element) for each comma-separated list element, OWS-trimmed (may be empty).
template <class Fn>
inline void forEachListElement(std::string_view v, Fn&& fn) {
  size_t start = 0;
  for (;;) {
    const size_t comma = v.find(',', start);
    const size_t end = comma == std::string_view::npos ? v.size() : comma;
    fn(trimOws(v.substr(start, end - start)));
    if (comma == std::string_view::npos) return;
    start = comma + 1;
  }
}

// Parses a Content-Length value: 1*DIGIT, or a list of identical 1*DIGIT values (RFC 9110
// §8.6). Returns false on anything else, including empty elements and uint64 overflow.
bool parseContentLength(std::string_view v, uint64_t& out) {
  bool any = false;
  bool ok = true;
  uint64_t first = 0;
  forEachListElement(v, [&](std::string_view e) {
    if (!ok) return;
    if (e.empty()) {
      ok = false;
      return;
    }
    uint64_t n = 0;
    for (char c : e) {
      if (!(byteClass(c) & kDigit)) {
        ok = false;
        return;
      }
      const auto d = static_cast<uint64_t>(c - '0');
      if (n > (UINT64_MAX - d) / 10) {
        ok = false;
        return;
      }
      n = n * 10 + d;
    }
    if (any && n != first) ok = false;
    first = n;
    any = true;
  });
  out = first;
  return ok && any;
}

// Validates `host [ ":" port ]` where host is a reg-name (ALPHA DIGIT - . _ ~), a dotted IPv4
// address (a reg-name too) or a bracketed IPv6 literal; the port, when the colon is present,
// is 1-5 digits <= 65535. Empty hosts, userinfo ('@'), paths, spaces and percent-encoding are
// rejected. Sets `has_port` when a port is present.
bool validAuthority(std::string_view a, bool& has_port) {
  has_port = false;
  size_t i = 0;
  const size_t n = a.size();
  if (n == 0) return false;
  if (a[0] == '[') {
    ++i;
    size_t start = i;
    while (i < n && a[i] != ']') {
      const char c = a[i];
      const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!hex && c != ':' && c != '.') return false;
      ++i;
    }
    if (i >= n || i == start) return false;
    ++i;  // ']'
  } else {
    while (i < n && (byteClass(a[i]) & kHostChar)) ++i;
    if (i == 0) return false;
  }
  if (i == n) return true;
  if (a[i] != ':') return false;
  ++i;
  has_port = true;
  const size_t digits = n - i;
  if (digits == 0 || digits > 5) return false;
  uint32_t port = 0;
  for (; i < n; ++i) {
    if (!(byteClass(a[i]) & kDigit)) return false;
    port = port * 10 + static_cast<uint32_t>(a[i] - '0');
  }
  return port <= 65535;
}

bool isKnownCoding(std::string_view c) {
  return equalsIgnoreCase(c, "gzip") || equalsIgnoreCase(c, "x-gzip") ||
         equalsIgnoreCase(c, "deflate") || equalsIgnoreCase(c, "compress") ||
         equalsIgnoreCase(c, "x-compress");
}

// Semantic state gathered while scanning the field lines of one head.
struct FieldInfo {
  bool has_cl = false;
  bool cl_bad = false;  // invalid or conflicting Content-Length
  uint64_t cl = 0;
  bool has_te = false;
  bool te_bad = false;      // empty element or non-token coding (e.g. parameters)
  bool te_unknown = false;  // a coding other than chunked/gzip/deflate/compress
  bool te_last_chunked = false;
  uint32_t te_chunked = 0;  // how many times chunked appears
  uint32_t host_count = 0;
  std::string_view host;
  bool upgrade_websocket = false;
  bool upgrade_h2c = false;
  bool expect_continue = false;
};

// Records header `h` in `out` and folds its meaning into `info`. Never fails: errors are
// recorded in `info` and reported after the whole head is known (so the status is stable).
inline void noteField(const Header& h, MessageHead& out, FieldInfo& info) {
  switch (h.id) {
    case HeaderId::ContentLength: {
      uint64_t v = 0;
      if (!parseContentLength(h.value, v) || (info.has_cl && v != info.cl)) info.cl_bad = true;
      info.has_cl = true;
      info.cl = v;
      break;
    }
    case HeaderId::TransferEncoding:
      info.has_te = true;
      forEachListElement(h.value, [&](std::string_view e) {
        if (!detail::isToken(e)) {
          info.te_bad = true;
          return;
        }
        if (equalsIgnoreCase(e, "chunked")) {
          ++info.te_chunked;
          info.te_last_chunked = true;
        } else {
          info.te_last_chunked = false;
          if (!isKnownCoding(e)) info.te_unknown = true;
        }
      });
      break;
    case HeaderId::Connection:
      forEachListElement(h.value, [&](std::string_view e) {
        if (equalsIgnoreCase(e, "close")) {
          out.conn_close = true;
        } else if (equalsIgnoreCase(e, "keep-alive")) {
          out.conn_keep_alive = true;
        } else if (equalsIgnoreCase(e, "upgrade")) {
          out.conn_upgrade = true;
        }
      });
      break;
    case HeaderId::Host:
      ++info.host_count;
      info.host = h.value;
      break;
    case HeaderId::Upgrade:
      forEachListElement(h.value, [&](std::string_view e) {
        if (equalsIgnoreCase(e, "websocket")) {
          info.upgrade_websocket = true;
        } else if (equalsIgnoreCase(e, "h2c")) {
          info.upgrade_h2c = true;
        }
      });
      break;
    case HeaderId::Expect:
      if (equalsIgnoreCase(h.value, "100-continue")) info.expect_continue = true;
      break;
    default:
      break;
  }
}

void resetMessage(MessageHead& m) {
  m.version_minor = 1;
  m.header_count = 0;
  m.framing = BodyFraming::None;
  m.content_length = 0;
  m.conn_close = false;
  m.conn_keep_alive = false;
  m.conn_upgrade = false;
  m.head_length = 0;
}

// Matches as much of "HTTP/d.d" as `avail` bytes allow. Returns 1 when all 8 bytes match, 0
// when the available prefix matches but is shorter, -1 on mismatch.
inline int matchVersion(const char* p, size_t avail) {
  static constexpr char kPat[] = "HTTP/#.#";
  const size_t m = std::min<size_t>(avail, 8);
  for (size_t i = 0; i < m; ++i) {
    if (kPat[i] == '#') {
      if (!(byteClass(p[i]) & kDigit)) return -1;
    } else if (p[i] != kPat[i]) {
      return -1;
    }
  }
  return avail >= 8 ? 1 : 0;
}

// Scans the field lines at `pos` into `out`, gathering `info`. Returns Done with
// out.head_length set, NeedMore, or Error with `bad_status` / `too_big_status`.
ParseResult scanHead(std::string_view data, size_t lim, size_t pos, uint32_t max_header_bytes,
                     uint32_t max_count, uint16_t bad_status, uint16_t too_big_status,
                     MessageHead& out, FieldInfo& info) {
  const detail::ScanResult r =
      detail::scanFields(data.data(), lim, pos, max_count,
                         [&](std::string_view name, std::string_view value) -> const char* {
                           Header& h = out.headers[out.header_count++];
                           h.name = name;
                           h.value = value;
                           h.id = http::lookupHeaderId(name);
                           noteField(h, out, info);
                           return nullptr;
                         });
  switch (r.scan) {
    case Scan::Done:
      out.head_length = pos;
      return kDone;
    case Scan::NeedMore:
      if (data.size() > max_header_bytes) return fail(too_big_status, "header section too large");
      return kNeedMore;
    case Scan::TooMany:
      return fail(too_big_status, r.error);
    case Scan::Bad:
      break;
  }
  return fail(bad_status, r.error);
}

}  // namespace

bool isToken(std::string_view s) {
  return detail::isToken(s);
}

ParseResult parseRequestHead(std::string_view data, const Limits& limits, RequestHead& out) {
  resetMessage(out);
  out.method = {};
  out.method_id = http::Method::Other;
  out.target = {};
  out.host = {};
  out.expect_continue = false;
  out.upgrade_websocket = false;
  out.upgrade_h2c = false;

  const char* d = data.data();
  const size_t n = data.size();
  const size_t lim = std::min<size_t>(n, limits.max_header_bytes);
  size_t pos = 0;

  // RFC 9112 §2.2: ignore empty lines (CRLF only) received before the request-line. They
  // count toward head_length and max_header_bytes.
  while (pos < lim && d[pos] == '\r') {
    if (pos + 1 >= lim)
      return n > limits.max_header_bytes ? fail(431, "header section too large") : kNeedMore;
    if (d[pos + 1] != '\n') return fail(400, "bare CR before request-line");
    pos += 2;
  }
  const size_t line_start = pos;
  // Incomplete request line: 414 once it is already longer than allowed, 431 once the head
  // is, otherwise wait for more.
  auto incompleteLine = [&]() -> ParseResult {
    size_t have = n - line_start;
    if (have > 0 && d[n - 1] == '\r') --have;
    if (have > limits.max_request_line) return fail(414, "request-line too long");
    if (n > limits.max_header_bytes) return fail(431, "header section too large");
    return kNeedMore;
  };
  if (pos >= lim) return incompleteLine();
  if (d[pos] == '\n') return fail(400, "bare LF before request-line");

  // method SP
  while (pos < lim && (byteClass(d[pos]) & kTchar)) ++pos;
  if (pos >= lim) return incompleteLine();
  if (d[pos] != ' ') return fail(400, "invalid character in method");
  if (pos == line_start) return fail(400, "empty method");
  out.method = data.substr(line_start, pos - line_start);
  ++pos;

  // request-target SP
  const size_t target_start = pos;
  pos = detail::skipTargetWords(d, pos, lim);
  while (pos < lim && (byteClass(d[pos]) & kTarget)) ++pos;
  if (pos >= lim) return incompleteLine();
  if (d[pos] != ' ') {
    if (d[pos] == '\r' || d[pos] == '\n') return fail(400, "missing HTTP version");
    return fail(400, "invalid character in request-target");
  }
  if (pos == target_start) return fail(400, "empty request-target");
  out.target = data.substr(target_start, pos - target_start);
  ++pos;

  // HTTP-version CRLF
  const int vm = matchVersion(d + pos, lim - pos);
  if (vm < 0) return fail(400, "malformed HTTP version");
  if (vm == 0 || pos + 8 >= lim) return incompleteLine();
  const size_t cr = pos + 8;
  if (d[cr] != '\r') return fail(400, "malformed request-line");
  if (cr - line_start > limits.max_request_line) return fail(414, "request-line too long");
  if (cr + 1 >= lim) return incompleteLine();
  if (d[cr + 1] != '\n') return fail(400, "bare CR in request-line");
  const char major = d[pos + 5];
  const char minor = d[pos + 7];
  if (major != '1' || (minor != '0' && minor != '1')) {
    return fail(505, "HTTP version not supported");
  }
  out.version_minor = static_cast<uint8_t>(minor - '0');
  pos = cr + 2;

  FieldInfo info;
  const uint32_t max_count = std::min(limits.max_header_count, kMaxHeaders);
  const ParseResult r =
      scanHead(data, lim, pos, limits.max_header_bytes, max_count, 400, 431, out, info);
  if (r.state != ParseState::Done) return r;

  out.method_id = http::lookupMethod(out.method);

  bool has_port = false;
  // Host (RFC 9112 §3.2): required in 1.1, at most once, valid authority syntax.
  if (info.host_count > 1) return fail(400, "duplicate Host");
  if (info.host_count == 1) {
    if (!validAuthority(info.host, has_port)) return fail(400, "invalid Host");
    out.host = info.host;
  } else if (out.version_minor == 1) {
    return fail(400, "missing Host");
  }

  // request-target form (RFC 9112 §3.2.1-§3.2.4).
  const std::string_view t = out.target;
  if (out.method_id == http::Method::Connect) {
    // authority-form: host ":" port, both required.
    if (!validAuthority(t, has_port) || !has_port) {
      return fail(400, "CONNECT needs authority-form target");
    }
    out.host = t;
  } else if (t[0] == '/') {
    // origin-form
  } else if (t == "*") {
    if (out.method_id != http::Method::Options) return fail(400, "'*' target only for OPTIONS");
  } else {
    // absolute-form: only http/https; the authority wins over Host (RFC 9112 §3.2.2).
    size_t scheme_len;
    if (t.size() > 7 && equalsIgnoreCase(t.substr(0, 7), "http://")) {
      scheme_len = 7;
    } else if (t.size() > 8 && equalsIgnoreCase(t.substr(0, 8), "https://")) {
      scheme_len = 8;
    } else {
      return fail(400, "invalid request-target");
    }
    const size_t auth_end = t.find_first_of("/?#", scheme_len);
    const std::string_view authority = t.substr(
        scheme_len, (auth_end == std::string_view::npos ? t.size() : auth_end) - scheme_len);
    if (!validAuthority(authority, has_port))
      return fail(400, "invalid authority in request-target");
    out.host = authority;
  }

  // Message body framing (RFC 9112 §6.1-§6.3).
  if (info.cl_bad) return fail(400, "invalid Content-Length");
  if (info.has_te) {
    if (info.has_cl) return fail(400, "Transfer-Encoding with Content-Length");
    if (out.version_minor == 0) return fail(400, "Transfer-Encoding in HTTP/1.0 request");
    if (info.te_bad) return fail(400, "invalid Transfer-Encoding");
    if (info.te_chunked > 1) return fail(400, "chunked applied more than once");
    if (!info.te_last_chunked) return fail(400, "final transfer coding is not chunked");
    if (info.te_unknown) return fail(501, "unknown transfer coding");
    out.framing = BodyFraming::Chunked;
  } else if (info.has_cl) {
    out.framing = BodyFraming::ContentLength;
    out.content_length = info.cl;
  }

  // Expect and Upgrade are HTTP/1.1 only (RFC 9110 §10.1.1, §7.8); h2c is flagged always so
  // it is stripped whatever the version.
  out.expect_continue = info.expect_continue && out.version_minor == 1;
  out.upgrade_websocket = info.upgrade_websocket && out.conn_upgrade && out.version_minor == 1;
  out.upgrade_h2c = info.upgrade_h2c;
  return kDone;
}

ParseResult parseResponseHead(std::string_view data, const Limits& limits,
                              http::Method request_method, ResponseHead& out) {
  resetMessage(out);
  out.status = 0;
  out.reason = {};

  const char* d = data.data();
  const size_t n = data.size();
  const size_t lim = std::min<size_t>(n, limits.max_header_bytes);
  auto incomplete = [&]() -> ParseResult {
    if (n > limits.max_header_bytes) return fail(502, "response head too large");
    return kNeedMore;
  };

  // status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ] CRLF. A missing SP before an
  // empty reason ("HTTP/1.1 200\r\n") is accepted: it cannot be read two ways.
  const int vm = matchVersion(d, lim);
  if (vm < 0) return fail(502, "malformed status-line");
  if (vm == 0) return incomplete();
  if (d[5] != '1' || (d[7] != '0' && d[7] != '1')) return fail(502, "unsupported HTTP version");
  out.version_minor = static_cast<uint8_t>(d[7] - '0');
  size_t pos = 8;
  for (size_t i = 0; i < 4; ++i) {
    if (pos + i >= lim) return incomplete();
    const char c = d[pos + i];
    const bool ok = i == 0 ? c == ' ' : (byteClass(c) & kDigit) != 0;
    if (!ok) return fail(502, "malformed status code");
  }
  const uint16_t status =
      static_cast<uint16_t>((d[9] - '0') * 100 + (d[10] - '0') * 10 + (d[11] - '0'));
  if (status < 100 || status > 599) return fail(502, "status code out of range");
  out.status = status;
  pos = 12;
  if (pos >= lim) return incomplete();
  if (d[pos] == ' ') {
    ++pos;
    const size_t rs = pos;
    while (pos < lim && (byteClass(d[pos]) & detail::kFieldVal)) ++pos;
    out.reason = data.substr(rs, pos - rs);
  }
  if (pos >= lim) return incomplete();
  if (d[pos] != '\r') return fail(502, "malformed status-line");
  if (pos + 1 >= lim) return incomplete();
  if (d[pos + 1] != '\n') return fail(502, "bare CR in status-line");
  pos += 2;

  FieldInfo info;
  const uint32_t max_count = std::min(limits.max_header_count, kMaxHeaders);
  const ParseResult r =
      scanHead(data, lim, pos, limits.max_header_bytes, max_count, 502, 502, out, info);
  if (r.state != ParseState::Done) return r;

  // Framing (RFC 9112 §6.3). Ambiguities are errors whatever the status.
  if (info.has_te && info.has_cl) return fail(502, "Transfer-Encoding with Content-Length");
  if (info.cl_bad) return fail(502, "invalid Content-Length");
  if (info.has_te && (info.te_bad || info.te_chunked > 1)) {
    return fail(502, "invalid Transfer-Encoding");
  }
  if (status == 101) {
    out.framing = BodyFraming::Tunnel;
  } else if (status < 200 || status == 204 || status == 304 ||
             request_method == http::Method::Head) {
    out.framing = BodyFraming::None;
  } else if (request_method == http::Method::Connect && status < 300) {
    out.framing = BodyFraming::Tunnel;
  } else if (info.has_te) {
    // HTTP/1.0 has no transfer codings: such framing is faulty, read until close.
    out.framing = info.te_last_chunked && out.version_minor == 1 ? BodyFraming::Chunked
                                                                 : BodyFraming::UntilClose;
  } else if (info.has_cl) {
    out.framing = BodyFraming::ContentLength;
    out.content_length = info.cl;
  } else {
    out.framing = BodyFraming::UntilClose;
  }
  return kDone;
}

const Header* findField(const MessageHead& head, std::string_view name) {
  for (uint32_t i = 0; i < head.header_count; ++i)
    if (head.headers[i].name.size() == name.size() &&
        http::equalsIgnoreCase(head.headers[i].name, name))
      return &head.headers[i];
  return nullptr;
}

}  // namespace portico::http1
