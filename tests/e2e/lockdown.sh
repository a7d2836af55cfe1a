#!/usr/bin/env bash
# dronevault policy check and lockdown (issue 13): errors named by line and
# column (exit 4); every generator's output; nft -c -f accepts the ruleset;
# and in throw-away namespaces (tests/e2e/lib/lockdown_ns.sh) the loaded rules
# let the allowed address through, drop and count the forbidden one, and
# dnsmasq with the generated list sinkholes a maker name. The namespace part
# is skipped (77), never passed, without unshare/nft/ip.
. "$(dirname "$0")/lib/common.sh"
L=$(dirname "$0")/lib

printf 'allow-net 10.0.0.0/33\nsegment-interface wlan0\nseverity maker loud\n' >"$T/bad.policy"
expect_exit 4 "$DV" policy check "$T/bad.policy"
check "line and column named" grep -q "bad.policy:1:11: error: bad network" "$T/last.out"
check "every error" grep -q "bad.policy:3:16: error: unknown level" "$T/last.out"
check "count" grep -q "2 error(s)" "$T/last.out"
expect_exit 4 "$DV" policy check --json "$T/bad.policy"
check "json column" grep -Eq '"column": ?16' "$T/last.out"
printf 'allow-net 10.0.0.0/8 lab\nallow-name *.agency.example\nsegment-net 192.168.50.0/24\nresolver 192.168.50.1\n' >"$T/good.policy"
expect_exit 0 "$DV" policy check "$T/good.policy"
expect_exit 1 "$DV" policy check "$T/missing.policy"
expect_exit 2 "$DV" policy frobnicate
expect_exit 0 "$DV" policy --help
# audit still reads the (extended) policy file
expect_exit 4 "$DV" audit --policy "$T/good.policy" "$DV_SOURCE_DIR/fuzz/corpus/audit_pcap/mixed.pcap"
expect_exit 1 "$DV" audit --policy "$T/bad.policy" "$DV_SOURCE_DIR/fuzz/corpus/audit_pcap/mixed.pcap"
check "audit names line and column" grep -q "line 1, column 11" "$T/last.err"

expect_exit 0 "$DV" lockdown --format dnsmasq
check "dnsmasq sinkholes the maker" grep -q '^address=/dji.com/$' "$T/last.out"
expect_exit 0 "$DV" lockdown --format unbound --sinkhole 0.0.0.0
check "unbound redirect" grep -q 'local-data: "dji.com. A 0.0.0.0"' "$T/last.out"
cp "$T/last.out" "$T/unbound-part.conf"
if command -v unbound-checkconf >/dev/null; then
  printf 'server:\n\tusername: ""\n\tchroot: ""\n\tdirectory: "%s"\ninclude: "%s/unbound-part.conf"\n' "$T" "$T" >"$T/unbound.conf"
  check "unbound-checkconf accepts the list" unbound-checkconf "$T/unbound.conf"
fi
expect_exit 0 "$DV" lockdown --format hosts
check "hosts warns about wildcards" grep -q 'wildcards are not covered' "$T/last.err"
check "hosts names" grep -q '^0.0.0.0 flysafe.dji.com$' "$T/last.out"
expect_exit 0 "$DV" lockdown --format nft --out "$T/builtin.nft"
check "inet table" grep -q '^table inet dronevault {' "$T/builtin.nft"
check "drop logged with prefix" grep -q 'log prefix "dronevault-drop: "' "$T/builtin.nft"
check "IPv6 too" grep -q 'ip6 daddr @allow6' "$T/builtin.nft"
expect_exit 2 "$DV" lockdown --format pf
expect_exit 2 "$DV" lockdown --format dnsmasq --apply
expect_exit 1 "$DV" lockdown --format nft --policy "$T/bad.policy"
check "lockdown names the policy error" grep -q "line 1, column 11" "$T/last.err"
expect_exit 1 "$DV" lockdown --format nft --resolver 1.2.3

if ! command -v nft >/dev/null || ! command -v ip >/dev/null || ! command -v nsenter >/dev/null ||
   ! command -v python3 >/dev/null || ! unshare -rn true 2>/dev/null; then
  echo "namespace part skipped: needs nft, ip, nsenter, python3 and unprivileged user namespaces"
  finish || exit 1
  exit 77
fi
check "nft -c -f accepts the built-in rules" unshare -rn nft -c -f "$T/builtin.nft"
set +e
unshare -rn bash "$L/lockdown_ns.sh" "$DV" "$T" "$L/nettool.py" >"$T/ns.out" 2>&1
rc=$?
set -e
cat "$T/ns.out"
if [ $rc -eq 77 ]; then finish || exit 1; exit 77; fi
check "namespace test" test $rc -eq 0
check "namespace checks ran" test "$(grep -c '^PASS' "$T/ns.out")" -ge 8
finish
