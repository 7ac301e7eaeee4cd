#pragma once
// Per-worker buffered access log. Lines are formatted into a worker-local buffer and written
// with one write(2) when it passes 32 KiB, on a 200 ms timer, and at shutdown. The timestamp
// text is formatted at most once per second. Thread: owned by one worker.
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"

namespace portico::proxy {

struct AccessRecord {
  std::string_view client_ip;
  std::string_view method;
  std::string_view target;
  std::string_view host;
  std::string_view user_agent;
  std::string_view referer;
  uint8_t version_minor = 1;
  bool http2 = false;  // the exchange was a stream of an HTTP/2 connection
  uint16_t status = 0;
  uint64_t bytes_sent = 0;  // response bytes to the client, head included
  uint64_t duration_ms = 0;
  std::string_view cluster;        // "" when no route
  std::string_view upstream_host;  // never shown to clients; fine in the log
  std::string_view request_id;     // "" when none was assigned
  std::string_view trace_id;       // 32 hex digits of the W3C trace id, or ""
};

class AccessLog {
 public:
  AccessLog() = default;
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // (Re)configures: fd is owned by the caller (stdout/stderr/file shared by workers); -1 = off.
  void configure(int fd, config::AccessLog::Format format);
  bool enabled() const { return fd_ >= 0; }
  // Appends one line for `r`; `wall_s` is the loop's cached wall-clock second.
  void log(const AccessRecord& r, int64_t wall_s);
  // Writes buffered lines now.
  void flush();

 private:
  void refreshTime(int64_t wall_s);
  int fd_ = -1;
  config::AccessLog::Format format_ = config::AccessLog::Format::Combined;
  std::string buf_;
  int64_t time_s_ = -1;
  char combined_time_[40] = {};
  char iso_time_[32] = {};
};

// Appends `s` to `out` escaped for a JSON string (without quotes).
void appendJsonEscaped(std::string& out, std::string_view s);

}  // namespace portico::proxy
