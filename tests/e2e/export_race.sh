#!/usr/bin/env bash
# The export target raced: while exports run, an attacker with write access
# to the destination keeps swapping its directories for symlinks to a
# directory outside it. Nothing may ever be written outside the target; an
# export that notices the swap fails (exit 1) rather than follow the link.
# Trials: DV_RACE_TRIALS (CI default 50).
. "$(dirname "$0")/lib/common.sh"

trials=${DV_RACE_TRIALS:-50}
V=$T/vault
new_vault "$V"
S=$T/src
for d in DCIM/100MEDIA a/b/c/d/e/f/g/h; do
  for i in $(seq 1 25); do make_files "$S" "$d/F$i.JPG:2000"; done
done
expect_exit 0 "$DV" --vault "$V" ingest --case R --operator o "$S"
outside=$T/outside
# outside mirrors the tree below each flipped directory, so a followed link
# lands files there instead of failing on a missing directory
mkdir -p "$outside/b/c/d/e/f/g/h" "$outside/100MEDIA" "$outside/e/f/g/h"
# Flip directories of the target between themselves and a link to outside
# as fast as the machine goes (a small C program: no fork, no interpreter
# per step), so the exporter meets a directory at one look and a link at
# the next. "a" has the longest path below it, the widest window for a
# writer that checks a path and then opens it.
cat >"$T/flip.c" <<'C'
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	char real[4096], p[4096];
	for (;;)
		for (int i = 2; i < argc; i++) {
			snprintf(p, sizeof(p), "%s", argv[i]);
			snprintf(real, sizeof(real), "%s.real", argv[i]);
			if (rename(p, real) == 0) {
				if (symlink(argv[1], p) == 0) unlink(p);
				rename(real, p);
			}
		}
}
C
cc -O2 -o "$T/flip" "$T/flip.c"
attacker() {
  cd "$1" && exec "$T/flip" "$outside" a
}
ok_n=0 refused=0 other=0
for t in $(seq 1 "$trials"); do
  out=$T/out$t
  mkdir "$out"
  attacker "$out" &
  apid=$!
  sleep 0.05   # let it start
  code=0
  "$DV" --vault "$V" export --case R --to "$out" >"$T/x.out" 2>"$T/x.err" || code=$?
  kill "$apid" 2>/dev/null; wait "$apid" 2>/dev/null || true
  case $code in
    0) ok_n=$((ok_n + 1)) ;;
    1) refused=$((refused + 1)) ;;
    *) other=$((other + 1)); sed 's/^/    /' "$T/x.err" >&2 ;;
  esac
  if [ -n "$(find "$outside" -type f)" ]; then
    fail "trial $t: written outside the target: $(cd "$outside" && find . -type f | head -3 | tr '\n' ' ')"
    find "$outside" -type f -delete
  else
    ok
  fi
  rm -rf "$out"
done
echo "race: $trials trials, $ok_n exported untouched, $refused refused (swap noticed), $other other"
check "no export crashed or gave an unexpected status" test "$other" -eq 0
# a refused export is custody too: started and marked incomplete
if [ "$refused" -gt 0 ]; then
  expect_exit 0 "$DV" --vault "$V" log --json
  check "refused exports logged as export.incomplete" grep -q '"action":"export.incomplete"' "$T/last.out"
fi
expect_exit 0 "$DV" --vault "$V" verify
finish
