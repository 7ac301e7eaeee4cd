"""Multi-gigabyte bodies stream through portico in bounded memory (RSS < 64 MB)."""
import time
import zlib

import pytest

from e2elib import (HttpConn, RssSampler, build_request, free_port, make_config, run_cmd)

GIB2 = 2 * 1024 * 1024 * 1024
RSS_LIMIT_KB = 64 * 1024
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nginx(module_procs):
    return module_procs.nginx(big_bytes=GIB2)


def test_download_2gb_from_nginx(procs, nginx):
    port = free_port()
    p = procs.portico(make_config(port, {"nginx": [nginx.addr]}))
    sampler = RssSampler(p)
    sampler.start()
    start = time.monotonic()
    try:
        r = run_cmd(["curl", "-sS", "--max-time", "120", "-o", "/dev/null",
                     "-w", "%{http_code} %{size_download}",
                     "http://127.0.0.1:%d/big.bin" % port], timeout=150)
    finally:
        max_kb = sampler.stop()
    elapsed = time.monotonic() - start
    assert r.returncode == 0, r.stderr
    code, size = r.stdout.split()
    assert code == "200"
    assert int(size) == GIB2
    assert sampler.samples > 5
    assert max_kb < RSS_LIMIT_KB, "portico RSS reached %d kB while downloading" % max_kb
    print("2 GiB download in %.1fs, max RSS %d kB" % (elapsed, max_kb))


def test_download_2gb_content_checked(procs, nginx):
    """Same, reading with our own client and checking every byte (the file is zeros)."""
    port = free_port()
    p = procs.portico(make_config(port, {"nginx": [nginx.addr]}))
    sampler = RssSampler(p)
    sampler.start()
    state = {"n": 0, "nonzero": False}
    def sink(d):
        state["n"] += len(d)
        if not state["nonzero"] and d.count(0) != len(d):
            state["nonzero"] = True

    try:
        with HttpConn(port, timeout=30) as c:
            c.send(build_request("GET", "/big.bin", host="example.com"))
            r = c.read_response(sink=sink)
            assert r.status == 200
            # keep-alive still works after 2 GiB
            assert c.request("GET", "/ok").status == 200
    finally:
        max_kb = sampler.stop()
    assert state["n"] == GIB2
    assert not state["nonzero"]
    assert max_kb < RSS_LIMIT_KB, "portico RSS reached %d kB" % max_kb


def test_upload_2gb_to_echo(procs):
    b = procs.echo("sink")
    port = free_port()
    p = procs.portico(make_config(port, {"sink": [b.addr]}))
    block = bytes((i * 31 + 7) & 0xFF for i in range(1 << 20))
    nblocks = GIB2 // len(block)
    crc = 0
    sampler = RssSampler(p)
    sampler.start()
    start = time.monotonic()
    try:
        with HttpConn(port, timeout=60) as c:
            c.send(build_request("POST", "/discard", headers=[("Content-Length", str(GIB2)),
                                                               ("Content-Type", "application/octet-stream")]))
            for _ in range(nblocks):
                c.sock.sendall(block)
                crc = zlib.crc32(block, crc)
            r = c.read_response()
    finally:
        max_kb = sampler.stop()
    elapsed = time.monotonic() - start
    assert r.status == 200, r
    info = r.json()
    assert info["body_length"] == GIB2
    assert info["body_crc32"] == crc
    assert max_kb < RSS_LIMIT_KB, "portico RSS reached %d kB while uploading" % max_kb
    print("2 GiB upload in %.1fs, max RSS %d kB" % (elapsed, max_kb))


def test_upload_chunked_512mb_to_echo(procs):
    b = procs.echo("sink-chunked")
    port = free_port()
    p = procs.portico(make_config(port, {"sink": [b.addr]}))
    block = bytes((i * 13 + 1) & 0xFF for i in range(1 << 20))
    n = 512
    crc = 0
    sampler = RssSampler(p)
    sampler.start()
    try:
        with HttpConn(port, timeout=60) as c:
            c.send(build_request("POST", "/discard", headers=[("Transfer-Encoding", "chunked")]))
            framed = b"%x\r\n" % len(block) + block + b"\r\n"
            for _ in range(n):
                c.sock.sendall(framed)
                crc = zlib.crc32(block, crc)
            c.send(b"0\r\n\r\n")
            r = c.read_response()
    finally:
        max_kb = sampler.stop()
    assert r.status == 200, r
    assert r.json()["body_length"] == n * len(block)
    assert r.json()["body_crc32"] == crc
    assert max_kb < RSS_LIMIT_KB, "portico RSS reached %d kB" % max_kb
