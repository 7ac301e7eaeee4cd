"""Resilience: passive outlier detection, retries (status codes, idempotency, per-try timeout,
budget), circuit breakers, and the all-servers-down answer."""
import collections
import threading
import time

from e2elib import HttpConn, free_port, wait_for
from lbutil import Admin, Load, backends_of, ctl_backend, get, lb_config


# ---------------------------------------------------------------------------------------------
# outlier detection


def test_outlier_ejects_5xx_backend_and_returns(procs):
    good = [ctl_backend(procs, "ok%d" % i) for i in range(2)]
    bad = ctl_backend(procs, "bad", status=500)
    port, aport = free_port(), free_port()
    p = procs.portico(lb_config(port, {
        "servers": [g.addr for g in good] + [bad.addr],
        "outlier_detection": {"consecutive_5xx": 3, "base_ejection_time": "1s",
                              "max_ejection_time": "10s"}}, admin_port=aport))
    admin = Admin(aport)
    off = p.log_size()
    c = backends_of(port, 9)  # round robin: the bad one answers 3 times
    assert c["status:500"] == 3, c
    assert bad.stats()["requests"] == 3
    srv = admin.srv(bad.addr)
    assert srv["ejected"] is True and srv["ejections"] == 1, srv
    t_ejected = time.monotonic()
    wait_for(lambda: "ejected" in p.log_since(off), timeout=2, msg="ejection logged")
    # While ejected: no traffic at all (measured over most of the 1 s ejection).
    load = Load(port, threads=2, pause=0.002).start()
    try:
        while time.monotonic() < t_ejected + 0.8:
            time.sleep(0.05)
        assert bad.stats()["requests"] == 3, "an ejected server got requests"
        # Back after base_ejection_time: it gets traffic again. (Watched through its own
        # counter: under load it fails again within milliseconds, too briefly for polling the
        # admin API to see `ejected: false` reliably.)
        wait_for(lambda: bad.stats()["requests"] > 3, timeout=2,
                 msg="traffic on the returned server")
        t_back = time.monotonic()
        assert t_back - t_ejected >= 0.85, "ejection ended after %.2fs, < 1s" % (
            t_back - t_ejected)
        # It still fails: ejected again, for 2 x base this time.
        wait_for(lambda: admin.srv(bad.addr)["ejections"] == 2, timeout=2, msg="2nd ejection")
        assert admin.srv(bad.addr)["ejected"] is True
        wait_for(lambda: "ejected for 2000 ms" in p.log_since(off), timeout=2,
                 msg="second ejection logged with twice the base time")
    finally:
        load.stop()
    others = [r for r in load.failures() if r.status != 500]
    assert not others, others[:5]
    served = load.count(status=200)
    assert served["ok0"] > 50 and served["ok1"] > 50, served


def test_outlier_second_ejection_lasts_longer(procs):
    good = ctl_backend(procs, "good")
    bad = ctl_backend(procs, "bad", status=503)
    port, aport = free_port(), free_port()
    procs.portico(lb_config(port, {
        "servers": [good.addr, bad.addr],
        "outlier_detection": {"consecutive_5xx": 2, "base_ejection_time": "400ms",
                              "max_ejection_percent": 50}}, admin_port=aport))
    admin = Admin(aport)
    durations = []
    for n in (1, 2):
        with HttpConn(port) as c:
            wait_for(lambda: (c.request("GET", "/", "lb.test"), admin.srv(bad.addr)["ejected"])[1],
                     timeout=3, interval=0, msg="ejection %d" % n)
        t0 = time.monotonic()
        admin.wait_field(bad.addr, "ejected", False, timeout=3)
        durations.append(time.monotonic() - t0)
    assert 0.3 <= durations[0] <= 0.65, durations
    assert 0.7 <= durations[1] <= 1.05, ("the 2nd ejection lasts 2 x base", durations)


def test_outlier_connect_failures(procs):
    good = ctl_backend(procs, "good")
    dead = ctl_backend(procs, "dead")
    port, aport = free_port(), free_port()
    procs.portico(lb_config(port, {
        "servers": [good.addr, dead.addr],
        "outlier_detection": {"consecutive_connect_failures": 2, "base_ejection_time": "5s"}},
        admin_port=aport))
    admin = Admin(aport)
    dead.kill()
    c = backends_of(port, 20)  # connect failures are retried on the good one
    assert c == {"good": 20}, c
    assert admin.srv(dead.addr)["ejected"] is True


def test_outlier_max_ejection_percent(procs):
    bads = [ctl_backend(procs, "bad%d" % i, status=500) for i in range(4)]
    port, aport = free_port(), free_port()
    procs.portico(lb_config(port, {
        "servers": [b.addr for b in bads],
        "outlier_detection": {"consecutive_5xx": 2, "base_ejection_time": "3s",
                              "max_ejection_percent": 50}}, admin_port=aport))
    admin = Admin(aport)
    max_ejected = 0
    load = Load(port, threads=2, pause=0.002).start()
    try:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            n = sum(1 for s in admin.servers().values() if s["ejected"])
            max_ejected = max(max_ejected, n)
            time.sleep(0.02)
    finally:
        load.stop()
    assert max_ejected == 2, "4 failing servers, max_ejection_percent 50: %d ejected" % max_ejected
    # The two left in rotation keep getting (failing) traffic; nothing goes unanswered.
    assert all(r.status == 500 for r in load.snapshot()), load.failures()[:3]
    got = [b.stats()["requests"] for b in bads]
    assert sum(1 for g in got if g > 20) == 2, got


def test_outlier_max_ejection_percent_zero(procs):
    a = ctl_backend(procs, "a", status=500)
    b = ctl_backend(procs, "b")
    port, aport = free_port(), free_port()
    procs.portico(lb_config(port, {
        "servers": [a.addr, b.addr],
        "outlier_detection": {"consecutive_5xx": 1, "max_ejection_percent": 0}},
        admin_port=aport))
    admin = Admin(aport)
    c = backends_of(port, 40)
    assert c == {"status:500": 20, "b": 20}, c
    assert admin.srv(a.addr)["ejected"] is False and admin.srv(a.addr)["ejections"] == 0


# ---------------------------------------------------------------------------------------------
# retries


def retry_cluster(backends, **retry):
    return {"servers": [b.addr for b in backends], "retry": retry}


def test_retry_on_503(procs):
    bad = ctl_backend(procs, "bad", status=503)
    good = ctl_backend(procs, "good")
    port = free_port()
    procs.portico(lb_config(port, retry_cluster([bad, good], retry_on=[503], max_retries=1)))
    c = backends_of(port, 60)
    assert c == {"good": 60}, ("every client should see the 200 of the retry", c)
    assert bad.stats()["requests"] == 30, bad.stats()
    # Concurrent clients, within the default budget (3 always allowed).
    load = Load(port, threads=3, total=600).run()
    assert not load.failures(), load.failures()[:5]


def test_503_not_retried_without_retry_on(procs):
    bad = ctl_backend(procs, "bad", status=503)
    good = ctl_backend(procs, "good")
    port = free_port()
    procs.portico(lb_config(port, {"servers": [bad.addr, good.addr]}))  # default retry_on
    c = backends_of(port, 40)
    assert c == {"status:503": 20, "good": 20}, c


def test_retry_exhausted_returns_last_answer(procs):
    bads = [ctl_backend(procs, "bad%d" % i, status=503) for i in range(3)]
    port = free_port()
    procs.portico(lb_config(port, retry_cluster(bads, retry_on=[503], max_retries=2)))
    r = get(port, "/")
    assert r.status == 503, r
    assert sum(b.stats()["requests"] for b in bads) == 3, [b.stats() for b in bads]
    assert {b.stats()["requests"] for b in bads} == {1}, "retries must go to other servers"


def test_post_not_retried_unless_route_allows(procs):
    bad = ctl_backend(procs, "bad", status=503)
    good = ctl_backend(procs, "good")
    port = free_port()
    cfg = lb_config(port, retry_cluster([bad, good], retry_on=[503, "connect-failure"]),
                    routes=[({"path_prefix": "/upload"}, "web"), ({"path_prefix": "/"}, "web")])
    cfg["listeners"][0]["routes"][0]["retry_non_idempotent"] = True
    procs.portico(cfg)
    statuses = collections.Counter()
    with HttpConn(port) as c:
        for i in range(20):
            r = c.request("POST", "/form", "lb.test", body="x=%d" % i)
            statuses[r.status] += 1
    assert statuses == {503: 10, 200: 10}, ("POST must not be retried by default", statuses)
    assert bad.stats()["methods"].get("POST") == 10
    bad.reset()
    good.reset()
    with HttpConn(port) as c:
        for i in range(20):
            r = c.request("POST", "/upload/x", "lb.test", body="data-%d" % i)
            assert r.status == 200 and r.header("X-Backend") == "good", r
    assert bad.stats()["methods"].get("POST") == 10
    assert good.stats()["methods"].get("POST") == 20
    # PUT and DELETE are idempotent: retried on the plain route.
    with HttpConn(port) as c:
        for m in ("PUT", "DELETE", "PUT", "DELETE"):
            r = c.request(m, "/thing", "lb.test", body="v")
            assert r.status == 200, (m, r)


def test_per_try_timeout_retries_elsewhere(procs):
    slow = ctl_backend(procs, "slow", delay_ms=1500)
    fast = ctl_backend(procs, "fast")
    port = free_port()
    procs.portico(lb_config(port, retry_cluster(
        [slow, fast], retry_on=["per-try-timeout"], max_retries=1, per_try_timeout="200ms")))
    with HttpConn(port) as c:
        for _ in range(6):
            t0 = time.monotonic()
            r = c.request("GET", "/", "lb.test")
            dt = time.monotonic() - t0
            assert r.status == 200 and r.header("X-Backend") == "fast", (
                "per_try_timeout 200ms: answered by %s after %.2fs" % (r.header("X-Backend"), dt))
            assert dt < 0.6, "took %.2fs; the slow try should be abandoned after 200ms" % dt
    assert slow.stats()["requests"] == 3


def test_per_try_timeout_not_retried_gives_504(procs):
    slow = ctl_backend(procs, "slow", delay_ms=1500)
    fast = ctl_backend(procs, "fast")
    port = free_port()
    # One worker: round robin is per worker, and the test needs one request on each server.
    procs.portico(lb_config(port, retry_cluster(
        [slow, fast], retry_on=["connect-failure"], per_try_timeout="200ms"), workers=1))
    t0 = time.monotonic()
    statuses = collections.Counter(get(port, "/").status for _ in range(2))
    assert statuses == {504: 1, 200: 1}, statuses
    assert time.monotonic() - t0 < 1.0


def test_per_try_timeout_fresh_and_reused_connections(procs):
    """per_try_timeout bounds an attempt whether its upstream connection is new or pooled."""
    one = ctl_backend(procs, "one")
    port = free_port()
    procs.portico(lb_config(port, retry_cluster([one], retry_on=[], per_try_timeout="200ms"),
                            workers=1))
    results = []
    with HttpConn(port) as c:
        for target in ("/?ms=0", "/?ms=1000", "/?ms=1000"):
            t0 = time.monotonic()
            r = c.request("GET", target, "lb.test")
            results.append((target, r.status, round(time.monotonic() - t0, 2)))
    # 1st: fresh connection, fast. 2nd: the pooled connection. 3rd: a fresh one again (the
    # timed-out connection was closed).
    assert results[0][1] == 200, results
    assert [x[1] for x in results[1:]] == [504, 504], (
        "per_try_timeout 200ms; (target, status, seconds) = %s" % results)
    assert all(x[2] < 0.6 for x in results[1:]), results


def test_retry_budget_zero_disables_retries(procs):
    bad = ctl_backend(procs, "bad", status=503)
    good = ctl_backend(procs, "good")
    port = free_port()
    procs.portico(lb_config(port, retry_cluster(
        [bad, good], retry_on=[503], budget={"percent": 0, "min_concurrency": 0})))
    c = backends_of(port, 40)
    assert c == {"status:503": 20, "good": 20}, ("budget 0: no retries", c)
    assert bad.stats()["requests"] == 20


def test_retry_overall_timeout(procs):
    bads = [ctl_backend(procs, "s%d" % i, delay_ms=1000) for i in range(3)]
    port = free_port()
    procs.portico(lb_config(port, retry_cluster(
        bads, retry_on=["per-try-timeout"], max_retries=5, per_try_timeout="200ms",
        timeout="500ms")))
    t0 = time.monotonic()
    r = get(port, "/")
    dt = time.monotonic() - t0
    assert r.status == 504, r
    assert dt < 0.9, "overall retry timeout 500ms, took %.2fs" % dt


# ---------------------------------------------------------------------------------------------
# circuit breaker


def burst(port, n, target="/"):
    """n concurrent requests on their own connections, released together. Returns
    [(status, seconds)]."""
    conns = [HttpConn(port) for _ in range(n)]
    out = [None] * n
    go = threading.Barrier(n)

    def one(i):
        go.wait()
        t0 = time.monotonic()
        try:
            r = conns[i].request("GET", target, "lb.test")
            out[i] = (r.status, time.monotonic() - t0)
        except Exception as e:  # noqa: BLE001 - reported by the test
            out[i] = (repr(e), time.monotonic() - t0)
        finally:
            conns[i].close()

    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    return out


def test_circuit_breaker_max_requests(procs):
    slow = ctl_backend(procs, "slow", delay_ms=500)
    port = free_port()
    aport = free_port()
    procs.portico(lb_config(port, {"servers": [slow.addr],
                                   "circuit_breaker": {"max_requests": 2}}, admin_port=aport))
    res = burst(port, 10)
    ok = [t for s, t in res if s == 200]
    rejected = [t for s, t in res if s == 503]
    assert len(ok) + len(rejected) == 10, res
    assert len(ok) == 2, ("max_requests 2: exactly two in flight", res)
    assert all(t < 0.1 for t in rejected), ("rejections must be immediate", res)
    assert all(t >= 0.45 for t in ok), res
    assert slow.stats()["max_in_flight"] <= 2, slow.stats()
    # The rejections are counted and visible in the admin API.
    counters = Admin(aport).cluster("web")["counters"]
    assert counters["overflow_requests"] == 8, counters
    # Once they are done, requests pass again.
    assert get(port, "/").status == 200


def test_circuit_breaker_max_connections(procs):
    slow = ctl_backend(procs, "slow", delay_ms=500)
    port = free_port()
    procs.portico(lb_config(port, {"servers": [slow.addr],
                                   "circuit_breaker": {"max_connections": 2}}))
    res = burst(port, 10)
    ok = [t for s, t in res if s == 200]
    rejected = [t for s, t in res if s == 503]
    assert len(ok) + len(rejected) == 10, res
    assert len(ok) == 2, res
    assert all(t < 0.1 for t in rejected), ("rejections must be immediate", res)
    st = slow.stats()
    assert st["max_open"] <= 2 and st["max_in_flight"] <= 2, st
    # After the burst the cluster's connections sit idle in the pools (of either worker); a new
    # request on any worker must still be served. max_connections counts connections in use
    # (as nginx max_conns; docs/config.md), so idle pooled ones do not block it and the backend
    # never has more than 2 requests in flight.
    statuses = collections.Counter(get(port, "/?ms=0").status for _ in range(20))
    assert statuses == {200: 20}, (
        "max_connections 2 with both connections idle: fresh client connections got %s" % statuses)
    assert slow.stats()["max_in_flight"] <= 2, slow.stats()


def test_circuit_breaker_max_pending_queues_then_rejects(procs):
    """max_connections 1 + max_pending 3: of 6 concurrent requests one runs, three wait for the
    connection and are served in turn, two are rejected at once."""
    slow = ctl_backend(procs, "slow", delay_ms=300)
    port = free_port()
    procs.portico(lb_config(port, {"servers": [slow.addr], "connect_timeout": "5s",
                                   "circuit_breaker": {"max_connections": 1, "max_pending": 3}},
                            workers=1))
    res = burst(port, 6)
    ok = sorted(t for s, t in res if s == 200)
    rejected = [t for s, t in res if s == 503]
    assert len(ok) == 4 and len(rejected) == 2, res
    assert all(t < 0.1 for t in rejected), ("rejections must be immediate", res)
    # served one after another over the single connection
    assert ok[-1] >= 4 * 0.3 - 0.05, res
    assert slow.stats()["max_in_flight"] <= 1, slow.stats()


# ---------------------------------------------------------------------------------------------
# all servers down


def test_all_servers_down_503_retry_after_logged_once(procs):
    bs = [ctl_backend(procs, "d%d" % i) for i in range(2)]
    port, aport = free_port(), free_port()
    p = procs.portico(lb_config(port, {
        "servers": [b.addr for b in bs],
        "health_check": {"type": "tcp", "interval": "100ms", "timeout": "80ms", "fall": 1,
                         "rise": 1}}, admin_port=aport))
    admin = Admin(aport)
    off = p.log_size()
    for b in bs:
        b.kill()
    for b in bs:
        admin.wait_field(b.addr, "healthy", False, timeout=3)
    load = Load(port, threads=2, total=200, keep_responses=True).run()
    recs = load.snapshot()
    assert {r.status for r in recs} == {503}, collections.Counter(r.status for r in recs)
    r = recs[0].resp
    assert r.header("Retry-After") is not None and r.header("Retry-After").isdigit(), r
    assert len(r.body) < 200, r
    assert all(rec.t1 - rec.t0 < 0.1 for rec in recs), "503 must be immediate"
    log = p.log_since(off)
    assert log.count("no server available") == 1, (
        "the 'no server available' line should be logged once, not per request:\n" + log[-2000:])
    # Recovery is logged, and a later outage is logged again (once).
    bs[0].start()
    admin.wait_field(bs[0].addr, "healthy", True, timeout=3)
    wait_for(lambda: get(port, "/").status == 200, timeout=3, msg="served again")
    bs[0].kill()
    admin.wait_field(bs[0].addr, "healthy", False, timeout=3)
    for _ in range(20):
        assert get(port, "/").status == 503
    log = p.log_since(off)
    assert log.count("no server available") == 2, log[-2000:]


def test_all_servers_disabled_503(procs):
    bs = [ctl_backend(procs, "x%d" % i) for i in range(2)]
    port, aport = free_port(), free_port()
    procs.portico(lb_config(port, {"servers": [b.addr for b in bs]}, admin_port=aport))
    admin = Admin(aport)
    for b in bs:
        admin.action(b.addr, "disable")
    r = get(port, "/")
    assert r.status == 503 and r.header("Retry-After"), r
    assert sum(b.stats()["requests"] for b in bs) == 0
