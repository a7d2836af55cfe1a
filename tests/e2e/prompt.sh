#!/usr/bin/env bash
# The passphrase prompt on a terminal (a pty, driven from python3):
# asked twice at init without echo, mismatches refused, asked once to open,
# a wrong one is exit 3; with no terminal and no other source, a clear error.
. "$(dirname "$0")/lib/common.sh"
unset DRONEVAULT_PASSPHRASE
command -v python3 >/dev/null || { echo "skipped: no python3"; exit 77; }
# pty INPUT_LINES... -- COMMAND: run COMMAND on a pty, typing each line once
# its prompt has appeared (the prompt is written after echo is off, and
# the terminal's input is flushed then: a line typed before it would be
# lost - under load that made a fixed delay flaky). Exits with COMMAND's code.
pty() {
  python3 - "$@" <<'PY'
import os, pty, re, select, signal, sys, time
args = sys.argv[1:]
lines, cmd = args[:args.index("--")], args[args.index("--") + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
out, typed, deadline = b"", 0, time.time() + 60
while time.time() < deadline:
    if typed < len(lines) and len(re.findall(rb"assphrase[^\r\n]*?: ", out)) > typed:
        os.write(fd, lines[typed].encode() + b"\n")
        typed += 1
    r, _, _ = select.select([fd], [], [], 0.2)
    if not r:
        continue
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
else:
    os.kill(pid, signal.SIGKILL)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
PY
}
V=$T/vault
out=$(pty 'first secret phrase' 'other secret phrase' -- "$DV" init --kdf-mem 8 --kdf-ops 1 "$V") || true
check "mismatch refused" grep -q 'passphrases differ' <<<"$out"
check "nothing created on mismatch" test ! -e "$V/vault.json"
out=$(pty 'right secret phrase' 'right secret phrase' -- "$DV" init --kdf-mem 8 --kdf-ops 1 "$V")
check "asked twice" test "$(grep -c 'passphrase:' <<<"$out")" -eq 2
check "created" grep -q "created vault" <<<"$out"
check "no echo of the passphrase" bash -c "! grep -q 'right secret' <<<'$out'"
out=$(pty 'right secret phrase' -- "$DV" --vault "$V" cases)
check "opens with the prompt" grep -q 'ingests' <<<"$out"
code=0
pty 'wrong secret phrase' -- "$DV" --vault "$V" cases >"$T/w.out" || code=$?
check "wrong passphrase named" grep -q "wrong passphrase" "$T/w.out"
check "wrong passphrase exit 3 (got $code)" test "$code" -eq 3
# no terminal, no environment, no key file: a clear error (exit 2), no hang
expect_exit 2 setsid "$DV" --vault "$V" cases </dev/null
check "explains the three ways" grep -q 'DRONEVAULT_PASSPHRASE, give --key-file FILE, or run on a terminal' "$T/last.err"
finish
