#!/usr/bin/env bash
# Field work (issue: patrol tracks): a day of every grid worker's tracks at 10 s ingested, the
# county's patrol figures, and gpxpy + shapely on a sample of the same tracks (equal answers).
# Release build; figures printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out/field
rm -rf "$out"; mkdir -p "$out"
swift build -c release --static-swift-stdlib >/dev/null
w=.build/release/wangge
db=$out/field.sqlite
$w demo --db "$db" --seed 1 --no-tracks >/dev/null
if [ ! -x bench/.venv/bin/python ]; then python3 -m venv bench/.venv; fi
bench/.venv/bin/python -c 'import gpxpy, shapely' 2>/dev/null || bench/.venv/bin/pip install -q "shapely>=2,<3" gpxpy
echo
echo "Field work: a day of patrol tracks of Qu County's grid workers (release build, SpatiaLite)"
$w bench field --db "$db" --out "$out/sample"
bench/.venv/bin/python bench/peers/patrol_compare.py "$out/sample"
