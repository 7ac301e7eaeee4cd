// floor_relay_h2: the least work an HTTP/2-over-TLS to HTTP/1.1 keep-alive proxy must do, as a
// reference row for bench/compare.sh ("floor-h2", workload W5). A benchmark tool, not portico
// code. Per client connection: TLS (OpenSSL, TLS 1.2-1.3, ALPN "h2" only) and an nghttp2 server
// session. Per request: one pooled keep-alive backend connection, one send() of
// `METHOD PATH HTTP/1.1\r\nHost: AUTHORITY\r\n\r\n`, recv() of the response into the backend
// connection's buffer, a minimal parse (status code, Content-Length, end of head), then an HTTP/2
// response with :status, content-length and the body, and the backend connection back to the
// pool. Responses are serialized once per event-loop round: every client connection touched in a
// round gets one nghttp2_session_mem_send batch and one SSL_write.
//
// Deliberately omitted (what a real proxy adds on top): routing, forwarding request or response
// headers other than Host/:status/content-length, request bodies (a request with one gets 501),
// chunked or close-delimited responses (502), retries, filters, timeouts, limits, logging, TLS
// session resumption.
//
// Usage: floor_relay_h2 LISTEN_PORT BACKEND_PORT CERT_PEM KEY_PEM   (127.0.0.1; runs until killed)
// Build: gcc -O2 -Wall -o floor_relay_h2 bench/lib/floor_relay_h2.c -lssl -lcrypto -lnghttp2
//
// Design: one thread, one epoll instance, every socket edge-triggered and registered once for
// EPOLLIN|EPOLLOUT|EPOLLRDHUP (no epoll_ctl per request). TLS runs over a small custom BIO that
// calls recv/send itself and remembers a short recv (fewer bytes than OpenSSL asked for, which
// with read-ahead on is the free space of its buffer): the socket was drained, so the read loop
// stops there instead of paying one more recv() for EAGAIN; a later arrival raises a new edge.
// Backend responses are read the same way, and reading stops as soon as a response is complete.
// Connections and sockets closed during a round are freed after it, since later events of the
// same round may still point at them.
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <strings.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "floor_common.h"

enum {
  MAX_EVENTS = 256,
  IN_BUF = 64 * 1024,      // one static buffer for decrypted client input
  OUT_HIGH = 64 * 1024,    // a client write batch is sent when it reaches this size
  BACKEND_BUF = 8 * 1024,  // initial response buffer of a backend connection (grows for big ones)
  INLINE_BODY = 2048,      // bodies up to this size are copied into the stream; bigger ones move
  MAX_PATH = 2048,
  MAX_AUTHORITY = 256,
  MAX_METHOD = 16,
};

enum kind { K_CLIENT, K_BACKEND };

struct client;
struct backend;

// One HTTP/2 request/response exchange. Recycled through a free list.
struct stream {
  int32_t id;
  int bad;       // a request field did not fit its buffer: answered 431 instead of forwarded
  int answered;  // a response was submitted before the request ended (501 for a body)
  struct client* c;
  struct backend* b;           // serving this stream, until its response is complete
  struct stream *prev, *next;  // the client's open streams; `next` also links the free list
  char method[MAX_METHOD], path[MAX_PATH], authority[MAX_AUTHORITY];
  size_t method_len, path_len, authority_len;
  const char* body;  // the response body: `inline_body` or `heap`
  size_t body_len, body_off;
  char* heap;  // a big body's buffer, taken over from the backend connection
  char inline_body[INLINE_BODY];
};

struct client {
  enum kind kind;  // first member of both connection types: epoll data points here
  int fd, dead, dirty;
  int drained;   // the last recv was short or hit EAGAIN: reads stop until the next edge
  int read_all;  // after a hang-up or error event: read until EOF or EAGAIN, short reads or not
  int read_wants_write;  // the TLS handshake or SSL_read waits for EPOLLOUT
  SSL* ssl;
  nghttp2_session* h2;
  struct stream* streams;
  char* out;  // serialized HTTP/2 frames waiting for one SSL_write
  size_t out_len, out_cap;
  int out_blocked;  // SSL_write of `out` returned WANT_WRITE: retried on EPOLLOUT
  struct client *next_dirty, *next_dead;
};

struct backend {
  enum kind kind;
  int fd, dead;
  int busy;          // a request is in flight (NULL `s`: its stream is gone, the response is
                     // read and dropped and the connection pooled as usual)
  int head_request;  // the request in flight is a HEAD: no body whatever the length says
  struct stream* s;
  struct backend *idle_prev, *idle_next;  // the pool (LIFO), only while idle
  struct backend* next_dead;
  char* buf;  // response bytes read so far
  size_t len, cap, head_len, content_length, body_expected;
  int status, keep_alive, has_length;
  char* pend;  // request bytes not yet sent (connect in progress or a short send)
  size_t pend_len;
};

static int epfd;
static struct sockaddr_in backend_addr;
static SSL_CTX* ssl_ctx;
static BIO_METHOD* bio_method;
static nghttp2_session_callbacks* h2_callbacks;
static char in_buf[IN_BUF];
static struct stream* free_streams;
static struct backend* idle_pool;  // most recently used first
static struct client *dirty_list, *dead_clients;
static struct backend* dead_backends;

static void die(const char* what) {
  fprintf(stderr, "floor_relay_h2: %s\n", what);
  ERR_print_errors_fp(stderr);
  exit(1);
}

static void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void watch(int fd, void* ptr) {
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = ptr};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
}

static void mark_dirty(struct client* c) {
  if (c->dirty || c->dead) return;
  c->dirty = 1;
  c->next_dirty = dirty_list;
  dirty_list = c;
}

// ---------------------------------------------------------------------------------------------
// TLS transport: a BIO over the client socket that records short reads in client->drained.

static int bio_read(BIO* bio, char* p, int n) {
  struct client* c = BIO_get_data(bio);
  BIO_clear_retry_flags(bio);
  if (c->drained) {
    BIO_set_retry_read(bio);
    return -1;
  }
  ssize_t r = recv(c->fd, p, (size_t)n, 0);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
    c->drained = 1;
    BIO_set_retry_read(bio);
    return -1;
  }
  if (r >= 0 && r < n && !c->read_all) c->drained = 1;
  return (int)r;
}

static int bio_write(BIO* bio, const char* p, int n) {
  struct client* c = BIO_get_data(bio);
  BIO_clear_retry_flags(bio);
  ssize_t w = send(c->fd, p, (size_t)n, MSG_NOSIGNAL);
  if (w < 0 && (errno == EAGAIN || errno == EINTR)) BIO_set_retry_write(bio);
  return (int)w;
}

static long bio_ctrl(BIO* bio, int cmd, long num, void* ptr) {
  (void)bio, (void)num, (void)ptr;
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Streams and backend connections

static struct stream* stream_new(struct client* c, int32_t id) {
  struct stream* s = free_streams;
  if (s)
    free_streams = s->next;
  else if (!(s = malloc(sizeof *s)))
    die("out of memory");
  s->id = id;
  s->bad = s->answered = 0;
  s->c = c;
  s->b = NULL;
  s->method_len = s->path_len = s->authority_len = 0;
  s->body = NULL;
  s->body_len = s->body_off = 0;
  s->heap = NULL;
  s->prev = NULL;
  s->next = c->streams;
  if (c->streams) c->streams->prev = s;
  c->streams = s;
  return s;
}

static void backend_close(struct backend* b);

// Unlinks the stream from its client and recycles it. A backend connection still working for it
// finishes the response and drops it.
static void stream_release(struct stream* s) {
  if (s->b) s->b->s = NULL;
  if (s->prev)
    s->prev->next = s->next;
  else
    s->c->streams = s->next;
  if (s->next) s->next->prev = s->prev;
  free(s->heap);
  s->next = free_streams;
  free_streams = s;
}

static void pool_remove(struct backend* b) {
  if (b->idle_prev)
    b->idle_prev->idle_next = b->idle_next;
  else if (idle_pool == b)
    idle_pool = b->idle_next;
  if (b->idle_next) b->idle_next->idle_prev = b->idle_prev;
  b->idle_prev = b->idle_next = NULL;
}

static void backend_close(struct backend* b) {
  if (b->dead) return;
  b->dead = 1;
  if (!b->busy) pool_remove(b);
  close(b->fd);
  b->next_dead = dead_backends;
  dead_backends = b;
}

// An idle backend connection from the pool, or a new one (connect in progress is fine: the
// request waits in `pend` until EPOLLOUT).
static struct backend* backend_get(void) {
  struct backend* b = idle_pool;
  if (b) {
    pool_remove(b);
    return b;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return NULL;
  if (connect(fd, (struct sockaddr*)&backend_addr, sizeof backend_addr) < 0 &&
      errno != EINPROGRESS) {
    close(fd);
    return NULL;
  }
  set_nodelay(fd);
  if (!(b = calloc(1, sizeof *b))) die("out of memory");
  b->kind = K_BACKEND;
  b->fd = fd;
  watch(fd, b);
  return b;
}

// Sends a bodyless response (errors) on the stream.
static void respond_status(struct stream* s, const char* status) {
  nghttp2_nv nv = {(uint8_t*)":status", (uint8_t*)status, 7, 3, NGHTTP2_NV_FLAG_NONE};
  nghttp2_submit_response(s->c->h2, s->id, &nv, 1, NULL);
  mark_dirty(s->c);
}

// Sends b->pend; returns -1 when the connection is broken.
static int backend_send_pending(struct backend* b) {
  while (b->pend_len) {
    ssize_t w = send(b->fd, b->pend, b->pend_len, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN || errno == ENOTCONN) return 0;  // EPOLLOUT will come
      if (errno == EINTR) continue;
      return -1;
    }
    memmove(b->pend, b->pend + w, b->pend_len - (size_t)w);
    b->pend_len -= (size_t)w;
  }
  return 0;
}

static char* put(char* p, const char* s, size_t n) {
  memcpy(p, s, n);
  return p + n;
}

// The request is complete: forward it on a backend connection.
static void dispatch(struct stream* s) {
  if (s->bad || !s->method_len || !s->path_len) {
    respond_status(s, s->bad ? "431" : "400");
    return;
  }
  struct backend* b = backend_get();
  if (!b) {
    respond_status(s, "502");
    return;
  }
  static char req[MAX_METHOD + MAX_PATH + MAX_AUTHORITY + 32];
  char* p = put(req, s->method, s->method_len);
  p = put(p, " ", 1);
  p = put(p, s->path, s->path_len);
  p = put(p, " HTTP/1.1\r\nHost: ", 17);
  p = put(p, s->authority, s->authority_len);
  p = put(p, "\r\n\r\n", 4);
  size_t n = (size_t)(p - req);
  b->s = s;
  b->busy = 1;
  b->head_request = s->method_len == 4 && !memcmp(s->method, "HEAD", 4);
  s->b = b;
  b->len = b->head_len = b->content_length = 0;
  b->has_length = 0;
  ssize_t w = send(b->fd, req, n, MSG_NOSIGNAL);
  if (w == (ssize_t)n) return;
  if (w < 0 && errno != EAGAIN && errno != ENOTCONN && errno != EINTR) {
    s->b = NULL;
    b->s = NULL;
    backend_close(b);
    respond_status(s, "502");
    return;
  }
  if (w < 0) w = 0;
  if (!(b->pend = realloc(b->pend, b->pend_len + n - (size_t)w))) die("out of memory");
  memcpy(b->pend + b->pend_len, req + w, n - (size_t)w);
  b->pend_len += n - (size_t)w;
}

// Parses the response head in b->buf[0, b->len) if complete. Returns 0 when more is needed,
// 1 when parsed, -1 when it cannot be relayed.
static int parse_head(struct backend* b) {
  char* end = memmem(b->buf, b->len, "\r\n\r\n", 4);
  if (!end) return b->len >= 64 * 1024 ? -1 : 0;
  b->head_len = (size_t)(end - b->buf) + 4;
  if (b->head_len < 16 || memcmp(b->buf, "HTTP/1.", 7) != 0) return -1;
  b->status = atoi(b->buf + 9);
  b->keep_alive = b->buf[7] == '1';

  for (char* line = memchr(b->buf, '\n', b->head_len) + 1; line < end;) {
    char* eol = memchr(line, '\n', (size_t)(end + 2 - line));
    if (!strncasecmp(line, "content-length:", 15)) {
      b->content_length = strtoul(line + 15, NULL, 10);
      b->has_length = 1;
    } else if (!strncasecmp(line, "transfer-encoding:", 18)) {
      return -1;
    } else if (!strncasecmp(line, "connection:", 11) &&
               memmem(line, (size_t)(eol - line), "lose", 4)) {
      b->keep_alive = 0;
    }
    line = eol + 1;
  }
  int bodyless = b->status == 204 || b->status == 304 || b->status < 200 || b->head_request;
  if (!b->has_length && !bodyless) return -1;
  b->body_expected = bodyless ? 0 : b->content_length;
  if (b->head_len + b->body_expected > b->cap) {
    b->cap = b->head_len + b->body_expected;
    if (!(b->buf = realloc(b->buf, b->cap))) die("out of memory");
  }
  return 1;
}

static ssize_t read_body(nghttp2_session* h2, int32_t id, uint8_t* buf, size_t length,
                         uint32_t* flags, nghttp2_data_source* src, void* user) {
  (void)h2, (void)id, (void)user;
  struct stream* s = src->ptr;
  size_t n = s->body_len - s->body_off;
  if (n > length) n = length;
  memcpy(buf, s->body + s->body_off, n);
  s->body_off += n;
  if (s->body_off == s->body_len) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

static void pool_push(struct backend* b) {
  b->idle_prev = NULL;
  b->idle_next = idle_pool;
  if (idle_pool) idle_pool->idle_prev = b;
  idle_pool = b;
}

// The backend connection failed: 502 for its stream (no response was submitted yet), and close.
static void backend_fail(struct backend* b) {
  struct stream* s = b->s;
  if (s) {
    s->b = NULL;
    b->s = NULL;
    respond_status(s, "502");
  }
  backend_close(b);
}

// The whole response is in b->buf: submit it on the stream (unless the stream is gone) and pool
// the connection.
static void backend_done(struct backend* b, int hung_up) {
  struct stream* s = b->s;
  size_t body = b->body_expected, end = b->head_len + body;
  if (b->status < 100 || b->status > 999) {
    backend_fail(b);
    return;
  }
  if (s) {
    if (body <= INLINE_BODY) {
      memcpy(s->inline_body, b->buf + b->head_len, body);
      s->body = s->inline_body;
    } else {  // a big body: the stream takes the buffer, the connection gets a new one when used
      s->heap = b->buf;
      s->body = b->buf + b->head_len;
      b->buf = NULL;
      b->cap = 0;
    }
    s->body_len = body;
    char status[4], length[24];
    snprintf(status, sizeof status, "%d", b->status);
    nghttp2_nv nv[2] = {
        {(uint8_t*)":status", (uint8_t*)status, 7, 3, NGHTTP2_NV_FLAG_NONE},
        {(uint8_t*)"content-length", (uint8_t*)length, 14, 0, NGHTTP2_NV_FLAG_NONE}};
    nv[1].valuelen = (size_t)snprintf(length, sizeof length, "%zu", b->content_length);
    nghttp2_data_provider prd = {.source.ptr = s, .read_callback = read_body};
    nghttp2_submit_response(s->c->h2, s->id, nv, b->has_length ? 2 : 1, body ? &prd : NULL);
    mark_dirty(s->c);
    s->b = NULL;
    b->s = NULL;
  }
  b->busy = 0;
  // bytes after the response, or a hang-up already seen: not reusable
  if (b->keep_alive && b->len == end && !hung_up)
    pool_push(b);
  else
    backend_close(b);
}

// Events on a backend connection: flush a pending request, read the response.
static void backend_event(struct backend* b, uint32_t events) {
  if ((events & EPOLLOUT) && b->pend_len && backend_send_pending(b) < 0) {
    backend_fail(b);
    return;
  }
  uint32_t hangup = events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR);
  if (!(events & EPOLLIN) && !hangup) return;
  if (!b->busy) {  // idle: readable means closed by the backend (or unexpected bytes)
    backend_close(b);
    return;
  }
  for (;;) {
    if (b->len == b->cap) {
      b->cap = b->cap ? 2 * b->cap : BACKEND_BUF;
      if (!(b->buf = realloc(b->buf, b->cap))) die("out of memory");
    }
    size_t space = b->cap - b->len;
    ssize_t r = recv(b->fd, b->buf + b->len, space, 0);
    if (r > 0) {
      b->len += (size_t)r;
      int h = b->head_len ? 1 : parse_head(b);
      if (h < 0) {
        backend_fail(b);
        return;
      }
      if (h > 0 && b->len >= b->head_len + b->body_expected) {
        backend_done(b, hangup != 0);
        return;
      }
      if ((size_t)r < space && !hangup) return;  // drained
      continue;
    }
    if (r < 0 && errno == EAGAIN) return;
    if (r < 0 && errno == EINTR) continue;
    backend_fail(b);  // closed or broken before the response was complete
    return;
  }
}

// ---------------------------------------------------------------------------------------------
// nghttp2 callbacks (user data: the client)

static int on_begin_headers(nghttp2_session* h2, const nghttp2_frame* f, void* user) {
  if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST)
    nghttp2_session_set_stream_user_data(h2, f->hd.stream_id, stream_new(user, f->hd.stream_id));
  return 0;
}

static void copy_field(struct stream* s, char* dst, size_t* dst_len, size_t cap, const uint8_t* v,
                       size_t n) {
  if (n > cap) {
    s->bad = 1;
    return;
  }
  memcpy(dst, v, n);
  *dst_len = n;
}

static int on_header(nghttp2_session* h2, const nghttp2_frame* f, const uint8_t* name,
                     size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                     void* user) {
  (void)flags, (void)user;
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  struct stream* s = nghttp2_session_get_stream_user_data(h2, f->hd.stream_id);
  if (!s) return 0;
  if (namelen == 7 && !memcmp(name, ":method", 7))
    copy_field(s, s->method, &s->method_len, MAX_METHOD, value, valuelen);
  else if (namelen == 5 && !memcmp(name, ":path", 5))
    copy_field(s, s->path, &s->path_len, MAX_PATH, value, valuelen);
  else if ((namelen == 10 && !memcmp(name, ":authority", 10)) ||
           (namelen == 4 && !memcmp(name, "host", 4) && !s->authority_len))
    copy_field(s, s->authority, &s->authority_len, MAX_AUTHORITY, value, valuelen);
  return 0;
}

static int on_frame_recv(nghttp2_session* h2, const nghttp2_frame* f, void* user) {
  (void)user;
  if (f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) return 0;
  struct stream* s = nghttp2_session_get_stream_user_data(h2, f->hd.stream_id);
  if (!s || s->answered) return 0;
  if (f->hd.flags & NGHTTP2_FLAG_END_STREAM) {
    s->answered = 1;
    dispatch(s);
  } else if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST) {
    s->answered = 1;  // a request body: not supported here
    respond_status(s, "501");
  }
  return 0;
}

static int on_stream_close(nghttp2_session* h2, int32_t id, uint32_t error, void* user) {
  (void)error, (void)user;
  struct stream* s = nghttp2_session_get_stream_user_data(h2, id);
  if (s) stream_release(s);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Client connections

static void client_close(struct client* c) {
  if (c->dead) return;
  c->dead = 1;
  nghttp2_session_del(c->h2);  // frees nghttp2's streams without callbacks; ours go next
  while (c->streams) stream_release(c->streams);
  SSL_free(c->ssl);  // and the BIO
  close(c->fd);
  c->next_dead = dead_clients;
  dead_clients = c;
}

// Reads and decrypts what the client sent and feeds it to nghttp2 (handshake included). The
// server's SETTINGS go out with the first answer to the client's bytes, so a client that only
// handshakes (openssl s_client in compare.sh's resumption check) gets no HTTP/2 frames.
static void client_read(struct client* c, int read_all) {
  c->drained = 0;
  c->read_all = read_all;
  c->read_wants_write = 0;
  for (;;) {
    size_t n;
    int r = SSL_read_ex(c->ssl, in_buf, IN_BUF, &n);
    if (r == 1) {
      if (nghttp2_session_mem_recv(c->h2, (const uint8_t*)in_buf, n) < 0) {
        client_close(c);
        return;
      }
      mark_dirty(c);  // nghttp2 may have frames to send (the first time: its SETTINGS)
      continue;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) break;
    if (e == SSL_ERROR_WANT_WRITE) {
      c->read_wants_write = 1;
      break;
    }
    ERR_clear_error();
    client_close(c);  // closed, TLS alert or socket error
    return;
  }
}

// SSL_writes c->out. Returns 1 when all was written, 0 when waiting for EPOLLOUT, -1 on close.
static int client_write_out(struct client* c) {
  size_t w;
  int r = SSL_write_ex(c->ssl, c->out, c->out_len, &w);
  if (r == 1) {
    c->out_len = 0;
    c->out_blocked = 0;
    return 1;
  }
  if (SSL_get_error(c->ssl, r) == SSL_ERROR_WANT_WRITE) {
    c->out_blocked = 1;
    return 0;
  }
  ERR_clear_error();
  client_close(c);
  return -1;
}

// End of a round: serializes everything nghttp2 has to send and writes it in one SSL_write.
static void client_flush(struct client* c) {
  if (c->dead || c->out_blocked || !SSL_is_init_finished(c->ssl)) return;
  for (;;) {
    while (c->out_len < OUT_HIGH) {
      const uint8_t* p;
      ssize_t n = nghttp2_session_mem_send(c->h2, &p);
      if (n < 0) {
        client_close(c);
        return;
      }
      if (n == 0) break;
      if (c->out_len + (size_t)n > c->out_cap) {
        c->out_cap = c->out_len + (size_t)n + OUT_HIGH;
        if (!(c->out = realloc(c->out, c->out_cap))) die("out of memory");
      }
      memcpy(c->out + c->out_len, p, (size_t)n);
      c->out_len += (size_t)n;
    }
    if (!c->out_len) break;
    if (client_write_out(c) <= 0) return;
  }
  if (!nghttp2_session_want_read(c->h2) && !nghttp2_session_want_write(c->h2)) client_close(c);
}

static void client_event(struct client* c, uint32_t events) {
  if (events & EPOLLOUT) {
    if (c->out_blocked && client_write_out(c) > 0) mark_dirty(c);
    if (c->dead) return;
    if (c->read_wants_write) client_read(c, 1);
    if (c->dead) return;
  }
  uint32_t hangup = events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR);
  if ((events & EPOLLIN) || hangup) client_read(c, hangup != 0);
}

static int alpn_select(SSL* ssl, const unsigned char** out, unsigned char* outlen,
                       const unsigned char* in, unsigned int inlen, void* arg) {
  (void)ssl, (void)arg;
  for (unsigned int i = 0; i < inlen; i += 1u + in[i])
    if (in[i] == 2 && i + 3 <= inlen && !memcmp(in + i + 1, "h2", 2)) {
      *out = in + i + 1;
      *outlen = 2;
      return SSL_TLSEXT_ERR_OK;
    }
  return SSL_TLSEXT_ERR_ALERT_FATAL;  // h2 only
}

static void accept_one(int lfd) {
  int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
  if (fd < 0) return;  // EAGAIN, or the client already went away
  set_nodelay(fd);
  struct client* c = calloc(1, sizeof *c);
  BIO* bio = BIO_new(bio_method);
  if (!c || !bio || !(c->ssl = SSL_new(ssl_ctx))) die("out of memory");
  c->kind = K_CLIENT;
  c->fd = fd;
  BIO_set_data(bio, c);
  SSL_set_bio(c->ssl, bio, bio);
  SSL_set_accept_state(c->ssl);
  nghttp2_settings_entry iv = {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100};
  if (nghttp2_session_server_new(&c->h2, h2_callbacks, c) != 0 ||
      nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, &iv, 1) != 0)
    die("nghttp2 session");
  watch(fd, c);
}

static void setup(const char* cert, const char* key) {
  if (!(ssl_ctx = SSL_CTX_new(TLS_server_method()))) die("SSL_CTX_new");
  SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ssl_ctx, TLS1_3_VERSION);
  SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_TICKET);  // no resumption: no tickets, no cache
  SSL_CTX_set_num_tickets(ssl_ctx, 0);
  SSL_CTX_set_session_cache_mode(ssl_ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_read_ahead(ssl_ctx, 1);
  SSL_CTX_set_alpn_select_cb(ssl_ctx, alpn_select, NULL);
  if (SSL_CTX_use_certificate_chain_file(ssl_ctx, cert) != 1) die(cert);
  if (SSL_CTX_use_PrivateKey_file(ssl_ctx, key, SSL_FILETYPE_PEM) != 1) die(key);
  if (SSL_CTX_check_private_key(ssl_ctx) != 1) die("certificate and key do not match");

  bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "floor socket");
  if (!bio_method || !BIO_meth_set_read(bio_method, bio_read) ||
      !BIO_meth_set_write(bio_method, bio_write) || !BIO_meth_set_ctrl(bio_method, bio_ctrl) ||
      !BIO_meth_set_create(bio_method, bio_create))
    die("BIO_meth_new");

  if (nghttp2_session_callbacks_new(&h2_callbacks) != 0) die("nghttp2 callbacks");
  nghttp2_session_callbacks_set_on_begin_headers_callback(h2_callbacks, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(h2_callbacks, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(h2_callbacks, on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(h2_callbacks, on_stream_close);
}

int main(int argc, char** argv) {
  int lfd = floor_listen_args(argc, argv, 2, "CERT_PEM KEY_PEM", SOCK_NONBLOCK, &backend_addr);
  setup(argv[3], argv[4]);
  epfd = floor_epoll(lfd);

  struct epoll_event evs[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(epfd, evs, MAX_EVENTS, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      enum kind* k = evs[i].data.ptr;
      if (!k) {
        accept_one(lfd);
      } else if (*k == K_CLIENT) {
        struct client* c = (struct client*)k;
        if (!c->dead) client_event(c, evs[i].events);
      } else {
        struct backend* b = (struct backend*)k;
        if (!b->dead) backend_event(b, evs[i].events);
      }
    }
    while (dirty_list) {  // one write batch per touched client connection
      struct client* c = dirty_list;
      dirty_list = c->next_dirty;
      c->dirty = 0;
      client_flush(c);
    }
    while (dead_clients) {
      struct client* c = dead_clients;
      dead_clients = c->next_dead;
      free(c->out);
      free(c);
    }
    while (dead_backends) {
      struct backend* b = dead_backends;
      dead_backends = b->next_dead;
      free(b->buf);
      free(b->pend);
      free(b);
    }
  }
}
