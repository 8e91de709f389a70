"""Starts the counter terminal: the Qt application, the connection thread and the window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtWidgets import QApplication

from counter.activity_log import ActivityLog
from counter.connection import CounterConnection
from counter.models import CounterScreenModel
from counter.requests import ClientRequest
from counter.settings import CounterSettings
from counter.ui.signals import UpdateSignal
from counter.ui.window import CounterWindow
from counter.updates import Update
from display.ui.qt_application import GuiThreadCollector, quit_on_stop_signals
from display.ui.qt_application import qt_application as shared_qt_application

APPLICATION_NAME = "qms-counter"
"""The application's name, its desktop file name and the X11 instance name of its window."""


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
    model = CounterScreenModel(settings.connection.language, settings.counter,
                               settings.overridden)
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
    """The QApplication, named :data:`APPLICATION_NAME` (its window class too)."""
    return shared_qt_application(APPLICATION_NAME)


def run(settings: CounterSettings) -> int:
    """Run the counter terminal until its window is closed, Ctrl+C or SIGTERM; returns the exit
    status."""
    application = qt_application()
    window, connection = build_window(settings)
    wakeup = quit_on_stop_signals(application)
    garbage = GuiThreadCollector()
    garbage.start()
    try:
        if settings.windowed:
            window.resize(*settings.size)
            if settings.position is not None:
                window.move(*settings.position)
            window.show()
        else:
            window.showFullScreen()
        return application.exec()
    finally:
        wakeup.stop()
        connection.stop()
        garbage.stop()
