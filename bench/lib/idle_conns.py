#!/usr/bin/python3
"""Open N keep-alive connections to HOST:PORT, do one GET on each, then hold them idle.

Used by bench/compare.sh for W7 (memory per idle connection). Every connection sends one
request (`GET PATH HTTP/1.1`, keep-alive) and reads the complete response (Content-Length or
chunked), so each is a real keep-alive connection the proxy has served once. At most
--inflight connections are being set up at a time (bounded backlog pressure).

When all are done it writes "READY <ok> <failed>" to --ready-file (and stdout), then holds the
connections open until SIGTERM/SIGINT arrives or --hold seconds pass.
Exit status: 0 if all N succeeded, 1 otherwise (also 1 on setup timeout).
"""
import argparse
import errno
import os
import selectors
import signal
import socket
import sys
import time


class Conn:
    __slots__ = ("sock", "state", "buf", "need", "chunked")

    def __init__(self, sock):
        self.sock = sock
        self.state = "connecting"
        self.buf = b""
        self.need = None
        self.chunked = False


def response_complete(c):
    """True when c.buf holds a complete response."""
    head_end = c.buf.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    if c.need is None:
        head = c.buf[:head_end].decode("latin-1").lower()
        c.need = -1
        for line in head.split("\r\n")[1:]:
            k, _, v = line.partition(":")
            k, v = k.strip(), v.strip()
            if k == "content-length":
                c.need = head_end + 4 + int(v)
            elif k == "transfer-encoding" and "chunked" in v:
                c.chunked = True
        if not head.startswith("http/1.1 200") and not head.startswith("http/1.0 200"):
            raise ValueError("status " + head.split("\r\n", 1)[0])
    if c.chunked:
        return c.buf.endswith(b"0\r\n\r\n")
    if c.need < 0:
        raise ValueError("response without length")
    return len(c.buf) >= c.need


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/small")
    ap.add_argument("-n", "--conns", type=int, default=10000)
    ap.add_argument("--inflight", type=int, default=128)
    ap.add_argument("--setup-timeout", type=float, default=120.0)
    ap.add_argument("--hold", type=float, default=300.0)
    ap.add_argument("--ready-file")
    a = ap.parse_args()

    stop = {"flag": False}

    def on_signal(signum, frame):
        stop["flag"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    req = (f"GET {a.path} HTTP/1.1\r\nHost: {a.host}:{a.port}\r\n"
           f"User-Agent: idle_conns\r\nAccept: */*\r\n\r\n").encode()
    sel = selectors.DefaultSelector()
    done, failed, started, active = [], 0, 0, 0
    deadline = time.monotonic() + a.setup_timeout
    errors = {}

    def fail(c, why):
        nonlocal failed, active
        errors[why] = errors.get(why, 0) + 1
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()
        failed += 1
        active -= 1

    while (started < a.conns or active > 0) and not stop["flag"]:
        if time.monotonic() > deadline:
            print(f"idle_conns: setup timed out: {len(done)} ok, {failed} failed, {active} pending",
                  file=sys.stderr)
            break
        while started < a.conns and active < a.inflight:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            err = s.connect_ex((a.host, a.port))
            started += 1
            active += 1
            c = Conn(s)
            if err not in (0, errno.EINPROGRESS):
                fail(c, os.strerror(err))
                continue
            sel.register(s, selectors.EVENT_WRITE, c)
        for key, ev in sel.select(timeout=1.0):
            c = key.data
            if c.state == "connecting":
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    fail(c, os.strerror(err))
                    continue
                try:
                    c.sock.send(req)  # small; fits the empty send buffer
                except OSError as e:
                    fail(c, str(e))
                    continue
                c.state = "reading"
                sel.modify(c.sock, selectors.EVENT_READ, c)
            else:
                try:
                    data = c.sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError as e:
                    fail(c, str(e))
                    continue
                if not data:
                    fail(c, "closed before response completed")
                    continue
                c.buf += data
                try:
                    complete = response_complete(c)
                except ValueError as e:
                    fail(c, str(e))
                    continue
                if complete:
                    sel.unregister(c.sock)
                    c.buf = b""
                    done.append(c.sock)
                    active -= 1

    msg = f"READY {len(done)} {failed}"
    if errors:
        print("idle_conns: errors: " + ", ".join(f"{k} x{v}" for k, v in errors.items()), file=sys.stderr)
    print(msg, flush=True)
    if a.ready_file:
        tmp = a.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(msg + "\n")
        os.replace(tmp, a.ready_file)

    # Hold until SIGTERM/SIGINT or the hold timeout.
    end = time.monotonic() + a.hold
    while not stop["flag"] and time.monotonic() < end:
        time.sleep(0.2)
    for s in done:
        s.close()
    return 0 if len(done) == a.conns else 1


if __name__ == "__main__":
    sys.exit(main())
