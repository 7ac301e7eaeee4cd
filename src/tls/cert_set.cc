#include "tls/cert_set.h"

#include <algorithm>
#include <cctype>

namespace portico::tls {

void CertSet::add(Index& index, const std::string& name, const Certificate* c) {
  auto it =
      std::lower_bound(index.begin(), index.end(), name,
                       [](const auto& entry, const std::string& n) { return entry.first < n; });
  if (it == index.end() || it->first != name) it = index.insert(it, {name, Selection{}});
  Selection& sel = it->second;
  const bool same_type = std::any_of(sel.begin(), sel.end(), [c](const Certificate* other) {
    return other->key_type == c->key_type;
  });
  if (!same_type) sel.push_back(c);
}

const CertSet::Selection* CertSet::find(const Index& index, std::string_view name) {
  auto it = std::lower_bound(index.begin(), index.end(), name,
                             [](const auto& entry, std::string_view n) { return entry.first < n; });
  if (it == index.end() || it->first != name) return nullptr;
  return &it->second;
}

CertSet::CertSet(std::vector<std::shared_ptr<const Certificate>> certs) : certs_(std::move(certs)) {
  for (const auto& c : certs_) {
    for (const std::string& name : c->names) {
      if (name.starts_with("*.")) {
        add(wildcard_, name.substr(2), c.get());
      } else {
        add(exact_, name, c.get());
      }
    }
  }
  // The default: certs[0], plus certificates of other key types for its first name.
  const Certificate* first = certs_.front().get();
  default_.push_back(first);
  if (!first->names.empty()) {
    const std::string& name = first->names.front();
    const Selection* same =
        name.starts_with("*.") ? find(wildcard_, name.substr(2)) : find(exact_, name);
    if (same != nullptr) {
      for (const Certificate* c : *same) {
        if (c->key_type != first->key_type) default_.push_back(c);
      }
    }
  }
}

const CertSet::Selection& CertSet::select(std::string_view server_name) const {
  char buf[256];
  if (server_name.empty() || server_name.size() >= sizeof(buf)) return default_;
  for (size_t i = 0; i < server_name.size(); ++i) {
    buf[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(server_name[i])));
  }
  const std::string_view name(buf, server_name.size());
  if (const Selection* sel = find(exact_, name)) return *sel;
  const size_t dot = name.find('.');
  if (dot != std::string_view::npos && dot > 0) {
    if (const Selection* sel = find(wildcard_, name.substr(dot + 1))) return *sel;
  }
  return default_;
}

const std::string* CertSet::ocspFor(const X509* leaf) const {
  for (const auto& c : certs_) {
    if (c->leaf.get() == leaf) return c->ocsp_der.empty() ? nullptr : &c->ocsp_der;
  }
  return nullptr;
}

}  // namespace portico::tls
