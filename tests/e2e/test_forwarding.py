"""What portico adds, removes and rewrites when forwarding."""
import pytest

from e2elib import HttpConn, free_port, headers_dict, joined, make_config


def elements(value):
    return [x.strip() for x in (value or "").split(",") if x.strip()]


@pytest.fixture(scope="module")
def env(module_procs):
    b = module_procs.echo("fwd")
    dead = free_port()
    clusters = {
        "web": [b.addr],
        "rw": {"servers": [b.addr], "rewrite_host": True},
        "dead": {"servers": ["127.0.0.1:%d" % dead], "connect_timeout": "1s"},
    }
    routes = [({"host": "rw.example.com"}, "rw"), ({"host": "dead.example.com"}, "dead"),
              ({"host": "example.com"}, "web")]
    untrusted_port, trusted_port, noserver_port = free_port(), free_port(), free_port()
    module_procs.portico(make_config(untrusted_port, clusters, routes,
                                     trusted_proxies=["10.0.0.0/8"]))
    module_procs.portico(make_config(trusted_port, clusters, routes,
                                     trusted_proxies=["127.0.0.0/8"], via="edge-7"))
    module_procs.portico(make_config(noserver_port, clusters, routes, server_header=False))
    return {"b": b, "untrusted": untrusted_port, "trusted": trusted_port,
            "noserver": noserver_port, "dead": dead}


def fwd(port, target="/", host="example.com", headers=()):
    with HttpConn(port) as c:
        r = c.request("GET", target, host=host, headers=headers)
    assert r.status == 200, r
    return r.json()["headers"], r


def test_hop_by_hop_request_headers_removed(env):
    hdrs, _ = fwd(env["untrusted"], headers=[
        ("Connection", "keep-alive, Foo, X-Secret"), ("Foo", "bar"), ("X-Secret", "s"),
        ("Keep-Alive", "timeout=5"), ("Proxy-Connection", "keep-alive"), ("TE", "trailers"),
        ("Trailer", "X-T"), ("Upgrade", "something/1.0"), ("X-Kept", "yes")])
    d = headers_dict(hdrs)
    for gone in ("foo", "x-secret", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"):
        assert gone not in d, "%s forwarded: %r" % (gone, hdrs)
    conn = joined(hdrs, "connection") or ""
    assert "foo" not in conn.lower() and "x-secret" not in conn.lower(), conn
    assert d["x-kept"] == ["yes"]


def test_hop_by_hop_response_headers_removed(env):
    with HttpConn(env["untrusted"]) as c:
        r = c.request("GET", "/?rh=Connection:Bar&rh=Bar:x&rh=Keep-Alive:timeout%3D5"
                      "&rh=Proxy-Connection:keep-alive&rh=Upgrade:foo&rh=X-Resp-Kept:1")
        assert r.status == 200
        for gone in ("bar", "keep-alive", "proxy-connection", "upgrade"):
            assert not r.has(gone), "%s passed back to the client: %r" % (gone, r.headers)
        assert "bar" not in ",".join(r.header_all("connection")).lower()
        assert r.header("x-resp-kept") == "1"
        # the backend's Connection header did not close our client connection
        assert c.request("GET", "/again").status == 200


def test_via_added(env):
    hdrs, _ = fwd(env["untrusted"])
    assert elements(joined(hdrs, "via")) == ["1.1 portico"]


def test_via_appended(env):
    hdrs, _ = fwd(env["untrusted"], headers=[("Via", "1.0 fred, 1.1 p.example.net")])
    assert elements(joined(hdrs, "via")) == ["1.0 fred", "1.1 p.example.net", "1.1 portico"]


def test_via_pseudonym_from_config(env):
    hdrs, _ = fwd(env["trusted"])
    assert elements(joined(hdrs, "via")) == ["1.1 edge-7"]


def test_forwarding_headers_untrusted_peer_replaced(env):
    hdrs, _ = fwd(env["untrusted"], headers=[
        ("X-Forwarded-For", "1.2.3.4"), ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Host", "evil.example"), ("Forwarded", "for=1.2.3.4;proto=https")])
    assert elements(joined(hdrs, "x-forwarded-for")) == ["127.0.0.1"]
    assert joined(hdrs, "x-forwarded-proto") == "http"
    assert joined(hdrs, "x-forwarded-host") == "example.com"
    assert elements(joined(hdrs, "forwarded")) == ["for=127.0.0.1;host=example.com;proto=http"]


def test_forwarding_headers_added_when_absent(env):
    for port in (env["untrusted"], env["trusted"]):
        hdrs, _ = fwd(port)
        assert joined(hdrs, "x-forwarded-for") == "127.0.0.1"
        assert joined(hdrs, "x-forwarded-proto") == "http"
        assert joined(hdrs, "x-forwarded-host") == "example.com"
        assert joined(hdrs, "forwarded") == "for=127.0.0.1;host=example.com;proto=http"


def test_forwarding_headers_trusted_peer_appended(env):
    hdrs, _ = fwd(env["trusted"], headers=[
        ("X-Forwarded-For", "1.2.3.4, 5.6.7.8"), ("X-Forwarded-Proto", "https"),
        ("Forwarded", "for=1.2.3.4;proto=https")])
    assert elements(joined(hdrs, "x-forwarded-for")) == ["1.2.3.4", "5.6.7.8", "127.0.0.1"]
    assert joined(hdrs, "x-forwarded-proto") == "https"
    assert elements(joined(hdrs, "forwarded")) == [
        "for=1.2.3.4;proto=https", "for=127.0.0.1;host=example.com;proto=http"]


def test_forwarding_headers_trusted_multiple_lines(env):
    hdrs, _ = fwd(env["trusted"], headers=[("X-Forwarded-For", "1.2.3.4"),
                                          ("X-Forwarded-For", "5.6.7.8")])
    assert elements(joined(hdrs, "x-forwarded-for")) == ["1.2.3.4", "5.6.7.8", "127.0.0.1"]


def test_host_kept(env):
    hdrs, _ = fwd(env["untrusted"], host="example.com")
    assert headers_dict(hdrs)["host"] == ["example.com"]


def test_rewrite_host(env):
    hdrs, _ = fwd(env["untrusted"], target="/x", host="rw.example.com")
    assert headers_dict(hdrs)["host"] == [env["b"].addr]
    # X-Forwarded-Host still tells the backend what the client asked for
    assert joined(hdrs, "x-forwarded-host") == "rw.example.com"


def test_server_header_on_generated_errors(env):
    with HttpConn(env["untrusted"]) as c:
        r = c.request("GET", "/", host="unrouted.example.org")
        assert r.status == 404
        assert r.header("server") == "portico"
        r = c.request("GET", "/x", host="dead.example.com")
        assert r.status == 502
        assert r.header("server") == "portico"


def test_server_header_false_hides_server(env):
    with HttpConn(env["noserver"]) as c:
        r = c.request("GET", "/", host="unrouted.example.org")
        assert r.status == 404
        assert not r.has("server"), r.headers
        r = c.request("GET", "/x", host="dead.example.com")
        assert r.status == 502
        assert not r.has("server"), r.headers


def test_error_responses_do_not_leak_addresses(env):
    for target, host, status in (("/", "unrouted.example.org", 404), ("/x", "dead.example.com", 502)):
        with HttpConn(env["untrusted"]) as c:
            r = c.request("GET", target, host=host)
        assert r.status == status
        text = r.raw_head.decode("latin-1") + r.body.decode("latin-1")
        assert "127.0.0.1" not in text, text
        assert str(env["dead"]) not in text, text
        assert len(r.body) < 512
