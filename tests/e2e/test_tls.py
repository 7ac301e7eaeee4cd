"""TLS termination end to end: certificates by SNI (exact, wildcard, default), RSA and ECDSA
for one name, TLS 1.2+ only, ALPN, session resumption across workers, client certificates
(mTLS) with the subject passed upstream, HSTS, the HTTP->HTTPS redirect, certificate reload
without a restart, large bodies both ways, and TLS to the backends (SNI, verification)."""
import hashlib
import os
import shutil
import ssl
import subprocess
import time

import pytest

from e2elib import HttpConn, PORTICO_BIN, free_port, make_config, wait_for
from tlsutil import (HttpsBackend, Pki, TlsConn, cert_cn, cert_key_type, client_context,
                     peer_cert_der)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    p = Pki(tmp_path_factory.mktemp("pki"))
    p.site = p.issue("site", "site.test", dns=["site.test", "localhost"], ips=["127.0.0.1"])
    p.site_ec = p.issue("site-ec", "site.test ecdsa", dns=["site.test", "localhost"],
                        kind="ec")
    p.wild = p.issue("wild", "wildcard.example.test", dns=["*.example.test"])
    p.client = p.issue("client", "alice", client=True, kind="ec")
    other = Pki(p.dir / "other", name="someone else's CA")
    p.foreign_client = other.issue("mallory", "mallory", client=True, kind="ec")
    p.other = other
    return p


def tls_listener(pki, certs=None, **tls):
    spec = {"certificates": [{"cert": str(c), "key": str(k)} for c, k in (certs or [pki.site])]}
    spec.update(tls)
    return spec


def tls_config(port, backend, pki, certs=None, listener_extra=None, workers=2, **tls):
    cfg = make_config(port, {"web": [backend.addr]}, workers=workers)
    cfg["listeners"][0]["tls"] = tls_listener(pki, certs, **tls)
    cfg["listeners"][0].update(listener_extra or {})
    return cfg


def headers_of(resp):
    return {k.lower(): v for k, v in resp.json()["headers"]}


def test_https_request_reaches_backend_with_forwarded_proto(procs, pki):
    b = procs.echo("b0")
    port = free_port()
    procs.portico(tls_config(port, b, pki))
    with TlsConn(port, client_context(pki)) as c:
        for i in range(3):  # keep-alive over one TLS connection
            r = c.request("GET", "/x?i=%d" % i)
            assert r.status == 200, r
            h = headers_of(r)
            assert h["x-forwarded-proto"] == "https"
            assert "proto=https" in h["forwarded"]
        assert c.sock.version() in ("TLSv1.2", "TLSv1.3")
        assert c.sock.selected_alpn_protocol() == "http/1.1"


def test_curl_over_tls(procs, pki):
    b = procs.echo("b0")
    port = free_port()
    procs.portico(tls_config(port, b, pki))
    out = subprocess.run(["curl", "-sS", "--cacert", str(pki.ca_cert), "-o", "/dev/null",
                          "-w", "%{http_code} %{ssl_verify_result}",
                          "https://localhost:%d/" % port], capture_output=True, text=True,
                         timeout=10)
    assert out.stdout == "200 0", (out.stdout, out.stderr)


def test_sni_exact_wildcard_and_default(procs, pki):
    b = procs.echo("b0")
    port = free_port()
    procs.portico(tls_config(port, b, pki, certs=[pki.site, pki.wild]))
    assert cert_cn(peer_cert_der(port, "site.test")[0]) == "site.test"
    assert cert_cn(peer_cert_der(port, "api.example.test")[0]) == "wildcard.example.test"
    # A wildcard covers one label only; unknown names get the default (first) certificate.
    assert cert_cn(peer_cert_der(port, "a.b.example.test")[0]) == "site.test"
    assert cert_cn(peer_cert_der(port, "unknown.test")[0]) == "site.test"
    # Verified end to end by name.
    with TlsConn(port, client_context(pki), server_name="www.example.test") as c:
        assert c.request("GET", "/", host="www.example.test").status == 200


def test_rsa_and_ecdsa_for_one_name(procs, pki):
    b = procs.echo("b0")
    port = free_port()
    procs.portico(tls_config(port, b, pki, certs=[pki.site, pki.site_ec]))
    # A TLS 1.2 client offering only RSA suites gets the RSA certificate...
    ctx = client_context(None, maximum_version=ssl.TLSVersion.TLSv1_2)
    ctx.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
    with ctx.wrap_socket(__import__("socket").create_connection(("127.0.0.1", port)),
                         server_hostname="site.test") as s:
        assert cert_key_type(s.getpeercert(binary_form=True)) == "rsa"
    # ... one offering only ECDSA suites gets the ECDSA one.
    ctx = client_context(None, maximum_version=ssl.TLSVersion.TLSv1_2)
    ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
    with ctx.wrap_socket(__import__("socket").create_connection(("127.0.0.1", port)),
                         server_hostname="site.test") as s:
        assert cert_key_type(s.getpeercert(binary_form=True)) == "ecdsa"


def test_old_protocols_refused(procs, pki):
    b = procs.echo("b0")
    port = free_port()
    procs.portico(tls_config(port, b, pki))
    for flag in ("-tls1", "-tls1_1"):
        out = subprocess.run(["openssl", "s_client", flag, "-connect", "127.0.0.1:%d" % port,
                              "-servername", "site.test", "-cipher", "DEFAULT@SECLEVEL=0"],
                             input="", capture_output=True, text=True, timeout=10)
        assert out.returncode != 0, out.stdout[-500:]
    # TLS 1.2 and 1.3 both work.
    for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        _, version, _ = peer_cert_der(port, "site.test", minimum_version=v, maximum_version=v)
        assert version == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[v]


def test_modern_policy_is_tls13_only(procs, pki):
    b = procs.echo("b0")
    port = free_port()
    procs.portico(tls_config(port, b, pki, policy="modern"))
    with pytest.raises(ssl.SSLError):
        peer_cert_der(port, "site.test", maximum_version=ssl.TLSVersion.TLSv1_2)
    assert peer_cert_der(port, "site.test")[1] == "TLSv1.3"


def test_session_resumption_across_workers(procs, pki):
    b = procs.echo("b0")
    port = free_port()
    procs.portico(tls_config(port, b, pki, workers=2))
    for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = client_context(pki, minimum_version=v, maximum_version=v)
        with TlsConn(port, ctx) as c:
            assert c.request("GET", "/").status == 200  # TLS 1.3 tickets arrive after this
            session = c.sock.session
        reused = 0
        for _ in range(8):  # SO_REUSEPORT spreads these over both workers
            with TlsConn(port, ctx, session=session) as c:
                assert c.request("GET", "/").status == 200
                reused += c.sock.session_reused
        assert reused == 8, "%s: %d of 8 connections resumed" % (v, reused)


def test_mtls_required(procs, pki):
    b = procs.echo("b0")
    port = free_port()
    procs.portico(tls_config(port, b, pki, client_auth="required", client_ca=str(pki.ca_cert)))
    with TlsConn(port, client_context(pki, cert=pki.client)) as c:
        r = c.request("GET", "/", headers=[("X-Client-Cert-Subject", "CN=forged")])
        assert r.status == 200
        assert headers_of(r)["x-client-cert-subject"] == "CN=alice"
    for cert in (None, pki.foreign_client):
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            with TlsConn(port, client_context(pki, cert=cert)) as c:
                c.request("GET", "/")


def test_mtls_optional(procs, pki):
    b = procs.echo("b0")
    port = free_port()
    procs.portico(tls_config(port, b, pki, client_auth="optional", client_ca=str(pki.ca_cert)))
    with TlsConn(port, client_context(pki)) as c:
        r = c.request("GET", "/", headers=[("X-Client-Cert-Subject", "CN=forged")])
        assert r.status == 200
        assert "x-client-cert-subject" not in headers_of(r), "a forged subject went upstream"
    with TlsConn(port, client_context(pki, cert=pki.client)) as c:
        assert headers_of(c.request("GET", "/"))["x-client-cert-subject"] == "CN=alice"


def test_hsts_header(procs, pki):
    b = procs.echo("b0")
    port = free_port()
    procs.portico(tls_config(port, b, pki, listener_extra={
        "hsts": {"max_age": 63072000, "include_subdomains": True}}))
    with TlsConn(port, client_context(pki)) as c:
        r = c.request("GET", "/")
    assert r.header("Strict-Transport-Security") == "max-age=63072000; includeSubDomains"


def test_http_to_https_redirect(procs, pki):
    b = procs.echo("b0")
    port, tport = free_port(), free_port()
    cfg = make_config(port, {"web": [b.addr]}, extra_listeners=[{
        "name": "secure", "address": "127.0.0.1:%d" % tport, "tls": tls_listener(pki),
        "routes": [{"match": {"path_prefix": "/"}, "cluster": "web"}]}])
    cfg["listeners"][0]["redirect_https"] = tport
    procs.portico(cfg)
    with HttpConn(port) as c:
        r = c.request("GET", "/a/b?q=1", "site.test:%d" % port)
        assert r.status == 301
        assert r.header("Location") == "https://site.test:%d/a/b?q=1" % tport
        # The connection stays usable.
        assert c.request("GET", "/", "site.test").status == 301
    assert b.stats()["heads"] == 0, "a redirected request reached the backend"
    out = subprocess.run(["curl", "-sS", "-L", "--cacert", str(pki.ca_cert), "--resolve",
                          "site.test:%d:127.0.0.1" % port, "--resolve",
                          "site.test:%d:127.0.0.1" % tport, "-o", "/dev/null", "-w",
                          "%{http_code} %{url_effective}", "http://site.test:%d/z" % port],
                         capture_output=True, text=True, timeout=10)
    assert out.stdout == "200 https://site.test:%d/z" % tport, out


def test_certificate_reload_without_restart(procs, pki, tmp_path):
    b = procs.echo("b0")
    port = free_port()
    cert, key = tmp_path / "live.pem", tmp_path / "live.key"
    shutil.copy(pki.site[0], cert)
    shutil.copy(pki.site[1], key)
    p = procs.portico(tls_config(port, b, pki, certs=[(cert, key)], reload_check="200ms"))
    pid = p.pid
    held = TlsConn(port, client_context(pki))
    assert held.request("GET", "/").status == 200
    assert cert_cn(peer_cert_der(port, "site.test")[0]) == "site.test"
    new_cert, new_key = pki.issue("site2", "site.test renewed", dns=["site.test", "localhost"])
    shutil.copy(new_key, key)
    shutil.copy(new_cert, cert)
    wait_for(lambda: cert_cn(peer_cert_der(port, "site.test")[0]) == "site.test renewed",
             timeout=5, msg="renewed certificate served")
    # A broken file keeps the renewed certificate and is logged.
    cert.write_text("not a certificate\n")
    wait_for(lambda: "TLS files not reloaded" in p.stderr(), timeout=5, msg="error logged")
    assert cert_cn(peer_cert_der(port, "site.test")[0]) == "site.test renewed"
    assert held.request("GET", "/").status == 200, "an existing connection was dropped"
    held.close()
    assert p.pid == pid and p.running()


@pytest.mark.parametrize("size", [5 * 1024 * 1024])
def test_large_bodies_both_ways(procs, pki, size):
    b = procs.echo("b0")
    port = free_port()
    procs.portico(tls_config(port, b, pki))
    with TlsConn(port, client_context(pki), timeout=30) as c:
        body = bytes(range(256)) * (size // 256)
        r = c.request("POST", "/upload", body=body)
        assert r.status == 200
        assert r.json()["body_sha256"] == hashlib.sha256(body).hexdigest()
        r = c.request("GET", "/big?bytes=%d" % size)
        assert r.status == 200 and len(r.body) == size
        assert r.body == (bytes(range(256)) * (size // 256 + 1))[:size]


def test_requests_in_many_records_and_pipelined_in_one(procs, pki):
    """portico stops reading TLS at a short read when neither the socket nor OpenSSL holds
    more (no EAGAIN read): a head and a body that arrive as several records, some later, and
    requests pipelined in one record must all be served."""
    b = procs.echo("b0")
    port = free_port()
    procs.portico(tls_config(port, b, pki, workers=1))
    with TlsConn(port, client_context(pki)) as c:
        # One record per send(); the pauses make the later records arrive on their own.
        for piece in (b"GET /split HTTP/1.1\r\n", b"Host: localhost\r\n", b"X-A: 1\r\n",
                      b"\r\n"):
            c.send(piece)
            time.sleep(0.05)
        r = c.read_response()
        assert r.status == 200 and r.json()["target"] == "/split"
        c.send(b"POST /body HTTP/1.1\r\nHost: localhost\r\nContent-Length: 30000\r\n\r\n")
        body = bytes(range(256)) * 117 + bytes(48)
        for i in range(0, len(body), 7000):
            c.send(body[i:i + 7000])
            time.sleep(0.02)
        r = c.read_response("POST")
        assert r.status == 200 and r.json()["body_sha256"] == hashlib.sha256(body).hexdigest()
        c.send(b"".join(b"GET /p%d HTTP/1.1\r\nHost: localhost\r\n\r\n" % i
                        for i in range(3)))
        for i in range(3):
            r = c.read_response()
            assert r.status == 200 and r.json()["target"] == "/p%d" % i
        # Records sent back to back reach portico's socket together: OpenSSL holds the later
        # ones after the first read.
        for i in range(4):
            c.send(b"GET /r%d HTTP/1.1\r\nHost: localhost\r\n\r\n" % i)
        for i in range(4):
            r = c.read_response()
            assert r.status == 200 and r.json()["target"] == "/r%d" % i


def test_bad_certificate_is_a_config_error(pki, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    for cert, key, needle in ((bad, pki.site[1], str(bad)),
                              (tmp_path / "missing.pem", pki.site[1], "missing.pem"),
                              (pki.site[0], pki.wild[1], str(pki.wild[1]))):
        cfg_path = tmp_path / "p.yaml"
        cfg_path.write_text("""listeners:
  - name: web
    address: 127.0.0.1:%d
    tls:
      certificates:
        - cert: %s
          key: %s
    routes:
      - match: { path_prefix: / }
        cluster: web
clusters:
  - name: web
    servers: [127.0.0.1:1]
""" % (free_port(), cert, key))
        out = subprocess.run([PORTICO_BIN, "check", "-c", str(cfg_path)], capture_output=True,
                             text=True, timeout=10)
        assert out.returncode == 1, out
        assert needle in out.stderr + out.stdout, out


# ---------------------------------------------------------------------------------------------
# TLS to the backends


def upstream_config(port, backend_addr, **tls):
    return make_config(port, {"web": {"servers": [backend_addr], "tls": tls}})


def test_upstream_tls_verified_with_sni(procs, pki):
    cert = pki.issue("backend", "backend.test", dns=["localhost"])
    b = HttpsBackend(*cert).start()
    try:
        port = free_port()
        procs.portico(upstream_config(port, "localhost:%d" % b.port, ca=str(pki.ca_cert)))
        with HttpConn(port) as c:
            for _ in range(3):
                r = c.request("GET", "/hello", "site.test")
                assert r.status == 200, r
                assert r.json()["backend"] == "tlsb"
        assert "localhost" in b.snis
    finally:
        b.stop()


def test_upstream_tls_unknown_ca_refused_unless_verify_off(procs, pki):
    cert = pki.other.issue("backend-x", "backend.test", dns=["localhost"])
    b = HttpsBackend(*cert).start()
    try:
        port = free_port()
        procs.portico(upstream_config(port, "localhost:%d" % b.port, ca=str(pki.ca_cert)))
        with HttpConn(port) as c:
            assert c.request("GET", "/", "site.test").status == 502
        port2 = free_port()
        procs.portico(upstream_config(port2, "localhost:%d" % b.port, verify=False))
        with HttpConn(port2) as c:
            assert c.request("GET", "/", "site.test").status == 200
    finally:
        b.stop()


def test_upstream_mtls_client_certificate(procs, pki):
    cert = pki.issue("backend-m", "backend.test", dns=["localhost"])
    b = HttpsBackend(*cert, client_ca=pki.ca_cert).start()
    try:
        port = free_port()
        procs.portico(upstream_config(port, "localhost:%d" % b.port, ca=str(pki.ca_cert),
                                      cert=str(pki.client[0]), key=str(pki.client[1])))
        with HttpConn(port) as c:
            assert c.request("GET", "/", "site.test").status == 200
        port2 = free_port()
        procs.portico(upstream_config(port2, "localhost:%d" % b.port, ca=str(pki.ca_cert)))
        with HttpConn(port2) as c:
            assert c.request("GET", "/", "site.test").status == 502
    finally:
        b.stop()


@pytest.mark.parametrize("change", ["other", "tls"])
def test_sessions_resume_across_reload(procs, pki, change):
    b = procs.echo("b0")
    port = free_port()
    cfg = tls_config(port, b, pki)
    p = procs.portico(cfg)
    ctx = client_context(pki, maximum_version=ssl.TLSVersion.TLSv1_2)
    with TlsConn(port, ctx) as c:
        assert c.request("GET", "/").status == 200
        session = c.sock.session
    off = p.log_size()
    if change == "other":
        cfg["timeouts"] = {"client_idle": "30s"}  # a new snapshot, the same tls section
    else:
        # A changed tls section (tickets only now): a new context keeps the ticket keys.
        cfg["listeners"][0]["tls"]["session_cache_size"] = 0
    p.reload(cfg)
    wait_for(lambda: "reload" in p.log_since(off), timeout=5, msg="reloaded")
    with TlsConn(port, ctx, session=session) as c:
        assert c.request("GET", "/").status == 200
        assert c.sock.session_reused, "the session did not survive the reload"


def test_health_checks_run_over_tls(procs, pki):
    from lbutil import Admin
    good = HttpsBackend(*pki.issue("hc-good", "good", dns=["localhost"])).start()
    bad = HttpsBackend(*pki.other.issue("hc-bad", "bad", dns=["localhost"])).start()
    try:
        port, aport = free_port(), free_port()
        cfg = make_config(port, {"web": {
            "servers": ["localhost:%d" % good.port, "localhost:%d" % bad.port],
            "tls": {"ca": str(pki.ca_cert)},
            "health_check": {"type": "http", "path": "/health", "interval": "200ms",
                             "timeout": "150ms", "rise": 1, "fall": 1}}},
            admin={"address": "127.0.0.1:%d" % aport})
        procs.portico(cfg)
        admin = Admin(aport)
        admin.wait_field("localhost:%d" % good.port, "healthy", True, timeout=5)
        admin.wait_field("localhost:%d" % bad.port, "healthy", False, timeout=5)
        with HttpConn(port) as c:
            for _ in range(6):
                r = c.request("GET", "/", "site.test")
                assert r.status == 200 and r.json()["backend"] == "tlsb", r
        assert "localhost" in good.snis
    finally:
        good.stop()
        bad.stop()


def ocsp_status_seen(port):
    out = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                          "-servername", "site.test", "-status"], input="",
                         capture_output=True, text=True, timeout=10)
    text = out.stdout
    if "OCSP response: no response sent" in text:
        return None
    for st in ("Cert Status: good", "Cert Status: revoked"):
        if st in text:
            return st.split(": ")[1]
    return "?"


def test_ocsp_stapling_and_refresh(procs, pki, tmp_path):
    b = procs.echo("b0")
    port = free_port()
    staple = tmp_path / "site.ocsp"
    pki.ocsp_response(pki.site[0], staple, "good")
    cfg = tls_config(port, b, pki, reload_check="200ms")
    cfg["listeners"][0]["tls"]["certificates"][0]["ocsp"] = str(staple)
    procs.portico(cfg)
    assert ocsp_status_seen(port) == "good"
    # A new response file is stapled without a restart.
    fresh = tmp_path / "fresh.ocsp"
    pki.ocsp_response(pki.site[0], fresh, "revoked")
    shutil.copy(fresh, staple)
    wait_for(lambda: ocsp_status_seen(port) == "revoked", timeout=5, msg="new staple served")


def test_routes_match_sni_and_client_certificate(procs, pki):
    a, b, m = procs.echo("by-sni"), procs.echo("default"), procs.echo("with-cert")
    port = free_port()
    cfg = make_config(port, {"a": [a.addr], "b": [b.addr], "m": [m.addr]},
                      routes=[({"sni": "*.example.test"}, "a"),
                              ({"client_cert": True}, "m"),
                              ({"path_prefix": "/"}, "b")])
    cfg["listeners"][0]["tls"] = tls_listener(pki, [pki.site, pki.wild], client_auth="optional",
                                              client_ca=str(pki.ca_cert))
    procs.portico(cfg)
    with TlsConn(port, client_context(pki), server_name="api.example.test") as c:
        assert c.request("GET", "/", host="api.example.test").json()["backend"] == "by-sni"
    with TlsConn(port, client_context(pki), server_name="site.test") as c:
        assert c.request("GET", "/", host="site.test").json()["backend"] == "default"
    with TlsConn(port, client_context(pki, cert=pki.client), server_name="site.test") as c:
        assert c.request("GET", "/", host="site.test").json()["backend"] == "with-cert"


def test_hsts_per_route(procs, pki):
    b = procs.echo("b0")
    port = free_port()
    cfg = tls_config(port, b, pki, listener_extra={"hsts": {"max_age": 600}})
    cfg["listeners"][0]["routes"] = [
        {"match": {"path_prefix": "/nohsts"}, "cluster": "web", "hsts": False},
        {"match": {"path_prefix": "/strict"}, "cluster": "web",
         "hsts": {"max_age": 63072000, "include_subdomains": True, "preload": True}},
        {"match": {"path_prefix": "/"}, "cluster": "web"}]
    procs.portico(cfg)
    with TlsConn(port, client_context(pki)) as c:
        assert c.request("GET", "/").header("Strict-Transport-Security") == "max-age=600"
        assert c.request("GET", "/nohsts").header("Strict-Transport-Security") is None
        assert c.request("GET", "/strict").header("Strict-Transport-Security") == (
            "max-age=63072000; includeSubDomains; preload")


def _replace_file(path, source):
    """Atomically replaces `path` with the bytes of `source` (as certbot does)."""
    tmp = str(path) + ".new"
    shutil.copyfile(str(source), tmp)
    os.replace(tmp, str(path))


def _client_accepted(port, pki, cert):
    try:
        with TlsConn(port, client_context(pki, cert=cert)) as c:
            return c.request("GET", "/").status == 200
    except (ssl.SSLError, ConnectionError, OSError):
        return False


def test_client_ca_file_reloaded_without_restart(procs, pki, tmp_path):
    b = procs.echo("b0")
    port = free_port()
    ca = tmp_path / "client-ca.pem"
    _replace_file(ca, pki.ca_cert)
    p = procs.portico(tls_config(port, b, pki, client_auth="required", client_ca=str(ca),
                                 reload_check="200ms"))
    assert _client_accepted(port, pki, pki.client)
    assert not _client_accepted(port, pki, pki.foreign_client)
    # The CA rotates: only clients of the new CA get in, without a restart.
    _replace_file(ca, pki.other.ca_cert)
    wait_for(lambda: _client_accepted(port, pki, pki.foreign_client), timeout=10,
             msg="client of the new CA accepted")
    assert not _client_accepted(port, pki, pki.client)
    # A broken file keeps the CAs in use.
    (tmp_path / "broken.pem").write_text("not a certificate\n")
    _replace_file(ca, tmp_path / "broken.pem")
    wait_for(lambda: "TLS files not reloaded" in p.stderr(), timeout=5, msg="error logged")
    assert _client_accepted(port, pki, pki.foreign_client)


def test_cluster_ca_file_reloaded_without_restart(procs, pki, tmp_path):
    cert = pki.other.issue("backend-r", "backend.test", dns=["localhost"])
    b = HttpsBackend(*cert).start()
    try:
        port = free_port()
        ca = tmp_path / "upstream-ca.pem"
        _replace_file(ca, pki.ca_cert)
        procs.portico(upstream_config(port, "localhost:%d" % b.port, ca=str(ca)))
        with HttpConn(port) as c:
            assert c.request("GET", "/", "site.test").status == 502
        _replace_file(ca, pki.other.ca_cert)

        def ok():
            with HttpConn(port) as c:
                return c.request("GET", "/", "site.test").status == 200
        wait_for(ok, timeout=15, msg="backend verified against the reloaded CA")
    finally:
        b.stop()
