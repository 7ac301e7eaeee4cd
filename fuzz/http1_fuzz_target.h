#pragma once
// Shared body of the HTTP/1 parser fuzzer: used by fuzz/http1_parser_fuzzer.cc (libFuzzer,
// clang) and by tests/unit/http/http1/fuzz_corpus_test.cc (corpus replay under g++). Besides
// "does not crash" it checks invariants and traps (__builtin_trap) when one breaks:
//  * a Done head lies inside the input, its views point into it, counts respect the limits;
//  * every strict prefix of a Done head is NeedMore (stateless re-parse is consistent);
//  * the chunked decoder gives the same outcome fed whole and fed in small pieces.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "http/http1/parser.h"

namespace portico::fuzz {

// Traps (a crash the fuzzer reports) when an invariant does not hold.
inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

// True when `part` is empty or lies within `whole`.
inline bool inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// Checks what every Done head promises: bounds, limits, views into the input, header ids.
inline void checkHead(const http1::MessageHead& h, std::string_view in, const http1::Limits& l) {
  check(h.head_length > 0 && h.head_length <= in.size());
  check(h.head_length <= l.max_header_bytes);
  check(h.header_count <= l.max_header_count && h.header_count <= http1::kMaxHeaders);
  const std::string_view head = in.substr(0, h.head_length);
  for (uint32_t i = 0; i < h.header_count; ++i) {
    check(inside(h.headers[i].name, head) && !h.headers[i].name.empty());
    check(inside(h.headers[i].value, head));
    check(h.headers[i].id == http::lookupHeaderId(h.headers[i].name));
  }
}

// What a chunked decode produced, compared between feeding strategies.
struct ChunkOutcome {
  std::string payload;
  std::string trailers;
  int end = 0;  // 0 = ran out of input, 1 = Done, 2 = Error
  size_t consumed = 0;
};

// Feeds `in` to a decoder in pieces of `piece` bytes (0 = all at once), keeping unconsumed bytes.
inline ChunkOutcome runChunked(std::string_view in, size_t piece, size_t max_trailer) {
  http1::ChunkedDecoder dec;
  dec.max_trailer_bytes = max_trailer;
  ChunkOutcome out;
  std::string pending;
  size_t fed = 0;
  for (;;) {
    const size_t take = piece == 0 ? in.size() - fed : std::min(piece, in.size() - fed);
    pending.append(in.substr(fed, take));
    fed += take;
    for (;;) {
      const http1::ChunkedDecoder::Step s = dec.decode(pending);
      check(s.consumed <= pending.size());
      if (s.kind == http1::ChunkedDecoder::Kind::Data) {
        check(!s.data.empty() && inside(s.data, pending));
        out.payload.append(s.data);
      }
      out.consumed += s.consumed;
      if (s.kind == http1::ChunkedDecoder::Kind::Done) {
        check(inside(s.trailers, pending));
        out.trailers.assign(s.trailers);
        out.end = 1;
        return out;
      }
      pending.erase(0, s.consumed);
      if (s.kind == http1::ChunkedDecoder::Kind::Error) {
        check(s.error != nullptr);
        out.end = 2;
        return out;
      }
      if (s.kind == http1::ChunkedDecoder::Kind::NeedMore) break;
    }
    if (fed == in.size()) return out;
  }
}

// Runs the request parser, the response parser and the chunked decoder over `data`.
inline int portico_fuzz_http1(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  http1::Limits limits;
  http1::Limits small;
  small.max_request_line = 64;
  small.max_header_bytes = 256;
  small.max_header_count = 8;

  auto req = std::make_unique<http1::RequestHead>();
  for (const http1::Limits* l : {&limits, &small}) {
    const http1::ParseResult r = http1::parseRequestHead(in, *l, *req);
    if (r.state == http1::ParseState::Error) {
      check(r.error != nullptr && r.error_status >= 400 && r.error_status < 600);
    } else if (r.state == http1::ParseState::NeedMore) {
      check(in.size() <= l->max_header_bytes);
    } else {
      checkHead(*req, in, *l);
      check(inside(req->method, in) && !req->method.empty());
      check(inside(req->target, in) && !req->target.empty());
      check(inside(req->host, in));
      check(req->version_minor <= 1);
      check(req->framing == http1::BodyFraming::None ||
            req->framing == http1::BodyFraming::ContentLength ||
            req->framing == http1::BodyFraming::Chunked);
      const size_t hl = req->head_length;
      auto again = std::make_unique<http1::RequestHead>();
      for (size_t cut : {hl - 1, hl / 2, hl / 3}) {
        if (cut >= hl) continue;
        check(http1::parseRequestHead(in.substr(0, cut), *l, *again).state ==
              http1::ParseState::NeedMore);
      }
      const http1::ParseResult r2 = http1::parseRequestHead(in.substr(0, hl), *l, *again);
      check(r2.state == http1::ParseState::Done && again->head_length == hl);
      // Pipelining: the rest of the buffer parses on its own.
      (void)http1::parseRequestHead(in.substr(hl), *l, *again);
    }
  }

  auto resp = std::make_unique<http1::ResponseHead>();
  for (http::Method m : {http::Method::Get, http::Method::Head, http::Method::Connect}) {
    const http1::ParseResult r = http1::parseResponseHead(in, limits, m, *resp);
    if (r.state == http1::ParseState::Error) {
      check(r.error != nullptr && r.error_status == 502);
    } else if (r.state == http1::ParseState::Done) {
      checkHead(*resp, in, limits);
      check(resp->status >= 100 && resp->status <= 599);
      check(inside(resp->reason, in));
    }
  }

  // Chunked: whole vs. pieces must agree; the piece size comes from the input itself.
  const size_t piece = size > 0 ? (data[0] % 7) + 1 : 1;
  const ChunkOutcome whole = runChunked(in, 0, 64);
  const ChunkOutcome split = runChunked(in, piece, 64);
  const ChunkOutcome bytes = runChunked(in, 1, 64);
  for (const ChunkOutcome* o : {&split, &bytes}) {
    check(o->end == whole.end && o->payload == whole.payload && o->trailers == whole.trailers);
    if (whole.end != 0) check(o->consumed == whole.consumed);
  }
  (void)runChunked(in, 0, 16384);
  return 0;
}

}  // namespace portico::fuzz
