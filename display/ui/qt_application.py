"""The Qt application of each desktop app (kiosk, counter terminal, lobby display): one set-up
for the three, kept here beside the display's other Qt parts.

Each app's window is known by its own name (its X11 window class, its Wayland app id) rather
than by the script that started Python (``cli.py`` under ``python -m server.cli``), and each
stops cleanly on Ctrl+C and on SIGTERM (the demo, a service manager), closing its connection
and devices instead of dying with a traceback.
"""

from __future__ import annotations

import signal

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

# Python runs signal handlers only between bytecodes; while Qt waits in its event loop, a
# timer this often lets them in.
SIGNAL_CHECK_MS = 250


def qt_application(name: str) -> QApplication:
    """The process's QApplication (made now if there is none), named ``name``: made with
    ``name`` as its ``argv[0]``, so that on X11 the window's class is ``name``; the desktop
    file name is the Wayland app id."""
    existing = QApplication.instance()
    application = existing if isinstance(existing, QApplication) else QApplication([name])
    application.setApplicationName(name)
    application.setDesktopFileName(name)
    return application


def quit_on_stop_signals(application: QApplication) -> QTimer:
    """Quit ``application``'s event loop on SIGINT or SIGTERM; keep the returned timer (it
    lets the handlers run) and stop it when the loop has ended."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_arguments: application.quit())
    wakeup = QTimer()
    wakeup.timeout.connect(lambda: None)
    wakeup.start(SIGNAL_CHECK_MS)
    return wakeup
