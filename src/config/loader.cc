// YAML -> Config. Every error names FILE:LINE:COLUMN (1-based) and the dotted key path, e.g.
// "portico.yaml:12:9: clusters[1].servers[0].address: invalid address ...".
#include <fcntl.h>
#include <re2/re2.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/address.h"
#include "config/config.h"
#include "config/load_static.h"
#include "config/suggest.h"
#include "config/units.h"
#include "net/cidr.h"
#include "router/condition_factory.h"
#include "router/expr_parser.h"
#include "router/route_keys.h"
#include "upstream/lb/policy.h"

namespace portico::config {
namespace {

constexpr std::string_view kRootKey = "<root>";
constexpr uint64_t kMaxWorkers = 1024;
constexpr uint64_t kMaxWeight = 1000;
constexpr uint64_t kMaxHeadBytes = 1 << 20;  // max_request_line / max_header_bytes cap
constexpr uint64_t kMaxHeaderCount = 10000;
constexpr uint64_t kMaxP2cChoices = 16;
constexpr uint64_t kMaxRiseFall = 1000;
constexpr uint64_t kMaxConsecutive = 1000000;
constexpr uint64_t kMaxRetries = 10;
constexpr uint64_t kMaxLimit = 100000000;  // circuit breaker limits, budget min_concurrency

constexpr uint64_t kMaxSessionCache = 1 << 24;
constexpr uint32_t kMinTicketRotationMs = 60000;
constexpr uint64_t kMaxHstsAgeS = 10ull * 366 * 86400;
constexpr uint32_t kMinPreloadAgeS = 31536000;

// ALPN protocol ids portico speaks (tls.alpn on listeners and clusters).
constexpr std::string_view kAlpnProtocols[] = {"h2", "http/1.1"};

// retry.retry_on values.
constexpr std::string_view kRetryConditions[] = {"connect-failure", "reset", "502", "503", "504",
                                                 "per-try-timeout"};

// A value in the document together with where it is and how to name it in errors.
struct Field {
  std::string path;     // dotted key path, e.g. "listeners[0].address"
  YAML::Node node;      // the value
  YAML::Mark fallback;  // used when the value has no useful mark (null/empty values)

  // Where errors about this value point: the value itself, or its key for empty values
  // (yaml-cpp places an empty value's mark on the following line).
  YAML::Mark mark() const {
    const YAML::Mark m = node.Mark();
    if (node.IsNull() || m.is_null()) return fallback;
    return m;
  }
};

std::string childPath(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

std::string indexPath(const std::string& parent, size_t i) {
  return parent + "[" + std::to_string(i) + "]";
}

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "'" + n.Scalar() + "'";
    default:
      return "nothing";
  }
}

std::string joinNames(std::span<const std::string_view> words) {
  std::string out;
  for (std::string_view w : words) {
    if (!out.empty()) out += ", ";
    out += std::string(w);
  }
  return out;
}

std::string locate(const std::string& source, const YAML::Mark& m) {
  const int line = m.is_null() ? 1 : m.line + 1;
  const int column = m.is_null() ? 1 : m.column + 1;
  return source + ":" + std::to_string(line) + ":" + std::to_string(column);
}

// An unquoted "[v6]:port" makes YAML see a flow sequence; recognise it to explain the error.
bool looksLikeUnquotedIpv6(std::string_view line) {
  for (size_t open = line.find('['); open != std::string_view::npos;
       open = line.find('[', open + 1)) {
    if (open > 0 && (line[open - 1] == '"' || line[open - 1] == '\'')) continue;
    size_t i = open + 1;
    bool colon = false;
    while (i < line.size() && (std::isxdigit(static_cast<unsigned char>(line[i])) ||
                               line[i] == ':' || line[i] == '.')) {
      colon = colon || line[i] == ':';
      ++i;
    }
    if (colon && i + 1 < line.size() && line[i] == ']' && line[i + 1] == ':') return true;
  }
  return false;
}

// True for a non-empty HTTP token (RFC 9110 §5.6.2): method names, cookie names, Via names.
bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char ch) {
    return std::isalnum(ch) || std::strchr("!#$%&'*+-.^_`|~", ch) != nullptr;
  });
}

// True when `s` has no control characters, spaces or DEL (safe inside a request line/header).
bool isVisible(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](unsigned char ch) { return ch <= ' ' || ch == 0x7f; });
}

// True for a DNS host name (lowercase labels of letters, digits, '-' and '_', dot-separated) that
// is not an IPv4 literal: what may be sent as SNI (RFC 6066 section 3).
bool isDnsName(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.') return false;
  if (s.find("..") != std::string_view::npos) return false;
  const bool charset = std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
           ch == '_';
  });
  const bool ipv4 = std::all_of(s.begin(), s.end(),
                                [](char ch) { return (ch >= '0' && ch <= '9') || ch == '.'; });
  return charset && !ipv4;
}

// A duration in the config's own notation, for messages: 1500 -> "1500ms", 2000 -> "2s".
std::string durationText(uint64_t ms) {
  if (ms != 0 && ms % 3600000 == 0) return std::to_string(ms / 3600000) + "h";
  if (ms != 0 && ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

// Variables of header values (HeaderOps; expanded by proxy/forwarding.cc).
constexpr std::string_view kHeaderVariables[] = {
    "client_ip", "host", "path", "request_id", "capture.N", "geo.country", "geo.continent"};

// Checks the ${...} variables of a header value. Returns "" when all are known (then
// *max_capture is the highest ${capture.N}, or stays -1, and *geo says if ${geo.*} is used),
// else the reason.
std::string checkVariables(std::string_view v, int* max_capture, bool* geo) {
  for (size_t at = v.find("${"); at != std::string_view::npos; at = v.find("${", at)) {
    const size_t end = v.find('}', at);
    if (end == std::string_view::npos)
      return "unterminated variable '" + std::string(v.substr(at)) + "' (missing '}')";
    const std::string_view name = v.substr(at + 2, end - at - 2);
    at = end + 1;
    if (name.size() == 9 && name.starts_with("capture.") && name[8] >= '0' && name[8] <= '9') {
      *max_capture = std::max(*max_capture, name[8] - '0');
      continue;
    }
    if (name == "geo.country" || name == "geo.continent") {
      *geo = true;
      continue;
    }
    if (name == "client_ip" || name == "host" || name == "path" || name == "request_id") continue;
    if (name.starts_with("capture."))
      return "${" + std::string(name) +
             "}: captures are ${capture.0} (the whole path) to ${capture.9}";
    std::string known;
    for (std::string_view k : kHeaderVariables)
      known += (known.empty() ? "${" : ", ${") + std::string(k) + "}";
    const std::string hint = closestMatch(name, kHeaderVariables);
    return "unknown variable ${" + std::string(name) + "}" +
           (hint.empty() ? " (known: " + known + "; N is 0 to 9)"
                         : ", did you mean ${" + hint + "}?");
  }
  return "";
}

class Loader {
 public:
  Loader(const std::string& text, const std::string& source) : text_(text), source_(source) {}

  std::shared_ptr<const Config> load();

 private:
  [[noreturn]] void fail(const YAML::Mark& m, std::string_view key, const std::string& msg) const {
    throw ConfigError(locate(source_, m) + ": " + std::string(key) + ": " + msg);
  }
  [[noreturn]] void fail(const Field& f, const std::string& msg) const {
    fail(f.mark(), f.path, msg);
  }

  // Key/value access to a mapping that rejects unknown (with a suggestion) and repeated keys.
  class MapReader {
   public:
    MapReader(const Loader& loader, const Field& field,
              std::initializer_list<std::string_view> allowed)
        : loader_(loader), field_(field) {
      if (!field.node.IsMap()) {
        loader.fail(field, "expected a map with keys " + joinNames(allowed) + ", got " +
                               describe(field.node));
      }
      std::vector<std::string_view> names(allowed);
      for (auto it = field.node.begin(); it != field.node.end(); ++it) {
        const YAML::Node k = it->first;  // a copy: `it->first` lives in a temporary proxy
        if (!k.IsScalar()) {
          loader.fail(k.Mark(), field.path.empty() ? kRootKey : std::string_view(field.path),
                      "map keys must be plain strings, got " + describe(k));
        }
        const std::string& key = k.Scalar();
        const std::string path = childPath(field.path, key);
        if (std::find(names.begin(), names.end(), key) == names.end()) {
          const std::string hint = closestMatch(key, names);
          loader.fail(k.Mark(), path,
                      "unknown key '" + key + "'" +
                          (hint.empty() ? " (valid keys: " + joinNames(allowed) + ")"
                                        : ", did you mean '" + hint + "'?"));
        }
        for (const Entry& e : entries_) {
          if (e.key == key) {
            loader.fail(k.Mark(), path,
                        "duplicate key '" + key + "' (first given on line " +
                            std::to_string(e.key_mark.line + 1) + ")");
          }
        }
        entries_.push_back(Entry{key, k.Mark(), it->second});
      }
    }

    // The value of `key`, if present.
    std::optional<Field> get(std::string_view key) const {
      for (const Entry& e : entries_) {
        if (e.key == key) return Field{childPath(field_.path, key), e.value, e.key_mark};
      }
      return std::nullopt;
    }

    // The value of `key`; an error at the map's position if it is absent.
    Field require(std::string_view key) const {
      std::optional<Field> f = get(key);
      if (!f) {
        loader_.fail(field_.mark(), childPath(field_.path, key),
                     "missing required key '" + std::string(key) + "'");
      }
      return *f;
    }

   private:
    struct Entry {
      std::string key;
      YAML::Mark key_mark;
      YAML::Node value;
    };
    const Loader& loader_;
    Field field_;
    std::vector<Entry> entries_;
  };

  // The elements of a list, each with its indexed path.
  std::vector<Field> list(const Field& f, std::string_view what) const {
    if (!f.node.IsSequence())
      fail(f, "expected a list of " + std::string(what) + ", got " + describe(f.node));
    std::vector<Field> out;
    size_t i = 0;
    for (auto it = f.node.begin(); it != f.node.end(); ++it, ++i) {
      out.push_back(Field{indexPath(f.path, i), *it, f.mark()});
    }
    return out;
  }

  std::string str(const Field& f) const {
    if (!f.node.IsScalar()) fail(f, "expected a string, got " + describe(f.node));
    return f.node.Scalar();
  }

  std::string nonEmpty(const Field& f) const {
    std::string s = str(f);
    if (s.empty()) fail(f, "must not be empty");
    return s;
  }

  uint64_t unsignedValue(const Field& f, uint64_t min, uint64_t max) const {
    if (!f.node.IsScalar()) fail(f, "expected a number, got " + describe(f.node));
    std::string error;
    std::optional<uint64_t> v = parseUnsigned(f.node.Scalar(), max, &error);
    if (!v) fail(f, error);
    if (*v < min) fail(f, "must be at least " + std::to_string(min));
    return *v;
  }

  uint64_t size(const Field& f, uint64_t min, uint64_t max) const {
    if (!f.node.IsScalar()) fail(f, "expected a size (e.g. 8192 or 16k), got " + describe(f.node));
    std::string error;
    std::optional<uint64_t> v = parseSize(f.node.Scalar(), max, &error);
    if (!v) fail(f, error);
    if (*v < min) fail(f, "must be at least " + std::to_string(min) + " bytes");
    return *v;
  }

  uint32_t duration(const Field& f, bool allow_zero) const {
    if (!f.node.IsScalar()) {
      fail(f, "expected a duration (e.g. 250ms, 5s, 2m), got " + describe(f.node));
    }
    std::string error;
    std::optional<uint32_t> v = parseDurationMs(f.node.Scalar(), &error);
    if (!v) fail(f, error);
    if (*v == 0 && !allow_zero) fail(f, "must be greater than 0");
    return *v;
  }

  bool boolean(const Field& f) const {
    if (f.node.IsScalar()) {
      std::string s = f.node.Scalar();
      std::transform(s.begin(), s.end(), s.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (s == "true") return true;
      if (s == "false") return false;
    }
    fail(f, "expected true or false, got " + describe(f.node));
  }

  // One of `choices`, with a suggestion when the value is a near miss.
  std::string choice(const Field& f, std::span<const std::string_view> choices) const {
    const std::string s = str(f);
    if (std::find(choices.begin(), choices.end(), s) != choices.end()) return s;
    const std::string hint = closestMatch(s, choices);
    fail(f, "invalid value '" + s + "', expected one of " + joinNames(choices) +
                (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
  std::string choice(const Field& f, std::initializer_list<std::string_view> choices) const {
    return choice(f, std::span<const std::string_view>(choices.begin(), choices.size()));
  }

  std::string address(const Field& f, bool allow_any_host) const {
    if (f.node.IsSequence()) {
      fail(f, "expected HOST:PORT, got a list (quote IPv6 addresses: \"[::1]:8080\")");
    }
    const std::string s = str(f);
    std::string error;
    std::optional<HostPort> hp = parseHostPort(s, &error);
    if (!hp) fail(f, error);
    if (!allow_any_host && hp->kind == HostPort::Kind::Any) {
      fail(f, "invalid address '" + s + "': a server address needs a host, e.g. 127.0.0.1" + s);
    }
    return s;
  }

  void loadWorkers(const Field& f, Config& c) const;
  void loadListeners(const Field& f, Config& c);
  void loadListenerTlsKeys(const MapReader& m, Listener& l) const;
  void loadListenerHttp2(const MapReader& m, Listener& l) const;
  ListenerTls loadListenerTls(const Field& f) const;
  TlsCertificate loadTlsCertificate(const Field& f) const;
  std::vector<std::string> loadAlpn(const Field& f) const;
  Hsts loadHsts(const Field& f) const;
  ClusterTls loadClusterTls(const Field& f) const;
  Route loadRoute(const Field& f);
  // Route actions: redirect, direct_response, header changes, rewrite, hsts.
  // Where a route's header values use route-dependent variables (${capture.N}, ${geo.*}).
  struct VarUse {
    int max_capture = -1;
    std::optional<Field> capture_at;  // the value with the highest ${capture.N}
    std::optional<Field> geo_at;
  };
  void loadRouteActions(const MapReader& m, Route& r, VarUse& use) const;
  // Compiles what the variables in `use` need (the path_regex captures), or fails.
  void checkRouteVars(const VarUse& use, Route& r) const;
  void loadSplit(const MapReader& m, const Field& split, Route& r);
  void loadCors(const Field& f, Cors& c) const;
  void loadCompression(const Field& f, Compression& c) const;
  void loadStaticFiles(const Field& f, Route& r) const;
  void loadMirror(const Field& f, RouteMirror& mirror);
  // A share: a number 0..1 ("0.25") or a percentage ("25%"), in millionths.
  uint32_t fraction(const Field& f) const;
  void loadSecurityHeaders(const Field& f, Route& r) const;
  HeaderOps loadHeaderOps(const Field& f, VarUse& use) const;
  router::ConditionPtr loadMatch(const Field& f, RouteMatch* keys, size_t depth) const;
  router::ConditionPtr loadWhen(const Field& f) const;
  void loadFieldTests(const Field& f, router::Condition::Kind kind,
                      std::vector<router::ConditionPtr>& out) const;
  router::ConditionPtr checkedCondition(const Field& f, router::ConditionPtr c,
                                        const std::string& error) const;
  std::vector<std::string> stringList(const Field& f) const;
  void loadGeoIp(const Field& f, Config& c);
  void loadClusters(const Field& f, Config& c) const;
  Cluster loadCluster(const Field& f, std::optional<Field>* name_field) const;
  LoadBalancing loadLoadBalancing(const Field& f) const;
  HealthCheck loadHealthCheck(const Field& f) const;
  std::pair<uint16_t, uint16_t> statusRange(const Field& f) const;
  OutlierDetection loadOutlierDetection(const Field& f) const;
  RetryPolicy loadRetry(const Field& f) const;
  CircuitBreaker loadCircuitBreaker(const Field& f) const;
  void loadAdmin(const Field& f, Config& c) const;
  void loadAccessLog(const Field& f, Config& c) const;
  void loadRequestId(const Field& f, Config& c) const;
  void loadLimits(const Field& f, Config& c) const;
  void loadTimeouts(const Field& f, Config& c) const;
  void loadTrustedProxies(const Field& f, Config& c) const;
  void checkRouteClusters(const Config& c) const;

  // Where each route's cluster reference was written, for the cross-check after loading.
  struct ClusterRef {
    Field field;
    std::string name;
  };

  const std::string& text_;
  const std::string& source_;
  std::vector<ClusterRef> cluster_refs_;
  std::shared_ptr<const router::GeoDatabase> geo_;  // `geoip:`, loaded before the listeners
};

void Loader::loadWorkers(const Field& f, Config& c) const {
  if (f.node.IsScalar() && f.node.Scalar() == "auto") {
    c.workers = 0;
    return;
  }
  if (!f.node.IsScalar()) fail(f, "expected 'auto' or a number, got " + describe(f.node));
  std::optional<uint64_t> v = parseUnsigned(f.node.Scalar(), kMaxWorkers);
  if (!v) {
    fail(f, "expected 'auto' or a number from 0 to " + std::to_string(kMaxWorkers) + ", got " +
                describe(f.node));
  }
  c.workers = static_cast<unsigned>(*v);
}

// A scalar or a list of scalars, as strings.
std::vector<std::string> Loader::stringList(const Field& f) const {
  std::vector<std::string> out;
  if (f.node.IsScalar()) {
    out.push_back(str(f));
    return out;
  }
  for (const Field& item : list(f, "strings")) out.push_back(str(item));
  return out;
}

router::ConditionPtr Loader::checkedCondition(const Field& f, router::ConditionPtr c,
                                              const std::string& error) const {
  if (!c) fail(f, error);
  return c;
}

// headers / cookies / query: a list of { name, exact | prefix | regex | present }.
void Loader::loadFieldTests(const Field& f, router::Condition::Kind kind,
                            std::vector<router::ConditionPtr>& out) const {
  for (const Field& item : list(f, "{ name, exact | prefix | regex | present } maps")) {
    const MapReader m(*this, item, {"name", "exact", "prefix", "regex", "present"});
    const Field name = m.require("name");
    std::optional<Field> value;
    router::TextOp op = router::TextOp::Present;
    for (auto [key, o] :
         {std::pair{"exact", router::TextOp::Exact}, std::pair{"prefix", router::TextOp::Prefix},
          std::pair{"regex", router::TextOp::Regex}}) {
      if (std::optional<Field> v = m.get(key)) {
        if (value) fail(*v, "give only one of exact, prefix, regex");
        value = v;
        op = o;
      }
    }
    bool present = true;
    if (std::optional<Field> p = m.get("present")) {
      if (value) fail(*p, "present cannot be combined with exact, prefix or regex");
      present = boolean(*p);
    }
    std::string error;
    router::ConditionPtr c =
        router::makeField(kind, str(name), op, value ? str(*value) : "", &error);
    checkedCondition(error.starts_with("invalid name") || !value ? name : *value, c, error);
    out.push_back(present ? c : router::makeNot(c));
  }
}

// A `match:` map. At the top of a route (`keys` non-null) host, path_prefix and path are the
// route's index keys; inside any / all / not they are ordinary conditions.
router::ConditionPtr Loader::loadMatch(const Field& f, RouteMatch* keys, size_t depth) const {
  if (depth > 32) fail(f, "match nested too deeply (more than 32 levels)");
  const MapReader m(*this, f,
                    {"host", "host_regex", "path_prefix", "path", "path_regex", "methods",
                     "headers", "cookies", "query", "client_ip", "country", "continent", "device",
                     "language", "sni", "client_cert", "all", "any", "not"});
  std::vector<router::ConditionPtr> terms;
  std::string error;
  using router::TextOp;
  if (auto v = m.get("host")) {
    if (keys) {
      if (!router::normalizeHostPattern(str(*v), &keys->host, &error)) fail(*v, error);
    } else {
      terms.push_back(
          checkedCondition(*v, router::makeHost(str(*v), TextOp::Exact, &error), error));
    }
  }
  if (auto v = m.get("host_regex"))
    terms.push_back(checkedCondition(*v, router::makeHost(str(*v), TextOp::Regex, &error), error));
  if (auto v = m.get("path_prefix")) {
    if (keys) {
      const std::string p = str(*v);
      if (!router::validPathValue(p, "path_prefix", &error)) fail(*v, error);
      keys->path_prefix = p;
    } else {
      terms.push_back(
          checkedCondition(*v, router::makePath(str(*v), TextOp::Prefix, &error), error));
    }
  }
  if (auto v = m.get("path")) {
    if (keys) {
      const std::string p = str(*v);
      if (!router::validPathValue(p, "path", &error)) fail(*v, error);
      if (auto pp = m.get("path_prefix")) fail(*pp, "give either path or path_prefix, not both");
      keys->path = p;
    } else {
      terms.push_back(
          checkedCondition(*v, router::makePath(str(*v), TextOp::Exact, &error), error));
    }
  }
  if (auto v = m.get("path_regex")) {
    terms.push_back(checkedCondition(*v, router::makePath(str(*v), TextOp::Regex, &error), error));
    if (keys) keys->path_regex = str(*v);
  }
  if (auto v = m.get("methods"))
    terms.push_back(checkedCondition(*v, router::makeMethods(stringList(*v), &error), error));
  if (auto v = m.get("headers")) loadFieldTests(*v, router::Condition::Kind::Header, terms);
  if (auto v = m.get("cookies")) loadFieldTests(*v, router::Condition::Kind::Cookie, terms);
  if (auto v = m.get("query")) loadFieldTests(*v, router::Condition::Kind::Query, terms);
  if (auto v = m.get("client_ip"))
    terms.push_back(checkedCondition(*v, router::makeClientIp(stringList(*v), &error), error));
  for (auto [key, kind] : {std::pair{"country", router::Condition::Kind::Country},
                           std::pair{"continent", router::Condition::Kind::Continent}}) {
    if (auto v = m.get(key))
      terms.push_back(
          checkedCondition(*v, router::makeGeo(kind, stringList(*v), geo_, &error), error));
  }
  if (auto v = m.get("device"))
    terms.push_back(checkedCondition(*v, router::makeDevice(stringList(*v), &error), error));
  if (auto v = m.get("language")) {
    std::vector<std::string> best, among;
    if (v->node.IsMap()) {
      const MapReader lm(*this, *v, {"best", "among"});
      best = stringList(lm.require("best"));
      if (auto a = lm.get("among")) among = stringList(*a);
    } else {
      best = stringList(*v);
    }
    terms.push_back(checkedCondition(*v, router::makeLanguage(best, among, &error), error));
  }
  if (auto v = m.get("sni"))
    terms.push_back(checkedCondition(*v, router::makeSni(str(*v), TextOp::Exact, &error), error));
  if (auto v = m.get("client_cert")) {
    router::ConditionPtr c = router::makeClientCert();
    terms.push_back(boolean(*v) ? c : router::makeNot(c));
  }
  for (auto [key, any] : {std::pair{"all", false}, std::pair{"any", true}}) {
    if (auto v = m.get(key)) {
      std::vector<router::ConditionPtr> children;
      for (const Field& item : list(*v, "match maps"))
        children.push_back(loadMatch(item, nullptr, depth + 1));
      terms.push_back(any ? router::makeAny(std::move(children))
                          : router::makeAll(std::move(children)));
    }
  }
  if (auto v = m.get("not")) terms.push_back(router::makeNot(loadMatch(*v, nullptr, depth + 1)));
  return terms.empty() ? nullptr : router::makeAll(std::move(terms));
}

// `when:` an expression (router/expr_parser.h); errors point at the offending character.
router::ConditionPtr Loader::loadWhen(const Field& f) const {
  const std::string text = str(f);
  router::ExprOptions opts;
  opts.geo = geo_;
  router::ExprError error;
  router::ConditionPtr c = router::parseExpression(text, opts, &error);
  if (c) return c;
  YAML::Mark m = f.mark();
  const size_t pos = static_cast<size_t>(m.pos);
  const char open = pos < text_.size() ? text_[pos] : ' ';
  const bool block = open == '|' || open == '>';
  if (!block && text.find('\n') == std::string::npos) {
    m.column += static_cast<int>(error.column - 1) + (open == '"' || open == '\'' ? 1 : 0);
    fail(m, f.path, error.message);
  }
  fail(m, f.path,
       error.message + " (at column " + std::to_string(error.column) + " of the expression)");
}

Route Loader::loadRoute(const Field& f) {
  MapReader m(*this, f,
              {"match", "when", "cluster", "retry_non_idempotent", "redirect", "direct_response",
               "request_headers", "response_headers", "rewrite", "hsts", "clusters", "split_by",
               "cors", "security_headers", "compress", "static", "mirror"});
  Route r;
  r.location = locate(source_, f.mark());
  std::vector<router::ConditionPtr> terms;
  if (std::optional<Field> match = m.get("match")) {
    if (router::ConditionPtr c = loadMatch(*match, &r.match, 0)) terms.push_back(c);
  }
  if (std::optional<Field> when = m.get("when")) {
    router::ConditionPtr c = router::liftIndexKeys(loadWhen(*when), r.match);
    if (c) terms.push_back(c);
  }
  if (!terms.empty()) r.match.condition = router::makeAll(std::move(terms));
  VarUse use;
  loadRouteActions(m, r, use);
  checkRouteVars(use, r);
  if (auto v = m.get("mirror")) {
    if (r.redirect.enabled || r.direct_response.enabled || r.static_files.enabled)
      fail(*v,
           "a route that answers with redirect, direct_response or static forwards nothing to "
           "mirror");
    loadMirror(*v, r.mirror);
  }
  if (std::optional<Field> split = m.get("clusters")) {
    loadSplit(m, *split, r);
    return r;
  }
  if (auto k = m.get("split_by")) fail(*k, "split_by goes with clusters (a weighted split)");
  if (r.redirect.enabled || r.direct_response.enabled || r.static_files.enabled) {
    if (auto c = m.get("cluster"))
      fail(*c,
           "a route answers itself (redirect, direct_response, static) or goes to a cluster: "
           "not both");
    if (r.redirect.enabled + r.direct_response.enabled + r.static_files.enabled > 1)
      fail(*m.get(r.static_files.enabled ? "static" : "direct_response"),
           "a route has one of redirect, direct_response and static, not several");
  } else {
    const Field cluster = m.require("cluster");
    r.cluster = nonEmpty(cluster);
    cluster_refs_.push_back(ClusterRef{cluster, r.cluster});
  }
  if (auto v = m.get("retry_non_idempotent")) r.retry_non_idempotent = boolean(*v);
  return r;
}

// `clusters: [ { name, weight } ]` and `split_by: ip | { header: NAME } | { cookie: NAME }`.
void Loader::loadSplit(const MapReader& m, const Field& split, Route& r) {
  if (auto c = m.get("cluster")) fail(*c, "a route has cluster or clusters, not both");
  if (r.redirect.enabled || r.direct_response.enabled || r.static_files.enabled)
    fail(split,
         "a route answers with redirect, direct_response or static, or goes to clusters: not both");
  const std::vector<Field> items = list(split, "{ name, weight } maps");
  if (items.size() < 2) fail(split, "a split needs at least two clusters");
  uint32_t total = 0;
  for (const Field& item : items) {
    const MapReader wm(*this, item, {"name", "weight"});
    WeightedCluster wc;
    const Field name = wm.require("name");
    wc.name = nonEmpty(name);
    cluster_refs_.push_back(ClusterRef{name, wc.name});
    if (auto w = wm.get("weight")) wc.weight = static_cast<uint32_t>(unsignedValue(*w, 0, 10000));
    total += wc.weight;
    r.clusters.push_back(std::move(wc));
  }
  if (total == 0) fail(split, "the weights of a split must not all be 0");
  if (auto k = m.get("split_by")) {
    if (k->node.IsScalar() && k->node.Scalar() == "ip") {
      r.split_by.source = SplitKey::Source::Ip;
    } else {
      const MapReader km(*this, *k, {"header", "cookie"});
      if (auto h = km.get("header")) {
        r.split_by = {SplitKey::Source::Header, nonEmpty(*h)};
      } else if (auto c = km.get("cookie")) {
        r.split_by = {SplitKey::Source::Cookie, nonEmpty(*c)};
      } else {
        fail(*k, "split_by is ip, { header: NAME } or { cookie: NAME }");
      }
    }
  }
  if (auto v = m.get("retry_non_idempotent")) r.retry_non_idempotent = boolean(*v);
}

void Loader::loadRouteActions(const MapReader& m, Route& r, VarUse& use) const {
  if (auto v = m.get("redirect")) {
    const MapReader rm(
        *this, *v, {"status", "scheme", "host", "port", "path", "prefix_rewrite", "strip_query"});
    RouteRedirect& d = r.redirect;
    d.enabled = true;
    if (auto s = rm.get("status")) {
      d.status = static_cast<uint16_t>(unsignedValue(*s, 301, 308));
      if (d.status > 303 && d.status < 307)
        fail(*s, "a redirect status is 301, 302, 303, 307 or 308");
    }
    if (auto s = rm.get("scheme")) d.scheme = choice(*s, {"http", "https"});
    if (auto s = rm.get("host")) {
      d.host = nonEmpty(*s);
      if (!isVisible(d.host) || d.host.find('/') != std::string::npos)
        fail(*s, "not a host name: '" + d.host + "'");
    }
    if (auto s = rm.get("port")) d.port = static_cast<uint16_t>(unsignedValue(*s, 1, 65535));
    if (auto s = rm.get("path")) {
      d.path = nonEmpty(*s);
      if (d.path[0] != '/' || !isVisible(d.path))
        fail(*s, "a path starts with '/' and has no spaces");
    }
    if (auto s = rm.get("prefix_rewrite")) {
      d.prefix_rewrite = nonEmpty(*s);
      if (d.prefix_rewrite[0] != '/' || !isVisible(d.prefix_rewrite))
        fail(*s, "a path prefix starts with '/' and has no spaces");
    }
    if (!d.path.empty() && !d.prefix_rewrite.empty())
      fail(*v, "redirect has path or prefix_rewrite, not both");
    if (auto s = rm.get("strip_query")) d.strip_query = boolean(*s);
  }
  if (auto v = m.get("direct_response")) {
    const MapReader dm(*this, *v, {"status", "body", "content_type"});
    DirectResponse& d = r.direct_response;
    d.enabled = true;
    d.status = static_cast<uint16_t>(unsignedValue(dm.require("status"), 200, 599));
    if (auto s = dm.get("body")) d.body = str(*s);
    if (auto s = dm.get("content_type")) {
      d.content_type = nonEmpty(*s);
      if (d.content_type.find_first_of("\r\n") != std::string::npos)
        fail(*s, "a content type is one line");
    }
  }
  if (auto v = m.get("request_headers")) r.request_headers = loadHeaderOps(*v, use);
  if (auto v = m.get("response_headers")) r.response_headers = loadHeaderOps(*v, use);
  if (auto v = m.get("rewrite")) {
    const MapReader wm(*this, *v, {"prefix", "regex", "substitution"});
    if (auto p = wm.get("prefix")) {
      r.prefix_rewrite = nonEmpty(*p);
      if (r.prefix_rewrite[0] != '/' || !isVisible(r.prefix_rewrite))
        fail(*p, "a path prefix starts with '/' and has no spaces");
      if (wm.get("regex")) fail(*v, "rewrite has prefix or regex, not both");
    } else {
      const Field rx = wm.require("regex");
      auto re = std::make_shared<re2::RE2>(nonEmpty(rx), re2::RE2::Quiet);
      if (!re->ok()) fail(rx, "invalid regular expression: " + re->error());
      const Field sub = wm.require("substitution");
      r.rewrite_substitution = str(sub);
      std::string why;
      if (!re->CheckRewriteString(r.rewrite_substitution, &why)) fail(sub, why);
      if (r.rewrite_substitution.empty() || r.rewrite_substitution[0] != '/' ||
          !isVisible(r.rewrite_substitution))
        fail(sub, "a substitution is a path: it starts with '/' and has no spaces");
      r.rewrite_regex = std::move(re);
    }
  }
  if (auto v = m.get("hsts")) {
    r.hsts = loadHsts(*v);
    r.hsts_set = true;
  }
  if (auto v = m.get("cors")) loadCors(*v, r.cors);
  if (auto v = m.get("compress")) loadCompression(*v, r.compress);
  if (auto v = m.get("static")) loadStaticFiles(*v, r);
  if (auto v = m.get("security_headers")) loadSecurityHeaders(*v, r);
}

// `static: { root, index, strip_prefix, max_age }` (file checks: config/load_static.cc).
void Loader::loadStaticFiles(const Field& f, Route& r) const {
  const MapReader m(*this, f, {"root", "index", "strip_prefix", "max_age"});
  StaticFiles& s = r.static_files;
  s.enabled = true;
  const Field root = m.require("root");
  s.root = nonEmpty(root);
  if (std::string e = staticRootError(s.root); !e.empty()) fail(root, e);
  if (auto v = m.get("index")) {
    s.index.clear();
    for (const Field& item : list(*v, "file names")) {
      s.index.push_back(str(item));
      if (std::string e = staticIndexNameError(s.index.back()); !e.empty()) fail(item, e);
    }
  }
  if (auto v = m.get("strip_prefix")) s.strip_prefix = boolean(*v);
  if (auto v = m.get("max_age"))
    s.max_age_s = static_cast<int64_t>(unsignedValue(*v, 0, kMaxHstsAgeS));
  if (!r.prefix_rewrite.empty() || r.rewrite_regex)
    fail(f, "rewrite changes the path sent to a cluster; static routes use strip_prefix");
}

// `mirror: { cluster: NAME, fraction: 0..1 | "N%" }`.
void Loader::loadMirror(const Field& f, RouteMirror& mirror) {
  const MapReader m(*this, f, {"cluster", "fraction"});
  const Field cluster = m.require("cluster");
  mirror.cluster = nonEmpty(cluster);
  cluster_refs_.push_back(ClusterRef{cluster, mirror.cluster});
  if (auto v = m.get("fraction")) mirror.fraction_ppm = fraction(*v);
}

uint32_t Loader::fraction(const Field& f) const {
  const std::string s = f.node.IsScalar() ? f.node.Scalar() : std::string();
  std::string_view num = s;
  const bool percent = !num.empty() && num.back() == '%';
  if (percent) num.remove_suffix(1);
  double v = -1;
  const auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
  if (num.empty() || ec != std::errc() || end != num.data() + num.size() || !(v >= 0) ||
      v > (percent ? 100.0 : 1.0)) {
    fail(f, "expected a fraction from 0 to 1 (e.g. 0.1) or a percentage (e.g. \"10%\"), got " +
                describe(f.node));
  }
  if (percent) v /= 100.0;
  return static_cast<uint32_t>(v * RouteMirror::kAll + 0.5);
}

// `compress: true | { codings: [zstd, br, gzip], min_size, types, level }`.
void Loader::loadCompression(const Field& f, Compression& c) const {
  if (f.node.IsScalar()) {
    c.enabled = boolean(f);
    return;
  }
  const MapReader m(*this, f, {"codings", "min_size", "types", "level"});
  c.enabled = true;
  if (auto v = m.get("codings")) {
    c.codings.clear();
    for (const Field& item : list(*v, "codings (zstd, br, gzip)")) {
      std::string name = choice(item, {"zstd", "br", "gzip"});
      if (std::find(c.codings.begin(), c.codings.end(), name) != c.codings.end())
        fail(item, "'" + name + "' is listed twice");
      c.codings.push_back(std::move(name));
    }
    if (c.codings.empty()) fail(*v, "at least one coding is required (zstd, br, gzip)");
  }
  if (auto v = m.get("min_size")) c.min_size = size(*v, 0, UINT32_MAX);
  if (auto v = m.get("types")) {
    c.types.clear();
    for (const Field& item : list(*v, "media types")) {
      std::string t = nonEmpty(item);
      if (t.find('/') == std::string::npos || !isVisible(t))
        fail(item, "not a media type: '" + t + "' (like text/html or text/*)");
      c.types.push_back(std::move(t));
    }
  }
  if (auto v = m.get("level")) c.level = static_cast<int>(unsignedValue(*v, 1, 11));
}

// `cors: { allow_origins, allow_methods, allow_headers, expose_headers, allow_credentials,
// max_age }`.
void Loader::loadCors(const Field& f, Cors& c) const {
  const MapReader m(*this, f,
                    {"allow_origins", "allow_methods", "allow_headers", "expose_headers",
                     "allow_credentials", "max_age"});
  c.enabled = true;
  auto strings = [&](const Field& g, bool tokens) {
    std::vector<std::string> out;
    for (const Field& item : list(g, "strings")) {
      std::string v = nonEmpty(item);
      if (tokens ? !isToken(v) : !isVisible(v)) fail(item, "not a valid value: '" + v + "'");
      out.push_back(std::move(v));
    }
    return out;
  };
  c.allow_origins = strings(m.require("allow_origins"), false);
  if (auto v = m.get("allow_methods")) c.allow_methods = strings(*v, true);
  if (auto v = m.get("allow_headers")) c.allow_headers = strings(*v, true);
  if (auto v = m.get("expose_headers")) c.expose_headers = strings(*v, true);
  if (auto v = m.get("allow_credentials")) c.allow_credentials = boolean(*v);
  if (auto v = m.get("max_age")) c.max_age_s = static_cast<uint32_t>(duration(*v, true) / 1000);
}

// `security_headers: true | { NAME: value | false }`: the preset (nosniff, frame options,
// referrer policy, CSP, permissions policy, HSTS on TLS), each overridable or removable. The
// fields become response_headers `set` entries, unless the route sets that field itself.
void Loader::loadSecurityHeaders(const Field& f, Route& r) const {
  struct Preset {
    std::string_view key, header, value;
  };
  static constexpr Preset kPreset[] = {
      {"content_type_options", "X-Content-Type-Options", "nosniff"},
      {"frame_options", "X-Frame-Options", "SAMEORIGIN"},
      {"referrer_policy", "Referrer-Policy", "strict-origin-when-cross-origin"},
      {"content_security_policy", "Content-Security-Policy",
       "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"},
      {"permissions_policy", "Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
  };
  if (f.node.IsScalar() && !boolean(f)) return;
  std::optional<MapReader> m;
  if (!f.node.IsScalar()) {
    m.emplace(*this, f,
              std::initializer_list<std::string_view>{"content_type_options", "frame_options",
                                                      "referrer_policy", "content_security_policy",
                                                      "permissions_policy", "hsts"});
  }
  for (const Preset& p : kPreset) {
    std::string value(p.value);
    if (m) {
      if (auto v = m->get(p.key)) {
        if (v->node.IsScalar() && (v->node.Scalar() == "false" || v->node.Scalar() == "off"))
          continue;
        value = nonEmpty(*v);
        if (value.find_first_of("\r\n") != std::string::npos)
          fail(*v, "a header value is one line");
      }
    }
    bool own = false;
    for (const auto& kv : r.response_headers.set)
      if (kv.first == p.header) own = true;
    if (!own) r.response_headers.set.emplace_back(std::string(p.header), std::move(value));
  }
  if (!r.hsts_set) {
    if (m && m->get("hsts")) {
      r.hsts = loadHsts(*m->get("hsts"));
    } else {
      r.hsts.enabled = true;
    }
    r.hsts_set = true;
  }
}

void Loader::checkRouteVars(const VarUse& use, Route& r) const {
  if (use.geo_at && !geo_)
    fail(*use.geo_at, "${geo.country} and ${geo.continent} need the top-level geoip database");
  r.geo_vars = use.geo_at.has_value();
  if (use.max_capture < 0) return;
  const Field& at = *use.capture_at;
  if (r.match.path_regex.empty())
    fail(at, "${capture." + std::to_string(use.max_capture) +
                 "} needs a path_regex in the route's match: the captures are its groups");
  auto re = std::make_shared<re2::RE2>(r.match.path_regex, re2::RE2::Quiet);
  if (!re->ok()) fail(at, "invalid path_regex: " + re->error());  // reported by match first
  const int groups = re->NumberOfCapturingGroups();
  if (use.max_capture > groups)
    fail(at, "${capture." + std::to_string(use.max_capture) + "}: the route's path_regex has " +
                 (groups == 0 ? std::string("no capture groups")
                              : "only " + std::to_string(groups) + " capture group" +
                                    (groups == 1 ? "" : "s")));
  r.capture_regex = std::move(re);
  r.capture_count = static_cast<uint8_t>(use.max_capture + 1);
}

// `{ set: { Name: value }, add: { Name: value }, remove: [ Name ] }`.
HeaderOps Loader::loadHeaderOps(const Field& f, VarUse& use) const {
  HeaderOps ops;
  const MapReader m(*this, f, {"set", "add", "remove"});
  auto pairs = [&](const Field& g, std::vector<std::pair<std::string, std::string>>& out) {
    if (!g.node.IsMap()) fail(g, "expected a map of header name: value, got " + describe(g.node));
    for (auto it = g.node.begin(); it != g.node.end(); ++it) {
      const YAML::Node k = it->first;
      const YAML::Node val = it->second;
      const Field vf{childPath(g.path, k.IsScalar() ? k.Scalar() : "?"), val, k.Mark()};
      if (!k.IsScalar() || !isToken(k.Scalar())) fail(k.Mark(), g.path, "not a valid header name");
      std::string value = str(vf);
      if (value.find_first_of("\r\n") != std::string::npos || value.find('\0') != std::string::npos)
        fail(vf, "a header value is one line");
      int max_capture = -1;
      bool geo = false;
      const std::string bad = checkVariables(value, &max_capture, &geo);
      if (!bad.empty()) fail(vf, bad);
      if (max_capture > use.max_capture) {
        use.max_capture = max_capture;
        use.capture_at = vf;
      }
      if (geo && !use.geo_at) use.geo_at = vf;
      out.emplace_back(k.Scalar(), std::move(value));
    }
  };
  if (auto v = m.get("set")) pairs(*v, ops.set);
  if (auto v = m.get("add")) pairs(*v, ops.add);
  if (auto v = m.get("remove")) {
    for (const Field& item : list(*v, "header names")) {
      std::string name = nonEmpty(item);
      if (!isToken(name)) fail(item, "not a valid header name: '" + name + "'");
      ops.remove.push_back(std::move(name));
    }
  }
  return ops;
}

void Loader::loadGeoIp(const Field& f, Config& c) {
  const MapReader m(*this, f, {"database"});
  const Field db = m.require("database");
  c.geoip.database = nonEmpty(db);
  std::string error;
  geo_ = router::GeoDatabase::open(c.geoip.database, &error);
  if (!geo_) fail(db, error);
  c.geoip.handle = geo_;
}

void Loader::loadListeners(const Field& f, Config& c) {
  const std::vector<Field> items = list(f, "listeners");
  if (items.empty()) fail(f, "at least one listener is required");
  for (const Field& item : items) {
    MapReader m(*this, item,
                {"name", "address", "routes", "tls", "hsts", "redirect_https", "client_cert_header",
                 "http2"});
    Listener l;
    const Field addr = m.require("address");
    l.address = address(addr, /*allow_any_host=*/true);
    for (size_t i = 0; i < c.listeners.size(); ++i) {
      if (c.listeners[i].address == l.address) {
        fail(addr, "duplicate listener address '" + l.address + "' (also used by listeners[" +
                       std::to_string(i) + "])");
      }
    }
    if (std::optional<Field> name = m.get("name")) {
      l.name = nonEmpty(*name);
      for (size_t i = 0; i < c.listeners.size(); ++i) {
        if (c.listeners[i].name == l.name) {
          fail(*name, "duplicate listener name '" + l.name + "' (also used by listeners[" +
                          std::to_string(i) + "])");
        }
      }
    } else {
      l.name = l.address;
    }
    const Field routes = m.require("routes");
    const std::vector<Field> route_items = list(routes, "routes");
    if (route_items.empty()) fail(routes, "a listener needs at least one route");
    // Routes without conditions, by host and path keys: a second one could never match.
    std::unordered_map<std::string, size_t> plain;
    for (const Field& ri : route_items) {
      Route r = loadRoute(ri);
      if (!r.match.condition) {
        const std::string key = r.match.host + '\0' + r.match.path_prefix + '\0' + r.match.path;
        auto [it, fresh] = plain.try_emplace(key, l.routes.size());
        if (!fresh) {
          fail(ri, "duplicate route: same host and path_prefix as " +
                       indexPath(routes.path, it->second) + ", so it could never match");
        }
      }
      l.routes.push_back(std::move(r));
    }
    loadListenerTlsKeys(m, l);
    loadListenerHttp2(m, l);
    c.listeners.push_back(std::move(l));
  }
}

Cluster Loader::loadCluster(const Field& f, std::optional<Field>* name_field) const {
  MapReader m(*this, f,
              {"name", "servers", "connect_timeout", "response_timeout", "max_idle", "idle_timeout",
               "rewrite_host", "lb", "health_check", "outlier_detection", "slow_start", "retry",
               "circuit_breaker", "sticky", "tls", "protocol"});
  Cluster cl;
  *name_field = m.require("name");
  cl.name = nonEmpty(**name_field);
  const Field servers = m.require("servers");
  const std::vector<Field> items = list(servers, "servers");
  if (items.empty()) fail(servers, "a cluster needs at least one server");
  for (const Field& item : items) {
    Server s;
    if (item.node.IsMap()) {
      MapReader sm(*this, item, {"address", "weight", "backup"});
      s.address = address(sm.require("address"), /*allow_any_host=*/false);
      if (std::optional<Field> w = sm.get("weight")) {
        s.weight = static_cast<uint32_t>(unsignedValue(*w, 1, kMaxWeight));
      }
      if (std::optional<Field> b = sm.get("backup")) s.backup = boolean(*b);
    } else if (item.node.IsScalar()) {
      s.address = address(item, /*allow_any_host=*/false);
    } else {
      fail(item,
           "expected a server address (HOST:PORT) or a map with 'address', 'weight' and "
           "'backup', "
           "got " +
               describe(item.node));
    }
    for (size_t i = 0; i < cl.servers.size(); ++i) {
      if (cl.servers[i].address == s.address) {
        fail(item, "duplicate server '" + s.address + "' (same as " + indexPath(servers.path, i) +
                       "; use weight instead)");
      }
    }
    cl.servers.push_back(std::move(s));
  }
  if (std::all_of(cl.servers.begin(), cl.servers.end(), [](const Server& s) { return s.backup; })) {
    fail(servers, "every server is a backup; at least one must be a primary (backup: false)");
  }
  if (auto v = m.get("connect_timeout")) cl.connect_timeout_ms = duration(*v, false);
  if (auto v = m.get("response_timeout")) cl.response_timeout_ms = duration(*v, false);
  if (auto v = m.get("max_idle")) cl.max_idle = static_cast<uint32_t>(unsignedValue(*v, 0, 100000));
  if (auto v = m.get("idle_timeout")) cl.idle_timeout_ms = duration(*v, false);
  if (auto v = m.get("rewrite_host")) cl.rewrite_host = boolean(*v);
  if (auto v = m.get("lb")) cl.lb = loadLoadBalancing(*v);
  if (auto v = m.get("health_check")) cl.health_check = loadHealthCheck(*v);
  if (auto v = m.get("outlier_detection")) cl.outlier_detection = loadOutlierDetection(*v);
  if (auto v = m.get("slow_start")) cl.slow_start_ms = duration(*v, /*allow_zero=*/true);
  if (auto v = m.get("retry")) cl.retry = loadRetry(*v);
  if (auto v = m.get("circuit_breaker")) cl.circuit_breaker = loadCircuitBreaker(*v);
  if (auto v = m.get("tls")) cl.tls = loadClusterTls(*v);
  if (auto v = m.get("protocol")) {
    const std::string p = choice(*v, {"http1", "h2", "auto"});
    if (p == "h2") {
      cl.protocol = Cluster::Protocol::H2;
      cl.tls.alpn = {"h2"};  // over TLS the servers must agree to h2 by ALPN
    } else if (p == "auto") {
      if (!cl.tls.enabled)
        fail(*v, "auto picks the protocol by TLS ALPN: it needs tls (for h2c use h2)");
      cl.protocol = Cluster::Protocol::Auto;
      cl.tls.alpn = {"h2", "http/1.1"};
    }
  }
  if (auto v = m.get("sticky")) {
    const MapReader sm(*this, *v, {"cookie"});
    const Field cookie = sm.require("cookie");
    cl.sticky_cookie = nonEmpty(cookie);
    if (!isToken(cl.sticky_cookie)) {
      fail(cookie, "cookie name must be a single token (letters, digits, -._~ etc.), got '" +
                       cl.sticky_cookie + "'");
    }
  }
  return cl;
}

// `http2:` true or a map of limits. A TLS listener without its own tls.alpn then offers h2
// first; one whose alpn lists h2 serves HTTP/2 even without `http2:`.
void Loader::loadListenerHttp2(const MapReader& m, Listener& l) const {
  ListenerHttp2& h = l.http2;
  if (auto v = m.get("http2")) {
    if (v->node.IsScalar()) {
      h.enabled = boolean(*v);
    } else {
      const MapReader hm(*this, *v,
                         {"max_concurrent_streams", "initial_window_size", "max_header_list_size",
                          "max_frame_size", "zero_window_timeout"});
      h.enabled = true;
      if (auto x = hm.get("max_concurrent_streams"))
        h.max_concurrent_streams = static_cast<uint32_t>(unsignedValue(*x, 1, 100000));
      if (auto x = hm.get("initial_window_size"))
        h.initial_window_size = static_cast<uint32_t>(unsignedValue(*x, 1, 2147483647));
      if (auto x = hm.get("max_header_list_size"))
        h.max_header_list_size = static_cast<uint32_t>(unsignedValue(*x, 1024, 65536));
      if (auto x = hm.get("max_frame_size"))
        h.max_frame_size = static_cast<uint32_t>(unsignedValue(*x, 16384, 16777215));
      if (auto x = hm.get("zero_window_timeout"))
        h.zero_window_timeout_ms = duration(*x, /*allow_zero=*/false);
    }
    const std::optional<Field> tls = m.get("tls");
    const bool alpn_given = tls && tls->node.IsMap() && tls->node["alpn"];
    if (h.enabled && l.tls.enabled && !alpn_given) l.tls.alpn = {"h2", "http/1.1"};
  }
  if (l.tls.enabled && std::find(l.tls.alpn.begin(), l.tls.alpn.end(), "h2") != l.tls.alpn.end()) {
    h.enabled = true;
  }
}

// Listener keys that belong to TLS: `tls`, `hsts`, `redirect_https`, `client_cert_header`,
// with their cross-checks (HSTS only over TLS, redirects only from plain listeners, ...).
void Loader::loadListenerTlsKeys(const MapReader& m, Listener& l) const {
  const std::optional<Field> tls = m.get("tls");
  if (tls) l.tls = loadListenerTls(*tls);
  if (auto v = m.get("hsts")) {
    l.hsts = loadHsts(*v);
    if (l.hsts.enabled && !l.tls.enabled) {
      fail(v->fallback, v->path,
           "hsts needs tls on this listener (browsers ignore Strict-Transport-Security over "
           "plain HTTP, RFC 6797 section 8.1)");
    }
  }
  if (auto v = m.get("redirect_https")) {
    if (l.tls.enabled) {
      fail(v->fallback, v->path,
           "redirect_https is for plain listeners; this listener already has tls");
    }
    l.redirect_https_port = static_cast<uint16_t>(unsignedValue(*v, 1, 65535));
  }
  if (auto v = m.get("client_cert_header")) {
    if (l.tls.client_auth == ListenerTls::ClientAuth::None) {
      fail(v->fallback, v->path,
           "client_cert_header needs tls.client_auth: optional or required on this listener");
    }
    l.client_cert_header = str(*v);
    if (!l.client_cert_header.empty() && !isToken(l.client_cert_header)) {
      fail(*v,
           "expected a header name (letters, digits, -._~ etc.) or \"\" to not send it, "
           "got '" +
               l.client_cert_header + "'");
    }
  }
}

ListenerTls Loader::loadListenerTls(const Field& f) const {
  const MapReader m(*this, f,
                    {"certificates", "policy", "alpn", "session_tickets", "ticket_rotation",
                     "session_cache_size", "client_auth", "client_ca", "reload_check"});
  ListenerTls t;
  t.enabled = true;
  const Field certs = m.require("certificates");
  const std::vector<Field> items = list(certs, "certificates ({ cert: FILE, key: FILE })");
  if (items.empty()) fail(certs, "a TLS listener needs at least one certificate");
  for (const Field& item : items) t.certificates.push_back(loadTlsCertificate(item));
  if (auto v = m.get("policy")) t.policy = choice(*v, {"intermediate", "modern"});
  if (auto v = m.get("alpn")) t.alpn = loadAlpn(*v);
  if (auto v = m.get("session_tickets")) t.session_tickets = boolean(*v);
  if (auto v = m.get("ticket_rotation")) {
    t.ticket_rotation_ms = duration(*v, /*allow_zero=*/false);
    if (t.ticket_rotation_ms < kMinTicketRotationMs) {
      fail(*v, "must be at least " + durationText(kMinTicketRotationMs));
    }
  }
  if (auto v = m.get("session_cache_size")) {
    t.session_cache_size = static_cast<uint32_t>(unsignedValue(*v, 0, kMaxSessionCache));
  }
  std::optional<Field> auth = m.get("client_auth");
  std::optional<Field> ca = m.get("client_ca");
  if (auth) {
    const std::string a = choice(*auth, {"none", "optional", "required"});
    t.client_auth = a == "optional"   ? ListenerTls::ClientAuth::Optional
                    : a == "required" ? ListenerTls::ClientAuth::Required
                                      : ListenerTls::ClientAuth::None;
  }
  if (ca) t.client_ca_file = nonEmpty(*ca);
  if (t.client_auth != ListenerTls::ClientAuth::None && !ca) {
    fail(f.mark(), childPath(f.path, "client_ca"),
         "missing required key 'client_ca' (client_auth " + auth->node.Scalar() +
             " verifies client certificates against these CAs)");
  }
  if (ca && t.client_auth == ListenerTls::ClientAuth::None) {
    fail(ca->fallback, ca->path,
         "client_ca is only used with client_auth: optional or required (client_auth is none)");
  }
  if (auto v = m.get("reload_check")) t.reload_check_ms = duration(*v, /*allow_zero=*/false);
  return t;
}

TlsCertificate Loader::loadTlsCertificate(const Field& f) const {
  const MapReader m(*this, f, {"cert", "key", "ocsp"});
  TlsCertificate c;
  c.cert_file = nonEmpty(m.require("cert"));
  c.key_file = nonEmpty(m.require("key"));
  if (auto v = m.get("ocsp")) c.ocsp_file = nonEmpty(*v);
  return c;
}

std::vector<std::string> Loader::loadAlpn(const Field& f) const {
  std::vector<std::string> out;
  const std::vector<Field> items = list(f, "protocols (http/1.1)");
  if (items.empty()) fail(f, "at least one protocol is required (http/1.1)");
  for (const Field& item : items) {
    std::string p = choice(item, kAlpnProtocols);
    if (std::find(out.begin(), out.end(), p) != out.end()) {
      fail(item, "'" + p + "' is listed twice");
    }
    out.push_back(std::move(p));
  }
  return out;
}

// `hsts: true | false | { max_age: SECONDS, include_subdomains: BOOL, preload: BOOL }`.
Hsts Loader::loadHsts(const Field& f) const {
  Hsts h;
  if (f.node.IsScalar()) {
    h.enabled = boolean(f);
    return h;
  }
  const MapReader m(*this, f, {"max_age", "include_subdomains", "preload"});
  h.enabled = true;
  if (auto v = m.get("max_age")) {
    h.max_age_s = static_cast<uint32_t>(unsignedValue(*v, 0, kMaxHstsAgeS));
  }
  if (auto v = m.get("include_subdomains")) h.include_subdomains = boolean(*v);
  if (auto v = m.get("preload")) {
    h.preload = boolean(*v);
    // The preload list (hstspreload.org) refuses entries without these.
    if (h.preload && (!h.include_subdomains || h.max_age_s < kMinPreloadAgeS)) {
      fail(*v, "preload needs include_subdomains: true and max_age of at least " +
                   std::to_string(kMinPreloadAgeS) + " (one year)");
    }
  }
  return h;
}

ClusterTls Loader::loadClusterTls(const Field& f) const {
  const MapReader m(*this, f, {"sni", "verify", "ca", "cert", "key", "alpn"});
  ClusterTls t;
  t.enabled = true;
  if (auto v = m.get("sni")) {
    t.sni = nonEmpty(*v);
    std::transform(t.sni.begin(), t.sni.end(), t.sni.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    if (!isDnsName(t.sni)) {
      fail(*v, "invalid sni '" + v->node.Scalar() +
                   "' (expected a host name like api.example.com; SNI cannot be an IP address)");
    }
  }
  if (auto v = m.get("verify")) t.verify = boolean(*v);
  if (auto v = m.get("ca")) {
    t.ca_file = nonEmpty(*v);
    if (!t.verify) fail(v->fallback, v->path, "ca is unused when verify is false");
  }
  std::optional<Field> cert = m.get("cert");
  std::optional<Field> key = m.get("key");
  if (cert) t.cert_file = nonEmpty(*cert);
  if (key) t.key_file = nonEmpty(*key);
  if (cert && !key) {
    fail(f.mark(), childPath(f.path, "key"),
         "missing required key 'key' (the private key of the client certificate)");
  }
  if (key && !cert) {
    fail(f.mark(), childPath(f.path, "cert"),
         "missing required key 'cert' (the client certificate for this key)");
  }
  if (auto v = m.get("alpn")) t.alpn = loadAlpn(*v);
  return t;
}

LoadBalancing Loader::loadLoadBalancing(const Field& f) const {
  // Policy names come from the registry (sorted), so a policy added under src/upstream/lb/ is
  // accepted without touching the loader.
  const std::vector<std::string> names = upstream::lb::policyNames();
  const std::vector<std::string_view> policies(names.begin(), names.end());
  LoadBalancing lb;
  if (f.node.IsScalar()) {
    lb.policy = choice(f, policies);
    return lb;
  }
  if (!f.node.IsMap()) {
    fail(f, "expected a policy name (" + joinNames(policies) +
                ") or a map with keys policy, key, choices, got " + describe(f.node));
  }
  const MapReader m(*this, f, {"policy", "key", "choices"});
  lb.policy = choice(m.require("policy"), policies);
  if (auto v = m.get("key")) {
    if (lb.policy != "hash") {
      fail(v->fallback, v->path,
           "'key' is only valid with policy hash (policy is " + lb.policy + ")");
    }
    const MapReader km(*this, *v, {"source", "name"});
    const std::string source =
        choice(km.require("source"), {"ip", "header", "cookie", "query", "path"});
    if (source == "ip") lb.key_source = LoadBalancing::KeySource::Ip;
    if (source == "header") lb.key_source = LoadBalancing::KeySource::Header;
    if (source == "cookie") lb.key_source = LoadBalancing::KeySource::Cookie;
    if (source == "query") lb.key_source = LoadBalancing::KeySource::Query;
    if (source == "path") lb.key_source = LoadBalancing::KeySource::Path;
    const bool named = source == "header" || source == "cookie" || source == "query";
    std::optional<Field> name = km.get("name");
    if (named) {
      if (!name) {
        fail(v->mark(), childPath(v->path, "name"),
             "missing required key 'name' (source " + source + " needs the " + source + " name)");
      }
      lb.key_name = nonEmpty(*name);
      if (!isToken(lb.key_name)) {
        fail(*name,
             "name must be a single token (letters, digits, -._~ etc.), got '" + lb.key_name + "'");
      }
    } else if (name) {
      fail(name->fallback, name->path,
           "'name' is only valid with source header, cookie or query (source is " + source + ")");
    }
  }
  if (auto v = m.get("choices")) {
    if (lb.policy != "p2c") {
      fail(v->fallback, v->path,
           "'choices' is only valid with policy p2c (policy is " + lb.policy + ")");
    }
    lb.choices = static_cast<uint32_t>(unsignedValue(*v, 2, kMaxP2cChoices));
  }
  return lb;
}

std::pair<uint16_t, uint16_t> Loader::statusRange(const Field& f) const {
  const std::string expected =
      "expected a status code from 100 to 599 or a range like \"200-299\", got " + describe(f.node);
  if (!f.node.IsScalar()) fail(f, expected);
  const std::string& s = f.node.Scalar();
  const size_t dash = s.find('-');
  const std::string_view lo_text = std::string_view(s).substr(0, dash);
  const std::string_view hi_text =
      dash == std::string::npos ? lo_text : std::string_view(s).substr(dash + 1);
  const std::optional<uint64_t> lo = parseUnsigned(lo_text, 999);
  const std::optional<uint64_t> hi = parseUnsigned(hi_text, 999);
  if (!lo || !hi) fail(f, expected);
  if (*lo < 100 || *hi > 599) fail(f, "status codes must be from 100 to 599, got '" + s + "'");
  if (*lo > *hi) fail(f, "range '" + s + "' is empty: its start is above its end");
  return {static_cast<uint16_t>(*lo), static_cast<uint16_t>(*hi)};
}

HealthCheck Loader::loadHealthCheck(const Field& f) const {
  const MapReader m(*this, f,
                    {"type", "interval", "timeout", "rise", "fall", "jitter", "method", "path",
                     "host", "expect_status", "body_contains", "send", "expect", "command"});
  HealthCheck hc;
  const std::string type = choice(m.require("type"), {"http", "tcp", "script"});
  hc.type = type == "http"  ? HealthCheck::Type::Http
            : type == "tcp" ? HealthCheck::Type::Tcp
                            : HealthCheck::Type::Script;
  // Keys that belong to one type only.
  static constexpr std::pair<std::string_view, std::string_view> kTypeKeys[] = {
      {"method", "http"},        {"path", "http"}, {"host", "http"},  {"expect_status", "http"},
      {"body_contains", "http"}, {"send", "tcp"},  {"expect", "tcp"}, {"command", "script"}};
  for (const auto& [key, owner] : kTypeKeys) {
    if (owner == type) continue;
    if (auto v = m.get(key)) {
      fail(v->fallback, v->path,
           "'" + std::string(key) + "' is only valid with type " + std::string(owner) +
               " (this check is type " + type + ")");
    }
  }

  std::optional<Field> interval = m.get("interval");
  std::optional<Field> timeout = m.get("timeout");
  if (interval) hc.interval_ms = duration(*interval, false);
  if (timeout) hc.timeout_ms = duration(*timeout, false);
  if (hc.timeout_ms >= hc.interval_ms) {
    const std::string msg = "timeout (" + durationText(hc.timeout_ms) +
                            (timeout ? "" : ", the default") + ") must be shorter than interval (" +
                            durationText(hc.interval_ms) + (interval ? "" : ", the default") + ")";
    if (timeout) fail(*timeout, msg);
    fail(*interval, msg);
  }
  if (auto v = m.get("rise")) hc.rise = static_cast<uint32_t>(unsignedValue(*v, 1, kMaxRiseFall));
  if (auto v = m.get("fall")) hc.fall = static_cast<uint32_t>(unsignedValue(*v, 1, kMaxRiseFall));
  if (auto v = m.get("jitter")) hc.jitter_ms = duration(*v, /*allow_zero=*/true);

  if (auto v = m.get("method")) {
    hc.method = nonEmpty(*v);
    if (!isToken(hc.method))
      fail(*v, "invalid method '" + hc.method + "' (expected e.g. GET or HEAD)");
  }
  if (auto v = m.get("path")) {
    hc.path = str(*v);
    if (!hc.path.starts_with("/")) fail(*v, "path must start with '/', got '" + hc.path + "'");
    if (!isVisible(hc.path)) fail(*v, "path must not contain spaces or control characters");
  }
  if (auto v = m.get("host")) {
    hc.host = nonEmpty(*v);
    if (!isVisible(hc.host)) fail(*v, "host must not contain spaces or control characters");
  }
  if (auto v = m.get("expect_status")) {
    hc.expect_status.clear();
    if (v->node.IsSequence()) {
      const std::vector<Field> items = list(*v, "status codes");
      if (items.empty()) fail(*v, "at least one status code or range is required");
      for (const Field& item : items) hc.expect_status.push_back(statusRange(item));
    } else {
      hc.expect_status.push_back(statusRange(*v));
    }
  }
  if (auto v = m.get("body_contains")) hc.body_contains = nonEmpty(*v);
  if (auto v = m.get("send")) hc.send = nonEmpty(*v);
  if (auto v = m.get("expect")) hc.expect = nonEmpty(*v);
  if (hc.type == HealthCheck::Type::Script) {
    const Field command = m.require("command");
    if (!command.node.IsSequence()) {
      fail(command,
           "expected a list: the program and its arguments, e.g. [/usr/bin/check, "
           "--fast], got " +
               describe(command.node));
    }
    const std::vector<Field> items = list(command, "arguments");
    if (items.empty()) fail(command, "must not be empty: give at least the program to run");
    for (const Field& item : items) hc.command.push_back(str(item));
    if (hc.command[0].empty()) fail(items[0], "the program must not be empty");
  }
  return hc;
}

OutlierDetection Loader::loadOutlierDetection(const Field& f) const {
  const MapReader m(*this, f,
                    {"consecutive_5xx", "consecutive_connect_failures", "base_ejection_time",
                     "max_ejection_time", "max_ejection_percent"});
  OutlierDetection od;
  od.enabled = true;
  if (auto v = m.get("consecutive_5xx")) {
    od.consecutive_5xx = static_cast<uint32_t>(unsignedValue(*v, 1, kMaxConsecutive));
  }
  if (auto v = m.get("consecutive_connect_failures")) {
    od.consecutive_connect_failures = static_cast<uint32_t>(unsignedValue(*v, 1, kMaxConsecutive));
  }
  std::optional<Field> base = m.get("base_ejection_time");
  std::optional<Field> max = m.get("max_ejection_time");
  if (base) od.base_ejection_ms = duration(*base, false);
  if (max) od.max_ejection_ms = duration(*max, false);
  if (od.max_ejection_ms < od.base_ejection_ms) {
    const std::string msg = "max_ejection_time (" + durationText(od.max_ejection_ms) +
                            (max ? "" : ", the default") +
                            ") must not be shorter than base_ejection_time (" +
                            durationText(od.base_ejection_ms) + (base ? "" : ", the default") + ")";
    if (max) fail(*max, msg);
    fail(*base, msg);
  }
  if (auto v = m.get("max_ejection_percent")) {
    od.max_ejection_percent = static_cast<uint32_t>(unsignedValue(*v, 0, 100));
  }
  return od;
}

RetryPolicy Loader::loadRetry(const Field& f) const {
  const MapReader m(*this, f,
                    {"retry_on", "max_retries", "per_try_timeout", "timeout", "backoff", "budget"});
  RetryPolicy r;
  if (auto v = m.get("retry_on")) {
    r.on_connect_failure = r.on_reset = false;
    std::vector<std::string> seen;
    for (const Field& item : list(*v, "retry conditions")) {
      const std::string cond = choice(item, kRetryConditions);
      if (std::find(seen.begin(), seen.end(), cond) != seen.end()) {
        fail(item, "'" + cond + "' is listed twice");
      }
      seen.push_back(cond);
      if (cond == "connect-failure") r.on_connect_failure = true;
      if (cond == "reset") r.on_reset = true;
      if (cond == "502") r.on_502 = true;
      if (cond == "503") r.on_503 = true;
      if (cond == "504") r.on_504 = true;
      if (cond == "per-try-timeout") r.on_per_try_timeout = true;
    }
  }
  if (auto v = m.get("max_retries")) {
    r.max_retries = static_cast<uint32_t>(unsignedValue(*v, 0, kMaxRetries));
  }
  std::optional<Field> per_try = m.get("per_try_timeout");
  std::optional<Field> overall = m.get("timeout");
  if (per_try) r.per_try_timeout_ms = duration(*per_try, /*allow_zero=*/true);
  if (overall) r.timeout_ms = duration(*overall, /*allow_zero=*/true);
  if (r.per_try_timeout_ms != 0 && r.timeout_ms != 0 && r.per_try_timeout_ms > r.timeout_ms) {
    fail(*per_try, "per_try_timeout (" + durationText(r.per_try_timeout_ms) +
                       ") must not be longer than timeout (" + durationText(r.timeout_ms) + ")");
  }
  if (auto v = m.get("backoff")) {
    const MapReader bm(*this, *v, {"base", "max"});
    std::optional<Field> base = bm.get("base");
    std::optional<Field> max = bm.get("max");
    if (base) r.backoff_base_ms = duration(*base, /*allow_zero=*/true);
    if (max) r.backoff_max_ms = duration(*max, /*allow_zero=*/true);
    if (r.backoff_max_ms < r.backoff_base_ms) {
      const std::string msg = "max (" + durationText(r.backoff_max_ms) +
                              (max ? "" : ", the default") + ") must not be shorter than base (" +
                              durationText(r.backoff_base_ms) + (base ? "" : ", the default") + ")";
      if (max) fail(*max, msg);
      fail(*base, msg);
    }
  }
  if (auto v = m.get("budget")) {
    const MapReader bm(*this, *v, {"percent", "min_concurrency"});
    if (auto p = bm.get("percent"))
      r.budget_percent = static_cast<uint32_t>(unsignedValue(*p, 0, 100));
    if (auto c = bm.get("min_concurrency")) {
      r.budget_min_concurrency = static_cast<uint32_t>(unsignedValue(*c, 0, kMaxLimit));
    }
  }
  return r;
}

CircuitBreaker Loader::loadCircuitBreaker(const Field& f) const {
  const MapReader m(*this, f, {"max_connections", "max_pending", "max_requests"});
  CircuitBreaker cb;
  if (auto v = m.get("max_connections")) {
    cb.max_connections = static_cast<uint32_t>(unsignedValue(*v, 0, kMaxLimit));
  }
  if (auto v = m.get("max_pending")) {
    cb.max_pending = static_cast<uint32_t>(unsignedValue(*v, 0, kMaxLimit));
  }
  if (auto v = m.get("max_requests")) {
    cb.max_requests = static_cast<uint32_t>(unsignedValue(*v, 0, kMaxLimit));
  }
  return cb;
}

void Loader::loadAdmin(const Field& f, Config& c) const {
  const MapReader m(*this, f, {"address"});
  const Field addr = m.require("address");
  c.admin.address = address(addr, /*allow_any_host=*/true);
  for (size_t i = 0; i < c.listeners.size(); ++i) {
    if (c.listeners[i].address == c.admin.address) {
      fail(addr, "admin address '" + c.admin.address + "' is also used by listeners[" +
                     std::to_string(i) + "]");
    }
  }
}

void Loader::loadClusters(const Field& f, Config& c) const {
  for (const Field& item : list(f, "clusters")) {
    std::optional<Field> name;
    Cluster cl = loadCluster(item, &name);
    for (size_t i = 0; i < c.clusters.size(); ++i) {
      if (c.clusters[i].name == cl.name) {
        fail(*name, "duplicate cluster name '" + cl.name + "' (also used by " +
                        indexPath(f.path, i) + ")");
      }
    }
    c.clusters.push_back(std::move(cl));
  }
}

void Loader::loadAccessLog(const Field& f, Config& c) const {
  MapReader m(*this, f, {"path", "format"});
  c.access_log.path = nonEmpty(m.require("path"));
  if (std::optional<Field> fmt = m.get("format")) {
    c.access_log.format = choice(*fmt, {"combined", "json"}) == "json"
                              ? AccessLog::Format::Json
                              : AccessLog::Format::Combined;
  }
}

// `request_id: true | false | { header, keep_incoming: trusted|always|never, response_header,
// trace_context }`.
void Loader::loadRequestId(const Field& f, Config& c) const {
  RequestId& r = c.request_id;
  if (f.node.IsScalar()) {
    r.enabled = boolean(f);
    return;
  }
  MapReader m(*this, f, {"header", "keep_incoming", "response_header", "trace_context"});
  if (auto v = m.get("header")) {
    r.header = nonEmpty(*v);
    if (!isToken(r.header)) fail(*v, "not a valid header name: '" + r.header + "'");
  }
  if (auto v = m.get("keep_incoming")) {
    const std::string k = choice(*v, {"trusted", "always", "never"});
    r.keep_incoming = k == "always"  ? RequestId::Keep::Always
                      : k == "never" ? RequestId::Keep::Never
                                     : RequestId::Keep::Trusted;
  }
  if (auto v = m.get("response_header")) r.response_header = boolean(*v);
  if (auto v = m.get("trace_context")) r.trace_context = boolean(*v);
}

void Loader::loadLimits(const Field& f, Config& c) const {
  MapReader m(*this, f,
              {"max_request_line", "max_header_bytes", "max_header_count", "max_body_size",
               "max_mirrors_in_flight"});
  if (auto v = m.get("max_request_line")) {
    c.limits.max_request_line = static_cast<uint32_t>(size(*v, 1, kMaxHeadBytes));
  }
  if (auto v = m.get("max_header_bytes")) {
    c.limits.max_header_bytes = static_cast<uint32_t>(size(*v, 1, kMaxHeadBytes));
  }
  if (auto v = m.get("max_header_count")) {
    c.limits.max_header_count = static_cast<uint32_t>(unsignedValue(*v, 1, kMaxHeaderCount));
  }
  if (auto v = m.get("max_body_size")) c.limits.max_body_bytes = size(*v, 0, UINT64_MAX);
  if (auto v = m.get("max_mirrors_in_flight"))
    c.limits.max_mirrors_in_flight = static_cast<uint32_t>(unsignedValue(*v, 0, kMaxLimit));
}

void Loader::loadTimeouts(const Field& f, Config& c) const {
  MapReader m(*this, f, {"client_header", "client_idle", "client_body", "shutdown"});
  if (auto v = m.get("client_header")) c.timeouts.client_header_ms = duration(*v, false);
  if (auto v = m.get("client_idle")) c.timeouts.client_idle_ms = duration(*v, false);
  if (auto v = m.get("client_body")) c.timeouts.client_body_ms = duration(*v, false);
  if (auto v = m.get("shutdown")) c.timeouts.shutdown_ms = duration(*v, true);
}

void Loader::loadTrustedProxies(const Field& f, Config& c) const {
  for (const Field& item : list(f, "CIDRs")) {
    std::string error;
    std::optional<net::Cidr> cidr = net::Cidr::parse(str(item), &error);
    if (!cidr) fail(item, error);
    c.trusted_proxies.push_back(cidr->toString());
  }
}

void Loader::checkRouteClusters(const Config& c) const {
  std::vector<std::string_view> names;
  for (const Cluster& cl : c.clusters) names.push_back(cl.name);
  for (const ClusterRef& ref : cluster_refs_) {
    if (c.findCluster(ref.name) != nullptr) continue;
    const std::string hint = closestMatch(ref.name, names);
    fail(ref.field,
         "unknown cluster '" + ref.name + "'" +
             (hint.empty() ? std::string(names.empty() ? " (no clusters are defined)" : "")
                           : ", did you mean '" + hint + "'?"));
  }
}

std::shared_ptr<const Config> Loader::load() {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text_);
  } catch (const YAML::Exception& e) {
    std::string msg = "syntax error: " + e.msg;
    if (!e.mark.is_null()) {
      // Find the offending line to explain the most common surprise.
      std::istringstream lines(text_);
      std::string line;
      for (int i = 0; i <= e.mark.line && std::getline(lines, line); ++i) {
      }
      if (looksLikeUnquotedIpv6(line)) {
        msg += " (IPv6 addresses must be quoted, e.g. \"[::1]:8080\")";
      }
    }
    throw ConfigError(locate(source_, e.mark) + ": " + msg);
  }
  if (docs.size() > 1) {
    fail(docs[1].Mark(), kRootKey, "only one YAML document is allowed per config file");
  }
  auto c = std::make_shared<Config>();
  c->source = source_;
  const Field root{"", docs.empty() ? YAML::Node() : docs[0], YAML::Mark()};
  if (root.node.IsNull()) fail(root.mark(), "listeners", "at least one listener is required");
  if (!root.node.IsMap()) {
    fail(root.mark(), kRootKey, "expected a map of settings, got " + describe(root.node));
  }
  const MapReader m(
      *this, root,
      {"workers", "listeners", "clusters", "access_log", "error_log", "limits", "timeouts",
       "trusted_proxies", "server_header", "via", "admin", "geoip", "request_id"});

  if (auto v = m.get("workers")) loadWorkers(*v, *c);
  if (auto v = m.get("geoip")) loadGeoIp(*v, *c);  // before the routes that use it
  loadListeners(m.require("listeners"), *c);
  if (auto v = m.get("clusters")) loadClusters(*v, *c);
  if (auto v = m.get("access_log")) loadAccessLog(*v, *c);
  if (auto v = m.get("request_id")) loadRequestId(*v, *c);
  if (auto v = m.get("error_log")) {
    const MapReader em(*this, *v, {"level"});
    if (auto level = em.get("level")) {
      c->error_log_level = choice(*level, {"debug", "info", "warn", "error"});
    }
  }
  if (auto v = m.get("limits")) loadLimits(*v, *c);
  if (auto v = m.get("timeouts")) loadTimeouts(*v, *c);
  if (auto v = m.get("trusted_proxies")) loadTrustedProxies(*v, *c);
  if (auto v = m.get("server_header")) c->server_header = boolean(*v);
  if (auto v = m.get("via")) {
    const std::string via = nonEmpty(*v);
    // It goes into "Via: 1.1 <name>", so it must be an HTTP token.
    if (!isToken(via))
      fail(*v, "via must be a single token (letters, digits, -._~ etc.), got '" + via + "'");
    c->via_name = via;
  }
  if (auto v = m.get("admin")) loadAdmin(*v, *c);
  checkRouteClusters(*c);
  return c;
}

}  // namespace

std::shared_ptr<const Config> loadConfigText(const std::string& text, const std::string& source) {
  return Loader(text, source).load();
}

std::shared_ptr<const Config> loadConfigFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
  std::string text;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) {
      text.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      const int err = errno;
      ::close(fd);
      throw ConfigError(path + ": cannot read: " + std::strerror(err));
    }
  }
  ::close(fd);
  return loadConfigText(text, path);
}

}  // namespace portico::config
