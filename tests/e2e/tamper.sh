#!/usr/bin/env bash
# verify detects: a flipped bit in a blob, in a catalog row, in the custody
# log; a deleted blob; entries cut off the end of the log; an altered
# vault.json. Each names what is wrong and exits 4 (or refuses to open).
# On any backend (lib/remote.sh): a remote vault's blobs are flipped and
# deleted in S3 (a new version or a delete marker over the locked object),
# its rows edited in PostgreSQL; each scenario starts from the same state.
. "$(dirname "$0")/lib/common.sh"

make_files "$T/card" DCIM/A.JPG:300000 DCIM/B.JPG:200000 DCIM/C.SRT:5000
V0=$T/v0
new_vault "$V0"
"$DV" --vault "$V0" ingest --case T --operator tester "$T/card" >/dev/null
"$DV" --vault "$V0" export --case T --to "$T/exp" >/dev/null
expect_exit 0 "$DV" --vault "$V0" verify
vault_snapshot "$V0" pristine
fresh() { rm -rf "$T/v"; cp -a "$V0" "$T/v"; vault_restore "$V0" pristine; }
# Catalog edits go through the backend hook (tests/vault/dv_tamper.c: the
# backend's operations table, no SQL here), so these scenarios run against
# any catalog backend (the vault's: catalog_backend, catalog_of).
TAMPER=${DV_TAMPER:-$(find "${DV_BUILD_DIR:?}" -name dv_tamper -type f -perm -u+x -print -quit)}
[ -x "$TAMPER" ] || { echo "dv_tamper not built" >&2; exit 1; }
tamper() { "$TAMPER" --backend "$(catalog_backend "$T/v")" "$(catalog_of "$T/v")" "$@"; }
flip_byte() { # flip_byte FILE OFFSET
  local b
  b=$(dd if="$1" bs=1 skip="$2" count=1 status=none | od -An -tu1 | tr -d ' ')
  printf "$(printf '\\%03o' $(( b ^ 0x20 )))" | dd of="$1" bs=1 seek="$2" count=1 conv=notrunc status=none
}

# 1. a bit in a blob
fresh
blob=$(vault_blob_names "$T/v" | head -1)
vault_blob_flip "$T/v" "$blob" 5000
expect_exit 4 "$DV" --vault "$T/v" verify
check "blob flip named" grep -q "$blob.*fails authentication" "$T/last.err"

# 2. a bit in a catalog row, raw in the database file (the SQLite backend's
# file; 2d below is the same through the backend hook). PostgreSQL: the
# row's bytes edited by psql, as an insider with the database's password would
fresh
if vault_catalog_remote "$T/v"; then
  vault_pg_sql "$T/v" "UPDATE files SET sealed = set_byte(sealed, 42, get_byte(sealed, 42) # 32) WHERE id = 2" >/dev/null
  expect_exit 4 "$DV" --vault "$T/v" verify
  check "catalog flip by psql named (table files row 2)" grep -q "table files row 2" "$T/last.err"
else
pat=$(tamper sealed-hex files 2 39 12)
# byte offset of those bytes in the file (hex search: ciphertext may hold a
# newline, which would split a grep line)
off=$(xxd -p "$T/v/catalog.db" | tr -d '\n' | awk -v p="${pat,,}" '{
  from = 1
  while ((i = index(substr($0, from), p)) > 0) {
    at = from + i - 1
    if (at % 2 == 1) { print (at - 1) / 2; exit }
    from = at + 1
  }
}')
if [ -n "$off" ]; then
  flip_byte "$T/v/catalog.db" $((off + 3))
  expect_exit 4 "$DV" --vault "$T/v" verify
  check "catalog flip named (table files row 2)" grep -q "table files row 2" "$T/last.err"
else
  fail "could not locate the row in catalog.db"
fi
fi
# 2b. a row edited through SQL (another file's record copied over)
fresh
tamper copy-sealed files 1 3
expect_exit 4 "$DV" --vault "$T/v" verify
check "swapped row named" grep -q "table files row 3" "$T/last.err"
# 2c. a file row deleted: the manifest in the custody log no longer matches
fresh
tamper delete files 3
expect_exit 4 "$DV" --vault "$T/v" verify
check "deleted row caught by manifest" grep -q "no longer match the manifest" "$T/last.err"
# 2d. a bit in a sealed record, through the backend
fresh
tamper flip-sealed files 2 40
expect_exit 4 "$DV" --vault "$T/v" verify
check "record flip named (table files row 2)" grep -q "table files row 2" "$T/last.err"
# 2e. a clear column edited: an ingest moved to another state
fresh
tamper set ingests 1 state 0
expect_exit 4 "$DV" --vault "$T/v" verify
check "edited clear column named (table ingests row 1)" grep -q "table ingests row 1" "$T/last.err"

# 3.-5. the custody log's bytes (a file today on every backend; see
# vault_log_is_file)
if vault_log_is_file "$V0"; then
# 3. a bit in the custody log (in entry 3's body)
fresh
size=$(stat -c %s "$T/v/custody.log")
flip_byte "$T/v/custody.log" $((size / 2))
expect_exit 4 "$DV" --vault "$T/v" verify
check "log flip named" grep -q "custody.log: offset" "$T/last.err"
expect_exit 4 "$DV" --vault "$T/v" log

# 4. the last entry cut off the log
fresh
"$DV" --vault "$T/v" log --json >"$T/log.json"
python_free_last=$(grep -o '"seq":[0-9]*' "$T/log.json" | tail -1 | cut -d: -f2)
# find where the last entry starts: each entry begins with "DVL2"
start=$(grep -obUa 'DVL2' "$T/v/custody.log" | tail -1 | cut -d: -f1)
truncate -s "$start" "$T/v/custody.log"
expect_exit 4 "$DV" --vault "$T/v" verify
check "cut log detected (entry $python_free_last)" grep -q "entries removed from the end" "$T/last.err"

# 5. an entry moved: swap the order by rewriting two entries is caught as a broken chain
fresh
starts=($(grep -obUa 'DVL2' "$T/v/custody.log" | cut -d: -f1))
head -c "${starts[1]}" "$T/v/custody.log" >"$T/re.log"
bytes "$T/v/custody.log" "${starts[2]}" "$((starts[3] - starts[2]))" >>"$T/re.log"
bytes "$T/v/custody.log" "${starts[1]}" "$((starts[2] - starts[1]))" >>"$T/re.log"
tail -c +"$((starts[3] + 1))" "$T/v/custody.log" >>"$T/re.log"
cp "$T/re.log" "$T/v/custody.log"
expect_exit 4 "$DV" --vault "$T/v" verify
check "reordered entries detected" grep -q "where entry 2 was expected" "$T/last.err"
else
  skip_part "custody.log flipped, cut and reordered" "the vault's custody log is not a file"
fi

# 6. a blob deleted
fresh
vault_blob_delete "$T/v" "$(vault_blob_names "$T/v" | head -1)"
expect_exit 4 "$DV" --vault "$T/v" verify
check "missing blob named" grep -q "blob missing" "$T/last.err"

# 7. vault.json altered (another station key): refuses to open
fresh
other=$(sed -n 's/.*"public_key":"\(.\).*/\1/p' "$T/v/vault.json" | tr '0-9a-f' '1-9a-f0')
sed -i "s/\"public_key\":\"./\"public_key\":\"$other/" "$T/v/vault.json"
expect_exit 1 "$DV" --vault "$T/v" verify
check "altered station key refused" grep -q "station key" "$T/last.err"

# the untouched copy still verifies, and its export still checks
vault_restore "$V0" pristine
expect_exit 0 "$DV" --vault "$V0" verify
check "export still checks" bash -c "cd '$T/exp' && sha256sum --quiet -c SHA256SUMS"
finish
