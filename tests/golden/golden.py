#!/usr/bin/env python3
"""Golden test of the fuzz seed corpora through the dronevault command.

Every seed file of the corpora below is run through the command that reads
that kind of file, and what it printed (stdout parsed as JSON, stderr, exit
status) is compared with tests/golden/<corpus>/<seed>.json, in the tree, so
a clean clone without ../shared still checks what the parsers make of the
seeds -- not only that they do not crash (that is the fuzz replay's job).

  inspect corpora (srt, photo, video, flightrec)  dronevault inspect --json SEED
  exif, xmp    the fragment the fuzzer gets, wrapped as the JPEG APP1
               segment a camera writes (EXIF: "Exif\\0\\0" + TIFF; XMP:
               Adobe's namespace + packet), then inspect --json
  inspect      the fuzzer's view: the first byte picks the file name
               (x.JPG, x.SRT, ...), the rest is the file; then inspect --json
  audit_pcap   dronevault audit --json --no-geo (the location database is a
               package that changes; --no-geo keeps the answer stable)
  radio_odid   the seeds that are captures (pcap/pcapng magic): radio --json
  zones        dronevault zones validate --json
  plan         dronevault zones check --json --zones fuzz/corpus/zones/
               ed269_circle.json --plan SEED

Run-dependent text is normalised: the scratch directory becomes $WORK and
the source tree $SRC. Seeds run from a scratch directory by relative path,
so "file" fields read "<corpus>/<seed>".

DV_GOLDEN_UPDATE=1 (or --update) rewrites the expected files instead of
comparing; review the diff before committing it.
Environment: DV (the binary), DV_SOURCE_DIR (the tree), DV_TMP (scratch).
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

DV = os.environ.get("DV")
SRC = os.environ.get("DV_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(SRC, "fuzz", "corpus")
GOLDEN = os.path.join(SRC, "tests", "golden")
UPDATE = os.environ.get("DV_GOLDEN_UPDATE") == "1" or "--update" in sys.argv[1:]
INSPECT_NAMES = ["x.JPG", "x.SRT", "x.MP4", "DJIFlightRecord_x.txt", "x.dng", "x.bin"]
XMP_NS = b"http://ns.adobe.com/xap/1.0/\0"


def jpeg_app1(payload):
    """A minimal JPEG holding one APP1 segment (SOI, APP1, EOI)."""
    if len(payload) + 2 > 0xFFFF:
        raise ValueError("APP1 payload too large")
    return b"\xff\xd8\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + b"\xff\xd9"


def is_capture(data):
    return data[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1",
                        b"\xa1\xb2\x3c\x4d", b"\x0a\x0d\x0d\x0a")


def cases(work):
    """(corpus, seed, argv) for every seed; writes derived inputs into work."""
    def seeds(corpus):
        d = os.path.join(CORPUS, corpus)
        return sorted(f for f in os.listdir(d) if os.path.isfile(os.path.join(d, f)))

    def place(rel, data):
        p = os.path.join(work, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        return rel

    def read(corpus, seed):
        with open(os.path.join(CORPUS, corpus, seed), "rb") as f:
            return f.read()

    for corpus in ("srt", "photo", "video", "flightrec"):
        for s in seeds(corpus):
            yield corpus, s, ["inspect", "--json", place(f"{corpus}/{s}", read(corpus, s))]
    for s in seeds("exif"):
        data = read("exif", s)
        if not data.startswith(b"Exif\0\0"):
            data = b"Exif\0\0" + data
        yield "exif", s, ["inspect", "--json", place(f"exif/{s}.jpg", jpeg_app1(data))]
    for s in seeds("xmp"):
        yield "xmp", s, ["inspect", "--json", place(f"xmp/{s}.jpg", jpeg_app1(XMP_NS + read("xmp", s)))]
    for s in seeds("inspect"):
        data = read("inspect", s)
        if not data:
            continue
        name = INSPECT_NAMES[data[0] % len(INSPECT_NAMES)]
        yield "inspect", s, ["inspect", "--json", place(f"inspect/{s}/{name}", data[1:])]
    for s in seeds("audit_pcap"):
        yield "audit_pcap", s, ["audit", "--json", "--no-geo", place(f"audit_pcap/{s}", read("audit_pcap", s))]
    for s in seeds("radio_odid"):
        data = read("radio_odid", s)
        if is_capture(data):
            yield "radio_odid", s, ["radio", "--json", place(f"radio_odid/{s}", data)]
    for s in seeds("zones"):
        yield "zones", s, ["zones", "validate", "--json", place(f"zones/{s}", read("zones", s))]
    zone = place("plan-zones/ed269_circle.json", read("zones", "ed269_circle.json"))
    for s in seeds("plan"):
        yield "plan", s, ["zones", "check", "--json", "--zones", zone, "--plan", place(f"plan/{s}", read("plan", s))]


def normalise(text, work):
    return text.replace(os.path.realpath(work), "$WORK").replace(work, "$WORK").replace(SRC, "$SRC")


def run(argv, work):
    env = dict(os.environ, TZ="UTC", LC_ALL="C")
    for k in ("DRONEVAULT_VAULT", "DRONEVAULT_PASSPHRASE"):
        env.pop(k, None)
    p = subprocess.run([DV] + argv, cwd=work, env=env, capture_output=True, timeout=120)
    out = normalise(p.stdout.decode("utf-8", "replace"), work)
    err = normalise(p.stderr.decode("utf-8", "replace"), work)
    try:
        stdout = json.loads(out) if out.strip() else None
    except json.JSONDecodeError:
        stdout = out  # kept as text: a mismatch shows it
    return {"command": ["dronevault"] + argv, "exit": p.returncode, "stdout": stdout,
            "stderr": err.splitlines()}


def main():
    if not DV or not os.access(DV, os.X_OK):
        print("golden: DV must point to the dronevault binary", file=sys.stderr)
        return 1
    base = os.environ.get("DV_TMP") or tempfile.gettempdir()
    os.makedirs(base, exist_ok=True)
    work = tempfile.mkdtemp(prefix="golden-", dir=base)
    failed = passed = written = 0
    seen = set()
    try:
        for corpus, seed, argv in cases(work):
            got = run(argv, work)
            exp_path = os.path.join(GOLDEN, corpus, seed + ".json")
            seen.add(os.path.relpath(exp_path, GOLDEN))
            text = json.dumps(got, indent=1, ensure_ascii=False) + "\n"
            if UPDATE:
                os.makedirs(os.path.dirname(exp_path), exist_ok=True)
                old = open(exp_path, encoding="utf-8").read() if os.path.exists(exp_path) else None
                if old != text:
                    with open(exp_path, "w", encoding="utf-8") as f:
                        f.write(text)
                    written += 1
                    print(f"updated {corpus}/{seed}")
                continue
            if not os.path.exists(exp_path):
                print(f"FAIL {corpus}/{seed}: no expected file {exp_path} (DV_GOLDEN_UPDATE=1 writes it)")
                failed += 1
                continue
            with open(exp_path, encoding="utf-8") as f:
                want = json.load(f)
            if want == got:
                passed += 1
                continue
            failed += 1
            print(f"FAIL {corpus}/{seed}: {' '.join(got['command'])}")
            import difflib
            diff = difflib.unified_diff(json.dumps(want, indent=1).splitlines(),
                                        json.dumps(got, indent=1).splitlines(),
                                        "expected", "got", lineterm="", n=2)
            for i, line in enumerate(diff):
                if i >= 60:
                    print("    ... (diff cut)")
                    break
                print("    " + line)
        # an expected file whose seed is gone is a mistake too
        for root, _, files in os.walk(GOLDEN):
            for f in files:
                rel = os.path.relpath(os.path.join(root, f), GOLDEN)
                if f.endswith(".json") and os.sep in rel and rel not in seen:
                    if UPDATE:
                        os.remove(os.path.join(root, f))
                        print(f"removed {rel} (no such seed)")
                    else:
                        print(f"FAIL {rel}: expected output of a seed that no longer exists")
                        failed += 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if UPDATE:
        print(f"{written} expected file(s) written")
        return 0
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
