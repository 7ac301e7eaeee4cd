#pragma once
// Protocol-neutral request/response heads: what an HTTP/1, HTTP/2 or HTTP/3 codec produces for
// the exchange layer (routing, filters, balancing) and what it consumes to encode a message.
// Header names are stored lower-case; values are stored as received. Trailers are HeaderLists.
// Thread: plain values; a head belongs to the exchange (stream) that owns it, on one worker.
// Allocation: a HeaderList keeps all name/value bytes in one string and its entries in one
// vector (two growing allocations per head, amortised by reuse()); pseudo-header strings use
// the small-string buffer when short. A per-request arena can replace both later.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/header_id.h"
#include "http/method.h"

namespace portico::http {

// One field line as a pair of views into its HeaderList (valid until the list changes).
struct HeaderField {
  std::string_view name;
  std::string_view value;
  HeaderId id = HeaderId::Other;
};

// An ordered list of header (or trailer) fields with lower-case names. Duplicates are kept in
// order. Views returned stay valid until the next mutating call.
class HeaderList {
 public:
  // Appends a field; `name` is lower-cased on the way in.
  void add(std::string_view name, std::string_view value);
  // Replaces every field named `name` (lower-case) by one field with `value` at the position of
  // the first, or appends it.
  void set(std::string_view name, std::string_view value);
  // Removes every field named `name` (lower-case); returns how many were removed.
  size_t remove(std::string_view name);
  // First value of `name` (lower-case), if any.
  std::optional<std::string_view> get(std::string_view name) const;
  // First value of a well-known field, if any.
  std::optional<std::string_view> get(HeaderId id) const;

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  HeaderField operator[](size_t i) const;
  // Bytes counted as RFC 9113 §6.5.2 does: name + value + 32 per field.
  size_t listSize() const { return storage_.size() + 32 * entries_.size(); }
  // Drops every field but keeps the memory for the next message.
  void clear();

  struct Iterator {
    const HeaderList* list;
    size_t i;
    HeaderField operator*() const { return (*list)[i]; }
    Iterator& operator++() {
      ++i;
      return *this;
    }
    bool operator!=(const Iterator& o) const { return i != o.i; }
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, entries_.size()}; }

 private:
  struct Entry {
    uint32_t name_off;
    uint32_t name_len;
    uint32_t value_off;
    uint32_t value_len;
    HeaderId id;
    bool dead;  // removed; skipped by compaction in remove()
  };
  std::vector<Entry> entries_;
  std::string storage_;
};

// A request head. For HTTP/2 the pseudo-header fields map to method/scheme/authority/path
// (and :protocol for extended CONNECT, RFC 8441); `headers` never holds pseudo-headers. When an
// authority is known, a `host` field is kept equal to it.
struct RequestHead {
  std::string method;  // token as received ("GET")
  Method method_id = Method::Other;
  std::string scheme;     // "https", "http"; empty for CONNECT
  std::string authority;  // host[:port]; from :authority, else from Host
  std::string path;       // origin-form or "*"; empty for CONNECT
  std::string protocol;   // extended CONNECT :protocol ("websocket"), else empty
  HeaderList headers;
  int64_t content_length = -1;  // parsed content-length, -1 when absent

  bool isExtendedConnect() const { return method_id == Method::Connect && !protocol.empty(); }
  // Clears every field, keeping memory for reuse.
  void clear();
};

// A response head (final or 1xx informational).
struct ResponseHead {
  uint16_t status = 0;
  HeaderList headers;
  int64_t content_length = -1;  // parsed content-length, -1 when absent
  void clear();
};

}  // namespace portico::http
