#pragma once
// Typed portico configuration, produced by the YAML loader (config/loader.h) and validated
// there. Once loaded a Config is immutable and shared by every worker through
// std::shared_ptr<const Config>. Durations are milliseconds, sizes bytes.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace re2 {
class RE2;
}  // namespace re2

namespace portico::router {
struct Condition;   // router/condition.h
class GeoDatabase;  // router/match/geo_database.h
}  // namespace portico::router

namespace portico::config {

// What a route matches (docs/routing.md). `host` and `path_prefix`/`path` are the keys the
// router indexes and ranks by; everything else is in `condition`, evaluated only on routes
// whose keys match.
struct RouteMatch {
  std::string host;               // "" = any; "api.example.com" exact; "*.example.com" suffix
  std::string path_prefix = "/";  // longest prefix wins
  std::string path;               // exact path; "" = none (then path_prefix applies)
  // The route's top-level `path_regex`, if any (it is also in `condition`); its captures are
  // the ${capture.N} of header values.
  std::string path_regex;
  std::shared_ptr<const router::Condition> condition;  // other conditions; null = none
};

// `redirect:` on a route: answered by portico with a Location built from the request.
struct RouteRedirect {
  bool enabled = false;
  uint16_t status = 302;       // 301, 302, 303, 307 or 308
  std::string scheme;          // "" = the request's (https on TLS listeners)
  std::string host;            // "" = the request's host (its port dropped when port is set)
  uint16_t port = 0;           // 0 = keep the request's port, if any
  std::string path;            // non-empty: replaces the whole path
  std::string prefix_rewrite;  // non-empty: replaces the route's matched path prefix
  bool strip_query = false;
};

// `direct_response:` on a route: answered by portico with this status and body.
struct DirectResponse {
  bool enabled = false;
  uint16_t status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};

// `static:` on a route: files under `root` answered by portico itself (docs/routing.md).
struct StaticFiles {
  bool enabled = false;
  std::string root;                                 // a directory (checked at load)
  std::vector<std::string> index = {"index.html"};  // tried in order for a directory path
  bool strip_prefix = false;  // true: the route's path prefix is removed before mapping
  int64_t max_age_s = -1;     // Cache-Control: max-age=N; -1 = no Cache-Control
};

// `request_headers:` / `response_headers:` on a route. Values may use ${client_ip},
// ${host}, ${path}, ${request_id}, ${capture.0}..${capture.9} (the route's match.path_regex)
// and ${geo.country} / ${geo.continent} (docs/routing.md#header-variables).
struct HeaderOps {
  std::vector<std::pair<std::string, std::string>> set;  // replace any field of that name
  std::vector<std::pair<std::string, std::string>> add;  // append, keeping existing ones
  std::vector<std::string> remove;
  bool empty() const { return set.empty() && add.empty() && remove.empty(); }
};

// `hsts:` on a listener or route: adds Strict-Transport-Security to responses.
struct Hsts {
  bool enabled = false;
  uint32_t max_age_s = 31536000;
  bool include_subdomains = false;
  bool preload = false;
};

// `cors:` on a route (Fetch standard CORS protocol). Absent = portico adds no CORS headers.
struct Cors {
  bool enabled = false;
  std::vector<std::string> allow_origins;  // exact origins ("https://a.example") or "*"
  std::vector<std::string> allow_methods = {"GET", "HEAD", "POST"};
  std::vector<std::string> allow_headers;   // empty: echo Access-Control-Request-Headers
  std::vector<std::string> expose_headers;  // Access-Control-Expose-Headers
  bool allow_credentials = false;           // never with "*" (the origin is echoed instead)
  uint32_t max_age_s = 600;                 // preflight cache time
};

// `compress:` on a route: responses compressed by Accept-Encoding (docs/config.md).
struct Compression {
  bool enabled = false;
  std::vector<std::string> codings = {"zstd", "br", "gzip"};  // server preference order
  uint64_t min_size = 256;  // smaller Content-Length bodies are sent as they are
  std::vector<std::string> types = {
      "text/*",          "application/json",      "application/javascript",
      "application/xml", "application/xhtml+xml", "application/rss+xml",
      "image/svg+xml"};
  int level = -1;  // codec level; -1 = each codec's default (gzip 5, br 4, zstd 3)
};

// `mirror:` on a route: a copy of a sampled share of its requests goes to another cluster,
// whose responses are read and discarded (docs/routing.md#mirroring).
struct RouteMirror {
  std::string cluster;              // "" = no mirroring
  uint32_t fraction_ppm = 1000000;  // share of requests mirrored, in millionths (1.0 = all)
  static constexpr uint32_t kAll = 1000000;
};

// One side of a weighted split (`clusters: [ { name, weight } ]`).
struct WeightedCluster {
  std::string name;
  uint32_t weight = 1;
};

// `split_by:` what keeps a client on one side of a split: the same key always lands on the same
// cluster. None: each request is drawn at random.
struct SplitKey {
  enum class Source { None, Header, Cookie, Ip };
  Source source = Source::None;
  std::string name;  // header or cookie name
};

// The response field line for `h` ("Strict-Transport-Security: max-age=N[; ...]\r\n"), or ""
// when it is off.
std::string hstsFieldLine(const Hsts& h);

struct Route {
  RouteMatch match;
  std::string cluster;  // must name a cluster (unless clusters/redirect/direct_response/static)
  std::vector<WeightedCluster> clusters;  // weighted split (canary, blue/green); else empty
  SplitKey split_by;
  Cors cors;
  Compression compress;
  RouteMirror mirror;
  RouteRedirect redirect;
  DirectResponse direct_response;
  StaticFiles static_files;  // `static:`
  HeaderOps request_headers;
  HeaderOps response_headers;
  std::string prefix_rewrite;  // non-empty: the matched path prefix is replaced upstream
  // `rewrite: { regex, substitution }`: the first match in the path is replaced (\\1 = capture)
  std::shared_ptr<const re2::RE2> rewrite_regex;
  std::string rewrite_substitution;
  Hsts hsts;  // `hsts:` on a TLS listener's route; overrides the listener's
  bool hsts_set = false;
  bool retry_non_idempotent = false;  // YAML `retry_non_idempotent`: allow retrying POST etc.
  std::string location;               // "FILE:LINE:COLUMN" of the route, for messages
  // Header values with ${capture.N}: match.path_regex compiled for its captures (null = none).
  std::shared_ptr<const re2::RE2> capture_regex;
  uint8_t capture_count = 0;  // captures to extract: the highest N used + 1
  // Header values with ${geo.country} / ${geo.continent}: the client is located (geoip).
  bool geo_vars = false;
};

// `geoip:` the MaxMind-format database that country/continent conditions use.
struct GeoIp {
  std::string database;                               // "" = none
  std::shared_ptr<const router::GeoDatabase> handle;  // opened at load; null = none
};

// One certificate of a TLS listener: a PEM chain (leaf first) and its private key. The names
// it serves by SNI come from the certificate (subjectAltName DNS entries, exact or "*.").
struct TlsCertificate {
  std::string cert_file;
  std::string key_file;
  std::string ocsp_file;  // DER OCSP response stapled for this certificate; "" = none
  bool operator==(const TlsCertificate&) const = default;
};

// `tls:` on a listener. Absent = plain TCP.
struct ListenerTls {
  bool enabled = false;
  std::vector<TlsCertificate> certificates;  // the first one is the default (no/unknown SNI)
  std::string policy = "intermediate";       // Mozilla "intermediate" (TLS 1.2+) or "modern"
  std::vector<std::string> alpn = {"http/1.1"};
  bool session_tickets = true;
  uint32_t ticket_rotation_ms = 3600000;  // a new ticket key this often; two old ones decrypt
  uint32_t session_cache_size = 20480;    // server-side session cache entries; 0 = off
  enum class ClientAuth { None, Optional, Required };
  ClientAuth client_auth = ClientAuth::None;
  std::string client_ca_file;       // CAs that sign accepted client certificates
  uint32_t reload_check_ms = 5000;  // certificate/key/OCSP files are re-read when they change
  bool operator==(const ListenerTls&) const = default;
};

// `http2:` on a listener: true, or a map of limits (defaults as nginx/Envoy). Plain listeners
// then also accept HTTP/2 with prior knowledge (h2c); TLS listeners offer h2 by ALPN.
struct ListenerHttp2 {
  bool enabled = false;
  uint32_t max_concurrent_streams = 128;
  uint32_t initial_window_size = 256 * 1024;
  uint32_t max_header_list_size = 64 * 1024;
  uint32_t max_frame_size = 16384;
  // A stream whose response waits on a closed flow-control window this long is reset.
  uint32_t zero_window_timeout_ms = 30000;
};

struct Listener {
  std::string name;
  std::string address;  // "127.0.0.1:8080", "[::1]:8080", ":8080" (= 0.0.0.0)
  std::vector<Route> routes;
  ListenerTls tls;
  Hsts hsts;
  // `redirect_https: PORT` on a plain listener: every request gets a 301 to https://host:PORT
  // (443 omitted from the URL). 0 = off.
  uint16_t redirect_https_port = 0;
  // `client_cert_header:` with tls.client_auth, the verified client subject goes upstream
  // in this request header ("" = not sent). Any such header from the client is removed.
  std::string client_cert_header = "X-Client-Cert-Subject";
  ListenerHttp2 http2;
};

struct Server {
  std::string address;  // "host:port" (numeric IPv4/IPv6 or "localhost")
  uint32_t weight = 1;
  bool backup = false;  // only used when every primary server is unavailable
};

// `lb:` either a policy name string or a map { policy, key: { source, name }, choices }.
struct LoadBalancing {
  // round_robin | least_conn | hash | random | p2c | least_time
  std::string policy = "round_robin";
  enum class KeySource { Ip, Header, Cookie, Query, Path };
  KeySource key_source = KeySource::Ip;  // hash policy: what is hashed
  std::string key_name;                  // header/cookie/query parameter name
  uint32_t choices = 2;                  // p2c: servers sampled per pick
};

// `health_check:` active checks run off the workers. Absent = every server counts as healthy.
struct HealthCheck {
  enum class Type { None, Http, Tcp, Script };
  Type type = Type::None;
  uint32_t interval_ms = 5000;
  uint32_t timeout_ms = 2000;
  uint32_t rise = 2;       // consecutive successes to become healthy
  uint32_t fall = 3;       // consecutive failures to become unhealthy
  uint32_t jitter_ms = 0;  // random extra delay added to each interval
  // http
  std::string method = "GET";
  std::string path = "/";
  std::string host;  // Host header; "" = the server address
  std::vector<std::pair<uint16_t, uint16_t>> expect_status = {{200, 399}};  // inclusive ranges
  std::string body_contains;                                                // "" = not checked
  // tcp: connect only when both empty; else send `send` and expect `expect` in the reply
  std::string send;
  std::string expect;
  // script: argv; PORTICO_HOST / PORTICO_PORT in the environment; exit 0 = healthy
  std::vector<std::string> command;
};

// `outlier_detection:` passive health; absent = off.
struct OutlierDetection {
  bool enabled = false;
  uint32_t consecutive_5xx = 5;
  uint32_t consecutive_connect_failures = 3;
  uint32_t base_ejection_ms = 30000;  // ejection n lasts base * n, capped by max
  uint32_t max_ejection_ms = 300000;
  uint32_t max_ejection_percent = 50;  // never eject more than this share of the cluster
};

// `retry:`
struct RetryPolicy {
  bool on_connect_failure = true;  // retry_on: connect-failure
  bool on_reset = true;            // retry_on: reset (closed/reset before any response byte)
  bool on_502 = false, on_503 = false, on_504 = false;  // retry_on: 502 / 503 / 504
  bool on_per_try_timeout = false;                      // retry_on: per-try-timeout
  uint32_t max_retries = 1;                             // extra attempts after the first
  uint32_t per_try_timeout_ms = 0;                      // 0 = response_timeout
  uint32_t timeout_ms = 0;                              // overall budget for all tries; 0 = none
  uint32_t backoff_base_ms = 25;  // jittered exponential backoff between tries
  uint32_t backoff_max_ms = 250;
  uint32_t budget_percent = 20;         // retries in flight <= this % of active requests
  uint32_t budget_min_concurrency = 3;  // ... but always allow this many
};

// `circuit_breaker:` 0 = unlimited.
struct CircuitBreaker {
  uint32_t max_connections = 0;  // upstream connections (active + idle) per cluster
  uint32_t max_pending = 0;      // requests that may wait for a connection slot (0: none wait)
  uint32_t max_requests = 0;     // requests in flight per cluster
};

// `tls:` on a cluster: TLS to its servers. Absent = plain TCP.
struct ClusterTls {
  bool enabled = false;
  std::string sni;        // "" = the server's host name (no SNI for IP addresses)
  bool verify = true;     // turning verification off must be explicit (verify: false)
  std::string ca_file;    // "" = the system store
  std::string cert_file;  // client certificate (mTLS to the servers); "" = none
  std::string key_file;
  std::vector<std::string> alpn = {"http/1.1"};
};

struct Cluster {
  std::string name;
  ClusterTls tls;
  // `protocol:` http1 (default) or h2: HTTP/2 to the servers (h2c with prior knowledge, or h2
  // by ALPN with tls), every exchange a stream on one connection per worker and server.
  // auto (TLS only): offer h2 and http/1.1 by ALPN and speak what each server picks.
  enum class Protocol : uint8_t { Http1, H2, Auto };
  Protocol protocol = Protocol::Http1;
  std::vector<Server> servers;
  uint32_t connect_timeout_ms = 5000;    // upstream connect -> 504 when exceeded
  uint32_t response_timeout_ms = 60000;  // wait for response head / between reads -> 504
  uint32_t max_idle = 64;                // idle keep-alive upstream connections per server/worker
  uint32_t idle_timeout_ms = 4000;       // below nginx (75s)/Apache (5s) keep-alive defaults
  bool rewrite_host = false;             // true: send Host: <server address> instead of client's
  LoadBalancing lb;
  HealthCheck health_check;
  OutlierDetection outlier_detection;
  uint32_t slow_start_ms = 0;  // new/recovered server's weight ramps up over this time
  RetryPolicy retry;
  CircuitBreaker circuit_breaker;
  std::string sticky_cookie;  // `sticky: { cookie: NAME }`; "" = off
};

// `admin:` the admin HTTP listener (JSON). address "" = off.
struct Admin {
  std::string address;
};

struct AccessLog {
  enum class Format { Combined, Json };
  std::string path;  // "" = off, "stdout", "stderr" or a file path
  Format format = Format::Combined;
};

// `request_id:` the identity of each exchange, for logs and tracing.
struct RequestId {
  bool enabled = true;
  std::string header = "X-Request-ID";
  // When the client's own id is kept (if well-formed): from trusted_proxies only, always, never.
  enum class Keep { Trusted, Always, Never };
  Keep keep_incoming = Keep::Trusted;
  bool response_header = true;  // the id is also sent back to the client
  bool trace_context = true;    // W3C traceparent: propagate a valid one, else start a trace
};

struct Limits {
  uint32_t max_request_line = 8192;   // -> 414
  uint32_t max_header_bytes = 16384;  // -> 431
  uint32_t max_header_count = 100;    // -> 431
  uint64_t max_body_bytes = 0;        // 0 = unlimited; larger -> 413
  // Mirrored copies (route `mirror:`) out at once, per worker; more are dropped.
  uint32_t max_mirrors_in_flight = 256;
};

struct Timeouts {
  uint32_t client_header_ms = 10000;  // whole request head must arrive -> 408 and close
  uint32_t client_idle_ms = 60000;    // idle keep-alive downstream connection closed
  uint32_t client_body_ms = 60000;    // gap between body reads -> 408 and close
  uint32_t shutdown_ms = 10000;       // graceful stop budget for in-flight requests
};

struct Config {
  std::string source;    // file the config came from
  unsigned workers = 0;  // 0 = auto (one per CPU)
  std::vector<Listener> listeners;
  std::vector<Cluster> clusters;
  AccessLog access_log;
  RequestId request_id;
  std::string error_log_level = "info";  // debug, info, warn, error
  Limits limits;
  Timeouts timeouts;
  GeoIp geoip;
  std::vector<std::string> trusted_proxies;  // CIDRs whose X-Forwarded-*/Forwarded are kept
  bool server_header = true;                 // false hides "Server: portico" on our responses
  std::string via_name = "portico";          // pseudonym used in Via
  Admin admin;

  // Returns the cluster with this name, or nullptr.
  const Cluster* findCluster(const std::string& name) const;
};

// A config error. what() reads "FILE:LINE:COLUMN: KEY: MESSAGE" (with a "did you mean" hint
// when a key looks like a typo of a valid one).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Loads, parses and validates a YAML config file. Throws ConfigError on any problem: unknown
// keys, wrong types, bad addresses/durations/CIDRs, duplicate names, routes to missing clusters.
std::shared_ptr<const Config> loadConfigFile(const std::string& path);

// Same, from text; `source` names the file in error messages.
std::shared_ptr<const Config> loadConfigText(const std::string& text, const std::string& source);

}  // namespace portico::config
