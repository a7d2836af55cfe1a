#!/usr/bin/env python3
"""Small network helpers for the namespace tests (standard library only).

  nettool.py dnsq SERVER PORT NAME       one A query over UDP; prints "rcode N" and each "A addr"
  nettool.py serve PORT SECONDS          accepts TCP connections on every address, answers "ok"
  nettool.py connect ADDR PORT TIMEOUT   exit 0 when a TCP connection is made and "ok" read
"""
import socket
import struct
import sys
import time


def dnsq(server, port, name):
    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.sendto(q, (server, int(port)))
    r, _ = s.recvfrom(4096)
    rcode = r[3] & 15
    print("rcode", rcode)
    an = struct.unpack(">H", r[6:8])[0]
    off = len(q)
    for _ in range(an):
        if r[off] & 0xC0 == 0xC0:
            off += 2
        else:
            while r[off]:
                off += r[off] + 1
            off += 1
        typ, _cls, _ttl, rdl = struct.unpack(">HHIH", r[off:off + 10])
        off += 10
        if typ == 1 and rdl == 4:
            print("A", socket.inet_ntoa(r[off:off + 4]))
        off += rdl


def serve(port, seconds):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(port)))
    s.listen(16)
    s.settimeout(0.5)
    end = time.time() + float(seconds)
    while time.time() < end:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        c.sendall(b"ok\n")
        c.close()


def connect(addr, port, timeout):
    try:
        c = socket.create_connection((addr, int(port)), timeout=float(timeout))
        data = c.recv(16)
        sys.exit(0 if data.startswith(b"ok") else 1)
    except OSError:
        sys.exit(1)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "dnsq":
        dnsq(*sys.argv[2:5])
    elif cmd == "serve":
        serve(*sys.argv[2:4])
    elif cmd == "connect":
        connect(*sys.argv[2:5])
    else:
        sys.exit(2)
