#!/usr/bin/env bash
# init, ingest a directory, verify, log, cases, ls, export + sha256sum -c,
# re-ingest dedup, wrong passphrase touches nothing, --help everywhere.
. "$(dirname "$0")/lib/common.sh"

make_files "$T/card" DCIM/100MEDIA/DJI_0001.JPG:1200000 DCIM/100MEDIA/DJI_0002.JPG:2500000 \
  DCIM/100MEDIA/DJI_0003.MP4:5000000 DCIM/100MEDIA/DJI_0003.SRT:4000 'MISC/name with spaces.txt':10 \
  MISC/empty:0 'MISC/back\slash.txt':5
cp "$T/card/DCIM/100MEDIA/DJI_0001.JPG" "$T/card/MISC/copy.JPG"
V=$T/vault
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" ingest --case 2026-0042 --operator 'PC Weber' --note 'seal 4711' --json "$T/card"
j=$(cat "$T/last.out")
check "json says complete" grep -q '"complete":true' <<<"$j"
check "json counts 8 files" grep -q '"files":8,' <<<"$j"
check "dedup of the copy" grep -q '"files_deduplicated":1' <<<"$j"
check "sandbox on" grep -q '"network_sandbox":true' <<<"$j"
# blob names do not reveal the plaintext hash
h=$(sha256sum "$T/card/DCIM/100MEDIA/DJI_0001.JPG" | cut -c1-64)
vault_blob_names "$V" >"$T/blob-names"
check "no blob named by plaintext hash" bash -c "! grep -q '$h' '$T/blob-names'"
check "7 distinct blobs" test "$(wc -l <"$T/blob-names")" -eq 7
# nothing readable at rest
check "case id not in clear" bash -c "! grep -rqa '2026-0042' '$V'"
check "file names not in clear" bash -c "! grep -rqa 'DJI_0001' '$V'"
check "operator not in clear" bash -c "! grep -rqa 'Weber' '$V'"

expect_exit 0 "$DV" --vault "$V" verify
check "verify says intact" grep -q 'vault intact' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" log --case 2026-0042
check "log shows ingest" grep -q ' ingest ' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" log --json
check "log json has init" grep -q '"action":"vault.init"' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" cases --json
check "cases json" grep -q '"case":"2026-0042"' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" ls --case 2026-0042
check "ls lists path" grep -q 'DCIM/100MEDIA/DJI_0003.SRT' "$T/last.out"
check "ls shows real sha" grep -q "$h" "$T/last.out"
expect_exit 1 "$DV" --vault "$V" ls --case nope
check "unknown case named" grep -q "no case 'nope'" "$T/last.err"

# export, then sha256sum -c, then byte-for-byte against the card
expect_exit 0 "$DV" --vault "$V" export --case 2026-0042 --to "$T/out"
check "sha256sum -c accepts" bash -c "cd '$T/out' && sha256sum --quiet -c SHA256SUMS"
check "export identical to card" bash -c "diff -r '$T/card' '$T/out' | grep -v SHA256SUMS | (! grep -q .)"
check "mtime kept" test "$(stat -c %Y "$T/card/DCIM/100MEDIA/DJI_0002.JPG")" = "$(stat -c %Y "$T/out/DCIM/100MEDIA/DJI_0002.JPG")"
expect_exit 1 "$DV" --vault "$V" export --case 2026-0042 --to "$T/out"
check "export refuses non-empty dir" grep -q 'not empty' "$T/last.err"
expect_exit 0 "$DV" --vault "$V" log
check "export logged" grep -q ' export ' "$T/last.out"

# the environment variable picks the vault
expect_exit 0 env DRONEVAULT_VAULT="$V" "$DV" cases

# wrong passphrase: exit 3, clear message, nothing touched
before=$(cd "$V" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
expect_exit 3 env DRONEVAULT_PASSPHRASE=wrong-passphrase "$DV" --vault "$V" ingest --case X --operator y "$T/card"
check "wrong passphrase message" grep -q 'wrong passphrase' "$T/last.err"
after=$(cd "$V" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
check "wrong passphrase touched nothing" test "$before" = "$after"

# a key-file vault
head -c 64 /dev/urandom >"$T/vault.key"
expect_exit 0 "$DV" init --key-file "$T/vault.key" "$T/kv"
expect_exit 0 "$DV" --vault "$T/kv" ingest --key-file "$T/vault.key" --case K --operator o "$T/card"
expect_exit 3 "$DV" --vault "$T/kv" verify
head -c 64 /dev/urandom >"$T/other.key"
expect_exit 3 "$DV" --vault "$T/kv" verify --key-file "$T/other.key"
expect_exit 0 "$DV" --vault "$T/kv" verify --key-file "$T/vault.key"

# init refuses a non-empty directory, usage errors are exit 2
expect_exit 1 "$DV" init "$V"
expect_exit 2 "$DV" --vault "$V" ingest --operator x "$T/card"
expect_exit 2 "$DV" --vault "$V" ingest --case x "$T/card"
expect_exit 2 "$DV" frobnicate
expect_exit 1 "$DV" --vault "$T/none" cases
check "missing vault explained" grep -q 'dronevault init' "$T/last.err"
expect_exit 1 "$DV" --vault "$V" ingest --case X --operator y "$T/does-not-exist"

# a source that holds the vault is refused
mkdir -p "$T/tree"
new_vault "$T/tree/v"
expect_exit 1 "$DV" --vault "$T/tree/v" ingest --case X --operator y "$T/tree"
check "vault inside source refused" grep -q 'inside this source' "$T/last.err"

# every command explains itself
expect_exit 0 "$DV" --help
for cmd in $("$DV" --help | awk '/^Commands:/{on=1;next} on&&/^  [a-z]/{print $1} on&&/^$/{exit}'); do
  expect_exit 0 "$DV" "$cmd" --help
  check "$cmd --help prints usage" grep -q "usage: dronevault" "$T/last.out"
done
finish
