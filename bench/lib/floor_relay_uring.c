// floor_relay_uring: the io_uring counterpart of floor_relay.c, a reference row for
// bench/compare.sh ("floor-uring"). A 1:1 TCP relay with no HTTP work: each accepted client gets
// its own backend connection and bytes are copied both ways until either side ends. It shows
// what is left of a proxy's CPU time per request when the system-call entries themselves are
// batched away: the TCP work on loopback stays.
//
// Usage: floor_relay_uring LISTEN_PORT BACKEND_PORT   (both on 127.0.0.1; runs until killed)
// Build: gcc -O2 -Wall -o floor_relay_uring bench/lib/floor_relay_uring.c -luring
// Needs liburing 2.3+ (Debian liburing-dev) and Linux 6.1+ (IORING_SETUP_DEFER_TASKRUN).
//
// Design: one thread, one ring set up with IORING_SETUP_SINGLE_ISSUER|IORING_SETUP_DEFER_TASKRUN,
// and one io_uring_submit_and_wait per loop iteration (the only io_uring_enter). The listener
// has a multishot accept; each socket has a multishot recv that picks its buffers from a
// provided-buffer ring (registered by hand: liburing 2.3 has no io_uring_setup_buf_ring). Each
// received buffer is sent on to the peer as is (MSG_WAITALL, so the kernel finishes a short send
// itself) and goes back to the buffer ring when that send's completion arrives: a send may have
// been parked on the socket's poll queue, and until it completes its buffer is still being read.
// That completion is why sends do not use IOSQE_CQE_SKIP_SUCCESS; it costs no system call. Per
// direction one send is in flight at a time and later buffers queue behind it, so bytes stay in
// order. The backend connect is a blocking connect(2) in the accept handler (it completes at once
// on loopback). Closing: when a side ends, what is queued is still sent, then both sockets are
// shut down, which ends their multishot recvs; the pair is freed when no request refers to it.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floor_common.h"

enum {
  NBUF = 256,            // provided buffers (a power of two); W1 needs at most 2 per connection
  BUF_SIZE = 64 * 1024,  // bytes each, like floor_relay's one buffer
  BGID = 0,              // buffer group id
  SQ_ENTRIES = 1024,
  CQ_ENTRIES = 8192,
};

// user_data: a side pointer (8-byte aligned) with the operation in the low bits; ACCEPT_TAG
// is the listener's multishot accept.
enum { OP_RECV = 0, OP_SEND = 1, OP_MASK = 7 };
#define ACCEPT_TAG ((uint64_t)1 << 63)

struct pair;

// One socket of a client/backend pair. The queue holds buffer ids received from the peer and
// waiting to be sent TO this socket (linked through next_bid[]); `sending` is the one in flight.
struct side {
  int fd;
  int recv_armed;
  int sending;  // buffer id being sent to fd, or -1
  unsigned send_off;
  int q_head, q_tail;
  struct side* peer;
  struct pair* pair;
  struct side* next_rearm;
};

struct pair {
  struct side s[2];
  int refs;     // requests in flight: armed recvs + sends
  int closing;  // a side ended or failed: no more reads are relayed
  int shut;     // both sockets shut down (their recvs end)
};

static struct io_uring ring;
static struct io_uring_buf_ring* br;
static char* bufs;
static int next_bid[NBUF];
static unsigned len_of[NBUF];
static int recycled;  // buffers added to the ring since the last advance
static struct sockaddr_in backend_addr;
static int lfd;
static struct side* rearm_list;  // sides whose recv stopped for want of buffers

static void die(const char* what, int err) {
  fprintf(stderr, "floor_relay_uring: %s: %s\n", what, strerror(err));
  exit(1);
}

static struct io_uring_sqe* sqe_get(void) {
  struct io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  if (!sqe) {  // SQ full: hand what is queued to the kernel first
    io_uring_submit(&ring);
    sqe = io_uring_get_sqe(&ring);
    if (!sqe) die("io_uring_get_sqe", EBUSY);
  }
  return sqe;
}

// Gives buffer `bid` back to the kernel (visible after the next flush_recycled).
static void recycle(int bid) {
  io_uring_buf_ring_add(br, bufs + (size_t)bid * BUF_SIZE, BUF_SIZE, (unsigned short)bid,
                        io_uring_buf_ring_mask(NBUF), recycled++);
}

static void flush_recycled(void) {
  if (recycled) io_uring_buf_ring_advance(br, recycled);
  recycled = 0;
}

static void arm_recv(struct side* s) {
  struct io_uring_sqe* sqe = sqe_get();
  io_uring_prep_recv_multishot(sqe, s->fd, NULL, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = BGID;
  io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)s | OP_RECV);
  s->recv_armed = 1;
  s->pair->refs++;
}

static void arm_accept(void) {
  struct io_uring_sqe* sqe = sqe_get();
  io_uring_prep_multishot_accept(sqe, lfd, NULL, NULL, 0);
  io_uring_sqe_set_data64(sqe, ACCEPT_TAG);
}

// Starts sending the head of to's queue if nothing is in flight to it.
static void send_next(struct side* to) {
  if (to->sending >= 0 || to->q_head < 0) return;
  int bid = to->q_head;
  to->q_head = next_bid[bid];
  if (to->q_head < 0) to->q_tail = -1;
  to->sending = bid;
  to->send_off = 0;
  struct io_uring_sqe* sqe = sqe_get();
  io_uring_prep_send(sqe, to->fd, bufs + (size_t)bid * BUF_SIZE, len_of[bid],
                     MSG_WAITALL | MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)to | OP_SEND);
  to->pair->refs++;
}

static void drop_queue(struct side* s) {
  while (s->q_head >= 0) {
    int bid = s->q_head;
    s->q_head = next_bid[bid];
    recycle(bid);
  }
  s->q_tail = -1;
}

// Once a closing pair has nothing left to send, shuts both sockets down (ending their recvs);
// once nothing refers to it any more, closes them and frees it.
static void settle(struct pair* p) {
  if (!p->closing) return;
  if (!p->shut && p->s[0].sending < 0 && p->s[1].sending < 0 && p->s[0].q_head < 0 &&
      p->s[1].q_head < 0) {
    p->shut = 1;
    shutdown(p->s[0].fd, SHUT_RDWR);
    shutdown(p->s[1].fd, SHUT_RDWR);
  }
  if (p->shut && p->refs == 0) {
    close(p->s[0].fd);
    close(p->s[1].fd);
    free(p);
  }
}

// A side ended (eof) or failed: stop relaying reads. After a failure nothing more is sent:
// the queues are dropped and both sockets shut down at once (which also ends sends in flight).
static void begin_close(struct pair* p, int failed) {
  p->closing = 1;
  if (failed && !p->shut) {
    drop_queue(&p->s[0]);
    drop_queue(&p->s[1]);
    p->shut = 1;
    shutdown(p->s[0].fd, SHUT_RDWR);
    shutdown(p->s[1].fd, SHUT_RDWR);
  }
}

static void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void on_accept(struct io_uring_cqe* cqe) {
  if (!(cqe->flags & IORING_CQE_F_MORE)) arm_accept();
  int c = cqe->res;
  if (c < 0) return;
  int b = socket(AF_INET, SOCK_STREAM, 0);
  if (b < 0 || connect(b, (struct sockaddr*)&backend_addr, sizeof backend_addr) < 0) {
    perror("floor_relay_uring: backend connect");
    if (b >= 0) close(b);
    close(c);
    return;
  }
  set_nodelay(c);
  set_nodelay(b);
  struct pair* p = calloc(1, sizeof *p);
  if (!p) die("calloc", ENOMEM);
  p->s[0].fd = c;
  p->s[1].fd = b;
  for (int i = 0; i < 2; i++) {
    struct side* s = &p->s[i];
    s->peer = &p->s[1 - i];
    s->pair = p;
    s->sending = s->q_head = s->q_tail = -1;
    arm_recv(s);
  }
}

static void on_recv(struct side* s, struct io_uring_cqe* cqe) {
  struct pair* p = s->pair;
  if (!(cqe->flags & IORING_CQE_F_MORE)) {
    s->recv_armed = 0;
    p->refs--;
  }
  if (cqe->res > 0) {
    int bid = (int)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
    if (p->closing) {
      recycle(bid);
    } else {
      struct side* to = s->peer;
      len_of[bid] = (unsigned)cqe->res;
      next_bid[bid] = -1;
      if (to->q_tail >= 0)
        next_bid[to->q_tail] = bid;
      else
        to->q_head = bid;
      to->q_tail = bid;
      send_next(to);
    }
    if (!s->recv_armed && !p->closing) arm_recv(s);  // the multishot recv stopped; restart it
  } else if (cqe->res == -ENOBUFS && !p->closing) {
    s->next_rearm = rearm_list;  // restarted once buffers came back
    rearm_list = s;
    p->refs++;  // keeps the pair alive while it waits
  } else if (cqe->res == 0) {
    begin_close(p, 0);
  } else {
    begin_close(p, 1);
  }
  settle(p);
}

static void on_send(struct side* to, struct io_uring_cqe* cqe) {
  struct pair* p = to->pair;
  int bid = to->sending;
  p->refs--;
  if (cqe->res < 0) {
    recycle(bid);
    to->sending = -1;
    begin_close(p, 1);
  } else if (to->send_off + (unsigned)cqe->res < len_of[bid] && !p->shut) {
    // short send (MSG_WAITALL makes this rare): send the rest
    to->send_off += (unsigned)cqe->res;
    struct io_uring_sqe* sqe = sqe_get();
    io_uring_prep_send(sqe, to->fd, bufs + (size_t)bid * BUF_SIZE + to->send_off,
                       len_of[bid] - to->send_off, MSG_WAITALL | MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)to | OP_SEND);
    p->refs++;
  } else {
    recycle(bid);
    to->sending = -1;
    send_next(to);
  }
  settle(p);
}

// Restarts the recvs that ran out of buffers (after buffers were given back).
static void rearm_waiting(void) {
  struct side* s = rearm_list;
  rearm_list = NULL;
  while (s) {
    struct side* next = s->next_rearm;
    s->pair->refs--;
    if (!s->pair->closing)
      arm_recv(s);
    else
      settle(s->pair);
    s = next;
  }
}

int main(int argc, char** argv) {
  lfd = floor_listen(argc, argv, 0, &backend_addr);

  struct io_uring_params params;
  memset(&params, 0, sizeof params);
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
  params.cq_entries = CQ_ENTRIES;
  int ret = io_uring_queue_init_params(SQ_ENTRIES, &ring, &params);
  if (ret < 0) die("io_uring_queue_init_params", -ret);

  // Provided-buffer ring, registered by hand: page-aligned ring memory, then the buffers.
  size_t ring_bytes = NBUF * sizeof(struct io_uring_buf);
  br = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (br == MAP_FAILED) die("mmap", errno);
  struct io_uring_buf_reg reg;
  memset(&reg, 0, sizeof reg);
  reg.ring_addr = (uint64_t)(uintptr_t)br;
  reg.ring_entries = NBUF;
  reg.bgid = BGID;
  ret = io_uring_register_buf_ring(&ring, &reg, 0);
  if (ret < 0) die("io_uring_register_buf_ring", -ret);
  io_uring_buf_ring_init(br);
  bufs = malloc((size_t)NBUF * BUF_SIZE);
  if (!bufs) die("malloc", ENOMEM);
  for (int i = 0; i < NBUF; i++) recycle(i);
  flush_recycled();

  arm_accept();
  for (;;) {
    ret = io_uring_submit_and_wait(&ring, 1);
    if (ret < 0 && ret != -EINTR && ret != -ETIME) die("io_uring_submit_and_wait", -ret);
    struct io_uring_cqe* cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      seen++;
      uint64_t ud = cqe->user_data;
      if (ud == ACCEPT_TAG) {
        on_accept(cqe);
        continue;
      }
      struct side* s = (struct side*)(uintptr_t)(ud & ~(uint64_t)OP_MASK);
      if ((ud & OP_MASK) == OP_RECV)
        on_recv(s, cqe);
      else
        on_send(s, cqe);
    }
    io_uring_cq_advance(&ring, seen);
    flush_recycled();
    if (rearm_list) rearm_waiting();
  }
}
