#!/usr/bin/env bash
# The map benchmark (issue: the one-screen map): time to first full render of /map in headless
# Chromium, and vector tiles/s at zooms 10–16, cold and cached, for `wangge serve` and, on the same
# grids, GDAL's MVT writer (cold: making the tiles) and lighttpd serving GDAL's tiles as files
# (cached: the floor any tile server pays). Release build; figures printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh wrk lighttpd curl chromium chromium-driver fonts-wqy-microhei >/dev/null
out=$(pwd)/bench/out/map
rm -rf "$out"; mkdir -p "$out/static"
DUR=${DUR:-10}
PER_ZOOM=${PER_ZOOM:-400}
swift build -c release --static-swift-stdlib >/dev/null
w=.build/release/wangge

db=$out/map.sqlite
$w demo --db "$db" --seed 1 --no-tracks >/dev/null
VIEWER=$($w token create --db "$db" --role viewer --name bench | tail -1)
read -r W S E N < <(sqlite3 "$db" "SELECT MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) FROM boundaries WHERE level = 'county'" \
  -cmd ".load mod_spatialite" -separator ' ')

pids=()
# A peer started under setsid leads its own process group: the group goes (lighttpd and its FastCGI
# children), else the process.
cleanup() { for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
$w serve --db "$db" --port 18090 --log-level error --tile-cache "$out/tiles" >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:18090/healthz && break; sleep 0.2; done

echo
echo "Map page: time to first full render in headless Chromium, the demo county (release build)"
python3 bench/peers/first_render.py http://127.0.0.1:18090 "$VIEWER" 6

# Tiles: the same sample of tile addresses per layer and zoom for every run.
python3 bench/peers/tile_list.py "$W" "$S" "$E" "$N" /tiles/ mvt "$PER_ZOOM" grids:10 cases:10 households:12 > "$out/paths.txt"
python3 bench/peers/tile_list.py "$W" "$S" "$E" "$N" /tiles/ mvt "$PER_ZOOM" grids:10 > "$out/grid-paths.txt"
sed -e 's|^/tiles/grids/|/grids/|' -e 's|\.mvt$|.pbf|' "$out/grid-paths.txt" > "$out/static-paths.txt"
total=$(wc -l < "$out/paths.txt"); gtotal=$(wc -l < "$out/grid-paths.txt")

rate() {   # label, conns, then env assignments for the wrk script
  local label=$1 conns=$2 url=$3; shift 3
  local r; r=$(env "$@" THREADS=2 wrk -t2 -c"$conns" -d"${DUR}s" --latency -s bench/peers/tiles.lua "$url" 2>&1)
  local n secs rps p99 errs
  n=$(echo "$r" | awk '/requests in/ {print $1}'); secs=$(echo "$r" | awk '/requests in/ {sub(/s,/, "", $4); print $4}')
  rps=$(echo "$r" | awk '/Requests\/sec/ {print $2}'); p99=$(echo "$r" | awk '$1 == "99%" {print $2}')
  errs=$(echo "$r" | awk '/Non-2xx/ {print $5}')
  printf '%-54s %8.0f tiles/s   p99 %-9s (%s tiles in %s) %s\n' "$label" "$rps" "$p99" "$n" "$secs" "${errs:+non-2xx: $errs}"
}

echo
echo "Vector tiles, zooms 10–16, up to $PER_ZOOM tiles per layer and zoom over the county (wrk, 2 threads, loopback)"
# Cold: each tile once, by a Python client (wrk cannot stop when a list ends); 4 connections.
echo "Cold (each tile once, made on request; 4 keep-alive connections from Python):"
printf '%-54s %s\n' "  wangge serve: grids ($gtotal tiles)" "$(python3 bench/peers/fetch_once.py 127.0.0.1 18090 "$out/grid-paths.txt" 4 "$VIEWER")"
printf '%-54s %s\n' "  wangge serve: cases, households (rest of $total)" \
  "$(grep -v '^/tiles/grids/' "$out/paths.txt" > "$out/other-paths.txt"; python3 bench/peers/fetch_once.py 127.0.0.1 18090 "$out/other-paths.txt" 4 "$VIEWER")"
# GDAL's MVT writer: every grids tile of zooms 10–16 from the same database, timed as a whole.
t0=$(date +%s.%N)
ogr2ogr -f MVT "$out/static/grids" "$db" grids -dsco MINZOOM=10 -dsco MAXZOOM=16 -dsco COMPRESS=NO -dsco FORMAT=DIRECTORY >/dev/null 2>&1
t1=$(date +%s.%N)
made=$(find "$out/static/grids" -name '*.pbf' | wc -l)
printf '%-54s %8.0f tiles/s   (%s tiles in %.1f s, written to disk)\n' "  GDAL ogr2ogr -f MVT: grids, every tile" \
  "$(echo "$made / ($t1 - $t0)" | bc -l)" "$made" "$(echo "$t1 - $t0" | bc -l)"
echo "Cached (the same tiles again, round and round for ${DUR} s):"
rate "  wangge serve: grids, cases, households" 16 http://127.0.0.1:18090 PATHS="$out/paths.txt" TOKEN="$VIEWER"
rate "  wangge serve: grids" 16 http://127.0.0.1:18090 PATHS="$out/grid-paths.txt" TOKEN="$VIEWER"
cat > "$out/lighttpd.conf" <<CONF
server.document-root = "$out/static"
server.bind = "127.0.0.1"
server.port = 18091
server.errorlog = "$out/lighttpd.err"
mimetype.assign = (".pbf" => "application/vnd.mapbox-vector-tile")
CONF
# Its own process group: the FastCGI processes it spawns are stopped with it.
setsid lighttpd -D -f "$out/lighttpd.conf" >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:18091/ && break; sleep 0.1; done
rate "  lighttpd: GDAL's grids tiles as static files" 16 http://127.0.0.1:18091 PATHS="$out/static-paths.txt"
