"""The booking tests' server: the test site taking bookings (support.booking), on a clock
the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support.booking import MORNING, booking_config
from support.clock import ManualClock

from server.app.serve import RunningServer, start_server
from server.config import Settings, parse_settings


@pytest.fixture
def settings() -> Settings:
    return parse_settings(booking_config())


@pytest.fixture
def server_clock() -> ManualClock:
    return ManualClock(MORNING)


@pytest.fixture
async def server(settings: Settings, database_path: Path,
                 server_clock: ManualClock) -> AsyncIterator[RunningServer]:
    """Overrides the shared fixture: the same server, on the test's clock."""
    running = await start_server(settings, host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{database_path}", clock=server_clock)
    yield running
    await running.stop()
