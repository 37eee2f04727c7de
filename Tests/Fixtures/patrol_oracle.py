"""A worker's day of patrol, worked out independently with gpxpy and shapely from the README's rules.

argv: a JSON file {"gpx": path, "grids": [{"code", "rings": [[[lon, lat], ...], ...]}] (the worker's),
      "households": [{"id", "lon", "lat", "households"}] (at least those near the track)}.
stdout: {"passes": {code: [[start, end], ...]}, "covered": {code: [ids]}, "visits": [[id, start], ...]}

Rules: a pass is a run of consecutive fixes (each less than 5 minutes after the one before) inside
one grid lasting at least 10 minutes; a grid's
coverage is its households within 50 m of the track inside it, the track being the fixes and the
segments between consecutive fixes less than 5 minutes apart (clipped to the grid); a visit is a run
of consecutive fixes within 30 m of one household lasting at least 3 minutes, one per household.
Distances are measured on the tangent plane at each household, with the WGS84 radii of curvature.
"""
import json
import math
import sys

import gpxpy
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import transform

A, E2 = 6378137.0, 0.00669437999014


def plane(lon0, lat0):
    rad = math.pi / 180
    s = math.sin(lat0 * rad)
    w = 1 - E2 * s * s
    kx = A / math.sqrt(w) * math.cos(lat0 * rad) * rad
    ky = A * (1 - E2) / (w * math.sqrt(w)) * rad
    return lambda x, y, z=None: ((x - lon0) * kx, (y - lat0) * ky)


def patrol(spec):
    with open(spec["gpx"], encoding="utf-8") as f:
        gpx = gpxpy.parse(f)
    fixes = [(p.time.timestamp(), p.longitude, p.latitude) for t in gpx.tracks for s in t.segments for p in s.points]
    grids = {g["code"]: Polygon(g["rings"][0], g["rings"][1:]) for g in spec["grids"]}
    homes = spec["households"]
    planes = {h["id"]: plane(h["lon"], h["lat"]) for h in homes}

    where = []
    for _, lon, lat in fixes:
        pt = Point(lon, lat)
        where.append(next((c for c, poly in grids.items() if poly.contains(pt)), None))

    passes = {}
    k = 0
    while k < len(fixes):
        code = where[k]
        end = k
        while end + 1 < len(fixes) and code is not None and where[end + 1] == code and fixes[end + 1][0] - fixes[end][0] < 300:
            end += 1
        if code is not None and fixes[end][0] - fixes[k][0] >= 600:
            passes.setdefault(code, []).append([fixes[k][0], fixes[end][0]])
        k = end + 1

    # The track inside each grid: its fixes, and its joined segments clipped to it.
    pieces = {c: [] for c in grids}
    for i, (t, lon, lat) in enumerate(fixes):
        if where[i] is not None:
            pieces[where[i]].append(Point(lon, lat))
        if i + 1 < len(fixes) and fixes[i + 1][0] - t < 300:
            seg = LineString([(lon, lat), (fixes[i + 1][1], fixes[i + 1][2])])
            for c, poly in grids.items():
                if seg.intersects(poly):
                    part = seg.intersection(poly)
                    if not part.is_empty:
                        pieces[c].append(part)
    covered = {}
    for c, poly in grids.items():
        for h in homes:
            if not poly.contains(Point(h["lon"], h["lat"])):
                continue
            f = planes[h["id"]]
            here = Point(0, 0)
            if any(here.distance(transform(f, g)) <= 50 for g in pieces[c] if g.distance(Point(h["lon"], h["lat"])) < 0.002):
                covered.setdefault(c, []).append(h["id"])

    visits = []
    for h in homes:
        f = planes[h["id"]]
        start, last = None, None
        done = False
        for t, lon, lat in fixes:
            x, y = f(lon, lat)
            if math.hypot(x, y) <= 30:
                if start is None:
                    start = t
                last = t
            else:
                if start is not None and last - start >= 180 and not done:
                    visits.append([h["id"], start])
                    done = True
                start = None
        if start is not None and last - start >= 180 and not done:
            visits.append([h["id"], start])
    return {"passes": passes, "covered": {c: sorted(v) for c, v in covered.items()}, "visits": sorted(visits, key=lambda v: v[1])}


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        json.dump(patrol(json.load(f)), sys.stdout)


if __name__ == "__main__":
    main()
