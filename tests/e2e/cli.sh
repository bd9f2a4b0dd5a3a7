#!/usr/bin/env bash
# The command line: help, version, exit codes, config check messages,
# rules check messages, classify --json, and the run lock.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
L=$LAMPLIGHT

out=$("$L" --help) && rc=0 || rc=$?
tap_is "--help exits 0" "$rc" 0
for c in run ingest quarantine status classify config rules; do
	tap_like "--help lists $c" "$out" "  $c "
done
tap_is "help alone is --help" "$("$L" help)" "$out"
tap_like "--help names help COMMAND" "$out" "'lamplight help COMMAND'"
tap_like "--version" "$("$L" --version)" '^lamplight [0-9]+\.[0-9]+'

# Every command's help (issue 19.8), the commands as --help lists them:
# git's layout, its own options before the common ones, the same by
# --help, -h and help CMD, and no test-only option.
mapfile -t commands < <(sed -n '/^Commands:$/,/^$/s/^  \([a-z]*\) .*/\1/p' <<<"$out")
tap_ok "--help lists the commands (${#commands[@]})" test "${#commands[@]}" -ge 14
bad=
for c in "${commands[@]}"; do
	h=$("$L" "$c" --help 2>"$T/help.err") && rc=0 || rc=$?
	[[ $rc == 0 && -z $(cat "$T/help.err") ]] || bad+=" $c:exit-$rc"
	[[ $(head -1 <<<"$h") =~ ^usage:\ lamplight\ $c\ .*\[OPTION\.\.\.\] ]] ||
		bad+=" $c:usage"
	[[ $(sed -n 3p <<<"$h") =~ ^[a-z] ]] || bad+=" $c:summary"
	[[ $h == *"Common options:"*"-c, --config=FILE"*"-h, --help"* ]] ||
		bad+=" $c:common"
	[[ $h != *--stop-after* && $h != *"for crash tests"* ]] ||
		bad+=" $c:hidden"
	[[ $("$L" "$c" -h) == "$h" ]] || bad+=" $c:-h"
	[[ $("$L" help "$c") == "$h" ]] || bad+=" $c:help"
	# Each sub-command has its own help.
	for v in $(sed -n '/^Sub-commands:$/,/^$/s/^  \([a-z]*\).*/\1/p' <<<"$h"); do
		vh=$("$L" "$c" "$v" --help) || bad+=" $c-$v:exit"
		[[ $vh =~ ^usage:\ lamplight\ $c\ $v\ \[OPTION\.\.\.\] ]] ||
			bad+=" $c-$v:usage"
		[[ $("$L" help "$c" "$v") == "$vh" ]] || bad+=" $c-$v:help"
	done
done
tap_is "each command's help: usage line, summary, common options, no test option" "$bad" ""
h=$("$L" run --help)
tap_like "run --help: its options, then the common ones" "$h" \
	$'\nOptions:\n +--no-send .*--first-run.*\nCommon options:\n +-c, --config=FILE'
tap_unlike "... but not the crash tests' --stop-after" "$h" 'stop-after'
tap_like "case --help lists its sub-commands" "$("$L" case --help)" \
	$'\nSub-commands:\n  list  .*\n  show CASE  .*\n  export CASE .*\n  note CASE TEXT .*\n  set CASE STATE '
h=$("$L" case set --help)
tap_like "case set --help: its usage and its options" "$h" \
	'^usage: lamplight case set \[OPTION...\] CASE STATE'$'\n'
tap_unlike "... not list's" "$h" '--overdue'
"$L" run --stop-after 0 -c "$T/no-such.conf" >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "--stop-after, hidden, still parses (then no config: 78)" "$rc" 78
"$L" run --stop-after x >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "... as a number (64)" "$rc" 64

# Usage errors: what is wrong, the usage, where the help is; exit 64,
# nothing on stdout.
usage_error() {
	local desc=$1 want=$2 out err rc
	shift 2
	out=$("$L" "$@" 2>"$T/usage.err") && rc=0 || rc=$?
	err=$(cat "$T/usage.err")
	tap_is "$desc: exit 64, nothing on stdout" "$rc $out" "64 "
	tap_is "$desc: says so" "$err" "$want"
}
usage_error "an unknown option" "lamplight run: unknown option '--no-such-option'
usage: lamplight run [OPTION...]
see 'lamplight run --help'" run --no-such-option
usage_error "a mistyped option" "lamplight run: unknown option '--no-sned'. Did you mean '--no-send'?
usage: lamplight run [OPTION...]
see 'lamplight run --help'" run --no-sned
err=$("$L" run --only 2>&1 >/dev/null) && rc=0 || rc=$?
tap_like "a missing option argument: 64, named" "$rc $err" \
	$'^64 lamplight run: [^\n]*--only\nusage: lamplight run \\[OPTION...\\]\nsee '
usage_error "a missing argument" "lamplight case: show needs CASE
usage: lamplight case show [OPTION...] CASE
see 'lamplight case show --help'" case show
usage_error "a command's missing argument" "lamplight backup: missing DIR
usage: lamplight backup [OPTION...] DIR
see 'lamplight backup --help'" backup
usage_error "an argument too many" "lamplight run: unexpected argument 'now'
usage: lamplight run [OPTION...]
see 'lamplight run --help'" run now
usage_error "no sub-command" "lamplight rules: which one? (the sub-commands: check test)
usage: lamplight rules check|test [OPTION...]
see 'lamplight rules --help'" rules

# Did you mean: a slip is named with what was likely meant; a word far
# from any is not, and the valid ones are listed.
usage_error "a mistyped command" "lamplight: 'stauts' is not a command. Did you mean 'status'?
usage: lamplight COMMAND [OPTION...] [ARG...]
see 'lamplight --help'" stauts
usage_error "help of a mistyped command" "lamplight: 'reprot' is not a command. Did you mean 'report'?
usage: lamplight COMMAND [OPTION...] [ARG...]
see 'lamplight --help'" help reprot
err=$("$L" frobnicate 2>&1 >/dev/null) && rc=0 || rc=$?
tap_like "an unknown command: 64, the commands listed" "$rc $err" \
	"^64 lamplight: 'frobnicate' is not a command \(the commands: init run ingest "
tap_unlike "... and no wild guess" "$err" 'Did you mean'
usage_error "a mistyped sub-command" "lamplight case: 'lsit' is not a sub-command. Did you mean 'list'?
usage: lamplight case list|show|export|note|set [OPTION...] [ARG...]
see 'lamplight case --help'" case lsit
usage_error "an unknown sub-command" "lamplight outbox: 'frobnicate' is not a sub-command (the sub-commands: list show retry cancel)
usage: lamplight outbox list|show|retry|cancel [OPTION...] [ARG...]
see 'lamplight outbox --help'" outbox frobnicate

# config check: the bundled configs, then a broken one.
# The bundled config beside what scripts/demo makes for it (its CA and
# Maildirs), the tree's rules and templates.
B=$T/bundled
mkdir -p "$B/demo-run/mailboxes"
cp "$SOURCE_ROOT/lamplight.conf" "$B/"
ln -s "$SOURCE_ROOT/rules" "$SOURCE_ROOT/templates" "$SOURCE_ROOT/data" "$B/"
cp -a "$SOURCE_ROOT/maildir/." "$B/demo-run/mailboxes/"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=demo \
	-keyout "$B/demo-run/ca.key" -out "$B/demo-run/ca.pem" >/dev/null 2>&1
tap_like "the bundled config checks clean" \
	"$(cd "$B" && "$L" config check)" \
	'^lamplight.conf: ok: 22 centres'
# ack_discreet (lamplight.conf(5)) is taken; bad values are named at
# their line.
sed '/^\[centre TPE\]/a ack_discreet = yes\nack_sender_name = 市府服務信箱' \
	"$B/lamplight.conf" >"$B/discreet.conf"
tap_like "a centre with ack_discreet checks clean" \
	"$(cd "$B" && "$L" config check -c discreet.conf)" \
	'^discreet.conf: ok: 22 centres'
write_config "$T/ack.conf" "$T/state" \
"$(centre TPE 'ack_discreet = maybe')" \
"$(centre NWT 'ack_discreet = yes' 'ack_subject = 戒毒諮詢回覆')" \
"$(centre TXG 'ack_sender_name = 服務通知')"
err=$("$L" config check -c "$T/ack.conf" 2>&1 >/dev/null) && rc=0 || rc=$?
tap_is "a bad ack_discreet exits 78" "$rc" 78
tap_like "ack_discreet is yes or no, at its line" "$err" \
	"ack.conf:16: ack_discreet must be yes or no"
tap_like "a discreet subject that speaks of drugs is refused" "$err" \
	"ack.conf:22: ack_subject must not speak of drugs"
tap_like "a discreet name without ack_discreet is refused" "$err" \
	"ack.conf:27: ack_sender_name needs ack_discreet = yes"
rm -r "$B/demo-run/mailboxes/khh"
"$L" config check -c "$B/lamplight.conf" >/dev/null 2>"$T/cc.err" && rc=0 ||
	rc=$?
tap_like "a Maildir that is not there: 78, naming it" "$rc $(cat "$T/cc.err")" \
	'^78 Maildir .*demo-run/mailboxes/khh/new: No such file'
write_config "$T/bad.conf" "$T/state" \
"$(centre TPE)
mailbox = imap://tpe@localhost/INBOX
password = hunter2" \
"[centre QQQ]
name = x"
err=$("$L" config check -c "$T/bad.conf" 2>&1 >/dev/null) && rc=0 || rc=$?
tap_is "a broken config exits 78" "$rc" 78
tap_like "a secret in the text is reported at its line" "$err" \
	"bad.conf:17: secret 'password' in the config text"
tap_like "a network mailbox without password_file is reported" "$err" \
	"bad.conf:16: a network mailbox needs password_file"
tap_like "an unknown county is reported at its group" "$err" \
	"bad.conf:19: unknown county code 'QQQ'"
write_config "$T/keys.conf" "$T/state" \
"$(centre TPE 'dutty = duty@centers.moj-help.example' 'colour = red')"
err=$("$L" config check -c "$T/keys.conf" 2>&1 >/dev/null) && rc=0 || rc=$?
tap_is "a mistyped key exits 78" "$rc" 78
tap_like "a mistyped key: at its line, with the one meant" "$err" \
	"(^|"$'\n'")$T/keys.conf:16: unknown key 'dutty' in \[centre TPE\]: did you mean 'duty'\?"$'\n'
tap_like "a key far from any: the keys listed" "$err" \
	"$T/keys.conf:17: unknown key 'colour' in \[centre TPE\] \(the keys: name address mailbox "
tap_unlike "... and no wild guess" "$(grep colour <<<"$err")" 'did you mean'
tap_ok "the secret itself is never printed" \
	bash -c "! grep -q hunter2 <<<'$err'"

# rules: a broken rule names file, line and column.
mkdir -p "$T/rules"
printf 'rule ok\n\tpattern 就業\n\tneed employment\n\nrule broken\n\tpattern 燒炭|(跳樓\n\turgency emergency\n' \
	>"$T/rules/urgency.rules"
err=$("$L" rules check --rules "$T/rules" 2>&1) && rc=0 || rc=$?
tap_is "a broken rule fails the check" "$rc" 78
tap_like "and says where" "$err" 'urgency.rules:6:13: missing '"'"'\)'"'"
tap_like "the shipped rules pass their examples" \
	"$("$L" rules test --rules "$SOURCE_ROOT/rules")" \
	'^[0-9]+ rules, [0-9]+ examples: [0-9]+ passed, 0 failed$'

# classify --json: one valid object per file, with the corpus's fields.
json=$(cd "$SOURCE_ROOT" && "$L" classify --json tests/corpus/form-v2-emergency.eml \
	tests/corpus/bounce-dsn.eml)
tap_is "one line per file" "$(wc -l <<<"$json")" 2
tap_ok "each line is JSON with the label fields" /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    for k in ("file", "kind", "county", "urgency", "needs", "case_ref", "reasons"):
        assert k in o, k
' <<<"$json"
tap_like "the emergency shows its reasons" "$(head -1 <<<"$json")" \
	'"urgency":"emergency".*"reasons":\[.*"risk":"[a-z]+","level":"acute"'
tap_like "a bounce has no urgency" "$(tail -1 <<<"$json")" \
	'"kind":"bounce".*"urgency":null'
"$L" classify --rules "$SOURCE_ROOT/rules" "$SOURCE_ROOT/tests/corpus/broken/garbage.eml" \
	>/dev/null 2>&1 && rc=0 || rc=$?
tap_is "classify of a non-message is a data error" "$rc" 65
# A letter on a pipe ("classify /dev/stdin") can be read only once: it is
# classified as it is from its file, not found empty.
from_file=$("$L" classify --json --rules "$SOURCE_ROOT/rules" \
	"$SOURCE_ROOT/tests/corpus/form-v2-emergency.eml" | sed 's/"file":"[^"]*"//')
from_pipe=$(cat "$SOURCE_ROOT/tests/corpus/form-v2-emergency.eml" |
	"$L" classify --json --rules "$SOURCE_ROOT/rules" /dev/stdin |
	sed 's/"file":"[^"]*"//')
tap_like "a letter on a pipe is read" "$from_pipe" '"urgency":"emergency"'
tap_is "as it is from its file" "$from_pipe" "$from_file"
# A letter longer than its first read is read again, whole: the
# attachment after 40 KiB of text is seen, beside a short letter.
{
	printf 'From: a@example.org\nTo: tpe@centers.moj-help.example\n'
	printf 'Subject: long\nMessage-ID: <long@example.org>\n'
	printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n'
	printf -- '--b\nContent-Type: text/plain; charset=utf-8\n\n'
	for i in $(seq 2000); do printf '%s\n' 'line of a long letter'; done
	printf -- '--b\nContent-Type: text/plain; name=at-the-end.txt\n'
	printf 'Content-Disposition: attachment; filename=at-the-end.txt\n\nx\n--b--\n'
} >"$T/long.eml"
json=$("$L" classify --json --rules "$SOURCE_ROOT/rules" "$T/long.eml" \
	"$SOURCE_ROOT/tests/corpus/form-v2-emergency.eml")
tap_like "a long letter is read to its end" "$(head -1 <<<"$json")" \
	'"attachments":\[\{"name":"at-the-end.txt"'
tap_like "and the short one beside it" "$(tail -1 <<<"$json")" \
	'"urgency":"emergency"'

# Many files over worker processes: a bad one among them is reported and
# the others still come out, in order.
files=()
for i in $(seq 1 40); do
	files+=("$SOURCE_ROOT/tests/corpus/dev/$(printf '%04d' "$i").eml")
done
files[17]=$SOURCE_ROOT/tests/corpus/broken/garbage.eml
files[30]=$T/no-such-file.eml
"$L" classify --json --jobs 3 --rules "$SOURCE_ROOT/rules" "${files[@]}" \
	>"$T/many.jsonl" 2>"$T/many.err" && rc=0 || rc=$?
tap_is "workers: a bad file among many is a data error" "$rc" 65
tap_is "workers: every other file has its model" \
	"$(wc -l <"$T/many.jsonl")" 38
tap_is "workers: in the order given" \
	"$(grep -o '"file":"[^"]*"' "$T/many.jsonl" | sed -n '17p;18p;29p;30p' |
		sed 's/.*dev.//' | tr -d '"\n')" "0017.eml0019.eml0030.eml0032.eml"
tap_like "workers: the bad ones are named" "$(cat "$T/many.err")" \
	'garbage.eml.*no-such-file|no-such-file.*garbage.eml'

# The lock: a second run while one holds it exits 3 at once.
write_config "$T/lock.conf" "$T/lockstate" \
"$(centre TPE)"
mkdir -m 700 -p "$T/lockstate"
/usr/bin/python3 -c '
import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(30)
' "$T/lockstate/lock" >"$T/holder.out" &
holder=$!
for _ in $(seq 50); do grep -q locked "$T/holder.out" 2>/dev/null && break; sleep 0.1; done
"$L" run -c "$T/lock.conf" >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "a run while another holds the lock exits 3" "$rc" 3
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true
"$L" run -c "$T/lock.conf" >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "once the lock is free the run goes ahead" "$rc" 0
tap_is "... and, nothing having happened, says nothing" \
	"$("$L" run -c "$T/lock.conf" 2>&1)" ""

# Under systemd, stderr is the journal: each line says its level.
mkdir -p "$T/jmb/new" "$T/jmb/cur" "$T/jmb/tmp"
cp "$SOURCE_ROOT/tests/corpus/broken/garbage.eml" "$T/jmb/new/1.bad"
sed "s|^\[centre TPE\]|&\nmailbox = maildir:$T/jmb|" "$T/lock.conf" >"$T/j.conf"
: >"$T/journal"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/journal") \
	"$L" run -c "$T/j.conf" >/dev/null 2>>"$T/journal" || true
tap_like "with JOURNAL_STREAM, log lines carry their syslog level" \
	"$(cat "$T/journal")" '^<4>warning: quarantined '
cp "$SOURCE_ROOT/tests/corpus/broken/garbage.eml" "$T/jmb/new/2.bad"
sed "s|^state_dir = .*|state_dir = $T/plainstate|" "$T/j.conf" >"$T/p.conf"
"$L" run -c "$T/p.conf" >/dev/null 2>"$T/plain" || true
tap_like "... and without it they do not" "$(cat "$T/plain")" \
	'^lamplight: warning: quarantined '
sed -i "s|^state_dir = .*|state_dir = $T/barstate|" "$T/j.conf"

# --progress draws a bar on a terminal, and nothing when not one.
for i in 1 2 3; do
	sed "s/^Message-ID: .*/Message-ID: <p$i@example.org>/" \
		"$SOURCE_ROOT/tests/corpus/direct-utf8.eml" >"$T/jmb/new/p$i.eml"
done
bar=$(script -qfec "'$L' run -c '$T/j.conf' --progress" /dev/null | tr '\r' '\n')
tap_like "--progress on a terminal: a bar" "$bar" \
	'filed 3/3 \[#+\] 100%  mailboxes 1/1'
tap_is "--progress into a pipe: only the summary" \
	"$("$L" run -c "$T/j.conf" --progress 2>&1 | grep -c 'filed [0-9]*/' || true)" 0
# Private whatever the umask (issue 17): a state directory made 0755
# beforehand is refused, naming the fix; made private, the run's
# database is 0600 under cron's umask 022 (its -wal too: test_store).
write_config "$T/open.conf" "$T/openstate" "$(centre TPE)"
(umask 022 && mkdir -p "$T/openstate")
"$L" run -c "$T/open.conf" >/dev/null 2>"$T/open.err" && rc=0 || rc=$?
tap_like "a state directory others can read: refused, with the fix" \
	"$rc $(cat "$T/open.err")" "^78 .*can be read by others.*chmod 700 '$T/openstate'"
chmod 700 "$T/openstate"
(umask 022 && "$L" run -c "$T/open.conf" >/dev/null 2>&1) && rc=0 || rc=$?
tap_is "... made private, the run goes; its database is 0600" \
	"$rc $(stat -c %a "$T/openstate/lamplight.db")" "0 600"
chmod 644 "$T/openstate/lamplight.db"
"$L" status -c "$T/open.conf" >/dev/null 2>"$T/open2.err" && rc=0 || rc=$?
tap_like "a database others can read: refused, with the fix" \
	"$rc $(cat "$T/open2.err")" "^78 .*chmod 600 '$T/openstate/lamplight.db'"

# A database has an identity (issue 17.3): emptied, it is not started
# over (case numbers would repeat, old tokens verify); a key lost is not
# made anew.  Each stops with 78, saying what was found.
chmod 600 "$T/openstate/lamplight.db"
s=$T/openstate
tap_like "the state directory records its database" \
	"$(cat "$s/database-id")" '^[0-9a-f]{32}$'
: >"$s/lamplight.db"
rm -f "$s/lamplight.db-wal" "$s/lamplight.db-shm"
"$L" run -c "$T/open.conf" >/dev/null 2>"$T/id.err" && rc=0 || rc=$?
tap_like "an emptied database stops the run with 78" \
	"$rc $(cat "$T/id.err")" \
	"^78 .*lamplight.db is empty, but .* held database $(cat "$s/database-id"): restore it"
tap_is "... and nothing is made in its place" \
	"$(stat -c %s "$s/lamplight.db")" 0
"$L" status -c "$T/open.conf" >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "status says so too (78)" "$rc" 78
write_config "$T/key.conf" "$T/keystate" "$(centre TPE)"
"$L" status -c "$T/key.conf" >/dev/null 2>"$T/key0.err" && rc=0 || rc=$?
tap_like "a command before any run: there is no database yet (78)" \
	"$rc $(cat "$T/key0.err")" '^78 .*holds no database yet: `lamplight init`'
tap_like "init makes the state directory" \
	"$("$L" init -c "$T/key.conf")" 'keystate made: database [0-9a-f]{32}'
tap_like "... and a second init only checks it" \
	"$("$L" init -c "$T/key.conf")" 'keystate was made already: database'
rm "$T/keystate/token.key"
"$L" run -c "$T/key.conf" >/dev/null 2>"$T/key.err" && rc=0 || rc=$?
tap_like "a missing key stops the run with 78" "$rc $(cat "$T/key.err")" \
	'^78 .*token key .*token.key is missing; database [0-9a-f]{32} was made with key [0-9a-f]{16}'
tap_ok "... and is not made anew" test ! -e "$T/keystate/token.key"

tap_done
