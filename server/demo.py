"""``qms demo``: the whole system on the demo configuration and the embedded SQLite.

The server runs in this process; a kiosk (with the virtual printer writing PNG tickets), a
counter terminal, a lobby display, and the serial-bus emulator with the hardware bridge run as
child processes (:mod:`server.demo_apps`), each an ordinary protocol client. The emulated
keypad and rating pad are typed on the demo's own terminal. ``--check`` proves the server
round trip (issue, call) and exits without opening windows.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid

from server.app.serve import RunningServer, start_server
from server.config.settings import Role, Settings, SiteSettings
from server.demo_apps import DemoApps, demo_apps, tickets_directory, token_of
from server.protocol.client import ProtocolClient

logger = logging.getLogger(__name__)

DEMO_PASSWORD_NOTE = "every demo officer's password is demo1234"


async def run_demo(settings: Settings, database_url: str | None, check: bool = False) -> int:
    from server.cli import wait_for_stop

    running = await start_server(settings, database_url=database_url)
    apps = DemoApps(settings.server.data_dir, sys.stdin, sys.stdout, _say)
    watcher: asyncio.Task[None] | None = None
    try:
        _say(connection_help(settings, running))
        if check:
            await _round_trip(settings.sites[0], running)
            return 0
        apps.start(demo_apps(settings, running))
        watcher = asyncio.get_running_loop().create_task(apps.watch(), name="demo-watch")
        failure = await wait_for_stop(running)
        if failure is not None:
            _say(f"qms: stopped: {failure}")
            return 1
        return 0
    finally:
        if watcher is not None:
            watcher.cancel()
        await apps.stop()
        await running.stop()


def _say(text: str) -> None:
    print(text, flush=True)


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
        display_token = token_of(site, Role.DISPLAY)
        if display_token:
            for zone in site.zones:
                lines.append(f"    web display {zone.code}: {running.http_url}/display?"
                             f"zone={zone.code}&token={display_token}")
        for role in Role:
            token = token_of(site, role)
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


async def _round_trip(site: SiteSettings, running: RunningServer) -> None:
    kiosk_token = token_of(site, Role.KIOSK)
    admin_token = token_of(site, Role.ADMIN) or running.service.server.admin_tokens[0]
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
