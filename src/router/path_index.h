#pragma once
// The path part of a route table for one host key: exact paths in a hash map and path
// prefixes in a radix tree (edges labelled with byte strings, a parent link per node), so a
// lookup costs one hash probe plus one walk down the request path, whatever the route count.
// Thread: built at config load; immutable and shared afterwards; find() allocation-free.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace portico::router {

// Hash for string-keyed maps looked up by std::string_view (no temporary strings).
struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

class PathIndex {
 public:
  PathIndex();
  // Adds route `id` under the exact path `path`.
  void addExact(std::string_view path, uint32_t id);
  // Adds route `id` under the byte prefix `prefix` (a prefix of "" would match every path).
  void addPrefix(std::string_view prefix, uint32_t id);

  // Offers candidate routes for `path` to `accept`, most specific first: routes of the exact
  // path, then routes of the longest matching prefix down to the shortest; routes of one key
  // in the order they were added. Returns the first id `accept` takes, or -1.
  template <typename Accept>
  int64_t find(std::string_view path, Accept&& accept) const;

 private:
  struct Node {
    std::string label;               // bytes on the edge from the parent
    uint32_t parent = 0;             // root is its own parent
    std::string first;               // first byte of each child's label, sorted
    std::vector<uint32_t> children;  // parallel to `first`
    std::vector<uint32_t> routes;    // routes whose prefix ends exactly here
  };
  // Index of the child of `n` whose label starts with `c`, or -1.
  int64_t child(uint32_t n, char c) const;
  // Deepest node whose full label path is a prefix of `path`.
  uint32_t deepest(std::string_view path) const;

  std::vector<Node> nodes_;
  std::unordered_map<std::string, std::vector<uint32_t>, StringViewHash, std::equal_to<>> exact_;
};

template <typename Accept>
int64_t PathIndex::find(std::string_view path, Accept&& accept) const {
  if (!exact_.empty()) {
    auto it = exact_.find(path);
    if (it != exact_.end())
      for (uint32_t id : it->second)
        if (accept(id)) return id;
  }
  for (uint32_t n = deepest(path);; n = nodes_[n].parent) {
    for (uint32_t id : nodes_[n].routes)
      if (accept(id)) return id;
    if (n == 0) return -1;
  }
}

}  // namespace portico::router
