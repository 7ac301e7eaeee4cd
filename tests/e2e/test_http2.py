"""HTTP/2 end to end with real clients: curl (--http2-prior-knowledge, --http2 over TLS with
SNI and client certificates, --http1.1 on the same port), nghttp, h2load, openssl s_client
(ALPN, session resumption) and the frame-level client of h2util for what the tools cannot do
(trailers, exact flow-control windows, many concurrent streams on one connection, GOAWAY on
shutdown and reload)."""
import json
import os
import re
import signal
import subprocess
import threading
import time
import zlib

import pytest

from e2elib import (HttpConn, expected_pattern, free_port, marker, sha256, wait_for)
from h2util import (GOAWAY, INITIAL_WINDOW_SIZE, NO_ERROR, H2Conn, h2_config, h2_tls_context,
                    tls_listener_spec)
from tlsutil import Pki

BIG = 8 * 1024 * 1024


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    p = Pki(tmp_path_factory.mktemp("pki"))
    p.site = p.issue("site", "site.test", dns=["site.test", "localhost"], ips=["127.0.0.1"])
    p.wild = p.issue("wild", "wildcard.example.test", dns=["*.example.test"])
    p.client = p.issue("client", "alice", client=True, kind="ec")
    return p


@pytest.fixture(scope="module")
def env(module_procs, pki):
    """One echo backend behind an h2c listener and an h2 (TLS) listener."""
    b = module_procs.echo("h2main")
    port, tport = free_port(), free_port()
    cfg = h2_config(port, {"web": [b.addr]}, extra_listeners=[{
        "name": "secure", "address": "127.0.0.1:%d" % tport, "http2": True,
        "tls": tls_listener_spec(pki, [pki.site, pki.wild]),
        "routes": [{"match": {"path_prefix": "/"}, "cluster": "web"}]}])
    p = module_procs.portico(cfg)
    return type("Env", (), {"port": port, "tport": tport, "echo": b, "portico": p,
                            "pki": pki})()


def curl(*args, timeout=60, binary=False):
    out = subprocess.run(["curl", "-sS", "--max-time", str(timeout)] + list(args),
                         capture_output=True, timeout=timeout + 10, text=not binary)
    return out


def curl_h2c(env, path, *args, **kw):
    return curl("--http2-prior-knowledge", "http://127.0.0.1:%d%s" % (env.port, path), *args,
                **kw)


def curl_tls(env, path, *args, name="site.test", **kw):
    return curl("--cacert", str(env.pki.ca_cert), "--resolve",
                "%s:%d:127.0.0.1" % (name, env.tport), "https://%s:%d%s" % (name, env.tport, path),
                *args, **kw)


def status_version(out):
    """curl -w '%{http_code} %{http_version}' output (after the body)."""
    m = re.search(r"(\d{3}) ([\d.]+)$", out.stdout)
    assert m, "curl output: %r %r" % (out.stdout[-300:], out.stderr[-300:])
    return int(m.group(1)), m.group(2)


W = ["-w", "\n%{http_code} %{http_version}"]


def doc_of(out):
    body = out.stdout.rsplit("\n", 1)[0]
    return json.loads(body)


def hdrs(doc):
    return {k.lower(): v for k, v in doc["headers"]}


# ---------------------------------------------------------------------------------------------
# curl


def test_curl_h2c_prior_knowledge(env):
    out = curl_h2c(env, "/hello?x=1", *W, "-H", "X-Test: yes")
    assert status_version(out) == (200, "2"), out.stderr
    doc = doc_of(out)
    assert doc["target"] == "/hello?x=1" and doc["method"] == "GET"
    h = hdrs(doc)
    assert h["host"] == "127.0.0.1:%d" % env.port
    assert h["x-test"] == "yes"
    assert h.get("x-forwarded-proto") == "http"


def test_http11_still_served_on_the_same_port(env):
    out = curl("--http1.1", "http://127.0.0.1:%d/h1" % env.port, *W)
    assert status_version(out) == (200, "1.1")
    with HttpConn(env.port) as c:  # keep-alive, several requests
        for i in range(3):
            r = c.request("GET", "/h1/%d" % i)
            assert r.status == 200 and r.version == "HTTP/1.1"
    # An HTTP/1.1 Upgrade: h2c request is served as HTTP/1.1 (no h2c upgrade).
    out = curl("--http2", "http://127.0.0.1:%d/upgrade" % env.port, *W)
    assert status_version(out) == (200, "1.1"), out.stdout[-200:]


def test_curl_h2_over_tls_with_sni(env):
    out = curl_tls(env, "/tls", *W, "--http2")
    assert status_version(out) == (200, "2"), out.stderr
    assert hdrs(doc_of(out))["x-forwarded-proto"] == "https"
    # The wildcard certificate is chosen by SNI (curl verifies it against the name).
    out = curl_tls(env, "/wild", *W, "--http2", name="api.example.test")
    assert status_version(out) == (200, "2"), out.stderr
    # Same TLS port, HTTP/1.1 by ALPN.
    out = curl_tls(env, "/tls11", *W, "--http1.1")
    assert status_version(out) == (200, "1.1"), out.stderr


def test_curl_h2_with_client_certificate(procs, pki):
    b = procs.echo("b")
    port = free_port()
    procs.portico(h2_config(port, {"web": [b.addr]}, tls=tls_listener_spec(
        pki, client_auth="required", client_ca=str(pki.ca_cert))))
    base = ["--http2", "--cacert", str(pki.ca_cert), "--resolve",
            "site.test:%d:127.0.0.1" % port, "https://site.test:%d/mtls" % port]
    out = curl(*base, *W, "--cert", str(pki.client[0]), "--key", str(pki.client[1]),
               "-H", "X-Client-Cert-Subject: CN=forged")
    assert status_version(out) == (200, "2"), out.stderr
    assert hdrs(doc_of(out))["x-client-cert-subject"] == "CN=alice"
    out = curl(*base, *W)
    assert out.returncode != 0 or status_version(out)[0] != 200, "no client cert accepted"


def test_curl_large_bodies_both_ways(env, tmp_path):
    data = os.urandom(BIG)
    f = tmp_path / "up.bin"
    f.write_bytes(data)
    # Upload over h2c: the backend hashes it (crc32 for /discard paths).
    out = curl_h2c(env, "/discard/up", *W, "--data-binary", "@%s" % f,
                   "-H", "Content-Type: application/octet-stream")
    assert status_version(out) == (200, "2"), out.stderr
    doc = doc_of(out)
    assert doc["body_length"] == BIG and doc["body_crc32"] == zlib.crc32(data)
    # Upload over TLS, with SHA-256 this time.
    out = curl_tls(env, "/up-tls", *W, "--http2", "--data-binary", "@%s" % f)
    assert status_version(out) == (200, "2"), out.stderr
    assert doc_of(out)["body_sha256"] == sha256(data)
    # Downloads.
    for args in (["--http2-prior-knowledge", "http://127.0.0.1:%d/big?bytes=%d" % (
            env.port, BIG)],
                 ["--http2", "--cacert", str(env.pki.ca_cert), "--resolve",
                  "site.test:%d:127.0.0.1" % env.tport,
                  "https://site.test:%d/big?bytes=%d" % (env.tport, BIG)]):
        dl = tmp_path / "down.bin"
        out = curl(*args, "-o", str(dl), "-w", "%{http_code} %{http_version}")
        assert out.stdout == "200 2", (out.stdout, out.stderr)
        assert sha256(dl.read_bytes()) == sha256(expected_pattern(BIG))


def test_flow_control_both_ways_with_small_windows(procs):
    """Server window 65535 (many WINDOW_UPDATEs for a 6 MiB upload), client window 16 KiB
    (many for a 6 MiB download), on one connection, both directions at once."""
    b = procs.echo("b")
    port = free_port()
    procs.portico(h2_config(port, {"web": [b.addr]}, http2={"initial_window_size": 65535}))
    up = os.urandom(6 * 1024 * 1024)
    with H2Conn(port, settings_={INITIAL_WINDOW_SIZE: 16384}).handshake() as c:
        down = c.start_request("GET", "/big?bytes=%d" % len(up))
        st = c.request("POST", "/upload", body=up, timeout=60)
        assert st.status == 200, st
        doc = json.loads(st.body)
        assert doc["body_length"] == len(up) and doc["body_sha256"] == sha256(up)
        dst = c.wait_stream(down, 60)
        assert dst.status == 200 and dst.ended
        assert len(dst.body) == len(up) and dst.body == expected_pattern(len(up))
        ups = [f for f in c.frames if f.type == 8 and f.stream_id != 0]
        assert len(ups) > 20, "expected many stream WINDOW_UPDATEs, got %d" % len(ups)


def test_many_concurrent_streams_on_one_connection(env):
    seq0 = env.echo.seq()
    m = marker()
    with H2Conn(env.port).handshake() as c:
        t0 = time.monotonic()
        sids = [c.start_request("GET", "/slow?ms=500&i=%d&m=%s" % (i, m)) for i in range(60)]
        posts = [c.start_request("POST", "/post?i=%d&m=%s" % (i, m), end_stream=False)
                 for i in range(40)]
        for i, sid in enumerate(posts):
            c.send_body(sid, b"p%d" % i * 100)
        for sid in sids + posts:
            st = c.wait_stream(sid, 60)
            assert st.status == 200 and st.ended, st
        took = time.monotonic() - t0
        for i, sid in enumerate(posts):
            assert json.loads(c.streams[sid].body)["body_length"] == len(b"p%d" % i * 100)
    # 60 requests of 0.5 s each: served concurrently, not one after the other (30 s).
    assert took < 20, "100 streams took %.1fs" % took
    targets = [e["target"] for e in env.echo.entries(seq0) if m in e["target"]]
    assert len(targets) == 100


def test_head_204_304_with_curl(env):
    out = curl_h2c(env, "/big?bytes=5000", "-I", *W)
    assert status_version(out) == (200, "2"), out.stdout
    assert re.search(r"(?im)^content-length: 5000\r?$", out.stdout)
    for code in (204, 304):
        out = curl_h2c(env, "/status/%d" % code, *W)
        assert status_version(out) == (code, "2")
        assert out.stdout.strip().startswith(str(code)), "body on a %d: %r" % (code, out.stdout)


def test_trailers_from_client(env):
    with H2Conn(env.port).handshake() as c:
        st = c.request("POST", "/with-trailers", body=b"x" * 50000,
                       headers=[("te", "trailers")],
                       trailers=[("x-checksum", "abc123"), ("x-count", "1")])
        assert st.status == 200, st
        doc = json.loads(st.body)
        assert doc["body_length"] == 50000
        tr = {k.lower(): v for k, v in doc["trailers"]}
        assert tr == {"x-checksum": "abc123", "x-count": "1"}, doc


def test_response_trailers_from_backend(env):
    with H2Conn(env.port).handshake() as c:
        st = c.request("GET", "/trailers", headers=[("te", "trailers")])
        assert st.status == 200 and st.body == b"hello trailers\n", st
        if st.trailers is not None:
            t = dict(st.trailers)
            assert t.get("x-checksum") == "abc123" and not any(k.startswith(":") for k in t)


def test_authority_routes_to_clusters(procs):
    a, b = procs.echo("alpha"), procs.echo("beta")
    port = free_port()
    procs.portico(h2_config(port, {"a": [a.addr], "b": [b.addr]}, routes=[
        ({"host": "a.test"}, "a"), ({"host": "b.test"}, "b"), ({"path_prefix": "/"}, "a")]))
    with H2Conn(port).handshake() as c:
        for auth, want in (("a.test", "alpha"), ("b.test", "beta"), ("B.TEST", "beta"),
                           ("b.test:%d" % port, "beta")):
            st = c.request("GET", "/who", authority=auth)
            assert st.status == 200, st
            doc = json.loads(st.body)
            assert doc["backend"] == want, (auth, doc["backend"])
            assert hdrs(doc)["host"].lower() == auth.lower()
    # curl turns its Host header into :authority.
    out = curl("--http2-prior-knowledge", "-H", "Host: b.test", "http://127.0.0.1:%d/" % port,
               *W)
    assert status_version(out) == (200, "2") and doc_of(out)["backend"] == "beta"


def test_local_responses_over_h2(procs):
    b = procs.echo("b")
    port = free_port()
    cfg = h2_config(port, {"web": [b.addr]})
    cfg["listeners"][0]["routes"] = [
        {"match": {"path": "/healthz"}, "direct_response": {"status": 200, "body": "ok\n"}},
        {"match": {"path_prefix": "/app/"}, "cluster": "web"}]
    procs.portico(cfg)
    with H2Conn(port).handshake() as c:
        st = c.request("GET", "/healthz")
        assert st.status == 200 and st.body == b"ok\n", st
        st = c.request("GET", "/nowhere")
        assert st.status == 404 and st.ended, st
        names = [n for n, _ in st.headers]
        assert "connection" not in names and all(n == n.lower() for n in names)
        assert c.request("GET", "/app/x").status == 200


# ---------------------------------------------------------------------------------------------
# nghttp and h2load


def test_nghttp(env, tmp_path):
    out = subprocess.run(["nghttp", "-v", "-H", "x-from: nghttp",
                          "http://127.0.0.1:%d/nghttp" % env.port],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "recv (stream_id=13) :status: 200" in out.stdout or \
        re.search(r"recv \(stream_id=\d+\) :status: 200", out.stdout), out.stdout
    assert re.search(r"recv HEADERS frame <[^>]*>\s*; END_HEADERS", out.stdout), out.stdout
    body = out.stdout[out.stdout.index("{"):]
    assert '["x-from", "nghttp"]' in body, body
    # Upload with -d, and several URIs multiplexed on one connection.
    f = tmp_path / "d.bin"
    data = os.urandom(300000)
    f.write_bytes(data)
    out = subprocess.run(["nghttp", "-d", str(f), "http://127.0.0.1:%d/ngup" % env.port],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["body_sha256"] == sha256(data)
    out = subprocess.run(["nghttp", "-ns"] + ["http://127.0.0.1:%d/m%d" % (env.port, i)
                                              for i in range(10)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("/m") >= 10, out.stdout


def h2load(args, timeout=90):
    out = subprocess.run(["h2load"] + args, capture_output=True, text=True, timeout=timeout)
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored", out.stdout)
    assert m, out.stdout + out.stderr
    codes = re.search(r"status codes: (\d+) 2xx", out.stdout)
    return [int(x) for x in m.groups()], int(codes.group(1)) if codes else None, out.stdout


def test_h2load_h2c_and_tls(env):
    (total, _, done, ok, failed, errored), ok2xx, text = h2load(
        ["-n", "2000", "-c", "4", "-m", "32", "http://127.0.0.1:%d/load" % env.port])
    assert (done, ok, failed, errored, ok2xx) == (2000, 2000, 0, 0, 2000), text
    (total, _, done, ok, failed, errored), ok2xx, text = h2load(
        ["-n", "400", "-c", "2", "-m", "16", "https://127.0.0.1:%d/load-tls" % env.tport])
    assert (done, ok, failed, errored, ok2xx) == (400, 400, 0, 0, 400), text
    assert "Application protocol: h2" in text


# ---------------------------------------------------------------------------------------------
# openssl s_client: ALPN and session resumption


def s_client(port, *args, wait_file=None, timeout=15, sni="site.test"):
    """Runs openssl s_client; with wait_file, keeps stdin open until that file is written
    (a TLS 1.3 session ticket arrives after the handshake)."""
    p = subprocess.Popen(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                          "-servername", sni] + list(args),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        if wait_file is not None:
            wait_for(lambda: os.path.exists(wait_file) and os.path.getsize(wait_file) > 0,
                     timeout, msg="a TLS session saved by s_client")
        out, _ = p.communicate(b"", timeout=timeout)
    except Exception:
        p.kill()
        p.wait()
        raise
    return p.returncode, out.decode("utf-8", "replace")


def test_openssl_alpn_selection(env):
    rc, out = s_client(env.tport, "-alpn", "h2,http/1.1")
    assert "ALPN protocol: h2" in out, out[-1500:]
    rc, out = s_client(env.tport, "-alpn", "http/1.1,h2")
    assert "ALPN protocol: h2" in out, "the server's preference (h2 first) applies: " + out[-800:]
    rc, out = s_client(env.tport, "-alpn", "http/1.1")
    assert "ALPN protocol: http/1.1" in out, out[-1500:]
    rc, out = s_client(env.tport)
    assert "No ALPN negotiated" in out, out[-1500:]
    rc, out = s_client(env.tport, "-alpn", "spdy/3")
    assert "ALPN protocol" not in out, "an unknown protocol was accepted: " + out[-800:]


def test_openssl_sni_selects_certificate_with_h2(env):
    rc, out = s_client(env.tport, "-alpn", "h2", sni="api.example.test")
    assert re.search(r"subject=CN ?= ?wildcard\.example\.test", out), out[-1500:]
    assert "ALPN protocol: h2" in out
    rc, out = s_client(env.tport, "-alpn", "h2", sni="site.test")
    assert re.search(r"subject=CN ?= ?site\.test", out), out[-1500:]


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_openssl_session_resumption_reports_reused(env, tmp_path, version):
    sess = str(tmp_path / "sess.pem")
    rc, out = s_client(env.tport, version, "-alpn", "h2", "-sess_out", sess, wait_file=sess)
    assert "ALPN protocol: h2" in out and "New," in out, out[-1500:]
    rc, out = s_client(env.tport, version, "-alpn", "h2", "-sess_in", sess)
    assert re.search(r"^Reused, TLSv1\.[23]", out, re.M), out[-1500:]
    assert "ALPN protocol: h2" in out, out[-1500:]


def test_python_h2_over_tls(env):
    ctx = h2_tls_context(env.pki)
    with H2Conn(env.tport, tls=ctx, server_name="site.test").handshake() as c:
        assert c.alpn == "h2"
        st = c.request("GET", "/py-tls", authority="site.test", scheme="https")
        assert st.status == 200
        assert hdrs(json.loads(st.body))["x-forwarded-proto"] == "https"


# ---------------------------------------------------------------------------------------------
# WebSocket over HTTP/2 (RFC 8441 extended CONNECT)


def ws_frame(payload, opcode=0x1):
    """A masked client WebSocket frame (payloads under 126 bytes)."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


def ws_messages(data):
    """Unmasked server frames (payloads under 126 bytes) -> [(opcode, payload)]."""
    out, i = [], 0
    while i + 2 <= len(data):
        n = data[i + 1] & 0x7f
        if i + 2 + n > len(data):
            break
        out.append((data[i] & 0x0f, bytes(data[i + 2:i + 2 + n])))
        i += 2 + n
    return out


def test_websocket_over_h2_extended_connect(procs):
    from test_websocket import WsEchoServer
    srv = WsEchoServer()
    try:
        port = free_port()
        procs.portico(h2_config(port, {"ws": ["127.0.0.1:%d" % srv.port]}))
        with H2Conn(port).handshake() as c:
            assert c.server_settings.get(8) == 1, "SETTINGS_ENABLE_CONNECT_PROTOCOL missing"
            sid = c.new_stream_id()
            c.send_headers(sid, [(":method", "CONNECT"), (":protocol", "websocket"),
                                 (":scheme", "http"), (":path", "/chat?h2=1"),
                                 (":authority", "example.com"),
                                 ("sec-websocket-version", "13")], end_stream=False)
            st = c.stream(sid)
            c.pump(lambda: st.headers is not None or st.done, 10, "the CONNECT response")
            assert st.status == 200, st
            c.pump(lambda: ws_messages(st.data), 10, "the server greeting")
            assert ws_messages(st.data)[0] == (1, b"hello from server")
            for i in range(3):
                n = len(ws_messages(st.data))
                c.send_data(sid, ws_frame(b"over h2 %d" % i))
                c.pump(lambda: len(ws_messages(st.data)) > n, 10, "the echo")
                assert ws_messages(st.data)[-1] == (1, b"over h2 %d" % i)
            c.send_data(sid, ws_frame(b"\x03\xe8bye", opcode=0x8), end_stream=True)
            c.pump(lambda: st.done, 10, "the tunnel to close")
        path, headers = srv.handshakes[0]
        assert path == "/chat?h2=1"
        hd = {k.lower(): v for k, v in headers}
        assert hd["upgrade"].lower() == "websocket"
        wait_for(lambda: srv.closed_codes == [1000], 10, msg="the server seeing close 1000")
    finally:
        srv.stop()


# ---------------------------------------------------------------------------------------------
# Graceful shutdown and reload: GOAWAY, in-flight streams finish


def test_sigterm_sends_goaway_and_finishes_streams(procs):
    b = procs.echo("b")
    port = free_port()
    p = procs.portico(h2_config(port, {"web": [b.addr]}))
    with H2Conn(port).handshake() as c:
        sid = c.start_request("GET", "/slow?ms=1500")
        wait_for(lambda: b.stats()["heads"] >= 1, 10, msg="the request at the backend")
        p.signal(signal.SIGTERM)
        g = c.wait_goaway(10)
        assert g.error_code == NO_ERROR, g
        st = c.wait_stream(sid, 20)
        assert st.status == 200 and st.ended, "in-flight stream not finished: %r" % st
        assert c.wait_closed(20), "connection left open after shutdown"
        assert all(f.error_code == NO_ERROR for f in c.frames if f.type == GOAWAY)
        assert c.goaways[-1].last_stream_id >= sid
    assert p.wait_exit(20) == 0


def test_reload_finishes_streams_and_applies_new_config(procs):
    """SIGHUP with a changed route: the in-flight stream finishes on the old backend; after
    it, an existing HTTP/2 connection either gets GOAWAY (docs: graceful drain) or keeps
    serving, with the new configuration, and a new connection uses the new configuration."""
    old, new = procs.echo("old"), procs.echo("new")
    port = free_port()
    cfg = h2_config(port, {"web": [old.addr]})
    p = procs.portico(cfg)
    with H2Conn(port).handshake() as c:
        sid = c.start_request("GET", "/slow?ms=1500")
        wait_for(lambda: old.stats()["heads"] >= 1, 10, msg="the request at the backend")
        mark = p.log_size()
        p.reload(h2_config(port, {"web": [new.addr]}))
        wait_for(lambda: "reload" in p.log_since(mark).lower(), 10, msg="the reload in the log")
        st = c.wait_stream(sid, 20)
        assert st.status == 200 and st.ended, st
        assert json.loads(st.body)["backend"] == "old"
        for g in c.goaways:
            assert g.error_code == NO_ERROR and g.last_stream_id >= sid, g
        if not c.goaways and not c.closed:
            st = c.request("GET", "/same-connection")
            assert st.status == 200, st
            assert json.loads(st.body)["backend"] == "new", \
                "an HTTP/2 connection kept using the old configuration after a reload"
    with H2Conn(port).handshake() as c:
        st = c.request("GET", "/after-reload")
        assert st.status == 200 and json.loads(st.body)["backend"] == "new"


# ---------------------------------------------------------------------------------------------
# A backend that answers before the request body is complete


def test_early_response_before_request_body_complete(procs):
    """A backend may answer (413, 401, ...) before it read the whole request body; an HTTP/2
    client must get that response (RFC 9113 §8.1), possibly followed by RST_STREAM NO_ERROR
    telling it to stop sending, exactly as an HTTP/1.1 client gets it."""
    ev = procs.evil(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\n"
                    b"Connection: close\r\n\r\nbig!")
    port = free_port()
    procs.portico(h2_config(port, {"w": [ev.addr]}))
    with H2Conn(port).handshake() as c:
        sid = c.start_request("POST", "/upload", end_stream=False)
        c.send_data(sid, b"x" * 1000)  # no END_STREAM: the client is still sending
        st = c.stream(sid)
        c.pump(lambda: st.done or st.headers, 15, "the early response")
        assert st.status == 413, "the early response was lost: %r; frames %r" % (
            st, c.frames[-5:])
        c.wait_until(lambda: st.done, 10)
        assert st.body == b"big!" and (st.ended or st.reset == NO_ERROR), st
    assert len(ev.requests) == 1


# ---------------------------------------------------------------------------------------------
# HTTP/2 to the backends (cluster protocol: h2)


@pytest.fixture(scope="module")
def upstream_env(module_procs):
    """portico -> (cluster protocol: h2, h2c) nginx -> echo backend. nginx adds
    X-Upstream-Protocol: $server_protocol, so the echo shows which protocol portico used."""
    from h2util import NginxH2
    b = module_procs.echo("behind-nginx")
    ng = NginxH2(module_procs.workdir / "nginx-h2c-backend", b.addr).start()
    module_procs.items.append(ng)
    port = free_port()
    p = module_procs.portico(h2_config(port, {"h2b": {
        "servers": ["127.0.0.1:%d" % ng.port], "protocol": "h2"}}))
    return type("UEnv", (), {"port": port, "echo": b, "nginx": ng, "portico": p})()


def test_upstream_h2c_cluster_get(upstream_env):
    for client in (["--http2-prior-knowledge"], ["--http1.1"]):
        out = curl(*client, "http://127.0.0.1:%d/proto" % upstream_env.port, *W)
        assert status_version(out)[0] == 200, out.stdout + out.stderr
        h = hdrs(doc_of(out))
        assert h.get("x-upstream-protocol") == "HTTP/2.0", h


def test_upstream_h2c_cluster_bodies(upstream_env, tmp_path):
    data = os.urandom(2 * 1024 * 1024)
    f = tmp_path / "b.bin"
    f.write_bytes(data)
    for client in (["--http2-prior-knowledge"], ["--http1.1"]):
        out = curl(*client, "--data-binary", "@%s" % f,
                   "http://127.0.0.1:%d/up" % upstream_env.port, *W)
        assert status_version(out)[0] == 200, out.stdout[-300:] + out.stderr
        doc = doc_of(out)
        assert doc["body_sha256"] == sha256(data), doc
        assert hdrs(doc).get("x-upstream-protocol") == "HTTP/2.0"
        dl = tmp_path / "dl.bin"
        out = curl(*client, "-o", str(dl), "-w", "%{http_code}",
                   "http://127.0.0.1:%d/big?bytes=%d" % (upstream_env.port, 3 << 20))
        assert out.stdout == "200", out.stderr
        assert dl.read_bytes() == expected_pattern(3 << 20)


def test_upstream_h2c_cluster_multiplexes(upstream_env):
    """Concurrent client requests share upstream HTTP/2 connections (one per worker and
    server): nginx sees far fewer connections than requests."""
    seq0 = upstream_env.echo.seq()
    (total, _, done, ok, failed, errored), ok2xx, text = h2load(
        ["-n", "300", "-c", "3", "-m", "20", "http://127.0.0.1:%d/mux" % upstream_env.port])
    assert (done, ok, failed, errored, ok2xx) == (300, 300, 0, 0, 300), text
    assert len(upstream_env.echo.entries(seq0)) == 300
    status = subprocess.run(["ss", "-tn", "state", "established", "dst",
                             "127.0.0.1:%d" % upstream_env.nginx.port],
                            capture_output=True, text=True).stdout
    conns = max(0, len(status.strip().splitlines()) - 1)
    assert conns <= 4, "expected at most one upstream connection per worker, found %d:\n%s" % (
        conns, status)


def test_upstream_h2_response_reaches_http1_client_in_one_write(procs, upstream_env, tmp_path):
    """A response from an HTTP/2 backend whose head and body arrive in one read goes to an
    HTTP/1.1 client in one write: the exchange hears of the stream's news after the session
    has fed its codec the whole read, not once for the head and again for the body. And a
    finished stream is not reset: portico used to send RST_STREAM(CANCEL) after every
    response (the exchange ended inside nghttp2's callbacks, before the stream was closed).
    Watched with strace on a one-worker portico; nginx answers /fixed itself, HEADERS and DATA
    in one write."""
    import codecs
    from h2util import NginxH2
    port = free_port()
    p = procs.portico(h2_config(port, {"h2b": {
        "servers": ["127.0.0.1:%d" % upstream_env.nginx.port], "protocol": "h2"}}, workers=1))
    with HttpConn(port) as c:  # the upstream session exists before strace looks
        assert c.request("GET", "/warm").status == 200
    log = tmp_path / "strace.txt"
    tracer = subprocess.Popen(["strace", "-f", "-qq", "-s", "4096", "-e",
                               "trace=write,writev,sendto,sendmsg", "-o", str(log),
                               "-p", str(p.pid)], stderr=subprocess.PIPE)
    try:
        # Attached once a request's writes show up in the log. Every traced request is one
        # nginx answers itself: a proxied one may end its stream with an empty DATA frame of
        # its own, and a client that closes after the last body byte then (rightly) has the
        # unfinished stream cancelled.
        def traced():
            with HttpConn(port) as c:
                assert c.request("GET", "/fixed").status == 200
            return log.exists() and "HTTP/1.1 200" in log.read_text()
        wait_for(traced, timeout=15, msg="strace attached")
        with HttpConn(port) as c:
            for _ in range(10):
                r = c.request("GET", "/fixed")
                assert r.status == 200 and r.body == NginxH2.FIXED_BODY.encode()
    finally:
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=10)
    text = log.read_text()
    heads = [ln for ln in text.splitlines() if "HTTP/1.1 200" in ln]
    bodies_alone = [ln for ln in text.splitlines()
                    if re.search(r'(write|send\w*)\(\d+, "%s' % NginxH2.FIXED_BODY[:8], ln)]
    assert len(heads) >= 10, text[-2000:]
    assert not bodies_alone, "a body left in a write of its own:\n" + "\n".join(bodies_alone)
    # The frames portico wrote to nginx (writes that start like a frame header, not HTTP/1.1).
    frames = []
    for m in re.finditer(r'(?:write|sendto)\(\d+, "((?:[^"\\]|\\.)*)"', text):
        if not m.group(1).startswith("\\0"):
            continue
        data = codecs.escape_decode(m.group(1).encode("latin-1"))[0]
        at = 0
        while at + 9 <= len(data):
            frames.append((data[at + 3], int.from_bytes(data[at + 5:at + 9], "big")))
            at += 9 + int.from_bytes(data[at:at + 3], "big")
    assert sum(1 for t, _ in frames if t == 0x1) >= 10, frames  # the requests' HEADERS
    resets = [sid for t, sid in frames if t == 0x3]
    assert not resets, "finished streams were reset: %s" % resets


class LateEndH2Backend:
    """An h2c server (python3-h2) that answers every request with HEADERS (content-length) and
    one DATA frame carrying the whole body, and ends the stream only `delay` seconds later
    with an empty DATA frame, as a proxying server may (never, with delay None). Records the
    RST_STREAMs it receives."""

    BODY = b"late end of stream " * 10

    def __init__(self, delay=0.3):
        import socket
        self.delay = delay
        self.resets = []
        self.requests = 0
        self.ended = 0  # streams this server ended
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closing:
            try:
                s, _ = self.lsock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(s,), daemon=True).start()

    def _serve(self, sock):
        import h2.config
        import h2.connection
        import h2.events
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        sock.settimeout(0.02)
        pending = []  # (deadline, stream id)
        while not self.closing:
            now = time.monotonic()
            for due, sid in [p for p in pending if p[0] <= now]:
                pending.remove((due, sid))
                try:
                    conn.end_stream(sid)
                    self.ended += 1
                except Exception:  # reset meanwhile
                    pass
            try:
                data = sock.recv(65536)
                if not data:
                    break
            except TimeoutError:
                data = b""
            except OSError:
                break
            for ev in conn.receive_data(data) if data else ():
                if isinstance(ev, h2.events.RequestReceived):
                    self.requests += 1
                    conn.send_headers(ev.stream_id, [(":status", "200"),
                                                     ("content-length", str(len(self.BODY)))])
                    conn.send_data(ev.stream_id, self.BODY)
                    if self.delay is not None:
                        pending.append((time.monotonic() + self.delay, ev.stream_id))
                elif isinstance(ev, h2.events.StreamReset):
                    self.resets.append((ev.stream_id, ev.error_code))
            out = conn.data_to_send()
            if out:
                sock.sendall(out)
        sock.close()

    def stop(self):
        self.closing = True
        self.lsock.close()


def late_end_requests(procs, backend, n):
    """Sends n GETs through a one-worker portico to `backend` over one keep-alive HTTP/1.1
    connection; each response is complete by its content-length."""
    port = free_port()
    procs.portico(h2_config(port, {"late": {
        "servers": ["127.0.0.1:%d" % backend.port], "protocol": "h2"}}, workers=1))
    with HttpConn(port) as c:
        for i in range(n):
            r = c.request("GET", "/late-%d" % i)
            assert r.status == 200 and r.body == LateEndH2Backend.BODY, r


def test_upstream_h2_response_complete_by_length_is_not_reset(procs):
    """An HTTP/2 backend that ends its stream after the last body byte (a separate empty DATA
    frame with END_STREAM): the exchange ends when the content-length is complete, and the
    stream must then be left to finish, not cancelled with RST_STREAM (which portico sends,
    if at all, when the exchange ends: before the backend ends the stream)."""
    b = LateEndH2Backend()
    try:
        late_end_requests(procs, b, 5)
        wait_for(lambda: b.ended + len(b.resets) == 5, timeout=10, msg="5 streams settled")
        assert not b.resets, "complete responses were cancelled: %r" % b.resets
    finally:
        b.stop()


def test_upstream_h2_stream_never_ended_is_cancelled_later(procs):
    """A backend that never ends a stream whose response was complete by length: portico
    cancels the stream after a while (about a second), so such streams cannot hold the
    session's stream slots for good."""
    b = LateEndH2Backend(delay=None)
    try:
        late_end_requests(procs, b, 3)
        wait_for(lambda: len(b.resets) == 3, timeout=10, msg="the 3 streams cancelled")
        assert all(code == 8 for _, code in b.resets), b.resets  # CANCEL
    finally:
        b.stop()


def test_upstream_h2_tls_health_checks_are_http2(procs, pki):
    """Active http checks of a TLS h2 cluster (ALPN h2), and of an auto cluster whose server
    picks h2, are HTTP/2 requests like the traffic (test_health.py covers h2c and the verdicts)."""
    from h2util import NginxH2
    from lbutil import Admin, ctl_backend
    backends, addrs, clusters = {}, {}, {}
    for proto in ("h2", "auto"):
        b = ctl_backend(procs, "hc-" + proto)
        ng = NginxH2(procs.workdir / ("nginx-tls-hc-" + proto), b.addr, tls=pki.site).start()
        procs.items.append(ng)
        backends[proto], addrs[proto] = b, "localhost:%d" % ng.port
        clusters[proto] = {"servers": [addrs[proto]], "protocol": proto,
                           "tls": {"ca": str(pki.ca_cert)},
                           "health_check": {"type": "http", "path": "/hc-" + proto,
                                            "interval": "100ms", "timeout": "80ms",
                                            "fall": 1, "rise": 1}}
    port, aport = free_port(), free_port()
    procs.portico(h2_config(port, clusters, routes=[({"path_prefix": "/"}, "h2")],
                            admin={"address": "127.0.0.1:%d" % aport}))
    admin = Admin(aport)
    for proto, b in backends.items():
        wait_for(lambda: b.stats()["health"] >= 2, timeout=5, msg="checks of the %s cluster" % proto)
        last = b.stats()["health_last"]
        assert last["target"] == "/hc-" + proto and last["proto"] == "HTTP/2.0", last
        admin.wait_field(addrs[proto], "healthy", True, name=proto)
        b.set(health_status=500)
        admin.wait_field(addrs[proto], "healthy", False, name=proto)


def test_upstream_auto_speaks_what_alpn_picks(module_procs, pki):
    """protocol: auto offers h2 and http/1.1 to TLS servers: a server that picks h2 gets
    multiplexed streams, one that only knows HTTP/1.1 gets HTTP/1.1."""
    from h2util import NginxH2
    from tlsutil import HttpsBackend
    b = module_procs.echo("behind-tls-nginx")
    ng = NginxH2(module_procs.workdir / "nginx-h2-tls-backend", b.addr,
                 tls=pki.site).start()
    module_procs.items.append(ng)
    h1 = HttpsBackend(*pki.site).start()
    try:
        port = free_port()
        module_procs.portico(h2_config(port, {
            "h2tls": {"servers": ["localhost:%d" % ng.port], "protocol": "auto",
                      "tls": {"ca": str(pki.ca_cert)}},
            "h1tls": {"servers": ["localhost:%d" % h1.port], "protocol": "auto",
                      "tls": {"ca": str(pki.ca_cert)}}},
            routes=[({"path_prefix": "/h1"}, "h1tls"), ({"path_prefix": "/"}, "h2tls")]))
        for _ in range(3):  # the first exchange turns its connection into a session
            out = curl("--http1.1", "http://127.0.0.1:%d/auto" % port, *W)
            assert status_version(out)[0] == 200, out.stdout + out.stderr
            assert hdrs(doc_of(out)).get("x-upstream-protocol") == "HTTP/2.0"
        for _ in range(3):
            out = curl("--http2-prior-knowledge", "http://127.0.0.1:%d/h1/x" % port, *W)
            assert status_version(out)[0] == 200, out.stdout + out.stderr
            assert doc_of(out)["backend"] == "tlsb"
    finally:
        h1.stop()
