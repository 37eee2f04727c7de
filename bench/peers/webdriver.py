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
