#!/usr/bin/env python3
"""A real SMTP server on loopback that keeps what it is sent, for tests and benchmarks.

    smtp_sink.py OUT_DIR [--tls CERT KEY] [--quick]

Listens on 127.0.0.1 on a free port and prints `listening on PORT`. Every message it accepts
is written as OUT_DIR/<n>.eml (the raw bytes as received, n counting from 1) and becomes one
JSON line in OUT_DIR/log.jsonl: the envelope (`mail_from`, `rcpt_tos`), the headers a mailing
list is judged by (Subject, Message-ID, To, From, List-Unsubscribe, List-Unsubscribe-Post),
the content types of the parts, whether there is a text/plain and a text/html part, and
`problems`: what a careful receiving server would complain about (the parser's defects, a
missing Date, Message-ID or MIME-Version). Only accepted messages are written.

OUT_DIR/mode, read at each transaction (so a test can change it while the sink runs), chooses
the answer: `accept` (the default, also when the file is absent), `refuse` (550 to every RCPT),
`tempfail` (451 after DATA), `drop` (the connection is closed after the message's data,
without an answer: the sender cannot know whether it arrived), `hang` (60 s of silence after
the data, for timeouts). With --tls the sink offers STARTTLS with that certificate (optional:
plain SMTP is accepted either way).

Nothing is fsynced and nothing sleeps (except `hang`), so ten thousand messages a minute is
easy. With --quick the message is not parsed: the log line has only the envelope and the raw
Message-ID and Subject headers, so a benchmark measures the sender rather than Python's
`email` package (which costs several milliseconds a message).
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP

MODES = ("accept", "refuse", "tempfail", "drop", "hang")
HANG_SECONDS = 60
HEADERS = (
    "Subject",
    "Message-ID",
    "To",
    "From",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
)


def read_mode(out_dir):
    """The current mode; an unknown word is treated as `accept` and named on stderr."""
    try:
        with open(os.path.join(out_dir, "mode"), encoding="utf-8") as f:
            mode = f.read().strip() or "accept"
    except FileNotFoundError:
        return "accept"
    if mode not in MODES:
        print(f"smtp_sink: unknown mode {mode!r}, accepting", file=sys.stderr, flush=True)
        return "accept"
    return mode


def describe(raw):
    """The log line's parsed part: headers, part types and problems of one raw message."""
    problems = []
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    facts = {}
    for name in HEADERS:
        try:
            value = msg.get(name)
            facts[name] = None if value is None else str(value)
        except Exception as error:  # a header the parser cannot even render
            facts[name] = None
            problems.append(f"{name}: unreadable ({error})")
    for name in ("Date", "Message-ID", "MIME-Version", "From"):
        if msg.get(name) is None:
            problems.append(f"missing {name}")
    for defect in msg.defects:
        problems.append(f"message: {type(defect).__name__}: {defect}")
    for name, value in msg.items():
        for defect in getattr(value, "defects", ()):
            problems.append(f"{name}: {type(defect).__name__}: {defect}")
    content_types = []
    for part in msg.walk():
        content_types.append(part.get_content_type())
        if part is not msg:
            for defect in part.defects:
                problems.append(
                    f"part {part.get_content_type()}: {type(defect).__name__}: {defect}"
                )
    leaves = [t for t in content_types if not t.startswith("multipart/")]
    facts["content_types"] = content_types
    facts["has_text"] = "text/plain" in leaves
    facts["has_html"] = "text/html" in leaves
    facts["problems"] = problems
    return facts


def quick_headers(raw):
    """Message-ID and Subject as sent (unfolded, not decoded), without parsing the message."""
    head = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
    found = {"Message-ID": None, "Subject": None}
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        for wanted in found:
            if name.strip().lower() == wanted.lower().encode():
                found[wanted] = value.strip().decode("utf-8", "replace")
    return found


class Sink:
    """The aiosmtpd handler: answers by the mode, keeps what it accepts."""

    def __init__(self, out_dir, quick=False):
        self.out_dir = out_dir
        self.quick = quick
        self.count = 0
        self.log = open(os.path.join(out_dir, "log.jsonl"), "a", encoding="utf-8")

    @staticmethod
    def mode(server, envelope):
        # One reading per transaction: the envelope is new after each message or RSET.
        mode = getattr(envelope, "sink_mode", None)
        if mode is None:
            mode = read_mode(server.event_handler.out_dir)
            envelope.sink_mode = mode
        return mode

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mode(server, envelope) == "refuse":
            return "550 5.1.1 Recipient refused (smtp_sink mode refuse)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        mode = self.mode(server, envelope)
        if mode == "tempfail":
            return "451 4.3.0 Try again later (smtp_sink mode tempfail)"
        if mode == "drop":
            server.transport.abort()
            return "421 4.3.0 dropped"  # never reaches the client: the connection is gone
        if mode == "hang":
            await asyncio.sleep(HANG_SECONDS)
            return "451 4.3.0 Hung (smtp_sink mode hang)"
        raw = envelope.original_content or b""
        self.count += 1
        n = self.count
        with open(os.path.join(self.out_dir, f"{n}.eml"), "wb") as f:
            f.write(raw)
        entry = {
            "n": n,
            "file": f"{n}.eml",
            "size": len(raw),
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
        }
        try:
            entry.update(quick_headers(raw) if self.quick else describe(raw))
        except Exception as error:  # the sink keeps running whatever it is sent
            entry["problems"] = [f"unparseable: {type(error).__name__}: {error}"]
        self.log.write(json.dumps(entry) + "\n")
        self.log.flush()
        return "250 2.0.0 OK"


async def main():
    parser = argparse.ArgumentParser(description="SMTP sink for tests")
    parser.add_argument("out_dir")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--quick", action="store_true", help="do not parse messages")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    tls_context = None
    if args.tls:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.tls[0], args.tls[1])
    handler = Sink(args.out_dir, args.quick)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            handler,
            hostname="smtp-sink.localhost",  # never socket.getfqdn(): no DNS per connection
            enable_SMTPUTF8=True,
            tls_context=tls_context,
            auth_require_tls=False,
        ),
        "127.0.0.1",
        0,
    )
    print(f"listening on {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
