"""Strict HTTP/1.1 parsing: malformed or ambiguous requests are rejected and never reach the
backend; invalid upstream responses become 502 and the upstream connection is dropped."""
import pytest

from e2elib import (HttpConn, build_request, chunked, free_port, make_config, marker,
                    raw_exchange, wait_for, ConnectionClosed)

H = "Host: example.com\r\n"


@pytest.fixture(scope="module")
def env(module_procs):
    b = module_procs.echo("strict")
    port = free_port()
    p = module_procs.portico(make_config(port, {"web": [b.addr]}))
    return {"p": p, "port": port, "b": b}


def assert_backend_saw_only_sentinel(env, since):
    """Sends a valid request with a unique marker; afterwards the backend's log since `since`
    must contain nothing but that request."""
    m = marker()
    with HttpConn(env["port"]) as c:
        r = c.request("GET", "/sentinel/" + m)
        assert r.status == 200
    entries = env["b"].entries(since)
    others = [e for e in entries if m not in e["target"]]
    assert not others, "backend received a request it must not see: %r" % others


def assert_no_complete_request(env, since):
    m = marker()
    with HttpConn(env["port"]) as c:
        assert c.request("GET", "/sentinel/" + m).status == 200
    entries = env["b"].entries(since)
    bad = [e for e in entries if m not in e["target"] and e["complete"]]
    assert not bad, "backend saw a complete request: %r" % bad


HEAD_CASES = {
    # framing ambiguity
    "te_and_cl": (b"POST / HTTP/1.1\r\n" + H.encode() + b"Content-Length: 5\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {400}),
    "cl_and_te": (b"POST / HTTP/1.1\r\n" + H.encode() + b"Transfer-Encoding: chunked\r\n"
                  b"Content-Length: 5\r\n\r\n0\r\n\r\n", {400}),
    "differing_cl": (b"POST / HTTP/1.1\r\n" + H.encode() + b"Content-Length: 5\r\n"
                     b"Content-Length: 6\r\n\r\nhello!", {400}),
    "differing_cl_list": (b"POST / HTTP/1.1\r\n" + H.encode() + b"Content-Length: 5, 6\r\n\r\n"
                          b"hello!", {400}),
    "cl_plus": (b"POST / HTTP/1.1\r\n" + H.encode() + b"Content-Length: +5\r\n\r\nhello", {400}),
    "cl_negative": (b"POST / HTTP/1.1\r\n" + H.encode() + b"Content-Length: -1\r\n\r\n", {400}),
    "cl_hex": (b"POST / HTTP/1.1\r\n" + H.encode() + b"Content-Length: 0x5\r\n\r\nhello", {400}),
    "cl_overflow": (b"POST / HTTP/1.1\r\n" + H.encode()
                    + b"Content-Length: 18446744073709551616\r\n\r\nhello", {400}),
    "cl_huge_overflow": (b"POST / HTTP/1.1\r\n" + H.encode()
                         + b"Content-Length: 99999999999999999999999999\r\n\r\n", {400}),
    "te_gzip": (b"POST / HTTP/1.1\r\n" + H.encode() + b"Transfer-Encoding: gzip\r\n\r\n"
                b"hello", {400, 501}),
    "te_chunked_gzip": (b"POST / HTTP/1.1\r\n" + H.encode()
                        + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", {400, 501}),
    "te_chunked_twice": (b"POST / HTTP/1.1\r\n" + H.encode()
                         + b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", {400, 501}),
    "te_two_lines": (b"POST / HTTP/1.1\r\n" + H.encode() + b"Transfer-Encoding: chunked\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {400, 501}),
    "te_http10": (b"POST / HTTP/1.0\r\n" + H.encode() + b"Transfer-Encoding: chunked\r\n\r\n"
                  b"0\r\n\r\n", {400}),
    # smuggling classics
    "smuggle_cl_te": (b"POST / HTTP/1.1\r\n" + H.encode() + b"Content-Length: 13\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nSMUGGLED", {400}),
    "smuggle_te_cl": (b"POST / HTTP/1.1\r\n" + H.encode() + b"Content-Length: 3\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n", {400}),
    "smuggle_te_te_obfuscated": (b"POST / HTTP/1.1\r\n" + H.encode()
                                 + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n"
                                 b"0\r\n\r\n", {400, 501}),
    "te_space_before_colon": (b"POST / HTTP/1.1\r\n" + H.encode()
                              + b"Transfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n"
                              b"0\r\n\r\n", {400}),
    "te_xchunked": (b"POST / HTTP/1.1\r\n" + H.encode() + b"Transfer-Encoding: xchunked\r\n"
                    b"Content-Length: 5\r\n\r\n0\r\n\r\n", {400, 501}),
    "te_xchunked_alone": (b"POST / HTTP/1.1\r\n" + H.encode()
                          + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", {400, 501}),
    "te_tab_with_cl": (b"POST / HTTP/1.1\r\n" + H.encode() + b"Transfer-Encoding:\tchunked\r\n"
                       b"Content-Length: 5\r\n\r\n0\r\n\r\n", {400}),
    "te_vertical_tab": (b"POST / HTTP/1.1\r\n" + H.encode()
                        + b"Transfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n", {400, 501}),
    # field syntax
    "obs_fold": (b"GET / HTTP/1.1\r\n" + H.encode() + b"X-Foo: a\r\n  b\r\n\r\n", {400}),
    "leading_whitespace_first_field": (b"GET / HTTP/1.1\r\n " + H.encode() + b"\r\n", {400}),
    "space_before_colon": (b"GET / HTTP/1.1\r\n" + H.encode() + b"X-Foo : bar\r\n\r\n", {400}),
    "host_space_before_colon": (b"GET / HTTP/1.1\r\nHost : example.com\r\n\r\n", {400}),
    "space_in_name": (b"GET / HTTP/1.1\r\n" + H.encode() + b"X Foo: bar\r\n\r\n", {400}),
    "bad_char_in_name": (b"GET / HTTP/1.1\r\n" + H.encode() + b"X@Foo: bar\r\n\r\n", {400}),
    "empty_name": (b"GET / HTTP/1.1\r\n" + H.encode() + b": bar\r\n\r\n", {400}),
    "no_colon": (b"GET / HTTP/1.1\r\n" + H.encode() + b"XFoo bar\r\n\r\n", {400}),
    "bare_cr_in_value": (b"GET / HTTP/1.1\r\n" + H.encode() + b"X-Foo: a\rb\r\n\r\n", {400}),
    "bare_cr_line_end": (b"GET / HTTP/1.1\r\n" + H.encode() + b"X-Foo: a\r\r\n\r\n", {400}),
    "nul_in_value": (b"GET / HTTP/1.1\r\n" + H.encode() + b"X-Foo: a\x00b\r\n\r\n", {400}),
    "ctl_in_value": (b"GET / HTTP/1.1\r\n" + H.encode() + b"X-Foo: a\x01b\r\n\r\n", {400}),
    # host
    "missing_host": (b"GET / HTTP/1.1\r\nX-Foo: bar\r\n\r\n", {400}),
    "duplicate_host": (b"GET / HTTP/1.1\r\nHost: example.com\r\nHost: other.com\r\n\r\n", {400}),
    "duplicate_host_same": (b"GET / HTTP/1.1\r\nHost: example.com\r\nHost: example.com\r\n\r\n",
                            {400}),
    "invalid_host_space": (b"GET / HTTP/1.1\r\nHost: bad host\r\n\r\n", {400}),
    "invalid_host_slash": (b"GET / HTTP/1.1\r\nHost: exa/mple.com\r\n\r\n", {400}),
    "invalid_host_userinfo": (b"GET / HTTP/1.1\r\nHost: user@example.com\r\n\r\n", {400}),
    "invalid_host_port": (b"GET / HTTP/1.1\r\nHost: example.com:80x\r\n\r\n", {400}),
    "invalid_host_ipv6": (b"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", {400}),
    # request line
    "http_2_0": (b"GET / HTTP/2.0\r\n" + H.encode() + b"\r\n", {400, 505}),
    "http_1_2": (b"GET / HTTP/1.2\r\n" + H.encode() + b"\r\n", {400, 505}),
    "http_3_0": (b"GET / HTTP/3.0\r\n" + H.encode() + b"\r\n", {400, 505}),
    "lowercase_version": (b"GET / http/1.1\r\n" + H.encode() + b"\r\n", {400}),
    "double_space": (b"GET  / HTTP/1.1\r\n" + H.encode() + b"\r\n", {400}),
    "bad_method_char": (b"G(T / HTTP/1.1\r\n" + H.encode() + b"\r\n", {400}),
    "no_version": (b"GET /\r\n" + H.encode() + b"\r\n", {400}),
    "target_with_space": (b"GET /a b HTTP/1.1\r\n" + H.encode() + b"\r\n", {400}),
    "target_ctl": (b"GET /a\x7fb HTTP/1.1\r\n" + H.encode() + b"\r\n", {400}),
    "garbage": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40 + b"\r\n\r\n", {400}),
}


@pytest.mark.parametrize("case", sorted(HEAD_CASES))
def test_malformed_request_rejected(env, case):
    data, statuses = HEAD_CASES[case]
    since = env["b"].seq()
    r, closed = raw_exchange(env["port"], data)
    assert r is not None, "connection closed without an error response"
    assert r.status in statuses, "got %d, expected one of %s" % (r.status, sorted(statuses))
    assert closed, "connection not closed after %d" % r.status
    assert "127.0.0.1" not in r.body.decode("latin-1")
    assert_backend_saw_only_sentinel(env, since)


BODY_CASES = {
    "bad_chunk_size": b"zz\r\nhello\r\n0\r\n\r\n",
    "chunk_size_overflow": b"fffffffffffffffff\r\nhello\r\n0\r\n\r\n",
    "chunk_size_negative": b"-5\r\nhello\r\n0\r\n\r\n",
    "chunk_size_plus": b"+5\r\nhello\r\n0\r\n\r\n",
    "chunk_size_space_inside": b"5 5\r\nhello\r\n0\r\n\r\n",
    "bad_chunk_ext": b"5;=bad\r\nhello\r\n0\r\n\r\n",
    "chunk_ext_bare_cr": b"5;a\rb\r\nhello\r\n0\r\n\r\n",
    "chunk_ext_bad_quote": b"5;a=\"unterminated\r\nhello\r\n0\r\n\r\n",
    "missing_crlf_after_data": b"5\r\nhelloXX0\r\n\r\n",
    "data_longer_than_size": b"3\r\nhello\r\n0\r\n\r\n",
    "lf_only_after_data": b"5\r\nhello\n0\r\n\r\n",
    "bad_trailer": b"5\r\nhello\r\n0\r\nX Bad: y\r\n\r\n",
}


@pytest.mark.parametrize("case", sorted(BODY_CASES))
def test_malformed_chunked_body_rejected(env, case):
    since = env["b"].seq()
    data = build_request("POST", "/bad-body",
                         headers=[("Transfer-Encoding", "chunked")]) + BODY_CASES[case]
    r, closed = raw_exchange(env["port"], data)
    assert r is not None, "connection closed without an error response"
    assert r.status == 400, r
    assert closed, "connection not closed after 400"
    assert_no_complete_request(env, since)


def test_invalid_chunk_mid_stream_aborts_upstream(env):
    """First chunk valid (and forwarded, maybe), second one malformed: the backend must never
    see a complete request, and its connection must be aborted."""
    b = env["b"]
    since = b.seq()
    aborted_before = b.stats(since=1 << 62)["aborted"]
    c = HttpConn(env["port"])
    try:
        c.send(build_request("POST", "/midstream", headers=[("Transfer-Encoding", "chunked")]))
        c.send(b"10\r\n" + b"a" * 16 + b"\r\n")
        # let the head and the valid chunk reach the backend if portico streams them
        try:
            wait_for(lambda: any(e["target"] == "/midstream" for e in b.entries(since)),
                     timeout=2, msg="streamed head")
        except AssertionError:
            pass  # portico may buffer; then nothing must arrive at all
        c.send(b"zz\r\nbad\r\n0\r\n\r\n")
        try:
            r = c.read_response()
            assert r.status == 400, r
        except ConnectionClosed:
            pass  # closing without a response is acceptable once the head was forwarded
        assert c.wait_closed(3)
    finally:
        c.close()
    mine = [e for e in b.entries(since) if e["target"] == "/midstream"]
    assert not any(e["complete"] for e in mine), mine
    if mine:  # forwarded head: the upstream connection must be aborted
        wait_for(lambda: b.stats(since=1 << 62)["aborted"] > aborted_before, timeout=3,
                 msg="backend connection aborted")
    assert_no_complete_request(env, since)


def test_te_with_tab_is_chunked(env):
    """'Transfer-Encoding:<TAB>chunked' is valid (OWS) and must be treated as chunked, not as
    a body-less request followed by a smuggled one."""
    since = env["b"].seq()
    data = (b"POST /tab HTTP/1.1\r\n" + H.encode() + b"Transfer-Encoding:\tchunked\r\n\r\n"
            + chunked("hello") )
    with HttpConn(env["port"]) as c:
        c.send(data)
        r = c.read_response()
        assert r.status == 200
        info = r.json()
        assert info["target"] == "/tab" and info["body_length"] == 5
    targets = [e["target"] for e in env["b"].entries(since)]
    assert targets == ["/tab"]


def test_smuggled_request_in_body_not_executed(env):
    """A request hidden inside a correctly framed body stays body."""
    since = env["b"].seq()
    hidden = b"GET /hidden HTTP/1.1\r\nHost: example.com\r\n\r\n"
    with HttpConn(env["port"]) as c:
        r = c.request("POST", "/outer", body=hidden)
        assert r.status == 200 and r.json()["body_length"] == len(hidden)
        r = c.request("GET", "/next")
        assert r.json()["target"] == "/next"
    targets = [e["target"] for e in env["b"].entries(since)]
    assert targets == ["/outer", "/next"]


def test_upgrade_h2c_never_forwarded(env):
    since = env["b"].seq()
    data = (b"GET /h2c HTTP/1.1\r\n" + H.encode() + b"Connection: Upgrade, HTTP2-Settings\r\n"
            b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
    c = HttpConn(env["port"])
    try:
        c.send(data)
        try:
            r = c.read_response()
        except ConnectionClosed:
            r = None
        if r is not None:
            assert r.status != 101, "portico must not switch to h2c"
    finally:
        c.close()
    for e in env["b"].entries(since):
        names = {n.lower(): v for n, v in e["headers"]}
        assert "h2c" not in names.get("upgrade", "").lower(), e
        assert "http2-settings" not in names, e
        assert "upgrade" not in names.get("connection", "").lower(), e


def test_leading_empty_lines_tolerated(env):
    with HttpConn(env["port"]) as c:
        c.send(b"\r\n\r\n" + build_request("GET", "/after-crlf"))
        r = c.read_response()
        assert r.status == 200 and r.json()["target"] == "/after-crlf"


# ---------------------------------------------------------------------------------------------
# Invalid responses from upstream

RESP_CASES = {
    "te_and_cl": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"0\r\n\r\n",
    "differing_cl": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
    "garbage_status_line": b"HTTP/1.1 OK 200\r\nContent-Length: 2\r\n\r\nhi",
    "not_http": b"SSH-2.0-OpenSSH_9.2\r\n\r\n",
    "bad_status_code": b"HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nhi",
    "bad_cl": b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nhi",
    "space_before_colon": b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nhi",
    "nul_in_header": b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nhi",
    "unknown_te": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
}


@pytest.mark.parametrize("case", sorted(RESP_CASES))
def test_invalid_upstream_response_502(procs, case):
    evil = procs.evil(RESP_CASES[case])
    port = free_port()
    procs.portico(make_config(port, {"evil": [evil.addr]}))
    with HttpConn(port) as c:
        r = c.request("GET", "/")
        assert r.status == 502, r
        assert evil.addr not in r.body.decode("latin-1")
        assert str(evil.port) not in r.body.decode("latin-1")
    wait_for(lambda: evil.peer_closed >= evil.connections >= 1, timeout=3,
             msg="portico closing the upstream connection")


def test_upstream_closes_without_response_502(procs):
    evil = procs.evil(b"", keep_open=False)
    port = free_port()
    procs.portico(make_config(port, {"evil": [evil.addr]}))
    with HttpConn(port) as c:
        r = c.request("GET", "/")
        assert r.status == 502, r


def read_until_close(c, timeout=5.0):
    """All bytes the peer sends until it closes; fails if it does not close in time."""
    import socket as _s
    import time as _t
    data = c.buf
    c.buf = b""
    deadline = _t.monotonic() + timeout
    while True:
        c.sock.settimeout(max(0.01, deadline - _t.monotonic()))
        try:
            d = c.sock.recv(65536)
        except ConnectionResetError:
            return data
        except (_s.timeout, TimeoutError):
            raise AssertionError("connection not closed within %.0fs; got %r" % (timeout, data[:300]))
        if not d:
            return data
        data += d


def test_upstream_truncated_body_closes_client(procs):
    """Head already sent, body cut short: the client connection is closed, the response never
    looks complete."""
    evil = procs.evil(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-part", keep_open=False)
    port = free_port()
    procs.portico(make_config(port, {"evil": [evil.addr]}))
    with HttpConn(port) as c:
        c.send(build_request("GET", "/"))
        data = read_until_close(c)
    if data.startswith(b"HTTP/1.1 502"):
        return
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), data[:300]
    if b"chunked" in head.lower():
        assert not body.endswith(b"0\r\n\r\n"), "truncated body made to look complete"
    else:
        assert b"content-length: 100" in head.lower(), head
        assert len(body) < 100


def test_upstream_bad_chunk_mid_body_closes_client(procs):
    evil = procs.evil(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"5\r\nhello\r\nzz\r\nbroken\r\n0\r\n\r\n")
    port = free_port()
    procs.portico(make_config(port, {"evil": [evil.addr]}))
    with HttpConn(port) as c:
        c.send(build_request("GET", "/"))
        data = read_until_close(c)
    assert b"broken" not in data and b"zz" not in data, "invalid chunk passed through: %r" % data
    if not data.startswith(b"HTTP/1.1 502"):
        # Only the body counts: a head may itself end in "0\r\n\r\n" (e.g. an X-Request-ID).
        _, _, body = data.partition(b"\r\n\r\n")
        assert b"0\r\n\r\n" not in body, "corrupt body made to look complete: %r" % data
    wait_for(lambda: evil.peer_closed >= 1, timeout=3, msg="upstream connection closed")
