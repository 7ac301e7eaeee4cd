#pragma once
// The latest TLS session of each upstream server name, so a new upstream connection resumes
// instead of making the server do a full handshake. A fixed table of slots (a name shares a
// slot with others that hash alike; the last one stored wins), lock-free for workers apart from
// the shared_ptr loads and stores.
#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>

namespace portico::tls {

class ClientSessionCache {
 public:
  static constexpr size_t kSlots = 256;

  // Remembers a copy of `session` as the one to resume for `name`. Any thread.
  void put(std::string_view name, const SSL_SESSION* session);

  // Offers a copy of the session remembered for `name` (if any and still resumable) on `ssl`,
  // which must not have started its handshake. Any thread.
  void offer(std::string_view name, SSL* ssl) const;

 private:
  struct Entry {
    std::string name;
    SSL_SESSION* session = nullptr;
    ~Entry() { SSL_SESSION_free(session); }
  };
  static size_t slotOf(std::string_view name);

  std::array<std::atomic<std::shared_ptr<const Entry>>, kSlots> slots_;
};

}  // namespace portico::tls
