#!/usr/bin/env bash
# No leak of personal data: the whole pipeline (fetch from a Maildir,
# file, answer through exim, quarantine, reminders, referrals) runs on
# letters carrying known names, ID numbers, phones, addresses and drug
# history, with every log line at debug level kept; none of them appears
# in any log line, the quarantine's listing, an acknowledgement, a
# reminder, or the files lamplight keeps; a police referral carries what
# locating needs and nothing more, a health referral no address.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

harness_start smtp
T=$HARNESS_DIR/e2e
mkdir -p "$T/mb/new" "$T/mb/cur" "$T/mb/tmp"
L=$LAMPLIGHT
C=(-c "$T/l.conf")
DB=$T/state/lamplight.db
write_config "$T/l.conf" "$T/state" \
"$(centre TPE)
mailbox = maildir:$T/mb
staff = a@tpe.centers.example
duty = duty@tpe.centers.example
partners.police = police@tppd.partners.example
partners.health = clinic@tpehealth.partners.example"
body() {
	/usr/bin/python3 - "$1" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(str(m["Subject"]) + "\n" + m.get_body(("plain",)).get_content())
PY
}
delivered_to() {
	grep -l -i "^Envelope-to: $1" "$HARNESS_DELIVERED"/new/* 2>/dev/null |
		xargs -r ls -t | head -1
}
# with_subject ADDR TEXT: a message delivered to ADDR whose subject holds
# TEXT (a notice and a reminder may arrive in the same instant).
with_subject() {
	grep -l -i "^Envelope-to: $1" "$HARNESS_DELIVERED"/new/* 2>/dev/null |
		/usr/bin/python3 -c '
import email, email.policy, sys
for f in sys.stdin.read().split():
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if sys.argv[1] in str(m["Subject"]):
        print(f)
        break' "$2"
}

# Two letters through the web form, one sent directly, one that is not
# mail at all: each with a person's data.  The ID numbers are valid.
/usr/bin/python3 - "$T/mb/new" "$T/people" <<'PY'
import sys
from email.message import EmailMessage
out, people = sys.argv[1], sys.argv[2]
def nid(prefix, digits):
    letters = "ABCDEFGHJKLMNPQRSTUVXYWZIO"
    v = letters.index(prefix) + 10
    nums = [v // 10, v % 10] + [int(c) for c in digits]
    w = [1, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    s = sum(a * b for a, b in zip(nums, w))
    return prefix + digits + str((10 - s % 10) % 10)
a = dict(name="林志明", id=nid("A", "12345678"), phone="0912-345-678",
         tel="0912345678", addr="臺北市中山區民生東路一段 23 號 5 樓",
         street="民生東路", birth="1990-04-12",
         mail="zhiming.lin0412@example.org", drug="海洛因")
b = dict(name="陳美玲", id=nid("F", "22334455"), phone="(02)2771-3456",
         tel="0227713456", addr="新北市板橋區文化路二段 88 號",
         street="文化路二段", birth="1985-11-30",
         mail="meiling.chen85@example.net", drug="安非他命")
c = dict(name="黃建國", id=nid("B", "13572468"), phone="0933 222 111",
         tel="0933222111", addr="臺北市大安區和平東路三段 9 號",
         street="和平東路", mail="jianguo.huang@example.com")
def form(p, n, content):
    m = EmailMessage()
    m["From"] = "求助網頁 <webform@moj-help.example>"
    m["To"] = "tpe@centers.moj-help.example"
    m["Reply-To"] = p["mail"]
    m["Subject"] = "[求助網頁] 需要協助"
    m["Message-ID"] = "<form%d@moj-help.example>" % n
    m["X-Help-Form"] = "2"
    m.set_content(
        "求助縣市：臺北市政府毒品危害防制中心\n求助者身分：戒毒者本人\n"
        "是否表明身分：是\n姓名：%s\n性別：男\n出生年月日：%s\n"
        "聯絡電話：%s\n電子郵件：%s\n聯絡地址：%s\n身分證統一編號：%s\n"
        "希望聯繫方式：電話\n主旨：需要協助\n內容：%s\n"
        % (p["name"], p["birth"], p["phone"], p["mail"], p["addr"],
           p["id"], content))
    open("%s/%d.form%d" % (out, n, n), "wb").write(bytes(m))
form(a, 1, "我用%s十年了，昨天又用過量，現在很想死，不知道怎麼辦。" % a["drug"])
form(b, 2, "我吸%s三年，想申請戒癮治療和就業輔導。" % b["drug"])
m = EmailMessage()
m["From"] = "%s <%s>" % (c["name"], c["mail"])
m["To"] = "tpe@centers.moj-help.example"
m["Subject"] = "請幫忙"
m["Message-ID"] = "<direct3@example.com>"
m.set_content("我叫%s，身分證 %s，電話 %s，住%s，想戒毒。\n"
              % (c["name"], c["id"], c["phone"], c["addr"]))
open(out + "/3.direct", "wb").write(bytes(m))
# Not mail: NUL bytes around a person's data.
open(out + "/4.broken", "wb").write(
    b"\0\0\0" + ("姓名：%s 身分證：%s 電話：%s" % (a["name"], a["id"], a["tel"])).encode()
    + b"\0" * 64)
# What must not leak, one per line (drug words: not in what leaves).
with open(people, "w") as f:
    for p in (a, b, c):
        for k in ("name", "id", "tel", "phone", "street"):
            f.write(p[k] + "\n")
with open(people + ".mail", "w") as f:
    for p in (a, b, c):
        f.write(p["mail"] + "\n")
with open(people + ".drugs", "w") as f:
    f.write(a["drug"] + "\n" + b["drug"] + "\n")
with open(people + ".a", "w") as f:
    for k in ("name", "id", "tel", "street", "birth", "drug"):
        f.write(a[k] + "\n")
PY

# leaks FILE: the lines of $T/people found in FILE (nothing, we hope).
leaks() { grep -F -o -f "$T/people" "$1" | sort -u | tr '\n' ' ' || true; }

"$L" run "${C[@]}" -v --debug >"$T/out1" 2>&1 || true
tap_is "the run filed three cases and quarantined the rest" \
	"$(sqlite3 "$DB" "SELECT count(*) FROM cases") $(sqlite3 "$DB" "SELECT count(*) FROM arrivals WHERE quarantine IS NOT NULL")" \
	"3 1"
tap_is "no personal data in the run's output and debug log" "$(leaks "$T/out1")" ""
tap_is "... nor any drug named in a letter" \
	"$(grep -F -o -f "$T/people.drugs" "$T/out1" | sort -u | tr '\n' ' ' || true)" ""
"$L" quarantine list "${C[@]}" >"$T/q" 2>&1 || true
"$L" status "${C[@]}" >>"$T/q" 2>&1 || true
"$L" case list "${C[@]}" >>"$T/q" 2>&1 || true
tap_is "... nor in the quarantine's listing, status or the case list" \
	"$(leaks "$T/q")" ""
tap_ok "acknowledgements, duty alert and staff notices delivered" \
	harness_wait_delivered 7 60
for who in zhiming.lin0412@example.org meiling.chen85@example.net \
	jianguo.huang@example.com; do
	f=$(delivered_to "$who")
	body "$f" >"$T/ack-$who"
done
tap_is "the acknowledgements name nobody and no drug" \
	"$(cat "$T"/ack-* >"$T/acks"; leaks "$T/acks")$(grep -F -o -f "$T/people.drugs" "$T/acks" || true)" ""

# Cases move on: one to the police (to find the person), one to health.
# (Message-IDs are kept keyed: the cases are told by source and urgency.)
case_a=$(sqlite3 "$DB" "SELECT number FROM cases WHERE source = 'webform' AND urgency = 'emergency'")
case_c=$(sqlite3 "$DB" "SELECT number FROM cases WHERE source = 'direct'")
case_b=$(sqlite3 "$DB" "SELECT number FROM cases WHERE source = 'webform' AND urgency <> 'emergency'")
for n in "$case_a" "$case_b"; do
	for s in registered contacted assessed; do
		"$L" case set "${C[@]}" "$n" "$s" --as a@tpe.centers.example >/dev/null
	done
done
"$L" case set "${C[@]}" "$case_a" referred --group police \
	--agency 臺北市政府警察局 --as a@tpe.centers.example >/dev/null
"$L" case set "${C[@]}" "$case_b" referred --group health \
	--agency 臺北市立聯合醫院 --as a@tpe.centers.example >/dev/null
# Deadlines past: reminders go out.
sqlite3 "$DB" "UPDATE deadlines SET due_day = '2026-01-05' WHERE outcome IS NULL"
"$L" run "${C[@]}" -v --debug >"$T/out2" 2>&1 || true
tap_is "no personal data in the second run's log" "$(leaks "$T/out2")" ""
tap_ok "referrals and reminders delivered" harness_wait_delivered 11 60
body "$(with_subject police@tppd.partners.example '[轉介 ')" >"$T/police"
tap_like "(the referral notice)" "$(head -1 "$T/police")" "^\[轉介 $case_a-R1\]"
tap_is "the police referral: name, phone, address, birth date to find the person" \
	"$(for k in 林志明 0912345678 民生東路 民國79年4月12日; do grep -q -F "$k" "$T/police" && echo -n "$k "; done)" \
	"林志明 0912345678 民生東路 民國79年4月12日 "
tap_is "... but not the ID number, the drug or the letter" \
	"$(grep -F -o -e "$(sed -n 2p "$T/people")" -e 海洛因 -e 很想死 -e 過量 "$T/police" || true)" ""
body "$(with_subject clinic@tpehealth.partners.example '[轉介 ')" >"$T/health"
tap_like "(the referral notice)" "$(head -1 "$T/health")" "^\[轉介 $case_b-R1\]"
tap_is "the health referral: no address, no ID number" \
	"$(grep -F -o -e 文化路二段 -e "$(sed -n 7p "$T/people")" "$T/health" || true)" ""
body "$(with_subject a@tpe.centers.example 提醒)" >"$T/reminder"
tap_like "the staff reminder names the overdue case" "$(cat "$T/reminder")" "$case_c：編號列冊"
body "$(with_subject police@tppd.partners.example 提醒)" >"$T/police-reminder"
tap_like "the police's reminder names the referral" \
	"$(cat "$T/police-reminder")" "$case_a-R1  回覆期限"
tap_is "... and no person" "$(leaks "$T/police-reminder")" ""
tap_is "... and no person" "$(leaks "$T/reminder")" ""
"$L" run "${C[@]}" >/dev/null 2>&1 || true
# At rest, decoded as a thief would (every table cell and file, raw,
# base64, quoted-printable, as mail): no name, ID, phone, street, e-mail
# address, drug, word of a letter or a letter's Message-ID (a writer's
# may carry their address).
printf '%s\n' 很想死 過量 戒癮治療 就業輔導 想戒毒 \
	form1@moj-help.example form2@moj-help.example direct3@example.com \
	>"$T/people.words"
tap_is "what lamplight keeps on disk (database, spool) holds none of it" \
	"$(/usr/bin/python3 "$SOURCE_ROOT/tests/tools/at-rest" "$T/state" \
		"$T/people" "$T/people.mail" "$T/people.drugs" \
		"$T/people.words" | tr '\n' ';')" ""
tap_done
