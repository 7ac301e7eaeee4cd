#pragma once
// The HTTP/2 connection manager for one downstream connection (h2 chosen by ALPN, or h2c with
// prior knowledge): owns the socket and an Http2ServerCodec, and runs each stream as an
// H2Stream whose exchange is a virtual DownstreamConnection, so every route, action and
// upstream feature applies to HTTP/2 as to HTTP/1. Output produced by several streams in one
// loop iteration is flushed once at its end. Drains with GOAWAY on shutdown and reload.
// Thread: owned by one worker; lives until close().
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "buffer/buffer.h"
#include "event/loop.h"
#include "http/http2/server_codec.h"
#include "net/address.h"
#include "net/transport.h"
#include "server/worker.h"

namespace portico::proxy::h2 {

class H2Stream;

class H2Connection final : public event::IoHandler,
                           public event::Deferred,
                           public http2::ServerCallbacks,
                           public server::Worker::DrainListener {
 public:
  // Takes over `fd` (registered with the loop; rebound to the new handler) with its TLS state
  // `ssl` (null for h2c) and any bytes already read (`initial`, starting with the preface).
  static void start(server::Worker& w, server::ListenerSocket& ls, int fd, SSL* ssl,
                    const net::Address& peer, std::string_view initial);

  void onEvents(uint32_t events) override;
  void runDeferred() override;
  void onDrain() override;

  // Streams call these.
  http2::Http2ServerCodec& codec() { return *codec_; }
  server::Worker& worker() { return worker_; }
  server::ListenerSocket& listener() { return listener_; }
  const net::Address& peer() const { return peer_; }
  const std::string& peerIp() const { return peer_ip_; }
  SSL* ssl() const { return io_.ssl(); }
  // Output is pending: flush at the end of this iteration (or now when not inside drive()).
  void scheduleFlush();
  // A stream has finished both sides: delete it once no callback is running.
  void streamFinished(H2Stream* s);
  // Runs the stream's exchange (H2Stream::run) once the current input has been fed.
  void startLater(H2Stream* s) { to_start_.push_back(s); }
  // Resets the stream with NO_ERROR once its queued response has been written out.
  void resetWhenSent(int32_t stream_id) { pending_resets_.push_back(stream_id); }

  // ServerCallbacks.
  void onRequestHead(int32_t stream_id, http::RequestHead&& head, bool end_stream) override;
  void onRequestData(int32_t stream_id, std::span<const uint8_t> data, bool end_stream) override;
  void onRequestTrailers(int32_t stream_id, http::HeaderList&& trailers) override;
  void onStreamReset(int32_t stream_id, uint32_t error_code) override;
  void onStreamClosed(int32_t stream_id) override;
  void onStreamWritable(int32_t stream_id) override;
  void onGoawayReceived(int32_t last_stream_id, uint32_t error_code) override;

 private:
  H2Connection(server::Worker& w, server::ListenerSocket& ls, int fd, SSL* ssl,
               const net::Address& peer);
  ~H2Connection() override;

  void drive();
  // Reads and feeds the codec; false when the connection must close.
  bool readSome(bool& progress);
  // Writes codec output; false when the socket failed.
  bool flush(bool& progress);
  void codecClosed(int32_t stream_id);
  // Runs the exchanges of streams whose heads came in the input just fed.
  void startStreams();
  // Sends the resets of resetWhenSent() whose streams have nothing left to send.
  void sendPendingResets();
  // Returns finished streams to the pool (H2Stream::release).
  void reapStreams();
  // The live stream with this id, or null.
  H2Stream* find(int32_t stream_id) const;
  void armTimer();
  static void onTimer(void* self);
  // Aborts the exchanges of all live streams and reaps them.
  void abortStreams();
  // The last GOAWAY is written: ends our side (close_notify, FIN) and reads and drops the
  // client's input until it closes or kLingerMs pass, then close().
  void linger();
  // Reads and drops input while lingering; closes at EOF or on an error.
  void discardInput();
  void close();

  server::Worker& worker_;
  server::ListenerSocket& listener_;
  int fd_;
  net::Transport io_;
  net::Address peer_;
  std::string peer_ip_;  // formatted once for every stream's exchange
  std::unique_ptr<http2::Http2ServerCodec> codec_;
  // Live streams by id (at most max_concurrent_streams, searched linearly over contiguous ids:
  // no per-stream node, no pointer chasing).
  std::vector<std::pair<int32_t, H2Stream*>> streams_;
  std::vector<H2Stream*> finished_;
  std::vector<H2Stream*> reaping_;  // reapStreams()'s batch (kept for its capacity)
  std::vector<int32_t> pending_resets_;
  std::vector<H2Stream*> to_start_;
  buffer::Buffer in_;
  buffer::Buffer out_;
  event::Timer timer_;
  uint32_t idle_ms_ = 0;
  uint32_t zero_window_ms_ = 30000;
  uint64_t drain_started_ms_ = 0;
  bool can_read_ = true;
  bool can_write_ = true;
  bool rdhup_ = false;      // EPOLLRDHUP seen: read on to the end of stream
  bool eof_ = false;        // the client closed its side
  bool failed_ = false;     // connection error: GOAWAY queued, no more input processed
  bool lingering_ = false;  // see linger()
  bool error_ = false;
  bool in_drive_ = false;
  bool redo_ = false;
  bool flush_deferred_ = false;
  bool closed_ = false;
};

}  // namespace portico::proxy::h2
