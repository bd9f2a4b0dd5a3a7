#!/usr/bin/env bash
# Threading: answers find their case by reply token, then by In-Reply-To
# or References, then by a case number in the subject from someone who
# takes part; a case number alone from a stranger opens a new case for
# staff to confirm; and no mail crosses to another centre's case.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
L=$LAMPLIGHT
C=(-c "$T/l.conf")
write_config "$T/l.conf" "$T/state" \
"$(centre TNN)
staff = a@tnn.centers.example" \
"$(centre KHH)
staff = b@khh.centers.example"
ncases() { "$L" case list "${C[@]}" --json | json 'len(d)'; }
events() {
	"$L" case show "${C[@]}" "$1" --json |
		json '"|".join((e["what"] + ":" + (e["why"] or "")) for e in d["events"])'
}
# mail FILE FROM TO SUBJECT [IN_REPLY_TO]: a plain UTF-8 letter.
n=0
mail() {
	n=$((n + 1))
	{
		printf 'From: %s\nTo: %s\nSubject: %s\n' "$2" "$3" "$4"
		printf 'Message-ID: <t%d.%s@example.org>\n' "$n" "$RANDOM"
		[[ -n ${5:-} ]] && printf 'In-Reply-To: <%s>\n' "$5"
		printf 'Date: Mon, 23 Nov 2026 10:00:00 +0800\n'
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n\n'
		printf '謝謝你們的回信，我想再多問一些事情。\n'
	} >"$1"
}
ingest() { "$L" ingest "${C[@]}" --centre "$1" <"$2" 2>/dev/null; }

ingest TNN "$SOURCE_ROOT/tests/corpus/form-v2-emergency.eml"
case1=$("$L" case list "${C[@]}" --json | json 'd[0]["number"]')
seeker=yichun.lee0217@example.org
# The acknowledgement waiting in the outbox: its Message-ID and Reply-To.
"$L" outbox show "${C[@]}" \
	"$(sqlite3 "$T/state/lamplight.db" "SELECT min(id) FROM outbox")" \
	>"$T/ack.eml"
read -r ack_id reply_to < <(/usr/bin/python3 - "$T/ack.eml" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'),
                                   policy=email.policy.default)
print(m['Message-ID'].strip('<>'), m['Reply-To'].addresses[0].addr_spec)
PY
)
tap_like "the acknowledgement's Message-ID carries the token" "$ack_id" \
	"^lamplight\.$case1\.[0-9a-f]{24}\.[0-9a-f]{16}@centers\.moj-help\.example$"
tap_like "... and so does its Reply-To, a plus address" "$reply_to" \
	"^tnn\+$case1\.[0-9a-f]{24}@centers\.moj-help\.example$"

mail "$T/r1.eml" "$seeker" "$reply_to" "Re: 抱歉打擾"
ingest TNN "$T/r1.eml"
tap_is "the seeker's answer to the token lands on the case" "$(ncases)" 1
tap_like "... matched by the token" "$(events "$case1")" \
	'mail received:help_request, matched by token|mail received:seeker_followup, matched by token'

mail "$T/r2.eml" "$seeker" tnn@centers.moj-help.example "我的事情 ($case1)"
ingest TNN "$T/r2.eml"
tap_is "a seeker naming the case in the subject: the same case" \
	"$(ncases)" 1
tap_like "... matched by the subject" "$(events "$case1")" \
	'matched by subject'

# A forged writer: From the seeker, Reply-To a stranger, the case
# number in the subject.  Filed on the case, but answered only at the
# address the case knows; the stranger learns nothing (issue 16).
attacker=nosy@attacker.example
{
	printf 'From: %s\nReply-To: %s\nTo: tnn@centers.moj-help.example\n' \
		"$seeker" "$attacker"
	printf 'Subject: 我的事情 (%s)\nMessage-ID: <forged.%s@example.org>\n' \
		"$case1" "$RANDOM"
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n'
	printf 'Content-Transfer-Encoding: 8bit\n\n請把之後的回信寄到這個新信箱。\n'
} >"$T/forged.eml"
ingest TNN "$T/forged.eml"
tap_is "a forged follow-up by subject: filed on the case" "$(ncases)" 1
tap_is "... nothing is queued for the Reply-To it gave" \
	"$(outbox_where "$T/l.conf" "e['rcpt'] == '$attacker'" | wc -l)" 0
tap_ok "... the answer went to the address the case knows" test \
	"$(outbox_where "$T/l.conf" "e['kind'] == 'followup' and e['rcpt'] == '$seeker'" | wc -l)" -ge 2

mail "$T/r3.eml" someone.else@example.net tnn@centers.moj-help.example \
	"Re: 抱歉打擾" "$ack_id"
ingest TNN "$T/r3.eml"
tap_is "In-Reply-To our acknowledgement: the same case" "$(ncases)" 1
tap_like "... matched by in-reply-to" "$(events "$case1")" \
	'matched by in-reply-to'

# A stranger with the token and the number, but not its recipient.
mail "$T/r4.eml" stranger@example.net "$reply_to" "Re: $case1"
ingest TNN "$T/r4.eml"
tap_is "a stranger presenting the token opens a new case" "$(ncases)" 2
case2=$("$L" case list "${C[@]}" --json | json 'd[0]["number"]')
tap_like "... marked a possible follow-up for staff" "$(events "$case2")" \
	'possible follow-up'
tap_ok "... linked to the case it names, both ways" test "$(sqlite3 \
	"$T/state/lamplight.db" "SELECT count(*) FROM case_links WHERE \
	why = 'possible follow-up'")" -eq 2

# Another centre's mailbox: nothing crosses.
mail "$T/r5.eml" "$seeker" khh@centers.moj-help.example \
	"Re: $case1" "$ack_id"
ingest KHH "$T/r5.eml"
khh=$("$L" case list "${C[@]}" --as b@khh.centers.example --json |
	json 'len(d), d[0]["number"]')
tap_like "at KHH the same answer is a new KHH case" "$khh" "^1 KHH-"
tap_is "... linked to nothing in TNN" "$(sqlite3 "$T/state/lamplight.db" \
	"SELECT count(*) FROM case_links l JOIN cases a ON a.id = l.case_id \
	JOIN cases b ON b.id = l.other_id WHERE a.county <> b.county")" 0
tap_is "... and the TNN case did not hear of it: four letters, not five" \
	"$(events "$case1" | grep -o 'mail received' | wc -l)" 4
tap_done
