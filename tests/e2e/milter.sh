#!/usr/bin/env bash
# Staff replies vouched for by a real OpenDKIM (issue 16.2): the staff
# member's server signs (an OpenDKIM milter with the centre's key), the
# receiving server verifies (another, writing Authentication-Results
# under the authserv-id lamplight trusts), both driven by miltertest as
# an MTA drives them.  What OpenDKIM really writes must be read right:
# a reply signed by the staff member's domain acts; one signed by an
# attacker's own domain, or whose body changed after signing, does not.
# OpenDMARC too, in a network namespace of its own whose resolver is a
# dnsmasq on its own loopback (the From domain's policy is asked of
# DNS).  (Debian's postfix cannot sit beside the harness's exim4: both
# are the mail-transport-agent.)
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

for p in opendkim miltertest opendkim-genkey; do
	if ! command -v "$p" >/dev/null && [[ ! -x /usr/sbin/$p ]]; then
		tap_skip "OpenDKIM harness" "no $p (scripts/setup installs it)"
		tap_done
		exit 0
	fi
done
T=$(mktemp -d)
chmod 700 "$T"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; [[ -n ${KEEP:-} ]] || rm -rf "$T"' EXIT
L=$LAMPLIGHT
C=(-c "$T/l.conf")
MT=$SOURCE_ROOT/tests/harness/mailtool.py
LIN=lin@tpe.centers.example
write_config "$T/l.conf" "$T/state" "$(centre TPE)
staff = $LIN"
sed -i 's/^trusted_authserv = .*/trusted_authserv = mx.tpe.example/' \
	"$T/l.conf"

# The keys: the centre's domain and an attacker's, both published in
# the test key file the verifier reads instead of DNS.
: >"$T/keys"
for d in tpe.centers.example evil.example; do
	mkdir -p "$T/$d"
	opendkim-genkey -D "$T/$d" -d "$d" -s sel
	printf 'sel._domainkey.%s %s\n' "$d" \
		"$(tr -d '\n\t"' <"$T/$d/sel.txt" | sed 's/.*( *//; s/ *).*//')" \
		>>"$T/keys"
done
read -r p_tpe p_evil p_mx < <(_harness_free_ports 3)
# milter NAME PORT LINES...: an OpenDKIM on 127.0.0.1:PORT.
milter() {
	local name=$1 port=$2
	shift 2
	{
		printf 'Socket inet:%s@127.0.0.1\nBackground no\nSyslog no\n' \
			"$port"
		printf 'PidFile %s/%s.pid\nUserID %s\n' "$T" "$name" "$(id -un)"
		printf '%s\n' "$@"
	} >"$T/$name.conf"
	opendkim -f -x "$T/$name.conf" >"$T/$name.log" 2>&1 &
	pids+=($!)
}
# Each signer signs whatever passes (the attacker's server signs lin's
# From with its own domain's key, d=evil.example).
for d in tpe.centers.example evil.example; do
	port=$p_tpe
	[[ $d != evil.example ]] || port=$p_evil
	printf 'key %s:sel:%s/%s/sel.private\n' "$d" "$T" "$d" >"$T/$d.keytable"
	printf '* key\n' >"$T/$d.signingtable"
	milter "sign-$d" "$port" "Mode s" "KeyTable file:$T/$d.keytable" \
		"SigningTable refile:$T/$d.signingtable" \
		"InternalHosts 127.0.0.1" "RequireSafeKeys false" \
		"Canonicalization relaxed/relaxed"
done
milter verify "$p_mx" "Mode v" "TestPublicKeys $T/keys" \
	"AuthservID mx.tpe.example"
for port in $p_tpe $p_evil $p_mx; do
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.1
	done
done

# through SIGNER FILE [tamper]: FILE as the receiving server passes it
# on: the headers OpenDKIM added on top.
through() {
	local args=(-D "file=$2" -D "verifier=inet:$p_mx@127.0.0.1")
	[[ -n $1 ]] && args+=(-D "signer=inet:$1@127.0.0.1")
	[[ -n ${3:-} ]] && args+=(-D tamper=1)
	miltertest "${args[@]}" -s "$SOURCE_ROOT/tests/harness/dkim.lua" \
		>"$2.added" 2>"$T/miltertest.err" || {
		cat "$T/miltertest.err" >&2
		return 1
	}
	cat "$2.added" "$2" >"$2.in"
}

# A letter, and lin told of it with a reply token.
{
	printf 'From: 王小明 <ming.wang@example.org>\nTo: tpe@centers.moj-help.example\n'
	printf 'Subject: 想戒毒\nMessage-ID: <w1@example.org>\n'
	printf 'Date: Sat, 05 Dec 2026 09:00:00 +0800\n\n我想戒毒，請幫忙。\n'
} | "$MT" write "$T/w1.eml"
"$L" ingest "${C[@]}" --centre TPE <"$T/w1.eml" >/dev/null 2>&1 || true
case1=$("$L" case list "${C[@]}" --json | json 'd[0]["number"]')
"$L" outbox show "${C[@]}" \
	"$(outbox_where "$T/l.conf" "e['kind'] == 'staff'" | tail -1)" >"$T/notice.eml"
reply_to=$("$MT" get "$T/notice.eml" 'm["Reply-To"].addresses[0].addr_spec')
notice_id=$("$MT" get "$T/notice.eml" 'm["Message-ID"]')
notes() {
	"$L" case show "${C[@]}" "$case1" --json | json 'len(d["notes"])'
}
refused() {
	"$L" case show "${C[@]}" "$case1" --json |
		json 'sum(1 for e in d["events"] if e["what"] == "staff mail refused")'
}
# reply N: lin's reply with a note, fresh Message-ID.
reply() {
	{
		printf 'From: %s\nTo: %s\nSubject: Re: [%s]\n' "$LIN" "$reply_to" \
			"$case1"
		printf 'In-Reply-To: %s\nMessage-ID: <r%s@tpe.centers.example>\n' \
			"$notice_id" "$1"
		printf 'Date: Sat, 05 Dec 2026 10:00:00 +0800\n\n#note 第%s則\n' "$1"
	} | "$MT" write "$T/r$1.eml"
}

reply 1
through "$p_tpe" "$T/r1.eml"
tap_like "OpenDKIM's verdict on the centre's signature" \
	"$(cat "$T/r1.eml.added")" \
	'Authentication-Results: mx\.tpe\.example;.*dkim=pass .*header\.d=tpe\.centers\.example'
"$L" ingest "${C[@]}" --centre TPE <"$T/r1.eml.in" >/dev/null 2>&1 || true
tap_is "... read right: lin's reply acts (the note is kept)" \
	"$(notes) $(refused)" "1 0"

reply 2
through "$p_evil" "$T/r2.eml"
tap_like "an attacker's own domain signs lin's address: dkim=pass for it" \
	"$(cat "$T/r2.eml.added")" 'dkim=pass .*header\.d=evil\.example'
"$L" ingest "${C[@]}" --centre TPE <"$T/r2.eml.in" >/dev/null 2>&1 || true
tap_is "... not lin's domain: refused, nothing acted" \
	"$(notes) $(refused)" "1 1"

reply 3
through "$p_tpe" "$T/r3.eml" tamper
tap_like "a body changed after the centre signed it: dkim=fail" \
	"$(cat "$T/r3.eml.added")" 'dkim=fail'
"$L" ingest "${C[@]}" --centre TPE <"$T/r3.eml.in" >/dev/null 2>&1 || true
tap_is "... refused, nothing acted" "$(notes) $(refused)" "1 2"

reply 4
through "" "$T/r4.eml" || true
"$L" ingest "${C[@]}" --centre TPE <"$T/r4.eml" >/dev/null 2>&1 || true
tap_is "no signature at all: refused" "$(notes) $(refused)" "1 3"

# OpenDMARC after OpenDKIM, as a receiving server chains them: its
# verdict on the From domain's policy (p=reject) is read right too.
if ((EUID != 0)) || ! command -v dnsmasq >/dev/null ||
	[[ ! -x /usr/sbin/opendmarc ]] || ! unshare -mn true 2>/dev/null; then
	tap_skip "OpenDMARC" "needs root and namespaces (unshare -mn), dnsmasq, opendmarc"
	tap_done
	exit 0
fi
reply 5
through "$p_tpe" "$T/r5.eml"
reply 6
through "$p_evil" "$T/r6.eml"
reply 7
through "$p_tpe" "$T/r7.eml"
printf 'nameserver 127.0.0.1\n' >"$T/resolv.conf"
printf '%s\n' "Socket inet:8893@127.0.0.1" "Background no" "Syslog no" \
	"UserID $(id -un)" "PidFile $T/dmarc.pid" \
	"AuthservID mx.tpe.example" "TrustedAuthservIDs mx.tpe.example" \
	"SPFIgnoreResults true" "SPFSelfValidate false" \
	"RequiredHeaders false" >"$T/dmarc.conf"
T=$T SOURCE_ROOT=$SOURCE_ROOT unshare -mn bash -c '
	set -e
	ip link set lo up
	mount --bind "$T/resolv.conf" /etc/resolv.conf
	dnsmasq --keep-in-foreground --no-resolv --no-hosts \
		--listen-address=127.0.0.1 --port=53 --bind-interfaces \
		--txt-record=_dmarc.tpe.centers.example,"v=DMARC1; p=reject" \
		--txt-record=_dmarc.evil.example,"v=DMARC1; p=none" \
		--log-facility="$T/dnsmasq.log" &
	opendmarc -f -c "$T/dmarc.conf" >"$T/dmarc.log" 2>&1 &
	# Both listening (dnsmasq answers on TCP too) before the first ask.
	for port in 53 8893; do
		for _ in $(seq 50); do
			(exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
			sleep 0.1
		done
	done
	for f in r5 r6 r7; do
		miltertest -D file="$T/$f.eml.in" \
			-D dmarc=inet:8893@127.0.0.1 \
			-s "$SOURCE_ROOT/tests/harness/dmarc.lua" \
			>"$T/$f.dmarc" 2>>"$T/miltertest.err"
	done
	kill %1 %2
' || cat "$T/miltertest.err" "$T/dmarc.log" >&2
tap_like "OpenDMARC on the centre's reply: dmarc=pass for its From" \
	"$(cat "$T/r5.dmarc" 2>/dev/null)" \
	'Authentication-Results: mx\.tpe\.example; dmarc=pass .*header\.from=tpe\.centers\.example'
cat "$T/r5.dmarc" "$T/r5.eml.in" >"$T/r5.final"
"$L" ingest "${C[@]}" --centre TPE <"$T/r5.final" >/dev/null 2>&1 || true
tap_is "... read right, beside OpenDKIM's: it acts" "$(notes) $(refused)" "2 3"
tap_like "OpenDMARC on the attacker's: dmarc=fail (not aligned)" \
	"$(cat "$T/r6.dmarc" 2>/dev/null)" \
	'dmarc=fail .*header\.from=tpe\.centers\.example'
cat "$T/r6.dmarc" "$T/r6.eml.in" >"$T/r6.final"
"$L" ingest "${C[@]}" --centre TPE <"$T/r6.final" >/dev/null 2>&1 || true
tap_is "... refused, nothing acted" "$(notes) $(refused)" "2 4"
# OpenDMARC's verdict alone vouches (its pass is for the From domain).
cat "$T/r7.dmarc" "$T/r7.eml" >"$T/r7.final"
"$L" ingest "${C[@]}" --centre TPE <"$T/r7.final" >/dev/null 2>&1 || true
tap_is "OpenDMARC's dmarc=pass alone, as it writes it: it acts" \
	"$(notes) $(refused)" "3 4"
tap_done
