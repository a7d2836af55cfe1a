#!/usr/bin/env bash
# The sandboxed reader from the command line: ingest and inspect go through
# dv-reader, parsers (EXIF/XMP, SRT, FFmpeg via dlopen) work under its
# policy, a missing helper is a clear error, and the custody log says the
# source was read in the sandbox.
. "$(dirname "$0")/lib/common.sh"

V=$T/vault
new_vault "$V"
make_files "$T/card" DCIM/100MEDIA/DJI_0001.JPG:3000 DCIM/100MEDIA/DJI_0001.SRT:500
cp "$DV_SOURCE_DIR"/fuzz/corpus/video/xyz_mvhd.mp4 "$T/card/DCIM/100MEDIA/DJI_0002.MP4"

expect_exit 0 "$DV" --vault "$V" ingest --case SB --operator tester --json "$T/card"
check "ingest: read in the sandboxed reader" grep -q '"network_sandbox":true' "$T/last.out"
expect_exit 0 "$DV" --vault "$V" log --case SB
check "custody entry: sandbox=true" grep -q 'sandbox=true' "$T/last.out"

# inspect runs in the reader: FFmpeg (dlopen) parses under the filter
expect_exit 0 "$DV" inspect --json "$T/card/DCIM/100MEDIA/DJI_0002.MP4"
check "inspect a video in the reader" grep -q '"kind":"video"' "$T/last.out"
check "inspect: MP4 creation time" grep -q '"creation_time":"2021-12-25T08:00:00' "$T/last.out"
# usage errors and exit codes come through unchanged
expect_exit 2 "$DV" inspect --bogus
check "inspect usage error on stderr" grep -q "unknown option '--bogus'" "$T/last.err"
expect_exit 1 "$DV" inspect "$T/no-such-file.jpg"
# stdout to a regular file works (RLIMIT_FSIZE 0 applies to the reader, whose
# stdout is a pipe the parent copies)
"$DV" inspect --json "$T/card/DCIM/100MEDIA/DJI_0002.MP4" >"$T/out.json" 2>"$T/err.txt"
check "inspect into a file" grep -q '"kind":"video"' "$T/out.json"

# no helper: a clear error naming where it looked, for ingest and inspect
DV_READER=$T/nowhere/dv-reader expect_exit 1 "$DV" inspect "$T/card/DCIM/100MEDIA/DJI_0002.MP4"
check "inspect: names the missing helper" grep -q 'nowhere/dv-reader' "$T/last.err"
DV_READER=$T/nowhere/dv-reader expect_exit 1 "$DV" --vault "$V" ingest --case SB2 --operator tester "$T/card"
check "ingest: names the missing helper" grep -q 'nowhere/dv-reader' "$T/last.err"

# reindex feeds the stored plaintext to the reader: without it, no reindex
expect_exit 0 "$DV" --vault "$V" reindex --case SB --json
check "reindex through the reader" grep -q '"with_telemetry":2' "$T/last.out"
DV_READER=$T/nowhere/dv-reader expect_exit 1 "$DV" --vault "$V" reindex --case SB
check "reindex: names the missing helper" grep -q 'nowhere/dv-reader' "$T/last.err"
# audit and zones parse in the reader too
cap=$DV_SOURCE_DIR/fuzz/corpus/audit_pcap/mixed.pcap
expect_exit 4 "$DV" audit "$cap"
check "audit in the reader: a leak found" grep -q '^leak ' "$T/last.out"
DV_READER=$T/nowhere/dv-reader expect_exit 1 "$DV" audit "$cap"
# audit --report / --case: the captures are parsed in the reader too; this
# process writes the report from the reader's bytes and stores the evidence
expect_exit 4 "$DV" audit --report "$T/a.html" "$cap"
check "audit --report: the report written" grep -q '^<!DOCTYPE html>' "$T/a.html"
check "audit --report: the table on stdout" grep -q '^leak ' "$T/last.out"
DV_READER=$T/nowhere/dv-reader expect_exit 1 "$DV" audit --report "$T/b.html" "$cap"
check "audit --report: names the missing helper" grep -q 'nowhere/dv-reader' "$T/last.err"
check "audit --report: no report without the reader" test ! -e "$T/b.html"
expect_exit 1 "$DV" audit --report "$T/nodir/r.html" "$cap"
check "audit --report: cannot create" grep -q 'nodir/r.html: cannot create report' "$T/last.err"
expect_exit 4 "$DV" --vault "$V" audit --case SB --operator tester --report "$T/c.html" "$cap"
check "audit --case: the evidence line" grep -q '^evidence: stored in case SB (ingest [0-9]*), verdict in custody entry [0-9]*$' "$T/last.out"
expect_exit 4 "$DV" --vault "$V" audit --case SB --operator tester --json "$cap"
check "audit --case --json: evidence" grep -q '"custody_entry": ' "$T/last.out"
DV_READER=$T/nowhere/dv-reader expect_exit 1 "$DV" --vault "$V" audit --case SB --operator tester "$cap"
check "audit --case: names the missing helper" grep -q 'nowhere/dv-reader' "$T/last.err"
expect_exit 0 "$DV" --vault "$V" log --case SB
check "audit --case: two audit entries (none without the reader)" test "$(grep -c 'audit .*verdict=leak' "$T/last.out")" -eq 2

# radio --geojson / --case: parsed in the reader; the GeoJSON file is
# written here (atomically), the case work done here
rcap=$DV_SOURCE_DIR/fuzz/corpus/radio_odid/capture_radiotap.pcap
expect_exit 4 "$DV" radio --geojson "$T/map.geojson" "$rcap"
check "radio --geojson: written" grep -q '"FeatureCollection"' "$T/map.geojson"
DV_READER=$T/nowhere/dv-reader expect_exit 1 "$DV" radio --geojson "$T/map2.geojson" "$rcap"
check "radio --geojson: names the missing helper" grep -q 'nowhere/dv-reader' "$T/last.err"
check "radio --geojson: no file without the reader" test ! -e "$T/map2.geojson"
expect_exit 4 "$DV" --vault "$V" radio --case SB --operator tester --json "$rcap"
check "radio --case: stored" grep -q 'capture(s) stored in case SB (ingest [0-9]*), custody entry [0-9]*$' "$T/last.err"
check "radio --case: the report on stdout" grep -q '"aircraft"' "$T/last.out"
DV_READER=$T/nowhere/dv-reader expect_exit 1 "$DV" --vault "$V" radio --case SB --operator tester "$rcap"
check "radio --case: names the missing helper" grep -q 'nowhere/dv-reader' "$T/last.err"
DV_READER=$T/nowhere/dv-reader expect_exit 1 "$DV" radio --frames --case SB "$rcap"
expect_exit 0 "$DV" --vault "$V" log --case SB
check "radio --case: one radio entry (none without the reader)" test "$(grep -c ' radio ' "$T/last.out")" -eq 1

# zones check --geojson / --case / --flight: zones, plans and DEMs are
# parsed in the reader; the GeoJSON is written here, the case's tracks are
# read here and handed to the reader, the result recorded here
zf=$DV_SOURCE_DIR/fuzz/corpus/zones/ed269_polygon_list.json
pf=$DV_SOURCE_DIR/fuzz/corpus/plan/route.csv
"$DV" zones check --zones "$zf" --plan "$pf" >/dev/null 2>&1 || zrc=$?
expect_exit "${zrc:-0}" "$DV" zones check --zones "$zf" --plan "$pf" --geojson "$T/z.geojson"
check "zones --geojson: written" grep -q '"FeatureCollection"' "$T/z.geojson"
DV_READER=$T/nowhere/dv-reader expect_exit 1 "$DV" zones check --zones "$zf" --plan "$pf" --geojson "$T/z2.geojson"
check "zones --geojson: names the missing helper" grep -q 'nowhere/dv-reader' "$T/last.err"
check "zones --geojson: no file without the reader" test ! -e "$T/z2.geojson"
expect_exit 0 "$DV" --vault "$V" zones check --zones "$zf" --case SB --operator tester
check "zones --case: no flights, recorded" grep -q '^recorded in custody entry [0-9]* of case SB$' "$T/last.out"
DV_READER=$T/nowhere/dv-reader expect_exit 1 "$DV" --vault "$V" zones check --zones "$zf" --case SB --operator tester
check "zones --case: names the missing helper" grep -q 'nowhere/dv-reader' "$T/last.err"
DV_READER=$T/nowhere/dv-reader expect_exit 1 "$DV" --vault "$V" zones check --zones "$zf" --flight F1
check "zones --flight: names the missing helper" grep -q 'nowhere/dv-reader' "$T/last.err"
expect_exit 0 "$DV" --vault "$V" log --case SB
check "zones --case: one zones.check entry (none without the reader)" test "$(grep -c 'zones.check' "$T/last.out")" -eq 1
# the hidden options the parent gives the reader are refused outside it
expect_exit 2 "$DV" audit --x-reader-io "$cap"
expect_exit 2 "$DV" zones check --zones "$zf" --x-reader-case

# run by hand, the helper refuses to serve; its selftest needs the test switch
helper=$DV_BUILD_DIR/libexec/dronevault/dv-reader
expect_exit 2 "$helper" --serve
expect_exit 2 "$helper" --selftest "$T" "$T/sock"
finish
