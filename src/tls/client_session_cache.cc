#include "tls/client_session_cache.h"

#include <functional>

namespace portico::tls {

size_t ClientSessionCache::slotOf(std::string_view name) {
  return std::hash<std::string_view>{}(name) % kSlots;
}

void ClientSessionCache::put(std::string_view name, const SSL_SESSION* session) {
  auto entry = std::make_shared<Entry>();
  entry->name = std::string(name);
  // A private copy: OpenSSL marks a connection's session unusable when the connection is freed
  // without a shutdown, and that must not spoil the cached one.
  entry->session = SSL_SESSION_dup(session);
  if (entry->session == nullptr) return;
  slots_[slotOf(name)].store(std::move(entry), std::memory_order_release);
}

void ClientSessionCache::offer(std::string_view name, SSL* ssl) const {
  const std::shared_ptr<const Entry> entry = slots_[slotOf(name)].load(std::memory_order_acquire);
  if (!entry || entry->name != name || SSL_SESSION_is_resumable(entry->session) != 1) return;
  SSL_SESSION* copy = SSL_SESSION_dup(entry->session);  // the connection gets its own, too
  if (copy == nullptr) return;
  SSL_set_session(ssl, copy);
  SSL_SESSION_free(copy);  // `ssl` holds its own reference
}

}  // namespace portico::tls
