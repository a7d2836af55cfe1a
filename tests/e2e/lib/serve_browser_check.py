#!/usr/bin/env python3
"""Checks for tests/e2e/serve_browser.sh.

  serve_browser_check.py track SHOT.png   - the flight's track is drawn:
      enough pixels of its colour (#e63946) in the screenshot
  serve_browser_check.py netlog NET.json BASE - every request the page
      made (initiated by it, or for it) went to BASE (http://127.0.0.1:PORT)
"""
import json
import struct
import sys
import zlib


def png_rgb(path):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise SystemExit('not a PNG')
    pos, idat, w = 8, b'', 0
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise SystemExit('unexpected PNG layout')
            bpp = 3 if ctype == 2 else 4
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    i = 0
    for _ in range(h):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def track(path):
    w, h, bpp, rows = png_rgb(path)
    red = 0
    for r in rows:
        for x in range(0, w * bpp, bpp):
            if abs(r[x] - 230) < 20 and abs(r[x + 1] - 57) < 25 and abs(r[x + 2] - 70) < 25:
                red += 1
    print('track pixels:', red)
    return red >= 300


def netlog(path, base):
    d = json.load(open(path))
    types = {v: k for k, v in d['constants']['logEventTypes'].items()}
    page, bad = 0, []
    for e in d['events']:
        if types.get(e['type']) != 'URL_REQUEST_START_JOB':
            continue
        p = e.get('params', {})
        url = p.get('url', '')
        mine = (str(p.get('initiator', '')).startswith(base) or '127.0.0.1' in str(p.get('site_for_cookies', ''))
                or '127.0.0.1' in str(p.get('network_isolation_key', '')) or url.startswith(base))
        if not mine:
            continue
        page += 1
        if not (url.startswith(base + '/') or url.startswith('data:')):
            bad.append(url)
    print('page requests:', page, 'outside', base + ':', bad)
    return page >= 8 and not bad


if __name__ == '__main__':
    ok = track(sys.argv[2]) if sys.argv[1] == 'track' else netlog(sys.argv[2], sys.argv[3])
    sys.exit(0 if ok else 1)
