"""``qms demo`` as a newcomer runs it: every app starts, the emulated keypad typed on the
demo's terminal calls a number that the emulated LED board then shows, and the emulated pad's
key 4 stores "Rất hài lòng"; ``--check`` leaves the demo database as it was and proves that a
ticket's QR code opens where the demo listens; ``scripts/dev.py`` passes Ctrl+C to the demo
and exits without a traceback; the package installs without warnings about its metadata.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tomllib
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

from server.app.serve import start_server
from server.config import load_settings
from server.demo import phone_address, qr_help, with_phone_public_url
from server.demo_apps import CONSOLE_HELP_TITLE, CONSOLE_PREFIX, DemoApp, DemoApps
from server.protocol.client import ProtocolClient

KIOSK_TOKEN = "demo-kiosk-token-0001"  # from server/config/demo.toml
ADMIN_TOKEN = "demo-admin-token-0001"
SITE = "hcc-tinh"
ROOT = Path(__file__).resolve().parents[2]
CHECK_SECONDS = 60


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
    # The details (connections per site) are for an admin token: the demo's own.
    request = urllib.request.Request(f"{http_url}/health",
                                     headers={"Authorization": "Bearer demo-admin-token-0001"})
    with urllib.request.urlopen(request, timeout=10) as answer:
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
            await demo.wait_for_line(re.escape(CONSOLE_HELP_TITLE))
            # The banner says which pad key is which label.
            await demo.wait_for_line(r"^      4 = Rất hài lòng / Very satisfied$")
            # kiosk, bridge, counter terminal and lobby display are all connected.
            await _connections_reach(http_url, 4)
            async with ProtocolClient(ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk, \
                    ProtocolClient(ws_url, "admin", ADMIN_TOKEN, SITE,
                                   subscribe=["rating.received"]) as admin:
                ticket = (await kiosk.request("issue", service="DD-NOP",
                                              request_key="demo-test"))["ticket"]
                assert ticket["number"] == "1001"
                # "n" on the demo's terminal is NEXT on the emulated keypad of counter Q01.
                await demo.type_line("n")
                await demo.wait_for_line(re.escape(CONSOLE_PREFIX) + r"LED 0x21: 1001 -> 1")
                called = await kiosk.request("ticket", ticket_id=ticket["id"])
                assert called["ticket"]["status"] == "called"
                assert called["ticket"]["counter"] == "Q01"
                # "f" finishes and lights the pad; its key 4 is "Rất hài lòng", as the
                # counter's rating screen and the ticket's QR page have it.
                await demo.type_line("f")
                await demo.wait_for_line(re.escape(CONSOLE_PREFIX) + r"pad 0x31: lit for .*"
                                         r"4 Rất hài lòng / Very satisfied")
                await demo.type_line("4")
                await demo.wait_for_line(re.escape(CONSOLE_PREFIX)
                                         + r"pad: key 4 = Rất hài lòng / Very satisfied")
                rating = await admin.next_event("rating.received", timeout=30)
                assert (rating.data["ticket_id"], rating.data["score"],
                        rating.data["label"]) == (ticket["id"], 4, "Rất hài lòng")
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


def run_check(*options: str) -> str:
    """``qms demo --check`` with ``options``; its output, once it has exited 0."""
    finished = subprocess.run(
        [sys.executable, "-m", "server.cli", "demo", "--check", "--port", "0", *options],
        capture_output=True, text=True, timeout=CHECK_SECONDS, cwd=ROOT)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return finished.stdout


async def test_the_check_leaves_the_demo_database_for_the_next_demo(tmp_path: Path) -> None:
    output = run_check("--data-dir", str(tmp_path))
    assert re.search(r"check: issued 1001 .* called 1001 to .* finished it and closed the "
                     r"counter", output), output
    assert "Ctrl+C" not in output  # it stops by itself
    # The next demo starts on a database without the check's ticket: nothing on the LED
    # board or the lobby's list of calls, counter Q01 closed, and numbers from 1001 again.
    settings = load_settings()
    running = await start_server(settings, host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{tmp_path / 'qms.sqlite3'}")
    try:
        async with ProtocolClient(running.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
            state = (await kiosk.request("snapshot"))["state"]
            assert state["recent_calls"] == []
            q01 = next(item for item in state["counters"] if item["code"] == "Q01")
            assert (q01["status"], q01["ticket"]) == ("closed", None)
            ticket = (await kiosk.request("issue", service="DD-NOP",
                                          request_key="after-check"))["ticket"]
            assert ticket["number"] == "1001"
    finally:
        await running.stop()


def test_a_check_on_a_named_database_leaves_no_ticket_in_hand(tmp_path: Path) -> None:
    database = tmp_path / "named.sqlite3"
    output = run_check("--data-dir", str(tmp_path), "--db", f"sqlite:///{database}")
    assert f"check: on sqlite:///{database}" in output
    assert "finished it and closed the counter" in output
    assert database.exists()


@pytest.mark.skipif(sys.platform != "linux", reason="127.0.0.2 is a local address on Linux")
def test_the_tickets_qr_code_names_the_address_the_demo_listens_on(tmp_path: Path) -> None:
    # 127.0.0.2 stands in for a LAN address (--host 192.168.1.23): the configured public_url
    # names 127.0.0.1, where this server does not listen.
    output = run_check("--data-dir", str(tmp_path), "--host", "127.0.0.2")
    found = re.search(r"its QR page (http://\S+) answered 200", output)
    assert found, output
    assert re.match(r"http://127\.0\.0\.2:\d+/t/\S+$", found.group(1)), found.group(1)


def test_phones_get_the_lan_address_or_the_banner_says_how() -> None:
    local = "http://127.0.0.1:8765"
    assert phone_address(local, "192.168.1.23", None) == "192.168.1.23"
    assert phone_address(local, "0.0.0.0", "192.168.1.23") == "192.168.1.23"
    assert phone_address(local, "0.0.0.0", None) is None
    assert phone_address(local, "127.0.0.1", "192.168.1.23") is None
    assert phone_address("http://qms.hcc.example:8765", "0.0.0.0", "192.168.1.23") is None
    # Listening on 127.0.0.1 (the default), the banner gives the exact command.
    lines = qr_help("http://127.0.0.1:8765", "192.168.1.23")
    assert "python3 scripts/dev.py demo --host 192.168.1.23" in "\n".join(lines)
    assert "public_url" in "\n".join(lines)
    assert qr_help("http://192.168.1.23:8765", "192.168.1.23") == [
        "  ticket QR codes: http://192.168.1.23:8765/t/..."]


def test_a_lan_host_with_any_port_gets_a_public_url_with_the_port_it_listens_on() -> None:
    settings = load_settings()
    settings = replace(settings, server=replace(settings.server, host="127.0.0.2", port=0))
    changed = with_phone_public_url(settings, None)
    assert changed.server.port != 0
    assert changed.server.public_url == f"http://127.0.0.2:{changed.server.port}"
    assert with_phone_public_url(load_settings(), "192.168.1.23") == load_settings()


CHILD_PROGRAM = """
import sys, time
try:
    print("ready", flush=True)  # inside the try: Ctrl+C comes once this is read
    time.sleep(60)
except KeyboardInterrupt:
    time.sleep(0.5)  # stopping takes a while, as the demo stops its apps and its server
    print("stopped cleanly", flush=True)
    sys.exit(3)
"""
PARENT_PROGRAM = """
import runpy, sys
dev = runpy.run_path(sys.argv[1])
sys.exit(dev["run_program"](sys.executable, "-c", sys.argv[2]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="sends Ctrl+C as SIGINT to a group")
def test_ctrl_c_in_dev_py_lets_the_demo_stop_and_prints_no_traceback() -> None:
    # scripts/dev.py running a program that needs time to stop, as it runs the demo; the
    # terminal sends Ctrl+C to the whole foreground group, both the script and the program.
    process = subprocess.Popen(
        [sys.executable, "-c", PARENT_PROGRAM, str(ROOT / "scripts" / "dev.py"), CHILD_PROGRAM],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stdout is not None
        while (line := process.stdout.readline()) and line.strip() != "ready":
            pass
        assert line.strip() == "ready"
        os.killpg(process.pid, signal.SIGINT)
        output, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "stopped cleanly" in output  # not killed while stopping
    assert process.returncode == 3, errors  # the program's own status
    assert "Traceback" not in errors and "KeyboardInterrupt" not in errors, errors


def test_the_package_metadata_uses_a_licence_expression() -> None:
    # setuptools (77 and later) warns three times during every install while `license` is a
    # table; a plain SPDX expression is the current form.
    with (ROOT / "pyproject.toml").open("rb") as stream:
        project = tomllib.load(stream)
    assert project["project"]["license"] == "MIT"
    requires = project["build-system"]["requires"]
    assert any(re.fullmatch(r"setuptools>=(\d+)", item) and int(item.split(">=")[1]) >= 77
               for item in requires), requires


async def test_the_demo_windows_tile_a_full_hd_screen(tmp_path: Path) -> None:
    """Without a window manager the windows would all open at 0,0 over each other: the demo
    gives each a quarter of a 1920x1080 screen (the terminal keeps the fourth)."""
    from counter.settings import parse_settings as counter_settings
    from display.settings import parse_arguments as display_arguments
    from kiosk.settings import parse_arguments as kiosk_arguments
    from server.app.serve import start_server
    from server.config import load_settings
    from server.demo_apps import demo_apps

    settings = load_settings(None)
    running = await start_server(settings, host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    try:
        apps = {app.name: app.arguments[1:] for app in demo_apps(settings, running)}
    finally:
        await running.stop()
    kiosk, _ = kiosk_arguments(apps["kiosk"], {}, tmp_path)
    counter = counter_settings(apps["counter"])
    display, _ = display_arguments(apps["display"])
    placed = [(kiosk.window_position, kiosk.window_size), (counter.position, counter.size),
              (display.position, display.size)]
    rectangles = []
    for position, size in placed:
        assert position is not None
        rectangles.append((*position, *size))
    for x, y, width, height in rectangles:
        assert min(x, y) >= 0 and x + width <= 1920 and y + height <= 1080
    for index, (x, y, width, height) in enumerate(rectangles):
        for other_x, other_y, other_width, other_height in rectangles[index + 1:]:
            assert (x + width <= other_x or other_x + other_width <= x
                    or y + height <= other_y or other_y + other_height <= y)
