#!/usr/bin/env bash
# Randomized single-bit flips (issue 11): DV_FLIP_TRIALS (CI default 100)
# flips, spread over the blobs, the catalog's database header, b-tree page
# headers and live cells, the custody log and vault.json. Each must be
# detected by verify (non-zero exit) and named (the file, or the catalog's
# table and row). A flip into SQLite space that holds no data (free space in
# a page, a header field no reader uses) is reported "no effect" and not
# counted as detected: it is only accepted when the catalog's whole content
# (every row of every table, as SQLite returns it) is unchanged.
# DV_FLIP_SEED replays a run (the seed is printed).
# A remote vault (S3 + PostgreSQL, lib/remote.sh; or the catalog alone in
# PostgreSQL) has no database file: its schema is edited through psql, and
# DV_FLIP_TRIALS_REMOTE (CI default 24) flips go into its blobs (on S3 a
# new version with one bit flipped over the locked object, removed again
# after the trial), a byte of a sealed record or keyed tag of a random row
# (psql), the custody log and vault.json.
. "$(dirname "$0")/lib/common.sh"
command -v python3 >/dev/null || { echo "skipped: no python3"; exit 77; }

"$DV" sample-card --photos 3 "$T/card" >/dev/null
V0=$T/v0
new_vault "$V0"
"$DV" --vault "$V0" ingest --case F --operator o "$T/card" >/dev/null
"$DV" --vault "$V0" export --case F --to "$T/exp" >/dev/null
expect_exit 0 "$DV" --vault "$V0" verify

# flip_at FILE OFFSET BIT: one bit of a file flipped (again: back)
flip_at() {
  local b; b=$(dd if="$1" bs=1 skip="$2" count=1 status=none | od -An -tu1 | tr -d ' ')
  printf "$(printf '\\%03o' $(( b ^ (1 << $3) )))" | dd of="$1" bs=1 seek="$2" count=1 conv=notrunc status=none
}
if vault_catalog_remote "$V0"; then
  V=$V0
  # the schema, as on SQLite: a column type edited, a trigger added (each
  # named, a writer refuses), both undone
  vault_pg_sql "$V" "ALTER TABLE ingests ALTER COLUMN source_tag TYPE text USING encode(source_tag, 'hex')" >/dev/null
  expect_exit 1 "$DV" --vault "$V" verify
  check "an edited column type in PostgreSQL is named" grep -q "catalog schema differs.*ingests" "$T/last.err"
  vault_pg_sql "$V" "ALTER TABLE ingests ALTER COLUMN source_tag TYPE bytea USING decode(source_tag, 'hex')" >/dev/null
  vault_pg_sql "$V" "CREATE SCHEMA ext; CREATE FUNCTION ext.hide() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END';
    CREATE TRIGGER hide BEFORE INSERT ON files FOR EACH ROW EXECUTE FUNCTION ext.hide()" >/dev/null
  expect_exit 1 "$DV" --vault "$V" verify
  check "an added trigger is named (PostgreSQL)" grep -q "catalog schema differs.*hide" "$T/last.err"
  expect_exit 1 "$DV" --vault "$V" ingest --case F --operator o "$T/card"
  check "a writer refuses the catalog with a trigger (PostgreSQL)" grep -q "catalog schema differs" "$T/last.err"
  vault_pg_sql "$V" "DROP SCHEMA ext CASCADE" >/dev/null
  expect_exit 0 "$DV" --vault "$V" verify
  trials=${DV_FLIP_TRIALS_REMOTE:-24}
  seed=${DV_FLIP_SEED:-$(( $(od -An -tu4 -N4 /dev/urandom) % 32768 ))}
  echo "seed $seed (DV_FLIP_SEED=$seed replays this run), $trials trials"
  RANDOM=$seed
  mapfile -t names < <(vault_blob_list "$V")
  # every (table id column length) of a sealed record or a keyed tag
  cols=$(vault_pg_sql "$V" "SELECT table_name || ' ' || column_name FROM information_schema.columns
    WHERE table_schema = 'public' AND data_type = 'bytea' AND table_name NOT LIKE 'custody_%' ORDER BY 1")
  rows=()
  while read -r t c; do
    while read -r id len; do rows+=("$t $id $c $len"); done < <(vault_pg_sql "$V" "SELECT id || ' ' || length($c) FROM $t ORDER BY id")
  done <<<"$cols"
  kinds=(blob row log vault.json)
  detected=0 missed=0
  declare -A count=()
  for ((i = 0; i < trials; i++)); do
    kind=${kinds[i % ${#kinds[@]}]}
    bit=$(( RANDOM % 8 ))
    case $kind in
      blob)
        read -r name size <<<"${names[RANDOM % ${#names[@]}]}"
        off=$(( (RANDOM * 32768 + RANDOM) % size ))
        what="blob $name offset $off bit $bit"; want=$name
        vault_blob_get "$V" "$name" "$T/flip.blob"
        flip_at "$T/flip.blob" "$off" "$bit"
        ver=$(vault_blob_put "$V" "$name" "$T/flip.blob") ;;
      row)
        read -r t id c len <<<"${rows[RANDOM % ${#rows[@]}]}"
        off=$(( RANDOM % len ))
        what="table $t row $id column $c byte $off bit $bit"; want="table $t row $id"
        flip_row() { vault_pg_sql "$V" "UPDATE $t SET $c = set_byte($c, $off, get_byte($c, $off) # $((1 << bit))) WHERE id = $id" >/dev/null; }
        flip_row ;;
      log|vault.json)
        if [ "$kind" = log ]; then
          vault_log_is_file "$V" || { skip_part "flips in custody.log" "the vault's custody log is not a file"; continue; }
          f=$V/custody.log want=custody.log
        else
          f=$V/vault.json want=vault.json
        fi
        off=$(( (RANDOM * 32768 + RANDOM) % $(stat -c %s "$f") ))
        what="$want offset $off bit $bit"
        flip_at "$f" "$off" "$bit" ;;
    esac
    code=0
    "$DV" --vault "$V" verify >"$T/flip.out" 2>"$T/flip.err" || code=$?
    if [ "$code" -ne 0 ] && grep -qF "$want" "$T/flip.err"; then
      detected=$((detected + 1)); count[$kind]=$(( ${count[$kind]:-0} + 1 ))
    else
      missed=$((missed + 1))
      echo "FAIL: trial $i: $what: verify exit $code, $(grep -qF "$want" "$T/flip.err" && echo named || echo not named): $(head -c 300 "$T/flip.err")" >&2
    fi
    case $kind in
      blob) if vault_blobs_remote "$V"; then vault_blob_drop "$V" "$name" "$ver"
            else flip_at "$T/flip.blob" "$off" "$bit"; vault_blob_put "$V" "$name" "$T/flip.blob"; fi ;;
      row) flip_row ;;
      *) flip_at "$f" "$off" "$bit" ;;
    esac
  done
  for k in "${kinds[@]}"; do printf '  %-12s detected %3d\n' "$k" "${count[$k]:-0}"; done
  echo "$detected detected and named, $missed missed"
  check "every remote flip detected and named" test "$missed" -eq 0 -a "$detected" -gt 0
  expect_exit 0 "$DV" --vault "$V" verify
  check "the restored remote vault verifies" grep -q 'vault intact' "$T/last.out"
  finish
  exit
fi

# every committed page in catalog.db itself (no WAL left to shadow a flip)
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("pragma wal_checkpoint(truncate)"); c.close()' "$V0/catalog.db"
rm -f "$V0/catalog.db-wal" "$V0/catalog.db-shm"
expect_exit 0 "$DV" --vault "$V0" verify
cp -a "$V0" "$T/v"

# The schema is not under the rows' seals but decides how SQLite reads them:
# a column type edited in sqlite_master ("BLOB" -> "CLOB" gives a tag column
# text affinity) must be caught, not read through.
cp -a "$V0" "$T/vs"
python3 - "$T/vs/catalog.db" <<'PY'
import sys
p = sys.argv[1]; d = open(p, "rb").read()
i = d.index(b"source_tag BLOB")
open(p, "wb").write(d[:i] + b"source_tag CLOB" + d[i + len(b"source_tag BLOB"):])
PY
expect_exit 1 "$DV" --vault "$T/vs" verify
check "an edited column type in sqlite_master is named" grep -q "catalog schema differs.*ingests" "$T/last.err"
# an object added to the schema (a trigger would rewrite every later
# write of an honest station) is refused on open, before anything is written
cp -a "$V0" "$T/vt"
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("create trigger hide after insert on files begin delete from files where id = new.id; end"); c.commit(); c.close()' "$T/vt/catalog.db"
expect_exit 1 "$DV" --vault "$T/vt" verify
check "an added trigger is named" grep -q "catalog schema differs.*hide" "$T/last.err"
expect_exit 1 "$DV" --vault "$T/vt" ingest --case F --operator o "$T/card"
check "a writer refuses the catalog with a trigger" grep -q "catalog schema differs" "$T/last.err"

rc=0
python3 - "$DV" "$T/v" "${DV_FLIP_TRIALS:-100}" "${DV_FLIP_SEED:-}" <<'PY' || rc=$?
import os, random, sqlite3, struct, subprocess, sys

dv, vault, trials, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
seed = int(seed) if seed else random.randrange(1 << 32)
print(f"seed {seed} (DV_FLIP_SEED={seed} replays this run), {trials} trials")
rnd = random.Random(seed)
cat = os.path.join(vault, "catalog.db")

def dump(path, tables=None):
    """Every row of every table as SQLite reads them, and each table's SQL;
    None if it cannot be read. SQLite itself never uses sqlite_master's
    'type' text of a table row, so it is left out (a flip there changes no
    data; a dump that needs it, like iterdump, would fail on it)."""
    try:
        c = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        c.text_factory = bytes
        # sorted here: a flip can turn a name's text into a blob of the same
        # bytes, which SQLite's own schema loading reads alike but ORDER BY sorts apart
        schema = sorted(c.execute("select name, tbl_name, rootpage, sql from sqlite_master").fetchall(),
                        key=lambda r: tuple(b"" if v is None else v if isinstance(v, bytes) else str(v).encode() for v in r))
        names = tables if tables is not None else [r[0].decode() for r in c.execute(
            "select name from sqlite_master where type = 'table' order by name")]
        rows = tuple((t, tuple(c.execute(f'select * from "{t}" order by rowid').fetchall())) for t in names)
        ok = c.execute("pragma integrity_check").fetchall()
        c.close()
        return (tuple(schema), rows, tuple(ok))
    except (sqlite3.Error, TypeError, UnicodeDecodeError, ValueError):
        return None  # the flip broke what SQLite reads

ref = dump(cat)
tables = [t for t, _ in ref[1]]
data = open(cat, "rb").read()
page_size = struct.unpack(">H", data[16:18])[0] or 65536
npages = len(data) // page_size
btree = []          # (page offset, header offset, header size, cell content start, cells)
for p in range(npages):
    base = p * page_size
    h = base + (100 if p == 0 else 0)
    t = data[h]
    if t not in (2, 5, 10, 13):
        continue
    hs = 12 if t in (2, 5) else 8
    ncells = struct.unpack(">H", data[h + 3:h + 5])[0]
    start = struct.unpack(">H", data[h + 5:h + 7])[0] or 65536
    cells = [base + struct.unpack(">H", data[h + hs + 2 * i:h + hs + 2 * i + 2])[0] for i in range(ncells)]
    btree.append((base, h, hs, base + start, cells))
blobs = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(vault, "blobs")) for f in fs]
assert btree and blobs

def target(kind):
    """(file, offset, what must be named)"""
    if kind == "blob":
        b = rnd.choice(blobs)
        return b, rnd.randrange(os.path.getsize(b)), os.path.basename(b)
    if kind == "log":
        p = os.path.join(vault, "custody.log")
        return p, rnd.randrange(os.path.getsize(p)), "custody.log"
    if kind == "vault.json":
        p = os.path.join(vault, "vault.json")
        return p, rnd.randrange(os.path.getsize(p)), "vault.json"
    if kind == "db header":
        return cat, rnd.randrange(100), "catalog"
    page = rnd.choice(btree)
    if kind == "page header":
        return cat, page[1] + rnd.randrange(page[2]), "catalog"
    # a live cell: from a cell's start to the next cell or the page's end
    base, h, hs, start, cells = page
    if not cells:
        return cat, start + rnd.randrange(base + page_size - start), "catalog"
    c = rnd.choice(cells)
    ends = [x for x in cells + [base + page_size] if x > c]
    return cat, c + rnd.randrange(min(ends) - c), "catalog"

kinds = ["blob", "db header", "page header", "cell", "log", "vault.json"]
detected = no_effect = 0
missed = []
counts = {k: [0, 0] for k in kinds}
for i in range(trials):
    kind = kinds[i % len(kinds)]
    path, off, name = target(kind)
    bit = rnd.randrange(8)
    orig = open(path, "rb").read()
    flipped = bytearray(orig)
    flipped[off] ^= 1 << bit
    open(path, "wb").write(flipped)
    for extra in ("-wal", "-shm"):
        if os.path.exists(cat + extra):
            os.unlink(cat + extra)
    r = subprocess.run([dv, "--vault", vault, "verify"], capture_output=True, text=True, errors="replace")
    err = r.stderr
    named = name in err or (name == "catalog" and ("table " in err or "catalog.db" in err or "catalog:" in err))
    what = f"trial {i}: {kind}: {os.path.relpath(path, vault)} offset {off} bit {bit}"
    if r.returncode != 0 and named:
        detected += 1
        counts[kind][0] += 1
    elif path == cat and dump(cat, tables) == ref:
        no_effect += 1
        counts[kind][1] += 1
        print(f"{what}: no effect (the catalog's content is unchanged; verify exit {r.returncode})")
    else:
        missed.append(f"{what}: verify exit {r.returncode}, {'named' if named else 'not named'}: {err.strip()[:300]}")
    open(path, "wb").write(orig)
    for extra in ("-wal", "-shm"):
        if os.path.exists(cat + extra):
            os.unlink(cat + extra)

for k in kinds:
    print(f"  {k:12s} detected {counts[k][0]:3d}  no effect {counts[k][1]:3d}")
print(f"{detected} detected and named, {no_effect} no effect, {len(missed)} missed")
for m in missed:
    print("FAIL:", m, file=sys.stderr)
# the pristine vault is back
r = subprocess.run([dv, "--vault", vault, "verify"], capture_output=True, text=True)
if r.returncode != 0:
    print("FAIL: the restored vault does not verify:", r.stderr[:500], file=sys.stderr)
    sys.exit(1)
sys.exit(1 if missed or detected + no_effect != trials or detected == 0 else 0)
PY
check "every flip detected and named (or no effect)" test "$rc" -eq 0
finish
