"""Debian's chromium for the tests that look at a page or a notebook in a real browser (headless), and a small
DevTools-protocol driver for pages that need more than a screenshot (JupyterLab)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import subprocess
import time
import urllib.request

CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--enable-logging=stderr",
                "--v=0"]


def find_or_install_chromium() -> str:
    """Debian's chromium, installed with apt-get when missing and running as root (else the test is skipped)."""
    from debian import ensure

    return ensure(("chromium", "chromium-browser", "google-chrome"), ("chromium",))


class DevTools:
    """A headless chromium page driven over the DevTools protocol (tornado's websocket client, no extra package).

    Records what the page logs: ``console`` holds every console error, uncaught exception and error log entry.
    """

    def __init__(self, chromium: str, profile: str, size: tuple[int, int] = (1280, 1000)) -> None:
        os.makedirs(profile, exist_ok=True)
        self.log = os.path.join(profile, "chromium.log")  # a file, not a pipe: chromium never blocks on its log
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen([chromium, *CHROME_FLAGS, f"--user-data-dir={profile}",
                                          f"--window-size={size[0]},{size[1]}", "--remote-debugging-port=0",
                                          "about:blank"], stdout=subprocess.DEVNULL, stderr=log)
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline and self.proc.poll() is None:
            with open(self.log) as log:
                if match := re.search(r"DevTools listening on ws://[^:]+:(\d+)/", log.read()):
                    port = match.group(1)
            time.sleep(0.1)
        assert port, "chromium did not open its DevTools port"
        pages = json_get(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30))
        self.url = next(p["webSocketDebuggerUrl"] for p in pages if p.get("type") == "page")
        self.console: list[str] = []
        self._id = 0
        self.loop = asyncio.new_event_loop()
        from tornado.websocket import websocket_connect

        async def connect() -> object:  # tornado binds futures to the running loop: create them inside it
            return await websocket_connect(self.url, max_message_size=64 * 2**20)

        self.ws = self.loop.run_until_complete(connect())
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def _record(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.console.append(details.get("exception", {}).get("description") or details.get("text", ""))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.console.append(f"{params['entry'].get('source')}: {params['entry'].get('text')}")

    def call(self, method: str, **params: object) -> dict:
        """Send one DevTools command and return its result (events that arrive meanwhile are recorded)."""

        self._id += 1
        async def send() -> None:
            await self.ws.write_message(json.dumps({"id": self._id, "method": method, "params": params}))

        async def receive() -> str | None:  # a page that stops answering fails the test instead of hanging it
            return await asyncio.wait_for(self.ws.read_message(), timeout=180)

        self.loop.run_until_complete(send())
        while True:
            raw = self.loop.run_until_complete(receive())
            assert raw is not None, "chromium closed the DevTools connection"
            message = json.loads(raw)
            if message.get("id") == self._id:
                assert "error" not in message, message["error"]
                return message.get("result", {})
            self._record(message)

    def evaluate(self, expression: str) -> object:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} raised in the page: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 90.0) -> object:
        """Poll ``expression`` until it is truthy; fails with the last value after ``timeout`` seconds."""

        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {expression!r} (last value {value!r})")

    def screenshot(self, path: str) -> None:

        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as out:
            out.write(base64.b64decode(data))

    def close(self) -> None:
        self.ws.close()
        self.loop.close()
        self.proc.kill()
        self.proc.wait(timeout=30)


def json_get(response: object) -> object:

    with response:  # type: ignore[attr-defined]
        return json.loads(response.read())  # type: ignore[attr-defined]
