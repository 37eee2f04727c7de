"""Independent oracle for micro-grid validation (shapely 2): the micro-grids' overlaps, overhangs
and the gaps they leave in their grids, over 1 m², from two GeoJSON files (grids with grid_id,
micro-grids with microgrid_id). Prints a JSON list of [kind, ids]; gaps name the grid."""
import json
import math
import sys
from collections import defaultdict

from shapely.geometry import shape
import shapely


def m2(g):
    if g.is_empty:
        return 0.0
    lat = g.representative_point().y
    return g.area * 111_320.0 ** 2 * math.cos(math.radians(lat))


def parts(g):
    return list(getattr(g, "geoms", [g]))


grids = {f["properties"]["grid_id"]: shape(f["geometry"]) for f in json.load(open(sys.argv[1]))["features"]}
micro = [(f["properties"]["microgrid_id"], shape(f["geometry"])) for f in json.load(open(sys.argv[2]))["features"]]
by_grid = defaultdict(list)
for code, g in micro:
    by_grid[code[:-3]].append((code, g))
out = []
for grid, ms in sorted(by_grid.items()):
    if grid not in grids:
        out += [["microgrid_orphan", [c]] for c, _ in ms]
        continue
    area = grids[grid]
    for i in range(len(ms)):
        for j in range(i + 1, len(ms)):
            if m2(ms[i][1].intersection(ms[j][1])) > 1:
                out.append(["microgrid_overlap", sorted([ms[i][0], ms[j][0]])])
        if any(m2(p) > 1 for p in parts(ms[i][1].difference(area))):
            out.append(["microgrid_crosses_grid", [ms[i][0]]])
    gap = area.difference(shapely.union_all([g for _, g in ms]))
    if any(m2(p) > 1 for p in parts(gap)):
        out.append(["microgrid_gap", [grid]])
print(json.dumps(out))
