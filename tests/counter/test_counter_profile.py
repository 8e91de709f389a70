"""A counter PC follows its profile on the server: the counter it opens at and its language
come in every hello and snapshot and are applied while nobody is logged in, never under an
officer; options fix them; an enrolled PC starts from its stored settings. A running counter
window (offscreen, a real server) takes a profile saved on the administration pages at once
on its login screen, keeps an officer's screen as it is, and takes the profile saved meanwhile
once the officer logs out."""

from __future__ import annotations

import asyncio
import copy
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from support.servers import COUNTER_TOKEN, PASSWORD, SITE, site_config
from support.web import WebClient, form_token, with_accounts

from counter.models import CounterScreenModel, Page
from counter.requests import Action
from counter.settings import ConnectionSettings, CounterSettings, Language, parse_settings
from counter.texts import Phrase, translate
from counter.ui.app import build_window
from counter.updates import SessionStarted
from server.app.serve import RunningServer
from server.config import Settings
from server.config import parse_settings as parse_server_settings
from server.protocol.client import ProtocolClient
from server.protocol.enrolment_client import DeviceSettings, save, settings_path

NOW = datetime(2026, 11, 23, 8, 0).astimezone()
WAIT_MS = 10_000


@pytest.fixture
def settings() -> Settings:
    """The test site with its web accounts (``quantri`` administers it)."""
    return parse_server_settings(with_accounts(site_config()))


async def set_profile(server: RunningServer, **profile: str) -> None:
    configuration = server.service.configuration
    document = copy.deepcopy(configuration.document)
    token = next(item for item in document["sites"][0]["tokens"] if item["name"] == "counter")
    for key, value in profile.items():
        if value:
            token[key] = value
        else:
            token.pop(key, None)
    await configuration.change(document, "test", "counter profile", confirmed=True)


async def hello(server: RunningServer) -> dict[str, Any]:
    async with ProtocolClient(server.ws_url, "counter", COUNTER_TOKEN, None) as client:
        return client.hello_result


async def test_the_profile_is_followed_while_nobody_is_logged_in(server: RunningServer) -> None:
    await set_profile(server, counter="2", language="en")
    result = await hello(server)
    assert result["device"] == {"name": "counter",
                                "profile": {"counter": "2", "language": "en"}}
    started = SessionStarted(result["state"], result["seq"], device=result["device"])

    model = CounterScreenModel(Language.VIETNAMESE, None)
    model.apply(started, NOW)
    assert (model.preferred_counter, model.language) == ("2", Language.ENGLISH)

    at_work = CounterScreenModel(Language.VIETNAMESE, "1")
    at_work.user = "lan"
    at_work.apply(started, NOW)
    assert (at_work.preferred_counter, at_work.language) == ("1", Language.VIETNAMESE)

    fixed = CounterScreenModel(Language.VIETNAMESE, "3", frozenset({"counter", "language"}))
    fixed.apply(started, NOW)
    assert (fixed.preferred_counter, fixed.language) == ("3", Language.VIETNAMESE)

    # The profile taken back: the PC's own again.
    await set_profile(server, counter="", language="")
    token = next(item for item in server.service.configuration.document["sites"][0]["tokens"]
                 if item["name"] == "counter")
    assert "counter" not in token
    result = await hello(server)
    assert result["device"] == {"name": "counter", "profile": {}}
    model.apply(SessionStarted(result["state"], result["seq"], device=result["device"]), NOW)
    assert (model.preferred_counter, model.language) == (None, Language.VIETNAMESE)


def test_an_enrolled_counter_pc_starts_from_its_stored_settings(tmp_path: Path) -> None:
    environment = {"XDG_CONFIG_HOME": str(tmp_path)}
    save(DeviceSettings("ws://10.0.0.5:8765/ws", "hcc-tinh", "counter", "counter-token-9",
                        "Quầy 1", {"counter": "Q01", "language": "en"}),
         settings_path("counter", environment))
    settings = parse_settings([], environment)
    assert (settings.connection.server_url, settings.connection.token,
            settings.connection.site) == ("ws://10.0.0.5:8765/ws", "counter-token-9",
                                          "hcc-tinh")
    assert (settings.counter, settings.connection.language) == ("Q01", Language.ENGLISH)
    assert settings.overridden == frozenset()
    settings = parse_settings(["--counter", "Q02", "--lang", "vi"], environment)
    assert (settings.counter, settings.connection.language) == ("Q02", Language.VIETNAMESE)
    assert settings.overridden == {"counter", "language"}


async def save_profile(http_url: str, device: str = "counter", **profile: str) -> None:
    """A device token's profile saved on the administration pages, as an administrator."""
    client = WebClient(http_url)
    signed_in = await client.sign_in(user="quantri", next_page="/admin")
    assert signed_in.status == 200, signed_in.body[:300]
    page = await client.get(f"/admin/site/{SITE}/tokens/{device}")
    answer = await client.post(f"/admin/site/{SITE}/tokens/{device}",
                               {"csrf": form_token(page.body), **profile})
    assert answer.status == 200 and "saved=" in answer.url, answer.body[:800]


def test_a_running_counter_window_follows_its_profile_between_officers(
        qtbot: QtBot, live_server: Any) -> None:
    http_url = live_server.ws_url.replace("ws://", "http://").removesuffix("/ws")
    settings = CounterSettings(ConnectionSettings(live_server.ws_url, COUNTER_TOKEN, SITE,
                                                  reconnect_min_seconds=0.05), counter=None,
                               windowed=True)
    window, connection = build_window(settings)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    try:
        model = window.model
        qtbot.waitUntil(window.login_button.isEnabled, timeout=WAIT_MS)
        assert window.counter_choice.currentData() == "1"  # no profile: the first counter
        assert window.login_button.text() == "Đăng nhập"

        # Saved on the administration pages: the login screen follows at once.
        asyncio.run(save_profile(http_url, counter="2", language="en"))
        qtbot.waitUntil(lambda: window.counter_choice.currentData() == "2"
                        and window.login_button.text() == "Log in", timeout=WAIT_MS)
        assert window.login_title.text() == translate(Phrase.LOGIN_TITLE, Language.ENGLISH)
        # Another change of the site (the display's zone): the counter picked here stays.
        window.counter_choice.setCurrentIndex(window.counter_choice.findData("1"))
        site = model.site
        asyncio.run(save_profile(http_url, "display", zone="T1"))
        qtbot.waitUntil(lambda: model.site is not site, timeout=WAIT_MS)  # the new snapshot
        assert window.counter_choice.currentData() == "1"
        window.counter_choice.setCurrentIndex(window.counter_choice.findData("2"))

        # An officer at work: a profile saved meanwhile changes nothing on their screen.
        window.user_field.setText("lan")
        window.password_field.setText(PASSWORD)
        QTest.mouseClick(window.login_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: model.page is Page.WORK, timeout=WAIT_MS)
        assert model.counter is not None and model.counter.code == "2"
        site = model.site
        asyncio.run(save_profile(http_url, counter="3", language="vi"))
        qtbot.waitUntil(lambda: model.site is not site, timeout=WAIT_MS)  # the new snapshot
        assert model.page is Page.WORK and model.language is Language.ENGLISH
        assert model.counter is not None and model.counter.code == "2"

        # Logged out: the login screen takes the profile saved while they worked.
        logout = window.action_buttons[Action.LOG_OUT]
        qtbot.waitUntil(logout.isEnabled, timeout=WAIT_MS)
        QTest.mouseClick(logout, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: model.page is Page.LOGIN, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: window.counter_choice.currentData() == "3"
                        and window.login_button.text() == "Đăng nhập", timeout=WAIT_MS)
    finally:
        connection.stop()
