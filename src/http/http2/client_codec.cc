#include "http/http2/client_codec.h"

#include "http/http2/client_session_callbacks.h"

namespace portico::http2 {

Http2ClientCodec::Http2ClientCodec(buffer::BufferPool& pool, ClientCallbacks& callbacks,
                                   const Limits& limits, ClockFn clock)
    : SessionBase(pool, limits, clock), cb_(callbacks) {
  // Until the backend's SETTINGS arrive, assume a modest concurrency (RFC 9113 §6.5.2 says
  // unlimited; nghttp2's default of 100 is what most servers send).
  auto tune = [](nghttp2_option* opt, const Limits&) {
    nghttp2_option_set_peer_max_concurrent_streams(opt, 100);
  };
  if (!openSession(false, &ClientSessionCallbacks::install, tune)) return;
  submitSettings({{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}});
}

bool Http2ClientCodec::canStartStream() const {
  if (state_ != ConnState::Active || peer_goaway_ || !session_) return false;
  if (!nghttp2_session_check_request_allowed(session_)) return false;
  const uint32_t max =
      nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  return live_streams_ < max;
}

int32_t Http2ClientCodec::submitRequest(const http::RequestHead& head, bool end_stream) {
  if (!canStartStream()) return 0;
  nv_.fromRequest(head);
  Stream* s = allocStream(0);
  s->head_sent = true;
  s->head_delivered = false;
  if (end_stream) s->local_ended = s->data_ended = true;
  const nghttp2_data_provider prd = dataProvider(s);
  const int32_t id = nghttp2_submit_request(session_, nullptr, nv_.data(), nv_.size(),
                                            end_stream ? nullptr : &prd, s);
  if (id <= 0) {
    freeStream(s);
    return 0;
  }
  s->id = id;
  s->state = end_stream ? StreamState::HalfClosedLocal : StreamState::Open;
  return id;
}

void Http2ClientCodec::shutdown() {
  if (state_ != ConnState::Active && state_ != ConnState::Draining) return;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, nullptr, 0);
  state_ = ConnState::GoawaySent;
}

}  // namespace portico::http2
