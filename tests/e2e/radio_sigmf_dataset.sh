#!/usr/bin/env bash
# radio --case with a SigMF recording whose core:dataset names a sample file
# of another name than REC.sigmf-data (SDR tools write such pairs): the
# parent does not parse the metadata, so the sandboxed reader says which
# file it read, and that file is stored beside the metadata (it was left
# out before: the evidence held the description without the samples).
. "$(dirname "$0")/lib/common.sh"
command -v python3 >/dev/null || { echo "skipped: no python3"; exit 77; }

mkdir -p "$T/rec"
# 2 ms of noise at 30.72 Msps, complex float32 (no burst in it)
python3 - "$T/rec/capture-0042.iq" <<'PY'
import random, struct, sys
r = random.Random(7)
n = 61440
open(sys.argv[1], "wb").write(b"".join(struct.pack("<ff", r.gauss(0, 0.01), r.gauss(0, 0.01)) for _ in range(n)))
PY
cat >"$T/rec/flight.sigmf-meta" <<'JSON'
{"global": {"core:datatype": "cf32_le", "core:sample_rate": 30720000, "core:version": "1.0.0",
            "core:dataset": "capture-0042.iq"},
 "captures": [{"core:sample_start": 0, "core:frequency": 2414500000}], "annotations": []}
JSON
# a file beside it that the recording does not name stays out
echo "not evidence" >"$T/rec/notes.txt"

V=$T/vault
new_vault "$V"
expect_exit 0 "$DV" --vault "$V" radio --case SDR --operator o --json "$T/rec/flight.sigmf-meta"
expect_exit 0 "$DV" --vault "$V" ls --case SDR
check "the metadata stored" grep -q 'flight.sigmf-meta' "$T/last.out"
check "the sample file core:dataset names stored" grep -q 'capture-0042.iq' "$T/last.out"
check "nothing else of the folder" bash -c "! grep -q 'notes.txt' '$T/last.out'"
expect_exit 0 "$DV" --vault "$V" export --case SDR --to "$T/out"
check "the samples exported as they were" cmp "$T/rec/capture-0042.iq" "$(find "$T/out" -name capture-0042.iq -print -quit)"
expect_exit 0 "$DV" --vault "$V" verify
finish
