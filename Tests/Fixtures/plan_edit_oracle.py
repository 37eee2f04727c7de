"""Independent checks of a plan edit with shapely (the server uses GEOS through Swift).

pick BEFORE.json            a vertex held by three grids (else two), 40 m inside the plan's cover
split_line BEFORE.json CODE  an east-west line across the grid
same A.json B.json          the grids that differ between two layers
check BEFORE.json AFTER.json what a vertex move did: which vertex went where, in which grids; and
                            whether the grids it changed overlap or left a gap
Both files are the plan's grids as GeoJSON (GET /api/plans/{id}/grids, WGS84)."""
import json, math, sys
from shapely.geometry import shape, Point
from shapely.ops import unary_union


def load(path):
    return {f["properties"]["grid_id"]: f for f in json.load(open(path))["features"]}


def key(c):
    return (round(c[0], 7), round(c[1], 7))


def vertices(f):
    return {key(c) for ring in f["geometry"]["coordinates"] for c in ring[:-1]}


def m2(geom, lat):
    # square degrees to square metres at this latitude (grids are a few hundred metres across)
    return geom.area * 111320.0 ** 2 * math.cos(math.radians(lat))


def pick(before):
    # Slivers between grids drawn apart would be holes in the cover: close them (10 cm).
    cover = unary_union([shape(f["geometry"]) for f in before.values()]).buffer(1e-6)
    held = {}
    for code, f in before.items():
        for v in vertices(f):
            held.setdefault(v, []).append(code)
    for least in (3, 2):
        for v, codes in sorted(held.items()):
            if len(codes) >= least and Point(v).buffer(0.0004).within(cover):
                return {"vertex": list(v), "grids": sorted(codes)}
    return {"vertex": None, "held": {str(n): sum(1 for c in held.values() if len(c) == n) for n in (1, 2, 3)}}


def check(before, after):
    changed = sorted(c for c in before if c in after and before[c]["geometry"] != after[c]["geometry"])
    known = set().union(*(vertices(f) for f in before.values()))
    gone, came = set(), set()
    for c in changed:
        gone |= vertices(before[c]) - vertices(after[c])
        came |= vertices(after[c]) - vertices(before[c])
    # A neighbour's vertex put into an edge (noding) is not a new position.
    came -= known
    out = {"changed": changed, "from": sorted(map(list, gone)), "to": sorted(map(list, came))}
    if len(gone) == 1 and len(came) == 1:
        v, w = next(iter(gone)), next(iter(came))
        out["held_before"] = sorted(c for c in before if v in vertices(before[c]))
        out["hold_after"] = sorted(c for c in after if w in vertices(after[c]))
        out["still_hold_old"] = sorted(c for c in after if v in vertices(after[c]))
    lat = 30.8

    def overlap(gs):
        return sum(m2(g, lat) for g in gs) - m2(unary_union(gs), lat) if gs else 0.0
    b = [shape(before[c]["geometry"]) for c in changed]
    a = [shape(after[c]["geometry"]) for c in changed]
    # What the edit added: overlap among the changed grids beyond what they had, and any change
    # of the ground they cover together (a gap opened, or ground taken from a grid not changed).
    out["overlap_m2"] = overlap(a) - overlap(b)
    # Near the vertex nothing may open; along the rest of the edges a neighbour's vertex put in
    # (noding) may move a line by the 2 cm the server takes as the same place.
    moved = unary_union(b).symmetric_difference(unary_union(a)) if a else Point(0, 0).buffer(0)
    near = Point(next(iter(gone))).buffer(0.001) if len(gone) == 1 else Point(0, 0).buffer(0)
    out["gap_m2"] = m2(moved.intersection(near), lat)
    length = unary_union(b).boundary.length if b else 1.0
    out["elsewhere_mean_width_m"] = (m2(moved.difference(near), lat) / (length * 111320.0)) if b else 0.0
    return out


def split_line(before, code):
    """A straight east-west line through a point inside the grid, from beyond its west edge to
    beyond its east edge."""
    g = shape(before[code]["geometry"])
    p = g.representative_point()
    x0, _, x1, _ = g.bounds
    pad = (x1 - x0) * 0.05
    return {"line": [[x0 - pad, p.y], [x1 + pad, p.y]]}


def same(a, b):
    """Grids that differ between two layers: missing from one, or not the same polygon (shapely's
    topological equality: the ring may start elsewhere or turn the other way)."""
    differ = sorted(set(a) ^ set(b))
    for c in sorted(set(a) & set(b)):
        if not shape(a[c]["geometry"]).equals(shape(b[c]["geometry"])) or a[c]["properties"]["households"] != b[c]["properties"]["households"]:
            differ.append(c)
    return {"differ": differ, "grids": len(a)}


if __name__ == "__main__":
    if sys.argv[1] == "pick":
        print(json.dumps(pick(load(sys.argv[2]))))
    elif sys.argv[1] == "split_line":
        print(json.dumps(split_line(load(sys.argv[2]), sys.argv[3])))
    elif sys.argv[1] == "same":
        print(json.dumps(same(load(sys.argv[2]), load(sys.argv[3]))))
    else:
        print(json.dumps(check(load(sys.argv[2]), load(sys.argv[3]))))
