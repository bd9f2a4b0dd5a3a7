#!/usr/bin/python3
"""Reading and writing test mail for the e2e scripts.

  mailtool.py get FILE EXPR     print EXPR over m (the parsed message),
                                b (its text body), html (its HTML part,
                                "" without) and h (header dict)
  mailtool.py write FILE        a UTF-8 plain-text mail from stdin: header
                                lines, a blank line, the body (8bit)
  mailtool.py slow FILE MSGID   a letter far over a short read cap: 3.5 MB
                                of HTML, 120,000 elements (some 20 s to
                                read under ASan, 0.5 s optimised)
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
        hp = m.get_body(("html",))
        html = hp.get_content() if hp is not None else ""
        print(eval(sys.argv[3], {"m": m, "b": b, "h": h, "html": html}))
    elif sys.argv[1] == "write":
        text = sys.stdin.read()
        head, _, rest = text.partition("\n\n")
        out = head.rstrip("\n") + "\n"
        if "mime-version:" not in head.lower():
            out += ("MIME-Version: 1.0\nContent-Type: text/plain; "
                    "charset=UTF-8\nContent-Transfer-Encoding: 8bit\n")
        with open(sys.argv[2], "wb") as f:
            f.write((out + "\n" + rest).replace("\n", "\r\n").encode())
    elif sys.argv[1] == "slow":
        words = "我 很 想 去 看 醫生 朋友 家人 工作 今天 學校 老師 生活".split()
        html = "".join("<div><span>%s</span></div>\n" %
                       " ".join(words[(i + k) % len(words)] for k in range(6))
                       for i in range(60000))
        with open(sys.argv[2], "w") as f:
            f.write("From: a@example.org\nTo: tpe@centers.moj-help.example\n"
                    "Subject: long\nMessage-ID: <%s>\n"
                    "Content-Type: text/html; charset=utf-8\n\n"
                    "<html><body>%s</body></html>" % (sys.argv[3], html))
    else:
        sys.exit("usage: mailtool.py get FILE EXPR | write FILE | "
                 "slow FILE MSGID")


if __name__ == "__main__":
    main()
