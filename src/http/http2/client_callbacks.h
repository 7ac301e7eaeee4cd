#pragma once
// What an Http2ClientCodec tells the upstream exchange layer above it. Every call happens on
// the connection's worker, from inside Http2ClientCodec::feed() or flushTo(); the
// implementation may call the codec's submit/reset/consume methods from inside a callback,
// but must not destroy the codec there.
#include <cstdint>
#include <span>

#include "http/message.h"

namespace portico::http2 {

class ClientCallbacks {
 public:
  virtual ~ClientCallbacks() = default;
  // A response head: 1xx (informational, more heads follow) or final. end_stream: no body.
  virtual void onResponseHead(int32_t stream_id, http::ResponseHead&& head, bool end_stream) = 0;
  // Response body bytes, valid during the call; they count against the receive windows until
  // consumeResponseData(). An empty span with end_stream ends a body without trailers.
  virtual void onResponseData(int32_t stream_id, std::span<const uint8_t> data,
                              bool end_stream) = 0;
  // Response trailers; they end the response.
  virtual void onResponseTrailers(int32_t stream_id, http::HeaderList&& trailers) = 0;
  // The exchange ended early (RST_STREAM from the server, malformed response, GOAWAY above
  // its id: error_code REFUSED_STREAM then, safe to retry). Not called after resetStream().
  virtual void onStreamReset(int32_t stream_id, uint32_t error_code) = 0;
  // The exchange completed in both directions.
  virtual void onStreamClosed(int32_t stream_id) = 0;
  // The request body queue fell to Limits::stream_queue_low after going above the high mark.
  virtual void onStreamWritable(int32_t stream_id) = 0;
  // The server sent GOAWAY: streams above last_stream_id were not processed.
  virtual void onGoawayReceived(int32_t last_stream_id, uint32_t error_code) = 0;
};

}  // namespace portico::http2
