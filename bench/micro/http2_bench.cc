// Micro-benchmarks for the HTTP/2 server codec: decoding a typical browser request HEADERS
// frame into a RequestHead (HPACK + RFC 9113 checks + callback), and a full GET exchange
// (decode, submit a head-only response, frame it into the output buffer).
#include <benchmark/benchmark.h>
#include <nghttp2/nghttp2.h>

#include <memory>
#include <string>
#include <vector>

#include "buffer/buffer.h"
#include "http/http2/server_codec.h"

namespace {

using namespace portico;

constexpr int kStreamsPerConnection = 100;

struct Frames {
  std::string preface;              // client preface + SETTINGS (+ anything before HEADERS)
  std::vector<std::string> frames;  // one HEADERS frame per request, in order
};

// Encodes kStreamsPerConnection browser-like GETs with a real nghttp2 client so the HPACK
// dynamic table evolves as on a real connection (first request cold, the rest mostly indexed).
Frames makeFrames() {
  nghttp2_session_callbacks* cbs;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session* client;
  nghttp2_session_client_new(&client, cbs, nullptr);
  nghttp2_session_callbacks_del(cbs);
  nghttp2_submit_settings(client, NGHTTP2_FLAG_NONE, nullptr, 0);
  const std::vector<std::pair<std::string, std::string>> h = {
      {":method", "GET"},
      {":scheme", "https"},
      {":authority", "www.example.com"},
      {":path", "/search?q=portico+reverse+proxy&lang=en"},
      {"user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"},
      {"accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"},
      {"accept-language", "en-US,en;q=0.5"},
      {"accept-encoding", "gzip, deflate, br"},
      {"cookie", "session=8f2c1e0a9b7d4c3e"},
      {"cookie", "theme=dark"},
      {"sec-fetch-dest", "document"},
      {"sec-fetch-mode", "navigate"},
  };
  std::vector<nghttp2_nv> nv;
  for (auto& [n, v] : h) {
    nv.push_back(
        {(uint8_t*)n.data(), (uint8_t*)v.data(), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
  }
  for (int i = 0; i < kStreamsPerConnection; ++i) {
    nghttp2_submit_request(client, nullptr, nv.data(), nv.size(), nullptr, nullptr);
  }
  std::string wire;
  const uint8_t* p;
  ssize_t n;
  while ((n = nghttp2_session_mem_send(client, &p)) > 0) wire.append((const char*)p, n);
  nghttp2_session_del(client);

  Frames f;
  size_t off = 24;  // client magic
  while (off + 9 <= wire.size()) {
    const size_t len =
        (uint8_t(wire[off]) << 16) | (uint8_t(wire[off + 1]) << 8) | uint8_t(wire[off + 2]);
    const uint8_t type = uint8_t(wire[off + 3]);
    if (type == NGHTTP2_HEADERS) {
      f.frames.push_back(wire.substr(off, 9 + len));
    } else if (f.frames.empty()) {
      f.preface.append(wire, off, 9 + len);
    }
    off += 9 + len;
  }
  f.preface.insert(0, wire.substr(0, 24));
  return f;
}

class Sink : public http2::ServerCallbacks {
 public:
  http2::Http2ServerCodec* codec = nullptr;
  bool respond = false;
  size_t headers = 0;
  void onRequestHead(int32_t id, http::RequestHead&& head, bool) override {
    headers += head.headers.size();
    benchmark::DoNotOptimize(head.path.data());
    if (respond) {
      http::ResponseHead r;
      r.status = 204;
      codec->submitResponseHead(id, r, true);
    }
  }
  void onRequestData(int32_t, std::span<const uint8_t>, bool) override {}
  void onRequestTrailers(int32_t, http::HeaderList&&) override {}
  void onStreamReset(int32_t, uint32_t) override {}
  void onStreamClosed(int32_t) override {}
  void onStreamWritable(int32_t) override {}
  void onGoawayReceived(int32_t, uint32_t) override {}
};

void run(benchmark::State& state, bool respond) {
  static const Frames frames = makeFrames();
  buffer::BufferPool pool;
  buffer::Buffer out;
  Sink sink;
  sink.respond = respond;
  http2::Limits limits;
  limits.max_concurrent_streams = kStreamsPerConnection + 10;
  std::unique_ptr<http2::Http2ServerCodec> codec;
  size_t next = kStreamsPerConnection;
  auto fresh = [&] {
    codec.reset();
    codec = std::make_unique<http2::Http2ServerCodec>(pool, sink, limits);
    sink.codec = codec.get();
    codec->feed((const uint8_t*)frames.preface.data(), frames.preface.size());
    codec->flushTo(out);
    out.consume(out.size());
    next = 0;
  };
  for (auto _ : state) {
    if (next == kStreamsPerConnection) {
      state.PauseTiming();
      fresh();
      state.ResumeTiming();
    }
    const std::string& f = frames.frames[next++];
    http2::Status st = codec->feed((const uint8_t*)f.data(), f.size());
    benchmark::DoNotOptimize(st);
    if (respond) {
      codec->flushTo(out);
      out.consume(out.size());
    }
  }
  codec.reset();
  out.release(pool);
  state.SetItemsProcessed(state.iterations());
  state.counters["fields"] = benchmark::Counter(static_cast<double>(sink.headers) /
                                                static_cast<double>(state.iterations()));
}

void BM_Http2DecodeRequestHeaders(benchmark::State& state) {
  run(state, false);
}
BENCHMARK(BM_Http2DecodeRequestHeaders);

void BM_Http2GetExchange(benchmark::State& state) {
  run(state, true);
}
BENCHMARK(BM_Http2GetExchange);

}  // namespace
