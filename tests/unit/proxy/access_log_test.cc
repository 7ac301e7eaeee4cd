#include "proxy/access_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace portico::proxy {
namespace {

using Format = config::AccessLog::Format;

constexpr int64_t kWall = 1'700'000'000;  // 2023-11-14T22:13:20Z

// A non-blocking pipe; drain() returns everything written so far.
struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() { EXPECT_EQ(::pipe2(fd, O_NONBLOCK | O_CLOEXEC), 0); }
  ~Pipe() {
    ::close(fd[0]);
    ::close(fd[1]);
  }
  int writeFd() const { return fd[1]; }
  std::string drain() {
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd[0], buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
};

AccessRecord typical() {
  AccessRecord r;
  r.client_ip = "10.1.2.3";
  r.method = "GET";
  r.target = "/index.html?q=1";
  r.host = "www.example.com";
  r.user_agent = "curl/8.0";
  r.referer = "https://ref.example/";
  r.version_minor = 1;
  r.status = 200;
  r.bytes_sent = 1234;
  r.duration_ms = 7;
  r.cluster = "web";
  r.upstream_host = "127.0.0.1:9001";
  r.request_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  r.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  return r;
}

// Formats one record and returns the line written.
std::string oneLine(const AccessRecord& r, Format f, int64_t wall = kWall) {
  Pipe p;
  {
    AccessLog log;
    log.configure(p.writeFd(), f);
    log.log(r, wall);
    log.flush();
  }
  return p.drain();
}

bool validUtf8Ascii(const std::string& s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

TEST(AccessLog, JsonLineFields) {
  EXPECT_EQ(oneLine(typical(), Format::Json),
            "{\"time\":\"2023-11-14T22:13:20Z\",\"client\":\"10.1.2.3\",\"method\":\"GET\","
            "\"path\":\"/index.html?q=1\",\"host\":\"www.example.com\",\"protocol\":\"HTTP/1.1\","
            "\"status\":200,\"bytes\":1234,\"duration_ms\":7,\"upstream\":\"web\","
            "\"upstream_host\":\"127.0.0.1:9001\",\"user_agent\":\"curl/8.0\","
            "\"referer\":\"https://ref.example/\","
            "\"request_id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","
            "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}\n");
}

TEST(AccessLog, JsonEmptyFieldsAndHttp10) {
  AccessRecord r;
  r.client_ip = "::1";
  r.method = "GET";
  r.target = "/";
  r.version_minor = 0;
  r.status = 404;
  EXPECT_EQ(oneLine(r, Format::Json, 0),
            "{\"time\":\"1970-01-01T00:00:00Z\",\"client\":\"::1\",\"method\":\"GET\","
            "\"path\":\"/\",\"host\":\"\",\"protocol\":\"HTTP/1.0\",\"status\":404,\"bytes\":0,"
            "\"duration_ms\":0,\"upstream\":\"\",\"upstream_host\":\"\",\"user_agent\":\"\","
            "\"referer\":\"\",\"request_id\":\"\",\"trace_id\":\"\"}\n");
}

TEST(AccessLog, JsonEscaping) {
  AccessRecord r = typical();
  r.user_agent = "a\"b\\c";
  r.target = "/x\ny\tz\x01\x1f\x7f";
  r.referer = "caf\xc3\xa9 \xff";  // UTF-8 é and a stray byte
  std::string line = oneLine(r, Format::Json);
  EXPECT_NE(line.find("\"user_agent\":\"a\\\"b\\\\c\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"path\":\"/x\\u000ay\\u0009z\\u0001\\u001f\\u007f\""), std::string::npos)
      << line;
  EXPECT_NE(line.find("\"referer\":\"caf\\u00c3\\u00a9 \\u00ff\""), std::string::npos) << line;
  // One line, valid UTF-8 (all ASCII), no raw control bytes.
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_TRUE(validUtf8Ascii(line));
  for (size_t i = 0; i + 1 < line.size(); ++i)
    EXPECT_GE(static_cast<unsigned char>(line[i]), 0x20) << "raw control byte at " << i;
}

TEST(AccessLog, AppendJsonEscapedAllBytes) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  std::string out;
  appendJsonEscaped(out, all);
  EXPECT_TRUE(validUtf8Ascii(out));
  size_t escapes = 0;
  for (size_t i = 0; i < out.size(); ++i)
    if (out.compare(i, 4, "\\u00") == 0) ++escapes;
  EXPECT_EQ(escapes, 0x20u + 0x81u);  // 0x00-0x1f and 0x7f-0xff
  EXPECT_NE(out.find("\\\""), std::string::npos);
  EXPECT_NE(out.find("\\\\"), std::string::npos);
  EXPECT_NE(out.find(" !"), std::string::npos);
  EXPECT_NE(out.find("xyz{|}~"), std::string::npos);
}

TEST(AccessLog, AppendJsonEscapedAppends) {
  std::string out = "prefix:";
  appendJsonEscaped(out, "plain");
  EXPECT_EQ(out, "prefix:plain");
}

TEST(AccessLog, CombinedLine) {
  EXPECT_EQ(oneLine(typical(), Format::Combined),
            "10.1.2.3 - - [14/Nov/2023:22:13:20 +0000] \"GET /index.html?q=1 HTTP/1.1\" 200 1234 "
            "\"https://ref.example/\" \"curl/8.0\"\n");
}

TEST(AccessLog, CombinedEmptyFieldsAndEscapes) {
  AccessRecord r = typical();
  r.referer = "";
  r.user_agent = "say \"hi\"\\\n";
  r.version_minor = 0;
  r.status = 502;
  r.bytes_sent = 0;
  EXPECT_EQ(oneLine(r, Format::Combined, 0),
            "10.1.2.3 - - [01/Jan/1970:00:00:00 +0000] \"GET /index.html?q=1 HTTP/1.0\" 502 0 "
            "\"-\" \"say \\x22hi\\x22\\x5c\\x0a\"\n");
}

TEST(AccessLog, TimeRefreshedWhenTheSecondChanges) {
  Pipe p;
  {
    AccessLog log;
    log.configure(p.writeFd(), Format::Json);
    log.log(typical(), kWall);
    log.log(typical(), kWall);
    log.log(typical(), kWall + 61);
    log.flush();
  }
  std::string out = p.drain();
  size_t a = out.find("2023-11-14T22:13:20Z");
  ASSERT_NE(a, std::string::npos);
  EXPECT_NE(out.find("2023-11-14T22:13:20Z", a + 1), std::string::npos);
  EXPECT_NE(out.find("2023-11-14T22:14:21Z"), std::string::npos);
}

TEST(AccessLog, BuffersUntil32KiB) {
  const std::string line = oneLine(typical(), Format::Json);
  ASSERT_FALSE(line.empty());
  const size_t per_flush = (32 * 1024 + line.size() - 1) / line.size();  // lines to reach 32 KiB
  Pipe p;
  AccessLog log;
  log.configure(p.writeFd(), Format::Json);
  EXPECT_TRUE(log.enabled());
  for (size_t i = 1; i < per_flush; ++i) {
    log.log(typical(), kWall);
    ASSERT_EQ(p.drain(), "") << "written early after " << i << " lines";
  }
  log.log(typical(), kWall);  // crosses 32 KiB
  std::string out = p.drain();
  EXPECT_EQ(out.size(), per_flush * line.size());
  EXPECT_GE(out.size(), 32u * 1024);
  EXPECT_EQ(out.substr(0, line.size()), line);
  // The buffer starts over.
  log.log(typical(), kWall);
  EXPECT_EQ(p.drain(), "");
  log.flush();
  EXPECT_EQ(p.drain(), line);
  log.flush();  // nothing pending: nothing written
  EXPECT_EQ(p.drain(), "");
  log.configure(-1, Format::Json);
}

TEST(AccessLog, DisabledWritesNothing) {
  Pipe p;
  AccessLog log;
  EXPECT_FALSE(log.enabled());
  log.log(typical(), kWall);
  log.flush();
  log.configure(p.writeFd(), Format::Combined);
  log.flush();
  EXPECT_EQ(p.drain(), "");
  log.configure(-1, Format::Combined);
  EXPECT_FALSE(log.enabled());
  log.log(typical(), kWall);
  log.flush();
  EXPECT_EQ(p.drain(), "");
}

TEST(AccessLog, ReconfigureFlushesToTheOldFd) {
  Pipe a, b;
  AccessLog log;
  log.configure(a.writeFd(), Format::Combined);
  log.log(typical(), kWall);
  log.configure(b.writeFd(), Format::Combined);
  EXPECT_EQ(a.drain(), oneLine(typical(), Format::Combined));
  log.log(typical(), kWall);
  log.flush();
  EXPECT_EQ(b.drain(), oneLine(typical(), Format::Combined));
  log.configure(-1, Format::Combined);
}

TEST(AccessLog, DestructorFlushes) {
  Pipe p;
  {
    AccessLog log;
    log.configure(p.writeFd(), Format::Json);
    log.log(typical(), kWall);
  }
  EXPECT_EQ(p.drain(), oneLine(typical(), Format::Json));
}

TEST(AccessLog, WritesToAFile) {
  char path[] = "/tmp/portico_access_log_test_XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  {
    AccessLog log;
    log.configure(fd, Format::Combined);
    for (int i = 0; i < 3; ++i) log.log(typical(), kWall);
  }
  std::string content;
  char buf[4096];
  ASSERT_EQ(::lseek(fd, 0, SEEK_SET), 0);
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
    content.append(buf, static_cast<size_t>(n));
  ::close(fd);
  ::unlink(path);
  const std::string line = oneLine(typical(), Format::Combined);
  EXPECT_EQ(content, line + line + line);
}

}  // namespace
}  // namespace portico::proxy
