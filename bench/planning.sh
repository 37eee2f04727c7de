#!/usr/bin/env bash
# The plan editor (issue: planners draw on the map): a vertex drag's round trip in headless
# Chromium (drag → saved → the server's problems drawn) and its undo, and a Part 4 PUT of one grid,
# on the demo county. Release build; figures printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh curl chromium chromium-driver fonts-wqy-microhei >/dev/null
out=$(pwd)/bench/out/planning
rm -rf "$out"; mkdir -p "$out"
swift build -c release --static-swift-stdlib >/dev/null
w=.build/release/wangge
db=$out/planning.sqlite
$w demo --db "$db" --seed 1 --no-tracks >/dev/null
TOKEN=$($w token create --db "$db" --role planner --name bench | tail -1)
$w serve --db "$db" --port 18093 --log-level error >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:18093/healthz && break; sleep 0.2; done
PLAN=$(curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' http://127.0.0.1:18093/api/plans -d '{"name":"bench"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
GRIDS=$(sqlite3 "$db" "SELECT count(*) FROM grids")
echo
echo "The plan editor: plan $PLAN of the demo county's $GRIDS grids, Chromium 1400x900 on loopback (release build)"
python3 bench/peers/plan_editor.py http://127.0.0.1:18093 "$TOKEN" "$PLAN" 30
