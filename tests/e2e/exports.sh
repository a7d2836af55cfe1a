#!/usr/bin/env bash
# Exports for other tools (issue 14) on the synthetic card and, when
# ../shared is there, on the sample photos: ODM geo.txt equals the golden
# positions and angles, images are byte-identical, COLMAP's own
# model_converter reads the model and its camera centres are the golden
# ENU positions (1 cm), the court package passes sha256sum -c (and a
# tampered file fails it), its DFXML validates, its CASE/UCO expands with
# jsonld; the package appears only when complete and nothing else in DEST
# is touched; coverage answers.
. "$(dirname "$0")/lib/common.sh"
command -v python3 >/dev/null || { echo "skipped: no python3"; exit 77; }

"$DV" sample-card "$T/card" >/dev/null
V=$T/vault
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" ingest --case EX --operator tester "$T/card"

# DEST holds other things: they stay as they are
mkdir -p "$T/dest/keep"
echo precious >"$T/dest/keep/other.txt"
before=$(cd "$T/dest" && find keep -printf '%p %s %T@\n' | sort)

# ---- ODM -------------------------------------------------------------------
expect_exit 0 "$DV" --vault "$V" export --case EX --for odm --to "$T/dest" --json
pkg=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["package"])' "$T/last.out")
check "package named <case>-<UTC time>" bash -c "[[ '$(basename "$pkg")' =~ ^EX-[0-9]{8}T[0-9]{6}Z$ ]]"
check "no partial directory left" test -z "$(find "$T/dest" -maxdepth 1 -name '.dronevault-partial-*')"
check "other things untouched" test "$before" = "$(cd "$T/dest" && find keep -printf '%p %s %T@\n' | sort)"
check "only the package added" test "$(ls -A "$T/dest" | sort | tr '\n' ' ')" = "$(basename "$pkg") keep "
check "odm: sha256sum -c" bash -c "cd '$pkg' && sha256sum -c --quiet SHA256SUMS"
check "odm: COMPLETE holds the digest of SHA256SUMS" bash -c "cd '$pkg' && sha256sum -c --quiet COMPLETE"
for f in "$T"/card/DCIM/100MEDIA/*.JPG; do
  check "odm: $(basename "$f") byte-identical" cmp -s "$f" "$pkg/images/$(basename "$f")"
done
check "odm: projection line first" test "$(head -1 "$pkg/geo.txt")" = "EPSG:4326"
# the sample card's flight (src/sample/sample.c): photo i at t = 2i + 1 s on
# a lawn-mower of 120 m legs 40 m apart at 5 m/s, 60 m over 540 m ground,
# gimbal straight down with the yaw of the leg
check "odm: golden positions and angles" python3 - "$pkg/geo.txt" <<'PY'
import math, sys
lines = open(sys.argv[1]).read().split("\n")[1:]
rows = [l.split() for l in lines if l.strip()]
assert len(rows) == 12, len(rows)
lat0, lon0 = 46.9375, 7.3960
for i, r in enumerate(rows):
    t = i * 2.0 + 1.0; d = t * 5; per = 160; k = int(d // per); rr = math.fmod(d, per)
    if rr < 120:
        east = (60 - rr) if k & 1 else (-60 + rr); north = -40 + k * 40; yaw = -90 if k & 1 else 90
    else:
        east = -60 if k & 1 else 60; north = -40 + k * 40 + (rr - 120); yaw = 0
    lat = lat0 + north / 111320.0; lon = lon0 + east / (111320.0 * math.cos(lat0 * math.pi / 180))
    assert r[0] == "DJI_%04d.JPG" % (i + 1), r
    assert abs(float(r[1]) - lon) < 2e-8 and abs(float(r[2]) - lat) < 2e-8, (r, lat, lon)
    assert abs(float(r[3]) - 600) < 1e-3, r
    assert abs(float(r[4]) - (yaw % 360)) < 1e-6 and abs(float(r[5])) < 1e-9 and abs(float(r[6])) < 1e-9, r
PY
check "odm: one image group per flight" test "$(cut -d' ' -f2 "$pkg/images/image_groups.txt" | sort -u | wc -l)" -eq 1
check "odm: every image grouped" test "$(wc -l <"$pkg/images/image_groups.txt")" -eq 12
check "odm: the camera from the table" grep -qi 'dji fc3582 640 480' "$pkg/cameras.json"
expect_exit 0 "$DV" --vault "$V" log --case EX --json
check "custody: export entry with the package digest" python3 - "$T/last.out" "$pkg" <<'PY'
import json, sys
es = json.load(open(sys.argv[1])); pkg = sys.argv[2]
digest = open(pkg + "/COMPLETE").read().split()[0]
ex = [e for e in es if e.get("action") == "export" and e.get("for") == "odm"]
st = [e for e in es if e.get("action") == "export.start" and e.get("for") == "odm"]
assert ex and st, es
assert ex[-1]["package_sha256"] == digest and ex[-1]["package"].endswith(pkg.split("/")[-1]), ex[-1]
PY
# selection
expect_exit 0 "$DV" --vault "$V" export --case EX --for odm --to "$T/sel" --since 2026-11-20T14:03:10 --json
p2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["package"])' "$T/last.out")
check "odm --since: the later photos only" test "$(tail -n +2 "$p2/geo.txt" | wc -l)" -lt 12
cat >"$T/area.geojson" <<'JS'
{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[7.3950,46.9370],[7.3960,46.9370],[7.3960,46.9373],[7.3950,46.9373],[7.3950,46.9370]]]}}
JS
expect_exit 0 "$DV" --vault "$V" export --case EX --for odm --to "$T/sel" --area "$T/area.geojson" --json
p3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["package"])' "$T/last.out")
check "odm --area: only photos inside" python3 -c "
import sys
rows=[l.split() for l in open('$p3/geo.txt').read().split('\n')[1:] if l.strip()]
assert 0 < len(rows) < 12 and all(7.3950<=float(r[1])<=7.3960 and 46.9370<=float(r[2])<=46.9373 for r in rows), rows"
expect_exit 1 "$DV" --vault "$V" export --case EX --for odm --to "$T/sel" --flight F999999
check "unknown flight explained" grep -q 'no flight F999999' "$T/last.err"
expect_exit 2 "$DV" --vault "$V" export --case EX --for shapefile --to "$T/sel"
expect_exit 2 "$DV" --vault "$V" export --case EX --to "$T/plain" --flight F1

# ---- COLMAP ----------------------------------------------------------------
expect_exit 0 "$DV" --vault "$V" export --case EX --for colmap --to "$T/colmap" --json
pc=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["package"])' "$T/last.out")
check "colmap: sha256sum -c" bash -c "cd '$pc' && sha256sum -c --quiet SHA256SUMS"
check "colmap: empty points3D" test "$(grep -vc '^#' "$pc/sparse/0/points3D.txt")" -eq 0
golden_enu() { # golden_enu IMAGES.txt ORIGIN: every camera centre vs ENU of the golden position
  python3 - "$@" <<'PY'
import math, sys
a = 6378137.0; f = 1 / 298.257223563; e2 = f * (2 - f)
def ecef(lat, lon, h):
    la, lo = math.radians(lat), math.radians(lon); n = a / math.sqrt(1 - e2 * math.sin(la) ** 2)
    return ((n + h) * math.cos(la) * math.cos(lo), (n + h) * math.cos(la) * math.sin(lo), (n * (1 - e2) + h) * math.sin(la))
def enu(lat, lon, h, lat0, lon0, h0):
    x, y, z = ecef(lat, lon, h); x0, y0, z0 = ecef(lat0, lon0, h0); dx, dy, dz = x - x0, y - y0, z - z0
    la, lo = math.radians(lat0), math.radians(lon0)
    return (-math.sin(lo) * dx + math.cos(lo) * dy,
            -math.sin(la) * math.cos(lo) * dx - math.sin(la) * math.sin(lo) * dy + math.cos(la) * dz,
            math.cos(la) * math.cos(lo) * dx + math.cos(la) * math.sin(lo) * dy + math.sin(la) * dz)
def rot(q):
    w, x, y, z = q
    return [[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]]
images, golden = sys.argv[1], sys.argv[2]
gold = {}
for l in open(golden):
    p = l.split()
    gold[p[0]] = tuple(map(float, p[1:]))  # lat lon h yaw pitch roll
o = open(sys.argv[3]).read().split("\n")[1].split()
lat0, lon0, h0 = map(float, o)
lines = [l for l in open(images).read().split("\n") if l and not l.startswith("#")]
seen = 0
for l in lines:
    p = l.split()
    if len(p) != 10: continue
    q = list(map(float, p[1:5])); t = list(map(float, p[5:8])); R = rot(q)
    c = [-(R[0][i] * t[0] + R[1][i] * t[1] + R[2][i] * t[2]) for i in range(3)]
    lat, lon, h, yaw, pitch, roll = gold[p[9]]
    g = enu(lat, lon, h, lat0, lon0, h0)
    assert max(abs(c[i] - g[i]) for i in range(3)) < 0.01, (p[9], c, g)
    # the view direction is the third row of R (world to camera); by hand:
    # (sin yaw cos pitch, cos yaw cos pitch, sin pitch) in ENU
    y, pt = math.radians(yaw), math.radians(pitch)
    v = (math.sin(y) * math.cos(pt), math.cos(y) * math.cos(pt), math.sin(pt))
    assert max(abs(R[2][i] - v[i]) for i in range(3)) < 1e-6, (p[9], R[2], v)
    # image right stays horizontal when roll is 0: (cos yaw, -sin yaw, 0)
    if abs(roll) < 1e-9:
        r = (math.cos(y), -math.sin(y), 0)
        assert max(abs(R[0][i] - r[i]) for i in range(3)) < 1e-6, (p[9], R[0], r)
    seen += 1
assert seen == len(gold), (seen, len(gold))
PY
}
# golden for the card: the same flight as above, in colmap's terms
python3 - >"$T/card.golden" <<'PY'
import math
lat0, lon0 = 46.9375, 7.3960
for i in range(12):
    t = i * 2.0 + 1.0; d = t * 5; per = 160; k = int(d // per); rr = math.fmod(d, per)
    if rr < 120:
        east = (60 - rr) if k & 1 else (-60 + rr); north = -40 + k * 40; yaw = -90 if k & 1 else 90
    else:
        east = -60 if k & 1 else 60; north = -40 + k * 40 + (rr - 120); yaw = 0
    print("DJI_%04d.JPG %.10f %.10f 600 %g -90 0" % (i + 1, lat0 + north / 111320.0, lon0 + east / (111320.0 * math.cos(lat0 * math.pi / 180)), yaw))
PY
check "colmap: centres = golden ENU (1 cm), rotations = hand-derived nadir" golden_enu "$pc/sparse/0/images.txt" "$T/card.golden" "$pc/enu_origin.txt"
if command -v colmap >/dev/null; then
  mkdir -p "$T/conv" "$T/conv2"
  check "colmap model_converter reads the model" colmap model_converter --input_path "$pc/sparse/0" --output_path "$T/conv" --output_type BIN
  check "and writes it back" colmap model_converter --input_path "$T/conv" --output_path "$T/conv2" --output_type TXT
  check "converted: 12 images" test "$(grep -v '^#' "$T/conv2/images.txt" | grep -c 'JPG')" -eq 12
  check "converted centres = golden ENU (1 cm)" golden_enu "$T/conv2/images.txt" "$T/card.golden" "$pc/enu_origin.txt"
else
  echo "note: colmap missing (scripts/install-deps.sh installs it): model_converter check skipped"
fi

# ---- court -----------------------------------------------------------------
# the PDF (Chromium, unsanitized and slow on a loaded machine) is checked in
# the plain build; the sanitizer build checks everything else
pdf_opt=()
[ "${DV_SANITIZE:-0}" = 1 ] && pdf_opt=(--no-pdf)
expect_exit 0 "$DV" --vault "$V" export --case EX --for court --to "$T/court" --operator "Det. Smith" "${pdf_opt[@]}" --json
pk=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["package"])' "$T/last.out")
check "court: sha256sum -c" bash -c "cd '$pk' && sha256sum -c --quiet SHA256SUMS"
check "court: sha256sum -c COMPLETE" bash -c "cd '$pk' && sha256sum -c --quiet COMPLETE"
check "court: every card file" test "$(find "$pk/files" -type f | wc -l)" -eq "$(find "$T/card" -type f | wc -l)"
check "court: VERIFY.md" grep -q 'sha256sum -c SHA256SUMS' "$pk/VERIFY.md"
check "court: custody chain with the station key and head" bash -c "test -s '$pk/custody/station.pem' && test -s '$pk/custody/HEAD' && ls '$pk'/custody/entries/*.stmt >/dev/null"
check "court: custody files listed in SHA256SUMS" bash -c "grep -q '  custody/HEAD\$' '$pk/SHA256SUMS' && grep -q '  custody/entries/000001.sig\$' '$pk/SHA256SUMS'"
check "court: the vault still holds the package's case head" "$DV" --vault "$V" verify --case EX --head "$(cat "$pk/custody/HEAD")"
# custody/VERIFY.md's commands, exactly as written, inside custody/
sed -n '/^```sh$/,/^```$/p' "$pk/custody/VERIFY.md" | sed '1d;$d' >"$T/court-verify.sh"
check "court: custody/VERIFY.md has commands" test -s "$T/court-verify.sh"
check "court: the chain verifies with coreutils and openssl alone" bash -c "cd '$pk/custody' && bash '$T/court-verify.sh' | grep -q '^all [0-9]* entries verify'"
cp -a "$pk/custody" "$T/custody-tampered"
b1=$(ls "$T"/custody-tampered/entries/*.json | head -n 1)
printf 'X' | dd of="$b1" bs=1 seek=2 conv=notrunc 2>/dev/null
check "court: a tampered custody entry fails the VERIFY.md commands" bash -c "cd '$T/custody-tampered' && ! bash '$T/court-verify.sh' >/dev/null 2>&1"
check "court: DFXML well-formed with fileobjects" bash -c "xmllint --noout '$pk/case.dfxml' && test \$(grep -c '<fileobject>' '$pk/case.dfxml') -eq 13 && grep -q '<hashdigest type=.sha256.>' '$pk/case.dfxml' && grep -q '<program>dronevault</program>' '$pk/case.dfxml' && grep -q '<image_filename>' '$pk/case.dfxml'"
if [ -n "${DV_SHARED:-}" ] && [ -f "$DV_SHARED/court/dfxml-schema/dfxml.xsd" ]; then
  check "court: DFXML validates against the schema" xmllint --noout --schema "$DV_SHARED/court/dfxml-schema/dfxml.xsd" "$pk/case.dfxml"
else
  echo "note: ../shared absent: DFXML schema validation skipped"
fi
check "court: report names the case and says not shown" bash -c "grep -q '<h1>Case EX</h1>' '$pk/report.html' && grep -q 'not shown' '$pk/report.html' && grep -q \"src='map.png'\" '$pk/report.html'"
check "court: regime shows the sandboxed reader, not the cable" bash -c "grep -q 'read in the sandbox (no network)</td><td>shown' '$pk/report.html' && grep -q \"acquired by cable</td><td><span class='ns'>not shown\" '$pk/report.html'"
check "court: coverage in the package and the report" bash -c "test -s '$pk/coverage.geojson' && grep -q 'seen by at least 3 photos' '$pk/report.html'"
# the map is drawn: flight pixels on the right half, Natural Earth on the left when installed
check "court: the map is not blank" python3 - "$pk/map.png" "${DV_NPM_PREFIX:-/opt/dronevault-npm}/node_modules/world-atlas" <<'PY'
import os, struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n"
i, idat, w = 8, b"", 0
while i < len(d):
    n, t = struct.unpack(">I4s", d[i:i + 8])
    if t == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", d[i + 8:i + 18]); assert depth == 8 and ctype == 2
    if t == b"IDAT": idat += d[i + 8:i + 8 + n]
    i += 12 + n
raw = zlib.decompress(idat); stride = 1 + 3 * w
rows = [raw[r * stride + 1:(r + 1) * stride] for r in range(h)]
def count(x0, x1, bg):
    return sum(1 for row in rows for x in range(x0, x1) if row[3 * x:3 * x + 3] != bg)
right = count(w // 2 + 1, w, bytes([0xf4, 0xf4, 0xf0]))
left = count(0, w // 2, bytes([0xe4, 0xee, 0xf6]))
assert right > 100, right
if os.path.isdir(sys.argv[2]): assert left > 1000, left   # borders and coastlines
PY
if [ -f "$pk/report.pdf" ]; then
  check "court: report.pdf listed in SHA256SUMS" grep -q '  report.pdf$' "$pk/SHA256SUMS"
  check "court: report.pdf has 5 pages (one per section)" python3 -c "
import re; d=open('$pk/report.pdf','rb').read(); n=len(re.findall(rb'/Type\s*/Page\b(?!s)', d)); assert n == 5, n"
else
  echo "note: no chromium (or the sanitizer build): report.pdf and its page count not checked"
fi
NPM=${DV_NPM_PREFIX:-/opt/dronevault-npm}
if command -v node >/dev/null && [ -d "$NPM/node_modules/jsonld" ]; then
  grep -o '^[0-9a-f]\{64\}  files/' "$pk/SHA256SUMS" | cut -c1-64 >"$T/hashes"
  check "court: CASE/UCO expands with the action, performer, instrument and every SHA-256" \
    env NODE_PATH="$NPM/node_modules" node -e '
const jsonld = require("jsonld"), fs = require("fs");
const doc = JSON.parse(fs.readFileSync(process.argv[1]));
const want = fs.readFileSync(process.argv[2], "utf8").trim().split("\n");
jsonld.expand(doc).then(ex => {
  const I = "https://ontology.caseontology.org/case/investigation/", A = "https://ontology.unifiedcyberontology.org/uco/action/";
  const C = "https://ontology.unifiedcyberontology.org/uco/core/", T = "https://ontology.unifiedcyberontology.org/uco/types/";
  const byId = {}; ex.forEach(n => byId[n["@id"]] = n);
  const acts = ex.filter(n => (n["@type"] || []).includes(I + "InvestigativeAction"));
  if (!acts.length) throw "no InvestigativeAction";
  const a = acts[0];
  const perf = byId[a[A + "performer"][0]["@id"]], inst = byId[a[A + "instrument"][0]["@id"]];
  if (perf[C + "name"][0]["@value"] !== "tester") throw "performer " + JSON.stringify(perf);
  if (inst[C + "name"][0]["@value"] !== "dronevault") throw "instrument " + JSON.stringify(inst);
  const got = new Set(JSON.stringify(ex).match(/[0-9a-f]{64}/g));
  for (const h of want) if (!got.has(h)) throw "missing " + h;
  if (!a[A + "startTime"]) throw "no time";
}).catch(e => { console.error(e); process.exit(1); });' "$pk/case.jsonld" "$T/hashes"
else
  echo "note: node or npm jsonld missing (scripts/install-npm.sh): CASE expansion skipped"
fi
# a tampered file is caught
f1=$(find "$pk/files" -name 'DJI_0003.JPG')
chmod u+w "$f1"
printf 'x' | dd of="$f1" bs=1 seek=1000 conv=notrunc 2>/dev/null
check "court: a tampered file fails sha256sum -c" bash -c "cd '$pk' && ! sha256sum -c --quiet SHA256SUMS 2>/dev/null"
check "court: and is named" bash -c "cd '$pk' && sha256sum -c SHA256SUMS 2>/dev/null | grep -q 'DJI_0003.JPG: FAILED'"

# Chromium runs with a clean environment: a stand-in records what it got
cat >"$T/fake-chromium" <<SH
#!/bin/sh
env >"$T/chromium.env"
for a in "\$@"; do case "\$a" in --print-to-pdf=*) head -c 200 /dev/zero >"\${a#--print-to-pdf=}";; esac; done
SH
chmod +x "$T/fake-chromium"
expect_exit 0 env DV_CHROMIUM="$T/fake-chromium" "$DV" --vault "$V" export --case EX --for court --no-coverage --to "$T/fake" --json
check "court: the PDF step ran (stand-in)" grep -q '"pdf":true' "$T/last.out"
check "court: Chromium does not get the passphrase" bash -c "test -s '$T/chromium.env' && ! grep -q DRONEVAULT '$T/chromium.env'"

# ---- coverage --------------------------------------------------------------
expect_exit 0 "$DV" --vault "$V" coverage --case EX --out "$T/cov.geojson" --json
check "coverage: a share in (0, 1]" python3 -c "
import json; r=json.load(open('$T/last.out')); assert r['photos']==12 and 0<r['share']<=1 and r['area_m2']>0, r"
check "coverage: layers with counts" python3 -c "
import json; d=json.load(open('$T/cov.geojson')); ls=[f['properties']['layer'] for f in d['features']]
assert ls.count('footprint')==12 and 'coverage' in ls, set(ls)
assert max(f['properties'].get('count',0) for f in d['features'])>=3"
expect_exit 0 "$DV" --vault "$V" coverage --case EX --min 1 --out "$T/cov1.geojson" --json
check "coverage: N=1 covers more than N=3" python3 -c "
import json; a=json.load(open('$T/last.out'))['share']; print(a); assert a>0.99"
share3=$(python3 -c "import json; print(json.load(open('$T/cov.geojson'))['dronevault_coverage']['share'])")
# a DEM (ESRI ASCII grid, read by GDAL) of flat ground at 540 m, the card's:
# absolute altitude minus the DEM is the relative altitude, the same answer
{ echo "ncols 20"; echo "nrows 20"; echo "xllcorner 7.38"; echo "yllcorner 46.93"; echo "cellsize 0.001"
  for r in $(seq 20); do printf '540 %.0s' $(seq 20); echo; done; } >"$T/flat.asc"
expect_exit 0 "$DV" --vault "$V" coverage --case EX --dem "$T/flat.asc" --out "$T/covdem.geojson" --json
check "coverage --dem: flat ground at take-off height gives the same share" python3 -c "
import json; r=json.load(open('$T/last.out')); assert abs(r['share'] - $share3) < 1e-6, (r, $share3)"
{ echo "ncols 20"; echo "nrows 20"; echo "xllcorner 7.38"; echo "yllcorner 46.93"; echo "cellsize 0.001"
  for r in $(seq 20); do printf '570 %.0s' $(seq 20); echo; done; } >"$T/high.asc"
expect_exit 0 "$DV" --vault "$V" coverage --case EX --dem "$T/high.asc" --out "$T/covhigh.geojson" --json
check "coverage --dem: ground 30 m higher, smaller footprints" python3 -c "
import json; r=json.load(open('$T/last.out')); assert r['area_m2'] < 0.6 * json.load(open('$T/cov.geojson'))['dronevault_coverage']['area_m2'], r"
expect_exit 0 "$DV" --vault "$V" coverage --case EX --format kml --out "$T/cov.kml"
check "coverage: KML well-formed" xmllint --noout "$T/cov.kml"
if command -v ogrinfo >/dev/null; then
  check "coverage: GDAL opens the GeoJSON" bash -c "ogrinfo -ro -al -so '$T/cov.geojson' | grep -q 'Feature Count'"
fi

# ---- a flight across the antimeridian -------------------------------------------
if command -v exiftool >/dev/null; then
  mkdir -p "$T/am/DCIM/100MEDIA"
  i=0
  for lon in 179.99990 179.99996 -179.99998 -179.99992; do
    i=$((i + 1))
    f=$T/am/DCIM/100MEDIA/DJI_000$i.JPG
    cp "$T/card/DCIM/100MEDIA/DJI_000$i.JPG" "$f"
    ref=E; [ "${lon#-}" != "$lon" ] && ref=W
    # exiftool drops the sign of drone-dji:GpsLongitude: the position is left to EXIF (Ref W)
    exiftool -q -overwrite_original -XMP-drone-dji:GpsLongitude= -XMP-drone-dji:GpsLatitude= -GPSLongitude="${lon#-}" -GPSLongitudeRef=$ref "$f"
  done
  expect_exit 0 "$DV" --vault "$V" ingest --case AM --operator tester "$T/am"
  expect_exit 0 "$DV" --vault "$V" export --case AM --for odm --to "$T/amx" --json
  pa=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["package"])' "$T/last.out")
  check "antimeridian: longitudes as recorded" test "$(tail -n +2 "$pa/geo.txt" | awk '{print $2}' | tr '\n' ' ')" = "179.999900000 179.999960000 -179.999980000 -179.999920000 "
  expect_exit 0 "$DV" --vault "$V" coverage --case AM --min 1 --out "$T/am.geojson" --json
  check "antimeridian: the scene stays small (no wrap around the world)" python3 -c "
import json; r=json.load(open('$T/last.out')); assert r['photos']==4 and 3000 < r['area_m2'] < 30000 and r['share'] > 0.95, r"
else
  echo "note: exiftool missing: the antimeridian check is skipped"
fi

# ---- hostile names, and a failure half-way ------------------------------------
mkdir -p "$T/odd"
cp "$T/card/DCIM/100MEDIA/DJI_0001.JPG" "$T/odd/$(printf 'new\nline.JPG')"
cp "$T/card/DCIM/100MEDIA/DJI_0002.JPG" "$T/odd/back\\slash <&>.JPG"
expect_exit 0 "$DV" --vault "$V" ingest --case ODD --operator tester "$T/odd"
expect_exit 0 "$DV" --vault "$V" export --case ODD --for court --to "$T/oddx" --no-pdf --json
po=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["package"])' "$T/last.out")
check "odd names: sha256sum -c" bash -c "cd '$po' && sha256sum -c --quiet SHA256SUMS"
check "odd names: renamed and mapped" grep -q '"original":"new\\nline.JPG"' "$po/files_renamed.json"
check "odd names: DFXML well-formed" xmllint --noout "$po/case.dfxml"
check "odd names: report well-formed XML text" bash -c "grep -q 'back\\\\slash &lt;&amp;&gt;.JPG' '$po/report.html'"
expect_exit 0 "$DV" --vault "$V" export --case ODD --for odm --to "$T/oddo" --json
po2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["package"])' "$T/last.out")
check "odd names: flat ODM names without spaces or newlines" bash -c "ls '$po2/images' | grep -q '^new_line.JPG$'"
# a blob that no longer decrypts: the export stops, no package looks complete
# (every blob: which one holds which file is the vault's secret; nothing
# below uses this vault again)
nb=0
while read -r blob size; do
  [ "$size" -gt 10240 ] || continue
  vault_blob_flip "$V" "$blob" 5000
  nb=$((nb + 1))
done < <(vault_blob_list "$V")
check "blobs to damage" test "$nb" -gt 0
expect_exit 1 "$DV" --vault "$V" export --case EX --for court --to "$T/fail" --no-pdf
check "failed: no complete-looking package" test -z "$(find "$T/fail" -maxdepth 1 -name 'EX-*')"
check "failed: the partial directory says partial" test -n "$(find "$T/fail" -maxdepth 1 -name '.dronevault-partial-*')"
check "failed: no COMPLETE anywhere" test -z "$(find "$T/fail" -name COMPLETE)"
expect_exit 0 "$DV" --vault "$V" log --case EX --json
check "failed: export.incomplete in the custody log" grep -q '"export.incomplete"' "$T/last.out"

# ---- the sample photos: golden positions, gaps reported -----------------------
S=${DV_SHARED:-}/samples/photos
if [ -n "${DV_SHARED:-}" ] && [ -d "$S" ]; then
  V2=$T/vault2
  new_vault "$V2"
  mkdir -p "$T/photos"
  cp "$S"/*.jpg "$S"/*.JPG "$T/photos/"
  expect_exit 0 "$DV" --vault "$V2" ingest --case PH --operator tester "$T/photos"
  expect_exit 0 "$DV" --vault "$V2" export --case PH --for odm --to "$T/ph" --json
  pp=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["package"])' "$T/last.out")
  check "photos: sha256sum -c" bash -c "cd '$pp' && sha256sum -c --quiet SHA256SUMS"
  check "photos: geo.txt = exiftool's positions, ODM angles of the XMP" python3 - "$pp/geo.txt" "$DV_SHARED/samples/expected" <<'PY'
import json, sys
rows = {l.split()[0]: l.split() for l in open(sys.argv[1]).read().split("\n")[1:] if l.strip()}
n = 0
for name in ["DJI_H20T.jpg", "DJI_XT2.jpg", "DJI_XTS.jpg", "M3T_DJI_0001_R.JPG"]:
    e = json.load(open(sys.argv[2] + "/" + name + ".exiftool.json"))[0]
    r = rows[name]
    assert abs(float(r[1]) - e["Composite:GPSLongitude"]) < 1e-6 and abs(float(r[2]) - e["Composite:GPSLatitude"]) < 1e-6, (name, r)
    yaw = pitch = None
    for k, v in e.items():
        if k.endswith(":GimbalYawDegree"): yaw = float(v)
        if k.endswith(":GimbalPitchDegree"): pitch = float(v)
    if len(r) >= 7 and yaw is not None:
        assert abs(float(r[4]) - yaw % 360) < 1e-3 and abs(float(r[5]) - (90 + pitch)) < 1e-3, (name, r, yaw, pitch)
        n += 1
assert "M2EA_DJI_0001_R.JPG" not in rows
assert n >= 2, n
PY
  check "photos: the photo without GPS is a reported gap" grep -q '^M2EA_DJI_0001_R.JPG.*no position' "$pp/GAPS.txt"
  check "photos: the unknown camera is a reported gap" grep -q '^DJI_XT2.jpg.*unknown camera' "$pp/GAPS.txt"
  check "photos: every photo exported" test "$(ls "$pp/images" | grep -vc image_groups)" -eq 5
  expect_exit 0 "$DV" --vault "$V2" export --case PH --for colmap --to "$T/phc" --json
  ppc=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["package"])' "$T/last.out")
  python3 - "$DV_SHARED/samples/expected" "$ppc/sparse/0/images.txt" >"$T/ph.golden" <<'PY'
import json, sys
names = [l.split()[-1] for l in open(sys.argv[2]) if l.strip() and not l.startswith("#") and len(l.split()) == 10]
for name in names:
    e = json.load(open(sys.argv[1] + "/" + name + ".exiftool.json"))[0]
    g = {k.split(":")[1]: v for k, v in e.items() if ":" in k}
    print(name, e["Composite:GPSLatitude"], e["Composite:GPSLongitude"], float(g["AbsoluteAltitude"]),
          float(g["GimbalYawDegree"]), float(g["GimbalPitchDegree"]), float(g["GimbalRollDegree"]))
PY
  check "photos: COLMAP has the posed oblique photos" test "$(wc -l <"$T/ph.golden")" -ge 2
  check "photos: COLMAP centres = golden ENU, rotations = hand-derived oblique" golden_enu "$ppc/sparse/0/images.txt" "$T/ph.golden" "$ppc/enu_origin.txt"
  if command -v colmap >/dev/null; then
    mkdir -p "$T/phconv"
    check "photos: colmap model_converter reads it" colmap model_converter --input_path "$ppc/sparse/0" --output_path "$T/phconv" --output_type TXT
    check "photos: converted centres = golden ENU" golden_enu "$T/phconv/images.txt" "$T/ph.golden" "$ppc/enu_origin.txt"
  fi
else
  echo "note: ../shared absent: the sample-photo checks are skipped"
fi
finish
