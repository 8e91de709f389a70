"""The demo's arrangement: an officer's counter window and, at the same counter, an emulated
keypad, LED board and rating pad on a pty joined by the bridge. A keypad press shows up on
the screen; a pad rating closes the screen's rating prompt (one rating per ticket)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from counter.models import Page, RatingStage
from counter.requests import Action
from counter.settings import ConnectionSettings, CounterSettings
from counter.ui.app import build_window
from counter.ui.window import CounterWindow
from hardware.bridge.bridge import Bridge
from hardware.bridge.device_map import DeviceAssignment, DeviceKind, DeviceMap
from hardware.bridge.settings import BridgeSettings
from hardware.serial_bus import Key, KeypadModel, LedBoardModel, RatingPadModel, open_pty_pair
from hardware.serial_bus.emulator import DeviceEmulator

WAIT_MS = 10_000
KEYPAD, LED, PAD = 0x11, 0x21, 0x31


@pytest.fixture
def emulator() -> Iterator[tuple[DeviceEmulator, str]]:
    if sys.platform == "win32":
        pytest.skip("pseudo-terminals are POSIX only")
    with open_pty_pair() as pty:
        devices = [KeypadModel(KEYPAD), LedBoardModel(LED), RatingPadModel(PAD)]
        with DeviceEmulator(pty.device_port(), devices) as running:
            yield running, pty.slave_path


@pytest.fixture
def bridge(live_server: Any, emulator: tuple[DeviceEmulator, str],
           access: Any) -> Iterator[Bridge]:
    device_map = DeviceMap((DeviceAssignment(KEYPAD, DeviceKind.KEYPAD, "1", "1"),
                            DeviceAssignment(LED, DeviceKind.LED_BOARD, "1", "1"),
                            DeviceAssignment(PAD, DeviceKind.RATING_PAD, "1", "1")))
    running = Bridge(BridgeSettings(server_url=live_server.ws_url, token=access.admin_token,
                                    site=access.site, port_url=emulator[1],
                                    device_map=device_map, poll_interval=0.02,
                                    reconnect_delays=(0.05,)))
    running.start()
    assert running.connected.wait(10)
    yield running
    running.stop()


@pytest.fixture
def window(qtbot: QtBot, live_server: Any, access: Any) -> Iterator[CounterWindow]:
    settings = CounterSettings(ConnectionSettings(live_server.ws_url, access.counter_token,
                                                  access.site, reconnect_delays=(0.05,)),
                               counter="1", windowed=True)
    shown, connection = build_window(settings)
    qtbot.addWidget(shown)
    shown.show()
    yield shown
    connection.stop()


def test_keypad_and_pad_work_beside_the_counter_screen(
        qtbot: QtBot, live_server: Any, emulator: tuple[DeviceEmulator, str], bridge: Bridge,
        window: CounterWindow, access: Any) -> None:
    devices = emulator[0]
    number = live_server.issue("DD-NOP")["number"]
    qtbot.waitUntil(window.login_button.isEnabled, timeout=WAIT_MS)
    window.user_field.setText("lan")
    window.password_field.setText(access.password)
    QTest.mouseClick(window.login_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.page is Page.WORK, timeout=WAIT_MS)

    assert devices.press_key(KEYPAD, Key.NEXT)
    qtbot.waitUntil(lambda: window.ticket_number.text() == number, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: devices.led_display(LED).text == number, timeout=WAIT_MS)

    qtbot.waitUntil(lambda: Action.FINISH in window.model.enabled_actions(), timeout=WAIT_MS)
    window.trigger(Action.FINISH)
    qtbot.waitUntil(lambda: window.rating_screen.isVisible() and devices.rating_enabled(PAD),
                    timeout=WAIT_MS)
    assert devices.press_rating(PAD, 2)  # "Hài lòng" on the pad
    qtbot.waitUntil(lambda: window.model.rating is not None
                    and window.model.rating.stage is RatingStage.THANKED, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: dict(window.model.figure_rows())["Đánh giá"] == "Hài lòng: 1",
                    timeout=WAIT_MS)
    window.rate(4)  # the screen no longer takes one
    assert window.model.pending is None
