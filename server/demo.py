"""``qms demo``: the whole system on the demo configuration and the embedded SQLite.

The server runs in this process; a kiosk (with the virtual printer writing PNG tickets), a
counter terminal, a lobby display, and the serial-bus emulator with the hardware bridge run as
child processes (:mod:`server.demo_apps`), each an ordinary protocol client. The emulated
keypad and rating pad are typed on the demo's own terminal.

``--check`` proves the server round trip (issue a ticket, open its QR page, call, finish, close
the counter) and exits without opening windows. Without ``--db`` it runs on a throwaway
database, so the next demo starts from the demo database exactly as it was.

The tickets' QR codes must open on a citizen's phone. The demo configuration's ``public_url``
names this computer itself (``127.0.0.1``); when the demo listens on a network address
(``--host 192.168.1.23``) the QR codes use that address instead, and while it listens on
``127.0.0.1`` the banner says how to reach it from a phone (:func:`qr_help`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import sys
import tempfile
import urllib.request
import uuid
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from server.app.serve import RunningServer, start_server
from server.config.settings import LOCAL_HOST_NAMES, Role, Settings, SiteSettings
from server.demo_apps import (
    DemoApps,
    announcements_directory,
    demo_apps,
    has_screen,
    tickets_directory,
    token_of,
)
from server.protocol.client import ProtocolClient

logger = logging.getLogger(__name__)

DEMO_PASSWORD_NOTE = "every demo officer's password is demo1234"
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::"})
_ROUTE_PROBE = ("192.0.2.1", 9)
"""An address of TEST-NET-1 (RFC 5737): connecting a UDP socket to it only chooses the route
out of this computer; nothing is sent."""
_CHECK_SECONDS = 10.0


async def run_demo(settings: Settings, database_url: str | None, check: bool = False) -> int:
    """Run the demo until Ctrl+C (or SIGTERM), or only the ``--check`` round trip; returns the
    exit status."""
    lan = lan_address()
    settings = with_phone_public_url(settings, lan)
    if check:
        return await _check(settings, database_url, lan)
    from server.cli import wait_for_stop
    from server.demo_history import fill_demo_history

    # The first run only (no ticket yet): a month of history for the dashboard and reports.
    await fill_demo_history(settings, database_url, _say)
    running = await start_server(settings, database_url=database_url)
    apps = DemoApps(settings.server.data_dir, sys.stdin, sys.stdout, _say)
    watcher: asyncio.Task[None] | None = None
    try:
        _say(connection_help(settings, running, lan))
        audio_folder = await _announcements_folder(settings)
        _say("  Stop with Ctrl+C.")
        apps.start(demo_apps(settings, running, audio_folder))
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


async def _announcements_folder(settings: Settings) -> Path | None:
    """Where the lobby display writes its announcements when this machine has no speaker
    (said in the banner), or ``None`` when it has one (or no screen: no display runs)."""
    from display.voice.outputs import audio_output_available

    if not has_screen() or await asyncio.to_thread(audio_output_available):
        return None
    folder = announcements_directory(settings.server.data_dir)
    _say(f"  announcements: no sound device found; each call is written to {folder}/"
         "<time>_<number>_counter-<n>.wav")
    return folder


async def _check(settings: Settings, database_url: str | None, lan: str | None) -> int:
    """The round trip on ``database_url``, or on a throwaway SQLite database without one."""
    with contextlib.ExitStack() as cleanup:
        where = database_url
        if database_url is None:
            scratch = Path(cleanup.enter_context(tempfile.TemporaryDirectory(
                prefix="qms-check-", ignore_cleanup_errors=True)))
            database_url = f"sqlite:///{(scratch / 'check.sqlite3').as_posix()}"
            where = "a throwaway database (the demo database is left as it was)"
        running = await start_server(settings, database_url=database_url)
        try:
            _say(connection_help(settings, running, lan))
            _say(f"check: on {where}")
            await _round_trip(settings.sites[0], running)
        finally:
            await running.stop()
    return 0


def _say(text: str) -> None:
    print(text, flush=True)


def lan_address() -> str | None:
    """This computer's IPv4 address on its network (the one its default route leaves from), or
    ``None`` without one. Nothing is sent: connecting a UDP socket only chooses the route."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_ROUTE_PROBE)
            address = str(probe.getsockname()[0])
    except OSError:
        return None
    parsed = ipaddress.ip_address(address)
    return None if parsed.is_loopback or parsed.is_unspecified else address


def _names_this_computer(host: str | None) -> bool:
    """Whether ``host`` is a name only this computer itself can use (``127.0.0.1``,
    ``localhost``, ``::1``, or another loopback address)."""
    if host is None or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: the network's DNS may know it


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def phone_address(public_url: str, host: str, lan: str | None) -> str | None:
    """The address the tickets' QR codes should name instead of ``public_url``'s when the
    demo listens on ``host``, or ``None`` to keep ``public_url``.

    A ``public_url`` that names this computer in general (``127.0.0.1``, ``localhost``) gives
    way to the address the demo listens on when that is a particular one (a LAN address given
    with ``--host``), or to ``lan`` (this computer's LAN address) when it listens on every
    interface. A ``public_url`` naming another host (a proxy, the hall's name) is the
    operator's choice and stays, as does one when the demo listens on ``127.0.0.1`` itself: no
    phone can reach it then, and :func:`qr_help` says how to change that.
    """
    if urlsplit(public_url).hostname not in LOCAL_HOST_NAMES:
        return None
    if host in WILDCARD_HOSTS:
        return lan
    return None if host in LOCAL_HOST_NAMES else host


def with_phone_public_url(settings: Settings, lan: str | None) -> Settings:
    """``settings`` whose ``public_url`` names :func:`phone_address` when there is one. The
    URL must carry the port the server really listens on, so a port of 0 (any free port) is
    chosen here in that case."""
    server = settings.server
    address = phone_address(server.public_url, server.host, lan)
    if address is None:
        return settings
    port = server.port or _free_port(server.host)
    return replace(settings, server=replace(
        server, port=port, public_url=f"http://{_url_host(address)}:{port}"))


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def qr_help(public_url: str, lan: str | None) -> list[str]:
    """Banner lines on where the tickets' QR codes point and, when only this computer can open
    them, the command that lets a phone on the same network open them."""
    lines = [f"  ticket QR codes: {public_url}/t/..."]
    if _names_this_computer(urlsplit(public_url).hostname):
        address = lan or "THIS-COMPUTER'S-LAN-ADDRESS"
        lines += [
            "    only this computer can open them. For a phone on the same network (Wi-Fi),",
            f"    start the demo with: python3 scripts/dev.py demo --host {address}",
            "    (a real server: set public_url in the [server] table of its config)",
        ]
    return lines


def connection_help(settings: Settings, running: RunningServer, lan: str | None) -> str:
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
    if settings.accounts:
        # The managers' pages: the dashboard, the province view and the reports.
        logins = ", ".join(f"{account.user} ({account.role.value})"
                           for account in settings.accounts)
        lines.append(f"  managers' pages: {running.http_url}/manage — sign in as {logins};"
                     " password demo1234")
        lines.append(f"  reports: {running.http_url}/manage/reports (a month of history: "
                     "Excel, CSV, the printable monthly report); administration: "
                     f"{running.http_url}/admin (quantri)")
    if any(site.booking.enabled for site in settings.sites):
        # The citizens' booking pages; the log sender prints each one-time code in this log.
        lines.append(f"  booking: {running.http_url}/dat-lich (numbers from the phone and "
                     "visits; one-time codes and reminders appear in this log as "
                     "\"SMS to 09x****xxx: ...\")")
    lines.append(f"  printed tickets: {tickets_directory(settings.server.data_dir)}/"
                 "job-NNNNNN.png")
    lines.extend(qr_help(running.service.server.public_url, lan))
    return "\n".join(lines)


def _status_of(url: str) -> int:
    with urllib.request.urlopen(url, timeout=_CHECK_SECONDS) as answer:
        status: int = answer.status
        return status


async def _round_trip(site: SiteSettings, running: RunningServer) -> None:
    """Issue a ticket, open the page behind its QR code, call it, finish it and close the
    counter again, so that no ticket is left in hand on the counter's LED board."""
    kiosk_token = token_of(site, Role.KIOSK)
    admin_token = token_of(site, Role.ADMIN) or running.service.server.admin_tokens[0]
    assert kiosk_token is not None
    service = site.services[0]
    counter = site.counters_serving(service.code)[0]
    async with ProtocolClient(running.ws_url, "kiosk", kiosk_token, site.code) as kiosk, \
            ProtocolClient(running.ws_url, "admin", admin_token, site.code) as admin:
        issued = (await kiosk.request("issue", service=service.code,
                                      request_key=str(uuid.uuid4())))["ticket"]
        page_status = await asyncio.to_thread(_status_of, issued["track_url"])
        await admin.request("login", counter=counter.code)
        called = (await admin.request("call_next", as_counter=counter.code))["ticket"]
        await admin.request("finish", as_counter=counter.code)
        await admin.request("logout", as_counter=counter.code)
    _say(f"check: issued {issued['number']} for {service.name_vi}; its QR page "
         f"{issued['track_url']} answered {page_status}; called {called['number']} to "
         f"{counter.name}, finished it and closed the counter")
