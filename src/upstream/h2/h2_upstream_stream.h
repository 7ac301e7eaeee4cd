#pragma once
// One exchange on an upstream HTTP/2 session, presented to the HTTP/1 exchange path as the
// byte stream of an UpstreamConnection (net::VirtualPeer): the HTTP/1.1 request it writes is
// parsed and submitted as a stream (with `te: trailers`, so gRPC servers accept it), and the
// response (HEADERS, DATA, trailers) is handed back as HTTP/1.1 bytes, chunked with trailers
// when the server gave no Content-Length. Windows reopen only as the exchange reads.
// Thread: the session's worker.
#include <cstdint>
#include <string>

#include "http/h1_bridge.h"
#include "http/message.h"
#include "net/transport.h"

namespace portico::upstream {

class H2Session;
class UpstreamConnection;

class H2UpstreamStream final : public net::VirtualPeer, private http::bridge::BodyReader::Sink {
 public:
  H2UpstreamStream(H2Session& session, UpstreamConnection& conn)
      : session_(&session), conn_(&conn) {}

  // The session is connected: the exchange may write.
  void onSessionReady();
  // A stream slot is free: submit the request now. False when the codec refused it.
  bool startNow();
  // From the session's codec callbacks.
  void onHead(http::ResponseHead&& head, bool end_stream);
  void onData(std::span<const uint8_t> data, bool end_stream);
  void onTrailers(const http::HeaderList& trailers);
  // The server reset the stream or the session failed. refused: never processed (safe to
  // retry elsewhere).
  void onReset(bool refused);
  void onClosed();
  // The session closed: the stream fails unless its response was complete.
  void onSessionGone();
  void onWritable();
  // Tells the exchange (through its UpstreamConnection's owner) that something changed; while
  // the session feeds its codec, after the feed.
  void notify();

  ssize_t virtualRecv(char* p, size_t n) override;
  ssize_t virtualSend(const iovec* iov, int cnt) override;
  void virtualShutdownWrite() override;
  // The exchange closed its UpstreamConnection: the stream is reset unless complete, and
  // deleted.
  void virtualClose(bool clean) override;

 private:
  void onBodyData(std::span<const uint8_t> data) override;
  void onBodyEnd(const http::HeaderList* trailers) override;
  bool parseHead();
  void consumeWindow();

  H2Session* session_;  // null once the session is gone
  UpstreamConnection* conn_;
  int32_t id_ = 0;
  enum class Req : uint8_t { Head, Waiting, Body, Done };
  Req req_ = Req::Head;
  std::string sendbuf_;  // request bytes held until the stream starts
  http::RequestHead head_;
  http::bridge::BodyReader body_;
  // Response, as HTTP/1.1 bytes for the exchange.
  std::string recvbuf_;
  size_t recv_off_ = 0;
  size_t unconsumed_ = 0;
  bool chunked_ = false;
  // Body bytes the final head's content-length still announces (-1: none announced, or a
  // response without a body). At 0 the response is complete even before END_STREAM, so the
  // exchange may end without the stream being cancelled.
  int64_t body_left_ = -1;
  bool resp_done_ = false;
  bool closed_ = false;  // the codec is done with the stream
};

}  // namespace portico::upstream
