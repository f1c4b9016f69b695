#!/usr/bin/env python3
"""An independent verifier of Pressroom's signed releases and publication log.

Written from docs/signing.md alone (not from Pressroom's code), to show that the format is
documented well enough to verify without Pressroom. Needs the `cryptography` package.

    verify_signed.py --keys keys.json [--log page1.json page2.json ...] [signed.json ...]

Prints one line per file checked and exits 1 if anything does not verify.
"""

import argparse
import hashlib
import json
import re
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

HEX = re.compile(r"^(?:[0-9a-f]{2})*$")
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
MAX_SAFE = 2**53 - 1


class Rejected(Exception):
    pass


def unhex(text, length):
    if not isinstance(text, str) or not HEX.match(text) or len(text) != 2 * length:
        raise Rejected(f"not {length} bytes of lowercase hex: {text!r}")
    return bytes.fromhex(text)


def check_numbers(value):
    """Canonical JSON holds only integers within +-(2^53 - 1)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE:
            raise Rejected(f"integer out of range: {value}")
        return
    if isinstance(value, float):
        raise Rejected(f"not an integer: {value}")
    if isinstance(value, list):
        for item in value:
            check_numbers(item)
        return
    if isinstance(value, dict):
        for item in value.values():
            check_numbers(item)
        return
    raise Rejected(f"unexpected JSON value {value!r}")


def canonical(value):
    """docs/signing.md, "Canonical JSON"."""
    check_numbers(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def load_keys(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("format") != "pressroom-keys/1":
        raise Rejected(f"{path}: not a pressroom-keys/1 key list")
    keys = {}
    for key in doc["keys"]:
        raw = unhex(key["public_key"], 32)
        if key["algorithm"] != "Ed25519":
            raise Rejected(f"key {key['key_id']}: algorithm {key['algorithm']}")
        if sha256_hex(raw)[:16] != key["key_id"]:
            raise Rejected(f"key {key['key_id']} does not match its public key")
        for field in ("valid_from", "valid_until"):
            if key[field] is not None and not INSTANT.match(key[field]):
                raise Rejected(f"key {key['key_id']}: bad {field}")
        keys[key["key_id"]] = key
    return keys


def check_signature(message, algorithm, key_id, signature, signed_at, keys):
    if algorithm != "Ed25519":
        raise Rejected(f"algorithm {algorithm!r}")
    key = keys.get(key_id)
    if key is None:
        raise Rejected(f"not signed by this site: unknown key {key_id}")
    public = Ed25519PublicKey.from_public_bytes(unhex(key["public_key"], 32))
    try:
        public.verify(unhex(signature, 64), message)
    except InvalidSignature:
        raise Rejected("the signature does not match the content") from None
    if not isinstance(signed_at, str) or not INSTANT.match(signed_at):
        raise Rejected(f"bad signed_at {signed_at!r}")
    if signed_at < key["valid_from"]:
        raise Rejected(f"signed at {signed_at}, before key {key_id} was in service")
    if key["valid_until"] is not None and signed_at > key["valid_until"]:
        raise Rejected(f"signed at {signed_at}, after key {key_id} was retired")


PAYLOAD_KEYS = {
    "format", "site", "release_id", "translation_id", "revision_id", "kind", "language",
    "number", "date", "first_published_at", "published_at", "signed_at", "title", "lead",
    "body", "attachments", "correction", "previous",
}


def verify_signed(path, keys):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("format") != "pressroom-signed/1":
        raise Rejected("not a pressroom-signed/1 document")
    payload = doc["payload"]
    if payload.get("format") != "pressroom-release/1":
        raise Rejected("payload is not pressroom-release/1")
    if set(payload) != PAYLOAD_KEYS:
        raise Rejected(f"payload members differ: {sorted(set(payload) ^ PAYLOAD_KEYS)}")
    check_signature(
        canonical(payload), doc["algorithm"], doc["key_id"], doc["signature"],
        payload["signed_at"], keys,
    )
    return payload


def verify_log(pages, keys):
    entries = []
    head = None
    size = None
    for path in pages:
        with open(path, encoding="utf-8") as f:
            page = json.load(f)
        if page.get("format") != "pressroom-log/1":
            raise Rejected(f"{path}: not a pressroom-log/1 page")
        entries.extend(page["entries"])
        head, size = page["head"], page["size"]
    previous = "0" * 64
    for i, signed in enumerate(entries, start=1):
        entry = signed["entry"]
        where = f"log entry {entry.get('seq')}"
        if entry.get("format") != "pressroom-log-entry/1":
            raise Rejected(f"{where}: unknown format")
        if entry["seq"] != i:
            raise Rejected(f"{where}: expected entry {i}")
        data = canonical(entry)
        if sha256_hex(data) != signed["entry_sha256"]:
            raise Rejected(f"{where}: content does not match its hash")
        if entry["previous_entry_sha256"] != previous:
            raise Rejected(f"{where}: does not link to the entry before it")
        try:
            check_signature(
                data, signed["algorithm"], signed["key_id"], signed["signature"],
                entry["signed_at"], keys,
            )
        except Rejected as e:
            raise Rejected(f"{where}: {e}") from None
        previous = signed["entry_sha256"]
    if size != len(entries):
        raise Rejected(f"the log says {size} entries, the pages hold {len(entries)}")
    if entries and (head is None or head["entry_sha256"] != previous):
        raise Rejected("the signed head is not the last entry")
    return entries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", required=True, help="keys.json of the site")
    parser.add_argument("--log", nargs="*", default=[], help="log pages, in order")
    parser.add_argument("files", nargs="*", help="signed.json files")
    args = parser.parse_args()
    failed = 0
    try:
        keys = load_keys(args.keys)
    except (Rejected, KeyError, ValueError) as e:
        print(f"FAIL {args.keys}: {e}")
        return 1
    logged = {}
    if args.log:
        try:
            for signed in verify_log(args.log, keys):
                entry = signed["entry"]
                if entry["action"] in ("publish", "correct"):
                    logged[entry["revision_id"]] = (entry["payload_sha256"], entry["signature_sha256"])
            print(f"OK log: {len(logged)} publications chained and signed")
        except (Rejected, KeyError, ValueError, TypeError) as e:
            print(f"FAIL log: {e}")
            failed += 1
    for path in args.files:
        try:
            payload = verify_signed(path, keys)
            if args.log:
                with open(path, encoding="utf-8") as f:
                    doc = json.load(f)
                expected = (
                    sha256_hex(canonical(doc["payload"])),
                    sha256_hex(unhex(doc["signature"], 64)),
                )
                if logged.get(payload["revision_id"]) != expected:
                    raise Rejected("not recorded in the publication log")
            number = (payload["number"] or {}).get("display", "")
            print(f"OK {path}: {payload['language']} {number} {payload['title']}")
        except (Rejected, KeyError, ValueError, TypeError) as e:
            print(f"FAIL {path}: {e}")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
