"""Peer for durable intake: the same work in SpatiaLite SQL alone, from Debian's Python.

Per case: find the grid by SpatiaLite's R*Tree (SpatialIndex) and ST_Contains, take the grid's
leader from the roster, insert the case (with its triggers), one party and two events. Durable: the
connection runs with synchronous=FULL; first a commit per case, then 64 cases per transaction (the
nearest a single SQL connection gets to group commit). Writes into the cases tables of a copy of
the demo database, so the schema, indexes and triggers are Wangge's own.
"""
import random, sqlite3, sys, time

db, count = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db, isolation_level=None)
c.enable_load_extension(True)
c.load_extension("mod_spatialite")
c.execute("PRAGMA synchronous=FULL")
rng = random.Random(11)
homes = c.execute("SELECT X(geom), Y(geom) FROM households").fetchall()
categories = ["labour", "land", "neighbour", "family", "property", "consumer", "traffic", "debt", "other"]
LOCATE = """
SELECT g.grid_id, (SELECT worker_id FROM grid_posts p WHERE p.grid_id = g.grid_id AND p.role = 'leader')
FROM grids g WHERE g.ROWID IN (SELECT ROWID FROM SpatialIndex WHERE f_table_name = 'grids' AND search_frame = MakePoint(?, ?, 4326))
  AND ST_Contains(g.geom, MakePoint(?, ?, 4326)) LIMIT 1"""
INSERT = """
INSERT INTO cases(code, category, channel, priority, description, grid_id, level, unit, worker_id, status,
  reported_at, accept_by, due_at, geom, cell)
VALUES (?, ?, 'window', 'normal', ?, ?, 'grid', ?, ?, 'assigned', ?, ?, ?, MakePoint(?, ?, 4326),
  CAST((? + 180) * 100 AS INTEGER) * 32768 + CAST((? + 90) * 100 AS INTEGER))"""
EVENT = "INSERT INTO case_events(case_id, at, actor, source, action, from_status, to_status, unit) VALUES (?, ?, 'bench', 'bench', ?, ?, ?, ?)"

def intake(k):
    lon, lat = rng.choice(homes)
    lon += (rng.random() - 0.5) * 0.001
    lat += (rng.random() - 0.5) * 0.001
    row = c.execute(LOCATE, (lon, lat, lon, lat)).fetchone()
    grid, worker = row if row else (None, None)
    now = time.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    code = "".join(rng.choice("ABCDEFGHJKMNPQRSTUVWXYZ23456789") for _ in range(12))
    cur = c.execute(INSERT, (code, categories[k % 9], f"peer {k}", grid, f"grid:{grid}", worker, now, now, now, lon, lat, lon, lat))
    case = cur.lastrowid
    c.execute("INSERT INTO case_parties(case_id, name) VALUES (?, '甲')", (case,))
    c.execute(EVENT, (case, now, "reported", None, "reported", None))
    c.execute(EVENT, (case, now, "assigned", "reported", "assigned", f"grid:{grid}"))

def run(label, n, per_txn):
    lat = []
    t0 = time.perf_counter()
    k = 0
    while k < n:
        s = time.perf_counter()
        c.execute("BEGIN IMMEDIATE")
        for _ in range(per_txn):
            intake(k)
            k += 1
        c.execute("COMMIT")
        lat.append((time.perf_counter() - s) * 1000)
    total = time.perf_counter() - t0
    lat.sort()
    print(f"{label:<44} {n / total:.0f} cases/s ({n} cases, p50 {lat[len(lat) // 2]:.2f} ms, p99 {lat[len(lat) * 99 // 100]:.2f} ms per commit)")

run("SpatiaLite SQL (Python), commit per case", count // 4, 1)
run("SpatiaLite SQL (Python), 64 per commit", count, 64)
