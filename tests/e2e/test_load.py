"""A short wrk run through portico: no errors, no non-2xx responses."""
import re
import shutil

import pytest

from e2elib import free_port, make_config, run_cmd

pytestmark = pytest.mark.slow


def parse_wrk(out):
    res = {"requests": None, "non2xx": 0, "socket_errors": 0, "rps": None}
    m = re.search(r"(\d+) requests in", out)
    if m:
        res["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        res["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        res["socket_errors"] = sum(int(x) for x in m.groups())
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        res["rps"] = float(m.group(1))
    return res


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed")
@pytest.mark.parametrize("backend", ["nginx", "echo"])
def test_wrk_no_errors(procs, backend):
    b = procs.nginx() if backend == "nginx" else procs.echo("loaded")
    path = "/ok" if backend == "nginx" else "/load"
    port = free_port()
    procs.portico(make_config(port, {"web": [b.addr]}))
    r = run_cmd(["wrk", "-t1", "-c16", "-d3s", "--timeout", "5s", "--latency",
                 "http://127.0.0.1:%d%s" % (port, path)], timeout=60)
    assert r.returncode == 0, r.stderr
    res = parse_wrk(r.stdout)
    print(r.stdout)
    assert res["requests"] and res["requests"] > 100, r.stdout
    assert res["non2xx"] == 0, r.stdout
    assert res["socket_errors"] == 0, r.stdout
