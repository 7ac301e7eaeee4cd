#pragma once
// Per-stream state kept by an HTTP/2 codec (one exchange). Objects are recycled through the
// codec's free list, so their vectors and strings keep their memory across exchanges.
// Thread: owned by the codec, on the connection's worker.
#include <cstdint>

#include "http/http2/head_builder.h"
#include "http/http2/send_queue.h"
#include "http/message.h"

namespace portico::http2 {

// The stream's life as the codec sees it (RFC 9113 §5.1 seen from the server side).
enum class StreamState : uint8_t {
  Idle,              // object in the free list
  ReceivingHead,     // HEADERS (+ CONTINUATION) being decoded; the layer above knows nothing
  Open,              // head delivered; request body may still come
  HalfClosedRemote,  // request complete; response in progress
  HalfClosedLocal,   // response complete; request body still coming
  Closed,            // both directions done or reset; about to be recycled
};

// Printable state name ("idle", "receiving-head", ...).
const char* streamStateName(StreamState s);

struct Stream {
  int32_t id = 0;
  StreamState state = StreamState::Idle;
  HeadBuilder builder;           // incoming head or trailers
  bool head_delivered = false;   // the layer above knows this stream
  bool reset_by_caller = false;  // resetStream() was used: no onStreamReset
  bool head_sent = false;        // our (final) head was submitted
  bool local_ended = false;      // our END_STREAM is on its way (head, data or trailers)
  bool remote_ended = false;     // the peer's END_STREAM arrived
  bool data_ended = false;       // submitResponseData(end_stream) or submitTrailers() seen
  bool data_deferred = false;    // the data provider returned DEFERRED
  bool has_trailers = false;     // trailers_out must follow the body
  bool above_high = false;       // queue went above the high watermark
  http::HeaderList trailers_out;
  SendQueue queue;
  uint64_t unconsumed = 0;            // request bytes delivered, not yet consumed
  uint64_t zero_window_since_ms = 0;  // 0: not stalled
  Stream* next_free = nullptr;

  // Back to a fresh state, keeping memory. Precondition: queue released.
  void reset(int32_t new_id);
};

}  // namespace portico::http2
