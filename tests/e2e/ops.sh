#!/usr/bin/env bash
# What an operator relies on: the MTA pipe (ingest), moving filed mail
# to a folder, a UIDVALIDITY change, one letter sent to two centres,
# mail over the size cap, the quarantine commands and status.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

HARNESS_USERS="tpe:pw-tpe nwt:pw-nwt" harness_start imap smtp
T=$HARNESS_DIR/e2e
mkdir -p "$T"
secret_file "$T/tpe.pw" pw-tpe
secret_file "$T/nwt.pw" pw-nwt
write_config "$T/lamplight.conf" "$T/state" \
"$(centre TPE)
mailbox = imaps://tpe@localhost:$HARNESS_IMAPS/INBOX
password_file = $T/tpe.pw
ca_file = $HARNESS_CA
after_fetch = move:Filed" \
"$(centre NWT)
mailbox = imaps://nwt@localhost:$HARNESS_IMAPS/INBOX
password_file = $T/nwt.pw
ca_file = $HARNESS_CA"
sed -i 's/^\[lamplight\]$/[lamplight]\nmax_message_size = 64K/' \
	"$T/lamplight.conf"
C=(-c "$T/lamplight.conf")
DB=$T/state/lamplight.db
L=$LAMPLIGHT
corpus=$SOURCE_ROOT/tests/corpus
cases() { sql "$DB" 'select count(*) from cases'; }
dove() { doveadm -c "$HARNESS_DOVECOT_CONF" "$@"; }

# The MTA pipe: durable, then filed at once when no run holds the lock.
"$L" ingest "${C[@]}" --centre TPE <"$corpus/direct-utf8.eml" && rc=0 || rc=$?
tap_is "ingest exits 0" "$rc" 0
tap_is "and the letter is filed at once" "$(cases)" 1
"$L" ingest "${C[@]}" </dev/null 2>/dev/null && rc=0 || rc=$?
tap_is "an empty message is a data error (65)" "$rc" 65
( ulimit -f 1; "$L" ingest "${C[@]}" --centre TPE \
	<"$corpus/form-v2-application.eml" 2>/dev/null ) && rc=0 || rc=$?
tap_is "a write that fails (file size limit) is a temporary failure (75)" \
	"$rc" 75
tap_is "and leaves nothing half-written in the spool" \
	"$(find "$T/state/spool/new" "$T/state/spool/tmp" -type f | wc -l)" 0

# The same letter to both centres: a case in each, linked.
harness_save tpe "$corpus/form-v2-application.eml"
harness_save nwt "$corpus/form-v2-application.eml"
before=$(sql "$DB" 'select coalesce(max(id), 0) from cases')
"$L" run "${C[@]}" >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "run exits 0" "$rc" 0
tap_is "one case in each centre" \
	"$(sql "$DB" "select group_concat(county, ' ') from (select county from cases where id > $before order by county)")" \
	"NWT TPE"
tap_is "and the two are linked both ways" \
	"$(sql "$DB" 'select count(*) from case_links')" 2

# after_fetch = move:Filed
tap_is "Taipei's INBOX is empty after the move" \
	"$(dove mailbox status -u tpe messages INBOX)" "INBOX messages=0"
tap_is "the letter is in Filed" \
	"$(dove mailbox status -u tpe messages Filed)" "Filed messages=1"

# UIDVALIDITY changes: everything is fetched again, nothing filed twice.
dove mailbox update -u nwt --uid-validity 4242 INBOX
out=$("$L" run -v "${C[@]}" 2>/dev/null) && rc=0 || rc=$?
tap_like "a new UIDVALIDITY re-fetches the mailbox" "$out" \
	'^fetched 1, filed 1 \(0 new cases, 1 duplicates'
tap_is "and files nothing new" "$(cases)" 3

# Over the size cap: left on the server, reported, not lost.
/usr/bin/python3 - "$corpus/direct-utf8.eml" >"$T/big.eml" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
head, body = data.split(b"\r\n\r\n", 1)
print((head + b"\r\n\r\n" + body + b"x" * 100000).decode("utf-8", "replace"))
PY
harness_save nwt "$T/big.eml"
out=$("$L" run -v "${C[@]}" 2>/dev/null) && rc=0 || rc=$?
tap_is "a run that leaves mail on the server exits 1" "$rc" 1
tap_like "and says so" "$out" 'message [0-9]+ left on the server: over the size cap'
tap_is "the big message is still on the server, unseen" \
	"$(dove search -u nwt mailbox INBOX unseen | wc -l)" 1
json=$("$L" status --json "${C[@]}") && rc=0 || rc=$?
tap_is "status exits 1 while mail waits on the server" "$rc" 1
tap_like "status counts it" "$json" '"mailbox":"nwt".*"left_on_server":1'

# Quarantine: list, show, retry, release.
printf 'this is not mail at all\r\n' >"$T/junk"
"$L" ingest "${C[@]}" --centre NWT <"$T/junk" 2>/dev/null
list=$("$L" quarantine list "${C[@]}")
tap_like "quarantine list shows it" "$list" \
	'^[0-9]+ +[0-9T:+-]+ +nwt +held +(no mail headers found|not a mail message)$'
id=$(awk '{print $1}' <<<"$list")
"$L" status "${C[@]}" >/dev/null && rc=0 || rc=$?
tap_is "status exits 1 while mail is held" "$rc" 1
tap_like "quarantine show names the file" \
	"$("$L" quarantine show "${C[@]}" "$id")" "file: +$T/state/spool/cur/"
"$L" quarantine retry "${C[@]}" "$id" >/dev/null 2>&1
tap_like "retry files it again (still bad: held again)" \
	"$("$L" quarantine list -a "${C[@]}")" 'retried.*
.*held'
id2=$("$L" quarantine list "${C[@]}" | awk '{print $1}')
"$L" quarantine release "${C[@]}" "$id2" >/dev/null
tap_like "release clears it" "$("$L" quarantine list "${C[@]}")" \
	'^nothing in quarantine$'
"$L" quarantine release "${C[@]}" "$id2" >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "releasing twice is refused" "$rc" 65

# A broken database is never "ok": status says what is wrong and fails.
sql "$DB" 'DROP TABLE outbox'
out=$("$L" status "${C[@]}" 2>&1) && rc=0 || rc=$?
tap_is "status without the outbox table exits 70" "$rc" 70
tap_like "... says which table is missing" "$out" 'no such table: outbox'
tap_is "... and shows no figure, nor ok" \
	"$(grep -cE '^ok$|queued' <<<"$out")" 0
"$L" status --json "${C[@]}" >"$T/status.json" 2>/dev/null && rc=0 || rc=$?
tap_is "status --json too: exit 70, no JSON" "$rc/$(wc -c <"$T/status.json")" \
	"70/0"
printf 'this file is no database at all' |
	dd of="$DB" bs=1 conv=notrunc status=none
rm -f "$DB-wal" "$DB-shm"
out=$("$L" status "${C[@]}" 2>&1) && rc=0 || rc=$?
tap_is "status on a corrupt database exits 70" "$rc" 70
tap_like "... and says so" "$out" 'file is not a database'
tap_done
