#include "net/transport.h"

#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace portico::net {

namespace {
// The tag a socket BIO's callback argument holds while its last completed read came back
// short (the socket had nothing more at that moment); null otherwise. A tag, not data: the
// state lives on the BIO, so it follows the SSL when a connection changes owner.
char kShortReadTag;

// BIO callback on a TLS connection's socket BIO: notes whether each completed read was short.
long sawSocketRead(BIO* bio, int oper, const char*, size_t len, int, long, int ret,
                   size_t* processed) {
  if (oper == (BIO_CB_READ | BIO_CB_RETURN) && ret > 0 && processed != nullptr)
    BIO_set_callback_arg(bio, *processed < len ? &kShortReadTag : nullptr);
  return ret;
}

// The largest TLS record payload (RFC 8446 §5.1): what one SSL_write_ex call turns into one
// record.
constexpr size_t kMaxRecord = 16384;
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
  BIO_set_callback_ex(SSL_get_rbio(ssl), sawSocketRead);
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

bool Transport::tlsDrained() const {
  // A read served from OpenSSL's buffer leaves the socket as the last socket read found it.
  return BIO_get_callback_arg(SSL_get_rbio(ssl_)) == &kShortReadTag && SSL_has_pending(ssl_) == 0;
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
  if (cnt == 1) return tlsSend(static_cast<const char*>(iov[0].iov_base), iov[0].iov_len);
  return tlsSendv(iov, cnt);
}

ssize_t Transport::tlsSendv(const iovec* iov, int cnt) {
  // TLS has no gather write. Whole records of a piece are written in place; what is left of
  // a piece (less than a record) is copied with what follows into one record-sized chunk.
  // Chunks depend only on where the write starts, so a retry after EAGAIN (callers consume
  // exactly what was written and present the same bytes first) asks OpenSSL for at least the
  // pending record's bytes again, as it requires (the buffer may move).
  thread_local char chunk[kMaxRecord];
  ssize_t total = 0;
  int i = 0;
  size_t off = 0;  // into iov[i]
  while (i < cnt) {
    const char* base = static_cast<const char*>(iov[i].iov_base);
    const size_t left = iov[i].iov_len - off;
    if (left == 0) {
      ++i;
      off = 0;
      continue;
    }
    const char* p = base + off;
    size_t len = left;
    if (left >= kMaxRecord && i + 1 < cnt) {
      len = left - left % kMaxRecord;  // whole records; the rest goes with what follows
    } else if (i + 1 < cnt) {
      len = 0;
      for (int j = i; j < cnt && len < kMaxRecord; ++j) {
        const size_t from = j == i ? off : 0;
        const size_t take = std::min(iov[j].iov_len - from, kMaxRecord - len);
        if (take) std::memcpy(chunk + len, static_cast<const char*>(iov[j].iov_base) + from, take);
        len += take;
      }
      p = chunk;
    }
    const ssize_t w = tlsSend(p, len);
    if (w < 0) return total > 0 ? total : -1;
    total += w;
    if (static_cast<size_t>(w) < len) break;
    // Advance (i, off) past the w bytes written.
    size_t adv = static_cast<size_t>(w);
    while (adv > 0) {
      const size_t step = std::min(adv, iov[i].iov_len - off);
      off += step;
      adv -= step;
      if (off == iov[i].iov_len) {
        ++i;
        off = 0;
      }
    }
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
