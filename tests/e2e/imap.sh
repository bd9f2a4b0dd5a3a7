#!/usr/bin/env bash
# End to end over real servers: letters saved into a private Dovecot are
# fetched over IMAP and IMAPS, filed, and acknowledged through a private
# exim4 that delivers into a Maildir; a second run does nothing.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

HARNESS_USERS="tpe:secret-tpe nwt:secret-nwt" harness_start imap smtp
T=$HARNESS_DIR/e2e
mkdir -p "$T"
secret_file "$T/tpe.pw" secret-tpe
secret_file "$T/nwt.pw" secret-nwt
write_config "$T/lamplight.conf" "$T/state" \
"$(centre TPE)
mailbox = imap://tpe@127.0.0.1:$HARNESS_IMAP/INBOX
starttls = no
password_file = $T/tpe.pw
staff = case1@tpe.centers.moj-help.example" \
"$(centre NWT)
mailbox = imaps://nwt@localhost:$HARNESS_IMAPS/INBOX
password_file = $T/nwt.pw
ca_file = $HARNESS_CA"
DB=$T/state/lamplight.db

# A web-form emergency (Reply-To given) and an auto-reply for Taipei;
# a web-form application for New Taipei, over IMAPS.
harness_save tpe "$SOURCE_ROOT/maildir/tpe/new/1793630513.demo0002.lamplight"
harness_save tpe "$SOURCE_ROOT/tests/corpus/auto-reply.eml"
harness_save nwt "$SOURCE_ROOT/tests/corpus/form-v2-application.eml"

out=$("$LAMPLIGHT" run -v -c "$T/lamplight.conf" 2>"$T/err") && rc=0 || rc=$?
tap_is "first run exits 0" "$rc" 0
tap_like "first run says what it did" "$out" \
	'fetched 3, filed 3 \(2 new cases, 0 duplicates, 0 quarantined\), sent 3'
tap_is "two cases filed" "$(sql "$DB" 'select count(*) from cases')" 2
tap_like "Taipei's case is an emergency with a ROC-dated number" \
	"$(sql "$DB" "select number || ' ' || urgency from cases where county = 'TPE'")" \
	'^TPE-1[0-9]{2}(0[1-9]|1[0-2])[0-3][0-9]-0001 emergency$'
tap_like "New Taipei's case is an application" \
	"$(sql "$DB" "select number || ' ' || urgency from cases where county = 'NWT'")" \
	'^NWT-1[0-9]{6}-0001 application$'
tap_is "the emergency states its reasons" \
	"$(sql "$DB" "select count(*) > 0 from reasons r join cases c on c.id = r.case_id where c.county = 'TPE' and r.vote in ('suicide', 'overdose', 'violence', 'psychosis', 'child', 'missing', 'withdrawal', 'shelter')")" 1
tap_is "the auto-reply is filed without a case" \
	"$(sql "$DB" "select kind || ' ' || coalesce(case_id, 'none') from arrivals where kind = 'auto_reply'")" \
	"auto_reply none"
tap_is "the database is in WAL mode" "$(sql "$DB" 'PRAGMA journal_mode')" wal

tap_ok "two acknowledgements and TPE staff's notice delivered" \
	harness_wait_delivered 3 60
tpe_case=$(sql "$DB" "select number from cases where county = 'TPE'")
# The case's mail that is not the staff notice.
ack=$(grep -l "^X-Lamplight-Case: $tpe_case" "$HARNESS_DELIVERED"/new/* |
	xargs grep -L -i '^Envelope-to: case1@' | head -1)
tap_like "the emergency's acknowledgement was delivered" "${ack:-none}" '/new/'
if [ -n "$ack" ]; then
	tap_like "it went to the seeker's Reply-To, not the webpage" \
		"$(grep -i '^Envelope-to:' "$ack")" 'jiahao\.hsu90@example\.net'
	tap_like "it comes from the centre (envelope sender)" \
		"$(grep -i '^Return-path:' "$ack")" \
		'<tpe@centers\.moj-help\.example>'
	tap_like "it is an automatic reply (RFC 3834)" \
		"$(grep -i '^Auto-Submitted:' "$ack")" 'auto-replied'
	tap_ok "it answers the letter (In-Reply-To)" \
		grep -qi '^In-Reply-To: <.*moj-help' "$ack"
fi
tap_is "no acknowledgement went to webform@" \
	"$(grep -il '^Envelope-to: webform@' "$HARNESS_DELIVERED"/new/* | wc -l)" 0
tap_is "outbox rows are marked sent" \
	"$(sql "$DB" "select group_concat(state) from outbox")" "sent,sent,sent"

flags=$(doveadm -c "$HARNESS_DOVECOT_CONF" fetch -u tpe flags mailbox INBOX)
tap_is "the Taipei server copies are flagged \\Seen after filing" \
	"$(grep -c 'Seen' <<<"$flags")" 2
flags=$(doveadm -c "$HARNESS_DOVECOT_CONF" fetch -u nwt flags mailbox INBOX)
tap_like "the IMAPS copy is flagged too" "$flags" 'Seen'
tap_is "the spool keeps every message, filed into cur/" \
	"$(ls "$T/state/spool/cur" | wc -l) $(ls "$T/state/spool/new" | wc -l)" "3 0"

# The same mailbox again: nothing new to file, nothing to send.
out=$("$LAMPLIGHT" run -c "$T/lamplight.conf" 2>"$T/err2") && rc=0 || rc=$?
tap_is "second run exits 0" "$rc" 0
tap_is "second run is quiet" "$out" ""
tap_is "second run files nothing" \
	"$(sql "$DB" 'select count(*) from cases') $(sql "$DB" 'select count(*) from arrivals')" "2 3"
sleep 1
tap_is "second run sends nothing" "$(harness_delivered_count)" 3

# A message marked unseen again on the server is still not filed twice.
doveadm -c "$HARNESS_DOVECOT_CONF" flags remove -u tpe '\Seen' mailbox INBOX all
"$LAMPLIGHT" run -c "$T/lamplight.conf" >/dev/null 2>&1 || true
tap_is "an unseen flag does not bring a letter back" \
	"$(sql "$DB" 'select count(*) from cases')" 2

# Fetched over IMAP, then gone from the spool before filing: fetched
# again from the server, whose later letters were filed already (the
# listing starts from the lost one, not from the highest uid fetched).
harness_save tpe "$SOURCE_ROOT/tests/corpus/direct-utf8.eml"
harness_save tpe "$SOURCE_ROOT/tests/corpus/form-v2-emergency.eml"
"$LAMPLIGHT" run --fetch-only -c "$T/lamplight.conf" >/dev/null 2>&1 || true
first=$(sql "$DB" "select f.spool_name from fetched f where not exists (select 1 from arrivals a where a.spool_name = f.spool_name) order by cast(f.uid as integer) limit 1")
rm "$T/state/spool/new/$first"
out=$("$LAMPLIGHT" run -v -c "$T/lamplight.conf" 2>>"$T/err2") || true
tap_like "a letter lost from the spool is fetched again over IMAP" "$out" \
	'mailbox tpe: message [0-9]+ lost from the spool: fetched again'
tap_is "... and both new letters are filed, once" \
	"$(sql "$DB" 'select count(*) from cases')" 4
tap_is "... and status is ok" \
	"$("$LAMPLIGHT" status -c "$T/lamplight.conf" 2>&1 | grep -c '^lost:')" 0

tap_ok "no personal data in the run's stderr" \
	bash -c "! grep -q -e 'jiahao' -e '@example' '$T/err' '$T/err2'"
tap_done
