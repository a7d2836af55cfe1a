#!/usr/bin/env bash
# watch --case with the rolling capture's disk full (a 256 KiB tmpfs as
# $TMPDIR, where the capture is kept until it is stored): the watch goes on
# and judges every frame, the part of the capture written is stored, and
# both the terminal and the custody entry say the stored capture is
# incomplete and why. Needs root to mount the tmpfs: skipped otherwise.
. "$(dirname "$0")/lib/common.sh"
command -v python3 >/dev/null || { echo "skipped: no python3"; exit 77; }
mkdir -p "$T/small"
mount -t tmpfs -o size=256k,mode=0700 dv-watch-full "$T/small" 2>/dev/null || { echo "skipped: cannot mount a tmpfs here"; exit 77; }
trap 'umount "$T/small" 2>/dev/null; rm -rf "$T"' EXIT

# 1,500 UDP packets of 1,428 bytes (2.1 MB) from the phone to a public address
python3 - "$T/big.pcap" <<'PY'
import struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xFFFF); s += s >> 16
    return ~s & 0xFFFF
out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)]
for i in range(1500):
    udp = struct.pack("!HHHH", 40000, 443, 8 + 1400, 0) + bytes(1400)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0, bytes([10, 0, 0, 2]), bytes([47, 88, 0, 1]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    out.append(struct.pack("<IIII", 1700000000 + i // 100, (i % 100) * 10000, len(ip + udp), len(ip + udp)) + ip + udp)
open(sys.argv[1], "wb").write(b"".join(out))
PY
V=$T/v
new_vault "$V"
TMPDIR=$T/small expect_exit 4 "$DV" --vault "$V" watch --from-file "$T/big.pcap" --case FULL --operator o
check "the watch judged every frame" grep -q '^watch: 1500 frames' "$T/last.out"
check "leak found" grep -q '^watch verdict: leak' "$T/last.out"
check "the stored part is stored" grep -q '^evidence: stored in case FULL' "$T/last.out"
check "the terminal says the capture is incomplete, and why" \
  grep -q '^evidence: the stored capture is incomplete: it stopped at [0-9]* bytes (No space left on device)' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" log --case FULL --json
check "the custody entry says so" grep -q '"capture_incomplete":"No space left on device"' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" ls --case FULL
check "the capture's first file stored" grep -q 'watch-0001.pcapng' "$T/last.out"
check "the working copy is gone from TMPDIR" test -z "$(ls -A "$T/small")"
expect_exit 0 "$DV" --vault "$V" verify
finish
