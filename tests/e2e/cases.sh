#!/usr/bin/env bash
# The case register from the command line: the SOP's order, the audit
# trail, referrals, the 遷出 handover, a revised calendar, and one
# centre's cases kept from another centre's staff.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
L=$LAMPLIGHT
C=(-c "$T/l.conf")
write_config "$T/l.conf" "$T/state" \
"$(centre TPE)
staff = a@tpe.centers.example" \
"$(centre KHH)
staff = b@khh.centers.example
referrers.police = drug-unit@khpd.example
referrers.dispatch = dispatch@0800.example
referrers.other = intake@kmuh.example"

# Two letters, one to each centre (answers wait in the outbox: no SMTP).
"$L" ingest "${C[@]}" --centre TPE \
	<"$SOURCE_ROOT/tests/corpus/form-v2-emergency.eml" 2>/dev/null
"$L" ingest "${C[@]}" --centre KHH \
	<"$SOURCE_ROOT/tests/corpus/direct-utf8.eml" 2>/dev/null
tpe=$("$L" case list "${C[@]}" --as a@tpe.centers.example --json |
	json 'd[0]["number"]')
khh=$("$L" case list "${C[@]}" --as b@khh.centers.example --json |
	json 'd[0]["number"]')
tap_like "a TPE case" "$tpe" '^TPE-1[0-9]{6}-[0-9]{4}$'
tap_like "a KHH case" "$khh" '^KHH-1[0-9]{6}-[0-9]{4}$'
tap_is "the operator lists both" \
	"$("$L" case list "${C[@]}" --json | json 'len(d)')" 2
tap_is "a new case is received, its registration due" \
	"$("$L" case show "${C[@]}" "$tpe" --json |
		json 'd["state"], d["deadlines"][0]["step"]')" \
	"received register"

# One centre's case is not another's: not listed, not shown, not changed.
tap_is "KHH staff list only KHH" \
	"$("$L" case list "${C[@]}" --as b@khh.centers.example --json |
		json '",".join(c["county"] for c in d)')" KHH
"$L" case list "${C[@]}" --as b@khh.centers.example --centre TPE \
	>/dev/null 2>&1 && rc=0 || rc=$?
tap_is "KHH staff asking for TPE's list: refused" "$rc" 64
err=$("$L" case show "${C[@]}" "$tpe" --as b@khh.centers.example 2>&1) &&
	rc=0 || rc=$?
tap_is "KHH staff cannot see a TPE case" "$rc" 65
tap_like "... and are told only that there is none at KHH" "$err" \
	"no case $tpe at KHH"
"$L" case set "${C[@]}" "$tpe" registered --as b@khh.centers.example \
	>/dev/null 2>&1 && rc=0 || rc=$?
tap_is "KHH staff cannot change a TPE case" "$rc" 65
"$L" case note "${C[@]}" "$tpe" "看看" --as b@khh.centers.example \
	>/dev/null 2>&1 && rc=0 || rc=$?
tap_is "... nor write in it" "$rc" 65
"$L" case set "${C[@]}" "$tpe" registered >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "a change without --as is refused" "$rc" 64
"$L" case set "${C[@]}" "$tpe" registered --as x@elsewhere.example \
	>/dev/null 2>&1 && rc=0 || rc=$?
tap_is "a stranger is refused" "$rc" 64
tap_is "the TPE case is untouched: no one but lamplight acted" \
	"$("$L" case show "${C[@]}" "$tpe" --json |
		json 'd["state"], [e["who"] for e in d["events"] if e["who"] != "lamplight"]')" \
	"received []"

# Personal data: sealed in the database, masked unless staff ask.
tap_ok "the database holds no name, ID or phone in the clear" bash -c \
	"! grep -a -q -e 李怡君 -e D266190436 -e 0975830142 \
		'$T/state/lamplight.db' '$T/state/lamplight.db-wal' 2>/dev/null"
tap_is "the filed letters are sealed in the spool" \
	"$(find "$T/state/spool/cur" -type f ! -name '*.sealed' | wc -l) $(
		find "$T/state/spool/cur" -type f -name '*.sealed' | wc -l)" "0 2"
tap_is "shown masked" \
	"$("$L" case show "${C[@]}" "$tpe" --json |
		json 'd["person"]["name"], d["person"]["masked"]')" "李*君 True"
"$L" case show "${C[@]}" "$tpe" --reveal >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "the operator cannot reveal" "$rc" 64
"$L" case show "${C[@]}" "$tpe" --reveal --as b@khh.centers.example \
	>/dev/null 2>&1 && rc=0 || rc=$?
tap_is "nor can another centre's staff" "$rc" 65
tap_is "the centre's staff can" \
	"$("$L" case show "${C[@]}" "$tpe" --reveal \
		--as a@tpe.centers.example --json | json 'd["person"]["name"]')" \
	李怡君
tap_is "... and it is recorded: who saw it" \
	"$("$L" case show "${C[@]}" "$tpe" --json |
		json 'd["events"][-1]["who"], d["events"][-1]["what"]')" \
	"a@tpe.centers.example personal data shown"
exp=$("$L" case export "${C[@]}" "$tpe" --as a@tpe.centers.example)
tap_is "export gives everything held on the person" \
	"$(json 'd["person"]["national_id"], len(d["letters"]), d["reply_addr"]' \
		<<<"$exp")" "D266190436 1 yichun.lee0217@example.org"
"$L" case export "${C[@]}" "$tpe" --as b@khh.centers.example \
	>/dev/null 2>&1 && rc=0 || rc=$?
tap_is "another centre cannot export it" "$rc" 65

# The SOP in order, each step by TPE staff.
A=(--as a@tpe.centers.example)
err=$("$L" case set "${C[@]}" "$tpe" assessed "${A[@]}" 2>&1) && rc=0 ||
	rc=$?
tap_is "a step out of order is refused" "$rc" 65
tap_like "... saying what may come next" "$err" "may become registered"
for s in registered contacted assessed; do
	tap_ok "set $s" "$L" case set "${C[@]}" "$tpe" "$s" "${A[@]}" \
		--why "SOP $s"
done
tap_ok "refer to health" "$L" case set "${C[@]}" "$tpe" referred "${A[@]}" \
	--group health --agency 臺北市立聯合醫院
tap_ok "a note" "$L" case note "${C[@]}" "$tpe" "家訪完成" "${A[@]}"
show=$("$L" case show "${C[@]}" "$tpe" --json)
tap_is "state referred" "$(json 'd["state"]' <<<"$show")" referred
tap_is "register, contact, assess met; the partner's two clocks open" \
	"$(json 'sorted((x["step"], x["outcome"] or "open") for x in d["deadlines"])' \
		<<<"$show")" \
	"[('assess', 'met'), ('contact', 'met'), ('partner_reply', 'open'), ('partner_result', 'open'), ('register', 'met')]"
tap_is "the reply slip's clock counts working days from the referral" \
	"$(json '[(x["rule"], x["n"], x["basis"]) for x in d["deadlines"] if x["step"] == "partner_reply"]' \
		<<<"$show")" "[('working_days', 5, 'partner_slip')]"
tap_is "... the result's, of a personal request, days from 收案" \
	"$(json '[(x["rule"], x["n"], x["start_day"] == d["deadlines"][0]["start_day"], x["basis_label"]) for x in d["deadlines"] if x["step"] == "partner_result"]' \
		<<<"$show")" "[('days', 5, True, '收案後5日內（二、(二)4(1)，個人求助）')]"
tap_is "visit and assessment were due 3 days from 收案, as written" \
	"$(json '[(x["start_day"] == d["deadlines"][0]["start_day"], x["basis_label"]) for x in d["deadlines"] if x["step"] in ("contact", "assess")]' \
		<<<"$show")" \
	"[(True, '收案後3日內（二、(二)2）'), (True, '收案後3日內（二、(二)3）')]"
text=$("$L" case show "${C[@]}" "$tpe")
tap_like "case show names the rule beside each deadline" "$text" \
	'partner_result [0-9-]+ 5 days [0-9-]+ - (yes|no) [^ ]+ 收案後5日內（二、\(二\)4\(1\)，個人求助）'
tap_like "calendar rules lists the rules deadlines are set by" \
	"$("$L" calendar rules "${C[@]}")" \
	'intake_assess +收案後3日內（二、\(二\)3）'

tap_is "the audit trail: who, what, why" \
	"$(json '[(e["who"], e["what"], e["why"]) for e in d["events"] if e["what"].startswith("state ")][:2]' \
		<<<"$show")" \
	"[('a@tpe.centers.example', 'state registered', 'SOP registered'), ('a@tpe.centers.example', 'state contacted', 'SOP contacted')]"
tap_is "the note is on the case, and the trail points at it" \
	"$(json 'd["notes"][-1]["text"], d["events"][-1]["what"], d["events"][-1]["why"] == "note %d" % d["notes"][-1]["id"]' <<<"$show")" \
	"家訪完成 note True"

# A revised calendar: open deadlines are recomputed and carry it.
sed 's/^version .*/version test-revision/' \
	"$SOURCE_ROOT/data/calendar/tw-gov.cal" >"$T/rev.cal"
out=$("$L" calendar load "${C[@]}" "$T/rev.cal")
tap_like "a revised calendar is installed" "$out" \
	'calendar test-revision installed; [0-9]+ open deadlines moved'
show=$("$L" case show "${C[@]}" "$tpe" --json)
tap_is "the open deadline carries the new version, met ones the old" \
	"$(json 'sorted((x["step"], x["calendar"]) for x in d["deadlines"])' \
		<<<"$show" | sed 's/2026-11-23.1/old/g')" \
	"[('assess', 'old'), ('contact', 'old'), ('partner_reply', 'test-revision'), ('partner_result', 'test-revision'), ('register', 'old')]"
printf 'version x\ncovers 2025-01-01 2025-12-31\n2025-02-30 off 壞\n' \
	>"$T/bad.cal"
err=$("$L" calendar check "$T/bad.cal" 2>&1) && rc=0 || rc=$?
tap_is "a broken calendar is refused" "$rc" 65
tap_like "... at its line" "$err" "bad.cal:3: expected YYYY-MM-DD"

# 遷出: closed here, handed over to KHH, which now sees it.
out=$("$L" case set "${C[@]}" "$tpe" closed --reason moved --to KHH \
	"${A[@]}" --why 搬家)
tap_like "moved: handed over" "$out" "handed over as KHH-"
tap_is "KHH staff now have two cases" \
	"$("$L" case list "${C[@]}" --as b@khh.centers.example --json |
		json 'len(d)')" 2
tap_is "the TPE case is closed for its reason" \
	"$("$L" case show "${C[@]}" "$tpe" --json |
		json 'd["state"], d["closed_reason"], d["handed_to"]')" \
	"closed moved KHH"
"$L" case set "${C[@]}" "$tpe" closed --reason deceased "${A[@]}" \
	>/dev/null 2>&1 && rc=0 || rc=$?
tap_is "a closed case stays closed" "$rc" 65
# Referrals by mail (docs/referral-mail.md).
referral() {
	{
		printf 'From: %s\nTo: khh@centers.moj-help.example\n' "$1"
		printf 'Subject: %s 出監後戒癮協助\n' "$2"
		printf 'Message-ID: <ref.%s@example.org>\n' "$RANDOM$RANDOM"
		printf 'Date: Mon, 23 Nov 2026 10:00:00 +0800\nMIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=UTF-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n\n'
		printf '轉介單位：%s\n' "${4:-高雄市政府警察局刑事警察大隊}"
		printf '回覆信箱：%s\n求助縣市：高雄市\n' \
			"${3:-result@khpd.example}"
		printf '姓名：王小明\n性別：男\n聯絡電話：0912-345-678\n'
		printf '內容：個案表示願意接受美沙冬替代療法，\n並需要協助找工作。\n'
	}
}
newest() {
	"$L" case list "${C[@]}" --as b@khh.centers.example --json |
		json 'd[0]["number"]'
}
referral drug-unit@khpd.example '[轉介]' >"$T/ref1.eml"
"$L" ingest "${C[@]}" --centre KHH <"$T/ref1.eml" 2>/dev/null
ref=$(newest)
show=$("$L" case show "${C[@]}" "$ref" --json)
tap_is "a police referral: its source and referrer" \
	"$(json 'd["source"], d["referrer"]' <<<"$show")" \
	"police 高雄市政府警察局刑事警察大隊"
tap_like "... owes the police a result in 7 days" \
	"$(json '[(x["step"], x["n"]) for x in d["deadlines"]]' <<<"$show")" \
	"'agency_result', 7"
tap_is "... the person referred is on file, masked" \
	"$(json 'd["person"]["name"]' <<<"$show")" "王*明"
tap_is "... and gets no acknowledgement" "$(sqlite3 "$T/state/lamplight.db" \
	"SELECT count(*) FROM outbox o JOIN cases c ON c.id = o.case_id \
	WHERE c.number = '$ref' AND o.kind = 'ack'")" 0
tap_ok "staff record the result sent" "$L" case set "${C[@]}" "$ref" \
	result-sent --as b@khh.centers.example
referral stranger@example.net '[轉介]' >"$T/ref2.eml"
"$L" ingest "${C[@]}" --centre KHH <"$T/ref2.eml" 2>/dev/null
tap_is "the same form from a stranger is a direct letter" \
	"$("$L" case show "${C[@]}" "$(newest)" --json | json 'd["source"]')" \
	direct
referral dispatch@0800.example '[派案]' >"$T/ref3.eml"
"$L" ingest "${C[@]}" --centre KHH <"$T/ref3.eml" 2>/dev/null
tap_is "a dispatch from the 0800 line: no agency clock" \
	"$("$L" case show "${C[@]}" "$(newest)" --json |
		json 'd["source"], [x["step"] for x in d["deadlines"]]')" \
	"dispatch ['register', 'contact', 'assess']"

# 其他 (社會、衛生醫療等機構團體或其他毒危中心): a hospital the centre
# lists refers in by mail and is mailed its 7-day result.
referral intake@kmuh.example '[轉介]' social-work@kmuh.example \
	高雄醫學大學附設醫院社工室 >"$T/ref4.eml"
"$L" ingest "${C[@]}" --centre KHH <"$T/ref4.eml" 2>/dev/null
other=$(newest)
show=$("$L" case show "${C[@]}" "$other" --json)
tap_is "a hospital listed as referrers.other refers in" \
	"$(json 'd["source"], d["referrer"], d["referrer_addr_kept"]' \
		<<<"$show")" "other 高雄醫學大學附設醫院社工室 True"
tap_is "... owed its result in 7 days from 收案, the rule named" \
	"$(json '[(x["n"], x["basis_label"]) for x in d["deadlines"] if x["step"] == "agency_result"]' \
		<<<"$show")" "[(7, '收案後7日內回覆轉介單位（收案流程）')]"
tap_ok "the referrer's address is not in the database in the clear" \
	bash -c "! grep -a -q social-work@kmuh \
		'$T/state/lamplight.db' '$T/state/lamplight.db-wal' 2>/dev/null"
tap_is "export reads it back" \
	"$("$L" case export "${C[@]}" "$other" --as b@khh.centers.example |
		json 'd["referrer_addr"]')" social-work@kmuh.example
out=$("$L" case set "${C[@]}" "$other" result-sent --result \
	"個案已於12月3日至本院門診，開始美沙冬替代療法。" \
	--as b@khh.centers.example)
tap_like "staff mail the result" "$out" "mailed to the referrer"
res=$("$L" outbox list "${C[@]}" --reveal --json |
	json '[(m["id"], m["rcpt"]) for m in d if m["kind"] == "referrer-result"]')
tap_like "... queued in the outbox to the referral's 回覆信箱" "$res" \
	"social-work@kmuh.example"
tap_like "... masked in the outbox list" \
	"$("$L" outbox list "${C[@]}" --json |
		json '[m["rcpt"] for m in d if m["kind"] == "referrer-result"]')" \
	'\*'
rid=$("$L" outbox list "${C[@]}" --json |
	json '[m["id"] for m in d if m["kind"] == "referrer-result"][0]')
mail=$("$L" outbox show "${C[@]}" "$rid")
printf '%s\n' "$mail" >"$T/result.eml"
tap_is "... to the referrer by name, with the case number and the result" \
	"$(/usr/bin/python3 - "$T/result.eml" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                   policy=email.policy.default)
b = m.get_body(("plain",)).get_content()
print(m["To"].addresses[0].display_name, m["To"].addresses[0].addr_spec,
      m["X-Lamplight-Case"], "開始美沙冬替代療法" in b, "處理結果如下" in b)
PY
)" "高雄醫學大學附設醫院社工室 social-work@kmuh.example $other True True"
tap_is "... and the 7-day clock is met" \
	"$("$L" case show "${C[@]}" "$other" --json |
		json '[(x["outcome"]) for x in d["deadlines"] if x["step"] == "agency_result"], d["events"][-1]["what"]')" \
	"['met'] result mailed to the referrer"
"$L" case set "${C[@]}" "$other" result-sent --result 再一次 \
	--as b@khh.centers.example >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "a second result is refused: none is owed" "$rc" 65

# Misuse: a 回覆信箱 outside the listed sender's domain is not where a
# result goes; a stranger naming itself 其他毒危中心 refers nothing in.
referral intake@kmuh.example '[轉介]' collect@evil.example >"$T/ref5.eml"
"$L" ingest "${C[@]}" --centre KHH <"$T/ref5.eml" 2>/dev/null
tap_is "a 回覆信箱 at another domain: the result goes to the sender" \
	"$("$L" case export "${C[@]}" "$(newest)" --as b@khh.centers.example |
		json 'd["referrer_addr"]')" intake@kmuh.example
referral centre@fake-moj.example '[轉介]' centre@fake-moj.example \
	臺南市政府毒品危害防制中心 >"$T/ref6.eml"
"$L" ingest "${C[@]}" --centre KHH <"$T/ref6.eml" 2>/dev/null
tap_is "an unlisted sender claiming to be 其他毒危中心 writes a letter" \
	"$("$L" case show "${C[@]}" "$(newest)" --json |
		json 'd["source"], d["referrer"], d["referrer_addr_kept"], [x["step"] for x in d["deadlines"] if x["step"] == "agency_result"]')" \
	"direct None False []"
# A case handed over by 遷出 owes TPE a result but keeps no address.
handed=$("$L" case list "${C[@]}" --as b@khh.centers.example --json |
	json '[c["number"] for c in d if c["source"] == "centre"][0]')
err=$("$L" case set "${C[@]}" "$handed" result-sent --result 已收案 \
	--as b@khh.centers.example 2>&1) && rc=0 || rc=$?
tap_is "a result with no address kept is refused" "$rc" 65
tap_like "... saying nothing was mailed and what to do" "$err" \
	"keeps no usable mail address of its referrer: nothing was mailed"
tap_is "... its clock still open, nothing queued" \
	"$("$L" case show "${C[@]}" "$handed" --json |
		json '[x["outcome"] for x in d["deadlines"] if x["step"] == "agency_result"]') $(
	"$L" outbox list "${C[@]}" --json |
		json 'len([m for m in d if m["case"] == "'"$handed"'" and m["kind"] == "referrer-result"])')" \
	"[None] 0"

# 遷出 to a county no centre here serves: its case kept, with no clocks.
out=$("$L" case set "${C[@]}" "$khh" closed --reason moved --to PIF \
	--as b@khh.centers.example --why 搬到屏東)
tap_like "moved out of the served counties: said so" "$out" \
	"handed over as PIF-.*not served here: no deadlines; hand the person over by letter or phone"
pif=$(sed 's/.*handed over as \(PIF-[0-9-]*\).*/\1/' <<<"$out")
tap_is "... the PIF case has no deadlines to fall overdue" \
	"$("$L" case show "${C[@]}" "$pif" --json |
		json 'd["state"], len(d["deadlines"])')" "received 0"

tap_is "nothing is overdue today" \
	"$("$L" case list "${C[@]}" --overdue --json | json 'len(d)')" 0
tap_done
