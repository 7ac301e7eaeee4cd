"""SIGTERM graceful shutdown and SIGHUP reload."""
import signal
import threading
import time

from e2elib import (HttpConn, connect_refused, free_port, make_config, marker, port_accepts,
                    wait_for)


def test_sigterm_lets_inflight_request_finish(procs):
    b = procs.echo("inflight")
    port = free_port()
    p = procs.portico(make_config(port, {"web": [b.addr]}, timeouts={"shutdown": "10s"}))
    result = {}

    def slow_request():
        try:
            with HttpConn(port, timeout=15) as c:
                r = c.request("GET", "/slow?ms=1500")
                result["status"] = r.status
                result["body"] = r.json()
                result["done_at"] = time.monotonic()
        except Exception as e:  # noqa: BLE001
            result["error"] = repr(e)

    since = b.seq()
    t = threading.Thread(target=slow_request)
    t.start()
    wait_for(lambda: any(e["target"] == "/slow?ms=1500" for e in b.entries(since)), timeout=5,
             msg="slow request reaching the backend")
    p.signal(signal.SIGTERM)
    sent_at = time.monotonic()
    # stops accepting: new connections are refused while the old request is still running
    wait_for(lambda: connect_refused(port), timeout=1.0, msg="new connections refused")
    assert "done_at" not in result, "request finished before the listener closed?"
    t.join(15)
    assert result.get("status") == 200, result
    assert result["body"]["target"] == "/slow?ms=1500"
    rc = p.wait_exit(10)
    assert rc == 0, "exit status %s after SIGTERM:\n%s" % (rc, p.stderr())
    assert time.monotonic() - sent_at < 8


def test_sigterm_idle_exits_promptly(procs):
    b = procs.echo("idle")
    port = free_port()
    p = procs.portico(make_config(port, {"web": [b.addr]}))
    with HttpConn(port) as c:
        assert c.request("GET", "/").status == 200
        # an idle keep-alive connection must not hold up shutdown
        start = time.monotonic()
        p.signal(signal.SIGTERM)
        assert p.wait_exit(5) == 0
        assert time.monotonic() - start < 3
        assert c.wait_closed(2)


def test_sigint_stops(procs):
    b = procs.echo("int")
    port = free_port()
    p = procs.portico(make_config(port, {"web": [b.addr]}))
    p.signal(signal.SIGINT)
    assert p.wait_exit(5) == 0
    assert not port_accepts(port)


def test_shutdown_timeout_bounds_exit(procs):
    """An in-flight request longer than timeouts.shutdown does not keep portico alive."""
    b = procs.echo("tooslow")
    port = free_port()
    p = procs.portico(make_config(port, {"web": [b.addr]}, timeouts={"shutdown": "1s"}))
    since = b.seq()
    c = HttpConn(port, timeout=15)
    try:
        c.send(b"GET /slow?ms=6000 HTTP/1.1\r\nHost: example.com\r\n\r\n")
        wait_for(lambda: b.entries(since), timeout=5, msg="request reaching the backend")
        start = time.monotonic()
        p.signal(signal.SIGTERM)
        rc = p.wait_exit(5)
        assert time.monotonic() - start < 3.5, "shutdown took longer than the 1s budget"
        assert rc == 0
    finally:
        c.close()


def two_backend_config(port, target):
    return make_config(port, {"a": ["127.0.0.1:%d" % target["a"]],
                              "b": ["127.0.0.1:%d" % target["b"]]},
                       routes=[({"path_prefix": "/"}, target["route"])], workers=2)


def test_sighup_reload_changes_route_keeps_connections(procs):
    a, b = procs.echo("A"), procs.echo("B")
    port = free_port()
    ports = {"a": a.port, "b": b.port}
    p = procs.portico(two_backend_config(port, dict(ports, route="a")))
    with HttpConn(port) as kept:
        assert kept.request("GET", "/before").json()["backend"] == "A"
        p.reload(two_backend_config(port, dict(ports, route="b")))

        def new_route_active():
            with HttpConn(port) as c:
                return c.request("GET", "/probe-" + marker()).json()["backend"] == "B"

        wait_for(new_route_active, timeout=5, interval=0.1, msg="reloaded route taking effect")
        # the keep-alive connection opened before the reload still works
        r = kept.request("GET", "/after")
        assert r.status == 200
        assert r.json()["backend"] in ("A", "B")
    assert p.running()


def test_sighup_bad_config_keeps_old(procs):
    a, b = procs.echo("A2"), procs.echo("B2")
    port = free_port()
    ports = {"a": a.port, "b": b.port}
    good = two_backend_config(port, dict(ports, route="a"))
    p = procs.portico(good)
    with HttpConn(port) as c:
        assert c.request("GET", "/").json()["backend"] == "A2"
    err_before = p.log_size()
    p.reload("workers: 2\nlisteners: [ this is not valid\n")
    wait_for(lambda: str(p.config_path) in p.log_since(err_before), timeout=5,
             msg="an error naming the bad config file in portico's log")
    for i in range(5):
        with HttpConn(port) as c:
            assert c.request("GET", "/still-%d" % i).json()["backend"] == "A2"
    assert p.running()
    # a semantically invalid config (route to a missing cluster) is refused as well
    bad = two_backend_config(port, dict(ports, route="nope"))
    p.reload(bad)
    wait_for(lambda: "nope" in p.log_since(err_before), timeout=5,
             msg="an error naming the missing cluster")
    with HttpConn(port) as c:
        assert c.request("GET", "/still").json()["backend"] == "A2"
    # and a later good config is picked up
    p.reload(two_backend_config(port, dict(ports, route="b")))

    def switched():
        with HttpConn(port) as c:
            return c.request("GET", "/x").json()["backend"] == "B2"

    wait_for(switched, timeout=5, interval=0.1, msg="good config after a bad one")
