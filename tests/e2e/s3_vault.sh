#!/usr/bin/env bash
# A vault whose blobs are in S3 with Object Lock (issue 16), against the
# project's own gateway (scripts/s3-gateway.sh): init's checks before any
# data moves (wrong CA, wrong credentials, clock skew, missing bucket,
# bucket without Object Lock, http:// off loopback), then init, ingest the
# sample card, verify, export; the store holds only sealed blobs under
# opaque names; COMPLIANCE locks the server enforces (delete, shorten);
# cases --retain-*, hold on/off, logged; verify names a blob that is missing
# or not locked; credentials from a 0600 file, in no message.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/s3.sh"

E=$DV_S3_HTTPS
check "lock bucket" test "$(s3_code -X PUT -H 'x-amz-bucket-object-lock-enabled: true' "$E/evidence")" = 200
check "plain bucket" test "$(s3_code -X PUT "$E/plainbucket")" = 200
"$DV" sample-card "$T/card" >/dev/null
mkdir -p "$T/card2" && head -c 12000000 /dev/urandom >"$T/card2/DJI_0009.MP4"
init() { "$DV" init --kdf-mem 8 --kdf-ops 1 --operator tester "$@"; }

# ---- refused before any data moves ----
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=other CA" -keyout "$T/other.key" -out "$T/other.pem" 2>/dev/null
expect_exit 1 init --blobs s3://evidence/u1 --s3-endpoint "$E" --s3-ca "$T/other.pem" "$T/v0"
check "wrong CA refused" grep -q "TLS certificate is not trusted" "$T/last.err"
check "wrong CA: nothing written" test ! -e "$T/v0/vault.json"
expect_exit 1 init --blobs s3://evidence/u1 --s3-endpoint "$E" "$T/v0"
check "system CAs do not trust the test CA" grep -q "not trusted" "$T/last.err"
expect_exit 1 env AWS_SECRET_ACCESS_KEY=wrongsecret "$DV" init --kdf-mem 8 --kdf-ops 1 --blobs s3://evidence/u1 \
  --s3-endpoint "$E" --s3-ca "$DV_S3_CA" "$T/v0"
check "wrong credentials: clear error" grep -q "HTTP 403 SignatureDoesNotMatch: the S3 credentials are wrong" "$T/last.err"
check "wrong credentials: the secret is in no message" bash -c "! grep -q wrongsecret '$T/last.err'"
expect_exit 1 env DV_S3_CLOCK_OFFSET=3600 "$DV" init --kdf-mem 8 --kdf-ops 1 --blobs s3://evidence/u1 \
  --s3-endpoint "$E" --s3-ca "$DV_S3_CA" "$T/v0"
check "clock skew: clear error" grep -q "RequestTimeTooSkewed: this station's clock" "$T/last.err"
expect_exit 1 init --blobs s3://nosuchbucket/u1 --s3-endpoint "$E" --s3-ca "$DV_S3_CA" "$T/v0"
check "missing bucket: clear error" grep -q "NoSuchBucket: bucket 'nosuchbucket' does not exist" "$T/last.err"
expect_exit 1 init --blobs s3://plainbucket/u1 --s3-endpoint "$E" --s3-ca "$DV_S3_CA" "$T/v0"
check "bucket without Object Lock refused" grep -q "has no Object Lock" "$T/last.err"
check "refusals wrote nothing" test ! -e "$T/v0/vault.json"
expect_exit 2 init --blobs s3://evidence/u1 --s3-endpoint http://192.0.2.1:80 "$T/v0"
check "http:// off loopback refused" grep -q "plain http:// only for a loopback endpoint" "$T/last.err"
expect_exit 0 init --blobs s3://evidence/plain --s3-endpoint "$DV_S3_HTTP" "$T/vhttp"
check "http:// on loopback warns" grep -q "warning: the S3 endpoint .* is plain http://" "$T/last.err"
expect_exit 2 init --blobs s3://Bad_Bucket --s3-endpoint "$E" "$T/v0"
check "bad bucket name is a usage error" grep -q "bucket names take" "$T/last.err"

# ---- an S3 vault ----
V=$T/v
expect_exit 0 init --blobs s3://evidence/unit7 --s3-endpoint "$E" --s3-ca "$DV_S3_CA" --retain-days 2 "$V"
check "vault.json records the store" grep -qF 's3:\/\/evidence\/unit7' "$V/vault.json"
check "no blob folder" test ! -e "$V/blobs"
expect_exit 0 "$DV" --vault "$V" ingest --case 2026-0007 --operator 'PC Weber' --json "$T/card"
check "ingest complete" grep -q '"complete":true' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" verify
check "verify intact" grep -q 'vault intact' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" export --case 2026-0007 --to "$T/out"
check "export sha256sum -c" bash -c "cd '$T/out' && sha256sum --quiet -c SHA256SUMS"
check "export identical to the card" bash -c "diff -r '$T/card' '$T/out' | grep -v SHA256SUMS | (! grep -q .)"

# the store: only sealed blobs under opaque names
"${S3C[@]}" "$E/evidence?prefix=unit7%2F" >"$T/list.xml"
grep -o '<Key>[^<]*</Key>' "$T/list.xml" | sed 's/<[^>]*>//g' >"$T/keys"
n=$(find "$T/card" -type f | wc -l)
check "one object per distinct file" test "$(wc -l <"$T/keys")" -eq "$(find "$T/card" -type f -exec sha256sum {} + | cut -c1-64 | sort -u | wc -l)"
check "keys are blobs/<64 hex>" bash -c "! grep -vqE '^unit7/blobs/[0-9a-f]{64}$' '$T/keys'"
for f in $(find "$T/card" -type f | head -3); do
  h=$(sha256sum "$f" | cut -c1-64)
  check "no key is a plaintext hash" bash -c "! grep -q '$h' '$T/keys'"
done
k=$(head -1 "$T/keys")
"${S3C[@]}" "$E/evidence/$k" -o "$T/obj"
check "objects are sealed blobs" test "$(head -c 8 "$T/obj" | xxd -p)" = 4456424c4f420002
first=$(find "$T/card" -type f -size +1k | head -1)
check "no plaintext in an object" bash -c "! cmp -s <(head -c 512 '$first') <(head -c 512 '$T/obj')"

# the server enforces the lock
hdr() { "${S3C[@]}" -I "$E/evidence/$1" | tr -d '\r' | sed -n "s/^$2: //Ip"; }
check "blob stored COMPLIANCE" test "$(hdr "$k" x-amz-object-lock-mode)" = COMPLIANCE
ver=$(hdr "$k" x-amz-version-id)
check "DELETE of a locked version refused (403)" test "$(s3_code -X DELETE "$E/evidence/$k?versionId=$ver")" = 403
early=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
printf '<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>COMPLIANCE</Mode><RetainUntilDate>%s</RetainUntilDate></Retention>' "$early" >"$T/short.xml"
check "shortening the retention refused (403)" test "$(s3_code -X PUT -H "Content-MD5: $(openssl dgst -md5 -binary "$T/short.xml" | base64)" \
  --data-binary @"$T/short.xml" "$E/evidence/$k?retention=&versionId=$ver")" = 403

# retention of a case: stored, logged, applied to stored and later blobs
expect_exit 0 "$DV" --vault "$V" cases --case 2026-0007 --retain-days 30 --operator 'PC Weber'
check "retention applied" grep -q "blobs locked" "$T/last.out"
until=$(hdr "$k" x-amz-object-lock-retain-until-date)
check "object retained ~30 days" test "${until:0:10}" = "$(date -u -d '+30 days' +%Y-%m-%d)"
expect_exit 1 "$DV" --vault "$V" cases --case 2026-0007 --retain-days 3
check "never shortened" grep -q "never shortened" "$T/last.err"
expect_exit 0 "$DV" --vault "$V" log --case 2026-0007
check "retention logged" grep -q "case.retention" "$T/last.out"
# a multipart upload (5 MiB parts: 3 for a 12 MB video), locked on initiation
expect_exit 0 env DV_S3_PART_BYTES=5242880 "$DV" --vault "$V" ingest --case 2026-0007 --operator 'PC Weber' "$T/card2"
"${S3C[@]}" "$E/evidence?prefix=unit7%2F" | grep -o '<Key>[^<]*</Key>' | sed 's/<[^>]*>//g' >"$T/keys2"
k2=$(comm -13 <(sort "$T/keys") <(sort "$T/keys2") | head -1)
check "a later blob of the case" test -n "$k2"
until2=$(hdr "$k2" x-amz-object-lock-retain-until-date)
etag2=$(hdr "$k2" etag)
check "the video went up in 3 parts" grep -q -- '-3"$' <<<"$etag2"
check "later blob gets the case's retention" test "${until2:0:10}" = "$(date -u -d '+30 days' +%Y-%m-%d)"
expect_exit 0 "$DV" --vault "$V" cases --json
check "cases shows the retention" grep -q '"retain_until":"'"$(date -u -d '+30 days' +%Y-%m-%d)" "$T/last.out"

# legal hold
expect_exit 0 "$DV" --vault "$V" hold --case 2026-0007 on --operator 'PC Weber'
check "hold on" test "$(hdr "$k" x-amz-object-lock-legal-hold)" = ON
expect_exit 0 "$DV" --vault "$V" log --case 2026-0007
check "hold logged" grep -q "case.hold .*legal_hold=on" "$T/last.out"
expect_exit 0 "$DV" --vault "$V" hold --case 2026-0007 off
check "hold off" test "$(hdr "$k" x-amz-object-lock-legal-hold)" = OFF
expect_exit 1 "$DV" --vault "$T/vhttp" hold --case nope on
check "hold of an unknown case" grep -q "nope" "$T/last.err"
# a blob two cases share: held while either case is held, released with the last
mkdir -p "$T/card3/DCIM"
cp "$T/card2/DJI_0009.MP4" "$T/card3/DCIM/"
expect_exit 0 env DV_S3_PART_BYTES=5242880 "$DV" --vault "$V" ingest --json --case 2026-0008 --operator 'PC Weber' "$T/card3"
check "the shared video is stored once" grep -q '"files_deduplicated":1' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" hold --case 2026-0007 on
expect_exit 0 "$DV" --vault "$V" hold --case 2026-0008 on
check "shared blob held" test "$(hdr "$k2" x-amz-object-lock-legal-hold)" = ON
expect_exit 0 "$DV" --vault "$V" hold --case 2026-0007 off
check "released by one case, the other still holds it" test "$(hdr "$k2" x-amz-object-lock-legal-hold)" = ON
check "a blob of the released case alone is released" test "$(hdr "$k" x-amz-object-lock-legal-hold)" = OFF
expect_exit 0 "$DV" --vault "$V" verify
check "verify: the shared blob as its cases ask" grep -q 'vault intact' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" hold --case 2026-0008 off
check "released by the last case holding it" test "$(hdr "$k2" x-amz-object-lock-legal-hold)" = OFF
expect_exit 0 "$DV" --vault "$V" verify
check "verify intact after retention and hold" grep -q 'vault intact' "$T/last.out"

# serve reads blobs through the same interface: a range across two parts of the video
"$DV" --vault "$V" serve --port 0 >"$T/serve.out" 2>"$T/serve.err" &
SP=$!
wait_serve || true
fid=$(curl -s -H "$AUTH" "$BASE/api/cases/1/files" | python3 -c 'import json,sys; print([f["id"] for f in json.load(sys.stdin) if f["path"].endswith("DJI_0009.MP4")][0])' || true)
curl -s -H "$AUTH" -r 5000000-5600000 -o "$T/part" "$BASE/api/files/$fid/content" || true
kill "$SP" 2>/dev/null; wait "$SP" 2>/dev/null || true
check "serve: a range of the video from S3" cmp -s "$T/part" <(bytes "$T/card2/DJI_0009.MP4" 5000000 600001)

# credentials: a 0600 file instead of the environment, never in a message or the log
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$T/creds"
chmod 644 "$T/creds"
expect_exit 1 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY DV_S3_CREDENTIALS="$T/creds" "$DV" --vault "$V" cases
check "credentials file readable by others refused" grep -q "must be mode 0600" "$T/last.err"
chmod 600 "$T/creds"
expect_exit 0 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY DV_S3_CREDENTIALS="$T/creds" "$DV" --vault "$V" verify
check "credentials from a 0600 file" grep -q 'vault intact' "$T/last.out"
expect_exit 1 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$DV" --vault "$V" verify
check "no credentials: clear error" grep -q "no S3 credentials" "$T/last.err"
expect_exit 1 env AWS_SECRET_ACCESS_KEY=wrongsecret "$DV" --vault "$V" verify
check "wrong credentials at open" grep -q "credentials are wrong" "$T/last.err"
check "secret in no vault file" bash -c "! grep -rqa '$AWS_SECRET_ACCESS_KEY' '$V'"

# verify names a blob that is not locked, and one that is missing
"${S3C[@]}" "$E/evidence/$k2" -o "$T/obj2"
ver2=$(hdr "$k2" x-amz-version-id)
head -c 1000 /dev/urandom >"$T/junk"
"${S3C[@]}" -o /dev/null -X PUT -T "$T/junk" "$E/evidence/$k2"   # an overwrite: a new version
"${S3C[@]}" "$E/evidence/$k2?versionId=$ver2" -o "$T/obj2b"
check "an overwrite leaves the locked version as it was" cmp -s "$T/obj2" "$T/obj2b"
expect_exit 4 "$DV" --vault "$V" verify
check "verify: overwritten blob named" grep -q "${k2##*/}" "$T/last.err"
"${S3C[@]}" -o /dev/null -X PUT -T "$T/obj2" "$E/evidence/$k2"   # the same bytes again, without a lock
expect_exit 4 "$DV" --vault "$V" verify
check "verify: blob not locked" grep -q "${k2##*/}.*not locked" "$T/last.err"
check "plain DELETE only adds a delete marker" test "$(s3_code -X DELETE "$E/evidence/$k")" = 204
check "the locked version is still there" test "$(s3_code "$E/evidence/$k?versionId=$ver")" = 200
expect_exit 4 "$DV" --vault "$V" verify
check "verify: blob missing" grep -q "${k##*/}.*blob missing" "$T/last.err"
finish
