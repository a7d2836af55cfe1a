#!/usr/bin/env bash
# The source raced (issue 11): while an ingest reads a directory, someone
# with write access to the card keeps swapping one of its directories for a
# symlink to a directory outside the source ("/etc" in the attack; here a
# look-alike tree with the same names and sizes, so a followed link would
# go unnoticed by size), and another for a symlink to a look-alike
# directory *inside* the source. Nothing from outside may ever be stored,
# no file may be stored under another file's name, a swap met is a per-file
# failure (named; the rest stored), never a fault blamed on the reader.
# Trials: DV_RACE_TRIALS (CI default 50). Also: `ingest` of a whole
# tree whose walk must not leave it, and files mode (audit --case) checks.
. "$(dirname "$0")/lib/common.sh"

trials=${DV_RACE_TRIALS:-50}
V=$T/vault
new_vault "$V"
S=$T/src
outside=$T/outside
# a/b/c/d/F*.JPG and x/y/F*.JPG on the card; look-alikes outside (for a)
# and inside at z (for x), same names and sizes, other bytes
for i in $(seq 1 8); do
  make_files "$S" "a/b/c/d/F$i.JPG:3000" "x/y/F$i.JPG:3000" "z/y/F$i.JPG:3000" "$(printf 'keep/K%02d.JPG' "$i"):1000"
  make_files "$outside" "b/c/d/F$i.JPG:3000"
done
# what each path of the card holds, and every content that must never be
# stored under a card path of a/ or x/
(cd "$S" && find . -type f -printf '%P\n' | sort | while read -r p; do echo "$(sha256sum <"$p" | cut -c1-64) $p"; done) >"$T/card.sums"
(cd "$outside" && find . -type f -print0 | xargs -0 sha256sum | cut -c1-64) >"$T/outside.sums"

cat >"$T/flip.c" <<'C'
#include <stdio.h>
#include <unistd.h>
/* flip TARGET DIR: DIR <-> a symlink to TARGET, as fast as it goes */
int main(int argc, char **argv)
{
	char real[4096];
	if (argc != 3) return 2;
	snprintf(real, sizeof(real), "%s.real", argv[2]);
	for (;;)
		if (rename(argv[2], real) == 0) {
			if (symlink(argv[1], argv[2]) == 0) {
				usleep(50);
				unlink(argv[2]);
			}
			rename(real, argv[2]);
			usleep(50);
		}
}
C
cc -O2 -o "$T/flip" "$T/flip.c"

stored_bad=0 clean=0 partial=0 other=0
for t in $(seq 1 "$trials"); do
  "$T/flip" "$outside" "$S/a" & p1=$!
  "$T/flip" "$S/z" "$S/x" & p2=$!
  code=0
  "$DV" --vault "$V" ingest --case "R$t" --operator o --no-telemetry --json "$S" >"$T/i.out" 2>"$T/i.err" || code=$?
  kill "$p1" "$p2"; wait "$p1" "$p2" 2>/dev/null || true
  # the flippers may have been killed mid-swap: put the tree back
  for d in a x; do
    if [ -e "$S/$d.real" ]; then rm -f "$S/$d"; mv "$S/$d.real" "$S/$d"; fi
  done
  case $code in
    0) clean=$((clean + 1)) ;;
    1) if grep -q 'protocol fault' "$T/i.err"; then
         fail "trial $t: a swap blamed on the reader: $(head -c 300 "$T/i.err")"
       elif ! grep -q 'changed since it was listed\|changed while being read' "$T/i.err"; then
         fail "trial $t: failed without naming a changed file: $(head -c 300 "$T/i.err")"
       fi
       partial=$((partial + 1)) ;;
    *) other=$((other + 1)); sed 's/^/    /' "$T/i.err" >&2 ;;
  esac
  "$DV" --vault "$V" ls --case "R$t" --json >"$T/ls.json"
  # every stored file holds its own path's bytes, and the 8 keep/ files are in
  python3 - "$T/ls.json" "$T/card.sums" "$T/outside.sums" >"$T/check.out" <<'PY' || { stored_bad=$((stored_bad + 1)); fail "trial $t: $(cat "$T/check.out")"; }
import json, sys
rows = json.load(open(sys.argv[1]))
card = dict(reversed(l.split(' ', 1)) for l in open(sys.argv[2]).read().split('\n') if l)
outside = set(l for l in open(sys.argv[3]).read().split('\n') if l)
# a listing may meet a directory while it is renamed aside (a.real): its
# files are still the card's own
def own(p):
    for d in ('a', 'x'):
        if p.startswith(d + '.real/'): return d + p[len(d) + 5:]
    return p
bad = [r['path'] for r in rows if r['sha256'] in outside or card.get(own(r['path'])) != r['sha256']]
keep = sum(1 for r in rows if r['path'].startswith('keep/'))
if bad or keep != 8:
    print('stored wrong content under', bad[:3], 'keep files', keep)
    sys.exit(1)
PY
done
echo "source race: $trials trials: $clean complete, $partial with files failed (swap met), $other other; $stored_bad stored something wrong"
check "no ingest crashed or gave an unexpected status" test "$other" -eq 0
check "every trial ran" test $((clean + partial + other)) -eq "$trials"
expect_exit 0 "$DV" --vault "$V" verify
finish
