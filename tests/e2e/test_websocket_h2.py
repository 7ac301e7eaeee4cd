"""WebSocket over HTTP/2 (RFC 8441) through portico: an extended CONNECT on an `http2: true`
listener becomes an HTTP/1.1 Upgrade to the backend (test_websocket.WsEchoServer), and the
stream's DATA carries the WebSocket frames both ways. The client is python3-h2 plus
python3-websockets' sans-I/O protocol object (wsh2.WsOverH2)."""
import asyncio
import base64
import os

import pytest

websockets = pytest.importorskip("websockets")
pytest.importorskip("h2")

from e2elib import free_port, make_config, wait_for  # noqa: E402
from h2client import H2Conn  # noqa: E402
from test_websocket import WsEchoServer  # noqa: E402
from wsh2 import ENABLE_CONNECT_PROTOCOL, WsOverH2, connect_headers  # noqa: E402
from websockets.frames import OP_CLOSE, OP_PONG  # noqa: E402

BIG = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def env(module_procs):
    srv = WsEchoServer(max_size=2 * BIG)
    module_procs.items.append(srv)
    port = free_port()
    cfg = make_config(port, {"ws": ["127.0.0.1:%d" % srv.port],
                             "down": ["127.0.0.1:%d" % free_port()]},
                      routes=[({"path_prefix": "/down"}, "down"),
                              ({"path_prefix": "/"}, "ws")])
    cfg["listeners"][0]["http2"] = True
    module_procs.portico(cfg)
    return {"srv": srv, "port": port}


def open_ws(port, path, **kw):
    conn = H2Conn(port, timeout=15)
    ws, st = WsOverH2.open(conn, path, **kw)
    assert ws is not None, "extended CONNECT answered %r (reset %r)" % (st.headers, st.reset)
    assert st.status == 200
    assert ws.recv() == "hello from server"
    return conn, ws, st


def handshakes_for(srv, path):
    return [dict((k.lower(), v) for k, v in h) for p, h in srv.handshakes if p == path]


def test_settings_advertise_extended_connect(env):
    with H2Conn(env["port"]) as c:
        c.wait_settings()
        assert c.remote_setting(ENABLE_CONNECT_PROTOCOL) == 1


def test_text_binary_ping_and_the_upgrade_sent_upstream(env):
    path = "/chat?room=h2&n=%d" % free_port()
    conn, ws, st = open_ws(env["port"], path)
    with conn:
        for n, v in st.headers:
            assert n not in ("connection", "upgrade", "keep-alive", "transfer-encoding"), n
        for i in range(20):
            ws.send_text("message %d \u00e9" % i)
            assert ws.recv() == "message %d \u00e9" % i
        ws.send_binary(b"\x00\x01binary\xff")
        assert ws.recv() == b"\x00\x01binary\xff"
        ws.send_ping(b"are you there")
        f = ws.recv_frame()
        assert (f.opcode, bytes(f.data)) == (OP_PONG, b"are you there")
        ws.send_text("")
        assert ws.recv() == ""
    # what the backend saw: an HTTP/1.1 WebSocket handshake for the same path
    hs = wait_for(lambda: handshakes_for(env["srv"], path), timeout=5, msg="handshake")
    h = hs[0]
    assert h["upgrade"].lower() == "websocket"
    assert "upgrade" in h["connection"].lower()
    assert h["sec-websocket-version"] == "13"
    assert len(base64.b64decode(h["sec-websocket-key"])) == 16
    assert h["host"] == "example.com"


def test_client_initiated_close(env):
    srv = env["srv"]
    conn, ws, _ = open_ws(env["port"], "/client-close")
    with conn:
        n0 = srv.closed_codes.count(3001)
        ws.send_text("before close")
        assert ws.recv() == "before close"
        ws.send_close(3001, "client bye")
        f = ws.recv_frame()
        assert f.opcode is OP_CLOSE
        assert (ws.ws.close_rcvd.code, ws.ws.close_rcvd.reason) == (3001, "client bye")
        st = ws.wait_stream_end()
        assert st.reset in (None, 0), "tunnel reset with %r after a clean close" % st.reset
    wait_for(lambda: srv.closed_codes.count(3001) > n0, timeout=10,
             msg="backend seeing close code 3001")


def test_server_initiated_close(env):
    conn, ws, _ = open_ws(env["port"], "/server-close")
    with conn:
        ws.send_text("still here")
        assert ws.recv() == "still here"
        ws.send_text("close-me")
        f = ws.recv_frame()
        assert f.opcode is OP_CLOSE
        assert (ws.ws.close_rcvd.code, ws.ws.close_rcvd.reason) == (4001, "server bye")
        st = ws.wait_stream_end()
        assert st.reset in (None, 0), "tunnel reset with %r after a clean close" % st.reset
        assert st.ended


def test_ten_megabyte_messages(env):
    conn, ws, _ = open_ws(env["port"], "/big")
    with conn:
        big = os.urandom(BIG)
        ws.send_binary(big)
        assert ws.recv(timeout=60) == big
        text = ("0123456789abcdef\u00e9" * (BIG // 18))
        ws.send_text(text)
        assert ws.recv(timeout=60) == text
        ws.send_close(1000)
        assert ws.recv_frame().opcode is OP_CLOSE


def test_two_tunnels_on_one_connection(env):
    with H2Conn(env["port"], timeout=15) as conn:
        a, _ = WsOverH2.open(conn, "/tunnel-a")
        b, _ = WsOverH2.open(conn, "/tunnel-b")
        assert a is not None and b is not None
        assert a.recv() == "hello from server" and b.recv() == "hello from server"
        for i in range(10):
            a.send_text("a%d" % i)
            b.send_binary(b"b%d" % i)
        assert [a.recv() for _ in range(10)] == ["a%d" % i for i in range(10)]
        assert [b.recv() for _ in range(10)] == [b"b%d" % i for i in range(10)]
        # closing one tunnel leaves the other working
        a.send_close(1000, "a done")
        assert a.recv_frame().opcode is OP_CLOSE
        a.wait_stream_end()
        b.send_text("b still open")
        assert b.recv() == "b still open"


def test_rst_stream_closes_the_backend_connection(env):
    srv = env["srv"]
    n0 = srv.closed_codes.count(1006)
    conn, ws, _ = open_ws(env["port"], "/reset-me")
    with conn:
        ws.send_text("x")
        assert ws.recv() == "x"
        conn.reset_stream(ws.sid, 8)  # CANCEL
        wait_for(lambda: srv.closed_codes.count(1006) > n0, timeout=10,
                 msg="backend WebSocket closed abnormally after RST_STREAM")
        # the HTTP/2 connection itself is still usable
        ws2, st = WsOverH2.open(conn, "/after-reset")
        assert ws2 is not None, st.headers
        assert ws2.recv() == "hello from server"


def test_backend_down_answers_an_error(env):
    with H2Conn(env["port"]) as conn:
        conn.wait_settings()
        sid = conn.request(connect_headers("/down/ws"), end_stream=False)
        st = conn.wait_response(sid, timeout=15)
        assert st.headers is not None, "stream reset %r instead of a response" % st.reset
        assert st.status in (502, 503), st.headers
        conn.wait_done(sid, timeout=10)


def test_http1_upgrade_still_works_on_the_same_listener(env):
    port = env["port"]

    async def client():
        async with websockets.connect("ws://127.0.0.1:%d/h1" % port, open_timeout=10) as ws:
            greeting = await asyncio.wait_for(ws.recv(), 10)
            await ws.send("over http/1.1")
            echo = await asyncio.wait_for(ws.recv(), 10)
            await ws.close(code=1000)
            return greeting, echo

    assert asyncio.run(client()) == ("hello from server", "over http/1.1")


def test_websocket_over_h2_with_tls(procs, tmp_path):
    from tlsutil import Pki, client_context
    pki = Pki(tmp_path / "pki")
    cert = pki.issue("site", "localhost", dns=["localhost"], kind="ec")
    srv = WsEchoServer()
    procs.items.append(srv)
    port = free_port()
    cfg = make_config(port, {"ws": ["127.0.0.1:%d" % srv.port]})
    cfg["listeners"][0]["http2"] = True
    cfg["listeners"][0]["tls"] = {"certificates": [{"cert": str(cert[0]), "key": str(cert[1])}]}
    procs.portico(cfg)
    with H2Conn(port, ssl_context=client_context(pki, alpn=("h2", "http/1.1")),
                timeout=15) as conn:
        ws, st = WsOverH2.open(conn, "/secure", authority="localhost", scheme="https")
        assert ws is not None, (st.headers, st.reset)
        assert ws.recv() == "hello from server"
        data = os.urandom(1 << 20)
        ws.send_binary(data)
        assert ws.recv(timeout=30) == data
        ws.send_close(1000)
        assert ws.recv_frame().opcode is OP_CLOSE
        ws.wait_stream_end()
