"""A small blocking HTTP/2 client for portico's end-to-end tests, on python3-h2.

H2Conn opens one connection (h2c with prior knowledge, or TLS with ALPN h2), and gives access
to everything a test wants to check: the server's SETTINGS, each stream's response headers,
DATA, trailers, RST_STREAM code, and GOAWAY. Received DATA is acknowledged at once (windows
stay open). All waits poll the socket with a deadline; nothing sleeps."""
import socket
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings

from e2elib import ClosingSocket, E2EError, ThreadedServer


class Stream:
    def __init__(self, sid):
        self.id = sid
        self.headers = None        # [(name, value)] of the final response (str)
        self.informational = []    # 1xx header lists
        self.data = bytearray()    # DATA not yet taken by take_data()
        self.data_total = 0
        self.trailers = None
        self.ended = False         # END_STREAM received
        self.reset = None          # RST_STREAM error code received
        self.window_events = 0

    @property
    def status(self):
        return None if self.headers is None else int(self.header(":status"))

    def header(self, name, default=None):
        for n, v in self.headers or ():
            if n == name:
                return v
        return default

    def trailer(self, name, default=None):
        for n, v in self.trailers or ():
            if n == name:
                return v
        return default

    @property
    def done(self):
        return self.ended or self.reset is not None

    def take_data(self):
        d = bytes(self.data)
        self.data.clear()
        return d


def _s(v):
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else v


class H2Conn(ClosingSocket):
    """One HTTP/2 client connection. ssl_context: TLS (must offer ALPN h2); else h2c."""

    def __init__(self, port, host="127.0.0.1", ssl_context=None, server_name="localhost",
                 timeout=10.0, validate=True):
        raw = socket.create_connection((host, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ssl_context is not None:
            self.sock = ssl_context.wrap_socket(raw, server_hostname=server_name)
            if self.sock.selected_alpn_protocol() != "h2":
                raise E2EError("server did not select ALPN h2 (got %r)"
                               % self.sock.selected_alpn_protocol())
        else:
            self.sock = raw
        self.timeout = timeout
        cfg = h2.config.H2Configuration(client_side=True, header_encoding=None,
                                        validate_outbound_headers=validate,
                                        normalize_outbound_headers=validate,
                                        validate_inbound_headers=validate)
        self.conn = h2.connection.H2Connection(config=cfg)
        self.conn.local_settings = h2.settings.Settings(client=True, initial_values={
            h2.settings.SettingCodes.ENABLE_PUSH: 0,
            h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 24,
            h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 100,
        })
        self.conn.initiate_connection()
        self.conn.increment_flow_control_window(1 << 30)
        self.streams = {}
        self.goaway = None          # ConnectionTerminated event
        self.closed = False         # EOF from the server
        self.settings_received = False
        self.pings_acked = 0
        self.flush()

    # ---- output

    def flush(self):
        out = self.conn.data_to_send()
        if out:
            self.sock.sendall(out)

    def request(self, headers, body=None, end_stream=True, coalesce=False):
        """Sends HEADERS (+ body); end_stream: the request ends with them (False leaves the
        stream open for send_data / end_stream). coalesce: HEADERS and a small body leave in
        one write (else two). headers: [(name, value)] with pseudo-headers first. Returns the
        stream id."""
        sid = self.conn.get_next_available_stream_id()
        self.streams[sid] = Stream(sid)
        self.conn.send_headers(sid, headers, end_stream=end_stream and body is None)
        if coalesce and body is not None:
            assert len(body) <= min(self.conn.local_flow_control_window(sid),
                                    self.conn.max_outbound_frame_size)
            self.conn.send_data(sid, body, end_stream=end_stream)
            self.flush()
            return sid
        self.flush()
        if body is not None:
            self.send_data(sid, body, end_stream=end_stream)
        return sid

    def send_data(self, sid, data, end_stream=False, timeout=None):
        """Sends data on sid, waiting for flow-control window as needed."""
        view = memoryview(data)
        while len(view) > 0:
            room = min(self.conn.local_flow_control_window(sid),
                       self.conn.max_outbound_frame_size)
            if room <= 0:
                self.pump_until(lambda: self.conn.local_flow_control_window(sid) > 0
                                or self.streams[sid].done, timeout,
                                "flow-control window on stream %d" % sid)
                if self.streams[sid].done:
                    raise E2EError("stream %d ended while sending (reset %r)"
                                   % (sid, self.streams[sid].reset))
                continue
            chunk = view[:room]
            view = view[room:]
            self.conn.send_data(sid, bytes(chunk), end_stream=end_stream and len(view) == 0)
            self.flush()
        if end_stream and len(data) == 0:
            self.conn.end_stream(sid)
            self.flush()

    def send_trailers(self, sid, trailers):
        self.conn.send_headers(sid, trailers, end_stream=True)
        self.flush()

    def end_stream(self, sid):
        self.conn.end_stream(sid)
        self.flush()

    def reset_stream(self, sid, code=8):
        self.conn.reset_stream(sid, error_code=code)
        self.flush()

    def ping(self, payload=b"12345678"):
        self.conn.ping(payload)
        self.flush()

    # ---- input

    def _handle(self, ev):
        st = self.streams.get(getattr(ev, "stream_id", None))
        if isinstance(ev, h2.events.ResponseReceived):
            st.headers = [(_s(n), _s(v)) for n, v in ev.headers]
        elif isinstance(ev, h2.events.InformationalResponseReceived):
            st.informational.append([(_s(n), _s(v)) for n, v in ev.headers])
        elif isinstance(ev, h2.events.DataReceived):
            if ev.flow_controlled_length:
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            if st is not None:
                st.data += ev.data
                st.data_total += len(ev.data)
        elif isinstance(ev, h2.events.TrailersReceived):
            st.trailers = [(_s(n), _s(v)) for n, v in ev.headers]
        elif isinstance(ev, h2.events.StreamEnded):
            st.ended = True
        elif isinstance(ev, h2.events.StreamReset):
            # a reset after END_STREAM (e.g. NO_ERROR from a server that stops reading the
            # request) does not undo the complete response
            if st is not None and not st.ended:
                st.reset = ev.error_code
        elif isinstance(ev, h2.events.RemoteSettingsChanged):
            self.settings_received = True
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self.goaway = ev
        elif isinstance(ev, h2.events.PingAckReceived):
            self.pings_acked += 1
        elif isinstance(ev, h2.events.WindowUpdated):
            if st is not None:
                st.window_events += 1

    def pump(self, wait):
        """Reads what arrives within `wait` seconds (at least one recv attempt)."""
        if self.closed:
            return
        self.sock.settimeout(max(wait, 0.001))
        try:
            d = self.sock.recv(1 << 20)
        except (socket.timeout, TimeoutError):
            return
        except (ConnectionResetError, BrokenPipeError):
            d = b""
        finally:
            self.sock.settimeout(self.timeout)
        if not d:
            self.closed = True
            return
        try:
            events = self.conn.receive_data(d)
        except h2.exceptions.ProtocolError as e:
            self.flush()
            raise E2EError("HTTP/2 protocol error from the server: %r" % e) from e
        for ev in events:
            self._handle(ev)
        self.flush()

    def pump_until(self, cond, timeout=None, what="condition"):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            v = cond()
            if v:
                return v
            if self.closed:
                v = cond()
                if v:
                    return v
                raise E2EError("connection closed while waiting for %s (goaway %r)"
                               % (what, self.goaway))
            left = deadline - time.monotonic()
            if left <= 0:
                raise E2EError("timed out waiting for %s" % what)
            self.pump(min(left, 0.2))

    def wait_settings(self, timeout=None):
        return self.pump_until(lambda: self.settings_received, timeout, "server SETTINGS")

    def wait_response(self, sid, timeout=None):
        """Waits for the final response head (or a reset / end)."""
        st = self.streams[sid]
        self.pump_until(lambda: st.headers is not None or st.done, timeout,
                        "response on stream %d" % sid)
        return st

    def wait_done(self, sid, timeout=None):
        st = self.streams[sid]
        self.pump_until(lambda: st.done, timeout, "end of stream %d" % sid)
        return st

    def get(self, path, authority="example.com", headers=(), body=None, timeout=None,
            method=None):
        """One whole exchange; returns the Stream."""
        hs = [(":method", method or ("POST" if body is not None else "GET")),
              (":scheme", "http"), (":authority", authority), (":path", path)]
        hs += list(headers)
        sid = self.request(hs, body=body)
        return self.wait_done(sid, timeout)

    def remote_setting(self, code):
        return self.conn.remote_settings.get(code)


class H2SilentBackend(ThreadedServer):
    """An h2c (prior knowledge) server that accepts streams and never answers them: for
    timeouts. Records each request's headers and every RST_STREAM it receives. Threads of the
    test process."""

    def __init__(self):
        self.requests = []   # [(conn_no, stream_id, [(name, value)])]
        self.resets = []     # [(conn_no, stream_id, error_code)]
        super().__init__()

    def _serve(self, c, n):
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(
            client_side=False, header_encoding="utf-8"))
        conn.initiate_connection()
        try:
            c.sendall(conn.data_to_send())
            while True:
                d = c.recv(1 << 16)
                if not d:
                    return
                for ev in conn.receive_data(d):
                    with self.lock:
                        if isinstance(ev, h2.events.RequestReceived):
                            self.requests.append((n, ev.stream_id, list(ev.headers)))
                        elif isinstance(ev, h2.events.StreamReset):
                            self.resets.append((n, ev.stream_id, ev.error_code))
                    if isinstance(ev, h2.events.DataReceived) and ev.flow_controlled_length:
                        conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                out = conn.data_to_send()
                if out:
                    c.sendall(out)
        except (OSError, h2.exceptions.ProtocolError):
            return
        finally:
            c.close()
