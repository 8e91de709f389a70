"""Keyboard-emulating (USB HID) barcode scanners: their keystrokes caught anywhere in the
kiosk and turned into one scanned text.

:class:`KeyboardScanFilter` is an application-wide event filter. Every key press goes to a
:class:`~kiosk.models.keystrokes.BurstDetector` (the timing rule, Qt-free); a burst ended by
Enter or Tab is a scan and goes to ``on_scan``. The kiosk has nothing to type into with a
keyboard, so the keys that type characters, Enter and Tab are taken out of the normal
delivery (other keys pass), except while a text input has the focus (a dialog a technician
types into), which gets every key untouched.

Each key press is timed by the event's own timestamp (when the key went down, so a busy GUI
thread delivering several at once does not make a person's typing look like a burst); an
event without one (0, as synthetic events have) is timed by ``clock_ms``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
)

from kiosk.models.keystrokes import BurstDetector

logger = logging.getLogger(__name__)

END_KEYS = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab})
"""Keys that end a scanner's burst (its suffix: Enter by default, Tab on some)."""
_TEXT_INPUTS = (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox, QComboBox)


def monotonic_ms() -> float:
    """Milliseconds of the monotonic clock."""
    return time.monotonic() * 1000.0


class KeyboardScanFilter(QObject):
    """See the module docstring. Install with ``application.installEventFilter``."""

    def __init__(self, on_scan: Callable[[str], None], detector: BurstDetector,
                 clock_ms: Callable[[], float] = monotonic_ms) -> None:
        super().__init__()
        self._on_scan = on_scan
        self.detector = detector
        self._clock_ms = clock_ms
        self.scans = 0
        """Scans delivered so far."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() is not QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if isinstance(QApplication.focusWidget(), _TEXT_INPUTS):
            return False
        if event.isAutoRepeat():
            return True
        at_ms = float(event.timestamp()) or self._clock_ms()
        if event.key() in END_KEYS:
            text = self.detector.end(at_ms)
            if text is not None:
                self.scans += 1
                logger.info("keyboard scanner: read a code of %d characters", len(text))
                self._on_scan(text)
            return True
        text = event.text()
        if not text or not text.isprintable():
            return False  # Shift, arrows, Escape, shortcuts: not a character of a code
        self.detector.character(text, at_ms)
        return True
