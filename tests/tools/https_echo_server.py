#!/usr/bin/env python3
"""A local HTTPS server for findex's delivery tests (tests/unit/deliver_test.cpp, TLS cases).

Usage: https_echo_server.py CERT.pem KEY.pem PORT_FILE

Listens on 127.0.0.1 on a free port, writes the port number to PORT_FILE (atomically), and
answers every POST or GET with 200 and the body "ok". It exits when its stdin closes (the test
holds the write end of a pipe), so it never outlives the test. Python standard library only;
nothing leaves the machine.
"""
import http.server
import os
import ssl
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = _answer
    do_GET = _answer

    def log_message(self, *args):  # quiet
        pass


def main():
    cert, key, port_file = sys.argv[1:4]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, port_file)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # until the test closes the pipe (or dies)
    server.shutdown()


if __name__ == "__main__":
    main()
