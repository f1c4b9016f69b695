#!/usr/bin/env python3
"""A webhook receiver written from the Standard Webhooks specification alone.

It checks what any receiver of Pressroom's webhooks would: the `webhook-signature` header is
`v1,` + base64(HMAC-SHA256(key, f"{webhook-id}.{webhook-timestamp}.{body}")) where the key is
the base64 after `whsec_` in the secret; the timestamp is within five minutes; and a message
id seen before is a repeat (answered 200, not processed again).

    webhook_receiver.py SECRET_DIR LOG_FILE

Listens on 127.0.0.1 on a free port and prints `listening on PORT`. Each endpoint has its own
secret (the specification asks for one per endpoint): a request to /ok is checked with the
secret in SECRET_DIR/ok, read at each request (the test writes it once Pressroom made it). Every request
becomes one JSON line in LOG_FILE. Paths choose the answer: /ok accepts (204), /gone answers
410 Gone, /broken answers 500; a bad signature is refused with 401 wherever it is sent.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60

secret_dir, log_file = sys.argv[1], sys.argv[2]
seen = set()


def verify(path, headers, body):
    """Returns (ok, reason) for one request, per the specification."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and timestamp and signatures):
        return False, "missing webhook-id, webhook-timestamp or webhook-signature"
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False, "webhook-timestamp is not an integer"
    if abs(time.time() - sent_at) > TOLERANCE_SECONDS:
        return False, "webhook-timestamp is too far from now"
    secret_file = os.path.join(secret_dir, path.strip("/").replace("/", "_"))
    if not os.path.exists(secret_file):
        return False, "no secret for this endpoint"
    with open(secret_file, encoding="utf-8") as f:
        secret = f.read().strip()
    if not secret.startswith("whsec_"):
        return False, "the secret file does not hold a whsec_ secret"
    key = base64.b64decode(secret[len("whsec_"):])
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # The header may carry several space-separated signatures; any valid v1 one will do.
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True, "ok"
    return False, "no signature matches"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        ok, reason = verify(self.path, self.headers, body)
        msg_id = self.headers.get("webhook-id")
        repeat = ok and msg_id in seen
        entry = {
            "path": self.path,
            "id": msg_id,
            "verified": ok,
            "reason": reason,
            "repeat": repeat,
            "content_type": self.headers.get("content-type"),
        }
        try:
            entry["body"] = json.loads(body)
        except ValueError:
            entry["body"] = None
        with open(log_file, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
        if not ok:
            self.answer(401, reason)
        elif self.path == "/gone":
            self.answer(410, "this endpoint is gone")
        elif self.path == "/broken":
            self.answer(500, "database down")
        else:
            seen.add(msg_id)
            self.answer(200 if repeat else 204, "")

    def answer(self, status, text):
        data = text.encode()
        self.send_response(status)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"listening on {server.server_address[1]}", flush=True)
server.serve_forever()
