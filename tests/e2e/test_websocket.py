"""WebSocket upgrade through portico (python3-websockets client and server)."""
import asyncio
import os
import threading

import pytest

websockets = pytest.importorskip("websockets")

from e2elib import HttpConn, free_port, make_config  # noqa: E402


class WsEchoServer:
    """websockets echo server on its own event loop thread. Greets each client, echoes every
    message, and records the handshake path and headers."""

    def __init__(self, max_size=4 * 1024 * 1024):
        self.port = free_port()
        self.max_size = max_size
        self.handshakes = []
        self.closed_codes = []
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(10):
            raise RuntimeError("websocket server did not start")

    async def _handler(self, ws, path=None):
        self.handshakes.append((getattr(ws, "path", path), list(ws.request_headers.raw_items())))
        await ws.send("hello from server")
        try:
            async for msg in ws:
                if msg == "close-me":
                    await ws.close(code=4001, reason="server bye")
                    break
                await ws.send(msg)
        finally:
            self.closed_codes.append(ws.close_code)

    def _run(self):
        asyncio.set_event_loop(self.loop)

        async def main():
            self.stop_fut = self.loop.create_future()
            async with websockets.serve(self._handler, "127.0.0.1", self.port,
                                        max_size=self.max_size):
                self.ready.set()
                await self.stop_fut

        self.loop.run_until_complete(main())

    def stop(self):
        self.loop.call_soon_threadsafe(lambda: self.stop_fut.done() or self.stop_fut.set_result(1))
        self.thread.join(5)


@pytest.fixture
def ws_env(procs):
    srv = WsEchoServer()
    port = free_port()
    procs.portico(make_config(port, {"ws": ["127.0.0.1:%d" % srv.port]}))
    yield {"srv": srv, "port": port}
    srv.stop()


def test_websocket_echo_both_ways(ws_env):
    port = ws_env["port"]
    big = os.urandom(1024 * 1024)

    async def client():
        async with websockets.connect("ws://127.0.0.1:%d/chat?room=1" % port,
                                      max_size=4 * 1024 * 1024, open_timeout=5) as ws:
            greeting = await asyncio.wait_for(ws.recv(), 5)
            got = []
            for i in range(20):
                await ws.send("message %d" % i)
                got.append(await asyncio.wait_for(ws.recv(), 5))
            await ws.send(b"\x00\x01binary\xff")
            got_bin = await asyncio.wait_for(ws.recv(), 5)
            await ws.send(big)
            got_big = await asyncio.wait_for(ws.recv(), 10)
            pong = await ws.ping(b"are you there")
            await asyncio.wait_for(pong, 5)
            await ws.close(code=1000, reason="bye")
            return greeting, got, got_bin, got_big, ws.close_code

    greeting, got, got_bin, got_big, code = asyncio.run(client())
    assert greeting == "hello from server"
    assert got == ["message %d" % i for i in range(20)]
    assert got_bin == b"\x00\x01binary\xff"
    assert got_big == big
    assert code == 1000
    srv = ws_env["srv"]
    path, headers = srv.handshakes[0]
    assert path == "/chat?room=1"
    hd = {k.lower(): v for k, v in headers}
    assert hd["upgrade"].lower() == "websocket"
    assert "upgrade" in hd["connection"].lower()
    from e2elib import wait_for
    wait_for(lambda: srv.closed_codes == [1000], timeout=5, msg="server seeing close 1000")


def test_websocket_server_initiated_close(ws_env):
    port = ws_env["port"]

    async def client():
        async with websockets.connect("ws://127.0.0.1:%d/x" % port, open_timeout=5) as ws:
            await asyncio.wait_for(ws.recv(), 5)
            await ws.send("still here")
            assert await asyncio.wait_for(ws.recv(), 5) == "still here"
            await ws.send("close-me")
            try:
                await asyncio.wait_for(ws.recv(), 5)
            except websockets.exceptions.ConnectionClosed:
                pass
            await asyncio.wait_for(ws.wait_closed(), 5)
            return ws.close_code, ws.close_reason

    assert asyncio.run(client()) == (4001, "server bye")


def test_upgrade_response_is_101_raw(ws_env):
    """Raw handshake: portico passes 101 and then bytes flow as a tunnel."""
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    with HttpConn(ws_env["port"]) as c:
        c.send("GET /raw HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % key)
        r = c.read_head()
        assert r.status == 101, r
        assert r.header("upgrade").lower() == "websocket"
        assert "upgrade" in r.header("connection").lower()
        assert r.header("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        # first server frame: text "hello from server" (unmasked, opcode 1)
        while len(c.buf) < 2:
            c._more()
        assert c.buf[0] == 0x81
        length = c.buf[1] & 0x7F
        while len(c.buf) < 2 + length:
            c._more()
        assert c.buf[2:2 + length] == b"hello from server"


def test_websocket_over_tls_listener(procs, tmp_path):
    """wss:// through a TLS listener to a plain ws backend: text, binary and a 1 MB message."""
    from tlsutil import Pki, client_context
    pki = Pki(tmp_path / "pki")
    cert = pki.issue("site", "site.test", dns=["localhost"])
    srv = WsEchoServer()
    try:
        port = free_port()
        cfg = make_config(port, {"ws": ["127.0.0.1:%d" % srv.port]})
        cfg["listeners"][0]["tls"] = {"certificates": [{"cert": str(cert[0]),
                                                        "key": str(cert[1])}]}
        procs.portico(cfg)
        big = os.urandom(1024 * 1024)

        async def client():
            async with websockets.connect("wss://localhost:%d/secure" % port,
                                          ssl=client_context(pki, alpn=None),
                                          max_size=4 * 1024 * 1024, open_timeout=5) as ws:
                greeting = await asyncio.wait_for(ws.recv(), 5)
                await ws.send("over tls")
                echo = await asyncio.wait_for(ws.recv(), 5)
                await ws.send(big)
                got_big = await asyncio.wait_for(ws.recv(), 10)
                await ws.close(code=1000)
                return greeting, echo, got_big

        greeting, echo, got_big = asyncio.run(client())
        assert (greeting, echo) == ("hello from server", "over tls")
        assert got_big == big
    finally:
        srv.stop()
