#pragma once
// A worker: one thread, one event loop, its own SO_REUSEPORT listening sockets, buffer pool,
// upstream pools and access log. Everything here belongs to the worker's thread; the main thread
// talks to it only through post() (setGeneration, drain, stop).
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "buffer/buffer.h"
#include "event/loop.h"
#include "filters/compress/encoder_pool.h"
#include "http/http1/parser.h"
#include "proxy/access_log.h"
#include "proxy/body_forwarder.h"
#include "proxy/request_id.h"
#include "proxy/route_vars.h"
#include "proxy/snapshot.h"
#include "upstream/cluster_runtime.h"
#include "upstream/host_pool.h"

namespace portico::server {

class Worker;

// The parsed request and response heads of one exchange (about 10 KiB: 128 field slots each).
// Also the two body forwarders: only an exchange in progress needs them.
struct ParsedHeads {
  http1::RequestHead req;
  http1::ResponseHead resp;
  proxy::BodyForwarder req_body;
  proxy::BodyForwarder resp_body;
  proxy::RequestIds ids;
  proxy::RouteVars route_vars;  // set after routing when the route's header values need them
};

// One config generation as a worker sees it: the snapshot plus per-worker balancing state.
// Exchanges pin the generation they started with (plain counter: single thread).
struct Generation {
  std::shared_ptr<const proxy::Snapshot> snapshot;
  std::vector<std::unique_ptr<upstream::ClusterRuntime>> clusters;  // same order as snapshot
  uint64_t users = 0;
  bool retired = false;
};

// A listening socket of this worker.
class ListenerSocket : public event::IoHandler {
 public:
  ListenerSocket(Worker& w, int fd, std::string name)
      : worker_(w), fd_(fd), name_(std::move(name)) {}
  ~ListenerSocket() override;
  void onEvents(uint32_t events) override;
  const std::string& name() const { return name_; }
  int index = -1;  // index of this listener in the current snapshot, -1 when removed
  void close();

 private:
  Worker& worker_;
  int fd_;
  std::string name_;
};

struct WorkerSockets {
  std::string listener_name;
  int fd;
};

class Worker {
 public:
  Worker(unsigned id, std::shared_ptr<const proxy::Snapshot> snap, std::vector<WorkerSockets> socks,
         int access_log_fd);
  ~Worker();

  // Starts the thread.
  void start();
  void join();
  // Thread-safe: adopt a new snapshot; new listener sockets are added, listeners absent from
  // the snapshot are closed. Existing connections keep running.
  void postGeneration(std::shared_ptr<const proxy::Snapshot> snap, std::vector<WorkerSockets> socks,
                      int access_log_fd);
  // Thread-safe: stop accepting, finish in-flight exchanges, then exit the loop.
  void postDrain();
  // Thread-safe: exit the loop now.
  void postStop();
  bool finished() const { return finished_.load(); }

  // --- worker-thread API ---
  event::Loop& loop() { return loop_; }
  buffer::BufferPool& buffers() { return buffers_; }
  // Idle response encoders, reused across compressed responses (gzip, zstd).
  filters::compress::EncoderPool& encoders() { return encoders_; }
  proxy::AccessLog& accessLog() { return access_log_; }
  Generation* current() { return current_; }
  // Pins the current generation for an exchange; release with unpin().
  Generation* pin() {
    ++current_->users;
    return current_;
  }
  void unpin(Generation* g);
  bool draining() const { return draining_; }
  unsigned id() const { return id_; }
  // Connection accounting (for drain).
  void connectionOpened() { ++connections_; }
  void connectionClosed();
  // Registered downstream connections get a callback when the worker starts draining.
  // (Intrusive list: no allocation per connection.)
  class DrainListener {
   public:
    virtual ~DrainListener() = default;
    virtual void onDrain() = 0;

   private:
    friend class Worker;
    DrainListener* drain_prev_ = nullptr;
    DrainListener* drain_next_ = nullptr;
  };
  void addDrainListener(DrainListener* l) {
    l->drain_prev_ = nullptr;
    l->drain_next_ = drain_head_;
    if (drain_head_) drain_head_->drain_prev_ = l;
    drain_head_ = l;
  }
  void removeDrainListener(DrainListener* l) {
    if (l->drain_prev_)
      l->drain_prev_->drain_next_ = l->drain_next_;
    else if (drain_head_ == l)
      drain_head_ = l->drain_next_;
    if (l->drain_next_) l->drain_next_->drain_prev_ = l->drain_prev_;
    l->drain_prev_ = l->drain_next_ = nullptr;
  }
  // Pooled head storage for exchanges (see ParsedHeads).
  ParsedHeads* acquireHeads() {
    if (free_heads_.empty()) return new ParsedHeads();
    ParsedHeads* h = free_heads_.back().release();
    free_heads_.pop_back();
    return h;
  }
  void releaseHeads(ParsedHeads* h) {
    if (free_heads_.size() < 1024)
      free_heads_.emplace_back(h);
    else
      delete h;
  }
  // Pipes for splice(2), pooled per worker. acquirePipe() fills fds (read, write) and the
  // pipe's capacity; false when no pipe can be made. releasePipe() keeps a clean pipe for reuse
  // (`reusable`) or closes it.
  bool acquirePipe(int fds[2], uint32_t& capacity);
  void releasePipe(int fds[2], uint32_t capacity, bool reusable);
  // Mirrored copies (proxy/mirror) out on this worker; capped by limits.max_mirrors_in_flight.
  uint32_t mirrors_in_flight = 0;
  // Per-worker random numbers (load balancing, backoff jitter).
  uint64_t random() {
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return rng_;
  }

 private:
  void adopt(std::shared_ptr<const proxy::Snapshot> snap, std::vector<WorkerSockets> socks,
             int access_log_fd);
  upstream::HostPool* hostPool(const proxy::HostInfo& h, const proxy::ClusterInfo& c);
  void maybeFinish();

  unsigned id_;
  event::Loop loop_;
  buffer::BufferPool buffers_;
  filters::compress::EncoderPool encoders_;
  proxy::AccessLog access_log_;
  event::Timer log_timer_;
  std::thread thread_;
  Generation* current_ = nullptr;
  std::vector<std::unique_ptr<Generation>> generations_;
  std::vector<std::unique_ptr<ListenerSocket>> listeners_;
  std::unordered_map<std::string, std::unique_ptr<upstream::HostPool>> host_pools_;
  DrainListener* drain_head_ = nullptr;
  uint64_t connections_ = 0;
  std::vector<std::unique_ptr<ParsedHeads>> free_heads_;
  struct PipePair {
    int r, w;
    uint32_t capacity;
  };
  std::vector<PipePair> free_pipes_;
  uint64_t rng_ = 0x9E3779B97F4A7C15ull;
  bool draining_ = false;
  std::atomic<bool> finished_{false};
  // Initial state handed over at construction (adopted on the worker thread).
  std::shared_ptr<const proxy::Snapshot> init_snap_;
  std::vector<WorkerSockets> init_socks_;
  int init_log_fd_;
};

}  // namespace portico::server
