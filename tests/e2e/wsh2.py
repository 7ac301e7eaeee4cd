"""WebSocket over HTTP/2 (RFC 8441) client for portico's end-to-end tests.

The tunnel is one HTTP/2 stream opened by an extended CONNECT (h2client.H2Conn); the WebSocket
frames are built and parsed by python3-websockets' sans-I/O protocol object
(websockets.connection.Connection, client side, state OPEN), so they are real masked
client frames and the server's frames are checked as a real client would."""
import h2.exceptions
import h2.settings
from websockets.connection import CLIENT, OPEN, Connection
from websockets.frames import OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT

from e2elib import E2EError

ENABLE_CONNECT_PROTOCOL = h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL


def connect_headers(path, authority="example.com", scheme="http", extra=()):
    return [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", scheme),
            (":path", path), (":authority", authority),
            ("sec-websocket-version", "13")] + list(extra)


class WsOverH2:
    """One WebSocket on stream `sid` of H2Conn `conn` (after a 2xx to the CONNECT)."""

    def __init__(self, conn, sid, max_size=32 * 1024 * 1024):
        self.conn = conn
        self.sid = sid
        self.stream = conn.streams[sid]
        self.ws = Connection(CLIENT, OPEN, max_size=max_size)
        self.frames = []       # frames received and not yet returned by recv_frame()
        self.eof_fed = False
        self.local_ended = False   # END_STREAM sent

    @classmethod
    def open(cls, conn, path, authority="example.com", scheme="http", timeout=10.0, extra=()):
        """Sends the extended CONNECT and waits for the response. Returns (WsOverH2 or None,
        Stream): None when the answer is not 2xx."""
        conn.wait_settings(timeout)
        if conn.remote_setting(ENABLE_CONNECT_PROTOCOL) != 1:
            raise E2EError("server did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL=1")
        sid = conn.request(connect_headers(path, authority, scheme, extra), end_stream=False)
        st = conn.wait_response(sid, timeout)
        if st.headers is None or not 200 <= st.status < 300:
            return None, st
        return cls(conn, sid), st

    # ---- sending

    def _flush(self):
        for d in self.ws.data_to_send():
            if d == b"":  # SEND_EOF: half-close = END_STREAM
                if self.stream.reset is None and not self.local_ended:
                    self.local_ended = True
                    try:
                        self.conn.end_stream(self.sid)
                    except h2.exceptions.StreamClosedError:
                        pass
            else:
                self.conn.send_data(self.sid, d)

    def send_text(self, text):
        self.ws.send_text(text.encode("utf-8"))
        self._flush()

    def send_binary(self, data):
        self.ws.send_binary(data)
        self._flush()

    def send_ping(self, data):
        self.ws.send_ping(data)
        self._flush()

    def send_close(self, code=1000, reason=""):
        self.ws.send_close(code, reason)
        self._flush()

    # ---- receiving

    def _feed(self):
        d = self.stream.take_data()
        if d:
            self.ws.receive_data(d)
        if self.stream.done and not self.eof_fed:
            self.eof_fed = True
            self.ws.receive_eof()
        self.frames.extend(self.ws.events_received())
        self._flush()  # pongs, close replies
        return bool(self.frames)

    def recv_frame(self, timeout=10.0, what="a WebSocket frame"):
        if not self.frames:
            self.conn.pump_until(lambda: self._feed() or (self.stream.done and self.eof_fed),
                                 timeout, what)
            if not self.frames:
                raise E2EError("stream ended (reset %r) while waiting for %s"
                               % (self.stream.reset, what))
        return self.frames.pop(0)

    def recv(self, timeout=10.0):
        """The next text (str) or binary (bytes) message, skipping pings and pongs; a close
        frame raises E2EError."""
        while True:
            f = self.recv_frame(timeout, "a WebSocket message")
            if f.opcode is OP_TEXT:
                return f.data.decode("utf-8")
            if f.opcode is OP_BINARY:
                return bytes(f.data)
            if f.opcode is OP_CLOSE:
                raise E2EError("unexpected close frame %r" % self.ws.close_rcvd)
            assert f.opcode in (OP_PING, OP_PONG)

    def wait_stream_end(self, timeout=10.0):
        """Waits until the HTTP/2 stream is ended or reset by the server."""
        self.conn.pump_until(lambda: (self._feed(), self.stream.done)[1], timeout,
                             "end of the tunnel stream")
        self._feed()
        return self.stream
