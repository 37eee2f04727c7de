#!/usr/bin/env bash
# Residents and other systems (issue: QR self-report, Open311, committees): the /report page
# interactive in Chromium's phone emulation at 4x CPU slowdown; reports with a 12-megapixel
# (about 3 MB) photo by wrk, beside Pillow doing the same image work; Open311 GeoReport v2
# `GET requests` of 1,000 requests in JSON and XML, beside this server's own case list of the same
# size (`/api/cases?limit=1000`, a viewer's) as the reference; POST requests one after another.
# curl on loopback, one request at a time, 30 of each. Release build; figures printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh curl sqlite3 wrk chromium chromium-driver fonts-wqy-microhei >/dev/null
out=$(pwd)/bench/out/residents
rm -rf "$out"; mkdir -p "$out"
swift build -c release --static-swift-stdlib >/dev/null
w=.build/release/wangge

db=$out/residents.sqlite
$w demo --db "$db" --seed 1 --no-tracks >/dev/null
KEY=$($w token create --db "$db" --role open311 --name bench | tail -1)
VIEWER=$($w token create --db "$db" --role viewer --name bench | tail -1)
read -r LON LAT < <(sqlite3 -separator ' ' "$db" -cmd ".load mod_spatialite" "SELECT X(geom), Y(geom) FROM households LIMIT 1 OFFSET 500")

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
# No limits per sender here: every request of the benchmark comes from one address.
$w serve --db "$db" --port 18093 --log-level error --reports-per-hour 1000000 --reports-per-day 1000000 >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:18093/healthz && break; sleep 0.2; done
base=http://127.0.0.1:18093

# Milliseconds of each of 30 requests (after 3 to warm up): median and p95.
timed() {   # label, curl arguments…
  local label=$1; shift
  for _ in 1 2 3; do curl -s -o /dev/null "$@"; done
  for _ in $(seq 30); do curl -s -o /dev/null -w '%{time_total}\n' "$@"; done | sort -n > "$out/t.txt"
  printf '%-52s median %6.1f ms  p95 %6.1f ms\n' "$label" \
    "$(awk 'NR == 15 {print $1 * 1000}' "$out/t.txt")" "$(awk 'NR == 29 {print $1 * 1000}' "$out/t.txt")"
}

n=$(curl -s "$base/open311/v2/requests.json?page_size=1000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
echo
echo "Open311 GeoReport v2 on the demo county ($n requests per answer; curl on loopback, release build)"
timed "GET /open311/v2/requests.json (page_size=1000)" "$base/open311/v2/requests.json?page_size=1000"
timed "GET /open311/v2/requests.xml (page_size=1000)" "$base/open311/v2/requests.xml?page_size=1000"
timed "reference: GET /api/cases?limit=1000 (viewer)" -H "Authorization: Bearer $VIEWER" "$base/api/cases?limit=1000"
timed "GET /open311/v2/services.xml" "$base/open311/v2/services.xml"
timed "POST /open311/v2/requests.json (one at a time)" -X POST "$base/open311/v2/requests.json" \
  --data-urlencode "api_key=$KEY" -d "service_code=neighbour&lat=$LAT&long=$LON" --data-urlencode "description=bench 楼上漏水"

# Residents' reports with a photo: the page, then wrk posting a phone's photo.
if [ ! -x bench/.venv/bin/python ]; then python3 -m venv bench/.venv; fi
bench/.venv/bin/python -c "import PIL" 2>/dev/null || bench/.venv/bin/pip install -q pillow
size=$(bench/.venv/bin/python bench/peers/make_photo.py "$out/photo.jpg")
GRID=$(sqlite3 "$db" "SELECT grid_id FROM grids ORDER BY grid_id LIMIT 1")
echo
echo "Residents' reports: the /report page, and reports with a 4032x3024 photo ($size JPEG with GPS EXIF) (release build)"
python3 bench/peers/report_page.py "$base" "$GRID"
before=$(sqlite3 "$db" "SELECT count(*) FROM case_photos")
PHOTO=$out/photo.jpg LON=$LON LAT=$LAT wrk -t2 -c8 -d${DUR:-10}s --latency -s bench/peers/report_photo.lua "$base" > "$out/wrk.txt"
rps=$(awk '/Requests\/sec/ {print $2}' "$out/wrk.txt")
p99=$(awk '$1 == "99%" {print $2}' "$out/wrk.txt")
errors=$(grep -c "Non-2xx" "$out/wrk.txt" || true)
stored=$(( $(sqlite3 "$db" "SELECT count(*) FROM case_photos") - before ))
printf '  %-46s %6.1f reports/s  p99 %s  (%s stored with their photo%s; target: 100/s)\n' "POST /api/reports with the photo (wrk, 8 conns)" \
  "$rps" "$p99" "$stored" "$( [ "$errors" = 0 ] || echo ", some refused: see $out/wrk.txt")"
printf '  %-46s %s\n' "wangge, the photo work alone (one core)" "$($w bench photos --file "$out/photo.jpg" --count 30 | sed 's/^photos: //')"
bench/.venv/bin/python bench/peers/photo_peer.py "$out/photo.jpg" 30
