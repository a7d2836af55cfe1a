#!/usr/bin/env bash
# scripts/s3-gateway.sh: the gateway starts, speaks TLS with the test CA's
# certificate (refused without that CA), checks SigV4, keeps a COMPLIANCE
# locked version against DELETE, and stop frees its ports.
. "$(dirname "$0")/lib/common.sh"
# a gateway of its own (it tests start and stop), on ports of its own when
# the run's shared gateway (DV_S3_GW_DIR) holds the default ones
DV_S3_OWN_GATEWAY=1
if [ -n "${DV_S3_GW_DIR:-}" ]; then
  export S3GW_HTTP_PORT=17680 S3GW_HTTPS_PORT=17643 S3GW_MON_PORT=17989 S3GW_OSD_PORTS=18000
fi
. "$(dirname "$0")/lib/s3.sh"

check "http endpoint on loopback" grep -q '^http://127.0.0.1:' <<<"$DV_S3_HTTP"
check "CA file made" test -s "$DV_S3_CA"
check "TLS with the test CA" test "$(s3_code "$DV_S3_HTTPS/")" = 200
check "TLS without the test CA refused" bash -c "! curl -sf -o /dev/null '$DV_S3_HTTPS/'"
check "wrong secret refused" test "$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 \
  --user "$AWS_ACCESS_KEY_ID:wrong" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$DV_S3_HTTP/")" = 403
check "lock bucket" test "$(s3_code -X PUT -H 'x-amz-bucket-object-lock-enabled: true' "$DV_S3_HTTPS/lkb")" = 200
echo evidence >"$T/o"
until=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
ver=$("${S3C[@]}" -D - -o /dev/null -X PUT -T "$T/o" -H 'x-amz-object-lock-mode: COMPLIANCE' \
  -H "x-amz-object-lock-retain-until-date: $until" "$DV_S3_HTTPS/lkb/o" | tr -d '\r' | sed -n 's/^x-amz-version-id: //Ip')
check "locked PUT has a version" test -n "$ver"
check "DELETE of the locked version refused" test "$(s3_code -X DELETE "$DV_S3_HTTPS/lkb/o?versionId=$ver")" = 403
check "locked version still there" test "$("${S3C[@]}" "$DV_S3_HTTPS/lkb/o?versionId=$ver")" = evidence
port=${DV_S3_HTTP##*:}
bash "$GWS" stop "$GW"
check "stop removes the directory" test ! -e "$GW"
check "stop frees the port" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null"
finish
