#!/usr/bin/env bash
# Four stations of one central vault - the catalog and its custody chains in
# PostgreSQL, the sealed blobs in S3 with Object Lock (issue 16) - each its
# own directory, passphrase and signing key (station add), ingest at once:
# the same card at two stations, overlapping cards, two stations into one
# case, a multipart video. Every content is stored once (one object per
# distinct content under the prefix), every ingest completes, each case's
# log is one valid chain (verify from every station), and the log names the
# station of every entry.
. "$(dirname "$0")/lib/common.sh"
pg_available || { echo "skipped: PostgreSQL 15 is not installed"; exit 77; }
. "$(dirname "$0")/lib/s3.sh"
pg_start

check "lock bucket" test "$(s3_code -X PUT -H 'x-amz-bucket-object-lock-enabled: true' "$DV_S3_HTTPS/stations")" = 200
"$DV" sample-card "$T/a" >/dev/null
cp -a "$T/a" "$T/b"                                          # the same card at another station
make_files "$T/c" DCIM/100MEDIA/DJI_0901.JPG:300000 DCIM/100MEDIA/DJI_0902.JPG:200000
head -c 7000000 /dev/urandom >"$T/c/DCIM/100MEDIA/DJI_0903.MP4"   # 2 parts of 5 MiB
mkdir -p "$T/d"
n=0
for f in $(cd "$T/a" && find . -type f | sort); do             # half of a, half new
  n=$((n + 1))
  if [ $((n % 2)) -eq 0 ]; then mkdir -p "$T/d/$(dirname "$f")" && cp -p "$T/a/$f" "$T/d/$f"; fi
done
make_files "$T/d" DCIM/101MEDIA/DJI_0950.JPG:150000
distinct=$(find "$T/a" "$T/b" "$T/c" "$T/d" -type f -print0 | xargs -0 sha256sum | cut -c1-64 | sort -u | wc -l)

uri=$(pg_new_db)
V1=$T/one
expect_exit 0 "$DV" init --kdf-mem 8 --kdf-ops 1 --operator admin --station one --catalog "$uri" \
  --blobs s3://stations/agency --s3-endpoint "$DV_S3_HTTPS" --s3-ca "$DV_S3_CA" --retain-days 1 "$V1"
for s in two three four; do
  DRONEVAULT_NEW_PASSPHRASE="station $s passphrase" expect_exit 0 "$DV" --vault "$V1" station add "$s" \
    --kdf-mem 8 --kdf-ops 1 --operator admin "$T/$s"
done
check "each station its own directory, no custody.log" test ! -e "$T/two/custody.log" -a -f "$T/four/vault.json"
expect_exit 0 "$DV" --vault "$V1" station list --json
check "four stations registered" test "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/last.out")" -eq 4

pass() { [ "$1" = one ] && echo 'test passphrase 123' || echo "station $1 passphrase"; }
dir() { [ "$1" = one ] && echo "$V1" || echo "$T/$1"; }
pids=()
set -- one:a:2026-0001 two:b:2026-0002 three:c:2026-0001 four:d:2026-0003
for job in "$@"; do
  IFS=: read -r st src case_name <<<"$job"
  DRONEVAULT_PASSPHRASE=$(pass "$st") DV_S3_PART_BYTES=5242880 "$DV" --vault "$(dir "$st")" ingest --wait=120 \
    --case "$case_name" --operator "op $st" --json "$T/$src" >"$T/ingest-$st.out" 2>"$T/ingest-$st.err" &
  pids+=($!)
done
k=0
for job in "$@"; do
  IFS=: read -r st src case_name <<<"$job"
  rc=0
  wait "${pids[$k]}" || rc=$?
  k=$((k + 1))
  check "station $st: ingest exits 0 ($rc)" test "$rc" -eq 0
  check "station $st: the ingest is complete" grep -q '"complete":true' "$T/ingest-$st.out"
  [ "$rc" -eq 0 ] || cat "$T/ingest-$st.err" >&2
done

"${S3C[@]}" "$DV_S3_HTTPS/stations?prefix=agency%2Fblobs%2F" | { grep -o '<Key>[^<]*</Key>' || true; } >"$T/keys"
check "every content stored once ($(wc -l <"$T/keys") objects, $distinct distinct contents)" \
  test "$(wc -l <"$T/keys")" -eq "$distinct"
for st in one two three four; do
  DRONEVAULT_PASSPHRASE=$(pass "$st") expect_exit 0 "$DV" --vault "$(dir "$st")" verify
  check "station $st: verify intact (every case one valid chain, every blob locked)" grep -q "vault intact" "$T/last.out"
done
DRONEVAULT_PASSPHRASE=$(pass two) expect_exit 0 "$DV" --vault "$T/two" log --case 2026-0001 --json
check "the shared case's log names both stations that wrote it" \
  python3 -c 'import json,sys
e = json.load(open(sys.argv[1]))
e = e if isinstance(e, list) else e.get("entries", [])
names = {x.get("station") or x.get("station_name") or "" for x in e}
sys.exit(not ({"one", "three"} <= names))' "$T/last.out"
expect_exit 0 "$DV" --vault "$V1" export --case 2026-0001 --to "$T/out"
# one folder per ingest (ingest-N/): both cards' files, byte for byte
(cd "$T/a" && find . -type f -exec sha256sum {} +; cd "$T/c" && find . -type f -exec sha256sum {} +) | sort >"$T/want"
find "$T/out" -path '*/ingest-*' -type f -exec sha256sum {} + | sed "s|$T/out/ingest-[0-9]*/|./|" | sort >"$T/got"
check "the shared case exports both stations' cards byte for byte" cmp "$T/want" "$T/got"
finish
