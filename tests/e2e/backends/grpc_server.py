#!/usr/bin/python3
"""gRPC backend for portico's end-to-end tests (Debian's python3-grpcio, no generated code).

Service /portico.test.Echo, every message raw bytes (identity serializers):
  Unary          returns the request; initial metadata x-echo-initial: yes; trailing metadata
                 x-echo-trailer: done and x-echo-bin-bin: b"\\x00\\x01\\xff" (binary)
  Metadata       returns JSON {"metadata": [[k, v], ...], "time_remaining": s|null} of the call
  ClientStream   returns JSON {"count": N, "bytes": B, "sha256": HEX} of all request messages
  ServerStream   request JSON {"count": N, "size": S}: N messages of S bytes (message i is the
                 byte i % 256 repeated)
  Bidi           echoes each request message as it arrives
  Fail           request JSON {"code": NAME, "message": TEXT, "trailers": [[k, v], ...]}: ends
                 the call with that status, details and trailing metadata (values of -bin keys
                 are sent as the bytes of the given text)
  Slow           request JSON {"tag": T, "sleep": S}: waits S seconds (or until the call is
                 cancelled); records under T: time_remaining at the start, whether the call was
                 cancelled, and how long it waited
  Observed       request JSON {"tag": T}: JSON of what Slow recorded under T ({} if nothing yet)

Options: --port P (0 = any; the chosen port is printed as "PORT <n>" on stdout once serving),
--cert FILE --key FILE (TLS instead of plaintext h2c), --max-message BYTES (default 16 MiB).
"""
import argparse
import hashlib
import json
import sys
import threading
import time
from concurrent import futures

import grpc

SERVICE = "portico.test.Echo"

_lock = threading.Lock()
_observed = {}


def _ident(b):
    return b


def _remaining(context):
    """Seconds left before the call's deadline (from grpc-timeout); None without a deadline."""
    t = context.time_remaining()
    return None if t is None or t > 1e9 else t


def unary(request, context):
    context.send_initial_metadata((("x-echo-initial", "yes"),))
    context.set_trailing_metadata((("x-echo-trailer", "done"),
                                   ("x-echo-bin-bin", b"\x00\x01\xff")))
    return request


def metadata(request, context):
    md = [[k, v.decode("latin-1") if isinstance(v, bytes) else v]
          for k, v in context.invocation_metadata()]
    return json.dumps({"metadata": md, "time_remaining": _remaining(context),
                       "request_bytes": len(request)}).encode()


def client_stream(request_iterator, context):
    h = hashlib.sha256()
    count = total = 0
    for msg in request_iterator:
        count += 1
        total += len(msg)
        h.update(msg)
    return json.dumps({"count": count, "bytes": total, "sha256": h.hexdigest()}).encode()


def server_stream(request, context):
    req = json.loads(request)
    for i in range(req["count"]):
        yield bytes([i % 256]) * req["size"]


def bidi(request_iterator, context):
    for msg in request_iterator:
        yield msg


def fail(request, context):
    req = json.loads(request)
    if req.get("trailers"):
        context.set_trailing_metadata(tuple((k, v.encode() if k.endswith("-bin") else v)
                                            for k, v in req["trailers"]))
    context.abort(getattr(grpc.StatusCode, req["code"]), req["message"])


def slow(request, context):
    req = json.loads(request)
    tag = req["tag"]
    start = time.monotonic()
    rec = {"time_remaining": _remaining(context), "started": True, "cancelled": None}
    with _lock:
        _observed[tag] = dict(rec)
    done = threading.Event()
    context.add_callback(done.set)  # runs when the RPC terminates (completed or cancelled)
    done.wait(req["sleep"])
    rec["cancelled"] = not context.is_active()
    rec["waited"] = time.monotonic() - start
    with _lock:
        _observed[tag] = rec
    return b"slow done"


def observed(request, context):
    tag = json.loads(request)["tag"]
    with _lock:
        return json.dumps(_observed.get(tag, {})).encode()


def handlers():
    u = grpc.unary_unary_rpc_method_handler
    kw = {"request_deserializer": _ident, "response_serializer": _ident}
    return grpc.method_handlers_generic_handler(SERVICE, {
        "Unary": u(unary, **kw),
        "Metadata": u(metadata, **kw),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream, **kw),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream, **kw),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi, **kw),
        "Fail": u(fail, **kw),
        "Slow": u(slow, **kw),
        "Observed": u(observed, **kw),
    })


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--max-message", type=int, default=16 * 1024 * 1024)
    a = ap.parse_args()
    opts = [("grpc.max_receive_message_length", a.max_message),
            ("grpc.max_send_message_length", a.max_message),
            ("grpc.so_reuseport", 0)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=64), options=opts,
                         maximum_concurrent_rpcs=None)
    server.add_generic_rpc_handlers((handlers(),))
    addr = "127.0.0.1:%d" % a.port
    if a.cert:
        with open(a.cert, "rb") as f:
            cert = f.read()
        with open(a.key, "rb") as f:
            key = f.read()
        port = server.add_secure_port(addr, grpc.ssl_server_credentials(((key, cert),)))
    else:
        port = server.add_insecure_port(addr)
    if not port:
        sys.exit("cannot bind %s" % addr)
    server.start()
    print("PORT %d" % port, flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
