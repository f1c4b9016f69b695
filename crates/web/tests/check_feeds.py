"""Parses feeds with feedparser, the library most feed readers' behaviour is measured against.

Usage: check_feeds.py FILE EXPECTED_ENTRIES [FILE EXPECTED_ENTRIES ...]
Exits 1 and says why when a feed is malformed (bozo) or has the wrong number of entries.
"""
import sys

import feedparser

failed = False
args = sys.argv[1:]
for path, expected in zip(args[::2], args[1::2]):
    parsed = feedparser.parse(path)
    if parsed.bozo:
        print(f"{path}: malformed: {parsed.bozo_exception}")
        failed = True
    if len(parsed.entries) != int(expected):
        print(f"{path}: {len(parsed.entries)} entries, expected {expected}")
        failed = True
    for entry in parsed.entries:
        if not entry.get("title") or not entry.get("link"):
            print(f"{path}: an entry lacks a title or link: {entry}")
            failed = True
    print(f"{path}: version={parsed.version} entries={len(parsed.entries)}")
sys.exit(1 if failed else 0)
