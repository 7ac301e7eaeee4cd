#pragma once
// The pieces of a route's `static:` action that need no connection: mapping a request path to
// a file path (percent-decoding, refusing escapes), opening it beneath the root directory,
// validators (ETag, Last-Modified), preconditions (If-None-Match, If-Modified-Since, If-Match,
// If-Unmodified-Since), Range/If-Range, content types and the response head.
// DownstreamConnection (static_body.cc) drives them. Thread: pure functions, any thread.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.h"
#include "proxy/forwarding.h"

namespace portico::proxy::static_files {

// A request path decoded into a file path relative to the root: segments joined by '/', no
// leading slash, empty and "." segments dropped ("" = the root itself). NUL-terminated.
struct FilePath {
  static constexpr size_t kMax = 4096;  // PATH_MAX
  char buf[kMax];
  size_t len = 0;
  bool trailing_slash = false;  // the request path ended with '/'
  std::string_view view() const { return {buf, len}; }
  // Appends "/name" (or "name" at the root). False when it does not fit.
  bool append(std::string_view name);
};

enum class PathResult : uint8_t {
  Ok,
  Invalid,  // bad percent-encoding, an encoded '/' or '\', a NUL, or a ".." segment -> 400
  TooLong,  // longer than FilePath::kMax -> 404
};

// Decodes `path` (the request path, without query; maybe with the route prefix removed, so it
// need not start with '/'). Percent-decoding happens once: "%252e" is the name "%2e".
PathResult decodePath(std::string_view path, FilePath& out);

// The file a static response is sending, positioned at its next byte (its file offset moves
// as bytes go); how many are still to go is the response body's count. Only the fd, so the
// connection stays small.
struct FileBody {
  int fd = -1;
  bool active() const { return fd >= 0; }
  // Closes the file (when open).
  void close();
  FileBody() = default;
  FileBody(const FileBody&) = delete;
  FileBody& operator=(const FileBody&) = delete;
  ~FileBody() { close(); }
};

// Opens `rel` (NUL-terminated, relative; "" = the directory itself) beneath the directory
// `root_fd` with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): symlinks are followed only
// while they stay inside the root. Where openat2 is missing (ENOSYS, Linux < 5.6) or
// `use_openat2` is false, the path is walked one component at a time and no symlink is
// followed. Opened read-only, non-blocking (a FIFO never blocks), close-on-exec.
// Returns the fd, or -1 with errno (EXDEV / ELOOP: an escape or refused symlink).
int openBeneath(int root_fd, const char* rel, bool use_openat2 = true);

// The HTTP status for an openBeneath failure `err`: 404 (missing), 403 (refused or denied).
uint16_t openErrorStatus(int err);

// Validators of a file: ETag "<hex mtime>-<hex size>" (strong, as nginx) and Last-Modified.
struct Validators {
  uint64_t size = 0;
  int64_t mtime = 0;  // seconds since the epoch
};

constexpr size_t kEtagMax = 2 + 16 + 1 + 16 + 1;
// Writes the quoted ETag into `out` (kEtagMax bytes); returns its length.
size_t formatEtag(const Validators& v, char* out);

constexpr size_t kHttpDateLen = 29;
// Writes `t` as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", kHttpDateLen bytes).
void formatHttpDate(int64_t t, char* out);
// Parses an HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms). False when
// `s` is none of them.
bool parseHttpDate(std::string_view s, int64_t& t);

// True when the If-None-Match / If-Match style list `list` ("*" or comma-separated entity
// tags) names `etag` (a quoted strong tag). `weak`: weak comparison (W/ prefixes ignored);
// else strong (a W/ tag never matches).
bool etagListMatches(std::string_view list, std::string_view etag, bool weak);

// The request header values that make a request conditional ("" = absent).
struct Conditions {
  std::string_view if_match, if_none_match, if_modified_since, if_unmodified_since;
  std::string_view range, if_range;
};

enum class Precondition : uint8_t { Proceed, NotModified, Failed };

// RFC 9110 §13.2.2 for GET/HEAD: If-Match, else If-Unmodified-Since (false -> 412); then
// If-None-Match (weak comparison), else If-Modified-Since (mtime not after it -> 304).
Precondition evaluatePreconditions(const Conditions& c, std::string_view etag, int64_t mtime);

// True when If-Range `value` lets the Range apply: an entity tag equal to `etag` (strong
// comparison) or an HTTP-date equal to `mtime`.
bool ifRangeAllows(std::string_view value, std::string_view etag, int64_t mtime);

struct ByteRange {
  uint64_t first = 0, last = 0;  // inclusive
};

enum class RangeResult : uint8_t {
  Whole,          // no usable Range: send the whole file (absent, invalid, other unit,
                  // several ranges, or an empty file)
  Partial,        // one satisfiable range -> 206
  Unsatisfiable,  // one range that starts past the end (or "-0") -> 416
};

// Parses a Range field value for a file of `size` bytes: "bytes=a-b", "bytes=a-" or
// "bytes=-n" (the last n bytes). `out` is clamped to the file.
RangeResult parseRange(std::string_view value, uint64_t size, ByteRange& out);

// The Content-Type for a file name, by its extension (case-insensitive);
// application/octet-stream when unknown.
std::string_view contentType(std::string_view name);

// What the head of a file response says.
struct FileHead {
  uint16_t status = 200;  // 200, 206 or 304
  Validators file;
  ByteRange range;                 // 206
  std::string_view content_type;   // not sent on 304
  int64_t max_age_s = -1;          // Cache-Control: max-age; -1 = none
  int64_t now_s = 0;               // Date
  bool close = false;              // Connection: close
  bool keep_alive_http10 = false;  // Connection: keep-alive (an HTTP/1.0 client that keeps it)
  bool server_header = true;
  std::string_view extra;                  // header lines (each ending CRLF), e.g. HSTS
  const config::HeaderOps* ops = nullptr;  // route's response_headers
  const HeaderVars* vars = nullptr;
};

// Bytes of body the head announces (0 for 304).
uint64_t bodyLength(const FileHead& h);

// Writes the response head. The route's response_headers may replace or remove every field
// but the framing ones (Content-Length, Content-Range).
void writeFileHead(const FileHead& h, HeadWriter& w);

}  // namespace portico::proxy::static_files
