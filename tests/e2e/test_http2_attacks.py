"""HTTP/2 attacks (docs/http2.md, "Attacks and what the codec does"): each test checks the
reaction portico promises (GOAWAY ENHANCE_YOUR_CALM, RST_STREAM, 431) and that a well-behaved
client (python3-h2, a new connection per request, in another thread) keeps getting 200s during
and after the attack. portico runs with one worker, so the attacker and the bystander share
its event loop."""
import time

import pytest

from e2elib import RssSampler, free_port, marker, wait_for
from h2util import (CANCEL, ENHANCE_YOUR_CALM, INITIAL_WINDOW_SIZE, PROTOCOL_ERROR, Bystander,
                    ConnectionGone, H2Conn, continuation, data_frame, expect_conn_error,
                    h2_config, headers_frame, hpack_literal, ping, raw_block, request_headers,
                    rst_stream, settings)


@pytest.fixture(scope="module")
def env(module_procs):
    b = module_procs.echo("attacked")
    port = free_port()
    p = module_procs.portico(h2_config(port, {"web": [b.addr]}, workers=1,
                                       http2={"zero_window_timeout": "2s"}))
    return type("Env", (), {"port": port, "echo": b, "portico": p})()


class Watch:
    """A bystander running around an attack: at least one 200 before, and three more after
    the attack started, all of them 200 within the bystander's timeout."""

    def __init__(self, env):
        self.env = env
        self.by = Bystander(env.port, "/bystander", timeout=15)

    def __enter__(self):
        self.by.start()
        wait_for(lambda: any(r[0] for r in self.by.results), 20,
                 msg="the bystander's first request")
        self.n0 = len(self.by.results)
        return self

    def __exit__(self, et, ev, tb):
        if et is not None:
            self.by.stop()
            return False
        wait_for(lambda: sum(1 for r in self.by.results[self.n0:] if r[0]) >= 3, 30,
                 msg="three bystander requests served after the attack began (results %r)" %
                 (self.by.results[-5:],))
        self.by.assert_served()
        return False


def blast(c, data):
    """Sends attack bytes; the server may close the connection before it has read them."""
    try:
        c.sock.settimeout(30)
        c.send(data)
    except (ConnectionGone, OSError):
        pass


def backend_targets(env, since, prefix):
    return [e["target"] for e in env.echo.entries(since) if e["target"].startswith(prefix)]


# ---------------------------------------------------------------------------------------------


def test_rapid_reset(env):
    """CVE-2023-44487: streams opened and cancelled at once, 1000 of them in one write."""
    m = marker()
    seq0 = env.echo.seq()
    with Watch(env):
        with H2Conn(env.port).handshake() as c:
            blob = b"".join(
                headers_frame(1 + 2 * i, raw_block(request_headers(path="/rr-%s/%d" % (m, i))))
                + rst_stream(1 + 2 * i, CANCEL) for i in range(1000))
            blast(c, blob)
            expect_conn_error(c, ENHANCE_YOUR_CALM, timeout=20)
            last = c.goaways[0].last_stream_id
            assert last < 2 * 1000, "GOAWAY after every stream was processed (last %d)" % last
    # Bounded work: at most about one burst of exchanges reached the stream layer.
    seen = backend_targets(env, seq0, "/rr-" + m)
    assert len(seen) <= 300, "%d cancelled requests reached the backend" % len(seen)


def test_rapid_reset_below_the_rate_is_fine(env):
    """A client cancelling now and then (well below the rate) keeps its connection."""
    with H2Conn(env.port).handshake() as c:
        for i in range(20):
            sid = c.start_request("GET", "/slow?ms=1000&i=%d" % i)
            c.send_rst(sid, CANCEL)
        c.ping_roundtrip()
        assert not c.goaways, c.goaways
        assert c.request("GET", "/still-ok").status == 200


@pytest.mark.parametrize("payload", ["empty", "fields"])
def test_continuation_flood(env, payload):
    m = marker()
    seq0 = env.echo.seq()
    with Watch(env):
        with H2Conn(env.port).handshake() as c:
            first = raw_block(request_headers(path="/cf-" + m))
            blob = headers_frame(1, first, end_stream=True, end_headers=False)
            for i in range(2000):
                part = b"" if payload == "empty" else hpack_literal("x-f%d" % i, "v" * 20)
                blob += continuation(1, part, end_headers=False)
            blast(c, blob)
            expect_conn_error(c, ENHANCE_YOUR_CALM, timeout=20)
    assert not backend_targets(env, seq0, "/cf-" + m)


def test_settings_flood(env):
    with Watch(env):
        with H2Conn(env.port).handshake() as c:
            blast(c, settings() * 20000)
            expect_conn_error(c, ENHANCE_YOUR_CALM, timeout=20)
            acks = sum(1 for f in c.frames if f.type == 4 and f.has(1))
            assert acks < 20000, "every SETTINGS was acknowledged (%d)" % acks


def test_ping_flood(env):
    with Watch(env):
        with H2Conn(env.port).handshake() as c:
            blast(c, ping(b"floodpng") * 20000)
            expect_conn_error(c, ENHANCE_YOUR_CALM, timeout=20)
            assert len(c.pings) < 20000, "every PING was answered"


def test_empty_data_frame_flood(env):
    with Watch(env):
        with H2Conn(env.port).handshake() as c:
            sid = c.start_request("POST", "/empty-data", end_stream=False)
            blast(c, data_frame(sid, b"") * 5000)
            expect_conn_error(c, ENHANCE_YOUR_CALM, timeout=20)


def test_malformed_stream_flood(env):
    """Streams the server must reset itself (malformed requests), one after another."""
    m = marker()
    seq0 = env.echo.seq()
    with Watch(env):
        with H2Conn(env.port).handshake() as c:
            blob = b"".join(headers_frame(1 + 2 * i, raw_block(
                request_headers(path="/mf-%s/%d" % (m, i), extra=[("Bad-Case", "1")])))
                for i in range(1000))
            blast(c, blob)
            expect_conn_error(c, ENHANCE_YOUR_CALM, timeout=20)
            resets = [s for s in c.streams.values() if s.reset is not None]
            assert all(s.reset == PROTOCOL_ERROR for s in resets), resets[:3]
            assert len(resets) < 1000
    assert not backend_targets(env, seq0, "/mf-" + m)


def hpack_bomb(c, path, refs=12000, end_stream=True):
    """A header block of ~16 KiB on the wire that decodes to refs x 4 KB: one large field added
    to the dynamic table (through the connection's encoder, so later blocks stay in sync), then
    referenced again and again by its 1-byte index."""
    block = c.encode(request_headers(path=path))
    block += c.encode([("x-bomb", "b" * 4000)])  # the newest entry: dynamic index 62
    block += bytes([0x80 | 62]) * refs
    sid = c.new_stream_id()
    c.send(headers_frame(sid, block, end_stream=end_stream))
    return sid


def test_hpack_bomb(env):
    m = marker()
    seq0 = env.echo.seq()
    with Watch(env):
        with H2Conn(env.port).handshake() as c:
            base = env.portico.rss_kb()
            sampler = RssSampler(env.portico)
            sampler.start()
            try:
                for end_stream in (True, False):
                    sid = hpack_bomb(c, "/bomb-%s" % m, end_stream=end_stream)
                    st = c.wait_stream(sid, 20)
                    assert st.status == 431 or st.reset == ENHANCE_YOUR_CALM, \
                        "48 MB header list: expected 431 or RST_STREAM ENHANCE_YOUR_CALM: %r" % st
                # The HPACK state stayed consistent: the connection still serves requests.
                st = c.request("GET", "/after-bomb-" + m)
                assert st.status == 200, st
            finally:
                peak = sampler.stop()
            assert peak - base < 64 * 1024, "RSS grew by %d MB decoding a bomb" % (
                (peak - base) // 1024)
    assert not backend_targets(env, seq0, "/bomb-" + m)


def test_repeated_hpack_bombs_close_the_connection(env):
    m = marker()
    with Watch(env):
        with H2Conn(env.port).handshake() as c:
            for i in range(200):
                try:
                    hpack_bomb(c, "/bombs-%s/%d" % (m, i), refs=12000, end_stream=False)
                except ConnectionGone:
                    break
                while c.read_one(0.01) is not None:
                    pass
                if c.goaways or c.closed:
                    break
            outcome = c.wait_goaway(20)
            assert outcome.error_code == ENHANCE_YOUR_CALM, outcome
            assert c.wait_closed(20)


@pytest.mark.parametrize("window", ["stream", "connection"])
def test_zero_window_stall(env, window):
    """The client never opens its window while a 256 MiB response is pending. portico must
    stop reading the backend (memory stays flat), keep serving others, and give up on the
    stalled stream after zero_window_timeout (2 s here)."""
    big = 256 * 1024 * 1024
    if window == "stream":
        cs = {INITIAL_WINDOW_SIZE: 0}
    else:  # stream windows wide open, the connection window left at 65535 and never updated
        cs = {INITIAL_WINDOW_SIZE: 1 << 30}
    with Watch(env):
        base = env.portico.rss_kb()
        sampler = RssSampler(env.portico)
        sampler.start()
        try:
            with H2Conn(env.port, settings_=cs, auto_window=False).handshake() as c:
                sid = c.start_request("GET", "/big?bytes=%d" % big)
                st = c.stream(sid)
                t0 = time.monotonic()
                c.pump(lambda: st.headers is not None or st.reset is not None, 15,
                       "the response head")
                c.pump(lambda: st.reset is not None or c.goaways or c.closed, 30,
                       "the stalled stream to be reset (zero_window_timeout 2s)")
                took = time.monotonic() - t0
                assert len(st.data) <= 65535, "%d bytes sent past the window" % len(st.data)
                assert took >= 1.5, "reset after %.1fs, before zero_window_timeout" % took
                if st.reset is None:
                    assert c.goaways, "connection closed without GOAWAY"
        finally:
            peak = sampler.stop()
    assert peak - base < 64 * 1024, "RSS grew by %d MB while a 256 MiB response was stalled" % (
        (peak - base) // 1024)
