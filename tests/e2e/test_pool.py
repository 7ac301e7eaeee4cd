"""Upstream connection pooling: reuse, and safe retry when a pooled connection went stale."""
import time

from e2elib import HttpConn, free_port, make_config


def test_upstream_keepalive_reuse(procs):
    b = procs.echo("pooled")
    port = free_port()
    procs.portico(make_config(port, {"web": [b.addr]}, workers=1))
    seen = []
    with HttpConn(port) as c:
        for i in range(5):
            r = c.request("GET", "/reuse/%d" % i)
            assert r.status == 200
            info = r.json()
            seen.append((info["conn_id"], info["conn_request"]))
    assert len({cid for cid, _ in seen}) == 1, "upstream connection not reused: %s" % seen
    assert [n for _, n in seen] == [seen[0][1] + i for i in range(5)], seen


def test_upstream_reuse_across_client_connections(procs):
    b = procs.echo("pooled2")
    port = free_port()
    procs.portico(make_config(port, {"web": [b.addr]}, workers=1))
    ids = []
    for i in range(4):
        with HttpConn(port) as c:
            r = c.request("GET", "/x/%d" % i, headers=[("Connection", "close")])
            assert r.status == 200
            ids.append(r.json()["conn_id"])
    assert len(set(ids)) == 1, "each client connection opened a new upstream one: %s" % ids


def test_connection_close_from_backend_not_reused(procs):
    b = procs.echo("closer")
    port = free_port()
    procs.portico(make_config(port, {"web": [b.addr]}, workers=1))
    with HttpConn(port) as c:
        r1 = c.request("GET", "/close")
        assert r1.status == 200
        r2 = c.request("GET", "/next")
        assert r2.status == 200
        assert r2.json()["conn_id"] != r1.json()["conn_id"]


def test_backend_closing_idle_connections_no_errors(procs):
    """The issue's case: the backend closes idle keep-alive connections after 1 s, while
    portico keeps them longer (idle_timeout 4s). A GET about every second for ~8 s must never
    fail: a request that hits a connection the backend just closed is retried once on a fresh
    connection (GET is idempotent)."""
    b = procs.echo("impatient", idle_timeout=1.0)
    port = free_port()
    procs.portico(make_config(port, {"web": {"servers": [b.addr], "idle_timeout": "4s"}},
                              workers=1))
    gaps = [0.95, 1.0, 1.01, 0.99, 1.02, 1.0, 0.98, 1.03]
    results = []
    with HttpConn(port) as client:
        for i, gap in enumerate(gaps):
            try:
                r = client.request("GET", "/tick/%d" % i)
                results.append(r.status)
            except Exception as e:  # noqa: BLE001 - any failure counts
                results.append(repr(e))
                client.close()
                client = HttpConn(port)
            time.sleep(gap)  # pacing, not synchronisation: the race is the point
    errors = [x for x in results if x != 200]
    assert not errors, "requests failed: %s" % results
    assert b.stats(since=1 << 62)["connections"] >= 3, "backend never closed idle connections"


def test_backend_closing_idle_connections_new_clients(procs):
    """Same race, with a new client connection per request (curl-like)."""
    b = procs.echo("impatient2", idle_timeout=1.0)
    port = free_port()
    procs.portico(make_config(port, {"web": {"servers": [b.addr], "idle_timeout": "4s"}},
                              workers=1))
    results = []
    for i, gap in enumerate([1.0, 0.99, 1.01, 1.0]):
        try:
            with HttpConn(port) as c:
                results.append(c.request("GET", "/n/%d" % i).status)
        except Exception as e:  # noqa: BLE001
            results.append(repr(e))
        time.sleep(gap)
    assert all(x == 200 for x in results), results

