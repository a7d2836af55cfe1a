#!/usr/bin/env bash
# dronevault radio on an SDR recording: OcuSync DroneID from the real
# Mavic Air 2 recording (SigMF, and raw with --iq-format), the report,
# JSON, GeoJSON, --case (metadata and samples stored, custody entry, the
# pilot position against the case's flight), and usage errors.
. "$(dirname "$0")/lib/common.sh"
R=${DV_SHARED:-}/radio/ocusync
[ -n "${DV_SHARED:-}" ] && [ -f "$R/mavic_air_2.sigmf-meta" ] || { echo "skipped: no \$DV_SHARED/radio/ocusync"; exit 77; }
cp "$R/mavic_air_2.sigmf-meta" "$R/mavic_air_2.cf32" "$T/"
rec=$T/mavic_air_2.sigmf-meta

expect_exit 4 "$DV" radio "$rec"
check "serial in the report" grep -q 'serial 1WNBH3900201N1 (Mavic Air 2), seq 591' "$T/last.out"
check "pilot position" grep -q 'PILOT (app) 51.4462079, 7.2671014' "$T/last.out"
check "exposure line" grep -q '^EXPOSED: aircraft 1WNBH3900201N1' "$T/last.out"
check "cut burst reported" grep -q 'cut, not decoded' "$T/last.out"

expect_exit 4 "$DV" radio --json --geojson "$T/map.geojson" "$rec"
check "JSON frames with verdicts" grep -q '"verdict":"crc ok"' "$T/last.out"
check "JSON reference CRC" grep -q '"crc_packet":"b048"' "$T/last.out"
check "GeoJSON pilot point" grep -q '"kind":"pilot"' "$T/map.geojson"

expect_exit 4 "$DV" radio --iq-format cf32 --sample-rate 50e6 --center-freq 2.4295e9 "$T/mavic_air_2.cf32"
check "raw input decodes" grep -q 'seq 591' "$T/last.out"
expect_exit 1 "$DV" radio --iq-format cf32 "$T/mavic_air_2.cf32"
check "missing rate named" grep -q -- '--sample-rate' "$T/last.err"
expect_exit 2 "$DV" radio --iq-format cf32 --sample-rate fast "$T/mavic_air_2.cf32"
expect_exit 2 "$DV" radio --frames "$rec"
rm "$T/mavic_air_2.cf32"
expect_exit 1 "$DV" radio "$rec"
check "missing data file named" grep -q 'data file is missing' "$T/last.err"
cp "$R/mavic_air_2.cf32" "$T/"

V=$T/vault
new_vault "$V"
"$DV" sample-card "$T/card" >/dev/null
expect_exit 0 "$DV" --vault "$V" ingest --case OS --operator 'Insp. Radio' "$T/card"
expect_exit 4 "$DV" --vault "$V" radio --case OS --operator 'Insp. Radio' "$rec"
check "stored message" grep -q 'stored in case OS' "$T/last.err"
check "pilot against the case's flight" grep -q "^CASE OS: the operator position 51.4462079,7.2671014 broadcast by 1WNBH3900201N1 was" "$T/last.out"
expect_exit 0 "$DV" --vault "$V" ls --case OS
check "metadata stored" grep -q 'mavic_air_2.sigmf-meta' "$T/last.out"
check "samples stored" grep -q 'mavic_air_2.cf32' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" log --case OS --json
check "radio entry" grep -q '"action":"radio"' "$T/last.out"
check "aircraft in the entry" grep -q '1WNBH3900201N1' "$T/last.out"
check "exposure in the entry" grep -q '"exposure_vs_case_flights"' "$T/last.out"
check "OcuSync named as the broadcast in the entry" grep -q '"broadcast": *"ocusync-droneid"' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" verify
finish
