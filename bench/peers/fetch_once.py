"""Each path of a list fetched once (cold tiles), by CONNS keep-alive connections in threads;
prints tiles/s over the wall-clock time and the p50/p99 latency.
Usage: fetch_once.py HOST PORT PATHS_FILE CONNS [TOKEN]"""
import http.client, sys, threading, time

host, port, paths_file, conns = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
token = sys.argv[5] if len(sys.argv) > 5 else None
paths = [p.strip() for p in open(paths_file) if p.strip()]
headers = {"Authorization": "Bearer " + token} if token else {}
latencies, statuses, lock = [], {}, threading.Lock()

def worker(k):
    c = http.client.HTTPConnection(host, port)
    mine = []
    for p in paths[k::conns]:
        t = time.perf_counter()
        c.request("GET", p, headers=headers)
        r = c.getresponse()
        r.read()
        mine.append((time.perf_counter() - t, r.status))
    with lock:
        for d, s in mine:
            latencies.append(d)
            statuses[s] = statuses.get(s, 0) + 1

t0 = time.perf_counter()
threads = [threading.Thread(target=worker, args=(k,)) for k in range(conns)]
for t in threads: t.start()
for t in threads: t.join()
secs = time.perf_counter() - t0
latencies.sort()
p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
print(f"{len(paths) / secs:8.0f} tiles/s   p50 {p(0.5):.2f}ms p99 {p(0.99):.2f}ms   ({len(paths)} tiles in {secs:.2f} s; status {statuses})")
