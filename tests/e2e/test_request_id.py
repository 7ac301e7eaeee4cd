"""Request IDs and W3C trace context: generated or kept, sent upstream, returned to the client
and written to the access log."""
import json
import re

from e2elib import HttpConn, free_port, make_config, wait_for

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
VALID_TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def upstream_headers(r):
    hs = {}
    for k, v in r.json()["headers"]:
        hs.setdefault(k.lower(), []).append(v)
    return hs


def test_generated_id_reaches_backend_client_and_log(procs, tmp_path):
    b = procs.echo("b")
    log = tmp_path / "access.log"
    port = free_port()
    procs.portico(make_config(port, {"web": [b.addr]},
                              access_log={"path": str(log), "format": "json"}))
    seen = []
    with HttpConn(port) as c:
        for _ in range(3):
            r = c.request("GET", "/", "a.test")
            assert r.status == 200
            rid = r.header("X-Request-ID")
            assert rid and UUID4.match(rid), rid
            up = upstream_headers(r)
            assert up["x-request-id"] == [rid]
            assert len(up["traceparent"]) == 1 and TRACEPARENT.match(up["traceparent"][0])
            seen.append((rid, up["traceparent"][0][3:35]))
    assert len({s[0] for s in seen}) == 3, "ids must be unique per request"
    lines = wait_for(lambda: len(log.read_text().splitlines()) >= 3 and log.read_text(),
                     timeout=5, msg="3 log lines").splitlines()
    logged = [(json.loads(l)["request_id"], json.loads(l)["trace_id"]) for l in lines]
    assert logged == seen


def test_client_id_kept_only_from_trusted_proxies(procs):
    b = procs.echo("b")
    port, tport = free_port(), free_port()
    procs.portico(make_config(port, {"web": [b.addr]}))
    procs.portico(make_config(tport, {"web": [b.addr]}, trusted_proxies=["127.0.0.0/8"]))
    with HttpConn(port) as c:
        r = c.request("GET", "/", "a.test", headers=[("X-Request-ID", "client-chosen-1")])
        assert r.header("X-Request-ID") != "client-chosen-1"
        assert upstream_headers(r)["x-request-id"] == [r.header("X-Request-ID")]
    with HttpConn(tport) as c:
        r = c.request("GET", "/", "a.test", headers=[("X-Request-ID", "edge-chosen-1")])
        assert r.header("X-Request-ID") == "edge-chosen-1"
        assert upstream_headers(r)["x-request-id"] == ["edge-chosen-1"]
        # Malformed ids are never kept, even from a trusted proxy.
        r = c.request("GET", "/", "a.test", headers=[("X-Request-ID", "<bad id>")])
        assert UUID4.match(r.header("X-Request-ID"))


def test_traceparent_propagated_or_restarted(procs):
    b = procs.echo("b")
    port = free_port()
    procs.portico(make_config(port, {"web": [b.addr]}))
    with HttpConn(port) as c:
        r = c.request("GET", "/", "a.test", headers=[("traceparent", VALID_TP),
                                                     ("tracestate", "vendor=1")])
        up = upstream_headers(r)
        assert up["traceparent"] == [VALID_TP]
        assert up["tracestate"] == ["vendor=1"]
        # An invalid one starts a new trace; its tracestate goes with it.
        r = c.request("GET", "/", "a.test", headers=[("traceparent", "00-zz-yy-01"),
                                                     ("tracestate", "vendor=1")])
        up = upstream_headers(r)
        assert TRACEPARENT.match(up["traceparent"][0]) and up["traceparent"][0] != "00-zz-yy-01"
        assert "tracestate" not in up


def test_request_id_can_be_configured_or_off(procs):
    b = procs.echo("b")
    port, off_port = free_port(), free_port()
    procs.portico(make_config(port, {"web": [b.addr]}, request_id={
        "header": "X-Correlation-ID", "keep_incoming": "always", "response_header": False}))
    procs.portico(make_config(off_port, {"web": [b.addr]}, request_id=False))
    with HttpConn(port) as c:
        r = c.request("GET", "/", "a.test", headers=[("X-Correlation-ID", "abc")])
        assert r.header("X-Correlation-ID") is None
        assert upstream_headers(r)["x-correlation-id"] == ["abc"]
    with HttpConn(off_port) as c:
        r = c.request("GET", "/", "a.test")
        assert r.header("X-Request-ID") is None
        up = upstream_headers(r)
        assert "x-request-id" not in up and "traceparent" not in up


def test_ids_differ_between_processes(procs):
    """Regression: the generator was not seeded per process, so two portico processes handed
    out the same sequence of request ids and trace ids."""
    b = procs.echo("b")
    first = []
    for _ in range(2):
        port = free_port()
        procs.portico(make_config(port, {"web": [b.addr]}, workers=1))
        with HttpConn(port) as c:
            first.append(c.request("GET", "/", "a.test").header("X-Request-ID"))
    assert first[0] and first[1] and first[0] != first[1], first
