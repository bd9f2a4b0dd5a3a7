#!/usr/bin/env bash
# Quality floors on a copy of the labelled development corpus
# (tests/corpus/dev, from the shared corpus; scored by the shared
# score-labels tool, copied to tests/tools).  The floors are those of
# issues 4 and 5.
set -euo pipefail
. "$SOURCE_ROOT/tests/harness/tap.sh"

D=$SOURCE_ROOT/tests/corpus/dev
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$LAMPLIGHT" classify --json --rules "$SOURCE_ROOT/rules" "$D"/*.eml \
	>"$T/pred.jsonl" 2>"$T/err" || true
tap_is "every message yields a model" "$(wc -l <"$T/pred.jsonl")" \
	"$(ls "$D"/*.eml | wc -l)"
score=$(/usr/bin/python3 "$SOURCE_ROOT/tests/tools/score-labels" \
	"$D/labels.jsonl" "$T/pred.jsonl" | tail -1)
tap_diag "$score"

# at_least NAME FLOOR
at_least() {
	local v
	v=$(grep -o "$1=[0-9.]*" <<<"$score" | cut -d= -f2)
	tap_ok "$1 = ${v:-none} >= $2" /usr/bin/python3 -c \
		"import sys; sys.exit(0 if float('${v:-0}') >= $2 else 1)"
}
at_least kind 0.95
at_least county 0.98
at_least identity_fields 0.95
at_least writer 0.90
at_least case_ref 0.95
at_least urgency 0.90
at_least emergency_recall 1.0
at_least emergency_precision 0.90
at_least needs_f1 0.85

# Speed-ups change nothing: one process or several, with or without the
# rules' prefilter, the models are the same, in the same order.
"$LAMPLIGHT" classify --json --jobs 1 --rules "$SOURCE_ROOT/rules" \
	"$D"/*.eml >"$T/one.jsonl" 2>/dev/null || true
"$LAMPLIGHT" classify --json --jobs 3 --rules "$SOURCE_ROOT/rules" \
	"$D"/*.eml >"$T/three.jsonl" 2>/dev/null || true
LAMPLIGHT_PREFILTER=off "$LAMPLIGHT" classify --json --jobs 1 \
	--rules "$SOURCE_ROOT/rules" "$D"/*.eml >"$T/off.jsonl" 2>/dev/null ||
	true
tap_ok "one process gives every model" test "$(wc -l <"$T/one.jsonl")" \
	-eq "$(ls "$D"/*.eml | wc -l)"
tap_ok "three processes: the same models in the same order" \
	cmp "$T/one.jsonl" "$T/three.jsonl"
tap_ok "without the prefilter: the same models" \
	cmp "$T/one.jsonl" "$T/off.jsonl"
tap_done
