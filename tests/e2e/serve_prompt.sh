#!/usr/bin/env bash
# dronevault serve unlocked at the prompt (script(1) gives it a terminal):
# the passphrase is asked once, and verify on request (/api/verify) still
# runs, on a second reader opened with the passphrase serve keeps in
# locked memory; the passphrase is in neither its environment nor its
# command line.
. "$(dirname "$0")/lib/common.sh"
command -v script >/dev/null || { echo "skipped: no script(1)"; exit 77; }
command -v curl >/dev/null || { echo "curl missing (scripts/install-deps.sh)"; exit 77; }
SP= FEED= pid=
trap 'for p in $pid $SP $FEED; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
V=$T/vault
new_vault "$V"
"$DV" sample-card "$T/card" >/dev/null
expect_exit 0 "$DV" --vault "$V" ingest --case PROMPT --operator tester "$T/card"
PASS=$DRONEVAULT_PASSPHRASE
unset DRONEVAULT_PASSPHRASE
mkfifo "$T/tty.in"
printf -v cmd '%q ' "$DV" --vault "$V" serve --port 0
timeout 120 script -qefc "$cmd" /dev/null <"$T/tty.in" >"$T/serve.out" 2>&1 &
SP=$!
# the terminal's input: the passphrase once the prompt is up, then held open
{ for _ in $(seq 100); do grep -q 'Passphrase for vault' "$T/serve.out" 2>/dev/null && break; sleep 0.1; done
  printf '%s\n' "$PASS"; while kill -0 "$SP" 2>/dev/null; do sleep 0.2; done; } >"$T/tty.in" 2>/dev/null &
FEED=$!
wait_serve || { fail "serve did not start"; cat "$T/serve.out" >&2; finish; exit 1; }
check "asked once" test "$(grep -c 'Passphrase for vault' "$T/serve.out")" -eq 1
check "no echo of the passphrase" bash -c "! grep -qF '$PASS' '$T/serve.out'"
curl -s -H "$AUTH" "$BASE/api/verify" >"$T/v.json"
check "verify offered" bash -c "! grep -q '\"state\":\"unavailable\"' '$T/v.json'"
for _ in $(seq 600); do
  curl -s -H "$AUTH" "$BASE/api/verify" >"$T/v.json"
  grep -q '"state":"running"' "$T/v.json" || break
  sleep 0.1
done
check "verify ran to the end" grep -q '"state":"done"' "$T/v.json"
check "the vault is intact" grep -q '"intact":true' "$T/v.json"
pid=$(pgrep -f -- "--vault $V serve --port 0" | while read -r p; do [ "$(cat "/proc/$p/comm" 2>/dev/null)" = dronevault ] && echo "$p"; done | head -1 || true)
if [ -n "$pid" ] && tr '\0' '\n' <"/proc/$pid/environ" >"$T/environ" 2>/dev/null; then
  check "not in the environment" bash -c "! grep -qF '$PASS' '$T/environ'"
  check "not on the command line" bash -c "! tr '\\0' ' ' <'/proc/$pid/cmdline' | grep -qF '$PASS'"
fi
[ "$failures" -eq 0 ] || sed 's/^/    /' "$T/v.json" >&2
finish
