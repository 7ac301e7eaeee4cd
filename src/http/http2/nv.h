#pragma once
// Builds nghttp2 name/value arrays from protocol-neutral heads. Connection-specific fields
// (RFC 9113 §8.2.2) and `te` other than "trailers" are dropped on the way out, so a head
// copied from an HTTP/1 peer can be sent as is. Names are already lower-case.
// Thread: an NvList belongs to one codec.
#include <nghttp2/nghttp2.h>

#include <string_view>
#include <vector>

#include "http/message.h"

namespace portico::http2 {

class NvList {
 public:
  // ":status" then the fields of `head`.
  void fromResponse(const http::ResponseHead& head);
  // Pseudo-headers (:method, :scheme, :authority, :path, :protocol as present) then fields;
  // `host` is dropped (its value travels as :authority).
  void fromRequest(const http::RequestHead& head);
  // Trailer fields (never pseudo-headers).
  void fromTrailers(const http::HeaderList& trailers);

  const nghttp2_nv* data() const { return nv_.data(); }
  size_t size() const { return nv_.size(); }

 private:
  void push(std::string_view name, std::string_view value);
  void pushFields(const http::HeaderList& list, bool drop_host);
  std::vector<nghttp2_nv> nv_;  // capacity is reused across heads
  char status_[4] = {};
};

// True when `name: value` may be sent in an HTTP/2 header block.
bool sendableField(std::string_view name, std::string_view value);

}  // namespace portico::http2
