#pragma once
// One HTTP/2 stream of a downstream connection, seen by the HTTP/1 exchange path as a virtual
// connection (net::VirtualPeer): the request head and body are handed to a DownstreamConnection
// as HTTP/1.1 bytes, and the HTTP/1.1 response it writes is turned back into HEADERS, DATA and
// trailers for the codec. Flow control: request DATA opens the client's windows only as the
// exchange reads it (beyond a small buffer); the exchange's writes wait (EAGAIN) while the
// codec's queue for the stream is above its high mark. Thread: the connection's worker.
#include <cstdint>
#include <string>

#include "http/h1_bridge.h"
#include "http/message.h"
#include "net/transport.h"

namespace portico::proxy {
class DownstreamConnection;
}

namespace portico::proxy::h2 {

class H2Connection;
using http::bridge::BodyMode;
using http::bridge::BodyReader;

class H2Stream final : public net::VirtualPeer, private BodyReader::Sink {
 public:
  H2Stream(H2Connection& conn, int32_t id) : conn_(&conn), id_(id) {}

  // A fresh stream for `conn`, taken from the worker's pool when it has one (a recycled stream
  // keeps the memory of its buffers and header lists).
  static H2Stream* acquire(H2Connection& conn, int32_t id);
  // Gives a finished stream back to the pool (or frees it when the pool is full).
  static void release(H2Stream* s);

  // Starts the exchange for `head` (creates the DownstreamConnection). False when the head
  // could not be expressed; the stream was then answered or reset.
  bool start(const http::RequestHead& head, bool end_stream);
  // Lets the exchange begin (H2Connection calls it after the read that brought the head).
  void run();
  // Request body bytes and end from the codec.
  void onData(std::span<const uint8_t> data, bool end_stream);
  void onTrailers(const http::HeaderList& trailers);
  // The codec closed the stream (normally or by a reset): the exchange is aborted unless its
  // response was complete. After this the stream never touches the codec again.
  void onCodecClosed();
  // The codec's queue for this stream drained below its low mark.
  void onWritable();
  // The connection is going away: the exchange is aborted; the stream reports itself finished.
  void detach();

  int32_t id() const { return id_; }
  // True once both sides are finished: the owner may delete the stream.
  bool finished() const { return codec_closed_ && !exchange_; }

  ssize_t virtualRecv(char* p, size_t n) override;
  ssize_t virtualSend(const iovec* iov, int cnt) override;
  void virtualShutdownWrite() override;
  // Called by the DownstreamConnection as it closes; clean: its response was written whole.
  void virtualClose(bool clean) override;

 private:
  // Back to the state of a new stream, keeping buffer capacity. Every member below must be
  // reset here (a pooled stream must not carry anything of its previous exchange).
  void recycle();
  void onBodyData(std::span<const uint8_t> data) override;
  void onBodyEnd(const http::HeaderList* trailers) override;
  // Parses head_buf_ as far as it goes; false on a malformed response.
  bool parseHeads();
  void consumeWindow();
  // Tells the connection once that both sides are finished.
  void reportIfFinished();
  void endResponse();
  // Resets the stream (once) and aborts the exchange.
  void fail(uint32_t error_code);

  H2Connection* conn_;
  int32_t id_;
  DownstreamConnection* exchange_ = nullptr;
  bool codec_closed_ = false;
  bool reported_ = false;
  bool started_ = false;      // run() happened: the exchange hears about new bytes
  uint64_t body_wanted_ = 0;  // a small body to receive whole before run() (0 = none)
  uint64_t body_got_ = 0;
  // Request side.
  BodyMode mode_ = BodyMode::None;
  http::Method method_ = http::Method::Other;
  std::string req_;
  size_t req_off_ = 0;
  bool req_end_ = false;
  size_t unconsumed_ = 0;  // DATA bytes delivered whose window is not reopened yet
  bool discard_ = false;   // the exchange ended before the request: drop what still comes
  bool reset_asked_ = false;
  uint64_t discarded_ = 0;
  // Response side.
  enum class Resp : uint8_t { Head, Body, Done };
  Resp resp_ = Resp::Head;
  bool tunnel_ = false;
  std::string head_buf_;
  BodyReader body_;
  http::ResponseHead resp_head_;
};

}  // namespace portico::proxy::h2
