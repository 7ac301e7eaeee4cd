#pragma once
// Limits of one HTTP/2 connection (server or client side), with defaults close to nginx and
// Envoy. Thread: a plain value, copied into each codec.
#include <cstdint>

namespace portico::http2 {

struct Limits {
  // SETTINGS_MAX_CONCURRENT_STREAMS we advertise (nginx: 128, Envoy: 100 commonly).
  uint32_t max_concurrent_streams = 128;
  // SETTINGS_MAX_HEADER_LIST_SIZE we advertise and enforce on the decoded list (name + value +
  // 32 per field, pseudo-headers included). Over it: the stream is reset (HPACK bomb defence).
  uint32_t max_header_list_size = 64 * 1024;
  // SETTINGS_MAX_FRAME_SIZE we advertise (RFC minimum and default 16384).
  uint32_t max_frame_size = 16384;
  // SETTINGS_INITIAL_WINDOW_SIZE we advertise: bytes a peer may send per stream before we
  // consume them (Envoy: 256 KiB... 16 MiB; nginx: 64 KiB).
  uint32_t initial_stream_window = 256 * 1024;
  // Receive window of the whole connection (raised with a WINDOW_UPDATE on stream 0).
  uint32_t connection_window = 1024 * 1024;
  // CONTINUATION frames accepted after one HEADERS before the connection is closed.
  uint32_t max_continuations = 8;
  // Queued SETTINGS/PING ACKs we keep before treating the peer as flooding (nghttp2 option).
  uint32_t max_outbound_ack = 64;
  // Entries accepted in one SETTINGS frame.
  uint32_t max_settings_entries = 32;
  // Rapid reset (CVE-2023-44487): a token bucket of streams the peer may reset before their
  // response completed. Each such reset takes a token; tokens come back at the rate below.
  // Out of tokens: GOAWAY ENHANCE_YOUR_CALM.
  uint32_t reset_burst = 200;
  uint32_t resets_per_second = 50;
  // Consecutive DATA frames with an empty payload and no END_STREAM tolerated (Envoy: 1).
  uint32_t max_consecutive_empty_frames = 16;
  // Streams the codec itself resets for a peer error (malformed or oversized heads, §8.2.2
  // violations) before the whole connection is closed with ENHANCE_YOUR_CALM.
  uint32_t max_stream_errors = 100;
  // Largest header block we send in one HEADERS + CONTINUATION sequence.
  uint32_t max_send_header_block = 32 * 1024;
  // Per-stream send queue watermarks (response body bytes accepted but not yet framed): above
  // high, submitResponseData() says "stop"; at or below low, onStreamWritable() is called.
  uint32_t stream_queue_high = 64 * 1024;
  uint32_t stream_queue_low = 16 * 1024;
};

}  // namespace portico::http2
