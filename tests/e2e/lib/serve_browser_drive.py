#!/usr/bin/env python3
"""Drives the page of dronevault serve in headless Chromium over the
DevTools protocol (lib/cdp.py), for tests/e2e/serve_browser.sh:

  serve_browser_drive.py URL OUTDIR [--video NAME] [--layers a,b,...]
                         [--tiles ORIGIN] [--foreign ORIGIN] [--xmp NAME]

Opens URL (the token URL) with #case=1, then per option:
  --video NAME    clicks the file row NAME, plays it (muted) and waits until
                  the <video>'s currentTime passes 2 s; the server's answers
                  for its content must include 206 (range) answers
  --layers L      each map layer (photos, zones, findings, coverage) is drawn:
                  Leaflet SVG paths of class dv-L on the map
  --tiles ORIGIN  tiles were requested from ORIGIN
  --foreign O     an image from origin O, added to the page, is blocked by
                  the Content-Security-Policy (a securitypolicyviolation
                  event, and no request reached the network)
  --xmp NAME      clicks the photo row NAME and prints its XMP panel as
                  "xmp KEY VALUE" lines
  --click NAME    clicks the file row NAME (opens it in the viewer)
  --problem TEXT  the page lists a problem containing TEXT (each problem
                  printed as a "problem ..." line)
Every request the page made must go to the server or (with --tiles) the
tile origin. Prints "ok WHAT" / "FAIL WHAT: detail" per check and a
screenshot OUTDIR/page.png.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from cdp import Browser  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument('url')
ap.add_argument('out')
ap.add_argument('--video')
ap.add_argument('--layers', default='')
ap.add_argument('--tiles')
ap.add_argument('--foreign')
ap.add_argument('--xmp')
ap.add_argument('--click')
ap.add_argument('--problem', action='append', default=[])
ap.add_argument('--no-files', action='store_true', help='the file list may stay empty')
a = ap.parse_args()
base = a.url.split('/?')[0]
fails = 0


def report(ok, what, detail=''):
    global fails
    if ok:
        print('ok', what)
    else:
        fails += 1
        print('FAIL %s: %s' % (what, detail))


log = open(os.path.join(a.out, 'chrome.log'), 'ab')
b = Browser(os.path.join(a.out, 'profile'),
            ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'], log=log)
try:
    s = b.page()
    b.send('Page.addScriptToEvaluateOnNewDocument', {'source':
           "window.__csp = []; document.addEventListener('securitypolicyviolation',"
           " function (e) { window.__csp.push(e.blockedURI + ' ' + e.violatedDirective); });"}, s)
    b.send('Page.navigate', {'url': a.url + '#case=1'}, s)
    if not a.no_files:
        rows = b.wait(lambda: b.eval("document.querySelectorAll('#files tbody tr').length", s), 30)
        report(bool(rows), 'files listed', 'no file rows')
    else:
        b.wait(lambda: b.eval("document.getElementById('status').textContent.indexOf('vault ') === 0", s), 20)

    def click_row(name):
        return b.eval("(function(){var r=[].slice.call(document.querySelectorAll('#files tbody tr'))"
                      ".filter(function(t){return t.textContent.indexOf(%s)>=0;})[0];"
                      "if(!r)return false;r.click();return true;})()" % json.dumps(name), s)

    if a.video:
        report(click_row(a.video), 'video row clicked', a.video)
        can = b.eval("document.getElementById('video').canPlayType('video/mp4; codecs=\"avc1.42E01E\"')", s)
        print('canPlayType h264:', can)
        b.eval("var v=document.getElementById('video');v.muted=true;v.play().catch(function(e){window.__playerr=String(e);});", s)
        t = b.wait(lambda: (b.eval("document.getElementById('video').currentTime", s) or 0) >= 2.0, 40) and \
            b.eval("document.getElementById('video').currentTime", s)
        info = b.eval("(function(){var v=document.getElementById('video');return {t:v.currentTime,err:v.error&&v.error.message,"
                      "state:v.readyState,src:v.currentSrc,perr:window.__playerr||null};})()", s)
        report(bool(t) and t >= 2.0, 'video played >= 2 s', json.dumps(info))
        src = info.get('src') or ''
        codes = [p['response']['status'] for m, p in b.events
                 if m == 'Network.responseReceived' and src and p['response']['url'] == src]
        print('content answers:', codes)
        report(206 in codes, 'video fetched with range requests (206)', str(codes))
        types = [p['response']['headers'].get('Content-Type') or p['response']['headers'].get('content-type')
                 for m, p in b.events if m == 'Network.responseReceived' and src and p['response']['url'] == src]
        report(any(t_ == 'video/mp4' for t_ in types), 'video served as video/mp4', str(types))

    layers = [x for x in a.layers.split(',') if x]
    if 'coverage' in layers:  # computed on request: the page's button
        b.wait(lambda: b.eval("!!window.L && !!document.querySelector('#map .leaflet-map-pane')", s), 20)
        b.eval("document.getElementById('coverage-btn').click()", s)
    for layer in layers:
        n = b.wait(lambda: b.eval("document.querySelectorAll('#map path.dv-%s').length" % layer, s), 20)
        print('layer', layer, 'paths:', n)
        report(bool(n), 'map layer %s drawn' % layer, '0 paths')

    if a.xmp:
        report(click_row(a.xmp), 'photo row clicked', a.xmp)
        n = b.wait(lambda: b.eval("document.querySelectorAll('#xmp tbody tr').length", s), 20)
        report(bool(n), 'XMP panel filled', '0 rows')
        for k, v in b.eval("[].slice.call(document.querySelectorAll('#xmp tbody tr')).map(function(t){"
                           "return [t.cells[0].textContent,t.cells[1].textContent];})", s) or []:
            print('xmp', k, v)

    if a.click:
        report(click_row(a.click), 'row clicked', a.click)
    for text in a.problem:
        got = b.wait(lambda: text in (b.eval("document.getElementById('problems').textContent", s) or ''), 20)
        report(bool(got), 'problem shown: ' + text, '')
    for p_ in b.eval("[].slice.call(document.querySelectorAll('#problems li')).map(function(l){return l.textContent;})", s) or []:
        print('problem', p_)

    if a.tiles:
        n = b.wait(lambda: [p['request']['url'] for m, p in b.events if m == 'Network.requestWillBeSent'
                            and p['request']['url'].startswith(a.tiles + '/')], 20)
        print('tile requests:', len(n or []))
        report(bool(n), 'tiles requested from ' + a.tiles, 'none')

    if a.foreign:
        b.eval("var i=new Image();i.src=%s;document.body.appendChild(i);" % json.dumps(a.foreign + '/blocked.png'), s)
        v = b.wait(lambda: [x for x in (b.eval('window.__csp', s) or []) if x.startswith(a.foreign)], 10)
        report(bool(v), 'CSP blocked ' + a.foreign, str(b.eval('window.__csp', s)))
        sent = [p['request']['url'] for m, p in b.events if m == 'Network.requestWillBeSent'
                and p['request']['url'].startswith(a.foreign)]
        failed = [p for m, p in b.events if m == 'Network.loadingFailed' and p.get('blockedReason') == 'csp']
        print('foreign requests:', sent, 'csp-blocked loads:', len(failed))

    time.sleep(0.5)
    b.screenshot(s, os.path.join(a.out, 'page.png'))
    allowed = [base + '/'] + ([a.tiles + '/'] if a.tiles else [])
    urls = [p['request']['url'] for m, p in b.events if m == 'Network.requestWillBeSent']
    outside = [u for u in urls if not any(u.startswith(x) for x in allowed) and not u.startswith('data:')
               and u != a.url + '#case=1' and u != a.url]
    blocked = [p.get('blockedReason') for m, p in b.events if m == 'Network.loadingFailed' and p.get('blockedReason')]
    # a CSP-blocked request never left the browser: Chromium still announces it, then blocks it
    outside_sent = [u for u in outside if not (a.foreign and u.startswith(a.foreign) and 'csp' in blocked)]
    print('requests:', len(urls), 'outside:', outside)
    report(len(urls) >= 8 and not outside_sent, 'no request outside ' + ' '.join(allowed), str(outside_sent))
finally:
    b.close()
sys.exit(1 if fails else 0)
