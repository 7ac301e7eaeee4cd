#pragma once
// HeadBuilder: turns the decoded fields of one HTTP/2 header block into a protocol-neutral
// RequestHead, ResponseHead or trailer HeaderList, applying RFC 9113 §8.2-§8.3 on top of what
// nghttp2's own HTTP messaging checks already enforce (defence in depth, and the only check if
// a caller turns those off):
//  * pseudo-header fields only before regular ones, only the ones the block kind allows;
//  * connection-specific fields (connection, keep-alive, proxy-connection, transfer-encoding,
//    upgrade) make the message malformed (§8.2.2); `te` is allowed only as "trailers";
//  * cookie crumbs are joined with "; " into one field (§8.2.3);
//  * :authority wins over Host; Host is then rewritten to equal it (§8.3.1);
//  * the decoded list size (name + value + 32 per field) is bounded (HPACK bomb defence).
// Thread: belongs to one stream of one connection.
#include <cstdint>
#include <string>
#include <string_view>

#include "http/message.h"

namespace portico::http2 {

enum class HeadKind : uint8_t { Request, Response, Trailers };

enum class HeadStatus : uint8_t {
  Ok,
  Malformed,  // reset the stream with PROTOCOL_ERROR (or answer 400)
  TooLarge,   // list over the limit: reset the stream (431 semantics)
};

// Printable name of a HeadStatus ("ok", "malformed", "too-large").
const char* headStatusName(HeadStatus s);

class HeadBuilder {
 public:
  // Starts a block of `kind` with a decoded-size limit. Keeps the memory of earlier blocks.
  void begin(HeadKind kind, uint32_t max_list_size);
  // Adds one decoded field (name already lower-case per HTTP/2). Once a non-Ok status is
  // returned, later calls return it again and do no work.
  HeadStatus add(std::string_view name, std::string_view value);
  // Validates the whole block. Ok: request()/response()/trailers() hold the result.
  HeadStatus finish();

  http::RequestHead& request() { return request_; }
  http::ResponseHead& response() { return response_; }
  http::HeaderList& trailers() { return trailers_; }
  HeadStatus status() const { return status_; }
  // Decoded bytes counted so far (RFC 9113 §6.5.2 accounting).
  uint32_t listSize() const { return list_size_; }
  // A short reason for the last non-Ok status (static string).
  const char* reason() const { return reason_; }

 private:
  HeadStatus fail(HeadStatus s, const char* why);
  HeadStatus addPseudo(std::string_view name, std::string_view value);

  HeadKind kind_ = HeadKind::Request;
  HeadStatus status_ = HeadStatus::Ok;
  const char* reason_ = "";
  uint32_t max_list_size_ = 0;
  uint32_t list_size_ = 0;
  bool regular_seen_ = false;
  bool have_method_ = false, have_scheme_ = false, have_authority_ = false, have_path_ = false;
  bool have_status_ = false;
  std::string host_;  // Host field value, if any
  bool have_host_ = false;
  std::string cookie_;  // joined cookie crumbs
  http::RequestHead request_;
  http::ResponseHead response_;
  http::HeaderList trailers_;
};

// True for the fields RFC 9113 §8.2.2 forbids in HTTP/2 (te is handled separately).
bool isConnectionSpecific(std::string_view lower_name);

}  // namespace portico::http2
