"""The independent oracle of the CQL2 tests: pygeofilter (the parser tipg and pygeoapi use) reads
each filter, and its native evaluator with shapely decides which features of a GeoJSON file meet
it. pygeofilter 0.4 reads `a OR b AND c` as `(a OR b) AND c` and `_` in LIKE as a literal, so
the tests' filters bracket every mix of AND and OR and leave `_` to tests of their own. Prints, per filter, the ids it selects and the filter in pygeofilter's own cql2-json, which
the test sends to the server as a second encoding of the same filter.

usage: cql2_oracle.py FEATURES.geojson < filters (one cql2-text filter per line)
"""
import json
import re
import sys
from datetime import datetime

import shapely.geometry
from pygeofilter.backends.cql2_json import to_cql2
from pygeofilter.backends.native.evaluate import NativeEvaluator
from pygeofilter.parsers.cql2_text import parse


def record(feature):
    row = dict(feature["properties"])
    for key, value in row.items():
        # Times are RFC 3339 text in the features; the filters compare them as instants.
        if key.endswith("_at") and isinstance(value, str):
            row[key] = datetime.fromisoformat(value)
    row["geometry"] = shapely.geometry.shape(feature["geometry"])
    return row


def meets(match, row):
    """A comparison with a null property is not met (pygeofilter raises TypeError on None < 1);
    the tests' filters put no NOT above one, where SQL's unknown would differ."""
    try:
        return bool(match(row))
    except TypeError:
        return False


def boxes_as_polygons(text):
    """pygeofilter 0.4's native evaluator cannot evaluate BBOX(…) (NameError): the same box as WKT."""
    def polygon(m):
        x0, y0, x1, y1 = (v.strip() for v in m.group(1).split(","))
        return f"POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"
    return re.sub(r"BBOX\(([^)]*)\)", polygon, text, flags=re.IGNORECASE)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        features = json.load(f)["features"]
    rows = [(str(f["id"]), record(f)) for f in features]
    out = []
    for line in sys.stdin:
        text = line.strip()
        if not text:
            continue
        node = parse(boxes_as_polygons(text))
        match = NativeEvaluator(use_getattr=False).evaluate(node)
        ids = sorted(fid for fid, row in rows if meets(match, row))
        out.append({"filter": text, "ids": ids, "json": json.loads(to_cql2(node))})
    json.dump(out, sys.stdout, ensure_ascii=False)


main()
