#!/usr/bin/env bash
# Hostile input is bounded: a 10 MB line dense with rule hits, a
# line built to make patterns backtrack, and bytes that are not UTF-8 at
# all each yield a model, within the per-message time cap (the watchdog
# would stop classify with 70 otherwise).
set -euo pipefail
. "$SOURCE_ROOT/tests/harness/tap.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
/usr/bin/python3 - "$T" <<'PY'
import sys
d = sys.argv[1]
h = ("From: a@example.org\nTo: tpe@centers.moj-help.example\nSubject: x\n"
     "Content-Type: text/plain; charset=utf-8\n\n")
# 10 MB on one line, a rule hit every few characters.
open(d + "/dense.eml", "w").write(h + ("我想死" * 10 + "了嗎") * 105000 + "\n")
# Runs that patterns with .{0,n} and alternations try again and again.
open(d + "/bait.eml", "w").write(h + ("a" * 50 + "我" + "1" * 30 + "歲") * 20000 + "\n")
# 5 MB of bytes that no charset reads cleanly, under a UTF-8 label.
open(d + "/bytes.eml", "wb").write(h.encode() + bytes(range(128, 256)) * 40000 + b"\n")
PY
out=$("$LAMPLIGHT" classify --json --rules "$SOURCE_ROOT/rules" \
	"$T/dense.eml" "$T/bait.eml" "$T/bytes.eml" 2>"$T/err") && rc=0 || rc=$?
tap_is "classify finishes all three within the time cap" "$rc" 0
tap_is "three models" "$(grep -c '^{' <<<"$out")" 3
tap_like "the dense letter is still read (its first MiB)" \
	"$(head -1 <<<"$out")" '"urgency":"emergency"'
tap_like "undecodable bytes are counted, not dropped" \
	"$(tail -1 <<<"$out")" '"undecodable_bytes":[1-9][0-9]*'
tap_done
