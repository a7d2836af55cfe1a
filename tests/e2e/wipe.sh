#!/usr/bin/env bash
# Verified wipe (issue 12): `wipe --case ID --ingest N SOURCE` after the
# acquisition: refused without confirmation, when the card holds a file the
# vault lacks, when the vault's copy does not verify, when a device's
# deleted files were not acquired or it changed since; a directory is
# overwritten file by file (a hard link kept aside shows the bytes are
# zeros, not only unlinked) and a loop device as a whole, each proven by a
# read-back and recorded in the custody log.
. "$(dirname "$0")/lib/common.sh"

S=$T/card
make_files "$S" DCIM/100MEDIA/DJI_0001.JPG:200000 DCIM/100MEDIA/DJI_0002.MP4:300000 MISC/FLY.TXT:5000
ln "$S/DCIM/100MEDIA/DJI_0001.JPG" "$T/aside.jpg"
V=$T/vault
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" ingest --case W --operator tester "$S"
# never without confirmation (not a terminal here)
expect_exit 2 "$DV" --vault "$V" wipe --case W --ingest 1 --operator tester "$S" </dev/null
check "no confirmation: refused" grep -q 'not confirmed' "$T/last.err"
check "no confirmation: nothing wiped" test -s "$S/MISC/FLY.TXT"
# a file the vault lacks
make_files "$S" MISC/NEW.TXT:100
expect_exit 1 "$DV" --vault "$V" wipe --case W --ingest 1 --operator tester --yes "$S"
check "a file not in the vault: refused, named" grep -q 'MISC/NEW.TXT.*not in ingest 1' "$T/last.err"
check "refused: nothing wiped" cmp -s "$S/DCIM/100MEDIA/DJI_0001.JPG" "$T/aside.jpg"
check "refused: the file is still there" test -s "$S/MISC/FLY.TXT"
rm "$S/MISC/NEW.TXT"
# a file changed since
cp "$S/MISC/FLY.TXT" "$T/fly.bak"
head -c 5000 /dev/urandom >"$S/MISC/FLY.TXT"
expect_exit 1 "$DV" --vault "$V" wipe --case W --ingest 1 --operator tester --yes "$S"
check "a changed file: refused" grep -q 'not what ingest 1 stored' "$T/last.err"
cp "$T/fly.bak" "$S/MISC/FLY.TXT"
# the vault's copy must verify: a blob flipped (and put back after: on
# S3 the flipped bytes are a new version over the locked one)
b=$(vault_blob_names "$V" | head -1)
vault_blob_flip "$V" "$b" 200
expect_exit 1 "$DV" --vault "$V" wipe --case W --ingest 1 --operator tester --yes "$S"
check "a blob that does not verify: refused" grep -q 'refused' "$T/last.err"
check "refused: the card intact" test "$(hashes "$S" | wc -l)" -eq 3
vault_blob_unflip "$V" "$b" 200
# wiped
expect_exit 0 "$DV" --vault "$V" wipe --case W --ingest 1 --operator tester --yes --json "$S"
j=$(cat "$T/last.out")
check "directory: wiped 3 files" grep -q '"wiped":true,"files":3,"bytes":505000' <<<"$j"
check "directory: read back as zeros" grep -q '"readback_zero":true' <<<"$j"
check "directory: no file left" test -z "$(find "$S" -type f)"
check "directory: the bytes were overwritten, not only unlinked" cmp -s "$T/aside.jpg" <(head -c 200000 /dev/zero)
expect_exit 0 "$DV" --vault "$V" log --case W --json
check "custody: the wipe with each file's read-back" python3 -c '
import json, sys, hashlib
e = [x for x in json.load(open(sys.argv[1])) if x.get("action") == "wipe"]
z = hashlib.sha256(bytes(5000)).hexdigest()
ok = e and e[-1]["readback_zero"] and any(w["path"] == "MISC/FLY.TXT" and w["readback_sha256"] == z for w in e[-1]["wiped"])
sys.exit(0 if ok else 1)' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" verify

# a card as a block device (loop): needs its deleted files acquired, the
# same image hash, then the whole device
img=$T/card.img
dd if=/dev/zero of="$img" bs=1M count=40 status=none
mkfs.vfat -F 32 "$img" >/dev/null
mcopy -i "$img" "$T/fly.bak" ::FLY.TXT
head -c 70000 /dev/urandom >"$T/gone.jpg"
mcopy -i "$img" "$T/gone.jpg" ::GONE.JPG
mdel -i "$img" ::GONE.JPG
if loop=$(losetup -f --show "$img" 2>/dev/null); then
  trap 'losetup -d "$loop" 2>/dev/null || true; rm -rf "$T"' EXIT
  expect_exit 0 "$DV" --vault "$V" ingest --case DEV --operator tester --json "$loop"
  n=$(sed -n 's/.*"ingest":\([0-9]*\),.*/\1/p' "$T/last.out")
  expect_exit 1 "$DV" --vault "$V" wipe --case DEV --ingest "$n" --operator tester --yes "$loop"
  check "device: refused before its deleted files are acquired" grep -q 'recover-deleted' "$T/last.err"
  expect_exit 0 "$DV" --vault "$V" ingest --case DEV --operator tester --recover-deleted "$loop"
  # changed since: refused
  printf 'x' | dd of="$loop" bs=1 seek=$((30 * 1024 * 1024)) conv=notrunc status=none
  expect_exit 1 "$DV" --vault "$V" wipe --case DEV --ingest "$n" --operator tester --yes "$loop"
  check "device: refused when it no longer hashes as acquired" grep -q 'no longer hashes' "$T/last.err"
  printf '\0' | dd of="$loop" bs=1 seek=$((30 * 1024 * 1024)) conv=notrunc status=none
  expect_exit 0 "$DV" --vault "$V" wipe --case DEV --ingest "$n" --operator tester --yes --json "$loop"
  check "device: read back as zeros" grep -q '"readback_zero":true' "$T/last.out"
  zsha=$(head -c $((40 * 1024 * 1024)) /dev/zero | sha256sum | cut -c1-64)
  check "device: read-back SHA-256 is 40 MiB of zeros" grep -q "\"readback_sha256\":\"$zsha\"" "$T/last.out"
  sync
  check "device: the backing image is all zeros" cmp -s "$img" <(head -c $((40 * 1024 * 1024)) /dev/zero)
  expect_exit 0 "$DV" --vault "$V" log --case DEV --json
  check "custody: the device wipe with its method and proof" grep -q "\"action\":\"wipe\".*\"readback_sha256\":\"$zsha\"" "$T/last.out"
  losetup -d "$loop"
else
  echo "note: no loop device here; the device wipe was not exercised"
fi
expect_exit 1 "$DV" --vault "$V" wipe --case W --ingest 99 --operator tester --yes "$S"
expect_exit 0 "$DV" --vault "$V" verify
finish
