#pragma once
// Strict HTTP/1.1 message-head parser (RFC 9112 §2-§7, RFC 9110 §5) and chunked decoder.
// Views returned point into the caller's buffer and stay valid only while it is unchanged.
// No allocation. Thread: stateless functions, any thread; a ChunkedDecoder belongs to one stream.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/header_id.h"
#include "http/method.h"

namespace portico::http1 {

inline constexpr uint32_t kMaxHeaders = 128;  // hard cap on fields in one head

struct Limits {
  uint32_t max_request_line = 8192;   // request-line bytes (without CRLF); over -> 414
  uint32_t max_header_bytes = 16384;  // whole head incl. request line; over -> 431
  uint32_t max_header_count = 100;    // field lines; over -> 431 (clamped to kMaxHeaders)
};

struct Header {
  std::string_view name;   // as received (case preserved)
  std::string_view value;  // leading/trailing OWS stripped
  http::HeaderId id;
};

enum class BodyFraming : uint8_t {
  None,           // no body
  ContentLength,  // exactly content_length bytes
  Chunked,        // chunked transfer coding (final coding), use ChunkedDecoder
  UntilClose,     // responses only: body ends when the upstream closes
  Tunnel,         // responses only: 101 Switching Protocols or 2xx to CONNECT
};

struct MessageHead {
  uint8_t version_minor = 1;  // HTTP/1.0 -> 0, HTTP/1.1 -> 1
  Header headers[kMaxHeaders];
  uint32_t header_count = 0;
  BodyFraming framing = BodyFraming::None;
  uint64_t content_length = 0;   // valid when framing == ContentLength
  bool conn_close = false;       // Connection: close present
  bool conn_keep_alive = false;  // Connection: keep-alive present
  bool conn_upgrade = false;     // Connection: upgrade present
  size_t head_length = 0;        // bytes of the head, including the final empty line
};

struct RequestHead : MessageHead {
  std::string_view method;  // token as received
  http::Method method_id = http::Method::Other;
  std::string_view target;         // request-target as received
  std::string_view host;           // Host field value (validated), or authority of absolute-form
  bool expect_continue = false;    // Expect: 100-continue
  bool upgrade_websocket = false;  // Upgrade names websocket and Connection has upgrade
  bool upgrade_h2c = false;        // Upgrade names h2c (must never be forwarded)
  // True when the client wants the connection kept after this exchange (1.1 default, 1.0 with
  // keep-alive).
  bool keepAlive() const {
    return version_minor == 1 ? !conn_close : (conn_keep_alive && !conn_close);
  }
};

struct ResponseHead : MessageHead {
  uint16_t status = 0;
  std::string_view reason;
};

enum class ParseState : uint8_t { Done, NeedMore, Error };

struct ParseResult {
  ParseState state;
  uint16_t error_status = 0;    // on Error: 400, 414, 431, 501 (unknown TE), 505 (version)
  const char* error = nullptr;  // on Error: short human-readable reason (static string)
};

// Parses one request head at the start of `data`.
// Done: `out` is filled, out.head_length bytes are the head. NeedMore: the head is incomplete
// and within limits (call again with more bytes). Error: the request is malformed or ambiguous;
// the connection must get error_status and be closed. Leading empty lines (CRLF) before the
// request line are skipped and counted in head_length (RFC 9112 §2.2).
ParseResult parseRequestHead(std::string_view data, const Limits& limits, RequestHead& out);

// True when `s` is a non-empty token (RFC 9110 §5.6.2: tchar only).
bool isToken(std::string_view s);

// The first field named `name` (case-insensitive) of `head`, or nullptr.
const Header* findField(const MessageHead& head, std::string_view name);
// Its value, or "" when absent.
inline std::string_view fieldValue(const MessageHead& head, std::string_view name) {
  const Header* h = findField(head, name);
  return h ? h->value : std::string_view();
}

// Parses one response head at the start of `data`, for a request with method `request_method`
// (HEAD and CONNECT change framing). 1xx heads parse as Done with framing None, except 101 ->
// Tunnel. Error means the upstream response is invalid or ambiguous (proxy answers 502).
ParseResult parseResponseHead(std::string_view data, const Limits& limits,
                              http::Method request_method, ResponseHead& out);

// Incremental decoder for the chunked transfer coding (RFC 9112 §7.1). Feed it bytes; it
// returns one step at a time. Chunk extensions are validated and dropped.
class ChunkedDecoder {
 public:
  enum class Kind : uint8_t {
    NeedMore,  // consumed everything useful; call again with more bytes
    Data,      // `data` is chunk payload (a view into the input)
    Done,      // last chunk and trailer section consumed; `trailers` holds the raw trailer
               // field lines (each ending CRLF, without the final empty line), maybe empty
    Error      // malformed: abort the message
  };
  struct Step {
    Kind kind;
    size_t consumed;  // bytes of input used by this step (always consume them)
    std::string_view data;
    std::string_view trailers;
    const char* error = nullptr;
  };

  // Decodes from `in`. The trailer section must arrive whole within max_trailer_bytes: the
  // decoder returns NeedMore with consumed covering none of it until it is complete.
  Step decode(std::string_view in);
  bool done() const { return state_ == State::Finished; }
  void reset() { *this = ChunkedDecoder(); }
  size_t max_trailer_bytes = 16384;

 private:
  // Size..ExtQuotedEsc walk the chunk-size line: hex digits, then `*( BWS ";" BWS name
  // [ BWS "=" BWS ( token / quoted-string ) ] )` (RFC 9112 §7.1.1), then CRLF.
  enum class State : uint8_t {
    Size,          // hex digits of chunk-size
    ExtSep,        // after size/value: BWS then ';' or CR (CR only if no BWS seen: ext_ws_)
    ExtNameStart,  // after ';': BWS then a token
    ExtName,       // inside ext name
    ExtNameWs,     // BWS after name: '=' or ';'
    ExtValStart,   // after '=': BWS then token or '"'
    ExtToken,      // inside token value
    ExtQuoted,     // inside quoted-string
    ExtQuotedEsc,  // after '\\' in quoted-string
    SizeLf,        // CR seen, expecting LF
    Data,
    DataCr,
    DataLf,
    Trailers,
    Finished,
    Failed
  };
  static constexpr uint32_t kMaxSizeLine = 4096;  // chunk-size line incl. extensions, w/o CRLF
  // Enters the sticky Failed state and returns an Error step with `why`.
  Step fail(size_t consumed, const char* why);
  State state_ = State::Size;
  uint64_t remaining_ = 0;
  uint8_t size_digits_ = 0;
  bool ext_ws_ = false;
  uint32_t line_len_ = 0;
};

}  // namespace portico::http1
