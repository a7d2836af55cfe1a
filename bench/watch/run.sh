#!/usr/bin/env bash
# bench/watch/run.sh [LOOPS] - how fast `dronevault watch` captures without
# loss, side by side with `tcpdump -w /dev/null` and `ndpiReader -i` on the
# same veth (../shared/audit/netns-recipe.md, root variant: a named network
# namespace), and its alarm latency (first packet to alarm, from its events).
# Each trial replays the capture LOOPS times (default 20) with tcpreplay at a
# bounded rate (--mbps) or --topspeed into one end while the tool captures
# on the other; kernel drops as each tool reports them (pcap_stats). Needs
# root, ip, tcpreplay, tcpdump, ndpiReader; the capture is
# ../shared/audit/peer-pcaps/weibo.pcap when present, else the in-tree seed.
# DV_WATCH_OPTS=--immediate measures pcap immediate mode; DV_BENCH_RATES the rates.
# About a minute. Prints a table and the ratio of the highest zero-drop rates.
set -uo pipefail
cd "$(dirname "$0")/../.."
DV=${DV:-$PWD/build/cli/dronevault}
LOOPS=${1:-20}
RATES=${DV_BENCH_RATES:-"100 400 1600 topspeed"}
cap=${DV_SHARED:-../shared}/audit/peer-pcaps/weibo.pcap
[ -s "$cap" ] || cap=fuzz/corpus/audit_pcap/mixed.pcap
[ "$(id -u)" = 0 ] || { echo "bench/watch: needs root (named network namespace, tcpdump)" >&2; exit 77; }
for t in ip tcpreplay tcpdump ndpiReader python3; do
  command -v $t >/dev/null || { echo "bench/watch: $t missing (bash scripts/install-deps.sh)" >&2; exit 77; }
done
[ -x "$DV" ] || { echo "bench/watch: build $DV first" >&2; exit 1; }
ns=dvbench$$
W=$(mktemp -d /tmp/bench-watch-XXXXXX)
cleanup() { ip netns del $ns 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
ip netns add $ns
ip link add vbr$$ mtu 65535 type veth peer name vbc mtu 65535
ip link set vbc netns $ns
sysctl -qw net.ipv6.conf.vbr$$.disable_ipv6=1
ip netns exec $ns sysctl -qw net.ipv6.conf.vbc.disable_ipv6=1
ip link set vbr$$ up; ip netns exec $ns ip link set vbc up
echo "capture: $cap x $LOOPS per trial; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) (shared machine)"
printf '%-22s %-9s %10s %10s %10s %9s\n' tool rate sent received dropped "Mbit/s"
declare -A best
trial() { # trial TOOL RATE
  local tool=$1 rate=$2 out=$W/$1-$2 pid
  case $tool in
    watch) ip netns exec $ns "$DV" watch -i vbc ${DV_WATCH_OPTS:-} --json --summary 0 --events "$out.ev" >"$out.json" 2>"$out.err" & pid=$! ;;
    tcpdump) ip netns exec $ns tcpdump -i vbc -w /dev/null >"$out.err" 2>&1 & pid=$! ;;
    ndpiReader) ip netns exec $ns ndpiReader -i vbc -s 600 >"$out.err" 2>&1 & pid=$! ;;
  esac
  sleep 1.2
  local how=(--mbps="$rate"); [ "$rate" = topspeed ] && how=(--topspeed)
  tcpreplay -q --loop="$LOOPS" "${how[@]}" -i vbr$$ "$cap" >"$out.tr" 2>&1
  sleep 1
  kill -INT $pid; wait $pid 2>/dev/null
  local sent rec drop mbps
  sent=$(sed -n 's/^Actual: \([0-9]*\) packets.*/\1/p' "$out.tr")
  mbps=$(sed -n 's/.*Bps, \([0-9.]*\) Mbps.*/\1/p' "$out.tr")
  case $tool in
    watch) read -r rec drop < <(python3 -c 'import json,sys; w=json.load(open(sys.argv[1]))["watch"]; print(w["frames"], w["kernel_drops"])' "$out.json" 2>/dev/null || echo "? ?") ;;
    tcpdump) rec=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$out.err"); drop=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$out.err") ;;
    # ndpiReader prints no kernel drop count: the loss is what did not arrive
    ndpiReader) rec=$(sed -n 's/.*of \([0-9]*\) packets total.*/\1/p' "$out.err" | head -1)
                [ -n "$rec" ] && [ -n "$sent" ] && drop=$((sent > rec ? sent - rec : 0)) ;;
  esac
  printf '%-22s %-9s %10s %10s %10s %9s\n' "$tool" "$rate" "${sent:-?}" "${rec:-?}" "${drop:-?}" "${mbps:-?}"
  if [ "${drop:-x}" = 0 ] && [ "${rec:-0}" -ge "${sent:-1}" ] 2>/dev/null; then
    awk -v a="${mbps:-0}" -v b="${best[$tool]:-0}" 'BEGIN{exit !(a>b)}' && best[$tool]=$mbps
  fi
}
for rate in $RATES; do
  for tool in watch tcpdump ndpiReader; do trial $tool "$rate"; done
done
echo
for tool in watch tcpdump ndpiReader; do echo "highest zero-drop rate, $tool: ${best[$tool]:-none} Mbit/s"; done
[ -n "${best[tcpdump]:-}" ] && [ -n "${best[watch]:-}" ] &&
  awk -v a="${best[watch]}" -v b="${best[tcpdump]}" 'BEGIN{printf "watch / tcpdump: %.2f (target >= 0.8)\n", a/b}'
python3 - "$W" <<'PY'
import glob, json, sys
lat = []
for f in glob.glob(sys.argv[1] + "/watch-*.ev"):
    for l in open(f):
        e = json.loads(l)
        if e.get("type") == "alarm" and e.get("category") != "drops":
            lat.append((e["alarm_ts"] - e["packet_ts"]) * 1000)
lat.sort()
if lat:
    print("alarm latency (first packet to alarm), %d alarms: median %.1f ms, max %.1f ms (target < 100 ms)"
          % (len(lat), lat[len(lat) // 2], lat[-1]))
PY
