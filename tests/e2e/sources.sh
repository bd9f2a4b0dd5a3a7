#!/usr/bin/env bash
# Every network source kind against a private Dovecot: IMAP plain, IMAP
# STARTTLS, IMAPS, POP3 plain, POP3 STLS, POP3S; each files its letter
# once.  A server whose certificate is not trusted is skipped before any
# password is sent.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

users="tpe nwt tao txg tnn khh kee"
HARNESS_USERS=$(for u in $users; do printf '%s:pw-%s ' "$u" "$u"; done)
export HARNESS_USERS
harness_start imap smtp
T=$HARNESS_DIR/e2e
mkdir -p "$T"
for u in $users; do secret_file "$T/$u.pw" "pw-$u"; done

# centre CODE URL [EXTRA]: a centre block fetching URL as user code.
# box CODE MAILBOX [LINES]: a centre fetching from MAILBOX.
box() {
	centre "$1" "mailbox = $2" "password_file = $T/${1,,}.pw" "${3:-}"
}
H=localhost
write_config "$T/lamplight.conf" "$T/state" \
	"$(box TPE "imap://tpe@127.0.0.1:$HARNESS_IMAP/INBOX" 'starttls = no')" \
	"$(box NWT "imap://nwt@$H:$HARNESS_IMAP/INBOX" "ca_file = $HARNESS_CA")" \
	"$(box TAO "imaps://tao@$H:$HARNESS_IMAPS/INBOX" "ca_file = $HARNESS_CA")" \
	"$(box TXG "pop3://txg@127.0.0.1:$HARNESS_POP3/" 'starttls = no')" \
	"$(box TNN "pop3://tnn@$H:$HARNESS_POP3/" "ca_file = $HARNESS_CA
after_fetch = delete")" \
	"$(box KHH "pop3s://khh@$H:$HARNESS_POP3S/" "ca_file = $HARNESS_CA")" \
	"$(box KEE "imaps://kee@$H:$HARNESS_IMAPS/INBOX")"
DB=$T/state/lamplight.db

for u in $users; do
	harness_save "$u" "$SOURCE_ROOT/tests/corpus/form-v2-application.eml"
done
out=$("$LAMPLIGHT" run -v -c "$T/lamplight.conf" 2>"$T/err") && rc=0 || rc=$?
tap_is "a run with an untrusted server exits 69 (EX_UNAVAILABLE)" "$rc" 69
tap_like "six mailboxes fetched, one skipped" "$out" \
	'fetched 6, filed 6 \(6 new cases.*mailboxes failed 1'
for c in TPE NWT TAO TXG TNN KHH; do
	tap_is "$c filed its letter once" \
		"$(sql "$DB" "select count(*) from cases where county = '$c'")" 1
done
tap_like "the untrusted server is named in the report" "$out" \
	'mailbox kee skipped: localhost: certificate not trusted'
tap_is "no case from the untrusted server" \
	"$(sql "$DB" "select count(*) from cases where county = 'KEE'")" 0
tap_ok "the untrusted session ended with no auth attempt" \
	grep -q 'imap-login: .*Disconnected.*(no auth attempts.*user=<>.*TLS' \
	"$HARNESS_DIR/dovecot.log"
tap_ok "no password for it ever reached the server" \
	bash -c "! grep -q -e 'user=<kee>' -e 'pw-kee' '$HARNESS_DIR/dovecot.log'"

# POP3 "delete" removes the server copy; "seen" keeps it for POP3.
tap_is "pop3 after_fetch=delete empties the mailbox" \
	"$(doveadm -c "$HARNESS_DOVECOT_CONF" mailbox status -u tnn messages INBOX)" \
	"INBOX messages=0"
tap_is "pop3 after_fetch=seen keeps the message" \
	"$(doveadm -c "$HARNESS_DOVECOT_CONF" mailbox status -u txg messages INBOX)" \
	"INBOX messages=1"

# Again: nothing new anywhere, whatever the server kept.
out=$("$LAMPLIGHT" run -c "$T/lamplight.conf" 2>/dev/null) || true
tap_like "a second run fetches nothing" "$out" '^fetched 0, filed 0 '
tap_is "and files no case" "$(sql "$DB" 'select count(*) from cases')" 6
tap_done
