#!/usr/bin/env bash
# Early warning (issue: early warning and the monthly report): emerging hot spots of the demo year
# by week (every grid × 52 bins) from `wangge serve`, beside PySAL (esda's G_Local Gi* for each
# bin and pymannkendall for each grid) on the same cube; the warnings; the monthly PDF.
# Release build; figures printed, never asserted (the machine is shared: compare ratios).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh curl chromium fonts-wqy-microhei python3-venv >/dev/null
out=$(pwd)/bench/out/analysis
rm -rf "$out"; mkdir -p "$out"
swift build -c release --static-swift-stdlib >/dev/null
w=.build/release/wangge

db=$out/analysis.sqlite
$w demo --db "$db" --seed 1 --no-tracks >/dev/null
VIEWER=$($w token create --db "$db" --role viewer --name bench | tail -1)
GRIDS=$(sqlite3 "$db" "SELECT count(*) FROM grids")
CASES=$(sqlite3 "$db" "SELECT count(*) FROM cases")

if [ ! -x bench/.venv-pysal/bin/python ]; then
  python3 -m venv bench/.venv-pysal
  bench/.venv-pysal/bin/pip install -q "esda>=2.5" "libpysal>=4.9" "pymannkendall>=1.4" "shapely>=2,<3"
fi

$w serve --db "$db" --port 18090 --log-level error >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:18090/healthz && break; sleep 0.2; done

TO=$(TZ=Asia/Shanghai date +%Y-%m-%d)
FROM=$(TZ=Asia/Shanghai date -d "$TO -364 days" +%Y-%m-%d)
q="http://127.0.0.1:18090/api/hotspots?from=$FROM&to=$TO&bin=week"
times() {   # url, runs: "best median" in ms, each call timed by curl
  for _ in $(seq "$2"); do curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $VIEWER" "$1"; done |
    sort -n | awk '{a[NR]=$1} END {printf "%.1f %.1f\n", a[1]*1000, a[int((NR+1)/2)]*1000}'
}
curl -s -H "Authorization: Bearer $VIEWER" "$q" > "$out/hotspots.geojson"
BINS=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['bins']))" "$out/hotspots.geojson")
read -r best median < <(times "$q" 20)
echo
echo "Early warning: emerging hot spots of the demo year, $GRIDS grids × $BINS weekly bins, $CASES cases (release build)"
printf '%-44s %s ms best, %s ms median (20 calls: count, Gi*, FDR, Mann-Kendall, GeoJSON)\n' "wangge /api/hotspots (HTTP, end to end)" "$best" "$median"
# PySAL on the same cube: the counts and the weights from the server's answer; its compute only.
python3 - "$out/hotspots.geojson" > "$out/cube.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = d["features"]
json.dump({"grids": [x["geometry"] for x in f], "counts": [x["properties"]["counts"] for x in f],
           "z": [x["properties"]["z"] for x in f]}, sys.stdout)
PY
peer=$(bench/.venv-pysal/bin/python Tests/Fixtures/hotspot_oracle.py < "$out/cube.json" | python3 -c "import json,sys; print(json.load(sys.stdin)['seconds'])")
printf '%-44s %.1f ms (esda G_Local star per bin + pymannkendall per grid, compute only)\n' "PySAL (esda 2, pymannkendall)" "$(echo "$peer * 1000" | bc -l)"
printf '%-44s %.0fx\n' "wangge (whole answer) vs PySAL (compute)" "$(echo "$peer * 1000 / $best" | bc -l)"
read -r wbest wmedian < <(times "http://127.0.0.1:18090/api/warnings" 10)
printf '%-44s %s ms best, %s ms median (52 weeks of hot spots, 12 weeks of trends, open clusters)\n' "wangge /api/warnings" "$wbest" "$wmedian"
MONTH=$(TZ=Asia/Shanghai date -d "$(TZ=Asia/Shanghai date +%Y-%m-01) -1 day" +%Y-%m)
read -r pbest pmedian < <(times "http://127.0.0.1:18090/api/reports/$MONTH.pdf" 3)
read -r hbest hmedian < <(times "http://127.0.0.1:18090/api/reports/$MONTH.html" 5)
printf '%-44s %s ms best, %s ms median (3 calls; Chromium prints it)\n' "monthly report $MONTH.pdf" "$pbest" "$pmedian"
printf '%-44s %s ms best, %s ms median (5 calls: the figures and the page)\n' "monthly report $MONTH.html" "$hbest" "$hmedian"
