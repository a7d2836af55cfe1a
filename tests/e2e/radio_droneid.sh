#!/usr/bin/env bash
# e2e: a capture of a DJI aircraft sending only DJI DroneID (Wi-Fi beacons,
# vendor element OUI 26:37:12), built here from the documented layout:
# `radio` must report it with the pilot's position and exit 4 (a finding),
# --frames=droneid list its frames, --frames say why they have no ASTM row,
# and `audit`'s Remote ID section carry it. Before: "no broadcasting
# aircraft found", exit 0.
set -uo pipefail
T=$(mktemp -d "${DV_TMP:-/tmp}/droneid.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
ck() { if "$@"; then :; else echo "FAIL: $*"; fail=1; fi; }

python3 - "$T/dji.pcap" <<'PY'
import struct, sys
def rad7(d): return int(round(d * 174533.0))
def record(lat, lon, seq):
    b = struct.pack('<BHH', 2, seq, 0x0ff7) + b'1581F4XEB2200AB1'
    b += struct.pack('<ii', rad7(lon), rad7(lat)) + struct.pack('<hhhhh', 120, 45, 300, 400, -50)
    b += struct.pack('<hQii', -4500, 1700000000123 + seq * 1000, rad7(48.1370), rad7(11.5750))
    b += struct.pack('<ii', rad7(11.5752), rad7(48.1372)) + bytes([63, 6]) + b'abc123'.ljust(20, b'\0')
    return b
def beacon(rec):
    ie = bytes([0x26, 0x37, 0x12, 0x58, 0x62, 0x13, 0x10]) + rec
    body = b'\0' * 12 + bytes([0, 8]) + b'DJI-MINI' + bytes([221, len(ie)]) + ie
    hdr = bytes([0x80, 0, 0, 0]) + b'\xff' * 6 + bytes([0x60, 0x60, 0x1f, 0xaa, 0xbb, 0xcc]) * 2 + b'\0\0'
    return struct.pack('<BBHI', 0, 0, 8, 0) + hdr + body
out = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 127)
for i in range(5):
    f = beacon(record(48.1400 + i * 0.0005, 11.5800, i))
    out += struct.pack('<IIII', 1700000000 + i, 0, len(f), len(f)) + f
open(sys.argv[1], 'wb').write(out)
PY

"$DV" radio "$T/dji.pcap" > "$T/report.txt"
ck test $? -eq 4
ck grep -q 'DJI DroneID    serial 1581F4XEB2200AB1' "$T/report.txt"
ck grep -q "operator       48.13.*DJI DroneID: the pilot app's position" "$T/report.txt"
ck grep -q 'learned where the pilot stood' "$T/report.txt"
ck grep -q 'home point     48.137' "$T/report.txt"
if grep -q 'no broadcasting aircraft found' "$T/report.txt"; then echo "FAIL: false all-clear"; fail=1; fi

"$DV" radio --json --geojson "$T/map.geojson" "$T/dji.pcap" > "$T/report.json"
ck test $? -eq 4
python3 - "$T/report.json" "$T/map.geojson" <<'PY' || { echo "FAIL: json/geojson"; fail=1; }
import json, sys
r = json.load(open(sys.argv[1])); g = json.load(open(sys.argv[2]))
a = r["aircraft"][0]
assert a["dji_droneid"]["serials"][0]["value"] == "1581F4XEB2200AB1", a
assert len(a["track"]) == 5 and a["track"][0]["source"] == "DJI DroneID", a["track"][0]
op = a["operator_positions"][0]
assert op["source"] == "DJI DroneID" and abs(op["lat"] - 48.137) < 1e-5, op
assert op["distance_to_track_min_m"] > 300, op
roles = {f["properties"]["role"] for f in g["features"]}
assert "operator position (broadcast)" in roles and "home point (DJI DroneID broadcast)" in roles, roles
PY

"$DV" radio --frames=droneid "$T/dji.pcap" > "$T/frames.tsv"
ck test "$(grep -vc '^#' "$T/frames.tsv")" -eq 5
ck grep -q $'^1\t0x10\t2\t0\t0x0ff7\t1581F4XEB2200AB1\t48.14' "$T/frames.tsv"
"$DV" radio --frames "$T/dji.pcap" > "$T/astm.tsv"
ck test "$(grep -c '^# frame [0-9]*: DJI DroneID (decoded), see --frames=droneid' "$T/astm.tsv")" -eq 5
"$DV" radio --frames=bogus "$T/dji.pcap" > /dev/null 2>&1
ck test $? -eq 2

# audit: the Remote ID section beside the verdict
"$DV" audit --json --no-geo "$T/dji.pcap" > "$T/audit.json" 2> "$T/audit.err"
python3 - "$T/audit.json" <<'PY' || { echo "FAIL: audit remote_id"; cat "$T/audit.err"; fail=1; }
import json, sys
d = json.load(open(sys.argv[1]))
a = d["remote_id"]["aircraft"][0]
assert a["dji_droneid"]["serials"][0]["value"] == "1581F4XEB2200AB1", a
assert a["operator_positions"][0]["source"] == "DJI DroneID", a
PY
exit $fail
