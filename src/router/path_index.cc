#include "router/path_index.h"

#include <algorithm>

namespace portico::router {

PathIndex::PathIndex() {
  nodes_.emplace_back();
}

void PathIndex::addExact(std::string_view path, uint32_t id) {
  exact_[std::string(path)].push_back(id);
}

int64_t PathIndex::child(uint32_t n, char c) const {
  const std::string& f = nodes_[n].first;
  auto it = std::lower_bound(f.begin(), f.end(), c);
  if (it == f.end() || *it != c) return -1;
  return nodes_[n].children[static_cast<size_t>(it - f.begin())];
}

void PathIndex::addPrefix(std::string_view prefix, uint32_t id) {
  uint32_t n = 0;
  size_t pos = 0;
  while (pos < prefix.size()) {
    const std::string_view rest = prefix.substr(pos);
    const int64_t ch = child(n, rest[0]);
    if (ch < 0) {
      Node leaf;
      leaf.label = std::string(rest);
      leaf.parent = n;
      const auto leaf_id = static_cast<uint32_t>(nodes_.size());
      nodes_.push_back(std::move(leaf));
      Node& p = nodes_[n];
      auto at = std::lower_bound(p.first.begin(), p.first.end(), rest[0]) - p.first.begin();
      p.first.insert(p.first.begin() + at, rest[0]);
      p.children.insert(p.children.begin() + at, leaf_id);
      n = leaf_id;
      pos = prefix.size();
      break;
    }
    const auto c = static_cast<uint32_t>(ch);
    const std::string& label = nodes_[c].label;
    size_t common = 0;
    while (common < label.size() && common < rest.size() && label[common] == rest[common]) ++common;
    if (common == label.size()) {
      n = c;
      pos += common;
      continue;
    }
    // Split the edge: parent -> mid(label[0, common)) -> c(label[common..]).
    Node mid;
    mid.label = label.substr(0, common);
    mid.parent = n;
    mid.first.push_back(label[common]);
    mid.children.push_back(c);
    const auto mid_id = static_cast<uint32_t>(nodes_.size());
    nodes_.push_back(std::move(mid));
    nodes_[c].label.erase(0, common);
    nodes_[c].parent = mid_id;
    Node& p = nodes_[n];
    auto at = std::lower_bound(p.first.begin(), p.first.end(), rest[0]) - p.first.begin();
    p.children[static_cast<size_t>(at)] = mid_id;
    n = mid_id;
    pos += common;
  }
  nodes_[n].routes.push_back(id);
}

uint32_t PathIndex::deepest(std::string_view path) const {
  uint32_t n = 0;
  size_t pos = 0;
  while (pos < path.size()) {
    const int64_t ch = child(n, path[pos]);
    if (ch < 0) break;
    const std::string& label = nodes_[static_cast<uint32_t>(ch)].label;
    if (path.compare(pos, label.size(), label) != 0) break;
    n = static_cast<uint32_t>(ch);
    pos += label.size();
  }
  return n;
}

}  // namespace portico::router
