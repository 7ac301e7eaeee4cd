#include "net/transport.h"

#include <openssl/err.h>
#include <sys/socket.h>

#include <cerrno>

namespace portico::net {

namespace {
// Maps an OpenSSL I/O failure to the socket conventions (sets errno, returns 0 or -1).
ssize_t mapError(SSL* ssl, int ret) {
  int e = SSL_get_error(ssl, ret);
  switch (e) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;  // close_notify
    case SSL_ERROR_SYSCALL:
      ERR_clear_error();
      if (errno == 0 || errno == EAGAIN) errno = ECONNRESET;  // EOF without close_notify
      return -1;
    default:
      ERR_clear_error();
      errno = EPROTO;
      return -1;
  }
}
}  // namespace

bool Transport::attachTls(SSL* ssl, int fd) {
  reset();
  if (!ssl) return false;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    ERR_clear_error();
    return false;
  }
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                        SSL_MODE_RELEASE_BUFFERS);
  ssl_ = ssl;
  return true;
}

void Transport::attachVirtual(VirtualPeer* peer, SSL* tls_info) {
  reset();
  virt_ = peer;
  ssl_ = tls_info;
}

void Transport::reset() {
  if (virt_) {  // the SSL, if any, belongs to the real connection
    virt_ = nullptr;
    ssl_ = nullptr;
    return;
  }
  if (ssl_) {
    // Without a recorded shutdown OpenSSL drops the session from the server cache; a client
    // that simply closed its connection should still resume.
    if (SSL_is_init_finished(ssl_)) SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN);
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
}

int Transport::handshake(bool& want_write, const char*& error) {
  want_write = false;
  error = nullptr;
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_);
  if (r == 1) return 1;
  int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_WANT_READ) return 0;
  if (e == SSL_ERROR_WANT_WRITE) {
    want_write = true;
    return 0;
  }
  unsigned long code = ERR_peek_last_error();
  error = code ? ERR_reason_error_string(code) : "connection closed during handshake";
  if (!error) error = "handshake failed";
  ERR_clear_error();
  return -1;
}

ssize_t Transport::tlsRecv(char* p, size_t n) {
  size_t got = 0;
  int r = SSL_read_ex(ssl_, p, n, &got);
  if (r == 1) return static_cast<ssize_t>(got);
  return mapError(ssl_, r);
}

ssize_t Transport::tlsSend(const char* p, size_t n) {
  // With partial writes enabled, SSL_write_ex returns after each record: keep going until the
  // socket pushes back, so a short count means what it means for a plain socket (wait for
  // EPOLLOUT). After a WANT_WRITE the caller retries from the first unwritten byte, which is
  // where the pending record starts.
  size_t total = 0;
  while (total < n) {
    size_t put = 0;
    int r = SSL_write_ex(ssl_, p + total, n - total, &put);
    if (r != 1) {
      if (total) {
        ERR_clear_error();
        break;
      }
      return mapError(ssl_, r);
    }
    total += put;
  }
  return static_cast<ssize_t>(total);
}

ssize_t Transport::sendv(int fd, const iovec* iov, int cnt) {
  if (virt_) return virt_->virtualSend(iov, cnt);
  if (!ssl_) {
    if (cnt == 1) return ::send(fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov);
    msg.msg_iovlen = static_cast<size_t>(cnt);
    return ::sendmsg(fd, &msg, MSG_NOSIGNAL);
  }
  // TLS has no gather write: one record per piece. A retry after EAGAIN presents the same
  // bytes first (callers consume exactly what was written), as OpenSSL requires.
  ssize_t total = 0;
  for (int i = 0; i < cnt; ++i) {
    ssize_t w = tlsSend(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
    if (w < 0) return total > 0 ? total : -1;
    total += w;
    if (static_cast<size_t>(w) < iov[i].iov_len) break;
  }
  return total;
}

std::string_view Transport::serverName() const {
  if (!ssl_) return {};
  const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  return name ? std::string_view(name) : std::string_view();
}

bool Transport::peerVerified() const {
  return ssl_ && SSL_get0_peer_certificate(ssl_) != nullptr &&
         SSL_get_verify_result(ssl_) == X509_V_OK;
}

void Transport::sendCloseNotify() {
  if (!ssl_ || virt_) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

void Transport::shutdownWrite(int fd) {
  if (virt_) {
    virt_->virtualShutdownWrite();
    return;
  }
  if (ssl_) {
    ERR_clear_error();
    if (SSL_shutdown(ssl_) < 0) ERR_clear_error();
  }
  ::shutdown(fd, SHUT_WR);
}

bool discardInput(int fd) {
  char scratch[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, scratch, sizeof scratch, 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

}  // namespace portico::net
