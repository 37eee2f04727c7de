#!/usr/bin/env bash
# The worker's phone page (issue: the grid worker's phone): /m interactive under Chromium's mobile
# emulation with 4x CPU slowdown and a slow network, first and repeat visit, and a step's round
# trip from the page on loopback. Release build; figures printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh curl chromium chromium-driver fonts-wqy-microhei >/dev/null
out=$(pwd)/bench/out/mobile
rm -rf "$out"; mkdir -p "$out"
swift build -c release --static-swift-stdlib >/dev/null
w=.build/release/wangge

db=$out/mobile.sqlite
$w demo --db "$db" --seed 1 --no-tracks >/dev/null
# A grid worker (on duty in one grid) and 40 cases given to them at a household of that grid.
read -r WORKER GRID < <(sqlite3 -separator ' ' "$db" "SELECT worker_id, grid_id FROM grid_posts WHERE role = 'full_time' ORDER BY grid_id LIMIT 1")
TOKEN=$($w token create --db "$db" --role worker --worker "$WORKER" --name bench | tail -1)
DESK=$($w token create --db "$db" --role dispatcher --name bench | tail -1)
read -r LON LAT < <(sqlite3 -separator ' ' "$db" -cmd ".load mod_spatialite" "SELECT X(geom), Y(geom) FROM households WHERE grid_id = '$GRID' LIMIT 1")

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
$w serve --db "$db" --port 18092 --log-level error >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:18092/healthz && break; sleep 0.2; done
: > "$out/ids.txt"
for k in $(seq 40); do
  id=$(curl -s -H "Authorization: Bearer $DESK" -H 'Content-Type: application/json' http://127.0.0.1:18092/api/cases \
    -d "{\"category\":\"neighbour\",\"description\":\"bench $k\",\"location\":{\"type\":\"Point\",\"coordinates\":[$LON,$LAT]}}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  curl -s -o /dev/null -H "Authorization: Bearer $DESK" -H 'Content-Type: application/json' http://127.0.0.1:18092/api/cases/$id/transitions \
    -d "{\"to\":\"assigned\",\"target\":\"worker:$WORKER\"}"
  echo "$id" >> "$out/ids.txt"
done

echo
echo "The worker's phone page /m: Chromium, 390x844 touch screen, 4x CPU slowdown (release build)"
python3 bench/peers/mobile_page.py http://127.0.0.1:18092 "$TOKEN" "$out/ids.txt"
