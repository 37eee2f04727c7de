"""Reads a GPX file with gpxpy and applies Wangge's documented upload rule, independently.

argv: the GPX file, and the last stored fix before it as "epoch,lon,lat" (or "-").
stdout: {"points": n read, "kept": [epoch seconds of kept fixes], "too_fast": n, "repeated": n}

Rule: a fix repeating the time of the last kept one (or going back to it) is dropped as repeated;
one implying more than 150 km/h from the last kept one (great-circle distance) is dropped as too
fast; the others are kept.
"""
import json
import sys

import gpxpy
from gpxpy.geo import haversine_distance


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        gpx = gpxpy.parse(f)
    points = [p for t in gpx.tracks for s in t.segments for p in s.points]
    last = None
    if sys.argv[2] != "-":
        t, lon, lat = (float(x) for x in sys.argv[2].split(","))
        last = (t, lat, lon)
    kept, fast, repeated = [], 0, 0
    for p in points:
        t = p.time.timestamp()
        if last is not None:
            dt = t - last[0]
            if dt <= 0:
                repeated += 1
                continue
            if haversine_distance(last[1], last[2], p.latitude, p.longitude) / dt > 150 / 3.6:
                fast += 1
                continue
        kept.append(t)
        last = (t, p.latitude, p.longitude)
    json.dump({"points": len(points), "kept": kept, "too_fast": fast, "repeated": repeated}, sys.stdout)


if __name__ == "__main__":
    main()
