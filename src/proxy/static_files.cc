#include "proxy/static_files.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <span>

#include "proxy/error_response.h"

namespace portico::proxy::static_files {

namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::string_view kLongDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                          "Thursday", "Friday", "Saturday"};
constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Reads a run of digits from the front of `s` (at least one). Values past UINT64_MAX saturate.
bool takeNumber(std::string_view& s, uint64_t& v) {
  size_t i = 0;
  v = 0;
  while (i < s.size() && isDigit(s[i])) {
    const uint64_t d = static_cast<uint64_t>(s[i] - '0');
    v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
    ++i;
  }
  s.remove_prefix(i);
  return i > 0;
}

// Parses exactly `n` digits at the front of `s`.
bool takeDigits(std::string_view& s, size_t n, int& v) {
  if (s.size() < n) return false;
  v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!isDigit(s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  s.remove_prefix(n);
  return true;
}

bool takeLiteral(std::string_view& s, std::string_view lit) {
  if (s.substr(0, lit.size()) != lit) return false;
  s.remove_prefix(lit.size());
  return true;
}

bool takeMonth(std::string_view& s, int& month) {
  for (int i = 0; i < 12; ++i) {
    if (takeLiteral(s, kMonths[i])) {
      month = i;
      return true;
    }
  }
  return false;
}

// "HH:MM:SS"
bool takeTime(std::string_view& s, std::tm& tm) {
  return takeDigits(s, 2, tm.tm_hour) && takeLiteral(s, ":") && takeDigits(s, 2, tm.tm_min) &&
         takeLiteral(s, ":") && takeDigits(s, 2, tm.tm_sec);
}

bool takeDayName(std::string_view& s, std::span<const std::string_view> names) {
  for (std::string_view d : names)
    if (takeLiteral(s, d)) return true;
  return false;
}

// Takes one entity tag from the front of `s`: [W/]"opaque". Sets `weak` and `opaque` (with
// quotes). False when malformed.
bool takeEtag(std::string_view& s, bool& weak, std::string_view& opaque) {
  weak = takeLiteral(s, "W/");
  if (s.empty() || s.front() != '"') return false;
  size_t close = s.find('"', 1);
  if (close == std::string_view::npos) return false;
  opaque = s.substr(0, close + 1);
  s.remove_prefix(close + 1);
  return true;
}

int openWalk(int root_fd, const char* rel, int flags) {
  std::string_view path(rel);
  if (path.empty()) return ::openat(root_fd, ".", flags | O_NOFOLLOW);
  int dir = root_fd;
  for (;;) {
    size_t slash = path.find('/');
    char name[256];
    std::string_view seg = path.substr(0, slash);
    if (seg.size() >= sizeof name) {
      if (dir != root_fd) ::close(dir);
      errno = ENAMETOOLONG;
      return -1;
    }
    std::memcpy(name, seg.data(), seg.size());
    name[seg.size()] = '\0';
    const bool last = slash == std::string_view::npos;
    int fd = last ? ::openat(dir, name, flags | O_NOFOLLOW)
                  : ::openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int err = errno;
    if (fd < 0 && err == ENOTDIR) {
      // A symlink where a directory was expected: refused, like one at the end (ELOOP).
      struct stat st;
      if (::fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) err = ELOOP;
    }
    if (dir != root_fd) ::close(dir);
    if (fd < 0) {
      errno = err;
      return -1;
    }
    if (last) return fd;
    dir = fd;
    path.remove_prefix(slash + 1);
  }
}

std::atomic<bool> g_no_openat2{false};

}  // namespace

void FileBody::close() {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

bool FilePath::append(std::string_view name) {
  const size_t need = len + (len ? 1 : 0) + name.size();
  if (need >= kMax) return false;
  if (len) buf[len++] = '/';
  std::memcpy(buf + len, name.data(), name.size());
  len += name.size();
  buf[len] = '\0';
  return true;
}

PathResult decodePath(std::string_view path, FilePath& out) {
  out.len = 0;
  out.buf[0] = '\0';
  out.trailing_slash = !path.empty() && path.back() == '/';
  size_t i = 0;
  while (i <= path.size()) {
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    // Decode the segment path[i, end) in place at the end of out.
    const size_t seg_start = out.len + (out.len ? 1 : 0);
    size_t o = seg_start;
    for (size_t k = i; k < end; ++k) {
      char c = path[k];
      if (c == '%') {
        if (k + 2 >= end) return PathResult::Invalid;
        const int hi = hexValue(path[k + 1]), lo = hexValue(path[k + 2]);
        if (hi < 0 || lo < 0) return PathResult::Invalid;
        c = static_cast<char>(hi * 16 + lo);
        if (c == '/' || c == '\\' || c == '\0') return PathResult::Invalid;
        k += 2;
      } else if (c == '\0') {
        return PathResult::Invalid;
      }
      if (o + 1 >= FilePath::kMax) return PathResult::TooLong;
      out.buf[o++] = c;
    }
    const std::string_view seg(out.buf + seg_start, o - seg_start);
    if (seg == "..") return PathResult::Invalid;
    if (!seg.empty() && seg != ".") {
      if (out.len) out.buf[out.len] = '/';
      out.len = o;
    }
    out.buf[out.len] = '\0';
    i = end + 1;
  }
  return PathResult::Ok;
}

int openBeneath(int root_fd, const char* rel, bool use_openat2) {
  const int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  if (use_openat2 && !g_no_openat2.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, root_fd, *rel ? rel : ".", &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS) return static_cast<int>(fd);
    g_no_openat2.store(true, std::memory_order_relaxed);
  }
  return openWalk(root_fd, rel, flags);
}

uint16_t openErrorStatus(int err) {
  switch (err) {
    case EXDEV:
    case ELOOP:
    case EACCES:
    case EPERM:
      return 403;
    default:
      return 404;
  }
}

size_t formatEtag(const Validators& v, char* out) {
  char* p = out;
  *p++ = '"';
  auto hex = [&p](uint64_t x) {
    char tmp[16];
    int n = 0;
    do {
      tmp[n++] = kHex[x & 0xF];
      x >>= 4;
    } while (x);
    while (n) *p++ = tmp[--n];
  };
  hex(static_cast<uint64_t>(v.mtime < 0 ? 0 : v.mtime));
  *p++ = '-';
  hex(v.size);
  *p++ = '"';
  return static_cast<size_t>(p - out);
}

void formatHttpDate(int64_t t, char* out) {
  std::tm tm{};
  const time_t tt = static_cast<time_t>(t);
  gmtime_r(&tt, &tm);
  auto two = [](char* p, int v) {
    p[0] = static_cast<char>('0' + v / 10 % 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  std::memcpy(out, kDays[tm.tm_wday].data(), 3);
  out[3] = ',';
  out[4] = ' ';
  two(out + 5, tm.tm_mday);
  out[7] = ' ';
  std::memcpy(out + 8, kMonths[tm.tm_mon].data(), 3);
  out[11] = ' ';
  const int year = tm.tm_year + 1900;
  two(out + 12, year / 100);
  two(out + 14, year % 100);
  out[16] = ' ';
  two(out + 17, tm.tm_hour);
  out[19] = ':';
  two(out + 20, tm.tm_min);
  out[22] = ':';
  two(out + 23, tm.tm_sec);
  std::memcpy(out + 25, " GMT", 4);
}

bool parseHttpDate(std::string_view s, int64_t& t) {
  s = trimOws(s);
  std::tm tm{};
  int year = 0;
  if (s.size() > 3 && s[3] == ',') {
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    if (!takeDayName(s, kDays) || !takeLiteral(s, ", ") || !takeDigits(s, 2, tm.tm_mday) ||
        !takeLiteral(s, " ") || !takeMonth(s, tm.tm_mon) || !takeLiteral(s, " ") ||
        !takeDigits(s, 4, year) || !takeLiteral(s, " ") || !takeTime(s, tm) ||
        !takeLiteral(s, " GMT") || !s.empty())
      return false;
  } else if (s.size() > 3 && s[3] == ' ') {
    // asctime: "Sun Nov  6 08:49:37 1994"
    if (!takeDayName(s, kDays) || !takeLiteral(s, " ") || !takeMonth(s, tm.tm_mon) ||
        !takeLiteral(s, " "))
      return false;
    if (takeLiteral(s, " ")) {
      if (!takeDigits(s, 1, tm.tm_mday)) return false;
    } else if (!takeDigits(s, 2, tm.tm_mday)) {
      return false;
    }
    if (!takeLiteral(s, " ") || !takeTime(s, tm) || !takeLiteral(s, " ") ||
        !takeDigits(s, 4, year) || !s.empty())
      return false;
  } else {
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
    if (!takeDayName(s, kLongDays) || !takeLiteral(s, ", ") || !takeDigits(s, 2, tm.tm_mday) ||
        !takeLiteral(s, "-") || !takeMonth(s, tm.tm_mon) || !takeLiteral(s, "-") ||
        !takeDigits(s, 2, year) || !takeLiteral(s, " ") || !takeTime(s, tm) ||
        !takeLiteral(s, " GMT") || !s.empty())
      return false;
    year += year < 70 ? 2000 : 1900;
  }
  if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
    return false;
  tm.tm_year = year - 1900;
  t = static_cast<int64_t>(timegm(&tm));
  return true;
}

bool etagListMatches(std::string_view list, std::string_view etag, bool weak) {
  list = trimOws(list);
  if (list == "*") return true;
  while (!list.empty()) {
    list = trimOws(list);
    if (!list.empty() && list.front() == ',') {
      list.remove_prefix(1);
      continue;
    }
    if (list.empty()) break;
    bool is_weak = false;
    std::string_view tag;
    if (!takeEtag(list, is_weak, tag)) return false;
    if (tag == etag && (weak || !is_weak)) return true;
    list = trimOws(list);
    if (!list.empty() && list.front() != ',') return false;
  }
  return false;
}

Precondition evaluatePreconditions(const Conditions& c, std::string_view etag, int64_t mtime) {
  int64_t date = 0;
  if (!c.if_match.empty()) {
    if (!etagListMatches(c.if_match, etag, false)) return Precondition::Failed;
  } else if (!c.if_unmodified_since.empty() && parseHttpDate(c.if_unmodified_since, date)) {
    if (mtime > date) return Precondition::Failed;
  }
  if (!c.if_none_match.empty()) {
    if (etagListMatches(c.if_none_match, etag, true)) return Precondition::NotModified;
  } else if (!c.if_modified_since.empty() && parseHttpDate(c.if_modified_since, date)) {
    if (mtime <= date) return Precondition::NotModified;
  }
  return Precondition::Proceed;
}

bool ifRangeAllows(std::string_view value, std::string_view etag, int64_t mtime) {
  value = trimOws(value);
  if (value.starts_with("W/")) return false;  // a weak tag never validates a range
  if (value.starts_with("\"")) return value == etag;
  int64_t date = 0;
  return parseHttpDate(value, date) && date == mtime;
}

RangeResult parseRange(std::string_view value, uint64_t size, ByteRange& out) {
  value = trimOws(value);
  constexpr std::string_view kUnit = "bytes=";
  if (value.size() < kUnit.size()) return RangeResult::Whole;
  for (size_t i = 0; i < kUnit.size(); ++i)
    if (lower(value[i]) != kUnit[i]) return RangeResult::Whole;
  value.remove_prefix(kUnit.size());
  // One range-spec, with the empty list elements the #rule allows around it.
  std::string_view spec;
  for (;;) {
    size_t comma = value.find(',');
    std::string_view item = trimOws(value.substr(0, comma));
    if (!item.empty()) {
      if (!spec.empty()) return RangeResult::Whole;  // several ranges: served whole
      spec = item;
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  if (spec.empty() || size == 0) return RangeResult::Whole;
  uint64_t a = 0, b = 0;
  if (spec.front() == '-') {
    spec.remove_prefix(1);
    if (!takeNumber(spec, b) || !spec.empty()) return RangeResult::Whole;
    if (b == 0) return RangeResult::Unsatisfiable;
    out.first = b >= size ? 0 : size - b;
    out.last = size - 1;
    return RangeResult::Partial;
  }
  if (!takeNumber(spec, a) || !takeLiteral(spec, "-")) return RangeResult::Whole;
  if (spec.empty()) {
    b = UINT64_MAX;
  } else if (!takeNumber(spec, b) || !spec.empty() || b < a) {
    return RangeResult::Whole;
  }
  if (a >= size) return RangeResult::Unsatisfiable;
  out.first = a;
  out.last = b >= size ? size - 1 : b;
  return RangeResult::Partial;
}

std::string_view contentType(std::string_view name) {
  struct Entry {
    std::string_view ext, type;
  };
  static constexpr Entry kTypes[] = {
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"txt", "text/plain; charset=utf-8"},
      {"xml", "application/xml"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"avif", "image/avif"},
      {"ico", "image/x-icon"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"wasm", "application/wasm"},
      {"pdf", "application/pdf"},
      {"mp4", "video/mp4"},
      {"webm", "video/webm"},
      {"mp3", "audio/mpeg"},
  };
  const size_t slash = name.rfind('/');
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  const size_t dot = name.rfind('.');
  if (dot != std::string_view::npos && dot > 0) {
    std::string_view ext = name.substr(dot + 1);
    char low[8];
    if (ext.size() <= sizeof low) {
      for (size_t i = 0; i < ext.size(); ++i) low[i] = lower(ext[i]);
      const std::string_view key(low, ext.size());
      for (const Entry& e : kTypes)
        if (e.ext == key) return e.type;
    }
  }
  return "application/octet-stream";
}

uint64_t bodyLength(const FileHead& h) {
  if (h.status == 304) return 0;
  if (h.status == 206) return h.range.last - h.range.first + 1;
  return h.file.size;
}

void writeFileHead(const FileHead& h, HeadWriter& w) {
  const config::HeaderOps* ops = h.ops;
  auto keep = [ops](std::string_view name) { return !ops || !headerOpsDrop(*ops, name); };
  char date[kHttpDateLen];
  w.put("HTTP/1.1 ");
  w.putUint(h.status);
  w.put(" ");
  w.put(reasonPhrase(h.status));
  w.put("\r\n");
  if (h.server_header && keep("server")) w.put("Server: portico\r\n");
  if (keep("date")) {
    formatHttpDate(h.now_s, date);
    w.put("Date: ");
    w.put({date, kHttpDateLen});
    w.put("\r\n");
  }
  if (h.status != 304) {
    if (keep("content-type")) {
      w.put("Content-Type: ");
      w.put(h.content_type);
      w.put("\r\n");
    }
    w.put("Content-Length: ");
    w.putUint(bodyLength(h));
    w.put("\r\n");
  }
  if (h.status == 206) {
    w.put("Content-Range: bytes ");
    w.putUint(h.range.first);
    w.put("-");
    w.putUint(h.range.last);
    w.put("/");
    w.putUint(h.file.size);
    w.put("\r\n");
  }
  if (keep("last-modified")) {
    formatHttpDate(h.file.mtime, date);
    w.put("Last-Modified: ");
    w.put({date, kHttpDateLen});
    w.put("\r\n");
  }
  if (keep("etag")) {
    char etag[kEtagMax];
    w.put("ETag: ");
    w.put({etag, formatEtag(h.file, etag)});
    w.put("\r\n");
  }
  if (keep("accept-ranges")) w.put("Accept-Ranges: bytes\r\n");
  if (h.max_age_s >= 0 && keep("cache-control")) {
    w.put("Cache-Control: max-age=");
    w.putUint(static_cast<uint64_t>(h.max_age_s));
    w.put("\r\n");
  }
  w.put(h.extra);
  if (ops && h.vars) putHeaderOps(w, *ops, *h.vars);
  if (h.close)
    w.put("Connection: close\r\n");
  else if (h.keep_alive_http10)
    w.put("Connection: keep-alive\r\n");
  w.put("\r\n");
}

}  // namespace portico::proxy::static_files
