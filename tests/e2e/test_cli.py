"""Command line: --version, --help, check (good and bad configs), run via -c."""
import re
import textwrap

import pytest

from e2elib import PORTICO_BIN, http_request, run_cmd

GOOD = textwrap.dedent("""\
    workers: 1
    listeners:
      - name: web
        address: 127.0.0.1:18080
        routes:
          - match: { host: "api.example.com", path_prefix: /v1 }
            cluster: api
          - match: { path_prefix: / }
            cluster: web
    clusters:
      - name: web
        servers: [ 127.0.0.1:9001, 127.0.0.1:9002 ]
        connect_timeout: 5s
        response_timeout: 60s
        max_idle: 64
        idle_timeout: 4s
        rewrite_host: false
      - name: api
        servers: [ 127.0.0.1:9003 ]
    access_log: { path: stdout, format: json }
    error_log: { level: info }
    limits: { max_request_line: 8192, max_header_bytes: 16k, max_header_count: 100, max_body_size: 0 }
    timeouts: { client_header: 10s, client_idle: 60s, client_body: 60s, shutdown: 10s }
    trusted_proxies: [ 10.0.0.0/8 ]
    server_header: true
    via: portico
    """)

ERR_RE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<key>[^:]+): (?P<msg>.+)$")


def pos(text, needle):
    """1-based (line, column) of needle's first occurrence in text."""
    i = text.index(needle)
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return str(line), str(col)


def check(tmp_path, text, name="portico.yaml"):
    path = tmp_path / name
    path.write_text(text)
    r = run_cmd([PORTICO_BIN, "check", "-c", str(path)])
    return path, r


def parse_error(path, r):
    assert r.returncode == 1, "check should exit 1, got %s; stderr=%r" % (r.returncode, r.stderr)
    for line in r.stderr.splitlines():
        m = ERR_RE.match(line.strip())
        if m and m.group("file") == str(path):
            return m
    pytest.fail("no 'FILE:LINE:COLUMN: KEY: message' line for %s in stderr:\n%s" % (path, r.stderr))


def test_version():
    r = run_cmd([PORTICO_BIN, "--version"])
    assert r.returncode == 0, r.stderr
    assert re.match(r"^portico \d+\.\d+\.\d+\s*$", r.stdout), r.stdout


def test_help():
    r = run_cmd([PORTICO_BIN, "--help"])
    assert r.returncode == 0, r.stderr
    out = r.stdout + r.stderr
    assert "usage" in out.lower(), out
    for word in ("run", "check", "-c"):
        assert word in out, "help does not mention %r:\n%s" % (word, out)


def test_check_good_config(tmp_path):
    path, r = check(tmp_path, GOOD)
    assert r.returncode == 0, "valid config rejected: %s" % r.stderr


def test_check_good_config_workers_auto(tmp_path):
    path, r = check(tmp_path, GOOD.replace("workers: 1", "workers: auto"))
    assert r.returncode == 0, r.stderr


def test_check_top_level_typo_suggests(tmp_path):
    text = GOOD.replace("listeners:", "listners:")
    path, r = check(tmp_path, text)
    m = parse_error(path, r)
    assert (m.group("line"), m.group("col")) == pos(text, "listners"), m.group(0)
    assert "listners" in m.group("key"), m.group(0)
    assert "did you mean" in m.group("msg").lower() and "listeners" in m.group("msg"), m.group(0)


def test_check_nested_typo_suggests(tmp_path):
    text = GOOD.replace("    connect_timeout: 5s", "    conect_timeout: 5s")
    path, r = check(tmp_path, text)
    m = parse_error(path, r)
    assert (m.group("line"), m.group("col")) == pos(text, "conect_timeout"), m.group(0)
    assert "conect_timeout" in m.group("key"), m.group(0)
    assert "did you mean" in m.group("msg").lower(), m.group(0)
    assert "connect_timeout" in m.group("msg"), m.group(0)


def test_check_unknown_key(tmp_path):
    text = GOOD + "frobnicate_the_widgets: true\n"
    path, r = check(tmp_path, text)
    m = parse_error(path, r)
    assert (m.group("line"), m.group("col")) == pos(text, "frobnicate"), m.group(0)
    assert "frobnicate_the_widgets" in m.group("key"), m.group(0)
    assert "unknown" in m.group("msg").lower(), m.group(0)


def test_check_route_to_missing_cluster(tmp_path):
    text = GOOD.replace("        cluster: api", "        cluster: nope")
    path, r = check(tmp_path, text)
    m = parse_error(path, r)
    assert m.group("line") == pos(text, "cluster: nope")[0], m.group(0)
    assert "cluster" in m.group("key"), m.group(0)
    assert "nope" in m.group("msg"), m.group(0)


@pytest.mark.parametrize("old,new,key", [
    ("connect_timeout: 5s", "connect_timeout: soon", "connect_timeout"),
    ("address: 127.0.0.1:18080", "address: 127.0.0.1:99999", "address"),
    ("trusted_proxies: [ 10.0.0.0/8 ]", "trusted_proxies: [ 10.0.0.0/33 ]", "trusted_proxies"),
    ("max_header_count: 100", "max_header_count: many", "max_header_count"),
    ("workers: 1", "workers: -3", "workers"),
    ("server_header: true", "server_header: perhaps", "server_header"),
    ("format: json", "format: xml", "format"),
    ("level: info", "level: chatty", "level"),
])
def test_check_bad_values(tmp_path, old, new, key):
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    path, r = check(tmp_path, text)
    m = parse_error(path, r)
    assert m.group("line") == pos(text, new)[0], m.group(0)
    assert key in m.group("key"), m.group(0)


def test_check_duplicate_cluster(tmp_path):
    text = GOOD.replace("  - name: api\n", "  - name: web\n")
    path, r = check(tmp_path, text)
    m = parse_error(path, r)
    assert m.group("line") == pos(text, "  - name: web\n    servers: [ 127.0.0.1:9003")[0], m.group(0)
    assert "web" in m.group("msg") or "duplicate" in m.group("msg").lower(), m.group(0)


def test_check_yaml_syntax_error(tmp_path):
    text = GOOD.replace("servers: [ 127.0.0.1:9003 ]", "servers: [ 127.0.0.1:9003")
    path, r = check(tmp_path, text)
    assert r.returncode == 1
    assert re.search(r"^%s:\d+:\d+: " % re.escape(str(path)), r.stderr, re.M), r.stderr


def test_check_missing_file(tmp_path):
    r = run_cmd([PORTICO_BIN, "check", "-c", str(tmp_path / "does-not-exist.yaml")])
    assert r.returncode == 1
    assert "does-not-exist.yaml" in r.stderr


def test_run_with_bare_dash_c(procs, tmp_path):
    """`portico -c FILE` runs like `portico run -c FILE`."""
    b = procs.echo("b1")
    from e2elib import make_config, free_port
    port = free_port()
    cfg = make_config(port, {"web": [b.addr]})
    p = procs.portico(cfg, start=False)
    p.args = ["-c", str(p.config_path)]
    p.start()
    r = http_request(port, target="/via-dash-c")
    assert r.status == 200 and r.json()["target"] == "/via-dash-c"
    assert p.stop() == 0
