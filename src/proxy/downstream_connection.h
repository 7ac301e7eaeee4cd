#pragma once
// The HTTP/1 connection manager for one downstream (client) connection: reads request heads,
// routes them, forwards each exchange to an upstream connection with backpressure in both
// directions, tunnels after a 101, and answers errors itself. One exchange at a time, so
// pipelined responses go out in order. Thread: owned by one worker; lives until close().
#include <list>
#include <string>

#include "buffer/buffer.h"
#include "event/loop.h"
#include "filters/compress/encoder_pool.h"
#include "http/http1/parser.h"
#include "net/address.h"
#include "net/transport.h"
#include "proxy/body_forwarder.h"
#include "proxy/static_files.h"
#include "server/worker.h"
#include "upstream/upstream_connection.h"

namespace portico::proxy {

struct ListenerInfo;

class DownstreamConnection final : public event::IoHandler,
                                   public upstream::UpstreamOwner,
                                   public server::Worker::DrainListener {
 public:
  // Takes ownership of `fd` (already non-blocking) and registers it with the worker's loop.
  static void create(server::Worker& w, server::ListenerSocket& ls, int fd,
                     const net::Address& peer);

  // A connection for one exchange carried by a stream of a multiplexed connection (HTTP/2):
  // its bytes come from and go to `stream` (see net::VirtualPeer); `tls_info` is the real
  // connection's SSL (or null). The stream reports readiness through onEvents() and ends the
  // exchange early with abortFromPeer(). Not counted as a connection, not a drain listener.
  static DownstreamConnection* createVirtual(server::Worker& w, server::ListenerSocket& ls,
                                             net::VirtualPeer* stream, SSL* tls_info,
                                             const net::Address& peer, std::string_view peer_ip);
  // The stream carrying this virtual connection is gone: abort the exchange and close now.
  void abortFromPeer();

  // Connection objects come from buffer::smallAlloc's per-thread free lists (a virtual
  // connection is made for every HTTP/2 stream); any thread may free one.
  static void* operator new(size_t size);
  static void operator delete(void* p);

  void onEvents(uint32_t events) override;
  void onUpstreamEvent() override;
  void onUpstreamTimeout() override;
  void onDrain() override;
  void onSlotFree() override;

  enum class State : uint8_t { Handshake, WaitHead, Exchange, Tunnel, Closing, Lingering, Closed };
  static const char* stateName(State s);

 private:
  enum class TimerKind : uint8_t { None, Idle, Header, Body, Linger, Backoff, Pending };
  enum class ConnectResult : uint8_t { Ok, Waiting, Failed };
  enum class Failure : uint8_t { Connect, ConnectTimeout, Reset, Timeout, Status };
  // peer_ip: the peer's address as text when the caller has it ("" = format it from peer).
  DownstreamConnection(server::Worker& w, server::ListenerSocket& ls, int fd,
                       const net::Address& peer, std::string_view peer_ip = {});
  ~DownstreamConnection() override;

  void drive();
  void step();
  // TLS listeners: runs the handshake; WaitHead follows once it completes.
  void stepHandshake();
  // The client speaks HTTP/2 (ALPN h2, or the h2c preface in in_): hands the socket to an
  // h2::H2Connection and goes away without closing it.
  void handoffH2();
  // in_ starts with (a prefix of) the HTTP/2 client preface on a listener serving h2c.
  // Sets `partial` when more bytes are needed to tell.
  bool h2cPreface(bool& partial) const;
  void stepHead();
  void stepExchange();
  void stepTunnel();
  void stepClosing();
  void stepLinger();

  bool readClient();
  bool readUpstream();
  bool flushOut();
  // Moves forwardable bytes of `src` (after `dst_out`) to `dst_fd`. Returns true on progress.
  bool pipe(buffer::Buffer& src, BodyForwarder& fwd, net::Transport& dst_io, int dst_fd,
            buffer::Buffer& dst_out, bool& dst_can_write, bool& dst_error);
  bool dechunkToClient();
  // compress_body.cc: the coding for this response under the route's `compress:` (Identity
  // when it does not qualify), and the pump that compresses its body to the client.
  filters::compress::Coding chooseCompression() const;
  bool compressToClient();
  // Compresses in[0..len) into chunks in out_ as space allows; `consumed` says how much was
  // taken. False when the encoder failed.
  bool runEncoder(const char* in, size_t len, filters::compress::Encoder::Mode mode,
                  size_t& consumed);
  // static_body.cc: a route's `static:` action answers from a file under its root; then the
  // file's bytes go to the client with backpressure (sendfile(2), or read + TLS).
  void serveStatic(const config::StaticFiles& s);
  void stepStatic();
  // Sends file_ bytes while the client takes them. Returns true on progress; file_ is closed
  // when the file cannot be read (the caller then drops the connection).
  bool sendFileBody();
  // Moves Content-Length body bytes upstream socket -> pipe -> client socket with splice(2).
  bool spliceBody();
  void releasePipe();
  // Sets TCP_NODELAY once: when the connection enters keep-alive, or a write to the client is
  // partial (Nagle would hold the tail until the client's delayed ACK, up to 40 ms). A
  // one-request connection never pays the syscall.
  void ensureNoDelay();

  // exchange_upstream.cc: routing, host choice, attempts, retries, accounting.
  void startExchange();
  // Picks a host of cluster_ (load balancing), avoiding `exclude`; -1 when none is available.
  int pickHost(int exclude);
  // Starts an attempt on host_idx_: takes or opens an upstream connection and queues the head.
  void startAttempt(bool fresh_only);
  // Takes an idle pooled connection or starts a connect; Waiting when the circuit breaker
  // queued the exchange (onSlotFree/onPendingTimer resume it).
  ConnectResult connectUpstream(bool fresh_only);
  void leaveQueue();
  void onPendingTimer();
  // Lets the first exchange waiting for a connection slot of cluster_ try again.
  void wakeWaiter();
  uint32_t tryTimeoutMs() const;
  // True when policy, budget and time allow another attempt after `why`.
  bool retryAllowed(Failure why, uint16_t status);
  // The current attempt failed: feed passive health, then retry (maybe after backoff) or answer.
  void attemptFailed(Failure why, uint16_t status = 0);
  void endAttempt(bool success);
  void onBackoffDone();
  void endExchangeAccounting();

  void startResponse();
  void finishExchange();
  // Answers `status` (when no response byte was sent yet) and closes afterwards unless the
  // request was read whole and the status allows keeping the connection. `extra` holds header
  // lines (each ending CRLF) added to the response, e.g. a Location.
  void respondError(uint16_t status, std::string_view extra = {},
                    const config::DirectResponse* direct = nullptr);
  // A route's redirect action: 3xx with a Location built from the request (`route` gives the
  // matched prefix for prefix_rewrite; may be null). 400 when the request names no host.
  void redirectRoute(const config::RouteRedirect& d, const router::CompiledRoute* route);
  // Plain listener with redirect_https: 301 to the https URL of this request (redirectRoute).
  void redirectToHttps(uint16_t port);
  void endExchangeResources(bool abort_upstream);
  void logExchange();
  void armTimer(TimerKind kind, uint32_t ms);
  static void onTimer(void* self);
  void close();
  // Gives buffers and heads back to the worker and deletes this at the end of the iteration.
  void releaseAndDelete();

  server::Worker& worker_;
  server::ListenerSocket& listener_;
  int fd_;
  net::Transport io_;  // plain or TLS byte stream of fd_
  net::Address peer_;
  std::string peer_ip_;
  State state_ = State::WaitHead;
  TimerKind timer_kind_ = TimerKind::None;
  event::Timer timer_;

  buffer::Buffer in_;
  buffer::Buffer out_;
  bool can_read_ = false;
  bool can_write_ = false;
  bool rdhup_ = false;
  bool nodelay_ = false;
  bool client_eof_ = false;
  bool client_error_ = false;
  bool in_drive_ = false;
  bool redo_ = false;
  bool head_has_newline_ = false;  // data arrived since the last parse attempt contains '\n'
  bool tunnel_up_shut_ = false;
  bool tunnel_down_shut_ = false;

  // --- current exchange ---
  // Parsed heads live in a worker-pooled block held only while a request is being read or
  // served, so an idle keep-alive connection stays small (no buffers, no heads).
  server::ParsedHeads* heads_ = nullptr;
  server::Generation* gen_ = nullptr;
  upstream::UpstreamConnection* up_ = nullptr;
  upstream::HostPool* host_ = nullptr;
  upstream::ClusterRuntime* cluster_ = nullptr;
  const ListenerInfo* listener_info_ = nullptr;   // of gen_'s snapshot, set by startExchange
  const router::CompiledRoute* route_ = nullptr;  // of gen_'s snapshot, set by startExchange
  int host_idx_ = -1;
  uint32_t attempt_ = 0;
  uint64_t attempt_start_ms_ = 0;
  bool host_counted_ = false;
  bool cluster_counted_ = false;
  bool retry_counted_ = false;
  bool backoff_pending_ = false;
  bool stale_retried_ = false;
  // The route's `mirror:` had its chance (proxy/mirror): once per exchange.
  bool mirror_offered_ = false;
  bool waiting_ = false;     // queued for a connection slot (circuit breaker)
  bool slot_woken_ = false;  // a slot was freed for us
  uint64_t pending_deadline_ms_ = 0;
  bool overflow_ = false;
  bool retry_after_ = false;        // add Retry-After to a 503 (no server available)
  static_files::FileBody file_;     // set while a static file response is being sent
  std::string extra_resp_headers_;  // e.g. Set-Cookie for sticky sessions
  const std::string* cluster_name_ = nullptr;
  http::Method method_ = http::Method::Other;
  uint8_t version_minor_ = 1;
  bool keep_alive_ = true;
  bool upstream_reusable_ = false;
  bool resp_head_done_ = false;
  bool resp_started_ = false;  // a byte of the final response was queued to the client
  bool sent_100_ = false;
  bool dechunk_ = false;
  bool retry_ok_ = false;
  bool websocket_ = false;
  bool grpc_ = false;  // the request is gRPC: local errors are answered as grpc-status
  bool response_timer_armed_ = false;
  bool splice_ = false;         // this response's body goes through pipe_ (see spliceBody)
  bool compress_done_ = false;  // the encoder's last chunk and the final 0 chunk are queued
  uint16_t status_ = 0;         // (here: it fills padding; the size test holds the line)
  filters::compress::EncoderPtr encoder_;  // set while compressing (from the worker's pool)
  int pipe_[2] = {-1, -1};
  uint32_t pipe_bytes_ = 0;
  uint32_t pipe_cap_ = 0;
  uint32_t connect_ms_ = 5000;
  uint32_t response_ms_ = 60000;
  uint32_t resp_head_bytes_ = 0;  // head (or whole local response) queued to the client
  uint64_t started_ms_ = 0;
  std::string log_store_;
  uint32_t log_method_len_ = 0, log_target_len_ = 0, log_host_len_ = 0, log_ua_len_ = 0,
           log_ref_len_ = 0;
};

}  // namespace portico::proxy
