// DownstreamConnection: response compression (route `compress:`). Which responses qualify, and
// the body pump that compresses a Content-Length or chunked body (de-chunked on the way, as it
// arrives) straight into the client's output block and sends it chunked.
#include <cstring>

#include "proxy/downstream_connection.h"

namespace portico::proxy {

using filters::compress::Coding;
using filters::compress::Encoder;
using http1::BodyFraming;

namespace {

// Chunk header of fixed width (leading zeros are valid chunk-size digits), so it can be written
// after the data it announces.
constexpr uint32_t kChunkHead = 8 + 2;
constexpr uint32_t kChunkTail = 2;

// True when chunked is the response's only transfer coding (a "gzip, chunked" body is still
// transfer-coded once de-chunked: it passes through as it is).
bool onlyChunked(const http1::ResponseHead& resp) {
  for (uint32_t i = 0; i < resp.header_count; ++i)
    if (resp.headers[i].id == http::HeaderId::TransferEncoding &&
        !http::equalsIgnoreCase(resp.headers[i].value, "chunked"))
      return false;
  return true;
}

}  // namespace

Coding DownstreamConnection::chooseCompression() const {
  if (!route_ || !route_->config || !route_->config->compress.enabled) return Coding::Identity;
  const config::Compression& c = route_->config->compress;
  const http1::ResponseHead& resp = heads_->resp;
  // HTTP/1.1 clients (chunked output), Content-Length or chunked bodies (of unknown size: no
  // min_size test), never partial or encoded ones.
  if (version_minor_ == 0 || method_ == http::Method::Head) return Coding::Identity;
  if (resp.status != 200 && resp.status != 201 && resp.status != 202 && resp.status != 203 &&
      resp.status != 410)
    return Coding::Identity;
  if (resp.framing == BodyFraming::ContentLength) {
    if (resp.content_length < c.min_size) return Coding::Identity;
  } else if (resp.framing != BodyFraming::Chunked || !onlyChunked(resp)) {
    return Coding::Identity;
  }
  if (http1::findField(resp, "content-encoding") || http1::findField(resp, "content-range") ||
      http1::findField(heads_->req, "range"))
    return Coding::Identity;
  if (http1::fieldValue(resp, "cache-control").find("no-transform") != std::string_view::npos)
    return Coding::Identity;
  if (!filters::compress::typeMatches(http1::fieldValue(resp, "content-type"), c.types))
    return Coding::Identity;
  Coding enabled[3];
  size_t n = 0;
  for (const std::string& name : c.codings) {
    Coding k;
    if (n < 3 && filters::compress::parseCoding(name, k)) enabled[n++] = k;
  }
  return filters::compress::negotiate(http1::fieldValue(heads_->req, "accept-encoding"),
                                      {enabled, n});
}

bool DownstreamConnection::runEncoder(const char* in, size_t len, Encoder::Mode mode,
                                      size_t& consumed) {
  consumed = 0;
  for (;;) {
    uint32_t space = out_.spaceLeft();
    if (space < kChunkHead + kChunkTail + 256) return true;  // client backpressure: later
    char* p = out_.writable(worker_.buffers(), space);
    const size_t cap = space - kChunkHead - kChunkTail;
    Encoder::Step s = encoder_->run(in + consumed, len - consumed, p + kChunkHead, cap, mode);
    if (s.error) return false;
    consumed += s.consumed;
    if (s.produced) {
      // 8 hex digits: produced < 64 KiB (one output block).
      static constexpr char kHex[] = "0123456789abcdef";
      size_t v = s.produced;
      for (int i = 7; i >= 0; --i, v >>= 4) p[i] = kHex[v & 0xF];
      p[8] = '\r';
      p[9] = '\n';
      std::memcpy(p + kChunkHead + s.produced, "\r\n", kChunkTail);
      out_.commit(static_cast<uint32_t>(kChunkHead + s.produced + kChunkTail));
    }
    if (s.done) {
      out_.append(worker_.buffers(), "0\r\n\r\n", 5);
      compress_done_ = true;
      return true;
    }
    if (consumed == len && s.produced < cap) return true;  // nothing more pending
  }
}

bool DownstreamConnection::compressToClient() {
  upstream::UpstreamConnection* u = up_;
  BodyForwarder& body = heads_->resp_body;
  bool progress = false;
  bool starved = true;  // false: stopped because the client's output block is full
  while (!body.done() && !u->in.empty()) {
    uint32_t skip = 0, len = 0;
    if (!body.payload(u->in.view(), skip, len)) return progress;  // invalid chunked framing
    if (skip) {
      u->in.consume(skip);
      progress = true;
    }
    if (len == 0) {
      if (skip == 0) break;  // the rest of a chunk header is still on its way
      continue;
    }
    size_t used = 0;
    if (!runEncoder(u->in.data(), len, Encoder::Mode::Process, used)) {
      body.markError("compression failed");
      return progress;
    }
    if (used == 0) {
      starved = false;
      break;
    }
    u->in.consume(static_cast<uint32_t>(used));
    body.payloadUsed(static_cast<uint32_t>(used));
    progress = true;
  }
  size_t unused = 0;
  if (body.done() && !compress_done_) {
    if (!runEncoder(nullptr, 0, Encoder::Mode::Finish, unused))
      body.markError("compression failed");
    progress = true;
  } else if (!body.done() && starved && progress) {
    // Everything available was taken: let the client decode it now (streaming).
    if (!runEncoder(nullptr, 0, Encoder::Mode::Flush, unused)) body.markError("compression failed");
  }
  if (flushOut()) progress = true;
  return progress;
}

}  // namespace portico::proxy
