"""Screenshots of the counter app on the demo configuration, at 1366x768 and 1920x1080.

Always rendered (so every screen is drawn at both sizes in the test run); saved into the
folder named by ``QMS_SCREENSHOTS`` when it is set (``QMS_SCREENSHOTS=docs/images`` makes the
documentation's pictures), into the test's temporary folder otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from counter.models import Page
from counter.requests import Action
from counter.settings import ConnectionSettings, CounterSettings, Language
from counter.ui.app import build_window
from counter.ui.dialogs import CallNumberDialog, PasswordDialog, TransferDialog
from counter.ui.window import CounterWindow

WAIT_MS = 10_000
SIZES = ((1366, 768), (1920, 1080))


@pytest.fixture
def output(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("QMS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def demo_window(qtbot: QtBot, demo_server: Any, demo_clock: Any) -> Iterator[CounterWindow]:
    settings = CounterSettings(ConnectionSettings(demo_server.ws_url, "demo-counter-token-0001",
                                                  "hcc-tinh", reconnect_min_seconds=0.05),
                               counter="Q01", windowed=True)
    # The window counts waits on the server's hand-moved clock: the pictures show a morning.
    window, connection = build_window(settings, clock=demo_clock)
    qtbot.addWidget(window)
    window.show()
    yield window
    connection.stop()


def shoot(widget: QWidget, path: Path, size: tuple[int, int]) -> None:
    widget.resize(*size)
    QApplication.processEvents()
    pixmap = widget.grab()
    assert (pixmap.width(), pixmap.height()) == size
    assert pixmap.save(str(path))


def shoot_with_dialog(window: CounterWindow, dialog: QWidget, path: Path,
                      size: tuple[int, int]) -> None:
    """The window with its (window-modal) dialog drawn on top, as the officer sees it."""
    window.resize(*size)
    QApplication.processEvents()
    pixmap: QPixmap = window.grab()
    painter = QPainter(pixmap)
    painter.fillRect(pixmap.rect(), QColor(0, 0, 0, 90))
    picture = dialog.grab()
    painter.drawPixmap(QPoint((size[0] - picture.width()) // 2,
                              (size[1] - picture.height()) // 3), picture)
    painter.end()
    assert pixmap.save(str(path))


def press(qtbot: QtBot, window: CounterWindow, action: Action) -> None:
    qtbot.waitUntil(lambda: action in window.model.enabled_actions(), timeout=WAIT_MS)
    window.trigger(action)


def serve(qtbot: QtBot, window: CounterWindow, number: str, score: int | None,
          clock: Any, minutes: int) -> None:
    """Call, start and (``minutes`` later on ``clock``) finish ``number``; rate it ``score``."""
    press(qtbot, window, Action.CALL_NEXT)
    qtbot.waitUntil(lambda: window.ticket_number.text() == number, timeout=WAIT_MS)
    press(qtbot, window, Action.START)
    qtbot.waitUntil(lambda: window.ticket_status.text() == "Đang phục vụ", timeout=WAIT_MS)
    clock.advance(minutes * 60)
    window.case_code.setText(f"000.00.10.H08-261122-{number}")
    press(qtbot, window, Action.FINISH)
    qtbot.waitUntil(lambda: window.model.rating is not None
                    and window.model.rating.number == number, timeout=WAIT_MS)
    if score is not None:
        window.rate(score)
        qtbot.waitUntil(lambda: window.model.rating is not None
                        and window.model.rating.stage.value == "thanked", timeout=WAIT_MS)


def test_counter_screenshots(qtbot: QtBot, demo_server: Any, demo_clock: Any,
                             demo_window: CounterWindow, output: Path) -> None:
    window = demo_window
    # Login page, filled in.
    qtbot.waitUntil(window.login_button.isEnabled, timeout=WAIT_MS)
    window.user_field.setText("nguyenvana")
    window.password_field.setText("demo1234")
    for width, height in SIZES:
        shoot(window, output / f"counter-login-{width}x{height}.png", (width, height))

    # 08:00, 08:02, 08:04: three citizens; the officer starts calling at 08:10.
    served = []
    for service in ("DD-NOP", "DD-BD", "DD-TRA"):
        served.append(demo_server.issue(service)["number"])
        demo_clock.advance(120)
    demo_clock.advance(240)
    window.log_in()
    qtbot.waitUntil(lambda: window.model.page is Page.WORK, timeout=WAIT_MS)
    serve(qtbot, window, served[0], 4, demo_clock, minutes=7)  # waited 10 min
    serve(qtbot, window, served[1], 3, demo_clock, minutes=6)  # waited 15 min
    # Rating screen (the citizen's monitor) for the last finished ticket.
    serve(qtbot, window, served[2], None, demo_clock, minutes=5)  # waited 19 min
    for width, height in SIZES:
        shoot(window.rating_screen, output / f"counter-rating-{width}x{height}.png",
              (width, height))
    window.rate(4)
    qtbot.waitUntil(lambda: window.model.rating is not None
                    and window.model.rating.stage.value == "thanked", timeout=WAIT_MS)

    # From 08:28 one citizen every two minutes; at 08:44 the officer calls the elder.
    elder = demo_server.issue("DD-NOP", priority="cao-tuoi")["number"]
    for service, priority in (("DD-NOP", None), ("DD-BD", None), ("DD-NOP", "mang-thai"),
                              ("DD-TRA", None), ("DD-NOP", None), ("DD-BD", "khuyet-tat"),
                              ("DD-TRA", None)):
        demo_clock.advance(120)
        demo_server.issue(service, priority=priority)
    demo_clock.advance(120)

    # Serving a priority ticket, with the waiting list and today's figures.
    press(qtbot, window, Action.CALL_NUMBER)
    call = window.dialog
    assert isinstance(call, CallNumberDialog)
    call.number.setText(elder)
    call.accept()
    qtbot.waitUntil(lambda: window.ticket_number.text() == elder, timeout=WAIT_MS)
    press(qtbot, window, Action.START)
    demo_clock.advance(180)
    window.tick()
    qtbot.waitUntil(lambda: window.ticket_status.text() == "Đang phục vụ"
                    and window.waiting_table.rowCount() == 7
                    and dict(window.model.figure_rows())["Đã phục vụ"] == "3"
                    and window.model.rating is None and window.model.pending is None,
                    timeout=WAIT_MS)
    window.redraw()
    # (10 + 15 + 19) / 3 min waited, (7 + 6 + 5) / 3 min served.
    figures = dict(window.model.figure_rows())
    assert (figures["Chờ trung bình"], figures["Phục vụ trung bình"]) == ("14 phút", "6 phút")
    assert window.ticket_detail.text().startswith("Đã chờ: 16 phút")
    window.case_code.setText("000.00.10.H08-261122-0042")
    for width, height in SIZES:
        shoot(window, output / f"counter-serving-{width}x{height}.png", (width, height))
    window.switch_language()
    shoot(window, output / "counter-serving-en-1366x768.png", (1366, 768))
    window.switch_language()

    # The transfer dialog.
    press(qtbot, window, Action.TRANSFER)
    dialog = window.dialog
    assert isinstance(dialog, TransferDialog)
    dialog.to_counter.setChecked(True)
    dialog.choices.setCurrentRow(1)
    for width, height in SIZES:
        shoot_with_dialog(window, dialog, output / f"counter-transfer-{width}x{height}.png",
                          (width, height))
    dialog.reject()
    qtbot.waitUntil(lambda: window.dialog is None, timeout=WAIT_MS)

    # The officer's own password: the dialog saying why it cannot send what was typed.
    qtbot.waitUntil(window.password_button.isEnabled, timeout=WAIT_MS)
    window.password_button.click()
    password = window.dialog
    assert isinstance(password, PasswordDialog)
    password.current.setText("demo1234")
    password.new.setText("mat-khau-moi-2026")
    password.repeat.setText("mat-khau-moi-2025")
    password.accept()
    assert password.problem.text() == "Hai lần nhập mật khẩu mới không giống nhau"
    for width, height in SIZES:
        shoot_with_dialog(window, password, output / f"counter-password-{width}x{height}.png",
                          (width, height))
    password.reject()
    qtbot.waitUntil(lambda: window.dialog is None, timeout=WAIT_MS)

    # An error: calling a number that was already served.
    press(qtbot, window, Action.CALL_NUMBER)
    call = window.dialog
    assert isinstance(call, CallNumberDialog)
    call.number.setText(served[0])
    call.accept()
    qtbot.waitUntil(lambda: window.notice.isVisible()
                    and window.notice.objectName() == "noticeError", timeout=WAIT_MS)
    assert window.notice.text() == f"Số {served[0]} không còn chờ: đã được phục vụ xong"
    for width, height in SIZES:
        shoot(window, output / f"counter-error-{width}x{height}.png", (width, height))
    assert window.model.language is Language.VIETNAMESE
    assert Qt.WindowType.Window & window.rating_screen.windowFlags()
