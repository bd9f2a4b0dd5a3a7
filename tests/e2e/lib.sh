# shellcheck shell=bash
# tests/e2e/lib.sh: what the end-to-end tests share.  Expects LAMPLIGHT
# (the binary) and SOURCE_ROOT in the environment, as meson sets them.

: "${LAMPLIGHT:?LAMPLIGHT must name the lamplight binary}"
: "${SOURCE_ROOT:?SOURCE_ROOT must name the source tree}"

# shellcheck source=../harness/tap.sh
. "$SOURCE_ROOT/tests/harness/tap.sh"
# shellcheck source=../harness/servers.sh
. "$SOURCE_ROOT/tests/harness/servers.sh"

# write_config FILE STATE_DIR [CENTRE_BLOCK...]: a config using the
# harness's SMTP server (STARTTLS, verified against the per-run CA).
write_config() {
	local file=$1 state=$2
	shift 2
	{
		printf '[lamplight]\nstate_dir = %s\n' "$state"
		printf 'rules_dir = %s/rules\n' "$SOURCE_ROOT"
		printf 'templates_dir = %s/templates\n' "$SOURCE_ROOT"
		printf 'calendar = %s/data/calendar/tw-gov.cal\n' \
			"$SOURCE_ROOT"
		# The harness's exim names itself localhost in the
		# Authentication-Results it adds (servers.sh).
		printf 'trusted_authserv = localhost\n\n'
		printf '[smtp]\nurl = smtp://localhost:%s/lamplight.test\n' \
			"${HARNESS_SMTP:-1}"
		printf 'starttls = required\nca_file = %s\n\n' \
			"${HARNESS_CA:-/nonexistent}"
		local b
		for b in "$@"; do
			printf '%s\n\n' "$b"
		done
	} >"$file"
}

# centre CODE [LINE...]: a [centre] block for write_config: the code, the
# centre's official name, its mailbox address CODE@centers.moj-help.example
# in lower case, then each LINE.  More lines may follow in the caller's
# string.
centre() {
	local code=$1 name l
	shift
	case $code in
	TPE) name=臺北市政府毒品危害防制中心 ;;
	NWT) name=新北市政府毒品危害防制中心 ;;
	TXG) name=臺中市政府毒品危害防制中心 ;;
	TNN) name=臺南市政府毒品危害防制中心 ;;
	KHH) name=高雄市政府毒品危害防制中心 ;;
	*) name="$code centre" ;;
	esac
	printf '[centre %s]\nname = %s\naddress = %s@centers.moj-help.example' \
		"$code" "$name" "${code,,}"
	for l in "$@"; do
		printf '\n%s' "$l"
	done
}

# json EXPR: EXPR over the JSON document on standard input, as d.
json() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# outbox_where CONFIG PYEXPR: the ids of the outbox rows e (as `outbox
# list --json --reveal` gives them: writers' addresses are sealed at
# rest) for which PYEXPR holds, oldest first, one per line.
outbox_where() {
	"$LAMPLIGHT" outbox list -c "$1" --json --reveal |
		/usr/bin/python3 -c "import json,sys; [print(e['id']) for e in json.load(sys.stdin) if ($2)]"
}

# secret_file PATH VALUE: a password file only its owner may read.
secret_file() {
	(umask 077 && printf '%s\n' "$2" >"$1")
}

# smtpfault_start MODE_FILE SPOOL_DIR: an SMTP server misbehaving as
# MODE_FILE says (tests/harness/smtpfault.py) on a free loopback port,
# SMTPFAULT_PORT, until smtpfault_stop or the harness stops.
smtpfault_start() {
	mkdir -p "$2"
	SMTPFAULT_PORT=$(_harness_free_ports 1)
	/usr/bin/python3 "$SOURCE_ROOT/tests/harness/smtpfault.py" \
		"$SMTPFAULT_PORT" "$1" "$2" &
	SMTPFAULT_PID=$!
	trap 'smtpfault_stop; harness_stop' EXIT
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$SMTPFAULT_PORT") 2>/dev/null &&
			break
		sleep 0.1
	done
}
smtpfault_stop() {
	if [[ -n ${SMTPFAULT_PID:-} ]]; then
		kill "$SMTPFAULT_PID" 2>/dev/null || true
		wait "$SMTPFAULT_PID" 2>/dev/null || true
	fi
	SMTPFAULT_PID=
}

# maildir_letter MAILDIR ID: a letter from a writer (the corpus's
# direct-utf8.eml) in MAILDIR/new, with Message-ID <ID@example.org> and
# From ID@writers.example: one more for a run to file.
maildir_letter() {
	sed -e "s/^Message-ID: .*/Message-ID: <$2@example.org>/" \
		-e "s/^From: .*/From: $2@writers.example/" \
		"$SOURCE_ROOT/tests/corpus/direct-utf8.eml" \
		>"$1/new/17900000${2//[!0-9]/}.$2.x"
}

# sql DB QUERY: one query through the sqlite3 shell.
sql() {
	sqlite3 -batch -noheader "$1" "$2"
}
