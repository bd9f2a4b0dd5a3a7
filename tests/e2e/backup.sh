#!/usr/bin/env bash
# Backups an operator can trust (issue 19, point 6): `lamplight backup`
# taken while a run files a mailbox of letters, restored on "a new
# machine" (a fresh state directory, the keys copied apart) finds every
# case, letter and queued mail the backup's database holds; and the
# misuses are refused: a backup inside the state directory, a restore
# over a state directory in use, a restore with another data key.  No
# backup holds a key.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

harness_start smtp
T=$HARNESS_DIR/e2e
mkdir -p "$T/secrets" "$T/mb/new" "$T/mb/cur" "$T/mb/tmp"
L=$LAMPLIGHT
# conf NAME STATE SECRETS [MAILBOX]: a config for state directory STATE
# whose keys live in SECRETS.
conf() {
	write_config "$T/$1.conf" "$2" "$(centre TPE)
mailbox = maildir:${4:-$T/mb}
staff = a@tpe.centers.example
duty = duty@tpe.centers.example"
	sed -i "/^state_dir/a token_key_file = $3/token.key\ndata_key_file = $3/data.key" \
		"$T/$1.conf"
}
conf l "$T/state" "$T/secrets"
C=(-c "$T/l.conf")
N=24
for i in $(seq 1 $N); do
	sed -e "s/^Message-ID: .*/Message-ID: <bk$i@example.org>/" \
		-e "s/^From: .*/From: bk$i@writers.example/" \
		"$SOURCE_ROOT/tests/corpus/direct-utf8.eml" \
		>"$T/mb/new/17900000$i.bk$i.x"
done
cp -a "$T/mb" "$T/mb2"
"$L" init "${C[@]}" >/dev/null

# Backups in a loop while the run files the letters.
"$L" run "${C[@]}" >"$T/run.out" 2>&1 &
pid=$!
b=0 during=0
while kill -0 "$pid" 2>/dev/null || ((b == 0)); do
	b=$((b + 1))
	"$L" backup "${C[@]}" "$T/bk$b" >"$T/bk$b.out" 2>&1 ||
		echo "# backup $b: $(cat "$T/bk$b.out")"
	if kill -0 "$pid" 2>/dev/null; then during=$b; fi
done
wait "$pid" && rc=0 || rc=$?
tap_like "the run ends well" "$rc" '^[01]$'
tap_ok "a backup was made while the run went on" test "$during" -gt 0
B=$T/bk$during
tap_like "... it says what it holds" "$(cat "$T/bk$during.out")" \
	"backed up .* into $B.*cases.*fingerprints"
tap_is "the backup directory is the owner's only" "$(stat -c %a "$B")" 700
tap_ok "... with a manifest" grep -q '^data_key [0-9a-f]\{16\}$' \
	"$B/manifest"

# No key in any backup: neither file, nor its bytes anywhere.
found=
for k in token data; do
	hex=$(xxd -p "$T/secrets/$k.key" | tr -d '\n')
	for f in $(find "$B" "$T/bk1" -type f); do
		if xxd -p "$f" | tr -d '\n' | grep -q "$hex"; then
			found="$found $f($k)"
		fi
	done
done
tap_is "no backup holds a key's bytes" "$found" ""
tap_is "... nor a key file" "$(find "$T"/bk* -name '*.key' | wc -l)" 0

# A new machine: the keys copied apart, an empty state directory.
mkdir -p "$T/new/secrets"
cp -p "$T/secrets/"*.key "$T/new/secrets/"
conf n "$T/new/state" "$T/new/secrets"
NC=(-c "$T/n.conf")
"$L" restore "${NC[@]}" "$B" >"$T/restore.out" 2>&1 && rc=0 || rc=$?
tap_is "restore into a missing state directory" "$rc" 0
tap_like "... says what it restored" "$(cat "$T/restore.out")" \
	"restored $B into $T/new/state"
want_cases=$(sql "$B/lamplight.db" 'select count(*) from cases')
want_outbox=$(sql "$B/lamplight.db" 'select count(*) from outbox')
tap_is "every case of the backup is there" \
	"$("$L" case list "${NC[@]}" --json | json 'len(d)')" "$want_cases"
tap_is "every mail of its outbox" \
	"$("$L" outbox list "${NC[@]}" --json | json 'len(d)')" "$want_outbox"
tap_is "the manifest counted them" \
	"$(grep -E '^(cases|outbox) ' "$B/manifest" | cut -d' ' -f2 | xargs)" \
	"$want_cases $want_outbox"
tap_is "modes: 0700 directory, 0600 database" \
	"$(stat -c %a "$T/new/state" "$T/new/state/lamplight.db" | xargs)" \
	"700 600"
unread=0
for c in $("$L" case list "${NC[@]}" --json |
	json '" ".join(e["number"] for e in d)'); do
	n=$("$L" case export "${NC[@]}" "$c" --as a@tpe.centers.example |
		json 'len(d["letters"])' 2>/dev/null) || n=0
	[[ $n -ge 1 ]] || unread=$((unread + 1))
done
tap_is "every case's letter reads (sealed, with the same data key)" \
	"$unread" 0
"$L" run "${NC[@]}" >"$T/rerun.out" 2>&1 && rc=0 || rc=$?
tap_like "a run on the restored state directory goes on" "$rc" '^[01]$'
tap_is "... and files every letter once" \
	"$("$L" case list "${NC[@]}" --json | json 'len(d)')" "$N"

# A backup of a run stopped half-way (letters in the spool, not filed).
conf s "$T/half" "$T/hsecrets" "$T/mb2"
mkdir -p "$T/hsecrets"
"$L" run -c "$T/s.conf" --stop-after=2 >/dev/null 2>&1 || true
"$L" backup -c "$T/s.conf" "$T/hbk" >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "a backup of a stopped run" "$rc" 0
rm -rf "$T/half"
"$L" restore -c "$T/s.conf" "$T/hbk" >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "... restored with its keys (left in place)" "$rc" 0
"$L" run -c "$T/s.conf" >/dev/null 2>&1 || true
tap_is "... a run then files every letter" \
	"$("$L" case list -c "$T/s.conf" --json | json 'len(d)')" "$N"

# Misuse.
"$L" backup "${C[@]}" "$T/state/bk" >"$T/err" 2>&1 && rc=0 || rc=$?
tap_is "a backup inside the state directory: refused" "$rc" 64
tap_like "... saying why" "$(cat "$T/err")" "inside the state directory"
tap_ok "... nothing made there" test ! -e "$T/state/bk"
"$L" backup "${C[@]}" "$B" >"$T/err" 2>&1 && rc=0 || rc=$?
tap_is "a backup into a non-empty directory: refused" "$rc" 64
"$L" restore "${NC[@]}" "$B" >"$T/err" 2>&1 && rc=0 || rc=$?
tap_is "a restore over a state directory in use: refused" "$rc" 78
tap_like "... saying why" "$(cat "$T/err")" "never over one in use"
mkdir -p "$T/other/secrets"
cp -p "$T/secrets/token.key" "$T/other/secrets/"
head -c 32 /dev/urandom >"$T/other/secrets/data.key"
chmod 600 "$T/other/secrets/data.key"
conf o "$T/other/state" "$T/other/secrets"
"$L" restore -c "$T/o.conf" "$B" >"$T/err" 2>&1 && rc=0 || rc=$?
tap_is "a restore with another data key: refused" "$rc" 78
tap_like "... saying why" "$(cat "$T/err")" "is not the key of the backup"
tap_ok "... nothing made" test ! -e "$T/other/state/lamplight.db"
rm "$T/other/secrets/data.key"
"$L" restore -c "$T/o.conf" "$B" >"$T/err" 2>&1 && rc=0 || rc=$?
tap_is "a restore without the data key: refused" "$rc" 78
tap_like "... saying why" "$(cat "$T/err")" "useless without its keys"

tap_done
