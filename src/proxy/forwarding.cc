#include "proxy/forwarding.h"

#include <re2/re2.h>

#include <charconv>
#include <cstring>

#include "proxy/route_vars.h"

namespace portico::proxy {

using http::HeaderId;

void HeadWriter::put(std::string_view s) {
  if (static_cast<size_t>(end - p) < s.size()) {
    overflow = true;
    return;
  }
  std::memcpy(p, s.data(), s.size());
  p += s.size();
}

void HeadWriter::putUint(uint64_t v) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  put(std::string_view(tmp, static_cast<size_t>(r.ptr - tmp)));
}

namespace {

// Connection tokens other than close/keep-alive/upgrade: the fields they name are hop-by-hop.
// The first 16 are kept in an array; beyond that names() scans the Connection fields again.
struct ConnectionTokens {
  static constexpr int kMax = 16;
  std::string_view tokens[kMax];
  int count = 0;
  bool overflow = false;
  const http1::MessageHead* head = nullptr;

  template <typename F>
  static void forEachToken(const http1::MessageHead& head, F f) {
    for (uint32_t i = 0; i < head.header_count; ++i) {
      if (head.headers[i].id != HeaderId::Connection) continue;
      std::string_view v = head.headers[i].value;
      while (!v.empty()) {
        size_t comma = v.find(',');
        std::string_view tok = v.substr(0, comma);
        while (!tok.empty() && (tok.front() == ' ' || tok.front() == '\t')) tok.remove_prefix(1);
        while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\t')) tok.remove_suffix(1);
        if (!tok.empty() && !http::equalsIgnoreCase(tok, "close") &&
            !http::equalsIgnoreCase(tok, "keep-alive") && !http::equalsIgnoreCase(tok, "upgrade"))
          f(tok);
        if (comma == std::string_view::npos) break;
        v.remove_prefix(comma + 1);
      }
    }
  }
  void collect(const http1::MessageHead& h) {
    head = &h;
    forEachToken(h, [&](std::string_view tok) {
      if (count < kMax)
        tokens[count++] = tok;
      else
        overflow = true;
    });
  }
  bool names(std::string_view name) const {
    for (int i = 0; i < count; ++i)
      if (http::equalsIgnoreCase(tokens[i], name)) return true;
    if (!overflow) return false;
    bool found = false;
    forEachToken(*head, [&](std::string_view tok) { found |= http::equalsIgnoreCase(tok, name); });
    return found;
  }
};

void putHeader(HeadWriter& w, std::string_view name, std::string_view value) {
  w.put(name);
  w.put(": ");
  w.put(value);
  w.put("\r\n");
}

// Re-declares the message's transfer codings as received (e.g. "gzip, chunked"): the body is
// passed through still coded, so the next hop must learn every coding, not just chunked.
void putTransferCodings(const http1::MessageHead& head, HeadWriter& w) {
  w.put("Transfer-Encoding: ");
  bool first = true;
  for (uint32_t i = 0; i < head.header_count; ++i) {
    if (head.headers[i].id != HeaderId::TransferEncoding) continue;
    if (!first) w.put(", ");
    std::string_view v = head.headers[i].value;
    w.put(http::equalsIgnoreCase(v, "chunked") ? std::string_view("chunked") : v);
    first = false;
  }
  if (first) w.put("chunked");
  w.put("\r\n");
}

}  // namespace

std::string_view originForm(std::string_view target) {
  auto starts = [&](std::string_view p) {
    return target.size() >= p.size() && http::equalsIgnoreCase(target.substr(0, p.size()), p);
  };
  size_t skip = 0;
  if (starts("http://"))
    skip = 7;
  else if (starts("https://"))
    skip = 8;
  else
    return target;
  size_t slash = target.find_first_of("/?", skip);
  if (slash == std::string_view::npos) return "/";
  if (target[slash] == '?') return target.substr(slash);  // caller prefixes nothing; rare
  return target.substr(slash);
}

bool namedInConnection(const http1::MessageHead& head, std::string_view name) {
  ConnectionTokens t;
  t.collect(head);
  return t.names(name);
}

bool headerOpsDrop(const config::HeaderOps& ops, std::string_view name) {
  for (const std::string& r : ops.remove)
    if (http::equalsIgnoreCase(r, name)) return true;
  for (const auto& kv : ops.set)
    if (http::equalsIgnoreCase(kv.first, name)) return true;
  return false;
}

namespace {
void putExpanded(HeadWriter& w, std::string_view v, const HeaderVars& vars) {
  while (!v.empty()) {
    size_t at = v.find("${");
    if (at == std::string_view::npos) {
      w.put(v);
      return;
    }
    w.put(v.substr(0, at));
    size_t end = v.find('}', at);
    if (end == std::string_view::npos) {
      w.put(v.substr(at));
      return;
    }
    std::string_view name = v.substr(at + 2, end - at - 2);
    if (name == "client_ip")
      w.put(vars.client_ip);
    else if (name == "host")
      w.put(vars.host);
    else if (name == "path")
      w.put(vars.path);
    else if (name == "request_id")
      w.put(vars.request_id);
    else if (name.size() == 9 && name.starts_with("capture.") && name[8] >= '0' && name[8] <= '9')
      w.put(vars.route ? vars.route->capture(static_cast<size_t>(name[8] - '0')) : "");
    else if (name == "geo.country")
      w.put(vars.route ? vars.route->country() : "");
    else if (name == "geo.continent")
      w.put(vars.route ? vars.route->continent() : "");
    else
      w.put(v.substr(at, end - at + 1));  // unknown: kept as written
    v.remove_prefix(end + 1);
  }
}
}  // namespace

void putHeaderOps(HeadWriter& w, const config::HeaderOps& ops, const HeaderVars& vars) {
  for (const auto* list : {&ops.set, &ops.add}) {
    for (const auto& kv : *list) {
      w.put(kv.first);
      w.put(": ");
      putExpanded(w, kv.second, vars);
      w.put("\r\n");
    }
  }
}

bool rewriteTargetPath(const re2::RE2& re, std::string_view substitution, std::string_view target,
                       std::string& out) {
  const size_t q = target.find('?');
  out.assign(target.substr(0, q));
  if (!re2::RE2::Replace(&out, re, substitution)) return false;
  if (q != std::string_view::npos) out.append(target.substr(q));
  return true;
}

void writeUpstreamRequestHead(const http1::RequestHead& req, const RequestForwardInfo& info,
                              HeadWriter& w) {
  ConnectionTokens conn;
  conn.collect(req);
  w.put(req.method);
  w.put(" ");
  std::string_view target =
      info.target_override.empty() ? originForm(req.target) : info.target_override;
  if (!target.empty() && target[0] == '?') w.put("/");
  if (!info.strip_prefix.empty() &&
      target.substr(0, info.strip_prefix.size()) == info.strip_prefix) {
    std::string_view rest = target.substr(info.strip_prefix.size());
    std::string_view np = info.new_prefix;
    if (!np.empty() && np.back() == '/' && !rest.empty() && rest.front() == '/')
      np.remove_suffix(1);
    w.put(np);
    if (np.empty() && (rest.empty() || rest.front() != '/')) w.put("/");
    target = rest;
  }
  w.put(target);
  w.put(" HTTP/1.1\r\nHost: ");
  w.put(info.host_override.empty() ? req.host : info.host_override);
  w.put("\r\n");

  std::string_view xff[8], xfp, xfh, fwd[8];
  int nxff = 0, nfwd = 0;
  for (uint32_t i = 0; i < req.header_count; ++i) {
    const http1::Header& h = req.headers[i];
    switch (h.id) {
      case HeaderId::Host:
      case HeaderId::Connection:
      case HeaderId::KeepAlive:
      case HeaderId::ProxyConnection:
      case HeaderId::Te:
      case HeaderId::Trailer:
      case HeaderId::TransferEncoding:
      case HeaderId::ContentLength:
      case HeaderId::Upgrade:
      case HeaderId::Expect:
      case HeaderId::Http2Settings:
      case HeaderId::ProxyAuthenticate:
      case HeaderId::ProxyAuthorization:
        continue;
      case HeaderId::XForwardedFor:
        if (info.peer_trusted && nxff < 8) xff[nxff++] = h.value;
        continue;
      case HeaderId::XForwardedProto:
        if (info.peer_trusted && xfp.empty()) xfp = h.value;
        continue;
      case HeaderId::XForwardedHost:
        if (info.peer_trusted && xfh.empty()) xfh = h.value;
        continue;
      case HeaderId::Forwarded:
        if (info.peer_trusted && nfwd < 8) fwd[nfwd++] = h.value;
        continue;
      default:
        if ((conn.count || conn.overflow) && conn.names(h.name)) continue;
        if (!info.client_cert_header.empty() &&
            http::equalsIgnoreCase(h.name, info.client_cert_header))
          continue;  // only portico vouches for a client certificate
        if (!info.request_id.empty() && h.name.size() == info.request_id_header.size() &&
            http::equalsIgnoreCase(h.name, info.request_id_header))
          continue;
        if (!info.traceparent.empty() && h.name.size() == 11 &&
            http::equalsIgnoreCase(h.name, "traceparent"))
          continue;
        if (info.drop_tracestate && h.name.size() == 10 &&
            http::equalsIgnoreCase(h.name, "tracestate"))
          continue;
        if (info.ops && headerOpsDrop(*info.ops, h.name)) continue;
        putHeader(w, h.name, h.value);
    }
  }
  if (!info.client_cert_subject.empty() && !info.client_cert_header.empty())
    putHeader(w, info.client_cert_header, info.client_cert_subject);
  if (info.ops && info.vars) putHeaderOps(w, *info.ops, *info.vars);
  if (!info.request_id.empty()) putHeader(w, info.request_id_header, info.request_id);
  if (!info.traceparent.empty()) putHeader(w, "traceparent", info.traceparent);
  switch (req.framing) {
    case http1::BodyFraming::ContentLength:
      w.put("Content-Length: ");
      w.putUint(req.content_length);
      w.put("\r\n");
      break;
    case http1::BodyFraming::Chunked:
      putTransferCodings(req, w);
      break;
    default:
      break;
  }
  if (info.forward_upgrade) w.put("Connection: upgrade\r\nUpgrade: websocket\r\n");
  w.put("Via: ");
  w.put(req.version_minor == 0 ? "1.0 " : "1.1 ");
  w.put(info.via_name);
  w.put("\r\nX-Forwarded-For: ");
  for (int i = 0; i < nxff; ++i) {
    w.put(xff[i]);
    w.put(", ");
  }
  w.put(info.client_ip);
  w.put("\r\nX-Forwarded-Proto: ");
  w.put(xfp.empty() ? std::string_view(info.tls ? "https" : "http") : xfp);
  w.put("\r\nX-Forwarded-Host: ");
  w.put(xfh.empty() ? req.host : xfh);
  w.put("\r\nForwarded: ");
  for (int i = 0; i < nfwd; ++i) {
    w.put(fwd[i]);
    w.put(", ");
  }
  bool v6 = info.client_ip.find(':') != std::string_view::npos;
  w.put(v6 ? "for=\"[" : "for=");
  w.put(info.client_ip);
  w.put(v6 ? "]\"" : "");
  if (!req.host.empty()) {
    // RFC 7239 §4: a token as is, anything else (e.g. "host:port") as a quoted-string.
    const bool token = http1::isToken(req.host);
    w.put(token ? ";host=" : ";host=\"");
    w.put(req.host);
    if (!token) w.put("\"");
  }
  w.put(info.tls ? ";proto=https\r\n\r\n" : ";proto=http\r\n\r\n");
}

void writeDownstreamResponseHead(const http1::ResponseHead& resp, const ResponseForwardInfo& info,
                                 HeadWriter& w) {
  ConnectionTokens conn;
  conn.collect(resp);
  w.put("HTTP/1.1 ");
  w.putUint(resp.status);
  w.put(" ");
  w.put(resp.reason);
  w.put("\r\n");
  bool tunnel = resp.framing == http1::BodyFraming::Tunnel;
  for (uint32_t i = 0; i < resp.header_count; ++i) {
    const http1::Header& h = resp.headers[i];
    switch (h.id) {
      case HeaderId::Connection:
      case HeaderId::KeepAlive:
      case HeaderId::ProxyConnection:
      case HeaderId::ProxyAuthenticate:
      case HeaderId::Te:
      case HeaderId::Trailer:
        continue;
      case HeaderId::Upgrade:
        if (tunnel) putHeader(w, h.name, h.value);
        continue;
      case HeaderId::TransferEncoding:
        // Re-declared below for chunked bodies; kept as information on bodiless responses.
        if (resp.framing == http1::BodyFraming::None && !info.client_http10)
          putHeader(w, h.name, h.value);
        continue;
      default:
        if ((conn.count || conn.overflow) && conn.names(h.name)) continue;
        if (info.ops && headerOpsDrop(*info.ops, h.name)) continue;
        if (!info.content_encoding.empty()) {
          if (h.id == HeaderId::ContentLength || http::equalsIgnoreCase(h.name, "accept-ranges"))
            continue;
          if (http::equalsIgnoreCase(h.name, "etag") && !h.value.starts_with("W/")) {
            w.put("ETag: W/");
            w.put(h.value);
            w.put("\r\n");
            continue;
          }
        }
        putHeader(w, h.name, h.value);
    }
  }
  if (info.ops && info.vars) putHeaderOps(w, *info.ops, *info.vars);
  if (!info.content_encoding.empty()) {
    w.put("Content-Encoding: ");
    w.put(info.content_encoding);
    w.put("\r\nVary: Accept-Encoding\r\nTransfer-Encoding: chunked\r\n");
  } else if (resp.framing == http1::BodyFraming::Chunked && !info.dechunk) {
    putTransferCodings(resp, w);
  }
  w.put("Via: 1.1 ");
  w.put(info.via_name);
  w.put("\r\n");
  w.put(info.extra);
  if (tunnel && resp.status == 101)
    w.put("Connection: upgrade\r\n");
  else if (!info.keep_alive)
    w.put("Connection: close\r\n");
  else if (info.client_http10)
    w.put("Connection: keep-alive\r\n");
  w.put("\r\n");
}

}  // namespace portico::proxy
