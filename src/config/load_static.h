#pragma once
// Checks of a route's `static:` section that look at the file system or at file names, kept
// out of the YAML walk in loader.cc. Thread: any (main thread at load).
#include <string>
#include <string_view>

namespace portico::config {

// "" when `root` names an existing directory portico can search; else why not
// ("does not exist", "is not a directory", ...).
std::string staticRootError(const std::string& root);

// "" when `name` is a plain file name usable as an index file (no '/', not "." or "..", no
// control characters); else why not.
std::string staticIndexNameError(std::string_view name);

}  // namespace portico::config
