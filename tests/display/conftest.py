"""Fixtures of the display tests.

The helpers (fake clock, a server on its own thread) are in ``tests/support/display.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.display import FakeClock, ServerThread

from server.config import Settings


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server_thread(settings: Settings, database_path: Path) -> Iterator[ServerThread]:
    """The real server (the ``settings`` and ``database_path`` fixtures) on its own thread.

    The Qt tests block the main thread in qtbot.waitUntil as the GUI thread does, so the
    server cannot share the test's asyncio loop (the ``server`` fixture's); here it runs on a
    loop of its own, as it would in its own process.
    """
    thread = ServerThread(settings, database_path)
    thread.start_server()
    yield thread
    thread.close()
