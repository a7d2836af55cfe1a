#!/usr/bin/env python3
"""Writes a capture (pcap, Ethernet) of a phone fetching an APK over plain
HTTP from the maker's download host, for tests/e2e/watch.sh:
  make_code_pcap.py OUT.pcap
DNS query and answer for dl.djicdn.com, TCP handshake, GET /app.apk, and a
response whose body starts with a zip local header naming AndroidManifest.xml."""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, bytes(src), bytes(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def tcp(sp, dp, data, seq, ack, flags):
    return struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0) + data


def udp(sp, dp, data):
    return struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data


def eth(p, a, b):
    return a + b + b"\x08\x00" + p


PH, SRV, DNS = [192, 168, 7, 20], [45, 67, 1, 2], [192, 168, 7, 1]
MP, MS = b"\x02\0\0\0\0\x14", b"\x02\0\0\0\0\x01"
name = b"".join(bytes([len(l)]) + l.encode() for l in "dl.djicdn.com".split(".")) + b"\0"
q = struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 0) + name + struct.pack("!HH", 1, 1)
r = struct.pack("!HHHHHH", 7, 0x8180, 1, 1, 0, 0) + name + struct.pack("!HH", 1, 1) + \
    b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes(SRV)
get = b"GET /app.apk HTTP/1.1\r\nHost: dl.djicdn.com\r\nUser-Agent: test\r\n\r\n"
body = b"PK\x03\x04" + struct.pack("<HHHHHIIIHH", 20, 0, 8, 0, 0, 0, 100, 200, 19, 0) + b"AndroidManifest.xml" + bytes(64)
resp = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.android.package-archive\r\nContent-Length: %d\r\n\r\n" % len(body) + body
frames = [
    eth(ip4(PH, DNS, 17, udp(40001, 53, q)), MS, MP),
    eth(ip4(DNS, PH, 17, udp(53, 40001, r)), MP, MS),
    eth(ip4(PH, SRV, 6, tcp(40002, 80, b"", 100, 0, 0x02)), MS, MP),
    eth(ip4(SRV, PH, 6, tcp(80, 40002, b"", 500, 101, 0x12)), MP, MS),
    eth(ip4(PH, SRV, 6, tcp(40002, 80, b"", 101, 501, 0x10)), MS, MP),
    eth(ip4(PH, SRV, 6, tcp(40002, 80, get, 101, 501, 0x18)), MS, MP),
    eth(ip4(SRV, PH, 6, tcp(80, 40002, resp, 501, 101 + len(get), 0x18)), MP, MS),
]
out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
for i, fr in enumerate(frames):
    out += struct.pack("<IIII", 1700000100 + i, 0, len(fr), len(fr)) + fr
open(sys.argv[1], "wb").write(out)
