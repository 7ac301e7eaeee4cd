#!/usr/bin/env python3
"""Writes the seed corpus of the http2_client fuzzer (fuzz/corpus/http2_client/): what an
HTTP/2 backend might send to portico's client codec. Each seed is two control bytes (flags,
piece size: see fuzz/http2_client_fuzz_target.h) followed by server frames. HPACK blocks are
hand-encoded (static table indexes and literals, no Huffman). Run from the repository root:
  /usr/bin/python3 fuzz/gen_http2_client_seeds.py
"""
import os
import struct

SMALL, POST, RESET_ON_HEAD, NO_CONSUME, MORE, SHUTDOWN = 1, 2, 4, 8, 16, 32

DATA, HEADERS, RST, SETTINGS, PUSH, PING, GOAWAY, WINDOW, CONT = 0, 1, 3, 4, 5, 6, 7, 8, 9
END_STREAM, ACK, END_HEADERS = 1, 1, 4


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def lit(name, value):
    """Literal field without indexing, new name (RFC 7541 6.2.2)."""
    return bytes([0, len(name)]) + name + bytes([len(value)]) + value


def status(code):
    """:status as a literal with the indexed name :status (static index 8)."""
    return bytes([0x08, 3]) + code


S200 = b"\x88"  # indexed :status 200
CTYPE = b"\x5f\x0atext/plain"  # content-type (index 31), incremental indexing
CLEN5 = b"\x5c\x015"  # content-length: 5 (index 28)
SERVER_SETTINGS = frame(SETTINGS, 0, 0, struct.pack(">HI", 3, 100) + struct.pack(">HI", 4, 65535))
SETTINGS_ACK = frame(SETTINGS, ACK, 0)
PREFACE = SERVER_SETTINGS + SETTINGS_ACK

SEEDS = {
    "settings": (0, 0, PREFACE),
    "get_200_end": (0, 0, PREFACE + frame(HEADERS, END_HEADERS | END_STREAM, 1, S200 + CTYPE)),
    "get_200_data": (0, 7, PREFACE + frame(HEADERS, END_HEADERS, 1, S200 + CLEN5)
                     + frame(DATA, END_STREAM, 1, b"hello")),
    "info_trailers": (0, 0, PREFACE + frame(HEADERS, END_HEADERS, 1, status(b"100"))
                      + frame(HEADERS, END_HEADERS, 1, status(b"200") + CTYPE)
                      + frame(DATA, 0, 1, b"abc")
                      + frame(HEADERS, END_HEADERS | END_STREAM, 1, lit(b"grpc-status", b"0"))),
    "rst_stream": (POST | MORE, 0, PREFACE + frame(RST, 0, 1, struct.pack(">I", 8))
                   + frame(HEADERS, END_HEADERS | END_STREAM, 3, status(b"404"))
                   + frame(HEADERS, END_HEADERS, 5, S200)),
    "goaway": (POST, 0, PREFACE + frame(GOAWAY, 0, 0, struct.pack(">II", 1, 0))
               + frame(HEADERS, END_HEADERS | END_STREAM, 1, S200)),
    "post_windows": (POST | SMALL, 0, PREFACE + frame(WINDOW, 0, 0, struct.pack(">I", 100000))
                     + frame(WINDOW, 0, 3, struct.pack(">I", 100000))
                     + frame(HEADERS, END_HEADERS, 3, S200)
                     + frame(DATA, END_STREAM, 3, b"ok")
                     + frame(HEADERS, END_HEADERS | END_STREAM, 1, S200)),
    "continuation_reset": (RESET_ON_HEAD, 0, PREFACE + frame(PING, 0, 0, b"12345678")
                           + frame(HEADERS, 0, 1, S200) + frame(CONT, END_HEADERS, 1, CTYPE)
                           + frame(DATA, 0, 1, b"x" * 10) + frame(DATA, END_STREAM, 1)),
    "data_before_head": (0, 0, PREFACE + frame(DATA, END_STREAM, 1, b"early")),
    "not_h2": (0, 0, b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"),
    "shutdown_big_body": (SHUTDOWN | NO_CONSUME, 20, PREFACE + frame(HEADERS, END_HEADERS, 1, S200)
                          + frame(DATA, 0, 1, b"d" * 4000) + frame(DATA, END_STREAM, 1)),
    "upper_case_field": (POST, 0, PREFACE + frame(HEADERS, END_HEADERS, 1, S200 + lit(b"X-Upper", b"1"))
                         + frame(HEADERS, END_HEADERS | END_STREAM, 3, S200 + lit(b"connection", b"close"))),
    "push_promise": (0, 0, PREFACE + frame(PUSH, END_HEADERS, 1, struct.pack(">I", 2) + b"\x82\x87\x84")),
    # Five malformed response heads on five streams (each reset starts the next request; one
    # 21-byte frame per feed, so the new stream's HEADERS go out before its response comes):
    # past max_stream_errors (4 with small limits) the connection fails.
    "stream_error_limit": (SMALL | POST | MORE, 21, SERVER_SETTINGS + b"".join(
        frame(HEADERS, END_HEADERS, sid, S200 + lit(b"X-Upper", b"1")) for sid in (1, 3, 5, 7, 9, 11))),
    "ping_flood": (0, 0, PREFACE + frame(PING, 0, 0, b"12345678") * 80),
    "continuation_flood": (0, 0, PREFACE + frame(HEADERS, 0, 1, S200)
                           + frame(CONT, 0, 1, CTYPE) * 12 + frame(CONT, END_HEADERS, 1, b"")),
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "http2_client")
    os.makedirs(out, exist_ok=True)
    for name, (flags, piece, body) in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([flags, piece]) + body)


if __name__ == "__main__":
    main()
