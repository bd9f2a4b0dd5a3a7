#!/bin/bash
# tests/harness/selftest.sh: TAP test of the server harness itself.
# Starts Dovecot and exim4 on 127.0.0.1 and checks every listener with
# real clients (curl, openssl s_client, ss).  Run: bash selftest.sh
# shellcheck source-path=SCRIPTDIR disable=SC2317
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/tap.sh"
source "$here/servers.sh"

# Succeed if "$@" fails.
not() {
	! "$@"
}

# Milliseconds since the epoch.
ms() {
	local t=${EPOCHREALTIME//[!0-9]/}
	echo $((t / 1000))
}

t0=$(ms)
tap_ok "harness_start starts imap and smtp" harness_start
if ! tap_last_ok; then
	echo "Bail out! harness_start failed"
	exit 1
fi
tap_diag "started in $(($(ms) - t0)) ms in $HARNESS_DIR"

dir=$HARNESS_DIR
ports=("$HARNESS_IMAP" "$HARNESS_IMAPS" "$HARNESS_POP3" "$HARNESS_POP3S"
	"$HARNESS_SMTP" "$HARNESS_SMTPS")
tap_like "six distinct port numbers" \
	"$(printf '%s\n' "${ports[@]}" | sort -u | tr '\n' ' ')" \
	'^([0-9]+ ){6}$'
tap_is "HARNESS_DIR is mode 755" "$(stat -c %a "$dir")" 755
tap_ok "HARNESS_CA is a certificate" \
	openssl x509 -noout -in "$HARNESS_CA"
tap_ok "server cert verifies against HARNESS_CA for localhost" \
	openssl verify -CAfile "$HARNESS_CA" -verify_hostname localhost \
	-verify_ip 127.0.0.1 "$dir/tls/cert.pem"

# curl trusting only HARNESS_CA; "localhost" resolves to 127.0.0.1 only.
crl() {
	local url=$1
	shift
	local port=${url##*:}
	port=${port%%/*}
	curl -sS --max-time 10 --cacert "$HARNESS_CA" \
		--resolve "localhost:$port:127.0.0.1" "$@" "$url"
}

# Seed one message for tpe.
msg=$dir/client
mkdir -p "$msg"
printf '%s\r\n' "From: Seed <seed@example.test>" "To: tpe@example.test" \
	"Subject: harness seeded message" "Message-ID: <seed@example.test>" \
	"" "seeded body" >"$msg/seed.eml"
tap_ok "harness_save stores a message" harness_save tpe "$msg/seed.eml"

# IMAP: plain, STARTTLS, IMAPS.
auth=(-u tpe:secret-tpe)
out=$(crl "imap://127.0.0.1:$HARNESS_IMAP/INBOX" "${auth[@]}" \
	-X 'EXAMINE INBOX' 2>&1) || true
tap_like "IMAP plain login, seeded message visible" "$out" \
	'UIDVALIDITY [0-9]+'
tap_like "IMAP EXAMINE shows 1 EXISTS" "$out" '\* 1 EXISTS'
out=$(crl "imap://localhost:$HARNESS_IMAP/INBOX" "${auth[@]}" \
	--ssl-reqd -X 'EXAMINE INBOX' 2>&1) || true
tap_like "IMAP STARTTLS verified for localhost" "$out" '\* 1 EXISTS'
out=$(crl "imaps://localhost:$HARNESS_IMAPS/INBOX;UID=1" \
	"${auth[@]}" 2>&1) || true
tap_like "IMAPS fetches the seeded message" "$out" \
	'Subject: harness seeded message'
out=$(crl "imap://127.0.0.1:$HARNESS_IMAP/INBOX" -u tpe:wrong \
	-X 'EXAMINE INBOX' 2>&1) && rc=0 || rc=$?
tap_is "IMAP rejects a wrong password (curl exit 67)" "$rc" 67

# POP3: plain, STLS, POP3S.
auth=(-u nwt:secret-nwt)
out=$(crl "pop3://127.0.0.1:$HARNESS_POP3/" "${auth[@]}" 2>&1) &&
	rc=0 || rc=$?
tap_is "POP3 plain login (nwt, empty mailbox)" "$rc:${out//$'\r'/}" "0:"
out=$(crl "pop3://localhost:$HARNESS_POP3/" -u tpe:secret-tpe \
	--ssl-reqd 2>&1) || true
tap_like "POP3 STLS verified, lists the seeded message" "$out" \
	'^1 [0-9]+'
out=$(crl "pop3s://localhost:$HARNESS_POP3S/1" -u tpe:secret-tpe \
	2>&1) || true
tap_like "POP3S retrieves the seeded message" "$out" \
	'Subject: harness seeded message'

# SMTP: plain, STARTTLS, SMTPS; each to a different recipient.
n=0
for kind in plain starttls smtps; do
	n=$((n + 1))
	printf '%s\r\n' "From: Harness <sender@example.test>" \
		"To: rcpt$n@example.test" "Subject: harness smtp $kind" \
		"Message-ID: <$kind.$$@example.test>" "" \
		"body of the $kind message" ".leading dot" >"$msg/$kind.eml"
done
smtp=(--mail-from sender@example.test --upload-file)
tap_ok "SMTP plain send" crl "smtp://127.0.0.1:$HARNESS_SMTP/client.test" \
	--mail-rcpt rcpt1@example.test "${smtp[@]}" "$msg/plain.eml"
tap_ok "SMTP STARTTLS send, verified for localhost" \
	crl "smtp://localhost:$HARNESS_SMTP/client.test" --ssl-reqd \
	--mail-rcpt rcpt2@example.test "${smtp[@]}" "$msg/starttls.eml"
tap_ok "SMTPS send, verified for localhost" \
	crl "smtps://localhost:$HARNESS_SMTPS/client.test" \
	--mail-rcpt rcpt3@other.example "${smtp[@]}" "$msg/smtps.eml"
tap_ok "3 messages delivered within 10 s" harness_wait_delivered 3 10
tap_is "harness_delivered_count is 3" "$(harness_delivered_count)" 3
for kind in plain starttls smtps; do
	tap_ok "delivered: $kind message" \
		grep -lq "^Subject: harness smtp $kind" -r "$HARNESS_DELIVERED/new"
done
tap_is "2 of them came over TLS (Received: ... with esmtps)" \
	"$(grep -l 'with esmtps' "$HARNESS_DELIVERED"/new/* | wc -l)" 2

# Certificates, checked by openssl: all six TLS entry points, the right
# name passes, a wrong name and the system CA store fail.
sc() {
	local port=$1 name=$2
	shift 2
	openssl s_client -connect "127.0.0.1:$port" -servername localhost \
		-CAfile "$HARNESS_CA" -verify_return_error \
		-verify_hostname "$name" "$@" </dev/null
}
tap_ok "IMAPS cert ok for localhost" sc "$HARNESS_IMAPS" localhost
tap_ok "IMAP STARTTLS cert ok" sc "$HARNESS_IMAP" localhost -starttls imap
tap_ok "POP3S cert ok for localhost" sc "$HARNESS_POP3S" localhost
tap_ok "POP3 STLS cert ok" sc "$HARNESS_POP3" localhost -starttls pop3
tap_ok "SMTPS cert ok for localhost" sc "$HARNESS_SMTPS" localhost
tap_ok "SMTP STARTTLS cert ok" sc "$HARNESS_SMTP" localhost -starttls smtp
# Succeed if openssl fails, and for a host name mismatch (code 62).
mismatch() {
	local out
	if out=$(sc "$@" 2>&1); then
		echo "$out"
		return 1
	fi
	[[ $out == *"Verify return code: 62 (hostname mismatch)"* ]] || {
		echo "$out"
		return 1
	}
}
tap_ok "IMAPS cert rejected for wrong.example" \
	mismatch "$HARNESS_IMAPS" wrong.example
tap_ok "SMTP STARTTLS cert rejected for wrong.example" \
	mismatch "$HARNESS_SMTP" wrong.example -starttls smtp
out=$(curl -sS --max-time 10 --resolve "localhost:$HARNESS_IMAPS:127.0.0.1" \
	-u tpe:secret-tpe "imaps://localhost:$HARNESS_IMAPS/INBOX" \
	-X 'EXAMINE INBOX' 2>&1) && rc=0 || rc=$?
tap_is "IMAPS not trusted without HARNESS_CA (curl exit 60)" "$rc" 60

# Listeners: every port on 127.0.0.1 only.
listeners() {
	ss -Hltn "sport = :$1" | awk '{ print $4 }' | sort -u | tr '\n' ' '
}
for p in "${ports[@]}"; do
	tap_is "port $p listens on 127.0.0.1 only" "$(listeners "$p")" \
		"127.0.0.1:$p "
done

# Stop: ports closed, directory and processes gone, stop is idempotent.
# Live (not zombie) processes in the process groups listed in $1.
in_groups() {
	ps -e -o pgid=,pid=,stat=,args= | awk -v g=" $1 " \
		'index(g, " " $1 " ") && $3 !~ /^Z/ { $1 = ""; print }'
}
# The two groups: their leaders (the guards) have $dir in the command line.
groups=$(ps -e -o pgid=,pid=,args= |
	awk -v d="$dir" '$1 == $2 && index($0, d) { print $1 }' | tr '\n' ' ')
tap_like "two server process groups" "$groups" '^[0-9]+ [0-9]+ $'
tap_like "they hold at least 8 processes" "$(in_groups "$groups" | wc -l)" \
	'^([89]|[1-9][0-9]+)$'
t0=$(ms)
tap_ok "harness_stop" harness_stop
tap_diag "stopped in $(($(ms) - t0)) ms"
closed=""
for p in "${ports[@]}"; do
	closed+=$(listeners "$p")
done
tap_is "no port listens after harness_stop" "$closed" ""
if [[ ${HARNESS_KEEP:-0} == 1 ]]; then
	tap_skip "HARNESS_DIR removed" "HARNESS_KEEP=1"
	tap_diag "kept $dir"
else
	tap_ok "HARNESS_DIR removed" not test -e "$dir"
fi
tap_is "no server process left" "$(in_groups "$groups")" ""
tap_is "HARNESS_IMAP unset" "${HARNESS_IMAP:-unset}" unset
tap_ok "harness_stop again is a no-op" harness_stop

tap_done
