# shellcheck shell=bash
# Sourced by tests/e2e/lib/common.sh: the test run's backend and the helpers
# a script needs to reach a vault's catalog and blobs wherever they are.
#
# The backend is a parameter of the run (scripts/test-e2e-catalog.sh):
#   sqlite  the default: catalog.db and the blobs/ folder in the vault directory
#   pg      every new_vault's catalog in a fresh database of the run's
#           PostgreSQL cluster (DV_PG_HOST), blobs in the folder
#   remote  "remote = S3 + PostgreSQL": the catalog as for pg, the blobs under
#           a fresh prefix of the run's Object Lock bucket (DV_S3_BUCKET) on
#           the run's gateway (DV_S3_HTTPS, DV_S3_CA, AWS_* keys)
# DV_TEST_BACKEND names it (DV_TEST_CATALOG=pg, the older name, still works).
DV_TEST_BACKEND=${DV_TEST_BACKEND:-${DV_TEST_CATALOG:-sqlite}}
case $DV_TEST_BACKEND in
  sqlite|pg|remote) ;;
  *) echo "DV_TEST_BACKEND is sqlite, pg or remote, not '$DV_TEST_BACKEND'" >&2; exit 2 ;;
esac
test_backend() { echo "$DV_TEST_BACKEND"; }

# skip_part WHAT REASON: a part of a script that cannot run on this backend
# says so (the script's other checks still run; a script with no check
# left must exit 77 itself, never pass)
skip_part() { echo "skipped part on backend $DV_TEST_BACKEND: $1 ($2)"; }

# vault_cfg DIR SECTION KEY: a string of the vault's vault.json (json-c
# writes it one key a line, "/" escaped), "" if absent: sed, not python,
# since the S3 helpers below ask it for every object
vault_cfg() {
  sed -n "/^  \"$2\":{/,/^  }/s/^ *\"$3\":\"\(.*\)\",\{0,1\}$/\1/p" "$1/vault.json" 2>/dev/null | sed 's|\\/|/|g'
}
# Where a vault keeps what (read from its vault.json, not from the run's
# backend: a script may make a vault of its own kind)
vault_catalog_remote() { grep -q '"conninfo"' "$1/vault.json" 2>/dev/null; }
vault_blobs_remote() { [ "$(vault_cfg "$1" blobs type)" = s3 ]; }
vault_is_remote() { vault_catalog_remote "$1" || vault_blobs_remote "$1"; }
# vault_log_is_file DIR: the vault's custody log is the file DIR/custody.log.
# Scripts that read or edit custody.log's bytes ask this first. True on
# every backend today; a vault whose log lives in the shared chains
# (src/vault/custody_shared.c) has no custody.log and gets false as it
# stands. Should such a vault keep a custody.log that is not its log, this
# is the one place to change (false for vault_catalog_remote).
vault_log_is_file() { [ -f "$1/custody.log" ]; }

# ---- the run's S3 store (remote) --------------------------------------------
# s3_curl ARGS...: a SigV4-signed request to the run's gateway (quiet)
s3_curl() {
  curl -s --aws-sigv4 "aws:amz:${AWS_DEFAULT_REGION:-us-east-1}:s3" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --cacert "$DV_S3_CA" "$@"
}
# vault_s3_base DIR: https://endpoint/bucket of the vault's store;
# vault_s3_prefix DIR: its prefix ("p/" or "")
vault_s3_base() {
  local url; url=$(vault_cfg "$1" blobs url); url=${url#s3://}
  echo "$(vault_cfg "$1" blobs endpoint)/${url%%/*}"
}
vault_s3_prefix() {
  local url; url=$(vault_cfg "$1" blobs url); url=${url#s3://}
  case $url in */*) echo "${url#*/}/" ;; *) echo "" ;; esac
}
# vault_blob_list DIR: "NAME SIZE" of every blob, one a line (S3: the
# current objects; more than 1000 ends the test: one listing page)
vault_blob_list() {
  if vault_blobs_remote "$1"; then
    local pfx x; pfx=$(vault_s3_prefix "$1")
    x=$(s3_curl -f "$(vault_s3_base "$1")?max-keys=1000&prefix=${pfx//\//%2F}blobs%2F") || { echo "vault_blob_list: S3 listing failed" >&2; return 1; }
    if grep -q '<IsTruncated>true' <<<"$x"; then echo "vault_blob_list: more than 1000 blobs" >&2; return 1; fi
    grep -o '<Key>[^<]*</Key>\(<[^K][^<]*>[^<]*</[^>]*>\)*<Size>[0-9]*' <<<"$x" |
      sed -e "s|^<Key>${pfx}blobs/\([^<]*\)</Key>.*<Size>\([0-9]*\)$|\1 \2|"
  else
    find "$1/blobs" -type f -printf '%f %s\n' 2>/dev/null
  fi
}
vault_blob_names() { vault_blob_list "$1" | cut -d' ' -f1; }
vault_blob_count() { vault_blob_list "$1" | wc -l; }
# vault_blob_get DIR NAME FILE: a blob's bytes into FILE
vault_blob_get() {
  if vault_blobs_remote "$1"; then
    s3_curl -f -o "$3" "$(vault_s3_base "$1")/$(vault_s3_prefix "$1")blobs/$2"
  else
    cp "$(find "$1/blobs" -type f -name "$2" -print -quit)" "$3"
  fi
}
# vault_blob_put DIR NAME FILE: a blob replaced by FILE's bytes (on S3 a new
# version over the locked one: Object Lock lets anyone add a version; the
# locked one stays, and a later read gets the new one). Prints the version
# id it made on S3, nothing for the folder.
vault_blob_put() {
  if vault_blobs_remote "$1"; then
    s3_curl -f -D - -o /dev/null -X PUT --data-binary "@$3" \
      "$(vault_s3_base "$1")/$(vault_s3_prefix "$1")blobs/$2" | tr -d '\r' | sed -n 's/^x-amz-version-id: //Ip'
  else
    local f m; f=$(find "$1/blobs" -type f -name "$2" -print -quit)
    m=$(stat -c %a "$f")
    chmod u+w "$f" && cat "$3" >"$f" && chmod "$m" "$f"
  fi
}
# Every S3 change below is a version made over the locked one (a flipped
# copy, a delete marker) and is written to $T/.s3-undo ("BASE KEY VERSION"),
# so that vault_blob_unflip and vault_restore can take it away again: such a
# version has no lock, and deleting it makes the locked original current.
s3_undo_add() { echo "$1 $2 $3" >>"$T/.s3-undo"; }
s3_undo() { # s3_undo BASE KEY-PREFIX: undoes the recorded versions of those keys, newest first
  [ -f "$T/.s3-undo" ] || return 0
  local base key ver rc=0
  while read -r base key ver; do
    [ "$base" = "$1" ] && [[ $key == "$2"* ]] || continue
    [ "$(s3_curl -o /dev/null -w '%{http_code}' -X DELETE "$base/$key?versionId=$ver")" = 204 ] ||
      { echo "s3_undo: cannot remove version $ver of $key" >&2; rc=1; }
  done < <(tac "$T/.s3-undo")
  awk -v b="$1" -v k="$2" '!($1 == b && index($2, k) == 1)' "$T/.s3-undo" >"$T/.s3-undo.new"
  mv "$T/.s3-undo.new" "$T/.s3-undo"
  return $rc
}
# vault_blob_flip DIR NAME OFFSET: one byte of a stored blob flipped (bit
# 0x20); vault_blob_unflip DIR NAME OFFSET puts the original back
vault_blob_flip() {
  local f=$T/.flip-$2 v b
  vault_blob_get "$1" "$2" "$f" || return 1
  b=$(dd if="$f" bs=1 skip="$3" count=1 status=none | od -An -tu1 | tr -d ' ')
  printf "$(printf '\\%03o' $(( b ^ 0x20 )))" | dd of="$f" bs=1 seek="$3" count=1 conv=notrunc status=none
  v=$(vault_blob_put "$1" "$2" "$f") || return 1
  ! vault_blobs_remote "$1" || s3_undo_add "$(vault_s3_base "$1")" "$(vault_s3_prefix "$1")blobs/$2" "$v"
  rm -f "$f"
}
vault_blob_unflip() {
  if vault_blobs_remote "$1"; then
    s3_undo "$(vault_s3_base "$1")" "$(vault_s3_prefix "$1")blobs/$2"
  else
    vault_blob_flip "$1" "$2" "$3"
  fi
}
# vault_blob_drop DIR NAME VERSION: the version vault_blob_put made on S3
# removed again (it has no lock), so the locked original is current
vault_blob_drop() {
  [ "$(s3_curl -o /dev/null -w '%{http_code}' -X DELETE \
    "$(vault_s3_base "$1")/$(vault_s3_prefix "$1")blobs/$2?versionId=$3")" = 204 ]
}
# vault_blob_delete DIR NAME: a blob deleted (on S3 a plain DELETE: a delete
# marker hides the object; the locked version itself cannot be deleted)
vault_blob_delete() {
  if vault_blobs_remote "$1"; then
    local base key v
    base=$(vault_s3_base "$1") key=$(vault_s3_prefix "$1")blobs/$2
    v=$(s3_curl -f -D - -o /dev/null -X DELETE "$base/$key" | tr -d '\r' | sed -n 's/^x-amz-version-id: //Ip')
    [ -n "$v" ] || { echo "vault_blob_delete: no delete marker for $key" >&2; return 1; }
    s3_undo_add "$base" "$key" "$v"
  else
    rm -f "$(find "$1/blobs" -type f -name "$2" -print -quit)"
  fi
}
# vault_snapshot DIR NAME / vault_restore DIR NAME: the vault's state outside
# its directory kept and put back (a PostgreSQL catalog: a copy of its
# database; S3: the flips and deletions made since are undone; blobs stored
# since stay, as orphans). Nothing for a local vault, whose state is its
# directory: copy that (cp -a) alongside.
vault_snapshot() {
  vault_catalog_remote "$1" || return 0
  local db; db=$(vault_pg_db "$1")
  PGOPTIONS="-c client_min_messages=warning" pg_sql postgres "DROP DATABASE IF EXISTS ${db}_$2" >/dev/null &&
    pg_sql postgres "CREATE DATABASE ${db}_$2 TEMPLATE $db" >/dev/null
}
vault_restore() {
  ! vault_blobs_remote "$1" || s3_undo "$(vault_s3_base "$1")" "$(vault_s3_prefix "$1")" || return 1
  vault_catalog_remote "$1" || return 0
  local db; db=$(vault_pg_db "$1")
  pg_sql postgres "DROP DATABASE $db WITH (FORCE)" >/dev/null &&
    pg_sql postgres "CREATE DATABASE $db TEMPLATE ${db}_$2" >/dev/null
}
# vault_pg_db DIR: the name of a PostgreSQL vault's catalog database;
# vault_pg_sql DIR "SQL": psql on it
vault_pg_db() { local db; db=$(vault_cfg "$1" catalog conninfo); db=${db#postgresql:///}; echo "${db%%\?*}"; }
vault_pg_sql() { pg_sql "$(vault_pg_db "$1")" "$2"; }

# A fresh prefix of the run's bucket for one vault.
s3_new_prefix() { echo "v$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"; }
