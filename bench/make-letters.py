#!/usr/bin/env python3
"""Write N synthetic letters into a Maildir's new/ for benchmarks.

    make-letters.py DIR N [SEED [PREFIX]]

PREFIX goes into every Message-ID, so batches made with different
prefixes never share one.  With LETTERS_CALM=1 in the environment no
letter is an emergency (bench/e2e puts exactly one among them).

A mix like a centre's inbox: web form v2 (UTF-8, text + HTML), form v1
(Big5), direct mail, and a few auto-replies.  Invented people only.
bench/years imports it for the same letters, and spam() as well (not in
this mix).
"""
import base64
import os
import random
import sys

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = "志明淑芬家豪怡君俊傑雅婷承翰佳穎冠宇詩涵"
TOPICS = [
    ("想帶家人去戒癮門診", "我的兒子用安非他命兩年了，想請中心幫忙轉介醫院。"),
    ("出獄後想找工作", "我上個月出監，想申請職業訓練，也想找工作。"),
    ("請問美沙冬", "請問美沙冬治療要喝多久？可以慢慢減量嗎？"),
    ("想做匿名篩檢", "以前跟別人共用過針具，想做愛滋篩檢。"),
    ("生活費不夠", "家裡經濟困難，想問有沒有急難救助或補助。"),
    ("撐不下去", "我已經買好木炭，今晚不想活了。"),
    ("朋友失聯", "我朋友之前在中心追蹤，最近失聯了。"),
]
COUNTY = ("tpe", "臺北市政府毒品危害防制中心")


def crlf(s):
    return s.replace("\n", "\r\n")


def form_v2(i, rnd):
    name = rnd.choice(SURNAMES) + rnd.choice(GIVEN[0::2]) + rnd.choice(GIVEN[1::2])
    subj, text = rnd.choice(TOPICS)
    fields = [("求助縣市", COUNTY[1]), ("求助者身分", "家屬"), ("是否表明身分", "是"),
              ("姓名", name), ("性別", "女"), ("出生年月日", "民國70年5月6日"),
              ("聯絡電話", "0912-%03d-%03d" % (i % 1000, (i * 7) % 1000)),
              ("電子郵件", "seeker%d@example.org" % i),
              ("聯絡地址", "臺北市中正區重慶南路一段%d號" % (i % 200 + 1)),
              ("身分證統一編號", ""), ("希望聯繫方式", "電子郵件"),
              ("主旨", subj), ("內容", text + "\n謝謝。")]
    plain = "\n".join("%s：%s" % f for f in fields) + "\n"
    html = "<table>" + "".join("<tr><th>%s</th><td>%s</td></tr>" % f
                               for f in fields) + "</table>"
    b = "=_b%d" % i
    hdr_subj = base64.b64encode(("[求助網頁] " + subj).encode()).decode()
    return crlf(
        "From: =?UTF-8?B?5rGC5Yqp57ay6aCB?= <webform@moj-help.example>\n"
        "To: tpe@centers.moj-help.example\n"
        "Reply-To: seeker%d@example.org\n"
        "Subject: =?UTF-8?B?%s?=\n"
        "Date: Mon, 02 Nov 2026 10:%02d:00 +0800\n"
        "Message-ID: <%sbench%d@moj-help.example>\n"
        "X-Help-Form: 2\nMIME-Version: 1.0\n"
        "Content-Type: multipart/alternative; boundary=\"%s\"\n\n"
        "--%s\nContent-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: base64\n\n%s\n"
        "--%s\nContent-Type: text/html; charset=UTF-8\n"
        "Content-Transfer-Encoding: base64\n\n%s\n--%s--\n"
        % (i, hdr_subj, i % 60, PREFIX, i, b, b,
           base64.encodebytes(plain.encode()).decode(), b,
           base64.encodebytes(html.encode()).decode(), b)).encode()


def form_v1(i, rnd):
    subj, text = rnd.choice(TOPICS)
    body = ("求助縣市：%s\n求助者身分：戒毒者本人\n是否表明身分：否\n主旨：%s\n"
            "內容：%s\n" % (COUNTY[1], subj, text))
    hdr = base64.b64encode(("[求助網頁] " + subj).encode("cp950")).decode()
    return crlf(
        "From: webform@moj-help.example\nTo: tpe@centers.moj-help.example\n"
        "Subject: =?Big5?B?%s?=\nDate: Mon, 02 Nov 2026 11:00:00 +0800\n"
        "Message-ID: <%sbench%d@moj-help.example>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=Big5\n"
        "Content-Transfer-Encoding: 8bit\n\n" % (hdr, PREFIX, i)).encode() + \
        crlf(body).encode("cp950")


def direct(i, rnd):
    subj, text = rnd.choice(TOPICS)
    return crlf(
        "From: writer%d@example.net\nTo: tpe@centers.moj-help.example\n"
        "Subject: =?UTF-8?B?%s?=\nDate: Mon, 02 Nov 2026 12:00:00 +0800\n"
        "Message-ID: <%sdirect%d@example.net>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: 8bit\n\n%s\n\n> 以前的信\n"
        % (i, base64.b64encode(subj.encode()).decode(), PREFIX, i,
           text)).encode()


def auto(i, rnd):
    return crlf(
        "From: someone%d@example.com\nTo: tpe@centers.moj-help.example\n"
        "Subject: Automatic reply: out of office\n"
        "Auto-Submitted: auto-replied\n"
        "Date: Mon, 02 Nov 2026 13:00:00 +0800\n"
        "Message-ID: <%sauto%d@example.com>\n\nI am away.\n"
        % (i, PREFIX, i)).encode()


def spam(i, rnd):
    """A gambling advertisement, as kinds.rules sets such mail aside."""
    offer = rnd.choice(["首存送100%", "註冊就送體驗金 888 元", "天天返水 1.2%"])
    return crlf(
        "From: vip%d@play-lucky.example.com\nTo: undisclosed-recipients:;\n"
        "Subject: =?UTF-8?B?%s?=\nDate: Mon, 02 Nov 2026 03:00:00 +0800\n"
        "Message-ID: <%sspam%d@play-lucky.example.com>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: 8bit\n\n"
        "皇冠娛樂城 真人荷官 百家樂 體育投注 一站全包\n"
        "%s，秒出金！\n加LINE：lucky%d 專人服務\n"
        % (i, base64.b64encode((offer + "，註冊就送").encode()).decode(),
           PREFIX, i, offer, i)).encode()


PREFIX = ""


def main():
    global PREFIX, TOPICS
    if os.environ.get("LETTERS_CALM") == "1":
        TOPICS = [t for t in TOPICS if t[0] != "撐不下去"]
    d, n = sys.argv[1], int(sys.argv[2])
    PREFIX = sys.argv[4] if len(sys.argv) > 4 else ""
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    kinds = [form_v2] * 6 + [form_v1] * 2 + [direct, auto]
    for i in range(n):
        data = rnd.choice(kinds)(i, rnd)
        with open(os.path.join(d, "new", "%010d.bench%06d.lamplight"
                               % (1793500000 + i, i)), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
