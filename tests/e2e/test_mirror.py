"""Traffic mirroring (route `mirror:`): a copy of a share of the requests goes to a shadow
cluster, its response is discarded, and nothing the shadow does (down, silent) slows or fails
the real requests. Counters are read from the admin API (cluster `counters`)."""
import time

from e2elib import HttpConn, free_port, make_config, wait_for
from lbutil import Admin


def mirror_config(port, aport, main, shadow_addr, fraction=None, shadow_opts=None, workers=2,
                  **top):
    mirror = {"cluster": "shadow"}
    if fraction is not None:
        mirror["fraction"] = fraction
    shadow_cluster = {"servers": [shadow_addr]}
    shadow_cluster.update(shadow_opts or {})
    cfg = make_config(port, {"main": [main.addr], "shadow": shadow_cluster}, workers=workers,
                      admin={"address": "127.0.0.1:%d" % aport}, **top)
    cfg["listeners"][0]["routes"] = [
        {"match": {"path_prefix": "/"}, "cluster": "main", "mirror": mirror}]
    return cfg


def counters(aport):
    return Admin(aport).cluster("shadow")["counters"]


def headers_of(entry):
    return [(n.lower(), v) for n, v in entry["headers"]]


def test_every_request_is_mirrored_with_its_body(procs):
    main = procs.echo("main")
    shadow = procs.echo("shadow")
    port, aport = free_port(), free_port()
    # One worker: the follow-up requests below find the connections its copies parked.
    procs.portico(mirror_config(port, aport, main, shadow.addr, fraction=1.0, workers=1))
    bodies = {}
    with HttpConn(port) as c:
        for i in range(20):
            if i % 2:
                body = (b"payload-%d-" % i) * 100
                r = c.request("POST", "/m/%d?q=%d" % (i, i), "site.test:8080", body=body,
                              headers=[("X-Test", "yes")])
            else:
                body = b""
                r = c.request("GET", "/m/%d?q=%d" % (i, i), "site.test:8080",
                              headers=[("X-Test", "yes")])
            assert r.status == 200 and r.json()["backend"] == "main"
            bodies[r.json()["target"]] = r.json()
    wait_for(lambda: shadow.stats()["completed"] == 20, timeout=10, msg="20 mirrored requests")
    by_target = {e["target"]: e for e in shadow.entries()}
    assert set(by_target) == set(bodies)
    for target, seen in bodies.items():
        copy = by_target[target]
        assert copy["method"] == seen["method"]
        # The same head, but for the Host, which names the shadow (Envoy's convention).
        want = [(n, "site.test-shadow:8080" if n == "host" else v) for n, v in headers_of(seen)]
        assert headers_of(copy) == want
        assert copy["body_length"] == seen["body_length"]
        assert copy["body_sha256"] == seen["body_sha256"]
    wait_for(lambda: counters(aport)["mirrored"] == 20, msg="mirrored counter")
    got = counters(aport)
    assert (got["mirror_failed"], got["mirror_dropped"], got["mirror_skipped"]) == (0, 0, 0), got
    # A copy that is over parks its connection, and the next copy reuses it.
    admin = Admin(aport)
    with HttpConn(port) as c:
        for i in range(3):
            assert c.request("GET", "/again/%d" % i, "site.test").status == 200
            wait_for(lambda: counters(aport)["mirrored"] == 21 + i and
                     admin.cluster("shadow")["servers"][0]["in_flight"] == 0,
                     msg="copy %d over" % i)
    again = [e for e in shadow.entries() if e["target"].startswith("/again/")]
    assert len(again) == 3 and len({e["conn_id"] for e in again}) == 1, again


def test_large_and_streaming_bodies_are_skipped(procs):
    main = procs.echo("main")
    shadow = procs.echo("shadow")
    port, aport = free_port(), free_port()
    procs.portico(mirror_config(port, aport, main, shadow.addr))  # fraction defaults to 1
    with HttpConn(port) as c:
        r = c.request("POST", "/upload", "site.test", body=b"x" * (100 * 1024))
        assert r.status == 200 and r.json()["body_length"] == 100 * 1024
        c.send(b"POST /stream HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200 and r.json()["body_length"] == 5
        r = c.request("POST", "/small", "site.test", body=b"y" * 1000)
        assert r.status == 200
    wait_for(lambda: shadow.stats()["completed"] == 1, msg="the small request mirrored")
    assert [e["target"] for e in shadow.entries()] == ["/small"]
    got = counters(aport)
    assert got["mirror_skipped"] == 2 and got["mirrored"] == 1, got


def test_fraction_zero_mirrors_nothing(procs):
    main = procs.echo("main")
    shadow = procs.echo("shadow")
    port, aport = free_port(), free_port()
    procs.portico(mirror_config(port, aport, main, shadow.addr, fraction=0))
    with HttpConn(port) as c:
        for i in range(30):
            assert c.request("GET", "/z/%d" % i, "site.test").status == 200
    # The decision is taken before the response is sent: nothing can still be on its way.
    assert counters(aport)["mirrored"] == 0
    assert shadow.stats()["heads"] == 0


def test_fraction_half_mirrors_about_half(procs):
    main = procs.echo("main")
    shadow = procs.echo("shadow")
    port, aport = free_port(), free_port()
    procs.portico(mirror_config(port, aport, main, shadow.addr, fraction="50%"))
    with HttpConn(port) as c:
        for i in range(200):
            assert c.request("GET", "/h/%d" % i, "site.test").status == 200
    n = counters(aport)["mirrored"]
    assert 50 <= n <= 150, n
    wait_for(lambda: shadow.stats()["completed"] == n, timeout=10, msg="%d mirrored" % n)


def test_shadow_down_never_affects_real_requests(procs):
    main = procs.echo("main")
    port, aport = free_port(), free_port()
    closed = "127.0.0.1:%d" % free_port()  # nothing listens there
    procs.portico(mirror_config(port, aport, main, closed, fraction=1.0))
    with HttpConn(port) as c:
        for i in range(30):
            t0 = time.monotonic()
            r = c.request("POST", "/d/%d" % i, "site.test", body=b"data")
            assert r.status == 200 and r.json()["backend"] == "main"
            assert time.monotonic() - t0 < 1.0
    wait_for(lambda: counters(aport)["mirror_failed"] == 30, msg="30 failed mirrors")
    assert main.stats()["completed"] == 30


def test_silent_shadow_does_not_slow_requests_and_cap_holds(procs):
    main = procs.echo("main")
    silent = procs.evil(b"")  # reads each request, never answers, keeps the connection open
    port, aport = free_port(), free_port()
    procs.portico(mirror_config(port, aport, main, silent.addr, fraction=1.0, workers=1,
                                shadow_opts={"response_timeout": "5s"},
                                limits={"max_mirrors_in_flight": 4}))
    started = time.monotonic()
    with HttpConn(port) as c:
        for i in range(20):
            t0 = time.monotonic()
            r = c.request("GET", "/s/%d" % i, "site.test")
            assert r.status == 200 and r.json()["backend"] == "main"
            assert time.monotonic() - t0 < 1.0, "request %d slowed by the shadow" % i
    elapsed = time.monotonic() - started
    got = counters(aport)
    assert got["mirrored"] + got["mirror_dropped"] == 20, got
    if elapsed < 4.5:  # no mirror can have timed out yet: exactly the cap is out
        assert got["mirrored"] == 4 and got["mirror_dropped"] == 16, got
        assert silent.connections <= 4
    else:
        assert got["mirror_dropped"] > 0, got
    # Each copy ends at the shadow's response timeout; its connection is closed.
    wait_for(lambda: counters(aport)["mirror_failed"] == counters(aport)["mirrored"],
             timeout=15, msg="silent mirrors timed out")
    wait_for(lambda: silent.peer_closed >= 4, timeout=5, msg="shadow connections closed")
    # With the copies gone, mirroring resumes.
    with HttpConn(port) as c:
        assert c.request("GET", "/again", "site.test").status == 200
    wait_for(lambda: any(b"/again" in h for h in silent.requests), msg="a new copy sent")
