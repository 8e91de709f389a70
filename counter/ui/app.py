"""Starts the counter terminal: the Qt application, the connection thread and the window."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime

from PySide6.QtWidgets import QApplication

from counter.connection import CounterConnection
from counter.models import CounterScreenModel
from counter.settings import CounterSettings
from counter.ui.signals import UpdateSignal
from counter.ui.window import CounterWindow


def local_now() -> datetime:
    """The local time with its offset (the server's times carry theirs)."""
    return datetime.now().astimezone()


def build_window(settings: CounterSettings, clock: Callable[[], datetime] = local_now
                 ) -> tuple[CounterWindow, CounterConnection]:
    """The window and its (started) connection; the caller shows the one and stops the other.

    ``clock`` gives the time the window counts waits and the rating countdown with (tests and
    screenshots pass the server's hand-moved clock). A QApplication must exist.
    """
    model = CounterScreenModel(settings.connection.language, settings.counter)
    signal = UpdateSignal()
    connection = CounterConnection(settings.connection, signal.deliver)
    window = CounterWindow(model, connection.submit, clock)
    signal.setParent(window)
    signal.received.connect(window.apply_update)
    connection.start()
    return window, connection


def run(settings: CounterSettings) -> int:
    """Run the counter terminal until its window is closed; returns the exit status."""
    application = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(application, QApplication)
    application.setApplicationName("qms-counter")
    window, connection = build_window(settings)
    try:
        if settings.windowed:
            window.resize(1366, 768)
            window.show()
        else:
            window.showFullScreen()
        return application.exec()
    finally:
        connection.stop()
