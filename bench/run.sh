#!/usr/bin/env bash
# `make bench`: point-to-grid assignment, this project and its peers on the same data in one run.
# Release build. Figures are printed, never asserted: machines are shared and noisy; compare ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
out=bench/out
mkdir -p "$out"

swift build -c release --static-swift-stdlib >/dev/null
w=.build/release/wangge

# The data: the demo county's grid layer and N random points over its extent.
db=$out/bench.sqlite
rm -f "$db" "$db"-wal "$db"-shm
$w demo --db "$db" --seed 1 --no-tracks >/dev/null
GRIDS=$(sqlite3 "$db" "SELECT count(*) FROM grids")
$w bench points --db "$db" --count "$N" > "$out/points.csv"
rm -f "$out/grids.geojson"
ogr2ogr -f GeoJSON "$out/grids.geojson" "$db" grids

# Peers' environment: shapely 2 from PyPI in a local venv.
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install -q "shapely>=2,<3" numpy
fi

echo "Point-to-grid assignment: $N points, $GRIDS grids of Qu County (release build; the kernel on one core, wangge assign parses on two)"
printf '%-44s %s\n' "wangge kernel (in memory)" "$($w bench kernel --db "$db" --points "$out/points.csv" | sed 's/^kernel //')"

# The same points at 6 decimals: full precision must not cost much more.
$w bench points --db "$db" --count "$N" --decimals 6 > "$out/points6.csv"
assign_best() {   # label, input
  local best="" t0 t1 t
  for _ in 1 2 3; do
    t0=$(date +%s.%N)
    $w assign --db "$db" < "$2" > "$out/assigned.csv"
    t1=$(date +%s.%N)
    t=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  printf '%-44s %.1f M points/s (%s s, CSV in and out, load included, best of 3)\n' "$1" \
    "$(echo "$N / $best / 1000000" | bc -l)" "$(printf %.3f "$best")"
}
printf '%-44s %s\n' "number parsing (lon and lat, one core)" "$($w bench numbers --points "$out/points.csv" | sed 's/^numbers: //')"
assign_best "wangge assign, 6 decimals (end to end)" "$out/points6.csv"
assign_best "wangge assign, full precision (end to end)" "$out/points.csv"
rm -f "$out/points6.csv"

# Streaming: ten times the rows through the same command; memory must not grow with the input.
$w bench points --db "$db" --count $((N * 10)) --seed 8 > "$out/points10.csv"
/usr/bin/time -f "%e %M" -o "$out/time10.txt" $w assign --db "$db" < "$out/points10.csv" > /dev/null
read -r secs10 rss10 < "$out/time10.txt"
printf '%-44s %.1f M points/s (%s rows in %s s, peak memory %d MiB)\n' "wangge assign (end to end, 10x rows)" \
  "$(echo "$N * 10 / $secs10 / 1000000" | bc -l)" "$((N * 10))" "$secs10" "$((rss10 / 1024))"
rm -f "$out/points10.csv"

# Camera alerts routed by view area (the grid that holds most of what the camera sees).
printf '%-44s %s\n' "camera alerts by view area" "$($w bench views --db "$db" | sed 's/^views: //')"

bench/.venv/bin/python bench/peers/shapely_assign.py "$out/grids.geojson" "$out/points.csv" "$out/assigned.csv"

# SpatiaLite SQL with its R*Tree index, the grid driving the join (its best order).
sql=$out/spatialite.sqlite
rm -f "$sql"
cp "$db" "$sql"
sqlite3 "$sql" >/dev/null <<SQL
.load mod_spatialite
CREATE TABLE pts(id TEXT, x REAL, y REAL);
.mode csv
.import --skip 1 $out/points.csv pts
SELECT AddGeometryColumn('pts', 'geom', 4326, 'POINT', 'XY');
UPDATE pts SET geom = MakePoint(x, y, 4326);
SELECT CreateSpatialIndex('pts', 'geom');
SQL
secs=$(sqlite3 "$sql" <<SQL | grep -o 'real [0-9.]*' | tail -1 | cut -d' ' -f2
.load mod_spatialite
.timer on
SELECT count(*) FROM grids g JOIN pts p ON p.ROWID IN (
  SELECT ROWID FROM SpatialIndex WHERE f_table_name = 'pts' AND search_frame = g.geom)
  AND ST_Contains(g.geom, p.geom);
SQL
)
printf '%-44s %.2f M points/s (%s s, query only)\n' "SpatiaLite SQL (R*Tree, grid drives the join)" "$(echo "$N / $secs / 1000000" | bc -l)" "$secs"

# Grid layer: validate, re-partition the county, publish (issue: grids and planning).
echo
echo "Grid layer: validate, re-partition the whole county, publish (release build)"
gdb=$out/grids.sqlite
rm -f "$gdb" "$gdb"-wal "$gdb"-shm
$w demo --db "$gdb" --seed 1 --no-tracks >/dev/null
# The peer validates the demo layer with its micro-grids (exported before the bench drops them).
for layer in grids microgrids; do
  rm -f "$out/$layer.geojson"
  ogr2ogr -f GeoJSON -lco COORDINATE_PRECISION=17 "$out/$layer.geojson" "$gdb" "$layer"
done
rm -f "$out/villages.geojson"
ogr2ogr -f GeoJSON -lco COORDINATE_PRECISION=17 "$out/villages.geojson" "$gdb" -sql "SELECT code, geom FROM boundaries WHERE level = 'village'"
$w bench grids --db "$gdb"
bench/.venv/bin/python bench/peers/shapely_microgrids.py "$out/grids.geojson" "$out/microgrids.geojson" "$out/villages.geojson"
# Peers validate the same hand-drawn layer (version 2) against the same villages.
$w grids export --db "$gdb" --version 2 --precision 17 > "$out/drawn.geojson"
bench/.venv/bin/python bench/peers/shapely_validate.py "$out/drawn.geojson" "$out/villages.geojson"
secs=$(sqlite3 "$gdb" <<SQL | grep -o 'real [0-9.]*' | awk '{s += $2} END {print s}'
.load mod_spatialite
.timer on
SELECT count(*) FROM grid_history a JOIN grid_history b ON b.ROWID IN (
  SELECT ROWID FROM SpatialIndex WHERE f_table_name = 'grid_history' AND search_frame = a.geom)
  WHERE a.version = 2 AND b.version = 2 AND a.grid_id < b.grid_id AND ST_Overlaps(a.geom, b.geom);
SELECT count(*) FROM (SELECT v.code, ST_Area(ST_Difference(v.geom, ST_Union(g.geom))) AS gap
  FROM boundaries v JOIN grid_history g ON g.version = 2 AND substr(g.grid_id, 1, 12) = v.code
  WHERE v.level = 'village' GROUP BY v.code) WHERE gap > 1e-10;
SELECT count(*) FROM grid_history g JOIN boundaries v ON v.code = substr(g.grid_id, 1, 12)
  WHERE g.version = 2 AND ST_Area(ST_Difference(g.geom, v.geom)) > 1e-10;
SQL
)
printf '%-44s %.3f s (overlaps, gaps, crossings; three queries)\n' "SpatiaLite SQL validate" "$secs"

# Cases: durable intake and statistics (issue: cases and camera alerts).
echo
echo "Cases: durable intake with spatial assignment, statistics over the demo year (release build)"
cp "$gdb" "$out/peer-intake.sqlite"   # the peer's copy: the same demo year, before this bench's cases
rm -f "$out/peer-intake.sqlite-wal" "$out/peer-intake.sqlite-shm"
$w bench cases --db "$gdb" --count 20000 --callers 64
/usr/bin/python3 bench/peers/spatialite_intake.py "$out/peer-intake.sqlite" 20000

# Field work: tracks in, patrol figures out, beside gpxpy + shapely.
bench/field.sh

# Early warning: hot spots beside PySAL, the warnings, the monthly PDF.
bench/analysis.sh

# A prefecture on PostGIS: wangge on PostGIS and SpatiaLite beside tipg, and a 7-county demo.
bench/pg.sh

# The server (issue: the server): this server and pygeoapi and MapServer on the same grid layer.
bench/server.sh

# The one-screen map: first render in headless Chromium, vector tiles cold and cached.
bench/map.sh

# The worker's phone page: interactive under throttling, a step's round trip from the page.
bench/mobile.sh

# Residents and other systems: Open311 GeoReport v2 read and written.
bench/residents.sh

# Planners: the plan editor's round trip in Chromium, a Part 4 PUT.
bench/planning.sh
