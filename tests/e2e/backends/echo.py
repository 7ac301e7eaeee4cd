#!/usr/bin/env python3
"""HTTP/1.1 echo backend for portico's end-to-end tests.

A threaded raw-socket server (one thread per connection) that speaks HTTP/1.1 with keep-alive,
reads Content-Length and chunked request bodies (streaming, never holding a whole body), and
answers with a JSON document describing what it received:

  {"backend": NAME, "port": P, "method": ..., "target": ..., "version": ...,
   "headers": [[name, value], ...], "body_length": N, "body_sha256": HEX (or body_crc32),
   "trailers": [[name, value], ...], "conn_id": C, "conn_request": K, "peer": "ip:port"}

Per-request behaviour is chosen by the request path (query parameters in brackets):
  /status/NNN          answer with status NNN (no body for 1xx/204/304)
  /slow[?ms=N]         wait N ms (default 2000) before answering
  /chunked[?n=K&size=S] chunked response of K chunks (default 5) of S bytes (default 16)
  /big?bytes=N         Content-Length N, streams N bytes of the pattern bytes(range(256))*...
  /close               answer with Connection: close, then close the connection
  /trailers            chunked response with trailer fields X-Checksum and X-Done
  /100                 send an interim "100 Continue" before the final response
  /until-close         response without Content-Length/Transfer-Encoding, delimited by close
  /drop                close the connection without answering
  /half?bytes=N        announce Content-Length N, send N/2 bytes, close
  /discard...          like any path, but hash the body with crc32 (fast, for huge uploads)
  any path ?rh=Name:Value (repeatable) adds response header lines
A request carrying "Expect: 100-continue" gets "100 Continue" before its body is read.

Control (sent directly to the backend, not counted or logged):
  GET /__stats[?since=SEQ]  counters and the logged requests with seq > SEQ
  GET /__reset              clears counters and log

Options: --port P --name NAME [--idle-timeout SECONDS] (close connections idle that long
between requests) [--host 127.0.0.1].
"""
import argparse
import collections
import hashlib
import http
import json
import socket
import socketserver
import sys
import threading
import time
import zlib
from urllib.parse import parse_qs, urlsplit

PATTERN = bytes(range(256)) * 1024  # 256 KiB; any prefix of a repetition is the /big body


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.seq = 0
        self.heads = 0
        self.completed = 0
        self.aborted = 0
        self.connections = 0
        self.log = collections.deque(maxlen=5000)


STATE = State()
NAME = "echo"
PORT = 0
IDLE_TIMEOUT = None
IO_TIMEOUT = 120.0


class Reader:
    """Buffered reader over a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.scratch = bytearray(1 << 18)

    def fill(self):
        data = self.sock.recv(1 << 18)
        if not data:
            raise EOFError("peer closed")
        self.buf += data

    def readline(self, limit=1 << 20):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[: i + 1])
                del self.buf[: i + 1]
                return line
            if len(self.buf) > limit:
                raise ValueError("line too long")
            self.fill()

    def read_exact(self, n):
        while len(self.buf) < n:
            self.fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def stream(self, n, sink):
        """Consumes exactly n bytes, handing them to sink() piece by piece."""
        if self.buf:
            take = min(n, len(self.buf))
            sink(bytes(self.buf[:take]))
            del self.buf[:take]
            n -= take
        mv = memoryview(self.scratch)
        while n > 0:
            k = self.sock.recv_into(mv[: min(n, len(mv))])
            if k == 0:
                raise EOFError("peer closed mid-body")
            sink(mv[:k])
            n -= k


class Hasher:
    def __init__(self, fast):
        self.fast = fast
        self.length = 0
        self.crc = 0
        self.sha = None if fast else hashlib.sha256()

    def update(self, data):
        self.length += len(data)
        if self.fast:
            self.crc = zlib.crc32(data, self.crc)
        else:
            self.sha.update(data)

    def result(self):
        if self.fast:
            return {"body_length": self.length, "body_crc32": self.crc}
        return {"body_length": self.length, "body_sha256": self.sha.hexdigest()}


def reason(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Whatever"


def header_values(headers, name):
    name = name.lower()
    return [v for n, v in headers if n.strip().lower() == name]


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        with STATE.lock:
            STATE.connections += 1
            self.conn_id = STATE.connections
        self.peer = "%s:%d" % self.client_address[:2]
        self.rd = Reader(sock)
        self.nreq = 0
        try:
            while self.one_request():
                pass
        except (OSError, EOFError, ValueError):
            pass
        finally:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    # Returns True to keep the connection open for another request.
    def one_request(self):
        sock, rd = self.request, self.rd
        if not rd.buf:
            sock.settimeout(IDLE_TIMEOUT)
            try:
                rd.fill()
            except (socket.timeout, TimeoutError):
                return False  # idle too long: close, like a real server would
            except EOFError:
                return False
        sock.settimeout(IO_TIMEOUT)
        line = rd.readline()
        while line in (b"\r\n", b"\n"):
            line = rd.readline()
        parts = line.rstrip(b"\r\n").split(b" ", 2)
        while len(parts) < 3:
            parts.append(b"")
        method, target, version = (p.decode("latin-1") for p in parts)
        headers = []
        while True:
            hl = rd.readline()
            if hl in (b"\r\n", b"\n"):
                break
            name, _, value = hl.rstrip(b"\r\n").partition(b":")
            headers.append([name.decode("latin-1"), value.strip().decode("latin-1")])

        url = urlsplit(target)
        path = url.path
        query = parse_qs(url.query)

        if path.startswith("/__"):
            return self.control(path, query)

        self.nreq += 1
        with STATE.lock:
            STATE.seq += 1
            STATE.heads += 1
            entry = {
                "seq": STATE.seq,
                "conn_id": self.conn_id,
                "conn_request": self.nreq,
                "method": method,
                "target": target,
                "version": version,
                "headers": headers,
                "complete": False,
                "aborted": False,
                "time": time.time(),
            }
            STATE.log.append(entry)

        # Request body.
        te = ",".join(header_values(headers, "transfer-encoding")).lower()
        cls = header_values(headers, "content-length")
        expect = ",".join(header_values(headers, "expect")).lower()
        hasher = Hasher(fast=path.startswith("/discard"))
        trailers = []
        has_body = "chunked" in te or (cls and cls[0] not in ("", "0"))
        try:
            if has_body and "100-continue" in expect:
                sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            if "chunked" in te:
                while True:
                    size_line = rd.readline()
                    size = int(size_line.split(b";")[0].strip(), 16)
                    if size == 0:
                        while True:
                            tl = rd.readline()
                            if tl in (b"\r\n", b"\n"):
                                break
                            n, _, v = tl.rstrip(b"\r\n").partition(b":")
                            trailers.append([n.decode("latin-1"), v.strip().decode("latin-1")])
                        break
                    rd.stream(size, hasher.update)
                    if rd.read_exact(2) != b"\r\n":
                        raise ValueError("missing CRLF after chunk data")
            elif cls:
                rd.stream(int(cls[0]), hasher.update)
        except (OSError, EOFError, ValueError):
            with STATE.lock:
                entry["aborted"] = True
                entry["body_length"] = hasher.length
                STATE.aborted += 1
            return False
        with STATE.lock:
            entry["complete"] = True
            entry.update(hasher.result())
            entry["trailers"] = trailers
            STATE.completed += 1

        conn_tokens = ",".join(header_values(headers, "connection")).lower()
        keep = not ("close" in conn_tokens or (version == "HTTP/1.0" and "keep-alive" not in conn_tokens))
        return self.respond(method, path, query, entry, hasher, trailers, keep)

    def respond(self, method, path, query, entry, hasher, trailers, keep):
        sock = self.request
        head_only = method == "HEAD"
        info = {
            "backend": NAME,
            "port": PORT,
            "method": entry["method"],
            "target": entry["target"],
            "version": entry["version"],
            "headers": entry["headers"],
            "trailers": trailers,
            "conn_id": self.conn_id,
            "conn_request": self.nreq,
            "peer": self.peer,
        }
        info.update(hasher.result())
        body = (json.dumps(info) + "\n").encode()
        status = 200
        extra = [("X-Backend", NAME)]
        for rh in query.get("rh", []):
            n, _, v = rh.partition(":")
            extra.append((n.strip(), v.strip()))

        if path == "/drop":
            return False
        if path.startswith("/status/"):
            status = int(path.split("/")[2])
        if path == "/slow":
            ms = int(query.get("ms", ["2000"])[0])
            time.sleep(ms / 1000.0)
        if path == "/close":
            keep = False
        if path == "/100":
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

        def head(status, headers):
            lines = ["HTTP/1.1 %d %s" % (status, reason(status))]
            lines += ["%s: %s" % (n, v) for n, v in headers + extra]
            if not keep:
                lines.append("Connection: close")
            return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

        if path == "/chunked" or path == "/trailers":
            if path == "/chunked":
                n = int(query.get("n", ["5"])[0])
                size = int(query.get("size", ["16"])[0])
                chunks = [chunk_payload(i, size) for i in range(n)]
                tr = b""
                hdrs = [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")]
            else:
                chunks = [b"hello ", b"trailers\n"]
                tr = b"X-Checksum: abc123\r\nX-Done: yes\r\n"
                hdrs = [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked"),
                        ("Trailer", "X-Checksum, X-Done")]
            sock.sendall(head(status, hdrs))
            if head_only:
                return keep
            for c in chunks:
                sock.sendall(b"%x\r\n%s\r\n" % (len(c), c))
            sock.sendall(b"0\r\n" + tr + b"\r\n")
            return keep

        if path == "/big":
            n = int(query.get("bytes", ["1048576"])[0])
            sock.sendall(head(status, [("Content-Type", "application/octet-stream"),
                                       ("Content-Length", str(n))]))
            if head_only:
                return keep
            send_pattern(sock, n)
            return keep

        if path == "/half":
            n = int(query.get("bytes", ["100000"])[0])
            sock.sendall(head(status, [("Content-Type", "application/octet-stream"),
                                       ("Content-Length", str(n))]))
            send_pattern(sock, n // 2)
            return False

        if path == "/until-close":
            keep = False
            lines = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
            lines += "".join("%s: %s\r\n" % hv for hv in extra)
            sock.sendall((lines + "\r\n").encode("latin-1"))
            if not head_only:
                sock.sendall(b"until close body\n" * 100)
            return False

        no_body = status < 200 or status in (204, 304)
        hdrs = [] if no_body else [("Content-Type", "application/json"),
                                   ("Content-Length", str(len(body)))]
        data = head(status, hdrs)
        if not head_only and not no_body:
            data += body
        sock.sendall(data)
        return keep

    def control(self, path, query):
        if path == "/__reset":
            with STATE.lock:
                STATE.reset()
            out = {"ok": True}
        else:
            since = int(query.get("since", ["0"])[0])
            with STATE.lock:
                out = {
                    "seq": STATE.seq,
                    "heads": STATE.heads,
                    "completed": STATE.completed,
                    "aborted": STATE.aborted,
                    "connections": STATE.connections,
                    "entries": [dict(e) for e in STATE.log if e["seq"] > since],
                }
        body = json.dumps(out).encode()
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        return True


def chunk_payload(i, size):
    s = ("chunk-%05d:" % i).encode()
    return (s * (size // len(s) + 1))[:size]


def send_pattern(sock, n):
    mv = memoryview(PATTERN)
    while n > 0:
        k = min(n, len(mv))
        sock.sendall(mv[:k])
        n -= k


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512


def main():
    global NAME, PORT, IDLE_TIMEOUT
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--name", default="echo")
    ap.add_argument("--idle-timeout", type=float, default=None)
    args = ap.parse_args()
    NAME, PORT, IDLE_TIMEOUT = args.name, args.port, args.idle_timeout
    srv = Server((args.host, args.port), Handler)
    print("echo backend %s listening on %s:%d" % (NAME, args.host, args.port), file=sys.stderr,
          flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
