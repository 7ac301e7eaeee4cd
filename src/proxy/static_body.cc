// DownstreamConnection: a route's `static:` action. Maps the request to a file beneath the
// route's root (proxy/static_files.h does the mapping, validators, preconditions and ranges),
// answers the head, then pumps the file's bytes to the client with backpressure: sendfile(2)
// on plain connections, read into the output block and TLS otherwise. The file is read on the
// worker (page cache), as nginx does without `aio threads`.
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/log.h"
#include "proxy/downstream_connection.h"
#include "proxy/error_response.h"
#include "router/match/request_fields.h"

namespace portico::proxy {

namespace sf = static_files;
using http1::BodyFraming;

namespace {

// sendfile(2) moves at most this much per call (the kernel's own cap is 0x7ffff000).
constexpr uint64_t kSendfileMax = 1u << 30;
// Bodies up to this size are read into the output block behind the head (one send instead of
// a send and a sendfile); TLS always goes this way.
constexpr uint64_t kCopyMaxBytes = 32 * 1024;
// Reads into the output block are at least this large (or the rest of the file).
constexpr uint32_t kMinReadBytes = 16 * 1024;

// The short text answer for a status a static route gives itself (kept-alive, as every local
// answer to a request that was read whole).
const config::DirectResponse& localAnswer(uint16_t status) {
  static const config::DirectResponse kAnswers[] = {
      {true, 400, "400 Bad Request\n", "text/plain"},
      {true, 403, "403 Forbidden\n", "text/plain"},
      {true, 404, "404 Not Found\n", "text/plain"},
      {true, 405, "405 Method Not Allowed\n", "text/plain"},
      {true, 412, "412 Precondition Failed\n", "text/plain"},
      {true, 416, "416 Range Not Satisfiable\n", "text/plain"},
      {true, 500, "500 Internal Server Error\n", "text/plain"},
  };
  for (const config::DirectResponse& a : kAnswers)
    if (a.status == status) return a;
  return kAnswers[6];
}

// Opens a regular file or a directory named by `fp` beneath `root_fd`; fills `st`.
// -1 with errno on failure (ENOENT for anything that is neither).
int openEntry(int root_fd, const sf::FilePath& fp, struct stat& st) {
  int fd = sf::openBeneath(root_fd, fp.buf);
  if (fd < 0) return -1;
  if (::fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
    ::close(fd);
    errno = ENOENT;
    return -1;
  }
  return fd;
}

}  // namespace

void DownstreamConnection::serveStatic(const config::StaticFiles& s) {
  const http1::RequestHead& req = heads_->req;
  auto answer = [this](uint16_t status, std::string_view extra) {
    respondError(status, extra, &localAnswer(status));
  };
  if (method_ != http::Method::Get && method_ != http::Method::Head) {
    answer(405, std::string("Allow: GET, HEAD\r\n").append(extra_resp_headers_));
    return;
  }
  const std::string_view full_path = router::targetPath(req.target);
  std::string_view path = full_path;
  if (s.strip_prefix && route_->path_exact.empty() && path.starts_with(route_->path_prefix))
    path.remove_prefix(route_->path_prefix.size());
  sf::FilePath fp;
  switch (sf::decodePath(path, fp)) {
    case sf::PathResult::Ok:
      break;
    case sf::PathResult::Invalid:
      answer(400, extra_resp_headers_);
      return;
    case sf::PathResult::TooLong:
      answer(404, extra_resp_headers_);
      return;
  }
  // A directory is named by the request's own trailing slash ("/assets/" with the prefix
  // "/assets/" stripped leaves "").
  fp.trailing_slash = !full_path.empty() && full_path.back() == '/';
  // The root is opened per request, so a root that is (or passes through) a symlink swapped
  // for a new release serves the new files at once, as nginx does.
  const int root_fd = ::open(s.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) {
    log::warn("static root {}: {}", s.root, std::strerror(errno));
    answer(404, extra_resp_headers_);
    return;
  }
  struct stat st;
  int fd = openEntry(root_fd, fp, st);
  if (fd >= 0 && S_ISREG(st.st_mode) && fp.trailing_slash) {  // "file.txt/" names no file
    ::close(fd);
    fd = -1;
    errno = ENOTDIR;
  }
  if (fd >= 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    fd = -1;
    if (!fp.trailing_slash) {
      ::close(root_fd);
      // Relative Location (RFC 9110 §10.2.2): the same path with a slash, and the query.
      const size_t q = req.target.find('?');
      std::string loc = "Location: ";
      loc.append(full_path.empty() ? std::string_view("/") : full_path).append("/");
      if (q != std::string_view::npos) loc.append(req.target.substr(q));
      loc.append("\r\n").append(extra_resp_headers_);
      respondError(301, loc);
      return;
    }
    const size_t dir_len = fp.len;
    for (const std::string& name : s.index) {
      fp.len = dir_len;
      fp.buf[dir_len] = '\0';
      if (!fp.append(name)) continue;
      fd = openEntry(root_fd, fp, st);
      if (fd >= 0 && S_ISREG(st.st_mode)) break;
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
    if (fd < 0) errno = ENOENT;  // no index file: 404, never a listing
  }
  const int open_errno = errno;
  ::close(root_fd);
  if (fd < 0) {
    const uint16_t status = sf::openErrorStatus(open_errno);
    if (status == 403)
      log::debug("{}: static {} refused: {}", peer_ip_, req.target, std::strerror(open_errno));
    answer(status, extra_resp_headers_);
    return;
  }
  file_.fd = fd;  // closed by file_ on every path from here (finishExchange, close)

  sf::FileHead h;
  h.file.size = static_cast<uint64_t>(st.st_size);
  h.file.mtime = static_cast<int64_t>(st.st_mtim.tv_sec);
  char etag[sf::kEtagMax];
  const std::string_view etag_view(etag, sf::formatEtag(h.file, etag));
  sf::Conditions c;
  c.if_match = http1::fieldValue(req, "if-match");
  c.if_none_match = http1::fieldValue(req, "if-none-match");
  c.if_modified_since = http1::fieldValue(req, "if-modified-since");
  c.if_unmodified_since = http1::fieldValue(req, "if-unmodified-since");
  switch (sf::evaluatePreconditions(c, etag_view, h.file.mtime)) {
    case sf::Precondition::Failed:
      file_.close();
      answer(412, extra_resp_headers_);
      return;
    case sf::Precondition::NotModified:
      h.status = 304;
      break;
    case sf::Precondition::Proceed:
      break;
  }
  // Range applies to GET only (RFC 9110 §14.2), and If-Range may veto it.
  if (h.status == 200 && method_ == http::Method::Get) {
    const std::string_view range = http1::fieldValue(req, "range");
    const std::string_view if_range = http1::fieldValue(req, "if-range");
    if (!range.empty() &&
        (if_range.empty() || sf::ifRangeAllows(if_range, etag_view, h.file.mtime))) {
      switch (sf::parseRange(range, h.file.size, h.range)) {
        case sf::RangeResult::Partial:
          h.status = 206;
          break;
        case sf::RangeResult::Unsatisfiable:
          file_.close();
          answer(416, std::string("Content-Range: bytes */")
                          .append(std::to_string(h.file.size))
                          .append("\r\n")
                          .append(extra_resp_headers_));
          return;
        case sf::RangeResult::Whole:
          break;
      }
    }
  }
  if (h.status == 200) h.range = {0, h.file.size ? h.file.size - 1 : 0};
  // A request body we do not read (a GET with one) ends the connection after the answer.
  if (!heads_->req_body.done()) keep_alive_ = false;
  const config::Config& cfg = *gen_->snapshot->config;
  h.content_type = sf::contentType(fp.view());
  h.max_age_s = s.max_age_s;
  h.now_s = worker_.loop().wallSeconds();
  h.close = !keep_alive_;
  h.keep_alive_http10 = keep_alive_ && version_minor_ == 0;
  h.server_header = cfg.server_header;
  h.extra = extra_resp_headers_;
  HeaderVars vars{peer_ip_, req.host, req.target, heads_->ids.requestId()};
  if (!route_->config->response_headers.empty()) {
    h.ops = &route_->config->response_headers;
    h.vars = &vars;
  }
  uint32_t space;
  char* p = out_.writable(worker_.buffers(), space);
  HeadWriter w{p, p + space};
  sf::writeFileHead(h, w);
  if (w.overflow) {
    file_.close();
    answer(500, {});
    return;
  }
  out_.commit(static_cast<uint32_t>(w.written(p)));
  resp_head_bytes_ = static_cast<uint32_t>(w.written(p));
  status_ = h.status;
  resp_started_ = true;
  const uint64_t length = method_ == http::Method::Head ? 0 : sf::bodyLength(h);
  heads_->resp_body.start(length ? BodyFraming::ContentLength : BodyFraming::None, length);
  if (length == 0) {
    file_.close();
    finishExchange();
    return;
  }
  if (h.range.first &&
      ::lseek(file_.fd, static_cast<off_t>(h.range.first), SEEK_SET) == static_cast<off_t>(-1)) {
    log::warn("static file seek failed: {}", std::strerror(errno));
    close();
    return;
  }
  armTimer(TimerKind::Idle, cfg.timeouts.client_idle_ms);
}

void DownstreamConnection::stepStatic() {
  bool progress = sendFileBody();
  if (client_error_ || !file_.active()) {
    close();
    return;
  }
  if (heads_->resp_body.done() && out_.empty()) {
    file_.close();
    finishExchange();
    return;
  }
  if (!can_write_) ensureNoDelay();
  if (progress) {
    // A client that reads nothing for client_idle is let go.
    armTimer(TimerKind::Idle, gen_->snapshot->config->timeouts.client_idle_ms);
    redo_ = true;
  }
}

bool DownstreamConnection::sendFileBody() {
  BodyForwarder& body = heads_->resp_body;
  bool progress = false;
  while (!body.done() && !client_error_) {
    const uint64_t left = body.remaining();
    if (io_.isTls() || io_.isVirtual() || left <= kCopyMaxBytes) {
      // Through the output block: TLS, HTTP/2 streams, and small files (they leave with the
      // head in one send).
      uint32_t space = out_.spaceLeft();
      if (space >= kMinReadBytes || space >= left) {
        char* p = out_.writable(worker_.buffers(), space);
        const size_t want = left < space ? static_cast<size_t>(left) : space;
        if (want == 0) break;
        const ssize_t n = ::read(file_.fd, p, want);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          // The file shrank under us (or cannot be read): the client must not take what it
          // got for the whole body.
          if (n == 0)
            log::warn("static file shrank while being sent");
          else
            log::warn("static file read failed: {}", std::strerror(errno));
          file_.close();
          return progress;
        }
        out_.commit(static_cast<uint32_t>(n));
        body.sent(static_cast<uint32_t>(n));
      }
      if (!flushOut()) break;
      progress = true;
      continue;
    }
    // sendfile(2) once the head (and anything before it) is out.
    if (!out_.empty()) {
      if (!flushOut()) break;
      progress = true;
      if (!out_.empty()) break;
    }
    if (!can_write_) break;
    const size_t want = static_cast<size_t>(left < kSendfileMax ? left : kSendfileMax);
    const ssize_t n = ::sendfile(fd_, file_.fd, nullptr, want);  // from the file's offset
    if (n > 0) {
      body.sent(static_cast<uint32_t>(n));
      progress = true;
      continue;  // a short count may be a full socket or a signal: the next call tells
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      can_write_ = false;
      break;
    }
    if (n == 0) log::warn("static file shrank while being sent");
    file_.close();  // or a socket error (the peer went away)
    return progress;
  }
  if (body.done() && flushOut()) progress = true;
  return progress;
}

}  // namespace portico::proxy
