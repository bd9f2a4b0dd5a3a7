#!/usr/bin/python3
"""Reading and writing test mail for the e2e scripts.

  mailtool.py get FILE EXPR     print EXPR over m (the parsed message),
                                b (its text body) and h (header dict)
  mailtool.py write FILE        a UTF-8 plain-text mail from stdin: header
                                lines, a blank line, the body (8bit)
"""
import email
import email.policy
import sys


def load(path):
    with open(path, "rb") as f:
        return email.message_from_binary_file(f, policy=email.policy.default)


def body(m):
    part = m.get_body(("plain", "html"))
    return part.get_content() if part is not None else ""


def main():
    if sys.argv[1] == "get":
        m = load(sys.argv[2])
        b = body(m)
        h = {k.lower(): str(v) for k, v in m.items()}
        print(eval(sys.argv[3], {"m": m, "b": b, "h": h}))
    elif sys.argv[1] == "write":
        text = sys.stdin.read()
        head, _, rest = text.partition("\n\n")
        out = head.rstrip("\n") + "\n"
        if "mime-version:" not in head.lower():
            out += ("MIME-Version: 1.0\nContent-Type: text/plain; "
                    "charset=UTF-8\nContent-Transfer-Encoding: 8bit\n")
        with open(sys.argv[2], "wb") as f:
            f.write((out + "\n" + rest).replace("\n", "\r\n").encode())
    else:
        sys.exit("usage: mailtool.py get FILE EXPR | write FILE")


if __name__ == "__main__":
    main()
