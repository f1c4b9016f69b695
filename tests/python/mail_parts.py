#!/usr/bin/env python3
"""Prints the decoded text and HTML parts of a mail file as JSON, read with Python's `email`
package (the way a mail client would), for tests that check what a message says.

    mail_parts.py FILE.eml
"""

import email
import email.policy
import json
import sys

with open(sys.argv[1], "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)
text = msg.get_body(preferencelist=("plain",))
html = msg.get_body(preferencelist=("html",))
print(json.dumps({
    "subject": str(msg["Subject"]),
    "text": text.get_content() if text is not None else None,
    "html": html.get_content() if html is not None else None,
}))
