#include "http/http2/server_codec.h"

#include "http/http2/server_session_callbacks.h"

namespace portico::http2 {

Http2ServerCodec::Http2ServerCodec(buffer::BufferPool& pool, ServerCallbacks& callbacks,
                                   const Limits& limits, bool extended_connect, ClockFn clock)
    : SessionBase(pool, limits, clock), cb_(callbacks) {
  reset_tokens_ = limits_.reset_burst;
  reset_refill_ms_ = clock_();

  // nghttp2's own reset limiter stays as a looser backstop behind ours (takeResetToken()).
  auto tune = [](nghttp2_option* opt, const Limits& l) {
    nghttp2_option_set_stream_reset_rate_limit(opt, uint64_t{l.reset_burst} * 2 + 10,
                                               uint64_t{l.resets_per_second} * 2 + 10);
  };
  if (!openSession(true, &ServerSessionCallbacks::install, tune)) return;
  const nghttp2_settings_entry concurrency{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
                                           limits_.max_concurrent_streams};
  if (extended_connect) {
    submitSettings({concurrency, {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1}});
  } else {
    submitSettings({concurrency});
  }
}

bool Http2ServerCodec::takeResetToken() {
  const uint64_t now = clock_();
  if (now > reset_refill_ms_) {
    reset_tokens_ +=
        static_cast<double>(now - reset_refill_ms_) * limits_.resets_per_second / 1000.0;
    if (reset_tokens_ > limits_.reset_burst) reset_tokens_ = limits_.reset_burst;
    reset_refill_ms_ = now;
  }
  if (reset_tokens_ < 1.0) return false;
  reset_tokens_ -= 1.0;
  return true;
}

Status Http2ServerCodec::submitResponseHead(int32_t stream_id, const http::ResponseHead& head,
                                            bool end_stream) {
  if (state_ == ConnState::Failed) return failure_;
  Stream* s = find(stream_id);
  if (!s || !s->head_delivered || s->head_sent) return Status{false, 0, "bad stream"};
  nv_.fromResponse(head);
  int rv;
  if (head.status < 200) {
    if (end_stream) return Status{false, 0, "1xx cannot end the stream"};
    rv = nghttp2_submit_headers(session_, NGHTTP2_FLAG_NONE, stream_id, nullptr, nv_.data(),
                                nv_.size(), nullptr);
  } else if (end_stream) {
    s->head_sent = s->local_ended = s->data_ended = true;
    rv = nghttp2_submit_response(session_, stream_id, nv_.data(), nv_.size(), nullptr);
  } else {
    s->head_sent = true;
    const nghttp2_data_provider prd = dataProvider(s);
    rv = nghttp2_submit_response(session_, stream_id, nv_.data(), nv_.size(), &prd);
  }
  if (rv != 0) return Status{false, 0, nghttp2_strerror(rv)};
  if (end_stream && s->state == StreamState::Open) s->state = StreamState::HalfClosedLocal;
  return Status{};
}

void Http2ServerCodec::startGracefulShutdown() {
  if (state_ != ConnState::Active) return;
  if (!anything_sent_ || live_streams_ == 0) {
    // No stream in flight: the final GOAWAY alone (a request racing it is > last stream id,
    // so the client knows it is safe to retry). Clients such as nghttp2 do not even answer a
    // PING once they saw a GOAWAY on an idle connection.
    finishGracefulShutdown();
    return;
  }
  notice_pending_ = true;  // written by flushTo() ahead of the PING
  static const uint8_t kDrainPing[8] = {'p', 'o', 'r', 't', 'i', 'c', 'o', 'd'};
  nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, kDrainPing);
  state_ = ConnState::Draining;
}

void Http2ServerCodec::finishGracefulShutdown() {
  if (state_ != ConnState::Active && state_ != ConnState::Draining) return;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  state_ = ConnState::GoawaySent;
}

}  // namespace portico::http2
