#!/usr/bin/env bash
# install-npm.sh - the npm packages the export tests use, pinned:
#   jsonld       expands the court package's CASE/UCO JSON-LD (tests/e2e/exports.sh)
#   world-atlas  Natural Earth borders and coastlines (TopoJSON) for offline maps
#   leaflet      the map of `dronevault serve` (served by dronevault itself, never a CDN)
# into $DV_NPM_PREFIX (default /opt/dronevault-npm); tests find them there
# (NODE_PATH=$DV_NPM_PREFIX/node_modules) and skip those checks without node.
# Idempotent; install-deps.sh calls it when npm is present.
set -euo pipefail
PREFIX=${DV_NPM_PREFIX:-/opt/dronevault-npm}
PKGS=(jsonld@9.0.0 world-atlas@2.0.2 leaflet@1.9.4)
if ! command -v npm >/dev/null; then
  echo "install-npm.sh: no npm; the JSON-LD expansion check will be skipped" >&2
  exit 0
fi
need=0
for p in "${PKGS[@]}"; do
  name=${p%@*}
  ver=${p##*@}
  f=$PREFIX/node_modules/$name/package.json
  if [ ! -f "$f" ] || ! grep -q "\"version\": *\"$ver\"" "$f"; then need=1; fi
done
if [ "$need" = 1 ]; then
  if ! mkdir -p "$PREFIX" 2>/dev/null || [ ! -w "$PREFIX" ]; then
    echo "install-npm.sh: cannot write $PREFIX (set DV_NPM_PREFIX); the JSON-LD check will be skipped" >&2
    exit 0
  fi
  npm install --prefix "$PREFIX" --no-audit --no-fund --no-save --loglevel=error "${PKGS[@]}"
fi
