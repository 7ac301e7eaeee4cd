#include "upstream/upstream_connection.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "core/log.h"
#include "tls/client_context.h"
#include "upstream/h2/h2_session.h"

namespace portico::upstream {

UpstreamConnection* UpstreamConnection::makeVirtual(event::Loop& loop, HostPool& pool) {
  auto* c = new UpstreamConnection(loop);
  c->pool = &pool;
  c->timer.setCallback(&UpstreamConnection::onTimer, c);
  ++pool.active;
  return c;
}

UpstreamConnection* UpstreamConnection::connect(event::Loop& loop, HostPool& pool) {
  if (pool.h2) return H2Session::openStream(loop, pool);
  int fd = net::connectSocket(pool.address);
  if (fd < 0) return nullptr;
  auto* c = new UpstreamConnection(loop);
  c->fd = fd;
  c->pool = &pool;
  c->timer.setCallback(&UpstreamConnection::onTimer, c);
  if (!loop.add(fd, c)) {
    int e = errno;
    ::close(fd);
    delete c;
    errno = e;
    return nullptr;
  }
  if (pool.tls && !c->io.attachTls(pool.tls->newSsl(pool.tls_host), fd)) {
    loop.remove(fd);
    ::close(fd);
    delete c;
    errno = ENOMEM;
    return nullptr;
  }
  ++pool.active;
  return c;
}

void UpstreamConnection::continueConnect() {
  if (!io.isTls()) {
    state = State::Active;
    return;
  }
  bool want_write = false;
  const char* why = nullptr;
  int r = io.handshake(want_write, why);
  if (r == 1) {
    const unsigned char* alpn = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(io.ssl(), &alpn, &len);
    if (pool->h2_auto && len == 2 && alpn[0] == 'h' && alpn[1] == '2') {
      pool->h2 = true;  // this server speaks h2: its next exchanges are streams too
      H2Session::adopt(loop_, *pool, *this);
      return;
    }
    state = State::Active;
    can_read = can_write = true;
    return;
  }
  if (r < 0) {
    log::warn("TLS handshake with {} failed: {}", pool->text, why ? why : "?");
    error = eof = true;
    return;
  }
  if (want_write)
    can_write = false;
  else
    can_read = false;
}

void UpstreamConnection::onTimer(void* self) {
  auto* c = static_cast<UpstreamConnection*>(self);
  if (c->state == State::Idle) {
    c->close(*c->idle_bp_);
    return;
  }
  if (c->owner) c->owner->onUpstreamTimeout();
}

void UpstreamConnection::onEvents(uint32_t events) {
  if (state == State::Closed) return;
  if (events & (EPOLLERR | EPOLLHUP)) error = true;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) can_read = true;
  if (events & EPOLLOUT) {
    can_write = true;
    if (state == State::Connecting && !(events & EPOLLERR)) tcp_connected = true;
  }
  if (state == State::Connecting && tcp_connected && !error) continueConnect();
  if (events & EPOLLRDHUP) rdhup = true;
  if (state == State::Idle) {
    // A backend never speaks first: data or a close while idle retires the connection.
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) close(*idle_bp_);
    return;
  }
  if (owner) owner->onUpstreamEvent();
}

bool UpstreamConnection::park(buffer::BufferPool& bp) {
  if (io.isVirtual()) {  // a finished stream is not reused; the session is
    close(bp);
    return false;
  }
  owner = nullptr;
  timer.cancel();
  in.release(bp);
  out.release(bp);
  if (eof || rdhup || error || pool->idle.size() >= pool->max_idle) {
    close(bp);
    return false;
  }
  --pool->active;
  if (pool->stats) pool->stats->connections.fetch_sub(1, std::memory_order_relaxed);
  state = State::Idle;
  idle_bp_ = &bp;
  reused = true;
  pool->idle.push_back(this);
  loop_.timers().arm(timer, pool->idle_timeout_ms);
  return true;
}

void UpstreamConnection::adopt(UpstreamOwner* o) {
  timer.cancel();
  owner = o;
  state = State::Active;
  can_write = true;  // it was writable when parked; a failed write will say otherwise
  ++pool->active;
}

bool UpstreamConnection::readSome(buffer::BufferPool& bp, uint32_t max_bytes) {
  uint32_t space;
  char* p = in.writable(bp, space);
  if (space == 0) return false;
  if (max_bytes && space > max_bytes) space = max_bytes;
  ssize_t n = io.recv(fd, p, space);
  if (n > 0) {
    in.commit(static_cast<uint32_t>(n));
    if (static_cast<uint32_t>(n) < space && !rdhup && io.shortReadDrains()) can_read = false;
    return true;
  }
  if (n == 0) {
    eof = true;
    can_read = false;
  } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
    can_read = false;
  } else if (errno != EINTR) {
    eof = true;
    error = true;
    can_read = false;
  }
  return false;
}

void UpstreamConnection::close(buffer::BufferPool& bp, bool abort) {
  if (state == State::Closed) return;
  if (state == State::Idle)
    pool->removeIdle(this);
  else
    --pool->active;
  state = State::Closed;
  if (pool->stats) pool->stats->connections.fetch_sub(1, std::memory_order_relaxed);
  timer.cancel();
  in.release(bp);
  out.release(bp);
  owner = nullptr;
  if (io.isVirtual()) {
    net::VirtualPeer* stream = io.virtualPeer();
    io.reset();
    stream->virtualClose(!abort);
    loop_.deleteLater(this);
    return;
  }
  if (abort) {
    linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  io.reset();
  ::close(fd);
  fd = -1;
  owner = nullptr;
  loop_.deleteLater(this);
}

}  // namespace portico::upstream
