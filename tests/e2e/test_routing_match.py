"""Route match conditions end to end: the real binary, real clients (curl), echo backends that
say which one answered. Geolocation uses the real database installed by
scripts/install_geo_db.sh (skipped, saying so, only when it is absent)."""
import json
import os

import pytest

from e2elib import PORTICO_BIN, free_port, run_cmd, to_yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEO_DB = os.path.join(ROOT, "build-geo", "iptoasn-country.mmdb")

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1")
IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.1 Mobile/15E148 Safari/604.1")
CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"

NAMES = ["web", "api", "admin", "canary", "beta", "post", "v2", "local", "mobile", "tablet",
         "bot", "fr", "de", "eu", "us", "sa", "blog", "app", "login", "users"]


@pytest.fixture(scope="module")
def env(module_procs):
    b = {n: module_procs.echo(n) for n in NAMES}
    port = free_port()
    routes = [
        {"match": {"host": "api.example.com"}, "cluster": "api"},
        {"match": {"host": "admin.example.com"}, "cluster": "admin"},
        {"match": {"path_prefix": "/blog"}, "cluster": "blog"},
        {"match": {"path_prefix": "/app"}, "cluster": "app"},
        {"match": {"path": "/login"}, "cluster": "login"},
        {"match": {"path_regex": "/users/[0-9]+"}, "cluster": "users"},
        {"when": "path_prefix('/shop') && header('x-canary', 'always')", "cluster": "canary"},
        {"match": {"path_prefix": "/shop", "cookies": [{"name": "beta", "exact": "1"}]},
         "cluster": "beta"},
        {"match": {"path_prefix": "/shop", "methods": ["POST"]}, "cluster": "post"},
        {"when": "path_prefix('/shop') && query('v', '2')", "cluster": "v2"},
        {"match": {"path_prefix": "/shop"}, "cluster": "web"},
        {"match": {"path_prefix": "/internal", "client_ip": ["127.0.0.0/8"]}, "cluster": "local"},
        {"when": "path_prefix('/m') && device('mobile')", "cluster": "mobile"},
        {"when": "path_prefix('/m') && device('tablet')", "cluster": "tablet"},
        {"when": "path_prefix('/m') && device('bot')", "cluster": "bot"},
        {"match": {"path_prefix": "/lang", "language": {"best": "fr", "among": ["en", "fr", "de"]}},
         "cluster": "fr"},
        {"when": "path_prefix('/lang') && language('de', ['en', 'fr', 'de'])", "cluster": "de"},
        {"match": {"path_prefix": "/"}, "cluster": "web"},
    ]
    top = {}
    geo = os.path.exists(GEO_DB)
    if geo:
        top["geoip"] = {"database": GEO_DB}
        top["trusted_proxies"] = ["127.0.0.1/32"]
        routes[-1:-1] = [
            {"match": {"path_prefix": "/geo", "continent": ["EU"]}, "cluster": "eu"},
            {"when": "path_prefix('/geo') && country('US', 'CA')", "cluster": "us"},
            {"when": "path_prefix('/geo') && continent('SA')", "cluster": "sa"},
        ]
    cfg = {
        "workers": 2,
        "listeners": [{"name": "web", "address": "127.0.0.1:%d" % port, "routes": routes}],
        "clusters": [{"name": n, "servers": [b[n].addr]} for n in NAMES],
        "error_log": {"level": "info"},
    }
    cfg.update(top)
    p = module_procs.portico(cfg)
    return {"p": p, "port": port, "geo": geo}


def curl(env, path, host="example.org", headers=(), method=None):
    args = ["curl", "-sS", "--max-time", "10", "-H", "Host: " + host]
    for h in headers:
        args += ["-H", h]
    if method:
        args += ["-X", method]
    r = run_cmd(args + ["http://127.0.0.1:%d%s" % (env["port"], path)])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["backend"]


@pytest.mark.parametrize("host,path,headers,method,want", [
    ("api.example.com", "/x", (), None, "api"),          # subdomains
    ("admin.example.com", "/", (), None, "admin"),
    ("example.org", "/blog/post-1", (), None, "blog"),   # /blog vs /app
    ("example.org", "/app/index.html", (), None, "app"),
    ("example.org", "/login", (), None, "login"),        # exact path
    ("example.org", "/login/x", (), None, "web"),
    ("example.org", "/users/42", (), None, "users"),     # regex path
    ("example.org", "/users/me", (), None, "web"),
    ("example.org", "/shop", ("X-Canary: always",), None, "canary"),  # header canary
    ("example.org", "/shop", ("Cookie: a=b; beta=1",), None, "beta"),  # cookie
    ("example.org", "/shop", (), "POST", "post"),        # method
    ("example.org", "/shop?v=2", (), None, "v2"),        # query parameter
    ("example.org", "/shop?v=3", (), None, "web"),
    ("example.org", "/internal/x", (), None, "local"),  # client address 127.0.0.1
    ("example.org", "/m", ("User-Agent: " + IPHONE,), None, "mobile"),
    ("example.org", "/m", ("User-Agent: " + IPAD,), None, "tablet"),
    ("example.org", "/m", ("User-Agent: " + GOOGLEBOT,), None, "bot"),
    ("example.org", "/m", ("User-Agent: " + CHROME,), None, "web"),
    ("example.org", "/lang", ("Accept-Language: fr-CH, fr;q=0.9, en;q=0.8",), None, "fr"),
    ("example.org", "/lang", ("Accept-Language: de-DE,de;q=0.9,fr;q=0.5",), None, "de"),
    ("example.org", "/lang", ("Accept-Language: en-US,en;q=0.9",), None, "web"),
])
def test_conditions(env, host, path, headers, method, want):
    assert curl(env, path, host, headers, method) == want


@pytest.mark.parametrize("xff,want", [
    ("193.0.6.139", "eu"),         # NL
    ("8.8.8.8", "us"),             # US
    ("200.160.2.3", "sa"),         # BR
    ("133.1.1.1", "web"),          # JP: no geo route
    ("10.9.9.9, 81.2.69.142", "eu"),  # nearest untrusted hop is GB
])
def test_geo_with_real_database(env, xff, want):
    if not env["geo"]:
        pytest.skip("no geolocation database at %s (run scripts/install_geo_db.sh)" % GEO_DB)
    assert curl(env, "/geo", headers=("X-Forwarded-For: " + xff,)) == want


def test_check_reports_routes_that_never_match(tmp_path):
    cfg = {
        "listeners": [{"address": "127.0.0.1:%d" % free_port(), "routes": [
            {"match": {"path_prefix": "/a"}, "cluster": "c"},
            {"match": {"path_prefix": "/a", "methods": ["GET"]}, "cluster": "c"},
            {"when": "header('x') && !header('x')", "cluster": "c"},
            {"match": {"path_prefix": "/"}, "cluster": "c"},
        ]}],
        "clusters": [{"name": "c", "servers": ["127.0.0.1:9"]}],
    }
    path = tmp_path / "portico.yaml"
    path.write_text(to_yaml(cfg) + "\n")
    r = run_cmd([PORTICO_BIN, "check", "-c", str(path)])
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stderr.splitlines() if l.startswith("warning: ")]
    assert len(lines) == 2, r.stderr
    assert "routes[1]: route can never match: routes[0]" in lines[0]
    assert "routes[2]: route can never match: its conditions contradict each other" in lines[1]
    assert lines[0].startswith("warning: %s:" % path)
