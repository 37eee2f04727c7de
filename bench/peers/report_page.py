"""The residents' page /report in headless Chromium with a phone's screen (WebDriver and DevTools):
time until it is interactive (document.body.dataset.interactiveMs, ms since navigation start),
opened from a QR code's link with nothing cached, under 4x CPU slowdown and three networks.
Usage: report_page.py BASE_URL UNIT"""
import sys, time
from webdriver import call, phone_session, start

base, unit = sys.argv[1], sys.argv[2]
PROFILES = [
    ("4x CPU, loopback network", None),
    ("4x CPU, DevTools Fast 3G (563 ms, 180 KB/s)", (562.5, 1.6e6 / 8 * 0.9, 750e3 / 8 * 0.9)),
    ("4x CPU, WebPageTest 3G Slow (400 ms, 50 KB/s)", (400, 400e3 / 8, 400e3 / 8)),
    ("4x CPU, DevTools Slow 3G (2,000 ms, 50 KB/s)", (2000, 500e3 / 8 * 0.8, 500e3 / 8 * 0.8)),
]
driver, D = start(9611)

def session(): return phone_session(D)

def cdp(S, cmd, params=None): return call("POST", S + "/goog/cdp/execute", {"cmd": cmd, "params": params or {}})
def js(S, script): return call("POST", S + "/execute/sync", {"script": script, "args": []})["value"]

try:
    for label, net in PROFILES:
        times = []
        for _ in range(3):
            S = session()
            cdp(S, "Network.enable")
            cdp(S, "Network.clearBrowserCache")
            cdp(S, "Emulation.setCPUThrottlingRate", {"rate": 4})
            if net:
                cdp(S, "Network.emulateNetworkConditions", {"offline": False, "latency": net[0], "downloadThroughput": net[1], "uploadThroughput": net[2]})
            call("POST", S + "/url", {"url": f"{base}/report?unit={unit}"})
            v = None
            for _ in range(1200):
                v = js(S, "return document.body.dataset.interactiveMs || null")
                if v is not None: break
                time.sleep(0.05)
            times.append(float(v))
            call("DELETE", S)
        times.sort()
        print(f"  {label:<46} interactive {times[1]:6.0f} ms (median of 3, first visit; target: under 1,500 ms)")
finally:
    driver.terminate()
