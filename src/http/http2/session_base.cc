#include "http/http2/session_base.h"

#include <chrono>

#include "http/http2/frame_writer.h"
#include "http/http2/mem_pool.h"

namespace portico::http2 {

const char* connStateName(ConnState s) {
  switch (s) {
    case ConnState::Active:
      return "active";
    case ConnState::Draining:
      return "draining";
    case ConnState::GoawaySent:
      return "goaway-sent";
    case ConnState::Failed:
      return "failed";
  }
  return "?";
}

uint64_t steadyNowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

SessionBase::SessionBase(buffer::BufferPool& pool, const Limits& limits, ClockFn clock)
    : pool_(pool), limits_(limits), clock_(clock) {}

SessionBase::~SessionBase() {
  if (session_) nghttp2_session_del(session_);  // frees streams without calling back
  for (auto& s : all_) s->queue.release(pool_);
}

bool SessionBase::openSession(bool server, void (*install_role)(nghttp2_session_callbacks*),
                              void (*tune)(nghttp2_option*, const Limits&)) {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_option* opt = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0 || nghttp2_option_new(&opt) != 0) {
    if (cbs) nghttp2_session_callbacks_del(cbs);
    fail(NGHTTP2_INTERNAL_ERROR, "out of memory");
    return false;
  }
  nghttp2_session_callbacks_set_send_callback(cbs, &SessionIoCallbacks::send);
  nghttp2_session_callbacks_set_send_data_callback(cbs, &SessionIoCallbacks::sendData);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &SessionIoCallbacks::header);
  nghttp2_session_callbacks_set_on_invalid_header_callback(cbs, &SessionIoCallbacks::invalidHeader);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cbs,
                                                               &SessionIoCallbacks::invalidFrame);
  install_role(cbs);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_max_outbound_ack(opt, limits_.max_outbound_ack);
  nghttp2_option_set_max_settings(opt, limits_.max_settings_entries);
  nghttp2_option_set_max_continuations(opt, limits_.max_continuations);
  nghttp2_option_set_max_send_header_block_length(opt, limits_.max_send_header_block);
  if (tune) tune(opt, limits_);
  void* self = static_cast<SessionBase*>(this);  // user_data of every callback
  const int rv = server ? nghttp2_session_server_new3(&session_, cbs, self, opt, pooledMem())
                        : nghttp2_session_client_new3(&session_, cbs, self, opt, pooledMem());
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) {
    session_ = nullptr;
    fail(NGHTTP2_INTERNAL_ERROR, "nghttp2 session");
    return false;
  }
  return true;
}

void SessionBase::submitSettings(std::initializer_list<nghttp2_settings_entry> role_entries) {
  nghttp2_settings_entry iv[6];
  size_t n = 0;
  for (const nghttp2_settings_entry& e : role_entries)
    if (n < 2) iv[n++] = e;
  iv[n++] = {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, limits_.initial_stream_window};
  iv[n++] = {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, limits_.max_frame_size};
  iv[n++] = {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, limits_.max_header_list_size};
  iv[n++] = {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, n);
  if (limits_.connection_window > NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE) {
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                          static_cast<int32_t>(limits_.connection_window));
  }
}

nghttp2_data_provider SessionBase::dataProvider(Stream* s) {
  nghttp2_data_provider prd;
  prd.source.ptr = s;
  prd.read_callback = &SessionIoCallbacks::readData;
  return prd;
}

Status SessionBase::recv(const uint8_t* data, size_t len) {
  if (state_ == ConnState::Failed) return failure_;
  if (terminated_) return terminated_status_;
  const ssize_t rv = nghttp2_session_mem_recv(session_, data, len);
  if (rv < 0) {
    if (state_ == ConnState::Failed) return failure_;  // a callback decided
    switch (rv) {
      case NGHTTP2_ERR_FLOODED:
        return fail(NGHTTP2_ENHANCE_YOUR_CALM, "flood of frames needing an ACK");
      case NGHTTP2_ERR_TOO_MANY_CONTINUATIONS:
        return fail(NGHTTP2_ENHANCE_YOUR_CALM, "CONTINUATION flood");
      case NGHTTP2_ERR_BAD_CLIENT_MAGIC:
        return fail(NGHTTP2_PROTOCOL_ERROR, "bad client preface");
      case NGHTTP2_ERR_NOMEM:
        return fail(NGHTTP2_INTERNAL_ERROR, "out of memory");
      default:
        return fail(NGHTTP2_PROTOCOL_ERROR, nghttp2_strerror(static_cast<int>(rv)));
    }
  }
  refreshStalls();
  if (!nghttp2_session_want_read(session_) && state_ == ConnState::Active && !peer_goaway_) {
    // nghttp2 ended the session itself (connection error): its GOAWAY is queued and goes out
    // with the next flushTo(); later input is ignored.
    terminated_ = true;
    terminated_status_ = Status{false, NGHTTP2_PROTOCOL_ERROR, "connection error"};
    return terminated_status_;
  }
  return Status{};
}

Stream* SessionBase::find(int32_t stream_id) const {
  if (!session_ || stream_id <= 0) return nullptr;
  // Lookups come in runs for one stream (every field of a header block, then the submits of
  // its response): the last stream found answers them without a hash lookup in nghttp2.
  if (last_found_ && last_found_->id == stream_id && last_found_->state != StreamState::Idle)
    return last_found_;
  if (auto* s = static_cast<Stream*>(nghttp2_session_get_stream_user_data(session_, stream_id)))
    return last_found_ = s;
  // A client stream whose HEADERS are still queued is not in nghttp2's map yet (bounded scan:
  // at most the connection's high mark of concurrent streams).
  for (const auto& p : all_) {
    if (p->id == stream_id && p->state != StreamState::Idle) return last_found_ = p.get();
  }
  return nullptr;
}

Stream* SessionBase::allocStream(int32_t id) {
  Stream* s = free_;
  if (s) {
    free_ = s->next_free;
  } else {
    // Heap allocation only when the connection reaches a new high of concurrent streams.
    all_.push_back(std::make_unique<Stream>());
    s = all_.back().get();
  }
  s->reset(id);
  ++live_streams_;
  return s;
}

void SessionBase::freeStream(Stream* s) {
  if (last_found_ == s) last_found_ = nullptr;
  queued_total_ -= s->queue.size();
  s->queue.release(pool_);
  s->reset(0);
  s->next_free = free_;
  free_ = s;
  --live_streams_;
}

Status SessionBase::fail(uint32_t code, const char* why) {
  if (state_ != ConnState::Failed) {
    state_ = ConnState::Failed;
    failure_ = Status{false, code, why};
  }
  return failure_;
}

bool SessionBase::countStreamError() {
  if (++stream_errors_ <= limits_.max_stream_errors) return true;
  fail(NGHTTP2_ENHANCE_YOUR_CALM, "too many stream errors");
  return false;
}

int SessionBase::addHeaderField(int32_t stream_id, std::string_view name, std::string_view value) {
  Stream* s = find(stream_id);
  if (!s || s->builder.status() != HeadStatus::Ok) return 0;  // O(1) once rejected
  if (s->builder.add(name, value) == HeadStatus::Malformed) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_PROTOCOL_ERROR);
    if (!countStreamError()) return NGHTTP2_ERR_CALLBACK_FAILURE;
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  return 0;
}

int SessionBase::rejectInvalidField(int32_t stream_id) {
  Stream* s = find(stream_id);
  if (s && s->builder.status() != HeadStatus::Ok) return 0;  // already rejected
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_PROTOCOL_ERROR);
  if (!countStreamError()) return NGHTTP2_ERR_CALLBACK_FAILURE;
  return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

void SessionBase::releaseClosed(Stream* s) {
  if (s->unconsumed > 0) {
    nghttp2_session_consume_connection(session_, s->unconsumed);
    s->unconsumed = 0;
  }
  nghttp2_session_set_stream_user_data(session_, s->id, nullptr);
  freeStream(s);
}

size_t SessionBase::flushTo(buffer::Buffer& out) {
  out_ = &out;
  flushed_ = 0;
  if (notice_pending_ && state_ != ConnState::Failed) {
    // Our output always ends on a frame boundary, so the notice can go in here.
    if (!writeGoaway(pool_, out, 0x7fffffff, NGHTTP2_NO_ERROR)) {
      out_ = nullptr;
      return 0;
    }
    notice_pending_ = false;
    flushed_ += 17;
  }
  if (state_ != ConnState::Failed && session_) {
    const int rv = nghttp2_session_send(session_);
    if (rv != 0 && state_ != ConnState::Failed) fail(NGHTTP2_INTERNAL_ERROR, nghttp2_strerror(rv));
  }
  if (state_ == ConnState::Failed && !goaway_written_ && out.spaceLeft() >= 26) {
    // nghttp2 writes whole frames only (see SessionIoCallbacks), so ours starts on a frame
    // boundary. A server must start with SETTINGS; a client's preface is nghttp2's first send.
    const uint32_t before = out.size();
    const bool server = session_ && nghttp2_session_check_server_session(session_);
    if (!anything_sent_ && server) writeEmptySettings(pool_, out);
    if (anything_sent_ || server) {
      const int32_t last = session_ ? nghttp2_session_get_last_proc_stream_id(session_) : 0;
      writeGoaway(pool_, out, last, failure_.error_code);
    }
    flushed_ += out.size() - before;
    goaway_written_ = true;
  }
  out_ = nullptr;
  refreshStalls();
  return flushed_;
}

Status SessionBase::submitData(int32_t stream_id, std::span<const uint8_t> data, bool end_stream) {
  if (state_ == ConnState::Failed) return failure_;
  Stream* s = find(stream_id);
  if (!s || !s->head_sent || s->data_ended || s->reset_by_caller)
    return Status{false, 0, "bad stream"};
  if (!data.empty()) {
    s->queue.push(pool_, data.data(), data.size());
    queued_total_ += data.size();
    if (s->queue.size() > limits_.stream_queue_high) s->above_high = true;
  }
  if (end_stream) s->data_ended = true;
  if (s->data_deferred && (!data.empty() || end_stream)) {
    s->data_deferred = false;
    nghttp2_session_resume_data(session_, stream_id);
  }
  return Status{};
}

Status SessionBase::submitTrailers(int32_t stream_id, const http::HeaderList& trailers) {
  if (state_ == ConnState::Failed) return failure_;
  Stream* s = find(stream_id);
  if (!s || !s->head_sent || s->data_ended || s->reset_by_caller)
    return Status{false, 0, "bad stream"};
  s->data_ended = true;
  if (!trailers.empty()) {
    s->has_trailers = true;
    s->trailers_out.clear();
    for (http::HeaderField f : trailers) s->trailers_out.add(f.name, f.value);
  }
  if (s->data_deferred) {
    s->data_deferred = false;
    nghttp2_session_resume_data(session_, stream_id);
  }
  return Status{};
}

void SessionBase::resetStream(int32_t stream_id, uint32_t error_code) {
  Stream* s = find(stream_id);
  if (!s || state_ == ConnState::Failed) return;
  s->reset_by_caller = true;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, error_code);
}

void SessionBase::consume(int32_t stream_id, size_t n) {
  Stream* s = find(stream_id);
  if (!s || state_ == ConnState::Failed) return;
  if (n > s->unconsumed) n = s->unconsumed;
  if (n == 0) return;
  s->unconsumed -= n;
  nghttp2_session_consume(session_, stream_id, n);
}

bool SessionBase::wantsWrite() const {
  if (state_ == ConnState::Failed) return !goaway_written_;
  if (notice_pending_) return true;
  return session_ && nghttp2_session_want_write(session_) != 0;
}

bool SessionBase::shouldClose() const {
  if (state_ == ConnState::Failed) return goaway_written_;
  return !nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_);
}

size_t SessionBase::queuedBytes(int32_t stream_id) const {
  const Stream* s = find(stream_id);
  return s ? s->queue.size() : 0;
}

bool SessionBase::stopReading(int32_t stream_id) const {
  const Stream* s = find(stream_id);
  return s && s->queue.size() > limits_.stream_queue_high;
}

const char* SessionBase::streamStateOf(int32_t stream_id) const {
  const Stream* s = find(stream_id);
  return streamStateName(s ? s->state : StreamState::Closed);
}

void SessionBase::afterDrain(Stream& s) {
  if (s.queue.empty()) s.zero_window_since_ms = 0;
  if (s.above_high && s.queue.size() <= limits_.stream_queue_low) {
    s.above_high = false;
    notifyWritable(s.id);
  }
}

void SessionBase::refreshStalls() {
  // No queued bytes: no stream can be stalled (afterDrain()/freeStream() cleared the marks).
  if (!session_ || state_ == ConnState::Failed || queued_total_ == 0) return;
  const int32_t conn_window = nghttp2_session_get_remote_window_size(session_);
  uint64_t now = 0;
  for (auto& p : all_) {
    Stream& s = *p;
    if (s.state == StreamState::Idle) continue;
    if (s.queue.empty()) {
      s.zero_window_since_ms = 0;
      continue;
    }
    const int32_t w = nghttp2_session_get_stream_remote_window_size(session_, s.id);
    if (w <= 0 || conn_window <= 0) {
      if (s.zero_window_since_ms == 0) {
        if (now == 0) now = clock_();
        s.zero_window_since_ms = now ? now : 1;
      }
    } else {
      s.zero_window_since_ms = 0;
    }
  }
}

int32_t SessionBase::longestZeroWindowStall(uint64_t& stalled_ms) const {
  int32_t id = 0;
  uint64_t oldest = 0;
  stalled_ms = 0;
  if (queued_total_ == 0) return 0;
  for (auto& p : all_) {
    const Stream& s = *p;
    if (s.state == StreamState::Idle || s.zero_window_since_ms == 0) continue;
    if (id == 0 || s.zero_window_since_ms < oldest) {
      id = s.id;
      oldest = s.zero_window_since_ms;
    }
  }
  stalled_ms = id ? clock_() - oldest : 0;
  return id;
}

}  // namespace portico::http2
