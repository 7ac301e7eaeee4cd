// What the floor relays (floor_relay.c, floor_relay_uring.c, floor_relay_h2.c) share: the command
// line and the listening socket. Benchmark tools, not portico code; included as "floor_common.h".
#pragma once
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

// Parses `PROG LISTEN_PORT BACKEND_PORT` followed by `nextra` more arguments (named in
// `extra_usage`, for the usage message), ignores SIGPIPE, fills *backend (127.0.0.1:BACKEND_PORT)
// and returns a socket listening on 127.0.0.1:LISTEN_PORT (socket type flags in `type_flags`,
// e.g. SOCK_NONBLOCK). Exits with a message on a usage or socket error.
static int floor_listen_args(int argc, char** argv, int nextra, const char* extra_usage,
                             int type_flags, struct sockaddr_in* backend) {
  if (argc != 3 + nextra) {
    fprintf(stderr, "usage: %s LISTEN_PORT BACKEND_PORT%s%s\n", argv[0], nextra ? " " : "",
            extra_usage);
    exit(2);
  }
  signal(SIGPIPE, SIG_IGN);
  struct sockaddr_in la = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
  la.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  *backend = la;
  backend->sin_port = htons((uint16_t)atoi(argv[2]));
  int lfd = socket(AF_INET, SOCK_STREAM | type_flags, 0);
  int one = 1;
  if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(lfd, (struct sockaddr*)&la, sizeof la) < 0 || listen(lfd, 511) < 0) {
    fprintf(stderr, "%s: listen on port %s: %s\n", argv[0], argv[1], strerror(errno));
    exit(1);
  }
  return lfd;
}

// floor_listen_args for exactly `PROG LISTEN_PORT BACKEND_PORT`.
static inline int floor_listen(int argc, char** argv, int type_flags, struct sockaddr_in* backend) {
  return floor_listen_args(argc, argv, 0, "", type_flags, backend);
}

// An epoll instance with the listening socket `lfd` registered (level-triggered EPOLLIN,
// data.ptr NULL: the event loops tell it from their connections by that). Exits on error.
static inline int floor_epoll(int lfd) {
  int epfd = epoll_create1(0);
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
  if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev) < 0) {
    perror("epoll");
    exit(1);
  }
  return epfd;
}
