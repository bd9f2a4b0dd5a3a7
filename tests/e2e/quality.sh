#!/usr/bin/env bash
# Quality floors on copies of the three labelled corpora (tests/corpus/
# dev, dev-2, dev-3, from the shared corpus; scored by the shared
# score-labels tool, copied to tests/tools), and the same answer for the
# same letter however it is read: alone or after others, in any order,
# in one process or several, with the rules' prefilter or without.
set -euo pipefail
. "$SOURCE_ROOT/tests/harness/tap.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# classify_set NAME [ARGS...]: models of tests/corpus/NAME in $T/NAME.jsonl
classify_set() {
	local d=$SOURCE_ROOT/tests/corpus/$1
	shift
	(cd "$d" && "$LAMPLIGHT" classify --json --rules "$SOURCE_ROOT/rules" \
		"$@" ./*.eml) 2>"$T/err" || true
}

# at_least SCORE NAME FLOOR
at_least() {
	local v
	v=$(grep -o "$2=[0-9.]*" <<<"$1" | cut -d= -f2)
	tap_ok "$3: $2 = ${v:-none} >= $4" /usr/bin/python3 -c \
		"import sys; sys.exit(0 if float('${v:-0}') >= $4 else 1)"
}

# Issue 14's floors.  dev-2 was held out until its misses were read at
# the end of the work; its floors are what the rules reached then, never
# lowered.  Its two letters delivered twice (the same Message-ID and
# body) are labelled "other": classify shows them as copies, as a run
# files them once.
floors() {
	case $1 in
	dev-2) echo "kind 0.97 county 0.99 case_ref 1.0 urgency 0.97 \
writer 0.98 identity_fields 0.97 emergency_recall 1.0 \
emergency_precision 0.95 needs_f1 0.89" ;;
	*) echo "kind 0.97 county 0.97 case_ref 0.97 urgency 0.92 \
writer 0.92 identity_fields 0.97 emergency_recall 1.0 \
emergency_precision 0.95 needs_f1 0.88" ;;
	esac
}

for set in dev dev-3 dev-2; do
	D=$SOURCE_ROOT/tests/corpus/$set
	classify_set "$set" >"$T/$set.jsonl"
	tap_is "$set: every message yields a model" \
		"$(wc -l <"$T/$set.jsonl")" "$(ls "$D"/*.eml | wc -l)"
	score=$(/usr/bin/python3 "$SOURCE_ROOT/tests/tools/score-labels" \
		"$D/labels.jsonl" "$T/$set.jsonl" | tail -1)
	tap_diag "$set: $score"
	set -- $(floors "$set")
	while (($# >= 2)); do
		at_least "$score" "$1" "$set" "$2"
		shift 2
	done
done

# The same letter, the same answer.  All three sets at once, in file
# order and reversed, in one process and in three, with the prefilter
# and without; and each letter alone in a process of its own, where the
# first letter a process reads once lost a rule to the prefilter.
(cd "$SOURCE_ROOT/tests/corpus" && ls dev/*.eml dev-2/*.eml dev-3/*.eml) \
	>"$T/files"
tac "$T/files" >"$T/reversed"
run() {	# run NAME FILES [ARGS...]: one model per line, sorted by file
	local name=$1 files=$2
	shift 2
	(cd "$SOURCE_ROOT/tests/corpus" && "$LAMPLIGHT" classify --json \
		--rules "$SOURCE_ROOT/rules" --files-from "$files" "$@") \
		2>/dev/null | sort >"$T/$name.jsonl" || true
}
run one "$T/files" --jobs 1
run three "$T/files" --jobs 3
run reversed "$T/reversed" --jobs 2
LAMPLIGHT_PREFILTER=off run off "$T/files" --jobs 1
LAMPLIGHT_PREFILTER=off run off-reversed "$T/reversed" --jobs 3
tap_is "one process gives every model" "$(wc -l <"$T/one.jsonl")" \
	"$(wc -l <"$T/files")"
for v in three reversed off off-reversed; do
	tap_ok "the same models: $v" cmp "$T/one.jsonl" "$T/$v.jsonl"
done
: >"$T/alone.jsonl"
# Every 20th letter; not a copy, which alone has no original before it.
awk 'NR % 20 == 1' "$T/files" |
	grep -v -x -F -f <(grep '"duplicate_of"' "$T/one.jsonl" |
		sed 's/^{"file":"\([^"]*\)".*/\1/') >"$T/sample" || true
while read -r f; do
	(cd "$SOURCE_ROOT/tests/corpus" && "$LAMPLIGHT" classify --json \
		--rules "$SOURCE_ROOT/rules" --jobs 1 "$f") \
		>>"$T/alone.jsonl" 2>/dev/null || true
done <"$T/sample"
tap_ok "each letter alone in its process: the same models" \
	cmp <(sort "$T/alone.jsonl") \
	<(grep -F -f <(sed 's/.*/"file":"&"/' "$T/sample") "$T/one.jsonl")
# A letter delivered twice is a copy of the one delivered first, read
# in either order; alone it is a letter like any other.
for v in one reversed off-reversed; do
	tap_ok "$v: dev-2/0096.eml is a copy of dev-2/0026.eml" grep -q \
		'"file":"dev-2/0096.eml".*"duplicate_of":"dev-2/0026.eml"' \
		"$T/$v.jsonl"
done
tap_ok "the first delivery is no copy" \
	bash -c "! grep -q '\"file\":\"dev-2/0026.eml\".*duplicate_of' '$T/reversed.jsonl'"
tap_ok "a copy read alone is a letter" bash -c \
	"cd '$SOURCE_ROOT/tests/corpus' && '$LAMPLIGHT' classify --json --rules '$SOURCE_ROOT/rules' dev-2/0096.eml | grep -q '\"kind\":\"help_request\"'"
# The bundled demo's letters read as maildir/README.md says: one
# emergency (the charcoal tonight), not the sister asking a halfway house
# for December ("家裡沒有地方讓他住", "打我的手機": not tonight, not a blow).
tap_is "the demo letters: kinds and urgencies as maildir/README.md says" \
	"$(cd "$SOURCE_ROOT/maildir" && "$LAMPLIGHT" classify --json \
		--rules "$SOURCE_ROOT/rules" */new/* 2>/dev/null |
		python3 -c 'import json, sys
for n, m in sorted((json.loads(l)["file"].split(".")[1], json.loads(l))
		  for l in sys.stdin):
	print(n, m["kind"], m.get("urgency"))' | tr '\n' ' ')" \
	"demo0001 help_request application demo0002 help_request emergency demo0003 help_request consultation demo0004 help_request application demo0005 help_request consultation demo0006 help_request application demo0007 auto_reply None demo0008 bounce None "
tap_done
