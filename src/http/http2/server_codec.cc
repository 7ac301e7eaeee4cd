#include "http/http2/server_codec.h"

#include "http/http2/mem_pool.h"
#include "http/http2/server_session_callbacks.h"

namespace portico::http2 {

Http2ServerCodec::Http2ServerCodec(buffer::BufferPool& pool, ServerCallbacks& callbacks,
                                   const Limits& limits, bool extended_connect, ClockFn clock)
    : SessionBase(pool, limits, clock), cb_(callbacks) {
  reset_tokens_ = limits_.reset_burst;
  reset_refill_ms_ = clock_();

  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_option* opt = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0 || nghttp2_option_new(&opt) != 0) {
    if (cbs) nghttp2_session_callbacks_del(cbs);
    fail(NGHTTP2_INTERNAL_ERROR, "out of memory");
    return;
  }
  installIoCallbacks(cbs);
  ServerSessionCallbacks::install(cbs);
  applyCommonOptions(opt);
  // nghttp2's own reset limiter stays as a looser backstop behind ours (takeResetToken()).
  nghttp2_option_set_stream_reset_rate_limit(opt, uint64_t{limits_.reset_burst} * 2 + 10,
                                             uint64_t{limits_.resets_per_second} * 2 + 10);
  const int rv = nghttp2_session_server_new3(&session_, cbs, static_cast<SessionBase*>(this), opt,
                                             pooledMem());
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) {
    session_ = nullptr;
    fail(NGHTTP2_INTERNAL_ERROR, "nghttp2 session");
    return;
  }
  nghttp2_settings_entry iv[6];
  size_t n = 0;
  iv[n++] = {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits_.max_concurrent_streams};
  iv[n++] = {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, limits_.initial_stream_window};
  iv[n++] = {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, limits_.max_frame_size};
  iv[n++] = {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, limits_.max_header_list_size};
  iv[n++] = {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1};
  if (extended_connect) iv[n++] = {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, n);
  if (limits_.connection_window > NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE) {
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                          static_cast<int32_t>(limits_.connection_window));
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
