# shellcheck shell=bash
# tests/harness/tap.sh: a tiny TAP producer for bash tests.
#
# Source it (no side effects; safe under "set -euo pipefail"), then:
#   tap_plan N                 optional: print "1..N" first
#   tap_ok DESC CMD [ARGS...]  ok if CMD succeeds (runs in this shell,
#                              its output is shown only on failure)
#   tap_is DESC GOT EXPECTED   ok if the strings are equal
#   tap_like DESC GOT REGEX    ok if GOT matches the bash ERE REGEX
#   tap_unlike DESC GOT REGEX  ok if it does not
#   tap_pass DESC / tap_fail DESC [DIAG...]
#   tap_skip DESC REASON       an "ok ... # SKIP" line
#   tap_diag MSG...            a "# MSG" line
#   tap_last_ok                succeed if the last test passed
#   tap_done                   print "1..N" if no plan was given, then
#                              exit 1 if a test failed or the count is
#                              wrong, else 0
# The test functions always return 0, so a failing test does not end a
# "set -e" script; use tap_last_ok to branch on a result.  All output,
# diagnostics included, goes to stdout.

_tap_n=0	# tests run
_tap_failed=0	# tests failed
_tap_planned=""	# N from tap_plan
_tap_last=0	# 0 if the last test passed

# Print the plan line.
tap_plan() {
	_tap_planned=$1
	echo "1..$1"
}

# Print each argument line as a "# " diagnostic.
tap_diag() {
	local a l
	for a in "$@"; do
		while IFS= read -r l; do
			echo "# $l"
		done <<<"$a"
	done
}

# Record a passing test.
tap_pass() {
	_tap_n=$((_tap_n + 1))
	_tap_last=0
	echo "ok $_tap_n - $1"
}

# Record a failing test; further arguments are diagnostics.
tap_fail() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	_tap_last=1
	echo "not ok $_tap_n - $1"
	shift
	(($# == 0)) || tap_diag "$@"
	return 0
}

# Record a skipped test.
tap_skip() {
	_tap_n=$((_tap_n + 1))
	_tap_last=0
	echo "ok $_tap_n - $1 # SKIP ${2:-}"
}

# Succeed if the last test passed (or was skipped).
tap_last_ok() {
	return "$_tap_last"
}

# Run "$@" in the current shell (so it may set variables); ok if its
# exit status is 0.  Its output is shown as diagnostics on failure.
tap_ok() {
	local desc=$1 out rc=0
	shift
	out=$(mktemp "${TMPDIR:-/tmp}/tap.XXXXXX") || {
		tap_fail "$desc" "mktemp failed"
		return 0
	}
	"$@" >"$out" 2>&1 || rc=$?
	if ((rc == 0)); then
		tap_pass "$desc"
	elif [[ -s $out ]]; then
		tap_fail "$desc" "command: $*" "exit status: $rc" \
			"output:" "$(sed 's/^/  /' "$out")"
	else
		tap_fail "$desc" "command: $*" "exit status: $rc"
	fi
	rm -f "$out"
	return 0
}

# Print $1 quoted; with $'...' escapes if it has control characters.
_tap_quote() {
	if [[ $1 == *[[:cntrl:]]* && $1 != *$'\n'* ]]; then
		printf '%q' "$1"
	else
		printf "'%s'" "$1"
	fi
}

# ok if $2 equals $3.
tap_is() {
	if [[ $2 == "$3" ]]; then
		tap_pass "$1"
	else
		tap_fail "$1" "     got: $(_tap_quote "$2")" \
			"expected: $(_tap_quote "$3")"
	fi
}

# ok if $2 matches the bash extended regular expression $3.
tap_like() {
	if [[ $2 =~ $3 ]]; then
		tap_pass "$1"
	else
		tap_fail "$1" "     got: $(_tap_quote "$2")" \
			"expected to match: /$3/"
	fi
}

# ok if $2 does not match the bash extended regular expression $3.
tap_unlike() {
	if [[ $2 =~ $3 ]]; then
		tap_fail "$1" "     got: $(_tap_quote "$2")" \
			"matched: /$3/ at $(_tap_quote "${BASH_REMATCH[0]}")"
	else
		tap_pass "$1"
	fi
}

# Finish: print the plan if needed and exit with the overall result.
tap_done() {
	[[ -n $_tap_planned ]] || echo "1..$_tap_n"
	if [[ -n $_tap_planned && $_tap_planned != "$_tap_n" ]]; then
		echo "# planned $_tap_planned tests but ran $_tap_n"
		exit 1
	fi
	if ((_tap_failed > 0)); then
		echo "# failed $_tap_failed of $_tap_n tests"
		exit 1
	fi
	exit 0
}
