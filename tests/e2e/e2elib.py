"""Helpers for portico's end-to-end tests: processes (portico, backends, nginx), generated
configs, a raw HTTP/1.1 client, and polling utilities. No fixed sleeps: everything waits on a
condition with a deadline."""
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BACKENDS = HERE / "backends"
PORTICO_BIN = os.environ.get("PORTICO_BIN", str(REPO / "build" / "portico"))
NGINX_BIN = os.environ.get("NGINX_BIN", "/usr/sbin/nginx")
PYTHON = sys.executable or "/usr/bin/python3"

PATTERN = bytes(range(256)) * 1024  # same as backends/echo.py


class E2EError(AssertionError):
    pass


def stop_process(proc, timeout=5):
    """Stops a child process: SIGTERM, then SIGKILL when it has not exited after `timeout`."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def decompress(coding, body):
    """A gzip, br or zstd body decoded (br and zstd with their CLIs, installed by
    scripts/install_deps.sh; the test is skipped when one is missing)."""
    if coding == "gzip":
        import zlib
        return zlib.decompress(body, 16 + 15)
    tool = {"br": ["brotli", "-d", "-c"], "zstd": ["zstd", "-d", "-c"]}[coding]
    try:
        return subprocess.run(tool, input=body, capture_output=True, check=True).stdout
    except FileNotFoundError:
        import pytest
        pytest.skip("%s CLI not installed" % tool[0])


# ---------------------------------------------------------------------------------------------
# Polling and ports


def wait_for(cond, timeout=5.0, interval=0.02, msg="condition"):
    """Polls cond() until it returns a truthy value, which is returned; fails after timeout."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = cond()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - remembered for the failure message
            last_exc = e
        if time.monotonic() >= deadline:
            raise E2EError("timed out after %.1fs waiting for %s%s" % (
                timeout, msg, (" (last error: %r)" % last_exc) if last_exc else ""))
        time.sleep(interval)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_accepts(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def connect_refused(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def expected_pattern(n):
    reps = n // len(PATTERN) + 1
    return (PATTERN * reps)[:n]


# ---------------------------------------------------------------------------------------------
# YAML config generation (block style, strings double-quoted)


def _scalar(v):
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v))


def to_yaml(obj, indent=0):
    pad = "  " * indent
    lines = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)) and v:
                lines.append("%s%s:" % (pad, k))
                lines.append(to_yaml(v, indent + 1))
            elif isinstance(v, dict):
                lines.append("%s%s: {}" % (pad, k))
            elif isinstance(v, list):
                lines.append("%s%s: []" % (pad, k))
            else:
                lines.append("%s%s: %s" % (pad, k, _scalar(v)))
    elif isinstance(obj, list):
        for item in obj:
            if isinstance(item, (dict, list)) and item:
                sub = to_yaml(item, indent + 1).split("\n")
                lines.append("%s- %s" % (pad, sub[0][len(pad) + 2:]))
                lines.extend(sub[1:])
            else:
                lines.append("%s- %s" % (pad, _scalar(item)))
    else:
        lines.append(pad + _scalar(obj))
    return "\n".join(lines)


def make_config(port, clusters, routes=None, workers=2, listener_name="web", extra_listeners=(),
                **top):
    """Builds a config dict.

    clusters: {name: [addr, ...]} or {name: {"servers": [...], **cluster options}}
    routes: [(match_dict, cluster_name), ...]; default: everything to the first cluster.
    top: other top-level keys (limits=..., timeouts=..., access_log=..., ...).
    """
    cl = []
    for name, spec in clusters.items():
        if isinstance(spec, dict):
            c = {"name": name}
            c.update(spec)
        else:
            c = {"name": name, "servers": list(spec)}
        cl.append(c)
    if routes is None:
        routes = [({"path_prefix": "/"}, next(iter(clusters)))]
    listeners = [{
        "name": listener_name,
        "address": "127.0.0.1:%d" % port,
        "routes": [{"match": dict(m), "cluster": c} for m, c in routes],
    }]
    listeners.extend(extra_listeners)
    cfg = {"workers": workers, "listeners": listeners, "clusters": cl,
           "error_log": {"level": "info"}}
    cfg.update(top)
    return cfg


def listener_ports(cfg):
    ports = []
    for lst in cfg.get("listeners", []):
        ports.append(int(lst["address"].rsplit(":", 1)[1]))
    return ports


# ---------------------------------------------------------------------------------------------
# Processes


def tail(path, n=6000):
    try:
        data = Path(path).read_bytes()
    except OSError:
        return ""
    return data[-n:].decode("utf-8", "replace")


class Portico:
    """One portico process running in the foreground with a generated config."""

    live = []  # running instances, for failure reports

    def __init__(self, workdir, config, name="portico", args=None, ports=None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.config_path = self.workdir / (name + ".yaml")
        self.stderr_path = self.workdir / (name + ".stderr")
        self.stdout_path = self.workdir / (name + ".stdout")
        self.args = args
        self.proc = None
        self.config = None
        self.write_config(config)
        self.ports = ports if ports is not None else listener_ports(config)

    @property
    def port(self):
        return self.ports[0]

    @property
    def pid(self):
        return self.proc.pid

    def write_config(self, config):
        self.config = config
        text = config if isinstance(config, str) else to_yaml(config) + "\n"
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, self.config_path)

    def start(self, wait=True, timeout=10.0):
        if not os.access(PORTICO_BIN, os.X_OK):
            raise E2EError("portico binary not found at %s (set PORTICO_BIN)" % PORTICO_BIN)
        args = self.args if self.args is not None else ["run", "-c", str(self.config_path)]
        self._err = open(self.stderr_path, "ab")
        self._out = open(self.stdout_path, "ab")
        self.proc = subprocess.Popen([PORTICO_BIN] + list(args), stdout=self._out,
                                     stderr=self._err, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        Portico.live.append(self)
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        for p in self.ports:
            while not port_accepts(p):
                if self.proc.poll() is not None:
                    raise E2EError("portico exited with %s before listening on %d:\n%s" % (
                        self.proc.returncode, p, self.stderr()))
                if time.monotonic() > deadline:
                    raise E2EError("portico not listening on %d after %.0fs:\n%s" % (
                        p, timeout, self.stderr()))
                time.sleep(0.02)

    def stderr(self):
        return tail(self.stderr_path)

    def log_size(self):
        try:
            return self.stderr_path.stat().st_size
        except OSError:
            return 0

    def log_since(self, offset):
        """stderr written after byte offset (from log_size())."""
        try:
            with open(self.stderr_path, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stdout(self):
        return tail(self.stdout_path)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def reload(self, config=None):
        if config is not None:
            self.write_config(config)
        self.proc.send_signal(signal.SIGHUP)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_exit(self, timeout=15.0):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise E2EError("portico still running %.0fs after being told to stop:\n%s" % (
                timeout, self.stderr()))

    def stop(self, timeout=15.0, check=True):
        """SIGTERM, wait, and (check) assert exit status 0. Idempotent."""
        if self.proc is None:
            return None
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
                    raise E2EError("portico did not exit within %.0fs of SIGTERM:\n%s" % (
                        timeout, self.stderr()))
            rc = self.proc.returncode
        finally:
            self._close_files()
        if check and rc != 0:
            raise E2EError("portico exited with status %s (expected 0):\n%s" % (rc, self.stderr()))
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self._close_files()

    def _close_files(self):
        if self in Portico.live:
            Portico.live.remove(self)
        for f in (getattr(self, "_err", None), getattr(self, "_out", None)):
            if f is not None and not f.closed:
                f.close()

    def pids(self):
        """The portico process and all its descendants."""
        out, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            try:
                for task in os.listdir("/proc/%d/task" % pid):
                    with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                        todo.extend(int(x) for x in f.read().split())
            except OSError:
                pass
        return out

    def rss_kb(self):
        total = 0
        for pid in self.pids():
            try:
                with open("/proc/%d/status" % pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
            except OSError:
                pass
        return total

    def url(self, path="/", port=None):
        return "http://127.0.0.1:%d%s" % (port or self.port, path)


class RssSampler(threading.Thread):
    """Samples a Portico's RSS every `interval` seconds until stopped; keeps the maximum."""

    def __init__(self, portico, interval=0.05):
        super().__init__(daemon=True)
        self.portico, self.interval = portico, interval
        self.max_kb, self.samples = 0, 0
        self._stop_ev = threading.Event()

    def run(self):
        while not self._stop_ev.is_set():
            kb = self.portico.rss_kb()
            self.max_kb = max(self.max_kb, kb)
            self.samples += 1
            self._stop_ev.wait(self.interval)

    def stop(self):
        self._stop_ev.set()
        self.join(5)
        return self.max_kb


class EchoBackend:
    """backends/echo.py in a subprocess; inspected through its /__stats control endpoint."""

    def __init__(self, workdir, name, idle_timeout=None, port=None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.port = port or free_port()
        self.idle_timeout = idle_timeout
        self.proc = None

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    def start(self, timeout=10.0):
        cmd = [PYTHON, str(BACKENDS / "echo.py"), "--port", str(self.port), "--name", self.name]
        if self.idle_timeout is not None:
            cmd += ["--idle-timeout", str(self.idle_timeout)]
        self._err = open(self.workdir / ("echo-%s.stderr" % self.name), "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self._err,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not port_accepts(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise E2EError("echo backend %s failed to start: %s" % (
                    self.name, tail(self.workdir / ("echo-%s.stderr" % self.name))))
            time.sleep(0.02)
        return self

    def stop(self):
        stop_process(self.proc, 5)
        if getattr(self, "_err", None):
            self._err.close()

    def _control(self, target):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request("GET", target)
            r = c.getresponse()
            return json.loads(r.read())
        finally:
            c.close()

    def stats(self, since=0):
        return self._control("/__stats?since=%d" % since)

    def seq(self):
        return self.stats(since=1 << 62)["seq"]

    def entries(self, since=0):
        return self.stats(since)["entries"]

    def reset(self):
        self._control("/__reset")


def start_nginx(d, port, http_body, timeout=10.0, error_level="warn"):
    """Starts Debian's nginx in the foreground with d/nginx.conf: one worker (as root when we
    are root), pid, logs and temp files under d, access log off, `http_body` inside http {}.
    Waits until `port` accepts; returns the Popen (stderr goes to d/nginx.stderr)."""
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = d / "nginx.conf"
    conf.write_text("""
worker_processes 1;
%(user)s
pid %(d)s/nginx.pid;
error_log %(d)s/error.log %(level)s;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %(d)s/client_body;
  proxy_temp_path %(d)s/proxy;
  fastcgi_temp_path %(d)s/fastcgi;
  uwsgi_temp_path %(d)s/uwsgi;
  scgi_temp_path %(d)s/scgi;
%(body)s
}
""" % {"d": d, "user": user, "level": error_level, "body": http_body})
    err = open(d / "nginx.stderr", "ab")
    proc = subprocess.Popen(
        [NGINX_BIN, "-p", str(d), "-c", str(conf), "-e", str(d / "error.log"),
         "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL,
        start_new_session=True)
    err.close()  # the child has its own copy
    deadline = time.monotonic() + timeout
    while not port_accepts(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise E2EError("nginx failed to start: %s %s" % (
                tail(d / "nginx.stderr"), tail(d / "error.log")))
        time.sleep(0.02)
    return proc


class NginxBackend:
    """Debian's nginx with a generated config, everything under workdir."""

    def __init__(self, workdir, port=None, big_bytes=0):
        self.dir = Path(workdir).resolve()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.big_bytes = big_bytes
        self.proc = None

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    def start(self, timeout=10.0):
        d = self.dir
        www = d / "www"
        www.mkdir(exist_ok=True)
        (www / "index.html").write_text("hello from nginx\n")
        if self.big_bytes:
            with open(www / "big.bin", "wb") as f:  # sparse: no disk used
                f.truncate(self.big_bytes)
        self.proc = start_nginx(d, self.port, """
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000;
  keepalive_timeout 75s;
  server {
    listen 127.0.0.1:%(port)d;
    root %(d)s/www;
    location = /ok { default_type text/plain; return 200 "ok\\n"; }
    location / { }
  }
""" % {"d": d, "port": self.port}, timeout=timeout)
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "_err", None):
            self._err.close()


class ThreadedServer:
    """A listening socket on 127.0.0.1 whose connections are each served by `_serve(conn, n)`
    (n counts connections from 1) in a thread of the test process. stop() closes everything."""

    def __init__(self):
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.port = self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        self.connections = 0
        self._stop = False
        self._conns = []
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    def _accept_loop(self):
        while not self._stop:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                n = self.connections
                self._conns.append(c)
            threading.Thread(target=self._serve, args=(c, n), daemon=True).start()

    def _serve(self, c, n):
        raise NotImplementedError

    def stop(self):
        self._stop = True
        try:
            self.lsock.close()
        except OSError:
            pass
        with self.lock:
            for c in self._conns:
                try:
                    c.close()
                except OSError:
                    pass


class ClosingSocket:
    """Context manager and close() for classes holding a socket in `self.sock`."""

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class EvilBackend(ThreadedServer):
    """A raw TCP server sending scripted bytes. For each accepted connection it reads the
    request head (and a Content-Length body), sends `script` (bytes, or a callable taking the
    raw request and returning bytes), then, when keep_open, waits for the peer to close and
    records it. Runs in threads of the test process."""

    def __init__(self, script, keep_open=True, close_after=False):
        self.script = script
        self.keep_open = keep_open
        self.close_after = close_after
        self.requests = []       # raw request heads received
        self.peer_closed = 0     # connections the peer (portico) closed after our answer
        super().__init__()

    def _serve(self, c, n):
        c.settimeout(10)
        try:
            buf = b""
            while b"\r\n\r\n" not in buf:
                d = c.recv(65536)
                if not d:
                    return
                buf += d
            head = buf.split(b"\r\n\r\n", 1)[0]
            with self.lock:
                self.requests.append(head)
            script = self.script(head) if callable(self.script) else self.script
            c.sendall(script)
            if self.close_after:
                c.shutdown(socket.SHUT_WR)
            if self.keep_open:
                while True:
                    d = c.recv(65536)
                    if not d:
                        break
                with self.lock:
                    self.peer_closed += 1
        except ConnectionResetError:
            with self.lock:
                self.peer_closed += 1
        except OSError:
            pass
        finally:
            c.close()


# ---------------------------------------------------------------------------------------------
# Raw HTTP/1.1 client


class ConnectionClosed(Exception):
    pass


class Response:
    def __init__(self):
        self.version = ""
        self.status = 0
        self.reason = ""
        self.headers = []
        self.body = b""
        self.trailers = []
        self.interim = []
        self.raw_head = b""
        self.framing = None  # "length", "chunked", "close", "none"

    def header(self, name, default=None):
        name = name.lower()
        for n, v in self.headers:
            if n.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for n, v in self.headers if n.lower() == name]

    def has(self, name):
        return bool(self.header_all(name))

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<Response %d %s headers=%r body=%r>" % (
            self.status, self.reason, self.headers, self.body[:300])


class HttpConn(ClosingSocket):
    """A raw client connection. send() writes bytes as given; read_response() parses one
    response (1xx interim responses are collected in .interim)."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.timeout = timeout

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def _more(self):
        try:
            d = self.sock.recv(1 << 18)
        except ConnectionResetError:
            d = b""
        if not d:
            raise ConnectionClosed("connection closed by peer (buffered %r)" % self.buf[:200])
        self.buf += d

    def _line(self):
        while b"\r\n" not in self.buf:
            if len(self.buf) > 1 << 20:
                raise E2EError("response line too long")
            self._more()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n:
            self._more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_head(self):
        r = Response()
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        r.raw_head = head
        lines = head.split(b"\r\n")
        m = re.match(rb"^(HTTP/\d\.\d) (\d{3})(?: (.*))?$", lines[0])
        if not m:
            raise E2EError("bad status line from portico: %r" % lines[0])
        r.version = m.group(1).decode()
        r.status = int(m.group(2))
        r.reason = (m.group(3) or b"").decode("latin-1")
        for hl in lines[1:]:
            n, sep, v = hl.partition(b":")
            if not sep or n != n.strip() or not n:
                raise E2EError("malformed header line from portico: %r" % hl)
            r.headers.append((n.decode("latin-1"), v.strip().decode("latin-1")))
        return r

    def read_response(self, method="GET", sink=None):
        """Reads one final response. With sink, body bytes are passed to sink(bytes) instead
        of being kept in .body."""
        interim = []
        while True:
            r = self.read_head()
            if 100 <= r.status < 200 and r.status != 101:
                interim.append(r)
                continue
            break
        r.interim = interim
        parts = []
        out = sink or parts.append
        te = ",".join(r.header_all("transfer-encoding")).lower()
        cls = r.header_all("content-length")
        if method == "HEAD" or r.status in (101, 204, 304) or r.status < 200:
            r.framing = "none"
        elif te:
            if te.replace(" ", "") != "chunked":
                raise E2EError("portico sent Transfer-Encoding %r" % te)
            if cls:
                raise E2EError("portico sent both Transfer-Encoding and Content-Length")
            r.framing = "chunked"
            while True:
                size_line = self._line()
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    while True:
                        tl = self._line()
                        if tl == b"":
                            break
                        n, _, v = tl.partition(b":")
                        r.trailers.append((n.decode("latin-1"), v.strip().decode("latin-1")))
                    break
                self._read_body(size, out)
                if self._exact(2) != b"\r\n":
                    raise E2EError("chunk data not followed by CRLF")
        elif cls:
            if len(set(cls)) != 1:
                raise E2EError("portico sent conflicting Content-Length %r" % cls)
            r.framing = "length"
            self._read_body(int(cls[0]), out)
        else:
            r.framing = "close"
            while True:
                if self.buf:
                    out(self.buf)
                    self.buf = b""
                try:
                    self._more()
                except ConnectionClosed:
                    break
        if sink is None:
            r.body = b"".join(parts)
        return r

    def _read_body(self, n, out):
        if self.buf:
            take = self.buf[:n]
            self.buf = self.buf[n:]
            out(take)
            n -= len(take)
        while n > 0:
            try:
                d = self.sock.recv(min(n, 1 << 20))
            except ConnectionResetError:
                d = b""
            if not d:
                raise ConnectionClosed("connection closed with %d body bytes missing" % n)
            out(d)
            n -= len(d)

    def request(self, method="GET", target="/", host="example.com", headers=(), body=None,
                version="HTTP/1.1"):
        self.send(build_request(method, target, host, headers, body, version))
        return self.read_response(method)

    def wait_closed(self, timeout=3.0):
        """True if the peer closes (EOF or reset) within timeout with nothing more sent;
        raises if unexpected bytes arrive; False on timeout."""
        if self.buf:
            raise E2EError("unexpected extra bytes after response: %r" % self.buf[:200])
        self.sock.settimeout(timeout)
        try:
            d = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return True
        except (socket.timeout, TimeoutError):
            return False
        finally:
            self.sock.settimeout(self.timeout)
        if d:
            raise E2EError("unexpected bytes instead of close: %r" % d[:200])
        return True


def build_request(method="GET", target="/", host="example.com", headers=(), body=None,
                  version="HTTP/1.1"):
    lines = ["%s %s %s" % (method, target, version)]
    if host is not None:
        lines.append("Host: %s" % host)
    hdrs = list(headers.items() if isinstance(headers, dict) else headers)
    names = {n.lower() for n, _ in hdrs}
    if body is not None and "content-length" not in names and "transfer-encoding" not in names:
        hdrs.append(("Content-Length", str(len(body))))
    lines += ["%s: %s" % (n, v) for n, v in hdrs]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    if body is not None:
        data += body if isinstance(body, bytes) else body.encode("latin-1")
    return data


def http_request(port, method="GET", target="/", host="example.com", headers=(), body=None,
                 timeout=10.0):
    """One request on a fresh connection."""
    with HttpConn(port, timeout=timeout) as c:
        return c.request(method, target, host, headers, body)


def raw_exchange(port, data, timeout=5.0):
    """Sends raw bytes on a fresh connection, reads one response and then checks whether the
    connection gets closed. Returns (response or None, closed)."""
    c = HttpConn(port, timeout=timeout)
    try:
        c.send(data)
        try:
            r = c.read_response()
        except ConnectionClosed:
            return None, True
        try:
            closed = c.wait_closed(timeout)
        except E2EError:
            closed = False
        return r, closed
    finally:
        c.close()


def chunked(*pieces, trailers=b""):
    out = b""
    for p in pieces:
        if isinstance(p, str):
            p = p.encode()
        out += b"%x\r\n%s\r\n" % (len(p), p)
    return out + b"0\r\n" + trailers + b"\r\n"


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def marker():
    return uuid.uuid4().hex[:12]


def headers_dict(pairs):
    """[[name, value], ...] -> {lowercase name: [values]}"""
    d = {}
    for n, v in pairs:
        d.setdefault(n.lower(), []).append(v)
    return d


def joined(pairs, name):
    vals = headers_dict(pairs).get(name.lower())
    return None if vals is None else ", ".join(vals)


def run_cmd(args, timeout=30, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)


def which(name):
    return shutil.which(name)
