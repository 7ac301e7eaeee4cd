#include "http/http2/stream.h"

namespace portico::http2 {

const char* streamStateName(StreamState s) {
  switch (s) {
    case StreamState::Idle:
      return "idle";
    case StreamState::ReceivingHead:
      return "receiving-head";
    case StreamState::Open:
      return "open";
    case StreamState::HalfClosedRemote:
      return "half-closed-remote";
    case StreamState::HalfClosedLocal:
      return "half-closed-local";
    case StreamState::Closed:
      return "closed";
  }
  return "?";
}

void Stream::reset(int32_t new_id) {
  id = new_id;
  state = new_id ? StreamState::ReceivingHead : StreamState::Idle;
  head_delivered = reset_by_caller = head_sent = local_ended = remote_ended = false;
  data_ended = data_deferred = has_trailers = above_high = false;
  trailers_out.clear();
  unconsumed = 0;
  zero_window_since_ms = 0;
  next_free = nullptr;
}

}  // namespace portico::http2
