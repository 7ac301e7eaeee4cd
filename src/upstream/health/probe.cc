// Health-check probes: http and tcp over a non-blocking socket, script via posix_spawn (a
// vfork+exec) reaped through a pidfd, or by polling waitpid(WNOHANG) where pidfds are missing.
#include "upstream/health/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "buffer/buffer.h"
#include "http/http1/parser.h"
#include "http/http2/client_codec.h"
#include "http/method.h"
#include "net/transport.h"

extern char** environ;

namespace portico::upstream::health {
namespace {

constexpr size_t kMaxBodyBytes = 1 << 20;     // http: body searched for body_contains
constexpr size_t kMaxReplyBytes = 64 * 1024;  // tcp: reply searched for `expect`
constexpr uint64_t kReapPollMs = 10;          // script reaping without pidfd
constexpr int kShutdownReapMs = 1000;         // forceClose(): wait for a killed script

std::string errnoText(int err) {
  return std::strerror(err);
}

std::string quoted(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out = "'";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  return out + "'";
}

// Searches `hay` for `needle`, starting where a match could first end after `from` bytes were
// already searched. Updates `from`.
bool findFrom(std::string_view hay, std::string_view needle, size_t& from) {
  const size_t start = from >= needle.size() ? from - needle.size() + 1 : 0;
  const bool found = hay.find(needle, start) != std::string_view::npos;
  from = hay.size();
  return found;
}

uint16_t portOf(const net::Address& a) {
  if (a.family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&a.ss)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&a.ss)->sin_port);
}

// ---- http and tcp ----

class SocketProbe final : public Probe, private http2::ClientCallbacks {
 public:
  SocketProbe(event::Loop& loop, ProbeSet& live, ProbeOwner* owner, const Target& target)
      : Probe(loop, live, owner, target), timer_(&SocketProbe::onTimeout, this) {
    if (check_.type == config::HealthCheck::Type::Http) {
      const std::string& host = check_.host.empty() ? address_text_ : check_.host;
      out_ = check_.method + " " + check_.path + " HTTP/1.1\r\nHost: " + host +
             "\r\nConnection: close\r\nUser-Agent: portico-health\r\n\r\n";
      method_ = http::lookupMethod(check_.method);
      head_ = std::make_unique<http1::ResponseHead>();
    } else {
      out_ = check_.send;
    }
  }

  void start() override {
    fd_ = net::connectSocket(address_);
    if (fd_ < 0) return finish(false, "connect failed: " + errnoText(errno));
    if (!loop_.add(fd_, this)) return finish(false, "epoll: " + errnoText(errno));
    loop_.timers().arm(timer_, check_.timeout_ms);
  }

  void abandon() override {
    owner_ = nullptr;
    finish(false, "");
  }

  void forceClose() override {
    owner_ = nullptr;
    done_ = true;
    release();
  }

  void onEvents(uint32_t events) override {
    if (done_) return;
    if (!connected_) {
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      int err = 0;
      socklen_t len = sizeof err;
      if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err != 0) return finish(false, "connect failed: " + errnoText(err));
      connected_ = true;
      if (tls_ && !io_.attachTls(tls_->newSsl(tls_host_), fd_))
        return finish(false, "TLS setup failed");
    }
    if (io_.isTls() && !handshaken_) {
      bool want_write = false;
      const char* why = nullptr;
      int r = io_.handshake(want_write, why);
      if (r < 0) return finish(false, std::string("TLS handshake failed: ") + (why ? why : "?"));
      if (r == 0) return;
      handshaken_ = true;
      if (isTcp() && check_.send.empty() && check_.expect.empty()) return finish(true, "");
    } else if (isTcp() && check_.send.empty() && check_.expect.empty() && !io_.isTls()) {
      return finish(true, "");
    }
    if (!isTcp() && !protocol_chosen_) {
      protocol_chosen_ = true;
      if (!chooseHttp2()) return;
    }
    if (sent_ < out_.size() && !writeSome()) return;
    readSome();
  }

 private:
  bool isTcp() const { return check_.type == config::HealthCheck::Type::Tcp; }

  // Writes what the socket takes. Returns false when the probe finished.
  bool writeSome() {
    while (sent_ < out_.size()) {
      const ssize_t n = io_.send(fd_, out_.data() + sent_, out_.size() - sent_);
      if (n > 0) {
        sent_ += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return true;
      } else {
        finish(false, "send failed: " + errnoText(errno));
        return false;
      }
    }
    if (isTcp() && check_.expect.empty()) {
      finish(true, "");
      return false;
    }
    return true;
  }

  void readSome() {
    char buf[16384];
    while (!done_) {
      const ssize_t n = io_.recv(fd_, buf, sizeof buf);
      if (n > 0 && h2_) {
        feedHttp2(buf, static_cast<size_t>(n));
      } else if (n > 0) {
        in_.append(buf, static_cast<size_t>(n));
        isTcp() ? consumeTcp() : consumeHttp(false);
      } else if (n == 0 && h2_) {
        return finish(false, head_done_ ? "connection closed during the response body"
                                        : "connection closed without a response");
      } else if (n == 0) {
        isTcp()
            ? finish(false, "connection closed before " + quoted(check_.expect) + " was received")
            : consumeHttp(true);
        return;
      } else if (errno == EINTR) {
        continue;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return;
      } else {
        return finish(false, "read failed: " + errnoText(errno));
      }
    }
  }

  void consumeTcp() {
    if (findFrom(in_, check_.expect, searched_)) return finish(true, "");
    if (in_.size() > kMaxReplyBytes) {
      finish(false, quoted(check_.expect) + " not found in the first " +
                        std::to_string(kMaxReplyBytes / 1024) + " KiB of the reply");
    }
  }

  // Feeds the bytes in in_ to the response state; `eof`: the server closed the connection.
  void consumeHttp(bool eof) {
    while (!head_done_) {
      http1::Limits limits;
      limits.max_header_bytes = 64 * 1024;
      limits.max_header_count = http1::kMaxHeaders;
      const http1::ParseResult r = http1::parseResponseHead(in_, limits, method_, *head_);
      if (r.state == http1::ParseState::Error) {
        return finish(false, std::string("invalid response: ") + r.error);
      }
      if (r.state == http1::ParseState::NeedMore) {
        if (eof) {
          finish(false, in_.empty() ? "connection closed without a response"
                                    : "connection closed before the response head was complete");
        }
        return;
      }
      const uint16_t status = head_->status;
      if (status >= 100 && status < 200 && status != 101) {  // interim response: skip it
        in_.erase(0, head_->head_length);
        continue;
      }
      if (!statusExpected(status)) return finish(false, "http status " + std::to_string(status));
      if (check_.body_contains.empty()) return finish(true, "");
      head_done_ = true;
      framing_ = head_->framing;
      remaining_ = head_->content_length;
      in_.erase(0, head_->head_length);
    }
    bool complete = false;
    switch (framing_) {
      case http1::BodyFraming::ContentLength: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, in_.size()));
        body_.append(in_, 0, take);
        remaining_ -= take;
        in_.clear();
        complete = remaining_ == 0;
        break;
      }
      case http1::BodyFraming::Chunked: {
        size_t pos = 0;
        while (!complete) {
          const http1::ChunkedDecoder::Step s = chunked_.decode(std::string_view(in_).substr(pos));
          pos += s.consumed;
          if (s.kind == http1::ChunkedDecoder::Kind::Data) body_.append(s.data);
          if (s.kind == http1::ChunkedDecoder::Kind::Done) complete = true;
          if (s.kind == http1::ChunkedDecoder::Kind::Error) {
            return finish(false, std::string("invalid chunked body: ") + s.error);
          }
          if (s.kind == http1::ChunkedDecoder::Kind::NeedMore) break;
        }
        in_.erase(0, pos);
        break;
      }
      case http1::BodyFraming::UntilClose:
        body_ += in_;
        in_.clear();
        break;
      default:  // no body (HEAD, 204, 304)
        complete = true;
        break;
    }
    if (findFrom(body_, check_.body_contains, searched_)) return finish(true, "");
    if (complete || eof) {
      return finish(false, "body does not contain " + quoted(check_.body_contains));
    }
    if (body_.size() > kMaxBodyBytes) {
      finish(false, "body does not contain " + quoted(check_.body_contains) + " in its first " +
                        std::to_string(kMaxBodyBytes >> 20) + " MiB");
    }
  }

  // ---- HTTP/2 (h2 clusters; auto clusters whose server picked h2) ----

  // Decides the protocol once the connection is ready and, for HTTP/2, replaces the HTTP/1.1
  // request with the client preface and the request stream. False when the probe finished.
  bool chooseHttp2() {
    using P = config::Cluster::Protocol;
    if (protocol_ == P::Http1) return true;
    bool picked_h2 = false;
    if (io_.isTls()) {
      const unsigned char* alpn = nullptr;
      unsigned int len = 0;
      SSL_get0_alpn_selected(io_.ssl(), &alpn, &len);
      picked_h2 = len == 2 && alpn[0] == 'h' && alpn[1] == '2';
    }
    if (protocol_ == P::Auto && !picked_h2) return true;  // the server speaks HTTP/1.1
    if (protocol_ == P::H2 && io_.isTls() && !picked_h2) {
      finish(false, "the server did not agree to h2 (ALPN)");
      return false;
    }
    h2_pool_ = std::make_unique<buffer::BufferPool>(2);
    http2::ClientCallbacks& callbacks = *this;
    h2_ = std::make_unique<http2::Http2ClientCodec>(*h2_pool_, callbacks, http2::Limits{});
    http::RequestHead head;
    head.method = check_.method;
    head.method_id = method_;
    head.scheme = io_.isTls() ? "https" : "http";
    head.authority = check_.host.empty() ? address_text_ : check_.host;
    head.path = check_.path;
    head.headers.add("user-agent", "portico-health");
    if (h2_->submitRequest(head, true) <= 0) {
      finish(false, "the HTTP/2 request could not be made");
      return false;
    }
    out_.clear();
    sent_ = 0;
    pumpHttp2();
    return true;
  }

  // Moves the codec's pending output to out_.
  void pumpHttp2() {
    if (sent_ == out_.size()) {
      out_.clear();
      sent_ = 0;
    }
    while (h2_->wantsWrite()) {
      const size_t n = h2_->flushTo(h2_out_);
      out_.append(h2_out_.data(), h2_out_.size());
      h2_out_.consume(h2_out_.size());
      if (n == 0) break;
    }
    h2_out_.releaseIfEmpty(*h2_pool_);
  }

  void feedHttp2(const char* p, size_t n) {
    const http2::Status st = h2_->feed(reinterpret_cast<const uint8_t*>(p), n);
    if (done_) return;  // a callback delivered the verdict
    if (!st.ok) {
      return finish(false,
                    std::string("HTTP/2 error: ") + (st.reason && *st.reason ? st.reason : "?"));
    }
    pumpHttp2();
    if (sent_ < out_.size()) writeSome();
  }

  void failBody() { finish(false, "body does not contain " + quoted(check_.body_contains)); }

  void onResponseHead(int32_t, http::ResponseHead&& head, bool end_stream) override {
    if (done_ || head.status < 200) return;  // interim responses are skipped
    const uint16_t status = head.status;
    if (!statusExpected(status)) return finish(false, "http status " + std::to_string(status));
    if (check_.body_contains.empty()) return finish(true, "");
    head_done_ = true;
    if (end_stream) failBody();
  }
  void onResponseData(int32_t stream_id, std::span<const uint8_t> data, bool end_stream) override {
    if (done_ || !head_done_) return;
    body_.append(reinterpret_cast<const char*>(data.data()), data.size());
    h2_->consumeResponseData(stream_id, data.size());
    if (findFrom(body_, check_.body_contains, searched_)) return finish(true, "");
    if (end_stream) return failBody();
    if (body_.size() > kMaxBodyBytes) {
      finish(false, "body does not contain " + quoted(check_.body_contains) + " in its first " +
                        std::to_string(kMaxBodyBytes >> 20) + " MiB");
    }
  }
  void onResponseTrailers(int32_t, http::HeaderList&&) override {
    if (!done_) failBody();
  }
  void onStreamReset(int32_t, uint32_t error_code) override {
    finish(false, "stream reset by the server (HTTP/2 error " + std::to_string(error_code) + ")");
  }
  void onStreamClosed(int32_t) override {
    if (done_) return;
    head_done_ ? failBody() : finish(false, "stream closed without a response");
  }
  void onStreamWritable(int32_t) override {}
  void onGoawayReceived(int32_t, uint32_t) override {}

  bool statusExpected(uint16_t status) const {
    return std::any_of(
        check_.expect_status.begin(), check_.expect_status.end(),
        [&](const auto& range) { return status >= range.first && status <= range.second; });
  }

  static void onTimeout(void* ctx) {
    auto* self = static_cast<SocketProbe*>(ctx);
    std::string what = "timed out after " + std::to_string(self->check_.timeout_ms) + "ms";
    if (!self->connected_) {
      what += " connecting";
    } else if (!self->isTcp() && !self->head_done_) {
      what += " waiting for the response";
    } else if (self->isTcp() && !self->check_.expect.empty()) {
      what += " waiting for " + quoted(self->check_.expect);
    }
    self->finish(false, what);
  }

  void release() {
    timer_.cancel();
    if (h2_pool_) h2_out_.release(*h2_pool_);
    if (fd_ >= 0) {
      loop_.remove(fd_);
      io_.reset();
      ::close(fd_);
      fd_ = -1;
    }
  }

  void finish(bool ok, const std::string& reason) {
    if (done_) return;
    done_ = true;
    release();
    loop_.deleteLater(this);
    deliver(ok, reason);
  }

  event::Timer timer_;
  int fd_ = -1;
  net::Transport io_;  // plain, or TLS for clusters with tls:
  bool connected_ = false;
  bool handshaken_ = false;
  bool done_ = false;
  std::string out_;  // request (http) or `send` (tcp)
  size_t sent_ = 0;
  std::string in_;       // received, not yet consumed
  size_t searched_ = 0;  // bytes of in_ (tcp) / body_ (http) already searched
  http::Method method_ = http::Method::Get;
  std::unique_ptr<http1::ResponseHead> head_;  // large (header array): heap, http only
  bool head_done_ = false;
  http1::BodyFraming framing_ = http1::BodyFraming::None;
  uint64_t remaining_ = 0;  // ContentLength body bytes still expected
  http1::ChunkedDecoder chunked_;
  std::string body_;  // decoded body so far
  bool protocol_chosen_ = false;
  // HTTP/2 only (declared in destruction order: the pool outlives the codec and the buffer).
  std::unique_ptr<buffer::BufferPool> h2_pool_;
  std::unique_ptr<http2::Http2ClientCodec> h2_;
  buffer::Buffer h2_out_;
};

// ---- script ----

class ScriptProbe final : public Probe {
 public:
  ScriptProbe(event::Loop& loop, ProbeSet& live, ProbeOwner* owner, const Target& target)
      : Probe(loop, live, owner, target),
        timer_(&ScriptProbe::onTimeout, this),
        poll_(&ScriptProbe::onPoll, this) {}

  void start() override {
    if (check_.command.empty()) return failAtStart("no command");
    std::vector<char*> argv;
    for (std::string& a : check_.command) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_store;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      const std::string_view v(*e);
      if (v.starts_with("PORTICO_HOST=") || v.starts_with("PORTICO_PORT=")) continue;
      env_store.emplace_back(v);
    }
    env_store.push_back("PORTICO_HOST=" + address_.ipString());
    env_store.push_back("PORTICO_PORT=" + std::to_string(portOf(address_)));
    std::vector<char*> envp;
    for (std::string& e : env_store) envp.push_back(e.data());
    envp.push_back(nullptr);

    // The child gets default signal dispositions and an empty mask (the server blocks the
    // signals it reads through signalfd, and ignores SIGPIPE), its own process group (so a
    // timeout kills what it started too), /dev/null for stdin and stdout, our stderr.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
      return failAtStart("cannot run " + quoted(check_.command[0]) + ": " + errnoText(rc));
    }
    pid_ = pid;

    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd_ >= 0 && !loop_.addReadLevel(pidfd_, this)) {
      ::close(pidfd_);
      pidfd_ = -1;
    }
    if (pidfd_ < 0) loop_.timers().arm(poll_, kReapPollMs);
    loop_.timers().arm(timer_, check_.timeout_ms);
  }

  void abandon() override {
    owner_ = nullptr;
    if (pid_ > 0) {
      kill();  // reaped by the loop, then freed
    } else {
      release();
    }
  }

  void forceClose() override {
    owner_ = nullptr;
    released_ = true;  // the caller deletes us: tryReap() must not schedule a deleteLater
    if (pid_ > 0) {
      kill();
      for (int waited = 0; waited < kShutdownReapMs && pid_ > 0; ++waited) {
        if (!tryReap()) ::usleep(1000);
      }
    }
    timer_.cancel();
    poll_.cancel();
    closePidfd();
  }

  // The pidfd became readable: the child exited.
  void onEvents(uint32_t) override {
    if (pid_ > 0) tryReap();
  }

 private:
  // Reaps the child if it has exited, delivering its verdict. Returns true when reaped.
  bool tryReap() {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) return false;
    pid_ = -1;
    if (r < 0) {
      fail("cannot get the script's exit status: " + errnoText(errno));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      deliver(true, "");
    } else if (WIFEXITED(status)) {
      fail("script exited with status " + std::to_string(WEXITSTATUS(status)));
    } else {
      fail("script killed by signal " + std::to_string(WTERMSIG(status)));
    }
    release();
    return true;
  }

  void fail(const std::string& reason) { deliver(false, reason); }

  // No child was started: report and free.
  void failAtStart(const std::string& reason) {
    fail(reason);
    release();
  }

  void kill() {
    ::kill(-pid_, SIGKILL);  // its process group
    ::kill(pid_, SIGKILL);
  }

  static void onTimeout(void* ctx) {
    auto* self = static_cast<ScriptProbe*>(ctx);
    if (self->pid_ <= 0) return;
    self->kill();
    self->fail("script timed out after " + std::to_string(self->check_.timeout_ms) + "ms");
  }

  static void onPoll(void* ctx) {
    auto* self = static_cast<ScriptProbe*>(ctx);
    if (self->pid_ > 0 && !self->tryReap()) self->loop_.timers().arm(self->poll_, kReapPollMs);
  }

  void closePidfd() {
    if (pidfd_ >= 0) {
      loop_.remove(pidfd_);
      ::close(pidfd_);
      pidfd_ = -1;
    }
  }

  // Frees the probe at the end of the loop iteration (the child is gone).
  void release() {
    if (released_) return;
    released_ = true;
    timer_.cancel();
    poll_.cancel();
    closePidfd();
    loop_.deleteLater(this);
  }

  event::Timer timer_;
  event::Timer poll_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  bool released_ = false;
};

}  // namespace

Probe::Probe(event::Loop& loop, ProbeSet& live, ProbeOwner* owner, const Target& target)
    : loop_(loop),
      live_(live),
      owner_(owner),
      check_(target.check),
      address_(target.address),
      address_text_(target.address_text),
      tls_(target.tls),
      tls_host_(target.tls_host),
      protocol_(target.protocol) {
  live_.insert(this);
}

Probe::~Probe() {
  live_.erase(this);
}

void Probe::deliver(bool ok, const std::string& reason) {
  ProbeOwner* owner = owner_;
  owner_ = nullptr;
  if (owner != nullptr) owner->onProbeDone(ok, reason);
}

Probe* Probe::create(event::Loop& loop, ProbeSet& live, ProbeOwner* owner, const Target& target) {
  switch (target.check.type) {
    case config::HealthCheck::Type::Http:
    case config::HealthCheck::Type::Tcp:
      return new SocketProbe(loop, live, owner, target);
    case config::HealthCheck::Type::Script:
      return new ScriptProbe(loop, live, owner, target);
    case config::HealthCheck::Type::None:
      break;
  }
  return nullptr;
}

}  // namespace portico::upstream::health
