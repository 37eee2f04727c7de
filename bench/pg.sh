#!/usr/bin/env bash
# The prefecture benchmark (issue: a prefecture or a province): wangge on PostGIS and on SpatiaLite
# next to tipg 1.6 (PyPI, uvicorn, 2 workers) serving the same PostGIS tables: whole-county items, a
# small bbox, grids tiles at z14 cold and cached, intake over HTTP; then a 7-county demo: server start
# and resident memory. Release build; figures printed side by side, never asserted (compare ratios).
# COUNTIES (default 7) sets the prefecture's size; PREFECTURE_DB=postgis builds it into PostGIS
# (about 100 s a county) instead of SpatiaLite (about 10 s a county).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh wrk curl python3-venv postgresql-15 postgresql-15-postgis-3 >/dev/null
out=$(pwd)/bench/out/pg
mkdir -p "$out"
DUR=${DUR:-10}
COUNTIES=${COUNTIES:-7}
swift build -c release --static-swift-stdlib >/dev/null
w=.build/release/wangge

pgurl=$(scripts/pg-cluster.sh start "$out/cluster" 5439)
base=${pgurl%/*}
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/pg-cluster.sh stop "$out/cluster" || true
}
trap cleanup EXIT
psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS bench" -c "DROP DATABASE IF EXISTS prefecture" >/dev/null
sl=$out/bench.sqlite
rm -f "$sl" "$sl"-wal "$sl"-shm

echo
echo "A prefecture on PostGIS (PostgreSQL 15, loopback cluster in $out/cluster, fsync on; release build)"
t0=$(date +%s.%N)
$w demo --db "$base/bench" --seed 1 --no-tracks >/dev/null
printf '%-46s %.1f s\n' "demo county into PostGIS" "$(echo "$(date +%s.%N) - $t0" | bc -l)"
$w demo --db "$sl" --seed 1 --no-tracks >/dev/null
GRIDS=$(psql -qtA "$base/bench" -c "SELECT count(*) FROM grids")
echo "In-process intake (wangge bench cases, 20,000 cases):"
$w bench cases --db "$base/bench" --count 20000 --solo 2000 --callers 64 | sed 's/^/  /'

# Both databases topped up to 100,000 cases (the filters below are timed on a year of a busy county).
for db in "$base/bench" "$sl"; do
  if [ "$db" = "$sl" ]; then have=$(sqlite3 "$db" "SELECT count(*) FROM cases"); else have=$(psql -qtA "$db" -c "SELECT count(*) FROM cases"); fi
  [ "$have" -lt 100000 ] && $w bench cases --db "$db" --count $((100000 - have)) --solo 1 --callers 64 >/dev/null
done
# The planner's figures for the new rows, as autovacuum would have them by now.
psql -q "$base/bench" -c "ANALYZE cases"

VPG=$($w token create --db "$base/bench" --role viewer --name bench | tail -1)
DPG=$($w token create --db "$base/bench" --role dispatcher --name bench | tail -1)
VSL=$($w token create --db "$sl" --role viewer --name bench | tail -1)
DSL=$($w token create --db "$sl" --role dispatcher --name bench | tail -1)

if [ ! -x bench/.venv-tipg/bin/uvicorn ]; then
  /usr/bin/python3 -m venv bench/.venv-tipg
  bench/.venv-tipg/bin/pip install -q "tipg==1.6.*" "uvicorn[standard]"
fi
$w serve --db "$base/bench" --port 18480 --log-level error >"$out/wangge-pg.log" 2>&1 & pids+=($!)
$w serve --db "$sl" --port 18481 --log-level error >"$out/wangge-sl.log" 2>&1 & pids+=($!)
DATABASE_URL="$base/bench" TIPG_DB_TABLES='["public.grids","public.cases"]' TIPG_MAX_FEATURES_PER_QUERY=10000 TIPG_DEBUG=FALSE \
  bench/.venv-tipg/bin/uvicorn tipg.main:app --host 127.0.0.1 --port 18482 --workers 2 --log-level warning >"$out/tipg.log" 2>&1 & pids+=($!)
for port in 18480 18481 18482; do
  for _ in $(seq 150); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done
done

items=/collections/grids/items
titems=/collections/public.grids/items
# Each must serve the same features before it is timed.
count() { curl -s -H "Authorization: Bearer $1" "$2" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["features"]))' 2>/dev/null || echo "?"; }
for pair in "$VPG http://127.0.0.1:18480$items?limit=10000" "$VSL http://127.0.0.1:18481$items?limit=10000" "x http://127.0.0.1:18482$titems?limit=10000"; do
  n=$(count ${pair% *} ${pair#* })
  [ "$n" = "$GRIDS" ] || echo "warning: ${pair#* } returned $n features of $GRIDS"
done

measure() {   # label, connections, wrk arguments: requests/s, p50, p99
  local label=$1 conns=$2; shift 2
  local r; r=$(wrk -t$((conns < 2 ? 1 : 2)) -c"$conns" -d"${DUR}s" --latency "$@" 2>&1)
  printf '%-46s %10.0f req/s   p50 %-9s p99 %-9s %s\n' "$label" "$(echo "$r" | awk '/Requests\/sec/ {print $2}')" \
    "$(echo "$r" | awk '$1 == "50%" {print $2}')" "$(echo "$r" | awk '$1 == "99%" {print $2}')" \
    "$(echo "$r" | awk '/Non-2xx/ {print "non-2xx: " $5}')"
}
BBOX=106.90,30.80,106.96,30.85
echo
echo "Served over HTTP: $GRIDS grids of Qu County, the same PostGIS tables; wrk on loopback (2 threads) sharing the 2 cores; ${DUR} s each"
echo "Whole county in one response (limit=10000):"
measure "  wangge serve, PostGIS" 16 -H "Authorization: Bearer $VPG" "http://127.0.0.1:18480$items?limit=10000"
measure "  wangge serve, SpatiaLite" 16 -H "Authorization: Bearer $VSL" "http://127.0.0.1:18481$items?limit=10000"
measure "  tipg 1.6 (uvicorn, 2 workers)" 4 "http://127.0.0.1:18482$titems?limit=10000"
echo "Small bbox (about 10 grids):"
measure "  wangge serve, PostGIS" 16 -H "Authorization: Bearer $VPG" "http://127.0.0.1:18480$items?bbox=$BBOX"
measure "  wangge serve, SpatiaLite" 16 -H "Authorization: Bearer $VSL" "http://127.0.0.1:18481$items?bbox=$BBOX"
measure "  tipg 1.6" 4 "http://127.0.0.1:18482$titems?bbox=$BBOX"

read -r W S E N < <(psql -qtA -F ' ' "$base/bench" -c "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM boundaries WHERE level = 'county') x")
python3 bench/peers/tile_list.py "$W" "$S" "$E" "$N" /tiles/ mvt 100000 grids:14:14 > "$out/z14.txt"
sed -e 's|^/tiles/grids/|/collections/public.grids/tiles/WebMercatorQuad/|' -e 's|\.mvt$||' "$out/z14.txt" > "$out/z14-tipg.txt"
echo "Grids tiles at zoom 14 over the county ($(wc -l < "$out/z14.txt") tiles); cold: each tile once, 4 keep-alive connections:"
printf '%-46s %s\n' "  wangge serve, PostGIS" "$(python3 bench/peers/fetch_once.py 127.0.0.1 18480 "$out/z14.txt" 4 "$VPG")"
printf '%-46s %s\n' "  wangge serve, SpatiaLite" "$(python3 bench/peers/fetch_once.py 127.0.0.1 18481 "$out/z14.txt" 4 "$VSL")"
printf '%-46s %s\n' "  tipg 1.6 (no tile cache: always cold)" "$(python3 bench/peers/fetch_once.py 127.0.0.1 18482 "$out/z14-tipg.txt" 4)"
echo "Cached (the same tiles again, round and round):"
rtile() {   # label, port, paths, token
  local r; r=$(env PATHS="$3" TOKEN="$4" THREADS=2 wrk -t2 -c16 -d"${DUR}s" --latency -s bench/peers/tiles.lua "http://127.0.0.1:$2" 2>&1)
  printf '%-46s %10.0f tiles/s p99 %s\n' "$1" "$(echo "$r" | awk '/Requests\/sec/ {print $2}')" "$(echo "$r" | awk '$1 == "99%" {print $2}')"
}
rtile "  wangge serve, PostGIS" 18480 "$out/z14.txt" "$VPG"
rtile "  wangge serve, SpatiaLite" 18481 "$out/z14.txt" "$VSL"

# A token limited to a town (a town centre's desk) against an unscoped one, on the same requests.
ASL=$($w token create --db "$sl" --role viewer --name bench-town --area 511725001 | tail -1)
echo "A token limited to a town (511725001) against an unscoped one, the same request (SpatiaLite):"
measure "  grids of the town (town_code=), unscoped" 16 -H "Authorization: Bearer $VSL" "http://127.0.0.1:18481$items?town_code=511725001"
measure "  grids of the town (town_code=), area token" 16 -H "Authorization: Bearer $ASL" "http://127.0.0.1:18481$items?town_code=511725001"
measure "  cases, a page of 100, unscoped" 16 -H "Authorization: Bearer $VSL" "http://127.0.0.1:18481/collections/cases/items?limit=100"
measure "  cases, a page of 100, area token" 16 -H "Authorization: Bearer $ASL" "http://127.0.0.1:18481/collections/cases/items?limit=100"
rtile "  grids tiles z14, cached, unscoped" 18481 "$out/z14.txt" "$VSL"
rtile "  grids tiles z14, cached, area token" 18481 "$out/z14.txt" "$ASL"

# CQL2 filters (OGC API – Features Part 3); tipg reads them with pygeofilter into SQL. Its grids
# table has no town name, so the like-for-like grids filter is on the code's town prefix.
q() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
POLY='POLYGON((106.90 30.80, 107.00 30.80, 107.00 30.90, 106.90 30.90, 106.90 30.80))'
TOWN=$(q "households > 450 AND town = '渠江街道'")
LIKE=$(q "households > 450 AND grid_id LIKE '511725001%'")
CASES=$(q "category = 'labour' AND S_INTERSECTS(geometry, $POLY)")
TCASES=$(q "category = 'labour' AND S_INTERSECTS(geom, $POLY)")
echo "CQL2 filters: grids (626, in memory) and cases (100,000, in the database's SQL):"
measure "  grids households>450 AND town=…, SpatiaLite" 16 -H "Authorization: Bearer $VSL" "http://127.0.0.1:18481$items?filter=$TOWN"
measure "  grids households>450 AND town=…, PostGIS" 16 -H "Authorization: Bearer $VPG" "http://127.0.0.1:18480$items?filter=$TOWN"
measure "  grids households>450 AND grid_id LIKE, wangge" 16 -H "Authorization: Bearer $VPG" "http://127.0.0.1:18480$items?filter=$LIKE"
measure "  grids households>450 AND grid_id LIKE, tipg" 4 "http://127.0.0.1:18482$titems?filter=$LIKE"
echo "  cases category AND S_INTERSECTS(polygon), a page of 100 with numberMatched:"
for c in 1 4; do
  measure "    wangge serve, SpatiaLite, $c connection(s)" $c -H "Authorization: Bearer $VSL" "http://127.0.0.1:18481/collections/cases/items?filter=$CASES"
  measure "    wangge serve, PostGIS, $c connection(s)" $c -H "Authorization: Bearer $VPG" "http://127.0.0.1:18480/collections/cases/items?filter=$CASES"
  measure "    tipg 1.6, $c connection(s)" $c "http://127.0.0.1:18482/collections/public.cases/items?filter=$TCASES&limit=100"
done
printf '  (matched: wangge %s, tipg %s)\n' "$(curl -s -H "Authorization: Bearer $VPG" "http://127.0.0.1:18480/collections/cases/items?filter=$CASES&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("numberMatched"))')" \
  "$(curl -s "http://127.0.0.1:18482/collections/public.cases/items?filter=$TCASES&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("numberMatched"))' 2>/dev/null)"

echo "Intake (POST /api/cases, durable on return, located and assigned; tipg is read-only):"
TOKEN=$DPG measure "  wangge serve, PostGIS, 16 connections" 16 -s bench/peers/intake.lua http://127.0.0.1:18480
TOKEN=$DPG measure "  wangge serve, PostGIS, 64 connections" 64 -s bench/peers/intake.lua http://127.0.0.1:18480
TOKEN=$DSL measure "  wangge serve, SpatiaLite, 16 connections" 16 -s bench/peers/intake.lua http://127.0.0.1:18481
TOKEN=$DSL measure "  wangge serve, SpatiaLite, 64 connections" 64 -s bench/peers/intake.lua http://127.0.0.1:18481
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

# A prefecture: COUNTIES counties in one database, the server's start and memory.
if [ "${PREFECTURE_DB:-spatialite}" = postgis ]; then pdb="$base/prefecture"; else pdb=$out/prefecture.sqlite; rm -f "$pdb" "$pdb"-wal "$pdb"-shm; fi
t0=$(date +%s.%N)
$w demo --db "$pdb" --counties "$COUNTIES" --seed 1 --no-tracks >/dev/null
built=$(echo "$(date +%s.%N) - $t0" | bc -l)
PV=$($w token create --db "$pdb" --role viewer --name bench | tail -1)
echo
echo "A prefecture: $COUNTIES demo counties in one database (${PREFECTURE_DB:-spatialite}; built in $(printf %.0f "$built") s)"
t0=$(date +%s.%N)
$w serve --db "$pdb" --port 18483 --log-level error >"$out/prefecture.log" 2>&1 & pid=$!; pids+=($pid)
for _ in $(seq 1000); do curl -s -o /dev/null http://127.0.0.1:18483/healthz && break; sleep 0.01; done
printf '%-46s %.2f s\n' "  server start (until /healthz answers)" "$(echo "$(date +%s.%N) - $t0" | bc -l)"
printf '%-46s %d MiB\n' "  resident memory after start" "$(( $(awk '/VmRSS/ {print $2}' /proc/$pid/status) / 1024 ))"
read -r PW PS PE PN < <(curl -s -H "Authorization: Bearer $PV" http://127.0.0.1:18483/collections/boundaries \
  | python3 -c 'import json,sys; print(*json.load(sys.stdin)["extent"]["spatial"]["bbox"][0])')
python3 bench/peers/tile_list.py "$PW" "$PS" "$PE" "$PN" /tiles/ mvt 300 grids:10 households:12 cases:10 > "$out/prefecture-tiles.txt"
printf '%-46s %s\n' "  tiles, cold (grids, households, cases)" "$(python3 bench/peers/fetch_once.py 127.0.0.1 18483 "$out/prefecture-tiles.txt" 4 "$PV")"
curl -s -o /dev/null -H "Authorization: Bearer $PV" "http://127.0.0.1:18483/collections/households/items?limit=10000"
printf '%-46s %d MiB\n' "  resident memory after the tiles" "$(( $(awk '/VmRSS/ {print $2}' /proc/$pid/status) / 1024 ))"
