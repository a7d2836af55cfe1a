#!/usr/bin/env bash
# vault.json is authenticated in every field: editing "created", the
# station name, adding or removing a field is named by verify (exit 4) and
# refused by writers; a vault made before the MAC existed still opens, and
# its first write-open adds the MAC with a logged vault.config entry.
. "$(dirname "$0")/lib/common.sh"

V=$T/vault
new_vault "$V"
"$DV" sample-card "$T/card" >/dev/null
expect_exit 0 "$DV" --vault "$V" ingest --case J --operator o "$T/card"
check "vault.json has a mac" grep -q '"mac"' "$V/vault.json"
expect_exit 0 "$DV" --vault "$V" verify
check "no note on a fresh vault" bash -c "! grep -q 'vault.json' '$T/last.err'"
cp "$V/vault.json" "$T/vault.json.good"
edit() { # edit PYTHON-STATEMENT-ON-c
  python3 - "$V/vault.json" "$1" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
exec(sys.argv[2])
open(p, 'w').write(json.dumps(c, indent=2))
PY
}
tampered() { # tampered WHAT PYTHON
  cp "$T/vault.json.good" "$V/vault.json"
  edit "$2"
  expect_exit 4 "$DV" --vault "$V" verify
  check "$1: verify names vault.json" grep -q 'PROBLEM: vault.json' "$T/last.err"
  expect_exit 1 "$DV" --vault "$V" ingest --case J2 --operator o "$T/card"
  check "$1: a writer refuses" grep -q 'vault.json' "$T/last.err"
}
tampered "created edited" 'c["created"] = "2020-01-01T00:00:00.000Z"'
tampered "station name edited" 'c["station"]["name"] = "other-station"'
tampered "field added" 'c["note"] = "x"'
tampered "mac removed and created edited" 'del c["mac"]; c["created"] = "2020-01-01T00:00:00.000Z"'
tampered "mac of another vault" 'c["mac"] = "00" * 32'
# the same MAC in upper case: hex that decodes alike, but not the bytes written
tampered "mac in upper case" 'c["mac"] = c["mac"].upper() if c["mac"] != c["mac"].upper() else "A" + c["mac"][1:]'
tampered "salt in upper case" 'c["kdf"]["salt"] = c["kdf"]["salt"].upper()'
# only the mac removed, fields intact: a note, and the next writer restores it
cp "$T/vault.json.good" "$V/vault.json"
edit 'del c["mac"]'
expect_exit 0 "$DV" --vault "$V" verify
check "mac removed alone: a note" grep -q 'note: vault.json: its MAC is missing' "$T/last.err"
cp "$T/vault.json.good" "$V/vault.json"
expect_exit 0 "$DV" --vault "$V" verify
expect_exit 0 "$DV" --vault "$V" export --case J --to "$T/out"

# a vault made by the previous version (no mac): opens, verifies with a
# note, and its first write-open authenticates it, logged
mkdir "$T/old"
tar xzf "$DV_SOURCE_DIR/tests/e2e/data/vault-premac.tar.gz" -C "$T/old"
O=$T/old/vault
check "the old vault has no mac" bash -c "! grep -q '\"mac\"' '$O/vault.json'"
expect_exit 0 "$DV" --vault "$O" ls --case OLD-1
check "old vault opens for reading" grep -q 'DCIM/A.JPG' "$T/last.out"
expect_exit 0 "$DV" --vault "$O" verify
check "old vault: verify notes it is not authenticated yet" grep -q 'note: vault.json: not authenticated yet' "$T/last.err"
check "reading did not change it" bash -c "! grep -q '\"mac\"' '$O/vault.json'"
expect_exit 0 "$DV" --vault "$O" export --case OLD-1 --to "$T/oldout"
check "first write-open added the mac" grep -q '"mac"' "$O/vault.json"
check "old vault exports intact" bash -c "cd '$T/oldout' && sha256sum --quiet -c SHA256SUMS && echo hello | cmp - DCIM/B.TXT"
expect_exit 0 "$DV" --vault "$O" log --json
check "the migration is logged (vault.config with config_mac)" grep -q '"action":"vault.config".*"config_mac"' "$T/last.out"
expect_exit 0 "$DV" --vault "$O" verify
check "migrated vault: no vault.json note" bash -c "! grep -q 'vault.json' '$T/last.err'"
python3 - "$O/vault.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p)); c["station"]["name"] = "forged"
open(p, 'w').write(json.dumps(c, indent=2))
PY
expect_exit 4 "$DV" --vault "$O" verify
check "migrated vault: station edit detected" grep -q 'PROBLEM: vault.json' "$T/last.err"
python3 - "$O/vault.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p)); del c["mac"]
open(p, 'w').write(json.dumps(c, indent=2))
PY
expect_exit 4 "$DV" --vault "$O" verify
check "migrated vault: mac stripped and station edited: detected against the log" grep -q 'PROBLEM: vault.json: its fields differ from those custody entry' "$T/last.err"
expect_exit 1 "$DV" --vault "$O" export --case OLD-1 --to "$T/oldout2"
check "and a writer refuses rather than re-authenticate it" grep -q 'vault.json was altered' "$T/last.err"
finish
