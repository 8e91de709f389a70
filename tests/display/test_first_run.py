"""The first-run window for the counter terminal and the lobby display (the kiosk's is in
tests/kiosk/test_kiosk_enrolment.py): started with nothing stored, the app asks for the
server and an enrolment code; a wrong code is refused in the server's words, the right one
stores the settings, and the app then starts from them with no options at all. Real Qt
widgets (offscreen), a real server, a code made on the real administration page."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.servers import COUNTER_TOKEN, DISPLAY_TOKEN, SITE, site_config
from support.web import WebClient, form_token, with_accounts

from server.app.serve import RunningServer
from server.config import Settings, parse_settings
from server.protocol.enrolment_client import first_run_wanted, load


@pytest.fixture
def settings() -> Settings:
    return parse_settings(with_accounts(site_config()))


async def enrolment_code(server: RunningServer, device: str) -> str:
    """A fresh code for token ``device``, made on the administration page."""
    client = WebClient(server.http_url)
    assert (await client.sign_in(user="quantri", next_page="/admin")).status == 200
    page = await client.get(f"/admin/site/{SITE}/devices")
    answer = await client.post(f"/admin/site/{SITE}/tokens/{device}/enrol",
                               {"csrf": form_token(page.body)})
    found = re.search(r'<code id="enrol-code">([A-Z0-9-]+)</code>', answer.body)
    assert answer.status == 200 and found, answer.body[:500]
    return found.group(1)


async def until(qapp: Any, predicate: Callable[[], bool], what: str,
                timeout: float = 15.0) -> None:
    """Process Qt events and yield to the loop (where the server runs) until ``predicate``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        qapp.processEvents()
        await asyncio.sleep(0.005)


@pytest.mark.parametrize(("role", "token"), [("counter", COUNTER_TOKEN),
                                             ("display", DISPLAY_TOKEN)])
async def test_the_first_run_window_enrols_and_the_app_starts_from_it(
        server: RunningServer, tmp_path: Path, qapp: Any, role: str, token: str) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from display.ui.first_run import FirstRunDialog

    environment = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    assert first_run_wanted(role, [], environment)
    code = await enrolment_code(server, role)
    dialog = FirstRunDialog(role, environment)
    dialog.show()
    QTest.keyClicks(dialog.server_input, server.http_url)
    QTest.keyClicks(dialog.code_input, "ABCD-EFGH")
    QTest.mouseClick(dialog.enrol_button, Qt.MouseButton.LeftButton)
    await until(qapp, lambda: "no such enrolment code" in dialog.status.text(),
                "the refusal shown")
    assert dialog.isVisible() and dialog.stored is None
    dialog.code_input.clear()
    QTest.keyClicks(dialog.code_input, code.lower())
    QTest.mouseClick(dialog.enrol_button, Qt.MouseButton.LeftButton)
    await until(qapp, lambda: dialog.stored is not None, "enrolled")
    assert not dialog.isVisible()
    stored = load(role, environment)
    assert stored is not None and stored.token == token and stored.site == SITE
    assert not first_run_wanted(role, [], environment)
    # The app, started with no options, runs on what was stored.
    if role == "counter":
        from counter.settings import parse_settings as counter_settings

        connection = counter_settings([], environment).connection
        assert (connection.token, connection.site) == (token, SITE)
        assert connection.server_url == server.ws_url
    else:
        from display.settings import parse_arguments

        display, _ = parse_arguments([], environment)
        link = display.connection
        assert (link.token, link.site) == (token, SITE)
        assert link.url == server.ws_url
