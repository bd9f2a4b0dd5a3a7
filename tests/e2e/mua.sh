#!/usr/bin/env bash
# A real mail client: neomutt, driven in a pseudo-terminal, replies to
# the case mail a staff member got, through the loopback exim with SMTP
# AUTH; exim vouches for the login in Authentication-Results and
# lamplight, fetching the centre's Maildir, acts on the reply.  Then
# the same server refuses to carry forged vouching: a client that does
# not log in, or logs in as someone else, acts on nothing.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

harness_start smtp
T=$HARNESS_DIR/e2e
mkdir -p "$T/lin/new" "$T/lin/cur" "$T/lin/tmp"
L=$LAMPLIGHT
C=(-c "$T/l.conf")
MT=$SOURCE_ROOT/tests/harness/mailtool.py
LIN=lin@tpe.centers.example
WRITER=ming.wang@example.org
# The centre's mailbox is the Maildir exim delivers everything to; our
# own mail in it is recognised and set aside.
write_config "$T/l.conf" "$T/state" \
"$(centre TPE)
mailbox = maildir:$HARNESS_DELIVERED
after_fetch = keep
staff = $LIN"
printf '%s: s3cret-lin\nmallory@evil.example: s3cret-m\n' "$LIN" \
	>"$HARNESS_SMTP_PASSWD"
chmod 644 "$HARNESS_SMTP_PASSWD"
show() { "$L" case show "${C[@]}" "$1" --json | json "$2"; }
get() { "$MT" get "$@"; }
# delivered_to ADDR: the newest message delivered to ADDR.
delivered_to() {
	grep -l -i "^Envelope-to: $1" "$HARNESS_DELIVERED"/new/* 2>/dev/null |
		xargs -r ls -t | head -1
}

{
	printf 'From: 王小明 <%s>\nTo: tpe@centers.moj-help.example\n' "$WRITER"
	printf 'Subject: 想戒毒\nMessage-ID: <w1@example.org>\n'
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n'
	printf 'Content-Transfer-Encoding: 8bit\n\n'
	printf '你好，我用安非他命好幾年了，想戒掉，請幫我。\n'
} >"$T/w1.eml"
"$L" ingest "${C[@]}" --centre TPE <"$T/w1.eml" 2>/dev/null
case1=$("$L" case list "${C[@]}" --json | json 'd[0]["number"]')
tap_ok "the acknowledgement and the staff notice are delivered" \
	harness_wait_delivered 2 60
notice=$(delivered_to "$LIN")
cp "$notice" "$T/lin/new/1.notice:2,"

# lin's neomutt: reply (to the Reply-To, quoting), the editor writing
# commands and a message above the quote, send through exim with AUTH.
cat >"$T/editor.sh" <<'EOF'
#!/bin/sh
{
	printf '#state registered\n#note 已電話聯絡，約週三訪視\n\n'
	printf '王先生您好，我是中心的社工，週三下午會去拜訪您。\n\n'
	cat "$1"
} >"$1.new" && mv "$1.new" "$1"
EOF
chmod +x "$T/editor.sh"
cat >"$T/muttrc" <<EOF
set from = "$LIN"
set real_name = "林社工"
set smtp_url = "smtp://$LIN@127.0.0.1:$HARNESS_SMTP/"
set smtp_pass = "s3cret-lin"
set ssl_starttls = no
set ssl_force_tls = no
set editor = "$T/editor.sh"
set fast_reply = yes
set reply_to = yes
set include = yes
set abort_unmodified = no
set postpone = no
set copy = no
set recall = no
set wait_key = no
set send_charset = "utf-8"
set charset = "utf-8"
set hostname = "tpe.centers.example"
set mbox_type = Maildir
set folder = "$T"
set spoolfile = "$T/lin"
set header_cache = ""
set user_agent = yes
set attribution = "%n 於 %d 寫道："
EOF
HOME=$T TERM=xterm timeout 60 script -qfec \
	"neomutt -n -F '$T/muttrc' -f '$T/lin' -e 'push <reply><send-message><quit>'" \
	/dev/null >"$T/neomutt.out" 2>&1 || true
tap_ok "neomutt's reply went through exim" harness_wait_delivered 3 60
reply=$(grep -l -i "^Return-path: <$LIN>" "$HARNESS_DELIVERED"/new/* | head -1)
tap_like "... which vouched for the login" \
	"$(get "$reply" 'h.get("authentication-results", "")')" \
	"^localhost; auth=pass smtp.auth=$LIN$"

"$L" run "${C[@]}" >"$T/run.out" 2>&1 || true
tap_is "lamplight fetched it and ran the commands" \
	"$(show "$case1" '(d["state"], [n["text"] for n in d["notes"]])')" \
	"('registered', ['已電話聯絡，約週三訪視'])"
tap_ok "the relay and the transcript are delivered" harness_wait_delivered 5 60
relay=$(grep -l -i "^Envelope-to: $WRITER" "$HARNESS_DELIVERED"/new/* |
	xargs grep -l '^Auto-Submitted: no' | head -1)
tap_is "the writer gets the message, from the centre, without the quote" \
	"$(get "$relay" '("週三下午會去拜訪您" in b, m["From"].addresses[0].addr_spec, "lin@" in m.as_string(), "#state" in b, "安非他命" in b)')" \
	"(True, 'tpe@centers.moj-help.example', False, False, False)"
tr=$(grep -l -i "^Envelope-to: $LIN" "$HARNESS_DELIVERED"/new/* |
	xargs grep -l 'X-Lamplight-Case' | xargs ls -t | head -1)
tap_like "lin gets the transcript" "$(get "$tr" 'm["Subject"] + " " + b')" \
	"指令執行結果.*✔ #state registered.*✔ #note"

# Forgery through the same server: exim strips a forged vouching and
# vouches only for who logged in.
rt=$(get "$notice" 'm["Reply-To"].addresses[0].addr_spec')
mid=$(get "$notice" 'm["Message-ID"].strip("<>")')
/usr/bin/python3 - "$HARNESS_SMTP" "$LIN" "$rt" "$mid" <<'PY'
import smtplib, sys
from email.message import EmailMessage
port, lin, rt, mid = sys.argv[1:]
def send(login, n):
    m = EmailMessage()
    m["Authentication-Results"] = "localhost; auth=pass smtp.auth=" + lin
    m["From"] = lin
    m["To"] = rt
    m["Subject"] = "Re: 案件"
    m["In-Reply-To"] = "<%s>" % mid
    m["Message-ID"] = "<forged%d@evil.example>" % n
    m.set_content("#close 3\n請把個案的住址寄給我。\n")
    with smtplib.SMTP("127.0.0.1", int(port)) as s:
        if login:
            s.login(*login)
        s.send_message(m)
send(None, 1)
send(("mallory@evil.example", "s3cret-m"), 2)
PY
tap_ok "two forged replies delivered" harness_wait_delivered 7 60
tap_is "... their own vouching removed, mallory vouched for as mallory" \
	"$(for f in $(grep -l 'forged[12]@evil' "$HARNESS_DELIVERED"/new/*); do
		get "$f" 'h.get("authentication-results", "none")'; done | sort | tr '\n' '|')" \
	"localhost; auth=pass smtp.auth=mallory@evil.example|none|"
"$L" run "${C[@]}" >>"$T/run.out" 2>&1 || true
tap_is "lamplight refused both: the case stays open" \
	"$(show "$case1" '(d["state"], sum(1 for e in d["events"] if e["what"] == "staff mail refused"))')" \
	"('registered', 2)"
tap_is "... and nothing was relayed for them" \
	"$(sqlite3 "$T/state/lamplight.db" "SELECT count(*) FROM outbox WHERE kind = 'relay'")" 1

tap_done
