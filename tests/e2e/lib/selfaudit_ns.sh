#!/usr/bin/env bash
# Run by tests/e2e/selfaudit.sh as root of a throw-away user + network
# namespace: the default routes (IPv4 and IPv6) lead through veth va, whose
# peer vb drops everything (no address, no forwarding) and is watched by
# `dronevault watch`; static neighbours, so that a connection attempt puts
# an IP packet on the wire at once (no ARP/ND first). Then the demo's steps
# run under strace -f -e trace=%network. OUT gets watch.json, strace.log.
set -uo pipefail
DV=$1 REPO=$2 OUT=$3
ip link set lo up
ip link add va mtu 65535 type veth peer name vb mtu 65535 || exit 77
for i in va vb; do
  sysctl -qw net.ipv6.conf.$i.accept_ra=0 net.ipv6.conf.$i.router_solicitations=0 net.ipv6.conf.$i.dad_transmits=0 2>/dev/null
done
sysctl -qw net.ipv6.conf.vb.disable_ipv6=1 2>/dev/null
ip link set va up; ip link set vb up
mac=$(ip -o link show vb | grep -o "link/ether [0-9a-f:]*" | cut -d" " -f2)
ip addr add 10.99.0.1/24 dev va
ip neigh replace 10.99.0.2 lladdr "$mac" dev va nud permanent
ip route add default via 10.99.0.2 dev va
if ip -6 addr add fd99::1/64 dev va nodad 2>/dev/null; then
  ip -6 neigh replace fd99::2 lladdr "$mac" dev va nud permanent
  ip -6 route add default via fd99::2 dev va
fi
# let the kernel's own joins (MLD) pass before the watch starts
sleep 4
"$DV" watch -i vb --json --summary 0 >"$OUT/watch.json" 2>"$OUT/watch.err" &
W=$!
for _ in $(seq 200); do grep -q "watching vb" "$OUT/watch.err" 2>/dev/null && break; sleep 0.1; done
sleep 0.3
# a probe first: the watch must see a connection attempt (the test can fail)
if [ "${SELFAUDIT_PROBE:-}" ]; then
  strace -f -qq -e trace=%network -o "$OUT/strace.log" timeout 2 bash -c 'exec 3<>/dev/tcp/45.3.3.3/443' 2>/dev/null
else
  # LeakSanitizer cannot run under ptrace (sanitizer builds)
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" DV="$DV" strace -f -qq -e trace=%network -o "$OUT/strace.log" bash "$REPO/scripts/demo.sh" --no-setup >"$OUT/demo.out" 2>&1
  echo $? >"$OUT/demo.rc"
fi
sleep 1
kill -INT "$W"
wait "$W"
echo $? >"$OUT/watch.rc"
