// The nghttp2 C callbacks of Http2ClientCodec: response heads, bodies and trailers up to the
// upstream exchange layer, with the same bounded-work rules as the server side (a malformed
// or oversized response head resets its stream; too many such streams close the connection).
#include "http/http2/client_session_callbacks.h"

#include "http/http2/client_codec.h"

namespace portico::http2 {
namespace {

// user_data is the codec as a SessionBase (see the constructor).
Http2ClientCodec& codecOf(void* user_data) {
  return *static_cast<Http2ClientCodec*>(static_cast<SessionBase*>(user_data));
}

// The response is complete: move the stream's state along.
void remoteEnded(Stream& s) {
  s.remote_ended = true;
  s.state =
      s.state == StreamState::HalfClosedLocal ? StreamState::Closed : StreamState::HalfClosedRemote;
}

}  // namespace

void ClientSessionCallbacks::install(nghttp2_session_callbacks* cbs) {
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &beginHeaders);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &frameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &dataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &streamClose);
}

int ClientSessionCallbacks::beginHeaders(nghttp2_session*, const nghttp2_frame* frame,
                                         void* user_data) {
  Http2ClientCodec& c = codecOf(user_data);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  Stream* s = c.find(frame->hd.stream_id);
  if (!s) return 0;
  // After a final head, a HEADERS frame carries trailers; before it, another (1xx or final)
  // response head.
  s->builder.begin(s->head_delivered ? HeadKind::Trailers : HeadKind::Response,
                   c.limits_.max_header_list_size);
  return 0;
}

int ClientSessionCallbacks::frameRecv(nghttp2_session* session, const nghttp2_frame* frame,
                                      void* user_data) {
  Http2ClientCodec& c = codecOf(user_data);
  const int32_t id = frame->hd.stream_id;
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      Stream* s = c.find(id);
      if (!s || s->reset_by_caller) return 0;
      const HeadStatus st = s->builder.finish();
      if (st != HeadStatus::Ok) {
        if (!c.countStreamError()) return NGHTTP2_ERR_CALLBACK_FAILURE;
        nghttp2_submit_rst_stream(
            session, NGHTTP2_FLAG_NONE, id,
            st == HeadStatus::TooLarge ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
        return 0;
      }
      if (s->head_delivered) {
        remoteEnded(*s);
        c.cb_.onResponseTrailers(id, std::move(s->builder.trailers()));
        return 0;
      }
      http::ResponseHead& head = s->builder.response();
      if (head.status >= 200) s->head_delivered = true;
      if (end_stream) remoteEnded(*s);
      c.cb_.onResponseHead(id, std::move(head), end_stream);
      return 0;
    }
    case NGHTTP2_DATA: {
      Stream* s = c.find(id);
      if (end_stream && s && !s->reset_by_caller) {
        remoteEnded(*s);
        c.cb_.onResponseData(id, {}, true);
      }
      return 0;
    }
    case NGHTTP2_GOAWAY:
      c.peer_goaway_ = true;
      c.cb_.onGoawayReceived(frame->goaway.last_stream_id, frame->goaway.error_code);
      return 0;
    default:
      return 0;
  }
}

int ClientSessionCallbacks::dataChunk(nghttp2_session* session, uint8_t, int32_t stream_id,
                                      const uint8_t* data, size_t len, void* user_data) {
  Http2ClientCodec& c = codecOf(user_data);
  Stream* s = c.find(stream_id);
  if (!s || s->reset_by_caller) {
    nghttp2_session_consume(session, stream_id, len);  // nobody will forward these bytes
    return 0;
  }
  s->unconsumed += len;
  c.cb_.onResponseData(stream_id, std::span<const uint8_t>(data, len), false);
  return 0;
}

int ClientSessionCallbacks::streamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                                        void* user_data) {
  Http2ClientCodec& c = codecOf(user_data);
  Stream* s = c.find(stream_id);
  if (!s) return 0;
  const bool tell = !s->reset_by_caller;
  const bool clean = error_code == NGHTTP2_NO_ERROR && s->remote_ended;
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
