#include "upstream/h2/h2_upstream_stream.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/log.h"
#include "upstream/h2/h2_session.h"
#include "upstream/upstream_connection.h"

namespace portico::upstream {

namespace {
// Request bytes held before the stream starts, and response bytes held for the exchange
// before the server's windows stay closed.
constexpr size_t kHoldBytes = 64 * 1024;
const http1::Limits kHeadLimits{65536, 131072, http1::kMaxHeaders};
}  // namespace

void H2UpstreamStream::onSessionReady() {
  if (conn_->state != UpstreamConnection::State::Connecting) return;
  conn_->state = UpstreamConnection::State::Active;
  conn_->can_write = true;
  notify();
}

void H2UpstreamStream::notify() {
  if (session_ && session_->deferNotify(this)) return;
  if (conn_ && conn_->owner) conn_->owner->onUpstreamEvent();
}

ssize_t H2UpstreamStream::virtualSend(const iovec* iov, int cnt) {
  if (!session_ || closed_ || req_ == Req::Done) {
    errno = EPIPE;
    return -1;
  }
  if (req_ == Req::Body && session_->codec().stopReading(id_)) {
    errno = EAGAIN;
    return -1;
  }
  if (req_ != Req::Body && sendbuf_.size() > kHoldBytes) {
    errno = EAGAIN;
    return -1;
  }
  ssize_t total = 0;
  for (int i = 0; i < cnt; ++i) {
    std::string_view in(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
    total += static_cast<ssize_t>(in.size());
    if (req_ == Req::Body) {
      if (!body_.feed(in, *this)) {
        errno = EPROTO;
        return -1;
      }
      continue;
    }
    sendbuf_.append(in);
  }
  if (req_ == Req::Head && !parseHead()) {
    errno = EPROTO;
    return -1;
  }
  session_->scheduleFlush();
  return total;
}

bool H2UpstreamStream::parseHead() {
  static thread_local http1::RequestHead parsed;
  http1::ParseResult r = http1::parseRequestHead(sendbuf_, kHeadLimits, parsed);
  if (r.state == http1::ParseState::NeedMore) return true;
  if (r.state == http1::ParseState::Error) return false;
  head_.clear();
  head_.method.assign(parsed.method);
  head_.method_id = parsed.method_id;
  head_.scheme = conn_->pool && conn_->pool->tls ? "https" : "http";
  head_.authority.assign(parsed.host);
  head_.path.assign(parsed.target);
  http::bridge::copyFields(parsed, head_.headers);
  head_.headers.remove("host");
  // gRPC servers require it; any HTTP/2 server may ignore it (RFC 9113 §8.2.2).
  head_.headers.add("te", "trailers");
  if (parsed.framing == http1::BodyFraming::ContentLength)
    head_.content_length = static_cast<int64_t>(parsed.content_length);
  body_.start(parsed.framing, parsed.content_length);
  sendbuf_.erase(0, parsed.head_length);
  req_ = Req::Waiting;
  session_->requestStart(this);
  return true;
}

bool H2UpstreamStream::startNow() {
  if (!session_ || req_ != Req::Waiting) return false;
  const bool end = body_.done();
  id_ = session_->codec().submitRequest(head_, end);
  if (id_ <= 0) return false;
  session_->bindStream(id_, this);
  req_ = end ? Req::Done : Req::Body;
  if (!sendbuf_.empty()) {
    std::string pending;
    pending.swap(sendbuf_);
    if (!body_.feed(pending, *this)) {
      session_->codec().resetStream(id_, NGHTTP2_INTERNAL_ERROR);
      onReset(false);
      return true;
    }
  }
  session_->scheduleFlush();
  return true;
}

void H2UpstreamStream::onBodyData(std::span<const uint8_t> data) {
  if (!data.empty()) session_->codec().submitRequestData(id_, data, false);
}

void H2UpstreamStream::onBodyEnd(const http::HeaderList* trailers) {
  if (trailers)
    session_->codec().submitTrailers(id_, *trailers);
  else
    session_->codec().submitRequestData(id_, {}, true);
  req_ = Req::Done;
}

void H2UpstreamStream::virtualShutdownWrite() {
  if (session_ && req_ == Req::Body) body_.finish(*this);
}

void H2UpstreamStream::onHead(http::ResponseHead&& head, bool end_stream) {
  if (head.status < 200) {
    http::bridge::appendResponseHead(head, true, recvbuf_);
  } else {
    chunked_ = http::bridge::appendResponseHead(head, end_stream, recvbuf_);
    const bool bodyless =
        head_.method_id == http::Method::Head || head.status == 204 || head.status == 304;
    if (!chunked_ && !bodyless && head.content_length > 0) body_left_ = head.content_length;
    if (end_stream) resp_done_ = true;
  }
  conn_->can_read = true;
  notify();
}

void H2UpstreamStream::onData(std::span<const uint8_t> data, bool end_stream) {
  if (chunked_)
    http::bridge::appendChunk(data, recvbuf_);
  else
    recvbuf_.append(reinterpret_cast<const char*>(data.data()), data.size());
  unconsumed_ += data.size();
  if (body_left_ > 0) {
    body_left_ -= std::min<int64_t>(body_left_, static_cast<int64_t>(data.size()));
    if (body_left_ == 0) resp_done_ = true;  // complete by length; END_STREAM may follow
  }
  if (end_stream) {
    if (chunked_) http::bridge::appendLastChunk(nullptr, recvbuf_);
    resp_done_ = true;
  }
  consumeWindow();
  conn_->can_read = true;
  notify();
}

void H2UpstreamStream::onTrailers(const http::HeaderList& trailers) {
  if (chunked_) http::bridge::appendLastChunk(&trailers, recvbuf_);
  resp_done_ = true;
  conn_->can_read = true;
  notify();
}

void H2UpstreamStream::consumeWindow() {
  if (!unconsumed_ || !session_ || closed_ || recvbuf_.size() - recv_off_ > kHoldBytes) return;
  session_->codec().consumeResponseData(id_, unconsumed_);
  unconsumed_ = 0;
  session_->scheduleFlush();
}

ssize_t H2UpstreamStream::virtualRecv(char* p, size_t n) {
  size_t have = recvbuf_.size() - recv_off_;
  if (have == 0) {
    if (resp_done_) return 0;
    if (closed_ || !session_) {
      errno = ECONNRESET;
      return -1;
    }
    errno = EAGAIN;
    return -1;
  }
  if (n > have) n = have;
  std::memcpy(p, recvbuf_.data() + recv_off_, n);
  recv_off_ += n;
  if (recv_off_ == recvbuf_.size()) {
    recvbuf_.clear();
    recv_off_ = 0;
  } else if (recv_off_ > kHoldBytes && recv_off_ * 2 > recvbuf_.size()) {
    recvbuf_.erase(0, recv_off_);
    recv_off_ = 0;
  }
  consumeWindow();
  return static_cast<ssize_t>(n);
}

void H2UpstreamStream::onReset(bool refused) {
  closed_ = true;
  if (resp_done_) return;
  // A stream the server never processed may go to a fresh connection (as a stale keep-alive
  // connection would).
  if (refused) conn_->reused = true;
  conn_->eof = conn_->error = true;
  conn_->can_read = true;
  notify();
}

void H2UpstreamStream::onClosed() {
  closed_ = true;
  if (!resp_done_) {
    onReset(false);
    return;
  }
  notify();
}

void H2UpstreamStream::onSessionGone() {
  session_ = nullptr;
  if (closed_) return;
  closed_ = true;
  if (resp_done_) return;
  conn_->eof = conn_->error = true;
  conn_->can_read = true;
  notify();
}

void H2UpstreamStream::onWritable() {
  conn_->can_write = true;
  notify();
}

void H2UpstreamStream::virtualClose(bool clean) {
  if (session_) {
    if (id_ > 0 && !closed_) {
      if (clean && resp_done_ && req_ == Req::Done) {
        session_->awaitEnd(id_);  // complete by length: the server ends the stream itself
      } else {
        session_->codec().resetStream(id_, NGHTTP2_CANCEL);
        session_->scheduleFlush();
      }
    }
    session_->forget(this);
  }
  delete this;
}

}  // namespace portico::upstream
