#include "config/load_static.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace portico::config {

std::string staticRootError(const std::string& root) {
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return "directory '" + root + "' does not exist";
    return "cannot use '" + root + "': " + std::strerror(errno);
  }
  if (!S_ISDIR(st.st_mode)) return "'" + root + "' is not a directory";
  if (::access(root.c_str(), X_OK) != 0)
    return "cannot search directory '" + root + "': " + std::strerror(errno);
  return {};
}

std::string staticIndexNameError(std::string_view name) {
  if (name.empty()) return "an index file name must not be empty";
  if (name == "." || name == "..") return "an index file name is not '.' or '..'";
  for (unsigned char c : name) {
    if (c == '/') return "an index file is a name in the directory, without '/'";
    if (c < 0x20 || c == 0x7f) return "an index file name has no control characters";
  }
  return {};
}

}  // namespace portico::config
