# Sourced by the S3 tests (tests/e2e/s3_*.sh) after common.sh: starts the
# project's own gateway (scripts/s3-gateway.sh) in $T/gw, stops it on exit.
# Exits 77 (skipped) when radosgw is not installed, and in the sanitizer
# build: the server-backed suites run once, in the Release build
# (DV_S3_ALWAYS=1 runs them anyway).
if [ "${DV_SANITIZE:-0}" = 1 ] && [ -z "${DV_S3_ALWAYS:-}" ]; then
  echo "skipped: the S3 suites run in the Release build"; exit 77
fi
command -v radosgw >/dev/null 2>&1 || { echo "skipped: radosgw not installed (scripts/install-deps.sh)"; exit 77; }
GWS="$DV_SOURCE_DIR/scripts/s3-gateway.sh"
if [ -n "${DV_S3_GW_DIR:-}" ] && [ -z "${DV_S3_OWN_GATEWAY:-}" ]; then
  # the run's gateway (scripts/test.sh starts one for every S3 suite; they
  # take turns, ctest's RESOURCE_LOCK s3gateway, and each has buckets of
  # its own; its S3GW_* ports those it was started with). A suite that
  # kills radosgw (s3_faults) starts it again; on exit it is made sure of.
  GW=$DV_S3_GW_DIR
  eval "$(bash "$GWS" env "$GW")"
  trap 'curl -sf -o /dev/null "$DV_S3_HTTP/" || bash "$GWS" start-rgw "$GW" >/dev/null 2>&1 || true; pg_stop; rm -rf "$T"' EXIT
else
  GW=$T/gw
  trap 'bash "$GWS" stop "$GW" >/dev/null 2>&1 || true; pg_stop; rm -rf "$T"' EXIT
  eval "$(bash "$GWS" start "$GW")"
fi
S3C=(curl -s --aws-sigv4 aws:amz:us-east-1:s3 --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"
     -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --cacert "$DV_S3_CA")
# s3_code ARGS...: the HTTP status of a signed request
s3_code() { "${S3C[@]}" -o /dev/null -w '%{http_code}' "$@"; }
