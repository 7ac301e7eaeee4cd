#pragma once
// One TCP connection from a worker to a host. While serving an exchange it belongs to a
// downstream connection (its `owner`), which drives all reads and writes; while idle it sits
// in its HostPool and any readiness (data or close from the backend) retires it.
// Thread: owned by one worker.
#include <cstdint>

#include "buffer/buffer.h"
#include "event/loop.h"
#include "event/timer_wheel.h"
#include "net/transport.h"
#include "upstream/host_pool.h"

namespace portico::upstream {

// Implemented by the downstream side that drives an upstream connection.
class UpstreamOwner {
 public:
  virtual ~UpstreamOwner() = default;
  // Called when the upstream fd reports readiness; flags are already updated.
  virtual void onUpstreamEvent() = 0;
  // Called when the upstream timer fires (connect or response timeout).
  virtual void onUpstreamTimeout() = 0;
  // Called when a connection slot of the cluster may be free again (circuit breaker queue).
  virtual void onSlotFree() {}
};

class UpstreamConnection : public event::IoHandler {
 public:
  enum class State : uint8_t { Connecting, Active, Idle, Closed };

  // Starts a non-blocking connect to pool's address. Returns nullptr (errno set) on failure.
  // The caller has reserved a slot in pool.stats->connections (see adopt()); park() and close()
  // of an active connection give it back.
  // For `protocol: h2` pools the connection is virtual: a stream of the host's H2Session.
  static UpstreamConnection* connect(event::Loop& loop, HostPool& pool);
  // A connection object without a socket (fd -1) whose Transport the caller makes virtual;
  // it starts Connecting and counts as active in `pool`.
  static UpstreamConnection* makeVirtual(event::Loop& loop, HostPool& pool);

  void onEvents(uint32_t events) override;

  // Parks the connection in its pool (idle timer armed). Returns false (and closes) if the pool
  // is full or the connection cannot be reused.
  bool park(buffer::BufferPool& bp);
  // Takes an idle connection for a new exchange (the caller reserved a connections slot).
  void adopt(UpstreamOwner* owner);
  // Closes the fd, returns buffers, leaves the pool and schedules deletion. With `abort`, sends
  // RST (SO_LINGER 0) so the backend never sees a truncated body as complete.
  void close(buffer::BufferPool& bp, bool abort = false);
  // Reads what the transport has into `in` (at most max_bytes; 0 = as much as fits). True when
  // bytes arrived; otherwise can_read, eof and error say why (EAGAIN, end of stream, failure).
  bool readSome(buffer::BufferPool& bp, uint32_t max_bytes = 0);

  int fd = -1;
  net::Transport io;  // plain, or TLS when the pool has a client context
  // Connecting covers the TCP connect and, for TLS, the handshake; Active follows both.
  State state = State::Connecting;
  bool tcp_connected = false;
  HostPool* pool = nullptr;
  UpstreamOwner* owner = nullptr;
  buffer::Buffer in;
  buffer::Buffer out;
  bool can_read = false;
  bool can_write = false;
  bool eof = false;     // backend closed its side (read returned 0 or RDHUP)
  bool error = false;   // EPOLLERR/HUP seen
  bool rdhup = false;   // backend half-closed (EPOLLRDHUP): never reuse
  bool reused = false;  // served at least one exchange before this one
  uint32_t exchanges = 0;
  event::Timer timer;

 private:
  explicit UpstreamConnection(event::Loop& loop) : loop_(loop) {}
  static void onTimer(void* self);
  // After the TCP connect: Active for plain TCP; for TLS, runs the handshake as far as the
  // socket allows (Active when done; error and eof set when it failed).
  void continueConnect();
  event::Loop& loop_;
  buffer::BufferPool* idle_bp_ = nullptr;
};

}  // namespace portico::upstream
