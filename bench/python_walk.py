#!/usr/bin/python3
"""The second baseline of bench/parse: Python's standard email package
(policy default) doing what bench/gmime_walk does: parse each message
named on stdin (one path per line) and decode every text part to str."""
import email
import sys
from email import policy

msgs = chars = 0
for path in sys.stdin:
    path = path.rstrip("\n")
    try:
        with open(path, "rb") as f:
            m = email.message_from_binary_file(f, policy=policy.default)
    except Exception:
        continue
    msgs += 1
    for part in m.walk():
        if part.get_content_maintype() != "text":
            continue
        try:
            chars += len(part.get_content().encode())
        except Exception:
            pass
print("%d messages, %d bytes of text" % (msgs, chars))
