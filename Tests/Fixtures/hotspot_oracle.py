"""The emerging hot spot statistics by PySAL and friends, for Wangge's tests and benchmark.

stdin: {"grids": [GeoJSON Polygon geometries, in order], "counts": [[count per bin] per grid],
        "z": [[Wangge's z per bin, null when undefined] per grid]}
stdout: {"neighbours": [[j, ...] per grid]  (shapely: polygons that intersect, i.e. share a point),
         "z": [[esda G_Local(star=True, transform="B") Zs per bin, null for NaN] per grid],
         "mk": [[tau, p] per grid: pymannkendall.original_test on Wangge's non-null z; null for < 2],
         "fdr": [[scipy's Benjamini-Hochberg adjusted p of two-sided normal p per bin] per grid],
         "seconds": time of the esda and pymannkendall part}
"""
import json
import math
import sys
import time
import warnings

import numpy as np
import pymannkendall
from esda.getisord import G_Local
from libpysal.weights import W
from scipy import stats
from shapely import STRtree
from shapely.geometry import shape


def main() -> None:
    doc = json.load(sys.stdin)
    polygons = [shape(g) for g in doc["grids"]]
    tree = STRtree(polygons)
    neighbours = []
    for i, p in enumerate(polygons):
        hits = tree.query(p, predicate="intersects")
        neighbours.append(sorted(int(j) for j in hits if int(j) != i))
    counts = np.array(doc["counts"], dtype=float)
    n, bins = counts.shape
    w = W({i: neighbours[i] for i in range(n)}, silence_warnings=True)
    start = time.perf_counter()
    z = np.full((n, bins), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for b in range(bins):
            g = G_Local(counts[:, b], w, transform="B", star=True, permutations=0)
            z[:, b] = g.Zs
    mk = []
    for series in doc["z"]:
        values = [v for v in series if v is not None]
        if len(values) < 2:
            mk.append(None)
            continue
        r = pymannkendall.original_test(values)
        mk.append([float(r.Tau), float(r.p)])
    seconds = time.perf_counter() - start
    fdr = np.full((n, bins), np.nan)
    for b in range(bins):
        column = z[:, b]
        ok = ~np.isnan(column)
        if ok.any():
            p = 2 * stats.norm.sf(np.abs(column[ok]))
            fdr[ok, b] = stats.false_discovery_control(p, method="bh")

    def clean(a):
        return [[None if math.isnan(v) else float(v) for v in row] for row in a]

    json.dump({"neighbours": neighbours, "z": clean(z), "mk": mk, "fdr": clean(fdr), "seconds": seconds}, sys.stdout)


if __name__ == "__main__":
    main()
