#!/usr/bin/env bash
# Staff working from their own mail clients: each case mailed to staff
# with their own reply token; a verified reply relayed to the writer
# without the staff address or the quote; commands acted on with a
# transcript back; partners' Big5 and GB HTML replies stopping their
# clocks; merging; and every spoofing variant and cross-centre path
# refused, logged without personal data, alerted to the centre.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

T=$(mktemp -d)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$T"' EXIT
L=$LAMPLIGHT
C=(-c "$T/l.conf")
DB=$T/state/lamplight.db
MT=$SOURCE_ROOT/tests/harness/mailtool.py
write_config "$T/l.conf" "$T/state" \
"$(centre TPE)
staff = lin@tpe.centers.example;chen@tpe.centers.example
duty = duty@tpe.centers.example
partners.health = clinic@tpehealth.partners.example
partners.social = sw@tpesocial.partners.example" \
"$(centre NWT)
staff = wu@nwt.centers.example
partners.health = clinic@nwthealth.partners.example"
LIN=lin@tpe.centers.example
CHEN=chen@tpe.centers.example
WU=wu@nwt.centers.example
WRITER=ming.wang@example.org

show() { "$L" case show "${C[@]}" "$1" --json | json "$2"; }
state() { show "$1" 'd["state"]'; }
newest() { "$L" case list "${C[@]}" --json | json 'd[0]["number"]'; }
ingest() { "$L" ingest "${C[@]}" --centre "$1" <"$2" 2>>"$T/log" || true; }
get() { "$MT" get "$@"; }
# mailout ID FILE [CONFIG...]: outbox mail ID as it goes (sealed at rest:
# the command opens it).
mailout() {
	local id=$1 file=$2 cfg
	shift 2
	if (($#)); then cfg=("$@"); else cfg=("${C[@]}"); fi
	rm -f "$file"
	[[ -n $id ]] || return 1
	"$L" outbox show "${cfg[@]}" "$id" >"$file" 2>/dev/null
	[[ -s $file ]]
}
# outmail KIND RCPT FILE: the newest outbox mail of KIND to RCPT.
outmail() {
	mailout "$(outbox_where "$T/l.conf" "e['kind'] == '$1' and e['rcpt'] == '$2'" | tail -1)" "$3"
}
rows() { sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE $1"; }
refused() { show "$1" 'sum(1 for e in d["events"] if e["what"] == "staff mail refused")'; }
ar() { printf 'Authentication-Results: localhost; auth=pass smtp.auth=%s\n' "$1"; }
n=0
# mail FILE: a mail from stdin (headers, blank line, body) with a fresh
# Message-ID.
mail() {
	n=$((n + 1))
	{ printf 'Message-ID: <m%d.%s@mail.example>\nDate: Mon, 23 Nov 2026 10:00:00 +0800\n' "$n" "$RANDOM"; cat; } |
		"$MT" write "$1"
}

# --- a letter, and staff told of it ------------------------------------
mail "$T/w1.eml" <<EOF
From: 王小明 <$WRITER>
To: tpe@centers.moj-help.example
Subject: 想戒毒，請幫忙

你好，我用安非他命好幾年了，最近想戒掉，可是不知道去哪裡。
我的電話是 0912345678，請聯絡我。
EOF
ingest TPE "$T/w1.eml"
c1=$(newest)
tap_is "a new case is mailed to each staff member of its centre" \
	"$(sqlite3 "$DB" "SELECT group_concat(rcpt, ' ') FROM (SELECT rcpt FROM outbox WHERE kind = 'staff' ORDER BY rcpt)")" \
	"$CHEN $LIN"
outmail staff "$LIN" "$T/lin1.eml"
outmail staff "$CHEN" "$T/chen1.eml"
lin_rt=$(get "$T/lin1.eml" 'm["Reply-To"].addresses[0].addr_spec')
lin_mid=$(get "$T/lin1.eml" 'm["Message-ID"].strip("<>")')
chen_rt=$(get "$T/chen1.eml" 'm["Reply-To"].addresses[0].addr_spec')
chen_mid=$(get "$T/chen1.eml" 'm["Message-ID"].strip("<>")')
tap_like "... with the letter, the reasons and the commands" \
	"$(get "$T/lin1.eml" '"安非他命" in b and "#close 1 到 5" in b and m["Subject"]')" \
	"^\[$c1\] 新案件"
tap_like "... each with a token of its own" "$lin_rt $chen_rt" \
	"^tpe\+$c1\.[0-9a-f]{24}@centers\.moj-help\.example tpe\+$c1\.[0-9a-f]{24}@"
tap_ok "... different per staff member" test "$lin_rt" != "$chen_rt"
tap_like "... and the note address" "$(get "$T/lin1.eml" 'b')" \
	"tpe\+note\.$c1\.[0-9a-f]{24}@centers\.moj-help\.example"
outmail ack "$WRITER" "$T/ack1.eml"
ack_mid=$(get "$T/ack1.eml" 'm["Message-ID"].strip("<>")')
ack_rt=$(get "$T/ack1.eml" 'm["Reply-To"].addresses[0].addr_spec')

# --- a verified reply with commands ------------------------------------
mail "$T/r1.eml" <<EOF
$(ar $LIN)
From: 林社工 <$LIN>
To: 臺北市政府毒品危害防制中心 <$lin_rt>
Subject: Re: [$c1] 新案件
In-Reply-To: <$lin_mid>
References: <$lin_mid>

#state registered

#assign chen
#visit 2099-01-05
#note 已與本人電話聯絡，約下週訪視
#bogus
#thanks
王先生您好，我是中心的社工，下週會與您約時間見面。

林社工 敬上

> 同仁您好：
> #close 3
> 我的電話是 0912345678
EOF
ingest TPE "$T/r1.eml"
tap_is "commands act: state, assignee, a visit planned, a note" \
	"$(show "$c1" '(d["state"], d["assignee"], [x["due_day"] for x in d["deadlines"] if x["step"] == "visit"], [n["text"] for n in d["notes"]])')" \
	"('registered', '$CHEN', ['2099-01-05'], ['已與本人電話聯絡，約下週訪視'])"
tap_is "... each recorded as the staff member's act" \
	"$(show "$c1" '[e["what"] for e in d["events"] if e["who"] == "'$LIN'"]')" \
	"['state registered', 'assigned to $CHEN', 'visit planned for 2099-01-05', 'note', 'staff reply relayed to the writer']"
outmail transcript "$LIN" "$T/tr1.eml"
tap_like "a transcript goes back: done and refused, and why" \
	"$(get "$T/tr1.eml" 'b')" \
	"✔ #state registered.*✔ #assign chen.*✔ #visit 2099-01-05.*✔ #note.*✘ #bogus.*沒有這個指令"
tap_like "... and says the text went to the writer" "$(get "$T/tr1.eml" 'b')" \
	"已以中心名義轉寄給來信者"
outmail relay "$WRITER" "$T/relay1.eml"
tap_is "the text after the commands reaches the writer from the centre" \
	"$(get "$T/relay1.eml" '("下週會與您約時間見面" in b, m["From"].addresses[0].addr_spec)')" \
	"(True, 'tpe@centers.moj-help.example')"
tap_is "... without the staff address, the commands or the quote" \
	"$(get "$T/relay1.eml" '("lin@" in m.as_string(), "#" in b, "0912345678" in b, "同仁您好" in b)')" \
	"(False, False, False, False)"
tap_is "the command in the quoted text did nothing" "$(state "$c1")" registered

# --- the writer writes again: the assignee alone is told -------------
mail "$T/w2.eml" <<EOF
From: $WRITER
To: $ack_rt
Subject: Re: 收到您的來信
In-Reply-To: <$ack_mid>

好的，謝謝，我平日晚上比較方便。
EOF
ingest TPE "$T/w2.eml"
tap_is "a further letter goes to the case's assignee only" \
	"$(rows "kind = 'staff' AND rcpt = '$CHEN'") $(rows "kind = 'staff' AND rcpt = '$LIN'")" "2 1"
outmail staff "$CHEN" "$T/chen2.eml"
tap_like "... saying the writer wrote again, with the letter" \
	"$(get "$T/chen2.eml" 'm["Subject"] + " " + str("平日晚上" in b)')" "當事人再次來信.* True"
chen2_rt=$(get "$T/chen2.eml" 'm["Reply-To"].addresses[0].addr_spec')
chen2_mid=$(get "$T/chen2.eml" 'm["Message-ID"].strip("<>")')

# --- referrals by mail, one refused across centres ------------------
mail "$T/r2.eml" <<EOF
$(ar $CHEN)
From: 陳個管 <$CHEN>
To: $chen2_rt
Subject: Re: [$c1] 當事人再次來信
In-Reply-To: <$chen2_mid>

＃state contacted
#state assessed
#refer health 需要戒癮門診評估
#refer social
#refer clinic@nwthealth.partners.example
EOF
ingest TPE "$T/r2.eml"
tap_is "referrals by mail: two partners, the case referred" \
	"$(show "$c1" '(d["state"], [(r["group"], r["agency"]) for r in d["referrals"]])')" \
	"('referred', [('health', '轉介服務組（衛生局）'), ('social', '保護扶助組（社會處）')])"
tap_is "... each partner sent its notice" \
	"$(rows "kind = 'referral'") $(rows "kind = 'referral' AND rcpt LIKE '%nwthealth%'")" "2 0"
outmail transcript "$CHEN" "$T/tr2.eml"
tap_like "another centre's partner is refused in the transcript" \
	"$(get "$T/tr2.eml" 'b')" "✘ #refer clinic@nwthealth.partners.example"
tap_is "... and with nothing after the commands, nothing is relayed" \
	"$(rows "kind = 'relay'")" 1

# The partners answer from Exchange: Big5 HTML, and HTML labelled GB.
outmail referral clinic@tpehealth.partners.example "$T/ref-h.eml"
outmail referral sw@tpesocial.partners.example "$T/ref-s.eml"
/usr/bin/python3 - "$T" <<'PY'
import email.policy, sys
from email.message import EmailMessage
from email.parser import BytesParser
t = sys.argv[1]
def partner(notice, sender, charset, html, out):
    n = BytesParser(policy=email.policy.default).parse(open(notice, "rb"))
    m = EmailMessage()
    m["From"] = sender
    m["To"] = n["Reply-To"].addresses[0].addr_spec
    m["Subject"] = "RE: " + n["Subject"]
    m["In-Reply-To"] = n["Message-ID"]
    m["Thread-Index"] = "AdtDpY0xk2wz3P1bQ0e1"
    m["X-MS-Exchange-Organization-SCL"] = "-1"
    m["Message-ID"] = "<%s@exch.example>" % sender.split("@")[0]
    m.set_content(html.encode(charset), maintype="text", subtype="html",
                  cte="base64")
    m.replace_header("Content-Type", 'text/html; charset="%s"' % charset)
    open(out, "wb").write(bytes(m))
partner(t + "/ref-h.eml", "clinic@tpehealth.partners.example", "big5",
        "<html><body><p>您好：</p><p>已安排十二月三日門診評估，"
        "請個案攜帶健保卡。</p><div style='border:none;border-top:solid #E1E1E1 1.0pt'>"
        "<p><b>寄件者:</b> 臺北市政府毒品危害防制中心 &lt;tpe@centers.moj-help.example&gt;"
        "<br><b>寄件日期:</b> 2026年11月23日 下午 03:12<br><b>收件者:</b> "
        "門診 &lt;clinic@tpehealth.partners.example&gt;<br><b>主旨:</b> 轉介通知"
        "</p></div><p>轉介編號與個案資料如下</p></body></html>", t + "/p-h.eml")
partner(t + "/ref-s.eml", "sw@tpesocial.partners.example", "gb2312",
        "<html><body><p>已安排社工家访，下周三前回报。</p></body></html>",
        t + "/p-s.eml")
PY
ingest TPE "$T/p-h.eml"
ingest TPE "$T/p-s.eml"
tap_is "partners' replies stop both referrals' clocks" \
	"$(show "$c1" '[(x["step"], x["outcome"]) for x in d["deadlines"] if x["step"] == "partner_reply"]')" \
	"[('partner_reply', 'met'), ('partner_reply', 'met')]"
tap_like "... the Big5 HTML outcome is kept, without the quoted notice" \
	"$(show "$c1" '[n["text"] for n in d["notes"] if n["who"].startswith("clinic")]')" \
	"已安排十二月三日門診評估，請個案攜帶健保卡。'\]$"
tap_like "... and the GB-labelled one, in Traditional Chinese" \
	"$(show "$c1" '[n["text"] for n in d["notes"] if n["who"].startswith("sw")]')" \
	"已安排社工家訪"

# --- a second letter from the same person, merged --------------------
mail "$T/w3.eml" <<EOF
From: $WRITER
To: tpe@centers.moj-help.example
Subject: 另外想問替代療法

請問美沙冬門診要怎麼掛號？
EOF
ingest TPE "$T/w3.eml"
c2=$(newest)
outmail staff "$LIN" "$T/lin2.eml"
outmail ack "$WRITER" "$T/ack2.eml"
mail "$T/r3.eml" <<EOF
$(ar $LIN)
From: $LIN
To: $(get "$T/lin2.eml" 'm["Reply-To"].addresses[0].addr_spec')
Subject: Re: [$c2]
In-Reply-To: <$(get "$T/lin2.eml" 'm["Message-ID"].strip("<>")')>

#merge $c1
EOF
ingest TPE "$T/r3.eml"
tap_is "#merge: the case goes into the other, and off the list" \
	"$(show "$c2" 'd["merged_into"]') $("$L" case list "${C[@]}" --json | json '"'$c2'" in [c["number"] for c in d]')" \
	"$c1 False"
mail "$T/w4.eml" <<EOF
From: $WRITER
To: $(get "$T/ack2.eml" 'm["Reply-To"].addresses[0].addr_spec')
Subject: Re: 替代療法

還有，週末有開嗎？
EOF
ingest TPE "$T/w4.eml"
tap_like "... and mail to the merged case lands on the one it joined" \
	"$(show "$c1" '[e["what"] for e in d["events"]]')" \
	"'$c2 merged into this case', 'mail received'"

# --- a case at NWT: nothing of it crosses -----------------------------
mail "$T/n1.eml" <<EOF
From: someone@example.net
To: nwt@centers.moj-help.example
Subject: 家人吸毒

我弟弟在吸毒，家裡很擔心，想知道可以怎麼辦。
EOF
ingest NWT "$T/n1.eml"
n1=$(newest)
tap_is "an NWT case is mailed to NWT staff alone" \
	"$(sqlite3 "$DB" "SELECT group_concat(o.rcpt) FROM outbox o JOIN cases c ON c.id = o.case_id WHERE c.number = '$n1' AND o.kind = 'staff'")" \
	"$WU"
outmail staff "$WU" "$T/wu1.eml"
wu_rt=$(get "$T/wu1.eml" 'm["Reply-To"].addresses[0].addr_spec')
wu_mid=$(get "$T/wu1.eml" 'm["Message-ID"].strip("<>")')
mail "$T/i1.eml" <<EOF
$(ar $WU)
From: $WU
To: tpe@centers.moj-help.example, $wu_rt
Subject: Re: [$n1]
In-Reply-To: <$wu_mid>

#state registered
#close 3
EOF
ingest TPE "$T/i1.eml"
tap_is "NWT staff's own token, sent to TPE's mailbox: the NWT case untouched" \
	"$(state "$n1") $(rows "kind = 'transcript' AND rcpt = '$WU'")" "received 0"
mail "$T/i2.eml" <<EOF
$(ar $LIN)
From: $LIN
To: $lin_rt
In-Reply-To: <$lin_mid>
Subject: Re: [$c1]

#merge $n1
#assign $WU
#state registered
EOF
ingest TPE "$T/i2.eml"
outmail transcript "$LIN" "$T/tr3.eml"
tap_like "TPE staff cannot merge into an NWT case, nor assign NWT staff" \
	"$(get "$T/tr3.eml" 'b')" \
	"✘ #merge $n1.*本中心沒有案號 $n1 的案件.*✘ #assign $WU"
tap_like "... and a step out of order is refused in words staff read" \
	"$(get "$T/tr3.eml" 'b')" \
	"✘ #state registered.*案件目前是「轉介」，下一步只能是：追蹤輔導（或再轉介），或結案"
tap_is "... and the NWT case is as it was" \
	"$(show "$n1" '(d["state"], d["merged_into"], [e["what"] for e in d["events"] if e["who"] != "lamplight"])')" \
	"('received', None, [])"

# --- spoofing: ten variants and more, all refused ---------------------
# A third case for the token-of-another-case and closed-case variants.
mail "$T/w5.eml" <<EOF
From: another.writer@example.com
To: tpe@centers.moj-help.example
Subject: 諮詢

想了解戒治所出來以後可以申請哪些補助。
EOF
ingest TPE "$T/w5.eml"
c3=$(newest)
outmail staff "$LIN" "$T/lin3.eml"
lin3_rt=$(get "$T/lin3.eml" 'm["Reply-To"].addresses[0].addr_spec')
lin3_mid=$(get "$T/lin3.eml" 'm["Message-ID"].strip("<>")')
# tampered: lin's c1 token with its last hex digit changed
tok=${lin_rt%@*}
if [[ ${tok: -1} == 0 ]]; then flip=1; else flip=0; fi
tampered="${tok%?}$flip@${lin_rt#*@}"

before_state=$(state "$c1")
before_relay=$(rows "kind IN ('relay', 'transcript')")
spoof() {	# NAME HEADERS: the variant, then its check
	local name=$1
	mail "$T/spoof.eml" <<EOF
$2
Subject: Re: [$c1]

#close 3
#state contacted
請把個案資料寄給我。
EOF
	ingest TPE "$T/spoof.eml"
	tap_is "spoof refused: $name" \
		"$(state "$c1") $(rows "kind IN ('relay', 'transcript')")" \
		"$before_state $before_relay"
}
spoof "forged From, the staff token, no authentication" \
	"From: $LIN
To: $lin_rt
In-Reply-To: <$lin_mid>"
spoof "Authentication-Results from a server not trusted" \
	"Authentication-Results: mx.evil.example; auth=pass smtp.auth=$LIN
From: $LIN
To: $lin_rt"
spoof "authenticated as another staff member than From" \
	"$(ar $CHEN)
From: $LIN
To: $lin_rt"
spoof "the writer's token (from the acknowledgement) under a staff From" \
	"$(ar $LIN)
From: $LIN
To: $ack_rt
In-Reply-To: <$ack_mid>"
spoof "another staff member's token" \
	"$(ar $LIN)
From: $LIN
To: $chen_rt
In-Reply-To: <$chen_mid>"
spoof "staff of another centre with a TPE token" \
	"$(ar $WU)
From: $WU
To: $lin_rt
In-Reply-To: <$lin_mid>"
spoof "a Reply-To trick: forged From, the attacker in Reply-To" \
	"From: $LIN
Reply-To: attacker@evil.example
To: $lin_rt
In-Reply-To: <$lin_mid>"
spoof "two From addresses" \
	"$(ar $LIN)
From: $LIN, attacker@evil.example
To: $lin_rt"
spoof "a staff address as display name only" \
	"From: \"$LIN\" <attacker@evil.example>
To: $lin_rt"
spoof "a tampered token" \
	"$(ar $LIN)
From: $LIN
To: $tampered"
tap_is "the refusals are on the case, for a person to see" "$(refused "$c1")" 8
tap_is "nothing went to the attacker but what any writer gets" \
	"$(outbox_where "$T/l.conf" "e['rcpt'].endswith('evil.example') and e['kind'] not in ('ack', 'followup')" | wc -l)" 0
# Issue 16, point 8: the staff member whose address a refused reply
# bears is told, at the configured address (never Reply-To): of the
# eight refused on the case, six bore lin's address alone (the others:
# another centre's staff, two From addresses).
tap_is "lin, whose address the refused replies bear, is told each time" \
	"$(rows "kind = 'refused' AND rcpt = '$LIN'") $(rows "kind = 'refused' AND rcpt <> '$LIN'")" "6 0"
outmail refused "$LIN" "$T/refused.eml"
tap_like "... that nothing was done, and why, without the letter" \
	"$(get "$T/refused.eml" 'm["Subject"] + " " + str("0912345678" in b or "安非他命" in b or "個案資料" in b) + " " + b')" \
	"您的回覆沒有執行 False .*沒有通過驗證.*原因：[^ ]+"

# The token of another case beside this one's: refused on that case.
mail "$T/s11.eml" <<EOF
$(ar $LIN)
From: $LIN
To: $lin3_rt
In-Reply-To: <$lin_mid>
Subject: Re: [$c3]

#close 3
EOF
ingest TPE "$T/s11.eml"
tap_is "spoof refused: a token of another case beside the case's own" \
	"$(state "$c3") $(refused "$c3")" "received 1"

# Commands only in the quote of a verified reply: text, not commands.
mail "$T/s12.eml" <<EOF
$(ar $LIN)
From: $LIN
To: $lin_rt
In-Reply-To: <$lin_mid>
Subject: Re: [$c1]

好的，我們再聯絡。

> #close 3
> #state follow_up
EOF
ingest TPE "$T/s12.eml"
tap_is "commands in quoted text are not run, nor answered" \
	"$(state "$c1") $(rows "kind = 'transcript'")" "referred 4"
tap_is "... but the case records them (here and in the first reply)" \
	"$(show "$c1" 'sum(1 for e in d["events"] if e["what"] == "commands in quoted text not run")')" 2

# 遷出 to a county no centre here serves: its case kept with no clocks,
# and staff told to hand the person over by letter or phone.
mail "$T/mv1.eml" <<EOF
From: 林大同 <mover@mail.example>
To: tpe@centers.moj-help.example
Subject: 要搬家了

我下個月要搬去屏東，之後還能繼續接受輔導嗎？
EOF
ingest TPE "$T/mv1.eml"
mv=$(newest)
outmail staff "$LIN" "$T/lin-mv.eml"
mail "$T/mv2.eml" <<EOF
$(ar $LIN)
From: $LIN
To: $(get "$T/lin-mv.eml" 'm["Reply-To"].addresses[0].addr_spec')
In-Reply-To: <$(get "$T/lin-mv.eml" 'm["Message-ID"].strip("<>")')>
Subject: Re: [$mv]

#close 5 屏東縣 搬家
EOF
ingest TPE "$T/mv2.eml"
outmail transcript "$LIN" "$T/tr-mv.eml"
tap_like "#close 5 to a county no centre here serves: hand over by letter or phone" \
	"$(get "$T/tr-mv.eml" 'b')" \
	"已結案（遷出），移交 屏東縣，新案號 PIF-[0-9-]*；該縣市的中心不使用本系統，新案件不計期限，請以公文或電話移交"
tap_is "... closed as moved to PIF, and the case there has no deadlines" \
	"$(show "$mv" '(d["state"], d["handed_to"])') $(show "$(newest)" '(d["county"], len(d["deadlines"]))')" \
	"('closed', 'PIF') ('PIF', 0)"

# An old token after the case closed.
mail "$T/s13.eml" <<EOF
$(ar $LIN)
From: $LIN
To: $lin3_rt
In-Reply-To: <$lin3_mid>
Subject: Re: [$c3]

#close 3 已三個月聯絡不上
EOF
ingest TPE "$T/s13.eml"
tap_is "#close by the verified staff member closes the case" \
	"$(show "$c3" '(d["state"], d["closed_reason"])')" "('closed', 'unreachable')"
sed -i 's/^#close 3.*/#state registered/' "$T/s13.eml"
sed -i "s/^Message-ID: .*/Message-ID: <again.$RANDOM@mail.example>/" "$T/s13.eml"
ingest TPE "$T/s13.eml"
tap_is "spoof refused: an old token after the case closed" \
	"$(state "$c3") $(refused "$c3")" "closed 2"

tap_is "every refusal, and each quote with commands, alerted the duty officer" \
	"$(rows "kind = 'alert' AND rcpt = 'duty@tpe.centers.example'")" 12
outmail alert duty@tpe.centers.example "$T/alert.eml"
tap_like "... saying why, without the letter" \
	"$(get "$T/alert.eml" 'm["Subject"] + " " + str("安非他命" in b or "0912345678" in b) + " " + b')" \
	"未通過驗證.* False .*原因：本案已結案"
tap_like "the log names the refusals" "$(cat "$T/log")" \
	"refused a reply as staff on case $c1: the receiving server did not authenticate"
tap_is "... without an address, a name or the letter" \
	"$(grep 'refused' "$T/log" | grep -c -E '@|0912345678|王小明|安非他命' || true)" 0

# A note by mail never leaves the centre.
note_to=$(sed 's/^tpe+/tpe+note./' <<<"$lin_rt")
mail "$T/note.eml" <<EOF
$(ar $LIN)
From: $LIN
To: $note_to
In-Reply-To: <$lin_mid>
Subject: Re: [$c1]

家屬來電表示個案情緒不穩，需留意。
EOF
relays=$(rows "kind = 'relay'")
ingest TPE "$T/note.eml"
tap_is "written to the note address: kept as a note, nothing to the writer" \
	"$(show "$c1" '[n["text"] for n in d["notes"] if n["who"] == "'$LIN'"][-1]') $(rows "kind = 'relay'")" \
	"家屬來電表示個案情緒不穩，需留意。 $relays"

# --- replies as Outlook, Gmail, Apple Mail and Thunderbird write them --
mail "$T/w6.eml" <<EOF
From: lee.family@example.net
To: tpe@centers.moj-help.example
Subject: 申請協助

我兒子剛出戒治所，想申請就業輔導和戒癮門診，請問要怎麼辦？
EOF
ingest TPE "$T/w6.eml"
c4=$(newest)
outmail staff "$LIN" "$T/lin4.eml"
rt4=$(get "$T/lin4.eml" 'm["Reply-To"].addresses[0].addr_spec')
mid4=$(get "$T/lin4.eml" 'm["Message-ID"].strip("<>")')
for client in outlook gmail apple-mail thunderbird; do
	sed -e "s|@FROM@|$LIN|g" -e "s|@TO@|$rt4|g" -e "s|@MID@|$mid4|g" \
		-e "s|@CASE@|$c4|g" \
		"$SOURCE_ROOT/tests/corpus/staff/$client.eml" >"$T/$client.eml"
	ingest TPE "$T/$client.eml"
done
tap_is "four clients' replies: each command acted, in order" \
	"$(show "$c4" '(d["state"], d["assignee"], [n["text"] for n in d["notes"]])')" \
	"('assessed', '$CHEN', ['來自 Outlook 的紀錄', '來自 Gmail 的紀錄', '來自 Apple Mail 的紀錄', '來自 Thunderbird 的紀錄'])"
sqlite3 "$DB" "SELECT o.id FROM outbox o JOIN cases c ON c.id = o.case_id WHERE c.number = '$c4' AND o.kind = 'relay' ORDER BY o.id" >"$T/relays"
tap_is "... each relayed once to the writer" "$(wc -l <"$T/relays")" 4
i=0
for want in "Outlook 這邊已幫您登記，週三會再聯絡。" \
	"Gmail 這邊已完成訪視，接下來安排評估。" \
	"Apple Mail 這邊評估完成，會轉介醫療單位。" \
	"Thunderbird 這邊改由陳個管與您聯絡。"; do
	i=$((i + 1))
	id=$(sed -n "${i}p" "$T/relays")
	mailout "$id" "$T/relay-$i.eml" || true
	tap_is "... as written: $want" \
		"$(get "$T/relay-$i.eml" '[("'"$want"'" in b), [x for x in ["#", "寄件者", "寫道", "0912345678", "同仁您好", "lin@", "<o:p>", "MsoNormal"] if x in b]]')" \
		"[True, []]"
done
tap_like "... Thunderbird's answer below the quote is kept whole" \
	"$(get "$T/relay-4.eml" 'b')" "有任何問題都可以回信。"
tap_is "... without its signature" \
	"$(get "$T/relay-4.eml" '"林社工" in b.split("有任何問題")[1].split("臺北市政府")[0]')" False

# Two open referrals to one partner: its reply finds the one it answers.
mail "$T/r9.eml" <<EOF
$(ar $CHEN)
From: $CHEN
To: $chen2_rt
In-Reply-To: <$chen2_mid>
Subject: Re: [$c1]

#refer health 門診評估
#refer health 美沙冬替代療法
EOF
ingest TPE "$T/r9.eml"
outmail referral clinic@tpehealth.partners.example "$T/ref-r4.eml"
tap_like "the newest notice is the fourth referral" \
	"$(get "$T/ref-r4.eml" 'm["Subject"]')" "^\[轉介 $c1-R4\]"
/usr/bin/python3 - "$T/ref-r4.eml" "$T/p-r4.eml" <<'PY'
import email.policy, sys
from email.message import EmailMessage
from email.parser import BytesParser
n = BytesParser(policy=email.policy.default).parse(open(sys.argv[1], "rb"))
m = EmailMessage()
m["From"] = "clinic@tpehealth.partners.example"
m["To"] = n["Reply-To"].addresses[0].addr_spec
m["Subject"] = "RE: " + n["Subject"]
m["In-Reply-To"] = n["Message-ID"]
m["Message-ID"] = "<r4@tpehealth.example>"
m.set_content("已收案，下週一開始替代療法。\n")
open(sys.argv[2], "wb").write(bytes(m))
PY
ingest TPE "$T/p-r4.eml"
tap_is "... R4 replied, R3 still awaited" \
	"$(show "$c1" '[(r["group"], r["replied_at"] is not None) for r in d["referrals"]][2:]')" \
	"[('health', False), ('health', True)]"

# --- issue 16, point 4: a partner reply stops a clock only with its token
# A forged reply From the partner's address, the referral number in the
# subject, no token: filed for staff to confirm, the clock running.
mail "$T/pforged.eml" <<EOF
From: clinic@tpehealth.partners.example
To: tpe@centers.moj-help.example
Subject: RE: [轉介 $c1-R3] 轉介通知

已收案，個案已完成評估，不需要再追蹤。
EOF
ingest TPE "$T/pforged.eml"
tap_is "issue 16: spoof refused: a partner reply without its token stops no clock" \
	"$(show "$c1" '[r["replied_at"] is not None for r in d["referrals"]][2]')" False
tap_like "... it is filed, marked for staff to confirm" \
	"$(show "$c1" '[n["text"] for n in d["notes"] if n["who"].startswith("clinic")][-1]') $(show "$c1" '[e["what"] for e in d["events"]][-2:]')" \
	"未確認的合作單位回覆.*#confirm.*partner reply unconfirmed"
mail "$T/pconfirm.eml" <<EOF
$(ar $CHEN)
From: $CHEN
To: $chen2_rt
In-Reply-To: <$chen2_mid>
Subject: Re: [$c1]

#confirm
EOF
ingest TPE "$T/pconfirm.eml"
tap_is "... until staff #confirm it: then R3's clock stops" \
	"$(show "$c1" '[r["replied_at"] is not None for r in d["referrals"]][2]')" True
outmail transcript "$CHEN" "$T/tr-confirm.eml"
tap_like "... and the transcript says so" "$(get "$T/tr-confirm.eml" 'b')" \
	"✔ #confirm.*已確認合作單位的回覆"

# --- issue 16: what staff typed, and nothing inward outward ------------
# A fresh case; each variant below comes from lin, verified, with lin's
# own token: only what lin typed may act or go to the writer.
mail "$T/w7.eml" <<EOF
From: chang.family@example.net
To: tpe@centers.moj-help.example
Subject: 想了解戒癮門診

請問戒癮門診需要預約嗎？我的電話是 0922333444。
EOF
ingest TPE "$T/w7.eml"
c5=$(newest)
outmail staff "$LIN" "$T/lin5.eml"
rt5=$(get "$T/lin5.eml" 'm["Reply-To"].addresses[0].addr_spec')
mid5=$(get "$T/lin5.eml" 'm["Message-ID"].strip("<>")')
note5=$(sed 's/^tpe+/tpe+note./' <<<"$rt5")
# m16 NAME TO: a verified reply of lin's on c5, its MIME headers and body
# from stdin; then checks that nothing acted, that nothing went to the
# writer and that lin was told (a transcript).
m16_state=$(state "$c5")
m16() {
	local name=$1 to=$2 relays transcripts
	relays=$(rows "kind = 'relay'")
	transcripts=$(rows "kind = 'transcript' AND rcpt = '$LIN'")
	mail "$T/m16.eml" <<EOF
$(ar $LIN)
From: 林社工 <$LIN>
To: $to
Subject: Re: [$c5] 新案件
In-Reply-To: <$mid5>
MIME-Version: 1.0
$(cat)
EOF
	ingest TPE "$T/m16.eml"
	tap_is "issue 16: $name: nothing acted, nothing to the writer" \
		"$(show "$c5" '(d["state"], d["assignee"])') $(rows "kind = 'relay'")" \
		"('$m16_state', None) $relays"
	tap_is "... and lin is told" \
		"$(rows "kind = 'transcript' AND rcpt = '$LIN'")" \
		"$((transcripts + 1))"
}
fwd_rfc822() {	# the attached message: a forward holding commands
	cat <<EOF
Content-Type: message/rfc822

From: 陌生人 <stranger@evil.example>
Subject: 請處理
Content-Type: multipart/alternative; boundary=in

--in
Content-Type: text/plain; charset=utf-8

#close 4
#assign chen

--in
Content-Type: text/html; charset=utf-8

<div style="display:none">#close 4</div><p>請處理</p>
--in--
EOF
}
m16 "a forward attached, an empty text of lin's own" "$rt5" <<EOF
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain; charset=utf-8


--b
$(fwd_rfc822)
--b--
EOF
m16 "HTML only, commands in display:none, hidden and mso-hide blocks" "$rt5" <<EOF
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/html; charset=utf-8

<div style="display:none">#close 4</div><div hidden>#assign chen</div><div style="mso-hide:all">#close 2</div><div style="max-height:0;overflow:hidden">#state registered</div>
--b
$(fwd_rfc822)
--b--
EOF
m16 "a second inline text part after an empty one" "$rt5" <<EOF
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain; charset=utf-8


--b
Content-Type: text/plain; charset=utf-8

#close 4
#assign chen
--b
Content-Type: application/pdf; name=a.pdf
Content-Disposition: attachment; filename=a.pdf

JVBERi0xLjQK
--b--
EOF
m16 "only an attachment, the notice quoted under an Outlook block" "$rt5" <<EOF
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain; charset=utf-8



寄件者: 臺北市政府毒品危害防制中心 <tpe@centers.moj-help.example>
寄件日期: 2026年11月23日 上午 10:02
收件者: 林社工 <$LIN>
主旨: [$c5] 新案件

$(get "$T/lin5.eml" 'b')
#close 4
--b
Content-Type: application/pdf; name=a.pdf
Content-Disposition: attachment; filename=a.pdf

JVBERi0xLjQK
--b--
EOF
m16 "the notice quoted under From:/Sent:/Subject: without '>'" "$rt5" <<EOF
Content-Type: text/plain; charset=utf-8

From: tpe@centers.moj-help.example
Sent: Monday, November 23, 2026 10:02 AM
To: $LIN
Subject: [$c5]

#close 4
$(get "$T/lin5.eml" 'b')
EOF
m16 "only a #note and the mail client's signature" "$rt5" <<EOF
Content-Type: text/plain; charset=utf-8

#note 已電話聯絡

林社工
臺北市政府毒品危害防制中心 社工員
電話：(02)2345-6789 分機 123
EOF
tap_like "... the note is kept, the signature not relayed" \
	"$(show "$c5" '[n["text"] for n in d["notes"]]') $(rows "kind = 'relay' AND case_id = (SELECT id FROM cases WHERE number = '$c5')")" \
	"已電話聯絡.* 0$"
m16 "a sign-off and a -- signature below the commands" "$rt5" <<EOF
Content-Type: text/plain; charset=utf-8

#note 第二筆

林社工 敬上
-- 
林社工 | 臺北市政府毒品危害防制中心
EOF
m16 "a wrapped quote line without '>' below an attribution" "$rt5" <<EOF
Content-Type: text/plain; charset=utf-8

於 2026/11/23 上午 10:02, 臺北市政府毒品危害防制中心 寫道:
> 同仁您好：請問戒癮門診需要預約嗎？我的電話是
#close 4
> 0922333444。
EOF
outmail transcript "$LIN" "$T/tr16.eml"
tap_like "... lin reads that nothing went to the writer" "$(get "$T/tr16.eml" 'b')" \
	"沒有轉寄任何東西給來信者"
alerts=$(rows "kind = 'alert' AND rcpt = 'duty@tpe.centers.example'")
m16 "text that quotes the notice's own lines and lin's note address" "$rt5" <<EOF
Content-Type: text/plain; charset=utf-8

王先生您好，請看下面：
只想留下內部紀錄、不寄給來信者，請寫到：$note5
EOF
tap_like "... refused by the last check, logged" "$(cat "$T/log")" \
	"case $c5: a staff reply was not relayed: it holds"
tap_is "... and alerted to the duty officer" \
	"$(rows "kind = 'alert' AND rcpt = 'duty@tpe.centers.example'")" \
	"$((alerts + 1))"
for leak in "請聯絡 $CHEN" "代碼 ${rt5#tpe+}" "規則 suicide.intent 命中" \
	"已排除的風險（若不同意，請直接處理）：" "緊急的理由："; do
	m16 "the last check refuses: ${leak%% *}" "$rt5" <<EOF
Content-Type: text/plain; charset=utf-8

王先生您好，$leak
EOF
done
# A forward to the note address: a note with the forward as evidence.
relays=$(rows "kind = 'relay'")
mail "$T/fwdnote.eml" <<EOF
$(ar $LIN)
From: 林社工 <$LIN>
To: $note5
Subject: Fwd: 請處理
In-Reply-To: <$mid5>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/html; charset=utf-8

<p>家屬轉來的信，留存。</p>
--b
$(fwd_rfc822)
--b--
EOF
ingest TPE "$T/fwdnote.eml"
tap_is "issue 16: a forward to the note address is a note, the forward kept" \
	"$(show "$c5" '[("家屬轉來的信" in n["text"], "轉寄的信件" in n["text"], "#close 4" in n["text"]) for n in d["notes"]][-1]') $(show "$c5" '(d["state"], d["assignee"])') $(rows "kind = 'relay'")" \
	"(True, True, True) ('$m16_state', None) $relays"
# A plain answer is still relayed, without its signature.
mail "$T/ok16.eml" <<EOF
$(ar $LIN)
From: 林社工 <$LIN>
To: $rt5
Subject: Re: [$c5]
In-Reply-To: <$mid5>

您好，戒癮門診需要預約，我們會協助您安排。

林社工 敬上
臺北市政府毒品危害防制中心
電話：(02)2345-6789
EOF
ingest TPE "$T/ok16.eml"
outmail relay chang.family@example.net "$T/relay16.eml"
tap_is "issue 16: a typed answer is relayed without the signature" \
	"$(get "$T/relay16.eml" '("需要預約" in b, "2345-6789" in b, "敬上" in b)')" \
	"(True, False, False)"

# --- issue 16: Authentication-Results as exim really writes them ------
# exim's own ${authresults{localhost}} (HARNESS_AUTHRESULTS=1): an
# outsider's DKIM tags come back decoded and unquoted in the header.
HARNESS_AUTHRESULTS=1 harness_start smtp
trap 'harness_stop; [[ -n ${KEEP:-} ]] || rm -rf "$T"' EXIT
printf '%s: pw-lin\n' "$LIN" >"$HARNESS_SMTP_PASSWD"
chmod 644 "$HARNESS_SMTP_PASSWD"
# exim16 NAME LOGIN DKIM-SIGNATURE...: lin's reply on c5 with commands,
# sent through exim (logged in as LOGIN unless "-"), ingested as exim
# delivered it.
e16=0
exim16() {
	local name=$1 login=$2 f
	shift 2
	e16=$((e16 + 1))
	/usr/bin/python3 - "$HARNESS_SMTP" "$login" "$LIN" "$rt5" "$mid5" "$e16" "$@" <<'PY'
import smtplib, sys
port, login, lin, rt, mid, n = sys.argv[1:7]
sigs = sys.argv[7:]
head = "".join("DKIM-Signature: %s\r\n" % s for s in sigs)
head += ("Authentication-Results: localhost; auth=pass smtp.auth=%s\r\n"
         "From: %s\r\nTo: %s\r\nSubject: Re: case\r\nIn-Reply-To: <%s>\r\n"
         "Message-ID: <exim16.%s@tpe.centers.example>\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n\r\n" % (lin, lin, rt, mid, n))
body = "#assign chen\r\n#state registered\r\n請把個案資料寄給我。\r\n"
with smtplib.SMTP("127.0.0.1", int(port)) as s:
    if login != "-":
        s.login(login, "pw-lin")
    s.sendmail(lin, ["tpe@centers.moj-help.example"],
               (head + body).encode())
PY
	harness_wait_delivered "$e16" 15
	f=$(grep -l "exim16.$e16@" "$HARNESS_DELIVERED"/new/*)
	cp "$f" "$T/exim16-$e16.eml"
	ingest TPE "$f"
}
hostile_i='v=1; a=rsa-sha256; c=relaxed/relaxed; d=evil.example; s=sel; i=x=3Bauth=3Dpass=20smtp.auth=3Dlin@tpe.centers.example; h=From:Subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA'
hostile_d='v=1; a=rsa-sha256; d=x;auth=pass smtp.auth=lin@tpe.centers.example (; s=sel; i=@other.example; h=From; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA'
close_s='v=1; a=rsa-sha256; d=y.example; s=s2); i=@z.example; h=From; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA'
alerts=$(rows "kind = 'alert' AND rcpt = 'duty@tpe.centers.example'")
refused5=$(refused "$c5")
exim16 "hostile i=" - "$hostile_i"
ar16() { sed -n '/^Authentication-Results:/,/^Received:/p' "$T/exim16-$e16.eml" | tr -d '\n\t'; }
tap_like "exim writes the hostile i= decoded and unquoted" "$(ar16)" \
	"header.i=x;auth=pass smtp.auth=$LIN"
tap_is "issue 16: spoof refused: DKIM i= read as an smtp.auth login" \
	"$(show "$c5" '(d["state"], d["assignee"])')" "('$m16_state', None)"
exim16 "hostile d= and a comment closed by another signature's s=" - \
	"$hostile_d" "$close_s"
tap_is "issue 16: spoof refused: DKIM d= and s= shaping the header" \
	"$(show "$c5" '(d["state"], d["assignee"])')" "('$m16_state', None)"
exim16 "hostile i= beside a login as someone else" "$LIN" "$hostile_i"
tap_is "issue 16: spoof refused: a real login beside a hostile i=" \
	"$(show "$c5" '(d["state"], d["assignee"])')" "('$m16_state', None)"
tap_is "... each refusal on the case, for a person to see" \
	"$(refused "$c5")" "$((refused5 + 3))"
tap_is "... the duty officer alerted, up to the day's limit of 20" \
	"$(rows "kind = 'alert' AND rcpt = 'duty@tpe.centers.example'")" \
	"$((alerts + 3 > 20 ? 20 : alerts + 3))"
exim16 "a real login" "$LIN"
tap_like "lin logged in: exim's header vouches" "$(ar16)" \
	"auth=pass \(PLAIN\) smtp.auth=$LIN"
tap_is "... and the commands act" \
	"$(show "$c5" '(d["state"], d["assignee"])')" "('registered', '$CHEN')"

# --- issue 16: the staff secret, without the server's help ------------
# A second centre set-up: lin may give a secret, chen must.
secret_file "$T/staff.secrets" "$LIN 月光燈塔-lin-7
$CHEN 晨星-chen-2468"
C2=(-c "$T/l2.conf")
DB2=$T/state2/lamplight.db
HARNESS_SMTP='' write_config "$T/l2.conf" "$T/state2" \
"$(centre TPE)
staff = $LIN;$CHEN
duty = duty@tpe.centers.example
staff_secrets_file = $T/staff.secrets
staff_require_secret = $CHEN"
"$L" ingest "${C2[@]}" --centre TPE <"$T/w7.eml" 2>>"$T/log" || true
s1=$("$L" case list "${C2[@]}" --json | json 'd[0]["number"]')
mailout "$(sqlite3 "$DB2" "SELECT id FROM outbox WHERE kind = 'staff' AND rcpt = '$LIN'")" "$T/s-lin.eml" "${C2[@]}" || true
mailout "$(sqlite3 "$DB2" "SELECT id FROM outbox WHERE kind = 'staff' AND rcpt = '$CHEN'")" "$T/s-chen.eml" "${C2[@]}" || true
srt_lin=$(get "$T/s-lin.eml" 'm["Reply-To"].addresses[0].addr_spec')
srt_chen=$(get "$T/s-chen.eml" 'm["Reply-To"].addresses[0].addr_spec')
s2show() { "$L" case show "${C2[@]}" "$s1" --json | json "$1"; }
s2rows() { sqlite3 "$DB2" "SELECT count(*) FROM outbox WHERE $1"; }
# sec16 NAME FROM TO AR BLOCK: a reply on the second set-up.
sec16() {
	mail "$T/sec.eml" <<EOF
${4:-X-Authentication: none}
From: $2
To: $3
Subject: Re: [$s1]

$5
#note $1
EOF
	"$L" ingest "${C2[@]}" --centre TPE <"$T/sec.eml" 2>>"$T/log" || true
}
sec16 "無密語、無伺服器" "$LIN" "$srt_lin" "" ""
tap_is "issue 16: no secret and no server's word: refused, duty told" \
	"$(s2show '(len(d["notes"]), sum(1 for e in d["events"] if e["what"] == "staff mail refused"))') $(s2rows "kind = 'alert'")" \
	"(0, 1) 1"
sec16 "錯的密語" "$LIN" "$srt_lin" "$(ar $LIN)" "#secret 月光燈塔-lin-8"
tap_is "issue 16: a wrong secret refuses even a vouched reply" \
	"$(s2show 'len(d["notes"])') $(s2rows "kind = 'alert'")" "0 2"
outmail_alert=$("$L" outbox show "${C2[@]}" "$(sqlite3 "$DB2" "SELECT id FROM outbox WHERE kind = 'alert' ORDER BY id DESC LIMIT 1")" 2>/dev/null || true)
tap_like "... the alert says why" "$outmail_alert" "."
sec16 "chen 沒附密語" "$CHEN" "$srt_chen" "$(ar $CHEN)" ""
tap_is "issue 16: staff who must give a secret: vouched but without it, refused" \
	"$(s2show 'len(d["notes"])') $(s2rows "kind = 'alert'")" "0 3"
sec16 "lin 的密語" "$LIN" "$srt_lin" "" "#secret 月光燈塔-lin-7"
tap_is "the secret alone, no server's word: lin's note is kept" \
	"$(s2show '[n["text"] for n in d["notes"]]')" "['lin 的密語']"
sec16 "chen 的密語" "$CHEN" "$srt_chen" "" "＃secret 晨星-chen-2468"
tap_is "... chen's too, with the secret required" \
	"$(s2show '[n["text"] for n in d["notes"]]')" "['lin 的密語', 'chen 的密語']"
mailout "$(sqlite3 "$DB2" "SELECT id FROM outbox WHERE kind = 'transcript' AND rcpt = '$CHEN'")" "$T/s-tr.eml" "${C2[@]}" || true
tap_is "... the transcript never writes the secret back" \
	"$(get "$T/s-tr.eml" '("晨星" in b, "#secret ******" in b)')" "(False, True)"
tap_is "... nor does the log" "$(grep -c -E '月光|晨星' "$T/log" || true)" 0

# --- issue 16: only valid identifiers travel ---------------------------
# A writer's Message-ID with a TAB, a vertical tab, or of 5,000
# characters is never copied into our In-Reply-To or References; a valid
# one is.
long_id=$(printf 'a%.0s' $(seq 5000))
k=0
for id in $'tab\there@mail.example' $'vt\vhere@mail.example' \
	"$long_id@mail.example" "fine.$RANDOM@mail.example"; do
	k=$((k + 1))
	{
		printf 'Message-ID: <%s>\nDate: Mon, 23 Nov 2026 10:00:00 +0800\n' "$id"
		printf 'From: ids%d@example.org\nTo: tpe@centers.moj-help.example\n' "$k"
		printf 'Subject: 詢問\n\n想請問戒癮門診的時間，謝謝。\n'
	} | "$MT" write "$T/id$k.eml"
	ingest TPE "$T/id$k.eml"
	outmail ack "ids$k@example.org" "$T/id-ack$k.eml"
	outmail staff "$LIN" "$T/id-staff$k.eml"
	refs=$(for f in "$T/id-ack$k.eml" "$T/id-staff$k.eml"; do
		get "$f" '(m.get("In-Reply-To"), m.get("References"))'; done | tr '\n' ' ')
	if ((k < 4)); then
		tap_is "issue 16: an invalid Message-ID ($k) never travels out" \
			"$refs" "(None, None) (None, None) "
	else
		tap_is "... a valid one does, in In-Reply-To and References" \
			"$refs" "('<$id>', '<$id>') ('<$id>', '<$id>') "
	fi
done

# --- issue 16: a reply on an anonymous case -------------------------------
# The writer left no address (a letter through the web page without
# one): lin's answer cannot reach them, and lin is told so.
mail "$T/anon.eml" <<EOF
From: 求助網頁 <webform@moj-help.example>
To: tpe@centers.moj-help.example
Subject: [求助網頁] 匿名詢問

我不想留名字，只想問戒癮門診要怎麼掛號。
EOF
ingest TPE "$T/anon.eml"
ca=$(newest)
outmail staff "$LIN" "$T/lin-anon.eml"
mail "$T/anon-r.eml" <<EOF
$(ar $LIN)
From: 林社工 <$LIN>
To: $(get "$T/lin-anon.eml" 'm["Reply-To"].addresses[0].addr_spec')
Subject: Re: [$ca]
In-Reply-To: <$(get "$T/lin-anon.eml" 'm["Message-ID"].strip("<>")')>

您好，門診可以直接打電話預約。
EOF
relays=$(rows "kind = 'relay'")
ingest TPE "$T/anon-r.eml"
outmail transcript "$LIN" "$T/anon-tr.eml"
tap_is "issue 16: a reply on an anonymous case: nothing relayed, lin told the writer cannot be reached" \
	"$(rows "kind = 'relay'") $(get "$T/anon-tr.eml" '"無法聯絡" in b and "'"$ca"'" in m["Subject"]')" \
	"$relays True"

# --- issue 16: a flood from one address -----------------------------------
# Twelve letters within the hour from one address, spelt three ways, the
# last seven of them emergencies: all filed, but lin hears of five one by
# one and of the rest once, and the duty officer of one emergency beyond
# the limit (none of the five within it is one).
cases0=$("$L" case list "${C[@]}" --json | json 'len(d)')
staff0=$(rows "kind = 'staff' AND rcpt = '$LIN'")
duty0=$(rows "kind = 'duty'")
for k in $(seq 1 12); do
	case $((k % 3)) in
	0) from=flood@attacker.example ;;
	1) from=Flood+$k@Attacker.example ;;
	2) from=FLOOD@attacker.example ;;
	esac
	if ((k > 5)); then
		say="我今晚就要燒炭自殺，炭已經買好了。（第 $k 封）"
	else
		say="想問戒癮門診怎麼掛號。（第 $k 封）"
	fi
	mail "$T/flood$k.eml" <<EOF
From: $from
To: tpe@centers.moj-help.example
Subject: 求助 $k

$say
EOF
	ingest TPE "$T/flood$k.eml"
done
cases1=$("$L" case list "${C[@]}" --json | json 'len(d)')
outmail flood-staff "$LIN" "$T/flood-lin.eml" || true
tap_is "issue 16: a flood of 12 letters: all filed, lin told of 5 and then once, one duty alert" \
	"$((cases1 - cases0)) $(($(rows "kind = 'staff' AND rcpt = '$LIN'") - staff0)) $(rows "kind = 'flood-staff' AND rcpt = '$LIN'") $(($(rows "kind = 'duty'") - duty0))" \
	"12 5 1 1"
tap_like "... the flood notice says how many, and where to look" \
	"$(get "$T/flood-lin.eml" 'm["Subject"] + " " + b')" "大量來信.*一小時內.*6 封.*案件列表"

tap_done
