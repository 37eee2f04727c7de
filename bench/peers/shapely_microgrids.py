"""Peer figures for validating the demo layer with its micro-grids with shapely 2: the same checks
as `wangge grids validate` — grids valid, not overlapping, no gaps in their village, none crossing
it; micro-grids valid, not overlapping, none reaching outside their grid, no gap in it."""
import json
import sys
import time
from collections import defaultdict

import shapely

grids_path, micro_path, villages_path = sys.argv[1:4]


def load(path, key):
    with open(path) as f:
        fs = json.load(f)["features"]
    return [ft["properties"][key] for ft in fs], [shapely.from_geojson(json.dumps(ft["geometry"])) for ft in fs]


gcodes, gpolys = load(grids_path, "grid_id")
mcodes, mpolys = load(micro_path, "microgrid_id")
vcodes, vpolys = load(villages_path, "code")
villages = dict(zip(vcodes, vpolys))
grid_of = dict(zip(gcodes, gpolys))


def pieces_of(codes, polys, parent, parents):
    """overlaps among the pieces, gaps in each parent, pieces crossing it"""
    problems = int((~shapely.is_valid(polys)).sum())
    tree = shapely.STRtree(polys)
    a, b = tree.query(polys, predicate="overlaps")
    for i, j in zip(a, b):
        if i < j and shapely.area(shapely.intersection(polys[i], polys[j])) > 1e-10:
            problems += 1
    members = defaultdict(list)
    for k, c in enumerate(codes):
        members[parent(c)].append(k)
    for code, ks in members.items():
        p = parents.get(code)
        if p is None:
            problems += len(ks)
            continue
        if shapely.area(shapely.difference(p, shapely.union_all([polys[k] for k in ks]))) > 1e-10:
            problems += 1
        for k in ks:
            if shapely.area(shapely.difference(polys[k], p)) > 1e-10:
                problems += 1
    return problems


def validate():
    return pieces_of(gcodes, gpolys, lambda c: c[:12], villages) + pieces_of(mcodes, mpolys, lambda c: c[:-3], grid_of)


best = float("inf")
for _ in range(3):
    t0 = time.perf_counter()
    n = validate()
    best = min(best, time.perf_counter() - t0)
print(f"{'shapely 2 validate with micro-grids':44} {best:.3f} s ({len(gpolys)} grids and {len(mpolys)} micro-grids, {n} problems)")
