"""HTTP/2 conformance at the frame level (RFC 9113, RFC 7541 HPACK, RFC 8441), driven with a
raw frame client (h2util.H2Conn) and python3-h2 where a well-behaved peer is enough.

Connection errors must arrive as GOAWAY with the RFC's code followed by a close; stream errors as
RST_STREAM. Where the RFC lets a server escalate a stream error to a connection error (§5.4.1)
both are accepted, as nghttp2 (under portico) escalates several of them. Malformed requests
(§8.1.1) must be stream errors of type PROTOCOL_ERROR that never reach the backend, on a
connection that keeps working."""
import struct

import pytest

from e2elib import expected_pattern, free_port, marker, sha256, wait_for
from h2util import (ACK, CANCEL, COMPRESSION_ERROR, DATA, ENABLE_CONNECT_PROTOCOL, ENABLE_PUSH,
                    END_HEADERS, END_STREAM, FLOW_CONTROL_ERROR, FRAME_SIZE_ERROR, GOAWAY,
                    HEADERS, HEADER_TABLE_SIZE, INITIAL_WINDOW_SIZE, MAX_CONCURRENT_STREAMS,
                    MAX_FRAME_SIZE, MAX_HEADER_LIST_SIZE, MAX_WINDOW, NO_ERROR,
                    NO_RFC7540_PRIORITIES, PING, PREFACE, PROTOCOL_ERROR, REFUSED_STREAM,
                    RST_STREAM, SETTINGS, STREAM_CLOSED, WINDOW_UPDATE, H2Conn, continuation,
                    data_frame, err_name, expect_alive, expect_conn_error, expect_stream_error,
                    frame, goaway, h2_config, h2lib_request, headers_frame, hpack_indexed,
                    hpack_int, hpack_literal, ping, portico_only, priority, raw_block,
                    request_headers, rst_stream, settings, start_h2_server, window_update)


@pytest.fixture(scope="module")
def env(module_procs):
    b = module_procs.echo("h2conf")
    port, p = start_h2_server(module_procs, b, lambda port: h2_config(port, {"web": [b.addr]}))
    return type("Env", (), {"port": port, "echo": b, "portico": p})()


def conn(env, **kw):
    return H2Conn(env.port, **kw).handshake()


def backend_targets(env, since):
    return [e["target"] for e in env.echo.entries(since)]


# ---------------------------------------------------------------------------------------------
# Preface and SETTINGS (RFC 9113 §3.4, §6.5)


def test_server_preface_and_default_settings(env):
    with conn(env) as c:
        s = c.server_settings
        first = next(f for f in c.frames)
        assert first.type == SETTINGS and not first.has(ACK), \
            "the server preface must start with SETTINGS: %r" % c.frames[:3]
        assert s.get(MAX_CONCURRENT_STREAMS) == 128, s
        assert s.get(INITIAL_WINDOW_SIZE) == 256 * 1024, s
        assert s.get(MAX_HEADER_LIST_SIZE) == 64 * 1024, s
        assert s.get(MAX_FRAME_SIZE, 16384) == 16384, s
        assert s.get(ENABLE_CONNECT_PROTOCOL) == 1, "RFC 8441 not advertised: %r" % s
        assert s.get(ENABLE_PUSH, 0) == 0, "a server must not set ENABLE_PUSH=1 (§6.5.2)"
        assert c.settings_acked == 1
        expect_alive(c)


@portico_only()
def test_settings_from_config(procs):
    b = procs.echo("b")
    port = free_port()
    procs.portico(h2_config(port, {"web": [b.addr]}, http2={
        "max_concurrent_streams": 7, "initial_window_size": 100000,
        "max_header_list_size": 20000, "max_frame_size": 32768}))
    with H2Conn(port).handshake() as c:
        s = c.server_settings
        assert (s.get(MAX_CONCURRENT_STREAMS), s.get(INITIAL_WINDOW_SIZE),
                s.get(MAX_HEADER_LIST_SIZE), s.get(MAX_FRAME_SIZE)) == (7, 100000, 20000, 32768), s
        # A frame above 16384 is now accepted: 20000 bytes of DATA in one frame.
        sid = c.start_request("POST", "/big-frame", end_stream=False)
        c.send_data(sid, b"x" * 20000, end_stream=True)
        st = c.wait_stream(sid)
        assert st.status == 200, st
        assert st.body and b'"body_length": 20000' in st.body


@portico_only()
def test_max_header_list_size_from_config_enforced(procs):
    b = procs.echo("b")
    port = free_port()
    procs.portico(h2_config(port, {"web": [b.addr]}, http2={"max_header_list_size": 4096}))
    with H2Conn(port).handshake() as c:
        assert c.server_settings.get(MAX_HEADER_LIST_SIZE) == 4096
        assert c.request("GET", "/small", headers=[("x-a", "a" * 3000)]).status == 200
        for end_stream in (True, False):
            sid = c.new_stream_id()
            c.send(headers_frame(sid, raw_block(request_headers(
                "POST", "/too-big", extra=[("x-a", "a" * 6000)])), end_stream=end_stream))
            st = c.wait_stream(sid)
            # docs/http2.md: 431 when the request ended with its head, else RST_STREAM.
            assert st.status == 431 or st.reset is not None, st
        expect_alive(c)
    assert [e["target"] for e in b.entries(0)] == ["/small", "/"]


def test_first_frame_must_be_settings(env):
    c = H2Conn(env.port, preface=False)
    with c:
        c.send(PREFACE + ping(b"notfirst"))
        expect_conn_error(c, PROTOCOL_ERROR)


def test_invalid_preface_closes_connection(env):
    c = H2Conn(env.port, preface=False)
    with c:
        c.send(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + settings())
        # Either HTTP/2 (GOAWAY PROTOCOL_ERROR) or HTTP/1 (an error response) may answer;
        # the connection must not be served as HTTP/2 and must close.
        assert c.wait_closed(10), "connection still open after an invalid preface"
        assert not any(f.type == SETTINGS and f.has(ACK) for f in c.frames), \
            "the server acknowledged SETTINGS after a broken preface"
        for g in c.goaways:
            assert g.error_code == PROTOCOL_ERROR, g


def test_settings_ack_acknowledges_and_unknown_setting_ignored(env):
    with conn(env) as c:
        n = c.settings_acked
        c.send_settings([(0x99, 12345), (0xf00d, 1)])
        c.pump(lambda: c.settings_acked > n, 5, "SETTINGS ACK")
        expect_alive(c)


BAD_SETTINGS = [
    ("enable_push_2", [(ENABLE_PUSH, 2)], PROTOCOL_ERROR),
    ("initial_window_over_max", [(INITIAL_WINDOW_SIZE, 2 ** 31)], FLOW_CONTROL_ERROR),
    ("max_frame_size_too_small", [(MAX_FRAME_SIZE, 16383)], PROTOCOL_ERROR),
    ("max_frame_size_too_big", [(MAX_FRAME_SIZE, 2 ** 24)], PROTOCOL_ERROR),
    ("enable_connect_protocol_2", [(ENABLE_CONNECT_PROTOCOL, 2)], PROTOCOL_ERROR),
    ("no_rfc7540_priorities_2", [(NO_RFC7540_PRIORITIES, 2)], PROTOCOL_ERROR),
]


@pytest.mark.parametrize("name,pairs,code", BAD_SETTINGS, ids=[x[0] for x in BAD_SETTINGS])
def test_settings_bad_values(env, name, pairs, code):
    with conn(env) as c:
        c.send_settings(pairs)
        expect_conn_error(c, code)


def test_settings_ack_with_payload_is_frame_size_error(env):
    with conn(env) as c:
        c.send(frame(SETTINGS, ACK, 0, struct.pack(">HI", INITIAL_WINDOW_SIZE, 1000)))
        expect_conn_error(c, FRAME_SIZE_ERROR)


def test_settings_length_not_multiple_of_6(env):
    with conn(env) as c:
        c.send(frame(SETTINGS, 0, 0, b"\x00\x04\x00\x00\x10"))
        expect_conn_error(c, FRAME_SIZE_ERROR)


def test_settings_on_a_stream(env):
    with conn(env) as c:
        c.send(settings({INITIAL_WINDOW_SIZE: 1000}, stream_id=1))
        expect_conn_error(c, PROTOCOL_ERROR)


# ---------------------------------------------------------------------------------------------
# Frame sizes and layout (§4.2, §6)


def test_headers_over_max_frame_size(env):
    with conn(env) as c:
        block = raw_block(request_headers(extra=[("x-pad", "p" * 17000)]))
        c.send(headers_frame(1, block))
        expect_conn_error(c, FRAME_SIZE_ERROR)


def test_data_over_max_frame_size(env):
    with conn(env) as c:
        sid = c.start_request("POST", "/", end_stream=False)
        c.send(data_frame(sid, b"d" * 16385, end_stream=True))
        # A DATA frame only alters its stream: a stream or a connection error (§4.2).
        expect_stream_error(c, sid, FRAME_SIZE_ERROR, conn_codes=FRAME_SIZE_ERROR)


@pytest.mark.parametrize("name,raw,code", [
    ("ping_7_bytes", frame(PING, 0, 0, b"1234567"), FRAME_SIZE_ERROR),
    ("ping_9_bytes", frame(PING, 0, 0, b"123456789"), FRAME_SIZE_ERROR),
    ("window_update_3_bytes", frame(WINDOW_UPDATE, 0, 0, b"\0\0\1"), FRAME_SIZE_ERROR),
    ("rst_stream_3_bytes", frame(RST_STREAM, 0, 1, b"\0\0\0"), FRAME_SIZE_ERROR),
    ("goaway_7_bytes", frame(GOAWAY, 0, 0, b"\0" * 7), FRAME_SIZE_ERROR),
], ids=lambda x: x if isinstance(x, str) else "")
def test_fixed_size_frames_with_wrong_length(env, name, raw, code):
    with conn(env) as c:
        if name.startswith("rst"):
            c.start_request("GET", "/slow?ms=3000")
        c.send(raw)
        expect_conn_error(c, code)


def test_priority_with_wrong_length(env):
    with conn(env) as c:
        c.send(frame(2, 0, 1, b"\0\0\0\0"))  # PRIORITY, 4 bytes instead of 5
        expect_stream_error(c, 1, FRAME_SIZE_ERROR, conn_codes=FRAME_SIZE_ERROR)


def test_server_frames_respect_default_max_frame_size(env):
    with conn(env) as c:
        st = c.request("GET", "/big?bytes=300000")
        assert st.status == 200 and len(st.body) == 300000
        big = [f for f in c.frames if len(f.payload) > 16384]
        assert not big, "frames above SETTINGS_MAX_FRAME_SIZE: %r" % big[:3]


def test_padded_headers_and_data(env):
    with conn(env) as c:
        sid = c.new_stream_id()
        block = c.encode(request_headers("POST", "/padded"))
        c.send(headers_frame(sid, block, end_stream=False, pad=20))
        c.send(data_frame(sid, b"hello", pad=0))
        c.send(data_frame(sid, b" world", end_stream=True, pad=200))
        st = c.wait_stream(sid)
        assert st.status == 200, st
        assert '"body_sha256": "%s"' % sha256(b"hello world") in st.body.decode()


def test_padding_longer_than_payload(env):
    with conn(env) as c:
        sid = c.start_request("POST", "/", end_stream=False)
        # Pad Length 10 with only 3 bytes after it (§6.1: connection error PROTOCOL_ERROR).
        c.send(frame(DATA, 0x8, sid, b"\x0aabc"))
        expect_conn_error(c, PROTOCOL_ERROR)


# ---------------------------------------------------------------------------------------------
# Stream states and identifiers (§5.1)


def test_data_on_idle_stream(env):
    with conn(env) as c:
        c.send(data_frame(5, b"hello"))
        expect_conn_error(c, PROTOCOL_ERROR)


@pytest.mark.parametrize("name,raw", [
    ("window_update", window_update(7, 100)),
    ("rst_stream", rst_stream(7, CANCEL)),
    ("continuation", continuation(7, b"")),
], ids=lambda x: x if isinstance(x, str) else "")
def test_other_frames_on_idle_stream(env, name, raw):
    with conn(env) as c:
        c.send(raw)
        expect_conn_error(c, PROTOCOL_ERROR)


@pytest.mark.parametrize("name,raw", [
    ("data", data_frame(0, b"x")),
    ("headers", headers_frame(0, raw_block(request_headers()))),
    ("rst_stream", rst_stream(0, CANCEL)),
    ("priority", priority(0, 1)),
], ids=lambda x: x if isinstance(x, str) else "")
def test_stream_frames_on_stream_zero(env, name, raw):
    with conn(env) as c:
        c.send(raw)
        expect_conn_error(c, PROTOCOL_ERROR)


def test_ping_on_a_stream(env):
    with conn(env) as c:
        c.send(ping(stream_id=1))
        expect_conn_error(c, PROTOCOL_ERROR)


def test_even_stream_id(env):
    with conn(env) as c:
        c.send(headers_frame(2, raw_block(request_headers())))
        expect_conn_error(c, PROTOCOL_ERROR)


def test_decreasing_stream_id(env):
    """§5.1.1: a new stream id must be greater than every id the client used before."""
    with conn(env) as c:
        assert c.request("GET", "/first").status == 200  # stream 1
        c.next_id = 7
        assert c.request("GET", "/seven").status == 200
        seq0 = env.echo.seq()
        c.send(headers_frame(5, raw_block(request_headers(path="/five-" + marker()))))
        expect_conn_error(c, PROTOCOL_ERROR)
    assert not [t for t in backend_targets(env, seq0) if t.startswith("/five")]


def test_data_on_half_closed_remote_stream(env):
    with conn(env) as c:
        sid = c.start_request("GET", "/slow?ms=3000", end_stream=True)
        c.send(data_frame(sid, b"late body"))
        expect_stream_error(c, sid, STREAM_CLOSED, conn_codes=STREAM_CLOSED)


def test_headers_on_half_closed_remote_stream(env):
    with conn(env) as c:
        sid = c.start_request("GET", "/slow?ms=3000", end_stream=True)
        c.send(headers_frame(sid, raw_block([("x-late", "trailer")]), end_stream=True))
        expect_stream_error(c, sid, STREAM_CLOSED, conn_codes=STREAM_CLOSED)


def test_data_on_closed_stream(env):
    """After the exchange ended both ways, a DATA frame on it is a STREAM_CLOSED error or
    (nghttp2 forgets closed streams, §5.1 allows ignoring frames shortly after closing) is
    ignored; an ignored one must still count against the connection window."""
    with conn(env) as c:
        st = c.request("GET", "/done")
        assert st.status == 200
        c.send(data_frame(st.id, b"z" * 1000))
        c.send_ping(b"afterdat")
        c.pump(lambda: c.goaways or st.reset is not None or b"afterdat" in c.pings, 10,
               "a reaction to DATA on a closed stream")
        if c.goaways:
            assert c.goaways[0].error_code == STREAM_CLOSED, c.goaways
        elif st.reset is not None:
            assert st.reset == STREAM_CLOSED, st
        else:
            expect_alive(c)


def test_frames_after_client_reset_are_ignored(env):
    with conn(env) as c:
        sid = c.start_request("POST", "/slow?ms=2000", end_stream=False)
        c.send_rst(sid, CANCEL)
        # The server may have sent frames before it saw the reset; those after must be
        # ignored: WINDOW_UPDATE, PRIORITY and RST_STREAM on the reset stream are fine.
        c.send(window_update(sid, 1000) + priority(sid, 0, 32) + rst_stream(sid, CANCEL))
        c.ping_roundtrip()
        assert not c.goaways, c.goaways
        expect_alive(c)


def test_client_reset_aborts_the_upstream_request(env):
    with conn(env) as c:
        m = marker()
        sid = c.start_request("POST", "/reset-me-" + m, end_stream=False)
        c.send_data(sid, b"partial body")
        wait_for(lambda: any(e["target"] == "/reset-me-" + m for e in env.echo.entries(0)),
                 10, msg="the request head at the backend")
        c.send_rst(sid, CANCEL)
        wait_for(lambda: [e for e in env.echo.entries(0)
                          if e["target"] == "/reset-me-" + m and e["aborted"]], 10,
                 msg="the backend request aborted after RST_STREAM")
        expect_alive(c)


@portico_only()
def test_max_concurrent_streams_enforced(procs):
    b = procs.echo("b")
    port = free_port()
    procs.portico(h2_config(port, {"web": [b.addr]}, http2={"max_concurrent_streams": 3}))
    with H2Conn(port).handshake() as c:
        open_ = [c.start_request("POST", "/slow?ms=100", end_stream=False) for _ in range(3)]
        extra = c.start_request("GET", "/one-too-many")
        # §5.1.2: a stream error PROTOCOL_ERROR or REFUSED_STREAM (nghttp2 escalates).
        kind, code = expect_stream_error(c, extra, (REFUSED_STREAM, PROTOCOL_ERROR),
                                         conn_codes=PROTOCOL_ERROR)
        if kind == "rst":
            for sid in open_:
                c.send_data(sid, b"", end_stream=True)
            for sid in open_:
                assert c.wait_stream(sid).status == 200
            expect_alive(c)


def test_client_goaway_lets_inflight_stream_finish(env):
    with conn(env) as c:
        sid = c.start_request("GET", "/slow?ms=500")
        c.send(goaway(0, NO_ERROR))
        st = c.wait_stream(sid, 15)
        assert st.status == 200 and st.ended, st


# ---------------------------------------------------------------------------------------------
# Flow control (§5.2, §6.9)


def test_window_update_zero_on_connection(env):
    with conn(env) as c:
        c.send(window_update(0, 0))
        expect_conn_error(c, PROTOCOL_ERROR)


def test_window_update_zero_on_stream(env):
    with conn(env) as c:
        sid = c.start_request("GET", "/slow?ms=2000")
        c.send(window_update(sid, 0))
        expect_stream_error(c, sid, PROTOCOL_ERROR, conn_codes=PROTOCOL_ERROR)


def test_connection_window_overflow(env):
    with conn(env) as c:
        c.send(window_update(0, MAX_WINDOW))  # 65535 + 2^31-1 > 2^31-1
        expect_conn_error(c, FLOW_CONTROL_ERROR)


def test_stream_window_overflow(env):
    with conn(env) as c:
        sid = c.start_request("GET", "/slow?ms=2000")
        c.send(window_update(sid, MAX_WINDOW))
        expect_stream_error(c, sid, FLOW_CONTROL_ERROR, conn_codes=FLOW_CONTROL_ERROR)


def test_initial_window_change_overflowing_open_stream(env):
    """§6.9.2: a SETTINGS_INITIAL_WINDOW_SIZE change that makes a window exceed 2^31-1 is a
    connection error of type FLOW_CONTROL_ERROR."""
    with conn(env) as c:
        sid = c.start_request("GET", "/slow?ms=2000")
        c.send(window_update(sid, MAX_WINDOW - 65535))   # the stream window is now 2^31-1
        c.ping_roundtrip()
        c.send_settings({INITIAL_WINDOW_SIZE: 65536})    # +1
        expect_stream_error(c, sid, FLOW_CONTROL_ERROR, conn_codes=FLOW_CONTROL_ERROR)


def test_server_respects_stream_window(env):
    with conn(env, settings_={INITIAL_WINDOW_SIZE: 1000}, auto_window=False) as c:
        sid = c.start_request("GET", "/big?bytes=5000")
        st = c.stream(sid)
        c.pump(lambda: len(st.data) >= 1000, 10, "the first 1000 bytes")
        c.ping_roundtrip()
        assert len(st.data) == 1000, "server sent %d bytes into a 1000-byte window" % len(st.data)
        c.send(window_update(sid, 4000))
        c.pump(lambda: st.ended, 10, "the rest of the body")
        assert st.body == expected_pattern(5000)


def test_server_respects_connection_window(env):
    # Stream windows large, the connection window left at its initial 65535.
    with conn(env, settings_={INITIAL_WINDOW_SIZE: 1 << 20}, auto_window=False) as c:
        sid = c.start_request("GET", "/big?bytes=100000")
        st = c.stream(sid)
        c.pump(lambda: len(st.data) >= 65535, 10, "65535 bytes")
        c.ping_roundtrip()
        assert len(st.data) == 65535, "server overran the connection window: %d" % len(st.data)
        c.send(window_update(0, 100000))
        c.pump(lambda: st.ended, 10, "the rest of the body")
        assert st.body == expected_pattern(100000)


def test_settings_initial_window_increase_unblocks_streams(env):
    with conn(env, settings_={INITIAL_WINDOW_SIZE: 0}, auto_window=False) as c:
        c.send(window_update(0, 1 << 20))
        sid = c.start_request("GET", "/big?bytes=20000")
        st = c.stream(sid)
        c.pump(lambda: st.headers is not None, 10, "the response head (not flow controlled)")
        c.ping_roundtrip()
        assert len(st.data) == 0
        c.send_settings({INITIAL_WINDOW_SIZE: 30000})
        c.pump(lambda: st.ended, 10, "the body after the window opened")
        assert st.body == expected_pattern(20000)


@portico_only()
def test_client_overrunning_server_window_is_flow_control_error(procs):
    """A client sending more DATA than the server's window allows (§6.9.1): FLOW_CONTROL_ERROR.
    The backend accepts the connection but never reads, so portico cannot consume the body and
    its windows stay closed."""
    import socket
    import threading
    sink = socket.socket()
    sink.bind(("127.0.0.1", 0))
    sink.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        sink.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sink.accept()[0])
            except OSError:
                pass
    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        port = free_port()
        procs.portico(h2_config(port, {"web": ["127.0.0.1:%d" % sink.getsockname()[1]]},
                                http2={"initial_window_size": 65535}))
        with H2Conn(port).handshake() as c:
            sid = c.start_request("POST", "/sink", end_stream=False)
            blob = b"".join(data_frame(sid, b"o" * 16384) for _ in range(8 * 64))  # 8 MiB
            try:
                c.sock.settimeout(20)
                c.send(blob)
            except Exception:  # noqa: BLE001 - the server may close while we still send
                pass
            expect_stream_error(c, sid, FLOW_CONTROL_ERROR, conn_codes=FLOW_CONTROL_ERROR,
                                timeout=20)
    finally:
        stop.set()
        t.join(2)
        for s in held:
            s.close()
        sink.close()


# ---------------------------------------------------------------------------------------------
# HPACK (RFC 7541): decoding errors are connection errors of type COMPRESSION_ERROR (§4.3)

HPACK_ERRORS = [
    ("index_zero", b"\x80"),
    ("index_beyond_tables", hpack_indexed(70)),
    ("index_huge", hpack_int(2 ** 28, 7, 0x80)),
    ("literal_with_bad_name_index", hpack_int(90, 6, 0x40) + b"\x01x"),
    ("table_size_update_above_limit", hpack_int(8192, 5, 0x20)),
    ("table_size_update_after_field", hpack_indexed(2) + hpack_int(100, 5, 0x20)),
    ("string_longer_than_block", b"\x00\x05hello\x20world"),
    ("huffman_eos", b"\x00\x81\xff\x01x"),  # the name is an EOS-padded Huffman string
    ("integer_overflow", b"\x80\xff\xff\xff\xff\xff\xff\xff\xff\x7f"),
]


@pytest.mark.parametrize("name,block", HPACK_ERRORS, ids=[x[0] for x in HPACK_ERRORS])
def test_bad_hpack_is_compression_error(env, name, block):
    with conn(env) as c:
        c.send(headers_frame(1, block))
        expect_conn_error(c, COMPRESSION_ERROR)


def test_hpack_dynamic_table_and_huffman(env):
    with conn(env) as c:
        hdrs = [("x-repeat", "value-" + "r" * 50), ("cookie", "a=1"), ("cookie", "b=2")]
        for i in range(5):
            sid = c.new_stream_id()
            block = c.encoder.encode(request_headers(path="/dyn/%d" % i, extra=hdrs),
                                     huffman=bool(i % 2))
            c.send(headers_frame(sid, block))
            st = c.wait_stream(sid)
            assert st.status == 200, st
            seen = dict((k.lower(), v) for k, v in __import__("json").loads(st.body)["headers"])
            assert seen["x-repeat"] == "value-" + "r" * 50
            assert seen["cookie"] == "a=1; b=2", "cookie crumbs not joined: %r" % seen


def test_client_header_table_size_zero_is_respected(env):
    """SETTINGS_HEADER_TABLE_SIZE=0 from the client: the server's encoder must not use its
    dynamic table for the responses (RFC 7541 §4.2, a table size update to 0 first)."""
    with conn(env, settings_={HEADER_TABLE_SIZE: 0}) as c:
        c.decoder.max_allowed_table_size = 0  # hpack raises if the server indexes anything
        for i in range(3):
            st = c.request("GET", "/no-table/%d?rh=X-Same:value-repeated" % i)
            assert st.status == 200 and st.header("x-same") == "value-repeated", st
        assert c.decoder.header_table_size == 0
        assert not [f for f in c.frames if f.type == 5], "PUSH_PROMISE sent"


def test_hpack_state_survives_a_malformed_request(env):
    """A malformed request's header block is still decoded (§4.3), so the dynamic table
    entries it added are usable by the next request on the connection."""
    seq0 = env.echo.seq()
    with conn(env) as c:
        m = marker()
        block = c.encoder.encode(request_headers(path="/malformed-" + m,
                                                 extra=[("x-table", "entry-" + m)]))
        block += hpack_literal("Bad-Upper", "x")
        sid = c.new_stream_id()
        c.send(headers_frame(sid, block))
        expect_stream_error(c, sid, PROTOCOL_ERROR)
        # Same fields again: the encoder now refers to the dynamic table entries.
        st = c.request("GET", "/after-" + m, headers=[("x-table", "entry-" + m)])
        assert st.status == 200, st
        assert "entry-" + m in st.body.decode()
    assert backend_targets(env, seq0) == ["/after-" + m]


# ---------------------------------------------------------------------------------------------
# Malformed requests (§8.1.1, §8.2, §8.3): RST_STREAM PROTOCOL_ERROR, never at the backend

def base(method="GET", path=None, extra=()):
    return request_headers(method, path or "/m", "example.com", "http", extra)


MALFORMED = [
    ("uppercase_name", base(extra=[("X-Upper", "1")])),
    ("connection", base(extra=[("connection", "keep-alive")])),
    ("keep_alive", base(extra=[("keep-alive", "timeout=5")])),
    ("proxy_connection", base(extra=[("proxy-connection", "keep-alive")])),
    ("transfer_encoding", base(extra=[("transfer-encoding", "chunked")])),
    ("upgrade", base(extra=[("upgrade", "websocket")])),
    ("te_gzip", base(extra=[("te", "gzip")])),
    ("te_trailers_and_gzip", base(extra=[("te", "trailers, gzip")])),
    ("missing_method", [(":scheme", "http"), (":path", "/m"), (":authority", "example.com")]),
    ("missing_scheme", [(":method", "GET"), (":path", "/m"), (":authority", "example.com")]),
    ("missing_path", [(":method", "GET"), (":scheme", "http"), (":authority", "example.com")]),
    ("empty_path", [(":method", "GET"), (":scheme", "http"), (":path", ""),
                    (":authority", "example.com")]),
    ("relative_path", [(":method", "GET"), (":scheme", "http"), (":path", "m"),
                       (":authority", "example.com")]),
    ("duplicate_path", base() + [(":path", "/other")]),
    ("duplicate_method", [(":method", "GET"), (":method", "POST"), (":scheme", "http"),
                          (":path", "/m"), (":authority", "example.com")]),
    ("unknown_pseudo", base() + [(":foo", "bar")]),
    ("response_pseudo", base() + [(":status", "200")]),
    ("pseudo_after_regular", [(":method", "GET"), (":scheme", "http"), ("x-a", "1"),
                              (":path", "/m"), (":authority", "example.com")]),
    ("protocol_without_connect", base(extra=[])[:1] + [(":protocol", "websocket")] + base()[1:]),
    ("connect_with_path", [(":method", "CONNECT"), (":scheme", "http"), (":path", "/m"),
                           (":authority", "example.com:443")]),
    ("bad_method_token", base("GE T")),
    ("name_with_space", base(extra=[("x bad", "1")])),
    ("name_with_colon", base(extra=[("x:bad", "1")])),
    ("empty_name", base(extra=[("", "1")])),
    ("value_with_nul", base(extra=[("x-v", "a\x00b")])),
    ("value_with_cr", base(extra=[("x-v", "a\rb")])),
    ("value_with_lf", base(extra=[("x-v", "a\nb")])),
    ("value_leading_space", base(extra=[("x-v", " a")])),
    ("value_trailing_tab", base(extra=[("x-v", "a\t")])),
    ("content_length_not_a_number", base("POST", extra=[("content-length", "abc")])),
    ("content_length_without_body", base("POST", extra=[("content-length", "5")])),
]


@pytest.mark.parametrize("name,headers", MALFORMED, ids=[x[0] for x in MALFORMED])
def test_malformed_request_is_reset_and_never_forwarded(env, name, headers):
    seq0 = env.echo.seq()
    m = marker()
    headers = [(n, v.replace("/m", "/m-" + m) if n == ":path" else v) for n, v in headers]
    with conn(env) as c:
        sid = c.new_stream_id()
        c.send(headers_frame(sid, raw_block(headers), end_stream=True))
        expect_stream_error(c, sid, PROTOCOL_ERROR)
        expect_alive(c, path="/alive-" + m)
    targets = backend_targets(env, seq0)
    assert targets == ["/alive-" + m], "backend saw %r" % targets


def test_te_trailers_is_allowed(env):
    with conn(env) as c:
        st = c.request("GET", "/te", headers=[("te", "trailers")])
        assert st.status == 200, st


def assert_no_complete_request(env, since, prefix):
    bad = [e for e in env.echo.entries(since) if e["target"].startswith(prefix) and e["complete"]]
    assert not bad, "the backend received a complete malformed request: %r" % bad
    # Anything that got there is aborted (the upstream request does not hang half-sent).
    wait_for(lambda: all(e["aborted"] for e in env.echo.entries(since)
                         if e["target"].startswith(prefix)), 15,
             msg="partial upstream requests aborted")


@pytest.mark.parametrize("declared,sent", [(10, 5), (5, 10), (1, 2)])
def test_content_length_mismatch(env, declared, sent):
    seq0 = env.echo.seq()
    m = marker()
    with conn(env) as c:
        sid = c.start_request("POST", "/cl-" + m, end_stream=False,
                              headers=[("content-length", str(declared))])
        c.send_data(sid, b"b" * sent, end_stream=True)
        expect_stream_error(c, sid, PROTOCOL_ERROR)
        expect_alive(c, path="/alive-" + m)
    assert_no_complete_request(env, seq0, "/cl-" + m)


def test_content_length_zero_then_data(env):
    """content-length: 0 on a HEADERS without END_STREAM: the request may reach the backend
    (its body is complete as far as HTTP/1 is concerned), but a DATA frame with content that
    follows makes it malformed: RST_STREAM PROTOCOL_ERROR, possibly after a response."""
    m = marker()
    with conn(env) as c:
        sid = c.start_request("POST", "/cl0-" + m, end_stream=False,
                              headers=[("content-length", "0")])
        wait_for(lambda: [e for e in env.echo.entries(0)
                          if e["target"] == "/cl0-" + m and e["complete"]], 10,
                 msg="the request at the backend")
        c.ping_roundtrip()
        c.send_data(sid, b"x", end_stream=True)
        st = c.stream(sid)
        c.wait_until(lambda: st.reset is not None or c.goaways, 10)
        if st.reset == NO_ERROR:
            # §8.1: a complete response, then "stop sending"; the DATA came too late to matter.
            assert st.ended and st.status == 200, "RST_STREAM NO_ERROR without a response: %r" % (
                c.frames[-6:],)
        else:
            assert st.reset == PROTOCOL_ERROR, "expected RST_STREAM PROTOCOL_ERROR: %r" % (
                c.frames[-6:],)
        expect_alive(c)


@pytest.mark.parametrize("declared", [0, 3])
def test_response_sent_before_request_end_stream(env, declared):
    """The request body is complete by its content-length, but END_STREAM comes later in an
    empty DATA frame (as gRPC and other clients do). The backend's response must reach the
    client: before END_STREAM (§8.1 allows it) or after it, never an RST_STREAM in its place."""
    m = marker()
    with conn(env) as c:
        sid = c.start_request("POST", "/late-es-" + m, end_stream=False,
                              headers=[("content-length", str(declared))])
        if declared:
            c.send_data(sid, b"abc")
        wait_for(lambda: [e for e in env.echo.entries(0)
                          if e["target"] == "/late-es-" + m and e["complete"]], 10,
                 msg="the request at the backend")
        st = c.stream(sid)
        # Give the response time to come back through portico (it may also wait for END_STREAM).
        c.wait_until(lambda: st.done, 2.0)
        assert st.reset is None or (st.ended and st.reset == NO_ERROR), \
            "stream reset (%s) instead of the response: %r" % (err_name(st.reset), c.frames[-6:])
        if st.reset is None:
            c.send_data(sid, b"", end_stream=True)
        st = c.wait_stream(sid)
        assert st.status == 200 and st.ended, "response lost: %r; frames %r" % (st, c.frames[-6:])
        assert '"body_length": %d' % declared in st.body.decode()
        expect_alive(c)


def test_content_length_mismatch_across_frames(env):
    seq0 = env.echo.seq()
    m = marker()
    with conn(env) as c:
        sid = c.start_request("POST", "/cl-" + m, end_stream=False,
                              headers=[("content-length", "20000")])
        c.send_data(sid, b"a" * 16000)
        c.send_data(sid, b"a" * 5000, end_stream=True)
        expect_stream_error(c, sid, PROTOCOL_ERROR)
    assert_no_complete_request(env, seq0, "/cl-" + m)


def test_trailers_with_pseudo_header(env):
    seq0 = env.echo.seq()
    m = marker()
    with conn(env) as c:
        sid = c.start_request("POST", "/tr-" + m, end_stream=False)
        c.send_data(sid, b"body")
        c.send(headers_frame(sid, raw_block([(":path", "/x"), ("x-t", "1")]), end_stream=True))
        expect_stream_error(c, sid, PROTOCOL_ERROR)
    assert_no_complete_request(env, seq0, "/tr-" + m)


def test_trailers_without_end_stream(env):
    seq0 = env.echo.seq()
    m = marker()
    with conn(env) as c:
        sid = c.start_request("POST", "/tr-" + m, end_stream=False)
        c.send_data(sid, b"body")
        c.send(headers_frame(sid, raw_block([("x-t", "1")]), end_stream=False))
        expect_stream_error(c, sid, PROTOCOL_ERROR)
    assert_no_complete_request(env, seq0, "/tr-" + m)


def test_malformed_via_python_h2(env):
    """python3-h2 with its outbound checks off sends a connection-specific field and an
    upper-case name; the server resets those streams and answers the valid one."""
    import socket

    import h2.config
    import h2.connection
    import h2.events
    seq0 = env.echo.seq()
    cfg = h2.config.H2Configuration(client_side=True, validate_outbound_headers=False,
                                    normalize_outbound_headers=False,
                                    validate_inbound_headers=False)
    h = h2.connection.H2Connection(cfg)
    h.initiate_connection()
    with socket.create_connection(("127.0.0.1", env.port), timeout=10) as s:
        bad1 = [(":method", "GET"), (":scheme", "http"), (":path", "/bad1"),
                (":authority", "example.com"), ("connection", "close")]
        bad2 = [(":method", "GET"), (":scheme", "http"), (":path", "/bad2"),
                (":authority", "example.com"), ("X-Mixed-Case", "1")]
        good = [(":method", "GET"), (":scheme", "http"), (":path", "/good"),
                (":authority", "example.com")]
        h.send_headers(1, bad1, end_stream=True)
        h.send_headers(3, bad2, end_stream=True)
        h.send_headers(5, good, end_stream=True)
        s.sendall(h.data_to_send())
        resets, ended = {}, set()
        while 5 not in ended:
            data = s.recv(65536)
            assert data, "connection closed: resets=%r" % resets
            for ev in h.receive_data(data):
                if isinstance(ev, h2.events.StreamReset):
                    resets[ev.stream_id] = ev.error_code
                elif isinstance(ev, h2.events.StreamEnded):
                    ended.add(ev.stream_id)
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    raise AssertionError("connection terminated: %r" % ev)
            s.sendall(h.data_to_send())
        assert resets == {1: PROTOCOL_ERROR, 3: PROTOCOL_ERROR}, resets
    assert backend_targets(env, seq0) == ["/good"]


# ---------------------------------------------------------------------------------------------
# Responses: what portico sends (§8.2.2, §8.1)


def test_response_has_no_connection_specific_fields(env):
    with conn(env) as c:
        path = ("/chunked?n=3&rh=Keep-Alive:timeout%3D5&rh=Proxy-Connection:keep-alive"
                "&rh=Upgrade:foo&rh=X-Kept:yes")
        st = c.request("GET", path)
        assert st.status == 200, st
        names = [n for n, _ in st.headers]
        for bad in ("connection", "keep-alive", "proxy-connection", "transfer-encoding",
                    "upgrade"):
            assert bad not in names, "response carries %s: %r" % (bad, st.headers)
        assert all(n == n.lower() for n in names), st.headers
        assert st.header("x-kept") == "yes"
        pseudo = [i for i, (n, _) in enumerate(st.headers) if n.startswith(":")]
        assert pseudo == [0], "only :status, first: %r" % st.headers


def test_head_204_304_have_no_data(env):
    with conn(env) as c:
        for method, path, status in (("HEAD", "/big?bytes=1000", 200),
                                     ("GET", "/status/204", 204),
                                     ("GET", "/status/304", 304)):
            st = c.request(method, path)
            assert st.status == status, st
            assert st.body == b"", "%s %s carried a body: %r" % (method, path, st)
        head = c.streams[1]
        assert head.header("content-length") in (None, "1000")


def test_interim_response_then_final(env):
    with conn(env) as c:
        st = c.request("GET", "/100")
        assert st.status == 200 and st.ended, st
        for h in st.informational:
            assert dict(h)[":status"].startswith("1")


# ---------------------------------------------------------------------------------------------
# PING, PRIORITY, unknown frames, CONTINUATION (§6.3, §6.7, §6.10, §5.5)


def test_ping_is_answered_with_same_payload(env):
    with conn(env) as c:
        c.send_ping(b"\x00\x01\x02\x03\xfc\xfd\xfe\xff")
        c.pump(lambda: c.pings, 5, "PING ACK")
        assert c.pings == [b"\x00\x01\x02\x03\xfc\xfd\xfe\xff"]
        acks = [f for f in c.frames if f.type == PING]
        assert all(f.has(ACK) and f.stream_id == 0 for f in acks)


def test_ping_ack_from_client_is_not_answered(env):
    with conn(env) as c:
        c.send(ping(b"unsolici", ack=True))
        c.ping_roundtrip(b"probe123")
        assert c.pings == [b"probe123"], c.pings


def test_priority_frames_accepted(env):
    with conn(env) as c:
        c.send(priority(11, 0, 200) + priority(13, 11, 1, exclusive=True) + priority(1, 0, 16))
        sid = c.new_stream_id()
        c.send(headers_frame(sid, c.encode(request_headers(path="/prio")), prio=(0, 256, True)))
        st = c.wait_stream(sid)
        assert st.status == 200, st
        c.send(priority(sid, 0, 1))  # on a closed stream
        expect_alive(c)
        assert not c.goaways


def test_priority_self_dependency(env):
    """A stream depending on itself (RFC 7540 §5.3.1): PROTOCOL_ERROR when the server checks
    RFC 7540 priorities; a server that ignores them (SETTINGS_NO_RFC7540_PRIORITIES) may
    ignore the frame. Either way the connection stays consistent."""
    with conn(env) as c:
        c.send(priority(3, 3, 16))
        c.send_ping(b"selfdepx")
        c.pump(lambda: c.goaways or c.stream(3).reset is not None or c.pings, 10, "reaction")
        if c.goaways:
            assert c.goaways[0].error_code == PROTOCOL_ERROR
        elif c.stream(3).reset is not None:
            assert c.stream(3).reset == PROTOCOL_ERROR
        else:
            expect_alive(c)


def test_unknown_frame_types_and_flags_ignored(env):
    with conn(env) as c:
        c.send(frame(0xfa, 0xff, 0, b"unknown on the connection"))
        c.send(frame(0x2a, 0, 1, b"unknown on an idle stream"))
        c.send(frame(PING, 0xfe, 0, b"flagsxyz"))  # unknown PING flags, not ACK
        c.pump(lambda: b"flagsxyz" in c.pings, 5, "PING ACK")
        sid = c.new_stream_id()
        c.send(frame(HEADERS, END_STREAM | END_HEADERS | 0x40 | 0x10, sid,
                     c.encode(request_headers(path="/flags"))))
        c.send(frame(0xfb, 0, sid, b"unknown on an open stream"))
        st = c.wait_stream(sid)
        assert st.status == 200, st
        assert not c.goaways


def test_continuation_assembles_header_block(env):
    with conn(env) as c:
        block = raw_block(request_headers(path="/cont", extra=[("x-long", "l" * 6000)]))
        sid = 1
        c.send(headers_frame(sid, block[:10], end_stream=True, end_headers=False))
        c.send(continuation(sid, block[10:3000], end_headers=False))
        c.send(continuation(sid, b"", end_headers=False))
        c.send(continuation(sid, block[3000:], end_headers=True))
        st = c.wait_stream(sid)
        assert st.status == 200, st
        assert "l" * 6000 in st.body.decode()


def test_header_list_within_advertised_limit_accepted(env):
    """A request whose header list is below the SETTINGS_MAX_HEADER_LIST_SIZE the server
    advertised (64 KiB by default) is served (RFC 9113 §6.5.2: the setting tells clients what
    the server is prepared to accept)."""
    with conn(env) as c:
        limit = c.server_settings.get(MAX_HEADER_LIST_SIZE, 65536)
        extra = [("x-big-%d" % i, "v" * 4000) for i in range(limit // 2 // 4040)]
        size = sum(len(n) + len(v) + 32 for n, v in request_headers(extra=extra))
        assert size < limit
        sid = c.new_stream_id()
        block = raw_block(request_headers(path="/big-head", extra=extra))
        c.send(headers_frame(sid, block[:16000], end_headers=False))
        rest = block[16000:]
        while rest:
            c.send(continuation(sid, rest[:16000], end_headers=len(rest) <= 16000))
            rest = rest[16000:]
        st = c.wait_stream(sid)
        assert st.status == 200, "a %d-byte header list (limit %d): %r" % (size, limit, st)


def test_continuation_without_headers(env):
    with conn(env) as c:
        assert c.request("GET", "/first").status == 200
        c.send(continuation(1, raw_block([("x-a", "1")])))
        expect_conn_error(c, PROTOCOL_ERROR)


def test_frame_interleaved_in_header_block(env):
    with conn(env) as c:
        block = raw_block(request_headers(path="/cont"))
        c.send(headers_frame(1, block[:10], end_headers=False, end_stream=False))
        c.send(data_frame(1, b"nope"))
        expect_conn_error(c, PROTOCOL_ERROR)


def test_unknown_frame_interleaved_in_header_block(env):
    with conn(env) as c:
        block = raw_block(request_headers(path="/cont"))
        c.send(headers_frame(1, block[:10], end_headers=False))
        c.send(frame(0xfa, 0, 0, b"x"))
        expect_conn_error(c, PROTOCOL_ERROR)


def test_continuation_on_other_stream(env):
    with conn(env) as c:
        block = raw_block(request_headers(path="/cont"))
        c.send(headers_frame(1, block[:10], end_headers=False))
        c.send(continuation(3, block[10:]))
        expect_conn_error(c, PROTOCOL_ERROR)


# ---------------------------------------------------------------------------------------------
# A well-behaved independent client


def test_python_h2_client(env):
    status, headers, body = h2lib_request(env.port, "/h2lib", method="POST", body=b"x" * 1000)
    assert status == 200
    doc = __import__("json").loads(body)
    assert doc["body_length"] == 1000 and doc["method"] == "POST"


def test_request_fields_forwarded(env):
    with conn(env) as c:
        st = c.request("POST", "/fwd?q=1", authority="fwd.example:8080",
                       headers=[("x-custom", "v1"), ("x-custom", "v2"), ("cookie", "a=1"),
                                ("cookie", "b=2"), ("content-type", "text/plain")],
                       body=b"abc")
        assert st.status == 200, st
        doc = __import__("json").loads(st.body)
        hdrs = [(k.lower(), v) for k, v in doc["headers"]]
        assert doc["method"] == "POST" and doc["target"] == "/fwd?q=1"
        assert doc["version"] == "HTTP/1.1"
        assert ("host", "fwd.example:8080") in hdrs, hdrs
        assert [v for k, v in hdrs if k == "x-custom"] in (["v1", "v2"], ["v1, v2"]), hdrs
        assert [v for k, v in hdrs if k == "cookie"] == ["a=1; b=2"], hdrs
        assert doc["body_length"] == 3
        names = {k for k, _ in hdrs}
        assert not names & {":method", ":path", ":authority", ":scheme"}, hdrs
