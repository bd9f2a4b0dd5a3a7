#!/usr/bin/env bash
# Faults while fetching and filing: a connection reset mid-fetch, a
# server that stops answering, an IMAP process killed mid-fetch, a full
# disk, a busy database.  Each gives a clear error and its own exit code,
# loses nothing, and the next run completes the work; a slow mailbox
# does not hold back the others.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

HARNESS_USERS="tpe:pw-tpe nwt:pw-nwt" harness_start imap smtp
T=$HARNESS_DIR/e2e
mkdir -p "$T"
secret_file "$T/tpe.pw" pw-tpe
secret_file "$T/nwt.pw" pw-nwt
dove() { doveadm -c "$HARNESS_DOVECOT_CONF" "$@"; }

# seed USER N SEED: N synthetic letters into USER's INBOX.
seed() {
	local d=$T/seed-$1-$3
	/usr/bin/python3 "$SOURCE_ROOT/bench/make-letters.py" "$d" "$2" "$3"
	local f
	for f in "$d"/new/*; do harness_save "$1" "$f"; done
}
seed tpe 30 1
seed nwt 2 2

/usr/bin/python3 "$SOURCE_ROOT/tests/harness/faultproxy.py" "$T/proxy" \
	"$HARNESS_IMAPS" pass &
proxy=$!
trap 'kill $proxy 2>/dev/null; harness_stop' EXIT
for _ in $(seq 50); do [[ -s $T/proxy ]] && break; sleep 0.1; done
PROXY=$(cat "$T/proxy")

write_config "$T/lamplight.conf" "$T/state" \
"$(centre TPE)
mailbox = imaps://tpe@localhost:$PROXY/INBOX
password_file = $T/tpe.pw
ca_file = $HARNESS_CA" \
"$(centre NWT)
mailbox = imaps://nwt@localhost:$HARNESS_IMAPS/INBOX
password_file = $T/nwt.pw
ca_file = $HARNESS_CA"
sed -i 's/^\[lamplight\]$/[lamplight]\ntimeout = 2\nbusy_timeout = 1/' \
	"$T/lamplight.conf"
C=(-c "$T/lamplight.conf")
DB=$T/state/lamplight.db
L=$LAMPLIGHT
# filed MAILBOX: letters of MAILBOX in the register, once each.
filed() {
	sql "$DB" "select count(*) from arrivals where mailbox = '$1' and duplicate_of is null"
}
unseen() { dove search -u "$1" mailbox INBOX unseen | wc -l; }

# 1. The connection is reset in the middle of the fetch.
echo "reset 40000" >"$T/proxy.mode"
out=$("$L" run -v "${C[@]}" 2>"$T/err1") && rc=0 || rc=$?
tap_is "a reset connection: exit 69 (a mailbox failed)" "$rc" 69
tap_like "with a clear error" "$out" 'mailbox tpe skipped: mailbox tpe: .* failed'
tap_is "the other mailbox is filed meanwhile" "$(filed nwt)" 2
part=$(filed tpe)
tap_ok "part of the reset mailbox is filed ($part of 30)" test "$part" -lt 30
tap_is "the server copies stay unseen over the broken connection" \
	"$(unseen tpe)" 30
echo pass >"$T/proxy.mode"
"$L" run "${C[@]}" >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "the next run completes: exit 0" "$rc" 0
tap_is "every letter filed once" "$(filed tpe)" 30
tap_is "nothing filed twice" \
	"$(sql "$DB" "select count(*) from arrivals where duplicate_of is not null")" 0
tap_is "every server copy seen" "$(unseen tpe)" 0

# 2. A server that stops answering; the other mailbox is not held back.
seed tpe 3 3
seed nwt 1 4
echo "stall 3000" >"$T/proxy.mode"
start=$(date +%s)
out=$("$L" run -v "${C[@]}" 2>"$T/err2") && rc=0 || rc=$?
took=$(( $(date +%s) - start ))
tap_is "a silent server: exit 69" "$rc" 69
tap_ok "given up after its timeout (${took}s)" test "$took" -le 10
tap_is "the other mailbox's letter is filed in the same run" "$(filed nwt)" 3
echo pass >"$T/proxy.mode"
"$L" run "${C[@]}" >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "then the next run completes" "$rc/$(filed tpe)" "0/33"

# 3. The IMAP server process is killed in the middle of a fetch.
seed tpe 20 5
rm -f "$T/proxy.stalled"
echo "stall 20000" >"$T/proxy.mode"
"$L" run "${C[@]}" >/dev/null 2>&1 &
run=$!
for _ in $(seq 100); do [[ -e $T/proxy.stalled ]] && break; sleep 0.1; done
pkill -KILL -f '^dovecot/imap( |$)' || true
wait "$run" && rc=0 || rc=$?
tap_is "a killed server: exit 69" "$rc" 69
echo pass >"$T/proxy.mode"
"$L" run "${C[@]}" >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "the next run completes, each letter once" \
	"$rc/$(filed tpe)/$(unseen tpe)" "0/53/0"

# 4. The disk is full (a file size limit) when the spool is written.
/usr/bin/python3 - "$SOURCE_ROOT/tests/corpus/direct-utf8.eml" >"$T/big.eml" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
head, body = data.split(b"\r\n\r\n", 1)
print((head + b"\r\n\r\n" + body + b"x" * 300000).decode("utf-8", "replace"))
PY
harness_save nwt "$T/big.eml"
before=$(filed nwt)
( ulimit -f 200; "$L" run "${C[@]}" >/dev/null 2>"$T/err4" ) && rc=0 || rc=$?
tap_is "a full disk: exit 74" "$rc" 74
tap_like "with a clear error" "$(cat "$T/err4")" 'File too large|No space'
tap_is "the letter stays unseen on the server" "$(unseen nwt)" 1
"$L" run "${C[@]}" >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "with space again, the next run files it" "$rc/$(filed nwt)" \
	"0/$((before + 1))"

# 5. Another process holds the database.
seed nwt 1 6
/usr/bin/python3 -c '
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(4)
db.execute("COMMIT")
' "$DB" "$T/locked" &
holder=$!
for _ in $(seq 50); do [[ -e $T/locked ]] && break; sleep 0.1; done
"$L" run "${C[@]}" >/dev/null 2>"$T/err5" && rc=0 || rc=$?
tap_is "a busy database: exit 75 (try again)" "$rc" 75
tap_like "with a clear error" "$(cat "$T/err5")" 'database.*locked'
wait "$holder"
before=$(filed nwt)
"$L" run "${C[@]}" >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "once free, the next run files the letter" "$rc/$(unseen nwt)" "0/0"
tap_is "nothing was ever filed twice" \
	"$(sql "$DB" "select count(*) from (select mailbox, message_id, body_hash from arrivals where duplicate_of is null group by 1, 2, 3 having count(*) > 1)")" 0
tap_done
