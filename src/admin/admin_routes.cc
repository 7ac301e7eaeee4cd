#include "admin/admin_routes.h"

#include <cstdint>
#include <exception>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <vector>

#include "net/address.h"

namespace portico::admin {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;  // output keeps the documented field order

constexpr uint64_t kMaxWeight = 1000;  // same range as servers[].weight in the config

std::string dumpJson(const ordered_json& j) {
  // Strings may hold bytes from the request path that are not UTF-8: replace, never throw.
  return j.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

AdminReply reply(int status, const ordered_json& j) {
  return {status, dumpJson(j), {}};
}

AdminReply error(int status, std::string message) {
  return reply(status, ordered_json{{"error", std::move(message)}});
}

AdminReply methodNotAllowed(std::string_view method, const char* allow) {
  AdminReply r = error(405, "method " + std::string(method) + " not allowed here; use " + allow);
  r.allow = allow;
  return r;
}

// An error from a ClusterAdmin mutator: its status when it is an error status, else 400.
AdminReply apiError(int status, const std::string& message) {
  if (status < 400 || status > 599) status = 400;
  return error(status, message);
}

ordered_json serverJson(const ServerStatus& s) {
  return ordered_json{{"address", s.address},     {"weight", s.weight},
                      {"backup", s.backup},       {"healthy", s.healthy},
                      {"ejected", s.ejected},     {"admin", adminStateName(s.admin)},
                      {"in_flight", s.in_flight}, {"requests", s.requests},
                      {"failures", s.failures},   {"ejections", s.ejections}};
}

ordered_json serversJson(const ClusterStatus& c) {
  ordered_json servers = ordered_json::array();
  for (const ServerStatus& s : c.servers) servers.push_back(serverJson(s));
  return servers;
}

ordered_json clusterJson(const ClusterStatus& c) {
  return ordered_json{{"name", c.name},
                      {"policy", c.policy},
                      {"servers", serversJson(c)},
                      {"counters",
                       {{"active_requests", c.active_requests},
                        {"connections_in_use", c.connections_in_use},
                        {"pending", c.pending},
                        {"overflow_requests", c.overflow_requests},
                        {"overflow_connections", c.overflow_connections},
                        {"retries", c.retries},
                        {"retry_budget_exhausted", c.retry_budget_exhausted},
                        {"no_server", c.no_server},
                        {"mirrored", c.mirrored},
                        {"mirror_skipped", c.mirror_skipped},
                        {"mirror_dropped", c.mirror_dropped},
                        {"mirror_failed", c.mirror_failed}}}};
}

// True when `a` and `b` name the same server: equal text, or equal once parsed ("localhost:80"
// and "127.0.0.1:80", "[::1]:80" written with different zero compression).
bool sameAddress(const std::string& a, const std::string& b) {
  if (a == b) return true;
  net::Address pa, pb;
  return net::parseAddress(a, pa) && net::parseAddress(b, pb) && pa.toString() == pb.toString();
}

const ClusterStatus* findCluster(const std::vector<ClusterStatus>& all, const std::string& name) {
  for (const ClusterStatus& c : all) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const ServerStatus* findServer(const ClusterStatus& c, const std::string& address) {
  for (const ServerStatus& s : c.servers) {
    if (s.address == address) return &s;
  }
  for (const ServerStatus& s : c.servers) {
    if (sameAddress(s.address, address)) return &s;
  }
  return nullptr;
}

// Same wording as the server's ClusterAdmin errors.
AdminReply unknownCluster(const std::string& name) {
  return error(404, "no cluster named '" + name + "'");
}

AdminReply unknownServer(const std::string& cluster, const std::string& address) {
  return error(404, "cluster '" + cluster + "' has no server '" + address + "'");
}

// The address under which `cluster` lists the server that `address` names ("[0::1]:80" ->
// "[::1]:80"), so mutators find it; `address` itself when the cluster or server is unknown.
std::string listedAddress(ClusterAdmin& api, const std::string& cluster,
                          const std::string& address) {
  std::vector<ClusterStatus> all = api.clusters();
  const ClusterStatus* c = findCluster(all, cluster);
  const ServerStatus* s = c ? findServer(*c, address) : nullptr;
  return s ? s->address : address;
}

// Parses `body` as a JSON object whose keys are all in `allowed`. Returns nullopt with `err` set
// otherwise.
std::optional<json> parseObject(std::string_view body, std::initializer_list<const char*> allowed,
                                std::string& err) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    err = "missing JSON body";
    return std::nullopt;
  }
  json j;
  try {
    j = json::parse(body);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at ..." -> "parse error at ..."
    size_t cut = what.find("] ");
    err = "invalid JSON: " + (cut == std::string::npos ? what : what.substr(cut + 2));
    return std::nullopt;
  }
  if (!j.is_object()) {
    err = "request body must be a JSON object";
    return std::nullopt;
  }
  for (const auto& item : j.items()) {
    bool known = false;
    for (const char* a : allowed) known = known || item.key() == a;
    if (!known) {
      err = "unknown field \"" + item.key() + "\"";
      return std::nullopt;
    }
  }
  return j;
}

// Reads a weight (integer 1-1000). Returns false with `err` set otherwise.
bool readWeight(const json& v, uint32_t& out, std::string& err) {
  // Non-negative integers parse as unsigned; negatives, floats and other types are refused.
  bool ok = false;
  if (v.is_number_unsigned()) {
    uint64_t w = v.get<uint64_t>();
    ok = w >= 1 && w <= kMaxWeight;
    if (ok) out = static_cast<uint32_t>(w);
  }
  if (!ok) err = "\"weight\" must be an integer from 1 to " + std::to_string(kMaxWeight);
  return ok;
}

// The decoded path of a request, split into segments.
struct Path {
  std::vector<std::string> segs;
  std::string text;  // decoded, for messages
};

// Splits and decodes `target`. Returns an error reply on a malformed target.
std::optional<AdminReply> splitTarget(std::string_view target, Path& out) {
  std::string_view path = target;
  if (size_t q = path.find_first_of("?#"); q != std::string_view::npos) path = path.substr(0, q);
  for (std::string_view scheme : {"http://", "https://"}) {
    if (path.size() >= scheme.size() && path.substr(0, scheme.size()) == scheme) {
      size_t slash = path.find('/', scheme.size());
      path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
    }
  }
  if (path.empty() || path[0] != '/') return error(400, "invalid request target");
  path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);  // "/clusters/" = "/clusters"
  if (path.empty()) return std::nullopt;
  size_t start = 0;
  for (;;) {
    size_t end = path.find('/', start);
    std::string_view raw =
        path.substr(start, end == std::string_view::npos ? path.npos : end - start);
    std::optional<std::string> seg = percentDecode(raw);
    if (!seg) return error(400, "invalid percent-encoding in path");
    out.text += "/" + *seg;
    out.segs.push_back(std::move(*seg));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return std::nullopt;
}

AdminReply handleHealth(std::string_view method, bool get) {
  if (!get) return methodNotAllowed(method, "GET, HEAD");
  return reply(200, ordered_json{{"status", "ok"}});
}

AdminReply handleClusters(ClusterAdmin& api, std::string_view method, bool get) {
  if (!get) return methodNotAllowed(method, "GET, HEAD");
  ordered_json list = ordered_json::array();
  for (const ClusterStatus& c : api.clusters()) list.push_back(clusterJson(c));
  return reply(200, ordered_json{{"clusters", std::move(list)}});
}

AdminReply handleCluster(ClusterAdmin& api, std::string_view method, bool get,
                         const std::string& name) {
  if (!get) return methodNotAllowed(method, "GET, HEAD");
  std::vector<ClusterStatus> all = api.clusters();
  const ClusterStatus* c = findCluster(all, name);
  if (!c) return unknownCluster(name);
  return reply(200, clusterJson(*c));
}

// The cluster object after a successful change (404 if it vanished meanwhile).
AdminReply clusterAfterChange(ClusterAdmin& api, int status, const std::string& name) {
  std::vector<ClusterStatus> all = api.clusters();
  const ClusterStatus* c = findCluster(all, name);
  if (!c) return unknownCluster(name);
  return reply(status, clusterJson(*c));
}

// The server object after a successful change (404 if it vanished meanwhile).
AdminReply serverAfterChange(ClusterAdmin& api, const std::string& cluster,
                             const std::string& address) {
  std::vector<ClusterStatus> all = api.clusters();
  const ClusterStatus* c = findCluster(all, cluster);
  if (!c) return unknownCluster(cluster);
  const ServerStatus* s = findServer(*c, address);
  if (!s) return unknownServer(cluster, address);
  return reply(200, serverJson(*s));
}

AdminReply handleServers(ClusterAdmin& api, std::string_view method, bool get,
                         const std::string& cluster, std::string_view body) {
  if (get) {
    std::vector<ClusterStatus> all = api.clusters();
    const ClusterStatus* c = findCluster(all, cluster);
    if (!c) return unknownCluster(cluster);
    return reply(200, ordered_json{{"servers", serversJson(*c)}});
  }
  if (method != "POST") return methodNotAllowed(method, "GET, HEAD, POST");
  std::string err;
  std::optional<json> j = parseObject(body, {"address", "weight", "backup"}, err);
  if (!j) return error(400, err);
  auto addr = j->find("address");
  if (addr == j->end() || !addr->is_string() || addr->get<std::string>().empty()) {
    return error(400, "\"address\" must be a non-empty string (HOST:PORT)");
  }
  uint32_t weight = 1;
  if (auto w = j->find("weight"); w != j->end() && !readWeight(*w, weight, err)) {
    return error(400, err);
  }
  bool backup = false;
  if (auto b = j->find("backup"); b != j->end()) {
    if (!b->is_boolean()) return error(400, "\"backup\" must be true or false");
    backup = b->get<bool>();
  }
  int status = 0;
  err = api.addServer(cluster, addr->get<std::string>(), weight, backup, status);
  if (!err.empty()) return apiError(status, err);
  return clusterAfterChange(api, 201, cluster);
}

AdminReply handleServer(ClusterAdmin& api, std::string_view method, bool get,
                        const std::string& cluster, const std::string& address) {
  if (get) {
    std::vector<ClusterStatus> all = api.clusters();
    const ClusterStatus* c = findCluster(all, cluster);
    if (!c) return unknownCluster(cluster);
    const ServerStatus* s = findServer(*c, address);
    if (!s) return unknownServer(cluster, address);
    return reply(200, serverJson(*s));
  }
  if (method != "DELETE") return methodNotAllowed(method, "GET, HEAD, DELETE");
  int status = 0;
  std::string err = api.removeServer(cluster, listedAddress(api, cluster, address), status);
  if (!err.empty()) return apiError(status, err);
  return clusterAfterChange(api, 200, cluster);
}

AdminReply handleAction(ClusterAdmin& api, std::string_view method, const std::string& cluster,
                        const std::string& path_address, const std::string& action,
                        std::string_view body) {
  int status = 0;
  std::string err;
  std::string address;
  if (action == "weight") {
    if (method != "PUT" && method != "POST") return methodNotAllowed(method, "PUT, POST");
    std::optional<json> j = parseObject(body, {"weight"}, err);
    if (!j) return error(400, err);
    auto w = j->find("weight");
    if (w == j->end()) return error(400, "missing \"weight\"");
    uint32_t weight = 0;
    if (!readWeight(*w, weight, err)) return error(400, err);
    address = listedAddress(api, cluster, path_address);
    err = api.setWeight(cluster, address, weight, status);
  } else {
    if (method != "POST") return methodNotAllowed(method, "POST");
    upstream::AdminState state = action == "drain"     ? upstream::AdminState::Draining
                                 : action == "disable" ? upstream::AdminState::Disabled
                                                       : upstream::AdminState::Enabled;
    address = listedAddress(api, cluster, path_address);
    err = api.setAdminState(cluster, address, state, status);
  }
  if (!err.empty()) return apiError(status, err);
  return serverAfterChange(api, cluster, address);
}

AdminReply route(ClusterAdmin& api, std::string_view method, std::string_view target,
                 std::string_view body) {
  Path p;
  if (std::optional<AdminReply> bad = splitTarget(target, p)) return std::move(*bad);
  const std::vector<std::string>& s = p.segs;
  for (const std::string& seg : s) {
    if (seg.empty()) return error(404, "no such endpoint: " + p.text);
  }
  const bool get = method == "GET" || method == "HEAD";
  if (s.size() == 1 && s[0] == "health") return handleHealth(method, get);
  if (!s.empty() && s[0] == "clusters") {
    if (s.size() == 1) return handleClusters(api, method, get);
    if (s.size() == 2) return handleCluster(api, method, get, s[1]);
    if (s[2] == "servers") {
      if (s.size() == 3) return handleServers(api, method, get, s[1], body);
      if (s.size() == 4) return handleServer(api, method, get, s[1], s[3]);
      if (s.size() == 5 &&
          (s[4] == "drain" || s[4] == "disable" || s[4] == "enable" || s[4] == "weight")) {
        return handleAction(api, method, s[1], s[3], s[4], body);
      }
    }
  }
  return error(404, "no such endpoint: " + (p.text.empty() ? std::string("/") : p.text));
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

AdminReply handleAdminRequest(ClusterAdmin& api, std::string_view method, std::string_view target,
                              std::string_view body) {
  try {
    return route(api, method, target, body);
  } catch (const std::exception& e) {
    return error(500, std::string("internal error: ") + e.what());
  }
}

AdminReply adminErrorReply(int status, std::string_view message) {
  return error(status, std::string(message));
}

std::optional<std::string> percentDecode(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out.push_back(segment[i]);
      continue;
    }
    if (i + 2 >= segment.size()) return std::nullopt;
    int hi = hexValue(segment[i + 1]);
    int lo = hexValue(segment[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

const char* adminStateName(upstream::AdminState state) {
  switch (state) {
    case upstream::AdminState::Enabled:
      return "enabled";
    case upstream::AdminState::Draining:
      return "draining";
    case upstream::AdminState::Disabled:
      return "disabled";
  }
  return "unknown";
}

}  // namespace portico::admin
