#!/usr/bin/env bash
# The size oracle (issue 11): with the vault but not its key, a known file
# can no longer be confirmed by its size. 100 files of densely spaced sizes
# give a handful of blob sizes, and no blob has the size the old format
# (64 + P + 16 per MiB chunk) would have given any card file.
. "$(dirname "$0")/lib/common.sh"

specs=()
for i in $(seq 0 99); do specs+=("DCIM/DENSE_$i.JPG:$((30000 + 11 * i))"); done
for s in 4100 77777 250001 1048576 1500000 2345678 3999999; do specs+=("DCIM/DJI_$s.JPG:$s"); done
make_files "$T/card" "${specs[@]}"
V=$T/vault
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" ingest --case SIZES --operator tester "$T/card"
check "107 blobs" test "$(vault_blob_count "$V")" -eq 107

dense=$(for i in $(seq 0 99); do
  h=$(sha256sum "$T/card/DCIM/DENSE_$i.JPG" | cut -c1-64)
  echo "$h"
done | sort -u | wc -l)
check "100 distinct dense contents" test "$dense" -eq 100
# sizes of every blob; the dense ones are the blobs between 30000 and 32000 bytes
sizes=$(vault_blob_list "$V" | cut -d' ' -f2)
distinct=$(awk '$1 > 30000 && $1 < 32000' <<<"$sizes" | sort -u | wc -l)
check "100 close sizes give at most 3 blob sizes (got $distinct)" test "$distinct" -le 3
# the attack that worked: expected blob size from a known file's size
matched=0
for f in "$T"/card/DCIM/*.JPG; do
  p=$(stat -c %s "$f")
  n=$(( p == 0 ? 1 : (p + 1048575) / 1048576 ))
  want=$((64 + p + 16 * n))
  grep -qx "$want" <<<"$sizes" && matched=$((matched + 1))
done
check "no card file matched to a blob by its size (matched $matched)" test "$matched" -eq 0
# no blob header holds a card file's size where the old format kept it (u64 at offset 16)
heads=$(for b in $(vault_blob_names "$V"); do vault_blob_get "$V" "$b" "$T/h.blob"; od -An -v -tx1 -j16 -N8 "$T/h.blob" | tr -d ' \n'; echo; done)
found=0
for f in "$T"/card/DCIM/*.JPG; do
  grep -qx "$(printf '%016x' "$(stat -c %s "$f")")" <<<"$heads" && found=$((found + 1))
done
check "no file size in any blob header (found $found)" test "$found" -eq 0
expect_exit 0 "$DV" --vault "$V" verify
check "verify says intact" grep -q 'vault intact' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" export --case SIZES --to "$T/out"
check "export round trip" bash -c "cd '$T/out' && sha256sum -c --quiet SHA256SUMS"
finish
