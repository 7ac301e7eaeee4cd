// DownstreamConnection, upstream side of an exchange: routing, host choice (load balancing,
// sticky sessions, circuit breakers), upstream connections, retries with budget and backoff,
// and the accounting that passive health and least-request policies depend on.

#include <cerrno>
#include <cstring>

#include "core/log.h"
#include "proxy/cors.h"
#include "proxy/downstream_connection.h"
#include "proxy/forwarding.h"
#include "proxy/grpc/grpc.h"
#include "proxy/mirror/mirror.h"
#include "proxy/redirect.h"
#include "router/match/request_fields.h"
#include "tls/server_context.h"

namespace portico::proxy {

using http1::BodyFraming;

namespace {

// Value of cookie `name` in the request, read as the router reads it (so a split or hash key
// and a route condition agree), or "".
std::string_view findCookie(const http1::RequestHead& req, std::string_view name) {
  std::string_view v;
  router::findCookie(router::viewOf(req, nullptr, nullptr), name, &v);
  return v;
}

// Value of query parameter `name` in `target`, as the router reads it, or "".
std::string_view findQueryParam(std::string_view target, std::string_view name) {
  std::string_view v;
  router::findQueryParam(router::targetQuery(target), name, &v);
  return v;
}

}  // namespace

void DownstreamConnection::startExchange() {
  gen_ = worker_.pin();
  // Offsets only: the bytes (and req_'s views into them) stay in place until the next read.
  in_.consume(static_cast<uint32_t>(heads_->req.head_length));
  const Snapshot& snap = *gen_->snapshot;
  const config::Config& cfg = *snap.config;
  started_ms_ = worker_.loop().nowMs();
  method_ = heads_->req.method_id;
  version_minor_ = heads_->req.version_minor;
  keep_alive_ = heads_->req.keepAlive() && !worker_.draining();
  resp_head_done_ = resp_started_ = sent_100_ = dechunk_ = websocket_ = false;
  // Decided now: the head's bytes may be overwritten once the body is read. gRPC runs over
  // HTTP/2 only, so HTTP/1 requests (the hot path) skip the header lookups.
  grpc_ = io_.isVirtual() && grpc::isGrpcRequest(heads_->req);
  upstream_reusable_ = false;
  status_ = 0;
  resp_head_bytes_ = 0;
  cluster_name_ = nullptr;
  cluster_ = nullptr;
  route_ = nullptr;
  host_ = nullptr;
  host_idx_ = -1;
  attempt_ = 0;
  stale_retried_ = false;
  mirror_offered_ = false;
  retry_after_ = false;
  extra_resp_headers_.clear();
  heads_->resp_body.start(BodyFraming::None, 0);
  heads_->req_body.start(heads_->req.framing, heads_->req.content_length);
  heads_->req_body.setMaxPayload(cfg.limits.max_body_bytes);
  assignRequestIds(
      heads_->req, cfg.request_id, snap.trusted_proxies.contains(peer_.sa()),
      [](void* w) { return static_cast<server::Worker*>(w)->random(); }, &worker_, heads_->ids);

  if (worker_.accessLog().enabled()) {
    std::string_view ua = http1::fieldValue(heads_->req, "user-agent");
    std::string_view ref = http1::fieldValue(heads_->req, "referer");
    log_store_.clear();
    log_store_.append(heads_->req.method)
        .append(heads_->req.target)
        .append(heads_->req.host)
        .append(ua)
        .append(ref);
    log_method_len_ = static_cast<uint32_t>(heads_->req.method.size());
    log_target_len_ = static_cast<uint32_t>(heads_->req.target.size());
    log_host_len_ = static_cast<uint32_t>(heads_->req.host.size());
    log_ua_len_ = static_cast<uint32_t>(ua.size());
    log_ref_len_ = static_cast<uint32_t>(ref.size());
  }

  state_ = State::Exchange;
  timer_.cancel();
  timer_kind_ = TimerKind::None;

  if (heads_->req.method_id == http::Method::Connect) {
    respondError(501);
    return;
  }
  if (listener_.index < 0) {
    respondError(503);
    return;
  }
  const ListenerInfo& li = snap.listeners[static_cast<size_t>(listener_.index)];
  listener_info_ = &li;
  if (li.config->redirect_https_port) {
    redirectToHttps(li.config->redirect_https_port);
    return;
  }
  router::RequestView view = router::viewOf(heads_->req, peer_.sa(), &snap.trusted_proxies);
  if (io_.isTls()) {
    view.sni = io_.serverName();
    view.client_cert = io_.peerVerified();
  }
  const router::CompiledRoute* route = li.router.match(view);
  if (!route) {
    respondError(404);
    return;
  }
  route_ = route;
  // Nothing to do (but forget the last exchange's) unless the route's header values use them.
  if (route->config) heads_->route_vars.compute(*route->config, view, cfg.geoip.handle.get());
  // HSTS: the route's own setting when it has one, else the listener's (TLS only).
  std::string_view hsts = li.hsts_header;
  if (route->hsts_override) hsts = io_.isTls() ? std::string_view(route->hsts_header) : "";
  extra_resp_headers_ = hsts;
  if (heads_->ids.request_id_len && cfg.request_id.response_header) {
    extra_resp_headers_.append(cfg.request_id.header)
        .append(": ")
        .append(heads_->ids.requestId())
        .append("\r\n");
  }
  if (route->config) {
    const config::Route& rc = *route->config;
    if (rc.cors.enabled) {
      std::string_view origin = http1::fieldValue(heads_->req, "origin");
      bool allowed = corsOriginAllowed(rc.cors, origin);
      std::string_view want_method =
          http1::fieldValue(heads_->req, "access-control-request-method");
      if (heads_->req.method_id == http::Method::Options && !origin.empty() &&
          !want_method.empty()) {
        // Preflight: answered here, never forwarded.
        static const config::DirectResponse kPreflight{true, 204, "", ""};
        static const config::DirectResponse kRefused{true, 403, "CORS origin not allowed\n",
                                                     "text/plain; charset=utf-8"};
        if (!allowed) {
          respondError(403, extra_resp_headers_, &kRefused);
          return;
        }
        appendCorsPreflightFields(rc.cors, origin,
                                  http1::fieldValue(heads_->req, "access-control-request-headers"),
                                  extra_resp_headers_);
        respondError(204, extra_resp_headers_, &kPreflight);
        return;
      }
      if (allowed) appendCorsResponseFields(rc.cors, origin, extra_resp_headers_);
    }
    if (rc.redirect.enabled) {
      redirectRoute(rc.redirect, route);
      return;
    }
    if (rc.direct_response.enabled) {
      respondError(rc.direct_response.status, extra_resp_headers_, &rc.direct_response);
      return;
    }
    if (rc.static_files.enabled) {
      serveStatic(rc.static_files);
      return;
    }
  }
  cluster_name_ = &route->cluster_name;
  uint32_t cluster_index = route->cluster_index;
  if (!route->split.empty()) {
    // Weighted split: a key (header, cookie, client address) keeps a client on one side.
    const config::SplitKey& sk = route->config->split_by;
    std::string_view key;
    if (sk.source == config::SplitKey::Source::Header)
      key = http1::fieldValue(heads_->req, sk.name);
    else if (sk.source == config::SplitKey::Source::Cookie)
      key = findCookie(heads_->req, sk.name);
    else if (sk.source == config::SplitKey::Source::Ip)
      key = peer_ip_;
    const auto& e = route->pickSplit(key.empty() ? worker_.random() : upstream::lb::hashKey(key));
    cluster_index = e.cluster_index;
    cluster_name_ = &e.cluster_name;
  }
  cluster_ = gen_->clusters[cluster_index].get();
  const config::Cluster& cc = cluster_->config();
  connect_ms_ = cc.connect_timeout_ms;
  response_ms_ = cc.response_timeout_ms;
  // A gRPC deadline bounds how long portico waits for the backend too (it is also forwarded).
  if (grpc_) {
    const uint64_t grpc_ms = grpc::timeoutMs(http1::fieldValue(heads_->req, "grpc-timeout"));
    if (grpc_ms && grpc_ms < response_ms_) response_ms_ = static_cast<uint32_t>(grpc_ms);
  }
  if (cfg.limits.max_body_bytes && heads_->req.framing == BodyFraming::ContentLength &&
      heads_->req.content_length > cfg.limits.max_body_bytes) {
    respondError(413);
    return;
  }
  // Circuit breaker: requests in flight to the cluster.
  // Reserve first (fetch_add), so two workers cannot both take the last slot.
  upstream::ClusterStats& st = cluster_->stats();
  int64_t active = st.active_requests.fetch_add(1, std::memory_order_relaxed) + 1;
  if (cc.circuit_breaker.max_requests &&
      active > static_cast<int64_t>(cc.circuit_breaker.max_requests)) {
    st.active_requests.fetch_sub(1, std::memory_order_relaxed);
    st.overflow_requests.fetch_add(1, std::memory_order_relaxed);
    respondError(503);
    return;
  }
  cluster_counted_ = true;

  websocket_ = heads_->req.upgrade_websocket;
  // A request can be replayed on another attempt when it has no body, or its whole
  // Content-Length body is already in the input buffer (still in memory after it is sent).
  bool replayable = heads_->req.framing == BodyFraming::None ||
                    (heads_->req.framing == BodyFraming::ContentLength &&
                     in_.size() >= heads_->req.content_length);
  retry_ok_ = replayable && !websocket_ &&
              (http::isIdempotent(heads_->req.method_id) || route->retry_non_idempotent);

  int idx = -1;
  if (!cc.sticky_cookie.empty()) {
    std::string_view id = findCookie(heads_->req, cc.sticky_cookie);
    if (!id.empty()) idx = cluster_->findSticky(id, worker_.loop().nowMs());
  }
  if (idx < 0) {
    idx = pickHost(-1);
    if (idx >= 0 && !cc.sticky_cookie.empty()) {
      extra_resp_headers_.append("Set-Cookie: ")
          .append(cc.sticky_cookie)
          .append("=")
          .append(*cluster_->host(idx).sticky_id)
          .append("; Path=/; HttpOnly\r\n");
    }
  }
  if (idx < 0) {
    st.no_host.fetch_add(1, std::memory_order_relaxed);
    retry_after_ = true;
    respondError(503);
    return;
  }
  host_idx_ = idx;
  startAttempt(false);
  if (state_ == State::Exchange && heads_->req.expect_continue && heads_->req.version_minor == 1 &&
      !heads_->req_body.done()) {
    out_.append(worker_.buffers(), "HTTP/1.1 100 Continue\r\n\r\n");
    sent_100_ = true;
  }
  if (state_ == State::Exchange && !heads_->req_body.done())
    armTimer(TimerKind::Body, cfg.timeouts.client_body_ms);
}

int DownstreamConnection::pickHost(int exclude) {
  const config::LoadBalancing& lb = cluster_->config().lb;
  upstream::lb::PickContext ctx;
  ctx.exclude = exclude;
  ctx.random = worker_.random();
  if (cluster_->usesHash()) {
    std::string_view key;
    switch (lb.key_source) {
      case config::LoadBalancing::KeySource::Ip:
        key = peer_ip_;
        break;
      case config::LoadBalancing::KeySource::Header:
        key = http1::fieldValue(heads_->req, lb.key_name);
        break;
      case config::LoadBalancing::KeySource::Cookie:
        key = findCookie(heads_->req, lb.key_name);
        break;
      case config::LoadBalancing::KeySource::Query:
        key = findQueryParam(heads_->req.target, lb.key_name);
        break;
      case config::LoadBalancing::KeySource::Path:
        key = router::targetPath(heads_->req.target);
        break;
    }
    if (!key.empty()) {
      ctx.hash = upstream::lb::hashKey(key);
      ctx.has_hash = true;
    }
  }
  return cluster_->choose(worker_.loop().nowMs(), ctx);
}

void DownstreamConnection::startAttempt(bool fresh_only) {
  const Snapshot& snap = *gen_->snapshot;
  const config::Config& cfg = *snap.config;
  host_ = cluster_->host(host_idx_).pool;
  resp_head_done_ = false;
  ConnectResult cr = connectUpstream(fresh_only);
  if (cr == ConnectResult::Waiting) return;
  cluster_->onRequestStart(host_idx_);
  host_counted_ = true;
  attempt_start_ms_ = worker_.loop().nowMs();
  if (cr == ConnectResult::Failed) {
    attemptFailed(Failure::Connect);
    return;
  }
  RequestForwardInfo info;
  info.client_ip = peer_ip_;
  info.peer_trusted = snap.trusted_proxies.contains(peer_.sa());
  info.via_name = cfg.via_name;
  if (cluster_->config().rewrite_host) info.host_override = host_->text;
  info.forward_upgrade = websocket_;
  const RequestIds& ids = heads_->ids;
  if (ids.request_id_len) {
    info.request_id_header = cfg.request_id.header;
    info.request_id = ids.requestId();
  }
  info.traceparent = ids.traceParent();
  info.drop_tracestate = ids.generated_traceparent;
  HeaderVars vars{peer_ip_, heads_->req.host, heads_->req.target, ids.requestId(),
                  &heads_->route_vars};
  std::string rewritten;
  if (route_ && route_->config) {
    const config::Route& rc = *route_->config;
    if (!rc.request_headers.empty()) {
      info.ops = &rc.request_headers;
      info.vars = &vars;
    }
    // Only routes with a regex rewrite pay for this copy.
    if (rc.rewrite_regex && rewriteTargetPath(*rc.rewrite_regex, rc.rewrite_substitution,
                                              heads_->req.target, rewritten))
      info.target_override = rewritten;
    if (!rc.prefix_rewrite.empty()) {
      info.strip_prefix = route_->path_exact.empty() ? std::string_view(route_->path_prefix)
                                                     : std::string_view(route_->path_exact);
      info.new_prefix = rc.prefix_rewrite;
    }
  }
  std::string subject;
  if (io_.isTls()) {
    info.tls = true;
    const config::Listener& lc = *listener_info_->config;
    if (lc.tls.client_auth != config::ListenerTls::ClientAuth::None) {
      info.client_cert_header = lc.client_cert_header;
      subject = tls::clientSubjectOf(io_.ssl());
      info.client_cert_subject = subject;
    }
  }
  uint32_t space;
  char* p = up_->out.writable(worker_.buffers(), space);
  HeadWriter w{p, p + space};
  writeUpstreamRequestHead(heads_->req, info, w);
  if (w.overflow) {
    respondError(431);
    return;
  }
  up_->out.commit(static_cast<uint32_t>(w.written(p)));
  if (route_ && route_->mirror_cluster_index != router::CompiledRoute::kNoCluster &&
      !mirror_offered_) {
    mirror_offered_ = true;  // once per exchange, whatever the retries
    mirror::MirrorExchange::offer(worker_, *gen_, *route_, heads_->req, {p, w.written(p)},
                                  in_.view(), websocket_);
  }
}

DownstreamConnection::ConnectResult DownstreamConnection::connectUpstream(bool fresh_only) {
  // Circuit breaker: connections in use to the cluster (all workers). Over the limit the
  // exchange waits in this worker's queue while fewer than max_pending wait, else gets 503.
  const config::CircuitBreaker& cb = cluster_->config().circuit_breaker;
  upstream::ClusterStats& st = cluster_->stats();
  // Reserve a slot first (fetch_add), so two workers cannot both take the last one.
  int64_t in_use = st.connections.fetch_add(1, std::memory_order_relaxed) + 1;
  if (cb.max_connections && in_use > static_cast<int64_t>(cb.max_connections)) {
    st.connections.fetch_sub(1, std::memory_order_relaxed);
    if (!waiting_) {
      if (st.pending.load(std::memory_order_relaxed) >= static_cast<int64_t>(cb.max_pending)) {
        st.overflow_connections.fetch_add(1, std::memory_order_relaxed);
        overflow_ = true;
        return ConnectResult::Failed;
      }
      st.pending.fetch_add(1, std::memory_order_relaxed);
      waiting_ = true;
      pending_deadline_ms_ = worker_.loop().nowMs() + connect_ms_;
    }
    cluster_->addWaiter(this);
    uint64_t now = worker_.loop().nowMs();
    armTimer(TimerKind::Pending,
             pending_deadline_ms_ > now ? static_cast<uint32_t>(pending_deadline_ms_ - now) : 1);
    return ConnectResult::Waiting;
  }
  leaveQueue();
  if (!fresh_only && !host_->idle.empty()) {
    upstream::UpstreamConnection* u = host_->idle.back();
    host_->idle.pop_back();
    u->adopt(this);
    up_ = u;
    worker_.loop().timers().arm(u->timer, tryTimeoutMs());
    response_timer_armed_ = true;
    return ConnectResult::Ok;
  }
  upstream::UpstreamConnection* u = upstream::UpstreamConnection::connect(worker_.loop(), *host_);
  if (!u) {
    st.connections.fetch_sub(1, std::memory_order_relaxed);
    log::warn("connect to {} failed: {}", host_->text, std::strerror(errno));
    return ConnectResult::Failed;
  }
  u->owner = this;
  up_ = u;
  worker_.loop().timers().arm(u->timer, connect_ms_);
  response_timer_armed_ = false;
  return ConnectResult::Ok;
}

void DownstreamConnection::leaveQueue() {
  if (!waiting_) return;
  cluster_->removeWaiter(this);
  cluster_->stats().pending.fetch_sub(1, std::memory_order_relaxed);
  waiting_ = false;
  if (timer_kind_ == TimerKind::Pending) {
    timer_.cancel();
    timer_kind_ = TimerKind::None;
  }
}

void DownstreamConnection::onSlotFree() {
  if (state_ != State::Exchange || !waiting_) return;
  slot_woken_ = true;
  armTimer(TimerKind::Pending, 1);  // resume from the loop, not from inside another exchange
}

void DownstreamConnection::onPendingTimer() {
  bool woken = slot_woken_;
  slot_woken_ = false;
  if (state_ != State::Exchange || !waiting_) return;
  if (!woken || worker_.loop().nowMs() >= pending_deadline_ms_) {
    leaveQueue();
    cluster_->stats().overflow_connections.fetch_add(1, std::memory_order_relaxed);
    respondError(503);
  } else {
    cluster_->removeWaiter(this);
    startAttempt(false);
  }
  drive();
}

void DownstreamConnection::wakeWaiter() {
  if (cluster_ && cluster_->hasWaiters())
    if (upstream::UpstreamOwner* w = cluster_->popWaiter()) w->onSlotFree();
}

uint32_t DownstreamConnection::tryTimeoutMs() const {
  const config::RetryPolicy& rp = cluster_->config().retry;
  uint32_t ms = rp.per_try_timeout_ms ? rp.per_try_timeout_ms : response_ms_;
  if (rp.timeout_ms) {
    uint64_t elapsed = worker_.loop().nowMs() - started_ms_;
    uint64_t left = elapsed >= rp.timeout_ms ? 1 : rp.timeout_ms - elapsed;
    if (left < ms) ms = static_cast<uint32_t>(left);
  }
  return ms;
}

bool DownstreamConnection::retryAllowed(Failure why, uint16_t status) {
  if (!retry_ok_ || resp_started_) return false;
  const config::RetryPolicy& rp = cluster_->config().retry;
  bool cond = false;
  switch (why) {
    case Failure::Connect:
    case Failure::ConnectTimeout:
      cond = rp.on_connect_failure;
      break;
    case Failure::Reset:
      cond = rp.on_reset;
      break;
    case Failure::Timeout:
      cond = rp.on_per_try_timeout;
      break;
    case Failure::Status:
      cond = (status == 502 && rp.on_502) || (status == 503 && rp.on_503) ||
             (status == 504 && rp.on_504);
      break;
  }
  if (!cond || attempt_ >= rp.max_retries) return false;
  if (rp.timeout_ms && worker_.loop().nowMs() - started_ms_ >= rp.timeout_ms) return false;
  // Retry budget: retries in flight stay under a share of active requests.
  upstream::ClusterStats& st = cluster_->stats();
  int64_t active = st.active_requests.load(std::memory_order_relaxed);
  int64_t allowed = active * rp.budget_percent / 100;
  if (allowed < static_cast<int64_t>(rp.budget_min_concurrency))
    allowed = rp.budget_min_concurrency;
  // A refused connection never reached the backend, so retrying it elsewhere adds no load to
  // the cluster: such retries are not limited by the budget.
  if (why == Failure::Connect) return true;
  if (!retry_counted_ && st.active_retries.load(std::memory_order_relaxed) >= allowed) {
    st.retry_budget_exhausted.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void DownstreamConnection::endAttempt(bool success) {
  if (host_counted_) {
    uint64_t us = (worker_.loop().nowMs() - attempt_start_ms_) * 1000;
    cluster_->onRequestEnd(host_idx_, us, success);
    host_counted_ = false;
  }
}

void DownstreamConnection::attemptFailed(Failure why, uint16_t status) {
  bool was_reused = up_ && up_->reused;
  if (cluster_ && host_idx_ >= 0 && !overflow_)
    cluster_->recordOutcome(host_idx_, why == Failure::Connect || why == Failure::ConnectTimeout,
                            status, worker_.loop().nowMs());
  endAttempt(false);
  endExchangeResources(true);
  bool overflow = overflow_;
  overflow_ = false;
  // A pooled connection the backend had closed (or a backend that died with requests in flight)
  // deserves one more try on a fresh connection (RFC 9112 §9.3.1), to another server when one
  // exists; it does not count against max_retries or the budget.
  bool stale = why == Failure::Reset && was_reused && !stale_retried_ && retry_ok_;
  bool retry = false;
  if (!overflow) {
    if (stale) {
      retry = true;
      stale_retried_ = true;
    } else if (retryAllowed(why, status)) {
      retry = true;
      ++attempt_;
    }
  }
  if (retry) {
    const config::RetryPolicy& rp = cluster_->config().retry;
    upstream::ClusterStats& st = cluster_->stats();
    st.retries.fetch_add(1, std::memory_order_relaxed);
    if (!stale && why != Failure::Connect && !retry_counted_) {
      st.active_retries.fetch_add(1, std::memory_order_relaxed);
      retry_counted_ = true;
    }
    int prev = host_idx_;
    int next = pickHost(prev);
    if (next < 0) {
      retry_after_ = true;
      respondError(503);
      return;
    }
    host_idx_ = next;
    // Replay the body from the input buffer.
    uint64_t sent = heads_->req_body.bytesSent();
    if (sent) in_.rewind(static_cast<uint32_t>(sent));
    heads_->req_body.start(heads_->req.framing, heads_->req.content_length);
    if (stale) {
      startAttempt(true);
      redo_ = true;
      return;
    }
    // Jittered exponential backoff before the next try.
    uint64_t cap = static_cast<uint64_t>(rp.backoff_base_ms)
                   << (attempt_ - 1 < 10 ? attempt_ - 1 : 10);
    if (cap > rp.backoff_max_ms) cap = rp.backoff_max_ms;
    uint32_t delay = cap ? static_cast<uint32_t>(worker_.random() % (cap + 1)) : 0;
    if (delay == 0) {
      startAttempt(false);
      redo_ = true;
      return;
    }
    backoff_pending_ = true;
    armTimer(TimerKind::Backoff, delay);
    return;
  }
  if (overflow) {
    respondError(503);
    return;
  }
  uint16_t answer = 502;
  if (why == Failure::Timeout || why == Failure::ConnectTimeout)
    answer = 504;
  else if (why == Failure::Status)
    answer = status;
  respondError(answer);
}

void DownstreamConnection::onBackoffDone() {
  backoff_pending_ = false;
  if (state_ != State::Exchange) return;
  startAttempt(false);
  drive();
}

void DownstreamConnection::onUpstreamTimeout() {
  if (state_ != State::Exchange || !up_) return;
  if (resp_started_) {
    log::warn("upstream {} timed out mid-response", host_ ? host_->text : "?");
    endAttempt(false);
    endExchangeResources(true);
    close();
    return;
  }
  attemptFailed(up_->state == upstream::UpstreamConnection::State::Connecting
                    ? Failure::ConnectTimeout
                    : Failure::Timeout);
  drive();
}

void DownstreamConnection::endExchangeAccounting() {
  leaveQueue();
  endAttempt(status_ < 500);
  if (cluster_ && retry_counted_) {
    cluster_->stats().active_retries.fetch_sub(1, std::memory_order_relaxed);
    retry_counted_ = false;
  }
  if (cluster_ && cluster_counted_) {
    cluster_->stats().active_requests.fetch_sub(1, std::memory_order_relaxed);
    cluster_counted_ = false;
  }
}

}  // namespace portico::proxy

namespace portico::proxy {

void DownstreamConnection::redirectToHttps(uint16_t port) {
  config::RouteRedirect d;
  d.enabled = true;
  d.status = 301;
  d.scheme = "https";
  d.port = port;
  redirectRoute(d, nullptr);
}

void DownstreamConnection::redirectRoute(const config::RouteRedirect& d,
                                         const router::CompiledRoute* route) {
  std::string loc = "Location: ";
  if (!redirectLocation(d, route ? std::string_view(route->path_prefix) : std::string_view(),
                        route ? std::string_view(route->path_exact) : std::string_view(),
                        heads_->req.target, heads_->req.host, io_.isTls(), loc)) {
    respondError(400);  // no Host to send the client back to
    return;
  }
  loc.append("\r\n").append(extra_resp_headers_);
  respondError(d.status, loc);
}

}  // namespace portico::proxy
