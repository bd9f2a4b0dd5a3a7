#!/usr/bin/env bash
# A mailbox whose certificate does not match its name (though signed by
# a trusted CA), or is signed by a CA we do not trust: skipped with a
# clear error, and no password leaves the machine.  The fake servers
# record every byte they receive, so the test can look.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

harness_start smtp
T=$HARNESS_DIR/e2e
mkdir -p "$T"
tls=$HARNESS_DIR/tls
# A certificate for another name, signed by the CA the config trusts.
cat >"$T/wrong.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
CNF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-config "$T/wrong.cnf" -extensions ext -days 2 -subj /CN=wrong.example \
	-CA "$tls/ca.pem" -CAkey "$tls/ca-key.pem" \
	-keyout "$T/wrong-key.pem" -out "$T/wrong.pem" 2>/dev/null

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; harness_stop' EXIT
# fake NAME MODE CERT KEY: start a recording server; its port in $T/NAME.
fake() {
	/usr/bin/python3 "$SOURCE_ROOT/tests/harness/tlsserver.py" "$2" "$3" \
		"$4" "$T/$1.port" "$T/$1.log" &
	pids+=($!)
}
fake name-imaps imaps "$T/wrong.pem" "$T/wrong-key.pem"
fake name-pop3s pop3s "$T/wrong.pem" "$T/wrong-key.pem"
fake name-starttls imap-starttls "$T/wrong.pem" "$T/wrong-key.pem"
fake name-stls pop3-stls "$T/wrong.pem" "$T/wrong-key.pem"
fake ca-imaps imaps "$tls/cert.pem" "$tls/key.pem"
for n in name-imaps name-pop3s name-starttls name-stls ca-imaps; do
	for _ in $(seq 50); do [[ -s $T/$n.port ]] && break; sleep 0.1; done
done
port() { cat "$T/$1.port"; }
secret_file "$T/pw" 'Very-Secret-Password'

# box CODE MAILBOX LINES: a centre fetching from MAILBOX.
box() {
	centre "$1" "mailbox = $2" "password_file = $T/pw" "$3"
}
write_config "$T/lamplight.conf" "$T/state" \
	"$(box TPE "imaps://tpe@localhost:$(port name-imaps)/INBOX" "ca_file = $HARNESS_CA")" \
	"$(box NWT "pop3s://nwt@localhost:$(port name-pop3s)/" "ca_file = $HARNESS_CA")" \
	"$(box TAO "imap://tao@localhost:$(port name-starttls)/INBOX" "ca_file = $HARNESS_CA")" \
	"$(box TXG "pop3://txg@localhost:$(port name-stls)/" "ca_file = $HARNESS_CA")" \
	"$(box TNN "imaps://tnn@localhost:$(port ca-imaps)/INBOX" '')"
sed -i 's/^\[lamplight\]$/[lamplight]\ntimeout = 5/' "$T/lamplight.conf"

out=$("$LAMPLIGHT" run -v -c "$T/lamplight.conf" 2>"$T/err") && rc=0 || rc=$?
tap_is "every mailbox is skipped: exit 69" "$rc" 69
tap_like "the report names each" "$out" 'mailboxes failed 5$'
for c in tpe nwt tao txg; do
	tap_like "$c: a certificate for another name is refused, naming it" \
		"$out" "mailbox $c skipped: localhost: the certificate is for another name \(wrong.example\), not localhost"
done
tap_like "tnn: a certificate from an untrusted CA is refused" "$out" \
	'mailbox tnn skipped: localhost: certificate not trusted: .*(issuer|signer)'
for n in name-imaps name-pop3s name-starttls name-stls ca-imaps; do
	tap_ok "$n: no password was sent" bash -c \
		"! grep -q -i -e 'Very-Secret' -e 'LOGIN' -e 'PASS' -e 'AUTH' '$T/$n.log'"
done
tap_ok "the STARTTLS servers did see STARTTLS (the test is real)" bash -c \
	"grep -qi STARTTLS '$T/name-starttls.log' && grep -qi STLS '$T/name-stls.log'"
tap_ok "no password in lamplight's own output" bash -c \
	"! grep -q 'Very-Secret' '$T/err' <<<'$out'"
tap_done
