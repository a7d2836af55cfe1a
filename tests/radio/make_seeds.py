#!/usr/bin/env python3
"""Writes the synthetic fuzz seeds of fuzz_radio_odid to fuzz/corpus/radio_odid/.

Each seed is one frame: first byte = index of the link type in the fuzzer's
table (105, 127, 187, 192, 201, 251, 254, 256, 272), then the frame. Two
seeds are whole pcap files. All bytes are made up here (no sample data).
Run: python3 tests/radio/make_seeds.py
"""
import os
import struct

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "fuzz", "corpus", "radio_odid")
LT = {105: 0, 127: 1, 187: 2, 192: 3, 201: 4, 251: 5, 254: 6, 256: 7, 272: 8}


def msg(t, ver, body):
    m = bytes([t << 4 | ver]) + body
    return (m + bytes(25))[:25]


def basic(ver=2, idt=1, ua=2, ident=b"1581F5FKD229400DR3X"):
    return msg(0, ver, bytes([idt << 4 | ua]) + ident.ljust(20, b"\0"))


def loc(ver=2, lat=523456789, lon=49876543):
    return msg(1, ver, bytes([0x27, 10, 20, 0xFC]) + struct.pack("<iiHHHBBHB", lat, lon, 2200, 2474, 2100, 0x4B, 0x34, 36000, 3))


def auth(ver=2, page=0):
    if page == 0:
        return msg(2, ver, bytes([0x10, 1, 40]) + struct.pack("<I", 123456789) + b"\xAA" * 17)
    return msg(2, ver, bytes([0x10 | page]) + b"\xBB" * 23)


def selfid(ver=2, text=b"survey"):
    return msg(3, ver, b"\0" + text.ljust(23, b"\0"))


def system(ver=2):
    return msg(4, ver, bytes([0x05]) + struct.pack("<iiHBHHBHI", 523450000, 49870000, 3, 5, 2400, 2000, 0x12, 2010, 250000000))


def operator(ver=2, ident=b"NLD-OP-0001"):
    return msg(5, ver, b"\0" + ident.ljust(20, b"\0"))


def pack(msgs, counter=1, size=25, qty=None):
    return bytes([counter, 0xF2, size, len(msgs) if qty is None else qty]) + b"".join(msgs)


ALL = [basic(), loc(), auth(page=0), auth(page=1), selfid(), system(), operator()]


def beacon(payload, ie_len=None):
    hdr = b"\x80\x00\x00\x00" + b"\xff" * 6 + bytes(range(0x60, 0x66)) * 2 + b"\x00\x00"
    body = bytes(12) + b"\x00\x04RID1"
    ie = bytes([221, len(payload) + 4 if ie_len is None else ie_len]) + b"\xfa\x0b\xbc\x0d" + payload
    return hdr + body + ie


def nan(payload):
    hdr = b"\xd0\x00\x00\x00" + b"\xff" * 6 + bytes(range(0x70, 0x76)) + b"\x51" * 6 + b"\x00\x00"
    sda = b"\x88\x69\x19\x9d\x92\x09" + b"\x01\x00\x10" + bytes([len(payload)]) + payload
    return hdr + b"\x04\x09\x50\x6f\x9a\x13" + b"\x03" + struct.pack("<H", len(sda)) + sda


def radiotap(frame):
    return struct.pack("<BBHI", 0, 0, 9, 0x02) + b"\x00" + frame


def ble(payload, pdu=2, coded=False):
    ad = bytes([len(payload) + 4, 0x16, 0xFA, 0xFF, 0x0D]) + payload
    if pdu == 7:
        body = b"\x09\x09" + bytes(range(0x10, 0x16)) + b"\x75\x0e" + ad
    else:
        body = bytes(range(0x10, 0x16)) + ad
    return struct.pack("<I", 0x8E89BED6) + (b"\x00" if coded else b"") + bytes([pdu, len(body)]) + body + b"\x01\x02\x03"


def nordic(ll, crc_ok=True):
    return b"\x03" + struct.pack("<H", len(ll) + 10) + b"\x03\x13\xbe\x02" + bytes([10, 0x20 | int(crc_ok), 1, 54]) + b"\x00\x00" + b"\x01\x02\x03\x04" + ll


def phdr(ll, coded=True):
    return bytes([37, 0xC3, 0, 0]) + struct.pack("<IH", 0x8E89BED6, (0x8000 if coded else 0) | 0x0C02) + ll


def hci_legacy(payload):
    ad = bytes([len(payload) + 4, 0x16, 0xFA, 0xFF, 0x0D]) + payload
    ev = b"\x02\x01\x03\x01" + bytes(range(0xA0, 0xA6)) + bytes([len(ad)]) + ad + b"\xC0"
    return b"\x04\x3e" + bytes([len(ev)]) + ev


def hci_ext_event(payload):
    ad = bytes([len(payload) + 4, 0x16, 0xFA, 0xFF, 0x0D]) + payload
    ev = b"\x0d\x01\x00\x00\x00" + bytes(range(0xB0, 0xB6)) + b"\x03\x03\x00\x7f\xba\x00\x00\x00" + bytes(6) + bytes([len(ad)]) + ad
    return b"\x3e" + bytes([len(ev)]) + ev


def pcap(linktype, frames):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    for i, f in enumerate(frames):
        out += struct.pack("<IIII", 1700000000 + i, 0, len(f), len(f)) + f
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        "beacon_pack7": bytes([LT[105]]) + beacon(pack(ALL)),
        "radiotap_beacon": bytes([LT[127]]) + radiotap(beacon(pack(ALL[:5]))),
        "radiotap_nan": bytes([LT[127]]) + radiotap(nan(pack([operator(ver=0)]))),
        "ppi_beacon": bytes([LT[192]]) + struct.pack("<BBHI", 0, 0, 8, 105) + beacon(pack([basic(ver=0)])),
        "ble4_basic": bytes([LT[251]]) + ble(b"\x07" + basic()),
        "ble4_location": bytes([LT[251]]) + ble(b"\x08" + loc(ver=0), pdu=6),
        "ble5_phdr_pack": bytes([LT[256]]) + phdr(ble(pack(ALL), pdu=7, coded=True)),
        "nordic_coded": bytes([LT[272]]) + nordic(ble(pack(ALL[:6]), pdu=7, coded=True)),
        "nordic_crc_bad": bytes([LT[272]]) + nordic(ble(pack(ALL[:2]), pdu=7, coded=True), crc_ok=False),
        "hci_legacy": bytes([LT[187]]) + hci_legacy(b"\x02" + system()),
        "hci_ext_phdr": bytes([LT[201]]) + b"\x00\x00\x00\x01\x04" + hci_ext_event(b"\x03" + selfid()),
        "monitor_ext": bytes([LT[254]]) + b"\x00\x00\x00\x03" + hci_ext_event(b"\x04" + operator()),
        "bad_ie_past_end": bytes([LT[105]]) + beacon(pack(ALL[:3]))[:-30],
        "bad_pack_qty70": bytes([LT[105]]) + beacon(pack(ALL[:3], qty=70)),
        "bad_pack_size89": bytes([LT[105]]) + beacon(pack(ALL[:3], size=89)),
        "bad_pack_size24": bytes([LT[105]]) + beacon(pack(ALL[:3], size=24)),
        "empty_pack": bytes([LT[251]]) + ble(pack([], qty=0), pdu=7),
        "unknown_type_version": bytes([LT[105]]) + beacon(pack([msg(7, 2, b"x"), msg(1, 9, b""), pack([basic()])[1:26]])),
        "truncated_msg": bytes([LT[251]]) + ble(b"\x01" + basic()[:10]),
        "capture_radiotap.pcap": pcap(127, [radiotap(beacon(pack(ALL))), radiotap(nan(pack([loc()])))]),
        "capture_nordic.pcap": pcap(272, [nordic(ble(pack(ALL), pdu=7, coded=True)), nordic(ble(pack([], qty=0), pdu=7, coded=True))]),
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"{len(seeds)} seeds in {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
