#include "server/worker.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "core/log.h"
#include "proxy/downstream_connection.h"

namespace portico::server {

ListenerSocket::~ListenerSocket() {
  close();
}

void ListenerSocket::close() {
  if (fd_ >= 0) {
    worker_.loop().remove(fd_);
    ::close(fd_);
    fd_ = -1;
  }
}

void ListenerSocket::onEvents(uint32_t) {
  // One connection per readiness event, like nginx's default (multi_accept off): the listener
  // is level-triggered, so a backlog is reported again, and no accept ends in EAGAIN.
  while (fd_ >= 0) {
    net::Address peer;
    peer.len = sizeof peer.ss;
    int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer.ss), &peer.len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) log::warn("accept: {}", std::strerror(errno));
      return;
    }
    proxy::DownstreamConnection::create(worker_, *this, fd, peer);
    return;
  }
}

Worker::Worker(unsigned id, std::shared_ptr<const proxy::Snapshot> snap,
               std::vector<WorkerSockets> socks, int access_log_fd)
    : id_(id),
      init_snap_(std::move(snap)),
      init_socks_(std::move(socks)),
      init_log_fd_(access_log_fd) {
  // Request ids, load balancing and jitter must differ from process to process.
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, 0) == static_cast<ssize_t>(sizeof seed) && seed != 0)
    rng_ = seed;
  log_timer_.setCallback(
      [](void* self) {
        auto* w = static_cast<Worker*>(self);
        w->access_log_.flush();
        w->loop_.timers().arm(w->log_timer_, 200);
      },
      this);
}

Worker::~Worker() {
  for (const PipePair& p : free_pipes_) {
    ::close(p.r);
    ::close(p.w);
  }
  access_log_.flush();
  listeners_.clear();
}

void Worker::start() {
  thread_ = std::thread([this] {
    adopt(std::move(init_snap_), std::move(init_socks_), init_log_fd_);
    loop_.timers().arm(log_timer_, 200);
    loop_.run();
    access_log_.flush();
    finished_.store(true);
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::postGeneration(std::shared_ptr<const proxy::Snapshot> snap,
                            std::vector<WorkerSockets> socks, int access_log_fd) {
  loop_.post([this, snap = std::move(snap), socks = std::move(socks), access_log_fd]() mutable {
    adopt(std::move(snap), std::move(socks), access_log_fd);
  });
}

void Worker::postDrain() {
  loop_.post([this] {
    if (draining_) return;
    draining_ = true;
    for (auto& l : listeners_) l->close();
    // onDrain may close (and unregister) the listener itself: iterate over a copy.
    std::vector<DrainListener*> copy;
    for (DrainListener* l = drain_head_; l; l = l->drain_next_) copy.push_back(l);
    for (DrainListener* l : copy) l->onDrain();
    maybeFinish();
  });
}

void Worker::postStop() {
  loop_.stop();
}

bool Worker::acquirePipe(int fds[2], uint32_t& capacity) {
  if (!free_pipes_.empty()) {
    PipePair p = free_pipes_.back();
    free_pipes_.pop_back();
    fds[0] = p.r;
    fds[1] = p.w;
    capacity = p.capacity;
    return true;
  }
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return false;
  // A bigger pipe moves a 100 KB body in one splice each way (falls back to the default size).
  fcntl(fds[1], F_SETPIPE_SZ, 256 * 1024);
  int cap = fcntl(fds[1], F_GETPIPE_SZ);
  capacity = cap > 0 ? static_cast<uint32_t>(cap) : 65536;
  return true;
}

void Worker::releasePipe(int fds[2], uint32_t capacity, bool reusable) {
  if (reusable && free_pipes_.size() < 64) {
    free_pipes_.push_back({fds[0], fds[1], capacity});
    return;
  }
  ::close(fds[0]);
  ::close(fds[1]);
}

void Worker::connectionClosed() {
  --connections_;
  if (draining_) maybeFinish();
}

void Worker::maybeFinish() {
  if (draining_ && connections_ == 0) loop_.stop();
}

void Worker::unpin(Generation* g) {
  --g->users;
  if (g->retired && g->users == 0) {
    for (auto it = generations_.begin(); it != generations_.end(); ++it) {
      if (it->get() == g) {
        generations_.erase(it);
        break;
      }
    }
  }
}

upstream::HostPool* Worker::hostPool(const proxy::HostInfo& h, const proxy::ClusterInfo& c) {
  // TLS and plain connections to the same host never share a pool.
  const bool h2 = c.config->protocol == config::Cluster::Protocol::H2;
  auto& slot =
      host_pools_[c.config->name + "/" + h.text + (c.tls ? "/tls" : "") + (h2 ? "/h2" : "")];
  if (!slot) {
    slot = std::make_unique<upstream::HostPool>();
    slot->address = h.address;
    slot->text = h.text;
  }
  slot->tls = c.tls;
  const bool h2_auto = c.config->protocol == config::Cluster::Protocol::Auto;
  if (!h2_auto || !slot->h2_auto) slot->h2 = h2;  // auto keeps what the server chose
  slot->h2_auto = h2_auto;
  slot->buffers = &buffers_;
  if (c.tls) slot->tls_host = std::string(net::hostOf(h.text));
  slot->max_idle = c.config->max_idle;
  slot->idle_timeout_ms = c.config->idle_timeout_ms;
  slot->stats = c.stats.get();
  return slot.get();
}

void Worker::adopt(std::shared_ptr<const proxy::Snapshot> snap, std::vector<WorkerSockets> socks,
                   int access_log_fd) {
  auto gen = std::make_unique<Generation>();
  gen->snapshot = snap;
  rng_ ^= (static_cast<uint64_t>(id_) + 1) * 0xBF58476D1CE4E5B9ull;
  for (const auto& ci : snap->clusters) {
    auto cr = std::make_unique<upstream::ClusterRuntime>(
        *ci.config, ci.stats.get(), upstream::lb::createPolicy(ci.config->lb, ci.hosts.size()));
    for (const auto& h : ci.hosts) {
      upstream::HostEntry e;
      e.pool = hostPool(h, ci);
      e.state = h.state.get();
      e.sticky_id = &h.sticky_id;
      e.backup = h.backup;
      e.key = upstream::lb::hashKey(h.text);
      cr->addHost(e);
    }
    gen->clusters.push_back(std::move(cr));
  }
  if (current_) {
    current_->retired = true;
    if (current_->users == 0) {
      for (auto it = generations_.begin(); it != generations_.end(); ++it)
        if (it->get() == current_) {
          generations_.erase(it);
          break;
        }
    }
  }
  current_ = gen.get();
  generations_.push_back(std::move(gen));

  // Listeners: keep sockets whose name is still present, add the new ones, close the rest.
  for (auto& ws : socks) {
    for (auto& old : listeners_)
      if (old->name() == ws.listener_name) old->close();  // address changed: replace
    auto ls = std::make_unique<ListenerSocket>(*this, ws.fd, ws.listener_name);
    if (!loop_.addReadLevel(ws.fd, ls.get())) {
      log::error("worker {}: cannot watch listener {}", id_, ws.listener_name);
      continue;
    }
    listeners_.push_back(std::move(ls));
  }
  for (auto& ls : listeners_) {
    ls->index = snap->listenerIndex(ls->name());
    if (ls->index < 0) ls->close();
  }
  const auto& al = snap->config->access_log;
  access_log_.configure(access_log_fd, al.format);
}

}  // namespace portico::server
