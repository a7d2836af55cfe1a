#!/usr/bin/env bash
# Run by tests/e2e/watch.sh as root of a throw-away user + network namespace
# (unshare -rn), following ../shared/audit/netns-recipe.md: a veth pair
# (MTU 65535, IPv6 off), `dronevault watch` on one end, tcpreplay of a
# capture into the other at a bounded rate. Writes into OUT: live.json
# (watch --json), events.jsonl, times (tcpreplay's start and end, seconds).
set -uo pipefail
DV=$1 CAP=$2 OUT=$3 POLICY=${4:-}
ip link set lo up
ip link add va mtu 65535 type veth peer name vb mtu 65535 || exit 77
sysctl -qw net.ipv6.conf.va.disable_ipv6=1 net.ipv6.conf.vb.disable_ipv6=1 2>/dev/null
ip link set va up; ip link set vb up
pol=()
[ -n "$POLICY" ] && pol=(--policy "$POLICY")
"$DV" watch -i vb "${pol[@]}" --events "$OUT/events.jsonl" --summary 1 --json >"$OUT/live.json" 2>"$OUT/watch.err" &
W=$!
for _ in $(seq 200); do grep -q "watching vb" "$OUT/watch.err" 2>/dev/null && break; sleep 0.1; done
sleep 0.5
t0=$(date +%s.%N)
tcpreplay -q --mbps=20 -i va "$CAP" >"$OUT/tcpreplay.out" 2>&1 || echo "tcpreplay failed" >>"$OUT/watch.err"
t1=$(date +%s.%N)
echo "$t0 $t1" >"$OUT/times"
sleep 1.5
kill -INT "$W"
wait "$W"
echo $? >"$OUT/rc"
