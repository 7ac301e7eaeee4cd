#pragma once
// Decides how many bytes at the front of a source buffer belong to the current message body
// and may be forwarded as they are (Content-Length, validated chunked framing, until-close, or a
// tunnel). Chunked framing is validated by ChunkedDecoder before a byte of it is forwarded, so
// the next hop never sees framing portico did not check. Thread: owned by one stream.
#include <cstdint>
#include <string_view>

#include "http/http1/parser.h"

namespace portico::proxy {

class BodyForwarder {
 public:
  // Starts a new body. `length` is used for ContentLength framing.
  void start(http1::BodyFraming framing, uint64_t length);
  // Bytes at the front of `src` that may be sent now (0 when none yet). Sets error() when the
  // chunked framing is invalid; nothing past the error is ever reported forwardable.
  uint32_t forwardable(std::string_view src);
  // Records that `n` forwardable bytes were sent (and consumed from the source).
  void sent(uint32_t n);
  // The source reached end of stream: completes UntilClose/Tunnel bodies.
  void sourceClosed();
  // Chunked bodies whose payload exceeds `max` (0 = no limit) stop with error() and tooLarge()
  // before the exceeding chunk is forwarded.
  void setMaxPayload(uint64_t max) { max_payload_ = max; }
  bool tooLarge() const { return too_large_; }
  bool done() const { return done_; }
  // Bytes of a Content-Length body not yet sent.
  uint64_t remaining() const { return remaining_; }
  bool error() const { return error_; }
  const char* errorText() const { return error_text_; }
  http1::BodyFraming framing() const { return framing_; }
  uint64_t bytesSent() const { return total_; }
  // Decodes chunked data out of `src` instead of passing framing through (used for HTTP/1.0
  // clients). Returns payload steps; `consumed` must be dropped from the source by the caller.
  http1::ChunkedDecoder::Step decodeStep(std::string_view src) { return decoder_.decode(src); }
  // Payload reading for a consumer that transforms the body (compression) instead of
  // forwarding its framing: the first `skip` bytes of `src` are framing to drop, then `len`
  // bytes of payload follow (len 0: none yet; call again after dropping `skip`, or with more
  // input when skip is 0 too). The caller drops `skip` plus what it used of the payload, and
  // reports that with payloadUsed(). Content-Length and chunked bodies (trailers are dropped);
  // false when the chunked framing is invalid (error() is set). Do not mix with forwardable().
  bool payload(std::string_view src, uint32_t& skip, uint32_t& len);
  // `n` bytes of the payload that payload() reported were used (and dropped from the source).
  void payloadUsed(uint32_t n);
  void markDone() { done_ = true; }
  void markError(const char* text) {
    error_ = true;
    error_text_ = text;
  }

 private:
  http1::BodyFraming framing_ = http1::BodyFraming::None;
  uint64_t remaining_ = 0;
  uint64_t total_ = 0;
  uint32_t validated_ = 0;
  uint64_t pending_ = 0;  // payload() of a chunk already decoded, not yet used
  bool final_seen_ = false;
  bool too_large_ = false;
  uint64_t max_payload_ = 0;
  uint64_t payload_ = 0;
  bool done_ = true;
  bool error_ = false;
  const char* error_text_ = nullptr;
  http1::ChunkedDecoder decoder_;
};

}  // namespace portico::proxy
