#!/usr/bin/env bash
# No raw control byte from a card (or a case name, a source path) reaches
# the terminal: ls, log, cases, export, verify and error messages print
# names through one escaping function (\e, \n, \t, \xHH); --json stays
# byte-exact (json-c escapes it).
. "$(dirname "$0")/lib/common.sh"

esc=$(printf '\033')
V=$T/vault
new_vault "$V"
S="$T/card${esc}]0;owned$(printf '\007')"
mkdir -p "$S/DCIM"
head -c 100 /dev/urandom >"$S/DCIM/a${esc}[2Jclear.jpg"
head -c 100 /dev/urandom >"$S/DCIM/nl
fake line.jpg"
head -c 100 /dev/urandom >"$S/DCIM/del$(printf '\177')tab	.jpg"
case_name="C${esc}[31m"
# raw control bytes in a text output: anything below 0x20 but newline, and DEL
raw() { LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$@"; }
clean() { # clean WHAT FILE...
  local what=$1; shift
  if raw "$@"; then fail "$what: raw control bytes on the terminal"; sed -n l "$@" | head -5 >&2; else ok; fi
}
expect_exit 0 "$DV" --vault "$V" ingest --case "$case_name" --operator "PC${esc}[8m" "$S"
clean "ingest" "$T/last.out" "$T/last.err"
expect_exit 0 "$DV" --vault "$V" ls --case "$case_name"
clean "ls" "$T/last.out" "$T/last.err"
check "ls shows the escaped name" grep -qF 'DCIM/a\e[2Jclear.jpg' "$T/last.out"
check "ls shows a newline as \\n (one line per file)" grep -qF 'DCIM/nl\nfake line.jpg' "$T/last.out"
check "ls shows DEL and tab" grep -qF 'DCIM/del\x7ftab\t.jpg' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" cases
clean "cases" "$T/last.out" "$T/last.err"
check "cases shows the escaped case name" grep -qF 'C\e[31m' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" log
clean "log" "$T/last.out" "$T/last.err"
check "log shows the escaped source" grep -qF 'card\e]0;owned\x07' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" export --case "$case_name" --to "$T/out${esc}x"
clean "export" "$T/last.out" "$T/last.err"
expect_exit 1 "$DV" --vault "$V" export --case "$case_name" --to "$T/out${esc}x"
clean "export error (not empty)" "$T/last.out" "$T/last.err"
check "the error names the escaped directory" grep -qF 'out\ex' "$T/last.err"
expect_exit 1 "$DV" --vault "$V" ingest --case X --operator o "$T/missing${esc}[2J"
clean "ingest error" "$T/last.out" "$T/last.err"
expect_exit 0 "$DV" --vault "$V" verify
clean "verify" "$T/last.out" "$T/last.err"
# JSON keeps the exact bytes (escaped the JSON way)
expect_exit 0 "$DV" --vault "$V" ls --case "$case_name" --json
check "ls --json has the exact name" python3 -c "
import json, sys
names = [f['path'] for f in json.load(open(sys.argv[1]))['files']] if isinstance(json.load(open(sys.argv[1])), dict) else [f['path'] for f in json.load(open(sys.argv[1]))]
assert 'DCIM/a\x1b[2Jclear.jpg' in names, names" "$T/last.out"
finish
