"""Static files (route `static:`): bodies and headers for small and large files (sendfile with a
slow reader), HEAD, index files and the directory redirect, 404/405, ETag and Last-Modified
with If-None-Match / If-Modified-Since / If-Range, single ranges and 416, paths that try to
leave the root (.., %2e%2e, %2F, symlinks out of it), keep-alive after each answer, TLS, the
access log and config errors."""
import email.utils
import hashlib
import json
import os
import socket
import subprocess
import time

import pytest

from e2elib import PORTICO_BIN, HttpConn, free_port, to_yaml, wait_for
from tlsutil import Pki, TlsConn, client_context

BIG = 8 * 1024 * 1024 + 123  # several socket buffers: the send must wait for the reader


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("static")
    root = base / "www"
    (root / "sub").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "small.txt").write_bytes(b"hello, static world\n")
    (root / "index.html").write_bytes(b"<h1>home</h1>\n")
    (root / "sub" / "index.html").write_bytes(b"<h1>sub</h1>\n")
    (root / "app.js").write_bytes(b"console.log(1);\n")
    (root / "data.bin").write_bytes(bytes(range(256)) * 4)
    big = hashlib.sha256()
    with open(root / "big.bin", "wb") as f:
        block = os.urandom(1 << 20)
        left = BIG
        while left:
            chunk = block[:min(left, len(block))]
            f.write(chunk)
            big.update(chunk)
            left -= len(chunk)
    (base / "secret.txt").write_bytes(b"outside the root\n")
    os.symlink("small.txt", root / "link-in.txt")
    os.symlink("../secret.txt", root / "link-out.txt")
    os.symlink(str(base / "secret.txt"), root / "link-abs.txt")
    os.symlink("/etc", root / "etc")
    return {"base": base, "root": root, "big_sha": big.hexdigest()}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    p = Pki(tmp_path_factory.mktemp("pki"))
    p.site = p.issue("site", "localhost", dns=["localhost"], ips=["127.0.0.1"])
    return p


def static_config(port, root, access_log=None, tls=None, **static):
    spec = {"root": str(root)}
    spec.update(static)
    listener = {
        "name": "web",
        "address": "127.0.0.1:%d" % port,
        "routes": [
            {"match": {"path_prefix": "/assets/"},
             "static": {"root": str(root), "strip_prefix": True, "max_age": 600}},
            {"match": {"path_prefix": "/"}, "static": spec,
             "response_headers": {"add": {"X-Static": "yes"}}},
        ],
    }
    if tls:
        listener["tls"] = tls
    cfg = {"workers": 2, "listeners": [listener]}
    if access_log:
        cfg["access_log"] = {"path": str(access_log), "format": "json"}
    return cfg


@pytest.fixture(scope="module")
def server(module_procs, site):
    port = free_port()
    log = site["base"] / "access.json"
    p = module_procs.portico(static_config(port, site["root"], access_log=log))
    return {"port": port, "log": log, "portico": p}


def open_files(portico, name):
    """How many of portico's fds are open on a file called `name`."""
    n = 0
    for fd in os.listdir("/proc/%d/fd" % portico.pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (portico.pid, fd)).endswith("/" + name):
                n += 1
        except OSError:
            pass
    return n


def slow_socket(port, rcvbuf=32 * 1024):
    """A client socket with a small receive buffer (set before connecting)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(30)
    s.connect(("127.0.0.1", port))
    return s


def validators(path):
    st = os.stat(path)
    return ('"%x-%x"' % (int(st.st_mtime), st.st_size),
            email.utils.formatdate(int(st.st_mtime), usegmt=True))


def curl(*args):
    out = subprocess.run(["curl", "-sS"] + list(args), capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_small_file_body_and_headers(server, site):
    etag, last_modified = validators(site["root"] / "small.txt")
    with HttpConn(server["port"]) as c:
        r = c.request("GET", "/small.txt?v=1")
        assert r.status == 200, r
        assert r.body == b"hello, static world\n"
        assert r.header("Content-Type") == "text/plain; charset=utf-8"
        assert r.header("Content-Length") == "20"
        assert r.header("ETag") == etag
        assert r.header("Last-Modified") == last_modified
        assert r.header("Accept-Ranges") == "bytes"
        assert r.header("Date")
        assert r.header("X-Static") == "yes"  # the route's response_headers apply
        assert r.header("X-Request-ID")
        assert not r.has("Cache-Control")  # no max_age on this route
        # Keep-alive: the next request on the same connection.
        r = c.request("GET", "/app.js")
        assert r.status == 200 and r.body == b"console.log(1);\n"
        assert r.header("Content-Type") == "text/javascript; charset=utf-8"


def test_strip_prefix_and_cache_control(server):
    with HttpConn(server["port"]) as c:
        r = c.request("GET", "/assets/small.txt")
        assert r.status == 200 and r.body == b"hello, static world\n", r
        assert r.header("Cache-Control") == "max-age=600"
        r = c.request("GET", "/assets/sub/")
        assert r.status == 200 and r.body == b"<h1>sub</h1>\n", r
        r = c.request("GET", "/assets/")  # the root's own index
        assert r.status == 200 and r.body == b"<h1>home</h1>\n", r
        r = c.request("GET", "/assets/sub?q")
        assert r.status == 301 and r.header("Location") == "/assets/sub/?q", r


def test_large_file_with_curl(server, site):
    # --limit-rate keeps the client slower than the server: sendfile meets a full socket.
    body = curl("--limit-rate", "16M", "http://127.0.0.1:%d/big.bin" % server["port"])
    assert len(body) == BIG
    assert hashlib.sha256(body).hexdigest() == site["big_sha"]


def test_large_file_slow_reader_then_keep_alive(server, site):
    s = slow_socket(server["port"])
    c = HttpConn.__new__(HttpConn)
    c.sock, c.buf, c.timeout = s, b"", 30
    with c:
        c.send(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        r = c.read_head()
        assert r.status == 200 and int(r.header("Content-Length")) == BIG
        h = hashlib.sha256()
        got = len(c.buf)
        h.update(c.buf)
        c.buf = b""
        first = True
        while got < BIG:
            d = s.recv(min(16384, BIG - got))
            assert d, "closed after %d bytes" % got
            h.update(d)
            got += len(d)
            if first:
                first = False
                time.sleep(0.3)  # a reader that stalls: portico must wait, not spin or drop
        assert h.hexdigest() == site["big_sha"]
        r = c.request("GET", "/small.txt")
        assert r.status == 200 and r.body == b"hello, static world\n"


def test_client_gone_mid_file_closes_it(server):
    s = slow_socket(server["port"])
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    assert s.recv(65536).startswith(b"HTTP/1.1 200 OK")
    wait_for(lambda: open_files(server["portico"], "big.bin") == 1, msg="big.bin open")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()  # RST with unread data
    wait_for(lambda: open_files(server["portico"], "big.bin") == 0, msg="big.bin closed")
    with HttpConn(server["port"]) as c:
        assert c.request("GET", "/small.txt").status == 200


def test_stalled_reader_is_dropped_after_client_idle(procs, site):
    port = free_port()
    cfg = static_config(port, site["root"])
    cfg["timeouts"] = {"client_idle": "1s"}
    p = procs.portico(cfg)
    s = slow_socket(port)
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    wait_for(lambda: open_files(p, "big.bin") == 1, msg="big.bin open")
    # Nothing is read: after client_idle without progress portico lets the connection go.
    wait_for(lambda: open_files(p, "big.bin") == 0, timeout=10, msg="big.bin closed")
    got = 0
    try:
        while True:
            d = s.recv(1 << 20)
            if not d:
                break
            got += len(d)
    except ConnectionResetError:
        pass
    s.close()
    assert got < BIG


def test_head(server):
    with HttpConn(server["port"]) as c:
        r = c.request("HEAD", "/big.bin")
        assert r.status == 200 and r.body == b""
        assert r.header("Content-Length") == str(BIG)
        assert r.header("Content-Type") == "application/octet-stream"
        assert c.request("GET", "/small.txt").body == b"hello, static world\n"


def test_index_files_and_directory_redirect(server):
    with HttpConn(server["port"]) as c:
        r = c.request("GET", "/")
        assert r.status == 200 and r.body == b"<h1>home</h1>\n", r
        assert r.header("Content-Type") == "text/html; charset=utf-8"
        r = c.request("GET", "/sub/")
        assert r.status == 200 and r.body == b"<h1>sub</h1>\n", r
        r = c.request("GET", "/sub?x=1&y=2")
        assert r.status == 301 and r.header("Location") == "/sub/?x=1&y=2", r
        r = c.request("GET", "/empty/")  # no index file, and no listing
        assert r.status == 404, r
        r = c.request("GET", "/nope.txt")
        assert r.status == 404, r
        r = c.request("GET", "/small.txt/")
        assert r.status == 404, r
        assert c.request("GET", "/small.txt").status == 200  # still the same connection


def test_methods_other_than_get_and_head(server):
    with HttpConn(server["port"]) as c:
        for method in ("POST", "PUT", "DELETE"):
            r = c.request(method, "/small.txt", body=b"x")
            assert r.status == 405, r
            assert r.header("Allow") == "GET, HEAD"
            if r.header("Connection") == "close":
                break
    with HttpConn(server["port"]) as c:
        r = c.request("OPTIONS", "/small.txt")
        assert r.status == 405 and r.header("Allow") == "GET, HEAD"
        assert c.request("GET", "/small.txt").status == 200


def test_conditional_requests(server, site):
    etag, last_modified = validators(site["root"] / "small.txt")
    with HttpConn(server["port"]) as c:
        for value in (etag, "W/" + etag, '"nope", ' + etag, "*"):
            r = c.request("GET", "/small.txt", headers=[("If-None-Match", value)])
            assert r.status == 304 and r.body == b"", (value, r)
            assert r.header("ETag") == etag and not r.has("Content-Length")
        r = c.request("GET", "/small.txt", headers=[("If-None-Match", '"other"')])
        assert r.status == 200 and r.body == b"hello, static world\n"
        r = c.request("GET", "/small.txt", headers=[("If-Modified-Since", last_modified)])
        assert r.status == 304, r
        r = c.request("HEAD", "/small.txt", headers=[("If-Modified-Since", last_modified)])
        assert r.status == 304, r
        old = email.utils.formatdate(0, usegmt=True)
        r = c.request("GET", "/small.txt", headers=[("If-Modified-Since", old)])
        assert r.status == 200, r
        # If-None-Match wins over If-Modified-Since.
        r = c.request("GET", "/small.txt", headers=[("If-None-Match", '"other"'),
                                                    ("If-Modified-Since", last_modified)])
        assert r.status == 200, r
        r = c.request("GET", "/small.txt", headers=[("If-Match", '"other"')])
        assert r.status == 412, r
        r = c.request("GET", "/small.txt", headers=[("If-Match", etag)])
        assert r.status == 200, r


def test_ranges(server, site):
    data = (site["root"] / "data.bin").read_bytes()
    etag, last_modified = validators(site["root"] / "data.bin")
    size = len(data)
    with HttpConn(server["port"]) as c:
        for spec, first, last in (("bytes=0-9", 0, 9), ("bytes=1000-", 1000, size - 1),
                                  ("bytes=-24", size - 24, size - 1),
                                  ("bytes=10-99999", 10, size - 1)):
            r = c.request("GET", "/data.bin", headers=[("Range", spec)])
            assert r.status == 206, (spec, r)
            assert r.body == data[first:last + 1], spec
            assert r.header("Content-Range") == "bytes %d-%d/%d" % (first, last, size)
            assert r.header("Content-Length") == str(last - first + 1)
        r = c.request("GET", "/data.bin", headers=[("Range", "bytes=%d-" % size)])
        assert r.status == 416 and r.header("Content-Range") == "bytes */%d" % size, r
        # Several ranges: the whole file (documented).
        r = c.request("GET", "/data.bin", headers=[("Range", "bytes=0-1,5-6")])
        assert r.status == 200 and r.body == data
        # If-Range: a stale validator means the whole, current file.
        r = c.request("GET", "/data.bin", headers=[("Range", "bytes=0-9"),
                                                   ("If-Range", '"stale-1"')])
        assert r.status == 200 and r.body == data, r
        r = c.request("GET", "/data.bin", headers=[("Range", "bytes=0-9"), ("If-Range", etag)])
        assert r.status == 206 and r.body == data[:10], r
        r = c.request("GET", "/data.bin", headers=[("Range", "bytes=0-9"),
                                                   ("If-Range", last_modified)])
        assert r.status == 206 and r.body == data[:10], r
        # HEAD ignores Range (GET is the only method range requests are defined for).
        r = c.request("HEAD", "/data.bin", headers=[("Range", "bytes=0-9")])
        assert r.status == 200 and r.header("Content-Length") == str(size)
    # curl's own range requests.
    assert curl("-r", "100-199", "http://127.0.0.1:%d/data.bin" % server["port"]) == \
        data[100:200]
    assert curl("-r", "-10", "http://127.0.0.1:%d/data.bin" % server["port"]) == data[-10:]
    big = curl("-r", "5000000-", "http://127.0.0.1:%d/big.bin" % server["port"])
    assert len(big) == BIG - 5000000


@pytest.mark.parametrize("target,status", [
    ("/../secret.txt", 400),
    ("/sub/../../secret.txt", 400),
    ("/%2e%2e/secret.txt", 400),
    ("/%2E%2E/secret.txt", 400),
    ("/.%2e/secret.txt", 400),
    ("/sub%2Findex.html", 400),
    ("/sub%2findex.html", 400),
    ("/sub%5Cindex.html", 400),
    ("/small.txt%00.html", 400),
    ("/bad%zzescape", 400),
    ("/assets/../secret.txt", 400),
    ("/%252e%252e/secret.txt", 404),  # decoded once: a name "%2e%2e", not ".."
    ("/link-out.txt", 403),
    ("/link-abs.txt", 403),
    ("/etc/passwd", 403),
])
def test_paths_that_leave_the_root_are_refused(server, target, status):
    with HttpConn(server["port"]) as c:
        r = c.request("GET", target)
        assert r.status == status, (target, r)
        assert b"outside the root" not in r.body and b"root:" not in r.body
        assert c.request("GET", "/small.txt").status == 200  # the connection stays usable


def test_symlink_inside_the_root_is_served(server):
    with HttpConn(server["port"]) as c:
        r = c.request("GET", "/link-in.txt")
        assert r.status == 200 and r.body == b"hello, static world\n", r


def test_curl_path_as_is_traversal(server):
    out = curl("--path-as-is", "-o", "/dev/null", "-w", "%{http_code}",
               "http://127.0.0.1:%d/../../../../etc/passwd" % server["port"])
    assert out == b"400"


def test_pipelined_requests(server):
    with HttpConn(server["port"]) as c:
        c.send(b"GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"
               b"HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET /data.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\n\r\n"
               b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.read_response("GET").body == b"hello, static world\n"
        assert c.read_response("HEAD").header("Content-Length") == str(BIG)
        assert c.read_response("GET").body == b"\x00\x01\x02\x03"
        assert c.read_response("GET").status == 404


def test_http10_client(server):
    with HttpConn(server["port"]) as c:
        r = c.request("GET", "/small.txt", version="HTTP/1.0")
        assert r.status == 200 and r.body == b"hello, static world\n"
        assert c.wait_closed()
    with HttpConn(server["port"]) as c:
        r = c.request("GET", "/small.txt", version="HTTP/1.0",
                      headers=[("Connection", "keep-alive")])
        assert r.status == 200 and r.header("Connection") == "keep-alive"
        assert c.request("GET", "/app.js", version="HTTP/1.0").status == 200


def test_access_log_records_status_and_bytes(server):
    with HttpConn(server["port"]) as c:
        r = c.request("GET", "/data.bin?log=1", headers=[("Range", "bytes=0-99")])
        assert r.status == 206
        head_len = len(r.raw_head) + 4

    def record():
        try:
            lines = server["log"].read_text().splitlines()
        except OSError:
            return None
        recs = [json.loads(line) for line in lines]
        return next((r for r in recs if r["path"] == "/data.bin?log=1"), None)
    rec = wait_for(record, timeout=5, msg="the access log line")
    assert rec["bytes"] == head_len + 100, rec
    assert rec["upstream"] in ("", None, "-")


def test_tls(procs, site, pki):
    port = free_port()
    tls = {"certificates": [{"cert": str(pki.site[0]), "key": str(pki.site[1])}]}
    cfg = static_config(port, site["root"], tls=tls)
    cfg["listeners"][0]["routes"][1]["security_headers"] = True
    procs.portico(cfg)
    with TlsConn(port, client_context(pki)) as c:
        r = c.request("GET", "/small.txt")
        assert r.status == 200 and r.body == b"hello, static world\n", r
        assert r.header("X-Content-Type-Options") == "nosniff"
        assert r.header("Strict-Transport-Security").startswith("max-age=")
        assert r.header("X-Static") == "yes"
        h = hashlib.sha256()
        c.send(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
        r = c.read_response("GET", sink=h.update)
        assert r.status == 200 and h.hexdigest() == site["big_sha"]
        r = c.request("GET", "/data.bin", headers=[("Range", "bytes=-4")])
        assert r.status == 206 and r.body == bytes([252, 253, 254, 255]), r
        r = c.request("GET", "/")  # keep-alive after a large body over TLS
        assert r.status == 200 and r.body == b"<h1>home</h1>\n"
    out = subprocess.run(["curl", "-sS", "--cacert", str(pki.ca_cert), "--limit-rate", "16M",
                          "https://localhost:%d/big.bin" % port], capture_output=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert hashlib.sha256(out.stdout).hexdigest() == site["big_sha"]


def test_root_swapped_through_a_symlink(procs, tmp_path):
    """The root is opened per request: repointing a symlinked root deploys at once."""
    for name, text in (("v1", b"one\n"), ("v2", b"two\n")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "f.txt").write_bytes(text)
    os.symlink("v1", tmp_path / "current")
    port = free_port()
    procs.portico(static_config(port, tmp_path / "current"))
    with HttpConn(port) as c:
        assert c.request("GET", "/f.txt").body == b"one\n"
        os.symlink("v2", tmp_path / "next")
        os.replace(tmp_path / "next", tmp_path / "current")
        assert c.request("GET", "/f.txt").body == b"two\n"


@pytest.mark.parametrize("static,needle", [
    ({"root": "/nonexistent/portico-static"}, "does not exist"),
    ({"root": "FILE"}, "is not a directory"),
    ({}, "missing required key 'root'"),
    ({"root": "/tmp", "index": ["a/b.html"]}, "static.index[0]"),
])
def test_config_errors(tmp_path, static, needle):
    (tmp_path / "file").write_text("x")
    if static.get("root") == "FILE":
        static = dict(static, root=str(tmp_path / "file"))
    cfg = {"listeners": [{"name": "web", "address": "127.0.0.1:%d" % free_port(),
                          "routes": [{"match": {"path_prefix": "/"}, "static": static}]}]}
    path = tmp_path / "c.yaml"
    path.write_text(to_yaml(cfg) + "\n")
    out = subprocess.run([PORTICO_BIN, "check", "-c", str(path)], capture_output=True,
                         text=True, timeout=10)
    assert out.returncode == 1 and needle in out.stderr + out.stdout, out
