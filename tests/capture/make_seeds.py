#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_capture_link (fuzz/corpus/capture_link/):
one valid frame per link type (first byte: index into the target's link
type list) and two record streams (first byte with the top bit set)."""
import os
import struct
import sys

LT = [0, 1, 12, 14, 101, 105, 108, 113, 127, 187, 192, 201, 228, 229, 251, 254, 256, 272, 276, 147]
IDX = {v: i for i, v in enumerate(LT)}

ip = bytes([0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 192, 168, 2, 20, 47, 88, 0, 1]) + \
    struct.pack(">HHHH", 1000, 53, 12, 0) + b"ping"
eth = bytes(12) + b"\x08\x00" + ip
qinq = bytes(12) + struct.pack(">HHHHH", 0x88a8, 10, 0x8100, 785, 0x8864) + \
    bytes([0x11, 0]) + struct.pack(">HHH", 1, 34, 0x21) + ip
wdata = bytes([0x88, 0x02, 0, 0]) + bytes(18) + bytes(4) + bytes([0xaa, 0xaa, 3, 0, 0, 0, 8, 0]) + ip
beacon = bytes([0x80, 0, 0, 0]) + bytes(6) + bytes([0x84, 0xcc, 0xa8, 0x60, 0x43, 0x24]) * 2 + bytes(2) + \
    bytes(12) + b"\x00\x03rid"
rtap = struct.pack("<BBHI", 0, 0, 24, 0x2f) + bytes(8) + bytes([0x50, 2]) + struct.pack("<HH", 2412, 0xa0) + \
    bytes([0xd1, 0])
ble = struct.pack("<I", 0x8E89BED6) + bytes([2, 6]) + bytes(6)
seeds = {
    "ethernet": (1, eth), "qinq_pppoe": (1, qinq), "raw": (12, ip), "null": (0, b"\x02\0\0\0" + ip),
    "sll": (113, bytes(14) + b"\x08\x00" + ip), "sll2": (276, b"\x08\x00" + bytes(18) + ip),
    "wlan_data": (105, wdata), "wlan_beacon": (105, beacon), "radiotap": (127, rtap + beacon + b"\xde\xad\xbe\xef"),
    "ppi": (192, struct.pack("<BBHI", 0, 0, 8, 105) + wdata), "ble_ll": (251, ble),
    "ble_phdr": (256, bytes([37, 0xc4, 0, 0]) + struct.pack("<IH", 0x8E89BED6, 0x8402) + ble),
    "nordic": (272, bytes([0, 20, 0, 3, 1, 0, 6, 10, 0x21, 37, 55]) + bytes(6) + ble),
    "hci_h4": (187, bytes([4, 0x3e, 2, 2, 0])), "hci_phdr": (201, bytes([0, 0, 0, 1, 4, 0x3e, 0])),
    "bt_monitor": (254, bytes([0, 0, 0, 3, 0x3e, 0])),
}


def rec(frame, ts):
    return struct.pack("<IIq", len(frame), len(frame) + 4, ts) + frame


out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../fuzz/corpus/capture_link")
os.makedirs(out, exist_ok=True)
for name, (dlt, frame) in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([IDX[dlt]]) + frame)
with open(os.path.join(out, "records_eth"), "wb") as f:
    f.write(bytes([0x80 | IDX[1]]) + rec(eth, 1700000000 * 10**9) + rec(qinq, 1700000001 * 10**9))
with open(os.path.join(out, "records_radiotap"), "wb") as f:
    f.write(bytes([0x80 | IDX[127]]) + rec(rtap + beacon + b"\xde\xad\xbe\xef", 5) + rec(b"", 6))
