"""Access log lines: JSON and Apache combined."""
import datetime
import json
import re

from e2elib import HttpConn, free_port, make_config, wait_for


def log_lines(path):
    try:
        return [l for l in path.read_bytes().decode("utf-8", "replace").splitlines() if l.strip()]
    except OSError:
        return []


def test_json_access_log(procs, tmp_path):
    b = procs.echo("logged")
    log = tmp_path / "access.json.log"
    port = free_port()
    procs.portico(make_config(port, {"api": [b.addr]}, routes=[({"host": "example.com"}, "api")],
                              access_log={"path": str(log), "format": "json"}))
    with HttpConn(port) as c:
        r1 = c.request("GET", "/logged/path?x=1", headers=[("User-Agent", "e2e-agent/1.0"),
                                                           ("Referer", "http://ref.example/")])
        assert r1.status == 200
        r2 = c.request("POST", "/post", body=b"z" * 100)
        assert r2.status == 200
        r3 = c.request("GET", "/nowhere", host="unrouted.example.org")
        assert r3.status == 404
    lines = wait_for(lambda: len(log_lines(log)) >= 3 and log_lines(log), timeout=5,
                     msg="3 access log lines")
    assert len(lines) == 3, lines
    recs = [json.loads(l) for l in lines]  # every line is one JSON object
    for rec in recs:
        for key in ("time", "client", "method", "path", "status", "bytes", "duration_ms",
                    "upstream"):
            assert key in rec, "missing %r in %r" % (key, rec)
        assert rec["client"].split(":")[0] in ("127.0.0.1", "::ffff:127.0.0.1"), rec
        assert isinstance(rec["status"], int)
        assert isinstance(rec["bytes"], int) and rec["bytes"] >= 0
        assert isinstance(rec["duration_ms"], (int, float)) and rec["duration_ms"] >= 0
    g, p, nf = recs
    assert (g["method"], g["status"], g["upstream"]) == ("GET", 200, "api")
    assert g["path"] in ("/logged/path?x=1", "/logged/path"), g
    assert g["bytes"] in (len(r1.body), len(r1.raw_head) + 4 + len(r1.body)), g
    assert (p["method"], p["path"], p["status"], p["upstream"]) == ("POST", "/post", 200, "api")
    assert (nf["method"], nf["status"]) == ("GET", 404)
    assert nf["upstream"] in ("", None, "-"), nf


def test_json_access_log_escapes_obs_text(procs, tmp_path):
    """Field values may carry obs-text bytes (0x80-0xFF) and quotes; every JSON line must
    still be valid UTF-8 JSON."""
    b = procs.echo("logged-odd")
    log = tmp_path / "access.odd.log"
    port = free_port()
    procs.portico(make_config(port, {"api": [b.addr]},
                              access_log={"path": str(log), "format": "json"}))
    with HttpConn(port) as c:
        r = c.request("GET", "/odd", headers=[("User-Agent", 'a"b\\c \u00e9\u00ff'),
                                              ("Referer", "x\ty")])
        assert r.status == 200
    wait_for(lambda: log_lines(log), timeout=5, msg="access log line")
    raw = [l for l in log.read_bytes().splitlines() if l.strip()][0]
    try:
        rec = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise AssertionError("access log line is not valid UTF-8 JSON (%s): %r" % (e, raw))
    assert rec["path"] == "/odd"


COMBINED = re.compile(
    r'^(?P<client>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]+)\] '
    r'"(?P<method>\S+) (?P<path>\S+) (?P<proto>HTTP/\d\.\d)" (?P<status>\d{3}) (?P<bytes>\d+|-) '
    r'"(?P<referer>[^"]*)" "(?P<ua>[^"]*)"')


def test_combined_access_log(procs, tmp_path):
    b = procs.echo("combined")
    log = tmp_path / "access.combined.log"
    port = free_port()
    procs.portico(make_config(port, {"web": [b.addr]},
                              access_log={"path": str(log), "format": "combined"}))
    with HttpConn(port) as c:
        r = c.request("GET", "/combined/x?y=2", headers=[("User-Agent", "e2e-agent/2.0"),
                                                         ("Referer", "http://ref.example/")])
        assert r.status == 200
        r2 = c.request("GET", "/status/503")
        assert r2.status == 503
    lines = wait_for(lambda: len(log_lines(log)) >= 2 and log_lines(log), timeout=5,
                     msg="2 combined log lines")
    m = COMBINED.match(lines[0])
    assert m, "not Apache combined format: %r" % lines[0]
    assert m.group("client") == "127.0.0.1"
    assert (m.group("method"), m.group("path"), m.group("proto")) == ("GET", "/combined/x?y=2",
                                                                     "HTTP/1.1")
    assert m.group("status") == "200"
    assert int(m.group("bytes")) in (len(r.body), len(r.raw_head) + 4 + len(r.body))
    assert m.group("referer") == "http://ref.example/"
    assert m.group("ua") == "e2e-agent/2.0"
    t = datetime.datetime.strptime(m.group("time"), "%d/%b/%Y:%H:%M:%S %z")
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - t).total_seconds()) < 60
    m2 = COMBINED.match(lines[1])
    assert m2, "not Apache combined format: %r" % lines[1]
    assert m2.group("status") == "503"
    assert m2.group("ua") in ("-", ""), lines[1]


def test_access_log_stdout(procs):
    b = procs.echo("stdout")
    port = free_port()
    p = procs.portico(make_config(port, {"web": [b.addr]},
                                  access_log={"path": "stdout", "format": "json"}))
    with HttpConn(port) as c:
        assert c.request("GET", "/to-stdout").status == 200

    def found():
        for l in p.stdout().splitlines():
            try:
                rec = json.loads(l)
            except ValueError:
                continue
            if rec.get("path", "").startswith("/to-stdout"):
                return rec
        return None

    rec = wait_for(found, timeout=5, msg="access log line on stdout")
    assert rec["status"] == 200
