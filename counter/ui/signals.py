"""Carries the connection's updates from its thread to the GUI thread as a Qt signal."""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QObject, Signal

from counter.updates import Update


class UpdateSignal(QObject):
    """``deliver`` may be called from any thread; ``received`` fires on this object's thread
    (the GUI thread), in the order ``deliver`` was called (a queued connection)."""

    received = Signal(object)

    def deliver(self, update: Update) -> None:
        # The window (and this object with it) may already be gone while the app shuts down.
        with contextlib.suppress(RuntimeError):
            self.received.emit(update)
