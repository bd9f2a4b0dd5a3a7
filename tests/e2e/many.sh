#!/usr/bin/env bash
# Twenty-two mailboxes in one run, fetched a few at a time.  One server
# accepts connections and then says nothing: it costs only its own
# timeout, the other mailboxes are filed meanwhile, and an emergency in
# one of them is answered before the slow one gives up.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

codes="TPE NWT TAO TXG TNN KHH KEE HSZ HSQ MIA CHA NAN YUN CYI CYQ PIF ILA HUA TTT PEN KIN LIE"
HARNESS_USERS=$(for c in $codes; do printf '%s:pw ' "${c,,}"; done)
export HARNESS_USERS
harness_start imap smtp
T=$HARNESS_DIR/e2e
mkdir -p "$T"
secret_file "$T/pw" pw

/usr/bin/python3 "$SOURCE_ROOT/tests/harness/faultproxy.py" "$T/proxy" \
	"$HARNESS_IMAPS" stall 0 &
proxy=$!
trap 'kill $proxy 2>/dev/null; harness_stop' EXIT
for _ in $(seq 50); do [[ -s $T/proxy ]] && break; sleep 0.1; done

blocks=()
for c in $codes; do
	l=${c,,}
	port=$HARNESS_IMAPS
	[[ $c == TPE ]] && port=$(cat "$T/proxy")
	blocks+=("[centre $c]
name = $c centre
address = $l@centers.moj-help.example
mailbox = imaps://$l@localhost:$port/INBOX
password_file = $T/pw
ca_file = $HARNESS_CA")
	if [[ $c == KHH ]]; then
		harness_save "$l" "$SOURCE_ROOT/maildir/tpe/new/1793630513.demo0002.lamplight"
	elif [[ $c != TPE ]]; then
		harness_save "$l" "$SOURCE_ROOT/tests/corpus/direct-utf8.eml"
	fi
done
write_config "$T/lamplight.conf" "$T/state" "${blocks[@]}"
# A timeout long against this machine's noise (a loaded CI runner adds
# seconds): the run must end within it once, never twice.
sed -i 's/^\[lamplight\]$/[lamplight]\ntimeout = 10\nfetch_concurrency = 4/' \
	"$T/lamplight.conf"
DB=$T/state/lamplight.db

now_ms() { date +%s%3N; }
start=$(now_ms)
"$LAMPLIGHT" run -c "$T/lamplight.conf" >"$T/out" 2>"$T/err" &
run=$!
ack=""
while kill -0 "$run" 2>/dev/null; do
	if [[ -z $ack ]] && grep -qs '^X-Lamplight-Case: KHH-' \
		"$HARNESS_DELIVERED"/new/* 2>/dev/null; then
		ack=$(now_ms)
	fi
	sleep 0.05
done
wait "$run" && rc=0 || rc=$?
end=$(now_ms)
tap_is "the silent mailbox fails the run with 69" "$rc" 69
tap_is "the 21 others are filed" \
	"$(sql "$DB" 'select count(distinct county) from cases')" 21
tap_ok "the run waits out the silent server's timeout once, not twice ($((end - start)) ms)" \
	test $((end - start)) -lt 18000
tap_ok "the emergency's answer left while the slow mailbox still waited" \
	test -n "$ack" -a "$(( ${ack:-$end} + 1500 ))" -lt "$end"
tap_diag "emergency answer delivered after $(( ${ack:-$end} - start )) ms; run ended after $((end - start)) ms"
tap_like "status names the silent mailbox's error" \
	"$("$LAMPLIGHT" status -c "$T/lamplight.conf" || true)" \
	'tpe .*failed'
tap_done
