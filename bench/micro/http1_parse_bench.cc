// Micro-benchmarks for the HTTP/1 head parser, the chunked decoder and header-id lookup.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <string_view>

#include "http/header_id.h"
#include "http/http1/parser.h"

namespace {

using namespace portico;

constexpr std::string_view kBrowserGet =
    "GET /search?q=portico+reverse+proxy&lang=en HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=8f2c1e0a9b7d4c3e; theme=dark; consent=yes\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "Sec-Fetch-Dest: document\r\n"
    "Sec-Fetch-Mode: navigate\r\n"
    "\r\n";

constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\n"
    "Date: Mon, 27 Nov 2023 02:00:00 GMT\r\n"
    "Server: backend\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Length: 12345\r\n"
    "Cache-Control: private, max-age=0\r\n"
    "\r\n";

void BM_ParseBrowserGet(benchmark::State& state) {
  auto head = std::make_unique<http1::RequestHead>();
  const http1::Limits limits;
  for (auto _ : state) {
    http1::ParseResult r = http1::parseRequestHead(kBrowserGet, limits, *head);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(head->header_count);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(kBrowserGet.size()));
}
BENCHMARK(BM_ParseBrowserGet);

void BM_ParseResponseHead(benchmark::State& state) {
  auto head = std::make_unique<http1::ResponseHead>();
  const http1::Limits limits;
  for (auto _ : state) {
    http1::ParseResult r = http1::parseResponseHead(kResponse, limits, http::Method::Get, *head);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(kResponse.size()));
}
BENCHMARK(BM_ParseResponseHead);

void BM_LookupHeaderId(benchmark::State& state) {
  static constexpr std::string_view kNames[] = {"Host",
                                                "User-Agent",
                                                "Accept",
                                                "Accept-Language",
                                                "Connection",
                                                "Content-Length",
                                                "Cookie",
                                                "Transfer-Encoding",
                                                "X-Forwarded-For",
                                                "Sec-Fetch-Dest"};
  for (auto _ : state) {
    for (std::string_view n : kNames) {
      benchmark::DoNotOptimize(n);
      benchmark::DoNotOptimize(http::lookupHeaderId(n));
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(std::size(kNames)));
}
BENCHMARK(BM_LookupHeaderId);

void BM_ChunkedDecode(benchmark::State& state) {
  std::string body;
  for (int i = 0; i < 16; ++i) body += "400\r\n" + std::string(0x400, 'x') + "\r\n";
  body += "0\r\n\r\n";
  for (auto _ : state) {
    http1::ChunkedDecoder dec;
    std::string_view in = body;
    size_t payload = 0;
    for (;;) {
      const auto s = dec.decode(in);
      in.remove_prefix(s.consumed);
      payload += s.data.size();
      if (s.kind != http1::ChunkedDecoder::Kind::Data) break;
    }
    benchmark::DoNotOptimize(payload);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_ChunkedDecode);

}  // namespace
