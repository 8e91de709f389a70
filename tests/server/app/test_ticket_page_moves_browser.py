"""An open ticket status page, in real headless Chromium, when its centre is handed to
another server process (several processes on one PostgreSQL database): its socket is
answered ``moved``, the page opens again and is sent to the new owner (307), live there.
Skipped without PostgreSQL (``QMS_TEST_POSTGRES_URL``) or Chromium."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser
from support.chromium import CHROMIUM
from support.databases import fresh_postgres_database
from support.server_processes import deployment_config, token, until_ownership

from server.app.serve import RunningServer, start_server
from server.config import parse_settings
from server.protocol.client import ProtocolClient

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not at /usr/bin/chromium (apt-get install chromium; CI has it)")

WAIT_MS = 20_000
PHONE: dict[str, Any] = {"viewport": {"width": 360, "height": 740}, "is_mobile": True}


async def until_state(page: Any, state: str) -> None:
    await page.wait_for_function(
        "state => window.qmsStatus && window.qmsStatus.state === state", arg=state,
        timeout=WAIT_MS)


async def test_an_open_page_follows_its_centre_to_the_process_it_was_handed_to(
        browser: Browser) -> None:
    with fresh_postgres_database() as url:
        servers: list[RunningServer] = []
        try:
            config = deployment_config(("px-a", "px-b"), 0, [], "", Path("data"))
            old = await start_server(parse_settings(config), host="127.0.0.1", port=0,
                                     database_url=url)
            servers.append(old)
            await until_ownership(lambda: set(old.service.sites) == {"px-a", "px-b"}, servers)
            async with ProtocolClient(old.ws_url, "kiosk", token("kiosk", "px-b"),
                                      "px-b") as kiosk:
                ticket = (await kiosk.request("issue", service="DD-NOP",
                                              request_key=str(uuid.uuid4())))["ticket"]
            page = await browser.new_page(**PHONE)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(ticket["track_url"])
            await until_state(page, "live")
            # A process that prefers px-b starts: the old one hands px-b over to it.
            config = deployment_config(("px-a", "px-b"), 0, ["px-b"], "", Path("data"))
            new = await start_server(parse_settings(config), host="127.0.0.1", port=0,
                                     database_url=url)
            servers.append(new)
            await until_ownership(lambda: "px-b" in new.service.sites
                                  and "px-b" not in old.service.sites, servers)
            await page.wait_for_url(f"{new.http_url}/t/**", timeout=WAIT_MS)
            await until_state(page, "live")
            number = await page.eval_on_selector(".number", "element => element.textContent")
            assert number == ticket["number"]
            assert errors == []
        finally:
            for server in servers:
                await server.stop()
