"""Peer figures for validating a grid layer with shapely 2: the same checks as `wangge grids
validate` (validity, overlaps, gaps inside each village, grids crossing their village), same data."""
import json
import sys
import time
from collections import defaultdict

import shapely

grids_path, villages_path = sys.argv[1:3]
with open(grids_path) as f:
    grids = json.load(f)["features"]
with open(villages_path) as f:
    villages = {ft["properties"]["code"]: shapely.from_geojson(json.dumps(ft["geometry"])) for ft in json.load(f)["features"]}
polys = [shapely.from_geojson(json.dumps(ft["geometry"])) for ft in grids]
village_of = [ft["properties"]["village_code"] for ft in grids]

def validate():
    problems = 0
    problems += int((~shapely.is_valid(polys)).sum())
    tree = shapely.STRtree(polys)
    a, b = tree.query(polys, predicate="overlaps")
    for i, j in zip(a, b):
        if i < j and shapely.area(shapely.intersection(polys[i], polys[j])) > 1e-10:
            problems += 1
    members = defaultdict(list)
    for k, v in enumerate(village_of):
        members[v].append(k)
    for code, ks in members.items():
        v = villages[code]
        union = shapely.union_all([polys[k] for k in ks])
        if shapely.area(shapely.difference(v, union)) > 1e-10:
            problems += 1
        for k in ks:
            if shapely.area(shapely.difference(polys[k], v)) > 1e-10:
                problems += 1
    return problems

best = float("inf")
for _ in range(3):
    t0 = time.perf_counter()
    n = validate()
    best = min(best, time.perf_counter() - t0)
print(f"{'shapely 2 validate (geometric checks)':44} {best:.3f} s ({len(polys)} grids, {n} geometric problems)")
