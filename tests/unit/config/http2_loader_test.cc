// The HTTP/2 keys of the config: listener `http2:` (and ALPN h2), cluster `protocol:`.
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "config_test_util.h"

namespace portico::config {
namespace {

using portico::config::testing::errorOf;
using portico::config::testing::yamlWith;

const char* kTls = "    tls: { certificates: [ { cert: a.pem, key: a.key } ] }\n";

TEST(Http2Loader, OffByDefault) {
  auto c = loadConfigText(yamlWith(""), "t.yaml");
  EXPECT_FALSE(c->listeners[0].http2.enabled);
  EXPECT_EQ(c->clusters[0].protocol, Cluster::Protocol::Http1);
  c = loadConfigText(yamlWith(kTls), "t.yaml");
  EXPECT_FALSE(c->listeners[0].http2.enabled);
  EXPECT_EQ(c->listeners[0].tls.alpn, std::vector<std::string>{"http/1.1"});
}

TEST(Http2Loader, TrueOnPlainAndTls) {
  auto c = loadConfigText(yamlWith("    http2: true\n"), "t.yaml");
  EXPECT_TRUE(c->listeners[0].http2.enabled);
  EXPECT_EQ(c->listeners[0].http2.max_concurrent_streams, 128u);
  // On TLS, h2 is offered first unless tls.alpn says otherwise.
  c = loadConfigText(yamlWith(std::string(kTls) + "    http2: true\n"), "t.yaml");
  EXPECT_EQ(c->listeners[0].tls.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  c = loadConfigText(
      yamlWith("    tls: { certificates: [ { cert: a.pem, key: a.key } ], alpn: [http/1.1, h2] }\n"
               "    http2: true\n"),
      "t.yaml");
  EXPECT_EQ(c->listeners[0].tls.alpn, (std::vector<std::string>{"http/1.1", "h2"}));
  // Listing h2 in alpn is enough.
  c = loadConfigText(
      yamlWith("    tls: { certificates: [ { cert: a.pem, key: a.key } ], alpn: [h2] }\n"),
      "t.yaml");
  EXPECT_TRUE(c->listeners[0].http2.enabled);
}

TEST(Http2Loader, Limits) {
  auto c = loadConfigText(yamlWith("    http2: { max_concurrent_streams: 10, initial_window_size: "
                                   "65535, max_header_list_size: 8192, max_frame_size: 32768, "
                                   "zero_window_timeout: 5s }\n"),
                          "t.yaml");
  const ListenerHttp2& h = c->listeners[0].http2;
  EXPECT_TRUE(h.enabled);
  EXPECT_EQ(h.max_concurrent_streams, 10u);
  EXPECT_EQ(h.initial_window_size, 65535u);
  EXPECT_EQ(h.max_header_list_size, 8192u);
  EXPECT_EQ(h.max_frame_size, 32768u);
  EXPECT_EQ(h.zero_window_timeout_ms, 5000u);
}

TEST(Http2Loader, Errors) {
  EXPECT_EQ(errorOf(yamlWith("    http2: yes\n")),
            "t.yaml:3:12: listeners[0].http2: expected true or false, got 'yes'");
  EXPECT_EQ(errorOf(yamlWith("    http2: { max_frame_size: 100 }\n")),
            "t.yaml:3:30: listeners[0].http2.max_frame_size: must be at least 16384");
  EXPECT_EQ(errorOf(yamlWith("    http2: { max_streams: 1 }\n")),
            "t.yaml:3:14: listeners[0].http2.max_streams: unknown key 'max_streams' (valid keys: "
            "max_concurrent_streams, initial_window_size, max_header_list_size, max_frame_size, "
            "zero_window_timeout)");
  EXPECT_EQ(
      errorOf(yamlWith("", "    protocol: http2\n")),
      "t.yaml:8:15: clusters[0].protocol: invalid value 'http2', expected one of http1, h2, auto "
      "(did you mean 'http1'?)");
}

TEST(Http2Loader, ClusterProtocolAuto) {
  auto c = loadConfigText(yamlWith("", "    tls: {}\n    protocol: auto\n"), "t.yaml");
  EXPECT_EQ(c->clusters[0].protocol, Cluster::Protocol::Auto);
  EXPECT_EQ(c->clusters[0].tls.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(errorOf(yamlWith("", "    protocol: auto\n")),
            "t.yaml:8:15: clusters[0].protocol: auto picks the protocol by TLS ALPN: it needs tls "
            "(for h2c use h2)");
}

TEST(Http2Loader, ClusterProtocol) {
  auto c = loadConfigText(yamlWith("", "    protocol: h2\n"), "t.yaml");
  EXPECT_EQ(c->clusters[0].protocol, Cluster::Protocol::H2);
  c = loadConfigText(yamlWith("", "    tls: {}\n    protocol: h2\n"), "t.yaml");
  EXPECT_EQ(c->clusters[0].tls.alpn, std::vector<std::string>{"h2"});
}

}  // namespace
}  // namespace portico::config
