#pragma once
// A route's conditions beyond its host and path keys: a tree of tests on the request combined
// with all / any / not. Built at config load (config/loader.cc, router/expr_parser.h) through
// router/condition_factory.h; evaluate() is allocation-free and never throws.
// Thread: immutable after construction, shared by all workers.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/address.h"
#include "net/cidr.h"
#include "router/match/geo_database.h"
#include "router/match/text_matcher.h"
#include "router/match/user_agent.h"
#include "router/request_view.h"

namespace portico::router {

// Per-request state shared by the conditions of one match: the normalised host and path, and
// values computed at most once (device class, client address, geolocation). Lives on the
// worker's stack for one Router::match call.
class EvalContext {
 public:
  // `host` lower-case without port; `path` without query.
  EvalContext(const RequestView& v, std::string_view host, std::string_view path)
      : view_(v), host_(host), path_(path) {}
  const RequestView& view() const { return view_; }
  std::string_view host() const { return host_; }
  std::string_view path() const { return path_; }
  std::string_view query();
  DeviceClass device();
  // The real client address (see match/client_address.h); null without a peer.
  const sockaddr* client();
  // Geolocation of client() in `db` (one lookup per request).
  const GeoInfo& geo(const GeoDatabase& db);

 private:
  const RequestView& view_;
  std::string_view host_, path_, query_;
  bool have_query_ = false, have_device_ = false, have_client_ = false, have_geo_ = false;
  DeviceClass device_ = DeviceClass::Desktop;
  const sockaddr* client_ = nullptr;
  net::SockAddr client_scratch_{};
  GeoInfo geo_;
};

struct Condition;
using ConditionPtr = std::shared_ptr<const Condition>;

struct Condition {
  enum class Kind : uint8_t {
    All,         // every child holds (true when there are none)
    Any,         // at least one child holds (false when there are none)
    Not,         // the one child does not hold
    Host,        // text on the normalised host (lower-case, no port, no trailing dot)
    Path,        // text on the path (as received, without query)
    Method,      // method token is one of `values` (case-sensitive)
    Header,      // some field named `name` passes `text`
    Cookie,      // cookie `name` is present and passes `text`
    Query,       // query parameter `name` is present and passes `text`
    ClientIp,    // the client address is in `cidrs`
    Country,     // the client's country is one of `values`
    Continent,   // the client's continent is one of `values`
    Device,      // the User-Agent class is in `devices` (bit per DeviceClass)
    Language,    // the best of `available` for Accept-Language is one of `values`
    Sni,         // TLS server name passes `text` (false without TLS / SNI)
    ClientCert,  // a verified TLS client certificate was presented
  };
  Kind kind = Kind::All;
  std::vector<ConditionPtr> children;  // All / Any / Not
  std::string name;                    // Header (lower-case) / Cookie / Query
  TextMatcher text;
  std::vector<std::string> values;     // Method, Country, Continent, Language (best)
  std::vector<std::string> available;  // Language: the languages to choose among
  net::CidrSet cidrs;
  uint8_t devices = 0;
  std::shared_ptr<const GeoDatabase> geo;  // Country / Continent

  // True when the request passes this condition. Allocation-free.
  bool evaluate(EvalContext& ctx) const;
  // The condition in expression syntax (router/expr_parser.h), e.g.
  // `host("a.example.com") && !header("x-beta")`. Equal text means equal conditions.
  std::string describe() const;
};

}  // namespace portico::router
