#!/usr/bin/env bash
# Export under attack: hostile names (directory source and a FAT image whose
# long names are absolute, hold "..", or a tab) never make a case
# unexportable; every file comes out, unsafe names under a safe one with a
# mapping in the package; SHA256SUMS passes `sha256sum -c`; files 0600 and
# directories 0700 unless --mode; export.start is logged before the copy.
. "$(dirname "$0")/lib/common.sh"

V=$T/vault
new_vault "$V"
S=$T/src
mkdir -p "$S/DCIM/100MEDIA" "$S/SHA256SUMS"
esc=$(printf '\033')
del=$(printf '\177')
for n in "new
line.jpg" "tab	x.jpg" "esc${esc}[2Jred.jpg" "del${del}.jpg" 'back\slash.jpg' "cr$(printf '\r')x.jpg" plain.jpg; do
  head -c 1000 /dev/urandom >"$S/DCIM/100MEDIA/$n"
done
head -c 100 /dev/urandom >"$S/SHA256SUMS/inside"
head -c 100 /dev/urandom >"$S/top.jpg"
nsrc=$(find "$S" -type f -print0 | tr -cd "\\0" | wc -c)
expect_exit 0 "$DV" --vault "$V" ingest --case H --operator 'PC Name' "$S"
expect_exit 0 "$DV" --vault "$V" export --case H --operator 'PC Name' --to "$T/out"
check "renamed files reported" grep -q 'renamed  *6 files' "$T/last.out"
check "sha256sum -c accepts SHA256SUMS" bash -c "cd '$T/out' && sha256sum --quiet -c SHA256SUMS"
check "every file listed (plus the name map)" test "$(grep -c . "$T/out/SHA256SUMS")" -eq $((nsrc + 1))
check "a backslash name keeps its name, escaped in SHA256SUMS" grep -q '^\\[0-9a-f]\{64\}  DCIM/100MEDIA/back\\\\slash.jpg$' "$T/out/SHA256SUMS"
check "the card's own SHA256SUMS directory did not clash" test -f "$T/out/SHA256SUMS"
check "no control byte in any exported name" bash -c "! (cd '$T/out' && find . -print | LC_ALL=C grep -q '[[:cntrl:]]')"
# the mapping file names every original path (hex) and its content
check "mapping maps every renamed file back to the card" python3 - "$S" "$T/out" <<'PY'
import hashlib, json, os, sys
src, out = sys.argv[1].encode(), sys.argv[2]
m = json.load(open(os.path.join(out, '_dronevault_renamed.json')))
assert len(m) == 6, len(m)
for e in m:
    orig = bytes.fromhex(e['original_hex'])
    data = open(os.path.join(src, orig), 'rb').read()
    got = open(os.path.join(out, e['exported_as']), 'rb').read()
    assert data == got and hashlib.sha256(got).hexdigest() == e['sha256'], e
PY
check "safe names keep as much of the name as is safe" bash -c "ls '$T/out/_dronevault_renamed/' | grep -qx '[0-9]\{6\}-tab_x.jpg'"
check "plain names unchanged" cmp "$S/DCIM/100MEDIA/plain.jpg" "$T/out/DCIM/100MEDIA/plain.jpg"
check "files 0600" test "$(stat -c %a "$T/out/DCIM/100MEDIA/plain.jpg") $(stat -c %a "$T/out/SHA256SUMS")" = "600 600"
check "directories 0700" test "$(stat -c %a "$T/out") $(stat -c %a "$T/out/DCIM") $(stat -c %a "$T/out/DCIM/100MEDIA")" = "700 700 700"
expect_exit 0 "$DV" --vault "$V" export --case H --mode 0640 --to "$T/out640"
check "--mode 0640: files 640, directories 750" test "$(stat -c %a "$T/out640/top.jpg") $(stat -c %a "$T/out640/DCIM")" = "640 750"
expect_exit 2 "$DV" --vault "$V" export --case H --mode 9 --to "$T/outbad"
ln -s "$T/elsewhere" "$T/link"
mkdir "$T/elsewhere"
expect_exit 1 "$DV" --vault "$V" export --case H --to "$T/link"
check "a destination that is a link is not followed" test -z "$(ls -A "$T/elsewhere")"
expect_exit 0 "$DV" --vault "$V" log --case H --json
check "export.start logged" grep -q '"action":"export.start"' "$T/last.out"
check "export names its start" grep -q '"start_entry":' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" verify

# FAT long names a card should never hold: patched into the image's LFN
# entries (the LFN checksum covers the short name only).
if command -v mformat >/dev/null && command -v mcopy >/dev/null; then
  img=$T/fat.img
  mformat -C -i "$img" -T 8192 -h 2 -s 32 :: >/dev/null
  mmd -i "$img" ::/DCIM
  for n in abcdefghijk Qabs.jpgxyz tabxname-long.jpg; do
    head -c 300 /dev/urandom >"$T/$n"
    mcopy -i "$img" "$T/$n" "::/DCIM/$n"
  done
  python3 - "$img" <<'PY'
import sys
p = sys.argv[1]; d = bytearray(open(p, 'rb').read())
u = lambda s: ''.join(c + '\0' for c in s).encode('latin1')
def rep(a, b):
    i = d.find(u(a)); assert i >= 0, a; d[i:i + len(u(b))] = u(b)
rep('abcde', '../..'); rep('fghijk', '/e.jpg')   # DCIM/../../e.jpg
rep('Qabs.', '/abs.')                             # DCIM//abs.jpgxyz
rep('tabxn', 'tab\tn')                            # a tab
open(p, 'wb').write(d)
PY
  expect_exit 0 "$DV" --vault "$V" ingest --case FAT --operator o "$img"
  expect_exit 0 "$DV" --vault "$V" export --case FAT --to "$T/fatout"
  check "FAT: all 3 hostile names renamed" grep -q 'renamed  *3 files' "$T/last.out"
  check "FAT: sha256sum -c" bash -c "cd '$T/fatout' && sha256sum --quiet -c SHA256SUMS"
  check "FAT: nothing outside the export" test ! -e "$T/e.jpg" -a ! -e /abs.jpgxyz
  check "FAT: mapping holds the '..' path" grep -q '"original":"DCIM/../../e.jpg"' "$T/fatout/_dronevault_renamed.json"
  for n in abcdefghijk Qabs.jpgxyz tabxname-long.jpg; do
    sha=$(sha256sum <"$T/$n" | cut -c1-64)
    check "FAT: $n exported" grep -q "^$sha  _dronevault_renamed/" "$T/fatout/SHA256SUMS"
  done
fi
finish
