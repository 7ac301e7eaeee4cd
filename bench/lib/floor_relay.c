// floor_relay: the cheapest proxy an epoll event loop can be, as a reference row for
// bench/compare.sh ("floor"). It does no HTTP work at all: every accepted client connection gets
// its own backend connection and bytes are copied both ways until either side ends. Per
// keep-alive request that is 4 data syscalls (recv client, send backend, recv backend, send
// client) plus a share of epoll_wait, the same system calls a real HTTP/1 proxy makes, so its
// CPU time per request is the kernel floor that portico, nginx and HAProxy sit on.
//
// Usage: floor_relay LISTEN_PORT BACKEND_PORT   (both on 127.0.0.1; runs until killed)
// Build: gcc -O2 -Wall -o floor_relay bench/lib/floor_relay.c
//
// Design: one thread, one epoll instance. Relay sockets are non-blocking and edge-triggered,
// registered once for EPOLLIN|EPOLLOUT|EPOLLRDHUP (no epoll_ctl per request). Reads go into one
// static 64 KiB buffer and are sent on at once; a read shorter than the buffer means the socket
// was drained, so reading stops there (a later arrival raises a new edge). A partial send keeps
// the rest in a per-side pending buffer, and the source side is not read again until EPOLLOUT
// has flushed it, so at most 64 KiB is ever pending per direction and bytes stay in order. The
// listener is level-triggered with one accept per event. The backend connect is blocking (it
// completes at once on loopback).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floor_common.h"

enum { BUF_SIZE = 64 * 1024, MAX_EVENTS = 256 };

static char buf[BUF_SIZE];

struct pair;

// One socket of a client/backend pair. `pend` holds bytes still to be sent TO this socket.
struct side {
  int fd;
  int paused;  // reading this side waits until the peer's pending bytes are flushed
  struct side* peer;
  struct pair* pair;
  char* pend;  // BUF_SIZE bytes, allocated on the first partial send
  size_t pend_off, pend_len;
};

struct pair {
  struct side s[2];
  int dead;
  struct pair* next_dead;
};

static int epfd;
static struct sockaddr_in backend_addr;
static struct pair* dead_list;  // closed during this epoll_wait batch, freed after it

static void die(const char* what) {
  perror(what);
  exit(1);
}

// Closes both sockets of the pair; its memory is freed after the current event batch, because
// later events of the same batch may still point at it.
static void close_pair(struct pair* p) {
  if (p->dead) return;
  p->dead = 1;
  close(p->s[0].fd);
  close(p->s[1].fd);
  p->next_dead = dead_list;
  dead_list = p;
}

// Sends n bytes to `to`; what the socket does not take now is kept in to->pend.
// Returns -1 when the connection is broken.
static int send_or_keep(struct side* to, const char* data, size_t n) {
  ssize_t w = send(to->fd, data, n, MSG_NOSIGNAL);
  if (w == (ssize_t)n) return 0;
  if (w < 0) {
    if (errno != EAGAIN && errno != EINTR) return -1;
    w = 0;
  }
  if (!to->pend && !(to->pend = malloc(BUF_SIZE))) return -1;
  memcpy(to->pend, data + w, n - (size_t)w);
  to->pend_off = 0;
  to->pend_len = n - (size_t)w;
  return 0;
}

// Relays what `from` has to its peer. `drain` reads until EAGAIN (after a hang-up, or when
// resuming a paused side, whose edge was already consumed); otherwise a short read ends it.
// Returns -1 when the pair must be closed (end of stream or error).
static int relay(struct side* from, int drain) {
  struct side* to = from->peer;
  if (to->pend_len) {
    from->paused = 1;
    return 0;
  }
  for (;;) {
    ssize_t n = recv(from->fd, buf, BUF_SIZE, 0);
    if (n > 0) {
      if (send_or_keep(to, buf, (size_t)n) < 0) return -1;
      if (to->pend_len) {
        from->paused = 1;
        return 0;
      }
      if (n < BUF_SIZE && !drain) return 0;
      continue;
    }
    if (n == 0) return -1;
    if (errno == EAGAIN) return 0;
    if (errno != EINTR) return -1;
  }
}

// EPOLLOUT on `to`: sends its pending bytes; once empty, resumes reading the paused peer.
static int flush(struct side* to) {
  while (to->pend_len) {
    ssize_t w = send(to->fd, to->pend + to->pend_off, to->pend_len, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN) return 0;
      if (errno == EINTR) continue;
      return -1;
    }
    to->pend_off += (size_t)w;
    to->pend_len -= (size_t)w;
  }
  if (to->peer->paused) {
    to->peer->paused = 0;
    return relay(to->peer, 1);
  }
  return 0;
}

static void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Accepts one client, connects its backend connection and registers both.
static void accept_one(int lfd) {
  int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
  if (c < 0) return;  // EAGAIN, or the client already went away
  int b = socket(AF_INET, SOCK_STREAM, 0);
  if (b < 0 || connect(b, (struct sockaddr*)&backend_addr, sizeof backend_addr) < 0) {
    perror("floor_relay: backend connect");
    if (b >= 0) close(b);
    close(c);
    return;
  }
  int one = 1;
  ioctl(b, FIONBIO, &one);
  set_nodelay(c);
  set_nodelay(b);
  struct pair* p = calloc(1, sizeof *p);
  if (!p) die("calloc");
  p->s[0].fd = c;
  p->s[1].fd = b;
  for (int i = 0; i < 2; i++) {
    p->s[i].peer = &p->s[1 - i];
    p->s[i].pair = p;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                             .data.ptr = &p->s[i]};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, p->s[i].fd, &ev) < 0) die("epoll_ctl");
  }
}

int main(int argc, char** argv) {
  int lfd = floor_listen(argc, argv, SOCK_NONBLOCK, &backend_addr);
  epfd = floor_epoll(lfd);

  struct epoll_event evs[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(epfd, evs, MAX_EVENTS, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      struct side* s = evs[i].data.ptr;
      uint32_t e = evs[i].events;
      if (!s) {
        accept_one(lfd);
        continue;
      }
      if (s->pair->dead) continue;
      if ((e & EPOLLOUT) && s->pend_len && flush(s) < 0) {
        close_pair(s->pair);
        continue;
      }
      if ((e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && !s->paused &&
          relay(s, (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) < 0)
        close_pair(s->pair);
    }
    while (dead_list) {
      struct pair* p = dead_list;
      dead_list = p->next_dead;
      free(p->s[0].pend);
      free(p->s[1].pend);
      free(p);
    }
  }
}
