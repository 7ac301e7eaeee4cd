"""TLS helpers for portico's end-to-end tests: a throwaway PKI made with the openssl CLI
(a CA, server certificates with subjectAltNames, RSA or ECDSA keys, client certificates),
TLS client connections speaking raw HTTP/1.1 through e2elib.HttpConn, and a small HTTPS
backend that records the SNI it was asked for."""
import http.server
import json
import socket
import ssl
import subprocess
import threading
from pathlib import Path

from e2elib import HttpConn


def _run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Pki:
    """A CA in `directory` that issues certificates on demand."""

    def __init__(self, directory, name="portico test CA"):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ca_key = self.dir / "ca.key"
        self.ca_cert = self.dir / "ca.pem"
        self.serial = 1000
        _run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", str(self.ca_key), "-out", str(self.ca_cert), "-days", "30",
             "-subj", "/CN=%s" % name, "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def issue(self, stem, cn, dns=(), ips=(), kind="rsa", client=False, days=30):
        """Writes STEM.pem and STEM.key (signed by this CA); returns (cert_path, key_path)."""
        self.serial += 1
        key, csr, cert = (self.dir / (stem + ".key"), self.dir / (stem + ".csr"),
                          self.dir / (stem + ".pem"))
        if kind == "rsa":
            _run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                 "-out", str(key))
        else:
            _run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-out", str(key))
        _run("openssl", "req", "-new", "-key", str(key), "-out", str(csr), "-subj", "/CN=%s" % cn)
        ext = self.dir / (stem + ".ext")
        sans = ["DNS:%s" % d for d in dns] + ["IP:%s" % i for i in ips]
        lines = ["basicConstraints=CA:FALSE",
                 "extendedKeyUsage=%s" % ("clientAuth" if client else "serverAuth")]
        if sans:
            lines.append("subjectAltName=" + ",".join(sans))
        ext.write_text("\n".join(lines) + "\n")
        _run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(self.ca_cert), "-CAkey",
             str(self.ca_key), "-set_serial", str(self.serial), "-days", str(days), "-out",
             str(cert), "-extfile", str(ext))
        return cert, key


    def ocsp_response(self, cert, out, status="good"):
        """Writes to `out` a DER OCSP response signed by this CA saying `cert` is `status`
        ("good" or "revoked"), as a responder would, for stapling."""
        serial = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-serial"],
                                capture_output=True, text=True, check=True).stdout
        serial = serial.strip().split("=", 1)[1]
        index = self.dir / ("index-%s.txt" % serial)
        flag = "R\t301231000000Z\t261101000000Z" if status == "revoked" else "V\t301231000000Z\t"
        index.write_text("%s\t%s\tunknown\t/CN=x\n" % (flag, serial))
        req = self.dir / ("ocsp-%s.req" % serial)
        _run("openssl", "ocsp", "-issuer", str(self.ca_cert), "-cert", str(cert), "-reqout",
             str(req), "-no_nonce")
        _run("openssl", "ocsp", "-index", str(index), "-rsigner", str(self.ca_cert), "-rkey",
             str(self.ca_key), "-CA", str(self.ca_cert), "-reqin", str(req), "-respout",
             str(out), "-ndays", "7")
        return out


def client_context(pki=None, cert=None, alpn=("http/1.1",), **versions):
    ctx = ssl.create_default_context(cafile=str(pki.ca_cert)) if pki else \
        ssl._create_unverified_context()  # noqa: SLF001 - tests that must see any certificate
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    if cert:
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    for k, v in versions.items():
        setattr(ctx, k, v)
    return ctx


class TlsConn(HttpConn):
    """HttpConn over TLS. `server_name` is sent as SNI (and verified when the context does)."""

    def __init__(self, port, ctx, server_name="localhost", host="127.0.0.1", timeout=10.0,
                 session=None):
        raw = socket.create_connection((host, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = ctx.wrap_socket(raw, server_hostname=server_name, session=session)
        self.buf = b""
        self.timeout = timeout

    def request(self, method, target, host="localhost", headers=(), body=None):
        lines = ["%s %s HTTP/1.1" % (method, target), "Host: %s" % host]
        lines += ["%s: %s" % h for h in headers]
        if body is not None:
            lines.append("Content-Length: %d" % len(body))
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
        self.send(data)
        return self.read_response(method)

    def peer_cn(self):
        cert = self.sock.getpeercert()
        for rdn in cert.get("subject", ()):
            for k, v in rdn:
                if k == "commonName":
                    return v
        return None


def peer_cert_der(port, server_name, **ctx_opts):
    """The DER certificate portico presents for `server_name` (no verification)."""
    ctx = client_context(None, **ctx_opts)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=server_name) as s:
            return s.getpeercert(binary_form=True), s.version(), s.selected_alpn_protocol()


def cert_cn(der):
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject",
                          "-nameopt", "RFC2253"], input=der, capture_output=True, check=True)
    return out.stdout.decode().strip().split("CN=", 1)[-1].split(",")[0]


def cert_key_type(der):
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-text"], input=der,
                         capture_output=True, check=True).stdout.decode()
    return "ecdsa" if "id-ecPublicKey" in out else "rsa"


class HttpsBackend:
    """A threaded HTTPS backend answering every request with JSON naming itself, the SNI the
    client asked for and the request headers. Optional client-certificate requirement."""

    def __init__(self, cert, key, name="tlsb", client_ca=None):
        self.name = name
        self.snis = []
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server naming
                body = json.dumps({"backend": backend.name, "path": self.path,
                                   "headers": [[k, v] for k, v in self.headers.items()]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
        if client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(str(client_ca))

        def sni_cb(sock, name, _ctx):
            backend.snis.append(name)
        ctx.sni_callback = sni_cb
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
