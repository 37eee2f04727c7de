"""The benchmarks' WebDriver client: chromedriver on a port, and its JSON calls (over urllib)."""
import json, subprocess, time, urllib.error, urllib.request


def call(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        return json.load(urllib.request.urlopen(req, timeout=180))
    except urllib.error.HTTPError as e:
        return json.load(e)


def start(port):
    """Starts chromedriver and waits until it is ready; returns (process, base URL)."""
    driver = subprocess.Popen(["chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if call("GET", url + "/status")["value"]["ready"]:
                break
        except Exception:
            time.sleep(0.05)
    return driver, url


def phone_session(driver_url):
    """A new Chromium session with a phone's screen (390 x 844, touch, an Android user agent) and a
    fresh profile; returns the session's URL."""
    import tempfile
    caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
        "binary": "/usr/bin/chromium",
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tempfile.mkdtemp()}"],
        "mobileEmulation": {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3, "touch": True},
                            "userAgent": "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"}}}}}
    sid = call("POST", driver_url + "/session", caps)["value"]["sessionId"]
    call("POST", f"{driver_url}/session/{sid}/timeouts", {"script": 300000})
    return f"{driver_url}/session/{sid}"
