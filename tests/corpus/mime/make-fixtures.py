#!/usr/bin/python3
"""Writes the fixtures for how mail is read (tests/unit/test_parse.c):
forwarded messages attached as message/rfc822, HTML beside an empty or
stub text part, hidden HTML, and text parts whose charset label lies.
Every name, address and letter here is invented.

Run from this directory: ./make-fixtures.py (the output is committed).
"""
import base64
import quopri


def b64(text, charset="utf-8"):
    return base64.encodebytes(text.encode(charset)).decode("ascii")


def qp(data):
    return quopri.encodestring(data).decode("ascii")


def hdr(text, charset="utf-8"):
    raw = base64.b64encode(text.encode(charset)).decode("ascii")
    return "=?%s?B?%s?=" % (charset, raw)


def crlf(text):
    return text.strip("\n").replace("\n", "\r\n") + "\r\n"


def write(name, head, body):
    """head and body as str (ASCII), or body as bytes (8-bit parts)."""
    data = (head.strip("\n") + "\n\n").replace("\n", "\r\n").encode("ascii")
    if isinstance(body, str):
        body = body.replace("\r\n", "\n").replace("\n", "\r\n")
        body = body.encode("ascii")
    with open(name, "wb") as f:
        f.write(data + body)


CENTRE = "tpe@centers.moj-help.example"

# A sister forwards her brother's farewell letter as an attachment; her
# own words are few.  The letter must reach triage, apart from hers.
SISTER_TEXT = "您好，這是我弟弟昨晚寄給我的信，我聯絡不到他，很擔心。\n陳小芳\n"
FAREWELL = ("姊：\n對不起，我真的撐不下去了。戒不掉，也不想再拖累你們。\n"
            "謝謝妳一直照顧我，這是最後一封信了。\n小明\n")


def inner_plain(sender, name, subject, text, mid):
    return crlf("""
From: %s <%s>
To: =?utf-8?B?6Zmz5bCP6Iqz?= <hsiaofang.chen@example.org>
Subject: %s
Date: Mon, 23 Nov 2026 01:12:00 +0800
Message-ID: <%s>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64
""" % (hdr(name), sender, hdr(subject), mid)) + "\r\n" + b64(text)


write("forward-rfc822-plain.eml", """
From: %s <hsiaofang.chen@example.org>
To: %s
Subject: %s
Date: Mon, 23 Nov 2026 08:30:00 +0800
Message-ID: <fwd-plain-1@mail.example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"
""" % (hdr("陳小芳"), CENTRE, hdr("轉寄：給姊姊")), """--outer
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

%s
--outer
Content-Type: message/rfc822
Content-Disposition: attachment; filename="letter.eml"

%s
--outer--
""" % (b64(SISTER_TEXT), inner_plain("hsiaoming.chen@example.net", "陳小明",
                                      "給姊姊", FAREWELL,
                                      "farewell-1@mail.example.net")))

# The forwarded letter is HTML only (Big5), with a hidden preheader.
FWD_HTML = ("<html><head><title>HEADTITLE</title>"
            "<style>.pre{display:none}</style></head><body>"
            "<div class=\"pre\">PREHEADERHIDDEN</div>"
            "<p>媽，我在宿舍頂樓，想了很久。</p>"
            "<p>我不想再活下去了，對不起。</p>"
            "<p style=\"display:none\">INLINEHIDDEN</p></body></html>")
write("forward-rfc822-html.eml", """
From: %s <ahua.lin@example.com>
To: %s
Subject: %s
Date: Tue, 24 Nov 2026 07:05:00 +0800
Message-ID: <fwd-html-1@mail.example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"
""" % (hdr("林阿華"), CENTRE, hdr("請幫忙看這封信")), """--outer
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

%s
--outer
Content-Type: message/rfc822

From: %s <junjie.lin@example.net>
Subject: %s
Date: Tue, 24 Nov 2026 02:40:00 +0800
Message-ID: <fwd-html-inner@mail.example.net>
MIME-Version: 1.0
Content-Type: text/html; charset=big5
Content-Transfer-Encoding: base64

%s
--outer--
""" % (b64("兒子半夜寄來這封信，附上給您們。\n"), hdr("林俊傑"),
       hdr("媽", "big5"), b64(FWD_HTML, "big5")))

# A forward of a forward: a friend forwards the sister's mail, which
# carries the brother's letter.  Both letters, outer first.
sister_mail = crlf("""
From: %s <hsiaofang.chen@example.org>
To: %s
Subject: %s
Date: Mon, 23 Nov 2026 08:30:00 +0800
Message-ID: <fwd-nested-sister@mail.example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="sister"
""" % (hdr("陳小芳"), "meiling.wu@example.com", hdr("轉寄：給姊姊"))) + \
    "\r\n--sister\r\nContent-Type: text/plain; charset=utf-8\r\n" + \
    "Content-Transfer-Encoding: base64\r\n\r\n" + b64(SISTER_TEXT) + \
    "--sister\r\nContent-Type: message/rfc822\r\n\r\n" + \
    inner_plain("hsiaoming.chen@example.net", "陳小明", "給姊姊", FAREWELL,
                "farewell-2@mail.example.net") + "--sister--\r\n"
write("forward-nested.eml", """
From: %s <meiling.wu@example.com>
To: %s
Subject: %s
Date: Mon, 23 Nov 2026 09:10:00 +0800
Message-ID: <fwd-nested-1@mail.example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="friend"
""" % (hdr("吳美玲"), CENTRE, hdr("Fwd: 轉寄：給姊姊")), """--friend
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

%s
--friend
Content-Type: message/rfc822

%s--friend--
""" % (b64("我朋友小芳的弟弟，請你們幫忙。\n"), sister_mail))

# A staff member forwards a colleague's message to a case: the attached
# message holds commands, which must never run.
write("staff-forward-command.eml", """
From: %s <lin.worker@centers.moj-help.example>
To: %s
Subject: %s
Date: Wed, 25 Nov 2026 10:00:00 +0800
Message-ID: <staff-fwd-1@centers.moj-help.example>
In-Reply-To: <case-TPE-1151123-0001@centers.moj-help.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="staff"
""" % (hdr("林社工"), CENTRE, hdr("Re: [TPE-1151123-0001] 轉寄同仁意見")),
      """--staff
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

%s
--staff
Content-Type: message/rfc822
Content-Disposition: attachment

%s
--staff--
""" % (b64("#note 附上王社工的意見\n\n請參考附件。\n"),
       inner_plain("wang.worker@centers.moj-help.example", "王社工",
                   "[TPE-1151123-0001] 意見", "#close 4\n個案已轉介，可結案。\n",
                   "staff-inner-1@centers.moj-help.example")))

# multipart/alternative whose text part is empty: the HTML is the letter.
LETTER_HTML = ("<html><body><div>您好：</div>"
               "<div>我先生吸毒很多年，最近又開始用了，晚上會打我和孩子。</div>"
               "<div>我不知道可以找誰，請問你們可以幫忙嗎？</div>"
               "<div>王太太</div></body></html>")


def alternative(name, plain_text, html_text, subject, mid):
    write(name, """
From: %s <mrs.wang@example.net>
To: %s
Subject: %s
Date: Thu, 26 Nov 2026 22:15:00 +0800
Message-ID: <%s>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="alt"
""" % (hdr("王太太"), CENTRE, hdr(subject), mid), """--alt
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

%s
--alt
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

%s
--alt--
""" % (b64(plain_text), b64(html_text)))


alternative("html-empty-plain.eml", "\n  \n\t\n", LETTER_HTML,
            "請問可以幫忙嗎", "alt-empty-1@mail.example.net")
alternative("html-stub-plain.eml", "請使用支援HTML的郵件程式閱讀本信。\n",
            LETTER_HTML, "請問可以幫忙嗎", "alt-stub-1@mail.example.net")
# A plain part holding only the signature.
alternative("html-sig-plain.eml", "-- \n王太太\n", LETTER_HTML,
            "請問可以幫忙嗎", "alt-sig-1@mail.example.net")
# A short letter whose HTML says the same: the plain text stays.
alternative("html-short-plain.eml", "謝謝你們，我明天會去。\n",
            "<div>謝謝你們，我明天會去。</div>", "謝謝",
            "alt-short-1@mail.example.net")

# What a reader never sees never becomes text: every way of hiding.
HIDDEN_HTML = """<!DOCTYPE html>
<html><head><title>HIDE01</title>
<meta charset="utf-8">
<style>
/* .visible { display: none } in a comment hides nothing */
.pre { display: none !important; }
span.ghost, .ghost2 { visibility: hidden }
@media screen and (max-width: 600px) { .wide { display: none } }
</style>
<script>var x = "HIDE02";</script>
</head>
<body>
<div class="pre">HIDE03 最便宜的貸款</div>
<!-- HIDE04 comment -->
<p>我最近睡不好，常常想起以前用藥的朋友。</p>
<div style="display:none">HIDE05</div>
<div style="DISPLAY: None;">HIDE06</div>
<span style="visibility:hidden">HIDE07</span>
<span style="font-size:0px">HIDE08</span>
<span style="font-size: 0">HIDE09</span>
<div hidden>HIDE10</div>
<span class="ghost">HIDE11</span>
<span class="x ghost2">HIDE12</span>
<div style="opacity:0">HIDE13</div>
<template><p>HIDE14</p></template>
<script type="text/javascript">document.write("HIDE15")</script>
<style>p { color: red } HIDE16</style>
<p class="wide">想找人談談，請問要怎麼預約？</p>
<p class="visible">週末也可以嗎？</p>
<p style="font-size:12px">謝謝。</p>
</body></html>
"""
write("html-hidden.eml", """
From: %s <ahsin.huang@example.org>
To: %s
Subject: %s
Date: Fri, 27 Nov 2026 23:40:00 +0800
Message-ID: <html-hidden-1@mail.example.org>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64
""" % (hdr("黃阿信"), CENTRE, hdr("想預約諮商")), b64(HIDDEN_HTML))

# Charset labels that lie.  8-bit bodies, as the mail clients sent them.
CS_TEXT = "我不想活了，請幫幫我。戒毒好難。\n"
CS_TEXT_SC = "我不想活了，请帮帮我。戒毒好难。\n"


def mislabelled(name, label, body, cte="8bit"):
    head = """
From: someone@example.com
To: %s
Subject: charset test
Date: Sat, 28 Nov 2026 12:00:00 +0800
Message-ID: <%s@mail.example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=%s
Content-Transfer-Encoding: %s
""" % (CENTRE, name.replace(".eml", ""), label, cte)
    if cte == "quoted-printable":
        body = qp(body).encode("ascii")
    write(name, head, body.replace(b"\n", b"\r\n"))


mislabelled("charset-latin1-big5.eml", "iso-8859-1", CS_TEXT.encode("big5"))
mislabelled("charset-ascii-big5.eml", "us-ascii", CS_TEXT.encode("big5"))
mislabelled("charset-latin1-gb.eml", "iso-8859-1", CS_TEXT_SC.encode("gb2312"))
mislabelled("charset-ascii-gb.eml", "us-ascii", CS_TEXT_SC.encode("gb2312"),
            "quoted-printable")
mislabelled("charset-latin1-utf8.eml", "iso-8859-1", CS_TEXT.encode())
mislabelled("charset-big5-utf8.eml", "big5", CS_TEXT.encode(),
            "quoted-printable")
# UTF-8 cut inside its last character, labelled big5.
mislabelled("charset-big5-utf8-cut.eml", "big5",
            CS_TEXT.rstrip("\n").encode()[:-2] + b"\n", "quoted-printable")
# and true Latin-1, which must stay Latin-1.
mislabelled("charset-latin1-true.eml", "iso-8859-1",
            "Grüße aus München, à bientôt « chez nous ».\n"
            .encode("latin-1"))
