// Micro-benchmarks for response compression: Accept-Encoding negotiation, and streaming an
// HTML-like body through each encoder in 16 KiB output windows (bytes/s of input), with a new
// encoder per body (BM_CompressStream) or one reused from the worker's pool
// (BM_CompressStreamReused; brotli cannot be reset, so it allocates in both).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "filters/compress/encoder.h"
#include "filters/compress/encoder_pool.h"

namespace {

using namespace portico::filters::compress;

std::string htmlBody(size_t n) {
  std::string s;
  const char* rows[] = {"<tr><td class=\"name\">portico</td><td>reverse proxy</td></tr>\n",
                        "<li><a href=\"/docs/config.md\">configuration</a></li>\n",
                        "<p>Every exchange gets a request id and a traceparent.</p>\n"};
  for (size_t i = 0; s.size() < n; ++i) s += rows[(i * 7) % 3];
  s.resize(n);
  return s;
}

void BM_CompressNegotiate(benchmark::State& state) {
  const std::vector<Coding> enabled = {Coding::Zstd, Coding::Brotli, Coding::Gzip};
  for (auto _ : state)
    benchmark::DoNotOptimize(negotiate("gzip, deflate, br, zstd;q=0.9", enabled));
}
BENCHMARK(BM_CompressNegotiate);

// Compresses `body` with `e` to the end of the stream.
void compressBody(Encoder& e, const std::string& body, std::string& out) {
  size_t off = 0;
  Encoder::Step s;
  while (off < body.size()) {
    s = e.run(body.data() + off, body.size() - off, out.data(), out.size(), Encoder::Mode::Process);
    off += s.consumed;
  }
  do {
    s = e.run(nullptr, 0, out.data(), out.size(), Encoder::Mode::Finish);
  } while (!s.done && !s.error);
  benchmark::DoNotOptimize(out.data());
}

// Args: coding, body size.
void BM_CompressStream(benchmark::State& state) {
  const Coding c = static_cast<Coding>(state.range(0));
  const std::string body = htmlBody(static_cast<size_t>(state.range(1)));
  std::string out(16 * 1024, '\0');
  for (auto _ : state) {
    auto e = makeEncoder(c);
    compressBody(*e, body, out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.SetLabel(std::string(codingName(c)) + " new encoder");
}

void BM_CompressStreamReused(benchmark::State& state) {
  const Coding c = static_cast<Coding>(state.range(0));
  const std::string body = htmlBody(static_cast<size_t>(state.range(1)));
  std::string out(16 * 1024, '\0');
  EncoderPool pool;
  for (auto _ : state) {
    EncoderPtr e = pool.acquire(c);
    compressBody(*e, body, out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.SetLabel(std::string(codingName(c)) + " pooled encoder");
}

void codingsAndSizes(benchmark::internal::Benchmark* b) {
  for (Coding c : {Coding::Gzip, Coding::Brotli, Coding::Zstd})
    for (int size : {2 * 1024, 64 * 1024}) b->Args({static_cast<int>(c), size});
}
BENCHMARK(BM_CompressStream)->Apply(codingsAndSizes);
BENCHMARK(BM_CompressStreamReused)->Apply(codingsAndSizes);

}  // namespace
