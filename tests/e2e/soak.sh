#!/usr/bin/env bash
# A short soak (bench/soak): cron runs against the loopback servers with
# new mail every cycle and faults at random (SIGKILL mid-run, servers
# down or restarted, a full disk, a slow or silent server); then nothing
# lost, nothing filed or sent twice, nothing stuck.  The full run, 300
# cycles and more, is bench/soak's.
set -euo pipefail
. "$SOURCE_ROOT/tests/harness/tap.sh"

out=$(LAMPLIGHT=$LAMPLIGHT "$SOURCE_ROOT/bench/soak" "${SOAK_CYCLES:-25}" 11 2>&1) && rc=0 || rc=$?
line=$(grep '^cycles=' <<<"$out" || true)
tap_diag "$(grep -v '^cycles=' <<<"$out" | tail -4)"
tap_like "the soak ran to its end" "$line" '^cycles=[0-9]+ faults=[1-9][0-9]* '
for k in lost duplicated double_sent stuck; do
	tap_like "$k=0" "$line" " $k=0( |$)"
done
tap_is "bench/soak exits 0" "$rc" 0
tap_done
