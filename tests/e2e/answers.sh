#!/usr/bin/env bash
# Answers through a real exim: the acknowledgement of an emergency with
# the crisis lines its reasons call for and no personal data, the duty
# officer's alert, a referral notice with only what the police may have,
# the partner's reply stopping its clock, our own mail never filed, and
# the daily limit of automatic mail to one address.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

harness_start smtp
T=$HARNESS_DIR/e2e
mkdir -p "$T"
L=$LAMPLIGHT
C=(-c "$T/l.conf")
write_config "$T/l.conf" "$T/state" \
"$(centre TNN)
staff = a@tnn.centers.example
# Mail to staff of each case is tested in staff.sh; here the digests.
staff_notices = false
duty = duty@tnn.centers.example
partners.police = police@tnpd.partners.example
partners.health = health@tnhealth.partners.example"
sed -i 's/^\[lamplight\]$/[lamplight]\nauto_mail_per_day = 2/' "$T/l.conf"
DB=$T/state/lamplight.db
# delivered_to ADDR: the newest message delivered to ADDR.
delivered_to() {
	grep -l -i "^Envelope-to: $1" "$HARNESS_DELIVERED"/new/* 2>/dev/null |
		xargs -r ls -t | head -1
}
# field FILE PYEXPR: PYEXPR over the parsed message m and its body b.
field() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                   policy=email.policy.default)
b = m.get_body(("plain",)).get_content()
print(eval(sys.argv[2]))
PY
}

"$L" ingest "${C[@]}" --centre TNN \
	<"$SOURCE_ROOT/tests/corpus/form-v2-emergency.eml" 2>/dev/null
case1=$("$L" case list "${C[@]}" --json | json 'd[0]["number"]')
tap_ok "the acknowledgement and the duty alert are delivered" \
	harness_wait_delivered 2 60
ack=$(delivered_to yichun.lee0217@example.org)
duty=$(delivered_to duty@tnn.centers.example)
tap_like "the writer's acknowledgement names the case" \
	"$(field "$ack" 'm["Subject"]')" "$case1"
tap_is "... is automatic and marked as ours" \
	"$(field "$ack" 'm["Auto-Submitted"] + " " + m["X-Lamplight-Loop"]')" \
	"auto-replied tnn@centers.moj-help.example"
tap_is "... in UTF-8" "$(field "$ack" 'm.get_body(("plain",)).get_content_charset()')" utf-8
tap_like "... with the crisis lines for an overdose and thoughts of dying" \
	"$(field "$ack" '"|".join(x for x in ["119", "1925", "0800-770-885"] if x in b)')" \
	'^119\|1925\|0800-770-885$'
tap_is "... leading with the ambulance" \
	"$(field "$ack" 'b.index("119") < b.index("1925")')" True
tap_is "... and none of the letter or the person" \
	"$(field "$ack" '[x for x in ["李怡君", "0975830142", "D266190436", "長榮路", "安眠藥"] if x in b]')" "[]"
tap_like "the duty alert names the case and why" \
	"$(field "$duty" 'm["Subject"] + " " + str("用藥過量或身體危急（緊急）" in b)')" \
	"$case1.* True"
tap_is "... and how to reach the writer" \
	"$(field "$duty" '"0975830142" in b')" True

# The duty officer answers from their own mail client: the reply
# reaches the writer from the centre, without the officer's address or
# the quoted alert; written to the note address, it stays inside.
duty_reply=$(field "$duty" 'm["Reply-To"].addresses[0].addr_spec')
duty_id=$(field "$duty" 'm["Message-ID"].strip("<>")')
{
	# What the centre's mail server adds once the officer logs in.
	printf 'Authentication-Results: localhost; auth=pass smtp.auth=duty@tnn.centers.example\n'
	printf 'From: 值班 <duty@tnn.centers.example>\nTo: %s\n' "$duty_reply"
	printf 'Subject: Re: 緊急個案\nIn-Reply-To: <%s>\n' "$duty_id"
	printf 'Message-ID: <d1@tnn.centers.example>\nMIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=UTF-8\n'
	printf 'Content-Transfer-Encoding: 8bit\n\n'
	printf '您好，我是中心的社工，今天下午會打電話給您，請留意 06 開頭的來電。\n\n'
	printf '> 判斷為緊急的理由：emergency.overdose\n> 電話：0975830142\n'
} >"$T/duty-reply.eml"
"$L" ingest "${C[@]}" --centre TNN <"$T/duty-reply.eml" 2>/dev/null
tap_ok "the officer's reply is relayed to the writer" \
	harness_wait_delivered 3 60
relay=$(grep -l -i '^Envelope-to: yichun.lee0217@example.org' \
	"$HARNESS_DELIVERED"/new/* | xargs grep -l 'X-Lamplight-Case' |
	xargs grep -l -i '^Subject: .*=?' | xargs ls -t | head -1)
tap_is "... with the officer's words, from the centre" \
	"$(field "$relay" '("06 開頭" in b, m["From"].addresses[0].addr_spec)')" \
	"(True, 'tnn@centers.moj-help.example')"
tap_is "... without the officer's address or the quoted alert" \
	"$(field "$relay" '("duty@" in m.as_string(), "0975830142" in b, "emergency.overdose" in b)')" \
	"(False, False, False)"
note_to=$(sed 's/^tnn+/tnn+note./' <<<"$duty_reply")
sed -e "s|^To: .*|To: $note_to|" -e 's|^Message-ID: .*|Message-ID: <d2@tnn.centers.example>|' \
	-e 's|今天下午會打電話給您|已聯絡家屬，內部紀錄|' "$T/duty-reply.eml" >"$T/note.eml"
"$L" ingest "${C[@]}" --centre TNN <"$T/note.eml" 2>/dev/null
tap_is "written to the note address: a note, not relayed" \
	"$("$L" case show "${C[@]}" "$case1" --json |
		json '[e["what"] for e in d["events"] if e["who"] == "duty@tnn.centers.example"]')" \
	"['staff reply relayed to the writer', 'note']"
tap_is "... the note is its new text" \
	"$("$L" case show "${C[@]}" "$case1" --json |
		json '[n["text"] for n in d["notes"]]')" \
	"['您好，我是中心的社工，已聯絡家屬，內部紀錄，請留意 06 開頭的來電。']"
tap_is "... and nothing more went to the writer" \
	"$(sql "$DB" "select count(*) from outbox where kind = 'relay'")" 1

# The acknowledgement bounces: the outbox and the case say so.
ack_id=$(field "$ack" 'm["Message-ID"].strip("<>")')
sed "s|^Message-ID: <ack\.TNN-1151112-0001@centers\.moj-help\.example>|Message-ID: <$ack_id>|" \
	"$SOURCE_ROOT/tests/corpus/bounce-dsn.eml" >"$T/dsn.eml"
"$L" ingest "${C[@]}" --centre TNN <"$T/dsn.eml" 2>/dev/null
tap_is "a bounce marks its mail in the outbox" \
	"$("$L" outbox list "${C[@]}" --state bounced --json |
		json '[(x["kind"], x["case"]) for x in d]')" "[('ack', '$case1')]"
tap_like "... with the reason" \
	"$("$L" outbox list "${C[@]}" --state bounced)" 'bounced: 5.2.2.*mailbox is full'
tap_like "... and staff see it on the case" \
	"$("$L" case show "${C[@]}" "$case1" --json |
		json '[e["what"] for e in d["events"]]')" "'mail bounced: ack'"
tap_like "the seeker's address is masked in the outbox list" \
	"$("$L" outbox list "${C[@]}" --state bounced)" 'y\*+\.\*+@example\.org'
bid=$("$L" outbox list "${C[@]}" --state bounced --json | json 'd[0]["id"]')
tap_ok "a bounced mail can be retried" "$L" outbox retry "${C[@]}" "$bid"
tap_ok "... or cancelled" "$L" outbox cancel "${C[@]}" "$bid" --why 地址錯誤
"$L" outbox retry "${C[@]}" "$bid" >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "a cancelled mail stays cancelled" "$rc" 65
tap_like "... and the case records who and why" \
	"$("$L" case show "${C[@]}" "$case1" --json |
		json '[(e["who"], e["what"], e["why"]) for e in d["events"] if e["who"] == "operator"]')" \
	"'outbox cancel: ack $bid', '地址錯誤'"

# Our own mail coming back is never a letter.
"$L" ingest "${C[@]}" --centre TNN <"$ack" 2>/dev/null
tap_is "the acknowledgement fed back opens nothing" \
	"$(sql "$DB" "select coalesce(case_id, 'none') from arrivals order by id desc limit 1")" \
	none
printf 'From: someone@example.org\nTo: tnn@centers.moj-help.example\nSubject: Fwd\nX-Lamplight-Loop: tnn@centers.moj-help.example\nMessage-ID: <fw1@example.org>\n\n我想自殺\n' \
	>"$T/fwd.eml"
"$L" ingest "${C[@]}" --centre TNN <"$T/fwd.eml" 2>/dev/null
tap_is "mail with our loop header is our own: no case, no answer" \
	"$(sql "$DB" "select kind || ' ' || coalesce(case_id, 'none') from arrivals order by id desc limit 1")" \
	"other none"

# A referral to the police: only what finding the person needs.
for s in registered contacted assessed; do
	"$L" case set "${C[@]}" "$case1" "$s" --as a@tnn.centers.example \
		>/dev/null
done
"$L" case set "${C[@]}" "$case1" referred --group police \
	--agency 臺南市政府警察局 --as a@tnn.centers.example >/dev/null
"$L" run "${C[@]}" >/dev/null 2>&1 || true
tap_ok "the referral notice is delivered" harness_wait_delivered 3 60
ref=$(delivered_to police@tnpd.partners.example)
tap_like "it is numbered for the referral" "$(field "$ref" 'm["Subject"]')" \
	"^\[轉介 $case1-R1\]"
tap_is "it carries the name and the address, never the ID or the letter" \
	"$(field "$ref" '["李怡君" in b, "長榮路" in b, "D266190436" in b, "安眠藥" in b]')" \
	"[True, True, False, False]"
tap_like "it says the data is not for investigation" "$(field "$ref" 'b')" \
	'不得作為犯罪偵查之用'
reply_to=$(field "$ref" 'm["Reply-To"].addresses[0].addr_spec')
ref_id=$(field "$ref" 'm["Message-ID"].strip("<>")')

# The police answer: the referral's clock stops.
{
	printf 'From: police@tnpd.partners.example\nTo: %s\n' "$reply_to"
	printf 'Subject: RE: [轉介 %s-R1] 轉介通知\n' "$case1"
	printf 'In-Reply-To: <%s>\nMessage-ID: <p1@tnpd.partners.example>\n' \
		"$ref_id"
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n'
	printf 'Content-Transfer-Encoding: 8bit\n\n已派員訪視，當事人平安。\n'
} >"$T/police.eml"
"$L" ingest "${C[@]}" --centre TNN <"$T/police.eml" 2>/dev/null
tap_is "... and what the partner did is kept on the case" \
	"$("$L" case show "${C[@]}" "$case1" --json |
		json '[(n["who"], n["text"]) for n in d["notes"] if n["who"].startswith("police")]')" \
	"[('police@tnpd.partners.example', '已派員訪視，當事人平安。')]"
tap_is "the partner's reply stops its clock" \
	"$("$L" case show "${C[@]}" "$case1" --json |
		json '[x["outcome"] for x in d["deadlines"] if x["step"] == "partner_reply"]')" \
	"['met']"

# Three more letters from the writer in a day: with a limit of two,
# one answer (the acknowledgement was the first), then none.
for i in 1 2 3; do
	{
		printf 'From: yichun.lee0217@example.org\nTo: tnn@centers.moj-help.example\n'
		printf 'Subject: Re: %s\nMessage-ID: <s%d.%s@example.org>\n' \
			"$case1" "$i" "$RANDOM"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n\n謝謝，我還是想再問一下。\n'
	} >"$T/s$i.eml"
	"$L" ingest "${C[@]}" --centre TNN <"$T/s$i.eml" 2>/dev/null
done
sleep 2
tap_is "two automatic mails to the writer, no more (the relayed staff reply is not one)" \
	"$("$L" outbox list "${C[@]}" --json --reveal | json '" ".join(e["kind"] for e in d if e["rcpt"] == "yichun.lee0217@example.org")')" \
	"ack relay followup"
tap_is "... and the case says the rest were held back" \
	"$("$L" case show "${C[@]}" "$case1" --json |
		json 'sum(1 for e in d["events"] if e["what"] == "answer held back")')" 2

# Reminders: overdue steps to the staff, an overdue reply to its
# partner, each a digest, once a day.
"$L" case set "${C[@]}" "$case1" referred --group health \
	--agency 臺南市衛生局 --as a@tnn.centers.example >/dev/null
"$L" ingest "${C[@]}" --centre TNN \
	<"$SOURCE_ROOT/tests/corpus/form-v2-application.eml" 2>/dev/null
case2=$("$L" case list "${C[@]}" --json | json 'd[0]["number"]')
sql "$DB" "update deadlines set due_day = '2026-01-05' where outcome is null"
"$L" run "${C[@]}" >/dev/null 2>&1 || true
tap_is "one digest to the staff, one to the partner" \
	"$(sql "$DB" "select group_concat(kind || ':' || rcpt, ' ') from (select kind, rcpt from outbox where kind like 'reminder%' order by kind)")" \
	"reminder-partner:health@tnhealth.partners.example reminder-staff:a@tnn.centers.example"
tap_ok "both delivered" harness_wait_delivered 7 60
staff=$(delivered_to a@tnn.centers.example)
tap_like "the staff's names the overdue step" "$(field "$staff" 'b')" \
	"$case2：編號列冊，期限 民國115年1月5日（逾期"
tap_is "... and no person" "$(field "$staff" '"李怡君" in b or "0975830142" in b')" False
# The partner has its referral notice too, maybe delivered in the same
# clock tick as the reminder: the reminder is told by its subject.
reminder=
for f in $(grep -l -i "^Envelope-to: health@tnhealth.partners.example" \
	"$HARNESS_DELIVERED"/new/* 2>/dev/null | xargs -r ls -t); do
	if [[ $(field "$f" '"回覆提醒" in str(m["subject"])') == True ]]; then
		reminder=$f
		break
	fi
done
tap_like "the partner's names its referral" "$(field "$reminder" 'b')" \
	"$case1-R2  回覆期限 2026-01-05"
"$L" run "${C[@]}" >/dev/null 2>&1 || true
tap_is "a second run the same day sends no more" \
	"$(sql "$DB" "select count(*) from outbox where kind like 'reminder%'")" 2

# What the operator's monitor sees: overdue work by centre and agency.
"$L" status "${C[@]}" --json >"$T/status.json" && rc=0 || rc=$?
tap_is "status exits 1: deadlines far past" "$rc" 1
tap_is "... overdue steps by centre" \
	"$(json '[(x["centre"], x["step"], x["count"], x["oldest_due"]) for x in d["overdue_steps"]]' <"$T/status.json")" \
	"[('TNN', 'assess', 1, '2026-01-05'), ('TNN', 'contact', 1, '2026-01-05'), ('TNN', 'register', 1, '2026-01-05')]"
tap_is "... overdue referrals by partner agency" \
	"$(json '[(x["centre"], x["agency"], x["count"]) for x in d["overdue_referrals"]]' <"$T/status.json")" \
	"[('TNN', 'health 臺南市衛生局', 1)]"
tap_like "... and in words" "$("$L" status "${C[@]}" || true)" \
	"overdue partner replies: TNN health 臺南市衛生局: 1, oldest due 2026-01-05"

# The same mailbox under other spellings (issue 16): new letters from
# +tag variants of one address and from Gmail's dotted forms are
# answered within one daily limit, not one each.
for v in flood+1@example.org flood+2@example.org flood+3@example.org \
	f.l.o.o.d@gmail.com flo.od@googlemail.com flood+x@gmail.com; do
	{
		printf 'From: %s\nTo: tnn@centers.moj-help.example\n' "$v"
		printf 'Subject: 請問\nMessage-ID: <v.%s.%s@example.org>\n' \
			"${v%%@*}" "$RANDOM"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n\n我想詢問戒毒的門診。\n'
	} >"$T/v.eml"
	"$L" ingest "${C[@]}" --centre TNN <"$T/v.eml" 2>/dev/null
done
tap_is "+tag variants of one address: two answers, the limit" \
	"$(outbox_where "$T/l.conf" "e['kind'] in ('ack', 'followup') and e['rcpt'].startswith('flood+') and e['rcpt'].endswith('@example.org')" | wc -l)" 2
tap_is "Gmail's dotted forms: two answers, the limit" \
	"$(outbox_where "$T/l.conf" "e['kind'] in ('ack', 'followup') and e['rcpt'].endswith(('@gmail.com', '@googlemail.com'))" | wc -l)" 2

tap_done
