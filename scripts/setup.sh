#!/usr/bin/env bash
# Installs the Debian packages Wangge needs, only those missing (apt-get update at most once).
# Usage: scripts/setup.sh [extra packages…]
set -euo pipefail
packages=(pkg-config libgeos-dev libproj-dev proj-data libsqlite3-dev libspatialite-dev
          libsqlite3-mod-spatialite zlib1g-dev gdal-bin sqlite3 curl libpq-dev
          libjs-leaflet libjs-leaflet.markercluster libqrencode-dev libvips-dev "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: Swift 6.3 is required (swift not on PATH)"; exit 1; }
