"""The kiosk refuses a PySide6 build that loses a reference to ``None`` on every void call."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject

from kiosk.ui import pyside_guard

CALLS = 20_000
"""More void calls than ``None`` normally has references on Python 3.11 (about 5,000)."""


def test_the_installed_pyside_keeps_none_alive() -> None:
    pyside_guard.require_sound_pyside()
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        probe.setObjectName("probe")
    assert before - sys.getrefcount(None) < CALLS // 2


def test_a_defective_build_is_refused_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pyside_guard, "leaks_none_references", lambda: True)
    with pytest.raises(pyside_guard.UnsupportedQtError, match=r"PySide6<6\.12"):
        pyside_guard.require_sound_pyside()
