#pragma once
// The byte stream of one connection: plain TCP, or TLS (OpenSSL) over it. Calls follow the
// socket conventions so callers handle both alike: n > 0 bytes moved, 0 = orderly close (recv),
// -1 with errno EAGAIN (wait for readiness) or another errno (the connection is broken).
// The plain path is an inline branch around the syscall. Thread: the owning worker.
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <string_view>

namespace portico::net {

class Transport {
 public:
  // Plain: sockets drain in one short read. TLS: a short read may leave records in the socket
  // or in OpenSSL, so readers must read until EAGAIN.
  bool shortReadDrains() const { return ssl_ == nullptr; }
  bool isTls() const { return ssl_ != nullptr; }
  SSL* ssl() const { return ssl_; }

  // Takes ownership of `ssl` (already in accept or connect state) and binds it to `fd`.
  // Returns false when OpenSSL cannot bind it (the SSL is freed).
  bool attachTls(SSL* ssl, int fd);
  // Frees the TLS state (the fd is not closed).
  void reset();

  // Runs the TLS handshake as far as the socket allows. Returns 1 when complete, 0 when it
  // waits (want_write tells whether for writability), -1 when it failed (`error` says why).
  int handshake(bool& want_write, const char*& error);

  ssize_t recv(int fd, char* p, size_t n) {
    if (!ssl_) return ::recv(fd, p, n, 0);
    return tlsRecv(p, n);
  }
  ssize_t send(int fd, const char* p, size_t n) {
    if (!ssl_) return ::send(fd, p, n, MSG_NOSIGNAL);
    return tlsSend(p, n);
  }
  // Writes iov[0..cnt) in order (cnt <= 2 on the hot path); returns the bytes written.
  ssize_t sendv(int fd, const iovec* iov, int cnt);
  // TLS: the server name the client asked for (SNI), "" when none or plain TCP.
  std::string_view serverName() const;
  // TLS: the client presented a certificate that passed verification.
  bool peerVerified() const;

  // Ends the write side: TLS sends close_notify first.
  void shutdownWrite(int fd);

  Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  ~Transport() { reset(); }

 private:
  ssize_t tlsRecv(char* p, size_t n);
  ssize_t tlsSend(const char* p, size_t n);
  SSL* ssl_ = nullptr;
};

}  // namespace portico::net
