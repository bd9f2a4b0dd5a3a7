#!/usr/bin/env python3
"""Write lamplight's synthetic demo mailboxes and test fixtures.

Every letter here is invented: names, phones, national IDs and addresses
belong to nobody, mail domains are example.org/.net/.com, and the help
webpage's domains are the ones in spec/webform.md.  Nothing is copied from
any corpus.  The output is deterministic (fixed dates, Message-IDs,
boundaries and seed), with CRLF line ends, so rerunning this script
reproduces the committed files byte for byte.

    python3 tests/corpus/make-corpus.py [--check]

Writes, relative to the repository root:

    maildir/{tpe,khh,hua}/{new,cur,tmp}/   demo Maildirs (see maildir/README.md)
    tests/corpus/*.eml                    unit-test fixtures
    tests/corpus/broken/*.eml             malformed mail
    tests/corpus/expected.tsv             what each fixture is

With --check it writes nothing; it only builds everything and runs the
self-checks (parse, charset, form layout, keywords).

Only the Python 3 standard library is used.
"""

import base64
import datetime as dt
import email
import email.header
import email.utils
import hashlib
import html
import os
import random
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TZ = dt.timezone(dt.timedelta(hours=8))

FORM_FROM_NAME = "求助網頁"
FORM_FROM_ADDR = "webform@moj-help.example"
CENTRE_DOMAIN = "centers.moj-help.example"
SUBJECT_PREFIX = "[求助網頁] "

CENTRES = {
    "TPE": "臺北市", "NWT": "新北市", "TAO": "桃園市", "TXG": "臺中市",
    "TNN": "臺南市", "KHH": "高雄市", "KEE": "基隆市", "HSZ": "新竹市",
    "HSQ": "新竹縣", "MIA": "苗栗縣", "CHA": "彰化縣", "NAN": "南投縣",
    "YUN": "雲林縣", "CYI": "嘉義市", "CYQ": "嘉義縣", "PIF": "屏東縣",
    "ILA": "宜蘭縣", "HUA": "花蓮縣", "TTT": "臺東縣", "PEN": "澎湖縣",
    "KIN": "金門縣", "LIE": "連江縣",
}

FORM_LABELS = [
    "求助縣市", "求助者身分", "是否表明身分", "姓名", "性別", "出生年月日",
    "聯絡電話", "電子郵件", "聯絡地址", "身分證統一編號", "希望聯繫方式",
    "主旨", "內容",
]
IDENTITY_LABELS = ["姓名", "性別", "出生年月日", "聯絡電話", "電子郵件",
                   "聯絡地址", "身分證統一編號"]

# The simple urgency rule the emergency letters must trip, and the words no
# other letter may contain (so the rule has no false positives here).
EMERGENCY_WORDS = ["燒炭", "今晚", "藥都吞了", "不想活"]
NON_EMERGENCY_BANNED = EMERGENCY_WORDS + [
    "死", "自殺", "輕生", "活不下去", "想不開", "跳樓", "割腕", "結束生命",
    "傷害自己",
]


# --------------------------------------------------------------------------
# Small helpers

def centre_name(code):
    return CENTRES[code] + "政府毒品危害防制中心"


def centre_addr(code):
    return "%s@%s" % (code.lower(), CENTRE_DOMAIN)


def when(y, mo, d, h, mi, s):
    return dt.datetime(y, mo, d, h, mi, s, tzinfo=TZ)


def rfc_date(t):
    return email.utils.format_datetime(t)


def token(*parts, n=10):
    """A fixed pseudo-random hex string derived from the parts."""
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:n]


ID_LETTERS = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17,
    "I": 34, "J": 18, "K": 19, "L": 20, "M": 21, "N": 22, "O": 35, "P": 23,
    "Q": 24, "R": 25, "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30,
    "Y": 31, "Z": 33,
}


def tw_id_ok(nid):
    """The standard Taiwan national ID check: letter + 9 digits."""
    if not re.fullmatch(r"[A-Z][12]\d{8}", nid):
        return False
    n = ID_LETTERS[nid[0]]
    total = n // 10 + (n % 10) * 9
    for w, c in zip([8, 7, 6, 5, 4, 3, 2, 1, 1], nid[1:]):
        total += w * int(c)
    return total % 10 == 0


def tw_id(letter, eight_digits):
    """Complete a national ID with its check digit."""
    for c in "0123456789":
        nid = letter + eight_digits + c
        if tw_id_ok(nid):
            return nid
    raise AssertionError("no check digit for " + letter + eight_digits)


def tw_id_bad(letter, eight_digits):
    """The same ID with a mistyped (wrong) check digit."""
    good = tw_id(letter, eight_digits)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not tw_id_ok(bad)
    return bad


def b64_lines(data):
    s = base64.b64encode(data).decode("ascii")
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + "\n"


def qp_lines(data):
    """Quoted-printable (RFC 2045) of text whose line breaks are LF."""
    out = []
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for line in lines:
        toks = []
        for i, b in enumerate(line):
            last = i == len(line) - 1
            if (33 <= b <= 126 and b != 61) or (b in (9, 32) and not last):
                toks.append(chr(b))
            else:
                toks.append("=%02X" % b)
        cur = ""
        for t in toks:
            if len(cur) + len(t) > 75:
                out.append(cur + "=")
                cur = ""
            cur += t
        out.append(cur)
    return "\n".join(out) + "\n"


def ew_b(text, charset="UTF-8", codec="utf-8"):
    """RFC 2047 B-encoded words, folded, each at most 42 bytes of text."""
    words, cur = [], ""
    limit = 42
    for ch in text:
        if len((cur + ch).encode(codec)) > limit:
            words.append(cur)
            cur = ""
        cur += ch
    if cur:
        words.append(cur)
    enc = ["=?%s?B?%s?=" % (charset,
                            base64.b64encode(w.encode(codec)).decode())
           for w in words]
    return "\n ".join(enc)


def ew_q(text):
    """RFC 2047 Q-encoded UTF-8 words, folded."""
    safe = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
               b"0123456789!*+-/")
    words, cur = [], ""
    for ch in text:
        piece = "".join(
            chr(b) if b in safe else "_" if b == 32 else "=%02X" % b
            for b in ch.encode("utf-8"))
        if len(cur) + len(piece) > 60:
            words.append(cur)
            cur = ""
        cur += piece
    if cur:
        words.append(cur)
    return "\n ".join("=?UTF-8?Q?%s?=" % w for w in words)


def named(name, addr, charset="UTF-8", codec="utf-8"):
    words = ew_b(name, charset, codec)
    sep = "\n " if len(words) + len(addr) > 64 else " "
    return "%s%s<%s>" % (words, sep, addr)


def received(helo, ip, t, qid, rcpt):
    return ("from %s (%s [%s])\n\tby mx.%s (Postfix) with ESMTPS id %s\n"
            "\tfor <%s>; %s" % (helo, helo, ip, CENTRE_DOMAIN, qid, rcpt,
                                 rfc_date(t + dt.timedelta(seconds=2))))


def assemble(headers, body):
    """headers: list of (name, str-or-bytes); body: str or bytes.

    Line breaks are written as LF here and turned into CRLF at the end.
    """
    out = []
    for name, value in headers:
        if isinstance(value, str):
            value = value.encode("ascii")
        out.append(name.encode("ascii") + b": " + value)
    if isinstance(body, str):
        body = body.encode("ascii")
    raw = b"\n".join(out) + b"\n\n" + body
    raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return raw


# --------------------------------------------------------------------------
# Form letters

def form_text(f):
    """The plain-text part: label, full-width colon, value; 內容 last."""
    lines = []
    for label in FORM_LABELS[:-1]:
        lines.append("%s：%s" % (label, f.get(label, "")))
    lines.append("內容：" + f["內容"].rstrip("\n"))
    return "\n".join(lines) + "\n"


def form_html(f):
    rows = []
    for label in FORM_LABELS:
        value = html.escape(f.get(label, "")).rstrip("\n")
        if label == "內容":
            value = value.replace("\n", "<br>\n")
        rows.append('<tr><th align="left" valign="top">%s</th><td>%s</td></tr>'
                    % (label, value))
    return ('<!DOCTYPE html>\n<html lang="zh-Hant-TW">\n<head>'
            '<meta charset="UTF-8"><title>%s</title></head>\n<body>\n'
            '<p>求助網頁來信</p>\n<table border="1" cellpadding="4" '
            'style="border-collapse:collapse">\n%s\n</table>\n</body>\n'
            '</html>\n' % (html.escape(f["主旨"]), "\n".join(rows)))


def form_fields(code, writer, identity, subject, content, contact="皆可"):
    f = {"求助縣市": centre_name(code), "求助者身分": writer}
    if identity is None:
        f["是否表明身分"] = "否"
        for label in IDENTITY_LABELS:
            f[label] = ""
        f["希望聯繫方式"] = ""
    else:
        f["是否表明身分"] = "是"
        for label in IDENTITY_LABELS:
            f[label] = identity.get(label, "")
        f["希望聯繫方式"] = contact
    f["主旨"] = subject
    f["內容"] = content
    return f


def form_v2(code, t, f, reply_to, text_cte="base64", crlf_inside=True,
            truncate=False):
    mid_tok = token("form", code, t.isoformat())
    boundary = "----=_HelpForm_%s" % token("b", code, t.isoformat(), n=16)
    text = form_text(f)
    if crlf_inside:
        text = text.replace("\n", "\r\n")
    text_b = text.encode("utf-8")
    html_b = form_html(f).encode("utf-8")
    if text_cte == "base64":
        text_enc = b64_lines(text_b)
    else:
        text_enc = qp_lines(text.replace("\r\n", "\n").encode("utf-8"))
        # The line break before a boundary belongs to the boundary, so the
        # text's own final line break needs one more.
        text_enc += "\n"
    html_enc = b64_lines(html_b)
    if truncate:
        # The mailer died mid-way: the HTML part stops short and the
        # closing boundary never comes.
        html_enc = html_enc[:len(html_enc) // 2].rsplit("\n", 1)[0] + "\n"
    body = ("This is a multi-part message in MIME format.\n"
            "--%s\n"
            "Content-Type: text/plain; charset=UTF-8\n"
            "Content-Transfer-Encoding: %s\n\n%s"
            "--%s\n"
            "Content-Type: text/html; charset=UTF-8\n"
            "Content-Transfer-Encoding: base64\n\n%s"
            % (boundary, text_cte, text_enc, boundary, html_enc))
    if not truncate:
        body += "--%s--\n" % boundary
    h = [
        ("Return-Path", "<%s>" % FORM_FROM_ADDR),
        ("Received", received("web1.moj-help.example", "192.0.2.21", t,
                              token("q", mid_tok).upper(),
                              centre_addr(code))),
        ("Date", rfc_date(t)),
        ("From", named(FORM_FROM_NAME, FORM_FROM_ADDR)),
        ("To", centre_addr(code)),
    ]
    if reply_to:
        h.append(("Reply-To", reply_to))
    h += [
        ("Subject", ew_b(SUBJECT_PREFIX + f["主旨"])),
        ("Message-ID", "<%s.%s@moj-help.example>"
         % (t.strftime("%Y%m%d%H%M%S"), mid_tok)),
        ("X-Help-Form", "2"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/alternative;\n boundary="%s"' % boundary),
    ]
    return assemble(h, body)


def form_v1(code, t, f, reply_to, cte="8bit"):
    """Version 1: one text/plain; charset=Big5 part, no X-Help-Form."""
    mid_tok = token("form1", code, t.isoformat())
    text_b = form_text(f).encode("cp950")
    body = text_b if cte == "8bit" else qp_lines(text_b).encode("ascii")
    h = [
        ("Return-Path", "<%s>" % FORM_FROM_ADDR),
        ("Received", received("web0.moj-help.example", "192.0.2.20", t,
                              token("q", mid_tok).upper(),
                              centre_addr(code))),
        ("Date", rfc_date(t)),
        ("From", named(FORM_FROM_NAME, FORM_FROM_ADDR, "Big5", "cp950")),
        ("To", centre_addr(code)),
    ]
    if reply_to:
        h.append(("Reply-To", reply_to))
    h += [
        ("Subject", ew_b(SUBJECT_PREFIX + f["主旨"])),
        ("Message-ID", "<%s.%s@moj-help.example>"
         % (t.strftime("%Y%m%d%H%M%S"), mid_tok)),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=Big5"),
        ("Content-Transfer-Encoding", cte),
    ]
    return assemble(h, body)


# --------------------------------------------------------------------------
# Direct (free-form) mail

def direct(code, t, name, addr, subject, body, ctype="text/plain",
           cte="quoted-printable", message_id=True, subject_enc="B",
           raw_subject_codec=None, charset="UTF-8", extra=()):
    host = addr.split("@")[1]
    codec = "cp950" if charset.lower() == "big5" else "utf-8"
    data = body.encode(codec)
    if cte == "base64":
        enc = b64_lines(data).encode("ascii")
    elif cte == "quoted-printable":
        enc = qp_lines(data).encode("ascii")
    else:
        enc = data
    if raw_subject_codec:
        subj = subject.encode(raw_subject_codec)
    elif subject_enc == "Q":
        subj = ew_q(subject)
    else:
        subj = ew_b(subject)
    h = [
        ("Return-Path", "<%s>" % addr),
        ("Received", received("smtp." + host, "198.51.100.%d"
                              % (40 + len(addr)), t,
                              token("q", addr, t.isoformat()).upper(),
                              centre_addr(code))),
        ("Date", rfc_date(t)),
        ("From", named(name, addr)),
        ("To", named(centre_name(code), centre_addr(code))),
        ("Subject", subj),
    ]
    if message_id:
        h.append(("Message-ID", "<%s.%s@%s>"
                  % (t.strftime("%Y%m%d%H%M%S"),
                     token("m", addr, t.isoformat(), n=14), "mail." + host)))
    h += list(extra)
    h += [
        ("MIME-Version", "1.0"),
        ("Content-Type", "%s; charset=%s" % (ctype, charset)),
        ("Content-Transfer-Encoding", cte),
    ]
    return assemble(h, enc)


def html_letter(paragraphs):
    body = "".join("<p>%s</p>\n" % p for p in paragraphs)
    return ('<html>\n<head><meta http-equiv="Content-Type" '
            'content="text/html; charset=UTF-8"></head>\n'
            '<body style="font-family:PMingLiU,serif">\n%s</body>\n'
            '</html>\n' % body)


# --------------------------------------------------------------------------
# Machine mail: auto replies and bounces

def ack_message(code, t, case_no, to_addr):
    """The centre's acknowledgement, as it appears inside a bounce."""
    text = ("您好：\n\n本中心已收到您的信件，案件編號 %s。\n"
            "承辦社工會儘快和您聯絡，回信時主旨請勿刪除案件編號。\n\n%s\n"
            % (case_no, centre_name(code)))
    h = [
        ("Date", rfc_date(t)),
        ("From", named(centre_name(code), centre_addr(code))),
        ("To", to_addr),
        ("Subject", ew_b("[%s] 來信收件通知" % case_no)),
        ("Message-ID", "<ack.%s@%s>" % (case_no, CENTRE_DOMAIN)),
        ("Auto-Submitted", "auto-replied"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=UTF-8"),
        ("Content-Transfer-Encoding", "base64"),
    ]
    return h, b64_lines(text.encode("utf-8"))


def auto_reply(code, t, name, addr, case_no, text, html_part=None):
    boundary = "=_autoreply_%s" % token("ar", addr, n=12)
    if html_part is None:
        ctype = [("Content-Type", "text/plain; charset=UTF-8"),
                 ("Content-Transfer-Encoding", "base64")]
        body = b64_lines(text.encode("utf-8"))
    else:
        ctype = [("Content-Type",
                  'multipart/alternative;\n boundary="%s"' % boundary)]
        body = ("--%s\nContent-Type: text/plain; charset=UTF-8\n"
                "Content-Transfer-Encoding: base64\n\n%s"
                "--%s\nContent-Type: text/html; charset=UTF-8\n"
                "Content-Transfer-Encoding: base64\n\n%s--%s--\n"
                % (boundary, b64_lines(text.encode("utf-8")), boundary,
                   b64_lines(html_part.encode("utf-8")), boundary))
    host = addr.split("@")[1]
    h = [
        ("Return-Path", "<%s>" % addr),
        ("Received", received("smtp." + host, "198.51.100.61", t,
                              token("q", addr, "ar").upper(),
                              centre_addr(code))),
        ("Date", rfc_date(t)),
        ("From", named(name, addr)),
        ("To", centre_addr(code)),
        ("Subject", ew_b("自動回覆: [%s] 來信收件通知" % case_no)),
        ("Message-ID", "<%s.%s@mail.%s>"
         % (t.strftime("%Y%m%d%H%M%S"), token("ar", addr, case_no), host)),
        ("In-Reply-To", "<ack.%s@%s>" % (case_no, CENTRE_DOMAIN)),
        ("References", "<ack.%s@%s>" % (case_no, CENTRE_DOMAIN)),
        ("Auto-Submitted", "auto-replied"),
        ("X-Auto-Response-Suppress", "All"),
        ("Precedence", "bulk"),
        ("MIME-Version", "1.0"),
    ] + ctype
    return assemble(h, body)


def bounce(code, t, sent, case_no, rcpt, status, diag, explanation,
           headers_only=False):
    boundary = "%s/mx.example.net" % token("dsn", rcpt, n=12).upper()
    qid = token("qid", rcpt, n=10).upper()
    ack_h, ack_body = ack_message(code, sent, case_no, rcpt)
    ack_head = "\n".join("%s: %s" % hv for hv in ack_h)
    if headers_only:
        returned = ("Content-Type: text/rfc822-headers\n"
                    "Content-Description: Undelivered Message Headers\n\n"
                    "%s\n" % ack_head)
    else:
        returned = ("Content-Type: message/rfc822\n"
                    "Content-Description: Undelivered Message\n\n"
                    "%s\n\n%s" % (ack_head, ack_body))
    body = (
        "This is a MIME-encapsulated message.\n\n"
        "--%(b)s\n"
        "Content-Description: Notification\n"
        "Content-Type: text/plain; charset=us-ascii\n\n"
        "This is the mail system at host mx.example.net.\n\n"
        "Your message could not be delivered to one or more recipients.\n"
        "It is attached below.\n\n"
        "                   The mail system\n\n"
        "<%(rcpt)s>: %(expl)s\n\n"
        "--%(b)s\n"
        "Content-Description: Delivery report\n"
        "Content-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.net\n"
        "X-Postfix-Queue-ID: %(qid)s\n"
        "X-Postfix-Sender: rfc822; %(from)s\n"
        "Arrival-Date: %(sent)s\n\n"
        "Final-Recipient: rfc822; %(rcpt)s\n"
        "Original-Recipient: rfc822;%(rcpt)s\n"
        "Action: failed\n"
        "Status: %(status)s\n"
        "Diagnostic-Code: %(diag)s\n\n"
        "--%(b)s\n"
        "%(returned)s"
        "--%(b)s--\n"
        % {"b": boundary, "rcpt": rcpt, "expl": explanation, "qid": qid,
           "from": centre_addr(code), "sent": rfc_date(sent),
           "status": status, "diag": diag, "returned": returned})
    h = [
        ("Return-Path", "<>"),
        ("Received", received("mx.example.net", "203.0.113.25", t,
                              qid[::-1], centre_addr(code))),
        ("Date", rfc_date(t)),
        ("From", "Mail Delivery System <MAILER-DAEMON@example.net>"),
        ("To", centre_addr(code)),
        ("Subject", "Undelivered Mail Returned to Sender"),
        ("Message-ID", "<%s.%s@mx.example.net>"
         % (t.strftime("%Y%m%d%H%M%S"), qid)),
        ("Auto-Submitted", "auto-replied"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/report; report-type=delivery-status;\n'
         ' boundary="%s"' % boundary),
    ]
    return assemble(h, body)


# --------------------------------------------------------------------------
# The letters.  Each entry: (path, bytes, expectation dict).

def build():
    out = []

    def add(path, data, kind, urgency="-", reply="-", emergency=False,
            form=None, big5=False):
        out.append({"path": path, "data": data, "kind": kind,
                    "urgency": urgency, "reply": reply,
                    "emergency": emergency, "form": form, "big5": big5})

    # ---- maildir/tpe ----------------------------------------------------

    t = when(2026, 11, 2, 9, 14, 7)
    f = form_fields("TPE", "家屬", {
        "姓名": "廖淑惠", "性別": "女", "出生年月日": "民國58年10月21日",
        "聯絡電話": "0928-416-375", "電子郵件": "shuhui.liao@example.org",
        "聯絡地址": "臺北市文山區興隆路三段52巷7號3樓",
        "身分證統一編號": tw_id("A", "22804617"),
    }, "想幫兒子找戒癮門診",
        "社工您好，\n"
        "我兒子二十六歲，這兩年跟著朋友開始用安非他命，上個月被我發現，"
        "他自己也說想戒掉。\n"
        "他白天在物流倉庫上班，希望能找晚上或週末有看診的醫院。\n"
        "想請問臺北市哪幾家醫院有戒癮治療？可否麻煩中心協助轉介，"
        "安排第一次門診？\n"
        "如果治療費用有補助，也麻煩一併告訴我們怎麼申請。\n"
        "他同意我替他寫這封信，你們直接打電話給他或給我都可以。\n"
        "謝謝你們。\n", contact="皆可")
    add("maildir/tpe/new/%d.demo0001.lamplight" % t.timestamp(),
        form_v2("TPE", t, f, "shuhui.liao@example.org"),
        "help_request", "application", "shuhui.liao@example.org", form=f)

    t = when(2026, 11, 2, 22, 41, 53)
    f = form_fields("TPE", "戒毒者本人", {
        "姓名": "徐家豪", "性別": "男", "出生年月日": "1990-07-14",
        "聯絡電話": "0917-552-083", "電子郵件": "jiahao.hsu90@example.net",
        "聯絡地址": "臺北市萬華區康定路217巷5號4樓",
        "身分證統一編號": tw_id("A", "13390528"),
    }, "對不起",
        "我撐不下去了。\n"
        "出來半年又開始用，工作也丟了，女朋友帶著小孩回娘家，"
        "打電話都不接。\n"
        "炭已經買好放在房間裡，今晚等室友出門我就要燒炭。\n"
        "我不想活了，只是覺得應該跟誰說一聲。\n"
        "如果有人看到這封信，可以打給我嗎\n", contact="電話")
    add("maildir/tpe/new/%d.demo0002.lamplight" % t.timestamp(),
        form_v2("TPE", t, f, "jiahao.hsu90@example.net"),
        "help_request", "emergency", "jiahao.hsu90@example.net",
        emergency=True, form=f)

    t = when(2026, 11, 3, 13, 5, 26)
    add("maildir/tpe/new/%d.demo0003.lamplight" % t.timestamp(),
        direct("TPE", t, "黃建志", "chienchih.huang@example.org",
               "關於美沙冬治療想請教幾件事",
               "您好：\n\n"
               "我住在內湖，用海洛因好幾年了，最近在考慮接受美沙冬治療，"
               "但還沒有決定。\n"
               "想先請教幾件事：\n"
               "一、美沙冬是不是每天都要到醫院喝？週末和過年也要去嗎？\n"
               "二、每個月的費用大約多少？健保有沒有給付？\n"
               "三、開始治療以後，如果被驗尿，醫院開的藥會不會讓我"
               "被當成還在用？\n"
               "目前只是蒐集資料，還沒有要報名，回信告訴我就好，"
               "謝謝。\n\n"
               "黃建志\n"),
        "help_request", "consultation", "chienchih.huang@example.org")

    # ---- maildir/khh ----------------------------------------------------

    t = when(2026, 11, 4, 10, 22, 48)
    f = form_fields("KHH", "戒毒者本人", {
        "姓名": "蔡明勳", "性別": "男", "出生年月日": "民國79年4月9日",
        "聯絡電話": "0963-208-417", "電子郵件": "minghsun.tsai@example.com",
        "聯絡地址": "高雄市三民區九如一路733號",
        "身分證統一編號": tw_id("E", "12065093"),
    }, "請幫忙介紹工作",
        "社工你好\n"
        "我上個月從監所出來，現在暫住在我哥家，每天都在找工作。\n"
        "我在裡面考到丙級電焊證照，以前也做過鐵工。\n"
        "可是去面試的時候一講到有前科，對方就說會再通知，"
        "然後就沒有消息了。\n"
        "想請中心幫我聯絡就業服務站的人，如果有願意用更生人的工廠也可以。\n"
        "我有機車，鳳山、仁武、大社都能去上班。\n"
        "謝謝\n", contact="電話")
    add("maildir/khh/new/%d.demo0004.lamplight" % t.timestamp(),
        form_v1("KHH", t, f, "minghsun.tsai@example.com", cte="8bit"),
        "help_request", "application", "minghsun.tsai@example.com",
        form=f, big5=True)

    t = when(2026, 11, 5, 23, 8, 14)
    f = form_fields("KHH", "朋友", None, "朋友好像在用咖啡包",
        "想請問一下。\n"
        "我有一個從國中就認識的好朋友，最近半年常常跟一群人去夜店，"
        "我看到他手機裡有在買咖啡包的對話。\n"
        "他上班常常請假，脾氣也變得很差，以前不會這樣。\n"
        "我不想害他被抓，所以不敢留名字。\n"
        "想問的是：如果我勸他去看醫生，醫院會不會通報警察？"
        "身為朋友我可以做些什麼？\n"
        "我會再上網看你們的說明，謝謝。\n")
    add("maildir/khh/new/%d.demo0005.lamplight" % t.timestamp(),
        form_v2("KHH", t, f, None),
        "help_request", "consultation", "-", form=f)

    # ---- maildir/hua ----------------------------------------------------

    t = when(2026, 11, 3, 8, 47, 31)
    add("maildir/hua/new/%d.demo0006.lamplight" % t.timestamp(),
        direct("HUA", t, "潘素琴", "suchin.pan@example.net",
               "想替弟弟申請中途之家",
               html_letter([
                   "花蓮縣毒品危害防制中心 您好：",
                   "我是潘素琴，想替我弟弟潘志強詢問中途之家的事。"
                   "他今年四十一歲，預計十二月初從花蓮監獄期滿出來。",
                   "我們父母都不在花蓮了，我住台北，家裡沒有地方讓他住。"
                   "他在裡面聽教誨師說花蓮有中途之家，他自己也願意去。",
                   "想替他申請入住，請問要準備哪些資料？"
                   "可以先幫他登記或轉介嗎？",
                   "這段時間請寄信到這個信箱，或打我的手機 "
                   "0921-374-056，謝謝。",
                   "潘素琴 敬上",
               ]),
               ctype="text/html", cte="quoted-printable"),
        "help_request", "application", "suchin.pan@example.net")

    t = when(2026, 11, 4, 7, 2, 9)
    add("maildir/hua/new/%d.demo0007.lamplight" % t.timestamp(),
        auto_reply("HUA", t, "吳宗翰", "tsunghan.wu@example.com",
                   "HUA-1151103-0002",
                   "您好：\n\n"
                   "我 11 月 3 日到 11 月 9 日出差，這段期間不方便收信，"
                   "回來後會儘快回覆。\n"
                   "如有急事請撥 0922-617-305。\n\n"
                   "This is an automatic reply. I am away from 3 to 9 "
                   "November and will answer when I am back.\n\n"
                   "吳宗翰\n"),
        "auto_reply")

    sent = when(2026, 11, 4, 15, 30, 2)
    t = when(2026, 11, 4, 15, 30, 9)
    add("maildir/hua/new/%d.demo0008.lamplight" % t.timestamp(),
        bounce("HUA", t, sent, "HUA-1151104-0003", "cmlin.1977@example.net",
               "5.1.1", "x-unix; user unknown",
               "unknown user: \"cmlin.1977\""),
        "bounce")

    # ---- tests/corpus ---------------------------------------------------

    t = when(2026, 11, 6, 14, 19, 40)
    f = form_fields("NWT", "戒毒者本人", {
        "姓名": "鄭宇翔", "性別": "男", "出生年月日": "1996-12-03",
        "聯絡電話": "(02)2961-4738", "電子郵件": "yuhsiang.cheng@example.net",
        "聯絡地址": "新北市板橋區四川路二段 56 號 9 樓",
        "身分證統一編號": tw_id("F", "13852406"),
    }, "想做愛滋篩檢和找諮商",
        "您好\n"
        "我之前有跟別人共用過針具，最近一直很擔心，想做愛滋篩檢。\n"
        "另外我已經三個月沒有碰了，但晚上常常睡不好、心情很亂，"
        "想找心理師固定談話。\n"
        "能否替我安排篩檢的地點，並轉介諮商？最好在板橋或新莊。\n"
        "平日下班後（晚上七點以後）或週六比較方便。\n"
        "請用 email 跟我聯絡，謝謝。\n", contact="電子郵件")
    add("tests/corpus/form-v2-application.eml",
        form_v2("NWT", t, f, "yuhsiang.cheng@example.net",
                text_cte="quoted-printable"),
        "help_request", "application", "yuhsiang.cheng@example.net", form=f)

    t = when(2026, 11, 7, 2, 36, 18)
    f = form_fields("TNN", "戒毒者本人", {
        "姓名": "李怡君", "性別": "女", "出生年月日": "民國81年2月17日",
        "聯絡電話": "0975-830-142", "電子郵件": "yichun.lee0217@example.org",
        "聯絡地址": "臺南市東區長榮路二段 95 巷 12 號 5 樓之 3",
        "身分證統一編號": tw_id("D", "26619043"),
    }, "抱歉打擾",
        "我剛剛把醫生開的安眠藥跟家裡剩下的藥都吞了，大概四十幾顆。\n"
        "這陣子每天都在想同一件事，真的不想活了。\n"
        "我也說不清楚為何要寫這封信，可能只是想讓一個人知道。\n"
        "我住在租的套房，門沒有鎖。\n", contact="電話")
    add("tests/corpus/form-v2-emergency.eml",
        form_v2("TNN", t, f, "yichun.lee0217@example.org",
                crlf_inside=False),
        "help_request", "emergency", "yichun.lee0217@example.org",
        emergency=True, form=f)

    t = when(2026, 11, 9, 11, 3, 55)
    f = form_fields("PIF", "家屬", {
        "姓名": "許雅婷", "性別": "女", "出生年月日": "民國77年6月30日",
        "聯絡電話": "0910 562 839", "電子郵件": "yating.hsu@example.com",
        "聯絡地址": "屏東縣潮州鎮新生路 41 號",
        # Deliberately mistyped: the check digit is wrong.
        "身分證統一編號": tw_id_bad("T", "20473318"),
    }, "申請生活補助",
        "中心的承辦人您好：\n"
        "我先生十月底被送進勒戒所，家裡只剩我一個人在餐廳打工養兩個小孩。\n"
        "老大國小三年級，老二還在上幼兒園，這學期的學費和安親班費用"
        "我已經付不太出來，孩子的功課也常常沒人看。\n"
        "想申請生活補助或學費補助，要帶哪些證明文件？"
        "要到哪裡辦？\n"
        "平日下午兩點到五點比較方便接電話。\n"
        "許雅婷\n", contact="電話")
    add("tests/corpus/form-v1-big5.eml",
        form_v1("PIF", t, f, "yating.hsu@example.com",
                cte="quoted-printable"),
        "help_request", "application", "yating.hsu@example.com",
        form=f, big5=True)

    t = when(2026, 11, 10, 16, 48, 2)
    add("tests/corpus/direct-utf8.eml",
        direct("TXG", t, "劉靜宜", "chingyi.liu@example.com",
               "請問學生疑似用藥該怎麼處理",
               "中心您好：\n\n"
               "我在臺中市某國中擔任導師。班上有一位學生最近上課常趴睡，"
               "書包裡被同學看到不明的粉末包。\n"
               "目前只是懷疑，還沒有證據，家長那邊我也還沒聯絡。\n"
               "想請教：\n"
               "1. 老師發現這種狀況，依規定要先通報誰？\n"
               "2. 跟家長談的時候，有什麼要注意的地方？\n"
               "3. 如果之後確定有用藥，學生還能繼續留在學校上課嗎？\n\n"
               "先謝謝您的說明。\n"
               "劉靜宜\n",
               cte="8bit", subject_enc="Q"),
        "help_request", "consultation", "chingyi.liu@example.com")

    t = when(2026, 11, 11, 20, 12, 37)
    add("tests/corpus/html-only.eml",
        direct("TAO", t, "邱文彬", "wenpin.chiu@example.org",
               "觀察勒戒要多久",
               html_letter([
                   "您好，",
                   "我兒子上週因為身上帶著安非他命被警方移送，"
                   "律師說他可能會被送觀察勒戒。",
                   "想了解觀察勒戒一般是幾個月？家人可以去會客嗎？"
                   "出來以後會不會留下紀錄，影響他找工作？",
                   "現階段只是想把流程弄清楚，謝謝您撥空回答。",
                   "邱文彬",
               ]),
               ctype="text/html", cte="base64"),
        "help_request", "consultation", "wenpin.chiu@example.org")

    t = when(2026, 11, 12, 6, 55, 21)
    text = ("Automatic reply / 自動回覆\n\n"
            "我目前休假中，11 月 16 日回到辦公室，"
            "期間無法查看信件。\n"
            "I am on leave and will be back on 16 November.\n\n"
            "高志偉\n")
    add("tests/corpus/auto-reply.eml",
        auto_reply("TXG", t, "高志偉", "chihwei.kao@example.net",
                   "TXG-1151110-0004", text,
                   html_part="<html><body><p>"
                   + html.escape(text).replace("\n", "<br>\n")
                   + "</p></body></html>\n"),
        "auto_reply")

    sent = when(2026, 11, 12, 9, 40, 11)
    t = when(2026, 11, 12, 9, 40, 15)
    add("tests/corpus/bounce-dsn.eml",
        bounce("TNN", t, sent, "TNN-1151112-0001",
               "sunny.tsai@example.net", "5.2.2",
               "x-unix; mailbox is full",
               "cannot update mailbox /var/mail/sunny.tsai for user\n"
               "    sunny.tsai. error writing message: Disk quota exceeded",
               headers_only=True),
        "bounce")

    t = when(2026, 11, 13, 21, 30, 0)
    add("tests/corpus/no-message-id.eml",
        direct("KEE", t, "羅子軒", "tzuhsuan.lo@example.net",
               "想找人固定談一談",
               "你好\n"
               "我戒大麻快一年了，最近換了新工作，壓力很大，"
               "常常會想聯絡以前一起用的那群人。\n"
               "我想申請你們的個別諮商，每週或每兩週談一次都好。\n"
               "我住基隆市區，週三晚上或週末可以，"
               "手機 0955-107-628。\n"
               "羅子軒\n",
               message_id=False),
        "help_request", "application", "tzuhsuan.lo@example.net")

    t = when(2026, 11, 14, 10, 1, 44)
    add("tests/corpus/raw-8bit-big5-subject.eml",
        direct("CYI", t, "張立群", "lichun.chang@example.com",
               "請教緩起訴附命戒癮治療的規定",
               "您好：\n"
               "我上個月因為施用二級毒品被檢察官約談，"
               "檢察官提到也許會讓我走緩起訴附命戒癮治療。\n"
               "請問這個治療通常要多久？中間如果驗尿沒過會怎樣？\n"
               "這段期間能不能出國工作？\n"
               "謝謝您。\n"
               "張立群\n",
               cte="8bit", charset="Big5", raw_subject_codec="cp950"),
        "help_request", "consultation", "lichun.chang@example.com",
        big5=True)

    t = when(2026, 11, 15, 18, 24, 6)
    f = form_fields("ILA", "一般民眾", {
        "姓名": "楊欣怡", "性別": "女", "出生年月日": "1987-09-25",
        "聯絡電話": "0938-664-019", "電子郵件": "hsinyi.yang@example.org",
        "聯絡地址": "宜蘭縣羅東鎮公正路 77 號",
        "身分證統一編號": tw_id("G", "28815270"),
    }, "鄰居家的情況想請教",
        "您好，\n"
        "我家隔壁常常有陌生人進出，半夜也很吵，聞到奇怪的味道。\n"
        "想請問這種情況應該找誰反映？會不會讓我的身分曝光？\n"
        "謝謝。\n")
    add("tests/corpus/broken/truncated-multipart.eml",
        form_v2("ILA", t, f, "hsinyi.yang@example.org", truncate=True),
        "broken", form=f)

    rng = random.Random(20261101)
    add("tests/corpus/broken/garbage.eml",
        bytes(rng.getrandbits(8) for _ in range(384)), "broken")

    return out


# --------------------------------------------------------------------------
# Self-checks

def text_of(msg):
    """All decoded text of a message: subject and every text/* leaf."""
    parts = []
    subj = msg.get("Subject", "")
    parts.append(str(email.header.make_header(
        email.header.decode_header(subj))) if subj else "")
    for p in msg.walk():
        if p.get_content_maintype() != "text":
            continue
        cs = p.get_content_charset() or "us-ascii"
        codec = "cp950" if cs.lower() == "big5" else cs
        s = p.get_payload(decode=True).decode(codec)
        if p.get_content_subtype() == "html":
            s = html.unescape(re.sub(r"<[^>]*>", "", s))
        parts.append(s)
    return "\n".join(parts)


def subject_of(entry, msg):
    raw = entry["data"].split(b"\r\n\r\n", 1)[0]
    m = re.search(rb"^Subject: ([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", raw, re.M)
    value = m.group(1)
    try:
        value.decode("ascii")
    except UnicodeDecodeError:
        return value.decode("cp950")
    return str(email.header.make_header(email.header.decode_header(
        value.decode("ascii").replace("\r\n", ""))))


def check_form_text(text, f):
    lines = text.replace("\r\n", "\n").split("\n")
    assert lines[-1] == "", "text part must end with a line break"
    lines = lines[:-1]
    for i, label in enumerate(FORM_LABELS):
        assert lines[i].startswith(label + "："), (i, lines[i])
        if label != "內容":
            assert lines[i] == "%s：%s" % (label, f.get(label, "")), lines[i]
    assert len(lines) > len(FORM_LABELS), "內容 must span several lines"
    content = "\n".join(lines[len(FORM_LABELS) - 1:])[len("內容："):]
    assert content == f["內容"].rstrip("\n"), "內容 differs"


def check(entries):
    seen_ids = set()
    for e in entries:
        path, data = e["path"], e["data"]
        if path.endswith("garbage.eml"):
            continue
        assert b"\n" not in data.replace(b"\r\n", b""), path + ": bare LF"
        msg = email.message_from_bytes(data)
        leaves = [p for p in msg.walk() if not p.is_multipart()]
        defects = list(msg.defects) + [d for p in msg.walk()
                                       for d in p.defects]
        if e["kind"] == "broken":
            assert defects, path + ": broken mail parses without defects"
            continue
        assert not defects, (path, defects)
        mid = msg.get("Message-ID")
        if path.endswith("no-message-id.eml"):
            assert mid is None
        else:
            assert mid and mid not in seen_ids, path
            seen_ids.add(mid)
        text = text_of(msg)

        # Reply address as a run should see it.
        if e["kind"] == "help_request":
            is_form = msg.get("From", "").endswith("<%s>" % FORM_FROM_ADDR)
            reply = msg.get("Reply-To") or (
                None if is_form else email.utils.parseaddr(msg["From"])[1])
            assert (reply or "-") == e["reply"], (path, reply)

        if e["emergency"]:
            assert e["urgency"] == "emergency"
            hits = [w for w in EMERGENCY_WORDS if w in text]
            assert len(hits) >= 2, (path, hits)
        else:
            bad = [w for w in NON_EMERGENCY_BANNED if w in text]
            assert not bad, (path, bad)

        if e["big5"]:
            leaf = leaves[0]
            assert leaf.get_content_charset() == "big5", path
            raw = leaf.get_payload(decode=True)
            raw.decode("cp950")  # must be valid Big5 (cp950)
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                raise AssertionError(path + ": Big5 body is valid UTF-8")

        if e["form"] is not None:
            plain = [p for p in leaves if p.get_content_type() == "text/plain"]
            assert len(plain) == 1, path
            cs = plain[0].get_content_charset()
            body = plain[0].get_payload(decode=True).decode(
                "cp950" if cs == "big5" else cs)
            check_form_text(body, e["form"])
            if e["big5"]:
                assert "X-Help-Form" not in msg, path
                assert msg.get_content_type() == "text/plain", path
            else:
                assert msg["X-Help-Form"] == "2", path
                assert msg.get_content_type() == "multipart/alternative"
                assert [p.get_content_type() for p in leaves] == [
                    "text/plain", "text/html"], path
            assert msg["To"] == centre_addr(
                [k for k, v in CENTRES.items()
                 if e["form"]["求助縣市"].startswith(v)][0]), path
            assert subject_of(e, msg) == SUBJECT_PREFIX + e["form"]["主旨"]
            anon = e["form"]["是否表明身分"] == "否"
            assert anon == ("Reply-To" not in msg), path
            nid = e["form"]["身分證統一編號"]
            if nid:
                assert re.fullmatch(r"[A-Z]\d{9}", nid), nid
        if e["kind"] == "auto_reply":
            assert msg["Auto-Submitted"] == "auto-replied", path
            assert subject_of(e, msg).startswith("自動回覆: "), path
        if e["kind"] == "bounce":
            assert msg.get_content_type() == "multipart/report", path
            assert msg.get_param("report-type") == "delivery-status", path
            assert "MAILER-DAEMON@example.net" in msg["From"], path

    ids = [e["form"]["身分證統一編號"] for e in entries
           if e["form"] and e["form"]["身分證統一編號"]]
    bad = [i for i in ids if not tw_id_ok(i)]
    assert len(bad) == 1 and len(ids) >= 4, (ids, bad)


def expected_tsv(entries):
    rows = ["file\tkind\turgency\treply_to\tsubject"]
    for e in entries:
        if not e["path"].startswith("tests/corpus/") or e["kind"] == "broken":
            continue
        msg = email.message_from_bytes(e["data"])
        rows.append("\t".join([e["path"][len("tests/corpus/"):], e["kind"],
                               e["urgency"], e["reply"],
                               subject_of(e, msg)]))
    return ("\n".join(rows) + "\n").encode("utf-8")


def write(path, data):
    full = os.path.join(ROOT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as fp:
        fp.write(data)


def main():
    entries = build()
    check(entries)
    if "--check" in sys.argv[1:]:
        print("ok: %d messages" % len(entries))
        return
    for e in entries:
        write(e["path"], e["data"])
    write("tests/corpus/expected.tsv", expected_tsv(entries))
    for box in ("tpe", "khh", "hua"):
        for sub in ("cur", "tmp"):
            write("maildir/%s/%s/.keep" % (box, sub), b"")
        os.makedirs(os.path.join(ROOT, "maildir", box, "new"), exist_ok=True)
    print("wrote %d messages under %s" % (len(entries), ROOT))


if __name__ == "__main__":
    main()
