#!/usr/bin/env python3
"""A small Chrome DevTools Protocol client over --remote-debugging-pipe
(fd 3: commands to Chromium, fd 4: answers and events, each JSON message
ended by a NUL byte), for the browser tests of dronevault serve. Needs
nothing beyond Python's standard library and Debian's chromium.

    b = Browser(profile_dir, extra_args)
    s = b.page()                     # a fresh tab, attached (flat session)
    b.send('Page.navigate', {'url': u}, s)
    b.wait(lambda: ..., timeout)     # pumps events while waiting
    b.events                         # every event seen: (method, params)
    b.close()
"""
import base64
import json
import os
import select
import subprocess
import time


class CDPError(Exception):
    pass


class Browser:
    def __init__(self, profile, args=(), log=None):
        to_child_r, self._w = os.pipe()
        self._r, from_child_w = os.pipe()
        cmd = ['chromium', '--headless=new', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe',
               '--user-data-dir=' + profile, '--no-first-run', '--disable-background-networking',
               '--disable-component-update', '--disable-sync', '--mute-audio',
               '--autoplay-policy=no-user-gesture-required', '--window-size=1200,1800'] + list(args) + ['about:blank']

        def fds():
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(cmd, pass_fds=(3, 4), preexec_fn=fds, stdin=subprocess.DEVNULL,
                                     stdout=log or subprocess.DEVNULL, stderr=log or subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b''
        self._id = 0
        self._answers = {}
        self.events = []

    def _pump(self, timeout):
        r, _, _ = select.select([self._r], [], [], max(0.0, timeout))
        if not r:
            return
        chunk = os.read(self._r, 1 << 20)
        if not chunk:
            raise CDPError('chromium closed the pipe (exit %s)' % self.proc.poll())
        self._buf += chunk
        while b'\0' in self._buf:
            msg, self._buf = self._buf.split(b'\0', 1)
            m = json.loads(msg)
            if 'id' in m:
                self._answers[m['id']] = m
            else:
                self.events.append((m.get('method'), m.get('params', {})))

    def send(self, method, params=None, session=None, timeout=30):
        self._id += 1
        i = self._id
        m = {'id': i, 'method': method, 'params': params or {}}
        if session:
            m['sessionId'] = session
        os.write(self._w, json.dumps(m).encode() + b'\0')
        end = time.monotonic() + timeout
        while i not in self._answers:
            if time.monotonic() > end:
                raise CDPError('no answer to ' + method)
            self._pump(end - time.monotonic())
        a = self._answers.pop(i)
        if 'error' in a:
            raise CDPError('%s: %s' % (method, a['error']))
        return a.get('result', {})

    def page(self):
        t = self.send('Target.createTarget', {'url': 'about:blank'})
        s = self.send('Target.attachToTarget', {'targetId': t['targetId'], 'flatten': True})['sessionId']
        for d in ('Page', 'Runtime', 'Network', 'Log'):
            self.send(d + '.enable', {}, s)
        return s

    def eval(self, expr, session, await_promise=False):
        r = self.send('Runtime.evaluate', {'expression': expr, 'returnByValue': True,
                                           'awaitPromise': await_promise}, session)
        if 'exceptionDetails' in r:
            raise CDPError('%s: %s' % (expr[:60], r['exceptionDetails'].get('text')))
        return r['result'].get('value')

    def wait(self, cond, timeout, step=0.2):
        end = time.monotonic() + timeout
        while True:
            try:
                v = cond()
            except CDPError:  # the page is still loading (its elements not there yet)
                v = None
            if v:
                return v
            if time.monotonic() > end:
                return v
            self._pump(min(step, max(0.0, end - time.monotonic())))

    def screenshot(self, session, path):
        r = self.send('Page.captureScreenshot', {'format': 'png', 'captureBeyondViewport': False}, session)
        with open(path, 'wb') as f:
            f.write(base64.b64decode(r['data']))

    def close(self):
        try:
            self.send('Browser.close', {}, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
