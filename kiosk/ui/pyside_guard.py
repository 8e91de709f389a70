"""Refuse to run on a PySide6 build that would crash a long-running kiosk.

PySide6/shiboken6 6.12.0 returns ``None`` from every void method without taking a
reference. On Python 3.11 (where ``None`` is not immortal) every such call takes one
reference away, and after a few thousand calls the interpreter aborts ("Fatal Python error:
none_dealloc"): a kiosk makes that many calls in minutes. pyproject.toml pins
``PySide6<6.12``; this check turns a crash an hour after opening into a clear message at
start-up on an installation that ignored the pin.
"""

from __future__ import annotations

import sys

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject

from kiosk.errors import KioskError

PROBE_CALLS = 64
"""Void calls made to measure the leak; a defective build loses one reference per call."""


class UnsupportedQtError(KioskError):
    """The installed PySide6 would crash the app; the message names the fix."""


def leaks_none_references() -> bool:
    """True when a void PySide6 method call takes a reference from ``None``."""
    if sys.version_info >= (3, 12):
        return False  # None is immortal there
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(PROBE_CALLS):
        probe.setObjectName("probe")
    lost = before - sys.getrefcount(None)
    return lost >= PROBE_CALLS // 2


def require_sound_pyside() -> None:
    """Raise :class:`UnsupportedQtError` when the installed PySide6 has the defect."""
    if leaks_none_references():
        raise UnsupportedQtError(
            f"PySide6 {pyside_version} on Python {sys.version_info.major}."
            f"{sys.version_info.minor} loses a reference to None on every call and would "
            "abort after a few thousand: install PySide6<6.12 (pip install 'PySide6<6.12') "
            "or use Python 3.12+")
