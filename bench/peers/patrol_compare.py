"""The peers' side of the field-work benchmark: gpxpy + shapely work out each sampled worker's day
(Tests/Fixtures/patrol_oracle.py, the README's rules written independently) and the answers are
compared with what wangge stored. argv: the sample folder."""
import glob
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures"))
import patrol_oracle  # noqa: E402


def same(a, b):
    def norm(x):
        return {
            "passes": {k: [[round(t, 3) for t in p] for p in v] for k, v in x["passes"].items() if v},
            "covered": {k: sorted(v) for k, v in x["covered"].items() if v},
            "visits": [[v[0], round(v[1], 3)] for v in x["visits"]],
        }
    return norm(a) == norm(b)


def main():
    specs = sorted(p for p in glob.glob(os.path.join(sys.argv[1], "worker-*.json")) if not p.endswith(".wangge.json"))
    agree, fixes, spent = 0, 0, 0.0
    for path in specs:
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
        t0 = time.perf_counter()
        theirs = patrol_oracle.patrol(spec)
        spent += time.perf_counter() - t0
        with open(path[:-5] + ".wangge.json", encoding="utf-8") as f:
            ours = json.load(f)
        if same(theirs, ours):
            agree += 1
        else:
            print("  differs: " + os.path.basename(path), file=sys.stderr)
        with open(spec["gpx"], encoding="utf-8") as f:
            fixes += f.read().count("<trkpt")
    print("%-44s %.2f s for %d workers (%d fixes, %.0f fixes/s); passes, coverage and visits equal for %d of %d"
          % ("gpxpy + shapely, the same rules", spent, len(specs), fixes, fixes / max(spent, 1e-9), agree, len(specs)))


if __name__ == "__main__":
    main()
