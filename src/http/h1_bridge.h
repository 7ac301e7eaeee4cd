#pragma once
// Conversions between protocol-neutral messages (http::RequestHead/ResponseHead, from the
// HTTP/2 codecs) and HTTP/1.1 bytes, so an HTTP/2 stream can run through the HTTP/1 exchange
// path (routing, actions, balancing, retries, compression, logs) unchanged: the stream is
// presented to it as a virtual connection carrying one HTTP/1.1 exchange (RFC 9113 §8.2.3,
// RFC 8441 §5 for extended CONNECT). Thread: pure functions and per-stream objects.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "http/http1/parser.h"
#include "http/message.h"

namespace portico::http::bridge {

// How the request body follows the head in the HTTP/1.1 bytes.
enum class BodyMode : uint8_t {
  None,     // no body (END_STREAM on the head)
  Length,   // Content-Length: the DATA bytes as they are
  Chunked,  // Transfer-Encoding: chunked: each DATA frame becomes a chunk, trailers at the end
  Tunnel,   // extended CONNECT: after the 101 the stream's bytes are the tunnel's
};

// Appends `head` as an HTTP/1.1 request head (with Connection: close: the virtual connection
// carries one exchange). Cookie fields are joined with "; " (RFC 9113 §8.2.3). Extended
// CONNECT (:protocol websocket) becomes GET with Upgrade: websocket and a Sec-WebSocket-Key
// made from `key_random` (RFC 8441 §5). Returns the body mode; `out` is left unchanged and
// the result is None with `error` set when the head cannot be expressed.
BodyMode appendRequestHead(const http::RequestHead& head, bool end_stream, uint64_t key_random[2],
                           std::string& out, const char*& error);

// Appends `head` as an HTTP/1.1 response head (status line, fields, then Content-Length when
// known, Transfer-Encoding: chunked unless end_stream, else Content-Length: 0). Returns true
// when the body is chunked.
bool appendResponseHead(const http::ResponseHead& head, bool end_stream, std::string& out);

// Appends one chunk holding `data` (nothing for empty data).
void appendChunk(std::span<const uint8_t> data, std::string& out);
// Appends the last chunk, `trailers` (may be null) and the final CRLF.
void appendLastChunk(const http::HeaderList* trailers, std::string& out);

// Copies the fields of an HTTP/1 head into `out`, except connection-specific ones (the HTTP/2
// codec would refuse them). Heads written by portico carry no other hop-by-hop field.
void copyFields(const http1::MessageHead& head, http::HeaderList& out);
// Parses raw field lines ("name: value\r\n"...) as the chunked decoder returns trailers.
void parseFieldLines(std::string_view raw, http::HeaderList& out);

// Reads the body of an HTTP/1.1 message as its bytes arrive in pieces, with any framing: emits
// payload, trailers and the end. Chunked bytes a step cannot finish (a split size line or
// trailer section) are kept until more arrive.
class BodyReader {
 public:
  struct Sink {
    virtual void onBodyData(std::span<const uint8_t> data) = 0;
    // End of the body; `trailers` is null when there were none.
    virtual void onBodyEnd(const http::HeaderList* trailers) = 0;

   protected:
    ~Sink() = default;
  };
  // Starts a body with this framing (UntilClose and Tunnel end only with finish()).
  void start(http1::BodyFraming framing, uint64_t length);
  // Feeds bytes; false when the framing is invalid (the message must be aborted).
  bool feed(std::string_view in, Sink& sink);
  // The source ended: completes UntilClose/Tunnel bodies; false when the body was cut short.
  bool finish(Sink& sink);
  bool done() const { return done_; }

 private:
  bool feedChunked(std::string_view in, Sink& sink);
  http1::BodyFraming framing_ = http1::BodyFraming::None;
  uint64_t remaining_ = 0;
  bool done_ = true;
  http1::ChunkedDecoder chunked_;
  std::string pending_;  // chunked bytes not yet decodable
  http::HeaderList trailers_;
};

}  // namespace portico::http::bridge
