"""Starts the counter terminal: the Qt application, the connection thread and the window."""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from counter.activity_log import ActivityLog
from counter.connection import CounterConnection
from counter.models import CounterScreenModel
from counter.requests import ClientRequest
from counter.settings import CounterSettings
from counter.ui.signals import UpdateSignal
from counter.ui.window import CounterWindow
from counter.updates import Update

APPLICATION_NAME = "qms-counter"
"""The application's name, its desktop file name and the X11 instance name of its window."""
_SIGNAL_CHECK_MS = 250


def local_now() -> datetime:
    """The local time with its offset (the server's times carry theirs)."""
    return datetime.now().astimezone()


def build_window(settings: CounterSettings, clock: Callable[[], datetime] = local_now
                 ) -> tuple[CounterWindow, CounterConnection]:
    """The window and its (started) connection; the caller shows the one and stops the other.

    ``clock`` gives the time the window counts waits and the rating countdown with (tests and
    screenshots pass the server's hand-moved clock). A QApplication must exist. What the
    officer does and what the server answers is logged (:class:`ActivityLog`).
    """
    model = CounterScreenModel(settings.connection.language, settings.counter)
    signal = UpdateSignal()
    activity = ActivityLog(settings.counter)

    def deliver(update: Update) -> None:
        activity.update(update)
        signal.deliver(update)

    connection = CounterConnection(settings.connection, deliver)

    def submit(request: ClientRequest) -> None:
        activity.request(request)
        connection.submit(request)

    window = CounterWindow(model, submit, clock)
    signal.setParent(window)
    signal.received.connect(window.apply_update)
    connection.start()
    return window, connection


def qt_application() -> QApplication:
    """The QApplication, named :data:`APPLICATION_NAME`.

    Made with that name as its ``argv[0]``, so that on X11 the window's class (WM_CLASS) is
    ``qms-counter`` rather than the script that started Python (``cli.py`` under
    ``python -m server.cli``); the desktop file name is the Wayland app id.
    """
    existing = QApplication.instance()
    application = existing if isinstance(existing, QApplication) \
        else QApplication([APPLICATION_NAME])
    application.setApplicationName(APPLICATION_NAME)
    application.setDesktopFileName(APPLICATION_NAME)
    return application


def quit_on_stop_signals(application: QApplication) -> QTimer:
    """Quit the event loop on Ctrl+C (SIGINT) or SIGTERM (the demo stopping its apps), so the
    connection is closed properly. Python runs signal handlers only between bytecodes: the
    returned timer (keep it) lets them in while Qt waits."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_arguments: application.quit())
    wakeup = QTimer()
    wakeup.timeout.connect(lambda: None)
    wakeup.start(_SIGNAL_CHECK_MS)
    return wakeup


def run(settings: CounterSettings) -> int:
    """Run the counter terminal until its window is closed, Ctrl+C or SIGTERM; returns the exit
    status."""
    application = qt_application()
    window, connection = build_window(settings)
    wakeup = quit_on_stop_signals(application)
    try:
        if settings.windowed:
            window.resize(1366, 768)
            window.show()
        else:
            window.showFullScreen()
        return application.exec()
    finally:
        wakeup.stop()
        connection.stop()
