#pragma once
// Shared body of the HTTP/2 client codec fuzzer: used by fuzz/http2_client_fuzzer.cc
// (libFuzzer, clang) and by tests/unit/http/http2/client_fuzz_corpus_test.cc (corpus replay
// under g++). The input is what a backend sends: an Http2ClientCodec opens one or two streams
// (a GET, and a POST whose body and trailers wait on the backend's windows), then is fed the
// bytes in pieces, flushing its output between pieces. The layer above consumes body bytes
// like H2Session, and, to stress re-entry, may reset a stream from inside a callback or half
// way, and start a new request from inside the callback that ends another.
//
// Input: byte 0 = flags (below), byte 1 = piece size (0: all at once), then the server bytes.
// Besides "does not crash" (ASan) it traps when an invariant breaks:
//  * callbacks name only streams this side opened; none arrive for a stream after its
//    onStreamClosed/onStreamReset, or after the caller reset it with resetStream();
//  * per stream: 1xx heads, then at most one final head (status 100..599); body bytes and
//    trailers only after the final head and before the end; onStreamClosed only after the
//    response ended; at most one of onStreamClosed/onStreamReset;
//  * after a failed feed() every later feed() fails, no response callbacks arrive, and
//    flushTo() ends with shouldClose(); once shouldClose(), it stays so and no response
//    callbacks arrive either (the connection is as good as closed);
//  * the codec never forgets a stream without telling (a stream the caller was not told about
//    is still known to the codec), never holds more live streams than were opened, and the
//    queued byte count stays within what was submitted;
//  * every pool block comes back when the codec and the output buffer are gone.
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "buffer/buffer.h"
#include "http/http2/client_codec.h"

namespace portico::fuzz {

namespace h2client {

inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Flag bits of the first input byte.
enum : uint8_t {
  kSmallLimits = 1,     // small windows, queue marks and header list size
  kPost = 2,            // also open a POST with a body larger than the initial window
  kResetOnHead = 4,     // the caller resets a stream from inside its final onResponseHead
  kNoConsume = 8,       // body bytes are never consumed (the windows fill up)
  kMoreRequests = 16,   // each ended stream starts a new request, from inside the callback
  kShutdownHalf = 32,   // shutdown() (our GOAWAY) half way through the input
  kEmptyTrailers = 64,  // the POST ends with submitTrailers({}) instead of real trailers
  kResetHalf = 128,     // half way through the input the caller resets its newest stream
};

// What the layer above has seen of one stream.
struct StreamSeen {
  bool final_head = false;
  bool ended = false;        // response complete (END_STREAM seen through a callback)
  bool told_done = false;    // onStreamClosed or onStreamReset arrived
  bool reset_by_us = false;  // resetStream() was used: no callback may follow
};

class Recorder : public http2::ClientCallbacks {
 public:
  http2::Http2ClientCodec* codec = nullptr;
  uint8_t flags = 0;
  std::map<int32_t, StreamSeen> streams;  // every stream this side opened
  size_t opened = 0;
  size_t submitted = 0;  // request body bytes handed to the codec
  bool dead = false;     // a feed() failed or shouldClose(): no response callbacks from now on

  // Opens one request stream; GET without body, or POST with a body and trailers.
  void open(bool post) {
    if (opened >= 8 || !codec->canStartStream()) return;
    http::RequestHead h;
    h.method = post ? "POST" : "GET";
    h.method_id = post ? http::Method::Post : http::Method::Get;
    h.scheme = "https";
    h.authority = "backend.test";
    h.path = post ? "/upload" : "/";
    h.headers.add("host", "backend.test");
    h.headers.add("accept", "*/*");
    const int32_t id = codec->submitRequest(h, !post);
    if (id <= 0) return;
    check(streams.count(id) == 0 && id % 2 == 1);
    streams[id];
    ++opened;
    if (!post) return;
    // Larger than the backend's default window (65535) and, with small limits, above the
    // high watermark, so the flow control and onStreamWritable paths run.
    const std::string body((flags & kSmallLimits) ? 5000 : 70000, 'p');
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(body.data()),
                                         body.size());
    check(codec->submitRequestData(id, bytes, false).ok);
    submitted += body.size();
    http::HeaderList t;
    if (!(flags & kEmptyTrailers)) t.add("x-checksum", "1234");
    check(codec->submitTrailers(id, t).ok);
  }

  // Streams the caller still waits on (not told done, not reset by it).
  size_t waiting() const {
    size_t n = 0;
    for (const auto& [id, s] : streams) n += !s.told_done && !s.reset_by_us;
    return n;
  }

  // The stream a callback names: opened here, not finished, not reset by the caller.
  StreamSeen& live(int32_t id) {
    auto it = streams.find(id);
    check(it != streams.end());
    check(!it->second.told_done && !it->second.reset_by_us);
    return it->second;
  }

  void onResponseHead(int32_t id, http::ResponseHead&& head, bool end_stream) override {
    check(!dead);
    StreamSeen& s = live(id);
    check(!s.final_head && !s.ended);
    check(head.status >= 100 && head.status <= 599);
    if (head.status < 200) {
      check(!end_stream);
      return;
    }
    s.final_head = true;
    if (end_stream) s.ended = true;
    if ((flags & kResetOnHead) && !end_stream && id == 1) {
      codec->resetStream(id, 8 /* CANCEL */);
      s.reset_by_us = true;
    }
  }
  void onResponseData(int32_t id, std::span<const uint8_t> data, bool end_stream) override {
    check(!dead);
    StreamSeen& s = live(id);
    check(s.final_head && !s.ended);
    check(!data.empty() || end_stream);
    if (end_stream) s.ended = true;
    if (!(flags & kNoConsume)) codec->consumeResponseData(id, data.size());
  }
  void onResponseTrailers(int32_t id, http::HeaderList&&) override {
    check(!dead);
    StreamSeen& s = live(id);
    check(s.final_head && !s.ended);
    s.ended = true;
  }
  void onStreamReset(int32_t id, uint32_t error_code) override {
    StreamSeen& s = live(id);
    check(error_code != 0);
    s.told_done = true;
    if (flags & kMoreRequests) open(false);
  }
  void onStreamClosed(int32_t id) override {
    StreamSeen& s = live(id);
    check(s.ended);
    s.told_done = true;
    if (flags & kMoreRequests) open((opened & 1) != 0);
  }
  void onStreamWritable(int32_t id) override { (void)live(id); }
  void onGoawayReceived(int32_t, uint32_t) override {}
};

// Writes pending output into `out` and drops it (the backend does not read it).
inline void drain(http2::Http2ClientCodec& codec, buffer::Buffer& out) {
  for (int i = 0; i < 1000 && codec.wantsWrite(); ++i) {
    const size_t n = codec.flushTo(out);
    out.consume(out.size());
    if (n == 0) break;
  }
}

inline uint64_t fixedClock() {
  return 1000;
}

}  // namespace h2client

inline int portico_fuzz_http2_client(const uint8_t* data, size_t size) {
  using namespace h2client;
  if (size < 2) return 0;
  const uint8_t flags = data[0];
  const size_t piece = data[1] == 0 ? size : data[1];
  data += 2;
  size -= 2;
  http2::Limits limits;
  if (flags & kSmallLimits) {
    limits.max_header_list_size = 1024;
    limits.initial_stream_window = 1024;
    limits.connection_window = 65535;
    limits.stream_queue_high = 2048;
    limits.stream_queue_low = 512;
    limits.max_stream_errors = 4;
  }
  buffer::BufferPool pool;
  {
    Recorder rec;
    rec.flags = flags;
    http2::Http2ClientCodec codec(pool, rec, limits, &fixedClock);
    rec.codec = &codec;
    buffer::Buffer out;
    drain(codec, out);  // the client preface
    rec.open(false);
    if (flags & kPost) rec.open(true);
    drain(codec, out);
    check(rec.opened >= 1);
    size_t off = 0;
    bool shut = false;    // the half-way actions ran
    bool failed = false;  // a feed() failed
    bool closed = false;  // shouldClose() was seen
    while (off < size) {
      const size_t n = size - off < piece ? size - off : piece;
      const bool ok = codec.feed(data + off, n).ok;
      check(!(failed && ok));
      if (!ok) failed = rec.dead = true;
      off += n;
      drain(codec, out);
      check(!(closed && !codec.shouldClose()));
      if (codec.shouldClose()) closed = rec.dead = true;
      check(codec.liveStreams() <= rec.opened && rec.waiting() <= codec.liveStreams());
      check(codec.queuedBytesTotal() <= rec.submitted);
      uint64_t stalled_ms = 0;
      const int32_t stalled = codec.longestZeroWindowStall(stalled_ms);
      check(stalled == 0 || rec.streams.count(stalled) == 1);
      if (!shut && off * 2 >= size) {
        shut = true;
        if (flags & kShutdownHalf) {
          codec.shutdown();
          check(!codec.canStartStream());
        }
        if ((flags & kResetHalf) && !rec.streams.empty()) {
          auto& [id, s] = *rec.streams.rbegin();
          if (!s.told_done && !s.reset_by_us) {
            codec.resetStream(id, 8 /* CANCEL */);
            s.reset_by_us = true;
          }
        }
      }
    }
    drain(codec, out);
    if (failed) check(codec.shouldClose());
    // A stream the caller still waits on must still be live in the codec: it is never
    // forgotten silently (the exchange would wait for ever).
    check(rec.waiting() <= codec.liveStreams());
    out.release(pool);
  }
  check(pool.outstanding() == 0);
  return 0;
}

}  // namespace portico::fuzz
