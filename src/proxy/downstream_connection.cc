#include "proxy/downstream_connection.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "buffer/small_alloc.h"
#include "core/log.h"
#include "proxy/error_response.h"
#include "proxy/forwarding.h"
#include "proxy/grpc/grpc.h"
#include "proxy/h2/h2_connection.h"

namespace portico::proxy {

using http1::BodyFraming;
using http1::ParseState;

namespace {
constexpr uint32_t kLingerMs = 2000;
const http1::Limits kResponseLimits{65536, 32768, http1::kMaxHeaders};
// Bodies at least this large (beyond what was read with the head) are spliced.
constexpr uint64_t kSpliceMinBytes = 32 * 1024;
// Reads while waiting for a response head are small, so a large body stays in the kernel and
// can be spliced.
constexpr uint32_t kHeadReadBytes = 4096;
}  // namespace

const char* DownstreamConnection::stateName(State s) {
  switch (s) {
    case State::Handshake:
      return "handshake";
    case State::WaitHead:
      return "wait-head";
    case State::Exchange:
      return "exchange";
    case State::Tunnel:
      return "tunnel";
    case State::Closing:
      return "closing";
    case State::Lingering:
      return "lingering";
    case State::Closed:
      return "closed";
  }
  return "?";
}

void* DownstreamConnection::operator new(size_t size) {
  void* p = buffer::smallAlloc(size);
  if (!p) throw std::bad_alloc();
  return p;
}

void DownstreamConnection::operator delete(void* p) {
  buffer::smallFree(p);
}

void DownstreamConnection::create(server::Worker& w, server::ListenerSocket& ls, int fd,
                                  const net::Address& peer) {
  auto* c = new DownstreamConnection(w, ls, fd, peer);
  if (!w.loop().add(fd, c)) {
    ::close(fd);
    c->fd_ = -1;
    c->state_ = State::Closed;
    delete c;
    return;
  }
  if (ls.index >= 0) {
    const auto& li = w.current()->snapshot->listeners[static_cast<size_t>(ls.index)];
    if (li.tls) {
      if (!c->io_.attachTls(li.tls->newSsl(), fd)) {
        w.loop().remove(fd);
        ::close(fd);
        c->fd_ = -1;
        c->state_ = State::Closed;
        delete c;
        return;
      }
      c->state_ = State::Handshake;
    }
  }
  w.connectionOpened();
  w.addDrainListener(c);
  c->armTimer(TimerKind::Header, w.current()->snapshot->config->timeouts.client_header_ms);
}

DownstreamConnection* DownstreamConnection::createVirtual(server::Worker& w,
                                                          server::ListenerSocket& ls,
                                                          net::VirtualPeer* stream, SSL* tls_info,
                                                          const net::Address& peer,
                                                          std::string_view peer_ip) {
  auto* c = new DownstreamConnection(w, ls, -1, peer, peer_ip);
  c->io_.attachVirtual(stream, tls_info);
  c->can_read_ = c->can_write_ = true;
  c->nodelay_ = true;
  c->armTimer(TimerKind::Header, w.current()->snapshot->config->timeouts.client_header_ms);
  return c;
}

void DownstreamConnection::abortFromPeer() {
  client_error_ = true;
  close();
}

bool DownstreamConnection::h2cPreface(bool& partial) const {
  static constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  partial = false;
  if (io_.isTls() || io_.isVirtual() || listener_.index < 0) return false;
  const auto& li = worker_.current()->snapshot->listeners[static_cast<size_t>(listener_.index)];
  if (!li.config->http2.enabled) return false;
  std::string_view have = in_.view();
  size_t n = have.size() < kPreface.size() ? have.size() : kPreface.size();
  if (have.substr(0, n) != kPreface.substr(0, n)) return false;
  partial = n < kPreface.size();
  return !partial;
}

void DownstreamConnection::handoffH2() {
  std::string_view initial = in_.view();
  h2::H2Connection::start(worker_, listener_, fd_, io_.releaseTls(), peer_, initial);
  // The socket, its TLS state and the connection count now belong to the HTTP/2 connection.
  fd_ = -1;
  state_ = State::Closed;
  timer_.cancel();
  worker_.removeDrainListener(this);
  releaseAndDelete();
}

void DownstreamConnection::releaseAndDelete() {
  in_.release(worker_.buffers());
  out_.release(worker_.buffers());
  if (heads_) {
    worker_.releaseHeads(heads_);
    heads_ = nullptr;
  }
  worker_.loop().deleteLater(this);
}

DownstreamConnection::DownstreamConnection(server::Worker& w, server::ListenerSocket& ls, int fd,
                                           const net::Address& peer, std::string_view peer_ip)
    : worker_(w),
      listener_(ls),
      fd_(fd),
      peer_(peer),
      peer_ip_(peer_ip.empty() ? peer.ipString() : std::string(peer_ip)) {
  timer_.setCallback(&DownstreamConnection::onTimer, this);
}

DownstreamConnection::~DownstreamConnection() {
  in_.release(worker_.buffers());
  out_.release(worker_.buffers());
}

void DownstreamConnection::armTimer(TimerKind kind, uint32_t ms) {
  timer_kind_ = kind;
  if (ms == 0) {
    timer_.cancel();
    return;
  }
  worker_.loop().timers().arm(timer_, ms);
}

void DownstreamConnection::onEvents(uint32_t events) {
  if (state_ == State::Closed) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) can_read_ = true;
  if (events & EPOLLRDHUP) rdhup_ = true;
  if (events & (EPOLLHUP | EPOLLERR)) client_error_ = true;
  if (events & EPOLLOUT) can_write_ = true;
  drive();
}

void DownstreamConnection::onUpstreamEvent() {
  if (state_ == State::Closed) return;
  drive();
}

void DownstreamConnection::drive() {
  if (in_drive_) {
    redo_ = true;
    return;
  }
  in_drive_ = true;
  do {
    redo_ = false;
    step();
  } while (redo_ && state_ != State::Closed);
  in_drive_ = false;
}

void DownstreamConnection::step() {
  switch (state_) {
    case State::Handshake:
      stepHandshake();
      break;
    case State::WaitHead:
      stepHead();
      break;
    case State::Exchange:
      stepExchange();
      break;
    case State::Tunnel:
      stepTunnel();
      break;
    case State::Closing:
      stepClosing();
      break;
    case State::Lingering:
      stepLinger();
      break;
    case State::Closed:
      break;
  }
}

void DownstreamConnection::stepHandshake() {
  if (client_error_) {
    close();
    return;
  }
  bool want_write = false;
  const char* error = nullptr;
  int r = io_.handshake(want_write, error);
  if (r < 0) {
    log::debug("{}: TLS handshake failed: {}", peer_ip_, error ? error : "?");
    close();
    return;
  }
  if (r == 0) {
    // Edge-triggered: wait for the readiness the handshake asked for; a close ends it.
    if (want_write)
      can_write_ = false;
    else
      can_read_ = false;
    if (rdhup_ && !want_write) close();
    return;
  }
  const unsigned char* alpn = nullptr;
  unsigned alpn_len = 0;
  SSL_get0_alpn_selected(io_.ssl(), &alpn, &alpn_len);
  if (alpn_len == 2 && alpn[0] == 'h' && alpn[1] == '2') {
    handoffH2();
    return;
  }
  state_ = State::WaitHead;
  can_read_ = can_write_ = true;  // OpenSSL may hold decrypted bytes; EAGAIN will tell
  redo_ = true;
}

bool DownstreamConnection::readClient() {
  if (!can_read_ || client_eof_) return false;
  uint32_t space;
  char* p = in_.writable(worker_.buffers(), space);
  if (space == 0) return false;
  ssize_t n = io_.recv(fd_, p, space);
  if (n > 0) {
    in_.commit(static_cast<uint32_t>(n));
    if (static_cast<uint32_t>(n) < space && !rdhup_ && io_.shortReadDrains()) can_read_ = false;
    if (state_ == State::WaitHead && std::memchr(p, '\n', static_cast<size_t>(n)))
      head_has_newline_ = true;
    return true;
  }
  if (n == 0) {
    client_eof_ = true;
    can_read_ = false;
  } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
    can_read_ = false;
  } else if (errno != EINTR) {
    client_eof_ = true;
    client_error_ = true;
    can_read_ = false;
  }
  in_.releaseIfEmpty(worker_.buffers());
  return false;
}

bool DownstreamConnection::readUpstream() {
  upstream::UpstreamConnection* u = up_;
  if (!u || !u->can_read || u->eof || u->state == upstream::UpstreamConnection::State::Connecting)
    return false;
  return u->readSome(worker_.buffers(),
                     !resp_head_done_ && state_ == State::Exchange ? kHeadReadBytes : 0);
}

bool DownstreamConnection::flushOut() {
  if (out_.empty() || !can_write_) return false;
  ssize_t n = io_.send(fd_, out_.data(), out_.size());
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      can_write_ = false;
    else if (errno != EINTR)
      client_error_ = true;
    return false;
  }
  if (static_cast<uint32_t>(n) < out_.size()) {
    can_write_ = false;
    ensureNoDelay();
  }
  out_.consume(static_cast<uint32_t>(n));
  return n > 0;
}

bool DownstreamConnection::pipe(buffer::Buffer& src, BodyForwarder& fwd, net::Transport& dst_io,
                                int dst_fd, buffer::Buffer& dst_out, bool& dst_can_write,
                                bool& dst_error) {
  if (!dst_can_write || dst_error) return false;
  uint32_t n = fwd.forwardable(src.view());
  iovec iov[2];
  int cnt = 0;
  uint32_t out_size = dst_out.size();
  if (out_size) iov[cnt++] = {const_cast<char*>(dst_out.data()), out_size};
  if (n) iov[cnt++] = {const_cast<char*>(src.data()), n};
  if (cnt == 0) return false;
  // One iovec goes through send(), which skips the msghdr/iovec import of sendmsg().
  ssize_t w = dst_io.sendv(dst_fd, iov, cnt);
  if (w < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      dst_can_write = false;
    else if (errno != EINTR)
      dst_error = true;
    return false;
  }
  auto written = static_cast<uint32_t>(w);
  if (written < out_size + n) dst_can_write = false;
  uint32_t from_out = written < out_size ? written : out_size;
  dst_out.consume(from_out);
  uint32_t from_src = written - from_out;
  if (from_src) {
    src.consume(from_src);
    fwd.sent(from_src);
  }
  return written > 0;
}

// ---------------------------------------------------------------- request head

void DownstreamConnection::stepHead() {
  if (flushOut()) redo_ = true;
  if (client_error_ && !out_.empty()) {
    close();
    return;
  }
  const config::Config& cfg = *worker_.current()->snapshot->config;
  if (!in_.empty()) {
    if (timer_kind_ == TimerKind::Idle) armTimer(TimerKind::Header, cfg.timeouts.client_header_ms);
    bool oversized = in_.size() > cfg.limits.max_header_bytes && !io_.isVirtual();
    bool partial = false;
    if (in_.data()[0] == 'P' && h2cPreface(partial)) {
      handoffH2();
      return;
    }
    if ((head_has_newline_ || oversized) && !partial) {
      head_has_newline_ = false;
      if (!heads_) heads_ = worker_.acquireHeads();
      http1::Limits limits{cfg.limits.max_request_line, cfg.limits.max_header_bytes,
                           cfg.limits.max_header_count};
      // An HTTP/2 stream's head was bounded by the listener's max_header_list_size (at most
      // 64 KiB) already: its HTTP/1.1 form (always smaller) must not meet a second, smaller limit.
      if (io_.isVirtual()) limits.max_request_line = limits.max_header_bytes = 65536;
      http1::ParseResult r = http1::parseRequestHead(in_.view(), limits, heads_->req);
      if (r.state == ParseState::Done) {
        startExchange();
        redo_ = true;
        return;
      }
      if (r.state == ParseState::Error) {
        log::debug("{}: bad request: {}", peer_ip_, r.error ? r.error : "?");
        method_ = http::Method::Other;
        respondError(r.error_status ? r.error_status : 400);
        return;
      }
    }
    if (!out_.empty()) return;  // let a pending response drain first
  }
  if (readClient()) {
    redo_ = true;
    return;
  }
  if (client_eof_) {
    close();
    return;
  }
  if (in_.empty() && out_.empty()) {
    in_.releaseIfEmpty(worker_.buffers());
    out_.releaseIfEmpty(worker_.buffers());
    if (heads_) {
      worker_.releaseHeads(heads_);
      heads_ = nullptr;
    }
    if (worker_.draining()) close();
  }
}

// ---------------------------------------------------------------- exchange

void DownstreamConnection::stepExchange() {
  if (file_.active()) {
    stepStatic();
    return;
  }
  upstream::UpstreamConnection* u = up_;
  if (!u) {
    // Between two attempts or queued for a connection slot: a timer resumes us.
    if (backoff_pending_ || waiting_) return;
    stepClosing();
    return;
  }
  bool progress = false;
  // Request direction: head + body to the upstream.
  if (u->state == upstream::UpstreamConnection::State::Active) {
    if (!response_timer_armed_) {  // connected: the connect timeout becomes the per-try one
      worker_.loop().timers().arm(u->timer, tryTimeoutMs());
      response_timer_armed_ = true;
    }
    if (!heads_->req_body.done() || !u->out.empty()) {
      if (pipe(in_, heads_->req_body, u->io, u->fd, u->out, u->can_write, u->error))
        progress = true;
      if (heads_->req_body.error() && !heads_->req_body.tooLarge()) {
        log::debug("{}: invalid request body: {}", peer_ip_, heads_->req_body.errorText());
        // Never let the backend see a truncated body as complete: abort its connection.
        endExchangeResources(true);
        respondError(400);
        return;
      }
      if (heads_->req_body.tooLarge()) {
        endExchangeResources(true);
        respondError(413);
        return;
      }
      if (!heads_->req_body.done() && in_.empty() && !u->error) {
        if (readClient())
          progress = true;
        else if (client_eof_) {
          // Client went away mid-body: abort upstream, nothing to answer.
          endExchangeResources(true);
          close();
          return;
        }
      }
      if (!heads_->req_body.done() && progress && timer_kind_ == TimerKind::Body)
        armTimer(TimerKind::Body, gen_->snapshot->config->timeouts.client_body_ms);
    }
  }
  // Response direction.
  if (!resp_head_done_) {
    if (!u->in.empty()) {
      http1::ParseResult r =
          http1::parseResponseHead(u->in.view(), kResponseLimits, method_, heads_->resp);
      if (r.state == ParseState::Error) {
        log::warn("invalid response from {}: {}", host_->text, r.error ? r.error : "?");
        endExchangeResources(true);
        respondError(502);
        return;
      }
      if (r.state == ParseState::Done) {
        if (heads_->resp.status < 200 && heads_->resp.status != 101) {
          // Interim response: forward to HTTP/1.1 clients (drop a 100 we already sent).
          if (version_minor_ == 1 && !(heads_->resp.status == 100 && sent_100_)) {
            uint32_t space;
            char* p = out_.writable(worker_.buffers(), space);
            HeadWriter w{p, p + space};
            ResponseForwardInfo info{gen_->snapshot->config->via_name, false, true, false};
            writeDownstreamResponseHead(heads_->resp, info, w);
            if (!w.overflow) out_.commit(static_cast<uint32_t>(w.written(p)));
            if (heads_->resp.status == 100) sent_100_ = true;
          }
          u->in.consume(static_cast<uint32_t>(heads_->resp.head_length));
          redo_ = true;
          return;
        }
        if (heads_->resp.status >= 500 && retryAllowed(Failure::Status, heads_->resp.status)) {
          attemptFailed(Failure::Status, heads_->resp.status);
          return;
        }
        startResponse();
        redo_ = true;  // continue in whatever state startResponse left (exchange or tunnel)
        return;
      }
    }
    if (readUpstream()) {
      redo_ = true;
      return;
    }
    if (u->eof || u->error) {
      attemptFailed(u->state == upstream::UpstreamConnection::State::Connecting ? Failure::Connect
                                                                                : Failure::Reset);
      return;
    }
    if (flushOut()) progress = true;
    if (progress) redo_ = true;
    return;
  }
  // Response body to the client. Large Content-Length bodies are spliced (socket -> pipe ->
  // socket, no copy through user space) once the head and any body bytes already read are out.
  bool splicing = splice_ && u->in.empty() && out_.empty();
  if (splicing) {
    if (spliceBody()) progress = true;
  } else if (encoder_) {
    if (compressToClient()) progress = true;
  } else if (dechunk_) {
    if (dechunkToClient()) progress = true;
  } else if (pipe(u->in, heads_->resp_body, io_, fd_, out_, can_write_, client_error_)) {
    progress = true;
  }
  if (!can_write_) ensureNoDelay();
  if (heads_->resp_body.error()) {
    log::warn("invalid response body from {}: {}", host_->text, heads_->resp_body.errorText());
    endExchangeResources(true);
    close();
    return;
  }
  if (client_error_) {
    endExchangeResources(true);
    close();
    return;
  }
  if (heads_->resp_body.done() && out_.empty() && (!encoder_ || compress_done_)) {
    finishExchange();
    return;
  }
  if (!heads_->resp_body.done()) {
    if (!splicing && !splice_ && readUpstream()) {
      progress = true;
    } else if (u->eof && u->in.empty() && pipe_bytes_ == 0) {
      heads_->resp_body.sourceClosed();
      if (heads_->resp_body.done()) {
        progress = true;
      } else {
        // Truncated response: the client must not mistake it for a complete one.
        log::warn("upstream {} closed mid-response", host_->text);
        endExchangeResources(true);
        close();
        return;
      }
    }
    if (progress) worker_.loop().timers().arm(u->timer, response_ms_);
  }
  if (progress) redo_ = true;
}

bool DownstreamConnection::spliceBody() {
  upstream::UpstreamConnection* u = up_;
  BodyForwarder& body = heads_->resp_body;
  if (pipe_[0] < 0 && !worker_.acquirePipe(pipe_, pipe_cap_)) {
    splice_ = false;  // no pipe available: fall back to the copying path
    return false;
  }
  bool progress = false;
  for (;;) {
    bool moved = false;
    if (pipe_bytes_ && can_write_) {
      ssize_t n =
          ::splice(pipe_[0], nullptr, fd_, nullptr, pipe_bytes_, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
      if (n > 0) {
        if (static_cast<uint32_t>(n) < pipe_bytes_) can_write_ = false;
        pipe_bytes_ -= static_cast<uint32_t>(n);
        body.sent(static_cast<uint32_t>(n));
        moved = true;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        can_write_ = false;
      } else if (n < 0 && errno != EINTR) {
        client_error_ = true;
        return progress;
      }
    }
    uint64_t unread = body.remaining() - pipe_bytes_;
    if (unread && pipe_bytes_ < pipe_cap_ && u->can_read && !u->eof) {
      uint64_t len = pipe_cap_ - pipe_bytes_;
      if (unread < len) len = unread;
      ssize_t n = ::splice(u->fd, nullptr, pipe_[1], nullptr, static_cast<size_t>(len),
                           SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
      // A short splice does not mean the socket is drained (the pipe can run out of slots
      // before bytes), and EAGAIN is ambiguous while the pipe holds data (pipe full or socket
      // empty): only EAGAIN into an empty pipe proves the socket empty. Otherwise we retry
      // after the client drains the pipe.
      if (n > 0) {
        pipe_bytes_ += static_cast<uint32_t>(n);
        moved = true;
      } else if (n == 0) {
        u->eof = true;
        u->can_read = false;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (pipe_bytes_ == 0) u->can_read = false;
      } else if (errno != EINTR) {
        u->eof = true;
        u->error = true;
        u->can_read = false;
      }
    }
    if (!moved) break;
    progress = true;
  }
  return progress;
}

void DownstreamConnection::ensureNoDelay() {
  if (nodelay_) return;  // (virtual connections start with it set: there is no socket)
  nodelay_ = true;
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void DownstreamConnection::releasePipe() {
  if (pipe_[0] < 0) return;
  // A pipe still holding bytes of an aborted body cannot be reused.
  worker_.releasePipe(pipe_, pipe_cap_, pipe_bytes_ == 0);
  pipe_[0] = pipe_[1] = -1;
  pipe_bytes_ = 0;
}

bool DownstreamConnection::dechunkToClient() {
  bool progress = false;
  upstream::UpstreamConnection* u = up_;
  while (!heads_->resp_body.done() && !u->in.empty()) {
    uint32_t space = out_.spaceLeft();
    if (space < 64) break;
    std::string_view src = u->in.view();
    if (src.size() > space) src = src.substr(0, space);
    auto st = heads_->resp_body.decodeStep(src);
    if (st.kind == http1::ChunkedDecoder::Kind::Error) {
      heads_->resp_body.markError(st.error ? st.error : "invalid chunked framing");
      return progress;
    }
    if (st.kind == http1::ChunkedDecoder::Kind::Data)
      out_.append(worker_.buffers(), st.data.data(), static_cast<uint32_t>(st.data.size()));
    u->in.consume(static_cast<uint32_t>(st.consumed));
    if (st.consumed) progress = true;
    if (st.kind == http1::ChunkedDecoder::Kind::Done) heads_->resp_body.markDone();
    if (st.kind == http1::ChunkedDecoder::Kind::NeedMore && st.consumed == 0) break;
  }
  if (flushOut()) progress = true;
  return progress;
}

void DownstreamConnection::startResponse() {
  const config::Config& cfg = *gen_->snapshot->config;
  resp_head_done_ = true;
  status_ = heads_->resp.status;
  cluster_->recordOutcome(host_idx_, false, status_, worker_.loop().nowMs());
  BodyFraming framing = heads_->resp.framing;
  if (framing == BodyFraming::Tunnel && !(heads_->resp.status == 101 && websocket_)) {
    endExchangeResources(true);
    respondError(502);
    return;
  }
  bool upstream_keep = heads_->resp.version_minor == 1
                           ? !heads_->resp.conn_close
                           : (heads_->resp.conn_keep_alive && !heads_->resp.conn_close);
  upstream_reusable_ =
      upstream_keep && framing != BodyFraming::UntilClose && framing != BodyFraming::Tunnel;
  dechunk_ = framing == BodyFraming::Chunked && version_minor_ == 0;
  if (framing == BodyFraming::UntilClose || dechunk_) keep_alive_ = false;
  if (worker_.draining()) keep_alive_ = false;
  ResponseForwardInfo info{cfg.via_name, version_minor_ == 0, keep_alive_, dechunk_,
                           extra_resp_headers_};
  HeaderVars vars{peer_ip_, heads_->req.host, heads_->req.target, heads_->ids.requestId(),
                  &heads_->route_vars};
  if (route_ && route_->config && !route_->config->response_headers.empty()) {
    info.ops = &route_->config->response_headers;
    info.vars = &vars;
  }
  encoder_.reset();
  compress_done_ = false;
  const filters::compress::Coding coding = chooseCompression();
  if (coding != filters::compress::Coding::Identity) {
    encoder_ = worker_.encoders().acquire(coding, route_->config->compress.level);
    if (encoder_) info.content_encoding = filters::compress::codingName(coding);
  }
  uint32_t space;
  char* p = out_.writable(worker_.buffers(), space);
  HeadWriter w{p, p + space};
  writeDownstreamResponseHead(heads_->resp, info, w);
  if (w.overflow) {
    endExchangeResources(true);
    respondError(502);
    return;
  }
  out_.commit(static_cast<uint32_t>(w.written(p)));
  resp_head_bytes_ = static_cast<uint32_t>(w.written(p));
  up_->in.consume(static_cast<uint32_t>(heads_->resp.head_length));
  heads_->resp_body.start(framing, heads_->resp.content_length);
  resp_started_ = true;
  splice_ = framing == BodyFraming::ContentLength && !dechunk_ && !encoder_ && fd_ >= 0 &&
            !io_.isTls() && !up_->io.isTls() && up_->fd >= 0 &&
            heads_->resp.content_length >= up_->in.size() + kSpliceMinBytes;
  if (framing == BodyFraming::Tunnel) {
    logExchange();
    state_ = State::Tunnel;
  }
}

void DownstreamConnection::finishExchange() {
  bool request_complete = heads_->req_body.done();
  if (!request_complete) keep_alive_ = false;
  logExchange();
  endExchangeAccounting();
  releasePipe();
  splice_ = false;
  encoder_.reset();
  if (up_) {
    if (upstream_reusable_ && request_complete && up_->in.empty() && !up_->eof && !up_->error) {
      ++up_->exchanges;
      up_->park(worker_.buffers());
    } else {
      up_->close(worker_.buffers(), !request_complete);
    }
    up_ = nullptr;
    wakeWaiter();
  }
  if (gen_) {
    worker_.unpin(gen_);
    gen_ = nullptr;
  }
  if (!keep_alive_ || client_eof_) {
    state_ = State::Closing;
    redo_ = true;
    return;
  }
  state_ = State::WaitHead;
  ensureNoDelay();  // entering keep-alive, as nginx's tcp_nodelay
  head_has_newline_ = !in_.empty();
  const config::Config& cfg = *worker_.current()->snapshot->config;
  if (in_.empty())
    armTimer(TimerKind::Idle, cfg.timeouts.client_idle_ms);
  else
    armTimer(TimerKind::Header, cfg.timeouts.client_header_ms);
  out_.releaseIfEmpty(worker_.buffers());
  redo_ = true;
}

void DownstreamConnection::endExchangeResources(bool abort_upstream) {
  if (up_) {
    up_->close(worker_.buffers(), abort_upstream);
    up_ = nullptr;
    wakeWaiter();
  }
}

void DownstreamConnection::respondError(uint16_t status, std::string_view extra,
                                        const config::DirectResponse* direct) {
  endExchangeResources(true);
  if (!heads_) heads_ = worker_.acquireHeads();
  if (resp_started_) {
    close();
    return;
  }
  const config::Config& cfg = gen_ ? *gen_->snapshot->config : *worker_.current()->snapshot->config;
  bool in_exchange = state_ == State::Exchange;
  if (!in_exchange) {
    // A request we could not parse: log what we know.
    started_ms_ = worker_.loop().nowMs();
    log_method_len_ = log_target_len_ = log_host_len_ = log_ua_len_ = log_ref_len_ = 0;
    cluster_name_ = nullptr;
    host_ = nullptr;
    heads_->resp_body.start(BodyFraming::None, 0);
    heads_->ids.request_id_len = 0;
    heads_->ids.has_traceparent = false;
    version_minor_ = 1;
  }
  // The connection survives routing and upstream failures when the request was read whole;
  // parse errors, timeouts and size limits always close it.
  bool keep = in_exchange && keep_alive_ && heads_->req_body.done() && !client_eof_ &&
              (direct || (status >= 301 && status <= 308) || status == 404 || status == 501 ||
               status == 502 || status == 503 || status == 504);
  status_ = status;
  keep_alive_ = keep;
  uint32_t space;
  char* p = out_.writable(worker_.buffers(), space);
  HeadWriter w{p, p + space};
  if (direct) {
    writeLocalResponse(status, !keep, method_ == http::Method::Head, cfg.server_header,
                       direct->content_type, direct->body, w, extra);
  } else if (in_exchange && status >= 400 && grpc_) {
    // gRPC clients read errors from grpc-status: a trailers-only response (HTTP/2: a single
    // HEADERS frame ending the stream).
    std::string fields = grpc::errorFields(status);
    fields.append(extra);
    writeLocalResponse(200, !keep, false, cfg.server_header, "application/grpc", "", w, fields);
  } else {
    writeErrorResponse(status, !keep, method_ == http::Method::Head, cfg.server_header, w,
                       retry_after_ ? std::string_view("Retry-After: 5\r\n") : extra);
  }
  retry_after_ = false;
  if (!w.overflow) out_.commit(static_cast<uint32_t>(w.written(p)));
  resp_head_bytes_ = static_cast<uint32_t>(w.written(p));
  logExchange();
  if (in_exchange) endExchangeAccounting();
  if (gen_) {
    worker_.unpin(gen_);
    gen_ = nullptr;
  }
  redo_ = true;
  if (!keep) {
    state_ = State::Closing;
    return;
  }
  state_ = State::WaitHead;
  head_has_newline_ = !in_.empty();
  if (in_.empty())
    armTimer(TimerKind::Idle, cfg.timeouts.client_idle_ms);
  else
    armTimer(TimerKind::Header, cfg.timeouts.client_header_ms);
}

void DownstreamConnection::logExchange() {
  proxy::AccessLog& al = worker_.accessLog();
  if (!al.enabled()) return;
  AccessRecord r;
  r.client_ip = peer_ip_;
  std::string_view s = log_store_;
  size_t off = 0;
  auto take = [&](uint32_t n) {
    std::string_view v = s.substr(off, n);
    off += n;
    return v;
  };
  r.method = take(log_method_len_);
  r.target = take(log_target_len_);
  r.host = take(log_host_len_);
  r.user_agent = take(log_ua_len_);
  r.referer = take(log_ref_len_);
  r.version_minor = version_minor_;
  r.http2 = io_.isVirtual();
  r.status = status_;
  r.bytes_sent = resp_head_bytes_ + heads_->resp_body.bytesSent();
  r.duration_ms = worker_.loop().nowMs() - started_ms_;
  if (cluster_name_) r.cluster = *cluster_name_;
  if (host_) r.upstream_host = host_->text;
  r.request_id = heads_->ids.requestId();
  r.trace_id = heads_->ids.traceId();
  al.log(r, worker_.loop().wallSeconds());
}

// ---------------------------------------------------------------- tunnel

void DownstreamConnection::stepTunnel() {
  upstream::UpstreamConnection* u = up_;
  if (!u) {
    close();
    return;
  }
  bool progress = false;
  BodyForwarder up_dir, down_dir;
  up_dir.start(BodyFraming::Tunnel, 0);
  down_dir.start(BodyFraming::Tunnel, 0);
  if (pipe(in_, up_dir, u->io, u->fd, u->out, u->can_write, u->error)) progress = true;
  if (pipe(u->in, down_dir, io_, fd_, out_, can_write_, client_error_)) progress = true;
  if (in_.empty() && readClient()) progress = true;
  if (u->in.empty() && readUpstream()) progress = true;
  if (client_error_ || u->error) {
    endExchangeResources(true);
    close();
    return;
  }
  if (client_eof_ && in_.empty() && !tunnel_up_shut_) {
    u->io.shutdownWrite(u->fd);
    tunnel_up_shut_ = true;
  }
  if (u->eof && u->in.empty() && out_.empty() && !tunnel_down_shut_) {
    io_.shutdownWrite(fd_);
    tunnel_down_shut_ = true;
  }
  if (tunnel_up_shut_ && tunnel_down_shut_) {
    endExchangeResources(false);
    close();
    return;
  }
  if (progress) redo_ = true;
}

// ---------------------------------------------------------------- closing

void DownstreamConnection::stepClosing() {
  if (flushOut()) redo_ = true;
  if (client_error_) {
    close();
    return;
  }
  if (!out_.empty()) return;
  // Nothing unread: close() sends a FIN after the queued response, no RST can happen. A
  // virtual connection has no socket to linger on.
  if ((in_.empty() && !can_read_ && !rdhup_) || io_.isVirtual()) {
    close();
    return;
  }
  // Lingering close: stop sending, drain what the client still sends, so our response is not
  // destroyed by an RST caused by unread input.
  io_.shutdownWrite(fd_);
  state_ = State::Lingering;
  in_.release(worker_.buffers());
  armTimer(TimerKind::Linger, kLingerMs);
  redo_ = true;
}

void DownstreamConnection::stepLinger() {
  if (can_read_) {
    can_read_ = false;
    if (!net::discardInput(fd_)) {
      close();
      return;
    }
  }
  if (client_error_) close();
}

void DownstreamConnection::onTimer(void* self) {
  auto* c = static_cast<DownstreamConnection*>(self);
  TimerKind kind = c->timer_kind_;
  c->timer_kind_ = TimerKind::None;
  switch (kind) {
    case TimerKind::Idle:
      c->close();
      return;
    case TimerKind::Header:
      if (c->state_ == State::Handshake) {
        c->close();
        return;
      }
      if (c->state_ == State::WaitHead) {
        if (c->in_.empty()) {
          c->close();
          return;
        }
        c->method_ = http::Method::Other;
        c->respondError(408);
        c->drive();
      }
      return;
    case TimerKind::Body:
      if (c->state_ == State::Exchange) {
        c->endExchangeResources(true);
        c->respondError(408);
        c->drive();
      }
      return;
    case TimerKind::Backoff:
      c->onBackoffDone();
      return;
    case TimerKind::Pending:
      c->onPendingTimer();
      return;
    case TimerKind::Linger:
    case TimerKind::None:
      if (c->state_ == State::Lingering || c->state_ == State::Closing) c->close();
      return;
  }
}

void DownstreamConnection::onDrain() {
  if (state_ == State::Handshake || (state_ == State::WaitHead && in_.empty() && out_.empty())) {
    close();
    return;
  }
  keep_alive_ = false;
}

void DownstreamConnection::close() {
  if (state_ == State::Closed) return;
  endExchangeResources(true);
  if (gen_) endExchangeAccounting();
  if (gen_) {
    worker_.unpin(gen_);
    gen_ = nullptr;
  }
  const State state_before_close = state_;
  state_ = State::Closed;
  releasePipe();
  encoder_.reset();
  file_.close();
  timer_.cancel();
  if (io_.isVirtual()) {
    net::VirtualPeer* stream = io_.virtualPeer();
    io_.reset();
    releaseAndDelete();
    stream->virtualClose(
        state_before_close == State::Closing ||
        (state_before_close == State::Tunnel && tunnel_up_shut_ && tunnel_down_shut_));
    return;
  }
  worker_.removeDrainListener(this);
  if (!client_error_ && state_before_close != State::Handshake) io_.sendCloseNotify();
  io_.reset();
  ::close(fd_);
  fd_ = -1;
  releaseAndDelete();
  worker_.connectionClosed();
}

}  // namespace portico::proxy
