#!/usr/bin/env bash
# The operator's fault matrix (issue 17): what a careless operator or a
# copied file does to the state directory, each case with the exit code
# it must give, the state it must leave (nothing made anew, nothing
# lost, nothing sent) and what status says; then, put right, a clean run
# and status ok again.  Each fault has its row here; some are tried in
# more detail elsewhere: the spool emptied before filing and a slow
# letter ahead of an emergency (e2e-maildir), SMTP 535 and TLS
# (e2e-smtp), a full disk under the spool (e2e-faults).
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

harness_start smtp
T=$HARNESS_DIR/e2e
mkdir -p "$T"
L=$LAMPLIGHT
S=$T/state
DB=$S/lamplight.db
C=(-c "$T/l.conf")
cp -a "$SOURCE_ROOT/maildir/tpe" "$T/mb"
write_config "$T/l.conf" "$S" "$(centre TPE)
mailbox = maildir:$T/mb
duty = duty@tpe.centers.example"

# run: a run; its exit code.
run() {
	"$L" run "${C[@]}" >"$T/out" 2>"$T/err" && echo 0 || echo $?
}
status_rc() {
	"$L" status "${C[@]}" >"$T/status" 2>&1 && echo 0 || echo $?
}
cases() { sql "$DB" 'select count(*) from cases'; }
# A letter more in the mailbox, so that a run has something to do.
n=0
letter() {
	n=$((n + 1))
	maildir_letter "$T/mb" "op$n"
}

tap_is "a first run into an empty state directory" "$(run)" 0
tap_is "... files the demo letters" "$(cases)" 3
cp -a "$S" "$T/good"
delivered=$(harness_delivered_count)

# restore: the state directory as the last good run left it.
restore() {
	rm -rf "$S"
	cp -a "$T/good" "$S"
}

# 1. An emptied database is not started over.
letter
: >"$DB"
rm -f "$DB-wal" "$DB-shm"
tap_is "emptied database: exit 78" "$(run)" 78
tap_like "... saying what it found" "$(cat "$T/err")" \
	'lamplight.db is empty, but .* held database [0-9a-f]{32}: restore it'
tap_is "... nothing made in its place" "$(stat -c %s "$DB")" 0
tap_is "... the letter stays unseen at its source" \
	"$(ls "$T/mb/new" | wc -l)" 1
tap_is "status: 78 as well" "$(status_rc)" 78
restore
tap_is "restored: the run files the letter" "$(run)/$(cases)" 0/4
tap_like "... numbered after the others, not from 0001 again" \
	"$(sql "$DB" 'select max(number) from cases')" '-0004$'
cp -a "$S" "$T/good" && rm -rf "$T/good" && cp -a "$S" "$T/good"

# 2. A truncated database, and one whose header is overwritten.
letter
truncate -s 8192 "$DB"
rm -f "$DB-wal" "$DB-shm"
rc=$(run)
tap_like "truncated database: an error, not a new start" "$rc" '^(70|78)$'
tap_is "... the letter stays unseen" "$(ls "$T/mb/new" | wc -l)" 1
rc=$(status_rc)
tap_like "... status is not ok, and says how the last run ended" \
	"$rc $(cat "$T/status")" "^[1-9][0-9]* .*last run: exit 7[08] at "
restore
printf 'not a database!!' | dd of="$DB" conv=notrunc bs=1 2>/dev/null
rc=$(run)
tap_like "overwritten header: an error" "$rc $(cat "$T/err")" \
	'^70 .*(not a database|malformed)'
restore
# Bytes flipped inside a page: the calendar kept in the database (its
# text is not personal, so not sealed) no longer reads as UTF-8.
/usr/bin/python3 - "$DB" <<'PY'
import sys
p = sys.argv[1]
data = bytearray(open(p, "rb").read())
at = data.find("政府行政機關辦公日曆表".encode())
assert at > 0, "the calendar's text is not in the file"
data[at] ^= 0xff
data[at + 1] ^= 0xff
open(p, "wb").write(bytes(data))
PY
rm -f "$DB-wal" "$DB-shm"
rc=$(run)
tap_like "flipped bytes: an error that says the database may be damaged" \
	"$rc $(cat "$T/err")" \
	"^70 .*calendar kept in the database no longer reads.*may be damaged.*integrity_check"
tap_is "... status is not ok" "$(status_rc)" 1
restore

# 3. A read-only database: refused before SQLite leaves -wal and -shm
# files of that mode in the way.
chmod 400 "$DB"
tap_is "read-only database: exit 78" "$(run)" 78
tap_like "... naming the fix" "$(cat "$T/err")" "chmod 600 '$DB'"
tap_is "... no -wal or -shm left behind" \
	"$(ls "$S" | grep -c -e '-wal$' -e '-shm$' || true)" 0
chmod 600 "$DB"
tap_is "made writable: the run files the letter" "$(run)/$(cases)" 0/5
tap_is "status after a clean run: ok" "$(status_rc)" 0
rm -rf "$T/good" && cp -a "$S" "$T/good"

# 4. A key swapped for another state directory's, and one lost.
write_config "$T/other.conf" "$T/other" "$(centre TPE)"
"$L" init -c "$T/other.conf" >/dev/null
cp "$T/other/data.key" "$S/data.key"
tap_is "swapped data key: exit 78" "$(run)" 78
tap_like "... naming both fingerprints" "$(cat "$T/err")" \
	'data key .* \([0-9a-f]{16}\) is not the key of database [0-9a-f]{32} \([0-9a-f]{16}\)'
restore
rm "$S/token.key"
tap_is "missing token key: exit 78" "$(run)" 78
tap_like "... saying which key it was" "$(cat "$T/err")" \
	'token key .* is missing; database [0-9a-f]{32} was made with key [0-9a-f]{16}'
tap_ok "... and not made anew" test ! -e "$S/token.key"
restore

# 5. A state directory others can read.
chmod 755 "$S"
tap_is "world-readable state directory: exit 78" "$(run)" 78
tap_like "... naming the fix" "$(cat "$T/err")" "chmod 700 '$S'"
restore

# 6. root in the service user's state directory.
if ((EUID == 0)); then
	chown -R nobody "$S"
	tap_is "root in another user's state directory: run refused, 78" \
		"$(run)" 78
	tap_like "... naming the runuser line" "$(cat "$T/err")" \
		'runuser -u nobody -- lamplight run'
	tap_is "... nothing of root's left there" \
		"$(find "$S" -uid 0 | wc -l)" 0
	"$L" config check "${C[@]}" >/dev/null 2>"$T/cc" && rc=0 || rc=$?
	tap_like "config check refuses too" "$rc $(cat "$T/cc")" \
		'^78 .*runuser -u nobody -- lamplight config check'
	restore
else
	tap_skip "root in another user's state directory" "not root"
fi

# 7. A calendar path that is wrong: config check says so.
sed "s|^calendar = .*|calendar = $T/nope.cal|" "$T/l.conf" >"$T/cal.conf"
"$L" config check -c "$T/cal.conf" >/dev/null 2>"$T/cc" && rc=0 || rc=$?
tap_like "a wrong calendar path: config check 78, naming it" \
	"$rc $(cat "$T/cc")" "^78 .*cannot read the calendar: .*nope.cal"

# 9. Letters fetched, then the spool emptied before they were filed:
# fetched again from the source, which was not yet marked.
letter
letter
"$L" run --fetch-only "${C[@]}" >/dev/null 2>&1 || true
rm -f "$S/spool/new/"*
before=$(cases)
tap_is "spool emptied before filing: the next run files them, 0" \
	"$(run)/$(( $(cases) - before ))/$(ls "$T/mb/new" | wc -l)" 0/2/0
tap_is "... status ok" "$(status_rc)" 0

# 10. A letter too slow to read ahead of an emergency: set aside, and
# the emergency's duty alert goes out in the same run.
"$SOURCE_ROOT/tests/harness/mailtool.py" slow "$T/mb/new/1700000000.slow.x" \
	slow-op@example.org
sed "s/^Message-ID: .*/Message-ID: <op-emergency@example.org>/" \
	"$SOURCE_ROOT/tests/corpus/form-v2-emergency.eml" \
	>"$T/mb/new/1700000001.urgent.x"
duty_before=$(sql "$DB" "select count(*) from outbox where kind = 'duty' and state = 'sent'")
rc=$(LAMPLIGHT_READ_CAP_MS=300 run)
tap_is "a slow letter ahead of an emergency: 1 (one set aside)" "$rc" 1
tap_is "... the emergency's duty alert sent in the same run" \
	"$(( $(sql "$DB" "select count(*) from outbox where kind = 'duty' and state = 'sent'") - duty_before ))" 1
tap_like "... the slow one held for a person" \
	"$("$L" quarantine list "${C[@]}")" 'reading it took over 300 ms'
"$L" quarantine release "${C[@]}" \
	"$("$L" quarantine list "${C[@]}" | awk 'NR == 1 { print $1 }')" >/dev/null

# 11. The SMTP server: TLS that does not verify keeps every mail queued
# and stops the run with 78; status says so until it is put right.
letter
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=other \
	-keyout "$T/other.key" -out "$T/other.pem" >/dev/null 2>&1
sed "s|^ca_file = .*|ca_file = $T/other.pem|" "$T/l.conf" >"$T/tls.conf"
queued=$(sql "$DB" "select count(*) from outbox where state = 'queued'")
"$L" run -c "$T/tls.conf" >/dev/null 2>"$T/err" && rc=0 || rc=$?
tap_is "TLS to the SMTP server fails: 78, nothing failed for good" \
	"$rc $(sql "$DB" "select count(*) from outbox where state = 'failed'")" "78 0"
tap_ok "... the new mail waits" test \
	"$(sql "$DB" "select count(*) from outbox where state = 'queued'")" -gt "$queued"
tap_is "... status not ok" "$(status_rc)" 1
sql "$DB" "update outbox set next_at = '2000-01-01T00:00:00+08:00' where state = 'queued'"
tap_is "the right CA again: all of it goes, status ok" \
	"$(run)/$(sql "$DB" "select count(*) from outbox where state = 'queued'")/$(status_rc)" \
	0/0/0

# 12. A wrong SMTP password: 535 to the login keeps every mail queued,
# the run exits 78, status says so; put right, all goes.
echo auth535 >"$T/mode"
smtpfault_start "$T/mode" "$T/fault-spool"
port=$SMTPFAULT_PORT
secret_file "$T/smtp.pw" wrong-password
sed -e "s|^url = .*|url = smtp://localhost:$port/lamplight.test|" \
	-e 's/^starttls = required$/starttls = no/' \
	-e "s|^\[smtp\]$|[smtp]\nuser = lamplight\npassword_file = $T/smtp.pw|" \
	"$T/l.conf" >"$T/auth.conf"
letter
"$L" run -c "$T/auth.conf" >/dev/null 2>"$T/err" && rc=0 || rc=$?
tap_is "535 to the SMTP login: 78, nothing failed for good" \
	"$rc $(sql "$DB" "select count(*) from outbox where state = 'failed'")" "78 0"
tap_like "... status says how the run ended" \
	"$(status_rc) $(cat "$T/status")" '^1 .*last run: exit 78 .*refused the login'
echo ok >"$T/mode"
sql "$DB" "update outbox set next_at = '2000-01-01T00:00:00+08:00' where state = 'queued'"
"$L" run -c "$T/auth.conf" >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "the server lets it in: all of it goes, status ok" \
	"$rc/$(sql "$DB" "select count(*) from outbox where state = 'queued'")/$(status_rc)" \
	0/0/0
smtpfault_stop

# 8. The disk fills while the database is written (a file size limit
# under the database's growth, above a letter's).
for _ in 1 2 3 4 5 6; do letter; done
before=$(cases)
rc=$(bash -c "trap '' XFSZ; ulimit -f 24; '$L' run -c '$T/l.conf'" \
	>/dev/null 2>"$T/err" && echo 0 || echo $?)
tap_is "the disk full under the database: exit 74" "$rc" 74
tap_like "... said" "$(cat "$T/err")" 'File too large|database or disk is full|disk I/O'
rc=$(status_rc)
tap_like "... status not ok, with the run's exit" "$rc $(cat "$T/status")" \
	'^1 .*last run: exit 74'
tap_is "with room again, the next run files every letter once" \
	"$(run)/$(( $(cases) - before ))/$(ls "$T/mb/new" | wc -l)" 0/6/0
tap_is "... and status is ok again" "$(status_rc)" 0
tap_is "through it all, no case was acknowledged twice" \
	"$(sql "$DB" "select count(*) from (select case_id from outbox where kind = 'ack' group by case_id having count(*) > 1)")" 0
tap_done
