#include "http/http2/head_builder.h"

#include <charconv>

namespace portico::http2 {
namespace {

bool parseContentLength(std::string_view v, int64_t& out) {
  if (v.empty() || v.size() > 18) return false;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 0) return false;
  out = n;
  return true;
}

}  // namespace

const char* headStatusName(HeadStatus s) {
  switch (s) {
    case HeadStatus::Ok:
      return "ok";
    case HeadStatus::Malformed:
      return "malformed";
    case HeadStatus::TooLarge:
      return "too-large";
  }
  return "?";
}

bool isConnectionSpecific(std::string_view n) {
  return n == "connection" || n == "keep-alive" || n == "proxy-connection" ||
         n == "transfer-encoding" || n == "upgrade";
}

void HeadBuilder::begin(HeadKind kind, uint32_t max_list_size) {
  kind_ = kind;
  status_ = HeadStatus::Ok;
  reason_ = "";
  max_list_size_ = max_list_size;
  list_size_ = 0;
  regular_seen_ = false;
  have_method_ = have_scheme_ = have_authority_ = have_path_ = have_status_ = false;
  host_.clear();
  have_host_ = false;
  cookie_.clear();
  request_.clear();
  response_.clear();
  trailers_.clear();
}

HeadStatus HeadBuilder::fail(HeadStatus s, const char* why) {
  status_ = s;
  reason_ = why;
  return s;
}

HeadStatus HeadBuilder::addPseudo(std::string_view name, std::string_view value) {
  if (regular_seen_) return fail(HeadStatus::Malformed, "pseudo-header after regular field");
  if (kind_ == HeadKind::Trailers) return fail(HeadStatus::Malformed, "pseudo-header in trailers");
  if (kind_ == HeadKind::Response) {
    if (name != ":status" || have_status_) return fail(HeadStatus::Malformed, "bad :status");
    if (value.size() != 3 || value[0] < '1' || value[0] > '5')
      return fail(HeadStatus::Malformed, "bad :status value");
    uint16_t s = 0;
    for (char c : value) {
      if (c < '0' || c > '9') return fail(HeadStatus::Malformed, "bad :status value");
      s = static_cast<uint16_t>(s * 10 + (c - '0'));
    }
    response_.status = s;
    have_status_ = true;
    return HeadStatus::Ok;
  }
  auto once = [&](bool& seen, std::string& dst) {
    if (seen) return fail(HeadStatus::Malformed, "duplicate pseudo-header");
    if (value.empty()) return fail(HeadStatus::Malformed, "empty pseudo-header");
    seen = true;
    dst.assign(value);
    return HeadStatus::Ok;
  };
  if (name == ":method") {
    HeadStatus s = once(have_method_, request_.method);
    request_.method_id = http::lookupMethod(request_.method);
    return s;
  }
  if (name == ":scheme") return once(have_scheme_, request_.scheme);
  if (name == ":authority") return once(have_authority_, request_.authority);
  if (name == ":path") return once(have_path_, request_.path);
  if (name == ":protocol") {
    if (!request_.protocol.empty()) return fail(HeadStatus::Malformed, "duplicate :protocol");
    request_.protocol.assign(value);
    return HeadStatus::Ok;
  }
  return fail(HeadStatus::Malformed, "unknown pseudo-header");
}

HeadStatus HeadBuilder::add(std::string_view name, std::string_view value) {
  if (status_ != HeadStatus::Ok) return status_;
  list_size_ += static_cast<uint32_t>(name.size() + value.size() + 32);
  if (list_size_ > max_list_size_) return fail(HeadStatus::TooLarge, "header list too large");
  if (name.empty()) return fail(HeadStatus::Malformed, "empty field name");
  if (name[0] == ':') return addPseudo(name, value);
  regular_seen_ = true;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') return fail(HeadStatus::Malformed, "upper-case field name");
  }
  if (isConnectionSpecific(name)) return fail(HeadStatus::Malformed, "connection-specific field");
  if (name == "te") {
    if (value != "trailers") return fail(HeadStatus::Malformed, "te other than trailers");
  }
  http::HeaderList& list = kind_ == HeadKind::Request    ? request_.headers
                           : kind_ == HeadKind::Response ? response_.headers
                                                         : trailers_;
  if (kind_ == HeadKind::Request && name == "cookie") {
    if (!cookie_.empty()) cookie_.append("; ");
    cookie_.append(value);
    return HeadStatus::Ok;
  }
  if (kind_ == HeadKind::Request && name == "host") {
    if (have_host_) return fail(HeadStatus::Malformed, "duplicate host");
    have_host_ = true;
    host_.assign(value);
    return HeadStatus::Ok;
  }
  if (kind_ != HeadKind::Trailers && name == "content-length") {
    int64_t n = 0;
    if (!parseContentLength(value, n)) return fail(HeadStatus::Malformed, "bad content-length");
    int64_t& cl = kind_ == HeadKind::Request ? request_.content_length : response_.content_length;
    if (cl >= 0 && cl != n) return fail(HeadStatus::Malformed, "conflicting content-length");
    if (cl >= 0) return HeadStatus::Ok;  // identical duplicate: keep one
    cl = n;
  }
  list.add(name, value);
  return HeadStatus::Ok;
}

HeadStatus HeadBuilder::finish() {
  if (status_ != HeadStatus::Ok) return status_;
  if (kind_ == HeadKind::Response) {
    if (!have_status_) return fail(HeadStatus::Malformed, "missing :status");
    return HeadStatus::Ok;
  }
  if (kind_ == HeadKind::Trailers) return HeadStatus::Ok;
  http::RequestHead& r = request_;
  if (!have_method_) return fail(HeadStatus::Malformed, "missing :method");
  const bool connect = r.method_id == http::Method::Connect;
  if (!r.protocol.empty() && !connect)
    return fail(HeadStatus::Malformed, ":protocol without CONNECT");
  if (connect && r.protocol.empty()) {
    // Plain CONNECT (§8.5): only :method and :authority.
    if (have_scheme_ || have_path_ || !have_authority_)
      return fail(HeadStatus::Malformed, "bad CONNECT pseudo-headers");
  } else {
    // Extended CONNECT (RFC 8441 §4) and every other method need :scheme and :path.
    if (!have_scheme_ || !have_path_) return fail(HeadStatus::Malformed, "missing :scheme/:path");
    if (r.path[0] != '/' && !(r.path == "*" && r.method_id == http::Method::Options))
      return fail(HeadStatus::Malformed, "bad :path");
  }
  if (have_authority_) {
    // §8.3.1: :authority wins; Host, if sent, is made to agree with it.
    r.headers.set("host", r.authority);
  } else if (have_host_) {
    r.authority = host_;
    r.headers.set("host", host_);
  } else if (connect) {
    return fail(HeadStatus::Malformed, "CONNECT without authority");
  }
  if (!cookie_.empty()) r.headers.add("cookie", cookie_);
  return HeadStatus::Ok;
}

}  // namespace portico::http2
