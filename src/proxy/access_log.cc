#include "proxy/access_log.h"

#include <time.h>
#include <unistd.h>

#include <charconv>

namespace portico::proxy {

AccessLog::~AccessLog() {
  flush();
}

void AccessLog::configure(int fd, config::AccessLog::Format format) {
  flush();
  fd_ = fd;
  format_ = format;
  if (buf_.capacity() < 64 * 1024) buf_.reserve(64 * 1024);
}

void AccessLog::refreshTime(int64_t wall_s) {
  if (wall_s == time_s_) return;
  time_s_ = wall_s;
  time_t t = static_cast<time_t>(wall_s);
  tm tmv;
  gmtime_r(&t, &tmv);
  strftime(combined_time_, sizeof combined_time_, "%d/%b/%Y:%H:%M:%S +0000", &tmv);
  strftime(iso_time_, sizeof iso_time_, "%Y-%m-%dT%H:%M:%SZ", &tmv);
}

void appendJsonEscaped(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || u >= 0x7f) {
      // Control bytes and obs-text: \u00XX (bytes read as Latin-1) keeps the line valid UTF-8.
      out.append("\\u00");
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
}

namespace {
void appendUint(std::string& out, uint64_t v) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  out.append(tmp, static_cast<size_t>(r.ptr - tmp));
}
void appendCombinedQuoted(std::string& out, std::string_view s) {
  if (s.empty()) {
    out.append("-");
    return;
  }
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || u < 0x20 || u == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out.append("\\x");
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
}
}  // namespace

void AccessLog::log(const AccessRecord& r, int64_t wall_s) {
  if (fd_ < 0) return;
  refreshTime(wall_s);
  if (format_ == config::AccessLog::Format::Json) {
    buf_.append("{\"time\":\"");
    buf_.append(iso_time_);
    buf_.append("\",\"client\":\"");
    appendJsonEscaped(buf_, r.client_ip);
    buf_.append("\",\"method\":\"");
    appendJsonEscaped(buf_, r.method);
    buf_.append("\",\"path\":\"");
    appendJsonEscaped(buf_, r.target);
    buf_.append("\",\"host\":\"");
    appendJsonEscaped(buf_, r.host);
    if (r.http2) {
      buf_.append("\",\"protocol\":\"HTTP/2.0");
    } else {
      buf_.append("\",\"protocol\":\"HTTP/1.");
      buf_.push_back(r.version_minor ? '1' : '0');
    }
    buf_.append("\",\"status\":");
    appendUint(buf_, r.status);
    buf_.append(",\"bytes\":");
    appendUint(buf_, r.bytes_sent);
    buf_.append(",\"duration_ms\":");
    appendUint(buf_, r.duration_ms);
    buf_.append(",\"upstream\":\"");
    appendJsonEscaped(buf_, r.cluster);
    buf_.append("\",\"upstream_host\":\"");
    appendJsonEscaped(buf_, r.upstream_host);
    buf_.append("\",\"user_agent\":\"");
    appendJsonEscaped(buf_, r.user_agent);
    buf_.append("\",\"referer\":\"");
    appendJsonEscaped(buf_, r.referer);
    buf_.append("\",\"request_id\":\"");
    appendJsonEscaped(buf_, r.request_id);
    buf_.append("\",\"trace_id\":\"");
    buf_.append(r.trace_id);
    buf_.append("\"}\n");
  } else {
    buf_.append(r.client_ip);
    buf_.append(" - - [");
    buf_.append(combined_time_);
    buf_.append("] \"");
    appendCombinedQuoted(buf_, r.method);
    buf_.push_back(' ');
    appendCombinedQuoted(buf_, r.target);
    buf_.append(r.http2 ? " HTTP/2.0\" " : r.version_minor ? " HTTP/1.1\" " : " HTTP/1.0\" ");
    appendUint(buf_, r.status);
    buf_.push_back(' ');
    appendUint(buf_, r.bytes_sent);
    buf_.append(" \"");
    appendCombinedQuoted(buf_, r.referer);
    buf_.append("\" \"");
    appendCombinedQuoted(buf_, r.user_agent);
    buf_.append("\"\n");
  }
  if (buf_.size() >= 32 * 1024) flush();
}

void AccessLog::flush() {
  size_t off = 0;
  while (fd_ >= 0 && off < buf_.size()) {
    ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  buf_.clear();
}

}  // namespace portico::proxy
