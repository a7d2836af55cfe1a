#!/usr/bin/env bash
# dronevault zones end to end: validate (exit 0 / 4 / 1), check of a plan
# and of a track (table, --json, --geojson, exit 4 on entry, 0 when clear),
# usage errors; then the real Swiss zone files when ../shared exists.
. "$(dirname "$0")/lib/common.sh"

seeds=$DV_SOURCE_DIR/fuzz/corpus
square='{"UASZoneList":[{"identifier":"SQ1","restriction":"PROHIBITED","geometry":[{"uomDimensions":"M",
 "lowerLimit":0,"lowerVerticalReference":"AGL","upperLimit":120,"upperVerticalReference":"AMSL",
 "horizontalProjection":{"type":"Polygon","coordinates":[[[8.0,47.0],[8.01,47.0],[8.01,47.01],[8.0,47.01],[8.0,47.0]]]}}]}]}'
echo "$square" >"$T/z.json"

expect_exit 0 "$DV" zones validate "$T/z.json"
check "summary line" grep -q 'ED-269, 1 features, 1 zones usable, 0 rejected' "$T/last.out"
expect_exit 4 "$DV" zones validate "$seeds/zones/geojson_bad.json"
check "issue names feature and path" grep -q '^error   B \$.features\[0\].geometry.coordinates: invalid polygon' "$T/last.out"
expect_exit 4 "$DV" zones validate --json "$seeds/zones/geojson_bad.json"
if command -v python3 >/dev/null; then
  check "validate JSON parses" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["errors"] >= 3' "$T/last.out"
fi
echo '{"features":[' >"$T/broken.json"
expect_exit 1 "$DV" zones validate "$T/broken.json"
check "JSON error named" grep -q 'JSON ends too early' "$T/last.err"
expect_exit 1 "$DV" zones validate "$T/missing.json"

# a plan cutting the corner of the square (two waypoints outside it)
printf 'lat,lon,alt_msl\n47.007,7.998,50\n47.012,8.003,50\n' >"$T/plan.csv"
expect_exit 4 "$DV" zones check --zones "$T/z.json" --plan "$T/plan.csv" --geojson "$T/map.geojson"
check "entry row" grep -Eq '^entry +leg 1 at 40% +47.0090000 +8.0000000 +50.0 AMSL +SQ1 +PROHIBITED' "$T/last.out"
check "exit row" grep -Eq '^exit +leg 1 at 60%' "$T/last.out"
check "geojson written" test -s "$T/map.geojson"
if command -v python3 >/dev/null; then
  check "geojson has zone, route and 2 events" python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
k=[f["properties"]["kind"] for f in d["features"]]
assert k.count("zone")==1 and k.count("route")==1 and k.count("entry")+k.count("exit")==2, k' "$T/map.geojson"
fi
# above the 120 m AMSL ceiling: clear
printf 'lat,lon,alt_msl\n47.007,7.998,150\n47.012,8.003,150\n' >"$T/high.csv"
expect_exit 0 "$DV" zones check --zones "$T/z.json" --plan "$T/high.csv"
check "no zone entered" grep -q '^no zone entered' "$T/last.out"
# a timed track as JSON
printf 'time,lat,lon\n2026-11-23T12:00:00Z,47.005,7.99\n2026-11-23T12:01:00Z,47.005,8.02\n' >"$T/track.csv"
expect_exit 4 "$DV" zones check --json --zones "$T/z.json" --track "$T/track.csv"
check "entry time" grep -q '"time":"2026-11-23T12:00:20.000Z"' "$T/last.out"
check "horizontal only said" grep -q '"vertical":"horizontal-only"' "$T/last.out"
# a DJI mission at 100 m above take-off: same corner, altitude not comparable
expect_exit 4 "$DV" zones check --zones "$T/z.json" --plan "$seeds/plan/dji_waylines.kmz"
check "WPML read" grep -q 'DJI WPML, 2 points' "$T/last.out"
check "takeoff-relative is horizontal only" grep -Eq '100.0 takeoff .*horizontal only' "$T/last.out"
# --dem: an ESRI ASCII grid whose ground rises 10 m per 0.001 degree east
# (g = 400 + 10000 (lon - 8)); under a 120 m AGL ceiling a level flight at
# 570 m AMSL is inside from 8.005 E on (50 % of the leg); without the DEM,
# the whole crossing counts, horizontally only
agl='{"UASZoneList":[{"identifier":"AGL1","restriction":"PROHIBITED","geometry":[{"uomDimensions":"M",
 "upperLimit":120,"upperVerticalReference":"AGL",
 "horizontalProjection":{"type":"Polygon","coordinates":[[[8.0,47.0],[8.01,47.0],[8.01,47.01],[8.0,47.01],[8.0,47.0]]]}}]}]}'
echo "$agl" >"$T/agl.json"
awk 'BEGIN { print "ncols 120"; print "nrows 60"; print "xllcorner 7.98"; print "yllcorner 46.99";
  print "cellsize 0.0005"; print "NODATA_value -9999";
  for (y = 0; y < 60; y++) { line = ""; for (x = 0; x < 120; x++) line = line sprintf("%.4f ", 400 + 10000 * (7.98 + (x + 0.5) * 0.0005 - 8)); print line } }' >"$T/dem.asc"
printf 'lat,lon,alt_msl\n47.005,7.99,570\n47.005,8.02,570\n' >"$T/level.csv"
expect_exit 4 "$DV" zones check --zones "$T/agl.json" --plan "$T/level.csv"
check "without DEM: from the edge, horizontal only" grep -Eq '^entry +leg 1 at 33% .*horizontal only' "$T/last.out"
expect_exit 4 "$DV" zones check --zones "$T/agl.json" --plan "$T/level.csv" --dem "$T/dem.asc"
check "with DEM: from 8.005 E" grep -Eq '^entry +leg 1 at 50% +47.0050000 +8.0050000 +570.0 AMSL +AGL1' "$T/last.out"
check "with DEM: checked" bash -c "! grep -q 'horizontal only' '$T/last.out'"
check "ground named" grep -q '^ground: .*dem.asc (120 x 60' "$T/last.out"
expect_exit 1 "$DV" zones check --zones "$T/agl.json" --plan "$T/level.csv" --dem "$T/missing.tif"

# --at with --speed: a Monday 08:00-09:00 zone; the leg reaches it at +76 s
wd='{"UASZoneList":[{"identifier":"WD","restriction":"PROHIBITED","applicability":[{"permanent":"NO",
 "dailyPeriod":[{"day":["MON"],"startTime":"08:00:00Z","endTime":"09:00:00Z"}]}],"geometry":[{"horizontalProjection":
 {"type":"Polygon","coordinates":[[[8.0,47.0],[8.01,47.0],[8.01,47.01],[8.0,47.01],[8.0,47.0]]]}}]}]}'
echo "$wd" >"$T/wd.json"
printf 'lat,lon\n47.005,7.99\n47.005,8.02\n' >"$T/leg.csv"
expect_exit 4 "$DV" zones check --zones "$T/wd.json" --plan "$T/leg.csv" --at 2026-11-23T08:58:30Z --speed 10
check "scheduled entry time" grep -Eq '^entry +2026-11-23T08:59:4[56]' "$T/last.out"
expect_exit 0 "$DV" zones check --zones "$T/wd.json" --plan "$T/leg.csv" --at 2026-11-23T08:59:00Z --speed 10
expect_exit 4 "$DV" zones check --zones "$T/wd.json" --plan "$T/leg.csv"
check "untimed plan: time unknown" grep -q 'time unknown' "$T/last.out"
expect_exit 2 "$DV" zones check --zones "$T/wd.json" --plan "$T/leg.csv" --speed 0

# usage
expect_exit 2 "$DV" zones check --zones "$T/z.json"
expect_exit 2 "$DV" zones frobnicate
expect_exit 0 "$DV" zones --help
check "help names exit 4" grep -q 'Exit codes: 0 no zone entered, 4' "$T/last.out"

if [ -n "${DV_SHARED:-}" ] && [ -f "$DV_SHARED/geo/che_swiss_geozones_2025-03.ed318.json" ]; then
  sw=$DV_SHARED/geo/che_swiss_geozones_2025-03.ed318.json
  expect_exit 4 "$DV" zones validate "$sw"
  check "one bad ring named" grep -q '^error   VBS_8-0 \$.features\[758\].geometry.coordinates: invalid polygon: Ring Self-intersection' "$T/last.out"
  expect_exit 0 "$DV" zones validate --repair "$sw"
  # over Bern-Belp airport
  printf 'lat,lon\n46.90,7.45\n46.95,7.55\n' >"$T/belp.csv"
  expect_exit 4 "$DV" zones check --zones "$sw" --plan "$T/belp.csv"
  check "Bern-Belp zone entered" grep -q 'LSZB001' "$T/last.out"
  expect_exit 0 "$DV" zones validate "$DV_SHARED/geo/che_cis_sample.ed269.json"
fi
finish
