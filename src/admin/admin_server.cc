#include "admin/admin_server.h"

#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/log.h"
#include "http/http1/parser.h"
#include "http/status.h"

namespace portico::admin {
namespace {

constexpr http1::Limits kLimits{};
// Input kept at most: one whole request (head + largest body) and one read's worth more.
constexpr size_t kMaxBuffered = kLimits.max_header_bytes + kMaxAdminBody + 16384;
// Pipelined requests are not parsed while this much output waits for the client to read it.
constexpr size_t kMaxPendingOut = 256 * 1024;
// After answering and half-closing, unread input is discarded for at most this long before the
// socket is closed (closing with unread input would reset the connection and could destroy the
// reply before the client reads it).
constexpr uint32_t kLingerMs = 2000;

}  // namespace

// Readiness of the listening socket. Outlives the AdminServer until the end of the loop
// iteration (deleteLater), so an event already returned by epoll_wait is harmless.
class AdminListener final : public event::IoHandler {
 public:
  explicit AdminListener(AdminServer* server) : server_(server) {}
  void onEvents(uint32_t) override {
    if (server_) server_->acceptAll();
  }
  AdminServer* server_;
};

// One admin client connection: reads requests, answers them in order, keeps alive or closes.
class AdminConnection final : public event::IoHandler {
 public:
  AdminConnection(AdminServer& server, int fd) : server_(&server), loop_(server.loop_), fd_(fd) {
    timer_.setCallback([](void* self) { static_cast<AdminConnection*>(self)->close(); }, this);
  }
  ~AdminConnection() override {
    if (fd_ >= 0) ::close(fd_);
  }

  // Starts the idle timer (epoll reports the first readiness on registration).
  void start() { touch(); }

  void onEvents(uint32_t events) override {
    if (fd_ < 0) return;  // closed earlier in this loop iteration
    if (events & EPOLLERR) {
      close();
      return;
    }
    pump();
  }

  // Closes the socket, detaches from the server and schedules deletion. Idempotent.
  void close() {
    if (fd_ < 0) return;
    timer_.cancel();
    loop_.remove(fd_);
    ::close(fd_);
    fd_ = -1;
    if (server_) server_->forget(this);
    server_ = nullptr;
    loop_.deleteLater(this);
  }

 private:
  // Reads, answers and writes until nothing more can be done without new readiness.
  void pump() {
    while (fd_ >= 0) {
      if (lingering_) {
        discardInput();
        return;
      }
      bool progress = false;
      if (!read_eof_ && in_.size() < kMaxBuffered) progress = readSome();
      if (fd_ < 0) return;
      progress = processRequests() || progress;
      if (!flush()) return;
      if (out_off_ == out_.size() && close_after_write_) {
        startLinger();
        return;
      }
      if (!progress) return;
    }
  }

  // Appends available input to in_. Returns true when bytes arrived or the peer finished
  // sending.
  bool readSome() {
    char buf[16384];
    bool got = false;
    while (in_.size() < kMaxBuffered) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        in_.append(buf, static_cast<size_t>(n));
        got = true;
      } else if (n == 0) {
        read_eof_ = true;
        return true;
      } else if (errno != EINTR) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) close();
        break;
      }
    }
    if (got) touch();
    return got;
  }

  // Answers every complete request in in_ (in order). Returns true when output was produced
  // (the only progress it can make; pump() loops on it).
  bool processRequests() {
    bool progress = false;
    while (!close_after_write_ && out_.size() - out_off_ < kMaxPendingOut) {
      http1::RequestHead head;
      http1::ParseResult r = http1::parseRequestHead(in_, kLimits, head);
      if (r.state == http1::ParseState::NeedMore) {
        if (read_eof_) close_after_write_ = true;  // nothing more will come
        break;
      }
      if (r.state == http1::ParseState::Error) {
        fail(r.error_status, r.error ? r.error : "malformed request");
        return true;
      }
      if (head.framing == http1::BodyFraming::Chunked) {
        fail(411, "chunked request bodies are not supported; send Content-Length");
        return true;
      }
      uint64_t body_len =
          head.framing == http1::BodyFraming::ContentLength ? head.content_length : 0;
      if (body_len > kMaxAdminBody) {
        fail(413, "request body larger than " + std::to_string(kMaxAdminBody) + " bytes");
        return true;
      }
      if (in_.size() - head.head_length < body_len) {
        if (read_eof_) {
          close_after_write_ = true;  // the body will never be complete
        } else if (head.expect_continue && !sent_continue_) {
          out_ += "HTTP/1.1 100 Continue\r\n\r\n";
          sent_continue_ = true;
          progress = true;
        }
        break;
      }
      std::string_view body(in_.data() + head.head_length, body_len);
      AdminReply rep = handleAdminRequest(server_->api_, head.method, head.target, body);
      bool keep = head.keepAlive();
      appendResponse(rep, head.method == "HEAD", keep, head.version_minor == 0 && keep);
      in_.erase(0, head.head_length + body_len);  // `head` and `body` are invalid from here
      sent_continue_ = false;
      progress = true;
      if (!keep) close_after_write_ = true;
    }
    return progress;
  }

  void appendResponse(const AdminReply& rep, bool head_only, bool keep, bool say_keep_alive) {
    out_ += "HTTP/1.1 ";
    out_ += std::to_string(rep.status);
    out_ += ' ';
    out_ += http::reasonPhrase(static_cast<uint16_t>(rep.status));
    out_ += "\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nContent-Length: ";
    out_ += std::to_string(rep.body.size());
    out_ += "\r\n";
    if (!rep.allow.empty()) out_ += "Allow: " + rep.allow + "\r\n";
    if (!keep) out_ += "Connection: close\r\n";
    if (say_keep_alive) out_ += "Connection: keep-alive\r\n";
    out_ += "\r\n";
    if (!head_only) out_ += rep.body;
  }

  // Answers an unreadable request with {"error": why} and closes after writing.
  void fail(int status, std::string_view why) {
    appendResponse(adminErrorReply(status, why), false, false, false);
    close_after_write_ = true;
  }

  // Writes pending output. Returns false when the connection was closed on an error.
  bool flush() {
    bool wrote = false;
    while (out_off_ < out_.size()) {
      ssize_t n = ::send(fd_, out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
      if (n > 0) {
        out_off_ += static_cast<size_t>(n);
        wrote = true;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        break;
      } else {
        close();
        return false;
      }
    }
    if (wrote) touch();
    if (out_off_ == out_.size()) {
      out_.clear();
      out_off_ = 0;
    }
    return true;
  }

  // Everything is answered and the connection must end: half-close, then discard input until
  // the peer closes or kLingerMs pass.
  void startLinger() {
    if (read_eof_) {
      close();
      return;
    }
    ::shutdown(fd_, SHUT_WR);
    lingering_ = true;
    in_.clear();
    loop_.timers().arm(timer_, std::min(kLingerMs, server_->options_.idle_timeout_ms));
    discardInput();
  }

  void discardInput() {
    char buf[16384];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      close();  // EOF or error
      return;
    }
  }

  // Re-arms the idle timer.
  void touch() {
    if (!lingering_) loop_.timers().arm(timer_, server_->options_.idle_timeout_ms);
  }

  AdminServer* server_;  // null once closed
  event::Loop& loop_;
  int fd_;
  std::string in_;
  std::string out_;
  size_t out_off_ = 0;
  bool read_eof_ = false;           // the peer finished sending
  bool close_after_write_ = false;  // no more requests: close once out_ is written
  bool lingering_ = false;          // half-closed, discarding input
  bool sent_continue_ = false;      // 100 Continue sent for the request being received
  event::Timer timer_;              // idle timeout, then linger timeout
};

AdminServer::AdminServer(event::Loop& loop, const net::Address& address, ClusterAdmin& api,
                         AdminServerOptions options)
    : loop_(loop), api_(api), options_(options) {
  std::string err;
  fd_ = net::listenSocket(address, 64, err);
  if (fd_ < 0) {
    throw std::runtime_error("admin listener " + address.toString() + ": cannot listen: " + err);
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    if (ss.ss_family == AF_INET) {
      port_ = ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
    } else if (ss.ss_family == AF_INET6) {
      port_ = ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
    }
  }
  listener_ = new AdminListener(this);
  if (!loop_.addReadLevel(fd_, listener_)) {
    err = std::strerror(errno);
    ::close(fd_);
    delete listener_;
    throw std::runtime_error("admin listener " + address.toString() + ": epoll: " + err);
  }
}

AdminServer::~AdminServer() {
  listener_->server_ = nullptr;
  loop_.remove(fd_);
  ::close(fd_);
  loop_.deleteLater(listener_);
  std::unordered_set<AdminConnection*> conns;
  conns.swap(conns_);
  for (AdminConnection* c : conns) c->close();
}

void AdminServer::warnRateLimited(const char* what, int err) {
  uint64_t now = loop_.nowMs();
  if (last_warn_ms_ != 0 && now - last_warn_ms_ < 1000) return;
  last_warn_ms_ = now;
  log::warn("admin listener: {}: {}", what, std::strerror(err));
}

void AdminServer::acceptAll() {
  for (int i = 0; i < 64; ++i) {
    int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) warnRateLimited("accept", errno);
      return;
    }
    if (conns_.size() >= options_.max_connections) {
      log::warn("admin listener: {} connections open, refusing another", conns_.size());
      ::close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto* c = new AdminConnection(*this, fd);
    if (!loop_.add(fd, c)) {
      warnRateLimited("epoll", errno);
      delete c;  // closes fd; never registered, so no event can name it
      continue;
    }
    conns_.insert(c);
    c->start();
  }
}

}  // namespace portico::admin
