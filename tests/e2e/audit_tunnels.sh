#!/usr/bin/env bash
# dronevault audit end to end (through the sandboxed reader) on captures
# made here with text2pcap (raw IPv4): a GRE tunnel to a public peer
# carrying UDP to the drone maker, ICMP to a public address, and IPsec ESP
# to a peer the policy allows. Before issue 12 all three were "clean, no
# destinations"; now: leak with both the tunnel's end and the inner
# destination, leak by ICMP (clean when allowed), inconclusive for the VPN
# to an allowed peer (content hidden).
. "$(dirname "$0")/lib/common.sh"
command -v text2pcap >/dev/null || { echo "skipped: no text2pcap (wireshark-common)"; exit 77; }

# cap NAME HEX... : one raw-IPv4 packet per HEX argument
cap() {
  local name=$1; shift
  : >"$T/$name.txt"
  for h in "$@"; do echo "000000 $(echo "$h" | tr -d ' ' | sed 's/../& /g')" >>"$T/$name.txt"; done
  text2pcap -q -l 101 "$T/$name.txt" "$T/$name.pcap" >/dev/null 2>&1 || text2pcap -l 101 "$T/$name.txt" "$T/$name.pcap" >/dev/null
}
PHONE=0a000002 PEER=2d43590a DJI=2f580001
inner="4500001d00010000401100000a000002${DJI}9c4001bb0009000078"
cap gre "4500003500010000402f0000${PHONE}${PEER}00000800${inner}"
cap icmp "4500001c0002000040010000${PHONE}${PEER}0800000000010001"
cap esp "450000240003000040320000${PHONE}${PEER}00001000000000010102030405060708"
echo "allow-net 45.67.89.0/24 our VPN concentrator" >"$T/allow.policy"

expect_exit 4 "$DV" audit --json "$T/gre.pcap"
j=$T/last.out
check "gre: the tunnel's end is a destination" grep -q '"tunnel_endpoint": "gre"' "$j"
check "gre: the inner destination" grep -q '"address": "47.88.0.1"' "$j"
check "gre: inner flow names its tunnel" grep -q '"kind": "gre"' "$j"
check "gre: outer peer on the inner flow" grep -q '"outer_remote": "45.67.89.10"' "$j"

# the same inner addresses and ports through two tunnels (to two peers) and
# once outside any: three flows, each inner one with its own tunnel's end
PEER2=2d43590b
cap twotun "4500003500010000402f0000${PHONE}${PEER}00000800${inner}" \
  "4500003500010000402f0000${PHONE}${PEER2}00000800${inner}" "4500003500010000402f0000${PHONE}${PEER2}00000800${inner}" \
  "$inner"
expect_exit 4 "$DV" audit --json "$T/twotun.pcap"
python3 - "$T/last.out" >"$T/twotun.flows" <<'PY'
import json, sys
for f in json.load(open(sys.argv[1]))["flows"]:
    if f["proto"] == "udp":
        print((f["tunnel"] or {}).get("outer_remote", "none"), f["packets_out"], f["bytes_out"])
PY
check "two tunnels: inner flow through the first peer apart" grep -qx '45.67.89.10 1 29' "$T/twotun.flows"
check "two tunnels: inner flow through the second peer apart" grep -qx '45.67.89.11 2 58' "$T/twotun.flows"
check "two tunnels: the same addresses outside any tunnel apart" grep -qx 'none 1 29' "$T/twotun.flows"
check "two tunnels: three udp flows" test "$(wc -l <"$T/twotun.flows")" -eq 3

expect_exit 4 "$DV" audit --json "$T/icmp.pcap"
check "icmp: a flow of its own" grep -q '"proto": "icmp"' "$T/last.out"
check "icmp: bytes out" grep -q '"bytes_out": 28' "$T/last.out"
expect_exit 0 "$DV" audit --policy "$T/allow.policy" "$T/icmp.pcap"

expect_exit 4 "$DV" audit "$T/esp.pcap"
check "esp: named a VPN" grep -q 'VPN: IPsec ESP' "$T/last.out"
expect_exit 5 "$DV" audit --policy "$T/allow.policy" "$T/esp.pcap"
check "esp allowed: content hidden" grep -q 'content hidden: a VPN (IPsec ESP) to 45.67.89.10' "$T/last.out"
finish
