#pragma once
// SessionBase: what the HTTP/2 server and client codecs share around one nghttp2 session:
// stream objects (recycled), per-stream send queues behind an nghttp2 data provider, the
// output path into a buffer::Buffer (whole frames only), the fatal-error path (our own
// GOAWAY), zero-window stall tracking and the queries. The role-specific parts (headers,
// callbacks to the layer above, SETTINGS) live in Http2ServerCodec and Http2ClientCodec.
// No exceptions. Thread: one connection on one worker; every method runs on that worker.
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <vector>

#include "buffer/buffer.h"
#include "http/http2/limits.h"
#include "http/http2/nv.h"
#include "http/http2/stream.h"
#include "http/message.h"

namespace portico::http2 {

// The connection's life (printable with connStateName()).
enum class ConnState : uint8_t {
  Active,      // streams can start
  Draining,    // shutdown notice (GOAWAY 2^31-1) sent; final GOAWAY after the PING ACK
  GoawaySent,  // final GOAWAY sent (or received, client side): finishing the streams it covers
  Failed,      // fatal error: a GOAWAY is queued; flush it and close
};
const char* connStateName(ConnState s);

// Outcome of feed() and of the submit calls. For submit calls, !ok with error_code 0 means the
// call was refused (unknown stream, wrong order) and the connection is fine.
struct Status {
  bool ok = true;
  uint32_t error_code = 0;  // HTTP/2 error code of the GOAWAY when the connection failed
  const char* reason = "";  // static string
};

// Milliseconds from a monotonic clock; tests substitute their own.
using ClockFn = uint64_t (*)();
uint64_t steadyNowMs();

class SessionBase {
 public:
  SessionBase(const SessionBase&) = delete;
  SessionBase& operator=(const SessionBase&) = delete;

  // Appends pending frames to `out` (using the pool given at construction) as far as they fit;
  // returns the number of bytes appended. Call again after draining `out` while wantsWrite().
  size_t flushTo(buffer::Buffer& out);

  // Queues body bytes for the stream (copied once into its queue; framed as the peer's
  // windows allow). end_stream: last bytes (no trailers). Above Limits::stream_queue_high
  // stopReading() turns true until the stream's onStreamWritable callback.
  Status submitData(int32_t stream_id, std::span<const uint8_t> data, bool end_stream);
  // Ends the body with trailers after the queued bytes. Empty trailers just end the stream.
  Status submitTrailers(int32_t stream_id, const http::HeaderList& trailers);
  // RST_STREAM(error_code); the queue is dropped when the stream closes. No reset callback.
  void resetStream(int32_t stream_id, uint32_t error_code);
  // The layer above handed n received body bytes on: the stream and connection windows
  // reopen by n (clamped to what was delivered).
  void consume(int32_t stream_id, size_t n);

  bool wantsWrite() const;
  // True when nothing more can happen: fatal error written, or GOAWAY done and no streams.
  bool shouldClose() const;
  bool idle() const { return live_streams_ == 0; }
  ConnState state() const { return state_; }
  size_t liveStreams() const { return live_streams_; }
  size_t queuedBytes(int32_t stream_id) const;
  size_t queuedBytesTotal() const { return queued_total_; }
  bool stopReading(int32_t stream_id) const;
  // Of the streams with queued bytes and no send window (stream or connection), the one
  // stalled longest (0: none); stalled_ms: for how long. The caller times it out.
  int32_t longestZeroWindowStall(uint64_t& stalled_ms) const;
  // Printable state of a stream ("closed" when unknown).
  const char* streamStateOf(int32_t stream_id) const;

 protected:
  friend struct SessionIoCallbacks;

  SessionBase(buffer::BufferPool& pool, const Limits& limits, ClockFn clock);
  ~SessionBase();

  // The stream's queue fell to the low watermark after going above the high one.
  virtual void notifyWritable(int32_t stream_id) = 0;

  // Creates session_ in the server or client role: the callbacks both roles share, then the
  // role's (`install_role`), the options both roles use, then the role's (`tune`, may be null).
  // On failure session_ stays null and the codec is failed. Returns whether it was created.
  bool openSession(bool server, void (*install_role)(nghttp2_session_callbacks*),
                   void (*tune)(nghttp2_option*, const Limits&));
  // Submits our SETTINGS: the role's entries (at most 2) followed by the window, frame and
  // header list sizes both roles send, and widens the connection window to the limit.
  void submitSettings(std::initializer_list<nghttp2_settings_entry> role_entries);
  // A data provider reading `s`'s queue.
  static nghttp2_data_provider dataProvider(Stream* s);
  // Runs nghttp2_session_mem_recv and maps fatal errors to fail().
  Status recv(const uint8_t* data, size_t len);

  // The live (not Idle) stream with this id, or null.
  Stream* find(int32_t stream_id) const;
  Stream* allocStream(int32_t id);
  void freeStream(Stream* s);
  // Enters Failed with a GOAWAY(code) to be written by flushTo().
  Status fail(uint32_t code, const char* why);
  void refreshStalls();
  void afterDrain(Stream& s);
  // Counts a stream rejected for a peer error; false (connection failed) past the limit.
  bool countStreamError();
  // Body of both roles' on_invalid_header callback: a field nghttp2 finds invalid (upper-case
  // or illegal characters) makes the message malformed (RFC 9113 §8.2.1; nghttp2 would drop
  // the field silently): RST_STREAM(PROTOCOL_ERROR). Returns the nghttp2 callback result.
  int rejectInvalidField(int32_t stream_id);
  // Body of both roles' on_header callback: adds the field to the stream's head; a malformed
  // one resets the stream (RFC 9113 §8.2); once a head is rejected the rest of its fields cost
  // O(1). An oversized list keeps decoding (HPACK state must stay in sync) but stores nothing
  // more; the head's end decides. Returns the nghttp2 callback result.
  int addHeaderField(int32_t stream_id, std::string_view name, std::string_view value);
  // Common part of on_stream_close: gives the connection window back for bytes nobody will
  // consume, detaches and recycles the Stream.
  void releaseClosed(Stream* s);

  buffer::BufferPool& pool_;
  Limits limits_;
  ClockFn clock_;
  nghttp2_session* session_ = nullptr;
  ConnState state_ = ConnState::Active;
  Status failure_;
  bool goaway_written_ = false;  // Failed: our GOAWAY is in an output buffer
  bool anything_sent_ = false;   // some bytes went out (server: its preface began)
  bool notice_pending_ = false;  // our GOAWAY(2^31-1) still to be written
  bool peer_goaway_ = false;     // the peer sent GOAWAY
  bool terminated_ = false;      // nghttp2 ended the session itself (its GOAWAY is queued)
  Status terminated_status_;
  buffer::Buffer* out_ = nullptr;  // target of the current flushTo()
  size_t flushed_ = 0;
  size_t live_streams_ = 0;
  size_t queued_total_ = 0;
  uint32_t stream_errors_ = 0;
  NvList nv_;
  Stream* free_ = nullptr;
  mutable Stream* last_found_ = nullptr;      // find()'s one-entry cache (never an Idle stream)
  std::vector<std::unique_ptr<Stream>> all_;  // owns every Stream object ever allocated
};

// The nghttp2 callbacks shared by both roles (user_data is the SessionBase): output, the header
// field checks and the count of frames nghttp2 rejected.
struct SessionIoCallbacks {
  static int header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                    size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                    void* user_data);
  static int invalidHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                           size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                           void* user_data);
  // A frame nghttp2 rejected itself; on a stream it counts as a stream error (the peer's
  // malformed messages close the connection past Limits::max_stream_errors in both roles).
  static int invalidFrame(nghttp2_session*, const nghttp2_frame* frame, int lib_error_code,
                          void* user_data);
  static ssize_t send(nghttp2_session*, const uint8_t* data, size_t length, int, void* user_data);
  static int sendData(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd, size_t length,
                      nghttp2_data_source* source, void* user_data);
  static ssize_t readData(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t length,
                          uint32_t* data_flags, nghttp2_data_source* source, void* user_data);
};

}  // namespace portico::http2
