"""Time to first full render of /map in headless Chromium (Debian's chromium + chromedriver, over
WebDriver): from navigation start to the moment the page has drawn boundaries, grids, cameras, open
cases and the header (the page marks it: window.wangge.renderedAt, in ms since navigation start).
Usage: first_render.py BASE_URL TOKEN RUNS"""
import json, statistics, sys, tempfile, time
from webdriver import call, start

base, token, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])

driver, D = start(9600)
try:
    times = []
    for k in range(runs):
        # A fresh browser each time: nothing in its cache (the server's caches stay warm after the first).
        profile = tempfile.mkdtemp()
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1600,1000", f"--user-data-dir={profile}"]}}}}
        sid = call("POST", D + "/session", caps)["value"]["sessionId"]
        S = f"{D}/session/{sid}"
        call("POST", S + "/url", {"url": base + "/map/config.json"})
        call("POST", S + "/cookie", {"cookie": {"name": "wangge_token", "value": token, "path": "/", "httpOnly": True}})
        call("POST", S + "/url", {"url": base + "/map"})
        ms = None
        for _ in range(300):
            v = call("POST", S + "/execute/sync", {"script": "return window.wangge && window.wangge.ready ? window.wangge.renderedAt : null", "args": []})["value"]
            if v is not None:
                ms = v
                break
            time.sleep(0.05)
        counts = call("POST", S + "/execute/sync", {"script": "return [document.querySelectorAll('path.wg-grid').length, document.querySelectorAll('path.wg-case').length, JSON.stringify(window.wangge.timings)]", "args": []})["value"]
        call("DELETE", S)
        times.append(ms)
        label = "cold server" if k == 0 else f"run {k + 1}"
        print(f"  {label:<12} {ms:7.0f} ms   ({counts[0]} grids, {counts[1]} open cases drawn; layers done at {counts[2]} ms)")
    warm = [t for t in times[1:] if t is not None]
    if warm:
        print(f"  median of the warm runs: {statistics.median(warm):.0f} ms (target: under 1,000 ms)")
finally:
    driver.kill()
