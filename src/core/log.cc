#include "core/log.h"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

namespace portico::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::Info)};
const char* levelName(Level l) {
  switch (l) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warn";
    case Level::Error:
      return "error";
  }
  return "?";
}
}  // namespace

void setLevel(Level level) {
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

bool parseLevel(std::string_view text, Level& out) {
  if (text == "debug")
    out = Level::Debug;
  else if (text == "info")
    out = Level::Info;
  else if (text == "warn")
    out = Level::Warn;
  else if (text == "error")
    out = Level::Error;
  else
    return false;
  return true;
}

bool enabled(Level level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view message) {
  char ts[32];
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  tm t;
  gmtime_r(&now.tv_sec, &t);
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &t);
  std::string line = fmt::format("{} [{}] {}\n", ts, levelName(level), message);
  ssize_t rc = ::write(STDERR_FILENO, line.data(), line.size());
  (void)rc;
}

}  // namespace portico::log
