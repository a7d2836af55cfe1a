#!/usr/bin/env python3
"""A stand-in agency tile server for tests/e2e/serve_tiles.sh:

  tile_server.py LOG SECONDS

Listens on 127.0.0.1, a free port (printed on the first line of stdout),
answers GET /Z/X/Y.png with one 256x256 PNG (solid #2d6a4f) and anything
else with 404, writes "PATH HOST ORIGIN-OR-REFERER" per request to LOG, and
stops by itself after SECONDS."""
import http.server
import struct
import sys
import threading
import zlib


def png(w, h, rgb):
    raw = b''.join(b'\0' + bytes(rgb) * w for _ in range(h))

    def chunk(k, d):
        return struct.pack('>I', len(d)) + k + d + struct.pack('>I', zlib.crc32(k + d) & 0xffffffff)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


TILE = png(256, 256, (0x2d, 0x6a, 0x4f))
log = open(sys.argv[1], 'a', buffering=1)


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        log.write('%s %s %s\n' % (self.path, self.headers.get('Host'), self.headers.get('Origin') or self.headers.get('Referer')))
        parts = self.path.split('/')
        if len(parts) == 4 and parts[3].endswith('.png') and all(p.isdigit() for p in (parts[1], parts[2], parts[3][:-4])):
            self.send_response(200)
            self.send_header('Content-Type', 'image/png')
            self.send_header('Content-Length', str(len(TILE)))
            self.end_headers()
            self.wfile.write(TILE)
        else:
            self.send_error(404)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
print(srv.server_address[1], flush=True)
threading.Timer(float(sys.argv[2]), srv.shutdown).start()
srv.serve_forever()
