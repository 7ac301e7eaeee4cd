#include "proxy/h2/h2_stream.h"

#include <nghttp2/nghttp2.h>
#include <sys/epoll.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/log.h"
#include "proxy/downstream_connection.h"
#include "proxy/h2/h2_connection.h"

namespace portico::proxy::h2 {

using namespace http::bridge;

namespace {
// Request bytes buffered ahead of the exchange before the client's windows stay closed.
constexpr size_t kRequestBuffer = 64 * 1024;
// Request bodies up to this size (by content-length) are received whole before the exchange
// starts.
constexpr uint64_t kWholeBodyBytes = 64 * 1024;
// Request bytes dropped after the exchange ended before the stream is reset.
constexpr uint64_t kDiscardLimit = 16 * 1024 * 1024;
// A response head (or a run of 1xx heads) larger than this is refused.
constexpr size_t kMaxResponseHead = 256 * 1024;
const http1::Limits kHeadLimits{65536, 131072, http1::kMaxHeaders};
// Pooled streams per worker thread, and the largest buffers a pooled stream may keep.
constexpr size_t kPoolMax = 256;
constexpr size_t kPooledBufferMax = 4 * 1024;  // bounds a full pool to ~2.5 MiB

struct StreamPool {
  std::vector<H2Stream*> free;
  ~StreamPool() {
    for (H2Stream* s : free) delete s;
  }
};
thread_local StreamPool pool;
}  // namespace

H2Stream* H2Stream::acquire(H2Connection& conn, int32_t id) {
  if (pool.free.empty()) return new H2Stream(conn, id);
  H2Stream* s = pool.free.back();
  pool.free.pop_back();
  s->conn_ = &conn;
  s->id_ = id;
  return s;
}

void H2Stream::release(H2Stream* s) {
  if (pool.free.size() >= kPoolMax || s->req_.capacity() > kPooledBufferMax ||
      s->head_buf_.capacity() > kPooledBufferMax) {
    delete s;
    return;
  }
  s->recycle();
  pool.free.push_back(s);
}

void H2Stream::recycle() {
  conn_ = nullptr;
  id_ = 0;
  exchange_ = nullptr;
  codec_closed_ = false;
  reported_ = false;
  started_ = false;
  body_wanted_ = 0;
  body_got_ = 0;
  mode_ = BodyMode::None;
  method_ = http::Method::Other;
  req_.clear();
  req_off_ = 0;
  req_end_ = false;
  unconsumed_ = 0;
  discard_ = false;
  reset_asked_ = false;
  discarded_ = 0;
  resp_ = Resp::Head;
  tunnel_ = false;
  head_buf_.clear();
  body_.start(http1::BodyFraming::None, 0);
  resp_head_.clear();
}

bool H2Stream::start(const http::RequestHead& head, bool end_stream) {
  method_ = head.isExtendedConnect() ? http::Method::Get : head.method_id;
  server::Worker& w = conn_->worker();
  uint64_t key[2] = {0, 0};  // a Sec-WebSocket-Key is made only for extended CONNECT
  if (head.isExtendedConnect()) key[0] = w.random(), key[1] = w.random();
  const char* error = nullptr;
  req_.reserve(256 + head.path.size() + head.authority.size() + head.headers.listSize());
  mode_ = appendRequestHead(head, end_stream, key, req_, error);
  if (error) {
    log::debug("h2 stream {}: {}", id_, error);
    http::ResponseHead r;
    r.status = 501;
    conn_->codec().submitResponseHead(id_, r, true);
    resp_ = Resp::Done;
    conn_->scheduleFlush();
    return false;
  }
  tunnel_ = mode_ == BodyMode::Tunnel;
  req_end_ = end_stream;
  exchange_ = DownstreamConnection::createVirtual(w, conn_->listener(), this, conn_->ssl(),
                                                  conn_->peer(), conn_->peerIp());
  // A small body announced by content-length is waited for (as nginx buffers request bodies),
  // so mirrors and retries see it whole; others start once the connection has handled the rest
  // of this read (run()). The exchange's header timer bounds the wait.
  if (!end_stream && head.content_length > 0 &&
      static_cast<uint64_t>(head.content_length) <= kWholeBodyBytes) {
    body_wanted_ = static_cast<uint64_t>(head.content_length);
  } else {
    conn_->startLater(this);
  }
  return true;
}

void H2Stream::run() {
  if (started_) return;
  started_ = true;
  if (exchange_) exchange_->onEvents(EPOLLIN | EPOLLOUT);
}

void H2Stream::onData(std::span<const uint8_t> data, bool end_stream) {
  if (discard_) {
    discarded_ += data.size();
    if (discarded_ > kDiscardLimit && !reset_asked_) {
      reset_asked_ = true;
      conn_->resetWhenSent(id_);
    } else {
      conn_->codec().consumeRequestData(id_, data.size());
    }
    return;
  }
  if (!data.empty()) {
    if (mode_ == BodyMode::Chunked)
      appendChunk(data, req_);
    else
      req_.append(reinterpret_cast<const char*>(data.data()), data.size());
    unconsumed_ += data.size();
  }
  if (end_stream) {
    if (mode_ == BodyMode::Chunked) appendLastChunk(nullptr, req_);
    req_end_ = true;
  }
  consumeWindow();
  if (!started_ && body_wanted_) {
    body_got_ += data.size();
    if (body_got_ >= body_wanted_ || end_stream) run();
    return;
  }
  if (exchange_ && started_) exchange_->onEvents(EPOLLIN);
}

void H2Stream::onTrailers(const http::HeaderList& trailers) {
  if (mode_ == BodyMode::Chunked) appendLastChunk(&trailers, req_);
  req_end_ = true;
  if (exchange_ && started_) exchange_->onEvents(EPOLLIN);
}

void H2Stream::consumeWindow() {
  if (!unconsumed_ || codec_closed_) return;
  if (req_.size() - req_off_ > kRequestBuffer) return;
  conn_->codec().consumeRequestData(id_, unconsumed_);
  unconsumed_ = 0;
  conn_->scheduleFlush();
}

ssize_t H2Stream::virtualRecv(char* p, size_t n) {
  size_t have = req_.size() - req_off_;
  if (have == 0) {
    if (req_end_ || codec_closed_) return 0;
    errno = EAGAIN;
    return -1;
  }
  if (n > have) n = have;
  std::memcpy(p, req_.data() + req_off_, n);
  req_off_ += n;
  if (req_off_ == req_.size()) {
    req_.clear();
    req_off_ = 0;
  } else if (req_off_ > kRequestBuffer && req_off_ * 2 > req_.size()) {
    req_.erase(0, req_off_);
    req_off_ = 0;
  }
  consumeWindow();
  return static_cast<ssize_t>(n);
}

ssize_t H2Stream::virtualSend(const iovec* iov, int cnt) {
  if (codec_closed_ || resp_ == Resp::Done) {
    errno = EPIPE;
    return -1;
  }
  if (resp_ == Resp::Body && conn_->codec().stopReading(id_)) {
    errno = EAGAIN;
    return -1;
  }
  ssize_t total = 0;
  for (int i = 0; i < cnt && resp_ != Resp::Done; ++i) {
    std::string_view in(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
    total += static_cast<ssize_t>(in.size());
    if (resp_ == Resp::Head) {
      head_buf_.append(in);
      if (!parseHeads()) {
        fail(NGHTTP2_INTERNAL_ERROR);
        errno = EPIPE;
        return -1;
      }
      continue;
    }
    if (!body_.feed(in, *this)) {
      fail(NGHTTP2_INTERNAL_ERROR);
      errno = EPIPE;
      return -1;
    }
  }
  conn_->scheduleFlush();
  return total;
}

bool H2Stream::parseHeads() {
  static thread_local http1::ResponseHead parsed;
  while (resp_ == Resp::Head) {
    http1::ParseResult r = http1::parseResponseHead(head_buf_, kHeadLimits, method_, parsed);
    if (r.state == http1::ParseState::NeedMore) return head_buf_.size() <= kMaxResponseHead;
    if (r.state == http1::ParseState::Error) {
      log::warn("h2 stream {}: bad response head from the exchange: {}", id_,
                r.error ? r.error : "?");
      return false;
    }
    resp_head_.clear();
    resp_head_.status = parsed.status;
    copyFields(parsed, resp_head_.headers);
    if (parsed.framing == http1::BodyFraming::ContentLength)
      resp_head_.content_length = static_cast<int64_t>(parsed.content_length);
    const size_t head_length = parsed.head_length;
    if (parsed.status < 200 && parsed.status != 101) {
      conn_->codec().submitResponseHead(id_, resp_head_, false);
      head_buf_.erase(0, head_length);
      continue;
    }
    http1::BodyFraming framing = parsed.framing;
    if (parsed.status == 101) {
      if (!tunnel_) return false;
      // RFC 8441 §5: the upgrade's success is a 200 on the stream; the handshake fields of
      // HTTP/1.1 have no meaning on it.
      resp_head_.status = 200;
      resp_head_.headers.remove("sec-websocket-accept");
      framing = http1::BodyFraming::Tunnel;
    } else if (tunnel_ && parsed.status < 300) {
      return false;  // a backend must not accept a WebSocket upgrade without a 101
    }
    body_.start(framing, parsed.content_length);
    const bool end = body_.done();
    // A response ending with its head needs no length (nor the 0 added for HTTP/1.1 framing;
    // a gRPC trailers-only response then reads as it would from the backend).
    if (end && method_ != http::Method::Head && resp_head_.content_length == 0)
      resp_head_.headers.remove("content-length");
    conn_->codec().submitResponseHead(id_, resp_head_, end);
    resp_ = end ? Resp::Done : Resp::Body;
    // The bytes after the head are body (the fields were copied out of head_buf_ above).
    std::string_view rest = std::string_view(head_buf_).substr(head_length);
    const bool ok = rest.empty() || resp_ != Resp::Body || body_.feed(rest, *this);
    head_buf_.clear();
    if (!ok) return false;
  }
  return true;
}

void H2Stream::onBodyData(std::span<const uint8_t> data) {
  if (!data.empty()) conn_->codec().submitResponseData(id_, data, false);
}

void H2Stream::onBodyEnd(const http::HeaderList* trailers) {
  if (trailers)
    conn_->codec().submitTrailers(id_, *trailers);
  else
    conn_->codec().submitResponseData(id_, {}, true);
  resp_ = Resp::Done;
}

void H2Stream::virtualShutdownWrite() {
  if (codec_closed_ || resp_ != Resp::Body) return;
  body_.finish(*this);
  conn_->scheduleFlush();
}

void H2Stream::virtualClose(bool clean) {
  exchange_ = nullptr;
  if (!codec_closed_ && resp_ != Resp::Done) {
    if (clean && resp_ == Resp::Body && body_.finish(*this)) {
      conn_->scheduleFlush();
    } else {
      conn_->codec().resetStream(id_, NGHTTP2_INTERNAL_ERROR);
      codec_closed_ = true;  // the codec reports nothing after our own reset
      resp_ = Resp::Done;
      conn_->scheduleFlush();
    }
  } else if (!codec_closed_ && !req_end_) {
    // The response is complete but the client is still sending: what it sends is dropped
    // (clients such as curl take an early reset as a failure even after a whole response).
    // Past kDiscardLimit, RST_STREAM(NO_ERROR) tells it to stop (RFC 9113 §8.1), once the
    // response has left: a reset now would overtake it in nghttp2's queue.
    discard_ = true;
    req_.clear();
    req_off_ = 0;
    if (unconsumed_) conn_->codec().consumeRequestData(id_, unconsumed_);
    unconsumed_ = 0;
  }
  reportIfFinished();
}

void H2Stream::fail(uint32_t error_code) {
  if (resp_ != Resp::Done && !codec_closed_) {
    conn_->codec().resetStream(id_, error_code);
    codec_closed_ = true;
    conn_->scheduleFlush();
  }
  resp_ = Resp::Done;
}

void H2Stream::onWritable() {
  if (exchange_ && started_) exchange_->onEvents(EPOLLOUT);
}

void H2Stream::onCodecClosed() {
  if (codec_closed_) return;
  codec_closed_ = true;
  if (exchange_) {
    DownstreamConnection* e = exchange_;
    if (resp_ == Resp::Done)
      e->onEvents(EPOLLIN);  // response complete: let it finish on its own
    else
      e->abortFromPeer();  // calls virtualClose()
  }
  reportIfFinished();
}

void H2Stream::detach() {
  codec_closed_ = true;
  if (exchange_) exchange_->abortFromPeer();  // its virtualClose() reports us
  reportIfFinished();
}

void H2Stream::reportIfFinished() {
  if (!finished() || reported_) return;
  reported_ = true;
  conn_->streamFinished(this);
}

}  // namespace portico::proxy::h2
