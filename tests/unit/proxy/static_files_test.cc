#include "proxy/static_files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace portico::proxy::static_files {
namespace {

// The decoded path of `raw`, or "<invalid>" / "<too long>".
std::string decoded(std::string_view raw, bool* slash = nullptr) {
  FilePath fp;
  switch (decodePath(raw, fp)) {
    case PathResult::Ok:
      if (slash) *slash = fp.trailing_slash;
      EXPECT_EQ(fp.buf[fp.len], '\0');
      return std::string(fp.view());
    case PathResult::Invalid:
      return "<invalid>";
    case PathResult::TooLong:
      return "<too long>";
  }
  return "?";
}

TEST(StaticPath, DecodesAndNormalises) {
  bool slash = false;
  EXPECT_EQ(decoded("/", &slash), "");
  EXPECT_TRUE(slash);
  EXPECT_EQ(decoded("", &slash), "");
  EXPECT_FALSE(slash);
  EXPECT_EQ(decoded("/a/b.txt", &slash), "a/b.txt");
  EXPECT_FALSE(slash);
  EXPECT_EQ(decoded("/dir/", &slash), "dir");
  EXPECT_TRUE(slash);
  EXPECT_EQ(decoded("//a///./b/."), "a/b");
  EXPECT_EQ(decoded("x/y"), "x/y");  // a remainder after a stripped prefix
  EXPECT_EQ(decoded("/hello%20world.txt"), "hello world.txt");
  EXPECT_EQ(decoded("/%41%62c"), "Abc");
  EXPECT_EQ(decoded("/caf%C3%A9"), "caf\xC3\xA9");
  EXPECT_EQ(decoded("/..."), "...");
  EXPECT_EQ(decoded("/a..b/..c/d.."), "a..b/..c/d..");
  EXPECT_EQ(decoded("/back\\slash"), "back\\slash");  // a literal '\' is a name byte on Linux
}

TEST(StaticPath, RefusesEscapesAndBadEncoding) {
  for (std::string_view bad : {"/..",       "/../etc/passwd", "/a/../b", "/a/..",   "..",
                               "/%2e%2e/x", "/%2E%2E",        "/.%2e/x", "/%2e./x", "/a%2Fb",
                               "/a%2fb",    "/%2F",           "/a%5Cb",  "/a%5c..", "/a%00b",
                               "/%",        "/a%2",           "/a%zz",   "/a%2/b",  "/a%g0"}) {
    EXPECT_EQ(decoded(bad), "<invalid>") << bad;
  }
}

TEST(StaticPath, DecodesOnce) {
  // Double encoding: %252e%252e is the literal name "%2e%2e", never "..".
  EXPECT_EQ(decoded("/%252e%252e/x"), "%2e%2e/x");
  EXPECT_EQ(decoded("/a%252Fb"), "a%2Fb");
}

TEST(StaticPath, TooLong) {
  std::string long_path = "/" + std::string(FilePath::kMax + 10, 'a');
  EXPECT_EQ(decoded(long_path), "<too long>");
}

TEST(StaticPath, Append) {
  FilePath fp;
  ASSERT_EQ(decodePath("/", fp), PathResult::Ok);
  ASSERT_TRUE(fp.append("index.html"));
  EXPECT_EQ(fp.view(), "index.html");
  ASSERT_EQ(decodePath("/d/", fp), PathResult::Ok);
  ASSERT_TRUE(fp.append("index.html"));
  EXPECT_EQ(fp.view(), "d/index.html");
  EXPECT_FALSE(fp.append(std::string(FilePath::kMax, 'x')));
}

TEST(StaticEtag, FormatLikeNginx) {
  char buf[kEtagMax];
  Validators v{0x1234, 0x5f5e1000};
  EXPECT_EQ(std::string_view(buf, formatEtag(v, buf)), "\"5f5e1000-1234\"");
  v = {0, 0};
  EXPECT_EQ(std::string_view(buf, formatEtag(v, buf)), "\"0-0\"");
  v = {UINT64_MAX, INT64_MAX};
  EXPECT_EQ(std::string_view(buf, formatEtag(v, buf)), "\"7fffffffffffffff-ffffffffffffffff\"");
}

TEST(StaticDate, FormatAndParse) {
  char buf[kHttpDateLen];
  formatHttpDate(784111777, buf);
  EXPECT_EQ(std::string_view(buf, kHttpDateLen), "Sun, 06 Nov 1994 08:49:37 GMT");
  formatHttpDate(0, buf);
  EXPECT_EQ(std::string_view(buf, kHttpDateLen), "Thu, 01 Jan 1970 00:00:00 GMT");
  int64_t t = 0;
  ASSERT_TRUE(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT", t));
  EXPECT_EQ(t, 784111777);
  ASSERT_TRUE(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", t));
  EXPECT_EQ(t, 784111777);
  ASSERT_TRUE(parseHttpDate("Sun Nov  6 08:49:37 1994", t));
  EXPECT_EQ(t, 784111777);
  ASSERT_TRUE(parseHttpDate("Wed, 01 Jan 2025 00:00:00 GMT", t));
  EXPECT_EQ(t, 1735689600);
  for (std::string_view bad : {"", "yesterday", "Sun, 06 Nov 1994 08:49:37", "Sun, 6 Nov 1994",
                               "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT",
                               "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMTx",
                               "1994-11-06T08:49:37Z"}) {
    EXPECT_FALSE(parseHttpDate(bad, t)) << bad;
  }
}

TEST(StaticConditional, EtagLists) {
  const std::string_view tag = "\"5f-10\"";
  EXPECT_TRUE(etagListMatches("\"5f-10\"", tag, true));
  EXPECT_TRUE(etagListMatches("*", tag, true));
  EXPECT_TRUE(etagListMatches(" \"a\" , W/\"5f-10\"", tag, true));
  EXPECT_FALSE(etagListMatches("W/\"5f-10\"", tag, false));  // strong comparison
  EXPECT_TRUE(etagListMatches("\"a\",\"5f-10\"", tag, false));
  EXPECT_FALSE(etagListMatches("\"5f-11\"", tag, true));
  EXPECT_FALSE(etagListMatches("5f-10", tag, true));  // unquoted: malformed
  EXPECT_FALSE(etagListMatches("\"5f-10", tag, true));
  EXPECT_FALSE(etagListMatches("", tag, true));
}

TEST(StaticConditional, Preconditions) {
  const std::string_view tag = "\"64-a\"";
  const int64_t mtime = 100;
  char later[kHttpDateLen], earlier[kHttpDateLen], same[kHttpDateLen];
  formatHttpDate(200, later);
  formatHttpDate(50, earlier);
  formatHttpDate(100, same);
  const std::string_view later_v(later, kHttpDateLen), earlier_v(earlier, kHttpDateLen),
      same_v(same, kHttpDateLen);
  auto eval = [&](Conditions c) { return evaluatePreconditions(c, tag, mtime); };
  EXPECT_EQ(eval({}), Precondition::Proceed);
  EXPECT_EQ(eval({.if_none_match = "\"64-a\""}), Precondition::NotModified);
  EXPECT_EQ(eval({.if_none_match = "W/\"64-a\""}), Precondition::NotModified);
  EXPECT_EQ(eval({.if_none_match = "*"}), Precondition::NotModified);
  EXPECT_EQ(eval({.if_none_match = "\"other\""}), Precondition::Proceed);
  EXPECT_EQ(eval({.if_modified_since = same_v}), Precondition::NotModified);
  EXPECT_EQ(eval({.if_modified_since = later_v}), Precondition::NotModified);
  EXPECT_EQ(eval({.if_modified_since = earlier_v}), Precondition::Proceed);
  EXPECT_EQ(eval({.if_modified_since = "garbage"}), Precondition::Proceed);
  // If-None-Match present: If-Modified-Since is ignored.
  EXPECT_EQ(eval({.if_none_match = "\"other\"", .if_modified_since = later_v}),
            Precondition::Proceed);
  EXPECT_EQ(eval({.if_match = "\"64-a\""}), Precondition::Proceed);
  EXPECT_EQ(eval({.if_match = "*"}), Precondition::Proceed);
  EXPECT_EQ(eval({.if_match = "\"other\""}), Precondition::Failed);
  EXPECT_EQ(eval({.if_match = "W/\"64-a\""}), Precondition::Failed);
  EXPECT_EQ(eval({.if_unmodified_since = earlier_v}), Precondition::Failed);
  EXPECT_EQ(eval({.if_unmodified_since = same_v}), Precondition::Proceed);
  // If-Match present: If-Unmodified-Since is ignored.
  EXPECT_EQ(eval({.if_match = "\"64-a\"", .if_unmodified_since = earlier_v}),
            Precondition::Proceed);
}

TEST(StaticConditional, IfRange) {
  const std::string_view tag = "\"64-a\"";
  char same[kHttpDateLen], other[kHttpDateLen];
  formatHttpDate(100, same);
  formatHttpDate(101, other);
  EXPECT_TRUE(ifRangeAllows("\"64-a\"", tag, 100));
  EXPECT_FALSE(ifRangeAllows("\"64-b\"", tag, 100));
  EXPECT_FALSE(ifRangeAllows("W/\"64-a\"", tag, 100));
  EXPECT_TRUE(ifRangeAllows(std::string_view(same, kHttpDateLen), tag, 100));
  EXPECT_FALSE(ifRangeAllows(std::string_view(other, kHttpDateLen), tag, 100));
  EXPECT_FALSE(ifRangeAllows("nonsense", tag, 100));
}

// "first-last", "whole", or "416".
std::string range(std::string_view v, uint64_t size) {
  ByteRange r;
  switch (parseRange(v, size, r)) {
    case RangeResult::Whole:
      return "whole";
    case RangeResult::Unsatisfiable:
      return "416";
    case RangeResult::Partial:
      return std::to_string(r.first) + "-" + std::to_string(r.last);
  }
  return "?";
}

TEST(StaticRange, Forms) {
  EXPECT_EQ(range("bytes=0-99", 1000), "0-99");
  EXPECT_EQ(range("bytes=100-", 1000), "100-999");
  EXPECT_EQ(range("bytes=-100", 1000), "900-999");
  EXPECT_EQ(range("bytes=-5000", 1000), "0-999");
  EXPECT_EQ(range("bytes=990-5000", 1000), "990-999");
  EXPECT_EQ(range("bytes=999-999", 1000), "999-999");
  EXPECT_EQ(range("BYTES=1-2", 1000), "1-2");
  EXPECT_EQ(range(" bytes=1-2 ", 1000), "1-2");
  EXPECT_EQ(range("bytes= 1-2 ,", 1000), "1-2");  // empty list elements are allowed
  EXPECT_EQ(range("bytes=0-99999999999999999999999", 1000), "0-999");  // saturates
}

TEST(StaticRange, Unsatisfiable) {
  EXPECT_EQ(range("bytes=1000-", 1000), "416");
  EXPECT_EQ(range("bytes=1000-2000", 1000), "416");
  EXPECT_EQ(range("bytes=-0", 1000), "416");
  EXPECT_EQ(range("bytes=99999999999999999999999-", 1000), "416");
}

TEST(StaticRange, IgnoredServesWhole) {
  for (std::string_view v :
       {"", "bytes=", "bytes=abc", "bytes=5-1", "bytes=1-2-3", "bytes=--1", "bytes=-", "bytes=1",
        "items=0-1", "bytes 0-1", "bytes=0-1,5-6", "bytes=0-1, -1", "bytes=+1-2"}) {
    EXPECT_EQ(range(v, 1000), "whole") << v;
  }
  EXPECT_EQ(range("bytes=0-", 0), "whole");  // an empty file has no ranges
}

TEST(StaticContentType, ByExtension) {
  EXPECT_EQ(contentType("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(contentType("a/b/PAGE.HTM"), "text/html; charset=utf-8");
  EXPECT_EQ(contentType("s.css"), "text/css; charset=utf-8");
  EXPECT_EQ(contentType("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(contentType("m.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(contentType("d.json"), "application/json");
  EXPECT_EQ(contentType("r.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(contentType("i.svg"), "image/svg+xml");
  EXPECT_EQ(contentType("i.png"), "image/png");
  EXPECT_EQ(contentType("i.jpg"), "image/jpeg");
  EXPECT_EQ(contentType("i.JPEG"), "image/jpeg");
  EXPECT_EQ(contentType("i.gif"), "image/gif");
  EXPECT_EQ(contentType("i.webp"), "image/webp");
  EXPECT_EQ(contentType("favicon.ico"), "image/x-icon");
  EXPECT_EQ(contentType("f.woff"), "font/woff");
  EXPECT_EQ(contentType("f.woff2"), "font/woff2");
  EXPECT_EQ(contentType("m.wasm"), "application/wasm");
  EXPECT_EQ(contentType("d.pdf"), "application/pdf");
  EXPECT_EQ(contentType("f.xml"), "application/xml");
  EXPECT_EQ(contentType("v.mp4"), "video/mp4");
  EXPECT_EQ(contentType("archive.tar.gz"), "application/octet-stream");
  EXPECT_EQ(contentType("README"), "application/octet-stream");
  EXPECT_EQ(contentType(".html"), "application/octet-stream");  // a dot file, no extension
  EXPECT_EQ(contentType("dir.html/file"), "application/octet-stream");
  EXPECT_EQ(contentType("x.verylongextension"), "application/octet-stream");
}

std::string head(const FileHead& h) {
  char buf[2048];
  HeadWriter w{buf, buf + sizeof buf};
  writeFileHead(h, w);
  EXPECT_FALSE(w.overflow);
  return std::string(buf, w.written(buf));
}

TEST(StaticHead, FullPartialNotModified) {
  FileHead h;
  h.file = {1000, 784111777};
  h.content_type = "text/plain; charset=utf-8";
  h.now_s = 784111777;
  h.max_age_s = 3600;
  h.extra = "X-Request-ID: abc\r\n";
  EXPECT_EQ(head(h),
            "HTTP/1.1 200 OK\r\nServer: portico\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 1000\r\n"
            "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nETag: \"2ebc98a1-3e8\"\r\n"
            "Accept-Ranges: bytes\r\nCache-Control: max-age=3600\r\nX-Request-ID: abc\r\n\r\n");
  EXPECT_EQ(bodyLength(h), 1000u);
  h.status = 206;
  h.range = {10, 19};
  h.max_age_s = -1;
  h.close = true;
  const std::string partial = head(h);
  EXPECT_NE(partial.find("HTTP/1.1 206 Partial Content\r\n"), std::string::npos);
  EXPECT_NE(partial.find("Content-Length: 10\r\n"), std::string::npos);
  EXPECT_NE(partial.find("Content-Range: bytes 10-19/1000\r\n"), std::string::npos);
  EXPECT_NE(partial.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(partial.find("Cache-Control"), std::string::npos);
  EXPECT_EQ(bodyLength(h), 10u);
  h.status = 304;
  h.close = false;
  h.keep_alive_http10 = true;
  h.server_header = false;
  const std::string nm = head(h);
  EXPECT_NE(nm.find("HTTP/1.1 304 Not Modified\r\n"), std::string::npos);
  EXPECT_EQ(nm.find("Content-Length"), std::string::npos);
  EXPECT_EQ(nm.find("Content-Type"), std::string::npos);
  EXPECT_EQ(nm.find("Server:"), std::string::npos);
  EXPECT_NE(nm.find("ETag: \"2ebc98a1-3e8\"\r\n"), std::string::npos);
  EXPECT_NE(nm.find("Connection: keep-alive\r\n"), std::string::npos);
  EXPECT_EQ(bodyLength(h), 0u);
}

TEST(StaticHead, ResponseHeaderOps) {
  config::HeaderOps ops;
  ops.set = {{"Cache-Control", "no-store"}, {"Content-Length", "1"}};
  ops.remove = {"etag"};
  ops.add = {{"X-Path", "${path}"}};
  HeaderVars vars{"1.2.3.4", "h", "/p", "id"};
  FileHead h;
  h.file = {5, 1};
  h.content_type = "text/plain";
  h.max_age_s = 60;
  h.ops = &ops;
  h.vars = &vars;
  const std::string s = head(h);
  EXPECT_EQ(s.find("ETag"), std::string::npos);
  EXPECT_EQ(s.find("max-age"), std::string::npos);
  EXPECT_NE(s.find("Cache-Control: no-store\r\n"), std::string::npos);
  EXPECT_NE(s.find("X-Path: /p\r\n"), std::string::npos);
  EXPECT_NE(s.find("Content-Length: 5\r\n"), std::string::npos);  // framing stays ours
}

// A temporary directory tree for the open tests, removed afterwards.
class StaticOpen : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/portico-static-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    namespace fs = std::filesystem;
    fs::create_directories(base_ / "root/sub");
    std::ofstream(base_ / "root/a.txt") << "a";
    std::ofstream(base_ / "root/sub/b.txt") << "b";
    std::ofstream(base_ / "secret.txt") << "secret";
    fs::create_symlink("a.txt", base_ / "root/link-in");
    fs::create_symlink("../a.txt", base_ / "root/sub/link-up-in");
    fs::create_symlink("../secret.txt", base_ / "root/link-out");
    fs::create_symlink(base_ / "secret.txt", base_ / "root/link-abs");
    fs::create_symlink("sub", base_ / "root/dirlink");
    fs::create_symlink("/proc/self/root/etc/hostname", base_ / "root/magic");
    root_ = ::open((base_ / "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(root_, 0);
  }
  void TearDown() override {
    ::close(root_);
    std::filesystem::remove_all(base_);
  }
  // The first byte of `rel` opened beneath the root, or "errno:<status>".
  std::string read(const char* rel, bool use_openat2) {
    int fd = openBeneath(root_, rel, use_openat2);
    if (fd < 0) return "err:" + std::to_string(openErrorStatus(errno));
    char c = 0;
    ssize_t n = ::read(fd, &c, 1);
    ::close(fd);
    return n == 1 ? std::string(1, c) : "dir";
  }
  std::filesystem::path base_;
  int root_ = -1;
};

TEST_F(StaticOpen, Openat2FollowsInsideRefusesOutside) {
  EXPECT_EQ(read("a.txt", true), "a");
  EXPECT_EQ(read("sub/b.txt", true), "b");
  EXPECT_EQ(read("link-in", true), "a");
  EXPECT_EQ(read("sub/link-up-in", true), "a");
  EXPECT_EQ(read("dirlink/b.txt", true), "b");
  EXPECT_EQ(read("link-out", true), "err:403");
  EXPECT_EQ(read("link-abs", true), "err:403");
  EXPECT_EQ(read("magic", true), "err:403");
  EXPECT_EQ(read("missing", true), "err:404");
  EXPECT_EQ(read("a.txt/x", true), "err:404");
  EXPECT_EQ(read("", true), "dir");
}

TEST_F(StaticOpen, FallbackFollowsNoSymlink) {
  EXPECT_EQ(read("a.txt", false), "a");
  EXPECT_EQ(read("sub/b.txt", false), "b");
  EXPECT_EQ(read("link-in", false), "err:403");
  EXPECT_EQ(read("link-out", false), "err:403");
  EXPECT_EQ(read("link-abs", false), "err:403");
  EXPECT_EQ(read("magic", false), "err:403");
  EXPECT_EQ(read("dirlink/b.txt", false), "err:403");
  EXPECT_EQ(read("missing", false), "err:404");
  EXPECT_EQ(read("", false), "dir");
}

}  // namespace
}  // namespace portico::proxy::static_files
