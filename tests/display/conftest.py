"""Fixtures of the display tests.

The helpers (fake clock, a server on its own thread) are in ``tests/support/display.py``;
:class:`hanging_proxy.HangingProxy` stands between a display and the server to play a hung
server (``proxy`` fixture).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.display import FakeClock, ServerThread

# This folder's own helper modules (hanging_proxy) import by their bare names; the folder
# cannot be a package, which would be named "display" like the app.
sys.path.insert(0, str(Path(__file__).parent))

from hanging_proxy import HangingProxy

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



@pytest.fixture
def proxy() -> Iterator[Callable[[int], HangingProxy]]:
    """``proxy(port)``: a HangingProxy to 127.0.0.1:port, closed at the end."""
    opened: list[HangingProxy] = []

    def open_proxy(port: int) -> HangingProxy:
        opened.append(HangingProxy(port))
        return opened[-1]

    yield open_proxy
    for item in opened:
        item.close()
