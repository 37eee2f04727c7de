"""The grid worker's page /m in headless Chromium with a phone's screen (over WebDriver and
DevTools): time until the page is interactive (its cases listed and its buttons live; the page
marks it in document.body.dataset.interactiveMs, ms since navigation start) under 4x CPU slowdown
and a network profile, first visit (nothing cached) and repeat visit (the service worker and the
list last seen); then the round trip of a transition from the page on loopback (click to the new
state shown, the page's own fetches included).
Usage: mobile_page.py BASE_URL WORKER_TOKEN CASE_IDS_FILE"""
import json, statistics, sys, time
from webdriver import call, phone_session, start

base, token, ids_file = sys.argv[1], sys.argv[2], sys.argv[3]
ids = [int(x) for x in open(ids_file).read().split()]

# Chrome DevTools' presets (throughput in bytes/s, latency per request in ms).
PROFILES = [
    ("DevTools Slow 3G (2,000 ms, 50 KB/s)", 2000, 500 * 1000 / 8 * 0.8, 500 * 1000 / 8 * 0.8),
    # WebPageTest's "3G Slow" (400 ms round trip, 400 kbit/s): a slow-3G profile whose latency is
    # a network's, where DevTools' preset adds 2 s to every request (more than the 1.5 s budget).
    ("WebPageTest 3G Slow (400 ms, 50 KB/s)", 400, 400 * 1000 / 8, 400 * 1000 / 8),
    ("DevTools Fast 3G (563 ms, 180 KB/s)", 562.5, 1.6 * 1000 * 1000 / 8 * 0.9, 750 * 1000 / 8 * 0.9),
]

driver, D = start(9610)

def session(): return phone_session(D)

def cdp(S, cmd, params=None): return call("POST", S + "/goog/cdp/execute", {"cmd": cmd, "params": params or {}})
def js(S, script): return call("POST", S + "/execute/sync", {"script": script, "args": []})["value"]
def js_async(S, script): return call("POST", S + "/execute/async", {"script": script, "args": []})["value"]

def signed_in(S):
    call("POST", S + "/url", {"url": base + "/m"})
    js_async(S, "const done = arguments[0]; fetch('/api/session', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({token: %s})}).then(r => done(r.status))" % json.dumps(token))

def interactive(S):
    call("POST", S + "/url", {"url": base + "/m"})
    for _ in range(1200):
        v = js(S, "return document.body.dataset.interactiveMs || null")
        if v is not None:
            return float(v), js(S, "return document.querySelectorAll('#cases li[data-case]').length")
        time.sleep(0.05)
    return None, 0

try:
    for label, latency, down, up in PROFILES:
        S = session()
        signed_in(S)
        # Nothing cached: a fresh profile has neither the service worker nor the list last seen.
        js(S, "localStorage.clear(); return true")
        cdp(S, "Network.enable")
        cdp(S, "Network.clearBrowserCache")
        cdp(S, "Emulation.setCPUThrottlingRate", {"rate": 4})
        cdp(S, "Network.emulateNetworkConditions", {"offline": False, "latency": latency, "downloadThroughput": down, "uploadThroughput": up})
        first, n1 = interactive(S)
        time.sleep(2)   # the service worker installs; the list is kept
        repeat, n2 = interactive(S)
        call("DELETE", S)
        print(f"  {label:<38} first visit {first:6.0f} ms   repeat visit {repeat:5.0f} ms   ({n1} cases listed; target: under 1,500 ms)")
    # Transitions from the page on loopback, no throttling.
    S = session()
    signed_in(S)
    js(S, "return true")
    interactive(S)
    times = js_async(S, """
        const done = arguments[0], ids = %s, times = [];
        (async () => {
          for (const id of ids) {
            await wangge.openCase(id);
            const b = document.querySelector('#steps button[data-step=accepted]');
            if (!b) continue;
            const t0 = performance.now();
            b.click();
            while (document.getElementById('case').dataset.status !== 'accepted') await new Promise((r) => setTimeout(r, 1));
            times.push(performance.now() - t0);
          }
          done(times);
        })().catch((e) => done(String(e)));""" % json.dumps(ids))
    call("DELETE", S)
    if isinstance(times, list) and times:
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
        print(f"  {'a step from the page (accept), loopback':<38} median {statistics.median(times):5.1f} ms   p95 {p95:5.1f} ms   ({len(times)} steps; target: p95 under 300 ms)")
    else:
        print("  steps from the page: none measured:", times)
finally:
    driver.kill()
