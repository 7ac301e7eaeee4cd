#include "http/http2/frame_writer.h"

namespace portico::http2 {
namespace {

void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

}  // namespace

bool writeEmptySettings(buffer::BufferPool& pool, buffer::Buffer& out) {
  // length 0, type SETTINGS (0x4), flags 0, stream 0.
  const uint8_t f[9] = {0, 0, 0, 0x4, 0, 0, 0, 0, 0};
  if (out.spaceLeft() < sizeof f) return false;
  out.append(pool, f, sizeof f);
  return true;
}

bool writeGoaway(buffer::BufferPool& pool, buffer::Buffer& out, int32_t last_stream_id,
                 uint32_t error_code) {
  uint8_t f[17] = {0, 0, 8, 0x7, 0, 0, 0, 0, 0};
  put32(f + 9, static_cast<uint32_t>(last_stream_id) & 0x7fffffffu);
  put32(f + 13, error_code);
  if (out.spaceLeft() < sizeof f) return false;
  out.append(pool, f, sizeof f);
  return true;
}

}  // namespace portico::http2
