#!/usr/bin/env bash
# dronevault audits itself (issue 13): the demo's steps (scripts/demo.sh
# --no-setup) run in a network namespace whose default routes lead through a
# veth watched by `dronevault watch` to a peer that drops everything
# (tests/e2e/lib/selfaudit_ns.sh), under strace -f -e trace=%network as a
# second witness: zero packets captured, zero connect/sendto to anything but
# loopback or local sockets. A probe run (one TCP connect) proves the
# witnesses can fail. Skipped (77) without unshare or strace.
. "$(dirname "$0")/lib/common.sh"
L=$(dirname "$0")/lib
if ! command -v strace >/dev/null || ! command -v ip >/dev/null || ! unshare -rn true 2>/dev/null; then
  echo "skipped: needs strace, ip and unprivileged user namespaces"; exit 77
fi
# a copy of the scripts and the seeds: the demo writes ./demo beside them
mkdir -p "$T/repo/scripts"
cp "$DV_SOURCE_DIR/scripts/demo.sh" "$DV_SOURCE_DIR/scripts/progress.sh" "$T/repo/scripts/"
ln -s "$DV_SOURCE_DIR/fuzz" "$T/repo/fuzz"

# non-loopback connect/sendto/sendmsg to an IP address in an strace log
egress() {
  grep -E '(connect|sendto|sendmsg)\(' "$1" | grep -E 'AF_INET6?' |
    grep -vE 'inet_addr\("127\.|inet_pton\(AF_INET6, "::1"|"::ffff:127\.' || true
}

mkdir -p "$T/probe"
SELFAUDIT_PROBE=1 unshare -rn bash "$L/selfaudit_ns.sh" "$DV" "$T/repo" "$T/probe" >"$T/probe.out" 2>&1
check "probe: the watch saw the connection attempt" grep -q '"address": "45.3.3.3"' "$T/probe/watch.json"
check "probe: strace saw the connect" test -n "$(egress "$T/probe/strace.log")"

mkdir -p "$T/run"
unshare -rn bash "$L/selfaudit_ns.sh" "$DV" "$T/repo" "$T/run" >"$T/run.out" 2>&1
check "the demo ran" test "$(cat "$T/run/demo.rc" 2>/dev/null)" = 0
check "the demo did its steps" grep -q 'and the vault still proves intact' "$T/run/demo.out"
check "watch ran to the end" test -s "$T/run/watch.json"
frames=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["watch"]["frames"])' "$T/run/watch.json" 2>/dev/null || echo x)
check "zero packets on the wire (got $frames)" test "$frames" = 0
check "strace log written" test -s "$T/run/strace.log"
e=$(egress "$T/run/strace.log")
check "zero non-loopback connect/sendto: ${e:0:300}" test -z "$e"
if [ "$failures" -gt 0 ]; then
  for f in "$T/probe.out" "$T/probe/watch.err" "$T/run.out" "$T/run/watch.err"; do
    [ -f "$f" ] && sed "s|^|    $(basename "$f"): |" "$f" >&2
  done
  tail -5 "$T/run/demo.out" 2>/dev/null | sed 's/^/    demo: /' >&2
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("    seen:", [(f["proto"], f["remote"]["address"]) for f in d["flows"]][:10], d["reasons"])' "$T/run/watch.json" >&2 2>/dev/null || true
fi
finish
