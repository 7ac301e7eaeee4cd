"""Route actions: redirects, direct responses, request/response header changes with
variables, path prefix rewrites and per-route HSTS."""
import os

import pytest

from e2elib import HttpConn, build_request, decompress, free_port, make_config


def route_config(port, backend, routes, **kw):
    cfg = make_config(port, {"web": [backend.addr]}, **kw)
    cfg["listeners"][0]["routes"] = routes
    return cfg


def upstream_headers(r):
    hs = {}
    for k, v in r.json()["headers"]:
        hs.setdefault(k.lower(), []).append(v)
    return hs


def test_redirects(procs):
    b = procs.echo("b")
    port = free_port()
    procs.portico(route_config(port, b, [
        {"match": {"path_prefix": "/old/"}, "redirect": {"status": 301, "prefix_rewrite": "/new/"}},
        {"match": {"path": "/moved"}, "redirect": {"status": 308, "host": "other.test",
                                                   "path": "/here", "strip_query": True}},
        {"match": {"path_prefix": "/secure"}, "redirect": {"scheme": "https", "port": 8443}},
        {"match": {"path_prefix": "/"}, "cluster": "web"},
    ]))
    with HttpConn(port) as c:
        r = c.request("GET", "/old/a/b?x=1", "site.test:8080")
        assert r.status == 301 and r.header("Location") == "http://site.test:8080/new/a/b?x=1"
        r = c.request("GET", "/moved?drop=me", "site.test")
        assert r.status == 308 and r.header("Location") == "http://other.test/here"
        r = c.request("GET", "/secure/x", "site.test:8080")
        assert r.status == 302 and r.header("Location") == "https://site.test:8443/secure/x"
        assert r.header("X-Request-ID")
        # The connection is kept and the catch-all still proxies.
        assert c.request("GET", "/other", "site.test").json()["backend"] == "b"
    assert b.stats()["heads"] == 1, "a redirected request reached the backend"


def test_direct_response(procs):
    b = procs.echo("b")
    port = free_port()
    procs.portico(route_config(port, b, [
        {"match": {"path": "/healthz"}, "direct_response": {"status": 200, "body": "ok\n"}},
        {"match": {"path": "/gone"}, "direct_response": {"status": 410, "body": '{"gone":true}',
                                                         "content_type": "application/json"}},
        {"match": {"path": "/empty"}, "direct_response": {"status": 204}},
        {"match": {"path_prefix": "/"}, "cluster": "web"},
    ]))
    with HttpConn(port) as c:
        r = c.request("GET", "/healthz", "site.test")
        assert (r.status, r.body) == (200, b"ok\n")
        assert r.header("Content-Type").startswith("text/plain")
        r = c.request("GET", "/gone", "site.test")
        assert (r.status, r.body, r.header("Content-Type")) == (410, b'{"gone":true}',
                                                                 "application/json")
        r = c.request("HEAD", "/healthz", "site.test")
        assert r.status == 200 and r.header("Content-Length") == "3" and r.body == b""
        r = c.request("GET", "/empty", "site.test")
        assert r.status == 204 and r.body == b""
        assert c.request("GET", "/x", "site.test").status == 200
    assert b.stats()["heads"] == 1


def test_header_changes_with_variables(procs):
    b = procs.echo("b")
    port = free_port()
    procs.portico(route_config(port, b, [{
        "match": {"path_prefix": "/"}, "cluster": "web",
        "request_headers": {"set": {"X-Env": "prod", "User-Agent": "portico-rewritten"},
                            "add": {"X-Seen-By": "${host} ${client_ip} ${path}"},
                            "remove": ["X-Secret"]},
        "response_headers": {"set": {"Server": "edge"}, "add": {"X-Req": "${request_id}"},
                             "remove": ["X-Powered-By"]},
    }]))
    with HttpConn(port) as c:
        r = c.request("GET", "/p?q=1&rh=X-Powered-By:php&rh=Server:backend", "site.test",
                      headers=[("X-Secret", "s3"), ("X-Env", "dev"), ("User-Agent", "curl")])
        up = upstream_headers(r)
        assert up["x-env"] == ["prod"] and up["user-agent"] == ["portico-rewritten"]
        assert "x-secret" not in up
        assert up["x-seen-by"] == ["site.test 127.0.0.1 /p?q=1&rh=X-Powered-By:php&rh=Server:backend"]
        assert r.header("X-Powered-By") is None
        assert r.header_all("Server") == ["edge"]
        assert r.header("X-Req") == r.header("X-Request-ID")


@pytest.mark.parametrize("prefix,rewrite,target,want", [
    ("/api/", "/", "/api/users?id=1", "/users?id=1"),
    ("/api", "/v2", "/api/users", "/v2/users"),
    ("/api/", "/internal/", "/api/", "/internal/"),
])
def test_prefix_rewrite(procs, prefix, rewrite, target, want):
    b = procs.echo("b")
    port = free_port()
    procs.portico(route_config(port, b, [
        {"match": {"path_prefix": prefix}, "cluster": "web", "rewrite": {"prefix": rewrite}}]))
    with HttpConn(port) as c:
        r = c.request("GET", target, "site.test")
        assert r.status == 200 and r.json()["target"] == want


def test_route_config_errors(procs, tmp_path):
    import subprocess
    from e2elib import PORTICO_BIN, to_yaml
    b = procs.echo("b")
    for route, needle in (
            ({"match": {"path_prefix": "/"}, "cluster": "web", "redirect": {"status": 301}},
             "not both"),
            ({"match": {"path_prefix": "/"}, "redirect": {"status": 305}}, "redirect.status"),
            ({"match": {"path_prefix": "/"}, "direct_response": {"body": "x"}},
             "direct_response.status"),
            ({"match": {"path_prefix": "/"}, "cluster": "web",
              "request_headers": {"set": {"Bad Name": "x"}}}, "request_headers.set"),
            ({"match": {"path_prefix": "/"}, "cluster": "web",
              "request_headers": {"set": {"X": "${nope}"}}}, "unknown variable ${nope}"),
            ({"match": {"path_prefix": "/"}, "cluster": "web",
              "request_headers": {"set": {"X": "${capture.1}"}}}, "needs a path_regex")):
        cfg = route_config(free_port(), b, [route])
        path = tmp_path / "c.yaml"
        path.write_text(to_yaml(cfg))
        out = subprocess.run([PORTICO_BIN, "check", "-c", str(path)], capture_output=True,
                             text=True, timeout=10)
        assert out.returncode == 1 and needle in out.stderr + out.stdout, (route, out)


def test_weighted_split_and_sticky_key(procs):
    stable, canary = procs.echo("stable"), procs.echo("canary")
    port = free_port()
    cfg = make_config(port, {"stable": [stable.addr], "canary": [canary.addr]})
    cfg["listeners"][0]["routes"] = [
        {"match": {"path_prefix": "/sticky"}, "split_by": {"header": "x-user"},
         "clusters": [{"name": "stable", "weight": 80}, {"name": "canary", "weight": 20}]},
        {"match": {"path_prefix": "/"},
         "clusters": [{"name": "stable", "weight": 80}, {"name": "canary", "weight": 20}]}]
    procs.portico(cfg)
    counts = {"stable": 0, "canary": 0}
    with HttpConn(port) as c:
        for _ in range(2000):
            counts[c.request("GET", "/", "site.test").json()["backend"]] += 1
    share = counts["canary"] / 2000
    assert abs(share - 0.2) < 0.04, counts
    # With split_by, one user always lands on the same side; many users spread ~80/20.
    sides = {}
    with HttpConn(port) as c:
        for u in range(400):
            seen = {c.request("GET", "/sticky", "site.test",
                              headers=[("X-User", "user-%d" % u)]).json()["backend"]
                    for _ in range(3)}
            assert len(seen) == 1, ("user-%d moved between clusters" % u, seen)
            sides[u] = seen.pop()
    share = sum(1 for s in sides.values() if s == "canary") / len(sides)
    assert 0.1 < share < 0.3, share


def test_cors_preflight_and_responses(procs):
    b = procs.echo("b")
    port = free_port()
    procs.portico(route_config(port, b, [{
        "match": {"path_prefix": "/"}, "cluster": "web",
        "cors": {"allow_origins": ["https://app.example"], "allow_methods": ["GET", "PUT"],
                 "expose_headers": ["X-Total"], "allow_credentials": True, "max_age": "10m"}}]))
    with HttpConn(port) as c:
        r = c.request("OPTIONS", "/api", "api.test", headers=[
            ("Origin", "https://app.example"), ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "x-token")])
        assert r.status == 204, r
        assert r.header("Access-Control-Allow-Origin") == "https://app.example"
        assert r.header("Access-Control-Allow-Methods") == "GET, PUT"
        assert r.header("Access-Control-Allow-Headers") == "x-token"
        assert r.header("Access-Control-Allow-Credentials") == "true"
        assert r.header("Access-Control-Max-Age") == "600"
        assert "Origin" in r.header("Vary")
        r = c.request("OPTIONS", "/api", "api.test", headers=[
            ("Origin", "https://evil.example"), ("Access-Control-Request-Method", "PUT")])
        assert r.status == 403 and r.header("Access-Control-Allow-Origin") is None
        r = c.request("GET", "/api", "api.test", headers=[("Origin", "https://app.example")])
        assert r.status == 200 and r.json()["backend"] == "b"
        assert r.header("Access-Control-Allow-Origin") == "https://app.example"
        assert r.header("Access-Control-Expose-Headers") == "X-Total"
        r = c.request("GET", "/api", "api.test", headers=[("Origin", "https://evil.example")])
        assert r.status == 200 and r.header("Access-Control-Allow-Origin") is None
    assert b.stats()["heads"] == 2, "a preflight reached the backend"


def test_security_headers_preset_and_overrides(procs):
    b = procs.echo("b")
    port = free_port()
    procs.portico(route_config(port, b, [
        {"match": {"path_prefix": "/custom"}, "cluster": "web",
         "security_headers": {"frame_options": "DENY", "content_security_policy": False}},
        {"match": {"path_prefix": "/"}, "cluster": "web", "security_headers": True}]))
    with HttpConn(port) as c:
        r = c.request("GET", "/", "site.test")
        assert r.header("X-Content-Type-Options") == "nosniff"
        assert r.header("X-Frame-Options") == "SAMEORIGIN"
        assert r.header("Referrer-Policy") == "strict-origin-when-cross-origin"
        assert "default-src 'self'" in r.header("Content-Security-Policy")
        assert r.header("Permissions-Policy")
        assert r.header("Strict-Transport-Security") is None, "HSTS only over TLS"
        r = c.request("GET", "/custom", "site.test")
        assert r.header("X-Frame-Options") == "DENY"
        assert r.header("Content-Security-Policy") is None
        assert r.header("X-Content-Type-Options") == "nosniff"


def test_regex_rewrite_with_captures(procs):
    b = procs.echo("b")
    port = free_port()
    procs.portico(route_config(port, b, [{
        "match": {"path_prefix": "/users/"}, "cluster": "web",
        "rewrite": {"regex": "^/users/([0-9]+)/posts/([a-z]+)$", "substitution": "/p/\\2?u=\\1"}},
        {"match": {"path_prefix": "/"}, "cluster": "web"}]))
    with HttpConn(port) as c:
        assert c.request("GET", "/users/42/posts/hello", "a.test").json()["target"] == \
            "/p/hello?u=42"
        # No match: the path goes up unchanged.
        assert c.request("GET", "/users/x?y=1", "a.test").json()["target"] == "/users/x?y=1"


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_compression_by_accept_encoding(procs, coding):
    import gzip
    import subprocess
    b = procs.echo("b")
    port = free_port()
    procs.portico(route_config(port, b, [
        {"match": {"path_prefix": "/"}, "cluster": "web", "compress": {"min_size": 100}}]))
    size = 300000
    with HttpConn(port) as c:
        # echo answers /big with Content-Type application/octet-stream: not compressible.
        r = c.request("GET", "/big?bytes=%d" % size, "a.test",
                      headers=[("Accept-Encoding", coding)])
        assert r.header("Content-Encoding") is None and len(r.body) == size
        # A JSON answer (the echo document, made big by a long header) is compressed.
        pad = "x" * 6000
        r = c.request("GET", "/json", "a.test",
                      headers=[("Accept-Encoding", "%s, identity;q=0.5" % coding),
                               ("X-Pad", pad)])
        assert r.status == 200
        assert r.header("Content-Encoding") == coding, r
        assert r.header("Content-Length") is None
        assert "Accept-Encoding" in ",".join(r.header_all("Vary"))
        body = r.body
        if coding == "gzip":
            plain = gzip.decompress(body)
        else:
            tool = {"br": ["brotli", "-d", "-c"], "zstd": ["zstd", "-d", "-c"]}[coding]
            try:
                plain = subprocess.run(tool, input=body, capture_output=True,
                                       check=True).stdout
            except FileNotFoundError:
                pytest.skip("%s CLI not installed" % tool[0])
        assert pad in plain.decode()
        assert len(body) < len(plain) / 3
        # Same connection, a client that accepts nothing gets identity.
        r = c.request("GET", "/json", "a.test", headers=[("X-Pad", pad)])
        assert r.header("Content-Encoding") is None and pad in r.body.decode()
        # Range requests are never compressed.
        r = c.request("GET", "/json", "a.test",
                      headers=[("Accept-Encoding", coding), ("Range", "bytes=0-10"),
                               ("X-Pad", pad)])
        assert r.header("Content-Encoding") is None


def test_compression_of_a_large_streamed_body(procs):
    import zlib
    b = procs.echo("b")
    port = free_port()
    procs.portico(route_config(port, b, [
        {"match": {"path_prefix": "/"}, "cluster": "web",
         "compress": {"codings": ["gzip"], "types": ["application/octet-stream"]}}]))
    size = 5 * 1024 * 1024 + 17
    with HttpConn(port, timeout=30) as c:
        for _ in range(2):  # twice on one connection: the exchange ends cleanly
            r = c.request("GET", "/big?bytes=%d" % size, "a.test",
                          headers=[("Accept-Encoding", "gzip")])
            assert r.header("Content-Encoding") == "gzip"
            plain = zlib.decompress(r.body, 16 + 15)
            assert len(plain) == size
            assert plain == (bytes(range(256)) * (size // 256 + 1))[:size]


def chunked_body(n, size):
    """What echo.py's /chunked?n=N&size=S sends, de-chunked."""
    out = b""
    for i in range(n):
        s = ("chunk-%05d:" % i).encode()
        out += (s * (size // len(s) + 1))[:size]
    return out


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_compression_of_chunked_bodies(procs, coding):
    b = procs.echo("b")
    port = free_port()
    procs.portico(route_config(port, b, [
        {"match": {"path_prefix": "/"}, "cluster": "web", "compress": True}]))
    with HttpConn(port, timeout=30) as c:
        # Many chunks (about 1 MB), a few tiny ones (no min_size for bodies of unknown size),
        # and chunks with trailers (dropped), all on one connection.
        for n, size in ((1000, 1000), (3, 10), (40, 70000)):
            r = c.request("GET", "/chunked?n=%d&size=%d" % (n, size), "a.test",
                          headers=[("Accept-Encoding", coding)])
            assert r.status == 200 and r.header("Content-Encoding") == coding, r
            assert r.framing == "chunked" and "Accept-Encoding" in r.header("Vary")
            assert decompress(coding, r.body) == chunked_body(n, size)
        r = c.request("GET", "/trailers", "a.test", headers=[("Accept-Encoding", coding)])
        assert r.header("Content-Encoding") == coding
        assert decompress(coding, r.body) == b"hello trailers\n"
        # Without Accept-Encoding the chunks pass through as they are.
        r = c.request("GET", "/chunked?n=5&size=16", "a.test")
        assert r.header("Content-Encoding") is None and r.body == chunked_body(5, 16)


def test_compression_of_chunked_body_streams(procs):
    """The compressed part of each chunk reaches the client before the backend sends more."""
    import socket
    import threading
    import zlib
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4)
    go = threading.Event()

    def chunk(data):
        return b"%x\r\n%s\r\n" % (len(data), data)

    def serve():
        conn, _ = lsock.accept()
        with conn:
            buf = b""
            while b"\r\n\r\n" not in buf:
                buf += conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n" + chunk(b"first part\n"))
            go.wait(10)
            conn.sendall(chunk(b"second part\n") + b"0\r\n\r\n")
            conn.recv(1)  # until portico closes or goes idle

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    port = free_port()
    cfg = make_config(port, {"web": ["127.0.0.1:%d" % lsock.getsockname()[1]]})
    cfg["listeners"][0]["routes"] = [
        {"match": {"path_prefix": "/"}, "cluster": "web", "compress": {"codings": ["gzip"]}}]
    procs.portico(cfg)
    try:
        with HttpConn(port) as c:
            c.send(build_request("GET", "/", "a.test", headers=[("Accept-Encoding", "gzip")]))
            r = c.read_head()
            assert r.header("Content-Encoding") == "gzip"
            d = zlib.decompressobj(16 + 15)
            got = b""
            while True:
                size = int(c._line().split(b";")[0], 16)
                if size == 0:
                    assert c._line() == b""
                    break
                got += d.decompress(c._exact(size))
                assert c._exact(2) == b"\r\n"
                if got == b"first part\n":
                    go.set()  # only now may the backend send the rest
            assert go.is_set() and got == b"first part\nsecond part\n"
    finally:
        go.set()
        lsock.close()


def test_transfer_coded_chunked_body_is_not_compressed(procs):
    body = b"already gzip-transfer-coded bytes"
    evil = procs.evil(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                      b"Transfer-Encoding: gzip, chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n"
                      % (len(body), body))
    port = free_port()
    cfg = make_config(port, {"web": [evil.addr]})
    cfg["listeners"][0]["routes"] = [
        {"match": {"path_prefix": "/"}, "cluster": "web", "compress": True}]
    procs.portico(cfg)
    with HttpConn(port) as c:
        c.send(build_request("GET", "/", "a.test", headers=[("Accept-Encoding", "gzip")]))
        r = c.read_head()  # the client helper reads only plain chunked bodies: head only
        assert r.status == 200 and r.header("Content-Encoding") is None
        assert r.header("Transfer-Encoding").replace(" ", "") == "gzip,chunked"


def test_redirect_without_host_is_400(procs):
    b = procs.echo("b")
    port = free_port()
    procs.portico(route_config(port, b, [
        {"match": {"path_prefix": "/"}, "redirect": {"status": 301, "scheme": "https"}}]))
    with HttpConn(port) as c:
        c.send("GET /x HTTP/1.0\r\n\r\n")
        assert c.read_response().status == 400


def test_header_variables_path_captures(procs):
    b = procs.echo("b")
    port = free_port()
    procs.portico(route_config(port, b, [
        {"match": {"path_regex": "/users/([0-9]+)/(posts|likes)(/.*)?"}, "cluster": "web",
         "request_headers": {"set": {"X-User": "${capture.1}", "X-Kind": "${capture.2}",
                                     "X-Rest": "[${capture.3}]"}},
         "response_headers": {"set": {"X-Served": "${capture.2} of ${capture.1}"}}},
        {"match": {"path_prefix": "/"}, "cluster": "web"}]))
    with HttpConn(port) as c:
        r = c.request("GET", "/users/42/posts/7?x=1", "site.test")
        up = upstream_headers(r)
        assert (up["x-user"], up["x-kind"], up["x-rest"]) == (["42"], ["posts"], ["[/7]"])
        assert r.header("X-Served") == "posts of 42"
        # A body between the head and the response changes nothing (the values are copied).
        r = c.request("POST", "/users/9/likes", "site.test", body=b"z" * 70000)
        up = upstream_headers(r)
        assert (up["x-user"], up["x-kind"], up["x-rest"]) == (["9"], ["likes"], ["[]"])
        assert r.header("X-Served") == "likes of 9"
        r = c.request("GET", "/other", "site.test")
        assert "x-user" not in upstream_headers(r) and r.header("X-Served") is None


def test_header_variables_geo(procs):
    from test_routing_match import GEO_DB
    if not os.path.exists(GEO_DB):
        pytest.skip("no geolocation database at %s (run scripts/install_geo_db.sh)" % GEO_DB)
    b = procs.echo("b")
    port = free_port()
    procs.portico(route_config(port, b, [{
        "match": {"path_prefix": "/"}, "cluster": "web",
        "request_headers": {"set": {"X-Country": "${geo.country}",
                                    "X-Continent": "${geo.continent}"}},
        "response_headers": {"set": {"X-Geo": "${geo.country}-${geo.continent}"}}}],
        geoip={"database": GEO_DB}, trusted_proxies=["127.0.0.1/32"]))
    with HttpConn(port) as c:
        for xff, country, continent in (("193.0.6.139", "NL", "EU"),   # as test_routing_match
                                        ("8.8.8.8", "US", "NA"),
                                        ("200.160.2.3", "BR", "SA"),
                                        ("10.9.9.9, 81.2.69.142", "GB", "EU"),
                                        ("10.1.2.3", "", "")):    # private: unknown
            r = c.request("GET", "/", "site.test", headers=[("X-Forwarded-For", xff)])
            up = upstream_headers(r)
            assert (up["x-country"], up["x-continent"]) == ([country], [continent]), xff
            assert r.header("X-Geo") == "%s-%s" % (country, continent), xff
