#!/usr/bin/env bash
# The passphrase prompt on a terminal (script(1) gives the command a pty):
# asked twice at init without echo, mismatches refused, asked once to open,
# a wrong one is exit 3; with no terminal and no other source, a clear error.
. "$(dirname "$0")/lib/common.sh"
unset DRONEVAULT_PASSPHRASE
command -v script >/dev/null || { echo "skipped: no script(1)"; exit 77; }
pty() { # pty INPUT_LINES... -- COMMAND : run COMMAND on a pty, typing the lines
  local input=() 
  while [ "$1" != -- ]; do input+=("$1"); shift; done
  shift
  local cmd
  printf -v cmd '%q ' "$@"
  { for l in "${input[@]}"; do sleep 0.4; printf '%s\n' "$l"; done; sleep 1; } |
    timeout 60 script -qec "$cmd" /dev/null
}
V=$T/vault
out=$(pty 'first secret phrase' 'other secret phrase' -- "$DV" init --kdf-mem 8 --kdf-ops 1 "$V") || true
check "mismatch refused" grep -q 'passphrases differ' <<<"$out"
check "nothing created on mismatch" test ! -e "$V/vault.json"
out=$(pty 'right secret phrase' 'right secret phrase' -- "$DV" init --kdf-mem 8 --kdf-ops 1 "$V")
check "asked twice" test "$(grep -c 'passphrase:' <<<"$out")" -eq 2
check "created" grep -q "created vault" <<<"$out"
check "no echo of the passphrase" bash -c "! grep -q 'right secret' <<<'$out'"
out=$(pty 'right secret phrase' -- "$DV" --vault "$V" cases)
check "opens with the prompt" grep -q 'ingests' <<<"$out"
code=0
pty 'wrong secret phrase' -- "$DV" --vault "$V" cases >"$T/w.out" || code=$?
check "wrong passphrase named" grep -q "wrong passphrase" "$T/w.out"
check "wrong passphrase exit 3 (got $code)" test "$code" -eq 3
# no terminal, no environment, no key file: a clear error (exit 2), no hang
expect_exit 2 setsid "$DV" --vault "$V" cases </dev/null
check "explains the three ways" grep -q 'DRONEVAULT_PASSPHRASE, give --key-file FILE, or run on a terminal' "$T/last.err"
finish
