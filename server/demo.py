"""``qms demo``: the whole system on the demo configuration and the embedded SQLite.

The server runs in this process; a kiosk (with the virtual printer writing PNG tickets), a
counter terminal, a lobby display, and the serial-bus emulator with the hardware bridge run as
child processes, each an ordinary protocol client. ``--check`` proves the server round trip
(issue, call) and exits without opening windows.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from server.app.serve import RunningServer, start_server
from server.config.settings import Role, Settings, SiteSettings
from server.protocol.client import ProtocolClient

logger = logging.getLogger(__name__)

DEMO_PASSWORD_NOTE = "every demo officer's password is demo1234"


@dataclass(frozen=True)
class DemoApp:
    """One child process of the demo: a name for the log, and its arguments.

    ``module`` runs ``python -m module arguments`` instead of ``qms arguments``;
    ``keeps_stdin`` gives it a pipe that stays open (the emulator's console stops at EOF).
    """

    name: str
    arguments: tuple[str, ...]
    needs_screen: bool = True
    module: str = "server.cli"
    keeps_stdin: bool = False


async def run_demo(settings: Settings, database_url: str | None, check: bool = False) -> int:
    from server.cli import _wait_for_stop_signal

    running = await start_server(settings, database_url=database_url)
    children: list[subprocess.Popen[bytes]] = []
    try:
        print(connection_help(settings, running), flush=True)
        if check:
            await _round_trip(settings.sites[0], running)
            return 0
        children = start_apps(demo_apps(settings, running), settings.server.data_dir)
        await _wait_for_stop_signal()
        return 0
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                await asyncio.to_thread(child.wait, 10)
            except subprocess.TimeoutExpired:
                child.kill()
        await running.stop()


def demo_apps(settings: Settings, running: RunningServer) -> list[DemoApp]:
    """The apps the demo starts for the first site: a kiosk, the bus emulator and bridge for
    counter Q01, that counter's terminal, and a lobby display for the first zone."""
    site = settings.sites[0]
    data_dir = settings.server.data_dir
    kiosk_token = _token(site, Role.KIOSK) or ""
    counter_token = _token(site, Role.COUNTER) or ""
    display_token = _token(site, Role.DISPLAY) or ""
    bridge_token = _token(site, Role.ADMIN) or running.service.server.admin_tokens[0]
    bus_port = _free_port()
    device_map = resources.files("hardware.bridge").joinpath("demo_map.toml")
    return [
        # Tickets print to PNG files through the virtual printer.
        DemoApp("kiosk", ("kiosk", "--server", running.ws_url, "--token", kiosk_token,
                          "--site", site.code, "--printer",
                          "virtual://" + tickets_directory(data_dir).as_posix(),
                          "--windowed", "--size", "1280x720")),
        # The serial bus with an emulated keypad, LED board and rating pad at counter Q01.
        DemoApp("bus-emulator", ("--listen", f"127.0.0.1:{bus_port}"), needs_screen=False,
                module="hardware.serial_bus.emulator", keeps_stdin=True),
        DemoApp("bridge", ("bridge", "--server", running.ws_url, "--token", bridge_token,
                           "--site", site.code, "--port", f"socket://127.0.0.1:{bus_port}",
                           "--map", str(device_map)), needs_screen=False),
        DemoApp("counter", ("counter", "--server", running.ws_url, "--token", counter_token,
                            "--site", site.code, "--counter", "Q01", "--windowed")),
        DemoApp("display", ("display", "--server", running.ws_url, "--token", display_token,
                            "--site", site.code, "--zone", site.zones[0].code, "--windowed")),
    ]


def tickets_directory(data_dir: Path) -> Path:
    """Where the demo kiosk's virtual printer writes ``job-NNNNNN.png``."""
    return (data_dir / "tickets").resolve()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def has_screen() -> bool:
    """Whether windows can open here (a desktop session, or Windows/macOS)."""
    if sys.platform != "linux":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def start_apps(apps: Sequence[DemoApp], data_dir: Path) -> list[subprocess.Popen[bytes]]:
    """Start each app as ``python -m server.cli <arguments>``; logs go to the data directory."""
    screen = has_screen()
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    children = []
    for app in apps:
        if app.needs_screen and not screen:
            print(f"  ({app.name}: no screen here, not started)", flush=True)
            continue
        log = (logs / f"{app.name}.log").open("ab")
        children.append(subprocess.Popen(
            [sys.executable, "-m", app.module, *app.arguments], stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE if app.keeps_stdin else subprocess.DEVNULL))
        print(f"  started {app.name} (log: {logs / (app.name + '.log')})", flush=True)
    return children


def connection_help(settings: Settings, running: RunningServer) -> str:
    """What a newcomer needs to connect a client to the running demo."""
    lines = [
        "",
        "QMS demo — hệ thống xếp hàng tự động đang chạy",
        f"  WebSocket : {running.ws_url}",
        f"  Health    : {running.http_url}/health",
    ]
    for site in settings.sites:
        lines.append(f"  Site {site.code}: {site.name_vi}")
        display_token = _token(site, Role.DISPLAY)
        if display_token:
            for zone in site.zones:
                lines.append(f"    web display {zone.code}: {running.http_url}/display?"
                             f"zone={zone.code}&site={site.code}&token={display_token}")
        for role in Role:
            token = _token(site, role)
            if token:
                lines.append(f"    {role.value:<8} token: {token}")
        officers = ", ".join(f"{officer.user}" for officer in site.officers[:4])
        lines.append(f"    officers: {officers}, ... ({DEMO_PASSWORD_NOTE})")
    if settings.server.admin_tokens:
        lines.append(f"  admin token (every site): {settings.server.admin_tokens[0]}")
    lines.append(f"  printed tickets: {tickets_directory(settings.server.data_dir)}/"
                 "job-NNNNNN.png")
    lines.append("  Stop with Ctrl+C.")
    return "\n".join(lines)


def _token(site: SiteSettings, role: Role) -> str | None:
    return next((item.token for item in site.tokens if item.role is role), None)


async def _round_trip(site: SiteSettings, running: RunningServer) -> None:
    kiosk_token = _token(site, Role.KIOSK)
    admin_token = _token(site, Role.ADMIN) or running.service.server.admin_tokens[0]
    assert kiosk_token is not None
    service = site.services[0]
    counter = site.counters_serving(service.code)[0]
    async with ProtocolClient(running.ws_url, "kiosk", kiosk_token, site.code) as kiosk, \
            ProtocolClient(running.ws_url, "admin", admin_token, site.code) as admin:
        issued = await kiosk.request("issue", service=service.code,
                                     request_key=str(uuid.uuid4()))
        await admin.request("login", counter=counter.code)
        called = await admin.request("call_next", as_counter=counter.code)
    print(f"check: issued {issued['ticket']['number']} for {service.name_vi}; "
          f"called {called['ticket']['number']} to {counter.name}", flush=True)
