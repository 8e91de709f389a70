"""Kiosk test fixtures: a waiter that keeps Qt and asyncio running, and a kiosk factory.

The real server (the shared ``server`` fixture) runs on the test's asyncio loop, the kiosk's
widgets on the Qt event loop of the same (main) thread, and the kiosk's connection and print
worker on their own threads. ``until`` lets both loops run while a test waits for a
condition; kiosks are stopped off the loop so the server can answer their goodbyes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from support.servers import KIOSK_TOKEN, SITE

from hardware.printer import VirtualPrinter
from kiosk.connection import ClientFactory, make_client
from kiosk.settings import KioskSettings
from kiosk.ui.app import KioskApp, build_kiosk
from kiosk.ui.scan_input import monotonic_ms
from server.protocol.client import ConnectionLost, ProtocolClient

Until = Callable[..., Awaitable[None]]
"""``await until(predicate, "what")``."""


def kiosk_settings(server_url: str, folder: Path, **overrides: Any) -> KioskSettings:
    """Settings for a test kiosk: two menu levels, quick reconnects and printer polls."""
    values: dict[str, Any] = {
        "server_url": server_url, "token": KIOSK_TOKEN, "site": SITE,
        "printer_url": f"virtual://{(folder / 'tickets').as_posix()}",
        "full_screen": False, "window_size": (1080, 1920), "kiosk_name": "kiosk-test",
        "one_level_max_services": 0, "reconnect_min_seconds": 0.05,
        "reconnect_max_seconds": 0.2, "refresh_min_seconds": 0.0,
        "printer_poll_seconds": 0.05,
    }
    values.update(overrides)
    return KioskSettings(**values)


@pytest.fixture
def until(qapp: QApplication) -> Until:
    """The asyncio twin of ``qtbot.waitUntil``: process Qt events and yield to the loop
    (where the server runs) until ``predicate()`` holds, or fail after ``timeout``."""

    async def wait(predicate: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            qapp.processEvents()
            if predicate():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.005)

    return wait


@pytest.fixture
async def make_kiosk(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[Callable[..., KioskApp]]:
    """``make_kiosk(server_url, printer=..., client_factory=..., clock=..., size=(w, h),
    key_clock_ms=..., **setting_overrides)``: a started kiosk showing a window; stopped at
    the end."""
    built: list[KioskApp] = []

    def make(server_url: str, *, printer: VirtualPrinter | None = None,
             client_factory: Any = make_client, clock: Callable[[], float] = time.monotonic,
             size: tuple[int, int] = (1080, 1920),
             key_clock_ms: Callable[[], float] = monotonic_ms, **overrides: Any) -> KioskApp:
        settings = kiosk_settings(server_url, tmp_path, **overrides)
        transport = printer if printer is not None else VirtualPrinter(tmp_path / "tickets")
        kiosk = build_kiosk(settings, transport=transport, client_factory=client_factory,
                            clock=clock, key_clock_ms=key_clock_ms)
        qtbot.addWidget(kiosk.window)
        kiosk.window.resize(*size)
        kiosk.window.show()
        kiosk.start()
        built.append(kiosk)
        return kiosk

    yield make
    for kiosk in built:
        kiosk.stop_widgets()
        await asyncio.to_thread(kiosk.stop_workers)


@pytest.fixture
def kiosk_settings_for(tmp_path: Path) -> Callable[..., KioskSettings]:
    """``kiosk_settings_for(server_url, **overrides)``: test settings (see above)."""

    def make(server_url: str, **overrides: Any) -> KioskSettings:
        return kiosk_settings(server_url, tmp_path, **overrides)

    return make


@pytest.fixture
def reply_losing_clients() -> tuple[ClientFactory, list[str]]:
    """A client factory whose client loses the reply to its first press (``issue`` or
    ``check_in``), and the list of every ``request_key`` its presses carried.

    The first press reaches the server and is answered (the ticket is committed), but the
    client then drops the connection and reports it lost, as if the reply never arrived.
    """
    keys: list[str] = []

    class ReplyLosingClient(ProtocolClient):
        lost_one = False

        async def request_with_id(self, request_type: str, request_id: int | str,
                                  **fields: Any) -> dict[str, Any]:
            press = request_type in ("issue", "check_in")
            if press:
                keys.append(str(fields["request_key"]))
            result = await super().request_with_id(request_type, request_id, **fields)
            if press and not self.lost_one:
                self.lost_one = True
                await self.close()
                raise ConnectionLost("the test lost this reply")
            return result

    def factory(settings: KioskSettings) -> ProtocolClient:
        plain = make_client(settings)
        return ReplyLosingClient(plain.url, plain.role, plain.token, plain.site,
                                 lang=plain.lang, subscribe=plain.subscribe,
                                 open_timeout=plain.open_timeout)

    return factory, keys
