#pragma once
// One HTTP/2 connection from a worker to a host of a `protocol: h2` cluster (h2c with prior
// knowledge, or TLS with ALPN h2), shared by every exchange of that worker to the host: each
// exchange is a stream. Exchanges see their stream as an UpstreamConnection whose Transport is
// virtual (H2UpstreamStream), so the HTTP/1 exchange path drives it unchanged. Streams beyond
// the server's SETTINGS_MAX_CONCURRENT_STREAMS wait their turn. A session that received
// GOAWAY or failed takes no new streams; the host's next exchange opens a new session.
// Thread: owned by one worker; lives until close().
#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

#include "buffer/buffer.h"
#include "event/loop.h"
#include "http/http2/client_codec.h"
#include "net/transport.h"
#include "upstream/host_pool.h"

namespace portico::upstream {

class H2UpstreamStream;
class UpstreamConnection;

class H2Session final : public event::IoHandler,
                        public event::Deferred,
                        public http2::ClientCallbacks {
 public:
  // A new exchange to `pool`'s host: a virtual UpstreamConnection on the pool's session (made
  // when there is none that takes streams). nullptr (errno set) when no connection can be made.
  static UpstreamConnection* openStream(event::Loop& loop, HostPool& pool);
  // `protocol: auto`: `conn` just finished its TLS handshake and the server chose h2. The
  // socket and its TLS state become a new session of `pool`, and `conn` (still serving its
  // exchange) becomes that session's first stream.
  static void adopt(event::Loop& loop, HostPool& pool, UpstreamConnection& conn);

  void onEvents(uint32_t events) override;
  void runDeferred() override;

  // For streams.
  http2::Http2ClientCodec& codec() { return *codec_; }
  bool connected() const { return connected_; }
  // Output is pending: written at the end of this loop iteration.
  void scheduleFlush();
  // The stream can start when a stream slot is free: now, or later in FIFO order.
  void requestStart(H2UpstreamStream* s);
  // Registers a started stream under its id.
  void bindStream(int32_t id, H2UpstreamStream* s) { by_id_[id] = s; }
  // While the codec is being fed: queues `s` (once) to tell its exchange of its news when the
  // feed is done, so a response head and the body bytes that came with it reach the exchange
  // together (one write to an HTTP/1 client, not two). False when not feeding: tell it now.
  bool deferNotify(H2UpstreamStream* s);
  // The exchange of stream `id` ended with its response complete by length before the server
  // ended the stream: the stream is left to finish, and cancelled (RST_STREAM) only if the
  // server has not ended it within kAwaitEndMs, so it cannot hold a stream slot for good.
  void awaitEnd(int32_t id);
  static constexpr uint32_t kAwaitEndMs = 1000;
  // The stream is going away (its exchange ended): forget it everywhere.
  void forget(H2UpstreamStream* s);

  // ClientCallbacks.
  void onResponseHead(int32_t stream_id, http::ResponseHead&& head, bool end_stream) override;
  void onResponseData(int32_t stream_id, std::span<const uint8_t> data, bool end_stream) override;
  void onResponseTrailers(int32_t stream_id, http::HeaderList&& trailers) override;
  void onStreamReset(int32_t stream_id, uint32_t error_code) override;
  void onStreamClosed(int32_t stream_id) override;
  void onStreamWritable(int32_t stream_id) override;
  void onGoawayReceived(int32_t last_stream_id, uint32_t error_code) override;

 private:
  H2Session(event::Loop& loop, HostPool& pool);
  ~H2Session() override;
  // Starts the TCP connect (and TLS). False (errno set) when it cannot even begin.
  bool begin();
  // True while new streams may be opened on this session.
  bool takesStreams() const;
  void drive();
  bool continueConnect();
  void onConnected();
  void startWaiting();
  // Tells the exchanges queued by deferNotify() during the last feed.
  void deliverNotifications();
  void armTimer();
  static void onTimer(void* self);
  // Cancels the streams awaitEnd() waited for longer than kAwaitEndMs (no-op for closed ones).
  static void onAwaitTimer(void* self);
  // Fails every stream and closes; `why` is logged.
  void fail(const char* why);
  void close();

  event::Loop& loop_;
  HostPool* pool_;
  buffer::BufferPool& bp_;
  int fd_ = -1;
  net::Transport io_;
  std::unique_ptr<http2::Http2ClientCodec> codec_;
  std::vector<H2UpstreamStream*> streams_;  // every stream attached to the session
  std::unordered_map<int32_t, H2UpstreamStream*> by_id_;
  std::deque<H2UpstreamStream*> waiting_;
  std::vector<H2UpstreamStream*> to_notify_;  // see deferNotify(); null: forgotten meanwhile
  std::deque<std::pair<uint64_t, int32_t>> awaiting_end_;  // (deadline ms, stream id), FIFO
  event::Timer await_timer_;
  buffer::Buffer in_;
  buffer::Buffer out_;
  event::Timer timer_;
  bool tcp_connected_ = false;
  bool connected_ = false;
  bool can_read_ = false;
  bool rdhup_ = false;  // EPOLLRDHUP seen: read on to the end of stream
  bool can_write_ = false;
  bool goaway_ = false;
  bool in_drive_ = false;
  bool feeding_ = false;  // inside codec_->feed()
  bool redo_ = false;
  bool flush_deferred_ = false;
  bool closed_ = false;
  bool deleted_ = false;  // close() ran (deleteLater queued)
};

}  // namespace portico::upstream
