#!/usr/bin/env bash
# demo.sh - install what is needed, build, and run dronevault's main job on
# a synthetic card it makes itself (no real flight data, no ../shared):
#   sample card -> vault -> ingest (directory and FAT image) -> verify ->
#   custody log -> export + sha256sum -c -> what the photos say.
# Everything lands in ./demo (removed at the start of each run).
set -euo pipefail
# Setting up (packages, configure, build) prints one line per phase; its
# output goes to build/logs/ and is shown only when a phase fails.
# --no-setup: only the demo's steps, with the dronevault in $DV (default
# build/cli/dronevault): no packages, no build (tests/e2e/selfaudit.sh runs
# the steps in a network namespace that would capture any packet).
cd "$(dirname "$0")/.."
if [ "${1:-}" = --no-setup ]; then
  DV=${DV:-$PWD/build/cli/dronevault}
else
  . scripts/progress.sh
  phase "installing packages" "$DV_LOG_DIR/install.log" bash scripts/install-deps.sh
  phase "configuring" "$DV_LOG_DIR/configure.log" cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
  phase "building" "$DV_LOG_DIR/build.log" cmake --build build -j"$(nproc)"
  DV=$PWD/build/cli/dronevault
fi
rm -rf demo
mkdir demo
step() {
  local shown="${*:2}"
  [ "$2" = bash ] && [ "$3" = -c ] && shown=$4
  printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$shown"
  "${@:2}"
}

# Scripts give the passphrase in the environment; a person is prompted.
export DRONEVAULT_PASSPHRASE='demo passphrase - use a real one'
export DRONEVAULT_VAULT=$PWD/demo/vault

step "a drone card (synthetic: 12 photos and a video sidecar)" "$DV" sample-card demo/card
step "the same card as a raw FAT32 image, as a card reader would give it" \
  bash -c 'dd if=/dev/zero of=demo/card.img bs=1M count=40 status=none && mkfs.vfat -F 32 -n DJI_CARD demo/card.img >/dev/null && mmd -i demo/card.img ::DCIM && mcopy -s -m -i demo/card.img demo/card/DCIM/100MEDIA ::DCIM/ && echo "demo/card.img: $(du -h demo/card.img | cut -f1)"'
step "create the vault" "$DV" init --operator 'PC Demo' --station demo-station
step "acquire the mounted card into case DEMO-001" \
  "$DV" ingest --case DEMO-001 --operator 'PC Demo' --note 'seal no. 4711, drone SAMPLE0DRONE0001' demo/card
step "acquire the raw card image (no mount: The Sleuth Kit reads FAT)" \
  "$DV" ingest --case DEMO-001 --operator 'PC Demo' demo/card.img
step "what is in the vault" "$DV" cases
step "its files" bash -c "'$DV' ls --case DEMO-001 | head -6"
step "prove it is intact: decrypt, re-hash, check catalog and custody chain" "$DV" verify
step "the signed chain of custody" "$DV" log
step "hand a copy to the court: export with SHA256SUMS" "$DV" export --case DEMO-001 --to demo/export --operator 'PC Demo'
step "anyone can check the copy" bash -c 'cd demo/export && sha256sum -c SHA256SUMS | tail -3'
step "where and when a photo was taken" "$DV" inspect demo/card/DCIM/100MEDIA/DJI_0001.JPG
step "the flights in the case (photos, video sidecar, serial number)" "$DV" flights --case DEMO-001
flight=$("$DV" flights --case DEMO-001 --json | grep -o '"flight":"F[0-9]*"' | head -1 | cut -d'"' -f4)
step "its track for a map (GeoJSON; also GPX, KML, CSV)" \
  bash -c "'$DV' track --flight $flight --format geojson --out demo/track.geojson && echo demo/track.geojson: \$(wc -c < demo/track.geojson) bytes"
cat >demo/zones.json <<'Z'
{"UASZoneList":[{"identifier":"DEMO-SCENE","type":"COMMON","restriction":"PROHIBITED","name":"cordon around the scene","geometry":[{"uomDimensions":"M","lowerLimit":0,"lowerVerticalReference":"AMSL","upperLimit":2000,"upperVerticalReference":"AMSL","horizontalProjection":{"type":"Circle","center":[7.3960,46.9375],"radius":30}}]}]}
Z
step "did the flight enter a sensitive zone? (exit 4 = yes; recorded in the case)" \
  bash -c "'$DV' zones check --zones demo/zones.json --case DEMO-001 --operator 'PC Demo' || true"
step "audit a capture of the hotspot: did anything leave? (synthetic capture; exit 4 = leak)" \
  bash -c "'$DV' audit --case DEMO-001 --operator 'PC Demo' --report demo/audit.html fuzz/corpus/audit_pcap/mixed.pcap | tail -12 || true"
step "what the drone broadcast by radio (Remote ID; synthetic capture)" \
  bash -c "'$DV' radio fuzz/corpus/radio_odid/capture_radiotap.pcap | tail -7 || true"
step "the custody log now holds the checks too" bash -c "'$DV' log --case DEMO-001 | cut -c1-150"
step "and the vault still proves intact" "$DV" verify
printf '\nDone. The vault is in demo/vault, the audit report in demo/audit.html, the track in\ndemo/track.geojson; try: %s --vault demo/vault log --json\n' "$DV"
