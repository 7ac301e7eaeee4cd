#include "upstream/h2/h2_session.h"

#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/log.h"
#include "tls/client_context.h"
#include "upstream/h2/h2_upstream_stream.h"
#include "upstream/upstream_connection.h"

namespace portico::upstream {

namespace {
// A session that cannot connect within this time fails its streams (their own connect
// timeouts usually fire first).
constexpr uint32_t kConnectMs = 10000;
}  // namespace

UpstreamConnection* H2Session::openStream(event::Loop& loop, HostPool& pool) {
  H2Session* s = pool.h2_session;
  if (!s || !s->takesStreams()) {
    if (s) s->pool_ = nullptr, pool.h2_session = nullptr;  // it finishes what it has
    s = new H2Session(loop, pool);
    if (!s->begin()) {
      int e = errno;
      delete s;
      errno = e;
      return nullptr;
    }
    pool.h2_session = s;
  }
  UpstreamConnection* u = UpstreamConnection::makeVirtual(loop, pool);
  auto* st = new H2UpstreamStream(*s, *u);
  u->io.attachVirtual(st, nullptr);
  s->streams_.push_back(st);
  if (s->connected_) st->onSessionReady();
  return u;
}

void H2Session::adopt(event::Loop& loop, HostPool& pool, UpstreamConnection& conn) {
  auto* s = new H2Session(loop, pool);
  s->fd_ = conn.fd;
  s->io_.adoptTls(conn.io.releaseTls());
  conn.fd = -1;
  s->tcp_connected_ = s->connected_ = true;
  s->can_read_ = s->can_write_ = true;
  if (!loop.rebind(s->fd_, s)) {
    s->fail("cannot take over the connection");
    conn.eof = conn.error = true;
    return;
  }
  if (!pool.h2_session) pool.h2_session = s;
  auto* st = new H2UpstreamStream(*s, conn);
  conn.io.attachVirtual(st, nullptr);
  s->streams_.push_back(st);
  st->onSessionReady();
  s->scheduleFlush();
}

H2Session::H2Session(event::Loop& loop, HostPool& pool)
    : loop_(loop), pool_(&pool), bp_(*pool.buffers) {
  timer_.setCallback(&H2Session::onTimer, this);
  await_timer_.setCallback(&H2Session::onAwaitTimer, this);
  http2::Limits limits;
  codec_ = std::make_unique<http2::Http2ClientCodec>(bp_, *this, limits);
}

H2Session::~H2Session() {
  in_.release(bp_);
  out_.release(bp_);
}

bool H2Session::begin() {
  fd_ = net::connectSocket(pool_->address);
  if (fd_ < 0) return false;
  if (!loop_.add(fd_, this)) {
    int e = errno;
    ::close(fd_);
    fd_ = -1;
    errno = e;
    return false;
  }
  if (pool_->tls && !io_.attachTls(pool_->tls->newSsl(pool_->tls_host), fd_)) {
    loop_.remove(fd_);
    ::close(fd_);
    fd_ = -1;
    errno = ENOMEM;
    return false;
  }
  loop_.timers().arm(timer_, kConnectMs);
  return true;
}

bool H2Session::takesStreams() const {
  return !closed_ && !goaway_ && (codec_->state() == http2::ConnState::Active);
}

void H2Session::onEvents(uint32_t events) {
  if (closed_) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) can_read_ = true;
  if (events & EPOLLRDHUP) rdhup_ = true;
  if (events & EPOLLOUT) {
    can_write_ = true;
    if (!(events & EPOLLERR)) tcp_connected_ = true;
  }
  if (events & (EPOLLHUP | EPOLLERR)) {
    fail(connected_ ? "connection reset" : "connect failed");
    return;
  }
  drive();
}

bool H2Session::continueConnect() {
  if (io_.isTls()) {
    bool want_write = false;
    const char* why = nullptr;
    int r = io_.handshake(want_write, why);
    if (r < 0) {
      log::warn("TLS handshake with {} failed: {}", pool_ ? pool_->text : "?", why ? why : "?");
      fail("TLS handshake failed");
      return false;
    }
    if (r == 0) {
      if (want_write)
        can_write_ = false;
      else
        can_read_ = false;
      return false;
    }
    const unsigned char* alpn = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(io_.ssl(), &alpn, &len);
    if (!(len == 2 && alpn[0] == 'h' && alpn[1] == '2')) {
      fail("the server did not agree to h2 (ALPN)");
      return false;
    }
    can_read_ = can_write_ = true;
  }
  onConnected();
  return true;
}

void H2Session::onConnected() {
  connected_ = true;
  timer_.cancel();
  std::vector<H2UpstreamStream*> now = streams_;
  for (H2UpstreamStream* s : now)
    if (!closed_) s->onSessionReady();
}

void H2Session::scheduleFlush() {
  if (closed_) return;
  if (in_drive_) {
    redo_ = true;
    return;
  }
  if (flush_deferred_) return;
  flush_deferred_ = true;
  loop_.defer(this);
}

void H2Session::runDeferred() {
  flush_deferred_ = false;
  if (!closed_) drive();
}

void H2Session::drive() {
  if (in_drive_) {
    redo_ = true;
    return;
  }
  if (!connected_) {
    if (!tcp_connected_ || !continueConnect()) return;
  }
  in_drive_ = true;
  for (int rounds = 0; rounds < 64 && !closed_; ++rounds) {
    redo_ = false;
    bool progress = false;
    // Output.
    for (;;) {
      if (out_.empty() && codec_->wantsWrite()) codec_->flushTo(out_);
      if (out_.empty() || !can_write_) break;
      ssize_t n = io_.send(fd_, out_.data(), out_.size());
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          can_write_ = false;
          break;
        }
        if (errno == EINTR) continue;
        in_drive_ = false;
        fail("write failed");
        return;
      }
      progress = true;
      out_.consume(static_cast<uint32_t>(n));
      if (!out_.empty()) {
        can_write_ = false;
        break;
      }
      out_.releaseIfEmpty(bp_);
    }
    // Input.
    if (can_read_) {
      uint32_t space;
      char* p = in_.writable(bp_, space);
      ssize_t n = io_.recv(fd_, p, space);
      if (n > 0) {
        progress = true;
        // Nothing left in the socket (or OpenSSL): wait for EPOLLIN, no EAGAIN read.
        if (static_cast<uint32_t>(n) < space && !rdhup_ && io_.shortReadDrains()) can_read_ = false;
        feeding_ = true;
        http2::Status st =
            codec_->feed(reinterpret_cast<const uint8_t*>(p), static_cast<size_t>(n));
        feeding_ = false;
        in_.releaseIfEmpty(bp_);
        deliverNotifications();  // what arrived before a failure still reaches its exchange
        if (!st.ok) {
          log::warn("HTTP/2 session with {} failed: {}", pool_ ? pool_->text : "?", st.reason);
          goaway_ = true;
          // Flush our GOAWAY, then fail what is left.
          if (out_.empty() && codec_->wantsWrite()) codec_->flushTo(out_);
          if (!out_.empty() && can_write_) io_.send(fd_, out_.data(), out_.size());
          in_drive_ = false;
          fail(st.reason);
          return;
        }
      } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        in_drive_ = false;
        fail(n == 0 ? "closed by the server" : "read failed");
        return;
      } else if (errno != EINTR) {
        can_read_ = false;
        in_.releaseIfEmpty(bp_);
      }
    }
    startWaiting();
    if (!progress && !redo_) break;
  }
  in_drive_ = false;
  if (redo_ && !flush_deferred_) {
    flush_deferred_ = true;
    loop_.defer(this);
  }
  if (codec_->shouldClose() && out_.empty()) {
    fail("session finished");
    return;
  }
  armTimer();
}

void H2Session::requestStart(H2UpstreamStream* s) {
  if (connected_ && waiting_.empty() && codec_->canStartStream() && s->startNow()) return;
  waiting_.push_back(s);
}

void H2Session::startWaiting() {
  while (!waiting_.empty() && connected_ && codec_->canStartStream()) {
    H2UpstreamStream* s = waiting_.front();
    waiting_.pop_front();
    if (!s->startNow()) break;
  }
}

void H2Session::awaitEnd(int32_t id) {
  awaiting_end_.emplace_back(loop_.nowMs() + kAwaitEndMs, id);
  if (!await_timer_.armed()) loop_.timers().arm(await_timer_, kAwaitEndMs);
}

void H2Session::onAwaitTimer(void* self) {
  auto* s = static_cast<H2Session*>(self);
  if (s->closed_) return;
  const uint64_t now = s->loop_.nowMs();
  bool reset = false;
  while (!s->awaiting_end_.empty() && s->awaiting_end_.front().first <= now) {
    s->codec_->resetStream(s->awaiting_end_.front().second, NGHTTP2_CANCEL);  // no-op if closed
    s->awaiting_end_.pop_front();
    reset = true;
  }
  if (!s->awaiting_end_.empty()) {
    const uint64_t due = s->awaiting_end_.front().first;
    s->loop_.timers().arm(s->await_timer_, static_cast<uint32_t>(due > now ? due - now : 1));
  }
  if (reset) s->scheduleFlush();
}

bool H2Session::deferNotify(H2UpstreamStream* s) {
  if (!feeding_) return false;
  if (std::find(to_notify_.begin(), to_notify_.end(), s) == to_notify_.end())
    to_notify_.push_back(s);
  return true;
}

void H2Session::deliverNotifications() {
  // By index: an exchange told here may close its stream, which forget()s it (nulls its slot).
  for (size_t i = 0; i < to_notify_.size(); ++i) {
    H2UpstreamStream* s = to_notify_[i];
    to_notify_[i] = nullptr;
    if (s) s->notify();
  }
  to_notify_.clear();
}

void H2Session::forget(H2UpstreamStream* s) {
  std::replace(to_notify_.begin(), to_notify_.end(), s, static_cast<H2UpstreamStream*>(nullptr));
  streams_.erase(std::remove(streams_.begin(), streams_.end(), s), streams_.end());
  waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), s), waiting_.end());
  for (auto it = by_id_.begin(); it != by_id_.end(); ++it)
    if (it->second == s) {
      by_id_.erase(it);
      break;
    }
  scheduleFlush();
}

void H2Session::onResponseHead(int32_t id, http::ResponseHead&& head, bool end_stream) {
  auto it = by_id_.find(id);
  if (it != by_id_.end()) it->second->onHead(std::move(head), end_stream);
}

void H2Session::onResponseData(int32_t id, std::span<const uint8_t> data, bool end_stream) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) {
    codec_->consumeResponseData(id, data.size());
    return;
  }
  it->second->onData(data, end_stream);
}

void H2Session::onResponseTrailers(int32_t id, http::HeaderList&& trailers) {
  auto it = by_id_.find(id);
  if (it != by_id_.end()) it->second->onTrailers(trailers);
}

void H2Session::onStreamReset(int32_t id, uint32_t error_code) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  H2UpstreamStream* s = it->second;
  by_id_.erase(it);
  s->onReset(error_code == NGHTTP2_REFUSED_STREAM);
}

void H2Session::onStreamClosed(int32_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  H2UpstreamStream* s = it->second;
  by_id_.erase(it);
  s->onClosed();
}

void H2Session::onStreamWritable(int32_t id) {
  auto it = by_id_.find(id);
  if (it != by_id_.end()) it->second->onWritable();
}

void H2Session::onGoawayReceived(int32_t, uint32_t) {
  goaway_ = true;
  if (pool_ && pool_->h2_session == this) {
    pool_->h2_session = nullptr;
    pool_ = nullptr;
  }
}

void H2Session::armTimer() {
  if (closed_ || !connected_) return;
  if (streams_.empty()) {
    uint32_t ms = pool_ ? pool_->idle_timeout_ms : 1;
    loop_.timers().arm(timer_, ms ? ms : 1);
  } else {
    timer_.cancel();
  }
}

void H2Session::onTimer(void* self) {
  auto* s = static_cast<H2Session*>(self);
  if (s->closed_) return;
  if (!s->connected_) {
    s->fail("connect timed out");
    return;
  }
  if (s->streams_.empty()) {  // idle: say goodbye
    s->codec_->shutdown();
    s->goaway_ = true;
    s->drive();  // may end the session itself
    s->close();
  }
}

void H2Session::fail(const char* why) {
  if (closed_) return;
  log::debug("HTTP/2 session to {} ends: {}", pool_ ? pool_->text : "?", why);
  goaway_ = true;
  if (pool_ && pool_->h2_session == this) pool_->h2_session = nullptr;
  std::vector<H2UpstreamStream*> streams;
  streams.swap(streams_);
  waiting_.clear();
  by_id_.clear();
  closed_ = true;
  for (H2UpstreamStream* s : streams) s->onSessionGone();
  close();
}

void H2Session::close() {
  if (deleted_) return;  // fail() and the idle timer may both get here
  deleted_ = true;
  closed_ = true;
  timer_.cancel();
  await_timer_.cancel();
  if (pool_ && pool_->h2_session == this) pool_->h2_session = nullptr;
  pool_ = nullptr;
  std::vector<H2UpstreamStream*> streams;
  streams.swap(streams_);
  for (H2UpstreamStream* s : streams) s->onSessionGone();
  if (fd_ >= 0) {
    io_.reset();
    ::close(fd_);
    fd_ = -1;
  }
  loop_.deleteLater(this);
}

}  // namespace portico::upstream
