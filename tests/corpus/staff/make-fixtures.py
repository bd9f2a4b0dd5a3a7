#!/usr/bin/python3
"""Writes the staff-reply fixtures: replies to a case mail as four mail
clients compose them in zh-TW, with the headers, quoting and encodings
each uses.  Placeholders, filled by tests/e2e/staff.sh:

  @FROM@  the staff member's address     @TO@    the case mail's Reply-To
  @MID@   the case mail's Message-ID     @CASE@  the case number

Run from this directory: ./make-fixtures.py (the output is committed).
"""
import base64
import quopri
from email.header import Header


def enc(text, charset):
    # Python names Big5 "big5_tw"; mail clients write "big5".
    return Header(text, charset).encode().replace("=?big5_tw?", "=?big5?")


STAFF = "林社工"
CENTRE = "臺北市政府毒品危害防制中心"

QUOTED_NOTICE = ["同仁您好：", "",
                 "臺北市政府毒品危害防制中心於 2026年11月23日 收到一封新的來信，",
                 "案號 @CASE@，目前狀態：收件；判斷：申請協助。",
                 "#close 3", "我的電話是 0912345678"]


def qp(text, charset):
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def b64(text, charset="utf-8"):
    raw = base64.encodebytes(text.encode(charset)).decode("ascii")
    return raw


def write(name, head, body):
    with open(name, "wb") as f:
        f.write((head.strip("\n") + "\n\n" + body).replace("\n", "\r\n")
                .encode("ascii"))


# Outlook 2016 (zh-TW, Exchange): Big5, plain and HTML, quoted-printable,
# top posting above its 寄件者/寄件日期/收件者/主旨 block.
ol_plain = ("#state registered\n#note 來自 Outlook 的紀錄\n\n"
            "王先生您好：Outlook 這邊已幫您登記，週三會再聯絡。\n\n"
            "林社工\n\n"
            "寄件者: 臺北市政府毒品危害防制中心 <tpe@centers.moj-help.example>\n"
            "寄件日期: 2026年11月23日 上午 10:02\n"
            "收件者: 林社工 <@FROM@>\n"
            "主旨: [@CASE@] 新案件：申請協助（臺北市）\n\n"
            + "\n".join(QUOTED_NOTICE) + "\n")
ol_html = ("<html xmlns:o=\"urn:schemas-microsoft-com:office:office\">"
           "<head><meta http-equiv=Content-Type content=\"text/html; "
           "charset=big5\"><style><!-- p.MsoNormal {margin:0cm;} --></style>"
           "</head><body lang=ZH-TW><div class=WordSection1>"
           "<p class=MsoNormal>#state registered<o:p></o:p></p>"
           "<p class=MsoNormal>#note 來自 Outlook 的紀錄<o:p></o:p></p>"
           "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
           "<p class=MsoNormal>王先生您好：Outlook 這邊已幫您登記，週三會再聯絡。"
           "<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>"
           "<p class=MsoNormal>林社工<o:p></o:p></p>"
           "<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'>"
           "<p class=MsoNormal><b>寄件者:</b> 臺北市政府毒品危害防制中心 "
           "&lt;tpe@centers.moj-help.example&gt; <br><b>寄件日期:</b> "
           "2026年11月23日 上午 10:02<br><b>收件者:</b> 林社工 &lt;@FROM@&gt;"
           "<br><b>主旨:</b> [@CASE@] 新案件：申請協助（臺北市）<o:p></o:p></p></div>"
           + "".join("<p class=MsoNormal>%s<o:p></o:p></p>" % line
                     for line in QUOTED_NOTICE)
           + "</div></body></html>")
write("outlook.eml", """
Authentication-Results: localhost; auth=pass smtp.auth=@FROM@
From: %s <@FROM@>
To: %s <@TO@>
Subject: RE: [@CASE@] %s
Thread-Topic: [@CASE@] new case
Thread-Index: AdtDpY0xk2wz3P1bQ0e1WlKnHc8TVw==
Date: Mon, 23 Nov 2026 02:31:07 +0000
Message-ID: <TYZPR03MB7001ABCD@TYZPR03MB7001.apcprd03.prod.outlook.com>
References: <@MID@>
In-Reply-To: <@MID@>
Accept-Language: zh-TW, en-US
Content-Language: zh-TW
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
MIME-Version: 1.0
Content-Type: multipart/alternative;
	boundary="_000_TYZPR03MB7001ABCD_"
""" % (enc(STAFF, "big5"), enc(CENTRE, "big5"), enc("新案件：申請協助（臺北市）", "big5")),
      "--_000_TYZPR03MB7001ABCD_\n"
      "Content-Type: text/plain; charset=\"big5\"\n"
      "Content-Transfer-Encoding: quoted-printable\n\n"
      + qp(ol_plain, "big5") + "\n"
      "--_000_TYZPR03MB7001ABCD_\n"
      "Content-Type: text/html; charset=\"big5\"\n"
      "Content-Transfer-Encoding: quoted-printable\n\n"
      + qp(ol_html, "big5") + "\n"
      "--_000_TYZPR03MB7001ABCD_--\n")

# Gmail (zh-TW web): UTF-8, plain and HTML in base64 and
# quoted-printable, top posting above "<name> <<addr>> 於 ... 寫道：".
gm_plain = ("#state contacted\n#note 來自 Gmail 的紀錄\n\n"
            "王先生您好：Gmail 這邊已完成訪視，接下來安排評估。\n\n"
            "臺北市政府毒品危害防制中心 <tpe@centers.moj-help.example> "
            "於 2026年11月23日 週一 上午10:02寫道：\n\n"
            + "".join("> %s\n" % line for line in QUOTED_NOTICE))
gm_html = ("<div dir=\"ltr\"><div>#state contacted</div><div>#note 來自 Gmail 的紀錄"
           "</div><div><br></div><div>王先生您好：Gmail 這邊已完成訪視，接下來安排評估。"
           "</div></div><br><div class=\"gmail_quote\"><div dir=\"ltr\" "
           "class=\"gmail_attr\">臺北市政府毒品危害防制中心 &lt;<a href=\"mailto:"
           "tpe@centers.moj-help.example\">tpe@centers.moj-help.example</a>&gt; "
           "於 2026年11月23日 週一 上午10:02寫道：<br></div><blockquote "
           "class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex\">"
           + "<br>".join(QUOTED_NOTICE) + "</blockquote></div>\n")
write("gmail.eml", """
Authentication-Results: localhost; auth=pass smtp.auth=@FROM@
MIME-Version: 1.0
References: <@MID@>
In-Reply-To: <@MID@>
From: %s <@FROM@>
Date: Mon, 23 Nov 2026 10:40:12 +0800
Message-ID: <CAGm3qKx9Zu+0ab1Fw@mail.gmail.com>
Subject: Re: [@CASE@] %s
To: %s <@TO@>
Content-Type: multipart/alternative; boundary="000000000000a1b2c3d4e5f60708"
""" % (enc(STAFF, "utf-8"), enc("新案件：申請協助（臺北市）", "utf-8"),
       enc(CENTRE, "utf-8")), "--000000000000a1b2c3d4e5f60708\n"
     "Content-Type: text/plain; charset=\"UTF-8\"\n"
     "Content-Transfer-Encoding: base64\n\n" + b64(gm_plain) + "\n"
     "--000000000000a1b2c3d4e5f60708\n"
     "Content-Type: text/html; charset=\"UTF-8\"\n"
     "Content-Transfer-Encoding: quoted-printable\n\n"
     + qp(gm_html, "utf-8") + "\n"
     "--000000000000a1b2c3d4e5f60708--\n")

# Apple Mail (macOS, zh-TW): HTML only, quoted-printable, the history
# in <blockquote type="cite"> after "於 ...，<name> <<addr>> 寫道：".
ap_html = ("<html><head><meta http-equiv=\"content-type\" content=\"text/html; "
           "charset=utf-8\"></head><body style=\"overflow-wrap: break-word;\">"
           "#state assessed<div>#note 來自 Apple Mail 的紀錄</div><div><br></div>"
           "<div>王先生您好：Apple Mail 這邊評估完成，會轉介醫療單位。</div>"
           "<div><br><blockquote type=\"cite\"><div>於 2026年11月23日 上午10:02，"
           "臺北市政府毒品危害防制中心 &lt;tpe@centers.moj-help.example&gt; 寫道："
           "</div><br><div><div>" + "<br>".join(QUOTED_NOTICE)
           + "</div></div></blockquote></div><br></body></html>")
write("apple-mail.eml", """
Authentication-Results: localhost; auth=pass smtp.auth=@FROM@
Content-Type: text/html;
	charset=utf-8
Content-Transfer-Encoding: quoted-printable
From: %s <@FROM@>
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))
Subject: Re: [@CASE@] %s
Date: Mon, 23 Nov 2026 11:05:44 +0800
References: <@MID@>
To: %s <@TO@>
In-Reply-To: <@MID@>
Message-Id: <8F2C1E4A-3B7D-4C55-9A1E-6D0F2B7C9E11@tpe.centers.example>
X-Mailer: Apple Mail (2.3774.600.62)
""" % (enc(STAFF, "utf-8"), enc("新案件：申請協助（臺北市）", "utf-8"),
       enc(CENTRE, "utf-8")), qp(ap_html, "utf-8") + "\n")

# Thunderbird (zh-TW): plain text, format=flowed, 8bit UTF-8, and its
# default: the reply below the quote and "於 ..., <name> 寫道:".
tb_plain = ("於 2026/11/23 上午 10:02, 臺北市政府毒品危害防制中心 寫道:\n"
            + "".join("> %s\n" % line for line in QUOTED_NOTICE) + "\n"
            "#assign chen\n#note 來自 Thunderbird 的紀錄\n\n"
            "王先生您好：Thunderbird 這邊改由陳個管與您聯絡。 \n"
            "有任何問題都可以回信。\n\n-- \n林社工\n")
write("thunderbird.eml", """
Authentication-Results: localhost; auth=pass smtp.auth=@FROM@
Message-ID: <5b1e9d2c-77aa-4f0e-9c3b-2f6f0e1d8a44@tpe.centers.example>
Date: Mon, 23 Nov 2026 11:20:03 +0800
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Subject: Re: [@CASE@] %s
Content-Language: zh-TW
To: %s <@TO@>
References: <@MID@>
From: %s <@FROM@>
In-Reply-To: <@MID@>
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: base64
""" % (enc("新案件：申請協助（臺北市）", "utf-8"), enc(CENTRE, "utf-8"),
       enc(STAFF, "utf-8")), b64(tb_plain) + "\n")
