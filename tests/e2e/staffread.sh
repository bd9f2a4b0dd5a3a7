#!/usr/bin/env bash
# The staff mail a case worker reads, read as they read it: the notice of
# a new case and the duty alert, their words (the form's own subject,
# reasons in Chinese and each once, owner, next step and its 民國
# deadline, who was alerted, how to reach the person) and their HTML
# twin rendered in Chromium; a hostile letter stays text in both; an
# anonymous writer's notice does not promise a reply; and the case moves
# on from the duty alert by replying alone.
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
duty = duty@tnn.centers.example"
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

# --- a person who comes back --------------------------------------------
# The first case closes (再入監); its writer writes again from another
# address, living elsewhere, the phone typed another way.
"$L" case set "${C[@]}" "$c1" closed --reason reimprisoned --as "$LIN" \
	>/dev/null 2>>"$T/log"
"$MT" write "$T/w3.eml" <<'EOF'
Message-ID: <w3.1@mail.example.net>
From: 怡君 <yc.back@example.net>
To: tnn@centers.moj-help.example
Subject: 我出來了

您好，我是李怡君，之前在中心登記過，後來再入監，上個月出來了。
現在住臺南市北區公園路100號，電話 0975 830 142。
想再申請戒癮治療，謝謝。
EOF
ingest "$T/w3.eml"
c3=$(newest)
outmail staff "$LIN" "$T/n3.eml"
b3=$(get "$T/n3.eml" 'b')
tap_like "a person back after 再入監 is known: the notice names the earlier case ($c3)" \
	"$b3" "本案：.*
  ・曾有案件：$c1（已結案：再入監），依電話相符
"
tap_like "case show lists the linked case, what matched and not the value" \
	"$("$L" case show "${C[@]}" "$c3")" "links:
 +$c1 closed reimprisoned same person: phone$"
tap_like "the anonymous letter's notice names none" "$b2" "・曾有案件：無"
tap_done
