#include "http/http2/nv.h"

#include "http/http2/head_builder.h"

namespace portico::http2 {

bool sendableField(std::string_view name, std::string_view value) {
  if (name.empty() || name[0] == ':') return false;
  if (isConnectionSpecific(name)) return false;
  if (name == "te" && value != "trailers") return false;
  return true;
}

void NvList::push(std::string_view name, std::string_view value) {
  nghttp2_nv nv;
  nv.name = reinterpret_cast<uint8_t*>(const_cast<char*>(name.data()));
  nv.namelen = name.size();
  nv.value = reinterpret_cast<uint8_t*>(const_cast<char*>(value.data()));
  nv.valuelen = value.size();
  nv.flags = NGHTTP2_NV_FLAG_NONE;
  nv_.push_back(nv);
}

void NvList::pushFields(const http::HeaderList& list, bool drop_host) {
  for (http::HeaderField f : list) {
    if (drop_host && f.name == "host") continue;
    if (sendableField(f.name, f.value)) push(f.name, f.value);
  }
}

void NvList::fromResponse(const http::ResponseHead& head) {
  nv_.clear();
  unsigned s = head.status;
  status_[0] = static_cast<char>('0' + (s / 100) % 10);
  status_[1] = static_cast<char>('0' + (s / 10) % 10);
  status_[2] = static_cast<char>('0' + s % 10);
  push(":status", std::string_view(status_, 3));
  pushFields(head.headers, false);
}

void NvList::fromRequest(const http::RequestHead& head) {
  nv_.clear();
  push(":method", head.method);
  if (!head.scheme.empty()) push(":scheme", head.scheme);
  if (!head.authority.empty()) push(":authority", head.authority);
  if (!head.path.empty()) push(":path", head.path);
  if (!head.protocol.empty()) push(":protocol", head.protocol);
  pushFields(head.headers, true);
}

void NvList::fromTrailers(const http::HeaderList& trailers) {
  nv_.clear();
  pushFields(trailers, false);
}

}  // namespace portico::http2
