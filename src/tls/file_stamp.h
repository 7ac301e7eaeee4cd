#pragma once
// Change detection and whole-file reads for certificate, key and OCSP files (main thread only:
// these do blocking file I/O).
#include <cstdint>
#include <string>

namespace portico::tls {

// What identifies one version of a file: modification time, size and inode (a file replaced by
// rename gets a new inode even when the time and size match).
struct FileStamp {
  int64_t mtime_ns = 0;
  uint64_t size = 0;
  uint64_t inode = 0;
  bool exists = false;

  bool operator==(const FileStamp&) const = default;
};

// The current stamp of `path`; exists = false when it cannot be stat()ed.
FileStamp stampOf(const std::string& path);

// Reads all of `path` into `out`. Returns false with `error` = "cannot read: <reason>" on
// failure (the caller prefixes the file name).
bool readWholeFile(const std::string& path, std::string& out, std::string& error);

}  // namespace portico::tls
