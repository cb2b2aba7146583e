#!/usr/bin/env python3
"""A webhook receiver for lvsrole's tests: verifies Standard Webhooks signatures with Python's
own hmac (independent of lvsrole's C code), records every request, and misbehaves on demand.

Usage: receiver.py DIR [--tls CERT KEY] [--client-ca CA] [--secret FILE]... [--bind ADDR]

It listens on an ephemeral port and writes it to DIR/port. Before each request it reads
DIR/mode (default "ok"):
  ok            204
  status:N      answer N (e.g. status:500, status:410, status:301 with a Location)
  retry:N:S     answer N with "Retry-After: S"
  hang          accept the request and never answer (until the client hangs up)
  slow:MS       wait MS milliseconds, then 204
  close         close the connection without an answer
  flood         500 with an endless body (8 KiB every 10 ms) until the client hangs up; the
                record's "sent" says how many body bytes were written
Every request is appended to DIR/arrived ("ID TIME") as it arrives, and to DIR/received.jsonl,
once answered (or given up on), as one JSON object:
  {"id", "timestamp", "sig_ok", "sig_keys" (which --secret files verified it, by position), "ts_ok", "status", "body", "bearer", "headers", "client_cert",
   "mode", "path", "time", "peer" (the client's port: one per connection)}
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import ssl
import sys
import threading
import time

LOCK = threading.Lock()


def load_secret(path):
    with open(path) as f:
        s = f.read().strip()
    if s.startswith("whsec_"):
        s = s[len("whsec_"):]
    return base64.b64decode(s)


def verify(keys, msg_id, ts, body, header):
    """True when one v1 entry of the header is the HMAC-SHA256 of id.ts.body with one key."""
    if not msg_id or not ts or not header:
        return False
    signed = msg_id.encode() + b"." + ts.encode() + b"." + body
    expected = [base64.b64encode(hmac.new(k, signed, hashlib.sha256).digest()).decode() for k in keys]
    for entry in header.split(" "):
        version, _, sig = entry.partition(",")
        if version == "v1" and any(hmac.compare_digest(sig, e) for e in expected):
            return True
    return False


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        d = self.server.dir
        try:
            with open(os.path.join(d, "mode")) as f:
                mode = f.read().strip() or "ok"
        except FileNotFoundError:
            mode = "ok"
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        ts = self.headers.get("webhook-timestamp", "")
        rec = {
            "id": self.headers.get("webhook-id"),
            "timestamp": ts,
            "sig_ok": verify(self.server.keys, self.headers.get("webhook-id"), ts, body,
                             self.headers.get("webhook-signature")),
            "sig_keys": [i for i, k in enumerate(self.server.keys)
                         if verify([k], self.headers.get("webhook-id"), ts, body,
                                   self.headers.get("webhook-signature"))],
            "ts_ok": ts.isdigit() and abs(int(ts) - time.time()) < 300,
            "body": body.decode("utf-8", "replace"),
            "bearer": self.headers.get("Authorization"),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "client_cert": bool(getattr(self.connection, "getpeercert", lambda: None)()),
            "mode": mode,
            "path": self.path,
            "time": time.time(),
            "peer": self.client_address[1],
        }
        status, extra = 204, {}
        with LOCK, open(os.path.join(d, "arrived"), "a") as f:  # one line per request, at once
            f.write("%s %.6f\n" % (rec["id"], rec["time"]))
        if mode == "hang":
            rec["status"] = 0
            self.record(rec)
            while True:  # until the client gives up
                time.sleep(3600)
        if mode == "close":
            rec["status"] = 0
            self.record(rec)
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if mode == "flood":
            self.send_response(500)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk, sent = b"x" * 8192, 0
            try:
                while sent < 64 * 1024 * 1024:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                    sent += len(chunk)
                    time.sleep(0.01)
            except OSError:
                pass
            rec["status"], rec["sent"] = 500, sent
            self.close_connection = True
            self.record(rec)
            return
        if mode.startswith("slow:"):
            time.sleep(int(mode[5:]) / 1000)
        elif mode.startswith("status:"):
            status = int(mode[7:])
            if 300 <= status < 400:
                extra["Location"] = "/elsewhere"
        elif mode.startswith("retry:"):
            _, n, s = mode.split(":")
            status, extra = int(n), {"Retry-After": s}
        rec["status"] = status
        self.record(rec)
        self.send_response(status)
        for k, v in extra.items():
            self.send_header(k, v)
        text = b"" if status == 204 else b"receiver says %d\n" % status
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        if text:
            self.wfile.write(text)

    def record(self, rec):
        with LOCK, open(os.path.join(self.server.dir, "received.jsonl"), "a") as f:
            f.write(json.dumps(rec) + "\n")


def main():
    args = sys.argv[1:]
    d = args.pop(0)
    tls = client_ca = None
    secrets = []
    bind = "127.0.0.1"
    while args:
        a = args.pop(0)
        if a == "--tls":
            tls = (args.pop(0), args.pop(0))
        elif a == "--client-ca":
            client_ca = args.pop(0)
        elif a == "--secret":
            secrets.append(args.pop(0))
        elif a == "--bind":
            bind = args.pop(0)
        else:
            sys.exit("unknown argument " + a)
    srv = http.server.ThreadingHTTPServer((bind, 0), Handler)
    srv.daemon_threads = True
    srv.dir = d
    srv.keys = [load_secret(s) for s in secrets]
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*tls)
        if client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(client_ca)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(os.path.join(d, "port.tmp"), "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    main()
