"""Regression: large responses must not stall on Nagle + delayed ACK (40 ms per response).

portico writes a 100 KB response in a few large sendmsg calls; without TCP_NODELAY on the
downstream socket, under concurrency the tail segment of a write waits for the client's delayed
ACK and latency jumps to tens of milliseconds."""
import re
import subprocess

from e2elib import free_port, make_config


def _ms(text):
    v, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def test_large_keepalive_responses_do_not_stall(procs):
    ng = procs.nginx(big_bytes=100 * 1024)
    port = free_port()
    procs.portico(make_config(port, {"web": [ng.addr]}, workers=1))
    out = subprocess.run(["wrk", "-t1", "-c16", "-d2s", "--latency",
                          "http://127.0.0.1:%d/big.bin" % port],
                         capture_output=True, text=True, timeout=30).stdout
    p90 = _ms(re.search(r"^\s+90%\s+(\S+)", out, re.M).group(1))
    assert "Non-2xx" not in out and "Socket errors" not in out, out
    assert p90 < 25, "p90 latency %.1f ms for 100 KB responses (Nagle stalls?)\n%s" % (p90, out)


def test_large_body_spliced_intact(procs):
    """Large Content-Length bodies go through splice(2); every byte must arrive unchanged, over
    several keep-alive responses (pipes are reused) and with a slow reader (pipe full)."""
    import hashlib
    import os

    ng = procs.nginx()
    data = os.urandom(3 * 1024 * 1024 + 17)
    (ng.dir / "www" / "rand.bin").write_bytes(data)
    want = hashlib.sha256(data).hexdigest()
    port = free_port()
    procs.portico(make_config(port, {"web": [ng.addr]}, workers=1))
    for _ in range(3):
        out = subprocess.run(["curl", "-sS", "--max-time", "30", "http://127.0.0.1:%d/rand.bin" % port],
                             capture_output=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert hashlib.sha256(out.stdout).hexdigest() == want
    slow = subprocess.run(["curl", "-sS", "--max-time", "30", "--limit-rate", "2M",
                           "http://127.0.0.1:%d/rand.bin" % port], capture_output=True, timeout=60)
    assert slow.returncode == 0, slow.stderr
    assert hashlib.sha256(slow.stdout).hexdigest() == want
