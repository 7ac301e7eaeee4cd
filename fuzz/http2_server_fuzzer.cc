// libFuzzer entry for Http2ServerCodec: arbitrary bytes after a valid client preface. A small
// stream layer answers every request (head, body, trailers), consumes request bodies, resets
// some streams and starts a graceful shutdown half way, so the response, flow control and
// drain paths run too. Besides "does not crash" (ASan) it traps when an invariant breaks:
//  * after a failed feed() every later feed() fails too, and flushTo() ends with shouldClose();
//  * the queued byte count never goes negative (stays within what was submitted);
//  * every pool block comes back when the codec and the output buffer are gone.
// Build: -DPORTICO_FUZZ=ON with clang (scripts/fuzz.sh).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "buffer/buffer.h"
#include "http/http2/server_codec.h"

namespace {

using portico::http2::Http2ServerCodec;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

class FuzzStreams : public portico::http2::ServerCallbacks {
 public:
  Http2ServerCodec* codec = nullptr;
  uint32_t heads = 0;
  size_t submitted = 0;

  void onRequestHead(int32_t id, portico::http::RequestHead&& head, bool end_stream) override {
    ++heads;
    if (heads % 7 == 3) {
      codec->resetStream(id, 8 /* CANCEL */);
      return;
    }
    portico::http::ResponseHead r;
    r.status = static_cast<uint16_t>(head.path.size() % 2 ? 200 : 404);
    r.headers.add("x-path-len", std::to_string(head.path.size()));
    r.headers.add("connection", "close");  // must be dropped on the way out
    const bool empty = heads % 5 == 0;
    codec->submitResponseHead(id, r, empty);
    if (empty) return;
    const std::string body(head.headers.size() * 300 + 1, 'b');
    codec->submitResponseData(id, {reinterpret_cast<const uint8_t*>(body.data()), body.size()},
                              heads % 3 != 0);
    submitted += body.size();
    if (heads % 3 == 0) {
      portico::http::HeaderList t;
      t.add("grpc-status", "0");
      codec->submitTrailers(id, t);
    }
    (void)end_stream;
  }
  void onRequestData(int32_t id, std::span<const uint8_t> data, bool) override {
    codec->consumeRequestData(id, data.size());
  }
  void onRequestTrailers(int32_t, portico::http::HeaderList&&) override {}
  void onStreamReset(int32_t, uint32_t) override {}
  void onStreamClosed(int32_t) override {}
  void onStreamWritable(int32_t) override {}
  void onGoawayReceived(int32_t, uint32_t) override {}
};

// Client preface + empty SETTINGS.
const uint8_t kPreface[] = {'P',  'R',  'I', ' ',  '*',  ' ',  'H',  'T', 'T', 'P',  '/',
                            '2',  '.',  '0', '\r', '\n', '\r', '\n', 'S', 'M', '\r', '\n',
                            '\r', '\n', 0,   0,    0,    4,    0,    0,   0,   0,    0};

// A valid exchange start the mutations can build on (flag bit 2 of the first byte): HEADERS
// for stream 1 (POST https "/" authority "a", static-table HPACK) without END_STREAM, then a
// 4-byte DATA frame.
const uint8_t kRequest[] = {0,   0, 6, 1, 4, 0, 0, 0, 1, 0x83, 0x87, 0x84, 0x01, 0x01,
                            'a', 0, 0, 4, 0, 0, 0, 0, 0, 1,    'b',  'o',  'd',  'y'};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // First byte: piece size for feeding (1..255, 0 = all at once); bit 0: small limits;
  // bit 1: start with a valid request on stream 1.
  const uint8_t flags = data[0];
  const size_t piece = data[0] == 0 ? size : data[0];
  portico::http2::Limits limits;
  if (data[0] & 1) {
    limits.max_concurrent_streams = 8;
    limits.max_header_list_size = 2048;
    limits.initial_stream_window = 1024;
    limits.stream_queue_high = 2048;
    limits.stream_queue_low = 512;
  }
  ++data;
  --size;
  portico::buffer::BufferPool pool;
  {
    FuzzStreams streams;
    Http2ServerCodec codec(pool, streams, limits);
    streams.codec = &codec;
    portico::buffer::Buffer out;
    bool failed = !codec.feed(kPreface, sizeof kPreface).ok;
    check(!failed);
    if (flags & 2) failed = !codec.feed(kRequest, sizeof kRequest).ok;
    size_t off = 0;
    bool drained = false;
    while (off < size) {
      const size_t n = size - off < piece ? size - off : piece;
      const bool ok = codec.feed(data + off, n).ok;
      check(!(failed && ok));
      failed = failed || !ok;
      off += n;
      while (codec.wantsWrite()) {
        const size_t w = codec.flushTo(out);
        out.consume(out.size());
        if (w == 0) break;
      }
      check(codec.queuedBytesTotal() <= streams.submitted);
      if (!drained && off * 2 >= size) {
        codec.startGracefulShutdown();
        drained = true;
      }
    }
    if (failed) {
      while (codec.wantsWrite()) {
        codec.flushTo(out);
        out.consume(out.size());
      }
      check(codec.shouldClose());
    }
    out.release(pool);
  }
  check(pool.outstanding() == 0);
  return 0;
}
