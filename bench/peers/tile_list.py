"""Tile paths for the benchmark: for each layer and zoom, up to N tiles over the county's extent
(a fixed sample, the same in every run), shuffled so that the threads share zooms evenly.
Usage: tile_list.py WEST SOUTH EAST NORTH PREFIX EXT N LAYER:MINZOOM[:MAXZOOM] ... (zooms 10 to 16 by default)"""
import math, random, sys

w, s, e, n = map(float, sys.argv[1:5])
prefix, ext, per_zoom = sys.argv[5], sys.argv[6], int(sys.argv[7])

def tile(lon, lat, z):
    k = 2 ** z
    x = int((lon + 180) / 360 * k)
    r = math.radians(lat)
    y = int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * k)
    return x, y

rng = random.Random(11)
out = []
for spec in sys.argv[8:]:
    layer, minzoom, *rest = spec.split(":")
    for z in range(max(10, int(minzoom)), int(rest[0]) + 1 if rest else 17):
        x0, y1 = tile(w, s, z)
        x1, y0 = tile(e, n, z)
        every = [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
        for x, y in rng.sample(every, min(per_zoom, len(every))):
            out.append(f"{prefix}{layer}/{z}/{x}/{y}.{ext}")
rng.shuffle(out)
print("\n".join(out))
