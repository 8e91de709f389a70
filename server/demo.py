"""``qms demo``: the whole system on the demo configuration and the embedded SQLite.

Until the kiosk, counter and display apps exist, the demo runs the server and prints how to
connect to it; ``--check`` proves the round trip (issue, call) and exits.
"""

from __future__ import annotations

import logging
import uuid

from server.app.serve import RunningServer, start_server
from server.config.settings import Role, Settings, SiteSettings
from server.protocol.client import ProtocolClient

logger = logging.getLogger(__name__)

DEMO_PASSWORD_NOTE = "every demo officer's password is demo1234"


async def run_demo(settings: Settings, database_url: str | None, check: bool = False) -> int:
    from server.cli import _wait_for_stop_signal

    running = await start_server(settings, database_url=database_url)
    try:
        print(connection_help(settings, running), flush=True)
        if check:
            await _round_trip(settings.sites[0], running)
            return 0
        await _wait_for_stop_signal()
        return 0
    finally:
        await running.stop()


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
        for role in Role:
            token = _token(site, role)
            if token:
                lines.append(f"    {role.value:<8} token: {token}")
        officers = ", ".join(f"{officer.user}" for officer in site.officers[:4])
        lines.append(f"    officers: {officers}, ... ({DEMO_PASSWORD_NOTE})")
    if settings.server.admin_tokens:
        lines.append(f"  admin token (every site): {settings.server.admin_tokens[0]}")
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
