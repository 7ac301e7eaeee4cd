"""The admin JSON API, exercised while traffic flows: add, drain, disable, enable, re-weight and
remove servers, and the error answers."""
import json
import threading
import time

from e2elib import HttpConn, free_port, wait_for
from lbutil import Admin, Load, backends_of, ctl_backend, get, lb_config


def test_admin_changes_under_load(procs):
    a, b = ctl_backend(procs, "a"), ctl_backend(procs, "b")
    c = ctl_backend(procs, "c")
    port, aport = free_port(), free_port()
    procs.portico(lb_config(port, {"servers": [a.addr, b.addr]}, admin_port=aport))
    admin = Admin(aport)
    load = Load(port, threads=3, pause=0.001).start()
    try:
        load.wait_requests(200)
        assert c.stats()["requests"] == 0

        # add: the new server starts getting traffic.
        st, js, _ = admin.request("POST", "/clusters/web/servers", {"address": c.addr})
        assert st == 201, js
        assert c.addr in [s["address"] for s in js["servers"]], js
        wait_for(lambda: c.stats()["requests"] > 50, timeout=3, msg="added server gets traffic")

        # drain: in-flight (slow) requests on b complete with 200; b gets nothing new.
        b.set(delay=700)
        wait_for(lambda: b.stats()["in_flight"] >= 1, timeout=3, msg="slow request on b")
        srv = admin.action(b.addr, "drain")
        t_drain = time.monotonic()
        assert srv["admin"] == "draining", srv
        assert srv["in_flight"] >= 1, srv
        n_b = b.stats()["requests"]
        admin.wait_field(b.addr, "in_flight", 0, timeout=3)
        assert b.stats()["in_flight"] == 0
        slow_done = [r for r in load.snapshot() if r.backend == "b" and r.t1 > t_drain]
        assert slow_done and all(r.status == 200 for r in slow_done), slow_done
        time.sleep(0.3)  # measures a window: nothing new reaches the drained server
        assert b.stats()["requests"] == n_b, "a draining server got new requests"
        b.set(delay=0)

        # disable / enable.
        srv = admin.action(a.addr, "disable")
        assert srv["admin"] == "disabled", srv
        n_a = a.stats()["requests"]
        time.sleep(0.3)  # measures a window
        assert a.stats()["requests"] == n_a, "a disabled server got requests"
        srv = admin.action(a.addr, "enable")
        assert srv["admin"] == "enabled", srv
        wait_for(lambda: a.stats()["requests"] > n_a + 30, timeout=3, msg="re-enabled server used")

        # re-weight: a 1, c 4 (b still draining): distribution follows.
        srv = admin.set_weight(c.addr, 4)
        assert srv["weight"] == 4, srv
        t_w = time.monotonic()
        load.wait_requests(len(load.records) + 1500, timeout=10)
        cnt = load.count(since=t_w + 0.05)
        share_c = cnt["c"] / (cnt["a"] + cnt["c"])
        assert abs(share_c - 0.8) < 0.05, ("weights a=1 c=4: share of c %.3f" % share_c, cnt)
        assert cnt["b"] == 0, cnt

        # remove: c gets nothing afterwards; the cluster lists a and b.
        js = admin.remove(c.addr)
        assert sorted(s["address"] for s in js["servers"]) == sorted([a.addr, b.addr]), js
        admin.wait_field(c.addr, "in_flight", None, timeout=1)  # gone from the listing
        # Requests picked before the workers adopted the change may still be on their way.
        wait_for(lambda: c.stats()["in_flight"] == 0, timeout=3, msg="c idle")
        n_c = c.stats()["requests"]
        t_rm = time.monotonic()
        load.wait_requests(len(load.records) + 300, timeout=10)
        assert c.stats()["requests"] == n_c, "a removed server got requests"
        assert load.count(since=t_rm)["c"] == 0
    finally:
        load.stop()
    assert not load.failures(), load.failures()[:5]


def test_admin_remove_with_request_in_flight(procs):
    a, b = ctl_backend(procs, "a"), ctl_backend(procs, "b")
    port, aport = free_port(), free_port()
    procs.portico(lb_config(port, {
        "servers": [a.addr, b.addr],
        "lb": {"policy": "hash", "key": {"source": "header", "name": "X-K"}}}, admin_port=aport))
    admin = Admin(aport)
    key = next(k for k in ("k%d" % i for i in range(100))
               if get(port, "/", headers=[("X-K", k)]).header("X-Backend") == "b")
    out = {}

    def slow():
        out["r"] = get(port, "/?ms=800", headers=[("X-K", key)])

    t = threading.Thread(target=slow)
    t.start()
    wait_for(lambda: b.stats()["in_flight"] >= 1, timeout=3, msg="slow request on b")
    js = admin.remove(b.addr)
    assert [s["address"] for s in js["servers"]] == [a.addr], js
    t.join(5)
    assert out["r"].status == 200 and out["r"].header("X-Backend") == "b", out["r"]
    n = b.stats()["requests"]
    assert backends_of(port, 10, headers=[("X-K", key)]) == {"a": 10}
    assert b.stats()["requests"] == n


def test_admin_weight_changes_round_robin_exactly(procs):
    bs = [ctl_backend(procs, "w%d" % i) for i in range(3)]
    port, aport = free_port(), free_port()
    procs.portico(lb_config(port, {"servers": [b.addr for b in bs]}, admin_port=aport,
                            workers=1))
    admin = Admin(aport)
    assert backends_of(port, 30) == {"w0": 10, "w1": 10, "w2": 10}
    admin.set_weight(bs[0].addr, 3)
    st, js, _ = admin.request("POST", "/clusters/web/servers/%s/weight" % bs[2].addr,
                              {"weight": 2})
    assert st == 200 and js["weight"] == 2, js
    assert backends_of(port, 60) == {"w0": 30, "w1": 10, "w2": 20}
    cl = admin.cluster()
    assert [s["weight"] for s in cl["servers"]] == [3, 1, 2], cl


def test_admin_add_backup_and_listing(procs):
    a, bk = ctl_backend(procs, "a"), ctl_backend(procs, "bk")
    port, aport = free_port(), free_port()
    procs.portico(lb_config(port, {"servers": [a.addr], "lb": "least_conn"}, admin_port=aport))
    admin = Admin(aport)
    st, js, hdrs = admin.request("GET", "/clusters")
    assert st == 200 and hdrs["content-type"].startswith("application/json"), hdrs
    assert [c["name"] for c in js["clusters"]] == ["web"] and js["clusters"][0]["policy"] == \
        "least_conn", js
    srv = js["clusters"][0]["servers"][0]
    assert set(srv) >= {"address", "weight", "backup", "healthy", "ejected", "admin",
                        "in_flight", "requests", "failures", "ejections"}, srv
    st, js, _ = admin.request("POST", "/clusters/web/servers",
                              {"address": bk.addr, "weight": 2, "backup": True})
    assert st == 201, js
    new = [s for s in js["servers"] if s["address"] == bk.addr][0]
    assert new["backup"] is True and new["weight"] == 2 and new["requests"] == 0, new
    assert backends_of(port, 20) == {"a": 20}
    admin.action(a.addr, "disable")
    assert backends_of(port, 20) == {"bk": 20}
    admin.action(a.addr, "enable")
    assert backends_of(port, 20) == {"a": 20}
    assert admin.srv(a.addr)["requests"] == 40
    assert admin.srv(bk.addr)["requests"] == 20
    st, js, _ = admin.request("GET", "/clusters/web/servers")
    assert st == 200 and len(js["servers"]) == 2, js
    st, js, _ = admin.request("GET", "/health")
    assert st == 200 and js["status"] == "ok", js


def test_admin_errors(procs):
    a, b = ctl_backend(procs, "a"), ctl_backend(procs, "b")
    port, aport = free_port(), free_port()
    procs.portico(lb_config(port, {"servers": [a.addr, b.addr]}, admin_port=aport))
    admin = Admin(aport)

    problems = []

    def expect(status, method, path, body=None, raw=None):
        """Records (rather than stops at) a wrong answer, so one run shows them all."""
        st, js, hdrs = admin.request(method, path, body, raw=raw)
        if st != status:
            problems.append("%s %s %s -> %d (expected %d): %s" % (
                method, path, json.dumps(body) if raw is None else raw, st, status,
                json.dumps(js)[:200]))
            if st == 201 and body and "address" in body:  # undo a wrong add
                admin.request("DELETE", "/clusters/web/servers/%s" % body["address"])
            return {"error": ""}, hdrs
        if method != "HEAD" and not (isinstance(js, dict) and isinstance(js.get("error"), str)):
            problems.append("%s %s: error body %r" % (method, path, js))
        return js, hdrs

    js, _ = expect(404, "GET", "/clusters/nope")
    assert "nope" in js["error"], js
    expect(404, "POST", "/clusters/nope/servers", {"address": "127.0.0.1:9"})
    expect(404, "POST", "/clusters/nope/servers/%s/drain" % a.addr)
    expect(404, "GET", "/nothing/here")
    for bad in ("not-an-address", "127.0.0.1", "127.0.0.1:99999", "example.com:80", ":8080",
                "", "1.2.3.4:0"):
        expect(400, "POST", "/clusters/web/servers", {"address": bad})
    expect(400, "POST", "/clusters/web/servers", {"address": 12})
    expect(400, "POST", "/clusters/web/servers", {})
    js, _ = expect(400, "POST", "/clusters/web/servers", {"address": "127.0.0.1:9", "wieght": 2})
    assert "wieght" in js["error"], js
    expect(400, "POST", "/clusters/web/servers", {"address": "127.0.0.1:9", "weight": 0})
    expect(400, "POST", "/clusters/web/servers", {"address": "127.0.0.1:9", "weight": 1001})
    expect(400, "POST", "/clusters/web/servers", {"address": "127.0.0.1:9", "backup": "yes"})
    expect(400, "POST", "/clusters/web/servers", raw='{"address": ')
    expect(400, "POST", "/clusters/web/servers", raw='[1, 2]')
    expect(409, "POST", "/clusters/web/servers", {"address": a.addr})
    expect(404, "POST", "/clusters/web/servers/127.0.0.1:1/drain")
    expect(404, "DELETE", "/clusters/web/servers/127.0.0.1:1")
    expect(400, "PUT", "/clusters/web/servers/%s/weight" % a.addr, {"weight": 0})
    expect(400, "PUT", "/clusters/web/servers/%s/weight" % a.addr, {"weight": "2"})
    expect(400, "PUT", "/clusters/web/servers/%s/weight" % a.addr, {})
    js, hdrs = expect(405, "GET", "/clusters/web/servers/%s/drain" % a.addr)
    assert hdrs.get("allow") == "POST", hdrs
    js, hdrs = expect(405, "DELETE", "/clusters")
    assert "GET" in hdrs.get("allow", ""), hdrs
    # Removing the last server is refused.
    admin.remove(a.addr)
    expect(409, "DELETE", "/clusters/web/servers/%s" % b.addr)
    # A chunked body is refused with 411.
    with HttpConn(aport) as c:
        c.send("POST /clusters/web/servers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
               "\r\n5\r\nhello\r\n0\r\n\r\n")
        r = c.read_response()
        assert r.status == 411, r
    # Traffic is untouched by all of this.
    assert backends_of(port, 10) == {"b": 10}
    assert not problems, "wrong admin answers:\n" + "\n".join(problems)


def test_admin_ipv6_and_encoded_addresses(procs):
    import socket
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
    except OSError:
        import pytest
        pytest.skip("no IPv6 loopback")
    a = ctl_backend(procs, "a")
    port, aport = free_port(), free_port()
    procs.portico(lb_config(port, {"servers": [a.addr]}, admin_port=aport))
    admin = Admin(aport)
    st, js, _ = admin.request("POST", "/clusters/web/servers", {"address": "[::1]:9"})
    assert st == 201, js
    st, js, _ = admin.request("GET", "/clusters/web/servers/%5B%3A%3A1%5D%3A9")
    assert st == 200 and js["address"] == "[::1]:9", js
    st, js, _ = admin.request("POST", "/clusters/web/servers/[0:0::1]:9/disable")
    assert st == 200 and js["admin"] == "disabled", js
    st, js, _ = admin.request("DELETE", "/clusters/web/servers/%5B%3A%3A1%5D%3A9")
    assert st == 200 and len(js["servers"]) == 1, js


def test_admin_state_survives_reload(procs):
    a, b, c = (ctl_backend(procs, n) for n in ("a", "b", "c"))
    port, aport = free_port(), free_port()
    cfg = lb_config(port, {"servers": [a.addr, b.addr]}, admin_port=aport)
    p = procs.portico(cfg)
    admin = Admin(aport)
    admin.action(a.addr, "drain")
    admin.set_weight(b.addr, 7)
    admin.add(c.addr)
    off = p.log_size()
    p.reload(cfg)
    wait_for(lambda: "reload" in p.log_since(off).lower(), timeout=5, msg="reload logged")
    wait_for(lambda: c.addr not in admin.servers(), timeout=5,
             msg="servers added through the API are dropped by a reload")
    srv = admin.servers()
    assert srv[a.addr]["admin"] == "draining", srv
    assert srv[b.addr]["weight"] == 7, srv
    assert backends_of(port, 10) == {"b": 10}

