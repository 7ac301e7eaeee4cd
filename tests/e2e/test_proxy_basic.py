"""Basic proxying: routing, balancing, keep-alive, pipelining, framing of bodies both ways."""
import hashlib
import os
import random

import pytest

from e2elib import (HttpConn, build_request, chunked, expected_pattern, free_port, http_request,
                    make_config, run_cmd, sha256)


@pytest.fixture(scope="module")
def env(module_procs):
    names = ["web", "api", "wild", "static", "img", "rr1", "rr2"]
    b = {n: module_procs.echo(n) for n in names}
    port, port404 = free_port(), free_port()
    cfg = make_config(
        port,
        {
            "web": [b["web"].addr],
            "api": [b["api"].addr],
            "wild": [b["wild"].addr],
            "static": [b["static"].addr],
            "img": [b["img"].addr],
            "rr": [b["rr1"].addr, b["rr2"].addr],
        },
        routes=[
            ({"host": "api.example.com", "path_prefix": "/v1"}, "api"),
            ({"host": "*.example.com"}, "wild"),
            ({"path_prefix": "/static/"}, "static"),
            ({"path_prefix": "/static/img/"}, "img"),
            ({"path_prefix": "/rr/"}, "rr"),
            ({"path_prefix": "/"}, "web"),
        ],
        extra_listeners=[{
            "name": "nocatch",
            "address": "127.0.0.1:%d" % port404,
            "routes": [{"match": {"host": "only.example.com"}, "cluster": "web"}],
        }],
    )
    p = module_procs.portico(cfg)
    return {"p": p, "port": port, "port404": port404, "b": b}


def test_get_via_curl(env):
    r = run_cmd(["curl", "-sS", "--max-time", "10", "-H", "Host: example.org",
                 "http://127.0.0.1:%d/hello/world?x=1" % env["port"]])
    assert r.returncode == 0, r.stderr
    import json
    info = json.loads(r.stdout)
    assert info["backend"] == "web"
    assert info["method"] == "GET"
    assert info["target"] == "/hello/world?x=1"


@pytest.mark.parametrize("host,path,backend", [
    ("api.example.com", "/v1/users", "api"),
    ("api.example.com", "/v1", "api"),
    ("API.Example.COM", "/v1/users", "api"),
    ("api.example.com:8080", "/v1/users", "api"),
    ("api.example.com", "/other", "wild"),
    ("foo.example.com", "/v1/users", "wild"),
    ("a.b.example.com", "/", "wild"),
    ("example.com", "/", "web"),
    ("notexample.com", "/", "web"),
    ("example.org", "/static/app.js", "static"),
    ("example.org", "/static/img/logo.png", "img"),
    ("example.org", "/static/imgx", "static"),
    ("example.org", "/staticfoo", "web"),
    ("example.org", "/static", "web"),
    ("example.org", "/", "web"),
])
def test_routing(env, host, path, backend):
    r = http_request(env["port"], target=path, host=host)
    assert r.status == 200, r
    info = r.json()
    assert info["backend"] == backend, "Host %s path %s went to %s" % (host, path, info["backend"])
    assert info["target"] == path


def test_404_when_no_route(env):
    b = env["b"]["web"]
    before = b.seq()
    with HttpConn(env["port404"]) as c:
        r = c.request("GET", "/anything", host="example.org")
        assert r.status == 404, r
        assert len(r.body) < 512
        assert r.header("server") == "portico"
        # the connection stays usable after a 404
        r2 = c.request("GET", "/x", host="only.example.com")
        assert r2.status == 200 and r2.json()["backend"] == "web"
    assert [e["target"] for e in b.entries(before)] == ["/x"]


def test_round_robin_alternates(env):
    names = []
    with HttpConn(env["port"]) as c:
        for i in range(6):
            r = c.request("GET", "/rr/%d" % i, host="example.org")
            assert r.status == 200
            names.append(r.json()["backend"])
    assert sorted(set(names)) == ["rr1", "rr2"], names
    for a, b in zip(names, names[1:]):
        assert a != b, "round robin did not alternate: %s" % names


def test_keep_alive_many_requests_one_connection(env):
    with HttpConn(env["port"]) as c:
        for i in range(5):
            r = c.request("GET", "/ka/%d" % i, host="example.org")
            assert r.status == 200, r
            assert r.json()["target"] == "/ka/%d" % i
            assert "close" not in (r.header("connection") or "").lower()


def test_pipelining_in_order(env):
    with HttpConn(env["port"]) as c:
        data = b"".join(build_request("GET", "/pipe/%d" % i, host="example.org") for i in range(3))
        c.send(data)
        targets = [c.read_response().json()["target"] for _ in range(3)]
        assert targets == ["/pipe/0", "/pipe/1", "/pipe/2"]
        # and the connection is still fine
        assert c.request("GET", "/pipe/after", host="example.org").status == 200


def test_pipelining_mixed_with_bodies(env):
    with HttpConn(env["port"]) as c:
        data = (build_request("POST", "/p/a", host="example.org", body=b"A" * 1000)
                + build_request("GET", "/p/b", host="example.org")
                + build_request("POST", "/p/c", host="example.org",
                                headers=[("Transfer-Encoding", "chunked")]) + chunked("xyz", "0123")
                + build_request("HEAD", "/p/d", host="example.org"))
        c.send(data)
        r1, r2, r3 = (c.read_response() for _ in range(3))
        r4 = c.read_response(method="HEAD")
        assert (r1.json()["target"], r1.json()["body_length"]) == ("/p/a", 1000)
        assert r2.json()["target"] == "/p/b"
        assert (r3.json()["target"], r3.json()["body_length"]) == ("/p/c", 7)
        assert r4.status == 200 and r4.body == b""


def test_head_has_no_body(env):
    with HttpConn(env["port"]) as c:
        r = c.request("HEAD", "/big?bytes=5000", host="example.org")
        assert r.status == 200
        assert r.header("content-length") == "5000"
        # if portico had sent a body, the next response would be garbage
        r2 = c.request("GET", "/after-head", host="example.org")
        assert r2.status == 200 and r2.json()["target"] == "/after-head"


def test_http10_client_connection_closes(env):
    with HttpConn(env["port"]) as c:
        r = c.request("GET", "/ten", host="example.org", version="HTTP/1.0")
        assert r.status == 200
        assert r.json()["target"] == "/ten"
        assert r.framing != "chunked", "chunked encoding sent to an HTTP/1.0 client"
        assert c.wait_closed(3), "HTTP/1.0 request without keep-alive must end with close"


def test_http10_client_keep_alive(env):
    with HttpConn(env["port"]) as c:
        for i in range(2):
            r = c.request("GET", "/ten-ka/%d" % i, host="example.org", version="HTTP/1.0",
                          headers=[("Connection", "keep-alive")])
            assert r.status == 200
            assert r.framing == "length", "keep-alive HTTP/1.0 response needs Content-Length"
            assert r.json()["target"] == "/ten-ka/%d" % i


def test_http10_client_chunked_upstream_response(env):
    """The backend answers chunked; an HTTP/1.0 client must not get chunked encoding."""
    with HttpConn(env["port"]) as c:
        r = c.request("GET", "/chunked?n=4&size=10", host="example.org", version="HTTP/1.0")
        assert r.status == 200
        assert r.framing in ("length", "close")
        assert r.body == b"".join(
            (("chunk-%05d:" % i).encode() * 2)[:10] for i in range(4))


def test_post_content_length(env):
    body = os.urandom(65536)
    r = http_request(env["port"], "POST", "/upload", host="example.org", body=body,
                     headers=[("Content-Type", "application/octet-stream")])
    assert r.status == 200
    info = r.json()
    assert info["method"] == "POST"
    assert info["body_length"] == len(body)
    assert info["body_sha256"] == sha256(body)


def test_chunked_request_body_intact(env):
    rnd = random.Random(7)
    pieces = [os.urandom(rnd.randint(1, 20000)) for _ in range(25)]
    body = b"".join(pieces)
    with HttpConn(env["port"]) as c:
        c.send(build_request("POST", "/chunked-up", host="example.org",
                             headers=[("Transfer-Encoding", "chunked")]))
        for p in pieces:  # several writes, as a streaming client would
            c.send(b"%x\r\n%s\r\n" % (len(p), p))
        c.send(b"0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200
        info = r.json()
        assert info["body_length"] == len(body)
        assert info["body_sha256"] == sha256(body)
        assert c.request("GET", "/after", host="example.org").status == 200


def test_chunked_request_with_extensions_and_trailers(env):
    body = b"5;name=value\r\nhello\r\n6;x=\"q\"\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n"
    with HttpConn(env["port"]) as c:
        c.send(build_request("POST", "/tr", host="example.org",
                             headers=[("Transfer-Encoding", "chunked")]) + body)
        r = c.read_response()
        assert r.status == 200
        info = r.json()
        assert info["body_length"] == 11
        assert info["body_sha256"] == sha256(b"hello world")
        assert c.request("GET", "/after", host="example.org").status == 200


def test_chunked_response(env):
    with HttpConn(env["port"]) as c:
        r = c.request("GET", "/chunked?n=50&size=1000", host="example.org")
        assert r.status == 200
        expected = b"".join((("chunk-%05d:" % i).encode() * 100)[:1000] for i in range(50))
        assert r.body == expected
        assert c.request("GET", "/after", host="example.org").status == 200


def test_response_trailers(env):
    with HttpConn(env["port"]) as c:
        r = c.request("GET", "/trailers", host="example.org", headers=[("TE", "trailers")])
        assert r.status == 200
        assert r.body == b"hello trailers\n"
        for name, value in r.trailers:
            assert name and value  # well-formed if forwarded
        # framing intact: the connection is usable afterwards
        assert c.request("GET", "/after", host="example.org").status == 200


def test_big_response_content_length(env):
    n = 5 * 1024 * 1024 + 17
    with HttpConn(env["port"]) as c:
        r = c.request("GET", "/big?bytes=%d" % n, host="example.org")
        assert r.status == 200
        assert len(r.body) == n
        assert r.body == expected_pattern(n)
        assert c.request("GET", "/after", host="example.org").status == 200


def test_response_delimited_by_close(env):
    with HttpConn(env["port"]) as c:
        r = c.request("GET", "/until-close", host="example.org")
        assert r.status == 200
        assert r.body == b"until close body\n" * 100


def test_backend_status_passthrough(env):
    with HttpConn(env["port"]) as c:
        r = c.request("GET", "/status/503", host="example.org")
        assert r.status == 503
        assert r.json()["backend"] == "web"
        r = c.request("GET", "/status/204", host="example.org")
        assert r.status == 204 and r.body == b""
        r = c.request("GET", "/status/304", host="example.org")
        assert r.status == 304 and r.body == b""
        r = c.request("GET", "/status/418", host="example.org")
        assert r.status == 418
        assert c.request("GET", "/after", host="example.org").status == 200


def test_expect_100_continue(env):
    body = os.urandom(100000)
    with HttpConn(env["port"]) as c:
        c.send(build_request("POST", "/expect", host="example.org",
                             headers=[("Expect", "100-continue"),
                                      ("Content-Length", str(len(body)))]))
        interim = c.read_head()  # must come before we send the body
        assert interim.status == 100, interim
        c.send(body)
        r = c.read_response()
        assert r.status == 200
        assert r.json()["body_length"] == len(body)
        assert r.json()["body_sha256"] == sha256(body)


def test_expect_100_continue_via_curl(env, tmp_path):
    f = tmp_path / "up.bin"
    data = os.urandom(300000)
    f.write_bytes(data)
    r = run_cmd(["curl", "-sS", "--max-time", "10", "--expect100-timeout", "5", "-v",
                 "-H", "Host: example.org", "-H", "Expect: 100-continue",
                 "--data-binary", "@%s" % f, "http://127.0.0.1:%d/curl-up" % env["port"]])
    assert r.returncode == 0, r.stderr
    assert "HTTP/1.1 100" in r.stderr, r.stderr
    import json
    info = json.loads(r.stdout)
    assert info["body_sha256"] == hashlib.sha256(data).hexdigest()


def test_backend_interim_100(env):
    with HttpConn(env["port"]) as c:
        r = c.request("GET", "/100", host="example.org")
        assert r.status == 200
        assert r.json()["target"] == "/100"
        assert all(i.status == 100 for i in r.interim)
        assert c.request("GET", "/after", host="example.org").status == 200


def test_large_header_and_query_preserved(env):
    big = "v" * 8000
    target = "/q?a=1&b=%20x&c=%E2%82%AC#"
    target = target.rstrip("#")
    r = http_request(env["port"], target=target, host="example.org",
                     headers=[("X-Big", big), ("X-Case-Kept", "Yes")])
    assert r.status == 200
    info = r.json()
    assert info["target"] == target
    hdrs = {n.lower(): v for n, v in info["headers"]}
    assert hdrs["x-big"] == big
    assert hdrs["x-case-kept"] == "Yes"


def test_many_concurrent_connections(env):
    conns = [HttpConn(env["port"]) for _ in range(50)]
    try:
        for i, c in enumerate(conns):
            c.send(build_request("GET", "/conc/%d" % i, host="example.org"))
        for i, c in enumerate(conns):
            r = c.read_response()
            assert r.status == 200 and r.json()["target"] == "/conc/%d" % i
    finally:
        for c in conns:
            c.close()
