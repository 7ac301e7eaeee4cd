// The nghttp2 C callbacks of Http2ServerCodec. Each forwards to the codec (user_data) and keeps
// the work per call bounded: once a stream or the connection is rejected, the rest of its input
// costs O(1) per field or frame.
#include "http/http2/server_session_callbacks.h"

#include <string_view>

#include "http/http2/server_codec.h"

namespace portico::http2 {
namespace {

// user_data is the codec as a SessionBase (see the constructor).
Http2ServerCodec& codecOf(void* user_data) {
  return *static_cast<Http2ServerCodec*>(static_cast<SessionBase*>(user_data));
}

}  // namespace

void ServerSessionCallbacks::install(nghttp2_session_callbacks* cbs) {
  nghttp2_session_callbacks_set_on_begin_frame_callback(cbs, &beginFrame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &beginHeaders);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &frameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &dataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &streamClose);
}

int ServerSessionCallbacks::beginFrame(nghttp2_session* session, const nghttp2_frame_hd* hd,
                                       void* user_data) {
  Http2ServerCodec& c = codecOf(user_data);
  // Rules nghttp2 leaves to the application (it ignores such frames).
  if (hd->type == NGHTTP2_PRIORITY && hd->stream_id == 0) {
    c.fail(NGHTTP2_PROTOCOL_ERROR, "PRIORITY on stream 0");  // RFC 9113 §6.3
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  if (hd->type == NGHTTP2_HEADERS && (hd->stream_id & 1) != 0 &&
      hd->stream_id <= c.max_client_stream_ &&
      !nghttp2_session_find_stream(session, hd->stream_id)) {
    // §5.1.1: a new stream's id must exceed every id the client used before.
    c.fail(NGHTTP2_PROTOCOL_ERROR, "stream id not increasing");
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  if (hd->type == NGHTTP2_HEADERS && hd->stream_id > c.max_client_stream_)
    c.max_client_stream_ = hd->stream_id;
  return 0;
}

int ServerSessionCallbacks::beginHeaders(nghttp2_session* session, const nghttp2_frame* frame,
                                         void* user_data) {
  Http2ServerCodec& c = codecOf(user_data);
  const int32_t id = frame->hd.stream_id;
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    Stream* s = c.allocStream(id);
    s->builder.begin(HeadKind::Request, c.limits_.max_header_list_size);
    if (nghttp2_session_set_stream_user_data(session, id, s) != 0) c.freeStream(s);
  } else if (Stream* s = c.find(id)) {
    s->builder.begin(HeadKind::Trailers, c.limits_.max_header_list_size);
  }
  return 0;
}

int ServerSessionCallbacks::frameRecv(nghttp2_session* session, const nghttp2_frame* frame,
                                      void* user_data) {
  Http2ServerCodec& c = codecOf(user_data);
  const int32_t id = frame->hd.stream_id;
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      Stream* s = c.find(id);
      if (!s) return 0;
      const HeadStatus st = s->builder.finish();
      if (st != HeadStatus::Ok) {
        if (!c.countStreamError()) return NGHTTP2_ERR_CALLBACK_FAILURE;
        const bool too_large = st == HeadStatus::TooLarge;
        if (too_large && !s->head_delivered && end_stream) {
          // A whole request with an oversized head: answer 431 and forget it.
          s->head_sent = s->local_ended = s->data_ended = true;
          static const nghttp2_nv kNv[] = {
              {(uint8_t*)":status", (uint8_t*)"431", 7, 3, NGHTTP2_NV_FLAG_NONE},
              {(uint8_t*)"content-length", (uint8_t*)"0", 14, 1, NGHTTP2_NV_FLAG_NONE}};
          nghttp2_submit_response(session, id, kNv, 2, nullptr);
        } else {
          nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id,
                                    too_large ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
        }
        return 0;
      }
      if (!s->head_delivered) {
        s->head_delivered = true;
        s->state = end_stream ? StreamState::HalfClosedRemote : StreamState::Open;
        c.cb_.onRequestHead(id, std::move(s->builder.request()), end_stream);
      } else {
        s->state = s->state == StreamState::HalfClosedLocal ? StreamState::Closed
                                                            : StreamState::HalfClosedRemote;
        c.cb_.onRequestTrailers(id, std::move(s->builder.trailers()));
      }
      return 0;
    }
    case NGHTTP2_DATA: {
      const size_t payload = frame->hd.length - frame->data.padlen;
      if (payload == 0 && !end_stream) {
        if (++c.consecutive_empty_ > c.limits_.max_consecutive_empty_frames) {
          c.fail(NGHTTP2_ENHANCE_YOUR_CALM, "empty DATA frame flood");
          return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
      } else {
        c.consecutive_empty_ = 0;
      }
      Stream* s = c.find(id);
      if (end_stream && s && s->head_delivered && !s->reset_by_caller) {
        s->state = s->state == StreamState::HalfClosedLocal ? StreamState::Closed
                                                            : StreamState::HalfClosedRemote;
        c.cb_.onRequestData(id, {}, true);
      }
      return 0;
    }
    case NGHTTP2_RST_STREAM: {
      Stream* s = c.find(id);
      if (s && s->head_delivered && !s->local_ended && !c.takeResetToken()) {
        c.fail(NGHTTP2_ENHANCE_YOUR_CALM, "rapid reset");
        return NGHTTP2_ERR_CALLBACK_FAILURE;
      }
      return 0;
    }
    case NGHTTP2_GOAWAY:
      c.peer_goaway_ = true;
      c.cb_.onGoawayReceived(frame->goaway.last_stream_id, frame->goaway.error_code);
      return 0;
    case NGHTTP2_PING:
      if ((frame->hd.flags & NGHTTP2_FLAG_ACK) && c.state_ == ConnState::Draining &&
          std::string_view(reinterpret_cast<const char*>(frame->ping.opaque_data), 8) ==
              "porticod") {
        c.finishGracefulShutdown();
      }
      return 0;
    default:
      return 0;
  }
}

int ServerSessionCallbacks::dataChunk(nghttp2_session* session, uint8_t, int32_t stream_id,
                                      const uint8_t* data, size_t len, void* user_data) {
  Http2ServerCodec& c = codecOf(user_data);
  Stream* s = c.find(stream_id);
  if (!s || !s->head_delivered || s->reset_by_caller) {
    // Nobody will forward these bytes: give the window back at once.
    nghttp2_session_consume(session, stream_id, len);
    return 0;
  }
  s->unconsumed += len;
  c.cb_.onRequestData(stream_id, std::span<const uint8_t>(data, len), false);
  return 0;
}

int ServerSessionCallbacks::streamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                                        void* user_data) {
  Http2ServerCodec& c = codecOf(user_data);
  Stream* s = c.find(stream_id);
  if (!s) return 0;
  s->state = StreamState::Closed;
  const bool tell = s->head_delivered && !s->reset_by_caller;
  const bool clean = error_code == NGHTTP2_NO_ERROR && s->local_ended;
  c.releaseClosed(s);
  if (tell) {
    if (clean) {
      c.cb_.onStreamClosed(stream_id);
    } else {
      c.cb_.onStreamReset(stream_id, error_code ? error_code : uint32_t{NGHTTP2_CANCEL});
    }
  }
  return 0;
}

}  // namespace portico::http2
