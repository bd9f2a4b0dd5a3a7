#!/usr/bin/env bash
# The monthly report: cases in three centres moved along the SOP, then
# the month's CSV (counts that can be checked by hand, every centre and
# the country) and its HTML page, which headless Chromium renders; the
# screenshot is kept as a test artefact.
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
tap_like "... titled in Chinese, with the 民國 year" "$(grep -o '<h1>[^<]*' "$T/r.html")" \
	"全國毒品危害防制中心 1[0-9][0-9] 年 [0-9]+ 月"

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
