#!/usr/bin/env bash
# Keys in memory: a running dronevault has no passphrase in its environment
# (/proc/PID/environ), cannot dump core (RLIMIT_CORE 0, not dumpable), and
# keeps its keys in locked guarded memory (VmLck in /proc/PID/status).
. "$(dirname "$0")/lib/common.sh"

V=$T/vault
new_vault "$V"
"$DV" sample-card "$T/card" >/dev/null
# hold the vault's writer lock from the shell, so an ingest --wait sits
# there with its keys loaded, for as long as we look
exec 9>"$V/lock"
flock 9
"$DV" --vault "$V" ingest --wait --case P --operator o "$T/card" >"$T/ing.out" 2>&1 &
pid=$!
for _ in $(seq 1 200); do grep -q 'waiting\|busy\|held' "$T/ing.out" 2>/dev/null && break; sleep 0.02; done
sleep 0.2
kill -STOP "$pid"
check "the process runs" test -d "/proc/$pid"
if tr '\0' '\n' <"/proc/$pid/environ" >"$T/environ" 2>/dev/null; then
  check "no DRONEVAULT_PASSPHRASE in /proc/PID/environ" bash -c "! grep -q 'DRONEVAULT_PASSPHRASE' '$T/environ'"
  check "no passphrase bytes in /proc/PID/environ" bash -c "! grep -qF 'test passphrase 123' '$T/environ'"
  check "the rest of the environment is still there" grep -q '^PATH=' "$T/environ"
else
  ok   # not dumpable: another user may not read it at all
fi
check "core file size 0 (soft and hard)" grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits"
lck=$(awk '/^VmLck:/ {print $2}' "/proc/$pid/status")
# (AddressSanitizer turns mlock into a no-op: no VmLck to see there)
if ! grep -qa __asan_init "$DV" && { [ "$(ulimit -l)" = unlimited ] || [ "$(ulimit -l)" -ge 64 ]; }; then
  check "keys in locked memory (VmLck $lck kB)" test "${lck:-0}" -gt 0
fi
kill -CONT "$pid"
flock -u 9
exec 9>&-
code=0
wait "$pid" || code=$?
check "the ingest went on once the vault was free (exit $code)" test "$code" -eq 0
expect_exit 0 "$DV" version
check "version reports not dumpable, core dumps off" grep -q 'process: not dumpable, core dumps off' "$T/last.out"
# the passphrase still works from the environment (read once, at start)
expect_exit 0 "$DV" --vault "$V" verify
finish
