# shellcheck shell=bash
# tests/harness/servers.sh: private mail servers on 127.0.0.1 for tests.
#
# Source this file from a bash test script; sourcing has no side effects
# and is safe under "set -euo pipefail".
#
#   harness_start [imap] [smtp]   start Dovecot and/or exim4 (default: both)
#   harness_stop                  stop the servers, remove $HARNESS_DIR
#   harness_save USER FILE        store FILE in USER's INBOX (doveadm save)
#   harness_down, harness_up      stop the servers, start them again on
#                                 the same ports (restarts, outages)
#   harness_delivered_count       files in $HARNESS_DELIVERED/new
#   harness_wait_delivered N [S]  wait up to S s (default 10) for N of them
#
# harness_start exports:
#   HARNESS_DIR            per-run directory (mode 0755)
#   HARNESS_CA             PEM of the per-run CA that signed the server cert
#                          (CN=localhost, SAN DNS:localhost, IP:127.0.0.1)
#   HARNESS_IMAP HARNESS_IMAPS HARNESS_POP3 HARNESS_POP3S     (imap)
#   HARNESS_DOVECOT_CONF   Dovecot config, for doveadm -c     (imap)
#   HARNESS_SMTP HARNESS_SMTPS                                (smtp)
#   HARNESS_DELIVERED      Maildir that exim delivers every message to (smtp)
#   HARNESS_SMTP_PASSWD    lsearch file of "user: password" lines that
#                          exim's AUTH PLAIN and LOGIN accept (smtp); a
#                          client that logs in gets an Authentication-
#                          Results header naming it, under authserv-id
#                          "localhost", and any such header sent by a
#                          client is removed (smtp); with
#                          HARNESS_AUTHRESULTS=1 exim writes that header
#                          itself (${authresults{localhost}}: the login
#                          and its DKIM verdicts, tags as the sender wrote
#                          them)
# Ports are numbers; every server listens on 127.0.0.1 only.  Connect to
# 127.0.0.1 and verify TLS against the name "localhost".
#
# Input: HARNESS_USERS, space-separated user:password pairs
# (default "tpe:secret-tpe nwt:secret-nwt").  HARNESS_KEEP=1 keeps
# $HARNESS_DIR (logs, mail) after stopping.  HARNESS_PORTS (optional,
# for the demo) fixes the six ports, in the order IMAP IMAPS POP3 POP3S
# SMTP SMTPS, instead of free ones; tests must not set it, as parallel
# runs would clash.
#
# harness_start installs "trap harness_stop EXIT" (bash runs the EXIT
# trap also when the script dies from SIGTERM or SIGINT).  A script that
# sets its own EXIT trap afterwards must call harness_stop from it.  The
# servers also get SIGTERM if the shell that started them dies (setpriv
# --pdeathsig), so even a SIGKILLed test leaves no daemon behind.
# Call harness_start in the main shell, not in $(...) or a pipeline: it
# exports variables and the servers must stay children of that shell.
#
# Notes: starting both takes ~0.1 s.  On a failed start the server logs
# are printed to stderr; they are $HARNESS_DIR/dovecot.log and
# $HARNESS_DIR/smtp/{exim.out,log/mainlog}.  exim delivers after its 250
# reply, so wait with harness_wait_delivered; delivered files have LF
# line ends plus Return-path, Envelope-to and Received headers.  Dovecot
# answers a failed login after ~0.5 s and adds no per-IP penalty.

_harness_pids=""	# guard PIDs; each is also its group's ID
_harness_lockfd=""	# fd of the start lock while it is held
_harness_dir=""		# the run directory this shell made

# Print an error message to stderr.
_harness_err() {
	printf 'harness: %s\n' "$*" >&2
}

# Current time in microseconds (no fork; locale-proof).
_harness_now_us() {
	local t=${EPOCHREALTIME//[!0-9]/}
	printf -v "$1" '%s' "$t"
}

# Succeed if process $1 exists and is not a zombie.
_harness_alive() {
	local s
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
	s=${s##*) }
	[[ ${s:0:1} != Z ]]
}

# Succeed if process group $1 has a member that is not a zombie.
_harness_group_alive() {
	local f s st pg
	for f in /proc/[0-9]*/stat; do
		{ read -r s <"$f"; } 2>/dev/null || continue
		s=${s##*) }		# "state ppid pgrp ..."
		st=${s%% *}
		s=${s#* }
		s=${s#* }
		pg=${s%% *}
		if [[ $pg == "$1" && $st != Z ]]; then
			return 0
		fi
	done
	return 1
}

# Print N free TCP ports on 127.0.0.1, space-separated.  All N sockets
# are bound at once, so the ports differ from each other.
_harness_free_ports() {
	/usr/bin/python3 -I -S -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
' "$1"
}

# Serialise port picking and server start among harnesses on this
# machine, so two parallel tests never pick the same ports.  Best effort:
# without the lock, harness_start still retries on "address in use".
_harness_lock() {
	# Not named like the run directories, so that removing stale
	# ones with a glob (lamplight-harness.*) leaves the lock alone.
	local f="${TMPDIR:-/tmp}/lamplight-ports.lock"
	_harness_lockfd=""
	command -v flock >/dev/null 2>&1 || return 0
	if [[ ! -e $f ]]; then
		{ : >>"$f" && chmod 666 "$f"; } 2>/dev/null || true
	fi
	if exec {_harness_lockfd}<"$f"; then
		flock -w 30 "$_harness_lockfd" || true
	else
		_harness_lockfd=""
	fi 2>/dev/null
	return 0
}

# Release the lock taken by _harness_lock.
_harness_unlock() {
	if [[ -n $_harness_lockfd ]]; then
		exec {_harness_lockfd}<&-
		_harness_lockfd=""
	fi
	return 0
}

# Make the per-run CA and the server cert/key in $HARNESS_DIR/tls.
_harness_make_certs() {
	local d=$HARNESS_DIR/tls
	mkdir -p "$d" || return 1
	cat >"$d/openssl.cnf" <<-'EOF'
	[req]
	distinguished_name = dn
	prompt = no
	[dn]
	[ca_ext]
	basicConstraints = critical,CA:TRUE
	keyUsage = critical,keyCertSign,cRLSign
	subjectKeyIdentifier = hash
	[srv_ext]
	basicConstraints = critical,CA:FALSE
	keyUsage = critical,digitalSignature
	extendedKeyUsage = serverAuth
	subjectAltName = DNS:localhost,IP:127.0.0.1
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid
	EOF
	local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	local req=(openssl req -x509 "${ec[@]}" -config "$d/openssl.cnf" -days 2)
	if ! "${req[@]}" -extensions ca_ext \
		-subj "/CN=lamplight test CA $$" \
		-keyout "$d/ca-key.pem" -out "$d/ca.pem" 2>"$d/openssl.log" ||
		! "${req[@]}" -extensions srv_ext \
		-subj /CN=localhost -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" \
		-keyout "$d/key.pem" -out "$d/cert.pem" 2>>"$d/openssl.log"
	then
		_harness_err "openssl failed:"
		cat "$d/openssl.log" >&2
		return 1
	fi
	chmod 600 "$d/ca-key.pem" "$d/key.pem"
}

# Write $HARNESS_DIR/dovecot.conf and passwd for ports $1..$4
# (imap imaps pop3 pop3s); the users come from HARNESS_USERS.  Failed
# logins are cheap: auth_failure_delay is 0 (Dovecot still answers after
# ~0.5 s), and the per-IP auth penalty (2 s, 4 s, ... added to every
# later login) is off, as auth cannot open the anvil-auth-penalty socket.
_harness_write_dovecot() {
	local t=$HARNESS_DIR u ids chroot=""
	local users=${HARNESS_USERS-tpe:secret-tpe nwt:secret-nwt}
	: >"$t/passwd" || return 1
	for u in $users; do
		if [[ $u != ?*:* ]]; then
			_harness_err "HARNESS_USERS: '$u' is not user:password"
			return 1
		fi
		printf '%s:{PLAIN}%s\n' "${u%%:*}" "${u#*:}" >>"$t/passwd"
	done
	chmod 644 "$t/passwd"
	mkdir -p "$t/mail" || return 1
	if ((EUID == 0)); then
		# Dovecot refuses root for logins and mail access.
		ids="default_internal_user = dovecot
default_login_user = dovenull
mail_uid = nobody
mail_gid = $(id -gn nobody)"
		chown nobody:"$(id -gn nobody)" "$t/mail" || return 1
	else
		# Unprivileged: everything runs as the caller, no chroot.
		ids="default_internal_user = $(id -un)
default_internal_group = $(id -gn)
default_login_user = $(id -un)"
		chroot="chroot ="
	fi
	cat >"$t/dovecot.conf" <<-EOF
	instance_name = lamplight-$1
	base_dir = $t/run
	state_dir = $t/state
	log_path = $t/dovecot.log
	protocols = imap pop3
	listen = 127.0.0.1
	$ids
	mail_location = maildir:$t/mail/%n
	ssl = yes
	ssl_cert = <$t/tls/cert.pem
	ssl_key = <$t/tls/key.pem
	auth_mechanisms = plain login
	auth_verbose = yes
	auth_failure_delay = 0
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN username_format=%n $t/passwd
	}
	userdb {
	  driver = static
	  args = home=$t/mail/%n
	}
	service anvil {
	  $chroot
	  unix_listener anvil-auth-penalty {
	    mode = 0
	  }
	}
	service imap-login {
	  $chroot
	  inet_listener imap {
	    port = $1
	  }
	  inet_listener imaps {
	    port = $2
	    ssl = yes
	  }
	}
	service pop3-login {
	  $chroot
	  inet_listener pop3 {
	    port = $3
	  }
	  inet_listener pop3s {
	    port = $4
	    ssl = yes
	  }
	}
	EOF
}

# Write $HARNESS_DIR/exim.conf (the ports come from -D macros at start).
# Started by root, exim insists that its config belongs to root, while
# $HARNESS_DIR/smtp (spool, log, maildir, cert copy) belongs to XUSER.
_harness_write_exim() {
	local t=$HARNESS_DIR
	mkdir -p "$t/smtp/log" "$t/smtp/spool" || return 1
	cp "$t/tls/cert.pem" "$t/tls/key.pem" "$t/smtp/" || return 1
	# Macro names must not occur inside other words (exim substitutes
	# them anywhere in a line), hence XTMP and not T.
	cat >"$t/exim.conf" <<-'EOF'
	exim_path = /usr/sbin/exim4
	primary_hostname = localhost
	spool_directory = XTMP/spool
	log_file_path = XTMP/log/%slog
	pid_file_path = XTMP/exim.pid
	daemon_smtp_ports = XPORT : XSPORT
	tls_on_connect_ports = XSPORT
	local_interfaces = 127.0.0.1
	daemon_startup_retries = 0
	exim_user = XUSER
	exim_group = XGROUP
	never_users =
	keep_environment =
	host_lookup =
	# No name lookups at all (a client saying EHLO localhost would
	# otherwise make exim ask DNS for 127.0.0.1's name): nothing may
	# leave loopback.
	helo_lookup_domains =
	host_lookup_order = byaddr
	rfc1413_hosts =
	tls_advertise_hosts = *
	tls_certificate = XTMP/cert.pem
	tls_privatekey = XTMP/key.pem
	acl_smtp_rcpt = acl_rcpt
	acl_smtp_data = acl_data
	# Deliver every message at once, however many come on one
	# connection (exim queues those past 10, and no queue runs here).
	smtp_accept_queue_per_connection = 0
	auth_advertise_hosts = *
	begin acl
	acl_rcpt:
	  accept
	acl_data:
	  # As RFC 8601 asks of a receiving server: no Authentication-Results
	  # from outside passes, and a client that logged in gets ours.
	  warn remove_header = Authentication-Results
	.ifdef XAUTHRES
	  # exim's own writer of the header (HARNESS_AUTHRESULTS=1): the
	  # login, and the DKIM results with the signatures' tags as exim
	  # writes them, decoded and unquoted.
	  warn add_header = :at_start:${authresults{localhost}}
	.else
	  warn condition = ${if def:authenticated_id}
	       add_header = :at_start:Authentication-Results: localhost; auth=pass smtp.auth=$authenticated_id
	.endif
	  accept
	begin authenticators
	plain:
	  driver = plaintext
	  public_name = PLAIN
	  server_prompts = :
	  server_condition = ${if and{{exists{XTMP/passwd}}{!eq{$auth3}{}}{eq{$auth3}{${lookup{$auth2}lsearch{XTMP/passwd}}}}}}
	  server_set_id = $auth2
	login:
	  driver = plaintext
	  public_name = LOGIN
	  server_prompts = Username:: : Password::
	  server_condition = ${if and{{exists{XTMP/passwd}}{!eq{$auth2}{}}{eq{$auth2}{${lookup{$auth1}lsearch{XTMP/passwd}}}}}}
	  server_set_id = $auth1
	begin routers
	catchall:
	  driver = accept
	  transport = to_maildir
	begin transports
	to_maildir:
	  driver = appendfile
	  directory = XTMP/maildir
	  maildir_format
	  create_directory
	  user = XUSER
	  group = XGROUP
	  envelope_to_add
	  return_path_add
	begin retry
	*  *  F,1m,1m
	EOF
	chmod 644 "$t/exim.conf"
	if ((EUID == 0)); then
		chown -R nobody:"$(id -gn nobody)" "$t/smtp" || return 1
	fi
}

# Leader of each server's process group: it runs the server as its
# child and passes SIGTERM on to the whole group.  The guard gets SIGTERM
# from harness_stop, or from the kernel when the shell that started it
# dies (setpriv --pdeathsig).  The servers cannot use --pdeathsig
# themselves: exim changes its uid, which clears that setting.
_harness_guard='
trap "trap \"\" TERM; kill -TERM -- -$$ 2>/dev/null; wait; exit 143" TERM
"$@" &
wait $!
'

# Start "$@" under the guard in a new session and process group, output
# written to log file $1 (shifted off).  Sets _harness_pid (the guard,
# which is also the process group ID).
_harness_spawn() {
	local log=$1 pd=()
	shift
	if command -v setpriv >/dev/null 2>&1; then
		pd=(setpriv --pdeathsig TERM --)
	fi
	# Without job control a background child is not a group leader,
	# so setsid(1) calls setsid() in place and $! is the guard itself.
	(
		if [[ -n $_harness_lockfd ]]; then
			exec {_harness_lockfd}<&-
		fi
		exec setsid "${pd[@]}" /bin/bash -c "$_harness_guard" \
			harness-guard "$@"
	) </dev/null >"$log" 2>&1 &
	_harness_pid=$!
	_harness_pids+=" $_harness_pid"
}

# Wait until a plain-text connection to port $2 sends a line starting
# with $3, while process $1 lives and before time $4 (microseconds).
_harness_wait_banner() {
	local pid=$1 port=$2 prefix=$3 deadline=$4 line now
	while :; do
		_harness_alive "$pid" || return 1
		line=""
		# A short read timeout: if the port belongs to someone else,
		# notice soon that our server died.
		if IFS= read -r -t 0.5 line 2>/dev/null \
			</dev/tcp/127.0.0.1/"$port"; then
			if [[ $line == "$prefix"* ]]; then
				_harness_alive "$pid" && return 0
				return 1
			fi
			_harness_err "port $port: unexpected banner: $line"
			return 1
		fi
		_harness_now_us now
		((now < deadline)) || return 1
		sleep 0.01
	done
}

# Wait until the SMTPS port $2 of exim (PID $1) completes a TLS session
# (curl checks the 220 greeting and the certificate), before time $3.
_harness_wait_smtps() {
	local pid=$1 port=$2 deadline=$3 now
	while :; do
		_harness_alive "$pid" || return 1
		if curl -sS --max-time 2 --cacert "$HARNESS_CA" \
			--resolve "localhost:$port:127.0.0.1" \
			-X NOOP "smtps://localhost:$port/" \
			>/dev/null 2>&1; then
			return 0
		fi
		_harness_now_us now
		((now < deadline)) || return 1
		sleep 0.01
	done
}

# Print the server logs to stderr, indented.
_harness_dump_logs() {
	local f
	for f in "$HARNESS_DIR"/dovecot.log "$HARNESS_DIR"/dovecot.out \
		"$HARNESS_DIR"/smtp/exim.out "$HARNESS_DIR"/smtp/log/*log; do
		[[ -s $f ]] || continue
		printf 'harness: --- %s ---\n' "$f" >&2
		sed 's/^/    /' "$f" >&2
	done
}

# Succeed if a server log says that a port was taken.
_harness_port_clash() {
	grep -qsi 'address already in use' "$HARNESS_DIR"/dovecot.log \
		"$HARNESS_DIR"/dovecot.out "$HARNESS_DIR"/smtp/exim.out \
		"$HARNESS_DIR"/smtp/log/*log
}

# One attempt to pick ports and start the services; 2 = port clash.
_harness_try_start() {
	local imap=$1 smtp=$2 ports p deadline dpid="" epid=""
	# HARNESS_PORTS fixes the six ports (IMAP IMAPS POP3 POP3S SMTP
	# SMTPS), for the demo, whose bundled config names its SMTP port.
	if [[ -n ${HARNESS_PORTS:-} ]]; then
		ports=$HARNESS_PORTS
		if [[ ! $ports =~ ^\ *([0-9]+\ +){5}[0-9]+\ *$ ]]; then
			_harness_err "HARNESS_PORTS: want 6 port numbers: '$ports'"
			return 1
		fi
	else
		ports=$(_harness_free_ports 6) || {
			_harness_err "cannot pick free ports (/usr/bin/python3)"
			return 1
		}
	fi
	# shellcheck disable=SC2086
	set -- $ports
	local g
	g=$(id -gn nobody 2>/dev/null || echo nogroup)
	if ((imap)); then
		_harness_write_dovecot "$1" "$2" "$3" "$4" || return 1
		rm -f "$HARNESS_DIR/dovecot.log" "$HARNESS_DIR/run/master.pid"
		_harness_spawn "$HARNESS_DIR/dovecot.out" \
			/usr/sbin/dovecot -F -c "$HARNESS_DIR/dovecot.conf"
		dpid=$_harness_pid
		export HARNESS_IMAP=$1 HARNESS_IMAPS=$2
		export HARNESS_POP3=$3 HARNESS_POP3S=$4
		export HARNESS_DOVECOT_CONF=$HARNESS_DIR/dovecot.conf
	fi
	if ((smtp)); then
		local xu=nobody xg=$g authres=()
		[[ ${HARNESS_AUTHRESULTS:-0} == 1 ]] && authres=(-DXAUTHRES=1)
		if ((EUID != 0)); then
			xu=$(id -un)
			xg=$(id -gn)
		fi
		rm -f "$HARNESS_DIR"/smtp/log/*log
		_harness_spawn "$HARNESS_DIR/smtp/exim.out" \
			/usr/sbin/exim4 -C "$HARNESS_DIR/exim.conf" \
			-DXTMP="$HARNESS_DIR/smtp" -DXPORT="$5" -DXSPORT="$6" \
			-DXUSER="$xu" -DXGROUP="$xg" "${authres[@]}" -bdf
		epid=$_harness_pid
		export HARNESS_SMTP=$5 HARNESS_SMTPS=$6
		export HARNESS_DELIVERED=$HARNESS_DIR/smtp/maildir
		export HARNESS_SMTP_PASSWD=$HARNESS_DIR/smtp/passwd
	fi
	_harness_now_us deadline
	deadline=$((deadline + ${HARNESS_START_TIMEOUT:-10} * 1000000))
	if [[ -n $dpid ]]; then
		if ! _harness_wait_banner "$dpid" "$1" '* OK' "$deadline" ||
			! _harness_wait_banner "$dpid" "$3" '+OK' "$deadline"
		then
			_harness_port_clash && return 2
			_harness_err "dovecot did not become ready"
			return 1
		fi
	fi
	if [[ -n $epid ]]; then
		if ! _harness_wait_banner "$epid" "$5" '220 ' "$deadline" ||
			! _harness_wait_smtps "$epid" "$6" "$deadline"
		then
			_harness_port_clash && return 2
			_harness_err "exim4 did not become ready"
			return 1
		fi
	fi
	for p in $_harness_pids; do
		_harness_alive "$p" || return 1
	done
	return 0
}

# Start the services named in "$@" (imap, smtp; default both) on free
# ports of 127.0.0.1 and wait until they greet.  Returns 1 on failure,
# after printing the server logs and cleaning up.
harness_start() {
	local s imap=0 smtp=0 rc=1 try m=""
	(($# > 0)) || set -- imap smtp
	for s in "$@"; do
		case $s in
		imap) imap=1 ;;
		smtp) smtp=1 ;;
		*) _harness_err "unknown service '$s' (imap, smtp)"
			return 1 ;;
		esac
	done
	# Only this shell's own state counts: HARNESS_* variables that a
	# parent test exported describe the parent's servers.
	if [[ -n $_harness_pids || -n $_harness_dir ]]; then
		_harness_err "already started; call harness_stop first"
		return 1
	fi
	if ((EUID != 0)); then
		_harness_err "note: not root, using unprivileged configs"
	fi
	local tmp=${TMPDIR:-/tmp}
	if [[ $tmp == *[[:space:]]* ]]; then
		_harness_err "TMPDIR must not contain white space: '$tmp'"
		return 1
	fi
	HARNESS_DIR=$(mktemp -d "$tmp/lamplight-harness.XXXXXX") || {
		_harness_err "mktemp failed in $tmp"
		return 1
	}
	_harness_dir=$HARNESS_DIR
	export HARNESS_DIR
	export HARNESS_CA=$HARNESS_DIR/tls/ca.pem
	unset HARNESS_IMAP HARNESS_IMAPS HARNESS_POP3 HARNESS_POP3S
	unset HARNESS_SMTP HARNESS_SMTPS HARNESS_DOVECOT_CONF HARNESS_DELIVERED
	trap harness_stop EXIT
	chmod 755 "$HARNESS_DIR" || { harness_stop; return 1; }
	_harness_make_certs || { harness_stop; return 1; }
	if ((smtp)); then
		_harness_write_exim || { harness_stop; return 1; }
	fi
	[[ $- == *m* ]] && m=1 && set +m
	_harness_lock
	for try in 1 2 3 4 5; do
		rc=0
		_harness_try_start "$imap" "$smtp" || rc=$?
		((rc == 2)) || break
		if [[ -n ${HARNESS_PORTS:-} ]]; then
			_harness_err "a port of HARNESS_PORTS is in use"
			rc=1
			break
		fi
		_harness_err "port clash, retrying ($try)"
		_harness_stop_servers
	done
	_harness_unlock
	[[ -n $m ]] && set -m
	if ((rc != 0)); then
		_harness_dump_logs
		harness_stop
		return 1
	fi
	return 0
}

# Stop the servers: SIGTERM to each process group, SIGKILL to groups
# still alive after 2 s, then reap the guards.
_harness_stop_servers() {
	local pid now deadline
	for pid in $_harness_pids; do
		kill -TERM -- "-$pid" 2>/dev/null || true
	done
	_harness_now_us deadline
	deadline=$((deadline + 2000000))
	for pid in $_harness_pids; do
		while _harness_group_alive "$pid"; do
			_harness_now_us now
			((now < deadline)) || break
			sleep 0.01
		done
	done
	for pid in $_harness_pids; do
		if _harness_group_alive "$pid"; then
			_harness_err "process group $pid survived SIGTERM"
			kill -KILL -- "-$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	_harness_pids=""
	return 0
}

# Stop all servers, remove $HARNESS_DIR unless HARNESS_KEEP=1, and unset
# the exported variables.  Only acts on what this shell started (never
# on HARNESS_* inherited from a parent).  Idempotent; always returns 0.
harness_stop() {
	_harness_stop_servers
	[[ -n $_harness_dir ]] || return 0
	if [[ ${HARNESS_KEEP:-0} == 1 ]]; then
		_harness_err "kept $_harness_dir"
	else
		rm -rf -- "$_harness_dir"
	fi
	_harness_dir=""
	unset HARNESS_DIR HARNESS_CA HARNESS_DOVECOT_CONF HARNESS_DELIVERED
	unset HARNESS_IMAP HARNESS_IMAPS HARNESS_POP3 HARNESS_POP3S
	unset HARNESS_SMTP HARNESS_SMTPS
	return 0
}

# harness_down: stop the servers, keeping their mail, spool and ports;
# harness_up: start them again on the same ports (a restart, or the end
# of an outage).  Both servers, as harness_start started them.
harness_down() {
	[[ -n $_harness_dir ]] || { _harness_err "harness_down: not started"; return 1; }
	_harness_saved_ports="${HARNESS_IMAP:-0} ${HARNESS_IMAPS:-0} ${HARNESS_POP3:-0} ${HARNESS_POP3S:-0} ${HARNESS_SMTP:-0} ${HARNESS_SMTPS:-0}"
	_harness_stop_servers
}

harness_up() {
	local imap=0 smtp=0 rc=0 m=""
	[[ -n ${_harness_saved_ports:-} ]] || { _harness_err "harness_up: not down"; return 1; }
	[[ -n ${HARNESS_DOVECOT_CONF:-} ]] && imap=1
	[[ -n ${HARNESS_DELIVERED:-} ]] && smtp=1
	[[ $- == *m* ]] && m=1 && set +m
	HARNESS_PORTS=$_harness_saved_ports _harness_try_start "$imap" "$smtp" || rc=$?
	[[ -n $m ]] && set -m
	((rc == 0)) && _harness_saved_ports=""
	return "$rc"
}

# Store the message in file $2 into the INBOX of user $1.
harness_save() {
	if (($# != 2)); then
		_harness_err "usage: harness_save USER FILE"
		return 1
	fi
	if [[ -z ${HARNESS_DOVECOT_CONF:-} ]]; then
		_harness_err "harness_save: imap service not started"
		return 1
	fi
	doveadm -c "$HARNESS_DOVECOT_CONF" save -u "$1" <"$2"
}

# Print the number of messages exim has delivered so far.
harness_delivered_count() {
	local f n=0
	if [[ -z ${HARNESS_DELIVERED:-} ]]; then
		_harness_err "harness_delivered_count: smtp service not started"
		return 1
	fi
	for f in "$HARNESS_DELIVERED"/new/*; do
		if [[ -e $f ]]; then
			n=$((n + 1))
		fi
	done
	echo "$n"
}

# Wait until at least $1 messages are delivered; give up after $2
# seconds (default 10) and return 1.
harness_wait_delivered() {
	local want=$1 n now deadline
	_harness_now_us deadline
	deadline=$((deadline + ${2:-10} * 1000000))
	while :; do
		n=$(harness_delivered_count) || return 1
		((n < want)) || return 0
		_harness_now_us now
		if ((now >= deadline)); then
			_harness_err "$n of $want messages delivered"
			return 1
		fi
		sleep 0.02
	done
}
