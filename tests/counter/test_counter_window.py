"""The counter window (pytest-qt, offscreen) against a real server on its own thread.

Every officer action driven once by a mouse click on its button and once by its keyboard
shortcut, each checked on the server; the transfer and pause dialogs driven by clicks and
typing; the officer's own password changed from its dialog (refused there by the rule, refused
by the server, made, and told after a lost reply or request); the waiting list, today's
figures, errors in plain Vietnamese and in English, the citizen's rating screen, and
reconnection: after a server restart and after losing a request or its reply on the way, the
window shows the true state and no action is applied twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QLineEdit,
    QListWidget,
    QTableWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot
from support.servers import password_checks

from counter.connection import CounterConnection
from counter.models import SHORTCUTS, Page, RatingStage
from counter.requests import Action
from counter.settings import ConnectionSettings, CounterSettings
from counter.ui.app import build_window
from counter.ui.dialogs import CallNumberDialog, PasswordDialog, PauseDialog, TransferDialog
from counter.ui.window import CounterWindow

WAIT_MS = 10_000
OpenWindow = Callable[[str], CounterWindow]


@pytest.fixture
def open_window(qtbot: QtBot, access: Any) -> Iterator[OpenWindow]:
    """``open_window(url)``: a counter window connected to ``url``, shown at 1366x768."""
    connections: list[CounterConnection] = []

    def opening(url: str) -> CounterWindow:
        settings = CounterSettings(ConnectionSettings(url, access.counter_token, access.site,
                                                      reconnect_min_seconds=0.05), counter="1",
                                   windowed=True)
        window, connection = build_window(settings)
        connections.append(connection)
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        return window

    yield opening
    for connection in connections:
        connection.stop()


def cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return "" if item is None else item.text()


def log_in(qtbot: QtBot, window: CounterWindow, password: str, user: str = "lan") -> None:
    qtbot.waitUntil(window.login_button.isEnabled, timeout=WAIT_MS)
    window.user_field.setText(user)
    window.password_field.setText(password)
    QTest.mouseClick(window.login_button, Qt.MouseButton.LeftButton)


def logged_in(qtbot: QtBot, window: CounterWindow, access: Any) -> None:
    log_in(qtbot, window, access.password)
    qtbot.waitUntil(lambda: window.model.page is Page.WORK, timeout=WAIT_MS)


def shown_number(window: CounterWindow) -> str:
    return window.ticket_number.text()


def wait_number(qtbot: QtBot, window: CounterWindow, number: str) -> None:
    qtbot.waitUntil(lambda: shown_number(window) == number and window.model.pending is None,
                    timeout=WAIT_MS)


def press(qtbot: QtBot, window: CounterWindow, action: Action) -> None:
    """Click the action's button once it is enabled (as an officer would)."""
    button = window.action_buttons[action]
    qtbot.waitUntil(button.isEnabled, timeout=WAIT_MS)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def key(qtbot: QtBot, window: CounterWindow, action: Action) -> None:
    """Press the action's keyboard shortcut (F2..F10, Ctrl+L) once the action is enabled."""
    qtbot.waitUntil(lambda: action in window.model.enabled_actions(), timeout=WAIT_MS)
    window.activateWindow()  # shortcuts reach the active window only (after a dialog, say)
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    QTest.keySequence(window, window.shortcuts[action].key())


Trigger = Literal["button", "shortcut"]
TRIGGERS = pytest.mark.parametrize("trigger", ["button", "shortcut"])
NO_TICKET = "Chưa gọi số"


def act(qtbot: QtBot, window: CounterWindow, action: Action, trigger: Trigger) -> None:
    """Drive ``action`` the way ``trigger`` says: a mouse click on its button, or its key."""
    if trigger == "button":
        press(qtbot, window, action)
    else:
        key(qtbot, window, action)


def click_ok(buttons: QDialogButtonBox) -> None:
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.isEnabled()
    QTest.mouseClick(ok, Qt.MouseButton.LeftButton)


def click_item(choices: QListWidget, text: str) -> None:
    """Click the list item showing ``text`` where it is drawn."""
    item = next(choices.item(row) for row in range(choices.count())
                if choices.item(row).text() == text)
    choices.scrollToItem(item)
    QTest.mouseClick(choices.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, choices.visualItemRect(item).center())
    assert choices.currentItem() is item


def call_next(qtbot: QtBot, window: CounterWindow, number: str) -> None:
    """Set-up step: call the next ticket by its button and wait until ``number`` is shown."""
    press(qtbot, window, Action.CALL_NEXT)
    wait_number(qtbot, window, number)


def called_one(qtbot: QtBot, live_server: Any, open_window: OpenWindow,
               access: Any) -> tuple[CounterWindow, str]:
    """A logged-in window that has just called a new land-submission ticket, and its number."""
    number = live_server.issue("DD-NOP")["number"]
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)
    call_next(qtbot, window, number)
    return window, number


def type_text(widget: QWidget, text: str) -> None:
    """Type ``text`` into ``widget``: ASCII letters as key clicks, Vietnamese letters as an
    input method's commits (Unikey / ibus deliver them so; ``QTest.keyClicks`` aborts on
    characters outside Latin-1)."""
    for character in text:
        if character.isascii():
            QTest.keyClicks(widget, character)
        else:
            commit = QInputMethodEvent()
            commit.setCommitString(character)
            QApplication.sendEvent(widget, commit)


def pause(qtbot: QtBot, window: CounterWindow, trigger: Trigger, reason: str) -> None:
    """Open the pause dialog by ``trigger``, type ``reason`` over the offered one, click OK."""
    act(qtbot, window, Action.PAUSE, trigger)
    dialog = window.dialog
    assert isinstance(dialog, PauseDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    field = dialog.reason.lineEdit()
    assert field is not None
    QTest.mouseClick(field, Qt.MouseButton.LeftButton)
    QTest.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(field, reason)
    assert dialog.reason.currentText() == reason
    click_ok(dialog.buttons)
    qtbot.waitUntil(lambda: window.dialog is None, timeout=WAIT_MS)


def idle(window: CounterWindow) -> bool:
    return window.model.pending is None and window.model.online


def ticket_on_server(live_server: Any, number: str) -> dict[str, Any]:
    admin = live_server.admin()
    ticket: dict[str, Any] = live_server.request(admin, "ticket", number=number)["ticket"]
    return ticket


def counter_on_server(live_server: Any, code: str = "1") -> dict[str, Any]:
    """The counter as the server's snapshot has it."""
    state = live_server.request(live_server.admin(), "snapshot")["state"]
    counter: dict[str, Any] = next(item for item in state["counters"] if item["code"] == code)
    return counter


def test_wrong_password_shows_a_vietnamese_error(qtbot: QtBot, live_server: Any,
                                                  open_window: OpenWindow) -> None:
    window = open_window(live_server.ws_url)
    log_in(qtbot, window, "sai-mat-khau")
    qtbot.waitUntil(window.notice.isVisible, timeout=WAIT_MS)
    assert window.notice.text() == "Sai tên đăng nhập hoặc mật khẩu"
    assert window.notice.objectName() == "noticeError"
    assert window.pages.currentWidget() is window.login_page


@TRIGGERS
def test_call_next(qtbot: QtBot, live_server: Any, open_window: OpenWindow, access: Any,
                   trigger: Trigger) -> None:
    first = live_server.issue("DD-NOP")["number"]
    second = live_server.issue("DD-TRA")["number"]
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)
    qtbot.waitUntil(lambda: window.waiting_table.rowCount() == 2, timeout=WAIT_MS)
    act(qtbot, window, Action.CALL_NEXT, trigger)
    wait_number(qtbot, window, first)
    assert window.ticket_status.text() == "Đang mời"
    assert window.ticket_service.text() == "Dịch vụ: Nộp hồ sơ đất đai"
    qtbot.waitUntil(lambda: window.waiting_table.rowCount() == 1, timeout=WAIT_MS)
    assert cell(window.waiting_table, 0, 0) == second
    called = ticket_on_server(live_server, first)
    assert (called["status"], called["counter"], called["call_count"]) == ("called", "1", 1)
    assert ticket_on_server(live_server, second)["status"] == "waiting"
    assert counter_on_server(live_server)["ticket"]["number"] == first


@TRIGGERS
def test_recall(qtbot: QtBot, live_server: Any, open_window: OpenWindow, access: Any,
                trigger: Trigger) -> None:
    window, number = called_one(qtbot, live_server, open_window, access)
    act(qtbot, window, Action.RECALL, trigger)
    qtbot.waitUntil(lambda: "Số lần gọi: 2" in window.ticket_detail.text() and idle(window),
                    timeout=WAIT_MS)
    recalled = ticket_on_server(live_server, number)
    assert (recalled["status"], recalled["counter"], recalled["call_count"]) == (
        "called", "1", 2)


@TRIGGERS
def test_call_a_given_number(qtbot: QtBot, live_server: Any, open_window: OpenWindow,
                             access: Any, trigger: Trigger) -> None:
    ahead = live_server.issue("DD-NOP")["number"]
    wanted = live_server.issue("DD-NOP")["number"]
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)
    act(qtbot, window, Action.CALL_NUMBER, trigger)
    dialog = window.dialog
    assert isinstance(dialog, CallNumberDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    QTest.keyClicks(dialog.number, wanted.lower())  # typed in lower case: read as printed
    click_ok(dialog.buttons)
    wait_number(qtbot, window, wanted)
    assert window.dialog is None
    called = ticket_on_server(live_server, wanted)
    assert (called["status"], called["counter"]) == ("called", "1")
    assert ticket_on_server(live_server, ahead)["status"] == "waiting"


@TRIGGERS
def test_start(qtbot: QtBot, live_server: Any, open_window: OpenWindow, access: Any,
               trigger: Trigger) -> None:
    window, number = called_one(qtbot, live_server, open_window, access)
    act(qtbot, window, Action.START, trigger)
    qtbot.waitUntil(lambda: window.ticket_status.text() == "Đang phục vụ" and idle(window),
                    timeout=WAIT_MS)
    assert not window.action_buttons[Action.RECALL].isEnabled()
    served = ticket_on_server(live_server, number)
    assert (served["status"], served["counter"]) == ("serving", "1")


@TRIGGERS
def test_no_show_requeues_once_then_marks_it(qtbot: QtBot, live_server: Any,
                                             open_window: OpenWindow, access: Any,
                                             trigger: Trigger) -> None:
    window, number = called_one(qtbot, live_server, open_window, access)
    act(qtbot, window, Action.NO_SHOW, trigger)
    qtbot.waitUntil(lambda: shown_number(window) == NO_TICKET and idle(window),
                    timeout=WAIT_MS)
    # The test site re-queues a no-show once, at the end of its queue...
    requeued = ticket_on_server(live_server, number)
    assert (requeued["status"], requeued["counter"]) == ("waiting", None)
    assert counter_on_server(live_server)["ticket"] is None
    call_next(qtbot, window, number)
    act(qtbot, window, Action.NO_SHOW, trigger)
    qtbot.waitUntil(lambda: shown_number(window) == NO_TICKET and idle(window),
                    timeout=WAIT_MS)
    # ...and the second time it stays a no-show.
    assert ticket_on_server(live_server, number)["status"] == "no_show"


@TRIGGERS
def test_finish_with_a_case_code(qtbot: QtBot, live_server: Any, open_window: OpenWindow,
                                 access: Any, trigger: Trigger) -> None:
    window, number = called_one(qtbot, live_server, open_window, access)
    QTest.mouseClick(window.case_code, Qt.MouseButton.LeftButton)
    QTest.keyClicks(window.case_code, "000.00.01.H01-261122-0001")
    act(qtbot, window, Action.FINISH, trigger)
    qtbot.waitUntil(lambda: shown_number(window) == NO_TICKET and idle(window),
                    timeout=WAIT_MS)
    assert window.case_code.text() == ""
    served = ticket_on_server(live_server, number)
    assert (served["status"], served["case_code"], served["counter"]) == (
        "done", "000.00.01.H01-261122-0001", "1")
    qtbot.waitUntil(lambda: dict(window.model.figure_rows())["Đã phục vụ"] == "1",
                    timeout=WAIT_MS)


@TRIGGERS
def test_transfer_dialog_to_a_service_and_to_a_counter(
        qtbot: QtBot, live_server: Any, open_window: OpenWindow, access: Any,
        trigger: Trigger) -> None:
    first = live_server.issue("DD-NOP")["number"]
    second = live_server.issue("DD-NOP")["number"]
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)

    call_next(qtbot, window, first)
    act(qtbot, window, Action.TRANSFER, trigger)
    dialog = window.dialog
    assert isinstance(dialog, TransferDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    assert dialog.windowTitle() == f"Chuyển số {first}"
    assert dialog.to_service.isChecked()
    services = [dialog.choices.item(row).text() for row in range(dialog.choices.count())]
    assert "Nộp hồ sơ đất đai" not in services and "Đăng ký khai sinh" in services
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # nothing chosen yet
    click_item(dialog.choices, "Đăng ký khai sinh")
    assert ok.isEnabled()
    click_ok(dialog.buttons)
    qtbot.waitUntil(lambda: shown_number(window) == NO_TICKET and idle(window),
                    timeout=WAIT_MS)
    assert window.notice.text() == f"Đã chuyển số {first} sang Đăng ký khai sinh."
    moved = ticket_on_server(live_server, first)
    assert (moved["status"], moved["service"]) == ("transferred", "HT")

    call_next(qtbot, window, second)
    act(qtbot, window, Action.TRANSFER, trigger)
    dialog = window.dialog
    assert isinstance(dialog, TransferDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    QTest.mouseClick(dialog.to_counter, Qt.MouseButton.LeftButton)
    assert dialog.to_counter.isChecked()
    counters = [dialog.choices.item(row).text() for row in range(dialog.choices.count())]
    assert counters == ["Quầy 2 — Đóng", "Quầy 3 — Đóng"]
    click_item(dialog.choices, "Quầy 3 — Đóng")
    click_ok(dialog.buttons)
    qtbot.waitUntil(lambda: window.notice.text() == f"Đã chuyển số {second} sang Quầy 3.",
                    timeout=WAIT_MS)
    moved = ticket_on_server(live_server, second)
    assert (moved["status"], moved["target_counter"]) == ("transferred", "3")


@TRIGGERS
def test_pause_with_a_typed_reason(qtbot: QtBot, live_server: Any, open_window: OpenWindow,
                                   access: Any, trigger: Trigger) -> None:
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)
    pause(qtbot, window, trigger, "Đi lấy hồ sơ ở kho")
    qtbot.waitUntil(lambda: window.counter_state.text() == "Tạm nghỉ: Đi lấy hồ sơ ở kho"
                    and idle(window), timeout=WAIT_MS)
    assert window.model.enabled_actions() == {Action.RESUME, Action.LOG_OUT}
    assert not window.action_buttons[Action.CALL_NEXT].isEnabled()
    counter = counter_on_server(live_server)
    assert (counter["status"], counter["pause_reason"]) == ("paused", "Đi lấy hồ sơ ở kho")


@TRIGGERS
def test_resume(qtbot: QtBot, live_server: Any, open_window: OpenWindow, access: Any,
                trigger: Trigger) -> None:
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)
    pause(qtbot, window, "button", "Họp")
    qtbot.waitUntil(lambda: Action.RESUME in window.model.enabled_actions(), timeout=WAIT_MS)
    act(qtbot, window, Action.RESUME, trigger)
    qtbot.waitUntil(lambda: window.counter_state.text() == "Đang mở" and idle(window),
                    timeout=WAIT_MS)
    counter = counter_on_server(live_server)
    assert (counter["status"], counter["pause_reason"], counter["officer"]) == (
        "open", None, "lan")


@TRIGGERS
def test_log_out(qtbot: QtBot, live_server: Any, open_window: OpenWindow, access: Any,
                 trigger: Trigger) -> None:
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)
    assert counter_on_server(live_server)["officer"] == "lan"
    act(qtbot, window, Action.LOG_OUT, trigger)
    qtbot.waitUntil(lambda: window.model.page is Page.LOGIN and idle(window), timeout=WAIT_MS)
    assert window.pages.currentWidget() is window.login_page
    counter = counter_on_server(live_server)
    assert (counter["status"], counter["officer"]) == ("closed", None)


def test_every_action_is_driven_both_ways_above() -> None:
    # The parametrised tests above cover exactly these actions; a new action must join them.
    assert set(SHORTCUTS) == set(Action) == {
        Action.CALL_NEXT, Action.RECALL, Action.CALL_NUMBER, Action.START, Action.NO_SHOW,
        Action.FINISH, Action.TRANSFER, Action.PAUSE, Action.RESUME, Action.LOG_OUT}


def english(qtbot: QtBot, window: CounterWindow) -> None:
    QTest.mouseClick(window.language_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.language_button.text() == "Tiếng Việt", timeout=WAIT_MS)


def test_english_errors_from_the_server(qtbot: QtBot, live_server: Any,
                                        open_window: OpenWindow, access: Any) -> None:
    window = open_window(live_server.ws_url)
    english(qtbot, window)
    log_in(qtbot, window, "wrong-password")
    qtbot.waitUntil(window.notice.isVisible, timeout=WAIT_MS)
    assert window.notice.text() == "Wrong user name or password"
    logged_in(qtbot, window, access)
    assert window.action_buttons[Action.CALL_NEXT].text() == "Call next  (F2)"

    press(qtbot, window, Action.CALL_NEXT)
    qtbot.waitUntil(lambda: window.notice.text() == "Nobody is waiting" and idle(window),
                    timeout=WAIT_MS)
    assert window.notice.objectName() == "noticeError"
    assert "not_found" in window.notice.toolTip()

    press(qtbot, window, Action.CALL_NUMBER)
    dialog = window.dialog
    assert isinstance(dialog, CallNumberDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).text() == "OK"
    QTest.keyClicks(dialog.number, "1999")
    click_ok(dialog.buttons)
    qtbot.waitUntil(lambda: window.notice.text() == "There is no ticket 1999 today"
                    and idle(window), timeout=WAIT_MS)
    assert window.notice.objectName() == "noticeError"

    served = live_server.issue("DD-NOP")["number"]
    call_next(qtbot, window, served)
    press(qtbot, window, Action.FINISH)
    qtbot.waitUntil(lambda: shown_number(window) == "No ticket called" and idle(window),
                    timeout=WAIT_MS)
    press(qtbot, window, Action.CALL_NUMBER)
    dialog = window.dialog
    assert isinstance(dialog, CallNumberDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    QTest.keyClicks(dialog.number, served)
    click_ok(dialog.buttons)
    qtbot.waitUntil(lambda: window.notice.text() == f"Ticket {served} is no longer waiting: "
                    "already served" and idle(window), timeout=WAIT_MS)
    assert ticket_on_server(live_server, served)["status"] == "done"


def test_waiting_list_in_calling_order_with_priority_marks_and_figures(
        qtbot: QtBot, live_server: Any, open_window: OpenWindow, access: Any) -> None:
    ordinary = live_server.issue("DD-NOP")["number"]
    elder = live_server.issue("DD-NOP", priority="NCT")["number"]
    live_server.issue("HT")  # not served at counter 1
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)
    qtbot.waitUntil(lambda: window.waiting_table.rowCount() == 2, timeout=WAIT_MS)
    rows = [[cell(window.waiting_table, row, column) for column in range(4)]
            for row in range(2)]
    assert [row[0] for row in rows] == [elder, ordinary]
    assert rows[0][2] == "★ Người cao tuổi" and rows[1][2] == ""
    assert window.waiting_title.text() == "Danh sách chờ (2)"
    figures = dict(window.model.figure_rows())
    assert figures["Đã phục vụ"] == "0" and figures["Chờ trung bình"] == "—"

    press(qtbot, window, Action.CALL_NEXT)
    wait_number(qtbot, window, elder)
    assert window.priority_mark.text() == "★ Người cao tuổi"
    press(qtbot, window, Action.FINISH)
    qtbot.waitUntil(lambda: window.model.rating is not None, timeout=WAIT_MS)
    window.rate(4)
    qtbot.waitUntil(lambda: dict(window.model.figure_rows())["Đánh giá"] == "Rất hài lòng: 1",
                    timeout=WAIT_MS)
    figures = dict(window.model.figure_rows())
    assert figures["Đã phục vụ"] == "1" and figures["Điểm trung bình"] == "4.00"
    captions = [caption.text() for caption, _ in window.figure_labels]
    assert captions[0] == "Đã phục vụ"


def test_call_next_with_nobody_waiting_shows_the_error(
        qtbot: QtBot, live_server: Any, open_window: OpenWindow, access: Any) -> None:
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)
    key(qtbot, window, Action.CALL_NEXT)
    qtbot.waitUntil(window.notice.isVisible, timeout=WAIT_MS)
    assert window.notice.text() == "Không còn công dân nào đang chờ"
    assert "not_found" in window.notice.toolTip()
    QTest.mouseClick(window.language_button, Qt.MouseButton.LeftButton)
    assert window.action_buttons[Action.CALL_NEXT].text() == "Call next  (F2)"


def test_rating_screen_takes_one_rating_within_the_window(
        qtbot: QtBot, live_server: Any, open_window: OpenWindow, access: Any) -> None:
    number = live_server.issue("DD-NOP")["number"]
    admin = live_server.admin()
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)
    press(qtbot, window, Action.CALL_NEXT)
    wait_number(qtbot, window, number)
    press(qtbot, window, Action.FINISH)
    screen = window.rating_screen
    qtbot.waitUntil(screen.isVisible, timeout=WAIT_MS)
    assert [button.text() for button in screen.buttons.values()] == [
        "Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng"]
    assert screen.remaining.text() in ("Còn 30 giây", "Còn 29 giây")
    assert screen.ticket.text() == f"Số thứ tự {number}"
    QTest.mouseClick(screen.buttons[3], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.message.text() == "Cảm ơn Quý khách đã đánh giá!",
                    timeout=WAIT_MS)
    assert not any(button.isEnabled() for button in screen.buttons.values())
    window.rate(4)  # a second press is not sent
    assert window.model.rating is not None
    assert window.model.rating.stage is RatingStage.THANKED
    rating = live_server.run(admin.next_event("rating.received"))
    assert (rating.data["score"], rating.data["source"], rating.data["counter"]) == (
        3, "counter", "1")


def test_reconnects_after_a_server_restart_and_applies_nothing_twice(
        qtbot: QtBot, live_server: Any, open_window: OpenWindow, access: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    number = live_server.issue("DD-NOP")["number"]
    waiting = live_server.issue("DD-NOP")["number"]
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)
    press(qtbot, window, Action.CALL_NEXT)
    wait_number(qtbot, window, number)
    checked = password_checks(monkeypatch)

    live_server.stop()
    qtbot.waitUntil(lambda: not window.model.online, timeout=WAIT_MS)
    assert window.connection_label.text() == "● Mất kết nối — đang kết nối lại…"
    assert not any(button.isEnabled() for button in window.action_buttons.values())
    window.trigger(Action.CALL_NEXT)  # disabled: nothing is sent, now or later

    live_server.start()  # the same port and database file
    qtbot.waitUntil(lambda: window.model.online and window.model.page is Page.WORK,
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.notice.text() == "Đã kết nối lại với máy chủ.",
                    timeout=WAIT_MS)
    assert shown_number(window) == number
    assert window.action_buttons[Action.RECALL].isEnabled()
    assert ticket_on_server(live_server, number)["call_count"] == 1
    assert ticket_on_server(live_server, waiting)["status"] == "waiting"
    # Still logged in: the next call works.
    press(qtbot, window, Action.CALL_NEXT)
    wait_number(qtbot, window, waiting)
    # Logged in again with its session: the restarted server hashed no password.
    assert checked == []


def test_a_call_whose_reply_was_lost_is_reported_done_and_not_repeated(
        qtbot: QtBot, live_server: Any, proxy: Any, open_window: OpenWindow, access: Any) -> None:
    number = live_server.issue("DD-NOP")["number"]
    waiting = live_server.issue("DD-NOP")["number"]
    window = open_window(proxy.ws_url)
    logged_in(qtbot, window, access)
    qtbot.waitUntil(lambda: window.waiting_table.rowCount() == 2 and idle(window),
                    timeout=WAIT_MS)
    proxy.cut_on_reply_containing("ticket.called")
    key(qtbot, window, Action.CALL_NEXT)
    qtbot.waitUntil(proxy.cut.is_set, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "ĐÃ được thực hiện" in window.notice.text(), timeout=WAIT_MS)
    assert "«Gọi tiếp»" in window.notice.text()
    qtbot.waitUntil(lambda: shown_number(window) == number and idle(window), timeout=WAIT_MS)
    assert ticket_on_server(live_server, number)["call_count"] == 1
    assert ticket_on_server(live_server, waiting)["status"] == "waiting"


def test_a_call_lost_on_the_way_is_reported_not_done(
        qtbot: QtBot, live_server: Any, proxy: Any, open_window: OpenWindow, access: Any) -> None:
    number = live_server.issue("DD-NOP")["number"]
    window = open_window(proxy.ws_url)
    logged_in(qtbot, window, access)
    qtbot.waitUntil(lambda: window.waiting_table.rowCount() == 1 and idle(window),
                    timeout=WAIT_MS)
    proxy.cut_next_request()
    key(qtbot, window, Action.CALL_NEXT)
    qtbot.waitUntil(lambda: "CHƯA được thực hiện" in window.notice.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: idle(window) and window.model.page is Page.WORK, timeout=WAIT_MS)
    assert shown_number(window) == "Chưa gọi số"
    assert ticket_on_server(live_server, number)["status"] == "waiting"
    key(qtbot, window, Action.CALL_NEXT)
    wait_number(qtbot, window, number)


def test_a_five_label_scale_and_a_short_window_from_the_config(
        qtbot: QtBot, clocked_server: Any, server_clock: Any, open_window: OpenWindow,
        access: Any) -> None:
    rated = clocked_server.issue("DD-NOP")["number"]
    late = clocked_server.issue("DD-NOP")["number"]
    admin = clocked_server.admin()
    window = open_window(clocked_server.ws_url)
    logged_in(qtbot, window, access)
    call_next(qtbot, window, rated)
    press(qtbot, window, Action.FINISH)
    screen = window.rating_screen
    qtbot.waitUntil(screen.isVisible, timeout=WAIT_MS)
    assert [button.text() for button in screen.buttons.values()] == [
        "Rất hài lòng", "Hài lòng", "Bình thường", "Chưa hài lòng", "Rất không hài lòng"]
    assert list(screen.buttons) == [5, 4, 3, 2, 1]
    assert screen.remaining.text() in ("Còn 20 giây", "Còn 19 giây")
    server_clock.advance(19)  # still inside the server's window
    QTest.mouseClick(screen.buttons[4], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.message.text() == "Cảm ơn Quý khách đã đánh giá!",
                    timeout=WAIT_MS)
    rating = clocked_server.run(admin.next_event("rating.received"))
    assert (rating.data["score"], rating.data["label"], rating.data["label_en"]) == (
        4, "Hài lòng", "Satisfied")

    call_next(qtbot, window, late)
    press(qtbot, window, Action.FINISH)
    qtbot.waitUntil(lambda: screen.isVisible() and screen.ticket.text() == f"Số thứ tự {late}"
                    and all(button.isEnabled() for button in screen.buttons.values()),
                    timeout=WAIT_MS)
    # The screen's own countdown runs on the PC's clock; the server keeps the real window.
    assert window.model.site is not None and window.model.site.rating_window_seconds == 20
    server_clock.advance(21)
    QTest.mouseClick(screen.buttons[5], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.message.text()
                    == f"Đã hết thời gian đánh giá cho số {late}", timeout=WAIT_MS)
    stats = clocked_server.request(admin, "counter_stats", as_counter="1")["stats"]
    assert stats["ratings"] == {"4": 1}


def test_todays_figures_show_the_average_wait_and_service_time(
        qtbot: QtBot, clocked_server: Any, server_clock: Any, open_window: OpenWindow,
        access: Any) -> None:
    first = clocked_server.issue("DD-NOP")["number"]
    server_clock.advance(60)
    second = clocked_server.issue("DD-NOP")["number"]
    window = open_window(clocked_server.ws_url)
    logged_in(qtbot, window, access)

    def figures() -> dict[str, str]:
        return dict(window.model.figure_rows())

    assert (figures()["Chờ trung bình"], figures()["Phục vụ trung bình"]) == ("—", "—")
    server_clock.advance(240)
    call_next(qtbot, window, first)  # waited 300 s
    server_clock.advance(30)
    press(qtbot, window, Action.START)
    qtbot.waitUntil(lambda: window.ticket_status.text() == "Đang phục vụ" and idle(window),
                    timeout=WAIT_MS)
    server_clock.advance(240)
    press(qtbot, window, Action.FINISH)  # served 240 s (from the start)
    qtbot.waitUntil(lambda: figures()["Đã phục vụ"] == "1", timeout=WAIT_MS)
    assert (figures()["Chờ trung bình"], figures()["Phục vụ trung bình"]) == ("5 phút", "4 phút")

    call_next(qtbot, window, second)  # waited 510 s
    press(qtbot, window, Action.START)
    qtbot.waitUntil(lambda: window.ticket_status.text() == "Đang phục vụ" and idle(window),
                    timeout=WAIT_MS)
    server_clock.advance(120)
    press(qtbot, window, Action.FINISH)  # served 120 s
    qtbot.waitUntil(lambda: figures()["Đã phục vụ"] == "2", timeout=WAIT_MS)
    # (300 + 510) / 2 = 405 s and (240 + 120) / 2 = 180 s
    assert (figures()["Chờ trung bình"], figures()["Phục vụ trung bình"]) == ("6 phút", "3 phút")
    stats = clocked_server.request(clocked_server.admin(), "counter_stats",
                                   as_counter="1")["stats"]
    assert (stats["served"], stats["average_wait_seconds"],
            stats["average_service_seconds"]) == (2, 405.0, 180.0)
    english(qtbot, window)
    assert (figures()["Average wait"], figures()["Average service"]) == ("6 min", "3 min")


NEW_PASSWORD = "mật-khẩu-mới-1"
PASSWORD_CHANGED = "Đã đổi mật khẩu. Lần đăng nhập sau hãy dùng mật khẩu mới."


def configuration_version(live_server: Any) -> int:
    async def latest() -> int:
        return int((await live_server.running.service.configuration.history(1))[0].version)

    return int(live_server.run(latest()))


def password_dialog(qtbot: QtBot, window: CounterWindow) -> PasswordDialog:
    """Click the change-password button once it is enabled; the dialog it opens."""
    qtbot.waitUntil(window.password_button.isEnabled, timeout=WAIT_MS)
    QTest.mouseClick(window.password_button, Qt.MouseButton.LeftButton)
    dialog = window.dialog
    assert isinstance(dialog, PasswordDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    return dialog


def fill(dialog: PasswordDialog, current: str, new: str, repeat: str) -> None:
    """Type the three fields anew, as the officer would."""
    for field, text in ((dialog.current, current), (dialog.new, new), (dialog.repeat, repeat)):
        field.clear()
        type_text(field, text)
        assert field.text() == text


def test_the_officer_changes_their_password_from_the_dialog(
        qtbot: QtBot, live_server: Any, open_window: OpenWindow, access: Any) -> None:
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)
    assert window.password_button.text() == "Đổi mật khẩu…"
    dialog = password_dialog(qtbot, window)
    # Window-modal, opened with open(): the window keeps running behind it.
    assert dialog.windowModality() is Qt.WindowModality.WindowModal
    assert window.timer.isActive()
    assert {field.echoMode() for field in (dialog.current, dialog.new, dialog.repeat)} == {
        QLineEdit.EchoMode.Password}
    # Refused in the dialog, which stays open saying why; nothing reaches the server.
    for fields, reason in (
            ((access.password, NEW_PASSWORD, "mật-khẩu-mới-2"),
             "Hai lần nhập mật khẩu mới không giống nhau"),
            ((access.password, "ngan", "ngan"), "Mật khẩu mới cần ít nhất 8 ký tự"),
            ((access.password, access.password, access.password),
             "Mật khẩu mới phải khác mật khẩu hiện tại"),
            (("", NEW_PASSWORD, NEW_PASSWORD), "Hãy nhập mật khẩu hiện tại")):
        fill(dialog, *fields)
        click_ok(dialog.buttons)  # the check runs in the click: said at once, still open
        assert dialog.problem.text() == reason
        assert dialog.problem.isVisible() and window.dialog is dialog and dialog.isVisible()
    assert configuration_version(live_server) == 1
    fill(dialog, access.password, NEW_PASSWORD, NEW_PASSWORD)
    click_ok(dialog.buttons)
    qtbot.waitUntil(lambda: window.dialog is None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.notice.text() == PASSWORD_CHANGED and idle(window),
                    timeout=WAIT_MS)
    assert window.notice.objectName() == "noticeInfo"
    assert configuration_version(live_server) == 2
    assert window.model.page is Page.WORK
    assert counter_on_server(live_server)["officer"] == "lan"

    # After a server restart the window logs in again by itself: with the new password.
    live_server.stop()
    qtbot.waitUntil(lambda: not window.model.online, timeout=WAIT_MS)
    live_server.start()
    qtbot.waitUntil(lambda: window.notice.text() == "Đã kết nối lại với máy chủ."
                    and window.model.page is Page.WORK and idle(window), timeout=WAIT_MS)
    assert counter_on_server(live_server)["officer"] == "lan"
    # And the officer, logged out, logs in with the new one.
    press(qtbot, window, Action.LOG_OUT)
    qtbot.waitUntil(lambda: window.model.page is Page.LOGIN and idle(window), timeout=WAIT_MS)
    log_in(qtbot, window, access.password)
    qtbot.waitUntil(lambda: window.notice.text() == "Sai tên đăng nhập hoặc mật khẩu",
                    timeout=WAIT_MS)
    log_in(qtbot, window, NEW_PASSWORD)
    qtbot.waitUntil(lambda: window.model.page is Page.WORK, timeout=WAIT_MS)


def test_a_wrong_current_password_is_said_by_the_server(
        qtbot: QtBot, live_server: Any, open_window: OpenWindow, access: Any) -> None:
    window = open_window(live_server.ws_url)
    english(qtbot, window)
    logged_in(qtbot, window, access)
    assert window.password_button.text() == "Change password…"
    dialog = password_dialog(qtbot, window)
    fill(dialog, "not-my-password", NEW_PASSWORD, NEW_PASSWORD)
    click_ok(dialog.buttons)
    qtbot.waitUntil(lambda: window.notice.text() == "The current password is wrong"
                    and idle(window), timeout=WAIT_MS)
    assert window.notice.objectName() == "noticeError"
    assert window.model.page is Page.WORK and window.password_button.isEnabled()
    assert configuration_version(live_server) == 1


def test_a_password_change_whose_reply_was_lost_is_told_done_by_the_login_again(
        qtbot: QtBot, live_server: Any, proxy: Any, open_window: OpenWindow,
        access: Any) -> None:
    window = open_window(proxy.ws_url)
    logged_in(qtbot, window, access)
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT_MS)
    dialog = password_dialog(qtbot, window)
    fill(dialog, access.password, NEW_PASSWORD, NEW_PASSWORD)
    # The change is made and its config.changed (and reply) never reach the window.
    proxy.cut_on_reply_containing("config.changed")
    click_ok(dialog.buttons)
    qtbot.waitUntil(proxy.cut.is_set, timeout=WAIT_MS)
    # The old password is refused on reconnecting, the new one logs in: it was done.
    qtbot.waitUntil(lambda: "ĐÃ được thực hiện" in window.notice.text(), timeout=WAIT_MS)
    assert "«Đổi mật khẩu»" in window.notice.text()
    qtbot.waitUntil(lambda: idle(window) and window.model.page is Page.WORK, timeout=WAIT_MS)
    assert configuration_version(live_server) == 2
    assert counter_on_server(live_server)["officer"] == "lan"
    # The window remembers the new one: the next reconnection logs in at once.
    live_server.stop()
    qtbot.waitUntil(lambda: not window.model.online, timeout=WAIT_MS)
    live_server.start()
    qtbot.waitUntil(lambda: window.notice.text() == "Đã kết nối lại với máy chủ."
                    and window.model.page is Page.WORK and idle(window), timeout=WAIT_MS)


def test_a_password_change_lost_on_the_way_is_told_not_done(
        qtbot: QtBot, live_server: Any, proxy: Any, open_window: OpenWindow,
        access: Any) -> None:
    window = open_window(proxy.ws_url)
    logged_in(qtbot, window, access)
    qtbot.waitUntil(lambda: idle(window), timeout=WAIT_MS)
    dialog = password_dialog(qtbot, window)
    fill(dialog, access.password, NEW_PASSWORD, NEW_PASSWORD)
    proxy.cut_next_request()
    click_ok(dialog.buttons)
    qtbot.waitUntil(lambda: "CHƯA được thực hiện" in window.notice.text(), timeout=WAIT_MS)
    assert "«Đổi mật khẩu»" in window.notice.text()
    qtbot.waitUntil(lambda: idle(window) and window.model.page is Page.WORK, timeout=WAIT_MS)
    assert configuration_version(live_server) == 1
    # Sent again by the officer, it is made.
    dialog = password_dialog(qtbot, window)
    fill(dialog, access.password, NEW_PASSWORD, NEW_PASSWORD)
    click_ok(dialog.buttons)
    qtbot.waitUntil(lambda: window.notice.text() == PASSWORD_CHANGED, timeout=WAIT_MS)
    assert configuration_version(live_server) == 2
