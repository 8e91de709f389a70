"""``qms demo`` as a newcomer runs it: every app starts, and the emulated keypad typed on the
demo's terminal calls a number that the emulated LED board then shows."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import urllib.request
from pathlib import Path

from server.demo_apps import CONSOLE_HELP, CONSOLE_PREFIX, DemoApp, DemoApps
from server.protocol.client import ProtocolClient

KIOSK_TOKEN = "demo-kiosk-token-0001"  # from server/config/demo.toml
SITE = "hcc-tinh"


class DemoProcess:
    """The demo in its own process, its terminal being two pipes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    async def wait_for_line(self, pattern: str) -> re.Match[str]:
        """The first output line (seen before or from now on) matching ``pattern``."""
        assert self.process.stdout is not None
        for line in self.lines:
            found = re.search(pattern, line)
            if found:
                return found
        while True:
            raw = await self.process.stdout.readline()
            assert raw, "the demo ended:\n" + "".join(self.lines)
            line = raw.decode()
            self.lines.append(line)
            found = re.search(pattern, line)
            if found:
                return found

    async def type_line(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text.encode() + b"\n")
        await self.process.stdin.drain()


def _health(http_url: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{http_url}/health", timeout=10) as answer:
        result: dict[str, object] = json.load(answer)
        return result


async def _connections_reach(http_url: str, wanted: int) -> None:
    while True:
        health = await asyncio.to_thread(_health, http_url)
        sites = health["sites"]
        assert isinstance(sites, list)
        if sum(int(site["connections"]) for site in sites) >= wanted:
            return
        await asyncio.sleep(0.2)  # polling the server's own health answer, not a fixed wait


async def test_the_demo_runs_every_app_and_the_typed_keypad_calls_a_number(
    tmp_path: Path
) -> None:
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "demo", "--port", "0", "--data-dir", str(tmp_path),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, env=environment)
    demo = DemoProcess(process)
    try:
        async with asyncio.timeout(90):
            ws_url = (await demo.wait_for_line(r"WebSocket : (ws://\S+)")).group(1)
            http_url = ws_url.removesuffix("/ws").replace("ws://", "http://")
            for name in ("kiosk", "bus-emulator", "bridge", "counter", "display"):
                await demo.wait_for_line(f"started {name} ")
            await demo.wait_for_line(re.escape(CONSOLE_HELP.splitlines()[0]))
            # kiosk, bridge, counter terminal and lobby display are all connected.
            await _connections_reach(http_url, 4)
            async with ProtocolClient(ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
                ticket = (await kiosk.request("issue", service="DD-NOP",
                                              request_key="demo-test"))["ticket"]
                assert ticket["number"] == "1001"
                # "n" on the demo's terminal is NEXT on the emulated keypad of counter Q01.
                await demo.type_line("n")
                await demo.wait_for_line(re.escape(CONSOLE_PREFIX) + r"LED 0x21: 1001 -> 1")
                called = await kiosk.request("ticket", ticket_id=ticket["id"])
                assert called["ticket"]["status"] == "called"
                assert called["ticket"]["counter"] == "Q01"
    finally:
        if process.returncode is None:
            process.terminate()
        assert await asyncio.wait_for(process.wait(), 60) == 0, "".join(demo.lines)
    assert not any("stopped (exit status" in line for line in demo.lines), "".join(demo.lines)


async def test_an_app_that_ends_by_itself_is_reported_with_its_log(tmp_path: Path) -> None:
    said: list[str] = []
    reported = asyncio.Event()

    def say(text: str) -> None:
        said.append(text)
        if "stopped" in text:
            reported.set()

    apps = DemoApps(tmp_path, sys.stdin, sys.stdout, say)
    apps.start([DemoApp("broken", ("no-such-command",), needs_screen=False)])
    watcher = asyncio.get_running_loop().create_task(apps.watch())
    try:
        await asyncio.wait_for(reported.wait(), 30)
    finally:
        watcher.cancel()
        await apps.stop()
    message = said[-1]
    assert "broken stopped (exit status 2)" in message
    assert "invalid choice: 'no-such-command'" in message
    assert str(tmp_path / "logs" / "broken.log") in message
