"""Pytest fixtures for every test folder: a real server on 127.0.0.1 port 0 over a SQLite
file in a fresh temporary directory, connected protocol clients, and a headless browser
(Debian's Chromium through Playwright).

Registered for the whole suite by ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright

from server.app.runtime import Clock
from server.app.serve import RunningServer, start_server, system_clock
from server.config import Settings, parse_settings
from server.protocol.client import ProtocolClient
from support.chromium import CHROMIUM, CHROMIUM_ARGUMENTS
from support.servers import (
    ADMIN_TOKEN,
    BRIDGE_TOKEN,
    COUNTER_TOKEN,
    DISPLAY_TOKEN,
    KIOSK_TOKEN,
    SITE,
    site_config,
)


@pytest.fixture
def settings() -> Settings:
    return parse_settings(site_config())


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    return tmp_path / "qms.sqlite3"


@pytest.fixture
def server_time() -> Clock:
    """The server's clock: the machine's; a folder whose tests move time by hand overrides
    this to give its manual clock."""
    return system_clock


@pytest.fixture
async def server(settings: Settings, database_path: Path,
                 server_time: Clock) -> AsyncIterator[RunningServer]:
    running = await start_server(settings, host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{database_path}", clock=server_time)
    yield running
    await running.stop()


@pytest.fixture
async def connect(server: RunningServer) -> AsyncIterator[Callable[..., Any]]:
    """``await connect(role)`` gives a connected client; all are closed at the end."""
    clients: list[ProtocolClient] = []
    tokens = {"kiosk": KIOSK_TOKEN, "counter": COUNTER_TOKEN, "display": DISPLAY_TOKEN,
              "admin": ADMIN_TOKEN, "bridge": BRIDGE_TOKEN}

    async def open_client(role: str, **options: Any) -> ProtocolClient:
        client = ProtocolClient(server.ws_url, role, options.pop("token", tokens[role]),
                                options.pop("site", SITE), **options)
        clients.append(client)
        await client.connect()
        return client

    yield open_client
    for client in clients:
        await client.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, launched for the test and closed after it."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                    args=CHROMIUM_ARGUMENTS)
        yield launched
        await launched.close()
