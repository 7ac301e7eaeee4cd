#include "http/message.h"

#include <algorithm>

namespace portico::http {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

}  // namespace

void HeaderList::add(std::string_view name, std::string_view value) {
  Entry e;
  e.name_off = static_cast<uint32_t>(storage_.size());
  e.name_len = static_cast<uint32_t>(name.size());
  const size_t need = storage_.size() + name.size() + value.size();
  if (storage_.capacity() < need)
    storage_.reserve(std::max<size_t>(need, 2 * storage_.capacity() + 256));
  if (entries_.empty() && entries_.capacity() == 0) entries_.reserve(16);
  storage_.append(name);
  for (size_t i = e.name_off; i < storage_.size(); ++i) storage_[i] = lower(storage_[i]);
  e.value_off = static_cast<uint32_t>(storage_.size());
  e.value_len = static_cast<uint32_t>(value.size());
  storage_.append(value);
  e.id = lookupHeaderId(name);
  e.dead = false;
  entries_.push_back(e);
}

HeaderField HeaderList::operator[](size_t i) const {
  const Entry& e = entries_[i];
  return {std::string_view(storage_).substr(e.name_off, e.name_len),
          std::string_view(storage_).substr(e.value_off, e.value_len), e.id};
}

std::optional<std::string_view> HeaderList::get(std::string_view name) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    HeaderField f = (*this)[i];
    if (f.name == name) return f.value;
  }
  return std::nullopt;
}

std::optional<std::string_view> HeaderList::get(HeaderId id) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].id == id) return (*this)[i].value;
  }
  return std::nullopt;
}

size_t HeaderList::remove(std::string_view name) {
  size_t removed = 0;
  for (Entry& e : entries_) {
    if (std::string_view(storage_).substr(e.name_off, e.name_len) == name) {
      e.dead = true;
      ++removed;
    }
  }
  if (removed == 0) return 0;
  // Rebuild storage without the dead fields so listSize() stays exact.
  std::string kept;
  kept.reserve(storage_.size());
  std::vector<Entry> live;
  live.reserve(entries_.size() - removed);
  for (const Entry& e : entries_) {
    if (e.dead) continue;
    Entry n = e;
    n.name_off = static_cast<uint32_t>(kept.size());
    kept.append(storage_, e.name_off, e.name_len);
    n.value_off = static_cast<uint32_t>(kept.size());
    kept.append(storage_, e.value_off, e.value_len);
    live.push_back(n);
  }
  storage_.swap(kept);
  entries_.swap(live);
  return removed;
}

void HeaderList::set(std::string_view name, std::string_view value) {
  auto first = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return std::string_view(storage_).substr(e.name_off, e.name_len) == name;
  });
  if (first == entries_.end()) {
    add(name, value);
    return;
  }
  const size_t pos = static_cast<size_t>(first - entries_.begin());
  const std::string n(name), v(value);  // `name`/`value` may view into storage_
  remove(n);
  add(n, v);
  // Move the new field back to where the first old one was.
  std::rotate(entries_.begin() + static_cast<std::ptrdiff_t>(pos), entries_.end() - 1,
              entries_.end());
}

void HeaderList::clear() {
  entries_.clear();
  storage_.clear();
}

void RequestHead::clear() {
  method.clear();
  method_id = Method::Other;
  scheme.clear();
  authority.clear();
  path.clear();
  protocol.clear();
  headers.clear();
  content_length = -1;
}

void ResponseHead::clear() {
  status = 0;
  headers.clear();
  content_length = -1;
}

}  // namespace portico::http
