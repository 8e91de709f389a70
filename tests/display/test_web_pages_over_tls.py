"""The web pages over TLS in real headless Chromium: the web display and a ticket's status
page, loaded over https:// from a server whose certificate a test CA issued, reach the live
protocol with wss:// from their own address (no ws:// request, no mixed content) and show a
call as it happens.

The browser is told to accept the test CA's certificate with Playwright's
``ignore_https_errors`` on this test's context only: Debian's Chromium trusts what is in an
NSS database, which needs ``certutil`` (libnss3-tools) to write. The certificate itself is
checked by Python's verifier against the CA in :mod:`tests.server.app.test_tls_server`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser
from support.certificates import TlsSetup, tls_setup
from support.chromium import CHROMIUM
from support.servers import ADMIN_TOKEN, DISPLAY_TOKEN, KIOSK_TOKEN, SITE, site_config

from server.app.serve import RunningServer, start_server
from server.config import parse_settings
from server.protocol.client import ProtocolClient

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not at /usr/bin/chromium (apt-get install chromium; CI has it)")


@pytest.fixture
def tls(tmp_path: Path) -> TlsSetup:
    return tls_setup(tmp_path, site_config())


@pytest.fixture
async def tls_server(tls: TlsSetup, tmp_path: Path) -> AsyncIterator[RunningServer]:
    running = await start_server(parse_settings(tls.config), host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{tmp_path / 'qms.sqlite3'}")
    yield running
    await running.stop()


async def test_the_display_and_status_pages_go_live_over_wss(
        tls_server: RunningServer, tls: TlsSetup, browser: Browser) -> None:
    ca_file = str(tls.authority.certificate_path)
    async with ProtocolClient(tls_server.ws_url, "kiosk", KIOSK_TOKEN, SITE,
                              ca_file=ca_file) as kiosk:
        ticket = (await kiosk.request("issue", service="HT", request_key="tls-web"))["ticket"]
    assert ticket["track_url"].startswith("https://")

    context = await browser.new_context(ignore_https_errors=True,
                                        viewport={"width": 1280, "height": 720})
    sockets: list[str] = []
    requested: list[str] = []
    errors: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    display = await context.new_page()
    display.on("websocket", lambda socket: sockets.append(socket.url))
    display.on("pageerror", lambda error: errors.append(str(error)))
    await display.goto(f"{tls_server.http_url}/display?site={SITE}&token={DISPLAY_TOKEN}")
    await display.wait_for_function("() => window.qmsDisplay && "
                                    "window.qmsDisplay.status === 'connected'", timeout=10_000)
    status = await context.new_page()
    status.on("websocket", lambda socket: sockets.append(socket.url))
    status.on("pageerror", lambda error: errors.append(str(error)))
    await status.goto(ticket["track_url"])
    await status.wait_for_function("() => window.qmsStatus && window.qmsStatus.state === "
                                   "'live'", timeout=10_000)

    async with ProtocolClient(tls_server.ws_url, "admin", ADMIN_TOKEN, SITE,
                              ca_file=ca_file) as admin:
        await admin.request("login", counter="3", as_counter="3")
        await admin.request("call_next", as_counter="3")
    await display.wait_for_function(
        "number => document.getElementById('now-number').textContent === number",
        arg=ticket["number"], timeout=10_000)
    await status.wait_for_function(
        "() => document.getElementById('status-vi').textContent === 'Mời quý khách đến quầy'",
        timeout=10_000)
    assert errors == []
    port = tls_server.port
    assert sockets and all(url.startswith(f"wss://127.0.0.1:{port}/ws") for url in sockets)
    assert all(url.startswith((f"https://127.0.0.1:{port}/", "data:")) for url in requested), \
        [url for url in requested if not url.startswith("https://")]
    await context.close()
