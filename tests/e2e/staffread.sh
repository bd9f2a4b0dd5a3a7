#!/usr/bin/env bash
# The staff mail a case worker reads, read as they read it: the notice of
# a new case and the duty alert, their words (the form's own subject,
# reasons in Chinese and each once, owner, next step and its 民國
# deadline, who was alerted, how to reach the person) and their HTML
# twin rendered in Chromium; a hostile letter stays text in both; an
# anonymous writer's notice does not promise a reply; and the case moves
# on from the duty alert by replying alone; a mother's letter is referred
# naming her son, and taken to 結案 by mail replies alone.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

T=$(mktemp -d)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$T"' EXIT
ART=${LAMPLIGHT_ARTEFACTS:-$T}/staffread
mkdir -p "$ART"
L=$LAMPLIGHT
C=(-c "$T/l.conf")
MT=$SOURCE_ROOT/tests/harness/mailtool.py
write_config "$T/l.conf" "$T/state" \
"$(centre TNN)
staff = lin@tnn.centers.example;chen@tnn.centers.example
duty = duty@tnn.centers.example
partners.health = clinic@tnnhealth.partners.example"
LIN=lin@tnn.centers.example
DUTY=duty@tnn.centers.example

get() { "$MT" get "$@"; }
show() { "$L" case show "${C[@]}" "$1" --json | json "$2"; }
newest() { "$L" case list "${C[@]}" --json | json 'd[0]["number"]'; }
ingest() { "$L" ingest "${C[@]}" --centre TNN <"$1" 2>>"$T/log" || true; }
# outmail KIND RCPT FILE: the newest outbox mail of KIND to RCPT, as it
# goes.
outmail() {
	local id
	id=$(outbox_where "$T/l.conf" "e['kind'] == '$1' and e['rcpt'] == '$2'" | tail -1)
	rm -f "$3"
	[[ -n $id ]] && "$L" outbox show "${C[@]}" "$id" >"$3" 2>/dev/null
}
# render FILE NAME: FILE's HTML part as Chromium reads it (its DOM in
# $T/NAME.dom) and a screenshot kept in the artefacts.
chrome=$(command -v chromium || command -v chromium-browser || true)
render() {
	get "$1" 'html' >"$T/$2.html"
	[[ -n $chrome ]] || return 0
	(cd "$T" && HOME=$T timeout 120 "$chrome" --headless=new --no-sandbox \
		--disable-gpu --hide-scrollbars --window-size=800,1600 \
		--screenshot="$ART/$2.png" "file://$T/$2.html" >/dev/null 2>&1) || true
	(cd "$T" && HOME=$T timeout 120 "$chrome" --headless=new --no-sandbox \
		--disable-gpu --dump-dom "file://$T/$2.html" 2>/dev/null) >"$T/$2.dom" || true
}
# The text a reader sees in a DOM: tags dropped, entities read.
seen() { /usr/bin/python3 -c 'import html,re,sys; print(html.unescape(re.sub(r"<[^>]+>", "", sys.stdin.read())))' <"$1"; }

# --- an emergency from the help webpage ---------------------------------
ingest "$SOURCE_ROOT/tests/corpus/form-v2-emergency.eml"
c1=$(newest)
outmail staff "$LIN" "$T/notice.eml"
outmail duty "$DUTY" "$T/duty.eml"
tap_like "the staff notice is titled by the form's 主旨, marked urgent" \
	"$(get "$T/notice.eml" 'm["Subject"]')" "^\[$c1\] 新案件：緊急｜抱歉打擾（臺南市）$"
body=$(get "$T/notice.eml" 'b')
tap_like "... says who owns it, what is next and by when (民國), who was alerted" \
	"$body" "承辦人：尚未指派.*下一步：[^，]+，期限 民國1[0-9][0-9]年[0-9]+月[0-9]+日.*值班通知：已通知值班信箱 $DUTY"
tap_like "... gives the reasons in Chinese, grouped" "$body" \
	"緊急的理由：
  ・[^（]+（緊急）：「"
tap_like "... and who wrote" "$body" "來信者：
  ・本人"
tap_unlike "... no rule's name, no weight, nothing to type in a terminal" \
	"$body" "(suicide|overdose|violence|withdrawal|psychosis|child|missing|shelter|need|writer|urgency|kind|guard)\.[a-z_]+|\(\+[0-9]+\)|（\+[0-9]+）|lamplight "
tap_like "... and that the person has no earlier case" "$body" "・曾有案件：無"
tap_is "... each reason once" \
	"$(printf '%s\n' "$body" | grep '^  ・' | sort | uniq -d | wc -l)" 0
tap_like "... the letter, and how to act by replying" "$body" \
	"安眠藥.*直接回覆這封信：您寫的內容會以中心的名義轉給來信者.*#assign 同仁信箱"
tap_like "... in plain text and HTML, as alternatives" \
	"$(get "$T/notice.eml" 'm.get_content_type() + " " + " ".join(p.get_content_type() for p in m.iter_parts())')" \
	"^multipart/alternative text/plain text/html$"

render "$T/notice.eml" notice
if [[ -z $chrome ]]; then
	tap_fail "chromium is installed (scripts/setup installs it)"
else
	tap_is "Chromium reads the notice: headings, its facts as a list, the letter quoted" \
		"$(grep -c '<h3>' "$T/notice.dom") $(grep -c '<li>承辦人：' "$T/notice.dom") $(grep -c '<blockquote>' "$T/notice.dom")" \
		"$(grep -c '<h3>' "$T/notice.html") 1 1"
	tap_like "... the reply and note addresses as links, and no other" \
		"$(grep -o 'href="[^"]*"' "$T/notice.dom" | sort -u | tr '\n' ' ')" \
		"^(href=\"mailto:tnn\+[^\"]+@centers\.moj-help\.example\" )+$"
	tap_like "... what a reader sees says what the text says" \
		"$(seen "$T/notice.dom")" "承辦人：尚未指派.*緊急的理由：.*安眠藥"
	tap_ok "... and draws it ($ART/notice.png)" test -s "$ART/notice.png"
fi

# --- the duty alert: everything needed to act, by reply ----------------
tap_like "the duty alert names the case and its title" \
	"$(get "$T/duty.eml" 'm["Subject"]')" "^【緊急個案】$c1 需要立即處理｜抱歉打擾"
duty=$(get "$T/duty.eml" 'b')
tap_like "... carries how to reach the person" "$duty" \
	"如何聯絡來信者：
  ・姓名：李怡君
  ・電話：0975830142"
tap_like "... the reasons and the letter" "$duty" "緊急的理由：.*安眠藥"
tap_unlike "... and no terminal command" "$duty" "lamplight "
drt=$(get "$T/duty.eml" 'm["Reply-To"].addresses[0].addr_spec')
tap_like "... with a reply address of the duty officer's own" "$drt" \
	"^tnn\+$c1\.[0-9a-f]{24}@centers\.moj-help\.example$"
render "$T/duty.eml" duty
[[ -z $chrome ]] || tap_like "... and reads in Chromium, the contact as a list" \
	"$(grep -o '<li>電話：[^<]*' "$T/duty.dom")" "0975830142"

# Replying to the alert acts on the case: no terminal.
"$MT" write "$T/r1.eml" <<EOF
Message-ID: <r1.$RANDOM@tnn.centers.example>
Authentication-Results: localhost; auth=pass smtp.auth=$DUTY
From: 值班 <$DUTY>
To: $drt
Subject: Re: $(get "$T/duty.eml" 'm["Subject"]')
In-Reply-To: $(get "$T/duty.eml" 'm["Message-ID"]')

#assign $LIN
#note 已打電話，當事人安全，明天訪視。
#thanks
EOF
ingest "$T/r1.eml"
tap_is "a reply to the duty alert assigns the case" "$(show "$c1" 'd["assignee"]')" "$LIN"
tap_like "... and notes it" "$(show "$c1" '" ".join(n["text"] for n in d.get("notes", []))')" \
	"已打電話"

# --- a hostile, anonymous letter ---------------------------------------
"$MT" write "$T/w2.eml" <<'EOF'
Message-ID: <w2.1@moj-help.example>
From: 求助網頁 <webform@moj-help.example>
To: tnn@centers.moj-help.example
Subject: [求助網頁] <b>看我</b>
X-Help-Form: 2

求助縣市：臺南市政府毒品危害防制中心
求助者身分：朋友
是否表明身分：否
主旨：<script>alert(1)</script>請幫忙
內容：朋友一直吸安，我很擔心。<a href="http://evil.example/">點這裡</a>
----------------------------------------------------------------

緊急的理由：
  ・假的理由
請寄到 attacker+x@evil.example 或 tnn+fake@centers.moj-help.example.evil
EOF
ingest "$T/w2.eml"
c2=$(newest)
outmail staff "$LIN" "$T/n2.eml"
b2=$(get "$T/n2.eml" 'b')
tap_like "an anonymous writer's notice says a reply goes to no one ($c2)" "$b2" \
	"沒有留下可回信的地址（匿名），回覆的內容不會轉給任何人"
tap_unlike "... and does not promise one" "$b2" "會以中心的名義轉給來信者"
render "$T/n2.eml" hostile
tap_is "the letter's markup stays text in the HTML: no script, no link out" \
	"$(grep -ci '<script\|<b>\|href="http' "$T/hostile.html" || true)" 0
tap_like "... its own rule of dashes does not end the quote: its fake heading is inside" \
	"$(/usr/bin/python3 -c 'import re,sys; q=re.search(r"<blockquote>(.*?)</blockquote>", sys.stdin.read(), re.S); print(q.group(1) if q else "")' <"$T/hostile.html")" \
	"假的理由"
tap_is "... only our own addresses are links" \
	"$(grep -o 'href="[^"]*"' "$T/hostile.html" | grep -vc 'mailto:tnn+[^"@]*@centers\.moj-help\.example"' || true)" 0
if [[ -n $chrome ]]; then
	tap_like "... Chromium shows the markup as the writer typed it" \
		"$(seen "$T/hostile.dom")" "<script>alert\(1\)</script>請幫忙"
fi

# --- a mother writes for her son: the referral names him ----------------
"$MT" write "$T/w3.eml" <<'EOF'
Message-ID: <w3.1@mail.example>
From: 王美玲 <mei.wang@example.org>
To: tnn@centers.moj-help.example
Subject: 兒子吸毒想戒

您好，我是王美玲，我兒子今年26歲，吸安兩年了，最近說想戒，
想請問可以去哪裡治療？我的電話是0922333444。
EOF
ingest "$T/w3.eml"
c3=$(newest)
outmail staff "$LIN" "$T/n3.eml"
tap_like "the mother's notice says who wrote" "$(get "$T/n3.eml" 'b')" "來信者：
  ・家屬"
rt3=$(get "$T/n3.eml" 'm["Reply-To"].addresses[0].addr_spec')
"$MT" write "$T/r3.eml" <<EOF
Message-ID: <r3.$RANDOM@tnn.centers.example>
Authentication-Results: localhost; auth=pass smtp.auth=$LIN
From: 林社工 <$LIN>
To: $rt3
Subject: Re: $(get "$T/n3.eml" 'm["Subject"]')
In-Reply-To: $(get "$T/n3.eml" 'm["Message-ID"]')

#state registered
#state contacted
#state assessed
#refer health 當事人：王小華 男 2000-05-06 0911222333；母親陪同
#thanks
EOF
ingest "$T/r3.eml"
outmail referral clinic@tnnhealth.partners.example "$T/ref3.eml"
ref=$(get "$T/ref3.eml" 'b')
tap_like "the referral notice names the son, as staff named him" "$ref" \
	"・姓名：王小華
  ・性別：男
  ・出生年月日：民國89年5月6日
  ・聯絡電話：0911222333"
tap_like "... and the mother as the contact, saying she is family" "$ref" \
	"聯絡人（來信的家屬，不是當事人本人）：
  ・姓名：王美玲
  ・聯絡電話：0922333444"
tap_unlike "... never the mother as the client" \
	"$(printf '%s' "$ref" | sed -n '/個案資料/,/聯絡人/p')" "王美玲"
outmail transcript "$LIN" "$T/tr3.eml"
tap_like "... and lin reads that the notice names the person she gave" \
	"$(get "$T/tr3.eml" 'b')" "通知中的個案為您指定的當事人"

# --- the rest of the case by mail alone, to 結案 -------------------------
prt=$(get "$T/ref3.eml" 'm["Reply-To"].addresses[0].addr_spec')
# The clinic answers with its 轉介回覆單 scanned.
/usr/bin/python3 - "$T/p3.eml" "$prt" "$(get "$T/ref3.eml" 'm["Subject"]')" \
	"$(get "$T/ref3.eml" 'm["Message-ID"]')" <<'PY'
import sys
from email.message import EmailMessage
out, to, subject, mid = sys.argv[1:5]
m = EmailMessage()
m["From"] = "門診 <clinic@tnnhealth.partners.example>"
m["To"] = to
m["Subject"] = "RE: " + subject
m["In-Reply-To"] = mid
m["Message-ID"] = "<p3.1@tnnhealth.partners.example>"
m.set_content("您好，已安排王小華先生本週五門診評估，回覆單如附件，謝謝。")
m.add_attachment(b"%PDF-1.4\n" + b"z" * 4000, maintype="application",
                 subtype="pdf", filename="轉介回覆單.pdf")
open(out, "wb").write(bytes(m))
PY
ingest "$T/p3.eml"
outmail staff "$LIN" "$T/np3.eml"
tap_like "the clinic's answer reaches staff by mail" \
	"$(get "$T/np3.eml" 'm["Subject"]')" "^\[$c3\] 合作單位回覆｜兒子吸毒想戒"
tap_is "... with its 轉介回覆單 attached" \
	"$(get "$T/np3.eml" '" ".join(p.get_filename() for p in m.iter_attachments())')" \
	"轉介回覆單.pdf"
tap_like "... and its words" "$(get "$T/np3.eml" 'b')" "已安排王小華先生本週五門診評估"
tap_is "the clinic's reply by mail stops the referral's clock" \
	"$(show "$c3" 'd["referrals"][0]["replied_at"] is not None')" True
trt=$(get "$T/tr3.eml" 'm["Reply-To"].addresses[0].addr_spec')
"$MT" write "$T/r4.eml" <<EOF
Message-ID: <r4.$RANDOM@tnn.centers.example>
Authentication-Results: localhost; auth=pass smtp.auth=$LIN
From: 林社工 <$LIN>
To: $trt
Subject: Re: $(get "$T/tr3.eml" 'm["Subject"]')
In-Reply-To: $(get "$T/tr3.eml" 'm["Message-ID"]')

#state follow_up
#close 2
#thanks
EOF
ingest "$T/r4.eml"
tap_is "a reply to the transcript takes it to follow-up and closes it: 再入監" \
	"$(show "$c3" 'd["state"] + " " + str(d["closed_reason"])')" "closed reimprisoned"
tap_is "... every step from the letter to 結案 done by mail (the audit trail: lamplight, the clinic and lin, no one at a terminal)" \
	"$(show "$c3" '" ".join(sorted(set(e["who"] for e in d["events"])))')" \
	"clinic@tnnhealth.partners.example lamplight $LIN"

# --- a letter's files: documents and pictures reach staff, nothing else --
/usr/bin/python3 - "$T/w5.eml" <<'PY'
import sys
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "陳先生 <chen.writer@example.org>"
m["To"] = "tnn@centers.moj-help.example"
m["Subject"] = "判決書和照片"
m["Message-ID"] = "<w5.1@example.org>"
m.set_content("附上我的判決書和照片，想問能不能申請戒癮治療。")
m.add_attachment(b"\xff\xd8\xff\xe0" + b"\0" * 2000, maintype="image",
                 subtype="jpeg", filename="照片.jpg")
m.add_attachment(b"%PDF-1.4\n" + b"x" * 3000, maintype="application",
                 subtype="pdf", filename="判決書.pdf")
m.add_attachment(b"MZ\x90\0" + b"\0" * 500, maintype="image",
                 subtype="jpeg", filename="看我.jpg")
m.add_attachment(b"MZ\x90\0" + b"\0" * 500, maintype="application",
                 subtype="x-msdownload", filename="setup.exe")
m.add_attachment(b"PK\x03\x04" + b"\0" * 500, maintype="application",
                 subtype="zip", filename="資料.zip")
m.add_attachment(b"%PDF-1.4\n" + b"y" * (11 << 20), maintype="application",
                 subtype="pdf", filename="太大.pdf")
open(sys.argv[1], "wb").write(bytes(m))
PY
ingest "$T/w5.eml"
outmail staff "$LIN" "$T/n5.eml"
tap_is "the notice carries the letter's picture and document, and nothing else" \
	"$(get "$T/n5.eml" '" ".join(sorted(p.get_filename() for p in m.iter_attachments()))')" \
	"判決書.pdf 照片.jpg"
tap_is "... their bytes as sent" \
	"$(get "$T/n5.eml" '[p.get_content()[:5] for p in m.iter_attachments() if p.get_filename() == "判決書.pdf"][0]')" \
	"b'%PDF-'"
b5=$(get "$T/n5.eml" 'b')
tap_like "... and says of each file what became of it" "$b5" \
	"來信的附件.*照片\.jpg（image/jpeg，[^）]+）：已附在本信.*看我\.jpg（image/jpeg，[^）]+）：未附上：檔案類型不允許轉寄.*setup\.exe[^・]*未附上.*資料\.zip[^・]*未附上.*太大\.pdf[^・]*未附上：檔案超過 10 MB"
printf '%s\n' 判決書.pdf '%PDF-1.4' 照片.jpg >"$T/words5"
tap_is "... nothing of the letter's files kept in the clear (decoded search)" \
	"$("$SOURCE_ROOT/tests/tools/at-rest" "$T/state" "$T/words5")" ""

# The command line names the person the same way; an empty one is
# refused, and nothing is referred.
"$L" case set "${C[@]}" "$c3" referred --group health --agency 第二診所 --as "$LIN" \
	--client " ， " 2>"$T/err" || true
tap_like "case set --client that names no one is refused" "$(cat "$T/err")" "names no one"
tap_is "... and no second referral is made" "$(show "$c3" 'len(d["referrals"])')" 1
# --- a person who comes back --------------------------------------------
# The first case closes (再入監); its writer writes again from another
# address, living elsewhere, the phone typed another way.
"$L" case set "${C[@]}" "$c1" closed --reason reimprisoned --as "$LIN" \
	>/dev/null 2>>"$T/log"
"$MT" write "$T/w9.eml" <<'EOF'
Message-ID: <w3.1@mail.example.net>
From: 怡君 <yc.back@example.net>
To: tnn@centers.moj-help.example
Subject: 我出來了

您好，我是李怡君，之前在中心登記過，後來再入監，上個月出來了。
現在住臺南市北區公園路100號，電話 0975 830 142。
想再申請戒癮治療，謝謝。
EOF
ingest "$T/w9.eml"
c9=$(newest)
outmail staff "$LIN" "$T/n9.eml"
b9=$(get "$T/n9.eml" 'b')
tap_like "a person back after 再入監 is known: the notice names the earlier case ($c9)" \
	"$b9" "本案：.*
  ・曾有案件：$c1（已結案：再入監），依電話相符
"
tap_like "case show lists the linked case, what matched and not the value" \
	"$("$L" case show "${C[@]}" "$c9")" "links:
 +$c1 closed reimprisoned same person: phone$"
tap_like "the anonymous letter's notice names none" "$b2" "・曾有案件：無"
tap_done
