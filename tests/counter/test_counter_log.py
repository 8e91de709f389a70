"""The counter terminal's log (the demo's ``data/logs/counter.log``): an officer's login, the
calls and the ratings at the counter are written, the password never; and ``qms counter``
writes its log to its standard error, where the demo collects it."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from counter.models import Page
from counter.requests import Action
from counter.settings import ConnectionSettings, CounterSettings
from counter.ui.app import build_window
from counter.ui.window import CounterWindow

WAIT_MS = 10_000
WAIT_SECONDS = 30.0


@pytest.fixture
def window(qtbot: QtBot, live_server: Any, access: Any) -> Iterator[CounterWindow]:
    """A counter window for counter 1, connected to the live server and shown."""
    settings = CounterSettings(ConnectionSettings(live_server.ws_url, access.counter_token,
                                                  access.site, reconnect_min_seconds=0.05),
                               counter="1", windowed=True)
    built, connection = build_window(settings)
    qtbot.addWidget(built)
    built.show()
    try:
        yield built
    finally:
        connection.stop()


def click_when_enabled(qtbot: QtBot, window: CounterWindow, action: Action) -> None:
    button = window.action_buttons[action]
    qtbot.waitUntil(button.isEnabled, timeout=WAIT_MS)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def test_login_calls_and_ratings_are_logged(qtbot: QtBot, live_server: Any, access: Any,
                                            window: CounterWindow,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="counter")
    ticket = live_server.issue("DD-NOP")
    number = ticket["number"]
    qtbot.waitUntil(window.login_button.isEnabled, timeout=WAIT_MS)
    window.user_field.setText("lan")
    window.password_field.setText(access.password)
    QTest.mouseClick(window.login_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.page is Page.WORK, timeout=WAIT_MS)
    click_when_enabled(qtbot, window, Action.CALL_NEXT)
    qtbot.waitUntil(lambda: window.ticket_number.text() == number, timeout=WAIT_MS)
    click_when_enabled(qtbot, window, Action.FINISH)
    screen = window.rating_screen
    qtbot.waitUntil(screen.isVisible, timeout=WAIT_MS)
    QTest.mouseClick(screen.buttons[4], Qt.MouseButton.LeftButton)
    rating_line = f"rating of ticket {ticket['id']}: 4 Rất hài lòng (source counter)"
    # The line is written on the connection's thread as the rating arrives.
    qtbot.waitUntil(lambda: rating_line in caplog.messages, timeout=WAIT_MS)
    assert "officer lan logged in at counter 1" in caplog.messages
    assert f"call_next: ticket {number} (DD-NOP, called)" in caplog.messages
    assert f"finish: ticket {number} (DD-NOP, done)" in caplog.messages
    assert access.password not in caplog.text


async def test_qms_counter_writes_its_log_to_standard_error(live_server: Any,
                                                            access: Any) -> None:
    # The demo sends each app's standard error to data/logs/<app>.log.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "counter", "--server", live_server.ws_url,
        "--token", access.counter_token, "--site", access.site, "--counter", "1",
        "--windowed", stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    lines: list[str] = []
    try:
        assert process.stderr is not None
        async with asyncio.timeout(WAIT_SECONDS):
            while not any("INFO counter.activity_log: connection online" in line
                          for line in lines):
                raw = await process.stderr.readline()
                assert raw, "qms counter ended:\n" + "".join(lines)
                lines.append(raw.decode(errors="replace"))
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), WAIT_SECONDS)
    assert process.returncode == 0  # SIGTERM closes the window and the connection
