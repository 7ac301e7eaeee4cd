#pragma once
// Http2ClientCodec: the upstream side of one HTTP/2 connection (h2 after ALPN, or h2c with
// prior knowledge) to a backend host, wrapping an nghttp2 client session. Many exchanges are
// multiplexed as streams; the same message model as the server side is used (RequestHead out,
// ResponseHead in, trailers as HeaderLists). Flow control is tied to the caller as on the
// server side: response windows open on consumeResponseData(), request bodies wait in
// per-stream queues (queuedBytes()/stopReading()) until the backend's windows allow them.
// No exceptions. Thread: one connection on one worker; every method runs on that worker.
#include <cstdint>
#include <span>

#include "http/http2/client_callbacks.h"
#include "http/http2/session_base.h"

namespace portico::http2 {

class Http2ClientCodec final : public SessionBase {
 public:
  // Queues the client preface (magic + SETTINGS from `limits`, push disabled) at once.
  // `callbacks` must outlive the codec.
  Http2ClientCodec(buffer::BufferPool& pool, ClientCallbacks& callbacks, const Limits& limits,
                   ClockFn clock = steadyNowMs);

  // Processes bytes from the backend. Callbacks run inside. !ok: close after flushTo().
  Status feed(const uint8_t* data, size_t len) { return recv(data, len); }

  // Starts an exchange: returns its stream id (> 0), or 0 when no stream can start
  // (see canStartStream()) or the head cannot be encoded. end_stream: no body.
  // `host` in head.headers is not sent: head.authority travels as :authority.
  int32_t submitRequest(const http::RequestHead& head, bool end_stream);
  // Queues request body bytes (copied once). Above Limits::stream_queue_high stopReading()
  // turns true until onStreamWritable().
  Status submitRequestData(int32_t stream_id, std::span<const uint8_t> data, bool end_stream) {
    return submitData(stream_id, data, end_stream);
  }
  // The caller handed n response bytes of this stream downstream: open the windows by n.
  void consumeResponseData(int32_t stream_id, size_t n) { consume(stream_id, n); }
  // submitTrailers(), resetStream(), flushTo() and the queries come from SessionBase.

  // True when a new stream may start now: no GOAWAY either way, no failure, and fewer live
  // streams than the backend's SETTINGS_MAX_CONCURRENT_STREAMS.
  bool canStartStream() const;
  // Sends GOAWAY(NO_ERROR); streams in flight finish; shouldClose() then means "close now".
  void shutdown();

 private:
  friend struct ClientSessionCallbacks;  // nghttp2 C callbacks (client_session_callbacks.cc)

  void notifyWritable(int32_t stream_id) override { cb_.onStreamWritable(stream_id); }

  ClientCallbacks& cb_;
};

}  // namespace portico::http2
