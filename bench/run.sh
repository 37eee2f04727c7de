#!/usr/bin/env bash
# `make bench`: point-to-grid assignment, this project and its peers on the same data in one run.
# Release build. Figures are printed, never asserted: machines are shared and noisy; compare ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
GRIDS=${GRIDS:-613}
out=bench/out
mkdir -p "$out"

swift build -c release --static-swift-stdlib >/dev/null
w=.build/release/wangge

# The data: the demo county's grid layer and N random points over its extent.
db=$out/bench.sqlite
rm -f "$db" "$db"-wal "$db"-shm
$w demo --db "$db" --grids "$GRIDS" --seed 1 >/dev/null
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

best=""
for _ in 1 2 3; do
  t0=$(date +%s.%N)
  $w assign --db "$db" < "$out/points.csv" > "$out/assigned.csv"
  t1=$(date +%s.%N)
  t=$(echo "$t1 - $t0" | bc -l)
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
done
printf '%-44s %.1f M points/s (%s s, CSV in and out, load included, best of 3)\n' "wangge assign (end to end)" \
  "$(echo "$N / $best / 1000000" | bc -l)" "$(printf %.3f "$best")"

# Streaming: ten times the rows through the same command; memory must not grow with the input.
$w bench points --db "$db" --count $((N * 10)) --seed 8 > "$out/points10.csv"
/usr/bin/time -f "%e %M" -o "$out/time10.txt" $w assign --db "$db" < "$out/points10.csv" > /dev/null
read -r secs10 rss10 < "$out/time10.txt"
printf '%-44s %.1f M points/s (%s rows in %s s, peak memory %d MiB)\n' "wangge assign (end to end, 10x rows)" \
  "$(echo "$N * 10 / $secs10 / 1000000" | bc -l)" "$((N * 10))" "$secs10" "$((rss10 / 1024))"
rm -f "$out/points10.csv"

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
