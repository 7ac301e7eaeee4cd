#pragma once
// What an Http2ServerCodec tells the exchange (stream) layer above it. Implemented by that
// layer. Every call happens on the connection's worker, from inside Http2ServerCodec::feed()
// or flushTo(); the implementation may call the codec's submit*/resetStream/consume methods
// from inside a callback, but must not destroy the codec there.
#include <cstdint>
#include <span>

#include "http/message.h"

namespace portico::http2 {

class ServerCallbacks {
 public:
  virtual ~ServerCallbacks() = default;

  // A new exchange: the request head of `stream_id` is complete and valid. end_stream: the
  // request has no body and no trailers.
  virtual void onRequestHead(int32_t stream_id, http::RequestHead&& head, bool end_stream) = 0;

  // Request body bytes. `data` points into the bytes given to feed() and is valid only during
  // the call. The bytes count against the receive windows until consumeRequestData() is called
  // for them. A final call with empty `data` and end_stream = true ends a body that had no
  // trailers.
  virtual void onRequestData(int32_t stream_id, std::span<const uint8_t> data, bool end_stream) = 0;

  // Request trailers; they end the request.
  virtual void onRequestTrailers(int32_t stream_id, http::HeaderList&& trailers) = 0;

  // The exchange ended early: the peer sent RST_STREAM, or the codec reset it (flow control
  // error, malformed body, connection closing). Not called for resetStream() by the caller.
  // The stream id is dead after this call.
  virtual void onStreamReset(int32_t stream_id, uint32_t error_code) = 0;

  // The exchange completed in both directions; the stream id is dead after this call.
  virtual void onStreamClosed(int32_t stream_id) = 0;

  // The stream's send queue fell to Limits::stream_queue_low after having gone above
  // stream_queue_high: resume reading the upstream.
  virtual void onStreamWritable(int32_t stream_id) = 0;

  // The peer sent GOAWAY: streams above last_stream_id were not processed (safe to retry
  // elsewhere). No new streams will arrive.
  virtual void onGoawayReceived(int32_t last_stream_id, uint32_t error_code) = 0;
};

}  // namespace portico::http2
