"""gRPC helpers for portico's end-to-end tests: the backends/grpc_server.py process and client
stubs made with grpcio's generic API (raw bytes messages, no generated code)."""
import json
import os
import select
import subprocess
import time
from pathlib import Path

from e2elib import BACKENDS, PYTHON, E2EError, stop_process, tail

SERVICE = "portico.test.Echo"
MAX_MESSAGE = 16 * 1024 * 1024


def _ident(b):
    return b


class GrpcBackend:
    """backends/grpc_server.py in a subprocess (plaintext h2c, or TLS with cert/key)."""

    def __init__(self, workdir, name="grpc", cert=None, key=None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.cert, self.key = cert, key
        self.port = None
        self.proc = None

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    def start(self, timeout=20.0):
        cmd = [PYTHON, str(BACKENDS / "grpc_server.py"), "--port", "0"]
        if self.cert:
            cmd += ["--cert", str(self.cert), "--key", str(self.key)]
        self.err_path = self.workdir / ("grpc-%s.stderr" % self.name)
        self._err = open(self.err_path, "ab")
        env = dict(os.environ)
        for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "grpc_proxy"):
            env.pop(k, None)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._err,
                                     stdin=subprocess.DEVNULL, start_new_session=True, env=env)
        deadline = time.monotonic() + timeout
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                self.stop()
                raise E2EError("gRPC backend did not start: %s" % tail(self.err_path))
            r, _, _ = select.select([self.proc.stdout], [], [], min(left, 0.5))
            if r:
                b = os.read(self.proc.stdout.fileno(), 1)
                if not b:
                    continue
                line += b
        self.port = int(line.split()[1])
        return self

    def stop(self):
        stop_process(self.proc, 10)
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        if getattr(self, "_err", None):
            self._err.close()


CHANNEL_OPTIONS = [
    ("grpc.enable_http_proxy", 0),
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.max_send_message_length", MAX_MESSAGE),
    # a fresh connection per channel: tests must not share one through grpc's subchannel pool
    ("grpc.use_local_subchannel_pool", 1),
]


def insecure_channel(port, host="127.0.0.1"):
    return grpc().insecure_channel("%s:%d" % (host, port), options=CHANNEL_OPTIONS)


def secure_channel(port, ca_pem_path, server_name="localhost", host="127.0.0.1"):
    g = grpc()
    creds = g.ssl_channel_credentials(root_certificates=Path(ca_pem_path).read_bytes())
    opts = CHANNEL_OPTIONS + [("grpc.ssl_target_name_override", server_name),
                              ("grpc.default_authority", server_name)]
    return g.secure_channel("%s:%d" % (host, port), creds, options=opts)


def grpc():
    import grpc as g  # imported lazily: test modules importorskip it first
    return g


class Stub:
    """Callables for every method of backends/grpc_server.py on a channel."""

    def __init__(self, channel, service=SERVICE):
        kw = {"request_serializer": _ident, "response_deserializer": _ident}
        p = "/%s/" % service
        self.unary = channel.unary_unary(p + "Unary", **kw)
        self.metadata = channel.unary_unary(p + "Metadata", **kw)
        self.client_stream = channel.stream_unary(p + "ClientStream", **kw)
        self.server_stream = channel.unary_stream(p + "ServerStream", **kw)
        self.bidi = channel.stream_stream(p + "Bidi", **kw)
        self.fail = channel.unary_unary(p + "Fail", **kw)
        self.slow = channel.unary_unary(p + "Slow", **kw)
        self.observed_raw = channel.unary_unary(p + "Observed", **kw)

    def observed(self, tag, timeout=5):
        return json.loads(self.observed_raw(json.dumps({"tag": tag}).encode(), timeout=timeout))


def js(obj):
    return json.dumps(obj).encode()


def frame(msg, compressed=False):
    """One gRPC length-prefixed message (for raw HTTP/2 clients)."""
    return bytes([1 if compressed else 0]) + len(msg).to_bytes(4, "big") + msg


def unframe(data):
    """Splits gRPC length-prefixed messages; returns the list of payloads."""
    out, i = [], 0
    while i < len(data):
        n = int.from_bytes(data[i + 1:i + 5], "big")
        out.append(bytes(data[i + 5:i + 5 + n]))
        i += 5 + n
    return out


def grpc_request_headers(path, authority="example.com", timeout=None, scheme="http", extra=()):
    hs = [(":method", "POST"), (":scheme", scheme), (":authority", authority), (":path", path),
          ("content-type", "application/grpc"), ("te", "trailers")]
    if timeout:
        hs.append(("grpc-timeout", timeout))
    return hs + list(extra)


def grpc_status_of(stream):
    """grpc-status of a raw H2Conn stream: from the trailers, or from the head of a
    trailers-only response."""
    v = stream.trailer("grpc-status") if stream.trailers else None
    if v is None and stream.headers is not None:
        v = stream.header("grpc-status")
    return None if v is None else int(v)
