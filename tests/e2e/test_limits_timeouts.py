"""Request limits (414, 431, 413) and timeouts (408, idle close, upstream 502/504)."""
import socket
import time

import pytest

from e2elib import (HttpConn, build_request, chunked, free_port, make_config, raw_exchange,
                    ConnectionClosed)


@pytest.fixture(scope="module")
def env(module_procs):
    b = module_procs.echo("limits")
    port = free_port()
    cfg = make_config(
        port, {"web": [b.addr]},
        limits={"max_request_line": 1024, "max_header_bytes": 4096, "max_header_count": 20,
                "max_body_size": 1000},
        timeouts={"client_header": "1s", "client_idle": "1s", "client_body": "1s",
                  "shutdown": "5s"},
    )
    p = module_procs.portico(cfg)
    return {"p": p, "port": port, "b": b}


def rejected(env, data, status):
    since = env["b"].seq()
    r, closed = raw_exchange(env["port"], data)
    assert r is not None, "closed without a response"
    assert r.status == status, r
    assert closed, "connection not closed after %d" % status
    assert not [e for e in env["b"].entries(since)], "rejected request reached the backend"
    return r


def test_request_line_too_long_414(env):
    rejected(env, build_request("GET", "/" + "a" * 2000), 414)


def test_request_line_at_limit_ok(env):
    target = "/" + "a" * (1024 - len("GET  HTTP/1.1") - 1)
    line = "GET %s HTTP/1.1" % target
    assert len(line) == 1024
    r, _ = raw_exchange(env["port"], build_request("GET", target, headers=[("Connection", "close")]))
    assert r is not None and r.status == 200, r


def test_too_many_headers_431(env):
    rejected(env, build_request("GET", "/", headers=[("X-H%d" % i, "v") for i in range(30)]), 431)


def test_header_section_too_large_431(env):
    rejected(env, build_request("GET", "/", headers=[("X-Big", "v" * 5000)]), 431)


def test_many_small_headers_within_limits_ok(env):
    r, _ = raw_exchange(env["port"], build_request(
        "GET", "/", headers=[("X-H%d" % i, "v") for i in range(15)] + [("Connection", "close")]))
    assert r is not None and r.status == 200


def test_body_too_large_413(env):
    since = env["b"].seq()
    r, closed = raw_exchange(env["port"], build_request("POST", "/", body=b"x" * 2000))
    assert r is not None and r.status == 413, r
    assert closed
    assert not [e for e in env["b"].entries(since) if e["complete"]]


def test_body_too_large_413_before_body_sent(env):
    """With Content-Length over the limit, 413 comes right after the head."""
    with HttpConn(env["port"]) as c:
        c.send(build_request("POST", "/", headers=[("Content-Length", "100000000")]))
        r = c.read_response()
        assert r.status == 413


def test_chunked_body_too_large_413(env):
    since = env["b"].seq()
    data = build_request("POST", "/", headers=[("Transfer-Encoding", "chunked")]) + chunked(
        *(["y" * 300] * 5))
    r, closed = raw_exchange(env["port"], data)
    assert r is not None and r.status == 413, r
    assert closed
    assert not [e for e in env["b"].entries(since) if e["complete"]]


def test_body_at_limit_ok(env):
    with HttpConn(env["port"]) as c:
        r = c.request("POST", "/", body=b"x" * 1000)
        assert r.status == 200 and r.json()["body_length"] == 1000


def test_slow_header_408(env):
    """A byte every 200 ms: the head never completes; client_header is 1s."""
    s = socket.create_connection(("127.0.0.1", env["port"]))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    payload = b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Slow: " + b"a" * 100
    start = time.monotonic()
    got = b""
    closed = False
    try:
        for byte in payload:
            try:
                s.send(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            s.settimeout(0.2)
            try:
                d = s.recv(65536)
                if not d:
                    closed = True
                    break
                got += d
            except (socket.timeout, TimeoutError):
                pass
            except ConnectionResetError:
                closed = True
                break
            if time.monotonic() - start > 4:
                break
        if not closed:
            s.settimeout(1)
            try:
                while True:
                    d = s.recv(65536)
                    if not d:
                        closed = True
                        break
                    got += d
            except (socket.timeout, TimeoutError, ConnectionResetError):
                pass
    finally:
        s.close()
    elapsed = time.monotonic() - start
    assert got.startswith(b"HTTP/1.1 408"), "expected 408, got %r" % got[:200]
    assert closed, "connection not closed after 408"
    assert 0.8 <= elapsed <= 2.5, "408 after %.2fs (client_header is 1s)" % elapsed


def test_idle_keepalive_closed(env):
    with HttpConn(env["port"]) as c:
        assert c.request("GET", "/").status == 200
        start = time.monotonic()
        assert c.wait_closed(5), "idle connection not closed"
        elapsed = time.monotonic() - start
    assert 0.7 <= elapsed <= 3.0, "idle close after %.2fs (client_idle is 1s)" % elapsed


def test_slow_body_408(env):
    since = env["b"].seq()
    with HttpConn(env["port"]) as c:
        c.send(build_request("POST", "/slow-body", headers=[("Content-Length", "500")]) + b"x" * 10)
        start = time.monotonic()
        try:
            r = c.read_response()
            assert r.status == 408, r
        except ConnectionClosed:
            pass  # head may have been forwarded already; closing is then the only option
        assert c.wait_closed(3)
        elapsed = time.monotonic() - start
    assert elapsed <= 3.0, "slow body cut after %.2fs (client_body is 1s)" % elapsed
    assert not [e for e in env["b"].entries(since) if e["complete"]]


# ---------------------------------------------------------------------------------------------
# Upstream failures


def test_upstream_connection_refused_502(procs):
    dead = free_port()  # nothing listens there
    port = free_port()
    procs.portico(make_config(port, {"dead": {"servers": ["127.0.0.1:%d" % dead],
                                              "connect_timeout": "2s"}}))
    with HttpConn(port) as c:
        start = time.monotonic()
        r = c.request("GET", "/")
        assert r.status == 502, r
        assert time.monotonic() - start < 2
        assert "127.0.0.1" not in r.body.decode("latin-1")
        assert str(dead) not in r.body.decode("latin-1")
        # the client connection survives an upstream failure
        r = c.request("GET", "/again")
        assert r.status == 502


@pytest.fixture
def blackhole():
    """A listening socket whose accept queue is full: further connects hang (SYN dropped)."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(0)
    port = lsock.getsockname()[1]
    fillers = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(s)
    # check the trick works here: a new connect must not complete quickly
    probe = socket.socket()
    probe.settimeout(0.3)
    try:
        probe.connect(("127.0.0.1", port))
        works = False
    except (socket.timeout, TimeoutError):
        works = True
    finally:
        probe.close()
    if not works:
        pytest.skip("cannot make a hanging connect on this kernel")
    yield port
    for s in fillers:
        s.close()
    lsock.close()


def test_upstream_connect_timeout_504(procs, blackhole):
    port = free_port()
    procs.portico(make_config(port, {"hole": {"servers": ["127.0.0.1:%d" % blackhole],
                                              "connect_timeout": "1s"}}))
    with HttpConn(port) as c:
        start = time.monotonic()
        r = c.request("GET", "/")
        elapsed = time.monotonic() - start
        assert r.status == 504, r
        assert 0.8 <= elapsed <= 3.5, "504 after %.2fs (connect_timeout 1s)" % elapsed
        assert str(blackhole) not in r.body.decode("latin-1")


def test_upstream_response_timeout_504(procs):
    b = procs.echo("slowpoke")
    port = free_port()
    procs.portico(make_config(port, {"slow": {"servers": [b.addr], "response_timeout": "1s"}}))
    with HttpConn(port) as c:
        start = time.monotonic()
        r = c.request("GET", "/slow?ms=4000")
        elapsed = time.monotonic() - start
        assert r.status == 504, r
        assert 0.8 <= elapsed <= 3.0, "504 after %.2fs (response_timeout 1s)" % elapsed
        assert "127.0.0.1" not in r.body.decode("latin-1")
        # fast requests still work afterwards
        assert c.request("GET", "/fast").status == 200


def test_response_within_timeout_ok(procs):
    b = procs.echo("okpoke")
    port = free_port()
    procs.portico(make_config(port, {"slow": {"servers": [b.addr], "response_timeout": "3s"}}))
    with HttpConn(port) as c:
        assert c.request("GET", "/slow?ms=500").status == 200
