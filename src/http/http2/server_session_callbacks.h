#pragma once
// Internal to Http2ServerCodec: the nghttp2 C callbacks, each forwarding to the codec given as
// user_data (this struct is the codec's friend). Thread: the codec's worker (they run inside
// feed()/flushTo()).
#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>

namespace portico::http2 {

struct ServerSessionCallbacks {
  // Fills `cbs` with the server-role callbacks (the shared ones come from SessionBase).
  static void install(nghttp2_session_callbacks* cbs);
  static int beginFrame(nghttp2_session*, const nghttp2_frame_hd* hd, void* user_data);
  static int beginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int frameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int dataChunk(nghttp2_session*, uint8_t flags, int32_t stream_id, const uint8_t* data,
                       size_t len, void* user_data);
  static int streamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data);
};

}  // namespace portico::http2
