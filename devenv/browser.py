"""A headless Chromium (Debian's ``chromium`` package) driven over the DevTools protocol,
for the page tests and the README's screenshots.

Only what those need: open a page with extra request headers (a bearer token), wait for
it to load, evaluate JavaScript in it, press keys, and take a screenshot. The protocol is
spoken over the browser's WebSocket with aiohttp (already a dependency); nothing is
downloaded at run time.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


class BrowserError(RuntimeError):
    pass


def find_chromium() -> str | None:
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


class Browser:
    """One headless Chromium process with one tab."""

    def __init__(self, width: int = 1280, height: int = 900) -> None:
        self.width, self.height = width, height
        self._profile = tempfile.TemporaryDirectory(
            prefix="l2c-chromium-", ignore_cleanup_errors=True
        )
        self._process: subprocess.Popen[bytes] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Browser:
        binary = find_chromium()
        if binary is None:
            raise BrowserError("no Chromium found (Debian: apt-get install chromium)")
        profile = Path(self._profile.name)
        self._process = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",  # root in a container has no user namespaces
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--hide-scrollbars",
                f"--window-size={self.width},{self.height}",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its helper processes too go with it
        )
        port = await self._debugging_port(profile / "DevToolsActivePort")
        self._session = aiohttp.ClientSession()
        async with self._session.get(f"http://127.0.0.1:{port}/json/list") as answer:
            targets = await answer.json()
        page = next(t for t in targets if t.get("type") == "page")
        self._ws = await self._session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)
        self._reader = asyncio.create_task(self._read())
        await self.send("Page.enable")
        await self.send("Network.enable")
        await self.send("Runtime.enable")
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=10)
        self._profile.cleanup()

    async def _debugging_port(self, announced: Path) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise BrowserError(f"chromium exited with {self._process.returncode}")
            if announced.exists() and (lines := announced.read_text().split()):
                return int(lines[0])
            await asyncio.sleep(0.05)
        raise BrowserError("chromium did not open its debugging port within 30 s")

    async def _read(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self._replies:
                self._replies.pop(data["id"]).set_result(data)
            elif "method" in data:
                await self._events.put(data)

    async def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        assert self._ws is not None
        number = next(self._ids)
        reply: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._replies[number] = reply
        await self._ws.send_str(
            json.dumps({"id": number, "method": method, "params": params or {}})
        )
        data = await asyncio.wait_for(reply, timeout=60)
        if "error" in data:
            raise BrowserError(f"{method}: {data['error'].get('message')}")
        return dict(data.get("result", {}))

    async def _until(self, method: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"no {method} within {timeout} s")
            event = await asyncio.wait_for(self._events.get(), timeout=left)
            if event["method"] == method:
                return event

    async def open(self, url: str, headers: dict[str, str] | None = None) -> int:
        """Load ``url`` (with ``headers`` on every request of the tab) and wait for its
        load event; the HTTP status of the document."""
        await self.send("Network.setExtraHTTPHeaders", {"headers": headers or {}})
        while not self._events.empty():
            self._events.get_nowait()
        navigated = await self.send("Page.navigate", {"url": url})
        if navigated.get("errorText"):
            raise BrowserError(f"{url}: {navigated['errorText']}")
        status = 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            event = await asyncio.wait_for(self._events.get(), timeout=30)
            if event["method"] == "Network.responseReceived" and event["params"]["type"] == (
                "Document"
            ):
                status = int(event["params"]["response"]["status"])
            if event["method"] == "Page.loadEventFired":
                return status
        raise BrowserError(f"{url} did not load within 30 s")

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (awaited when a promise)."""
        result = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:80]}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 30) -> Any:
        """Poll a JavaScript expression until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        raise BrowserError(f"{expression[:80]} stayed false for {timeout} s")

    async def press(self, key: str, code: str, key_code: int, shift: bool = False) -> None:
        modifiers = 8 if shift else 0
        for kind in ("rawKeyDown", "keyUp"):
            await self.send(
                "Input.dispatchKeyEvent",
                {
                    "type": kind,
                    "key": key,
                    "code": code,
                    "windowsVirtualKeyCode": key_code,
                    "modifiers": modifiers,
                },
            )

    async def tab(self, shift: bool = False) -> None:
        await self.press("Tab", "Tab", 9, shift)

    async def enter(self) -> None:
        await self.send(
            "Input.dispatchKeyEvent",
            {"type": "rawKeyDown", "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13},
        )
        await self.send("Input.dispatchKeyEvent", {"type": "char", "text": "\r"})
        await self.send(
            "Input.dispatchKeyEvent",
            {"type": "keyUp", "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13},
        )

    async def screenshot(self, path: Path, full_page: bool = True) -> Path:
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            size = await self.send("Page.getLayoutMetrics")
            content = size["cssContentSize"]
            params["clip"] = {
                "x": 0,
                "y": 0,
                "width": max(self.width, content["width"]),
                "height": content["height"],
                "scale": 1,
            }
        shot = await self.send("Page.captureScreenshot", params)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path
