#include "server/server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "core/log.h"

namespace portico::server {

class Server::SignalWatcher : public event::IoHandler {
 public:
  SignalWatcher(Server& s, int fd) : server_(s), fd_(fd) {}
  ~SignalWatcher() override { ::close(fd_); }
  void onEvents(uint32_t) override {
    signalfd_siginfo si;
    while (::read(fd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si))
      server_.onSignal(static_cast<int>(si.ssi_signo));
  }

 private:
  Server& server_;
  int fd_;
};

Server::Server(std::string config_path) : config_path_(std::move(config_path)) {}

Server::~Server() {
  for (auto& w : workers_) {
    w->postStop();
    w->join();
  }
  if (access_log_fd_ > STDERR_FILENO) ::close(access_log_fd_);
}

bool Server::openListeners(const proxy::Snapshot& snap,
                           std::vector<std::vector<WorkerSockets>>& per_worker, std::string& err) {
  std::vector<int> opened;
  for (const auto& l : snap.listeners) {
    auto it = open_listeners_.find(l.config->name);
    if (it != open_listeners_.end() && it->second == l.config->address) continue;
    for (size_t w = 0; w < per_worker.size(); ++w) {
      std::string e;
      int fd = net::listenSocket(l.address, 4096, e);
      if (fd < 0) {
        err = "listener '" + l.config->name + "' (" + l.config->address + "): " + e;
        for (int f : opened) ::close(f);
        return false;
      }
      opened.push_back(fd);
      per_worker[w].push_back({l.config->name, fd});
    }
  }
  for (const auto& l : snap.listeners) open_listeners_[l.config->name] = l.config->address;
  for (auto it = open_listeners_.begin(); it != open_listeners_.end();) {
    if (snap.listenerIndex(it->first) < 0)
      it = open_listeners_.erase(it);
    else
      ++it;
  }
  return true;
}

int Server::openAccessLog(const config::Config& cfg) {
  const std::string& path = cfg.access_log.path;
  if (path == access_log_path_ && (access_log_fd_ >= 0 || path.empty())) return access_log_fd_;
  int fd = -1;
  if (path.empty())
    fd = -1;
  else if (path == "stdout")
    fd = STDOUT_FILENO;
  else if (path == "stderr")
    fd = STDERR_FILENO;
  else {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
      log::error("cannot open access log {}: {}", path, std::strerror(errno));
      return -2;
    }
  }
  // The previous file descriptor stays open: workers may still hold it until they adopt.
  access_log_fd_ = fd;
  access_log_path_ = path;
  return fd;
}

int Server::run() {
  std::shared_ptr<const config::Config> cfg;
  try {
    cfg = config::loadConfigFile(config_path_);
    snap_ = proxy::buildSnapshot(cfg, &registry_, &tls_cache_);
  } catch (const std::exception& e) {
    log::error("{}", e.what());
    return 1;
  }
  log::Level lvl;
  if (log::parseLevel(cfg->error_log_level, lvl)) log::setLevel(lvl);

  unsigned n = cfg->workers ? cfg->workers : std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  std::vector<std::vector<WorkerSockets>> socks(n);
  std::string err;
  if (!openListeners(*snap_, socks, err)) {
    log::error("{}", err);
    return 1;
  }
  int log_fd = openAccessLog(*cfg);
  if (log_fd == -2) return 1;

  // Workers inherit a mask that blocks the signals the main thread handles via signalfd.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0) {
    log::error("signalfd: {}", std::strerror(errno));
    return 1;
  }
  signals_ = std::make_unique<SignalWatcher>(*this, sfd);
  loop_.addReadLevel(sfd, signals_.get());

  std::string admin_err = updateAdmin();
  if (!admin_err.empty()) {
    log::error("{}", admin_err);
    return 1;
  }
  updateHealthChecks();

  for (unsigned i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, snap_, std::move(socks[i]), log_fd));
    workers_.back()->start();
  }
  for (const auto& l : snap_->listeners)
    log::info("listening on {} ({}) with {} workers", l.config->address, l.config->name, n);

  tls_timer_.setCallback(&Server::onTlsUpkeep, this);
  loop_.timers().arm(tls_timer_, 1000);
  loop_.run();
  return exit_code_;
}

void Server::onSignal(int signo) {
  if (signo == SIGHUP) {
    reload();
  } else if (signo == SIGTERM || signo == SIGINT) {
    log::info("received {}, shutting down", signo == SIGTERM ? "SIGTERM" : "SIGINT");
    shutdown();
    exit_code_ = 0;
    loop_.stop();
  }
}

void Server::reload() {
  std::shared_ptr<const config::Config> cfg;
  try {
    cfg = config::loadConfigFile(config_path_);
  } catch (const std::exception& e) {
    log::error("reload failed, keeping the running config: {}", e.what());
    return;
  }
  std::string err = apply(cfg);
  if (!err.empty()) {
    log::error("reload failed, keeping the running config: {}", err);
    return;
  }
  log::info("configuration reloaded from {}", config_path_);
}

std::string Server::apply(std::shared_ptr<const config::Config> cfg) {
  std::shared_ptr<const proxy::Snapshot> snap;
  try {
    snap = proxy::buildSnapshot(cfg, &registry_, &tls_cache_);
  } catch (const std::exception& e) {
    return e.what();
  }
  std::vector<std::vector<WorkerSockets>> socks(workers_.size());
  std::string err;
  auto saved = open_listeners_;
  if (!openListeners(*snap, socks, err)) {
    open_listeners_ = saved;
    return err;
  }
  int log_fd = openAccessLog(*snap->config);
  if (log_fd == -2) return "cannot open access log " + snap->config->access_log.path;
  log::Level lvl;
  if (log::parseLevel(snap->config->error_log_level, lvl)) log::setLevel(lvl);
  snap_ = snap;
  for (size_t i = 0; i < workers_.size(); ++i)
    workers_[i]->postGeneration(snap_, std::move(socks[i]), log_fd);
  updateHealthChecks();
  std::string admin_err = updateAdmin();
  if (!admin_err.empty()) log::error("{}", admin_err);
  return "";
}

void Server::shutdown() {
  admin_.reset();
  if (health_) health_->stop();
  for (auto& w : workers_) w->postDrain();
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(snap_->config->timeouts.shutdown_ms);
  for (;;) {
    bool all = true;
    for (auto& w : workers_) all = all && w->finished();
    if (all || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& w : workers_) {
    w->postStop();
    w->join();
  }
  workers_.clear();
  log::info("stopped");
}

}  // namespace portico::server
