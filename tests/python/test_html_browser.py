"""The HTML report in a real browser: headless Chromium, driven over the DevTools protocol.

Each page that `cargo test --test html writes_pages_for_the_browser` wrote into
PLAUDIT_HTML_DIR is loaded from a file:// URL, and must
  * load (the load event fires),
  * log nothing at level error (console, CSP violations, failed loads, uncaught exceptions),
  * request nothing but the file itself (every Network.requestWillBeSent is checked).
A screenshot of each is written to PLAUDIT_SCREENSHOTS (a folder) when set.

The checker is first run on a page that does what a report must not (loads an image from the
network, logs a console error): it must report both, so a silent checker cannot pass.

Skipped unless PLAUDIT_HTML_DIR is set (scripts/test.sh sets it, after installing Debian's
chromium); PLAUDIT_CHROMIUM names the browser binary (default: chromium).
"""

import base64
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import time
import unittest

HTML_DIR = os.environ.get("PLAUDIT_HTML_DIR")
CHROMIUM = os.environ.get("PLAUDIT_CHROMIUM", "chromium")
SHOTS = os.environ.get("PLAUDIT_SCREENSHOTS")
EXPECTED = [
    "report-backend-drifted",
    "report-frontend-transit",
    "report-isolated-compliant",
    "report-synthetic-200",
]


class Browser:
    """One headless Chromium and one page, spoken to over its DevTools WebSocket."""

    def __init__(self):
        import websocket  # websocket-client, installed into .venv-test by scripts/test.sh

        self.profile = tempfile.mkdtemp(prefix="plaudit-chromium-")
        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--allow-file-access-from-files",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = pathlib.Path(self.profile) / "DevToolsActivePort"
        deadline = time.time() + 60
        while not port_file.exists() or len(port_file.read_text().splitlines()) < 2:
            if time.time() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port, path = port_file.read_text().splitlines()[:2]
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=60)
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
            session=True,
        )

    def call(self, method, params=None, session=False):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(e.get("method") == method for e in self.events):
                return
            self.ws.settimeout(max(0.1, deadline - time.time()))
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(method)

    def drain(self, seconds):
        """Collects the events of the next `seconds` (late requests, late errors)."""
        import websocket

        deadline = time.time() + seconds
        while time.time() < deadline:
            self.ws.settimeout(max(0.05, deadline - time.time()))
            try:
                self.events.append(json.loads(self.ws.recv()))
            except websocket.WebSocketTimeoutException:
                break

    def load(self, url):
        """Loads `url`; returns (requests other than `url`, errors logged)."""
        self.events = []
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_for("Page.loadEventFired")
        self.drain(1.0)
        requests, errors = [], []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Network.requestWillBeSent" and p["request"]["url"] != url:
                requests.append(p["request"]["url"])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                errors.append("console: " + " ".join(str(a.get("value")) for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                errors.append("exception: " + p["exceptionDetails"].get("text", ""))
            elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
                errors.append("log: " + p["entry"]["text"])
        return requests, errors

    def screenshot(self, path, max_height=2600):
        size = self.call("Page.getLayoutMetrics", session=True)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": 1400, "height": min(size["height"], max_height), "scale": 1}
        shot = self.call(
            "Page.captureScreenshot",
            {"format": "png", "clip": clip, "captureBeyondViewport": True},
            session=True,
        )
        pathlib.Path(path).write_bytes(base64.b64decode(shot["data"]))

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


@unittest.skipUnless(HTML_DIR, "PLAUDIT_HTML_DIR not set: scripts/test.sh renders the pages first")
class HtmlReportInChromium(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which(CHROMIUM) is None:
            raise unittest.SkipTest(f"{CHROMIUM} not installed")
        cls.browser = Browser()

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()

    def test_the_checker_sees_network_requests_and_console_errors(self):
        with tempfile.TemporaryDirectory() as d:
            bad = pathlib.Path(d) / "bad.html"
            bad.write_text(
                "<!DOCTYPE html><html><body><img src='http://127.0.0.1:9/x.png'>"
                "<script>console.error('planted error')</script></body></html>"
            )
            requests, errors = self.browser.load(bad.as_uri())
        self.assertIn("http://127.0.0.1:9/x.png", requests)
        self.assertTrue(any("planted error" in e for e in errors), errors)

    def test_each_report_loads_without_errors_or_requests(self):
        pages = sorted(pathlib.Path(HTML_DIR).glob("report-*.html"))
        self.assertEqual(sorted(p.stem for p in pages), sorted(EXPECTED))
        for page in pages:
            with self.subTest(page=page.name):
                url = page.resolve().as_uri()
                requests, errors = self.browser.load(url)
                self.assertEqual(requests, [], "the page made network requests")
                self.assertEqual(errors, [], "the page logged errors")
                title = self.browser.call(
                    "Runtime.evaluate",
                    {"expression": "document.title + '|' + document.querySelectorAll('svg.diagram path.flow').length"},
                    session=True,
                )["result"]["value"]
                self.assertTrue(title.startswith("plaudit report"), title)
                self.assertGreater(int(title.split("|")[1]), 0, "no arrow drawn")
                if SHOTS:
                    os.makedirs(SHOTS, exist_ok=True)
                    shot = pathlib.Path(SHOTS) / f"{page.stem}.png"
                    self.browser.screenshot(shot)
                    self.assertGreater(shot.stat().st_size, 10_000)


if __name__ == "__main__":
    unittest.main()
