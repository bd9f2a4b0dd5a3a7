#!/usr/bin/env bash
# A safe first run and a quiet cron (issue 19.1, 19.3).  A first run on a
# mailbox of more letters than first_run_limit files nothing and says
# what to run; run --no-send files them all, answers no one, notifies no
# staff, says how many mails it held back, and no later run sends them.
# A normal run prints nothing (-v prints the summary); a run that finds
# the lock held is silent while the lock is fresh, loud once it is old.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

harness_start smtp
T=$HARNESS_DIR/e2e
mkdir -p "$T/mb/new" "$T/mb/cur" "$T/mb/tmp"
S=$T/state
DB=$S/lamplight.db
C=(-c "$T/l.conf")
write_config "$T/l.conf" "$S" "$(centre TPE "mailbox = maildir:$T/mb" \
	'staff = case1@tpe.centers.moj-help.example' \
	'duty = duty@tpe.centers.moj-help.example')"
sed -i 's/^\[lamplight\]$/[lamplight]\nfirst_run_limit = 20/' "$T/l.conf"

n=0
letter() {
	n=$((n + 1))
	maildir_letter "$T/mb" "bf$n"
}
# run [ARGS...]: a run; its exit code; stdout in out, stderr in err.
run() {
	"$LAMPLIGHT" run "${C[@]}" "$@" >"$T/out" 2>"$T/err" && echo 0 || echo $?
}
cases() { sql "$DB" 'select count(*) from cases'; }
for _ in $(seq 25); do letter; done

tap_is "a first run over first_run_limit: exit 4" "$(run)" 4
tap_like "... saying how many, the limit and what to run" "$(cat "$T/err")" \
	"mailbox tpe: a first run finds 25 letters, over first_run_limit \\(20\\): nothing fetched.*lamplight run --no-send --only TPE.*--first-run"
tap_is "... nothing filed" "$(cases)" 0
tap_is "... every letter still new at its source" "$(ls "$T/mb/new" | wc -l)" 25
"$LAMPLIGHT" status "${C[@]}" >"$T/status" 2>&1 || true
tap_like "status names the mailbox waiting" "$(cat "$T/status")" \
	'first_run_limit'

tap_is "run --no-send: exit 0" "$(run --no-send)" 0
tap_is "... files every letter" "$(cases)" 25
held=$(sql "$DB" 'select count(*) from outbox where held_back')
tap_like "... held back the answers and staff notices" "$held" '^[0-9]{2,}$'
tap_ok "... at least an answer and a notice a letter" test "$held" -ge 50
tap_like "... and says how many" "$(cat "$T/out")" \
	"^held back $held answers and notices \\(--no-send\\): they will never be sent$"
tap_is "... none of them queued" \
	"$(sql "$DB" "select count(*) from outbox where state <> 'cancelled'")" 0
tap_is "... nothing sent" "$(harness_delivered_count)" 0
"$LAMPLIGHT" status "${C[@]}" >"$T/status" 2>&1 || true
tap_like "status says so" "$(cat "$T/status")" \
	"held back by backfills \\(run --no-send\\): $held answers and notices, never to be sent"

tap_is "a normal run after it: exit 0" "$(run)" 0
tap_is "... prints nothing" "$(cat "$T/out" "$T/err")" ""
sleep 1
tap_is "... and sends nothing of the backfill" "$(harness_delivered_count)" 0
id=$(sql "$DB" 'select min(id) from outbox where held_back')
"$LAMPLIGHT" outbox retry "$id" "${C[@]}" >/dev/null 2>&1 || true
tap_is "a held-back mail cannot be retried" \
	"$(sql "$DB" "select state from outbox where id = $id")" cancelled

letter
tap_is "a new letter: exit 0" "$(run)" 0
tap_is "... a normal run prints nothing at all" "$(cat "$T/out" "$T/err")" ""
tap_is "... filed" "$(cases)" 26
harness_wait_delivered 2 || true
tap_ok "... and answered: its mail went" test "$(harness_delivered_count)" -ge 1
tap_is "... none of the backfill's among it" \
	"$(sql "$DB" "select count(*) from outbox where held_back and state <> 'cancelled'")" 0
letter
tap_is "-v: exit 0" "$(run -v)" 0
tap_like "... prints the summary" "$(cat "$T/out")" \
	'fetched 1, filed 1 \(1 new cases, 0 duplicates, 0 quarantined\), sent [1-9]'
tap_is "... and nothing on stderr" "$(cat "$T/err")" ""

# The lock held by another process (an fcntl lock, as a run takes it).
hold() {
	/usr/bin/python3 -c '
import fcntl, sys, time
f = open(sys.argv[1], "r+")
fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(60)' "$S/lock" "$T/held" &
	holder=$!
	for _ in $(seq 50); do [[ -e $T/held ]] && break; sleep 0.1; done
}
trap 'kill "${holder:-}" 2>/dev/null || true; harness_stop' EXIT
hold
touch "$S/lock"
tap_is "a fresh lock held: exit 3" "$(run)" 3
tap_is "... silent" "$(cat "$T/out" "$T/err")" ""
touch -d '-2 hours' "$S/lock"
tap_is "a lock held for two hours: exit 3" "$(run)" 3
tap_like "... loud, with the holder and its age" "$(cat "$T/err")" \
	"another run \\(pid $holder\\) has held '$S/lock' for 1[12][0-9] min, over lock_warn_after \\(30 min\\): is it stuck"
kill "$holder"
wait "$holder" 2>/dev/null || true
tap_is "the lock let go: exit 0" "$(run)" 0
tap_is "... silent" "$(cat "$T/out" "$T/err")" ""
tap_done
