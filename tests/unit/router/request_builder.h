#pragma once
// Builds RequestViews for router tests: owns the strings and header array the view points to.
#include <arpa/inet.h>

#include <cstring>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "http/header_id.h"
#include "router/match/client_address.h"
#include "router/request_view.h"

namespace portico::router::testing {

class Req {
 public:
  Req(std::string host = "h", std::string target = "/", std::string method = "GET")
      : host_(std::move(host)), target_(std::move(target)), method_(std::move(method)) {}

  // Adds a header field (kept in order).
  Req& header(std::string name, std::string value) {
    auto& [n, v] = store_.emplace_back(std::move(name), std::move(value));
    http1::Header h;
    h.name = n;
    h.value = v;
    h.id = http::lookupHeaderId(n);
    headers_.push_back(h);
    return *this;
  }
  // Sets the peer address ("1.2.3.4" or "::1").
  Req& peer(const std::string& ip) {
    has_peer_ = parseIpLiteral(ip, peer_);
    return *this;
  }
  Req& trusted(const std::vector<std::string>& cidrs) {
    trusted_ = net::CidrSet(cidrs);
    return *this;
  }
  Req& sni(std::string s) {
    sni_ = std::move(s);
    return *this;
  }
  Req& clientCert(bool c) {
    cert_ = c;
    return *this;
  }

  RequestView view() const {
    RequestView v;
    v.host = host_;
    v.target = target_;
    v.method = method_;
    v.headers = headers_.data();
    v.header_count = static_cast<uint32_t>(headers_.size());
    v.peer = has_peer_ ? &peer_.sa : nullptr;
    v.trusted_proxies = &trusted_;
    v.sni = sni_;
    v.client_cert = cert_;
    return v;
  }

 private:
  std::string host_, target_, method_, sni_;
  std::deque<std::pair<std::string, std::string>> store_;
  std::vector<http1::Header> headers_;
  net::SockAddr peer_{};
  bool has_peer_ = false;
  bool cert_ = false;
  net::CidrSet trusted_;
};

}  // namespace portico::router::testing
