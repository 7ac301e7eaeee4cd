#pragma once
// Test harness: an Http2ServerCodec and a real nghttp2 client session talking in memory.
// pump() moves bytes both ways until neither side has anything to say.
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "buffer/buffer.h"
#include "http/http2/server_codec.h"

namespace portico::http2::test {

// Everything the server codec reported, per stream.
struct ServerStreamLog {
  http::RequestHead head;
  bool head_end_stream = false;
  std::string body;
  bool ended = false;  // END_STREAM seen (data or trailers)
  http::HeaderList trailers;
  bool got_trailers = false;
  bool closed = false;
  bool reset = false;
  uint32_t reset_code = 0;
  int writable = 0;
};

class RecordingCallbacks : public ServerCallbacks {
 public:
  std::map<int32_t, ServerStreamLog> streams;
  std::vector<int32_t> order;  // stream ids in onRequestHead order
  int goaways = 0;
  int32_t goaway_last = -1;
  // Optional hooks run after recording.
  std::function<void(int32_t, bool)> on_head;
  std::function<void(int32_t, size_t, bool)> on_data;

  void onRequestHead(int32_t id, http::RequestHead&& head, bool end_stream) override {
    auto& s = streams[id];
    s.head = std::move(head);
    s.head_end_stream = end_stream;
    s.ended = end_stream;
    order.push_back(id);
    if (on_head) on_head(id, end_stream);
  }
  void onRequestData(int32_t id, std::span<const uint8_t> data, bool end_stream) override {
    auto& s = streams[id];
    s.body.append(reinterpret_cast<const char*>(data.data()), data.size());
    if (end_stream) s.ended = true;
    if (on_data) on_data(id, data.size(), end_stream);
  }
  void onRequestTrailers(int32_t id, http::HeaderList&& trailers) override {
    auto& s = streams[id];
    s.trailers = std::move(trailers);
    s.got_trailers = true;
    s.ended = true;
  }
  void onStreamReset(int32_t id, uint32_t code) override {
    streams[id].reset = true;
    streams[id].reset_code = code;
  }
  void onStreamClosed(int32_t id) override { streams[id].closed = true; }
  void onStreamWritable(int32_t id) override { streams[id].writable++; }
  void onGoawayReceived(int32_t last, uint32_t) override {
    ++goaways;
    goaway_last = last;
  }
};

// What the client saw on one stream.
struct ClientStreamLog {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;   // final + 1xx, in order
  std::vector<std::pair<std::string, std::string>> trailers;  // headers after the body
  std::string body;
  bool closed = false;
  uint32_t close_code = 0;
  bool rst_received = false;
  int informational = 0;
};

// Request body source for the client.
struct ClientBody {
  std::string data;
  size_t off = 0;
  std::vector<std::pair<std::string, std::string>> trailers;
};

class ClientPeer {
 public:
  std::map<int32_t, ClientStreamLog> streams;
  std::map<int32_t, std::unique_ptr<ClientBody>> bodies;
  int goaways = 0;
  int32_t goaway_last = -1;
  uint32_t goaway_code = 0;
  int settings_acks = 0;
  int ping_acks = 0;
  std::string raw;  // extra bytes sent to the server after the session's own output

  // window: SETTINGS_INITIAL_WINDOW_SIZE of the client; auto_window: client consumes at once.
  explicit ClientPeer(uint32_t window = 65535, bool auto_window = true) {
    nghttp2_session_callbacks* cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &onHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &onFrame);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &onData);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &onClose);
    nghttp2_option* opt;
    nghttp2_option_new(&opt);
    nghttp2_option_set_no_auto_window_update(opt, auto_window ? 0 : 1);
    nghttp2_option_set_max_send_header_block_length(opt, 16 * 1024 * 1024);
    nghttp2_option_set_peer_max_concurrent_streams(opt, 1000);
    nghttp2_session_client_new2(&session, cbs, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window}};
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, iv, 1);
  }
  ~ClientPeer() { nghttp2_session_del(session); }

  // Submits a request; returns its stream id. Extra headers go after the pseudo-headers.
  int32_t request(const std::string& method, const std::string& path,
                  std::vector<std::pair<std::string, std::string>> extra = {},
                  const std::string* body = nullptr,
                  std::vector<std::pair<std::string, std::string>> trailers = {},
                  const std::string& authority = "example.com") {
    std::vector<std::pair<std::string, std::string>> h = {{":method", method}};
    // Plain CONNECT has only :method and :authority; everything else (extended CONNECT too)
    // has :scheme and :path.
    if (method != "CONNECT" || extraHas(extra, ":protocol")) {
      h.push_back({":scheme", "https"});
      h.push_back({":path", path});
    }
    if (!authority.empty()) h.push_back({":authority", authority});
    for (auto& e : extra) h.push_back(e);
    std::vector<nghttp2_nv> nv;
    for (auto& [n, v] : h) nv.push_back(makeNv(n, v));
    if (!body && trailers.empty()) {
      int32_t id = nghttp2_submit_request(session, nullptr, nv.data(), nv.size(), nullptr, this);
      streams[id];
      return id;
    }
    auto b = std::make_unique<ClientBody>();
    if (body) b->data = *body;
    b->trailers = std::move(trailers);
    nghttp2_data_provider prd;
    prd.source.ptr = b.get();
    prd.read_callback = &readBody;
    int32_t id = nghttp2_submit_request(session, nullptr, nv.data(), nv.size(), &prd, this);
    streams[id];
    bodies[id] = std::move(b);
    return id;
  }

  // Serialises what the client wants to send (plus `raw`).
  std::string output() {
    std::string out;
    for (;;) {
      const uint8_t* p;
      ssize_t n = nghttp2_session_mem_send(session, &p);
      if (n <= 0) break;
      out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
    }
    out += raw;
    raw.clear();
    return out;
  }
  void input(const char* p, size_t n) {
    nghttp2_session_mem_recv(session, reinterpret_cast<const uint8_t*>(p), n);
  }

  static nghttp2_nv makeNv(const std::string& n, const std::string& v) {
    return {(uint8_t*)n.data(), (uint8_t*)v.data(), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE};
  }

  nghttp2_session* session = nullptr;

 private:
  static bool extraHas(const std::vector<std::pair<std::string, std::string>>& e, const char* n) {
    for (auto& p : e)
      if (p.first == n) return true;
    return false;
  }
  static ClientPeer& self(void* u) { return *static_cast<ClientPeer*>(u); }
  static int onHeader(nghttp2_session*, const nghttp2_frame* f, const uint8_t* n, size_t nl,
                      const uint8_t* v, size_t vl, uint8_t, void* u) {
    auto& s = self(u).streams[f->hd.stream_id];
    std::string name(reinterpret_cast<const char*>(n), nl),
        value(reinterpret_cast<const char*>(v), vl);
    if (f->headers.cat == NGHTTP2_HCAT_HEADERS && s.status >= 200) {
      s.trailers.push_back({name, value});
      return 0;
    }
    if (name == ":status") {
      s.status = std::stoi(value);
      if (s.status < 200) s.informational++;
    }
    s.headers.push_back({name, value});
    return 0;
  }
  static int onFrame(nghttp2_session*, const nghttp2_frame* f, void* u) {
    ClientPeer& c = self(u);
    if (f->hd.type == NGHTTP2_GOAWAY) {
      c.goaways++;
      c.goaway_last = f->goaway.last_stream_id;
      c.goaway_code = f->goaway.error_code;
    } else if (f->hd.type == NGHTTP2_SETTINGS && (f->hd.flags & NGHTTP2_FLAG_ACK)) {
      c.settings_acks++;
    } else if (f->hd.type == NGHTTP2_PING && (f->hd.flags & NGHTTP2_FLAG_ACK)) {
      c.ping_acks++;
    } else if (f->hd.type == NGHTTP2_RST_STREAM) {
      c.streams[f->hd.stream_id].rst_received = true;
    }
    return 0;
  }
  static int onData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* d, size_t n, void* u) {
    self(u).streams[id].body.append(reinterpret_cast<const char*>(d), n);
    return 0;
  }
  static int onClose(nghttp2_session*, int32_t id, uint32_t code, void* u) {
    auto& s = self(u).streams[id];
    s.closed = true;
    s.close_code = code;
    return 0;
  }
  static ssize_t readBody(nghttp2_session* session, int32_t id, uint8_t* buf, size_t len,
                          uint32_t* flags, nghttp2_data_source* src, void*) {
    auto* b = static_cast<ClientBody*>(src->ptr);
    size_t n = std::min(len, b->data.size() - b->off);
    std::memcpy(buf, b->data.data() + b->off, n);
    b->off += n;
    if (b->off == b->data.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (!b->trailers.empty()) {
        std::vector<nghttp2_nv> nv;
        for (auto& [k, v] : b->trailers) nv.push_back(makeNv(k, v));
        nghttp2_submit_trailer(session, id, nv.data(), nv.size());
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      }
    }
    return static_cast<ssize_t>(n);
  }
};

// A server codec and a client wired together.
struct Pair {
  buffer::BufferPool pool;
  RecordingCallbacks cb;
  Limits limits;
  std::unique_ptr<Http2ServerCodec> server;
  ClientPeer client;
  buffer::Buffer out;
  Status last;           // last feed() status
  size_t to_client = 0;  // bytes the server produced so far

  explicit Pair(Limits l = Limits(), uint32_t client_window = 65535, bool client_auto = true,
                ClockFn clock = steadyNowMs)
      : limits(l), client(client_window, client_auto) {
    server = std::make_unique<Http2ServerCodec>(pool, cb, limits, true, clock);
  }
  ~Pair() {
    server.reset();
    out.release(pool);
  }

  // Moves bytes until quiet (or `rounds` exchanges). Returns the first failing feed status.
  Status pump(int rounds = 200) {
    for (int i = 0; i < rounds; ++i) {
      bool progress = false;
      std::string c2s = client.output();
      if (!c2s.empty()) {
        progress = true;
        Status st = server->feed(reinterpret_cast<const uint8_t*>(c2s.data()), c2s.size());
        if (!st.ok && last.ok) last = st;
      }
      while (server->wantsWrite()) {
        size_t n = server->flushTo(out);
        if (n == 0 && out.empty()) break;
        to_client += n;
        client.input(out.data(), out.size());
        out.consume(out.size());
        progress = true;
      }
      if (!progress) break;
    }
    return last;
  }

  // Sends raw bytes straight to the server (after whatever the client queued) and flushes the
  // server's answer to the client.
  Status feedRaw(const std::string& bytes) {
    client.raw += bytes;
    return pump(1);
  }

  void respond(int32_t id, int status, const std::string& body, bool trailers = false) {
    http::ResponseHead h;
    h.status = static_cast<uint16_t>(status);
    h.headers.add("content-type", "text/plain");
    const bool no_body = body.empty() && !trailers;
    ASSERT_TRUE(server->submitResponseHead(id, h, no_body).ok);
    if (no_body) return;
    ASSERT_TRUE(
        server
            ->submitResponseData(id,
                                 std::span<const uint8_t>(
                                     reinterpret_cast<const uint8_t*>(body.data()), body.size()),
                                 !trailers)
            .ok);
    if (trailers) {
      http::HeaderList t;
      t.add("grpc-status", "0");
      t.add("grpc-message", "ok");
      ASSERT_TRUE(server->submitTrailers(id, t).ok);
    }
  }
};

// One raw HTTP/2 frame.
inline std::string frame(uint8_t type, uint8_t flags, int32_t stream, const std::string& payload) {
  std::string f;
  const size_t n = payload.size();
  f.push_back(static_cast<char>(n >> 16));
  f.push_back(static_cast<char>(n >> 8));
  f.push_back(static_cast<char>(n));
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(flags));
  f.push_back(static_cast<char>((stream >> 24) & 0x7f));
  f.push_back(static_cast<char>(stream >> 16));
  f.push_back(static_cast<char>(stream >> 8));
  f.push_back(static_cast<char>(stream));
  return f + payload;
}

// HPACK for `:method GET, :scheme https, :path /, :authority a` using static-table indexes and
// a literal authority without indexing.
inline std::string simpleGetBlock() {
  std::string b;
  b.push_back(static_cast<char>(0x82));  // :method GET
  b.push_back(static_cast<char>(0x87));  // :scheme https
  b.push_back(static_cast<char>(0x84));  // :path /
  b.push_back(static_cast<char>(0x01));  // :authority, literal without indexing (index 1)
  b.push_back(static_cast<char>(0x01));
  b.push_back('a');
  return b;
}

}  // namespace portico::http2::test
