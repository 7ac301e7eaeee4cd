// The nghttp2 callbacks shared by the server and client codecs (user_data is the SessionBase):
// header fields go to SessionBase's checks, frames nghttp2 rejects count as stream errors;
// frames go straight into the caller's output buffer, and body bytes are copied once, from the
// stream's SendQueue, next to their DATA frame header.
#include <string_view>

#include "http/http2/session_base.h"

namespace portico::http2 {
namespace {

SessionBase& baseOf(void* user_data) {
  return *static_cast<SessionBase*>(user_data);
}

std::string_view sv(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

}  // namespace

int SessionIoCallbacks::header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                               size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                               void* user_data) {
  return baseOf(user_data).addHeaderField(frame->hd.stream_id, sv(name, namelen),
                                          sv(value, valuelen));
}

// A field nghttp2 finds invalid (upper-case or illegal characters in the name, bad value
// bytes): by default nghttp2 would drop the field silently; RFC 9113 §8.2.1 makes the whole
// message malformed, so the stream is reset.
int SessionIoCallbacks::invalidHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t*,
                                      size_t, const uint8_t*, size_t, uint8_t, void* user_data) {
  return baseOf(user_data).rejectInvalidField(frame->hd.stream_id);
}

// nghttp2 found the frame invalid (upper-case field name, DATA before a head, a bad
// content-length...) and resets the stream or ends the session itself; stream errors count
// towards Limits::max_stream_errors like the ones the codec finds.
int SessionIoCallbacks::invalidFrame(nghttp2_session*, const nghttp2_frame* frame, int,
                                     void* user_data) {
  if (frame->hd.stream_id != 0 && !baseOf(user_data).countStreamError())
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  return 0;
}

// Whole frames only: on WOULDBLOCK nghttp2 retries the same bytes later, so the output always
// ends on a frame boundary (needed to append our own GOAWAY frames).
ssize_t SessionIoCallbacks::send(nghttp2_session*, const uint8_t* data, size_t length, int,
                                 void* user_data) {
  SessionBase& c = baseOf(user_data);
  if (!c.out_) return NGHTTP2_ERR_WOULDBLOCK;
  size_t n = length;
  if (c.out_->spaceLeft() < length) {
    // A chunk larger than an empty block cannot happen with our limits; if it ever does, let
    // it through in pieces rather than stall.
    if (!c.out_->empty() || c.out_->spaceLeft() == 0) return NGHTTP2_ERR_WOULDBLOCK;
    n = c.out_->spaceLeft();
  }
  c.out_->append(c.pool_, data, static_cast<uint32_t>(n));
  c.flushed_ += n;
  c.anything_sent_ = true;
  return static_cast<ssize_t>(n);
}

int SessionIoCallbacks::sendData(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd,
                                 size_t length, nghttp2_data_source* source, void* user_data) {
  SessionBase& c = baseOf(user_data);
  Stream& s = *static_cast<Stream*>(source->ptr);
  const size_t padlen = frame->data.padlen;  // 0: we never pad
  if (!c.out_ || padlen != 0 || c.out_->spaceLeft() < 9 + length) return NGHTTP2_ERR_WOULDBLOCK;
  c.out_->append(c.pool_, framehd, 9);
  s.queue.drainTo(c.pool_, *c.out_, length);
  c.queued_total_ -= length;
  c.flushed_ += 9 + length;
  c.afterDrain(s);
  return 0;
}

ssize_t SessionIoCallbacks::readData(nghttp2_session* session, int32_t stream_id, uint8_t*,
                                     size_t length, uint32_t* data_flags,
                                     nghttp2_data_source* source, void* user_data) {
  SessionBase& c = baseOf(user_data);
  Stream& s = *static_cast<Stream*>(source->ptr);
  if (s.queue.empty() && !s.data_ended) {
    s.data_deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  const size_t n = length < s.queue.size() ? length : s.queue.size();
  if (n > 0) *data_flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  if (s.data_ended && n == s.queue.size()) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    s.local_ended = true;
    if (s.has_trailers) {
      c.nv_.fromTrailers(s.trailers_out);
      if (nghttp2_submit_trailer(session, stream_id, c.nv_.data(), c.nv_.size()) == 0)
        *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    }
    if (s.state == StreamState::Open) s.state = StreamState::HalfClosedLocal;
  }
  return static_cast<ssize_t>(n);
}

}  // namespace portico::http2
