#!/usr/bin/env bash
# Telemetry in the vault: a sample card's photos and SRT become one flight;
# its track comes out as GeoJSON, GPX, KML and CSV that GDAL (the library
# under QGIS) opens with every point; reindex from the blobs agrees.
. "$(dirname "$0")/lib/common.sh"

"$DV" sample-card "$T/card" >/dev/null
V=$T/vault
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" ingest --case FT --operator tester "$T/card"
expect_exit 0 "$DV" --vault "$V" flights --case FT --json
j=$(cat "$T/last.out")
check "one flight" test "$(grep -o '"flight":' <<<"$j" | wc -l)" -eq 1
check "12 photos" grep -q '"photos":12' <<<"$j"
check "1 srt" grep -q '"srt":1' <<<"$j"
check "serial from XMP" grep -q '"serial":"SAMPLE0DRONE0001"' <<<"$j"
check "local times" grep -q '"time_kind":"local"' <<<"$j"
fid=$(grep -o '"flight":"F[0-9]*"' <<<"$j" | head -1 | cut -d'"' -f4)
check "flight id" test -n "$fid"
expect_exit 0 "$DV" --vault "$V" flights --case FT
check "table shows the flight" grep -q "^$fid " "$T/last.out"

for fmt in geojson gpx kml csv; do
  expect_exit 0 "$DV" --vault "$V" track --flight "$fid" --format $fmt --out "$T/track.$fmt"
  check "$fmt written" test -s "$T/track.$fmt"
done
check "csv has 12 photos + 200 cues" test "$(($(wc -l <"$T/track.csv") - 1))" -eq 212
check "geojson is a FeatureCollection" grep -q '"FeatureCollection"' "$T/track.geojson"
if command -v ogrinfo >/dev/null; then
  check "ogrinfo opens the GeoJSON" bash -c "ogrinfo -ro -al -so '$T/track.geojson' | grep -q 'Feature Count'"
  check "ogrinfo opens the GPX" bash -c "ogrinfo -ro -so '$T/track.gpx' | grep -qi 'track'"
  check "ogrinfo opens the KML" bash -c "ogrinfo -ro -al -so '$T/track.kml' | grep -q 'Feature Count'"
else
  echo "note: ogrinfo (gdal-bin) missing: the GIS check is skipped"
fi
expect_exit 1 "$DV" --vault "$V" track --flight F99999
check "unknown flight explained" grep -q 'no flight F99999' "$T/last.err"
expect_exit 2 "$DV" --vault "$V" track --flight "$fid" --format shp

expect_exit 0 "$DV" --vault "$V" reindex --case FT --json
check "reindex covers every file" grep -q '"files":13,"with_telemetry":13' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" flights --case FT --json
check "same flight after reindex" test "$(cat "$T/last.out")" = "$j"
# the case's flights against a sensitive zone around the scene (30 m circle)
cat >"$T/zone.json" <<'Z'
{"UASZoneList":[{"identifier":"SCENE-1","type":"COMMON","restriction":"PROHIBITED","geometry":[{"uomDimensions":"M","lowerLimit":0,"lowerVerticalReference":"AMSL","upperLimit":2000,"upperVerticalReference":"AMSL","horizontalProjection":{"type":"Circle","center":[7.3960,46.9375],"radius":30}}]}]}
Z
expect_exit 4 "$DV" --vault "$V" zones check --zones "$T/zone.json" --case FT --operator tester
check "flight entered the zone" grep -q 'SCENE-1' "$T/last.out"
check "recorded in the custody log" grep -q 'recorded in custody entry' "$T/last.out"
expect_exit 4 "$DV" --vault "$V" zones check --zones "$T/zone.json" --flight "$fid" --json
check "json names the zone" grep -q '"zone_ids":\["SCENE-1"\]' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" log --case FT --json
check "zones.check logged with the zone file's hash" grep -q "\"zones_sha256\":\"$(sha256sum "$T/zone.json" | cut -c1-64)\"" "$T/last.out"
sed 's/"radius":30/"radius":5/; s/7.3960,46.9375/7.5,47.5/' "$T/zone.json" >"$T/far.json"
expect_exit 0 "$DV" --vault "$V" zones check --zones "$T/far.json" --case FT
expect_exit 2 "$DV" --vault "$V" zones check --zones "$T/zone.json" --case FT --flight "$fid"

# telemetry is as secret as the photos
check "no coordinates in clear" bash -c "! grep -rqa '46\.937' '$V'"
expect_exit 0 "$DV" --vault "$V" verify

# Real DJI flight records (../shared): one flight each, with the serial from
# the record's details (v13+ records are encrypted: the header's home point
# and times still place the flight)
if [ -d "${DV_SHARED:-/nonexistent}/samples/flightrecords" ]; then
  expect_exit 0 "$DV" --vault "$V" ingest --case FR --operator tester "$DV_SHARED/samples/flightrecords"
  expect_exit 0 "$DV" --vault "$V" flights --case FR --json
  check "v<=12 record: serial and UTC track" grep -q '"serial":"03Z0265508"' "$T/last.out"
  check "v13+ record: serial from the header" grep -q '"serial":"3NZCJ270048FFC"' "$T/last.out"
  check "two flights" test "$(grep -o '"flight":' "$T/last.out" | wc -l)" -eq 2
else
  echo "note: ../shared absent: the real flight-record part is skipped"
fi
finish
