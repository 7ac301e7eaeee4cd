"""Helpers for the load-balancing, health-check, resilience and admin-API end-to-end tests.

- CtlBackend: a scriptable HTTP/1.1 backend in a subprocess (this file run as a program). Its
  behaviour (status, delay, health answer) is changed at run time through control requests
  sent directly to it, it counts what it served, and it can be killed and restarted on the
  same port.
- Load: a multi-threaded keep-alive client loop that records every request (time, status,
  backend) so tests can count per-backend shares over time windows.
- Admin: a tiny client for portico's admin JSON API.
- lb_config: make_config plus an admin listener.

Run as a program: python3 lbutil.py --port P --name N [--status S] [--delay-ms D]
"""
import argparse
import collections
import http.client
import json
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from e2elib import (PYTHON, E2EError, HttpConn, ConnectionClosed, build_request,  # noqa: E402
                    free_port, make_config, port_accepts, stop_process, tail, wait_for)


# ---------------------------------------------------------------------------------------------
# Config


def server(addr, weight=None, backup=None):
    s = {"address": addr}
    if weight is not None:
        s["weight"] = weight
    if backup is not None:
        s["backup"] = backup
    return s


def lb_config(port, cluster, name="web", admin_port=None, routes=None, workers=2, **top):
    """One cluster `name` with options `cluster` (a dict with "servers" and cluster keys)."""
    if admin_port is not None:
        top["admin"] = {"address": "127.0.0.1:%d" % admin_port}
    return make_config(port, {name: cluster}, routes=routes, workers=workers, **top)


# ---------------------------------------------------------------------------------------------
# Admin API client


class Admin:
    def __init__(self, port):
        self.port = port

    def request(self, method, path, body=None, raw=None, timeout=5.0):
        """Returns (status, parsed JSON or None, headers dict)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = raw if raw is not None else (None if body is None else json.dumps(body))
            hdrs = {}
            if data is not None:
                hdrs["Content-Type"] = "application/json"
            c.request(method, path, body=data, headers=hdrs)
            r = c.getresponse()
            text = r.read()
            try:
                js = json.loads(text) if text else None
            except ValueError:
                js = {"_raw": text.decode("latin-1")}
            return r.status, js, {k.lower(): v for k, v in r.getheaders()}
        finally:
            c.close()

    def ok(self, method, path, body=None, expect=(200, 201)):
        st, js, _ = self.request(method, path, body)
        if st not in expect:
            raise E2EError("admin %s %s -> %d %r" % (method, path, st, js))
        return js

    def cluster(self, name="web"):
        return self.ok("GET", "/clusters/%s" % name)

    def servers(self, name="web"):
        """{address: server object}"""
        return {s["address"]: s for s in self.cluster(name)["servers"]}

    def srv(self, addr, name="web"):
        return self.ok("GET", "/clusters/%s/servers/%s" % (name, quote(addr, safe="")))

    def action(self, addr, what, name="web"):
        return self.ok("POST", "/clusters/%s/servers/%s/%s" % (name, quote(addr, safe=""), what))

    def set_weight(self, addr, weight, name="web"):
        return self.ok("PUT", "/clusters/%s/servers/%s/weight" % (name, quote(addr, safe="")),
                       {"weight": weight})

    def add(self, addr, name="web", **kw):
        body = {"address": addr}
        body.update(kw)
        return self.ok("POST", "/clusters/%s/servers" % name, body)

    def remove(self, addr, name="web"):
        return self.ok("DELETE", "/clusters/%s/servers/%s" % (name, quote(addr, safe="")))

    def wait_field(self, addr, field, value, timeout=5.0, name="web"):
        return wait_for(lambda: self.servers(name).get(addr, {}).get(field) == value,
                        timeout=timeout, interval=0.01,
                        msg="%s %s == %r (admin)" % (addr, field, value))


# ---------------------------------------------------------------------------------------------
# Scriptable backend (subprocess)


class CtlBackend:
    """This file run as a backend. Every request (except control ones) gets `status` after
    `delay_ms`, with a JSON body {"backend": NAME, ...} and an X-Backend header. Requests with
    User-Agent portico-health are health checks: they get `health_status` and body
    `health_body` and are counted apart. Control (sent directly to the backend):
    GET /__set?status=&delay=&health_status=&health_body=&health_delay=, GET /__stats,
    GET /__reset."""

    def __init__(self, workdir, name, port=None, status=200, delay_ms=0, health_status=200,
                 health_body="ok"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.port = port or free_port()
        self.initial = dict(status=status, delay=delay_ms, health_status=health_status,
                            health_body=health_body)
        self.proc = None
        self._err = None

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    def start(self, timeout=10.0):
        cmd = [PYTHON, str(Path(__file__).resolve()), "--port", str(self.port),
               "--name", self.name]
        for k, v in self.initial.items():
            cmd += ["--" + k.replace("_", "-"), str(v)]
        errp = self.workdir / ("ctl-%s.stderr" % self.name)
        self._err = open(errp, "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self._err,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        # Ours answering (not merely something listening on a port another test grabbed).
        while not (port_accepts(self.port) and self._is_mine()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise E2EError("backend %s failed to start on port %d: %s" % (
                    self.name, self.port, tail(errp)))
            time.sleep(0.01)
        return self

    def _is_mine(self):
        try:
            return self.stats().get("name") == self.name and self.proc.poll() is None
        except (OSError, ValueError, http.client.HTTPException):
            return False

    def kill(self):
        """SIGKILL: the port is closed at once (connections reset/closed by the kernel)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(5)
        if self._err:
            self._err.close()
            self._err = None

    def stop(self):
        stop_process(self.proc, 5)
        if self._err:
            self._err.close()
            self._err = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _ctl(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            c.request("GET", path)
            return json.loads(c.getresponse().read())
        finally:
            c.close()

    def set(self, **kw):
        """status=, delay=, health_status=, health_body=, health_delay="""
        q = "&".join("%s=%s" % (k, quote(str(v))) for k, v in kw.items())
        return self._ctl("/__set?" + q)

    def stats(self):
        return self._ctl("/__stats")

    def reset(self):
        return self._ctl("/__reset")


def ctl_backend(procs, name, **kw):
    """A started CtlBackend registered with the procs factory (stopped at teardown)."""
    b = CtlBackend(procs.workdir / "backends", name, **kw)
    procs.items.append(b)
    return b.start()


# ---------------------------------------------------------------------------------------------
# Load generator


class Rec:
    __slots__ = ("t0", "t1", "status", "backend", "error", "tid", "i", "resp")

    def __init__(self, t0, t1, status, backend, error, tid, i, resp):
        self.t0, self.t1, self.status, self.backend, self.error, self.tid = (
            t0, t1, status, backend, error, tid)
        self.i, self.resp = i, resp

    def __repr__(self):
        return "<Rec %.3f+%.3f %s %s %s>" % (self.t0, self.t1 - self.t0, self.status,
                                              self.backend, self.error or "")


class Load:
    """`threads` client threads, each on its own keep-alive connection, sending requests until
    `total` requests were sent (shared count) or stop() is called. Every request is recorded.
    `make_request(i)` may return (method, target, headers, body) to vary requests."""

    def __init__(self, port, threads=4, total=None, path="/", method="GET", headers=(),
                 body=None, make_request=None, timeout=10.0, pause=0.0, keep_responses=False):
        self.port = port
        self.nthreads = threads
        self.total = total
        self.path, self.method, self.headers, self.body = path, method, list(headers), body
        self.make_request = make_request
        self.timeout = timeout
        self.pause = pause
        self.keep_responses = keep_responses
        self.lock = threading.Lock()
        self.records = []
        self.sent = 0
        self._stop = threading.Event()
        self.threads = []
        self.t_start = None

    def _next(self):
        with self.lock:
            if self._stop.is_set() or (self.total is not None and self.sent >= self.total):
                return None
            i = self.sent
            self.sent += 1
            return i

    def _run(self, tid):
        conn = None
        while True:
            i = self._next()
            if i is None:
                break
            if self.make_request:
                method, target, headers, body = self.make_request(i)
            else:
                method, target, headers, body = self.method, self.path, self.headers, self.body
            t0 = time.monotonic()
            status, backend, err, r = None, None, None, None
            try:
                if conn is None:
                    conn = HttpConn(self.port, timeout=self.timeout)
                conn.send(build_request(method, target, "lb.test", headers, body))
                r = conn.read_response(method)
                status = r.status
                backend = r.header("X-Backend")
                if (r.header("Connection") or "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, ConnectionClosed, E2EError) as e:
                err = "%s: %s" % (type(e).__name__, e)
                if conn is not None:
                    conn.close()
                conn = None
            t1 = time.monotonic()
            with self.lock:
                self.records.append(Rec(t0, t1, status, backend, err, tid, i,
                                        r if self.keep_responses else None))
            if self.pause:
                time.sleep(self.pause)
        if conn is not None:
            conn.close()

    def start(self):
        self.t_start = time.monotonic()
        for tid in range(self.nthreads):
            t = threading.Thread(target=self._run, args=(tid,), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def stop(self):
        self._stop.set()
        return self.join()

    def join(self, timeout=120.0):
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.1, deadline - time.monotonic()))
            if t.is_alive():
                raise E2EError("load thread still running after %.0fs" % timeout)
        return self

    def run(self):
        return self.start().join()

    # --- analysis

    def snapshot(self):
        with self.lock:
            return list(self.records)

    def count(self, since=None, until=None, status=None):
        """Counter of backend names for records that started in [since, until)."""
        c = collections.Counter()
        for r in self.snapshot():
            if since is not None and r.t0 < since:
                continue
            if until is not None and r.t0 >= until:
                continue
            if status is not None and r.status != status:
                continue
            c[r.backend] += 1
        return c

    def failures(self):
        return [r for r in self.snapshot() if r.error or r.status != 200]

    def wait_requests(self, n, timeout=10.0):
        wait_for(lambda: len(self.records) >= n, timeout=timeout, msg="%d requests sent" % n)


def shares(counter, names):
    total = sum(counter[n] for n in names) or 1
    return {n: counter[n] / total for n in names}


def get(port, target="/", headers=(), method="GET", body=None, timeout=10.0):
    """One request on a fresh connection; returns the Response."""
    with HttpConn(port, timeout=timeout) as c:
        return c.request(method, target, "lb.test", headers, body)


def backends_of(port, n, target="/", headers=(), conn=None):
    """Sends n GETs on one keep-alive connection; returns a Counter of X-Backend values
    (non-200 responses count as 'status:NNN')."""
    c = collections.Counter()
    own = conn is None
    conn = conn or HttpConn(port)
    try:
        for _ in range(n):
            r = conn.request("GET", target, "lb.test", headers)
            c[r.header("X-Backend") if r.status == 200 else "status:%d" % r.status] += 1
    finally:
        if own:
            conn.close()
    return c


# ---------------------------------------------------------------------------------------------
# The backend program


class _State:
    def __init__(self, a):
        self.lock = threading.Lock()
        self.status = a.status
        self.delay = a.delay
        self.health_status = a.health_status
        self.health_body = a.health_body
        self.health_delay = 0
        self.reset()

    def reset(self):
        self.requests = 0
        self.health = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.connections = 0
        self.open = getattr(self, "open", 0)
        self.max_open = self.open
        self.methods = collections.Counter()
        self.health_last = None


def _serve_main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--delay", type=int, default=0)
    ap.add_argument("--health-status", type=int, default=200)
    ap.add_argument("--health-body", default="ok")
    a = ap.parse_args()
    st = _State(a)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            sock = self.request
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.counted = False  # counted at its first non-control request
            buf = b""
            try:
                while True:
                    while b"\r\n\r\n" not in buf:
                        d = sock.recv(65536)
                        if not d:
                            return
                        buf += d
                    head, buf = buf.split(b"\r\n\r\n", 1)
                    lines = head.decode("latin-1").split("\r\n")
                    method, target = (lines[0].split(" ") + ["", ""])[:2]
                    hdrs = {}
                    for ln in lines[1:]:
                        n, _, v = ln.partition(":")
                        hdrs[n.strip().lower()] = v.strip()
                    cl = int(hdrs.get("content-length", "0") or 0)
                    while len(buf) < cl:
                        d = sock.recv(65536)
                        if not d:
                            return
                        buf += d
                    buf = buf[cl:]
                    keep = "close" not in hdrs.get("connection", "").lower()
                    if not self.answer(sock, method, target, hdrs, keep):
                        return
            except OSError:
                pass
            finally:
                if self.counted:
                    with st.lock:
                        st.open -= 1
                try:
                    sock.close()
                except OSError:
                    pass

        def answer(self, sock, method, target, hdrs, keep):
            u = urlsplit(target)
            q = parse_qs(u.query)
            if u.path.startswith("/__"):
                with st.lock:
                    if u.path == "/__set":
                        for k, v in q.items():
                            v = v[0]
                            setattr(st, k, v if k == "health_body" else int(v))
                        out = {"ok": True}
                    elif u.path == "/__reset":
                        st.reset()
                        out = {"ok": True}
                    else:
                        out = {"name": a.name, "requests": st.requests, "health": st.health,
                               "in_flight": st.in_flight, "max_in_flight": st.max_in_flight,
                               "connections": st.connections, "methods": dict(st.methods),
                               "open": st.open, "max_open": st.max_open,
                               "health_last": st.health_last,
                               "status": st.status, "delay": st.delay}
                body = json.dumps(out).encode()
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                return True
            if not self.counted:
                self.counted = True
                with st.lock:
                    st.connections += 1
                    st.open += 1
                    st.max_open = max(st.max_open, st.open)
            if hdrs.get("user-agent", "").startswith("portico-health"):
                with st.lock:
                    st.health += 1
                    st.health_last = {"method": method, "target": target,
                                      "host": hdrs.get("host"),
                                      "connection": hdrs.get("connection"),
                                      # set by an nginx in front (h2util.NginxH2)
                                      "proto": hdrs.get("x-upstream-protocol")}
                    status, body, delay = st.health_status, st.health_body, st.health_delay
                if delay:
                    time.sleep(delay / 1000.0)
                body = body.encode()
                extra = b""
            else:
                with st.lock:
                    st.requests += 1
                    st.methods[method] += 1
                    st.in_flight += 1
                    st.max_in_flight = max(st.max_in_flight, st.in_flight)
                    status, delay = st.status, st.delay
                if "ms" in q:
                    delay = int(q["ms"][0])
                try:
                    if delay:
                        time.sleep(delay / 1000.0)
                finally:
                    with st.lock:
                        st.in_flight -= 1
                body = (json.dumps({"backend": a.name, "port": a.port, "method": method,
                                    "target": target}) + "\n").encode()
                extra = b"Content-Type: application/json\r\n"
            resp = (b"HTTP/1.1 %d X\r\nX-Backend: %s\r\n%sContent-Length: %d\r\n%s\r\n" % (
                status, a.name.encode(), extra, len(body),
                b"" if keep else b"Connection: close\r\n"))
            if method != "HEAD":
                resp += body
            sock.sendall(resp)
            return keep

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True
        request_queue_size = 512

    srv = Server(("127.0.0.1", a.port), Handler)
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    _serve_main()
