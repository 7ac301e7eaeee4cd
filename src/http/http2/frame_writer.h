#pragma once
// Hand-built HTTP/2 frames the codec writes itself when nghttp2 can no longer be used (after a
// fatal session error): an empty SETTINGS (server preface) and a GOAWAY.
// Thread: pure functions, any thread.
#include <cstdint>

#include "buffer/buffer.h"

namespace portico::http2 {

// Appends an empty SETTINGS frame (9 bytes). Returns false when `out` has no room.
bool writeEmptySettings(buffer::BufferPool& pool, buffer::Buffer& out);
// Appends GOAWAY(last_stream_id, error_code) without debug data (17 bytes). Returns false when
// `out` has no room.
bool writeGoaway(buffer::BufferPool& pool, buffer::Buffer& out, int32_t last_stream_id,
                 uint32_t error_code);

}  // namespace portico::http2
