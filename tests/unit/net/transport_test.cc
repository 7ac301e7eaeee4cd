// Transport over TLS: records written by sendv, and when a short read may end a read loop.
#include "net/transport.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <string>
#include <vector>

#include "../tls/test_pki.h"

namespace portico::net {
namespace {

using tls::SslCtxPtr;
using tls::SslPtr;

// A server Transport on one end of a socket pair and a plain OpenSSL client on the other. The
// client reads its socket itself (into a memory BIO), so the test sees every record on the wire.
class TlsPair : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds_), 0);
    tls::EvpPkeyPtr key = tls::testing::makeEcKey();
    tls::X509Ptr cert =
        tls::testing::makeCert("t.test", "DNS:t.test", key.get(), nullptr, nullptr, false, 7);
    sctx_.reset(SSL_CTX_new(TLS_server_method()));
    SSL_CTX_use_certificate(sctx_.get(), cert.get());
    SSL_CTX_use_PrivateKey(sctx_.get(), key.get());
    SSL_CTX_set_read_ahead(sctx_.get(), 1);  // as the listeners' contexts
    SSL_CTX_set_num_tickets(sctx_.get(), 0);
    SSL* s = SSL_new(sctx_.get());
    SSL_set_accept_state(s);
    ASSERT_TRUE(server_.attachTls(s, fds_[0]));

    cctx_.reset(SSL_CTX_new(TLS_client_method()));
    client_.reset(SSL_new(cctx_.get()));
    SSL_set_connect_state(client_.get());
    client_in_ = BIO_new(BIO_s_mem());
    SSL_set_bio(client_.get(), client_in_, BIO_new_socket(fds_[1], BIO_NOCLOSE));

    bool server_done = false, client_done = false;
    for (int i = 0; i < 100 && !(server_done && client_done); ++i) {
      if (!client_done) {
        const int rc = SSL_do_handshake(client_.get());
        client_done = rc == 1;
        if (!client_done) {
          ASSERT_EQ(SSL_get_error(client_.get(), rc), SSL_ERROR_WANT_READ);
        }
      }
      if (!server_done) {
        bool want_write = false;
        const char* error = nullptr;
        const int rc = server_.handshake(want_write, error);
        ASSERT_GE(rc, 0) << error;
        server_done = rc == 1;
      }
      pumpClient();
    }
    ASSERT_TRUE(server_done && client_done);
    wire_.clear();
  }

  void TearDown() override {
    server_.reset();
    ::close(fds_[0]);
    ::close(fds_[1]);
  }

  // Moves what the client's socket holds into its memory BIO (and wire_).
  void pumpClient() {
    char buf[65536];
    for (;;) {
      const ssize_t n = ::recv(fds_[1], buf, sizeof buf, 0);
      if (n <= 0) return;
      wire_.append(buf, static_cast<size_t>(n));
      BIO_write(client_in_, buf, static_cast<int>(n));
    }
  }

  // The payload lengths of the records the client has seen since the handshake.
  std::vector<size_t> records() const {
    std::vector<size_t> out;
    size_t at = 0;
    while (at + 5 <= wire_.size()) {
      const size_t len =
          (static_cast<uint8_t>(wire_[at + 3]) << 8) | static_cast<uint8_t>(wire_[at + 4]);
      out.push_back(len);
      at += 5 + len;
    }
    return out;
  }

  // Everything the client can decrypt now.
  std::string clientRead() {
    pumpClient();
    std::string got;
    char buf[65536];
    size_t n = 0;
    while (SSL_read_ex(client_.get(), buf, sizeof buf, &n) == 1) got.append(buf, n);
    ERR_clear_error();
    return got;
  }

  // The client sends `data` as one record per call.
  void clientWrite(const std::string& data) {
    size_t put = 0;
    ASSERT_EQ(SSL_write_ex(client_.get(), data.data(), data.size(), &put), 1);
    ASSERT_EQ(put, data.size());
  }

  // Nothing is left to read: the socket is empty and OpenSSL holds no bytes.
  bool serverEmpty() {
    char c;
    const ssize_t n = ::recv(fds_[0], &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && errno == EAGAIN && SSL_has_pending(server_.ssl()) == 0;
  }

  int fds_[2] = {-1, -1};
  SslCtxPtr sctx_, cctx_;
  SslPtr client_;
  BIO* client_in_ = nullptr;  // owned by client_
  Transport server_;
  std::string wire_;
};

TEST_F(TlsPair, SendvPutsSmallPiecesInOneRecord) {
  const std::string head = "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n";
  const std::string body = "hello";
  iovec iov[2] = {{const_cast<char*>(head.data()), head.size()},
                  {const_cast<char*>(body.data()), body.size()}};
  ASSERT_EQ(server_.sendv(fds_[0], iov, 2), static_cast<ssize_t>(head.size() + body.size()));
  EXPECT_EQ(clientRead(), head + body);
  EXPECT_EQ(records().size(), 1u);
}

TEST_F(TlsPair, SendvFillsRecordsAcrossPieces) {
  const std::string a(100, 'a'), b(40000, 'b'), c(30, 'c');
  iovec iov[3] = {{const_cast<char*>(a.data()), a.size()},
                  {const_cast<char*>(b.data()), b.size()},
                  {const_cast<char*>(c.data()), c.size()}};
  ASSERT_EQ(server_.sendv(fds_[0], iov, 3), static_cast<ssize_t>(40130));
  EXPECT_EQ(clientRead(), a + b + c);
  // a + 16284 bytes of b copied together, 16384 of b in place, b's last 7332 bytes with c.
  const std::vector<size_t> lens = records();
  ASSERT_EQ(lens.size(), 3u);
  EXPECT_EQ(lens[0], lens[1]);  // full records (16384 + the AEAD tag and content type)
  EXPECT_EQ(lens[0] - lens[2], 16384u - 7362u);
}

TEST_F(TlsPair, ShortReadOfOneRecordDrains) {
  clientWrite("ping");
  char buf[65536];
  ASSERT_EQ(server_.recv(fds_[0], buf, sizeof buf), 4);
  EXPECT_TRUE(server_.shortReadDrains());
  EXPECT_TRUE(serverEmpty());
}

TEST_F(TlsPair, RecordsOpenSslHoldsAreNotDrained) {
  clientWrite(std::string(100, 'x'));
  clientWrite(std::string(100, 'y'));
  char buf[65536];
  ASSERT_EQ(server_.recv(fds_[0], buf, sizeof buf), 100);  // one record per SSL_read
  EXPECT_FALSE(server_.shortReadDrains());                 // the second is in OpenSSL
  ASSERT_EQ(server_.recv(fds_[0], buf, sizeof buf), 100);
  EXPECT_TRUE(server_.shortReadDrains());  // served from the buffer the short read filled
  EXPECT_TRUE(serverEmpty());
}

TEST_F(TlsPair, FullSocketReadIsNotDrained) {
  const std::string big(65536, 'z');
  clientWrite(big);
  char buf[65536];
  const ssize_t n = server_.recv(fds_[0], buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_LT(n, 65536);
  EXPECT_FALSE(server_.shortReadDrains());
  EXPECT_FALSE(serverEmpty());
}

// Whatever the record sizes and read sizes, a reader that stops at a short read reported as
// draining never leaves bytes behind.
TEST_F(TlsPair, DrainedVerdictNeverStrandsBytes) {
  std::mt19937 rng(12345);
  std::string sent, got;
  char buf[70000];
  for (int round = 0; round < 300; ++round) {
    const int records = std::uniform_int_distribution<int>(1, 4)(rng);
    for (int r = 0; r < records; ++r) {
      std::string data(std::uniform_int_distribution<size_t>(1, 20000)(rng),
                       static_cast<char>('a' + (round + r) % 26));
      clientWrite(data);
      sent += data;
    }
    // Read as an edge-triggered reader does until it would wait for the next event.
    for (;;) {
      const size_t space = std::uniform_int_distribution<size_t>(1, sizeof buf)(rng);
      const ssize_t n = server_.recv(fds_[0], buf, space);
      if (n < 0) {
        ASSERT_EQ(errno, EAGAIN);
        break;
      }
      ASSERT_GT(n, 0);
      got.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < space && server_.shortReadDrains()) {
        ASSERT_TRUE(serverEmpty()) << "round " << round;
        break;
      }
    }
    ASSERT_EQ(got.size(), sent.size()) << "round " << round;
  }
  EXPECT_EQ(got, sent);
}

}  // namespace
}  // namespace portico::net
