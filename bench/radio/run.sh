#!/usr/bin/env bash
# bench/radio/run.sh [FRAMES] - Remote ID decoding speed, dronevault vs tshark.
#
# Builds bench_radio (build-radio/), repeats the Open Drone ID sample captures
# of ../shared/audit/pcaps to FRAMES frames (default 1,000,000: half Wi-Fi
# radiotap, half nRF Sniffer BLE 5 Long Range) in a scratch directory, and
# times dronevault's decoder and report, then tshark 4.0 over the same files.
# The Open Drone ID Lua dissector is in no Debian or npm package, so tshark
# runs its plain 802.11 / Bluetooth LE dissection, asked for the fields that
# hold the Remote ID bytes (transmitter, vendor element / service data):
# a lower bound of what tshark + the Lua post-dissector would cost.
# Figures are CPU seconds (user+sys) as the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000000}
S=${DV_SHARED:-$PWD/../shared}/audit/pcaps
B=${BUILD:-build-radio}
cmake -S . -B "$B" >/dev/null
cmake --build "$B" --target bench_radio -j2 >/dev/null
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
"$B/src/radio/bench_radio" "$S" "$W" "$N"
echo "tshark $(tshark -v 2>/dev/null | head -1 | awk '{print $3}')"
for pair in "wifi:-e frame.number -e wlan.sa -e wlan.tag.oui -e wlan.tag.vendor.data" \
            "ble:-e frame.number -e btle.advertising_address -e btcommon.eir_ad.entry.uuid_16 -e btcommon.eir_ad.entry.service_data"; do
  name=${pair%%:*} fields=${pair#*:}
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e %U %S" -o "$W/t" tshark -n -r "$W/bench_$name.pcap" -T fields $fields > "$W/out" 2>/dev/null
  read -r wall user sys < "$W/t"
  frames=$(wc -l < "$W/out")
  awk -v n="$name" -v f="$frames" -v w="$wall" -v u="$user" -v s="$sys" \
    'BEGIN { printf "%-5s tshark %8d frames: wall %6.2f s, cpu %6.2f s, %9.0f frames/cpu-s\n", n, f, w, u + s, f / (u + s) }'
done
