"""A small driver of Debian's headless Chromium through its DevTools protocol (websocket-client): open a page,
count its network requests, collect console errors and exceptions, run script, move the mouse, screenshot."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-port=0", "--mute-audio"]


def find_chromium() -> str | None:
    """The Chromium binary: $REEPLAN_CHROMIUM, chromium on PATH, or /usr/bin/chromium."""
    for candidate in (os.environ.get("REEPLAN_CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser"),
                      "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


class Browser:
    """One headless Chromium with a fresh profile; ``open(path)`` gives a ``Tab``. A context manager."""

    def __init__(self, binary: str, width: int = 1280, height: int = 900):
        self.profile = tempfile.mkdtemp(prefix="reeplan-chromium-")
        self.proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={self.profile}",
                                      f"--window-size={width},{height}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.width, self.height = width, height
        url = None
        deadline = time.monotonic() + 60
        assert self.proc.stderr is not None
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                break
            if "DevTools listening on" in line:
                url = line.split("DevTools listening on", 1)[1].strip()
                break
        if url is None:
            self.close()
            raise RuntimeError("Chromium did not start its DevTools endpoint")
        import websocket  # websocket-client (test extra)

        self.ws = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self._id = 0

    def send(self, method: str, params: dict | None = None, session: str | None = None, events: list | None = None):
        """One DevTools command; events that arrive meanwhile go to ``events``."""
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if events is not None and "method" in reply:
                events.append(reply)

    def open(self, path: Path) -> Tab:
        """A new tab with ``path`` loaded (requests, console and exceptions recorded from before the load)."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        return Tab(self, session, Path(path))

    def close(self) -> None:
        """Stop Chromium (the process this object started) and remove its profile."""
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Tab:
    """A loaded page: ``requests`` (every request after the page's own file), ``errors`` (console errors,
    exceptions, log errors), ``eval``, ``hover``, ``click``, ``screenshot``."""

    def __init__(self, browser: Browser, session: str, path: Path):
        self.b, self.session, self.events = browser, session, []
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.cmd(f"{domain}.enable")
        self.cmd("Emulation.setDeviceMetricsOverride", {"width": browser.width, "height": browser.height,
                                                        "deviceScaleFactor": 1, "mobile": False})
        self.url = path.resolve().as_uri()
        self.cmd("Page.navigate", {"url": self.url})
        self.wait_for("Page.loadEventFired")
        self.wait(lambda: self.eval("document.body && document.body.getAttribute('data-ready')") == "1", 20)
        time.sleep(0.3)
        self.pump()

    def cmd(self, method: str, params: dict | None = None):
        """One command in this tab."""
        return self.b.send(method, params, self.session, self.events)

    def pump(self) -> None:
        """Collect the events that have arrived."""
        self.eval("1")

    def wait_for(self, method: str, timeout: float = 30) -> None:
        """Wait until an event of this name has arrived."""
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(method)
            self.b.ws.settimeout(max(0.1, deadline - time.monotonic()))
            reply = json.loads(self.b.ws.recv())
            if "method" in reply:
                self.events.append(reply)
        self.b.ws.settimeout(60)

    def wait(self, condition, timeout: float = 10) -> None:
        """Poll ``condition()`` until true."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met")
            time.sleep(0.1)

    def eval(self, expression: str):
        """The value of a JavaScript expression in the page."""
        out = self.cmd("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in out:
            raise RuntimeError(f"{expression}: {out['exceptionDetails']}")
        return out["result"].get("value")

    @property
    def requests(self) -> list[str]:
        """URLs requested, apart from the page's own file."""
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"
                and e["params"]["request"]["url"] != self.url]

    @property
    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries."""
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(json.dumps(p.get("exceptionDetails", {}))[:500])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(p["entry"].get("text", ""))
        return out

    def center(self, selector: str) -> tuple[float, float]:
        """The viewport point at the middle of the first element matching ``selector`` (scrolled into view)."""
        box = self.eval(f"(function(){{var e=document.querySelector({json.dumps(selector)});"
                        "e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();"
                        "return [r.left+r.width/2, r.top+r.height/2];})()")
        return float(box[0]), float(box[1])

    def mouse(self, kind: str, x: float, y: float, **extra) -> None:
        """A mouse event at (x, y) (kind: mouseMoved, mousePressed, mouseReleased, mouseWheel)."""
        self.cmd("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, **extra})

    def hover(self, selector: str, dx: float = 0, dy: float = 0) -> None:
        """Move the mouse over an element."""
        x, y = self.center(selector)
        self.mouse("mouseMoved", x + dx, y + dy)
        time.sleep(0.1)

    def click(self, selector: str) -> None:
        """Click an element."""
        x, y = self.center(selector)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.mouse(kind, x, y, button="left", clickCount=1)
        time.sleep(0.1)

    def screenshot_of(self, selector: str, path: Path) -> Path:
        """A PNG of one element (e.g. a section), wherever it is on the page."""
        box = self.eval(f"(function(){{var r=document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
                        "return [r.left+window.scrollX, r.top+window.scrollY, r.width, r.height];})()")
        data = self.cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": {
            "x": box[0], "y": box[1], "width": box[2], "height": min(box[3], 4000), "scale": 1}})["data"]
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        """A PNG of the page (``full_page``: the whole length, else the viewport)."""
        params: dict = {"format": "png"}
        if full_page:
            size = self.eval("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size[0], "height": min(size[1], 16000), "scale": 1})
        data = self.cmd("Page.captureScreenshot", params)["data"]
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path
