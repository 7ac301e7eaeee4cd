#!/usr/bin/env python3
"""A tiny demo backend for trying portico: answers every GET (and HEAD) with
"Hello from backend NAME (port P)".

Usage: scripts/demo_backend.py --port 9001 --name one
"""
import argparse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def make_handler(name, port):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a real backend

        def _answer(self, with_body):
            body = ("Hello from backend %s (port %d)\n" % (name, port)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def do_GET(self):
            self._answer(True)

        def do_HEAD(self):
            self._answer(False)

        def log_message(self, fmt, *args):
            pass  # quiet: portico's access log tells the story

    return Handler


def main():
    ap = argparse.ArgumentParser(description="portico demo backend")
    ap.add_argument("--port", type=int, default=9001)
    ap.add_argument("--name", default="demo")
    ap.add_argument("--host", default="127.0.0.1")
    args = ap.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), make_handler(args.name, args.port))
    server.daemon_threads = True
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
