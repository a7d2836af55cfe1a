# Sourced by tests/e2e/*.sh. Gives: $DV (the binary), a scratch dir $T
# (removed on exit), fail/ok/expect_exit helpers, and a fast-KDF vault.
set -Eeuo pipefail
# set -e would end a script silently: say which command stopped it
trap 'echo "e2e: $(basename "$0") line $LINENO: \"$BASH_COMMAND\" failed (exit $?)" >&2' ERR
: "${DV:?DV must point to the dronevault binary (ctest sets it)}"
base=${DV_TMP:-/tmp}
mkdir -p "$base"
T=$(mktemp -d "$base/e2e-$(basename "$0" .sh)-XXXXXX")
# shellcheck source=tests/e2e/lib/pg.sh
. "$(dirname "${BASH_SOURCE[0]}")/pg.sh"
# shellcheck source=tests/e2e/lib/remote.sh
. "$(dirname "${BASH_SOURCE[0]}")/remote.sh"
trap 'pg_stop; rm -rf "$T"' EXIT
if [ "$DV_TEST_BACKEND" != sqlite ] && ! pg_available; then
  echo "skipped: backend $DV_TEST_BACKEND and PostgreSQL 15 is not installed"
  exit 77
fi
# the cluster (and the gateway) come from scripts/test-e2e-catalog.sh: a
# script that sets its own EXIT trap would otherwise leave a server of its
# own running
if [ "$DV_TEST_BACKEND" != sqlite ] && [ -z "${DV_PG_HOST:-}" ]; then
  echo "backend $DV_TEST_BACKEND needs DV_PG_HOST: run the suite with scripts/test-e2e-catalog.sh $DV_TEST_BACKEND" >&2
  exit 2
fi
if [ "$DV_TEST_BACKEND" = remote ] && [ -z "${DV_S3_BUCKET:-}" ]; then
  echo "backend remote needs the run's gateway: run the suite with scripts/test-e2e-catalog.sh remote" >&2
  exit 2
fi
export DRONEVAULT_PASSPHRASE='test passphrase 123'
unset DRONEVAULT_VAULT
failures=0
checks=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); checks=$((checks + 1)); }
ok() { checks=$((checks + 1)); }
check() { # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then ok; else fail "$what"; fi
}
# bytes FILE OFFSET COUNT: COUNT bytes of FILE from OFFSET to stdout (one
# process: `tail | head -c` dies of SIGPIPE under pipefail when head is done first)
bytes() { dd if="$1" bs=65536 iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none; }
# expect_exit CODE COMMAND... : runs COMMAND, checks its exit status
expect_exit() {
  local want=$1; shift
  local got=0
  "$@" >"$T/last.out" 2>"$T/last.err" || got=$?
  if [ "$got" -ne "$want" ]; then
    fail "expected exit $want, got $got: $*"
    sed 's/^/    /' "$T/last.err" >&2
  else
    ok
  fi
}
# expect_all_exit_0 WHAT PID...: waits for each background job, a check
# per job that it exited 0 ("WHAT k exits 0")
expect_all_exit_0() {
  local what=$1 k=0 pid rc; shift
  for pid in "$@"; do
    rc=0
    wait "$pid" || rc=$?
    check "$what $k exits 0 (got $rc)" test "$rc" -eq 0
    k=$((k + 1))
  done
}
# A vault with a cheap KDF so tests stay fast (the defaults are for people),
# on the run's backend (lib/remote.sh): pg = its catalog in a fresh database
# of the run's throwaway PostgreSQL cluster (lib/pg.sh); remote = that, and
# its blobs under a fresh prefix of the run's Object Lock bucket (COMPLIANCE,
# 1 day). new_vault DIR [init options...]
new_vault() {
  local dir=$1; shift
  local args
  [ "$DV_TEST_BACKEND" = sqlite ] || pg_start
  read -ra args <<<"$(backend_args)"
  "$DV" init --kdf-mem 8 --kdf-ops 1 --operator tester ${args[@]+"${args[@]}"} "$@" "$dir" >/dev/null
}
# The init options that put a new vault on the run's backend (none for
# sqlite), one word each: for init and the commands that take init's flags
# (migrate). The cluster must be started (pg_start) in the calling shell.
backend_args() {
  case $DV_TEST_BACKEND in
    pg) echo --catalog "$(pg_new_db)" ;;
    remote)
      echo --catalog "$(pg_new_db)" --blobs "s3://$DV_S3_BUCKET/$(s3_new_prefix)" --s3-endpoint "$DV_S3_HTTPS" \
        --s3-ca "$DV_S3_CA" --retain-days 1 ;;
  esac
}
# A vault's catalog as dv_tamper takes it: its backend name, and where it is.
catalog_backend() { if grep -q '"conninfo"' "$1/vault.json" 2>/dev/null; then echo postgresql; else echo sqlite; fi; }
catalog_of() {
  if [ "$(catalog_backend "$1")" = postgresql ]; then
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["catalog"]["conninfo"])' "$1/vault.json"
  else
    echo "$1/catalog.db"
  fi
}
# Random files of given sizes (bytes) in a directory: make_files DIR NAME:SIZE...
make_files() {
  local dir=$1; shift
  for spec in "$@"; do
    mkdir -p "$dir/$(dirname "${spec%%:*}")"
    head -c "${spec##*:}" /dev/urandom >"$dir/${spec%%:*}"
  done
}
# Every time stamp, size and mode in a tree (stat only: reading the files
# would itself move their atime).
times() { (cd "$1" && find . -print0 | sort -z | xargs -0 stat -c '%n %s %Y.%y %X.%x %Z %a'); }
# Content hashes of a tree (reads the files: take it after times()).
hashes() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
finish() {
  [ "${KEEP:-}" ] && trap - EXIT && echo "kept $T"
  echo "$((checks - failures)) passed, $failures failed"
  [ "$failures" -eq 0 ] && [ "$checks" -gt 0 ]
}
# dronevault serve in the background (SP its pid, output in $T/serve.out/.err):
# wait_serve waits up to 30 s for the token URL and sets URL, BASE, TOK and
# AUTH (an Authorization header); it fails when serve did not start.
wait_serve() {
  for _ in $(seq 300); do
    grep -q 'token=' "$T/serve.out" 2>/dev/null && break
    kill -0 "$SP" 2>/dev/null || break
    sleep 0.1
  done
  URL=$(grep -o 'http[s]*://[^ ]*' "$T/serve.out" | tr -d '\r' || true)
  BASE=${URL%%/\?*}
  TOK=${URL##*token=}
  AUTH="Authorization: Bearer $TOK"
  [ -n "$URL" ]
}
# start_serve ARGS...: `dronevault --vault $V serve --port 0 ARGS...`, waited
# for; a serve that does not start ends the test (its stderr shown).
start_serve() {
  "$DV" --vault "$V" serve --port 0 "$@" >"$T/serve.out" 2>"$T/serve.err" &
  SP=$!
  wait_serve || { fail "serve did not start"; cat "$T/serve.err" >&2; finish; exit 1; }
}
