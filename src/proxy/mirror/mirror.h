#pragma once
// Traffic mirroring (route `mirror:`, docs/routing.md#mirroring): a copy of a sampled share of a
// route's requests goes to a shadow cluster; the shadow's response is read and thrown away.
//
// A MirrorExchange owns everything it uses: its copy of the request, its upstream connection
// (taken from the shadow host's idle pool or newly opened, parked again when clean) and that
// connection's timer. The exchange that spawned it never waits for it and never hears from it,
// so a slow, down or silent shadow cannot delay or fail the real request. Copies are bounded:
// only requests whose whole body is already in memory and at most kMaxBodyBytes; at most
// limits.max_mirrors_in_flight per worker; within the shadow cluster's circuit breakers; each
// one ends after the shadow's connect timeout, then its response timeout. Outcomes are counted
// in the shadow cluster's stats (mirrored, mirror_skipped, mirror_dropped, mirror_failed).
// Thread: a mirror lives and dies on the worker that started it.
#include <cstdint>
#include <string_view>

#include "buffer/buffer.h"
#include "http/http1/parser.h"
#include "router/router.h"
#include "server/worker.h"
#include "upstream/upstream_connection.h"

namespace portico::proxy::mirror {

// Larger request bodies (or bodies not yet entirely read) are not mirrored.
constexpr uint64_t kMaxBodyBytes = 64 * 1024;

class MirrorExchange final : public upstream::UpstreamOwner {
 public:
  // Mirrors the request `req` of an exchange on `route` (pinned to `gen`) when the route has a
  // `mirror:` and the worker's random draw falls within its fraction. `head` is the upstream
  // request head as writeUpstreamRequestHead wrote it, `buffered` the request bytes read after
  // the head (its body first); `upgrade` marks a WebSocket upgrade (never mirrored). The views
  // need to last only during the call. Returns at once and never fails the caller; a started
  // mirror pins `gen` until it ends.
  static void offer(server::Worker& w, server::Generation& gen, const router::CompiledRoute& route,
                    const http1::RequestHead& req, std::string_view head, std::string_view buffered,
                    bool upgrade);

  void onUpstreamEvent() override;
  void onUpstreamTimeout() override;

 private:
  enum class Progress : uint8_t { NeedMore, Done, Failed };
  MirrorExchange(server::Worker& w, server::Generation& gen, upstream::ClusterRuntime& cluster,
                 int host_idx, http::Method method);
  ~MirrorExchange() override = default;

  // Sends, reads and discards as far as the sockets allow; ends the mirror when it is over.
  void drive();
  // Writes the queued request (head in up_->out, then body_); true when bytes moved.
  bool send();
  // Reads what the shadow sent into up_->in; true when bytes arrived.
  bool receive();
  // Parses and drops the response in up_->in.
  Progress discard();
  // Gives back the connection (parked when clean), the slots and the pin, then deletes this.
  void finish(bool ok);

  server::Worker& worker_;
  server::Generation& gen_;
  upstream::ClusterRuntime& cluster_;
  int host_idx_;
  http::Method method_;
  upstream::UpstreamConnection* up_ = nullptr;
  server::ParsedHeads* heads_ = nullptr;  // worker-pooled: the response head and its body framing
  buffer::Buffer body_;                   // the request body still to send
  uint64_t start_ms_ = 0;
  bool response_timer_ = false;  // connected: the response timeout is armed
  bool head_done_ = false;
  bool reusable_ = false;  // the response allows keeping the connection
};

// Copies `head` into out[0..cap) with "-shadow" appended to the name in its Host field (before
// a port: "a.test:8080" -> "a.test-shadow:8080"). Returns the bytes written; 0 when it does not
// fit or the head has no Host line.
size_t writeShadowHead(std::string_view head, char* out, size_t cap);

}  // namespace portico::proxy::mirror
