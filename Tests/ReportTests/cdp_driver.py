#!/usr/bin/python3
"""Drives headless Chromium over its DevTools pipe (no extra packages) for the dashboard tests.

Usage: cdp_driver.py CHROMIUM PROFILE_DIR OUT_DIR < steps.json > result.json

Steps (a JSON list), each an object with "do":
  {"do": "open", "url": U}                       navigate and wait for the load event
  {"do": "wait", "seconds": S}
  {"do": "eval", "name": N, "js": EXPR}          evaluate; the value is stored under N
  {"do": "sample", "name": N, "js": EXPR, "seconds": S, "every": E}
                                                 evaluate every E seconds for S seconds (a list under N)
  {"do": "drag", "selector": CSS, "from": F, "to": T}
                                                 press the mouse at F (0..1 of the element's height,
                                                 centred horizontally), move to T in steps, release
  {"do": "screenshot", "file": NAME, "height": H} a PNG of the page (its first H pixels) into OUT_DIR
The result holds the stored values, "console" (console messages of level warning/error and
uncaught exceptions) and "errors" (steps that failed).
"""
import base64
import fcntl
import json
import os
import subprocess
import sys
import time


class Browser:
    def __init__(self, chromium, profile):
        to_child_r, self.to_child_w = os.pipe()
        self.from_child_r, from_child_w = os.pipe()

        def fds():
            # Chromium reads fd 3 and writes fd 4. Copy both above 10 first, so that neither
            # overwrites the other, then dup2 (which also clears close-on-exec).
            a, b = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--disable-extensions", "--remote-debugging-pipe", "--user-data-dir=" + profile,
             "--window-size=1100,900", "about:blank"],
            close_fds=False, preexec_fn=fds,  # fds 3 and 4 are set up after the fork; keep them
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def send(self, method, params=None, session=True, timeout=60):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_child_w, json.dumps(message).encode() + b"\0")
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.read(deadline - time.time())
            if m is None:
                break
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(method + ": " + json.dumps(m["error"]))
                return m.get("result", {})
            self.events.append(m)
        raise RuntimeError(method + ": no answer")

    def read(self, timeout):
        import select
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.from_child_r], [], [], max(0.0, timeout))
            if not ready:
                return None
            chunk = os.read(self.from_child_r, 1 << 20)
            if not chunk:
                return None
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def pump(self, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            m = self.read(deadline - time.time())
            if m is None:
                return
            self.events.append(m)

    def wait_event(self, method, timeout=60):
        deadline = time.time() + timeout
        for i, m in enumerate(self.events):
            if m.get("method") == method:
                del self.events[i]
                return m
        while time.time() < deadline:
            m = self.read(deadline - time.time())
            if m is None:
                break
            if m.get("method") == method:
                return m
            self.events.append(m)
        raise RuntimeError("no " + method)

    def evaluate(self, js):
        r = self.send("Runtime.evaluate", {"expression": js, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError("eval failed: " + json.dumps(r["exceptionDetails"])[:500])
        return r["result"].get("value")

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def console_lines(events):
    out = []
    for m in events:
        method, p = m.get("method"), m.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            out.append(p["type"] + ": " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:400])
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            e = p["entry"]
            out.append("log " + e.get("level", "") + ": " + e.get("text", "") + " " + e.get("url", ""))
    return out


def main():
    chromium, profile, out_dir = sys.argv[1:4]
    steps = json.load(sys.stdin)
    b = Browser(chromium, profile)
    result = {"errors": []}
    seen = []
    try:
        target = b.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        b.session = b.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        for method in ("Page.enable", "Runtime.enable", "Log.enable"):
            b.send(method)
        b.send("Emulation.setDeviceMetricsOverride", {"width": 1100, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        for step in steps:
            try:
                kind = step["do"]
                if kind == "open":
                    b.send("Page.navigate", {"url": step["url"]})
                    b.wait_event("Page.loadEventFired")
                elif kind == "wait":
                    b.pump(step["seconds"])
                elif kind == "eval":
                    result[step["name"]] = b.evaluate(step["js"])
                elif kind == "sample":
                    values, end = [], time.time() + step["seconds"]
                    while time.time() < end:
                        values.append(b.evaluate(step["js"]))
                        b.pump(step.get("every", 0.5))
                    result[step["name"]] = values
                elif kind == "drag":
                    r = b.evaluate("(function(){var e=document.querySelector(%s); if(!e) return null; var r=e.getBoundingClientRect();"
                                   "return [r.left, r.top, r.width, r.height];})()" % json.dumps(step["selector"]))
                    if r is None:
                        raise RuntimeError("no element " + step["selector"])
                    x = r[0] + r[2] / 2
                    y0, y1 = r[1] + r[3] * step["from"], r[1] + r[3] * step["to"]
                    b.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y0})
                    b.send("Input.dispatchMouseEvent", {"type": "mousePressed", "x": x, "y": y0, "button": "left", "clickCount": 1})
                    for k in range(1, 9):
                        b.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y0 + (y1 - y0) * k / 8, "button": "left", "buttons": 1})
                    b.send("Input.dispatchMouseEvent", {"type": "mouseReleased", "x": x, "y": y1, "button": "left", "clickCount": 1})
                    b.pump(0.3)
                elif kind == "screenshot":
                    height = b.evaluate("Math.ceil(document.documentElement.scrollHeight)") or 900
                    shot = b.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                             "clip": {"x": 0, "y": 0, "width": 1100, "height": min(height, step.get("height", 6000)), "scale": 1}})
                    with open(os.path.join(out_dir, step["file"]), "wb") as f:
                        f.write(base64.b64decode(shot["data"]))
                else:
                    raise RuntimeError("unknown step " + kind)
            except Exception as e:  # recorded for the test to fail on
                result["errors"].append(json.dumps(step)[:200] + ": " + str(e))
            seen = b.events
    finally:
        result["console"] = console_lines(b.events)
        b.close()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
