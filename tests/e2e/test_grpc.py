"""gRPC through portico: an HTTP/2 listener (h2c prior knowledge, or TLS with ALPN h2) routing
to a cluster with `protocol: h2` in front of a grpcio server (backends/grpc_server.py).

The client is Debian's python3-grpcio (generic API, raw bytes messages) and, where the exact
bytes on the wire matter (trailers, trailers-only local errors, grpc-timeout), the small
python3-h2 client of h2client.py."""
import hashlib
import json
import os
import queue
import signal
import threading
import time

import pytest

grpc = pytest.importorskip("grpc")
pytest.importorskip("h2")

from e2elib import free_port, make_config, wait_for  # noqa: E402
from grpcutil import (GrpcBackend, Stub, frame, grpc_request_headers, grpc_status_of,  # noqa: E402
                      insecure_channel, js, secure_channel, unframe)
from h2client import H2Conn, H2SilentBackend  # noqa: E402

SVC = "/portico.test.Echo/"


def grpc_listener_config(port, backend_addr, silent_addr, down_addr, **listener):
    cfg = make_config(
        port,
        {"grpc": {"servers": [backend_addr], "protocol": "h2"},
         "silent": {"servers": [silent_addr], "protocol": "h2", "response_timeout": "20s"},
         "silent_short": {"servers": [silent_addr], "protocol": "h2",
                          "response_timeout": "1s"},
         "down": {"servers": [down_addr], "protocol": "h2", "connect_timeout": "2s"}},
        routes=[({"path_prefix": SVC}, "grpc"),
                ({"path_prefix": "/silent.Svc/"}, "silent"),
                ({"path_prefix": "/silentshort.Svc/"}, "silent_short"),
                ({"path_prefix": "/down.Svc/"}, "down")])
    cfg["listeners"][0]["http2"] = True
    cfg["listeners"][0].update(listener)
    return cfg


@pytest.fixture(scope="module")
def backends(module_procs, tmp_path_factory):
    backend = GrpcBackend(tmp_path_factory.mktemp("grpc")).start()
    module_procs.items.append(backend)
    silent = H2SilentBackend()
    module_procs.items.append(silent)
    direct = insecure_channel(backend.port)
    yield {"backend": backend, "silent": silent, "direct": Stub(direct)}
    direct.close()


@pytest.fixture
def env(procs, backends):
    """A portico per test (a crash shows in the test that caused it), the backends shared."""
    port = free_port()
    portico = procs.portico(grpc_listener_config(port, backends["backend"].addr,
                                                 backends["silent"].addr,
                                                 "127.0.0.1:%d" % free_port()))
    channel = insecure_channel(port)
    yield dict(backends, port=port, portico=portico, channel=channel, stub=Stub(channel))
    channel.close()


def test_unary_roundtrip_with_metadata(env):
    stub = env["stub"]
    resp, call = stub.unary.with_call(b"hello through portico", timeout=10,
                                      metadata=(("x-custom", "v1"), ("x-raw-bin", b"\x00\xfe")))
    assert resp == b"hello through portico"
    assert ("x-echo-initial", "yes") in [(m.key, m.value) for m in call.initial_metadata()]
    trailing = {m.key: m.value for m in call.trailing_metadata()}
    assert trailing["x-echo-trailer"] == "done"
    assert trailing["x-echo-bin-bin"] == b"\x00\x01\xff"
    assert call.code() == grpc.StatusCode.OK
    seen = json.loads(stub.metadata(b"", timeout=10, metadata=(("x-custom", "v2"),)))
    md = dict((k, v) for k, v in seen["metadata"])
    assert md["x-custom"] == "v2"
    assert md["user-agent"].startswith("grpc-python")
    # an empty request message and an empty response message
    assert stub.unary(b"", timeout=10) == b""


def test_client_streaming(env):
    msgs = [os.urandom(n) for n in (0, 1, 5, 100, 16384, 16385, 70000, 3)] * 10
    got = json.loads(env["stub"].client_stream(iter(msgs), timeout=20))
    assert got == {"count": len(msgs), "bytes": sum(map(len, msgs)),
                   "sha256": hashlib.sha256(b"".join(msgs)).hexdigest()}


def test_server_streaming(env):
    got = list(env["stub"].server_stream(js({"count": 300, "size": 1000}), timeout=20))
    assert len(got) == 300
    assert all(m == bytes([i % 256]) * 1000 for i, m in enumerate(got))
    got = list(env["stub"].server_stream(js({"count": 4, "size": 1 << 20}), timeout=30))
    assert [len(m) for m in got] == [1 << 20] * 4
    assert got[3] == b"\x03" * (1 << 20)


def test_bidi_streaming_is_full_duplex(env):
    """Each message is sent only after the previous echo came back: portico must stream both
    directions as they go, not wait for the end of the request."""
    q = queue.Queue()

    def requests():
        while True:
            m = q.get()
            if m is None:
                return
            yield m

    responses = env["stub"].bidi(requests(), timeout=30)
    got = []
    for i in range(50):
        msg = ("message %d " % i).encode() * (i + 1)
        q.put(msg)
        got.append((msg, next(responses)))
    q.put(None)
    assert list(responses) == []
    assert all(a == b for a, b in got)
    assert responses.code() == grpc.StatusCode.OK


@pytest.mark.parametrize("code", ["NOT_FOUND", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                  "INTERNAL", "UNAUTHENTICATED", "FAILED_PRECONDITION"])
def test_error_status_message_and_trailers(env, code):
    message = "no such thing: caf\u00e9 100% sure, line\nbreak"
    with pytest.raises(grpc.RpcError) as ei:
        env["stub"].fail(js({"code": code, "message": message,
                             "trailers": [["x-why", "because"], ["x-detail-bin", "AAH/"]]}),
                         timeout=10)
    e = ei.value
    assert e.code() == getattr(grpc.StatusCode, code)
    assert e.details() == message
    md = {m.key: m.value for m in e.trailing_metadata()}
    assert md["x-why"] == "because"
    assert md["x-detail-bin"] == b"AAH/"


def test_error_trailers_byte_identical_to_backend(env):
    """grpc-status and grpc-message (percent-encoded on the wire) arrive exactly as the
    backend sent them."""
    body = frame(js({"code": "ABORTED", "message": "conflict \u00e9 50%",
                     "trailers": [["x-why", "race"]]}))
    seen = []
    for port in (env["backend"].port, env["port"]):
        with H2Conn(port) as c:
            st = c.wait_done(c.request(grpc_request_headers(SVC + "Fail"), body=body))
            assert st.reset is None and st.status == 200, (st.headers, st.reset)
            assert st.header("content-type").startswith("application/grpc")
            src = st.trailers if st.trailers else st.headers
            d = dict(src)
            seen.append((d.get("grpc-status"), d.get("grpc-message"), d.get("x-why")))
            assert not any(n in ("connection", "keep-alive", "transfer-encoding")
                           for n, _ in st.headers)
    direct, proxied = seen
    assert direct == ("10", direct[1], "race") and "%" in direct[1]
    assert proxied == direct


def test_complete_response_before_the_request_ends(env):
    """RFC 9113 section 8.1: grpcio answers a unary call once it has the message, before the
    client half-closes, then resets the stream with NO_ERROR. The client must still get the
    whole response (checked directly against the backend first)."""
    for port in (env["backend"].port, env["port"]):
        with H2Conn(port) as c:
            sid = c.request(grpc_request_headers(SVC + "Unary"), body=frame(b"early"),
                            end_stream=False)
            st = c.wait_done(sid, timeout=10)
            assert st.status == 200, "port %d: %r, reset %r" % (port, st.headers, st.reset)
            assert unframe(bytes(st.data)) == [b"early"]
            assert st.trailer("grpc-status") == "0"
            assert st.ended and st.reset is None


def test_deadline_forwarded_and_backend_cancelled(env):
    tag = "deadline-%d" % time.monotonic_ns()
    t0 = time.monotonic()
    with pytest.raises(grpc.RpcError) as ei:
        env["stub"].slow(js({"tag": tag, "sleep": 30}), timeout=1.5)
    assert ei.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - t0 < 10
    direct = env["direct"]
    obs = wait_for(lambda: (lambda o: o if o.get("cancelled") is not None else None)(
        direct.observed(tag)), timeout=15, msg="backend seeing the end of the call")
    # the client's deadline reached the backend as grpc-timeout
    assert obs["time_remaining"] is not None and 0 < obs["time_remaining"] <= 1.6, obs
    assert obs["cancelled"] is True
    assert obs["waited"] < 15


def test_client_cancel_resets_backend_call(env):
    """No deadline: the backend can only learn of the cancel from portico's RST_STREAM."""
    tag = "cancel-%d" % time.monotonic_ns()
    fut = env["stub"].slow.future(js({"tag": tag, "sleep": 30}))
    direct = env["direct"]
    obs = wait_for(lambda: direct.observed(tag), timeout=15, msg="backend starting Slow")
    assert obs["time_remaining"] is None  # no grpc-timeout invented by portico
    fut.cancel()
    obs = wait_for(lambda: (lambda o: o if o.get("cancelled") is not None else None)(
        direct.observed(tag)), timeout=15, msg="backend seeing the cancel")
    assert obs["cancelled"] is True and obs["waited"] < 20


def test_portico_enforces_grpc_timeout(env):
    """The backend never answers: when grpc-timeout expires portico resets the upstream stream
    and answers grpc-status 4 itself."""
    silent = env["silent"]
    n0 = len(silent.requests)
    with H2Conn(env["port"]) as c:
        t0 = time.monotonic()
        sid = c.request(grpc_request_headers("/silent.Svc/Wait", timeout="700m"),
                        body=frame(b"anyone?"))
        st = c.wait_done(sid, timeout=15)
        elapsed = time.monotonic() - t0
        assert st.reset is None, "stream reset %r instead of a gRPC status" % st.reset
        assert st.status == 200
        assert st.header("content-type", "").startswith("application/grpc")
        assert grpc_status_of(st) == 4, (st.headers, st.trailers)
        assert 0.5 < elapsed < 10
    wait_for(lambda: len(silent.requests) > n0, timeout=5, msg="request at the backend")
    conn_no, upstream_sid, headers = silent.requests[n0]
    h = dict(headers)
    assert h[":path"] == "/silent.Svc/Wait"
    assert h["content-type"] == "application/grpc"
    assert h.get("te") == "trailers"
    timeout = h["grpc-timeout"]
    unit = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}[timeout[-1]]
    assert 0 < int(timeout[:-1]) * unit <= 0.7 + 1e-9
    wait_for(lambda: any(r[:2] == (conn_no, upstream_sid) for r in silent.resets), timeout=5,
             msg="RST_STREAM of the upstream stream")


def test_response_timeout_is_deadline_exceeded(env):
    """A local 504 (response_timeout) to a gRPC request: HTTP 200, grpc-status 4."""
    with H2Conn(env["port"]) as c:
        st = c.wait_done(c.request(grpc_request_headers("/silentshort.Svc/Wait"),
                                   body=frame(b"x")), timeout=20)
        assert st.reset is None and st.status == 200, (st.headers, st.reset)
        assert grpc_status_of(st) == 4
    with pytest.raises(grpc.RpcError) as ei:
        env["channel"].unary_unary("/silentshort.Svc/Wait")(b"x", timeout=20)
    assert ei.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_portico_survives_mixed_failures(env):
    """Early responses, deadlines, cancels, grpc-timeout and response_timeout expiries on one
    portico, twice over; it must keep serving (and exit 0 at teardown)."""
    stub, ch, port = env["stub"], env["channel"], env["port"]
    for rnd in range(2):
        with H2Conn(port) as c:
            c.wait_done(c.request(grpc_request_headers(SVC + "Unary"), body=frame(b"early"),
                                  end_stream=False), timeout=10)
        with pytest.raises(grpc.RpcError):
            stub.slow(js({"tag": "mixed-d-%d" % rnd, "sleep": 30}), timeout=1.0)
        fut = stub.slow.future(js({"tag": "mixed-c-%d" % rnd, "sleep": 30}))
        wait_for(lambda: env["direct"].observed("mixed-c-%d" % rnd), timeout=10,
                 msg="backend starting Slow")
        fut.cancel()
        with H2Conn(port) as c:
            c.wait_done(c.request(grpc_request_headers("/silent.Svc/Wait", timeout="500m"),
                                  body=frame(b"x")), timeout=15)
        with H2Conn(port) as c:
            c.wait_done(c.request(grpc_request_headers("/silentshort.Svc/Wait"),
                                  body=frame(b"x")), timeout=20)
        with pytest.raises(grpc.RpcError):
            ch.unary_unary("/silentshort.Svc/Wait")(b"x", timeout=20)
        assert env["portico"].running(), "portico died (round %d):\n%s" % (
            rnd, env["portico"].stderr())
    assert stub.unary(b"still alive", timeout=10) == b"still alive"


def test_large_messages_both_ways(env):
    big = os.urandom(4 * 1024 * 1024)
    assert env["stub"].unary(big, timeout=60) == big
    msgs = [os.urandom(1 << 20) for _ in range(6)]
    got = list(env["stub"].bidi(iter(msgs), timeout=60))
    assert got == msgs


def test_many_concurrent_calls_on_one_channel(env):
    stub = env["stub"]
    futs = [(i, stub.unary.future(b"call %d " % i * 50, timeout=60)) for i in range(400)]
    streams = [stub.server_stream(js({"count": 50, "size": 2000}), timeout=60) for _ in range(10)]
    results = {}

    def drain(k, it):
        results[k] = [len(m) for m in it]

    ts = [threading.Thread(target=drain, args=(k, it)) for k, it in enumerate(streams)]
    for t in ts:
        t.start()
    for i, f in futs:
        assert f.result(timeout=60) == b"call %d " % i * 50
    for t in ts:
        t.join(60)
    assert results == {k: [2000] * 50 for k in range(10)}


def test_cluster_down_is_unavailable(env):
    with H2Conn(env["port"]) as c:
        st = c.wait_done(c.request(grpc_request_headers("/down.Svc/Call"), body=frame(b"x"),
                                   coalesce=True), timeout=15)
        assert st.reset is None and st.status == 200, (st.headers, st.reset)
        assert st.header("content-type", "").startswith("application/grpc")
        assert grpc_status_of(st) == 14
        assert st.trailers is None, "a local error is a trailers-only response"
        assert st.data_total == 0
    with pytest.raises(grpc.RpcError) as ei:
        env["channel"].unary_unary("/down.Svc/Call")(b"x", timeout=15)
    assert ei.value.code() == grpc.StatusCode.UNAVAILABLE


def test_unrouted_method_is_unimplemented(env):
    with H2Conn(env["port"]) as c:
        st = c.wait_done(c.request(grpc_request_headers("/no.Such/Method"), body=frame(b""),
                                   coalesce=True), timeout=10)
        assert st.reset is None and st.status == 200, (st.headers, st.reset)
        assert grpc_status_of(st) == 12
    with pytest.raises(grpc.RpcError) as ei:
        env["channel"].unary_unary("/no.Such/Method")(b"x", timeout=10)
    assert ei.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_local_error_before_the_request_body(env):
    """The request body has not been sent yet when portico knows the answer (no route): the
    client still gets the whole trailers-only response (RFC 9113 section 8.1), then may get
    RST_STREAM NO_ERROR; the body sent afterwards is not an error."""
    with H2Conn(env["port"]) as c:
        sid = c.request(grpc_request_headers("/no.Such/Method"), end_stream=False)
        st = c.wait_response(sid, timeout=10)
        assert st.status == 200, "no response, stream reset %r" % st.reset
        assert grpc_status_of(st) == 12
        c.wait_done(sid, timeout=10)
        assert st.ended
        # the connection is still fine
        st2 = c.wait_done(c.request(grpc_request_headers("/no.Such/Other"), body=frame(b""),
                                    coalesce=True), timeout=10)
        assert grpc_status_of(st2) == 12


def test_backend_unimplemented_method_passes_through(env):
    with pytest.raises(grpc.RpcError) as ei:
        env["channel"].unary_unary(SVC + "NoSuchMethod")(b"x", timeout=10)
    assert ei.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_http1_still_served_on_the_h2_listener(env):
    from e2elib import http_request
    r = http_request(env["port"], "GET", "/no.Such/thing")
    assert r.status == 404


def established_to(port):
    """Established TCP connections to 127.0.0.1:port (from /proc/net/tcp)."""
    n = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            rem, state = fields[2], fields[3]
            if state == "01" and int(rem.split(":")[1], 16) == port:
                n += 1
    return n


def test_idle_upstream_session_is_closed_cleanly(procs, backends):
    """After idle_timeout the upstream HTTP/2 session says goodbye and closes; the next call
    opens a new one."""
    port = free_port()
    backend = backends["backend"]
    cfg = make_config(port, {"g": {"servers": [backend.addr], "protocol": "h2",
                                   "idle_timeout": "1s"}})
    cfg["listeners"][0]["http2"] = True
    portico = procs.portico(cfg)
    ch = insecure_channel(port)
    try:
        stub = Stub(ch)
        n0 = established_to(backend.port)
        assert stub.unary(b"first", timeout=10) == b"first"
        assert established_to(backend.port) > n0
        wait_for(lambda: established_to(backend.port) == n0 or not portico.running(),
                 timeout=15, msg="the idle upstream session closing")
        assert portico.running(), "portico died closing an idle upstream session:\n%s" % (
            portico.stderr())
        assert stub.unary(b"second", timeout=10) == b"second"
    finally:
        ch.close()


def test_reload_drains_in_flight_calls(env):
    """SIGHUP: a call in flight finishes; open HTTP/2 connections stay usable (portico reloads
    in place, so there is no old process to drain them away from), and new calls work."""
    tag = "reload-%d" % time.monotonic_ns()
    fut = env["stub"].slow.future(js({"tag": tag, "sleep": 1.5}), timeout=30)
    wait_for(lambda: env["direct"].observed(tag), timeout=10, msg="backend starting Slow")
    with H2Conn(env["port"]) as idle:
        idle.wait_settings()
        env["portico"].reload()
        wait_for(lambda: "configuration reloaded" in env["portico"].stderr(), timeout=10,
                 msg="reload logged")
        assert fut.result(timeout=30) == b"slow done"
        assert idle.goaway is None
    assert fut.result(timeout=30) == b"slow done"
    assert env["stub"].unary(b"after reload", timeout=10) == b"after reload"


def test_sigterm_lets_in_flight_calls_finish(env):
    tag = "term-%d" % time.monotonic_ns()
    fut = env["stub"].slow.future(js({"tag": tag, "sleep": 1.5}), timeout=30)
    wait_for(lambda: env["direct"].observed(tag), timeout=10, msg="backend starting Slow")
    env["portico"].signal(signal.SIGTERM)
    assert fut.result(timeout=30) == b"slow done"
    assert env["portico"].wait_exit(20) == 0


# ---------------------------------------------------------------------------------------------
# TLS


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    from tlsutil import Pki
    p = Pki(tmp_path_factory.mktemp("grpc-pki"))
    p.site = p.issue("site", "localhost", dns=["localhost"], kind="ec")
    return p


@pytest.mark.parametrize("alpn_style", ["http2_default", "explicit_alpn"])
def test_grpc_over_tls_listener(env, procs, pki, alpn_style):
    port = free_port()
    tls = {"certificates": [{"cert": str(pki.site[0]), "key": str(pki.site[1])}]}
    if alpn_style == "explicit_alpn":
        tls["alpn"] = ["h2", "http/1.1"]
    cfg = grpc_listener_config(port, env["backend"].addr, env["silent"].addr,
                               "127.0.0.1:%d" % free_port(), tls=tls)
    if alpn_style == "explicit_alpn":
        del cfg["listeners"][0]["http2"]
    procs.portico(cfg)
    ch = secure_channel(port, pki.ca_cert)
    try:
        stub = Stub(ch)
        assert stub.unary(b"over tls", timeout=10) == b"over tls"
        msgs = [os.urandom(n) for n in (10, 100000, 1 << 20)]
        assert list(stub.bidi(iter(msgs), timeout=30)) == msgs
        with pytest.raises(grpc.RpcError) as ei:
            stub.fail(js({"code": "OUT_OF_RANGE", "message": "too far"}), timeout=10)
        assert (ei.value.code(), ei.value.details()) == (grpc.StatusCode.OUT_OF_RANGE,
                                                         "too far")
        futs = [stub.unary.future(b"%d" % i, timeout=30) for i in range(100)]
        assert [f.result() for f in futs] == [b"%d" % i for i in range(100)]
    finally:
        ch.close()


def test_grpc_to_tls_backend(procs, pki, tmp_path):
    """Cluster `protocol: h2` with `tls:` speaks ALPN h2 to a TLS gRPC server."""
    backend = GrpcBackend(tmp_path / "tlsgrpc", cert=pki.site[0], key=pki.site[1]).start()
    procs.items.append(backend)
    port = free_port()
    cfg = make_config(port, {"g": {"servers": [backend.addr], "protocol": "h2",
                                   "tls": {"ca": str(pki.ca_cert), "sni": "localhost"}}})
    cfg["listeners"][0]["http2"] = True
    procs.portico(cfg)
    ch = insecure_channel(port)
    try:
        stub = Stub(ch)
        assert stub.unary(b"to tls backend", timeout=10) == b"to tls backend"
        big = os.urandom(2 << 20)
        assert stub.unary(big, timeout=30) == big
        with pytest.raises(grpc.RpcError) as ei:
            stub.fail(js({"code": "ALREADY_EXISTS", "message": "dup"}), timeout=10)
        assert ei.value.code() == grpc.StatusCode.ALREADY_EXISTS
    finally:
        ch.close()
