#pragma once
// Error log with levels. Lines go to stderr, one write(2) per line so threads never interleave
// inside a line. Thread: any thread.
#include <fmt/format.h>

#include <string_view>

namespace portico::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

// Sets the minimum level printed (default Info).
void setLevel(Level level);
// Parses "debug"/"info"/"warn"/"error"; returns false when unknown.
bool parseLevel(std::string_view text, Level& out);
// True when messages at `level` are printed.
bool enabled(Level level);
// Writes one formatted line "TIMESTAMP [level] message" to stderr.
void write(Level level, std::string_view message);

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Debug)) write(Level::Debug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Info)) write(Level::Info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Warn)) write(Level::Warn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::Error)) write(Level::Error, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace portico::log
