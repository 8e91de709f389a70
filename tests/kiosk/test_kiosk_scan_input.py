"""Scanner input and its settings: the keyboard-scanner filter on real Qt widgets (key events
with set timestamps, or timed by a fake clock; no sleeps), the scanner options of
``qms kiosk``, and the controller's glue for scans, lookups and the scanner's status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from hardware.scanner import ScannerReport, ScannerState
from kiosk.connection import DeviceReport
from kiosk.controller import KioskController
from kiosk.errors import SettingsError
from kiosk.models.keystrokes import BurstDetector
from kiosk.models.screens import KioskModel, Screen
from kiosk.models.status import ConnectionState
from kiosk.printing import PrintJob
from kiosk.settings import KioskSettings, parse_arguments
from kiosk.ui.scan_input import KeyboardScanFilter


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


class Window:
    """A window with a button-like area and a text input, the filter installed app-wide."""

    def __init__(self, application: QApplication, clock: Clock) -> None:
        self.scans: list[str] = []
        self.widget = QWidget()
        layout = QVBoxLayout(self.widget)
        self.input = QLineEdit(self.widget)
        # Focused only when a test says so (a shown window focuses its first Tab stop).
        self.input.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        layout.addWidget(self.input)
        self.filter = KeyboardScanFilter(self.scans.append, BurstDetector(), clock)
        application.installEventFilter(self.filter)
        self.widget.show()

    def press(self, text: str, at_ms: int, key: Qt.Key = Qt.Key.Key_unknown,
              modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
              repeat: bool = False) -> bool:
        """One key press with its own timestamp; True when the widget received it."""
        received: list[str] = []
        original = self.widget.keyPressEvent

        def record(event: QKeyEvent) -> None:
            received.append(event.text())
            original(event)

        self.widget.keyPressEvent = record  # type: ignore[method-assign]
        event = QKeyEvent(QEvent.Type.KeyPress, key, modifiers, text, repeat)
        event.setTimestamp(at_ms)
        QApplication.sendEvent(self.widget, event)
        self.widget.keyPressEvent = original  # type: ignore[method-assign]
        return bool(received)

    def burst(self, text: str, start_ms: int, gap_ms: int) -> None:
        at = start_ms
        for character in text:
            self.press(character, at)
            at += gap_ms
        self.press("\r", at, Qt.Key.Key_Return)


@pytest.fixture
def window(qapp: QApplication) -> Iterator[Window]:
    made = Window(qapp, Clock())
    yield made
    qapp.removeEventFilter(made.filter)
    made.widget.close()


def test_a_burst_with_its_own_timestamps_is_one_scan(window: Window) -> None:
    window.burst("QMSB:K7MP2QXA", 10_000, 4)
    window.burst("QMSB:K7MP2QXA", 20_000, 150)  # a person's pace
    assert window.scans == ["QMSB:K7MP2QXA"] and window.filter.scans == 1


def test_keys_that_type_nothing_pass_and_do_not_break_a_burst(window: Window) -> None:
    at = 10_000
    for character in "QMSB:K7MP2QXA":
        shift = window.press("", at, Qt.Key.Key_Shift, Qt.KeyboardModifier.ShiftModifier)
        assert shift  # not a character: delivered as usual
        assert not window.press(character, at + 1)  # a character: taken by the filter
        at += 4
    window.press("\t", at, Qt.Key.Key_Tab)  # some scanners end with Tab
    assert window.scans == ["QMSB:K7MP2QXA"]
    assert window.press("\x1b", at + 500, Qt.Key.Key_Escape)  # control keys pass


def test_an_auto_repeated_key_is_swallowed_and_not_a_character(window: Window) -> None:
    at = 10_000
    for character in "QMSB:K7M":
        window.press(character, at)
        at += 4
    window.press("M", at, repeat=True)
    window.press("P", at + 4)
    for character in "2QXA":
        at += 4
        window.press(character, at + 4)
    window.press("\r", at + 8, Qt.Key.Key_Return)
    assert window.scans == ["QMSB:K7MP2QXA"]


def test_a_focused_text_input_gets_every_key(window: Window, qapp: QApplication) -> None:
    window.widget.activateWindow()
    window.input.setFocus()
    qapp.processEvents()
    if QApplication.focusWidget() is not window.input:
        pytest.skip("the offscreen platform gave the input no focus")
    QTest.keyClicks(window.input, "QMSB:K7MP2QXA")
    QTest.keyClick(window.input, Qt.Key.Key_Return)
    assert window.input.text() == "QMSB:K7MP2QXA" and window.scans == []


def test_events_without_a_timestamp_are_timed_by_the_clock(qapp: QApplication) -> None:
    clock = Clock()
    made = Window(qapp, clock)
    try:
        for character in "QMSB:K7MP2QXA":
            clock.now += 2
            QTest.keyClicks(made.widget, character)  # QTest's events carry timestamp 0
        clock.now += 2
        QTest.keyClick(made.widget, Qt.Key.Key_Return)
        for character in "K7MP2QXA":
            clock.now += 90
            QTest.keyClicks(made.widget, character)
        QTest.keyClick(made.widget, Qt.Key.Key_Return)
        assert made.scans == ["QMSB:K7MP2QXA"]
    finally:
        qapp.removeEventFilter(made.filter)
        made.widget.close()


# --- settings -----------------------------------------------------------------------------------

def parse(*arguments: str) -> KioskSettings:
    settings, _level = parse_arguments(["--token", "t", *arguments], {}, Path("/srv"))
    return settings


def test_scanner_options() -> None:
    default = parse()
    assert (default.scanner_url, default.scanner_baudrate, default.keyboard_scanner,
            default.scanner_key_gap_ms) == (None, 9600, True, 40)
    assert default.scanner_device == "kiosk-1/scanner"
    chosen = parse("--scanner", "/dev/ttyACM0", "--scanner-baudrate", "115200",
                   "--no-keyboard-scanner", "--scanner-key-gap-ms", "25")
    assert (chosen.scanner_url, chosen.scanner_baudrate, chosen.keyboard_scanner,
            chosen.scanner_key_gap_ms) == ("/dev/ttyACM0", 115200, False, 25)


@pytest.mark.parametrize(("arguments", "message"), [
    (("--scanner", " "), "--scanner must not be empty"),
    (("--scanner-baudrate", "0"), "--scanner-baudrate must be between"),
    (("--scanner-key-gap-ms", "0"), "--scanner-key-gap-ms must be between 1 and 500"),
    (("--scanner-key-gap-ms", "900"), "--scanner-key-gap-ms must be between 1 and 500"),
])
def test_bad_scanner_options_are_named(arguments: tuple[str, ...], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse(*arguments)


# --- the controller ---------------------------------------------------------------------------

class FakeServer:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []
        self.reports: list[DeviceReport] = []

    def issue(self, request_key: str, service: str, priority: str | None,
              birth_date: str | None = None) -> None:
        self.sent.append(("issue", request_key, service, priority, birth_date))

    def check_in(self, request_key: str, code: str, birth_date: str | None = None) -> None:
        self.sent.append(("check_in", request_key, code, birth_date))

    def find_bookings(self, lookup_id: str, id_number: str) -> None:
        self.sent.append(("bookings", lookup_id, id_number))

    def report_device(self, report: DeviceReport) -> None:
        self.reports.append(report)

    def refresh_snapshot(self) -> None:
        pass


class FakePrinter:
    def submit(self, job: PrintJob) -> None:
        pass


def controller() -> tuple[KioskController, FakeServer]:
    settings = KioskSettings(server_url="ws://127.0.0.1:1/ws", token="t", site="hcc-test",
                             printer_url="virtual:///tmp/unused", kiosk_name="kiosk-9")
    keys = iter(f"key-{number}" for number in range(1, 100))
    model = KioskModel(clock=lambda: 0.0, new_request_key=lambda: next(keys), idle_seconds=30,
                       ticket_seconds=10, one_level_max_services=0)
    server = FakeServer()
    made = KioskController(settings, model, server, FakePrinter())
    made.connection_changed(ConnectionState.ONLINE, {
        "site": {"code": "hcc-test", "name": "Trung tâm", "now": "2027-03-08T09:00:00+07:00",
                 "booking": {"enabled": True}, "priority_by_age": {"group": "NCT", "age": 75}},
        "fields": [{"code": "TP", "name": "Tư pháp"}],
        "services": [{"code": "HT", "name": "Khai sinh", "field": "TP", "kind": "other",
                      "waiting": 0, "eta_minutes": None, "open_counters": 0}],
        "priority_groups": [{"code": "NCT", "name": "Người cao tuổi"}],
    })
    return made, server


def test_scans_become_requests() -> None:
    from hardware.scanner.samples import id_card_text

    made, server = controller()
    made.scan("QMSB:K7MP2QXA")
    made.issue_refused("key-1", "not_found", "code: no booking")
    made.finish()
    made.scan(id_card_text(date(1950, 1, 2)))
    made.bookings_found("key-2", [])
    made.choose_field("TP")
    made.choose_service("HT")
    assert server.sent == [("check_in", "key-1", "K7MP2QXA", None),
                           ("bookings", "key-2", "001050000000"),
                           ("issue", "key-3", "HT", None, "1950-01-02")]


def test_an_unreadable_bookings_reply_is_a_failed_lookup() -> None:
    from hardware.scanner.samples import id_card_text

    made, _server = controller()
    made.scan(id_card_text(date(1950, 1, 2)))
    made.bookings_found("key-1", {"not": "a list"})
    assert made.model.screen is Screen.REFUSED


def test_the_scanners_condition_is_reported_in_vietnamese() -> None:
    made, server = controller()
    made.scanner_changed(ScannerReport(ScannerState.OFFLINE, "/dev/ttyACM0: unplugged"))
    made.scanner_changed(ScannerReport(ScannerState.OK, "/dev/ttyACM0 open"))
    assert server.reports == [
        DeviceReport("kiosk-9/scanner", "other", "offline",
                     "Máy quét mã không phản hồi. Vui lòng kiểm tra cáp nối."),
        DeviceReport("kiosk-9/scanner", "other", "ok", "Máy quét mã hoạt động bình thường."),
    ]
