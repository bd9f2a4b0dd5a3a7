#!/usr/bin/env bash
# Crash safety: a mixed batch from each source kind (IMAP, POP3 with
# delete, a local Maildir with a message that is not mail) is run with
# --stop-after=N for every N, then run to the end: the end state equals
# one clean run's, and a third run changes nothing.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

HARNESS_USERS="tpe:pw-tpe nwt:pw-nwt" harness_start imap smtp
T=$HARNESS_DIR/e2e
mkdir -p "$T"
secret_file "$T/tpe.pw" pw-tpe
secret_file "$T/nwt.pw" pw-nwt
corpus=$SOURCE_ROOT/tests/corpus
dove() { doveadm -c "$HARNESS_DOVECOT_CONF" "$@"; }

# fresh DIR: empty state, mailboxes seeded anew, a config in DIR.
fresh() {
	rm -rf "$1"
	mkdir -p "$1/mb/khh"/{new,cur,tmp}
	cp "$SOURCE_ROOT"/maildir/khh/new/* "$1/mb/khh/new/"
	cp "$corpus/broken/garbage.eml" "$1/mb/khh/new/1793999999.junk.x"
	local u
	for u in tpe nwt; do
		dove expunge -u "$u" mailbox INBOX all 2>/dev/null || true
	done
	harness_save tpe "$SOURCE_ROOT/maildir/tpe/new/1793582047.demo0001.lamplight"
	harness_save tpe "$SOURCE_ROOT/maildir/tpe/new/1793630513.demo0002.lamplight"
	harness_save tpe "$corpus/auto-reply.eml"
	harness_save nwt "$corpus/form-v2-application.eml"
	harness_save nwt "$corpus/no-message-id.eml"
	write_config "$1/lamplight.conf" "$1/state" \
"$(centre TPE)
mailbox = imap://tpe@127.0.0.1:$HARNESS_IMAP/INBOX
starttls = no
password_file = $T/tpe.pw" \
"$(centre NWT)
mailbox = pop3s://nwt@localhost:$HARNESS_POP3S/
ca_file = $HARNESS_CA
after_fetch = delete
password_file = $T/nwt.pw" \
"$(centre KHH)
mailbox = maildir:$1/mb/khh"
}

# state DIR: what a finished run leaves, as text to compare.
state() {
	local db=$1/state/lamplight.db
	sql "$db" "select county || ' ' || urgency from cases order by 1"
	sql "$db" "select 'arrivals ' || count(*) || ' quarantined ' || count(quarantine) || ' kinds ' || group_concat(kind) from (select * from arrivals where duplicate_of is null order by kind)"
	sql "$db" "select 'outbox ' || count(*) || ' ' || group_concat(distinct state) from outbox"
	echo "imap unseen: $(dove search -u tpe mailbox INBOX unseen | wc -l)"
	echo "pop3 left: $(dove mailbox status -u nwt messages INBOX)"
	echo "maildir new: $(find "$1/mb/khh/new" -type f | wc -l)"
	echo "spool new: $(find "$1/state/spool/new" -type f | wc -l)"
}

fresh "$T/run"
"$LAMPLIGHT" run -c "$T/run/lamplight.conf" >/dev/null 2>&1 || true
clean=$(state "$T/run")
clean_sent=$(sql "$T/run/state/lamplight.db" \
	"select count(*) from outbox where state = 'sent'")
tap_like "a clean run files six letters from three kinds of source" \
	"$clean" 'arrivals 8 quarantined 1 kinds '
tap_like "and leaves every source dealt with" "$clean" \
	'imap unseen: 0.pop3 left: INBOX messages=0.maildir new: 0'

n=1
worst=""
while ((n < 300)); do
	fresh "$T/run"
	"$LAMPLIGHT" run -c "$T/run/lamplight.conf" --stop-after=$n \
		>/dev/null 2>&1 && rc=0 || rc=$?
	((rc == 99)) || break
	"$LAMPLIGHT" run -c "$T/run/lamplight.conf" >/dev/null 2>&1 || true
	got=$(state "$T/run")
	if [[ $got != "$clean" ]]; then
		worst="after step $n:
$got"
		break
	fi
	"$LAMPLIGHT" run -c "$T/run/lamplight.conf" >/dev/null 2>&1 || true
	if [[ $(state "$T/run") != "$clean" ]]; then
		worst="a third run after step $n changed the state:
$(state "$T/run")"
		break
	fi
	n=$((n + 1))
done
tap_diag "a clean run has $((n - 1)) durable steps"
tap_ok "the run has durable steps to stop at" test "$n" -gt 20
if [[ -z $worst ]]; then
	# Every replay (and the clean run, and the last, unstopped one)
	# sent the same mail: exim must hold exactly that many, no more.
	want=$(((n + 1) * clean_sent))
	harness_wait_delivered "$want" 60 || true
	tap_is "no mail was sent twice: $want delivered in all" \
		"$(find "$HARNESS_DELIVERED/new" -type f | wc -l)" "$want"
	tap_pass "stopped after any step, the next run ends as a clean run"
else
	tap_fail "stopped after any step, the next run ends as a clean run" \
		"expected:" "$clean" "$worst"
fi
tap_done
