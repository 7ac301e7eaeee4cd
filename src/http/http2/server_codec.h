#pragma once
// Http2ServerCodec: the downstream side of one HTTP/2 connection (h2 after ALPN, or h2c with
// prior knowledge), wrapping an nghttp2 server session. It turns bytes into ServerCallbacks
// calls and submitted responses into bytes, with flow control tied to the caller:
//  * receive windows open only when the caller consumes request bytes (consumeRequestData),
//    so a slow upstream slows the client down;
//  * response bytes wait in per-stream queues until the client's windows allow them; the
//    queued size is reported so the caller can stop reading the upstream.
// It defends against the known HTTP/2 attacks (rapid reset, CONTINUATION/SETTINGS/PING/empty
// DATA floods, HPACK bombs) with GOAWAY ENHANCE_YOUR_CALM or a stream reset; see docs/http2.md.
// No exceptions. Thread: one connection on one worker; every method runs on that worker.
#include <cstdint>
#include <span>

#include "http/http2/server_callbacks.h"
#include "http/http2/session_base.h"

namespace portico::http2 {

class Http2ServerCodec final : public SessionBase {
 public:
  // `pool` provides blocks for send queues and the output; `callbacks` must outlive the codec.
  // The server preface (SETTINGS from `limits`, plus a connection WINDOW_UPDATE) is queued at
  // once. extended_connect: advertise SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441).
  Http2ServerCodec(buffer::BufferPool& pool, ServerCallbacks& callbacks, const Limits& limits,
                   bool extended_connect = true, ClockFn clock = steadyNowMs);

  // Processes bytes from the client (starting with the client preface). Callbacks run inside.
  // !ok: the connection must close once flushTo() has written the queued GOAWAY; later feeds
  // are ignored and return the same status.
  Status feed(const uint8_t* data, size_t len) { return recv(data, len); }

  // Submits the response head. 1xx heads are informational (more heads follow). end_stream:
  // no body. Precondition: stream known (from onRequestHead) and no final head yet.
  Status submitResponseHead(int32_t stream_id, const http::ResponseHead& head, bool end_stream);
  // Queues body bytes (copied once into the stream's queue). Stays ok above
  // Limits::stream_queue_high but stopReading() turns true until onStreamWritable().
  Status submitResponseData(int32_t stream_id, std::span<const uint8_t> data, bool end_stream) {
    return submitData(stream_id, data, end_stream);
  }
  // The caller handed n request bytes of this stream upstream: open the windows by n.
  void consumeRequestData(int32_t stream_id, size_t n) { consume(stream_id, n); }
  // submitTrailers(), resetStream(), flushTo() and the queries come from SessionBase.

  // Sends GOAWAY(2^31-1) and a PING; on its ACK sends GOAWAY(last processed stream id), so
  // requests the client sent before it saw the notice are still served. (The notice is written
  // by the codec, not nghttp2: nghttp2 would treat its own notice as the end of an idle
  // session and never send the final GOAWAY.) Streams already begun finish normally;
  // shouldClose() then means "close now". An idle connection gets the final GOAWAY at once.
  // If the client never answers the PING, call finishGracefulShutdown() after a timeout.
  void startGracefulShutdown();
  // Sends the final GOAWAY(last processed stream id) now (e.g. after a drain timeout).
  void finishGracefulShutdown();
  // Re-evaluates which streams wait on a closed flow-control window (for
  // longestZeroWindowStall(); body bytes submitted while no frame was written may be stalled).
  void checkStalls() { refreshStalls(); }

 private:
  friend struct ServerSessionCallbacks;  // nghttp2 C callbacks (server_session_callbacks.cc)

  void notifyWritable(int32_t stream_id) override { cb_.onStreamWritable(stream_id); }
  // Takes a token from the rapid-reset budget; false when exhausted.
  bool takeResetToken();

  ServerCallbacks& cb_;
  int32_t max_client_stream_ = 0;  // highest stream id a client HEADERS frame named
  uint32_t consecutive_empty_ = 0;
  double reset_tokens_ = 0;
  uint64_t reset_refill_ms_ = 0;
};

}  // namespace portico::http2
