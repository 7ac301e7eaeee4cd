"""HTTP/2 helpers for portico's end-to-end tests.

- Raw frame builders (`frame`, `settings`, `headers_frame`, ...) that produce any bytes, valid
  or not, for conformance and attack tests.
- `H2Conn`: a minimal frame-level HTTP/2 client over a socket (plain h2c with prior knowledge,
  or TLS with ALPN h2). It sends what it is told, decodes what arrives (HPACK via Debian's
  python3-hpack), answers SETTINGS and PING, keeps flow-control windows, and can wait for a
  response, an RST_STREAM, a GOAWAY or the close of the connection. No threads.
- `h2lib_request`: one request with python3-h2's H2Connection (an independent, well-behaved
  implementation) and `Bystander`, a thread of such requests run next to an attack.
- Config builders for an HTTP/2 listener (`h2_config`, `h2_listener`).
Everything waits on a condition with a deadline; nothing sleeps to synchronise."""
import os
import socket
import ssl
import struct
import subprocess
import threading
import time
from pathlib import Path

import hpack

from e2elib import (ClosingSocket, E2EError, free_port, make_config, start_nginx,
                    stop_process)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Frame types (RFC 9113 §6).
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = range(10)
FRAME_NAMES = ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING",
               "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"]

# Flags.
END_STREAM = 0x1
ACK = 0x1
END_HEADERS = 0x4
PADDED = 0x8
PRIORITY_FLAG = 0x20

# Error codes (RFC 9113 §7).
NO_ERROR = 0x0
PROTOCOL_ERROR = 0x1
INTERNAL_ERROR = 0x2
FLOW_CONTROL_ERROR = 0x3
SETTINGS_TIMEOUT = 0x4
STREAM_CLOSED = 0x5
FRAME_SIZE_ERROR = 0x6
REFUSED_STREAM = 0x7
CANCEL = 0x8
COMPRESSION_ERROR = 0x9
CONNECT_ERROR = 0xa
ENHANCE_YOUR_CALM = 0xb
INADEQUATE_SECURITY = 0xc
HTTP_1_1_REQUIRED = 0xd
ERROR_NAMES = {v: k for k, v in dict(
    NO_ERROR=0, PROTOCOL_ERROR=1, INTERNAL_ERROR=2, FLOW_CONTROL_ERROR=3, SETTINGS_TIMEOUT=4,
    STREAM_CLOSED=5, FRAME_SIZE_ERROR=6, REFUSED_STREAM=7, CANCEL=8, COMPRESSION_ERROR=9,
    CONNECT_ERROR=10, ENHANCE_YOUR_CALM=11, INADEQUATE_SECURITY=12,
    HTTP_1_1_REQUIRED=13).items()}

# SETTINGS identifiers.
HEADER_TABLE_SIZE = 0x1
ENABLE_PUSH = 0x2
MAX_CONCURRENT_STREAMS = 0x3
INITIAL_WINDOW_SIZE = 0x4
MAX_FRAME_SIZE = 0x5
MAX_HEADER_LIST_SIZE = 0x6
ENABLE_CONNECT_PROTOCOL = 0x8
NO_RFC7540_PRIORITIES = 0x9

DEFAULT_WINDOW = 65535
MAX_WINDOW = 2 ** 31 - 1


def err_name(code):
    return ERROR_NAMES.get(code, "0x%x" % code) if code is not None else None


# ---------------------------------------------------------------------------------------------
# Raw frame builders: any bytes, valid or not.


def frame(ftype, flags, stream_id, payload=b"", length=None):
    """One frame. `length` overrides the 24-bit length field (to lie about the size)."""
    n = len(payload) if length is None else length
    return struct.pack(">I", n)[1:] + struct.pack(">BBI", ftype, flags, stream_id) + payload


def settings(pairs=(), ack=False, stream_id=0):
    """SETTINGS with (id, value) pairs (a dict works too)."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    payload = b"".join(struct.pack(">HI", k, v) for k, v in items)
    return frame(SETTINGS, ACK if ack else 0, stream_id, payload)


def ping(data=b"12345678", ack=False, stream_id=0):
    return frame(PING, ACK if ack else 0, stream_id, data)


def window_update(stream_id, increment):
    return frame(WINDOW_UPDATE, 0, stream_id, struct.pack(">I", increment))


def rst_stream(stream_id, code):
    return frame(RST_STREAM, 0, stream_id, struct.pack(">I", code))


def goaway(last_stream_id, code, debug=b""):
    return frame(GOAWAY, 0, 0, struct.pack(">II", last_stream_id, code) + debug)


def priority(stream_id, depends_on=0, weight=16, exclusive=False):
    dep = depends_on | (0x80000000 if exclusive else 0)
    return frame(PRIORITY, 0, stream_id, struct.pack(">IB", dep, weight - 1))


def _padded(payload, pad):
    if pad is None:
        return payload, 0
    return bytes([pad]) + payload + b"\0" * pad, PADDED


def data_frame(stream_id, data=b"", end_stream=False, pad=None):
    payload, f = _padded(data, pad)
    return frame(DATA, f | (END_STREAM if end_stream else 0), stream_id, payload)


def headers_frame(stream_id, block, end_stream=True, end_headers=True, pad=None,
                  prio=None):
    """HEADERS carrying an already encoded header block. prio=(depends_on, weight, exclusive)."""
    flags = (END_STREAM if end_stream else 0) | (END_HEADERS if end_headers else 0)
    if prio is not None:
        dep, weight, excl = prio
        block = struct.pack(">IB", dep | (0x80000000 if excl else 0), weight - 1) + block
        flags |= PRIORITY_FLAG
    payload, f = _padded(block, pad)
    return frame(HEADERS, flags | f, stream_id, payload)


def continuation(stream_id, block, end_headers=True):
    return frame(CONTINUATION, END_HEADERS if end_headers else 0, stream_id, block)


def hpack_int(value, prefix_bits, first_byte_flags=0):
    """HPACK integer representation (RFC 7541 §5.1)."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first_byte_flags | value])
    out = [first_byte_flags | limit]
    value -= limit
    while value >= 128:
        out.append((value & 0x7f) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def hpack_literal(name, value, indexing=False):
    """A literal field with a literal name, no Huffman (without / with incremental indexing).
    Names keep their case: this is how malformed fields are sent."""
    if isinstance(name, str):
        name = name.encode("latin-1")
    if isinstance(value, str):
        value = value.encode("latin-1")
    return (b"\x40" if indexing else b"\x00") + hpack_int(len(name), 7) + name + \
        hpack_int(len(value), 7) + value


def hpack_indexed(index):
    return hpack_int(index, 7, 0x80)


def raw_block(headers):
    """A header block of literal fields without indexing, exactly as given (any case, any
    order, any duplicates, any bytes). Does not touch an encoder's dynamic table."""
    return b"".join(hpack_literal(n, v) for n, v in headers)


def request_headers(method="GET", path="/", authority="example.com", scheme="http", extra=()):
    return [(":method", method), (":scheme", scheme), (":path", path),
            (":authority", authority)] + list(extra)


# ---------------------------------------------------------------------------------------------
# Received frames


class Frame:
    def __init__(self, ftype, flags, stream_id, payload):
        self.type, self.flags, self.stream_id, self.payload = ftype, flags, stream_id, payload

    @property
    def name(self):
        return FRAME_NAMES[self.type] if self.type < len(FRAME_NAMES) else "0x%x" % self.type

    @property
    def error_code(self):
        if self.type == RST_STREAM:
            return struct.unpack(">I", self.payload[:4])[0]
        if self.type == GOAWAY:
            return struct.unpack(">I", self.payload[4:8])[0]
        return None

    @property
    def last_stream_id(self):
        return struct.unpack(">I", self.payload[:4])[0] & 0x7fffffff

    @property
    def debug_data(self):
        return self.payload[8:]

    @property
    def increment(self):
        return struct.unpack(">I", self.payload[:4])[0] & 0x7fffffff

    @property
    def settings(self):
        return dict(struct.unpack(">HI", self.payload[i:i + 6])
                    for i in range(0, len(self.payload) - len(self.payload) % 6, 6))

    def has(self, flag):
        return bool(self.flags & flag)

    def __repr__(self):
        extra = ""
        if self.type in (RST_STREAM, GOAWAY):
            extra = " %s" % err_name(self.error_code)
            if self.type == GOAWAY:
                extra += " last=%d debug=%r" % (self.last_stream_id, self.debug_data[:100])
        elif self.type == WINDOW_UPDATE:
            extra = " +%d" % self.increment
        elif self.type == SETTINGS and not self.has(ACK):
            extra = " %r" % self.settings
        return "<%s stream=%d flags=0x%x len=%d%s>" % (self.name, self.stream_id, self.flags,
                                                       len(self.payload), extra)


class Stream:
    """What one stream received."""

    def __init__(self, sid):
        self.id = sid
        self.heads = []        # every header block (1xx, final head, trailers), decoded
        self.headers = None    # the final response head (list of (name, value) str)
        self.informational = []
        self.trailers = None
        self.data = bytearray()
        self.data_frames = 0
        self.ended = False     # END_STREAM received
        self.reset = None      # RST_STREAM error code received
        self.send_window = DEFAULT_WINDOW

    @property
    def status(self):
        for n, v in self.headers or ():
            if n == ":status":
                return int(v)
        return None

    def header(self, name, default=None):
        for n, v in self.headers or ():
            if n == name:
                return v
        return default

    def header_all(self, name):
        return [v for n, v in self.headers or () if n == name]

    @property
    def done(self):
        return self.ended or self.reset is not None

    @property
    def body(self):
        return bytes(self.data)

    def __repr__(self):
        return "<Stream %d status=%s reset=%s ended=%s headers=%r body=%r>" % (
            self.id, self.status, err_name(self.reset), self.ended, self.headers,
            bytes(self.data[:200]))


class ConnectionGone(E2EError):
    pass


# ---------------------------------------------------------------------------------------------
# The frame-level client


class H2Conn(ClosingSocket):
    """One HTTP/2 client connection driven frame by frame.

    settings: SETTINGS sent after the preface (dict id -> value).
    auto_window: after DATA arrives, reopen the stream and connection windows by its size.
    preface: send the preface + SETTINGS at once (False: send them yourself with send()).
    """

    def __init__(self, port, host="127.0.0.1", tls=None, server_name="localhost",
                 settings_=None, auto_window=True, preface=True, timeout=10.0,
                 read_size=1 << 16):
        raw = socket.create_connection((host, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            raw = tls.wrap_socket(raw, server_hostname=server_name)
        self.sock = raw
        self.timeout = timeout
        self.read_size = read_size
        self.buf = bytearray()
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder()
        self.decoder.max_header_list_size = 1 << 24
        self.auto_window = auto_window
        self.auto_ack = True
        self.frames = []             # every frame received, in order
        self.streams = {}
        self.server_settings = {}
        self.settings_acked = 0      # SETTINGS ACKs received
        self.pings = []              # PING ACK payloads received
        self.goaways = []
        self.closed = False          # EOF or reset seen by a read
        self.send_failed = False     # a send found the connection closed
        self.next_id = 1
        self.conn_send_window = DEFAULT_WINDOW
        self.peer_initial_window = DEFAULT_WINDOW
        self.peer_max_frame = 16384
        self._hb = None              # (stream id, accumulated block, end_stream) in a block
        self.my_settings = dict(settings_ or {})
        if preface:
            self.send(PREFACE + settings(self.my_settings))

    # --- plumbing ---------------------------------------------------------------------------

    @property
    def alpn(self):
        return self.sock.selected_alpn_protocol() if isinstance(self.sock, ssl.SSLSocket) \
            else None

    def send(self, data):
        """Raw bytes. A peer that already closed raises ConnectionGone."""
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError) as e:
            # The peer closed; what it sent before (a GOAWAY) may still be unread, so
            # self.closed is only set when a read sees the end.
            self.send_failed = True
            raise ConnectionGone("send failed: %r" % e)

    def new_stream_id(self):
        sid = self.next_id
        self.next_id += 2
        return sid

    def stream(self, sid):
        s = self.streams.get(sid)
        if s is None:
            s = self.streams[sid] = Stream(sid)
            s.send_window = self.peer_initial_window
        return s

    # --- sending ----------------------------------------------------------------------------

    def encode(self, headers, huffman=True):
        """HPACK-encode with this connection's encoder (its dynamic table follows)."""
        return self.encoder.encode(headers, huffman=huffman)

    def send_headers(self, sid, headers=None, end_stream=True, block=None, end_headers=True,
                     pad=None, prio=None):
        if block is None:
            block = self.encode(headers)
        self.stream(sid)
        self.send(headers_frame(sid, block, end_stream, end_headers, pad, prio))

    def send_data(self, sid, data=b"", end_stream=False, pad=None):
        """One DATA frame, ignoring flow control (the caller's responsibility)."""
        n = len(data) + (0 if pad is None else pad + 1)
        self.stream(sid).send_window -= n
        self.conn_send_window -= n
        self.send(data_frame(sid, data, end_stream, pad))

    def send_body(self, sid, data, end_stream=True, timeout=60.0, frame_size=None):
        """Sends `data` as DATA frames within the peer's flow-control windows, reading frames
        (WINDOW_UPDATEs) while blocked. Raises if the stream is reset or the connection goes."""
        frame_size = frame_size or self.peer_max_frame
        mv = memoryview(data)
        st = self.stream(sid)
        deadline = time.monotonic() + timeout
        while True:
            if st.reset is not None:
                raise E2EError("stream %d reset (%s) while sending its body" % (
                    sid, err_name(st.reset)))
            avail = min(self.conn_send_window, st.send_window, frame_size, len(mv))
            if avail > 0 or (len(mv) == 0):
                chunk = bytes(mv[:avail])
                mv = mv[avail:]
                last = len(mv) == 0
                self.send_data(sid, chunk, end_stream=end_stream and last)
                if last:
                    return
                continue
            if time.monotonic() > deadline:
                raise E2EError("flow-control window stayed closed for %.0fs (conn %d, stream %d)"
                               % (timeout, self.conn_send_window, st.send_window))
            self.read_one(max(0.1, deadline - time.monotonic()))

    def send_rst(self, sid, code=CANCEL):
        self.send(rst_stream(sid, code))

    def send_ping(self, data=b"12345678", ack=False):
        self.send(ping(data, ack))

    def send_settings(self, pairs=(), ack=False):
        self.send(settings(pairs, ack))

    def send_window_update(self, sid, increment):
        self.send(window_update(sid, increment))

    def send_goaway(self, last=0, code=NO_ERROR):
        self.send(goaway(last, code))

    def start_request(self, method="GET", path="/", authority="example.com", headers=(),
                      end_stream=True, scheme="http", sid=None):
        """Opens a stream with a request head; returns its id."""
        sid = sid or self.new_stream_id()
        self.send_headers(sid, request_headers(method, path, authority, scheme, headers),
                          end_stream=end_stream)
        return sid

    def request(self, method="GET", path="/", authority="example.com", headers=(), body=None,
                trailers=None, scheme="http", timeout=30.0):
        """A whole exchange on a new stream; returns the Stream once it ended or was reset."""
        has_body = body is not None or trailers is not None
        sid = self.start_request(method, path, authority, headers, not has_body, scheme)
        if body is not None:
            self.send_body(sid, body, end_stream=trailers is None, timeout=timeout)
        if trailers is not None:
            self.send_headers(sid, trailers, end_stream=True)
        return self.wait_stream(sid, timeout)

    # --- receiving --------------------------------------------------------------------------

    def _recv(self, timeout):
        self.sock.settimeout(timeout)
        try:
            d = self.sock.recv(self.read_size)
        except (socket.timeout, TimeoutError):
            return None
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            d = b""
        except OSError:
            d = b""
        finally:
            try:
                self.sock.settimeout(self.timeout)
            except OSError:
                pass
        if not d:
            self.closed = True
            return b""
        self.buf += d
        return d

    def read_frame(self, timeout=None):
        """The next frame (also processed: ACKs, windows, headers). None when the connection
        is closed; raises E2EError on timeout."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 9:
                n = int.from_bytes(self.buf[:3], "big")
                if len(self.buf) >= 9 + n:
                    ftype, flags = self.buf[3], self.buf[4]
                    sid = int.from_bytes(self.buf[5:9], "big") & 0x7fffffff
                    payload = bytes(self.buf[9:9 + n])
                    del self.buf[:9 + n]
                    f = Frame(ftype, flags, sid, payload)
                    self.frames.append(f)
                    self._process(f)
                    return f
            if self.closed:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                raise E2EError("no frame within %.1fs (received so far: %r)" % (
                    timeout, self.frames[-8:]))
            if self._recv(left) is None and time.monotonic() >= deadline:
                raise E2EError("no frame within %.1fs (received so far: %r)" % (
                    timeout, self.frames[-8:]))

    def read_one(self, timeout):
        """Like read_frame but returns None on timeout or close instead of raising."""
        try:
            return self.read_frame(timeout)
        except E2EError:
            return None

    def _process(self, f):
        if f.type == SETTINGS:
            if f.has(ACK):
                self.settings_acked += 1
            else:
                s = f.settings
                self.server_settings.update(s)
                if INITIAL_WINDOW_SIZE in s:
                    delta = s[INITIAL_WINDOW_SIZE] - self.peer_initial_window
                    self.peer_initial_window = s[INITIAL_WINDOW_SIZE]
                    for st in self.streams.values():
                        st.send_window += delta
                if MAX_FRAME_SIZE in s:
                    self.peer_max_frame = s[MAX_FRAME_SIZE]
                if self.auto_ack and not self.closed and not self.send_failed:
                    self._quiet_send(settings(ack=True))
        elif f.type == PING:
            if f.has(ACK):
                self.pings.append(f.payload)
            elif self.auto_ack and not self.closed and not self.send_failed:
                self._quiet_send(ping(f.payload, ack=True))
        elif f.type == GOAWAY:
            self.goaways.append(f)
        elif f.type == WINDOW_UPDATE:
            if f.stream_id == 0:
                self.conn_send_window += f.increment
            else:
                self.stream(f.stream_id).send_window += f.increment
        elif f.type == RST_STREAM:
            self.stream(f.stream_id).reset = f.error_code
        elif f.type == DATA:
            st = self.stream(f.stream_id)
            payload = f.payload
            if f.has(PADDED):
                payload = payload[1:len(payload) - payload[0]]
            st.data += payload
            st.data_frames += 1
            if f.has(END_STREAM):
                st.ended = True
            if self.auto_window and len(f.payload) and not self.closed \
                    and not self.send_failed:
                upd = window_update(0, len(f.payload))
                if not f.has(END_STREAM):
                    upd += window_update(f.stream_id, len(f.payload))
                self._quiet_send(upd)
        elif f.type in (HEADERS, CONTINUATION):
            if f.type == HEADERS:
                payload = f.payload
                if f.has(PADDED):
                    payload = payload[1:len(payload) - payload[0]]
                if f.has(PRIORITY_FLAG):
                    payload = payload[5:]
                self._hb = (f.stream_id, bytearray(payload), f.has(END_STREAM))
            elif self._hb is not None:
                self._hb[1].extend(f.payload)
            if f.has(END_HEADERS) and self._hb is not None:
                sid, block, end = self._hb
                self._hb = None
                hdrs = [(n if isinstance(n, str) else n.decode("latin-1"),
                         v if isinstance(v, str) else v.decode("latin-1"))
                        for n, v in self.decoder.decode(bytes(block), raw=False)]
                st = self.stream(sid)
                st.heads.append(hdrs)
                status = dict(hdrs).get(":status")
                if status is None:
                    st.trailers = hdrs
                elif status.startswith("1"):
                    st.informational.append(hdrs)
                else:
                    st.headers = hdrs
                if end:
                    st.ended = True

    def _quiet_send(self, data):
        try:
            self.sock.sendall(data)
        except (OSError, ssl.SSLError):
            self.send_failed = True

    def pump(self, cond, timeout=10.0, what="condition"):
        """Reads frames until cond() is true; returns its value. Raises on timeout or when the
        connection closes first."""
        deadline = time.monotonic() + timeout
        while True:
            v = cond()
            if v:
                return v
            left = deadline - time.monotonic()
            if left <= 0:
                raise E2EError("timed out after %.1fs waiting for %s; last frames: %r" % (
                    timeout, what, self.frames[-10:]))
            if self.read_frame(left) is None:
                v = cond()
                if v:
                    return v
                raise ConnectionGone("connection closed while waiting for %s; last frames: %r"
                                     % (what, self.frames[-10:]))

    def wait_until(self, cond, timeout):
        """Reads frames until cond() is true (returns its value) or timeout / close (returns
        None). For "either this happens or not" checks."""
        deadline = time.monotonic() + timeout
        while True:
            v = cond()
            if v or self.closed:
                return v or None
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.read_one(left)

    def handshake(self, timeout=10.0):
        """Waits for the server's SETTINGS and the ACK of ours."""
        self.pump(lambda: self.settings_acked >= 1
                  and any(f.type == SETTINGS and not f.has(ACK) for f in self.frames),
                  timeout, "the server's SETTINGS and SETTINGS ACK")
        return self

    def wait_stream(self, sid, timeout=30.0):
        """The stream once it ended or was reset (or the connection closed under it)."""
        st = self.stream(sid)
        try:
            self.pump(lambda: st.done or (self.goaways and sid > self.goaways[-1].last_stream_id),
                      timeout, "stream %d to end" % sid)
        except ConnectionGone:
            pass
        return st

    def wait_goaway(self, timeout=10.0):
        """The first GOAWAY (reads until one arrives); raises if the connection closes or
        nothing comes."""
        try:
            return self.pump(lambda: self.goaways[0] if self.goaways else None, timeout,
                             "GOAWAY")
        except ConnectionGone:
            raise ConnectionGone("connection closed without GOAWAY; frames: %r" %
                                 self.frames[-10:])

    def wait_closed(self, timeout=10.0):
        """True when the peer closes the connection within timeout (frames are read and
        processed meanwhile)."""
        deadline = time.monotonic() + timeout
        while not self.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.read_one(left)
        return True

    def wait_error(self, sid, timeout=10.0):
        """Waits for the reaction to a bad frame on stream `sid` (0: the connection): returns
        ("rst", code) for an RST_STREAM on sid, ("goaway", code) for a GOAWAY, ("closed", None)
        when the connection closes without either, or ("ok", stream) when the stream ended
        normally."""
        st = self.stream(sid) if sid else None

        def cond():
            if self.goaways:
                return True
            if st is not None and (st.reset is not None or st.ended):
                return True
            return False
        try:
            self.pump(cond, timeout, "an error for stream %d" % sid)
        except ConnectionGone:
            return ("closed", None)
        if st is not None and st.reset is not None:
            return ("rst", st.reset)
        if self.goaways:
            return ("goaway", self.goaways[0].error_code)
        return ("ok", st)

    def ping_roundtrip(self, data=b"pingpong", timeout=10.0):
        """Sends a PING and waits for its ACK: proves the connection is alive and every frame
        sent before was processed."""
        n = len(self.pings)
        self.send_ping(data)
        self.pump(lambda: any(p == data for p in self.pings[n:]), timeout, "PING ACK")
        return True


# ---------------------------------------------------------------------------------------------
# Expectations


def describe(conn):
    return "frames=%r" % conn.frames[-12:]


def expect_conn_error(conn, codes, timeout=10.0):
    """Asserts a GOAWAY with one of `codes` arrives and the connection then closes."""
    codes = (codes,) if isinstance(codes, int) else tuple(codes)
    g = conn.wait_goaway(timeout)
    assert g.error_code in codes, "GOAWAY %s, expected %s; %s" % (
        err_name(g.error_code), [err_name(c) for c in codes], describe(conn))
    assert conn.wait_closed(timeout), "connection not closed after GOAWAY %s" % err_name(
        g.error_code)
    return g


def expect_stream_error(conn, sid, codes, conn_codes=None, timeout=10.0):
    """Asserts stream `sid` gets RST_STREAM with one of `codes`, or (when conn_codes is given,
    for the cases where RFC 9113 lets the server choose) a GOAWAY with one of conn_codes.
    Returns ("rst", code) or ("goaway", code)."""
    codes = (codes,) if isinstance(codes, int) else tuple(codes)
    kind, code = conn.wait_error(sid, timeout)
    if kind == "rst":
        assert code in codes, "RST_STREAM %s, expected %s; %s" % (
            err_name(code), [err_name(c) for c in codes], describe(conn))
        return kind, code
    if kind == "goaway" and conn_codes is not None:
        conn_codes = (conn_codes,) if isinstance(conn_codes, int) else tuple(conn_codes)
        assert code in conn_codes, "GOAWAY %s, expected RST_STREAM %s or GOAWAY %s; %s" % (
            err_name(code), [err_name(c) for c in codes], [err_name(c) for c in conn_codes],
            describe(conn))
        return kind, code
    raise AssertionError("expected RST_STREAM %s on stream %d, got %s %s; %s" % (
        [err_name(c) for c in codes], sid, kind, err_name(code) if kind != "ok" else code,
        describe(conn)))


def expect_alive(conn, authority="example.com", path="/", timeout=15.0):
    """The connection still serves a request (a new stream gets a 200)."""
    st = conn.request("GET", path, authority, timeout=timeout)
    assert st.status == 200 and st.ended, "connection no longer serves requests: %r; %s" % (
        st, describe(conn))
    return st


# ---------------------------------------------------------------------------------------------
# python3-h2 (independent implementation) for well-behaved clients


def h2lib_request(port, path="/", authority="example.com", method="GET", body=None,
                  headers=(), timeout=10.0, tls=None, server_name="localhost"):
    """One request with python3-h2 on a fresh connection. Returns (status, headers, body)."""
    import h2.config
    import h2.connection
    import h2.events

    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock = tls.wrap_socket(raw, server_hostname=server_name) if tls is not None else raw
    deadline = time.monotonic() + timeout
    try:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        sid = conn.get_next_available_stream_id()
        hdrs = request_headers(method, path, authority,
                               "https" if tls is not None else "http", headers)
        conn.send_headers(sid, hdrs, end_stream=body is None)
        if body is not None:
            conn.send_data(sid, body, end_stream=True)  # small bodies only
        sock.sendall(conn.data_to_send())
        status, rh, out = None, [], bytearray()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise E2EError("h2 request %s timed out after %.1fs" % (path, timeout))
            sock.settimeout(left)
            d = sock.recv(65536)
            if not d:
                raise E2EError("connection closed before the response ended")
            for ev in conn.receive_data(d):
                if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == sid:
                    rh = [(n.decode(), v.decode()) for n, v in ev.headers]
                    status = int(dict(rh)[":status"])
                elif isinstance(ev, h2.events.DataReceived) and ev.stream_id == sid:
                    out += ev.data
                    conn.acknowledge_received_data(ev.flow_controlled_length, sid)
                elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == sid:
                    sock.sendall(conn.data_to_send())
                    return status, rh, bytes(out)
                elif isinstance(ev, h2.events.StreamReset) and ev.stream_id == sid:
                    raise E2EError("stream reset: %r" % ev)
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    raise E2EError("connection terminated: %r" % ev)
            sock.sendall(conn.data_to_send())
    finally:
        try:
            sock.close()
        except OSError:
            pass


class Bystander(threading.Thread):
    """A well-behaved client (python3-h2, a new connection per request, or curl) requesting
    `path` in a loop while an attack runs. `results` holds (ok, seconds, detail)."""

    def __init__(self, port, path="/", authority="example.com", interval=0.05, timeout=10.0,
                 tls=None, use_curl=False):
        super().__init__(daemon=True)
        self.port, self.path, self.authority = port, path, authority
        self.interval, self.timeout, self.tls, self.use_curl = interval, timeout, tls, use_curl
        self.results = []
        self._stop_ev = threading.Event()

    def one(self):
        t0 = time.monotonic()
        try:
            if self.use_curl:
                status = curl_status(self.port, self.path, self.authority, self.timeout)
            else:
                status = h2lib_request(self.port, self.path, self.authority,
                                       timeout=self.timeout, tls=self.tls)[0]
            ok, detail = status == 200, status
        except Exception as e:  # noqa: BLE001 - recorded as a failure
            ok, detail = False, repr(e)
        self.results.append((ok, time.monotonic() - t0, detail))
        return ok

    def run(self):
        while not self._stop_ev.is_set():
            self.one()
            self._stop_ev.wait(self.interval)

    def stop(self):
        self._stop_ev.set()
        self.join(self.timeout + 5)
        return self.results

    def assert_served(self, min_ok=1):
        """All requests made so far succeeded, at least min_ok of them, and one more after."""
        res = self.stop()
        bad = [r for r in res if not r[0]]
        assert not bad, "well-behaved client failed during the attack: %r (of %d)" % (
            bad[:5], len(res))
        assert len(res) >= min_ok, "well-behaved client made only %d requests" % len(res)
        assert self.one(), "well-behaved client failed after the attack: %r" % (
            self.results[-1],)


def curl_status(port, path="/", authority="example.com", timeout=10.0):
    out = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", "--max-time", str(timeout),
                          "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
                          "-H", "Host: " + authority,
                          "http://127.0.0.1:%d%s" % (port, path)],
                         capture_output=True, text=True, timeout=timeout + 5)
    code, _, ver = out.stdout.partition(" ")
    if ver != "2":
        raise E2EError("curl did not use HTTP/2: %r %r" % (out.stdout, out.stderr))
    return int(code or 0)


# ---------------------------------------------------------------------------------------------
# Configs


def h2_config(port, clusters, routes=None, http2=True, workers=2, tls=None, **top):
    """make_config with `http2:` on the (first) listener; tls: the listener's `tls:` map."""
    cfg = make_config(port, clusters, routes, workers=workers, **top)
    cfg["listeners"][0]["http2"] = http2
    if tls is not None:
        cfg["listeners"][0]["tls"] = tls
    return cfg


def tls_listener_spec(pki, certs=None, **tls):
    spec = {"certificates": [{"cert": str(c), "key": str(k)} for c, k in (certs or [pki.site])]}
    spec.update(tls)
    return spec


def h2_tls_context(pki=None, alpn=("h2",), cert=None):
    ctx = ssl.create_default_context(cafile=str(pki.ca_cert)) if pki else \
        ssl._create_unverified_context()  # noqa: SLF001 - tests that accept any certificate
    ctx.set_alpn_protocols(list(alpn))
    if cert:
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx


def settled_rss(portico, samples=5, interval=0.05):
    """Median RSS (kB) of a few samples."""
    vals = []
    for _ in range(samples):
        vals.append(portico.rss_kb())
        time.sleep(interval)
    vals.sort()
    return vals[len(vals) // 2]


# ---------------------------------------------------------------------------------------------
# Reference server: H2_REFERENCE=nginx runs the module-level tests against Debian's nginx
# (listen ... http2, proxying to the same echo backend) instead of portico, to check that the
# harness itself speaks HTTP/2 correctly. nginx differs from RFC 9113 in places (it accepts
# connection-specific fields, ignores some stream-state errors), so some tests fail there.

REFERENCE = os.environ.get("H2_REFERENCE", "")


class NginxH2:
    """nginx with `listen PORT http2` proxying everything to `backend_addr`, except
    `/fixed`, which nginx answers itself (its HEADERS and DATA leave in one write)."""

    FIXED_BODY = "fixed body from nginx"

    def __init__(self, workdir, backend_addr, port=None, tls=None):
        """tls: (cert, key) files to listen with TLS (ALPN h2 and http/1.1) instead of h2c."""
        self.dir = Path(workdir).resolve()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.backend_addr = backend_addr
        self.tls = tls
        self.proc = None

    def start(self, timeout=10.0):
        self.proc = start_nginx(self.dir, self.port, """
  client_max_body_size 0;
  server {
    listen 127.0.0.1:%(port)d %(ssl)s http2;
    %(certs)s
    location = /fixed { default_type text/plain; return 200 "%(fixed)s"; }
    location / {
      proxy_pass http://%(b)s;
      proxy_http_version 1.1;
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_set_header Host $http_host;
      proxy_set_header X-Upstream-Protocol $server_protocol;
    }
  }
""" % {"port": self.port, "b": self.backend_addr, "fixed": self.FIXED_BODY,
       "ssl": "ssl" if self.tls else "",
       "certs": ("ssl_certificate %s; ssl_certificate_key %s;" % tuple(self.tls))
       if self.tls else ""}, timeout=timeout, error_level="info")
        return self

    def stop(self):
        stop_process(self.proc, 10)


def start_h2_server(factory, backend, config_fn):
    """The HTTP/2 server under test for a module: portico with config_fn(port), or nginx when
    H2_REFERENCE=nginx. Returns (port, process)."""
    port = free_port()
    if REFERENCE == "nginx":
        n = NginxH2(factory.workdir / ("nginx-ref-%d" % port), backend.addr, port).start()
        factory.items.append(n)
        return port, n
    return port, factory.portico(config_fn(port))


def portico_only():
    """Skip marker for tests that configure portico themselves."""
    import pytest
    return pytest.mark.skipif(REFERENCE != "", reason="needs portico (H2_REFERENCE is set)")
