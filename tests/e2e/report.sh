#!/usr/bin/env bash
# The monthly report: cases in three centres moved along the SOP, then
# the month's CSV (counts that can be checked by hand, every centre and
# the country) and its HTML page, which headless Chromium renders; the
# screenshot is kept as a test artefact.  Then what a supervisor hands
# on: the month in 民國 or Gregorian, months refused, an empty month and
# an empty database said in words, the title of the centres covered, a
# hand-over to a county outside the config counted.
set -euo pipefail
. "$SOURCE_ROOT/tests/e2e/lib.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
L=$LAMPLIGHT
C=(-c "$T/l.conf")
DB=$T/state/lamplight.db
ART=${LAMPLIGHT_ARTEFACTS:-$T/artefacts}
mkdir -p "$ART"
write_config "$T/l.conf" "$T/state" \
"$(centre TNN)
staff = a@tnn.centers.example
partners.health = clinic@tnhealth.partners.example" \
"$(centre NWT)
staff = b@nwt.centers.example" \
"$(centre TXG)
staff = c@txg.centers.example"
for f in form-v2-emergency form-v2-application direct-utf8; do
	"$L" ingest "${C[@]}" <"$SOURCE_ROOT/tests/corpus/$f.eml" 2>/dev/null || true
done
num() { sqlite3 "$DB" "SELECT number FROM cases WHERE county = '$1'"; }
tnn=$(num TNN) txg=$(num TXG)
for s in registered contacted assessed; do
	"$L" case set "${C[@]}" "$tnn" "$s" --as a@tnn.centers.example >/dev/null
done
"$L" case set "${C[@]}" "$tnn" referred --group health --agency 臺南市衛生局 \
	--as a@tnn.centers.example >/dev/null 2>&1
"$L" case set "${C[@]}" "$txg" closed --reason unreachable \
	--as c@txg.centers.example >/dev/null
# NWT's first step is long past.
sqlite3 "$DB" "UPDATE deadlines SET due_day = '2026-01-05' WHERE outcome IS NULL AND case_id = (SELECT id FROM cases WHERE county = 'NWT')"
month=$(TZ=Asia/Taipei date +%Y-%m)

"$L" report "${C[@]}" --month "$month" -o "$T/r.csv"
# cell SECTION CENTRE KEY: a count from the CSV.
cell() {
	awk -F, -v s="$1" -v c="$2" -v k="$3" \
		'{ sub(/\r$/, "") } $2 == s && $4 == c && $6 == k { print $8 }' "$T/r.csv"
}
tap_is "the CSV starts with a BOM and its header" \
	"$(head -c 3 "$T/r.csv" | od -An -tx1 | tr -d ' ') $(head -1 "$T/r.csv" | tail -c +4 | tr -d '\r')" \
	"efbbbf month,section,section_label,centre,centre_name,key,label,count"
tap_is "new cases by source, per centre and the country" \
	"$(cell source TNN webform) $(cell source NWT webform) $(cell source TXG direct) $(cell source ALL webform) $(cell source ALL direct)" \
	"1 1 1 2 1"
tap_is "by urgency" \
	"$(cell urgency TNN emergency) $(cell urgency NWT application) $(cell urgency ALL consultation)" \
	"1 1 1"
tap_is "by need (a case with several counts in each)" \
	"$(cell need TNN detox_treatment) $(cell need ALL counseling) $(cell need TXG schooling) $(cell need ALL legal)" \
	"1 2 1 0"
tap_is "referrals by group" "$(cell referral TNN health) $(cell referral ALL social)" "1 0"
tap_is "where the month's cases stand" \
	"$(cell state TNN referred) $(cell state NWT received) $(cell state TXG closed)" "1 1 1"
tap_is "closed by reason" "$(cell closed TXG unreachable) $(cell closed ALL improved)" "1 0"
tap_is "overdue steps" "$(cell overdue NWT register) $(cell overdue TNN register)" "1 0"
tap_is "every centre and the country, every key: no row missing" \
	"$(awk -F, 'NR > 1 { n[$2]++ } END { for (s in n) printf "%s=%d ", s, n[s] }' "$T/r.csv" | tr ' ' '\n' | sort | tr '\n' ' ')" \
	"closed=20 need=56 overdue=32 referral=20 source=40 state=28 urgency=12 "
tap_is "counts only: no case number in it" "$(grep -c -E '[A-Z]{3}-1[0-9]{6}-[0-9]{4}' "$T/r.csv" || true)" 0
"$L" report "${C[@]}" --month "$month" --centre NWT -o "$T/nwt.csv"
tap_is "one centre's report has that centre alone" \
	"$(awk -F, 'NR > 1 { print $4 }' "$T/nwt.csv" | sort -u)" NWT
"$L" report "${C[@]}" --month 2026-13 >/dev/null 2>&1 && rc=0 || rc=$?
tap_is "a month that is none: a usage error" "$rc" 64

"$L" report "${C[@]}" --month "$month" --html -o "$T/r.html"
tap_is "the HTML page: seven charts in inline SVG" \
	"$(grep -o '<svg class="chart"' "$T/r.html" | wc -l)" 7
tap_is "... self-contained: no script, no link, nothing fetched" \
	"$(grep -c -i -E '<script|<link|src=|url\(|@import' "$T/r.html" || true)" 0
tap_like "... titled with the three centres it covers, the 民國 year" \
	"$(grep -o '<h1>[^<]*' "$T/r.html")" \
	"<h1>臺南市政府、新北市政府、臺中市政府毒品危害防制中心 1[0-9][0-9] 年 [0-9]+ 月（$month）月報"
tap_is "... no body that is not there" "$(grep -c 全國 "$T/r.html" || true)" 0
"$L" report "${C[@]}" --month "$month" --centre TNN --html -o "$T/tnn.html"
tap_like "one centre's page is titled with that centre" \
	"$(grep -o '<h1>[^<]*' "$T/tnn.html")" "<h1>臺南市政府毒品危害防制中心 1[0-9][0-9] 年"

# The month in 民國 or Gregorian: the same report, byte for byte.
roc=$(( ${month%-*} - 1911 ))-${month#*-}
now=$(TZ=Asia/Taipei date -Iseconds)
LAMPLIGHT_NOW=$now "$L" report "${C[@]}" --month "$month" --html -o "$T/g.html"
LAMPLIGHT_NOW=$now "$L" report "${C[@]}" --month "$roc" --html -o "$T/roc.html"
LAMPLIGHT_NOW=$now "$L" report "${C[@]}" --month "${roc%-*}年${month#*-}月" -o "$T/roc.csv"
tap_is "--month $roc is --month $month" \
	"$(cmp -s "$T/g.html" "$T/roc.html" && cmp -s "$T/r.csv" "$T/roc.csv" && echo same)" same
next_year=$(( ${month%-*} + 1 ))-01
for m in 115-13 2026-00 abc 1911-12 0-11 2026-11-01 "$next_year"; do
	err=$("$L" report "${C[@]}" --month "$m" 2>&1 >/dev/null) && rc=0 || rc=$?
	tap_like "--month '$m' refused, saying why" "$rc $err" \
		"^64 lamplight report: .*'$m'"
done

# An empty month: said, with the latest month that had something.
prev=$(TZ=Asia/Taipei date -d "${month}-15 -1 month" +%Y-%m)
err=$("$L" report "${C[@]}" --month "$prev" --html -o "$T/empty.html" 2>&1)
tap_like "an empty month is said on the page, with the latest month with data" \
	"$(grep -o '<p class="empty">.*</p>' "$T/empty.html" | sed 's/<[^>]*>//g')" \
	"^1[0-9][0-9] 年 [0-9]+ 月（$prev）沒有新案件，也沒有轉介或結案。.*有資料的最近月份是 1[0-9][0-9] 年 [0-9]+ 月（$month）。"
tap_is "... and nothing on stderr, not at a terminal (cron would mail it)" "$err" ""
err=$("$L" report "${C[@]}" --month "$prev" -v -o "$T/empty.csv" 2>&1)
tap_is "... with -v on stderr, for the CSV" "$err" \
	"lamplight report: no case opened, referred or closed in $prev; the latest month with any is $month"

# An empty database: a report all zeros, which says there is nothing.
E=$T/empty
mkdir -p "$E"
write_config "$E/l.conf" "$E/state" "$(centre KHH)
staff = d@khh.centers.example"
"$L" init -c "$E/l.conf" >/dev/null 2>&1
"$L" report -c "$E/l.conf" --month "$prev" --html -o "$E/r.html" 2>"$E/err" && rc=0 || rc=$?
tap_like "an empty database: a page that says so" \
	"$rc $(grep -o '<p class="empty">.*</p>' "$E/r.html" | sed 's/<[^>]*>//g')" \
	"^0 .*沒有新案件，也沒有轉介或結案。以下各項皆為 0。目前尚無任何案件紀錄。"
tap_like "... titled with its one centre" "$(grep -o '<h1>[^<]*' "$E/r.html")" \
	"<h1>高雄市政府毒品危害防制中心 1[0-9][0-9] 年"

# Bars of one scale: every bar of the case charts is as long per case.
tap_is "the case charts share one scale; overdue steps have their own" \
	"$(/usr/bin/python3 - "$T/r.html" <<'PY'
import re, sys
page = open(sys.argv[1]).read()
out = []
for sec, svg in re.findall(r'<section id="(\w+)">.*?(<svg.*?</svg>)', page, re.S):
    scale = int(re.search(r'data-scale="(\d+)"', svg).group(1))
    for w, n in re.findall(r'<rect [^>]*width="(\d+)"[^>]*/><text[^>]*>(\d+)</text>', svg):
        if int(w) != max(1, int(n) * 380 // scale):
            out.append("%s: %s drawn %s on %d" % (sec, n, w, scale))
    out.append("%s %d" % ("steps" if sec == "overdue" else "cases", scale))
print(" ".join(sorted(set(out))))
PY
)" "cases 2 steps 1"

# A hand-over to a county outside the config: counted in the total and
# listed, not lost.
H=$T/handover
mkdir -p "$H"
write_config "$H/l.conf" "$H/state" "$(centre TNN)
staff = a@tnn.centers.example"
"$L" ingest -c "$H/l.conf" <"$SOURCE_ROOT/tests/corpus/form-v2-emergency.eml" 2>/dev/null || true
n=$(sqlite3 "$H/state/lamplight.db" "SELECT number FROM cases WHERE county = 'TNN'")
"$L" case set -c "$H/l.conf" "$n" closed --reason moved --to PIF \
	--as a@tnn.centers.example >/dev/null
"$L" report -c "$H/l.conf" --month "$month" -o "$H/r.csv"
cell_h() { awk -F, -v s="$1" -v c="$2" -v k="$3" \
	'{ sub(/\r$/, "") } $2 == s && $4 == c && $6 == k { print $8 }' "$H/r.csv"; }
tap_is "a hand-over to PIF: closed moved in TNN, opened in PIF, both in the total" \
	"$(cell_h closed TNN moved) $(cell_h source PIF centre) $(cell_h source ALL centre) $(cell_h source ALL webform) $(cell_h state ALL received)" \
	"1 1 1 1 1"
tap_is "... named as a county outside the system" \
	"$(awk -F, '$4 == "PIF" { print $5 }' "$H/r.csv" | sort -u)" "屏東縣（移交至本系統以外的中心）"
"$L" report -c "$H/l.conf" --month "$month" --html -o "$H/r.html"
tap_like "... and said on the page" "$(cat "$H/r.html")" \
	"合計含移交至本系統以外中心的案件（屏東縣）"
tap_like "one centre configured: the page is titled with it" \
	"$(grep -o '<h1>[^<]*' "$H/r.html")" "<h1>臺南市政府毒品危害防制中心 1[0-9][0-9] 年"

# Chromium renders it; the screenshot is kept.
chrome=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $chrome ]]; then
	tap_fail "chromium is installed (scripts/setup installs it)"
else
	(cd "$T" && HOME=$T timeout 120 "$chrome" --headless=new --no-sandbox \
		--disable-gpu --hide-scrollbars --window-size=1000,1400 \
		--screenshot="$ART/report.png" "file://$T/r.html" >/dev/null 2>&1) || true
	(cd "$T" && HOME=$T timeout 120 "$chrome" --headless=new --no-sandbox \
		--disable-gpu --dump-dom "file://$T/r.html" 2>/dev/null) >"$T/dom" || true
	tap_is "Chromium reads the page: seven charts, their bars" \
		"$(grep -o '<svg class="chart"' "$T/dom" | wc -l) $(grep -o '<rect ' "$T/dom" | wc -l)" \
		"7 $(grep -o '<rect ' "$T/r.html" | wc -l)"
	# The screenshot shows the charts: the first chart's blue bars are
	# there among its pixels.
	tap_is "the screenshot shows the charts ($ART/report.png)" \
		"$(/usr/bin/python3 - "$ART/report.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        bpp = {2: 3, 6: 4}[ctype]
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride, prev, rows = zlib.decompress(idat), w * bpp, None, []
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i] if prev else 0
        c = prev[i - bpp] if prev and i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    prev = line
blue = sum(1 for r in rows for i in range(0, stride, bpp) if tuple(r[i:i + 3]) == (0x3b, 0x6e, 0xa5))
print("blue bars" if blue > 500 else "no bars (%d pixels)" % blue)
PY
)" "blue bars"
fi
tap_done
