"""The Qt application of each desktop app (kiosk, counter terminal, lobby display): one set-up
for the three, kept here beside the display's other Qt parts.

Each app's window is known by its own name (its X11 window class, its Wayland app id) rather
than by the script that started Python (``cli.py`` under ``python -m server.cli``), and each
stops cleanly on Ctrl+C and on SIGTERM (the demo, a service manager), closing its connection
and devices instead of dying with a traceback.
"""

from __future__ import annotations

import gc
import signal

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

# Python runs signal handlers only between bytecodes; while Qt waits in its event loop, a
# timer this often lets them in.
SIGNAL_CHECK_MS = 250
# How often the GUI thread runs the garbage collector's due generations.
GARBAGE_CHECK_MS = 500


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



class GuiThreadCollector:
    """Python's garbage collector run on the GUI thread only, from :meth:`start` until
    :meth:`stop` (which turns automatic collection back on).

    Why: automatic collection runs in whichever thread happens to allocate. When it runs in a
    worker thread (the printer's, the scanner's, a request's, the connection's executor) and
    frees a cycle holding a widget, the widget's destructor waits for the GUI thread inside Qt
    while the GUI thread may be waiting for that worker: the app freezes for good. So automatic
    collection is turned off, and a timer on the GUI thread collects each generation the
    collector would have collected, by the same thresholds.
    """

    def __init__(self) -> None:
        self._timer = QTimer()
        self._timer.timeout.connect(self.collect_due)
        self._thresholds = gc.get_threshold()

    def start(self) -> None:
        """Turn automatic collection off and collect on the GUI thread from now on."""
        gc.disable()
        self._timer.start(GARBAGE_CHECK_MS)

    def collect_due(self) -> None:
        """Collect the oldest generation whose count passed its threshold (and the younger
        ones with it), if any."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        """Stop the timer and turn automatic collection back on."""
        self._timer.stop()
        gc.enable()
