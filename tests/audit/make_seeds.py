#!/usr/bin/env python3
"""Writes the SYNTHETIC fuzz seeds of the audit area (fuzz/corpus/audit_*).
Everything here is made up: the packets were never sent. The remote
addresses are public ones (so the audit treats them as the Internet; the
documentation ranges would count as local) and the host names come from
data/endpoints.tsv. The QUIC Initial is encrypted per RFC 9001 with the
python3-cryptography package (only needed to regenerate the seeds).
usage: python3 tests/audit/make_seeds.py [repo-root]"""
import os, struct, sys, hmac, hashlib

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..')
C = os.path.join(root, 'fuzz', 'corpus')

def put(d, name, data):
    os.makedirs(os.path.join(C, d), exist_ok=True)
    with open(os.path.join(C, d, name), 'wb') as f:
        f.write(data)

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def ip4(src, dst, proto, payload, ident=1, frag=0):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0, bytes(src), bytes(dst))
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload

def ip6(src, dst, nh, payload):
    return struct.pack('!IHBB16s16s', 0x60000000, len(payload), nh, 64, bytes(src), bytes(dst)) + payload

def udp(sp, dp, data):
    return struct.pack('!HHHH', sp, dp, 8 + len(data), 0) + data

def tcp(sp, dp, data, seq=1000, flags=0x18):
    return struct.pack('!HHIIBBHHH', sp, dp, seq, 1, 5 << 4, flags, 65535, 0, 0) + data

def eth(payload, et=0x0800, vlans=()):
    h = b'\x02\0\0\0\0\x01' + b'\x02\0\0\0\0\x02'
    for tpid, vid in vlans:
        h += struct.pack('!HH', tpid, vid)
    return h + struct.pack('!H', et) + payload

PHONE = [192, 168, 2, 20]
DNSSRV = [192, 168, 2, 1]
DJI = [47, 88, 0, 1]
MAP = [120, 55, 0, 1]
DOH = [1, 1, 1, 1]
P6 = bytes.fromhex('fd000000000000000000000000000014')
D6 = bytes.fromhex('2a001450400108030000000000001017')

def dname(n):
    return b''.join(bytes([len(l)]) + l.encode() for l in n.split('.')) + b'\0'

def dns_query(qid, name, qtype=1):
    return struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 0) + dname(name) + struct.pack('!HH', qtype, 1)

def dns_response(qid, name, cname, addr4, addr6=None):
    q = dname(name) + struct.pack('!HH', 1, 1)
    ans = b'\xc0\x0c' + struct.pack('!HHIH', 5, 1, 60, len(dname(cname))) + dname(cname)
    cptr = 12 + len(q) + 12  # offset of the CNAME target
    ans += struct.pack('!H', 0xc000 | cptr) + struct.pack('!HHIH', 1, 1, 60, 4) + bytes(addr4)
    n = 2
    if addr6:
        ans += struct.pack('!H', 0xc000 | cptr) + struct.pack('!HHIH', 28, 1, 60, 16) + bytes(addr6)
        n += 1
    return struct.pack('!HHHHHH', qid, 0x8180, 1, n, 0, 0) + q + ans

def client_hello(sni, alpn=b'h2', ech=False, tls13=True):
    ext = b''
    if sni is not None:
        s = sni.encode()
        ext += struct.pack('!HHHBH', 0, len(s) + 5, len(s) + 3, 0, len(s)) + s
    a = bytes([len(alpn)]) + alpn
    ext += struct.pack('!HHH', 16, len(a) + 2, len(a)) + a
    if tls13:
        ext += struct.pack('!HHB', 43, 3, 2) + b'\x03\x04'
    if ech:
        body = b'\x00\x00\x01\x00\x01\x2a\x00\x20' + b'\x11' * 32 + b'\x00\x20' + b'\x22' * 32
        ext += struct.pack('!HH', 0xfe0d, len(body)) + body
    body = b'\x03\x03' + b'\x42' * 32 + b'\x20' + b'\x33' * 32 + b'\x00\x04\x13\x01\x13\x02' + b'\x01\x00'
    body += struct.pack('!H', len(ext)) + ext
    return b'\x01' + struct.pack('!I', len(body))[1:] + body

def tls_record(hs):
    return b'\x16\x03\x01' + struct.pack('!H', len(hs)) + hs

def hkdf_label(secret, label, n):
    full = b'tls13 ' + label
    info = struct.pack('!HB', n, len(full)) + full + b'\0'
    out, t, i = b'', b'', 1
    while len(out) < n:
        t = hmac.new(secret, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]

def quic_initial(sni, dcid=bytes.fromhex('8394c8f03e515708')):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    salt = bytes.fromhex('38762cf7f55934b34d179ae6a4c80cadccbb7f0a')
    initial = hmac.new(salt, dcid, hashlib.sha256).digest()
    cs = hkdf_label(initial, b'client in', 32)
    key, iv, hp = hkdf_label(cs, b'quic key', 16), hkdf_label(cs, b'quic iv', 12), hkdf_label(cs, b'quic hp', 16)
    ch = client_hello(sni, alpn=b'h3')
    frames = b'\x06\x00' + bytes([0x40 | (len(ch) >> 8), len(ch) & 0xff]) + ch
    pn = 0
    hdr_wo_len = bytes([0xc3]) + struct.pack('!I', 1) + bytes([len(dcid)]) + dcid + b'\x00' + b'\x00'
    pad = 1162 - len(hdr_wo_len) - len(frames)
    frames += b'\0' * max(pad, 0)
    length = 4 + len(frames) + 16
    hdr = hdr_wo_len + struct.pack('!H', 0x4000 | length) + struct.pack('!I', pn)
    nonce = bytes(a ^ b for a, b in zip(iv, pn.to_bytes(12, 'big')))
    ct = AESGCM(key).encrypt(nonce, frames, hdr)
    pkt = bytearray(hdr + ct)
    pn_off = len(hdr) - 4
    sample = bytes(pkt[pn_off + 4:pn_off + 20])
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = enc.update(sample) + enc.finalize()
    pkt[0] ^= mask[0] & 0x0f
    for i in range(4):
        pkt[pn_off + i] ^= mask[1 + i]
    return bytes(pkt)

def gquic_chlo(sni):
    tags = [(b'SNI\0', sni.encode()), (b'VER\0', b'Q043')]
    vals, tab, end = b'', b'', 0
    for t, v in tags:
        end += len(v)
        tab += t + struct.pack('<I', end)
        vals += v
    msg = b'CHLO' + struct.pack('<HH', len(tags), 0) + tab + vals
    return bytes([0x09]) + b'\x11' * 8 + b'Q043' + b'\x01' + b'\0' * 12 + b'\xa0\x01\x00' + msg

HTTP_POST = (b'POST /api/v1/flight/upload HTTP/1.1\r\nHost: mydjiflight.dji.com\r\nUser-Agent: DJI GO 4\r\n'
             b'Content-Type: application/json\r\nContent-Length: 64\r\n\r\n'
             b'{"sn":"0000","lat":37.774912,"lon":-122.419415,"alt":120.5}')
SSDP = b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n'
JPEG = b'\xff\xd8\xff\xe1\x00\x40Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08' + b'\0' * 32
MP4 = b'\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2' + b'\0' * 16

def pcap(frames, linktype=1):
    out = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype)
    for i, fr in enumerate(frames):
        out += struct.pack('<IIII', 1700000000 + i, 0, len(fr), len(fr)) + fr
    return out

def pcapng(frames, ts_high=0xffffffff):
    """A minimal pcapng (SHB, IDB with if_tsresol 10^-9, EPBs) whose
    timestamps are far in the future: nanoseconds overflowed int64 once."""
    def block(t, body):
        pad = (-len(body)) % 4
        ln = 12 + len(body) + pad
        return struct.pack('<II', t, ln) + body + b'\0' * pad + struct.pack('<I', ln)
    out = block(0x0a0d0d0a, struct.pack('<IHHq', 0x1a2b3c4d, 1, 0, -1))
    opt = struct.pack('<HHB3x', 9, 1, 9) + struct.pack('<HH', 0, 0)
    out += block(1, struct.pack('<HHI', 1, 0, 65535) + opt)
    for fr in frames:
        pad = (-len(fr)) % 4
        out += block(6, struct.pack('<IIIII', 0, ts_high, 0x12345678, len(fr), len(fr)) + fr + b'\0' * pad)
    return out

def main():
    put('audit_dns', 'query', dns_query(0x1234, 'flysafe-api.dji.com'))
    put('audit_dns', 'response-cname', dns_response(0x1234, 'flysafe-api.dji.com', 'edge.example.net', DJI, D6))
    put('audit_dns', 'loop', struct.pack('!HHHHHH', 1, 0x8180, 1, 1, 0, 0) + b'\xc0\x0c\x00\x01\x00\x01')
    put('audit_hello', 'tls-sni', tls_record(client_hello('mydjiflight.dji.com')))
    put('audit_hello', 'tls-ech', tls_record(client_hello('public.example.com', ech=True)))
    put('audit_hello', 'tls-nosni', tls_record(client_hello(None)))
    put('audit_hello', 'quic-v1-initial', quic_initial('flysafe-api.dji.com'))
    put('audit_hello', 'gquic-q043', gquic_chlo('www.skypixel.com'))
    put('audit_http', 'post-coords', HTTP_POST)
    put('audit_http', 'ssdp', SSDP)
    put('audit_http', 'get', b'GET /index.html?x=1 HTTP/1.1\r\nHost: www.example.com\r\n\r\n')
    put('audit_scan', 'json-coords', HTTP_POST[-64:])
    put('audit_scan', 'srt', b'[iso : 100] [shutter : 1/500.0] [latitude: 48.858370] [longitude: 2.294481] [altitude: 35.2]')
    put('audit_scan', 'jpeg-exif', JPEG)
    put('audit_scan', 'mp4', MP4)
    put('audit_scan', 'djilog', b'xxDJIFlightRecord_2026-11-24_[10-00-00].txt')
    f_dns = eth(ip4(DNSSRV, PHONE, 17, udp(53, 40000, dns_response(7, 'mydjiflight.dji.com', 'cdn.example.net', DJI))))
    f_vlan = eth(ip4(PHONE, DNSSRV, 17, udp(40000, 53, dns_query(7, 'mydjiflight.dji.com'))), 0x0800, [(0x8100, 785)])
    pppoe = struct.pack('!BBHH', 0x11, 0, 1, 0) + b'\x00\x21' + ip4(PHONE, DJI, 17, udp(40001, 53, dns_query(8, 'a.example')))
    f_qinq = eth(pppoe, 0x8864, [(0x88a8, 10), (0x8100, 20)])
    f_tls = eth(ip4(PHONE, DJI, 6, tcp(50000, 443, tls_record(client_hello('mydjiflight.dji.com')))))
    f_http = eth(ip4(PHONE, DJI, 6, tcp(50001, 80, HTTP_POST)))
    big = udp(40002, 9000, b' ' * 1450 + b'{"latitude": 51.501364, "longitude": -0.141890}' + b' ' * 100)
    f_frag1 = eth(ip4(PHONE, MAP, 17, big[:1480], ident=99, frag=0x2000))
    f_frag2 = eth(ip4(PHONE, MAP, 17, big[1480:], ident=99, frag=1480 // 8))
    f_quic = eth(ip4(PHONE, DJI, 17, udp(50002, 443, quic_initial('flysafe-api.dji.com'))))
    f_ech = eth(ip4(PHONE, DOH, 6, tcp(50003, 443, tls_record(client_hello('mozilla.cloudflare-dns.com', ech=True)))))
    f_v6 = eth(ip6(P6, D6, 6, tcp(50004, 443, tls_record(client_hello('www.skypixel.com')))), 0x86dd)
    frames = [f_vlan, f_dns, f_qinq, f_tls, f_http, f_frag1, f_frag2, f_quic, f_ech, f_v6]
    for i, fr in enumerate(frames):
        put('audit_pkt', 'eth-%02d' % i, b'\x00' + fr)
    put('audit_pkt', 'raw-v4', b'\x01' + ip4(PHONE, DJI, 17, udp(1, 2, b'hello')))
    sll2 = struct.pack('!HHIHBB8s', 0x0800, 0, 1, 1, 4, 6, b'\x02\0\0\0\0\x01\0\0')
    put('audit_pkt', 'sll2', b'\x06' + sll2 + ip4(PHONE, DJI, 6, tcp(1, 80, b'GET / HTTP/1.1\r\n\r\n')))
    put('audit_pcap', 'mixed.pcap', pcap(frames))
    put('audit_pcap', 'truncated.pcap', pcap(frames)[:-30])
    put('audit_pcap', 'raw.pcap', pcap([ip4(PHONE, DJI, 17, udp(1, 2, b'x'))], 101))
    put('audit_pcap', 'future-time.pcapng', pcapng(frames[:3]))

main()
