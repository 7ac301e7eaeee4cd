// Micro-benchmarks for response compression: Accept-Encoding negotiation, and streaming a
// 64 KiB HTML-like body through each encoder in 16 KiB output windows (bytes/s of input).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "filters/compress/encoder.h"

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

void BM_CompressStream(benchmark::State& state) {
  const Coding c = static_cast<Coding>(state.range(0));
  const std::string body = htmlBody(64 * 1024);
  std::string out(16 * 1024, '\0');
  for (auto _ : state) {
    auto e = makeEncoder(c);
    size_t off = 0;
    Encoder::Step s;
    while (off < body.size()) {
      s = e->run(body.data() + off, body.size() - off, out.data(), out.size(),
                 Encoder::Mode::Process);
      off += s.consumed;
    }
    do {
      s = e->run(nullptr, 0, out.data(), out.size(), Encoder::Mode::Finish);
    } while (!s.done && !s.error);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.SetLabel(std::string(codingName(c)));
}
BENCHMARK(BM_CompressStream)
    ->Arg(static_cast<int>(Coding::Gzip))
    ->Arg(static_cast<int>(Coding::Brotli))
    ->Arg(static_cast<int>(Coding::Zstd));

}  // namespace
