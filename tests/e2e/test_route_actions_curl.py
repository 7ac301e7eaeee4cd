"""Every route action end to end through the real curl binary, over HTTP/1.1 and (h2c with
prior knowledge) HTTP/2: forwarding, weighted splits with sticky keys, header and cookie
canaries, mirroring, redirects (and the listener's redirect_https), prefix and regex rewrites,
header changes with variables, direct responses, static files, security headers, CORS,
compression and request ids. One portico serves the whole module; echo backends say which one
answered and what they received."""
import json
import os
import re
import subprocess

import pytest

from e2elib import decompress, free_port, wait_for
from lbutil import Admin
from test_routing_match import GEO_DB

BACKENDS = ["web", "stable", "canary", "shadow"]
SPLIT = [{"name": "stable", "weight": 90}, {"name": "canary", "weight": 10}]
TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
VALID_TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
PROTO_ARGS = {"h1": ["--http1.1"], "h2": ["--http2-prior-knowledge"]}
STATIC_FILE = bytes(range(256)) * 4  # data.bin, 1024 bytes
# Makes the echoed JSON document big and compressible (no trailing space: HTTP/2 refuses field
# values that end in whitespace).
PAD = "X-Pad: " + " ".join(["padding"] * 800)


@pytest.fixture(scope="module")
def env(module_procs, tmp_path_factory):
    b = {n: module_procs.echo(n) for n in BACKENDS}
    base = tmp_path_factory.mktemp("curl_actions")
    root = base / "www"
    (root / "docs").mkdir(parents=True)
    (root / "index.html").write_bytes(b"<h1>home</h1>\n")
    (root / "docs" / "index.htm").write_bytes(b"<h1>docs</h1>\n")
    (root / "data.bin").write_bytes(STATIC_FILE)
    (base / "secret.txt").write_bytes(b"outside the root\n")
    port, rport, aport = free_port(), free_port(), free_port()
    routes = [
        # Weighted splits, sticky by header, cookie and client address.
        {"match": {"path_prefix": "/split/header"}, "clusters": SPLIT,
         "split_by": {"header": "x-user"}},
        {"match": {"path_prefix": "/split/cookie"}, "clusters": SPLIT,
         "split_by": {"cookie": "session"}},
        {"match": {"path_prefix": "/split/ip"}, "clusters": SPLIT, "split_by": "ip"},
        # Canary by header or by cookie, stable otherwise.
        {"when": 'path_prefix("/canary") && header("x-canary", "1")', "cluster": "canary"},
        {"match": {"path_prefix": "/canary", "cookies": [{"name": "release", "exact": "canary"}]},
         "cluster": "canary"},
        {"match": {"path_prefix": "/canary"}, "cluster": "stable"},
        {"match": {"path_prefix": "/mirror/"}, "cluster": "web",
         "mirror": {"cluster": "shadow", "fraction": 1}},
        # Redirects.
        {"match": {"path_prefix": "/r301/"},
         "redirect": {"status": 301, "prefix_rewrite": "/new/"}},
        {"match": {"path_prefix": "/r302"}, "redirect": {"path": "/elsewhere"}},
        {"match": {"path_prefix": "/r303"}, "redirect": {"status": 303, "host": "other.test",
                                                         "strip_query": True}},
        {"match": {"path_prefix": "/r307"}, "redirect": {"status": 307, "scheme": "https",
                                                         "port": 8443}},
        {"match": {"path_prefix": "/r308"}, "redirect": {"status": 308, "scheme": "https",
                                                         "port": 443, "path": "/x"}},
        # Rewrites.
        {"match": {"path_prefix": "/api/"}, "cluster": "web", "rewrite": {"prefix": "/v2/"}},
        {"match": {"path_prefix": "/users/"}, "cluster": "web",
         "rewrite": {"regex": "^/users/([0-9]+)/posts/([a-z]+)$", "substitution": "/p/\\2?u=\\1"}},
        # Header changes with variables.
        {"match": {"path_prefix": "/hdr/", "path_regex": "/hdr/([a-z]+)/([0-9]+)"},
         "cluster": "web",
         "request_headers": {
             "set": {"X-Client": "${client_ip}", "X-Host": "${host}", "X-Path": "${path}",
                     "X-Rid": "${request_id}", "X-Cap": "${capture.1}-${capture.2}",
                     "X-Env": "prod"},
             "add": {"X-Added": "[${capture.0}]"},
             "remove": ["X-Secret"]},
         "response_headers": {
             "set": {"X-Served": "${capture.2} of ${capture.1}", "Server": "edge"},
             "add": {"X-Resp-Rid": "${request_id}"},
             "remove": ["X-Backend"]}},
        # Direct responses.
        {"match": {"path": "/dr/ok"}, "direct_response": {"status": 200, "body": "ok\n"}},
        {"match": {"path": "/dr/gone"}, "direct_response": {
            "status": 410, "body": '{"gone":true}', "content_type": "application/json"}},
        {"match": {"path": "/dr/empty"}, "direct_response": {"status": 204}},
        {"match": {"path_prefix": "/static/"}, "static": {
            "root": str(root), "strip_prefix": True, "index": ["index.html", "index.htm"],
            "max_age": 60}},
        {"match": {"path_prefix": "/sec/custom"}, "cluster": "web",
         "security_headers": {"frame_options": "DENY", "content_security_policy": False}},
        {"match": {"path_prefix": "/sec/"}, "cluster": "web", "security_headers": True},
        {"match": {"path_prefix": "/cors/"}, "cluster": "web",
         "cors": {"allow_origins": ["https://app.example"], "allow_methods": ["GET", "PUT"],
                  "expose_headers": ["X-Total"], "max_age": "10m"}},
        {"match": {"path_prefix": "/z/"}, "cluster": "web", "compress": {"min_size": 100}},
        {"match": {"path_prefix": "/"}, "cluster": "web"},
    ]
    cfg = {
        "workers": 2,
        "listeners": [
            {"name": "web", "address": "127.0.0.1:%d" % port, "http2": True, "routes": routes},
            {"name": "plain", "address": "127.0.0.1:%d" % rport, "http2": True,
             "redirect_https": 8443, "routes": [{"cluster": "web"}]},
        ],
        "clusters": [{"name": n, "servers": [b[n].addr]} for n in BACKENDS],
        "admin": {"address": "127.0.0.1:%d" % aport},
        "error_log": {"level": "info"},
    }
    geo = os.path.exists(GEO_DB)
    if geo:
        cfg["geoip"] = {"database": GEO_DB}
        cfg["trusted_proxies"] = ["127.0.0.1/32"]
        routes.insert(-1, {"match": {"path_prefix": "/geo"}, "cluster": "web",
                           "request_headers": {"set": {"X-Country": "${geo.country}",
                                                       "X-Continent": "${geo.continent}"}},
                           "response_headers": {"set": {"X-Geo": "${geo.country}"}}})
    p = module_procs.portico(cfg)
    return {"p": p, "port": port, "rport": rport, "admin": Admin(aport), "b": b, "geo": geo,
            "body": base / "body"}


@pytest.fixture(params=["h1", "h2"])
def proto(request):
    return request.param


class Resp:
    def __init__(self, status, version, headers, body):
        self.status, self.version, self.headers, self.body = status, version, headers, body

    def all(self, name):
        return [v for n, v in self.headers if n == name.lower()]

    def h(self, name):
        vs = self.all(name)
        assert len(vs) <= 1, (name, vs)
        return vs[0] if vs else None

    def json(self):
        return json.loads(self.body)

    def up(self, name):
        """Values of a request header as the backend received it."""
        return [v for n, v in self.json()["headers"] if n.lower() == name.lower()]

    def __repr__(self):
        return "Resp(%d HTTP/%s %r %r)" % (self.status, self.version, self.headers,
                                            self.body[:300])


def curl(env, path, proto="h1", host="site.test", headers=(), args=(), port=None):
    """One request with curl; -D - gives the response head, -o the body (raw unless
    --compressed is in args)."""
    cmd = ["curl", "-sS", "--max-time", "10", "-D", "-", "-o", str(env["body"]),
           "-H", "Host: " + host] + PROTO_ARGS[proto]
    for h in headers:
        cmd += ["-H", h]
    cmd += list(args) + ["http://127.0.0.1:%d%s" % (port or env["port"], path)]
    if env["body"].exists():
        env["body"].unlink()
    r = subprocess.run(cmd, capture_output=True, timeout=30)
    assert r.returncode == 0, (cmd, r.stderr)
    blocks = [b for b in r.stdout.decode("latin-1").split("\r\n\r\n") if b.strip()]
    lines = blocks[-1].split("\r\n")  # the final response, after any 1xx
    version, status = lines[0].split(" ")[0].split("/")[1], int(lines[0].split(" ")[1])
    assert version == {"h1": "1.1", "h2": "2"}[proto], lines[0]
    headers = []
    for line in lines[1:]:
        n, _, v = line.partition(":")
        headers.append((n.strip().lower(), v.strip()))
    body = env["body"].read_bytes() if env["body"].exists() else b""
    return Resp(status, version, headers, body)


def curl_backends(env, proto, transfers):
    """Many requests in one curl run (--next); returns the X-Backend response header of each.
    HTTP/1.1 transfers reuse connections where the options allow. HTTP/2 ones each get a
    connection of their own (a distinct host name, --resolve'd to 127.0.0.1): curl 7.88
    (Debian 12) fails a prior-knowledge h2c connection it reuses with "Error in the HTTP2
    framing layer" whatever the server (curl/curl#10634, fixed in 8.0)."""
    cmd = ["curl"]
    for i, (path, extra) in enumerate(transfers):
        if i:
            cmd.append("--next")
        cmd += ["-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%header{x-backend}\\n",
                "-H", "Host: site.test"] + PROTO_ARGS[proto] + list(extra)
        host = "127.0.0.1"
        if proto == "h2":
            host = "t%d.test" % i
            cmd += ["--resolve", "%s:%d:127.0.0.1" % (host, env["port"])]
        cmd.append("http://%s:%d%s" % (host, env["port"], path))
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    out = r.stdout.split("\n")[:-1]
    assert len(out) == len(transfers), r.stdout
    return out


# ---------------------------------------------------------------------------------------------
# Forwarding, splits, canaries, mirroring


def test_forward_to_cluster(env, proto):
    r = curl(env, "/plain/a?b=1", proto, headers=["X-Test: yes"])
    assert r.status == 200 and r.h("x-backend") == "web", r
    doc = r.json()
    assert doc["backend"] == "web" and doc["target"] == "/plain/a?b=1"
    assert doc["method"] == "GET" and r.up("x-test") == ["yes"]
    assert r.up("host") == ["site.test"]
    # A body goes up too.
    r = curl(env, "/plain/post", proto, args=["--data-binary", "x" * 5000])
    assert r.json()["method"] == "POST" and r.json()["body_length"] == 5000


@pytest.mark.parametrize("by", ["header", "cookie", "ip"])
def test_weighted_split_is_sticky_by_key(env, proto, by):
    keys = 100

    def extra(i):
        if by == "header":
            return ["-H", "X-User: user-%d" % i]
        if by == "cookie":
            return ["-H", "Cookie: a=b; session=user-%d; z=1" % i]
        return ["--interface", "127.0.%d.%d" % (1 + i // 200, 1 + i % 200)]

    # Each key twice, and the first key many times more.
    transfers = [("/split/%s" % by, extra(i)) for i in range(keys) for _ in range(2)]
    transfers += [("/split/%s" % by, extra(0))] * 20
    got = curl_backends(env, proto, transfers)
    sides = {}
    for (_, ex), side in zip(transfers, got):
        sides.setdefault(tuple(ex), set()).add(side)
    assert all(len(s) == 1 for s in sides.values()), [k for k, s in sides.items() if len(s) > 1]
    per_key = [s.pop() for s in sides.values()]
    assert set(per_key) == {"stable", "canary"}, per_key
    assert per_key.count("canary") < keys * 0.3, per_key  # 90/10


@pytest.mark.parametrize("headers,want", [
    ([], "stable"),
    (["X-Canary: 1"], "canary"),
    (["X-Canary: 0"], "stable"),
    (["Cookie: a=1; release=canary"], "canary"),
    (["Cookie: release=stable"], "stable"),
])
def test_header_and_cookie_canary(env, proto, headers, want):
    r = curl(env, "/canary/page", proto, headers=headers)
    assert r.status == 200 and r.json()["backend"] == want


@pytest.mark.parametrize("body", [None, "payload-" * 100], ids=["get", "post"])
def test_mirror_reaches_shadow(env, proto, body):
    shadow = env["b"]["shadow"]
    since = shadow.seq()

    def counters():
        c = env["admin"].cluster("shadow")["counters"]
        return {k: c[k] for k in ("mirrored", "mirror_skipped", "mirror_dropped",
                                  "mirror_failed")}

    before = counters()
    target = "/mirror/%s-%s?n=1" % (proto, "post" if body else "get")
    r = curl(env, target, proto, host="site.test:8080", headers=["X-Mirror-Me: 1"],
             args=["--data-binary", body] if body else [])
    assert r.status == 200 and r.json()["backend"] == "web"
    seen = r.json()
    after = wait_for(lambda: counters() != before and counters(), msg="the mirror counters")
    assert after["mirrored"] == before["mirrored"] + 1, ("not mirrored", before, after)
    copy = wait_for(lambda: [e for e in shadow.entries(since) if e["complete"]], timeout=10,
                    msg="the mirrored copy of %s" % target)
    assert len(copy) == 1, copy
    copy = copy[0]
    assert copy["target"] == target and copy["method"] == seen["method"]
    hs = {n.lower(): v for n, v in copy["headers"]}
    assert hs["host"] == "site.test-shadow:8080"
    assert hs["x-mirror-me"] == "1"
    assert hs["x-request-id"] == r.h("x-request-id")
    assert (copy["body_length"], copy["body_sha256"]) == (seen["body_length"],
                                                          seen["body_sha256"])
    # Requests of other routes are not mirrored.
    curl(env, "/plain/not-mirrored", proto)
    assert all(e["target"] != "/plain/not-mirrored" for e in shadow.entries(since))


# ---------------------------------------------------------------------------------------------
# Redirects


@pytest.mark.parametrize("path,host,status,location", [
    ("/r301/a/b?x=1", "site.test:8080", 301, "http://site.test:8080/new/a/b?x=1"),
    ("/r302/a?x=1", "site.test", 302, "http://site.test/elsewhere?x=1"),
    ("/r303/p?drop=me", "site.test:8080", 303, "http://other.test/r303/p"),
    ("/r307/p?q", "site.test:8080", 307, "https://site.test:8443/r307/p?q"),
    ("/r308/p?q=2", "site.test", 308, "https://site.test/x?q=2"),
])
def test_redirects(env, proto, path, host, status, location):
    r = curl(env, path, proto, host=host)
    assert r.status == status and r.h("location") == location, r
    assert r.h("x-request-id")


def test_listener_redirect_https(env, proto):
    web = env["b"]["web"]
    since = web.seq()
    r = curl(env, "/a/b?q=1", proto, host="site.test:%d" % env["rport"], port=env["rport"])
    assert r.status == 301 and r.h("location") == "https://site.test:8443/a/b?q=1", r
    assert web.seq() == since, "a redirected request reached the backend"


# ---------------------------------------------------------------------------------------------
# Rewrites and header changes


@pytest.mark.parametrize("path,target", [
    ("/api/users?id=1", "/v2/users?id=1"),
    ("/api/", "/v2/"),
    ("/users/42/posts/hello", "/p/hello?u=42"),
    ("/users/x?y=1", "/users/x?y=1"),  # the regex does not match: unchanged
])
def test_rewrites(env, proto, path, target):
    r = curl(env, path, proto)
    assert r.status == 200 and r.json()["target"] == target


def test_header_changes_with_variables(env, proto):
    path = "/hdr/posts/42?q=1&rh=X-Backend-Only:1"
    r = curl(env, path, proto, host="site.test:8080",
             headers=["X-Secret: s3", "X-Env: dev", "X-Added: client"])
    assert r.status == 200, r
    rid = r.h("x-request-id")
    assert rid and r.up("x-request-id") == [rid]
    assert r.up("x-client") == ["127.0.0.1"]
    assert r.up("x-host") == ["site.test:8080"]
    assert r.up("x-path") == [path]
    assert r.up("x-rid") == [rid]
    assert r.up("x-cap") == ["posts-42"]
    assert r.up("x-env") == ["prod"]
    assert r.up("x-added") == ["client", "[/hdr/posts/42]"]
    assert r.up("x-secret") == []
    assert r.h("x-served") == "42 of posts"
    assert r.all("server") == ["edge"]
    assert r.h("x-resp-rid") == rid
    assert r.h("x-backend") is None and r.h("x-backend-only") == "1"


def test_geo_variables(env, proto):
    if not env["geo"]:
        pytest.skip("no geolocation database at %s (run scripts/install_geo_db.sh)" % GEO_DB)
    r = curl(env, "/geo", proto, headers=["X-Forwarded-For: 193.0.6.139"])
    assert (r.up("x-country"), r.up("x-continent")) == (["NL"], ["EU"])
    assert r.h("x-geo") == "NL"


# ---------------------------------------------------------------------------------------------
# Answers portico gives itself


@pytest.mark.parametrize("path,status,body,ctype", [
    ("/dr/ok", 200, b"ok\n", "text/plain; charset=utf-8"),
    ("/dr/gone", 410, b'{"gone":true}', "application/json"),
    ("/dr/empty", 204, b"", None),
])
def test_direct_response(env, proto, path, status, body, ctype):
    web = env["b"]["web"]
    since = web.seq()
    r = curl(env, path, proto)
    assert (r.status, r.body) == (status, body), r
    if ctype:
        assert r.h("content-type") == ctype
    assert web.seq() == since


def test_static_files(env, proto):
    r = curl(env, "/static/", proto)
    assert r.status == 200 and r.body == b"<h1>home</h1>\n", r
    assert r.h("content-type") == "text/html; charset=utf-8"
    r = curl(env, "/static/docs/", proto)  # the second index name
    assert r.status == 200 and r.body == b"<h1>docs</h1>\n", r
    r = curl(env, "/static/docs?x=1", proto)
    assert r.status == 301 and r.h("location").endswith("/static/docs/?x=1"), r
    r = curl(env, "/static/data.bin", proto)
    assert r.status == 200 and r.body == STATIC_FILE
    assert r.h("content-length") == str(len(STATIC_FILE))
    assert r.h("cache-control") == "max-age=60" and r.h("accept-ranges") == "bytes"
    etag = r.h("etag")
    assert re.fullmatch(r'"[0-9a-f]+-400"', etag), etag
    r = curl(env, "/static/data.bin", proto, headers=["If-None-Match: " + etag])
    assert r.status == 304 and r.body == b"" and r.h("etag") == etag, r
    r = curl(env, "/static/data.bin", proto, headers=['If-None-Match: "other"'])
    assert r.status == 200 and r.body == STATIC_FILE
    r = curl(env, "/static/data.bin", proto, args=["-r", "10-19"])
    assert r.status == 206 and r.body == STATIC_FILE[10:20], r
    assert r.h("content-range") == "bytes 10-19/1024"
    r = curl(env, "/static/data.bin", proto, args=["-r", "-5"])
    assert r.status == 206 and r.body == STATIC_FILE[-5:]
    r = curl(env, "/static/missing.txt", proto)
    assert r.status == 404


@pytest.mark.parametrize("path", [
    "/static/../secret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/docs/%2E%2e/../secret.txt",
    "/static/..%2fsecret.txt",
])
def test_static_refuses_dot_dot(env, proto, path):
    r = curl(env, path, proto, args=["--path-as-is"])
    assert r.status == 400 and b"outside the root" not in r.body, r


def test_security_headers(env, proto):
    r = curl(env, "/sec/page", proto)
    assert r.status == 200 and r.json()["backend"] == "web"
    assert r.h("x-content-type-options") == "nosniff"
    assert r.h("x-frame-options") == "SAMEORIGIN"
    assert r.h("referrer-policy") == "strict-origin-when-cross-origin"
    assert "default-src 'self'" in r.h("content-security-policy")
    assert "camera=()" in r.h("permissions-policy").replace(" ", ""), r
    assert r.h("strict-transport-security") is None, "HSTS only over TLS"
    r = curl(env, "/sec/custom", proto)
    assert r.h("x-frame-options") == "DENY"
    assert r.h("content-security-policy") is None
    assert r.h("x-content-type-options") == "nosniff"


def test_cors(env, proto):
    web = env["b"]["web"]
    since = web.seq()
    pre = ["Origin: https://app.example", "Access-Control-Request-Method: PUT",
           "Access-Control-Request-Headers: x-token"]
    r = curl(env, "/cors/res", proto, headers=pre, args=["-X", "OPTIONS"])
    assert r.status == 204 and r.body == b"", r
    assert r.h("access-control-allow-origin") == "https://app.example"
    assert r.h("access-control-allow-methods") == "GET, PUT"
    assert r.h("access-control-allow-headers") == "x-token"
    assert r.h("access-control-max-age") == "600"
    assert "Origin" in ",".join(r.all("vary"))
    r = curl(env, "/cors/res", proto, args=["-X", "OPTIONS"],
             headers=["Origin: https://evil.example", "Access-Control-Request-Method: PUT"])
    assert r.status == 403 and r.h("access-control-allow-origin") is None
    assert web.seq() == since, "a preflight reached the backend"
    # Simple (actual) requests reach the backend and get the fields for allowed origins only.
    r = curl(env, "/cors/res", proto, headers=["Origin: https://app.example"])
    assert r.status == 200 and r.json()["backend"] == "web"
    assert r.h("access-control-allow-origin") == "https://app.example"
    assert r.h("access-control-expose-headers") == "X-Total"
    r = curl(env, "/cors/res", proto, headers=["Origin: https://evil.example"])
    assert r.status == 200 and r.h("access-control-allow-origin") is None


# ---------------------------------------------------------------------------------------------
# Compression and request ids


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_compression(env, proto, coding):
    # curl asks for one coding and decodes it itself.
    r = curl(env, "/z/doc", proto, headers=[PAD, "Accept-Encoding: " + coding],
             args=["--compressed"])
    assert r.status == 200 and r.h("content-encoding") == coding, r
    assert "accept-encoding" in ",".join(r.all("vary")).lower()
    assert r.h("content-length") is None
    assert r.json()["backend"] == "web" and r.up("x-pad") == [PAD[7:]]
    # The raw bytes are much smaller than the document, and decode to it.
    raw = curl(env, "/z/doc", proto, headers=[PAD, "Accept-Encoding: " + coding])
    assert raw.h("content-encoding") == coding
    plain = decompress(coding, raw.body)
    assert json.loads(plain)["target"] == "/z/doc" and len(raw.body) < len(plain) / 3


def test_compression_choice(env, proto):
    # curl's own list (deflate, gzip, br, zstd) ties: portico's order (zstd, br, gzip) decides.
    r = curl(env, "/z/doc", proto, headers=[PAD], args=["--compressed"])
    assert r.h("content-encoding") == "zstd" and r.json()["backend"] == "web"
    r = curl(env, "/z/doc", proto, headers=[PAD, "Accept-Encoding: gzip;q=1, br;q=0.5"],
             args=["--compressed"])
    assert r.h("content-encoding") == "gzip"
    # Nothing accepted, or a route without compress: identity.
    r = curl(env, "/z/doc", proto, headers=[PAD])
    assert r.h("content-encoding") is None and r.json()["backend"] == "web"
    r = curl(env, "/plain/doc", proto, headers=[PAD], args=["--compressed"])
    assert r.h("content-encoding") is None and r.json()["backend"] == "web"


def test_request_id_and_traceparent(env, proto):
    r = curl(env, "/ids", proto)
    rid = r.h("x-request-id")
    assert rid and r.up("x-request-id") == [rid]
    tp = r.up("traceparent")
    assert len(tp) == 1 and TRACEPARENT.match(tp[0]), tp
    r2 = curl(env, "/ids", proto)
    assert r2.h("x-request-id") != rid
    # A valid incoming traceparent (and its tracestate) goes up unchanged.
    r = curl(env, "/ids", proto, headers=["traceparent: " + VALID_TP, "tracestate: k=v"])
    assert r.up("traceparent") == [VALID_TP] and r.up("tracestate") == ["k=v"]
    # An invalid one is replaced by a new trace.
    r = curl(env, "/ids", proto, headers=["traceparent: 00-zz-yy-01"])
    tp = r.up("traceparent")
    assert len(tp) == 1 and TRACEPARENT.match(tp[0]), tp
