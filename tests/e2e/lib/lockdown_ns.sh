#!/usr/bin/env bash
# Run by tests/e2e/lockdown.sh as root of a throw-away user + network
# namespace (unshare -rn): this namespace is the hotspot/gateway ("router").
# It makes two more network namespaces, a "drone" and an "internet" one,
# joined to the router by veth pairs, loads the generated nft rules here and
# proves: the allowed address passes, the forbidden one is dropped and
# counted; dnsmasq with the generated list answers a maker name with the
# sinkhole. Prints "PASS what" / "FAIL what"; exits 1 on a failure.
set -uo pipefail
DV=$1 OUT=$2 TOOL=$3
fails=0
pass() { echo "PASS $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
ip link set lo up
sysctl -qw net.ipv4.ip_forward=1 || { echo "SKIP: no ip_forward in this namespace"; exit 77; }
# the other namespaces, kept alive by a sleeping process each
unshare -n sleep 120 & DRONE=$!
unshare -n sleep 120 & NET=$!
cleanup() { kill "$DRONE" "$NET" 2>/dev/null; kill "${SRV:-}" "${DNSM:-}" 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT
sleep 0.3
dn() { nsenter -t "$DRONE" -n -- "$@"; }
nn() { nsenter -t "$NET" -n -- "$@"; }
ip link add vdr0 mtu 65535 type veth peer name vdr1 mtu 65535
ip link add vin0 mtu 65535 type veth peer name vin1 mtu 65535
ip link set vdr1 netns "$DRONE"
ip link set vin1 netns "$NET"
ip addr add 10.9.0.1/24 dev vdr0; ip link set vdr0 up
ip addr add 10.8.0.1/24 dev vin0; ip link set vin0 up
ip route add 45.0.0.0/8 via 10.8.0.2
dn ip link set lo up; dn ip addr add 10.9.0.2/24 dev vdr1; dn ip link set vdr1 up; dn ip route add default via 10.9.0.1
nn ip link set lo up; nn ip addr add 10.8.0.2/24 dev vin1; nn ip link set vin1 up
nn ip addr add 45.1.1.1/32 dev lo; nn ip addr add 45.2.2.2/32 dev lo; nn ip route add default via 10.8.0.1
nn python3 "$TOOL" serve 8080 60 & SRV=$!
sleep 0.5
# before the rules both answer (the test can fail)
dn python3 "$TOOL" connect 45.2.2.2 8080 2 && pass "forbidden address reachable before lockdown" || bad "no route before lockdown"

cat >"$OUT/seg.policy" <<'P'
segment-interface vdr0
gateway 10.9.0.1
allow-net 45.1.1.1/32 agency server
P
"$DV" lockdown --policy "$OUT/seg.policy" --format nft --out "$OUT/rules.nft" || bad "lockdown nft"
nft -c -f "$OUT/rules.nft" && pass "nft -c -f accepts the rules" || bad "nft -c -f refused the rules"
"$DV" lockdown --policy "$OUT/seg.policy" --format nft --apply >/dev/null 2>"$OUT/apply.err" && pass "--apply loads them" || { bad "--apply"; cat "$OUT/apply.err"; }
nft list table inet dronevault >/dev/null && pass "table loaded" || bad "table not loaded"

dn python3 "$TOOL" connect 45.1.1.1 8080 2 && pass "allowed address passes" || bad "allowed address blocked"
dn python3 "$TOOL" connect 45.2.2.2 8080 2 && bad "forbidden address passed" || pass "forbidden address dropped"
pk=$(nft list counter inet dronevault dropped_out | sed -n 's/.*packets \([0-9]*\).*/\1/p')
[ "${pk:-0}" -ge 1 ] && pass "drop counted ($pk packets)" || bad "drop not counted"
# a DNS query to an outside resolver is dropped too (DNS only to the gateway)
dn timeout 3 python3 "$TOOL" dnsq 45.2.2.2 53 flysafe.dji.com >/dev/null 2>&1 && bad "DNS to an outside resolver passed" || true
dk=$(nft list counter inet dronevault dropped_dns | sed -n 's/.*packets \([0-9]*\).*/\1/p')
[ "${dk:-0}" -ge 1 ] && pass "outside DNS dropped and counted ($dk)" || bad "outside DNS not counted"

# dnsmasq with the generated sinkhole list, on the router (the gateway)
if command -v dnsmasq >/dev/null; then
  for mode in nxdomain 0.0.0.0; do
    "$DV" lockdown --format dnsmasq --sinkhole "$mode" --out "$OUT/dnsmasq-$mode.conf" || bad "lockdown dnsmasq"
    dnsmasq --keep-in-foreground --no-resolv --no-hosts --conf-file="$OUT/dnsmasq-$mode.conf" \
      --listen-address=10.9.0.1 --bind-interfaces --port=53 --user= --group= --pid-file= \
      --log-facility=- 2>"$OUT/dnsmasq.log" & DNSM=$!
    for _ in $(seq 20); do
      r=$(dn python3 "$TOOL" dnsq 10.9.0.1 53 flysafe-api.dji.com 2>&1) && break
      sleep 0.25
    done
    if [ "$mode" = nxdomain ]; then
      echo "$r" | grep -q '^rcode 3$' && pass "dnsmasq: maker name NXDOMAIN" || bad "dnsmasq nxdomain: $r"
    else
      echo "$r" | grep -q '^A 0.0.0.0$' && pass "dnsmasq: maker name -> 0.0.0.0" || bad "dnsmasq sinkhole: $r"
    fi
    kill "$DNSM"; wait "$DNSM" 2>/dev/null; DNSM=
  done
else
  echo "SKIP dnsmasq not installed"
fi
exit $((fails > 0))
