#!/usr/bin/env bash
# e2e: dronevault radio over the three Open Drone ID sample captures.
# --frames must reproduce the reference dissector's ground truth byte for
# byte; the report must name the aircraft, the operator position and the
# empty packs; exit 4 (a finding) when broadcasts are found.
set -uo pipefail
P=${DV_SHARED:-}/audit/pcaps
[ -n "${DV_SHARED:-}" ] && [ -d "$P/expected" ] || { echo "skipped: no \$DV_SHARED/audit/pcaps"; exit 77; }
T=$(mktemp -d "${DV_TMP:-/tmp}/radio.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
ck() { if "$@"; then :; else echo "FAIL: $*"; fail=1; fi; }

for f in opendroneid_odid_wifi_bcn_sample.pcap opendroneid_odid_wifi_sample.pcap opendroneid_odid_bt5_lr_sample.pcapng; do
  # every frame the report counts is listed; a pack cut short gets its row
  # and '# frame N: message pack cut at byte K' - the reference dissector
  # prints no row for those, so the comparison drops them with the comments
  "$DV" radio --frames "$P/$f" > "$T/all.tsv"
  awk -F'\t' '/^# frame [0-9]+: message pack cut at byte [0-9]+$/ { split($0, w, " "); sub(":", "", w[3]); cut[w[3]] = 1; next }
               /^#/ { next } { rows[++n] = $0; no[n] = $1 }
               END { for (i = 1; i <= n; i++) if (!(no[i] in cut)) print rows[i] }' "$T/all.tsv" > "$T/got.tsv"
  grep -v '^#' "$P/expected/$f.odid.tsv" > "$T/want.tsv"
  if cmp -s "$T/got.tsv" "$T/want.tsv"; then
    echo "ok: $f: $(wc -l < "$T/want.tsv") frames identical to the reference dissector"
  else
    echo "FAIL: $f differs from the reference"; diff "$T/want.tsv" "$T/got.tsv" | head -20; fail=1
  fi
done

# the bt5 sample has two packs cut short: listed (row + comment), not dropped
ck test "$(grep -c '^# frame [0-9]*: message pack cut at byte' "$T/all.tsv")" -eq 2
ck grep -q '^261	15,' "$T/all.tsv"

"$DV" radio "$P/opendroneid_odid_wifi_bcn_sample.pcap" "$P/opendroneid_odid_bt5_lr_sample.pcapng" > "$T/report.txt"
rc=$?
ck test "$rc" -eq 4
ck grep -q 'MFG1A0123456789' "$T/report.txt"
ck grep -q 'SSEVTFG93700070' "$T/report.txt"
ck grep -q 'operator       45.5443876,-122.9726866' "$T/report.txt"
ck grep -q 'learned where the pilot stood' "$T/report.txt"
ck grep -q 'empty message pack (quantity 0): 25 frames (1-25)' "$T/report.txt"
ck grep -q 'track          no position broadcast' "$T/report.txt"

"$DV" radio --json --geojson "$T/map.geojson" "$P/opendroneid_odid_wifi_sample.pcap" > "$T/report.json"
ck test $? -eq 4
ck grep -q '"transmitter":"84:cc:a8:60:43:24"' "$T/report.json"
ck grep -q '"Wi-Fi NAN"' "$T/report.json"
ck grep -q '"FeatureCollection"' "$T/map.geojson"
ck grep -q '"operator position (broadcast)"' "$T/map.geojson"

# an Ethernet capture cannot carry broadcast Remote ID: said, exit 0
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' > "$T/eth.pcap"
"$DV" radio "$T/eth.pcap" > "$T/eth.txt"
ck test $? -eq 0
ck grep -q 'cannot carry broadcast Remote ID' "$T/eth.txt"

# not a capture / missing file: exit 1 with the file named; usage: exit 2
printf 'not a capture' > "$T/junk.pcap"
"$DV" radio "$T/junk.pcap" > /dev/null 2> "$T/err"
ck test $? -eq 1
ck grep -q 'junk.pcap' "$T/err"
"$DV" radio > /dev/null 2>&1
ck test $? -eq 2
"$DV" radio --help | grep -q 'Remote ID'
ck test $? -eq 0
exit $fail
