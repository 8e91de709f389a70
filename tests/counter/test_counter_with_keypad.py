"""The demo's arrangement: an officer's counter window and, at the same counter, an emulated
keypad, LED board and rating pad on a pty joined by the bridge. A keypad press shows up on
the screen; a pad rating closes the screen's rating prompt (one rating per ticket). A screen
whose call was lost while the keypad called meanwhile settles it as
:func:`counter.requests.request_applied` states: a call_next as done, a call of another
number as not done; never a second call."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from counter.models import Page, RatingStage
from counter.requests import Action
from counter.settings import ConnectionSettings, CounterSettings
from counter.ui.app import build_window
from counter.ui.dialogs import CallNumberDialog
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
    running = Bridge(BridgeSettings(server_url=live_server.ws_url, token=access.bridge_token,
                                    site=access.site, port_url=emulator[1],
                                    device_map=device_map, poll_interval=0.02,
                                    reconnect_min_seconds=0.05, reconnect_max_seconds=0.05))
    running.start()
    assert running.connected.wait(10)
    yield running
    running.stop()


def shown_window(qtbot: QtBot, url: str, access: Any) -> Iterator[CounterWindow]:
    """Counter 1's window on the server at ``url``, shown; its connection stopped after."""
    settings = CounterSettings(ConnectionSettings(url, access.counter_token, access.site,
                                                  reconnect_min_seconds=0.05),
                               counter="1", windowed=True)
    shown, connection = build_window(settings)
    qtbot.addWidget(shown)
    shown.show()
    yield shown
    connection.stop()


@pytest.fixture
def window(qtbot: QtBot, live_server: Any, access: Any) -> Iterator[CounterWindow]:
    yield from shown_window(qtbot, live_server.ws_url, access)


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
    assert devices.press_rating(PAD, 3)  # key 3 is "Hài lòng" (score 3)
    qtbot.waitUntil(lambda: window.model.rating is not None
                    and window.model.rating.stage is RatingStage.THANKED, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: dict(window.model.figure_rows())["Đánh giá"] == "Hài lòng: 1",
                    timeout=WAIT_MS)
    window.rate(4)  # the screen no longer takes one
    assert window.model.pending is None


@pytest.fixture
def proxied_window(qtbot: QtBot, proxy: Any, access: Any) -> Iterator[CounterWindow]:
    """The counter window reaching the server through the cuttable proxy."""
    yield from shown_window(qtbot, proxy.ws_url, access)


def log_in_and_wait(qtbot: QtBot, window: CounterWindow, access: Any, waiting: int) -> None:
    qtbot.waitUntil(window.login_button.isEnabled, timeout=WAIT_MS)
    window.user_field.setText("lan")
    window.password_field.setText(access.password)
    QTest.mouseClick(window.login_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.page is Page.WORK
                    and window.waiting_table.rowCount() == waiting
                    and window.model.pending is None, timeout=WAIT_MS)


def ticket_on_server(live_server: Any, number: str) -> dict[str, Any]:
    ticket: dict[str, Any] = live_server.request(live_server.admin(), "ticket",
                                                 number=number)["ticket"]
    return ticket


def keypad_calls_while_the_screen_is_away(
        qtbot: QtBot, proxy: Any, window: CounterWindow, devices: DeviceEmulator,
        number: str) -> None:
    """The screen's request was lost and it cannot reconnect yet; meanwhile the officer
    presses NEXT on the counter's keypad, which calls ``number``; then the screen may
    reconnect."""
    qtbot.waitUntil(proxy.cut.is_set, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.model.interrupted is not None, timeout=WAIT_MS)
    assert devices.press_key(KEYPAD, Key.NEXT)
    qtbot.waitUntil(lambda: devices.led_display(LED).text == number, timeout=WAIT_MS)
    assert window.model.interrupted is not None  # still away: the proxy refuses it
    proxy.reopen()


def test_a_lost_call_next_is_taken_as_done_when_the_keypad_called_meanwhile(
        qtbot: QtBot, live_server: Any, proxy: Any, emulator: tuple[DeviceEmulator, str],
        bridge: Bridge, proxied_window: CounterWindow, access: Any) -> None:
    window, devices = proxied_window, emulator[0]
    first = live_server.issue("DD-NOP")["number"]
    second = live_server.issue("DD-NOP")["number"]
    log_in_and_wait(qtbot, window, access, waiting=2)
    proxy.cut_next_request(hold=True)
    window.trigger(Action.CALL_NEXT)
    keypad_calls_while_the_screen_is_away(qtbot, proxy, window, devices, first)

    # The keypad's call is read as the screen's: the counter has its new ticket either way,
    # and the screen does not call again (that would skip the next citizen).
    qtbot.waitUntil(lambda: "ĐÃ được thực hiện" in window.notice.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.ticket_number.text() == first and window.model.online,
                    timeout=WAIT_MS)
    called = ticket_on_server(live_server, first)
    assert (called["status"], called["counter"], called["call_count"]) == ("called", "1", 1)
    assert ticket_on_server(live_server, second)["status"] == "waiting"


def test_a_lost_call_of_a_number_is_not_taken_as_done_when_the_keypad_called_another(
        qtbot: QtBot, live_server: Any, proxy: Any, emulator: tuple[DeviceEmulator, str],
        bridge: Bridge, proxied_window: CounterWindow, access: Any) -> None:
    window, devices = proxied_window, emulator[0]
    first = live_server.issue("DD-NOP")["number"]
    wanted = live_server.issue("DD-NOP")["number"]
    log_in_and_wait(qtbot, window, access, waiting=2)
    window.trigger(Action.CALL_NUMBER)
    dialog = window.dialog
    assert isinstance(dialog, CallNumberDialog)
    QTest.keyClicks(dialog.number, wanted)
    proxy.cut_next_request(hold=True)
    QTest.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    keypad_calls_while_the_screen_is_away(qtbot, proxy, window, devices, first)

    qtbot.waitUntil(lambda: "CHƯA được thực hiện" in window.notice.text(), timeout=WAIT_MS)
    # The true state: the keypad's ticket in hand; the wanted one still waits.
    qtbot.waitUntil(lambda: window.ticket_number.text() == first and window.model.online,
                    timeout=WAIT_MS)
    assert ticket_on_server(live_server, wanted)["status"] == "waiting"
    assert ticket_on_server(live_server, first)["call_count"] == 1
