"""The counter window (pytest-qt, offscreen) against a real server on its own thread.

Every officer action through its button or keyboard shortcut, the transfer dialog, the waiting
list, today's figures, errors in plain Vietnamese, the citizen's rating screen, and
reconnection: after a server restart and after losing a request or its reply on the way, the
window shows the true state and no action is applied twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox, QTableWidget
from pytestqt.qtbot import QtBot

from counter.connection import CounterConnection
from counter.models import Page, RatingStage
from counter.requests import Action
from counter.settings import ConnectionSettings, CounterSettings
from counter.ui.app import build_window
from counter.ui.dialogs import CallNumberDialog, PauseDialog, TransferDialog, TransferKind
from counter.ui.window import CounterWindow

WAIT_MS = 10_000
OpenWindow = Callable[[str], CounterWindow]


@pytest.fixture
def open_window(qtbot: QtBot, access: Any) -> Iterator[OpenWindow]:
    """``open_window(url)``: a counter window connected to ``url``, shown at 1366x768."""
    connections: list[CounterConnection] = []

    def opening(url: str) -> CounterWindow:
        settings = CounterSettings(ConnectionSettings(url, access.counter_token, access.site,
                                                      reconnect_delays=(0.05,)), counter="1",
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
    """Press the action's keyboard shortcut (F2..F10) once the action is enabled."""
    qtbot.waitUntil(lambda: action in window.model.enabled_actions(), timeout=WAIT_MS)
    window.activateWindow()  # shortcuts reach the active window only (after a dialog, say)
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    number = int(window.shortcuts[action].key().toString().removeprefix("F"))
    QTest.keyClick(window, getattr(Qt.Key, f"Key_F{number}"))


def idle(window: CounterWindow) -> bool:
    return window.model.pending is None and window.model.online


def ticket_on_server(live_server: Any, number: str) -> dict[str, Any]:
    admin = live_server.admin()
    ticket: dict[str, Any] = live_server.request(admin, "ticket", number=number)["ticket"]
    return ticket


def test_wrong_password_shows_a_vietnamese_error(qtbot: QtBot, live_server: Any,
                                                  open_window: OpenWindow) -> None:
    window = open_window(live_server.ws_url)
    log_in(qtbot, window, "sai-mat-khau")
    qtbot.waitUntil(window.notice.isVisible, timeout=WAIT_MS)
    assert window.notice.text() == "Sai tên đăng nhập hoặc mật khẩu"
    assert window.notice.objectName() == "noticeError"
    assert window.pages.currentWidget() is window.login_page


def test_call_next_recall_start_and_finish_with_a_case_code(
        qtbot: QtBot, live_server: Any, open_window: OpenWindow, access: Any) -> None:
    first = live_server.issue("DD-NOP")["number"]
    second = live_server.issue("DD-TRA")["number"]
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)
    qtbot.waitUntil(lambda: window.waiting_table.rowCount() == 2, timeout=WAIT_MS)
    press(qtbot, window, Action.CALL_NEXT)
    wait_number(qtbot, window, first)
    assert window.ticket_status.text() == "Đang mời"
    assert window.ticket_service.text() == "Dịch vụ: Nộp hồ sơ đất đai"
    qtbot.waitUntil(lambda: window.waiting_table.rowCount() == 1, timeout=WAIT_MS)
    assert cell(window.waiting_table, 0, 0) == second

    key(qtbot, window, Action.RECALL)
    qtbot.waitUntil(lambda: "Số lần gọi: 2" in window.ticket_detail.text(), timeout=WAIT_MS)
    key(qtbot, window, Action.START)
    qtbot.waitUntil(lambda: window.ticket_status.text() == "Đang phục vụ", timeout=WAIT_MS)
    assert not window.action_buttons[Action.RECALL].isEnabled()

    QTest.keyClicks(window.case_code, "000.00.01.H01-261122-0001")
    key(qtbot, window, Action.FINISH)
    qtbot.waitUntil(lambda: shown_number(window) == "Chưa gọi số", timeout=WAIT_MS)
    assert window.case_code.text() == ""
    served = ticket_on_server(live_server, first)
    assert (served["status"], served["case_code"], served["call_count"]) == (
        "done", "000.00.01.H01-261122-0001", 2)
    qtbot.waitUntil(lambda: dict(window.model.figure_rows())["Đã phục vụ"] == "1",
                    timeout=WAIT_MS)


def test_call_a_given_number_and_no_show(qtbot: QtBot, live_server: Any,
                                         open_window: OpenWindow, access: Any) -> None:
    live_server.issue("DD-NOP")
    wanted = live_server.issue("DD-NOP")["number"]
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)
    key(qtbot, window, Action.CALL_NUMBER)
    dialog = window.dialog
    assert isinstance(dialog, CallNumberDialog)
    QTest.keyClicks(dialog.number, wanted)
    QTest.keyClick(dialog.number, Qt.Key.Key_Return)
    wait_number(qtbot, window, wanted)
    press(qtbot, window, Action.NO_SHOW)
    qtbot.waitUntil(lambda: shown_number(window) == "Chưa gọi số" and idle(window),
                    timeout=WAIT_MS)
    # The demo-like default re-queues a no-show once: it waits again at the end.
    assert ticket_on_server(live_server, wanted)["status"] in ("no_show", "waiting")


def test_transfer_dialog_to_a_service_and_to_a_counter(
        qtbot: QtBot, live_server: Any, open_window: OpenWindow, access: Any) -> None:
    first = live_server.issue("DD-NOP")["number"]
    second = live_server.issue("DD-NOP")["number"]
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)

    press(qtbot, window, Action.CALL_NEXT)
    wait_number(qtbot, window, first)
    key(qtbot, window, Action.TRANSFER)
    dialog = window.dialog
    assert isinstance(dialog, TransferDialog)
    assert dialog.windowTitle() == f"Chuyển số {first}"
    services = [dialog.choices.item(row).text() for row in range(dialog.choices.count())]
    assert "Nộp hồ sơ đất đai" not in services and "Đăng ký khai sinh" in services
    dialog.select(TransferKind.SERVICE, "HT")
    QTest.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown_number(window) == "Chưa gọi số" and idle(window),
                    timeout=WAIT_MS)
    assert window.notice.text() == f"Đã chuyển số {first} sang Đăng ký khai sinh."
    moved = ticket_on_server(live_server, first)
    assert (moved["status"], moved["service"]) == ("transferred", "HT")

    press(qtbot, window, Action.CALL_NEXT)
    wait_number(qtbot, window, second)
    press(qtbot, window, Action.TRANSFER)
    dialog = window.dialog
    assert isinstance(dialog, TransferDialog)
    dialog.select(TransferKind.COUNTER, "3")
    assert dialog.choices.currentItem().text() == "Quầy 3 — Đóng"
    QTest.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.notice.text() == f"Đã chuyển số {second} sang Quầy 3.",
                    timeout=WAIT_MS)
    assert ticket_on_server(live_server, second)["target_counter"] == "3"


def test_pause_with_a_reason_and_resume(qtbot: QtBot, live_server: Any,
                                        open_window: OpenWindow, access: Any) -> None:
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)
    key(qtbot, window, Action.PAUSE)
    dialog = window.dialog
    assert isinstance(dialog, PauseDialog)
    dialog.reason.setCurrentText("Họp giao ban")
    dialog.accept()
    qtbot.waitUntil(lambda: window.counter_state.text() == "Tạm nghỉ: Họp giao ban",
                    timeout=WAIT_MS)
    assert window.model.enabled_actions() == {Action.RESUME, Action.LOG_OUT}
    assert not window.action_buttons[Action.CALL_NEXT].isEnabled()
    key(qtbot, window, Action.RESUME)
    qtbot.waitUntil(lambda: window.counter_state.text() == "Đang mở", timeout=WAIT_MS)
    admin = live_server.admin()
    state = live_server.request(admin, "snapshot")["state"]
    assert next(item for item in state["counters"] if item["code"] == "1")["status"] == "open"


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
        qtbot: QtBot, live_server: Any, open_window: OpenWindow, access: Any) -> None:
    number = live_server.issue("DD-NOP")["number"]
    waiting = live_server.issue("DD-NOP")["number"]
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)
    press(qtbot, window, Action.CALL_NEXT)
    wait_number(qtbot, window, number)

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


def test_log_out(qtbot: QtBot, live_server: Any, open_window: OpenWindow, access: Any) -> None:
    window = open_window(live_server.ws_url)
    logged_in(qtbot, window, access)
    press(qtbot, window, Action.LOG_OUT)
    qtbot.waitUntil(lambda: window.model.page is Page.LOGIN, timeout=WAIT_MS)
    assert window.pages.currentWidget() is window.login_page
