#include "proxy/h2/h2_connection.h"

#include <openssl/err.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>

#include "core/log.h"
#include "proxy/h2/h2_stream.h"
#include "proxy/snapshot.h"

namespace portico::proxy::h2 {

namespace {
// How often a connection with streams checks for zero-window stalls.
constexpr uint32_t kStallCheckMs = 1000;
// How long a draining connection waits for the PING that confirms its shutdown notice.
constexpr uint32_t kDrainPingMs = 2000;
// How long a connection that sent its last GOAWAY keeps reading (and dropping) what the client
// still sends before closing (Envoy's delayed_close_timeout is 1 s as well). Closing a socket
// with unread input resets it, and the reset can destroy the GOAWAY before the client reads it.
constexpr uint32_t kLingerMs = 1000;

http2::Limits limitsOf(const config::ListenerHttp2& c) {
  http2::Limits l;
  l.max_concurrent_streams = c.max_concurrent_streams;
  l.initial_stream_window = c.initial_window_size;
  l.max_header_list_size = c.max_header_list_size;
  l.max_frame_size = c.max_frame_size;
  if (l.connection_window < c.initial_window_size) l.connection_window = c.initial_window_size;
  return l;
}
}  // namespace

void H2Connection::start(server::Worker& w, server::ListenerSocket& ls, int fd, SSL* ssl,
                         const net::Address& peer, std::string_view initial) {
  auto* c = new H2Connection(w, ls, fd, ssl, peer);
  if (!w.loop().rebind(fd, c)) {
    log::warn("cannot take over connection for HTTP/2: {}", std::strerror(errno));
    c->close();
    return;
  }
  if (!initial.empty()) {
    http2::Status st =
        c->codec_->feed(reinterpret_cast<const uint8_t*>(initial.data()), initial.size());
    if (!st.ok) c->failed_ = true;
    c->startStreams();
  }
  c->drive();
}

H2Connection::H2Connection(server::Worker& w, server::ListenerSocket& ls, int fd, SSL* ssl,
                           const net::Address& peer)
    : worker_(w), listener_(ls), fd_(fd), peer_(peer), peer_ip_(peer.ipString()) {
  io_.adoptTls(ssl);
  timer_.setCallback(&H2Connection::onTimer, this);
  const config::Config& cfg = *w.current()->snapshot->config;
  idle_ms_ = cfg.timeouts.client_idle_ms;
  config::ListenerHttp2 settings;
  if (ls.index >= 0)
    settings = w.current()->snapshot->listeners[static_cast<size_t>(ls.index)].config->http2;
  zero_window_ms_ = settings.zero_window_timeout_ms;
  codec_ = std::make_unique<http2::Http2ServerCodec>(w.buffers(), *this, limitsOf(settings));
  w.addDrainListener(this);
  if (w.draining()) codec_->startGracefulShutdown();
}

H2Connection::~H2Connection() {
  in_.release(worker_.buffers());
  out_.release(worker_.buffers());
}

void H2Connection::onEvents(uint32_t events) {
  if (closed_) return;
  if (lingering_) {
    discardInput();
    return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) can_read_ = true;
  if (events & EPOLLRDHUP) rdhup_ = true;
  if (events & (EPOLLHUP | EPOLLERR)) error_ = true;
  if (events & EPOLLOUT) can_write_ = true;
  drive();
}

void H2Connection::scheduleFlush() {
  if (closed_) return;
  if (in_drive_) {
    redo_ = true;
    return;
  }
  if (flush_deferred_) return;
  flush_deferred_ = true;
  worker_.loop().defer(this);
}

void H2Connection::runDeferred() {
  flush_deferred_ = false;
  if (!closed_ && !lingering_) drive();
}

void H2Connection::drive() {
  if (in_drive_) {
    redo_ = true;
    return;
  }
  in_drive_ = true;
  for (int rounds = 0; rounds < 64; ++rounds) {
    redo_ = false;
    bool progress = false;
    if (!flush(progress)) {
      error_ = true;
      break;
    }
    if (!pending_resets_.empty() && out_.empty() && !codec_->wantsWrite()) {
      sendPendingResets();
      progress = true;
    }
    if (!readSome(progress)) break;
    if (!progress && !redo_) break;
  }
  in_drive_ = false;
  reapStreams();
  if (error_ || (eof_ && out_.empty())) {
    close();
    return;
  }
  if ((failed_ || codec_->shouldClose()) && out_.empty()) {
    linger();
    return;
  }
  if (redo_ && !flush_deferred_) {  // more to do than one drive allows: continue next round
    flush_deferred_ = true;
    worker_.loop().defer(this);
  }
  armTimer();
}

bool H2Connection::readSome(bool& progress) {
  if (!can_read_ || eof_ || failed_) return true;
  // Stop reading while our output backs up: a client that does not read its responses (or
  // floods us with frames that need answers) gets no more input processed.
  if (out_.size() > 0 && !can_write_) return true;
  uint32_t space;
  char* p = in_.writable(worker_.buffers(), space);
  if (space == 0) return true;
  ssize_t n = io_.recv(fd_, p, space);
  if (n > 0) {
    progress = true;
    // The socket and OpenSSL are empty: wait for the next EPOLLIN instead of an EAGAIN read.
    if (static_cast<uint32_t>(n) < space && !rdhup_ && io_.shortReadDrains()) can_read_ = false;
    http2::Status st = codec_->feed(reinterpret_cast<const uint8_t*>(p), static_cast<size_t>(n));
    in_.releaseIfEmpty(worker_.buffers());
    startStreams();
    if (!st.ok) {
      log::debug("{}: HTTP/2 connection error: {}", peer_ip_, st.reason);
      failed_ = true;  // flush the GOAWAY, then close (linger())
    }
    return true;
  }
  if (n == 0) {
    eof_ = true;
  } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
    can_read_ = false;
  } else if (errno != EINTR) {
    error_ = true;
    return false;
  }
  in_.releaseIfEmpty(worker_.buffers());
  return true;
}

bool H2Connection::flush(bool& progress) {
  for (;;) {
    if (out_.empty() && codec_->wantsWrite()) codec_->flushTo(out_);
    if (out_.empty()) return true;
    if (!can_write_) return true;
    ssize_t n = io_.send(fd_, out_.data(), out_.size());
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        can_write_ = false;
        return true;
      }
      if (errno == EINTR) continue;
      return false;
    }
    progress = true;
    out_.consume(static_cast<uint32_t>(n));
    if (!out_.empty()) {
      can_write_ = false;
      return true;
    }
    out_.releaseIfEmpty(worker_.buffers());
  }
}

void H2Connection::onRequestHead(int32_t stream_id, http::RequestHead&& head, bool end_stream) {
  H2Stream* s = H2Stream::acquire(*this, stream_id);
  streams_.push_back({stream_id, s});
  s->start(head, end_stream);
}

void H2Connection::onRequestData(int32_t stream_id, std::span<const uint8_t> data,
                                 bool end_stream) {
  H2Stream* s = find(stream_id);
  if (!s) {
    codec_->consumeRequestData(stream_id, data.size());
    return;
  }
  s->onData(data, end_stream);
}

void H2Connection::onRequestTrailers(int32_t stream_id, http::HeaderList&& trailers) {
  if (H2Stream* s = find(stream_id)) s->onTrailers(trailers);
}

void H2Connection::codecClosed(int32_t stream_id) {
  if (H2Stream* s = find(stream_id)) s->onCodecClosed();
}

void H2Connection::onStreamReset(int32_t stream_id, uint32_t) {
  codecClosed(stream_id);
}

void H2Connection::onStreamClosed(int32_t stream_id) {
  codecClosed(stream_id);
}

void H2Connection::onStreamWritable(int32_t stream_id) {
  if (H2Stream* s = find(stream_id)) s->onWritable();
}

void H2Connection::onGoawayReceived(int32_t, uint32_t) {}

void H2Connection::streamFinished(H2Stream* s) {
  finished_.push_back(s);
}

void H2Connection::startStreams() {
  // Streams are deleted only by reapStreams(), after drive(): the pointers are still valid.
  for (size_t i = 0; i < to_start_.size(); ++i) to_start_[i]->run();
  to_start_.clear();
}

void H2Connection::sendPendingResets() {
  std::vector<int32_t> ids;
  ids.swap(pending_resets_);
  for (int32_t id : ids) {
    if (codec_->queuedBytes(id) > 0) {  // its response still waits on the client's window
      pending_resets_.push_back(id);
      continue;
    }
    codec_->resetStream(id, 0 /* NO_ERROR */);
    codecClosed(id);  // the codec reports nothing after our own reset
  }
}

void H2Connection::reapStreams() {
  while (!finished_.empty()) {
    reaping_.swap(finished_);
    for (H2Stream* s : reaping_) {
      for (size_t i = 0; i < streams_.size(); ++i) {
        if (streams_[i].second != s) continue;
        streams_[i] = streams_.back();
        streams_.pop_back();
        break;
      }
      H2Stream::release(s);
    }
    reaping_.clear();
  }
}

H2Stream* H2Connection::find(int32_t stream_id) const {
  for (const auto& [id, s] : streams_)
    if (id == stream_id) return s;
  return nullptr;
}

void H2Connection::onDrain() {
  if (closed_ || lingering_) return;
  codec_->startGracefulShutdown();
  drain_started_ms_ = worker_.loop().nowMs();
  scheduleFlush();
}

void H2Connection::armTimer() {
  if (closed_ || lingering_) return;
  uint32_t ms;
  if (drain_started_ms_)
    ms = kDrainPingMs;
  else if (codec_->idle())
    ms = idle_ms_;
  else
    ms = kStallCheckMs;
  if (ms) worker_.loop().timers().arm(timer_, ms);
}

void H2Connection::onTimer(void* self) {
  auto* c = static_cast<H2Connection*>(self);
  if (c->closed_) return;
  if (c->lingering_) {
    c->close();
    return;
  }
  if (c->drain_started_ms_) {
    // The client did not confirm the shutdown notice in time: send the final GOAWAY.
    c->codec_->finishGracefulShutdown();
    c->drain_started_ms_ = 0;
  } else if (c->codec_->idle()) {
    c->codec_->startGracefulShutdown();
    c->drain_started_ms_ = c->worker_.loop().nowMs();
  } else {
    uint64_t stalled_ms = 0;
    c->codec_->checkStalls();
    int32_t id = c->codec_->longestZeroWindowStall(stalled_ms);
    if (id && stalled_ms >= c->zero_window_ms_) {
      log::debug("{}: HTTP/2 stream {} stalled on a zero window for {} ms: reset",
                 c->peer_.ipString(), id, stalled_ms);
      c->codec_->resetStream(id, 0x8 /* CANCEL */);
      c->codecClosed(id);
    }
  }
  c->drive();
}

void H2Connection::abortStreams() {
  to_start_.clear();
  // Abort every exchange still running; each stream then reports itself finished.
  std::vector<H2Stream*> live;
  live.reserve(streams_.size());
  for (const auto& [id, s] : streams_) live.push_back(s);
  for (H2Stream* s : live) s->detach();
  reapStreams();
}

void H2Connection::linger() {
  if (lingering_) return;
  lingering_ = true;
  abortStreams();
  io_.shutdownWrite(fd_);  // close_notify, then FIN after what is queued (the GOAWAY)
  in_.release(worker_.buffers());
  out_.release(worker_.buffers());
  worker_.loop().timers().arm(timer_, kLingerMs);
  discardInput();
}

void H2Connection::discardInput() {
  if (!net::discardInput(fd_)) close();  // the client closed too (or the socket failed)
}

void H2Connection::close() {
  if (closed_) return;
  closed_ = true;
  timer_.cancel();
  worker_.removeDrainListener(this);
  abortStreams();
  if (!error_ && !lingering_) io_.sendCloseNotify();
  io_.reset();
  ::close(fd_);
  fd_ = -1;
  in_.release(worker_.buffers());
  out_.release(worker_.buffers());
  worker_.loop().deleteLater(this);
  worker_.connectionClosed();
}

}  // namespace portico::proxy::h2
