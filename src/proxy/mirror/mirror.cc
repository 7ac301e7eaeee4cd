#include "proxy/mirror/mirror.h"

#include <sys/uio.h>

#include <cerrno>
#include <cstring>

#include "core/log.h"

namespace portico::proxy::mirror {

using http1::BodyFraming;
using upstream::UpstreamConnection;

namespace {

const http1::Limits kResponseLimits{65536, 32768, http1::kMaxHeaders};
constexpr std::string_view kSuffix = "-shadow";

}  // namespace

size_t writeShadowHead(std::string_view head, char* out, size_t cap) {
  const size_t line = head.find("\r\nHost: ");
  if (line == std::string_view::npos) return 0;
  const size_t value = line + 8;
  const size_t value_end = head.find("\r\n", value);
  if (value_end == std::string_view::npos) return 0;
  std::string_view host = head.substr(value, value_end - value);
  size_t name_end = host.size();
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    name_end = close == std::string_view::npos ? host.size() : close + 1;
  } else if (const size_t colon = host.find(':'); colon != std::string_view::npos) {
    name_end = colon;
  }
  const size_t insert = name_end == 0 ? std::string_view::npos : value + name_end;
  const size_t total = head.size() + (insert == std::string_view::npos ? 0 : kSuffix.size());
  if (total > cap) return 0;
  if (insert == std::string_view::npos) {  // no host name to mark
    std::memcpy(out, head.data(), head.size());
    return head.size();
  }
  std::memcpy(out, head.data(), insert);
  std::memcpy(out + insert, kSuffix.data(), kSuffix.size());
  std::memcpy(out + insert + kSuffix.size(), head.data() + insert, head.size() - insert);
  return total;
}

MirrorExchange::MirrorExchange(server::Worker& w, server::Generation& gen,
                               upstream::ClusterRuntime& cluster, int host_idx, http::Method method)
    : worker_(w), gen_(gen), cluster_(cluster), host_idx_(host_idx), method_(method) {}

void MirrorExchange::offer(server::Worker& w, server::Generation& gen,
                           const router::CompiledRoute& route, const http1::RequestHead& req,
                           std::string_view head, std::string_view buffered, bool upgrade) {
  if (route.mirror_cluster_index == router::CompiledRoute::kNoCluster || !route.config) return;
  const uint32_t ppm = route.config->mirror.fraction_ppm;
  if (ppm < config::RouteMirror::kAll && w.random() % config::RouteMirror::kAll >= ppm) return;
  upstream::ClusterRuntime& cluster = *gen.clusters[route.mirror_cluster_index];
  upstream::ClusterStats& st = cluster.stats();
  // Only what is entirely in memory and small: a copy never waits for the client.
  std::string_view body;
  if (upgrade || req.framing == BodyFraming::Chunked ||
      (req.framing == BodyFraming::ContentLength &&
       (req.content_length > kMaxBodyBytes || buffered.size() < req.content_length))) {
    st.mirror_skipped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (req.framing == BodyFraming::ContentLength) body = buffered.substr(0, req.content_length);
  const config::Config& cfg = *gen.snapshot->config;
  if (w.mirrors_in_flight >= cfg.limits.max_mirrors_in_flight) {
    st.mirror_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // The shadow cluster's circuit breakers hold for copies too; a copy never waits for a slot.
  const config::Cluster& cc = cluster.config();
  const int64_t active = st.active_requests.fetch_add(1, std::memory_order_relaxed) + 1;
  if (cc.circuit_breaker.max_requests &&
      active > static_cast<int64_t>(cc.circuit_breaker.max_requests)) {
    st.active_requests.fetch_sub(1, std::memory_order_relaxed);
    st.mirror_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  upstream::lb::PickContext ctx;
  ctx.random = w.random();
  const int host_idx = cluster.choose(w.loop().nowMs(), ctx);
  const int64_t conns = st.connections.fetch_add(1, std::memory_order_relaxed) + 1;
  if (host_idx < 0 || (cc.circuit_breaker.max_connections &&
                       conns > static_cast<int64_t>(cc.circuit_breaker.max_connections))) {
    st.connections.fetch_sub(1, std::memory_order_relaxed);
    st.active_requests.fetch_sub(1, std::memory_order_relaxed);
    st.mirror_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  st.mirrored.fetch_add(1, std::memory_order_relaxed);
  upstream::HostPool& pool = *cluster.host(host_idx).pool;
  UpstreamConnection* u = nullptr;
  if (!pool.idle.empty()) {
    u = pool.idle.back();
    pool.idle.pop_back();
  } else {
    u = UpstreamConnection::connect(w.loop(), pool);
    if (!u) {
      log::debug("mirror: connect to {} failed: {}", pool.text, std::strerror(errno));
      st.connections.fetch_sub(1, std::memory_order_relaxed);
      st.active_requests.fetch_sub(1, std::memory_order_relaxed);
      st.mirror_failed.fetch_add(1, std::memory_order_relaxed);
      cluster.recordOutcome(host_idx, true, 0, w.loop().nowMs());
      return;
    }
  }
  auto* m = new MirrorExchange(w, gen, cluster, host_idx, req.method_id);
  ++gen.users;  // the copy outlives the exchange: keep its generation (and cluster) alive
  ++w.mirrors_in_flight;
  m->heads_ = w.acquireHeads();
  m->start_ms_ = w.loop().nowMs();
  m->up_ = u;
  cluster.onRequestStart(host_idx);
  uint32_t space;
  char* p = u->out.writable(w.buffers(), space);
  const size_t n = writeShadowHead(head, p, space);
  if (!body.empty()) body = body.substr(0, m->body_.append(w.buffers(), body));
  if (u->state == UpstreamConnection::State::Idle) {
    u->adopt(m);
  } else {
    u->owner = m;
    w.loop().timers().arm(u->timer, cc.connect_timeout_ms);
  }
  if (n == 0) {  // a head too large to copy with its -shadow suffix
    m->finish(false);
    return;
  }
  u->out.commit(static_cast<uint32_t>(n));
  m->drive();
}

void MirrorExchange::onUpstreamEvent() {
  drive();
}

void MirrorExchange::onUpstreamTimeout() {
  if (up_ && up_->state == UpstreamConnection::State::Connecting)
    cluster_.recordOutcome(host_idx_, true, 0, worker_.loop().nowMs());
  finish(false);
}

void MirrorExchange::drive() {
  UpstreamConnection* u = up_;
  if (u->state == UpstreamConnection::State::Connecting) {
    if (u->eof || u->error) {
      cluster_.recordOutcome(host_idx_, true, 0, worker_.loop().nowMs());
      finish(false);
    }
    return;
  }
  if (!response_timer_) {
    worker_.loop().timers().arm(u->timer, cluster_.config().response_timeout_ms);
    response_timer_ = true;
  }
  for (;;) {
    bool progress = send();
    progress = receive() || progress;
    Progress p = discard();
    if (p == Progress::NeedMore && u->eof && u->in.empty() && head_done_) {
      heads_->resp_body.sourceClosed();  // a body delimited by the close
      reusable_ = false;
      if (heads_->resp_body.done()) p = Progress::Done;
    }
    if (p != Progress::NeedMore) {
      finish(p == Progress::Done);
      return;
    }
    if (u->eof || (u->error && !u->can_read)) {
      finish(false);
      return;
    }
    if (!progress) return;
  }
}

bool MirrorExchange::send() {
  UpstreamConnection* u = up_;
  if (!u->can_write || (u->out.empty() && body_.empty())) return false;
  iovec iov[2];
  int cnt = 0;
  const uint32_t head = u->out.size();
  if (head) iov[cnt++] = {const_cast<char*>(u->out.data()), head};
  if (!body_.empty()) iov[cnt++] = {const_cast<char*>(body_.data()), body_.size()};
  const ssize_t w = u->io.sendv(u->fd, iov, cnt);
  if (w < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      u->can_write = false;
    } else if (errno != EINTR) {
      u->error = true;
      u->can_write = false;
    }
    return false;
  }
  auto written = static_cast<uint32_t>(w);
  if (written < head + body_.size()) u->can_write = false;
  const uint32_t from_head = written < head ? written : head;
  u->out.consume(from_head);
  body_.consume(written - from_head);
  if (u->out.empty()) u->out.releaseIfEmpty(worker_.buffers());
  if (body_.empty()) body_.releaseIfEmpty(worker_.buffers());
  return written > 0;
}

bool MirrorExchange::receive() {
  UpstreamConnection* u = up_;
  if (!u->can_read || u->eof) return false;
  return u->readSome(worker_.buffers());
}

MirrorExchange::Progress MirrorExchange::discard() {
  UpstreamConnection* u = up_;
  while (!head_done_) {
    if (u->in.empty()) return Progress::NeedMore;
    http1::ResponseHead& resp = heads_->resp;
    const http1::ParseResult r =
        http1::parseResponseHead(u->in.view(), kResponseLimits, method_, resp);
    if (r.state == http1::ParseState::Error) {
      log::debug("mirror: invalid response from {}: {}", cluster_.host(host_idx_).pool->text,
                 r.error ? r.error : "?");
      return Progress::Failed;
    }
    if (r.state == http1::ParseState::NeedMore) return Progress::NeedMore;
    u->in.consume(static_cast<uint32_t>(resp.head_length));
    if (resp.status < 200 && resp.status != 101) continue;  // interim: the final one follows
    if (resp.framing == BodyFraming::Tunnel) return Progress::Failed;  // never asked for one
    head_done_ = true;
    cluster_.recordOutcome(host_idx_, false, resp.status, worker_.loop().nowMs());
    const bool keep =
        resp.version_minor == 1 ? !resp.conn_close : (resp.conn_keep_alive && !resp.conn_close);
    reusable_ = keep && resp.framing != BodyFraming::UntilClose;
    heads_->resp_body.start(resp.framing, resp.content_length);
  }
  BodyForwarder& body = heads_->resp_body;
  while (!body.done() && !u->in.empty()) {
    const uint32_t n = body.forwardable(u->in.view());
    if (body.error()) return Progress::Failed;
    if (n == 0) break;
    u->in.consume(n);
    body.sent(n);
  }
  return body.done() ? Progress::Done : Progress::NeedMore;
}

void MirrorExchange::finish(bool ok) {
  upstream::ClusterStats& st = cluster_.stats();
  buffer::BufferPool& bp = worker_.buffers();
  const bool sent = up_->out.empty() && body_.empty();
  if (ok && reusable_ && sent && up_->in.empty() && !up_->eof && !up_->error) {
    ++up_->exchanges;
    up_->park(bp);
  } else {
    up_->close(bp, !ok);
  }
  up_ = nullptr;
  cluster_.onRequestEnd(host_idx_, (worker_.loop().nowMs() - start_ms_) * 1000, ok);
  if (!ok) st.mirror_failed.fetch_add(1, std::memory_order_relaxed);
  st.active_requests.fetch_sub(1, std::memory_order_relaxed);
  // A connection slot of the shadow cluster is free: an exchange may be waiting for one.
  if (cluster_.hasWaiters())
    if (upstream::UpstreamOwner* waiter = cluster_.popWaiter()) waiter->onSlotFree();
  body_.release(bp);
  worker_.releaseHeads(heads_);
  --worker_.mirrors_in_flight;
  worker_.unpin(&gen_);
  delete this;
}

}  // namespace portico::proxy::mirror
