#!/usr/bin/env bash
# Readers work while an ingest writes; a second writer is told the vault is
# busy (exit 6) at once, after --wait=SECONDS, or waits with --wait.
# The ingest is frozen (SIGSTOP) in the middle, so the readers provably run
# while it holds the vault, wherever it stopped (even mid-append).
# DV_READERS_FILES (400; the remote backend run takes 120): the card's files.
. "$(dirname "$0")/lib/common.sh"

V=$T/vault
new_vault "$V"
specs=()
nfiles=${DV_READERS_FILES:-400}
for i in $(seq -w 1 "$nfiles"); do specs+=("DCIM/100MEDIA/DJI_$i.JPG:60000"); done
make_files "$T/card" "${specs[@]}"
make_files "$T/card2" DCIM/100MEDIA/DJI_9001.JPG:1000
# one complete ingest before, so the snapshot has something to check exactly
make_files "$T/card0" DCIM/100MEDIA/DJI_0000.JPG:5000
expect_exit 0 "$DV" --vault "$V" ingest --case 2026-0001 --operator 'PC Early' "$T/card0"
b0=$(vault_blob_names "$V")

"$DV" --vault "$V" ingest --case 2026-0042 --operator 'PC Weber' "$T/card" >"$T/ing1.out" 2>"$T/ing1.err" &
pid=$!
# wait until it has stored something, then freeze it
for _ in $(seq 1 400); do
  n=$(vault_blob_count "$V" 2>/dev/null || echo 0)
  [ "$n" -gt 5 ] && break
  sleep 0.02
done
kill -STOP "$pid"
check "ingest still running when frozen" kill -0 "$pid"

# a second writer: busy at once, exit 6, naming who holds the vault
t0=$(date +%s.%N)
expect_exit 6 "$DV" --vault "$V" ingest --case 2026-0043 --operator 'PC Other' "$T/card2"
t1=$(date +%s.%N)
check "busy names the holder" grep -q "vault busy: ingest by PC Weber pid $pid since " "$T/last.err"
check "busy at once" awk "BEGIN { exit !($t1 - $t0 < 5) }"

# readers, all while the ingest holds the vault
expect_exit 0 "$DV" --vault "$V" cases --json
check "cases sees the earlier case" grep -q '"case":"2026-0001"' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" ls --case 2026-0001
check "ls lists the earlier file" grep -q 'DJI_0000.JPG' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" log
check "log shows the earlier ingest" grep -q ' ingest ' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" flights --case 2026-0001
expect_exit 0 "$DV" --vault "$V" verify --json
check "verify: no problems while the ingest runs" grep -q '"ok":true' "$T/last.out"
check "verify: the open ingest is in progress" grep -q 'in progress' "$T/last.out"
check "verify: in_progress counted" grep -q '"in_progress":[1-9]' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" verify
check "verify text says in progress" grep -q 'in progress' "$T/last.out"
# ... and stays exact: damage to what the snapshot holds is still a problem
vault_blob_flip "$V" "$b0" 100
expect_exit 4 "$DV" --vault "$V" verify
check "verify names the damaged blob during the ingest" grep -q "$b0.*fails authentication" "$T/last.err"
vault_blob_unflip "$V" "$b0" 100
expect_exit 0 "$DV" --vault "$V" verify

# --wait=1: gives up after about a second, still exit 6
t0=$(date +%s.%N)
expect_exit 6 "$DV" --vault "$V" ingest --wait=1 --case 2026-0043 --operator 'PC Other' "$T/card2"
t1=$(date +%s.%N)
check "--wait=1 waited about 1 s" awk "BEGIN { d = $t1 - $t0; exit !(d >= 0.9 && d < 6) }"
check "--wait=1 says who and how long" grep -q 'vault busy: ingest by PC Weber.*(waited 1 s)' "$T/last.err"
check "--wait=1 told who it waited for" grep -q 'waiting for the vault: ingest by PC Weber' "$T/last.err"
expect_exit 2 "$DV" --vault "$V" ingest --wait=soon --case 2026-0043 --operator 'PC Other' "$T/card2"

# --wait: proceeds once the first ingest is done
"$DV" --vault "$V" ingest --wait --case 2026-0043 --operator 'PC Other' "$T/card2" >"$T/ing2.out" 2>"$T/ing2.err" &
pid2=$!
sleep 0.5
check "waiting writer still waits" kill -0 "$pid2"
kill -CONT "$pid"
rc1=0; wait "$pid" || rc1=$?
rc2=0; wait "$pid2" || rc2=$?
check "first ingest completed (exit $rc1)" test "$rc1" -eq 0
check "waiting ingest completed (exit $rc2)" test "$rc2" -eq 0

expect_exit 0 "$DV" --vault "$V" verify --json
check "verify clean afterwards" grep -q '"ok":true' "$T/last.out"
check "nothing in progress afterwards" grep -q '"in_progress":0' "$T/last.out"
check "the busy note is sealed" bash -c "! grep -qa 'Weber' '$V/lock'"
expect_exit 0 "$DV" --vault "$V" ls --case 2026-0042
check "all $nfiles files listed" test "$(grep -c 'DJI_' "$T/last.out")" -eq "$nfiles"
for cmd in ingest export 'zones check' audit radio reindex; do
  # shellcheck disable=SC2086
  expect_exit 0 "$DV" $cmd --help
  check "$cmd --help documents exit 6" grep -q '6 the vault is busy' "$T/last.out"
done
expect_exit 0 "$DV" --help
check "--help documents exit 6" grep -q '6 vault busy' "$T/last.out"
finish
