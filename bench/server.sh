#!/usr/bin/env bash
# The server benchmark (issue: the server): wrk from a second process on loopback against
# `wangge serve`, pygeoapi 0.21 (SQLite/GeoPackage provider, gunicorn, 2 workers) and MapServer 8
# (Debian's mapserv as FastCGI behind lighttpd, 2 processes), all serving the same grid layer.
# Release build; figures printed side by side, never asserted (the machine is shared: compare ratios).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh wrk lighttpd cgi-mapserver curl python3-venv >/dev/null
out=$(pwd)/bench/out/server
rm -rf "$out"; mkdir -p "$out"
DUR=${DUR:-10}
swift build -c release --static-swift-stdlib >/dev/null
w=.build/release/wangge

db=$out/server.sqlite
$w demo --db "$db" --seed 1 --no-tracks >/dev/null
VIEWER=$($w token create --db "$db" --role viewer --name bench | tail -1)
DISPATCHER=$($w token create --db "$db" --role dispatcher --name bench | tail -1)
ogr2ogr -f GPKG "$out/grids.gpkg" "$db" grids -nln grids >/dev/null
GRIDS=$(sqlite3 "$db" "SELECT count(*) FROM grids")
# A small box of about ten grids, near the county seat.
BBOX=106.90,30.80,106.96,30.85

# Peers' environments: pygeoapi in a local venv; MapServer and lighttpd from Debian.
if [ ! -x bench/.venv-pygeoapi/bin/pygeoapi ]; then
  # Debian's Python: it can load SQLite extensions (SpatiaLite), which the provider needs.
  /usr/bin/python3 -m venv bench/.venv-pygeoapi
  bench/.venv-pygeoapi/bin/pip install -q "pygeoapi==0.21.*" gunicorn
fi
fill() { sed -e "s|@DIR@|$out|g" -e "s|@PORT@|$2|g" "bench/peers/$1.in" > "$out/$1"; }
fill pygeoapi.yml 18081; fill mapserver.conf 18082; fill grids.map 18082; fill lighttpd.conf 18082

pids=()
# A peer started under setsid leads its own process group: the group goes (lighttpd and its FastCGI
# children), else the process.
cleanup() { for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
$w serve --db "$db" --port 18080 --log-level error >/dev/null 2>&1 & pids+=($!)
( cd "$out" && PYGEOAPI_CONFIG=$out/pygeoapi.yml PYGEOAPI_OPENAPI=$out/openapi.yml \
    ../../.venv-pygeoapi/bin/pygeoapi openapi generate "$out/pygeoapi.yml" --output-file "$out/openapi.yml" >/dev/null 2>&1
  PYGEOAPI_CONFIG=$out/pygeoapi.yml PYGEOAPI_OPENAPI=$out/openapi.yml \
    exec ../../.venv-pygeoapi/bin/gunicorn -w 2 -b 127.0.0.1:18081 --log-level warning pygeoapi.flask_app:APP ) >"$out/pygeoapi.log" 2>&1 & pids+=($!)
# Its own process group: the FastCGI processes it spawns are stopped with it.
setsid lighttpd -D -f "$out/lighttpd.conf" >/dev/null 2>&1 & pids+=($!)
for port in 18080 18081 18082; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done
done

wangge=http://127.0.0.1:18080/collections/grids/items
pygeo=http://127.0.0.1:18081/collections/grids/items
mapsrv=http://127.0.0.1:18082/mapserv/grids/ogcapi/collections/grids/items
# Each must serve the same features before it is timed.
for u in "$wangge?limit=10000" "$pygeo?limit=10000&f=json" "$mapsrv?limit=10000&f=json"; do
  n=$(curl -s -H "Authorization: Bearer $VIEWER" "$u" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["features"]))' 2>/dev/null || echo "?")
  [ "$n" = "$GRIDS" ] || echo "warning: $u returned $n features of $GRIDS"
done

# wrk: requests/s, p50, p99 (wrk --latency), 2 threads, $2 connections.
measure() {
  local label=$1 conns=$2; shift 2
  local r; r=$(wrk -t2 -c"$conns" -d"${DUR}s" --latency "$@" 2>&1)
  local rps p50 p99 errs
  rps=$(echo "$r" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$r" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$r" | awk '$1 == "99%" {print $2}')
  errs=$(echo "$r" | awk '/Non-2xx/ {print $5}')
  printf '%-46s %10.0f req/s   p50 %-9s p99 %-9s %s\n' "$label" "$rps" "$p50" "$p99" "${errs:+non-2xx: $errs}"
}

echo
echo "Server: $GRIDS grids of Qu County; wrk on loopback (2 threads) sharing the 2 cores; ${DUR} s each (release build)"
echo "Whole county in one response (limit=10000):"
measure "  wangge serve (gzip)" 16 -H "Authorization: Bearer $VIEWER" -H "Accept-Encoding: gzip" "$wangge?limit=10000"
measure "  wangge serve (identity)" 16 -H "Authorization: Bearer $VIEWER" "$wangge?limit=10000"
measure "  pygeoapi 0.21 (gunicorn, 2 workers)" 4 "$pygeo?limit=10000&f=json"
measure "  MapServer 8 (FastCGI, 2 processes)" 4 "$mapsrv?limit=10000&f=json"
echo "Small bbox (about 10 grids):"
measure "  wangge serve" 16 -H "Authorization: Bearer $VIEWER" "$wangge?bbox=$BBOX"
measure "  pygeoapi 0.21" 4 "$pygeo?bbox=$BBOX&f=json"
measure "  MapServer 8" 4 "$mapsrv?bbox=$BBOX&f=json"
echo "Intake (POST /api/cases, durable on return, located and assigned):"
TOKEN=$DISPATCHER measure "  wangge serve, 8 connections" 8 -s bench/peers/intake.lua http://127.0.0.1:18080
TOKEN=$DISPATCHER measure "  wangge serve, 16 connections" 16 -s bench/peers/intake.lua http://127.0.0.1:18080
TOKEN=$DISPATCHER measure "  wangge serve, 32 connections" 32 -s bench/peers/intake.lua http://127.0.0.1:18080
echo "  (stored: $(sqlite3 "$db" "SELECT count(*) FROM cases WHERE description = 'bench'") cases)"

# Workers' phones reporting where they are (issue: field work), group-committed like intake.
# Each phone its own worker token, as in the field.
rm -f "$out/phones.txt"
for id in $(sqlite3 "$db" "SELECT worker_id FROM grid_posts WHERE role IN ('full_time','part_time') ORDER BY worker_id LIMIT 200"); do
  echo "$id $($w token create --db "$db" --role worker --worker "$id" --name "phone $id" | tail -1)" >> "$out/phones.txt"
done
echo
echo "Worker positions: POST /api/workers/{id}/position (200 phones, each its worker's token), committed, on the live feed"
for c in 16 64 128; do PHONES=$out/phones.txt measure "  wangge serve, $c connections" $c -s bench/peers/position.lua http://127.0.0.1:18080; done
