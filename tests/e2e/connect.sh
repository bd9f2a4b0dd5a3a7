#!/usr/bin/env bash
# Try before you trust (issue 19.1, 19.2): config check --connect logs in
# to every mailbox and the SMTP server, fetching and sending nothing, and
# says of each what went wrong and where: a wrong password, a closed
# port, a name that does not resolve, TLS to a plain port, a certificate
# for another name.  Everything stays on 127.0.0.1 (.invalid never
# resolves).
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

harness_start
T=$HARNESS_DIR/e2e
mkdir -p "$T"
secret_file "$T/tpe.pw" secret-tpe
secret_file "$T/bad.pw" wrong-password
closed=$(_harness_free_ports 1)
# A server whose certificate is for another name, signed by the CA the
# config trusts (tests/harness/tlsserver.py, as in e2e-tls).
tls=$HARNESS_DIR/tls
printf '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n[ext]\nsubjectAltName = DNS:wrong.example\n' \
	>"$T/wrong.cnf"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-config "$T/wrong.cnf" -extensions ext -days 2 -subj /CN=wrong.example \
	-CA "$tls/ca.pem" -CAkey "$tls/ca-key.pem" \
	-keyout "$T/wrong-key.pem" -out "$T/wrong.pem" 2>/dev/null
/usr/bin/python3 "$SOURCE_ROOT/tests/harness/tlsserver.py" imaps \
	"$T/wrong.pem" "$T/wrong-key.pem" "$T/wrong.port" "$T/wrong.log" &
fake=$!
trap 'kill "$fake" 2>/dev/null || true; harness_stop' EXIT
for _ in $(seq 50); do [[ -s $T/wrong.port ]] && break; sleep 0.1; done

# check CONFIG: config check --connect; its exit code, out and err kept.
check() {
	"$LAMPLIGHT" config check --connect -c "$1" >"$T/out" 2>"$T/err" &&
		echo 0 || echo $?
}

write_config "$T/good.conf" "$T/state" \
	"$(centre TPE "mailbox = imaps://tpe@localhost:$HARNESS_IMAPS/INBOX" \
		"password_file = $T/tpe.pw" "ca_file = $HARNESS_CA")" \
	"$(centre NWT "mailbox = pop3://tpe@127.0.0.1:$HARNESS_POP3/" \
		'starttls = no' "password_file = $T/tpe.pw")"
harness_save tpe "$SOURCE_ROOT/tests/corpus/direct-utf8.eml"
tap_is "all good: exit 0" "$(check "$T/good.conf")" 0
tap_like "... each mailbox said ok" "$(cat "$T/out")" \
	"mailbox tpe: imaps://tpe@localhost:$HARNESS_IMAPS/INBOX: ok, logged in"
tap_like "... and the SMTP server" "$(cat "$T/out")" \
	"SMTP smtp://localhost:$HARNESS_SMTP/lamplight.test: ok, connected"
tap_is "... stderr empty" "$(cat "$T/err")" ""
tap_is "... nothing fetched, no state made" "$(ls "$T/state" 2>/dev/null | wc -l)" 0
tap_is "... nothing sent" "$(harness_delivered_count)" 0
tap_is "... the letter still unseen on the server" \
	"$(doveadm -c "$HARNESS_DOVECOT_CONF" search -u tpe mailbox INBOX unseen | wc -l)" 1

write_config "$T/bad.conf" "$T/state" \
	"$(centre TPE "mailbox = imaps://tpe@localhost:$HARNESS_IMAPS/INBOX" \
		"password_file = $T/bad.pw" "ca_file = $HARNESS_CA")" \
	"$(centre NWT "mailbox = imap://nwt@127.0.0.1:$closed/INBOX" \
		'starttls = no' "password_file = $T/tpe.pw")" \
	"$(centre TXG "mailbox = imaps://txg@nonexistent.invalid:993/INBOX" \
		"password_file = $T/tpe.pw")" \
	"$(centre TNN "mailbox = imaps://tnn@127.0.0.1:$HARNESS_IMAP/INBOX" \
		"password_file = $T/tpe.pw" "ca_file = $HARNESS_CA")" \
	"$(centre KHH "mailbox = pop3s://khh@127.0.0.1:$HARNESS_POP3/" \
		"password_file = $T/tpe.pw" "ca_file = $HARNESS_CA")" \
	"$(centre TAO "mailbox = imaps://tao@localhost:$(cat "$T/wrong.port")/INBOX" \
		"password_file = $T/tpe.pw" "ca_file = $HARNESS_CA")"
sed -i 's/^\[lamplight\]$/[lamplight]\ntimeout = 5/' "$T/bad.conf"
tap_is "every mailbox failing: exit 69" "$(check "$T/bad.conf")" 69
err=$(cat "$T/err")
tap_like "a wrong password: the login refused, host:port and user" "$err" \
	"mailbox tpe: localhost:$HARNESS_IMAPS refused the login of user 'tpe' \\(.*\\): check the user in the URL and password_file"
tap_like "a closed port: connection refused at host:port" "$err" \
	"mailbox nwt: cannot connect to 127.0.0.1:$closed: connection refused"
tap_like "an unknown host: no such host" "$err" \
	"mailbox txg: cannot connect to nonexistent.invalid:993: (no such host|the name server did not answer)"
tap_like "imaps to the plain IMAP port: not TLS" "$err" \
	"mailbox tnn: 127.0.0.1:$HARNESS_IMAP is not TLS: the server greets in plain text"
tap_like "pop3s to the plain POP3 port: not TLS" "$err" \
	"mailbox khh: 127.0.0.1:$HARNESS_POP3 is not TLS"
tap_like "a certificate for another name" "$err" \
	"mailbox tao: localhost: the certificate is for another name \\(wrong.example\\), not localhost"
tap_ok "... which saw no password" bash -c \
	"! grep -q -i -e 'secret-tpe' -e 'LOGIN' '$T/wrong.log'"
tap_unlike "no bare libetpan numbers" "$err" 'failed \(libetpan [0-9]+\)$'
tap_unlike "no password in the output" "$err$(cat "$T/out")" 'secret-tpe|wrong-password'
tap_like "the SMTP server still ok" "$(cat "$T/out")" "SMTP .*: ok"

# The SMTP server: a wrong password, a closed port, an unknown host.
secret_file "$T/smtp.pw" nope
printf 'lamplight: right\n' >>"$HARNESS_SMTP_PASSWD"
mkdir -p "$T/mb/new" "$T/mb/cur" "$T/mb/tmp"
write_config "$T/smtp.conf" "$T/state" \
	"$(centre TPE "mailbox = maildir:$T/mb")"
sed -i "s|^ca_file = .*|&\nuser = lamplight\npassword_file = $T/smtp.pw|" \
	"$T/smtp.conf"
tap_is "SMTP login refused: exit 78" "$(check "$T/smtp.conf")" 78
tap_like "... saying so, with the URL and user" "$(cat "$T/err")" \
	"SMTP smtp://localhost:$HARNESS_SMTP/lamplight.test refused the login of user 'lamplight'"
secret_file "$T/smtp.pw" right
tap_is "the right password: exit 0" "$(check "$T/smtp.conf")" 0
tap_like "... logged in" "$(cat "$T/out")" "SMTP .*: ok, logged in"
sed -i "s|^url = .*|url = smtp://127.0.0.1:$closed/lamplight.test|" "$T/smtp.conf"
tap_is "SMTP port closed: exit 69" "$(check "$T/smtp.conf")" 69
tap_like "... naming it" "$(cat "$T/err")" \
	"SMTP smtp://127.0.0.1:$closed/lamplight.test: cannot connect: .*127.0.0.1.*$closed"
sed -i "s|^url = .*|url = smtp://nonexistent.invalid:25/lamplight.test|" "$T/smtp.conf"
tap_is "SMTP unknown host: exit 69" "$(check "$T/smtp.conf")" 69
tap_like "... naming it" "$(cat "$T/err")" \
	"SMTP smtp://nonexistent.invalid:25/lamplight.test: cannot connect: .*resolve.*nonexistent.invalid"
tap_is "nothing was ever sent" "$(harness_delivered_count)" 0
tap_done
