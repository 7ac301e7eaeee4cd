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

// The far end of a virtual byte stream: an HTTP/2 (or HTTP/3) stream presented to HTTP/1 code
// as if it were a socket. Same conventions as the socket calls (errno EAGAIN when it must
// wait; the peer then signals readiness through the owner's onEvents).
class VirtualPeer {
 public:
  virtual ~VirtualPeer() = default;
  // Copies up to n bytes out; 0 = end of stream; -1 with errno EAGAIN when none are ready.
  virtual ssize_t virtualRecv(char* p, size_t n) = 0;
  // Takes bytes in order; returns how many were accepted, -1 with EAGAIN when none can be.
  virtual ssize_t virtualSend(const iovec* iov, int cnt) = 0;
  // No more bytes will be sent.
  virtual void virtualShutdownWrite() = 0;
  // The connection side is gone; clean: everything it had to send was sent.
  virtual void virtualClose(bool clean) = 0;
};

class Transport {
 public:
  // Whether a read that returned less than asked left nothing to read: plain sockets drain in
  // one short read. TLS: true only when the last socket read OpenSSL made came back short (the
  // socket was empty) and OpenSSL holds no unread bytes; otherwise readers read until EAGAIN.
  // Edge-triggered readers may then wait for the next EPOLLIN without an EAGAIN read.
  bool shortReadDrains() const { return ssl_ == nullptr || virt_ != nullptr || tlsDrained(); }
  bool isTls() const { return ssl_ != nullptr; }
  // A virtual stream (an HTTP/2 stream seen as a connection); fd arguments are ignored.
  bool isVirtual() const { return virt_ != nullptr; }
  VirtualPeer* virtualPeer() const { return virt_; }
  SSL* ssl() const { return ssl_; }

  // Makes this a virtual stream to `peer`. `tls_info` (not owned, may be null) is the SSL of
  // the real connection carrying it: isTls(), serverName(), peerVerified() and ssl() report it.
  void attachVirtual(VirtualPeer* peer, SSL* tls_info);
  // Takes the SSL of a completed handshake (already bound to its fd) from another Transport.
  void adoptTls(SSL* ssl) {
    reset();
    ssl_ = ssl;
  }
  // Gives up the SSL without freeing it (for adoptTls on the connection's new owner).
  SSL* releaseTls() {
    SSL* s = ssl_;
    ssl_ = nullptr;
    return s;
  }

  // Takes ownership of `ssl` (already in accept or connect state) and binds it to `fd`.
  // Returns false when OpenSSL cannot bind it (the SSL is freed).
  bool attachTls(SSL* ssl, int fd);
  // Frees the TLS state (the fd is not closed).
  void reset();

  // Runs the TLS handshake as far as the socket allows. Returns 1 when complete, 0 when it
  // waits (want_write tells whether for writability), -1 when it failed (`error` says why).
  int handshake(bool& want_write, const char*& error);

  ssize_t recv(int fd, char* p, size_t n) {
    if (ssl_ == nullptr && virt_ == nullptr) return ::recv(fd, p, n, 0);
    if (virt_) return virt_->virtualRecv(p, n);
    return tlsRecv(p, n);
  }
  ssize_t send(int fd, const char* p, size_t n) {
    if (ssl_ == nullptr && virt_ == nullptr) return ::send(fd, p, n, MSG_NOSIGNAL);
    if (virt_) {
      iovec iov{const_cast<char*>(p), n};
      return virt_->virtualSend(&iov, 1);
    }
    return tlsSend(p, n);
  }
  // Writes iov[0..cnt) in order (cnt <= 2 on the hot path); returns the bytes written. TLS:
  // pieces are packed into records of up to 16 KiB (small pieces are copied together first),
  // so a response head and a small body leave in one record and one write(2).
  ssize_t sendv(int fd, const iovec* iov, int cnt);
  // TLS: the server name the client asked for (SNI), "" when none or plain TCP.
  std::string_view serverName() const;
  // TLS: the client presented a certificate that passed verification.
  bool peerVerified() const;

  // Ends the write side: TLS sends close_notify first.
  void shutdownWrite(int fd);
  // TLS (not virtual): sends close_notify, best effort, before the socket is closed.
  void sendCloseNotify();

  Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  ~Transport() { reset(); }

 private:
  ssize_t tlsRecv(char* p, size_t n);
  ssize_t tlsSend(const char* p, size_t n);
  ssize_t tlsSendv(const iovec* iov, int cnt);
  bool tlsDrained() const;
  SSL* ssl_ = nullptr;
  VirtualPeer* virt_ = nullptr;  // virtual: ssl_ (if any) is the carrying connection's
};

// Reads and drops what socket `fd` holds, raw (a lingering close: TLS has nothing more to say).
// True when nothing is left for now (EAGAIN); false when the connection ended (EOF or error).
bool discardInput(int fd);

}  // namespace portico::net
